//! Relevance and checks: the rules of a questionnaire applied to a set of answers.
//!
//! Shared by the interviewer, `simulate` and `report` (relevance and `--where`). Whether a
//! stored record fits its questionnaire at all is [`crate::record::fit`].

use crate::expr::{Env, Value};
use crate::questionnaire::{Choice, Kind, Question, Questionnaire, Text};
use crate::record::fit::parse_date;
use crate::record::{Answer, AnswerValue, Answers, ValueRef};
use std::collections::BTreeMap;

/// Answers looked up by variable: the map of a [`Record`], or the sorted list of a borrowed
/// [`RecordView`](crate::record::RecordView), so that relevance is computed by one function
/// for both (the interviewer holds records, the report streams views).
pub(crate) trait Lookup {
    /// The value given for `var`, question `index` of the questionnaire, if any.
    fn value(&self, index: usize, var: &str) -> Option<ValueRef<'_>>;
}

impl Lookup for BTreeMap<String, Answer> {
    fn value(&self, _: usize, var: &str) -> Option<ValueRef<'_>> {
        self.get(var)?.value.as_ref().map(AnswerValue::borrowed)
    }
}

impl Lookup for Answers<'_> {
    fn value(&self, _: usize, var: &str) -> Option<ValueRef<'_>> {
        self.get(var)?.value.as_ref().map(|v| v.borrowed())
    }
}

/// The expression value of a stored answer.
pub(crate) fn expr_value(v: Option<&AnswerValue>) -> Value {
    expr_value_ref(v.map(AnswerValue::borrowed))
}

/// [`expr_value`] of a value seen through a borrow.
pub(crate) fn expr_value_ref(v: Option<ValueRef<'_>>) -> Value {
    match v {
        None => Value::Null,
        Some(ValueRef::Number(n)) => Value::Num(n),
        Some(ValueRef::Text(s)) if s.trim().is_empty() => Value::Null,
        Some(ValueRef::Text(s)) => Value::Str(s.to_owned()),
        Some(ValueRef::Codes(c)) if c.is_empty() => Value::Null,
        Some(ValueRef::Codes(c)) => Value::List(c.iter().map(str::to_owned).collect()),
    }
}

/// Evaluation environment over answers, where irrelevant questions read as unanswered.
pub(crate) struct AnswerEnv<'a, A: Lookup + ?Sized = BTreeMap<String, Answer>> {
    /// The questionnaire.
    pub q: &'a Questionnaire,
    /// The answers.
    pub answers: &'a A,
    /// Relevance computed so far (indices beyond its length count as relevant).
    pub relevant: &'a [bool],
    /// The value for `.`.
    pub current: Value,
    /// The clock, for `today()` and `now()` (`Null` without one).
    pub clock: Option<jiff::ZonedDateTime>,
}

impl<A: Lookup + ?Sized> Env for AnswerEnv<'_, A> {
    fn get(&self, name: &str) -> Value {
        match self.q.index_of(name) {
            Some(i) if self.relevant.get(i).copied().unwrap_or(true) => expr_value_ref(self.answers.value(i, name)),
            _ => Value::Null,
        }
    }
    fn current(&self) -> Value {
        self.current.clone()
    }
    fn now(&self) -> Option<jiff::ZonedDateTime> {
        self.clock.clone()
    }
    fn choice_label(&self, question: &str, code: &str) -> Value {
        self.q
            .question(question)
            .and_then(|qq| qq.option(code))
            .map_or(Value::Null, |o| Value::Str(self.q.tr(&o.label).to_string()))
    }
}

/// An option seen by its question's `choice_filter`: bare names are its attributes (`name` its
/// code, `label` its label), everything else as `env` has it.
struct OptionEnv<'a, E: Env + ?Sized> {
    env: &'a E,
    q: &'a Questionnaire,
    choice: &'a Choice,
}

impl<E: Env + ?Sized> Env for OptionEnv<'_, E> {
    fn get(&self, name: &str) -> Value {
        self.env.get(name)
    }
    fn now(&self) -> Option<jiff::ZonedDateTime> {
        self.env.now()
    }
    fn attr(&self, name: &str) -> Value {
        match name {
            "name" => Value::Str(self.choice.code.clone()),
            "label" => Value::Str(self.q.tr(&self.choice.label).to_string()),
            _ => self
                .choice
                .attr(name)
                .map_or(Value::Null, |v| Value::Str(v.to_string())),
        }
    }
    fn choice_label(&self, question: &str, code: &str) -> Value {
        self.env.choice_label(question, code)
    }
}

/// Whether `choice` of `qq` is offered with the answers of `env` (its `choice_filter` holds;
/// always without one).
pub(crate) fn offered(q: &Questionnaire, qq: &Question, choice: &Choice, env: &dyn Env) -> bool {
    qq.choice_filter
        .as_ref()
        .is_none_or(|f| f.test(&OptionEnv { env, q, choice }))
}

/// The options of `qq` offered with the answers of `env`, as indices: by one lookup for a
/// filter `attribute = ${question}` answered with a text (or unanswered), as evaluating it per
/// option would give; else by evaluating it for each option.
pub(crate) fn offered_options(q: &Questionnaire, qq: &Question, env: &dyn Env) -> Vec<usize> {
    if let Some(ix) = &qq.filter_index {
        // `attr = ${q}`: a text equals a text as text; unanswered equals '' and what is missing.
        match env.get(&ix.question) {
            Value::Str(s) => return ix.by_value.get(&s).cloned().unwrap_or_default(),
            Value::Null => {
                let mut v = ix.without.clone();
                v.extend(ix.by_value.get("").into_iter().flatten());
                v.sort_unstable();
                return v;
            }
            _ => {}
        }
    }
    (0..qq.options.len())
        .filter(|&i| offered(q, qq, &qq.options[i], env))
        .collect()
}

/// The clock of a stored record: the time of its last change (`updated`), in UTC.
pub(crate) fn record_clock(updated: &str) -> Option<jiff::ZonedDateTime> {
    clock_at(updated, &jiff::tz::TimeZone::UTC)
}

/// The clock at an RFC 3339 time (a record's `updated`, the interviewer's now) in `zone`.
pub(crate) fn clock_at(rfc3339: &str, zone: &jiff::tz::TimeZone) -> Option<jiff::ZonedDateTime> {
    rfc3339
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| jiff::ZonedDateTime::new(t, zone.clone()))
}

/// Relevance of every question: a question is relevant when its block's and its own
/// `relevant` hold, evaluated with irrelevant questions reading as unanswered. Calculations are
/// read as stored (the report and merge evaluate nothing else); see [`evaluate`] to recompute
/// them.
///
/// `clock` is what `today()` and `now()` read: the interviewer's now, or for a stored record
/// the time of its last change (`updated`), so that merge and the report see what the
/// interviewer saw.
pub(crate) fn relevance<A: Lookup + ?Sized>(
    q: &Questionnaire,
    answers: &A,
    clock: Option<&jiff::ZonedDateTime>,
) -> Vec<bool> {
    walk(q, answers, false, clock).rel
}

/// [`relevance`], and the questions that are relevant though their stored code is no longer
/// offered by their choice filter (so `relevance` says false for them): such a question is
/// still asked, and a completed interview must answer it again if it is required.
pub(crate) fn relevance_and_stale<A: Lookup + ?Sized>(
    q: &Questionnaire,
    answers: &A,
    clock: Option<&jiff::ZonedDateTime>,
) -> (Vec<bool>, Vec<bool>) {
    let w = walk(q, answers, false, clock);
    (w.rel, w.stale)
}

/// Relevance and the values of the calculations, recomputed from the answers: what the
/// interviewer (and `simulate`) store after every change. A calculation that is not relevant,
/// or whose result is empty or not a finite number where a number is expected, has no value.
#[cfg(test)]
pub(crate) fn evaluate<A: Lookup + ?Sized>(
    q: &Questionnaire,
    answers: &A,
    clock: Option<&jiff::ZonedDateTime>,
) -> (Vec<bool>, Vec<(usize, Option<AnswerValue>)>) {
    let w = walk(q, answers, true, clock);
    (w.rel, w.calcs)
}

/// Recomputes the calculations into `answers` (a calculation without a value has no answer)
/// and marks every answer relevant or not; returns the relevance and the questions whose
/// stored code their choice filter no longer offers (relevant questions whose answer does not
/// count). The one way the interviewer and `simulate` bring a record up to date after a change.
pub(crate) fn apply_rules(
    q: &Questionnaire,
    answers: &mut BTreeMap<String, Answer>,
    clock: Option<&jiff::ZonedDateTime>,
) -> (Vec<bool>, Vec<bool>) {
    let Walk { rel, stale, calcs } = walk(q, answers, true, clock);
    store_rules(q, answers, &rel, calcs, None);
    (rel, stale)
}

/// [`apply_rules`] after question `changed` alone changed its answer, from the relevance and
/// stale codes computed before: only the questions that depend on it, directly or through
/// others, are evaluated again — the same result as the whole walk (a test holds them equal),
/// in a fraction of the time on a large questionnaire.
pub(crate) fn apply_rules_after(
    q: &Questionnaire,
    answers: &mut BTreeMap<String, Answer>,
    clock: Option<&jiff::ZonedDateTime>,
    changed: usize,
    before: (Vec<bool>, Vec<bool>),
) -> (Vec<bool>, Vec<bool>) {
    let n = q.questions.len();
    let mut dirty = vec![false; n];
    let mut todo = vec![changed];
    while let Some(j) = todo.pop() {
        for &u in &q.users[j] {
            if !dirty[u] {
                dirty[u] = true;
                todo.push(u);
            }
        }
    }
    // The question itself: its own stored code may have become (or stopped being) offered.
    dirty[changed] = true;
    let (rel0, stale0) = before;
    let Walk { rel, stale, calcs } = walk_part(q, answers, true, clock, rel0, stale0, Some(&dirty));
    store_rules(q, answers, &rel, calcs, Some(&dirty));
    (rel, stale)
}

/// Writes the calculations into `answers` and each answer's relevance flag (of the `dirty`
/// questions only, when given).
fn store_rules(
    q: &Questionnaire,
    answers: &mut BTreeMap<String, Answer>,
    rel: &[bool],
    calcs: Vec<(usize, Option<AnswerValue>)>,
    dirty: Option<&[bool]>,
) {
    for (qi, v) in calcs {
        let id = &q.questions[qi].id;
        match v {
            Some(v) => {
                let a = answers.entry(id.clone()).or_default();
                if a.value.as_ref() != Some(&v) {
                    a.value = Some(v);
                }
            }
            None => {
                answers.remove(id);
            }
        }
    }
    match dirty {
        None => {
            for (k, a) in answers.iter_mut() {
                if let Some(i) = q.index_of(k) {
                    a.relevant = rel[i];
                }
            }
        }
        Some(d) => {
            for (i, qq) in q.questions.iter().enumerate() {
                if d[i]
                    && let Some(a) = answers.get_mut(&qq.id)
                {
                    a.relevant = rel[i];
                }
            }
        }
    }
}

/// What the walk found.
struct Walk {
    /// Per question: relevant, and its stored answer counts.
    rel: Vec<bool>,
    /// Per question: relevant, but its stored code is no longer offered (so `rel` is false).
    stale: Vec<bool>,
    /// The recomputed calculations.
    calcs: Vec<(usize, Option<AnswerValue>)>,
}

/// Answers with the calculations computed so far laid over them.
struct Overlay<'a, A: ?Sized> {
    answers: &'a A,
    /// Per question: the recomputed value of a calculation, once computed.
    calc: Vec<Option<Option<AnswerValue>>>,
}

impl<A: Lookup + ?Sized> Lookup for Overlay<'_, A> {
    fn value(&self, index: usize, var: &str) -> Option<ValueRef<'_>> {
        match self.calc.get(index) {
            Some(Some(v)) => v.as_ref().map(AnswerValue::borrowed),
            _ => self.answers.value(index, var),
        }
    }
}

/// The one walk in [`Questionnaire::order`]: relevance, and with `recompute` the calculations.
fn walk<A: Lookup + ?Sized>(
    q: &Questionnaire,
    answers: &A,
    recompute: bool,
    clock: Option<&jiff::ZonedDateTime>,
) -> Walk {
    let n = q.questions.len();
    walk_part(q, answers, recompute, clock, vec![true; n], vec![false; n], None)
}

/// The walk, over every question (`dirty` `None`) or only over those marked dirty, the others
/// keeping their `rel` and `stale` as given (and their calculations as stored).
fn walk_part<A: Lookup + ?Sized>(
    q: &Questionnaire,
    answers: &A,
    recompute: bool,
    clock: Option<&jiff::ZonedDateTime>,
    mut rel: Vec<bool>,
    mut stale: Vec<bool>,
    dirty: Option<&[bool]>,
) -> Walk {
    let n = q.questions.len();
    let mut block_rel: Vec<Option<bool>> = vec![None; q.blocks.len()];
    let mut over = Overlay {
        answers,
        calc: vec![None; if recompute { n } else { 0 }],
    };
    let mut calcs = Vec::new();
    for &qi in &q.order {
        if dirty.is_some_and(|d| !d[qi]) {
            continue;
        }
        stale[qi] = false;
        let qq = &q.questions[qi];
        let b = qq.block;
        let block_ok = match block_rel[b] {
            Some(ok) => ok,
            None => {
                let env = AnswerEnv {
                    q,
                    answers: &over,
                    relevant: &rel,
                    current: Value::Null,
                    clock: clock.cloned(),
                };
                let ok = q.blocks[b].relevant.as_ref().is_none_or(|e| e.test(&env));
                block_rel[b] = Some(ok);
                ok
            }
        };
        let env = AnswerEnv {
            q,
            answers: &over,
            relevant: &rel,
            current: Value::Null,
            clock: clock.cloned(),
        };
        rel[qi] = block_ok && qq.relevant.as_ref().is_none_or(|e| e.test(&env));
        // A stored code its choice filter no longer offers counts as no answer (kept in the
        // file, marked not relevant, as the answer of an irrelevant question is): only the
        // codes chosen are tested, not the whole list.
        if rel[qi] && qq.choice_filter.is_some() {
            let codes: Vec<&str> = match over.value(qi, &qq.id) {
                Some(ValueRef::Text(c)) => vec![c],
                Some(ValueRef::Codes(cs)) => cs.iter().collect(),
                _ => Vec::new(),
            };
            let env = AnswerEnv {
                q,
                answers: &over,
                relevant: &rel,
                current: Value::Null,
                clock: clock.cloned(),
            };
            if codes
                .iter()
                .any(|c| qq.option(c).is_some_and(|o| !offered(q, qq, o, &env)))
            {
                stale[qi] = true;
                rel[qi] = false;
            }
        }
        if recompute && let Some(e) = qq.calculation() {
            let value = if rel[qi] {
                let env = AnswerEnv {
                    q,
                    answers: &over,
                    relevant: &rel,
                    current: Value::Null,
                    clock: clock.cloned(),
                };
                calculated(e.eval(&env), qq.kind.is_numeric())
            } else {
                None
            };
            over.calc[qi] = Some(value.clone());
            calcs.push((qi, value));
        }
    }
    Walk { rel, stale, calcs }
}

/// An expression's value as an answer to `qq` (a default): a code of one of its options for a
/// single, such codes (separated by spaces) for a multi, a finite number for a number, a valid
/// date for a date, a non-empty text for a text; nothing when it is none of these.
pub(crate) fn as_answer(qq: &Question, v: Value) -> Option<AnswerValue> {
    if v == Value::Null {
        return None;
    }
    let text = v.as_string();
    match &qq.kind {
        Kind::Single => qq.option(text.trim()).map(|o| AnswerValue::Text(o.code.clone())),
        Kind::Multi { .. } => {
            let codes: Vec<String> = match &v {
                Value::List(l) => l.clone(),
                _ => text.split_whitespace().map(str::to_string).collect(),
            };
            (!codes.is_empty() && codes.iter().all(|c| qq.option(c).is_some())).then_some(AnswerValue::Codes(codes))
        }
        Kind::Number { .. } => Some(v.as_num()).filter(|n| n.is_finite()).map(AnswerValue::Number),
        Kind::Date => parse_date(text.trim()).map(|_| AnswerValue::Text(text.trim().to_string())),
        Kind::Text { .. } | Kind::LongText { .. } => (!text.trim().is_empty()).then_some(AnswerValue::Text(text)),
        Kind::Note | Kind::Calculate { .. } => None,
    }
}

/// The stored value of a calculation's result: a finite number (for a numeric calculation, or
/// whenever the result is a number), else a non-empty text; nothing for an empty result.
fn calculated(v: Value, numeric: bool) -> Option<AnswerValue> {
    match v {
        Value::Null => None,
        Value::Num(n) if n.is_finite() => Some(AnswerValue::Number(n)),
        Value::Num(_) => None,
        v if numeric => {
            let n = v.as_num();
            n.is_finite().then_some(AnswerValue::Number(n))
        }
        v => {
            let s = v.as_string();
            (!s.is_empty()).then_some(AnswerValue::Text(s))
        }
    }
}

/// Why an answer cannot be accepted (hard) or needs confirmation (soft).
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A required question has no answer.
    Required,
    /// The typed text is not a number.
    NotANumber,
    /// A whole number was expected.
    NotInteger,
    /// Below `min`.
    BelowMin(f64),
    /// Above `max`.
    AboveMax(f64),
    /// Longer than `max_length` characters.
    TooLong(u32),
    /// Fewer selections than `min`.
    TooFew(u32),
    /// More selections than `max`.
    TooMany(u32),
    /// Not a valid `YYYY-MM-DD` date.
    BadDate,
    /// An `other` option is chosen but "specify" is empty.
    OtherMissing,
    /// The option chosen is no longer offered (its choice filter changed with another answer).
    NotOffered,
    /// The `constraint` failed (with its message).
    Constraint(Option<Text>),
    /// The `warning` failed (soft; with its message).
    Warning(Option<Text>),
}

/// The checks of an answer, among the other answers of its record with the relevance computed
/// so far: what the interviewer applies while answering and `simulate` while generating.
pub(crate) struct Checks<'a> {
    /// The questionnaire.
    pub q: &'a Questionnaire,
    /// Relevance of the questions (see [`relevance`]).
    pub rel: &'a [bool],
    /// The record's answers (for the expressions of `constraint` and `warning`).
    pub answers: &'a BTreeMap<String, Answer>,
    /// The clock (see [`relevance`]).
    pub clock: Option<&'a jiff::ZonedDateTime>,
}

impl Checks<'_> {
    /// Checks answer `a` to question `qi` against its type rules and `constraint` (hard
    /// problems).
    pub(crate) fn hard(&self, qi: usize, a: &Answer) -> Option<Problem> {
        let qq = &self.q.questions[qi];
        let Some(v) = a.value.as_ref().filter(|v| !is_empty(v)) else {
            return qq.required.then_some(Problem::Required);
        };
        if let Some(p) = type_check(qq, v) {
            return Some(p);
        }
        if qq.options.iter().any(|o| o.other && selected(v, &o.code))
            && a.other.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            return Some(Problem::OtherMissing);
        }
        match &qq.constraint {
            Some(c) if !c.expr.test(&self.env(v)) => Some(Problem::Constraint(c.message.clone())),
            _ => None,
        }
    }

    /// The soft check: `Some` when the `warning` expression fails for a present value.
    pub(crate) fn soft(&self, qi: usize, a: &Answer) -> Option<Problem> {
        let v = a.value.as_ref().filter(|v| !is_empty(v))?;
        let w = self.q.questions[qi].warning.as_ref()?;
        (!w.expr.test(&self.env(v))).then(|| Problem::Warning(w.message.clone()))
    }

    /// The environment of a check: `.` is the value being checked.
    fn env(&self, v: &AnswerValue) -> AnswerEnv<'_> {
        AnswerEnv {
            q: self.q,
            answers: self.answers,
            relevant: self.rel,
            current: expr_value(Some(v)),
            clock: self.clock.cloned(),
        }
    }
}

/// Whether a value counts as no answer.
pub fn is_empty(v: &AnswerValue) -> bool {
    match v {
        AnswerValue::Text(s) => s.trim().is_empty(),
        AnswerValue::Codes(c) => c.is_empty(),
        AnswerValue::Number(n) => n.is_nan(),
    }
}

fn selected(v: &AnswerValue, code: &str) -> bool {
    match v {
        AnswerValue::Text(s) => s == code,
        AnswerValue::Codes(c) => c.iter().any(|x| x == code),
        AnswerValue::Number(_) => false,
    }
}

/// Type rules: range and integrality of numbers, length of texts, count of selections, dates.
pub(crate) fn type_check(qq: &Question, v: &AnswerValue) -> Option<Problem> {
    type_check_ref(qq, v.borrowed())
}

/// [`type_check`] of a value seen through a borrow (a stored record's, checked by merge).
pub(crate) fn type_check_ref(qq: &Question, v: ValueRef<'_>) -> Option<Problem> {
    match (&qq.kind, v) {
        (Kind::Number { min, max, integer, .. }, ValueRef::Number(n)) => {
            let n = &n;
            if !n.is_finite() {
                Some(Problem::NotANumber)
            } else if *integer && n.fract() != 0.0 {
                Some(Problem::NotInteger)
            } else if min.is_some_and(|m| *n < m) {
                min.map(Problem::BelowMin)
            } else if max.is_some_and(|m| *n > m) {
                max.map(Problem::AboveMax)
            } else {
                None
            }
        }
        (Kind::Text { max_length } | Kind::LongText { max_length }, ValueRef::Text(s)) => {
            (s.chars().count() > *max_length as usize).then_some(Problem::TooLong(*max_length))
        }
        (Kind::Multi { min, max }, ValueRef::Codes(c)) => {
            let exclusive_alone = c.len() == 1 && qq.option(c.get(0)).is_some_and(|o| o.exclusive);
            if max.is_some_and(|m| c.len() > m as usize) {
                max.map(Problem::TooMany)
            } else if !exclusive_alone && min.is_some_and(|m| c.len() < m as usize) {
                min.map(Problem::TooFew)
            } else {
                None
            }
        }
        (Kind::Date, ValueRef::Text(s)) => parse_date(s).is_none().then_some(Problem::BadDate),
        _ => None,
    }
}
