#!/usr/bin/env python3
"""The peer of `anketa merge` in benches/merge.sh: the same dedupe and CSV with the standard
json and csv modules, written the way a script usually is (everything loaded, then written).

usage: merge_peer.py OUT_DIR INPUT_DIR...
"""
import csv
import json
import os
import sys


def files(dirs):
    for d in dirs:
        for root, subdirs, names in os.walk(d):
            subdirs[:] = sorted(s for s in subdirs if s != "questionnaires" and not s.startswith("."))
            for n in sorted(names):
                if n.endswith(".json"):
                    yield os.path.join(root, n)


def rank(r):
    return (r["revision"], r["status"] == "completed", r["updated"], json.dumps(r, sort_keys=True))


def main():
    out, inputs = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    best, rejected = {}, 0
    for p in files(inputs):
        try:
            with open(p, encoding="utf-8") as f:
                r = json.load(f)
            if r.get("format") != "anketa-interview/1":
                raise ValueError("format")
        except (ValueError, UnicodeDecodeError):
            rejected += 1
            continue
        old = best.get(r["id"])
        if old is None or rank(r) > rank(old):
            best[r["id"]] = r
    merged = sorted((r for r in best.values() if r["status"] == "completed"),
                    key=lambda r: (r["questionnaire"]["id"], r["id"]))
    variables = sorted({v for r in merged for v in r["answers"]})
    meta = ["id", "interviewer", "device", "started", "completed", "duration_s", "revision"]
    with open(os.path.join(out, "interviews.ndjson"), "w", encoding="utf-8") as f:
        for r in merged:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(out, "data.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(meta + variables)
        for r in merged:
            row = [r["id"], r["interviewer"], r["device"], r["started"], r.get("completed", ""),
                   round(r["duration_ms"] / 1000), r["revision"]]
            for v in variables:
                a = r["answers"].get(v)
                val = a.get("value") if a and a["relevant"] else None
                row.append(" ".join(val) if isinstance(val, list) else ("" if val is None else val))
            w.writerow(row)
    print(f"python: merged {len(merged)}, rejected {rejected}", file=sys.stderr)


if __name__ == "__main__":
    main()
