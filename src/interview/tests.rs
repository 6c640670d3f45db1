//! The state machine without a terminal: navigation, relevance, limits, checks, completion.

use super::logic::Problem;
use super::session::{Action, Effect, Message, Mode, Now, Pos, Session, new_record, reopen, update};
use crate::questionnaire::fixtures;
use crate::record::{AnswerValue, EventKind, Status};
use std::sync::Arc;

fn now(ms: u64) -> Now {
    Now {
        wall: format!("2021-02-20T10:{:02}:{:02}Z", ms / 60_000 % 60, ms / 1000 % 60),
        ms,
    }
}

fn demo() -> Session {
    let q = Arc::new(fixtures::every_type());
    let rec = new_record(&q, "id1".into(), "dev".into(), "I07".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0));
    s
}

fn cur(s: &Session) -> &str {
    &s.q.questions[s.cur].id
}

fn act(s: &mut Session, a: Action) -> Effect {
    let t = s.rec.duration_ms + 1000;
    update(s, a, &now(t))
}

fn typ(s: &mut Session, text: &str) {
    for c in text.chars() {
        act(s, Action::Input(c));
    }
}

fn value(s: &Session, var: &str) -> Option<AnswerValue> {
    s.rec.answers.get(var).and_then(|a| a.value.clone())
}

/// Answers the demo up to `contact` with valid values.
fn to_contact(s: &mut Session) {
    act(s, Action::Next); // welcome note
    act(s, Action::Choose(0)); // org_type = ngo
    act(s, Action::Next);
    typ(s, "25");
    act(s, Action::Next);
    act(s, Action::Next); // budget optional
    act(s, Action::Next); // founded optional
    assert_eq!(cur(s), "contact");
}

#[test]
fn required_answer_blocks_next() {
    let mut s = demo();
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "org_type");
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "org_type");
    assert_eq!(s.message, Some(Message::Problem(Problem::Required)));
    assert_eq!(act(&mut s, Action::Choose(1)), Effect::Save);
    assert_eq!(s.message, None);
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "members");
}

#[test]
fn every_change_bumps_the_revision_and_logs_paradata() {
    let mut s = demo();
    let r0 = s.rec.revision;
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Choose(1));
    assert!(s.rec.revision >= r0 + 3);
    let evs: Vec<_> = s.rec.paradata.iter().map(|e| (e.ev, e.q.as_str())).collect();
    assert_eq!(
        evs,
        vec![
            (EventKind::Shown, "welcome"),
            (EventKind::Shown, "org_type"),
            (EventKind::Answered, "org_type")
        ]
    );
    assert_eq!(s.rec.position.as_deref(), Some("org_type"));
}

#[test]
fn number_is_checked_as_typed() {
    let mut s = demo();
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    typ(&mut s, "0");
    assert_eq!(s.message, Some(Message::Problem(Problem::BelowMin(1.0))));
    act(&mut s, Action::Backspace);
    typ(&mut s, "12x");
    assert_eq!(s.message, Some(Message::Problem(Problem::NotANumber)));
    assert_eq!(value(&s, "members"), None);
    act(&mut s, Action::Backspace);
    assert_eq!(value(&s, "members"), Some(AnswerValue::Number(12.0)));
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "budget");
    typ(&mut s, "1,5");
    assert_eq!(value(&s, "budget"), Some(AnswerValue::Number(1.5)));
}

#[test]
fn soft_warning_needs_confirmation_which_is_recorded() {
    let mut s = demo();
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    typ(&mut s, "9000");
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "members");
    assert!(matches!(s.message, Some(Message::Problem(Problem::Warning(Some(_))))));
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "budget");
    assert!(s.rec.answers["members"].warning_confirmed);
    assert!(
        s.rec
            .paradata
            .iter()
            .any(|e| e.ev == EventKind::Confirmed && e.q == "members")
    );
    // Changing the value drops the confirmation.
    act(&mut s, Action::Prev);
    typ(&mut s, "1");
    assert!(!s.rec.answers["members"].warning_confirmed);
}

#[test]
fn hard_constraint_blocks() {
    let mut s = demo();
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    typ(&mut s, "5");
    act(&mut s, Action::Next);
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "founded");
    typ(&mut s, "2030-01-01");
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "founded");
    assert!(matches!(
        s.message,
        Some(Message::Problem(Problem::Constraint(Some(_))))
    ));
    for _ in 0..10 {
        act(&mut s, Action::Backspace);
    }
    typ(&mut s, "2019-02-30");
    act(&mut s, Action::Next);
    assert_eq!(s.message, Some(Message::Problem(Problem::BadDate)));
}

#[test]
fn relevance_is_live_and_irrelevant_answers_are_kept() {
    let mut s = demo();
    to_contact(&mut s);
    act(&mut s, Action::Choose(1)); // no
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "why_not");
    typ(&mut s, "нет времени");
    act(&mut s, Action::Prev);
    act(&mut s, Action::Choose(0)); // yes: why_not becomes irrelevant
    assert!(!s.rec.answers["why_not"].relevant);
    assert_eq!(value(&s, "why_not"), Some(AnswerValue::Text("нет времени".into())));
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "goals");
    act(&mut s, Action::Prev);
    act(&mut s, Action::Choose(1)); // no again: restored
    assert!(s.rec.answers["why_not"].relevant);
}

#[test]
fn multi_limits_and_exclusive_options() {
    let mut s = demo();
    to_contact(&mut s);
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "goals");
    act(&mut s, Action::Choose(2));
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Choose(1));
    assert_eq!(
        value(&s, "goals"),
        Some(AnswerValue::Codes(vec![
            "info".into(),
            "money".into(),
            "projects".into()
        ]))
    );
    assert_eq!(act(&mut s, Action::Choose(3)), Effect::None);
    assert_eq!(s.message, Some(Message::MaxReached(3)));
    act(&mut s, Action::Choose(5)); // exclusive dont_know clears the others
    assert_eq!(value(&s, "goals"), Some(AnswerValue::Codes(vec!["dont_know".into()])));
    act(&mut s, Action::Choose(0)); // a substantive option clears the exclusive one
    assert_eq!(value(&s, "goals"), Some(AnswerValue::Codes(vec!["info".into()])));
    act(&mut s, Action::Choose(0)); // toggled off: nothing chosen
    assert_eq!(value(&s, "goals"), None);
    act(&mut s, Action::Next);
    assert_eq!(s.message, Some(Message::Problem(Problem::Required)));
}

#[test]
fn other_option_asks_to_specify() {
    let mut s = demo();
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(2)); // other
    assert!(s.accepts_text());
    act(&mut s, Action::Next);
    assert_eq!(s.message, Some(Message::Problem(Problem::OtherMissing)));
    typ(&mut s, "казачье общество");
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "members");
    assert_eq!(s.rec.answers["org_type"].other.as_deref(), Some("казачье общество"));
}

#[test]
fn arrows_and_enter_choose_in_a_single() {
    let mut s = demo();
    act(&mut s, Action::Next);
    act(&mut s, Action::Down);
    act(&mut s, Action::Next);
    assert_eq!(value(&s, "org_type"), Some(AnswerValue::Text("tos".into())));
    assert_eq!(cur(&s), "members");
}

#[test]
fn remark_is_stored_with_the_answer() {
    let mut s = demo();
    act(&mut s, Action::Next);
    act(&mut s, Action::Remark);
    assert!(s.accepts_text());
    typ(&mut s, "респондент сомневался");
    assert_eq!(act(&mut s, Action::Next), Effect::Save);
    assert_eq!(cur(&s), "org_type");
    assert_eq!(
        s.rec.answers["org_type"].remark.as_deref(),
        Some("респондент сомневался")
    );
    assert_eq!(s.rec.answers["org_type"].value, None);
}

#[test]
fn a_specify_text_is_in_the_file_only_while_its_option_is_chosen() {
    let mut s = demo();
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "org_type");
    act(&mut s, Action::Choose(2)); // other: the "specify" field takes the keys
    typ(&mut s, "ТОС");
    assert_eq!(s.rec.answers["org_type"].other.as_deref(), Some("ТОС"));
    act(&mut s, Action::Focus);
    assert_eq!(act(&mut s, Action::Choose(0)), Effect::Save); // ngo
    assert_eq!(
        s.rec.answers["org_type"].other, None,
        "the text left the record with its option"
    );
    assert_eq!(value(&s, "org_type"), Some(AnswerValue::Text("ngo".into())));
    act(&mut s, Action::Choose(2)); // other again: what was typed comes back
    assert_eq!(s.rec.answers["org_type"].other.as_deref(), Some("ТОС"));
}

#[test]
fn a_remark_is_saved_as_it_is_typed_and_esc_puts_the_old_one_back() {
    let mut s = demo();
    act(&mut s, Action::Next);
    act(&mut s, Action::Remark);
    assert_eq!(
        act(&mut s, Action::Input('с')),
        Effect::Save,
        "every key of a remark is saved"
    );
    typ(&mut s, "омнение");
    assert_eq!(
        s.rec.answers["org_type"].remark.as_deref(),
        Some("сомнение"),
        "before Enter"
    );
    act(&mut s, Action::Next);
    assert_eq!(s.rec.paradata.iter().filter(|e| e.ev == EventKind::Remark).count(), 1);
    // A second remark session, typed and then cancelled: the first remark is back.
    act(&mut s, Action::Remark);
    typ(&mut s, " и ещё");
    assert_eq!(s.rec.answers["org_type"].remark.as_deref(), Some("сомнение и ещё"));
    assert_eq!(act(&mut s, Action::Cancel), Effect::Save);
    assert_eq!(s.rec.answers["org_type"].remark.as_deref(), Some("сомнение"));
    assert_eq!(s.rec.paradata.iter().filter(|e| e.ev == EventKind::Remark).count(), 1);
}

#[test]
fn backspace_on_empty_field_goes_back() {
    let mut s = demo();
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "members");
    act(&mut s, Action::Backspace);
    assert_eq!(cur(&s), "org_type");
}

#[test]
fn completion_requires_all_required_answers_then_is_read_only() {
    let mut s = demo();
    to_contact(&mut s);
    act(&mut s, Action::Complete);
    assert_eq!(s.message, Some(Message::CannotComplete(1)));
    assert!(matches!(s.mode, Mode::Review { .. }));
    act(&mut s, Action::Next); // jumps to the missing one
    assert_eq!(cur(&s), "contact");
    act(&mut s, Action::Choose(2)); // dont_know
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "proposals");
    act(&mut s, Action::Next);
    assert!(matches!(s.mode, Mode::Review { .. }));
    assert_eq!(s.message, Some(Message::EndReached));
    assert_eq!(act(&mut s, Action::Complete), Effect::Completed);
    assert_eq!(s.rec.status, Status::Completed);
    assert!(s.rec.completed.is_some());
    act(&mut s, Action::Cancel);
    act(&mut s, Action::Choose(0));
    assert_eq!(s.message, Some(Message::ReadOnly));
}

#[test]
fn reopening_raises_the_revision_and_is_recorded() {
    let mut s = demo();
    s.rec.status = Status::Completed;
    s.rec.completed = Some("2021-02-20T10:00:00Z".into());
    let r = s.rec.revision;
    reopen(&mut s.rec, &now(5000));
    assert_eq!(s.rec.status, Status::InProgress);
    assert_eq!(s.rec.revision, r + 1);
    assert_eq!(s.rec.reopened[0].was_completed, "2021-02-20T10:00:00Z");
    assert_eq!(s.rec.completed, None);
}

#[test]
fn resume_returns_to_the_saved_position() {
    let mut s = demo();
    to_contact(&mut s);
    let q = s.q.clone();
    let json = s.rec.to_json();
    let rec = serde_json::from_slice(&json).unwrap();
    let s2 = Session::open(q, rec);
    assert_eq!(cur(&s2), "contact");
    assert_eq!(s2.rec, s.rec);
    assert_eq!(s2.rec.to_json(), json);
}

#[test]
fn jump_list_offers_reached_questions() {
    let mut s = demo();
    to_contact(&mut s);
    act(&mut s, Action::Jump);
    let rows: Vec<&str> = s
        .jump_rows()
        .iter()
        .map(|p| match *p {
            Pos::Question(i, _) => s.q.questions[i].id.as_str(),
            Pos::Roster(..) => "roster",
        })
        .collect();
    assert_eq!(rows, ["welcome", "org_type", "members", "budget", "founded", "contact"]);
    act(&mut s, Action::Up);
    act(&mut s, Action::Up);
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "budget");
}

#[test]
fn option_numbers_are_typed_without_timing() {
    let q = Arc::new(fixtures::nko());
    let rec = new_record(&q, "id".into(), "dev".into(), "I".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0));
    assert_eq!(cur(&s), "district");
    let code = |s: &Session, n: usize| s.q.questions[s.cur].options[n - 1].code.clone();
    // 32 districts: `2` waits (20–29 start with it), however long; `5` then chooses 25.
    assert_eq!(update(&mut s, Action::Choose(1), &now(10_000)), Effect::None);
    assert_eq!(s.pending, Some(2));
    assert_eq!(
        value(&s, "district"),
        None,
        "nothing is recorded while a number is pending"
    );
    assert_eq!(update(&mut s, Action::Choose(4), &now(99_000)), Effect::Save);
    assert_eq!(value(&s, "district"), Some(AnswerValue::Text(code(&s, 25))));
    assert_eq!((s.pending, s.highlight), (None, 24));
    // `4` is complete at once (no option 40+); `3` waits and Enter completes it.
    update(&mut s, Action::Choose(3), &now(100_000));
    assert_eq!(value(&s, "district"), Some(AnswerValue::Text(code(&s, 4))));
    update(&mut s, Action::Choose(2), &now(101_000));
    assert_eq!(s.pending, Some(3));
    assert_eq!(update(&mut s, Action::Next, &now(102_000)), Effect::Save);
    assert_eq!(value(&s, "district"), Some(AnswerValue::Text(code(&s, 3))));
    assert_eq!(cur(&s), "district", "Enter completed the number; it did not move on");
    // Backspace edits a pending number, Esc drops it, a number beyond the list is refused.
    update(&mut s, Action::Choose(2), &now(0));
    update(&mut s, Action::Choose(4), &now(0));
    assert_eq!(s.pending, None);
    assert_eq!(s.message, Some(Message::NoSuchOption(35)));
    assert_eq!(value(&s, "district"), Some(AnswerValue::Text(code(&s, 3))));
    update(&mut s, Action::Choose(2), &now(0));
    update(&mut s, Action::Backspace, &now(0));
    assert_eq!(
        (s.pending, cur(&s)),
        (None, "district"),
        "Backspace took the digit back, not the question"
    );
    update(&mut s, Action::Choose(1), &now(0));
    update(&mut s, Action::Cancel, &now(0));
    assert_eq!(s.pending, None);
    // A leading 0 names no option.
    assert_eq!(update(&mut s, Action::Choose(9), &now(0)), Effect::None);
    assert_eq!(
        (s.pending, value(&s, "district")),
        (None, Some(AnswerValue::Text(code(&s, 3))))
    );
}

#[test]
fn in_a_multi_of_fifteen_one_space_three_selects_two_options_and_one_three_toggles_thirteen() {
    let q = Arc::new(fixtures::nko());
    let rec = new_record(&q, "id".into(), "dev".into(), "I".into(), &now(0));
    let mut s = Session::open(q, rec);
    let at = s.q.index_of("problems").unwrap();
    s.cur = at;
    s.show(&now(0));
    let codes = |ns: &[usize]| {
        let o = &s.q.questions[at].options;
        Some(AnswerValue::Codes(ns.iter().map(|&n| o[n - 1].code.clone()).collect()))
    };
    let (one_three, thirteen) = (codes(&[1, 3]), codes(&[13]));
    update(&mut s, Action::Choose(0), &now(0)); // 1: 10–15 start with it
    update(&mut s, Action::Toggle, &now(0)); // Space completes 1
    update(&mut s, Action::Choose(2), &now(0)); // 3: complete at once
    assert_eq!(value(&s, "problems"), one_three);
    update(&mut s, Action::Choose(0), &now(0));
    update(&mut s, Action::Toggle, &now(0)); // 1 off
    update(&mut s, Action::Choose(2), &now(0)); // 3 off
    update(&mut s, Action::Choose(0), &now(0));
    update(&mut s, Action::Choose(2), &now(0)); // 13
    assert_eq!(value(&s, "problems"), thirteen);
}

#[test]
fn two_quick_digits_in_a_multi_undo_the_first_toggle() {
    let q = Arc::new(fixtures::nko());
    let rec = new_record(&q, "id".into(), "dev".into(), "I".into(), &now(0));
    let mut s = Session::open(q, rec);
    let i = s.q.questions.iter().position(|x| x.id == "problems").unwrap();
    s.jump_to(i, &now(0));
    assert!(s.q.questions[s.cur].options.len() >= 12);
    update(&mut s, Action::Choose(1), &now(10_000)); // option 2 alone
    update(&mut s, Action::Choose(0), &now(20_000)); // 1 ...
    update(&mut s, Action::Choose(1), &now(20_300)); // ... 2 → option 12, option 1 untouched
    let o = &s.q.questions[s.cur].options;
    assert_eq!(
        value(&s, "problems"),
        Some(AnswerValue::Codes(vec![o[1].code.clone(), o[11].code.clone()]))
    );
}

#[test]
fn arrows_move_between_lines_of_a_long_answer() {
    let mut s = demo();
    let i = s.q.index_of("proposals").unwrap();
    s.jump_to(i, &now(0));
    typ(&mut s, "ab");
    act(&mut s, Action::Newline);
    typ(&mut s, "cd");
    act(&mut s, Action::Up);
    typ(&mut s, "1");
    act(&mut s, Action::Down);
    typ(&mut s, "2");
    assert_eq!(s.edit.text(), "ab1\ncd2");
    // In a one-line field the arrows do not edit.
    let j = s.q.index_of("why_not").unwrap();
    s.jump_to(j, &now(0));
    typ(&mut s, "x");
    act(&mut s, Action::Up);
    typ(&mut s, "y");
    assert_eq!(s.edit.text(), "xy");
}

#[test]
fn the_bar_is_full_when_every_required_answer_is_given_and_optional_ones_are_left_empty() {
    use crate::simulate::{Options, Simulator};
    let q = Arc::new(fixtures::every_type());
    let sim = Simulator::new(&q, Options::default());
    let mut rec = sim.record(0);
    let optional: Vec<String> = q
        .questions
        .iter()
        .filter(|x| !x.required)
        .map(|x| x.id.clone())
        .collect();
    assert!(!optional.is_empty(), "the fixture has optional questions");
    for id in &optional {
        rec.answers.remove(id);
    }
    let s = Session::open(q.clone(), rec);
    let (done, total) = s.progress();
    assert!(total > 0);
    assert_eq!(done, total, "optional questions left empty do not hold the bar short");
    // The start screen and `anketa list` count the same way.
    let listed = crate::interview::session::progress(
        &q,
        &s.rec,
        &crate::interview::logic::rules_of(&q, &s.rec.answers, &s.rec.rosters, None),
    );
    assert_eq!(listed, (done, total));
}

#[test]
fn letters_filter_a_long_list_by_label_and_numbers_stay_the_options_own() {
    let q = Arc::new(fixtures::nko());
    let rec = new_record(&q, "id".into(), "dev".into(), "I".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0));
    assert_eq!(cur(&s), "district");
    assert!(s.filters());
    for c in "СВЕТ".chars() {
        assert_eq!(act(&mut s, Action::Input(c)), Effect::None, "filtering records nothing");
    }
    let shown = s.visible_options();
    let labels: Vec<&str> = shown
        .iter()
        .map(|&i| s.q.tr(&s.q.questions[s.cur].options[i].label))
        .collect();
    assert_eq!(labels, ["Светлоярский"], "case-insensitive");
    // Enter chooses the one left (a single question), by its own code.
    assert_eq!(act(&mut s, Action::Next), Effect::Save);
    assert_eq!(value(&s, "district"), Some(AnswerValue::Text("svetloyarsky".into())));
    // ё = е, Backspace edits, Esc clears; digits still name options by their own numbers.
    act(&mut s, Action::Prev);
    assert_eq!(cur(&s), "district");
    assert!(s.filter.is_empty(), "a question shown afresh has no filter");
    for c in "калач".chars() {
        act(&mut s, Action::Input(c));
    }
    assert_eq!(s.visible_options().len(), 1, "калач finds Калачёвский (ё = е)");
    act(&mut s, Action::Backspace);
    assert_eq!(s.filter, "кала");
    act(&mut s, Action::Cancel);
    assert!(s.filter.is_empty());
    assert_eq!(s.visible_options().len(), 32);
    act(&mut s, Action::Input('к'));
    act(&mut s, Action::Input('2'));
    act(&mut s, Action::Input('5'));
    assert_eq!(
        value(&s, "district"),
        Some(AnswerValue::Text("svetloyarsky".into())),
        "25, not the 25th match"
    );
}

/// A questionnaire with chained calculations and a condition on a later question.
fn calc_session() -> Session {
    let src = serde_json::json!({
        "id": "calc", "version": "1", "title": "C", "language": "en",
        "blocks": [{"id": "b", "title": "B", "questions": [
            {"id": "early", "type": "text", "text": "Asked while `late` is unanswered", "required": false,
             "relevant": "${late} = ''"},
            {"id": "a", "type": "number", "text": "A", "min": 0, "max": 100},
            {"id": "b", "type": "number", "text": "B", "min": 0, "max": 100},
            {"id": "total", "type": "calculate", "calculation": "${a} + ${b}"},
            {"id": "double", "type": "calculate", "text": "Twice the total", "calculation": "${total} * 2"},
            {"id": "big", "type": "text", "text": "Why so many?", "relevant": "${double} > 10"},
            {"id": "late", "type": "text", "text": "Last"}
        ]}]
    });
    let q = Arc::new(crate::questionnaire::load("calc.json", &src.to_string()).unwrap());
    let rec = new_record(&q, "id1".into(), "dev".into(), "I07".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0));
    s
}

#[test]
fn calculations_are_recomputed_in_chain_stored_and_never_shown() {
    let mut s = calc_session();
    assert_eq!(cur(&s), "early");
    act(&mut s, Action::Next);
    typ(&mut s, "3");
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "b");
    // Only `a`: the sum of a number and an unanswered one is no number, so no value yet.
    assert_eq!(value(&s, "total"), None);
    typ(&mut s, "4");
    assert_eq!(value(&s, "total"), Some(AnswerValue::Number(7.0)));
    assert_eq!(value(&s, "double"), Some(AnswerValue::Number(14.0)));
    assert!(s.rec.answers["double"].relevant);
    // The calculations are skipped; `big` follows from `double` > 10.
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "big");
    act(&mut s, Action::Prev);
    assert_eq!(cur(&s), "b");
    act(&mut s, Action::Backspace);
    typ(&mut s, "1");
    assert_eq!(value(&s, "total"), Some(AnswerValue::Number(4.0)));
    assert_eq!(value(&s, "double"), Some(AnswerValue::Number(8.0)));
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "late", "big no longer relevant, calculations never shown");
    // Answering a later question changes the relevance of an earlier one.
    assert!(s.rules.rel[0]);
    typ(&mut s, "done");
    assert!(!s.rules.rel[0], "`early` depends on `late`");
    // What is stored is what the rule computes from the stored answers.
    let (_, calcs) = super::logic::evaluate(&s.q, &s.rec.answers, None);
    for (qi, v) in calcs {
        assert_eq!(
            s.rec.answers.get(&s.q.questions[qi].id).and_then(|a| a.value.clone()),
            v
        );
    }
    assert_eq!(
        s.progress(),
        (3, 3),
        "a, b, late: calculations are not questions to answer"
    );
    assert!(
        !s.review_rows()
            .iter()
            .chain(&s.jump_rows())
            .any(|p| matches!(*p, Pos::Question(i, _) if !s.q.questions[i].is_asked()))
    );
    assert!(
        !s.rec.paradata.iter().any(|e| e.q == "total" || e.q == "double"),
        "a calculation is never shown"
    );
}

#[test]
fn answers_are_piped_into_texts_live() {
    let src = serde_json::json!({
        "id": "pipe", "version": "1", "title": "P", "language": "en",
        "blocks": [{"id": "b", "title": "About ${org}", "questions": [
            {"id": "org", "type": "single", "text": "Type", "options": [
                {"code": "ngo", "label": "an NGO"}, {"code": "tos", "label": "a TOS"}]},
            {"id": "name", "type": "text", "text": "Name of ${org}", "required": false},
            {"id": "n", "type": "number", "text": "How many people work at ${name} (${org})?",
             "hint": "Count ${name}'s volunteers too", "max": 1000000, "integer": false}
        ]}]
    });
    let q = Arc::new(crate::questionnaire::load("pipe.json", &src.to_string()).unwrap());
    let rec = new_record(&q, "id1".into(), "dev".into(), "I07".into(), &now(0));
    let mut s = Session::open(q.clone(), rec);
    s.show(&now(0));
    let text = |s: &Session, id: &str| s.say(&s.q.question(id).unwrap().text);
    assert_eq!(s.say(&q.blocks[0].title), "About […]");
    act(&mut s, Action::Choose(1));
    assert_eq!(s.say(&q.blocks[0].title), "About a TOS", "an option's label");
    act(&mut s, Action::Next);
    assert_eq!(text(&s, "name"), "Name of a TOS");
    typ(&mut s, "Рассвет");
    act(&mut s, Action::Next);
    assert_eq!(text(&s, "n"), "How many people work at Рассвет (a TOS)?");
    assert_eq!(
        s.say(s.q.question("n").unwrap().hint.as_ref().unwrap()),
        "Count Рассвет's volunteers too"
    );
    // Changed back there, changed here.
    act(&mut s, Action::Prev);
    act(&mut s, Action::Prev);
    act(&mut s, Action::Choose(0));
    assert_eq!(text(&s, "n"), "How many people work at Рассвет (an NGO)?");
    typ(&mut s, ""); // nothing typed: no change
    let mut s2 = s.clone();
    s2.rec.answers.remove("name");
    s2.jump_to(2, &now(1));
    assert_eq!(text(&s2, "n"), "How many people work at […] (an NGO)?");
}

#[test]
fn defaults_are_put_in_when_first_shown_and_marked_until_confirmed_or_changed() {
    let src = serde_json::json!({
        "id": "def", "version": "1", "title": "D", "language": "en",
        "blocks": [{"id": "b", "title": "B", "questions": [
            {"id": "region", "type": "single", "text": "Region", "default": "south", "options": [
                {"code": "north", "label": "North"}, {"code": "south", "label": "South"}]},
            {"id": "members", "type": "number", "text": "Members", "default": 10, "max": 1000},
            {"id": "twice", "type": "number", "text": "Twice", "default_calculation": "${members} * 2", "max": 1000},
            {"id": "never", "type": "text", "text": "Never shown", "relevant": "false()", "default": "x"}
        ]}]
    });
    let q = Arc::new(crate::questionnaire::load("def.json", &src.to_string()).unwrap());
    let rec = new_record(&q, "id1".into(), "dev".into(), "I07".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0));
    assert_eq!(value(&s, "region"), Some(AnswerValue::Text("south".into())));
    assert!(s.rec.answers["region"].defaulted);
    // Enter confirms: no longer marked.
    act(&mut s, Action::Next);
    assert!(!s.rec.answers["region"].defaulted);
    assert_eq!(value(&s, "members"), Some(AnswerValue::Number(10.0)));
    assert!(s.rec.answers["members"].defaulted);
    // Changed: no longer marked, and the calculated default follows the answer given.
    act(&mut s, Action::Backspace);
    act(&mut s, Action::Backspace);
    typ(&mut s, "7");
    assert!(!s.rec.answers["members"].defaulted);
    act(&mut s, Action::Next);
    assert_eq!(value(&s, "twice"), Some(AnswerValue::Number(14.0)));
    assert!(s.rec.answers["twice"].defaulted);
    // Only when first shown: back and forth does not put it in again.
    act(&mut s, Action::Backspace);
    act(&mut s, Action::Backspace);
    assert_eq!(value(&s, "twice"), None);
    act(&mut s, Action::Prev);
    act(&mut s, Action::Next);
    assert_eq!(value(&s, "twice"), None);
    // A question never shown gets no default.
    assert!(!s.rec.answers.contains_key("never"));
}

#[test]
fn calculations_use_the_function_library_and_the_clock() {
    let src = serde_json::json!({
        "id": "fx", "version": "1", "title": "F", "language": "en",
        "blocks": [{"id": "b", "title": "B", "questions": [
            {"id": "founded", "type": "date", "text": "Founded"},
            {"id": "kind", "type": "single", "text": "Kind", "options": [
                {"code": "ngo", "label": "an NGO"}, {"code": "tos", "label": "a TOS"}]},
            {"id": "age_days", "type": "calculate", "calculation": "today() - ${founded}"},
            {"id": "years", "type": "calculate", "calculation": "int(${age_days} div 365.25)"},
            {"id": "kind_label", "type": "calculate", "calculation": "jr:choice-name(${kind}, '${kind}')"},
            {"id": "summary", "type": "calculate",
             "calculation": "concat(${kind_label}, ', ', if(${years} >= 10, 'old', 'young'))"}
        ]}]
    });
    let q = Arc::new(crate::questionnaire::load("fx.json", &src.to_string()).unwrap());
    let rec = new_record(&q, "id1".into(), "dev".into(), "I07".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0)); // 2021-02-20
    typ(&mut s, "2001-02-20");
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(1));
    assert_eq!(value(&s, "age_days"), Some(AnswerValue::Number(7305.0)));
    assert_eq!(value(&s, "years"), Some(AnswerValue::Number(20.0)));
    assert_eq!(value(&s, "kind_label"), Some(AnswerValue::Text("a TOS".into())));
    assert_eq!(value(&s, "summary"), Some(AnswerValue::Text("a TOS, old".into())));
}

#[test]
fn choice_filters_offer_options_by_attribute_and_a_stale_code_counts_as_no_answer() {
    let src = serde_json::json!({
        "id": "cf", "version": "1", "title": "C", "language": "en",
        "blocks": [{"id": "b", "title": "B", "questions": [
            {"id": "district", "type": "single", "text": "District", "options": [
                {"code": "a", "label": "Alpha"}, {"code": "b", "label": "Beta"}]},
            {"id": "settlement", "type": "single", "text": "Settlement in ${district}",
             "choice_filter": "district = ${district}", "options": [
                {"code": "a1", "label": "A-one", "attributes": {"district": "a"}},
                {"code": "b1", "label": "B-one", "attributes": {"district": "b"}},
                {"code": "a2", "label": "A-two", "attributes": {"district": "a"}},
                {"code": "b2", "label": "B-two", "attributes": {"district": "b"}}]},
            {"id": "is_a2", "type": "calculate", "calculation": "if(${settlement} = 'a2', 1, 0)"},
            {"id": "end", "type": "text", "text": "End", "required": false}
        ]}]
    });
    let q = Arc::new(crate::questionnaire::load("cf.json", &src.to_string()).unwrap());
    let rec = new_record(&q, "id1".into(), "dev".into(), "I07".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0));
    act(&mut s, Action::Choose(0)); // Alpha
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "settlement");
    // Digits number the options offered: 1 A-one, 2 A-two; codes stay the options' own.
    assert_eq!(s.offered, vec![0, 2]);
    assert_eq!((s.option_number(2), s.option_number(1)), (Some(2), None));
    act(&mut s, Action::Choose(1));
    assert_eq!(value(&s, "settlement"), Some(AnswerValue::Text("a2".into())));
    assert_eq!(value(&s, "is_a2"), Some(AnswerValue::Number(1.0)));
    act(&mut s, Action::Next);
    // The district changes: the stored settlement is kept, but counts as no answer — marked
    // not relevant, read as unanswered, and the question asks again.
    act(&mut s, Action::Prev);
    act(&mut s, Action::Prev);
    assert_eq!(cur(&s), "district");
    act(&mut s, Action::Choose(1)); // Beta
    let a = &s.rec.answers["settlement"];
    assert_eq!(a.value, Some(AnswerValue::Text("a2".into())), "kept in the file");
    assert!(!a.relevant, "but it does not count");
    assert_eq!(value(&s, "is_a2"), Some(AnswerValue::Number(0.0)), "read as unanswered");
    act(&mut s, Action::Next);
    assert_eq!(cur(&s), "settlement");
    assert_eq!(s.problem_at(s.cur, s.at), Some(Problem::NotOffered));
    assert_eq!(s.offered, vec![1, 3]);
    act(&mut s, Action::Choose(0)); // 1 is now B-one
    assert_eq!(value(&s, "settlement"), Some(AnswerValue::Text("b1".into())));
    assert!(s.rec.answers["settlement"].relevant);
    assert_eq!(s.problem_at(s.cur, s.at), None);
    // The report, merge and exports read the same rule from the stored answers.
    let mut stale = s.rec.answers.clone();
    stale.get_mut("settlement").unwrap().value = Some(AnswerValue::Text("a1".into()));
    let rel = super::logic::relevance(&s.q, &stale, None);
    assert!(!rel[1]);
}

#[test]
fn a_filter_by_attribute_is_looked_up_exactly_as_it_evaluates() {
    // Options with the attribute, with an empty one, and without it; answers of every kind.
    let src = serde_json::json!({
        "id": "ix", "version": "1", "title": "I", "language": "en",
        "blocks": [{"id": "b", "title": "B", "questions": [
            {"id": "d", "type": "single", "text": "D", "required": false, "options": [
                {"code": "a", "label": "A"}, {"code": "b", "label": "B"}, {"code": "12", "label": "12"}]},
            {"id": "n", "type": "number", "text": "N", "required": false},
            {"id": "s", "type": "single", "text": "S", "choice_filter": "d = ${d}", "options": [
                {"code": "s1", "label": "1", "attributes": {"d": "a"}},
                {"code": "s2", "label": "2", "attributes": {"d": "b"}},
                {"code": "s3", "label": "3", "attributes": {"d": ""}},
                {"code": "s4", "label": "4"},
                {"code": "s5", "label": "5", "attributes": {"d": "12"}},
                {"code": "s6", "label": "6", "attributes": {"d": "a"}}]},
            {"id": "t", "type": "single", "text": "T", "choice_filter": "${n} = d", "options": [
                {"code": "t1", "label": "1", "attributes": {"d": "12"}},
                {"code": "t2", "label": "2", "attributes": {"d": "12.0"}},
                {"code": "t3", "label": "3"}]}
        ]}]
    });
    let q = crate::questionnaire::load("ix.json", &src.to_string()).unwrap();
    for qi in [2, 3] {
        let qq = &q.questions[qi];
        assert!(qq.filter_index.is_some(), "{}: indexed", qq.id);
        for (d, n) in [
            (None, None),
            (Some("a"), None),
            (Some("b"), Some(12.0)),
            (Some("12"), Some(12.5)),
            (None, Some(0.0)),
        ] {
            let mut answers = std::collections::BTreeMap::new();
            if let Some(d) = d {
                answers.insert(
                    "d".to_string(),
                    crate::record::Answer {
                        value: Some(AnswerValue::Text(d.into())),
                        relevant: true,
                        ..Default::default()
                    },
                );
            }
            if let Some(n) = n {
                answers.insert(
                    "n".to_string(),
                    crate::record::Answer {
                        value: Some(AnswerValue::Number(n)),
                        relevant: true,
                        ..Default::default()
                    },
                );
            }
            let rel = vec![true; q.questions.len()];
            let env = super::logic::AnswerEnv {
                q: &q,
                answers: &answers,
                relevant: &rel,
                current: crate::expr::Value::Null,
                clock: None,
            };
            let looked_up = super::logic::offered_options(&q, qq, &env);
            let evaluated: Vec<usize> = (0..qq.options.len())
                .filter(|&i| super::logic::offered(&q, qq, &qq.options[i], &env))
                .collect();
            assert_eq!(looked_up, evaluated, "{}: d={d:?} n={n:?}", qq.id);
        }
    }
}

/// Random answers to random questions, one at a time: after each change the incremental rules
/// (only what depends on the changed question) give exactly what the whole walk gives.
#[test]
fn rules_after_one_change_equal_the_whole_walk() {
    use super::logic::{apply_rules, apply_rules_after};
    use crate::questionnaire::Kind;
    use crate::record::Answer;
    let stress = crate::questionnaire::load("stress.json", include_str!("../../benches/stress.json")).unwrap();
    for q in [crate::questionnaire::bundled("engine").unwrap(), stress] {
        let mut rng = crate::simulate::Rng::new(7);
        let mut answers: std::collections::BTreeMap<String, Answer> = Default::default();
        let (mut rel, mut stale) = apply_rules(&q, &mut answers, None);
        let asked: Vec<usize> = (0..q.questions.len())
            .filter(|&i| q.questions[i].is_interviewed())
            .collect();
        for step in 0..400 {
            let qi = asked[rng.below(asked.len())];
            let qq = &q.questions[qi];
            let pick = |rng: &mut crate::simulate::Rng| qq.options[rng.below(qq.options.len())].code.clone();
            let v = match &qq.kind {
                _ if rng.chance(0.1) => None,
                Kind::Single => Some(AnswerValue::Text(pick(&mut rng))),
                Kind::Multi { .. } => {
                    let mut c = vec![pick(&mut rng)];
                    let d = pick(&mut rng);
                    if d != c[0] {
                        c.push(d);
                    }
                    Some(AnswerValue::Codes(c))
                }
                Kind::Number { .. } => Some(AnswerValue::Number(rng.below(120) as f64)),
                Kind::Date => Some(AnswerValue::Text(format!(
                    "20{:02}-0{}-1{}",
                    rng.below(30),
                    1 + rng.below(9),
                    rng.below(10)
                ))),
                _ => Some(AnswerValue::Text(["a", "b", "Рассвет"][rng.below(3)].into())),
            };
            match v {
                Some(v) => {
                    let a = answers.entry(qq.id.clone()).or_default();
                    a.value = Some(v);
                    a.relevant = true;
                }
                None => {
                    answers.remove(&qq.id);
                }
            }
            let mut whole = answers.clone();
            let expected = apply_rules(&q, &mut whole, None);
            (rel, stale) = apply_rules_after(&q, &mut answers, None, qi, (rel, stale));
            assert_eq!(
                (&rel, &stale),
                (&expected.0, &expected.1),
                "{}: step {step}, {}",
                q.id,
                qq.id
            );
            assert_eq!(answers, whole, "{}: step {step}, {}", q.id, qq.id);
        }
    }
}

/// The roster demo (projects → partners), loaded from its file.
fn projects() -> crate::questionnaire::Questionnaire {
    crate::questionnaire::load("projects.json", include_str!("../../questionnaires/projects.json")).unwrap()
}

fn answer(v: AnswerValue) -> crate::record::Answer {
    crate::record::Answer {
        value: Some(v),
        relevant: true,
        ..Default::default()
    }
}

fn text(s: &str) -> crate::record::Answer {
    answer(AnswerValue::Text(s.into()))
}

/// Three projects: A with a grant and two partners, B without a grant (its amount kept but not
/// relevant), C removed (its answers count nowhere).
fn three_projects() -> (
    std::collections::BTreeMap<String, crate::record::Answer>,
    crate::record::Rosters,
) {
    use crate::record::Instance;
    let inst = |pairs: Vec<(&str, crate::record::Answer)>| Instance {
        answers: pairs.into_iter().map(|(k, a)| (k.to_string(), a)).collect(),
        ..Default::default()
    };
    let mut a = inst(vec![
        ("project_name", text("A")),
        ("grant", text("yes")),
        ("grant_amount", answer(AnswerValue::Number(100.0))),
    ]);
    a.rosters.insert(
        "partners".into(),
        vec![
            inst(vec![("partner_name", text("P1")), ("partner_type", text("ngo"))]),
            inst(vec![("partner_name", text("P2")), ("partner_type", text("omsu"))]),
        ],
    );
    let b = inst(vec![
        ("project_name", text("B")),
        ("grant", text("no")),
        ("grant_amount", answer(AnswerValue::Number(50.0))),
    ]);
    let mut c = inst(vec![
        ("project_name", text("C")),
        ("grant", text("yes")),
        ("grant_amount", answer(AnswerValue::Number(999.0))),
    ]);
    c.removed = Some("2021-02-20T10:00:00Z".into());
    let top = [
        ("org_type", text("ngo")),
        ("n_projects", answer(AnswerValue::Number(2.0))),
    ]
    .into_iter()
    .map(|(k, a)| (k.to_string(), a))
    .collect();
    let mut rosters = crate::record::Rosters::new();
    rosters.insert("projects".into(), vec![a, b, c]);
    (top, rosters)
}

#[test]
fn rules_apply_per_instance_and_aggregates_read_the_live_instances() {
    use super::logic::{At, apply_rules_in};
    let q = projects();
    let (mut top, mut rosters) = three_projects();
    let removed_before = rosters["projects"][2].clone();
    let rules = apply_rules_in(&q, &mut top, &mut rosters, None);
    let p = &rosters["projects"];
    let num = |a: &std::collections::BTreeMap<String, crate::record::Answer>, k: &str| match a
        .get(k)
        .and_then(|a| a.value.clone())
    {
        Some(AnswerValue::Number(n)) => Some(n),
        _ => None,
    };
    // Inside an instance: its own answers, its position, an aggregate over its nested roster.
    assert_eq!(num(&p[0].answers, "project_no"), Some(1.0));
    assert_eq!(num(&p[1].answers, "project_no"), Some(2.0));
    assert_eq!(num(&p[0].answers, "granted"), Some(1.0));
    assert_eq!(num(&p[1].answers, "granted"), Some(0.0));
    assert_eq!(num(&p[0].answers, "n_partners"), Some(2.0));
    assert_eq!(num(&p[1].answers, "n_partners"), Some(0.0));
    // Relevance per instance: B's amount is kept, marked not relevant.
    assert!(p[0].answers["grant_amount"].relevant);
    assert!(!p[1].answers["grant_amount"].relevant);
    let ga = q.index_of("grant_amount").unwrap();
    assert!(rules.rel(&q, ga, At::from_slice(&[0]).unwrap()));
    assert!(!rules.rel(&q, ga, At::from_slice(&[1]).unwrap()));
    // Outside: sums and counts over the live instances only (C's 999 is removed).
    assert_eq!(num(&top, "grants_total"), Some(100.0));
    assert_eq!(num(&top, "projects_granted"), Some(1.0));
    assert_eq!(num(&top, "partners_total"), Some(2.0));
    assert!(rules.rel[q.index_of("satisfied").unwrap()]);
    // A removed instance is left as it was.
    assert_eq!(p[2], removed_before);
}

#[test]
fn indexed_repeat_with_more_groups_reads_an_instance_of_a_nested_roster_inside_an_outer_one() {
    use super::logic::apply_rules_in;
    let mut v: serde_json::Value = serde_json::from_str(include_str!("../../questionnaires/projects.json")).unwrap();
    let summary = v["blocks"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|b| b["id"] == "summary")
        .unwrap();
    let calcs = [
        (
            "p1_second",
            "indexed-repeat(${partner_name}, ${projects}, 1, ${partners}, 2)",
        ),
        (
            "p2_first",
            "indexed-repeat(${partner_name}, ${projects}, 2, ${partners}, 1)",
        ),
        (
            "p1_third",
            "indexed-repeat(${partner_name}, ${projects}, 1, ${partners}, 3)",
        ),
        (
            "p3_first",
            "indexed-repeat(${partner_name}, ${projects}, 3, ${partners}, 1)",
        ),
        (
            "p0_first",
            "indexed-repeat(${partner_type}, ${projects}, 0, ${partners}, 1)",
        ),
        ("flat_second", "indexed-repeat(${partner_name}, ${partners}, 2)"),
    ];
    for (id, calc) in calcs {
        summary["questions"].as_array_mut().unwrap().insert(
            0,
            serde_json::json!({"id": id, "type": "calculate", "calculation": calc}),
        );
    }
    let q = crate::questionnaire::load("projects.json", &v.to_string()).unwrap();
    let (mut top, mut rosters) = three_projects();
    apply_rules_in(&q, &mut top, &mut rosters, None);
    let got = |id: &str| match top.get(id).and_then(|a| a.value.clone()) {
        Some(AnswerValue::Text(t)) => t,
        None => String::new(),
        other => panic!("{id}: {other:?}"),
    };
    assert_eq!(got("p1_second"), "P2", "project 1, its partner 2");
    // Project B has no partners; project C is removed, so there are two live projects.
    assert_eq!(got("p2_first"), "");
    assert_eq!(got("p1_third"), "");
    assert_eq!(got("p3_first"), "");
    // An index below 1 reads instance 1, as in JavaRosa.
    assert_eq!(got("p0_first"), "ngo");
    // Three arguments still count the nested roster's instances across the outer ones.
    assert_eq!(got("flat_second"), "P2");
}

#[test]
fn a_lower_count_drops_only_instances_with_nothing_entered() {
    use super::logic::{At, CountFit, apply_rules_in, fit_counts, roster_count};
    let q = projects();
    let (mut top, mut rosters) = three_projects();
    let rules = apply_rules_in(&q, &mut top, &mut rosters, None);
    // Two projects asked, two live: nothing to do.
    assert_eq!(fit_counts(&q, &top, &mut rosters, &rules, None), vec![]);
    // Five asked: three empty instances are added after the stored three.
    top.get_mut("n_projects").unwrap().value = Some(AnswerValue::Number(5.0));
    let rules = apply_rules_in(&q, &mut top, &mut rosters, None);
    let done = fit_counts(&q, &top, &mut rosters, &rules, None);
    assert!(
        matches!(done.as_slice(), [(0, CountFit::Added(a))] if a.as_slice() == [3]),
        "{done:?}"
    );
    assert_eq!(rosters["projects"].len(), 6);
    apply_rules_in(&q, &mut top, &mut rosters, None);
    // Back to one: the three empty ones go (their calculations are not entries), B stays over
    // the count with its answers, and says so.
    top.get_mut("n_projects").unwrap().value = Some(AnswerValue::Number(1.0));
    let rules2 = apply_rules_in(&q, &mut top, &mut rosters, None);
    let done = fit_counts(&q, &top, &mut rosters, &rules2, None);
    assert!(
        matches!(done.as_slice(), [(0, CountFit::Dropped(a))] if a.as_slice() == [3]),
        "{done:?}"
    );
    assert_eq!(rosters["projects"].len(), 3);
    let rules = apply_rules_in(&q, &mut top, &mut rosters, None);
    assert_eq!(
        roster_count(
            &q,
            &super::logic::Owned {
                answers: &top,
                rosters: &rosters
            },
            &rules,
            None,
            0,
            At::TOP
        ),
        Some(1)
    );
    let live: Vec<&str> = rosters["projects"]
        .iter()
        .filter(|i| i.live())
        .map(|i| match &i.answers["project_name"].value {
            Some(AnswerValue::Text(t)) => t.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(live, ["A", "B"], "B stays over the count");
}

/// Random answers in random instances, one at a time: the incremental rules equal the whole walk.
#[test]
fn rules_after_one_change_in_an_instance_equal_the_whole_walk() {
    rules_after_each_change_equal_the_whole_walk(&projects(), 11);
}

/// The same with calculations that read other instances of their own roster (the one before,
/// the first) and an instance of a nested roster from outside.
#[test]
fn rules_after_a_change_read_in_other_instances_equal_the_whole_walk() {
    let mut v: serde_json::Value = serde_json::from_str(include_str!("../../questionnaires/projects.json")).unwrap();
    let projects = &mut v["blocks"][1]["questions"][0];
    let calc = |id: &str, c: &str| serde_json::json!({"id": id, "type": "calculate", "calculation": c});
    let qs = projects["questions"].as_array_mut().unwrap();
    qs.push(calc(
        "prev_field",
        "indexed-repeat(${field}, ${projects}, position(..) - 1)",
    ));
    qs.push(calc("first_name", "indexed-repeat(${project_name}, ${projects}, 1)"));
    // Inside a project: the second partner of the first project.
    qs.push(calc(
        "p1_partner2",
        "indexed-repeat(${partner_type}, ${projects}, 1, ${partners}, 2)",
    ));
    let partners = qs.iter_mut().find(|x| x["id"] == "partners").unwrap();
    partners["questions"].as_array_mut().unwrap().push(calc(
        "prev_type",
        "indexed-repeat(${partner_type}, ${partners}, position(..) - 1)",
    ));
    v["blocks"][2]["questions"].as_array_mut().unwrap().insert(
        0,
        calc(
            "p1_second",
            "indexed-repeat(${partner_type}, ${projects}, 1, ${partners}, 2)",
        ),
    );
    let q = crate::questionnaire::load("projects.json", &v.to_string()).unwrap();
    let prev = q.index_of("prev_field").unwrap();
    assert!(q.across[q.index_of("field").unwrap()].contains(&(prev, 0)));
    rules_after_each_change_equal_the_whole_walk(&q, 12);
}

/// Random answers in random instances of `q`, one at a time: the incremental rules equal the
/// whole walk.
fn rules_after_each_change_equal_the_whole_walk(q: &crate::questionnaire::Questionnaire, seed: u64) {
    use super::logic::{At, Owned, apply_rules_in, apply_rules_in_after, live_paths};
    use crate::questionnaire::Kind;
    let q = q.clone();
    let mut rng = crate::simulate::Rng::new(seed);
    let (mut top, mut rosters) = three_projects();
    let mut rules = apply_rules_in(&q, &mut top, &mut rosters, None);
    let asked: Vec<usize> = (0..q.questions.len())
        .filter(|&i| q.questions[i].is_interviewed())
        .collect();
    for step in 0..300 {
        let qi = asked[rng.below(asked.len())];
        let qq = &q.questions[qi];
        let at = match qq.roster {
            None => At::TOP,
            Some(r) => {
                let places = live_paths(
                    &q,
                    &Owned {
                        answers: &top,
                        rosters: &rosters,
                    },
                    r,
                    At::TOP,
                );
                if places.is_empty() {
                    continue;
                }
                places[rng.below(places.len())]
            }
        };
        let v = match &qq.kind {
            _ if rng.chance(0.1) => None,
            Kind::Single => Some(AnswerValue::Text(qq.options[rng.below(qq.options.len())].code.clone())),
            Kind::Number { .. } => Some(AnswerValue::Number(rng.below(4) as f64)),
            _ => Some(AnswerValue::Text(["a", "b", "Рассвет"][rng.below(3)].into())),
        };
        let level = match qq.roster {
            None => &mut top,
            Some(r) => &mut super::logic::instance_mut(&q, &mut rosters, r, at).unwrap().answers,
        };
        match v {
            Some(v) => level.entry(qq.id.clone()).or_default().value = Some(v),
            None => {
                level.remove(&qq.id);
            }
        }
        let (mut whole_top, mut whole_rosters) = (top.clone(), rosters.clone());
        let expected = apply_rules_in(&q, &mut whole_top, &mut whole_rosters, None);
        rules = apply_rules_in_after(&q, &mut top, &mut rosters, None, qi, at, rules);
        assert_eq!(rules, expected, "step {step}, {} at {:?}", qq.id, at);
        assert_eq!((&top, &rosters), (&whole_top, &whole_rosters), "step {step}, {}", qq.id);
    }
}

/// A new interview of the bundled roster demo, shown.
fn projects_session() -> Session {
    let q = Arc::new(crate::questionnaire::bundled("projects").unwrap());
    let rec = new_record(&q, "id1".into(), "dev".into(), "I07".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0));
    s
}

/// Where the interviewer is, by name: a question with its instance (1-based), or a roster's list.
fn place(s: &Session) -> String {
    // The bar's cached count per instance is the count from scratch.
    assert_eq!(s.progress(), super::session::progress(&s.q, &s.rec, &s.rules));
    match s.mode {
        Mode::Roster { r, parent, sel } => format!("list {} {:?} sel {sel}", s.q.rosters[r].id, parent.as_slice()),
        _ => format!("{} {:?}", cur(s), s.at.as_slice()),
    }
}

fn inst_value(s: &Session, path: &[u32], var: &str) -> Option<AnswerValue> {
    let i = s.q.index_of(var).unwrap();
    let at = super::logic::At::from_slice(path).unwrap();
    s.answer_at(i, at).and_then(|a| a.value.clone())
}

/// One project with its name, field, grant and amount answered, from its first question.
fn fill_project(s: &mut Session, name: &str, grant: bool) {
    typ(s, name);
    act(s, Action::Next);
    act(s, Action::Choose(0));
    act(s, Action::Next);
    act(s, Action::Choose(if grant { 0 } else { 1 }));
    act(s, Action::Next);
    if grant {
        typ(s, "100");
        act(s, Action::Next);
    }
}

#[test]
fn a_default_read_from_the_previous_instance_prefills_the_next_one() {
    let mut v: serde_json::Value = serde_json::from_str(include_str!("../../questionnaires/projects.json")).unwrap();
    let projects = &mut v["blocks"][1]["questions"][0];
    assert_eq!(projects["id"], "projects");
    assert_eq!(projects["questions"][2]["id"], "field");
    projects["questions"][2]["default_calculation"] =
        serde_json::json!("indexed-repeat(${field}, ${projects}, position(..) - 1)");
    let q = Arc::new(crate::questionnaire::load("projects.json", &v.to_string()).unwrap());
    let rec = new_record(&q, "id1".into(), "dev".into(), "I07".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0));
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    typ(&mut s, "2");
    act(&mut s, Action::Next);
    act(&mut s, Action::Next);
    typ(&mut s, "A");
    act(&mut s, Action::Next);
    // The first project has no project before it: no default.
    assert_eq!(place(&s), "field [0]");
    assert_eq!(inst_value(&s, &[0], "field"), None);
    act(&mut s, Action::Choose(2));
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(1));
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "list partners [0] sel 0");
    act(&mut s, Action::Next);
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "project_name [1]");
    typ(&mut s, "B");
    act(&mut s, Action::Next);
    // The second one is offered the first one's field, marked as a default until confirmed.
    assert_eq!(place(&s), "field [1]");
    assert_eq!(inst_value(&s, &[1], "field"), Some(AnswerValue::Text("sport".into())));
    let i = s.q.index_of("field").unwrap();
    let at = super::logic::At::from_slice(&[1]).unwrap();
    assert!(s.answer_at(i, at).unwrap().defaulted);
    act(&mut s, Action::Next);
    assert!(!s.answer_at(i, at).unwrap().defaulted);
    assert_eq!(inst_value(&s, &[1], "field"), Some(AnswerValue::Text("sport".into())));
}

#[test]
fn a_nested_roster_is_filled_instance_by_instance_with_add_remove_and_restore() {
    let mut s = projects_session();
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    typ(&mut s, "2");
    act(&mut s, Action::Next);
    // The count made two empty projects; the list selects the first.
    assert_eq!(place(&s), "list projects [] sel 0");
    assert_eq!(s.instances(0, super::logic::At::TOP).len(), 2);
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "project_name [0]");
    // Piped from the same instance: its number.
    assert_eq!(s.say(&s.q.questions[s.cur].text), "Как называется проект № 1?");
    fill_project(&mut s, "Рассвет", true);
    // The nested roster has no count: its list opens empty, and Insert adds a partner.
    assert_eq!(place(&s), "list partners [0] sel 0");
    assert_eq!(act(&mut s, Action::Add), Effect::Save);
    assert_eq!(place(&s), "partner_name [0, 0]");
    typ(&mut s, "Администрация");
    act(&mut s, Action::Next);
    assert_eq!(s.say(&s.q.questions[s.cur].text), "Кто такой «Администрация»?");
    act(&mut s, Action::Choose(1));
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "list partners [0] sel 1");
    act(&mut s, Action::Add);
    typ(&mut s, "Фонд");
    act(&mut s, Action::Next);
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    assert_eq!(inst_value(&s, &[0], "n_partners"), Some(AnswerValue::Number(2.0)));
    assert_eq!(value(&s, "partners_total"), Some(AnswerValue::Number(2.0)));
    // Remove the second partner: a first Delete asks, the second removes; the answers stay.
    act(&mut s, Action::Up);
    assert_eq!(place(&s), "list partners [0] sel 1");
    assert_eq!(act(&mut s, Action::Delete), Effect::None);
    assert_eq!(s.message, Some(Message::ConfirmRemove));
    assert_eq!(act(&mut s, Action::Delete), Effect::Save);
    assert_eq!(s.message, Some(Message::InstanceRemoved));
    assert_eq!(inst_value(&s, &[0], "n_partners"), Some(AnswerValue::Number(1.0)));
    assert_eq!(value(&s, "partners_total"), Some(AnswerValue::Number(1.0)));
    assert_eq!(
        inst_value(&s, &[0, 1], "partner_name"),
        Some(AnswerValue::Text("Фонд".into()))
    );
    let ev = s.rec.paradata.last().unwrap();
    assert_eq!(
        (ev.ev, ev.q.as_str(), ev.at.as_slice()),
        (EventKind::Removed, "partners", &[1, 2][..])
    );
    // A removed instance cannot be opened; Delete restores it.
    act(&mut s, Action::Next);
    assert_eq!(s.message, Some(Message::InstanceIsRemoved));
    act(&mut s, Action::Delete);
    assert_eq!(s.message, Some(Message::InstanceRestored));
    assert_eq!(value(&s, "partners_total"), Some(AnswerValue::Number(2.0)));
    // Any other key drops a pending removal.
    act(&mut s, Action::Delete);
    act(&mut s, Action::Up);
    act(&mut s, Action::Delete);
    assert_eq!(s.message, Some(Message::ConfirmRemove));
    act(&mut s, Action::Cancel);
    assert!(
        s.rec.rosters["projects"][0].rosters["partners"]
            .iter()
            .all(|i| i.live())
    );
    // On: past the partners, the project's list selects the second project.
    act(&mut s, Action::Down);
    act(&mut s, Action::Down);
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "list projects [] sel 1");
    // A counted roster takes no Insert.
    act(&mut s, Action::Add);
    assert_eq!(s.message, Some(Message::CountedRoster));
    act(&mut s, Action::Next);
    fill_project(&mut s, "Заря", false);
    act(&mut s, Action::Down);
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "list projects [] sel 2");
    act(&mut s, Action::Next);
    // Outside: the aggregates over the live instances.
    assert_eq!(value(&s, "grants_total"), Some(AnswerValue::Number(100.0)));
    assert_eq!(value(&s, "projects_granted"), Some(AnswerValue::Number(1.0)));
    assert_eq!(place(&s), "summary_note []");
    assert_eq!(
        s.say(&s.q.questions[s.cur].text),
        "Проектов с грантом: 1, на сумму 100 тыс. руб.; партнёров всего: 2."
    );
    // Back through the flow with PgUp: into the last project's last question.
    act(&mut s, Action::Prev);
    assert_eq!(place(&s), "list projects [] sel 2");
    act(&mut s, Action::Prev);
    assert_eq!(place(&s), "org_type []".replace("org_type", "n_projects"));
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "list projects [] sel 0");
    act(&mut s, Action::Down);
    act(&mut s, Action::Down);
    act(&mut s, Action::Next);
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "satisfied []");
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    assert_eq!(act(&mut s, Action::Complete), Effect::Completed);
    // Resume keeps the place and the rosters.
    let json = s.rec.to_json();
    let back = Session::open(s.q.clone(), serde_json::from_slice(&json).unwrap());
    assert_eq!(back.rec, s.rec);
}

#[test]
fn a_lower_count_never_drops_an_answered_instance_and_holds_up_completion() {
    let mut s = projects_session();
    act(&mut s, Action::Choose(0));
    act(&mut s, Action::Next);
    typ(&mut s, "3");
    act(&mut s, Action::Next);
    act(&mut s, Action::Next);
    fill_project(&mut s, "А", false);
    act(&mut s, Action::Down);
    act(&mut s, Action::Next);
    act(&mut s, Action::Next);
    fill_project(&mut s, "Б", false);
    // Back to the count: 1. The third (empty) project goes, the second (answered) stays.
    let n = s.q.index_of("n_projects").unwrap();
    s.jump_to(n, &now(s.rec.duration_ms + 1000));
    act(&mut s, Action::Backspace);
    typ(&mut s, "1");
    let list = &s.rec.rosters["projects"];
    assert_eq!(list.len(), 2, "the empty one was dropped");
    assert!(list.iter().all(|i| i.live()));
    assert!(s.rec.paradata.iter().any(|e| e.ev == EventKind::Dropped && e.at == [3]));
    let top = super::logic::At::TOP;
    assert_eq!(
        s.roster_problem(0, top),
        Some(super::session::RosterProblem::OverCount(1, 1))
    );
    act(&mut s, Action::Complete);
    assert!(matches!(s.message, Some(Message::CannotComplete(_))));
    assert_eq!(
        s.mode,
        Mode::Review { sel: 2 },
        "the roster's row is the first in error"
    );
    // Removing the extra project clears it.
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "list projects [] sel 0");
    act(&mut s, Action::Down);
    act(&mut s, Action::Delete);
    act(&mut s, Action::Delete);
    assert_eq!(s.roster_problem(0, top), None);
    assert_eq!(s.rec.rosters["projects"].len(), 2, "removed, not deleted");
}

#[test]
fn an_interviewer_driven_roster_needs_its_min_and_stops_at_its_max() {
    let src = r#"{"id": "hh", "version": "1", "title": "H", "language": "en", "blocks": [
        {"id": "b", "title": "B", "questions": [
            {"id": "members", "type": "roster", "text": "Members", "min": 1, "max": 2, "label": "${name}", "questions": [
                {"id": "name", "type": "text", "text": "Name"},
                {"id": "age", "type": "number", "text": "Age of ${name}", "constraint": ". < 120"}
            ]},
            {"id": "n", "type": "calculate", "calculation": "count(${members})"},
            {"id": "oldest", "type": "calculate", "calculation": "max(${age})"},
            {"id": "second", "type": "calculate", "calculation": "indexed-repeat(${name}, ${members}, 2)"},
            {"id": "end", "type": "note", "text": "${n} members, the oldest ${oldest}; second: ${second}"}
        ]}]}"#;
    let q = Arc::new(crate::questionnaire::load("hh.json", src).unwrap());
    let rec = new_record(&q, "id1".into(), "dev".into(), "I07".into(), &now(0));
    let mut s = Session::open(q, rec);
    s.show(&now(0));
    // The questionnaire opens on the list.
    assert_eq!(place(&s), "list members [] sel 0");
    act(&mut s, Action::Complete);
    assert_eq!(
        s.roster_problem(0, super::logic::At::TOP),
        Some(super::session::RosterProblem::TooFew(1))
    );
    act(&mut s, Action::Cancel);
    let top = super::logic::At::TOP;
    s.go_to_list(0, top);
    for (name, age) in [("Ann", "40"), ("Bob", "70")] {
        act(&mut s, Action::Add);
        typ(&mut s, name);
        act(&mut s, Action::Next);
        typ(&mut s, age);
        act(&mut s, Action::Next);
    }
    assert_eq!(place(&s), "list members [] sel 2");
    act(&mut s, Action::Add);
    assert_eq!(s.message, Some(Message::RosterFull(2)));
    assert_eq!(s.instance_label(0, top, 1), "2. Bob");
    act(&mut s, Action::Next);
    assert_eq!(place(&s), "end []");
    assert_eq!(
        s.say(&s.q.questions[s.cur].text),
        "2 members, the oldest 70; second: Bob"
    );
    // A constraint inside an instance reads `.` of that instance.
    s.jump_at(
        1,
        super::logic::At::from_slice(&[0]).unwrap(),
        &now(s.rec.duration_ms + 1000),
    );
    act(&mut s, Action::Backspace);
    act(&mut s, Action::Backspace);
    typ(&mut s, "130");
    act(&mut s, Action::Next);
    assert!(matches!(s.message, Some(Message::Problem(Problem::Constraint(_)))));
}
