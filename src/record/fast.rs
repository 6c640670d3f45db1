//! The parser of [`RecordView::parse`]. Every function returns `None` where the input is not
//! exactly what it expects; `None` is never an answer about the input, only "ask serde".

use super::view::*;
use super::{EventKind, Status};
use std::borrow::Cow;

pub(super) fn record(text: &str, stop_at_paradata: bool) -> Option<RecordView<'_>> {
    // Where the closing `}` is, if the line ends with `]}`: the paradata may end just before.
    let t = text.trim_end();
    let skip_to = (stop_at_paradata && t.ends_with("]}")).then(|| t.len() - 1);
    let mut p = P {
        b: text.as_bytes(),
        s: text,
        i: 0,
        skip_to,
    };
    let r = p.record()?;
    p.ws();
    (p.i == p.b.len()).then_some(r)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Sets a field once (serde refuses a field given twice).
fn set<T>(slot: &mut Option<T>, v: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(v);
    Some(())
}

struct P<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
    /// See [`RecordView::parse_without_paradata`]: the index of the record's closing `}`.
    skip_to: Option<usize>,
}

impl<'a> P<'a> {
    /// Eight bytes at `at` as a number, if there are eight.
    #[inline]
    fn word(&self, at: usize) -> Option<u64> {
        let w: [u8; 8] = self.b.get(at..at + 8)?.try_into().ok()?;
        Some(u64::from_le_bytes(w))
    }

    /// JSON whitespace, as serde_json skips it; runs of spaces (indentation) a word at a time.
    /// Inlined where none comes next (the usual case between a key and its colon, a value and
    /// its comma).
    #[inline(always)]
    fn ws(&mut self) {
        if self.b.get(self.i).is_none_or(|&c| c > b' ') {
            return;
        }
        self.ws_run();
    }

    /// [`Self::ws`] where a character at most a space comes next.
    #[inline(never)]
    fn ws_run(&mut self) {
        // The usual run, a line break and the next line's indentation: up to 16 spaces taken
        // from two words at once; the loop below reads whatever follows.
        if self.b.get(self.i) == Some(&b'\n')
            && let (Some(w1), Some(w2)) = (self.word(self.i + 1), self.word(self.i + 9))
        {
            let (s1, s2) = (w1 ^ (ONES * b' ' as u64), w2 ^ (ONES * b' ' as u64));
            self.i += if s1 != 0 {
                1 + s1.trailing_zeros() as usize / 8
            } else if s2 != 0 {
                9 + s2.trailing_zeros() as usize / 8
            } else {
                17
            };
        }
        loop {
            match self.b.get(self.i) {
                Some(b' ') => {
                    while let Some(w) = self.word(self.i) {
                        let other = w ^ (ONES * b' ' as u64);
                        if other != 0 {
                            self.i += other.trailing_zeros() as usize / 8;
                            break;
                        }
                        self.i += 8;
                    }
                    while self.b.get(self.i) == Some(&b' ') {
                        self.i += 1;
                    }
                }
                Some(b'\n' | b'\r' | b'\t') => self.i += 1,
                _ => return,
            }
        }
    }

    /// From `i`, the index of the first `"`, `\` or control character (or the end).
    #[inline]
    fn special(&self) -> usize {
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        let mut i = self.i;
        while let Some(w) = self.word(i) {
            // The lowest flagged byte is exact (higher ones may be false alarms).
            let quote = zero(w ^ (ONES * b'"' as u64));
            let slash = zero(w ^ (ONES * b'\\' as u64));
            let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
            let m = quote | slash | control;
            if m != 0 {
                return i + m.trailing_zeros() as usize / 8;
            }
            i += 8;
        }
        while let Some(&c) = self.b.get(i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            i += 1;
        }
        i
    }

    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// `{ "key": value, … }`: `f` reads each value, given its key.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let k = self.plain()?;
            self.eat(b':')?;
            f(self, k)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `[ value, … ]`: `f` reads each value.
    fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            f(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string without escapes (keys, codes of statuses and events).
    fn plain(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        self.i = self.special();
        if *self.b.get(self.i)? != b'"' {
            return None;
        }
        self.i += 1;
        // The quotes are ASCII, so the slice is on character boundaries.
        Some(&self.s[start..self.i - 1])
    }

    /// A string: borrowed if it has no escapes; otherwise serde_json decodes it.
    fn string(&mut self) -> Option<Str<'a>> {
        self.eat(b'"')?;
        let start = self.i;
        self.i = self.special();
        match *self.b.get(self.i)? {
            b'"' => {
                self.i += 1;
                return Some(Str(Cow::Borrowed(&self.s[start..self.i - 1])));
            }
            b'\\' => {}
            // JSON admits control characters in strings only escaped.
            _ => return None,
        }
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' => self.i += 2,
                c if c < 0x20 => return None,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        let quoted = self.s.get(start - 1..self.i)?;
        serde_json::from_str::<String>(quoted).ok().map(|s| Str(Cow::Owned(s)))
    }

    fn opt_string(&mut self) -> Option<Option<Str<'a>>> {
        if self.null()? {
            Some(None)
        } else {
            self.string().map(Some)
        }
    }

    /// Digits only (what `u64` fields hold as anketa writes them).
    fn u64(&mut self) -> Option<u64> {
        self.ws();
        let start = self.i;
        let mut n: u64 = 0;
        while let Some(&c) = self.b.get(self.i) {
            if !c.is_ascii_digit() {
                break;
            }
            n = n.checked_mul(10)?.checked_add((c - b'0') as u64)?;
            self.i += 1;
        }
        let len = self.i - start;
        if len == 0 || (len > 1 && self.b[start] == b'0') {
            return None;
        }
        match self.b.get(self.i) {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(n),
        }
    }

    /// Up to 15 digits, without a leading zero, as a number (read); `None` (nothing read) for
    /// anything else.
    #[inline]
    fn small_uint(&mut self) -> Option<u64> {
        let start = self.i;
        let mut n: u64 = 0;
        let mut i = start;
        while let Some(&c) = self.b.get(i)
            && c.is_ascii_digit()
        {
            n = n * 10 + u64::from(c - b'0');
            i += 1;
            if i - start > 15 {
                return None;
            }
        }
        let len = i - start;
        if len == 0 || (len > 1 && self.b[start] == b'0') {
            return None;
        }
        self.i = i;
        Some(n)
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b.get(self.i..).is_some_and(|rest| rest.starts_with(word)) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn bool(&mut self) -> Option<bool> {
        self.ws();
        if self.literal(b"true") {
            Some(true)
        } else if self.literal(b"false") {
            Some(false)
        } else {
            None
        }
    }

    /// Whether the next value is `null` (consumed).
    fn null(&mut self) -> Option<bool> {
        self.ws();
        Some(self.literal(b"null"))
    }

    fn record(&mut self) -> Option<RecordView<'a>> {
        let (mut format, mut id, mut revision, mut device, mut interviewer) = (None, None, None, None, None);
        let (mut questionnaire, mut status, mut started, mut updated) = (None, None, None, None);
        let (mut completed, mut duration_ms, mut position, mut answers) = (None, None, None, None);
        let (mut reopened, mut paradata, mut position_at, mut rosters) = (None, None, None, None);
        self.object(|p, k| match k {
            "format" => set(&mut format, p.string()?),
            "id" => set(&mut id, p.string()?),
            "revision" => set(&mut revision, p.u64()?),
            "device" => set(&mut device, p.string()?),
            "interviewer" => set(&mut interviewer, p.string()?),
            "questionnaire" => set(&mut questionnaire, p.questionnaire()?),
            "status" => set(
                &mut status,
                match p.plain()? {
                    "in_progress" => Status::InProgress,
                    "completed" => Status::Completed,
                    _ => return None,
                },
            ),
            "started" => set(&mut started, p.string()?),
            "updated" => set(&mut updated, p.string()?),
            "completed" => set(&mut completed, p.opt_string()?),
            "duration_ms" => set(&mut duration_ms, p.u64()?),
            "position" => set(&mut position, p.opt_string()?),
            "position_at" => set(&mut position_at, p.path()?),
            "answers" => set(&mut answers, p.answers(64)?),
            "rosters" => set(&mut rosters, p.rosters()?),
            "reopened" => set(&mut reopened, p.reopened()?),
            "paradata" => match p.skip_to.filter(|_| p.peek() == Some(b'[')) {
                // Skipped only if the array holds no bracket but the instance paths of its
                // events (`"at":[1,2]`) and its `]` is the one before the record's final
                // `}`: then nothing but the paradata lies between (a second record glued on,
                // another field or junk after the array would put another bracket there
                // first), and the object closes as usual. Otherwise the paradata are parsed
                // (or refused) in full.
                Some(end) if p.i + 1 < end && paradata_skippable(&p.b[p.i + 1..end]) => {
                    p.i = end;
                    set(&mut paradata, Paradata::default())
                }
                _ => set(&mut paradata, p.paradata()?),
            },
            _ => None,
        })?;
        Some(RecordView {
            format: format?,
            id: id?,
            revision: revision?,
            device: device?,
            interviewer: interviewer?,
            questionnaire: questionnaire?,
            status: status?,
            started: started?,
            updated: updated?,
            completed: completed.flatten(),
            duration_ms: duration_ms?,
            position: position.flatten(),
            position_at: position_at.unwrap_or_default(),
            answers: answers?,
            rosters: rosters.unwrap_or_default(),
            reopened: reopened.unwrap_or_default(),
            paradata: paradata.unwrap_or_default(),
        })
    }

    fn questionnaire(&mut self) -> Option<QuestionnaireView<'a>> {
        let (mut id, mut version, mut sha256) = (None, None, None);
        self.object(|p, k| match k {
            "id" => set(&mut id, p.string()?),
            "version" => set(&mut version, p.string()?),
            "sha256" => set(&mut sha256, p.string()?),
            _ => None,
        })?;
        Some(QuestionnaireView {
            id: id?,
            version: version?,
            sha256: sha256?,
        })
    }

    /// Answers; room for `capacity` at first (a record's dozens, an instance's few).
    fn answers(&mut self, capacity: usize) -> Option<Answers<'a>> {
        let mut v = Vec::with_capacity(capacity);
        self.object(|p, k| {
            v.push((Str(Cow::Borrowed(k)), p.answer()?));
            Some(())
        })?;
        Answers::unique(v).ok()
    }

    /// An instance path (`position_at`, an event's `at`): numbers that fit a `u32`.
    /// An event's `at`, as [`Self::path`] reads it, without an allocation.
    fn at_path(&mut self) -> Option<AtPath> {
        let mut v = AtPath::default();
        self.array(|p| {
            v.push(u32::try_from(p.u64()?).ok()?);
            Some(())
        })?;
        Some(v)
    }

    fn path(&mut self) -> Option<Vec<u32>> {
        let mut v = Vec::new();
        self.array(|p| {
            v.push(u32::try_from(p.u64()?).ok()?);
            Some(())
        })?;
        Some(v)
    }

    /// `rosters`: the instances of each roster, nested.
    fn rosters(&mut self) -> Option<RostersView<'a>> {
        let mut v = Vec::new();
        self.object(|p, k| {
            let mut instances = Vec::new();
            p.array(|p| {
                instances.push(p.instance()?);
                Some(())
            })?;
            v.push((Str(Cow::Borrowed(k)), instances));
            Some(())
        })?;
        RostersView::unique(v)
    }

    fn instance(&mut self) -> Option<InstanceView<'a>> {
        let (mut answers, mut rosters, mut removed) = (None, None, None);
        self.object(|p, k| match k {
            // Room for 7 (under 1 KB, which glibc's per-thread cache serves; 8 were not).
            "answers" => set(&mut answers, p.answers(7)?),
            "rosters" => set(&mut rosters, p.rosters()?),
            "removed" => set(&mut removed, p.opt_string()?),
            _ => None,
        })?;
        Some(InstanceView {
            answers: answers?,
            rosters: rosters.unwrap_or_default(),
            removed: removed.flatten(),
        })
    }

    fn answer(&mut self) -> Option<AnswerView<'a>> {
        let start = self.i;
        if let Some(a) = self.answer_in_order() {
            return Some(a);
        }
        self.i = start;
        let (mut value, mut other, mut remark, mut answered_at) = (None, None, None, None);
        let (mut relevant, mut warning_confirmed, mut defaulted) = (None, None, None);
        self.object(|p, k| match k {
            "value" => set(&mut value, p.value()?),
            "other" => set(&mut other, p.opt_string()?),
            "remark" => set(&mut remark, p.opt_string()?),
            "answered_at" => set(&mut answered_at, p.opt_string()?),
            "relevant" => set(&mut relevant, p.bool()?),
            "warning_confirmed" => set(&mut warning_confirmed, p.bool()?),
            "defaulted" => set(&mut defaulted, p.bool()?),
            _ => None,
        })?;
        Some(AnswerView {
            value: value.flatten(),
            other: other.flatten(),
            remark: remark.flatten(),
            answered_at: answered_at.flatten(),
            relevant: relevant?,
            warning_confirmed: warning_confirmed.unwrap_or(false),
            defaulted: defaulted.unwrap_or(false),
        })
    }

    /// `"key":` if `quoted` (the key in its quotes) comes next: `Some(true)`, the key and its
    /// colon read; `Some(false)`, another key or none (only whitespace read); `None`, the key
    /// without its colon.
    #[inline]
    fn next_key<const N: usize>(&mut self, quoted: &[u8; N]) -> Option<bool> {
        self.ws();
        if self.b.get(self.i..self.i + N)? != quoted {
            return Some(false);
        }
        self.i += N;
        self.eat(b':').map(|()| true)
    }

    /// An answer with its fields in the order anketa writes them (`value`, `other`, `remark`,
    /// `answered_at`, `relevant`, `warning_confirmed`, `defaulted`; each at most once, only
    /// `relevant` required), each read as [`Self::answer`] reads it, without the general
    /// object's key dispatch; `None` for any other spelling (which `answer` then reads).
    fn answer_in_order(&mut self) -> Option<AnswerView<'a>> {
        self.eat(b'{')?;
        let mut a = AnswerView {
            value: None,
            other: None,
            remark: None,
            answered_at: None,
            relevant: false,
            warning_confirmed: false,
            defaulted: false,
        };
        if self.next_key(b"\"value\"")? {
            a.value = self.value()?;
            self.eat(b',')?;
        }
        if self.next_key(b"\"other\"")? {
            a.other = self.opt_string()?;
            self.eat(b',')?;
        }
        if self.next_key(b"\"remark\"")? {
            a.remark = self.opt_string()?;
            self.eat(b',')?;
        }
        if self.next_key(b"\"answered_at\"")? {
            a.answered_at = self.opt_string()?;
            self.eat(b',')?;
        }
        if !self.next_key(b"\"relevant\"")? {
            return None;
        }
        a.relevant = self.bool()?;
        if self.peek()? == b',' {
            self.i += 1;
            if self.next_key(b"\"warning_confirmed\"")? {
                a.warning_confirmed = self.bool()?;
                if self.peek()? == b',' {
                    self.i += 1;
                    if !self.next_key(b"\"defaulted\"")? {
                        return None;
                    }
                    a.defaulted = self.bool()?;
                }
            } else {
                if !self.next_key(b"\"defaulted\"")? {
                    return None;
                }
                a.defaulted = self.bool()?;
            }
        }
        self.eat(b'}')?;
        Some(a)
    }

    fn value(&mut self) -> Option<Option<ValueView<'a>>> {
        match self.peek()? {
            b'n' => self.null()?.then_some(None),
            b'"' => Some(Some(ValueView::Text(self.string()?))),
            b'[' => {
                let mut codes = Vec::with_capacity(4);
                self.array(|p| {
                    codes.push(p.string()?);
                    Some(())
                })?;
                Some(Some(ValueView::Codes(codes)))
            }
            b'-' | b'0'..=b'9' => {
                // A whole number of up to 15 digits, not negative: what serde_json reads as a
                // `u64` and `ValueView` turns into an `f64`, exactly (below 2^53).
                let start = self.i;
                if let Some(n) = self.small_uint()
                    && !matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E' | b'-' | b'+'))
                {
                    return Some(Some(ValueView::Number(n as f64)));
                }
                self.i = start;
                // Any other: serde_json reads the number, exactly as within the record.
                while let Some(&c) = self.b.get(self.i) {
                    if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
                serde_json::from_str::<ValueView<'_>>(&self.s[start..self.i])
                    .ok()
                    .map(Some)
            }
            _ => None,
        }
    }

    fn reopened(&mut self) -> Option<Vec<ReopeningView<'a>>> {
        let mut v = Vec::new();
        self.array(|p| {
            let (mut at, mut revision, mut was_completed) = (None, None, None);
            p.object(|p, k| match k {
                "at" => set(&mut at, p.string()?),
                "revision" => set(&mut revision, p.u64()?),
                "was_completed" => set(&mut was_completed, p.string()?),
                _ => None,
            })?;
            v.push(ReopeningView {
                at: at?,
                revision: revision?,
                was_completed: was_completed?,
            });
            Some(())
        })?;
        Some(v)
    }

    /// The paradata, copied into their canonical form (see [`Paradata`]) as they are read.
    fn paradata(&mut self) -> Option<Paradata> {
        // Room for all at once: the events come last in the record, and their canonical form
        // is no longer than their text.
        let mut out = Paradata {
            json: Vec::with_capacity(self.b.len() - self.i),
            has_paths: false,
        };
        // As `array`, with the events copied.
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(out);
        }
        loop {
            let (start, len) = (self.i, out.json.len());
            if len > 0 {
                out.json.push(b',');
            }
            // Most events are laid out as anketa writes them (a record file, a merged line):
            // compared with that layout and copied a field at a time. Other layouts of the
            // same fields are copied token by token; any other spelling is read from the
            // start as an `EventView`, which is then written.
            self.ws();
            let laid = match self.b.get(self.i + 1) {
                Some(b'\n') => self.event_laid::<Pretty>(&mut out.json),
                Some(b'"') => self.event_laid::<Compact>(&mut out.json),
                _ => None,
            };
            let copied = laid.or_else(|| {
                self.i = start;
                out.json.truncate(len + usize::from(len > 0));
                self.event_copied(&mut out.json)
            });
            match copied {
                Some(path) => out.has_paths |= path,
                None => {
                    self.i = start;
                    out.json.truncate(len);
                    let e = self.event()?;
                    out.push(&e);
                }
            }
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                _ => match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        return Some(out);
                    }
                    _ => return None,
                },
            }
        }
    }

    /// An event, any spelling serde reads, as an [`EventView`].
    fn event(&mut self) -> Option<EventView<'a>> {
        let (mut ms, mut ev, mut q, mut gap_s, mut at) = (None, None, None, None, None);
        self.object(|p, k| match k {
            "ms" => set(&mut ms, p.u64()?),
            "ev" => set(&mut ev, event_kind(p.plain()?)?),
            "q" => set(&mut q, p.string()?),
            "gap_s" => set(&mut gap_s, p.u64()?),
            "at" => set(&mut at, p.at_path()?),
            _ => None,
        })?;
        Some(EventView {
            ms: ms?,
            ev: ev?,
            q: q?,
            at: at.unwrap_or_default(),
            gap_s,
        })
    }
}

/// An event's kind as serde reads it (`snake_case`).
fn event_kind(s: &str) -> Option<EventKind> {
    event_kind_bytes(s.as_bytes())
}

/// [`event_kind`] of the bytes between the quotes.
fn event_kind_bytes(s: &[u8]) -> Option<EventKind> {
    Some(match s {
        b"shown" => EventKind::Shown,
        b"answered" => EventKind::Answered,
        b"changed" => EventKind::Changed,
        b"confirmed" => EventKind::Confirmed,
        b"remark" => EventKind::Remark,
        b"resumed" => EventKind::Resumed,
        b"added" => EventKind::Added,
        b"removed" => EventKind::Removed,
        b"restored" => EventKind::Restored,
        b"dropped" => EventKind::Dropped,
        _ => return None,
    })
}

/// The largest `u64` and `u32`, in digits.
const U64_MAX: &[u8] = b"18446744073709551615";
const U32_MAX: &[u8] = b"4294967295";

impl P<'_> {
    /// `"key":` spelled exactly so (`quoted`: the key in its quotes, no escapes), after any
    /// whitespace.
    #[inline]
    fn key<const N: usize>(&mut self, quoted: &[u8; N]) -> Option<()> {
        self.ws();
        if self.b.get(self.i..self.i + N)? != quoted {
            return None;
        }
        self.i += N;
        self.eat(b':')
    }

    /// An unsigned integer as serde reads it into a `u64` (`max`: [`U64_MAX`]) or a `u32`
    /// ([`U32_MAX`]) and writes it back: digits, no leading zero, at most `max`. Copied to
    /// `out`, which is what serde would write. (A fraction or an exponent after the digits is
    /// refused by the caller, which expects `,`, `]` or `}` there.)
    #[inline]
    fn digits(&mut self, out: &mut Vec<u8>, max: &[u8]) -> Option<()> {
        self.ws();
        self.digits_here(out, max)
    }

    /// [`Self::digits`] without whitespace before them.
    #[inline]
    fn digits_here(&mut self, out: &mut Vec<u8>, max: &[u8]) -> Option<()> {
        let start = self.i;
        // A single digit (most indices of instance paths).
        if let Some(&[c, next]) = self.b.get(start..start + 2)
            && c.is_ascii_digit()
            && !next.is_ascii_digit()
        {
            out.push(c);
            self.i += 1;
            return Some(());
        }
        // Eight bytes at a time: a byte is a digit when it is `'0'` plus less than ten (a
        // carry out of a byte that is not a digit spoils only the flags above it).
        while let Some(w) = self.word(self.i) {
            let x = w ^ (ONES * b'0' as u64);
            let other = (x | x.wrapping_add(ONES * 0x76)) & HIGH;
            if other != 0 {
                self.i += other.trailing_zeros() as usize / 8;
                break;
            }
            self.i += 8;
        }
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let d = &self.b[start..self.i];
        let fits = match d.len() {
            0 => false,
            n if n > 1 && d[0] == b'0' => false,
            n if n < max.len() => true,
            n => n == max.len() && d <= max,
        };
        if !fits {
            return None;
        }
        self.copy(out, start);
        Some(())
    }

    /// Appends the input from `start` to `i` (a number, a name: short), 32 bytes at a time
    /// where the input has them, which needs no call to `memcpy`.
    #[inline(always)]
    fn copy(&self, out: &mut Vec<u8>, start: usize) {
        let n = self.i - start;
        if n <= 32
            && let Some(w) = self.b.get(start..start + 32)
            && let Ok(w) = <&[u8; 32]>::try_from(w)
        {
            let len = out.len();
            out.extend_from_slice(w);
            out.truncate(len + n);
        } else {
            out.extend_from_slice(&self.b[start..self.i]);
        }
    }

    /// Whether `lit` comes next (then skipped).
    #[inline(always)]
    fn lit(&mut self, lit: &[u8]) -> bool {
        let hit = self.b.get(self.i..self.i + lit.len()) == Some(lit);
        if hit {
            self.i += lit.len();
        }
        hit
    }

    /// [`Self::event_copied`] for an event laid out exactly as `L` says, whitespace and all:
    /// each stretch of the layout's bytes between the values compared at once. `None` for any
    /// other layout (the caller then copies the event token by token).
    fn event_laid<L: Layout>(&mut self, out: &mut Vec<u8>) -> Option<bool> {
        if !self.lit(L::MS) {
            return None;
        }
        out.extend_from_slice(b"{\"ms\":");
        self.digits_here(out, U64_MAX)?;
        if !self.lit(L::EV) {
            return None;
        }
        // The kind: a few letters, no escape (a `\` is not a letter of any kind).
        let start = self.i;
        let len = self
            .b
            .get(start..(start + 10).min(self.b.len()))?
            .iter()
            .position(|&c| c == b'"')?;
        let kind = event_kind_bytes(&self.b[start..start + len])?;
        self.i += len;
        if !self.lit(L::Q) {
            return None;
        }
        out.extend_from_slice(super::write::event_kind(kind));
        // A string without escapes is its own canonical form (see `write::string`).
        let start = self.i - 1;
        self.i = self.special();
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        self.copy(out, start);
        if self.lit(L::END) {
            out.push(b'}');
            return Some(false);
        }
        let path = self.lit(L::AT);
        if path {
            out.extend_from_slice(b",\"at\":[");
            loop {
                self.digits_here(out, U32_MAX)?;
                if self.lit(L::NEXT_INDEX) {
                    out.push(b',');
                } else if self.lit(L::AT_END) {
                    out.push(b']');
                    break;
                } else {
                    return None;
                }
            }
            if self.lit(L::END) {
                out.push(b'}');
                return Some(true);
            }
        }
        if !self.lit(L::GAP) {
            return None;
        }
        out.extend_from_slice(b",\"gap_s\":");
        self.digits_here(out, U64_MAX)?;
        if !self.lit(L::END) {
            return None;
        }
        out.push(b'}');
        Some(path)
    }

    /// An event with its fields in the order anketa writes them (`ms`, `ev`, `q`, then `at` and
    /// `gap_s` when given), each taken as [`Self::event`] takes it, copied to `out` as the
    /// canonical writer writes it (`write::event`): the tokens without the whitespace, an empty
    /// `at` left out. Whether the event has an instance path; `None` for any other spelling (a
    /// string with an escape included), which the caller then reads as an [`EventView`].
    fn event_copied(&mut self, out: &mut Vec<u8>) -> Option<bool> {
        self.eat(b'{')?;
        self.key(b"\"ms\"")?;
        out.extend_from_slice(b"{\"ms\":");
        self.digits(out, U64_MAX)?;
        self.eat(b',')?;
        self.key(b"\"ev\"")?;
        out.extend_from_slice(super::write::event_kind(event_kind(self.plain()?)?));
        self.eat(b',')?;
        self.key(b"\"q\"")?;
        // A string without escapes is its own canonical form (see `write::string`).
        self.eat(b'"')?;
        let start = self.i - 1;
        self.i = self.special();
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        self.copy(out, start);
        let mut path = false;
        if self.peek()? == b',' {
            self.i += 1;
            let here = self.i;
            let gap = if self.key(b"\"at\"").is_some() {
                self.eat(b'[')?;
                if self.peek()? == b']' {
                    self.i += 1;
                } else {
                    out.extend_from_slice(b",\"at\":[");
                    path = true;
                    loop {
                        self.digits(out, U32_MAX)?;
                        match self.peek()? {
                            b',' => out.push(b','),
                            b']' => break,
                            _ => return None,
                        }
                        self.i += 1;
                    }
                    self.i += 1;
                    out.push(b']');
                }
                self.peek()? == b','
            } else {
                self.i = here - 1;
                true
            };
            if gap {
                self.i += 1;
                self.key(b"\"gap_s\"")?;
                out.extend_from_slice(b",\"gap_s\":");
                self.digits(out, U64_MAX)?;
            }
        }
        self.eat(b'}')?;
        out.push(b'}');
        Some(path)
    }
}

/// How a writer lays out an event, from its `{` to its `}`: the bytes between its values.
trait Layout {
    /// Up to the value of `ms`.
    const MS: &'static [u8];
    /// From after `ms` to the first letter of `ev`.
    const EV: &'static [u8];
    /// From after the letters of `ev` to after the quote that opens `q`.
    const Q: &'static [u8];
    /// From after `q` to the first index of `at`.
    const AT: &'static [u8];
    /// Between two indices of `at`.
    const NEXT_INDEX: &'static [u8];
    /// From after the last index of `at` to its `]`, included.
    const AT_END: &'static [u8];
    /// From after `q` or `at` to the value of `gap_s`.
    const GAP: &'static [u8];
    /// From after the last value to the `}`, included.
    const END: &'static [u8];
}

/// serde_json's compact layout: a canonical line (an NDJSON input, such as a merge's output).
struct Compact;

impl Layout for Compact {
    const MS: &'static [u8] = b"{\"ms\":";
    const EV: &'static [u8] = b",\"ev\":\"";
    const Q: &'static [u8] = b"\",\"q\":\"";
    const AT: &'static [u8] = b",\"at\":[";
    const NEXT_INDEX: &'static [u8] = b",";
    const AT_END: &'static [u8] = b"]";
    const GAP: &'static [u8] = b",\"gap_s\":";
    const END: &'static [u8] = b"}";
}

/// serde_json's pretty layout of a record file (two spaces an indent, the paradata at the top
/// level): an event's braces indented by 4 spaces, its fields by 6, the indices of its path by 8.
struct Pretty;

impl Layout for Pretty {
    const MS: &'static [u8] = b"{\n      \"ms\": ";
    const EV: &'static [u8] = b",\n      \"ev\": \"";
    const Q: &'static [u8] = b"\",\n      \"q\": \"";
    const AT: &'static [u8] = b",\n      \"at\": [\n        ";
    const NEXT_INDEX: &'static [u8] = b",\n        ";
    const AT_END: &'static [u8] = b"\n      ]";
    const GAP: &'static [u8] = b",\n      \"gap_s\": ";
    const END: &'static [u8] = b"\n    }";
}

/// Whether the paradata array's content up to its `]` (`region`, the `]` last) holds no bracket
/// but events' instance paths, `"at":[` followed by digits and commas and `]`. A `"at":[` cannot
/// lie inside a string (its quotes would have to be escaped), so each such `[` is structural.
fn paradata_skippable(region: &[u8]) -> bool {
    let Some(last) = region.len().checked_sub(1) else {
        return false;
    };
    let mut k = 0;
    while let Some(off) = memchr::memchr2(b'[', b']', &region[k..]) {
        let at = k + off;
        if at == last {
            return region[at] == b']';
        }
        if region[at] != b'[' || !region[..at].ends_with(b"\"at\":") {
            return false;
        }
        let mut e = at + 1;
        while e < last && (region[e].is_ascii_digit() || region[e] == b',') {
            e += 1;
        }
        if e >= last || region[e] != b']' {
            return false;
        }
        k = e + 1;
    }
    false
}

/// The ways [`P::paradata`] reads one event (`text`: the event alone, as it stands in a record
/// file or a line): laid out as a record file, as a line, token by token, and as an
/// [`EventView`] written by the canonical writer. Each gives the canonical bytes and whether
/// the event has a path, or `None` where it does not take the text (the tests hold every way
/// that takes it equal to the last, and the layouts taking anketa's own spellings).
#[cfg(test)]
pub(super) fn event_ways(text: &str) -> [Option<(Vec<u8>, bool)>; 4] {
    let whole = |i: usize, r: Option<(Vec<u8>, bool)>| r.filter(|_| i == text.len());
    let p = || P {
        b: text.as_bytes(),
        s: text,
        i: 0,
        skip_to: None,
    };
    let mut ways: [Option<(Vec<u8>, bool)>; 4] = Default::default();
    for (k, way) in ways.iter_mut().enumerate() {
        let mut p = p();
        let mut out = b"junk before".to_vec();
        let got = match k {
            0 => p.event_laid::<Pretty>(&mut out),
            1 => p.event_laid::<Compact>(&mut out),
            2 => p.event_copied(&mut out),
            _ => p.event().map(|e| {
                super::write::event(&mut out, &e);
                !e.at.is_empty()
            }),
        };
        let got = got.map(|path| (out.split_off("junk before".len()), path));
        *way = whole(p.i, got);
    }
    ways
}
