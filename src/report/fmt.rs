//! How the report prints numbers for people, in its language: decimals, p-values, whole numbers
//! with grouped thousands, statistics and percentages. Shared by the words and the renderers.

use crate::i18n::Lang;

/// Rounds half away from zero to `d` decimals, as survey tables (and SPSS) print.
pub(crate) fn round_to(x: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (x * f).round() / f
}

/// A number with `d` decimals in the report language (`73,6` in Russian, `73.6` in English).
pub(crate) fn fmt_dec(x: f64, d: usize, lang: Lang) -> String {
    let s = format!("{:.*}", d, round_to(x, d as i32));
    let s = if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    };
    match lang {
        Lang::Ru => s.replace('.', ","),
        Lang::En => s,
    }
}

/// A p-value for people: three decimals, `< 0,001` below that.
pub(crate) fn fmt_p(p: f64, lang: Lang) -> String {
    if p < 0.001 {
        format!("< {}", fmt_dec(0.001, 3, lang))
    } else {
        fmt_dec(p, 3, lang)
    }
}

/// A whole number with thin grouping of thousands in Russian (`12 345`), commas in English.
pub(crate) fn fmt_int(n: u64, lang: Lang) -> String {
    let s = n.to_string();
    if s.len() <= 4 {
        return s;
    }
    let sep = match lang {
        Lang::Ru => '\u{a0}',
        Lang::En => ',',
    };
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A statistic for people: whole numbers as such, others with one decimal.
pub(crate) fn fmt_num(x: f64, lang: Lang) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        if x < 0.0 {
            format!("-{}", fmt_int((-x) as u64, lang))
        } else {
            fmt_int(x as u64, lang)
        }
    } else {
        fmt_dec(x, 1, lang)
    }
}

/// A percentage as the note prints it: one decimal, `73,6%`; `—` when there is none.
pub(crate) fn fmt_pct(p: Option<f64>, lang: Lang) -> String {
    match p {
        Some(p) => format!("{}%", fmt_dec(p, 1, lang)),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_printed_as_in_the_note() {
        assert_eq!(fmt_dec(73.55, 1, Lang::Ru), "73,6");
        assert_eq!(fmt_dec(6.25, 1, Lang::En), "6.3");
        assert_eq!(fmt_dec(-0.01, 1, Lang::En), "0.0");
        assert_eq!(fmt_p(0.0004, Lang::Ru), "< 0,001");
        assert_eq!(fmt_p(0.0123, Lang::En), "0.012");
        assert_eq!(fmt_int(1234, Lang::Ru), "1234");
        assert_eq!(fmt_int(1234567, Lang::En), "1,234,567");
        assert_eq!(fmt_int(100000, Lang::Ru), "100\u{a0}000");
    }
}
