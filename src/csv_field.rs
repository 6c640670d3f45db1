//! The one CSV encoder of anketa's outputs (the data set, both codebooks, the report): RFC 4180
//! fields and records. A leaf: it knows nothing of what it encodes.

/// Whether a field holds the delimiter, a quote or a line break.
pub(crate) fn needs_quotes(s: &[u8], delimiter: u8) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Eight bytes at a time: whether a byte of `w` is `b` (exact for "any").
    let has = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGH != 0
    };
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        if has(w, delimiter) || has(w, b'"') || has(w, b'\n') || has(w, b'\r') {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
}

/// Writes one field, quoted when it holds the delimiter, a quote or a line break (RFC 4180):
/// the one CSV encoder of anketa's outputs (data, codebooks, report).
pub(crate) fn field(out: &mut Vec<u8>, s: &[u8], delimiter: u8) {
    field_quoting(out, s, delimiter, false);
}

/// [`field`], also quoting a field that starts or ends with a space when `padded` (so that a
/// spreadsheet keeps the spaces).
pub(crate) fn field_quoting(out: &mut Vec<u8>, s: &[u8], delimiter: u8, padded: bool) {
    if needs_quotes(s, delimiter) || (padded && (s.first() == Some(&b' ') || s.last() == Some(&b' '))) {
        out.push(b'"');
        for &b in s {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s);
    }
}

/// Writes one record: the fields, separated by `delimiter`, then `\n`.
pub(crate) fn record<S: AsRef<str>>(out: &mut Vec<u8>, fields: &[S], delimiter: u8) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        field(out, f.as_ref().as_bytes(), delimiter);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_encoder_quotes_only_what_needs_it() {
        let enc = |s: &str, d: u8, padded: bool| {
            let mut out = Vec::new();
            field_quoting(&mut out, s.as_bytes(), d, padded);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(enc("plain text", b',', false), "plain text");
        assert_eq!(enc("a,b", b',', false), "\"a,b\"");
        assert_eq!(enc("a,b", b';', false), "a,b");
        assert_eq!(enc("a;b", b';', false), "\"a;b\"");
        assert_eq!(enc("say \"hi\"", b',', false), "\"say \"\"hi\"\"\"");
        assert_eq!(enc("line\nbreak", b',', false), "\"line\nbreak\"");
        assert_eq!(enc(" padded", b',', false), " padded");
        assert_eq!(enc(" padded", b',', true), "\" padded\"");
        let mut line = Vec::new();
        record(&mut line, &["a", "b,c", ""], b',');
        assert_eq!(line, b"a,\"b,c\",\n");
        // What the csv crate reads back is what was written.
        let mut rd = ::csv::ReaderBuilder::new().has_headers(false).from_reader(&line[..]);
        let rec = rd.records().next().unwrap().unwrap();
        assert_eq!(rec.iter().collect::<Vec<_>>(), ["a", "b,c", ""]);
    }

    #[test]
    fn needs_quotes_finds_each_special_byte_wherever_it_is() {
        let naive = |s: &[u8], d: u8| s.iter().any(|&b| b == d || b == b'"' || b == b'\n' || b == b'\r');
        for len in 0..20 {
            for at in 0..len {
                for b in [
                    b',', b';', b'\t', b'"', b'\n', b'\r', b'a', 0, 0x2b, 0x2d, 0x21, 0xff, 0x80, 0x0b, 0x0e,
                ] {
                    for filler in [b'x', 0xd0, 0x01, b' '] {
                        let mut s = vec![filler; len];
                        s[at] = b;
                        for d in [b',', b';', b'\t'] {
                            assert_eq!(needs_quotes(&s, d), naive(&s, d), "{s:?} {d}");
                        }
                    }
                }
            }
        }
    }
}
