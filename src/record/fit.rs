//! **The one rule** that decides whether a record's answers fit its questionnaire: every
//! variable is a question of it, every value has the question's type, every code is one of its
//! options, chosen once, an exclusive option alone, a date a calendar date, an "other" text only
//! where an "other" option exists — and, in a record with rosters, every roster at its level,
//! every instance's answers its roster's own questions, `removed` a time, no more instances
//! than [`MAX_INSTANCES`], and no rosters or instance paths in format 1.
//!
//! `merge` (for every record it takes) and `report` call [`fit`] or [`fit_into`] (simulate's tests
//! check every simulated record with it; the interviewer's answers fit by construction, through
//! its stricter checks in `interview::logic`); the report also takes the option indices it resolves on the way, so each answer
//! is looked at once. [`violations`] extends the rule for records that fit: it applies the
//! interviewer's own checks (`interview::logic`: type rules, relevance, required answers) to a
//! stored record, as merge (and the report's merge on the fly) does before taking it.
//! `constraint` and `warning` expressions are not re-run.

use super::borrowed::{AnswerRef, ValueRef};
use super::view::InstanceView;
use super::{FORMAT, FORMAT_V2, Instance, Record, RecordView};
use crate::interview::logic::At;
use crate::questionnaire::names::{prefix, same};
use crate::questionnaire::{Kind, MAX_INSTANCES, Questionnaire};
use std::fmt;
use std::ops::Range;

/// Why a record does not fit its questionnaire. `Display` gives the message that merge and
/// report print.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Misfit {
    /// The record names another questionnaire.
    OtherQuestionnaire {
        /// The record's questionnaire id.
        found: String,
        /// The questionnaire's id.
        expected: String,
    },
    /// An answer to a variable the questionnaire does not have.
    UnknownVariable(String),
    /// An answer given where its question is not asked: a roster's question outside its
    /// instances, or a question in an instance of a roster it does not belong to.
    Misplaced {
        /// The variable, with its instance path (`projects[2].partner_name`).
        var: String,
        /// The roster the question belongs to (`None`: asked once per interview).
        belongs: Option<String>,
    },
    /// A format-1 record with rosters or instance paths (`at`, `position_at`).
    RostersInFormat1,
    /// Instances of a roster the questionnaire does not have: its path (`projects[1].teams`).
    UnknownRoster(String),
    /// Instances of a roster at a level where it is not (a nested roster at the top, or inside
    /// another roster than its parent): its path, and where it belongs.
    MisplacedRoster {
        /// The roster's path.
        path: String,
        /// The roster it is nested in (`None`: the interview's top level).
        parent: Option<String>,
    },
    /// More instances of a roster than an interview can hold.
    TooManyInstances {
        /// The roster's path.
        path: String,
        /// How many (live ones, or all stored).
        found: usize,
    },
    /// An instance's `removed` that is not an RFC 3339 time.
    RemovedNotATime {
        /// The instance's path (`projects[2]`).
        path: String,
        /// What it holds.
        found: String,
    },
    /// An answer that does not fit its question.
    Answer {
        /// The variable.
        var: String,
        /// The question's type ([`Kind::name`]).
        kind: &'static str,
        /// What is wrong.
        problem: Problem,
    },
}

/// What is wrong with one answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A "specify" text, but the question has no "other" option.
    OtherWithoutOption,
    /// A note has a value.
    NoteWithValue,
    /// A code that is not one of the question's options.
    UnknownCode(String),
    /// A code chosen twice in a multi choice.
    ChosenTwice(String),
    /// An exclusive option together with others.
    ExclusiveCombined,
    /// A date question's text is not a `YYYY-MM-DD` calendar date.
    NotADate(String),
    /// A value of the wrong JSON type (or a number that is not finite): what was found.
    WrongType(&'static str),
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misfit::OtherQuestionnaire { found, expected } => {
                write!(f, "questionnaire id `{found}` does not match `{expected}`")
            }
            Misfit::UnknownVariable(var) => write!(f, "answer to unknown variable `{var}`"),
            Misfit::Misplaced { var, belongs: Some(r) } => {
                write!(
                    f,
                    "answer `{var}` outside roster `{r}`: the question is asked in its instances"
                )
            }
            Misfit::Misplaced { var, belongs: None } => {
                write!(
                    f,
                    "answer `{var}` in an instance: the question is asked once per interview"
                )
            }
            Misfit::RostersInFormat1 => write!(
                f,
                "format `{FORMAT}` has no rosters, `position_at` or event `at`: a record with instances is `{FORMAT_V2}`"
            ),
            Misfit::UnknownRoster(path) => write!(f, "instances of unknown roster `{path}`"),
            Misfit::MisplacedRoster { path, parent: Some(p) } => {
                write!(
                    f,
                    "instances of roster `{path}` outside roster `{p}`, in which it is nested"
                )
            }
            Misfit::MisplacedRoster { path, parent: None } => {
                write!(
                    f,
                    "instances of roster `{path}` inside another roster: it is not nested"
                )
            }
            Misfit::TooManyInstances { path, found } => write!(
                f,
                "{found} instances of roster `{path}`: at most {MAX_INSTANCES} count (and {} are kept)",
                2 * MAX_INSTANCES
            ),
            Misfit::RemovedNotATime { path, found } => write!(
                f,
                "instance `{path}`: `removed` is `{found}`, not an RFC 3339 time with seconds and an offset"
            ),
            Misfit::Answer { var, kind, problem } => write!(f, "variable `{var}` ({kind}): {problem}"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::OtherWithoutOption => f.write_str("has an `other` text but no `other` option"),
            Problem::NoteWithValue => f.write_str("a note cannot have a value"),
            Problem::UnknownCode(c) => write!(f, "unknown code `{c}`"),
            Problem::ChosenTwice(c) => write!(f, "code `{c}` chosen twice"),
            Problem::ExclusiveCombined => f.write_str("an exclusive option is combined with others"),
            Problem::NotADate(s) => write!(f, "`{s}` is not a YYYY-MM-DD date"),
            Problem::WrongType(found) => write!(f, "wrong type of value: {found}"),
        }
    }
}

impl std::error::Error for Misfit {}

impl Misfit {
    /// The reason a record is refused, naming the questionnaire: "does not fit questionnaire
    /// `nko` 2021.1: …".
    pub fn against(&self, q: &Questionnaire) -> String {
        format!("does not fit questionnaire `{}` {}: {self}", q.id, q.version)
    }
}

/// A record whose answers can be fitted: an owned [`Record`] or a borrowed [`RecordView`].
pub(crate) trait Answered {
    /// Its instances: [`Instance`] or [`InstanceView`].
    type Instance: Instanced;
    /// The id of the questionnaire the record names.
    fn questionnaire_id(&self) -> &str;
    /// The format tag.
    fn format(&self) -> &str;
    /// The answers, sorted by variable, each variable once (as both kinds of record keep them).
    fn answers(&self) -> impl Iterator<Item = (&str, AnswerRef<'_>)>;
    /// The top-level rosters' instances, sorted by roster name.
    fn rosters(&self) -> impl Iterator<Item = (&str, &[Self::Instance])>;
    /// Whether `position_at` or an event's `at` is given.
    fn has_paths(&self) -> bool;
}

/// An instance of a roster, owned or borrowed.
pub(crate) trait Instanced: Sized {
    /// Its answers, sorted by variable, each variable once.
    fn answers(&self) -> impl Iterator<Item = (&str, AnswerRef<'_>)>;
    /// The nested rosters' instances, sorted by roster name.
    fn rosters(&self) -> impl Iterator<Item = (&str, &[Self])>;
    /// When it was removed.
    fn removed(&self) -> Option<&str>;
}

impl Answered for Record {
    type Instance = Instance;
    fn questionnaire_id(&self) -> &str {
        &self.questionnaire.id
    }
    fn format(&self) -> &str {
        &self.format
    }
    fn answers(&self) -> impl Iterator<Item = (&str, AnswerRef<'_>)> {
        self.answers.iter().map(|(k, a)| (k.as_str(), a.borrowed()))
    }
    fn rosters(&self) -> impl Iterator<Item = (&str, &[Instance])> {
        self.rosters.iter().map(|(k, v)| (k.as_str(), &v[..]))
    }
    fn has_paths(&self) -> bool {
        !self.position_at.is_empty() || self.paradata.iter().any(|e| !e.at.is_empty())
    }
}

impl Instanced for Instance {
    fn answers(&self) -> impl Iterator<Item = (&str, AnswerRef<'_>)> {
        self.answers.iter().map(|(k, a)| (k.as_str(), a.borrowed()))
    }
    fn rosters(&self) -> impl Iterator<Item = (&str, &[Instance])> {
        self.rosters.iter().map(|(k, v)| (k.as_str(), &v[..]))
    }
    fn removed(&self) -> Option<&str> {
        self.removed.as_deref()
    }
}

impl<'a> Answered for RecordView<'a> {
    type Instance = InstanceView<'a>;
    fn questionnaire_id(&self) -> &str {
        &self.questionnaire.id
    }
    fn format(&self) -> &str {
        &self.format
    }
    fn answers(&self) -> impl Iterator<Item = (&str, AnswerRef<'_>)> {
        self.answers.0.iter().map(|(k, a)| (k.as_str(), a.borrowed()))
    }
    fn rosters(&self) -> impl Iterator<Item = (&str, &[InstanceView<'a>])> {
        self.rosters.0.iter().map(|(k, v)| (k.as_str(), &v[..]))
    }
    fn has_paths(&self) -> bool {
        !self.position_at.is_empty() || self.paradata.has_paths()
    }
}

impl Instanced for InstanceView<'_> {
    fn answers(&self) -> impl Iterator<Item = (&str, AnswerRef<'_>)> {
        self.answers.0.iter().map(|(k, a)| (k.as_str(), a.borrowed()))
    }
    fn rosters(&self) -> impl Iterator<Item = (&str, &[Self])> {
        self.rosters.0.iter().map(|(k, v)| (k.as_str(), &v[..]))
    }
    fn removed(&self) -> Option<&str> {
        self.removed.as_deref()
    }
}

/// Whether `rec`'s answers fit `q`; the first misfit, in the order of the answers, otherwise
/// (merge and the report use [`fit_into`]; tests check the rule through this).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn fit(q: &Questionnaire, rec: &impl Answered) -> Result<(), Misfit> {
    fit_into(q, rec, &mut Vec::new(), |_, _, _| {})
}

/// [`fit`], telling `found` of each answer that fits: (question index, position of the answer
/// among the record's answers, range of `chosen` holding the indices of the options chosen —
/// one for a single choice, one per code for a multi choice, none otherwise). `chosen` is
/// cleared first. On a misfit, `found` may have been told of the answers before it.
pub(crate) fn fit_into(
    q: &Questionnaire,
    rec: &impl Answered,
    chosen: &mut Vec<u32>,
    mut found: impl FnMut(usize, usize, Range<usize>),
) -> Result<(), Misfit> {
    if rec.questionnaire_id() != q.id {
        return Err(Misfit::OtherQuestionnaire {
            found: rec.questionnaire_id().to_owned(),
            expected: q.id.clone(),
        });
    }
    chosen.clear();
    join(q, rec.answers(), None, "", |qidx, at, a| {
        let start = chosen.len();
        fit_answer(q, qidx, a, chosen)?;
        found(qidx, at, start..chosen.len());
        Ok(())
    })?;
    let mut rosters = rec.rosters().peekable();
    if rec.format() == FORMAT && (rosters.peek().is_some() || rec.has_paths()) {
        return Err(Misfit::RostersInFormat1);
    }
    // The options chosen in instances are not told (`found` tells of top-level answers).
    fit_rosters(q, rosters, None, &mut String::new(), &mut Vec::new())
}

/// Joins sorted `answers` with the questions of `q` (sorted by name, [`Names`]) in one pass and
/// calls `each` with (question index, position, answer) for each; every question must be one
/// asked at `level` (a roster, or `None`: the top level). `path` prefixes variables in misfits
/// (`projects[2].`).
///
/// [`Names`]: crate::questionnaire::names::Names
fn join<'r>(
    q: &Questionnaire,
    answers: impl Iterator<Item = (&'r str, AnswerRef<'r>)>,
    level: Option<usize>,
    path: &str,
    mut each: impl FnMut(usize, usize, AnswerRef<'r>) -> Result<(), Problem>,
) -> Result<(), Misfit> {
    let names = &q.names;
    let (order, keys) = (&names.order, &names.keys);
    let name = |k: usize| q.questions[order[k]].id.as_str();
    // The answers are sorted by variable, as the questions in `order` are by name: one pass.
    let mut k = 0;
    for (at, (var, a)) in answers.enumerate() {
        let key = prefix(var);
        while k < order.len() && (keys[k] < key || (keys[k] == key && name(k) < var)) {
            k += 1;
        }
        if k == order.len() || !same(keys[k], name(k), key, var) {
            return Err(Misfit::UnknownVariable(format!("{path}{var}")));
        }
        let qidx = order[k];
        let belongs = q.questions[qidx].roster;
        if belongs != level {
            return Err(Misfit::Misplaced {
                var: format!("{path}{var}"),
                belongs: belongs.map(|r| q.rosters[r].id.clone()),
            });
        }
        if let Err(problem) = each(qidx, at, a) {
            let kind = q.questions[qidx].kind.name();
            return Err(Misfit::Answer {
                var: format!("{path}{var}"),
                kind,
                problem,
            });
        }
    }
    Ok(())
}

/// The instances of the rosters of one level (inside an instance of `parent`, or at the top)
/// against `q`: each roster is one of `q`'s, nested in `parent`, with at most
/// [`MAX_INSTANCES`] live instances (twice that stored); each instance's `removed` is a time,
/// its answers are its roster's own questions and fit them, and its nested rosters fit in turn.
/// Instances are named by their place in the file, 1-based (`projects[2]`), removed ones
/// included, as `at` and `position_at` name them.
fn fit_rosters<'r, I: Instanced + 'r>(
    q: &Questionnaire,
    rosters: impl Iterator<Item = (&'r str, &'r [I])>,
    parent: Option<usize>,
    path: &mut String,
    chosen: &mut Vec<u32>,
) -> Result<(), Misfit> {
    // `path` is the prefix of this level (`projects[2].`), grown and cut back in place: a
    // record has hundreds of instances, and a name is needed only for a misfit.
    let base = path.len();
    for (name, instances) in rosters {
        path.truncate(base);
        path.push_str(name);
        let Some(r) = q.roster_index(name) else {
            return Err(Misfit::UnknownRoster(path.clone()));
        };
        if q.rosters[r].parent != parent {
            return Err(Misfit::MisplacedRoster {
                path: path.clone(),
                parent: q.rosters[r].parent.map(|p| q.rosters[p].id.clone()),
            });
        }
        let live = instances.iter().filter(|i| i.removed().is_none()).count();
        if live > MAX_INSTANCES as usize || instances.len() > 2 * MAX_INSTANCES as usize {
            return Err(Misfit::TooManyInstances {
                path: path.clone(),
                found: if live > MAX_INSTANCES as usize {
                    live
                } else {
                    instances.len()
                },
            });
        }
        let here = path.len();
        for (n, inst) in instances.iter().enumerate() {
            path.truncate(here);
            path.push('[');
            path.push_str(itoa::Buffer::new().format(n + 1));
            path.push(']');
            if let Some(t) = inst.removed()
                && !super::time::valid(t)
            {
                return Err(Misfit::RemovedNotATime {
                    path: path.clone(),
                    found: t.to_owned(),
                });
            }
            path.push('.');
            join(q, inst.answers(), Some(r), path, |qidx, _, a| {
                fit_answer(q, qidx, a, chosen)
            })?;
            fit_rosters(q, inst.rosters(), Some(r), path, chosen)?;
        }
    }
    path.truncate(base);
    Ok(())
}

/// One answer against question `qidx`; the indices of the options chosen are pushed to `chosen`.
fn fit_answer(q: &Questionnaire, qidx: usize, a: AnswerRef<'_>, chosen: &mut Vec<u32>) -> Result<(), Problem> {
    let qq = &q.questions[qidx];
    if a.other.is_some() && !qq.options.iter().any(|o| o.other) {
        return Err(Problem::OtherWithoutOption);
    }
    let Some(v) = a.value else { return Ok(()) };
    let codes = &q.names.codes[qidx];
    let index = |c: &str| {
        let key = prefix(c);
        (0..codes.len())
            .find(|&i| same(codes[i], &qq.options[i].code, key, c))
            .map(|i| i as u32)
    };
    match (&qq.kind, v) {
        (Kind::Note, _) => return Err(Problem::NoteWithValue),
        (Kind::Single, ValueRef::Text(c)) => match index(c) {
            Some(i) => chosen.push(i),
            None => return Err(Problem::UnknownCode(c.to_owned())),
        },
        (Kind::Multi { .. }, ValueRef::Codes(cs)) => {
            let start = chosen.len();
            let mut exclusive = false;
            for c in cs.iter() {
                let Some(i) = index(c) else {
                    return Err(Problem::UnknownCode(c.to_owned()));
                };
                if chosen[start..].contains(&i) {
                    return Err(Problem::ChosenTwice(c.to_owned()));
                }
                exclusive |= qq.options[i as usize].exclusive;
                chosen.push(i);
            }
            if cs.len() > 1 && exclusive {
                return Err(Problem::ExclusiveCombined);
            }
        }
        (Kind::Number { .. }, ValueRef::Number(n)) if n.is_finite() => {}
        (Kind::Text { .. } | Kind::LongText { .. }, ValueRef::Text(_)) => {}
        // A calculation's value: a number, or a text when its result is none.
        (Kind::Calculate { .. }, ValueRef::Number(n)) if n.is_finite() => {}
        (Kind::Calculate { .. }, ValueRef::Text(_)) => {}
        (Kind::Date, ValueRef::Text(s)) => {
            if parse_date(s).is_none() {
                return Err(Problem::NotADate(s.to_owned()));
            }
        }
        (_, v) => {
            return Err(Problem::WrongType(match v {
                ValueRef::Number(_) => "a number",
                ValueRef::Text(_) => "a string",
                ValueRef::Codes(_) => "an array",
            }));
        }
    }
    Ok(())
}

/// One way a record that fits its questionnaire still breaks the interviewer's rules: the
/// variable, the rule, and the value found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Violation {
    /// The variable.
    pub variable: String,
    /// The rule broken, in words (`max 3`, `required`, `relevance`, …).
    pub rule: String,
    /// The value found (JSON, cut at 80 characters), or `none`.
    pub value: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` breaks {}: {}", self.variable, self.rule, self.value)
    }
}

/// The largest integer a JSON number read as a double holds exactly (2^53).
const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// **The rule of merge**: every way a record that [`fit`]s `q` breaks the rules the interviewer
/// applies, the same functions, never copies: the type rules of [`type_check_ref`] (range,
/// integer, `max_length`, multi `min`/`max`), an integer beyond what a double holds exactly, a
/// "specify" text without its option chosen, the `relevant` flag of each answer against
/// relevance recomputed from the answers ([`relevance`]), and, for a completed interview, every
/// relevant required question answered. An interview in progress is checked for relevance and
/// "specify" only: the interviewer saves values as they are typed, checked when the question
/// is left. The same rules hold in the live instances of rosters ([`instance_violations`];
/// relevance there comes from [`relevance_in_instance`]), and a completed interview keeps each
/// roster's own rule at every place ([`crate::interview::logic::roster_problem`]: its `min`, no
/// live instance beyond its `count`). Empty when the record keeps every rule.
///
/// [`type_check_ref`]: crate::interview::logic::type_check_ref
/// [`relevance`]: crate::interview::logic::relevance
///
/// `questions` holds the question index of each answer, in order, as [`fit_into`] found them;
/// `walked` is the engine's walk over the record ([`Walked::of`]).
pub(crate) fn violations(
    q: &Questionnaire,
    rec: &RecordView<'_>,
    questions: &[u32],
    walked: &Walked<'_, '_>,
) -> Vec<Violation> {
    let completed = rec.status == super::Status::Completed;
    let (tree, rules, clock) = (&walked.tree, &walked.rules, walked.clock.as_ref());
    let (rel, stale) = (&rules.rel, &rules.stale);
    let mut out = Vec::new();
    let mut answered = vec![false; q.questions.len()];
    for ((var, a), &qi) in rec.answers.0.iter().zip(questions) {
        let qi = qi as usize;
        answered[qi] = answer_rules(
            q,
            qi,
            &|| var.to_string(),
            a.borrowed(),
            Some(rel[qi]),
            completed,
            &mut out,
        );
    }
    if completed {
        for (qi, qq) in q.questions.iter().enumerate() {
            if qq.roster.is_none() && qq.required && qq.is_interviewed() && (rel[qi] || stale[qi]) && !answered[qi] {
                out.push(required(qq.id.clone()));
            }
        }
    }
    let cx = Level {
        q,
        rules,
        tree,
        clock,
        completed,
    };
    cx.roster_rules(None, At::TOP, "", &mut out);
    instance_violations(&cx, &rec.rosters, At::TOP, &mut String::new(), &mut out);
    out
}

/// A stored record as the engine sees it: its answers and instances, its clock (`today()` is
/// the day of its `updated`) and its rules, from one walk over the top level and every live
/// instance (an aggregate over a roster can decide a top-level question's relevance). What
/// [`violations`] checks the stored flags against, and what the merge's CSVs ask whether a
/// roster is asked ([`Walked::roster_asked`]).
pub(crate) struct Walked<'a, 'v> {
    /// The answers and instances.
    pub tree: crate::interview::logic::Viewed<'a, 'v>,
    /// The record's clock.
    pub clock: Option<jiff::ZonedDateTime>,
    /// The engine's rules.
    pub rules: crate::interview::logic::Rules,
    /// Whether each roster is asked where the walk met it.
    asked: crate::interview::logic::RostersAsked,
}

impl<'a, 'v> Walked<'a, 'v> {
    /// The walk over `rec`.
    pub fn of(q: &Questionnaire, rec: &'a RecordView<'v>) -> Walked<'a, 'v> {
        let clock = crate::interview::logic::record_clock(&rec.updated);
        let tree = crate::interview::logic::Viewed {
            answers: &rec.answers,
            rosters: &rec.rosters,
        };
        let (rules, asked) = crate::interview::logic::rules_and_rosters_of_view(q, tree, clock.as_ref());
        Walked {
            tree,
            clock,
            rules,
            asked,
        }
    }

    /// Whether roster `r` is asked inside `parent` (the engine's
    /// [`crate::interview::logic::roster_is_relevant`]; as the walk found it where it met the
    /// roster, which is wherever the roster has live instances).
    pub fn roster_asked(&self, q: &Questionnaire, r: usize, parent: At) -> bool {
        self.asked.get(q, r, parent).unwrap_or_else(|| {
            crate::interview::logic::roster_is_relevant(q, &self.tree, &self.rules, self.clock.as_ref(), r, parent)
        })
    }
}

/// What the rules of [`violations`] read at every level of a record.
struct Level<'a, 'v> {
    q: &'a Questionnaire,
    rules: &'a crate::interview::logic::Rules,
    tree: &'a crate::interview::logic::Viewed<'a, 'v>,
    clock: Option<&'a jiff::ZonedDateTime>,
    completed: bool,
}

impl Level<'_, '_> {
    /// The rosters' own rules ([`crate::interview::logic::roster_problem`]: the `min`, and no
    /// live instance beyond the `count`) for the rosters right inside `parent` (an instance of
    /// roster `within`, or the top level) of a completed interview, as the interviewer applies
    /// them before completion. `path` is the prefix of `parent` (`projects[2].`).
    fn roster_rules(&self, within: Option<usize>, parent: At, path: &str, out: &mut Vec<Violation>) {
        use crate::interview::logic::{RosterProblem, Tree, roster_problem};
        if !self.completed {
            return;
        }
        for (r, ro) in self.q.rosters.iter().enumerate().filter(|(_, ro)| ro.parent == within) {
            let Some(p) = roster_problem(self.q, self.tree, self.rules, self.clock, r, parent) else {
                continue;
            };
            let live = self.tree.live(self.q, r, parent).iter().filter(|l| **l).count();
            out.push(Violation {
                variable: format!("{path}{}", ro.id),
                rule: match p {
                    RosterProblem::TooFew(m) => {
                        format!("min {m} instances (a completed interview has at least the roster's min)")
                    }
                    RosterProblem::OverCount(_, count) => {
                        format!("count {count} (a completed interview has no instance beyond the roster's count)")
                    }
                },
                value: format!("{live} instances"),
            });
        }
    }
}

/// The rules of [`violations`] in the live instances of one level (removed instances, and
/// everything inside them, count nowhere): each answer's, and the required questions of each
/// instance. Variables are named with their instance path (`projects[2].grant_amount`, the
/// place in the file as in [`Misfit`]s).
fn instance_violations(
    cx: &Level<'_, '_>,
    rosters: &super::view::RostersView<'_>,
    parent: At,
    path: &mut String,
    out: &mut Vec<Violation>,
) {
    let (q, rules, completed) = (cx.q, cx.rules, cx.completed);
    let base = path.len();
    // Per question of the instance at hand: its relevance, and whether it is answered (one
    // pair of buffers for every instance: an instance is done before those nested in it).
    let (mut rel, mut answered) = (Vec::new(), Vec::new());
    for (name, instances) in &rosters.0 {
        // `fit` has checked the names.
        let Some(r) = q.roster_index(name) else { continue };
        let first = q.rosters[r].questions.start;
        for (n, inst) in instances.iter().enumerate().filter(|(_, i)| i.live()) {
            let Some(at) = parent.child(n as u32) else { continue };
            // This instance's prefix (`projects[2].`), in place; variables are named with it
            // only when something is wrong (a record has hundreds of instance answers).
            path.truncate(base);
            path.push_str(name.as_str());
            path.push('[');
            path.push_str(itoa::Buffer::new().format(n + 1));
            path.push_str("].");
            let prefix = &*path;
            relevance_in_instance(q, rules, r, at, &mut rel);
            answered.clear();
            answered.resize(rel.len(), false);
            for (var, a) in &inst.answers.0 {
                let Some(qi) = q.index_of(var) else { continue };
                let var = || format!("{prefix}{}", var.as_str());
                answered[qi - first] = answer_rules(q, qi, &var, a.borrowed(), rel[qi - first], completed, out);
            }
            if completed {
                for qi in q.rosters[r].questions.clone() {
                    let qq = &q.questions[qi];
                    if qq.roster == Some(r)
                        && qq.required
                        && qq.is_interviewed()
                        && (rel[qi - first] == Some(true) || rules.stale(q, qi, at))
                        && !answered[qi - first]
                    {
                        out.push(required(format!("{prefix}{}", qq.id)));
                    }
                }
            }
            cx.roster_rules(Some(r), at, path, out);
            if !inst.rosters.0.is_empty() {
                instance_violations(cx, &inst.rosters, at, path, out);
            }
        }
    }
    path.truncate(base);
}

/// **Relevance inside an instance**: for each question of `q.rosters[r].questions` (indexed
/// from its start), whether it is relevant at instance `at`, as the engine's walk found it
/// ([`crate::interview::logic::Rules`]); `None` for the questions of rosters nested in it
/// (their own instances say). Into `rel`, cleared first.
fn relevance_in_instance(
    q: &Questionnaire,
    rules: &crate::interview::logic::Rules,
    r: usize,
    at: At,
    rel: &mut Vec<Option<bool>>,
) {
    rel.clear();
    rel.extend(
        q.rosters[r]
            .questions
            .clone()
            .map(|qi| (q.questions[qi].roster == Some(r)).then(|| rules.rel(q, qi, at))),
    );
}

/// A relevant required question without an answer in a completed interview.
fn required(variable: String) -> Violation {
    Violation {
        variable,
        rule: "required (a completed interview answers every relevant required question)".into(),
        value: "none".into(),
    }
}

/// The rules of one answer to question `qi` (named `var` in violations): its `relevant` flag
/// against `relevant` (when known), "specify" only with its option, and for a completed
/// interview the type rules and exact integers. Whether it counts as answered (relevant and not
/// empty).
fn answer_rules(
    q: &Questionnaire,
    qi: usize,
    var: &dyn Fn() -> String,
    a: AnswerRef<'_>,
    relevant: Option<bool>,
    completed: bool,
    out: &mut Vec<Violation>,
) -> bool {
    use crate::interview::logic::{Problem as Rule, type_check_ref};
    let qq = &q.questions[qi];
    let mut broken = |rule: String| {
        out.push(Violation {
            variable: var(),
            rule,
            value: shown(a.value),
        })
    };
    if let Some(rel) = relevant
        && a.relevant != rel
    {
        broken(if rel {
            "relevance (the question is relevant; the answer is marked not relevant)".into()
        } else {
            "relevance (the question is not relevant to these answers; the answer is marked relevant)".into()
        });
    }
    if a.other.is_some_and(|t| !t.trim().is_empty()) && !a.other_chosen(qq) {
        broken("\"specify\" only with its option (a \"specify\" text, its option not chosen)".into());
    }
    let Some(v) = a.value else { return false };
    if completed {
        if let Some(p) = type_check_ref(qq, v) {
            broken(match p {
                Rule::NotANumber => "a finite number".into(),
                Rule::NotInteger => "integer".into(),
                Rule::BelowMin(m) => format!("min {m}"),
                Rule::AboveMax(m) => format!("max {m}"),
                Rule::TooLong(n) => format!("max_length {n}"),
                Rule::TooFew(n) => format!("min {n} options"),
                Rule::TooMany(n) => format!("max {n} options"),
                Rule::BadDate => "a YYYY-MM-DD date".into(),
                other => format!("{other:?}"),
            });
        }
        if let (Kind::Number { integer: true, .. }, ValueRef::Number(n)) = (&qq.kind, v)
            && n.abs() > EXACT_INTEGER
        {
            broken("an integer of at most 15 digits (larger ones are not read exactly)".into());
        }
    }
    let empty = match v {
        ValueRef::Text(t) => t.trim().is_empty(),
        ValueRef::Codes(c) => c.is_empty(),
        ValueRef::Number(n) => n.is_nan(),
    };
    a.relevant && !empty
}

/// A value as a violation shows it: JSON, at most 80 characters.
fn shown(v: Option<ValueRef<'_>>) -> String {
    let s = match v {
        None => return "none".into(),
        Some(ValueRef::Number(n)) => serde_json::to_string(&n).unwrap_or_default(),
        Some(ValueRef::Text(t)) => serde_json::to_string(t).unwrap_or_default(),
        Some(ValueRef::Codes(c)) => serde_json::to_string(&c.iter().collect::<Vec<_>>()).unwrap_or_default(),
    };
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(79).collect::<String>())
    } else {
        s
    }
}

/// Parses `YYYY-MM-DD` into a valid calendar date.
pub(crate) fn parse_date(s: &str) -> Option<(i32, u8, u8)> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let y: i32 = s[0..4].parse().ok()?;
    let m: u8 = s[5..7].parse().ok()?;
    let d: u8 = s[8..10].parse().ok()?;
    jiff::civil::Date::new(y as i16, m as i8, d as i8).ok()?;
    Some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Answer, AnswerValue};

    fn q() -> Questionnaire {
        crate::questionnaire::fixtures::fit()
    }

    /// The text of a record of questionnaire `fit` with these answers (a JSON object's body).
    fn record_text(answers: &str) -> String {
        format!(
            r#"{{"format":"{}","id":"0190f0e0-0000-7000-8000-000000000000","revision":1,"device":"d",
            "interviewer":"I","questionnaire":{{"id":"fit","version":"1","sha256":"s"}},"status":"completed",
            "started":"2021-01-10T10:00:00Z","updated":"2021-01-10T10:00:00Z","duration_ms":1,
            "answers":{{{answers}}}}}"#,
            crate::record::FORMAT
        )
    }

    /// Fits a record with these answers, owned and as a view (which must agree).
    fn check(answers: &[(&str, Option<AnswerValue>, Option<&str>)]) -> Result<(), String> {
        let q = q();
        let mut rec: Record = serde_json::from_str(&record_text("")).unwrap();
        for (var, value, other) in answers {
            let a = Answer {
                value: value.clone(),
                other: other.map(str::to_owned),
                relevant: true,
                ..Answer::default()
            };
            rec.answers.insert((*var).to_owned(), a);
        }
        let text = String::from_utf8(rec.to_json()).unwrap();
        let view = RecordView::parse(&text).unwrap();
        let (owned, borrowed) = (fit(&q, &rec), fit(&q, &view));
        assert_eq!(owned, borrowed, "a record and its view fit alike");
        owned.map_err(|m| m.to_string())
    }

    fn text(s: &str) -> Option<AnswerValue> {
        Some(AnswerValue::Text(s.into()))
    }

    fn codes(cs: &[&str]) -> Option<AnswerValue> {
        Some(AnswerValue::Codes(cs.iter().map(|c| (*c).to_owned()).collect()))
    }

    #[test]
    fn answers_of_the_right_kind_fit() {
        let ok = check(&[
            ("intro", None, None),
            ("kind", text("other"), Some("specified")),
            ("many", codes(&["long_code_1", "long_code_9"]), None),
            ("n", Some(AnswerValue::Number(-2.5)), None),
            ("name", text("Иван"), None),
            ("when", text("2024-02-29"), None),
        ]);
        assert_eq!(ok, Ok(()));
        assert_eq!(check(&[("many", codes(&["none"]), None)]), Ok(()));
    }

    #[test]
    fn each_misfit_has_its_message() {
        type Case<'a> = (Vec<(&'a str, Option<AnswerValue>, Option<&'a str>)>, &'a str);
        let cases: Vec<Case<'_>> = vec![
            (vec![("nope", text("a"), None)], "answer to unknown variable `nope`"),
            (vec![("whe", text("a"), None)], "answer to unknown variable `whe`"),
            (
                vec![("intro", text("a"), None)],
                "variable `intro` (note): a note cannot have a value",
            ),
            (
                vec![("kind", text("b"), None)],
                "variable `kind` (single): unknown code `b`",
            ),
            (
                vec![("name", text("x"), Some("y"))],
                "variable `name` (text): has an `other` text but no `other` option",
            ),
            (
                vec![("many", codes(&["long_code_2"]), None)],
                "variable `many` (multi): unknown code `long_code_2`",
            ),
            (
                vec![("many", codes(&["long_code_9", "long_code_9"]), None)],
                "variable `many` (multi): code `long_code_9` chosen twice",
            ),
            (
                vec![("many", codes(&["none", "long_code_1"]), None)],
                "variable `many` (multi): an exclusive option is combined with others",
            ),
            (
                vec![("when", text("2023-02-29"), None)],
                "variable `when` (date): `2023-02-29` is not a YYYY-MM-DD date",
            ),
            (
                vec![("n", text("5"), None)],
                "variable `n` (number): wrong type of value: a string",
            ),
            (
                vec![("n", Some(AnswerValue::Number(f64::INFINITY)), None)],
                "variable `n` (number): wrong type of value: a number",
            ),
            (
                vec![("kind", Some(AnswerValue::Number(1.0)), None)],
                "variable `kind` (single): wrong type of value: a number",
            ),
            (
                vec![("name", codes(&["a"]), None)],
                "variable `name` (text): wrong type of value: an array",
            ),
            // The first misfit in the order of the answers (sorted by variable) is the one told.
            (
                vec![("when", text("x"), None), ("kind", text("b"), None)],
                "variable `kind` (single): unknown code `b`",
            ),
        ];
        for (answers, message) in cases {
            if answers[0].1 == Some(AnswerValue::Number(f64::INFINITY)) {
                // JSON cannot carry an infinity: fit the owned record alone.
                let mut rec: Record = serde_json::from_str(&record_text("")).unwrap();
                rec.answers.insert(
                    "n".into(),
                    Answer {
                        value: answers[0].1.clone(),
                        ..Answer::default()
                    },
                );
                assert_eq!(fit(&q(), &rec).map_err(|m| m.to_string()), Err(message.to_owned()));
                continue;
            }
            assert_eq!(check(&answers), Err(message.to_owned()), "{answers:?}");
        }
    }

    #[test]
    fn a_record_of_another_questionnaire_does_not_fit() {
        let q = q();
        let mut other = q.clone();
        other.id = "other".into();
        let text = record_text("");
        let rec = RecordView::parse(&text).unwrap();
        assert_eq!(fit(&q, &rec), Ok(()));
        let m = fit(&other, &rec).unwrap_err();
        assert_eq!(m.to_string(), "questionnaire id `fit` does not match `other`");
        assert_eq!(
            m.against(&other),
            "does not fit questionnaire `other` 1: questionnaire id `fit` does not match `other`"
        );
    }

    #[test]
    fn fit_into_tells_the_options_chosen() {
        let q = q();
        let text = record_text(
            r#""kind":{"value":"other","other":"x","relevant":true},"many":{"value":["none"],"relevant":true},
            "n":{"value":3,"relevant":true},"zz":{"value":1,"relevant":true}"#,
        );
        let view = RecordView::parse(&text).unwrap();
        let mut chosen = vec![99];
        let mut seen = Vec::new();
        let r = fit_into(&q, &view, &mut chosen, |qidx, at, range| seen.push((qidx, at, range)));
        assert_eq!(r, Err(Misfit::UnknownVariable("zz".into())));
        assert_eq!(
            chosen,
            [1, 2],
            "`other` is option 1 of `kind`, `none` option 2 of `many`"
        );
        assert_eq!(seen, [(1, 0, 0..1), (2, 1, 1..2), (3, 2, 2..2)]);
    }

    #[test]
    fn dates_are_calendar_dates() {
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "2024-01-01T00:00",
            "２０２４-01-01",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}

#[cfg(test)]
mod roster_tests {
    use super::*;
    use crate::record::{Answer, AnswerValue, Event, EventKind, Instance, Status};

    fn projects() -> Questionnaire {
        crate::questionnaire::load("projects.json", include_str!("../../questionnaires/projects.json")).unwrap()
    }

    fn answer(v: AnswerValue) -> Answer {
        Answer {
            value: Some(v),
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

    /// A completed interview of `projects` with two live projects (the first with two
    /// partners, one of them removed) and a removed third project.
    fn record(q: &Questionnaire) -> Record {
        let text_of = format!(
            r#"{{"format":"{FORMAT_V2}","id":"0190f0e0-0000-7000-8000-000000000000","revision":1,"device":"d",
            "interviewer":"I","questionnaire":{{"id":"projects","version":"1","sha256":"{}"}},"status":"completed",
            "started":"2021-01-10T10:00:00Z","updated":"2021-01-10T10:00:00Z","duration_ms":1,"answers":{{}}}}"#,
            q.sha256
        );
        let mut r: Record = serde_json::from_str(&text_of).unwrap();
        for (k, a) in [
            ("org_type", text("ngo")),
            ("n_projects", num(2.0)),
            ("grants_total", num(50.0)),
            ("projects_granted", num(1.0)),
            ("partners_total", num(1.0)),
            ("satisfied", text("1")),
        ] {
            r.answers.insert(k.into(), a);
        }
        let project = |name: &str, grant: bool| Instance {
            answers: [
                ("project_name", text(name)),
                ("project_no", num(1.0)),
                ("field", text("culture")),
                ("grant", text(if grant { "yes" } else { "no" })),
                ("granted", num(if grant { 1.0 } else { 0.0 })),
                ("n_partners", num(0.0)),
            ]
            .into_iter()
            .map(|(k, a)| (k.to_owned(), a))
            .chain(grant.then(|| ("grant_amount".to_owned(), num(50.0))))
            .collect(),
            ..Instance::default()
        };
        let partner = |name: &str| Instance {
            answers: [("partner_name", text(name)), ("partner_type", text("ngo"))]
                .into_iter()
                .map(|(k, a)| (k.to_owned(), a))
                .collect(),
            ..Instance::default()
        };
        let mut first = project("Сад", true);
        let mut gone = partner("Ушёл");
        gone.removed = Some("2021-01-10T10:00:00Z".into());
        first.rosters.insert("partners".into(), vec![partner("Фонд"), gone]);
        let mut third = project("Удалён", false);
        third.removed = Some("2021-01-10T10:00:00+03:00".into());
        r.rosters
            .insert("projects".into(), vec![first, project("Клуб", false), third]);
        r.position_at = vec![1, 1];
        r.position = Some("partner_name".into());
        r.paradata.push(Event {
            ms: 1,
            ev: EventKind::Added,
            q: "projects".into(),
            at: vec![1],
            gap_s: None,
        });
        r
    }

    /// `fit` of the record and of its view (which must agree), as a message.
    fn fits(q: &Questionnaire, r: &Record) -> Result<(), String> {
        let text = String::from_utf8(r.to_json()).unwrap();
        let view = RecordView::parse(&text).unwrap();
        assert_eq!(fit(q, r), fit(q, &view), "a record and its view fit alike");
        fit(q, r).map_err(|m| m.to_string())
    }

    fn broken(q: &Questionnaire, r: &Record) -> Vec<String> {
        let text = String::from_utf8(r.to_json()).unwrap();
        let view = RecordView::parse(&text).unwrap();
        let mut questions = Vec::new();
        fit_into(q, &view, &mut Vec::new(), |qi, _, _| questions.push(qi as u32)).unwrap();
        violations(q, &view, &questions, &Walked::of(q, &view))
            .iter()
            .map(|v| v.to_string())
            .collect()
    }

    #[test]
    fn a_record_with_instances_fits_and_keeps_the_rules() {
        let q = projects();
        let r = record(&q);
        assert_eq!(fits(&q, &r), Ok(()));
        assert_eq!(broken(&q, &r), Vec::<String>::new());
    }

    #[test]
    fn each_misfit_of_the_rosters_has_its_message() {
        let q = projects();
        type Damage = fn(&mut Record);
        let cases: [(Damage, &str); 10] = [
            (
                |r| r.format = FORMAT.into(),
                "format `anketa-interview/1` has no rosters, `position_at` or event `at`: a record with instances is \
                 `anketa-interview/2`",
            ),
            (
                |r| {
                    r.rosters
                        .insert("teams".into(), vec![Instance::default()])
                        .map_or((), drop)
                },
                "instances of unknown roster `teams`",
            ),
            (
                |r| r.rosters.insert("partners".into(), vec![]).map_or((), drop),
                "instances of roster `partners` outside roster `projects`, in which it is nested",
            ),
            (
                |r| {
                    let p = r.rosters.get_mut("projects").unwrap();
                    p[1].rosters.insert("projects".into(), vec![]);
                },
                "instances of roster `projects[2].projects` inside another roster: it is not nested",
            ),
            (
                |r| r.answers.insert("field".into(), text("culture")).map_or((), drop),
                "answer `field` outside roster `projects`: the question is asked in its instances",
            ),
            (
                |r| {
                    let p = r.rosters.get_mut("projects").unwrap();
                    p[1].answers.insert("org_type".into(), text("ngo"));
                },
                "answer `projects[2].org_type` in an instance: the question is asked once per interview",
            ),
            (
                |r| {
                    let p = r.rosters.get_mut("projects").unwrap();
                    p[0].answers.insert("partner_name".into(), text("x"));
                },
                "answer `projects[1].partner_name` outside roster `partners`: the question is asked in its instances",
            ),
            (
                |r| {
                    let p = r.rosters.get_mut("projects").unwrap();
                    let partners = p[0].rosters.get_mut("partners").unwrap();
                    partners[1].answers.insert("partner_type".into(), text("bank"));
                },
                "variable `projects[1].partners[2].partner_type` (single): unknown code `bank`",
            ),
            (
                |r| {
                    let p = r.rosters.get_mut("projects").unwrap();
                    p[2].removed = Some("yesterday".into());
                },
                "instance `projects[3]`: `removed` is `yesterday`, not an RFC 3339 time with seconds and an offset",
            ),
            (
                |r| {
                    let p = r.rosters.get_mut("projects").unwrap();
                    let one = p[1].clone();
                    p.extend(std::iter::repeat_n(one, MAX_INSTANCES as usize - 1));
                },
                "1001 instances of roster `projects`: at most 1000 count (and 2000 are kept)",
            ),
        ];
        for (damage, message) in cases {
            let mut r = record(&q);
            damage(&mut r);
            assert_eq!(fits(&q, &r), Err(message.to_owned()));
        }
        // A format-1 record with nothing but a path is no format 1 either.
        let mut r = record(&q);
        r.format = FORMAT.into();
        r.rosters.clear();
        r.position_at.clear();
        assert_eq!(fits(&q, &r), Err(Misfit::RostersInFormat1.to_string()));
        r.paradata.clear();
        assert_eq!(fits(&q, &r), Ok(()));
    }

    #[test]
    fn a_completed_interview_keeps_the_rosters_count_and_min_as_the_interviewer_does() {
        let q = projects();
        // Two live projects, one removed: over a count of 1 by one (the removed one counts nowhere).
        let mut r = record(&q);
        r.answers.insert("n_projects".into(), num(1.0));
        assert!(
            broken(&q, &r).contains(
                &"`projects` breaks count 1 (a completed interview has no instance beyond the roster's count): \
                  2 instances"
                    .to_owned()
            ),
            "{:?}",
            broken(&q, &r)
        );
        // The same rule as the interviewer's, not a copy of it: its verdict on the same record.
        let session = crate::interview::session::Session::open(std::sync::Arc::new(q.clone()), r.clone());
        assert_eq!(
            session.roster_problem(0, At::TOP),
            Some(crate::interview::logic::RosterProblem::OverCount(1, 1))
        );
        // A `min` of partners: the first project has one live partner, the second none.
        let text =
            include_str!("../../questionnaires/projects.json").replace(r#""max": 10,"#, r#""max": 10, "min": 2,"#);
        let q2 = crate::questionnaire::load("projects-min.json", &text).unwrap();
        let mut r = record(&q2);
        r.questionnaire.sha256 = q2.sha256.clone();
        let min = "breaks min 2 instances (a completed interview has at least the roster's min)";
        assert_eq!(
            broken(&q2, &r),
            [
                format!("`projects[1].partners` {min}: 1 instances"),
                format!("`projects[2].partners` {min}: 0 instances")
            ]
        );
        // An interview in progress is checked when it is completed.
        r.status = Status::InProgress;
        r.completed = None;
        assert_eq!(broken(&q2, &r), Vec::<String>::new());
    }

    #[test]
    fn what_the_walk_found_of_the_rosters_is_the_engines_roster_relevance() {
        use crate::interview::logic::{Tree, live_paths, roster_is_relevant};
        let q = projects();
        let sim = crate::simulate::Simulator::new(
            &q,
            crate::simulate::Options {
                incomplete_share: 0.3,
                ..Default::default()
            },
        );
        let mut met = 0;
        for n in 0..60 {
            let mut r = sim.record(n);
            // Some with the projects' block no longer asked, their answers kept.
            if n % 3 == 0 && r.status == Status::InProgress {
                r.answers.insert("n_projects".into(), num(0.0));
            }
            let text = String::from_utf8(r.to_json()).unwrap();
            let view = RecordView::parse(&text).unwrap();
            let walked = Walked::of(&q, &view);
            for (ri, ro) in q.rosters.iter().enumerate() {
                let parents = match ro.parent {
                    None => vec![At::TOP],
                    Some(p) => live_paths(&q, &walked.tree, p, At::TOP),
                };
                for parent in parents {
                    let engine = roster_is_relevant(&q, &walked.tree, &walked.rules, walked.clock.as_ref(), ri, parent);
                    assert_eq!(
                        walked.roster_asked(&q, ri, parent),
                        engine,
                        "record {n}, roster {ri} in {parent:?}"
                    );
                    let live = walked.tree.live(&q, ri, parent).iter().any(|l| *l);
                    if live {
                        // Where the roster has live instances the walk met it: no second evaluation.
                        assert_eq!(walked.asked.get(&q, ri, parent), Some(engine));
                        met += 1;
                    }
                }
            }
        }
        assert!(met > 50, "{met}");
    }

    #[test]
    fn the_rules_apply_to_the_answers_of_live_instances_only() {
        let q = projects();
        let mut r = record(&q);
        let p = r.rosters.get_mut("projects").unwrap();
        p[0].answers.insert("grant_amount".into(), num(200_000.0));
        p[1].answers.insert("project_name".into(), text(" "));
        // In a removed instance, and inside a removed one: counted nowhere.
        p[2].answers.insert("grant_amount".into(), num(-5.0));
        let partners = p[0].rosters.get_mut("partners").unwrap();
        partners[1].answers.insert("partner_name".into(), text(&"x".repeat(81)));
        partners[0].answers.get_mut("partner_type").unwrap().relevant = false;
        let b = broken(&q, &r);
        assert_eq!(
            b,
            [
                "`projects[1].grant_amount` breaks max 100000: 200000.0",
                // Relevance is recomputed per instance: a partner's type is asked there.
                "`projects[1].partners[1].partner_type` breaks relevance (the question is relevant; the answer is \
                 marked not relevant): \"ngo\"",
                "`projects[1].partners[1].partner_type` breaks required (a completed interview answers every \
                 relevant required question): none",
                "`projects[2].project_name` breaks required (a completed interview answers every relevant required \
                 question): none",
            ],
            "{b:#?}"
        );
        // An interview in progress: the type and required rules wait for its completion;
        // relevance does not.
        r.status = Status::InProgress;
        r.completed = None;
        assert_eq!(
            broken(&q, &r),
            [
                "`projects[1].partners[1].partner_type` breaks relevance (the question is relevant; the answer is \
              marked not relevant): \"ngo\""
            ]
        );
    }
}
