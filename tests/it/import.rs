//! `anketa import`: real XLSForms (pyxform's test fixtures, see tests/fixtures/xlsform/SOURCES.md)
//! converted, checked, simulated, merged and reported.

use crate::support::{anketa, has_all, ok, s, says, text};

/// Import → check → simulate 20 → merge → report, each succeeding; the imported JSON.
fn chain(form: &str) -> serde_json::Value {
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("form.json");
    let o = anketa(&["import", form, "--out", s(&json)]);
    let summary = ok(&o);
    assert!(summary.starts_with("imported: "), "{summary}");
    let checked = ok(&anketa(&["check", s(&json)]));
    assert!(checked.starts_with("ok: "), "{checked}");
    let laptop = tmp.path().join("laptop");
    ok(&anketa(&[
        "simulate",
        "--questionnaire",
        s(&json),
        "--count",
        "20",
        "--out",
        s(&laptop),
        "--seed",
        "3",
    ]));
    let out = tmp.path().join("out");
    let merged = ok(&anketa(&["merge", s(&laptop), "--out", s(&out)]));
    assert!(merged.contains("merged 20 interview(s)"), "{merged}");
    let md = ok(&anketa(&["report", s(&out), "--format", "md"]));
    assert!(md.contains("Таблица 1."), "{md}");
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

#[test]
fn a_form_with_groups_two_languages_and_calculations_runs_through_the_chain() {
    let q = chain("tests/fixtures/xlsform/flat_xlsform_test.xlsx");
    assert_eq!(q["id"], "flat_test");
    let blocks: Vec<&str> = q["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(blocks, ["main", "everything", "main_2"]);
    assert_eq!(q["blocks"][1]["relevant"], "not(selected(${skip_to_end}, 'yes'))");
    let all = q.to_string();
    has_all(
        &all,
        &[
            "\"zh\":",
            "\"en\":",
            "\"type\":\"calculate\"",
            "\"label\":{\"en\":\"Yes\",\"zh\":\"是\"}",
        ],
    );
}

#[test]
fn cascading_selects_keep_their_filters_through_the_chain() {
    let q = chain("tests/fixtures/xlsform/choice_filter_test.xlsx");
    let county = &q["blocks"][0]["questions"][1];
    assert_eq!(county["choice_filter"], "${state}=cf");
    assert_eq!(county["options"][0]["attributes"]["cf"], "washington");
}

#[test]
fn an_xls_workbook_imports_too() {
    let q = chain("tests/fixtures/xlsform/tutorial.xls");
    assert!(q["blocks"][0]["questions"].as_array().unwrap().len() >= 5, "{q:#}");
}

#[test]
fn warnings_name_their_cells_and_strict_makes_them_errors() {
    let form = "tests/fixtures/xlsform/flat_xlsform_test.xlsx";
    // Without --out: the JSON on standard output, the warnings and the summary on standard error.
    let o = anketa(&["import", form]);
    let json = ok(&o);
    assert!(json.starts_with("{\n  \"id\": \"flat_test\""), "{json}");
    let err = text(&o.stderr);
    has_all(
        &err,
        &[
            "warning: tests/fixtures/xlsform/flat_xlsform_test.xlsx: survey!A34: geopoint geopoint_test: dropped, a terminal cannot collect it\n  hint: ",
            "survey!A32: time time_test: asked as text",
            "survey!A42: metadata start, end, today, deviceid",
            "settings: no default_language: the columns without a language (label, hint) are taken as `en`",
            "imported: tests/fixtures/xlsform/flat_xlsform_test.xlsx → standard output: flat_test v1: 3 blocks",
            "languages en, zh",
        ],
    );
    // --strict: the same as errors, nothing written, exit 2.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("f.json");
    let o = anketa(&["import", form, "--strict", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(2));
    says(
        &o,
        "error: tests/fixtures/xlsform/flat_xlsform_test.xlsx: survey!A34: geopoint geopoint_test",
    );
    assert!(!out.exists());
}

#[test]
fn an_unreadable_form_is_a_usage_error() {
    let o = anketa(&["import", "tests/fixtures/xlsform/SOURCES.md"]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "error: tests/fixtures/xlsform/SOURCES.md: cannot read the workbook");
    let o = anketa(&["import", "tests/fixtures/xlsform/nosuch.xlsx"]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "no such file or directory");
}

#[test]
fn the_csv_variant_imports_the_worked_example_of_the_docs() {
    let q = chain("tests/fixtures/xlsform/example.csv");
    assert_eq!(
        (q["id"].as_str(), q["version"].as_str()),
        (Some("hh_2025"), Some("2025.1"))
    );
    let hh = &q["blocks"][1];
    assert_eq!(hh["id"], "hh");
    assert_eq!(hh["questions"][3]["relevant"], "${size} > 5");
    assert_eq!(q["blocks"][0]["questions"][1]["choice_filter"], "region = ${region}");
    let o = anketa(&["import", "tests/fixtures/xlsform/example.csv"]);
    let err = text(&o.stderr);
    has_all(
        &err,
        &[
            "choices!B6: list district has the choice `d2` twice (first at row 5): this one is left out",
            "survey!A2: metadata start, end dropped",
            "survey!A13: geopoint gps: dropped",
            "languages en, fr; 3 warning(s)",
        ],
    );
}
