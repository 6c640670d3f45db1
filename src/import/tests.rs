//! The mapping, type by type and column by column, on sheets built in memory.

use super::*;
use serde_json::json;

fn sheet(name: &str, rows: &[&[&str]]) -> Sheet {
    Sheet {
        name: name.to_string(),
        rows: rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect(),
    }
}

/// A form of a survey sheet, a choices sheet (when it has rows) and a settings sheet (when it
/// has rows).
fn book(survey: &[&[&str]], choices: &[&[&str]], settings: &[&[&str]]) -> Workbook {
    let mut sheets = vec![sheet("survey", survey)];
    if !choices.is_empty() {
        sheets.push(sheet("choices", choices));
    }
    if !settings.is_empty() {
        sheets.push(sheet("settings", settings));
    }
    Workbook { sheets }
}

/// The converted questionnaire (as JSON) and its warnings as `cell: message`.
fn conv(b: &Workbook) -> (serde_json::Value, Vec<String>) {
    let out = convert(b, "form.xlsx").unwrap_or_else(|e| panic!("{e:#?}"));
    // Always a questionnaire anketa loads.
    crate::questionnaire::load("form.json", &out.json).expect("loads");
    let w = out
        .warnings
        .iter()
        .map(|d| format!("{}: {}", d.location, d.message))
        .collect();
    (serde_json::from_str(&out.json).unwrap(), w)
}

/// The items of all blocks (rosters and their items too), in order.
fn questions(q: &serde_json::Value) -> Vec<serde_json::Value> {
    fn items(qs: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        for x in qs.as_array().unwrap() {
            out.push(x.clone());
            if x["type"] == "roster" {
                items(&x["questions"], out);
            }
        }
    }
    let mut out = Vec::new();
    for b in q["blocks"].as_array().unwrap() {
        items(&b["questions"], &mut out);
    }
    out
}

fn question(q: &serde_json::Value, id: &str) -> serde_json::Value {
    questions(q)
        .into_iter()
        .find(|x| x["id"] == id)
        .unwrap_or_else(|| panic!("no question {id} in {q:#}"))
}

fn has(warnings: &[String], part: &str) {
    assert!(
        warnings.iter().any(|w| w.contains(part)),
        "no warning with {part:?}: {warnings:#?}"
    );
}

const YN: &[&[&str]] = &[
    &["list_name", "name", "label"],
    &["yn", "yes", "Yes"],
    &["yn", "no", "No"],
];

#[test]
fn column_letters_are_the_spreadsheets() {
    assert_eq!(column_letters(0), "A");
    assert_eq!(column_letters(3), "D");
    assert_eq!(column_letters(25), "Z");
    assert_eq!(column_letters(26), "AA");
    assert_eq!(column_letters(27), "AB");
    assert_eq!(column_letters(701), "ZZ");
    assert_eq!(column_letters(702), "AAA");
}

#[test]
fn select_one_and_select_multiple_take_their_list_and_or_other_adds_a_specify_option() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label"],
            &["select_one yn", "a", "A?"],
            &["select_multiple yn", "b", "B?"],
            &["select_one yn or_other", "c", "C?"],
        ],
        YN,
        &[],
    ));
    assert!(w.is_empty(), "{w:?}");
    let a = question(&q, "a");
    assert_eq!(a["type"], "single");
    assert_eq!(
        a["options"],
        json!([{"code": "yes", "label": "Yes"}, {"code": "no", "label": "No"}])
    );
    assert_eq!(question(&q, "b")["type"], "multi");
    let c = question(&q, "c");
    assert_eq!(
        c["options"][2],
        json!({"code": "other", "label": "Other", "other": true})
    );
}

#[test]
fn a_select_of_a_missing_list_is_dropped_with_a_warning() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label"],
            &["select_one nolist", "a", "A?"],
            &["text", "t", "T"],
        ],
        YN,
        &[],
    ));
    assert_eq!(questions(&q).len(), 1);
    has(&w, "survey!A2: list `nolist` is not in the choices sheet");
}

#[test]
fn codes_with_blanks_are_joined_in_a_select_multiple_and_kept_in_a_select_one() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label"],
            &["select_multiple l", "m", "M"],
            &["select_one l", "s", "S"],
        ],
        &[&["list_name", "name", "label"], &["l", "a b", "AB"], &["l", "c", "C"]],
        &[],
    ));
    assert_eq!(question(&q, "m")["options"][0]["code"], "a_b");
    assert_eq!(question(&q, "s")["options"][0]["code"], "a b");
    has(&w, "survey!A2: code `a b` of list l has blanks");
}

#[test]
fn numbers_integer_decimal_and_range() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "parameters"],
            &["integer", "i", "I"],
            &["decimal", "d", "D"],
            &["range", "r", "R", "start=0 end=5"],
            &["range", "r2", "R2", "start=0;end=1;step=0.5"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "i")["integer"], true);
    assert_eq!(question(&q, "d")["integer"], false);
    let r = question(&q, "r");
    assert_eq!(
        (r["type"].as_str(), r["min"].as_i64(), r["max"].as_i64()),
        (Some("number"), Some(0), Some(5))
    );
    assert_eq!(r["integer"], true);
    assert_eq!(question(&q, "r2")["integer"], false);
    has(&w, "survey!A5: range step 0.5");
}

#[test]
fn text_multiline_is_long_text_and_time_is_text_with_a_warning() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "appearance"],
            &["text", "t", "T"],
            &["text", "l", "L", "multiline"],
            &["date", "d", "D"],
            &["time", "tm", "TM"],
            &["dateTime", "dt", "DT"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "t")["type"], "text");
    assert_eq!(question(&q, "l")["type"], "long_text");
    assert_eq!(question(&q, "d")["type"], "date");
    assert_eq!(question(&q, "tm")["type"], "text");
    assert_eq!(question(&q, "dt")["type"], "text");
    has(&w, "survey!A5: time tm: asked as text");
    has(&w, "survey!A6: datetime dt: asked as text");
    assert!(!w.iter().any(|x| x.contains("multiline")), "{w:?}");
}

#[test]
fn note_calculate_acknowledge_and_hidden() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "calculation"],
            &["integer", "n", "N"],
            &["note", "nt", "Thanks ${n}"],
            &["calculate", "c", "", "${n} * 2"],
            &["acknowledge", "ok", "Ready?"],
            &["hidden", "h", "", "1"],
            &["hidden", "h2"],
        ],
        &[],
        &[],
    ));
    let nt = question(&q, "nt");
    assert_eq!(
        (nt["type"].as_str(), nt["text"].as_str()),
        (Some("note"), Some("Thanks ${n}"))
    );
    assert!(nt.get("required").is_none());
    let c = question(&q, "c");
    assert_eq!(
        (c["type"].as_str(), c["calculation"].as_str()),
        (Some("calculate"), Some("${n} * 2"))
    );
    assert!(c.get("text").is_none() && c.get("required").is_none());
    let ok = question(&q, "ok");
    assert_eq!(ok["type"], "single");
    assert_eq!(ok["options"], json!([{"code": "OK", "label": "OK"}]));
    assert_eq!(question(&q, "h")["type"], "calculate");
    assert_eq!(questions(&q).len(), 5);
    has(&w, "survey!A7: hidden h2 without a calculation: dropped");
}

#[test]
fn groups_become_blocks_inner_conditions_are_anded_and_loose_questions_get_a_block() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant"],
            &["integer", "age", "Age"],
            &["begin group", "hh", "Household", "${age} >= 18"],
            &["integer", "size", "Size"],
            &["begin_group", "inner", "", "${size} > 1"],
            &["text", "who", "Who?", "${size} < 10"],
            &["end_group"],
            &["text", "after", "After"],
            &["end group"],
            &["text", "last", "Last"],
        ],
        &[],
        &[],
    ));
    assert!(w.is_empty(), "{w:?}");
    let blocks = q["blocks"].as_array().unwrap();
    let ids: Vec<&str> = blocks.iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["main", "hh", "main_2"]);
    assert_eq!(blocks[1]["relevant"], "${age} >= 18");
    assert_eq!(blocks[1]["title"], "Household");
    assert_eq!(question(&q, "who")["relevant"], "(${size} > 1) and (${size} < 10)");
    assert_eq!(question(&q, "after").get("relevant"), None);
}

#[test]
fn a_group_condition_on_its_own_questions_goes_into_each_question() {
    let (q, _) = conv(&book(
        &[
            &["type", "name", "label", "relevant"],
            &["begin group", "g", "G", "${a} = 1"],
            &["integer", "a", "A"],
            &["integer", "b", "B"],
            &["end group"],
        ],
        &[],
        &[],
    ));
    assert_eq!(q["blocks"][0].get("relevant"), None);
    assert_eq!(question(&q, "b")["relevant"], "${a} = 1");
}

#[test]
fn unclosed_groups_and_stray_ends_are_repaired_with_warnings() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label"],
            &["end group"],
            &["begin group", "g", "G"],
            &["text", "t", "T"],
        ],
        &[],
        &[],
    ));
    assert_eq!(q["blocks"][0]["id"], "g");
    has(&w, "survey!A2: `end group` without a matching begin");
    has(&w, "survey!A3: group not closed");
}

#[test]
fn a_top_level_repeat_is_a_block_of_one_roster_with_its_count() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "hint", "relevant", "repeat_count"],
            &["integer", "hh_size", "How many people?"],
            &[
                "begin repeat",
                "member",
                "Members",
                "One per person",
                "${hh_size} > 0",
                "${hh_size}",
            ],
            &["text", "mname", "Name of person ${pos}"],
            &["integer", "age", "Age of ${mname}?"],
            &["calculate", "pos", "", "", "", ""],
            &["end repeat"],
            &["text", "after", "After"],
        ],
        &[],
        &[],
    ));
    let ids: Vec<&str> = q["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["main", "member", "main_2"]);
    let block = &q["blocks"][1];
    assert_eq!(block["title"], "Members");
    assert_eq!(block.get("relevant"), None);
    assert_eq!(block["questions"].as_array().unwrap().len(), 1);
    let r = &block["questions"][0];
    assert_eq!(
        (&r["id"], &r["type"], &r["text"], &r["hint"]),
        (
            &json!("member"),
            &json!("roster"),
            &json!("Members"),
            &json!("One per person")
        )
    );
    assert_eq!(r["count"], "${hh_size}");
    assert_eq!(r["relevant"], "${hh_size} > 0");
    assert_eq!(r.get("label"), None, "ODK has no instance label: anketa shows № k");
    let inner: Vec<&str> = r["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(inner, ["mname", "age", "pos"]);
    // Inside the roster a reference is the same instance's: kept as written.
    assert_eq!(r["questions"][1]["text"], "Age of ${mname}?");
    has(&w, "survey!A6: calculate pos without a calculation");
    assert!(!w.iter().any(|x| x.contains("repeat")), "{w:#?}");
}

#[test]
fn repeat_count_a_number_or_no_add_remove_and_what_is_not_used() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "repeat_count", "jr:noAddRemove"],
            &["begin repeat", "three", "Three", "3"],
            &["text", "a", "A"],
            &["end repeat"],
            &["begin repeat", "fixed", "Fixed", "", "true()"],
            &["text", "b", "B"],
            &["end repeat"],
            &["begin repeat", "free", "Free", "2.5", "${a} = 'x'"],
            &["text", "c", "C"],
            &["end repeat"],
            &["begin repeat", "empty", "Empty"],
            &["geopoint", "gps", "Where?"],
            &["end repeat"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "three")["count"], "3");
    // noAddRemove without a count: the one instance of the form, nothing added.
    assert_eq!(question(&q, "fixed")["count"], "1");
    assert_eq!(question(&q, "free").get("count"), None);
    has(&w, "survey!D8: repeat_count `2.5` is not a whole number: not used");
    has(&w, "survey!E8: noAddRemove `${a} = 'x'` is an expression: not used");
    has(
        &w,
        "survey!A11: repeat `empty` has no question anketa can ask: left out",
    );
    assert!(!w.iter().any(|x| x.contains("group `empty`")), "{w:#?}");
    assert_eq!(q["blocks"].as_array().unwrap().len(), 3);
}

#[test]
fn nested_repeats_are_nested_rosters_and_groups_inside_give_their_questions() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant", "repeat_count"],
            &["integer", "hh_size", "How many people?"],
            &["begin group", "hh", "Household"],
            &["begin group", "adults", "Adults", "${hh_size} > 1"],
            &["begin repeat", "member", "Member", "", "${hh_size}"],
            &["integer", "age", "Age?"],
            &["begin group", "work", "Work", "${age} >= 15"],
            &["integer", "n_jobs", "How many jobs?"],
            &["begin repeat", "jobs", "Job", "", "${n_jobs}"],
            &["text", "employer", "Employer?"],
            &["integer", "hours", "Hours?", "${age} < 70"],
            &["calculate", "job_no", "", "", ""],
            &["end repeat"],
            &["end group"],
            &["end repeat"],
            &["end group"],
            &["text", "note_hh", "Anything else?"],
            &["end group"],
        ],
        &[],
        &[],
    ));
    let hh = &q["blocks"][1];
    assert_eq!(hh["id"], "hh");
    let member = &hh["questions"][0];
    assert_eq!(member["type"], "roster");
    // The condition of the group around the repeat is the roster's.
    assert_eq!(member["relevant"], "${hh_size} > 1");
    assert_eq!(member["count"], "${hh_size}");
    assert_eq!(hh["questions"][1]["id"], "note_hh");
    let ids: Vec<&str> = member["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["age", "n_jobs", "jobs"]);
    // A group inside the repeat: its condition goes into its questions and its roster.
    assert_eq!(question(&q, "n_jobs")["relevant"], "${age} >= 15");
    let jobs = question(&q, "jobs");
    assert_eq!(jobs["relevant"], "${age} >= 15");
    assert_eq!(jobs["count"], "${n_jobs}");
    assert_eq!(jobs["questions"][0]["id"], "employer");
    // An outer roster's question is its current instance's, inside the inner roster.
    assert_eq!(question(&q, "hours")["relevant"], "${age} < 70");
    has(&w, "survey!A12: calculate job_no without a calculation");
}

#[test]
fn repeat_expressions_position_count_and_indexed_repeat_are_kept() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "calculation", "relevant"],
            &["begin repeat", "member", "Member"],
            &["text", "mname", "Name"],
            &["integer", "age", "Age"],
            &["calculate", "no", "", "position(..)"],
            &["calculate", "no2", "", "position(current()/..)"],
            &[
                "text",
                "older",
                "Older than the first?",
                "",
                "../age > indexed-repeat(/data/member/age, /data/member, 1)",
            ],
            &["end repeat"],
            &["calculate", "n", "", "count(/data/member)"],
            &["calculate", "total", "", "sum(${age})"],
            &["calculate", "oldest", "", "max(${age})"],
            &["calculate", "first", "", "indexed-repeat(${mname}, ${member}, 1)"],
            &["calculate", "names", "", "join(', ', ${mname})"],
            &["note", "show", "First: ${first}, of ${n}"],
            &["begin repeat", "visit", "Visit"],
            &["begin repeat", "stop", "Stop"],
            &["text", "place", "Place"],
            &["end repeat"],
            &["end repeat"],
            &[
                "calculate",
                "first_stop",
                "",
                "indexed-repeat(/data/visit/stop/place, /data/visit, 1, /data/visit/stop, 2)",
            ],
        ],
        &[],
        &[],
    ));
    assert!(w.is_empty(), "{w:#?}");
    assert_eq!(question(&q, "no")["calculation"], "position(..)");
    assert_eq!(question(&q, "no2")["calculation"], "position(..)");
    assert_eq!(
        question(&q, "older")["relevant"],
        "${age} > indexed-repeat(${age}, ${member}, 1)"
    );
    assert_eq!(question(&q, "n")["calculation"], "count(${member})");
    assert_eq!(question(&q, "total")["calculation"], "sum(${age})");
    assert_eq!(
        question(&q, "first")["calculation"],
        "indexed-repeat(${mname}, ${member}, 1)"
    );
    // ODK's form for a nested repeat: a group and an index for each level.
    assert_eq!(
        question(&q, "first_stop")["calculation"],
        "indexed-repeat(${place}, ${visit}, 1, ${stop}, 2)"
    );
}

#[test]
fn a_plain_reference_into_a_repeat_from_outside_is_refused_at_its_cell() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant", "calculation", "repeat_count"],
            &["begin repeat", "member", "Member", "", "", "${age}"],
            &["text", "mname", "Name"],
            &["integer", "age", "Age"],
            &["end repeat"],
            &["text", "why", "Why is ${mname} so old?", "${age} > 90"],
            &["calculate", "n_old", "", "", "count(${age})"],
            &["calculate", "a1", "", "", "${age} + 1"],
        ],
        &[],
        &[],
    ));
    // An aggregate is fine…
    assert_eq!(question(&q, "n_old")["calculation"], "count(${age})");
    // …one value where there are many is refused by anketa: dropped, warned at the cell.
    let why = question(&q, "why");
    assert_eq!(why.get("relevant"), None);
    has(
        &w,
        "survey!D6: relevant of `why` refused by anketa: `age` is asked in each instance of the roster `member`: here it has many values; dropped",
    );
    assert_eq!(question(&q, "a1")["calculation"], "''");
    has(
        &w,
        "survey!E8: calculation of `a1` refused by anketa: `age` is asked in each instance",
    );
    // A pipe of it is removed from the text.
    assert_eq!(why["text"], "Why is  so old?");
    has(&w, "survey!C6: text of `why`: the pipe ${mname} is refused by anketa");
    // A count of the roster's own questions cannot be known before its instances.
    assert_eq!(question(&q, "member").get("count"), None);
    has(
        &w,
        "survey!F2: repeat_count of `member` refused by anketa: refers to a question of this roster, `age`",
    );
}

#[test]
fn repeats_nested_deeper_than_anketa_allows_are_an_error_naming_the_row() {
    let mut rows: Vec<&[&str]> = vec![&["type", "name", "label"]];
    for _ in 0..4 {
        rows.push(&["begin repeat", "r", "R"]);
    }
    rows.push(&["text", "t", "T"]);
    for _ in 0..4 {
        rows.push(&["end repeat"]);
    }
    let e = convert(&book(&rows, &[], &[]), "form.xlsx").unwrap_err();
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].location, "survey!A5");
    assert_eq!(
        e[0].message,
        "repeat `r` is nested 4 deep: anketa's rosters nest at most 3 levels"
    );
    // Three levels are fine.
    let begins = [
        ["begin repeat", "a", "R"],
        ["begin repeat", "b", "R"],
        ["begin repeat", "c", "R"],
    ];
    let mut rows: Vec<&[&str]> = vec![&["type", "name", "label"]];
    for begin in &begins {
        rows.push(begin);
    }
    rows.push(&["text", "t", "T"]);
    for _ in 0..3 {
        rows.push(&["end repeat"]);
    }
    let (q, _) = conv(&book(&rows, &[], &[]));
    assert_eq!(question(&q, "c")["questions"][0]["id"], "t");
}

#[test]
fn a_loop_over_a_list_is_asked_once_as_a_group() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label"],
            &["begin loop over yn", "each", "Each"],
            &["integer", "n", "How many %(label)s?"],
            &["end loop"],
        ],
        YN,
        &[],
    ));
    assert_eq!(q["blocks"][0]["id"], "each");
    assert_eq!(question(&q, "n")["type"], "number");
    has(&w, "survey!A2: loop `each` over a list: asked once, as a group");
}

#[test]
fn metadata_is_dropped_with_one_note_and_today_reads_as_today() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant"],
            &["start", "start"],
            &["end", "end"],
            &["today", "td"],
            &["deviceid", "dev"],
            &["date", "d", "D", "${td} != ''"],
        ],
        &[],
        &[],
    ));
    assert_eq!(questions(&q).len(), 1);
    assert_eq!(question(&q, "d")["relevant"], "today() != ''");
    assert_eq!(
        w,
        ["survey!A2: metadata start, end, td, dev dropped: anketa records its own"]
    );
}

#[test]
fn geopoint_and_media_are_dropped_per_row_and_read_as_unanswered() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant"],
            &["geopoint", "gps", "Where?"],
            &["image", "photo", "Photo"],
            &["text", "why", "Why no GPS?", "${gps} = ''"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "why")["relevant"], "'' = ''");
    has(&w, "survey!A2: geopoint gps: dropped");
    has(&w, "survey!A3: image photo: dropped");
    has(&w, "survey!D4: relevant refers to `gps`, which is dropped");
}

#[test]
fn required_defaults_to_no_and_an_expression_is_warned() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "required"],
            &["text", "a", "A"],
            &["text", "b", "B", "yes"],
            &["text", "c", "C", "TRUE"],
            &["text", "d", "D", "${a} != ''"],
            &["note", "n", "N", "yes"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "a")["required"], false);
    assert_eq!(question(&q, "b")["required"], true);
    assert_eq!(question(&q, "c")["required"], true);
    assert_eq!(question(&q, "d")["required"], false);
    has(&w, "survey!D5: required `${a} != ''` is an expression");
    has(&w, "survey!D6: required on a note: ignored");
}

#[test]
fn relevant_constraint_and_its_message() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant", "constraint", "constraint_message"],
            &["integer", "a", "A", "", ". >= 0 and . <= 120", "Between 0 and 120"],
            &["text", "b", "B", "${a} > 5", "", "orphan"],
        ],
        &[],
        &[],
    ));
    let a = question(&q, "a");
    assert_eq!(a["constraint"], ". >= 0 and . <= 120");
    assert_eq!(a["constraint_message"], "Between 0 and 120");
    assert_eq!(question(&q, "b")["relevant"], "${a} > 5");
    has(&w, "survey!F3: constraint_message without a constraint");
}

#[test]
fn choice_filters_read_the_extra_choice_columns_as_attributes() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "choice_filter"],
            &["select_one region", "region", "Region"],
            &["select_one district", "district", "District", "region = ${region}"],
        ],
        &[
            &["list_name", "name", "label", "region"],
            &["region", "n", "North"],
            &["region", "s", "South"],
            &["district", "d1", "D1", "n"],
            &["district", "d2", "D2", "s"],
        ],
        &[],
    ));
    assert!(w.is_empty(), "{w:?}");
    let d = question(&q, "district");
    assert_eq!(d["choice_filter"], "region = ${region}");
    assert_eq!(d["options"][1]["attributes"], json!({"region": "s"}));
}

#[test]
fn defaults_static_and_computed() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "default"],
            &["integer", "n", "N", "3"],
            &["select_one yn", "s", "S", "yes"],
            &["text", "t", "T", "concat('a', 'b')"],
            &["integer", "m", "M", "${n} + 1"],
            &["select_one yn", "bad", "Bad", "maybe"],
        ],
        YN,
        &[],
    ));
    assert_eq!(question(&q, "n")["default"], 3);
    assert_eq!(question(&q, "s")["default"], "yes");
    assert_eq!(question(&q, "t")["default_calculation"], "concat('a', 'b')");
    assert_eq!(question(&q, "m")["default_calculation"], "${n} + 1");
    assert_eq!(question(&q, "bad").get("default"), None);
    has(&w, "survey!D6: default of `bad` refused by anketa");
}

#[test]
fn read_only_trigger_and_appearance_are_warned_unless_meaningful() {
    let (_, w) = conv(&book(
        &[
            &["type", "name", "label", "read_only", "trigger", "appearance"],
            &["text", "a", "A", "yes", "", "numbers"],
            &["integer", "b", "B", "", "${a}", "minimal"],
            &["select_one yn", "c", "C", "", "", "likert"],
        ],
        YN,
        &[],
    ));
    has(&w, "survey!D2: read_only");
    has(&w, "survey!F2: appearance `numbers` has no meaning in a terminal");
    has(&w, "survey!E3: trigger is not supported");
    assert_eq!(w.len(), 3, "{w:#?}");
}

#[test]
fn xpath_paths_become_references_and_instance_lookups_are_dropped() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant"],
            &["integer", "a", "A"],
            &["begin group", "g", "G"],
            &["integer", "b", "B", "/data/a > 1"],
            &["integer", "c", "C", "../b > 2 and current()/../a < 3"],
            &["integer", "d", "D", "instance('x')/root/item[name = 1]/label = 'y'"],
            &["integer", "e", "E", "/data/g/nosuch = 1"],
            &["end group"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "b")["relevant"], "${a} > 1");
    assert_eq!(question(&q, "c")["relevant"], "${b} > 2 and ${a} < 3");
    assert_eq!(question(&q, "d").get("relevant"), None);
    assert_eq!(question(&q, "e").get("relevant"), None);
    has(
        &w,
        "survey!D6: relevant `instance('x')/root/item[name = 1]/label = 'y'` cannot be used: it reads instance(…)",
    );
    has(
        &w,
        "survey!D7: relevant `/data/g/nosuch = 1` cannot be used: the path `/data/g/nosuch` does not name a question",
    );
}

#[test]
fn invalid_and_duplicate_names_are_mapped_and_references_follow() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant"],
            &["integer", "1st q", "First"],
            &["integer", "dup", "Dup"],
            &["integer", "dup", "Dup again"],
            &["text", "t", "T ${1st q}", "${1st q} > 1"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "_1st_q")["text"], "First");
    assert_eq!(question(&q, "dup_2")["text"], "Dup again");
    let t = question(&q, "t");
    assert_eq!(
        (t["relevant"].as_str(), t["text"].as_str()),
        (Some("${_1st_q} > 1"), Some("T ${_1st_q}"))
    );
    has(&w, "survey!B2: `1st q` is not a valid anketa name: it is `_1st_q`");
    has(&w, "survey!B4: name `dup` is used twice: this one is `dup_2`");
}

#[test]
fn duplicate_choices_keep_the_first_and_missing_labels_use_the_name() {
    let (q, w) = conv(&book(
        &[&["type", "name", "label"], &["select_one l", "s", ""]],
        &[
            &["list_name", "name", "label"],
            &["l", "a", "A"],
            &["l", "a", "A again"],
            &["l", "b", ""],
        ],
        &[],
    ));
    let s = question(&q, "s");
    assert_eq!(s["text"], "s");
    assert_eq!(
        s["options"],
        json!([{"code": "a", "label": "A"}, {"code": "b", "label": "b"}])
    );
    has(&w, "choices!B3: list l has the choice `a` twice (first at row 2)");
    has(&w, "choices!C4: choice `b` of list l has no label");
    has(&w, "survey!C2: s has no label");
}

#[test]
fn language_columns_make_language_maps() {
    let (q, w) = conv(&book(
        &[
            &["TYPE", "Name", "Label::English (en)", "label::fr", "hint::English (en)"],
            &["select_one yn", "a", "Yes or no?", "Oui ou non ?", "Say it"],
        ],
        &[
            &["list_name", "name", "label::English (en)", "label::fr"],
            &["yn", "yes", "Yes", "Oui"],
            &["yn", "no", "No", "Non"],
        ],
        &[&["form_id", "default_language"], &["f", "English (en)"]],
    ));
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(q["language"], "en");
    let a = question(&q, "a");
    assert_eq!(a["text"], json!({"en": "Yes or no?", "fr": "Oui ou non ?"}));
    assert_eq!(a["hint"], json!({"en": "Say it"}));
    assert_eq!(a["options"][1]["label"], json!({"en": "No", "fr": "Non"}));
}

#[test]
fn a_language_without_a_code_is_named_from_its_column() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label::English", "label::Kiswahili"],
            &["text", "a", "Name", "Jina"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "a")["text"], json!({"en": "Name", "kis": "Jina"}));
    assert_eq!(
        w,
        ["survey!D1: language `Kiswahili` has no code: anketa calls it `kis`"]
    );
}

#[test]
fn settings_give_id_version_and_title() {
    let (q, w) = conv(&book(
        &[&["type", "name", "label"], &["text", "a", "A"]],
        &[],
        &[
            &["form_id", "version", "form_title", "instance_name"],
            &["HH Survey-2024", "2024.1", "Household survey", "concat(${a})"],
        ],
    ));
    assert_eq!(q["id"], "hh_survey_2024");
    assert_eq!(q["version"], "2024.1");
    assert_eq!(q["title"], "Household survey");
    has(&w, "settings!A2: form_id `HH Survey-2024` is not a valid anketa id");
    // No name per interview in anketa: warned at the value's cell, with what to do.
    has(
        &w,
        "settings!D2: instance_name `concat(${a})` is not used: anketa's lists show an interview's district",
    );
    assert!(!w.iter().any(|x| x.contains("setting `instance_name`")), "{w:#?}");
    // Without settings: the file's name, version 1.
    let (q, _) = conv(&book(&[&["type", "name", "label"], &["text", "a", "A"]], &[], &[]));
    assert_eq!((q["id"].as_str(), q["version"].as_str()), (Some("form"), Some("1")));
}

#[test]
fn expressions_anketa_refuses_are_dropped_with_the_cell() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant", "calculation"],
            &["select_one yn", "a", "A"],
            &["text", "b", "B", "${a} = 'maybe'"],
            &["text", "c", "C", "pulldata('f', 'x', 'y', ${a}) = 1"],
            &["calculate", "k", "", "", "nosuchfn(1)"],
        ],
        YN,
        &[],
    ));
    assert_eq!(question(&q, "b").get("relevant"), None);
    assert_eq!(question(&q, "c").get("relevant"), None);
    assert_eq!(question(&q, "k")["calculation"], "''");
    has(
        &w,
        "survey!D3: relevant of `b` refused by anketa: question `a` has no option `maybe`",
    );
    has(
        &w,
        "survey!D4: relevant `pulldata('f', 'x', 'y', ${a}) = 1` cannot be used: pulldata() reads a CSV file",
    );
    has(&w, "survey!E5: calculation `nosuchfn(1)` cannot be used");
}

#[test]
fn curly_quotes_from_autocorrect_are_read_as_straight_ones() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "relevant"],
            &["select_one yn", "a", "A"],
            &["text", "b", "B", "${a} = ‘yes’"],
            &["text", "c", "C", "${b} = 'don’t'"],
        ],
        YN,
        &[],
    ));
    assert_eq!(question(&q, "b")["relevant"], "${a} = 'yes'");
    assert_eq!(question(&q, "c")["relevant"], "${b} = 'don’t'");
    assert_eq!(
        w,
        ["survey!D3: relevant `${a} = ‘yes’` has curly quotes: read as `${a} = 'yes'`"]
    );
}

#[test]
fn unknown_columns_and_sheets_are_warned_once_at_their_header() {
    let b = Workbook {
        sheets: vec![
            sheet(
                "survey",
                &[
                    &["type", "name", "label", "db:doc"],
                    &["text", "a", "A", "x"],
                    &["text", "b", "B", "y"],
                ],
            ),
            sheet("external_choices", &[&["list_name"]]),
        ],
    };
    let (_, w) = conv(&b);
    assert_eq!(
        w,
        [
            "survey!D1: column `db:doc` is not an XLSForm column anketa knows: not used",
            "external_choices: sheet `external_choices` is not read",
        ]
    );
}

#[test]
fn nameless_and_overlong_names_get_names_that_fit() {
    let long = "x".repeat(70);
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label"],
            &["text", "", "No name"],
            &["text", &long, "L1"],
            &["text", &long, "L2"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "row2")["text"], "No name");
    let ids: Vec<String> = questions(&q)
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[1].len(), 64);
    assert_eq!(ids[2], format!("{}_2", "x".repeat(62)));
    has(&w, "survey!B2: text without a name: it is `row2`");
}

#[test]
fn warnings_come_in_the_order_of_the_form() {
    let (_, w) = conv(&book(
        &[
            &["type", "name", "label"],
            &["geopoint", "g", "G"],
            &["text", "t", ""],
            &["select_one l", "s", "S"],
        ],
        &[&["list_name", "name", "label"], &["l", "a", ""]],
        &[&["form_id", "style"], &["f", "pages"]],
    ));
    let cells: Vec<&str> = w.iter().map(|x| x.split(':').next().unwrap()).collect();
    assert_eq!(cells, ["survey!A2", "survey!C3", "choices!C2", "settings!B1"]);
}

#[test]
fn a_form_without_survey_type_or_questions_is_an_error() {
    let e = convert(
        &Workbook {
            sheets: vec![sheet("Sheet1", &[&["a"]])],
        },
        "f.xlsx",
    )
    .unwrap_err();
    assert!(e[0].message.contains("no `survey` sheet (sheets: Sheet1)"), "{e:?}");
    let e = convert(&book(&[&["name", "label"]], &[], &[]), "f.xlsx").unwrap_err();
    assert_eq!(e[0].location, "survey!A1");
    let e = convert(&book(&[&["type", "name"], &["geopoint", "g"]], &[], &[]), "f.xlsx").unwrap_err();
    assert!(
        e.last().unwrap().message.contains("no question anketa can ask"),
        "{e:?}"
    );
}

#[test]
fn the_output_is_deterministic_and_ends_with_a_newline() {
    let b = book(
        &[
            &["type", "name", "label"],
            &["select_one yn", "a", "A"],
            &["integer", "n", "N"],
        ],
        YN,
        &[],
    );
    let one = convert(&b, "form.xlsx").unwrap().json;
    assert_eq!(one, convert(&b, "form.xlsx").unwrap().json);
    assert!(one.ends_with("}\n"));
    assert!(one.find("\"id\"").unwrap() < one.find("\"version\"").unwrap());
}

/// A deliberately sloppy form: every repair and warning, in the order of the form, as printed.
#[test]
fn the_warnings_of_a_sloppy_form() {
    let b = Workbook {
        sheets: vec![
            sheet(
                "survey",
                &[
                    &["type", "name", "label", "required", "relevant", "appearance", "db:id"],
                    &["start", "start"],
                    &["select_one yn", "consent", "Consent?", "yes"],
                    &["begin group", "hh", "Household", "", "${consent} = ‘yes’"],
                    &["integer", "size", "", "yes"],
                    &["select_one colours", "fav", "Colour", "${size} > 2"],
                    &["geopoint", "gps", "Where?"],
                    &["text", "why", "Why no GPS?", "", "${gps} = ''", "numbers"],
                    &["begin repeat", "member", "Member"],
                    &["text", "size", "Name"],
                    &["time", "woke", "Woke up at"],
                    &["end repeat"],
                    &["note", "", "Done", "", "pulldata('f', 'a', 'b', 'c') = 1"],
                ],
            ),
            sheet(
                "choices",
                &[
                    &["list_name", "name", "label"],
                    &["yn", "yes", "Yes"],
                    &["yn", "no", ""],
                    &["yn", "yes", "Yes again"],
                ],
            ),
            sheet(
                "settings",
                &[&["form_id", "submission_url"], &["My Form", "https://example.org"]],
            ),
        ],
    };
    let out = convert(&b, "sloppy.xlsx").unwrap();
    crate::questionnaire::load("sloppy.json", &out.json).expect("loads");
    let text: String = out
        .warnings
        .iter()
        .map(|w| w.to_string().replacen("error: ", "warning: ", 1) + "\n")
        .collect();
    insta::assert_snapshot!("sloppy_form_warnings", text);
}

#[test]
fn a_repeat_label_piping_its_own_answers_labels_each_instance() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label"],
            &["begin group", "hh", "Household of ${mname}"],
            &["begin repeat", "member", "Member: ${mname}"],
            &["text", "mname", "Name"],
            &["end repeat"],
            &["end group"],
            &["begin repeat", "visit", "Visit ${vdate}"],
            &["date", "vdate", "Date?"],
            &["end repeat"],
        ],
        &[],
        &[],
    ));
    // ODK shows such a label per instance: anketa's instance label; the title goes without it.
    let member = question(&q, "member");
    assert_eq!(
        (&member["text"], &member["label"]),
        (&json!("Member"), &json!("Member: ${mname}"))
    );
    let visit = question(&q, "visit");
    assert_eq!(
        (&visit["text"], &visit["label"]),
        (&json!("Visit"), &json!("Visit ${vdate}"))
    );
    assert_eq!(q["blocks"][1]["title"], "Visit");
    // Outside the repeat a pipe of its answers is refused: removed, at the cell.
    assert_eq!(q["blocks"][0]["title"], "Household of ");
    has(
        &w,
        "survey!C2: the group's label: the pipe ${mname} is refused by anketa",
    );
    assert_eq!(w.len(), 1, "{w:#?}");
}

#[test]
fn single_colon_bind_headers_and_blank_language_headers_are_read() {
    // ODK Build and old pyxform wrote `bind:relevant`; KoBo's `required message:English`.
    let (q, w) = conv(&book(
        &[
            &[
                "type",
                "name",
                "label:English",
                "bind:relevant",
                "bind:constraint",
                "constraint message:English",
                "required",
                "control:appearance",
            ],
            &["integer", "age", "Age?", "", ". > 0", "Positive, please", "yes", ""],
            &["text", "why", "Why?", "${age} > 90", "", "", "", "multiline"],
        ],
        &[],
        &[],
    ));
    let age = question(&q, "age");
    assert_eq!(age["constraint"], ". > 0");
    assert_eq!(age["constraint_message"], json!({"en": "Positive, please"}));
    let why = question(&q, "why");
    assert_eq!(why["relevant"], "${age} > 90");
    assert_eq!(why["type"], "long_text");
    assert!(!w.iter().any(|x| x.contains("column")), "{w:#?}");
}

#[test]
fn disabled_rows_are_left_out_with_a_warning_each() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "disabled"],
            &["integer", "age", "Age?", ""],
            &["text", "old", "Old question", "yes"],
            &["text", "kept", "Kept", "no"],
        ],
        &[],
        &[],
    ));
    let ids: Vec<_> = questions(&q).iter().map(|x| x["id"].clone()).collect();
    assert_eq!(ids, vec![json!("age"), json!("kept")]);
    assert_eq!(w, vec!["survey!D3: row `old` is disabled: left out"]);
}

#[test]
fn surveycto_calculate_here_is_a_calculate_and_its_metadata_types_are_dropped_once() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "calculation"],
            &["caseid", "caseid"],
            &["text audit", "audit"],
            &["speed violations count", "sv"],
            &["sensor_statistic pct_quiet", "quiet"],
            &["integer", "n", "How many?"],
            &["calculate_here", "twice", "", "${n} * 2"],
            &["comments", "remarks"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "twice")["type"], "calculate");
    assert_eq!(question(&q, "twice")["calculation"], "${n} * 2");
    // `text audit` is metadata, not a text question named `audit`.
    assert_eq!(questions(&q).len(), 2, "{q:#}");
    assert_eq!(
        w,
        vec!["survey!A2: metadata caseid, audit, sv, quiet, remarks dropped: anketa records its own"]
    );
}

#[test]
fn a_kobo_matrix_is_asked_once_as_a_group_like_a_loop() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label", "kobo--matrix_list"],
            &["begin_kobomatrix", "m1", "Assets", "assets"],
            &["integer", "q2", "How many?"],
            &["end_kobomatrix"],
        ],
        &[&["list_name", "name", "label"], &["assets", "car", "Car"]],
        &[],
    ));
    assert_eq!(q["blocks"][0]["id"], "m1");
    assert_eq!(question(&q, "q2")["type"], "number");
    assert_eq!(w.len(), 1, "{w:#?}");
    has(&w, "survey!A2: loop `m1` over a list: asked once, as a group");
}

#[test]
fn pipes_of_dropped_questions_notes_and_unknown_names_are_removed_saying_which() {
    let (q, w) = conv(&book(
        &[
            &["type", "name", "label"],
            &["geopoint", "gps", "Where?"],
            &["note", "intro", "Hello"],
            &["integer", "n", "How many?"],
            &["text", "t", "At ${gps}, after ${intro}, with ${nobody}: ${n}?"],
        ],
        &[],
        &[],
    ));
    assert_eq!(question(&q, "t")["text"], "At , after , with : ${n}?");
    has(
        &w,
        "survey!C5: text pipes `${gps}`, a dropped question (see its row): removed",
    );
    has(
        &w,
        "survey!C5: text pipes `${intro}`, a note, which has no value in anketa: removed",
    );
    has(
        &w,
        "survey!C5: text pipes `${nobody}`, no question of this form: removed",
    );
}
