//! `anketa import`: real XLSForms (pyxform's test fixtures, see tests/fixtures/xlsform/SOURCES.md)
//! converted, checked, simulated, merged and reported.

use crate::support::{anketa, has_all, ok, s, says, text};

/// Import → check → simulate 20 → merge → report, each succeeding; the imported JSON.
fn chain(form: &str) -> serde_json::Value {
    chain_in(form, &tempfile::tempdir().unwrap())
}

/// [`chain`] in `tmp`: the merge's outputs are in `tmp/out`.
fn chain_in(form: &str, tmp: &tempfile::TempDir) -> serde_json::Value {
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
fn an_xls_workbook_with_a_repeat_gives_a_roster_and_its_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let q = chain_in("tests/fixtures/xlsform/tutorial.xls", &tmp);
    // A repeat at the top level: a block of one roster, asked per household member.
    let member = &q["blocks"][0]["questions"][0];
    assert_eq!((&member["id"], &member["type"]), (&"member".into(), &"roster".into()));
    assert!(member["questions"].as_array().unwrap().len() >= 5, "{q:#}");
    let out = tmp.path().join("out");
    let main = std::fs::read_to_string(out.join("tutorial.csv")).unwrap();
    assert!(main.lines().next().unwrap().ends_with(",member_count"), "{main}");
    let rows = std::fs::read_to_string(out.join("tutorial.member.csv")).unwrap();
    assert!(rows.starts_with("id,member_n,name,"), "{rows}");
    assert!(rows.lines().count() > 10, "{rows}");
}

#[test]
fn a_repeat_counted_by_a_calculate_runs_through_the_chain() {
    let q = chain("tests/fixtures/xlsform/repeat_date_test.xls");
    let r = &q["blocks"][1]["questions"][0];
    assert_eq!((&r["type"], &r["count"]), (&"roster".into(), &"${repeat_count}".into()));
}

#[test]
fn nested_repeats_of_a_real_form_give_nested_roster_csvs() {
    // Trees, and the stems of each tree (counted by a question of the tree).
    let form = "tests/fixtures/xlsform/UCL_Biomass_Plot_Form.xlsx";
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("form.json");
    let summary = ok(&anketa(&["import", form, "--out", s(&json)]));
    // The import's summary counts the rosters as check does.
    assert!(summary.contains("), 5 rosters; languages "), "{summary}");
    let checked = ok(&anketa(&["check", s(&json)]));
    assert!(checked.ends_with(", 5 rosters\n"), "{checked}");
    let q: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let trees = &q["blocks"][4]["questions"][0];
    assert_eq!(trees["id"], "trees");
    let stems = trees["questions"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (&stems["id"], &stems["count"]),
        (&"stems".into(), &"${stem_count}".into())
    );
    let laptop = tmp.path().join("laptop");
    ok(&anketa(&[
        "simulate",
        "--questionnaire",
        s(&json),
        "--count",
        "5",
        "--out",
        s(&laptop),
        "--seed",
        "3",
    ]));
    // The simulated interviews stay in progress (a distance constraint random answers miss):
    // merged with --include-incomplete.
    let out = tmp.path().join("out");
    ok(&anketa(&[
        "merge",
        s(&laptop),
        "--out",
        s(&out),
        "--include-incomplete",
    ]));
    let stem = q["id"].as_str().unwrap();
    assert_eq!(stem, "ucl_biomass_plot_form");
    let rows = std::fs::read_to_string(out.join(format!("{stem}.stems.csv"))).unwrap();
    assert!(rows.starts_with("id,trees_n,stems_n,tag_1,"), "{rows}");
    assert!(rows.lines().count() > 1, "{rows}");
    for r in ["trees", "stumps", "subplot1", "subplot2"] {
        assert!(out.join(format!("{stem}.{r}.csv")).exists(), "{r}");
    }
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
    let o = anketa(&["import", "Cargo.toml"]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "error: Cargo.toml: cannot read the workbook");
    // A Markdown file is read as pyxform's Markdown variant: without a survey table, refused.
    let o = anketa(&["import", "README.md"]);
    assert_eq!(o.status.code(), Some(2));
    says(&o, "error: README.md: no `survey` sheet");
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

#[test]
fn the_markdown_variant_gives_the_same_questionnaire_and_cells_as_the_csv_variant() {
    // The worked example in both of pyxform's text variants: the same JSON, the same warnings.
    let md = anketa(&["import", "tests/fixtures/xlsform/example.md"]);
    let csv = anketa(&["import", "tests/fixtures/xlsform/example.csv"]);
    assert_eq!(ok(&md), ok(&csv));
    let warnings = |o: &std::process::Output| -> Vec<String> {
        text(&o.stderr)
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .map(|l| l.replacen(".md:", ".csv:", 1))
            .collect()
    };
    assert_eq!(warnings(&md), warnings(&csv));
    assert_eq!(warnings(&md).len(), 3, "{}", text(&md.stderr));
    chain("tests/fixtures/xlsform/example.md");
}

/// The form itself, without `import`: `check`, `codebook` and `simulate` take an XLSForm path,
/// and what they see is exactly what `import` writes (the same hash in the interviews).
#[test]
fn check_codebook_and_simulate_take_the_xlsform_itself() {
    let form = "tests/fixtures/xlsform/tutorial.xls";
    let tmp = tempfile::tempdir().unwrap();
    let says_ok = ok(&anketa(&["check", form]));
    has_all(
        &says_ok,
        &["ok: tests/fixtures/xlsform/tutorial.xls: tutorial v1:", "1 roster"],
    );
    let book = ok(&anketa(&["codebook", form]));
    assert!(book.contains("per instance of member"), "{book}");
    let json = tmp.path().join("t.json");
    ok(&anketa(&["import", form, "--out", s(&json)]));
    let imported: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let field = tmp.path().join("field");
    ok(&anketa(&[
        "simulate",
        "--questionnaire",
        form,
        "--count",
        "3",
        "--out",
        s(&field),
    ]));
    let hash = {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(std::fs::read(&json).unwrap());
        digest.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let one = std::fs::read_dir(field.join("interviews"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let rec: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(one).unwrap()).unwrap();
    assert_eq!(rec["questionnaire"]["sha256"], hash.as_str());
    assert_eq!(rec["questionnaire"]["id"], imported["id"]);
    // A broken workbook is named with its reason.
    let bad = tmp.path().join("bad.xlsx");
    std::fs::write(&bad, "not a workbook").unwrap();
    let out = anketa(&["check", s(&bad)]);
    says(&out, "cannot read the workbook");
}

#[test]
fn check_codebook_and_simulate_take_the_csv_and_markdown_variants_directly() {
    let tmp = tempfile::tempdir().unwrap();
    for form in [
        "tests/fixtures/xlsform/example.csv",
        "tests/fixtures/xlsform/example.md",
    ] {
        let checked = ok(&anketa(&["check", form]));
        assert!(checked.starts_with("ok: "), "{form}: {checked}");
        let codebook = ok(&anketa(&["codebook", form]));
        assert!(!codebook.is_empty(), "{form}");
        let laptop = tmp.path().join(form.rsplit('.').next().unwrap());
        let o = ok(&anketa(&[
            "simulate",
            "--questionnaire",
            form,
            "--count",
            "5",
            "--out",
            s(&laptop),
        ]));
        assert!(o.starts_with("wrote 5 interview(s)"), "{form}: {o}");
    }
}
