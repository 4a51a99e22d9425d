# Builds LoRA adapters with PEFT for the committed tiny Qwen3 checkpoints and records the logits and loss of
# PeftModel.from_pretrained(base, DIR) for conformance tests. B is random (not PEFT's zeros) so that the adapter
# changes the logits. Run from the repository root:
#   python3 Tests/Fixtures/generators/make_lora_fixture.py a Tests/Fixtures/lora-peft-a
#   python3 Tests/Fixtures/generators/make_lora_fixture.py b Tests/Fixtures/lora-peft-b
import json, os, sys, torch
import peft, transformers
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import Qwen3ForCausalLM

def load_base(path):
    # No dtype argument: its name changed between transformers 4 and 5; the checkpoints are float32.
    model = Qwen3ForCausalLM.from_pretrained(path, attn_implementation="eager")
    return model.float().eval()

def make(base_dir, out, seed, lora_kwargs, vocab, shape):
    torch.manual_seed(seed)
    model = get_peft_model(load_base(base_dir), LoraConfig(task_type="CAUSAL_LM", **lora_kwargs))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_A" in name or "lora_B" in name:
                p.normal_(0, 0.3)
    model.save_pretrained(out, safe_serialization=True)
    os.remove(os.path.join(out, "README.md"))  # PEFT's model-card template
    adapted = PeftModel.from_pretrained(load_base(base_dir), out).eval()
    ids = torch.randint(0, vocab, shape, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        output = adapted(input_ids=ids, labels=ids)
    expected = {
        "description": "PeftModel.from_pretrained(Qwen3ForCausalLM %s, this directory) (peft %s, transformers %s, eager "
                       "attention, float32, eval mode). input_ids is a batch of equal-length sequences; logits[b][t] is the "
                       "next-token logit vector after token t; loss is the mean next-token cross-entropy over t >= 1."
                       % (base_dir, peft.__version__, transformers.__version__),
        "input_ids": ids.tolist(),
        "logits": output.logits.tolist(),
        "loss": output.loss.item(),
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)

which, out = sys.argv[1], sys.argv[2]
if which == "a":
    # Five of the seven modules, dropout (off in eval), alpha / r scaling.
    make("Tests/Fixtures/qwen3-tiny-a", out, 31,
         dict(r=4, lora_alpha=6, lora_dropout=0.1, target_modules=["q_proj", "v_proj", "o_proj", "gate_proj", "down_proj"]),
         64, (2, 10))
elif which == "b":
    # Every linear layer of the tied, grouped-query fixture, rank-stabilised scaling alpha / sqrt(r).
    make("Tests/Fixtures/qwen3-tiny-b", out, 32, dict(r=8, lora_alpha=4, target_modules="all-linear", use_rslora=True), 96, (2, 12))
