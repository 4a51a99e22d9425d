#!/usr/bin/env python3
"""Compare two output trees of scripts/same_outputs.sh file by file: identical bytes after removing what legitimately
differs (the trees' own paths, wall-clock fields `time/*`, `tokens_per_s`, `time:` lines, TensorBoard files, logs,
HTML and checkpoints). Usage: scripts/compare_outputs.py A B"""
import json
import os
import sys

a_root, b_root = sys.argv[1], sys.argv[2]


def files(root):
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            skipped = ("events.out.tfevents" in name or "/checkpoints/" in "/" + relative
                       or name.endswith((".log", ".html")))
            if not skipped:
                found[relative] = path
    return found


def normalised(path):
    data = open(path, "rb").read()
    for root in (a_root, b_root):
        data = data.replace(root.encode(), b"ROOT").replace(root.replace("/", "\\/").encode(), b"ROOT")
    if path.endswith(".jsonl"):
        lines = []
        for line in data.decode().splitlines():
            record = json.loads(line)
            if isinstance(record, dict):
                record = {k: v for k, v in record.items() if not k.startswith("time/") and k != "tokens_per_s"}
            lines.append(json.dumps(record, sort_keys=True))
        return "\n".join(lines).encode()
    if path.endswith("summary.json"):
        record = json.loads(data)
        record.pop("seconds", None)
        return json.dumps(record, sort_keys=True).encode()
    if path.endswith((".md", ".txt")):
        return b"\n".join(line for line in data.splitlines() if not line.startswith(b"time:"))
    return data


a, b = files(a_root), files(b_root)
same = 0
for relative in sorted(set(a) | set(b)):
    if relative not in a or relative not in b:
        print("only in", a_root if relative in a else b_root, relative)
    elif normalised(a[relative]) == normalised(b[relative]):
        same += 1
    else:
        print("differs", relative)
print(f"{same} identical")
