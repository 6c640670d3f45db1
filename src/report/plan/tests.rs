//! The instruments' column headings.

use super::*;
use crate::questionnaire::fixtures;

fn qs() -> (Questionnaire, Questionnaire) {
    (fixtures::nko(), fixtures::omsu())
}

#[test]
fn instrument_headings_prefer_a_short_title_and_never_collide() {
    let (nko, omsu) = qs();
    let with = |src: &Questionnaire, id: &str, version: &str, short: Option<&str>| {
        let mut v: serde_json::Value = serde_json::from_str(&src.source).unwrap();
        v["id"] = id.into();
        v["version"] = version.into();
        if let Some(s) = short {
            v["short_title"] = s.into();
        }
        crate::questionnaire::load("t.json", &v.to_string()).unwrap()
    };
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // The monitoring instruments (ids `nko` and `omsu`) are named as in the note.
    assert_eq!(
        instrument_labels(&ids(&["nko", "omsu"]), &[&nko, &omsu]),
        ["НКО", "ОМСУ"]
    );
    // Of several copies of one id, one with a short title names it, whatever the order.
    let old = with(&nko, "pilot", "1", None);
    let new = with(&nko, "pilot", "2", Some("Пилот"));
    assert_eq!(instrument_labels(&ids(&["pilot"]), &[&old, &new]), ["Пилот"]);
    assert_eq!(instrument_labels(&ids(&["pilot"]), &[&new, &old]), ["Пилот"]);
    assert_eq!(instrument_labels(&ids(&["pilot"]), &[&old]), ["pilot"]);
    // Two instruments with one heading, or a heading that is another's id: the id is added.
    let a = with(&nko, "a", "1", Some("НКО"));
    assert_eq!(
        instrument_labels(&ids(&["nko", "a"]), &[&nko, &a]),
        ["НКО (nko)", "НКО (a)"]
    );
    let b = with(&omsu, "b", "1", Some("nko"));
    assert_eq!(instrument_labels(&ids(&["nko", "b"]), &[&nko, &b]), ["НКО", "nko (b)"]);
}
