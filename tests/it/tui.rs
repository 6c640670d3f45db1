//! The interviewer on `TestBackend`: rendered screens (insta snapshots) and scripted scenarios
//! through the real run loop, asserting the files written.

use anketa::i18n::Lang;
use anketa::interview::session::{self, Action, Message, Mode, Now, Session};
use anketa::questionnaire::{Kind, Questionnaire, bundled};
use anketa::record::{AnswerValue, Record, Status};
use anketa::store::{self, DataDir};
use anketa::tui::app::{App, Outcome, Request, SaveState};
use anketa::tui::keymap;
use anketa::tui::view::{self, Theme};
use anketa::tui::{Clock, Input, Runner, run_loop};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;

/// A clock that advances one second per reading, from 2021-02-20 10:00:00 UTC.
struct TestClock(u64);

impl Clock for TestClock {
    fn wall(&mut self) -> jiff::Timestamp {
        self.0 += 1;
        jiff::Timestamp::from_second(1_613_815_200 + self.0 as i64).unwrap()
    }
    fn mono(&mut self) -> Duration {
        self.0 += 1;
        Duration::from_secs(self.0)
    }
}

fn catalog() -> Vec<Arc<Questionnaire>> {
    ["nko", "omsu", "demo"]
        .iter()
        .map(|id| Arc::new(bundled(id).unwrap()))
        .collect()
}

fn now() -> Now {
    Now {
        wall: "2021-02-20T10:00:00Z".into(),
        ms: 0,
    }
}

fn session(id: &str) -> Session {
    let q = Arc::new(bundled(id).unwrap());
    let rec = session::new_record(
        &q,
        "0190f5c2-0000-7000-8000-000000000000".into(),
        "dev".into(),
        "И07".into(),
        &now(),
    );
    let mut s = Session::open(q, rec);
    s.show(&now());
    s
}

/// An app showing the session `s` as it is (opened as a new interview, then replaced by `s`).
fn app_with(s: Session) -> App {
    let mut app = App::new(Lang::Ru, catalog(), Some("И07".into()));
    app.on(
        Outcome::Created {
            q: s.q.clone(),
            rec: s.rec.clone(),
        },
        &now(),
    );
    *app.session_mut().unwrap() = s;
    app
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::view(f, app, Theme::plain())).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut x = 0;
        while x < w {
            let cell = &buf[(x, y)];
            line.push_str(cell.symbol());
            x += (unicode_width::UnicodeWidthStr::width(cell.symbol()).max(1)) as u16;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn goto(s: &mut Session, var: &str) {
    let i = s.q.index_of(var).unwrap();
    s.jump_to(i, &now());
}

#[test]
fn start_screen_80x24() {
    let app = App::new(Lang::Ru, catalog(), Some("И07".into()));
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn single_choice_80x24_and_narrow() {
    let mut s = session("nko");
    session::update(&mut s, Action::Choose(1), &now());
    // `2` of 32 districts waits for a second digit, and the screen says so.
    insta::assert_snapshot!("pending_number_80x24", render(&app_with(s.clone()), 80, 24));
    session::update(&mut s, Action::Toggle, &now());
    let app = app_with(s);
    insta::assert_snapshot!("single_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("single_60x16", render(&app, 60, 16));
}

#[test]
fn multi_with_exclusive_option() {
    let mut s = session("nko");
    goto(&mut s, "goals");
    session::update(&mut s, Action::Choose(0), &now()); // 1 of 10 waits (10 starts with it)
    session::update(&mut s, Action::Toggle, &now()); // Space: 1
    session::update(&mut s, Action::Choose(1), &now()); // 2
    let q = s.q.clone();
    let qq = &q.questions[s.cur];
    let dk = qq.options.iter().position(|o| o.exclusive).unwrap();
    s.highlight = dk;
    session::update(&mut s, Action::Toggle, &now());
    assert_eq!(
        s.answer().unwrap().value,
        Some(AnswerValue::Codes(vec![qq.options[dk].code.clone()]))
    );
    insta::assert_snapshot!(render(&app_with(s), 80, 24));
}

#[test]
fn open_question_with_cyrillic_text() {
    let mut s = session("nko");
    goto(&mut s, "proposals_open");
    assert!(matches!(s.q.questions[s.cur].kind, Kind::LongText { .. }));
    session::update(&mut s, Action::Paste("Больше прозрачности в конкурсах.".into()), &now());
    session::update(&mut s, Action::Newline, &now());
    for c in "Обучение проектам".chars() {
        session::update(&mut s, Action::Input(c), &now());
    }
    session::update(&mut s, Action::Left, &now());
    insta::assert_snapshot!(render(&app_with(s), 80, 24));
}

#[test]
fn review_marks_missing_answers() {
    let mut s = session("demo");
    session::update(&mut s, Action::Next, &now());
    session::update(&mut s, Action::Choose(0), &now());
    session::update(&mut s, Action::Review, &now());
    insta::assert_snapshot!(render(&app_with(s), 80, 24));
}

#[test]
fn review_of_an_nko_interview_in_russian() {
    let mut s = session("nko");
    session::update(&mut s, Action::Choose(1), &now());
    session::update(&mut s, Action::Toggle, &now());
    session::update(&mut s, Action::Next, &now());
    session::update(&mut s, Action::Choose(0), &now());
    session::update(&mut s, Action::Remark, &now());
    session::update(&mut s, Action::Paste("ТОС при сельсовете".into()), &now());
    session::update(&mut s, Action::Next, &now());
    session::update(&mut s, Action::Review, &now());
    insta::assert_snapshot!(render(&app_with(s), 80, 24));
}

#[test]
fn too_small_terminal_says_so() {
    let app = app_with(session("nko"));
    let out = render(&app, 50, 12);
    assert!(
        out.starts_with("Окно терминала слишком маленькое\nнужно не менее 60×16"),
        "{out}"
    );
    insta::assert_snapshot!("too_small_50x12", out);
    // Resizing through tiny sizes never panics.
    for (w, h) in [(1, 1), (0, 0), (59, 15), (60, 16), (240, 67), (80, 3)] {
        render(&app, w, h);
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Decides the keys a diligent interviewer would press to answer the current question: the
/// first substantive option, a plausible number or text, and Enter.
fn keys_for(s: &Session) -> Vec<KeyEvent> {
    let qq = &s.q.questions[s.cur];
    let chars = |t: &str| t.chars().map(|c| key(KeyCode::Char(c))).collect::<Vec<_>>();
    let mut keys = match &qq.kind {
        Kind::Single | Kind::Multi { .. } => {
            let i = qq
                .options
                .iter()
                .position(|o| !o.exclusive && !o.other && o.missing.is_none())
                .unwrap();
            if i < 9 {
                let mut k = vec![key(KeyCode::Char(char::from_digit(i as u32 + 1, 10).unwrap()))];
                if (i + 1) * 10 <= qq.options.len() {
                    k.push(key(KeyCode::Char(' '))); // a longer number could follow: Space ends it
                }
                k
            } else {
                let mut k = vec![key(KeyCode::Down); i - s.highlight];
                if matches!(qq.kind, Kind::Multi { .. }) {
                    k.push(key(KeyCode::Char(' ')));
                }
                k
            }
        }
        Kind::Number { min, .. } => chars(&format!("{}", min.unwrap_or(0.0).max(1.0) as i64 + 4)),
        Kind::Text { .. } | Kind::LongText { .. } => chars("Ответ респондента"),
        Kind::Date => chars("2020-05-01"),
        Kind::Note | Kind::Calculate { .. } => vec![],
    };
    if s.answer().and_then(|a| a.value.as_ref()).is_some() {
        keys.clear(); // already answered
    }
    keys.push(key(KeyCode::Enter));
    keys
}

/// Plays a whole interview on a pure App (no files) and returns the keys pressed. The store's
/// part is played by answering each request with its outcome: the new interview is created, and
/// every save succeeds.
fn script_whole_interview(q_index: usize) -> (Vec<KeyEvent>, Record) {
    let mut app = App::new(Lang::Ru, catalog(), None);
    let mut keys = Vec::new();
    let press = |app: &mut App, k: KeyEvent, keys: &mut Vec<KeyEvent>| {
        keys.push(k);
        let Some(cmd) = keymap::map(&k, app.typing()) else {
            return;
        };
        let mut pending = app.handle(cmd, &now());
        while !pending.is_empty() {
            let outcome = match pending.remove(0) {
                Request::New { q } => Outcome::Created {
                    q: app.catalog()[q].clone(),
                    rec: session::new_record(
                        &app.catalog()[q],
                        "x".into(),
                        "d".into(),
                        app.interviewer().unwrap().into(),
                        &now(),
                    ),
                },
                Request::Save => Outcome::Saved {
                    at: "10:00:00".into(),
                    sealed: false,
                },
                Request::SaveConfig => Outcome::ConfigSaved,
                Request::Close => Outcome::Closed,
                r => panic!("unexpected {r:?}"),
            };
            let more = app.on(outcome, &now());
            pending.splice(0..0, more);
        }
    };
    for _ in 0..q_index {
        press(&mut app, key(KeyCode::Down), &mut keys);
    }
    press(&mut app, key(KeyCode::Enter), &mut keys);
    for c in "И07".chars() {
        press(&mut app, key(KeyCode::Char(c)), &mut keys);
    }
    press(&mut app, key(KeyCode::Enter), &mut keys);
    for _ in 0..500 {
        let s = app.session().expect("interview open");
        if matches!(s.mode, Mode::Review { .. }) {
            break;
        }
        let before = (s.cur, s.rec.revision);
        for k in keys_for(s) {
            press(&mut app, k, &mut keys);
        }
        let s = app.session().unwrap();
        if s.cur == before.0 && matches!(s.mode, Mode::Question) {
            // A soft warning waits for confirmation; anything else is a bug in the instrument.
            match &s.message {
                Some(Message::Problem(anketa::interview::logic::Problem::Warning(_))) => {
                    press(&mut app, key(KeyCode::Enter), &mut keys)
                }
                m => panic!("stuck at {}: {m:?}", s.q.questions[s.cur].id),
            }
        }
    }
    press(&mut app, key(KeyCode::F(10)), &mut keys);
    let s = app.session().unwrap();
    assert_eq!(s.rec.status, Status::Completed, "{:?}", s.message);
    assert_eq!(app.save_state(), &SaveState::Saved("10:00:00".into()));
    let rec = s.rec.clone();
    press(
        &mut app,
        KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL),
        &mut keys,
    );
    (keys, rec)
}

/// Plays `keys` through the run loop on `data`, at 80×24.
fn play(app: &mut App, data: &DataDir, keys: impl IntoIterator<Item = KeyEvent>) {
    let mut rt = Runner::new(data.clone(), TestClock(0), Theme::plain());
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut it = keys.into_iter();
    run_loop(&mut term, app, &mut rt, |_| {
        Ok(it.next().map_or(Input::End, |k| Input::Event(Event::Key(k))))
    })
    .unwrap();
}

#[test]
fn whole_nko_interview_through_the_run_loop() {
    let (keys, expected) = script_whole_interview(0);
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    let mut app = App::new(Lang::Ru, catalog(), None);
    play(&mut app, &data, keys);
    assert!(app.should_quit());
    let files = data.list();
    assert_eq!(files.len(), 1, "{files:?}");
    let rec = files[0].1.clone().unwrap().into_record().unwrap();
    assert_eq!(rec.status, Status::Completed);
    assert_eq!(rec.interviewer, "И07");
    assert!(rec.completed.is_some());
    let values = |r: &Record| {
        r.answers
            .iter()
            .map(|(k, a)| (k.clone(), a.value.clone(), a.relevant))
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&rec), values(&expected));
    assert!(rec.answers.len() > 20, "{}", rec.answers.len());
    assert!(
        rec.paradata
            .iter()
            .filter(|e| e.ev == anketa::record::EventKind::Shown)
            .count()
            > 20
    );
    assert!(rec.duration_ms > 0);
    let name = files[0].0.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("nko-И07-") && name.ends_with(".json"), "{name}");
    // The questionnaire copy is kept, named by id, version and hash.
    let q = bundled("nko").unwrap();
    assert!(data.questionnaires().join(store::questionnaire_file_name(&q)).exists());
    // The config remembers the interviewer.
    assert_eq!(data.config().interviewer.as_deref(), Some("И07"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&files[0].0).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(data.interviews()).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}

/// An interviewer (code И07) on the start screen over `data`, its clock at `t` seconds.
fn started(data: &DataDir, t: u64) -> (App, Runner<TestClock>) {
    let mut app = App::new(Lang::Ru, catalog(), Some("И07".into()));
    let mut rt = Runner::new(data.clone(), TestClock(t), Theme::plain());
    rt.refresh(&mut app);
    (app, rt)
}

fn k(c: KeyCode) -> Input {
    Input::Event(Event::Key(key(c)))
}

#[test]
fn resume_reopens_at_the_exact_question_and_second_instance_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    let (mut app, mut rt) = started(&data, 0);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    for input in [
        k(KeyCode::Enter),
        k(KeyCode::Char('3')),
        k(KeyCode::Char(' ')), // 3 of 32 districts: Space completes the number
        k(KeyCode::Enter),
        k(KeyCode::Char('2')),
    ] {
        rt.step(&mut app, input);
    }
    let at = app.session().unwrap().q.questions[app.session().unwrap().cur]
        .id
        .clone();
    assert_eq!(at, "org_type");
    // A second instance cannot open the same interview while the first holds it.
    let (mut app2, mut rt2) = started(&data, 0);
    rt2.step(&mut app2, k(KeyCode::Enter));
    assert!(app2.session().is_none());
    // In the interviewer's language.
    assert!(
        app2.notice().unwrap_or("").contains("уже открыто в другом окне anketa"),
        "{:?}",
        app2.notice()
    );
    // Quit the first, resume from the start screen: same question, same answers.
    rt.step(
        &mut app,
        Input::Event(Event::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL))),
    );
    drop(rt);
    let (mut app3, mut rt3) = started(&data, 100);
    rt3.draw(&mut term, &mut app3).unwrap();
    rt3.step(&mut app3, k(KeyCode::Enter));
    let s = app3.session().expect("resumed");
    assert_eq!(s.q.questions[s.cur].id, "org_type");
    // The interruption is on disk: a `resumed` event where it stood, with the gap (the third
    // window's clock starts at 100 s, the first one's last write was some 20 ticks in).
    let path = data.interview_path(&s.rec);
    rt3.settle(&mut app3);
    let s = app3.session().unwrap();
    let on_disk = store::read_record(&path).unwrap();
    let r = on_disk
        .paradata
        .iter()
        .find(|e| e.ev == anketa::record::EventKind::Resumed)
        .expect("resumed event");
    assert_eq!(r.q, "org_type");
    assert!(r.gap_s.is_some_and(|g| (50..=100).contains(&g)), "{r:?}");
    assert_eq!(
        s.rec.answers["district"].value,
        Some(AnswerValue::Text("gorodishchensky".into()))
    );
    assert_eq!(
        s.rec.answers["org_type"].value,
        Some(AnswerValue::Text("public_org".into()))
    );
    rt3.draw(&mut term, &mut app3).unwrap();
}

#[test]
fn failed_save_is_shown_and_retried_on_the_next_change() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    let (mut app, mut rt) = started(&data, 0);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    rt.step(&mut app, k(KeyCode::Enter));
    rt.step(&mut app, k(KeyCode::Char('1')));
    rt.step(&mut app, k(KeyCode::Char(' ')));
    let path = data.interview_path(&app.session().unwrap().rec);
    let good = std::fs::read(&path).unwrap();
    // The stick is pulled: the interviews folder is replaced by a plain file (works even as root).
    let moved = dir.path().join("moved");
    std::fs::rename(data.interviews(), &moved).unwrap();
    std::fs::write(data.interviews(), b"not a folder").unwrap();
    rt.step(&mut app, k(KeyCode::Char('2')));
    rt.step(&mut app, k(KeyCode::Char(' ')));
    rt.draw(&mut term, &mut app).unwrap();
    let screen = format!("{}", term.backend());
    assert!(screen.contains("НЕ СОХРАНЕНО"), "{screen}");
    // What is wrong and what to do, in Russian (not "Not a directory (os error 20)").
    assert!(screen.contains("вставьте флешку обратно"), "{screen}");
    // The interview stays in memory and the good file was never replaced by a partial one.
    assert_eq!(
        app.session().unwrap().rec.answers["district"].value,
        Some(AnswerValue::Text("bykovsky".into()))
    );
    assert_eq!(std::fs::read(moved.join(path.file_name().unwrap())).unwrap(), good);
    // The stick is back: the next change saves everything.
    std::fs::remove_file(data.interviews()).unwrap();
    std::fs::rename(&moved, data.interviews()).unwrap();
    // The stick is back: without any key, the clock retries the save (every 3 s).
    for _ in 0..5 {
        rt.draw(&mut term, &mut app).unwrap();
        rt.settle(&mut app); // as the run loop does after each frame
    }
    assert!(!app.unsaved(), "{:?}", app.save_state());
    assert_eq!(
        store::read_record(&path).unwrap().answers["district"].value,
        Some(AnswerValue::Text("bykovsky".into()))
    );
    rt.step(&mut app, k(KeyCode::Enter));
    rt.draw(&mut term, &mut app).unwrap();
    assert!(format!("{}", term.backend()).contains("сохранено"));
    let rec = store::read_record(&path).unwrap();
    assert_eq!(
        rec.answers["district"].value,
        Some(AnswerValue::Text("bykovsky".into()))
    );
    assert_eq!(rec.position.as_deref(), Some("org_type"));
}

#[test]
fn a_discarded_draft_is_moved_aside_and_merge_lists_it_as_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path().join("laptop"));
    let (mut app, mut rt) = started(&data, 0);
    for input in [k(KeyCode::Enter), k(KeyCode::Char('5')), k(KeyCode::Esc)] {
        rt.step(&mut app, input); // a new interview, district 5, menu
    }
    rt.step(&mut app, k(KeyCode::Char('2'))); // menu: back to the start screen
    assert!(app.session().is_none());
    let path = data.interview_path(&app.items()[0].rec);
    assert!(path.exists());
    rt.step(&mut app, k(KeyCode::F(8)));
    rt.step(&mut app, k(KeyCode::Enter));
    assert!(app.items().is_empty(), "the draft left the list");
    assert!(!path.exists());
    let kept = data.discarded().join(path.file_name().unwrap());
    assert!(kept.exists(), "moved, never deleted");
    // merge: listed as discarded, not merged.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = elsewhere.path().join("out");
    let o = crate::support::anketa(&["merge", crate::support::s(dir.path()), "--out", crate::support::s(&out)]);
    assert_eq!(o.status.code(), Some(0), "nothing else to merge, nothing rejected");
    let report = std::fs::read_to_string(out.join("merge-report.json")).unwrap();
    assert!(
        report.contains("a draft discarded on the laptop (in discarded/): not merged"),
        "{report}"
    );
}

#[test]
fn keys_do_nothing_while_the_terminal_is_too_small() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    let (mut app, mut rt) = started(&data, 0);
    let mut big = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut small = Terminal::new(TestBackend::new(50, 12)).unwrap();
    rt.draw(&mut big, &mut app).unwrap();
    rt.step(&mut app, k(KeyCode::Enter)); // a new interview, at the district
    let before = app.session().unwrap().rec.clone();
    rt.draw(&mut small, &mut app).unwrap();
    assert!(format!("{}", small.backend()).contains("слишком маленькое"));
    for c in ['5', '\n', 'x'] {
        rt.step(&mut app, k(KeyCode::Char(c)));
    }
    rt.step(&mut app, k(KeyCode::Enter));
    assert_eq!(app.session().unwrap().rec, before, "nothing typed blind");
    // Big again: keys act.
    rt.draw(&mut big, &mut app).unwrap();
    rt.step(&mut app, k(KeyCode::Char('5')));
    assert!(app.session().unwrap().rec.answers["district"].value.is_some());
}

#[test]
fn help_scrolls_to_every_key_at_60x16() {
    let mut app = app_with(session("nko"));
    app.handle(keymap::Cmd::Help, &now());
    let first = render(&app, 60, 16);
    assert!(first.contains("▼"), "{first}");
    let mut seen = first.clone();
    for _ in 0..40 {
        app.handle(keymap::Cmd::Down, &now());
        seen.push_str(&render(&app, 60, 16));
    }
    let last = render(&app, 60, 16);
    assert!(last.contains("▲") && !last.contains("▼"), "{last}");
    for key in ["F2", "F3", "F10", "Esc", "Ctrl+Q", "F8"] {
        assert!(seen.contains(key), "{key} never shown:\n{seen}");
    }
    insta::assert_snapshot!("help_60x16_end", last);
}

#[test]
fn typing_svet_leaves_svetloyarsky_at_80x24() {
    let mut s = session("nko");
    for c in "Свет".chars() {
        session::update(&mut s, Action::Input(c), &now());
    }
    insta::assert_snapshot!("filter_svet_80x24", render(&app_with(s), 80, 24));
}

#[test]
fn keys_typed_during_a_write_are_saved_together_in_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    let (mut app, mut rt) = started(&data, 0);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    // A new interview, district 5, then a remark typed in bursts: each burst is what arrives
    // while the previous write is running (a Tick: nothing more is waiting).
    let bursts: Vec<Vec<Input>> = vec![
        vec![k(KeyCode::Enter)],
        vec![k(KeyCode::Char('5'))],
        vec![k(KeyCode::F(2))],
        "при".chars().map(|c| k(KeyCode::Char(c))).collect(),
        "ехали в".chars().map(|c| k(KeyCode::Char(c))).collect(),
        " обед".chars().map(|c| k(KeyCode::Char(c))).collect(),
    ];
    let mut script = Vec::new();
    for b in bursts {
        script.extend(b);
        script.push(Input::Tick);
    }
    let mut script = script.into_iter();
    run_loop(&mut term, &mut app, &mut rt, |_| {
        Ok(match script.next() {
            Some(i) => i,
            None => Input::End,
        })
    })
    .unwrap();
    let path = data.interview_path(&app.session().unwrap().rec);
    let rec = store::read_record(&path).unwrap();
    assert_eq!(rec.answers["district"].remark.as_deref(), Some("приехали в обед"));
    // One write per burst after the interview was created, not one per key (17 keys).
    assert!(rt.writes() <= 6, "{} writes", rt.writes());
    assert!(
        matches!(app.save_state(), SaveState::Saved(_)),
        "{:?}",
        app.save_state()
    );
}

/// A data dir with a readable draft, a truncated interview file and an empty one.
fn with_unreadable_files(dir: &std::path::Path) -> DataDir {
    let data = DataDir::at(dir);
    std::fs::create_dir_all(data.interviews()).unwrap();
    std::fs::write(
        data.interviews()
            .join("nko-И07-0193aaaa-bbbb-7ccc-8ddd-eeeeffff0000.json"),
        "{\n  \"format\": \"anketa-interview/1\",\n  \"id\": \"0193",
    )
    .unwrap();
    std::fs::write(data.interviews().join("omsu-И07-empty.json"), "").unwrap();
    data
}

#[test]
fn unreadable_files_are_listed_on_the_start_screen_with_their_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let data = with_unreadable_files(dir.path());
    let (mut app, mut rt) = started(&data, 0);
    for (w, h) in [(80, 24), (60, 16)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        rt.draw(&mut term, &mut app).unwrap();
        let screen = format!("{}", term.backend());
        assert!(screen.contains("Не читаются (2)"), "{screen}");
        assert!(
            !screen.contains("anketa list"),
            "no command line for the interviewer:\n{screen}"
        );
    }
    // Tab to the section: each file by name, the selected one with its reason in Russian.
    for _ in 0..3 {
        rt.step(&mut app, k(KeyCode::Tab));
    }
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    rt.draw(&mut term, &mut app).unwrap();
    let first = format!("{}", term.backend());
    insta::assert_snapshot!("unreadable_files_80x24", first);
    rt.step(&mut app, k(KeyCode::Down));
    let mut small = Terminal::new(TestBackend::new(60, 16)).unwrap();
    rt.draw(&mut small, &mut app).unwrap();
    let second = format!("{}", small.backend());
    insta::assert_snapshot!("unreadable_files_60x16", second);
    let both = first + &second;
    assert!(both.contains("файл испорчен или обрезан (строка 3)"), "{both}");
    assert!(both.contains("файл пустой"), "{both}");
    assert!(!both.contains("truncated") && !both.contains("empty file"), "{both}");
    // Enter opens nothing and changes nothing.
    rt.step(&mut app, k(KeyCode::Enter));
    assert!(app.session().is_none());
    assert_eq!(
        std::fs::read(data.interviews().join("omsu-И07-empty.json")).unwrap(),
        b""
    );
}

#[test]
fn anketa_list_names_unreadable_files_in_russian_and_the_raw_reason_only_with_all() {
    let dir = tempfile::tempdir().unwrap();
    with_unreadable_files(dir.path());
    let d = crate::support::s(dir.path());
    let o = crate::support::anketa(&["list", "--data-dir", d]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ошибка: ") && err.contains("файл испорчен или обрезан (строка 3)"),
        "{err}"
    );
    assert!(err.contains("omsu-И07-empty.json: файл пустой"), "{err}");
    assert!(!err.contains("truncated JSON"), "{err}");
    let o = crate::support::anketa(&["list", "--all", "--data-dir", d]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("(truncated JSON at line 3"), "{err}");
    let o = crate::support::anketa(&["--lang", "en", "list", "--data-dir", d]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("error: ") && err.contains("the file is empty"), "{err}");
}

#[test]
fn a_long_option_list_scrolls_under_the_question_which_stays() {
    let mut app = app_with(session("nko"));
    for _ in 0..24 {
        app.handle(keymap::Cmd::Down, &now());
    }
    for (w, h) in [(80, 24), (60, 16)] {
        let screen = render(&app, w, h);
        assert!(screen.contains("1. Муниципальный район"), "{w}×{h}:\n{screen}");
        assert!(screen.contains("25 ( ) Светлоярский"), "{w}×{h}:\n{screen}");
        assert!(!screen.contains(" 1 ( ) Алексеевский"), "{w}×{h}:\n{screen}");
        assert!(screen.contains("▲ ещё строк:"), "{w}×{h}:\n{screen}");
        if (w, h) == (60, 16) {
            insta::assert_snapshot!("district_25_60x16", screen);
        }
    }
}

#[test]
fn completed_interviews_are_handed_in_from_the_menu() {
    let dir = tempfile::tempdir().unwrap();
    let laptop = dir.path().join("laptop");
    let stick = dir.path().join("stick");
    crate::support::simulate("nko", 4, &laptop, 1, 0.0, 10);
    let data = DataDir::at(&laptop);
    let (mut app, mut rt) = started(&data, 0);
    rt.step(&mut app, k(KeyCode::Esc)); // the menu
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    rt.draw(&mut term, &mut app).unwrap();
    assert!(format!("{}", term.backend()).contains("6. Сдать завершённые интервью"));
    rt.step(&mut app, k(KeyCode::Char('6')));
    rt.draw(&mut term, &mut app).unwrap();
    assert!(format!("{}", term.backend()).contains("Куда сдать завершённые интервью"));
    for c in stick.to_str().unwrap().chars() {
        rt.step(&mut app, k(KeyCode::Char(c)));
    }
    rt.step(&mut app, k(KeyCode::Enter));
    let notice = app.notice().unwrap_or("").to_string();
    assert!(notice.contains("новых интервью 4"), "{notice}");
    let folder = std::fs::read_dir(&stick).unwrap().next().unwrap().unwrap().path();
    assert_eq!(std::fs::read_dir(folder.join("interviews")).unwrap().count(), 4);
    // The folder is remembered for the next time.
    assert_eq!(data.config().hand_in_dir.as_deref(), stick.to_str());
}

/// The roster demo: two projects, the first filled with one partner kept and one removed.
fn projects_in_progress() -> Session {
    let mut s = session("projects");
    let act = |s: &mut Session, a: Action| {
        session::update(s, a, &now());
    };
    let typ = |s: &mut Session, t: &str| {
        for c in t.chars() {
            session::update(s, Action::Input(c), &now());
        }
    };
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    typ(&mut s, "2");
    act(&mut s, Action::Next);
    act(&mut s, Action::Next);
    typ(&mut s, "Школа фермера «Рассвет»");
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    typ(&mut s, "450");
    act(&mut s, Action::Next);
    for (name, kind) in [("Администрация Быковского района", 1), ("ООО «Агро»", 2)]
    {
        act(&mut s, Action::Add);
        typ(&mut s, name);
        act(&mut s, Action::Next);
        act(&mut s, Action::Choose(kind));
        act(&mut s, Action::Next);
    }
    act(&mut s, Action::Up);
    act(&mut s, Action::Delete);
    act(&mut s, Action::Delete);
    s
}

#[test]
fn roster_screens_at_80x24_and_60x16() {
    let mut s = projects_in_progress();
    assert!(matches!(s.mode, Mode::Roster { .. }));
    let app = app_with(s.clone());
    insta::assert_snapshot!("roster_nested_list_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("roster_nested_list_60x16", render(&app, 60, 16));
    // On past the partners: the projects' list, the second project selected.
    session::update(&mut s, Action::Down, &now());
    session::update(&mut s, Action::Next, &now());
    let app = app_with(s.clone());
    insta::assert_snapshot!("roster_list_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("roster_list_60x16", render(&app, 60, 16));
    // Inside the first partner of the first project: where the question stands.
    session::update(&mut s, Action::Up, &now());
    session::update(&mut s, Action::Next, &now());
    for _ in 0..4 {
        session::update(&mut s, Action::Next, &now());
    }
    session::update(&mut s, Action::Next, &now());
    insta::assert_snapshot!("roster_question_80x24", render(&app_with(s.clone()), 80, 24));
    session::update(&mut s, Action::Review, &now());
    insta::assert_snapshot!("roster_review_80x24", render(&app_with(s), 80, 24));
}

#[test]
fn a_completed_interview_is_sealed_listed_without_content_and_never_reopened() {
    let (keys, expected) = script_whole_interview(0);
    let dir = tempfile::tempdir().unwrap();
    // The laptop seals to the supervisor's key (`anketa seal-to`, here written directly).
    let pair = anketa::seal::keygen("2026-12-04T12:00:00Z");
    std::fs::write(
        dir.path().join("config.json"),
        format!("{{\"recipients\": [\"{}\"]}}", pair.recipient),
    )
    .unwrap();
    let data = DataDir::at(dir.path());
    let mut app = App::new(Lang::Ru, catalog(), None);
    play(&mut app, &data, keys);
    // The header said so when it completed: «запечатано», not only «сохранено».
    assert!(
        matches!(app.save_state(), SaveState::Sealed(_)),
        "{:?}",
        app.save_state()
    );
    let files = data.list();
    assert_eq!(files.len(), 1, "{files:?}");
    let anketa::record::decode::Stored::Sealed(head) = files[0].1.clone().unwrap() else {
        panic!("not sealed: {:?}", files[0].0)
    };
    assert_eq!(head.status, Status::Completed);
    let bytes = std::fs::read(&files[0].0).unwrap();
    let clear = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        !clear.contains("Ответ респондента") && !clear.contains("И07\""),
        "{clear}"
    );
    // The supervisor's key opens it: the interview as it was completed.
    let mut ids = anketa::seal::Identities::default();
    ids.add_file("sup.key", &pair.identity_file).unwrap();
    let opened = anketa::seal::SealedView::parse(&clear).unwrap().open(&ids).unwrap();
    let rec = anketa::record::decode::record(&opened).unwrap();
    assert_eq!((rec.id.as_str(), rec.status), (head.id.as_str(), Status::Completed));
    assert_eq!(rec.answers.len(), expected.answers.len());
    assert_eq!(rec.interviewer, "И07");

    // The start screen lists it as completed and sealed, without content; opening it (Enter)
    // and reopening it (F7) are refused with the reason, and the file is unchanged.
    let mut app = App::new(Lang::Ru, catalog(), Some("И07".into()));
    play(
        &mut app,
        &data,
        [key(KeyCode::Right), key(KeyCode::Right), key(KeyCode::Enter)],
    );
    let screen = render(&app, 80, 24);
    assert!(screen.contains("nko · [запечатано] · завершено"), "{screen}");
    assert!(app.session().is_none());
    assert!(
        app.notice()
            .is_some_and(|n| n.contains("запечатано ключом руководителя")),
        "{:?}",
        app.notice()
    );
    // F5 (reopen) on the same row: the notice again, no confirmation asked.
    play(&mut app, &data, [key(KeyCode::F(5))]);
    let screen = render(&app, 80, 24);
    assert!(!screen.contains("Переоткрыть"), "{screen}");
    assert!(app.session().is_none());
    assert_eq!(std::fs::read(&files[0].0).unwrap(), bytes);
}
