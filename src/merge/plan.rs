//! The merge's output plan: the names of the files a merge writes, what its report says about
//! each interview it did not simply take, and which files of an earlier merge into the same
//! folder are removed. Pure: `cmd::merge` executes it through `store`.

use super::{Catalog, Conflict, Duplicate, Entry, Known, MergeReport, Origin, PathReason, ReportConflict, ReportCopy};
use super::{ReportDuplicate, ReportIncomplete, ReportQuestionnaire};
use crate::diag::Diagnostic;
use std::collections::BTreeSet;
use std::path::{Component, Path};

pub(crate) use crate::file_names::{DRAFTS, NDJSON, QUESTIONNAIRES_DIR, REPORT_FILE};

/// The files written for one questionnaire with merged interviews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionnaireFiles {
    /// Its index in the catalog.
    pub qi: usize,
    /// The stem of its exports (the id, or id-version-hash when variants of one id merged).
    pub stem: String,
    /// `<stem>.csv`.
    pub csv: String,
    /// `<stem>.codebook.csv`.
    pub codebook: String,
    /// `<stem>.sps`, the SPSS/PSPP syntax that reads the CSV.
    pub sps: String,
    /// `questionnaires/<id>-<version>-<sha256[..12]>.json`, the questionnaire byte for byte.
    pub copy: String,
    /// The files of each of its rosters, in the order of `q.rosters`.
    pub rosters: Vec<RosterFiles>,
}

/// The files written for one roster of a questionnaire with merged interviews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterFiles {
    /// The roster's index in `q.rosters`.
    pub roster: usize,
    /// `<stem>.<roster>`: the questionnaire's stem and the roster's name (with `_2`, `_3`… when
    /// that would name a file the merge writes anyway).
    pub stem: String,
    /// `<stem>.<roster>.csv`, one row per live instance.
    pub csv: String,
    /// `<stem>.<roster>.codebook.csv`.
    pub codebook: String,
    /// `<stem>.<roster>.sps`.
    pub sps: String,
}

impl QuestionnaireFiles {
    /// The names of the files of the questionnaire and of its rosters.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        [&self.csv, &self.codebook, &self.sps, &self.copy]
            .into_iter()
            .chain(self.rosters.iter().flat_map(|r| [&r.csv, &r.codebook, &r.sps]))
    }
}

/// The files of each questionnaire that has interviews among `merged` (entries' indices).
pub fn questionnaire_files(cat: &Catalog, entries: &[Entry], merged: &[usize]) -> Vec<QuestionnaireFiles> {
    let mut used = vec![false; cat.all().len()];
    for &i in merged {
        used[entries[i].questionnaire as usize] = true;
    }
    let mut files: Vec<QuestionnaireFiles> = stems(cat, &used)
        .into_iter()
        .enumerate()
        .filter_map(|(qi, stem)| {
            let stem = stem?;
            Some(QuestionnaireFiles {
                qi,
                csv: format!("{stem}.csv"),
                codebook: format!("{stem}.codebook.csv"),
                sps: format!("{stem}.sps"),
                copy: copy_name(cat, qi),
                stem,
                rosters: Vec::new(),
            })
        })
        .collect();
    // The roster files come after every other name, so a roster named like another output
    // (`codebook`, or `x` beside a questionnaire `<stem>.x`) never takes its name: it gets the
    // first free `_2`, `_3`… instead. In catalog and roster order: the same names every time.
    let mut taken: BTreeSet<String> = [NDJSON, DRAFTS, REPORT_FILE].iter().map(|s| s.to_string()).collect();
    taken.extend(files.iter().flat_map(|f| f.names().cloned()));
    for f in &mut files {
        for (r, roster) in cat.get(f.qi).q.rosters.iter().enumerate() {
            let name = sanitize_stem(&roster.id);
            let mut n = 1;
            let rf = loop {
                let stem = if n == 1 {
                    format!("{}.{name}", f.stem)
                } else {
                    format!("{}.{name}_{n}", f.stem)
                };
                let stem = crate::file_names::bounded(&stem, ".codebook.csv")
                    .trim_end_matches(".codebook.csv")
                    .to_owned();
                let rf = RosterFiles {
                    roster: r,
                    csv: format!("{stem}.csv"),
                    codebook: format!("{stem}.codebook.csv"),
                    sps: format!("{stem}.sps"),
                    stem,
                };
                if [&rf.csv, &rf.codebook, &rf.sps].iter().all(|x| !taken.contains(*x)) {
                    break rf;
                }
                n += 1;
            };
            taken.extend([rf.csv.clone(), rf.codebook.clone(), rf.sps.clone()]);
            f.rosters.push(rf);
        }
    }
    files
}

/// `questionnaires/<id>-<version>-<sha256[..12]>.json`: where a questionnaire's copy is kept
/// in the output.
pub fn copy_name(cat: &Catalog, qi: usize) -> String {
    format!(
        "{QUESTIONNAIRES_DIR}/{}",
        crate::file_names::questionnaire(&cat.get(qi).q)
    )
}

/// File stem of each questionnaire's CSV, codebook and syntax: the id, or
/// `<id>-<version>-<sha256[..12]>` when several variants of one id have merged interviews.
pub fn stems(cat: &Catalog, used: &[bool]) -> Vec<Option<String>> {
    let all = cat.all();
    (0..all.len())
        .map(|i| {
            if !used[i] {
                return None;
            }
            let q = &all[i].q;
            let variants = (0..all.len()).filter(|&j| used[j] && all[j].q.id == q.id).count();
            let stem = if variants > 1 {
                format!(
                    "{}-{}-{}",
                    sanitize_stem(&q.id),
                    sanitize_stem(&q.version),
                    &q.sha256[..12]
                )
            } else {
                sanitize_stem(&q.id)
            };
            // Room for the longest suffix, `.codebook.csv`.
            let name = crate::file_names::bounded(&stem, ".codebook.csv");
            Some(name.trim_end_matches(".codebook.csv").to_owned())
        })
        .collect()
}

fn sanitize_stem(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A questionnaire in the report.
pub fn report_questionnaire(k: &Known, f: &QuestionnaireFiles, merged: usize) -> ReportQuestionnaire {
    ReportQuestionnaire {
        name: f.stem.clone(),
        id: k.q.id.clone(),
        version: k.q.version.clone(),
        sha256: k.q.sha256.clone(),
        source: match &k.origin {
            Origin::Bundled => "bundled".into(),
            Origin::Given(p) | Origin::Found(p) => p.clone(),
        },
        merged,
        copy: f.copy.clone(),
    }
}

/// A conflict in the report; `path` names an entry's file (and line), `saved_as` is where the
/// loser was written.
pub fn report_conflict(
    c: &Conflict,
    entries: &[Entry],
    path: impl Fn(&Entry) -> String,
    saved_as: String,
) -> ReportConflict {
    let copy = |e: &Entry, saved_as: Option<String>| ReportCopy {
        path: path(e),
        revision: e.revision,
        status: e.status,
        updated: e.updated(),
        sha256: e.hash_hex(),
        saved_as,
    };
    let loser = &entries[c.loser];
    ReportConflict {
        id: loser.id.to_string(),
        winner: copy(&entries[c.winner], None),
        loser: copy(loser, Some(saved_as)),
        rule: c.rule,
        why: c.rule.describe().to_string(),
    }
}

/// Identical copies in the report.
pub fn report_duplicate(dup: &Duplicate, entries: &[Entry], path: impl Fn(&Entry) -> String) -> ReportDuplicate {
    ReportDuplicate {
        id: entries[dup.kept].id.to_string(),
        kept: path(&entries[dup.kept]),
        copies: dup.copies.iter().map(|&i| path(&entries[i])).collect(),
    }
}

/// An interview left out as incomplete, with its questionnaire's id and its interviewer.
pub fn report_incomplete(e: &Entry, path: String, questionnaire: &str, interviewer: String) -> ReportIncomplete {
    ReportIncomplete {
        id: e.id.to_string(),
        path,
        questionnaire: questionnaire.to_owned(),
        interviewer,
        revision: e.revision,
        updated: e.updated(),
    }
}

/// Why a file in a `questionnaires/` folder was not used: its first error, and how many more.
pub fn not_a_questionnaire(errs: &[Diagnostic]) -> String {
    format!(
        "not a valid questionnaire ({}{})",
        errs.first().map(|e| e.message.clone()).unwrap_or_default(),
        if errs.len() > 1 {
            format!(" and {} more", errs.len() - 1)
        } else {
            String::new()
        }
    )
}

/// What was not taken, into the report; both lists sorted.
pub fn account(report: &mut MergeReport, rejected: Vec<PathReason>, ignored: Vec<PathReason>) {
    report.rejected.extend(rejected);
    report.ignored.extend(ignored);
    report.rejected.sort();
    report.ignored.sort();
}

/// The outputs of an earlier merge into the same folder that this one did not write and that
/// are safe to remove (a plain name, or one inside `conflicts/` or `questionnaires/`).
pub fn stale_outputs(old: &[String], outputs: &BTreeSet<String>) -> Vec<String> {
    old.iter()
        .filter(|o| !outputs.contains(*o) && safe_output_name(o))
        .cloned()
        .collect()
}

/// Whether a merge output (a name relative to the output folder) holds answers, so that
/// `merge --seal-to` seals it: the data set, the CSVs, the drafts, the losing copies of
/// conflicts and the rejected records. Codebooks, syntax, questionnaire copies and the merge
/// report hold none, and `sealed/` is sealed already.
pub fn holds_answers(name: &str) -> bool {
    let dir = |d: &str| name.starts_with(&format!("{d}/"));
    if dir(crate::file_names::CONFLICTS_DIR) || dir(crate::file_names::REJECTED_DIR) {
        return true;
    }
    !name.contains('/')
        && (name == NDJSON || name == DRAFTS || (name.ends_with(".csv") && !name.ends_with(".codebook.csv")))
}

/// The output folders this merge left empty (to remove, if an earlier merge made them).
pub fn empty_dirs(outputs: &BTreeSet<String>) -> Vec<&'static str> {
    crate::file_names::OUTPUT_DIRS
        .into_iter()
        .filter(|dir| !outputs.iter().any(|o| o.starts_with(&format!("{dir}/"))))
        .collect()
}

/// An output name from an old report that is safe to remove: `name`, or `name` in one of the
/// output's folders — never a path that leaves the output folder.
fn safe_output_name(n: &str) -> bool {
    let comps: Vec<Component> = Path::new(n).components().collect();
    let normal = comps.iter().all(|c| matches!(c, Component::Normal(_)));
    normal
        && match comps.len() {
            1 => true,
            2 => crate::file_names::OUTPUT_DIRS
                .map(std::ffi::OsStr::new)
                .contains(&comps[0].as_os_str()),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::load;

    #[test]
    fn only_plain_output_names_are_removed() {
        assert!(safe_output_name("nko.csv"));
        assert!(safe_output_name("conflicts/x.json"));
        assert!(safe_output_name("questionnaires/x.json"));
        assert!(!safe_output_name("../x"));
        assert!(!safe_output_name("/etc/passwd"));
        assert!(!safe_output_name("a/b"));
        assert!(!safe_output_name("conflicts/../../x"));
    }

    #[test]
    fn an_earlier_merges_outputs_go_unless_written_again() {
        let outputs: BTreeSet<String> = ["interviews.ndjson", "nko.csv", "conflicts/a.json"]
            .map(String::from)
            .into();
        let old = [
            "nko.csv",
            "omsu.csv",
            "conflicts/b.json",
            "../../home/x",
            "conflicts/a.json",
        ]
        .map(String::from);
        assert_eq!(stale_outputs(&old, &outputs), ["omsu.csv", "conflicts/b.json"]);
        assert_eq!(
            empty_dirs(&outputs),
            [
                QUESTIONNAIRES_DIR,
                crate::file_names::REJECTED_DIR,
                crate::file_names::SEALED_DIR
            ]
        );
    }

    fn q(id: &str, version: &str) -> crate::questionnaire::Questionnaire {
        let src = crate::questionnaire::fixtures::FIT
            .replacen("\"id\": \"fit\"", &format!("\"id\": \"{id}\""), 1)
            .replacen("\"version\": \"1\"", &format!("\"version\": \"{version}\""), 1);
        load("fixture", &src).unwrap()
    }

    fn entry(questionnaire: u32) -> Entry {
        Entry {
            questionnaire,
            ..super::super::tests::e("a", 1, crate::record::Status::Completed, 0, 0, 0)
        }
    }

    #[test]
    fn each_used_questionnaire_gets_its_files_and_variants_of_one_id_their_versions() {
        let mut cat = Catalog::new(false);
        cat.add(q("a", "1"), Origin::Bundled);
        cat.add(q("a", "2 beta"), Origin::Given("a2.json".into()));
        cat.add(q("b", "1"), Origin::Found("x/questionnaires/b.json".into()));
        let entries = [entry(0), entry(2), entry(0)];
        let only_a1 = questionnaire_files(&cat, &entries, &[0, 1, 2]);
        let names: Vec<(&str, &str, &str, &str)> = only_a1
            .iter()
            .map(|f| (f.stem.as_str(), f.csv.as_str(), f.codebook.as_str(), f.sps.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("a", "a.csv", "a.codebook.csv", "a.sps"),
                ("b", "b.csv", "b.codebook.csv", "b.sps")
            ]
        );
        let sha = &cat.get(0).q.sha256[..12];
        assert_eq!(only_a1[0].copy, format!("questionnaires/a-1-{sha}.json"));
        let both = questionnaire_files(&cat, &[entry(0), entry(1)], &[0, 1]);
        let sha2 = &cat.get(1).q.sha256[..12];
        assert_eq!(both[0].stem, format!("a-1-{sha}"));
        assert_eq!(both[1].stem, format!("a-2_beta-{sha2}"));
        assert_eq!(both[1].copy, format!("questionnaires/a-2_beta-{sha2}.json"));
        let r = report_questionnaire(cat.get(1), &both[1], 7);
        assert_eq!(
            (r.source.as_str(), r.merged, r.name.as_str()),
            ("a2.json", 7, both[1].stem.as_str())
        );
        assert_eq!(report_questionnaire(cat.get(0), &both[0], 1).source, "bundled");
    }

    #[test]
    fn roster_files_never_take_the_name_of_another_output() {
        let projects = include_str!("../../questionnaires/projects.json");
        // A roster named `codebook`: its CSV would be the questionnaire's codebook (names of
        // rosters and ids hold no `.`, so this is the one clash there can be).
        let clash = projects
            .replace("\"id\": \"partners\"", "\"id\": \"codebook\"")
            .replace("${partners}", "${codebook}")
            .replacen(
                "\"id\": \"projects\",\n  \"version\"",
                "\"id\": \"p\",\n  \"version\"",
                1,
            );
        let mut cat = Catalog::new(false);
        cat.add(load("clash", &clash).unwrap(), Origin::Bundled);
        cat.add(load("projects", projects).unwrap(), Origin::Bundled);
        assert_eq!((cat.get(0).q.id.as_str(), cat.get(1).q.id.as_str()), ("p", "projects"));
        let files = questionnaire_files(&cat, &[entry(0), entry(1)], &[0, 1]);
        let rosters: Vec<Vec<(&str, &str, &str)>> = files
            .iter()
            .map(|f| {
                f.rosters
                    .iter()
                    .map(|r| (r.csv.as_str(), r.codebook.as_str(), r.sps.as_str()))
                    .collect()
            })
            .collect();
        assert_eq!(
            rosters,
            [
                vec![
                    ("p.projects.csv", "p.projects.codebook.csv", "p.projects.sps"),
                    ("p.codebook_2.csv", "p.codebook_2.codebook.csv", "p.codebook_2.sps")
                ],
                vec![
                    (
                        "projects.projects.csv",
                        "projects.projects.codebook.csv",
                        "projects.projects.sps"
                    ),
                    (
                        "projects.partners.csv",
                        "projects.partners.codebook.csv",
                        "projects.partners.sps"
                    )
                ]
            ]
        );
        let all: Vec<&String> = files.iter().flat_map(|f| f.names()).collect();
        let unique: BTreeSet<&String> = all.iter().copied().collect();
        assert_eq!(all.len(), unique.len(), "{all:?}");
    }

    #[test]
    fn every_list_is_sorted() {
        let mut r = MergeReport {
            records_read: 10,
            ..MergeReport::default()
        };
        let pr = |p: &str| PathReason {
            path: p.into(),
            reason: "r".into(),
            ..PathReason::default()
        };
        account(&mut r, vec![pr("b"), pr("a")], vec![pr("d"), pr("c")]);
        assert_eq!(r.rejected, [pr("a"), pr("b")]);
        assert_eq!(r.ignored, [pr("c"), pr("d")]);
    }
}
