//! The terminal interviewer: the only module that imports ratatui and crossterm.
//!
//! Keys become semantic commands in [`keymap`], [`app::App::handle`] updates the state (and the
//! interview state machine) and returns requests, the run loop performs them through the
//! store, and [`view::view`] draws the result without side effects. The loop is generic over
//! the ratatui `Backend` and the event source so tests drive it with `TestBackend` and
//! scripted keys.

pub mod app;
pub mod keymap;
pub mod view;

use crate::i18n::Lang;
use crate::interview::session::{self, Now, Session};
use crate::questionnaire::Questionnaire;
use crate::store::{self, Config, DataDir, InterviewLock};
use app::{App, Item, Request, SaveState, Screen};
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
pub struct SystemClock(Instant);

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

/// Performs requests through the store; owns the open interview's lock.
pub struct Runner<C: Clock> {
    /// The data dir.
    pub dir: DataDir,
    /// The clocks.
    pub clock: C,
    lock: Option<InterviewLock>,
    opened_at: Duration,
    base_ms: u64,
    theme: view::Theme,
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
        }
    }

    fn now(&mut self, app: &App) -> Now {
        let ms = if app.session().is_some() {
            self.base_ms + (self.clock.mono().saturating_sub(self.opened_at)).as_millis() as u64
        } else {
            0
        };
        Now {
            wall: session::rfc3339(self.clock.wall()),
            ms,
        }
    }

    /// Reloads the interview list.
    pub fn refresh(&mut self, app: &mut App) {
        let mut items = Vec::new();
        let tz = jiff::tz::TimeZone::system();
        app.broken.clear();
        for (path, r) in self.dir.list() {
            match r {
                Ok(rec) => items.push(Item::new(path, rec, &app.known, &tz)),
                Err(e) => app.broken.push((path, e)),
            }
        }
        app.set_items(items);
        app.today = jiff::ZonedDateTime::new(self.clock.wall(), tz).date().to_string();
    }

    fn perform(&mut self, app: &mut App, req: Request) {
        let now = self.now(app);
        match req {
            Request::Save => self.save(app, &now),
            Request::SaveConfig => {
                let cfg = Config {
                    interviewer: app.interviewer.clone(),
                    lang: Some(app.lang.code().to_string()),
                };
                if let Err(e) = self.dir.save_config(&cfg) {
                    app.notice = Some(format!("config: {}", store::io_reason(&e)));
                }
            }
            Request::Close => {
                self.lock = None;
                if !app.quit {
                    self.refresh(app);
                }
            }
            Request::New { q } => {
                let qn = app.catalog[q].clone();
                if let Err(e) = self.start_new(app, qn) {
                    app.notice = Some(e);
                }
            }
            Request::Open { item, reopen } => {
                if let Err(e) = self.open(app, item, reopen) {
                    app.notice = Some(e);
                }
            }
        }
    }

    fn save(&mut self, app: &mut App, now: &Now) {
        let Some(s) = app.session() else { return };
        app.save = match self.dir.save(&s.rec) {
            Ok(()) => SaveState::Saved(local_hms(&now.wall)),
            Err(e) => SaveState::Failed(store::io_reason(&e)),
        };
    }

    fn start_new(&mut self, app: &mut App, q: Arc<Questionnaire>) -> Result<(), String> {
        let fail = |e: io::Error| format!("{}: {}", self.dir.root().display(), store::io_reason(&e));
        self.dir.ensure().map_err(fail)?;
        let device = self.dir.device_id().map_err(fail)?;
        self.dir.keep_questionnaire(&q).map_err(fail)?;
        let id = uuid::Uuid::now_v7().to_string();
        let interviewer = app.interviewer.clone().unwrap_or_default();
        let now = self.now(app);
        let rec = session::new_record(&q, id, device, interviewer, &now);
        self.lock = Some(self.dir.lock(&rec)?);
        self.begin(app, q, rec);
        Ok(())
    }

    fn open(&mut self, app: &mut App, item: usize, reopen: bool) -> Result<(), String> {
        let it = app.items.get(item).cloned().ok_or("no such interview")?;
        let q = it.q.clone().ok_or_else(|| {
            format!(
                "{}: {} {} (sha256 {}…)",
                it.path.display(),
                app.lang.t("неизвестная версия анкеты", "unknown questionnaire version"),
                it.rec.questionnaire.id,
                it.rec.questionnaire.sha256.get(..12).unwrap_or("")
            )
        })?;
        // Re-read: the list may be stale, and the file is the truth.
        let mut rec = store::read_record(&it.path)?;
        self.lock = Some(self.dir.lock(&rec)?);
        if reopen {
            let now = self.now(app);
            session::reopen(&mut rec, &now);
        }
        let completed_view = rec.status == crate::interview::record::Status::Completed;
        self.begin(app, q, rec);
        if reopen {
            let now = self.now(app);
            self.save(app, &now);
        }
        if completed_view {
            app.save = SaveState::Idle;
        }
        Ok(())
    }

    fn begin(&mut self, app: &mut App, q: Arc<Questionnaire>, rec: crate::interview::record::Record) {
        self.base_ms = rec.duration_ms;
        self.opened_at = self.clock.mono();
        app.save = SaveState::Idle;
        app.screen = Screen::Interview(Box::new(Session::open(q, rec)));
        let now = self.now(app);
        if let Some(s) = app.session_mut()
            && s.show(&now) != session::Effect::None
        {
            self.save(app, &now);
        }
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

/// The run loop: draw, wait for input (with a timeout for the clock), handle, perform.
pub fn run_loop<B: Backend, C: Clock>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    rt: &mut Runner<C>,
    mut next: impl FnMut(Duration) -> io::Result<Input>,
) -> io::Result<()> {
    rt.refresh(app);
    loop {
        rt.draw(terminal, app)?;
        if app.quit {
            return Ok(());
        }
        match next(Duration::from_secs(1))? {
            Input::End => return Ok(()),
            input => rt.step(app, input),
        }
    }
}

impl<C: Clock> Runner<C> {
    /// Draws the current state.
    pub fn draw<B: Backend>(&mut self, terminal: &mut Terminal<B>, app: &mut App) -> io::Result<()> {
        app.elapsed_ms = self.now(app).ms;
        let theme = self.theme;
        terminal
            .draw(|f| view::view(f, app, theme))
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(())
    }

    /// Handles one input: key → command → update → requests performed through the store.
    pub fn step(&mut self, app: &mut App, input: Input) {
        let reqs = match input {
            Input::Event(Event::Key(k)) => match keymap::map(&k, app.typing()) {
                Some(cmd) => {
                    let now = self.now(app);
                    app.handle(cmd, &now)
                }
                None => return,
            },
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
    let mut app = App::new(opts.lang, opts.catalog, cfg.interviewer);
    // Questionnaires in the data dir's `questionnaires/` (copies of every version used, or one a
    // supervisor put there) are offered too, after the bundled ones; all are known for resuming.
    for q in opts.dir.stored_questionnaires() {
        if !app.catalog.iter().any(|k| k.sha256 == q.sha256) {
            app.catalog.push(Arc::new(q));
        }
    }
    app.known = app.catalog.clone();
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
