//! Engine 2 stress benchmark (issue 12; run with `cargo bench --bench engine`, or
//! `benches/engine.sh` for the real binary's `check` too; numbers go to docs/benchmarks.md).
//! Not a test: prints tables.
//!
//! The stress questionnaire is `benches/stress.json`, written by
//! `benches/stress_questionnaire.py`: 600 questions asked and 300 calculations in 15 chains of
//! depth 20, a 5,000-option settlement list filtered by a 31-option district, 100 piped texts.
//!
//! - key → keymap → update → render on `TestBackend` at 80×24: a scripted interviewer goes
//!   through the stress questionnaire (district by number, settlement by number or by letters,
//!   digits into numbers that feed the calculation chains, singles, multis, texts, Enter, and
//!   now and then PgUp back and Enter forward again); a new interview every 100 questions.
//!   Percentiles over all keys, then by kind of key, with update and render timed apart.
//!   The bundled НКО with the cycle of `benches/interviewer.rs`, in the same run, for the ratio.
//! - `anketa::questionnaire::load` of the stress file, in process.

use anketa::i18n::Lang;
use anketa::interview::session;
use anketa::questionnaire::{Kind, Questionnaire, bundled, load};
use anketa::tui::app::{App, Outcome};
use anketa::tui::keymap;
use anketa::tui::view::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

const STRESS: &str = include_str!("stress.json");

#[path = "common/mod.rs"]
mod common;
use common::{Rng, key, now, pct, us};

/// Timings of one key: (update, render).
#[derive(Default)]
struct Samples {
    by_class: BTreeMap<&'static str, Vec<(Duration, Duration)>>,
}

impl Samples {
    fn push(&mut self, class: &'static str, upd: Duration, ren: Duration) {
        self.by_class.entry(class).or_default().push((upd, ren));
    }
    fn all(&self) -> Vec<(Duration, Duration)> {
        self.by_class.values().flatten().copied().collect()
    }
}

struct Stats {
    n: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    upd50: Duration,
    upd99: Duration,
    ren50: Duration,
    ren99: Duration,
}

fn stats(v: &[(Duration, Duration)]) -> Stats {
    let mut tot: Vec<Duration> = v.iter().map(|(u, r)| *u + *r).collect();
    let mut upd: Vec<Duration> = v.iter().map(|(u, _)| *u).collect();
    let mut ren: Vec<Duration> = v.iter().map(|(_, r)| *r).collect();
    Stats {
        n: v.len(),
        p50: pct(&mut tot, 0.5),
        p99: pct(&mut tot, 0.99),
        max: pct(&mut tot, 1.0),
        upd50: pct(&mut upd, 0.5),
        upd99: pct(&mut upd, 0.99),
        ren50: pct(&mut ren, 0.5),
        ren99: pct(&mut ren, 0.99),
    }
}

fn digits(n: usize) -> Vec<KeyEvent> {
    n.to_string().chars().map(|c| key(KeyCode::Char(c))).collect()
}

/// The keys that answer the current question (the scripted interviewer's plan), each with its
/// kind for the per-kind table.
fn plan(s: &session::Session, rng: &mut Rng) -> Vec<(&'static str, KeyEvent)> {
    let qq = &s.q.questions[s.cur];
    let enter = match qq.id.as_str() {
        "district" => (
            "Enter on district (next: the settlement, 5,000 filtered)",
            key(KeyCode::Enter),
        ),
        "settlement" => ("Enter on settlement (choose, next)", key(KeyCode::Enter)),
        _ => ("Enter (next, choose or confirm)", key(KeyCode::Enter)),
    };
    let answered = s.answer().is_some_and(|a| a.value.is_some());
    if answered {
        return vec![enter];
    }
    let mut keys = Vec::new();
    match &qq.kind {
        _ if qq.id == "district" => {
            let d = 1 + rng.below(qq.options.len());
            keys.extend(digits(d).into_iter().map(|k| ("digit: district", k)));
            if d * 10 <= qq.options.len() {
                keys.push((
                    "Enter on district (next: the settlement, 5,000 filtered)",
                    key(KeyCode::Enter),
                ));
            }
        }
        _ if qq.id == "settlement" => {
            let n = s.offered.len();
            if n > 0 && rng.below(2) == 0 {
                // By number: two or three digits, Enter ends it when it could go on.
                let pick = 1 + rng.below(n);
                keys.extend(
                    digits(pick)
                        .into_iter()
                        .map(|k| ("digit: settlement (5,000, filtered)", k)),
                );
                if pick * 10 <= n {
                    keys.push(("Enter on settlement (choose, next)", key(KeyCode::Enter)));
                }
            } else if n > 0 {
                // By letters: the start of an offered label, then Enter chooses the first match.
                let o = &qq.options[s.offered[rng.below(n)]];
                let label = s.say(&o.label).to_lowercase();
                for c in label.chars().take(3) {
                    keys.push(("letter: settlement search", key(KeyCode::Char(c))));
                }
                keys.push(("letter: settlement search", key(KeyCode::Down)));
                keys.push(("Enter on settlement (choose, next)", key(KeyCode::Enter)));
            }
        }
        Kind::Number { .. } => {
            let v = 1 + rng.below(950);
            keys.extend(digits(v).into_iter().map(|k| ("digit: number (feeds the chains)", k)));
        }
        Kind::Single => keys.push(("digit: single / multi", key(KeyCode::Char('1')))),
        Kind::Multi { .. } => {
            keys.push(("digit: single / multi", key(KeyCode::Char('1'))));
            keys.push(("digit: single / multi", key(KeyCode::Char('3'))));
        }
        Kind::Text { .. } => {
            for c in "abc".chars() {
                keys.push(("letter: text", key(KeyCode::Char(c))));
            }
        }
        _ => {}
    }
    keys.push(enter);
    keys
}

fn fresh(app: &mut App, q: &Arc<Questionnaire>) {
    let rec = session::new_record(q, "b".into(), "d".into(), "B1".into(), &now(0));
    app.on(Outcome::Created { q: q.clone(), rec }, &now(0));
}

/// The scripted interviewer on the stress questionnaire, `n` keys at `w`×`h`.
fn stress_keys(q: &Arc<Questionnaire>, w: u16, h: u16, n: usize) -> (Samples, App) {
    let mut app = App::new(Lang::En, vec![q.clone()], Some("B1".into()));
    fresh(&mut app, q);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut samples = Samples::default();
    let mut queue: VecDeque<(&'static str, KeyEvent)> = VecDeque::new();
    let mut moves = 0usize; // questions left forward in this interview
    let mut last = (usize::MAX, 0usize); // (question, keys planned on it in a row)
    let mut i = 0;
    while i < n {
        let s = app.session().unwrap();
        let restart = !matches!(s.mode, session::Mode::Question) || moves >= 100 || last.1 > 8;
        if restart {
            fresh(&mut app, q);
            queue.clear();
            moves = 0;
            last = (usize::MAX, 0);
            continue;
        }
        if queue.is_empty() {
            let s = app.session().unwrap();
            if s.cur == last.0 {
                last.1 += 1;
            } else {
                last = (s.cur, 0);
            }
            if moves % 25 == 24 && last.1 == 0 {
                // Back three questions and forward again (they are answered: Enter each).
                for _ in 0..3 {
                    queue.push_back(("PgUp (previous question)", key(KeyCode::PageUp)));
                }
            }
            queue.extend(plan(s, &mut rng));
            moves += 1;
        }
        let (class, k) = queue.pop_front().unwrap();
        let t = Instant::now();
        if let Some(cmd) = keymap::map(&k, app.typing()) {
            let _ = app.handle(cmd, &now(i as u64 * 300));
        }
        let upd = t.elapsed();
        let t = Instant::now();
        term.draw(|f| view::view(f, &app, Theme::plain())).unwrap();
        samples.push(class, upd, t.elapsed());
        i += 1;
    }
    (samples, app)
}

/// Mean time of `f` over `runs` calls, each on a fresh `setup()` made outside the timing.
fn mean<S, R>(runs: usize, mut setup: impl FnMut() -> S, mut f: impl FnMut(&mut S) -> R) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..runs {
        let mut s = setup();
        let t = Instant::now();
        let r = f(&mut s);
        total += t.elapsed();
        drop((r, s));
    }
    total / runs as u32
}

/// Where the time of a key goes on the stress questionnaire: the public steps of update and
/// render timed one by one, on the session the scripted interviewer left (mid-interview).
fn attribution(q: &Arc<Questionnaire>, mut app: App) {
    use anketa::interview::session::{Action, Session, update};
    let base = app.session().unwrap().clone();
    let idx = |id: &str| q.index_of(id).unwrap();
    let settlement = idx("settlement");
    let answered = base.rec.answers.len();
    // A relevant number question, and the same session with a district chosen and on it.
    let number = (0..q.questions.len())
        .find(|&i| i > 50 && base.rules.rel[i] && matches!(q.questions[i].kind, Kind::Number { .. }))
        .unwrap();
    let mut on_number = base.clone();
    on_number.jump_to(number, &now(1));
    let mut rows: Vec<(String, Duration)> = Vec::new();
    rows.push((
        format!("`Session::open` of the record ({answered} answers): one `apply_rules` walk over the 900 questions, plus setup"),
        mean(200, || Some(base.rec.clone()), |r| Session::open(q.clone(), r.take().unwrap())),
    ));
    rows.push((
        "`session::update` of a digit typed into a number (set_value → refresh_relevance → apply_rules)".into(),
        mean(400, || on_number.clone(), |s| update(s, Action::Input('7'), &now(2))),
    ));
    rows.push((
        "`Session::progress` (drawn in every frame's header)".into(),
        mean(2000, || (), |_| base.progress()),
    ));
    rows.push((
        "`Session::jump_to` a number question (goto: paradata scan, load_fields)".into(),
        mean(200, || base.clone(), |s| s.jump_to(number, &now(3))),
    ));
    rows.push((
        "`Session::jump_to` the settlement (goto → offer: the choice filter over 5,000 options)".into(),
        mean(200, || base.clone(), |s| s.jump_to(settlement, &now(3))),
    ));
    let mut on_settlement = base.clone();
    on_settlement.jump_to(settlement, &now(3));
    let offered = on_settlement.offered.len();
    rows.push((
        format!("`session::update` choosing a settlement (`1`, then Enter ends the number: set_value → apply_rules + offer); {offered} offered"),
        mean(200, || on_settlement.clone(), |s| {
            update(s, Action::Choose(0), &now(4));
            update(s, Action::Next, &now(4))
        }),
    ));
    rows.push((
        "`Session::visible_options` on the settlement (called by every frame)".into(),
        mean(2000, || (), |_| on_settlement.visible_options()),
    ));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut draw = |app: &mut App, runs: usize| {
        mean(
            runs,
            || (),
            |_| {
                term.draw(|f| view::view(f, app, Theme::plain())).unwrap();
            },
        )
    };
    *app.session_mut().unwrap() = on_number.clone();
    rows.push((
        "render (view + TestBackend), on a number question".into(),
        draw(&mut app, 500),
    ));
    *app.session_mut().unwrap() = on_settlement.clone();
    rows.push((
        format!("render (view + TestBackend), on the settlement ({offered} offered of 5,000)"),
        draw(&mut app, 500),
    ));
    rows.push((
        "`serde_json::from_str::<Value>` of the stress file and its drop (what `store::is_json_schema` adds to `check`)".into(),
        mean(10, || (), |_| serde_json::from_str::<serde_json::Value>(STRESS).unwrap()),
    ));
    println!();
    println!("| step (stress questionnaire, mid-interview) | mean per call |");
    println!("|---|--:|");
    for (what, d) in rows {
        println!("| {what} | {} |", us(d));
    }
}

/// The cycle of `benches/interviewer.rs` on the bundled НКО, timed the same way.
fn nko_keys(w: u16, h: u16, n: usize) -> Samples {
    let q = Arc::new(bundled("nko").unwrap());
    let mut app = App::new(Lang::Ru, vec![q.clone()], Some("B1".into()));
    fresh(&mut app, &q);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let cycle = [
        key(KeyCode::Char('1')),
        key(KeyCode::Down),
        key(KeyCode::Char('2')),
        key(KeyCode::Up),
        key(KeyCode::Enter),
        key(KeyCode::Char('7')),
        key(KeyCode::Enter),
        key(KeyCode::PageUp),
        key(KeyCode::Enter),
    ];
    let mut samples = Samples::default();
    for i in 0..n {
        if app
            .session()
            .is_some_and(|s| !matches!(s.mode, session::Mode::Question))
        {
            fresh(&mut app, &q);
        }
        let k = cycle[i % cycle.len()];
        let t = Instant::now();
        if let Some(cmd) = keymap::map(&k, app.typing()) {
            let _ = app.handle(cmd, &now(i as u64 * 300));
        }
        let upd = t.elapsed();
        let t = Instant::now();
        term.draw(|f| view::view(f, &app, Theme::plain())).unwrap();
        samples.push("НКО cycle", upd, t.elapsed());
    }
    samples
}

fn main() {
    let n: usize = std::env::var("ENGINE_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let q = Arc::new(load("benches/stress.json", STRESS).expect("the stress questionnaire loads"));
    let asked = q
        .questions
        .iter()
        .filter(|x| !matches!(x.kind, Kind::Calculate { .. }))
        .count();
    eprintln!(
        "stress questionnaire: {} bytes, {} questions asked + {} calculations, settlement {} options",
        STRESS.len(),
        asked,
        q.questions.len() - asked,
        q.question("settlement").map_or(0, |s| s.options.len())
    );
    // Warm-up, then the two in the same run.
    let _ = stress_keys(&q, 80, 24, 500);
    let _ = nko_keys(80, 24, 500);
    let (stress, app) = stress_keys(&q, 80, 24, n);
    let nko = nko_keys(80, 24, n);
    let s = stats(&stress.all());
    let b = stats(&nko.all());
    println!("| case | stress | НКО (same run) | ratio | target |");
    println!("|---|--:|--:|--:|---|");
    for (what, x, y, target) in [
        ("key → update → render, 80×24, p50", s.p50, b.p50, ""),
        ("key → update → render, 80×24, p99", s.p99, b.p99, "≤ 0.5 ms"),
        ("key → update → render, 80×24, max", s.max, b.max, ""),
        ("of which update (keymap + handle), p50", s.upd50, b.upd50, ""),
        ("of which update (keymap + handle), p99", s.upd99, b.upd99, ""),
        ("of which render (view + TestBackend), p50", s.ren50, b.ren50, ""),
        ("of which render (view + TestBackend), p99", s.ren99, b.ren99, ""),
    ] {
        println!(
            "| {what} ({n} keys each) | {} | {} | {:.1}× | {target} |",
            us(x),
            us(y),
            x.as_secs_f64() / y.as_secs_f64()
        );
    }
    println!();
    println!("| stress, by kind of key | keys | p50 | p99 | max | update p50 / p99 | render p50 / p99 |");
    println!("|---|--:|--:|--:|--:|--:|--:|");
    for (class, v) in &stress.by_class {
        let st = stats(v);
        println!(
            "| {class} | {} | {} | {} | {} | {} / {} | {} / {} |",
            st.n,
            us(st.p50),
            us(st.p99),
            us(st.max),
            us(st.upd50),
            us(st.upd99),
            us(st.ren50),
            us(st.ren99)
        );
    }
    attribution(&q, app);
    // Load (parse + every check) in process, against the bundled НКО's.
    let time = |src: &str, runs: usize| {
        let mut v: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let q = load("q.json", src).unwrap();
                let d = t.elapsed();
                drop(q);
                d
            })
            .collect();
        (pct(&mut v, 0.0), pct(&mut v, 0.5))
    };
    let nko_src = anketa::questionnaire::BUNDLED
        .iter()
        .find(|(n, _)| *n == "nko.json")
        .unwrap()
        .1;
    let (sb, sm) = time(STRESS, 20);
    let (nb, nm) = time(nko_src, 20);
    println!();
    println!("| case | stress | НКО (same run) | ratio | target |");
    println!("|---|--:|--:|--:|---|");
    println!(
        "| `questionnaire::load` in process, best of 20 | {} | {} | {:.0}× | (check ≤ 20 ms) |",
        us(sb),
        us(nb),
        sb.as_secs_f64() / nb.as_secs_f64()
    );
    println!(
        "| `questionnaire::load` in process, median of 20 | {} | {} | {:.0}× | |",
        us(sm),
        us(nm),
        sm.as_secs_f64() / nm.as_secs_f64()
    );
}
