//! The report's questions: each variable matched across the questionnaires by name, its
//! options by code ([`build_questions`]), with its type ([`RKind`]).

use crate::questionnaire::{Choice, Kind, Missing, Questionnaire};
use std::collections::HashMap;

/// Type of a tabulated question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RKind {
    Single,
    Multi,
    Number,
    Date,
    Text,
    LongText,
}

impl RKind {
    pub(crate) fn of(k: &Kind) -> Option<RKind> {
        Some(match k {
            Kind::Single => RKind::Single,
            Kind::Multi { .. } => RKind::Multi,
            Kind::Number { .. } => RKind::Number,
            Kind::Date => RKind::Date,
            Kind::Text { .. } => RKind::Text,
            Kind::LongText { .. } => RKind::LongText,
            Kind::Note => return None,
            // A calculation is tabulated as what its values are.
            Kind::Calculate { .. } if k.is_numeric() => RKind::Number,
            Kind::Calculate { .. } => RKind::Text,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            RKind::Single => "single",
            RKind::Multi => "multi",
            RKind::Number => "number",
            RKind::Date => "date",
            RKind::Text => "text",
            RKind::LongText => "long_text",
        }
    }

    pub(crate) fn is_choice(self) -> bool {
        matches!(self, RKind::Single | RKind::Multi)
    }
}

/// An option of a report question: the union of the codes of the questionnaires.
#[derive(Debug, Clone)]
pub(crate) struct ROpt {
    pub(crate) code: String,
    pub(crate) label: String,
    pub(crate) missing: Option<Missing>,
    pub(crate) other: bool,
}

/// Where a report question lives in one questionnaire.
#[derive(Debug, Clone)]
pub(crate) struct PerQ {
    /// Index of the question in the questionnaire.
    pub(crate) qidx: usize,
    /// Option index in the questionnaire → row of the report question.
    pub(crate) rows: Vec<usize>,
}

/// A question of the report, matched across questionnaires.
#[derive(Debug, Clone)]
pub(crate) struct RQuestion {
    pub(crate) var: String,
    pub(crate) kind: RKind,
    pub(crate) text: String,
    pub(crate) block_id: String,
    pub(crate) block_title: String,
    pub(crate) options: Vec<ROpt>,
    /// By position in the list of questionnaires it was built from.
    pub(crate) per_q: Vec<Option<PerQ>>,
    /// Questionnaires where the variable has another type: (position, that type).
    pub(crate) mismatched: Vec<(usize, &'static str)>,
    /// The roster it is asked in (id), from the first questionnaire: its table counts
    /// instances. A questionnaire that asks it in another roster, or once per interview, is
    /// left out like one where it has another type.
    pub(crate) roster: Option<String>,
}

/// The roster id of question `qidx` of `q` (`None` at the top level).
fn roster_of(q: &Questionnaire, qidx: usize) -> Option<&str> {
    q.questions[qidx].roster.map(|r| q.rosters[r].id.as_str())
}

/// Orders the questions of several questionnaires: the first one's order, with the questions
/// of later ones that it lacks inserted before the next question they share (so that the
/// passport questions of each instrument stay in the passport block). Options are matched by
/// code; labels, texts and blocks come from the first questionnaire that has them.
pub(crate) fn build_questions(qs: &[&Questionnaire]) -> Vec<RQuestion> {
    let mut order: Vec<String> = Vec::new();
    let mut map: HashMap<String, RQuestion> = HashMap::new();
    let ropt = |q: &Questionnaire, o: &Choice| ROpt {
        code: o.code.clone(),
        label: q.tr(&o.label).to_string(),
        missing: o.missing,
        other: o.other,
    };
    for (qi, q) in qs.iter().enumerate() {
        let mut pending: Vec<String> = Vec::new();
        let mut last_anchor: Option<usize> = None;
        for (qidx, qq) in q.questions.iter().enumerate() {
            let Some(kind) = RKind::of(&qq.kind) else { continue };
            if let Some(r) = map.get_mut(&qq.id) {
                if r.kind != kind {
                    r.mismatched.push((qi, kind.name()));
                    continue;
                }
                if r.roster.as_deref() != roster_of(q, qidx) {
                    r.mismatched
                        .push((qi, if qq.roster.is_some() { "roster" } else { "top_level" }));
                    continue;
                }
                let mut rows = Vec::with_capacity(qq.options.len());
                for o in &qq.options {
                    let row = match r.options.iter().position(|x| x.code == o.code) {
                        Some(i) => i,
                        None => {
                            r.options.push(ropt(q, o));
                            r.options.len() - 1
                        }
                    };
                    rows.push(row);
                }
                r.per_q[qi] = Some(PerQ { qidx, rows });
                let pos = order.iter().position(|v| *v == qq.id).unwrap_or(order.len());
                let n = pending.len();
                for (k, v) in pending.drain(..).enumerate() {
                    order.insert(pos + k, v);
                }
                last_anchor = Some(pos + n);
                continue;
            }
            let mut per_q = vec![None; qs.len()];
            per_q[qi] = Some(PerQ {
                qidx,
                rows: (0..qq.options.len()).collect(),
            });
            let block = &q.blocks[qq.block];
            map.insert(
                qq.id.clone(),
                RQuestion {
                    var: qq.id.clone(),
                    kind,
                    text: qq.title(q),
                    block_id: block.id.clone(),
                    block_title: q.tr(&block.title).to_string(),
                    options: qq.options.iter().map(|o| ropt(q, o)).collect(),
                    per_q,
                    mismatched: Vec::new(),
                    roster: roster_of(q, qidx).map(str::to_owned),
                },
            );
            pending.push(qq.id.clone());
        }
        let at = last_anchor.map_or(order.len(), |p| p + 1);
        for (k, v) in pending.drain(..).enumerate() {
            order.insert(at + k, v);
        }
    }
    order.into_iter().filter_map(|v| map.remove(&v)).collect()
}

/// A roster of the report, matched across questionnaires by id.
#[derive(Debug, Clone)]
pub(crate) struct RRoster {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) parent: Option<String>,
    /// By position in the list of questionnaires: its index there (when its parent is the same).
    pub(crate) per_q: Vec<Option<usize>>,
}

/// The rosters of several questionnaires, matched by id (and parent), in the order they first
/// appear.
pub(crate) fn build_rosters(qs: &[&Questionnaire]) -> Vec<RRoster> {
    let mut out: Vec<RRoster> = Vec::new();
    for (qi, q) in qs.iter().enumerate() {
        for (ri, ro) in q.rosters.iter().enumerate() {
            let parent = ro.parent.map(|p| q.rosters[p].id.clone());
            match out.iter_mut().find(|x| x.id == ro.id) {
                Some(x) if x.parent == parent => x.per_q[qi] = Some(ri),
                Some(_) => {}
                None => {
                    let mut per_q = vec![None; qs.len()];
                    per_q[qi] = Some(ri);
                    out.push(RRoster {
                        id: ro.id.clone(),
                        title: roster_title(q, ri),
                        parent,
                        per_q,
                    });
                }
            }
        }
    }
    out
}

/// A roster's title in the questionnaire's language, an answer piped into it (`${name}`) shown
/// as `…` (its id when it has none).
pub(crate) fn roster_title(q: &Questionnaire, r: usize) -> String {
    let t = crate::questionnaire::pipe(q.tr(&q.rosters[r].text), |_| "…".into());
    if t.trim().is_empty() {
        q.rosters[r].id.clone()
    } else {
        t.into_owned()
    }
}
