//! XLSForm import: the sheets of an XLSForm (ODK, KoBoToolbox, SurveyCTO) converted to an anketa
//! questionnaire (JSON text), leniently: what anketa cannot do is dropped or approximated, each
//! time with a warning naming the cell (`survey!D14`) and a hint.
//!
//! Pure: no file I/O. [`crate::store`] reads the workbook into a [`Workbook`] of text cells;
//! [`convert`] maps it and checks the result with [`crate::questionnaire::load`] (an expression
//! anketa refuses is dropped with a warning; anything else refused is a bug of the importer).
//! The mapping is documented in `docs/xlsform.md`.

mod expr;
mod names;
mod question;
mod sheets;
#[cfg(test)]
mod tests;

use crate::diag::Diagnostic;
use crate::questionnaire::MAX_ROSTER_DEPTH;
use names::{block_id, lang_code, valid_name};
use question::question;
use serde::Serialize;
use serde_json::Value;
use sheets::{read_choices, read_settings};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One sheet: its name and its rows of cells as text (row 1 first, column A first).
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    /// The sheet's name as written (`survey`, `Choices`…).
    pub name: String,
    /// The cells; rows may differ in length.
    pub rows: Vec<Vec<String>>,
}

/// A workbook: its sheets in order.
#[derive(Debug, Clone, Default)]
pub struct Workbook {
    /// The sheets.
    pub sheets: Vec<Sheet>,
}

/// A converted form.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The questionnaire JSON (pretty, fields in a fixed order), accepted by `anketa check`.
    pub json: String,
    /// What was dropped, approximated or repaired, each naming its cell (`survey!D14`).
    pub warnings: Vec<Diagnostic>,
    /// The questionnaire's id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Questions by anketa type.
    pub by_type: BTreeMap<String, usize>,
    /// Number of blocks.
    pub blocks: usize,
    /// Number of rosters (repeats), nested ones included.
    pub rosters: usize,
    /// Language codes of the texts.
    pub languages: Vec<String>,
}

/// The column letters of a 0-based column index: 0 → `A`, 26 → `AA`.
pub fn column_letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// `sheet!D14` for a 0-based row and column.
fn cell(sheet: &str, row: usize, col: usize) -> String {
    format!("{sheet}!{}{}", column_letters(col), row + 1)
}

/// A sheet with its header row parsed: column base name (lowercase, `_` for blanks) and
/// language (as written after `::`).
struct Table<'a> {
    name: &'a str,
    rows: &'a [Vec<String>],
    cols: Vec<(String, Option<String>)>,
}

impl<'a> Table<'a> {
    fn new(sheet: &'a Sheet) -> Table<'a> {
        let header = sheet.rows.first().map(Vec::as_slice).unwrap_or_default();
        let choices = sheet.name.trim().eq_ignore_ascii_case("choices");
        let cols = header
            .iter()
            .map(|h| {
                let h = h.trim();
                let norm = |b: &str| b.trim().to_lowercase().replace(' ', "_");
                let (base, lang) = match h.split_once("::") {
                    Some((b, l)) => (b, Some(l.trim().to_string())),
                    // The older `label:English`, and `bind:relevant` (ODK Build, old pyxform).
                    None => match h.split_once(':') {
                        Some((b, l))
                            if TRANSLATABLE.contains(&column_alias(&norm(b), choices).as_str())
                                || PREFIXES.contains(&norm(b).as_str()) =>
                        {
                            (b, Some(l.trim().to_string()))
                        }
                        _ => (h, None),
                    },
                };
                let base = column_alias(&norm(base), choices);
                // `bind::relevant`, `control::appearance`, `bind::jr:constraintMsg`.
                match (base.as_str(), lang.as_deref()) {
                    (p, Some(rest)) if PREFIXES.contains(&p) => (column_alias(&norm(rest), choices), None),
                    _ => (base, lang),
                }
            })
            .collect();
        Table {
            name: &sheet.name,
            rows: &sheet.rows,
            cols,
        }
    }

    /// The column index of a plain (language-less) column.
    fn col(&self, base: &str) -> Option<usize> {
        self.cols.iter().position(|(b, l)| b == base && l.is_none())
    }

    fn get(&self, row: usize, base: &str) -> Option<(&'a str, usize)> {
        let c = self.col(base)?;
        let v = self.rows.get(row)?.get(c)?.trim();
        (!v.is_empty()).then_some((v, c))
    }

    fn value(&self, row: usize, base: &str) -> &'a str {
        self.get(row, base).map_or("", |(v, _)| v)
    }

    fn cell(&self, row: usize, base: &str) -> String {
        let c = self.cols.iter().position(|(b, _)| b == base).unwrap_or(self.cols.len());
        cell(self.name, row, c)
    }

    fn is_blank(&self, row: usize) -> bool {
        self.rows[row].iter().all(|c| c.trim().is_empty())
    }
}

/// What a reference to an XLSForm name becomes in an anketa expression.
#[derive(Debug, Clone)]
enum Target {
    /// A question, under its anketa name.
    Question(String),
    /// A dropped question: the expression that stands for it (`''`, unanswered; `today()`).
    Dropped(&'static str),
    /// A note: anketa refuses references to notes; it reads as its label would be empty.
    Note,
}

struct Settings {
    id: String,
    version: String,
    title: String,
    default_language: Option<String>,
}

#[derive(Serialize)]
struct QnJson {
    id: String,
    version: String,
    title: String,
    language: String,
    blocks: Vec<BlockJson>,
}

#[derive(Serialize)]
struct BlockJson {
    id: String,
    title: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    relevant: Option<String>,
    questions: Vec<QJson>,
}

#[derive(Serialize, Default, Clone)]
struct QJson {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relevant: Option<String>,
    /// A roster's number of instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    constraint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    constraint_message: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Vec<OptJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integer: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    calculation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_calculation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    choice_filter: Option<String>,
    /// A roster's label of an instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<Value>,
    /// A roster's items.
    #[serde(skip_serializing_if = "Option::is_none")]
    questions: Option<Vec<QJson>>,
}

#[derive(Serialize, Clone)]
struct OptJson {
    code: String,
    label: Value,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    other: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: BTreeMap<String, String>,
}

/// A block being built.
struct BlockIr {
    json: BlockJson,
    relevant_cell: String,
    title_cell: String,
    row: usize,
    /// Made for a repeat at the top level (its one roster).
    repeat: bool,
}

/// An open `begin group` / `begin repeat`.
struct Frame {
    repeat: bool,
    row: usize,
    /// The rewritten `relevant` of a group inside a block or roster: AND-ed into its items.
    relevant: Option<String>,
    relevant_cell: String,
    /// The block it fills (top-level frames only).
    block: Option<usize>,
    /// A repeat's roster, its items collected as the rows come.
    roster: Option<QJson>,
}

/// The conditions (and their cells) of the groups around a row inside its innermost repeat
/// (or its block): AND-ed into what the row makes.
fn inner_conditions(stack: &[Frame]) -> Vec<(String, String)> {
    let from = stack.iter().rposition(|f| f.roster.is_some()).map_or(0, |i| i + 1);
    stack[from..]
        .iter()
        .filter_map(|f| f.relevant.clone().map(|e| (e, f.relevant_cell.clone())))
        .collect()
}

/// Conditions AND-ed: one as it is, more each in parentheses.
fn and_all(mut all: Vec<String>) -> Option<String> {
    match all.len() {
        0 | 1 => all.pop(),
        _ => Some(all.iter().map(|e| format!("({e})")).collect::<Vec<_>>().join(" and ")),
    }
}

/// The ids of items and of the items of rosters among them.
fn item_ids(items: &[QJson], into: &mut BTreeSet<String>) {
    for q in items {
        into.insert(q.id.clone());
        if let Some(qs) = &q.questions {
            item_ids(qs, into);
        }
    }
}

/// A `begin repeat` row as a roster (its items still to come): `label` its text, `relevant` the
/// conditions given, `repeat_count` (a number or an expression) its count, `noAddRemove`
/// without a count one instance.
fn roster(
    cx: &mut Cx,
    st: &Table,
    r: usize,
    id: String,
    relevant: Option<String>,
    cells: &mut HashMap<(String, &'static str), String>,
) -> QJson {
    let name = st.value(r, "name");
    let text = cx
        .text(st, r, "label")
        .unwrap_or_else(|| Value::String(if name.is_empty() { id.clone() } else { name.to_string() }));
    let hint = cx.text(st, r, "hint");
    let mut count = None;
    if let Some((v, c)) = st.get(r, "repeat_count") {
        let at = cell(st.name, r, c);
        count = match v.parse::<f64>() {
            Ok(n) if n >= 0.0 && n.fract() == 0.0 => Some(format!("{n}")),
            Ok(_) => {
                cx.warn(
                    at.clone(),
                    format!("repeat_count `{v}` is not a whole number: not used"),
                    "the interviewer adds the instances one by one",
                );
                None
            }
            Err(_) => cx.expr(v, &at, "repeat_count", false),
        };
        cells.insert((id.clone(), "count"), at);
    }
    if let Some((v, c)) = st.get(r, "noaddremove") {
        match v.to_lowercase().as_str() {
            "yes" | "true" | "1" | "true()" | "y" => {
                // Without a count, ODK shows the one instance of the form and no way to add
                // another; with one, anketa's counted roster has exactly its count already.
                if count.is_none() {
                    count = Some("1".to_string());
                }
            }
            "no" | "false" | "0" | "false()" | "n" => {}
            _ => cx.warn(
                cell(st.name, r, c),
                format!("noAddRemove `{v}` is an expression: not used"),
                "anketa's roster has a count or lets the interviewer add instances; give repeat_count",
            ),
        }
    }
    QJson {
        id,
        kind: "roster",
        text: Some(text),
        hint,
        relevant,
        count,
        questions: Some(Vec::new()),
        ..QJson::default()
    }
}

/// A repeat's label that pipes the repeat's own answers (`Member: ${name}`, which ODK shows per
/// instance) is the label of an instance; the roster's title is the label without those pipes
/// (the name of the repeat when nothing is left).
fn instance_label(ro: &mut QJson) {
    let mut own = BTreeSet::new();
    item_ids(ro.questions.as_deref().unwrap_or_default(), &mut own);
    let strings = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Object(m) => m.values().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    };
    let Some(text) = ro.text.clone() else { return };
    let pipes_own = |s: &str| crate::questionnaire::piped(s).any(|(n, _)| own.contains(n));
    if !strings(&text).iter().any(|s| pipes_own(s)) {
        return;
    }
    let strip = |s: &str| -> String {
        let mut out = String::new();
        let mut last = 0;
        for (n, r) in crate::questionnaire::piped(s) {
            if own.contains(n) {
                out.push_str(&s[last..r.start]);
                last = r.end;
            }
        }
        out.push_str(&s[last..]);
        let t = out.trim().trim_end_matches([':', '-', '–', '—', ',', '№', '#']).trim();
        if t.is_empty() { ro.id.clone() } else { t.to_string() }
    };
    ro.text = Some(match &text {
        Value::String(s) => Value::String(strip(s)),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(strip(v.as_str().unwrap_or_default()))))
                .collect(),
        ),
        other => other.clone(),
    });
    ro.label = Some(text);
}

/// An `end group`/`end repeat` (or the end of the form): a repeat's roster goes into the roster
/// or block around it; one left without items is left out (warned).
fn close(f: Frame, stack: &mut [Frame], blocks: &mut [BlockIr], cx: &mut Cx, sheet: &str, type_col: usize) {
    let Some(ro) = f.roster else { return };
    if ro.questions.as_ref().is_none_or(Vec::is_empty) {
        cx.warn(
            cell(sheet, f.row, type_col),
            format!("repeat `{}` has no question anketa can ask: left out", ro.id),
            "its questions were dropped (see the warnings above)",
        );
        return;
    }
    let mut ro = ro;
    instance_label(&mut ro);
    if let Some(p) = stack.iter_mut().rev().find_map(|g| g.roster.as_mut()) {
        p.questions.get_or_insert_with(Vec::new).push(ro);
    } else if let Some(b) = stack.first().map_or(f.block, |g| g.block) {
        blocks[b].json.questions.push(ro);
    }
}

/// The prefixes of pyxform's internal column names (`bind::relevant`, `control:appearance`).
const PREFIXES: &[&str] = &["bind", "control", "body"];

/// A column's name (lowercase, `_` for blanks) under the name anketa reads: pyxform's aliases
/// (`relevance`, `jr:constraintMsg`, `readonly`, `caption`, `count`…).
fn column_alias(base: &str, choices: bool) -> String {
    match base {
        "relevance" => "relevant",
        "jr:constraintmsg" | "constraint_msg" | "constraining_message" => "constraint_message",
        "jr:requiredmsg" | "requiredmsg" => "required_message",
        "readonly" => "read_only",
        "caption" => "label",
        "count" | "jr:count" => "repeat_count",
        "jr:noaddremove" | "noaddremove" => "noaddremove",
        "tag" => "name",
        "big-image" => "media",
        "list_name" | "list" => "list_name",
        "value" if choices => "name",
        "calculate" => "calculation",
        "choice_filter" | "choicefilter" => "choice_filter",
        b => b,
    }
    .to_string()
}

/// Columns that may be given per language.
const TRANSLATABLE: &[&str] = &[
    "label",
    "hint",
    "guidance_hint",
    "constraint_message",
    "required_message",
    "media",
    "image",
    "big-image",
    "audio",
    "video",
];

/// Metadata types: anketa records its own (start, end, the interviewer), so they are dropped.
const METADATA: &[&str] = &[
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "imei",
    "start-geopoint",
    "background-geopoint",
    "uri:deviceid",
    "uri:email",
    "uri:username",
    "uri:phonenumber",
    "uri:subscriberid",
    "uri:simserial",
    "instanceid",
    // SurveyCTO's: the case of case management, field comments, audits and sensors.
    "caseid",
    "comments",
    "text_audit",
    "audio_audit",
    "sensor_statistic",
    "sensor_stream",
    "speed_violations_count",
    "speed_violations_list",
    "speed_violations_audit",
];

/// Types a terminal cannot collect: dropped with a warning per row.
const UNSUPPORTED: &[&str] = &[
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "photo",
    "audio",
    "video",
    "file",
    "barcode",
    "background-audio",
    "osm",
    "xml-external",
    "csv-external",
    "select_one_from_file",
    "select_multiple_from_file",
    "select_one_external",
    "rank",
];

/// Survey columns read (others are warned about once, at their header).
const SURVEY_COLUMNS: &[&str] = &[
    "type",
    "name",
    "label",
    "hint",
    "guidance_hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "choice_filter",
    "default",
    "read_only",
    "appearance",
    "trigger",
    "parameters",
    "repeat_count",
    "noaddremove",
    "media",
    "image",
    "audio",
    "video",
    "note",
    "comments",
    "disabled",
    "kobo--matrix_list",
];

struct Cx<'a> {
    file: &'a str,
    warnings: Vec<Diagnostic>,
    /// Language columns: as written → code.
    langs: BTreeMap<String, String>,
    /// The code of the plain `label` column when there are language columns.
    default_lang: String,
    multilingual: bool,
    targets: HashMap<String, Target>,
}

impl Cx<'_> {
    fn warn(&mut self, at: impl Into<String>, msg: impl Into<String>, hint: impl Into<String>) {
        self.warnings.push(Diagnostic::new(self.file, at, msg).hint(hint));
    }

    /// The text of a column family (`label`, `label::English (en)`…) in a row: a plain string
    /// for a form without languages, else a language map; `None` when every cell is empty.
    fn text(&mut self, t: &Table, row: usize, base: &str) -> Option<Value> {
        let cells = t.rows.get(row)?;
        let mut map = BTreeMap::new();
        let mut plain = None;
        for (i, (b, lang)) in t.cols.iter().enumerate() {
            if b != base {
                continue;
            }
            let Some(v) = cells.get(i).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
                continue;
            };
            let v = self.pipe(v, &cell(t.name, row, i));
            match lang {
                None => plain = Some(v),
                Some(l) => {
                    let code = self.langs.get(l).cloned().unwrap_or_else(|| self.default_lang.clone());
                    map.entry(code).or_insert(v);
                }
            }
        }
        if !self.multilingual {
            return plain.map(Value::String);
        }
        if let Some(p) = plain {
            map.entry(self.default_lang.clone()).or_insert(p);
        }
        (!map.is_empty()).then(|| Value::Object(map.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
    }

    /// A text with its `${name}` pipes renamed; a pipe of a dropped or unknown question is
    /// removed (warned).
    fn pipe(&mut self, text: &str, at: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start + 2..].find('}') else { break };
            out.push_str(&rest[..start]);
            let name = rest[start + 2..start + 2 + len].trim();
            match self.targets.get(name) {
                Some(Target::Question(n)) => out.push_str(&format!("${{{n}}}")),
                t => {
                    let why = match t {
                        Some(Target::Dropped(_)) => "a dropped question (see its row)",
                        Some(Target::Note) => "a note, which has no value in anketa",
                        _ => "no question of this form",
                    };
                    self.warn(
                        at,
                        format!("text pipes `${{{name}}}`, {why}: removed"),
                        "the text shows nothing in its place",
                    );
                }
            }
            rest = &rest[start + 2 + len + 1..];
        }
        out.push_str(rest);
        out
    }

    /// An expression rewritten for anketa, or `None` (warned: the field is dropped).
    fn expr(&mut self, src: &str, at: &str, what: &str, filter: bool) -> Option<String> {
        let mut result = expr::rewrite(src, &self.targets, filter);
        // Excel's autocorrect turns 'yes' into ‘yes’: read curly quotes as straight ones when
        // the expression does not parse otherwise.
        if result.is_err() && src.contains(['‘', '’', '“', '”']) {
            let straight = src.replace(['‘', '’'], "'").replace(['“', '”'], "\"");
            if let Ok(r) = expr::rewrite(&straight, &self.targets, filter) {
                self.warn(
                    at,
                    format!("{what} `{src}` has curly quotes: read as `{straight}`"),
                    "turn off smart quotes in the spreadsheet (Excel: AutoCorrect options)",
                );
                result = Ok(r);
            }
        }
        match result {
            Ok((e, dropped)) => {
                for d in dropped {
                    self.warn(
                        at,
                        format!("{what} refers to `{d}`, which is dropped: it reads as unanswered"),
                        "check the condition still means what it should",
                    );
                }
                Some(e)
            }
            Err(why) => {
                self.warn(
                    at,
                    format!("{what} `{src}` cannot be used: {why}; dropped"),
                    "rewrite it with ${name} references and the functions of docs/expressions.md",
                );
                None
            }
        }
    }
}

/// Converts the sheets of an XLSForm. `file` names the form in messages (its stem is the
/// questionnaire id when the settings give none). Errors are what makes a conversion
/// impossible (no `survey` sheet, no `type` column, no question left).
pub fn convert(book: &Workbook, file: &str) -> Result<Imported, Vec<Diagnostic>> {
    let sheet = |n: &str| book.sheets.iter().find(|s| s.name.trim().eq_ignore_ascii_case(n));
    let fatal = |at: &str, msg: &str, hint: &str| vec![Diagnostic::new(file, at, msg).hint(hint)];
    let Some(survey) = sheet("survey") else {
        let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
        return Err(fatal(
            "",
            &format!("no `survey` sheet (sheets: {})", names.join(", ")),
            "an XLSForm has a sheet named survey, and choices for its lists",
        ));
    };
    let st = Table::new(survey);
    if st.col("type").is_none() {
        return Err(fatal(
            &format!("{}!A1", survey.name),
            "the survey sheet has no `type` column",
            "the first row of the survey sheet names its columns: type, name, label…",
        ));
    }
    let empty = Sheet::default();
    let choices = sheet("choices");
    let ct = Table::new(choices.unwrap_or(&empty));
    let settings_sheet = sheet("settings");
    let set_t = Table::new(settings_sheet.unwrap_or(&empty));

    let mut cx = Cx {
        file,
        warnings: Vec::new(),
        langs: BTreeMap::new(),
        default_lang: String::new(),
        multilingual: false,
        targets: HashMap::new(),
    };

    for s in &book.sheets {
        let n = s.name.trim().to_lowercase();
        if !["survey", "choices", "settings"].contains(&n.as_str()) {
            let hint = if n == "external_choices" {
                "select_one_external is not supported; its questions are dropped"
            } else {
                "only survey, choices and settings are read"
            };
            cx.warn(s.name.clone(), format!("sheet `{}` is not read", s.name), hint);
        }
    }

    let settings = read_settings(&mut cx, &set_t, file);

    // Languages: every `x::language` column of survey and choices (with its first header cell).
    let mut raw_langs: BTreeMap<String, String> = BTreeMap::new();
    for t in [&st, &ct] {
        for (i, (b, l)) in t.cols.iter().enumerate() {
            if let Some(l) = l
                && matches!(
                    b.as_str(),
                    "label" | "hint" | "constraint_message" | "required_message" | "guidance_hint"
                )
            {
                raw_langs.entry(l.clone()).or_insert_with(|| cell(t.name, 0, i));
            }
        }
    }
    cx.multilingual = !raw_langs.is_empty();
    for (l, at) in &raw_langs {
        let (code, exact) = lang_code(l);
        if !exact {
            cx.warn(
                at.clone(),
                format!("language `{l}` has no code: anketa calls it `{code}`"),
                "write language columns as label::English (en)",
            );
        }
        cx.langs.insert(l.clone(), code);
    }
    cx.default_lang = match &settings.default_language {
        Some(d) => cx.langs.get(d).cloned().unwrap_or_else(|| lang_code(d).0),
        None => {
            // The plain `label` column beside language columns: English if the form has it,
            // else its first language (said once).
            let codes: BTreeSet<&String> = cx.langs.values().collect();
            let code = codes
                .iter()
                .find(|c| c.as_str() == "en")
                .or_else(|| codes.iter().next())
                .map_or_else(|| "en".to_string(), |c| c.to_string());
            if cx.multilingual && (st.col("label").is_some() || ct.col("label").is_some()) {
                cx.warn(
                    "settings",
                    format!("no default_language: the columns without a language (label, hint) are taken as `{code}`"),
                    "set default_language in the settings sheet, e.g. English (en)",
                );
            }
            code
        }
    };

    let lists = read_choices(&mut cx, &ct, choices.is_some());

    // Media and unknown survey columns: once each, at the header.
    for (i, (b, _)) in st.cols.iter().enumerate() {
        let header = st.rows[0][i].trim();
        if b.starts_with("media") || ["image", "audio", "video"].contains(&b.as_str()) {
            cx.warn(
                cell(&survey.name, 0, i),
                format!("column `{header}` (media) is not used"),
                "a terminal shows no images or sound",
            );
        } else if !b.is_empty() && !SURVEY_COLUMNS.contains(&b.as_str()) {
            cx.warn(
                cell(&survey.name, 0, i),
                format!("column `{header}` is not an XLSForm column anketa knows: not used"),
                "platform-specific columns (SurveyCTO, CommCare, db:*) have no meaning here",
            );
        }
    }

    // `disabled` (pyxform, SurveyCTO): a row marked yes is not part of the form.
    let mut disabled: BTreeSet<usize> = BTreeSet::new();
    for r in 1..st.rows.len() {
        if let Some((v, c)) = st.get(r, "disabled")
            && matches!(v.to_lowercase().as_str(), "yes" | "true" | "true()" | "1" | "y")
        {
            disabled.insert(r);
            cx.warn(
                cell(&survey.name, r, c),
                format!("row `{}` is disabled: left out", st.value(r, "name")),
                "as in ODK and SurveyCTO; clear the cell to ask it",
            );
        }
    }

    // Pass 1: every row's name → what a reference to it becomes.
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut row_names: HashMap<usize, String> = HashMap::new();
    let mut metadata: Vec<(usize, String)> = Vec::new();
    for r in 1..st.rows.len() {
        let ty = st.value(r, "type");
        let (base, _) = split_type(ty);
        let name = st.value(r, "name");
        if ty.is_empty()
            || disabled.contains(&r)
            || matches!(
                base.as_str(),
                "begin_group" | "end_group" | "end_repeat" | "begin_loop" | "end_loop"
            )
        {
            continue;
        }
        if METADATA.contains(&base.as_str()) {
            metadata.push((
                r,
                if name.is_empty() {
                    base.clone()
                } else {
                    name.to_string()
                },
            ));
            let t = match base.as_str() {
                "today" => Target::Dropped("today()"),
                "start" | "end" => Target::Dropped("now()"),
                _ => Target::Dropped("''"),
            };
            if !name.is_empty() {
                cx.targets.insert(name.to_string(), t);
            }
            continue;
        }
        if UNSUPPORTED.contains(&base.as_str())
            || base == "hidden" && st.get(r, "calculation").is_none()
            || !known_type(&base) && base != "begin_repeat"
        {
            if !name.is_empty() {
                cx.targets.insert(name.to_string(), Target::Dropped("''"));
            }
            continue;
        }
        // A note cannot be referred to, but still needs an anketa name.
        if base == "note" && !name.is_empty() {
            cx.targets.insert(name.to_string(), Target::Note);
        }
        let raw = if name.is_empty() {
            let n = format!("row{}", r + 1);
            cx.warn(
                st.cell(r, "name"),
                format!(
                    "{} without a name: it is `{n}`",
                    if base == "begin_repeat" { "repeat" } else { &base }
                ),
                "give every question a name: it is the variable in the data",
            );
            n
        } else {
            name.to_string()
        };
        let mut n = valid_name(&raw);
        if n != raw && !name.is_empty() {
            cx.warn(
                st.cell(r, "name"),
                format!("`{raw}` is not a valid anketa name: it is `{n}`"),
                "names start with a letter or _, then letters, digits, ., _ or -; at most 64",
            );
        }
        if used.contains(&n) {
            let with = |k: usize| {
                let suffix = format!("_{k}");
                let keep: String = n.chars().take(64 - suffix.len()).collect();
                format!("{keep}{suffix}")
            };
            let mut k = 2;
            while used.contains(&with(k)) {
                k += 1;
            }
            let m = with(k);
            cx.warn(
                st.cell(r, "name"),
                format!("name `{raw}` is used twice: this one is `{m}`"),
                "give every question its own name",
            );
            n = m;
        }
        used.insert(n.clone());
        if base != "note" && !name.is_empty() {
            cx.targets
                .entry(name.to_string())
                .or_insert(Target::Question(n.clone()));
        }
        row_names.insert(r, n);
    }
    if let Some((r, _)) = metadata.first() {
        let names: Vec<&str> = metadata.iter().map(|(_, n)| n.as_str()).collect();
        cx.warn(
            cell(&survey.name, *r, st.col("type").unwrap_or(0)),
            format!("metadata {} dropped: anketa records its own", names.join(", ")),
            "every interview file has its start and end time, the interviewer and the laptop",
        );
    }

    // Pass 2: blocks, rosters and questions.
    let mut blocks: Vec<BlockIr> = Vec::new();
    // The cells of the items' droppable fields: (item id, field) → cell.
    let mut cells: HashMap<(String, &'static str), String> = HashMap::new();
    let mut block_ids: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut outside: Option<usize> = None;
    let type_col = st.col("type").unwrap_or(0);
    for r in 1..st.rows.len() {
        if st.is_blank(r) || disabled.contains(&r) {
            continue;
        }
        let ty = st.value(r, "type");
        let type_cell = cell(&survey.name, r, type_col);
        if ty.is_empty() {
            cx.warn(
                type_cell,
                "row without a type: skipped",
                "give it a type, or delete the row",
            );
            continue;
        }
        let (mut base, rest) = split_type(ty);
        let name = st.value(r, "name");
        // pyxform's `begin loop over LIST` is a group per option of the list, not a repeat.
        if base == "begin_loop" {
            cx.warn(
                type_cell.clone(),
                format!("loop `{name}` over a list: asked once, as a group"),
                "anketa has no loops over a list (`%(label)s` is shown as written); make it a repeat, or a group per option",
            );
        }
        if let Some(g) = base.strip_suffix("_loop") {
            base = format!("{g}_group");
        }
        for (field, col) in [
            ("text", "label"),
            ("hint", "hint"),
            ("constraint_message", "constraint_message"),
        ] {
            if let Some(id) = row_names.get(&r) {
                cells.insert((id.clone(), field), st.cell(r, col));
            }
        }
        match base.as_str() {
            "begin_group" | "begin_repeat" => {
                let repeat = base == "begin_repeat";
                let depth = stack.iter().filter(|f| f.roster.is_some()).count() + 1;
                if repeat && depth > MAX_ROSTER_DEPTH {
                    return Err(fatal(
                        &type_cell,
                        &format!(
                            "repeat `{name}` is nested {depth} deep: anketa's rosters nest at most {MAX_ROSTER_DEPTH} levels"
                        ),
                        "make the innermost repeat a group, or move its questions into the repeat around it",
                    ));
                }
                let relevant_cell = st.cell(r, "relevant");
                let relevant = st
                    .get(r, "relevant")
                    .and_then(|(v, c)| cx.expr(v, &cell(&survey.name, r, c), "relevant", false));
                let block = if stack.is_empty() {
                    outside = None;
                    let title = cx.text(&st, r, "label").unwrap_or_else(|| {
                        Value::String(if name.is_empty() {
                            format!("Group {}", r + 1)
                        } else {
                            name.to_string()
                        })
                    });
                    let seed = if name.is_empty() {
                        format!("group{}", r + 1)
                    } else {
                        name.to_string()
                    };
                    let id = unique(block_id(&seed), &mut block_ids);
                    blocks.push(BlockIr {
                        json: BlockJson {
                            id,
                            title,
                            // A repeat's condition is its roster's.
                            relevant: if repeat { None } else { relevant.clone() },
                            questions: Vec::new(),
                        },
                        relevant_cell: relevant_cell.clone(),
                        title_cell: st.cell(r, "label"),
                        row: r,
                        repeat,
                    });
                    Some(blocks.len() - 1)
                } else {
                    None
                };
                let roster = match row_names.get(&r) {
                    Some(id) if repeat => {
                        let conds = inner_conditions(&stack);
                        let mut all: Vec<String> = conds.iter().map(|(e, _)| e.clone()).collect();
                        all.extend(relevant.clone());
                        let at = if relevant.is_some() {
                            Some(relevant_cell.clone())
                        } else {
                            conds.last().map(|(_, c)| c.clone())
                        };
                        if let Some(at) = at {
                            cells.insert((id.clone(), "relevant"), at);
                        }
                        Some(roster(&mut cx, &st, r, id.clone(), and_all(all), &mut cells))
                    }
                    _ => None,
                };
                stack.push(Frame {
                    repeat,
                    row: r,
                    relevant: if block.is_some() || repeat { None } else { relevant },
                    relevant_cell,
                    block,
                    roster,
                });
                continue;
            }
            "end_group" | "end_repeat" => {
                match stack.pop() {
                    None => cx.warn(
                        type_cell,
                        format!("`{ty}` without a matching begin: ignored"),
                        "delete the row, or add the begin row",
                    ),
                    Some(f) => {
                        if f.repeat != (base == "end_repeat") {
                            cx.warn(
                                type_cell,
                                format!(
                                    "`{ty}` closes the {} begun at row {}",
                                    if f.repeat { "repeat" } else { "group" },
                                    f.row + 1
                                ),
                                "write end repeat for a repeat, end group for a group",
                            );
                        }
                        close(f, &mut stack, &mut blocks, &mut cx, &survey.name, type_col);
                    }
                }
                continue;
            }
            _ => {}
        }
        if METADATA.contains(&base.as_str()) {
            continue;
        }
        if UNSUPPORTED.contains(&base.as_str()) {
            cx.warn(
                type_cell,
                format!("{ty} {name}: dropped, a terminal cannot collect it"),
                "references to it read as unanswered",
            );
            continue;
        }
        if !known_type(&base) {
            cx.warn(
                type_cell,
                format!("unknown type `{ty}` ({name}): dropped"),
                "see docs/xlsform.md for the types anketa maps",
            );
            continue;
        }
        if base == "hidden" && st.get(r, "calculation").is_none() {
            cx.warn(
                type_cell,
                format!("hidden {name} without a calculation: dropped"),
                "anketa has no field filled from outside the interview",
            );
            continue;
        }
        let Some(id) = row_names.get(&r).cloned() else { continue };
        let Some(q) = question(&mut cx, &st, r, &base, &rest, id, &lists) else {
            continue;
        };
        let (mut q, qcells) = q;
        // The conditions of the groups around it (inside its repeat, if any).
        let conds = inner_conditions(&stack);
        if let Some((_, at)) = conds.last()
            && q.relevant.is_none()
        {
            cells.insert((q.id.clone(), "relevant"), at.clone());
        }
        let mut all: Vec<String> = conds.into_iter().map(|(e, _)| e).collect();
        if !all.is_empty() {
            all.extend(q.relevant.take());
            q.relevant = and_all(all);
        }
        for (field, c) in qcells {
            cells.insert((q.id.clone(), field), c);
        }
        if let Some(ro) = stack.iter_mut().rev().find_map(|f| f.roster.as_mut()) {
            ro.questions.get_or_insert_with(Vec::new).push(q);
            continue;
        }
        let b = match stack.first().and_then(|f| f.block) {
            Some(b) => b,
            None => match outside {
                Some(b) => b,
                None => {
                    let id = unique("main".to_string(), &mut block_ids);
                    blocks.push(BlockIr {
                        json: BlockJson {
                            id,
                            title: Value::String(settings.title.clone()),
                            relevant: None,
                            questions: Vec::new(),
                        },
                        relevant_cell: String::new(),
                        title_cell: String::new(),
                        row: r,
                        repeat: false,
                    });
                    outside = Some(blocks.len() - 1);
                    blocks.len() - 1
                }
            },
        };
        blocks[b].json.questions.push(q);
    }
    while let Some(f) = stack.pop() {
        cx.warn(
            cell(&survey.name, f.row, type_col),
            format!(
                "{} not closed: closed at the end of the form",
                if f.repeat { "repeat" } else { "group" }
            ),
            "add an end group (end repeat) row",
        );
        close(f, &mut stack, &mut blocks, &mut cx, &survey.name, type_col);
    }

    // A block's condition may not refer to its own questions: such a condition goes into each
    // of its items instead. Empty blocks go.
    let mut kept = Vec::new();
    for mut b in blocks {
        if b.json.questions.is_empty() {
            // An empty repeat was said at its row.
            if !b.repeat {
                cx.warn(
                    cell(&survey.name, b.row, type_col),
                    format!("group `{}` has no question anketa can ask: left out", b.json.id),
                    "its questions were dropped (see the warnings above)",
                );
            }
            continue;
        }
        // A repeat's block has the title of its roster (without pipes of the instance).
        if b.repeat
            && let Some(t) = b.json.questions.first().and_then(|r| r.text.clone())
        {
            b.json.title = t;
        }
        if let Some(rel) = b.json.relevant.clone() {
            let mut own = BTreeSet::new();
            item_ids(&b.json.questions, &mut own);
            if expr::refs(&rel).iter().any(|r| own.contains(r.as_str())) {
                for q in &mut b.json.questions {
                    q.relevant = Some(match &q.relevant {
                        Some(e) => format!("({rel}) and ({e})"),
                        None => rel.clone(),
                    });
                    cells
                        .entry((q.id.clone(), "relevant"))
                        .or_insert_with(|| b.relevant_cell.clone());
                }
                b.json.relevant = None;
            }
        }
        kept.push(b);
    }
    if kept.is_empty() {
        let mut errs = cx.warnings;
        errs.push(
            Diagnostic::new(file, survey.name.clone(), "no question anketa can ask")
                .hint("the survey sheet needs at least one question of a type anketa maps"),
        );
        return Err(errs);
    }

    let languages: Vec<String> = if cx.multilingual {
        let mut l: BTreeSet<String> = cx.langs.values().cloned().collect();
        if st.col("label").is_some() {
            l.insert(cx.default_lang.clone());
        }
        l.into_iter().collect()
    } else {
        vec![cx.default_lang.clone()]
    };
    let language = if cx.multilingual && !languages.contains(&cx.default_lang) {
        languages[0].clone()
    } else {
        cx.default_lang.clone()
    };

    // Write, check, and drop what anketa refuses (expressions), until it loads.
    let mut blocks = kept;
    for _ in 0..64 {
        let qn = QnJson {
            id: settings.id.clone(),
            version: settings.version.clone(),
            title: settings.title.clone(),
            language: language.clone(),
            blocks: blocks
                .iter()
                .map(|b| BlockJson {
                    id: b.json.id.clone(),
                    title: b.json.title.clone(),
                    relevant: b.json.relevant.clone(),
                    questions: b.json.questions.clone(),
                })
                .collect(),
        };
        let json = serde_json::to_string_pretty(&qn).unwrap_or_default() + "\n";
        let errs = match crate::questionnaire::load(file, &json) {
            Ok(q) => {
                let mut by_type = BTreeMap::new();
                for qq in &q.questions {
                    *by_type.entry(qq.kind.name().to_string()).or_default() += 1;
                }
                let mut warnings = cx.warnings;
                warnings.sort_by_key(|d| warning_order(&d.location));
                return Ok(Imported {
                    json,
                    warnings,
                    id: q.id,
                    version: q.version,
                    by_type,
                    blocks: q.blocks.len(),
                    rosters: q.rosters.len(),
                    languages,
                });
            }
            Err(e) => e,
        };
        let mut repaired = false;
        let mut bugs = Vec::new();
        for e in errs {
            if repair(&mut blocks, &cells, &e, &mut cx) {
                repaired = true;
            } else {
                bugs.push(e);
            }
        }
        if !bugs.is_empty() || !repaired {
            return Err(bugs
                .into_iter()
                .map(|mut d| {
                    d.hint = Some(format!(
                        "{}; the importer wrote a questionnaire anketa refuses: please report this with the form",
                        d.hint.unwrap_or_default()
                    ));
                    d
                })
                .collect());
        }
    }
    Err(fatal(
        "",
        "the importer could not repair the questionnaire",
        "please report this with the form",
    ))
}

/// The order warnings are shown in: sheet (survey, choices, settings, others), row, column —
/// as a reader goes through the form.
fn warning_order(location: &str) -> (u8, usize, usize, usize) {
    let (sheet, at) = location.split_once('!').unwrap_or((location, ""));
    let rank = match sheet.to_lowercase().as_str() {
        "survey" => 0,
        "choices" => 1,
        "settings" => 2,
        _ => 3,
    };
    let letters: String = at.chars().take_while(char::is_ascii_uppercase).collect();
    let row = at[letters.len()..].parse().unwrap_or(0);
    let col = letters.bytes().fold(0usize, |c, b| c * 26 + usize::from(b - b'A') + 1);
    (rank, row, letters.len(), col)
}

/// Drops the expression field a load error points to (warned at its cell), or the pipe a text's
/// error points to; false when the error is not in such a field.
fn repair(
    blocks: &mut [BlockIr],
    cells: &HashMap<(String, &'static str), String>,
    e: &Diagnostic,
    cx: &mut Cx,
) -> bool {
    let loc = e.location.as_str();
    let Some(rest) = loc.strip_prefix("blocks[") else {
        return false;
    };
    let Some((b, mut rest)) = rest.split_once(']') else {
        return false;
    };
    let Ok(b) = b.parse::<usize>() else { return false };
    let Some(bl) = blocks.get_mut(b) else { return false };
    if rest.starts_with(".title") {
        let mut title = Some(bl.json.title.clone());
        let Some(pipe) = unpipe(&mut title, e) else {
            return false;
        };
        bl.json.title = title.unwrap_or_default();
        let at = bl.title_cell.clone();
        cx.warn(
            at,
            format!(
                "the group's label: the pipe {pipe} is refused by anketa: {}; removed",
                e.message
            ),
            e.hint.clone().unwrap_or_else(|| hint_of(e)),
        );
        return true;
    }
    if rest == ".relevant" {
        if bl.json.relevant.take().is_none() {
            return true;
        }
        let at = bl.relevant_cell.clone();
        cx.warn(
            at,
            format!("the group's relevant is refused: {}; dropped", e.message),
            hint_of(e),
        );
        return true;
    }
    // `.questions[i]`, then `.questions[j]` into rosters.
    let mut items = &mut bl.json.questions;
    let q = loop {
        let Some(r) = rest.strip_prefix(".questions[") else {
            return false;
        };
        let Some((i, field)) = r.split_once(']') else {
            return false;
        };
        let Ok(i) = i.parse::<usize>() else { return false };
        let Some(q) = items.get_mut(i) else { return false };
        rest = field;
        if !rest.starts_with(".questions[") {
            break q;
        }
        let Some(qs) = q.questions.as_mut() else { return false };
        items = qs;
    };
    let field = rest.trim_start_matches('.');
    let field = field.split(['.', '[']).next().unwrap_or("");
    let key: &'static str = match field {
        "relevant" => "relevant",
        "count" => "count",
        "constraint" => "constraint",
        "calculation" => "calculation",
        "choice_filter" => "choice_filter",
        "default" => "default",
        "default_calculation" => "default_calculation",
        "text" => "text",
        "hint" => "hint",
        "label" => "label",
        "constraint_message" => "constraint_message",
        _ => return false,
    };
    let at = |key: &str| {
        cells
            .get(&(q.id.clone(), key))
            .cloned()
            .unwrap_or_else(|| format!("survey ({})", q.id))
    };
    if matches!(key, "text" | "hint" | "label" | "constraint_message") {
        let at = at(key);
        let t = match key {
            "text" => &mut q.text,
            "hint" => &mut q.hint,
            "label" => &mut q.label,
            _ => &mut q.constraint_message,
        };
        let Some(pipe) = unpipe(t, e) else { return false };
        cx.warn(
            at,
            format!(
                "{key} of `{}`: the pipe {pipe} is refused by anketa: {}; removed",
                q.id, e.message
            ),
            e.hint.clone().unwrap_or_else(|| hint_of(e)),
        );
        return true;
    }
    let had = match key {
        "relevant" => q.relevant.take().is_some(),
        "count" => q.count.take().is_some(),
        "constraint" => {
            q.constraint_message = None;
            q.constraint.take().is_some()
        }
        "calculation" => q.calculation.replace("''".to_string()).is_some_and(|c| c != "''"),
        "choice_filter" => q.choice_filter.take().is_some(),
        "default" => q.default.take().is_some(),
        _ => q.default_calculation.take().is_some(),
    };
    if had {
        let what = match key {
            "calculation" => "replaced by ''",
            "count" => "dropped (the interviewer adds the instances)",
            _ => "dropped",
        };
        let field = if key == "count" { "repeat_count" } else { key };
        cx.warn(
            at(key),
            format!("{field} of `{}` refused by anketa: {}; {what}", q.id, e.message),
            hint_of(e),
        );
    }
    true
}

/// Removes the pipe a text's error points to (a roster's answer where it has many values) from
/// the text (every language); the pipe, or `None` when the error is not about one.
fn unpipe(t: &mut Option<Value>, e: &Diagnostic) -> Option<String> {
    let s = e.snippet.as_ref()?;
    let pipe: String = s.line.chars().skip(s.col).take(s.len).collect();
    if !pipe.starts_with("${") {
        return None;
    }
    match t {
        Some(Value::String(s)) => *s = s.replace(&pipe, ""),
        Some(Value::Object(m)) => {
            for v in m.values_mut() {
                if let Value::String(s) = v {
                    *s = s.replace(&pipe, "");
                }
            }
        }
        _ => return None,
    }
    Some(pipe)
}

fn hint_of(e: &Diagnostic) -> String {
    match (&e.snippet, &e.hint) {
        (Some(s), Some(h)) => format!("in `{}`: {h}", s.line),
        (Some(s), _) => format!("in `{}`", s.line),
        (None, Some(h)) => h.clone(),
        _ => "see docs/expressions.md".to_string(),
    }
}

fn unique(id: String, used: &mut BTreeSet<String>) -> String {
    let mut out = id.clone();
    let mut k = 2;
    while used.contains(&out) {
        let suffix = format!("_{k}");
        let keep = id.len().min(32 - suffix.len());
        out = format!("{}{suffix}", &id[..keep]);
        k += 1;
    }
    used.insert(out.clone());
    out
}

/// Multi-word spellings of types (pyxform's aliases), longest first.
const PHRASES: &[(&str, &str)] = &[
    ("add select one prompt using", "select_one"),
    ("add select multiple prompt using", "select_multiple"),
    ("select all that apply from", "select_multiple"),
    ("select all that apply", "select_multiple"),
    ("select one from file", "select_one_from_file"),
    ("select multiple from file", "select_multiple_from_file"),
    ("select one external", "select_one_external"),
    ("select one from", "select_one"),
    ("select multiple from", "select_multiple"),
    ("select one using", "select_one"),
    ("select multiple using", "select_multiple"),
    ("select one", "select_one"),
    ("select multiple", "select_multiple"),
    ("begin group", "begin_group"),
    ("end group", "end_group"),
    ("begin repeat", "begin_repeat"),
    ("end repeat", "end_repeat"),
    ("begin looped group", "begin_repeat"),
    ("end looped group", "end_repeat"),
    ("begin loop", "begin_loop"),
    ("end loop", "end_loop"),
    ("begin lgroup", "begin_repeat"),
    ("end lgroup", "end_repeat"),
    ("phone number", "phone_number"),
    ("device id", "deviceid"),
    ("subscriber id", "subscriberid"),
    ("sim id", "simserial"),
    ("start time", "start"),
    ("end time", "end"),
    ("date time", "datetime"),
    ("text audit", "text_audit"),
    ("audio audit", "audio_audit"),
    ("speed violations count", "speed_violations_count"),
    ("speed violations list", "speed_violations_list"),
    ("speed violations audit", "speed_violations_audit"),
];

/// The type of a row normalised (`select one` → `select_one`, lowercase) and the rest of the
/// cell (list name, `or_other`).
fn split_type(ty: &str) -> (String, Vec<String>) {
    let words: Vec<&str> = ty.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    for (phrase, t) in PHRASES {
        let p: Vec<&str> = phrase.split(' ').collect();
        if lower.len() >= p.len() && lower.iter().zip(&p).all(|(a, b)| a == b) {
            return (
                (*t).to_string(),
                words[p.len()..].iter().map(|s| s.to_string()).collect(),
            );
        }
    }
    let base = lower.first().map_or("", String::as_str);
    let rest = words.iter().skip(1).map(|s| s.to_string()).collect();
    (normalise_type(base), rest)
}

fn normalise_type(t: &str) -> String {
    match t {
        "begingroup" => "begin_group",
        "endgroup" => "end_group",
        "beginrepeat" => "begin_repeat",
        "endrepeat" => "end_repeat",
        "select1" => "select_one",
        "select_all_that_apply" => "select_multiple",
        "int" => "integer",
        "string" => "text",
        "trigger" => "acknowledge",
        "location" | "gps" => "geopoint",
        "imei" => "deviceid",
        // SurveyCTO's calculate evaluated where it stands: anketa's calculate is always current.
        "calculate_here" => "calculate",
        // KoBoToolbox's matrix: its rows asked for each option of `kobo--matrix_list`.
        "begin_kobomatrix" => "begin_loop",
        "end_kobomatrix" => "end_loop",
        t => t,
    }
    .to_string()
}

fn known_type(t: &str) -> bool {
    matches!(
        t,
        "select_one"
            | "select_multiple"
            | "integer"
            | "decimal"
            | "range"
            | "text"
            | "date"
            | "time"
            | "datetime"
            | "note"
            | "calculate"
            | "acknowledge"
            | "hidden"
            | "phone_number"
    )
}
