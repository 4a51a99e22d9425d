#!/usr/bin/env python3
"""Check that a tokenizer.json written by aepo encodes and decodes exactly as the Hugging Face
`tokenizers` library does.

    pip install tokenizers
    swift build
    # check an existing file (for example the one `aepo data generate` wrote):
    python3 scripts/check_tokenizer.py OUT/tokenizer.json --texts some.txt other.txt
    # or train one with aepo first, then check it:
    python3 scripts/check_tokenizer.py /tmp/tok.json --train corpus.txt --vocab-size 2000

Every text (each --texts file, taken byte for byte as UTF-8, and --random generated strings of
arbitrary Unicode: mixed scripts, emoji, combining marks, whitespace runs, CRLF, digits, tags) is
encoded by both (`aepo inspect tokenize`); their ids and decoded texts must be identical. Random id
lists (which may cut UTF-8 sequences) must decode identically too, with and without
skip_special_tokens. Prints a summary; exits 1 on any
mismatch.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

from tokenizers import Tokenizer

TAGS = ["<think>", "</think>", "<search>", "</search>", "<python>", "</python>", "<result>", "</result>",
        "<answer>", "</answer>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]

POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    " ", "  ", "\t", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x85", "\u00a0", "\u1680", "\u2000\u2007\u200a",
    "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u200b\u200c\u200d\ufeff",
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÉÎÕÜŒœŠšŽžſ",
    "\u0300\u0301\u0302\u0303\u0308\u030a\u0327\u0323\u0331\u0334\u0316\u20dd",
    # combining marks of many Unicode versions (normalization data differs by version)
    "\u0b4d\u05ab\u0f85\u1ab0\u1abf\u1dfa\u08cd\ua82c\U00016ff0\U0001e2ec\U00011f41\U0001e134\U00010f85\U00011d97",
    "\u1100\u1161\u11a8\uac00\u11c2\u1112\u1175",
    "\U00010041\U00020041\U0001d400\U0001f600\U00011f04\U00010570",
    "ΑΒΓΔαβγδεζηθλμξπρσςτφχψωάέήίό",
    "АБВГДЕЖЗИЙКЛМНОПабвгдежзийклмнопрстуфхцчшщъыьэюяё",
    "東京タワーは日本語の文章ですかなカタカナひらがな漢字中文汉字",
    "한국어텍스트가나다\u1100\u1161\u11a8",
    "العربيةمرحبا\u064b\u0650",
    "हिन्दीनमस्ते\u093f\u094d",
    "٠١٢٣٤٥٦٧٨٩०१२३४५६७८९",
    "²³¹¼½¾ⅠⅡⅢⅫ①②③",
    "😀😃🎉👍🏽👨\u200d👩\u200d👧🇫🇷🇯🇵❤️✨🤖",
    "ＦＵＬＬｗｉｄｔｈ０１２！？",
    "€£¥©®™°±×÷§¶•…‘’“”–—",
    "\ue000\uf8ff",
]
WORDS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL", "'D", "'ſ",
         "don't", "I'M", "we'll", "the", " the", "  ", "\r\n\r\n", " \n ", "1234567", "3.14", "-42"] + TAGS


def random_text(rng):
    parts = []
    for _ in range(rng.randint(0, 25)):
        choice = rng.random()
        if choice < 0.15:
            parts.append(rng.choice(WORDS))
        elif choice < 0.2:
            parts.append(chr(rng.choice([rng.randint(0x20, 0xD7FF), rng.randint(0xE000, 0xFFFD),
                                         rng.randint(0x10000, 0x2FFFF)])))
        else:
            pool = rng.choice(POOLS)
            parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 6))) if len(pool) > 4 else pool)
    return "".join(parts)


def default_aepo():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for configuration in ("release", "debug"):
        path = os.path.join(root, ".build", configuration, "aepo")
        if os.path.exists(path):
            return path
    return "aepo"


class Aepo:
    def __init__(self, binary, tokenizer, workdir):
        self.binary, self.tokenizer, self.workdir = binary, tokenizer, workdir

    def _run(self, payload, *flags):
        path = os.path.join(self.workdir, "input")
        with open(path, "wb") as f:
            f.write(payload)
        result = subprocess.run([self.binary, "inspect", "tokenize", "--tokenizer", self.tokenizer,
                                 "--input", path, *flags], capture_output=True)
        if result.returncode != 0:
            raise RuntimeError(result.stderr.decode("utf-8", "replace").strip())
        return json.loads(result.stdout)

    def encode(self, text):
        return self._run(text.encode("utf-8"))["ids"]

    def decode(self, ids, skip_special_tokens=False):
        flags = ["--decode"] + (["--skip-special-tokens"] if skip_special_tokens else [])
        return self._run(json.dumps({"ids": ids}).encode("utf-8"), *flags)["text"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tokenizer", help="tokenizer.json written by aepo (written first if --train is given)")
    parser.add_argument("--texts", nargs="*", default=[], help="UTF-8 text files to compare on")
    parser.add_argument("--train", nargs="*", default=[], help="train the tokenizer with aepo on these files first")
    parser.add_argument("--vocab-size", type=int, default=2000)
    parser.add_argument("--random", type=int, default=200, help="number of generated strings compared one by one")
    parser.add_argument("--joined", type=int, default=5000, help="number of generated strings compared as one text")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--aepo", default=default_aepo(), help="the aepo executable")
    args = parser.parse_args()

    if args.train:
        command = [args.aepo, "inspect", "train-tokenizer", "--input", *args.train, "--vocab-size", str(args.vocab_size),
                   "--out", args.tokenizer]
        for tag in TAGS:
            command += ["--special-token", tag]
        subprocess.run(command, check=True)

    reference = Tokenizer.from_file(args.tokenizer)
    rng = random.Random(args.seed)
    texts = []
    for path in args.texts:
        with open(path, "rb") as f:
            texts.append((path, f.read().decode("utf-8")))
    generated = [random_text(rng) for _ in range(args.random)]
    texts += [(f"random[{i}]", text) for i, text in enumerate(generated)]
    texts.append((f"{args.joined} generated strings joined", "\n".join(random_text(rng) for _ in range(args.joined))))

    mismatches = []
    token_count = 0
    vocab_size = reference.get_vocab_size(with_added_tokens=True)
    added_ids = sorted(reference.get_added_tokens_decoder())
    with tempfile.TemporaryDirectory() as workdir:
        aepo = Aepo(args.aepo, args.tokenizer, workdir)
        for name, text in texts:
            expected = reference.encode(text, add_special_tokens=False).ids
            token_count += len(expected)
            got = aepo.encode(text)
            if got != expected:
                first = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
                context = reference.decode(expected[max(first - 3, 0):first + 3])
                mismatches.append(f"encode {name}: first difference at token {first} (near {context!r}): "
                                  f"tokenizers {expected[first:first + 8]} aepo {got[first:first + 8]}")
                continue
            if aepo.decode(expected) != reference.decode(expected, skip_special_tokens=False):
                mismatches.append(f"decode {name} {text[:80]!r}")
        for i in range(args.random // 4):
            ids = [rng.choice(added_ids) if added_ids and rng.random() < 0.2 else rng.randrange(vocab_size)
                   for _ in range(rng.randint(0, 12))]
            for skip in (False, True):
                if aepo.decode(ids, skip) != reference.decode(ids, skip_special_tokens=skip):
                    mismatches.append(f"decode random ids {ids} (skip_special_tokens={skip})")

    print(f"tokenizer: {args.tokenizer} ({vocab_size} tokens)")
    print(f"texts compared: {len(texts)} ({len(args.texts)} files, {args.random} generated, 1 of {args.joined} joined); "
          f"tokens: {token_count}; random id lists decoded: {args.random // 4}")
    print(f"mismatches: {len(mismatches)}")
    for line in mismatches[:20]:
        print("  " + line)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
