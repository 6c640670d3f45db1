//! Streaming counts: the [`Tally`] each worker fills as records stream past ([`Tally::add`]),
//! merged by addition ([`Tally::merge`]).
//!
//! A tally counts in each questionnaire's own terms (question index × native group × option
//! index), so it needs to know nothing about the other questionnaires; questions are matched
//! across instruments only at the end (`Tally::finish`, in `tables`), by variable name and option
//! code, over the questionnaires that actually have interviews. It keeps counts, per-group
//! histograms of distinct values for numbers and dates (numbers in a survey are few distinct
//! values: years, head counts), a bounded list of texts per question ([`MAX_TEXTS`], those of the
//! smallest interview ids, so the choice does not depend on the order the records arrive in), and
//! the fieldwork counters. Tallies are merged by addition; every result is therefore independent
//! of how the input was split between workers.

use super::fieldwork::FieldTally;
use super::model::MAX_TEXTS;
use super::plan::Plan;
use super::questions::RKind;
use super::slots::{SlotLookup, Slots};
use crate::expr::{Env, Value};
use crate::interview::logic::{At, Lookup, Rules, Viewed, expr_value_ref, relevance, rules_of_view};
use crate::questionnaire::{Kind, Question, Questionnaire};
use crate::record::view::{Answers, RostersView};
use crate::record::{AnswerView, RecordView, ValueRef};
use std::collections::BTreeMap;

/// Counts of one question in one group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cell {
    pub(crate) interviews: u64,
    pub(crate) asked: u64,
    pub(crate) answered: u64,
    pub(crate) excluded: u64,
    /// A roster question: the instances of its roster counted (then `asked`, `answered` and
    /// `excluded` count instances).
    pub(crate) instances: u64,
    /// A roster question: the interviews with an instance in which it was asked.
    pub(crate) asked_interviews: u64,
    pub(crate) counts: Vec<u64>,
    /// A single choice in a roster: Σ over interviews of `y[i] · y[j]` (row-major, options ×
    /// options), where `y[i]` is how many of one interview's instances chose option `i`; with
    /// `counts` (Σ `y[i]`) these are what the Rao–Scott correction of its test needs
    /// (`tables::rao_scott`). Empty for other questions.
    pub(crate) moments: Vec<u64>,
    /// A single choice in a roster: the interviews with an answer in one of its instances.
    pub(crate) clusters: u64,
    /// Questionnaires (bit = position among those with data, the first 64) that had the question.
    pub(crate) seen_q: u64,
    /// Number value (as ordered bits) → count.
    pub(crate) nums: BTreeMap<u64, u64>,
    /// Date → count.
    pub(crate) dates: BTreeMap<String, u64>,
}

impl Cell {
    /// Adds `o`, whose option `i` is row `rows[i]` here.
    pub(crate) fn add_mapped(&mut self, o: &Cell, rows: &[usize], bit: u64) {
        self.interviews += o.interviews;
        self.asked += o.asked;
        self.answered += o.answered;
        self.excluded += o.excluded;
        self.instances += o.instances;
        self.asked_interviews += o.asked_interviews;
        if o.interviews > 0 {
            self.seen_q |= bit;
        }
        for (i, &c) in o.counts.iter().enumerate() {
            if let Some(&r) = rows.get(i) {
                self.counts[r] += c;
            }
        }
        if !o.moments.is_empty() {
            let (k, n) = (o.counts.len(), self.counts.len());
            self.moments.resize(n * n, 0);
            self.clusters += o.clusters;
            for (ij, &c) in o.moments.iter().enumerate() {
                if let (Some(&a), Some(&b)) = (rows.get(ij / k), rows.get(ij % k)) {
                    self.moments[a * n + b] += c;
                }
            }
        }
        for (k, v) in &o.nums {
            *self.nums.entry(*k).or_default() += v;
        }
        for (k, v) in &o.dates {
            *self.dates.entry(k.clone()).or_default() += v;
        }
    }

    fn add(&mut self, o: Cell) {
        self.interviews += o.interviews;
        self.asked += o.asked;
        self.answered += o.answered;
        self.excluded += o.excluded;
        self.instances += o.instances;
        self.asked_interviews += o.asked_interviews;
        self.seen_q |= o.seen_q;
        add_vec(&mut self.counts, &o.counts);
        add_vec(&mut self.moments, &o.moments);
        self.clusters += o.clusters;
        for (k, v) in o.nums {
            *self.nums.entry(k).or_default() += v;
        }
        for (k, v) in o.dates {
            *self.dates.entry(k).or_default() += v;
        }
    }
}

/// Texts of one question: the [`MAX_TEXTS`] with the smallest (interview id, instance, kind),
/// and a count.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextTally {
    pub(crate) total: u64,
    /// (interview id, instance numbers (none at the top level), kind) → (group, text).
    pub(crate) kept: BTreeMap<(String, Vec<u32>, u8), (usize, String)>,
}

impl TextTally {
    fn push(&mut self, id: &str, instance: &[u32], kind: u8, group: usize, text: &str) {
        self.total += 1;
        if self.kept.len() >= MAX_TEXTS
            && let Some(last) = self.kept.keys().next_back()
            && (last.0.as_str(), last.1.as_slice(), last.2) <= (id, instance, kind)
        {
            return;
        }
        self.kept
            .insert((id.to_string(), instance.to_vec(), kind), (group, text.to_string()));
        if self.kept.len() > MAX_TEXTS {
            self.kept.pop_last();
        }
    }

    /// Adds `o`, mapping its groups.
    pub(crate) fn merge(&mut self, o: TextTally, group: impl Fn(usize) -> usize) {
        self.total += o.total;
        self.kept
            .extend(o.kept.into_iter().map(|(k, (g, t))| (k, (group(g), t))));
        while self.kept.len() > MAX_TEXTS {
            self.kept.pop_last();
        }
    }
}

/// One questionnaire's counts, in its own terms.
#[derive(Debug, Clone)]
pub(crate) struct QTally {
    /// Records (before the filter).
    pub(crate) read: u64,
    /// Records per native group (after the filter).
    pub(crate) kept: Vec<u64>,
    /// [question][native group].
    pub(crate) cells: Vec<Vec<Cell>>,
    /// [question].
    pub(crate) texts: Vec<TextTally>,
    /// `--cross`: [option of A × option of B].
    pub(crate) cross: Vec<u64>,
    pub(crate) cross_n: u64,
    /// [district option, then "none"].
    pub(crate) districts: Vec<u64>,
    /// [roster][native group]: how many interviews (parent instances, for a nested roster)
    /// have each number of instances (index = number).
    pub(crate) rosters: Vec<Vec<Vec<u64>>>,
    /// [roster]: its own questions (not those of rosters nested in it). Not merged.
    own: Vec<Vec<usize>>,
    /// The single choices asked in rosters, and for each question the options chosen in the
    /// instances of the record being added (for [`Cell::moments`]). Not merged.
    singles: Vec<usize>,
    chosen: Vec<Vec<u32>>,
}

/// What a worker accumulates. Merge tallies with [`Tally::merge`]; finish with [`Tally::finish`].
#[derive(Debug, Clone)]
pub struct Tally {
    pub(crate) qs: Vec<QTally>,
    pub(crate) field: FieldTally,
    /// The record being added (buffers reused from record to record).
    slots: Slots,
    /// The record being added: per question, whether it was asked in one of its instances.
    marks: Vec<bool>,
}

impl Plan<'_> {
    /// A new, empty tally for this plan.
    pub fn tally(&self) -> Tally {
        let qs = self
            .qs
            .iter()
            .enumerate()
            .map(|(qi, q)| {
                let ng = self.native_groups(qi);
                QTally {
                    read: 0,
                    kept: vec![0; ng],
                    cells: q
                        .questions
                        .iter()
                        .map(|qq| {
                            if qq.is_answerable() {
                                let k = if is_roster_single(qq) { qq.options.len() } else { 0 };
                                (0..ng)
                                    .map(|_| Cell {
                                        counts: vec![0; qq.options.len()],
                                        moments: vec![0; k * k],
                                        ..Cell::default()
                                    })
                                    .collect()
                            } else {
                                Vec::new()
                            }
                        })
                        .collect(),
                    texts: vec![TextTally::default(); q.questions.len()],
                    cross: match &self.cross {
                        Some((_, _, per)) => per[qi].map_or_else(Vec::new, |(a, b)| {
                            vec![0; q.questions[a].options.len() * q.questions[b].options.len()]
                        }),
                        None => Vec::new(),
                    },
                    cross_n: 0,
                    districts: vec![0; self.district[qi].map_or(0, |d| q.questions[d].options.len()) + 1],
                    rosters: vec![vec![Vec::new(); ng]; q.rosters.len()],
                    own: (0..q.rosters.len())
                        .map(|r| {
                            q.rosters[r]
                                .questions
                                .clone()
                                .filter(|&i| q.questions[i].roster == Some(r))
                                .collect()
                        })
                        .collect(),
                    singles: (0..q.questions.len())
                        .filter(|&i| is_roster_single(&q.questions[i]))
                        .collect(),
                    chosen: q
                        .questions
                        .iter()
                        .map(|qq| {
                            if is_roster_single(qq) {
                                vec![0; qq.options.len()]
                            } else {
                                Vec::new()
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        Tally {
            qs,
            field: FieldTally::new(self),
            slots: Slots::default(),
            marks: Vec::new(),
        }
    }
}

/// A single choice asked in a roster: its test over instances is corrected for the clusters.
fn is_roster_single(qq: &Question) -> bool {
    qq.roster.is_some() && qq.is_answerable() && matches!(qq.kind, Kind::Single)
}

/// Orders f64 bits like the numbers (all values here are finite).
fn ord_bits(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// The inverse of [`ord_bits`].
pub(crate) fn from_ord_bits(b: u64) -> f64 {
    f64::from_bits(if b >> 63 == 1 { b & !(1 << 63) } else { !b })
}

struct RecEnv<'a> {
    q: &'a Questionnaire,
    rec: &'a RecordView<'a>,
    rel: &'a [bool],
}

impl Env for RecEnv<'_> {
    fn get(&self, name: &str) -> Value {
        match self.q.index_of(name) {
            Some(i) if self.rel.get(i).copied().unwrap_or(false) => expr_value_ref(self.rec.answers.value(i, name)),
            Some(_) => Value::Null,
            None => match name {
                "questionnaire" => Value::Str(self.rec.questionnaire.id.to_string()),
                "interviewer" => Value::Str(self.rec.interviewer.to_string()),
                _ => Value::Null,
            },
        }
    }
}

// Kinds of kept texts.
pub(crate) const TEXT_ANSWER: u8 = 0;
pub(crate) const TEXT_OTHER: u8 = 1;
const TEXT_REMARK: u8 = 2;

impl Tally {
    /// Adds one record. An error is the reason it cannot be used (unknown questionnaire, or
    /// answers that do not fit it); the tally is then unchanged.
    pub fn add(&mut self, plan: &Plan<'_>, rec: &RecordView<'_>) -> Result<(), String> {
        let Some(qi) = plan.find(&rec.questionnaire) else {
            return Err(format!(
                "unknown questionnaire `{}` version {} (sha256 {}…); pass it with --questionnaire PATH",
                rec.questionnaire.id.as_str(),
                rec.questionnaire.version.as_str(),
                rec.questionnaire.sha256.chars().take(12).collect::<String>()
            ));
        };
        let q = plan.qs[qi];
        let s = &mut self.slots;
        s.resolve(q, rec).map_err(|m| m.against(q))?;
        let t = &mut self.qs[qi];
        t.read += 1;
        let clock = crate::interview::logic::record_clock(&rec.updated);
        // Relevance: the engine's one walk, over the instances of the rosters too when the
        // questionnaire has any (a top-level question may depend on an aggregate over them).
        let rules = if q.has_rosters() {
            rules_of_view(
                q,
                Viewed {
                    answers: &rec.answers,
                    rosters: &rec.rosters,
                },
                clock.as_ref(),
            )
        } else {
            Rules {
                rel: relevance(q, &SlotLookup { rec, slots: s }, clock.as_ref()),
                ..Rules::default()
            }
        };
        let rel = &rules.rel;
        if let Some(f) = &plan.filter
            && !f.test(&RecEnv { q, rec, rel })
        {
            return Ok(());
        }
        // The option chosen in a relevant single choice.
        let chosen = |qidx: usize| match s.codes(qidx) {
            [i] if rel[qidx] && matches!(q.questions[qidx].kind, Kind::Single) => Some(*i as usize),
            _ => None,
        };
        let g = match &plan.by {
            None => 0,
            Some((_, per)) => per[qi].and_then(chosen).unwrap_or(plan.native_groups(qi) - 1),
        };
        t.kept[g] += 1;
        // Fieldwork.
        let d = plan.district[qi].and_then(chosen).unwrap_or(t.districts.len() - 1);
        t.districts[d] += 1;
        let conflict = !plan.conflict_ids.is_empty() && plan.conflict_ids.contains(rec.id.as_str());
        self.field.add(plan.instr_of[qi], rec, conflict);
        // Questions: every one of the questionnaire counts the interview, relevant ones count
        // it as asked and, if answered, by the options `resolve` found. A roster's questions
        // are counted over its instances below.
        let exclude = plan.opts.exclude_missing;
        for (qidx, qq) in q.questions.iter().enumerate() {
            let Some(cell) = t.cells[qidx].get_mut(g) else { continue };
            cell.interviews += 1;
            if !rel[qidx] || qq.roster.is_some() {
                continue;
            }
            cell.asked += 1;
            let Some(ans) = s.answer(rec, qidx) else { continue };
            let at = Place {
                id: &rec.id,
                instance: &[],
                group: g,
                exclude,
            };
            count_answer(cell, &mut t.texts[qidx], qq, ans, s.codes(qidx), &at);
        }
        if q.has_rosters() {
            let marks = &mut self.marks;
            marks.clear();
            marks.resize(q.questions.len(), false);
            let mut walk = InstanceWalk {
                q,
                rules: &rules,
                t: &mut *t,
                marks,
                id: &rec.id,
                group: g,
                exclude,
                path: Vec::new(),
                codes: Vec::new(),
            };
            walk.level(&rec.rosters, None, At::TOP);
            for (qidx, m) in self.marks.iter().enumerate() {
                if *m && let Some(cell) = t.cells[qidx].get_mut(g) {
                    cell.asked_interviews += 1;
                }
            }
            // This interview's counts of each roster single choice, as one cluster.
            for &qidx in &t.singles {
                let y = &mut t.chosen[qidx];
                if y.iter().all(|&c| c == 0) {
                    continue;
                }
                if let Some(cell) = t.cells[qidx].get_mut(g) {
                    let k = y.len();
                    cell.clusters += 1;
                    for (i, &a) in y.iter().enumerate().filter(|(_, a)| **a > 0) {
                        for (j, &b) in y.iter().enumerate().filter(|(_, b)| **b > 0) {
                            cell.moments[i * k + j] += u64::from(a) * u64::from(b);
                        }
                    }
                }
                y.fill(0);
            }
        }
        // Cross-tab.
        if let Some((_, _, per)) = &plan.cross
            && let Some((a, b)) = per[qi]
        {
            let codes = |qidx: usize| -> Vec<u32> {
                if !rel[qidx] {
                    return Vec::new();
                }
                let opts = &q.questions[qidx].options;
                s.codes(qidx)
                    .iter()
                    .copied()
                    .filter(|&i| !(exclude && opts[i as usize].missing.is_some()))
                    .collect()
            };
            let (ra, rb) = (codes(a), codes(b));
            if !ra.is_empty() && !rb.is_empty() {
                t.cross_n += 1;
                let nb = q.questions[b].options.len();
                for &x in &ra {
                    for &y in &rb {
                        t.cross[x as usize * nb + y as usize] += 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// Adds another tally (of the same plan) to this one.
    pub fn merge(&mut self, o: Tally) {
        for (a, b) in self.qs.iter_mut().zip(o.qs) {
            a.read += b.read;
            add_vec(&mut a.kept, &b.kept);
            for (ca, cb) in a.cells.iter_mut().zip(b.cells) {
                for (x, y) in ca.iter_mut().zip(cb) {
                    x.add(y);
                }
            }
            for (ta, tb) in a.texts.iter_mut().zip(b.texts) {
                ta.merge(tb, |g| g);
            }
            add_vec(&mut a.cross, &b.cross);
            a.cross_n += b.cross_n;
            add_vec(&mut a.districts, &b.districts);
            for (ra, rb) in a.rosters.iter_mut().zip(b.rosters) {
                for (ha, hb) in ra.iter_mut().zip(rb) {
                    add_hist(ha, &hb);
                }
            }
        }
        self.field.merge(o.field);
    }

    /// Records read (before the filter).
    pub fn records(&self) -> u64 {
        self.qs.iter().map(|q| q.read).sum()
    }
}

/// Adds histogram `b` to `a`, growing `a` as needed.
pub(crate) fn add_hist(a: &mut Vec<u64>, b: &[u64]) {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    add_vec(a, b);
}

/// Where an answer was given: the interview, the instance (its numbers, none at the top level),
/// the native group.
struct Place<'a> {
    id: &'a str,
    instance: &'a [u32],
    group: usize,
    exclude: bool,
}

/// Counts one answer to a question that was asked: `codes` are the indices of the options it
/// chose. A calculation counts as what its values are ([`RKind::of`]).
fn count_answer(
    cell: &mut Cell,
    texts: &mut TextTally,
    qq: &Question,
    ans: &AnswerView<'_>,
    codes: &[u32],
    at: &Place<'_>,
) {
    let missing = |i: u32| qq.options[i as usize].missing.is_some();
    let value = ans.value.as_ref().map(|v| v.borrowed());
    let (id, inst, g) = (at.id, at.instance, at.group);
    match (value, RKind::of(&qq.kind)) {
        (Some(ValueRef::Text(code)), Some(RKind::Single)) if !code.trim().is_empty() => {
            cell.answered += 1;
            for &i in codes {
                cell.counts[i as usize] += 1;
                if at.exclude && missing(i) {
                    cell.excluded += 1;
                }
            }
        }
        (Some(ValueRef::Codes(_)), Some(RKind::Multi)) if !codes.is_empty() => {
            cell.answered += 1;
            for &i in codes {
                cell.counts[i as usize] += 1;
            }
            if at.exclude && codes.iter().all(|&i| missing(i)) {
                cell.excluded += 1;
            }
        }
        (Some(ValueRef::Number(x)), Some(RKind::Number)) if x.is_finite() => {
            cell.answered += 1;
            *cell.nums.entry(ord_bits(x)).or_default() += 1;
        }
        (Some(ValueRef::Text(d)), Some(RKind::Date)) if !d.trim().is_empty() => {
            cell.answered += 1;
            match cell.dates.get_mut(d) {
                Some(c) => *c += 1,
                None => {
                    cell.dates.insert(d.to_owned(), 1);
                }
            }
        }
        (Some(ValueRef::Text(x)), Some(RKind::Text | RKind::LongText)) if !x.trim().is_empty() => {
            cell.answered += 1;
            texts.push(id, inst, TEXT_ANSWER, g, x.trim());
        }
        _ => {}
    }
    if let Some(o) = ans.borrowed().other_text(qq).map(str::trim).filter(|s| !s.is_empty()) {
        texts.push(id, inst, TEXT_OTHER, g, o);
    }
    if let Some(rm) = ans.remark.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        texts.push(id, inst, TEXT_REMARK, g, rm);
    }
}

/// A walk over the live instances of a record's rosters, counting each instance's answers and,
/// per roster, how many instances each interview (or parent instance) has.
struct InstanceWalk<'a, 'r> {
    q: &'a Questionnaire,
    rules: &'a Rules,
    t: &'a mut QTally,
    /// Per question: asked in an instance of this record.
    marks: &'a mut [bool],
    id: &'r str,
    group: usize,
    exclude: bool,
    /// The numbers of the instance being counted (positions among the live ones, 1-based).
    path: Vec<u32>,
    /// Scratch: the options an answer chose.
    codes: Vec<u32>,
}

impl InstanceWalk<'_, '_> {
    /// The rosters nested in `parent` (an instance `at` of that roster, or the top level for
    /// `None`), stored in `level`.
    fn level(&mut self, level: &RostersView<'_>, parent: Option<usize>, at: At) {
        let q = self.q;
        for r in (0..q.rosters.len()).filter(|&r| q.rosters[r].parent == parent) {
            let mut n = 0usize;
            let mut pos = 0u32;
            for (i, inst) in level.get(&q.rosters[r].id).iter().enumerate() {
                if !inst.live() {
                    continue;
                }
                pos += 1;
                let Some(here) = at.child(i as u32) else { continue };
                // An instance counts when the roster was asked there: one of its own questions
                // is relevant in it (or would be, but for a code its filter no longer offers).
                let own = std::mem::take(&mut self.t.own[r]);
                let asked = own
                    .iter()
                    .any(|&qi| self.rules.rel(q, qi, here) || self.rules.stale(q, qi, here));
                if asked {
                    n += 1;
                    self.path.push(pos);
                    for &qi in &own {
                        self.question(qi, &inst.answers, here);
                    }
                    self.level(&inst.rosters, Some(r), here);
                    self.path.pop();
                }
                self.t.own[r] = own;
            }
            let h = &mut self.t.rosters[r][self.group];
            if h.len() <= n {
                h.resize(n + 1, 0);
            }
            h[n] += 1;
        }
    }

    /// Question `qi` in the instance `at` whose answers are `answers`.
    fn question(&mut self, qi: usize, answers: &Answers<'_>, at: At) {
        let q = self.q;
        let qq = &q.questions[qi];
        let Some(cell) = self.t.cells[qi].get_mut(self.group) else {
            return;
        };
        cell.instances += 1;
        if !self.rules.rel(q, qi, at) {
            return;
        }
        cell.asked += 1;
        self.marks[qi] = true;
        let Some(ans) = answers.get(&qq.id) else { return };
        // The record fits its questionnaire: every code is an option.
        self.codes.clear();
        let index = |c: &str| qq.options.iter().position(|o| o.code == c).map(|i| i as u32);
        match ans.value.as_ref().map(|v| v.borrowed()) {
            Some(ValueRef::Text(c)) if matches!(qq.kind, Kind::Single) => self.codes.extend(index(c)),
            Some(ValueRef::Codes(cs)) => self.codes.extend(cs.iter().filter_map(index)),
            _ => {}
        }
        let place = Place {
            id: self.id,
            instance: &self.path,
            group: self.group,
            exclude: self.exclude,
        };
        let answered = cell.answered;
        count_answer(cell, &mut self.t.texts[qi], qq, ans, &self.codes, &place);
        // What `count_answer` counted of a roster single choice, for this interview's cluster.
        if cell.answered > answered
            && let ([i], Some(y)) = (&self.codes[..], self.t.chosen.get_mut(qi))
            && let Some(c) = y.get_mut(*i as usize)
        {
            *c += 1;
        }
    }
}

fn add_vec(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}
