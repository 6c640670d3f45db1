//! One test per validation error kind, each asserting the message a user sees.

use super::*;
use crate::test_support::has_all;
use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "id": "t",
        "version": "1",
        "title": "T",
        "language": "ru",
        "blocks": [
            {"id": "b1", "title": "B1", "questions": [
                {"id": "kind", "type": "single", "text": "Тип", "options": [
                    {"code": "ngo", "label": "НКО"}, {"code": "tos", "label": "ТОС"}
                ]},
                {"id": "n", "type": "number", "text": "Сколько", "min": 0, "max": 10},
                {"id": "goals", "type": "multi", "text": "Цели", "max": 2, "options": [
                    {"code": "a", "label": "A"}, {"code": "b", "label": "B"},
                    {"code": "dk", "label": "Затрудняюсь", "exclusive": true, "missing": "dont_know"}
                ]}
            ]},
            {"id": "b2", "title": "B2", "questions": [
                {"id": "why", "type": "text", "text": "Почему", "relevant": "${kind} = 'tos'"}
            ]}
        ]
    })
}

fn errors(v: &Value) -> Vec<String> {
    match load("t.json", &serde_json::to_string_pretty(v).unwrap()) {
        Ok(_) => vec![],
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

fn one_error(edit: impl FnOnce(&mut Value)) -> String {
    let mut v = base();
    edit(&mut v);
    let e = errors(&v);
    assert_eq!(e.len(), 1, "expected one error, got {e:#?}");
    e[0].clone()
}

#[test]
fn base_is_valid() {
    assert!(errors(&base()).is_empty());
    let q = load("t.json", &base().to_string()).unwrap();
    assert_eq!(q.questions.len(), 4);
    assert_eq!(q.blocks[1].questions, 3..4);
    assert_eq!(q.sha256.len(), 64);
}

#[test]
fn json_syntax_error_has_line_and_column() {
    let e = load("t.json", "{\n  \"id\": \"t\",\n  \"version\" \"1\"\n}").unwrap_err();
    assert_eq!(e.len(), 1);
    let s = e[0].to_string();
    assert!(
        s.starts_with("error: t.json: line 3, column 13: invalid JSON: expected `:`"),
        "{s}"
    );
    assert!(s.contains("  \"version\" \"1\"\n"), "{s}");
}

#[test]
fn unknown_field_is_refused_with_suggestion() {
    let e = one_error(|v| {
        v["blocks"][0]["questions"][1]["relevnat"] = json!("${kind} = 'ngo'");
    });
    assert_eq!(
        e,
        "error: t.json: blocks[0].questions[1].relevnat: unknown field `relevnat` in a question\n  hint: did you mean `relevant`?"
    );
}

#[test]
fn duplicate_question_id() {
    let e = one_error(|v| v["blocks"][1]["questions"][0]["id"] = json!("n"));
    assert!(
        e.contains("blocks[1].questions[0].id: duplicate question id `n` (also blocks[0].questions[1])"),
        "{e}"
    );
}

#[test]
fn duplicate_option_code() {
    let e = one_error(|v| v["blocks"][0]["questions"][0]["options"][0]["code"] = json!("tos"));
    assert!(
        e.contains("blocks[0].questions[0].options[1].code: duplicate option code `tos` (also options[0])"),
        "{e}"
    );
}

#[test]
fn unknown_reference_with_did_you_mean() {
    let e = one_error(|v| v["blocks"][1]["questions"][0]["relevant"] = json!("${knd} = 'tos'"));
    assert_eq!(
        e,
        "error: t.json: blocks[1].questions[0].relevant: unknown question `knd`\n  ${knd} = 'tos'\n  ^^^^^^ did you mean `kind`?"
    );
}

#[test]
fn a_later_question_may_be_referred_to_but_not_in_a_cycle() {
    // `n` asked only when `why` (a later question) is unanswered: evaluated after `why`.
    let mut v = base();
    v["blocks"][0]["questions"][1]["relevant"] = json!("${why} = ''");
    let q = load("t.json", &v.to_string()).unwrap();
    let pos = |id: &str| q.order.iter().position(|&i| q.questions[i].id == id).unwrap();
    assert!(pos("why") < pos("n") && pos("kind") < pos("why"), "{:?}", q.order);
    assert_eq!(q.order.len(), q.questions.len());
    // …but `why` cannot in turn depend on `n`.
    let e = one_error(|v| {
        v["blocks"][0]["questions"][1]["relevant"] = json!("${why} = ''");
        v["blocks"][1]["questions"][0]["relevant"] = json!("${n} > 1");
    });
    has_all(
        &e,
        &[
            "blocks[0].questions[1].relevant",
            "refer to each other in a cycle: n → why → n",
            "break the cycle",
        ],
    );
    let e = one_error(|v| v["blocks"][0]["questions"][1]["relevant"] = json!("${n} > 1"));
    assert!(e.contains("refers to itself, `n`"), "{e}");
}

#[test]
fn calculations_are_checked_like_conditions() {
    let calc = |c: Value| move |v: &mut Value| v["blocks"][1]["questions"].as_array_mut().unwrap().push(c);
    let mut v = base();
    calc(json!({"id": "double", "type": "calculate", "calculation": "${n} * 2"}))(&mut v);
    let q = load("t.json", &v.to_string()).unwrap();
    let d = q.question("double").unwrap();
    assert!(d.kind.is_numeric() && !d.is_asked() && d.is_answerable() && !d.required);
    let e = one_error(calc(json!({"id": "c", "type": "calculate"})));
    assert!(e.contains("a calculate question has no `calculation`"), "{e}");
    let e = one_error(calc(
        json!({"id": "c", "type": "calculate", "calculation": "${nn} + 1"}),
    ));
    assert!(
        e.contains("calculation: unknown question `nn`") && e.contains("did you mean `n`?"),
        "{e}"
    );
    let e = one_error(calc(json!({"id": "c", "type": "calculate", "calculation": "${c} + 1"})));
    assert!(e.contains("refers to itself, `c`"), "{e}");
    let e = one_error(calc(
        json!({"id": "c", "type": "calculate", "calculation": "1", "required": true}),
    ));
    assert!(e.contains("`required` does not apply to a calculate question"), "{e}");
    let e = one_error(calc(
        json!({"id": "c", "type": "calculate", "calculation": "${kind} = 'tos' and ${c2}"}),
    ));
    assert!(e.contains("unknown question `c2`"), "{e}");
    // Two calculations feeding each other.
    let mut v = base();
    calc(json!({"id": "c1", "type": "calculate", "calculation": "${c2} + 1"}))(&mut v);
    calc(json!({"id": "c2", "type": "calculate", "calculation": "${c1} + 1"}))(&mut v);
    let e = errors(&v);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].contains("cycle: c1 → c2 → c1"), "{}", e[0]);
    // `calculation` only on calculations.
    let e = one_error(|v| v["blocks"][0]["questions"][1]["calculation"] = json!("1"));
    assert!(e.contains("`calculation` does not apply to a number question"), "{e}");
}

#[test]
fn expression_syntax_error_has_caret() {
    let e = one_error(|v| v["blocks"][1]["questions"][0]["relevant"] = json!("${kind} == 'tos'"));
    assert_eq!(
        e,
        "error: t.json: blocks[1].questions[0].relevant: expression syntax error: expected a value, a ${reference} or a function here\n  ${kind} == 'tos'\n           ^ see docs/questionnaire-format.md, section Expressions"
    );
}

#[test]
fn unknown_option_code_in_expression() {
    let e = one_error(|v| v["blocks"][1]["questions"][0]["relevant"] = json!("${kind} = 'toss'"));
    has_all(
        &e,
        &["question `kind` has no option `toss`", "^^^^^^ did you mean `tos`?"],
    );
    let e = one_error(|v| v["blocks"][1]["questions"][0]["relevant"] = json!("selected(${goals}, 'c')"));
    assert!(e.contains("question `goals` has no option `c`"), "{e}");
}

#[test]
fn min_greater_than_max() {
    let e = one_error(|v| v["blocks"][0]["questions"][1]["min"] = json!(20));
    assert!(
        e.contains("blocks[0].questions[1]: min (20) is greater than max (10)"),
        "{e}"
    );
    let e = one_error(|v| v["blocks"][0]["questions"][2]["min"] = json!(3));
    assert!(e.contains("min (3) is greater than max (2)"), "{e}");
}

#[test]
fn exclusive_on_single_is_refused() {
    let e = one_error(|v| v["blocks"][0]["questions"][0]["options"][0]["exclusive"] = json!(true));
    assert!(
        e.contains("options[0].exclusive: `exclusive` applies only to options of a multi question"),
        "{e}"
    );
}

#[test]
fn min_max_on_text_is_refused() {
    let e = one_error(|v| v["blocks"][1]["questions"][0]["max"] = json!(3));
    assert!(
        e.contains("blocks[1].questions[0].max: `max` does not apply to a text question"),
        "{e}"
    );
}

#[test]
fn bad_identifier() {
    let e = one_error(|v| v["blocks"][0]["questions"][1]["id"] = json!("Вопрос1"));
    assert!(e.contains("question id `Вопрос1` is not a valid variable name"), "{e}");
    let e = one_error(|v| v["blocks"][0]["questions"][1]["id"] = json!("a".repeat(65)));
    assert!(e.contains("is not a valid variable name"), "{e}");
    for bad in ["1q", "q 1", "-q", ".q", "q$"] {
        let e = one_error(|v| v["blocks"][0]["questions"][1]["id"] = json!(bad));
        assert!(e.contains("is not a valid variable name"), "{bad}: {e}");
    }
    let e = one_error(|v| v["blocks"][0]["id"] = json!("Блок"));
    assert!(e.contains("block id `Блок` is not a valid name"), "{e}");
}

#[test]
fn names_and_codes_as_xlsform_allows_them() {
    // Names of real XLSForms: capitals, `_` first, `.` and `-`, up to 64 characters; codes such
    // as `-999`, `1.5`, `Yes`, `Don't know` (not in a multi); a list of one option.
    let mut v = base();
    let long = format!("q{}", "x".repeat(63));
    v["blocks"][0]["questions"][1]["id"] = json!("Id10010");
    v["blocks"][0]["questions"][0]["id"] = json!("_SvyDate.v-2");
    v["blocks"][1]["questions"][0]["relevant"] = json!("${_SvyDate.v-2} = 'Yes' and ${Id10010} > 1");
    v["blocks"][1]["questions"][0]["id"] = json!(long);
    v["blocks"][0]["questions"][0]["options"] = json!([
        {"code": "Yes", "label": "Да"}, {"code": "-999", "label": "Нет ответа"},
        {"code": "1.5", "label": "Полтора"}, {"code": "Don't know", "label": "Не знаю"}
    ]);
    v["blocks"][0]["questions"][2]["options"] = json!([{"code": "only", "label": "Единственный"}]);
    v["blocks"][0]["questions"][2]["max"] = json!(1);
    let q = load("t.json", &v.to_string()).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(
        q.question("Id10010").is_some() && q.question("id10010").is_none(),
        "case-sensitive"
    );
    assert_eq!(q.questions[0].options[3].code, "Don't know");
    // A blank inside a multi's code, blanks at the ends, control characters: refused.
    let e = one_error(|v| v["blocks"][0]["questions"][2]["options"][0]["code"] = json!("a b"));
    assert!(
        e.contains("option code \"a b\" is not valid") && e.contains("separated by spaces"),
        "{e}"
    );
    let e = one_error(|v| v["blocks"][0]["questions"][0]["options"][0]["code"] = json!(" ngo"));
    assert!(e.contains("is not valid"), "{e}");
    let e = one_error(|v| v["blocks"][0]["questions"][0]["options"][0]["code"] = json!("n\u{7}go"));
    assert!(e.contains("is not valid"), "{e}");
    let e = one_error(|v| v["blocks"][0]["questions"][2]["options"] = json!([]));
    assert!(e.contains("at least 1 option, found none"), "{e}");
}

#[test]
fn unknown_type_with_suggestion() {
    let e = one_error(|v| v["blocks"][0]["questions"][1]["type"] = json!("nubmer"));
    assert!(
        e.contains("unknown question type `nubmer`\n  hint: did you mean `number`?"),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_refused() {
    let deep = format!("{}${{kind}} = 'tos'{}", "(".repeat(70), ")".repeat(70));
    let e = one_error(|v| v["blocks"][1]["questions"][0]["relevant"] = json!(deep));
    assert!(e.contains("nests deeper than 64 levels"), "{e}");
}

#[test]
fn huge_file_is_refused() {
    let big = " ".repeat(MAX_FILE_BYTES + 1);
    let e = load("big.json", &big).unwrap_err();
    assert!(e[0].to_string().contains("the limit is 10485760 (10 MB)"), "{}", e[0]);
}

#[test]
fn all_errors_are_collected() {
    let mut v = base();
    v["blocks"][0]["questions"][1]["min"] = json!(20);
    v["blocks"][0]["questions"][0]["options"][0]["code"] = json!("tos");
    v["blocks"][1]["questions"][0]["colour"] = json!("red");
    v["blocks"][1]["title"] = json!(5);
    assert_eq!(errors(&v).len(), 4, "{:#?}", errors(&v));
}

#[test]
fn wrong_value_types() {
    let e = one_error(|v| v["blocks"][0]["questions"][1]["required"] = json!("yes"));
    assert!(
        e.contains("blocks[0].questions[1].required: expected true or false, found a string"),
        "{e}"
    );
    let e = one_error(|v| v["blocks"][0]["questions"][1]["max"] = json!("10"));
    assert!(e.contains("questions[1].max: expected a number, found a string"), "{e}");
}

#[test]
fn current_value_outside_checks_is_refused() {
    let e = one_error(|v| v["blocks"][1]["questions"][0]["relevant"] = json!(". = 'x'"));
    assert!(
        e.contains("`.` (the current answer) is meaningful only in constraint and warning"),
        "{e}"
    );
}

#[test]
fn language_maps() {
    let mut v = base();
    v["title"] = json!({"ru": "Анкета", "en": "Questionnaire"});
    let q = load("t.json", &v.to_string()).unwrap();
    assert_eq!(q.title.get("en", "ru"), "Questionnaire");
    assert_eq!(q.title.get("de", "ru"), "Анкета");
    let e = one_error(|v| v["title"] = json!({"ru": 1}));
    assert!(e.contains("title.ru: expected a string, found a number"), "{e}");
}

#[test]
fn bundled_questionnaires_are_valid() {
    for (name, src) in BUNDLED {
        let q = load(name, src).unwrap_or_else(|e| panic!("{name}: {}", e[0]));
        assert!(!q.questions.is_empty());
    }
    assert!(bundled("nko").is_some());
    assert!(bundled("omsu").is_some());
}

#[test]
fn self_reference_in_a_check_points_to_dot() {
    let e = one_error(|v| v["blocks"][0]["questions"][1]["constraint"] = json!("${n} > 1"));
    has_all(&e, &["refers to itself, `n`", "use `.` for the current answer"]);
}

#[test]
fn only_one_other_option_per_question() {
    let e = one_error(|v| {
        v["blocks"][0]["questions"][0]["options"][0]["other"] = json!(true);
        v["blocks"][0]["questions"][0]["options"][1]["other"] = json!(true);
    });
    assert!(
        e.contains("options[1].other: a question can have only one `other` option"),
        "{e}"
    );
}

#[test]
fn language_code_is_checked() {
    let e = one_error(|v| v["language"] = json!("russian"));
    assert!(e.contains("language: `russian` is not a language code"), "{e}");
}

#[test]
fn block_condition_on_its_own_question() {
    let e = one_error(|v| v["blocks"][1]["relevant"] = json!("${why} = ''"));
    assert!(
        e.contains("blocks[1].relevant: refers to a question of this block, `why`"),
        "{e}"
    );
}

/// The note's Tables 1–3 are side-by-side НКО | ОМСУ: their items must exist in both instruments
/// with identical variable names and codes (13 problems, 5 + 5 proposals).
#[test]
fn tables_1_to_3_are_parallel_in_both_instruments() {
    let nko = bundled("nko").unwrap();
    let omsu = bundled("omsu").unwrap();
    for (var, items) in [("problems", 13), ("proposals_omsu", 5), ("proposals_nko", 5)] {
        let a = nko.question(var).unwrap_or_else(|| panic!("nko lacks {var}"));
        let b = omsu.question(var).unwrap_or_else(|| panic!("omsu lacks {var}"));
        assert!(
            matches!(a.kind, Kind::Multi { .. }) && matches!(b.kind, Kind::Multi { .. }),
            "{var}"
        );
        let codes = |q: &Question| q.options.iter().map(|o| o.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes(a), codes(b), "{var}");
        let substantive = a.options.iter().filter(|o| o.missing.is_none() && !o.other).count();
        assert_eq!(substantive, items, "{var}");
        assert!(
            a.options
                .iter()
                .any(|o| o.exclusive && o.missing == Some(Missing::DontKnow)),
            "{var}"
        );
    }
}

/// Every variable asked on both sides is parallel: same type, same codes in the same order.
#[test]
fn shared_variables_have_identical_codes() {
    let nko = bundled("nko").unwrap();
    let omsu = bundled("omsu").unwrap();
    let mut shared = 0;
    for a in &nko.questions {
        if let Some(b) = omsu.question(&a.id) {
            shared += 1;
            assert_eq!(a.kind.name(), b.kind.name(), "{}", a.id);
            let codes = |q: &Question| q.options.iter().map(|o| o.code.clone()).collect::<Vec<_>>();
            assert_eq!(codes(a), codes(b), "{}", a.id);
        }
    }
    assert!(shared >= 20, "{shared}");
    assert_eq!(nko.question("district").unwrap().options.len(), 32);
}

/// The survey is anonymous: no question asks for a name, phone or address.
#[test]
fn instruments_ask_nothing_identifying() {
    for id in ["nko", "omsu"] {
        let q = bundled(id).unwrap();
        for qq in &q.questions {
            let t = q.tr(&qq.text).to_lowercase();
            for word in ["фамили", "имя ", "телефон", "адрес", "e-mail", "паспорт"] {
                assert!(!t.contains(word) || qq.kind == Kind::Note, "{id}.{}: {t}", qq.id);
            }
        }
    }
}

#[test]
fn short_title_names_the_instrument_and_must_be_short() {
    let q = load("t.json", &base().to_string()).unwrap();
    assert_eq!(q.short_name(), "t", "without one, the id");
    let mut v = base();
    v["short_title"] = json!({"ru": "НКО", "en": "NGO"});
    assert_eq!(load("t.json", &v.to_string()).unwrap().short_name(), "НКО");
    let e = one_error(|v| v["short_title"] = json!("Мониторинг СО НКО и ОМСУ"));
    assert!(
        e.starts_with(
            "error: t.json: short_title: `Мониторинг СО НКО и ОМСУ` is 24 columns wide; a short title has 1 to 16"
        ),
        "{e}"
    );
    assert!(e.contains("use an abbreviation"), "{e}");
    let e = one_error(|v| v["short_title"] = json!({"ru": "НКО", "en": " "}));
    assert!(
        e.starts_with("error: t.json: short_title.en: the short title is blank"),
        "{e}"
    );
    // Spaces count: what is measured is what is shown.
    let padded = format!("{}X", " ".repeat(20));
    let e = one_error(|v| v["short_title"] = json!(padded));
    assert!(e.contains("is 21 columns wide"), "{e}");
}

/// Interviews name their questionnaire by id, version and SHA-256, and the interviewer, merge and
/// report find it by all three: a bundled file that changed under the same version would orphan
/// every interview made with it (a merge or report without the old file refuses them, and a
/// laptop would list two copies of one version). Change a bundled questionnaire only together
/// with a new `version`, then pin its new hash here.
#[test]
fn bundled_questionnaires_change_only_with_a_new_version() {
    for (name, version, sha256) in [
        (
            "nko",
            "2021.1",
            "8ba17c8554473111a6377994347db0bb0b2526105691fa7bac6cc3adcdab1bc8",
        ),
        (
            "omsu",
            "2021.1",
            "f865e53decc13fd3c47c0df05d85356a1168302780c0c66947e5b7d85ec4a42c",
        ),
        (
            "demo",
            "1",
            "318d4be09dd6380814ace87289e395fd4c79992f3d7f2dd496e0a5f12af19bbc",
        ),
        (
            "engine",
            "1",
            "6aee9fa5a2a1fc124e84e931ee39dc82c8713005bfe7ac8ac9e1558445617352",
        ),
    ] {
        let q = bundled(name).unwrap();
        assert_eq!(
            (q.version.as_str(), q.sha256.as_str()),
            (version, sha256),
            "bundled `{name}` changed: give it a new version and pin the new hash"
        );
    }
}

#[test]
fn the_monitoring_instruments_are_named_as_in_the_note() {
    assert_eq!(bundled("nko").unwrap().short_name(), "НКО");
    assert_eq!(bundled("omsu").unwrap().short_name(), "ОМСУ");
    assert_eq!(bundled("demo").unwrap().short_name(), "demo");
}

#[test]
fn piped_names_in_texts_must_be_questions_with_answers() {
    let e = one_error(|v| v["blocks"][1]["questions"][0]["text"] = json!("Почему ${knd}?"));
    has_all(
        &e,
        &[
            "blocks[1].questions[0].text: unknown question `knd` piped into the text",
            "Почему ${knd}?",
            "       ^^^^^^ did you mean `kind`?",
        ],
    );
    let e = one_error(|v| {
        v["blocks"][0]["questions"][0]["options"][0]["label"] = json!({"ru": "НКО (${nn})", "en": "NGO"})
    });
    assert!(
        e.contains("blocks[0].questions[0].options[0].label.ru: unknown question `nn`"),
        "{e}"
    );
    let mut v = base();
    v["blocks"][1]["questions"][0]["text"] = json!("Почему ${kind}, а не ${goals}? (${n})");
    v["blocks"][1]["intro"] = json!("Про ${kind}");
    assert!(errors(&v).is_empty(), "{:#?}", errors(&v));
}

#[test]
fn defaults_must_fit_their_question() {
    let e = one_error(|v| v["blocks"][0]["questions"][0]["default"] = json!("toss"));
    has_all(
        &e,
        &[
            "blocks[0].questions[0].default: no option has the code `toss`",
            "did you mean `tos`?",
        ],
    );
    let e = one_error(|v| v["blocks"][0]["questions"][1]["default"] = json!(11));
    assert!(e.contains("the default 11 is outside min..max"), "{e}");
    let e = one_error(|v| v["blocks"][0]["questions"][1]["default"] = json!("5"));
    assert!(e.contains("a number question's default cannot be a string"), "{e}");
    let e = one_error(|v| {
        v["blocks"][0]["questions"][1]["default"] = json!(5);
        v["blocks"][0]["questions"][1]["default_calculation"] = json!("1");
    });
    assert!(e.contains("both `default` and `default_calculation`"), "{e}");
    let e = one_error(|v| v["blocks"][0]["questions"][1]["default_calculation"] = json!("${nope} + 1"));
    assert!(e.contains("default_calculation: unknown question `nope`"), "{e}");
    // A default_calculation is evaluated once: it may use a later question without a cycle.
    let mut v = base();
    v["blocks"][0]["questions"][1]["default_calculation"] = json!("string-length(${why})");
    v["blocks"][1]["questions"][0]["relevant"] = json!("${n} > 0");
    assert!(errors(&v).is_empty(), "{:#?}", errors(&v));
    v["blocks"][0]["questions"][2]["default"] = json!("a b");
    let q = load("t.json", &v.to_string()).unwrap();
    assert_eq!(
        q.questions[2].default,
        Some(QuestionDefault::Value(crate::record::AnswerValue::Codes(vec![
            "a".into(),
            "b".into()
        ])))
    );
}

#[test]
fn choice_filters_read_option_attributes_by_bare_name() {
    let mut v = base();
    v["blocks"][0]["questions"][2]["options"][0]["attributes"] = json!({"kind": "ngo", "size": 3});
    v["blocks"][0]["questions"][2]["choice_filter"] = json!("kind = ${kind} or name = 'dk'");
    let q = load("t.json", &v.to_string()).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(q.questions[2].options[0].attr("size"), Some("3"));
    let e = one_error(|v| {
        v["blocks"][0]["questions"][2]["options"][0]["attributes"] = json!({"kind": "ngo"});
        v["blocks"][0]["questions"][2]["choice_filter"] = json!("knd = ${kind}");
    });
    has_all(
        &e,
        &[
            "choice_filter: no option has the attribute `knd`",
            "did you mean `kind`?",
        ],
    );
    let e = one_error(|v| v["blocks"][0]["questions"][1]["choice_filter"] = json!("1"));
    assert!(e.contains("`choice_filter` does not apply to a number question"), "{e}");
    let e = one_error(|v| v["blocks"][0]["questions"][2]["options"][0]["attributes"] = json!({"name": "x"}));
    assert!(e.contains("`name` cannot name an attribute"), "{e}");
    // A bare name anywhere else is text missing its quotes.
    let e = one_error(|v| v["blocks"][1]["questions"][0]["relevant"] = json!("${kind} = tos"));
    assert!(e.contains("`tos` is not a value: text must be quoted ('tos')"), "{e}");
}

/// `base` with a roster `members` (count `${n}`) in block 1 holding `age`, `name` and a nested
/// roster `jobs` (interviewer-driven) holding `job`.
fn with_roster() -> Value {
    let mut v = base();
    v["blocks"][0]["questions"].as_array_mut().unwrap().push(json!(
        {"id": "members", "type": "roster", "text": "Члены семьи", "count": "${n}", "label": "${name}", "questions": [
            {"id": "name", "type": "text", "text": "Имя"},
            {"id": "age", "type": "number", "text": "Возраст ${name}"},
            {"id": "jobs", "type": "roster", "text": "Работы ${name}", "min": 0, "max": 5, "questions": [
                {"id": "job", "type": "text", "text": "Работа ${name}", "relevant": "${age} >= 16"}
            ]},
            {"id": "n_jobs", "type": "calculate", "calculation": "count(${jobs})"}
        ]}
    ));
    v["blocks"][1]["questions"].as_array_mut().unwrap().push(json!(
        {"id": "oldest", "type": "calculate", "calculation": "max(${age}) + 0 * count(${members}) + 0 * indexed-repeat(${age}, ${members}, 1)"}
    ));
    v
}

#[test]
fn a_nested_roster_is_read_with_its_place_and_scope() {
    let q = load("t.json", &with_roster().to_string()).unwrap();
    assert_eq!(q.rosters.len(), 2);
    let (m, j) = (&q.rosters[0], &q.rosters[1]);
    assert_eq!((m.id.as_str(), m.parent, m.block), ("members", None, 0));
    assert_eq!(
        (j.id.as_str(), j.parent, j.max, j.min),
        ("jobs", Some(0), Some(5), Some(0))
    );
    assert!(m.count.is_some() && j.count.is_none());
    // Questions stay one flat list; a roster's questions are a run of it, nested ones included.
    let idx = |n: &str| q.index_of(n).unwrap();
    assert_eq!(m.questions, idx("name")..idx("n_jobs") + 1);
    assert_eq!(j.questions, idx("job")..idx("job") + 1);
    assert_eq!(q.questions[idx("age")].roster, Some(0));
    assert_eq!(q.questions[idx("job")].roster, Some(1));
    assert_eq!(q.questions[idx("oldest")].roster, None);
    assert!(q.reads_one(Some(0), Some(1)) && !q.reads_one(Some(1), Some(0)) && !q.reads_one(Some(0), None));
    assert_eq!(q.roster_chain(Some(1)), vec![0, 1]);
    // The aggregate outside is ordered after what it reads.
    let pos = |n: &str| q.order.iter().position(|&i| i == idx(n)).unwrap();
    assert!(pos("oldest") > pos("age"));
}

#[test]
fn roster_errors_name_the_place_and_the_fix() {
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = with_roster();
        f(&mut v);
        let e = errors(&v);
        assert_eq!(e.len(), 1, "expected one error, got {e:#?}");
        e[0].clone()
    };
    fn roster(v: &mut Value) -> &mut Value {
        &mut v["blocks"][0]["questions"][3]
    }
    let e = edit(&|v| roster(v)["min"] = json!(1));
    has_all(&e, &["blocks[0].questions[3].min", "without `count`"]);
    let e = edit(&|v| roster(v)["questions"][2]["max"] = json!(5000));
    has_all(&e, &["questions[3].questions[2].max", "limit of 1000"]);
    let e = edit(&|v| roster(v)["questions"][2]["questions"] = json!([]));
    has_all(
        &e,
        &["questions[3].questions[2].questions", "the roster has no questions"],
    );
    let e = edit(&|v| roster(v)["count"] = json!("${age}"));
    has_all(&e, &["questions[3].count", "question of this roster, `age`"]);
    let e = edit(&|v| v["blocks"][1]["questions"][1]["calculation"] = json!("${age} + 1"));
    has_all(
        &e,
        &[
            "blocks[1].questions[1].calculation",
            "each instance of the roster `members`",
            "sum(${age})",
        ],
    );
    let e = edit(&|v| v["blocks"][1]["questions"][1]["calculation"] = json!("${members} + 1"));
    has_all(&e, &["`members` is a roster", "count(${members})"]);
    let e = edit(&|v| v["blocks"][1]["questions"][1]["calculation"] = json!("indexed-repeat(${age}, ${n}, 1)"));
    has_all(
        &e,
        &["repeat groups of indexed-repeat()", "are rosters; `n` is a question"],
    );
    // Nested groups: one level each, from the outermost in, the question in the last.
    let calc = |c: &'static str| move |v: &mut Value| v["blocks"][1]["questions"][1]["calculation"] = json!(c);
    let e = edit(&calc("indexed-repeat(${job}, ${members}, 1, ${jobs})"));
    has_all(
        &e,
        &["blocks[1].questions[1].calculation", "3, 5 or 7 arguments, found 4"],
    );
    let e = edit(&calc("indexed-repeat(${job}, ${jobs}, 1, ${members}, 1)"));
    has_all(
        &e,
        &[
            "`members` is not a roster directly inside `jobs`",
            "from the outermost in",
        ],
    );
    let e = edit(&calc("indexed-repeat(${age}, ${members}, 1, ${jobs}, 1)"));
    has_all(&e, &["`age` is not asked in the roster `jobs`"]);
    let e = edit(&calc("indexed-repeat(${job}, ${members}, 1, ${n}, 1)"));
    has_all(&e, &["are rosters; `n` is a question"]);
    let mut v = with_roster();
    calc("indexed-repeat(${job}, ${members}, 2, ${jobs}, 1) + ''")(&mut v);
    assert!(errors(&v).is_empty(), "{:#?}", errors(&v));
    let e = edit(&|v| v["blocks"][1]["questions"][0]["text"] = json!("Возраст: ${age}"));
    has_all(&e, &["blocks[1].questions[0].text", "cannot show one of its answers"]);
    let e = edit(&|v| roster(v)["questions"][2]["questions"][0]["id"] = json!("members"));
    has_all(&e, &["duplicate question id `members`", "rosters' names included"]);
    // Four levels deep is one too many.
    let e = edit(&|v| {
        let inner = json!({"id": "r3", "type": "roster", "text": "R3", "questions": [
            {"id": "r4", "type": "roster", "text": "R4", "questions": [{"id": "x", "type": "text", "text": "X"}]}
        ]});
        roster(v)["questions"][2]["questions"]
            .as_array_mut()
            .unwrap()
            .push(inner);
    });
    has_all(&e, &["nested 4 deep", "at most 3"]);
}
