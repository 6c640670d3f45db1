//! The report's [`Plan`]: the questionnaires the data may use, their instruments, and the
//! options given on the command line ([`Options`]: `--by`, `--where`, `--cross`, …) checked
//! against the variables of the questionnaires before any data is read.

use super::questions::RKind;
#[cfg(doc)]
use super::slots::Slots;
use crate::diag::{Diagnostic, did_you_mean};
use crate::expr::Expr;
use crate::i18n::Lang;
use crate::questionnaire::Questionnaire;
use crate::record::QuestionnaireView;
use std::collections::{BTreeMap, HashSet};

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--by VAR`: group by a single-choice variable instead of the instrument.
    pub by: Option<String>,
    /// `--where EXPR`: the filter, in the questionnaire expression language.
    pub filter: Option<String>,
    /// `--alpha`: significance level.
    pub alpha: f64,
    /// `--exclude-missing`: leave "don't know" / "refused" answers out of the bases and tests.
    pub exclude_missing: bool,
    /// `--cross A B`.
    pub cross: Option<(String, String)>,
    /// Language of the headings and notes (labels come in the questionnaire's language).
    pub lang: Lang,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            by: None,
            filter: None,
            alpha: 0.05,
            exclude_missing: false,
            cross: None,
            lang: Lang::Ru,
        }
    }
}

/// Names `--where` accepts besides the questionnaire's variables (a question of the same name
/// takes precedence): the questionnaire id and the interviewer code.
const PSEUDO_VARIABLES: &[&str] = &["questionnaire", "interviewer"];

/// `--cross`: the two variables and, per questionnaire, both their questions when it has them as
/// choice questions.
pub(crate) type CrossPlan = (String, String, Vec<Option<(usize, usize)>>);

/// The report's plan: questionnaires, groups, filter, cross-tab, checked before any data is read.
#[derive(Debug)]
pub struct Plan<'q> {
    pub(crate) qs: Vec<&'q Questionnaire>,
    /// Questionnaire → instrument (distinct questionnaire ids, in order).
    pub(crate) instr_of: Vec<usize>,
    /// Instrument ids.
    pub(crate) instruments: Vec<String>,
    /// Instrument column headings.
    pub(crate) instrument_labels: Vec<String>,
    /// `--by`: the variable and, per questionnaire, its question if it is a single choice there.
    pub(crate) by: Option<(String, Vec<Option<usize>>)>,
    pub(crate) filter: Option<Expr>,
    /// `--cross`: the variables and, per questionnaire, both questions if it has them as choices.
    pub(crate) cross: Option<CrossPlan>,
    /// Per questionnaire: its single-choice `district` question.
    pub(crate) district: Vec<Option<usize>>,
    pub(crate) conflict_ids: HashSet<String>,
    pub(crate) opts: Options,
}

/// The column headings of instruments (`ids`, in order), given every copy of the questionnaires
/// (several versions of one id may be known): the `short_title` of the first copy that has one,
/// else [`Questionnaire::short_name`] of the first copy. A heading that two instruments would
/// share gets the id added, so that columns and quota groups stay distinct.
fn instrument_labels(ids: &[String], qs: &[&Questionnaire]) -> Vec<String> {
    let names: Vec<String> = ids
        .iter()
        .map(|id| {
            let copies = || qs.iter().filter(|q| q.id == *id);
            copies()
                .find(|q| q.short_title.is_some())
                .or_else(|| copies().next())
                .map_or_else(|| id.clone(), |q| q.short_name().to_string())
        })
        .collect();
    names
        .iter()
        .zip(ids)
        .map(|(name, id)| {
            let clash =
                names.iter().filter(|n| *n == name).count() > 1 || ids.iter().any(|other| other != id && other == name);
            if clash && name != id {
                format!("{name} ({id})")
            } else {
                name.clone()
            }
        })
        .collect()
}

/// Distinct questionnaire ids (instruments) in order, and each questionnaire's instrument.
fn instruments_of(qs: &[&Questionnaire]) -> (Vec<String>, Vec<usize>) {
    let mut instruments: Vec<String> = Vec::new();
    let mut instr_of = Vec::with_capacity(qs.len());
    for q in qs {
        let i = match instruments.iter().position(|x| *x == q.id) {
            Some(i) => i,
            None => {
                instruments.push(q.id.clone());
                instruments.len() - 1
            }
        };
        instr_of.push(i);
    }
    (instruments, instr_of)
}

/// Every variable of the questionnaires with the types it has in them: what the options are
/// checked against.
struct Variables<'a> {
    qs: &'a [&'a Questionnaire],
    kinds: BTreeMap<&'a str, Vec<RKind>>,
    /// Variables asked in a roster (once per instance) → the roster.
    in_roster: BTreeMap<&'a str, &'a str>,
    /// The names, sorted.
    all: Vec<&'a str>,
}

impl<'a> Variables<'a> {
    fn new(qs: &'a [&'a Questionnaire]) -> Variables<'a> {
        let mut kinds: BTreeMap<&str, Vec<RKind>> = BTreeMap::new();
        let mut in_roster = BTreeMap::new();
        for q in qs {
            for qq in &q.questions {
                if let Some(k) = RKind::of(&qq.kind) {
                    kinds.entry(qq.id.as_str()).or_default().push(k);
                }
                if let Some(r) = qq.roster {
                    in_roster.entry(qq.id.as_str()).or_insert(q.rosters[r].id.as_str());
                }
            }
        }
        let all = kinds.keys().copied().collect();
        Variables {
            qs,
            kinds,
            in_roster,
            all,
        }
    }

    /// `var`, given to `flag`, is asked once per instance of a roster: `flag` needs one answer
    /// per interview.
    fn roster_error(&self, flag: &str, var: &str) -> Option<Diagnostic> {
        let r = self.in_roster.get(var)?;
        Some(
            Diagnostic::new(
                flag,
                "",
                format!("`{var}` is asked once per instance of roster `{r}`; {flag} needs a question asked once per interview"),
            )
            .hint("the tables of roster questions count instances; group and filter by a question of the interview"),
        )
    }

    /// `var`, given to `flag`, is no variable of the questionnaires (nor one of `extra`).
    fn unknown(&self, flag: &str, var: &str, extra: &[&str]) -> Diagnostic {
        let cands = self.all.iter().copied().chain(extra.iter().copied());
        let d = Diagnostic::new(flag, "", format!("unknown variable `{var}`"));
        match did_you_mean(var, cands) {
            Some(s) => d.hint(format!("did you mean `{s}`?")),
            None => d.hint("`anketa codebook nko` lists the variables of a questionnaire"),
        }
    }

    /// Per questionnaire: its question `var`, if it has one of a type `ok` accepts.
    fn per_q(&self, var: &str, ok: &dyn Fn(RKind) -> bool) -> Vec<Option<usize>> {
        self.qs
            .iter()
            .map(|q| {
                q.index_of(var)
                    .filter(|&i| RKind::of(&q.questions[i].kind).is_some_and(ok))
            })
            .collect()
    }

    /// `--by`: a single-choice variable (or `questionnaire`, the default grouping: `None`).
    fn by(&self, by: Option<&String>, errors: &mut Vec<Diagnostic>) -> Option<(String, Vec<Option<usize>>)> {
        let mut out = None;
        if let Some(v) = by
            && v != "questionnaire"
        {
            if let Some(d) = self.roster_error("--by", v) {
                errors.push(d);
                return None;
            }
            match self.kinds.get(v.as_str()) {
                Some(ks) if ks.contains(&RKind::Single) => {
                    out = Some((v.clone(), self.per_q(v, &|k| k == RKind::Single)))
                }
                Some(ks) => errors.push(
                    Diagnostic::new(
                        "--by",
                        "",
                        format!(
                            "`{v}` is a {} question; --by needs a single-choice question",
                            ks[0].name()
                        ),
                    )
                    .hint(if ks[0] == RKind::Multi {
                        format!("--cross {v} VAR tabulates a multiple-choice question against another")
                    } else {
                        "e.g. --by district".into()
                    }),
                ),
                None => errors.push(self.unknown("--by", v, &["questionnaire"])),
            }
        }
        out
    }

    /// `--cross A B`: two different choice variables.
    fn cross(&self, cross: Option<&(String, String)>, errors: &mut Vec<Diagnostic>) -> Option<CrossPlan> {
        let (a, b) = cross?;
        let mut ok = true;
        for v in [a, b] {
            if let Some(d) = self.roster_error("--cross", v) {
                ok = false;
                errors.push(d);
                continue;
            }
            match self.kinds.get(v.as_str()) {
                Some(ks) if ks.iter().any(|k| k.is_choice()) => {}
                Some(ks) => {
                    ok = false;
                    errors.push(
                        Diagnostic::new(
                            "--cross",
                            "",
                            format!(
                                "`{v}` is a {} question; a cross-tab needs choice questions (single or multi)",
                                ks[0].name()
                            ),
                        )
                        .hint("the numbers of a number question are summarised in its own table"),
                    );
                }
                None => {
                    ok = false;
                    errors.push(self.unknown("--cross", v, &[]));
                }
            }
        }
        if ok && a == b {
            ok = false;
            errors.push(Diagnostic::new("--cross", "", format!("`{a}` twice")).hint("give two different variables"));
        }
        if !ok {
            return None;
        }
        let pa = self.per_q(a, &RKind::is_choice);
        let pb = self.per_q(b, &RKind::is_choice);
        let both = pa.iter().zip(&pb).map(|(x, y)| Some(((*x)?, (*y)?))).collect();
        Some((a.clone(), b.clone(), both))
    }

    /// `--where EXPR`: an expression over the variables and [`PSEUDO_VARIABLES`].
    fn filter(&self, filter: Option<&String>, errors: &mut Vec<Diagnostic>) -> Option<Expr> {
        let src = filter?;
        match crate::expr::parse(src) {
            Err(e) => {
                errors.push(Diagnostic::new("--where", "", e.message.clone()).snippet(src, e.col, e.len));
                None
            }
            Ok(expr) => {
                let mut bad = false;
                for (name, col) in expr.refs() {
                    if let Some(d) = self.roster_error("--where", name) {
                        bad = true;
                        let len = name.chars().count() + 3;
                        errors.push(d.snippet(src, col, len));
                        continue;
                    }
                    if !self.kinds.contains_key(name) && !PSEUDO_VARIABLES.contains(&name) {
                        bad = true;
                        let len = name.chars().count() + 3;
                        let cands = self.all.iter().copied().chain(PSEUDO_VARIABLES.iter().copied());
                        let d =
                            Diagnostic::new("--where", "", format!("unknown variable `{name}`")).snippet(src, col, len);
                        errors.push(match did_you_mean(name, cands) {
                            Some(s) => d.hint(format!("did you mean `{s}`?")),
                            None => d.hint("not a variable of these questionnaires"),
                        });
                    }
                }
                (!bad).then_some(expr)
            }
        }
    }
}

impl<'q> Plan<'q> {
    /// Builds the plan for these questionnaires (every one the data may use), checking the
    /// options against them. Returns every problem a user can fix in one pass.
    pub fn new(qs: Vec<&'q Questionnaire>, opts: Options) -> Result<Plan<'q>, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let (instruments, instr_of) = instruments_of(&qs);
        let instrument_labels = instrument_labels(&instruments, &qs);
        let vars = Variables::new(&qs);
        if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
            errors.push(
                Diagnostic::new("--alpha", "", format!("{} is not a significance level", opts.alpha))
                    .hint("give a number between 0 and 1, e.g. 0.05"),
            );
        }
        let by = vars.by(opts.by.as_ref(), &mut errors);
        let cross = vars.cross(opts.cross.as_ref(), &mut errors);
        let filter = vars.filter(opts.filter.as_ref(), &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let district = vars.per_q("district", &|k| k == RKind::Single);
        Ok(Plan {
            qs,
            instr_of,
            instruments,
            instrument_labels,
            by,
            filter,
            cross,
            district,
            conflict_ids: HashSet::new(),
            opts,
        })
    }

    /// Interviews whose id is listed here count as conflicts of their interviewer (from the
    /// merge report, or the merge done on the fly).
    pub fn set_conflicts(&mut self, ids: impl IntoIterator<Item = String>) {
        self.conflict_ids = ids.into_iter().collect();
    }

    /// The union of the `district` options of every questionnaire: (code, label).
    pub(crate) fn districts(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (q, d) in self.qs.iter().zip(&self.district) {
            let Some(d) = d else { continue };
            for o in &q.questions[*d].options {
                if !out.iter().any(|(c, _)| *c == o.code) {
                    out.push((o.code.clone(), q.tr(&o.label).to_string()));
                }
            }
        }
        out
    }

    /// The index of a record's questionnaire.
    pub(crate) fn find(&self, r: &QuestionnaireView<'_>) -> Option<usize> {
        self.qs
            .iter()
            .position(|q| q.id == *r.id && q.version == *r.version && q.sha256 == *r.sha256)
    }

    /// Native groups of a questionnaire: 1 when grouping by instrument; the options of the
    /// `--by` question plus "no answer" otherwise.
    pub(crate) fn native_groups(&self, qi: usize) -> usize {
        match &self.by {
            None => 1,
            Some((_, per)) => per[qi].map_or(0, |v| self.qs[qi].questions[v].options.len()) + 1,
        }
    }
}

#[cfg(test)]
mod tests;
