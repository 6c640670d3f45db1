//! The canonical writer of a [`RecordView`]: exactly the bytes serde writes for the [`Record`]
//! with the same content.

#[allow(unused_imports)]
use super::Record;
use super::view::{Answers, EventView, RecordView, RostersView, Str, ValueView};
use super::{EventKind, Status, is_whole};
use std::borrow::Cow;

impl RecordView<'_> {
    /// Writes the canonical serialisation into `out` (appended): exactly the bytes of
    /// [`Record::to_json_line`] for [`RecordView::to_record`], field by field in [`Record`]'s
    /// order with its `skip_serializing_if` rules.
    ///
    /// Faster than serde's serializer because most strings are copied without an escape scan:
    /// a string borrowed from the input had no backslash there, and JSON admits `"`, `\` and
    /// control characters inside a string only escaped, so it holds none of the characters
    /// that serde_json escapes (exactly those). Owned strings (they had escapes) and fractional
    /// numbers are written by serde_json itself.
    pub(crate) fn write_canonical(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"format\":");
        string(out, &self.format);
        out.extend_from_slice(b",\"id\":");
        string(out, &self.id);
        out.extend_from_slice(b",\"revision\":");
        uint(out, self.revision);
        out.extend_from_slice(b",\"device\":");
        string(out, &self.device);
        out.extend_from_slice(b",\"interviewer\":");
        string(out, &self.interviewer);
        out.extend_from_slice(b",\"questionnaire\":{\"id\":");
        string(out, &self.questionnaire.id);
        out.extend_from_slice(b",\"version\":");
        string(out, &self.questionnaire.version);
        out.extend_from_slice(b",\"sha256\":");
        string(out, &self.questionnaire.sha256);
        out.extend_from_slice(match self.status {
            Status::InProgress => b"},\"status\":\"in_progress\",\"started\":",
            Status::Completed => b"},\"status\":\"completed\",\"started\":",
        });
        string(out, &self.started);
        out.extend_from_slice(b",\"updated\":");
        string(out, &self.updated);
        if let Some(c) = &self.completed {
            out.extend_from_slice(b",\"completed\":");
            string(out, c);
        }
        out.extend_from_slice(b",\"duration_ms\":");
        uint(out, self.duration_ms);
        if let Some(p) = &self.position {
            out.extend_from_slice(b",\"position\":");
            string(out, p);
        }
        if !self.position_at.is_empty() {
            out.extend_from_slice(b",\"position_at\":");
            path(out, &self.position_at);
        }
        out.extend_from_slice(b",\"answers\":");
        answers(out, &self.answers);
        if !self.rosters.is_empty() {
            out.extend_from_slice(b",\"rosters\":");
            rosters(out, &self.rosters);
        }
        if !self.reopened.is_empty() {
            out.extend_from_slice(b",\"reopened\":[");
            for (i, r) in self.reopened.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"at\":");
                string(out, &r.at);
                out.extend_from_slice(b",\"revision\":");
                uint(out, r.revision);
                out.extend_from_slice(b",\"was_completed\":");
                string(out, &r.was_completed);
                out.push(b'}');
            }
            out.push(b']');
        }
        if !self.paradata.is_empty() {
            // Already canonical (see `Paradata`).
            out.extend_from_slice(b",\"paradata\":[");
            out.extend_from_slice(self.paradata.json());
            out.push(b']');
        }
        out.push(b'}');
    }
}

/// An event as serde writes an [`super::Event`] (see [`super::view::Paradata`]).
pub(super) fn event(out: &mut Vec<u8>, e: &EventView<'_>) {
    out.extend_from_slice(b"{\"ms\":");
    uint(out, e.ms);
    out.extend_from_slice(event_kind(e.ev));
    string(out, &e.q);
    if !e.at.is_empty() {
        out.extend_from_slice(b",\"at\":");
        path(out, &e.at);
    }
    if let Some(g) = e.gap_s {
        out.extend_from_slice(b",\"gap_s\":");
        uint(out, g);
    }
    out.push(b'}');
}

/// An event's kind as serde writes it, with the keys around it: `,"ev":"shown","q":`.
pub(super) fn event_kind(ev: EventKind) -> &'static [u8] {
    match ev {
        EventKind::Shown => b",\"ev\":\"shown\",\"q\":",
        EventKind::Answered => b",\"ev\":\"answered\",\"q\":",
        EventKind::Changed => b",\"ev\":\"changed\",\"q\":",
        EventKind::Confirmed => b",\"ev\":\"confirmed\",\"q\":",
        EventKind::Remark => b",\"ev\":\"remark\",\"q\":",
        EventKind::Resumed => b",\"ev\":\"resumed\",\"q\":",
        EventKind::Added => b",\"ev\":\"added\",\"q\":",
        EventKind::Removed => b",\"ev\":\"removed\",\"q\":",
        EventKind::Restored => b",\"ev\":\"restored\",\"q\":",
        EventKind::Dropped => b",\"ev\":\"dropped\",\"q\":",
    }
}

/// A JSON string as serde_json writes it (see [`RecordView::write_canonical`]).
fn string(out: &mut Vec<u8>, s: &Str<'_>) {
    match &s.0 {
        Cow::Borrowed(b) => {
            out.reserve(b.len() + 2);
            out.push(b'"');
            out.extend_from_slice(b.as_bytes());
            out.push(b'"');
        }
        Cow::Owned(o) => {
            let _ = serde_json::to_writer(&mut *out, o.as_str());
        }
    }
}

/// Decimal digits of an unsigned integer (serde_json writes them with `itoa` too).
fn uint(out: &mut Vec<u8>, n: u64) {
    put(out, itoa::Buffer::new().format(n).as_bytes());
}

/// Appends bytes; short ones (most names, codes and numbers) without a call to `memcpy`.
#[inline]
fn put(out: &mut Vec<u8>, b: &[u8]) {
    if b.len() <= 24 {
        for &c in b {
            out.push(c);
        }
    } else {
        out.extend_from_slice(b);
    }
}

/// A signed integer, as serde_json writes it.
fn int(out: &mut Vec<u8>, n: i64) {
    put(out, itoa::Buffer::new().format(n).as_bytes());
}

/// An answers object, as serde writes a `BTreeMap<String, Answer>` (the view keeps them sorted).
fn answers(out: &mut Vec<u8>, answers: &Answers<'_>) {
    out.push(b'{');
    for (i, (var, a)) in answers.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, var);
        out.extend_from_slice(b":{");
        // `relevant` is always written, so every optional field before it ends with a comma.
        match &a.value {
            None => {}
            Some(ValueView::Number(n)) => {
                out.extend_from_slice(b"\"value\":");
                if is_whole(*n) {
                    int(out, *n as i64);
                } else {
                    let _ = serde_json::to_writer(&mut *out, n);
                }
                out.push(b',');
            }
            Some(ValueView::Text(t)) => {
                out.extend_from_slice(b"\"value\":");
                string(out, t);
                out.push(b',');
            }
            Some(ValueView::Codes(cs)) => {
                out.extend_from_slice(b"\"value\":[");
                for (j, c) in cs.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    string(out, c);
                }
                out.extend_from_slice(b"],");
            }
        }
        for (name, v) in [
            (&b"\"other\":"[..], &a.other),
            (b"\"remark\":", &a.remark),
            (b"\"answered_at\":", &a.answered_at),
        ] {
            if let Some(v) = v {
                out.extend_from_slice(name);
                string(out, v);
                out.push(b',');
            }
        }
        out.extend_from_slice(if a.relevant {
            b"\"relevant\":true"
        } else {
            b"\"relevant\":false"
        });
        if a.warning_confirmed {
            out.extend_from_slice(b",\"warning_confirmed\":true");
        }
        if a.defaulted {
            out.extend_from_slice(b",\"defaulted\":true");
        }
        out.push(b'}');
    }
    out.push(b'}');
}

/// A `rosters` object: each roster's instances, nested, as serde writes [`super::Rosters`].
fn rosters(out: &mut Vec<u8>, of: &RostersView<'_>) {
    out.push(b'{');
    for (i, (name, instances)) in of.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, name);
        out.extend_from_slice(b":[");
        for (j, inst) in instances.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"answers\":");
            answers(out, &inst.answers);
            if !inst.rosters.is_empty() {
                out.extend_from_slice(b",\"rosters\":");
                rosters(out, &inst.rosters);
            }
            if let Some(r) = &inst.removed {
                out.extend_from_slice(b",\"removed\":");
                string(out, r);
            }
            out.push(b'}');
        }
        out.push(b']');
    }
    out.push(b'}');
}

/// An instance path: `[1,2]`.
fn path(out: &mut Vec<u8>, at: &[u32]) {
    out.push(b'[');
    for (i, n) in at.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        uint(out, u64::from(*n));
    }
    out.push(b']');
}
