//! Lexer and recursive-descent parser for expressions, with bounded size and depth.

use super::func::FUNCS;
use super::{BinOp, Expr, Func, Node, Pattern};

/// Longest accepted expression, in characters.
pub const MAX_LEN: usize = 4096;
/// Deepest accepted nesting (parentheses, function calls, operators).
pub const MAX_DEPTH: usize = 64;

/// A syntax error: where (character column, 0-based) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Column of the first offending character (in characters, not bytes).
    pub col: usize,
    /// Number of characters to underline (at least 1).
    pub len: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ref(String),
    Dot,
    DotDot,
    Ident(String),
    LParen,
    RParen,
    Comma,
    Op(BinOp),
    Minus,
    Plus,
    Star,
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    col: usize,
    len: usize,
}

fn err(col: usize, len: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        col,
        len: len.max(1),
        message: message.into(),
    }
}

fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let simple = |tok| Token {
            tok,
            col: start,
            len: 1,
        };
        match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => out.push(simple(Tok::LParen)),
            ')' => out.push(simple(Tok::RParen)),
            ',' => out.push(simple(Tok::Comma)),
            '+' => out.push(simple(Tok::Plus)),
            '-' => out.push(simple(Tok::Minus)),
            '*' => out.push(simple(Tok::Star)),
            '=' => out.push(simple(Tok::Op(BinOp::Eq))),
            '!' | '<' | '>' => {
                let eq = chars.get(i + 1) == Some(&'=');
                let op = match (c, eq) {
                    ('!', true) => BinOp::Ne,
                    ('<', true) => BinOp::Le,
                    ('>', true) => BinOp::Ge,
                    ('<', false) => BinOp::Lt,
                    ('>', false) => BinOp::Gt,
                    _ => {
                        return Err(err(i, 1, "`!` must be followed by `=`; use not(…) for negation"));
                    }
                };
                out.push(Token {
                    tok: Tok::Op(op),
                    col: start,
                    len: 1 + usize::from(eq),
                });
                i += usize::from(eq);
            }
            '\'' | '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != c {
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(err(i, chars.len() - i, "unterminated string literal"));
                }
                let s: String = chars[i + 1..j].iter().collect();
                out.push(Token {
                    tok: Tok::Str(s),
                    col: start,
                    len: j + 1 - i,
                });
                i = j;
            }
            '$' => {
                if chars.get(i + 1) != Some(&'{') {
                    return Err(err(i, 1, "a reference is written ${name}"));
                }
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '}' {
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(err(i, chars.len() - i, "reference is missing its closing `}`"));
                }
                let name: String = chars[i + 2..j].iter().collect();
                let name = name.trim().to_string();
                if name.is_empty() {
                    return Err(err(i, j + 1 - i, "empty reference ${}"));
                }
                out.push(Token {
                    tok: Tok::Ref(name),
                    col: start,
                    len: j + 1 - i,
                });
                i = j;
            }
            '.' if chars.get(i + 1) == Some(&'.') => {
                out.push(Token {
                    tok: Tok::DotDot,
                    col: start,
                    len: 2,
                });
                i += 1;
            }
            '.' if !chars.get(i + 1).is_some_and(char::is_ascii_digit) => out.push(simple(Tok::Dot)),
            _ if c.is_ascii_digit() || c == '.' => {
                let mut j = i;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                let s: String = chars[i..j].iter().collect();
                let n: f64 = s.parse().map_err(|_| err(i, j - i, format!("`{s}` is not a number")))?;
                out.push(Token {
                    tok: Tok::Num(n),
                    col: start,
                    len: j - i,
                });
                i = j - 1;
            }
            _ if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i;
                // XLSForm names `[A-Za-z_][A-Za-z0-9._-]*`, and a namespace prefix (`jr:`).
                while j < chars.len()
                    && (chars[j].is_ascii_alphanumeric()
                        || matches!(chars[j], '_' | '-' | '.')
                        || (chars[j] == ':' && chars.get(j + 1).is_some_and(char::is_ascii_alphabetic)))
                {
                    j += 1;
                }
                let s: String = chars[i..j].iter().collect();
                let tok = match s.as_str() {
                    "and" => Tok::Op(BinOp::And),
                    "or" => Tok::Op(BinOp::Or),
                    "div" => Tok::Op(BinOp::Div),
                    "mod" => Tok::Op(BinOp::Mod),
                    _ => Tok::Ident(s),
                };
                out.push(Token {
                    tok,
                    col: start,
                    len: j - i,
                });
                i = j - 1;
            }
            _ => {
                return Err(err(
                    i,
                    1,
                    format!("unexpected character `{c}`; text must be quoted: 'text'"),
                ));
            }
        }
        i += 1;
    }
    out.push(Token {
        tok: Tok::End,
        col: chars.len(),
        len: 1,
    });
    Ok(out)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

/// Parses an expression. Errors carry the column of the problem.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let n = src.chars().count();
    if n > MAX_LEN {
        return Err(err(
            MAX_LEN,
            1,
            format!("expression is {n} characters long; the limit is {MAX_LEN}"),
        ));
    }
    if src.trim().is_empty() {
        return Err(err(0, 1, "empty expression"));
    }
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
        depth: 0,
    };
    let node = p.expr()?;
    let t = p.peek();
    if t.tok != Tok::End {
        return Err(err(t.col, t.len, "unexpected text after the end of the expression"));
    }
    Ok(Expr {
        src: src.to_string(),
        node,
    })
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.pos]
    }

    fn next(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek();
            return Err(err(
                t.col,
                t.len,
                format!("expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Node, ParseError> {
        self.enter()?;
        let r = self.binary(0);
        self.depth -= 1;
        r
    }

    /// Precedence climbing over the levels or < and < comparison < sum; `unary` handles * div mod.
    fn binary(&mut self, level: u8) -> Result<Node, ParseError> {
        if level == 4 {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        // A chain `a or b or c …` builds a left-deep tree: every link counts as a level, so the
        // evaluator's recursion stays bounded.
        let mut chain = 0;
        loop {
            let op = match (&self.peek().tok, level) {
                (Tok::Op(BinOp::Or), 0) => BinOp::Or,
                (Tok::Op(BinOp::And), 1) => BinOp::And,
                (Tok::Op(op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)), 2) => *op,
                (Tok::Plus, 3) => BinOp::Add,
                (Tok::Minus, 3) => BinOp::Sub,
                _ => break,
            };
            self.next();
            self.enter()?;
            chain += 1;
            let right = self.binary(level + 1)?;
            left = Node::Bin(op, Box::new(left), Box::new(right));
            if level == 2
                && let Tok::Op(BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) = self.peek().tok
            {
                let t = self.peek();
                return Err(err(t.col, t.len, "comparisons cannot be chained; join them with `and`"));
            }
        }
        self.depth -= chain;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        let mut left = self.factor()?;
        let mut chain = 0;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinOp::Mul,
                Tok::Op(BinOp::Div) => BinOp::Div,
                Tok::Op(BinOp::Mod) => BinOp::Mod,
                _ => break,
            };
            self.next();
            self.enter()?;
            chain += 1;
            let right = self.factor()?;
            left = Node::Bin(op, Box::new(left), Box::new(right));
        }
        self.depth -= chain;
        Ok(left)
    }

    fn factor(&mut self) -> Result<Node, ParseError> {
        if self.peek().tok == Tok::Minus {
            self.next();
            self.enter()?;
            let inner = self.factor()?;
            self.depth -= 1;
            return Ok(Node::Neg(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        let t = self.next();
        match t.tok {
            Tok::Num(n) => Ok(Node::Num(n)),
            Tok::Str(s) => Ok(Node::Str(s)),
            Tok::Ref(name) => Ok(Node::Ref { name, offset: t.col }),
            Tok::Dot => Ok(Node::Current),
            Tok::LParen => {
                let inner = self.expr()?;
                self.expect_rparen(t.col)?;
                Ok(inner)
            }
            Tok::Ident(name) if self.peek().tok == Tok::LParen => self.call(name, t.col, t.len),
            Tok::Ident(name) => Ok(Node::Attr { name, offset: t.col }),
            Tok::End => Err(err(t.col, 1, "expression ends too early: a value is missing here")),
            _ => Err(err(t.col, t.len, "expected a value, a ${reference} or a function here")),
        }
    }

    fn expect_rparen(&mut self, open: usize) -> Result<(), ParseError> {
        let t = self.next();
        if t.tok == Tok::RParen {
            Ok(())
        } else {
            Err(err(
                t.col,
                t.len,
                format!("expected `)` to close the `(` at column {}", open + 1),
            ))
        }
    }

    fn call(&mut self, name: String, col: usize, len: usize) -> Result<Node, ParseError> {
        let Some(&(_, func, min, max)) = FUNCS.iter().find(|(n, ..)| *n == name) else {
            let known = FUNCS.iter().map(|(n, ..)| *n).collect::<Vec<_>>().join(", ");
            return Err(err(
                col,
                len,
                format!("unknown function `{name}`; known: {known} (a question is referenced as ${{{name}}})"),
            ));
        };
        let open = self.next().col;
        self.enter()?;
        let mut args = Vec::new();
        // Column of each argument's first token, for messages about it.
        let mut cols = Vec::new();
        if func == Some(Func::Position) && self.peek().tok == Tok::DotDot {
            // `position(..)`: the position of the current repeat instance, as `position()`.
            self.next();
        } else if self.peek().tok != Tok::RParen {
            loop {
                cols.push((self.peek().col, self.peek().len));
                args.push(self.expr()?);
                if self.peek().tok == Tok::Comma {
                    self.next();
                } else {
                    break;
                }
            }
        }
        self.expect_rparen(open)?;
        self.depth -= 1;
        if args.len() < min || args.len() > max {
            let want = match (min, max) {
                (a, b) if a == b => format!("{a} argument(s)"),
                (a, usize::MAX) => format!("at least {a} argument(s)"),
                (a, b) => format!("{a} to {b} arguments"),
            };
            return Err(err(col, len, format!("`{name}` takes {want}, found {}", args.len())));
        }
        if func == Some(Func::WeightedChecklist) && args.len() % 2 != 0 {
            return Err(err(
                col,
                len,
                format!(
                    "`{name}` takes min, max and pairs of value and weight: an even number of arguments, found {}",
                    args.len()
                ),
            ));
        }
        let Some(func) = func else {
            return Ok(Node::Bool(name == "true"));
        };
        let is_ref = |n: &Node| matches!(n, Node::Ref { .. });
        match func {
            Func::Selected if !matches!(args[0], Node::Ref { .. } | Node::Current) => {
                return Err(err(
                    col,
                    len,
                    "the first argument of selected() must be a ${question} or `.`",
                ));
            }
            Func::Sum | Func::Count | Func::CountNonEmpty if !is_ref(&args[0]) => {
                return Err(err(
                    cols[0].0,
                    cols[0].1,
                    format!("the argument of {name}() must be a ${{question}} (its values across repeat instances)"),
                ));
            }
            Func::IndexedRepeat if args.len() % 2 == 0 => {
                return Err(err(
                    col,
                    len,
                    format!(
                        "`{name}` takes the question, then a repeat group and an index for each level: 3, 5 or 7 arguments, found {}",
                        args.len()
                    ),
                ));
            }
            Func::IndexedRepeat => {
                for i in (0..args.len()).filter(|i| i % 2 == 1).chain([0]) {
                    if !is_ref(&args[i]) {
                        let what = if i == 0 { "the question" } else { "a repeat group" };
                        return Err(err(
                            cols[i].0,
                            cols[i].1,
                            format!("argument {} of indexed-repeat() must be {what} as ${{name}}", i + 1),
                        ));
                    }
                }
            }
            Func::ChoiceName => {
                // jr:choice-name(${q}, '${q}'): the second argument names the question, in quotes.
                let named = match &args[1] {
                    Node::Str(s) => {
                        let t = s.trim_start();
                        t.trim_end()
                            .strip_prefix("${")
                            .and_then(|r| r.strip_suffix('}'))
                            .map(|n| (n.trim().to_string(), s.chars().count() - t.chars().count()))
                            .filter(|(n, _)| !n.is_empty() && !n.contains(['{', '}', '$']))
                    }
                    _ => None,
                };
                let Some((q, lead)) = named else {
                    return Err(err(
                        cols[1].0,
                        cols[1].1,
                        "the second argument of jr:choice-name() is the question's name in quotes: '${question}'",
                    ));
                };
                args[1] = Node::Ref {
                    name: q,
                    offset: cols[1].0 + 1 + lead,
                };
            }
            Func::Regex => {
                if let Node::Str(s) = &args[1] {
                    match Pattern::new(s) {
                        Ok(p) => args[1] = Node::Pattern(p),
                        Err(e) => {
                            return Err(err(
                                cols[1].0,
                                cols[1].1,
                                format!("invalid regular expression: {}", e.lines().last().unwrap_or(&e)),
                            ));
                        }
                    }
                }
            }
            Func::FormatDate | Func::FormatDateTime => {
                if let Node::Str(s) = &args[1]
                    && let Some(bad) = bad_date_pattern(s)
                {
                    return Err(err(
                        cols[1].0,
                        cols[1].1,
                        format!(
                            "unknown pattern `%{bad}` in the date format; known: %Y %y %m %n %b %d %e %H %h %M %S %3 %a %%"
                        ),
                    ));
                }
            }
            _ => {}
        }
        Ok(Node::Call(func, args))
    }
}

/// The first unknown `%x` letter of a literal date format (`%` at the end is reported as `%`).
fn bad_date_pattern(s: &str) -> Option<char> {
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '%' {
            match it.next() {
                Some(p) if super::date::PATTERN_LETTERS.contains(p) => {}
                Some(p) => return Some(p),
                None => return Some(' '),
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(src: &str) -> ParseError {
        parse(src).unwrap_err()
    }

    #[test]
    fn precedence() {
        let x = parse("1 + 2 * 3 = 7 and ${a} = 'x' or ${b} != ''").unwrap();
        match x.node {
            Node::Bin(BinOp::Or, l, _) => assert!(matches!(*l, Node::Bin(BinOp::And, _, _))),
            n => panic!("{n:?}"),
        }
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(e("${a} = 'x").col, 7);
        assert_eq!(e("${a} == 1").col, 6);
        assert_eq!(e("${a} = ").col, 7);
        assert_eq!(e("foo(1)").message.split(';').next().unwrap(), "unknown function `foo`");
        assert_eq!(e("(${a} = 1").message, "expected `)` to close the `(` at column 1");
        assert!(e("selected('a', 'b')").message.contains("first argument"));
        assert!(e("not(1, 2)").message.contains("takes 1"));
        assert!(e("1 < 2 < 3").message.contains("chained"));
        // A bare name is an option attribute (choice filters), no longer an error.
        assert!(
            matches!(parse("${a} = yes").unwrap().node, Node::Bin(_, _, ref b) if **b == Node::Attr { name: "yes".into(), offset: 7 })
        );
        assert!(e("${a} = 'да' Ж").message.contains('Ж'));
        assert_eq!(e("${a} = 'да' Ж").col, 12);
    }

    #[test]
    fn depth_and_size_are_bounded() {
        let deep = format!("{}1{}", "(".repeat(65), ")".repeat(65));
        assert!(e(&deep).message.contains("nests deeper than 64"));
        let ok = format!("{}1{}", "(".repeat(30), ")".repeat(30));
        assert!(parse(&ok).is_ok());
        let nots = format!("{}1{}", "not(".repeat(100), ")".repeat(100));
        assert!(e(&nots).message.contains("nests deeper"));
        let long = "1 + ".repeat(2000) + "1";
        assert!(e(&long).message.contains("limit is 4096"));
        // A long flat chain is a deep tree: refused before the evaluator could overflow.
        let chain = "${m}+1".to_string() + &"+1".repeat(1000);
        assert!(e(&chain).message.contains("nests deeper"));
        let ors = (0..40)
            .map(|i| format!("${{d}} = 'c{i}'"))
            .collect::<Vec<_>>()
            .join(" or ");
        assert!(parse(&ors).is_ok());
        let minus = "-".repeat(200) + "1";
        assert!(e(&minus).message.contains("nests deeper"));
    }
}
