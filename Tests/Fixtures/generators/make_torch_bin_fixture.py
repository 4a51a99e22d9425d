# Writes PyTorch-format (torch.save, zip) weights beside their safetensors twins, for the tests of aepo's restricted
# reader of .bin files. Run from the repository root, after the qwen3-tiny-* and lora-peft-a fixtures exist:
#   python3 Tests/Fixtures/generators/make_torch_bin_fixture.py Tests/Fixtures/torch-bin
#
# OUT/qwen3-tiny-a/   pytorch_model.bin: torch.save(Qwen3ForCausalLM.state_dict()) of Tests/Fixtures/qwen3-tiny-a, as
#                     transformers 4 wrote it (transformers 5 writes safetensors only)
# OUT/qwen3-tiny-b/   the tied qwen3-tiny-b in two shards and pytorch_model.bin.index.json (transformers 4's layout); the
#                     first shard holds model.embed_tokens.weight and lm_head.weight as views of one storage
# OUT/lora-peft-a/    PeftModel.from_pretrained(qwen3-tiny-a, lora-peft-a).save_pretrained(safe_serialization=False):
#                     the same adapter as Tests/Fixtures/lora-peft-a as adapter_model.bin
# OUT/state-dict/     views.bin, a torch.save of a plain dict (float32, float16 and bfloat16 tensors with special values,
#                     a row slice and an alias sharing a storage, a slice at a storage offset, a 0-d and an empty tensor,
#                     an nn.Parameter), and views.safetensors, the same tensors (each made contiguous in its own storage)
#                     written by safetensors; strided.bin, an OrderedDict with a state dict's _metadata of non-contiguous
#                     views (transposes, a permutation, column and step slices, an expanded tensor with a stride of 0,
#                     views at storage offsets, float16 and bfloat16 ones, a transposed nn.Parameter, 40 strided rows of
#                     one storage and an alias of the last, so that the pickle memoizes more than 256 values, and a name
#                     longer than 255 bytes), the same at pickle protocols 3, 4 and 5 (protocol-3.bin, protocol-4.bin,
#                     protocol-5.bin: torch.save(..., pickle_protocol=N); 4 and 5 add FRAME, SHORT_BINUNICODE, MEMOIZE
#                     and STACK_GLOBAL), and strided.safetensors, torch's contiguous copies of them; int64.bin (an int64
#                     tensor), which aepo refuses
import collections, io, json, os, pickletools, shutil, sys, torch, zipfile
import peft, safetensors.torch
from peft import PeftModel
from transformers import Qwen3ForCausalLM

out = sys.argv[1]
fixtures = "Tests/Fixtures"

def load_model(name):
    return Qwen3ForCausalLM.from_pretrained(os.path.join(fixtures, name), attn_implementation="eager").float().eval()

def copy_configs(name, directory):
    os.makedirs(directory, exist_ok=True)
    for file in ["config.json", "generation_config.json"]:
        shutil.copy(os.path.join(fixtures, name, file), directory)

def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.detach().reshape(-1).contiguous().view(torch.uint8), b.detach().reshape(-1).contiguous().view(torch.uint8))

# Model, one file.
directory = os.path.join(out, "qwen3-tiny-a")
copy_configs("qwen3-tiny-a", directory)
torch.save(load_model("qwen3-tiny-a").state_dict(), os.path.join(directory, "pytorch_model.bin"))

# Tied model, two shards.
directory = os.path.join(out, "qwen3-tiny-b")
copy_configs("qwen3-tiny-b", directory)
state = load_model("qwen3-tiny-b").state_dict()
assert state["lm_head.weight"].untyped_storage().data_ptr() == state["model.embed_tokens.weight"].untyped_storage().data_ptr()
names = list(state)
first = [n for n in names if n in ("model.embed_tokens.weight", "lm_head.weight") or n.startswith("model.layers.0.")]
shards = [first, [n for n in names if n not in first]]
weight_map = {}
for index, shard in enumerate(shards):
    file = "pytorch_model-%05d-of-%05d.bin" % (index + 1, len(shards))
    torch.save({n: state[n] for n in shard}, os.path.join(directory, file))
    weight_map.update({n: file for n in shard})
total = sum(t.numel() * t.element_size() for n, t in state.items() if n != "lm_head.weight")
with open(os.path.join(directory, "pytorch_model.bin.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
    f.write("\n")

# Adapter: the committed lora-peft-a, saved without safetensors.
directory = os.path.join(out, "lora-peft-a")
adapted = PeftModel.from_pretrained(load_model("qwen3-tiny-a"), os.path.join(fixtures, "lora-peft-a"))
adapted.save_pretrained(directory, safe_serialization=False)
os.remove(os.path.join(directory, "README.md"))  # PEFT's model-card template
written = torch.load(os.path.join(directory, "adapter_model.bin"), weights_only=True)
original = safetensors.torch.load_file(os.path.join(fixtures, "lora-peft-a", "adapter_model.safetensors"))
assert written.keys() == original.keys() and all(same(written[n], original[n]) for n in original)

# State dicts.
directory = os.path.join(out, "state-dict")
os.makedirs(directory, exist_ok=True)
torch.manual_seed(7)
base = torch.randn(6, 4)
special = [0.0, -0.0, 1.0, -2.5, float("inf"), float("-inf"), float("nan")]
half = torch.tensor(special + [65504.0, 6e-8, 3e-5, 0.1], dtype=torch.float16)
bfloat = torch.tensor(special + [3e38, 1e-40, 0.1], dtype=torch.bfloat16)
long_half = torch.randn(300).half()  # 300 elements: BININT2 in the pickle
views = {
    "base": base,
    "rows": base[2:5],                # storage offset 8, shares base's storage
    "alias": base,                    # the same tensor under a second name
    "half": half,
    "half_tail": half[3:],            # storage offset 3 in 2-byte elements
    "bfloat": bfloat.view(2, 5),
    "long_half": long_half,
    "scalar": torch.tensor(1.5),
    "empty": torch.zeros(0, 3),
    "parameter": torch.nn.Parameter(torch.randn(2, 3)),  # pickled with torch._utils._rebuild_parameter
}
torch.save(views, os.path.join(directory, "views.bin"))
safetensors.torch.save_file({n: t.detach().contiguous().clone() for n, t in views.items()}, os.path.join(directory, "views.safetensors"))

# Non-contiguous views, as torch.save keeps them (storage, offset, size, stride), at each pickle protocol.
torch.manual_seed(11)
base = torch.randn(6, 4)
grid = torch.randn(2, 40)
strided = collections.OrderedDict()
strided["base"] = base
strided["columns"] = base[:, 1:3]                              # storage offset 1, stride (4, 1)
strided["every_other_row"] = base[::2]                         # stride (8, 1)
strided["column"] = base[:, 1:2]                               # size (6, 1), stride (4, 1)
strided["transposed"] = torch.randn(3, 4).t()
strided["permuted"] = torch.randn(2, 3, 4).permute(2, 0, 1)
strided["expanded"] = torch.randn(3).expand(2, 3)              # stride (0, 1)
strided["rows_of_transpose"] = torch.randn(5, 5).t()[1:3]      # storage offset 1, stride (1, 5)
strided["half_transposed"] = torch.randn(4, 5).half().t()
strided["bfloat_columns"] = torch.randn(4, 6).bfloat16()[:, ::3]
strided["empty_transposed"] = torch.zeros(0, 3).t()
strided["parameter"] = torch.nn.Parameter(torch.randn(3, 2).t())
strided["layers." + "long_name." * 30 + "weight"] = grid.t()   # a name of 316 bytes: BINUNICODE at every protocol
for i in range(40):
    strided["model.layers.%d.row" % i] = grid[:, i]            # storage offset i, stride (40,)
strided["alias"] = strided["model.layers.39.row"]              # memoized after 256 values: LONG_BINGET
strided._metadata = collections.OrderedDict({"": {"version": 1}})
assert sum(not t.is_contiguous() for t in strided.values()) == len(strided) - 2
twin = {n: t.detach().contiguous().clone() for n, t in strided.items()}
safetensors.torch.save_file(twin, os.path.join(directory, "strided.safetensors"))
for protocol, name in [(2, "strided.bin"), (3, "protocol-3.bin"), (4, "protocol-4.bin"), (5, "protocol-5.bin")]:
    path = os.path.join(directory, name)
    torch.save(strided, path, pickle_protocol=protocol)
    loaded = torch.load(path, weights_only=False)  # torch's weights-only unpickler refuses FRAME (protocol 4 and 5)
    assert loaded.keys() == twin.keys() and all(same(loaded[n], twin[n]) for n in twin)
    with zipfile.ZipFile(path) as archive:
        pickle = archive.read(next(n for n in archive.namelist() if n.endswith("/data.pkl")))
    opcodes = sorted({opcode.name for opcode, _, _ in pickletools.genops(pickle)})
    assert pickle[:2] == bytes([0x80, protocol]) and ("FRAME" in opcodes) == (protocol >= 4), opcodes
    print(name, "opcodes:", " ".join(opcodes))
torch.save({"ids": torch.arange(4)}, os.path.join(directory, "int64.bin"))
print("torch", torch.__version__, "peft", peft.__version__)
