//! `anketa simulate` + `anketa merge` on a fault corpus: two laptops with the same files,
//! conflicting revisions, and a USB stick of damaged and foreign files.

use crate::support::{anketa, has_all, ok, s, says, simulate, text};
use anketa::record::{Answer, AnswerValue, Record, Status};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn run(args: &[&str]) -> Output {
    anketa(args)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

fn read(p: &Path) -> Record {
    serde_json::from_slice(&fs::read(p).unwrap()).unwrap()
}

fn write(p: &Path, r: &Record) {
    fs::write(p, r.to_json()).unwrap();
}

/// Every file under `dir` with the SHA-256 of its bytes.
fn fingerprint(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let h = Sha256::digest(fs::read(&p).unwrap());
                out.insert(p, h.iter().map(|b| format!("{b:02x}")).collect());
            }
        }
    }
    out
}

/// The corpus and what a merge of it must produce.
struct Corpus {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    lap1: PathBuf,
    lap2: PathBuf,
    stick: PathBuf,
    /// id → the record expected in the merged set.
    expected: BTreeMap<String, Record>,
    in_progress: BTreeSet<String>,
    conflicts: BTreeMap<String, &'static str>,
}

fn corpus() -> Corpus {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let lap1 = root.join("laptop1");
    let lap2 = root.join("laptop2");
    let stick = root.join("stick");
    simulate("nko", 40, &lap1, 11, 0.1, 4);
    simulate("omsu", 10, &lap2, 12, 0.0, 4);
    // An answer kept as not relevant, as the interviewer keeps it when a filter answer changes
    // (the simulation makes some too, but whether 40 interviews have one depends on the seed).
    let kept = files(&lap1.join("interviews"))
        .into_iter()
        .map(|p| (read(&p), p))
        .find(|(r, _)| {
            r.status == Status::Completed
                && r.answers.get("interaction").and_then(|a| a.value.clone()) != Some(AnswerValue::Text("no".into()))
        });
    if let Some((mut r, p)) = kept {
        let code = anketa::questionnaire::bundled("nko")
            .unwrap()
            .question("no_interaction_reason")
            .unwrap()
            .options[0]
            .code
            .clone();
        r.answers.insert(
            "no_interaction_reason".into(),
            Answer {
                value: Some(AnswerValue::Text(code)),
                relevant: false,
                ..Answer::default()
            },
        );
        write(&p, &r);
    }
    // The same laptop copied twice: laptop2 also holds every file of laptop1.
    for p in files(&lap1.join("interviews")) {
        fs::copy(&p, lap2.join("interviews").join(p.file_name().unwrap())).unwrap();
    }
    fs::write(lap1.join("device"), "0123456789abcdef0123456789abcdef\n").unwrap();
    fs::write(
        lap1.join("config.json"),
        "{\"interviewer\": \"I01\", \"lang\": \"ru\"}\n",
    )
    .unwrap();

    let mut expected = BTreeMap::new();
    let mut in_progress = BTreeSet::new();
    for dir in [&lap1, &lap2] {
        for p in files(&dir.join("interviews")) {
            let r = read(&p);
            if r.status == Status::Completed {
                expected.insert(r.id.clone(), r);
            } else {
                in_progress.insert(r.id.clone());
            }
        }
    }
    // Conflicts: three completed nko interviews edited again on laptop2 after the copy.
    let nko2: Vec<PathBuf> = files(&lap2.join("interviews"))
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("nko-"))
        .filter(|p| read(p).status == Status::Completed)
        .collect();
    let mut conflicts = BTreeMap::new();
    // (a) a higher revision wins
    let mut a = read(&nko2[0]);
    a.revision += 5;
    a.answers.get_mut("district").unwrap().remark = Some("уточнено у главы поселения".into());
    write(&nko2[0], &a);
    conflicts.insert(a.id.clone(), "higher_revision");
    expected.insert(a.id.clone(), a);
    // (b) same revision, both completed: the later update wins
    let mut b = read(&nko2[1]);
    b.answers.get_mut("district").unwrap().remark = Some("исправлено".into());
    b.updated = "2021-03-01T10:00:00Z".into();
    write(&nko2[1], &b);
    conflicts.insert(b.id.clone(), "later_update");
    expected.insert(b.id.clone(), b);
    // (c) reopened on laptop2 and left in progress: laptop1's completed copy is kept
    let mut c = read(&nko2[2]);
    c.revision += 2;
    c.status = Status::InProgress;
    c.completed = None;
    write(&nko2[2], &c);
    conflicts.insert(c.id.clone(), "in_progress_left_out");

    // The stick: damaged and foreign files, plus one good interview twice under other names.
    let extra = root.join("extra");
    simulate("nko", 6, &extra, 13, 0.0, 4);
    fs::create_dir_all(stick.join("mail")).unwrap();
    let ex = files(&extra.join("interviews"));
    let bytes = fs::read(&ex[0]).unwrap();
    fs::write(stick.join("truncated.json"), &bytes[..bytes.len() / 2]).unwrap();
    let mut r = read(&ex[1]);
    r.format = "anketa-interview/3".into();
    write(&stick.join("future.json"), &r);
    let mut r = read(&ex[2]);
    r.questionnaire.id = "nko_2022".into();
    r.questionnaire.version = "2022.1".into();
    write(&stick.join("other-questionnaire.json"), &r);
    let mut r = read(&ex[3]);
    r.answers.get_mut("district").unwrap().value = Some(AnswerValue::Text("atlantis".into()));
    write(&stick.join("unknown-code.json"), &r);
    let good = read(&ex[4]);
    write(&stick.join("good.json"), &good);
    write(&stick.join("mail").join("copy of good.txt"), &good);
    expected.insert(good.id.clone(), good);
    fs::write(stick.join("empty.json"), b"").unwrap();
    fs::write(
        stick.join("cp1251.json"),
        b"{\"interviewer\": \"\xc8\xe2\xe0\xed\xee\xe2\"}",
    )
    .unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    fs::write(stick.join("random.bin"), random).unwrap();
    let junk = fs::File::create(stick.join("junk.json")).unwrap();
    junk.set_len(50 * 1024 * 1024).unwrap();
    fs::remove_dir_all(&extra).unwrap();
    Corpus {
        _tmp: tmp,
        root,
        lap1,
        lap2,
        stick,
        expected,
        in_progress,
        conflicts,
    }
}

fn merge(inputs: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["merge"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--out", s(out)]);
    args.extend(extra);
    run(&args)
}

/// Asserts that a merge ran to its end with some inputs rejected (exit status 3, the rejects on
/// standard error); its standard output.
fn rejected_some(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(3),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    says(out, "input(s) rejected, not merged");
    text(&out.stdout)
}

fn ndjson(dir: &Path) -> Vec<Record> {
    fs::read_to_string(dir.join("interviews.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("merge-report.json")).unwrap()).unwrap()
}

fn outputs(dir: &Path) -> BTreeMap<PathBuf, String> {
    fingerprint(dir)
        .into_iter()
        .map(|(p, h)| (p.strip_prefix(dir).unwrap().to_path_buf(), h))
        .collect()
}

#[test]
fn fault_corpus_merges_exactly_the_expected_set_and_names_every_fault() {
    let c = corpus();
    let inputs = || [&c.lap1, &c.lap2, &c.stick].map(|d| fingerprint(d));
    let before = inputs();
    let out = c.root.join("out");
    let o = merge(&[&c.lap1, &c.lap2, &c.stick], &out, &[]);
    rejected_some(&o);
    assert_eq!(inputs(), before, "inputs must not change");

    // Exactly the expected set, in questionnaire then id order, with the winning contents.
    let merged = ndjson(&out);
    let got: Vec<(String, String)> = merged
        .iter()
        .map(|r| (r.questionnaire.id.clone(), r.id.clone()))
        .collect();
    let mut want: Vec<(String, String)> = c
        .expected
        .values()
        .map(|r| (r.questionnaire.id.clone(), r.id.clone()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    for r in &merged {
        assert_eq!(r, &c.expected[&r.id], "content of {}", r.id);
    }

    let rep = report(&out);
    assert_eq!(rep["merged"], serde_json::json!({"nko": 37, "omsu": 10}));
    assert_eq!(rep["files_read"], 42 + 50 + 10);
    let conflicts: BTreeMap<String, String> = rep["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["id"].as_str().unwrap().to_string(),
                x["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // A draft that reopened a merged interview is no conflict: it is kept in drafts.ndjson.
    let mut conflicts = conflicts;
    let drafts = fs::read_to_string(out.join("drafts.ndjson")).unwrap();
    for x in rep["in_progress_left_out"].as_array().unwrap() {
        let at: usize = x["saved_as"]
            .as_str()
            .unwrap()
            .strip_prefix("drafts.ndjson:")
            .unwrap()
            .parse()
            .unwrap();
        let kept: Record = serde_json::from_str(drafts.lines().nth(at - 1).unwrap()).unwrap();
        assert_eq!(kept.id, x["id"].as_str().unwrap());
        if x["interview_merged"] == true {
            conflicts.insert(x["id"].as_str().unwrap().to_string(), "in_progress_left_out".into());
        }
    }
    let want: BTreeMap<String, String> = c.conflicts.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
    assert_eq!(conflicts, want);
    // Every record read is in exactly one list.
    let acc = &rep["accounting"];
    let sum: u64 = [
        "merged",
        "duplicates",
        "conflict_losers",
        "in_progress_left_out",
        "discarded",
        "rejected",
        "ignored",
    ]
    .iter()
    .map(|k| acc[k].as_u64().unwrap())
    .sum();
    assert_eq!(rep["records_read"].as_u64(), Some(sum), "{acc:#}");
    assert_eq!(acc["merged"], 37 + 10);
    for x in rep["conflicts"].as_array().unwrap() {
        let saved = x["loser"]["saved_as"].as_str().unwrap();
        let loser: Record = serde_json::from_slice(&fs::read(out.join(saved)).unwrap()).unwrap();
        assert_eq!(loser.id, x["id"].as_str().unwrap());
        assert!(x["loser"]["path"].as_str().unwrap().contains("laptop"), "{x}");
    }
    // 33 untouched completed + 4 in progress copied to laptop2, and the good file twice.
    assert_eq!(rep["duplicates"].as_array().unwrap().len(), 38);
    let incomplete: BTreeSet<String> = rep["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(incomplete, c.in_progress);

    let rejected: BTreeMap<String, String> = rep["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let p = PathBuf::from(x["path"].as_str().unwrap());
            (
                p.file_name().unwrap().to_str().unwrap().to_string(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        ("truncated.json", "truncated JSON at line"),
        ("future.json", "unknown format version `anketa-interview/3`"),
        (
            "other-questionnaire.json",
            "unknown questionnaire `nko_2022` version 2022.1",
        ),
        (
            "unknown-code.json",
            "variable `district` (single): unknown code `atlantis`",
        ),
        ("empty.json", "empty file"),
        ("cp1251.json", "not UTF-8 text (invalid byte at offset 17)"),
        ("random.bin", "not UTF-8 text"),
        (
            "junk.json",
            "file is 52428800 bytes, over the 10 MB limit of an interview file; skipped without reading it",
        ),
    ];
    assert_eq!(rejected.len(), expect.len(), "{rejected:#?}");
    for (name, reason) in expect {
        assert!(rejected[name].contains(reason), "{name}: {}", rejected[name]);
    }
    let ignored: Vec<String> = rep["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| format!("{} {}", x["path"].as_str().unwrap(), x["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(ignored.len(), 2, "{ignored:?}");
    assert!(ignored[0].contains("config.json anketa settings"), "{ignored:?}");
    assert!(ignored[1].contains("device an anketa device id file"), "{ignored:?}");

    let stdout = text(&o.stdout);
    has_all(
        &stdout,
        &[
            "merged 47 interview(s): nko 37, omsu 10",
            "conflicts: 2",
            "drafts: 5 in-progress cop(ies) not merged",
            "rejected: 8",
            "junk.json: file is 52428800 bytes",
            "incomplete: 4 interview(s) in progress",
        ],
    );
    for f in [
        "nko.csv",
        "nko.codebook.csv",
        "nko.sps",
        "omsu.csv",
        "omsu.codebook.csv",
        "omsu.sps",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
}

#[test]
fn reruns_and_shuffled_inputs_give_identical_bytes_and_remerging_changes_nothing() {
    let c = corpus();
    let out1 = c.root.join("a");
    let out2 = c.root.join("b");
    rejected_some(&merge(&[&c.lap1, &c.lap2, &c.stick], &out1, &[]));
    let first = outputs(&out1);
    // Rerun into the same folder, and shuffled (with overlapping inputs) into another.
    rejected_some(&merge(&[&c.lap1, &c.lap2, &c.stick], &out1, &[]));
    assert_eq!(outputs(&out1), first);
    let mail = c.stick.join("mail");
    let lap2_files = c.lap2.join("interviews");
    rejected_some(&merge(&[&c.stick, &lap2_files, &c.lap2, &mail, &c.lap1], &out2, &[]));
    assert_eq!(outputs(&out2), first);

    // Merging the merged set again changes nothing...
    let out3 = c.root.join("c");
    ok(&merge(&[&out1.join("interviews.ndjson")], &out3, &[]));
    assert_eq!(
        fs::read(out3.join("interviews.ndjson")).unwrap(),
        fs::read(out1.join("interviews.ndjson")).unwrap()
    );
    assert_eq!(
        fs::read(out3.join("nko.csv")).unwrap(),
        fs::read(out1.join("nko.csv")).unwrap()
    );
    // ...and merge(merge(A), B) = merge(A, B).
    let a = c.root.join("d");
    ok(&merge(&[&c.lap1], &a, &[]));
    let ab = c.root.join("e");
    rejected_some(&merge(&[&a.join("interviews.ndjson"), &c.lap2, &c.stick], &ab, &[]));
    assert_eq!(
        fs::read(ab.join("interviews.ndjson")).unwrap(),
        fs::read(out1.join("interviews.ndjson")).unwrap()
    );
    // The same with the earlier merge's folder as input: its CSV, codebook and syntax are
    // recognised as its exports and skipped, not rejected.
    let ab2 = c.root.join("f");
    rejected_some(&merge(&[&a, &c.lap2, &c.stick], &ab2, &[]));
    assert_eq!(
        fs::read(ab2.join("interviews.ndjson")).unwrap(),
        fs::read(out1.join("interviews.ndjson")).unwrap()
    );
    let rep = report(&ab2);
    assert_eq!(rep["rejected"].as_array().unwrap().len(), 8, "{:#}", rep["rejected"]);
    let ignored = rep["ignored"].to_string();
    for f in ["nko.csv", "nko.sps", "nko.codebook.csv", "merge-report.json"] {
        assert!(ignored.contains(&format!("d/{f}")), "{f}: {ignored}");
    }
}

/// The expected CSV cell of an answer, computed independently of the exporter.
fn cell(v: &AnswerValue) -> String {
    match v {
        AnswerValue::Text(t) => t.replace('\n', " "),
        AnswerValue::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
        AnswerValue::Number(n) => n.to_string(),
        AnswerValue::Codes(c) => c.join(" "),
    }
}

#[test]
fn csv_read_back_agrees_with_the_ndjson() {
    let c = corpus();
    let out = c.root.join("csv");
    rejected_some(&merge(&[&c.lap1, &c.lap2, &c.stick], &out, &["--include-incomplete"]));
    let records = ndjson(&out);
    assert_eq!(records.iter().filter(|r| r.status == Status::InProgress).count(), 4 + 1);
    for qid in ["nko", "omsu"] {
        let q = anketa::questionnaire::bundled(qid).unwrap();
        let mut rdr = csv::Reader::from_path(out.join(format!("{qid}.csv"))).unwrap();
        let header = rdr.headers().unwrap().clone();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("column {name}"))
        };
        let rows: BTreeMap<String, csv::StringRecord> = rdr
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_string(), r)
            })
            .collect();
        let recs: Vec<&Record> = records.iter().filter(|r| r.questionnaire.id == qid).collect();
        assert_eq!(rows.len(), recs.len());
        let mut irrelevant_seen = 0;
        for r in recs {
            let row = &rows[&r.id];
            assert_eq!(&row[col("interviewer")], r.interviewer);
            assert_eq!(&row[col("device")], r.device);
            assert_eq!(&row[col("started")], r.started);
            assert_eq!(&row[col("completed")], r.completed.as_deref().unwrap_or(""));
            assert_eq!(row[col("revision")].parse::<u64>().unwrap(), r.revision);
            assert_eq!(
                row[col("duration_s")].parse::<u64>().unwrap(),
                (r.duration_ms + 500) / 1000
            );
            for qq in q.questions.iter().filter(|x| x.is_answerable()) {
                let a = r.answers.get(&qq.id).filter(|a| a.relevant);
                irrelevant_seen += r.answers.get(&qq.id).is_some_and(|a| !a.relevant) as usize;
                let value = a.and_then(|a| a.value.as_ref());
                assert_eq!(
                    &row[col(&qq.id)],
                    value.map(cell).unwrap_or_default(),
                    "{} {}",
                    r.id,
                    qq.id
                );
                assert_eq!(
                    &row[col(&format!("{}__remark", qq.id))],
                    a.and_then(|a| a.remark.clone()).unwrap_or_default()
                );
                if let anketa::questionnaire::Kind::Multi { .. } = qq.kind {
                    for o in &qq.options {
                        let want = match value {
                            Some(AnswerValue::Codes(cs)) => {
                                if cs.contains(&o.code) {
                                    "1"
                                } else {
                                    "0"
                                }
                            }
                            _ => "",
                        };
                        assert_eq!(&row[col(&format!("{}__{}", qq.id, o.code))], want, "{} {}", r.id, qq.id);
                    }
                }
                if qq.options.iter().any(|o| o.other) {
                    let multi = matches!(qq.kind, anketa::questionnaire::Kind::Multi { .. });
                    let name = if multi && qq.option("other").is_some() {
                        format!("{}__other_text", qq.id)
                    } else {
                        format!("{}__other", qq.id)
                    };
                    assert_eq!(&row[col(&name)], a.and_then(|a| a.other.clone()).unwrap_or_default());
                }
            }
        }
        if qid == "nko" {
            assert!(irrelevant_seen > 0, "the corpus has answers kept as not relevant");
        }
    }
}

#[test]
fn excel_flavour_has_bom_and_semicolons() {
    let c = corpus();
    let out = c.root.join("xl");
    ok(&merge(&[&c.lap2], &out, &["--excel"]));
    let bytes = fs::read(out.join("omsu.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFid;interviewer;district;device;"));
    let sps = fs::read_to_string(out.join("omsu.sps")).unwrap();
    assert!(sps.contains("/DELIMITERS=\";\"") && sps.contains("SET DECIMAL=COMMA."));
}

#[test]
fn merge_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk");
    fs::create_dir(&junk).unwrap();
    fs::write(junk.join("a.json"), "{").unwrap();
    // Nothing mergeable, an input rejected: exit 3, with the report written and the reject on
    // standard error too.
    let out = tmp.path().join("out");
    let o = merge(&[&junk], &out, &[]);
    let stdout = rejected_some(&o);
    assert!(
        stdout.contains("a.json: truncated JSON at line 1, column 1"),
        "{stdout}"
    );
    says(&o, "a.json: truncated JSON at line 1, column 1");
    assert_eq!(report(&out)["rejected"].as_array().unwrap().len(), 1);
    // Usage errors: exit 2.
    let o = merge(&[&tmp.path().join("nope")], &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "nope: no such file or directory");
    let o = merge(&[&junk], &junk.join("out"), &[]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "is inside the input folder");
    let o = merge(&[tmp.path().join("out").as_path()], &junk, &[]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "the folder is not empty and is not the output of an earlier merge");
    let o = merge(&[&junk], &out, &["--questionnaire", "no/such.json"]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "--questionnaire no/such.json: cannot open");
    assert!(!junk.join("out").exists());
}

#[test]
fn simulate_rejects_bad_weights_and_shares() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path().join("w.json");
    fs::write(&w, r#"{"interaction": {"yes": 1, "maybe": 2}}"#).unwrap();
    let out = tmp.path().join("o");
    let simulate_nko = |extra: &[&str]| {
        let mut args = vec!["simulate", "--questionnaire", "nko", "--count", "3", "--out", s(&out)];
        args.extend_from_slice(extra);
        run(&args)
    };
    let o = simulate_nko(&["--weights", s(&w)]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "`interaction`: no option with code `maybe`");
    let o = simulate_nko(&["--incomplete-share", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
    // Same seed, same bytes.
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    simulate("demo", 5, &a, 3, 0.2, 4);
    simulate("demo", 5, &b, 3, 0.2, 4);
    let fa: Vec<Vec<u8>> = files(&a.join("interviews"))
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    let fb: Vec<Vec<u8>> = files(&b.join("interviews"))
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    assert_eq!(fa, fb);
    assert_eq!(files(&a.join("questionnaires")).len(), 1);
}

#[test]
fn two_questionnaires_simulated_with_one_seed_merge_side_by_side() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("out"));
    simulate("demo", 20, &a, 5, 0.0, 4);
    simulate("omsu", 20, &b, 5, 0.0, 4);
    let o = merge(&[&a, &b], &out, &[]);
    ok(&o);
    assert_eq!(report(&out)["merged"], serde_json::json!({"demo": 20, "omsu": 20}));
    assert!(report(&out)["conflicts"].as_array().unwrap().is_empty());
}

#[test]
fn file_names_that_lie_or_say_nothing_change_nothing() {
    // Files are read in the order their names suggest (questionnaire, then interview id), so
    // that the outputs can be written while reading; names that mislead only cost time.
    let c = corpus();
    let out = c.root.join("named");
    rejected_some(&merge(&[&c.lap1, &c.lap2, &c.stick], &out, &[]));
    let (lying, unnamed) = (c.root.join("lying"), c.root.join("unnamed"));
    for (n, lap) in [&c.lap1, &c.lap2].into_iter().enumerate() {
        let fs_ = files(&lap.join("interviews"));
        for d in [&lying, &unnamed] {
            fs::create_dir_all(d.join(format!("l{n}"))).unwrap();
        }
        for (k, p) in fs_.iter().enumerate() {
            // Each file under its neighbour's name, and under a name that says nothing.
            let other = fs_[(k + 1) % fs_.len()].file_name().unwrap();
            fs::copy(p, lying.join(format!("l{n}")).join(other)).unwrap();
            fs::copy(p, unnamed.join(format!("l{n}")).join(format!("{k:03}.json"))).unwrap();
        }
    }
    for dir in [&lying, &unnamed] {
        let o = dir.with_extension("out");
        rejected_some(&merge(&[dir, &c.stick], &o, &[]));
        for f in ["interviews.ndjson", "nko.csv", "omsu.csv"] {
            assert!(
                fs::read(o.join(f)).unwrap() == fs::read(out.join(f)).unwrap(),
                "{}: {f}",
                dir.display()
            );
        }
        let conflicts = |d: &Path| outputs(&d.join("conflicts"));
        assert_eq!(conflicts(&o), conflicts(&out));
        let (a, b) = (report(&o), report(&out));
        assert_eq!(a["merged"], b["merged"]);
        // The same records in the same lists (the laptops' device and settings files, ignored,
        // were not copied).
        for k in [
            "merged",
            "duplicates",
            "conflict_losers",
            "in_progress_left_out",
            "rejected",
        ] {
            assert_eq!(a["accounting"][k], b["accounting"][k], "{k}");
        }
        let n = |r: &serde_json::Value, k: &str| r[k].as_array().unwrap().len();
        for k in ["duplicates", "conflicts", "incomplete", "rejected"] {
            assert_eq!(n(&a, k), n(&b, k), "{k}");
        }
        // Content hashes are those of the canonical lines, however the copies were found.
        for x in a["conflicts"].as_array().unwrap() {
            let loser = read(&o.join(x["loser"]["saved_as"].as_str().unwrap()));
            let sha: String = Sha256::digest(loser.to_json_line())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(x["loser"]["sha256"], sha.as_str());
            let winner = ndjson(&o).into_iter().find(|r| r.id == loser.id).unwrap();
            let sha: String = Sha256::digest(winner.to_json_line())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(x["winner"]["sha256"], sha.as_str());
        }
    }
}

/// A questionnaire that is not bundled: the demo under another id and version.
fn pilot_questionnaire(dir: &Path) -> PathBuf {
    let src = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires/demo.en.json")).unwrap();
    let src = src.replacen("\"id\": \"demo\"", "\"id\": \"pilot\"", 1).replacen(
        "\"version\": \"1\"",
        "\"version\": \"2026.1\"",
        1,
    );
    assert!(src.contains("\"pilot\"") && src.contains("\"2026.1\""));
    let p = dir.join("pilot.json");
    fs::write(&p, &src).unwrap();
    p
}

#[test]
fn the_merge_output_carries_its_questionnaires_so_it_can_be_merged_and_reported_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let q = pilot_questionnaire(tmp.path());
    let field = tmp.path().join("field");
    simulate(s(&q), 12, &field, 3, 0.0, 4);
    let out = tmp.path().join("merged");
    ok(&run(&["merge", s(&field), "--out", s(&out)]));
    // The copy is the questionnaire byte for byte, named like a data dir's copies, and listed.
    let copies = files(&out.join("questionnaires"));
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(fs::read(&copies[0]).unwrap(), fs::read(&q).unwrap());
    let name = copies[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.starts_with("pilot-2026_1-") && name.ends_with(".json"), "{name}");
    let report: serde_json::Value = serde_json::from_slice(&fs::read(out.join("merge-report.json")).unwrap()).unwrap();
    let copy = format!("questionnaires/{name}");
    assert_eq!(report["questionnaires"][0]["copy"], copy.as_str());
    assert!(
        report["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| *o == copy.as_str())
    );

    // Handed on alone (the field data and the questionnaire file gone): merged again from the
    // NDJSON and from the folder, and reported, without --questionnaire.
    let alone = tmp.path().join("handed-on");
    fs::rename(&out, &alone).unwrap();
    fs::remove_dir_all(&field).unwrap();
    fs::remove_file(&q).unwrap();
    for input in [alone.join("interviews.ndjson"), alone.clone()] {
        let again = tmp.path().join("again");
        ok(&run(&["merge", s(&input), "--out", s(&again)]));
        assert_eq!(
            fs::read(again.join("interviews.ndjson")).unwrap(),
            fs::read(alone.join("interviews.ndjson")).unwrap()
        );
        assert_eq!(files(&again.join("questionnaires")).len(), 1);
        fs::remove_dir_all(&again).unwrap();
    }
    for input in [alone.clone(), alone.join("interviews.ndjson")] {
        let r = run(&["report", s(&input), "--format", "json"]);
        ok(&r);
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        assert_eq!(v["input"]["records"], 12, "{}", s(&input));
        assert_eq!(v["input"]["rejected"], 0, "{}", s(&input));
    }
    // Without the copy the records cannot be read: the copy is what made it work.
    fs::remove_dir_all(alone.join("questionnaires")).unwrap();
    let r = run(&["report", s(&alone), "--format", "json"]);
    says(&r, "unknown questionnaire `pilot`");
}
