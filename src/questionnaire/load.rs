//! JSON text → validated [`Questionnaire`], collecting every error with its JSON path.
//!
//! The JSON is first parsed by serde_json into a [`json::Value`] tree that borrows its strings
//! from the text (syntax errors carry line:column; a form of 5,000 options is a few thousand
//! allocations, not the 20,000 `BTreeMap`s of a `serde_json::Value`), then walked by hand: a
//! derive would stop at the first problem, while a questionnaire author wants the whole list,
//! each with its path and a hint.

use super::json::{self, Map, Value};
use super::{
    Block, Check, Choice, Kind, MAX_INSTANCES, MAX_ROSTER_DEPTH, Missing, Names, Question, QuestionDefault,
    Questionnaire, Roster, Text,
};
use crate::diag::{Diagnostic, did_you_mean};
use crate::expr::{self, BinOp, Expr, Func, Node};
use crate::record::AnswerValue;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Largest accepted questionnaire file.
pub(crate) const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
const MAX_ID_LEN: usize = 32;
/// Longest variable name and option code (XLSForm allows long ones; SPSS names are mapped).
const MAX_NAME_LEN: usize = 64;

const TOP_KEYS: &[&str] = &[
    "$schema",
    "id",
    "version",
    "title",
    "short_title",
    "language",
    "intro",
    "recipients",
    "blocks",
];
const BLOCK_KEYS: &[&str] = &["id", "title", "intro", "relevant", "questions"];
const QUESTION_KEYS: &[&str] = &[
    "id",
    "type",
    "text",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "warning",
    "warning_message",
    "options",
    "min",
    "max",
    "integer",
    "unit",
    "max_length",
    "calculation",
    "default",
    "default_calculation",
    "choice_filter",
];
const ROSTER_KEYS: &[&str] = &[
    "id",
    "type",
    "text",
    "hint",
    "relevant",
    "count",
    "min",
    "max",
    "label",
    "questions",
];
const OPTION_KEYS: &[&str] = &["code", "label", "exclusive", "other", "missing", "attributes"];
const TYPES: &[&str] = &[
    "single",
    "multi",
    "number",
    "text",
    "long_text",
    "date",
    "note",
    "calculate",
    "roster",
];

/// Where an expression is used, for [`Cx::references`].
struct ExprUse<'q> {
    /// Its JSON path.
    path: String,
    expr: &'q Expr,
    /// The question it belongs to (a block's first question for a block's `relevant`).
    at: usize,
    /// A `constraint` or `warning` (`.` allowed).
    check: bool,
    /// The block, for a block's `relevant`.
    block: Option<usize>,
    /// Part of the live evaluation (a condition or a calculation): its references order it.
    live: bool,
    /// Where it is evaluated: in each instance of this roster, or once (`None`).
    scope: Option<usize>,
    /// A roster's `relevant` or `count`: the roster (its own questions are out of reach; its
    /// `relevant` orders all of them).
    roster: Option<usize>,
}

/// Parses and validates questionnaire text. `file` names the source in messages.
pub fn load(file: &str, src: &str) -> Result<Questionnaire, Vec<Diagnostic>> {
    if src.len() > MAX_FILE_BYTES {
        return Err(vec![
            Diagnostic::new(
                file,
                "",
                format!("file is {} bytes; the limit is {MAX_FILE_BYTES} (10 MB)", src.len()),
            )
            .hint("a questionnaire is a few hundred kilobytes at most; is this the right file?"),
        ]);
    }
    let value = match json::from_str(src) {
        Ok(v) => v,
        Err(e) => {
            let line = src.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
            let col = e.column().saturating_sub(1);
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            let d = Diagnostic::new(
                file,
                format!("line {}, column {}", e.line(), e.column()),
                format!("invalid JSON: {msg}"),
            );
            let d = if line.chars().count() <= 200 {
                d.snippet(line, col.min(line.chars().count()), 1)
            } else {
                d
            };
            return Err(vec![d.hint("fix the JSON syntax; a JSON-aware editor shows the spot")]);
        }
    };
    let mut cx = Cx {
        file,
        errors: Vec::new(),
        paths: Vec::new(),
        roster_paths: Vec::new(),
    };
    let q = cx.questionnaire(&value, src);
    match q {
        Some(q) if cx.errors.is_empty() => Ok(q),
        _ => Err(cx.errors),
    }
}

struct Cx<'a> {
    file: &'a str,
    errors: Vec<Diagnostic>,
    /// The JSON path of each question read, by index (`blocks[1].questions[2].questions[0]`).
    paths: Vec<String>,
    /// The JSON path of each roster read, by index.
    roster_paths: Vec<String>,
}

/// What a block's or roster's items are read into.
struct Items {
    questions: Vec<Question>,
    rosters: Vec<Roster>,
    /// Name of a question or roster → its JSON path (names are one namespace).
    ids: HashMap<String, String>,
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_ascii_lowercase())
        && c.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A language code such as `ru`, `en`, `pt-BR`.
fn lang_ok(l: &str) -> bool {
    let mut parts = l.split('-');
    parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts.all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A variable name as XLSForm allows it: `[A-Za-z_][A-Za-z0-9._-]*` (case-sensitive).
fn is_var_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// An option code: any text without control characters and without blanks at its ends (`-999`,
/// `1.5`, `Yes`); in a multi, without any blank (its codes are listed separated by spaces).
fn is_code(s: &str, multi: bool) -> bool {
    !(s.is_empty() || s.trim() != s || s.chars().any(char::is_control) || multi && s.chars().any(char::is_whitespace))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Cx<'_> {
    fn err(&mut self, path: &str, msg: impl Into<String>, hint: impl Into<String>) {
        self.errors.push(Diagnostic::new(self.file, path, msg).hint(hint));
    }

    fn object<'v>(&mut self, v: &'v Value<'v>, path: &str, allowed: &[&str], what: &str) -> Option<&'v Map<'v>> {
        let Value::Object(m) = v else {
            self.err(
                path,
                format!("expected {what} (a JSON object), found {}", type_name(v)),
                format!("write {what} as {{ … }}"),
            );
            return None;
        };
        for key in m.keys() {
            if !allowed.contains(&key) {
                let hint = match did_you_mean(key, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("allowed fields: {}", allowed.join(", ")),
                };
                self.err(&join(path, key), format!("unknown field `{key}` in {what}"), hint);
            }
        }
        Some(m)
    }

    fn string(&mut self, m: &Map, path: &str, key: &str, required: bool) -> Option<String> {
        match m.get(key) {
            None if required => {
                self.err(path, format!("missing field `{key}`"), format!("add \"{key}\": \"…\""));
                None
            }
            None => None,
            Some(Value::String(s)) => Some(s.to_string()),
            Some(v) => {
                self.err(
                    &join(path, key),
                    format!("expected a string, found {}", type_name(v)),
                    "put the value in double quotes",
                );
                None
            }
        }
    }

    fn ident(&mut self, m: &Map, path: &str, key: &str, what: &str) -> Option<String> {
        let s = self.string(m, path, key, true)?;
        if !is_ident(&s) || s.len() > MAX_ID_LEN {
            self.err(
                &join(path, key),
                format!("{what} `{s}` is not a valid name"),
                format!("use lowercase latin letters, digits and `_`, starting with a letter, at most {MAX_ID_LEN} characters (e.g. `q2_1`)"),
            );
            return None;
        }
        Some(s)
    }

    /// An option's `attributes`: names (as variable names) → strings or numbers (kept as text).
    fn attributes(&mut self, m: &Map, path: &str) -> Vec<(String, String)> {
        let Some(v) = m.get("attributes") else {
            return Vec::new();
        };
        // The paths are built only for a message (a list of thousands of options).
        let p = || join(path, "attributes");
        let Value::Object(o) = v else {
            self.err(
                &p(),
                format!("expected an object, found {}", type_name(v)),
                "write {\"district\": \"svetloyarsky\"}",
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(o.len());
        for (k, v) in o.iter() {
            let kp = || join(&p(), k);
            if !is_var_name(k) || k == "name" || k == "label" {
                self.err(
                    &kp(),
                    format!("`{k}` cannot name an attribute"),
                    "use a name like a variable's (`district`); `name` and `label` are the option's own",
                );
                continue;
            }
            match v {
                Value::String(s) => {
                    out.push((k.to_string(), s.to_string()));
                }
                Value::Number(n) => {
                    out.push((k.to_string(), n.to_string()));
                }
                other => self.err(
                    &kp(),
                    format!("expected a string or a number, found {}", type_name(other)),
                    "",
                ),
            }
        }
        out
    }

    /// A question's `id`: a variable name as XLSForm allows it.
    fn var_name(&mut self, m: &Map, path: &str) -> Option<String> {
        let s = self.string(m, path, "id", true)?;
        if !is_var_name(&s) || s.len() > MAX_NAME_LEN {
            self.err(
                &join(path, "id"),
                format!("question id `{s}` is not a valid variable name"),
                format!("use latin letters, digits, `_`, `.` and `-`, starting with a letter or `_`, at most {MAX_NAME_LEN} characters (e.g. `q2_1`, `Id10010`)"),
            );
            return None;
        }
        Some(s)
    }

    fn text(&mut self, m: &Map, path: &str, key: &str, required: bool) -> Option<Text> {
        // The path is built only for a message (a form has thousands of texts).
        let p = || join(path, key);
        match m.get(key) {
            None => {
                if required {
                    self.err(path, format!("missing field `{key}`"), format!("add \"{key}\": \"…\""));
                }
                None
            }
            Some(Value::String(s)) => Some(Text::Plain(s.to_string())),
            Some(Value::Object(map)) if !map.is_empty() => {
                let mut out = BTreeMap::new();
                for (lang, v) in map.iter() {
                    let ok_lang = lang_ok(lang);
                    match v {
                        Value::String(s) if ok_lang => {
                            out.insert(lang.to_string(), s.to_string());
                        }
                        _ if !ok_lang => self.err(
                            &join(&p(), lang),
                            format!("`{lang}` is not a language code"),
                            "use codes such as \"ru\", \"en\"",
                        ),
                        v => self.err(
                            &join(&p(), lang),
                            format!("expected a string, found {}", type_name(v)),
                            "each language maps to a string",
                        ),
                    }
                }
                Some(Text::Map(out))
            }
            Some(v) => {
                self.err(
                    &p(),
                    format!("expected text, found {}", type_name(v)),
                    "write a string, or a language map such as {\"ru\": \"…\", \"en\": \"…\"}",
                );
                None
            }
        }
    }

    fn boolean(&mut self, m: &Map, path: &str, key: &str) -> Option<bool> {
        match m.get(key)? {
            Value::Bool(b) => Some(*b),
            v => {
                self.err(
                    &join(path, key),
                    format!("expected true or false, found {}", type_name(v)),
                    "write true or false without quotes",
                );
                None
            }
        }
    }

    fn number(&mut self, m: &Map, path: &str, key: &str) -> Option<f64> {
        match m.get(key)? {
            Value::Number(n) => n.as_f64(),
            v => {
                self.err(
                    &join(path, key),
                    format!("expected a number, found {}", type_name(v)),
                    "write the number without quotes",
                );
                None
            }
        }
    }

    fn count(&mut self, m: &Map, path: &str, key: &str) -> Option<u32> {
        let n = self.number(m, path, key)?;
        if n < 0.0 || n.fract() != 0.0 || n > f64::from(u32::MAX) {
            self.err(
                &join(path, key),
                format!("`{key}` must be a whole number ≥ 0, found {n}"),
                "",
            );
            return None;
        }
        Some(n as u32)
    }

    /// An expression where option attributes mean nothing (every one but a `choice_filter`): a
    /// bare word is refused, as text missing its quotes most often is.
    fn expr(&mut self, m: &Map, path: &str, key: &str) -> Option<Expr> {
        self.expr_with(m, path, key, false)
    }

    fn expr_with(&mut self, m: &Map, path: &str, key: &str, attrs: bool) -> Option<Expr> {
        let src = self.string(m, path, key, false)?;
        let parsed = expr::parse(&src).and_then(|e| match e.bare_name_error() {
            Some(err) if !attrs => Err(err),
            _ => Ok(e),
        });
        match parsed {
            Ok(e) => Some(e),
            Err(e) => {
                let line = src.replace(['\n', '\r', '\t'], " ");
                self.errors.push(
                    Diagnostic::new(
                        self.file,
                        join(path, key),
                        format!("expression syntax error: {}", e.message),
                    )
                    .snippet(&line, e.col, e.len)
                    .hint("see docs/questionnaire-format.md, section Expressions"),
                );
                None
            }
        }
    }

    fn array<'v>(&mut self, m: &'v Map<'v>, path: &str, key: &str) -> Option<&'v [Value<'v>]> {
        match m.get(key) {
            None => {
                self.err(path, format!("missing field `{key}`"), format!("add \"{key}\": [ … ]"));
                None
            }
            Some(Value::Array(a)) => Some(a),
            Some(v) => {
                self.err(
                    &join(path, key),
                    format!("expected an array, found {}", type_name(v)),
                    "write [ … ]",
                );
                None
            }
        }
    }

    fn questionnaire(&mut self, v: &Value, src: &str) -> Option<Questionnaire> {
        let m = self.object(v, "", TOP_KEYS, "the questionnaire")?;
        let id = self.ident(m, "", "id", "questionnaire id");
        let version = self.string(m, "", "version", true);
        let title = self.text(m, "", "title", true);
        let short_title = self.text(m, "", "short_title", false);
        if let Some(t) = &short_title {
            let texts: Vec<(String, &String)> = match t {
                Text::Plain(s) => vec![("short_title".into(), s)],
                Text::Map(m) => m.iter().map(|(l, s)| (format!("short_title.{l}"), s)).collect(),
            };
            for (path, s) in texts {
                let width = unicode_width::UnicodeWidthStr::width(s.as_str());
                if s.trim().is_empty() {
                    self.err(
                        &path,
                        "the short title is blank",
                        "write a short name such as \"НКО\", or leave `short_title` out (the id is used)",
                    );
                } else if width > super::SHORT_TITLE_WIDTH {
                    self.err(
                        &path,
                        format!(
                            "`{s}` is {width} columns wide; a short title has 1 to {} (it heads the interviewer's screen and the report's columns)",
                            super::SHORT_TITLE_WIDTH
                        ),
                        "use an abbreviation, e.g. \"НКО\"; the full name goes in `title`",
                    );
                }
            }
        }
        let language = self.string(m, "", "language", false).unwrap_or_else(|| "ru".into());
        if !lang_ok(&language) {
            self.err(
                "language",
                format!("`{language}` is not a language code"),
                "use a code such as \"ru\" or \"en\"",
            );
        }
        let intro = self.text(m, "", "intro", false);
        let recipients = self.recipients(m);
        let mut blocks = Vec::new();
        let mut items = Items {
            questions: Vec::new(),
            rosters: Vec::new(),
            ids: HashMap::new(),
        };
        let mut block_ids: HashMap<String, usize> = HashMap::new();
        if let Some(arr) = self.array(m, "", "blocks") {
            if arr.is_empty() {
                self.err(
                    "blocks",
                    "the questionnaire has no blocks",
                    "add at least one block with questions",
                );
            }
            for (bi, bv) in arr.iter().enumerate() {
                let bp = format!("blocks[{bi}]");
                let Some(bm) = self.object(bv, &bp, BLOCK_KEYS, "a block") else {
                    continue;
                };
                let bid = self.ident(bm, &bp, "id", "block id");
                if let Some(bid) = &bid
                    && let Some(prev) = block_ids.insert(bid.clone(), bi)
                {
                    self.err(
                        &join(&bp, "id"),
                        format!("duplicate block id `{bid}` (also blocks[{prev}])"),
                        "give each block its own id",
                    );
                }
                let title = self.text(bm, &bp, "title", true);
                let intro = self.text(bm, &bp, "intro", false);
                let relevant = self.expr(bm, &bp, "relevant");
                let start = items.questions.len();
                if let Some(qs) = self.array(bm, &bp, "questions") {
                    if qs.is_empty() {
                        self.err(
                            &join(&bp, "questions"),
                            "the block has no questions",
                            "add questions or remove the block",
                        );
                    }
                    self.items(qs, &bp, blocks.len(), None, &mut items);
                }
                if let (Some(id), Some(title)) = (bid, title) {
                    blocks.push(Block {
                        id,
                        title,
                        intro,
                        relevant,
                        questions: start..items.questions.len(),
                    });
                }
            }
        }
        // Even with structural errors, check the references among what could be read, so
        // that one pass reports everything.
        let Items { questions, rosters, .. } = items;
        let by_id = questions.iter().enumerate().map(|(i, x)| (x.id.clone(), i)).collect();
        let names = Names::new(&questions);
        let q = Questionnaire {
            id: id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            title: title.unwrap_or(Text::Plain(String::new())),
            short_title,
            language,
            intro,
            blocks,
            questions,
            sha256: sha256_hex(src.as_bytes()),
            source: src.to_string(),
            by_id,
            names,
            order: Vec::new(),
            users: Vec::new(),
            across: Vec::new(),
            rosters,
            recipients,
        };
        let (order, users, across) = self.references(&q);
        self.pipes(&q);
        Some(Questionnaire {
            order,
            users,
            across,
            ..q
        })
    }

    /// `recipients`: the age public keys (`age1…`) completed interviews are sealed to, one
    /// string or an array of them.
    fn recipients(&mut self, m: &Map) -> crate::seal::keys::Recipients {
        let mut to = crate::seal::keys::Recipients::default();
        let keys: Vec<(String, &Value)> = match m.get("recipients") {
            None => return to,
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("recipients[{i}]"), v))
                .collect(),
            Some(v) => vec![("recipients".to_string(), v)],
        };
        if keys.is_empty() {
            self.err(
                "recipients",
                "no recipient in the list",
                "give the supervisor's public key (the .pub file of `anketa keygen`), or leave `recipients` out",
            );
        }
        for (path, v) in keys {
            let Value::String(key) = v else {
                self.err(
                    &path,
                    format!("expected a public key string, found {}", type_name(v)),
                    "write \"age1…\", the line of the .pub file of `anketa keygen`",
                );
                continue;
            };
            if let Err(e) = to.add("", key) {
                let msg = e.trim_start_matches(": ").to_string();
                self.err(
                    &path,
                    msg,
                    "copy the `age1…` line of the supervisor's .pub file (made by `anketa keygen`)",
                );
            }
        }
        to
    }

    /// The items of a block or a roster (`path`): questions, and rosters with their own items.
    fn items(&mut self, qs: &[Value], path: &str, block: usize, roster: Option<usize>, into: &mut Items) {
        for (qi, qv) in qs.iter().enumerate() {
            let qp = format!("{path}.questions[{qi}]");
            let is_roster =
                matches!(qv, Value::Object(m) if matches!(m.get("type"), Some(Value::String(t)) if t == "roster"));
            if is_roster {
                self.roster(qv, &qp, block, roster, into);
                continue;
            }
            if let Some(mut q) = self.question(qv, &qp, block) {
                q.roster = roster;
                self.claim(&mut into.ids, &q.id, &qp);
                self.paths.push(qp);
                into.questions.push(q);
            }
        }
    }

    /// Names are one namespace: a second question or roster of the same name is refused.
    fn claim(&mut self, ids: &mut HashMap<String, String>, id: &str, path: &str) {
        if let Some(prev) = ids.insert(id.to_string(), path.to_string()) {
            self.err(
                &join(path, "id"),
                format!("duplicate question id `{id}` (also {prev})"),
                "variable names must be unique in the questionnaire (rosters' names included)",
            );
        }
    }

    /// A roster (`"type": "roster"`): its settings, then its items.
    fn roster(&mut self, v: &Value, path: &str, block: usize, parent: Option<usize>, into: &mut Items) {
        let Some(m) = self.object(v, path, ROSTER_KEYS, "a roster") else {
            return;
        };
        let id = self.var_name(m, path);
        let text = self.text(m, path, "text", true);
        let hint = self.text(m, path, "hint", false);
        let relevant = self.expr(m, path, "relevant");
        let count = self.expr(m, path, "count");
        let (min, max) = (self.count(m, path, "min"), self.count(m, path, "max"));
        let label = self.text(m, path, "label", false);
        let mut depth = 1;
        let mut up = parent;
        while let Some(r) = up {
            depth += 1;
            up = into.rosters[r].parent;
        }
        if depth > MAX_ROSTER_DEPTH {
            self.err(
                path,
                format!("rosters are nested {depth} deep; at most {MAX_ROSTER_DEPTH} levels are supported"),
                "flatten the innermost roster into the one around it",
            );
        }
        if count.is_some() && min.is_some() {
            self.err(
                &join(path, "min"),
                "`min` applies to a roster without `count` (the interviewer adds the instances)",
                "remove `min`; with `count`, the count decides how many instances there are",
            );
        }
        if let (Some(a), Some(b)) = (min, max)
            && a > b
        {
            self.err(
                path,
                format!("min ({a}) is greater than max ({b})"),
                "swap them or fix one",
            );
        }
        match max {
            Some(0) => self.err(
                &join(path, "max"),
                "max is 0: no instance could be added",
                "remove max or set it to at least 1",
            ),
            Some(b) if b > MAX_INSTANCES => self.err(
                &join(path, "max"),
                format!("max ({b}) is above the limit of {MAX_INSTANCES} instances"),
                format!("set max to at most {MAX_INSTANCES}"),
            ),
            _ => {}
        }
        if let Some(id) = &id {
            self.claim(&mut into.ids, id, path);
        }
        let me = into.rosters.len();
        let start = into.questions.len();
        into.rosters.push(Roster {
            id: id.unwrap_or_default(),
            block,
            parent,
            text: text.unwrap_or(Text::Plain(String::new())),
            hint,
            relevant,
            count,
            min,
            max,
            label,
            questions: start..start,
        });
        self.roster_paths.push(path.to_string());
        if let Some(qs) = self.array(m, path, "questions") {
            if qs.is_empty() {
                self.err(
                    &join(path, "questions"),
                    "the roster has no questions",
                    "add the questions asked for each instance, or remove the roster",
                );
            }
            self.items(qs, path, block, Some(me), into);
        }
        into.rosters[me].questions = start..into.questions.len();
    }

    fn question(&mut self, v: &Value, path: &str, block: usize) -> Option<Question> {
        let m = self.object(v, path, QUESTION_KEYS, "a question")?;
        let id = self.var_name(m, path);
        let ty = self.string(m, path, "type", true);
        let calculate = ty.as_deref() == Some("calculate");
        // A calculation needs no text; with one, it is shown as a read-only line in the review.
        let text = self.text(m, path, "text", !calculate);
        let hint = self.text(m, path, "hint", false);
        let required = self.boolean(m, path, "required");
        let relevant = self.expr(m, path, "relevant");
        let constraint = self.check(m, path, "constraint", "constraint_message");
        let warning = self.check(m, path, "warning", "warning_message");
        let ty = ty?;
        if !TYPES.contains(&ty.as_str()) {
            let hint = match did_you_mean(&ty, TYPES.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("use one of: {}", TYPES.join(", ")),
            };
            self.err(&join(path, "type"), format!("unknown question type `{ty}`"), hint);
            return None;
        }
        let choice = ty == "single" || ty == "multi";
        let not_for = |key: &str| -> bool { m.contains_key(key) };
        let refuse = |cx: &mut Self, key: &str| {
            if not_for(key) {
                cx.err(
                    &join(path, key),
                    format!("`{key}` does not apply to a {ty} question"),
                    format!("remove `{key}` or change the type"),
                );
            }
        };
        let options = if choice {
            self.options(m, path, ty == "multi")
        } else {
            refuse(self, "options");
            Vec::new()
        };
        if !matches!(ty.as_str(), "multi" | "number") {
            refuse(self, "min");
            refuse(self, "max");
        }
        if ty != "number" {
            refuse(self, "integer");
            refuse(self, "unit");
        }
        if !matches!(ty.as_str(), "text" | "long_text") {
            refuse(self, "max_length");
        }
        if ty == "note" || calculate {
            for key in ["required", "constraint", "warning"] {
                refuse(self, key);
            }
        }
        if calculate {
            refuse(self, "hint");
        }
        if !calculate {
            refuse(self, "calculation");
        }
        let calculation = if calculate {
            let e = self.expr(m, path, "calculation");
            if e.is_none() && !m.contains_key("calculation") {
                self.err(
                    path,
                    "a calculate question has no `calculation`",
                    "add \"calculation\": an expression such as \"${a} + ${b}\"",
                );
            }
            e
        } else {
            None
        };
        let kind = match ty.as_str() {
            "single" => Kind::Single,
            "multi" => {
                let (min, max) = (self.count(m, path, "min"), self.count(m, path, "max"));
                if let (Some(a), Some(b)) = (min, max)
                    && a > b
                {
                    self.err(
                        path,
                        format!("min ({a}) is greater than max ({b})"),
                        "swap them or fix one",
                    );
                }
                if let Some(b) = max {
                    if b == 0 {
                        self.err(
                            &join(path, "max"),
                            "max is 0: nothing could be chosen",
                            "remove max or set it to at least 1",
                        );
                    } else if b as usize > options.len() && !options.is_empty() {
                        self.err(
                            &join(path, "max"),
                            format!("max ({b}) exceeds the number of options ({})", options.len()),
                            "lower max or remove it",
                        );
                    }
                }
                if let Some(a) = min
                    && a as usize > options.len()
                    && !options.is_empty()
                {
                    self.err(
                        &join(path, "min"),
                        format!("min ({a}) exceeds the number of options ({})", options.len()),
                        "lower min",
                    );
                }
                Kind::Multi { min, max }
            }
            "number" => {
                let (min, max) = (self.number(m, path, "min"), self.number(m, path, "max"));
                if let (Some(a), Some(b)) = (min, max)
                    && a > b
                {
                    self.err(
                        path,
                        format!("min ({a}) is greater than max ({b})"),
                        "swap them or fix one",
                    );
                }
                Kind::Number {
                    min,
                    max,
                    integer: self.boolean(m, path, "integer").unwrap_or(true),
                    unit: self.text(m, path, "unit", false),
                }
            }
            "text" | "long_text" => {
                let default = if ty == "text" { 200 } else { 5000 };
                let max_length = self.count(m, path, "max_length").unwrap_or(default);
                if max_length == 0 {
                    self.err(
                        &join(path, "max_length"),
                        "max_length is 0",
                        "remove it or set at least 1",
                    );
                }
                if ty == "text" {
                    Kind::Text { max_length }
                } else {
                    Kind::LongText { max_length }
                }
            }
            "date" => Kind::Date,
            "calculate" => Kind::Calculate {
                calculation: calculation?,
            },
            _ => Kind::Note,
        };
        let is_note = kind == Kind::Note || calculate;
        let choice_filter = if choice {
            self.expr_with(m, path, "choice_filter", true)
        } else {
            refuse(self, "choice_filter");
            None
        };
        if let Some(e) = &choice_filter {
            // Bare names must be columns of the options.
            for (name, col) in e.attrs() {
                if name != "name" && name != "label" && !options.iter().any(|o| o.attr(name).is_some()) {
                    let known: std::collections::BTreeSet<&str> = options
                        .iter()
                        .flat_map(|o| o.attrs.iter().map(|(k, _)| k.as_str()))
                        .collect();
                    let hint = did_you_mean(name, known.iter().copied()).map_or_else(
                        || {
                            format!(
                                "the options' attributes: {}; `name` is the option's code",
                                known.into_iter().collect::<Vec<_>>().join(", ")
                            )
                        },
                        |s| format!("did you mean `{s}`?"),
                    );
                    let line = e.src.replace(['\n', '\r', '\t'], " ");
                    self.errors.push(
                        Diagnostic::new(
                            self.file,
                            join(path, "choice_filter"),
                            format!("no option has the attribute `{name}`"),
                        )
                        .snippet(&line, col, name.chars().count())
                        .hint(hint),
                    );
                }
            }
        }
        let default = if is_note {
            refuse(self, "default");
            refuse(self, "default_calculation");
            None
        } else {
            self.default(m, path, &kind, &options)
        };
        Some(Question {
            id: id?,
            block,
            roster: None,
            kind,
            text: if calculate {
                text.unwrap_or(Text::Plain(String::new()))
            } else {
                text?
            },
            hint,
            required: !is_note && required.unwrap_or(true),
            relevant,
            constraint,
            warning,
            filter_index: choice_filter.as_ref().and_then(|f| super::FilterIndex::of(f, &options)),
            options,
            default,
            choice_filter,
        })
    }

    /// A question's `default` (a value of its type) or `default_calculation` (an expression).
    fn default(&mut self, m: &Map, path: &str, kind: &Kind, options: &[Choice]) -> Option<QuestionDefault> {
        if m.contains_key("default") && m.contains_key("default_calculation") {
            self.err(
                path,
                "both `default` and `default_calculation`",
                "keep one: a fixed value in `default`, or an expression in `default_calculation`",
            );
            return None;
        }
        if m.contains_key("default_calculation") {
            return self
                .expr(m, path, "default_calculation")
                .map(QuestionDefault::Calculation);
        }
        let v = m.get("default")?;
        let p = join(path, "default");
        let code = |cx: &mut Self, c: &str| -> Option<String> {
            if options.iter().any(|o| o.code == c) {
                return Some(c.to_string());
            }
            let hint = did_you_mean(c, options.iter().map(|o| o.code.as_str())).map_or_else(
                || "use the code of one of the options".to_string(),
                |s| format!("did you mean `{s}`?"),
            );
            cx.err(&p, format!("no option has the code `{c}`"), hint);
            None
        };
        let value = match (kind, v) {
            (Kind::Single, Value::String(c)) => AnswerValue::Text(code(self, c)?),
            // XLSForm writes several codes separated by spaces.
            (Kind::Multi { .. }, Value::String(s)) => {
                let codes: Option<Vec<String>> = s.split_whitespace().map(|c| code(self, c)).collect();
                AnswerValue::Codes(codes?)
            }
            (Kind::Multi { .. }, Value::Array(a)) => {
                let mut codes = Vec::new();
                for c in a {
                    match c {
                        Value::String(c) => codes.push(code(self, c)?),
                        other => {
                            self.err(
                                &p,
                                format!("an option code must be a string, found {}", type_name(other)),
                                "write the codes as strings",
                            );
                            return None;
                        }
                    }
                }
                AnswerValue::Codes(codes)
            }
            (Kind::Number { min, max, .. }, Value::Number(n)) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                if min.is_some_and(|a| x < a) || max.is_some_and(|b| x > b) {
                    self.err(
                        &p,
                        format!("the default {x} is outside min..max"),
                        "choose a default the question accepts",
                    );
                    return None;
                }
                AnswerValue::Number(x)
            }
            (Kind::Text { .. } | Kind::LongText { .. }, Value::String(s)) => AnswerValue::Text(s.to_string()),
            (Kind::Date, Value::String(s)) if crate::record::fit::parse_date(s).is_some() => {
                AnswerValue::Text(s.to_string())
            }
            (Kind::Date, Value::String(s)) => {
                self.err(
                    &p,
                    format!("`{s}` is not a date"),
                    "write it as YYYY-MM-DD, e.g. \"2021-02-20\"",
                );
                return None;
            }
            (k, other) => {
                self.err(
                    &p,
                    format!("a {} question's default cannot be {}", k.name(), type_name(other)),
                    "a code for single, codes for multi, a number for number, a string for text and date; or an expression in `default_calculation`",
                );
                return None;
            }
        };
        Some(QuestionDefault::Value(value))
    }

    fn check(&mut self, m: &Map, path: &str, key: &str, msg_key: &str) -> Option<Check> {
        let expr = self.expr(m, path, key);
        let message = self.text(m, path, msg_key, false);
        if message.is_some() && !m.contains_key(key) {
            self.err(
                &join(path, msg_key),
                format!("`{msg_key}` without `{key}`"),
                format!("add the `{key}` expression or remove the message"),
            );
        }
        Some(Check { expr: expr?, message })
    }

    fn options(&mut self, m: &Map, path: &str, multi: bool) -> Vec<Choice> {
        let Some(arr) = self.array(m, path, "options") else {
            return Vec::new();
        };
        let op = join(path, "options");
        if arr.is_empty() {
            self.err(
                &op,
                "a choice question needs at least 1 option, found none",
                "add options or change the type",
            );
        }
        let mut out: Vec<Choice> = Vec::with_capacity(arr.len());
        // Codes seen, borrowed from the JSON (a list of thousands: no copy, a fast hash).
        let mut seen: HashMap<&str, usize, foldhash::fast::FixedState> =
            HashMap::with_capacity_and_hasher(arr.len(), Default::default());
        // Each option's path, in one buffer.
        let mut p = String::with_capacity(op.len() + 8);
        for (i, v) in arr.iter().enumerate() {
            p.clear();
            let _ = write!(p, "{op}[{i}]");
            let Some(om) = self.object(v, &p, OPTION_KEYS, "an option") else {
                continue;
            };
            let code = self.string(om, &p, "code", true);
            let label = self.text(om, &p, "label", true);
            let exclusive = self.boolean(om, &p, "exclusive").unwrap_or(false);
            let other = self.boolean(om, &p, "other").unwrap_or(false);
            let attrs = self.attributes(om, &p);
            if exclusive && !multi {
                self.err(
                    &join(&p, "exclusive"),
                    "`exclusive` applies only to options of a multi question",
                    "remove it: in a single choice every option excludes the others",
                );
            }
            let missing = match self.string(om, &p, "missing", false).as_deref() {
                None => None,
                Some("dont_know") => Some(Missing::DontKnow),
                Some("refused") => Some(Missing::Refused),
                Some(s) => {
                    self.err(
                        &join(&p, "missing"),
                        format!("unknown missing kind `{s}`"),
                        "use \"dont_know\" or \"refused\"",
                    );
                    None
                }
            };
            let Some(code) = code else { continue };
            if !is_code(&code, multi) || code.chars().count() > MAX_NAME_LEN {
                let hint = if multi {
                    format!(
                        "a code has 1 to {MAX_NAME_LEN} characters, no blanks and no control characters (codes of a multi are listed separated by spaces)"
                    )
                } else {
                    format!(
                        "a code has 1 to {MAX_NAME_LEN} characters, no control characters and no blanks at its ends"
                    )
                };
                self.err(&join(&p, "code"), format!("option code {code:?} is not valid"), hint);
                continue;
            }
            let code_in_json = om.get("code").and_then(Value::as_str).unwrap_or_default();
            if let Some(prev) = seen.insert(code_in_json, i) {
                self.err(
                    &join(&p, "code"),
                    format!("duplicate option code `{code}` (also options[{prev}])"),
                    "codes must be unique within a question",
                );
            }
            if other && out.iter().any(|o| o.other) {
                self.err(
                    &join(&p, "other"),
                    "a question can have only one `other` option",
                    "its \"specify\" text is stored once per question",
                );
            }
            if let Some(label) = label {
                out.push(Choice {
                    code,
                    label,
                    exclusive,
                    other,
                    missing,
                    attrs,
                });
            }
        }
        out
    }

    /// Every `${name}` must name a question that has a value (not a note, not the question
    /// itself in its `relevant` or `calculation`, not a question of the block in the block's
    /// `relevant`); codes in `selected()` and in comparisons with a choice question must exist;
    /// `relevant`s and `calculation`s must not refer to each other in a cycle. Returns the
    /// evaluation order ([`Questionnaire::order`]).
    fn references<'q>(&mut self, q: &'q Questionnaire) -> (Vec<usize>, Vec<Vec<usize>>, super::Across) {
        let index: HashMap<&str, usize> = q
            .questions
            .iter()
            .enumerate()
            .map(|(i, x)| (x.id.as_str(), i))
            .collect();
        let mut todo: Vec<ExprUse> = Vec::new();
        for (bi, b) in q.blocks.iter().enumerate() {
            if let Some(e) = &b.relevant {
                todo.push(ExprUse {
                    path: format!("blocks[{bi}].relevant"),
                    expr: e,
                    at: b.questions.start,
                    check: false,
                    block: Some(bi),
                    live: true,
                    scope: None,
                    roster: None,
                });
            }
            for qi in b.questions.clone() {
                // The rosters that open here (outermost first): their `relevant` and `count`.
                for (ri, r) in q.rosters.iter().enumerate().filter(|(_, r)| r.questions.start == qi) {
                    let p = self.roster_paths.get(ri).map_or("", String::as_str);
                    for (key, e, live) in [("relevant", &r.relevant, true), ("count", &r.count, false)] {
                        if let Some(e) = e {
                            todo.push(ExprUse {
                                path: format!("{p}.{key}"),
                                expr: e,
                                at: qi,
                                check: false,
                                block: None,
                                live,
                                scope: r.parent,
                                roster: Some(ri),
                            });
                        }
                    }
                }
                let qq = &q.questions[qi];
                let p = self.paths.get(qi).map_or("", String::as_str);
                let scope = qq.roster;
                let mut push = |key: &str, expr: &'q Expr, check: bool, live: bool| {
                    todo.push(ExprUse {
                        path: format!("{p}.{key}"),
                        expr,
                        at: qi,
                        check,
                        block: None,
                        live,
                        scope,
                        roster: None,
                    });
                };
                if let Some(e) = &qq.relevant {
                    push("relevant", e, false, true);
                }
                if let Some(e) = qq.calculation() {
                    push("calculation", e, false, true);
                }
                // Which options are offered decides whether a stored code still counts.
                if let Some(e) = &qq.choice_filter {
                    push("choice_filter", e, false, true);
                }
                // Evaluated once, when the question is first shown: no part of the live order.
                if let Some(QuestionDefault::Calculation(e)) = &qq.default {
                    push("default_calculation", e, false, false);
                }
                if let Some(c) = &qq.constraint {
                    push("constraint", &c.expr, true, false);
                }
                if let Some(c) = &qq.warning {
                    push("warning", &c.expr, true, false);
                }
            }
        }
        // What each question's relevance and value depend on, and where it is said (for cycles).
        let n = q.questions.len();
        let mut deps: Vec<Vec<(usize, String)>> = vec![Vec::new(); n];
        // Per question: the users that read it in other instances of its own roster
        // (`indexed-repeat` from inside the roster).
        let mut across: super::Across = vec![Vec::new(); n];
        for ExprUse {
            path,
            expr: e,
            at,
            check,
            block,
            live,
            scope,
            roster,
        } in todo
        {
            let line = e.src.replace(['\n', '\r', '\t'], " ");
            let mut uses = Vec::new();
            ref_uses(&e.node, &mut uses);
            let mut calls = Vec::new();
            nested_indexed_repeats(&e.node, &mut calls);
            for args in &calls {
                self.check_nested_indexed_repeat(q, args, &path, &line);
            }
            // Questions read through `indexed-repeat` with an outer group and index: in any
            // instance of the outermost group named.
            let nested: Vec<&str> = calls
                .iter()
                .filter_map(|args| name_at(args.first()?))
                .map(|(n, _)| n)
                .collect();
            for (name, col, used) in uses {
                let len = name.chars().count() + 3;
                if let Some(ri) = q.roster_index(name) {
                    if !matches!(used, Use::Instances(Func::Count) | Use::Group) {
                        self.errors.push(
                            Diagnostic::new(self.file, &path, format!("`{name}` is a roster, not a question"))
                                .snippet(&line, col, len)
                                .hint(format!(
                                    "its number of instances is count(${{{name}}}); a question of instance i is indexed-repeat(${{question}}, ${{{name}}}, i)"
                                )),
                        );
                    } else if roster.is_some_and(|r| q.roster_within(ri, r)) {
                        self.errors.push(
                            Diagnostic::new(self.file, &path, format!("refers to its own roster, `{name}`"))
                                .snippet(&line, col, len)
                                .hint("a roster's `count` and `relevant` are evaluated around it, before its instances exist"),
                        );
                    }
                    continue;
                }
                let d = match index.get(name) {
                    None => {
                        let names = q
                            .questions
                            .iter()
                            .map(|x| x.id.as_str())
                            .chain(q.rosters.iter().map(|r| r.id.as_str()));
                        let hint = did_you_mean(name, names).map_or_else(
                            || "no question has this id".to_string(),
                            |s| format!("did you mean `{s}`?"),
                        );
                        Diagnostic::new(self.file, &path, format!("unknown question `{name}`"))
                            .snippet(&line, col, len)
                            .hint(hint)
                    }
                    Some(&i) if q.questions[i].kind == Kind::Note => {
                        Diagnostic::new(self.file, &path, format!("`{name}` is a note and has no answer"))
                            .snippet(&line, col, len)
                            .hint("refer to a question that is answered")
                    }
                    Some(&i) if block.is_some_and(|b| q.blocks[b].questions.contains(&i)) => Diagnostic::new(
                        self.file,
                        &path,
                        format!("refers to a question of this block, `{name}`"),
                    )
                    .snippet(&line, col, len)
                    .hint("a block's condition can use only questions outside the block"),
                    Some(_) if used == Use::Group => Diagnostic::new(
                        self.file,
                        &path,
                        format!("the repeat groups of indexed-repeat() (its 2nd, 4th and 6th arguments) are rosters; `{name}` is a question"),
                    )
                    .snippet(&line, col, len)
                    .hint("write indexed-repeat(${question}, ${roster}, index)"),
                    Some(&i)
                        if roster.is_some_and(|r| q.questions[i].roster.is_some_and(|x| q.roster_within(x, r))) =>
                    {
                        Diagnostic::new(
                            self.file,
                            &path,
                            format!("refers to a question of this roster, `{name}`"),
                        )
                        .snippet(&line, col, len)
                        .hint("a roster's `count` and `relevant` can use only questions outside the roster")
                    }
                    Some(&i) if used == Use::One && !q.reads_one(q.questions[i].roster, scope) => {
                        let r = q.questions[i].roster.map_or("", |r| q.rosters[r].id.as_str());
                        Diagnostic::new(
                            self.file,
                            &path,
                            format!("`{name}` is asked in each instance of the roster `{r}`: here it has many values"),
                        )
                        .snippet(&line, col, len)
                        .hint(format!(
                            "use an aggregate over the instances: count(${{{name}}}), sum(${{{name}}}), max(${{{name}}}), indexed-repeat(${{{name}}}, ${{{r}}}, 1)"
                        ))
                    }
                    // A default read from another instance of the same question (the one
                    // before: `indexed-repeat(${q}, ${roster}, position(..) - 1)`) is computed
                    // once, when the question is first shown: no cycle.
                    Some(&i)
                        if i == at
                            && block.is_none()
                            && roster.is_none()
                            && !(path.ends_with("default_calculation")
                                && used == Use::Instances(Func::IndexedRepeat)
                                && q.questions[i].roster.is_some()) =>
                    {
                        Diagnostic::new(self.file, &path, format!("refers to itself, `{name}`"))
                            .snippet(&line, col, len)
                            .hint(if check {
                                "use `.` for the current answer"
                            } else {
                                "a question's condition or calculation cannot use its own value"
                            })
                    }
                    Some(&i) => {
                        if live {
                            let whom = match (block, roster) {
                                (Some(b), _) => q.blocks[b].questions.clone(),
                                (None, Some(r)) => q.rosters[r].questions.clone(),
                                (None, None) => at..at + 1,
                            };
                            for w in whom {
                                deps[w].push((i, path.clone()));
                                // Read in other instances than the reader's own: up to which
                                // depth a change there must be re-evaluated for it.
                                let wide = match (q.questions[i].roster, q.questions[w].roster) {
                                    _ if used != Use::Instances(Func::IndexedRepeat) => None,
                                    (_, Some(_)) if nested.contains(&name) => Some(0),
                                    (Some(ri), Some(rw)) if q.roster_within(rw, ri) => {
                                        Some(q.roster_chain(Some(ri)).len() - 1)
                                    }
                                    _ => None,
                                };
                                if let Some(d) = wide
                                    && !across[i].contains(&(w, d))
                                {
                                    across[i].push((w, d));
                                }
                            }
                        }
                        continue;
                    }
                };
                self.errors.push(d);
            }
            if !check && uses_current(&e.node) {
                let col = e.src.chars().position(|c| c == '.').unwrap_or(0);
                self.errors.push(
                    Diagnostic::new(
                        self.file,
                        &path,
                        "`.` (the current answer) is meaningful only in constraint and warning",
                    )
                    .snippet(&line, col, 1)
                    .hint("refer to the question with ${name}"),
                );
            }
            let current = q.questions.get(at).filter(|_| check);
            self.codes(&e.node, &path, &line, q, &index, current);
        }
        let (order, users) = self.order(q, &deps);
        (order, users, across)
    }

    /// Every `${name}` piped into a text must name a question that has a value.
    fn pipes(&mut self, q: &Questionnaire) {
        let pipes = |t: &Text| match t {
            Text::Plain(s) => s.contains("${"),
            Text::Map(m) => m.values().any(|s| s.contains("${")),
        };
        // Only the texts that pipe, with their paths (built only for them) and the roster whose
        // instances they are shown in.
        let mut texts: Vec<(String, &Text, Option<usize>)> = Vec::new();
        for (bi, b) in q.blocks.iter().enumerate() {
            if pipes(&b.title) {
                texts.push((format!("blocks[{bi}].title"), &b.title, None));
            }
            if let Some(t) = b.intro.as_ref().filter(|t| pipes(t)) {
                texts.push((format!("blocks[{bi}].intro"), t, None));
            }
            for qi in b.questions.clone() {
                for (ri, r) in q.rosters.iter().enumerate().filter(|(_, r)| r.questions.start == qi) {
                    let p = || self.roster_paths.get(ri).cloned().unwrap_or_default();
                    for (key, t, scope) in [
                        ("text", Some(&r.text), r.parent),
                        ("hint", r.hint.as_ref(), r.parent),
                        ("label", r.label.as_ref(), Some(ri)),
                    ] {
                        if let Some(t) = t.filter(|t| pipes(t)) {
                            texts.push((format!("{}.{key}", p()), t, scope));
                        }
                    }
                }
                let qq = &q.questions[qi];
                let p = || self.paths.get(qi).cloned().unwrap_or_default();
                let scope = qq.roster;
                if pipes(&qq.text) {
                    texts.push((format!("{}.text", p()), &qq.text, scope));
                }
                if let Some(t) = qq.hint.as_ref().filter(|t| pipes(t)) {
                    texts.push((format!("{}.hint", p()), t, scope));
                }
                for (key, c) in [("constraint_message", &qq.constraint), ("warning_message", &qq.warning)] {
                    if let Some(t) = c.as_ref().and_then(|c| c.message.as_ref()).filter(|t| pipes(t)) {
                        texts.push((format!("{}.{key}", p()), t, scope));
                    }
                }
                for (j, o) in qq.options.iter().enumerate() {
                    if pipes(&o.label) {
                        texts.push((format!("{}.options[{j}].label", p()), &o.label, scope));
                    }
                }
            }
        }
        for (path, t, scope) in texts {
            let each: Vec<(String, &str)> = match t {
                Text::Plain(s) => vec![(path.clone(), s.as_str())],
                Text::Map(m) => m.iter().map(|(l, s)| (format!("{path}.{l}"), s.as_str())).collect(),
            };
            for (path, s) in each {
                let line = s.replace(['\n', '\r', '\t'], " ");
                for (name, r) in super::piped(s) {
                    let col = s[..r.start].chars().count();
                    let len = s[r.clone()].chars().count();
                    let d = match q.index_of(name) {
                        None => {
                            let hint = did_you_mean(name, q.questions.iter().map(|x| x.id.as_str())).map_or_else(
                                || "no question has this id; a text shows an answer with ${name}".to_string(),
                                |s| format!("did you mean `{s}`?"),
                            );
                            Diagnostic::new(
                                self.file,
                                &path,
                                format!("unknown question `{name}` piped into the text"),
                            )
                            .snippet(&line, col, len)
                            .hint(hint)
                        }
                        Some(i) if q.questions[i].kind == Kind::Note => Diagnostic::new(
                            self.file,
                            &path,
                            format!("`{name}` is a note and has no answer to show"),
                        )
                        .snippet(&line, col, len)
                        .hint("pipe a question that is answered"),
                        Some(i) if !q.reads_one(q.questions[i].roster, scope) => {
                            let r = q.questions[i].roster.map_or("", |r| q.rosters[r].id.as_str());
                            Diagnostic::new(
                                self.file,
                                &path,
                                format!("`{name}` is asked in each instance of the roster `{r}`: a text here cannot show one of its answers"),
                            )
                            .snippet(&line, col, len)
                            .hint("pipe a calculation instead, e.g. one with count(${…}) or indexed-repeat(${…}, ${roster}, 1)")
                        }
                        Some(_) => continue,
                    };
                    self.errors.push(d);
                }
            }
        }
    }

    /// The evaluation order: a topological order of `deps` (questionnaire order among
    /// questions free to go), with every cycle reported.
    fn order(&mut self, q: &Questionnaire, deps: &[Vec<(usize, String)>]) -> (Vec<usize>, Vec<Vec<usize>>) {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let n = deps.len();
        let mut waiting: Vec<usize> = deps
            .iter()
            .map(|d| {
                let mut js: Vec<usize> = d.iter().map(|(j, _)| *j).collect();
                js.sort_unstable();
                js.dedup();
                js.len()
            })
            .collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, d) in deps.iter().enumerate() {
            let mut js: Vec<usize> = d.iter().map(|(j, _)| *j).collect();
            js.sort_unstable();
            js.dedup();
            for j in js {
                users[j].push(i);
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> = (0..n).filter(|&i| waiting[i] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &u in &users[i] {
                waiting[u] -= 1;
                if waiting[u] == 0 {
                    ready.push(Reverse(u));
                }
            }
        }
        if order.len() < n {
            // Each cycle once: follow unresolved dependencies from the first unresolved question
            // until a question repeats.
            let mut reported = vec![false; n];
            for start in 0..n {
                if waiting[start] == 0 || reported[start] {
                    continue;
                }
                let mut path = vec![start];
                let mut at = start;
                let cycle = loop {
                    let Some((next, _)) = deps[at].iter().find(|(j, _)| waiting[*j] > 0) else {
                        break None;
                    };
                    if let Some(p) = path.iter().position(|x| x == next) {
                        break Some(path[p..].to_vec());
                    }
                    path.push(*next);
                    at = *next;
                };
                let Some(cycle) = cycle else { continue };
                if cycle.iter().any(|&c| reported[c]) {
                    continue;
                }
                for &c in &cycle {
                    reported[c] = true;
                }
                let names: Vec<&str> = cycle
                    .iter()
                    .chain(cycle.first())
                    .map(|&c| q.questions[c].id.as_str())
                    .collect();
                let first = cycle[0];
                let second = cycle.get(1).copied().unwrap_or(first);
                let where_ = deps[first]
                    .iter()
                    .find(|(j, _)| *j == second)
                    .map_or(String::new(), |(_, p)| p.clone());
                self.errors.push(
                    Diagnostic::new(
                        self.file,
                        &where_,
                        format!(
                            "conditions or calculations refer to each other in a cycle: {}",
                            names.join(" → ")
                        ),
                    )
                    .hint("break the cycle: one of them must not depend on the others"),
                );
            }
            // Whatever is left, in questionnaire order, so that a questionnaire in error still
            // has a complete order.
            order.extend((0..n).filter(|&i| waiting[i] > 0));
        }
        (order, users)
    }

    fn codes(
        &mut self,
        node: &Node,
        path: &str,
        line: &str,
        q: &Questionnaire,
        index: &HashMap<&str, usize>,
        current: Option<&Question>,
    ) {
        let target = |n: &Node| -> Option<(&Question, usize)> {
            match n {
                Node::Ref { name, offset } => index.get(name.as_str()).map(|&i| (&q.questions[i], *offset)),
                Node::Current => current.map(|c| (c, 0)),
                _ => None,
            }
        };
        let check = |cx: &mut Self, qq: &Question, code: &str, col: usize| {
            let choice = matches!(qq.kind, Kind::Single | Kind::Multi { .. });
            if choice && !code.is_empty() && qq.option(code).is_none() {
                let hint = did_you_mean(code, qq.options.iter().map(|o| o.code.as_str())).map_or_else(
                    || {
                        format!(
                            "its codes: {}",
                            qq.options
                                .iter()
                                .map(|o| o.code.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                    |s| format!("did you mean `{s}`?"),
                );
                cx.errors.push(
                    Diagnostic::new(cx.file, path, format!("question `{}` has no option `{code}`", qq.id))
                        .snippet(line, col, code.chars().count() + 2)
                        .hint(hint),
                );
            }
        };
        match node {
            Node::Call(Func::Selected, args) => {
                if let (Some((qq, _)), Some(Node::Str(code))) = (args.first().and_then(target), args.get(1)) {
                    let col = line
                        .find(&format!("'{code}'"))
                        .or_else(|| line.find(&format!("\"{code}\"")))
                        .map_or(0, |b| line[..b].chars().count());
                    check(self, qq, code, col);
                }
            }
            Node::Bin(BinOp::Eq | BinOp::Ne, a, b) => {
                for (x, y) in [(a, b), (b, a)] {
                    if let (Some((qq, _)), Node::Str(code)) = (target(x), y.as_ref())
                        && qq.kind == Kind::Single
                    {
                        let col = line
                            .find(&format!("'{code}'"))
                            .or_else(|| line.find(&format!("\"{code}\"")))
                            .map_or(0, |b| line[..b].chars().count());
                        check(self, qq, code, col);
                    }
                }
            }
            _ => {}
        }
        match node {
            Node::Bin(_, a, b) => {
                self.codes(a, path, line, q, index, current);
                self.codes(b, path, line, q, index, current);
            }
            Node::Neg(a) => self.codes(a, path, line, q, index, current),
            Node::Call(_, args) => {
                for a in args {
                    self.codes(a, path, line, q, index, current);
                }
            }
            _ => {}
        }
    }
}

fn uses_current(n: &Node) -> bool {
    match n {
        Node::Current => true,
        Node::Bin(_, a, b) => uses_current(a) || uses_current(b),
        Node::Neg(a) => uses_current(a),
        Node::Call(_, args) => args.iter().any(uses_current),
        _ => false,
    }
}

/// How an expression uses a `${name}`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Use {
    /// Read as one value.
    One,
    /// As the argument of a function over instances (`count(${x})`, `sum(${x})`,
    /// `indexed-repeat(${x}, …)`).
    Instances(Func),
    /// As the roster of `indexed-repeat(${x}, ${roster}, i)`.
    Group,
}

impl Cx<'_> {
    /// `indexed-repeat(${q}, ${group}, i, ${sub}, j…)` with more than one group: each group is
    /// a roster directly inside the one before, and `q` is asked in the last. (Names that are
    /// no roster, or no question, are reported with the other references.)
    fn check_nested_indexed_repeat(&mut self, q: &Questionnaire, args: &[Node], path: &str, line: &str) {
        let groups: Vec<(&str, usize)> = args.iter().skip(1).step_by(2).filter_map(name_at).collect();
        let mut outer: Option<usize> = None;
        for (k, &(g, col)) in groups.iter().enumerate() {
            let Some(r) = q.roster_index(g) else { return };
            if k > 0 && q.rosters[r].parent != outer {
                let before = groups[k - 1].0;
                self.errors.push(
                    Diagnostic::new(self.file, path, format!("indexed-repeat(): `{g}` is not a roster directly inside `{before}`"))
                        .snippet(line, col, g.chars().count() + 3)
                        .hint("name the repeat groups from the outermost in, one level each: indexed-repeat(${question}, ${outer}, i, ${inner}, j)"),
                );
                return;
            }
            outer = Some(r);
        }
        if let (Some((name, col)), Some(last)) = (args.first().and_then(name_at), outer)
            && let Some(i) = q.index_of(name)
            && q.questions[i].roster != Some(last)
        {
            let g = &q.rosters[last].id;
            self.errors.push(
                Diagnostic::new(
                    self.file,
                    path,
                    format!("indexed-repeat(): `{name}` is not asked in the roster `{g}`, the last repeat group named"),
                )
                .snippet(line, col, name.chars().count() + 3)
                .hint("the question comes first, then its roster's outer rosters and indices, its own roster last"),
            );
        }
    }
}

/// A `${name}` and its offset.
fn name_at(n: &Node) -> Option<(&str, usize)> {
    match n {
        Node::Ref { name, offset } => Some((name.as_str(), *offset)),
        _ => None,
    }
}

/// The arguments of every `indexed-repeat` with more than one repeat group in `node`.
fn nested_indexed_repeats<'n>(node: &'n Node, out: &mut Vec<&'n [Node]>) {
    match node {
        Node::Call(f, args) => {
            if *f == Func::IndexedRepeat && args.len() > 3 {
                out.push(args);
            }
            for a in args {
                nested_indexed_repeats(a, out);
            }
        }
        Node::Bin(_, a, b) => {
            nested_indexed_repeats(a, out);
            nested_indexed_repeats(b, out);
        }
        Node::Neg(a) => nested_indexed_repeats(a, out),
        _ => {}
    }
}

/// Every `${name}` of `node` in order, with how it is used.
fn ref_uses<'n>(node: &'n Node, out: &mut Vec<(&'n str, usize, Use)>) {
    match node {
        Node::Ref { name, offset } => out.push((name, *offset, Use::One)),
        Node::Call(f, args) => {
            for (k, a) in args.iter().enumerate() {
                let over = match f {
                    Func::Sum | Func::Count | Func::CountNonEmpty => k == 0,
                    Func::Min | Func::Max => args.len() == 1,
                    Func::Join => args.len() == 2 && k == 1,
                    Func::Checklist | Func::WeightedChecklist => args.len() == 3 && k == 2,
                    Func::IndexedRepeat => k == 0 || k % 2 == 1,
                    _ => false,
                };
                match a {
                    Node::Ref { name, offset } if over => {
                        let used = if *f == Func::IndexedRepeat && k % 2 == 1 {
                            Use::Group
                        } else {
                            Use::Instances(*f)
                        };
                        out.push((name, *offset, used));
                    }
                    _ => ref_uses(a, out),
                }
            }
        }
        Node::Bin(_, a, b) => {
            ref_uses(a, out);
            ref_uses(b, out);
        }
        Node::Neg(a) => ref_uses(a, out),
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}
