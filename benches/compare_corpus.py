#!/usr/bin/env python3
"""Builds the fault-laden corpus of benches/compare.sh (about 10,000 interview files).

    python3 benches/compare_corpus.py BIN REPO DEST

BIN writes the clean interviews (`anketa simulate`, fixed seeds) and two merge outputs the corpus
contains; everything else is done here with one fixed-seed generator, over sorted file lists, so
the same BIN gives the same bytes. Layout of DEST (the inputs of the comparison are
DEST/corpus/field and DEST/corpus/usb):

  corpus/field/{north,south,training}/laptopNN/   laptops' data dirs (interviews/, questionnaires/,
                                                  device, config.json), some files damaged in place
  corpus/usb/...                                  what a supervisor collected on a USB stick:
                                                  copies, conflicting copies, damaged copies, an
                                                  NDJSON with broken lines, an earlier merge
                                                  output, links, junk, nested folders
  aux/                                            questionnaires that are not inside the inputs
                                                  (for --questionnaire, check, codebook), quota
                                                  files, weights
  counts.tsv                                      files per kind of fault (printed by compare.sh)
"""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter

BIN, REPO, DEST = sys.argv[1:4]
CORPUS = os.path.join(DEST, "corpus")
FIELD = os.path.join(CORPUS, "field")
USB = os.path.join(CORPUS, "usb")
AUX = os.path.join(DEST, "aux")
GEN = os.path.join(DEST, "gen")  # simulate's output, distributed to laptops, then deleted
rng = random.Random(20210115)
counts = Counter()


def sh(*args):
    subprocess.run([BIN, *args], check=True, stdout=subprocess.DEVNULL)


def dump(rec):
    """An interview file as anketa writes it (pretty, two spaces, final newline)."""
    return (json.dumps(rec, ensure_ascii=False, indent=2) + "\n").encode()


def write(path, data, kind=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    if kind:
        counts[kind] += 1


def questions(qpath):
    q = json.load(open(qpath, encoding="utf-8"))
    return {x["id"]: x for b in q["blocks"] for x in b["questions"]}


for d in (CORPUS, AUX, GEN):
    shutil.rmtree(d, ignore_errors=True)
os.makedirs(AUX)

# ---------------------------------------------------------------- questionnaires outside the bundle
demo = json.load(open(os.path.join(REPO, "questionnaires/demo.en.json"), encoding="utf-8"))
custom = dict(demo, id="demo_custom", title={"en": "Custom copy of the demo", "ru": "Копия демо"})
write(os.path.join(AUX, "demo_custom.json"), json.dumps(custom, ensure_ascii=False, indent=2) + "\n")
extra = dict(demo, id="demo_extra", version="7")
write(os.path.join(AUX, "demo_extra.json"), json.dumps(extra, ensure_ascii=False, indent=2) + "\n")
nko_src = open(os.path.join(REPO, "questionnaires/nko.json"), encoding="utf-8").read()
assert '"version": "2021.1"' in nko_src
write(os.path.join(AUX, "nko-2021.2.json"), nko_src.replace('"version": "2021.1"', '"version": "2021.2"', 1))
for w in ("weights-nko.json", "weights-omsu.json"):
    shutil.copy(os.path.join(REPO, "examples", w), AUX)
# broken questionnaires for `check`
bad = os.path.join(AUX, "bad")
write(os.path.join(bad, "truncated.json"), json.dumps(demo, indent=2)[:700])
write(os.path.join(bad, "not-json.json"), "id: demo\nversion: 1\n")
d2 = json.loads(json.dumps(demo)); d2["blocks"][0]["questions"][2]["id"] = "org_type"
write(os.path.join(bad, "duplicate-id.json"), json.dumps(d2, ensure_ascii=False, indent=2))
d2 = json.loads(json.dumps(demo)); d2["blocks"][1]["questions"][1]["relevant"] = "${contcat} = 'no'"
write(os.path.join(bad, "unknown-ref.json"), json.dumps(d2, ensure_ascii=False, indent=2))
d2 = json.loads(json.dumps(demo)); d2["blocks"][1]["questions"][1]["relevant"] = "${contact} = = 'no'"
write(os.path.join(bad, "bad-expr.json"), json.dumps(d2, ensure_ascii=False, indent=2))
d2 = json.loads(json.dumps(demo)); d2["blocks"][0]["questions"][1]["options"][1]["code"] = "ngo"
write(os.path.join(bad, "dup-code.json"), json.dumps(d2, ensure_ascii=False, indent=2))
d2 = json.loads(json.dumps(demo)); del d2["version"]; d2["blocks"][0]["questions"][1]["type"] = "choice"
write(os.path.join(bad, "missing-field.json"), json.dumps(d2, ensure_ascii=False, indent=2))
d2 = json.loads(json.dumps(demo)); d2["blocks"][0]["questions"][2]["min"] = 10; d2["blocks"][0]["questions"][2]["max"] = 1
write(os.path.join(bad, "min-over-max.json"), json.dumps(d2, ensure_ascii=False, indent=2))
# quota files for `report --quota`
write(os.path.join(AUX, "quota.csv"), "district,group,target\nalekseevsky,nko,200\nАлексеевский,ОМСУ,90\n"
      "kalachevsky,nko,250\nkalachevsky,omsu,100\nfrolovsky,НКО,150\nuryupinsky,omsu,60\n")
write(os.path.join(AUX, "quota-ru.csv"), "район;анкета;план\nbykovsky;nko;180\nЕланский;omsu;70\n")
write(os.path.join(AUX, "quota.json"), json.dumps({"nko": {"alekseevsky": 200, "bykovsky": 180},
                                                  "omsu": {"alekseevsky": 90, "kletsky": 40}}))
write(os.path.join(AUX, "quota-bad.csv"), "district,group,target\nbykovsk,nko,7\nkalachevsky,nko,many\n")
write(os.path.join(AUX, "weights-bad.json"), json.dumps({"district": {"atlantis": 3}, "no_var": {"x": 1}}))

# ---------------------------------------------------------------- clean interviews, per laptop
W = os.path.join(AUX, "weights-")
sims = [  # (questionnaire, count, seed, interviewers, incomplete share, weights, laptops)
    ("nko", 6000, 101, 8, 0.04, W + "nko.json", ["north/laptop01", "north/laptop02", "north/laptop03",
     "north/laptop04", "south/laptop05", "south/laptop06", "south/laptop07", "south/laptop08"]),
    ("omsu", 2600, 202, 6, 0.04, W + "omsu.json", ["north/laptop01", "north/laptop02", "north/laptop03",
     "south/laptop05", "south/laptop06", "south/laptop07"]),
    ("demo", 300, 303, 3, 0.1, None, ["training/laptop09", "training/laptop09", "training/laptop11"]),
    (os.path.join(AUX, "demo_custom.json"), 200, 404, 2, 0.05, None, ["training/laptop10", "training/laptop10"]),
    (os.path.join(AUX, "nko-2021.2.json"), 150, 505, 2, 0.0, None, ["south/laptop07", "south/laptop08"]),
    (os.path.join(AUX, "demo_extra.json"), 40, 606, 1, 0.0, None, None),  # stray, questionnaire not kept
]
for k, (q, n, seed, iv, inc, weights, laptops) in enumerate(sims):
    out = os.path.join(GEN, str(k))
    args = ["simulate", "--questionnaire", q, "--count", str(n), "--out", out, "--seed", str(seed),
            "--interviewers", str(iv), "--incomplete-share", str(inc)]
    sh(*args, *(["--weights", weights] if weights else []))
    files = sorted(os.listdir(os.path.join(out, "interviews")))
    qcopies = sorted(os.listdir(os.path.join(out, "questionnaires")))
    if laptops is None:  # demo_extra: on the stick, without its questionnaires/ folder
        for f in files:
            write(os.path.join(USB, "stray", "interviews", f), open(os.path.join(out, "interviews", f), "rb").read(),
                  "clean: unknown questionnaire (demo_extra, only via --questionnaire)")
        continue
    for f in files:
        interviewer = f.split("-")[1]  # <q>-I03-<uuid>.json
        lap = laptops[int(interviewer[1:]) - 1]
        dst = os.path.join(FIELD, lap, "interviews", f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.move(os.path.join(out, "interviews", f), dst)
        counts["clean: simulated interview"] += 1
    for lap in sorted(set(laptops)):
        for c in qcopies:
            dst = os.path.join(FIELD, lap, "questionnaires", c)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(os.path.join(out, "questionnaires", c), dst)
shutil.rmtree(GEN)
laptops = sorted(os.path.relpath(os.path.join(FIELD, a, b), FIELD)
                 for a in os.listdir(FIELD) for b in os.listdir(os.path.join(FIELD, a)))
for i, lap in enumerate(laptops):
    write(os.path.join(FIELD, lap, "device"), "%032x\n" % rng.getrandbits(128))
    write(os.path.join(FIELD, lap, "config.json"), json.dumps({"interviewer": "I%02d" % (i + 1), "lang": "ru"}, indent=2) + "\n")

qdefs = {"nko": questions(os.path.join(REPO, "questionnaires/nko.json")),
         "omsu": questions(os.path.join(REPO, "questionnaires/omsu.json")),
         "demo": questions(os.path.join(REPO, "questionnaires/demo.en.json")),
         "demo_custom": questions(os.path.join(AUX, "demo_custom.json"))}

pool = []  # (path, record), every clean file, in a fixed order; faults take distinct ones
for lap in laptops:
    d = os.path.join(FIELD, lap, "interviews")
    for f in sorted(os.listdir(d)):
        pool.append(os.path.join(d, f))
rng.shuffle(pool)
pool_nko2 = [p for p in pool if "questionnaires" not in p and json.load(open(p))["questionnaire"]["version"] == "2021.2"]
pool = [p for p in pool if p not in set(pool_nko2)]


def take(n, pred=lambda r: True):
    out = []
    while len(out) < n:
        for i, p in enumerate(pool):
            r = json.load(open(p, encoding="utf-8"))
            if pred(r):
                out.append((pool.pop(i), r))
                break
        else:
            raise SystemExit("corpus: not enough records for a fault")
    return out


def rel_usb(*parts):
    return os.path.join(USB, *parts)


def laptop_of(p):
    return os.path.relpath(p, FIELD).split(os.sep)[1]


def completed(r):
    return r["status"] == "completed"


def plus_seconds(t, s):
    # "2021-01-12T10:03:47Z" + s seconds, within the same day (s small, times are working hours)
    h, m, sec = int(t[11:13]), int(t[14:16]), int(t[17:19])
    x = h * 3600 + m * 60 + sec + s
    return "%s%02d:%02d:%02dZ" % (t[:11], x // 3600, x // 60 % 60, x % 60)


def edit_answer(r):
    """A different but valid answer: another district (no rule depends on it) or another number."""
    q = qdefs[r["questionnaire"]["id"]]
    a = r["answers"]
    if "district" in a and "value" in a["district"]:
        codes = [o["code"] for o in q["district"]["options"]]
        a["district"]["value"] = codes[(codes.index(a["district"]["value"]) + 1) % len(codes)]
    elif "members" in a and "value" in a["members"]:
        a["members"]["value"] = a["members"]["value"] % 5000 + 1
    else:
        a["interviewer_remark"] = {"value": "исправлено", "relevant": True}


# ---------------------------------------------------------------- duplicates
for i, (p, r) in enumerate(take(300)):
    data = open(p, "rb").read()
    if i % 6 == 0:  # the same laptop copied twice into another laptop's folder
        other = laptops[(laptops.index(os.path.relpath(p, FIELD).rsplit(os.sep, 2)[0]) + 1) % len(laptops)]
        write(os.path.join(FIELD, other, "interviews", os.path.basename(p)), data, "duplicate: copy on another laptop")
    else:
        write(rel_usb("collect-2021-01", laptop_of(p), "interviews", os.path.basename(p)), data,
              "duplicate: copy on the stick (nested)")
for i, (p, r) in enumerate(take(40)):  # the same content, formatted differently: still a duplicate
    data = json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    write(rel_usb("collect-2021-02", "compact", os.path.basename(p)), data, "duplicate: compact one-line JSON")
for i, (p, r) in enumerate(take(25)):
    write(rel_usb("collect-2021-02", "copy-of-copy", "a", os.path.basename(p)), open(p, "rb").read())
    write(rel_usb("collect-2021-02", "copy-of-copy", "b", "c", os.path.basename(p)), open(p, "rb").read())
    counts["duplicate: two more copies"] += 2

# ---------------------------------------------------------------- conflicts
def conflict(kind, n, pred, change, folder):
    for p, r in take(n, pred):
        c = json.loads(json.dumps(r))
        change(c)
        write(rel_usb(folder, laptop_of(p), os.path.basename(p)), dump(c), "conflict: " + kind)


def higher_revision(c):
    edit_answer(c); c["revision"] += 1; c["updated"] = plus_seconds(c["updated"], 60)


def to_in_progress(c):
    c["status"] = "in_progress"; c.pop("completed", None)


def later_update(c):
    edit_answer(c); c["updated"] = plus_seconds(c["updated"], 300)
    if "completed" in c: c["completed"] = c["updated"]


def tie(c):
    edit_answer(c)


def reopened_draft(c):
    was = c["completed"]
    to_in_progress(c); c["revision"] += 3; c["updated"] = plus_seconds(was, 900)
    edit_answer(c)
    c.setdefault("reopened", []).append({"at": plus_seconds(was, 840), "revision": c["revision"] - 2, "was_completed": was})
    if "paradata" in c:  # keep the field order of the format: reopened before paradata
        c["paradata"] = c.pop("paradata")


def offset_time(c):  # the same instant written with an offset, content otherwise edited
    t = c["updated"]; h = int(t[11:13]) + 3
    c["updated"] = "%s%02d%s+03:00" % (t[:11], h, t[13:19])
    edit_answer(c)


def lower_revision(c):
    edit_answer(c); c["revision"] -= 1


def in_progress_edit(c):
    edit_answer(c); c["revision"] += 2; c["updated"] = plus_seconds(c["updated"], 120)


conflict("higher revision", 45, completed, higher_revision, "collect-2021-03")
conflict("lower revision (the stick's copy is older)", 20, completed, lower_revision, "collect-2021-03")
conflict("completed beats in progress", 25, completed, to_in_progress, "collect-2021-03/drafts")
conflict("later update", 25, completed, later_update, "collect-2021-03")
conflict("tie (same revision, status, updated)", 15, completed, tie, "collect-2021-03/tie")
conflict("reopened and left in progress", 20, completed, reopened_draft, "reopened")
conflict("updated written with +03:00 offset", 10, completed, offset_time, "collect-2021-03/offset")
conflict("both in progress", 15, lambda r: not completed(r), in_progress_edit, "drafts")
for p, r in take(10, completed):  # three copies: the laptop's, two edits on the stick
    for k in (1, 2):
        c = json.loads(json.dumps(r)); edit_answer(c)
        if k == 2: edit_answer(c)
        c["revision"] += k; c["updated"] = plus_seconds(c["updated"], 30 * k)
        write(rel_usb("three-way", "v%d" % k, os.path.basename(p)), dump(c), "conflict: three copies")

# ---------------------------------------------------------------- damaged files
def damage(kind, n, make, pred=lambda r: True, name=None):
    """Even items replace the laptop's file (it is lost), odd ones are damaged copies on the stick."""
    for i, (p, r) in enumerate(take(n, pred)):
        data = make(open(p, "rb").read(), json.loads(json.dumps(r)), i)
        if i % 2 == 0:
            dst = p if name is None else os.path.join(os.path.dirname(p), name(i))
            if dst != p:
                os.remove(p)
        else:
            dst = rel_usb("damaged", kind.split(":")[0].replace(" ", "-"), os.path.basename(p) if name is None else name(i))
        write(dst, data, "fault: " + kind)


def rec_fault(change):
    def make(data, r, i):
        change(r, i)
        return dump(r)
    return make


damage("truncated", 40, lambda d, r, i: d[: rng.randrange(1, len(d) - 1)])
damage("UTF-8 BOM", 30, lambda d, r, i: b"\xef\xbb\xbf" + d)
damage("CRLF line ends", 30, lambda d, r, i: d.replace(b"\n", b"\r\n"))
damage("CR only line ends", 6, lambda d, r, i: d.replace(b"\n", b"\r"))
damage("bad UTF-8 (byte 0xff)", 12, lambda d, r, i: d[:len(d) // 2] + b"\xff" + d[len(d) // 2:])
damage("bad UTF-8 (saved as CP1251)", 10, lambda d, r, i: d.decode("utf-8").encode("cp1251", "replace"),
       lambda r: r["questionnaire"]["id"] in ("nko", "omsu"))
damage("empty file", 15, lambda d, r, i: b"")
damage("whitespace only", 4, lambda d, r, i: b"  \n\n")
damage("NUL bytes", 4, lambda d, r, i: b"\0" * 512)
damage("format anketa-interview/2", 8, rec_fault(lambda r, i: r.update(format="anketa-interview/2")))
damage("no format field", 6, rec_fault(lambda r, i: r.pop("format")))
damage("unknown top-level field", 6, rec_fault(lambda r, i: r.update(extra=1)))
damage("unknown field in an answer", 6, rec_fault(lambda r, i: next(iter(r["answers"].values())).update(note="x")),
       lambda r: r["answers"])
damage("unknown questionnaire nko_2022", 16, rec_fault(lambda r, i: r["questionnaire"].update(
    id="nko_2022", version="2022.1", sha256=hashlib.sha256(b"nko_2022").hexdigest())), lambda r: r["questionnaire"]["id"] == "nko")
damage("other copy of a known questionnaire (sha256)", 10, rec_fault(lambda r, i: r["questionnaire"].update(
    sha256=hashlib.sha256(b"copy %d" % (i % 2)).hexdigest())))
damage("unknown version of omsu", 6, rec_fault(lambda r, i: r["questionnaire"].update(version="2019.1")),
       lambda r: r["questionnaire"]["id"] == "omsu")


def set_answer(var, value):
    return lambda r, i: r["answers"].__setitem__(var, {"value": value, "relevant": True})


nko = lambda r: r["questionnaire"]["id"] == "nko"
demo_like = lambda r: r["questionnaire"]["id"] == "demo"
damage("answer: unknown variable", 15, rec_fault(set_answer("no_such_question", "x")))
damage("answer: unknown code", 15, rec_fault(lambda r, i: r["answers"]["district"].update(value="atlantis")),
       lambda r: "district" in r["answers"] and "value" in r["answers"]["district"])
damage("answer: wrong type (string for a number)", 8, rec_fault(set_answer("members_count", "45")), nko)
damage("answer: wrong type (number for a single)", 7, rec_fault(set_answer("interaction", 1)), nko)
damage("answer: exclusive option combined", 15, rec_fault(set_answer("goals", ["project_support", "dont_know"])), nko)
damage("answer: code chosen twice", 8, rec_fault(set_answer("goals", ["grants", "grants"])), nko)
damage("answer: empty multi / empty string", 4, rec_fault(lambda r, i: r["answers"].__setitem__(
    "goals" if i % 2 else "org_type", {"value": [] if i % 2 else "", "relevant": True})), nko)
damage("answer: value on a note", 5, rec_fault(set_answer("welcome", "x")), demo_like)
damage("answer: bad date", 5, rec_fault(set_answer("founded", "2021-02-30")), demo_like)
damage("answer: NaN-like number (1e999)", 3, lambda d, r, i: dump(dict(r, answers=dict(r["answers"], members={"value": 0, "relevant": True}))).replace(
    b'"members": {\n      "value": 0', b'"members": {\n      "value": 1e999'), demo_like)
damage("answer: other text without an other option", 5, rec_fault(lambda r, i: r["answers"].setdefault(
    "legal_entity", {"value": "yes", "relevant": True}).update(other="x")), nko)
damage("id not a UUID", 5, rec_fault(lambda r, i: r.update(id="interview-%d" % i)))
damage("id in upper case", 5, rec_fault(lambda r, i: r.update(id=r["id"].upper())))
damage("updated not RFC 3339", 5, rec_fault(lambda r, i: r.update(updated="15.01.2021 10:00")))
damage("revision negative", 3, rec_fault(lambda r, i: r.update(revision=-1)))
damage("status unknown", 3, rec_fault(lambda r, i: r.update(status="done")))
damage("renamed (name misleads)", 20, lambda d, r, i: d, name=lambda i: "interview-%03d.json" % i)
damage("other extension (.bak, none)", 6, lambda d, r, i: d, name=lambda i: "saved-%d.%s" % (i, "bak" if i % 4 else "json~"))
for i, p in enumerate(pool_nko2[:6]):  # a second questionnaire version's files named as if nko 2021.1
    dst = os.path.join(os.path.dirname(p), "nko-I01-0000000%d.json" % i)
    os.rename(p, dst); counts["renamed: nko 2021.2 file under a misleading name"] += 1

# junk that is not an interview
junk = {
    "notes.txt": "Забрать флешку у Ивановой в пятницу\n",
    "list.csv": "id,district\n1,kalachevsky\n",
    "page.html": "<html><body>not an interview</body></html>\n",
    "array.json": "[1, 2, 3]\n",
    "object.json": '{"hello": "world"}\n',
    "number.json": "42\n",
    "broken.json": '{"format": "anketa-interview/1", "id": }\n',
    "nested-junk/deeper/random.bin": bytes(rng.getrandbits(8) for _ in range(3000)),
    "settings-copy.json": '{\n  "interviewer": "I09",\n  "lang": "en"\n}\n',
    "device-copy": "%032x\n" % rng.getrandbits(128),
}
for name, data in junk.items():
    write(rel_usb("junk", name), data, "not an interview: " + ("text/html/csv/binary/JSON" if "." in name else "device id"))
write(rel_usb("junk", "nko-questionnaire-copy.json"), open(os.path.join(REPO, "questionnaires/nko.json"), "rb").read(),
      "questionnaire file among the interviews")
write(rel_usb("junk", "demo_custom.json"), open(os.path.join(AUX, "demo_custom.json"), "rb").read(),
      "questionnaire file among the interviews")
big = b"{\n" + b" " * (11 * 1024 * 1024) + b"}\n"
write(rel_usb("junk", "huge.json"), big, "over 10 MB")
# hidden files and folders: skipped
for p, r in take(3):
    d = os.path.dirname(p)
    write(os.path.join(d, "." + os.path.basename(p) + ".lock"), b"", "hidden: lock file")
    write(os.path.join(d, "." + os.path.basename(p) + ".4242.tmp"), open(p, "rb").read()[:300], "hidden: temp file of a save")
    write(os.path.join(d, "..", ".trash", os.path.basename(p)), b"garbage", "hidden: folder")

# ---------------------------------------------------------------- NDJSON and an earlier merge output
tmp = os.path.join(DEST, "tmp-merge")
shutil.rmtree(tmp, ignore_errors=True)
subprocess.run([BIN, "merge", os.path.join(FIELD, "north/laptop03"), "--out", tmp, "--include-incomplete"],
               check=True, stdout=subprocess.DEVNULL)
lines = open(os.path.join(tmp, "interviews.ndjson"), "rb").read().split(b"\n")[:-1]
shutil.rmtree(tmp)
sel = lines[:400]
counts["NDJSON: lines"] = len(sel)
sel[57] = sel[57][: len(sel[57]) // 2]; counts["NDJSON: broken line (cut short)"] += 1
sel[120] = b"not json at all"; counts["NDJSON: broken line (not JSON)"] += 1
r = json.loads(sel[200]); r["answers"]["district"]["value"] = "atlantis"
sel[200] = json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode(); counts["NDJSON: answer that does not fit"] += 1
r = json.loads(sel[300]); edit_answer(r); r["revision"] += 5
sel[300] = json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode(); counts["NDJSON: line in conflict with a file"] += 1
sel.insert(250, b""); counts["NDJSON: empty line"] += 1
write(rel_usb("export", "laptop03-interviews.ndjson"), b"\n".join(sel) + b"\n", "NDJSON file")
write(rel_usb("export", "crlf.ndjson"), b"\r\n".join(lines[400:460]) + b"\r\n", "NDJSON file (CRLF)")
write(rel_usb("export", "no-final-newline.ndjson"), b"\n".join(lines[460:480]), "NDJSON file (no final newline)")

conf = os.path.join(DEST, "tmp-conf")
shutil.rmtree(conf, ignore_errors=True)
l4 = os.path.join(FIELD, "north/laptop04/interviews")
for f in sorted(os.listdir(l4))[:12]:
    if f.startswith("."):
        continue
    try:
        r = json.load(open(os.path.join(l4, f), encoding="utf-8"))
    except ValueError:
        continue
    if r["status"] == "completed":
        edit_answer(r); r["revision"] += 1
        write(os.path.join(conf, f), dump(r))
subprocess.run([BIN, "merge", os.path.join(FIELD, "north/laptop04"), conf, "--out", rel_usb("old-merge")],
               check=True, stdout=subprocess.DEVNULL)
shutil.rmtree(conf)
counts["earlier merge output (laptop04 + edited copies, with conflicts/)"] += 1

# ---------------------------------------------------------------- links
links = rel_usb("links")
os.makedirs(links)
(p1, _), (p2, _) = take(2)
os.symlink(os.path.relpath(p1, links), os.path.join(links, "link-to-file.json")); counts["symlink to a file"] += 1
os.symlink(os.path.relpath(os.path.join(FIELD, "south/laptop05"), links), os.path.join(links, "link-to-laptop05"))
counts["symlink to a folder"] += 1
os.symlink("does-not-exist.json", os.path.join(links, "dangling.json")); counts["dangling symlink"] += 1
os.link(p2, os.path.join(links, "hardlink.json")); counts["hard link"] += 1

n = sum(len([f for f in fs]) for _, _, fs in os.walk(CORPUS))
with open(os.path.join(DEST, "counts.tsv"), "w") as f:
    for k in sorted(counts):
        f.write("%d\t%s\n" % (counts[k], k))
    f.write("%d\t%s\n" % (n, "files in corpus/ (all kinds, links included)"))
