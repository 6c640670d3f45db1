//! The XLSForm-style expression language of `relevant`, `constraint` and `warning`.
//!
//! Expressions are parsed once, when a questionnaire is loaded, into an [`Expr`] (source text plus
//! AST). Evaluation is total: it never panics, whatever the answers, and yields a [`Value`].
//! This module owns the grammar and the semantics; it knows nothing about questionnaires beyond
//! the names it is asked to look up, and it does no I/O.
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
//! primary := NUMBER | 'STRING' | "STRING" | ${name} | "." | "true()" | "false()"
//!          | name "(" [expr ("," expr)*] ")" | "(" expr ")"
//! ```
//! Functions: `not(x)`, `selected(${q}, 'code')`, `count-selected(${q})`, `string-length(x)`,
//! `true()`, `false()`.
//!
//! # Unanswered values
//! A reference to a question that has no answer (not yet asked, skipped, or not relevant) is
//! [`Value::Null`]. `Null` equals `''` and nothing else; every ordering comparison (`<`, `>`, …)
//! with `Null` is false; arithmetic with `Null` gives NaN, and NaN compares false; `selected` on
//! `Null` is false; `count-selected` and `string-length` of `Null` are 0; as a condition `Null`
//! is false. So `${age} < 18` is false while `age` is unanswered, and `${age} = ''` is true.
//!
//! # Limits
//! An expression is at most [`MAX_LEN`] characters and nests at most [`MAX_DEPTH`] levels.

mod parse;

pub use parse::parse;
#[cfg(doc)]
use parse::{MAX_DEPTH, MAX_LEN};

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
    /// `.`: the answer of the question being checked.
    Current,
    /// A binary operation.
    Bin(BinOp, Box<Node>, Box<Node>),
    /// Unary minus.
    Neg(Box<Node>),
    /// A function call.
    Call(Func, Vec<Node>),
}

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

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `not(x)`
    Not,
    /// `selected(${q}, 'code')`
    Selected,
    /// `count-selected(${q})`
    CountSelected,
    /// `string-length(x)`
    StringLength,
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
        }
    }

    /// The value as a number, as arithmetic reads it (NaN when it is none).
    pub fn as_number(&self) -> f64 {
        self.as_num()
    }

    /// The value as text, as `string()` reads it.
    pub fn as_text(&self) -> String {
        self.as_string()
    }

    fn as_num(&self) -> f64 {
        match self {
            Value::Null => f64::NAN,
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Str(s) => numeral(s),
            Value::List(l) => {
                if l.len() == 1 {
                    numeral(&l[0])
                } else {
                    f64::NAN
                }
            }
        }
    }

    fn as_string(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Str(s) => s.clone(),
            Value::Num(n) => fmt_num(*n),
            Value::Bool(b) => b.to_string(),
            Value::List(l) => l.join(" "),
        }
    }
}

/// A text read as a number: a finite decimal numeral (`12`, `-1.5`, `2e3`), NaN otherwise —
/// so the answers "inf", "NaN" or "infinity" are texts, not numbers.
fn numeral(s: &str) -> f64 {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .unwrap_or(f64::NAN)
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Where the evaluator finds answers.
pub trait Env {
    /// The answer of question `name` (`Null` when unanswered or not relevant).
    fn get(&self, name: &str) -> Value;
    /// The answer of the question being checked (for `.`).
    fn current(&self) -> Value {
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

    /// Names referenced with `${…}`, in order of appearance, with their source columns.
    pub fn refs(&self) -> Vec<(&str, usize)> {
        let mut out = Vec::new();
        collect_refs(&self.node, &mut out);
        out
    }
}

fn collect_refs<'a>(node: &'a Node, out: &mut Vec<(&'a str, usize)>) {
    match node {
        Node::Ref { name, offset } => out.push((name, *offset)),
        Node::Bin(_, a, b) => {
            collect_refs(a, out);
            collect_refs(b, out);
        }
        Node::Neg(a) => collect_refs(a, out),
        Node::Call(_, args) => args.iter().for_each(|a| collect_refs(a, out)),
        _ => {}
    }
}

fn eval(node: &Node, env: &dyn Env) -> Value {
    match node {
        Node::Num(n) => Value::Num(*n),
        Node::Str(s) => Value::Str(s.clone()),
        Node::Bool(b) => Value::Bool(*b),
        Node::Ref { name, .. } => env.get(name),
        Node::Current => env.current(),
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
        Node::Call(f, args) => {
            let arg = |i: usize| args.get(i).map_or(Value::Null, |a| eval(a, env));
            match f {
                Func::Not => Value::Bool(!arg(0).truthy()),
                Func::Selected => {
                    let code = arg(1).as_string();
                    Value::Bool(match arg(0) {
                        Value::List(l) => l.contains(&code),
                        Value::Null => false,
                        v => v.as_string().split(' ').any(|c| c == code),
                    })
                }
                Func::CountSelected => Value::Num(match arg(0) {
                    Value::List(l) => l.len() as f64,
                    Value::Null => 0.0,
                    v => v.as_string().split_whitespace().count() as f64,
                }),
                Func::StringLength => Value::Num(arg(0).as_string().chars().count() as f64),
            }
        }
    }
}

fn equals(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Null, Value::Null) => true,
        (Value::Null, v) | (v, Value::Null) => v.as_string().is_empty(),
        // NaN (e.g. arithmetic with an unanswered value) equals nothing, itself included.
        (Value::Num(n), _) | (_, Value::Num(n)) if n.is_nan() => false,
        (Value::Num(_), _) | (_, Value::Num(_)) => {
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
        // Two non-numeric strings (dates in ISO form) compare as text.
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
