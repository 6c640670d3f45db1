#!/usr/bin/env python3
"""Writes benches/stress.json, the Engine 2 stress questionnaire of issue 12 (deterministic:
the same file on every run; the committed copy is its output).

    python3 benches/stress_questionnaire.py [OUT]

What it holds (docs/benchmarks.md, section "Engine 2 stress questionnaire (issue 12)"):

- 10 blocks; 600 questions that are asked (including 10 notes) plus 300 calculations, 900 in all;
- `district`, a single of 31 options, and `settlement`, a single of 5,000 options, each with
  `"attributes": {"district": "dNN"}` and `"choice_filter": "district = ${district}"`
  (161 or 162 settlements per district);
- 15 chains of 20 calculations (c01_01 … c15_20): link k uses link k-1 and an answer of its
  block — `+`, `if()`, `round()`, `int()`/`count-selected()`, `max()`/`coalesce()`, and the
  last link is a `concat()` text: dependency depth 20;
- numbers, singles, multis, texts, dates and notes; every third asked question is `relevant`
  on a calculation, two blocks are relevant on an answer or a calculation outside them;
- 100 texts that pipe `${...}`: 59 question texts (30 of them notes), 25 hints, 15 option
  labels and a block title;
- defaults (`default`, `default_calculation`), constraints and warnings on numbers.
"""

import json
import random
import sys

BLOCKS = 10
ASKED = 600  # questions asked (district and settlement included)
CHAINS = 15
DEPTH = 20
DISTRICTS = 31
SETTLEMENTS = 5000

rng = random.Random(12)
SYL = ["bel", "ozer", "kras", "nov", "dub", "ov", "ka", "ino", "sk", "yar", "gor", "les", "pol", "rech",
       "mal", "vol", "sos", "ny", "ev", "ye", "lip", "ber", "zov", "tal"]


def settlement_name(k):
    w = "".join(rng.choice(SYL) for _ in range(rng.randint(2, 3)))
    return f"{w.capitalize()} {k}"


def asked_kind(i):
    """The type of asked question i (0 and 1 are district and settlement)."""
    r = i % 20
    if r == 9:
        return "note"
    if r == 19:
        return "date"
    return ["number", "number", "number", "number", "number", "single", "single", "multi", "text", "number"][r % 10]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "benches/stress.json"
    per_block = ASKED // BLOCKS
    # Asked questions: ids and kinds, block by block.
    asked = []  # (block, id, kind)
    for i in range(ASKED):
        b = i // per_block
        if i == 0:
            asked.append((b, "district", "district"))
        elif i == 1:
            asked.append((b, "settlement", "settlement"))
        else:
            k = asked_kind(i)
            asked.append((b, f"{k[0]}{i:03}", k))
    by_block = {b: [a for a in asked if a[0] == b] for b in range(BLOCKS)}
    numbers = {b: [a[1] for a in by_block[b] if a[2] == "number"] for b in range(BLOCKS)}
    multis = {b: [a[1] for a in by_block[b] if a[2] == "multi"] for b in range(BLOCKS)}

    # Calculations: chain j, link k in block (k-1)//2; each uses one number of its block.
    calcs = {b: [] for b in range(BLOCKS)}  # block -> [(id, expr)]
    calc_block = {}
    for j in range(1, CHAINS + 1):
        for k in range(1, DEPTH + 1):
            b = (k - 1) // 2
            cid = f"c{j:02}_{k:02}"
            p = f"${{c{j:02}_{k - 1:02}}}"
            ns = numbers[b]
            n = f"${{{ns[(j * 7 + k * 3) % len(ns)]}}}"
            m = f"${{{multis[b][(j + k) % len(multis[b])]}}}"
            if k == 1:
                n2 = f"${{{ns[(j * 5 + 1) % len(ns)]}}}"
                e = f"coalesce({n}, 0) + coalesce({n2}, 0)"
            elif k == DEPTH:
                e = f"concat('Σ ', {p}, ' (', if({p} > 1000, 'high', 'low'), ')')"
            elif k % 5 == 1:
                e = f"{p} + coalesce({n}, 0)"
            elif k % 5 == 2:
                e = f"if({n} > 50, {p} + {n}, {p} - 1)"
            elif k % 5 == 3:
                e = f"round({p} * 1.05 + coalesce({n}, 0) div 3, 2)"
            elif k % 5 == 4:
                e = f"int({p}) + count-selected({m})"
            else:
                e = f"max({p}, coalesce({n}, 0))"
            calcs[b].append((cid, e))
            calc_block[cid] = b

    def calc_before(b, salt):
        """A numeric calculation of the block before b (never a chain's text link): its
        inputs are all in earlier blocks, so conditions on it cannot form a cycle."""
        k = min(2 * max(b - 1, 0) + 1 + salt % 2, DEPTH - 1)
        return f"c{(salt % CHAINS) + 1:02}_{k:02}"

    piped = {"text": 0, "qtext": 0, "hint": 0, "label": 0}
    blocks = []
    for b in range(BLOCKS):
        qs = []
        # Calculations interleaved: one after every second asked question.
        cl = list(calcs[b])
        for idx, (_, qid, kind) in enumerate(by_block[b]):
            i = asked.index((b, qid, kind))
            q = {"id": qid}
            if kind == "district":
                q.update(type="single", text="District", hint="Choose the district first; the settlements follow it.",
                         options=[{"code": f"d{d:02}", "label": f"District {d:02}"} for d in range(1, DISTRICTS + 1)])
            elif kind == "settlement":
                q.update(type="single", text="Settlement in ${district}", choice_filter="district = ${district}",
                         options=[{"code": f"s{s:04}", "label": settlement_name(s),
                                   "attributes": {"district": f"d{(s % DISTRICTS) + 1:02}"}}
                                  for s in range(1, SETTLEMENTS + 1)])
                piped["text"] += 1
            elif kind == "number":
                q.update(type="number", text=f"Number {i}", min=0, max=1000000, unit="people", constraint=". >= 0",
                         constraint_message="Not negative.")
                if i % 7 == 0:
                    q.update(warning=". <= 900", warning_message="More than 900 (${settlement}): please confirm.")
                if i % 25 == 2:
                    q["default"] = 0
                elif i % 40 == 3:
                    q["default_calculation"] = f"max(0, round({'${' + calc_before(b, i) + '}'}, 0))"
            elif kind == "single":
                q.update(type="single", text=f"Single {i}",
                         options=[{"code": str(o), "label": f"Option {o}"} for o in range(1, 6)])
                if piped["label"] < 15 and i % 2 == 1:
                    q["options"][4]["label"] = "As in ${district}"
                    piped["label"] += 1
            elif kind == "multi":
                q.update(type="multi", text=f"Multi {i}", options=[{"code": str(o), "label": f"Item {o}"} for o in range(1, 6)]
                         + [{"code": "dk", "label": "Hard to say", "exclusive": True, "missing": "dont_know"}])
            elif kind == "text":
                q.update(type="text", text=f"Text {i}", required=False, max_length=200)
            elif kind == "date":
                q.update(type="date", text=f"Date {i}", required=False, constraint=". <= '2030-12-31'")
            elif kind == "note":
                q.update(type="note", text=f"Running totals: ${{c{(i % CHAINS) + 1:02}_{DEPTH:02}}}")
                piped["text"] += 1
            # Piping into question texts (a calculation, an earlier answer or the settlement).
            if kind not in ("district", "settlement", "note") and i % 10 == 3 and piped["qtext"] < 28:
                src = [f"${{{calc_before(b, i)}}}", "${settlement}", f"${{{asked[i - 1][1]}}}"][i % 3]
                q["text"] = f"{q['text']}: about {src}, how many?"
                piped["qtext"] += 1
            if kind not in ("district", "settlement") and i % 24 == 5 and piped["hint"] < 25:
                q["hint"] = f"So far: {'${' + calc_before(b, i + 1) + '}'}; district ${{district}}."
                piped["hint"] += 1
            # Relevance on calculations.
            if kind not in ("district", "settlement") and i % 3 == 0 and b > 0:
                c = "${" + calc_before(b, i) + "}"
                q["relevant"] = f"{c} > -100 or {c} = ''" if i % 2 else f"coalesce({c}, 0) < 100000000"
            qs.append(q)
            if idx % 2 == 1 and cl:
                cid, e = cl.pop(0)
                qs.append({"id": cid, "type": "calculate", "calculation": e})
        for cid, e in cl:
            qs.append({"id": cid, "type": "calculate", "calculation": e})
        block = {"id": f"b{b:02}", "title": f"Block {b + 1}", "questions": qs}
        if b == 5:
            block["relevant"] = "${district} != ''"
        elif b == 7:
            block["relevant"] = "coalesce(${c01_10}, 0) > -1000"
        elif b == 2:
            block["title"] = "Block 3, ${settlement}"
        blocks.append(block)

    # Top up to 100 piped texts with hints if the rules above fell short.
    total = sum(piped.values()) + 1  # + block 3's title
    for blk in blocks:
        for q in blk["questions"]:
            if total >= 100:
                break
            if q["type"] in ("number", "text", "single", "multi") and "hint" not in q and q["id"][1:].isdigit():
                q["hint"] = "Check against ${district}."
                piped["hint"] += 1
                total += 1

    doc = {"id": "stress", "version": "1", "title": "Engine 2 stress questionnaire (issue 12)",
           "short_title": "STRESS", "language": "en",
           "intro": "Generated by benches/stress_questionnaire.py; not for fieldwork.", "blocks": blocks}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # One question per line: small diffs, readable.
    text = text.replace(',{"id":', ',\n{"id":').replace(',{"code":"s', ',\n{"code":"s')
    with open(out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    n_asked = sum(1 for blk in blocks for q in blk["questions"] if q["type"] != "calculate")
    n_calc = sum(1 for blk in blocks for q in blk["questions"] if q["type"] == "calculate")
    print(f"{out}: {len(text) + 1} bytes; {len(blocks)} blocks, {n_asked} questions + {n_calc} calculations; "
          f"piped texts {total} ({piped})", file=sys.stderr)


if __name__ == "__main__":
    main()
