//! The function library: names, arities and evaluation (ODK XForms spec, "XPath Functions";
//! JavaRosa where the spec is vague).

use super::date::{self, Fields};
use super::{Env, Node, Pattern, Value, cap, eval};

/// Built-in functions (`true()` and `false()` are parsed into [`Node::Bool`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Func {
    // Logic.
    Not,
    If,
    Coalesce,
    Boolean,
    BooleanFromString,
    Checklist,
    WeightedChecklist,
    Once,
    // Choices.
    Selected,
    SelectedAt,
    CountSelected,
    ChoiceName,
    // Text.
    String,
    StringLength,
    Concat,
    Join,
    Substr,
    SubstringBefore,
    SubstringAfter,
    Translate,
    NormalizeSpace,
    Contains,
    StartsWith,
    EndsWith,
    Regex,
    // Numbers.
    Number,
    Int,
    Round,
    Floor,
    Ceiling,
    Abs,
    Pow,
    Sqrt,
    Exp,
    Exp10,
    Log,
    Log10,
    Pi,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Min,
    Max,
    // Dates.
    Today,
    Now,
    Date,
    DateTime,
    DecimalDateTime,
    FormatDate,
    FormatDateTime,
    // Repeats.
    Sum,
    Count,
    CountNonEmpty,
    Position,
    IndexedRepeat,
}

/// Unbounded number of arguments.
const MANY: usize = usize::MAX;

/// Every function: its name as written, the node, and the least and most arguments.
pub(super) const FUNCS: &[(&str, Option<Func>, usize, usize)] = &[
    ("if", Some(Func::If), 3, 3),
    ("coalesce", Some(Func::Coalesce), 2, 2),
    ("not", Some(Func::Not), 1, 1),
    ("true", None, 0, 0),
    ("false", None, 0, 0),
    ("boolean", Some(Func::Boolean), 1, 1),
    ("boolean-from-string", Some(Func::BooleanFromString), 1, 1),
    ("checklist", Some(Func::Checklist), 2, MANY),
    ("weighted-checklist", Some(Func::WeightedChecklist), 2, MANY),
    ("once", Some(Func::Once), 1, 1),
    ("selected", Some(Func::Selected), 2, 2),
    ("selected-at", Some(Func::SelectedAt), 2, 2),
    ("count-selected", Some(Func::CountSelected), 1, 1),
    ("jr:choice-name", Some(Func::ChoiceName), 2, 2),
    ("string", Some(Func::String), 1, 1),
    ("string-length", Some(Func::StringLength), 0, 1),
    ("concat", Some(Func::Concat), 1, MANY),
    ("join", Some(Func::Join), 1, MANY),
    ("substr", Some(Func::Substr), 2, 3),
    ("substring-before", Some(Func::SubstringBefore), 2, 2),
    ("substring-after", Some(Func::SubstringAfter), 2, 2),
    ("translate", Some(Func::Translate), 3, 3),
    ("normalize-space", Some(Func::NormalizeSpace), 0, 1),
    ("contains", Some(Func::Contains), 2, 2),
    ("starts-with", Some(Func::StartsWith), 2, 2),
    ("ends-with", Some(Func::EndsWith), 2, 2),
    ("regex", Some(Func::Regex), 2, 2),
    ("number", Some(Func::Number), 1, 1),
    ("int", Some(Func::Int), 1, 1),
    ("round", Some(Func::Round), 1, 2),
    ("floor", Some(Func::Floor), 1, 1),
    ("ceiling", Some(Func::Ceiling), 1, 1),
    ("abs", Some(Func::Abs), 1, 1),
    ("pow", Some(Func::Pow), 2, 2),
    ("sqrt", Some(Func::Sqrt), 1, 1),
    ("exp", Some(Func::Exp), 1, 1),
    ("exp10", Some(Func::Exp10), 1, 1),
    ("log", Some(Func::Log), 1, 1),
    ("log10", Some(Func::Log10), 1, 1),
    ("pi", Some(Func::Pi), 0, 0),
    ("sin", Some(Func::Sin), 1, 1),
    ("cos", Some(Func::Cos), 1, 1),
    ("tan", Some(Func::Tan), 1, 1),
    ("asin", Some(Func::Asin), 1, 1),
    ("acos", Some(Func::Acos), 1, 1),
    ("atan", Some(Func::Atan), 1, 1),
    ("atan2", Some(Func::Atan2), 2, 2),
    ("min", Some(Func::Min), 1, MANY),
    ("max", Some(Func::Max), 1, MANY),
    ("today", Some(Func::Today), 0, 0),
    ("now", Some(Func::Now), 0, 0),
    ("date", Some(Func::Date), 1, 1),
    ("date-time", Some(Func::DateTime), 1, 1),
    ("decimal-date-time", Some(Func::DecimalDateTime), 1, 1),
    ("format-date", Some(Func::FormatDate), 2, 2),
    ("format-date-time", Some(Func::FormatDateTime), 2, 2),
    ("sum", Some(Func::Sum), 1, 1),
    ("count", Some(Func::Count), 1, 1),
    ("count-non-empty", Some(Func::CountNonEmpty), 1, 1),
    ("position", Some(Func::Position), 0, 0),
    ("indexed-repeat", Some(Func::IndexedRepeat), 3, 7),
];

impl Func {
    /// The name as written in expressions.
    pub fn name(self) -> &'static str {
        FUNCS
            .iter()
            .find(|(_, f, _, _)| *f == Some(self))
            .map_or("?", |(n, _, _, _)| n)
    }
}

/// A number as a whole index: truncated toward zero, `None` for NaN; saturating.
fn whole(n: f64) -> Option<i64> {
    (!n.is_nan()).then(|| n.trunc() as i64)
}

/// Values of the aggregate argument: the instances of a `${question}`, else the value itself.
fn instances(arg: &Node, env: &dyn Env) -> Vec<Value> {
    match arg {
        Node::Ref { name, .. } => env.instances(name),
        other => match eval(other, env) {
            Value::Null => Vec::new(),
            v => vec![v],
        },
    }
}

/// Numbers for `min`/`max`: over the instances when the one argument is a `${question}`, else
/// over the arguments; unanswered and non-numeric values are skipped (as JavaRosa does).
fn numbers(args: &[Node], env: &dyn Env) -> Vec<f64> {
    let vals: Vec<Value> = if let [one] = args {
        instances(one, env)
    } else {
        args.iter().map(|a| eval(a, env)).collect()
    };
    vals.iter().map(Value::as_num).filter(|n| !n.is_nan()).collect()
}

/// The codes of a multiple-choice value (a list, or a space-separated text).
fn codes(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.clone(),
        Value::Null => Vec::new(),
        v => v.as_string().split_whitespace().map(str::to_string).collect(),
    }
}

pub(super) fn call(f: Func, args: &[Node], env: &dyn Env) -> Value {
    let arg = |i: usize| args.get(i).map_or(Value::Null, |a| eval(a, env));
    let num = |i: usize| arg(i).as_num();
    let text = |i: usize| arg(i).as_string();
    match f {
        Func::Not => Value::Bool(!arg(0).truthy()),
        // Lazy: only the chosen branch is evaluated (spec: if(condition, then, else)).
        Func::If => {
            if arg(0).truthy() {
                arg(1)
            } else {
                arg(2)
            }
        }
        // "Returns first non-empty value of arg1 and arg2 or empty if both are empty".
        Func::Coalesce => {
            let a = arg(0);
            if a.is_empty() { arg(1) } else { a }
        }
        Func::Boolean => Value::Bool(arg(0).truthy()),
        // spec: "returns false for any argument that is not "true" or "1"" (JavaRosa: any case).
        Func::BooleanFromString => {
            let s = text(0);
            Value::Bool(s.eq_ignore_ascii_case("true") || s == "1")
        }
        // checklist(min, max, v…): the count of true v between min and max (-1: no bound); with
        // one `${q}`, over its instances.
        Func::Checklist => {
            let vals = match args.get(2..).unwrap_or_default() {
                [one] => instances(one, env),
                more => more.iter().map(|a| eval(a, env)).collect(),
            };
            let count = vals.iter().filter(|v| v.truthy()).count() as f64;
            let (min, max) = (num(0).trunc(), num(1).trunc());
            Value::Bool((min < 0.0 || count >= min) && (max < 0.0 || count <= max))
        }
        // weighted-checklist(min, max, v, w, …): the sum of the weights of the true v between
        // min and max.
        Func::WeightedChecklist => {
            let total: f64 = args
                .get(2..)
                .unwrap_or_default()
                .chunks(2)
                .filter(|p| p.len() == 2 && eval(&p[0], env).truthy())
                .map(|p| eval(&p[1], env).as_num())
                .sum();
            Value::Bool(total >= num(0) && total <= num(1))
        }
        // "evaluated and returned if the context node's value is empty, otherwise the current
        // value of the context node will be returned".
        Func::Once => {
            let cur = env.current();
            if cur.is_empty() { arg(0) } else { cur }
        }
        Func::Selected => {
            let code = text(1);
            let code = code.trim();
            Value::Bool(match arg(0) {
                Value::List(l) => l.iter().any(|c| c == code),
                Value::Null => false,
                v => v.as_string().split(' ').any(|c| c == code),
            })
        }
        // 0-based; '' outside the list (negative, too large, NaN).
        Func::SelectedAt => {
            let list = codes(&arg(0));
            let at = whole(num(1)).and_then(|i| usize::try_from(i).ok());
            Value::Str(at.and_then(|i| list.get(i).cloned()).unwrap_or_default())
        }
        Func::CountSelected => Value::Num(codes(&arg(0)).len() as f64),
        Func::ChoiceName => {
            let code = arg(0);
            match (code, args.get(1)) {
                (Value::Null, _) => Value::Null,
                (code, Some(Node::Ref { name, .. })) => env.choice_label(name, &code.as_string()),
                _ => Value::Null,
            }
        }
        Func::String => Value::Str(cap(text(0))),
        // Without an argument (ODK docs, JavaRosa), the field's own value.
        Func::StringLength => {
            let s = if args.is_empty() {
                env.current().as_string()
            } else {
                text(0)
            };
            Value::Num(s.chars().count() as f64)
        }
        Func::Concat => {
            let mut out = String::new();
            for a in args {
                out.push_str(&eval(a, env).as_string());
                if out.len() > super::MAX_STR {
                    break;
                }
            }
            Value::Str(cap(out))
        }
        // join(separator, a…): with one `${q}` after the separator, over its instances.
        Func::Join => {
            let sep = text(0);
            let vals = match args.get(1..).unwrap_or_default() {
                [one] => instances(one, env),
                more => more.iter().map(|a| eval(a, env)).collect(),
            };
            let mut out = String::new();
            for (i, v) in vals.iter().enumerate() {
                if i > 0 {
                    out.push_str(&sep);
                }
                out.push_str(&v.as_string());
                if out.len() > super::MAX_STR {
                    break;
                }
            }
            Value::Str(cap(out))
        }
        Func::Substr => substr(&text(0), num(1), args.get(2).map(|_| num(2))),
        // XPath 1.0: the text before / after the first occurrence of t ('' when t is absent).
        Func::SubstringBefore => {
            let (s, t) = (text(0), text(1));
            Value::Str(s.find(&t).map_or_else(String::new, |i| s[..i].to_string()))
        }
        Func::SubstringAfter => {
            let (s, t) = (text(0), text(1));
            Value::Str(s.find(&t).map_or_else(String::new, |i| s[i + t.len()..].to_string()))
        }
        // XPath 1.0: each character of `from` becomes the one at the same place in `to`, or is
        // removed when `to` is shorter.
        Func::Translate => {
            let (from, to): (Vec<char>, Vec<char>) = (text(1).chars().collect(), text(2).chars().collect());
            let out = text(0)
                .chars()
                .filter_map(|c| match from.iter().position(|&f| f == c) {
                    None => Some(c),
                    Some(i) => to.get(i).copied(),
                })
                .collect();
            Value::Str(out)
        }
        // Without an argument, the field's own value.
        Func::NormalizeSpace => {
            let s = if args.is_empty() {
                env.current().as_string()
            } else {
                text(0)
            };
            Value::Str(s.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Func::Contains => Value::Bool(text(0).contains(&text(1))),
        Func::StartsWith => Value::Bool(text(0).starts_with(&text(1))),
        Func::EndsWith => Value::Bool(text(0).ends_with(&text(1))),
        Func::Regex => {
            let value = text(0);
            match args.get(1) {
                Some(Node::Pattern(p)) => Value::Bool(p.matches(&value)),
                _ => Value::Bool(Pattern::new(&text(1)).is_ok_and(|p| p.matches(&value))),
            }
        }
        Func::Number => Value::Num(num(0)),
        // "discarding the fractional component"; NaN and infinities stay.
        Func::Int => Value::Num(num(0).trunc()),
        Func::Round => {
            let places = if args.len() > 1 { num(1) } else { 0.0 };
            Value::Num(round(num(0), places))
        }
        Func::Floor => Value::Num(num(0).floor()),
        Func::Ceiling => Value::Num(num(0).ceil()),
        Func::Abs => Value::Num(num(0).abs()),
        Func::Pow => Value::Num(num(0).powf(num(1))),
        Func::Sqrt => Value::Num(num(0).sqrt()),
        Func::Exp => Value::Num(num(0).exp()),
        Func::Exp10 => Value::Num(10f64.powf(num(0))),
        Func::Log => Value::Num(num(0).ln()),
        Func::Log10 => Value::Num(num(0).log10()),
        Func::Pi => Value::Num(std::f64::consts::PI),
        Func::Sin => Value::Num(num(0).sin()),
        Func::Cos => Value::Num(num(0).cos()),
        Func::Tan => Value::Num(num(0).tan()),
        Func::Asin => Value::Num(num(0).asin()),
        Func::Acos => Value::Num(num(0).acos()),
        Func::Atan => Value::Num(num(0).atan()),
        Func::Atan2 => Value::Num(num(0).atan2(num(1))),
        Func::Min => Value::Num(numbers(args, env).into_iter().reduce(f64::min).unwrap_or(f64::NAN)),
        Func::Max => Value::Num(numbers(args, env).into_iter().reduce(f64::max).unwrap_or(f64::NAN)),
        Func::Today => env.now().map_or(Value::Null, |z| {
            let d = z.date();
            date::date_value(date::days_from_civil(
                i64::from(d.year()),
                i64::from(d.month()),
                i64::from(d.day()),
            ))
        }),
        Func::Now => env.now().map_or(Value::Null, |z| {
            date::date_time_value(z.timestamp().as_millisecond(), z.offset().seconds())
        }),
        Func::Date => match arg(0) {
            Value::Num(n) => whole(n).map_or(Value::Null, date::date_value),
            v => match date::to_date_like(&v) {
                Some(Value::DateTime { ms, offset }) => {
                    let local = ms.saturating_add(i64::from(offset) * 1000);
                    date::date_value(local.div_euclid(date::MS_PER_DAY))
                }
                Some(d) => d,
                None => Value::Null,
            },
        },
        // date-time(x): as date() but keeping the time; a number is decimal days (UTC).
        Func::DateTime => match date::to_date_like(&arg(0)) {
            Some(Value::Date(d)) => date::date_time_value(i64::from(d) * date::MS_PER_DAY, 0),
            other => other.unwrap_or(Value::Null),
        },
        Func::DecimalDateTime => Value::Num(match arg(0) {
            v @ (Value::Date(_) | Value::DateTime { .. } | Value::Num(_)) => v.as_num(),
            v => date::to_date_like(&v).map_or(f64::NAN, |d| d.as_num()),
        }),
        // '' when the value is not a date (as JavaRosa).
        Func::FormatDate | Func::FormatDateTime => {
            let v = arg(0);
            Value::Str(Fields::of(&v).map_or_else(String::new, |f| date::format(&f, &text(1))))
        }
        Func::Sum => Value::Num(
            args.first()
                .map_or_else(Vec::new, |a| instances(a, env))
                .iter()
                .map(Value::as_num)
                .filter(|n| !n.is_nan())
                .sum(),
        ),
        Func::Count => Value::Num(args.first().map_or_else(Vec::new, |a| instances(a, env)).len() as f64),
        Func::CountNonEmpty => Value::Num(
            args.first()
                .map_or_else(Vec::new, |a| instances(a, env))
                .iter()
                .filter(|v| !v.is_empty())
                .count() as f64,
        ),
        Func::Position => env.position().map_or(Value::Null, |p| Value::Num(p as f64)),
        // indexed-repeat(${q}, ${group}, i[, ${sub}, j[, ${subsub}, k]]): 1-based indices; below 1
        // (or NaN) reads instance 1, as JavaRosa does. With more than one group, instance j of
        // `sub` inside instance i of `group`, and so on.
        Func::IndexedRepeat => match args.first() {
            Some(Node::Ref { name, .. }) => {
                let index = |k: usize| usize::try_from(whole(num(k)).unwrap_or(1).max(1)).unwrap_or(usize::MAX);
                if args.len() == 3 {
                    env.instance(name, index(2))
                } else {
                    let path: Vec<(&str, usize)> = (1..args.len())
                        .step_by(2)
                        .map(|k| match &args[k] {
                            Node::Ref { name: g, .. } => (g.as_str(), index(k + 1)),
                            _ => ("", 1),
                        })
                        .collect();
                    env.instance_in(name, &path)
                }
            }
            _ => Value::Null,
        },
    }
}

/// `substr(value, start, end?)`: 0-based, `end` exclusive, both counted in characters; a negative
/// index counts from the end; out-of-range indices are clamped (JavaRosa `substring`). NaN
/// reads as 0.
fn substr(s: &str, start: f64, end: Option<f64>) -> Value {
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let fix = |i: f64| {
        let i = whole(i).unwrap_or(0);
        let i = if i < 0 { len.saturating_add(i) } else { i };
        i.clamp(0, len) as usize
    };
    let (a, b) = (fix(start), end.map_or(chars.len(), fix));
    Value::Str(if a <= b {
        chars[a..b].iter().collect()
    } else {
        String::new()
    })
}

/// `round(x, places)`: half away from zero for positive x and half toward +∞ for negative ones
/// (XPath: "round up or toward zero"), computed on the shortest decimal form of `x` as
/// JavaRosa does with `BigDecimal(Double.toString(x))`, so `round(1.005, 2)` is 1.01. Places
/// beyond ±30 give NaN.
fn round(x: f64, places: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let Some(p) = whole(places) else {
        return f64::NAN;
    };
    if !(-30..=30).contains(&p) {
        return f64::NAN;
    }
    // Exact decimal digits of x: x = 0.d1d2d3… × 10^exp.
    let sci = format!("{:e}", x.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    // Position (in digits) of the rounding point: keep digits before `keep`.
    let keep = exp + 1 + p;
    let neg = x < 0.0;
    // `weight`: the power of ten of the last kept digit (-p unless x has fewer digits).
    let (mut kept, rest, weight): (Vec<u8>, &[u8], i64) = if keep <= 0 {
        (Vec::new(), if keep == 0 { &digits[..] } else { &[] }, -p)
    } else {
        let k = (keep as usize).min(digits.len());
        (digits[..k].to_vec(), &digits[k..], exp - (k as i64 - 1))
    };
    let first = rest.first().copied().unwrap_or(0);
    let tail_nonzero = rest.iter().skip(1).any(|&d| d != 0);
    // Positive: half up (away from zero). Negative: half down (toward zero), i.e. toward +∞.
    let up = first > 5 || (first == 5 && (!neg || tail_nonzero));
    let mut carry = up;
    for d in kept.iter_mut().rev() {
        if !carry {
            break;
        }
        *d += 1;
        carry = *d == 10;
        if carry {
            *d = 0;
        }
    }
    if carry {
        kept.insert(0, 1);
    }
    // Rebuild through a decimal string, exactly.
    let int: String = if kept.is_empty() {
        "0".into()
    } else {
        kept.iter().map(|d| char::from(b'0' + d)).collect()
    };
    let s = format!("{int}e{weight}");
    let v: f64 = s.parse().unwrap_or(f64::NAN);
    if neg { -v } else { v }
}
