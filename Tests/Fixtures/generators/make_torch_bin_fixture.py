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
#                     written by safetensors; transposed.bin (a non-contiguous tensor) and int64.bin (an int64 tensor),
#                     which aepo refuses
import json, os, shutil, sys, torch
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
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.contiguous().view(torch.uint8), b.contiguous().view(torch.uint8))

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
torch.save({"transposed": torch.randn(3, 4).t()}, os.path.join(directory, "transposed.bin"))
torch.save({"ids": torch.arange(4)}, os.path.join(directory, "int64.bin"))
print("torch", torch.__version__, "peft", peft.__version__)
