# Renders chat-templates/conversations.json with the real chat templates of chat-templates/*/ through transformers'
# own apply_chat_template, offline, and writes what it returns (or the error it raises) to chat-templates/expected.json;
# then renders each template of chat-templates/constructs.json (Jinja's statements, filters, Python formatting) with its
# variables in the Jinja environment apply_chat_template compiles templates in, and writes the text (or the error's
# type and message) to chat-templates/constructs-expected.json.
#
#   python make_chat_template_fixture.py ../chat-templates
#
# Each model directory holds what a checkpoint's tokenizer files say about chat: tokenizer_config.json (the special
# tokens, and "chat_template" as a string or a list of named templates) and, for one, chat_template.jinja. The
# tokenizer itself does not change the rendered text, so every directory is loaded with the small byte-level BPE of
# tokenizer-bytelevel-bpe/ copied beside its files.
import json, os, shutil, sys, tempfile

import jinja2
import transformers
from transformers import PreTrainedTokenizerFast
from transformers.utils.chat_template_utils import _compile_jinja_template

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "chat-templates"))
tokenizer_json = os.path.join(root, "..", "tokenizer-bytelevel-bpe", "tokenizer.json")
cases = json.load(open(os.path.join(root, "conversations.json"), encoding="utf-8"))["cases"]
models = sorted(d for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "tokenizer_config.json")))

results = []
for model in models:
    with tempfile.TemporaryDirectory() as work:
        for name in os.listdir(os.path.join(root, model)):
            shutil.copy(os.path.join(root, model, name), work)
        shutil.copy(tokenizer_json, work)
        tokenizer = PreTrainedTokenizerFast.from_pretrained(work, local_files_only=True)
    for case in cases:
        kwargs = {k: v for k, v in case.items() if k not in ("name", "messages")}
        record = {"model": model, "case": case["name"]}
        try:
            record["output"] = tokenizer.apply_chat_template(case["messages"], tokenize=False, **kwargs)
        except jinja2.exceptions.TemplateError as error:
            # raise_exception(message) in the template (an undefined value used wrongly would be an UndefinedError,
            # a subclass; no case here does that)
            record["error"] = {"type": type(error).__name__, "message": str(error)}
        results.append(record)


def write(name, description, results):
    with open(os.path.join(root, name), "w", encoding="utf-8") as f:
        json.dump({"description": description % (transformers.__version__, jinja2.__version__), "results": results}, f,
                  ensure_ascii=False, indent=1)
        f.write("\n")

write("expected.json", "tokenizer.apply_chat_template(messages, tokenize=False, **case) of transformers %s (jinja2 %s) for "
                       "every model directory and case of conversations.json; 'error' when the template raised.", results)
print("%d renderings of %d templates, %d errors" % (len(results), len(models), sum("error" in r for r in results)))

constructs = json.load(open(os.path.join(root, "constructs.json"), encoding="utf-8"))["cases"]
rendered = []
for case in constructs:
    record = {"case": case["name"]}
    try:
        record["output"] = _compile_jinja_template(case["template"]).render(**case["variables"])
    except Exception as error:  # syntax errors, TypeError for include (no loader), the template's own errors
        record["error"] = {"type": type(error).__name__, "message": str(error)}
    rendered.append(record)
write("constructs-expected.json", "Each template of constructs.json rendered with its variables in the Jinja environment of "
                                  "transformers %s's apply_chat_template (jinja2 %s); 'error' when it failed to compile or render.",
      rendered)
print("%d constructs, %d errors" % (len(rendered), sum("error" in r for r in rendered)))
