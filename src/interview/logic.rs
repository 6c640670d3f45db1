//! Relevance and checks: the rules of a questionnaire applied to a set of answers.
//!
//! Shared by the interviewer, `simulate` and `report` (relevance and `--where`). Whether a
//! stored record fits its questionnaire at all is [`crate::record::fit`].

use crate::expr::{Env, Value};
use crate::questionnaire::{Choice, Kind, MAX_ROSTER_DEPTH, Question, Questionnaire, Text};
use crate::record::fit::parse_date;
use crate::record::{Answer, AnswerValue, Answers, Instance, Rosters, ValueRef};
use std::collections::BTreeMap;

/// Maps and sets keyed by (question, place), hashed with foldhash (the keys are small
/// integers; nothing to defend against): merge builds them for every record with rosters.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

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

/// A place in an interview: the top level (empty), or an instance of a roster given by the
/// 0-based indices of the stored instances along its chain of rosters, outermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct At {
    len: u8,
    ix: [u32; MAX_ROSTER_DEPTH],
}

impl At {
    /// The top level.
    pub const TOP: At = At {
        len: 0,
        ix: [0; MAX_ROSTER_DEPTH],
    };

    /// The indices, outermost first.
    pub fn as_slice(&self) -> &[u32] {
        &self.ix[..self.len as usize]
    }

    /// How many rosters deep.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether this is the top level.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first `n` levels.
    pub fn prefix(&self, n: usize) -> At {
        let k = n.min(self.len());
        let mut a = At::TOP;
        a.len = k as u8;
        a.ix[..k].copy_from_slice(&self.ix[..k]);
        a
    }

    /// Instance `i` of a roster nested here (`None` beyond the deepest nesting).
    pub fn child(&self, i: u32) -> Option<At> {
        let mut a = *self;
        let k = a.len();
        *a.ix.get_mut(k)? = i;
        a.len += 1;
        Some(a)
    }

    /// The innermost index.
    pub fn last(&self) -> Option<u32> {
        self.as_slice().last().copied()
    }

    /// From 0-based indices (`None` when too deep).
    pub fn from_slice(ix: &[u32]) -> Option<At> {
        ix.iter().try_fold(At::TOP, |a, &i| a.child(i))
    }

    /// Whether `self` is `other` or inside it.
    pub fn within(&self, other: &At) -> bool {
        self.as_slice().starts_with(other.as_slice())
    }

    /// The place both `self` and `other` are inside: their common leading indices.
    pub fn common(&self, other: &At) -> At {
        let n = self
            .as_slice()
            .iter()
            .zip(other.as_slice())
            .take_while(|(x, y)| x == y)
            .count();
        self.prefix(n)
    }
}

/// The rosters around roster `r` and `r`, outermost first, and how many.
pub(crate) fn chain(q: &Questionnaire, r: usize) -> ([usize; MAX_ROSTER_DEPTH], usize) {
    let mut c = [0; MAX_ROSTER_DEPTH];
    let mut n = 0;
    let mut at = Some(r);
    while let Some(x) = at {
        if n == MAX_ROSTER_DEPTH {
            break;
        }
        c[n] = x;
        n += 1;
        at = q.rosters[x].parent;
    }
    c[..n].reverse();
    (c, n)
}

/// How many rosters the chains of `a` and `b` (rosters, or the top level) share, from the
/// outermost: a name of one read from the other is read at that depth.
fn shared_depth(q: &Questionnaire, a: Option<usize>, b: Option<usize>) -> usize {
    let (ca, na) = a.map_or(([0; MAX_ROSTER_DEPTH], 0), |r| chain(q, r));
    let (cb, nb) = b.map_or(([0; MAX_ROSTER_DEPTH], 0), |r| chain(q, r));
    ca[..na].iter().zip(&cb[..nb]).take_while(|(x, y)| x == y).count()
}

/// The place inside which the instances of roster `r`'s own questions must be evaluated again,
/// per [`dirty_after`] (`None`: none of them).
pub(crate) fn dirty_within(q: &Questionnaire, dirty: &[Option<At>], r: usize) -> Option<At> {
    q.rosters[r]
        .questions
        .clone()
        .filter(|&i| q.questions[i].roster == Some(r))
        .filter_map(|i| dirty[i])
        .reduce(|a, b| a.common(&b))
}

/// How many rosters deep a question of roster `r` is (0 at the top level).
pub(crate) fn depth(q: &Questionnaire, r: Option<usize>) -> usize {
    r.map_or(0, |r| chain(q, r).1)
}

/// The answers of an interview, its rosters' instances included: what the walk reads.
pub(crate) trait Tree {
    /// The answers at `at`: the top level for `r` `None`, else the instance `at` of roster `r`.
    fn level(&self, q: &Questionnaire, r: Option<usize>, at: At) -> Option<&dyn Lookup>;
    /// Per stored instance of roster `r` inside `parent` (an instance of `r`'s parent roster,
    /// or the top level): whether it is live (not removed).
    fn live(&self, q: &Questionnaire, r: usize, parent: At) -> Vec<bool>;
}

/// Answers without rosters.
impl<L: Lookup> Tree for L {
    fn level(&self, _: &Questionnaire, r: Option<usize>, _: At) -> Option<&dyn Lookup> {
        r.is_none().then_some(self as &dyn Lookup)
    }
    fn live(&self, _: &Questionnaire, _: usize, _: At) -> Vec<bool> {
        Vec::new()
    }
}

/// An owned record's answers and rosters.
#[derive(Clone, Copy)]
pub(crate) struct Owned<'a> {
    /// The answers of the top level.
    pub answers: &'a BTreeMap<String, Answer>,
    /// The rosters' instances.
    pub rosters: &'a Rosters,
}

/// The instance `at` of roster `r` in `rosters`.
pub(crate) fn instance<'r>(q: &Questionnaire, rosters: &'r Rosters, r: usize, at: At) -> Option<&'r Instance> {
    let (c, n) = chain(q, r);
    let mut level = rosters;
    let mut found = None;
    for (k, &x) in c[..n].iter().enumerate() {
        let i = level.get(&q.rosters[x].id)?.get(*at.as_slice().get(k)? as usize)?;
        level = &i.rosters;
        found = Some(i);
    }
    found
}

/// [`instance`], to change it.
pub(crate) fn instance_mut<'r>(
    q: &Questionnaire,
    rosters: &'r mut Rosters,
    r: usize,
    at: At,
) -> Option<&'r mut Instance> {
    let (c, n) = chain(q, r);
    let (&last, outer) = c[..n].split_last()?;
    let mut level = rosters;
    for (k, &x) in outer.iter().enumerate() {
        level = &mut level
            .get_mut(&q.rosters[x].id)?
            .get_mut(*at.as_slice().get(k)? as usize)?
            .rosters;
    }
    level
        .get_mut(&q.rosters[last].id)?
        .get_mut(*at.as_slice().get(n - 1)? as usize)
}

/// The instances of roster `r` inside `parent` (`None` when `parent` does not exist).
pub(crate) fn instances_of<'r>(
    q: &Questionnaire,
    rosters: &'r Rosters,
    r: usize,
    parent: At,
) -> Option<&'r [Instance]> {
    let level = match q.rosters[r].parent {
        None => rosters,
        Some(p) => &instance(q, rosters, p, parent)?.rosters,
    };
    Some(level.get(&q.rosters[r].id).map_or(&[][..], Vec::as_slice))
}

impl Tree for Owned<'_> {
    fn level(&self, q: &Questionnaire, r: Option<usize>, at: At) -> Option<&dyn Lookup> {
        match r {
            None => Some(self.answers),
            Some(r) => instance(q, self.rosters, r, at).map(|i| &i.answers as &dyn Lookup),
        }
    }
    fn live(&self, q: &Questionnaire, r: usize, parent: At) -> Vec<bool> {
        instances_of(q, self.rosters, r, parent).map_or_else(Vec::new, |v| v.iter().map(Instance::live).collect())
    }
}

/// A stored record's answers and rosters, borrowed from its text (merge, the report).
#[derive(Clone, Copy)]
pub(crate) struct Viewed<'a, 'v> {
    /// The answers of the top level.
    pub answers: &'a Answers<'v>,
    /// The rosters' instances.
    pub rosters: &'a crate::record::view::RostersView<'v>,
}

impl<'v> Viewed<'_, 'v> {
    fn instance(&self, q: &Questionnaire, r: usize, at: At) -> Option<&crate::record::view::InstanceView<'v>> {
        let (c, n) = chain(q, r);
        let mut level = self.rosters;
        let mut found = None;
        for (k, &x) in c[..n].iter().enumerate() {
            let id = &q.rosters[x].id;
            let list = &level.0.iter().find(|(name, _)| name.as_str() == id)?.1;
            let i = list.get(*at.as_slice().get(k)? as usize)?;
            level = &i.rosters;
            found = Some(i);
        }
        found
    }
}

impl Tree for Viewed<'_, '_> {
    fn level(&self, q: &Questionnaire, r: Option<usize>, at: At) -> Option<&dyn Lookup> {
        match r {
            None => Some(self.answers),
            Some(r) => self.instance(q, r, at).map(|i| &i.answers as &dyn Lookup),
        }
    }
    fn live(&self, q: &Questionnaire, r: usize, parent: At) -> Vec<bool> {
        let level = match q.rosters[r].parent {
            None => Some(self.rosters),
            Some(p) => self.instance(q, p, parent).map(|i| &i.rosters),
        };
        level
            .and_then(|l| l.0.iter().find(|(name, _)| name.as_str() == q.rosters[r].id))
            .map_or_else(Vec::new, |(_, v)| v.iter().map(|i| i.live()).collect())
    }
}

/// The rules of a stored record read through a borrow, its rosters included (calculations read
/// as stored): what merge checks the record's `relevant` flags against.
pub(crate) fn rules_of_view(q: &Questionnaire, tree: Viewed<'_, '_>, clock: Option<&jiff::ZonedDateTime>) -> Rules {
    walk(q, &tree, false, clock).rules
}

/// [`rules_of_view`], and what the walk found of the rosters on its way: whether each is asked
/// ([`roster_is_relevant`]) inside the place of each of its live instances.
pub(crate) fn rules_and_rosters_of_view(
    q: &Questionnaire,
    tree: Viewed<'_, '_>,
    clock: Option<&jiff::ZonedDateTime>,
) -> (Rules, RostersAsked) {
    let w = walk(q, &tree, false, clock);
    (w.rules, w.rosters)
}

/// Whether a roster is asked inside a place, as a walk found it: its block's relevance, and the
/// roster's (its own `relevant` and the rosters' around it) inside each place it met.
#[derive(Debug, Default)]
pub(crate) struct RostersAsked {
    blocks: Vec<Option<bool>>,
    rosters: HashMap<(usize, At), bool>,
}

impl RostersAsked {
    /// Whether roster `r` is asked inside `parent` ([`roster_is_relevant`]), if the walk met it
    /// there.
    pub fn get(&self, q: &Questionnaire, r: usize, parent: At) -> Option<bool> {
        let block = self.blocks.get(q.rosters[r].block).copied().flatten()?;
        Some(block && *self.rosters.get(&(r, parent))?)
    }
}

/// The live instances of roster `r` inside `within` (an instance of a roster around `r`, or the
/// top level), at any depth below it.
pub(crate) fn live_paths<T: Tree + ?Sized>(q: &Questionnaire, tree: &T, r: usize, within: At) -> Vec<At> {
    let (c, n) = chain(q, r);
    let mut level = vec![within];
    for &x in &c[within.len().min(n)..n] {
        let mut next = Vec::new();
        for p in level {
            for (i, live) in tree.live(q, x, p).into_iter().enumerate() {
                if live && let Some(a) = p.child(i as u32) {
                    next.push(a);
                }
            }
        }
        level = next;
    }
    level
}

/// Relevance of every question: a question is relevant when its block's and its own
/// `relevant` hold, evaluated with irrelevant questions reading as unanswered. Calculations are
/// read as stored (the report and merge evaluate nothing else); see [`evaluate`] to recompute
/// them.
///
/// `clock` is what `today()` and `now()` read: the interviewer's now, or for a stored record
/// the time of its last change (`updated`), so that merge and the report see what the
/// interviewer saw.
pub(crate) fn relevance<A: Lookup>(q: &Questionnaire, answers: &A, clock: Option<&jiff::ZonedDateTime>) -> Vec<bool> {
    walk(q, answers, false, clock).rules.rel
}

/// [`relevance`], and the questions that are relevant though their stored code is no longer
/// offered by their choice filter (so `relevance` says false for them): such a question is
/// still asked, and a completed interview must answer it again if it is required.
pub(crate) fn relevance_and_stale<A: Lookup>(
    q: &Questionnaire,
    answers: &A,
    clock: Option<&jiff::ZonedDateTime>,
) -> (Vec<bool>, Vec<bool>) {
    let w = walk(q, answers, false, clock);
    (w.rules.rel, w.rules.stale)
}

/// Relevance and the values of the calculations, recomputed from the answers: what the
/// interviewer (and `simulate`) store after every change. A calculation that is not relevant,
/// or whose result is empty or not a finite number where a number is expected, has no value.
#[cfg(test)]
pub(crate) fn evaluate<A: Lookup>(
    q: &Questionnaire,
    answers: &A,
    clock: Option<&jiff::ZonedDateTime>,
) -> (Vec<bool>, Vec<(usize, Option<AnswerValue>)>) {
    let w = walk(q, answers, true, clock);
    (w.rules.rel, w.calcs.into_iter().map(|((qi, _), v)| (qi, v)).collect())
}

/// What the rules say of an interview as it stands: relevance, and stale codes, of every
/// question at the top level and in every live instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    /// Per question at the top level: relevant, and its stored answer counts.
    pub rel: Vec<bool>,
    /// Per question at the top level: relevant, but its stored code is no longer offered (so
    /// `rel` is false).
    pub stale: Vec<bool>,
    /// The same for the questions of rosters, per (question, instance); an instance's question
    /// not listed is not relevant.
    pub rel_in: HashMap<(usize, At), bool>,
    /// The (question, instance) pairs whose stored code is no longer offered.
    pub stale_in: HashSet<(usize, At)>,
}

impl Rules {
    /// Whether question `qi` is relevant at `at` (its stored answer counts).
    pub fn rel(&self, q: &Questionnaire, qi: usize, at: At) -> bool {
        match q.questions[qi].roster {
            None => self.rel.get(qi).copied().unwrap_or(true),
            Some(_) => self.rel_in.get(&(qi, at)).copied().unwrap_or(false),
        }
    }

    /// Whether question `qi`'s stored code at `at` is no longer offered.
    pub fn stale(&self, q: &Questionnaire, qi: usize, at: At) -> bool {
        match q.questions[qi].roster {
            None => self.stale.get(qi).copied().unwrap_or(false),
            Some(_) => self.stale_in.contains(&(qi, at)),
        }
    }
}

/// Recomputes the calculations into `answers` (a calculation without a value has no answer)
/// and marks every answer relevant or not; returns the relevance and the questions whose
/// stored code their choice filter no longer offers (relevant questions whose answer does not
/// count). The one way the interviewer and `simulate` bring a record up to date after a change.
#[cfg(test)]
pub(crate) fn apply_rules(
    q: &Questionnaire,
    answers: &mut BTreeMap<String, Answer>,
    clock: Option<&jiff::ZonedDateTime>,
) -> (Vec<bool>, Vec<bool>) {
    let mut none = Rosters::new();
    let r = apply_rules_in(q, answers, &mut none, clock);
    (r.rel, r.stale)
}

/// [`apply_rules`] of an interview with rosters: every live instance too.
pub(crate) fn apply_rules_in(
    q: &Questionnaire,
    answers: &mut BTreeMap<String, Answer>,
    rosters: &mut Rosters,
    clock: Option<&jiff::ZonedDateTime>,
) -> Rules {
    let Walk { rules, calcs, .. } = walk(q, &Owned { answers, rosters }, true, clock);
    store_rules(q, answers, rosters, &rules, calcs, None);
    rules
}

/// [`apply_rules`] after question `changed` alone changed its answer, from the relevance and
/// stale codes computed before: only the questions that depend on it, directly or through
/// others, are evaluated again — the same result as the whole walk (a test holds them equal),
/// in a fraction of the time on a large questionnaire.
#[cfg(test)]
pub(crate) fn apply_rules_after(
    q: &Questionnaire,
    answers: &mut BTreeMap<String, Answer>,
    clock: Option<&jiff::ZonedDateTime>,
    changed: usize,
    before: (Vec<bool>, Vec<bool>),
) -> (Vec<bool>, Vec<bool>) {
    let mut none = Rosters::new();
    let before = Rules {
        rel: before.0,
        stale: before.1,
        ..Rules::default()
    };
    let r = apply_rules_in_after(q, answers, &mut none, clock, changed, At::TOP, before);
    (r.rel, r.stale)
}

/// [`apply_rules_after`] of an interview with rosters: question `changed` changed at `at`. Within
/// a roster only the instances that can depend on it are evaluated again: the same instance for
/// the questions of its roster (and of rosters nested in it), every instance for a question that
/// depends on it through an aggregate outside.
pub(crate) fn apply_rules_in_after(
    q: &Questionnaire,
    answers: &mut BTreeMap<String, Answer>,
    rosters: &mut Rosters,
    clock: Option<&jiff::ZonedDateTime>,
    changed: usize,
    at: At,
    before: Rules,
) -> Rules {
    let dirty = dirty_after(q, changed, at);
    let Walk { rules, calcs, .. } = walk_part(q, &Owned { answers, rosters }, true, clock, before, Some(&dirty));
    store_rules(q, answers, rosters, &rules, calcs, Some(&dirty));
    rules
}

/// What a change of question `changed` at `at` can change: per question, the place inside which
/// every live instance must be evaluated again (`None`: none) — the users of `changed`,
/// directly or through others, each at the rosters it shares with what it reads.
pub(crate) fn dirty_after(q: &Questionnaire, changed: usize, at: At) -> Vec<Option<At>> {
    let n = q.questions.len();
    // Per question: evaluate it at every live instance inside this place (`None`: not at all).
    let mut dirty: Vec<Option<At>> = vec![None; n];
    // A user of question j reads it at the rosters the two share.
    let place = |j: usize, a: At, u: usize| a.prefix(shared_depth(q, q.questions[j].roster, q.questions[u].roster));
    dirty[changed] = Some(at.prefix(depth(q, q.questions[changed].roster)));
    let mut todo = vec![changed];
    while let Some(j) = todo.pop() {
        let Some(a) = dirty[j] else { continue };
        for &u in &q.users[j] {
            let mut want = place(j, a, u);
            // Read in the other instances too: all of the roster's instances around.
            if let Some(&(_, d)) = q.across.get(j).and_then(|x| x.iter().find(|(w, _)| *w == u)) {
                want = want.prefix(want.len().min(d));
            }
            let merged = dirty[u].map_or(want, |had| had.common(&want));
            if dirty[u] != Some(merged) {
                dirty[u] = Some(merged);
                todo.push(u);
            }
        }
    }
    dirty
}

/// Writes the calculations into the answers and each answer's relevance flag (of the `dirty`
/// questions only, when given).
fn store_rules(
    q: &Questionnaire,
    answers: &mut BTreeMap<String, Answer>,
    rosters: &mut Rosters,
    rules: &Rules,
    calcs: Vec<((usize, At), Option<AnswerValue>)>,
    dirty: Option<&[Option<At>]>,
) {
    for ((qi, at), v) in calcs {
        let qq = &q.questions[qi];
        let level = match qq.roster {
            None => &mut *answers,
            Some(r) => match instance_mut(q, rosters, r, at) {
                Some(i) => &mut i.answers,
                None => continue,
            },
        };
        match v {
            Some(v) => {
                let a = level.entry(qq.id.clone()).or_default();
                if a.value.as_ref() != Some(&v) {
                    a.value = Some(v);
                }
            }
            None => {
                level.remove(&qq.id);
            }
        }
    }
    match dirty {
        None => {
            for (k, a) in answers.iter_mut() {
                if let Some(i) = q.index_of(k) {
                    a.relevant = rules.rel[i];
                }
            }
        }
        Some(d) => {
            for (i, qq) in q.questions.iter().enumerate() {
                if qq.roster.is_none()
                    && d[i].is_some()
                    && let Some(a) = answers.get_mut(&qq.id)
                {
                    a.relevant = rules.rel[i];
                }
            }
        }
    }
    if q.has_rosters() {
        for (ri, r) in q.rosters.iter().enumerate() {
            let within = match dirty {
                None => At::TOP,
                Some(d) => match dirty_within(q, d, ri) {
                    Some(w) => w,
                    None => continue,
                },
            };
            let own: Vec<usize> = r
                .questions
                .clone()
                .filter(|&i| q.questions[i].roster == Some(ri))
                .filter(|&i| dirty.is_none_or(|d| d[i].is_some()))
                .collect();
            for at in live_paths(q, &Owned { answers, rosters }, ri, within) {
                let Some(inst) = instance_mut(q, rosters, ri, at) else {
                    continue;
                };
                for &i in &own {
                    if let Some(a) = inst.answers.get_mut(&q.questions[i].id) {
                        a.relevant = rules.rel_in.get(&(i, at)).copied().unwrap_or(false);
                    }
                }
            }
        }
    }
}

/// What the walk found.
struct Walk {
    rules: Rules,
    /// What the walk found of the rosters.
    rosters: RostersAsked,
    /// The recomputed calculations, by (question, instance).
    calcs: Vec<((usize, At), Option<AnswerValue>)>,
}

/// The state of a walk: the answers, and what has been computed so far laid over them.
struct State<'a, T: Tree + ?Sized> {
    q: &'a Questionnaire,
    tree: &'a T,
    rules: std::borrow::Cow<'a, Rules>,
    /// Per top-level question: the recomputed value of a calculation, once computed.
    calc: Vec<Option<Option<AnswerValue>>>,
    /// The same in instances.
    calc_in: HashMap<(usize, At), Option<AnswerValue>>,
    clock: Option<jiff::ZonedDateTime>,
}

impl<T: Tree + ?Sized> State<'_, T> {
    /// The value of question `i` at `at` (relevance aside).
    fn value(&self, i: usize, at: At) -> Value {
        let qq = &self.q.questions[i];
        match qq.roster {
            None => match self.calc.get(i) {
                Some(Some(v)) => expr_value(v.as_ref()),
                _ => expr_value_ref(self.tree.level(self.q, None, At::TOP).and_then(|l| l.value(i, &qq.id))),
            },
            Some(r) => match self.calc_in.get(&(i, at)) {
                Some(v) => expr_value(v.as_ref()),
                None => expr_value_ref(self.tree.level(self.q, Some(r), at).and_then(|l| l.value(i, &qq.id))),
            },
        }
    }

    fn env(&self, roster: Option<usize>, at: At) -> ScopeEnv<'_, T> {
        ScopeEnv {
            s: self,
            roster,
            at,
            current: Value::Null,
        }
    }
}

/// Evaluation at a place: the top level, or an instance of a roster, where a question of that
/// roster (or of one around it) reads the answer of this instance, and any other through an
/// aggregate over its instances.
struct ScopeEnv<'a, T: Tree + ?Sized> {
    s: &'a State<'a, T>,
    roster: Option<usize>,
    at: At,
    current: Value,
}

impl<T: Tree + ?Sized> ScopeEnv<'_, T> {
    /// The instances of roster `target` that a name read here reaches: those inside the
    /// instances the two rosters share.
    fn reach(&self, target: usize) -> Vec<At> {
        let q = self.s.q;
        let shared = shared_depth(q, Some(target), self.roster);
        live_paths(q, self.s.tree, target, self.at.prefix(shared))
    }

    /// The live instances of roster `r` that `indexed-repeat` numbers from here: those inside
    /// the instances of its outer rosters shared with here — from inside `r` too, so that
    /// `indexed-repeat(${q}, ${r}, position(..) - 1)` reads the instance before this one (where
    /// [`ScopeEnv::reach`] gives this instance alone, as `${q}` means it).
    fn siblings(&self, r: usize) -> Vec<At> {
        let q = self.s.q;
        let shared = shared_depth(q, Some(r), self.roster).min(depth(q, Some(r)) - 1);
        live_paths(q, self.s.tree, r, self.at.prefix(shared))
    }

    /// The value of question `i` at `at`, unanswered when not relevant there.
    fn read(&self, i: usize, at: At) -> Value {
        if self.s.rules.rel(self.s.q, i, at) {
            self.s.value(i, at)
        } else {
            Value::Null
        }
    }
}

impl<T: Tree + ?Sized> Env for ScopeEnv<'_, T> {
    fn get(&self, name: &str) -> Value {
        let q = self.s.q;
        let Some(i) = q.index_of(name) else {
            return Value::Null;
        };
        let r = q.questions[i].roster;
        if !q.reads_one(r, self.roster) {
            return Value::Null;
        }
        self.read(i, self.at.prefix(depth(q, r)))
    }
    fn current(&self) -> Value {
        self.current.clone()
    }
    fn now(&self) -> Option<jiff::ZonedDateTime> {
        self.s.clock.clone()
    }
    fn choice_label(&self, question: &str, code: &str) -> Value {
        let q = self.s.q;
        q.question(question)
            .and_then(|qq| qq.option(code))
            .map_or(Value::Null, |o| Value::Str(q.tr(&o.label).to_string()))
    }
    fn instances(&self, name: &str) -> Vec<Value> {
        let q = self.s.q;
        if let Some(r) = q.roster_index(name) {
            return self.reach(r).iter().map(|_| Value::Num(1.0)).collect();
        }
        let Some(i) = q.index_of(name) else {
            return Vec::new();
        };
        match q.questions[i].roster {
            None => match self.get(name) {
                Value::Null => Vec::new(),
                v => vec![v],
            },
            Some(r) => self.reach(r).into_iter().map(|at| self.read(i, at)).collect(),
        }
    }
    fn position(&self) -> Option<usize> {
        let r = self.roster?;
        let last = self.at.last()? as usize;
        let live = self.s.tree.live(self.s.q, r, self.at.prefix(self.at.len() - 1));
        Some(live.iter().take(last + 1).filter(|l| **l).count())
    }
    fn instance(&self, name: &str, index: usize) -> Value {
        let q = self.s.q;
        let Some(i) = q.index_of(name) else {
            return Value::Null;
        };
        match q.questions[i].roster {
            None => self.get(name),
            Some(r) => self
                .siblings(r)
                .get(index.saturating_sub(1))
                .map_or(Value::Null, |&at| self.read(i, at)),
        }
    }
    fn instance_in(&self, name: &str, path: &[(&str, usize)]) -> Value {
        let q = self.s.q;
        let Some(i) = q.index_of(name) else {
            return Value::Null;
        };
        // The first group's live instances as seen from here, then each next group's inside
        // the instance chosen (the load checked that each is directly inside the one before).
        let mut at: Option<At> = None;
        for &(group, index) in path {
            let Some(r) = q.roster_index(group) else {
                return Value::Null;
            };
            let live = match at {
                None => self.siblings(r),
                Some(within) => live_paths(q, self.s.tree, r, within),
            };
            match live.get(index.saturating_sub(1)) {
                Some(&next) => at = Some(next),
                None => return Value::Null,
            }
        }
        match at {
            Some(at) if q.questions[i].roster.is_some_and(|r| depth(q, Some(r)) == at.len()) => self.read(i, at),
            _ => Value::Null,
        }
    }
}

/// The one walk in [`Questionnaire::order`]: relevance, and with `recompute` the calculations.
fn walk<T: Tree + ?Sized>(q: &Questionnaire, tree: &T, recompute: bool, clock: Option<&jiff::ZonedDateTime>) -> Walk {
    let n = q.questions.len();
    let start = Rules {
        rel: vec![true; n],
        stale: vec![false; n],
        ..Rules::default()
    };
    walk_part(q, tree, recompute, clock, start, None)
}

/// The live instances of roster `r` inside `within`, worked out once per walk (`live` keeps
/// them: every question of a roster walks the same instances).
fn live_in<'l, T: Tree + ?Sized>(
    live: &'l mut Vec<((usize, At), Vec<At>)>,
    q: &Questionnaire,
    tree: &T,
    r: usize,
    within: At,
) -> &'l [At] {
    let k = match live.iter().position(|(k, _)| *k == (r, within)) {
        Some(k) => k,
        None => {
            live.push(((r, within), live_paths(q, tree, r, within)));
            live.len() - 1
        }
    };
    &live[k].1
}

/// The walk, over every question (`dirty` `None`) or only over those marked dirty, each at the
/// live instances inside the place marked (the others keep their relevance and stale codes as
/// given, and their calculations as stored).
fn walk_part<T: Tree + ?Sized>(
    q: &Questionnaire,
    tree: &T,
    recompute: bool,
    clock: Option<&jiff::ZonedDateTime>,
    rules: Rules,
    dirty: Option<&[Option<At>]>,
) -> Walk {
    let n = q.questions.len();
    debug_assert!(dirty.is_some() || (rules.rel_in.is_empty() && rules.stale_in.is_empty()));
    let mut block_rel: Vec<Option<bool>> = vec![None; q.blocks.len()];
    let mut roster_rel: HashMap<(usize, At), bool> = HashMap::default();
    let mut st = State {
        q,
        tree,
        rules: std::borrow::Cow::Owned(rules),
        calc: vec![None; if recompute { n } else { 0 }],
        calc_in: HashMap::default(),
        clock: clock.cloned(),
    };
    let mut calcs = Vec::new();
    // The live instances of each (roster, place within) met so far: the tree does not change
    // during the walk, and every question of a roster walks the same instances.
    let mut live: Vec<((usize, At), Vec<At>)> = Vec::new();
    const TOP: &[At] = &[At::TOP];
    if dirty.is_none() {
        // A whole walk gives each roster question a relevance at each live instance: room for
        // them all at once (the map grew by doubling, rehashing each time).
        let mut room = 0;
        for &qi in &q.order {
            if let Some(r) = q.questions[qi].roster {
                room += live_in(&mut live, q, tree, r, At::TOP).len();
            }
        }
        st.rules.to_mut().rel_in.reserve(room);
    }
    for &qi in &q.order {
        let within = match dirty {
            None => At::TOP,
            Some(d) => match d[qi] {
                Some(a) => a,
                None => continue,
            },
        };
        let qq = &q.questions[qi];
        let b = qq.block;
        let block_ok = match block_rel[b] {
            Some(ok) => ok,
            None => {
                let ok = q.blocks[b]
                    .relevant
                    .as_ref()
                    .is_none_or(|e| e.test(&st.env(None, At::TOP)));
                block_rel[b] = Some(ok);
                ok
            }
        };
        let places: &[At] = match qq.roster {
            None => TOP,
            Some(r) => {
                // This question's instances start afresh: an instance removed since counts nowhere
                // (a whole walk starts from none at all: nothing to remove).
                if dirty.is_some() && within.is_empty() {
                    let rules = st.rules.to_mut();
                    rules.rel_in.retain(|(i, _), _| *i != qi);
                    rules.stale_in.retain(|(i, _)| *i != qi);
                }
                live_in(&mut live, q, tree, r, within)
            }
        };
        for &at in places {
            let roster_ok = qq
                .roster
                .is_none_or(|r| roster_relevant(&st, &mut roster_rel, r, at.prefix(depth(q, Some(r)) - 1)));
            let env = st.env(qq.roster, at);
            let mut rel = block_ok && roster_ok && qq.relevant.as_ref().is_none_or(|e| e.test(&env));
            // A stored code its choice filter no longer offers counts as no answer (kept in the
            // file, marked not relevant, as the answer of an irrelevant question is): only the
            // codes chosen are tested, not the whole list.
            let mut stale = false;
            if rel && qq.choice_filter.is_some() {
                let v = st.value(qi, at);
                let codes: Vec<String> = match v {
                    Value::Str(c) => vec![c],
                    Value::List(cs) => cs,
                    _ => Vec::new(),
                };
                if codes
                    .iter()
                    .any(|c| qq.option(c).is_some_and(|o| !offered(q, qq, o, &env)))
                {
                    stale = true;
                    rel = false;
                }
            }
            let value = match qq.calculation() {
                Some(e) if recompute => Some(if rel {
                    calculated(e.eval(&env), qq.kind.is_numeric())
                } else {
                    None
                }),
                _ => None,
            };
            let rules = st.rules.to_mut();
            match qq.roster {
                None => {
                    rules.rel[qi] = rel;
                    rules.stale[qi] = stale;
                }
                Some(_) => {
                    rules.rel_in.insert((qi, at), rel);
                    if stale {
                        rules.stale_in.insert((qi, at));
                    } else {
                        rules.stale_in.remove(&(qi, at));
                    }
                }
            }
            if let Some(value) = value {
                match qq.roster {
                    None => st.calc[qi] = Some(value.clone()),
                    Some(_) => {
                        st.calc_in.insert((qi, at), value.clone());
                    }
                }
                calcs.push(((qi, at), value));
            }
        }
    }
    Walk {
        rules: st.rules.into_owned(),
        rosters: RostersAsked {
            blocks: block_rel,
            rosters: roster_rel,
        },
        calcs,
    }
}

/// Whether roster `r` is relevant inside `parent` (an instance of its parent roster, or the top
/// level): its block's, the rosters' around it and its own `relevant` hold. Remembered for the
/// walk.
fn roster_relevant<T: Tree + ?Sized>(
    st: &State<'_, T>,
    memo: &mut HashMap<(usize, At), bool>,
    r: usize,
    parent: At,
) -> bool {
    if let Some(&ok) = memo.get(&(r, parent)) {
        return ok;
    }
    let q = st.q;
    let ro = &q.rosters[r];
    let outer = match ro.parent {
        None => true,
        Some(p) => roster_relevant(st, memo, p, parent.prefix(parent.len().saturating_sub(1))),
    };
    let ok = outer && ro.relevant.as_ref().is_none_or(|e| e.test(&st.env(ro.parent, parent)));
    memo.insert((r, parent), ok);
    ok
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
    /// For an interview with rosters: where the answer is (`None`: the top level of an interview
    /// without rosters, `rel` and `answers` say all).
    pub scope: Option<Scope<'a>>,
}

/// The place of an answer in an interview with rosters, for [`Checks`].
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// The rosters' instances.
    pub rosters: &'a Rosters,
    /// The rules as they stand.
    pub rules: &'a Rules,
    /// The instance of the answer (the top level for a question outside rosters).
    pub at: At,
}

impl Checks<'_> {
    /// Whether `e` holds with `.` the value `v` of question `qi`.
    fn holds(&self, qi: usize, e: &crate::expr::Expr, v: &AnswerValue) -> bool {
        self.evaluate(qi, expr_value(Some(v)), |env| e.test(env))
    }

    /// `f` with the environment of question `qi`'s place, `.` being `current`.
    pub(crate) fn evaluate<R>(&self, qi: usize, current: Value, f: impl FnOnce(&dyn Env) -> R) -> R {
        match self.scope {
            None => f(&AnswerEnv {
                q: self.q,
                answers: self.answers,
                relevant: self.rel,
                current,
                clock: self.clock.cloned(),
            }),
            Some(sc) => at_place(
                self.q,
                Owned {
                    answers: self.answers,
                    rosters: sc.rosters,
                },
                sc.rules,
                self.clock,
                self.q.questions[qi].roster,
                sc.at,
                current,
                f,
            ),
        }
    }

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
            Some(c) if !self.holds(qi, &c.expr, v) => Some(Problem::Constraint(c.message.clone())),
            _ => None,
        }
    }

    /// The soft check: `Some` when the `warning` expression fails for a present value.
    pub(crate) fn soft(&self, qi: usize, a: &Answer) -> Option<Problem> {
        let v = a.value.as_ref().filter(|v| !is_empty(v))?;
        let w = self.q.questions[qi].warning.as_ref()?;
        (!self.holds(qi, &w.expr, v)).then(|| Problem::Warning(w.message.clone()))
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

/// Whether an instance holds anything the interviewer entered: an answer (calculations aside),
/// a "specify" text or a remark, in it or in an instance nested in it.
pub(crate) fn entered(q: &Questionnaire, inst: &Instance) -> bool {
    inst.answers.iter().any(|(k, a)| {
        let asked = q.question(k).is_none_or(|qq| qq.is_asked());
        asked && (a.value.as_ref().is_some_and(|v| !is_empty(v)) || a.other.is_some() || a.remark.is_some())
    }) || inst.rosters.values().flatten().any(|i| entered(q, i))
}

/// What [`fit_counts`] did to a roster.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CountFit {
    /// Empty instances were added up to the count: the first new one.
    Added(At),
    /// Instances beyond the count with nothing entered were dropped: where the first was.
    Dropped(At),
}

/// The count a roster with `count` asks for inside `parent`, as it stands (`None` when the
/// roster is not relevant there: its instances are left as they are). Capped at `max` and at
/// [`crate::questionnaire::MAX_INSTANCES`]; an empty or negative count is 0.
pub(crate) fn roster_count<T: Tree + ?Sized>(
    q: &Questionnaire,
    tree: &T,
    rules: &Rules,
    clock: Option<&jiff::ZonedDateTime>,
    r: usize,
    parent: At,
) -> Option<u32> {
    let ro = &q.rosters[r];
    let e = ro.count.as_ref()?;
    let st = State {
        q,
        tree,
        rules: std::borrow::Cow::Borrowed(rules),
        calc: Vec::new(),
        calc_in: HashMap::default(),
        clock: clock.cloned(),
    };
    let block_ok = q.blocks[ro.block]
        .relevant
        .as_ref()
        .is_none_or(|b| b.test(&st.env(None, At::TOP)));
    if !block_ok || !roster_relevant(&st, &mut HashMap::default(), r, parent) {
        return None;
    }
    let n = e.eval(&st.env(ro.parent, parent)).as_num();
    let cap = ro
        .max
        .unwrap_or(crate::questionnaire::MAX_INSTANCES)
        .min(crate::questionnaire::MAX_INSTANCES);
    Some(if n.is_finite() && n > 0.0 {
        (n.trunc() as u32).min(cap)
    } else {
        0
    })
}

/// Brings the instances of every roster with a `count` in line with it: empty instances are
/// added up to the count, and instances beyond it **with nothing entered** are dropped. An
/// instance beyond the count with an answer is never dropped: it stays, over the count, until the
/// interviewer removes it or corrects the count (the interview cannot be completed meanwhile:
/// [`over_count`]). Returns what changed; the caller applies the rules again when anything did.
pub(crate) fn fit_counts(
    q: &Questionnaire,
    answers: &BTreeMap<String, Answer>,
    rosters: &mut Rosters,
    rules: &Rules,
    clock: Option<&jiff::ZonedDateTime>,
) -> Vec<(usize, CountFit)> {
    let mut done = Vec::new();
    for (r, ro) in q.rosters.iter().enumerate() {
        if ro.count.is_none() {
            continue;
        }
        let parents = match ro.parent {
            None => vec![At::TOP],
            Some(p) => live_paths(q, &Owned { answers, rosters }, p, At::TOP),
        };
        for parent in parents {
            let Some(want) = roster_count(q, &Owned { answers, rosters }, rules, clock, r, parent) else {
                continue;
            };
            let level = match ro.parent {
                None => &mut *rosters,
                Some(p) => match instance_mut(q, rosters, p, parent) {
                    Some(i) => &mut i.rosters,
                    None => continue,
                },
            };
            let list = level.entry(ro.id.clone()).or_default();
            let live = list.iter().filter(|i| i.live()).count() as u32;
            if live < want {
                let first = list.len() as u32;
                list.extend((live..want).map(|_| Instance::default()));
                if let Some(a) = parent.child(first) {
                    done.push((r, CountFit::Added(a)));
                }
            } else if live > want {
                // From the end: live instances past the count with nothing entered go.
                let mut keep_live = live;
                let mut k = list.len();
                let mut first_dropped = None;
                while k > 0 && keep_live > want {
                    k -= 1;
                    if list[k].live() {
                        if entered(q, &list[k]) {
                            break;
                        }
                        list.remove(k);
                        keep_live -= 1;
                        first_dropped = Some(k as u32);
                    }
                }
                if let Some(a) = first_dropped.and_then(|f| parent.child(f)) {
                    done.push((r, CountFit::Dropped(a)));
                }
            }
            if list.is_empty() {
                level.remove(&ro.id);
            }
        }
    }
    done
}

/// Evaluates `f` with the environment of place `at` (an instance of `roster`, or the top level
/// for `None`): names read as the walk reads them there, `.` is `current`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn at_place<R>(
    q: &Questionnaire,
    tree: Owned<'_>,
    rules: &Rules,
    clock: Option<&jiff::ZonedDateTime>,
    roster: Option<usize>,
    at: At,
    current: Value,
    f: impl FnOnce(&dyn Env) -> R,
) -> R {
    let st = State {
        q,
        tree: &tree,
        rules: std::borrow::Cow::Borrowed(rules),
        calc: Vec::new(),
        calc_in: HashMap::default(),
        clock: clock.cloned(),
    };
    let mut env = st.env(roster, at.prefix(depth(q, roster)));
    env.current = current;
    f(&env)
}

/// The rules of an interview as stored, without changing it (calculations read as stored).
pub(crate) fn rules_of(
    q: &Questionnaire,
    answers: &BTreeMap<String, Answer>,
    rosters: &Rosters,
    clock: Option<&jiff::ZonedDateTime>,
) -> Rules {
    walk(q, &Owned { answers, rosters }, false, clock).rules
}

/// Whether roster `r` is asked inside `parent` (its block's, the rosters' around it and its own
/// `relevant` hold).
pub(crate) fn roster_is_relevant<T: Tree + ?Sized>(
    q: &Questionnaire,
    tree: &T,
    rules: &Rules,
    clock: Option<&jiff::ZonedDateTime>,
    r: usize,
    parent: At,
) -> bool {
    let st = State {
        q,
        tree,
        rules: std::borrow::Cow::Borrowed(rules),
        calc: Vec::new(),
        calc_in: HashMap::default(),
        clock: clock.cloned(),
    };
    let block = &q.blocks[q.rosters[r].block];
    block.relevant.as_ref().is_none_or(|b| b.test(&st.env(None, At::TOP)))
        && roster_relevant(&st, &mut HashMap::default(), r, parent)
}

/// What a roster's list asks of the interviewer before completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterProblem {
    /// Fewer instances than its `min`.
    TooFew(u32),
    /// Instances beyond its `count` that hold answers: this many, and the count.
    OverCount(usize, u32),
}

/// **A roster's own rule** inside `parent` (an instance of its parent roster, or the top level):
/// a roster with a `count` has no more live instances than the count (beyond it, only
/// instances with answers stay: [`fit_counts`] drops the others); any other asked roster has at
/// least its `min`. The interviewer's check before completion (`Session::roster_problem`) and
/// merge's of a completed interview (`record::fit::violations`).
pub(crate) fn roster_problem<T: Tree + ?Sized>(
    q: &Questionnaire,
    tree: &T,
    rules: &Rules,
    clock: Option<&jiff::ZonedDateTime>,
    r: usize,
    parent: At,
) -> Option<RosterProblem> {
    let ro = &q.rosters[r];
    if ro.count.is_none() && ro.min.is_none() {
        return None;
    }
    let live = tree.live(q, r, parent).iter().filter(|l| **l).count();
    if ro.count.is_some() {
        let want = roster_count(q, tree, rules, clock, r, parent)?;
        return (live > want as usize).then_some(RosterProblem::OverCount(live - want as usize, want));
    }
    if !roster_is_relevant(q, tree, rules, clock, r, parent) {
        return None;
    }
    ro.min.filter(|&m| live < m as usize).map(RosterProblem::TooFew)
}
