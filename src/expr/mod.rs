//! The XLSForm/ODK-style expression language of `relevant`, `constraint`, `warning`,
//! `calculate`, `choice_filter` and `default`.
//!
//! Expressions are parsed once, when a questionnaire is loaded, into an [`Expr`] (source text plus
//! AST). Evaluation is total: it never panics, whatever the answers, and yields a [`Value`] in
//! bounded time and memory. This module owns the grammar and the semantics; it knows nothing
//! about questionnaires beyond what it asks its [`Env`], and it does no I/O (the clock is an input:
//! [`Env::now`]). The full reference, with an example per function, is `docs/expressions.md`.
//!
//! # Grammar
//! ```text
//! expr    := or
//! or      := and ("or" and)*
//! and     := cmp ("and" cmp)*
//! cmp     := sum (("=" | "!=" | "<" | "<=" | ">" | ">=") sum)?
//! sum     := term (("+" | "-") term)*
//! term    := unary (("*" | "div" | "mod") unary)*
//! unary   := "-" unary | primary
//! primary := NUMBER | 'STRING' | "STRING" | ${name} | "." | NAME
//!          | FUNCTION "(" [expr ("," expr)*] ")" | "(" expr ")"
//! NAME    := [A-Za-z_][A-Za-z0-9._:-]*     (a bare name not followed by "(": Node::Attr)
//! ```
//! A bare name is an attribute of the option being filtered (`choice_filter`, XLSForm
//! semantics: `district = ${district}`); [`Expr::attrs`] lists them so the loader can refuse them
//! elsewhere. `position(..)` is accepted as `position()`.
//!
//! Functions (ODK XForms spec, "XPath Functions"; arity is checked when parsing): `if` (lazy),
//! `coalesce`, `not`, `true`, `false`, `boolean`, `boolean-from-string`, `checklist`,
//! `weighted-checklist`, `once`; `selected`, `selected-at` (0-based), `count-selected`,
//! `jr:choice-name`; `string`, `concat`, `join`, `substr` (0-based), `substring-before`,
//! `substring-after`, `translate`, `normalize-space`, `string-length`, `contains`,
//! `starts-with`, `ends-with`, `regex` (whole-value match); `number`, `int`, `round`, `floor`,
//! `ceiling`, `abs`, `pow`, `sqrt`, `exp`, `exp10`, `log`, `log10`, `pi`, `sin`, `cos`, `tan`,
//! `asin`, `acos`, `atan`, `atan2`, `min`, `max`; `today`, `now`, `date`, `date-time`,
//! `decimal-date-time`, `format-date`, `format-date-time`; and over the instances of a question
//! in repeat groups (through [`Env::instances`]): `sum`, `count`, `count-non-empty`, `min`, `max`,
//! `join`, `checklist`, `position`, `indexed-repeat`.
//!
//! # Types and coercions
//! Number of a text: a finite decimal numeral, or a date `YYYY-MM-DD` (days since 1970-01-01) or
//! date-time `YYYY-MM-DDTHH:MM[:SS[.sss]][Z|±HH:MM]` (decimal days since 1970-01-01T00:00Z), NaN
//! otherwise (the empty text too). Number of a [`Value::Date`] is its days, of a
//! [`Value::DateTime`] its decimal days, of a boolean 0/1. So `today() - ${dob}` is an age in
//! days and `${d} > '2021-01-01'` compares dates. Text of a number is its shortest decimal form
//! (`3`, `0.5`, `NaN`, `Infinity`), of a date `YYYY-MM-DD`, of a date-time
//! `YYYY-MM-DDTHH:MM:SS.sss+HH:MM`, of a boolean `true`/`false`, of a multiple choice the codes
//! joined by spaces. Truth: non-empty text, non-zero non-NaN number, any date.
//!
//! # Unanswered values
//! A reference to a question that has no answer (not yet asked, skipped, or not relevant) is
//! [`Value::Null`]. `Null` equals `''` and nothing else; every ordering comparison (`<`, `>`, …)
//! with `Null` is false; arithmetic with `Null` gives NaN, and NaN compares false; `selected` on
//! `Null` is false; `count-selected` and `string-length` of `Null` are 0; as a condition `Null`
//! is false. So `${age} < 18` is false while `age` is unanswered, and `${age} = ''` is true.
//! Functions: `sum` skips NaN and unanswered values, `min`/`max` ignore them (NaN if nothing is
//! left), `coalesce` skips them, `concat` reads them as `''`, date functions give `Null`.
//!
//! # Limits
//! An expression is at most [`MAX_LEN`] characters and nests at most [`MAX_DEPTH`] levels. Text
//! results are cut at [`MAX_STR`] bytes; regular expressions use `regex-lite` (no backtracking,
//! linear in the text) with a bounded compiled size; numbers are IEEE doubles, so `pow` is
//! constant-time (overflow is `Infinity`).

mod date;
mod func;
mod parse;
#[cfg(test)]
mod spec_tests;

pub use func::Func;
#[cfg(doc)]
use parse::{MAX_DEPTH, MAX_LEN};
pub use parse::{ParseError, parse};

/// Longest text an expression can produce, in bytes (longer results are cut at a character
/// boundary).
pub const MAX_STR: usize = 100_000;

/// A parsed expression with its source text (kept for messages and codebooks).
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The text as written in the questionnaire.
    pub src: String,
    /// The root of the syntax tree.
    pub node: Node,
}

/// A node of the syntax tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A number literal.
    Num(f64),
    /// A string literal.
    Str(String),
    /// A boolean from `true()` / `false()`.
    Bool(bool),
    /// `${name}`; `offset` is the character column in the source, for messages.
    Ref {
        /// The question id.
        name: String,
        /// Character column of `$` in the source.
        offset: usize,
    },
    /// A bare name: an attribute (extra column) of the option a `choice_filter` is evaluated for.
    Attr {
        /// The attribute's name.
        name: String,
        /// Character column of the name in the source.
        offset: usize,
    },
    /// `.`: the answer of the question being checked.
    Current,
    /// A binary operation.
    Bin(BinOp, Box<Node>, Box<Node>),
    /// Unary minus.
    Neg(Box<Node>),
    /// A function call. For `jr:choice-name` the second argument (written `'${q}'`) is a
    /// [`Node::Ref`] naming the question; for `regex` a literal pattern is a [`Node::Pattern`].
    Call(Func, Vec<Node>),
    /// A regular expression literal, compiled when parsing (second argument of `regex`).
    Pattern(Pattern),
}

/// A compiled regular expression with its source; anchored so that it must match the whole value.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as written.
    pub src: String,
    re: regex_lite::Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.src == other.src
    }
}

impl Pattern {
    /// Compiles `src` (whole-value match, bounded size); the error is regex-lite's message.
    pub fn new(src: &str) -> Result<Pattern, String> {
        if src.len() > MAX_PATTERN {
            return Err(format!("the pattern is longer than {MAX_PATTERN} bytes"));
        }
        regex_lite::RegexBuilder::new(&format!("^(?:{src})$"))
            .size_limit(1 << 20)
            .nest_limit(64)
            .build()
            .map(|re| Pattern {
                src: src.to_string(),
                re,
            })
            .map_err(|e| e.to_string())
    }

    /// Whether the whole of `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        self.re.is_match(s)
    }
}

/// Longest regular expression accepted, in bytes.
const MAX_PATTERN: usize = 4096;

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// The value of an answer or of a sub-expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No answer.
    Null,
    /// Text, or the code of a single choice.
    Str(String),
    /// A number.
    Num(f64),
    /// A truth value.
    Bool(bool),
    /// The codes chosen in a multiple choice (never empty: no choice is `Null`).
    List(Vec<String>),
    /// A calendar date, as days since 1970-01-01 (years 0001–9999).
    Date(i32),
    /// An instant: milliseconds since 1970-01-01T00:00:00Z, and the UTC offset in seconds it is
    /// shown in (its text and its calendar date are those of that offset).
    DateTime {
        /// Milliseconds since the Unix epoch (UTC).
        ms: i64,
        /// Offset from UTC in seconds (east positive).
        offset: i32,
    },
}

impl Value {
    /// Truth of a value used as a condition.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
            Value::List(l) => !l.is_empty(),
            Value::Date(_) | Value::DateTime { .. } => true,
        }
    }

    /// The value as a number (see the module docs: dates are days).
    pub fn as_num(&self) -> f64 {
        match self {
            Value::Null => f64::NAN,
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Str(s) => str_num(s),
            Value::List(l) => {
                if l.len() == 1 {
                    str_num(&l[0])
                } else {
                    f64::NAN
                }
            }
            Value::Date(d) => f64::from(*d),
            Value::DateTime { ms, .. } => *ms as f64 / date::MS_PER_DAY as f64,
        }
    }

    /// The value as text (see the module docs).
    pub fn as_string(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Str(s) => s.clone(),
            Value::Num(n) => fmt_num(*n),
            Value::Bool(b) => b.to_string(),
            Value::List(l) => l.join(" "),
            Value::Date(d) => date::fmt_date(*d),
            Value::DateTime { ms, offset } => date::fmt_date_time(*ms, *offset),
        }
    }

    /// Empty in the sense of `coalesce`, `once` and the aggregates: unanswered, `''` or NaN.
    fn is_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Str(s) => s.is_empty(),
            Value::Num(n) => n.is_nan(),
            Value::List(l) => l.is_empty(),
            _ => false,
        }
    }
}

/// A text read as a number: a finite decimal numeral (`12`, `-1.5`, `2e3`), else a date or
/// date-time as days since the epoch, else NaN — so the answers "inf", "NaN" or "infinity" are
/// texts, not numbers.
fn str_num(s: &str) -> f64 {
    let n = numeral(s);
    if n.is_nan() {
        date::parse(s).map_or(f64::NAN, |v| v.as_num())
    } else {
        n
    }
}

/// A finite decimal numeral, NaN otherwise.
fn numeral(s: &str) -> f64 {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .unwrap_or(f64::NAN)
}

fn fmt_num(n: f64) -> String {
    if n.is_infinite() {
        if n < 0.0 { "-Infinity" } else { "Infinity" }.to_string()
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Cuts a text to [`MAX_STR`] bytes at a character boundary.
fn cap(mut s: String) -> String {
    if s.len() > MAX_STR {
        let mut end = MAX_STR;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Where the evaluator finds answers and everything else it depends on. Only `get` is
/// required; every other method has a default suited to a flat questionnaire without repeats.
pub trait Env {
    /// The answer of question `name` (`Null` when unanswered or not relevant).
    fn get(&self, name: &str) -> Value;
    /// The answer of the question being checked (for `.`); also what `once(…)` keeps when it is
    /// not empty.
    fn current(&self) -> Value {
        Value::Null
    }
    /// The clock, for `today()` and `now()`; `None` makes them `Null`.
    fn now(&self) -> Option<jiff::ZonedDateTime> {
        None
    }
    /// A bare name in a `choice_filter`: the column `name` of the option being filtered
    /// (`Null` elsewhere or when the option has no such column).
    fn attr(&self, name: &str) -> Value {
        let _ = name;
        Value::Null
    }
    /// The label of option `code` of question `question`, in the interview language, for
    /// `jr:choice-name` (`Null` when unknown).
    fn choice_label(&self, question: &str, code: &str) -> Value {
        let _ = (question, code);
        Value::Null
    }
    /// The values of question `name` across the instances of its repeat group, in order
    /// (for `sum`, `count`, `min`, `max`); outside repeats, its one value, or none if unanswered.
    fn instances(&self, name: &str) -> Vec<Value> {
        match self.get(name) {
            Value::Null => Vec::new(),
            v => vec![v],
        }
    }
    /// 1-based index of the current repeat instance (`position()`); `None` outside repeats.
    fn position(&self) -> Option<usize> {
        None
    }
    /// The value of question `name` in instance `index` (1-based) of its repeat group, for
    /// `indexed-repeat`.
    fn instance(&self, name: &str, index: usize) -> Value {
        let _ = (name, index);
        Value::Null
    }
    /// The value of question `name` in nested repeat groups: instance `path[0].1` of the group
    /// named `path[0].0`, inside it instance `path[1].1` of `path[1].0`, … (1-based), for
    /// `indexed-repeat` with five or seven arguments. `name` belongs to the last group.
    fn instance_in(&self, name: &str, path: &[(&str, usize)]) -> Value {
        let _ = (name, path);
        Value::Null
    }
}

impl<F: Fn(&str) -> Value> Env for F {
    fn get(&self, name: &str) -> Value {
        self(name)
    }
}

impl Expr {
    /// Evaluates the expression. Never panics.
    pub fn eval(&self, env: &dyn Env) -> Value {
        eval(&self.node, env)
    }

    /// Evaluates the expression as a condition.
    pub fn test(&self, env: &dyn Env) -> bool {
        self.eval(env).truthy()
    }

    /// Names referenced with `${…}`, in order of appearance, with their source columns —
    /// including the question named in `jr:choice-name(…, '${q}')` and the repeat group of
    /// `indexed-repeat`.
    pub fn refs(&self) -> Vec<(&str, usize)> {
        let mut out = Vec::new();
        walk(&self.node, &mut |n| {
            if let Node::Ref { name, offset } = n {
                out.push((name.as_str(), *offset));
            }
        });
        out
    }

    /// Bare names (option attributes, meaningful only in a `choice_filter`), in order of
    /// appearance, with their source columns.
    pub fn attrs(&self) -> Vec<(&str, usize)> {
        let mut out = Vec::new();
        walk(&self.node, &mut |n| {
            if let Node::Attr { name, offset } = n {
                out.push((name.as_str(), *offset));
            }
        });
        out
    }

    /// The error for the first bare name, for expressions where option attributes mean nothing
    /// (everywhere but a `choice_filter`): a bare word is most often text missing its quotes.
    pub fn bare_name_error(&self) -> Option<ParseError> {
        self.attrs().first().map(|&(name, col)| ParseError {
            col,
            len: name.chars().count(),
            message: format!(
                "`{name}` is not a value: text must be quoted ('{name}'), a question is written ${{{name}}}, a function {name}(…); bare names are option attributes, allowed only in a choice filter"
            ),
        })
    }

    /// Whether the expression reads the clock (`today()`, `now()`).
    pub fn uses_clock(&self) -> bool {
        let mut yes = false;
        walk(&self.node, &mut |n| {
            if let Node::Call(Func::Today | Func::Now, _) = n {
                yes = true;
            }
        });
        yes
    }
}

/// Visits every node, parents before children, left to right.
fn walk<'a>(node: &'a Node, f: &mut dyn FnMut(&'a Node)) {
    f(node);
    match node {
        Node::Bin(_, a, b) => {
            walk(a, f);
            walk(b, f);
        }
        Node::Neg(a) => walk(a, f),
        Node::Call(_, args) => args.iter().for_each(|a| walk(a, f)),
        _ => {}
    }
}

fn eval(node: &Node, env: &dyn Env) -> Value {
    match node {
        Node::Num(n) => Value::Num(*n),
        Node::Str(s) => Value::Str(s.clone()),
        Node::Bool(b) => Value::Bool(*b),
        Node::Ref { name, .. } => env.get(name),
        Node::Attr { name, .. } => env.attr(name),
        Node::Current => env.current(),
        Node::Pattern(p) => Value::Str(p.src.clone()),
        Node::Neg(a) => Value::Num(-eval(a, env).as_num()),
        Node::Bin(op, a, b) => {
            let op = *op;
            if op == BinOp::Or {
                return Value::Bool(eval(a, env).truthy() || eval(b, env).truthy());
            }
            if op == BinOp::And {
                return Value::Bool(eval(a, env).truthy() && eval(b, env).truthy());
            }
            let (x, y) = (eval(a, env), eval(b, env));
            match op {
                BinOp::Eq => Value::Bool(equals(&x, &y)),
                BinOp::Ne => Value::Bool(!equals(&x, &y)),
                BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => Value::Bool(order(op, &x, &y)),
                _ => {
                    let (p, q) = (x.as_num(), y.as_num());
                    Value::Num(match op {
                        BinOp::Add => p + q,
                        BinOp::Sub => p - q,
                        BinOp::Mul => p * q,
                        BinOp::Div => p / q,
                        _ => p % q,
                    })
                }
            }
        }
        Node::Call(f, args) => func::call(*f, args, env),
    }
}

fn is_numeric(v: &Value) -> bool {
    matches!(v, Value::Num(_) | Value::Date(_) | Value::DateTime { .. })
}

fn equals(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Null, Value::Null) => true,
        (Value::Null, v) | (v, Value::Null) => v.as_string().is_empty(),
        // NaN (e.g. arithmetic with an unanswered value) equals nothing, itself included.
        (Value::Num(n), _) | (_, Value::Num(n)) if n.is_nan() => false,
        // A number or a date against anything: compared as numbers (a text 'YYYY-MM-DD' reads as
        // a date), or as texts when one side is not a number.
        _ if is_numeric(x) || is_numeric(y) => {
            let (p, q) = (x.as_num(), y.as_num());
            if p.is_nan() || q.is_nan() {
                x.as_string() == y.as_string()
            } else {
                p == q
            }
        }
        (Value::Bool(_), _) | (_, Value::Bool(_)) => x.truthy() == y.truthy(),
        _ => x.as_string() == y.as_string(),
    }
}

fn order(op: BinOp, x: &Value, y: &Value) -> bool {
    if matches!(x, Value::Null) || matches!(y, Value::Null) {
        return false;
    }
    let (p, q) = (x.as_num(), y.as_num());
    let ord = if p.is_nan() || q.is_nan() {
        // Two non-numeric strings compare as text.
        match (x, y) {
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            _ => return false,
        }
    } else {
        match p.partial_cmp(&q) {
            Some(o) => o,
            None => return false,
        }
    };
    use std::cmp::Ordering::*;
    match op {
        BinOp::Lt => ord == Less,
        BinOp::Le => ord != Greater,
        BinOp::Gt => ord == Greater,
        _ => ord != Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Value {
        match name {
            "age" => Value::Num(30.0),
            "kind" => Value::Str("tos".into()),
            "goals" => Value::List(vec!["a".into(), "c".into()]),
            "day" => Value::Str("2021-02-20".into()),
            "word" => Value::Str("inf".into()),
            "nan" => Value::Str("NaN".into()),
            _ => Value::Null,
        }
    }

    fn t(src: &str) -> bool {
        parse(src).unwrap().test(&env)
    }

    #[test]
    fn comparisons_and_logic() {
        assert!(t("${age} >= 18 and ${age} < 65"));
        assert!(!t("${age} > 30"));
        assert!(t("${kind} = 'tos' or ${age} = 1"));
        assert!(t("not(${kind} != 'tos')"));
        assert!(t("(${age} + 10) * 2 = 80"));
        assert!(t("${age} div 4 = 7.5 and ${age} mod 7 = 2"));
        assert!(t("-${age} < 0"));
        assert!(t("${day} > '2021-01-01'"));
        assert!(t("true() and not(false())"));
    }

    #[test]
    fn nan_equals_nothing_and_words_are_not_numbers() {
        // Arithmetic with an unanswered value is NaN, which equals nothing, itself included.
        assert!(!t("${missing} + 1 = ${missing} + 1"));
        assert!(t("${missing} + 1 != ${missing} + 1"));
        assert!(!t("${missing} + 1 = 'NaN'"));
        // The texts "inf" and "NaN" are texts: not greater than any number, equal only as text.
        assert!(!t("${word} > 1000"));
        assert!(t("${word} = 'inf'"));
        assert!(!t("${nan} = 0 div 0"));
        assert!(t("${nan} = 'NaN'"));
        assert!(t("'12' = 12 and ' -1.5 ' < 0 and '2e3' = 2000"));
    }

    #[test]
    fn unanswered_semantics() {
        assert!(t("${missing} = ''"));
        assert!(!t("${missing} != ''"));
        assert!(!t("${missing} < 5"));
        assert!(!t("${missing} >= 5"));
        assert!(!t("${missing} = 0"));
        assert!(!t("${missing}"));
        assert!(t("count-selected(${missing}) = 0"));
        assert!(t("string-length(${missing}) = 0"));
        assert!(!t("selected(${missing}, 'a')"));
        assert!(!t("${missing} + 1 > 0"));
    }

    #[test]
    fn multi_functions() {
        assert!(t("selected(${goals}, 'c')"));
        assert!(!t("selected(${goals}, 'b')"));
        assert!(t("count-selected(${goals}) = 2"));
        assert!(t("selected(${kind}, 'tos')"));
        assert!(t("string-length('привет') = 6"));
    }

    #[test]
    fn current_value() {
        struct Cur;
        impl Env for Cur {
            fn get(&self, _: &str) -> Value {
                Value::Null
            }
            fn current(&self) -> Value {
                Value::Num(12.0)
            }
        }
        assert!(parse(". >= 0 and . <= 100").unwrap().test(&Cur));
        assert!(!parse(". > 12").unwrap().test(&Cur));
    }

    #[test]
    fn division_by_zero_does_not_panic() {
        assert!(!t("1 div 0 < 0"));
        assert!(!t("(0 div 0) = 0"));
        assert!(!t("5 mod 0 = 0"));
    }

    #[test]
    fn refs_are_listed_in_order() {
        let e = parse("${a} = 1 and selected(${b}, 'x')").unwrap();
        assert_eq!(e.refs(), vec![("a", 0), ("b", 22)]);
    }
}
