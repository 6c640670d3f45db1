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
    #[inline]
    fn ws(&mut self) {
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

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline]
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
                    set(&mut paradata, Vec::new())
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
            "answers" => set(&mut answers, p.answers(8)?),
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
                // serde_json reads the number, exactly as within the record.
                let start = self.i;
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

    fn paradata(&mut self) -> Option<Vec<EventView<'a>>> {
        // Room for the events at once (the paradata comes last and an event takes 45 bytes or
        // more): a roster interview has hundreds, and growing by doubling copied them twice.
        let mut v = Vec::with_capacity(((self.b.len() - self.i) / 48).clamp(16, 8192));
        self.array(|p| {
            // Most events are spelled as anketa writes them: read those without the general
            // object's key dispatch (the paradata is half of a roster interview).
            let start = p.i;
            if let Some(e) = p.event_as_written() {
                v.push(e);
                return Some(());
            }
            p.i = start;
            let (mut ms, mut ev, mut q, mut gap_s, mut at) = (None, None, None, None, None);
            p.object(|p, k| match k {
                "ms" => set(&mut ms, p.u64()?),
                "ev" => set(&mut ev, event_kind(p.plain()?)?),
                "q" => set(&mut q, p.string()?),
                "gap_s" => set(&mut gap_s, p.u64()?),
                "at" => set(&mut at, p.at_path()?),
                _ => None,
            })?;
            v.push(EventView {
                ms: ms?,
                ev: ev?,
                q: q?,
                at: at.unwrap_or_default(),
                gap_s,
            });
            Some(())
        })?;
        Some(v)
    }
}

/// An event's kind as serde reads it (`snake_case`).
fn event_kind(s: &str) -> Option<EventKind> {
    Some(match s {
        "shown" => EventKind::Shown,
        "answered" => EventKind::Answered,
        "changed" => EventKind::Changed,
        "confirmed" => EventKind::Confirmed,
        "remark" => EventKind::Remark,
        "resumed" => EventKind::Resumed,
        "added" => EventKind::Added,
        "removed" => EventKind::Removed,
        "restored" => EventKind::Restored,
        "dropped" => EventKind::Dropped,
        _ => return None,
    })
}

impl<'a> P<'a> {
    /// `"key":` spelled exactly so (no escapes), after any whitespace.
    #[inline]
    fn key(&mut self, key: &[u8]) -> Option<()> {
        self.ws();
        let end = self.i + key.len() + 2;
        let b = self.b.get(self.i..end)?;
        if b[0] != b'"' || &b[1..=key.len()] != key || b[key.len() + 1] != b'"' {
            return None;
        }
        self.i = end;
        self.eat(b':')
    }

    /// An event with its fields in the order anketa writes them (`ms`, `ev`, `q`, then `at` and
    /// `gap_s` when given), each read as the general path reads it; `None` for any other
    /// spelling, which the general path then reads from the start.
    fn event_as_written(&mut self) -> Option<EventView<'a>> {
        self.eat(b'{')?;
        self.key(b"ms")?;
        let ms = self.u64()?;
        self.eat(b',')?;
        self.key(b"ev")?;
        let ev = event_kind(self.plain()?)?;
        self.eat(b',')?;
        self.key(b"q")?;
        let q = self.string()?;
        let (mut at, mut gap_s) = (AtPath::default(), None);
        if self.peek()? == b',' {
            self.i += 1;
            let here = self.i;
            if self.key(b"at").is_some() {
                at = self.at_path()?;
                if self.peek()? == b',' {
                    self.i += 1;
                    self.key(b"gap_s")?;
                    gap_s = Some(self.u64()?);
                }
            } else {
                self.i = here;
                self.key(b"gap_s")?;
                gap_s = Some(self.u64()?);
            }
        }
        self.eat(b'}')?;
        Some(EventView { ms, ev, q, at, gap_s })
    }
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
