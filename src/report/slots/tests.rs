//! `Slots::resolve` finds every answer of a record that fits, with the options it chose, and
//! refuses what `record::fit` refuses.

use super::*;
use crate::questionnaire::{Kind, fixtures};
use crate::record::fit;

#[test]
fn resolve_finds_every_answer_and_refuses_what_fit_refuses() {
    let mut slots = Slots::default();
    let mut refused = 0;
    for q in fixtures::all() {
        let name = &q.id;
        for n in 0..40 {
            for fault in 0..22 {
                let r = crate::merge::tests::faulty(&q, n, fault);
                let line = r.to_json_line();
                let view = RecordView::parse(std::str::from_utf8(&line).unwrap()).unwrap();
                let resolved = slots.resolve(&q, &view);
                assert_eq!(resolved, fit(&q, &view), "{name} {n} fault {fault}");
                refused += usize::from(resolved.is_err());
                if resolved.is_ok() {
                    // Every answer is found, with the options it chose.
                    for (var, a) in &view.answers.0 {
                        let qidx = q.index_of(var).unwrap();
                        assert_eq!(slots.answer(&view, qidx), Some(a));
                        let chosen: Vec<&str> = slots
                            .codes(qidx)
                            .iter()
                            .map(|&i| q.questions[qidx].options[i as usize].code.as_str())
                            .collect();
                        let want: Vec<&str> = match a.value.as_ref().map(|v| v.borrowed()) {
                            Some(ValueRef::Codes(cs)) => cs.iter().collect(),
                            Some(ValueRef::Text(c)) if matches!(q.questions[qidx].kind, Kind::Single) => vec![c],
                            _ => vec![],
                        };
                        assert_eq!(chosen, want, "{name} {n} fault {fault} {}", var.as_str());
                    }
                }
            }
        }
    }
    assert!(refused > 500, "the faults are refused ({refused})");
}
