//! Interviewer benchmarks (run with `cargo bench --bench interviewer`; numbers go to
//! docs/benchmarks.md). Not a test: prints a table.
//!
//! - key → keymap → update → render on `TestBackend`, НКО instrument, at 80×24 and 240×67;
//! - save per answer (atomic: temp, fsync, rename, fsync dir) against a bare write + fsync of
//!   the same bytes in the same directory, in the same run;
//! - in-process cold start to the first frame (load the bundled questionnaires, list the data
//!   dir, draw);
//! - typing a remark with saving on, through the real run loop and store: keys offered at a
//!   given rate, how fast they are applied and durable (group commit) against one write per key
//!   (the loop before it), with this disk's fsync and with 20 ms added to every write.

use anketa::i18n::Lang;
use anketa::interview::session;
use anketa::questionnaire::{BUNDLED, bundled, load};
use anketa::store::DataDir;
use anketa::tui::app::{App, Outcome};
use anketa::tui::keymap;
use anketa::tui::view::{self, Theme};
use anketa::tui::{Clock, Input, Runner, run_loop};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::Event;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::{now, pct, us};

fn keys_render(w: u16, h: u16, n: usize) -> (Duration, Duration, Duration) {
    let q = Arc::new(bundled("nko").unwrap());
    let catalog = vec![q.clone()];
    let mut app = App::new(Lang::Ru, catalog, Some("B1".into()));
    let fresh = |q: &Arc<anketa::questionnaire::Questionnaire>| {
        session::new_record(q, "b".into(), "d".into(), "B1".into(), &now(0))
    };
    app.on(
        Outcome::Created {
            q: q.clone(),
            rec: fresh(&q),
        },
        &now(0),
    );
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
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
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        if app
            .session()
            .is_some_and(|s| !matches!(s.mode, session::Mode::Question))
        {
            app.on(
                Outcome::Created {
                    q: q.clone(),
                    rec: fresh(&q),
                },
                &now(0),
            );
        }
        let k = cycle[i % cycle.len()];
        let t = Instant::now();
        if let Some(cmd) = keymap::map(&k, app.typing()) {
            let _ = app.handle(cmd, &now(i as u64 * 300));
        }
        term.draw(|f| view::view(f, &app, Theme::plain())).unwrap();
        samples.push(t.elapsed());
    }
    let p50 = pct(&mut samples, 0.5);
    let p99 = pct(&mut samples, 0.99);
    let max = pct(&mut samples, 1.0);
    (p50, p99, max)
}

fn saves(n: usize) -> (Duration, Duration) {
    let dir = tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
    let data = DataDir::at(dir.path());
    data.ensure().unwrap();
    let q = bundled("nko").unwrap();
    let mut rec = session::new_record(&q, "bench".into(), "d".into(), "B1".into(), &now(0));
    // A realistic, fully answered record (about the size of a finished interview).
    for (i, qq) in q.questions.iter().enumerate() {
        if let Some(o) = qq.options.first() {
            let v = match qq.kind {
                anketa::questionnaire::Kind::Multi { .. } => anketa::record::AnswerValue::Codes(vec![o.code.clone()]),
                _ => anketa::record::AnswerValue::Text(o.code.clone()),
            };
            rec.answers.insert(
                qq.id.clone(),
                anketa::record::Answer {
                    value: Some(v),
                    relevant: true,
                    answered_at: Some("2021-02-20T10:00:00Z".into()),
                    ..Default::default()
                },
            );
        }
        rec.paradata.push(anketa::record::Event {
            ms: i as u64 * 9000,
            ev: anketa::record::EventKind::Shown,
            q: qq.id.clone(),
            gap_s: None,
            at: Vec::new(),
        });
    }
    let bytes = rec.to_json();
    let mut ours = Vec::new();
    let mut bare = Vec::new();
    let bare_path = dir.path().join("bare.json");
    for _ in 0..n {
        rec.revision += 1;
        let t = Instant::now();
        data.save(&rec, &Default::default()).unwrap();
        ours.push(t.elapsed());
        let t = Instant::now();
        let mut f = std::fs::File::create(&bare_path).unwrap();
        f.write_all(&bytes).unwrap();
        f.sync_all().unwrap();
        bare.push(t.elapsed());
    }
    eprintln!("record size: {} bytes", bytes.len());
    (pct(&mut ours, 0.5), pct(&mut bare, 0.5))
}

/// The real clocks, for the runner.
struct Wall(Instant);

impl Clock for Wall {
    fn wall(&mut self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
    fn mono(&mut self) -> Duration {
        self.0.elapsed()
    }
}

/// Keys offered at `rate` per second: a new interview, district 5, F2, then `n` letters of a
/// remark. Returns (seconds from the first letter offered until every letter is on disk,
/// writes made). `grouped`: the real run loop; else one write per key, as the loop was before.
fn typing(rate: f64, n: usize, slow: Duration, grouped: bool) -> (f64, u64) {
    let dir = tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
    let data = DataDir::at(dir.path());
    let q = Arc::new(bundled("nko").unwrap());
    let mut app = App::new(Lang::Ru, vec![q], Some("B1".into()));
    let mut rt = Runner::new(data.clone(), Wall(Instant::now()), Theme::plain());
    rt.simulate_slow_disk(slow);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let key = |c| Input::Event(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    for k in [KeyCode::Enter, KeyCode::Char('5'), KeyCode::F(2)] {
        rt.refresh(&mut app);
        rt.step(&mut app, key(k));
    }
    let text: String = "приехали в обед, говорили долго ".chars().cycle().take(n).collect();
    let mut letters = text.chars();
    let start = Instant::now();
    let mut offered = 0usize;
    // The next key when it is due, as a terminal would deliver it.
    let mut next = |timeout: Duration| -> std::io::Result<Input> {
        if offered == n {
            return Ok(Input::End);
        }
        let due = start + Duration::from_secs_f64(offered as f64 / rate);
        let now = Instant::now();
        if due > now {
            if timeout < due - now {
                std::thread::sleep(timeout);
                return Ok(Input::Tick);
            }
            std::thread::sleep(due - now);
        }
        offered += 1;
        Ok(key(KeyCode::Char(letters.next().unwrap())))
    };
    let writes_before = rt.writes();
    if grouped {
        run_loop(&mut term, &mut app, &mut rt, next).unwrap();
    } else {
        loop {
            rt.draw(&mut term, &mut app).unwrap();
            match next(Duration::from_secs(1)).unwrap() {
                Input::End => break,
                input => rt.step(&mut app, input),
            }
        }
    }
    let took = start.elapsed().as_secs_f64();
    let rec = anketa::store::read_record(&data.interview_path(&app.session().unwrap().rec)).unwrap();
    assert_eq!(
        rec.answers["district"].remark.as_deref(),
        Some(text.trim_end()),
        "all on disk"
    );
    (took, rt.writes() - writes_before)
}

fn cold_start() -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let catalog: Vec<_> = BUNDLED.iter().map(|(n, s)| Arc::new(load(n, s).unwrap())).collect();
    let data = DataDir::at(dir.path());
    let _ = data.list();
    let _ = data.config();
    let app = App::new(Lang::Ru, catalog, None);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| view::view(f, &app, Theme::plain())).unwrap();
    t.elapsed()
}

fn main() {
    let n = 20_000;
    println!("| case | p50 | p99 | max | target |");
    println!("|---|---|---|---|---|");
    for (w, h, target) in [(80, 24, "p99 ≤ 0.5 ms"), (240, 67, "p99 ≤ 2 ms")] {
        let _ = keys_render(w, h, 500); // warm-up
        let (p50, p99, max) = keys_render(w, h, n);
        println!(
            "| key → update → render, НКО, {w}×{h}, {n} keys | {} | {} | {} | {target} |",
            us(p50),
            us(p99),
            us(max)
        );
    }
    let (ours, bare) = saves(300);
    println!();
    println!("| case | anketa | peer (same run) | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| save per answer, median of 300 | {} | bare write+fsync {} | {:.2}× | ≤ 1.5× |",
        us(ours),
        us(bare),
        ours.as_secs_f64() / bare.as_secs_f64()
    );
    println!();
    println!(
        "| typing a remark, keys offered at | disk | group commit: keys/s applied and durable | writes | one write per key (before): keys/s | writes | last key durable after (group / per key) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (slow, disk) in [
        (Duration::ZERO, "this machine's fsync"),
        (Duration::from_millis(20), "fsync + 20 ms"),
    ] {
        for rate in [10.0_f64, 30.0, 100.0, 1000.0] {
            let n = (rate * 3.0).clamp(60.0, 600.0) as usize;
            let (g, gw) = typing(rate, n, slow, true);
            let (p, pw) = typing(rate, n, slow, false);
            let offered = (n - 1) as f64 / rate;
            println!(
                "| {rate} keys/s ({n} keys) | {disk} | {:.0} | {gw} | {:.0} | {pw} | {:.0} ms / {:.0} ms |",
                n as f64 / g,
                n as f64 / p,
                (g - offered) * 1e3,
                (p - offered) * 1e3
            );
        }
    }
    let mut cs: Vec<Duration> = (0..20).map(|_| cold_start()).collect();
    println!(
        "| cold start to first frame (in-process), median of 20 | {} | | | ≤ 20 ms |",
        us(pct(&mut cs, 0.5))
    );
}
