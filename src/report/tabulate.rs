//! Streaming aggregation: the [`Plan`] of the report, checked before any data is read, and the
//! [`Tally`] each worker fills as records stream past.
//!
//! A tally counts in each questionnaire's own terms (question index × native group × option
//! index), so it needs to know nothing about the other questionnaires; questions are matched
//! across instruments only at the end ([`Tally::finish`]), by variable name and option code,
//! over the questionnaires that actually have interviews. It keeps counts, per-group histograms
//! of distinct values for numbers and dates (numbers in a survey are few distinct values: years,
//! head counts), a bounded list of texts per question ([`MAX_TEXTS`], those of the smallest
//! interview ids, so the choice does not depend on the order the records arrive in), and the
//! fieldwork counters. Tallies are merged by addition; every result is therefore independent of
//! how the input was split between workers.

use super::fieldwork::{self, FieldTally};
use super::stats::{self, Table};
use super::words::W;
use super::*;
use crate::diag::{Diagnostic, did_you_mean};
use crate::expr::{Env, Expr, Value};
use crate::interview::logic::{Lookup, expr_value_ref, parse_date, relevance};
use crate::interview::record::{AnswerView, QuestionnaireView, RecordView, ValueRef};
use crate::merge::validate_view;
use crate::questionnaire::{Kind, Missing, Questionnaire};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Names `--where` accepts besides the questionnaire's variables (a question of the same name
/// takes precedence): the questionnaire id and the interviewer code.
pub const PSEUDO_VARIABLES: &[&str] = &["questionnaire", "interviewer"];

/// Type of a tabulated question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RKind {
    Single,
    Multi,
    Number,
    Date,
    Text,
    LongText,
}

impl RKind {
    fn of(k: &Kind) -> Option<RKind> {
        Some(match k {
            Kind::Single => RKind::Single,
            Kind::Multi { .. } => RKind::Multi,
            Kind::Number { .. } => RKind::Number,
            Kind::Date => RKind::Date,
            Kind::Text { .. } => RKind::Text,
            Kind::LongText { .. } => RKind::LongText,
            Kind::Note => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            RKind::Single => "single",
            RKind::Multi => "multi",
            RKind::Number => "number",
            RKind::Date => "date",
            RKind::Text => "text",
            RKind::LongText => "long_text",
        }
    }

    fn is_choice(self) -> bool {
        matches!(self, RKind::Single | RKind::Multi)
    }
}

/// An option of a report question: the union of the codes of the questionnaires.
#[derive(Debug, Clone)]
pub(crate) struct ROpt {
    pub(crate) code: String,
    pub(crate) label: String,
    pub(crate) missing: Option<Missing>,
    pub(crate) other: bool,
}

/// Where a report question lives in one questionnaire.
#[derive(Debug, Clone)]
pub(crate) struct PerQ {
    /// Index of the question in the questionnaire.
    pub(crate) qidx: usize,
    /// Option index in the questionnaire → row of the report question.
    pub(crate) rows: Vec<usize>,
}

/// A question of the report, matched across questionnaires.
#[derive(Debug, Clone)]
pub(crate) struct RQuestion {
    pub(crate) var: String,
    pub(crate) kind: RKind,
    pub(crate) text: String,
    pub(crate) block_id: String,
    pub(crate) block_title: String,
    pub(crate) options: Vec<ROpt>,
    /// By position in the list of questionnaires it was built from.
    pub(crate) per_q: Vec<Option<PerQ>>,
    /// Questionnaires where the variable has another type: (position, that type).
    pub(crate) mismatched: Vec<(usize, &'static str)>,
}

/// `--cross`: the two variables and, per questionnaire, both their questions when it has them as
/// choice questions.
type CrossPlan = (String, String, Vec<Option<(usize, usize)>>);

/// The report's plan: questionnaires, groups, filter, cross-tab, checked before any data is read.
#[derive(Debug)]
pub struct Plan<'q> {
    pub(crate) qs: Vec<&'q Questionnaire>,
    /// Questionnaire → instrument (distinct questionnaire ids, in order).
    pub(crate) instr_of: Vec<usize>,
    /// Instrument ids.
    pub(crate) instruments: Vec<String>,
    /// Instrument column headings.
    pub(crate) instrument_labels: Vec<String>,
    /// `--by`: the variable and, per questionnaire, its question if it is a single choice there.
    by: Option<(String, Vec<Option<usize>>)>,
    filter: Option<Expr>,
    /// `--cross`: the variables and, per questionnaire, both questions if it has them as choices.
    cross: Option<CrossPlan>,
    /// Per questionnaire: its single-choice `district` question.
    pub(crate) district: Vec<Option<usize>>,
    /// Per questionnaire: its names, for [`Slots::resolve`].
    names: Vec<Names>,
    conflict_ids: HashSet<String>,
    pub(crate) opts: Options,
}

/// The column headings of instruments (`ids`, in order), given every copy of the questionnaires
/// (several versions of one id may be known): the `short_title` of the first copy that has one,
/// else [`Questionnaire::short_name`] of the first copy. A heading that two instruments would
/// share gets the id added, so that columns and quota groups stay distinct.
fn instrument_labels(ids: &[String], qs: &[&Questionnaire]) -> Vec<String> {
    let names: Vec<String> = ids
        .iter()
        .map(|id| {
            let copies = || qs.iter().filter(|q| q.id == *id);
            copies()
                .find(|q| q.short_title.is_some())
                .or_else(|| copies().next())
                .map_or_else(|| id.clone(), |q| q.short_name().to_string())
        })
        .collect();
    names
        .iter()
        .zip(ids)
        .map(|(name, id)| {
            let clash =
                names.iter().filter(|n| *n == name).count() > 1 || ids.iter().any(|other| other != id && other == name);
            if clash && name != id {
                format!("{name} ({id})")
            } else {
                name.clone()
            }
        })
        .collect()
}

impl<'q> Plan<'q> {
    /// Builds the plan for these questionnaires (every one the data may use), checking the
    /// options against them. Returns every problem a user can fix in one pass.
    pub fn new(qs: Vec<&'q Questionnaire>, opts: Options) -> Result<Plan<'q>, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let mut instruments: Vec<String> = Vec::new();
        let mut instr_of = Vec::with_capacity(qs.len());
        for q in &qs {
            let i = match instruments.iter().position(|x| *x == q.id) {
                Some(i) => i,
                None => {
                    instruments.push(q.id.clone());
                    instruments.len() - 1
                }
            };
            instr_of.push(i);
        }
        let instrument_labels = instrument_labels(&instruments, &qs);
        // Every variable with the types it has in the questionnaires.
        let mut kinds: BTreeMap<&str, Vec<RKind>> = BTreeMap::new();
        for q in &qs {
            for qq in &q.questions {
                if let Some(k) = RKind::of(&qq.kind) {
                    kinds.entry(qq.id.as_str()).or_default().push(k);
                }
            }
        }
        let all_vars: Vec<&str> = kinds.keys().copied().collect();
        let unknown = |flag: &str, var: &str, extra: &[&str]| {
            let cands = all_vars.iter().copied().chain(extra.iter().copied());
            let d = Diagnostic::new(flag, "", format!("unknown variable `{var}`"));
            match did_you_mean(var, cands) {
                Some(s) => d.hint(format!("did you mean `{s}`?")),
                None => d.hint("`anketa codebook nko` lists the variables of a questionnaire"),
            }
        };
        let per_q = |var: &str, ok: &dyn Fn(RKind) -> bool| -> Vec<Option<usize>> {
            qs.iter()
                .map(|q| {
                    q.index_of(var)
                        .filter(|&i| RKind::of(&q.questions[i].kind).is_some_and(ok))
                })
                .collect()
        };

        if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
            errors.push(
                Diagnostic::new("--alpha", "", format!("{} is not a significance level", opts.alpha))
                    .hint("give a number between 0 and 1, e.g. 0.05"),
            );
        }

        let mut by = None;
        if let Some(v) = &opts.by
            && v != "questionnaire"
        {
            match kinds.get(v.as_str()) {
                Some(ks) if ks.contains(&RKind::Single) => by = Some((v.clone(), per_q(v, &|k| k == RKind::Single))),
                Some(ks) => errors.push(
                    Diagnostic::new(
                        "--by",
                        "",
                        format!(
                            "`{v}` is a {} question; --by needs a single-choice question",
                            ks[0].name()
                        ),
                    )
                    .hint(if ks[0] == RKind::Multi {
                        format!("--cross {v} VAR tabulates a multiple-choice question against another")
                    } else {
                        "e.g. --by district".into()
                    }),
                ),
                None => errors.push(unknown("--by", v, &["questionnaire"])),
            }
        }

        let mut cross = None;
        if let Some((a, b)) = &opts.cross {
            let mut ok = true;
            for v in [a, b] {
                match kinds.get(v.as_str()) {
                    Some(ks) if ks.iter().any(|k| k.is_choice()) => {}
                    Some(ks) => {
                        ok = false;
                        errors.push(
                            Diagnostic::new(
                                "--cross",
                                "",
                                format!(
                                    "`{v}` is a {} question; a cross-tab needs choice questions (single or multi)",
                                    ks[0].name()
                                ),
                            )
                            .hint("the numbers of a number question are summarised in its own table"),
                        );
                    }
                    None => {
                        ok = false;
                        errors.push(unknown("--cross", v, &[]));
                    }
                }
            }
            if ok && a == b {
                ok = false;
                errors
                    .push(Diagnostic::new("--cross", "", format!("`{a}` twice")).hint("give two different variables"));
            }
            if ok {
                let pa = per_q(a, &RKind::is_choice);
                let pb = per_q(b, &RKind::is_choice);
                let both = pa.iter().zip(&pb).map(|(x, y)| Some(((*x)?, (*y)?))).collect();
                cross = Some((a.clone(), b.clone(), both));
            }
        }

        let mut filter = None;
        if let Some(src) = &opts.filter {
            match crate::expr::parse(src) {
                Err(e) => errors.push(Diagnostic::new("--where", "", e.message.clone()).snippet(src, e.col, e.len)),
                Ok(expr) => {
                    let mut bad = false;
                    for (name, col) in expr.refs() {
                        if !kinds.contains_key(name) && !PSEUDO_VARIABLES.contains(&name) {
                            bad = true;
                            let len = name.chars().count() + 3;
                            let cands = all_vars.iter().copied().chain(PSEUDO_VARIABLES.iter().copied());
                            let d = Diagnostic::new("--where", "", format!("unknown variable `{name}`"))
                                .snippet(src, col, len);
                            errors.push(match did_you_mean(name, cands) {
                                Some(s) => d.hint(format!("did you mean `{s}`?")),
                                None => d.hint("not a variable of these questionnaires"),
                            });
                        }
                    }
                    if !bad {
                        filter = Some(expr);
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let district = per_q("district", &|k| k == RKind::Single);
        let names = qs.iter().map(|q| Names::new(q)).collect();
        Ok(Plan {
            qs,
            instr_of,
            instruments,
            instrument_labels,
            by,
            filter,
            cross,
            district,
            names,
            conflict_ids: HashSet::new(),
            opts,
        })
    }

    /// Interviews whose id is listed here count as conflicts of their interviewer (from the
    /// merge report, or the merge done on the fly).
    pub fn set_conflicts(&mut self, ids: impl IntoIterator<Item = String>) {
        self.conflict_ids = ids.into_iter().collect();
    }

    /// The options as given.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The union of the `district` options of every questionnaire: (code, label).
    pub(crate) fn districts(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (q, d) in self.qs.iter().zip(&self.district) {
            let Some(d) = d else { continue };
            for o in &q.questions[*d].options {
                if !out.iter().any(|(c, _)| *c == o.code) {
                    out.push((o.code.clone(), q.tr(&o.label).to_string()));
                }
            }
        }
        out
    }

    /// The index of a record's questionnaire.
    fn find(&self, r: &QuestionnaireView<'_>) -> Option<usize> {
        self.qs
            .iter()
            .position(|q| q.id == *r.id && q.version == *r.version && q.sha256 == *r.sha256)
    }

    /// Native groups of a questionnaire: 1 when grouping by instrument; the options of the
    /// `--by` question plus "no answer" otherwise.
    fn native_groups(&self, qi: usize) -> usize {
        match &self.by {
            None => 1,
            Some((_, per)) => per[qi].map_or(0, |v| self.qs[qi].questions[v].options.len()) + 1,
        }
    }

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
                                (0..ng)
                                    .map(|_| Cell {
                                        counts: vec![0; qq.options.len()],
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
                }
            })
            .collect();
        Tally {
            qs,
            field: FieldTally::new(self),
            slots: Slots::default(),
        }
    }
}

/// Orders the questions of several questionnaires: the first one's order, with the questions
/// of later ones that it lacks inserted before the next question they share (so that the
/// passport questions of each instrument stay in the passport block). Options are matched by
/// code; labels, texts and blocks come from the first questionnaire that has them.
pub(crate) fn build_questions(qs: &[&Questionnaire]) -> Vec<RQuestion> {
    let mut order: Vec<String> = Vec::new();
    let mut map: HashMap<String, RQuestion> = HashMap::new();
    let ropt = |q: &Questionnaire, o: &crate::questionnaire::Choice| ROpt {
        code: o.code.clone(),
        label: q.tr(&o.label).to_string(),
        missing: o.missing,
        other: o.other,
    };
    for (qi, q) in qs.iter().enumerate() {
        let mut pending: Vec<String> = Vec::new();
        let mut last_anchor: Option<usize> = None;
        for (qidx, qq) in q.questions.iter().enumerate() {
            let Some(kind) = RKind::of(&qq.kind) else { continue };
            if let Some(r) = map.get_mut(&qq.id) {
                if r.kind != kind {
                    r.mismatched.push((qi, kind.name()));
                    continue;
                }
                let mut rows = Vec::with_capacity(qq.options.len());
                for o in &qq.options {
                    let row = match r.options.iter().position(|x| x.code == o.code) {
                        Some(i) => i,
                        None => {
                            r.options.push(ropt(q, o));
                            r.options.len() - 1
                        }
                    };
                    rows.push(row);
                }
                r.per_q[qi] = Some(PerQ { qidx, rows });
                let pos = order.iter().position(|v| *v == qq.id).unwrap_or(order.len());
                let n = pending.len();
                for (k, v) in pending.drain(..).enumerate() {
                    order.insert(pos + k, v);
                }
                last_anchor = Some(pos + n);
                continue;
            }
            let mut per_q = vec![None; qs.len()];
            per_q[qi] = Some(PerQ {
                qidx,
                rows: (0..qq.options.len()).collect(),
            });
            let block = &q.blocks[qq.block];
            map.insert(
                qq.id.clone(),
                RQuestion {
                    var: qq.id.clone(),
                    kind,
                    text: q.tr(&qq.text).to_string(),
                    block_id: block.id.clone(),
                    block_title: q.tr(&block.title).to_string(),
                    options: qq.options.iter().map(|o| ropt(q, o)).collect(),
                    per_q,
                    mismatched: Vec::new(),
                },
            );
            pending.push(qq.id.clone());
        }
        let at = last_anchor.map_or(order.len(), |p| p + 1);
        for (k, v) in pending.drain(..).enumerate() {
            order.insert(at + k, v);
        }
    }
    order.into_iter().filter_map(|v| map.remove(&v)).collect()
}

/// Counts of one question in one group.
#[derive(Debug, Clone, Default)]
struct Cell {
    interviews: u64,
    asked: u64,
    answered: u64,
    excluded: u64,
    counts: Vec<u64>,
    /// Questionnaires (bit = position among those with data, the first 64) that had the question.
    seen_q: u64,
    /// Number value (as ordered bits) → count.
    nums: BTreeMap<u64, u64>,
    /// Date → count.
    dates: BTreeMap<String, u64>,
}

impl Cell {
    /// Adds `o`, whose option `i` is row `rows[i]` here.
    fn add_mapped(&mut self, o: &Cell, rows: &[usize], bit: u64) {
        self.interviews += o.interviews;
        self.asked += o.asked;
        self.answered += o.answered;
        self.excluded += o.excluded;
        if o.interviews > 0 {
            self.seen_q |= bit;
        }
        for (i, &c) in o.counts.iter().enumerate() {
            if let Some(&r) = rows.get(i) {
                self.counts[r] += c;
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
        self.seen_q |= o.seen_q;
        add_vec(&mut self.counts, &o.counts);
        for (k, v) in o.nums {
            *self.nums.entry(k).or_default() += v;
        }
        for (k, v) in o.dates {
            *self.dates.entry(k).or_default() += v;
        }
    }
}

/// Texts of one question: the [`MAX_TEXTS`] with the smallest (interview id, kind), and a count.
#[derive(Debug, Clone, Default)]
struct TextTally {
    total: u64,
    /// (interview id, kind) → (group, text).
    kept: BTreeMap<(String, u8), (usize, String)>,
}

impl TextTally {
    fn push(&mut self, id: &str, kind: u8, group: usize, text: &str) {
        self.total += 1;
        if self.kept.len() >= MAX_TEXTS
            && let Some(last) = self.kept.keys().next_back()
            && (last.0.as_str(), last.1) <= (id, kind)
        {
            return;
        }
        self.kept.insert((id.to_string(), kind), (group, text.to_string()));
        if self.kept.len() > MAX_TEXTS {
            self.kept.pop_last();
        }
    }

    /// Adds `o`, mapping its groups.
    fn merge(&mut self, o: TextTally, group: impl Fn(usize) -> usize) {
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
struct QTally {
    /// Records (before the filter).
    read: u64,
    /// Records per native group (after the filter).
    kept: Vec<u64>,
    /// [question][native group].
    cells: Vec<Vec<Cell>>,
    /// [question].
    texts: Vec<TextTally>,
    /// `--cross`: [option of A × option of B].
    cross: Vec<u64>,
    cross_n: u64,
    /// [district option, then "none"].
    districts: Vec<u64>,
}

/// What a worker accumulates. Merge tallies with [`Tally::merge`]; finish with [`Tally::finish`].
#[derive(Debug, Clone)]
pub struct Tally {
    qs: Vec<QTally>,
    pub(crate) field: FieldTally,
    /// The record being added (buffers reused from record to record).
    slots: Slots,
}

/// Where the answer to each question of a record is, and the options it chose: found once per
/// record by [`Slots::resolve`] and then read by index, so that relevance, groups and counts do
/// no lookups by name or code.
#[derive(Debug, Clone, Default)]
struct Slots {
    /// [question] → index into the record's answers, or [`Slots::NONE`].
    answer: Vec<u32>,
    /// [question] → its options in `chosen` (start, end): one for a single choice, those
    /// chosen for a multi.
    range: Vec<(u32, u32)>,
    chosen: Vec<u32>,
}

impl Slots {
    const NONE: u32 = u32::MAX;

    /// Joins the record's answers (sorted by variable) with the questions sorted by name
    /// (`order`), and checks each answer as [`validate_view`] does. `false` when the record
    /// does not fit the questionnaire: exactly when `validate_view` refuses it (a test holds
    /// them together), which then gives the reason.
    fn resolve(&mut self, q: &Questionnaire, names: &Names, rec: &RecordView<'_>) -> bool {
        if *rec.questionnaire.id != q.id {
            return false;
        }
        let n = q.questions.len();
        self.answer.clear();
        self.answer.resize(n, Self::NONE);
        self.range.clear();
        self.range.resize(n, (0, 0));
        self.chosen.clear();
        let (order, keys) = (&names.order, &names.keys);
        let mut k = 0;
        for (at, (var, a)) in rec.answers.0.iter().enumerate() {
            let var = var.as_str();
            let key = prefix(var);
            let name = |k: usize| q.questions[order[k]].id.as_str();
            while k < order.len() && (keys[k] < key || (keys[k] == key && name(k) < var)) {
                k += 1;
            }
            if k == order.len() || !same(keys[k], name(k), key, var) {
                return false;
            }
            let qidx = order[k];
            let qq = &q.questions[qidx];
            if a.other.is_some() && !qq.options.iter().any(|o| o.other) {
                return false;
            }
            let codes = &names.codes[qidx];
            let index = |c: &str| {
                let key = prefix(c);
                (0..codes.len())
                    .find(|&i| same(codes[i], &qq.options[i].code, key, c))
                    .map(|i| i as u32)
            };
            let start = self.chosen.len();
            match (&qq.kind, a.value.as_ref().map(|v| v.borrowed())) {
                (_, None) => {}
                (Kind::Note, _) => return false,
                (Kind::Single, Some(ValueRef::Text(c))) => match index(c) {
                    Some(i) => self.chosen.push(i),
                    None => return false,
                },
                (Kind::Multi { .. }, Some(ValueRef::Codes(cs))) => {
                    let mut exclusive = false;
                    for c in cs.iter() {
                        match index(c) {
                            Some(i) if !self.chosen[start..].contains(&i) => {
                                exclusive |= qq.options[i as usize].exclusive;
                                self.chosen.push(i);
                            }
                            _ => return false,
                        }
                    }
                    if cs.len() > 1 && exclusive {
                        return false;
                    }
                }
                (Kind::Number { .. }, Some(ValueRef::Number(x))) if x.is_finite() => {}
                (Kind::Text { .. } | Kind::LongText { .. }, Some(ValueRef::Text(_))) => {}
                (Kind::Date, Some(ValueRef::Text(d))) if parse_date(d).is_some() => {}
                _ => return false,
            }
            self.answer[qidx] = at as u32;
            self.range[qidx] = (start as u32, self.chosen.len() as u32);
        }
        true
    }

    /// The answer to question `qidx`, if the record has one.
    fn answer<'r>(&self, rec: &'r RecordView<'_>, qidx: usize) -> Option<&'r AnswerView<'r>> {
        let at = *self.answer.get(qidx)?;
        (at != Self::NONE).then(|| &rec.answers.0[at as usize].1)
    }

    /// The options chosen in question `qidx` (indices into its options).
    fn codes(&self, qidx: usize) -> &[u32] {
        let (a, b) = self.range[qidx];
        &self.chosen[a as usize..b as usize]
    }
}

/// A questionnaire's names for [`Slots::resolve`], with the first eight bytes of each name and
/// code as a number ([`prefix`]), so that most comparisons are one integer comparison.
#[derive(Debug)]
struct Names {
    /// Question indices in the order of their names.
    order: Vec<usize>,
    /// [position in `order`] → prefix of the name.
    keys: Vec<u64>,
    /// [question][option] → prefix of the code.
    codes: Vec<Vec<u64>>,
}

impl Names {
    fn new(q: &Questionnaire) -> Names {
        let mut order: Vec<usize> = (0..q.questions.len()).collect();
        order.sort_by(|&a, &b| q.questions[a].id.cmp(&q.questions[b].id));
        Names {
            keys: order.iter().map(|&i| prefix(&q.questions[i].id)).collect(),
            codes: q
                .questions
                .iter()
                .map(|qq| qq.options.iter().map(|o| prefix(&o.code)).collect())
                .collect(),
            order,
        }
    }
}

/// The first eight bytes of `s`, zero-padded, as a big-endian number: two strings whose prefixes
/// differ compare as their prefixes do (a shorter string is padded with zeros, which sort
/// first), so only equal prefixes need a full comparison.
fn prefix(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut w = [0u8; 8];
    let n = b.len().min(8);
    w[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(w)
}

/// Whether `a` and `b`, with their [`prefix`]es, are the same string: without looking further
/// than the prefixes when they are at most eight bytes long.
#[inline]
fn same(ka: u64, a: &str, kb: u64, b: &str) -> bool {
    ka == kb && a.len() == b.len() && (a.len() <= 8 || a == b)
}

/// A record's answers looked up through its [`Slots`].
struct SlotLookup<'a, 'r> {
    rec: &'a RecordView<'r>,
    slots: &'a Slots,
}

impl Lookup for SlotLookup<'_, '_> {
    fn value(&self, qidx: usize, _: &str) -> Option<ValueRef<'_>> {
        self.slots.answer(self.rec, qidx)?.value.as_ref().map(|v| v.borrowed())
    }
}

/// Orders f64 bits like the numbers (all values here are finite).
fn ord_bits(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

fn from_ord_bits(b: u64) -> f64 {
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

const TEXT_ANSWER: u8 = 0;
const TEXT_OTHER: u8 = 1;
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
        if !s.resolve(q, &plan.names[qi], rec) {
            // `validate_view` says why (it refuses exactly what `resolve` refuses).
            let why = validate_view(q, rec)
                .err()
                .unwrap_or_else(|| "answers that do not fit".into());
            return Err(format!("does not fit questionnaire `{}` {}: {why}", q.id, q.version));
        }
        let t = &mut self.qs[qi];
        t.read += 1;
        let rel = relevance(q, &SlotLookup { rec, slots: s });
        if let Some(f) = &plan.filter
            && !f.test(&RecEnv { q, rec, rel: &rel })
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
        // it as asked and, if answered, by the options `resolve` found.
        let exclude = plan.opts.exclude_missing;
        for (qidx, qq) in q.questions.iter().enumerate() {
            let Some(cell) = t.cells[qidx].get_mut(g) else { continue };
            cell.interviews += 1;
            if !rel[qidx] {
                continue;
            }
            cell.asked += 1;
            let Some(ans) = s.answer(rec, qidx) else { continue };
            let texts = &mut t.texts[qidx];
            let missing = |i: u32| qq.options[i as usize].missing.is_some();
            let value = ans.value.as_ref().map(|v| v.borrowed());
            let codes = s.codes(qidx);
            match (value, &qq.kind) {
                (Some(ValueRef::Text(code)), Kind::Single) if !code.trim().is_empty() => {
                    cell.answered += 1;
                    for &i in codes {
                        cell.counts[i as usize] += 1;
                        if exclude && missing(i) {
                            cell.excluded += 1;
                        }
                    }
                }
                (Some(ValueRef::Codes(_)), Kind::Multi { .. }) if !codes.is_empty() => {
                    cell.answered += 1;
                    for &i in codes {
                        cell.counts[i as usize] += 1;
                    }
                    if exclude && codes.iter().all(|&i| missing(i)) {
                        cell.excluded += 1;
                    }
                }
                (Some(ValueRef::Number(x)), Kind::Number { .. }) if x.is_finite() => {
                    cell.answered += 1;
                    *cell.nums.entry(ord_bits(x)).or_default() += 1;
                }
                (Some(ValueRef::Text(d)), Kind::Date) if !d.trim().is_empty() => {
                    cell.answered += 1;
                    match cell.dates.get_mut(d) {
                        Some(c) => *c += 1,
                        None => {
                            cell.dates.insert(d.to_owned(), 1);
                        }
                    }
                }
                (Some(ValueRef::Text(x)), Kind::Text { .. } | Kind::LongText { .. }) if !x.trim().is_empty() => {
                    cell.answered += 1;
                    texts.push(&rec.id, TEXT_ANSWER, g, x.trim());
                }
                _ => {}
            }
            if let Some(o) = ans.other.as_deref().map(str::trim).filter(|s| !s.is_empty())
                && codes.iter().any(|&i| qq.options[i as usize].other)
            {
                texts.push(&rec.id, TEXT_OTHER, g, o);
            }
            if let Some(rm) = ans.remark.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                texts.push(&rec.id, TEXT_REMARK, g, rm);
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
        }
        self.field.merge(o.field);
    }

    /// Records read (before the filter).
    pub fn records(&self) -> u64 {
        self.qs.iter().map(|q| q.read).sum()
    }

    /// Matches the questions of the questionnaires with interviews, and computes every table,
    /// test and note.
    pub fn finish(self, plan: &Plan<'_>, input: InputInfo, quota: Option<&Quota>) -> Report {
        let lang = plan.opts.lang;
        let w = W::new(lang);
        let mut notes = Vec::new();
        // The questionnaires with interviews, and their questions matched.
        let present: Vec<usize> = (0..plan.qs.len()).filter(|&qi| self.qs[qi].read > 0).collect();
        let pqs: Vec<&Questionnaire> = present.iter().map(|&qi| plan.qs[qi]).collect();
        let questions = build_questions(&pqs);
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
        let (groups_all, gmap): (Vec<(String, String)>, Vec<Vec<usize>>) = match &plan.by {
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
        };
        let ng = groups_all.len();
        let mut kept = vec![0u64; ng];
        for (k, &qi) in present.iter().enumerate() {
            for (n, &c) in self.qs[qi].kept.iter().enumerate() {
                kept[gmap[k][n]] += c;
            }
        }
        let active: Vec<usize> = (0..ng).filter(|&g| kept[g] > 0).collect();
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
        };

        let mut sections: Vec<Section> = Vec::new();
        let mut number = 0;
        let mut qtallies = self.qs;
        for (ri, r) in questions.iter().enumerate() {
            if matched == 0 || Some(ri) == by_rq {
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
            for (k, &qi) in present.iter().enumerate() {
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
            let t = question_table(&ctx, r, number, cells, texts);
            match sections.last_mut() {
                Some(s) if s.block == r.block_id => s.questions.push(t),
                _ => sections.push(Section {
                    block: r.block_id.clone(),
                    title: r.block_title.clone(),
                    questions: vec![t],
                }),
            }
        }
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
            cross,
            fieldwork,
        }
    }
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
}

fn add_vec(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
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
    let mut notes = Vec::new();
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
            }
        })
        .collect();
    let mut qids: Vec<String> = (0..ctx.pqs.len())
        .filter(|&k| r.per_q[k].is_some())
        .map(|k| ctx.pqs[k].id.clone())
        .collect();
    qids.dedup();
    // An option is offered to a group when a questionnaire of the group's interviews has it.
    let offered = |g: usize, row: usize| {
        let seen = cells[g].seen_q;
        (0..ctx.pqs.len().min(64))
            .any(|k| seen & (1 << k) != 0 && r.per_q[k].as_ref().is_some_and(|p| p.rows.contains(&row)))
    };

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
            .filter(|(b, _)| b.interviews > 0 && b.asked < b.interviews)
            .map(|(b, l)| (l.to_string(), b.asked, b.interviews))
            .collect();
        if !partly.is_empty() {
            notes.push(Note {
                kind: "asked_partly",
                text: w.asked_partly(&partly),
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

    let mut rows = Vec::new();
    let mut test = None;
    let mut numbers = Vec::new();
    let mut dates = Vec::new();
    let tested: Vec<usize> = (0..active.len()).filter(|&k| bases[k].n > 0).collect();
    let comparable = active.len() >= 2;
    if r.kind.is_choice() {
        for (row, o) in r.options.iter().enumerate() {
            let excluded = exclude && o.missing.is_some();
            let offered_g: Vec<bool> = active.iter().map(|&g| offered(g, row)).collect();
            let counts: Vec<u64> = active.iter().map(|&g| cells[g].counts[row]).collect();
            let percents = counts
                .iter()
                .zip(&bases)
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
        if r.kind == RKind::Single && comparable {
            let mut excluded_codes = Vec::new();
            let mut table = Vec::new();
            for rr in &rows {
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
    }
    if r.kind == RKind::Number {
        numbers = active.iter().map(|&g| number_stats(&cells[g].nums)).collect();
    }
    if r.kind == RKind::Date {
        dates = active.iter().map(|&g| date_stats(&cells[g].dates)).collect();
    }
    let pos = |g: usize| active.iter().position(|&x| x == g).unwrap_or(usize::MAX);
    let mut items: Vec<(usize, u8, String, String)> = texts
        .kept
        .into_iter()
        .map(|((id, kind), (g, text))| (pos(g), kind, id, text))
        .collect();
    items.sort();
    let texts = Texts {
        total: texts.total,
        items: items
            .into_iter()
            .map(|(k, kind, id, text)| TextItem {
                group: labels.get(k).map_or_else(String::new, |s| s.to_string()),
                kind: match kind {
                    TEXT_ANSWER => "answer",
                    TEXT_OTHER => "other",
                    _ => "remark",
                },
                interview: id,
                text,
            })
            .collect(),
    };
    QuestionTable {
        number,
        variable: r.var.clone(),
        kind: r.kind.name(),
        text: r.text.clone(),
        questionnaires: qids,
        bases,
        rows,
        test,
        numbers,
        dates,
        texts,
        notes,
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
mod tests;
