//! The terminal interviewer: the only module that imports ratatui and crossterm.
//!
//! Keys become semantic commands in [`keymap`], [`app::App::handle`] updates the state (and the
//! interview state machine) and returns requests, the [`Runner`] performs them through the
//! store and hands each result back as an [`app::Outcome`] to [`app::App::on`], which makes the
//! state changes (and may ask for more), and [`view::view`] draws the result without side
//! effects. The loop is generic over the ratatui `Backend` and the event source so tests drive
//! it with `TestBackend` and scripted keys.

pub mod app;
pub mod keymap;
pub mod view;

use crate::i18n::{self, Lang};
use crate::interview::session::{self, Now};
use crate::interview::summary::Summary;
use crate::questionnaire::Questionnaire;
use crate::record::Record;
use crate::record::decode::Stored;
use crate::store::{self, Config, DataDir, InterviewLock, LockError};
use app::{App, Outcome, Request};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{self, Event};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Wall and monotonic time, injectable for tests.
pub trait Clock {
    /// Wall clock.
    fn wall(&mut self) -> jiff::Timestamp;
    /// Monotonic time since an arbitrary origin.
    fn mono(&mut self) -> Duration;
}

/// The real clocks.
pub(crate) struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(Instant::now())
    }
}

impl Clock for SystemClock {
    fn wall(&mut self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
    fn mono(&mut self) -> Duration {
        self.0.elapsed()
    }
}

/// What the event source produced.
pub enum Input {
    /// A terminal event.
    Event(Event),
    /// Nothing within the timeout (redraw the clock).
    Tick,
    /// No more input (scripted tests).
    End,
}

/// Performs requests through the store and hands back their [`Outcome`]s; owns the open
/// interview's lock and its clock. It reads the app but never changes it except through
/// [`App::handle`], [`App::paste`], [`App::on`] and [`App::tick`].
pub struct Runner<C: Clock> {
    /// The data dir.
    pub dir: DataDir,
    /// The clocks.
    pub clock: C,
    lock: Option<InterviewLock>,
    opened_at: Duration,
    base_ms: u64,
    theme: view::Theme,
    /// The last frame was "terminal too small": keys do nothing then (but quit), since the
    /// interviewer cannot see what they would change.
    too_small: bool,
    /// A write of the open interview is due (see [`Runner::settle`]).
    save_due: bool,
    /// Writes of the open interview made (successful or not).
    writes: u64,
    /// Added to every write: an old laptop's slow disk, for the typing benchmark.
    slow_disk: Duration,
}

impl<C: Clock> Runner<C> {
    /// A runner over a data dir.
    pub fn new(dir: DataDir, clock: C, theme: view::Theme) -> Self {
        Runner {
            dir,
            clock,
            lock: None,
            opened_at: Duration::ZERO,
            base_ms: 0,
            theme,
            too_small: false,
            save_due: false,
            writes: 0,
            slow_disk: Duration::ZERO,
        }
    }

    /// Writes of the open interview made so far (each one a temp file, fsync, rename, fsync).
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Makes every write take `extra` longer, as on an old hard disk (benchmarks only).
    #[doc(hidden)]
    pub fn simulate_slow_disk(&mut self, extra: Duration) {
        self.slow_disk = extra;
    }

    /// Performs the write of the open interview if one is due: every change since the last
    /// write goes to disk in this one (group commit). Returns whether it wrote.
    pub fn settle(&mut self, app: &mut App) -> bool {
        if !std::mem::take(&mut self.save_due) {
            return false;
        }
        if let Some(outcome) = self.io(app, Request::Save) {
            self.deliver(app, outcome);
        }
        true
    }

    /// The time now; `ms` is the interview's clock if one is `open`, else 0.
    fn now_at(&mut self, open: bool) -> Now {
        let ms = if open {
            self.base_ms + (self.clock.mono().saturating_sub(self.opened_at)).as_millis() as u64
        } else {
            0
        };
        Now {
            wall: session::rfc3339(self.clock.wall()),
            ms,
        }
    }

    fn now(&mut self, app: &App) -> Now {
        self.now_at(app.session().is_some())
    }

    /// Starts the clock of an interview just locked: it continues from its recorded duration.
    fn start_clock(&mut self, rec: &Record) {
        self.base_ms = rec.duration_ms;
        self.opened_at = self.clock.mono();
    }

    /// Reloads the interview list.
    pub fn refresh(&mut self, app: &mut App) {
        let listed = self.list(app);
        self.deliver(app, listed);
    }

    fn list(&mut self, app: &App) -> Outcome {
        let mut items = Vec::new();
        let mut broken = Vec::new();
        let tz = jiff::tz::TimeZone::system();
        for (path, r) in self.dir.list() {
            match r {
                Ok(Stored::Open(rec)) => items.push(Summary::new(path, rec, app.known(), &tz)),
                Ok(Stored::Sealed(head)) => items.push(Summary::sealed(path, head, app.known(), &tz)),
                Err(e) => broken.push((path, e)),
            }
        }
        let today = jiff::ZonedDateTime::new(self.clock.wall(), tz).date().to_string();
        Outcome::Listed { items, broken, today }
    }

    /// Performs a request and hands what came of it to the app, then performs the requests that
    /// follow from it (before any still pending). A write of the interview is only marked due:
    /// the run loop makes it after the frame is drawn ([`Runner::settle`]), and any other
    /// request makes it first.
    fn perform(&mut self, app: &mut App, req: Request) {
        if req == Request::Save {
            self.save_due = true;
            return;
        }
        self.settle(app);
        if let Some(outcome) = self.io(app, req) {
            self.deliver(app, outcome);
        }
    }

    fn deliver(&mut self, app: &mut App, outcome: Outcome) {
        // An interview just created or opened: its clock runs from now.
        let opened = matches!(outcome, Outcome::Created { .. } | Outcome::Opened { .. });
        let now = self.now_at(opened || app.session().is_some());
        for r in app.on(outcome, &now) {
            self.perform(app, r);
        }
    }

    /// The I/O of a request, through the store. Reads the app, never changes it.
    fn io(&mut self, app: &App, req: Request) -> Option<Outcome> {
        Some(match req {
            Request::Save => {
                let now = self.now(app);
                let session = app.session()?;
                let rec = &session.rec;
                self.writes += 1;
                // Only a completed interview is sealed: the keys are looked up for it alone.
                let to = match rec.status {
                    crate::record::Status::Completed => self.dir.seal_to(&session.q),
                    crate::record::Status::InProgress => Ok(Default::default()),
                };
                let (written, sealed) = match to {
                    Ok(to) => (self.dir.save(rec, &to), !to.is_empty()),
                    Err(e) => (Err(io::Error::other(e)), false),
                };
                if !self.slow_disk.is_zero() {
                    std::thread::sleep(self.slow_disk);
                }
                match written {
                    Ok(()) => Outcome::Saved {
                        at: local_hms(&now.wall),
                        sealed,
                    },
                    Err(e) => Outcome::SaveFailed {
                        error: i18n::io_problem(app.lang(), &e),
                    },
                }
            }
            Request::SaveConfig => {
                let cfg = Config {
                    interviewer: app.interviewer().map(str::to_string),
                    lang: Some(app.lang().code().to_string()),
                    hand_in_dir: app.hand_in_dir().map(str::to_string),
                    ..self.dir.config()
                };
                match self.dir.save_config(&cfg) {
                    Ok(()) => Outcome::ConfigSaved,
                    Err(e) => Outcome::ConfigFailed {
                        error: i18n::io_problem(app.lang(), &e),
                    },
                }
            }
            Request::Close => {
                self.lock = None;
                if app.should_quit() {
                    Outcome::Closed
                } else {
                    self.list(app)
                }
            }
            Request::New { q } => {
                let q = app.catalog()[q].clone();
                match self.create(app, &q) {
                    Ok(rec) => Outcome::Created { q, rec },
                    Err(error) => Outcome::CreateFailed { error },
                }
            }
            Request::Open { item, reopen } => match self.open(app, item) {
                Ok(rec) => Outcome::Opened { item, rec, reopen },
                Err(error) => Outcome::OpenFailed { error },
            },
            Request::HandIn { dest } => {
                let l = app.lang();
                let text = match self.dir.hand_in(std::path::Path::new(&dest)) {
                    Ok(h) => i18n::handed_in(
                        l,
                        &h.folder.display().to_string(),
                        h.new,
                        h.updated,
                        h.already,
                        h.questionnaires,
                    ),
                    Err(e) => {
                        i18n::hand_in_stopped(l, &e.at.file_name().unwrap_or_default().to_string_lossy(), &e.error)
                    }
                };
                Outcome::HandedIn { text }
            }
            Request::Discard { item } => {
                let it = &app.items()[item];
                match self.dir.discard(&it.path, &it.rec) {
                    Ok(_) => self.list(app),
                    Err(e) => Outcome::DiscardFailed {
                        error: lock_problem(app.lang(), &e),
                    },
                }
            }
        })
    }

    /// Creates and locks a new interview's record (keeping a copy of its questionnaire).
    fn create(&mut self, app: &App, q: &Questionnaire) -> Result<Record, String> {
        let fail = |e: io::Error| i18n::io_problem(app.lang(), &e);
        self.dir.ensure().map_err(fail)?;
        let device = self.dir.device_id().map_err(fail)?;
        self.dir.keep_questionnaire(q).map_err(fail)?;
        let id = uuid::Uuid::now_v7().to_string();
        let interviewer = app.interviewer().unwrap_or_default().to_string();
        let now = self.now(app);
        let rec = session::new_record(q, id, device, interviewer, &now);
        self.lock = Some(self.dir.lock(&rec).map_err(|e| lock_problem(app.lang(), &e))?);
        self.start_clock(&rec);
        Ok(rec)
    }

    /// Re-reads an interview of the list (the list may be stale; the file is the truth) and
    /// locks it.
    fn open(&mut self, app: &App, item: usize) -> Result<Record, String> {
        let Some(it) = app.items().get(item) else {
            return Err(app
                .lang()
                .t("интервью больше нет в списке", "the interview is no longer listed")
                .into());
        };
        let path = it.path.clone();
        let rec = store::read_record(&path).map_err(|e| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            format!("{name}: {}", i18n::unreadable(app.lang(), &e))
        })?;
        self.lock = Some(self.dir.lock(&rec).map_err(|e| lock_problem(app.lang(), &e))?);
        self.start_clock(&rec);
        Ok(rec)
    }
}

/// Why an interview could not be locked, in the UI language.
fn lock_problem(lang: Lang, e: &LockError) -> String {
    match e {
        LockError::Held => i18n::interview_locked(lang),
        LockError::Io(e) => i18n::io_problem(lang, e),
    }
}

fn local_hms(rfc: &str) -> String {
    rfc.parse::<jiff::Timestamp>()
        .map(|t| {
            jiff::ZonedDateTime::new(t, jiff::tz::TimeZone::system())
                .strftime("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// At most this many inputs that arrived during a write are applied before the next frame.
const MAX_BATCH: usize = 512;

/// The run loop: draw, write what changed (group commit), wait for input, handle.
///
/// The frame is drawn first, then the changes are written; keys that arrived during the write
/// are applied together before the next frame and go to disk in the next single write, so
/// typing on a slow disk lags by at most one write.
pub fn run_loop<B: Backend, C: Clock>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    rt: &mut Runner<C>,
    mut next: impl FnMut(Duration) -> io::Result<Input>,
) -> io::Result<()> {
    rt.refresh(app);
    loop {
        rt.draw(terminal, app)?;
        if app.should_quit() {
            return Ok(());
        }
        let wait = if rt.settle(app) {
            // Redraw at once; first apply what was typed meanwhile.
            Duration::ZERO
        } else {
            Duration::from_secs(1)
        };
        for i in 0..MAX_BATCH {
            match next(if i == 0 { wait } else { Duration::ZERO })? {
                Input::End => {
                    rt.settle(app);
                    return Ok(());
                }
                Input::Tick => break,
                input => rt.apply(app, input),
            }
        }
    }
}

impl<C: Clock> Runner<C> {
    /// Draws the current state.
    pub fn draw<B: Backend>(&mut self, terminal: &mut Terminal<B>, app: &mut App) -> io::Result<()> {
        let now = self.now(app);
        let retry = app.tick(&now);
        let theme = self.theme;
        let size = terminal.size().map_err(|e| io::Error::other(e.to_string()))?;
        self.too_small = size.width < view::MIN_W || size.height < view::MIN_H;
        terminal
            .draw(|f| view::view(f, app, theme))
            .map_err(|e| io::Error::other(e.to_string()))?;
        // The frame first, then the retry of a failed save.
        for r in retry {
            self.perform(app, r);
        }
        Ok(())
    }

    /// Handles one input and writes what it changed at once (one key, one write).
    pub fn step(&mut self, app: &mut App, input: Input) {
        self.apply(app, input);
        self.settle(app);
    }

    /// Handles one input: key → command → update → requests performed through the store, the
    /// write of the interview left due for [`Runner::settle`].
    pub fn apply(&mut self, app: &mut App, input: Input) {
        let reqs = match input {
            Input::Event(Event::Key(k)) => match keymap::map(&k, app.typing()) {
                Some(cmd) if self.too_small && cmd != keymap::Cmd::Quit => return,
                Some(cmd) => {
                    let now = self.now(app);
                    app.handle(cmd, &now)
                }
                None => return,
            },
            Input::Event(Event::Paste(_)) if self.too_small => return,
            Input::Event(Event::Paste(text)) => {
                let now = self.now(app);
                app.paste(&text, &now)
            }
            _ => return,
        };
        for r in reqs {
            self.perform(app, r);
        }
    }
}

/// Options of the interviewer.
pub struct Options {
    /// The data dir.
    pub dir: DataDir,
    /// Questionnaires offered for new interviews.
    pub catalog: Vec<Arc<Questionnaire>>,
    /// UI language (from `--lang` or the settings).
    pub lang: Lang,
}

/// Runs the interviewer in the real terminal. The terminal is restored on exit and on panic.
pub fn run(opts: Options) -> io::Result<()> {
    use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
    use ratatui::crossterm::execute;
    opts.dir.clean_stale_temp_files();
    let cfg = opts.dir.config();
    // Questionnaires in the data dir's `questionnaires/` (copies of every version used, or one a
    // supervisor put there) are offered too, after the bundled ones; all are known for resuming.
    let mut catalog = opts.catalog;
    for q in opts.dir.stored_questionnaires() {
        if !catalog.iter().any(|k| k.sha256 == q.sha256) {
            catalog.push(Arc::new(q));
        }
    }
    let mut app = App::new(opts.lang, catalog, cfg.interviewer);
    app.set_hand_in_dir(cfg.hand_in_dir);
    app.set_zone(jiff::tz::TimeZone::system());
    let mut rt = Runner::new(opts.dir, SystemClock::default(), view::Theme::from_env());
    ratatui::run(|terminal| {
        let _ = execute!(io::stdout(), EnableBracketedPaste);
        // For the cold-start benchmark: stop right after the first frame.
        let first_frame_only = std::env::var_os("ANKETA_EXIT_AFTER_FIRST_FRAME").is_some();
        let r = run_loop(terminal, &mut app, &mut rt, |timeout| {
            if first_frame_only {
                Ok(Input::End)
            } else if event::poll(timeout)? {
                Ok(Input::Event(event::read()?))
            } else {
                Ok(Input::Tick)
            }
        });
        let _ = execute!(io::stdout(), DisableBracketedPaste);
        r
    })
}
