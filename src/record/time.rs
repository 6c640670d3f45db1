//! The times of an interview file (`started`, `updated`, `completed`, `answered_at`): RFC 3339
//! with seconds and an offset, as the interviewer writes them (`2021-01-10T12:53:00Z`,
//! `2021-01-10T15:53:00.250+03:00`). Anything looser — no seconds, no offset, the basic format,
//! a leap second, a line break — is not a time of this format.

/// The instant of an RFC 3339 time with seconds and an offset, or `None`.
pub(crate) fn instant(s: &str) -> Option<jiff::Timestamp> {
    if !valid(s) {
        return None;
    }
    s.parse().ok()
}

/// Whether `s` is an RFC 3339 time with seconds and an offset, on a calendar date (checked by
/// hand: merge checks every `answered_at` of every record, and needs no instant of them).
pub(crate) fn valid(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4) && at(4, b'-') && digits(5..7) && at(7, b'-') && digits(8..10) && at(10, b'T'))
        || !(digits(11..13) && at(13, b':') && digits(14..16) && at(16, b':') && digits(17..19))
    {
        return false;
    }
    let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
    let year = two(0) as u32 * 100 + two(2) as u32;
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match two(5) {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if two(8) == 0 || two(8) > days || two(11) > 23 || two(14) > 59 || two(17) > 59 {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return false;
        }
        i += 1 + n;
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && digits(i + 1..i + 3)
                && at(i + 3, b':')
                && digits(i + 4..i + 6)
                && two(i + 1) < 24
                && two(i + 4) < 60
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{instant, valid};

    #[test]
    fn valid_agrees_with_the_calendar() {
        // Every day of four years (one a leap year, 2000 and 2100 the century rules).
        for y in [2000, 2023, 2024, 2100] {
            for m in 1..=12 {
                for d in 1..=31 {
                    let s = format!("{y:04}-{m:02}-{d:02}T12:00:00Z");
                    let real = jiff::civil::Date::new(y, m, d).is_ok();
                    assert_eq!(valid(&s), real, "{s}");
                }
            }
        }
    }

    #[test]
    fn times_have_seconds_and_an_offset() {
        for ok in [
            "2021-01-10T12:53:00Z",
            "2021-01-10T15:53:00+03:00",
            "2021-01-10T12:53:00.250Z",
            "2024-02-29T23:59:59-11:30",
        ] {
            assert!(instant(ok).is_some() && valid(ok), "{ok}");
        }
        for bad in [
            "2021-01-10T12Z",
            "20210110T125300Z",
            "2021-01-10T12:53:60Z",
            "2021-01-10T12:53Z",
            "2021-01-10T12:53:00",
            "2021-01-10 12:53:00Z",
            "2021-02-30T12:53:00Z",
            "2021-01-10T12:53:00Z\nX,Y",
            "2021-01-10T24:00:00Z",
            "2021-01-10T12:53:00.Z",
            "2021-01-10T12:53:00+0300",
            "=1+2",
            "",
        ] {
            assert!(instant(bad).is_none() && !valid(bad), "{bad:?}");
        }
    }
}
