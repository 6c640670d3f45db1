#!/usr/bin/env python3
"""Times and reports the XLSForm corpus run of benches/xlsform_corpus.sh.

    python3 benches/xlsform_corpus.py BIN FORMS_DIR OUT_DIR [REPS]

Reads OUT_DIR/results.tsv (the chain, one row per form) and OUT_DIR/runs/FILE/import.err (the
warnings), times each imported form's conversion, best of REPS runs, by
  - `BIN import FORM --out q.json` (a process, as a user runs it),
  - `xls2xform --skip_validate FORM out.xml` (a process, as a user runs it),
  - pyxform's `convert(xlsform=FORM)` in this warm Python process (no interpreter start-up),
and prints a Markdown report: figures, the most common warnings, the speed table, the failures.
"""
import collections
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

BIN, FORMS, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
REPS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
ENV = dict(os.environ, ANKETA_DATA_DIR=os.path.join(OUT, "timing-data"))

rows = list(csv.DictReader(open(os.path.join(OUT, "results.tsv"), newline=""), delimiter="\t"))


def best(fn):
    times = []
    for _ in range(REPS):
        t = time.perf_counter()
        ok = fn()
        times.append(time.perf_counter() - t)
        if not ok:
            return None
    return min(times)


def anketa_import(form, dest):
    return lambda: subprocess.run(
        [BIN, "--lang", "en", "import", form, "--out", dest],
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ).returncode == 0


def xls2xform(form, dest):
    return lambda: subprocess.run(
        ["xls2xform", "--skip_validate", form, dest],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ).returncode == 0


from pyxform.xls2xform import convert  # noqa: E402  (after the subprocess helpers: imported once)


def pyxform_convert(form):
    def run():
        try:
            convert(xlsform=form, validate=False, pretty_print=False)
            return True
        except Exception:  # pyxform refuses the form: recorded as a refusal, not timed
            return False
    return run


def pyxform_reason(form):
    try:
        convert(xlsform=form, validate=False, pretty_print=False)
        return ""
    except Exception as e:  # the reason pyxform gives, first line
        return (str(e).strip().splitlines() or [type(e).__name__])[0][:160]


tmp = os.path.join(OUT, "timing")
os.makedirs(tmp, exist_ok=True)
timed = []
for r in rows:
    if r["status"] != "ok":
        continue
    form = os.path.join(FORMS, r["file"])
    a = best(anketa_import(form, os.path.join(tmp, "q.json"))) if r["import"] == "0" else None
    x = best(xls2xform(form, os.path.join(tmp, "out.xml")))
    p = best(pyxform_convert(form))
    r["anketa_s"], r["xls2xform_s"], r["pyxform_s"] = a, x, p
    r["pyxform_reason"] = pyxform_reason(form) if p is None else ""
    r["bytes"] = os.path.getsize(form)
    timed.append(r)
    print(f"{r['file']}: anketa {a}, xls2xform {x}, pyxform {p}", file=sys.stderr)
shutil.rmtree(tmp, ignore_errors=True)


def category(message):
    """A warning without its cell and names: what kind of warning it is."""
    m = re.sub(r"^warning: .*?: (?=[A-Za-z_ -]+![A-Z]+\d+: |[a-z_-]+: )", "", message.strip(), count=1)
    m = re.sub(r"^[A-Za-z_ -]+![A-Z]+\d+: ", "", m)
    m = re.sub(r"`[^`]*`", "`…`", m)
    m = re.sub(r"'[^']*'", "'…'", m)
    m = re.sub(r"; known: .*", "", m)
    m = re.sub(r"^metadata .* dropped", "metadata … dropped", m)
    m = re.sub(r"^([\w-]+) [^ :]+: (dropped|asked as text)", r"\1 …: \2", m)
    m = re.sub(r"^[^ ]+ has no label", "… has no label", m)
    m = re.sub(r"^(list|choice|group|repeat|loop) [^ ]+ ", r"\1 … ", m)
    m = re.sub(r" of list [^ ]+ ", " of list … ", m)
    m = re.sub(r"\(first at row \d+\)", "(first at row …)", m)
    m = re.sub(r"^(unknown type `…`) \(.*\)", r"\1", m)
    m = re.sub(r"^[^ ]+: sheet", "sheet", m)
    return m[:110]


warn_total = collections.Counter()
warn_forms = collections.Counter()
for r in rows:
    path = os.path.join(OUT, "runs", r["file"], "import.err")
    if not os.path.exists(path):
        continue
    seen = set()
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith("warning: "):
            c = category(line)
            warn_total[c] += 1
            if c not in seen:
                warn_forms[c] += 1
                seen.add(c)

n = len(rows)
fetched = [r for r in rows if r["status"] == "ok"]
imported = [r for r in fetched if r["import"] == "0"]
checked = [r for r in imported if r["check"] == "0"]
chain = [r for r in fetched if r["chain"] == "1"]
drafts = [r for r in fetched if r["chain"] == "2"]
orgs = collections.Counter(r["organisation"] for r in rows)


def pct(a, b):
    return f"{100 * a / b:.0f} %" if b else "–"


print("## The corpus: figures\n")
print(f"{n} forms from {len(orgs)} organisations"
      + (f" ({n - len(fetched)} could not be fetched)" if len(fetched) < n else "") + ":\n")
print("| organisation | forms | import | check | whole chain |")
print("|---|---|---|---|---|")
for o, k in orgs.most_common():
    rs = [r for r in fetched if r["organisation"] == o]
    print(f"| {o} | {k} | {sum(r['import'] == '0' for r in rs)} | "
          f"{sum(r['check'] == '0' for r in rs)} | {sum(r['chain'] == '1' for r in rs)} |")
print(f"| **all** | **{len(fetched)}** | **{len(imported)}** ({pct(len(imported), len(fetched))}) | "
      f"**{len(checked)}** ({pct(len(checked), len(fetched))}) | "
      f"**{len(chain)}** ({pct(len(chain), len(fetched))}) |\n")
if drafts:
    print(f"{len(drafts)} more go through the chain with their interviews in progress "
          f"(`merge --include-incomplete`): no simulated interview was completed (below).\n")
completed = [int(r["merged"] or 0) for r in chain]
full = sum(c == 20 for c in completed)
print(f"Of the {len(chain)} forms through the chain, {full} have all 20 simulated interviews completed "
      f"(the others keep some in progress: random answers that a constraint keeps refusing); "
      f"{sum(completed)} interviews merged in all.\n")

pyx_ok = [r for r in timed if r["pyxform_s"] is not None]
print(f"pyxform (`xls2xform`) converts {len(pyx_ok)} of the {len(timed)} forms; "
      f"anketa imports {len(imported)}.\n")

print("## The most common warnings\n")
print("| warning (names left out) | forms | times |")
print("|---|---|---|")
for c, k in warn_forms.most_common(20):
    cell = c.replace("|", "\\|")
    print(f"| {cell} | {k} | {warn_total[c]} |")
print()

both = [r for r in timed if r["anketa_s"] is not None and r["pyxform_s"] is not None
        and r["xls2xform_s"] is not None]
print("## Import speed against pyxform (same run)\n")
print(f"Best of {REPS} runs per form; the forms both convert ({len(both)}).\n")
print("| case | anketa import | xls2xform (command) | ratio | pyxform convert (library) | ratio |")
print("|---|---|---|---|---|---|")


def ms(s):
    return f"{1000 * s:.1f} ms" if s < 10 else f"{s:.1f} s"


def line(name, a, x, p):
    print(f"| {name} | {ms(a)} | {ms(x)} | {x / a:.1f}× | {ms(p)} | {p / a:.1f}× |")


if both:
    line(f"all {len(both)} forms, total", sum(r["anketa_s"] for r in both),
         sum(r["xls2xform_s"] for r in both), sum(r["pyxform_s"] for r in both))
    line("median form", statistics.median(r["anketa_s"] for r in both),
         statistics.median(r["xls2xform_s"] for r in both),
         statistics.median(r["pyxform_s"] for r in both))
    for r in sorted(both, key=lambda r: -r["pyxform_s"])[:5]:
        line(f"`{r['file']}` ({r['bytes'] // 1024} KiB)", r["anketa_s"], r["xls2xform_s"], r["pyxform_s"])
slowest = max((r for r in timed if r["anketa_s"] is not None), key=lambda r: r["anketa_s"], default=None)
if slowest:
    print(f"\nThe slowest anketa import: `{slowest['file']}` ({slowest['bytes'] // 1024} KiB), "
          f"{ms(slowest['anketa_s'])}.\n")

def stuck(file):
    """The question the simulated interviews most often stop before: required, asked, and no
    random answer met its constraint."""
    import glob
    import json
    run = os.path.join(OUT, "runs", file)
    q = json.load(open(os.path.join(run, "q.json"), encoding="utf-8"))
    order = []

    def walk(items):
        for it in items:
            order.append(it)
            if it.get("type") == "roster":
                walk(it.get("questions", []))
    for b in q["blocks"]:
        walk(b["questions"])
    counts = collections.Counter()
    for p in glob.glob(os.path.join(run, "sim", "interviews", "*.json")):
        answers = json.load(open(p, encoding="utf-8")).get("answers", {})
        for it in order:
            if it.get("required", True) and it["type"] not in ("note", "calculate", "roster") \
                    and it["id"] not in answers:
                counts[it["id"]] += 1
                break
    if not counts:
        return "no required question left unanswered at the top level"
    qid, k = counts.most_common(1)[0]
    it = next(i for i in order if i["id"] == qid)
    return (f"{k} stop at `{qid}` ({it['type']}, constraint `{it.get('constraint', '')}`): "
            "random answers do not meet it")


print("## Forms that do not pass the whole chain\n")
for r in rows:
    if r["chain"] == "1":
        continue
    if r["status"] != "ok":
        why = "could not be fetched"
    elif r["import"] != "0":
        errs = [l.strip() for l in open(os.path.join(OUT, "runs", r["file"], "import.err"),
                                        encoding="utf-8", errors="replace") if l.startswith("error: ")]
        why = f"import exit {r['import']}: " + (re.sub(r"^error: .*?: ", "", errs[-1]) if errs else "")
    else:
        step = next((s for s in ("check", "simulate", "merge", "report") if r[s] != "0"), None)
        if step is None:
            why = "simulate: none of the 20 interviews completed; " + stuck(r["file"])
        else:
            out = os.path.join(OUT, "runs", r["file"], f"{step}.out")
            text = open(out, encoding="utf-8", errors="replace").read().strip().splitlines() if os.path.exists(out) else []
            why = f"{step}: " + (text[-1] if text else "")
    pyx = next((t for t in timed if t["file"] == r["file"]), None)
    pyx = "pyxform: converts" if pyx and pyx["pyxform_s"] is not None else (
        f"pyxform: refuses ({pyx['pyxform_reason']})" if pyx else "")
    print(f"- `{r['file']}` ({r['organisation']}): {why}; {pyx}")
