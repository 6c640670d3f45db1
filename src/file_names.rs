//! The names of the files anketa writes: an interview (`<questionnaire>-<interviewer>-<id>.json`),
//! a questionnaire's copy (`<id>-<version>-<sha256[..12]>.json`) and a losing conflict copy kept
//! by merge. One place, so that the interviewer, `simulate` and `merge` name files alike.
//!
//! Pure: names only (a conflict copy's name includes its `conflicts/` folder); `store` puts
//! them under the data dir or the output folder.

use crate::questionnaire::Questionnaire;
use crate::record::Record;

/// The merged data set, one canonical line per interview.
pub(crate) const NDJSON: &str = "interviews.ndjson";
/// The merge report's file name.
pub(crate) const REPORT_FILE: &str = "merge-report.json";
/// The folder of the losing copies of conflicts.
pub(crate) const CONFLICTS_DIR: &str = "conflicts";
/// The folder of the questionnaires a data set carries (and where `walk` finds questionnaires).
pub(crate) const QUESTIONNAIRES_DIR: &str = "questionnaires";

/// The file of a merge's output that keeps the in-progress copies it did not merge, one
/// canonical line each (itself a merge input).
pub(crate) const DRAFTS: &str = "drafts.ndjson";
/// The folder of a merge's output that keeps the records it rejected, as they were read.
pub(crate) const REJECTED_DIR: &str = "rejected";

/// The folder of a merge's output that keeps the sealed interviews no identity opened, as they
/// were read.
pub(crate) const SEALED_DIR: &str = "sealed";

/// Every folder of a merge's output.
pub(crate) const OUTPUT_DIRS: [&str; 4] = [CONFLICTS_DIR, QUESTIONNAIRES_DIR, REJECTED_DIR, SEALED_DIR];

/// The data dir's folder of discarded drafts (kept, never merged).
pub(crate) const DISCARDED_DIR: &str = "discarded";

/// `<questionnaire>-<interviewer>-<uuid>.json`, each part [`sanitize`]d.
pub fn interview(rec: &Record) -> String {
    format!(
        "{}-{}-{}.json",
        sanitize(&rec.questionnaire.id),
        sanitize(&rec.interviewer),
        sanitize(&rec.id)
    )
}

/// The interviewer code in an interview's file name ([`interview`]), given its questionnaire
/// and interview ids: what a sealed interview's list entry shows (its head has no interviewer).
pub fn interviewer_of(name: &str, questionnaire: &str, id: &str) -> Option<String> {
    let rest = name.strip_prefix(&format!("{}-", sanitize(questionnaire)))?;
    let code = rest.strip_suffix(&format!("-{}.json", sanitize(id)))?;
    Some(code.to_string())
}

/// `<id>-<version>-<sha256[..12]>.json` ([`bounded`]).
pub fn questionnaire(q: &Questionnaire) -> String {
    bounded(
        &format!("{}-{}-{}", sanitize(&q.id), sanitize(&q.version), &q.sha256[..12]),
        ".json",
    )
}

/// A conflict's losing copy, inside a merge's output: `conflicts/<interview name>.r<revision>-<sha256[..12]>.json`,
/// so that several losing copies of one interview never share a name ([`bounded`]).
pub fn conflict(rec: &Record, content_sha256: &str) -> String {
    kept_copy(CONFLICTS_DIR, rec, content_sha256)
}

/// A copy kept by merge in one of its folders (`conflicts/`):
/// `<dir>/<interview name>.r<revision>-<sha256[..12]>.json`, [`bounded`].
pub fn kept_copy(dir: &str, rec: &Record, content_sha256: &str) -> String {
    let stem = format!(
        "{}.r{}-{}",
        interview(rec).trim_end_matches(".json"),
        rec.revision,
        &content_sha256[..12]
    );
    format!("{dir}/{}", bounded(&stem, ".json"))
}

/// A record merge rejected, kept in its output as it was read:
/// `rejected/<sha256 of the text[..16]>.json` (the same text, the same name).
pub fn rejected(text: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(text)[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{REJECTED_DIR}/{hash}.json")
}

/// A sealed interview kept by merge: `sealed/<questionnaire>-<id>.r<revision>-<sha256[..12]>.json`
/// ([`bounded`]); identical copies share a name.
pub fn sealed(questionnaire: &str, id: &str, revision: u64, text: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(text)[..6].iter().map(|b| format!("{b:02x}")).collect();
    let name = bounded(
        &format!("{}-{}.r{revision}-{hash}", sanitize(questionnaire), sanitize(id)),
        ".json",
    );
    format!("{SEALED_DIR}/{name}")
}

/// The longest file name anketa writes in an output folder, in bytes: well under the 255 of
/// common file systems, leaving room for a temp file's `.<name>.<pid>.tmp`.
pub const MAX_NAME_BYTES: usize = 160;

/// `stem` + `ext`, at most [`MAX_NAME_BYTES`] bytes: a longer stem is cut (at a character
/// boundary) and followed by `-` and 16 hex digits of its SHA-256, so that two long names still
/// differ. Short names are unchanged.
pub fn bounded(stem: &str, ext: &str) -> String {
    if stem.len() + ext.len() <= MAX_NAME_BYTES {
        return format!("{stem}{ext}");
    }
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::digest(stem.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut keep = MAX_NAME_BYTES.saturating_sub(ext.len() + 17);
    while !stem.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}-{hash}{ext}", &stem[..keep])
}

/// Makes a string safe as part of a file name: letters (any script), digits, `_` and `-` kept,
/// everything else (path separators, dots, control characters, spaces) becomes `_`; never
/// empty, never only dots.
pub fn sanitize(s: &str) -> String {
    let out: String = s
        .chars()
        .take(40)
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().all(|c| c == '_') {
        "x".repeat(out.len().max(1))
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_removes_path_tricks() {
        assert_eq!(sanitize("../etc/passwd"), "___etc_passwd");
        assert_eq!(sanitize(".."), "xx");
        assert_eq!(sanitize(""), "x");
        assert_eq!(sanitize("Иванова А.\n"), "Иванова_А__");
        assert_eq!(sanitize("I07"), "I07");
    }

    #[test]
    fn long_names_are_cut_with_a_hash_and_short_ones_kept() {
        assert_eq!(bounded("nko", ".csv"), "nko.csv");
        let long = "ж".repeat(150);
        let a = bounded(&long, ".codebook.csv");
        assert!(a.len() <= MAX_NAME_BYTES && a.ends_with(".codebook.csv"), "{a}");
        assert!(a.starts_with("жжж"));
        let b = bounded(&format!("{long}x"), ".codebook.csv");
        assert_ne!(a, b, "two long names stay apart");
        let mut rec: Record = serde_json::from_str(&format!(
            r#"{{"format":"{}","id":"0190f0e0-0000-7000-8000-00000000000a","revision":7,"device":"d",
            "interviewer":"I","questionnaire":{{"id":"q","version":"1","sha256":"s"}},
            "status":"completed","started":"s","updated":"u","duration_ms":1,"answers":{{}}}}"#,
            crate::record::FORMAT
        ))
        .unwrap();
        rec.questionnaire.id = "q".repeat(32);
        rec.interviewer = "\u{1F600}".repeat(40);
        let c = conflict(&rec, &"0".repeat(64));
        let name = c.strip_prefix("conflicts/").unwrap();
        assert!(name.len() <= MAX_NAME_BYTES, "{} bytes", name.len());
    }

    #[test]
    fn a_losing_copy_is_named_after_its_interview_revision_and_content() {
        let rec: Record = serde_json::from_str(&format!(
            r#"{{"format":"{}","id":"0190f0e0-0000-7000-8000-00000000000a","revision":7,"device":"d",
            "interviewer":"Петров/И","questionnaire":{{"id":"nko","version":"1","sha256":"s"}},
            "status":"completed","started":"s","updated":"u","duration_ms":1,"answers":{{}}}}"#,
            crate::record::FORMAT
        ))
        .unwrap();
        assert_eq!(
            interview(&rec),
            "nko-Петров_И-0190f0e0-0000-7000-8000-00000000000a.json"
        );
        assert_eq!(
            conflict(&rec, "0123456789abcdef0123"),
            "conflicts/nko-Петров_И-0190f0e0-0000-7000-8000-00000000000a.r7-0123456789ab.json"
        );
    }
}
