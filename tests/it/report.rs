//! `anketa report` through the real binary: a data set whose counts are known exactly, the
//! three kinds of input (merge output, NDJSON, folder merged on the fly), every user-visible
//! error, and the promises of the formats (deterministic, no NaN, self-contained HTML).

use crate::support::{anketa, has_all, ok, s, says, text};
use anketa::questionnaire::{Questionnaire, bundled};
use anketa::record::{Answer, AnswerValue, FORMAT, QuestionnaireRef, Record, Status};
use serde_json::Value;
use std::fs;
use std::path::Path;

fn code(v: &str) -> AnswerValue {
    AnswerValue::Text(v.into())
}

fn codes(v: &[&str]) -> AnswerValue {
    AnswerValue::Codes(v.iter().map(|x| x.to_string()).collect())
}

fn record(q: &Questionnaire, n: u32, interviewer: &str, minutes: u64, answers: Vec<(&str, AnswerValue)>) -> Record {
    Record {
        format: FORMAT.into(),
        id: format!("01770000-0000-7000-8{:03x}-{n:012x}", q.id.len()),
        revision: 3,
        device: "ab".repeat(16),
        interviewer: interviewer.into(),
        questionnaire: QuestionnaireRef {
            id: q.id.clone(),
            version: q.version.clone(),
            sha256: q.sha256.clone(),
        },
        status: Status::Completed,
        started: format!("2021-01-{:02}T07:00:00Z", 11 + n % 18),
        updated: "2021-02-01T08:00:00Z".into(),
        completed: Some("2021-02-01T08:00:00Z".into()),
        duration_ms: minutes * 60_000,
        position: None,
        position_at: Vec::new(),
        rosters: Default::default(),
        answers: answers
            .into_iter()
            .map(|(k, v)| {
                let a = Answer {
                    value: Some(v),
                    relevant: true,
                    ..Answer::default()
                };
                (k.to_string(), a)
            })
            .collect(),
        reopened: Vec::new(),
        paradata: Vec::new(),
    }
}

/// 100 НКО and 50 ОМСУ interviews with exactly known answers:
/// - `interaction`: НКО yes 60, no 30, dont_know 10; ОМСУ yes 45, no 5;
/// - `problems` (multi): НКО bureaucracy 40 (with personal_ties 25 of them), personal_ties alone 30,
///   dont_know 30; ОМСУ nko_disunity 40, bureaucracy 2, dont_know 8;
/// - `grant_support` yes for НКО 4 and ОМСУ 4; `grant_funders` pgf 3 of 4 and 1 of 4 (the
///   tea-tasting table, decided by Fisher's exact test);
/// - `org_type` (НКО only): tos 100; `proposals_open`: one text per ОМСУ interview.
fn known_data() -> Vec<Record> {
    let nko = bundled("nko").unwrap();
    let omsu = bundled("omsu").unwrap();
    let mut v = Vec::new();
    for n in 0..100u32 {
        let interaction = match n {
            0..60 => "yes",
            60..90 => "no",
            _ => "dont_know",
        };
        let problems: &[&str] = match n {
            0..25 => &["bureaucracy", "personal_ties"],
            25..40 => &["bureaucracy"],
            40..70 => &["personal_ties"],
            _ => &["dont_know"],
        };
        let mut a = vec![
            ("district", code(if n % 2 == 0 { "bykovsky" } else { "kletsky" })),
            ("org_type", code("tos")),
            ("interaction", code(interaction)),
            ("problems", codes(problems)),
            ("grant_support", code(if n < 4 { "yes" } else { "no" })),
        ];
        if n < 4 {
            a.push(("grant_funders", codes(if n < 3 { &["pgf"] } else { &["lukoil"] })));
        }
        v.push(record(&nko, n, &format!("I0{}", 1 + n % 2), 30, a));
    }
    for n in 0..50u32 {
        let problems: &[&str] = match n {
            0..40 => &["nko_disunity"],
            40..42 => &["bureaucracy"],
            _ => &["dont_know"],
        };
        let mut a = vec![
            ("district", code("bykovsky")),
            ("interaction", code(if n < 45 { "yes" } else { "no" })),
            ("problems", codes(problems)),
            ("grant_support", code(if n < 4 { "yes" } else { "no" })),
            ("proposals_open", code(&format!("Предложение <{}> & «кавычки»", n % 3))),
        ];
        if n < 4 {
            a.push(("grant_funders", codes(if n < 1 { &["pgf"] } else { &["lukoil"] })));
        }
        // One speeder: 5 minutes against a median of 30.
        v.push(record(&omsu, n, "I03", if n == 0 { 5 } else { 30 }, a));
    }
    v
}

fn write_ndjson(path: &Path, recs: &[Record]) {
    let mut out = Vec::new();
    for r in recs {
        out.extend(r.to_json_line());
        out.push(b'\n');
    }
    fs::write(path, out).unwrap();
}

fn json_report(args: &[&str]) -> Value {
    let mut a = vec!["report"];
    a.extend_from_slice(args);
    a.extend(["--format", "json"]);
    serde_json::from_str(&ok(&anketa(&a))).unwrap()
}

fn question<'a>(r: &'a Value, var: &str) -> &'a Value {
    r["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["questions"].as_array().unwrap())
        .find(|q| q["variable"] == var)
        .unwrap_or_else(|| panic!("no table for {var}"))
}

fn row<'a>(q: &'a Value, code: &str) -> &'a Value {
    q["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-12)
}

/// χ² of a 2×2 table by the closed form n(ad − bc)² / (r1 r2 c1 c2), and its p-value for
/// df 1: erfc(√(χ²/2)).
fn chi2_2x2(a: f64, b: f64, c: f64, d: f64) -> (f64, f64) {
    let n = a + b + c + d;
    let x = n * (a * d - b * c).powi(2) / ((a + b) * (c + d) * (a + c) * (b + d));
    (x, statrs::function::erf::erfc((x / 2.0).sqrt()))
}

#[test]
fn report_of_a_known_data_set_gives_every_percentage_base_and_p_value() {
    let tmp = tempfile::tempdir().unwrap();
    let nd = tmp.path().join("interviews.ndjson");
    write_ndjson(&nd, &known_data());
    let r = json_report(&[s(&nd)]);
    assert_eq!(r["format"], "anketa-report/1");
    assert_eq!(r["input"]["kind"], "ndjson");
    assert_eq!(r["input"]["records"], 150);
    let groups: Vec<(&str, u64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["label"].as_str().unwrap(), g["interviews"].as_u64().unwrap()))
        .collect();
    assert_eq!(groups, [("НКО", 100), ("ОМСУ", 50)]);

    // Single choice: every percentage and base, χ² from the table [[60, 45], [30, 5], [10, 0]].
    let q = question(&r, "interaction");
    assert_eq!(q["bases"][0]["n"], 100);
    assert_eq!(q["bases"][1]["n"], 50);
    for (code, want) in [("yes", [60.0, 90.0]), ("no", [30.0, 10.0]), ("dont_know", [10.0, 0.0])] {
        let got: Vec<f64> = row(q, code)["percents"].as_array().unwrap().iter().map(f).collect();
        assert_eq!(got, want, "{code}");
    }
    let t = [[60.0, 45.0], [30.0, 5.0], [10.0, 0.0]];
    let (rt, ct, n) = ([105.0, 35.0, 10.0], [100.0, 50.0], 150.0);
    let mut x = 0.0;
    for i in 0..3 {
        for j in 0..2 {
            let e = rt[i] * ct[j] / n;
            x += (t[i][j] - e) * (t[i][j] - e) / e;
        }
    }
    let chi2 = &q["test"]["chi2"];
    assert!(close(f(&chi2["statistic"]), x));
    assert_eq!(chi2["df"], 2);
    // For df 2 the χ² tail is exactly exp(−x/2).
    assert!(close(f(&q["test"]["p"]), (-x / 2.0).exp()));
    assert!(close(f(&chi2["cramers_v"]), (x / n).sqrt()));
    assert_eq!(q["test"]["significant"], true);

    // Multiple choice: shares of respondents, and per option a 2×2 test.
    let q = question(&r, "problems");
    assert_eq!(q["type"], "multi");
    for (code, want, counts) in [
        ("bureaucracy", [40.0, 4.0], [40.0, 2.0]),
        ("personal_ties", [55.0, 0.0], [55.0, 0.0]),
        ("nko_disunity", [0.0, 80.0], [0.0, 40.0]),
        ("dont_know", [30.0, 16.0], [30.0, 8.0]),
    ] {
        let rw = row(q, code);
        let got: Vec<f64> = rw["percents"].as_array().unwrap().iter().map(f).collect();
        assert_eq!(got, want, "{code}");
        // [[chosen НКО, chosen ОМСУ], [not chosen НКО, not chosen ОМСУ]]
        let (x, p) = chi2_2x2(counts[0], counts[1], 100.0 - counts[0], 50.0 - counts[1]);
        let test = &rw["test"];
        assert!(close(f(&test["chi2"]["statistic"]), x), "{code}: {test}");
        if test["fisher"].is_null() {
            assert!(close(f(&test["p"]), p), "{code}: {} vs {p}", test["p"]);
        }
    }
    // Nobody chose `corruption`: not valid, said so, no number.
    let corr = &row(q, "corruption")["test"];
    assert_eq!(corr["not_valid"], "one_row");
    assert!(corr["p"].is_null());

    // A filtered question: bases are those asked and answered; Fisher for small counts.
    let q = question(&r, "grant_funders");
    assert_eq!(q["bases"][0]["interviews"], 100);
    assert_eq!(q["bases"][0]["asked"], 4);
    assert_eq!(q["bases"][0]["n"], 4);
    let pgf = row(q, "pgf");
    assert_eq!(pgf["percents"][0], 75.0);
    assert_eq!(pgf["percents"][1], 25.0);
    // Agresti (2007), section 2.6, the tea-tasting table [[3, 1], [1, 3]]: p = 0.4857.
    assert!((f(&pgf["test"]["fisher"]["p"]) - 0.4857).abs() < 5e-5);
    assert_eq!(pgf["test"]["p"], pgf["test"]["fisher"]["p"]);

    // A question of one instrument only says so; no test.
    let q = question(&r, "org_type");
    assert!(q["notes"].as_array().unwrap().iter().any(|n| n["kind"] == "only_in"));
    assert_eq!(q["test"]["not_valid"], "one_column");
    assert!(row(q, "tos")["percents"][1].is_null());

    // Texts are listed under their question.
    let q = question(&r, "proposals_open");
    assert_eq!(q["texts"]["total"], 50);
    assert_eq!(q["texts"]["items"][0]["text"], "Предложение <0> & «кавычки»");

    // Fieldwork: districts, interviewers, the speeder.
    let fw = &r["fieldwork"];
    let by = fw["districts"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "bykovsky")
        .unwrap();
    assert_eq!(by["counts"], serde_json::json!([50, 50]));
    let i03 = fw["interviewers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "I03")
        .unwrap();
    assert_eq!(i03["speeders"], 1);
    assert_eq!(i03["median_minutes"], 30.0);
    assert_eq!(fw["median_minutes"], serde_json::json!([30.0, 30.0]));
}

#[test]
fn markdown_report_of_a_small_data_set() {
    let tmp = tempfile::tempdir().unwrap();
    let nd = tmp.path().join("interviews.ndjson");
    let recs: Vec<Record> = known_data().into_iter().filter(|r| r.id.ends_with('0')).collect();
    write_ndjson(&nd, &recs);
    let out = ok(&anketa(&[
        "report",
        s(&nd),
        "--where",
        "${interaction} != ''",
        "--exclude-missing",
    ]));
    let out = out.replace(s(&nd), "interviews.ndjson");
    // Only the first tables and the fieldwork: the rest are the same layout.
    let first: String = out.split("### Таблица 4.").next().unwrap().to_string();
    let fieldwork: String = out[out.find("## Ход полевых работ").unwrap()..].to_string();
    insta::assert_snapshot!("report_md_head", first);
    insta::assert_snapshot!("report_md_fieldwork", fieldwork);
}

#[test]
fn every_kind_of_input_gives_the_same_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = tmp.path().join("sim");
    for (q, n, seed) in [("nko", "30", "5"), ("omsu", "12", "6")] {
        ok(&anketa(&[
            "simulate",
            "--questionnaire",
            q,
            "--count",
            n,
            "--out",
            s(&sim),
            "--seed",
            seed,
            "--incomplete-share",
            "0.1",
        ]));
    }
    // A second "laptop" with copies of some files: duplicates for the merge rules.
    let copy = tmp.path().join("sim/copy/interviews");
    fs::create_dir_all(&copy).unwrap();
    for e in fs::read_dir(sim.join("interviews")).unwrap().take(5) {
        let p = e.unwrap().path();
        fs::copy(&p, copy.join(p.file_name().unwrap())).unwrap();
    }
    let merged = tmp.path().join("merged");
    ok(&anketa(&["merge", s(&sim), "--out", s(&merged)]));
    let a = json_report(&[s(&merged)]);
    let b = json_report(&[s(&merged.join("interviews.ndjson"))]);
    let c = json_report(&[s(&sim)]);
    assert_eq!(a["input"]["kind"], "merge_output");
    assert_eq!(b["input"]["kind"], "ndjson");
    assert_eq!(c["input"]["kind"], "files");
    for r in [&b, &c] {
        assert_eq!(a["sections"], r["sections"]);
        assert_eq!(a["groups"], r["groups"]);
    }
    // What the merge set aside is known both ways.
    let (ma, mc) = (&a["input"]["merge"], &c["input"]["merge"]);
    assert_eq!(ma["duplicates"], 5);
    assert_eq!(mc["duplicates"], 5);
    assert_eq!(ma["incomplete"], mc["incomplete"]);
    assert_eq!(ma["incomplete"].as_array().unwrap().len(), 4);
    assert_eq!(
        c["input"]["rejected"], 0,
        "device and questionnaire files are not rejects"
    );
}

#[test]
fn formats_are_deterministic_self_contained_and_never_print_nan() {
    let tmp = tempfile::tempdir().unwrap();
    let nd = tmp.path().join("interviews.ndjson");
    write_ndjson(&nd, &known_data());
    for fmt in ["md", "html", "json", "csv"] {
        let a = ok(&anketa(&["report", s(&nd), "--format", fmt, "--by", "district"]));
        let b = ok(&anketa(&["report", s(&nd), "--format", fmt, "--by", "district"]));
        assert_eq!(a, b, "{fmt} is not deterministic");
        let words = |t: &str| {
            t.split(|c: char| !c.is_alphanumeric())
                .any(|w| w == "NaN" || w == "inf")
        };
        assert!(!words(&a), "{fmt}");
        let en = ok(&anketa(&["--lang", "en", "report", s(&nd), "--format", fmt]));
        assert!(!words(&en), "{fmt}");
    }
    let out = tmp.path().join("report.html");
    let run = anketa(&["report", s(&nd), "--format", "html", "--out", s(&out)]);
    ok(&run);
    assert!(text(&run.stderr).contains("wrote"));
    let html = fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"ru\">"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link"));
    // The SVG namespace is the only URL: nothing is fetched.
    assert_eq!(
        html.matches("http").count(),
        html.matches("http://www.w3.org/2000/svg").count()
    );
    // Texts from the data are escaped.
    assert!(html.contains("Предложение &lt;0&gt; &amp; «кавычки»"));
    assert!(html.contains("<svg class=\"chart\""));
    let csv = ok(&anketa(&["report", s(&nd), "--format", "csv"]));
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(csv.as_bytes());
    assert!(rdr.records().all(|r| r.is_ok()));
    assert!(csv.contains("\ntable,"));
}

#[test]
fn cross_tab_and_quota_appear_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let nd = tmp.path().join("interviews.ndjson");
    write_ndjson(&nd, &known_data());
    let quota = tmp.path().join("quota.csv");
    fs::write(
        &quota,
        "district,group,target\nbykovsky,nko,60\nБыковский,omsu,50\nkletsky,nko,60\n",
    )
    .unwrap();
    let r = json_report(&[s(&nd), "--cross", "interaction", "grant_support", "--quota", s(&quota)]);
    let c = &r["cross"];
    assert_eq!(c["n"], 150);
    assert_eq!(c["row_totals"], serde_json::json!([105, 35, 10]));
    let d = &r["fieldwork"]["districts"];
    assert_eq!(d["target_totals"], serde_json::json!([120, 50]));
    let md = ok(&anketa(&["report", s(&nd), "--quota", s(&quota)]));
    assert!(md.contains("| Быковский | 50 / 60 | 50 / 50 | 100 / 110 |"), "{md}");
}

#[test]
fn usage_errors_are_explained_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let nd = tmp.path().join("interviews.ndjson");
    write_ndjson(&nd, &known_data());
    let err = |args: &[&str]| {
        let mut a = vec!["report", s(&nd)];
        a.extend_from_slice(args);
        let out = anketa(&a);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        text(&out.stderr)
    };
    let e = err(&["--by", "distrct"]);
    has_all(
        &e,
        &["error: --by: unknown variable `distrct`", "did you mean `district`?"],
    );
    let e = err(&["--where", "${interaction} = = 'yes'"]);
    has_all(
        &e,
        &["error: --where: ", "\n  ${interaction} = = 'yes'\n                   ^"],
    );
    let e = err(&["--cross", "interaction", "problms"]);
    assert!(e.contains("did you mean `problems`?"), "{e}");
    let e = err(&["--by", "goals"]);
    assert!(
        e.contains("`goals` is a multi question; --by needs a single-choice question"),
        "{e}"
    );
    let e = err(&["--alpha", "5"]);
    assert!(e.contains("--alpha: 5 is not a significance level"), "{e}");
    let quota = tmp.path().join("q.csv");
    fs::write(&quota, "district,group,target\natlantis,nko,3\n").unwrap();
    let e = err(&["--quota", s(&quota)]);
    assert!(e.contains("line 2: unknown district `atlantis`"), "{e}");
    let out = anketa(&["report", s(&tmp.path().join("missing"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no such file or directory"));
}

#[test]
fn empty_or_unreadable_input_is_refused_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let out = anketa(&["report", s(&empty)]);
    assert_eq!(out.status.code(), Some(1));
    says(&out, "no interviews to report on");
    let bad = tmp.path().join("bad.ndjson");
    let mut lines = String::new();
    for r in known_data().iter().take(3) {
        lines.push_str(&String::from_utf8(r.to_json_line()).unwrap());
        lines.push('\n');
    }
    lines.push_str("{\"format\": \"anketa-interview/1\", \"id\": 5}\n");
    fs::write(&bad, lines).unwrap();
    let out = anketa(&["report", s(&bad), "--format", "json"]);
    let r: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(r["input"]["records"], 3);
    assert_eq!(r["input"]["rejected"], 1);
    assert!(
        r["input"]["rejected_examples"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("bad.ndjson:4")
    );
    assert!(text(&out.stderr).contains("warning: 1 record(s) not used"));
}

#[test]
fn a_filter_that_matches_nothing_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let nd = tmp.path().join("interviews.ndjson");
    write_ndjson(&nd, &known_data());
    let md = ok(&anketa(&["report", s(&nd), "--where", "${interviewer} = 'nobody'"]));
    assert!(md.contains("Ни одно интервью не удовлетворяет условию отбора"), "{md}");
    assert!(!md.contains("### Таблица"));
}

#[test]
fn parse_only_counts_the_records() {
    let tmp = tempfile::tempdir().unwrap();
    let nd = tmp.path().join("interviews.ndjson");
    write_ndjson(&nd, &known_data());
    let out = ok(&anketa(&["report", s(&nd), "--parse-only"]));
    assert_eq!(out, "parsed 150 record(s), 0 not readable\n");
}

#[test]
fn two_records_glued_on_one_line_are_refused_as_the_merge_refuses_them() {
    // `cat a.ndjson b.ndjson` when a.ndjson has no final newline: two records on one line.
    let tmp = tempfile::tempdir().unwrap();
    let mut recs = known_data();
    for r in &mut recs {
        r.paradata.push(anketa::record::Event {
            ms: 5,
            ev: anketa::record::EventKind::Shown,
            q: "district".into(),
            gap_s: None,
            at: Vec::new(),
        });
    }
    let mut text = Vec::new();
    for (i, r) in recs.iter().enumerate() {
        text.extend(r.to_json_line());
        if i != 1 {
            text.push(b'\n');
        }
    }
    let p = tmp.path().join("glued.ndjson");
    fs::write(&p, &text).unwrap();
    let r = json_report(&[s(&p)]);
    assert_eq!(r["input"]["records"], recs.len() as u64 - 2);
    assert_eq!(r["input"]["rejected"], 1);
    let why = r["input"]["rejected_examples"][0]["reason"].as_str().unwrap();
    assert!(why.contains("trailing characters"), "{why}");
    // The merge refuses the same line.
    let out = tmp.path().join("merged");
    anketa(&["merge", s(&p), "--out", s(&out)]);
    let m: Value = serde_json::from_slice(&fs::read(out.join("merge-report.json")).unwrap()).unwrap();
    // (These hand-made records skip required questions: the merge rejects them for that too.)
    let glued: Vec<&Value> = m["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reason"].as_str().unwrap().contains("trailing characters"))
        .collect();
    assert_eq!(glued.len(), 1);
    assert!(glued[0]["path"].as_str().unwrap().ends_with("glued.ndjson:2"));
}
