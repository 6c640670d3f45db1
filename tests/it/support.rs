//! What the integration tests share: running the binary and reading what it printed.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the real `anketa` in the repository's folder, colours off.
pub fn anketa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anketa"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run anketa")
}

/// Simulated interviews of questionnaire `q` (a bundled id or a path) into the data dir `out`;
/// the run must succeed.
pub fn simulate(q: &str, count: u32, out: &Path, seed: u32, incomplete: f64, interviewers: u32) {
    simulate_with(q, count, out, seed, incomplete, interviewers, &[]);
}

/// [`simulate`] with more arguments (`--seal-to KEY`, say).
pub fn simulate_with(q: &str, count: u32, out: &Path, seed: u32, incomplete: f64, interviewers: u32, more: &[&str]) {
    let (count, seed, incomplete, interviewers) = (
        count.to_string(),
        seed.to_string(),
        incomplete.to_string(),
        interviewers.to_string(),
    );
    let mut args = vec![
        "simulate",
        "--questionnaire",
        q,
        "--count",
        &count,
        "--out",
        s(out),
        "--seed",
        &seed,
        "--incomplete-share",
        &incomplete,
        "--interviewers",
        &interviewers,
    ];
    args.extend(more);
    ok(&anketa(&args));
}

/// The outputs a merge into `out` wrote, as its `merge-report.json` lists them.
pub fn merge_outputs(out: &Path) -> Vec<String> {
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("merge-report.json")).unwrap()).unwrap();
    report["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_string())
        .collect()
}

/// Bytes as text (lossy: a test shows whatever came out).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Asserts that the command succeeded (showing both outputs otherwise); its standard output.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Asserts that standard error says `what` (showing it otherwise).
pub fn says(out: &Output, what: &str) {
    let err = text(&out.stderr);
    assert!(err.contains(what), "stderr lacks {what:?}:\n{err}");
}

/// Asserts that `text` holds each of `parts` (showing it otherwise).
pub fn has_all(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "lacks {p:?}:\n{text}");
    }
}
