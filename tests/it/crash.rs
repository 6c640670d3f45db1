//! The real binary in a pseudo-terminal (util-linux `script`), killed with SIGKILL between keys
//! and while saving: every answer that reached the disk survives, the file is always valid JSON,
//! and the interview resumes where it stopped.

use anketa::record::AnswerValue;
use anketa::store::{self, DataDir};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Pty {
    script: Child,
    app_pid: u32,
}

fn have_script() -> bool {
    Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Pty {
    fn start(data: &Path) -> Pty {
        let cmd = format!(
            "stty cols 80 rows 24; exec env TERM=xterm NO_COLOR=1 '{}' --data-dir '{}'",
            env!("CARGO_BIN_EXE_anketa"),
            data.display()
        );
        let script = Command::new("script")
            .args(["-qfec", &cmd, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn script");
        // The interviewer is the (only) child of `script`.
        let deadline = Instant::now() + Duration::from_secs(10);
        let app_pid = loop {
            let out = Command::new("pgrep")
                .args(["-P", &script.id().to_string()])
                .output()
                .unwrap();
            if let Some(pid) = String::from_utf8_lossy(&out.stdout).split_whitespace().next() {
                break pid.parse().unwrap();
            }
            assert!(Instant::now() < deadline, "anketa did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(300));
        Pty { script, app_pid }
    }

    fn keys(&mut self, s: &str) {
        let stdin = self.script.stdin.as_mut().unwrap();
        stdin.write_all(s.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    fn kill9(mut self) {
        Command::new("kill")
            .args(["-9", &self.app_pid.to_string()])
            .status()
            .unwrap();
        let _ = self.script.kill();
        let _ = self.script.wait();
    }
}

fn interview_file(data: &Path) -> Option<PathBuf> {
    let dir = data.join("interviews");
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.extension().is_some_and(|e| e == "json") && !p.file_name().unwrap().to_string_lossy().starts_with('.')
        })
}

/// Waits until the interview file satisfies `ok`; the file must parse every time it is read.
fn wait_for(data: &Path, what: &str, ok: impl Fn(&anketa::record::Record) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(p) = interview_file(data) {
            let rec = store::read_record(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            if ok(&rec) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn value(rec: &anketa::record::Record, var: &str) -> Option<AnswerValue> {
    rec.answers.get(var).and_then(|a| a.value.clone())
}

#[test]
fn sigkill_between_keys_and_while_saving_loses_nothing_saved() {
    if !have_script() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // First run: new НКО interview, interviewer code, three answers; killed between keys.
    let mut p = Pty::start(&data);
    p.keys("\r");
    std::thread::sleep(Duration::from_millis(200));
    p.keys("T1\r");
    wait_for(&data, "interview created", |r| {
        r.position.as_deref() == Some("district")
    });
    p.keys("2 "); // district 2 of 32: Space completes the number
    wait_for(&data, "district answered", |r| {
        value(r, "district") == Some(AnswerValue::Text("bykovsky".into()))
    });
    p.keys("\r");
    wait_for(&data, "at org_type", |r| r.position.as_deref() == Some("org_type"));
    p.keys("1");
    wait_for(&data, "org_type answered", |r| value(r, "org_type").is_some());
    // F2 and a remark, typed but not confirmed with Enter: on disk as it is typed.
    p.keys("\x1bOQ");
    std::thread::sleep(Duration::from_millis(200));
    p.keys("без Enter");
    wait_for(&data, "remark typed", |r| {
        r.answers.get("org_type").and_then(|a| a.remark.as_deref()) == Some("без Enter")
    });
    p.kill9();
    let path = interview_file(&data).unwrap();
    let rec = store::read_record(&path).unwrap();
    assert_eq!(value(&rec, "district"), Some(AnswerValue::Text("bykovsky".into())));
    assert_eq!(value(&rec, "org_type"), Some(AnswerValue::Text("tos".into())));
    assert_eq!(rec.answers["org_type"].remark.as_deref(), Some("без Enter"));

    // Kill while saving: keys are sent and the process is killed at once, many times.
    // Whatever moment the kill hits, the file is the old or the new version, never a mix.
    let mut last_revision = rec.revision;
    for round in 0..6 {
        let mut p = Pty::start(&data);
        p.keys("\r"); // the start screen opens on the newest unfinished interview
        wait_for(&data, "resumed", |r| r.revision > last_revision);
        let digit = ["1", "2", "3"][round % 3];
        p.keys(digit);
        std::thread::sleep(Duration::from_millis((round as u64 * 7) % 20));
        p.kill9();
        let rec = store::read_record(&path).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(value(&rec, "district"), Some(AnswerValue::Text("bykovsky".into())));
        last_revision = rec.revision;
    }

    // Resume shows the exact question where it stopped, and the list agrees.
    let dir = DataDir::at(&data);
    let list = dir.list();
    assert_eq!(list.len(), 1);
    let rec = list[0].1.clone().unwrap().into_record().unwrap();
    assert_eq!(rec.position.as_deref(), Some("org_type"));
    let out = Command::new(env!("CARGO_BIN_EXE_anketa"))
        .args(["list", "--json", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["position"], "org_type");
    assert_eq!(v[0]["district"], "Быковский");
}

#[test]
fn sigkill_inside_a_roster_instance_loses_nothing_saved_and_resumes_in_the_instance() {
    if !have_script() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let name = |r: &anketa::record::Record, k: usize| -> Option<String> {
        match r
            .rosters
            .get("projects")?
            .get(k)?
            .answers
            .get("project_name")?
            .value
            .clone()?
        {
            AnswerValue::Text(t) => Some(t),
            _ => None,
        }
    };
    // The bundled roster demo is the fifth questionnaire on the start screen.
    let mut p = Pty::start(&data);
    p.keys("5\r");
    std::thread::sleep(Duration::from_millis(200));
    p.keys("T1\r");
    wait_for(&data, "interview created", |r| {
        r.position.as_deref() == Some("org_type")
    });
    p.keys("1\r");
    wait_for(&data, "at n_projects", |r| r.position.as_deref() == Some("n_projects"));
    p.keys("2\r");
    wait_for(&data, "two projects made", |r| {
        r.rosters.get("projects").is_some_and(|v| v.len() == 2)
    });
    // Into the second project (↓, Enter), its name half typed; killed between keys.
    p.keys("\x1b[B");
    std::thread::sleep(Duration::from_millis(150));
    p.keys("\r");
    wait_for(&data, "in the second project", |r| {
        r.position.as_deref() == Some("project_name") && r.position_at == [2]
    });
    p.keys("Ра");
    wait_for(&data, "name typed", |r| name(r, 1).as_deref() == Some("Ра"));
    p.kill9();
    let path = interview_file(&data).unwrap();
    let rec = store::read_record(&path).unwrap();
    assert_eq!(rec.format, anketa::record::FORMAT_V2);
    assert_eq!(name(&rec, 1).as_deref(), Some("Ра"));
    assert_eq!(name(&rec, 0), None);

    // Killed while saving, again and again: the file is always whole, the name only grows.
    let mut last_revision = rec.revision;
    for round in 0..4 {
        let mut p = Pty::start(&data);
        p.keys("\r");
        wait_for(&data, "resumed", |r| r.revision > last_revision);
        p.keys("с");
        std::thread::sleep(Duration::from_millis((round as u64 * 7) % 20));
        p.kill9();
        let rec = store::read_record(&path).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let n = name(&rec, 1).unwrap();
        assert!(n.starts_with("Ра"), "round {round}: {n}");
        assert_eq!(
            (rec.position.as_deref(), rec.position_at.as_slice()),
            (Some("project_name"), &[2][..])
        );
        last_revision = rec.revision;
    }
}

/// The state of the one interview file: a draft (in progress), or sealed and completed (opened
/// with the key); anything else fails the test.
fn draft_or_sealed(data: &Path, ids: &anketa::seal::Identities) -> bool {
    let path = interview_file(data).expect("the interview file is gone");
    let text = std::fs::read_to_string(&path).unwrap();
    match anketa::record::decode::stored(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        anketa::record::decode::Stored::Open(rec) => {
            assert_eq!(
                rec.status,
                anketa::record::Status::InProgress,
                "a completed interview in plaintext"
            );
            assert_eq!(value(&rec, "a"), Some(AnswerValue::Text("1".into())));
            false
        }
        anketa::record::decode::Stored::Sealed(_) => {
            let opened = anketa::seal::SealedView::parse(&text).unwrap().open(ids).unwrap();
            let rec = anketa::record::decode::record(&opened).unwrap();
            assert_eq!(rec.status, anketa::record::Status::Completed);
            assert_eq!(value(&rec, "a"), Some(AnswerValue::Text("1".into())));
            true
        }
    }
}

#[test]
fn sigkill_while_sealing_leaves_the_draft_or_the_sealed_file() {
    if !have_script() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // A one-question questionnaire (offered from the data dir's questionnaires/, after the five
    // bundled ones) and a laptop that seals to the supervisor's key.
    let q = r#"{"id": "tiny", "version": "1", "title": "Tiny", "blocks": [{"id": "b", "title": "B",
        "questions": [{"id": "a", "type": "single", "text": "A?", "options": [
        {"code": "1", "label": "Да"}, {"code": "2", "label": "Нет"}]}]}]}"#;
    std::fs::create_dir_all(data.join("questionnaires")).unwrap();
    std::fs::write(data.join("questionnaires/tiny.json"), q).unwrap();
    let pair = anketa::seal::keygen("2026-12-04T12:00:00Z");
    std::fs::write(
        data.join("config.json"),
        format!("{{\"interviewer\": \"T1\", \"recipients\": [\"{}\"]}}", pair.recipient),
    )
    .unwrap();
    let mut ids = anketa::seal::Identities::default();
    ids.add_file("sup.key", &pair.identity_file).unwrap();

    let mut p = Pty::start(&data);
    p.keys("\x1b[B\x1b[B\x1b[B\x1b[B\x1b[B\r"); // ↓×5, Enter: a new `tiny` interview
    wait_for(&data, "interview created", |r| r.position.as_deref() == Some("a"));
    p.keys("1");
    wait_for(&data, "answered", |r| value(r, "a").is_some());
    p.kill9();
    assert!(!draft_or_sealed(&data, &ids));
    // F10 completes and seals; killed at once, or a little later, until it is sealed. Every
    // time, the file is the draft or the sealed interview.
    let mut sealed = false;
    for round in 0..12u64 {
        let mut p = Pty::start(&data);
        p.keys("\r"); // the newest unfinished interview
        std::thread::sleep(Duration::from_millis(150));
        p.keys("\x1b[21~"); // F10
        std::thread::sleep(Duration::from_millis(round * 3));
        p.kill9();
        if draft_or_sealed(&data, &ids) {
            sealed = true;
            break;
        }
    }
    assert!(sealed, "never completed");
    // No temp file holds a plaintext completed interview either.
    for e in std::fs::read_dir(data.join("interviews")).unwrap() {
        let t = std::fs::read_to_string(e.unwrap().path()).unwrap_or_default();
        assert!(!(t.contains("\"completed\"") && t.contains("\"answers\"")), "{t}");
    }
}
