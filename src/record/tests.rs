use super::*;
use crate::questionnaire::fixtures;
use crate::simulate::{Options, Rng, Simulator};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Simulated records of the fixture questionnaires, with awkward strings and numbers put in.
fn records() -> Vec<Record> {
    let awkward = [
        "кавычка \" и обратная косая \\ черта",
        "line\nbreak\r\nand\ttab",
        "control \u{1} \u{1f} and DEL \u{7f}",
        "slash / and </script>",
        "emoji 🙂 and 𝄞, ё",
        "",
    ];
    let numbers = [1.5, 0.1, 1e-7, 123456789.125, 1e300, -2.5, 1e16, -0.0, 12.0, 9.0e15];
    let mut out = Vec::new();
    for q in fixtures::all() {
        let sim = Simulator::new(
            &q,
            Options {
                seed: 3,
                incomplete_share: 0.2,
                ..Options::default()
            },
        );
        for n in 0..60u64 {
            let mut r = sim.record(n);
            let k = n as usize;
            for (i, a) in r.answers.values_mut().enumerate() {
                match &mut a.value {
                    Some(AnswerValue::Number(x)) if (i + k).is_multiple_of(2) => *x = numbers[(i + k) % numbers.len()],
                    Some(AnswerValue::Text(t)) if (i + k).is_multiple_of(5) => {
                        *t = awkward[(i + k) % awkward.len()].into()
                    }
                    Some(AnswerValue::Codes(cs)) if (i + k).is_multiple_of(7) => {
                        cs.push(awkward[k % awkward.len()].into())
                    }
                    _ => {}
                }
                if (i + k).is_multiple_of(9) {
                    a.remark = Some(awkward[(i + 2 * k) % awkward.len()].into());
                }
                if (i + k).is_multiple_of(11) {
                    a.defaulted = true;
                }
            }
            if n.is_multiple_of(4) {
                r.interviewer = awkward[k % awkward.len()].into();
            }
            if n.is_multiple_of(5) {
                // An interruption: a resume with its gap, amid the other events.
                let at = r.paradata.len() / 2;
                r.paradata.insert(
                    at,
                    Event {
                        ms: 61_000 + n,
                        ev: EventKind::Resumed,
                        q: r.position.clone().unwrap_or_default(),
                        gap_s: Some(n * 3_600 + 7),
                        at: Vec::new(),
                    },
                );
            }
            if n.is_multiple_of(6) {
                r.reopened.push(Reopening {
                    at: r.updated.clone(),
                    revision: 3,
                    was_completed: r.started.clone(),
                });
            }
            if n.is_multiple_of(3) {
                add_rosters(&mut r, n);
            }
            out.push(r);
        }
    }
    out
}

/// Turns `r` into a format-2 record: rosters with instances made of its answers (awkward
/// strings included), nested ones, removed ones, an empty roster, `position_at` and events with
/// an `at`. The twins do not look at the questionnaire, so any names do.
fn add_rosters(r: &mut Record, n: u64) {
    r.format = FORMAT_V2.into();
    let answers: Vec<(String, Answer)> = r.answers.iter().map(|(k, a)| (k.clone(), a.clone())).collect();
    let take = |from: usize, k: usize| -> BTreeMap<String, Answer> {
        answers
            .iter()
            .cycle()
            .skip(from)
            .take(k.min(answers.len()))
            .cloned()
            .collect()
    };
    let k = n as usize;
    let mut projects = Vec::new();
    for i in 0..1 + k % 5 {
        let mut inst = Instance {
            answers: take(i, 3 + i),
            ..Instance::default()
        };
        if i % 2 == 0 {
            let partners = (0..i % 4)
                .map(|j| Instance {
                    answers: take(i + j, 2),
                    removed: (j == 1).then(|| r.updated.clone()),
                    ..Instance::default()
                })
                .collect();
            inst.rosters.insert("partners".into(), partners);
        }
        if i == 1 {
            inst.removed = Some("2021-01-10T10:00:00+03:00".into());
        }
        projects.push(inst);
    }
    r.rosters.insert("projects".into(), projects);
    if n.is_multiple_of(2) {
        r.rosters.insert("empty".into(), Vec::new());
        r.rosters.insert("кириллица ё".into(), vec![Instance::default()]);
    }
    if n.is_multiple_of(4) {
        r.position_at = vec![1, k as u32 % 3 + 1];
    }
    for (i, e) in r.paradata.iter_mut().enumerate() {
        if (i + k).is_multiple_of(3) {
            e.at = vec![i as u32 % 4 + 1];
        }
        if (i + k).is_multiple_of(7) {
            e.at = vec![1, 2, u32::MAX];
        }
        // Deeper than a roster can be (the view keeps such a path on the heap): read the same.
        if (i + k).is_multiple_of(11) {
            e.at = vec![4, 3, 2, 1, 7];
        }
    }
    r.paradata.push(Event {
        ms: 99_000,
        ev: [
            EventKind::Added,
            EventKind::Removed,
            EventKind::Restored,
            EventKind::Dropped,
        ][k % 4],
        q: "projects".into(),
        at: vec![1 + k as u32 % 5],
        gap_s: None,
    });
}

/// JSON text for `v` spelled as another writer might: random whitespace, object keys in any
/// order, characters escaped needlessly (`\u0041`, `\/`, surrogate pairs).
fn spell(v: &Value, rng: &mut Rng, out: &mut String) {
    let ws = |rng: &mut Rng, out: &mut String| {
        for _ in 0..rng.below(3) {
            out.push([' ', '\n', '\t', '\r'][rng.below(4)]);
        }
    };
    match v {
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' if rng.chance(0.5) => out.push_str("\\n"),
                    '/' if rng.chance(0.5) => out.push_str("\\/"),
                    c if (c as u32) < 0x20 || rng.chance(0.05) => {
                        let mut units = [0u16; 2];
                        for u in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{u:04X}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ws(rng, out);
                spell(x, rng, out);
                ws(rng, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            for i in (1..keys.len()).rev() {
                keys.swap(i, rng.below(i + 1));
            }
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ws(rng, out);
                spell(&Value::String(k.clone()), rng, out);
                ws(rng, out);
                out.push(':');
                ws(rng, out);
                spell(&o[k], rng, out);
            }
            ws(rng, out);
            out.push('}');
        }
        Value::Number(n) if n.is_f64() && rng.chance(0.5) => {
            // The same value, spelled differently.
            let x = n.as_f64().unwrap();
            let debug = format!("{x:?}");
            out.push_str(&if rng.chance(0.5) || !debug.contains('.') || debug.contains('e') {
                format!("{x:e}")
            } else {
                format!("{debug}0")
            });
        }
        other => out.push_str(&other.to_string()),
    }
}

/// `rec` as JSON with the optional fields spelled out at their defaults.
fn with_defaults(rec: &Record) -> Value {
    let mut v = serde_json::to_value(rec).unwrap();
    let o = v.as_object_mut().unwrap();
    for (k, d) in [
        ("completed", Value::Null),
        ("position", Value::Null),
        ("reopened", json!([])),
        ("paradata", json!([])),
    ] {
        o.entry(k).or_insert(d);
    }
    o.entry("position_at").or_insert(json!([]));
    o.entry("rosters").or_insert(json!({}));
    for e in o["paradata"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().entry("at").or_insert(json!([]));
    }
    answers_with_defaults(&mut o["answers"]);
    rosters_with_defaults(&mut o["rosters"]);
    v
}

fn answers_with_defaults(answers: &mut Value) {
    for a in answers.as_object_mut().unwrap().values_mut() {
        let a = a.as_object_mut().unwrap();
        for (k, d) in [
            ("value", Value::Null),
            ("other", Value::Null),
            ("warning_confirmed", json!(false)),
            ("defaulted", json!(false)),
        ] {
            a.entry(k).or_insert(d);
        }
    }
}

fn rosters_with_defaults(rosters: &mut Value) {
    for instances in rosters.as_object_mut().unwrap().values_mut() {
        for i in instances.as_array_mut().unwrap() {
            let i = i.as_object_mut().unwrap();
            i.entry("removed").or_insert(Value::Null);
            i.entry("rosters").or_insert(json!({}));
            answers_with_defaults(&mut i["answers"]);
            rosters_with_defaults(&mut i["rosters"]);
        }
    }
}

/// The record and its view as serde reads them; the fast parser of the view must read the
/// text the same way, or leave it to serde.
fn both(text: &str) -> (Result<Record, String>, Result<RecordView<'_>, String>) {
    let view = serde_json::from_str::<RecordView<'_>>(text).map_err(|e| e.to_string());
    if let Some(fast) = fast::record(text, false) {
        assert_eq!(Ok(&fast), view.as_ref(), "the fast parser takes {text}");
    }
    (serde_json::from_str::<Record>(text).map_err(|e| e.to_string()), view)
}

#[test]
fn the_report_parse_reads_everything_but_the_paradata() {
    let mut with_events = 0;
    for rec in records() {
        let mut want = rec.clone();
        // Events with an instance path (`at`: digits in brackets) are skipped as well.
        want.paradata.clear();
        with_events += usize::from(!rec.paradata.is_empty());
        // The canonical line: cut at the paradata; a pretty-printed file (`]` and `}` on
        // lines of their own): read in full.
        for (text, want) in [(rec.to_json_line(), &want), (rec.to_json(), &rec)] {
            let text = String::from_utf8(text).unwrap();
            let view = RecordView::parse_without_paradata(&text).expect("anketa's own spelling");
            assert_eq!(view.to_record(), *want, "{text}");
        }
        // Not ending in `]}` (here: a line with the paradata first): read in full.
        let mut v = serde_json::to_value(&rec).unwrap();
        let events = v.as_object_mut().unwrap().remove("paradata").unwrap();
        let mut moved = serde_json::Map::new();
        moved.insert("paradata".into(), events);
        moved.extend(v.as_object().unwrap().clone());
        let text = Value::Object(moved).to_string();
        if !text.ends_with("]}") {
            let view = RecordView::parse_without_paradata(&text).unwrap();
            assert_eq!(view.to_record(), rec, "{text}");
        }
    }
    assert!(with_events > 0);
    // What the array holds is not read; everything around it is, as `parse` reads it.
    let head = r#"{"format":"anketa-interview/1","id":"x","revision":1,"device":"d","interviewer":"I","questionnaire":{"id":"q","version":"1","sha256":"s"},"status":"completed","started":"a","updated":"b","duration_ms":5,"answers":{}"#;
    let fast = |t: &str| RecordView::parse_without_paradata(t).is_some();
    let full = |t: &str| RecordView::parse(t).is_ok();
    assert!(fast(&format!("{head},\"paradata\":[not json]}}")));
    let bad = head.replace("\"revision\":1", "\"revision\":-1");
    assert!(!fast(&format!("{bad},\"paradata\":[]}}")));
    let one = format!("{head},\"paradata\":[{{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\"}}]}}");
    assert!(fast(&one) && full(&one));
    // Glued, followed or broken: the paradata are parsed in full, and the line refused
    // exactly when `parse` refuses it.
    for t in [
        format!("{one}{one}"), // two records on one line (`cat` of a file without a final newline)
        format!("{one} x"),    // junk after the record
        format!("{head},\"paradata\":[],\"bogus\":[1]}}"), // a field after the paradata
        format!("{head},\"paradata\":[]}} garbage ]}}"), // junk ending in `]}`
        format!("{head},\"paradata\":[[]]}}"), // a bracket inside
        format!("{head},\"paradata\":[{{\"ms\":1,\"ev\":\"shown\",\"q\":\"a]b\"}}]}}"), // a bracket in a string
        format!("{head},\"paradata\":[],\"reopened\":[]}}"), // another field last
        // Instance paths are the only brackets skipped: one with anything but digits, or a
        // field after the array that looks like one, and the paradata are parsed in full.
        format!("{head},\"paradata\":[{{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\",\"at\":[1,\"y\"]}}]}}"),
        format!("{head},\"paradata\":[{{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\",\"at\":[1]}}],\"at\":[2]}}"),
        format!("{head},\"paradata\":[{{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\",\"at\":[1]}}]}}{head},\"paradata\":[]}}"),
        format!("{head},\"paradata\":[{{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\\\"at\\\":[1]\"}}]}}"),
    ] {
        assert_eq!(fast(&t), full(&t), "{t}");
    }
    assert!(
        full(&format!("{head},\"paradata\":[],\"reopened\":[]}}")),
        "only the order differs"
    );
    assert!(!fast(&format!("{one}{one}")));
}

#[test]
fn view_reads_every_spelling_as_the_record_does_and_writes_the_same_canonical_bytes() {
    let mut rng = Rng::new(5);
    let mut borrowed = 0;
    for rec in records() {
        let line = rec.to_json_line();
        let mut spelled = String::new();
        spell(&with_defaults(&rec), &mut rng, &mut spelled);
        for (k, text) in [
            String::from_utf8(rec.to_json()).unwrap(),
            String::from_utf8(line.clone()).unwrap(),
            spelled,
        ]
        .into_iter()
        .enumerate()
        {
            // What anketa writes is read by the fast parser, not left to serde.
            assert!(k == 2 || fast::record(&text, false).is_some(), "{text}");
            let (r, v) = both(&text);
            let (r, v) = (r.unwrap(), v.unwrap());
            assert_eq!(r, rec, "{text}");
            assert_eq!(v.to_record(), rec, "{text}");
            let mut canonical = Vec::new();
            v.write_canonical(&mut canonical);
            assert_eq!(
                String::from_utf8(canonical).unwrap(),
                String::from_utf8(line.clone()).unwrap()
            );
            borrowed += v
                .answers
                .0
                .iter()
                .filter(|(k, _)| matches!(k.0, Cow::Borrowed(_)))
                .count();
        }
    }
    assert!(borrowed > 1000, "strings without escapes are borrowed");
}

#[test]
fn view_orders_answers_as_a_btreemap_does_and_refuses_a_variable_given_twice() {
    for rec in records().iter().take(20) {
        // Answers in reverse order: read in order.
        let entries: Vec<(&String, &Answer)> = rec.answers.iter().rev().collect();
        let mut answers: Vec<String> = Vec::new();
        for (k, a) in &entries {
            answers.push(format!(
                "{}:{}",
                serde_json::to_string(k).unwrap(),
                serde_json::to_string(a).unwrap()
            ));
        }
        let mut v = serde_json::to_value(rec).unwrap();
        v["answers"] = json!("@");
        let text = v.to_string().replace("\"@\"", &format!("{{{}}}", answers.join(",")));
        let (r, v) = both(&text);
        let (r, v) = (r.unwrap(), v.unwrap());
        assert_eq!(&r, rec);
        assert_eq!(v.to_record(), r);
        let mut canonical = Vec::new();
        v.write_canonical(&mut canonical);
        assert_eq!(canonical, r.to_json_line());
        // One variable given twice: refused by the view (the fast parser leaves it to serde),
        // naming the variable.
        let mut early = entries[0].1.clone();
        early.remark = Some("given twice".into());
        answers.insert(
            0,
            format!(
                "{}:{}",
                serde_json::to_string(entries[0].0).unwrap(),
                serde_json::to_string(&early).unwrap()
            ),
        );
        let text = text.replacen("\"answers\":{", &format!("\"answers\":{{{},", answers[0]), 1);
        let (_, v) = both(&text);
        let e = v.unwrap_err();
        assert!(
            e.starts_with(&format!("duplicate variable `{}` in `answers`", entries[0].0)),
            "{e}"
        );
    }
}

#[test]
fn fast_parser_reads_damaged_texts_as_serde_does_or_not_at_all() {
    // Random edits of good texts: whatever the fast parser takes, serde takes the same way.
    let mut rng = Rng::new(11);
    let pieces = [
        "\"",
        "\\",
        ",",
        ":",
        "{",
        "}",
        "[",
        "]",
        " ",
        "0",
        "-",
        "1e3",
        ".5",
        "null",
        "true",
        "\t",
        "\u{1}",
        "\\u0041",
        "\"x\":1,",
        "\"ms\":1,",
        "\"relevant\":true,",
        "\"at\":[1],",
        "\"removed\":null,",
        "[1]",
        "é",
    ];
    let mut taken = 0;
    for rec in records().iter().step_by(7) {
        for base in [
            String::from_utf8(rec.to_json()).unwrap(),
            String::from_utf8(rec.to_json_line()).unwrap(),
        ] {
            for _ in 0..150 {
                let mut t = base.clone();
                for _ in 0..1 + rng.below(2) {
                    let mut at = rng.below(t.len());
                    while !t.is_char_boundary(at) {
                        at -= 1;
                    }
                    match rng.below(3) {
                        0 => {
                            let end = (at + 1 + rng.below(8)).min(t.len());
                            if t.is_char_boundary(end) {
                                t.replace_range(at..end, "");
                            }
                        }
                        1 => t.insert_str(at, pieces[rng.below(pieces.len())]),
                        _ => {
                            // A line of a pretty file twice: often a field given twice.
                            let start = t[..at].rfind('\n').map_or(0, |i| i + 1);
                            let end = t[at..].find('\n').map_or(t.len(), |i| at + i + 1);
                            let line = t[start..end].to_string();
                            t.insert_str(start, &line);
                        }
                    }
                }
                let (_, view) = both(&t);
                taken += view.is_ok() as usize;
            }
        }
    }
    assert!(taken > 100, "some edits leave a valid record ({taken})");
}

#[test]
fn view_rejects_what_the_record_rejects() {
    let rec = records().remove(0);
    let line = String::from_utf8(rec.to_json_line()).unwrap();
    let var = rec.answers.keys().next().unwrap().clone();
    let cases = [
        line.replacen("\"format\"", "\"extra\":1,\"format\"", 1),
        line.replacen("\"revision\":", "\"revision\":1,\"revision\":", 1),
        line.replacen("\"revision\":", "\"revision\":\"", 1),
        line.replacen(&format!("\"revision\":{}", rec.revision), "\"revision\":1.0", 1),
        line.replacen("\"revision\":", "\"revision\":-", 1),
        line.replacen("\"status\":\"", "\"status\":\"x", 1),
        line.replacen("\"relevant\":", "\"colour\":1,\"relevant\":", 1),
        line.replacen("\"relevant\":true", "\"relevant\":1", 1),
        line.replacen(",\"relevant\":true", "", 1),
        line.replacen("\"ev\":\"shown\"", "\"ev\":\"seen\"", 1),
        line.replacen("\"ev\":", "\"at\":1,\"ev\":", 1),
        line.replacen("\"q\":\"", "\"q\":\"\t", 1),
        line.replacen("\"id\":\"", "\"id\":\"\u{1}", 1),
        line.replacen("\"sha256\":", "\"sha\":1,\"sha256\":", 1),
        line.replacen(&format!("\"{var}\":{{"), &format!("\"{var}\":{{\"value\":true,"), 1),
        line.replacen(&format!("\"{var}\":{{"), &format!("\"{var}\":{{\"value\":{{}},"), 1),
        line.replacen(&format!("\"{var}\":{{"), &format!("\"{var}\":{{\"value\":[1],"), 1),
        line.replacen(&format!("\"{var}\":{{"), &format!("\"{var}\":{{\"value\":1e999,"), 1),
        line.replacen("\"answers\":{", "\"answers\":[", 1),
        line.replacen("\"device\":\"", "\"device\":\"\\x", 1),
        line.replacen("\"device\":\"", "\"device\":\"\\ud800", 1),
        line.replacen(",\"duration_ms\":", ",\"duration_ms\":null,\"d\":", 1),
        line.replacen("\"paradata\":[", "\"paradata\":null,\"x\":[", 1),
        line.replacen("\"paradata\":[", "\"paradata\":[1,", 1),
        line.replacen("\"paradata\":[", "\"paradata\":{\"a\":", 1),
        line[..line.len() - 1].to_string(),
        format!("{line} x"),
        // Rosters, instances and instance paths.
        line.replacen("\"rosters\":{", "\"rosters\":[", 1),
        line.replacen(
            "\"projects\":[{\"answers\":{",
            "\"projects\":[{\"colour\":1,\"answers\":{",
            1,
        ),
        line.replacen("\"position_at\":[", "\"position_at\":[-1,", 1),
        line.replacen("\"position_at\":[", "\"position_at\":[1.5,", 1),
        line.replacen("\"position_at\":[", "\"position_at\":[4294967296,", 1),
        line.replacen("\"position_at\":[", "\"position_at\":[\"1\",", 1),
        line.replacen("\"position_at\":[1,1]", "\"position_at\":null", 1),
        line.replacen("\"at\":[", "\"at\":[4294967296,", 1),
        line.replacen("\"at\":[", "\"at\":[1e0,", 1),
        line.replacen("\"at\":[", "\"at\":{", 1),
        line.replacen("\"empty\":[]", "\"empty\":{}", 1),
        line.replacen("\"empty\":[]", "\"empty\":[1]", 1),
        line.replacen("\"empty\":[]", "\"empty\":[{}]", 1),
        line.replacen("\"empty\":[]", "\"empty\":[{\"answers\":{},\"removed\":1}]", 1),
        line.replacen("\"empty\":[]", "\"empty\":[{\"answers\":{},\"rosters\":[]}]", 1),
        line.replacen(
            "\"empty\":[]",
            "\"empty\":[{\"answers\":{},\"rosters\":{\"x\":null}}]",
            1,
        ),
        line.replacen("\"empty\":[]", "\"empty\":[{\"answers\":{},\"answers\":{}}]", 1),
        line.replacen("\"empty\":[]", "\"empty\":[{\"answers\":{\"x\":{}}}]", 1),
    ];
    assert!(line.contains("\"rosters\":{\"empty\":[]") && line.contains("\"position_at\":[1,1]"));
    for text in &cases {
        assert_ne!(text, &line);
        assert!(fast::record(text, false).is_none(), "{text}");
        let (r, v) = both(text);
        assert!(r.is_err(), "the record takes {text}");
        assert!(v.is_err(), "the view takes {text}");
    }
}

#[test]
fn view_refuses_a_roster_or_an_instance_variable_given_twice() {
    let rec = records().remove(0);
    let line = String::from_utf8(rec.to_json_line()).unwrap();
    let (r, v) = both(&line);
    assert_eq!(r.unwrap(), rec);
    assert_eq!(v.unwrap().to_record(), rec);
    // The owned map keeps the last of two equal keys; the view refuses them, naming the key.
    let twice = line.replacen(
        "\"rosters\":{\"empty\":[],",
        "\"rosters\":{\"empty\":[],\"empty\":[],",
        1,
    );
    assert_ne!(twice, line);
    let (r, v) = both(&twice);
    assert!(r.is_ok());
    let e = v.unwrap_err();
    assert!(e.starts_with("duplicate roster `empty` in `rosters`"), "{e}");
    let inst = &rec.rosters["projects"][0];
    let (var, a) = inst.answers.iter().next().unwrap();
    let entry = format!(
        "{}:{}",
        serde_json::to_string(var).unwrap(),
        serde_json::to_string(a).unwrap()
    );
    let at = line.find("\"projects\":[{\"answers\":{").unwrap() + "\"projects\":[{\"answers\":{".len();
    let mut twice = line.clone();
    twice.insert_str(at, &format!("{entry},"));
    let (_, v) = both(&twice);
    let e = v.unwrap_err();
    assert!(
        e.starts_with(&format!("duplicate variable `{var}` in `answers`")),
        "{e}"
    );
    assert!(fast::record(&twice, false).is_none());
}

/// An event as it stands in a record file (at the paradata's indent) and in a line.
fn event_texts(e: &Event) -> (String, String) {
    let pretty = serde_json::to_string_pretty(e).unwrap().replace('\n', "\n    ");
    (pretty, serde_json::to_string(e).unwrap())
}

/// What the reference makes of an event's text: its canonical bytes and whether it has a path.
fn reference_event(text: &str) -> Option<(Vec<u8>, bool)> {
    let e = serde_json::from_str::<Event>(text).ok()?;
    Some((serde_json::to_vec(&e).unwrap(), !e.at.is_empty()))
}

#[test]
fn every_way_of_reading_an_event_writes_the_reference_bytes_and_anketas_layouts_are_compared_at_once() {
    let mut events = 0;
    for rec in records() {
        for e in &rec.paradata {
            let (pretty, line) = event_texts(e);
            let want = Some((line.clone().into_bytes(), !e.at.is_empty()));
            let [laid_pretty, laid_line, tokens, general] = fast::event_ways(&pretty);
            assert_eq!(laid_pretty, want, "{pretty}");
            assert_eq!((&laid_line, &tokens, &general), (&None, &want, &want), "{pretty}");
            let [laid_pretty, laid_line, tokens, general] = fast::event_ways(&line);
            assert_eq!((laid_pretty, laid_line), (None, want.clone()), "{line}");
            assert_eq!((&tokens, &general), (&want, &want), "{line}");
            events += 1;
        }
    }
    assert!(events > 1000);
}

/// A record file (pretty, with rosters and instance paths in its paradata).
fn roster_file() -> String {
    let rec = records()
        .into_iter()
        .find(|r| r.paradata.len() > 2 && !r.rosters.is_empty())
        .unwrap();
    String::from_utf8(rec.to_json()).unwrap()
}

/// `text`, a record file, with `event` for its second event (after one that is copied).
fn with_second_event(text: &str, event: &str) -> String {
    let first = text.find("\"paradata\": [\n    {").unwrap();
    let start = first + text[first..].find("\n    },\n    ").unwrap() + "\n    },\n    ".len();
    let end = start + text[start..].find("\n    }").unwrap() + "\n    }".len();
    format!("{}{event}{}", &text[..start], &text[end..])
}

/// The fast parser reads `text` as the reference does (or leaves it to serde), and the view
/// writes the reference's canonical line.
fn check_record(text: &str) -> bool {
    let (r, v) = both(text);
    match (r, v) {
        (Ok(r), Ok(v)) => {
            let mut canonical = Vec::new();
            v.write_canonical(&mut canonical);
            assert_eq!(
                String::from_utf8(canonical).unwrap(),
                String::from_utf8(r.to_json_line()).unwrap(),
                "{text}"
            );
            assert_eq!(v.paradata.has_paths(), r.paradata.iter().any(|e| !e.at.is_empty()));
            true
        }
        (Err(_), Err(_)) => false,
        (r, v) => panic!("record {:?}, view {:?}: {text}", r.map(|_| ()), v.map(|_| ())),
    }
}

#[test]
fn events_spelled_otherwise_are_read_as_the_reference_reads_them() {
    let max = u64::MAX;
    let cases = [
        // Whitespace anywhere, another indent, carriage returns and tabs.
        "{ \"ms\" : 1 , \"ev\" : \"shown\" , \"q\" : \"x\" }".to_string(),
        "{\n        \"ms\": 1,\n        \"ev\": \"shown\",\n        \"q\": \"x\"\n    }".into(),
        "{\r\n\t\"ms\":1,\t\"ev\":\"added\",\"q\":\"p\",\"at\":[ 1 ,\t2 ]\r\n}".into(),
        "{\n      \"ms\": 1,\n      \"ev\": \"shown\",\n      \"q\": \"x\",\n      \"at\": [1, 2]\n    }".into(),
        // Escapes: the canonical form holds the characters (é, /) or serde's escapes.
        "{\"ms\":1,\"ev\":\"shown\",\"q\":\"caf\\u00e9\"}".into(),
        "{\"ms\":1,\"ev\":\"shown\",\"q\":\"café\"}".into(),
        "{\"ms\":1,\"ev\":\"shown\",\"q\":\"a\\/b \\\" \\\\ \\u001f \\n\"}".into(),
        "{\"ms\":1,\"ev\":\"sh\\u006fwn\",\"q\":\"x\"}".into(),
        "{\"m\\u0073\":1,\"ev\":\"shown\",\"q\":\"x\"}".into(),
        // Other orders of the fields, empty and absent paths, a gap without a path.
        "{\"ev\":\"shown\",\"ms\":1,\"q\":\"x\"}".into(),
        "{\"ms\":1,\"ev\":\"resumed\",\"q\":\"x\",\"gap_s\":5,\"at\":[3]}".into(),
        "{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\",\"at\":[]}".into(),
        "{\n      \"ms\": 1,\n      \"ev\": \"shown\",\n      \"q\": \"x\",\n      \"at\": []\n    }".into(),
        "{\"ms\":1,\"ev\":\"resumed\",\"q\":\"x\",\"at\":[],\"gap_s\":0}".into(),
        "{\"ms\":1,\"ev\":\"resumed\",\"q\":\"x\",\"gap_s\":null}".into(),
        // Numbers: at the limits, beyond them, or not plain digits.
        format!("{{\"ms\":{max},\"ev\":\"shown\",\"q\":\"x\",\"at\":[4294967295,0],\"gap_s\":{max}}}"),
        format!("{{\"ms\":{max}0,\"ev\":\"shown\",\"q\":\"x\"}}"),
        "{\"ms\":18446744073709551616,\"ev\":\"shown\",\"q\":\"x\"}".into(),
        "{\"ms\":99999999999999999999,\"ev\":\"shown\",\"q\":\"x\"}".into(),
        "{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\",\"at\":[4294967296]}".into(),
        "{\"ms\":1.0,\"ev\":\"shown\",\"q\":\"x\"}".into(),
        "{\"ms\":1e2,\"ev\":\"shown\",\"q\":\"x\"}".into(),
        "{\"ms\":01,\"ev\":\"shown\",\"q\":\"x\"}".into(),
        "{\"ms\":-1,\"ev\":\"shown\",\"q\":\"x\"}".into(),
        "{\"ms\":0,\"ev\":\"shown\",\"q\":\"x\",\"at\":[0,00]}".into(),
        "{\"ms\":12345678901234567,\"ev\":\"shown\",\"q\":\"x\",\"at\":[1.5]}".into(),
        // Twice, unknown, missing, null.
        "{\"ms\":1,\"ms\":2,\"ev\":\"shown\",\"q\":\"x\"}".into(),
        "{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\",\"at\":[1],\"at\":[1]}".into(),
        "{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\",\"colour\":1}".into(),
        "{\"ms\":1,\"ev\":\"shown\"}".into(),
        "{\"ms\":1,\"ev\":\"shown\",\"q\":null}".into(),
        "{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\",\"at\":null}".into(),
        "{\"ms\":1,\"ev\":\"seen\",\"q\":\"x\"}".into(),
        "{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\t\"}".into(),
    ];
    let file = roster_file();
    let mut taken = 0;
    for case in &cases {
        let want = reference_event(case);
        for way in fast::event_ways(case).into_iter().flatten() {
            assert_eq!(Some(way), want, "{case}");
        }
        taken += usize::from(check_record(&with_second_event(&file, case)));
        assert_eq!(check_record(&with_second_event(&file, case)), want.is_some(), "{case}");
    }
    assert!(taken > 15 && taken < cases.len(), "{taken}");
}

#[test]
fn an_event_that_leaves_anketas_layout_anywhere_is_read_as_the_reference_reads_it() {
    // A byte put in at every place of events laid out as anketa lays them out: the layout's
    // copy gives up where it no longer matches (after writing part of the event), and what the
    // other ways make of it is the reference's.
    let e = Event {
        ms: 1742,
        ev: EventKind::Resumed,
        q: "org_type".into(),
        at: vec![3, 12],
        gap_s: Some(90),
    };
    let plain = Event {
        at: Vec::new(),
        gap_s: None,
        ..e.clone()
    };
    let file = roster_file();
    let mut taken = 0;
    for ev in [e, plain] {
        let (pretty, line) = event_texts(&ev);
        for text in [pretty, line] {
            for at in 0..=text.len() {
                for piece in [" ", "\t", "0", ",", "\"", "\\", "]", "é", "\n"] {
                    let mut t = text.clone();
                    t.insert_str(at, piece);
                    let want = reference_event(&t);
                    for way in fast::event_ways(&t).into_iter().flatten() {
                        assert_eq!(Some(way), want, "{t}");
                    }
                    if at % 3 == 0 {
                        assert_eq!(check_record(&with_second_event(&file, &t)), want.is_some(), "{t}");
                    }
                    taken += usize::from(want.is_some());
                }
            }
        }
    }
    assert!(taken > 100, "{taken}");
}

#[test]
fn answers_and_numbers_are_read_as_the_reference_reads_them() {
    // A value spelled every which way, in a record file and in a line: the fast parser reads
    // whole numbers itself and gives the rest to serde_json, with the reference's result.
    let rec = records().into_iter().find(|r| !r.rosters.is_empty()).unwrap();
    let mut with_number = rec.clone();
    let (var, a) = with_number.answers.iter_mut().next().unwrap();
    let var = var.clone();
    a.value = Some(AnswerValue::Number(424242.0));
    a.remark = Some("r".into());
    let file = String::from_utf8(with_number.to_json()).unwrap();
    let line = String::from_utf8(with_number.to_json_line()).unwrap();
    let mut taken = 0;
    for n in [
        "0",
        "-0",
        "7",
        "-7",
        "007",
        "00",
        "0.0",
        "1.0",
        "1e2",
        "1E2",
        "1e-2",
        "-1.5",
        "12-3",
        "1+2",
        "1.",
        ".5",
        "-",
        "999999999999999",
        "9999999999999999",
        "9007199254740993",
        "18446744073709551615",
        "18446744073709551616",
        "123456789012345678901234567890",
        "4.000000000000001",
        "1e400",
        "5 ",
        "5\n",
    ] {
        for (text, at) in [
            (&file, "\"value\": 424242".to_string()),
            (&line, "\"value\":424242".to_string()),
        ] {
            assert!(text.contains(&at));
            let t = text.replacen(&at, &at.replace("424242", n), 1);
            if check_record(&t) {
                taken += 1;
                let (r, _) = both(&t);
                let want: f64 = n.trim().parse().unwrap();
                let got = match &r.unwrap().answers[&var].value {
                    Some(AnswerValue::Number(x)) => *x,
                    v => panic!("{v:?}"),
                };
                assert_eq!(got.to_bits(), want.to_bits(), "{n}");
            }
        }
    }
    assert!(taken > 20, "{taken}");
    // The fields of an answer in another order, twice, or unknown.
    for (from, to) in [
        ("\"remark\":\"r\",", ""),
        ("\"value\":424242,\"remark\":\"r\"", "\"remark\":\"r\",\"value\":424242"),
        ("\"value\":424242,", "\"value\":424242,\"value\":1,"),
        ("\"value\":424242,", "\"value\":null,"),
        ("\"value\":424242,", "\"value\":424242,\"other\":null,"),
        ("\"value\":424242,", "\"value\":424242,\"colour\":1,"),
        (
            "\"relevant\":true",
            "\"relevant\":true,\"defaulted\":true,\"warning_confirmed\":true",
        ),
        (
            "\"relevant\":true",
            "\"relevant\":true,\"warning_confirmed\":false,\"defaulted\":false",
        ),
        (
            "\"relevant\":true",
            "\"relevant\":true,\"defaulted\":true,\"defaulted\":true",
        ),
        ("\"relevant\":true", "\"relevant\":null"),
        ("\"relevant\":true", "\"relevant\" :true"),
        ("\"relevant\":true", "\"relevant\"true"),
    ] {
        assert!(line.contains(from), "{from}");
        check_record(&line.replacen(from, to, 1));
    }
}
