//! The report's tables: [`Tally::finish`] matches the questions of the questionnaires with
//! interviews, maps each questionnaire's native groups onto the report's groups, and builds every
//! table with its bases, percentages, tests (χ², Fisher) and notes, the cross-tab and the
//! fieldwork section: the [`Report`].

use super::fieldwork;
use super::model::{
    Base, CrossTab, DateStats, FORMAT, Group, InputInfo, InstanceCounts, Note, NumberStats, OptionsInfo, QuestionTable,
    QuestionnaireInfo, Report, RosterCounts, RosterRef, Row, Section, Test, TextItem, Texts,
};
use super::plan::Plan;
use super::questions::{RKind, ROpt, RQuestion, RRoster, build_questions, build_rosters};
use super::quota::Quota;
use super::stats::{self, Table};
use super::tally::{Cell, QTally, TEXT_ANSWER, TEXT_OTHER, Tally, TextTally, add_hist, from_ord_bits};
use super::words::W;
use crate::questionnaire::{Missing, Questionnaire};
use std::collections::BTreeMap;

impl Tally {
    /// Matches the questions of the questionnaires with interviews, and computes every table,
    /// test and note.
    pub fn finish(self, plan: &Plan<'_>, input: InputInfo, quota: Option<&Quota>) -> Report {
        let lang = plan.opts.lang;
        let w = W::new(lang);
        // The questionnaires with interviews, and their questions matched.
        let present: Vec<usize> = (0..plan.qs.len()).filter(|&qi| self.qs[qi].read > 0).collect();
        let pqs: Vec<&Questionnaire> = present.iter().map(|&qi| plan.qs[qi]).collect();
        let questions = build_questions(&pqs);
        let rosters = build_rosters(&pqs);
        let find = |var: &str| questions.iter().position(|r| r.var == var);
        let questionnaires: Vec<QuestionnaireInfo> = present
            .iter()
            .map(|&qi| QuestionnaireInfo {
                id: plan.qs[qi].id.clone(),
                version: plan.qs[qi].version.clone(),
                sha256: plan.qs[qi].sha256.clone(),
                title: plan.qs[qi].title().to_string(),
                interviews: self.qs[qi].read,
            })
            .collect();
        // Groups, and each questionnaire's native groups mapped onto them.
        let mut instr_present: Vec<usize> = Vec::new();
        for &qi in &present {
            if !instr_present.contains(&plan.instr_of[qi]) {
                instr_present.push(plan.instr_of[qi]);
            }
        }
        let by_rq = plan
            .by
            .as_ref()
            .and_then(|(v, _)| find(v))
            .filter(|&i| questions[i].kind == RKind::Single);
        let (groups_all, gmap) = group_columns(plan, &present, &instr_present, &questions, by_rq, &w);
        let ng = groups_all.len();
        let mut kept = vec![0u64; ng];
        for (k, &qi) in present.iter().enumerate() {
            for (n, &c) in self.qs[qi].kept.iter().enumerate() {
                kept[gmap[k][n]] += c;
            }
        }
        let active: Vec<usize> = (0..ng).filter(|&g| kept[g] > 0).collect();
        let matched: u64 = kept.iter().sum();
        let notes = report_notes(plan, &w, &groups_all, &kept, &active, by_rq);
        let groups: Vec<Group> = active
            .iter()
            .map(|&g| Group {
                key: groups_all[g].0.clone(),
                label: groups_all[g].1.clone(),
                interviews: kept[g],
            })
            .collect();
        let labels: Vec<&str> = active.iter().map(|&g| groups_all[g].1.as_str()).collect();
        let ctx = Ctx {
            plan,
            present: &present,
            pqs: &pqs,
            active: &active,
            labels: &labels,
            w: &w,
            by_instrument: plan.by.is_none(),
            rosters: &rosters,
        };

        let mut qtallies = self.qs;
        let sections = if matched == 0 {
            Vec::new()
        } else {
            sections(&ctx, &questions, by_rq, &gmap, ng, &mut qtallies)
        };
        let roster_counts = if matched == 0 {
            Vec::new()
        } else {
            roster_counts(&ctx, &gmap, ng, &qtallies)
        };
        let cross = match &plan.cross {
            Some((a, b, _)) if matched > 0 => Some(cross_table(&ctx, &questions, a, b, &qtallies)),
            _ => None,
        };
        // Fieldwork: districts mapped like the questions.
        let drq = find("district").filter(|&i| questions[i].kind == RKind::Single);
        let district_rows: Option<Vec<(String, String)>> = drq.map(|i| {
            questions[i]
                .options
                .iter()
                .map(|o| (o.code.clone(), o.label.clone()))
                .collect()
        });
        let nd = district_rows.as_ref().map_or(0, Vec::len);
        let ni = plan.instruments.len();
        let mut dcounts = vec![0u64; (nd + 1) * ni];
        for (k, &qi) in present.iter().enumerate() {
            let rows = drq
                .and_then(|i| questions[i].per_q[k].as_ref())
                .filter(|p| Some(p.qidx) == plan.district[qi]);
            let instr = plan.instr_of[qi];
            for (n, &c) in qtallies[qi].districts.iter().enumerate() {
                let row = rows.and_then(|p| p.rows.get(n).copied()).unwrap_or(nd);
                dcounts[row * ni + instr] += c;
            }
        }
        let fieldwork = fieldwork::build(
            plan,
            self.field,
            &instr_present,
            district_rows.as_deref(),
            &dcounts,
            quota,
            input.merge.as_ref(),
            &w,
        );
        let titles: Vec<&str> = questionnaires.iter().map(|q| q.title.as_str()).collect();
        Report {
            format: FORMAT,
            lang: lang.code(),
            title: common_title(&titles, &w),
            input,
            options: OptionsInfo {
                by: plan.opts.by.clone().unwrap_or_else(|| "questionnaire".into()),
                filter: plan.opts.filter.clone(),
                matched,
                alpha: plan.opts.alpha,
                exclude_missing: plan.opts.exclude_missing,
            },
            questionnaires,
            groups,
            notes,
            sections,
            rosters: roster_counts,
            cross,
            fieldwork,
        }
    }
}

/// The groups (key, heading) compared, and per questionnaire with interviews (`present`) its
/// native groups mapped onto them: the instruments, or the options of the `--by` question
/// (`by_rq`, when the data has it) plus "no answer".
fn group_columns(
    plan: &Plan<'_>,
    present: &[usize],
    instr_present: &[usize],
    questions: &[RQuestion],
    by_rq: Option<usize>,
    w: &W,
) -> (Vec<(String, String)>, Vec<Vec<usize>>) {
    match &plan.by {
        None => (
            instr_present
                .iter()
                .map(|&i| (plan.instruments[i].clone(), plan.instrument_labels[i].clone()))
                .collect(),
            present
                .iter()
                .map(|&qi| vec![instr_present.iter().position(|&i| i == plan.instr_of[qi]).unwrap_or(0)])
                .collect(),
        ),
        Some((_, per)) => {
            let opts: Vec<ROpt> = by_rq.map(|i| questions[i].options.clone()).unwrap_or_default();
            let mut g: Vec<(String, String)> = opts.iter().map(|o| (o.code.clone(), o.label.clone())).collect();
            g.push(("_none".into(), w.no_answer_group().into()));
            let none = g.len() - 1;
            let map = present
                .iter()
                .enumerate()
                .map(|(k, &qi)| {
                    let ng = plan.native_groups(qi);
                    let rows = by_rq
                        .and_then(|i| questions[i].per_q[k].as_ref())
                        .filter(|p| Some(p.qidx) == per[qi]);
                    (0..ng)
                        .map(|n| rows.and_then(|p| p.rows.get(n).copied()).unwrap_or(none))
                        .collect()
                })
                .collect();
            (g, map)
        }
    }
}

/// The report-level notes: the filter matched nothing, or some groups are empty; one group
/// only; the `--by` variable is not in the data.
fn report_notes(
    plan: &Plan<'_>,
    w: &W,
    groups_all: &[(String, String)],
    kept: &[u64],
    active: &[usize],
    by_rq: Option<usize>,
) -> Vec<Note> {
    let mut notes = Vec::new();
    let ng = groups_all.len();
    let empty: Vec<&str> = (0..ng)
        .filter(|&g| kept[g] == 0 && (plan.by.is_none() || g + 1 < ng))
        .map(|g| groups_all[g].1.as_str())
        .collect();
    let matched: u64 = kept.iter().sum();
    if plan.filter.is_some() && matched == 0 {
        notes.push(Note {
            kind: "filter_matched_nothing",
            text: w.filter_matched_nothing(),
        });
    } else if !empty.is_empty() {
        notes.push(Note {
            kind: "empty_groups",
            text: w.empty_groups(&empty),
        });
    }
    if active.len() == 1 {
        notes.push(Note {
            kind: "one_group",
            text: w.one_group(&groups_all[active[0]].1),
        });
    }
    if let Some((v, _)) = &plan.by
        && by_rq.is_none()
    {
        notes.push(Note {
            kind: "by_not_in_data",
            text: w.by_not_in_data(v),
        });
    }
    notes
}

/// The tables of every question but the `--by` one (`by_rq`), by block: each from the cells
/// and texts of the questionnaires that have it, mapped onto the `ng` groups by `gmap`.
fn sections(
    ctx: &Ctx<'_, '_>,
    questions: &[RQuestion],
    by_rq: Option<usize>,
    gmap: &[Vec<usize>],
    ng: usize,
    qtallies: &mut [QTally],
) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut number = 0;
    for (ri, r) in questions.iter().enumerate() {
        if Some(ri) == by_rq {
            continue;
        }
        // Global cells and texts from each questionnaire's native ones.
        let mut cells: Vec<Cell> = (0..ng)
            .map(|_| Cell {
                counts: vec![0; r.options.len()],
                ..Cell::default()
            })
            .collect();
        let mut texts = TextTally::default();
        for (k, &qi) in ctx.present.iter().enumerate() {
            let Some(p) = &r.per_q[k] else { continue };
            let bit = if k < 64 { 1u64 << k } else { 0 };
            let qt = &mut qtallies[qi];
            for (n, c) in qt.cells[p.qidx].iter().enumerate() {
                cells[gmap[k][n]].add_mapped(c, &p.rows, bit);
            }
            let t = std::mem::take(&mut qt.texts[p.qidx]);
            texts.merge(t, |n| gmap[k][n]);
        }
        number += 1;
        let t = question_table(ctx, r, number, cells, texts);
        match sections.last_mut() {
            Some(s) if s.block == r.block_id => s.questions.push(t),
            _ => sections.push(Section {
                block: r.block_id.clone(),
                title: r.block_title.clone(),
                questions: vec![t],
            }),
        }
    }
    sections
}

/// What the table builders need to know besides the question.
struct Ctx<'a, 'q> {
    plan: &'a Plan<'q>,
    /// Plan indices of the questionnaires with interviews.
    present: &'a [usize],
    /// Those questionnaires.
    pqs: &'a [&'q Questionnaire],
    /// Groups shown.
    active: &'a [usize],
    /// Their headings.
    labels: &'a [&'a str],
    w: &'a W,
    by_instrument: bool,
    /// The rosters of those questionnaires, matched by id.
    rosters: &'a [RRoster],
}

impl Ctx<'_, '_> {
    /// The roster `id`, as the tables name it.
    fn roster_ref(&self, id: &str) -> Option<RosterRef> {
        self.rosters.iter().find(|x| x.id == id).map(|x| RosterRef {
            id: x.id.clone(),
            title: x.title.clone(),
            parent: x.parent.clone(),
        })
    }
}

/// Per roster, how many instances the interviews (or the parent instances) of each shown group
/// have.
fn roster_counts(ctx: &Ctx<'_, '_>, gmap: &[Vec<usize>], ng: usize, qt: &[QTally]) -> Vec<RosterCounts> {
    ctx.rosters
        .iter()
        .map(|x| {
            let mut hist: Vec<Vec<u64>> = vec![Vec::new(); ng];
            let mut qids: Vec<String> = Vec::new();
            for (k, &qi) in ctx.present.iter().enumerate() {
                let Some(ri) = x.per_q[k] else { continue };
                if !qids.contains(&ctx.pqs[k].id) {
                    qids.push(ctx.pqs[k].id.clone());
                }
                for (n, h) in qt[qi].rosters[ri].iter().enumerate() {
                    add_hist(&mut hist[gmap[k][n]], h);
                }
            }
            RosterCounts {
                roster: RosterRef {
                    id: x.id.clone(),
                    title: x.title.clone(),
                    parent: x.parent.clone(),
                },
                questionnaires: qids,
                counts: ctx.active.iter().map(|&g| instance_counts(&hist[g])).collect(),
            }
        })
        .collect()
}

/// The statistics of a histogram of instance counts (index = instances).
fn instance_counts(h: &[u64]) -> InstanceCounts {
    let n: u64 = h.iter().sum();
    let instances: u64 = h.iter().enumerate().map(|(i, &c)| i as u64 * c).sum();
    let nth = |k: u64| -> f64 {
        let mut acc = 0;
        for (i, &c) in h.iter().enumerate() {
            acc += c;
            if acc > k {
                return i as f64;
            }
        }
        0.0
    };
    let median = match n {
        0 => None,
        _ if n % 2 == 1 => Some(nth(n / 2)),
        _ => Some((nth(n / 2 - 1) + nth(n / 2)) / 2.0),
    };
    InstanceCounts {
        n,
        zero: h.first().copied().unwrap_or(0),
        instances,
        mean: (n > 0).then(|| instances as f64 / n as f64),
        median,
        max: (n > 0).then(|| h.iter().rposition(|&c| c > 0).unwrap_or(0) as u64),
    }
}

/// The report title: the part before `:` the questionnaire titles share, or the one title.
fn common_title(titles: &[&str], w: &W) -> String {
    if titles.len() == 1 {
        return titles[0].to_string();
    }
    let heads: Vec<&str> = titles.iter().map(|t| t.split(':').next().unwrap_or(t).trim()).collect();
    match heads.first() {
        Some(h) if heads.iter().all(|x| x == h) && !h.is_empty() => h.to_string(),
        _ => w.report().to_string(),
    }
}

/// The test of a groups × answers table: χ², and Fisher's exact test when the table is 2×2
/// with an expected count under 5.
pub(crate) fn test_table(rows: &[Vec<u64>], alpha: f64) -> Test {
    let t = Table::from_rows(rows);
    match stats::chi2(&t) {
        Err(nv) => Test {
            chi2: None,
            fisher: None,
            rao_scott: None,
            p: None,
            significant: false,
            not_valid: Some(nv),
            excluded_codes: Vec::new(),
        },
        Ok(c) => {
            let fisher = if c.cells == 4 && c.min_expected < stats::SMALL_EXPECTED {
                let (r, _, _) = t.without_empty();
                stats::fisher_2x2(r.get(0, 0), r.get(0, 1), r.get(1, 0), r.get(1, 1)).ok()
            } else {
                None
            };
            let p = fisher.map_or(c.p, |f| f.p);
            Test {
                chi2: Some(c),
                fisher,
                rao_scott: None,
                p: Some(p),
                significant: p < alpha,
                not_valid: None,
                excluded_codes: Vec::new(),
            }
        }
    }
}

fn pct(count: u64, base: u64) -> Option<f64> {
    (base > 0).then(|| count as f64 * 100.0 / base as f64)
}

fn doubtful(t: &Test) -> bool {
    t.fisher.is_none() && t.chi2.as_ref().is_some_and(|c| c.doubtful())
}

fn question_table(
    ctx: &Ctx<'_, '_>,
    r: &RQuestion,
    number: usize,
    cells: Vec<Cell>,
    texts: TextTally,
) -> QuestionTable {
    let (plan, w, active, labels) = (ctx.plan, ctx.w, ctx.active, ctx.labels);
    let exclude = plan.opts.exclude_missing;
    let alpha = plan.opts.alpha;
    let in_roster = r.roster.is_some();
    let bases: Vec<Base> = active
        .iter()
        .map(|&g| {
            let c = &cells[g];
            Base {
                interviews: c.interviews,
                asked: c.asked,
                answered: c.answered,
                excluded: c.excluded,
                n: c.answered - c.excluded,
                instances: in_roster.then_some(c.instances),
                asked_interviews: in_roster.then_some(c.asked_interviews),
            }
        })
        .collect();
    let roster = r.roster.as_deref().and_then(|id| ctx.roster_ref(id));
    let mut qids: Vec<String> = (0..ctx.pqs.len())
        .filter(|&k| r.per_q[k].is_some())
        .map(|k| ctx.pqs[k].id.clone())
        .collect();
    qids.dedup();
    let mut notes = base_notes(ctx, r, &bases);
    if let Some(x) = &roster {
        let per: Vec<(String, u64, u64)> = bases
            .iter()
            .zip(labels)
            .filter(|(b, _)| b.interviews > 0)
            .map(|(b, l)| (l.to_string(), b.asked, b.asked_interviews.unwrap_or(0)))
            .collect();
        notes.insert(
            0,
            Note {
                kind: "roster_base",
                text: w.roster_base(&x.title, &x.id, &per),
            },
        );
    }

    let mut rows = Vec::new();
    let mut test = None;
    let mut numbers = Vec::new();
    let mut dates = Vec::new();
    let tested: Vec<usize> = (0..active.len()).filter(|&k| bases[k].n > 0).collect();
    let comparable = active.len() >= 2;
    if r.kind.is_choice() {
        rows = choice_rows(ctx, r, &cells, &bases, &tested);
        if r.kind == RKind::Single && comparable {
            let mut t = single_test(&rows, &tested, alpha, w, &mut notes);
            if in_roster {
                let tested_cells: Vec<&Cell> = tested.iter().map(|&k| &cells[active[k]]).collect();
                rao_scott(&mut t, &rows, &tested, &tested_cells, alpha);
            }
            test = Some(t);
        }
        if exclude {
            let ex: Vec<(String, u64)> = bases
                .iter()
                .zip(labels)
                .filter(|(b, _)| b.excluded > 0)
                .map(|(b, l)| (l.to_string(), b.excluded))
                .collect();
            if !ex.is_empty() {
                notes.push(Note {
                    kind: "missing_excluded",
                    text: w.missing_excluded(&ex),
                });
            }
        }
        if test.as_ref().is_some_and(doubtful) || rows.iter().any(|rr| rr.test.as_ref().is_some_and(doubtful)) {
            notes.push(Note {
                kind: "small_expected",
                text: w.small_expected(),
            });
        }
        // Instances of one interview are not independent observations: the single choice's
        // test is corrected for it; say so, and say where a test was run without a correction.
        if test.as_ref().is_some_and(|t| t.rao_scott.is_some()) {
            notes.push(Note {
                kind: "rao_scott",
                text: w.rao_scott(),
            });
        } else if roster.is_some() && (test.is_some() || rows.iter().any(|rr| rr.test.is_some())) {
            notes.push(Note {
                kind: "clustered",
                text: w.clustered(),
            });
        }
    }
    if r.kind == RKind::Number {
        numbers = active.iter().map(|&g| number_stats(&cells[g].nums)).collect();
    }
    if r.kind == RKind::Date {
        dates = active.iter().map(|&g| date_stats(&cells[g].dates)).collect();
    }
    QuestionTable {
        number,
        variable: r.var.clone(),
        kind: r.kind.name(),
        text: r.text.clone(),
        questionnaires: qids,
        roster,
        bases,
        rows,
        test,
        numbers,
        dates,
        texts: kept_texts(texts, active, labels),
        notes,
    }
}

/// The notes on who had, was asked and answered a question: only in some questionnaires, of
/// another type in some, nobody asked, asked of part of a group, unanswered, nobody answered.
fn base_notes(ctx: &Ctx<'_, '_>, r: &RQuestion, bases: &[Base]) -> Vec<Note> {
    let (plan, w, labels) = (ctx.plan, ctx.w, ctx.labels);
    let mut notes = Vec::new();
    if ctx.by_instrument && bases.iter().any(|b| b.interviews == 0) {
        let mut names: Vec<String> = (0..ctx.pqs.len())
            .filter(|&k| r.per_q[k].is_some())
            .map(|k| plan.instrument_labels[plan.instr_of[ctx.present[k]]].clone())
            .collect();
        names.dedup();
        notes.push(Note {
            kind: "only_in",
            text: w.only_in(&names),
        });
    }
    for (k, kind) in &r.mismatched {
        notes.push(Note {
            kind: "type_differs",
            text: w.type_differs(&ctx.pqs[*k].id, kind),
        });
    }
    let total_asked: u64 = bases.iter().map(|b| b.asked).sum();
    let total_answered: u64 = bases.iter().map(|b| b.answered).sum();
    if total_asked == 0 {
        notes.push(Note {
            kind: "nobody_asked",
            text: w.nobody_asked(),
        });
    } else {
        let partly: Vec<(String, u64, u64)> = bases
            .iter()
            .zip(labels)
            .filter(|(b, _)| b.interviews > 0 && b.asked < b.instances.unwrap_or(b.interviews))
            .map(|(b, l)| (l.to_string(), b.asked, b.instances.unwrap_or(b.interviews)))
            .collect();
        if !partly.is_empty() {
            notes.push(Note {
                kind: "asked_partly",
                text: if r.roster.is_some() {
                    w.asked_partly_instances(&partly)
                } else {
                    w.asked_partly(&partly)
                },
            });
        }
        let unanswered: Vec<(String, u64)> = bases
            .iter()
            .zip(labels)
            .filter(|(b, _)| b.asked > b.answered)
            .map(|(b, l)| (l.to_string(), b.asked - b.answered))
            .collect();
        if !unanswered.is_empty() {
            notes.push(Note {
                kind: "no_answer",
                text: w.no_answer(&unanswered),
            });
        }
        if total_answered == 0 {
            notes.push(Note {
                kind: "nobody_answered",
                text: w.nobody_answered(),
            });
        }
    }
    notes
}

/// The answer rows of a choice question, with the group × chosen test of each option of a
/// multiple choice. `tested`: the groups (positions among the active ones) with a base.
fn choice_rows(ctx: &Ctx<'_, '_>, r: &RQuestion, cells: &[Cell], bases: &[Base], tested: &[usize]) -> Vec<Row> {
    let (plan, active) = (ctx.plan, ctx.active);
    let exclude = plan.opts.exclude_missing;
    let alpha = plan.opts.alpha;
    let comparable = active.len() >= 2;
    // An option is offered to a group when a questionnaire of the group's interviews has it.
    let offered = |g: usize, row: usize| {
        let seen = cells[g].seen_q;
        (0..ctx.pqs.len().min(64))
            .any(|k| seen & (1 << k) != 0 && r.per_q[k].as_ref().is_some_and(|p| p.rows.contains(&row)))
    };
    let mut rows = Vec::new();
    for (row, o) in r.options.iter().enumerate() {
        let excluded = exclude && o.missing.is_some();
        let offered_g: Vec<bool> = active.iter().map(|&g| offered(g, row)).collect();
        let counts: Vec<u64> = active.iter().map(|&g| cells[g].counts[row]).collect();
        let percents = counts
            .iter()
            .zip(bases)
            .zip(&offered_g)
            .map(|((&c, b), &off)| if off && !excluded { pct(c, b.n) } else { None })
            .collect();
        let row_test = (r.kind == RKind::Multi && comparable && !excluded).then(|| {
            let gs: Vec<usize> = tested.iter().copied().filter(|&k| offered_g[k]).collect();
            let chosen: Vec<u64> = gs.iter().map(|&k| counts[k]).collect();
            let not: Vec<u64> = gs.iter().map(|&k| bases[k].n - counts[k]).collect();
            test_table(&[chosen, not], alpha)
        });
        rows.push(Row {
            code: o.code.clone(),
            label: o.label.clone(),
            missing: o.missing.map(Missing::name),
            other: o.other,
            counts,
            percents,
            offered: offered_g,
            excluded,
            test: row_test,
        });
    }
    rows
}

/// The group × answer test of a single choice, over the `tested` groups and the answers offered
/// to all of them (a note names the answers left out).
fn single_test(rows: &[Row], tested: &[usize], alpha: f64, w: &W, notes: &mut Vec<Note>) -> Test {
    let mut excluded_codes = Vec::new();
    let mut table = Vec::new();
    for rr in rows {
        if rr.excluded {
            continue;
        }
        if tested.iter().any(|&k| !rr.offered[k]) {
            if tested.iter().any(|&k| rr.offered[k] && rr.counts[k] > 0) {
                excluded_codes.push(rr.code.clone());
            }
            continue;
        }
        table.push(tested.iter().map(|&k| rr.counts[k]).collect::<Vec<u64>>());
    }
    let mut t = test_table(&table, alpha);
    if tested.len() < 2 {
        // Say the real reason: one group answered (its one column may also hold one
        // answer only).
        t = test_table(&[], alpha);
        t.not_valid = Some(if tested.is_empty() {
            stats::NotValid::NoObservations
        } else {
            stats::NotValid::OneColumn
        });
    }
    if !excluded_codes.is_empty() {
        notes.push(Note {
            kind: "codes_not_tested",
            text: w.codes_not_tested(&excluded_codes),
        });
    }
    t.excluded_codes = excluded_codes;
    t
}

/// Corrects the single-choice test `t` of a roster question for the clustering of instances in
/// interviews: the first-order Rao–Scott correction (Rao & Scott 1984; as SAS's SURVEYFREQ
/// computes it for a two-way table), with the interviews as clusters drawn with replacement
/// and no strata. Over the table `t` tested — the `tested` groups (positions among the active
/// ones, `cells` theirs) and the answers offered to all of them, not excluded, with an answer:
///
/// `D = [Σ_gi (1 − p_gi) d_gi − Σ_g (1 − p_g·) d_g· − Σ_i (1 − p_·i) d_·i] / ((G − 1)(K − 1))`
///
/// where `p` are the proportions of the table's total and `d` their design effects: the
/// variance of the ratio `Σ y_c / Σ m_c` over the interviews `c` (`n / (n − 1) · Σ (y_c −
/// p m_c)² / M²`) over the variance of a simple random sample of `M` instances (`p (1 − p) /
/// M`). The statistic is χ² / D on the same degrees of freedom. Leaves `t` as it is when the
/// correction cannot be estimated (fewer than two interviews, a degenerate `D`).
fn rao_scott(t: &mut Test, rows: &[Row], tested: &[usize], cells: &[&Cell], alpha: f64) {
    let Some(c) = t.chi2.as_ref().filter(|_| t.not_valid.is_none()) else {
        return;
    };
    if cells.iter().any(|x| x.moments.len() != x.counts.len() * x.counts.len()) {
        return;
    }
    let width = cells.first().map_or(0, |x| x.counts.len());
    // The answers and groups of the table tested (χ² drops empty rows and columns too).
    let answers: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            let rr = &rows[i];
            !rr.excluded && tested.iter().all(|&k| rr.offered[k]) && cells.iter().map(|x| x.counts[i]).sum::<u64>() > 0
        })
        .collect();
    let groups: Vec<&Cell> = cells
        .iter()
        .copied()
        .filter(|x| answers.iter().map(|&i| x.counts[i]).sum::<u64>() > 0)
        .collect();
    let (g, k) = (groups.len(), answers.len());
    if g < 2 || k < 2 || c.df as usize != (g - 1) * (k - 1) {
        return;
    }
    let m = |x: &Cell, i: usize, j: usize| x.moments[i * width + j] as f64;
    // Σ over a group's interviews of m_c² (m_c: its instances in the table).
    let mm: Vec<f64> = groups
        .iter()
        .map(|x| {
            answers
                .iter()
                .flat_map(|&i| answers.iter().map(move |&j| m(x, i, j)))
                .sum()
        })
        .collect();
    let mm_all: f64 = mm.iter().sum();
    let n = groups.iter().map(|x| x.clusters).sum::<u64>();
    if n < 2 {
        return;
    }
    let total: f64 = groups
        .iter()
        .flat_map(|x| answers.iter().map(|&i| x.counts[i] as f64))
        .sum();
    let f = n as f64 / (n - 1) as f64;
    // (1 − p) · d of the proportion y / total, from Σ y_c², Σ y_c m_c and Σ m_c².
    let term = |y: f64, yy: f64, ym: f64| {
        let p = y / total;
        let srs = p * (1.0 - p) / total;
        let design = f * (yy - 2.0 * p * ym + p * p * mm_all) / (total * total);
        (1.0 - p) * if srs > 0.0 { design / srs } else { 1.0 }
    };
    // Σ_j y_ci · y_cj over a group's interviews, for answer i: Σ y_c m_c of its cell.
    let row_m = |x: &Cell, i: usize| answers.iter().map(|&j| m(x, i, j)).sum::<f64>();
    let mut sum = 0.0;
    for x in &groups {
        for &i in &answers {
            sum += term(x.counts[i] as f64, m(x, i, i), row_m(x, i));
        }
    }
    for (x, &xx) in groups.iter().zip(&mm) {
        let y: f64 = answers.iter().map(|&i| x.counts[i] as f64).sum();
        sum -= term(y, xx, xx);
    }
    for &i in &answers {
        let y: f64 = groups.iter().map(|x| x.counts[i] as f64).sum();
        let yy: f64 = groups.iter().map(|x| m(x, i, i)).sum();
        let ym: f64 = groups.iter().map(|x| row_m(x, i)).sum();
        sum -= term(y, yy, ym);
    }
    let d = sum / ((g - 1) * (k - 1)) as f64;
    if !(d.is_finite() && d > 0.0) {
        return;
    }
    let statistic = c.statistic / d;
    let p = stats::chi2_sf(statistic, c.df);
    t.rao_scott = Some(crate::report::model::RaoScott {
        design_effect: d,
        statistic,
        p,
        clusters: n,
    });
    t.fisher = None;
    t.p = Some(p);
    t.significant = p < alpha;
}

/// The texts kept, by group (in the order of the active groups), kind and interview.
fn kept_texts(texts: TextTally, active: &[usize], labels: &[&str]) -> Texts {
    let pos = |g: usize| active.iter().position(|&x| x == g).unwrap_or(usize::MAX);
    let mut items: Vec<(usize, u8, String, Vec<u32>, String)> = texts
        .kept
        .into_iter()
        .map(|((id, instance, kind), (g, text))| (pos(g), kind, id, instance, text))
        .collect();
    items.sort();
    Texts {
        total: texts.total,
        items: items
            .into_iter()
            .map(|(k, kind, id, instance, text)| TextItem {
                group: labels.get(k).map_or_else(String::new, |s| s.to_string()),
                kind: match kind {
                    TEXT_ANSWER => "answer",
                    TEXT_OTHER => "other",
                    _ => "remark",
                },
                interview: id,
                instance,
                text,
            })
            .collect(),
    }
}

fn number_stats(h: &BTreeMap<u64, u64>) -> NumberStats {
    let n: u64 = h.values().sum();
    if n == 0 {
        return NumberStats {
            n,
            mean: None,
            median: None,
            min: None,
            max: None,
        };
    }
    // Summed in ascending order of value: the same whatever the order of the input.
    let sum: f64 = h.iter().map(|(&k, &c)| from_ord_bits(k) * c as f64).sum();
    let nth = |i: u64| -> f64 {
        let mut acc = 0;
        for (&k, &c) in h {
            acc += c;
            if acc > i {
                return from_ord_bits(k);
            }
        }
        0.0
    };
    let median = if n % 2 == 1 {
        nth(n / 2)
    } else {
        (nth(n / 2 - 1) + nth(n / 2)) / 2.0
    };
    NumberStats {
        n,
        mean: Some(sum / n as f64),
        median: Some(median),
        min: h.keys().next().map(|&k| from_ord_bits(k)),
        max: h.keys().next_back().map(|&k| from_ord_bits(k)),
    }
}

fn date_stats(h: &BTreeMap<String, u64>) -> DateStats {
    let n: u64 = h.values().sum();
    let mut median = None;
    let mut acc = 0;
    for (d, &c) in h {
        acc += c;
        if n > 0 && acc > (n - 1) / 2 {
            median = Some(d.clone());
            break;
        }
    }
    DateStats {
        n,
        min: h.keys().next().cloned(),
        median,
        max: h.keys().next_back().cloned(),
    }
}

fn cross_table(ctx: &Ctx<'_, '_>, questions: &[RQuestion], a: &str, b: &str, qt: &[QTally]) -> CrossTab {
    let (plan, w) = (ctx.plan, ctx.w);
    let exclude = plan.opts.exclude_missing;
    let mut notes = Vec::new();
    let find = |v: &str| questions.iter().find(|r| r.var == v && r.kind.is_choice());
    let empty_q = |v: &str| RQuestion {
        var: v.to_string(),
        kind: RKind::Single,
        text: String::new(),
        block_id: String::new(),
        block_title: String::new(),
        options: Vec::new(),
        per_q: vec![None; ctx.pqs.len()],
        mismatched: Vec::new(),
        roster: None,
    };
    let (qa, qb) = (
        find(a).cloned().unwrap_or_else(|| empty_q(a)),
        find(b).cloned().unwrap_or_else(|| empty_q(b)),
    );
    let (na, nb) = (qa.options.len(), qb.options.len());
    let mut counts_all = vec![0u64; na * nb];
    let mut n = 0;
    let mut together = false;
    for (k, &qi) in ctx.present.iter().enumerate() {
        let (Some(pa), Some(pb)) = (&qa.per_q[k], &qb.per_q[k]) else {
            continue;
        };
        let Some((x, y)) = plan.cross.as_ref().and_then(|c| c.2[qi]) else {
            continue;
        };
        if (pa.qidx, pb.qidx) != (x, y) {
            continue;
        }
        together = true;
        let nbq = pb.rows.len();
        for (i, &ra) in pa.rows.iter().enumerate() {
            for (j, &rb) in pb.rows.iter().enumerate() {
                counts_all[ra * nb + rb] += qt[qi].cross[i * nbq + j];
            }
        }
        n += qt[qi].cross_n;
    }
    if !together {
        notes.push(Note {
            kind: "never_together",
            text: w.never_together(a, b),
        });
    }
    let keep = |o: &ROpt| !(exclude && o.missing.is_some());
    let ia: Vec<usize> = (0..na).filter(|&i| keep(&qa.options[i])).collect();
    let ib: Vec<usize> = (0..nb).filter(|&i| keep(&qb.options[i])).collect();
    let counts: Vec<Vec<u64>> = ia
        .iter()
        .map(|&x| ib.iter().map(|&y| counts_all[x * nb + y]).collect())
        .collect();
    let row_totals: Vec<u64> = counts.iter().map(|r| r.iter().sum()).collect();
    let col_totals: Vec<u64> = (0..ib.len()).map(|j| counts.iter().map(|r| r[j]).sum()).collect();
    let row_percents = counts
        .iter()
        .zip(&row_totals)
        .map(|(r, &t)| r.iter().map(|&c| pct(c, t)).collect())
        .collect();
    let col_percents = counts
        .iter()
        .map(|r| r.iter().zip(&col_totals).map(|(&c, &t)| pct(c, t)).collect())
        .collect();
    let test = if qa.kind == RKind::Single && qb.kind == RKind::Single {
        let t = test_table(&counts, plan.opts.alpha);
        if doubtful(&t) {
            notes.push(Note {
                kind: "small_expected",
                text: w.small_expected(),
            });
        }
        Some(t)
    } else {
        notes.push(Note {
            kind: "multi_not_tested",
            text: w.multi_not_tested(),
        });
        None
    };
    CrossTab {
        rows_var: a.to_string(),
        rows_text: qa.text.clone(),
        cols_var: b.to_string(),
        cols_text: qb.text.clone(),
        row_labels: ia
            .iter()
            .map(|&i| (qa.options[i].code.clone(), qa.options[i].label.clone()))
            .collect(),
        col_labels: ib
            .iter()
            .map(|&i| (qb.options[i].code.clone(), qb.options[i].label.clone()))
            .collect(),
        counts,
        row_totals,
        col_totals,
        n,
        row_percents,
        col_percents,
        test,
        notes,
    }
}

#[cfg(test)]
pub(super) mod rao_scott_tests {
    use super::*;

    /// Interviews as (group, instances per answer): each group's cell as the tally builds it,
    /// the answer rows, and the uncorrected test.
    fn table(clusters: &[(usize, Vec<u32>)], groups: usize) -> (Vec<Cell>, Vec<Row>, Test) {
        let k = clusters[0].1.len();
        let mut cells: Vec<Cell> = (0..groups)
            .map(|_| Cell {
                counts: vec![0; k],
                moments: vec![0; k * k],
                ..Cell::default()
            })
            .collect();
        for (g, y) in clusters {
            let c = &mut cells[*g];
            c.clusters += 1;
            for i in 0..k {
                c.counts[i] += u64::from(y[i]);
                for j in 0..k {
                    c.moments[i * k + j] += u64::from(y[i] * y[j]);
                }
            }
        }
        let rows: Vec<Row> = (0..k)
            .map(|i| Row {
                code: format!("c{i}"),
                label: String::new(),
                missing: None,
                other: false,
                counts: cells.iter().map(|c| c.counts[i]).collect(),
                percents: Vec::new(),
                offered: vec![true; groups],
                excluded: false,
                test: None,
            })
            .collect();
        let t = test_table(&rows.iter().map(|r| r.counts.clone()).collect::<Vec<_>>(), 0.05);
        (cells, rows, t)
    }

    fn corrected(clusters: &[(usize, Vec<u32>)], groups: usize) -> (Test, RaoScottOf) {
        let (cells, rows, mut t) = table(clusters, groups);
        let refs: Vec<&Cell> = cells.iter().collect();
        let tested: Vec<usize> = (0..groups).collect();
        rao_scott(&mut t, &rows, &tested, &refs, 0.05);
        let rs = t.rao_scott.expect("corrected");
        (t, rs)
    }
    type RaoScottOf = crate::report::model::RaoScott;

    /// D from the interviews themselves, term by term, as the textbook writes it.
    pub(crate) fn design_effect_directly(clusters: &[(usize, Vec<u32>)], groups: usize) -> f64 {
        let k = clusters[0].1.len();
        let n = clusters.len() as f64;
        let m_c: Vec<f64> = clusters.iter().map(|(_, y)| y.iter().sum::<u32>() as f64).collect();
        let total: f64 = m_c.iter().sum();
        // (1 − p) d of the proportion whose per-interview counts are `y`.
        let term = |y: &dyn Fn(usize) -> f64| {
            let p = (0..clusters.len()).map(y).sum::<f64>() / total;
            let var: f64 =
                (0..clusters.len()).map(|c| (y(c) - p * m_c[c]).powi(2)).sum::<f64>() * n / (n - 1.0) / (total * total);
            (1.0 - p) * var / (p * (1.0 - p) / total)
        };
        let mut sum = 0.0;
        for g in 0..groups {
            for i in 0..k {
                sum += term(&|c| {
                    if clusters[c].0 == g {
                        clusters[c].1[i] as f64
                    } else {
                        0.0
                    }
                });
            }
            sum -= term(&|c| if clusters[c].0 == g { m_c[c] } else { 0.0 });
        }
        for i in 0..k {
            sum -= term(&|c| clusters[c].1[i] as f64);
        }
        sum / ((groups - 1) * (k - 1)) as f64
    }

    /// A pseudo-random set of interviews: 3 groups, 3 answers, 0–6 instances each, the
    /// answers of one interview alike (a cluster effect).
    fn interviews(seed: u64, n: usize) -> Vec<(usize, Vec<u32>)> {
        let mut x = seed;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        (0..n)
            .map(|_| {
                let g = next(3) as usize;
                let favourite = next(3) as usize;
                let mut y = vec![0u32; 3];
                for _ in 0..next(7) {
                    let a = if next(4) == 0 { next(3) as usize } else { favourite };
                    y[a] += 1;
                }
                (g, y)
            })
            .collect()
    }

    #[test]
    fn the_design_effect_from_the_tallied_sums_is_the_one_from_the_interviews() {
        for seed in [1, 7, 42, 2026] {
            let data = interviews(seed, 300);
            let (t, rs) = corrected(&data, 3);
            let direct = design_effect_directly(&data, 3);
            assert!(
                (rs.design_effect - direct).abs() < 1e-9 * direct,
                "{} vs {direct}",
                rs.design_effect
            );
            // Answers alike within an interview: the effect is well above 1.
            assert!(rs.design_effect > 1.5, "{}", rs.design_effect);
            let chi2 = t.chi2.as_ref().unwrap();
            assert!((rs.statistic - chi2.statistic / direct).abs() < 1e-9);
            assert_eq!(t.p, Some(rs.p));
            assert!(rs.p > chi2.p);
        }
    }

    #[test]
    fn one_instance_per_interview_needs_no_correction_and_copies_double_it() {
        let data: Vec<(usize, Vec<u32>)> = interviews(5, 400)
            .into_iter()
            .map(|(g, y)| {
                let a = y.iter().position(|&c| c > 0).unwrap_or(g);
                let mut one = vec![0; 3];
                one[a] = 1;
                (g, one)
            })
            .collect();
        let (_, single) = corrected(&data, 3);
        // n / (n − 1) away from 1 at most, and sampling noise.
        assert!((single.design_effect - 1.0).abs() < 0.05, "{}", single.design_effect);
        // Each interview's instance twice: the same information, counted double.
        let twice: Vec<(usize, Vec<u32>)> = data
            .iter()
            .map(|(g, y)| (*g, y.iter().map(|c| c * 2).collect()))
            .collect();
        let (t2, double) = corrected(&twice, 3);
        assert!((double.design_effect / single.design_effect - 2.0).abs() < 1e-9);
        assert!((double.statistic - single.statistic).abs() < 1e-9 * single.statistic);
        assert!(t2.chi2.unwrap().statistic > 1.9 * double.statistic);
    }

    #[test]
    fn without_two_interviews_or_with_a_test_not_valid_nothing_is_corrected() {
        let (cells, rows, mut t) = table(&[(0, vec![2, 1]), (1, vec![0, 3])], 2);
        let mut one = cells.clone();
        one[1].clusters = 0;
        one[0].clusters = 1;
        let refs: Vec<&Cell> = one.iter().collect();
        rao_scott(&mut t, &rows, &[0, 1], &refs, 0.05);
        assert!(t.rao_scott.is_none());
        // Cells of a question that is not a roster's single choice have no moments.
        let mut plain = cells;
        plain.iter_mut().for_each(|c| c.moments.clear());
        let refs: Vec<&Cell> = plain.iter().collect();
        let (_, _, mut t) = table(&[(0, vec![2, 1]), (1, vec![0, 3]), (1, vec![1, 1])], 2);
        rao_scott(&mut t, &rows, &[0, 1], &refs, 0.05);
        assert!(t.rao_scott.is_none());
    }
}
