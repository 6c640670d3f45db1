//! Command-line behaviour: exit codes and user-visible messages.

use crate::support::{anketa, has_all, says, text};

#[test]
fn check_accepts_the_bundled_questionnaires() {
    let out = anketa(&[
        "check",
        "questionnaires/nko.json",
        "questionnaires/omsu.json",
        "questionnaires/demo.en.json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(
        stdout.contains("ok: questionnaires/demo.en.json: demo v1: 2 blocks, 10 questions"),
        "{stdout}"
    );
}

#[test]
fn check_lists_every_error_of_a_broken_copy_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string("questionnaires/demo.en.json").unwrap();
    let broken = src
        .replace(
            "\"relevant\": \"${contact} = 'no'\"",
            "\"relevant\": \"${contct} = 'no'\"",
        )
        .replace("\"max_length\": 120", "\"max_length\": 120, \"maxx\": 3")
        .replace(
            "\"min\": 1,\n          \"max\": 10,",
            "\"min\": 11,\n          \"max\": 10,",
        );
    let path = dir.path().join("broken.json");
    std::fs::write(&path, &broken).unwrap();
    let before = std::fs::read(&path).unwrap();
    let out = anketa(&["check", path.to_str().unwrap(), "questionnaires/demo.en.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    has_all(
        &err,
        &[
            "unknown question `contct`",
            "did you mean `contact`?",
            "unknown field `maxx`",
            "min (11) is greater than max (10)",
            "broken.json: 3 error(s)",
        ],
    );
    assert!(text(&out.stdout).contains("ok: questionnaires/demo.en.json"));
    assert_eq!(std::fs::read(&path).unwrap(), before, "input must not be modified");
}

#[test]
fn check_reports_missing_and_non_utf8_files() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cp1251.json");
    std::fs::write(&bad, b"{\"id\": \"\xcd\xca\xce\"}").unwrap();
    let out = anketa(&["check", bad.to_str().unwrap(), "no/such.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("not UTF-8 text (invalid byte at offset 8)"), "{err}");
    assert!(
        err.contains("no/such.json: cannot open: no such file or directory"),
        "{err}"
    );
}

#[test]
fn codebook_csv_lists_the_variables() {
    for q in ["nko", "omsu"] {
        let out = anketa(&["codebook", q, "--format", "csv"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
        let vars: Vec<String> = rdr
            .records()
            .map(Result::unwrap)
            .filter(|r| r[4].is_empty())
            .map(|r| r[1].to_string())
            .collect();
        assert!(vars.contains(&"district".to_string()), "{q}: {vars:?}");
        assert!(vars.len() > 20, "{q}: {vars:?}");
    }
}

#[test]
fn codebook_of_unknown_questionnaire_explains() {
    let out = anketa(&["codebook", "nkoo"]);
    assert_eq!(out.status.code(), Some(2));
    says(&out, "bundled: nko, omsu, demo");
}

#[test]
fn an_unknown_lang_is_refused_by_the_commands_that_speak_and_ignored_by_the_others() {
    let out = anketa(&["--lang", "xx", "report", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(2));
    says(&out, "--lang xx: unknown language; use ru or en");
    let out = anketa(&["--lang", "xx", "codebook", "demo", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("block,variable,type"));
}

#[test]
fn a_folder_anketa_data_beside_the_program_is_its_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let stick = tmp.path().join("stick");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(stick.join("anketa-data")).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let exe = stick.join(if cfg!(windows) { "anketa.exe" } else { "anketa" });
    std::fs::copy(env!("CARGO_BIN_EXE_anketa"), &exe).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(&exe)
            .args(args)
            .env_remove("ANKETA_DATA_DIR")
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("APPDATA", home.join("appdata"))
            .output()
            .unwrap()
    };
    let data = stick.join("anketa-data");
    let o = run(&[
        "simulate",
        "--questionnaire",
        "nko",
        "--count",
        "3",
        "--out",
        data.to_str().unwrap(),
        "--incomplete-share",
        "1",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["list", "--all", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3, "the stick's interviews: {v}");
    // Nothing written to the laptop's profile.
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 0);
    // Without the folder: the profile's data dir (empty here).
    std::fs::rename(&data, stick.join("other")).unwrap();
    let o = run(&["list", "--all", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 0);
}

#[test]
fn handin_copies_completed_interviews_checks_them_and_is_safe_to_repeat() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("laptop");
    let stick = tmp.path().join("stick");
    let d = data.to_str().unwrap();
    crate::support::simulate("nko", 6, &data, 3, 0.5, 10);
    let originals: Vec<std::path::PathBuf> = std::fs::read_dir(data.join("interviews"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let completed = originals
        .iter()
        .filter(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("\"status\": \"completed\"")
        })
        .count();
    assert!(
        completed > 0 && completed < originals.len(),
        "{completed} of {}",
        originals.len()
    );
    let handin = || crate::support::anketa(&["handin", stick.to_str().unwrap(), "--data-dir", d]);
    let o = handin();
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{said}{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        said.contains(&format!(
            "новых интервью {completed}, обновлено 0, уже были сданы раньше 0"
        )),
        "{said}"
    );
    // Only completed ones, byte for byte, with the questionnaire copy; nothing moved.
    let folder = std::fs::read_dir(&stick).unwrap().next().unwrap().unwrap().path();
    let copies: Vec<_> = std::fs::read_dir(folder.join("interviews"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), completed);
    for c in &copies {
        assert_eq!(
            std::fs::read(c).unwrap(),
            std::fs::read(data.join("interviews").join(c.file_name().unwrap())).unwrap()
        );
    }
    assert_eq!(std::fs::read_dir(folder.join("questionnaires")).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_dir(data.join("interviews")).unwrap().count(),
        originals.len()
    );
    // Again: nothing copied twice.
    let said = String::from_utf8_lossy(&handin().stdout).into_owned();
    assert!(
        said.contains(&format!(
            "новых интервью 0, обновлено 0, уже были сданы раньше {completed}"
        )),
        "{said}"
    );
    // The supervisor merges the stick as it is.
    let out = tmp.path().join("out");
    let o = crate::support::anketa(&["merge", stick.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // A stick that fails: the folder for interviews is a file. Nothing half-written, said in words.
    let bad = tmp.path().join("bad");
    std::fs::create_dir_all(folder.strip_prefix(&stick).map(|f| bad.join(f)).unwrap()).unwrap();
    let bad_folder = bad.join(folder.file_name().unwrap());
    std::fs::write(bad_folder.join("interviews"), b"not a folder").unwrap();
    let o = crate::support::anketa(&["handin", bad.to_str().unwrap(), "--data-dir", d]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("сдача прервана") && err.contains("повторите"), "{err}");
    let json_files = walk_json(&bad);
    assert!(json_files.is_empty(), "{json_files:?}");
}

fn walk_json(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_json(&p));
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    out
}
