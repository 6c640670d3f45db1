//! The fault corpus of issue 11: one test per numbered defect (each failed before the fix).
//! Defects: 1 FIFO inputs hang; 2 one bad byte loses an NDJSON file; 3 long names abort a
//! merge; 4 the merge algebra with drafts; 5 duplicate keys; 6 times; 7 records that break their
//! questionnaire; 8 terminal injection; 9 disk full; 10 the smaller ones (`{}`, exit status,
//! stderr, `--out afile/sub`, SPSS labels — the last in `export::spss`'s unit tests).

use crate::support::{anketa, ok, s, says, simulate, text};
use anketa::record::{Record, Status};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn merge(inputs: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["merge"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--out", s(out)]);
    args.extend(extra);
    anketa(&args)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

fn read(p: &Path) -> Record {
    serde_json::from_slice(&fs::read(p).unwrap()).unwrap()
}

fn report(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join("merge-report.json")).unwrap()).unwrap()
}

/// Every file under `dir` (relative path → bytes), temp files included.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Runs anketa with a deadline: a command that hangs is killed and the test fails.
fn within(secs: u64, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anketa"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("anketa {args:?} hung for {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Defect 1: a FIFO named as an input hangs `merge`, `check` and `report`.
#[cfg(unix)]
#[test]
fn defect_1_a_fifo_given_as_an_argument_is_refused_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let lap = tmp.path().join("lap");
    simulate("demo", 3, &lap, 1, 0.0, 2);
    let fifo = tmp.path().join("pipe.json");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let out = tmp.path().join("out");
    let o = within(20, &["merge", s(&lap), s(&fifo), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    says(&o, "pipe.json: not a regular file");
    assert_eq!(report(&out)["merged"]["demo"], 3);
    let o = within(20, &["check", s(&fifo)]);
    assert_ne!(o.status.code(), Some(0));
    says(&o, "not a regular file");
    let o = within(20, &["report", s(&fifo)]);
    assert_ne!(o.status.code(), Some(0));
    says(&o, "not a regular file");
    // A merge killed midway left its temp file: the next merge into the folder removes it.
    let stale = out.join(".interviews.ndjson.4194999.tmp");
    fs::write(&stale, "partial").unwrap();
    ok(&merge(&[&lap], &out, &[]));
    assert!(!stale.exists(), "a dead merge's temp file is removed");
}

/// Defect 2: one bad byte in a small NDJSON file loses the whole file.
#[test]
fn defect_2_one_bad_byte_loses_one_ndjson_line_only() {
    let tmp = tempfile::tempdir().unwrap();
    let lap = tmp.path().join("lap");
    simulate("demo", 300, &lap, 2, 0.0, 2);
    let first = tmp.path().join("first");
    ok(&merge(&[&lap], &first, &[]));
    let nd = fs::read(first.join("interviews.ndjson")).unwrap();
    assert!(nd.len() < 10 << 20);
    let mut lines: Vec<Vec<u8>> = nd.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let at = lines[4].windows(8).position(|w| w == b"\"device\"").unwrap();
    lines[4].insert(at + 10, 0xff);
    let bad = tmp.path().join("mail");
    fs::create_dir(&bad).unwrap();
    fs::write(bad.join("interviews.ndjson"), lines.join(&b'\n')).unwrap();
    let out = tmp.path().join("out");
    let o = merge(&[&bad], &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let r = report(&out);
    assert_eq!(r["merged"]["demo"], 299, "{:#}", r["rejected"]);
    assert_eq!(
        r["rejected"][0]["path"],
        format!("{}:5", s(&bad.join("interviews.ndjson")))
    );
    assert!(
        r["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not UTF-8 text")
    );
    // The same byte in the first line: that line alone.
    let mut lines: Vec<Vec<u8>> = nd.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let at = lines[0].windows(8).position(|w| w == b"\"device\"").unwrap();
    lines[0].insert(at + 10, 0xff);
    fs::write(bad.join("interviews.ndjson"), lines.join(&b'\n')).unwrap();
    let out = tmp.path().join("out1");
    assert_eq!(merge(&[&bad], &out, &[]).status.code(), Some(3));
    let r = report(&out);
    assert_eq!(r["merged"]["demo"], 299, "{:#}", r["rejected"]);
    assert_eq!(
        r["rejected"][0]["path"],
        format!("{}:1", s(&bad.join("interviews.ndjson")))
    );
}

/// A questionnaire that is not bundled: the demo with another id and version.
fn renamed_demo(dir: &Path, id: &str, version: &str) -> PathBuf {
    let src = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires/demo.en.json")).unwrap();
    let src = src
        .replacen("\"id\": \"demo\"", &format!("\"id\": \"{id}\""), 1)
        .replacen("\"version\": \"1\"", &format!("\"version\": \"{version}\""), 1);
    fs::create_dir_all(dir).unwrap();
    let p = dir.join(format!("{}.json", &version[..8.min(version.len())]));
    fs::write(&p, src).unwrap();
    p
}

/// Defect 3: a long interviewer code and questionnaire id, or a long version, abort the merge.
#[test]
fn defect_3_long_names_are_bounded_and_never_abort_a_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let id = "q".repeat(32);
    let qs = tmp.path().join("qs");
    let (v1, v2) = ("v".repeat(300), "w".repeat(300));
    let (q1, q2) = (renamed_demo(&qs, &id, &v1), renamed_demo(&qs, &id, &v2));
    let lap = tmp.path().join("lap");
    simulate(s(&q1), 2, &lap, 3, 0.0, 2);
    simulate(s(&q2), 2, &lap, 4, 0.0, 2);
    // The interviewer saved these files without trouble; their conflicting copies come too.
    let stick = tmp.path().join("stick");
    fs::create_dir(&stick).unwrap();
    for p in files(&lap.join("interviews")) {
        let mut r = read(&p);
        r.interviewer = "\u{1F600}".repeat(40);
        fs::write(&p, r.to_json()).unwrap();
        r.revision += 1;
        r.updated = "2030-01-01T00:00:00Z".into();
        fs::write(stick.join(p.file_name().unwrap()), r.to_json()).unwrap();
        r.revision -= 1;
    }
    let out = tmp.path().join("out");
    let o = merge(
        &[&lap, &stick],
        &out,
        &["--questionnaire", s(&q1), "--questionnaire", s(&q2)],
    );
    ok(&o);
    let r = report(&out);
    assert_eq!(r["conflicts"].as_array().unwrap().len(), 4, "{r:#}");
    for (p, _) in tree(&out) {
        for part in p.iter() {
            assert!(part.len() < 200, "{} is {} bytes", p.display(), part.len());
        }
    }
}

/// Defect 9: a merge that cannot write its outputs (disk full) leaves the previous outputs (or
/// none) and no temp file, and the same `--out` works on the rerun.
#[cfg(target_os = "linux")]
#[test]
fn defect_9_a_failed_merge_leaves_the_previous_outputs_and_no_temp_file() {
    let tmp = tempfile::tempdir().unwrap();
    let lap = tmp.path().join("lap");
    simulate("demo", 400, &lap, 5, 0.1, 2);
    // A file-size limit plays the full disk: every write past 64 kB fails (EFBIG).
    let limited = |out: &Path| {
        let bin = env!("CARGO_BIN_EXE_anketa");
        let script = format!(
            "ulimit -f 128; trap '' XFSZ; exec '{bin}' merge '{}' --out '{}'",
            s(&lap),
            s(out)
        );
        Command::new("sh").args(["-c", &script]).output().unwrap()
    };
    // A fresh folder: nothing is left at all.
    let fresh = tmp.path().join("fresh");
    let o = limited(&fresh);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    says(&o, "no output was changed");
    assert!(
        tree(&fresh).is_empty(),
        "{:?}",
        tree(&fresh).iter().map(|t| &t.0).collect::<Vec<_>>()
    );
    ok(&merge(&[&lap], &fresh, &[]));
    // An earlier output: left as it was.
    let small = tmp.path().join("small");
    simulate("demo", 2, &small, 6, 0.0, 2);
    let out = tmp.path().join("out");
    ok(&merge(&[&small], &out, &[]));
    let before = tree(&out);
    let o = limited(&out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(tree(&out), before, "the previous outputs, and nothing else");
    ok(&merge(&[&lap], &out, &[]));
    assert_eq!(
        report(&out)["merged"]["demo"],
        fs::read_dir(lap.join("interviews")).unwrap().count() - 40
    );
}

/// Defect 10: `{}` is taken for settings; exit status 0 with rejects; rejects not on stderr;
/// `--out afile/sub` prints an OS error.
#[test]
fn defect_10_empty_object_exit_status_stderr_and_out_under_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let lap = tmp.path().join("lap");
    simulate("demo", 2, &lap, 7, 0.0, 2);
    fs::write(lap.join("empty-object.json"), "{}").unwrap();
    let out = tmp.path().join("out");
    let o = merge(&[&lap], &out, &[]);
    assert_eq!(o.status.code(), Some(3), "a reject is told by the exit status");
    says(
        &o,
        "empty-object.json: not an anketa interview file (no `format` field)",
    );
    // More than 20 rejects: the first 20 on stderr, then a count.
    let many = tmp.path().join("many");
    fs::create_dir(&many).unwrap();
    for k in 0..25 {
        fs::write(many.join(format!("junk{k:02}.json")), "{").unwrap();
    }
    let o = merge(&[&many], &tmp.path().join("out-many"), &[]);
    assert_eq!(o.status.code(), Some(3));
    says(&o, "25 input(s) rejected");
    says(&o, "junk19.json: truncated JSON");
    says(&o, "… and 5 more");
    assert!(!text(&o.stderr).contains("junk20.json"));
    let afile = tmp.path().join("afile");
    fs::write(&afile, "x").unwrap();
    let o = merge(&[&lap], &afile.join("sub"), &[]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "is a file, not a folder");
    assert!(!text(&o.stderr).contains("os error"), "{}", text(&o.stderr));
    let help = text(&anketa(&["merge", "--help"]).stdout);
    assert!(help.contains("Exit status") && help.contains("3"), "{help}");
}

/// Defect 8: what inputs hold reaches the terminal raw (escape sequences, forged lines).
#[test]
fn defect_8_printed_text_is_sanitised() {
    let tmp = tempfile::tempdir().unwrap();
    let lap = tmp.path().join("lap");
    simulate("demo", 2, &lap, 8, 0.0, 2);
    let p = &files(&lap.join("interviews"))[0];
    let mut r = read(p);
    assert_eq!(r.status, Status::Completed);
    r.answers.get_mut("org_type").unwrap().value =
        Some(anketa::record::AnswerValue::Text("\u{1b}]0;owned\u{7}\u{1b}[2J".into()));
    fs::write(p, r.to_json()).unwrap();
    fs::write(lap.join("x\nmerged 999 interview(s).json"), "{").unwrap();
    let out = tmp.path().join("out");
    let o = merge(&[&lap], &out, &[]);
    assert_eq!(o.status.code(), Some(3));
    for stream in [&o.stdout, &o.stderr] {
        let t = text(stream);
        assert!(!t.contains('\u{1b}') && !t.contains('\u{7}'), "{t:?}");
        assert!(!t.lines().any(|l| l.starts_with("merged 999")), "{t}");
        assert!(t.contains("\\u{1b}]0;owned\\u{7}"), "shown escaped: {t}");
    }
}

/// One simulated, completed demo interview: its file and its text.
fn one_interview(dir: &Path, seed: u32) -> (PathBuf, String) {
    simulate("demo", 1, dir, seed, 0.0, 2);
    let p = files(&dir.join("interviews")).remove(0);
    let t = fs::read_to_string(&p).unwrap();
    (p, t)
}

/// Defect 5: duplicate keys are refused as a bare "malformed interview", or, in `answers`,
/// accepted with the last one winning.
#[test]
fn defect_5_duplicate_keys_are_refused_naming_the_key_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, t) = one_interview(&tmp.path().join("lap"), 9);
    let stick = tmp.path().join("stick");
    fs::create_dir(&stick).unwrap();
    // `status` twice, on the record's second line.
    let twice = t.replacen("{\n", "{\n  \"status\": \"in_progress\",\n", 1);
    fs::write(stick.join("status.json"), &twice).unwrap();
    // A variable twice in `answers`.
    let r = read(&p);
    let (var, a) = r.answers.iter().next().unwrap();
    let one = format!("\"{var}\": {}", serde_json::to_string(a).unwrap());
    let again = t.replacen("\"answers\": {", &format!("\"answers\": {{\n    {one},"), 1);
    assert_ne!(again, t);
    // The line of the second `"var":` (the original, below the copy put first).
    let key = format!("\"{var}\":");
    let line = again
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(&key))
        .nth(1)
        .unwrap()
        .0
        + 1;
    fs::write(stick.join("answer.json"), &again).unwrap();
    let out = tmp.path().join("out");
    let o = merge(&[&stick], &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let rep = report(&out);
    let reason = |f: &str| {
        rep["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(f))
            .map(|r| r["reason"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{f} not rejected: {rep:#}"))
    };
    let status = reason("status.json");
    assert!(
        status.contains("duplicate field `status`") && status.contains("line "),
        "{status}"
    );
    let answer = reason("answer.json");
    assert!(
        answer.contains(&format!("duplicate variable `{var}`")) && answer.contains(&format!("line {line}")),
        "{answer}"
    );
}

/// Defect 6: times are not checked (`completed` not at all): a line break in `completed`
/// breaks a CSV row, a formula reaches the `--excel` CSV.
#[test]
fn defect_6_times_are_rfc_3339_with_seconds_and_offset_and_no_control_char_reaches_a_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, _) = one_interview(&tmp.path().join("lap"), 10);
    let stick = tmp.path().join("stick");
    fs::create_dir(&stick).unwrap();
    let base = read(&p);
    let mut n = 0;
    let mut put = |f: &dyn Fn(&mut Record)| {
        let mut r = base.clone();
        f(&mut r);
        n += 1;
        r.id = format!("{}{:x}", &r.id[..35], n);
        fs::write(stick.join(format!("t{n}.json")), r.to_json()).unwrap();
    };
    put(&|r| r.updated = "2021-01-10T12Z".into());
    put(&|r| r.updated = "20210110T125300Z".into());
    put(&|r| r.started = "2021-01-10T12:53:60Z".into());
    put(&|r| r.completed = Some(format!("{}\nX,Y", r.updated)));
    put(&|r| r.completed = Some("=HYPERLINK(\"http://x\")".into()));
    put(&|r| {
        let a = r.answers.values_mut().next().unwrap();
        a.answered_at = Some("yesterday".into());
    });
    // Accepted: a text with control characters (cleaned in the CSV), an interviewer code that
    // looks like a formula (made inert by --excel).
    put(&|r| {
        r.interviewer = "=1+2".into();
        r.answers.insert(
            "proposals".into(),
            anketa::record::Answer {
                value: Some(anketa::record::AnswerValue::Text("a\u{1}b\u{1b}[2J\u{85}c\rd".into())),
                relevant: true,
                ..Default::default()
            },
        );
    });
    let out = tmp.path().join("out");
    let o = merge(&[&stick], &out, &["--excel"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let rep = report(&out);
    let rejected = rep["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 6, "{rep:#}");
    for (f, field) in [
        ("t1.json", "`updated`"),
        ("t2.json", "`updated`"),
        ("t3.json", "`started`"),
        ("t4.json", "`completed`"),
        ("t5.json", "`completed`"),
        ("t6.json", "`answered_at`"),
    ] {
        let r = rejected
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(f))
            .unwrap();
        assert!(r["reason"].as_str().unwrap().contains(field), "{r}");
    }
    let csv = fs::read_to_string(out.join("demo.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(!csv.trim_end().chars().any(|c| c.is_control() && c != '\n'), "{csv:?}");
    assert!(csv.contains(";'=1+2;"), "{csv}");
    assert!(csv.contains("a b [2J c d"), "{csv}");
}

/// Defect 7: records that break their questionnaire are merged (members_count −5, 2.5, 1e300, a
/// 20-digit integer, 5 options where `max` is 3, 2,500 characters where `max_length` is 2,000, a
/// completed interview without a required answer, `relevant: true` on a question that is not
/// relevant — which the CSV exported while the report left it out).
#[test]
fn defect_7_records_that_break_their_questionnaire_are_kept_under_rejected_with_every_violation() {
    use anketa::record::{Answer, AnswerValue};
    let tmp = tempfile::tempdir().unwrap();
    let lap = tmp.path().join("lap");
    simulate("nko", 40, &lap, 12, 0.0, 2);
    let recs: Vec<(PathBuf, Record)> = files(&lap.join("interviews"))
        .into_iter()
        .map(|p| (p.clone(), read(&p)))
        .collect();
    let nko = anketa::questionnaire::bundled("nko").unwrap();
    fn set(r: &mut Record, var: &str, v: AnswerValue) {
        r.answers.insert(
            var.into(),
            Answer {
                value: Some(v),
                relevant: true,
                ..Answer::default()
            },
        );
    }
    let five: Vec<String> = nko.question("activity_areas").unwrap().options[..5]
        .iter()
        .map(|o| o.code.clone())
        .collect();
    type Fault = (&'static str, &'static str, Box<dyn Fn(&mut Record)>);
    let faults: Vec<Fault> = vec![
        (
            "members_count",
            "min 0",
            Box::new(|r| set(r, "members_count", AnswerValue::Number(-5.0))),
        ),
        (
            "members_count",
            "integer",
            Box::new(|r| set(r, "members_count", AnswerValue::Number(2.5))),
        ),
        (
            "members_count",
            "max 100000",
            Box::new(|r| set(r, "members_count", AnswerValue::Number(1e300))),
        ),
        (
            "members_count",
            "an integer of at most 15 digits",
            Box::new(|r| set(r, "members_count", AnswerValue::Number(12345678901234567890.0))),
        ),
        (
            "activity_areas",
            "max 3 options",
            Box::new(move |r| set(r, "activity_areas", AnswerValue::Codes(five.clone()))),
        ),
        (
            "final_comment",
            "max_length 2000",
            Box::new(|r| set(r, "final_comment", AnswerValue::Text("я".repeat(2500)))),
        ),
        (
            "district",
            "required",
            Box::new(|r| {
                r.answers.remove("district");
            }),
        ),
    ];
    // Each fault in its own completed interview, as a file on a USB stick.
    let stick = tmp.path().join("stick");
    fs::create_dir(&stick).unwrap();
    let completed: Vec<&(PathBuf, Record)> = recs.iter().filter(|(_, r)| r.status == Status::Completed).collect();
    for (k, (_, _, f)) in faults.iter().enumerate() {
        let mut r = completed[k].1.clone();
        f(&mut r);
        r.revision += 1;
        fs::write(stick.join(format!("fault{k}.json")), r.to_json()).unwrap();
    }
    // `relevant: true` on an answer whose question is not relevant to the other answers.
    let (_, base) = completed
        .iter()
        .find(|(_, r)| {
            r.answers.get("interaction").and_then(|a| a.value.clone()) != Some(AnswerValue::Text("no".into()))
        })
        .unwrap();
    let mut r = base.clone();
    let reason = nko.question("no_interaction_reason").unwrap().options[0].code.clone();
    set(&mut r, "no_interaction_reason", AnswerValue::Text(reason));
    r.revision += 1;
    fs::write(stick.join("relevance.json"), r.to_json()).unwrap();
    // Directly in a fresh laptop folder (no earlier copy): otherwise it would merge.
    let out = tmp.path().join("out");
    let o = merge(&[&stick], &out, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let rep = report(&out);
    assert_eq!(
        rep["merged"].as_object().map_or(0, |m| m.len()),
        0,
        "nothing merged: {:#}",
        rep["merged"]
    );
    let rejected = rep["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), faults.len() + 1, "{rep:#}");
    for (k, (var, rule, _)) in faults.iter().enumerate() {
        let r = rejected
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(&format!("fault{k}.json")))
            .unwrap();
        let v = r["violations"].as_array().unwrap();
        assert!(
            v.iter()
                .any(|v| v["variable"] == *var && v["rule"].as_str().unwrap().starts_with(rule)),
            "fault {k}: {r:#}"
        );
        // Kept as it was read.
        let kept = r["kept_as"].as_str().unwrap();
        assert!(kept.starts_with("rejected/"));
        assert_eq!(
            fs::read(out.join(kept)).unwrap(),
            fs::read(stick.join(format!("fault{k}.json"))).unwrap()
        );
    }
    let r = rejected
        .iter()
        .find(|r| r["path"].as_str().unwrap().ends_with("relevance.json"))
        .unwrap();
    assert!(
        r["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["variable"] == "no_interaction_reason" && v["rule"].as_str().unwrap().starts_with("relevance")),
        "{r:#}"
    );
    // The questionnaire travels with the records kept.
    assert!(files(&out.join("questionnaires")).len() == 1);
    // The report merging the stick on the fly agrees: it refuses the same records.
    let o = anketa(&["report", s(&stick), "--format", "json"]);
    says(&o, &format!("{} record(s) not used", faults.len() + 1));
}

/// A tiny deterministic generator (xorshift64*), for the random splits of the property test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// What a merge's report says, without the paths that name where records came from: merged,
/// conflicts (winner and loser content, rule), drafts kept (content, whether the interview was
/// merged), rejected records kept (name, reason).
fn accounting(out: &Path) -> Vec<String> {
    let r = report(out);
    let mut v: Vec<String> = Vec::new();
    v.push(format!("merged {}", r["merged"]));
    for c in r["conflicts"].as_array().unwrap() {
        v.push(format!(
            "conflict {} {} {} {}",
            c["id"], c["winner"]["sha256"], c["loser"]["sha256"], c["rule"]
        ));
    }
    for d in r["in_progress_left_out"].as_array().unwrap() {
        v.push(format!(
            "draft {} {} {} {}",
            d["id"], d["sha256"], d["interview_merged"], d["saved_as"]
        ));
    }
    for x in r["rejected"].as_array().unwrap() {
        if !x["kept_as"].is_null() {
            v.push(format!("rejected {} {}", x["kept_as"], x["reason"]));
        }
    }
    for i in r["incomplete"].as_array().unwrap() {
        v.push(format!("incomplete {}", i["id"]));
    }
    v.sort();
    v.dedup();
    v
}

/// Every output file but the report (which names the inputs), bytes.
fn data_files(out: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    tree(out)
        .into_iter()
        .filter(|(p, _)| p != Path::new("merge-report.json"))
        .collect()
}

fn merged_ok(o: &Output) {
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "stdout:\n{}\nstderr:\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

/// Defect 4 and the merge algebra: merge(merge(A), B) = merge(A ∪ B) = merge(merge(B), merge(A))
/// in every output file, drafts included, and in what the report accounts, over random splits
/// (with overlap) of a corpus with drafts, duplicates, conflicts and rejects, in random orders.
#[test]
fn defect_4_merging_outputs_again_loses_nothing_over_random_splits() {
    let tmp = tempfile::tempdir().unwrap();
    let lap = tmp.path().join("lap");
    simulate("nko", 24, &lap, 14, 0.25, 2);
    let originals: Vec<Record> = files(&lap.join("interviews")).iter().map(|p| read(p)).collect();
    let mut pool: Vec<Vec<u8>> = Vec::new();
    let (mut reopened, mut two_drafts, mut conflicts) = (0, 0, 0);
    for (k, r) in originals.iter().enumerate() {
        pool.push(r.to_json());
        if k % 3 == 0 {
            pool.push(r.to_json()); // an identical copy (another laptop, a USB stick)
        }
        let mut x = r.clone();
        x.answers.values_mut().next().unwrap().remark = Some(format!("edited {k}"));
        match (r.status, k % 4) {
            (Status::Completed, 0) => {
                // Reopened and left in progress on another laptop.
                x.revision += 2;
                x.status = Status::InProgress;
                x.completed = None;
                reopened += 1;
            }
            (Status::Completed, 1) => {
                x.revision += 1; // edited again: a conflict
                conflicts += 1;
            }
            (Status::Completed, _) => {
                x.updated = "2031-01-01T00:00:00Z".into(); // same revision, later update
                conflicts += 1;
            }
            (Status::InProgress, _) => {
                x.revision += 1; // a second, different draft: no completed copy at all
                two_drafts += 1;
            }
        }
        pool.push(x.to_json());
    }
    assert!(reopened > 0 && two_drafts > 0 && conflicts > 0);
    // Rejects: a code the questionnaire does not have, and a file cut short.
    let mut bad = originals[0].clone();
    bad.id = format!("{}f", &bad.id[..35]);
    bad.answers.get_mut("district").unwrap().value = Some(anketa::record::AnswerValue::Text("atlantis".into()));
    pool.push(bad.to_json());
    let cut = originals[1].to_json();
    pool.push(cut[..cut.len() / 2].to_vec());

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..6 {
        let include = round == 5;
        let extra: &[&str] = if include { &["--include-incomplete"] } else { &[] };
        let dir = tmp.path().join(format!("r{round}"));
        let (a, b) = (dir.join("A"), dir.join("B"));
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        for (k, bytes) in pool.iter().enumerate() {
            // Each file in A, in B or in both, under a name that says nothing of its order.
            let name = format!("{:016x}-{k}.json", rng.next());
            match rng.below(3) {
                0 => fs::write(a.join(&name), bytes).unwrap(),
                1 => fs::write(b.join(&name), bytes).unwrap(),
                _ => {
                    fs::write(a.join(&name), bytes).unwrap();
                    fs::write(b.join(&name), bytes).unwrap();
                }
            }
        }
        let m = |inputs: &[&Path], out: &str| {
            let out = dir.join(out);
            merged_ok(&merge(inputs, &out, extra));
            out
        };
        let union = if rng.below(2) == 0 {
            m(&[&a, &b], "ab")
        } else {
            m(&[&b, &a], "ab")
        };
        let ma = m(&[&a], "ma");
        let mb = m(&[&b], "mb");
        let ma_b = m(&[&ma, &b], "ma_b");
        let mb_ma = m(&[&mb, &ma], "mb_ma");
        let want = data_files(&union);
        assert!(
            want.iter().any(|(p, _)| p == Path::new("drafts.ndjson")) != include,
            "round {round}"
        );
        for out in [&ma_b, &mb_ma] {
            let got = data_files(out);
            let names = |v: &[(PathBuf, Vec<u8>)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
            assert_eq!(names(&got), names(&want), "round {round}: {}", out.display());
            assert!(got == want, "round {round}: {} differs in content", out.display());
            assert_eq!(accounting(out), accounting(&union), "round {round}: {}", out.display());
        }
        // Every record read is in exactly one list.
        for out in [&union, &ma, &mb, &ma_b, &mb_ma] {
            let r = report(out);
            let acc = &r["accounting"];
            let sum: u64 = acc.as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
            assert_eq!(r["records_read"].as_u64(), Some(sum), "{acc:#}");
        }
    }
}
