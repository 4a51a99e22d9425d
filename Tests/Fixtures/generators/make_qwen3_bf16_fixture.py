# Builds a tiny random Qwen3 checkpoint saved in BF16 (as published checkpoints are) with Hugging Face transformers,
# and records the logits and loss of transformers on it twice: with the weights widened to float32 (float32 compute,
# numerically what BF16 storage with float32 compute gives) and in bfloat16 (bfloat16 compute). Run from the
# repository root:
#   python3 Tests/Fixtures/generators/make_qwen3_bf16_fixture.py Tests/Fixtures/qwen3-tiny-bf16
import json, os, sys, torch
import transformers
from transformers import Qwen3ForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_qwen3_fixture import random_model

out = sys.argv[1]
# Widths of 64 and more, so that products of a few rows take aepo's matrix-vector path and longer ones its packed GEMM.
model = random_model(41, dict(vocab_size=80, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                              num_key_value_heads=2, head_dim=16, max_position_embeddings=128, rope_theta=1000000.0,
                              rms_norm_eps=1e-6, tie_word_embeddings=False, attention_bias=False, hidden_act="silu",
                              use_sliding_window=False))
cfg = model.config
model = model.to(torch.bfloat16)
os.makedirs(out, exist_ok=True)
model.save_pretrained(out, safe_serialization=True)

ids = torch.randint(0, cfg.vocab_size, (3, 16), generator=torch.Generator().manual_seed(42))
results = {}
for name, dtype in [("float32", torch.float32), ("bfloat16", torch.bfloat16)]:
    loaded = Qwen3ForCausalLM.from_pretrained(out, attn_implementation="eager").to(dtype).eval()
    with torch.no_grad():
        output = loaded(input_ids=ids, labels=ids)
    results[name] = (output.logits.float().tolist(), output.loss.float().item())
expected = {
    "description": "Qwen3ForCausalLM (transformers %s, eager attention) loaded from this directory's BF16 weights. logits "
                   "and loss: the weights widened to float32 and float32 compute (what BF16 storage with float32 compute "
                   "gives); logits_bf16 and loss_bf16: the model in bfloat16 (bfloat16 compute). input_ids is a batch of "
                   "equal-length sequences; logits[b][t] is the next-token logit vector after token t; loss is the mean "
                   "next-token cross-entropy over t >= 1." % transformers.__version__,
    "input_ids": ids.tolist(),
    "logits": results["float32"][0],
    "loss": results["float32"][1],
    "logits_bf16": results["bfloat16"][0],
    "loss_bf16": results["bfloat16"][1],
}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f)
