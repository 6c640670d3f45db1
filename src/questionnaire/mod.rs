//! Questionnaires: the validated model every other part reads.
//!
//! [`load`] turns JSON text into a [`Questionnaire`], or into *all* the [`Diagnostic`]s a user
//! can fix in one pass. Once loaded, a questionnaire is immutable and internally consistent:
//! ids are unique and well-formed, every expression is parsed and refers only to existing
//! questions without a cycle ([`Questionnaire::order`]), option codes are unique per question,
//! limits are ordered. The rest of anketa relies
//! on this and does not re-check.
//!
//! This module does no file I/O: the caller hands it the text and a label for messages.

pub mod codebook;
mod json;
mod load;
pub mod names;

use crate::expr::Expr;
use std::collections::{BTreeMap, HashMap};

pub(crate) use load::MAX_FILE_BYTES;
pub use load::load;
pub(crate) use names::Names;

/// The questionnaires compiled into the binary: (file name, text).
pub const BUNDLED: &[(&str, &str)] = &[
    ("nko.json", include_str!("../../questionnaires/nko.json")),
    ("omsu.json", include_str!("../../questionnaires/omsu.json")),
    ("demo.en.json", include_str!("../../questionnaires/demo.en.json")),
    ("engine.en.json", include_str!("../../questionnaires/engine.en.json")),
    ("projects.json", include_str!("../../questionnaires/projects.json")),
];

/// The bundled questionnaires, parsed once per process (in the order of [`BUNDLED`]).
pub(crate) fn all_bundled() -> &'static [Questionnaire] {
    static ALL: std::sync::OnceLock<Vec<Questionnaire>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        BUNDLED
            .iter()
            .filter_map(|(name, src)| load(&format!("<bundled>/{name}"), src).ok())
            .collect()
    })
}

/// A bundled questionnaire by id (`nko`, `omsu`, `demo`).
pub fn bundled(id: &str) -> Option<Questionnaire> {
    all_bundled().iter().find(|q| q.id == id).cloned()
}

/// Text that is either plain or given per language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// One text for every language.
    Plain(String),
    /// Language code → text.
    Map(BTreeMap<String, String>),
}

impl Text {
    /// The text in `lang`, else in `fallback`, else any.
    pub fn get<'a>(&'a self, lang: &str, fallback: &str) -> &'a str {
        match self {
            Text::Plain(s) => s,
            Text::Map(m) => m
                .get(lang)
                .or_else(|| m.get(fallback))
                .or_else(|| m.values().next())
                .map_or("", String::as_str),
        }
    }
}

/// The names a text pipes in with `${name}`, with their byte ranges in `text`.
pub(crate) fn piped(text: &str) -> impl Iterator<Item = (&str, std::ops::Range<usize>)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + text.get(at..)?.find("${")?;
        let len = text[start + 2..].find('}')?;
        at = start + 2 + len + 1;
        Some((text[start + 2..start + 2 + len].trim(), start..at))
    })
}

/// `text` with every `${name}` replaced by `value(name)` (borrowed when there is none).
pub(crate) fn pipe<'t>(text: &'t str, mut value: impl FnMut(&str) -> String) -> std::borrow::Cow<'t, str> {
    let mut out = String::new();
    let mut last = 0;
    for (name, r) in piped(text) {
        out.push_str(&text[last..r.start]);
        out.push_str(&value(name));
        last = r.end;
    }
    if last == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    std::borrow::Cow::Owned(out)
}

/// The widest `short_title` (terminal columns): it shares the interviewer's 80-column header
/// with the block title, and heads a column of the report's tables.
pub(crate) const SHORT_TITLE_WIDTH: usize = 16;

/// Per question: its users that read it in other instances than their own, each with the depth
/// up to which a change must re-evaluate it ([`Questionnaire::across`]).
pub type Across = Vec<Vec<(usize, usize)>>;

/// A validated questionnaire.
#[derive(Debug, Clone)]
pub struct Questionnaire {
    /// Identifier, e.g. `nko`.
    pub id: String,
    /// Version string, e.g. `2021.1`.
    pub version: String,
    /// Title.
    pub title: Text,
    /// Short name of the instrument (at most [`SHORT_TITLE_WIDTH`] columns), e.g. `НКО`.
    pub short_title: Option<Text>,
    /// Default language code of the texts.
    pub language: String,
    /// Instruction for the interviewer shown before the first block.
    pub intro: Option<Text>,
    /// Blocks in order.
    pub blocks: Vec<Block>,
    /// All questions in order, flattened across blocks.
    pub questions: Vec<Question>,
    /// Lowercase hex SHA-256 of the exact source text.
    pub sha256: String,
    /// The exact source text (kept so that a copy can be stored beside interviews).
    pub source: String,
    /// Variable name → index into `questions`. Hashed with foldhash, not SipHash: merge and
    /// report look up every answer of every record here, and the names are short and come from
    /// the questionnaire (nothing to defend against).
    pub by_id: HashMap<String, usize, foldhash::fast::FixedState>,
    /// Questions in the order of their names, for joins with sorted answers ([`Names`]).
    pub names: Names,
    /// The order in which relevance and calculations are evaluated: every question after the
    /// questions its `relevant` (and its block's), and its `calculation`, refer to — questionnaire
    /// order where nothing forces another (a later question may be referred to; cycles are
    /// refused at load).
    pub order: Vec<usize>,
    /// Per question: the questions whose `relevant` (or block's), `calculation` or choice filter
    /// refer to it, so that a change re-evaluates only what follows from it.
    pub users: Vec<Vec<usize>>,
    /// Per question of a roster: those of its users (inside a roster) that read it in other
    /// instances than their own, with the depth up to which a change must re-evaluate them
    /// (`indexed-repeat(${q}, ${roster}, position(..) - 1)` inside the roster: every instance of
    /// the roster; with an outer group and index: everywhere, depth 0).
    pub across: Across,
    /// The rosters, in questionnaire order (a roster before the rosters nested in it).
    pub rosters: Vec<Roster>,
    /// The age public keys completed interviews are sealed to (`recipients`; none: not sealed
    /// unless the data dir names some).
    pub recipients: crate::seal::keys::Recipients,
}

impl Questionnaire {
    /// Index of the question with this variable name.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The question with this variable name.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.index_of(id).map(|i| &self.questions[i])
    }

    /// The title in the questionnaire's own language.
    pub(crate) fn title(&self) -> &str {
        self.title.get(&self.language, &self.language)
    }

    /// The short name of the instrument, in the questionnaire's own language: its `short_title`;
    /// without one, for the two monitoring instruments (ids `nko` and `omsu`) the names the
    /// note uses, НКО and ОМСУ — their bundled files cannot gain a `short_title` without a new
    /// version, since interviews name them by hash —, and the id for any other. Heads the
    /// interviewer's screen and the report's columns.
    pub(crate) fn short_name(&self) -> &str {
        match (&self.short_title, self.id.as_str()) {
            (Some(t), _) => self.tr(t),
            (None, "nko") => "НКО",
            (None, "omsu") => "ОМСУ",
            (None, id) => id,
        }
    }

    /// The text in the questionnaire's own language.
    pub(crate) fn tr<'a>(&self, t: &'a Text) -> &'a str {
        t.get(&self.language, &self.language)
    }

    /// Index of the roster with this name.
    pub fn roster_index(&self, id: &str) -> Option<usize> {
        self.rosters.iter().position(|r| r.id == id)
    }

    /// Whether roster `inner` is roster `outer` or nested in it, at any depth.
    pub fn roster_within(&self, inner: usize, outer: usize) -> bool {
        let mut at = Some(inner);
        while let Some(r) = at {
            if r == outer {
                return true;
            }
            at = self.rosters[r].parent;
        }
        false
    }

    /// The rosters around roster `r`, outermost first, `r` last (empty for `None`, the
    /// interview's top level).
    pub fn roster_chain(&self, r: Option<usize>) -> Vec<usize> {
        let mut v = Vec::new();
        let mut at = r;
        while let Some(x) = at {
            v.push(x);
            at = self.rosters[x].parent;
        }
        v.reverse();
        v
    }

    /// Whether a question of roster `of` (`None`: the top level) is read as one value from the
    /// scope `from` (a roster, or `None`): it is at the top level, or in `from` or a roster
    /// around it. Any other question has one value per instance there, and is read through an
    /// aggregate (`count`, `sum`, `indexed-repeat`, …).
    pub fn reads_one(&self, of: Option<usize>, from: Option<usize>) -> bool {
        match (of, from) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(o), Some(f)) => self.roster_within(f, o),
        }
    }

    /// Whether the questionnaire has rosters (its interviews are written in the format with
    /// instances, [`crate::record::FORMAT_V2`]).
    pub fn has_rosters(&self) -> bool {
        !self.rosters.is_empty()
    }
}

/// The largest number of instances of one roster in one interview (per instance of the roster
/// around it): a count or `max` above it is refused at load, and the interviewer cannot add more.
pub const MAX_INSTANCES: u32 = 1000;

/// The deepest nesting of rosters.
pub const MAX_ROSTER_DEPTH: usize = 3;

/// A roster (repeat group): questions asked once per instance — a household member, a project,
/// a partner. Its questions are a contiguous run of [`Questionnaire::questions`] (nested rosters'
/// included) and belong to one block.
///
/// How many instances there are: `count` (an expression, e.g. `${members}`) when given, else as
/// many as the interviewer adds, between `min` and `max`.
#[derive(Debug, Clone)]
pub struct Roster {
    /// Name, unique among questions and rosters (`${members}` in `count()` and `indexed-repeat`).
    pub id: String,
    /// Index of its block.
    pub block: usize,
    /// The roster it is nested in.
    pub parent: Option<usize>,
    /// Title of the roster's list.
    pub text: Text,
    /// Instruction for the interviewer, shown with the list.
    pub hint: Option<Text>,
    /// Condition for the whole roster (evaluated around it, like a question's).
    pub relevant: Option<Expr>,
    /// The number of instances, evaluated around the roster (XLSForm's `repeat_count`).
    pub count: Option<Expr>,
    /// Least number of instances the interviewer adds (without `count`).
    pub min: Option<u32>,
    /// Greatest number of instances (with `count`: a cap on it).
    pub max: Option<u32>,
    /// The label of an instance in the list, with answers of the instance piped in
    /// (e.g. `${name}`); without one, the roster's title and the instance number.
    pub label: Option<Text>,
    /// Indices of its questions (nested rosters' included) in [`Questionnaire::questions`].
    pub questions: std::ops::Range<usize>,
}

/// A block of questions.
#[derive(Debug, Clone)]
pub struct Block {
    /// Identifier.
    pub id: String,
    /// Title.
    pub title: Text,
    /// Text read to the respondent at the start of the block.
    pub intro: Option<Text>,
    /// Condition for the whole block.
    pub relevant: Option<Expr>,
    /// Indices into [`Questionnaire::questions`].
    pub questions: std::ops::Range<usize>,
}

/// One question (one variable).
#[derive(Debug, Clone)]
pub struct Question {
    /// Variable name.
    pub id: String,
    /// Index of its block.
    pub block: usize,
    /// The innermost roster it belongs to (`None`: asked once per interview).
    pub roster: Option<usize>,
    /// Type and type-specific settings.
    pub kind: Kind,
    /// Question text.
    pub text: Text,
    /// Instruction for the interviewer.
    pub hint: Option<Text>,
    /// Must be answered before moving on (always false for notes).
    pub required: bool,
    /// Condition for asking the question.
    pub relevant: Option<Expr>,
    /// Hard check.
    pub constraint: Option<Check>,
    /// Soft check.
    pub warning: Option<Check>,
    /// Options of a choice question.
    pub options: Vec<Choice>,
    /// The value put in when the question is first shown, if it has none.
    pub default: Option<QuestionDefault>,
    /// Which options are offered: evaluated per option, its `attributes` (and `name`, its
    /// code) in scope by bare name (XLSForm's `choice_filter`).
    pub choice_filter: Option<Expr>,
    /// For the common filter `attribute = ${question}` (either way round): the options by
    /// attribute value, so that a list of thousands is filtered by one lookup.
    pub filter_index: Option<FilterIndex>,
}

/// The options of a question by the value of one attribute, for a `choice_filter` of the form
/// `attribute = ${question}`.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterIndex {
    /// The question whose answer selects.
    pub question: String,
    /// Attribute value → the options having it, in order.
    pub by_value: HashMap<String, Vec<usize>>,
    /// The options without the attribute.
    pub without: Vec<usize>,
}

impl FilterIndex {
    /// The index of `filter` over `options`, when it has the form `attribute = ${question}`.
    pub(crate) fn of(filter: &Expr, options: &[Choice]) -> Option<FilterIndex> {
        use crate::expr::{BinOp, Node};
        let Node::Bin(BinOp::Eq, a, b) = &filter.node else {
            return None;
        };
        let (attr, question) = match (a.as_ref(), b.as_ref()) {
            (Node::Attr { name: attr, .. }, Node::Ref { name: q, .. })
            | (Node::Ref { name: q, .. }, Node::Attr { name: attr, .. }) => (attr, q),
            _ => return None,
        };
        if attr == "name" || attr == "label" {
            return None;
        }
        let mut by_value: HashMap<String, Vec<usize>> = HashMap::new();
        let mut without = Vec::new();
        for (i, o) in options.iter().enumerate() {
            match o.attr(attr) {
                Some(v) => by_value.entry(v.to_string()).or_default().push(i),
                None => without.push(i),
            }
        }
        Some(FilterIndex {
            question: question.clone(),
            by_value,
            without,
        })
    }
}

/// A question's default: put in when the question is first shown (if it has no value yet) and
/// marked as such in the interview file until the interviewer confirms or changes it.
#[derive(Debug, Clone, PartialEq)]
pub enum QuestionDefault {
    /// A fixed value (`default`), checked against the question at load.
    Value(crate::record::AnswerValue),
    /// An expression (`default_calculation`), evaluated when the question is first shown.
    Calculation(Expr),
}

impl Question {
    /// The option with this code.
    pub fn option(&self, code: &str) -> Option<&Choice> {
        self.options.iter().find(|o| o.code == code)
    }

    /// Whether this question has a value in the data (everything but notes; calculations
    /// included).
    pub fn is_answerable(&self) -> bool {
        !matches!(self.kind, Kind::Note)
    }

    /// Whether the interviewer answers this question: shown and with a value (not a note, not a
    /// calculation). Such questions are numbered, counted in progress and listed in review.
    pub fn is_interviewed(&self) -> bool {
        self.is_answerable() && self.is_asked()
    }

    /// Whether the interviewer is shown this question (everything but calculations).
    pub fn is_asked(&self) -> bool {
        !matches!(self.kind, Kind::Calculate { .. })
    }

    /// The question's text for tables and codebooks, in the questionnaire's language: a piped
    /// `${name}` stays as written (the answer differs per interview); a calculation without a
    /// text is named by its variable.
    pub(crate) fn title(&self, q: &Questionnaire) -> String {
        let t = q.tr(&self.text);
        if t.trim().is_empty() {
            self.id.clone()
        } else {
            t.to_string()
        }
    }

    /// The calculation of a `calculate` question.
    pub fn calculation(&self) -> Option<&Expr> {
        match &self.kind {
            Kind::Calculate { calculation } => Some(calculation),
            _ => None,
        }
    }
}

/// A hard or soft check: the expression must hold, else the message is shown.
#[derive(Debug, Clone)]
pub struct Check {
    /// The condition an acceptable answer satisfies.
    pub expr: Expr,
    /// What to show when it does not.
    pub message: Option<Text>,
}

/// Question types.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// One option.
    Single,
    /// Several options, between `min` and `max` of them.
    Multi {
        /// Least number of selections.
        min: Option<u32>,
        /// Greatest number of selections.
        max: Option<u32>,
    },
    /// A number.
    Number {
        /// Smallest accepted value.
        min: Option<f64>,
        /// Greatest accepted value.
        max: Option<f64>,
        /// Only whole numbers.
        integer: bool,
        /// Unit shown beside the field.
        unit: Option<Text>,
    },
    /// One line of text.
    Text {
        /// Longest accepted answer in characters.
        max_length: u32,
    },
    /// Multi-line open answer.
    LongText {
        /// Longest accepted answer in characters.
        max_length: u32,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// Shown, not answered.
    Note,
    /// Computed from other answers, never asked: recomputed as answers change and stored in
    /// the interview file like an answer (a number, else a text), so that merge, exports and
    /// the report read it without evaluating anything.
    Calculate {
        /// The expression.
        calculation: Expr,
    },
}

impl Kind {
    /// Whether the values of a question of this kind are numbers: a number question, or a calculation
    /// whose expression is arithmetic or counts (its other values are texts).
    pub fn is_numeric(&self) -> bool {
        use crate::expr::{BinOp, Func, Node};
        fn numeric(n: &Node) -> bool {
            use Func::*;
            match n {
                Node::Num(_) | Node::Neg(_) => true,
                Node::Bin(op, ..) => matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod),
                // `if`: numeric when both branches are; `once`: as its argument.
                Node::Call(If, args) => args.len() == 3 && numeric(&args[1]) && numeric(&args[2]),
                Node::Call(Once | Coalesce, args) => !args.is_empty() && args.iter().all(numeric),
                Node::Call(f, _) => matches!(
                    f,
                    CountSelected
                        | StringLength
                        | Number
                        | Int
                        | Round
                        | Floor
                        | Ceiling
                        | Abs
                        | Pow
                        | Sqrt
                        | Exp
                        | Log
                        | Pi
                        | Sin
                        | Cos
                        | Tan
                        | Asin
                        | Acos
                        | Atan
                        | Min
                        | Max
                        | DecimalDateTime
                        | Sum
                        | Count
                        | CountNonEmpty
                        | Position
                        | Exp10
                        | Log10
                        | Atan2
                ),
                _ => false,
            }
        }
        match self {
            Kind::Number { .. } => true,
            Kind::Calculate { calculation } => numeric(&calculation.node),
            _ => false,
        }
    }

    /// The type name used in the JSON format.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multi { .. } => "multi",
            Kind::Number { .. } => "number",
            Kind::Text { .. } => "text",
            Kind::LongText { .. } => "long_text",
            Kind::Date => "date",
            Kind::Note => "note",
            Kind::Calculate { .. } => "calculate",
        }
    }
}

/// Non-substantive answers that reports may exclude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// "Затрудняюсь ответить".
    DontKnow,
    /// "Отказ от ответа".
    Refused,
}

impl Missing {
    /// The name used in the JSON format.
    pub fn name(self) -> &'static str {
        match self {
            Missing::DontKnow => "dont_know",
            Missing::Refused => "refused",
        }
    }
}

/// An option of a choice question.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Stable code stored in the data.
    pub code: String,
    /// Label shown.
    pub label: Text,
    /// In a multi: choosing it clears the others.
    pub exclusive: bool,
    /// Asks for a free-text "specify".
    pub other: bool,
    /// Marks a non-substantive answer.
    pub missing: Option<Missing>,
    /// Further columns of the option (XLSForm's extra `choices` columns, e.g. the district of
    /// a settlement), which a `choice_filter` reads by bare name.
    /// A short list (often one entry) kept in the order written: a map per option would cost a
    /// tree node each in a list of thousands.
    pub attrs: Vec<(String, String)>,
}

impl Choice {
    /// The value of attribute `name`, if the option has it.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
