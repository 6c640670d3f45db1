//! Fieldwork progress: the counters a tally keeps ([`FieldTally`]: interviews, durations,
//! in-progress and conflicting copies by interviewer) and the fieldwork section built from them
//! ([`build`]): interviews by district × instrument (against the quota when given), by
//! interviewer (count, median duration, "speeders"), and what the merge set aside.

use super::model::{DistrictRow, Districts, Fieldwork, Group, InterviewerRow, MergeInfo, Note};
use super::plan::Plan;
use super::quota::Quota;
use super::words::W;
use crate::record::{RecordView, Status};
use std::collections::{BTreeMap, HashMap};

/// Interviews shorter than this fraction of their instrument's median duration are "speeders".
const SPEEDER_FRACTION: f64 = 1.0 / 3.0;

#[derive(Debug, Clone, Default)]
struct InterviewerTally {
    /// Interviews per instrument.
    count: Vec<u64>,
    /// Durations of completed interviews (ms), per instrument.
    durations: Vec<Vec<u32>>,
    in_progress: u64,
    conflicts: u64,
}

/// The fieldwork counters of a tally (interviews by district are counted per questionnaire by
/// the tally itself).
#[derive(Debug, Clone)]
pub(crate) struct FieldTally {
    n_instr: usize,
    interviewers: HashMap<String, InterviewerTally>,
    first: Option<String>,
    last: Option<String>,
}

impl FieldTally {
    pub(crate) fn new(plan: &Plan<'_>) -> FieldTally {
        FieldTally {
            n_instr: plan.instruments.len(),
            interviewers: HashMap::new(),
            first: None,
            last: None,
        }
    }

    pub(crate) fn add(&mut self, instr: usize, rec: &RecordView<'_>, conflict: bool) {
        let n = self.n_instr;
        let it = match self.interviewers.get_mut(rec.interviewer.as_str()) {
            Some(it) => it,
            None => self
                .interviewers
                .entry(rec.interviewer.to_string())
                .or_insert_with(|| InterviewerTally {
                    count: vec![0; n],
                    durations: vec![Vec::new(); n],
                    ..InterviewerTally::default()
                }),
        };
        it.count[instr] += 1;
        match rec.status {
            Status::Completed => it.durations[instr].push(rec.duration_ms.min(u32::MAX as u64) as u32),
            Status::InProgress => it.in_progress += 1,
        }
        if conflict {
            it.conflicts += 1;
        }
        if self.first.as_deref().is_none_or(|f| rec.started.as_str() < f) {
            self.first = Some(rec.started.to_string());
        }
        if self.last.as_deref().is_none_or(|l| rec.started.as_str() > l) {
            self.last = Some(rec.started.to_string());
        }
    }

    pub(crate) fn merge(&mut self, o: FieldTally) {
        for (k, v) in o.interviewers {
            match self.interviewers.get_mut(&k) {
                None => {
                    self.interviewers.insert(k, v);
                }
                Some(t) => {
                    for (a, b) in t.count.iter_mut().zip(&v.count) {
                        *a += b;
                    }
                    for (a, b) in t.durations.iter_mut().zip(v.durations) {
                        a.extend(b);
                    }
                    t.in_progress += v.in_progress;
                    t.conflicts += v.conflicts;
                }
            }
        }
        if let Some(f) = o.first
            && self.first.as_ref().is_none_or(|x| f < *x)
        {
            self.first = Some(f);
        }
        if let Some(l) = o.last
            && self.last.as_ref().is_none_or(|x| l > *x)
        {
            self.last = Some(l);
        }
    }
}

fn median_ms(sorted: &[u32]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0
    })
}

/// The fieldwork section. `instr` are the instruments with interviews; `district_rows` the
/// districts (union of the questionnaires'), `dcounts` interviews per (district row, or the
/// last row for none) × instrument of the plan.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    plan: &Plan<'_>,
    mut t: FieldTally,
    instr: &[usize],
    district_rows: Option<&[(String, String)]>,
    dcounts: &[u64],
    quota: Option<&Quota>,
    merge: Option<&MergeInfo>,
    w: &W,
) -> Fieldwork {
    let ni = t.n_instr;
    let rows_n = dcounts.len() / ni.max(1);
    let count = |row: usize, i: usize| dcounts[row * ni + i];
    let instruments: Vec<Group> = instr
        .iter()
        .map(|&i| Group {
            key: plan.instruments[i].clone(),
            label: plan.instrument_labels[i].clone(),
            interviews: (0..rows_n).map(|r| count(r, i)).sum(),
        })
        .collect();
    let mut notes = Vec::new();
    let districts = district_rows.map(|opts| district_table(plan, instr, opts, dcounts, ni, quota, w));
    if districts.is_none() {
        notes.push(Note {
            kind: "no_district",
            text: w.no_district_question(),
        });
    }
    // Durations: each instrument's median over all interviewers, then per interviewer.
    for it in t.interviewers.values_mut() {
        for d in &mut it.durations {
            d.sort_unstable();
        }
    }
    let medians = instrument_medians(&t);
    let thresholds: Vec<Option<f64>> = medians.iter().map(|m| m.map(|m| m * SPEEDER_FRACTION)).collect();
    let interviewers = interviewer_rows(&t, instr, &thresholds, merge);
    let in_progress = t.interviewers.values().map(|i| i.in_progress).sum();
    if plan.opts.filter.is_some() {
        notes.push(Note {
            kind: "filter_applies",
            text: w.fieldwork_filtered(),
        });
    }
    Fieldwork {
        instruments,
        first_started: t.first.take(),
        last_started: t.last.take(),
        in_progress,
        districts,
        median_minutes: instr.iter().map(|&i| medians[i].map(|m| m / 60_000.0)).collect(),
        speeder_minutes: instr.iter().map(|&i| thresholds[i].map(|m| m / 60_000.0)).collect(),
        interviewers,
        merge: merge.cloned(),
        notes,
    }
}

/// Interviews by district (`opts`: code, label) × instrument of `instr`, from `dcounts` (see
/// [`build`]), with the targets of the quota.
fn district_table(
    plan: &Plan<'_>,
    instr: &[usize],
    opts: &[(String, String)],
    dcounts: &[u64],
    ni: usize,
    quota: Option<&Quota>,
    w: &W,
) -> Districts {
    let rows_n = dcounts.len() / ni.max(1);
    let count = |row: usize, i: usize| dcounts[row * ni + i];
    let mut rows: Vec<DistrictRow> = opts
        .iter()
        .enumerate()
        .map(|(r, (code, label))| DistrictRow {
            code: code.clone(),
            label: label.clone(),
            counts: instr.iter().map(|&i| count(r, i)).collect(),
            targets: quota.map(|q| {
                instr
                    .iter()
                    .map(|&i| q.targets.get(&(code.clone(), plan.instruments[i].clone())).copied())
                    .collect()
            }),
        })
        .collect();
    let covered = rows.iter().filter(|r| r.counts.iter().any(|&c| c > 0)).count();
    let none: Vec<u64> = instr.iter().map(|&i| count(rows_n - 1, i)).collect();
    if none.iter().any(|&c| c > 0) {
        rows.push(DistrictRow {
            code: "_none".into(),
            label: w.no_district().into(),
            counts: none,
            targets: quota.map(|_| vec![None; instr.len()]),
        });
    }
    Districts {
        totals: instr.iter().map(|&i| (0..rows_n).map(|r| count(r, i)).sum()).collect(),
        target_totals: quota.map(|q| {
            instr
                .iter()
                .map(|&i| {
                    q.targets
                        .iter()
                        .filter(|((_, g), _)| *g == plan.instruments[i])
                        .map(|(_, n)| n)
                        .sum()
                })
                .collect()
        }),
        covered,
        of: opts.len(),
        rows,
    }
}

/// Per instrument of the plan: the median duration of its completed interviews (ms).
fn instrument_medians(t: &FieldTally) -> Vec<Option<f64>> {
    let mut all: Vec<Vec<u32>> = vec![Vec::new(); t.n_instr];
    for it in t.interviewers.values() {
        for (i, d) in it.durations.iter().enumerate() {
            all[i].extend_from_slice(d);
        }
    }
    all.iter_mut()
        .map(|v| {
            v.sort_unstable();
            median_ms(v)
        })
        .collect()
}

/// One row per interviewer (in the data, or only left out by the merge), sorted by code;
/// `thresholds` are the speeder thresholds per instrument of the plan (ms).
fn interviewer_rows(
    t: &FieldTally,
    instr: &[usize],
    thresholds: &[Option<f64>],
    merge: Option<&MergeInfo>,
) -> Vec<InterviewerRow> {
    let ni = t.n_instr;
    let mut left_out: BTreeMap<&str, u64> = BTreeMap::new();
    if let Some(m) = merge {
        for (_, who) in &m.incomplete {
            *left_out.entry(who.as_str()).or_default() += 1;
        }
    }
    let mut codes: Vec<&str> = t.interviewers.keys().map(String::as_str).collect();
    codes.extend(left_out.keys().copied().filter(|c| !t.interviewers.contains_key(*c)));
    codes.sort_unstable();
    codes
        .into_iter()
        .map(|code| {
            let it = t.interviewers.get(code).cloned().unwrap_or_else(|| InterviewerTally {
                count: vec![0; ni],
                durations: vec![Vec::new(); ni],
                ..InterviewerTally::default()
            });
            let mut mine: Vec<u32> = it.durations.iter().flatten().copied().collect();
            mine.sort_unstable();
            let speeders: u64 = it
                .durations
                .iter()
                .enumerate()
                .map(|(i, d)| match thresholds[i] {
                    Some(th) => d.iter().filter(|&&x| (x as f64) < th).count() as u64,
                    None => 0,
                })
                .sum();
            InterviewerRow {
                code: code.to_string(),
                interviews: instr.iter().map(|&i| it.count[i]).collect(),
                total: it.count.iter().sum(),
                median_minutes: median_ms(&mine).map(|m| m / 60_000.0),
                speeders,
                speeder_share: (!mine.is_empty()).then(|| speeders as f64 / mine.len() as f64),
                in_progress: it.in_progress,
                left_out_incomplete: left_out.get(code).copied().unwrap_or(0),
                conflicts: it.conflicts,
            }
        })
        .collect()
}
