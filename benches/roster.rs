//! Roster benchmark (issue 13; `cargo bench --bench roster`; numbers go to docs/benchmarks.md).
//! Not a test: prints tables.
//!
//! The questionnaire is made here: a count `n`, then a roster `members` (count `${n}`) of 20
//! questions asked (10 numbers, 5 singles, 5 texts) and 100 calculations per instance (10 chains
//! of depth 10, each fed by a number), and outside it `total = sum(${c9_10})`, the number of
//! members and a note piping both. The interview holds 200 instances, every question answered.
//!
//! - key → keymap → update → render on `TestBackend` at 80×24 inside instances: digits into a
//!   number (its chain and the sum outside follow), a single by number, letters into a text,
//!   Enter to the next question; a random instance every few questions.
//! - opening the roster's list (Enter on the count question → the list of 200): update + render.
//! - saving: `DataDir::save` (serialise + atomic write) of the roster interview against a flat
//!   interview of the same answers (the instances' answers as 24,000 top-level variables).

use anketa::i18n::Lang;
use anketa::interview::logic::At;
use anketa::interview::session::{self, Mode, Pos, Session};
use anketa::questionnaire::{Questionnaire, load};
use anketa::record::{Answer, AnswerValue, Instance, Record};
use anketa::store::DataDir;
use anketa::tui::app::{App, Outcome};
use anketa::tui::keymap;
use anketa::tui::view::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::{Rng, key, now, pct, us};

const INSTANCES: usize = 200;

/// The questionnaire's JSON: `rostered` puts the 20 + 100 in a roster; without, one flat copy.
fn questionnaire() -> String {
    let mut qs = String::new();
    for k in 1..=10 {
        let _ = write!(
            qs,
            r#"{{"id": "num{k}", "type": "number", "text": "Number {k} of ${{name1}}", "min": 0, "max": 1000}},"#
        );
    }
    for k in 1..=5 {
        let _ = write!(
            qs,
            r#"{{"id": "one{k}", "type": "single", "text": "Choice {k}", "options": [{{"code": "1", "label": "A"}}, {{"code": "2", "label": "B"}}, {{"code": "3", "label": "C"}}, {{"code": "4", "label": "D"}}, {{"code": "5", "label": "E"}}]}},"#
        );
    }
    for k in 1..=5 {
        let _ = write!(
            qs,
            r#"{{"id": "name{k}", "type": "text", "text": "Text {k}", "required": false}},"#
        );
    }
    for j in 1..=10 {
        for d in 1..=10 {
            let calc = if d == 1 {
                format!("${{num{j}}} * 2")
            } else {
                format!("${{c{j}_{}}} + ${{num{j}}} + 1", d - 1)
            };
            let _ = write!(
                qs,
                r#"{{"id": "c{j}_{d}", "type": "calculate", "calculation": "{calc}"}},"#
            );
        }
    }
    qs.pop();
    format!(
        r#"{{"id": "rosterbench", "version": "1", "title": "Roster bench", "language": "en", "blocks": [
  {{"id": "top", "title": "Top", "questions": [
    {{"id": "n", "type": "number", "text": "How many?", "min": 0, "max": 1000}},
    {{"id": "members", "type": "roster", "text": "Members", "count": "${{n}}", "label": "${{name1}}", "questions": [{qs}]}},
    {{"id": "total", "type": "calculate", "calculation": "sum(${{c9_10}})"}},
    {{"id": "howmany", "type": "calculate", "calculation": "count(${{members}})"}},
    {{"id": "end", "type": "note", "text": "${{howmany}} members, total ${{total}}"}}
  ]}}]}}"#
    )
}

/// The answers of instance `k`, every question answered.
fn instance_answers(q: &Questionnaire, k: usize) -> BTreeMap<String, Answer> {
    let r = &q.rosters[0];
    let mut m = BTreeMap::new();
    for qi in r.questions.clone() {
        let qq = &q.questions[qi];
        let v = match qq.kind {
            anketa::questionnaire::Kind::Number { .. } => AnswerValue::Number(((k * 7 + qi) % 900) as f64),
            anketa::questionnaire::Kind::Single => AnswerValue::Text(((k + qi) % 5 + 1).to_string()),
            anketa::questionnaire::Kind::Text { .. } => AnswerValue::Text(format!("Member {k} text {qi}")),
            _ => continue,
        };
        m.insert(
            qq.id.clone(),
            Answer {
                value: Some(v),
                answered_at: Some("2021-02-20T10:00:00Z".into()),
                relevant: true,
                ..Answer::default()
            },
        );
    }
    m
}

/// An interview with `INSTANCES` members, every question answered, brought up to date.
fn full_interview(q: &Arc<Questionnaire>) -> Session {
    let mut rec = session::new_record(q, "b".into(), "d".into(), "B1".into(), &now(0));
    rec.answers.insert(
        "n".into(),
        Answer {
            value: Some(AnswerValue::Number(INSTANCES as f64)),
            relevant: true,
            ..Answer::default()
        },
    );
    rec.rosters.insert(
        "members".into(),
        (0..INSTANCES)
            .map(|k| Instance {
                answers: instance_answers(q, k),
                ..Instance::default()
            })
            .collect(),
    );
    let mut s = Session::open(q.clone(), rec);
    s.show(&now(0));
    s
}

fn main() {
    let keys: usize = std::env::var("ROSTER_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let src = questionnaire();
    let q = Arc::new(load("rosterbench.json", &src).expect("the bench questionnaire loads"));
    let t = Instant::now();
    let s = full_interview(&q);
    let open = t.elapsed();
    eprintln!(
        "roster bench: {} instances × ({} asked + {} calculations); Session::open {:.1} ms",
        INSTANCES,
        q.questions
            .iter()
            .filter(|x| x.roster.is_some() && x.is_asked())
            .count(),
        q.questions
            .iter()
            .filter(|x| x.roster.is_some() && !x.is_asked())
            .count(),
        open.as_secs_f64() * 1e3
    );
    let mut app = App::new(Lang::En, vec![q.clone()], Some("B1".into()));
    app.on(
        Outcome::Created {
            q: q.clone(),
            rec: s.rec.clone(),
        },
        &now(0),
    );
    *app.session_mut().unwrap() = s;
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut by: BTreeMap<&str, Vec<(Duration, Duration)>> = BTreeMap::new();
    let num_ix: Vec<usize> = (1..=10).map(|k| q.index_of(&format!("num{k}")).unwrap()).collect();
    let mut i = 0;
    while i < keys {
        // A random instance and number question, then a few keys there.
        let k = rng.below(INSTANCES);
        let qi = num_ix[rng.below(num_ix.len())];
        app.session_mut()
            .unwrap()
            .jump_at(qi, At::from_slice(&[k as u32]).unwrap(), &now(i as u64));
        let mut plan: Vec<(&str, KeyEvent)> = vec![
            ("Backspace in a number (chain + sum outside)", key(KeyCode::Backspace)),
            ("digit into a number (chain + sum outside)", key(KeyCode::Char('7'))),
            ("Enter (next question in the instance)", key(KeyCode::Enter)),
        ];
        if rng.below(3) == 0 {
            plan.push(("letter into a text", key(KeyCode::Char('x'))));
        }
        for (class, kk) in plan {
            let t = Instant::now();
            if let Some(cmd) = keymap::map(&kk, app.typing()) {
                let _ = app.handle(cmd, &now(i as u64 * 300));
            }
            let upd = t.elapsed();
            let t = Instant::now();
            term.draw(|f| view::view(f, &app, Theme::plain())).unwrap();
            by.entry(class).or_default().push((upd, t.elapsed()));
            i += 1;
        }
    }
    // Opening the list: Enter on the count question.
    let n_ix = q.index_of("n").unwrap();
    let mut opening = Vec::new();
    for r in 0..50 {
        app.session_mut().unwrap().jump_at(n_ix, At::TOP, &now(r));
        let t = Instant::now();
        if let Some(cmd) = keymap::map(&key(KeyCode::Enter), app.typing()) {
            let _ = app.handle(cmd, &now(r));
        }
        let upd = t.elapsed();
        let t2 = Instant::now();
        term.draw(|f| view::view(f, &app, Theme::plain())).unwrap();
        opening.push((upd, t2.elapsed()));
        let s = app.session().unwrap();
        assert!(
            matches!(s.mode, Mode::Roster { .. }),
            "Enter on the count opens the list"
        );
        assert_eq!(s.pos(), Pos::Roster(0, At::TOP));
    }
    // The review (F3) of the whole interview: 200 × 20 answers and the list's rows.
    let mut review = Vec::new();
    for r in 0..10 {
        app.session_mut()
            .unwrap()
            .jump_at(num_ix[0], At::from_slice(&[5]).unwrap(), &now(r));
        let t = Instant::now();
        if let Some(cmd) = keymap::map(&key(KeyCode::F(3)), app.typing()) {
            let _ = app.handle(cmd, &now(r));
        }
        term.draw(|f| view::view(f, &app, Theme::plain())).unwrap();
        review.push(t.elapsed());
        assert!(matches!(app.session().unwrap().mode, Mode::Review { .. }));
    }
    // Saving: the roster interview against a flat one of the same answers.
    let rec = app.session().unwrap().rec.clone();
    let mut flat = rec.clone();
    for (k, inst) in rec.rosters["members"].iter().enumerate() {
        for (var, a) in &inst.answers {
            flat.answers.insert(format!("{var}_{k}"), a.clone());
        }
    }
    flat.rosters.clear();
    flat.format = anketa::record::FORMAT.into();
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    std::fs::create_dir_all(dir.path().join("interviews")).unwrap();
    let time_save = |r: &Record| -> Vec<Duration> {
        (0..60)
            .map(|_| {
                let t = Instant::now();
                data.save(r, &Default::default()).unwrap();
                t.elapsed()
            })
            .collect()
    };
    let _ = time_save(&rec);
    let mut roster_save = time_save(&rec);
    let mut flat_save = time_save(&flat);
    let mut roster_save2 = time_save(&rec);
    roster_save.append(&mut roster_save2);
    let size = |r: &Record| r.to_json().len();

    let all: Vec<(Duration, Duration)> = by.values().flatten().copied().collect();
    let tot = |v: &[(Duration, Duration)]| v.iter().map(|(a, b)| *a + *b).collect::<Vec<_>>();
    println!("| case | value | target |");
    println!("|---|--:|---|");
    let mut t_all = tot(&all);
    println!(
        "| key → update → render, 80×24, p50 ({} keys) | {} | |",
        all.len(),
        us(pct(&mut t_all, 0.5))
    );
    println!(
        "| key → update → render, 80×24, **p99** | **{}** | ≤ 0.5 ms |",
        us(pct(&mut t_all, 0.99))
    );
    println!("| key → update → render, 80×24, max | {} | |", us(pct(&mut t_all, 1.0)));
    let mut o = tot(&opening);
    let mut ou: Vec<Duration> = opening.iter().map(|x| x.0).collect();
    let mut or: Vec<Duration> = opening.iter().map(|x| x.1).collect();
    println!(
        "| opening the list of {INSTANCES} (Enter → list drawn), p50 / **max** of 50 (update {} / render {} p50) | {} / **{}** | ≤ 2 ms |",
        us(pct(&mut ou, 0.5)),
        us(pct(&mut or, 0.5)),
        us(pct(&mut o, 0.5)),
        us(pct(&mut o, 1.0))
    );
    println!(
        "| the review (F3 → drawn) of {INSTANCES} × 20 answers, p50 / max of 10 | {} / {} | |",
        us(pct(&mut review, 0.5)),
        us(pct(&mut review, 1.0))
    );
    let (rp, fp) = (pct(&mut roster_save, 0.5), pct(&mut flat_save, 0.5));
    println!(
        "| saving the interview (`DataDir::save`: serialise, write, fsync, rename), p50: rosters {} ({} bytes) / flat {} ({} bytes) | **{:.2}×** | ≤ 1.2× |",
        us(rp),
        size(&rec),
        us(fp),
        size(&flat),
        rp.as_secs_f64() / fp.as_secs_f64()
    );
    println!();
    println!("| by kind of key | keys | p50 | p99 | update p50 / p99 | render p50 / p99 |");
    println!("|---|--:|--:|--:|--:|--:|");
    for (class, v) in &by {
        let mut t = tot(v);
        let mut u: Vec<Duration> = v.iter().map(|x| x.0).collect();
        let mut r: Vec<Duration> = v.iter().map(|x| x.1).collect();
        println!(
            "| {class} | {} | {} | {} | {} / {} | {} / {} |",
            v.len(),
            us(pct(&mut t, 0.5)),
            us(pct(&mut t, 0.99)),
            us(pct(&mut u, 0.5)),
            us(pct(&mut u, 0.99)),
            us(pct(&mut r, 0.5)),
            us(pct(&mut r, 0.99))
        );
    }
}
