//! What an input is, the same answer for every command: [`texts`] splits a file's bytes into
//! the JSON texts it holds (one, or one per line of NDJSON), and [`decode`] tells what each
//! text is — an interview, a file anketa writes that is not one ([`Ignored`]: a device id, a
//! merge report, settings, a questionnaire outside a `questionnaires/` folder), or a reject with
//! its precise reason. [`record`] reads an owned [`Record`] with the same reasons (the data dir).
//!
//! Pure: the caller reads the bytes.

use super::{FORMAT, FORMAT_V2, Record, RecordView};
use crate::seal::{self, Identities, Locked, SEALED_FORMAT, SealedHead, SealedView};

/// The format tag of a merge's `merge-report.json` (recognised here, written by merge).
pub(crate) const MERGE_REPORT_FORMAT: &str = "anketa-merge-report/1";

/// A file of anketa's, or a data dir's, that is not an interview: skipped, never rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ignored {
    /// A data dir's `device` file (32 hex digits).
    DeviceId,
    /// A merge's `merge-report.json`.
    MergeReport,
    /// A questionnaire outside a `questionnaires/` folder.
    Questionnaire,
    /// A data dir's `config.json`.
    Settings,
}

impl Ignored {
    /// What the file is, as merge lists it.
    pub fn reason(self) -> &'static str {
        match self {
            Ignored::DeviceId => "an anketa device id file",
            Ignored::MergeReport => "an anketa merge report",
            Ignored::Questionnaire => {
                "a questionnaire outside a questionnaires/ folder: not used to check interviews (pass it with \
                 --questionnaire if they need it)"
            }
            Ignored::Settings => "anketa settings (config.json)",
        }
    }
}

/// What one JSON text is.
// Consumed where it is made: boxing the interview would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decoded<'a> {
    /// An interview.
    Interview(RecordView<'a>),
    /// A sealed interview that was not opened: its plaintext head, and why not (no identity
    /// given, or none of them opens it). Kept, never rejected: the right key opens it later.
    Sealed(SealedView<'a>, Locked),
    /// Not an interview, and not to be reported as a fault.
    Ignored(Ignored),
    /// Not an interview: why.
    Rejected(String),
}

/// Decodes one JSON text: a whole file, or one line of an NDJSON file.
pub(crate) fn decode(text: &str) -> Decoded<'_> {
    if seal::looks_sealed(text) {
        return match sealed(text) {
            Ok(head) => Decoded::Sealed(head, Locked::NoIdentity),
            Err(reason) => Decoded::Rejected(reason),
        };
    }
    match RecordView::parse(text) {
        Ok(r) => Decoded::Interview(r),
        Err(e) => not_an_interview(text, &e),
    }
}

/// [`decode`], opening a sealed interview with `ids`: its record is decoded from `plain` (the
/// caller's buffer) and must agree with the plaintext head ([`seal::check_head`]). A sealed
/// file that is damaged or altered is rejected with its own reason; one that no identity opens
/// stays [`Decoded::Sealed`].
pub(crate) fn decode_opening<'a>(text: &'a str, ids: &Identities, plain: &'a mut String) -> Decoded<'a> {
    let head = match decode(text) {
        Decoded::Sealed(head, _) => head,
        other => return other,
    };
    match head.open(ids) {
        Ok(p) => *plain = p,
        Err(locked) if locked.wants_key() => return Decoded::Sealed(head, locked),
        Err(locked) => return Decoded::Rejected(locked.reason()),
    }
    let plain: &'a String = plain;
    match decode(plain) {
        Decoded::Interview(rec) => match seal::check_head(&head, &rec) {
            Ok(()) => Decoded::Interview(rec),
            Err(locked) => Decoded::Rejected(locked.reason()),
        },
        Decoded::Rejected(why) => Decoded::Rejected(format!("sealed interview: what it seals is not readable: {why}")),
        _ => Decoded::Rejected("sealed interview: what it seals is not an interview".into()),
    }
}

/// The head of a sealed interview's text, or why it is not one.
fn sealed(text: &str) -> Result<SealedView<'_>, String> {
    match SealedView::parse(text) {
        Ok(head) if head.format.as_str() == SEALED_FORMAT => Ok(head),
        Ok(head) => Err(format!(
            "unknown format version `{}` (this anketa reads `{SEALED_FORMAT}`); a newer anketa may read it",
            head.format.as_str()
        )),
        Err(e) if e.is_eof() => Err(format!(
            "sealed interview cut short (truncated JSON at line {}, column {}): copy it again from the laptop",
            e.line(),
            e.column()
        )),
        Err(e) => Err(format!("malformed sealed interview: {e}")),
    }
}

/// What a data dir's interview file holds: an interview, or a sealed one (only its head can be
/// read on the laptop).
// A list of a laptop's interviews holds a few hundred: boxing the record would not pay.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// An interview (a draft, or completed without sealing).
    Open(Record),
    /// A completed interview sealed to the supervisor's key.
    Sealed(SealedHead),
}

impl Stored {
    /// The interview, if it is not sealed.
    pub fn into_record(self) -> Option<Record> {
        match self {
            Stored::Open(r) => Some(r),
            Stored::Sealed(_) => None,
        }
    }
}

/// Reads a data dir's file: an interview or a sealed one, with a precise reason when it is
/// neither.
pub fn stored(s: &str) -> Result<Stored, Unreadable> {
    if seal::looks_sealed(s) {
        return sealed(s)
            .map(|h| Stored::Sealed(h.head()))
            .map_err(|why| Unreadable::new(Fault::Malformed, why));
    }
    record(s).map(Stored::Open)
}

/// [`decode`] for readers that never look at the paradata (the report):
/// [`RecordView::parse_without_paradata`] first, which for the canonical one-line form stops at
/// the paradata (about half of the bytes) without checking them; anything else, or any doubt,
/// is decoded by [`decode`].
pub(crate) fn decode_without_paradata(text: &str) -> Decoded<'_> {
    match RecordView::parse_without_paradata(text) {
        Some(r) => Decoded::Interview(r),
        None => decode(text),
    }
}

/// The fields of a data dir's `config.json` (`store::Config`).
const SETTINGS_KEYS: [&str; 4] = ["interviewer", "lang", "hand_in_dir", "recipients"];

/// Why a text that does not parse as an interview is not one (or what it is instead).
fn not_an_interview<'a>(text: &'a str, parsed: &serde_json::Error) -> Decoded<'a> {
    let t = text.trim();
    if t.is_empty() {
        return Decoded::Rejected("empty file".into());
    }
    if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Decoded::Ignored(Ignored::DeviceId);
    }
    let v: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Decoded::Rejected(json_error(&e)),
    };
    match v.get("format").and_then(|f| f.as_str()) {
        // What the reader said, with its line and column (a duplicate key among them: the JSON
        // value above keeps only the last of two equal keys).
        Some(FORMAT | FORMAT_V2) => Decoded::Rejected(format!("malformed interview: {parsed}")),
        Some(MERGE_REPORT_FORMAT) => Decoded::Ignored(Ignored::MergeReport),
        Some(SEALED_FORMAT) => match sealed(text) {
            Ok(head) => Decoded::Sealed(head, Locked::NoIdentity),
            Err(reason) => Decoded::Rejected(reason),
        },
        Some(other) => Decoded::Rejected(format!(
            "unknown format version `{other}` (this anketa reads `{FORMAT}` and `{FORMAT_V2}`); a newer anketa may read it"
        )),
        None if v.get("blocks").is_some() && v.get("id").is_some() => Decoded::Ignored(Ignored::Questionnaire),
        None if v
            .as_object()
            .is_some_and(|o| !o.is_empty() && o.keys().all(|k| SETTINGS_KEYS.contains(&k.as_str()))) =>
        {
            Decoded::Ignored(Ignored::Settings)
        }
        None => Decoded::Rejected("not an anketa interview file (no `format` field)".into()),
    }
}

/// A JSON syntax error in the user's terms.
fn json_error(e: &serde_json::Error) -> String {
    if e.is_eof() {
        format!("truncated JSON at line {}, column {}", e.line(), e.column())
    } else {
        format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column())
    }
}

/// Why a file is not an interview anketa can read: the kind of fault, from which the words for
/// the interviewer are made ([`crate::i18n::unreadable`]), and the precise reason in English
/// (`detail`: what `anketa list --all`, merge and logs print, raw OS text included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// What kind of fault.
    pub fault: Fault,
    /// The precise reason.
    pub detail: String,
}

/// The kinds of [`Unreadable`] files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The file could not be opened or read: the OS error's kind.
    Io(std::io::ErrorKind),
    /// A folder or a device, not a file.
    NotAFile,
    /// Larger than an interview can be.
    TooLarge,
    /// Not UTF-8 text.
    NotText,
    /// Empty (or only blanks).
    Empty,
    /// Not JSON, or cut short: the line where it breaks.
    Damaged {
        /// 1-based line.
        line: usize,
    },
    /// Written by another version of the interview format.
    OtherVersion,
    /// JSON, but not an anketa interview.
    NotAnInterview,
    /// An anketa interview with a field missing or wrong.
    Malformed,
    /// A completed interview sealed to the supervisor's key: it cannot be opened here.
    Sealed,
}

impl Unreadable {
    /// A fault with its precise reason.
    pub fn new(fault: Fault, detail: impl Into<String>) -> Self {
        Unreadable {
            fault,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl From<Unreadable> for String {
    fn from(u: Unreadable) -> String {
        u.detail
    }
}

/// Reads an owned interview (a data dir's file), with a precise reason when it is not one.
pub fn record(s: &str) -> Result<Record, Unreadable> {
    if seal::looks_sealed(s) {
        return Err(Unreadable::new(
            Fault::Sealed,
            "a completed interview sealed to the supervisor's key: it cannot be opened or changed on this laptop",
        ));
    }
    if s.trim().is_empty() {
        return Err(Unreadable::new(Fault::Empty, "empty file"));
    }
    let v: serde_json::Value =
        serde_json::from_str(s).map_err(|e| Unreadable::new(Fault::Damaged { line: e.line() }, json_error(&e)))?;
    match v.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT | FORMAT_V2) => {}
        Some(other) => {
            return Err(Unreadable::new(
                Fault::OtherVersion,
                format!("unknown format version `{other}` (this anketa reads `{FORMAT}` and `{FORMAT_V2}`)"),
            ));
        }
        None => {
            return Err(Unreadable::new(
                Fault::NotAnInterview,
                "not an anketa interview file (no `format` field)",
            ));
        }
    }
    // A variable (or a roster) given twice would be taken "last one wins" by the owned map:
    // the borrowed reader refuses it, naming it and its line, as merge does.
    if let Err(e) = RecordView::parse(s)
        && (e.to_string().contains("duplicate variable") || e.to_string().contains("duplicate roster"))
    {
        return Err(Unreadable::new(Fault::Malformed, format!("malformed interview: {e}")));
    }
    serde_json::from_value(v).map_err(|e| Unreadable::new(Fault::Malformed, format!("malformed interview: {e}")))
}

/// The JSON texts of a file read whole, with their line numbers (0 for a whole file).
#[derive(Debug, Clone, PartialEq)]
pub enum Texts<'a> {
    /// One JSON text: the whole file (a byte-order mark removed).
    One(&'a str),
    /// NDJSON: the bytes of the file, one interview per non-blank line (see [`Texts::each`]),
    /// each line judged on its own (a bad byte in one line loses that line only).
    Lines(&'a [u8]),
}

impl<'a> Texts<'a> {
    /// Calls `item(line, text)` for each text: line 0 for a whole file, 1-based line numbers
    /// for the non-blank lines of NDJSON, with the reason for a line that is not UTF-8.
    pub fn each(&self, mut item: impl FnMut(u32, Result<&'a str, String>)) {
        match *self {
            Texts::One(t) => item(0, Ok(t)),
            Texts::Lines(b) => {
                for (n, l) in b.split(|&c| c == b'\n').enumerate() {
                    if l.trim_ascii().is_empty() {
                        continue;
                    }
                    match utf8(l) {
                        Ok(t) if t.trim().is_empty() => {}
                        t => item(n as u32 + 1, t),
                    }
                }
            }
        }
    }
}

/// Splits a file's bytes into its JSON texts: NDJSON when the first line is one whole JSON
/// object and more follows (each line then judged alone), one text otherwise. A single text
/// that is not UTF-8: the reason.
pub fn texts(bytes: &[u8]) -> Result<Texts<'_>, String> {
    // A byte-order mark (Notepad adds one) is not part of the JSON.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    let (first, rest) = bytes.split_at(first_end);
    if !rest.trim_ascii().is_empty() && starts_ndjson(first) {
        Ok(Texts::Lines(bytes))
    } else {
        Ok(Texts::One(utf8(bytes)?))
    }
}

/// Whether `first` (a file's first line) starts an NDJSON file: it is one whole JSON object —
/// also when a bad byte spoils it as text (then that line alone is rejected, not the file).
pub(crate) fn starts_ndjson(first: &[u8]) -> bool {
    is_json_line(first)
        || (std::str::from_utf8(first).is_err() && is_json_line(String::from_utf8_lossy(first).as_bytes()))
}

/// The bytes as UTF-8 text, or why not.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, String> {
    // Every interview read is checked whole: with SIMD first (std's check was 1.8 % of a
    // merge); std's again only for the offset of a bad byte.
    if let Ok(s) = simdutf8::basic::from_utf8(bytes) {
        return Ok(s);
    }
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}); not an anketa file, or damaged in copying",
            e.valid_up_to()
        )
    })
}

/// Whether `line` is one complete JSON value (cheap check first: it must start with `{`): the
/// first line of an NDJSON file.
pub(crate) fn is_json_line(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.first() == Some(&b'{') && t.last() == Some(&b'}') && serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_utf8_check_agrees_with_std_on_good_and_bad_bytes_at_every_place() {
        let good = "{\"a\": \"Ответ — да ✓ 𝄞\"}".repeat(5);
        // Bad: a lone continuation byte, a cut sequence, an overlong form, a surrogate, a code
        // point over U+10FFFF, bytes never used in UTF-8.
        let bad: [&[u8]; 7] = [
            b"\x80",
            b"\xD0",
            b"\xC0\xAF",
            b"\xED\xA0\x80",
            b"\xF4\x90\x80\x80",
            b"\xFF",
            b"\xE2\x82",
        ];
        for cut in 0..=good.len() {
            let bytes = &good.as_bytes()[..cut];
            assert_eq!(utf8(bytes).ok(), std::str::from_utf8(bytes).ok(), "cut at {cut}");
            for b in bad {
                let mut v = good.as_bytes()[..cut].to_vec();
                v.extend_from_slice(b);
                v.extend_from_slice(&good.as_bytes()[cut..]);
                let want = std::str::from_utf8(&v).map_err(|e| e.valid_up_to());
                match (utf8(&v), want) {
                    (Ok(s), Ok(w)) => assert_eq!(s, w),
                    (Err(e), Err(at)) => assert!(e.contains(&format!("offset {at})")), "{e}"),
                    (got, want) => panic!("at {cut}, {b:?}: {got:?} against std's {want:?}"),
                }
            }
        }
    }

    fn ignored(t: &str) -> Option<Ignored> {
        match decode(t) {
            Decoded::Ignored(i) => Some(i),
            _ => None,
        }
    }

    fn rejected(t: &str) -> String {
        match decode(t) {
            Decoded::Rejected(r) => r,
            other => panic!("{t}: {other:?}"),
        }
    }

    #[test]
    fn data_dir_and_merge_files_are_recognised_by_content() {
        assert_eq!(ignored("0123456789abcdef0123456789abcdef\n"), Some(Ignored::DeviceId));
        assert_eq!(
            ignored(r#"{"interviewer": "I01", "lang": "ru"}"#),
            Some(Ignored::Settings)
        );
        assert_eq!(
            ignored(r#"{"lang": "ru", "hand_in_dir": "E:/", "recipients": ["age1x"]}"#),
            Some(Ignored::Settings)
        );
        assert_eq!(
            ignored(r#"{"format": "anketa-merge-report/1", "files_read": 3}"#),
            Some(Ignored::MergeReport)
        );
        assert_eq!(
            ignored(r#"{"id": "x", "version": "1", "blocks": []}"#),
            Some(Ignored::Questionnaire)
        );
    }

    #[test]
    fn other_texts_are_rejected_with_a_precise_reason() {
        assert_eq!(rejected("  \n"), "empty file");
        assert_eq!(
            rejected(r#"{"format": "anketa-interview/9"}"#),
            "unknown format version `anketa-interview/9` (this anketa reads `anketa-interview/1` and `anketa-interview/2`); a newer anketa \
             may read it"
        );
        assert!(rejected(r#"{"format": "anketa-interview/1", "id": 1}"#).starts_with("malformed interview: "));
        assert!(rejected("{\n  \"format\": \"anketa-in").starts_with("truncated JSON at line 2"));
        assert!(rejected("{\"a\" 1}").starts_with("invalid JSON at line 1, column 6: "));
        assert_eq!(rejected("[1, 2]"), "not an anketa interview file (no `format` field)");
        // An empty object is nothing anketa writes: not taken for settings.
        assert_eq!(rejected("{}"), "not an anketa interview file (no `format` field)");
        // Blocks without an id are no questionnaire (merge and report once disagreed here).
        assert_eq!(
            rejected(r#"{"blocks": []}"#),
            "not an anketa interview file (no `format` field)"
        );
    }

    #[test]
    fn an_owned_record_is_refused_with_the_same_reasons() {
        let err = |s: &str| record(s).unwrap_err();
        assert_eq!(err(" "), Unreadable::new(Fault::Empty, "empty file"));
        let cut = err("{\n \"format\": \"anketa-interview/1\",\n \"id\": \"01");
        assert_eq!(cut.fault, Fault::Damaged { line: 3 });
        assert!(cut.detail.starts_with("truncated JSON at line 3"), "{cut}");
        assert_eq!(
            err(r#"{"format": "x"}"#),
            Unreadable::new(
                Fault::OtherVersion,
                "unknown format version `x` (this anketa reads `anketa-interview/1` and `anketa-interview/2`)"
            )
        );
        assert_eq!(err("[1]").fault, Fault::NotAnInterview);
        let m = err(r#"{"format": "anketa-interview/1"}"#);
        assert_eq!(m.fault, Fault::Malformed);
        // A variable given twice: refused, not "last one wins".
        let q = crate::questionnaire::fixtures::every_type();
        let now = crate::interview::session::Now {
            wall: "2021-02-20T10:00:00Z".into(),
            ms: 0,
        };
        let mut twice = crate::interview::session::new_record(&q, "id".into(), "dev".into(), "I".into(), &now);
        twice.answers.insert("a".into(), Default::default());
        let text = String::from_utf8(twice.to_json()).unwrap();
        let dup = text.replacen("\"a\": {", "\"a\": {\"relevant\": true}, \"a\": {", 1);
        assert_ne!(dup, text);
        let e = err(&dup);
        assert!(
            e.fault == Fault::Malformed && e.detail.contains("duplicate variable `a`"),
            "{e:?}"
        );
        assert!(m.detail.starts_with("malformed interview: missing field"), "{m}");
    }

    #[test]
    fn files_split_into_their_texts() {
        let texts_of = |b: &[u8]| {
            let mut v = Vec::new();
            texts(b).unwrap().each(|n, t| v.push((n, t.unwrap().to_owned())));
            v
        };
        assert_eq!(texts_of(b"\xef\xbb\xbf{\"a\": 1}\n"), [(0, "{\"a\": 1}\n".to_owned())]);
        assert_eq!(
            texts_of(b"{\"a\": 1}\n\n{\"b\": 2}\r\n  \n{broken\n"),
            [
                (1, "{\"a\": 1}".to_owned()),
                (3, "{\"b\": 2}\r".to_owned()),
                (5, "{broken".to_owned())
            ]
        );
        // A pretty-printed record is one text, not lines.
        assert_eq!(texts_of(b"{\n  \"a\": 1\n}\n").len(), 1);
        assert!(
            texts(b"{\"a\": \"\xff\"}")
                .unwrap_err()
                .starts_with("not UTF-8 text (invalid byte at offset 7)")
        );
        // One bad byte in an NDJSON line loses that line only, the first line too.
        let mut first = Vec::new();
        texts(b"{\"a\": \"\xff\"}\n{\"b\": 2}\n")
            .unwrap()
            .each(|n, t| first.push((n, t.is_ok())));
        assert_eq!(first, [(1, false), (2, true)]);
        let mut lines = Vec::new();
        texts(b"{\"a\": 1}\n{\"b\": \"\xff\"}\n{\"c\": 3}\n")
            .unwrap()
            .each(|n, t| lines.push((n, t.map_err(|e| e[..41].to_owned()))));
        assert_eq!(
            lines,
            [
                (1, Ok("{\"a\": 1}")),
                (2, Err("not UTF-8 text (invalid byte at offset 7)".to_owned())),
                (3, Ok("{\"c\": 3}"))
            ]
        );
    }

    #[test]
    fn json_lines_are_recognised_by_content() {
        assert!(is_json_line(br#"{"a": 1}"#));
        assert!(!is_json_line(b"{"));
        assert!(!is_json_line(b"{\"a\": "));
        assert!(!is_json_line(b"0123"));
    }
}
