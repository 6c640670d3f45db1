//! The interview state machine: `update(&mut Session, Action, Now) -> Effect`.
//!
//! A [`Session`] is one open interview: the questionnaire, the [`Record`] being written, where
//! the interviewer is, and the transient UI state (field editors, the message line). Every
//! change to the record bumps its revision and returns [`Effect::Save`]; the caller must make
//! the record durable before handling the next key. Nothing here touches a terminal or a file.

use super::editor::Editor;
use super::logic::{At, Checks, Owned, Problem, Rules, Scope};
use crate::questionnaire::{Kind, Questionnaire, Text};
use crate::record::{Answer, AnswerValue, Event, EventKind, Instance, QuestionnaireRef, Record, Reopening, Status};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The time of an action: wall clock for timestamps, interview clock for durations.
#[derive(Debug, Clone)]
pub struct Now {
    /// Wall clock, RFC 3339 UTC, whole seconds.
    pub wall: String,
    /// Interview time in milliseconds (monotonic, pauses excluded).
    pub ms: u64,
}

/// Formats a timestamp as RFC 3339 UTC with whole seconds.
pub(crate) fn rfc3339(t: jiff::Timestamp) -> String {
    t.round(jiff::Unit::Second)
        .map_or_else(|_| t.to_string(), |t| t.to_string())
}

/// What the interviewer asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Enter / PgDn: accept and go to the next relevant question.
    Next,
    /// PgUp: previous relevant question.
    Prev,
    /// Move the highlight (options, review and jump lists) up.
    Up,
    /// Move the highlight down.
    Down,
    /// Choose option number n (0-based) by digit.
    Choose(usize),
    /// Space: toggle (multi) or choose (single) the highlighted option.
    Toggle,
    /// A typed character (only in text fields).
    Input(char),
    /// Pasted text.
    Paste(String),
    /// Delete before the cursor; on an empty answer field, go back.
    Backspace,
    /// Delete under the cursor.
    Delete,
    /// Cursor left.
    Left,
    /// Cursor right.
    Right,
    /// Cursor to line start.
    Home,
    /// Cursor to line end.
    End,
    /// New line in a long text.
    Newline,
    /// Tab: move focus between the options and the "specify" field.
    Focus,
    /// F2: write a remark on the current question.
    Remark,
    /// F3: the review screen.
    Review,
    /// F4: the jump list.
    Jump,
    /// F10 on review: complete the interview.
    Complete,
    /// Insert (or `+`) on a roster's list: add an instance.
    Add,
    /// Esc inside a sub-mode: leave it without changes.
    Cancel,
}

/// What the caller must do after an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing changed on disk.
    None,
    /// The record changed: persist it now.
    Save,
    /// The interview was completed (and must be persisted).
    Completed,
}

/// Where keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The answer itself (options or the answer field).
    Answer,
    /// The "specify" field of an `other` option.
    Other,
    /// The remark field.
    Remark,
}

/// Which screen of the interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One question.
    Question,
    /// Every relevant question with its answer.
    Review {
        /// Selected row.
        sel: usize,
    },
    /// Blocks and questions already reached.
    Jump {
        /// Selected row.
        sel: usize,
    },
    /// The instances of a roster: open, add, remove, restore, or go on past it.
    Roster {
        /// The roster.
        r: usize,
        /// The instance of the roster around it it is in (the top level for an outer roster).
        parent: At,
        /// Selected row: an instance (its stored index), or past the last one, "go on".
        sel: usize,
    },
}

/// A place in the flow of an interview: a question at an instance (or the top level), or a
/// roster's list inside an instance of the roster around it (or the top level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pos {
    /// Question `.0` at `.1`.
    Question(usize, At),
    /// Roster `.0`'s list inside `.1`.
    Roster(usize, At),
}

pub use super::logic::RosterProblem;

/// A message for the interviewer (localised by the UI).
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The current answer cannot be accepted.
    Problem(Problem),
    /// Completed interviews are read-only.
    ReadOnly,
    /// Selecting more is refused.
    MaxReached(u32),
    /// Completion refused: this many required answers are missing or invalid.
    CannotComplete(usize),
    /// The interview was completed.
    Completed,
    /// The end of the questionnaire: review and complete.
    EndReached,
    /// The remark was saved.
    RemarkSaved,
    /// An instance was added to the roster.
    InstanceAdded,
    /// Remove the instance? (Delete again removes it.)
    ConfirmRemove,
    /// The instance was removed (Delete on it restores it).
    InstanceRemoved,
    /// The instance was restored.
    InstanceRestored,
    /// The roster's count is set by an answer: instances are not added by hand.
    CountedRoster,
    /// The roster has its greatest number of instances.
    RosterFull(u32),
    /// The instance was removed: restore it (Delete) to open it.
    InstanceIsRemoved,
    /// Nothing is asked in this instance (its questions are not relevant).
    NothingAsked,
    /// The roster needs attention before completion.
    Roster(RosterProblem),
    /// A typed option number that the question does not have.
    NoSuchOption(u32),
}

/// One open interview.
#[derive(Debug, Clone)]
pub struct Session {
    /// The questionnaire (shared with the start screen).
    pub q: Arc<Questionnaire>,
    /// The record being written.
    pub rec: Record,
    /// Index of the current question.
    pub cur: usize,
    /// The instance of the current question (the top level outside rosters).
    pub at: At,
    /// Relevance of every question (per instance in rosters), kept up to date; false too for a
    /// question whose stored code its choice filter no longer offers (its answer does not count:
    /// `stale` says it is still asked).
    pub rules: Rules,
    /// The instance (stored index) whose removal waits for a second Delete.
    pending_remove: Option<usize>,
    /// The options of the current question its choice filter offers (all without one), in
    /// order: digits number these, 1 to n.
    pub offered: Vec<usize>,
    /// Questions already shown or answered (for the jump list).
    pub reached: Vec<bool>,
    /// Current screen.
    pub mode: Mode,
    /// Where typed keys go.
    pub focus: Focus,
    /// Highlighted option.
    pub highlight: usize,
    /// True after arrows moved the highlight (Enter then chooses it in a single).
    highlight_moved: bool,
    /// An option number being typed (`2` of `25` in a list of 32), shown on screen until it is
    /// complete: as soon as no longer option number starts with it, or on Space or Enter. No
    /// timing: a slow typist gets the option typed.
    pub pending: Option<u32>,
    /// The answer field (number, text, long text, date).
    pub edit: Editor,
    /// The "specify" field.
    pub other_edit: Editor,
    /// The remark field.
    pub remark_edit: Editor,
    /// Letters typed on a choice question: only the options whose label holds them are shown
    /// (case-insensitive, ё = е), with their own numbers.
    pub filter: String,
    /// The remark as it was when the remark field opened (Esc puts it back), while it is open.
    remark_before: Option<Option<String>>,
    /// The message line.
    pub message: Option<Message>,
    /// A soft warning is shown and Enter will confirm it.
    pub pending_warning: bool,
    /// Completed interviews open read-only.
    pub read_only: bool,
    /// The interviewer's time zone, for `today()` and `now()` (UTC unless the caller sets it).
    pub zone: jiff::tz::TimeZone,
    /// The clock as of the last action (`today()`, `now()`).
    clock: Option<jiff::ZonedDateTime>,
    /// [`Session::progress`] as of a revision of the record.
    progress_at: std::cell::Cell<Option<(u64, (usize, usize))>>,
    /// The progress of each instance's own questions, kept until a change can alter it (a
    /// roster of hundreds is not counted again at every key).
    progress_in: std::cell::RefCell<std::collections::HashMap<(usize, At), (usize, usize)>>,
}

/// Text folded for matching: lower case, ё as е.
fn fold(s: &str) -> String {
    s.to_lowercase().replace('ё', "е")
}

/// Creates the record of a new interview.
pub fn new_record(q: &Questionnaire, id: String, device: String, interviewer: String, now: &Now) -> Record {
    Record {
        format: if q.has_rosters() {
            crate::record::FORMAT_V2
        } else {
            crate::record::FORMAT
        }
        .to_string(),
        id,
        revision: 0,
        device,
        interviewer,
        questionnaire: QuestionnaireRef {
            id: q.id.clone(),
            version: q.version.clone(),
            sha256: q.sha256.clone(),
        },
        status: Status::InProgress,
        started: now.wall.clone(),
        updated: now.wall.clone(),
        completed: None,
        duration_ms: 0,
        position: None,
        position_at: Vec::new(),
        answers: Default::default(),
        rosters: Default::default(),
        reopened: Vec::new(),
        paradata: Vec::new(),
    }
}

/// Records that an unfinished interview is taken up again: a `resumed` event at the interview
/// clock (`now.ms`), where it stood, and the wall-clock seconds since it was last written — the
/// length of the interruption (a quit, a crash, a night). A completed interview opened only to
/// be looked at is not resumed.
pub(crate) fn resume(rec: &mut Record, now: &Now) {
    if rec.status != Status::InProgress {
        return;
    }
    let gap_s = match (
        rec.updated.parse::<jiff::Timestamp>(),
        now.wall.parse::<jiff::Timestamp>(),
    ) {
        (Ok(last), Ok(at)) => Some(at.as_second().saturating_sub(last.as_second()).max(0) as u64),
        _ => None,
    };
    rec.paradata.push(Event {
        ms: now.ms,
        ev: EventKind::Resumed,
        q: rec.position.clone().unwrap_or_default(),
        gap_s,
        at: Vec::new(),
    });
}

/// Reopens a completed interview: back to in progress, the reopening recorded.
pub(crate) fn reopen(rec: &mut Record, now: &Now) {
    if rec.status != Status::Completed {
        return;
    }
    rec.revision += 1;
    rec.reopened.push(Reopening {
        at: now.wall.clone(),
        revision: rec.revision,
        was_completed: rec.completed.take().unwrap_or_default(),
    });
    rec.status = Status::InProgress;
    rec.updated = now.wall.clone();
}

/// Progress of an interview: (answered, to answer) over the relevant questions that are
/// required or answered — an optional question left empty does not hold it short of full. The
/// interviewer's bar, its start screen and `anketa list` all count with this.
pub fn progress(q: &Questionnaire, rec: &Record, rules: &Rules) -> (usize, usize) {
    let mut p = top_progress(q, rec, rules);
    let tree = Owned {
        answers: &rec.answers,
        rosters: &rec.rosters,
    };
    for r in 0..q.rosters.len() {
        for at in super::logic::live_paths(q, &tree, r, At::TOP) {
            let (d, t) = own_progress(q, rec, rules, r, at);
            p = (p.0 + d, p.1 + t);
        }
    }
    p
}

/// One question's share of [`progress`]: (answered, counted).
fn counted(has: bool, required: bool) -> (usize, usize) {
    if has || required { (usize::from(has), 1) } else { (0, 0) }
}

/// [`progress`] of the questions outside rosters.
fn top_progress(q: &Questionnaire, rec: &Record, rules: &Rules) -> (usize, usize) {
    // One pass over the answers (a lookup per question would compare names hundreds of times).
    let mut has_value = vec![false; q.questions.len()];
    for (var, a) in &rec.answers {
        if let Some(i) = q.index_of(var)
            && a.value.as_ref().is_some_and(|v| !super::logic::is_empty(v))
        {
            has_value[i] = true;
        }
    }
    let (mut answered, mut total) = (0, 0);
    for (i, qq) in q.questions.iter().enumerate() {
        if qq.roster.is_some() || !rules.rel[i] || !qq.is_interviewed() {
            continue;
        }
        let (d, t) = counted(has_value[i], qq.required);
        answered += d;
        total += t;
    }
    (answered, total)
}

/// [`progress`] of roster `r`'s own questions in its instance `at` (nested rosters aside).
fn own_progress(q: &Questionnaire, rec: &Record, rules: &Rules, r: usize, at: At) -> (usize, usize) {
    let Some(inst) = super::logic::instance(q, &rec.rosters, r, at) else {
        return (0, 0);
    };
    let (mut answered, mut total) = (0, 0);
    for i in q.rosters[r].questions.clone() {
        let qq = &q.questions[i];
        if qq.roster != Some(r) || !qq.is_interviewed() || !rules.rel(q, i, at) {
            continue;
        }
        let has = inst
            .answers
            .get(&qq.id)
            .is_some_and(|a| a.value.as_ref().is_some_and(|v| !super::logic::is_empty(v)));
        let (d, t) = counted(has, qq.required);
        answered += d;
        total += t;
    }
    (answered, total)
}

/// What a piped `${name}` shows while that question has no answer.
pub const UNANSWERED: &str = "[…]";

impl Session {
    /// The checks of an answer of this interview, as it stands.
    fn checks(&self, at: At) -> Checks<'_> {
        Checks {
            q: &self.q,
            rel: &self.rules.rel,
            answers: &self.rec.answers,
            clock: self.clock.as_ref(),
            scope: self.q.has_rosters().then_some(Scope {
                rosters: &self.rec.rosters,
                rules: &self.rules,
                at,
            }),
        }
    }

    /// `f` with the expression environment of the current place (a question of `roster` there).
    fn evaluate_here<R>(&self, roster: Option<usize>, f: impl FnOnce(&dyn crate::expr::Env) -> R) -> R {
        super::logic::at_place(
            &self.q,
            self.tree(),
            &self.rules,
            self.clock.as_ref(),
            roster,
            self.at,
            crate::expr::Value::Null,
            f,
        )
    }

    /// The record's answers and rosters, for the rules.
    fn tree(&self) -> Owned<'_> {
        Owned {
            answers: &self.rec.answers,
            rosters: &self.rec.rosters,
        }
    }

    /// The answers of the level that holds question `i` at `at`: the top level, or the
    /// instance (`None` when it does not exist).
    pub fn level(&self, i: usize, at: At) -> Option<&BTreeMap<String, Answer>> {
        match self.q.questions[i].roster {
            None => Some(&self.rec.answers),
            Some(r) => super::logic::instance(&self.q, &self.rec.rosters, r, at).map(|x| &x.answers),
        }
    }

    /// [`Session::level`], to change it.
    fn level_mut(&mut self, i: usize, at: At) -> Option<&mut BTreeMap<String, Answer>> {
        match self.q.questions[i].roster {
            None => Some(&mut self.rec.answers),
            Some(r) => super::logic::instance_mut(&self.q, &mut self.rec.rosters, r, at).map(|x| &mut x.answers),
        }
    }

    /// The answer to question `i` at `at`, if any.
    pub fn answer_at(&self, i: usize, at: At) -> Option<&Answer> {
        self.level(i, at)?.get(&self.q.questions[i].id)
    }

    /// The current question's answer entry, made if missing.
    fn entry(&mut self) -> Option<&mut Answer> {
        let (i, at) = (self.cur, self.at);
        let id = self.q.questions[i].id.clone();
        Some(self.level_mut(i, at)?.entry(id).or_insert_with(|| Answer {
            relevant: true,
            ..Answer::default()
        }))
    }

    /// The instance path written in the file: 1-based indices.
    fn at_file(at: At) -> Vec<u32> {
        at.as_slice().iter().map(|i| i + 1).collect()
    }

    /// Opens a record (new or resumed). Completed records open read-only.
    pub fn open(q: Arc<Questionnaire>, mut rec: Record) -> Session {
        // An interview in progress is brought up to date (calculations that depend on nothing
        // yet, or on the clock); a completed one is only read.
        let rules = if rec.status == Status::InProgress {
            let mut rules = super::logic::apply_rules_in(&q, &mut rec.answers, &mut rec.rosters, None);
            if !super::logic::fit_counts(&q, &rec.answers, &mut rec.rosters, &rules, None).is_empty() {
                rules = super::logic::apply_rules_in(&q, &mut rec.answers, &mut rec.rosters, None);
            }
            rules
        } else {
            // As the interviewer left it: the clock at its last change.
            let clock = super::logic::record_clock(&rec.updated);
            let mut rules = super::logic::rules_of(&q, &rec.answers, &rec.rosters, clock.as_ref());
            rules.stale.iter_mut().for_each(|x| *x = false);
            rules.stale_in.clear();
            rules
        };
        let mut reached = vec![false; q.questions.len()];
        for e in &rec.paradata {
            if let Some(i) = q.index_of(&e.q) {
                reached[i] = true;
            }
        }
        for k in rec.answers.keys() {
            if let Some(i) = q.index_of(k) {
                reached[i] = true;
            }
        }
        let at = super::logic::At::from_slice(&rec.position_at.iter().map(|i| i.saturating_sub(1)).collect::<Vec<_>>())
            .unwrap_or_default();
        let start = rec
            .position
            .as_deref()
            .and_then(|p| q.index_of(p))
            .map(|i| (i, at.prefix(super::logic::depth(&q, q.questions[i].roster))))
            .filter(|&(i, at)| {
                q.questions[i].is_asked()
                    && at.len() == super::logic::depth(&q, q.questions[i].roster)
                    && (rules.rel(&q, i, at) || rules.stale(&q, i, at))
            });
        let read_only = rec.status == Status::Completed;
        let mut s = Session {
            q,
            rec,
            cur: 0,
            at: At::TOP,
            rules,
            pending_remove: None,
            offered: Vec::new(),
            reached,
            mode: Mode::Question,
            focus: Focus::Answer,
            highlight: 0,
            highlight_moved: false,
            pending: None,
            filter: String::new(),
            remark_before: None,
            edit: Editor::default(),
            other_edit: Editor::default(),
            remark_edit: Editor::default(),
            message: None,
            pending_warning: false,
            read_only,
            zone: jiff::tz::TimeZone::UTC,
            clock: None,
            progress_at: std::cell::Cell::new(None),
            progress_in: Default::default(),
        };
        match start.map(|(i, at)| Pos::Question(i, at)).or_else(|| s.first_pos()) {
            Some(Pos::Question(i, at)) => {
                s.cur = i;
                s.at = at;
                s.load_fields();
                s.reached[i] = true;
            }
            Some(Pos::Roster(r, parent)) => {
                s.cur = s.q.rosters[r].questions.start;
                s.at = parent;
                s.load_fields();
                s.mode = Mode::Roster { r, parent, sel: 0 };
            }
            None => s.load_fields(),
        }
        s
    }

    /// The first place of the interview (`None` when nothing is asked).
    fn first_pos(&self) -> Option<Pos> {
        self.scan_forward(None, At::TOP, 0)
    }

    /// The first place asked in scope `scope` (a roster, or the top level) at `at`, from question
    /// index `from` on: a question asked there, or a roster nested in the scope that is asked.
    /// `None` when the scope ends first.
    fn scan_forward(&self, scope: Option<usize>, at: At, from: usize) -> Option<Pos> {
        let q = &self.q;
        let end = scope.map_or(q.questions.len(), |r| q.rosters[r].questions.end);
        let mut j = from;
        while j < end {
            let qq = &q.questions[j];
            if qq.roster == scope {
                if qq.is_asked() && self.asks_at(j, at) {
                    return Some(Pos::Question(j, at));
                }
                j += 1;
            } else if let Some(c) = self.roster_opening(scope, j) {
                if self.roster_asked(c, at) {
                    return Some(Pos::Roster(c, at));
                }
                j = q.rosters[c].questions.end;
            } else {
                j += 1;
            }
        }
        None
    }

    /// [`Session::scan_forward`] backwards, from question index `from` (exclusive) down.
    fn scan_back(&self, scope: Option<usize>, at: At, from: usize) -> Option<Pos> {
        let q = &self.q;
        let start = scope.map_or(0, |r| q.rosters[r].questions.start);
        let mut j = from;
        while j > start {
            j -= 1;
            let qq = &q.questions[j];
            if qq.roster == scope {
                if qq.is_asked() && self.asks_at(j, at) {
                    return Some(Pos::Question(j, at));
                }
            } else if let Some(c) = self.roster_around(scope, j) {
                if self.roster_asked(c, at) {
                    return Some(Pos::Roster(c, at));
                }
                j = q.rosters[c].questions.start;
            }
        }
        None
    }

    /// The roster nested directly in `scope` whose questions start at `j`.
    fn roster_opening(&self, scope: Option<usize>, j: usize) -> Option<usize> {
        self.q
            .rosters
            .iter()
            .position(|r| r.parent == scope && r.questions.start == j)
    }

    /// The roster nested directly in `scope` that holds question `j`.
    fn roster_around(&self, scope: Option<usize>, j: usize) -> Option<usize> {
        self.q
            .rosters
            .iter()
            .position(|r| r.parent == scope && r.questions.contains(&j))
    }

    /// Whether roster `r`'s list is shown inside `parent`: the roster is relevant there, and with
    /// a `count` it has instances (a count of 0 asks nothing).
    fn roster_asked(&self, r: usize, parent: At) -> bool {
        super::logic::roster_is_relevant(&self.q, &self.tree(), &self.rules, self.clock.as_ref(), r, parent)
            && (self.q.rosters[r].count.is_none() || !self.instances(r, parent).is_empty())
    }

    /// The stored instances of roster `r` inside `parent`.
    pub fn instances(&self, r: usize, parent: At) -> &[Instance] {
        super::logic::instances_of(&self.q, &self.rec.rosters, r, parent).unwrap_or_default()
    }

    /// The place after `pos` in the flow: within its scope, else the list of the roster around it
    /// (`None` at the end of the interview).
    fn next_pos(&self, pos: Pos) -> Option<Pos> {
        let q = &self.q;
        let (scope, at, from) = match pos {
            Pos::Question(i, at) => (q.questions[i].roster, at, i + 1),
            Pos::Roster(r, parent) => (q.rosters[r].parent, parent, q.rosters[r].questions.end),
        };
        self.scan_forward(scope, at, from).or_else(|| {
            let r = scope?;
            Some(Pos::Roster(r, at.prefix(at.len() - 1)))
        })
    }

    /// The place before `pos` in the flow (`None` at the start of the interview).
    fn prev_pos(&self, pos: Pos) -> Option<Pos> {
        let q = &self.q;
        let (scope, at, from) = match pos {
            Pos::Question(i, at) => (q.questions[i].roster, at, i),
            Pos::Roster(r, parent) => (q.rosters[r].parent, parent, q.rosters[r].questions.start),
        };
        self.scan_back(scope, at, from).or_else(|| {
            let r = scope?;
            Some(Pos::Roster(r, at.prefix(at.len() - 1)))
        })
    }

    /// Goes to `pos` (a question, or a roster's list with the instance `sel` selected).
    fn go(&mut self, pos: Pos, sel: usize, now: &Now) -> Effect {
        match pos {
            Pos::Question(i, at) => {
                self.at = at;
                self.goto(i, now)
            }
            Pos::Roster(r, parent) => {
                // The header shows the roster's block.
                self.cur = self.q.rosters[r].questions.start;
                self.at = parent;
                self.mode = Mode::Roster { r, parent, sel };
                self.pending_remove = None;
                self.reached[self.cur] = true;
                Effect::None
            }
        }
    }

    /// The label of instance `k` (stored index) of roster `r` inside `parent`: its `label` with
    /// the instance's answers piped in, else the roster's title and the instance's number.
    pub fn instance_label(&self, r: usize, parent: At, k: usize) -> String {
        let ro = &self.q.rosters[r];
        let number = self.instances(r, parent)[..k.min(self.instances(r, parent).len())]
            .iter()
            .filter(|i| i.live())
            .count()
            + 1;
        let at = parent.child(k as u32).unwrap_or(parent);
        let removed = !self.instances(r, parent).get(k).is_some_and(Instance::live);
        let label = ro
            .label
            .as_ref()
            .map(|t| {
                if removed {
                    // Counted nowhere, so not by the rules: its own answers as stored.
                    crate::questionnaire::pipe(self.q.tr(t), |name| {
                        self.q
                            .index_of(name)
                            .map_or_else(String::new, |i| self.answer_text_at(i, at))
                    })
                    .into_owned()
                } else {
                    self.pipe_at(self.q.tr(t), Some(r), at)
                }
            })
            .filter(|t| !t.trim().is_empty() && !t.contains(UNANSWERED));
        match (label, removed) {
            (Some(t), true) => t,
            (None, true) => String::new(),
            (Some(t), false) => format!("{number}. {t}"),
            (None, false) => format!("№ {number}"),
        }
    }

    /// [`own_progress`], remembered until a change can alter it.
    fn own_progress_cached(&self, r: usize, at: At) -> (usize, usize) {
        if let Some(&p) = self.progress_in.borrow().get(&(r, at)) {
            return p;
        }
        let p = own_progress(&self.q, &self.rec, &self.rules, r, at);
        self.progress_in.borrow_mut().insert((r, at), p);
        p
    }

    /// Progress inside instance `at` of roster `r` (nested rosters included), counted as
    /// [`progress`] counts.
    pub fn instance_progress(&self, r: usize, at: At) -> (usize, usize) {
        let mut p = self.own_progress_cached(r, at);
        for c in 0..self.q.rosters.len() {
            if c != r && self.q.roster_within(c, r) {
                for a in super::logic::live_paths(&self.q, &self.tree(), c, at) {
                    let (d, t) = self.own_progress_cached(c, a);
                    p = (p.0 + d, p.1 + t);
                }
            }
        }
        p
    }

    /// How many places inside instance `at` of roster `r` hold up completion (none while
    /// nothing is entered in it: an instance not started yet is not in error).
    pub fn instance_problems(&self, r: usize, at: At) -> usize {
        if super::logic::instance(&self.q, &self.rec.rosters, r, at).is_none_or(|i| !super::logic::entered(&self.q, i))
        {
            return 0;
        }
        let mut places = Vec::new();
        self.places_in(Some(r), at, &mut places);
        places
            .into_iter()
            .filter(|&p| match p {
                Pos::Question(i, _) => self.q.questions[i].is_interviewed() && self.row_problem(p),
                Pos::Roster(..) => self.row_problem(p),
            })
            .count()
    }

    /// Problems of roster `r` inside `parent` that hold up completion.
    pub fn roster_problem(&self, r: usize, parent: At) -> Option<RosterProblem> {
        super::logic::roster_problem(&self.q, &self.tree(), &self.rules, self.clock.as_ref(), r, parent)
    }

    /// Goes to question `i` (for tests and tools; the UI uses the jump list).
    pub fn jump_to(&mut self, i: usize, now: &Now) -> Effect {
        self.at = At::TOP;
        self.goto(i.min(self.q.questions.len() - 1), now)
    }

    /// Opens the list of roster `r` inside `parent` (for tests and tools).
    pub fn go_to_list(&mut self, r: usize, parent: At) {
        let sel = self.first_instance_row(r, parent);
        self.go(
            Pos::Roster(r, parent),
            sel,
            &Now {
                wall: self.rec.updated.clone(),
                ms: self.rec.duration_ms,
            },
        );
    }

    /// Goes to question `i` at instance `at` (for tests and tools).
    pub fn jump_at(&mut self, i: usize, at: At, now: &Now) -> Effect {
        self.at = at;
        self.goto(i, now)
    }

    /// Shows the current question (logs it in the paradata); call once after [`Session::open`].
    pub fn show(&mut self, now: &Now) -> Effect {
        self.tick(now);
        if !self.read_only {
            self.refresh_relevance();
        }
        if matches!(self.mode, Mode::Roster { .. }) {
            return Effect::None;
        }
        self.goto(self.cur, now)
    }

    /// The clock moves to `now`.
    fn tick(&mut self, now: &Now) {
        self.clock = super::logic::clock_at(&now.wall, &self.zone);
    }

    /// The current question's answer, if any.
    pub fn answer(&self) -> Option<&Answer> {
        self.answer_at(self.cur, self.at)
    }

    /// Whether typed characters go into a text field now (letter shortcuts must not fire).
    /// Whether letters typed now filter the options of a choice question.
    pub(crate) fn filters(&self) -> bool {
        self.mode == Mode::Question
            && self.focus == Focus::Answer
            && !self.read_only
            && !self.q.questions[self.cur].options.is_empty()
    }

    /// The options shown: those offered, or those of them whose label holds the letters typed.
    pub fn visible_options(&self) -> Vec<usize> {
        let qq = &self.q.questions[self.cur];
        let want = fold(&self.filter);
        self.offered
            .iter()
            .copied()
            .filter(|&i| want.is_empty() || fold(self.q.tr(&qq.options[i].label)).contains(&want))
            .collect()
    }

    /// A key on a choice question while letters filter: a letter extends the filter (the
    /// highlight goes to the first match, so Enter chooses it in a single), a digit or Space
    /// keeps its meaning, Backspace shortens the filter, Esc clears it. `Ok` with the action to
    /// go on with, `Err` when the key was taken here.
    fn filter_key(&mut self, action: Action) -> Result<Action, Effect> {
        match action {
            Action::Input(c) if c.is_ascii_digit() => {
                let d = c.to_digit(10).unwrap_or(0) as usize;
                Ok(Action::Choose(if d == 0 { 9 } else { d - 1 }))
            }
            Action::Input(' ') => Ok(Action::Toggle),
            Action::Input(c) if c.is_alphabetic() || (c == '-' && !self.filter.is_empty()) => {
                self.filter.push(c);
                self.highlight_first_match();
                Err(Effect::None)
            }
            Action::Backspace if !self.filter.is_empty() => {
                self.filter.pop();
                self.highlight_first_match();
                Err(Effect::None)
            }
            Action::Cancel if !self.filter.is_empty() && self.pending.is_none() => {
                self.filter.clear();
                Err(Effect::None)
            }
            other => Ok(other),
        }
    }

    fn highlight_first_match(&mut self) {
        if let Some(&i) = self.visible_options().first() {
            self.highlight = i;
            self.highlight_moved = !self.filter.is_empty();
        }
    }

    pub(crate) fn accepts_text(&self) -> bool {
        if self.mode != Mode::Question || self.read_only && self.focus != Focus::Remark {
            return self.focus == Focus::Remark;
        }
        match self.focus {
            Focus::Other | Focus::Remark => true,
            Focus::Answer => matches!(
                self.q.questions[self.cur].kind,
                Kind::Number { .. } | Kind::Text { .. } | Kind::LongText { .. } | Kind::Date
            ),
        }
    }

    /// Progress for the interviewer's bar (see [`progress`]).
    pub fn progress(&self) -> (usize, usize) {
        // Drawn in every frame: counted again only when the record changed.
        let rev = self.rec.revision;
        if let Some((r, p)) = self.progress_at.get()
            && r == rev
        {
            return p;
        }
        let mut p = top_progress(&self.q, &self.rec, &self.rules);
        for r in 0..self.q.rosters.len() {
            for at in super::logic::live_paths(&self.q, &self.tree(), r, At::TOP) {
                let (d, t) = self.own_progress_cached(r, at);
                p = (p.0 + d, p.1 + t);
            }
        }
        self.progress_at.set(Some((rev, p)));
        p
    }

    /// A text of the questionnaire, in its language, with every `${name}` replaced by that
    /// answer as the interviewer sees it ([`Session::answer_text`]) — or by [`UNANSWERED`]
    /// while it has none (or is not relevant). Recomputed at every frame, so it follows the
    /// answers live.
    pub fn say(&self, t: &Text) -> String {
        self.pipe(self.q.tr(t))
    }

    /// [`Session::say`] of a text already in the questionnaire's language (a check's message).
    pub fn pipe(&self, text: &str) -> String {
        let scope = match self.mode {
            Mode::Roster { r, .. } => self.q.rosters[r].parent,
            _ => self.q.questions[self.cur].roster,
        };
        self.pipe_at(text, scope, self.at)
    }

    /// [`Session::pipe`] as seen from `at`, an instance of roster `scope` (or the top level).
    pub fn pipe_at(&self, text: &str, scope: Option<usize>, at: At) -> String {
        crate::questionnaire::pipe(text, |name| {
            let shown = self
                .q
                .index_of(name)
                .filter(|&i| self.q.reads_one(self.q.questions[i].roster, scope))
                .map(|i| (i, at.prefix(super::logic::depth(&self.q, self.q.questions[i].roster))))
                .filter(|&(i, at)| self.rules.rel(&self.q, i, at))
                .map(|(i, at)| self.answer_text_at(i, at))
                .unwrap_or_default();
            if shown.is_empty() {
                UNANSWERED.to_string()
            } else {
                shown
            }
        })
        .into_owned()
    }

    /// Question `i`'s answer as the interviewer reads it: the option's label (labels joined by
    /// "; " for a multi), else the value; a "specify" text in parentheses; empty when none.
    pub fn answer_text(&self, i: usize) -> String {
        self.answer_text_at(i, At::TOP)
    }

    /// [`Session::answer_text`] of question `i` at instance `at`.
    pub fn answer_text_at(&self, i: usize, at: At) -> String {
        let q = &self.q;
        let qq = &q.questions[i];
        let Some(a) = self.answer_at(i, at) else {
            return String::new();
        };
        let label = |c: &str| qq.option(c).map_or(c.to_string(), |o| q.tr(&o.label).to_string());
        let mut t = match &a.value {
            Some(AnswerValue::Text(c)) if matches!(qq.kind, Kind::Single) => label(c),
            Some(AnswerValue::Codes(cs)) => cs.iter().map(|c| label(c)).collect::<Vec<_>>().join("; "),
            Some(v) => v.display().replace('\n', " "),
            None => String::new(),
        };
        if let Some(o) = &a.other {
            t.push_str(&format!(" ({o})"));
        }
        t
    }

    /// Every place of the interview in order: the questions asked (notes aside) and the rosters'
    /// lists, each followed by its live instances' places.
    fn places(&self) -> Vec<Pos> {
        let mut out = Vec::new();
        self.places_in(None, At::TOP, &mut out);
        out
    }

    fn places_in(&self, scope: Option<usize>, at: At, out: &mut Vec<Pos>) {
        let q = &self.q;
        let (mut j, end) = scope.map_or((0, q.questions.len()), |r| {
            (q.rosters[r].questions.start, q.rosters[r].questions.end)
        });
        while j < end {
            if q.questions[j].roster == scope {
                if self.asks_at(j, at) {
                    out.push(Pos::Question(j, at));
                }
                j += 1;
            } else if let Some(c) = self.roster_opening(scope, j) {
                if self.roster_asked(c, at) || self.roster_problem(c, at).is_some() {
                    out.push(Pos::Roster(c, at));
                    for (k, inst) in self.instances(c, at).iter().enumerate() {
                        if inst.live()
                            && let Some(a) = at.child(k as u32)
                        {
                            self.places_in(Some(c), a, out);
                        }
                    }
                }
                j = q.rosters[c].questions.end;
            } else {
                j += 1;
            }
        }
    }

    /// Rows of the review screen: the questions asked that are answered (notes and calculations
    /// aside) and the rosters' lists, in order.
    pub fn review_rows(&self) -> Vec<Pos> {
        self.places()
            .into_iter()
            .filter(|p| match *p {
                Pos::Question(i, _) => self.q.questions[i].is_interviewed(),
                Pos::Roster(..) => true,
            })
            .collect()
    }

    /// Rows of the jump list: the places already reached.
    pub fn jump_rows(&self) -> Vec<Pos> {
        let here = self.pos();
        self.places()
            .into_iter()
            .filter(|p| match *p {
                Pos::Question(i, _) => self.q.questions[i].is_asked() && (self.reached[i] || *p == here),
                Pos::Roster(r, _) => self.reached[self.q.rosters[r].questions.start] || *p == here,
            })
            .collect()
    }

    /// Where the interviewer is.
    pub fn pos(&self) -> Pos {
        match self.mode {
            Mode::Roster { r, parent, .. } => Pos::Roster(r, parent),
            _ => Pos::Question(self.cur, self.at),
        }
    }

    /// The hard problem of question `i` at `at`, if any.
    pub fn problem_at(&self, i: usize, at: At) -> Option<Problem> {
        if self.rules.stale(&self.q, i, at) {
            return Some(Problem::NotOffered);
        }
        let empty = Answer::default();
        let a = self.answer_at(i, at).unwrap_or(&empty);
        self.checks(at).hard(i, a)
    }

    /// Whether a row needs attention before completion.
    pub fn row_problem(&self, row: Pos) -> bool {
        match row {
            Pos::Question(i, at) => self.problem_at(i, at).is_some(),
            Pos::Roster(r, parent) => self.roster_problem(r, parent).is_some(),
        }
    }

    /// Whether question `i` is asked at `at`: relevant (its stored code may be no longer offered).
    pub(crate) fn asks_at(&self, i: usize, at: At) -> bool {
        self.rules.rel(&self.q, i, at) || self.rules.stale(&self.q, i, at)
    }

    /// Brings [`Session::offered`] up to date for the current question.
    fn offer(&mut self) {
        let qq = &self.q.questions[self.cur];
        self.offered = if qq.choice_filter.is_none() {
            (0..qq.options.len()).collect()
        } else {
            self.evaluate_here(qq.roster, |env| super::logic::offered_options(&self.q, qq, env))
        };
        if !self.offered.contains(&self.highlight)
            && let Some(&first) = self.offered.first()
        {
            self.highlight = first;
        }
    }

    /// The number shown before option `i` of the current question: its place among the
    /// options offered (1-based).
    pub fn option_number(&self, i: usize) -> Option<usize> {
        // `offered` is in option order.
        self.offered.binary_search(&i).ok().map(|p| p + 1)
    }

    fn load_fields(&mut self) {
        let q = Arc::clone(&self.q);
        let qq = &q.questions[self.cur];
        let a = self.answer().cloned();
        let a = a.as_ref();
        let v = a.and_then(|a| a.value.as_ref());
        self.edit = Editor::new(&match v {
            Some(AnswerValue::Number(n)) => AnswerValue::Number(*n).display(),
            Some(AnswerValue::Text(t)) => t.clone(),
            _ => String::new(),
        });
        self.other_edit = Editor::new(a.and_then(|a| a.other.as_deref()).unwrap_or(""));
        self.remark_edit = Editor::new(a.and_then(|a| a.remark.as_deref()).unwrap_or(""));
        self.highlight = match v {
            Some(AnswerValue::Text(c)) => qq.options.iter().position(|o| o.code == *c).unwrap_or(0),
            Some(AnswerValue::Codes(cs)) => cs
                .first()
                .and_then(|c| qq.options.iter().position(|o| o.code == *c))
                .unwrap_or(0),
            _ => 0,
        };
        self.highlight_moved = false;
        self.focus = Focus::Answer;
        self.pending_warning = false;
        self.offer();
    }

    fn goto(&mut self, i: usize, now: &Now) -> Effect {
        self.cur = i;
        self.at = self.at.prefix(super::logic::depth(&self.q, self.q.questions[i].roster));
        self.mode = Mode::Question;
        self.pending = None;
        self.pending_remove = None;
        self.filter.clear();
        // First shown (no `shown` event yet): the question's default, if any.
        let id = &self.q.questions[i].id;
        let at = Self::at_file(self.at);
        if !self.read_only
            && !self
                .rec
                .paradata
                .iter()
                .any(|e| e.ev == EventKind::Shown && e.q == *id && e.at == at)
        {
            self.put_default(i, now);
        }
        self.load_fields();
        self.reached[i] = true;
        let id = self.q.questions[i].id.clone();
        if self.read_only {
            return Effect::None;
        }
        let last_shown = self.rec.paradata.iter().rev().find(|e| e.ev == EventKind::Shown);
        if last_shown.is_none_or(|e| e.q != id || e.at != at) {
            self.rec.paradata.push(Event {
                ms: now.ms,
                ev: EventKind::Shown,
                q: id.clone(),
                gap_s: None,
                at: at.clone(),
            });
        }
        self.rec.position = Some(id);
        self.rec.position_at = at;
        self.touch(now);
        Effect::Save
    }

    /// Puts question `i`'s default in, marked as such, if it has one and no value yet.
    fn put_default(&mut self, i: usize, now: &Now) {
        let qq = &self.q.questions[i];
        if self.answer_at(i, self.at).is_some_and(|a| a.value.is_some()) {
            return;
        }
        let value = match &qq.default {
            None => return,
            Some(crate::questionnaire::QuestionDefault::Value(v)) => Some(v.clone()),
            Some(crate::questionnaire::QuestionDefault::Calculation(e)) => {
                self.evaluate_here(qq.roster, |env| super::logic::as_answer(qq, e.eval(env)))
            }
        };
        let Some(value) = value else { return };
        let Some(a) = self.entry() else { return };
        a.value = Some(value);
        a.defaulted = true;
        a.answered_at = Some(now.wall.clone());
        self.refresh_after(i);
    }

    fn touch(&mut self, now: &Now) {
        self.rec.revision += 1;
        self.rec.updated = now.wall.clone();
        self.rec.duration_ms = self.rec.duration_ms.max(now.ms);
    }

    /// Sets the current question's value (None clears it), re-evaluates relevance, logs paradata.
    fn set_value(&mut self, v: Option<AnswerValue>, now: &Now) -> Effect {
        let id = self.q.questions[self.cur].id.clone();
        let at = Self::at_file(self.at);
        let Some(entry) = self.entry() else {
            return Effect::None;
        };
        if entry.value == v {
            return Effect::None;
        }
        let first = entry.value.is_none();
        entry.value = v;
        entry.answered_at = Some(now.wall.clone());
        entry.warning_confirmed = false;
        entry.defaulted = false;
        entry.relevant = true;
        let kind = if first { EventKind::Answered } else { EventKind::Changed };
        // Typing is logged once per stretch of edits, not per key.
        let last = self.rec.paradata.last();
        if !last.is_some_and(|e| e.q == id && e.at == at && matches!(e.ev, EventKind::Answered | EventKind::Changed)) {
            self.rec.paradata.push(Event {
                ms: now.ms,
                ev: kind,
                q: id,
                gap_s: None,
                at,
            });
        }
        self.pending_warning = false;
        if matches!(self.message, Some(Message::Problem(_) | Message::MaxReached(_))) {
            self.message = None;
        }
        self.refresh_after(self.cur);
        self.touch(now);
        Effect::Save
    }

    /// Brings relevance and the calculations up to date with the answers.
    fn refresh_relevance(&mut self) {
        let clock = self.clock.clone();
        self.rules =
            super::logic::apply_rules_in(&self.q, &mut self.rec.answers, &mut self.rec.rosters, clock.as_ref());
        self.progress_in.borrow_mut().clear();
        self.fit_counts();
        self.offer();
    }

    /// Brings the instances of counted rosters in line with their counts (see
    /// [`super::logic::fit_counts`]), logs what changed, and applies the rules again if anything did.
    fn fit_counts(&mut self) {
        if !self.q.rosters.iter().any(|r| r.count.is_some()) {
            return;
        }
        let clock = self.clock.clone();
        let done = super::logic::fit_counts(
            &self.q,
            &self.rec.answers,
            &mut self.rec.rosters,
            &self.rules,
            clock.as_ref(),
        );
        if done.is_empty() {
            return;
        }
        for (r, what) in done {
            let (ev, at) = match what {
                super::logic::CountFit::Added(a) => (EventKind::Added, a),
                super::logic::CountFit::Dropped(a) => (EventKind::Dropped, a),
            };
            self.rec.paradata.push(Event {
                ms: self.rec.duration_ms,
                ev,
                q: self.q.rosters[r].id.clone(),
                gap_s: None,
                at: Self::at_file(at),
            });
        }
        self.rules =
            super::logic::apply_rules_in(&self.q, &mut self.rec.answers, &mut self.rec.rosters, clock.as_ref());
        self.progress_in.borrow_mut().clear();
    }

    /// [`Session::refresh_relevance`] after only question `i`'s answer changed: what depends on it
    /// is evaluated again, the rest kept.
    fn refresh_after(&mut self, i: usize) {
        if self.q.has_rosters() {
            // The instances whose questions can change: forget their progress.
            let dirty = super::logic::dirty_after(&self.q, i, self.at);
            let mut cache = self.progress_in.borrow_mut();
            for r in 0..self.q.rosters.len() {
                let within = super::logic::dirty_within(&self.q, &dirty, r);
                if let Some(w) = within {
                    cache.retain(|(x, a), _| *x != r || !a.within(&w));
                }
            }
        }
        let before = std::mem::take(&mut self.rules);
        let clock = self.clock.clone();
        self.rules = super::logic::apply_rules_in_after(
            &self.q,
            &mut self.rec.answers,
            &mut self.rec.rosters,
            clock.as_ref(),
            i,
            self.at,
            before,
        );
        self.fit_counts();
        self.offer();
    }

    fn choice_value(&self, pick: usize) -> Result<Option<AnswerValue>, Message> {
        let qq = &self.q.questions[self.cur];
        let opt = &qq.options[pick];
        match &qq.kind {
            Kind::Single => Ok(Some(AnswerValue::Text(opt.code.clone()))),
            Kind::Multi { max, .. } => {
                let mut codes = match self.answer().and_then(|a| a.value.clone()) {
                    Some(AnswerValue::Codes(c)) => c,
                    _ => Vec::new(),
                };
                if let Some(p) = codes.iter().position(|c| *c == opt.code) {
                    codes.remove(p);
                } else {
                    if opt.exclusive {
                        codes.clear();
                    } else {
                        codes.retain(|c| !qq.option(c).is_some_and(|o| o.exclusive));
                    }
                    if let Some(m) = max
                        && codes.len() >= *m as usize
                    {
                        return Err(Message::MaxReached(*m));
                    }
                    codes.push(opt.code.clone());
                    // Questionnaire order, so the stored value does not depend on click order.
                    codes.sort_by_key(|c| qq.options.iter().position(|o| o.code == *c));
                }
                Ok((!codes.is_empty()).then_some(AnswerValue::Codes(codes)))
            }
            _ => Ok(None),
        }
    }

    fn choose(&mut self, pick: usize, now: &Now) -> Effect {
        let qq = &self.q.questions[self.cur];
        if pick >= qq.options.len() {
            return Effect::None;
        }
        self.highlight = pick;
        self.highlight_moved = false;
        let opt_other = qq.options[pick].other;
        match self.choice_value(pick) {
            Err(m) => {
                self.message = Some(m);
                Effect::None
            }
            Ok(v) => {
                let chosen_other = opt_other
                    && match &v {
                        Some(AnswerValue::Codes(c)) => c.contains(&qq.options[pick].code),
                        Some(AnswerValue::Text(_)) => true,
                        _ => false,
                    };
                let mut e = self.set_value(v, now);
                if self.sync_other() && e == Effect::None {
                    self.touch(now);
                    e = Effect::Save;
                }
                self.focus = if chosen_other { Focus::Other } else { Focus::Answer };
                e
            }
        }
    }

    /// A "specify" text is in the record only while an "other" option of the question is
    /// chosen; the field keeps what was typed, so choosing "other" again brings it back.
    /// Whether the record changed.
    fn sync_other(&mut self) -> bool {
        let (i, at) = (self.cur, self.at);
        let q = Arc::clone(&self.q);
        let qq = &q.questions[i];
        let typed = self.other_edit.text().to_owned();
        let Some(a) = self.level_mut(i, at).and_then(|l| l.get_mut(&qq.id)) else {
            return false;
        };
        let other = if !a.borrowed().other_chosen(qq) {
            None
        } else if a.other.is_some() {
            a.other.clone()
        } else {
            (!typed.is_empty()).then_some(typed)
        };
        let changed = a.other != other;
        a.other = other;
        changed
    }

    /// A digit key on a choice question: it extends the pending option number, which chooses
    /// (single) or toggles (multi) its option as soon as it is complete — when no longer option
    /// number starts with it (in a list of 15, `3` is complete, `1` waits for a second digit,
    /// Space or Enter). A number no option has is refused with a message.
    fn digit(&mut self, i: usize, n_opts: usize, now: &Now) -> Effect {
        let d = (i + 1) % 10;
        let n = self.pending.take().map_or(0, |p| p as usize) * 10 + d;
        if n == 0 {
            return Effect::None; // a leading 0 names no option
        }
        if n > n_opts {
            self.message = Some(Message::NoSuchOption(n as u32));
            return Effect::None;
        }
        if n * 10 > n_opts {
            return self.choose(self.offered[n - 1], now);
        }
        self.message = None;
        self.pending = Some(n as u32);
        Effect::None
    }

    /// A key while an option number is pending: Space and Enter complete it, Backspace takes its
    /// last digit back, Esc drops it; a digit goes on to [`Session::digit`]; any other key drops
    /// it and then acts. `None` when the key is to act as usual.
    fn pending_key(&mut self, action: &Action, now: &Now) -> Option<Effect> {
        let p = self.pending?;
        match action {
            Action::Choose(_) => None,
            Action::Toggle | Action::Next => {
                self.pending = None;
                let pick = self.offered.get(p as usize - 1).copied().unwrap_or(usize::MAX);
                Some(self.choose(pick, now))
            }
            Action::Backspace => {
                self.pending = (p >= 10).then_some(p / 10);
                Some(Effect::None)
            }
            Action::Cancel => {
                self.pending = None;
                Some(Effect::None)
            }
            _ => {
                self.pending = None;
                None
            }
        }
    }

    /// The text field changed: store the parsed value.
    fn field_changed(&mut self, now: &Now) -> Effect {
        let qq = &self.q.questions[self.cur];
        let t = self.edit.text().to_string();
        let v = match qq.kind {
            Kind::Number { .. } => {
                let s = t.trim().replace(',', ".").replace(' ', "");
                if s.is_empty() {
                    None
                } else {
                    match s.parse::<f64>() {
                        Ok(n) if n.is_finite() => Some(AnswerValue::Number(n)),
                        _ => {
                            let e = self.set_value(None, now);
                            self.message = Some(Message::Problem(Problem::NotANumber));
                            return e;
                        }
                    }
                }
            }
            _ => (!t.is_empty()).then_some(AnswerValue::Text(t)),
        };
        let e = self.set_value(v, now);
        // Checked as typed: show range and length problems at once.
        if let Some(v) = &self.answer().and_then(|a| a.value.clone())
            && let Some(p) = super::logic::type_check(&self.q.questions[self.cur], v)
            && !matches!(self.q.questions[self.cur].kind, Kind::Date)
        {
            self.message = Some(Message::Problem(p));
        }
        e
    }

    fn other_changed(&mut self, now: &Now) -> Effect {
        let text = self.other_edit.text().to_string();
        let Some(entry) = self.entry() else {
            return Effect::None;
        };
        let new = (!text.is_empty()).then_some(text);
        if entry.other == new {
            return Effect::None;
        }
        entry.other = new;
        entry.answered_at = Some(now.wall.clone());
        if self.message == Some(Message::Problem(Problem::OtherMissing)) {
            self.message = None;
        }
        self.touch(now);
        Effect::Save
    }

    /// Puts `remark` (trimmed; empty is none) into the current question's answer; whether it
    /// changed.
    fn set_remark(&mut self, remark: Option<String>, now: &Now) -> bool {
        let new = remark.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        let Some(entry) = self.entry() else {
            return false;
        };
        if entry.remark == new {
            return false;
        }
        entry.remark = new;
        self.touch(now);
        true
    }

    /// A key typed in the remark field: the remark is saved as it is typed, as answers are.
    fn remark_typed(&mut self, now: &Now) -> Effect {
        let text = self.remark_edit.text().to_string();
        if self.set_remark(Some(text), now) {
            Effect::Save
        } else {
            Effect::None
        }
    }

    /// Enter in the remark field: the remark stands (it was saved as typed); a changed remark
    /// is logged in the paradata.
    fn save_remark(&mut self, now: &Now) -> Effect {
        self.focus = Focus::Answer;
        let before = self.remark_before.take().flatten();
        let id = self.q.questions[self.cur].id.clone();
        let now_remark = self.answer().and_then(|a| a.remark.clone());
        if now_remark == before {
            return Effect::None;
        }
        self.rec.paradata.push(Event {
            ms: now.ms,
            ev: EventKind::Remark,
            q: id,
            gap_s: None,
            at: Self::at_file(self.at),
        });
        self.message = Some(Message::RemarkSaved);
        self.touch(now);
        Effect::Save
    }

    /// Esc in the remark field: the remark as it was before the field opened.
    fn cancel_remark(&mut self, now: &Now) -> Effect {
        self.focus = Focus::Answer;
        let before = self.remark_before.take().flatten();
        self.remark_edit = Editor::new(before.as_deref().unwrap_or(""));
        if self.set_remark(before, now) {
            Effect::Save
        } else {
            Effect::None
        }
    }

    fn next(&mut self, now: &Now) -> Effect {
        let mut effect = Effect::None;
        let qq = &self.q.questions[self.cur];
        if !self.read_only {
            if qq.kind == Kind::Single && self.highlight_moved {
                let cur_code = match self.answer().and_then(|a| a.value.as_ref()) {
                    Some(AnswerValue::Text(c)) => Some(c.clone()),
                    _ => None,
                };
                if cur_code.as_deref() != Some(qq.options[self.highlight].code.as_str()) {
                    effect = self.choose(self.highlight, now);
                    if self.focus == Focus::Other {
                        return effect;
                    }
                }
            }
            if let Some(p) = self.problem_at(self.cur, self.at) {
                self.message = Some(Message::Problem(p));
                return effect;
            }
            let empty = Answer::default();
            let a = self.answer().unwrap_or(&empty);
            if let Some(w) = self.checks(self.at).soft(self.cur, a)
                && !a.warning_confirmed
            {
                if !self.pending_warning {
                    self.pending_warning = true;
                    self.message = Some(Message::Problem(w));
                    return effect;
                }
                let id = self.q.questions[self.cur].id.clone();
                if let Some(a) = self.entry() {
                    a.warning_confirmed = true;
                }
                self.rec.paradata.push(Event {
                    ms: now.ms,
                    ev: EventKind::Confirmed,
                    q: id,
                    gap_s: None,
                    at: Self::at_file(self.at),
                });
                self.touch(now);
                effect = Effect::Save;
            }
            // Enter on a default confirms it.
            let (i, at) = (self.cur, self.at);
            let id = self.q.questions[i].id.clone();
            if let Some(a) = self.level_mut(i, at).and_then(|l| l.get_mut(&id))
                && a.defaulted
            {
                a.defaulted = false;
                self.touch(now);
                effect = Effect::Save;
            }
        }
        self.message = None;
        let here = Pos::Question(self.cur, self.at);
        match self.next_pos(here) {
            Some(p) => {
                let sel = self.sel_for(self.at, p, true);
                let e = self.go(p, sel, now);
                if e == Effect::Save { e } else { effect }
            }
            None => {
                self.mode = Mode::Review { sel: 0 };
                self.message = Some(Message::EndReached);
                effect
            }
        }
    }

    fn complete(&mut self, now: &Now) -> Effect {
        if self.read_only {
            self.message = Some(Message::ReadOnly);
            return Effect::None;
        }
        let bad: Vec<Pos> = self
            .review_rows()
            .into_iter()
            .filter(|&p| self.row_problem(p))
            .collect();
        if let Some(&first) = bad.first() {
            self.message = Some(Message::CannotComplete(bad.len()));
            let rows = self.review_rows();
            self.mode = Mode::Review {
                sel: rows.iter().position(|&r| r == first).unwrap_or(0),
            };
            return Effect::None;
        }
        self.rec.status = Status::Completed;
        self.rec.completed = Some(now.wall.clone());
        self.touch(now);
        self.read_only = true;
        self.message = Some(Message::Completed);
        Effect::Completed
    }

    fn edit_field(&mut self, f: impl FnOnce(&mut Editor) -> bool, now: &Now) -> Effect {
        match self.focus {
            Focus::Answer => {
                if f(&mut self.edit) {
                    self.field_changed(now)
                } else {
                    Effect::None
                }
            }
            Focus::Other => {
                if f(&mut self.other_edit) {
                    self.other_changed(now)
                } else {
                    Effect::None
                }
            }
            Focus::Remark => {
                if f(&mut self.remark_edit) {
                    self.remark_typed(now)
                } else {
                    Effect::None
                }
            }
        }
    }
}

impl AnswerValue {
    /// The value as shown to the interviewer (numbers without a needless fraction).
    pub fn display(&self) -> String {
        match self {
            AnswerValue::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => format!("{}", *n as i64),
            AnswerValue::Number(n) => format!("{n}"),
            AnswerValue::Text(t) => t.clone(),
            AnswerValue::Codes(c) => c.join(" "),
        }
    }
}

/// Applies one action. The caller persists the record when the effect is not `None`.
pub fn update(s: &mut Session, action: Action, now: &Now) -> Effect {
    s.tick(now);
    let multiline = matches!(s.q.questions[s.cur].kind, Kind::LongText { .. });
    match s.mode {
        Mode::Review { sel } | Mode::Jump { sel } => {
            let rows = if matches!(s.mode, Mode::Review { .. }) {
                s.review_rows()
            } else {
                s.jump_rows()
            };
            let set = |s: &mut Session, sel: usize| {
                s.mode = match s.mode {
                    Mode::Review { .. } => Mode::Review { sel },
                    _ => Mode::Jump { sel },
                }
            };
            return match action {
                Action::Up => {
                    set(s, sel.saturating_sub(1));
                    Effect::None
                }
                Action::Down => {
                    set(s, (sel + 1).min(rows.len().saturating_sub(1)));
                    Effect::None
                }
                Action::Next => match rows.get(sel) {
                    Some(&p) => {
                        s.message = None;
                        let sel = match p {
                            Pos::Roster(r, parent) => s.first_instance_row(r, parent),
                            Pos::Question(..) => 0,
                        };
                        s.go(p, sel, now)
                    }
                    None => Effect::None,
                },
                Action::Complete => s.complete(now),
                Action::Review => {
                    s.mode = Mode::Review { sel: 0 };
                    Effect::None
                }
                Action::Jump => {
                    s.mode = Mode::Jump {
                        sel: s
                            .jump_rows()
                            .iter()
                            .position(|&r| r == Pos::Question(s.cur, s.at))
                            .unwrap_or(0),
                    };
                    Effect::None
                }
                Action::Cancel | Action::Prev => {
                    s.mode = Mode::Question;
                    s.message = None;
                    Effect::None
                }
                _ => Effect::None,
            };
        }
        Mode::Roster { r, parent, sel } => return roster_action(s, r, parent, sel, action, now),
        Mode::Question => {}
    }
    if s.focus == Focus::Remark {
        return match action {
            Action::Next => s.save_remark(now),
            Action::Cancel | Action::Remark => s.cancel_remark(now),
            other => text_action(s, other, true, now),
        };
    }
    let n_opts = s.q.questions[s.cur].options.len();
    let modifying = matches!(
        action,
        Action::Choose(_) | Action::Toggle | Action::Input(_) | Action::Paste(_) | Action::Delete | Action::Newline
    ) || (action == Action::Backspace && s.accepts_text() && !s.edit.text().is_empty());
    if s.read_only && modifying {
        s.message = Some(Message::ReadOnly);
        return Effect::None;
    }
    let action = if s.filters() {
        match s.filter_key(action) {
            Ok(a) => a,
            Err(e) => return e,
        }
    } else {
        action
    };
    if let Some(e) = s.pending_key(&action, now) {
        return e;
    }
    match action {
        Action::Next => s.next(now),
        Action::Prev => match s.prev_pos(Pos::Question(s.cur, s.at)) {
            Some(p) => {
                s.message = None;
                let sel = s.sel_for(s.at, p, false);
                s.go(p, sel, now)
            }
            None => Effect::None,
        },
        Action::Remark => {
            s.focus = Focus::Remark;
            s.remark_before = Some(s.answer().and_then(|a| a.remark.clone()));
            Effect::None
        }
        Action::Review => {
            let here = Pos::Question(s.cur, s.at);
            let rows = s.review_rows();
            s.mode = Mode::Review {
                sel: rows
                    .iter()
                    .position(|&r| r == here)
                    .or_else(|| {
                        rows.iter()
                            .position(|&r| matches!(r, Pos::Question(i, _) if i >= s.cur))
                    })
                    .unwrap_or(0),
            };
            Effect::None
        }
        Action::Jump => {
            let here = Pos::Question(s.cur, s.at);
            s.mode = Mode::Jump {
                sel: s.jump_rows().iter().position(|&r| r == here).unwrap_or(0),
            };
            Effect::None
        }
        Action::Complete => {
            s.mode = Mode::Review { sel: 0 };
            s.complete(now)
        }
        Action::Cancel => {
            s.focus = Focus::Answer;
            Effect::None
        }
        Action::Focus => {
            let has_other = s.q.questions[s.cur].options.iter().any(|o| o.other);
            s.focus = match s.focus {
                Focus::Answer if has_other && !s.read_only => Focus::Other,
                _ => Focus::Answer,
            };
            Effect::None
        }
        Action::Up | Action::Down if n_opts > 0 && s.focus == Focus::Answer => {
            // Among the options shown (all, or those the filter leaves).
            let shown = s.visible_options();
            let at = shown.iter().position(|&i| i == s.highlight).unwrap_or(0);
            let to = if action == Action::Up {
                at.saturating_sub(1)
            } else {
                (at + 1).min(shown.len().saturating_sub(1))
            };
            if let Some(&i) = shown.get(to) {
                s.highlight = i;
                s.highlight_moved = true;
            }
            Effect::None
        }
        Action::Choose(i) if n_opts > 0 && s.focus == Focus::Answer => s.digit(i, s.offered.len(), now),
        Action::Toggle if n_opts > 0 && s.focus == Focus::Answer => s.choose(s.highlight, now),
        Action::Backspace if !s.accepts_text() || (s.focus == Focus::Answer && s.edit.text().is_empty()) => {
            match s.prev_pos(Pos::Question(s.cur, s.at)) {
                Some(p) => {
                    let sel = s.sel_for(s.at, p, false);
                    s.go(p, sel, now)
                }
                None => Effect::None,
            }
        }
        _ if !s.accepts_text() => Effect::None,
        other => text_action(s, other, multiline && s.focus == Focus::Answer, now),
    }
}

/// Editing keys in the focused text field (answer, "specify" or remark). Digits and Space that
/// would choose options elsewhere are typed here.
fn text_action(s: &mut Session, action: Action, multiline: bool, now: &Now) -> Effect {
    let typed = |t: String| move |e: &mut Editor| edit(e, |e| e.insert(&t, multiline));
    match action {
        Action::Input(c) => s.edit_field(typed(c.to_string()), now),
        Action::Choose(i) => s.edit_field(typed(((i + 1) % 10).to_string()), now),
        Action::Toggle => s.edit_field(typed(" ".into()), now),
        Action::Paste(t) => s.edit_field(typed(t), now),
        Action::Newline if multiline => s.edit_field(typed("\n".into()), now),
        Action::Backspace => s.edit_field(Editor::backspace, now),
        Action::Delete => s.edit_field(Editor::delete, now),
        Action::Left => s.edit_field(|e| edit(e, Editor::left), now),
        Action::Right => s.edit_field(|e| edit(e, Editor::right), now),
        Action::Home => s.edit_field(|e| edit(e, Editor::home), now),
        Action::End => s.edit_field(|e| edit(e, Editor::end), now),
        Action::Up if multiline => s.edit_field(|e| edit(e, Editor::up), now),
        Action::Down if multiline => s.edit_field(|e| edit(e, Editor::down), now),
        _ => Effect::None,
    }
}

/// Runs an editor operation and reports whether the text changed.
fn edit(e: &mut Editor, f: impl FnOnce(&mut Editor)) -> bool {
    let before = e.text().to_string();
    f(e);
    before != e.text()
}

/// A key on a roster's list. Rows are the stored instances (removed ones too, so they can be
/// restored), then "go on".
fn roster_action(s: &mut Session, r: usize, parent: At, sel: usize, action: Action, now: &Now) -> Effect {
    let n = s.instances(r, parent).len();
    let set = |s: &mut Session, sel: usize| {
        s.mode = Mode::Roster { r, parent, sel };
        s.pending_remove = None;
    };
    if !matches!(action, Action::Delete) && s.pending_remove.is_some() {
        s.pending_remove = None;
        if s.message == Some(Message::ConfirmRemove) {
            s.message = None;
        }
    }
    match action {
        Action::Up => {
            set(s, sel.saturating_sub(1));
            Effect::None
        }
        Action::Down => {
            set(s, (sel + 1).min(n));
            Effect::None
        }
        Action::Next if sel >= n => {
            s.message = None;
            match s.next_pos(Pos::Roster(r, parent)) {
                Some(p) => {
                    let sel = s.sel_for(parent, p, true);
                    s.go(p, sel, now)
                }
                None => {
                    s.mode = Mode::Review { sel: 0 };
                    s.message = Some(Message::EndReached);
                    Effect::None
                }
            }
        }
        Action::Next => {
            if !s.instances(r, parent)[sel].live() {
                s.message = Some(Message::InstanceIsRemoved);
                return Effect::None;
            }
            let Some(at) = parent.child(sel as u32) else {
                return Effect::None;
            };
            match s.scan_forward(Some(r), at, s.q.rosters[r].questions.start) {
                Some(p) => {
                    s.message = None;
                    s.go(p, 0, now)
                }
                None => {
                    s.message = Some(Message::NothingAsked);
                    Effect::None
                }
            }
        }
        Action::Prev | Action::Backspace => match s.prev_pos(Pos::Roster(r, parent)) {
            Some(p) => {
                s.message = None;
                let sel = s.sel_for(parent, p, false);
                s.go(p, sel, now)
            }
            None => Effect::None,
        },
        Action::Add | Action::Input('+') if !s.read_only => s.add_instance(r, parent, now),
        Action::Delete if !s.read_only && sel < n => s.remove_or_restore(r, parent, sel, now),
        Action::Cancel => {
            s.message = None;
            Effect::None
        }
        Action::Review => {
            let rows = s.review_rows();
            s.mode = Mode::Review {
                sel: rows.iter().position(|&p| p == Pos::Roster(r, parent)).unwrap_or(0),
            };
            Effect::None
        }
        Action::Jump => {
            let rows = s.jump_rows();
            s.mode = Mode::Jump {
                sel: rows.iter().position(|&p| p == Pos::Roster(r, parent)).unwrap_or(0),
            };
            Effect::None
        }
        Action::Complete => {
            s.mode = Mode::Review { sel: 0 };
            s.complete(now)
        }
        Action::Add | Action::Input('+') | Action::Delete => {
            s.message = Some(Message::ReadOnly);
            Effect::None
        }
        _ => Effect::None,
    }
}

impl Session {
    /// The row to select on a list reached from place `from`: leaving one of its instances
    /// forwards, the next live one (else "go on"); backwards, that instance; coming to it
    /// forwards, its first live instance; backwards, "go on".
    fn sel_for(&self, from: At, to: Pos, forward: bool) -> usize {
        let Pos::Roster(r, parent) = to else { return 0 };
        let list = self.instances(r, parent);
        match (
            from.as_slice().get(parent.len()),
            from.within(&parent) && from.len() > parent.len(),
        ) {
            (Some(&k), true) if forward => (k as usize + 1..list.len())
                .find(|&j| list[j].live())
                .unwrap_or(list.len()),
            (Some(&k), true) => k as usize,
            _ if forward => self.first_instance_row(r, parent),
            _ => list.len(),
        }
    }

    /// The row to select when a roster's list opens: its first live instance, else "go on".
    fn first_instance_row(&self, r: usize, parent: At) -> usize {
        let list = self.instances(r, parent);
        list.iter().position(Instance::live).unwrap_or(list.len())
    }

    /// Adds an instance to roster `r` inside `parent` and opens it.
    fn add_instance(&mut self, r: usize, parent: At, now: &Now) -> Effect {
        let ro = &self.q.rosters[r];
        if ro.count.is_some() {
            self.message = Some(Message::CountedRoster);
            return Effect::None;
        }
        let max = ro.max.unwrap_or(crate::questionnaire::MAX_INSTANCES);
        let live = self.instances(r, parent).iter().filter(|i| i.live()).count();
        if live >= max as usize {
            self.message = Some(Message::RosterFull(max));
            return Effect::None;
        }
        let id = ro.id.clone();
        let level = match ro.parent {
            None => &mut self.rec.rosters,
            Some(p) => match super::logic::instance_mut(&self.q, &mut self.rec.rosters, p, parent) {
                Some(i) => &mut i.rosters,
                None => return Effect::None,
            },
        };
        let list = level.entry(id.clone()).or_default();
        list.push(Instance::default());
        let k = list.len() - 1;
        let Some(at) = parent.child(k as u32) else {
            return Effect::None;
        };
        self.rec.paradata.push(Event {
            ms: now.ms,
            ev: EventKind::Added,
            q: id,
            gap_s: None,
            at: Self::at_file(at),
        });
        self.refresh_relevance();
        self.touch(now);
        self.message = Some(Message::InstanceAdded);
        match self.scan_forward(Some(r), at, self.q.rosters[r].questions.start) {
            Some(p) => {
                self.go(p, k, now);
            }
            None => {
                self.mode = Mode::Roster { r, parent, sel: k };
            }
        }
        Effect::Save
    }

    /// Delete on instance `k`: a live one is removed after a second Delete (kept in the file,
    /// marked removed); a removed one is restored.
    fn remove_or_restore(&mut self, r: usize, parent: At, k: usize, now: &Now) -> Effect {
        let live = self.instances(r, parent)[k].live();
        if live && self.pending_remove != Some(k) {
            self.pending_remove = Some(k);
            self.message = Some(Message::ConfirmRemove);
            return Effect::None;
        }
        self.pending_remove = None;
        let Some(at) = parent.child(k as u32) else {
            return Effect::None;
        };
        let Some(inst) = super::logic::instance_mut(&self.q, &mut self.rec.rosters, r, at) else {
            return Effect::None;
        };
        inst.removed = if live { Some(now.wall.clone()) } else { None };
        self.rec.paradata.push(Event {
            ms: now.ms,
            ev: if live { EventKind::Removed } else { EventKind::Restored },
            q: self.q.rosters[r].id.clone(),
            gap_s: None,
            at: Self::at_file(at),
        });
        self.refresh_relevance();
        self.touch(now);
        self.message = Some(if live {
            Message::InstanceRemoved
        } else {
            Message::InstanceRestored
        });
        // A counted roster may have gained an instance in place of the removed one.
        self.mode = Mode::Roster { r, parent, sel: k };
        Effect::Save
    }
}
