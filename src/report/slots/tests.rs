//! `Slots::resolve` against `validate_view`, and the order of name prefixes.

use super::*;
use crate::interview::record::RecordView;
use crate::merge::validate_view;
use crate::questionnaire::bundled;
use crate::report::plan::{Options, Plan};

#[test]
fn resolve_refuses_exactly_what_validate_view_refuses() {
    let mut slots = Slots::default();
    let mut refused = 0;
    for name in ["nko", "omsu", "demo"] {
        let q = bundled(name).unwrap();
        let plan = Plan::new(vec![&q], Options::default()).unwrap();
        let names = &plan.names[0];
        for n in 0..40 {
            for fault in 0..22 {
                let r = crate::merge::tests::faulty(&q, n, fault);
                let line = r.to_json_line();
                let view = RecordView::parse(std::str::from_utf8(&line).unwrap()).unwrap();
                let ok = slots.resolve(&q, names, &view);
                assert_eq!(ok, validate_view(&q, &view).is_ok(), "{name} {n} fault {fault}");
                refused += usize::from(!ok);
                if ok {
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

#[test]
fn prefixes_order_as_the_names_do() {
    let names = [
        "",
        "a",
        "a\u{0}",
        "a\u{0}b",
        "ab",
        "abcdefgh",
        "abcdefgh0",
        "abcdefgi",
        "b",
        "ё",
        "я",
    ];
    for x in names {
        for y in names {
            if prefix(x) != prefix(y) {
                assert_eq!(prefix(x).cmp(&prefix(y)), x.cmp(y), "{x:?} {y:?}");
            }
        }
    }
    assert_eq!(prefix("abcdefgh"), prefix("abcdefgh0"));
}
