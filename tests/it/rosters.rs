//! Rosters through the real `anketa merge`: interview files of format 2 (nested instances, a
//! removed one) for `questionnaires/projects.json`, the roster CSVs read back with the csv crate
//! and joined to the main CSV, and the NDJSON keeping the nested records.

use crate::support::{anketa, merge_outputs, ok, s};
use anketa::record::{Answer, AnswerValue, Event, EventKind, FORMAT_V2, Instance, QuestionnaireRef, Record, Status};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

const Q: &str = "questionnaires/projects.json";

fn sha256() -> String {
    use sha2::{Digest, Sha256};
    let text = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(Q)).unwrap();
    Sha256::digest(&text).iter().map(|b| format!("{b:02x}")).collect()
}

fn answer(v: AnswerValue) -> Answer {
    Answer {
        value: Some(v),
        answered_at: Some("2021-03-01T10:05:00Z".into()),
        relevant: true,
        ..Answer::default()
    }
}

fn text(s: &str) -> Answer {
    answer(AnswerValue::Text(s.into()))
}

fn num(n: f64) -> Answer {
    answer(AnswerValue::Number(n))
}

fn answers(v: Vec<(&str, Answer)>) -> BTreeMap<String, Answer> {
    v.into_iter().map(|(k, a)| (k.to_owned(), a)).collect()
}

/// Interview `n`: `projects` projects (each with `partners[i]` partners), and, when `removed`,
/// one more project removed (with a partner of its own) and a removed partner in the first.
fn interview(n: u32, partners: &[usize], removed: bool, revision: u64) -> Record {
    let mut projects = Vec::new();
    let mut total_partners = 0;
    let mut grants = 0.0;
    for (i, &k) in partners.iter().enumerate() {
        let grant = i % 2 == 0;
        let mut a = vec![
            ("project_name", text(&format!("Проект {n}.{}", i + 1))),
            ("project_no", num(i as f64 + 1.0)),
            ("field", text(["social", "culture", "sport"][i % 3])),
            ("grant", text(if grant { "yes" } else { "no" })),
            ("granted", num(if grant { 1.0 } else { 0.0 })),
            ("n_partners", num(k as f64)),
        ];
        if grant {
            a.push(("grant_amount", num(100.0 * (i as f64 + 1.0))));
            grants += 100.0 * (i as f64 + 1.0);
        }
        let mut inst = Instance {
            answers: answers(a),
            ..Instance::default()
        };
        let list: Vec<Instance> = (0..k)
            .map(|j| Instance {
                answers: answers(vec![
                    ("partner_name", text(&format!("Партнёр {n}.{}.{}", i + 1, j + 1))),
                    ("partner_type", text(["ngo", "omsu", "business"][j % 3])),
                ]),
                ..Instance::default()
            })
            .collect();
        total_partners += k;
        if !list.is_empty() {
            inst.rosters.insert("partners".into(), list);
        }
        projects.push(inst);
    }
    if removed {
        // A removed partner in the first project, and a whole removed project before the last.
        let gone = Instance {
            answers: answers(vec![("partner_name", text("Удалённый партнёр"))]),
            removed: Some("2021-03-01T10:06:00Z".into()),
            ..Instance::default()
        };
        projects[0]
            .rosters
            .entry("partners".into())
            .or_default()
            .insert(0, gone.clone());
        let mut project = Instance {
            answers: answers(vec![("project_name", text("Удалённый проект"))]),
            removed: Some("2021-03-01T10:07:00+03:00".into()),
            ..Instance::default()
        };
        project
            .rosters
            .insert("partners".into(), vec![Instance { removed: None, ..gone }]);
        let at = projects.len() - 1;
        projects.insert(at, project);
    }
    let mut top = vec![
        ("org_type", text("ngo")),
        ("n_projects", num(partners.len() as f64)),
        ("grants_total", num(grants)),
        ("projects_granted", num(partners.len().div_ceil(2) as f64)),
        ("partners_total", num(total_partners as f64)),
    ];
    if total_partners > 0 {
        top.push(("satisfied", text("2")));
    }
    let mut r = Record {
        format: FORMAT_V2.into(),
        id: format!("0190f0e0-0000-7000-8000-{n:012}"),
        revision,
        device: "a1b2c3d4e5f60718293a4b5c6d7e8f90".into(),
        interviewer: format!("I{:02}", n % 3),
        questionnaire: QuestionnaireRef {
            id: "projects".into(),
            version: "1".into(),
            sha256: sha256(),
        },
        status: Status::Completed,
        started: "2021-03-01T10:00:00Z".into(),
        updated: "2021-03-01T10:30:00Z".into(),
        completed: Some("2021-03-01T10:30:00Z".into()),
        duration_ms: 1_800_000,
        position: Some("satisfied".into()),
        position_at: Vec::new(),
        answers: answers(top),
        rosters: BTreeMap::new(),
        reopened: Vec::new(),
        paradata: vec![Event {
            ms: 1000,
            ev: EventKind::Added,
            q: "projects".into(),
            at: vec![1],
            gap_s: None,
        }],
    };
    if !projects.is_empty() {
        r.rosters.insert("projects".into(), projects);
    }
    r
}

/// The interviews of the tests: none, one and several projects, nested partners, removed
/// instances.
fn interviews() -> Vec<Record> {
    vec![
        interview(1, &[2, 0, 1], true, 4),
        interview(2, &[], false, 2),
        interview(3, &[0], false, 3),
        interview(4, &[3, 3], true, 5),
        interview(5, &[1, 0, 0, 2, 1], false, 7),
    ]
}

fn merge(inputs: &[&Path], out: &Path) -> String {
    let mut args = vec!["merge"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--questionnaire", Q, "--out", s(out)]);
    ok(&anketa(&args))
}

/// A CSV: header and rows as maps from column to cell.
fn table(p: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut r = csv::Reader::from_path(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            header.iter().cloned().zip(rec.iter().map(String::from)).collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn roster_csvs_join_to_the_main_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, out) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("out"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    let recs = interviews();
    for r in &recs {
        fs::write(a.join(format!("projects-{}-{}.json", r.interviewer, r.id)), r.to_json()).unwrap();
    }
    // The second laptop: a copy of interview 1 and an older revision of interview 4 (with
    // other instances), which loses.
    fs::write(b.join(format!("projects-x-{}.json", recs[0].id)), recs[0].to_json()).unwrap();
    let mut old = interview(4, &[1], false, 1);
    old.id = recs[3].id.clone();
    fs::write(b.join(format!("projects-x-{}.json", old.id)), old.to_json()).unwrap();
    merge(&[&a, &b], &out);

    let (main_header, main) = table(&out.join("projects.csv"));
    let (p_header, projects) = table(&out.join("projects.projects.csv"));
    let (q_header, partners) = table(&out.join("projects.partners.csv"));
    // The columns: the keys first, then the roster's own questions, the nested roster's count.
    assert_eq!(
        main_header.iter().filter(|c| c.ends_with("_count")).collect::<Vec<_>>(),
        ["projects_count"]
    );
    assert!(!main_header.contains(&"project_name".to_string()), "{main_header:?}");
    assert_eq!(p_header[..3], ["id", "projects_n", "project_name"]);
    assert!(p_header.contains(&"partners_count".to_string()) && p_header.contains(&"grant_amount".to_string()));
    assert!(!p_header.contains(&"partner_name".to_string()));
    assert_eq!(q_header[..4], ["id", "projects_n", "partners_n", "partner_name"]);

    // Every instance row belongs to an interview of the main CSV, counts agree with the rows,
    // nested rows point at existing parent rows, and instance numbers run 1..k.
    let ids: BTreeSet<&str> = main.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), 5);
    let mut per_interview: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for p in &projects {
        assert!(ids.contains(p["id"].as_str()), "{p:?}");
        per_interview
            .entry(&p["id"])
            .or_default()
            .push(p["projects_n"].parse().unwrap());
    }
    for m in &main {
        let numbers = per_interview.get(m["id"].as_str()).cloned().unwrap_or_default();
        let count: usize = m["projects_count"].parse().unwrap();
        assert_eq!(numbers, (1..=count as u64).collect::<Vec<_>>(), "{}", m["id"]);
    }
    let parent: BTreeMap<(&str, &str), &BTreeMap<String, String>> = projects
        .iter()
        .map(|p| ((p["id"].as_str(), p["projects_n"].as_str()), p))
        .collect();
    let mut per_project: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for q in &partners {
        let key = (q["id"].as_str(), q["projects_n"].as_str());
        assert!(parent.contains_key(&key), "{q:?}");
        *per_project.entry(key).or_default() += 1;
        assert_eq!(q["partners_n"], per_project[&key].to_string());
    }
    for (key, p) in &parent {
        assert_eq!(
            p["partners_count"],
            per_project.get(key).copied().unwrap_or(0).to_string(),
            "{key:?}"
        );
        assert_eq!(p["partners_count"], p["n_partners"]);
    }
    // The winners' instances: interview 1 has 3 live projects (1 removed), interview 4 two.
    let id1 = recs[0].id.as_str();
    let id4 = recs[3].id.as_str();
    let main_of = |id: &str| main.iter().find(|m| m["id"] == id).unwrap();
    assert_eq!(main_of(id1)["projects_count"], "3");
    assert_eq!(main_of(id4)["projects_count"], "2");
    assert_eq!(main_of(&recs[1].id)["projects_count"], "0");
    assert_eq!(projects.len(), 3 + 1 + 2 + 5);
    assert_eq!(partners.len(), 3 + 6 + 4);
    // Removed instances, and what is nested in them, are nowhere; the live instances after a
    // removed one are numbered on.
    let all = fs::read_to_string(out.join("projects.projects.csv")).unwrap()
        + &fs::read_to_string(out.join("projects.partners.csv")).unwrap();
    assert!(!all.contains("Удалённ"), "{all}");
    let third = projects
        .iter()
        .find(|p| p["id"] == id1 && p["projects_n"] == "3")
        .unwrap();
    assert_eq!(third["project_name"], "Проект 1.3");
    // Cells as in the main CSV: codes, an irrelevant question empty, numbers whole.
    let second = projects
        .iter()
        .find(|p| p["id"] == id1 && p["projects_n"] == "2")
        .unwrap();
    assert_eq!((second["grant"].as_str(), second["grant_amount"].as_str()), ("no", ""));
    let first = projects
        .iter()
        .find(|p| p["id"] == id1 && p["projects_n"] == "1")
        .unwrap();
    assert_eq!(
        (first["field"].as_str(), first["grant_amount"].as_str()),
        ("social", "100")
    );

    // Codebook and syntax per roster file; all named in the report's outputs.
    let outputs = merge_outputs(&out);
    let outputs: Vec<&str> = outputs.iter().map(String::as_str).collect();
    for roster in ["projects", "partners"] {
        for ext in ["csv", "codebook.csv", "sps"] {
            let name = format!("projects.{roster}.{ext}");
            assert!(out.join(&name).is_file(), "{name}");
            assert!(outputs.contains(&name.as_str()), "{outputs:?}");
        }
    }
    let sps = fs::read_to_string(out.join("projects.partners.sps")).unwrap();
    assert!(
        sps.contains("projects.partners.csv") && sps.contains("partners_n"),
        "{sps}"
    );
    let codebook = fs::read_to_string(out.join("projects.projects.codebook.csv")).unwrap();
    assert!(codebook.contains("partners_count"), "{codebook}");

    // The NDJSON keeps the nested records, byte for byte as written.
    let nd = fs::read_to_string(out.join("interviews.ndjson")).unwrap();
    let back: Vec<Record> = nd.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut want = recs.clone();
    want.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(back, want);
    for (line, r) in nd.lines().zip(&want) {
        assert_eq!(line.as_bytes(), r.to_json_line());
    }
    let report: serde_json::Value = serde_json::from_slice(&fs::read(out.join("merge-report.json")).unwrap()).unwrap();
    assert_eq!(report["accounting"]["duplicates"], 1);
    assert_eq!(report["accounting"]["conflict_losers"], 1);

    // Merging the output again, and the same files under names that hide their order (the
    // roster rows are then made again from the records): the same bytes.
    let again = dir.path().join("again");
    merge(&[&out.join("interviews.ndjson")], &again);
    let hidden = dir.path().join("hidden");
    fs::create_dir_all(&hidden).unwrap();
    for (k, r) in recs.iter().rev().enumerate() {
        fs::write(hidden.join(format!("{k}.json")), r.to_json()).unwrap();
    }
    let shuffled = dir.path().join("shuffled");
    merge(&[&hidden], &shuffled);
    for name in [
        "projects.csv",
        "projects.projects.csv",
        "projects.partners.csv",
        "interviews.ndjson",
    ] {
        let want = fs::read(out.join(name)).unwrap();
        assert_eq!(fs::read(again.join(name)).unwrap(), want, "{name}");
        assert_eq!(fs::read(shuffled.join(name)).unwrap(), want, "{name}");
    }
}

#[test]
fn a_roster_record_that_breaks_the_rules_is_rejected_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let (a, out) = (dir.path().join("a"), dir.path().join("out"));
    fs::create_dir_all(&a).unwrap();
    let mut r = interview(1, &[1, 1], false, 1);
    let p = r.rosters.get_mut("projects").unwrap();
    p[1].rosters.get_mut("partners").unwrap()[0]
        .answers
        .insert("partner_type".into(), text("bank"));
    fs::write(a.join("bad.json"), r.to_json()).unwrap();
    let mut r = interview(2, &[1], false, 1);
    r.rosters.get_mut("projects").unwrap()[0]
        .answers
        .insert("grant_amount".into(), num(500_000.0));
    fs::write(a.join("broken.json"), r.to_json()).unwrap();
    let mut r = interview(3, &[1], false, 1);
    r.format = anketa::record::FORMAT.into();
    fs::write(a.join("v1.json"), r.to_json()).unwrap();
    let o = anketa(&["merge", s(&a), "--questionnaire", Q, "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    for what in [
        "variable `projects[2].partners[1].partner_type` (single): unknown code `bank`",
        "`projects[1].grant_amount` breaks max 100000",
        "format `anketa-interview/1` has no rosters",
    ] {
        assert!(err.contains(what), "{what}:\n{err}");
    }
}

/// The bundled nested-roster demo end to end: simulated interviews (as an interviewer fills
/// rosters) merge into a main CSV and two long roster CSVs that join on the interview id and the
/// instance numbers, with the counts the interviews say.
#[test]
fn the_bundled_roster_demo_runs_through_simulate_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (field, out) = (dir.path().join("field"), dir.path().join("out"));
    crate::support::simulate("projects", 80, &field, 5, 0.0, 4);
    ok(&anketa(&["merge", s(&field), "--out", s(&out)]));
    let (_, main) = table(&out.join("projects.csv"));
    let (_, projects) = table(&out.join("projects.projects.csv"));
    let (_, partners) = table(&out.join("projects.partners.csv"));
    assert!(!main.is_empty() && !projects.is_empty() && !partners.is_empty());
    for m in &main {
        let id = &m["id"];
        let n: usize = m["projects_count"].parse().unwrap_or(0);
        // The count asked is the number of projects (completed interviews keep their count).
        assert_eq!(m["n_projects"].parse::<usize>().unwrap_or(0), n, "{id}");
        let rows: Vec<&BTreeMap<String, String>> = projects.iter().filter(|p| p["id"] == *id).collect();
        assert_eq!(rows.len(), n, "{id}: one row per project");
        let numbers: Vec<String> = rows.iter().map(|p| p["projects_n"].clone()).collect();
        assert_eq!(numbers, (1..=n).map(|k| k.to_string()).collect::<Vec<_>>(), "{id}");
        // Partners hang from existing projects, and their count is each project's.
        let mut partners_here = 0;
        for p in rows {
            let k = &p["projects_n"];
            let mine = partners
                .iter()
                .filter(|r| r["id"] == *id && r["projects_n"] == *k)
                .count();
            assert_eq!(
                p["partners_count"].parse::<usize>().unwrap_or(0),
                mine,
                "{id} project {k}"
            );
            assert_eq!(
                p["n_partners"].parse::<usize>().unwrap_or(0),
                mine,
                "{id} project {k}: count(${{partners}})"
            );
            partners_here += mine;
        }
        assert_eq!(
            m["partners_total"].parse::<usize>().unwrap_or(0),
            partners_here,
            "{id}: the aggregate outside"
        );
    }
    // Files under their neighbours' names are read in an order that is not the outputs': the
    // roster CSVs are then made again from the merged lines (on all cores), the same bytes.
    let lying = dir.path().join("lying");
    fs::create_dir_all(&lying).unwrap();
    let mut names: Vec<_> = fs::read_dir(field.join("interviews"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for (k, p) in names.iter().enumerate() {
        let other = names[(k + 7) % names.len()].file_name().unwrap();
        fs::copy(p, lying.join(other)).unwrap();
    }
    fs::create_dir_all(lying.join("questionnaires")).unwrap();
    let again = dir.path().join("again");
    ok(&anketa(&["merge", s(&lying), "--out", s(&again)]));
    for f in [
        "interviews.ndjson",
        "projects.csv",
        "projects.projects.csv",
        "projects.partners.csv",
    ] {
        assert!(
            fs::read(again.join(f)).unwrap() == fs::read(out.join(f)).unwrap(),
            "{f}"
        );
    }
}

/// A project entered, then the number of projects set back to 0: the projects' block is no
/// longer asked. The interview (in progress) keeps the project's answers, marked not relevant,
/// in the NDJSON; the roster CSV has no row for it and the main CSV counts none.
#[test]
fn instances_of_a_roster_not_asked_are_kept_in_the_ndjson_but_have_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (a, out) = (dir.path().join("a"), dir.path().join("out"));
    fs::create_dir_all(&a).unwrap();
    let mut r = interview(7, &[0], false, 1);
    r.status = Status::InProgress;
    r.completed = None;
    r.answers.insert("n_projects".into(), num(0.0));
    for a in r.rosters.get_mut("projects").unwrap()[0].answers.values_mut() {
        a.relevant = false;
    }
    fs::write(a.join("draft.json"), r.to_json()).unwrap();
    // The same interview with its project asked, for comparison.
    let asked = interview(8, &[0], false, 1);
    fs::write(a.join("asked.json"), asked.to_json()).unwrap();
    ok(&anketa(&[
        "merge",
        s(&a),
        "--questionnaire",
        Q,
        "--include-incomplete",
        "--out",
        s(&out),
    ]));
    let (_, main) = table(&out.join("projects.csv"));
    let (_, projects) = table(&out.join("projects.projects.csv"));
    let count = |id: &str| main.iter().find(|m| m["id"] == id).unwrap()["projects_count"].clone();
    assert_eq!(count(&r.id), "0");
    assert_eq!(count(&asked.id), "1");
    let ids: Vec<&str> = projects.iter().map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, [asked.id.as_str()], "only the project asked has a row");
    let ndjson = fs::read_to_string(out.join("interviews.ndjson")).unwrap();
    assert!(ndjson.contains("Проект 7.1"), "the NDJSON keeps the project not asked");
}

/// The interviewer's rule of a roster's count holds in merge: a completed interview with more
/// live projects than its `n_projects` is rejected, and says where.
#[test]
fn a_completed_interview_over_its_roster_count_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (a, out) = (dir.path().join("a"), dir.path().join("out"));
    fs::create_dir_all(&a).unwrap();
    let mut r = interview(9, &[0, 0], false, 1);
    r.answers.insert("n_projects".into(), num(1.0));
    fs::write(a.join("over.json"), r.to_json()).unwrap();
    let o = anketa(&["merge", s(&a), "--questionnaire", Q, "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "`projects` breaks count 1 (a completed interview has no instance beyond the roster's count): 2 instances"
        ),
        "{err}"
    );
}
