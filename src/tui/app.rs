//! Application state above one interview: the start screen, overlays, the save indicator.
//!
//! The app is pure: [`App::handle`] (and [`App::paste`]) turn a command into state changes and
//! [`Request`]s for the run loop; the run loop performs each request through the store and hands
//! back what came of it as an [`Outcome`]; [`App::on`] makes every state change that follows
//! (the session opened, the save indicator, a notice) and may ask for more requests. So every
//! screen transition can be driven without a terminal or a disk.

use super::keymap::Cmd;
use crate::i18n::Lang;
use crate::interview::editor::Editor;
use crate::interview::session::{self, Action, Effect, Focus, Mode, Now, Session};
use crate::interview::summary::Summary;
use crate::questionnaire::Questionnaire;
use crate::record::decode::Unreadable;
use crate::record::{Record, Status};
use std::path::PathBuf;
use std::sync::Arc;

/// Start-screen sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Start a new interview.
    New,
    /// Unfinished interviews.
    Resume,
    /// Completed interviews.
    Completed,
    /// Interview files that cannot be read, with the reasons (shown only when there are some).
    Unreadable,
}

/// The main screen.
#[derive(Debug, Clone)]
pub enum Screen {
    /// Start screen.
    Start {
        /// Section.
        tab: Tab,
        /// Selected row.
        sel: usize,
    },
    /// Asking the interviewer code before the first interview.
    AskCode {
        /// The field.
        edit: Editor,
        /// The questionnaire chosen (index in the catalog).
        q: usize,
    },
    /// An open interview.
    Interview(Box<Session>),
}

/// Something drawn over the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Overlay {
    /// "Hand in completed interviews": the folder (a USB stick) being typed.
    HandIn {
        /// The folder.
        edit: Editor,
    },
    /// Key help, scrolled to line `top` (↑ ↓, PgUp and Space scroll it).
    Help {
        /// First line shown.
        top: usize,
    },
    /// The Esc menu.
    Menu {
        /// Selected item.
        sel: usize,
    },
    /// "The last changes are not saved: leave anyway?"
    ConfirmUnsaved {
        /// Quit anketa (else back to the start screen).
        quit: bool,
    },
    /// "Discard this draft?"
    ConfirmDiscard {
        /// Index into `items`.
        item: usize,
    },
    /// "Reopen this completed interview?"
    ConfirmReopen {
        /// Index into `items`.
        item: usize,
    },
}

/// The state of the last save, for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveState {
    /// Nothing saved yet in this session.
    Idle,
    /// Saved at this local time (HH:MM:SS).
    Saved(String),
    /// Completed, and saved sealed to the supervisor's key at this local time.
    Sealed(String),
    /// Changed since the last write, which the run loop makes right after drawing the frame:
    /// the header never says "сохранено" while something is not on disk.
    Pending,
    /// The last save failed for this reason; the interview is kept in memory.
    Failed(String),
}

/// How often a failed save is tried again while nothing else happens (ms).
pub(crate) const RETRY_MS: u64 = 3000;

/// A side effect for the run loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Persist the open session's record.
    Save,
    /// Start a new interview with catalog entry `q`.
    New {
        /// Index in the catalog.
        q: usize,
    },
    /// Open item `item` (reopening it first if `reopen`).
    Open {
        /// Index into `items`.
        item: usize,
        /// Reopen a completed interview.
        reopen: bool,
    },
    /// Close the session (release its lock) and reload the list.
    Close,
    /// Save settings (interviewer code, language).
    SaveConfig,
    /// Hand the completed interviews in to folder `dest`.
    HandIn {
        /// The folder.
        dest: String,
    },
    /// Move draft `item` to `discarded/` and reload the list.
    Discard {
        /// Index into `items`.
        item: usize,
    },
}

/// What performing a [`Request`] came to, handed back to [`App::on`].
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The open session's record was written (for [`Request::Save`]).
    Saved {
        /// When, in local time (`HH:MM:SS`).
        at: String,
        /// Whether it was written sealed (completed, and keys are set).
        sealed: bool,
    },
    /// Writing it failed; the interview is kept in memory and written on the next change.
    SaveFailed {
        /// The reason.
        error: String,
    },
    /// A new interview was created and locked (for [`Request::New`]); its clock starts now.
    Created {
        /// Its questionnaire.
        q: Arc<Questionnaire>,
        /// The fresh record.
        rec: Record,
    },
    /// [`Request::New`] failed.
    CreateFailed {
        /// The reason.
        error: String,
    },
    /// An interview of the list was re-read from its file and locked (for [`Request::Open`]);
    /// its clock starts now.
    Opened {
        /// Index into the list.
        item: usize,
        /// The record as read (before any reopening).
        rec: Record,
        /// Reopen it (it was completed).
        reopen: bool,
    },
    /// [`Request::Open`] failed (e.g. the interview is locked by another window).
    OpenFailed {
        /// The reason.
        error: String,
    },
    /// Settings were written (for [`Request::SaveConfig`]).
    ConfigSaved,
    /// A hand-in ended (for [`Request::HandIn`]): what it did, or why it stopped, in words.
    HandedIn {
        /// The words.
        text: String,
    },
    /// Writing the settings failed.
    ConfigFailed {
        /// The reason.
        error: String,
    },
    /// The session was closed (for [`Request::Close`]) and the interview list re-read; also the
    /// list at start.
    Listed {
        /// Readable interview files.
        items: Vec<Summary>,
        /// Files that could not be read: (path, reason).
        broken: Vec<(PathBuf, Unreadable)>,
        /// Today's date (`YYYY-MM-DD`, local).
        today: String,
    },
    /// The session was closed as the app quits (nothing re-read).
    Closed,
    /// A draft could not be discarded (for [`Request::Discard`]).
    DiscardFailed {
        /// Why.
        error: String,
    },
}

/// Menu entries.
pub(crate) const MENU: &[(&str, &str)] = &[
    ("Продолжить", "Continue"),
    ("На стартовый экран", "Back to the start screen"),
    ("Помощь", "Help"),
    ("Язык: English", "Language: русский"),
    ("Выход", "Quit"),
    ("Сдать завершённые интервью", "Hand in completed interviews"),
];

/// The whole UI state.
#[derive(Debug, Clone)]
pub struct App {
    /// UI language.
    lang: Lang,
    /// Questionnaires offered for new interviews.
    catalog: Vec<Arc<Questionnaire>>,
    /// Every questionnaire known (catalog and stored copies), for resuming by hash.
    known: Vec<Arc<Questionnaire>>,
    /// Interviews of this laptop, newest first.
    items: Vec<Summary>,
    /// Files that could not be read: (path, reason).
    broken: Vec<(PathBuf, Unreadable)>,
    /// The interviewer code.
    interviewer: Option<String>,
    /// Current screen.
    screen: Screen,
    /// Overlay.
    overlay: Option<Overlay>,
    /// Save indicator.
    save: SaveState,
    /// A notice on the start screen (e.g. a lock held elsewhere).
    notice: Option<String>,
    /// Set when the user quits.
    quit: bool,
    /// When the last save failed (interview clock, ms): failed saves are retried every
    /// [`RETRY_MS`].
    save_failed_at: u64,
    /// Interview clock for the header (ms).
    elapsed_ms: u64,
    /// Today's date (YYYY-MM-DD, local), for the completed count.
    today: String,
    /// The interviewer's time zone (`today()` in expressions); UTC unless set.
    zone: jiff::tz::TimeZone,
    /// The folder of the last hand-in (remembered in the settings).
    hand_in_dir: Option<String>,
}

impl App {
    /// A new app on the start screen.
    pub fn new(lang: Lang, catalog: Vec<Arc<Questionnaire>>, interviewer: Option<String>) -> App {
        App {
            lang,
            known: catalog.clone(),
            catalog,
            items: Vec::new(),
            broken: Vec::new(),
            zone: jiff::tz::TimeZone::UTC,
            hand_in_dir: None,
            interviewer,
            screen: Screen::Start { tab: Tab::New, sel: 0 },
            overlay: None,
            save: SaveState::Idle,
            notice: None,
            quit: false,
            save_failed_at: 0,
            elapsed_ms: 0,
            today: String::new(),
        }
    }

    /// UI language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Questionnaires offered for new interviews.
    pub fn catalog(&self) -> &[Arc<Questionnaire>] {
        &self.catalog
    }

    /// Every questionnaire known, for resuming by hash.
    pub fn known(&self) -> &[Arc<Questionnaire>] {
        &self.known
    }

    /// Interviews of this laptop, newest change first.
    pub fn items(&self) -> &[Summary] {
        &self.items
    }

    /// Files that could not be read: (path, reason).
    pub fn broken(&self) -> &[(PathBuf, Unreadable)] {
        &self.broken
    }

    /// The interviewer code.
    pub fn interviewer(&self) -> Option<&str> {
        self.interviewer.as_deref()
    }

    /// Current screen.
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Overlay.
    pub(crate) fn overlay(&self) -> Option<&Overlay> {
        self.overlay.as_ref()
    }

    /// The folder of the last hand-in.
    pub fn hand_in_dir(&self) -> Option<&str> {
        self.hand_in_dir.as_deref()
    }

    /// Sets the folder of the last hand-in (from the settings).
    pub fn set_hand_in_dir(&mut self, dir: Option<String>) {
        self.hand_in_dir = dir;
    }

    /// Sets the interviewer's time zone (the run loop passes the system's).
    pub fn set_zone(&mut self, zone: jiff::tz::TimeZone) {
        self.zone = zone;
    }

    /// Save indicator.
    pub fn save_state(&self) -> &SaveState {
        &self.save
    }

    /// A notice on the start screen (e.g. a lock held elsewhere).
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Whether the user has quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Interview clock for the header (ms).
    pub(crate) fn elapsed_ms(&self) -> u64 {
        self.elapsed_ms
    }

    /// Today's date (YYYY-MM-DD, local), for the completed count.
    pub(crate) fn today(&self) -> &str {
        &self.today
    }

    /// The clock moved: the header shows the open interview's time `now.ms`.
    /// The clock moved on: the header's time, and a failed save retried every [`RETRY_MS`]
    /// (the run loop wakes once a second, so this is no busy loop).
    pub(crate) fn tick(&mut self, now: &Now) -> Vec<Request> {
        self.elapsed_ms = now.ms;
        if self.unsaved() && now.ms.saturating_sub(self.save_failed_at) >= RETRY_MS {
            self.save_failed_at = now.ms;
            return vec![Request::Save];
        }
        vec![]
    }

    /// Whether the open interview has changes that are not on disk (the last save failed).
    pub fn unsaved(&self) -> bool {
        matches!(self.save, SaveState::Failed(_)) && self.session().is_some()
    }

    /// Replaces the interview list (newest change first).
    fn set_items(&mut self, mut items: Vec<Summary>) {
        items.sort_by(|a, b| b.rec.updated.cmp(&a.rec.updated).then(a.path.cmp(&b.path)));
        self.items = items;
    }

    /// The questionnaire interview `item` was started with, or why it cannot be opened.
    fn questionnaire_of(&self, item: usize) -> Result<Arc<Questionnaire>, String> {
        let it = self.items.get(item).ok_or(
            self.lang
                .t("интервью больше нет в списке", "the interview is no longer listed"),
        )?;
        it.q.clone().ok_or_else(|| {
            format!(
                "{}: {} {} (sha256 {}…)",
                it.path.display(),
                self.lang
                    .t("неизвестная версия анкеты", "unknown questionnaire version"),
                it.rec.questionnaire.id,
                it.rec.questionnaire.sha256.get(..12).unwrap_or("")
            )
        })
    }

    /// Asks to open item `item` if its questionnaire is known; otherwise says why not.
    fn open(&mut self, item: usize, reopen: bool) -> Vec<Request> {
        match self.questionnaire_of(item) {
            Ok(_) => vec![Request::Open { item, reopen }],
            Err(e) => {
                self.notice = Some(e);
                vec![]
            }
        }
    }

    /// Applies what came of a request. Returns further side effects to perform, in order, before
    /// any request still pending.
    ///
    /// `now` is the time the outcome arrived; for [`Outcome::Created`] and [`Outcome::Opened`]
    /// its `ms` is the opened interview's clock.
    pub fn on(&mut self, outcome: Outcome, now: &Now) -> Vec<Request> {
        let reqs = self.on_outcome(outcome, now);
        self.note_save(reqs)
    }

    /// Marks the save indicator pending when `reqs` ask for a write (a failure stays shown until
    /// a write succeeds).
    fn note_save(&mut self, reqs: Vec<Request>) -> Vec<Request> {
        if reqs.contains(&Request::Save) && !matches!(self.save, SaveState::Failed(_)) {
            self.save = SaveState::Pending;
        }
        reqs
    }

    fn on_outcome(&mut self, outcome: Outcome, now: &Now) -> Vec<Request> {
        match outcome {
            Outcome::Saved { at, sealed } => {
                self.save = if sealed {
                    SaveState::Sealed(at)
                } else {
                    SaveState::Saved(at)
                };
                vec![]
            }
            Outcome::SaveFailed { error } => {
                self.save = SaveState::Failed(error);
                self.save_failed_at = now.ms;
                vec![]
            }
            Outcome::Created { q, rec } => self.begin(q, rec, now),
            Outcome::Opened { item, mut rec, reopen } => {
                let q = match self.questionnaire_of(item) {
                    Ok(q) => q,
                    Err(e) => {
                        // Not asked for (`open` checks first); release the lock just taken.
                        self.notice = Some(e);
                        return vec![Request::Close];
                    }
                };
                if reopen {
                    session::reopen(&mut rec, now);
                }
                session::resume(&mut rec, now);
                let mut reqs = self.begin(q, rec, now);
                if reopen {
                    reqs.push(Request::Save);
                }
                reqs
            }
            Outcome::CreateFailed { error } | Outcome::OpenFailed { error } | Outcome::DiscardFailed { error } => {
                self.notice = Some(error);
                vec![]
            }
            Outcome::ConfigSaved | Outcome::Closed => vec![],
            Outcome::HandedIn { text } => {
                self.notice = Some(text);
                vec![]
            }
            Outcome::ConfigFailed { error } => {
                self.notice = Some(format!(
                    "{}: {error}",
                    self.lang.t("настройки не сохранены", "settings not saved")
                ));
                vec![]
            }
            Outcome::Listed { items, broken, today } => {
                self.broken = broken;
                self.set_items(items);
                self.today = today;
                if let Screen::Start { tab, sel } = &mut self.screen
                    && *tab == Tab::Unreadable
                {
                    if self.broken.is_empty() {
                        *tab = Tab::New;
                    }
                    *sel = 0;
                }
                // With drafts, the start screen opens on the newest of them: Enter after a
                // restart resumes it instead of starting a second interview.
                if matches!(self.screen, Screen::Start { .. })
                    && self.items.iter().any(|it| it.rec.status == Status::InProgress)
                {
                    self.screen = Screen::Start {
                        tab: Tab::Resume,
                        sel: 0,
                    };
                }
                vec![]
            }
        }
    }

    /// Shows an interview just created or opened: at its position, the save indicator reset.
    fn begin(&mut self, q: Arc<Questionnaire>, rec: Record, now: &Now) -> Vec<Request> {
        self.save = SaveState::Idle;
        let mut s = Session::open(q, rec);
        s.zone = self.zone.clone();
        self.screen = Screen::Interview(Box::new(s));
        match self.session_mut().map(|s| s.show(now)) {
            Some(Effect::Save | Effect::Completed) => vec![Request::Save],
            _ => vec![],
        }
    }

    /// Why a sealed interview is not opened, in the UI language.
    fn sealed_notice(&self) -> String {
        use crate::record::decode::{Fault, Unreadable};
        crate::i18n::unreadable(self.lang, &Unreadable::new(Fault::Sealed, ""))
    }

    /// The start screen's sections: the one of unreadable files only when there are some.
    pub fn tabs(&self) -> Vec<Tab> {
        let mut tabs = vec![Tab::New, Tab::Resume, Tab::Completed];
        if !self.broken.is_empty() {
            tabs.push(Tab::Unreadable);
        }
        tabs
    }

    /// Items of a tab, as indices into `items` (into `broken` for [`Tab::Unreadable`]).
    pub fn rows(&self, tab: Tab) -> Vec<usize> {
        match tab {
            Tab::New => (0..self.catalog.len()).collect(),
            Tab::Resume => (0..self.items.len())
                .filter(|&i| self.items[i].rec.status == Status::InProgress)
                .collect(),
            Tab::Completed => (0..self.items.len())
                .filter(|&i| self.items[i].rec.status == Status::Completed)
                .collect(),
            Tab::Unreadable => (0..self.broken.len()).collect(),
        }
    }

    /// The open session, if any.
    pub fn session(&self) -> Option<&Session> {
        match &self.screen {
            Screen::Interview(s) => Some(s),
            _ => None,
        }
    }

    /// The open session, mutably.
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.screen {
            Screen::Interview(s) => Some(s),
            _ => None,
        }
    }

    /// Whether typed characters go into a field now.
    pub fn typing(&self) -> bool {
        if let Some(o) = &self.overlay {
            return matches!(o, Overlay::HandIn { .. });
        }
        match &self.screen {
            Screen::AskCode { .. } => true,
            // Text fields, and choice questions, where letters filter the options.
            Screen::Interview(s) => s.accepts_text() || s.filters(),
            Screen::Start { .. } => false,
        }
    }

    /// Handles a command. Returns the side effects to perform, in order.
    pub fn handle(&mut self, cmd: Cmd, now: &Now) -> Vec<Request> {
        let mut reqs = self.handle_cmd(cmd, now);
        // Unsaved changes: every key tries again (as does the clock, see `tick`).
        if self.unsaved() && !reqs.contains(&Request::Save) && !reqs.contains(&Request::Close) {
            reqs.push(Request::Save);
        }
        self.note_save(reqs)
    }

    fn handle_cmd(&mut self, cmd: Cmd, now: &Now) -> Vec<Request> {
        if cmd == Cmd::Quit {
            return self.leave(true);
        }
        if let Some(o) = self.overlay.clone() {
            return self.overlay_cmd(o, cmd);
        }
        if cmd == Cmd::Help {
            self.overlay = Some(Overlay::Help { top: 0 });
            return vec![];
        }
        match &mut self.screen {
            Screen::Start { tab, sel } => {
                let (tab, sel) = (*tab, *sel);
                self.start_cmd(tab, sel, cmd)
            }
            Screen::AskCode { edit, q } => {
                let q = *q;
                match cmd {
                    Cmd::Input(c) => edit.insert(&c.to_string(), false),
                    Cmd::Backspace => {
                        edit.backspace();
                    }
                    Cmd::Left => edit.left(),
                    Cmd::Right => edit.right(),
                    Cmd::Next => {
                        let code = edit.text().trim().to_string();
                        if code.is_empty() {
                            return vec![];
                        }
                        self.interviewer = Some(code);
                        return vec![Request::SaveConfig, Request::New { q }];
                    }
                    Cmd::Menu => self.screen = Screen::Start { tab: Tab::New, sel: q },
                    _ => {}
                }
                vec![]
            }
            Screen::Interview(s) => {
                let typing = s.accepts_text() || s.filters();
                // Esc clears a filter or a pending number first; then it opens the menu.
                let clears = !s.filter.is_empty() || s.pending.is_some();
                let roster_idle = matches!(s.mode, Mode::Roster { .. })
                    && s.message != Some(crate::interview::session::Message::ConfirmRemove);
                if cmd == Cmd::Menu && s.focus == Focus::Answer && (s.mode == Mode::Question || roster_idle) && !clears
                {
                    self.overlay = Some(Overlay::Menu { sel: 0 });
                    return vec![];
                }
                let action = match cmd {
                    Cmd::Next => Action::Next,
                    Cmd::Prev => Action::Prev,
                    Cmd::Up => Action::Up,
                    Cmd::Down => Action::Down,
                    Cmd::Digit(d) => Action::Choose(d),
                    Cmd::Toggle => Action::Toggle,
                    Cmd::Backspace => Action::Backspace,
                    Cmd::Delete => Action::Delete,
                    Cmd::Left => Action::Left,
                    Cmd::Right => Action::Right,
                    Cmd::Home => Action::Home,
                    Cmd::End => Action::End,
                    Cmd::Newline => Action::Newline,
                    Cmd::Focus | Cmd::FocusBack => Action::Focus,
                    Cmd::Remark => Action::Remark,
                    Cmd::Review => Action::Review,
                    Cmd::Jump => Action::Jump,
                    Cmd::Complete => Action::Complete,
                    Cmd::Add => Action::Add,
                    Cmd::Menu => Action::Cancel,
                    Cmd::Input(c) if typing => Action::Input(c),
                    _ => return vec![],
                };
                match session::update(s, action, now) {
                    Effect::None => vec![],
                    Effect::Save | Effect::Completed => vec![Request::Save],
                }
            }
        }
    }

    /// Pasted text goes to the focused field.
    pub(crate) fn paste(&mut self, text: &str, now: &Now) -> Vec<Request> {
        let reqs = self.paste_text(text, now);
        self.note_save(reqs)
    }

    fn paste_text(&mut self, text: &str, now: &Now) -> Vec<Request> {
        if let Some(Overlay::HandIn { edit }) = &mut self.overlay {
            edit.insert(text, false);
            return vec![];
        }
        if self.overlay.is_some() {
            return vec![];
        }
        match &mut self.screen {
            Screen::AskCode { edit, .. } => {
                edit.insert(text, false);
                vec![]
            }
            Screen::Interview(s) if s.accepts_text() => {
                match session::update(s, Action::Paste(text.to_string()), now) {
                    Effect::None => vec![],
                    _ => vec![Request::Save],
                }
            }
            _ => vec![],
        }
    }

    fn start_cmd(&mut self, tab: Tab, sel: usize, cmd: Cmd) -> Vec<Request> {
        let rows = self.rows(tab);
        let tabs = self.tabs();
        let n = tabs.len();
        let ti = tabs.iter().position(|t| *t == tab).unwrap_or(0);
        let mut set = |tab: Tab, sel: usize| self.screen = Screen::Start { tab, sel };
        match cmd {
            Cmd::Up => set(tab, sel.saturating_sub(1)),
            Cmd::Down => set(tab, (sel + 1).min(rows.len().saturating_sub(1))),
            Cmd::Focus | Cmd::Right => set(tabs[(ti + 1) % n], 0),
            Cmd::Left | Cmd::FocusBack => set(tabs[(ti + n - 1) % n], 0),
            Cmd::Digit(d) if tab == Tab::New && d < rows.len() => set(tab, d),
            Cmd::Next => {
                self.notice = None;
                let Some(&i) = rows.get(sel) else { return vec![] };
                return match tab {
                    Tab::New if self.interviewer.is_none() => {
                        self.screen = Screen::AskCode {
                            edit: Editor::default(),
                            q: i,
                        };
                        vec![]
                    }
                    Tab::New => vec![Request::New { q: i }],
                    // Nothing to open: the reason is on the screen.
                    Tab::Unreadable => vec![],
                    _ if self.items[i].sealed => {
                        self.notice = Some(self.sealed_notice());
                        vec![]
                    }
                    _ => self.open(i, false),
                };
            }
            Cmd::Reopen if tab == Tab::Completed => {
                if let Some(&i) = rows.get(sel) {
                    if self.items[i].sealed {
                        self.notice = Some(self.sealed_notice());
                    } else {
                        self.overlay = Some(Overlay::ConfirmReopen { item: i });
                    }
                }
            }
            Cmd::Discard if tab == Tab::Resume => {
                if let Some(&i) = rows.get(sel) {
                    self.overlay = Some(Overlay::ConfirmDiscard { item: i });
                }
            }
            Cmd::Menu => self.overlay = Some(Overlay::Menu { sel: 0 }),
            _ => {}
        }
        vec![]
    }

    fn overlay_cmd(&mut self, o: Overlay, cmd: Cmd) -> Vec<Request> {
        match o {
            Overlay::HandIn { mut edit } => {
                match cmd {
                    Cmd::Next => {
                        let dest = edit.text().trim().to_string();
                        if dest.is_empty() {
                            self.overlay = Some(Overlay::HandIn { edit });
                            return vec![];
                        }
                        self.overlay = None;
                        self.hand_in_dir = Some(dest.clone());
                        return vec![Request::SaveConfig, Request::HandIn { dest }];
                    }
                    Cmd::Menu => {
                        self.overlay = None;
                        return vec![];
                    }
                    Cmd::Input(c) => edit.insert(&c.to_string(), false),
                    Cmd::Backspace => {
                        edit.backspace();
                    }
                    Cmd::Delete => {
                        edit.delete();
                    }
                    Cmd::Left => edit.left(),
                    Cmd::Right => edit.right(),
                    Cmd::Home => edit.home(),
                    Cmd::End => edit.end(),
                    _ => {}
                }
                self.overlay = Some(Overlay::HandIn { edit });
                vec![]
            }
            Overlay::Help { top } => {
                // Scrolled as far as the view lets it (it clamps `top` to the last screenful).
                let max = crate::tui::keymap::help(self.lang).len();
                self.overlay = match cmd {
                    Cmd::Menu | Cmd::Next | Cmd::Help => None,
                    Cmd::Up => Some(Overlay::Help {
                        top: top.saturating_sub(1),
                    }),
                    Cmd::Down => Some(Overlay::Help {
                        top: (top + 1).min(max),
                    }),
                    Cmd::Prev => Some(Overlay::Help {
                        top: top.saturating_sub(10),
                    }),
                    Cmd::Toggle => Some(Overlay::Help {
                        top: (top + 10).min(max),
                    }),
                    _ => Some(Overlay::Help { top }),
                };
                vec![]
            }
            Overlay::ConfirmUnsaved { quit } => {
                self.overlay = None;
                if cmd == Cmd::Next { self.leave_now(quit) } else { vec![] }
            }
            Overlay::ConfirmDiscard { item } => {
                self.overlay = None;
                if cmd == Cmd::Next {
                    vec![Request::Discard { item }]
                } else {
                    vec![]
                }
            }
            Overlay::ConfirmReopen { item } => {
                self.overlay = None;
                if cmd == Cmd::Next {
                    self.open(item, true)
                } else {
                    vec![]
                }
            }
            Overlay::Menu { sel } => match cmd {
                Cmd::Up => {
                    self.overlay = Some(Overlay::Menu {
                        sel: sel.saturating_sub(1),
                    });
                    vec![]
                }
                Cmd::Down => {
                    self.overlay = Some(Overlay::Menu {
                        sel: (sel + 1).min(MENU.len() - 1),
                    });
                    vec![]
                }
                Cmd::Digit(d) if d < MENU.len() => self.menu_pick(d),
                Cmd::Next => self.menu_pick(sel),
                Cmd::Menu => {
                    self.overlay = None;
                    vec![]
                }
                _ => vec![],
            },
        }
    }

    /// Leaving the interview (to the start screen, or quitting): asked first when the last
    /// changes are not on disk, since leaving would lose them.
    fn leave(&mut self, quit: bool) -> Vec<Request> {
        if self.unsaved() {
            self.overlay = Some(Overlay::ConfirmUnsaved { quit });
            return vec![];
        }
        self.leave_now(quit)
    }

    fn leave_now(&mut self, quit: bool) -> Vec<Request> {
        if quit {
            self.quit = true;
            return vec![Request::Close];
        }
        if self.session().is_some() {
            self.screen = Screen::Start {
                tab: Tab::Resume,
                sel: 0,
            };
            return vec![Request::Close];
        }
        vec![]
    }

    fn menu_pick(&mut self, sel: usize) -> Vec<Request> {
        self.overlay = None;
        match sel {
            1 => self.leave(false),
            2 => {
                self.overlay = Some(Overlay::Help { top: 0 });
                vec![]
            }
            3 => {
                self.lang = if self.lang == Lang::Ru { Lang::En } else { Lang::Ru };
                vec![Request::SaveConfig]
            }
            4 => self.leave(true),
            5 => {
                self.overlay = Some(Overlay::HandIn {
                    edit: Editor::new(self.hand_in_dir.as_deref().unwrap_or("")),
                });
                vec![]
            }
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests;
