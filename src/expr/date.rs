//! Calendar arithmetic for [`Value::Date`] and [`Value::DateTime`]: days ↔ civil dates
//! (proleptic Gregorian), ISO parsing and the `format-date-time` patterns. Pure integer code,
//! total over its whole input range.

use super::Value;

/// Milliseconds in a day.
pub(super) const MS_PER_DAY: i64 = 86_400_000;
/// Days from 1970-01-01 to 0001-01-01 (the first representable date).
pub(super) const MIN_DAY: i32 = -719_162;
/// Days from 1970-01-01 to 9999-12-31 (the last representable date).
pub(super) const MAX_DAY: i32 = 2_932_896;

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count (Hinnant's `civil_from_days`).
pub(super) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A `Value::Date` for a day count, `Null` outside years 0001–9999.
pub(super) fn date_value(days: i64) -> Value {
    if (i64::from(MIN_DAY)..=i64::from(MAX_DAY)).contains(&days) {
        Value::Date(days as i32)
    } else {
        Value::Null
    }
}

/// A `Value::DateTime`, `Null` when its local date falls outside years 0001–9999.
pub(super) fn date_time_value(ms: i64, offset: i32) -> Value {
    let local = ms.saturating_add(i64::from(offset) * 1000);
    let day = local.div_euclid(MS_PER_DAY);
    if (i64::from(MIN_DAY)..=i64::from(MAX_DAY)).contains(&day) && offset.unsigned_abs() < 24 * 3600 {
        Value::DateTime { ms, offset }
    } else {
        Value::Null
    }
}

/// `YYYY-MM-DD`.
pub(super) fn fmt_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(i64::from(days));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SS.sss+HH:MM` in the value's own offset (`Z` for UTC).
pub(super) fn fmt_date_time(ms: i64, offset: i32) -> String {
    let f = Fields::of_instant(ms, offset);
    let zone = if offset == 0 {
        "Z".to_string()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let a = offset.unsigned_abs() / 60;
        format!("{sign}{:02}:{:02}", a / 60, a % 60)
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{zone}",
        f.y, f.m, f.d, f.h, f.mi, f.s, f.ms
    )
}

/// The broken-down local fields of a date or instant.
pub(super) struct Fields {
    y: i64,
    m: i64,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
    ms: i64,
    /// 0 = Sunday.
    wd: i64,
}

impl Fields {
    fn of_day(days: i64) -> Fields {
        let (y, m, d) = civil_from_days(days);
        Fields {
            y,
            m,
            d,
            h: 0,
            mi: 0,
            s: 0,
            ms: 0,
            wd: (days + 4).rem_euclid(7),
        }
    }

    fn of_instant(ms: i64, offset: i32) -> Fields {
        let local = ms.saturating_add(i64::from(offset) * 1000);
        let mut f = Fields::of_day(local.div_euclid(MS_PER_DAY));
        let t = local.rem_euclid(MS_PER_DAY);
        f.h = t / 3_600_000;
        f.mi = t / 60_000 % 60;
        f.s = t / 1000 % 60;
        f.ms = t % 1000;
        f
    }

    /// The fields of a value that reads as a date or date-time (see [`to_date_like`]).
    pub(super) fn of(v: &Value) -> Option<Fields> {
        match to_date_like(v)? {
            Value::Date(d) => Some(Fields::of_day(i64::from(d))),
            Value::DateTime { ms, offset } => Some(Fields::of_instant(ms, offset)),
            _ => None,
        }
    }
}

/// A value as a date or date-time: dates and date-times as they are, a text parsed as ISO, a
/// number as decimal days since the epoch (UTC, as JavaRosa's `toDate`); otherwise `None`.
pub(super) fn to_date_like(v: &Value) -> Option<Value> {
    let out = match v {
        Value::Date(_) | Value::DateTime { .. } => v.clone(),
        Value::Str(s) => parse(s)?,
        Value::List(l) if l.len() == 1 => parse(&l[0])?,
        Value::Num(n) if n.is_finite() => {
            let ms = (n * MS_PER_DAY as f64).round();
            if ms.abs() > 1e15 {
                return None;
            }
            date_time_value(ms as i64, 0)
        }
        _ => return None,
    };
    (out != Value::Null).then_some(out)
}

/// Parses `YYYY-MM-DD` (a [`Value::Date`]) or `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH[:MM]]`
/// (a [`Value::DateTime`]; without an offset, UTC). Surrounding spaces are ignored.
pub(super) fn parse(s: &str) -> Option<Value> {
    let s = s.trim();
    if s.len() > 40 || s.len() < 8 {
        return None;
    }
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut it = date.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
        return None;
    }
    let (y, m, d) = (digits(y)?, digits(m)?, digits(d)?);
    if y < 1 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let day = days_from_civil(y, m, d);
    let Some(time) = time else {
        return Some(date_value(day));
    };
    // The offset: a trailing Z, or the last + or - (the time itself has neither).
    let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let (c, z) = time.split_at(i);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let z = &z[1..];
        let (hh, mm) = match z.split_once(':') {
            Some((h, m)) => (h, m),
            None if z.len() == 4 => z.split_at(2),
            None => (z, "00"),
        };
        if hh.len() != 2 || mm.len() != 2 {
            return None;
        }
        let (hh, mm) = (digits(hh)?, digits(mm)?);
        if hh > 23 || mm > 59 {
            return None;
        }
        (c, sign * (hh * 3600 + mm * 60))
    } else {
        (time, 0)
    };
    let mut parts = clock.split(':');
    let (h, mi) = (parts.next()?, parts.next()?);
    let sec = parts.next();
    if parts.next().is_some() || h.len() != 2 || mi.len() != 2 {
        return None;
    }
    let (h, mi) = (digits(h)?, digits(mi)?);
    let (s, frac) = match sec {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            if whole.len() != 2 || frac.len() > 9 {
                return None;
            }
            let ms = if frac.is_empty() {
                0
            } else {
                let f = digits(frac)?;
                // Milliseconds from up to nine fraction digits (truncated).
                f * 1000 / 10_i64.pow(frac.len() as u32)
            };
            (digits(whole)?, ms)
        }
    };
    if h > 24 || mi > 59 || s > 60 || (h == 24 && (mi, s, frac) != (0, 0, 0)) {
        return None;
    }
    let local = day * MS_PER_DAY + ((h * 60 + mi) * 60 + s.min(59)) * 1000 + frac;
    match date_time_value(local - offset * 1000, offset as i32) {
        Value::Null => None,
        v => Some(v),
    }
}

/// A non-empty run of ASCII digits (at most 9) as a number.
fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The pattern letters `format-date-time` knows (after `%`).
pub(super) const PATTERN_LETTERS: &str = "YymnbdeHhMS3a%";

/// Formats with the ODK `format-date-time` patterns (`%Y %y %m %n %b %d %e %H %h %M %S %3 %a`,
/// `%%`); an unknown `%x` is copied as it is. English month and day names.
pub(super) fn format(f: &Fields, pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if out.len() > super::MAX_STR {
            break;
        }
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(p) = chars.next() else {
            out.push('%');
            break;
        };
        match p {
            'Y' => out.push_str(&format!("{:04}", f.y)),
            'y' => out.push_str(&format!("{:02}", f.y % 100)),
            'm' => out.push_str(&format!("{:02}", f.m)),
            'n' => out.push_str(&f.m.to_string()),
            'b' => out.push_str(MONTHS[(f.m - 1).clamp(0, 11) as usize]),
            'd' => out.push_str(&format!("{:02}", f.d)),
            'e' => out.push_str(&f.d.to_string()),
            'H' => out.push_str(&format!("{:02}", f.h)),
            'h' => out.push_str(&f.h.to_string()),
            'M' => out.push_str(&format!("{:02}", f.mi)),
            'S' => out.push_str(&format!("{:02}", f.s)),
            '3' => out.push_str(&format!("{:03}", f.ms)),
            'a' => out.push_str(DAYS[f.wd.clamp(0, 6) as usize]),
            '%' => out.push('%'),
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    super::cap(out)
}
