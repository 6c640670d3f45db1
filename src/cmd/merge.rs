//! `anketa merge`: many laptops' files → one clean data set with exports and a merge report.
//!
//! The steps: check the output folder and the questionnaires; read every input while writing the
//! winners (`store::read_and_write`); decide with the pure rules (`merge::decide`); put the data
//! set in place and write what the output plan (`merge::plan`) names — codebooks, syntax,
//! questionnaire copies, the losing copies of conflicts — then remove what an earlier merge into
//! the same folder left and is no longer written; the merge report last.

use super::{Done, Error, Progress, emit};
use crate::diag::shown;
use crate::export::{codebook, spss};
use crate::file_names;
use crate::merge::plan::{self, REPORT_FILE};
use crate::merge::{Catalog, MergeReport, Origin, PathReason, REPORT_FORMAT, Source, decide};
use crate::record::{Record, RecordView};
use crate::store::{self, Walk};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to merge (the arguments of `anketa merge`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MergeOptions {
    /// Interview files, NDJSON files or folders (searched recursively), in any order.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (new, empty, or the output of an earlier merge).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// A questionnaire file the interviews may need (repeatable); bundled ones are known.
    #[arg(long = "questionnaire", value_name = "PATH")]
    pub questionnaires: Vec<PathBuf>,
    /// Merge interviews still in progress too.
    #[arg(long)]
    pub include_incomplete: bool,
    /// CSV for Excel: UTF-8 BOM, `;` separators, decimal comma.
    #[arg(long)]
    pub excel: bool,
    /// The supervisor's secret key file (`anketa keygen`), to open sealed interviews
    /// (repeatable). Without the right one a sealed interview is kept under `sealed/`, not merged.
    #[arg(long = "identity", value_name = "FILE")]
    pub identities: Vec<PathBuf>,
    /// Seal the outputs that hold answers (data set, CSVs, drafts, conflicts, rejected records)
    /// to this public key, as `<name>.age` files: an `age1…` key or a .pub file (repeatable).
    #[arg(long = "seal-to", value_name = "RECIPIENT")]
    pub seal_to: Vec<String>,
}

/// Runs a merge, prints its summary on `out` and what was rejected on `err` (the first
/// 20, then a count). Exit status: 0 when every input was merged or accounted for
/// (duplicate, conflict, draft, discarded, ignored), 3 ([`Done::SomeRejected`]) when some input
/// was rejected (the outputs are written all the same), 2 for usage errors, 1 when the outputs
/// could not be written (then the previous outputs, or none, are left, and no temp file).
pub fn merge(
    opts: &MergeOptions,
    progress: &dyn Progress,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Done, Error> {
    let fresh = !opts.out.exists();
    let result = run(opts, &|done, total| progress.update(done, total));
    progress.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            if fresh {
                // Nothing was put in place: the folders this merge made go too.
                store::remove_merge_dirs(&opts.out);
            }
            return Err(match e {
                Error::Failed(m) => Error::Failed(format!(
                    "{m}; the merge did not finish: no output was changed (inputs are unchanged); \
                     free space or fix the folder, then run the same command again"
                )),
                other => other,
            });
        }
    };
    emit(out, report.summary(&shown(&opts.out)).as_bytes())?;
    if report.rejected.is_empty() && report.sealed.is_empty() {
        return Ok(Done::All);
    }
    emit(err, report.rejects_for_stderr(SHOW_ON_ERR).as_bytes())?;
    Ok(Done::SomeRejected)
}

/// How many rejects are printed on standard error (all are in `merge-report.json`).
const SHOW_ON_ERR: usize = 20;

/// The merge, up to its report (written, and returned). Every output is written and made
/// durable under a temp name first; only when all are, they are put in place, the report last.
pub fn run(opts: &MergeOptions, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<MergeReport, Error> {
    if opts.inputs.is_empty() {
        return Err(Error::usage("no input: name the files or folders to merge"));
    }
    let w = store::walk(&opts.inputs).map_err(|e| Error::usage(format!("{e} (an input to merge)")))?;
    let (old_outputs, mut problems) = match store::check_merge_out(&opts.out, &opts.inputs) {
        Ok(old) => (old, Vec::new()),
        Err(problems) => (Vec::new(), problems),
    };
    let (mut cat, given) = store::catalog(opts.excel, &opts.questionnaires);
    problems.extend(given);
    let ids = store::identities(&opts.identities).unwrap_or_else(|e| {
        problems.extend(e);
        Default::default()
    });
    let seal_to = store::recipients(&opts.seal_to).unwrap_or_else(|e| {
        problems.extend(e);
        Default::default()
    });
    if !problems.is_empty() {
        return Err(Error::Usage(problems));
    }
    let mut report = MergeReport {
        format: REPORT_FORMAT.into(),
        include_incomplete: opts.include_incomplete,
        ..MergeReport::default()
    };
    found_questionnaires(&w, &mut cat, &mut report);
    let mut written = store::read_and_write(&opts.out, &w.files, &cat, opts.include_incomplete, &ids, progress)
        .map_err(Error::Failed)?;
    let at = |s: Source| store::source_path(&w.files, s);
    report.files_read = w.files.len();
    // Everything read or listed, counted where it comes from (the lists must add up to it).
    let records_read = written.entries.len()
        + written.rejected.len()
        + written.ignored.len()
        + written.sealed.len()
        + report.rejected.len()
        + report.ignored.len()
        + w.discarded.len();
    let ignored: Vec<PathReason> = written
        .ignored
        .iter()
        .map(|(s, reason)| PathReason {
            path: at(*s),
            reason: reason.clone(),
            ..PathReason::default()
        })
        .collect();
    // Rejected records are kept as they were read, under `rejected/`, named by their content
    // (so merging an output again keeps them under the same names).
    let mut staged: Vec<store::Staged> = Vec::new();
    let mut outputs: BTreeSet<String> = BTreeSet::new();
    let mut rejected = Vec::with_capacity(written.rejected.len());
    for (src, r) in &written.rejected {
        let kept_as = match written.rejected_text(r).map_err(Error::Failed)? {
            Some(text) => {
                let name = file_names::rejected(&text);
                if outputs.insert(name.clone()) {
                    staged.push(write(&opts.out, &name, &text)?);
                }
                Some(name)
            }
            None => None,
        };
        rejected.push(PathReason {
            path: at(*src),
            reason: r.refusal.reason.clone(),
            violations: r.refusal.violations.clone(),
            kept_as,
        });
    }
    plan::account(&mut report, rejected, ignored);
    // Sealed records no identity opened: kept as they were read, under `sealed/`.
    for (src, left) in &written.sealed {
        let text = written.sealed_text(left).map_err(Error::Failed)?;
        let h = &left.head;
        let name = file_names::sealed(&h.questionnaire.id, &h.id, h.revision, &text);
        if outputs.insert(name.clone()) {
            staged.push(write(&opts.out, &name, &text)?);
        }
        report.sealed.push(crate::merge::ReportSealed {
            path: at(*src),
            id: h.id.clone(),
            questionnaire: h.questionnaire.id.clone(),
            revision: h.revision,
            reason: left.reason.clone(),
            kept_as: name,
        });
    }
    report.sealed.sort();
    written.hash_copies().map_err(Error::Failed)?;

    let d = decide(&written.entries, opts.include_incomplete);
    let files = plan::questionnaire_files(&cat, &written.entries, &d.merged);
    let commits = written.commit(&cat, &d.merged, &files).map_err(Error::Failed)?;
    outputs.insert(plan::NDJSON.into());
    for f in &files {
        let k = cat.get(f.qi);
        let merged = d
            .merged
            .iter()
            .filter(|&&i| written.entries[i].questionnaire as usize == f.qi)
            .count();
        staged.push(write(&opts.out, &f.codebook, &codebook::csv(&k.q, &k.layout))?);
        staged.push(write(&opts.out, &f.sps, &spss::syntax(&k.q, &k.layout, &f.csv))?);
        // The questionnaire itself, byte for byte: the data set carries its instrument, so a
        // later merge or report of it needs nothing else (even after the bundled copy changed).
        staged.push(write(&opts.out, &f.copy, k.q.source.as_bytes())?);
        // Each roster's long CSV (written with the data set) has its codebook and syntax too.
        for rf in &f.rosters {
            let layout = &k.rosters[rf.roster];
            staged.push(write(&opts.out, &rf.codebook, &codebook::csv(&k.q, layout))?);
            staged.push(write(&opts.out, &rf.sps, &spss::syntax(&k.q, layout, &rf.csv))?);
        }
        outputs.extend(f.names().cloned());
        report.merged.insert(f.stem.clone(), merged);
        report.questionnaires.push(plan::report_questionnaire(k, f, merged));
    }
    // The questionnaires of the records kept without being merged (conflict losers, drafts,
    // rejected records that break their rules) travel with them too.
    let mut kept_q: BTreeSet<usize> = d
        .conflicts
        .iter()
        .map(|c| c.loser)
        .chain(d.drafts.iter().copied())
        .map(|i| written.entries[i].questionnaire as usize)
        .collect();
    kept_q.extend(
        written
            .rejected
            .iter()
            .filter_map(|(_, r)| r.refusal.questionnaire.map(|q| q as usize)),
    );
    // And those of sealed interviews kept unopened, so that merging this output again with the
    // key needs nothing else.
    kept_q.extend(written.sealed.iter().filter_map(|(_, left)| {
        let q = &left.head.questionnaire;
        cat.find_parts(&q.id, &q.version, &q.sha256).ok()
    }));
    for qi in kept_q {
        let name = plan::copy_name(&cat, qi);
        if outputs.insert(name.clone()) {
            staged.push(write(&opts.out, &name, cat.get(qi).q.source.as_bytes())?);
        }
    }
    let path = |e: &crate::merge::Entry| at(e.source);
    let mut buf = Vec::new();
    // Conflicts: each loser as an interview file.
    for c in &d.conflicts {
        written.read(c.loser, &mut buf).map_err(Error::Failed)?;
        let rec: Record = serde_json::from_slice(&buf)
            .map_err(|e| Error::Failed(format!("spill file: cannot read back a record: {e}")))?;
        let name = file_names::conflict(&rec, &written.entries[c.loser].hash_hex());
        if outputs.insert(name.clone()) {
            staged.push(write(&opts.out, &name, &rec.to_json())?);
        }
        report
            .conflicts
            .push(plan::report_conflict(c, &written.entries, path, name));
    }
    for dup in &d.duplicates {
        report
            .duplicates
            .push(plan::report_duplicate(dup, &written.entries, path));
    }
    // Drafts not merged: kept in `drafts.ndjson`, one canonical line each, in order (a merge
    // input like `interviews.ndjson`).
    let merged_ids: std::collections::HashSet<uuid::Uuid> = d.merged.iter().map(|&i| written.entries[i].id).collect();
    // Each draft read back from where it was left (a few thousand in a large merge), on all
    // cores.
    report.in_progress_left_out = d
        .drafts
        .par_iter()
        .enumerate()
        .map_init(Vec::new, |buf, (n, &i)| {
            let (text, rec) = written.view(i, buf).map_err(Error::Failed)?;
            let hash = crate::merge::hex(&crate::merge::content_hash(text.as_bytes()));
            let e = &written.entries[i];
            Ok(crate::merge::ReportDraft {
                id: rec.id.as_str().to_owned(),
                path: path(e),
                questionnaire: rec.questionnaire.id.as_str().to_owned(),
                revision: rec.revision,
                updated: rec.updated.as_str().to_owned(),
                sha256: hash,
                interview_merged: merged_ids.contains(&e.id),
                saved_as: format!("{}:{}", plan::DRAFTS, n + 1),
            })
        })
        .collect::<Result<_, Error>>()?;
    if !d.drafts.is_empty() {
        staged.push(written.stage_lines(&d.drafts, plan::DRAFTS).map_err(Error::Failed)?);
        outputs.insert(plan::DRAFTS.into());
    }
    report.discarded = w
        .discarded
        .iter()
        .map(|(p, reason)| PathReason {
            path: p.clone(),
            reason: reason.clone(),
            ..PathReason::default()
        })
        .collect();
    report.incomplete = d
        .incomplete
        .par_iter()
        .map_init(Vec::new, |buf, &i| {
            let e = &written.entries[i];
            // The interviewer is not kept in memory: read it back from the record.
            written.read(i, buf).map_err(Error::Failed)?;
            let text = std::str::from_utf8(buf.trim_ascii_end()).unwrap_or_default();
            let interviewer = RecordView::parse(text)
                .map(|r| r.interviewer.as_str().to_owned())
                .unwrap_or_default();
            let q = &cat.get(e.questionnaire as usize).q.id;
            Ok(plan::report_incomplete(e, path(e), q, interviewer))
        })
        .collect::<Result<_, Error>>()?;
    report.records_read = records_read;
    report.accounting = crate::merge::Accounting {
        merged: d.merged.len(),
        duplicates: d.duplicates.iter().map(|x| x.copies.len()).sum(),
        conflict_losers: d.conflicts.len(),
        in_progress_left_out: d.drafts.len(),
        discarded: report.discarded.len(),
        rejected: report.rejected.len(),
        ignored: report.ignored.len(),
        sealed: report.sealed.len(),
    };
    if report.accounting.total() != records_read {
        return Err(Error::Failed(format!(
            "internal error: {records_read} record(s) read but {} accounted for; nothing was changed",
            report.accounting.total()
        )));
    }
    let mut big = commits.wait().map_err(Error::Failed)?;
    big.append(&mut staged);
    if !seal_to.is_empty() {
        (big, outputs) = seal_outputs(&opts.out, big, outputs, &seal_to)?;
        // The report stays readable (it says what was merged), without the answers' values.
        for r in &mut report.rejected {
            for v in &mut r.violations {
                v.value = "(sealed)".into();
            }
        }
    }
    outputs.insert(REPORT_FILE.into());
    report.outputs = outputs.iter().cloned().collect();
    // The report last: a merge output is one once its report is in place.
    big.push(write(&opts.out, REPORT_FILE, &report.to_json())?);
    store::put_all(big).map_err(|(p, e)| Error::Failed(format!("{}: {}", shown(&p), store::io_reason(&e))))?;
    for old in plan::stale_outputs(&old_outputs, &outputs) {
        store::remove_file(&opts.out.join(old));
    }
    for dir in plan::empty_dirs(&outputs) {
        store::remove_empty_dir(&opts.out.join(dir));
    }
    Ok(report)
}

/// The outputs that hold answers ([`plan::holds_answers`]) sealed to `to` as `<name>.age`,
/// and the names of all outputs after it.
fn seal_outputs(
    out: &Path,
    staged: Vec<store::Staged>,
    outputs: BTreeSet<String>,
    to: &crate::seal::Recipients,
) -> Result<(Vec<store::Staged>, BTreeSet<String>), Error> {
    let rel = |p: &Path| {
        p.strip_prefix(out)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default()
    };
    let mut sealed = Vec::with_capacity(staged.len());
    for s in staged {
        if plan::holds_answers(&rel(s.path())) {
            let p = s.path().to_path_buf();
            sealed.push(
                s.sealed(to)
                    .map_err(|e| Error::Failed(format!("{}: {}", shown(&p), store::io_reason(&e))))?,
            );
        } else {
            sealed.push(s);
        }
    }
    let names = outputs
        .into_iter()
        .map(|n| if plan::holds_answers(&n) { format!("{n}.age") } else { n })
        .collect();
    Ok((sealed, names))
}

/// Questionnaires found in `questionnaires/` folders beside the inputs: into the catalog, or
/// listed as ignored with why.
fn found_questionnaires(w: &Walk, cat: &mut Catalog, report: &mut MergeReport) {
    for p in &w.questionnaires {
        if store::is_json_schema(p) {
            continue; // such as the repository's questionnaires/schema.json
        }
        match store::load_questionnaire(p) {
            Ok(q) => cat.add(q, Origin::Found(shown(p))),
            Err(errs) => report.ignored.push(PathReason {
                path: shown(p),
                reason: plan::not_a_questionnaire(&errs),
                ..PathReason::default()
            }),
        }
    }
    for (path, reason) in &w.problems {
        report.rejected.push(PathReason {
            path: path.clone(),
            reason: reason.clone(),
            ..PathReason::default()
        });
    }
    for (path, reason) in &w.skipped {
        report.ignored.push(PathReason {
            path: path.clone(),
            reason: reason.clone(),
            ..PathReason::default()
        });
    }
}

/// Writes an output (`name` relative to `out`, folders made as needed) under a temp name,
/// durably, to be put in place with the others.
fn write(out: &Path, name: &str, bytes: &[u8]) -> Result<store::Staged, Error> {
    let p = out.join(name);
    let failed = |what: &Path, e: std::io::Error| Error::Failed(format!("{}: {}", shown(what), store::io_reason(&e)));
    if let Some(dir) = p.parent()
        && dir != out
    {
        store::create_private_dir(dir).map_err(|e| failed(dir, e))?;
    }
    store::stage(&p, bytes).map_err(|e| failed(&p, e))
}
