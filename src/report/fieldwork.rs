//! Fieldwork progress: interviews by district × instrument (against a quota file when given),
//! by interviewer (count, median duration, "speeders", in-progress and conflicting copies), and
//! what the merge set aside.
//!
//! The quota file (`--quota FILE`) is CSV or JSON, parsed here from its text:
//!
//! ```text
//! district,group,target          ← header; `;` also accepted as separator
//! alekseevsky,nko,8              ← district code (or its label), questionnaire id (or its
//! Алексеевский,ОМСУ,3              column heading), whole number of interviews planned
//! ```
//! or `[{"district": "alekseevsky", "group": "nko", "target": 8}, …]`, or
//! `{"nko": {"alekseevsky": 8, …}, "omsu": {…}}`.

use super::tabulate::Plan;
use super::words::W;
use super::{Group, MergeInfo, Note};
use crate::diag::did_you_mean;
use crate::interview::record::{RecordView, Status};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Interviews shorter than this fraction of their instrument's median duration are "speeders".
pub const SPEEDER_FRACTION: f64 = 1.0 / 3.0;

/// Planned interviews: (district code, questionnaire id) → target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quota {
    /// Targets.
    pub targets: BTreeMap<(String, String), u64>,
}

/// Parses a quota file's text against the plan's districts and instruments. Returns every
/// problem, each with its line (CSV) or entry (JSON).
pub fn parse_quota(text: &str, plan: &Plan<'_>) -> Result<Quota, Vec<String>> {
    let districts = plan.districts();
    if districts.is_empty() {
        return Err(vec![
            "the questionnaires have no single-choice `district` question to plan by".into(),
        ]);
    }
    let norm = |s: &str| s.trim().to_lowercase().replace('ё', "е");
    let find_district = |v: &str| -> Result<String, String> {
        let n = norm(v);
        if let Some((code, _)) = districts.iter().find(|(c, l)| c == v.trim() || norm(l) == n) {
            return Ok(code.clone());
        }
        let cands = districts.iter().map(|(c, _)| c.as_str());
        Err(match did_you_mean(v.trim(), cands) {
            Some(s) => format!("unknown district `{}` (did you mean `{s}`?)", v.trim()),
            None => format!(
                "unknown district `{}`: give a code of the `district` question or its label",
                v.trim()
            ),
        })
    };
    let find_group = |v: &str| -> Result<String, String> {
        let n = norm(v);
        plan.instruments
            .iter()
            .zip(&plan.instrument_labels)
            .find(|(id, l)| id.as_str() == v.trim() || norm(l) == n)
            .map(|(id, _)| id.clone())
            .ok_or_else(|| {
                format!(
                    "unknown group `{}`: give a questionnaire id ({})",
                    v.trim(),
                    plan.instruments.join(", ")
                )
            })
    };
    let mut entries: Vec<(String, String, String, String)> = Vec::new(); // (where, district, group, target)
    let mut errors = Vec::new();
    let t = text.trim_start_matches('\u{feff}');
    match t.trim_start().chars().next() {
        Some('[') | Some('{') => match serde_json::from_str::<serde_json::Value>(t) {
            Err(e) => errors.push(format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column())),
            Ok(serde_json::Value::Array(a)) => {
                for (i, v) in a.iter().enumerate() {
                    let get = |k: &str| match v.get(k) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    let group = if v.get("group").is_some() {
                        get("group")
                    } else {
                        get("questionnaire")
                    };
                    entries.push((format!("entry {}", i + 1), get("district"), group, get("target")));
                }
            }
            Ok(serde_json::Value::Object(o)) => {
                for (g, ds) in &o {
                    match ds.as_object() {
                        Some(ds) => {
                            for (d, n) in ds {
                                entries.push((format!("\"{g}\".\"{d}\""), d.clone(), g.clone(), n.to_string()));
                            }
                        }
                        None => errors.push(format!("\"{g}\": expected an object of district → target")),
                    }
                }
            }
            Ok(_) => errors.push("expected an array of {district, group, target} or an object".into()),
        },
        _ => {
            let first = t.lines().next().unwrap_or("");
            let sep = if first.contains(';') && !first.contains(',') {
                b';'
            } else {
                b','
            };
            let mut rd = ::csv::ReaderBuilder::new()
                .delimiter(sep)
                .flexible(true)
                .has_headers(true)
                .from_reader(t.as_bytes());
            let header: Vec<String> = match rd.headers() {
                Ok(h) => h.iter().map(|s| s.trim().to_lowercase()).collect(),
                Err(e) => return Err(vec![format!("cannot read the header: {e}")]),
            };
            let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
            let (Some(cd), Some(cg), Some(ct)) = (
                col(&["district", "район"]),
                col(&["group", "questionnaire", "instrument", "группа", "анкета"]),
                col(&["target", "quota", "plan", "план", "квота"]),
            ) else {
                return Err(vec![format!(
                    "the header must name the columns district,group,target (found: {})",
                    header.join(",")
                )]);
            };
            for (i, rec) in rd.records().enumerate() {
                let line = i + 2;
                match rec {
                    Err(e) => errors.push(format!("line {line}: {e}")),
                    Ok(r) if r.iter().all(|f| f.trim().is_empty()) => {}
                    Ok(r) => {
                        let f = |c: usize| r.get(c).unwrap_or("").to_string();
                        entries.push((format!("line {line}"), f(cd), f(cg), f(ct)));
                    }
                }
            }
        }
    }
    let mut q = Quota::default();
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    for (at, d, g, n) in entries {
        let dr = find_district(&d);
        let gr = find_group(&g);
        let nr = n
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("target `{}` is not a whole number of interviews", n.trim()));
        match (dr, gr, nr) {
            (Ok(d), Ok(g), Ok(n)) => {
                if let Some(prev) = seen.get(&(d.clone(), g.clone())) {
                    errors.push(format!(
                        "{at}: district `{d}`, group `{g}` is already planned at {prev}"
                    ));
                } else {
                    seen.insert((d.clone(), g.clone()), at);
                    q.targets.insert((d, g), n);
                }
            }
            (d, g, n) => {
                for e in [d.err(), g.err(), n.err()].into_iter().flatten() {
                    errors.push(format!("{at}: {e}"));
                }
            }
        }
    }
    if errors.is_empty() && q.targets.is_empty() {
        errors.push("no targets in the file".into());
    }
    if errors.is_empty() { Ok(q) } else { Err(errors) }
}

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
pub struct FieldTally {
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

/// The fieldwork section.
#[derive(Debug, Clone, Serialize)]
pub struct Fieldwork {
    /// The instruments (columns of the fieldwork tables), with interviews after `--where`.
    pub instruments: Vec<Group>,
    /// Start time of the first interview (RFC 3339, as recorded).
    pub first_started: Option<String>,
    /// Start time of the last interview.
    pub last_started: Option<String>,
    /// Interviews in the data that are still in progress (merged with `--include-incomplete`).
    pub in_progress: u64,
    /// Interviews by district × instrument (None when no questionnaire has a `district`).
    pub districts: Option<Districts>,
    /// Per instrument: median duration of completed interviews, minutes.
    pub median_minutes: Vec<Option<f64>>,
    /// Per instrument: the speeder threshold (a third of the median), minutes.
    pub speeder_minutes: Vec<Option<f64>>,
    /// By interviewer, sorted by code.
    pub interviewers: Vec<InterviewerRow>,
    /// What the merge set aside, when known.
    pub merge: Option<MergeInfo>,
    /// Notes.
    pub notes: Vec<Note>,
}

/// Interviews by district.
#[derive(Debug, Clone, Serialize)]
pub struct Districts {
    /// One row per district of the questionnaire (all of them, so that uncovered ones show),
    /// then `_none` when some interviews have no district.
    pub rows: Vec<DistrictRow>,
    /// Per instrument.
    pub totals: Vec<u64>,
    /// Per instrument, the sum of the targets (with `--quota`).
    pub target_totals: Option<Vec<u64>>,
    /// Districts with at least one interview.
    pub covered: usize,
    /// Districts in the questionnaire.
    pub of: usize,
}

/// One district.
#[derive(Debug, Clone, Serialize)]
pub struct DistrictRow {
    /// Code (`_none` for interviews without a district).
    pub code: String,
    /// Label.
    pub label: String,
    /// Interviews per instrument.
    pub counts: Vec<u64>,
    /// Targets per instrument (with `--quota`; None where the file plans none).
    pub targets: Option<Vec<Option<u64>>>,
}

/// One interviewer.
#[derive(Debug, Clone, Serialize)]
pub struct InterviewerRow {
    /// Interviewer code.
    pub code: String,
    /// Interviews in the data, per instrument.
    pub interviews: Vec<u64>,
    /// All of them.
    pub total: u64,
    /// Median duration of their completed interviews, minutes.
    pub median_minutes: Option<f64>,
    /// Completed interviews under a third of their instrument's median duration.
    pub speeders: u64,
    /// Speeders / completed interviews.
    pub speeder_share: Option<f64>,
    /// Interviews in the data still in progress.
    pub in_progress: u64,
    /// Interviews the merge left out as in progress.
    pub left_out_incomplete: u64,
    /// Interviews with conflicting copies (one kept, the others set aside by the merge).
    pub conflicts: u64,
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
    quota: Option<&super::Quota>,
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
    let districts = district_rows.map(|opts| {
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
    });
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
    let mut all: Vec<Vec<u32>> = vec![Vec::new(); ni];
    for it in t.interviewers.values() {
        for (i, d) in it.durations.iter().enumerate() {
            all[i].extend_from_slice(d);
        }
    }
    let medians: Vec<Option<f64>> = all
        .iter_mut()
        .map(|v| {
            v.sort_unstable();
            median_ms(v)
        })
        .collect();
    drop(all);
    let thresholds: Vec<Option<f64>> = medians.iter().map(|m| m.map(|m| m * SPEEDER_FRACTION)).collect();
    let mut left_out: BTreeMap<&str, u64> = BTreeMap::new();
    if let Some(m) = merge {
        for (_, who) in &m.incomplete {
            *left_out.entry(who.as_str()).or_default() += 1;
        }
    }
    let mut codes: Vec<&str> = t.interviewers.keys().map(String::as_str).collect();
    codes.extend(left_out.keys().copied().filter(|c| !t.interviewers.contains_key(*c)));
    codes.sort_unstable();
    let interviewers = codes
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
        .collect();
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
