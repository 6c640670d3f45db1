"""The peer of `anketa report` on roster interviews in benches/report.sh: the roster percentages
with pandas.

    python3 benches/report_roster_peer.py ndjson MERGED/interviews.ndjson questionnaires/projects.json
    python3 benches/report_roster_peer.py csv MERGED questionnaires/projects.json

The percentages are those of the report's roster tables: for every choice question asked in a
roster (at any depth), per questionnaire, the base is the live instances (not removed) in which
it was answered as relevant, and each code's share of that base (for a multiple choice, the
share of instances choosing the code).

- `ndjson`: reads the merged NDJSON with the standard json module, as benches/report_peer.py
  does for flat interviews, walks each record's nested instances (removed ones and their nested
  instances left out, answers kept with "relevant": false left out), builds one long DataFrame
  of (questionnaire, variable, code) and computes the shares with pandas.
- `csv`: reads the long roster CSVs of the merge output (`<questionnaire>.<roster>.csv`: one row
  per live instance, irrelevant answers already blank) with `pandas.read_csv` (its C parser),
  only the columns of the choice questions, and counts each column. This is the quickest way
  pandas gets there: the merge has already walked the records, dropped removed instances and
  blanked irrelevant answers.

Neither recomputes relevance (both trust the stored flags); the report does. Prints the table
as CSV. No tests, no instance counts, no rendering: the percentages only.
"""

import json
import os
import sys

import pandas as pd


def roster_choices(qfile):
    """(questionnaire id, {roster: [(variable, type)]}) of the choice questions in rosters."""
    with open(qfile, encoding="utf-8") as f:
        q = json.load(f)
    out = {}

    def walk(questions, roster):
        for question in questions:
            if question["type"] == "roster":
                out.setdefault(question["id"], [])
                walk(question["questions"], question["id"])
            elif roster is not None and question["type"] in ("single", "multi"):
                out[roster].append((question["id"], question["type"]))

    for block in q["blocks"]:
        walk(block["questions"], None)
    return q["id"], out


def from_ndjson(path, qfiles):
    kinds = set()
    for qf in qfiles:
        qid, rosters = roster_choices(qf)
        for questions in rosters.values():
            kinds.update((qid, var) for var, _ in questions)
    qs, vs, cs = [], [], []
    bq, bv = [], []

    def walk(qid, rosters):
        for instances in rosters.values():
            for inst in instances:
                if "removed" in inst:
                    continue
                for var, a in inst["answers"].items():
                    if not a.get("relevant") or "value" not in a or (qid, var) not in kinds:
                        continue
                    v = a["value"]
                    codes = v if isinstance(v, list) else [v]
                    if not codes:
                        continue
                    bq.append(qid)
                    bv.append(var)
                    for c in codes:
                        qs.append(qid)
                        vs.append(var)
                        cs.append(c)
                walk(qid, inst.get("rosters", {}))

    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            walk(r["questionnaire"]["id"], r.get("rosters", {}))
    answers = pd.DataFrame({"questionnaire": qs, "variable": vs, "code": cs})
    bases = pd.DataFrame({"questionnaire": bq, "variable": bv}).value_counts().rename("base")
    counts = pd.crosstab([answers["variable"], answers["code"]], answers["questionnaire"])
    long = counts.stack().rename("count").reset_index()
    long = long.join(bases, on=["questionnaire", "variable"])
    long["percent"] = long["count"] * 100.0 / long["base"]
    return long.pivot_table(index=["variable", "code"], columns="questionnaire", values="percent")


def from_csv(folder, qfiles):
    parts = []
    for qf in qfiles:
        qid, rosters = roster_choices(qf)
        for roster, questions in rosters.items():
            if not questions:
                continue
            path = os.path.join(folder, f"{qid}.{roster}.csv")
            singles = [v for v, t in questions if t == "single"]
            multis = [v for v, t in questions if t == "multi"]
            df = pd.read_csv(path, usecols=singles + multis, dtype=str)
            for var in singles:
                col = df[var].dropna()
                pct = col.value_counts() * 100.0 / len(col)
                parts.append(pd.DataFrame({"variable": var, "code": pct.index, qid: pct.values}))
            for var in multis:
                col = df[var].dropna().str.split()
                codes = col.explode()
                pct = codes.value_counts() * 100.0 / len(col)
                parts.append(pd.DataFrame({"variable": var, "code": pct.index, qid: pct.values}))
    table = pd.concat(parts)
    return table.groupby(["variable", "code"]).first()


def main() -> None:
    mode, path, qfiles = sys.argv[1], sys.argv[2], sys.argv[3:]
    table = from_ndjson(path, qfiles) if mode == "ndjson" else from_csv(path, qfiles)
    table.round(1).to_csv(sys.stdout)


if __name__ == "__main__":
    main()
