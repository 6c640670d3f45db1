//! Tabulation on records written by hand, whose counts are known exactly.

use super::model::{MAX_TEXTS, NumberStats, QuestionTable, Row};
use super::*;
use crate::questionnaire::{Questionnaire, fixtures};
use crate::record::{Answer, AnswerValue, FORMAT, QuestionnaireRef, Record, RecordView, Status};

fn qs() -> (Questionnaire, Questionnaire) {
    (fixtures::nko(), fixtures::omsu())
}

fn t(s: &str) -> AnswerValue {
    AnswerValue::Text(s.into())
}

fn codes(c: &[&str]) -> AnswerValue {
    AnswerValue::Codes(c.iter().map(|s| s.to_string()).collect())
}

/// A completed record of `q` with these answers (all marked relevant: the report recomputes).
fn rec(q: &Questionnaire, n: u32, interviewer: &str, answers: Vec<(&str, AnswerValue)>) -> Record {
    Record {
        format: FORMAT.into(),
        id: format!("01770000-0000-7000-8000-{:04x}{n:08x}", q.id.len()),
        revision: 5,
        device: "0".repeat(32),
        interviewer: interviewer.into(),
        questionnaire: QuestionnaireRef {
            id: q.id.clone(),
            version: q.version.clone(),
            sha256: q.sha256.clone(),
        },
        status: Status::Completed,
        started: format!("2021-01-{:02}T07:00:00Z", 10 + n % 20),
        updated: "2021-02-01T08:00:00Z".into(),
        completed: Some("2021-02-01T08:00:00Z".into()),
        duration_ms: 600_000 + n as u64 * 1000,
        position: None,
        position_at: Vec::new(),
        rosters: Default::default(),
        answers: answers
            .into_iter()
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
            .collect(),
        reopened: Vec::new(),
        paradata: Vec::new(),
    }
}

/// Adds `r` as the report reads it: the record's JSON line, parsed into a view.
fn add(t: &mut Tally, plan: &Plan<'_>, r: &Record) -> Result<(), String> {
    let line = r.to_json_line();
    let text = std::str::from_utf8(&line).unwrap();
    t.add(plan, &RecordView::parse(text).unwrap())
}

fn run(qs: &[&Questionnaire], opts: Options, recs: &[Record]) -> Report {
    let plan = Plan::new(qs.to_vec(), opts).unwrap();
    let mut t = plan.tally();
    for r in recs {
        add(&mut t, &plan, r).unwrap();
    }
    t.finish(&plan, InputInfo::default(), None)
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

/// 100 НКО: interaction yes 60, no 30, dont_know 10; 100 ОМСУ: yes 90, no 10.
fn interaction_data(nko: &Questionnaire, omsu: &Questionnaire) -> Vec<Record> {
    let mut v = Vec::new();
    for n in 0..100u32 {
        let a = if n < 60 {
            "yes"
        } else if n < 90 {
            "no"
        } else {
            "dont_know"
        };
        v.push(rec(
            nko,
            n,
            "I01",
            vec![("interaction", t(a)), ("district", t("bykovsky"))],
        ));
        let b = if n < 90 { "yes" } else { "no" };
        v.push(rec(
            omsu,
            n,
            "I02",
            vec![("interaction", t(b)), ("district", t("kletsky"))],
        ));
    }
    v
}

#[test]
fn single_choice_percentages_bases_and_chi2_are_exact() {
    let (nko, omsu) = qs();
    let r = run(&[&nko, &omsu], Options::default(), &interaction_data(&nko, &omsu));
    assert_eq!(
        r.groups
            .iter()
            .map(|g| (g.label.as_str(), g.interviews))
            .collect::<Vec<_>>(),
        [("НКО", 100), ("ОМСУ", 100)]
    );
    let x = table(&r, "interaction");
    assert_eq!(x.bases.iter().map(|b| b.n).collect::<Vec<_>>(), [100, 100]);
    assert_eq!(row(x, "yes").percents, [Some(60.0), Some(90.0)]);
    assert_eq!(row(x, "no").percents, [Some(30.0), Some(10.0)]);
    assert_eq!(row(x, "dont_know").percents, [Some(10.0), Some(0.0)]);
    let test = x.test.as_ref().unwrap();
    let c = test.chi2.as_ref().unwrap();
    // Table [[60, 90], [30, 10], [10, 0]]: χ² = 26 exactly (hand computation), df 2, and for
    // df 2 the χ² tail is exp(−x/2).
    assert!((c.statistic - 26.0).abs() < 1e-9, "{}", c.statistic);
    assert_eq!(c.df, 2);
    assert!((c.p - (-13.0f64).exp()).abs() < 1e-12, "{}", c.p);
    assert!((c.cramers_v - (26.0f64 / 200.0).sqrt()).abs() < 1e-12);
    assert!(test.significant && test.fisher.is_none());
}

#[test]
fn exclude_missing_leaves_dont_know_out_of_base_and_test() {
    let (nko, omsu) = qs();
    let opts = Options {
        exclude_missing: true,
        ..Options::default()
    };
    let r = run(&[&nko, &omsu], opts, &interaction_data(&nko, &omsu));
    let x = table(&r, "interaction");
    assert_eq!(
        x.bases.iter().map(|b| (b.n, b.excluded)).collect::<Vec<_>>(),
        [(90, 10), (100, 0)]
    );
    assert_eq!(row(x, "yes").percents[0], Some(60.0 * 100.0 / 90.0));
    let dk = row(x, "dont_know");
    assert!(dk.excluded && dk.percents == [None, None] && dk.counts == [10, 0]);
    // 2×2 [[60, 90], [30, 10]]: closed form n(ad − bc)² / (r1 r2 c1 c2).
    let c = x.test.as_ref().unwrap().chi2.as_ref().unwrap();
    let want = 190.0 * (60.0 * 10.0 - 90.0 * 30.0f64).powi(2) / (150.0 * 40.0 * 90.0 * 100.0);
    assert!((c.statistic - want).abs() < 1e-9);
    assert!(x.notes.iter().any(|n| n.kind == "missing_excluded"));
}

#[test]
fn multi_choice_shares_are_of_respondents_and_each_option_is_tested() {
    let (nko, omsu) = qs();
    let mut v = Vec::new();
    for n in 0..10u32 {
        // НКО: project_support 7 of 10, grants 4, dont_know alone 1.
        let a: Vec<&str> = match n {
            0..=3 => vec!["project_support", "grants"],
            4..=6 => vec!["project_support"],
            7 | 8 => vec!["property"],
            _ => vec!["dont_know"],
        };
        v.push(rec(&nko, n, "I01", vec![("goals", codes(&a))]));
        // ОМСУ: project_support 2 of 10.
        let b: Vec<&str> = if n < 2 {
            vec!["project_support"]
        } else {
            vec!["working_groups"]
        };
        v.push(rec(&omsu, n, "I02", vec![("goals", codes(&b))]));
    }
    let r = run(&[&nko, &omsu], Options::default(), &v);
    let x = table(&r, "goals");
    assert_eq!(x.kind, "multi");
    assert_eq!(x.bases.iter().map(|b| b.n).collect::<Vec<_>>(), [10, 10]);
    let ps = row(x, "project_support");
    assert_eq!(ps.percents, [Some(70.0), Some(20.0)]);
    assert_eq!(row(x, "grants").percents, [Some(40.0), Some(0.0)]);
    let sum: f64 = x.rows.iter().filter_map(|r| r.percents[0]).sum();
    assert!(sum > 100.0, "{sum}");
    // [[7, 2], [3, 8]]: expected counts 4.5 and 5.5, so Fisher's exact test decides.
    let test = ps.test.as_ref().unwrap();
    let f = test.fisher.unwrap();
    let direct = stats::fisher_2x2(7, 2, 3, 8).unwrap();
    assert_eq!(f, direct);
    assert_eq!(test.p, Some(f.p));
    // Nobody chose `other` in either group: the test says why it is not valid.
    assert_eq!(
        row(x, "other").test.as_ref().unwrap().not_valid,
        Some(stats::NotValid::OneRow)
    );
}

#[test]
fn fisher_decides_for_the_tea_tasting_counts_of_a_filtered_question() {
    // grant_funders is asked only when grant_support = 'yes': 4 per group; pgf 3 of 4 vs 1 of 4.
    let (nko, omsu) = qs();
    let mut v = Vec::new();
    for n in 0..6u32 {
        let yes = n < 4;
        let support = if yes { "yes" } else { "no" };
        let mut a = vec![("grant_support", t(support))];
        let mut b = vec![("grant_support", t(support))];
        if yes {
            a.push(("grant_funders", codes(if n < 3 { &["pgf"] } else { &["lukoil"] })));
            b.push(("grant_funders", codes(if n < 1 { &["pgf"] } else { &["lukoil"] })));
        } else {
            // Answered earlier, then grant_support changed: irrelevant now, not counted.
            a.push(("grant_funders", codes(&["pgf"])));
        }
        v.push(rec(&nko, n, "I01", a));
        v.push(rec(&omsu, n, "I02", b));
    }
    let r = run(&[&nko, &omsu], Options::default(), &v);
    let x = table(&r, "grant_funders");
    assert_eq!(
        x.bases.iter().map(|b| (b.interviews, b.asked, b.n)).collect::<Vec<_>>(),
        [(6, 4, 4), (6, 4, 4)]
    );
    let pgf = row(x, "pgf");
    assert_eq!(pgf.percents, [Some(75.0), Some(25.0)]);
    let p = pgf.test.as_ref().unwrap().p.unwrap();
    // Agresti (2007), section 2.6: two-sided p = 0.4857 for [[3, 1], [1, 3]].
    assert!((p - 0.4857).abs() < 5e-5, "{p}");
    assert!(x.notes.iter().any(|n| n.kind == "asked_partly"));
}

#[test]
fn numbers_give_n_mean_median_min_max_per_group() {
    let (nko, omsu) = qs();
    let years = [2000.0, 2010.0, 2010.0, 2020.0];
    let mut v: Vec<Record> = years
        .iter()
        .enumerate()
        .map(|(i, y)| rec(&nko, i as u32, "I01", vec![("founded_year", AnswerValue::Number(*y))]))
        .collect();
    v.push(rec(
        &omsu,
        1,
        "I02",
        vec![("work_experience", AnswerValue::Number(5.0))],
    ));
    v.push(rec(
        &omsu,
        2,
        "I02",
        vec![("work_experience", AnswerValue::Number(15.0))],
    ));
    let r = run(&[&nko, &omsu], Options::default(), &v);
    let x = table(&r, "founded_year");
    assert_eq!(
        x.numbers[0],
        NumberStats {
            n: 4,
            mean: Some(2010.0),
            median: Some(2010.0),
            min: Some(2000.0),
            max: Some(2020.0)
        }
    );
    assert_eq!(x.numbers[1].n, 0);
    assert_eq!(x.numbers[1].mean, None);
    assert!(x.notes.iter().any(|n| n.kind == "only_in"), "{:?}", x.notes);
    let y = table(&r, "work_experience");
    assert_eq!(y.numbers[1].median, Some(10.0));
}

#[test]
fn a_question_nobody_was_asked_and_one_group_only_say_so() {
    let (nko, omsu) = qs();
    let v: Vec<Record> = (0..5)
        .map(|n| rec(&nko, n, "I01", vec![("interaction", t("yes"))]))
        .collect();
    let r = run(&[&nko, &omsu], Options::default(), &v);
    assert_eq!(r.groups.len(), 1);
    assert!(r.notes.iter().any(|n| n.kind == "one_group"));
    let x = table(&r, "interaction");
    assert!(x.test.is_none(), "no test with one group");
    assert_eq!(row(x, "yes").percents, [Some(100.0)]);
    let nobody = table(&r, "no_interaction_reason");
    assert!(nobody.notes.iter().any(|n| n.kind == "nobody_asked"));
    assert!(nobody.rows.iter().all(|r| r.percents == [None]));
    // Questions of a questionnaire without interviews are not tabulated.
    assert!(
        r.sections
            .iter()
            .flat_map(|s| &s.questions)
            .all(|t| t.variable != "omsu_level")
    );
}

#[test]
fn where_filters_with_relevance_and_pseudo_variables() {
    let (nko, omsu) = qs();
    let data = interaction_data(&nko, &omsu);
    let opts = Options {
        filter: Some("${interaction} = 'yes' and ${questionnaire} = 'omsu'".into()),
        ..Options::default()
    };
    let r = run(&[&nko, &omsu], opts, &data);
    assert_eq!(r.options.matched, 90);
    assert_eq!(r.groups.len(), 1);
    assert!(r.notes.iter().any(|n| n.kind == "empty_groups"));
    // An answer kept with relevant: false reads as unanswered.
    let mut x = rec(
        &nko,
        1,
        "I01",
        vec![("interaction", t("yes")), ("no_interaction_reason", t("not_needed"))],
    );
    x.answers.get_mut("no_interaction_reason").unwrap().relevant = false;
    let opts = Options {
        filter: Some("${no_interaction_reason} = 'not_needed'".into()),
        ..Options::default()
    };
    let r = run(&[&nko, &omsu], opts, &[x]);
    assert_eq!(r.options.matched, 0);
    assert!(r.notes.iter().any(|n| n.kind == "filter_matched_nothing"));
    assert!(r.sections.is_empty());
}

#[test]
fn by_groups_on_a_single_choice_variable_and_names_empty_groups() {
    let (nko, omsu) = qs();
    let r = run(
        &[&nko, &omsu],
        Options {
            by: Some("district".into()),
            ..Options::default()
        },
        &interaction_data(&nko, &omsu),
    );
    assert_eq!(
        r.groups
            .iter()
            .map(|g| (g.key.as_str(), g.interviews))
            .collect::<Vec<_>>(),
        [("bykovsky", 100), ("kletsky", 100)]
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.kind == "empty_groups" && n.text.contains("Алексеевский"))
    );
    // The grouping variable itself is not tabulated.
    assert!(
        r.sections
            .iter()
            .flat_map(|s| &s.questions)
            .all(|t| t.variable != "district")
    );
    let x = table(&r, "interaction");
    assert_eq!(row(x, "yes").percents, [Some(60.0), Some(90.0)]);
}

#[test]
fn cross_tabulates_two_variables_with_row_and_column_percentages() {
    let (nko, omsu) = qs();
    let mut v = Vec::new();
    for n in 0..20u32 {
        let i = if n < 12 { "yes" } else { "no" };
        let c = if (9..18).contains(&n) { "rarely" } else { "regular" };
        v.push(rec(&nko, n, "I01", vec![("interaction", t(i)), ("contact_freq", t(c))]));
    }
    let opts = Options {
        cross: Some(("interaction".into(), "contact_freq".into())),
        ..Options::default()
    };
    let r = run(&[&nko, &omsu], opts, &v);
    let c = r.cross.as_ref().unwrap();
    assert_eq!(c.n, 20);
    let ri = |code: &str| c.row_labels.iter().position(|(x, _)| x == code).unwrap();
    let ci = |code: &str| c.col_labels.iter().position(|(x, _)| x == code).unwrap();
    assert_eq!(c.counts[ri("yes")][ci("regular")], 9);
    assert_eq!(c.counts[ri("no")][ci("regular")], 2);
    assert_eq!(c.row_percents[ri("yes")][ci("regular")], Some(75.0));
    assert_eq!(c.col_percents[ri("no")][ci("rarely")], Some(6.0 * 100.0 / 9.0));
    assert!(c.test.as_ref().unwrap().chi2.is_some());
}

#[test]
fn results_do_not_depend_on_how_records_are_split_between_workers() {
    let (nko, omsu) = qs();
    let mut data = interaction_data(&nko, &omsu);
    for (n, r) in data.iter_mut().enumerate() {
        r.answers.insert(
            "final_comment".into(),
            Answer {
                value: Some(t(&format!("комментарий {}", n % 7))),
                relevant: true,
                ..Answer::default()
            },
        );
    }
    let plan = Plan::new(vec![&nko, &omsu], Options::default()).unwrap();
    let one = {
        let mut t = plan.tally();
        for r in &data {
            add(&mut t, &plan, r).unwrap();
        }
        t.finish(&plan, InputInfo::default(), None)
    };
    let split = {
        let (mut a, mut b) = (plan.tally(), plan.tally());
        for (i, r) in data.iter().rev().enumerate() {
            if i % 3 == 0 {
                add(&mut a, &plan, r)
            } else {
                add(&mut b, &plan, r)
            }
            .unwrap();
        }
        b.merge(a);
        b.finish(&plan, InputInfo::default(), None)
    };
    assert_eq!(json::render(&one), json::render(&split));
    let texts = &table(&one, "final_comment").texts;
    assert_eq!(texts.total, 200);
    assert_eq!(texts.items.len(), MAX_TEXTS);
}

#[test]
fn unknown_records_and_misfits_are_refused_with_a_reason() {
    let (nko, omsu) = qs();
    let plan = Plan::new(vec![&nko], Options::default()).unwrap();
    let mut tally = plan.tally();
    let e = add(&mut tally, &plan, &rec(&omsu, 1, "I01", vec![])).unwrap_err();
    assert!(e.starts_with("unknown questionnaire `omsu`"), "{e}");
    let e = add(
        &mut tally,
        &plan,
        &rec(&nko, 1, "I01", vec![("interaction", t("maybe"))]),
    )
    .unwrap_err();
    assert!(e.contains("unknown code `maybe`"), "{e}");
    assert_eq!(tally.records(), 0);
}

#[test]
fn options_are_checked_against_the_questionnaires_with_suggestions() {
    let (nko, omsu) = qs();
    let err = |o: Options| Plan::new(vec![&nko, &omsu], o).unwrap_err();
    let e = err(Options {
        by: Some("distrct".into()),
        ..Options::default()
    });
    assert_eq!(
        e[0].to_string(),
        "error: --by: unknown variable `distrct`\n  hint: did you mean `district`?"
    );
    let e = err(Options {
        by: Some("goals".into()),
        ..Options::default()
    });
    assert!(e[0].message.contains("is a multi question"), "{}", e[0]);
    let e = err(Options {
        filter: Some("${interaction} = = 'yes'".into()),
        ..Options::default()
    });
    assert!(
        e[0].to_string()
            .contains("\n  ${interaction} = = 'yes'\n                   ^"),
        "{}",
        e[0]
    );
    let e = err(Options {
        filter: Some("${intraction} = 'yes'".into()),
        ..Options::default()
    });
    assert!(
        e[0].to_string()
            .ends_with("  ${intraction} = 'yes'\n  ^^^^^^^^^^^^^ did you mean `interaction`?"),
        "{}",
        e[0]
    );
    let e = err(Options {
        cross: Some(("interaction".into(), "founded_year".into())),
        alpha: 1.5,
        ..Options::default()
    });
    assert_eq!(e.len(), 2, "every problem at once: {e:?}");
}

#[test]
fn quota_files_are_read_as_csv_or_json_and_checked() {
    let (nko, omsu) = qs();
    let plan = Plan::new(vec![&nko, &omsu], Options::default()).unwrap();
    let q = parse_quota("district;group;target\nbykovsky;nko;8\nКлетский;ОМСУ;3\n", &plan).unwrap();
    assert_eq!(q.targets.get(&("bykovsky".into(), "nko".into())), Some(&8));
    assert_eq!(q.targets.get(&("kletsky".into(), "omsu".into())), Some(&3));
    let q = parse_quota(r#"{"nko": {"bykovsky": 8}}"#, &plan).unwrap();
    assert_eq!(q.targets.len(), 1);
    let q = parse_quota(r#"[{"district": "bykovsky", "group": "omsu", "target": 2}]"#, &plan).unwrap();
    assert_eq!(q.targets.get(&("bykovsky".into(), "omsu".into())), Some(&2));
    let e = parse_quota(
        "district,group,target\nbykovsk,nko,x\nbykovsky,xyz,1\nbykovsky,nko,1\nbykovsky,nko,2\n",
        &plan,
    )
    .unwrap_err();
    assert_eq!(
        e,
        [
            "line 2: unknown district `bykovsk` (did you mean `bykovsky`?)",
            "line 2: target `x` is not a whole number of interviews",
            "line 3: unknown group `xyz`: give a questionnaire id (nko, omsu)",
            "line 5: district `bykovsky`, group `nko` is already planned at line 4",
        ]
    );
    assert!(parse_quota("a,b\n1,2\n", &plan).unwrap_err()[0].contains("district,group,target"));
}

#[test]
fn fieldwork_counts_districts_durations_and_speeders() {
    let (nko, omsu) = qs();
    let mut v = interaction_data(&nko, &omsu);
    // A speeder: 2 minutes against a median of about 10.
    v[0].duration_ms = 120_000;
    let plan = Plan::new(vec![&nko, &omsu], Options::default()).unwrap();
    let mut t = plan.tally();
    for r in &v {
        add(&mut t, &plan, r).unwrap();
    }
    let quota = parse_quota("district,group,target\nbykovsky,nko,120\n", &plan).unwrap();
    let r = t.finish(&plan, InputInfo::default(), Some(&quota));
    let d = r.fieldwork.districts.as_ref().unwrap();
    let by = d.rows.iter().find(|x| x.code == "bykovsky").unwrap();
    assert_eq!(by.counts, [100, 0]);
    assert_eq!(by.targets, Some(vec![Some(120), None]));
    assert_eq!(d.covered, 2);
    assert_eq!(d.of, 32);
    let i01 = &r.fieldwork.interviewers[0];
    assert_eq!((i01.code.as_str(), i01.total, i01.speeders), ("I01", 100, 1));
    assert_eq!(i01.speeder_share, Some(0.01));
}

#[test]
fn a_folder_merged_on_the_fly_reports_duplicates_conflicts_and_drafts() {
    use crate::merge::{decide, tests::e};
    use Status::{Completed as C, InProgress as P};
    // a: two identical copies; b: a conflict (revision 2 beats 1); c: a draft only.
    let entries = [
        e("a", 1, C, 1, 7, 0),
        e("a", 1, C, 1, 7, 1),
        e("b", 1, C, 1, 1, 2),
        e("b", 2, C, 1, 2, 3),
        e("c", 1, P, 1, 3, 4),
    ];
    let mut drafts = std::collections::HashMap::new();
    drafts.insert(entries[4].id, ("nko".to_string(), "I07".to_string()));
    let d = decide(&entries, false);
    let info = MergeInfo::on_the_fly(&entries, &drafts, &d, 3);
    assert_eq!(info.source, "merged on the fly");
    assert_eq!(info.duplicates, 1);
    assert_eq!(info.conflict_ids, [entries[3].id.to_string()]);
    assert_eq!(info.incomplete, [("nko".to_string(), "I07".to_string())]);
    assert_eq!(info.rejected, 3);
}
