#!/usr/bin/env python3
"""Checks `aepo serve` with the official `openai` Python client (pip install openai).

Start a server first, e.g. on random weights with the fixture tokenizer:

    aepo serve --random-config CONFIG.json --tokenizer Tests/Fixtures/tokenizer-bytelevel-bpe/tokenizer.json --port 8000

then run `python3 scripts/check_openai_client.py --base-url http://127.0.0.1:8000/v1`.
It lists the models, runs a completion and a chat completion with log-probs, streams both, sends
bad requests and checks the errors; it prints one line per check and exits non-zero on a failure.
"""
import argparse
import math
import sys

import openai


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    args = parser.parse_args()
    client = openai.OpenAI(base_url=args.base_url, api_key="unused", max_retries=0)
    failures = []

    def check(name, condition, detail=""):
        print(f"{'ok  ' if condition else 'FAIL'} {name}{': ' + str(detail) if detail else ''}")
        if not condition:
            failures.append(name)

    models = client.models.list().data
    check("models.list", len(models) == 1, [m.id for m in models])
    model = models[0].id

    c = client.completions.create(model=model, prompt="The river", max_tokens=8, temperature=0.8, seed=1, logprobs=3)
    lp = c.choices[0].logprobs
    check("completions", c.choices[0].finish_reason in ("stop", "length") and c.usage.completion_tokens == len(lp.tokens),
          repr(c.choices[0].text))
    check("completions logprobs", all(v <= 0 for v in lp.token_logprobs) and all(len(t) <= 3 for t in lp.top_logprobs),
          lp.token_logprobs[:3])
    again = client.completions.create(model=model, prompt="The river", max_tokens=8, temperature=0.8, seed=1, logprobs=3)
    check("completions seed reproduces", again.choices[0].text == c.choices[0].text)

    ids = client.completions.create(model=model, prompt=[1, 2, 3], max_tokens=4, temperature=0, n=2)
    check("completions token-id prompt, n=2", len(ids.choices) == 2 and ids.choices[0].text == ids.choices[1].text)

    chat = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hello"}], max_tokens=10,
                                          temperature=0, logprobs=True, top_logprobs=2)
    content = chat.choices[0].logprobs.content
    check("chat", chat.choices[0].message.role == "assistant" and chat.usage.completion_tokens == len(content),
          repr(chat.choices[0].message.content))
    check("chat logprobs", all(len(t.top_logprobs) == 2 and t.logprob <= t.top_logprobs[0].logprob + 1e-6 for t in content))
    probability = sum(math.exp(t.logprob) for t in content[0].top_logprobs)
    check("chat top_logprobs are probabilities", 0 < probability <= 1 + 1e-6, probability)

    streamed = ""
    chunks = 0
    for chunk in client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hello"}], max_tokens=10,
                                                temperature=0, stream=True):
        chunks += 1
        if chunk.choices and chunk.choices[0].delta.content:
            streamed += chunk.choices[0].delta.content
    check("chat streaming equals the whole reply", streamed == (chat.choices[0].message.content or ""), f"{chunks} chunks")

    text = "".join(ch.choices[0].text for ch in client.completions.create(
        model=model, prompt="The river", max_tokens=8, temperature=0.8, seed=1, stream=True))
    check("completions streaming equals the whole reply", text == c.choices[0].text, repr(text))

    for name, call, status in [
        ("unknown model", lambda: client.completions.create(model="nope", prompt="x"), 404),
        ("temperature out of range", lambda: client.completions.create(model=model, prompt="x", temperature=5), 400),
        ("max_tokens too large", lambda: client.completions.create(model=model, prompt="x", max_tokens=10**9), 400),
    ]:
        try:
            call()
            check(name, False, "no error")
        except openai.APIStatusError as e:
            check(name, e.status_code == status and bool(e.message), f"{e.status_code} {e.message}")

    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
