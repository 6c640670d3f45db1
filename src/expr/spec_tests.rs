//! The function library against the ODK XForms spec ("XPath Functions" table of
//! getodk/xforms-spec, `_sections/30-bindings.md`; quoted as "spec"), JavaRosa where the spec
//! defers to it, and the edge cases that keep evaluation total.

use std::collections::HashMap;

use super::*;

/// A test world: answers, the current value, a clock, option attributes, labels, repeats.
#[derive(Default)]
struct World {
    answers: HashMap<&'static str, Value>,
    current: Option<Value>,
    now: Option<&'static str>,
    attrs: HashMap<&'static str, Value>,
    repeats: HashMap<&'static str, Vec<Value>>,
    position: Option<usize>,
}

impl Env for World {
    fn get(&self, name: &str) -> Value {
        self.answers.get(name).cloned().unwrap_or(Value::Null)
    }
    fn current(&self) -> Value {
        self.current.clone().unwrap_or(Value::Null)
    }
    fn now(&self) -> Option<jiff::ZonedDateTime> {
        self.now.map(|s| s.parse().unwrap())
    }
    fn attr(&self, name: &str) -> Value {
        self.attrs.get(name).cloned().unwrap_or(Value::Null)
    }
    fn choice_label(&self, question: &str, code: &str) -> Value {
        match (question, code) {
            ("fruit", "ban") => Value::Str("Banana".into()),
            ("fruit", "app") => Value::Str("Apple".into()),
            _ => Value::Null,
        }
    }
    fn instances(&self, name: &str) -> Vec<Value> {
        match self.repeats.get(name) {
            Some(v) => v.clone(),
            None => match self.get(name) {
                Value::Null => Vec::new(),
                v => vec![v],
            },
        }
    }
    fn position(&self) -> Option<usize> {
        self.position
    }
    fn instance(&self, name: &str, index: usize) -> Value {
        self.repeats
            .get(name)
            .and_then(|v| v.get(index - 1))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

const NOW: &str = "2024-02-29T13:45:30.25+03:00[+03:00]";
/// 2024-02-29 as days since 1970-01-01.
const TODAY: i32 = 19782;

fn world() -> World {
    let mut w = World {
        now: Some(NOW),
        ..World::default()
    };
    let s = |x: &str| Value::Str(x.into());
    w.answers.insert("age", Value::Num(30.0));
    w.answers.insert("name", s("Ana María"));
    w.answers.insert("fruit", s("ban"));
    w.answers
        .insert("goals", Value::List(vec!["a".into(), "c".into(), "d".into()]));
    w.answers.insert("dob", s("1990-06-15"));
    w.answers.insert("start", s("2024-02-29T10:00:00.000+03:00"));
    w.answers.insert("end", s("2024-02-29T13:00:00.000+03:00"));
    w.answers.insert("empty", s(""));
    w.answers.insert("phone", s("0123456789"));
    w.answers.insert("pat", s("[0-9]+"));
    w.answers.insert("badpat", s("(unclosed"));
    w.answers.insert("big", s(&"x".repeat(60_000)));
    w.attrs.insert("district", s("d1"));
    w.repeats
        .insert("hh_age", vec![Value::Num(34.0), Value::Num(7.0), Value::Null, s("12")]);
    w.position = Some(2);
    w
}

fn ev_in(w: &World, src: &str) -> Value {
    match parse(src) {
        Ok(e) => e.eval(w),
        Err(e) => panic!("{src}: {e:?}"),
    }
}

fn ev(src: &str) -> Value {
    ev_in(&world(), src)
}

fn s(src: &str) -> String {
    ev(src).as_string()
}

fn n(src: &str) -> f64 {
    match ev(src) {
        Value::Num(x) => x,
        v => panic!("{src} gave {v:?}, not a number"),
    }
}

fn t(src: &str) -> bool {
    parse(src).unwrap().test(&world())
}

fn perr(src: &str) -> ParseError {
    parse(src).unwrap_err()
}

// ----- Boolean functions -------------------------------------------------------------------

#[test]
fn if_is_lazy_and_returns_objects() {
    // spec fn:if: "the 2nd and 3rd parameter are objects and not strings".
    assert_eq!(ev("if(${age} > 18, 'adult', 'minor')"), Value::Str("adult".into()));
    assert_eq!(ev("if(${age} > 40, 'adult', 'minor')"), Value::Str("minor".into()));
    assert_eq!(ev("if(true(), 5, 'x')"), Value::Num(5.0));
    assert_eq!(ev("if(${missing}, 1, 2)"), Value::Num(2.0));
    // Lazy: the branch not taken is not evaluated (a clock-less world would make it Null).
    struct Counting(std::cell::Cell<u32>);
    impl Env for Counting {
        fn get(&self, name: &str) -> Value {
            self.0.set(self.0.get() + 1);
            Value::Str(name.into())
        }
    }
    let c = Counting(std::cell::Cell::new(0));
    assert_eq!(
        parse("if(true(), ${a}, ${b})").unwrap().eval(&c),
        Value::Str("a".into())
    );
    assert_eq!(c.0.get(), 1);
    assert!(perr("if(1, 2)").message.contains("takes 3 argument(s), found 2"));
}

#[test]
fn coalesce_first_non_empty() {
    // spec fn:coalesce: "Returns first non-empty value of arg1 and arg2 or empty if both are empty".
    assert_eq!(s("coalesce(${missing}, ${name})"), "Ana María");
    assert_eq!(s("coalesce(${name}, 'x')"), "Ana María");
    assert_eq!(s("coalesce(${empty}, 'x')"), "x");
    assert_eq!(s("coalesce(${missing} + 1, 7)"), "7"); // NaN is empty (JavaRosa isNull)
    assert_eq!(ev("coalesce(${missing}, ${empty})"), Value::Str(String::new()));
    assert!(t("coalesce(${missing}, ${missing}) = ''"));
    assert!(perr("coalesce(1)").message.contains("takes 2"));
}

#[test]
fn once_keeps_the_current_value() {
    // spec fn:once: "evaluated and returned if the context nodes's value is empty, otherwise the
    // current value of the context node will be returned".
    let mut w = world();
    assert_eq!(ev_in(&w, "once(${age} * 2)"), Value::Num(60.0));
    w.current = Some(Value::Str("kept".into()));
    assert_eq!(ev_in(&w, "once(${age} * 2)"), Value::Str("kept".into()));
    w.current = Some(Value::Str(String::new()));
    assert_eq!(ev_in(&w, "once(${age} * 2)"), Value::Num(60.0));
}

#[test]
fn true_false_boolean_not() {
    // spec fn:boolean "As in XPath 1.0": a non-empty string is true, so boolean('false') is true
    // (the spec's note on stored booleans).
    assert!(t("true()") && !t("false()"));
    assert_eq!(ev("boolean('false')"), Value::Bool(true));
    assert_eq!(ev("boolean('')"), Value::Bool(false));
    assert_eq!(ev("boolean(0)"), Value::Bool(false));
    assert_eq!(ev("boolean(0 div 0)"), Value::Bool(false));
    assert_eq!(ev("boolean(-2)"), Value::Bool(true));
    assert_eq!(ev("boolean(${missing})"), Value::Bool(false));
    assert_eq!(ev("boolean(today())"), Value::Bool(true));
    assert_eq!(ev("not(${missing})"), Value::Bool(true));
    assert_eq!(ev("not('a')"), Value::Bool(false));
    assert!(perr("true(1)").message.contains("takes 0"));
}

// ----- String functions ----------------------------------------------------------------------

#[test]
fn string_conversion() {
    // spec fn:string "As in XPath 1.0".
    assert_eq!(ev("string(12)"), Value::Str("12".into()));
    assert_eq!(s("string(1 div 2)"), "0.5");
    assert_eq!(s("string(1 div 0)"), "Infinity");
    assert_eq!(s("string(-1 div 0)"), "-Infinity");
    assert_eq!(s("string(0 div 0)"), "NaN");
    assert_eq!(s("string(true())"), "true");
    assert_eq!(s("string(${goals})"), "a c d");
    assert_eq!(s("string(${missing})"), "");
    assert_eq!(s("string(today())"), "2024-02-29");
    assert_eq!(s("string(now())"), "2024-02-29T13:45:30.250+03:00");
}

#[test]
fn concat_variadic() {
    // spec fn:concat: "may contain 1 argument … concatenates all string values".
    assert_eq!(s("concat('a')"), "a");
    assert_eq!(s("concat(${name}, ' (', ${age}, ')')"), "Ana María (30)");
    assert_eq!(s("concat(${missing}, 'x', ${goals})"), "xa c d");
    assert!(perr("concat()").message.contains("at least 1"));
    // Capped: 60 000 + 60 000 bytes are cut to MAX_STR.
    assert_eq!(s("concat(${big}, ${big})").len(), MAX_STR);
    assert_eq!(s("concat(${big}, 'é')").len(), 60_002);
}

#[test]
fn substr_is_zero_based_end_exclusive() {
    // spec fn:substr: "the substring beginning at the specified 0-based start index and extends
    // to the character at end index - 1".
    assert_eq!(s("substr('abcdef', 0, 2)"), "ab");
    assert_eq!(s("substr('abcdef', 2)"), "cdef");
    assert_eq!(s("substr('abcdef', 1, 4)"), "bcd");
    assert_eq!(s("substr(${name}, 4)"), "María"); // characters, not bytes
    // JavaRosa: negative indices count from the end; out of range is clamped.
    assert_eq!(s("substr('abcdef', -2)"), "ef");
    assert_eq!(s("substr('abcdef', 0, -1)"), "abcde");
    assert_eq!(s("substr('abc', 5)"), "");
    assert_eq!(s("substr('abc', 2, 1)"), "");
    assert_eq!(s("substr('abc', 1, pow(10, 300))"), "bc");
    assert_eq!(s("substr('abc', -pow(10, 300))"), "abc");
    assert_eq!(s("substr('abc', ${missing})"), "abc"); // NaN reads as 0
    assert_eq!(s("substr(${missing}, 1)"), "");
    assert!(perr("substr('a')").message.contains("2 to 3 arguments"));
}

#[test]
fn string_length_contains_starts_ends() {
    // spec fn:string-length: the argument is required; fn:contains/starts-with/ends-with "As in
    // XPath".
    assert_eq!(n("string-length(${name})"), 9.0);
    assert_eq!(n("string-length(12.5)"), 4.0);
    assert_eq!(n("string-length(${goals})"), 5.0);
    // ODK docs: "If no value is passed in, returns the number of characters in the value of the
    // question that this function call is tied to" (JavaRosa accepts it too).
    let mut w = world();
    w.current = Some(Value::Str("héllo".into()));
    assert_eq!(ev_in(&w, "string-length()"), Value::Num(5.0));
    assert!(perr("string-length(1, 2)").message.contains("takes 0 to 1"));
    assert!(t("contains(${name}, 'María')") && !t("contains(${name}, 'maría')"));
    assert!(t("contains('abc', '')"));
    assert!(t("starts-with(${phone}, '012')") && !t("starts-with(${phone}, '12')"));
    assert!(t("ends-with(${phone}, '789')") && !t("ends-with(${phone}, '78')"));
    assert!(!t("contains(${missing}, 'a')"));
    assert!(t("starts-with(${missing}, '')"));
    assert!(t("ends-with(12.5, '.5')"));
}

#[test]
fn regex_matches_the_whole_value() {
    // spec fn:regex: "The regular expression is created from the provided expression string
    // ('[0-9]+' becomes /[0-9]+/)"; JavaRosa uses Pattern.matches, a whole-value match.
    assert!(t("regex(${phone}, '[0-9]{10}')"));
    assert!(t("regex(${phone}, '^[0-9]{10}$')"));
    assert!(!t("regex(${phone}, '[0-9]{9}')"));
    assert!(!t("regex('ab1', '[0-9]')"));
    assert!(t("regex('ab1', '.*[0-9]')"));
    assert!(t("regex(., 'x|y')") == t("regex('', 'x|y')"));
    assert!(t("regex(${missing}, '')"));
    // A pattern from an answer is compiled when evaluated; an invalid one matches nothing.
    assert!(t("regex(${phone}, ${pat})"));
    assert!(!t("regex(${phone}, ${badpat})"));
    // A literal pattern is compiled when parsing: an error points at it.
    let e = perr("regex(., '(ab')");
    assert_eq!(e.col, 9);
    assert!(e.message.starts_with("invalid regular expression"), "{}", e.message);
    assert!(
        matches!(parse("regex(., 'a+')").unwrap().node, Node::Call(Func::Regex, ref a) if matches!(a[1], Node::Pattern(_)))
    );
    // Linear time: a classic catastrophic-backtracking pattern on a long text.
    let mut w = world();
    w.answers.insert("long", Value::Str("a".repeat(20_000) + "!"));
    assert_eq!(ev_in(&w, "regex(${long}, '(a+)+$')"), Value::Bool(false));
    // Oversized compiled programs are refused, not built.
    assert!(
        perr("regex(., '(a{1000}){1000}')")
            .message
            .contains("invalid regular expression")
    );
}

#[test]
fn boolean_from_string_and_checklists() {
    // spec fn:boolean-from-string: "returns false for any argument that is not "true" or "1"".
    assert_eq!(ev("boolean-from-string('true')"), Value::Bool(true));
    assert_eq!(ev("boolean-from-string('TRUE')"), Value::Bool(true)); // JavaRosa ignores case
    assert_eq!(ev("boolean-from-string('1')"), Value::Bool(true));
    assert_eq!(ev("boolean-from-string('yes')"), Value::Bool(false));
    assert_eq!(ev("boolean-from-string(${missing})"), Value::Bool(false));
    // spec fn:checklist: "whether the count of answers that evaluate to true … is between the
    // minimum and maximum inclusive. Min and max can be -1 to indicate not applicable".
    assert!(t("checklist(2, 3, ${age}, ${name}, ${missing})"));
    assert!(!t("checklist(3, -1, ${age}, ${name}, ${missing})"));
    assert!(t("checklist(-1, 1, ${missing}, ${empty}, 1)"));
    assert!(!t("checklist(-1, 0, 1)"));
    assert!(t("checklist(3, 3, ${hh_age})")); // over instances: 34, 7, '12' are true
    // spec fn:weighted-checklist: "Each v argument is paired with a w argument that weights each
    // v (true) count".
    assert!(t("weighted-checklist(5, 10, ${age}, 3, ${name}, 4, ${missing}, 100)"));
    assert!(!t("weighted-checklist(8, 10, ${age}, 3, ${name}, 4, ${missing}, 100)"));
    assert!(perr("weighted-checklist(1, 2, ${a})").message.contains("even number"));
}

#[test]
fn join_and_xpath_string_functions() {
    // spec fn:join: "Joins the provided arguments using the provide separator".
    assert_eq!(s("join(', ', 'a', ${age}, ${missing}, 'b')"), "a, 30, , b");
    assert_eq!(s("join('-', ${hh_age})"), "34-7--12");
    assert_eq!(s("join('-')"), "");
    // spec fn:substring-before / fn:substring-after "As in XPath 1.0":
    // substring-before("1999/04/01","/") returns 1999; substring-after("1999/04/01","/")
    // returns 04/01.
    assert_eq!(s("substring-before('1999/04/01', '/')"), "1999");
    assert_eq!(s("substring-after('1999/04/01', '/')"), "04/01");
    assert_eq!(s("substring-after('1999/04/01', '19')"), "99/04/01");
    assert_eq!(s("substring-before('abc', 'x')"), "");
    assert_eq!(s("substring-after('abc', '')"), "abc");
    // spec fn:translate "As in XPath 1.0": translate("bar","abc","ABC") returns "BAr";
    // translate("--aaa--","abc-","ABC") returns "AAA".
    assert_eq!(s("translate('bar', 'abc', 'ABC')"), "BAr");
    assert_eq!(s("translate('--aaa--', 'abc-', 'ABC')"), "AAA");
    assert_eq!(s("translate(${name}, 'í', 'i')"), "Ana Maria");
    assert_eq!(s("translate(${name}, 'í ', 'i')"), "AnaMaria");
    // spec fn:normalize-space "As in XPath 1.0"; without an argument, the current value.
    assert_eq!(s("normalize-space('  a \t b\n c  ')"), "a b c");
    let mut w = world();
    w.current = Some(Value::Str(" x  y ".into()));
    assert_eq!(ev_in(&w, "normalize-space()"), Value::Str("x y".into()));
}

#[test]
fn math_functions() {
    // spec fn:sqrt, fn:exp, fn:exp10, fn:log, fn:log10, fn:pi, fn:sin … fn:atan2 "As in XPath
    // 3.0" (math:…): math:log10(1.0e3) returns 3; math:exp10(2) returns 100; math:sqrt(-1)
    // returns NaN; math:atan2(+0.0e0, -0.0e0) returns π.
    assert_eq!(n("sqrt(16)"), 4.0);
    assert!(n("sqrt(-1)").is_nan());
    assert_eq!(n("log10(1000)"), 3.0);
    assert_eq!(n("exp10(2)"), 100.0);
    assert_eq!(n("exp(0)"), 1.0);
    assert_eq!(n("log(1)"), 0.0);
    assert!(n("log(0)").is_infinite());
    assert_eq!(n("pi()"), std::f64::consts::PI);
    assert_eq!(n("sin(0)"), 0.0);
    assert_eq!(n("cos(0)"), 1.0);
    assert!((n("tan(pi() div 4)") - 1.0).abs() < 1e-12);
    assert!((n("asin(1)") - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
    assert_eq!(n("acos(1)"), 0.0);
    assert!((n("atan(1) * 4") - std::f64::consts::PI).abs() < 1e-12);
    assert_eq!(n("atan2(0, -1)"), std::f64::consts::PI);
    assert!(n("sqrt(${missing})").is_nan());
}

#[test]
fn date_time_keeps_the_time() {
    // JavaRosa date-time(): toDate(x, preserveTime = true).
    assert_eq!(
        s("date-time('2024-02-29T10:00:00+03:00')"),
        "2024-02-29T10:00:00.000+03:00"
    );
    assert_eq!(s("date-time(0.5)"), "1970-01-01T12:00:00.000Z");
    assert_eq!(s("date-time('2024-02-29')"), "2024-02-29T00:00:00.000Z");
    assert_eq!(ev("date-time('x')"), Value::Null);
    assert_eq!(ev("date-time(${missing})"), Value::Null);
}

// ----- Select functions ----------------------------------------------------------------------

#[test]
fn selected_and_count_selected() {
    // spec fn:selected: "Checks if value is equal to an item in a space-separated list".
    assert!(t("selected(${goals}, 'c')") && !t("selected(${goals}, 'b')"));
    assert!(t("selected(${fruit}, 'ban')"));
    assert!(t("selected(${goals}, ' a ')")); // JavaRosa trims the value
    assert!(!t("selected(${missing}, '')"));
    // spec fn:count-selected: "the number of items in a space-separated list".
    assert_eq!(n("count-selected(${goals})"), 3.0);
    assert_eq!(n("count-selected(${fruit})"), 1.0);
    assert_eq!(n("count-selected(${missing})"), 0.0);
    assert_eq!(n("count-selected('  x   y ')"), 2.0);
}

#[test]
fn selected_at_is_zero_based() {
    // spec fn:selected-at: "the item at the 0-based index of a space-separated list or empty
    // string if the item does not exist (including for negative index …)".
    assert_eq!(s("selected-at(${goals}, 0)"), "a");
    assert_eq!(s("selected-at(${goals}, 2)"), "d");
    assert_eq!(s("selected-at(${goals}, 1.9)"), "c");
    assert_eq!(ev("selected-at(${goals}, 3)"), Value::Str(String::new()));
    assert_eq!(s("selected-at(${goals}, -1)"), "");
    assert_eq!(s("selected-at(${goals}, ${missing})"), "");
    assert_eq!(s("selected-at(${goals}, pow(10, 300))"), "");
    assert_eq!(s("selected-at(${missing}, 0)"), "");
    assert_eq!(s("selected-at('x y', 1)"), "y");
}

#[test]
fn choice_name_reads_the_label() {
    // spec fn:jr:choice-name: "the label value … corresponding to the choice option with the
    // given value"; XLSForm writes jr:choice-name(${q}, '${q}').
    assert_eq!(s("jr:choice-name(${fruit}, '${fruit}')"), "Banana");
    assert_eq!(s("jr:choice-name('app', \"${fruit}\")"), "Apple");
    assert_eq!(s("jr:choice-name(selected-at('x app', 1), ' ${ fruit } ')"), "Apple");
    assert_eq!(ev("jr:choice-name(${missing}, '${fruit}')"), Value::Null);
    assert_eq!(ev("jr:choice-name('zzz', '${fruit}')"), Value::Null);
    // The named question is a reference (for dependencies), at the `$` inside the quotes.
    let e = parse("jr:choice-name(${fruit}, '${fruit}')").unwrap();
    assert_eq!(e.refs(), vec![("fruit", 15), ("fruit", 26)]);
    assert!(perr("jr:choice-name(${fruit}, ${fruit})").message.contains("in quotes"));
    assert_eq!(perr("jr:choice-name(${fruit}, 'fruit')").col, 25);
}

// ----- Number functions ----------------------------------------------------------------------

#[test]
fn number_conversion() {
    // spec fn:number: "As in XPath 1.0. In addition it will convert date- and dateTime-formatted
    // strings to a number of days since January 1, 1970 UTC."
    assert_eq!(n("number('12')"), 12.0);
    assert_eq!(n("number(' -1.5 ')"), -1.5);
    assert!(n("number('')").is_nan()); // JavaRosa: the empty string is NaN
    assert!(n("number(${missing})").is_nan());
    assert!(n("number('abc')").is_nan());
    assert!(n("number('inf')").is_nan());
    assert_eq!(n("number(true())"), 1.0);
    assert_eq!(n("number('1970-01-02')"), 1.0);
    assert_eq!(n("number('2000-01-01')"), 10957.0);
    assert_eq!(n("number('1970-01-01T12:00:00Z')"), 0.5);
    assert_eq!(n("number('1970-01-02T00:00:00+12:00')"), 0.5);
    assert_eq!(n("number(today())"), f64::from(TODAY));
    assert!(n("number('2023-02-29')").is_nan()); // not a date
}

#[test]
fn int_floor_ceiling_abs() {
    // spec fn:int: "discarding the fractional component"; floor/ceiling/abs as in XPath.
    assert_eq!(n("int(3.9)"), 3.0);
    assert_eq!(n("int(-3.9)"), -3.0);
    assert_eq!(n("int('7.2')"), 7.0);
    assert!(n("int(${missing})").is_nan());
    assert!(n("int(1 div 0)").is_infinite());
    assert_eq!(n("floor(-1.5)"), -2.0);
    assert_eq!(n("floor(1.5)"), 1.0);
    assert_eq!(n("ceiling(1.1)"), 2.0);
    assert_eq!(n("ceiling(-1.9)"), -1.0);
    assert_eq!(n("abs(-4)"), 4.0);
    assert_eq!(n("abs('-0.5')"), 0.5);
    assert!(n("abs('x')").is_nan());
    assert!(n("floor(${missing})").is_nan());
}

#[test]
fn round_with_and_without_places() {
    // spec fn:round: "a second argument may be provided to specify the number of decimals";
    // XPath 1.0 round: halves go toward positive infinity.
    assert_eq!(n("round(2.5)"), 3.0);
    assert_eq!(n("round(2.4)"), 2.0);
    assert_eq!(n("round(-2.5)"), -2.0);
    assert_eq!(n("round(-2.6)"), -3.0);
    assert_eq!(n("round(2.71828, 2)"), 2.72);
    assert_eq!(n("round(1.005, 2)"), 1.01); // decimal, not binary, rounding (as JavaRosa)
    assert_eq!(n("round(9.99, 1)"), 10.0);
    assert_eq!(n("round(33.33, -1)"), 30.0);
    assert_eq!(n("round(0.4, 0)"), 0.0);
    assert_eq!(n("round(1234.5678, 3)"), 1234.568);
    assert_eq!(n("round(pow(10, 300), 2)"), 1e300);
    assert_eq!(n("round(pow(10, -320), 2)"), 0.0);
    assert!(n("round(1, 31)").is_nan()); // JavaRosa: absurd precision is NaN
    assert!(n("round(${missing})").is_nan());
    assert!(n("round(1.5, ${missing})").is_nan());
    assert!(perr("round()").message.contains("1 to 2 arguments"));
}

#[test]
fn pow_is_bounded() {
    // spec fn:pow: "As in XPath 3.0" (math:pow).
    assert_eq!(n("pow(2, 10)"), 1024.0);
    assert_eq!(n("pow(4, 0.5)"), 2.0);
    assert_eq!(n("pow(${missing}, 0)"), 1.0); // math:pow(NaN, 0) = 1
    assert!(n("pow(10, pow(10, 300))").is_infinite());
    assert!(n("pow(-8, 1 div 3)").is_nan());
    assert_eq!(s("pow(10, 400)"), "Infinity");
}

#[test]
fn min_max_variadic_and_over_instances() {
    // spec fn:max/min "As in XPath 3.0" over a node-set, and (JavaRosa) over several arguments;
    // JavaRosa skips NaN (unanswered) values.
    assert_eq!(n("max(1, 5, 3)"), 5.0);
    assert_eq!(n("min(1, 5, -3)"), -3.0);
    assert_eq!(n("max(${age}, ${missing}, '40')"), 40.0);
    assert!(n("max(${missing}, 'x')").is_nan());
    assert_eq!(n("max(${hh_age})"), 34.0);
    assert_eq!(n("min(${hh_age})"), 7.0);
    assert_eq!(n("max(${age})"), 30.0);
    assert!(n("min(${missing})").is_nan());
    assert_eq!(n("max('2024-01-01', '2023-01-01')"), 19723.0);
}

// ----- Date and time functions ---------------------------------------------------------------

#[test]
fn today_and_now_come_from_the_env() {
    // spec fn:today: "today's local date"; fn:now: "the current date and time including
    // timezone offset".
    assert_eq!(ev("today()"), Value::Date(TODAY));
    assert_eq!(
        ev("now()"),
        Value::DateTime {
            ms: 1_709_203_530_250,
            offset: 3 * 3600
        }
    );
    let mut w = world();
    w.now = None;
    assert_eq!(ev_in(&w, "today()"), Value::Null);
    assert_eq!(ev_in(&w, "now()"), Value::Null);
    assert!(!parse("today() > '2000-01-01'").unwrap().test(&w));
    // The local date, not UTC's: 00:30 at +03:00 is still the 29th locally.
    w.now = Some("2024-02-29T00:30:00+03:00[+03:00]");
    assert_eq!(ev_in(&w, "today()"), Value::Date(TODAY));
    assert!(parse("today() - 1").unwrap().uses_clock());
    assert!(!parse("${a} - 1").unwrap().uses_clock());
}

#[test]
fn date_arithmetic_is_in_days() {
    // spec "XPath Operators": number() conversion "provides the ability to perform arithmetic
    // with, and compare, date and dateTime strings".
    assert_eq!(n("today() - ${dob}"), f64::from(TODAY - 7470));
    assert_eq!(n("int((today() - ${dob}) div 365.25)"), 33.0);
    let hours = n("(decimal-date-time(${end}) - decimal-date-time(${start})) * 24");
    assert!((hours - 3.0).abs() < 1e-6, "{hours}");
    assert!(t("today() > ${dob}"));
    assert!(t("${dob} < '2000-01-01'"));
    assert!(t("today() = '2024-02-29'"));
    assert!(t("today() != '2024-02-28'"));
    assert!(t("'2024-02-29' = today()"));
    assert!(t("date('2024-02-29') = today()"));
    assert!(t("now() > today()"));
    assert!(t("now() < '2024-03-01'"));
    assert!(!t("today() < ${missing}"));
    assert!(!t("today() = ${missing}"));
    assert!(t("today() = today()"));
    assert!(!t("today() = 'tomorrow'"));
    assert_eq!(n("today() + 1"), f64::from(TODAY + 1));
}

#[test]
fn date_converts() {
    // spec fn:date: "Converts to a string in the … date format"; JavaRosa toDate: a number is
    // days since the epoch, a string ISO, '' stays empty.
    assert_eq!(ev("date('2024-02-29')"), Value::Date(TODAY));
    assert_eq!(s("date(0)"), "1970-01-01");
    assert_eq!(s("date(-1)"), "1969-12-31");
    assert_eq!(s("date(1.9)"), "1970-01-02");
    assert_eq!(s("date(today() + 1)"), "2024-03-01");
    assert_eq!(s("date(${start})"), "2024-02-29");
    assert_eq!(s("date('2024-02-29T23:30:00-05:00')"), "2024-02-29"); // the date as written
    assert_eq!(s("date(now())"), "2024-02-29");
    assert_eq!(ev("date(${missing})"), Value::Null);
    assert_eq!(ev("date('')"), Value::Null);
    assert_eq!(ev("date('soon')"), Value::Null);
    assert_eq!(ev("date('2023-02-29')"), Value::Null);
    assert_eq!(ev("date(pow(10, 12))"), Value::Null); // beyond year 9999
    assert_eq!(ev("date(0 div 0)"), Value::Null);
    assert_eq!(s("date('0001-01-01')"), "0001-01-01");
    assert_eq!(s("date('9999-12-31')"), "9999-12-31");
    assert_eq!(ev("date(2932897)"), Value::Null);
}

#[test]
fn decimal_date_time_in_days() {
    // spec fn:decimal-date-time: "Converts dateTime value to the number of days since
    // January 1, 1970 UTC".
    assert_eq!(n("decimal-date-time('1970-01-01T06:00:00Z')"), 0.25);
    assert_eq!(n("decimal-date-time('1970-01-01T03:00:00+03:00')"), 0.0);
    assert_eq!(n("decimal-date-time('1970-01-02')"), 1.0);
    assert!((n("decimal-date-time(now())") - 19_782.448_266_782_41).abs() < 1e-9);
    assert_eq!(n("decimal-date-time(2.5)"), 2.5);
    assert!(n("decimal-date-time(${missing})").is_nan());
    assert!(n("decimal-date-time('x')").is_nan());
}

#[test]
fn format_date_time_patterns() {
    // spec fn:format-date: %Y %y %m %n %b %d %e %a; fn:format-date-time adds %H %h %M %S %3.
    assert_eq!(s("format-date(${dob}, '%Y-%m-%d')"), "1990-06-15");
    assert_eq!(s("format-date('2024-03-05', '%e/%n/%y')"), "5/3/24");
    assert_eq!(s("format-date(today(), '%a %e %b %Y')"), "Thu 29 Feb 2024");
    assert_eq!(s("format-date-time(now(), '%H:%M:%S.%3')"), "13:45:30.250");
    assert_eq!(s("format-date-time('2024-02-29T07:05:09+03:00', '%h:%M')"), "7:05");
    assert_eq!(s("format-date-time(today(), '%H:%M')"), "00:00");
    assert_eq!(s("format-date(now(), '%d.%m.%Y 100%%')"), "29.02.2024 100%");
    assert_eq!(s("format-date(0, '%Y-%m-%d')"), "1970-01-01");
    assert_eq!(s("format-date('1969-12-31', '%a')"), "Wed");
    assert_eq!(ev("format-date(${missing}, '%Y')"), Value::Str(String::new()));
    assert_eq!(s("format-date('x', '%Y')"), "");
    // A dynamic format with an unknown pattern copies it; a literal one is refused when parsing.
    let mut w = world();
    w.answers.insert("f", Value::Str("%Q %Y %".into()));
    assert_eq!(ev_in(&w, "format-date(today(), ${f})").as_string(), "%Q 2024 %");
    let e = perr("format-date(today(), '%Y %Q')");
    assert!(e.message.contains("`%Q`"), "{}", e.message);
    assert_eq!(e.col, 21);
}

// ----- Repeat functions ----------------------------------------------------------------------

#[test]
fn sum_count_over_instances() {
    // spec fn:sum / fn:count "As in XPath 1.0" over a node-set; JavaRosa's sum skips NaN.
    assert_eq!(n("sum(${hh_age})"), 53.0);
    assert_eq!(n("count(${hh_age})"), 4.0);
    assert_eq!(n("count-non-empty(${hh_age})"), 3.0);
    // Outside repeats a question is one instance, or none while unanswered.
    assert_eq!(n("sum(${age})"), 30.0);
    assert_eq!(n("sum(${missing})"), 0.0);
    assert_eq!(n("count(${age})"), 1.0);
    assert_eq!(n("count(${missing})"), 0.0);
    assert!(perr("sum(1 + 2)").message.contains("must be a ${question}"));
    assert!(perr("count('x')").message.contains("must be a ${question}"));
}

#[test]
fn position_and_indexed_repeat() {
    // spec fn:position: "the position of that node amongst its siblings"; XLSForm writes
    // position(..). fn:indexed-repeat: "the 1-based index of a repeat node-set".
    assert_eq!(n("position(..)"), 2.0);
    assert_eq!(n("position()"), 2.0);
    let mut w = world();
    w.position = None;
    assert_eq!(ev_in(&w, "position(..)"), Value::Null);
    assert_eq!(ev("indexed-repeat(${hh_age}, ${hh}, 1)"), Value::Num(34.0));
    assert_eq!(ev("indexed-repeat(${hh_age}, ${hh}, position(..))"), Value::Num(7.0));
    assert_eq!(ev("indexed-repeat(${hh_age}, ${hh}, 0)"), Value::Num(34.0)); // JavaRosa: < 1 reads 1
    assert_eq!(ev("indexed-repeat(${hh_age}, ${hh}, 99)"), Value::Null);
    assert_eq!(ev("indexed-repeat(${hh_age}, ${hh}, pow(10, 300))"), Value::Null);
    let e = parse("indexed-repeat(${hh_age}, ${hh}, 1)").unwrap();
    assert_eq!(e.refs(), vec![("hh_age", 15), ("hh", 26)]);
    assert!(perr("indexed-repeat(${a}, 'hh', 1)").message.contains("argument 2"));
    // Nested repeat groups: a group and an index for each level, up to three levels.
    assert!(parse("indexed-repeat(${a}, ${r}, 1, ${s}, 2)").is_ok());
    assert!(parse("indexed-repeat(${a}, ${r}, 1, ${s}, 2, ${t}, 3)").is_ok());
    assert!(
        perr("indexed-repeat(${a}, ${r}, 1, ${s})")
            .message
            .contains("3, 5 or 7 arguments, found 4")
    );
    assert!(
        perr("indexed-repeat(${a}, ${r}, 1, 's', 2)")
            .message
            .contains("argument 4")
    );
    assert!(
        perr("indexed-repeat(${a}, ${r}, 1, ${s}, 2, ${t}, 3, ${u}, 4)")
            .message
            .contains("3 to 7")
    );
    // An environment without nested repeats reads nothing there.
    assert_eq!(ev("indexed-repeat(${hh_age}, ${hh}, 1, ${hh}, 1)"), Value::Null);
    assert!(perr("position(1)").message.contains("takes 0"));
    assert!(perr("position(..").message.contains("expected `)`"));
    assert!(perr("..").message.contains("expected a value"));
    // The default Env: no repeats at all.
    let flat = |_: &str| Value::Num(5.0);
    assert_eq!(parse("indexed-repeat(${a}, ${r}, 1)").unwrap().eval(&flat), Value::Null);
    assert_eq!(parse("position(..)").unwrap().eval(&flat), Value::Null);
    assert_eq!(parse("count(${a}) + sum(${a})").unwrap().eval(&flat), Value::Num(6.0));
}

// ----- Names, attributes, parsing ------------------------------------------------------------

#[test]
fn bare_names_are_option_attributes() {
    // XLSForm choice_filter: "district = ${district}" compares the option's column.
    let mut w = world();
    w.answers.insert("district", Value::Str("d1".into()));
    assert!(parse("district = ${district}").unwrap().test(&w));
    w.answers.insert("district", Value::Str("d2".into()));
    assert!(!parse("district = ${district}").unwrap().test(&w));
    assert_eq!(ev("name"), Value::Null);
    let e = parse("district = ${district} and lang-code.x != 'x' or jr:x = 1").unwrap();
    assert_eq!(e.attrs(), vec![("district", 0), ("lang-code.x", 27), ("jr:x", 49)]);
    assert_eq!(e.refs(), vec![("district", 11)]);
    // Outside choice filters the loader refuses them with this error.
    let err = e.bare_name_error().unwrap();
    assert_eq!((err.col, err.len), (0, 8));
    assert!(
        err.message
            .starts_with("`district` is not a value: text must be quoted ('district')")
    );
    assert_eq!(parse("${a} = 'yes'").unwrap().bare_name_error(), None);
    // A bare name followed by `(` is a function call.
    assert!(
        perr("district(1)")
            .message
            .starts_with("unknown function `district`; known: if, coalesce")
    );
}

#[test]
fn every_function_is_known_and_arity_checked() {
    for (name, _, min, max) in func::FUNCS {
        let args = |k: usize| vec!["${q}"; k].join(", ");
        let call = |k: usize| format!("{name}({})", args(k));
        let special = matches!(*name, "jr:choice-name" | "indexed-repeat");
        if !special {
            assert!(parse(&call(*min)).is_ok(), "{name}");
        }
        if *max < 10 {
            let e = perr(&call(max + 1));
            assert!(e.message.contains("takes"), "{name}: {}", e.message);
        } else {
            assert!(parse(&call(60)).is_ok(), "{name} is variadic");
        }
        if *min > 0 {
            assert!(perr(&call(min - 1)).message.contains("takes"), "{name}");
        }
        let known = perr("nope()").message;
        assert!(known.contains(&format!(" {name}")), "{name} missing from {known}");
    }
    assert_eq!(Func::IndexedRepeat.name(), "indexed-repeat");
    assert_eq!(Func::ChoiceName.name(), "jr:choice-name");
}

// ----- Totality ----------------------------------------------------------------------------

use crate::simulate::Rng;

/// One of `xs`, at random.
fn pick<'a>(r: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[r.below(xs.len())]
}

const ATOMS: &[&str] = &[
    "1",
    "0",
    "-1",
    "0.5",
    "pow(10, 308)",
    "'x'",
    "''",
    "'2024-02-29'",
    "'1970-01-01T00:00:00Z'",
    "'9999-12-31'",
    "'-5'",
    "'[a-'",
    "'%Y%'",
    "${a}",
    "${b}",
    "${c}",
    "${d}",
    "${e}",
    "${f}",
    ".",
    "attr",
    "true()",
    "today()",
    "now()",
    "position(..)",
    "sum(${a})",
    "count(${b})",
    "'${c}'",
    "1 div 0",
    "0 div 0",
];

const CALLS: &[&str] = &[
    "if",
    "coalesce",
    "concat",
    "substr",
    "string-length",
    "contains",
    "starts-with",
    "ends-with",
    "regex",
    "selected-at",
    "count-selected",
    "number",
    "int",
    "round",
    "floor",
    "ceiling",
    "abs",
    "pow",
    "min",
    "max",
    "date",
    "decimal-date-time",
    "format-date",
    "format-date-time",
    "once",
    "boolean",
    "string",
    "not",
    "indexed-repeat",
    "jr:choice-name",
    "selected",
    "max",
    "min",
];

fn random_expr(r: &mut Rng, depth: u32) -> String {
    if depth == 0 || r.below(4) == 0 {
        return pick(r, ATOMS).to_string();
    }
    match r.below(4) {
        0 => {
            let op = pick(r, &["+", "-", "*", "div", "mod", "=", "!=", "<", ">=", "and", "or"]);
            format!("({} {op} {})", random_expr(r, depth - 1), random_expr(r, depth - 1))
        }
        1 => format!("-{}", random_expr(r, depth - 1)),
        _ => {
            let f = pick(r, CALLS);
            let k = r.below(4);
            let args: Vec<String> = (0..k).map(|_| random_expr(r, depth - 1)).collect();
            format!("{f}({})", args.join(", "))
        }
    }
}

#[test]
fn random_expressions_never_panic() {
    let values = [
        Value::Null,
        Value::Str(String::new()),
        Value::Str("2024-13-45".into()),
        Value::Str("2024-02-29T25:00:00+99:00".into()),
        Value::Str("é".repeat(40_000)),
        Value::Str("a b c".into()),
        Value::Num(f64::NAN),
        Value::Num(f64::INFINITY),
        Value::Num(-1e308),
        Value::Num(0.1),
        Value::Bool(true),
        Value::List(vec!["x".into(), "y".into()]),
        Value::List(vec!["3".into()]),
        Value::Date(i32::MAX),
        Value::Date(i32::MIN),
        Value::Date(0),
        Value::DateTime {
            ms: i64::MAX,
            offset: i32::MIN,
        },
        Value::DateTime {
            ms: i64::MIN,
            offset: 0,
        },
        Value::DateTime { ms: 0, offset: 3600 },
    ];
    let mut r = Rng::new(0x9E37_79B9_7F4A_7C15);
    let (mut parsed, mut evaluated) = (0, 0);
    for _ in 0..10_000 {
        let src = random_expr(&mut r, 5);
        let Ok(e) = parse(&src) else { continue };
        parsed += 1;
        let mut w = World {
            now: [None, Some(NOW)][r.below(2)],
            position: [None, Some(1), Some(usize::MAX)][r.below(3)],
            ..World::default()
        };
        for name in ["a", "b", "c", "d", "e", "f"] {
            w.answers.insert(name, values[r.below(values.len())].clone());
        }
        let list: Vec<Value> = (0..r.below(5)).map(|_| values[r.below(values.len())].clone()).collect();
        w.repeats.insert("a", list);
        w.current = Some(values[r.below(values.len())].clone());
        w.attrs.insert("attr", values[r.below(values.len())].clone());
        let v = e.eval(&w);
        assert!(v.as_string().len() <= MAX_STR.max(160_000), "{src}");
        let _ = (v.as_num(), v.truthy());
        evaluated += 1;
    }
    // The generator must exercise the evaluator, not only the parser's error paths.
    assert!(parsed > 3000 && evaluated == parsed, "parsed {parsed}");
}

#[test]
fn date_values_at_the_limits_convert_without_panic() {
    for v in [
        Value::Date(i32::MAX),
        Value::Date(i32::MIN),
        Value::DateTime {
            ms: i64::MAX,
            offset: i32::MAX,
        },
        Value::DateTime {
            ms: i64::MIN,
            offset: i32::MIN,
        },
    ] {
        let _ = (v.as_string(), v.as_num());
        let w = |_: &str| v.clone();
        for src in [
            "date(${x})",
            "format-date-time(${x}, '%Y %a %b %3')",
            "decimal-date-time(${x})",
            "${x} - 1",
        ] {
            let _ = parse(src).unwrap().eval(&w);
        }
    }
    assert_eq!(super::date::days_from_civil(2024, 2, 29), i64::from(TODAY));
    for d in [-719_162_i64, -1, 0, 59, 19782, 2_932_896] {
        let (y, m, dd) = super::date::civil_from_days(d);
        assert_eq!(super::date::days_from_civil(y, m, dd), d);
    }
}

#[test]
fn hand_built_calls_with_any_argument_count_do_not_panic() {
    // `Node` is public: a call built in code may skip the parser's arity check.
    let w = world();
    for (name, f, ..) in func::FUNCS {
        let Some(f) = *f else { continue };
        for k in 0..5 {
            let args = vec![Node::Str("2024-02-29".into()); k];
            let v = super::eval(&Node::Call(f, args), &w);
            let _ = (v.as_string(), v.as_num());
        }
        assert_eq!(f.name(), *name);
    }
}
