"""The peer of `anketa report` in benches/report.sh: the same percentages with pandas.

    python3 benches/report_peer.py interviews.ndjson questionnaires/nko.json questionnaires/omsu.json

Reads the NDJSON with the standard json module, builds one long DataFrame of the choice answers
(questionnaire, variable, code; answers kept with "relevant": false left out, as the report does),
and computes per questionnaire and variable the base (respondents who answered) and the share
of each code: for a single choice the shares of one answer, for a multiple choice the share of
respondents choosing each code. Prints the table as CSV. No tests, no fieldwork, no rendering:
the percentages only, which is the part a sociologist would otherwise script by hand.
"""

import json
import sys

import pandas as pd


def main() -> None:
    path, qfiles = sys.argv[1], sys.argv[2:]
    kinds = {}
    for qf in qfiles:
        with open(qf, encoding="utf-8") as f:
            q = json.load(f)
        for block in q["blocks"]:
            for question in block["questions"]:
                if question["type"] in ("single", "multi"):
                    kinds[(q["id"], question["id"])] = question["type"]
    qs, vs, cs = [], [], []
    bq, bv = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            qid = r["questionnaire"]["id"]
            for var, a in r["answers"].items():
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
    answers = pd.DataFrame({"questionnaire": qs, "variable": vs, "code": cs})
    bases = pd.DataFrame({"questionnaire": bq, "variable": bv}).value_counts().rename("base")
    counts = pd.crosstab([answers["variable"], answers["code"]], answers["questionnaire"])
    long = counts.stack().rename("count").reset_index()
    long = long.join(bases, on=["questionnaire", "variable"])
    long["percent"] = long["count"] * 100.0 / long["base"]
    table = long.pivot_table(index=["variable", "code"], columns="questionnaire", values="percent")
    table.round(1).to_csv(sys.stdout)


if __name__ == "__main__":
    main()
