//! `anketa simulate`: plausible interview files, written exactly as the interviewer writes them.

use super::{Done, Error, Progress, emit};
use crate::diag::shown;
use crate::simulate::{Options, Simulator, parse_weights};
use crate::store::{self, DataDir};
use rayon::prelude::*;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// What to simulate (the arguments of `anketa simulate`).
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Questionnaire: a bundled id (`nko`, `omsu`, `demo`, `engine`, `projects`) or a path (.json, or an XLSForm .xlsx/.xls/.ods).
    #[arg(long, value_name = "Q")]
    pub questionnaire: String,
    /// Number of interviews.
    #[arg(long, value_name = "N")]
    pub count: u64,
    /// Output folder, laid out like a laptop's data dir (interviews/, questionnaires/).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed: the same seed gives the same files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Number of interviewers (each with their own laptop).
    #[arg(long, value_name = "K", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=999))]
    pub interviewers: u32,
    /// Share of interviews left in progress, from 0 to 1.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub incomplete_share: f64,
    /// JSON of target marginals: {"variable": {"code": weight, …}, …}.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Seal the completed interviews to this public key, as a laptop would: an `age1…` key or a
    /// .pub file of `anketa keygen` (repeatable; the questionnaire's `recipients` apply too).
    #[arg(long = "seal-to", value_name = "RECIPIENT")]
    pub seal_to: Vec<String>,
}

/// Writes `a.count` simulated interviews into `a.out` (on every core) and a line saying so.
pub fn simulate(a: &SimulateArgs, progress: &dyn Progress, out: &mut dyn Write) -> Result<Done, Error> {
    let q = store::resolve_questionnaire(&a.questionnaire)?;
    let share = a.incomplete_share;
    if !(0.0..=1.0).contains(&share) {
        return Err(Error::usage(format!(
            "--incomplete-share {share}: give a share from 0 to 1, e.g. 0.1"
        )));
    }
    let weights = match &a.weights {
        None => Default::default(),
        Some(p) => store::read_text(p, 10 * 1024 * 1024)
            .map_err(|e| vec![e.detail])
            .and_then(|s| parse_weights(&q, &s))
            .map_err(|errs| Error::Usage(errs.iter().map(|e| format!("{}: {e}", shown(p))).collect()))?,
    };
    let options = Options {
        seed: a.seed,
        interviewers: a.interviewers,
        incomplete_share: share,
        weights,
    };
    let seal_to = q
        .recipients
        .clone()
        .union(&store::recipients(&a.seal_to).map_err(Error::Usage)?);
    let sim = Simulator::new(&q, options);
    let dir = DataDir::at(&a.out);
    dir.ensure()
        .and_then(|()| dir.keep_questionnaire(&q).map(drop))
        .map_err(|e| Error::Failed(format!("{}: {}", shown(&a.out), store::io_reason(&e))))?;
    let done = AtomicU64::new(0);
    // Counted as written: an interview meant to be completed stays in progress when a required
    // answer could not be drawn (or a roster's instances could not all be filled).
    let in_progress = AtomicU64::new(0);
    let saved = (0..a.count).into_par_iter().try_for_each(|n| {
        let rec = sim.record(n);
        if rec.status == crate::record::Status::InProgress {
            in_progress.fetch_add(1, Ordering::Relaxed);
        }
        dir.save(&rec, &seal_to).map_err(|e| (dir.interview_path(&rec), e))?;
        progress.update(done.fetch_add(1, Ordering::Relaxed) + 1, a.count);
        Ok::<(), (PathBuf, std::io::Error)>(())
    });
    progress.finish();
    saved.map_err(|(p, e)| Error::Failed(format!("{}: {}", shown(&p), store::io_reason(&e))))?;
    let incomplete = in_progress.into_inner();
    let sealed = if seal_to.is_empty() {
        String::new()
    } else {
        format!(", sealed to {} key(s)", seal_to.len())
    };
    let line = format!(
        "wrote {} interview(s) of `{}` version {} ({} completed{sealed}, {incomplete} in progress) by {} interviewer(s) to {}\n",
        a.count,
        q.id,
        q.version,
        a.count - incomplete,
        sim.interviewers().len(),
        shown(&dir.interviews())
    );
    emit(out, line.as_bytes())?;
    Ok(Done::All)
}
