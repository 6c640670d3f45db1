//! The CSV layout of a questionnaire: one row per interview, one column per datum.
//!
//! Columns, in order:
//! - metadata: `id`, `interviewer`, `district`, `device`, `started`, `completed`, `duration_s`,
//!   `revision` (`district` is the answer to the questionnaire's `district` question, if any);
//! - per question, in questionnaire order (notes have none): `<var>` — the code of a single, the
//!   space-separated codes of a multi, the number, text or date; for a multi one 0/1 column per
//!   option `<var>__<code>`, empty (not 0) where the question has no answer; `<var>__other` when
//!   the question has an `other` option (`<var>__other_text` in a multi whose option coded `other`
//!   already has the 0/1 column `<var>__other`); `<var>__remark`, the interviewer's remark.
//!
//! Answers kept with `relevant: false` are left out (empty cells). Line breaks inside texts
//! become spaces (SPSS and PSPP read one case per line; the NDJSON keeps the exact text). With
//! `excel`, the file starts with a UTF-8 BOM, cells are separated by `;`, decimals use a comma,
//! and free texts starting with `=`, `+`, `-` or `@` get a leading `'` so that Excel shows them
//! as text instead of running them as formulas.

use crate::csv_field::{field, needs_quotes};
use crate::interview::logic::At;
use crate::questionnaire::{Kind, Questionnaire};
use crate::record::view::RostersView;
use crate::record::{AnswerRef, CodesRef, RecordView, ValueRef};
use std::borrow::Cow;
use std::collections::HashSet;

/// The metadata columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    /// Interview id.
    Id,
    /// Interviewer code.
    Interviewer,
    /// The answer to the `district` question.
    District,
    /// Device id.
    Device,
    /// Start time.
    Started,
    /// Completion time (empty for interviews in progress).
    Completed,
    /// Interview time in whole seconds.
    DurationS,
    /// Revision.
    Revision,
}

impl Meta {
    /// Every metadata column, in order.
    pub const ALL: [Meta; 8] = [
        Meta::Id,
        Meta::Interviewer,
        Meta::District,
        Meta::Device,
        Meta::Started,
        Meta::Completed,
        Meta::DurationS,
        Meta::Revision,
    ];

    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            Meta::Id => "id",
            Meta::Interviewer => "interviewer",
            Meta::District => "district",
            Meta::Device => "device",
            Meta::Started => "started",
            Meta::Completed => "completed",
            Meta::DurationS => "duration_s",
            Meta::Revision => "revision",
        }
    }
}

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// A metadata field.
    Meta(Meta),
    /// The value of the question.
    Value,
    /// 0/1: whether option `n` (index into the question's options) of a multi was chosen.
    Dummy(usize),
    /// The "specify" text of the `other` option.
    Other,
    /// The interviewer's remark.
    Remark,
    /// The number of live instances of roster `n` (index into [`Questionnaire::rosters`]) in the
    /// interview, or in the instance of its parent roster: `<roster>_count`.
    Count(usize),
    /// The number of the instance of roster `n` that the row belongs to (or is), 1-based among
    /// the live instances at its level: `<roster>_n`.
    Instance(usize),
}

/// One CSV column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Header name (unique).
    pub name: String,
    /// Index of the question it belongs to (metadata: `None`, except `district`).
    pub question: Option<usize>,
    /// What it holds.
    pub kind: ColumnKind,
}

/// The columns of a questionnaire's CSV, or of one roster's.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Excel flavour (BOM, `;`, decimal comma).
    pub excel: bool,
}

impl Layout {
    /// The layout of a questionnaire's main CSV: the metadata, then the questions asked once
    /// per interview, with `<roster>_count` where each top-level roster stands.
    pub fn new(q: &Questionnaire, excel: bool) -> Layout {
        let district = q
            .index_of("district")
            .filter(|&i| q.questions[i].is_answerable() && q.questions[i].roster.is_none());
        let columns: Vec<Column> = Meta::ALL
            .iter()
            .map(|&m| Column {
                name: m.name().to_string(),
                question: if m == Meta::District { district } else { None },
                kind: ColumnKind::Meta(m),
            })
            .collect();
        Layout::with(q, excel, None, columns, district)
    }

    /// The layout of roster `r`'s CSV, one row per live instance: `id` (the interview's), the
    /// instance numbers from the outermost roster to this one (`<roster>_n`), then the roster's
    /// own questions, with `<roster>_count` where each roster nested in it stands.
    pub fn roster(q: &Questionnaire, r: usize, excel: bool) -> Layout {
        let mut columns = vec![Column {
            name: Meta::Id.name().to_string(),
            question: None,
            kind: ColumnKind::Meta(Meta::Id),
        }];
        for x in q.roster_chain(Some(r)) {
            columns.push(Column {
                name: format!("{}_n", q.rosters[x].id),
                question: None,
                kind: ColumnKind::Instance(x),
            });
        }
        Layout::with(q, excel, Some(r), columns, None)
    }

    /// `columns` (the first ones), then the questions asked at `scope` and the counts of the
    /// rosters nested right in it.
    fn with(
        q: &Questionnaire,
        excel: bool,
        scope: Option<usize>,
        mut columns: Vec<Column>,
        district: Option<usize>,
    ) -> Layout {
        let meta_names: HashSet<String> = columns.iter().map(|c| c.name.clone()).collect();
        for (qi, qq) in q.questions.iter().enumerate() {
            for (r, roster) in q.rosters.iter().enumerate() {
                if roster.parent == scope && roster.questions.start == qi && !roster.questions.is_empty() {
                    columns.push(Column {
                        name: format!("{}_count", roster.id),
                        question: None,
                        kind: ColumnKind::Count(r),
                    });
                }
            }
            if !qq.is_answerable() || qq.roster != scope {
                continue;
            }
            // A variable named like a metadata column gets a `v_` prefix (except `district`,
            // which *is* the metadata column).
            let base = if meta_names.contains(&qq.id) && Some(qi) != district {
                format!("v_{}", qq.id)
            } else {
                qq.id.clone()
            };
            let mut push = |name: String, kind| {
                columns.push(Column {
                    name,
                    question: Some(qi),
                    kind,
                })
            };
            if Some(qi) != district {
                push(base.clone(), ColumnKind::Value);
            }
            if matches!(qq.kind, Kind::Multi { .. }) {
                for (oi, o) in qq.options.iter().enumerate() {
                    push(format!("{base}__{}", o.code), ColumnKind::Dummy(oi));
                }
            }
            if qq.options.iter().any(|o| o.other) {
                // A multi with an option coded `other` already has the 0/1 column `<var>__other`.
                let taken = matches!(qq.kind, Kind::Multi { .. }) && qq.options.iter().any(|o| o.code == "other");
                let name = if taken {
                    format!("{base}__other_text")
                } else {
                    format!("{base}__other")
                };
                push(name, ColumnKind::Other);
            }
            push(format!("{base}__remark"), ColumnKind::Remark);
        }
        // Names are unique by construction unless a variable itself looks like `x__code`;
        // disambiguate the later one deterministically.
        let mut seen = HashSet::new();
        for c in &mut columns {
            if !seen.insert(c.name.clone()) {
                let mut n = 2;
                while !seen.insert(format!("{}_{n}", c.name)) {
                    n += 1;
                }
                c.name = format!("{}_{n}", c.name);
            }
        }
        Layout { columns, excel }
    }

    /// The field separator.
    pub fn delimiter(&self) -> u8 {
        if self.excel { b';' } else { b',' }
    }

    /// The start of the file: BOM (Excel flavour) and the header line.
    pub fn header(&self) -> Vec<u8> {
        let mut out = if self.excel {
            b"\xEF\xBB\xBF".to_vec()
        } else {
            Vec::new()
        };
        self.encode(self.columns.iter().map(|c| Cow::Borrowed(c.name.as_str())), &mut out);
        out
    }

    /// Appends one interview as one CSV line to `out`. `asked` says whether roster `r` is
    /// asked inside a place ([`Asked`]): a `<roster>_count` counts the rows of the roster's CSV,
    /// so it is 0 where the roster is not asked (see [`Layout::write_roster_rows`]).
    pub fn write_row(&self, q: &Questionnaire, rec: &RecordView<'_>, asked: Asked<'_>, out: &mut Vec<u8>) {
        self.write(q, &Row::of(q, rec, asked), out);
    }

    /// Appends the rows of every roster of one interview: `rosters[r]` is roster `r`'s layout,
    /// and its rows go to `out[r]`. One row per live instance (removed instances, and all that
    /// is nested in them, have none), in the order of the file, outer instances first. The
    /// instances of a roster where it is not asked ([`Asked`]: its `relevant`, its block's or
    /// an outer roster's is false) have no rows either, as an irrelevant answer has no value in
    /// the main CSV: the NDJSON keeps them, with their answers marked not relevant.
    pub fn write_roster_rows(
        q: &Questionnaire,
        rosters: &[Layout],
        rec: &RecordView<'_>,
        asked: Asked<'_>,
        out: &mut [Vec<u8>],
    ) {
        // One row, filled again for each instance (not one allocated per instance).
        let mut row = Row {
            id: &rec.id,
            interviewer: "",
            device: "",
            started: "",
            completed: None,
            duration_ms: 0,
            revision: 0,
            answers: vec![None; q.questions.len()],
            counts: vec![0; q.rosters.len()],
            numbers: vec![0; q.rosters.len()],
        };
        roster_rows(q, rosters, &rec.rosters, At::TOP, asked, &mut row, out);
    }

    fn write(&self, q: &Questionnaire, row: &Row<'_>, out: &mut Vec<u8>) {
        let d = self.delimiter();
        let mut first = true;
        self.each_cell(q, row, |c| {
            if !first {
                out.push(d);
            }
            first = false;
            match c {
                Cell::Plain(s) => out.extend_from_slice(s.as_bytes()),
                Cell::Text(s) => field(out, s.as_bytes(), d),
                Cell::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
                // A whole number as `number` writes it (digits and a sign need no quotes).
                Cell::Number(n) if is_whole(n) => {
                    out.extend_from_slice(itoa::Buffer::new().format(n as i64).as_bytes())
                }
                Cell::Number(n) => field(out, number(n, self.excel).as_bytes(), d),
                // Codes are written one after the other unless one needs quoting (then the
                // whole cell is quoted, as any other).
                Cell::Codes(cs) if cs.iter().all(|c| !needs_quotes(c.as_bytes(), d)) => {
                    for (i, c) in cs.iter().enumerate() {
                        if i > 0 {
                            out.push(b' ');
                        }
                        out.extend_from_slice(c.as_bytes());
                    }
                }
                Cell::Codes(cs) => field(out, join(cs).as_bytes(), d),
            }
        });
        out.push(b'\n');
    }

    fn encode<'a>(&self, cells: impl Iterator<Item = Cow<'a, str>>, out: &mut Vec<u8>) {
        let d = self.delimiter();
        for (i, c) in cells.enumerate() {
            if i > 0 {
                out.push(d);
            }
            field(out, c.as_bytes(), d);
        }
        out.push(b'\n');
    }

    /// The cells of one interview, as text.
    #[cfg(test)]
    fn cells<'r>(&self, q: &Questionnaire, rec: &'r RecordView<'_>) -> Vec<Cow<'r, str>> {
        let mut v = Vec::with_capacity(self.columns.len());
        self.each_cell(q, &Row::of(q, rec, &|_, _| true), |c| {
            v.push(match c {
                Cell::Plain(s) => Cow::Borrowed(s),
                Cell::Text(s) => s,
                Cell::Int(n) => Cow::Owned(n.to_string()),
                Cell::Number(n) => Cow::Owned(number(n, self.excel)),
                Cell::Codes(cs) => Cow::Owned(join(cs)),
            })
        });
        v
    }

    /// Calls `f` with each cell of one interview, in column order.
    fn each_cell<'r>(&self, q: &Questionnaire, row: &Row<'r>, mut f: impl FnMut(Cell<'r>)) {
        const EMPTY: Cell<'static> = Cell::Plain("");
        // The columns of a question follow each other: its answer is looked up once, and the
        // options chosen in a multi are found once for all its 0/1 columns.
        let mut question = None;
        let mut answer: Option<AnswerRef<'r>> = None;
        let mut chosen: Option<u128> = None;
        for c in &self.columns {
            if c.question != question {
                question = c.question;
                answer = question
                    .and_then(|qi| row.answers.get(qi).copied().flatten())
                    .filter(|a| a.relevant);
                chosen = None;
            }
            f(match c.kind {
                ColumnKind::Meta(m) => match m {
                    Meta::Id => Cell::Text(self.text(row.id)),
                    Meta::Interviewer => Cell::Text(self.text(row.interviewer)),
                    Meta::District => answer.and_then(|a| a.value).map_or(EMPTY, |v| self.value(v)),
                    Meta::Device => Cell::Text(self.text(row.device)),
                    Meta::Started => Cell::Text(self.text(row.started)),
                    Meta::Completed => Cell::Text(self.text(row.completed.unwrap_or(""))),
                    Meta::DurationS => Cell::Int(row.duration_ms.saturating_add(500).div_euclid(1000)),
                    Meta::Revision => Cell::Int(row.revision),
                },
                ColumnKind::Value => answer.and_then(|a| a.value).map_or(EMPTY, |v| self.value(v)),
                ColumnKind::Dummy(oi) => match answer.and_then(|a| a.value) {
                    Some(ValueRef::Codes(cs)) => {
                        let options = &q.questions[c.question.unwrap_or(0)].options;
                        let yes = if options.len() <= 128 {
                            let mask = *chosen.get_or_insert_with(|| {
                                cs.iter()
                                    .filter_map(|code| options.iter().position(|o| o.code == code))
                                    .fold(0u128, |m, i| m | 1 << i)
                            });
                            mask >> oi & 1 == 1
                        } else {
                            cs.contains(&options[oi].code)
                        };
                        Cell::Plain(if yes { "1" } else { "0" })
                    }
                    _ => EMPTY,
                },
                ColumnKind::Other => question
                    .and_then(|qi| answer?.other_text(&q.questions[qi]))
                    .map_or(EMPTY, |s| Cell::Text(self.text(s))),
                ColumnKind::Remark => answer
                    .and_then(|a| a.remark)
                    .map_or(EMPTY, |s| Cell::Text(self.text(s))),
                ColumnKind::Count(r) => Cell::Int(row.counts.get(r).copied().unwrap_or(0)),
                ColumnKind::Instance(r) => Cell::Int(row.numbers.get(r).copied().unwrap_or(0)),
            });
        }
    }

    fn value<'r>(&self, v: ValueRef<'r>) -> Cell<'r> {
        match v {
            ValueRef::Text(s) => Cell::Text(self.text(s)),
            ValueRef::Number(n) => Cell::Number(n),
            ValueRef::Codes(cs) => Cell::Codes(cs),
        }
    }

    /// Free text: line breaks and every other control character to spaces (SPSS and PSPP
    /// read one case per line; no control character reaches a cell); in the Excel flavour,
    /// formula-like text made inert.
    fn text<'r>(&self, s: &'r str) -> Cow<'r, str> {
        // 0xC2 starts the C1 controls (U+0080–U+009F) in UTF-8: a cheap test first.
        let s: Cow<'r, str> = if may_hold_controls(s.as_bytes()) && s.chars().any(char::is_control) {
            Cow::Owned(
                s.replace("\r\n", " ")
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect(),
            )
        } else {
            Cow::Borrowed(s)
        };
        if self.excel && s.starts_with(['=', '+', '-', '@', '\t']) {
            Cow::Owned(format!("'{s}"))
        } else {
            s
        }
    }
}

/// Whether `s` holds a byte below 0x20, 0x7f or 0xc2 (which starts the C1 controls): eight
/// bytes at a time.
fn may_hold_controls(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Exact for "any": a flag above a byte that is truly flagged may be false, never the lowest.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        let below = w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0;
        if below || zero(w ^ (ONES * 0x7f)) || zero(w ^ (ONES * 0xc2)) {
            return true;
        }
    }
    words.remainder().iter().any(|&b| b < 0x20 || b == 0x7f || b == 0xc2)
}

/// Whether roster `r` is asked inside a place (an instance of its parent roster, or the top
/// level): the engine's relevance of the roster there (`interview::logic::roster_is_relevant`
/// over the record's rules), which the caller computes; the CSV only leaves out what it is told.
pub type Asked<'a> = &'a dyn Fn(usize, At) -> bool;

/// What a row reads of one interview, from a [`Record`] or a [`RecordView`]: the metadata and
/// the answers by question index (one lookup per answer, not per column).
struct Row<'r> {
    id: &'r str,
    interviewer: &'r str,
    device: &'r str,
    started: &'r str,
    completed: Option<&'r str>,
    duration_ms: u64,
    revision: u64,
    answers: Vec<Option<AnswerRef<'r>>>,
    /// By roster index: the rows of the rosters nested right at the row's level (their live
    /// instances where they are asked, else none).
    counts: Vec<u64>,
    /// By roster index: the numbers of the instances the row is in (its own last).
    numbers: Vec<u64>,
}

/// The answers by question index.
fn by_question<'r>(q: &Questionnaire, answers: &'r crate::record::Answers<'_>) -> Vec<Option<AnswerRef<'r>>> {
    let mut v = vec![None; q.questions.len()];
    fill_by_question(q, answers, &mut v);
    v
}

/// Sets `v[question index]` to each answer.
fn fill_by_question<'r>(q: &Questionnaire, answers: &'r crate::record::Answers<'_>, v: &mut [Option<AnswerRef<'r>>]) {
    for (var, a) in &answers.0 {
        if let Some(i) = q.index_of(var) {
            v[i] = Some(a.borrowed());
        }
    }
}

/// Sets `v[roster index]`, for each roster of one level (inside `parent`), to its rows: its
/// live instances where it is asked, else none.
fn fill_counts(q: &Questionnaire, rosters: &RostersView<'_>, parent: At, asked: Asked<'_>, v: &mut [u64]) {
    for (name, instances) in &rosters.0 {
        if let Some(r) = q.roster_index(name) {
            let live = instances.iter().filter(|i| i.live()).count() as u64;
            v[r] = if live > 0 && asked(r, parent) { live } else { 0 };
        }
    }
}

impl<'r> Row<'r> {
    fn of(q: &Questionnaire, rec: &'r RecordView<'_>, asked: Asked<'_>) -> Row<'r> {
        let answers = by_question(q, &rec.answers);
        let mut counts = vec![0; q.rosters.len()];
        fill_counts(q, &rec.rosters, At::TOP, asked, &mut counts);
        Row {
            counts,
            numbers: Vec::new(),
            id: &rec.id,
            interviewer: &rec.interviewer,
            device: &rec.device,
            started: &rec.started,
            completed: rec.completed.as_deref(),
            duration_ms: rec.duration_ms,
            revision: rec.revision,
            answers,
        }
    }
}

/// The rows of the live instances of one level's rosters (inside `parent`), and of those
/// nested in them; a roster not asked inside `parent` has none. `row` holds the interview's id
/// and the numbers of the instances around this level; each instance's row is filled into it,
/// written, and then its nested rosters' rows.
fn roster_rows<'r>(
    q: &Questionnaire,
    layouts: &[Layout],
    rosters: &'r RostersView<'_>,
    parent: At,
    asked: Asked<'_>,
    row: &mut Row<'r>,
    out: &mut [Vec<u8>],
) {
    for (name, instances) in &rosters.0 {
        let Some(r) = q.roster_index(name) else { continue };
        if !asked(r, parent) {
            continue;
        }
        let live = instances.iter().enumerate().filter(|(_, i)| i.live());
        for (n, (k, inst)) in live.enumerate() {
            let Some(at) = parent.child(k as u32) else { continue };
            row.numbers[r] = n as u64 + 1;
            row.answers.fill(None);
            fill_by_question(q, &inst.answers, &mut row.answers);
            row.counts.fill(0);
            fill_counts(q, &inst.rosters, at, asked, &mut row.counts);
            layouts[r].write(q, row, &mut out[r]);
            roster_rows(q, layouts, &inst.rosters, at, asked, row, out);
        }
        row.numbers[r] = 0;
    }
}

/// One cell of a row: text, or a value written without building a string first.
enum Cell<'r> {
    /// Never needs quotes (empty, `0`, `1`).
    Plain(&'static str),
    Text(Cow<'r, str>),
    Int(u64),
    Number(f64),
    Codes(CodesRef<'r>),
}

/// The codes of a multi choice, space-separated.
fn join(cs: CodesRef<'_>) -> String {
    let mut s = String::new();
    for (i, c) in cs.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(c);
    }
    s
}

/// A number as written in the CSV: whole numbers without a fraction, others in the shortest
/// form that reads back exactly; a decimal comma in the Excel flavour.
/// Whether [`number`] writes `n` as an integer.
fn is_whole(n: f64) -> bool {
    n.fract() == 0.0 && n.abs() < 9.0e15
}

pub fn number(n: f64, excel: bool) -> String {
    let s = if is_whole(n) {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    };
    if excel { s.replace('.', ",") } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::fixtures;
    use crate::record::{Answer, AnswerValue, FORMAT, QuestionnaireRef, Record, Status};
    use crate::test_support::has_all;
    use std::collections::BTreeMap;

    #[test]
    fn may_hold_controls_finds_each_such_byte_wherever_it_is() {
        let naive = |s: &[u8]| s.iter().any(|&b| b < 0x20 || b == 0x7f || b == 0xc2);
        for len in 0..20 {
            for at in 0..len {
                for b in [
                    0, 0x1f, 0x20, 0x7f, 0x7e, 0x80, 0xc2, 0xc1, 0xc3, 0xd0, 0xff, b'a', 0x9f, 0xa0,
                ] {
                    for filler in [b'x', 0xd0, 0x81, 0xc3, 0x20] {
                        let mut s = vec![filler; len];
                        s[at] = b;
                        assert_eq!(may_hold_controls(&s), naive(&s), "{s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn whole_numbers_are_written_as_number_writes_them() {
        // `write` writes a whole number's digits itself: the cell `number` and `field` make.
        for n in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            42.0,
            8.9e15,
            -8.9e15,
            9.0e15,
            1e16,
            0.5,
            -2.25,
            1e-7,
            123456789.0,
        ] {
            for (excel, d) in [(false, b','), (true, b';')] {
                let mut want = Vec::new();
                field(&mut want, number(n, excel).as_bytes(), d);
                if is_whole(n) {
                    assert_eq!(itoa::Buffer::new().format(n as i64).as_bytes(), want, "{n} {excel}");
                } else {
                    assert!(n.fract() != 0.0 || n.abs() >= 9.0e15);
                }
            }
        }
    }

    fn rec(q: &Questionnaire, answers: &[(&str, AnswerValue, bool)]) -> Record {
        Record {
            format: FORMAT.into(),
            id: "0176b6a0-0000-7000-8000-000000000001".into(),
            revision: 12,
            device: "dev1".into(),
            interviewer: "I01".into(),
            questionnaire: QuestionnaireRef {
                id: q.id.clone(),
                version: q.version.clone(),
                sha256: q.sha256.clone(),
            },
            status: Status::Completed,
            started: "2021-01-12T07:00:00Z".into(),
            updated: "2021-01-12T07:30:00Z".into(),
            completed: Some("2021-01-12T07:30:00Z".into()),
            duration_ms: 1_234_567,
            position: None,
            position_at: Vec::new(),
            rosters: Default::default(),
            answers: answers
                .iter()
                .map(|(k, v, rel)| {
                    (
                        k.to_string(),
                        Answer {
                            value: Some(v.clone()),
                            relevant: *rel,
                            ..Answer::default()
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            reopened: vec![],
            paradata: vec![],
        }
    }

    #[test]
    fn demo_columns_follow_the_questionnaire() {
        let q = fixtures::every_type();
        let l = Layout::new(&q, false);
        let names: Vec<&str> = l.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "interviewer",
                "district",
                "device",
                "started",
                "completed",
                "duration_s",
                "revision",
                "org_type",
                "org_type__other",
                "org_type__remark",
                "members",
                "members__remark",
                "budget",
                "budget__remark",
                "founded",
                "founded__remark",
                "contact",
                "contact__remark",
                "why_not",
                "why_not__remark",
                "goals",
                "goals__info",
                "goals__money",
                "goals__projects",
                "goals__premises",
                "goals__other",
                "goals__dont_know",
                "goals__other_text",
                "goals__remark",
                "satisfaction",
                "satisfaction__remark",
                "proposals",
                "proposals__remark"
            ]
        );
    }

    #[test]
    fn multi_dummies_are_empty_where_not_asked_and_irrelevant_answers_are_dropped() {
        let q = fixtures::every_type();
        let l = Layout::new(&q, false);
        let r = rec(
            &q,
            &[
                ("contact", AnswerValue::Text("yes".into()), true),
                (
                    "goals",
                    AnswerValue::Codes(vec!["info".into(), "projects".into()]),
                    true,
                ),
                ("members", AnswerValue::Number(12.0), true),
                ("budget", AnswerValue::Number(1.5), true),
                ("why_not", AnswerValue::Text("line\nbreak".into()), false),
            ],
        );
        let text = String::from_utf8(r.to_json()).unwrap();
        let v = RecordView::parse(&text).unwrap();
        let cells = l.cells(&q, &v);
        let get = |n: &str| cells[l.columns.iter().position(|c| c.name == n).unwrap()].to_string();
        assert_eq!(get("goals"), "info projects");
        assert_eq!(get("goals__info"), "1");
        assert_eq!(get("goals__money"), "0");
        assert_eq!(get("members"), "12");
        assert_eq!(get("budget"), "1.5");
        assert_eq!(get("why_not"), "");
        assert_eq!(get("duration_s"), "1235");
        let r2 = rec(&q, &[("contact", AnswerValue::Text("no".into()), true)]);
        let text = String::from_utf8(r2.to_json()).unwrap();
        let v = RecordView::parse(&text).unwrap();
        let cells = l.cells(&q, &v);
        assert_eq!(
            cells[l.columns.iter().position(|c| c.name == "goals__info").unwrap()],
            ""
        );
    }

    #[test]
    fn excel_flavour_has_bom_semicolons_decimal_comma_and_inert_formulas() {
        let q = fixtures::every_type();
        let l = Layout::new(&q, true);
        assert!(l.header().starts_with(b"\xEF\xBB\xBFid;interviewer;district;"));
        let r = rec(
            &q,
            &[
                ("budget", AnswerValue::Number(2.25), true),
                ("proposals", AnswerValue::Text("=HYPERLINK(\"x\")".into()), true),
            ],
        );
        let text = String::from_utf8(r.to_json()).unwrap();
        let mut line = Vec::new();
        l.write_row(&q, &RecordView::parse(&text).unwrap(), &|_, _| true, &mut line);
        let line = String::from_utf8(line).unwrap();
        has_all(&line, &[";2,25;", "\"'=HYPERLINK(\"\"x\"\")\""]);
        assert!(line.ends_with('\n') && !line.ends_with("\r\n"));
    }

    #[test]
    fn a_specify_text_counts_only_while_its_option_is_chosen() {
        let q = fixtures::every_type();
        let l = Layout::new(&q, false);
        let col = l.columns.iter().position(|c| c.name == "org_type__other").unwrap();
        let cell = |code: &str| {
            let mut r = rec(&q, &[("org_type", AnswerValue::Text(code.into()), true)]);
            r.answers.get_mut("org_type").unwrap().other = Some("ТОС".into());
            let text = String::from_utf8(r.to_json()).unwrap();
            l.cells(&q, &RecordView::parse(&text).unwrap())[col].to_string()
        };
        assert_eq!(cell("other"), "ТОС");
        assert_eq!(
            cell("ngo"),
            "",
            "a stale text of an unchosen 'other' is no answer (as in the report)"
        );
    }

    #[test]
    fn district_is_the_metadata_column() {
        let q = fixtures::nko();
        let l = Layout::new(&q, false);
        assert_eq!(l.columns.iter().filter(|c| c.name == "district").count(), 1);
        assert!(l.columns.iter().any(|c| c.name == "district__remark"));
        let r = rec(&q, &[("district", AnswerValue::Text("bykovsky".into()), true)]);
        let text = String::from_utf8(r.to_json()).unwrap();
        assert_eq!(l.cells(&q, &RecordView::parse(&text).unwrap())[2], "bykovsky");
    }

    #[test]
    fn a_roster_not_asked_has_no_rows_and_counts_none_in_its_parent_row() {
        let q = crate::questionnaire::bundled("projects").unwrap();
        let layouts: Vec<Layout> = (0..q.rosters.len()).map(|r| Layout::roster(&q, r, false)).collect();
        let partners = q.roster_index("partners").unwrap();
        let sim = crate::simulate::Simulator::new(&q, crate::simulate::Options::default());
        // A record with partners in a live project.
        let text = (0..200)
            .map(|n| String::from_utf8(sim.record(n).to_json()).unwrap())
            .find(|t| {
                let v = RecordView::parse(t).unwrap();
                v.rosters.0.iter().any(|(_, ps)| {
                    ps.iter()
                        .any(|p| p.live() && p.rosters.0.iter().any(|(_, xs)| xs.iter().any(|x| x.live())))
                })
            })
            .unwrap();
        let rec = RecordView::parse(&text).unwrap();
        let rows = |asked: Asked<'_>| {
            let mut out = vec![Vec::new(); q.rosters.len()];
            Layout::write_roster_rows(&q, &layouts, &rec, asked, &mut out);
            out.into_iter()
                .map(|b| String::from_utf8(b).unwrap())
                .collect::<Vec<_>>()
        };
        let all = rows(&|_, _| true);
        let some = rows(&|r, _| r != partners);
        assert!(!all[partners].is_empty());
        assert_eq!(some[partners], "", "no row for the instances of a roster not asked");
        let cells = |rows: &str| -> Vec<Vec<String>> {
            ::csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(rows.as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(str::to_owned).collect())
                .collect()
        };
        let header = String::from_utf8(layouts[0].header()).unwrap();
        let count = cells(&header)[0].iter().position(|c| c == "partners_count").unwrap();
        let (all, some) = (cells(&all[0]), cells(&some[0]));
        assert!(all.iter().any(|r| r[count] != "0"));
        assert!(some.iter().all(|r| r[count] == "0"), "the parent counts the rows: none");
        // Nothing else of the projects' rows changes.
        let without = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
            let mut rows = rows.to_vec();
            rows.iter_mut().for_each(|r| _ = r.remove(count));
            rows
        };
        assert_eq!(without(&all), without(&some));
    }
}
