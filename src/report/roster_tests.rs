//! The report over rosters: tables counted over instances, with known counts on records built
//! by hand, and bases checked against an independent count on simulated interviews.

use super::model::{InstanceCounts, QuestionTable, RosterCounts, Row};
use super::*;
use crate::questionnaire::{Questionnaire, bundled};
use crate::record::{Answer, AnswerValue, FORMAT_V2, Instance, QuestionnaireRef, Record, RecordView, Rosters, Status};
use std::collections::BTreeMap;

fn projects() -> Questionnaire {
    bundled("projects").expect("the bundled projects questionnaire")
}

fn t(s: &str) -> AnswerValue {
    AnswerValue::Text(s.into())
}

fn num(x: f64) -> AnswerValue {
    AnswerValue::Number(x)
}

/// Answers, all stored as relevant: the report recomputes relevance with the engine.
fn answers(v: Vec<(&str, AnswerValue)>) -> BTreeMap<String, Answer> {
    v.into_iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                Answer {
                    value: Some(v),
                    relevant: true,
                    ..Answer::default()
                },
            )
        })
        .collect()
}

fn inst(v: Vec<(&str, AnswerValue)>, partners: Vec<Instance>) -> Instance {
    let mut rosters = Rosters::new();
    if !partners.is_empty() {
        rosters.insert("partners".into(), partners);
    }
    Instance {
        answers: answers(v),
        rosters,
        removed: None,
    }
}

fn partner(kind: &str) -> Instance {
    inst(vec![("partner_name", t("x")), ("partner_type", t(kind))], Vec::new())
}

fn rec(q: &Questionnaire, n: u32, top: Vec<(&str, AnswerValue)>, projects: Vec<Instance>) -> Record {
    let mut rosters = Rosters::new();
    if !projects.is_empty() {
        rosters.insert("projects".into(), projects);
    }
    Record {
        format: FORMAT_V2.into(),
        id: format!("01770000-0000-7000-8000-{n:012x}"),
        revision: 5,
        device: "0".repeat(32),
        interviewer: "I01".into(),
        questionnaire: QuestionnaireRef {
            id: q.id.clone(),
            version: q.version.clone(),
            sha256: q.sha256.clone(),
        },
        status: Status::Completed,
        started: "2021-01-10T07:00:00Z".into(),
        updated: "2021-02-01T08:00:00Z".into(),
        completed: Some("2021-02-01T08:00:00Z".into()),
        duration_ms: 600_000,
        position: None,
        position_at: Vec::new(),
        rosters,
        answers: answers(top),
        reopened: Vec::new(),
        paradata: Vec::new(),
    }
}

/// Three interviews: A (НКО) with 2 projects, B (НКО) with none, C (ТОС) with 3 projects and
/// a fourth that the interviewer removed.
///
/// - grant: A yes, no; C yes, yes, no (the removed one: yes) → 3 yes of 5 instances.
/// - grant_amount: A 100, and 999 kept in the "no" project with `relevant: true` (the engine
///   says it is not asked there); C 50, 300 → asked in 3 instances, mean 150, median 100.
/// - partners: A's first project ngo, business; C's second omsu → 3 partners in 5 projects.
fn known() -> Vec<Record> {
    let q = projects();
    let mut removed = inst(
        vec![("grant", t("yes")), ("grant_amount", num(7.0))],
        vec![partner("ngo")],
    );
    removed.removed = Some("2021-01-10T07:30:00Z".into());
    vec![
        rec(
            &q,
            1,
            vec![("org_type", t("ngo")), ("n_projects", num(2.0))],
            vec![
                inst(
                    vec![
                        ("field", t("social")),
                        ("grant", t("yes")),
                        ("grant_amount", num(100.0)),
                    ],
                    vec![partner("ngo"), partner("business")],
                ),
                inst(
                    vec![("field", t("sport")), ("grant", t("no")), ("grant_amount", num(999.0))],
                    Vec::new(),
                ),
            ],
        ),
        rec(
            &q,
            2,
            vec![("org_type", t("ngo")), ("n_projects", num(0.0))],
            Vec::new(),
        ),
        rec(
            &q,
            3,
            vec![("org_type", t("tos")), ("n_projects", num(3.0))],
            vec![
                inst(
                    vec![("field", t("social")), ("grant", t("yes")), ("grant_amount", num(50.0))],
                    Vec::new(),
                ),
                removed,
                inst(
                    vec![
                        ("field", t("culture")),
                        ("grant", t("yes")),
                        ("grant_amount", num(300.0)),
                    ],
                    vec![partner("omsu")],
                ),
                inst(vec![("field", t("culture")), ("grant", t("no"))], Vec::new()),
            ],
        ),
    ]
}

fn run(q: &Questionnaire, opts: Options, recs: &[Record]) -> Report {
    let plan = Plan::new(vec![q], opts).unwrap();
    let mut tally = plan.tally();
    for r in recs {
        let line = r.to_json_line();
        let text = std::str::from_utf8(&line).unwrap();
        tally.add(&plan, &RecordView::parse(text).unwrap()).unwrap();
    }
    tally.finish(&plan, InputInfo::default(), None)
}

fn table<'a>(r: &'a Report, var: &str) -> &'a QuestionTable {
    r.sections
        .iter()
        .flat_map(|s| &s.questions)
        .find(|t| t.variable == var)
        .unwrap_or_else(|| panic!("no table for {var}"))
}

fn row<'a>(t: &'a QuestionTable, code: &str) -> &'a Row {
    t.rows.iter().find(|r| r.code == code).unwrap()
}

fn roster<'a>(r: &'a Report, id: &str) -> &'a RosterCounts {
    r.rosters.iter().find(|x| x.roster.id == id).unwrap()
}

fn kinds(t: &QuestionTable) -> Vec<&str> {
    t.notes.iter().map(|n| n.kind).collect()
}

#[test]
fn roster_questions_are_tabulated_over_the_instances_asked() {
    let q = projects();
    let r = run(&q, Options::default(), &known());
    let grant = table(&r, "grant");
    assert_eq!(grant.roster.as_ref().map(|x| x.id.as_str()), Some("projects"));
    let b = &grant.bases[0];
    assert_eq!(
        (b.interviews, b.instances, b.asked, b.answered, b.n, b.asked_interviews),
        (3, Some(5), 5, 5, 5, Some(2))
    );
    assert_eq!(row(grant, "yes").counts, vec![3]);
    assert_eq!(row(grant, "yes").percents, vec![Some(60.0)]);
    assert_eq!(row(grant, "no").percents, vec![Some(40.0)]);
    assert_eq!(kinds(grant), vec!["roster_base"]);
    assert!(
        grant.notes[0].text.contains("5 (из 2 интервью)"),
        "{}",
        grant.notes[0].text
    );
    // The amount kept in a "no" project is not asked there, whatever its stored flag says.
    let amount = table(&r, "grant_amount");
    let b = &amount.bases[0];
    assert_eq!(
        (b.instances, b.asked, b.answered, b.asked_interviews),
        (Some(5), 3, 3, Some(2))
    );
    let stats = &amount.numbers[0];
    assert_eq!(
        (stats.n, stats.mean, stats.median, stats.max),
        (3, Some(150.0), Some(100.0), Some(300.0))
    );
    assert_eq!(kinds(amount), vec!["roster_base", "asked_partly"]);
    // Partners: 3 in the live projects (the removed project's partner counts nowhere).
    let pt = table(&r, "partner_type");
    assert_eq!(pt.roster.as_ref().and_then(|x| x.parent.as_deref()), Some("projects"));
    assert_eq!((pt.bases[0].n, pt.bases[0].asked_interviews), (3, Some(2)));
    assert_eq!(
        ["ngo", "omsu", "business", "other"].map(|c| row(pt, c).counts[0]),
        [1, 1, 1, 0]
    );
    // A top-level question is still counted per interview.
    assert_eq!(table(&r, "org_type").bases[0].n, 3);
    assert_eq!(table(&r, "org_type").bases[0].instances, None);
}

#[test]
fn instance_counts_per_interview_and_per_parent_instance() {
    let q = projects();
    let r = run(&q, Options::default(), &known());
    let counts = |id: &str| roster(&r, id).counts[0].clone();
    // Projects per interview: 2, 0, 3.
    assert_eq!(
        counts("projects"),
        InstanceCounts {
            n: 3,
            zero: 1,
            instances: 5,
            mean: Some(5.0 / 3.0),
            median: Some(2.0),
            max: Some(3),
        }
    );
    // Partners per live project: 2, 0 (A); 0, 1, 0 (C).
    assert_eq!(
        counts("partners"),
        InstanceCounts {
            n: 5,
            zero: 3,
            instances: 3,
            mean: Some(0.6),
            median: Some(0.0),
            max: Some(2),
        }
    );
    assert_eq!(roster(&r, "partners").roster.parent.as_deref(), Some("projects"));
}

#[test]
fn groups_and_tests_apply_to_instances_with_the_cluster_caveat() {
    let q = projects();
    let opts = Options {
        by: Some("org_type".into()),
        ..Options::default()
    };
    let r = run(&q, opts, &known());
    let labels: Vec<&str> = r.groups.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(labels, vec!["ngo", "tos"]);
    let grant = table(&r, "grant");
    // НКО: A's yes, no; ТОС: C's yes, yes, no.
    assert_eq!(row(grant, "yes").counts, vec![1, 2]);
    assert_eq!(row(grant, "yes").percents, vec![Some(50.0), Some(200.0 / 3.0)]);
    assert_eq!(grant.bases.iter().map(|b| b.n).collect::<Vec<_>>(), vec![2, 3]);
    assert!(grant.test.is_some());
    assert!(kinds(grant).contains(&"clustered"), "{:?}", kinds(grant));
    // The instance counts follow the groups: НКО 2 and 0 projects, ТОС 3.
    let p = &roster(&r, "projects").counts;
    assert_eq!((p[0].n, p[0].zero, p[0].instances, p[0].median), (2, 1, 2, Some(1.0)));
    assert_eq!((p[1].n, p[1].instances, p[1].max), (1, 3, Some(3)));
    // A number table has no test, so no caveat.
    assert!(!kinds(table(&r, "grant_amount")).contains(&"clustered"));
    // Every renderer shows the roster tables, the base and the caveat.
    let md = md::render(&r);
    assert!(md.contains("экземпляров на интервью"), "{md}");
    assert!(md.contains("без учёта кластеров"));
    let html = html::render(&r);
    assert!(html.contains("id=\"rosters\"") && html.contains("без учёта кластеров"));
    let csv = csv::render(&r);
    assert!(csv.contains("\nroster,projects,Проекты 2021 года,\n"), "{csv}");
    assert!(
        csv.contains("\nroster,partners,Партнёры проекта «…»,projects\n"),
        "{csv}"
    );
    assert!(csv.contains("note,clustered,"));
    let json: serde_json::Value = serde_json::from_slice(&json::render(&r)).unwrap();
    let grant_json = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["questions"].as_array().unwrap())
        .find(|t| t["variable"] == "grant")
        .unwrap();
    assert_eq!(grant_json["roster"]["id"], "projects");
    assert_eq!(grant_json["bases"][1]["asked_interviews"], 1);
    assert_eq!(grant_json["bases"][1]["instances"], 3);
    assert_eq!(json["rosters"][0]["counts"][1]["instances"], 3);
    // Tables of questions asked once per interview carry no roster fields.
    assert!(json["sections"][0]["questions"][0].get("roster").is_none());
}

#[test]
fn roster_variables_cannot_group_or_filter_interviews() {
    let q = projects();
    for opts in [
        Options {
            by: Some("grant".into()),
            ..Options::default()
        },
        Options {
            filter: Some("${grant} = 'yes'".into()),
            ..Options::default()
        },
        Options {
            cross: Some(("org_type".into(), "field".into())),
            ..Options::default()
        },
    ] {
        let e = Plan::new(vec![&q], opts).unwrap_err();
        assert!(
            e[0].message.contains("once per instance of roster `projects`"),
            "{:?}",
            e[0]
        );
    }
}

#[test]
fn report_of_simulated_rosters_counts_the_live_relevant_instances() {
    let q = projects();
    let sim = crate::simulate::Simulator::new(&q, crate::simulate::Options::default());
    let recs: Vec<Record> = (0..300).map(|n| sim.record(n)).collect();
    let r = run(&q, Options::default(), &recs);
    // Counted here from the questionnaire's rules, stated again: the projects block is asked
    // when n_projects > 0; grant_amount when the project's grant is yes.
    let (mut projects, mut granted, mut amounts, mut partners) = (0u64, 0u64, 0u64, 0u64);
    let mut per_interview: Vec<usize> = Vec::new();
    for rec in &recs {
        let asked = matches!(rec.answers.get("n_projects").and_then(|a| a.value.as_ref()),
            Some(AnswerValue::Number(x)) if *x > 0.0);
        let live: Vec<&Instance> = match rec.rosters.get("projects") {
            Some(v) if asked => v.iter().filter(|i| i.removed.is_none()).collect(),
            _ => Vec::new(),
        };
        per_interview.push(live.len());
        for p in live {
            projects += 1;
            let value = |k: &str| p.answers.get(k).and_then(|a| a.value.clone());
            if value("grant") == Some(t("yes")) {
                granted += 1;
                amounts += u64::from(value("grant_amount").is_some());
            }
            partners += p
                .rosters
                .get("partners")
                .map_or(0, |v| v.iter().filter(|i| i.removed.is_none()).count()) as u64;
        }
    }
    assert!(
        projects > 500 && granted > 100 && partners > 500,
        "{projects} {granted} {partners}"
    );
    let amount = &table(&r, "grant_amount").bases[0];
    assert_eq!(
        (amount.instances, amount.asked, amount.answered),
        (Some(projects), granted, amounts)
    );
    assert_eq!(table(&r, "partner_type").bases[0].instances, Some(partners));
    assert_eq!(table(&r, "grant").bases[0].asked, projects);
    let c = &roster(&r, "projects").counts[0];
    per_interview.sort_unstable();
    assert_eq!((c.n, c.instances), (300, projects));
    assert_eq!(c.zero, per_interview.iter().filter(|&&n| n == 0).count() as u64);
    assert_eq!(c.max, per_interview.last().map(|&m| m as u64));
    assert_eq!(roster(&r, "partners").counts[0].n, projects);
}

#[test]
fn roster_tables_do_not_depend_on_how_records_are_split_between_workers() {
    let q = projects();
    let sim = crate::simulate::Simulator::new(&q, crate::simulate::Options::default());
    let recs: Vec<Record> = (0..120).map(|n| sim.record(n)).collect();
    let opts = || Options {
        by: Some("org_type".into()),
        ..Options::default()
    };
    let whole = json::render(&run(&q, opts(), &recs));
    let plan = Plan::new(vec![&q], opts()).unwrap();
    let mut parts: Vec<Tally> = (0..3).map(|_| plan.tally()).collect();
    for (k, r) in recs.iter().rev().enumerate() {
        let line = r.to_json_line();
        let text = std::str::from_utf8(&line).unwrap();
        parts[k % 3].add(&plan, &RecordView::parse(text).unwrap()).unwrap();
    }
    let mut total = parts.pop().unwrap();
    for p in parts {
        total.merge(p);
    }
    let split = json::render(&total.finish(&plan, InputInfo::default(), None));
    assert!(whole == split, "the split tallies differ");
}

#[test]
fn a_roster_single_choice_is_tested_with_the_rao_scott_correction_for_its_interviews() {
    let q = projects();
    // 60 organisations, НКО and ТОС in turn, with 1–4 projects each; an organisation's
    // projects mostly share its answer on grants (a cluster effect).
    let mut recs = Vec::new();
    let mut clusters = Vec::new();
    for n in 0..60u32 {
        let group = (n % 2) as usize;
        let projects = 1 + (n * 7 % 4);
        let usual = if (n / 2) % 3 == 0 { "yes" } else { "no" };
        let mut y = vec![0u32; 2];
        let insts: Vec<Instance> = (0..projects)
            .map(|p| {
                let g = if (n + p) % 5 == 0 {
                    if usual == "yes" { "no" } else { "yes" }
                } else {
                    usual
                };
                y[usize::from(g == "no")] += 1;
                inst(
                    vec![("field", t("social")), ("grant", t(g)), ("grant_amount", num(10.0))],
                    Vec::new(),
                )
            })
            .collect();
        let org = if group == 0 { "ngo" } else { "tos" };
        recs.push(rec(
            &q,
            n + 1,
            vec![("org_type", t(org)), ("n_projects", num(f64::from(projects)))],
            insts,
        ));
        clusters.push((group, y));
    }
    let opts = Options {
        by: Some("org_type".into()),
        ..Options::default()
    };
    let r = run(&q, opts, &recs);
    let grant = table(&r, "grant");
    let test = grant.test.as_ref().unwrap();
    let rs = test.rao_scott.expect("a corrected test");
    assert_eq!(rs.clusters, 60);
    let direct = super::tables::rao_scott_tests::design_effect_directly(&clusters, 2);
    assert!(
        (rs.design_effect - direct).abs() < 1e-9,
        "{} vs {direct}",
        rs.design_effect
    );
    assert!(rs.design_effect > 1.0);
    assert_eq!(test.p, Some(rs.p));
    assert!(test.fisher.is_none());
    let k = kinds(grant);
    assert!(k.contains(&"rao_scott") && !k.contains(&"clustered"), "{k:?}");
    // The renderers say which statistic the p-value is of, and drop the "indicative" mark.
    let md = md::render(&r);
    assert!(md.contains("с поправкой Рао — Скотта (D = "), "{md}");
    let csv = csv::render(&r);
    assert!(csv.contains(",rao_scott,"), "{csv}");
    let json: serde_json::Value = serde_json::from_slice(&json::render(&r)).unwrap();
    assert!(json.to_string().contains("\"design_effect\""));
}
