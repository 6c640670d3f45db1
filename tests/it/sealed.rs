//! Sealed interviews (issue 16) through the real binary: keys, sealed files with nothing in the
//! clear, merge and report with and without the right key, damaged and altered files.

use crate::support::{anketa, has_all, merge_outputs, ok, s, says, simulate, simulate_with, text};
use std::fs;
use std::path::{Path, PathBuf};

/// A key pair `<dir>/<name>.key` and `.pub`.
fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let out = ok(&anketa(&["keygen", "--out", s(&dir.join(name))]));
    assert!(out.contains("public key: age1"), "{out}");
    (dir.join(format!("{name}.key")), dir.join(format!("{name}.pub")))
}

fn sealed_sim(q: &str, count: u32, out: &Path, seed: u32, to: &Path) {
    simulate_with(q, count, out, seed, 0.2, 3, &["--seal-to", s(to)]);
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir.join("interviews"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.')) // locks
        .collect();
    v.sort();
    v
}

/// Every string value of a plaintext interview file's answers (texts, codes, remarks), at least
/// 4 bytes long.
fn answer_texts(file: &Path) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&fs::read(file).unwrap()).unwrap();
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if s.len() >= 4 && !s.starts_with("20") => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&v["answers"], &mut out);
    walk(&v["rosters"], &mut out);
    out.push(v["interviewer"].as_str().unwrap().to_string());
    out
}

/// Standard base64 (with padding), decoded.
fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').map(val).collect();
    let mut out = Vec::new();
    for ch in bytes.chunks(4) {
        let n = ch
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &v)| n | (u32::from(v) << (18 - 6 * i)));
        out.extend_from_slice(&n.to_be_bytes()[1..ch.len()]);
    }
    out
}

#[test]
fn keygen_writes_a_private_key_and_never_overwrites_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "supervisor");
    let k = fs::read_to_string(&key).unwrap();
    assert!(k.lines().last().unwrap().starts_with("AGE-SECRET-KEY-1"), "{k}");
    assert!(
        fs::read_to_string(&public)
            .unwrap()
            .lines()
            .last()
            .unwrap()
            .starts_with("age1")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let again = anketa(&["keygen", "--out", s(&tmp.path().join("supervisor"))]);
    assert_eq!(again.status.code(), Some(2));
    says(&again, "already exists; a key file is never overwritten");
    assert_eq!(fs::read_to_string(&key).unwrap(), k, "the key was changed");
}

#[test]
fn no_answer_of_a_sealed_file_is_in_its_bytes_and_drafts_stay_plain() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, public) = keygen(tmp.path(), "sup");
    let (plain, sealed) = (tmp.path().join("plain"), tmp.path().join("sealed"));
    simulate("projects", 30, &plain, 5, 0.2, 3);
    sealed_sim("projects", 30, &sealed, 5, &public);
    let (p, q) = (files(&plain), files(&sealed));
    assert_eq!(p.len(), 30);
    let mut n_sealed = 0;
    for (p, q) in p.iter().zip(&q) {
        assert_eq!(p.file_name(), q.file_name());
        let bytes = fs::read(q).unwrap();
        let t = text(&bytes);
        if t.contains("\"anketa-sealed/1\"") {
            n_sealed += 1;
            let secrets = answer_texts(p);
            assert!(!secrets.is_empty());
            // The head (all but the sealed part) holds none of them; the sealed part is base64,
            // where no Cyrillic can be, and its decoded bytes (the age file) hold none either.
            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
            let b64 = v["sealed"].as_str().unwrap();
            let head = t.replace(b64, "");
            let age = base64_decode(b64);
            for secret in &secrets {
                assert!(
                    !head.contains(secret.as_str()),
                    "{}: `{secret}` in the head",
                    q.display()
                );
                assert!(
                    secret.is_ascii() || !t.contains(secret.as_str()),
                    "{}: `{secret}`",
                    q.display()
                );
                assert!(
                    age.windows(secret.len()).all(|w| w != secret.as_bytes()),
                    "{}: `{secret}` in the age file",
                    q.display()
                );
            }
            assert!(!t.contains("paradata") && !t.contains("started"));
        } else {
            // A draft: plaintext, the same bytes as without sealing.
            assert_eq!(bytes, fs::read(p).unwrap(), "{}", q.display());
            assert!(t.contains("\"in_progress\""));
        }
    }
    assert!(n_sealed >= 20, "{n_sealed} sealed");
}

#[test]
fn mixed_sealed_plain_and_duplicate_copies_merge_to_the_all_plaintext_set() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "sup");
    let (plain, sealed) = (tmp.path().join("plain"), tmp.path().join("sealed"));
    simulate("nko", 40, &plain, 7, 0.2, 3);
    sealed_sim("nko", 40, &sealed, 7, &public);
    // A stick with half the files sealed, half plaintext; another with copies of some of each.
    let mixed = tmp.path().join("mixed/interviews");
    let copies = tmp.path().join("copies/interviews");
    fs::create_dir_all(&mixed).unwrap();
    fs::create_dir_all(&copies).unwrap();
    for (i, (p, q)) in files(&plain).iter().zip(files(&sealed)).enumerate() {
        let name = p.file_name().unwrap();
        fs::copy(if i % 2 == 0 { p } else { &q }, mixed.join(name)).unwrap();
        if i % 3 == 0 {
            fs::copy(if i % 2 == 0 { &q } else { p }, copies.join(name)).unwrap();
        }
    }
    let all_plain = tmp.path().join("m-plain");
    ok(&anketa(&["merge", s(&plain), "--out", s(&all_plain)]));
    let out = tmp.path().join("m-mixed");
    let m = ok(&anketa(&[
        "merge",
        s(&tmp.path().join("mixed")),
        s(&tmp.path().join("copies")),
        "--identity",
        s(&key),
        "--out",
        s(&out),
    ]));
    assert!(m.contains("duplicates: "), "{m}");
    for f in ["interviews.ndjson", "nko.csv", "drafts.ndjson"] {
        assert_eq!(
            fs::read(all_plain.join(f)).unwrap(),
            fs::read(out.join(f)).unwrap(),
            "{f} differs from the all-plaintext merge"
        );
    }
    // The report over the sealed folder, opened with the key, is the plaintext folder's.
    let report = |dir: &Path, key: Option<&Path>| {
        let mut args = vec!["report", s(dir), "--format", "csv"];
        if let Some(k) = key {
            args.extend(["--identity", s(k)]);
        }
        ok(&anketa(&args))
    };
    assert_eq!(report(&sealed, Some(&key)), report(&plain, None));
}

#[test]
fn without_the_right_key_sealed_interviews_are_kept_not_merged() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, public) = keygen(tmp.path(), "sup");
    let (other, _) = keygen(tmp.path(), "other");
    let sealed = tmp.path().join("sealed");
    sealed_sim("nko", 20, &sealed, 3, &public);
    let n_sealed = files(&sealed)
        .iter()
        .filter(|f| fs::read_to_string(f).unwrap().contains("anketa-sealed/1"))
        .count();
    assert!(n_sealed > 10);
    for (key, why) in [
        (None, "sealed: needs --identity"),
        (
            Some(&other),
            "sealed for another key: none of the --identity files opens it",
        ),
    ] {
        let out = tmp.path().join(format!("m{}", key.is_some()));
        let mut args = vec!["merge", s(&sealed), "--out", s(&out)];
        if let Some(k) = key {
            args.extend(["--identity", s(k)]);
        }
        let r = anketa(&args);
        assert_eq!(r.status.code(), Some(3), "{}", text(&r.stderr));
        has_all(
            &text(&r.stdout),
            &[
                &format!("sealed: {n_sealed} interview(s) not opened"),
                &format!("+ {n_sealed} sealed"),
                "merged 0 interview(s)",
            ],
        );
        let report: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("merge-report.json")).unwrap()).unwrap();
        let listed = report["sealed"].as_array().unwrap();
        assert_eq!(listed.len(), n_sealed);
        assert!(listed[0]["reason"].as_str().unwrap().starts_with(why), "{}", listed[0]);
        assert_eq!(report["accounting"]["sealed"], n_sealed);
        // Each kept byte for byte.
        for l in listed {
            let kept = fs::read(out.join(l["kept_as"].as_str().unwrap())).unwrap();
            let from = l["path"].as_str().unwrap();
            assert_eq!(
                kept,
                fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(from)).unwrap_or_else(|_| fs::read(from).unwrap())
            );
        }
    }
    // The report cannot use them either, and says why.
    let r = anketa(&["report", s(&sealed)]);
    says(
        &r,
        &format!("warning: {n_sealed} sealed interview(s) could not be opened"),
    );
    says(&r, "no interviews to report on (see above)");
}

#[test]
fn cut_flipped_and_altered_sealed_files_are_refused_each_with_its_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "sup");
    let sealed = tmp.path().join("sealed");
    sealed_sim("nko", 5, &sealed, 3, &public);
    let f = files(&sealed)
        .into_iter()
        .find(|f| fs::read_to_string(f).unwrap().contains("anketa-sealed/1"))
        .unwrap();
    let src = fs::read_to_string(&f).unwrap();
    let bad = tmp.path().join("bad/interviews");
    fs::create_dir_all(&bad).unwrap();
    fs::write(bad.join("cut.json"), &src[..src.len() / 2]).unwrap();
    let at = src.find("\"sealed\": \"").unwrap() + 11 + src.len() / 3;
    let mut flipped = src.clone().into_bytes();
    flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
    fs::write(bad.join("flipped.json"), &flipped).unwrap();
    fs::write(
        bad.join("altered.json"),
        src.replacen("\"revision\": ", "\"revision\": 9", 1),
    )
    .unwrap();
    let out = tmp.path().join("m");
    let r = anketa(&[
        "merge",
        s(&tmp.path().join("bad")),
        "--identity",
        s(&key),
        "--out",
        s(&out),
    ]);
    assert_eq!(r.status.code(), Some(3));
    let err = text(&r.stderr);
    has_all(
        &err,
        &[
            "cut.json: sealed interview cut short",
            "flipped.json: sealed interview refused: its encrypted content fails authentication",
            "altered.json: sealed interview refused: its plaintext `revision` differs from the sealed record's",
        ],
    );
    // The refused files are kept as they were read.
    assert_eq!(fs::read_dir(out.join("rejected")).unwrap().count(), 3);
}

#[test]
fn merge_seal_to_writes_the_answers_as_age_files_that_the_key_and_report_open() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "sup");
    let plain = tmp.path().join("plain");
    simulate("projects", 25, &plain, 9, 0.2, 3);
    let (open, sealed) = (tmp.path().join("open"), tmp.path().join("sealed"));
    ok(&anketa(&["merge", s(&plain), "--out", s(&open)]));
    ok(&anketa(&[
        "merge",
        s(&plain),
        "--seal-to",
        s(&public),
        "--out",
        s(&sealed),
    ]));
    let outputs = merge_outputs(&sealed);
    let outputs: Vec<&str> = outputs.iter().map(String::as_str).collect();
    // Every file that holds answers is sealed, and only those; each opens to the plaintext output.
    let mut n = 0;
    for name in &outputs {
        let bytes = fs::read(sealed.join(name)).unwrap();
        match name.strip_suffix(".age") {
            Some(plain_name) => {
                n += 1;
                assert!(anketa::seal::is_age_file(&bytes), "{name}");
                let mut ids = anketa::seal::Identities::default();
                ids.add_file("sup.key", &fs::read_to_string(&key).unwrap()).unwrap();
                let opened = anketa::seal::open_bytes(&bytes, &ids).unwrap();
                assert!(
                    opened == fs::read(open.join(plain_name)).unwrap(),
                    "{name} opens to other bytes"
                );
                assert!(
                    !sealed.join(plain_name).exists(),
                    "{plain_name} written in plaintext too"
                );
            }
            None => {
                assert!(
                    name.ends_with(".codebook.csv")
                        || name.ends_with(".sps")
                        || name.starts_with("questionnaires/")
                        || *name == "merge-report.json",
                    "{name} is not sealed"
                );
                if *name != "merge-report.json" {
                    assert!(bytes == fs::read(open.join(name)).unwrap(), "{name} differs");
                }
            }
        }
    }
    assert!(outputs.contains(&"interviews.ndjson.age") && outputs.contains(&"drafts.ndjson.age"));
    assert!(n >= 5, "{outputs:?}"); // data set, drafts, the questionnaire's and its rosters' CSVs
    // The report reads the sealed data set with the key, as the plaintext one.
    let r = |dir: &Path, key: Option<&Path>| {
        let mut args = vec!["report", s(dir), "--format", "csv"];
        if let Some(k) = key {
            args.extend(["--identity", s(k)]);
        }
        anketa(&args)
    };
    assert_eq!(ok(&r(&sealed, Some(&key))), ok(&r(&open, None)));
    says(&r(&sealed, None), "sealed: needs --identity");
    // Merged again, the sealed data set is refused with what to do, not skipped in silence.
    let again = anketa(&[
        "merge",
        s(&sealed),
        "--identity",
        s(&key),
        "--out",
        s(&tmp.path().join("again")),
    ]);
    assert_eq!(again.status.code(), Some(3));
    says(
        &again,
        "interviews.ndjson.age: an age-encrypted file (an output of `anketa merge --seal-to`)",
    );
}

#[test]
fn seal_to_seals_the_interviews_completed_before_it_and_keeps_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "sup");
    let (lap, copy) = (tmp.path().join("lap"), tmp.path().join("copy"));
    simulate("nko", 12, &lap, 4, 0.25, 2);
    simulate("nko", 12, &copy, 4, 0.25, 2);
    let out = ok(&anketa(&["seal-to", "--data-dir", s(&lap), s(&public)]));
    assert!(
        out.contains("sealed 9 interview(s) completed earlier on this laptop"),
        "{out}"
    );
    for f in files(&lap) {
        let t = fs::read_to_string(&f).unwrap();
        assert_eq!(
            t.contains("anketa-sealed/1"),
            !t.contains("\"in_progress\""),
            "{}",
            f.display()
        );
    }
    // Nothing lost: opened with the key, the laptop merges as its plaintext twin.
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    ok(&anketa(&["merge", s(&lap), "--identity", s(&key), "--out", s(&a)]));
    ok(&anketa(&["merge", s(&copy), "--out", s(&b)]));
    assert!(fs::read(a.join("interviews.ndjson")).unwrap() == fs::read(b.join("interviews.ndjson")).unwrap());
    // The setting is shown, and again nothing is left to seal.
    let again = ok(&anketa(&["seal-to", "--data-dir", s(&lap)]));
    assert!(
        again.contains("sealed to 1 key(s)") && !again.contains("completed earlier"),
        "{again}"
    );
    let off = ok(&anketa(&["seal-to", "--data-dir", s(&lap), "--off"]));
    assert!(off.starts_with("this laptop does not seal interviews"), "{off}");
}

#[test]
fn the_report_counts_sealed_interviews_it_cannot_open_apart_and_says_they_are_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = keygen(tmp.path(), "sup");
    let dir = tmp.path().join("mixed");
    sealed_sim("nko", 12, &dir, 3, &public);
    let n_sealed = files(&dir)
        .iter()
        .filter(|f| fs::read_to_string(f).unwrap().contains("anketa-sealed/1"))
        .count();
    assert!(n_sealed > 5);
    // Plaintext interviews of another laptop beside them.
    let plain = tmp.path().join("plain");
    simulate("nko", 8, &plain, 4, 0.0, 2);
    for f in files(&plain) {
        fs::copy(&f, dir.join("interviews").join(f.file_name().unwrap())).unwrap();
    }
    let input = |r: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice::<serde_json::Value>(&r.stdout).unwrap()["input"].clone()
    };
    // On the fly: counted apart, not as rejected, and said on stderr and in the text.
    let r = anketa(&["report", s(&dir), "--format", "json"]);
    let got = input(&r);
    assert_eq!(got["records"], 8, "{got}");
    assert_eq!(got["rejected"], 0, "{got}");
    assert_eq!(got["merge"]["sealed"], n_sealed, "{got}");
    says(
        &r,
        &format!("warning: {n_sealed} sealed interview(s) could not be opened"),
    );
    let md = ok(&anketa(&["report", s(&dir)]));
    let line = format!("Запечатанных интервью, которые не удалось открыть, — {n_sealed}: в таблицы они НЕ вошли");
    // In the header and in the merge's line of the fieldwork.
    assert_eq!(md.matches(&line).count(), 2, "{md}");
    // With the key: all in, nothing said.
    let r = anketa(&["report", s(&dir), "--format", "json", "--identity", s(&key)]);
    assert_eq!(input(&r)["records"], 8 + n_sealed as u64);
    assert_eq!(input(&r)["merge"]["sealed"], 0);
    assert!(!text(&r.stderr).contains("sealed"), "{}", text(&r.stderr));
    // A merge output with interviews left under sealed/: the report reads its count there.
    let out = tmp.path().join("m");
    assert_eq!(anketa(&["merge", s(&dir), "--out", s(&out)]).status.code(), Some(3));
    let r = anketa(&["report", s(&out), "--format", "json"]);
    assert_eq!(input(&r)["records"], 8);
    assert_eq!(input(&r)["merge"]["sealed"], n_sealed);
    says(&r, &format!("warning: {n_sealed} sealed interview(s)"));
}
