//! Simulated interviews: plausible, valid [`Record`]s for training, demos, tests and benchmarks.
//!
//! Each record is what the interviewer would have saved: answers follow the questionnaire in
//! order, only relevant questions are asked, every value passes the hard checks (type, range,
//! multi limits, exclusive options, `constraint`), soft warnings are mostly avoided and otherwise
//! confirmed, and paradata, revision and timestamps tell a consistent story. A few interviews go
//! back and change a filter answer, so that some answers are kept with `relevant: false`, as in
//! the field.
//!
//! Deterministic: record `n` depends only on the seed, `n` and the options (a hand-written
//! splitmix64 generator, no global state), so records can be generated in parallel and a rerun
//! gives the same bytes. Pure: returns records; the caller saves them through the store.

use crate::expr::Value;
use crate::interview::logic::{AnswerEnv, At, Checks, Owned, Scope};
use crate::questionnaire::{Kind, Questionnaire};
use crate::record::{
    Answer, AnswerValue, Event, EventKind, FORMAT, FORMAT_V2, Instance, QuestionnaireRef, Record, Rosters, Status,
};
use std::collections::{BTreeMap, BTreeSet};

/// `--weights`: variable → code → weight.
///
/// For a single-choice question the weights are relative (normalised to sum to 1; codes not
/// listed get 0). For a multi-choice question each weight is the share of respondents choosing
/// that option (0–1), as in a report table.
pub(crate) type Weights = BTreeMap<String, BTreeMap<String, f64>>;

/// Options of a simulation.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seed of the generator.
    pub seed: u64,
    /// Number of interviewers (each with their own laptop, i.e. device id).
    pub interviewers: u32,
    /// Share of interviews left in progress, 0–1 (spread evenly over the record numbers).
    pub incomplete_share: f64,
    /// Target marginals; see [`Weights`].
    pub weights: Weights,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1,
            interviewers: 10,
            incomplete_share: 0.0,
            weights: Weights::new(),
        }
    }
}

/// First day of the simulated fieldwork, 2020-12-15T00:00:00Z (the monitoring ran 15.12.2020 –
/// 15.02.2021).
const FIELDWORK_START_S: i64 = 1_607_990_400;
/// Number of days in the fieldwork window.
const FIELDWORK_DAYS: i64 = 63;
/// Days of the window that fall on 1–8 January: no interviews then.
const NEW_YEAR_HOLIDAYS: std::ops::RangeInclusive<i64> = 17..=24;
/// Moscow/Volgograd time is UTC+3 all year.
const UTC_OFFSET_S: i64 = 3 * 3600;

/// splitmix64: a tiny, fast, well-mixed generator; good enough for simulated answers.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    #[cfg(test)]
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for the `n`-th item of stream `stream` under `seed`.
    pub fn derive(seed: u64, stream: u64, n: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        let a = r.next_u64();
        Rng(a ^ n.wrapping_mul(0xE703_7ED1_A0B4_28DB))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// An index drawn with probability proportional to `w` (`None` when all are zero).
    pub(crate) fn weighted(&mut self, w: &[f64]) -> Option<usize> {
        let total: f64 = w.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut x = self.f64() * total;
        for (i, wi) in w.iter().enumerate() {
            if x < *wi {
                return Some(i);
            }
            x -= wi;
        }
        w.iter().rposition(|x| *x > 0.0)
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let b = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        out
    }
}

/// Parses and checks `--weights` JSON against the questionnaire. Returns every problem found.
pub fn parse_weights(q: &Questionnaire, json: &str) -> Result<Weights, Vec<String>> {
    let v: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| vec![format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column())])?;
    let serde_json::Value::Object(vars) = v else {
        return Err(vec![
            "expected an object: {\"variable\": {\"code\": weight, …}, …}".into(),
        ]);
    };
    let mut errors = Vec::new();
    let mut out = Weights::new();
    for (var, codes) in &vars {
        let Some(qq) = q.question(var) else {
            let hint = crate::diag::did_you_mean(var, q.questions.iter().map(|x| x.id.as_str()))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            errors.push(format!("`{var}`: no such variable in `{}`{hint}", q.id));
            continue;
        };
        let multi = match qq.kind {
            Kind::Single => false,
            Kind::Multi { .. } => true,
            _ => {
                errors.push(format!(
                    "`{var}` is a {} question; weights apply to single and multi questions only",
                    qq.kind.name()
                ));
                continue;
            }
        };
        let serde_json::Value::Object(codes) = codes else {
            errors.push(format!("`{var}`: expected an object of code → weight"));
            continue;
        };
        let mut m = BTreeMap::new();
        for (code, w) in codes {
            if qq.option(code).is_none() {
                let hint = crate::diag::did_you_mean(code, qq.options.iter().map(|o| o.code.as_str()))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                errors.push(format!("`{var}`: no option with code `{code}`{hint}"));
                continue;
            }
            match w.as_f64() {
                Some(x) if x.is_finite() && x >= 0.0 && (!multi || x <= 1.0) => {
                    m.insert(code.clone(), x);
                }
                Some(x) if multi && x > 1.0 => errors.push(format!(
                    "`{var}`.`{code}`: {x} — for a multi question a weight is the share of respondents choosing the option, from 0 to 1"
                )),
                _ => errors.push(format!("`{var}`.`{code}`: the weight must be a number ≥ 0")),
            }
        }
        if !multi && !m.is_empty() && m.values().all(|x| *x == 0.0) {
            errors.push(format!(
                "`{var}`: every weight is 0; at least one option must be possible"
            ));
        }
        out.insert(var.clone(), m);
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// One simulated interviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interviewer {
    /// Code such as `I07`.
    pub code: String,
    /// The device id of their laptop.
    pub device: String,
}

/// Generates records for one questionnaire.
#[derive(Debug)]
pub struct Simulator<'q> {
    q: &'q Questionnaire,
    opts: Options,
    interviewers: Vec<Interviewer>,
    district: Option<usize>,
    texts: &'static Phrases,
    /// The number questions a roster's `count` reads: drawn as counts (mostly a few).
    counts: BTreeSet<usize>,
}

impl<'q> Simulator<'q> {
    /// A simulator; `opts.interviewers` is at least 1.
    pub fn new(q: &'q Questionnaire, mut opts: Options) -> Simulator<'q> {
        opts.interviewers = opts.interviewers.max(1);
        opts.incomplete_share = opts.incomplete_share.clamp(0.0, 1.0);
        let width = opts.interviewers.to_string().len().max(2);
        let interviewers = (0..opts.interviewers)
            .map(|k| {
                let mut r = Rng::derive(opts.seed, 1, k as u64);
                Interviewer {
                    code: format!("I{:0width$}", k + 1),
                    device: uuid::Builder::from_random_bytes(r.bytes::<16>())
                        .into_uuid()
                        .simple()
                        .to_string(),
                }
            })
            .collect();
        let district = q
            .index_of("district")
            .filter(|&i| q.questions[i].kind == Kind::Single && !q.questions[i].options.is_empty());
        let texts = if q.language == "ru" { &RU } else { &EN };
        let counts = q
            .rosters
            .iter()
            .filter_map(|r| r.count.as_ref())
            .flat_map(|e| e.refs())
            .filter_map(|(name, _)| q.index_of(name))
            .collect();
        Simulator {
            q,
            opts,
            interviewers,
            district,
            texts,
            counts,
        }
    }

    /// The interviewers (codes and devices).
    pub fn interviewers(&self) -> &[Interviewer] {
        &self.interviewers
    }

    /// Whether record `n` is left in progress: exactly `round(share × count)` of the first
    /// `count` records are, spread evenly.
    pub(crate) fn is_incomplete(&self, n: u64) -> bool {
        let p = self.opts.incomplete_share;
        ((n + 1) as f64 * p).floor() > (n as f64 * p).floor()
    }

    /// The `n`-th record.
    pub fn record(&self, n: u64) -> Record {
        // The questionnaire's hash is part of the stream: the same seed gives other interviews
        // (and ids) for another questionnaire.
        let salt = u64::from_str_radix(self.q.sha256.get(..16).unwrap_or("0"), 16).unwrap_or(0);
        let mut rng = Rng::derive(self.opts.seed ^ salt, 2, n);
        let q = self.q;
        // District first (it decides the interviewer: each works a few districts).
        let preset = self.district.map(|qi| {
            let code = self.draw_single(qi, &mut rng);
            (qi, code)
        });
        let interviewer = &self.interviewers[self.interviewer_for(preset.as_ref().map(|p| p.1.as_str()), &mut rng)];
        // Start time: a working day hour, local 09:00–17:30, avoiding the New Year holidays.
        let day = loop {
            let d = rng.range(0, FIELDWORK_DAYS - 1);
            if !NEW_YEAR_HOLIDAYS.contains(&d) {
                break d;
            }
        };
        let midnight_utc = FIELDWORK_START_S + day * 86_400;
        let started_s = midnight_utc - UTC_OFFSET_S + rng.range(9 * 3600, 17 * 3600 + 1800);
        let started_ms = started_s as u64 * 1000 + rng.range(0, 999) as u64;
        let id = uuid::Builder::from_unix_timestamp_millis(started_ms, &rng.bytes::<10>())
            .into_uuid()
            .to_string();

        let mut st = State {
            answers: BTreeMap::new(),
            rosters: Rosters::new(),
            paradata: Vec::new(),
            asked: BTreeSet::new(),
            t_ms: 0,
            pause_ms: 0,
            revision: 1,
            started_ms: started_s as u64 * 1000,
            stop: None,
            position: None,
            position_at: Vec::new(),
        };
        let incomplete = self.is_incomplete(n);
        if incomplete {
            // Stop before the k-th relevant question (at least one answered).
            st.stop = Some(1 + rng.below(q.questions.len().max(2) - 1));
        }
        self.fill(&mut st, &mut rng, preset.as_ref());
        // Now and then the interviewer goes back and changes a filter answer: later answers may
        // become irrelevant (kept, `relevant: false`) and new questions may open.
        if !incomplete && rng.chance(0.06) {
            self.revise(&mut st, &mut rng);
        }
        let mut rec = Record {
            format: if q.has_rosters() { FORMAT_V2 } else { FORMAT }.to_string(),
            id,
            revision: st.revision,
            device: interviewer.device.clone(),
            interviewer: interviewer.code.clone(),
            questionnaire: QuestionnaireRef {
                id: q.id.clone(),
                version: q.version.clone(),
                sha256: q.sha256.clone(),
            },
            status: Status::InProgress,
            started: rfc3339(started_s as u64 * 1000),
            updated: String::new(),
            completed: None,
            duration_ms: st.t_ms,
            position: st.position.clone(),
            position_at: st.position_at.clone(),
            answers: st.answers,
            rosters: st.rosters,
            reopened: Vec::new(),
            paradata: st.paradata,
        };
        let end_ms = st.started_ms + st.t_ms + st.pause_ms;
        // As in the interviewer, an interview with a required question left without an answer
        // (no value drawn passed its checks) cannot be completed: it stays in progress.
        let unanswered_required = if q.has_rosters() {
            // With rosters: the interviewer's own completion check (instances, min, counts).
            let s = crate::interview::session::Session::open(std::sync::Arc::new(q.clone()), rec.clone());
            s.review_rows().into_iter().any(|p| s.row_problem(p))
        } else {
            let clock = crate::interview::logic::record_clock(&rfc3339(end_ms));
            let (rel, stale) = crate::interview::logic::relevance_and_stale(q, &rec.answers, clock.as_ref());
            q.questions.iter().enumerate().any(|(i, qq)| {
                qq.required
                    && qq.is_interviewed()
                    && (rel[i] || stale[i])
                    && !rec.answers.get(&qq.id).is_some_and(|a| a.relevant && a.value.is_some())
            })
        };
        if incomplete || unanswered_required {
            rec.updated = rfc3339(end_ms);
        } else {
            rec.revision += 1;
            rec.status = Status::Completed;
            let done = end_ms + rng.range(5_000, 60_000) as u64;
            rec.completed = Some(rfc3339(done));
            rec.updated = rfc3339(done);
            if rng.chance(0.01) {
                // Reopened later the same day (a correction), completed again.
                let at = done + rng.range(600_000, 6 * 3_600_000) as u64;
                rec.reopened.push(crate::record::Reopening {
                    at: rfc3339(at),
                    revision: rec.revision + 1,
                    was_completed: rfc3339(done),
                });
                rec.revision += 2;
                let again = at + rng.range(60_000, 300_000) as u64;
                rec.completed = Some(rfc3339(again));
                rec.updated = rfc3339(again);
            }
        }
        rec
    }

    fn interviewer_for(&self, district: Option<&str>, rng: &mut Rng) -> usize {
        let k = self.interviewers.len();
        let (Some(di), Some(code)) = (self.district, district) else {
            return rng.below(k);
        };
        let opts = &self.q.questions[di].options;
        let d = opts.len();
        let i = opts.iter().position(|o| o.code == code).unwrap_or(0);
        if k <= d {
            // District i is worked by interviewer i mod k.
            i % k
        } else {
            // More interviewers than districts: district i is shared by k ≡ i (mod d).
            let candidates: Vec<usize> = (0..k).filter(|x| x % d == i).collect();
            candidates[rng.below(candidates.len())]
        }
    }

    fn weights(&self, qi: usize) -> Option<&BTreeMap<String, f64>> {
        self.opts
            .weights
            .get(&self.q.questions[qi].id)
            .filter(|m| !m.is_empty())
    }

    fn draw_single(&self, qi: usize, rng: &mut Rng) -> String {
        let qq = &self.q.questions[qi];
        let i = match self.weights(qi) {
            Some(w) => {
                let w: Vec<f64> = qq
                    .options
                    .iter()
                    .map(|o| w.get(&o.code).copied().unwrap_or(0.0))
                    .collect();
                rng.weighted(&w).unwrap_or(0)
            }
            None => rng.below(qq.options.len()),
        };
        qq.options[i].code.clone()
    }

    fn draw_multi(&self, qi: usize, rng: &mut Rng) -> Vec<String> {
        let qq = &self.q.questions[qi];
        let Kind::Multi { min, max } = qq.kind else {
            return Vec::new();
        };
        let n = qq.options.len();
        let plain: Vec<usize> = (0..n).filter(|&i| !qq.options[i].exclusive).collect();
        let lo = (min.unwrap_or(1).max(1) as usize).min(plain.len().max(1));
        let hi = (max.map(|m| m as usize).unwrap_or(3).max(lo)).min(plain.len());
        let mut chosen: Vec<bool> = vec![false; n];
        match self.weights(qi) {
            None => {
                let first = rng.below(n);
                if qq.options[first].exclusive || plain.is_empty() {
                    return vec![qq.options[first].code.clone()];
                }
                chosen[first] = true;
                let k = rng.range(lo as i64, hi as i64) as usize;
                let mut rest: Vec<usize> = plain.iter().copied().filter(|&i| i != first).collect();
                for _ in 1..k {
                    if rest.is_empty() {
                        break;
                    }
                    let j = rng.below(rest.len());
                    chosen[rest.swap_remove(j)] = true;
                }
            }
            Some(w) => {
                let wt = |i: usize| w.get(&qq.options[i].code).copied().unwrap_or(0.0);
                let excl: Vec<usize> = (0..n).filter(|&i| qq.options[i].exclusive).collect();
                let excl_total: f64 = excl.iter().map(|&i| wt(i)).sum();
                let u = rng.f64();
                if u < excl_total.min(1.0) {
                    let ew: Vec<f64> = excl.iter().map(|&i| wt(i)).collect();
                    let e = excl[rng.weighted(&ew).unwrap_or(0)];
                    return vec![qq.options[e].code.clone()];
                }
                // Shares are overall; given "not exclusive", each plain option's chance rises.
                let scale = 1.0 / (1.0 - excl_total.min(0.999));
                for &i in &plain {
                    chosen[i] = rng.chance((wt(i) * scale).min(1.0));
                }
                let mut count = chosen.iter().filter(|c| **c).count();
                while count < lo {
                    let ws: Vec<f64> = plain.iter().map(|&i| if chosen[i] { 0.0 } else { wt(i) }).collect();
                    let pick = rng.weighted(&ws).map(|j| plain[j]).unwrap_or_else(|| {
                        let free: Vec<usize> = plain.iter().copied().filter(|&i| !chosen[i]).collect();
                        free[rng.below(free.len())]
                    });
                    chosen[pick] = true;
                    count += 1;
                }
                while count > hi {
                    let on: Vec<usize> = plain.iter().copied().filter(|&i| chosen[i]).collect();
                    chosen[on[rng.below(on.len())]] = false;
                    count -= 1;
                }
            }
        }
        (0..n)
            .filter(|&i| chosen[i])
            .map(|i| qq.options[i].code.clone())
            .collect()
    }

    fn draw_value(&self, qi: usize, rng: &mut Rng) -> (AnswerValue, Option<String>) {
        let qq = &self.q.questions[qi];
        let t = self.texts;
        let value = match &qq.kind {
            Kind::Single => AnswerValue::Text(self.draw_single(qi, rng)),
            Kind::Multi { .. } => AnswerValue::Codes(self.draw_multi(qi, rng)),
            Kind::Number { min, max, integer, .. } => {
                let lo = min.unwrap_or(0.0);
                let hi = max.unwrap_or(lo.max(0.0) + 1000.0);
                let x = if hi - lo > 1000.0 && lo >= 0.0 {
                    // Counts and amounts: most are small, a few large (log-uniform).
                    ((lo + 1.0).ln() + rng.f64() * ((hi + 1.0).ln() - (lo + 1.0).ln())).exp() - 1.0
                } else if self.counts.contains(&qi) {
                    // How many instances a roster has (household members, projects): mostly a
                    // few, now and then many (the product of two uniform draws: about 40 % of
                    // the range's upper three quarters).
                    lo + rng.f64() * rng.f64() * (hi - lo + 1.0)
                } else {
                    lo + rng.f64() * (hi - lo)
                };
                let x = if *integer {
                    x.round()
                } else {
                    (x * 100.0).round() / 100.0
                };
                AnswerValue::Number(x.clamp(lo, hi))
            }
            Kind::Text { max_length } => AnswerValue::Text(truncate(t.short[rng.below(t.short.len())], *max_length)),
            Kind::LongText { max_length } => {
                let k = 1 + rng.below(3);
                let s: Vec<&str> = (0..k).map(|_| t.long[rng.below(t.long.len())]).collect();
                AnswerValue::Text(truncate(&s.join(" "), *max_length))
            }
            Kind::Date => {
                let d0 = jiff::civil::date(1990, 1, 1);
                let d = d0
                    .checked_add(jiff::Span::new().days(rng.range(0, 11_322)))
                    .unwrap_or(d0);
                AnswerValue::Text(d.to_string())
            }
            // Never drawn: notes have no answer, calculations are computed (`fill`).
            Kind::Note | Kind::Calculate { .. } => AnswerValue::Text(String::new()),
        };
        let other = qq
            .options
            .iter()
            .any(|o| {
                o.other
                    && match &value {
                        AnswerValue::Text(c) => *c == o.code,
                        AnswerValue::Codes(cs) => cs.contains(&o.code),
                        AnswerValue::Number(_) => false,
                    }
            })
            .then(|| t.other[rng.below(t.other.len())].to_string());
        (value, other)
    }

    /// Walks the questionnaire in order, asking every relevant question not yet asked, marking
    /// answers of questions that are no longer relevant, until the end or the stop point.
    fn fill(&self, st: &mut State, rng: &mut Rng, preset: Option<&(usize, String)>) {
        self.walk(st, rng, preset);
        // Relevance and calculations as the interviewer would have left them (a condition on a
        // question later in the questionnaire is only right after the walk); a question whose
        // code its choice filter no longer offers is asked again, as the interviewer would be.
        for _ in 0..4 {
            let clock = st.clock();
            let rules =
                crate::interview::logic::apply_rules_in(self.q, &mut st.answers, &mut st.rosters, clock.as_ref());
            let (rel, stale) = (rules.rel, rules.stale);
            let Some(qi) = stale
                .iter()
                .enumerate()
                .position(|(i, &s)| s && self.q.questions[i].roster.is_none())
            else {
                break;
            };
            if st.stop.is_some() {
                break;
            }
            let asked: Vec<bool> = rel.iter().zip(&stale).map(|(r, s)| *r || *s).collect();
            self.ask(st, rng, qi, &asked, None);
        }
    }

    fn walk(&self, st: &mut State, rng: &mut Rng, preset: Option<&(usize, String)>) {
        let q = self.q;
        let mut rel: Vec<bool> = Vec::with_capacity(q.questions.len());
        let mut relevant_seen = 0usize;
        for (bi, b) in q.blocks.iter().enumerate() {
            let block_ok = {
                let env = AnswerEnv {
                    q,
                    answers: &st.answers,
                    relevant: &rel,
                    current: Value::Null,
                    clock: None,
                };
                b.relevant.as_ref().is_none_or(|e| e.test(&env))
            };
            if bi > 0 && block_ok && st.stop.is_none() && rng.chance(0.05) {
                st.pause_ms += rng.range(120_000, 900_000) as u64;
            }
            for qi in b.questions.clone() {
                // A roster's questions are asked per instance, when the walk comes to it.
                if let Some(r) = q.questions[qi].roster {
                    rel.push(false);
                    if q.rosters[r].parent.is_none()
                        && q.rosters[r].questions.start == qi
                        && st.stop.is_none_or(|k| relevant_seen < k)
                    {
                        self.fill_roster(st, rng, r, At::TOP);
                    }
                    continue;
                }
                let ok = block_ok && {
                    let env = AnswerEnv {
                        q,
                        answers: &st.answers,
                        relevant: &rel,
                        current: Value::Null,
                        clock: None,
                    };
                    q.questions[qi].relevant.as_ref().is_none_or(|e| e.test(&env))
                };
                rel.push(ok);
                let var = &q.questions[qi].id;
                if !ok {
                    if let Some(a) = st.answers.get_mut(var) {
                        a.relevant = false;
                    }
                    continue;
                }
                if let Some(a) = st.answers.get_mut(var)
                    && !a.relevant
                {
                    a.relevant = true;
                }
                if q.questions[qi].calculation().is_some() {
                    // Computed, never asked; brought fully up to date (questions referred to
                    // later in the questionnaire included) when the walk ends.
                    let clock = st.clock();
                    crate::interview::logic::apply_rules_in(q, &mut st.answers, &mut st.rosters, clock.as_ref());
                    continue;
                }
                if st.asked.contains(&qi) {
                    self.recheck(st, rng, qi, &rel);
                    continue;
                }
                relevant_seen += 1;
                if st.stop.is_some_and(|k| relevant_seen > k) {
                    return;
                }
                self.ask(st, rng, qi, &rel, preset);
            }
        }
    }

    /// The instances of roster `r` inside `parent`, as an interviewer fills them: as many as its
    /// count, or for a roster the interviewer adds to a plausible number between its `min` and
    /// `max` (mostly a few); in each, its questions in order (relevance, checks and choice
    /// filters of that instance), and the rosters nested in it.
    fn fill_roster(&self, st: &mut State, rng: &mut Rng, r: usize, parent: At) {
        use crate::interview::logic::{apply_rules_in, apply_rules_in_after, fit_counts, instance_mut, instances_of};
        let q = self.q;
        let ro = &q.rosters[r];
        let clock = st.clock();
        let mut rules = apply_rules_in(q, &mut st.answers, &mut st.rosters, clock.as_ref());
        let tree = Owned {
            answers: &st.answers,
            rosters: &st.rosters,
        };
        if !crate::interview::logic::roster_is_relevant(q, &tree, &rules, clock.as_ref(), r, parent) {
            return;
        }
        st.t_ms += rng.range(1_000, 5_000) as u64;
        if ro.count.is_some() {
            for (rr, what) in fit_counts(q, &st.answers, &mut st.rosters, &rules, clock.as_ref()) {
                if let crate::interview::logic::CountFit::Added(a) = what {
                    st.event_at(EventKind::Added, &q.rosters[rr].id, a);
                }
            }
        } else {
            let lo = ro.min.unwrap_or(0);
            let hi = ro.max.unwrap_or(lo + 8).min(lo + 20).max(lo);
            // Mostly a few: the smaller of two draws.
            let k = lo + (rng.below((hi - lo + 1) as usize).min(rng.below((hi - lo + 1) as usize))) as u32;
            let level = match ro.parent {
                None => &mut st.rosters,
                Some(p) => match instance_mut(q, &mut st.rosters, p, parent) {
                    Some(i) => &mut i.rosters,
                    None => return,
                },
            };
            let list = level.entry(ro.id.clone()).or_default();
            // Walked again (after a revised answer): the instances added the first time stand.
            let k = if list.is_empty() { k } else { 0 };
            let first = list.len() as u32;
            list.extend((0..k).map(|_| Instance::default()));
            for i in first..first + k {
                if let Some(a) = parent.child(i) {
                    st.event_at(EventKind::Added, &ro.id, a);
                }
            }
        }
        // The new instances come under the rules.
        rules = apply_rules_in(q, &mut st.answers, &mut st.rosters, clock.as_ref());
        let n = instances_of(q, &st.rosters, r, parent).map_or(0, <[Instance]>::len);
        for k in 0..n {
            let Some(at) = parent.child(k as u32) else { continue };
            if !instances_of(q, &st.rosters, r, parent).is_some_and(|v| v[k].live()) {
                continue;
            }
            let mut j = ro.questions.start;
            while j < ro.questions.end {
                let qq = &q.questions[j];
                if qq.roster != Some(r) {
                    // A roster nested here: filled where it opens.
                    if let Some(c) = q
                        .rosters
                        .iter()
                        .position(|x| x.parent == Some(r) && x.questions.start == j)
                    {
                        self.fill_roster(st, rng, c, at);
                        j = q.rosters[c].questions.end;
                        let clock = st.clock();
                        rules = apply_rules_in(q, &mut st.answers, &mut st.rosters, clock.as_ref());
                    } else {
                        j += 1;
                    }
                    continue;
                }
                j += 1;
                if !qq.is_interviewed() || !rules.rel(q, j - 1, at) {
                    continue;
                }
                let qi = j - 1;
                // Asked already (the walk came here again after a revised answer).
                if crate::interview::logic::instance(q, &st.rosters, r, at)
                    .is_some_and(|i| i.answers.get(&qq.id).is_some_and(|a| a.value.is_some()))
                {
                    continue;
                }
                st.t_ms += rng.range(800, 3_000) as u64;
                st.event_at(EventKind::Shown, &qq.id, at);
                st.t_ms += rng.range(3_000, 20_000) as u64;
                if !qq.required && !rng.chance(0.8) {
                    continue;
                }
                let clock = st.clock();
                let checks = Checks {
                    q,
                    rel: &rules.rel,
                    answers: &st.answers,
                    clock: clock.as_ref(),
                    scope: Some(Scope {
                        rosters: &st.rosters,
                        rules: &rules,
                        at,
                    }),
                };
                let Some((mut a, confirmed)) = self.valid_answer(qi, &checks, rng, None) else {
                    continue;
                };
                a.answered_at = Some(rfc3339(st.started_ms + st.t_ms + st.pause_ms));
                let Some(inst) = instance_mut(q, &mut st.rosters, r, at) else {
                    continue;
                };
                inst.answers.insert(qq.id.clone(), a);
                st.event_at(EventKind::Answered, &qq.id, at);
                if confirmed {
                    st.event_at(EventKind::Confirmed, &qq.id, at);
                }
                rules = apply_rules_in_after(q, &mut st.answers, &mut st.rosters, clock.as_ref(), qi, at, rules);
            }
        }
    }

    fn ask(&self, st: &mut State, rng: &mut Rng, qi: usize, rel: &[bool], preset: Option<&(usize, String)>) {
        let q = self.q;
        let qq = &q.questions[qi];
        st.asked.insert(qi);
        st.t_ms += rng.range(800, 3_000) as u64;
        st.event(EventKind::Shown, &qq.id);
        let think = |rng: &mut Rng| -> u64 {
            (match qq.kind {
                Kind::Note => rng.range(3_000, 15_000),
                Kind::Calculate { .. } => 0,
                Kind::Single => rng.range(4_000, 25_000),
                Kind::Multi { .. } => rng.range(8_000, 45_000),
                Kind::Number { .. } | Kind::Date => rng.range(4_000, 15_000),
                Kind::Text { .. } => rng.range(15_000, 60_000),
                Kind::LongText { .. } => rng.range(30_000, 180_000),
            }) as u64
        };
        st.t_ms += think(rng);
        if !qq.is_answerable() {
            return;
        }
        if !qq.required {
            let p = match qq.kind {
                Kind::LongText { .. } => 0.3,
                Kind::Text { .. } => 0.6,
                _ => 0.85,
            };
            if !rng.chance(p) {
                return;
            }
        }
        let Some((answer, confirmed)) =
            self.valid_answer(qi, &flat_checks(q, rel, &st.answers, st.clock().as_ref()), rng, preset)
        else {
            return;
        };
        st.answers.insert(qq.id.clone(), answer);
        st.event(EventKind::Answered, &qq.id);
        if preset.is_none_or(|p| p.0 != qi) && rng.chance(0.04) {
            // Corrected a moment later: the first value is overwritten by a second valid one.
            st.t_ms += rng.range(2_000, 10_000) as u64;
            if let Some((a, c)) =
                self.valid_answer(qi, &flat_checks(q, rel, &st.answers, st.clock().as_ref()), rng, None)
            {
                let old_remark = st.answers.get(&qq.id).and_then(|x| x.remark.clone());
                st.answers.insert(
                    qq.id.clone(),
                    Answer {
                        remark: old_remark,
                        ..a
                    },
                );
                st.event(EventKind::Changed, &qq.id);
                if c {
                    st.event(EventKind::Confirmed, &qq.id);
                }
            }
        } else if confirmed {
            st.t_ms += rng.range(1_000, 4_000) as u64;
            st.event(EventKind::Confirmed, &qq.id);
        }
        if rng.chance(0.02) {
            st.t_ms += rng.range(10_000, 40_000) as u64;
            let r = self.texts.remark[rng.below(self.texts.remark.len())].to_string();
            if let Some(a) = st.answers.get_mut(&qq.id) {
                a.remark = Some(r);
            }
            st.event(EventKind::Remark, &qq.id);
        }
        let at = rfc3339(st.started_ms + st.t_ms + st.pause_ms);
        if let Some(a) = st.answers.get_mut(&qq.id) {
            a.answered_at = Some(at);
        }
    }

    /// After an earlier answer changed, an answer may no longer pass its checks (they can refer
    /// to earlier answers): the interviewer corrects it, or confirms a new soft warning.
    fn recheck(&self, st: &mut State, rng: &mut Rng, qi: usize, rel: &[bool]) {
        let q = self.q;
        let var = &q.questions[qi].id;
        let Some(a) = st.answers.get(var).filter(|a| a.value.is_some()) else {
            return;
        };
        let clock = st.clock();
        let checks = Checks {
            q,
            rel,
            answers: &st.answers,
            clock: clock.as_ref(),
            scope: None,
        };
        let hard = checks.hard(qi, a).is_some();
        let soft = !a.warning_confirmed && checks.soft(qi, a).is_some();
        if !hard && !soft {
            return;
        }
        st.t_ms += rng.range(3_000, 15_000) as u64;
        if !hard && rng.chance(0.5) {
            if let Some(a) = st.answers.get_mut(var) {
                a.warning_confirmed = true;
            }
            st.event(EventKind::Confirmed, var);
            return;
        }
        if let Some((new, confirmed)) =
            self.valid_answer(qi, &flat_checks(q, rel, &st.answers, st.clock().as_ref()), rng, None)
        {
            let remark = st.answers.get(var).and_then(|x| x.remark.clone());
            let at = rfc3339(st.started_ms + st.t_ms + st.pause_ms);
            st.answers.insert(
                var.clone(),
                Answer {
                    remark,
                    answered_at: Some(at),
                    ..new
                },
            );
            st.event(EventKind::Changed, var);
            if confirmed {
                st.event(EventKind::Confirmed, var);
            }
        }
    }

    /// A value that passes the hard checks; soft warnings are usually avoided by drawing again
    /// (as an interviewer re-asks), otherwise confirmed. `None` if nothing valid was found.
    fn valid_answer(
        &self,
        qi: usize,
        checks: &Checks<'_>,
        rng: &mut Rng,
        preset: Option<&(usize, String)>,
    ) -> Option<(Answer, bool)> {
        let q = self.q;
        let mut fallback = None;
        // A default: half of the interviewers keep it (confirmed with Enter).
        let default = match &q.questions[qi].default {
            Some(crate::questionnaire::QuestionDefault::Value(v)) => Some(v.clone()),
            Some(crate::questionnaire::QuestionDefault::Calculation(e)) => checks.evaluate(qi, Value::Null, |env| {
                crate::interview::logic::as_answer(&q.questions[qi], e.eval(env))
            }),
            None => None,
        }
        .filter(|_| rng.chance(0.5));
        // A choice filter: draw among the options it offers (a settlement of the district).
        let offered = q.questions[qi].choice_filter.as_ref().map(|_| {
            checks.evaluate(qi, Value::Null, |env| {
                crate::interview::logic::offered_options(q, &q.questions[qi], env)
            })
        });
        if offered.as_ref().is_some_and(Vec::is_empty) {
            return None;
        }
        for attempt in 0..40 {
            let (value, other) = match (preset, &offered) {
                (Some((pi, code)), _) if *pi == qi && attempt == 0 => (AnswerValue::Text(code.clone()), None),
                _ if attempt == 0 && default.is_some() => (default.clone().unwrap_or(AnswerValue::Number(0.0)), None),
                (_, Some(offered)) => {
                    let qq = &q.questions[qi];
                    let pick = |rng: &mut Rng| qq.options[offered[rng.below(offered.len())]].code.clone();
                    let v = if matches!(qq.kind, Kind::Multi { .. }) {
                        let mut codes = vec![pick(rng)];
                        let extra = pick(rng);
                        if !codes.contains(&extra)
                            && !qq
                                .options
                                .iter()
                                .any(|o| o.exclusive && (o.code == extra || o.code == codes[0]))
                        {
                            codes.push(extra);
                        }
                        codes.sort_by_key(|c| qq.options.iter().position(|o| o.code == *c));
                        AnswerValue::Codes(codes)
                    } else {
                        AnswerValue::Text(pick(rng))
                    };
                    (v, None)
                }
                _ => self.draw_value(qi, rng),
            };
            let a = Answer {
                value: Some(value),
                other,
                relevant: true,
                ..Answer::default()
            };
            if checks.hard(qi, &a).is_some() {
                continue;
            }
            if checks.soft(qi, &a).is_some() {
                if fallback.is_none() {
                    fallback = Some(a);
                }
                if rng.chance(0.75) {
                    continue;
                }
                let a = Answer {
                    warning_confirmed: true,
                    ..fallback.take().unwrap_or_default()
                };
                return Some((a, true));
            }
            return Some((a, false));
        }
        fallback.map(|a| {
            (
                Answer {
                    warning_confirmed: true,
                    ..a
                },
                true,
            )
        })
    }

    /// Goes back to a single-choice answer (a filter question if possible), changes it, and walks
    /// on from there.
    fn revise(&self, st: &mut State, rng: &mut Rng) {
        let q = self.q;
        let mut filters = BTreeSet::new();
        let exprs = q.blocks.iter().filter_map(|b| b.relevant.as_ref());
        for e in exprs.chain(q.questions.iter().filter_map(|x| x.relevant.as_ref())) {
            filters.extend(e.refs().into_iter().map(|(name, _)| name.to_string()));
        }
        let mut candidates: Vec<usize> = (0..q.questions.len())
            .filter(|&i| {
                let qq = &q.questions[i];
                qq.kind == Kind::Single
                    && Some(i) != self.district
                    && qq.options.len() > 1
                    && st.answers.get(&qq.id).is_some_and(|a| a.relevant && a.value.is_some())
            })
            .collect();
        if candidates.iter().any(|&i| filters.contains(&q.questions[i].id)) {
            candidates.retain(|&i| filters.contains(&q.questions[i].id));
        }
        if candidates.is_empty() {
            return;
        }
        let qi = candidates[rng.below(candidates.len())];
        let qq = &q.questions[qi];
        let old = st.answers[&qq.id].value.clone();
        // Relevance up to qi (earlier answers are unchanged, so it is as it was).
        let clock = st.clock();
        let rel = crate::interview::logic::relevance(q, &st.answers, clock.as_ref());
        for _ in 0..10 {
            let Some((a, confirmed)) = self.valid_answer(
                qi,
                &flat_checks(q, &rel[..=qi], &st.answers, st.clock().as_ref()),
                rng,
                None,
            ) else {
                return;
            };
            if a.value == old {
                continue;
            }
            st.t_ms += rng.range(5_000, 30_000) as u64;
            let remark = st.answers.get(&qq.id).and_then(|x| x.remark.clone());
            let at = rfc3339(st.started_ms + st.t_ms + st.pause_ms);
            st.answers.insert(
                qq.id.clone(),
                Answer {
                    remark,
                    answered_at: Some(at),
                    ..a
                },
            );
            st.event(EventKind::Changed, &qq.id);
            if confirmed {
                st.event(EventKind::Confirmed, &qq.id);
            }
            self.fill(st, rng, None);
            return;
        }
    }
}

struct State {
    answers: BTreeMap<String, Answer>,
    /// The rosters' instances.
    rosters: Rosters,
    /// The instance of `position` (1-based), when it is in a roster.
    position_at: Vec<u32>,
    paradata: Vec<Event>,
    asked: BTreeSet<usize>,
    /// Interview clock (pauses excluded).
    t_ms: u64,
    /// Pauses, on the wall clock only.
    pause_ms: u64,
    revision: u64,
    started_ms: u64,
    /// In-progress interviews stop before the k-th relevant question.
    stop: Option<usize>,
    position: Option<String>,
}

impl State {
    /// The wall clock of the interview now (what `today()` and `now()` read), in UTC.
    fn clock(&self) -> Option<jiff::ZonedDateTime> {
        crate::interview::logic::record_clock(&rfc3339(self.started_ms + self.t_ms + self.pause_ms))
    }

    /// Logs an event; every change is saved, so it bumps the revision (as the interviewer does).
    fn event(&mut self, ev: EventKind, q: &str) {
        self.event_at(ev, q, At::TOP);
    }

    /// [`State::event`] at an instance.
    fn event_at(&mut self, ev: EventKind, q: &str, at: At) {
        self.revision += 1;
        let at: Vec<u32> = at.as_slice().iter().map(|i| i + 1).collect();
        if ev == EventKind::Shown {
            self.position = Some(q.to_string());
            self.position_at = at.clone();
        }
        self.paradata.push(Event {
            ms: self.t_ms,
            ev,
            q: q.to_string(),
            gap_s: None,
            at,
        });
    }
}

fn rfc3339(ms: u64) -> String {
    jiff::Timestamp::from_second((ms / 1000) as i64)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn truncate(s: &str, max: u32) -> String {
    s.chars().take(max as usize).collect()
}

#[derive(Debug)]
struct Phrases {
    short: &'static [&'static str],
    long: &'static [&'static str],
    other: &'static [&'static str],
    remark: &'static [&'static str],
}

static RU: Phrases = Phrases {
    short: &[
        "нет помещения",
        "не было необходимости",
        "не знали, куда обращаться",
        "нет времени",
        "всё решаем сами",
    ],
    long: &[
        "Нужно чаще встречаться с администрацией района.",
        "Хотелось бы больше информации о конкурсах и грантах.",
        "Администрация поселения помогает, но ресурсов мало.",
        "Предлагаем проводить совместные семинары для активистов ТОС.",
        "Нет транспорта, чтобы ездить на мероприятия в район.",
        "Нужна помощь в подготовке заявок на гранты.",
        "Хотим, чтобы нас приглашали на заседания общественного совета.",
        "Всё устраивает.",
    ],
    other: &[
        "клуб по интересам",
        "совет ветеранов",
        "помощь в ремонте",
        "казачий хор",
        "по просьбе главы поселения",
        "через знакомых",
    ],
    remark: &[
        "Респондент затруднился, ответ уточнён.",
        "Ответ со слов председателя ТОС.",
        "Респондент просил не записывать подробности.",
        "Интервью прерывалось на телефонный звонок.",
    ],
};

static EN: Phrases = Phrases {
    short: &[
        "no premises",
        "there was no need",
        "did not know whom to ask",
        "no time",
        "we manage on our own",
    ],
    long: &[
        "Meet the district administration more often.",
        "We would like more information on grant competitions.",
        "The settlement administration helps, but resources are scarce.",
        "Joint seminars for activists would help.",
        "Everything is fine.",
    ],
    other: &["hobby club", "veterans' council", "repairs", "through acquaintances"],
    remark: &[
        "The respondent hesitated; the answer was clarified.",
        "Answered by the chair of the organisation.",
        "Interrupted by a phone call.",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interview::logic::relevance;
    use crate::questionnaire::fixtures;
    use crate::record::fit;
    use crate::test_support::has_all;

    fn check_record(q: &Questionnaire, r: &Record) {
        fit(q, r).unwrap_or_else(|e| panic!("{}: {e}", r.id));
        let rel = relevance(
            q,
            &r.answers,
            crate::interview::logic::record_clock(&r.updated).as_ref(),
        );
        for (i, qq) in q.questions.iter().enumerate() {
            match r.answers.get(&qq.id) {
                Some(a) => {
                    assert_eq!(a.relevant, rel[i], "{}: {} relevance flag", r.id, qq.id);
                    if a.relevant {
                        let clock = crate::interview::logic::record_clock(&r.updated);
                        let checks = Checks {
                            q,
                            rel: &rel,
                            answers: &r.answers,
                            clock: clock.as_ref(),
                            scope: None,
                        };
                        assert_eq!(checks.hard(i, a), None, "{}: {}", r.id, qq.id);
                        if checks.soft(i, a).is_some() {
                            assert!(a.warning_confirmed, "{}: {} unconfirmed warning", r.id, qq.id);
                        }
                    }
                }
                None if r.status == Status::Completed && rel[i] && qq.is_answerable() => {
                    assert!(!qq.required, "{}: required {} unanswered", r.id, qq.id);
                }
                None => {}
            }
        }
        assert!(r.updated >= r.started);
        assert_eq!(r.status == Status::Completed, r.completed.is_some());
        let ms: Vec<u64> = r.paradata.iter().map(|e| e.ms).collect();
        assert!(ms.windows(2).all(|w| w[0] <= w[1]), "paradata in time order");
        assert!(r.duration_ms >= *ms.last().unwrap_or(&0));
        assert!(uuid::Uuid::parse_str(&r.id).unwrap().get_version_num() == 7);
    }

    #[test]
    fn records_respect_relevance_checks_and_limits() {
        for q in fixtures::all() {
            let name = q.id.as_str();
            let sim = Simulator::new(
                &q,
                Options {
                    seed: 7,
                    incomplete_share: 0.2,
                    ..Options::default()
                },
            );
            let mut irrelevant_kept = 0;
            for n in 0..400 {
                let r = sim.record(n);
                check_record(&q, &r);
                irrelevant_kept += r.answers.values().filter(|a| !a.relevant).count();
            }
            if name != "every_type" {
                assert!(irrelevant_kept > 0, "{name}: some answers kept as not relevant");
            }
        }
    }

    #[test]
    fn an_interview_whose_required_question_cannot_be_answered_stays_in_progress() {
        // No drawn text passes the constraint: as in the interviewer, no completion.
        let src = serde_json::json!({
            "id": "hard", "version": "1", "title": "H", "language": "en",
            "blocks": [{"id": "b", "title": "B", "questions": [
                {"id": "n", "type": "number", "text": "N", "min": 0, "max": 10},
                {"id": "code", "type": "text", "text": "Code", "constraint": "regex(., '^[0-9]{13}$')"}
            ]}]
        });
        let q = crate::questionnaire::load("hard.json", &src.to_string()).unwrap();
        let sim = Simulator::new(&q, Options::default());
        for n in 0..50 {
            let r = sim.record(n);
            check_record(&q, &r);
            assert_eq!(r.status, Status::InProgress, "{}", r.id);
        }
    }

    #[test]
    fn same_seed_same_records_other_seed_other_records() {
        let q = fixtures::nko();
        let a = Simulator::new(&q, Options::default());
        let b = Simulator::new(&q, Options::default());
        let c = Simulator::new(
            &q,
            Options {
                seed: 2,
                ..Options::default()
            },
        );
        assert_eq!(a.record(5).to_json(), b.record(5).to_json());
        assert_ne!(a.record(5).to_json(), c.record(5).to_json());
        assert_ne!(a.record(5).id, a.record(6).id);
        let demo = fixtures::every_type();
        let d = Simulator::new(&demo, Options::default());
        assert_ne!(d.record(5).id, a.record(5).id, "other questionnaire, other ids");
        assert_eq!(d.interviewers(), a.interviewers(), "same laptops");
    }

    #[test]
    fn incomplete_share_is_exact_and_spread() {
        let q = fixtures::every_type();
        let sim = Simulator::new(
            &q,
            Options {
                incomplete_share: 0.25,
                ..Options::default()
            },
        );
        let n = (0..100).filter(|&i| sim.is_incomplete(i)).count();
        assert_eq!(n, 25);
        let r = (0..100)
            .map(|i| sim.record(i))
            .filter(|r| r.status == Status::InProgress)
            .count();
        assert_eq!(r, 25);
    }

    #[test]
    fn weights_shape_the_marginals() {
        let q = fixtures::nko();
        let w = parse_weights(
            &q,
            r#"{"interaction": {"yes": 3, "no": 1}, "goals": {"grants": 0.8, "consulting": 0.6, "contracts": 0.5, "dont_know": 0.1}}"#,
        )
        .unwrap();
        let sim = Simulator::new(
            &q,
            Options {
                weights: w,
                ..Options::default()
            },
        );
        let recs: Vec<Record> = (0..2000).map(|i| sim.record(i)).collect();
        let share = |f: &dyn Fn(&Record) -> bool| recs.iter().filter(|r| f(r)).count() as f64 / recs.len() as f64;
        let val = |r: &Record, v: &str| r.answers.get(v).filter(|a| a.relevant).and_then(|a| a.value.clone());
        let yes = share(&|r| val(r, "interaction") == Some(AnswerValue::Text("yes".into())));
        assert!((0.70..0.80).contains(&yes), "interaction yes {yes}");
        assert_eq!(
            share(&|r| val(r, "interaction") == Some(AnswerValue::Text("dont_know".into()))),
            0.0
        );
        let has =
            |r: &Record, c: &str| matches!(val(r, "goals"), Some(AnswerValue::Codes(cs)) if cs.iter().any(|x| x == c));
        let grants = share(&|r| has(r, "grants"));
        let dk = share(&|r| has(r, "dont_know"));
        assert!((0.75..0.85).contains(&grants), "grants {grants}");
        assert!((0.07..0.13).contains(&dk), "dont_know {dk}");
    }

    #[test]
    fn bad_weights_are_all_reported() {
        let q = fixtures::nko();
        let errs = parse_weights(
            &q,
            r#"{"interactoin": {"yes": 1}, "members_count": {"1": 1}, "goals": {"grants": 80, "nope": 1}, "interaction": {"yes": -1}}"#,
        )
        .unwrap_err();
        let all = errs.join("\n");
        assert!(
            all.contains("`interactoin`: no such variable in `nko`; did you mean `interaction`?"),
            "{all}"
        );
        has_all(
            &all,
            &[
                "`members_count` is a number question",
                "`goals`.`grants`: 80 — for a multi question",
                "`goals`: no option with code `nope`",
            ],
        );
        assert!(
            all.contains("`interaction`.`yes`: the weight must be a number ≥ 0"),
            "{all}"
        );
        assert_eq!(errs.len(), 5);
    }

    #[test]
    fn districts_decide_interviewers() {
        let q = fixtures::nko();
        let sim = Simulator::new(
            &q,
            Options {
                interviewers: 4,
                ..Options::default()
            },
        );
        let mut by_district: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for i in 0..300 {
            let r = sim.record(i);
            let Some(AnswerValue::Text(d)) = r.answers["district"].value.clone() else {
                panic!()
            };
            by_district.entry(d).or_default().insert(r.interviewer);
        }
        assert!(by_district.values().all(|s| s.len() == 1));
        assert_eq!(sim.interviewers()[0].code, "I01");
    }
}

#[cfg(test)]
mod roster_tests {
    use super::*;
    use crate::interview::session::Session;
    use std::sync::Arc;

    /// Simulated interviews of the nested roster demo: counts kept, the interviewer's own
    /// completion rule holds for the completed ones, aggregates agree with the instances, and
    /// an instance's answers obey its relevance.
    #[test]
    fn rosters_are_simulated_with_their_counts_relevance_and_aggregates() {
        let q = crate::questionnaire::bundled("projects").unwrap();
        let sim = Simulator::new(
            &q,
            Options {
                incomplete_share: 0.2,
                ..Options::default()
            },
        );
        let (mut completed, mut partners_seen, mut many) = (0, 0, 0);
        for n in 0..60 {
            let rec = sim.record(n);
            assert_eq!(rec.format, FORMAT_V2);
            crate::record::fit(&q, &rec).unwrap_or_else(|e| panic!("{n}: {e}"));
            let projects = rec.rosters.get("projects").map_or(&[][..], Vec::as_slice);
            let live: Vec<&Instance> = projects.iter().filter(|i| i.live()).collect();
            let num = |a: &BTreeMap<String, Answer>, k: &str| match a.get(k).and_then(|a| a.value.clone()) {
                Some(AnswerValue::Number(x)) => Some(x),
                _ => None,
            };
            if rec.status == Status::Completed {
                completed += 1;
                let s = Session::open(Arc::new(q.clone()), rec.clone());
                assert!(
                    !s.review_rows().into_iter().any(|p| s.row_problem(p)),
                    "{n}: completed with a problem"
                );
                assert_eq!(
                    num(&rec.answers, "n_projects").map(|x| x as usize),
                    Some(live.len()),
                    "{n}"
                );
                let partners: usize = live
                    .iter()
                    .map(|i| {
                        i.rosters
                            .get("partners")
                            .map_or(0, |v| v.iter().filter(|x| x.live()).count())
                    })
                    .sum();
                partners_seen += partners;
                assert_eq!(num(&rec.answers, "partners_total"), Some(partners as f64), "{n}");
                many += usize::from(live.len() >= 5);
                for (k, p) in live.iter().enumerate() {
                    assert_eq!(num(&p.answers, "project_no"), Some((k + 1) as f64), "{n}: position");
                    let granted = matches!(p.answers.get("grant").and_then(|a| a.value.clone()), Some(AnswerValue::Text(t)) if t == "yes");
                    let amount = p
                        .answers
                        .get("grant_amount")
                        .is_some_and(|a| a.relevant && a.value.is_some());
                    assert_eq!(granted, amount, "{n}: the amount only with a grant");
                }
            }
        }
        assert!(completed >= 40, "{completed}");
        // An interviewer-driven roster never has more than its max, even when the walk came
        // back to it after a revised answer.
        for n in 0..200 {
            let rec = sim.record(n);
            for p in rec.rosters.get("projects").into_iter().flatten() {
                let partners = p.rosters.get("partners").map_or(0, Vec::len);
                assert!(partners <= 10, "{n}: {partners} partners");
            }
        }
        assert!(partners_seen > 0 && many > 0, "{partners_seen} {many}");
    }
}

/// The checks of an answer in an interview without rosters (or at its top level).
fn flat_checks<'a>(
    q: &'a Questionnaire,
    rel: &'a [bool],
    answers: &'a BTreeMap<String, Answer>,
    clock: Option<&'a jiff::ZonedDateTime>,
) -> Checks<'a> {
    Checks {
        q,
        rel,
        answers,
        clock,
        scope: None,
    }
}
