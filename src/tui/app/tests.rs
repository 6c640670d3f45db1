//! The app driven purely: commands and outcomes in, state and requests out; no terminal, no disk.

use super::*;
use crate::questionnaire::fixtures;
use crate::record::{EventKind, Status};
use crate::tui::view::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> Now {
    Now {
        wall: "2021-02-20T10:00:00Z".into(),
        ms: 0,
    }
}

fn catalog() -> Vec<Arc<Questionnaire>> {
    fixtures::all().into_iter().map(Arc::new).collect()
}

fn app() -> App {
    App::new(Lang::Ru, catalog(), Some("И07".into()))
}

fn record(q: &Questionnaire) -> Record {
    session::new_record(
        q,
        "0190f5c2-0000-7000-8000-000000000000".into(),
        "dev".into(),
        "И07".into(),
        &now(),
    )
}

/// The screen as text (80×24, plain theme).
fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| view::view(f, app, Theme::plain())).unwrap();
    format!("{}", t.backend())
}

/// The id of the question shown.
fn shown(app: &App) -> &str {
    let s = app.session().expect("an interview is open");
    &s.q.questions[s.cur].id
}

/// An app whose list holds `recs` (as if read from disk), on the start screen.
fn listing(recs: Vec<Record>) -> App {
    let mut app = app();
    let items = recs
        .into_iter()
        .enumerate()
        .map(|(i, rec)| {
            let path = PathBuf::from(format!("/data/interviews/{i}.json"));
            Summary::new(path, rec, app.known(), &jiff::tz::TimeZone::UTC)
        })
        .collect();
    let reqs = app.on(
        Outcome::Listed {
            items,
            broken: vec![],
            today: "2021-02-20".into(),
        },
        &now(),
    );
    assert!(reqs.is_empty());
    app
}

/// An nko record answered up to `org_type` (district answered, shown events logged).
fn nko_in_progress() -> Record {
    let q = Arc::new(fixtures::nko());
    let mut s = Session::open(q, record(&fixtures::nko()));
    s.show(&now());
    session::update(&mut s, Action::Choose(2), &now()); // 3 of 32 districts: pending
    session::update(&mut s, Action::Next, &now()); // Enter completes it
    session::update(&mut s, Action::Next, &now());
    assert_eq!(s.q.questions[s.cur].id, "org_type");
    s.rec
}

/// The app after "new interview" on the start screen and the store's answer: the first
/// question of the first questionnaire is shown.
fn with_new_interview() -> App {
    let mut app = app();
    app.handle(Cmd::Next, &now());
    let q = app.catalog()[0].clone();
    let rec = record(&q);
    app.on(Outcome::Created { q, rec }, &now());
    app
}

/// Whether the start screen shows `tab` with row `sel` selected.
fn at_start(app: &App, tab: Tab, sel: usize) -> bool {
    matches!(app.screen(), Screen::Start { tab: t, sel: s } if *t == tab && *s == sel)
}

/// The store's answer to opening the first interview of the list: `rec`, read back.
fn open_first(app: &mut App, rec: Record, reopen: bool) -> Vec<Request> {
    app.on(Outcome::Opened { item: 0, rec, reopen }, &now())
}

#[test]
fn a_new_interview_from_the_start_screen_shows_its_first_question() {
    let mut app = app();
    assert!(matches!(app.screen(), Screen::Start { tab: Tab::New, sel: 0 }));
    let reqs = app.handle(Cmd::Next, &now());
    assert_eq!(reqs, vec![Request::New { q: 0 }]);
    // Nothing opens before the store has created the interview.
    assert!(app.session().is_none());
    let q = app.catalog()[0].clone();
    let later = Now {
        wall: "2021-02-20T10:00:02Z".into(),
        ms: 1500,
    };
    let reqs = app.on(
        Outcome::Created {
            q: q.clone(),
            rec: record(&q),
        },
        &later,
    );
    // Showing the first question is logged, so the record is saved at once.
    assert_eq!(reqs, vec![Request::Save]);
    assert_eq!(shown(&app), "district");
    let s = app.session().unwrap();
    assert_eq!(s.rec.position.as_deref(), Some("district"));
    let last = s.rec.paradata.last().unwrap();
    assert_eq!(
        (last.ev, last.q.as_str(), last.ms),
        (EventKind::Shown, "district", 1500)
    );
    // Asked for, not yet written: the header must not say "сохранено".
    assert_eq!(app.save_state(), &SaveState::Pending);
    assert!(screen(&app).contains("блок 1/"), "{}", screen(&app));
    assert!(!screen(&app).contains("сохранено"), "{}", screen(&app));
    assert!(
        app.on(
            Outcome::Saved {
                at: "10:00:02".into(),
                sealed: false
            },
            &now()
        )
        .is_empty()
    );
    assert_eq!(app.save_state(), &SaveState::Saved("10:00:02".into()));
    assert!(screen(&app).contains("сохранено 10:00:02"));
}

#[test]
fn the_first_interview_asks_the_interviewer_code_and_saves_it() {
    let mut app = App::new(Lang::Ru, catalog(), None);
    app.handle(Cmd::Down, &now());
    assert_eq!(app.handle(Cmd::Next, &now()), vec![]);
    assert!(matches!(app.screen(), Screen::AskCode { q: 1, .. }));
    assert!(app.typing());
    for c in "И07".chars() {
        assert!(app.handle(Cmd::Input(c), &now()).is_empty());
    }
    let reqs = app.handle(Cmd::Next, &now());
    assert_eq!(reqs, vec![Request::SaveConfig, Request::New { q: 1 }]);
    assert_eq!(app.interviewer(), Some("И07"));
    // The settings could not be written: said on the start screen, the interview goes on.
    let reqs = app.on(
        Outcome::ConfigFailed {
            error: "диск только для чтения".into(),
        },
        &now(),
    );
    assert!(reqs.is_empty());
    assert_eq!(app.notice(), Some("настройки не сохранены: диск только для чтения"));
    let q = app.catalog()[1].clone();
    app.on(
        Outcome::Created {
            q: q.clone(),
            rec: record(&q),
        },
        &now(),
    );
    assert_eq!(app.session().unwrap().q.id, "omsu");
}

#[test]
fn an_open_failure_stays_on_the_start_screen_and_says_why() {
    let mut app = listing(vec![nko_in_progress()]);
    assert!(
        at_start(&app, Tab::Resume, 0),
        "with a draft the start screen opens on it"
    );
    let reqs = app.handle(Cmd::Next, &now());
    assert_eq!(reqs, vec![Request::Open { item: 0, reopen: false }]);
    let error = "this interview is open in another anketa window; close it there first";
    let reqs = app.on(Outcome::OpenFailed { error: error.into() }, &now());
    assert!(reqs.is_empty());
    assert!(app.session().is_none());
    assert!(at_start(&app, Tab::Resume, 0), "{:?}", app.screen());
    assert_eq!(app.notice(), Some(error));
    assert!(screen(&app).contains("another anketa window"), "{}", screen(&app));
    // The next attempt clears the notice.
    app.handle(Cmd::Next, &now());
    assert_eq!(app.notice(), None);
}

#[test]
fn a_create_failure_says_why() {
    let mut app = app();
    app.handle(Cmd::Next, &now());
    let error = "/data: Permission denied";
    assert!(app.on(Outcome::CreateFailed { error: error.into() }, &now()).is_empty());
    assert!(app.session().is_none());
    assert_eq!(app.notice(), Some(error));
}

#[test]
fn an_unknown_questionnaire_version_is_refused_without_asking_the_store() {
    let mut rec = nko_in_progress();
    rec.questionnaire.sha256 = "0123456789abcdef".repeat(4);
    let mut app = listing(vec![rec]);
    assert_eq!(app.handle(Cmd::Next, &now()), vec![]);
    assert!(app.session().is_none());
    let notice = app.notice().unwrap();
    assert!(
        notice.starts_with("/data/interviews/0.json: неизвестная версия анкеты nko (sha256 0123456789ab…)"),
        "{notice}"
    );
}

#[test]
fn resuming_opens_at_the_recorded_question() {
    let rec = nko_in_progress();
    let mut app = listing(vec![rec.clone()]);
    let reqs = app.handle(Cmd::Next, &now());
    assert_eq!(reqs, vec![Request::Open { item: 0, reopen: false }]);
    // Taken up again the next morning: the interruption is in the paradata.
    let mut rec = rec;
    rec.updated = "2021-02-19T18:30:00Z".into();
    let reqs = open_first(&mut app, rec.clone(), false);
    assert_eq!(reqs, vec![Request::Save]);
    assert_eq!(shown(&app), "org_type");
    let s = app.session().unwrap();
    assert_eq!(s.rec.answers["district"].value, rec.answers["district"].value);
    assert!(!s.read_only);
    let resumed: Vec<_> = s.rec.paradata.iter().filter(|e| e.ev == EventKind::Resumed).collect();
    assert_eq!(resumed.len(), 1, "{:?}", s.rec.paradata);
    assert_eq!(resumed[0].q, "org_type");
    assert_eq!(resumed[0].gap_s, Some(15 * 3600 + 30 * 60));
}

#[test]
fn a_completed_interview_opens_read_only_or_is_reopened() {
    let mut rec = nko_in_progress();
    rec.status = Status::Completed;
    rec.completed = Some("2021-02-20T10:30:00Z".into());
    let mut app = listing(vec![rec.clone()]);
    app.handle(Cmd::Focus, &now());
    app.handle(Cmd::Focus, &now());
    assert!(at_start(&app, Tab::Completed, 0), "{:?}", app.screen());
    // Viewing: read-only, nothing to save.
    let reqs = app.handle(Cmd::Next, &now());
    assert_eq!(reqs, vec![Request::Open { item: 0, reopen: false }]);
    let reqs = open_first(&mut app, rec.clone(), false);
    assert!(reqs.is_empty());
    assert!(app.session().unwrap().read_only);
    assert_eq!(app.session().unwrap().rec, rec, "looking at it records nothing");
    assert_eq!(app.save_state(), &SaveState::Idle);
    // Its review does not offer completion again.
    app.handle(Cmd::Review, &now());
    let out = screen(&app);
    assert!(
        out.contains("интервью завершено") && !out.contains("завершить"),
        "{out}"
    );
    // Back to the start screen, then reopen after confirming.
    let mut app = listing(vec![rec.clone()]);
    app.handle(Cmd::FocusBack, &now());
    assert!(app.handle(Cmd::Reopen, &now()).is_empty());
    assert_eq!(app.overlay(), Some(&Overlay::ConfirmReopen { item: 0 }));
    let reqs = app.handle(Cmd::Next, &now());
    assert_eq!(reqs, vec![Request::Open { item: 0, reopen: true }]);
    assert_eq!(app.overlay(), None);
    let reqs = open_first(&mut app, rec.clone(), true);
    // Saved after showing the question and for the reopening, as before.
    assert_eq!(reqs, vec![Request::Save, Request::Save]);
    let s = app.session().unwrap();
    assert!(!s.read_only);
    assert_eq!(s.rec.status, Status::InProgress);
    assert_eq!(s.rec.reopened.len(), 1);
    assert_eq!(s.rec.reopened[0].was_completed, "2021-02-20T10:30:00Z");
    assert_eq!(s.rec.completed, None);
}

#[test]
fn a_failed_save_shows_not_saved_until_a_later_save_succeeds() {
    let mut app = with_new_interview();
    app.on(
        Outcome::Saved {
            at: "10:00:01".into(),
            sealed: false,
        },
        &now(),
    );
    assert_eq!(app.handle(Cmd::Digit(4), &now()), vec![Request::Save]); // district 5
    let reqs = app.on(
        Outcome::SaveFailed {
            error: "Not a directory".into(),
        },
        &now(),
    );
    assert!(reqs.is_empty());
    assert_eq!(app.save_state(), &SaveState::Failed("Not a directory".into()));
    let out = screen(&app);
    assert!(out.contains("НЕ СОХРАНЕНО: Not a directory"), "{out}");
    // The answer is kept in memory.
    assert!(app.session().unwrap().rec.answers["district"].value.is_some());
    // The next change is saved again, and the indicator says so.
    assert_eq!(app.handle(Cmd::Next, &now()), vec![Request::Save]);
    app.on(
        Outcome::Saved {
            at: "10:00:09".into(),
            sealed: false,
        },
        &now(),
    );
    assert_eq!(app.save_state(), &SaveState::Saved("10:00:09".into()));
    let out = screen(&app);
    assert!(!out.contains("НЕ СОХРАНЕНО"), "{out}");
    assert!(out.contains("сохранено 10:00:09"), "{out}");
}

#[test]
fn back_to_the_start_screen_closes_and_shows_the_new_list() {
    let mut app = with_new_interview();
    app.handle(Cmd::Menu, &now());
    assert_eq!(app.overlay(), Some(&Overlay::Menu { sel: 0 }));
    assert_eq!(app.handle(Cmd::Digit(1), &now()), vec![Request::Close]);
    assert!(app.session().is_none());
    assert!(at_start(&app, Tab::Resume, 0), "{:?}", app.screen());
    assert!(app.items().is_empty());
    let item = Summary::new(
        PathBuf::from("/data/interviews/0.json"),
        nko_in_progress(),
        app.known(),
        &jiff::tz::TimeZone::UTC,
    );
    let broken = vec![(
        PathBuf::from("/data/interviews/bad.json"),
        crate::record::decode::Unreadable::new(crate::record::decode::Fault::Empty, "empty file"),
    )];
    app.on(
        Outcome::Listed {
            items: vec![item],
            broken,
            today: "2021-02-21".into(),
        },
        &now(),
    );
    assert_eq!(app.rows(Tab::Resume), vec![0]);
    assert_eq!(app.broken().len(), 1);
    assert_eq!(app.tabs().last(), Some(&Tab::Unreadable));
    assert_eq!(app.today(), "2021-02-21");
    // Quitting closes too; nothing follows.
    assert_eq!(app.handle(Cmd::Quit, &now()), vec![Request::Close]);
    assert!(app.should_quit());
    assert!(app.on(Outcome::Closed, &now()).is_empty());
}

#[test]
fn the_clock_in_the_header_follows_tick() {
    let mut app = with_new_interview();
    app.tick(&Now {
        wall: "2021-02-20T11:01:01Z".into(),
        ms: 3_661_000,
    });
    assert_eq!(app.elapsed_ms(), 3_661_000);
    assert!(screen(&app).contains("01:01:01"), "{}", screen(&app));
}

#[test]
fn enter_after_a_restart_resumes_the_newest_draft_instead_of_starting_another() {
    let older = nko_in_progress();
    let mut newer = nko_in_progress();
    newer.id = "0177aaaa-0000-7000-8000-000000000002".into();
    newer.updated = "2021-02-21T09:00:00Z".into();
    let mut app = listing(vec![older, newer.clone()]);
    assert!(at_start(&app, Tab::Resume, 0), "{:?}", app.screen());
    assert_eq!(app.items()[0].rec.id, newer.id, "newest first");
    assert_eq!(
        app.handle(Cmd::Next, &now()),
        vec![Request::Open { item: 0, reopen: false }]
    );
    // Without drafts, the start screen offers a new interview.
    let app = listing(vec![]);
    assert!(at_start(&app, Tab::New, 0), "{:?}", app.screen());
}

#[test]
fn a_draft_is_discarded_only_after_confirmation() {
    let mut app = listing(vec![nko_in_progress()]);
    assert!(app.handle(Cmd::Discard, &now()).is_empty());
    assert_eq!(app.overlay(), Some(&Overlay::ConfirmDiscard { item: 0 }));
    let out = screen(&app);
    assert!(out.contains("Убрать незаконченное интервью?"), "{out}");
    // Esc keeps it.
    assert!(app.handle(Cmd::Menu, &now()).is_empty());
    assert_eq!(app.overlay(), None);
    // Enter discards it; the store's new list follows.
    app.handle(Cmd::Discard, &now());
    assert_eq!(app.handle(Cmd::Next, &now()), vec![Request::Discard { item: 0 }]);
    app.on(
        Outcome::Listed {
            items: vec![],
            broken: vec![],
            today: "2021-02-20".into(),
        },
        &now(),
    );
    assert!(app.items().is_empty());
    // Completed interviews are not discarded.
    let mut rec = nko_in_progress();
    rec.status = Status::Completed;
    let mut app = listing(vec![rec]);
    app.handle(Cmd::Focus, &now());
    app.handle(Cmd::Focus, &now());
    assert!(at_start(&app, Tab::Completed, 0), "{:?}", app.screen());
    assert!(app.handle(Cmd::Discard, &now()).is_empty());
    assert_eq!(app.overlay(), None);
}

fn at_ms(ms: u64) -> Now {
    Now {
        wall: "2021-02-20T10:00:00Z".into(),
        ms,
    }
}

/// An open interview whose last save failed (at interview time 1 s).
fn unsaved() -> App {
    let mut app = with_new_interview();
    app.handle(Cmd::Digit(4), &at_ms(1000));
    let error = "папка интервью недоступна — вставьте флешку обратно".to_string();
    app.on(Outcome::SaveFailed { error }, &at_ms(1000));
    assert!(app.unsaved());
    app
}

#[test]
fn a_failed_save_is_retried_by_the_clock_and_by_every_key_until_it_succeeds() {
    let mut app = unsaved();
    assert_eq!(app.tick(&at_ms(2000)), vec![], "not yet");
    assert_eq!(app.tick(&at_ms(4000)), vec![Request::Save], "every 3 s without a key");
    assert_eq!(app.tick(&at_ms(5000)), vec![]);
    // A key that changes nothing still tries again.
    assert_eq!(app.handle(Cmd::Down, &at_ms(5100)), vec![Request::Save]);
    app.on(
        Outcome::Saved {
            at: "10:00:09".into(),
            sealed: false,
        },
        &at_ms(5200),
    );
    assert!(!app.unsaved());
    assert_eq!(app.tick(&at_ms(60_000)), vec![], "nothing to retry once saved");
    assert_eq!(app.handle(Cmd::Down, &at_ms(60_100)), vec![]);
}

#[test]
fn leaving_or_quitting_while_unsaved_asks_first() {
    let mut app = unsaved();
    // Ctrl+Q: asked, not quit.
    assert_eq!(
        app.handle(Cmd::Quit, &now()),
        vec![Request::Save],
        "no Close: asked, and tried again"
    );
    assert_eq!(app.overlay(), Some(&Overlay::ConfirmUnsaved { quit: true }));
    assert!(!app.should_quit());
    let out = screen(&app);
    assert!(
        out.contains("НЕ СОХРАНЕНЫ") && out.contains("вставьте флешку обратно"),
        "{out}"
    );
    // Esc: stays, and the key retried the save.
    assert_eq!(app.handle(Cmd::Menu, &now()), vec![Request::Save]);
    assert_eq!(app.overlay(), None);
    assert!(app.session().is_some());
    // Menu → back to the start screen: asked too; Enter leaves without saving.
    app.handle(Cmd::Menu, &now());
    app.handle(Cmd::Digit(1), &now());
    assert_eq!(app.overlay(), Some(&Overlay::ConfirmUnsaved { quit: false }));
    assert_eq!(app.handle(Cmd::Next, &now()), vec![Request::Close]);
    assert!(!app.should_quit());
    // Once saved, quitting is immediate.
    let mut app = with_new_interview();
    assert_eq!(app.handle(Cmd::Quit, &now()), vec![Request::Close]);
    assert!(app.should_quit());
}

#[test]
fn a_change_shows_saving_until_its_write_is_done() {
    let mut app = with_new_interview();
    app.on(
        Outcome::Saved {
            at: "10:00:02".into(),
            sealed: false,
        },
        &now(),
    );
    assert!(screen(&app).contains("сохранено 10:00:02"));
    // District 5 chosen: drawn before it is written, and the frame does not claim it is saved.
    assert_eq!(app.handle(Cmd::Input('5'), &now()), vec![Request::Save]);
    assert_eq!(app.save_state(), &SaveState::Pending);
    let s = screen(&app);
    assert!(s.contains("сохраняю…") && !s.contains("сохранено"), "{s}");
    app.on(
        Outcome::Saved {
            at: "10:00:03".into(),
            sealed: false,
        },
        &now(),
    );
    assert!(screen(&app).contains("сохранено 10:00:03"));
}
