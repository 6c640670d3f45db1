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
