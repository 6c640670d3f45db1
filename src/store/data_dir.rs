//! The data directory of one laptop: interviews, questionnaire copies, device id, settings.
//!
//! ```text
//! <data dir>/
//!   device                      random id of this data dir, created once
//!   config.json                 interviewer code and UI language (when the data dir is overridden)
//!   interviews/<q>-<interviewer>-<uuid>.json
//!   interviews/.<file>.lock     held while an interview is open
//!   questionnaires/<id>-<version>-<sha256[..12]>.json   every questionnaire version ever used
//! ```

use super::atomic::sync_dir;
use super::{create_private_dir, io_reason, read_text, write_atomic};
use crate::diag::shown;
use crate::questionnaire::{self, Questionnaire};
use crate::record::decode::{Stored, Unreadable, stored};
use crate::record::{Record, Status};
use crate::seal::Recipients;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Largest interview file read.
pub(crate) const MAX_INTERVIEW_BYTES: usize = 10 * 1024 * 1024;

/// A laptop's data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
    config: PathBuf,
}

/// Remembered settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The interviewer code asked once.
    #[serde(default)]
    pub interviewer: Option<String>,
    /// UI language (`ru`, `en`).
    #[serde(default)]
    pub lang: Option<String>,
    /// The folder of the last hand-in (a USB stick).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand_in_dir: Option<String>,
    /// The age public keys (`age1…`) completed interviews are sealed to, besides the
    /// questionnaire's own (`anketa seal-to`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
}

/// The portable data folder of the program at `exe`: `anketa-data` beside it, if that is a
/// folder (symbolic links followed, so a launcher link works too).
fn portable_root(exe: &Path) -> Option<PathBuf> {
    let exe = fs::canonicalize(exe).unwrap_or_else(|_| exe.to_path_buf());
    let root = exe.parent()?.join(DataDir::PORTABLE);
    root.is_dir().then_some(root)
}

impl DataDir {
    /// The data dir: `explicit` (from `--data-dir`), else `ANKETA_DATA_DIR`, else a folder
    /// `anketa-data` beside the program (portable mode: a USB stick), else the platform's data
    /// dir (`%APPDATA%` on Windows). Settings go to the platform's config dir, or into the data
    /// dir in the other cases (so that a test or a USB stick is self-contained).
    pub(crate) fn locate(explicit: Option<PathBuf>) -> io::Result<DataDir> {
        let env = std::env::var_os("ANKETA_DATA_DIR")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        if let Some(root) = explicit.or(env) {
            return Ok(DataDir::at(root));
        }
        // Portable mode: a folder `anketa-data` beside the program (on a USB stick) holds the
        // data and the settings; nothing is written to the laptop's profile.
        if let Some(root) = std::env::current_exe().ok().and_then(|exe| portable_root(&exe)) {
            return Ok(DataDir::at(root));
        }
        let dirs = directories::ProjectDirs::from("org", "anketa", "anketa")
            .ok_or_else(|| io::Error::other("cannot determine the home directory; use --data-dir"))?;
        Ok(DataDir {
            root: dirs.data_dir().to_path_buf(),
            config: dirs.config_dir().join("config.json"),
        })
    }

    /// The name of the portable data folder, beside the program.
    pub const PORTABLE: &'static str = "anketa-data";

    /// A data dir at an explicit path, with its settings inside it.
    pub fn at(root: impl Into<PathBuf>) -> DataDir {
        let root = root.into();
        DataDir {
            config: root.join("config.json"),
            root,
        }
    }

    /// The root path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `interviews/`.
    pub fn interviews(&self) -> PathBuf {
        self.root.join("interviews")
    }

    /// `questionnaires/`.
    pub fn questionnaires(&self) -> PathBuf {
        self.root.join(crate::merge::plan::QUESTIONNAIRES_DIR)
    }

    /// Creates the directories (0700).
    pub fn ensure(&self) -> io::Result<()> {
        create_private_dir(&self.interviews())?;
        create_private_dir(&self.questionnaires())
    }

    /// Removes temp files left by a save that was interrupted (power loss, kill -9) more than a
    /// minute ago. They are never the only copy: the rename that would have published them did
    /// not happen, so the previous version of the interview is intact.
    pub(crate) fn clean_stale_temp_files(&self) {
        let Ok(rd) = fs::read_dir(self.interviews()) else {
            return;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|d| d.as_secs() > 60));
            if name.starts_with('.') && name.ends_with(".tmp") && old {
                let _ = fs::remove_file(e.path());
            }
        }
    }

    /// The device id, created at first use.
    pub(crate) fn device_id(&self) -> io::Result<String> {
        let p = self.root.join("device");
        if let Ok(s) = fs::read_to_string(&p) {
            let s = s.trim();
            if !s.is_empty() {
                return Ok(s.to_string());
            }
        }
        create_private_dir(&self.root)?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        write_atomic(&p, format!("{id}\n").as_bytes())?;
        Ok(id)
    }

    /// Reads the settings (defaults when absent or unreadable).
    pub fn config(&self) -> Config {
        fs::read_to_string(&self.config)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    /// Saves the settings.
    pub(crate) fn save_config(&self, c: &Config) -> io::Result<()> {
        if let Some(d) = self.config.parent() {
            create_private_dir(d)?;
        }
        let mut bytes = serde_json::to_vec_pretty(c).unwrap_or_default();
        bytes.push(b'\n');
        write_atomic(&self.config, &bytes)
    }

    /// Stores a copy of a questionnaire (once per id, version and hash) so that drafts resume
    /// with the exact questionnaire they started with.
    pub(crate) fn keep_questionnaire(&self, q: &Questionnaire) -> io::Result<PathBuf> {
        let p = self.questionnaires().join(questionnaire_file_name(q));
        if !p.exists() {
            create_private_dir(&self.questionnaires())?;
            write_atomic(&p, q.source.as_bytes())?;
        }
        Ok(p)
    }

    /// Every valid questionnaire in `questionnaires/` (invalid ones are skipped).
    pub(crate) fn stored_questionnaires(&self) -> Vec<Questionnaire> {
        let mut out = Vec::new();
        let Ok(rd) = fs::read_dir(self.questionnaires()) else {
            return out;
        };
        let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.extension().is_some_and(|e| e == "json")
                && let Ok(src) = read_text(&p, questionnaire::MAX_FILE_BYTES)
                && let Ok(q) = questionnaire::load(&shown(&p), &src)
            {
                out.push(q);
            }
        }
        out
    }

    /// The path of an interview's file.
    pub fn interview_path(&self, rec: &Record) -> PathBuf {
        self.interviews().join(interview_file_name(rec))
    }

    /// `discarded/`: drafts the interviewer discarded, kept (never deleted) and left out by
    /// merge.
    pub fn discarded(&self) -> PathBuf {
        self.root.join(crate::file_names::DISCARDED_DIR)
    }

    /// Discards a draft: its file moves from `interviews/` to `discarded/` (renamed, both folders
    /// made durable), while its lock is held so that an interview open in another window is not
    /// moved away under it. A name already taken in `discarded/` gets a number.
    pub fn discard(&self, path: &Path, rec: &Record) -> Result<PathBuf, LockError> {
        let _lock = self.lock(rec)?;
        let to_dir = self.discarded();
        create_private_dir(&to_dir).map_err(LockError::Io)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut to = to_dir.join(&name);
        let mut n = 1;
        while to.exists() {
            n += 1;
            to = to_dir.join(format!("{}.{n}.json", name.trim_end_matches(".json")));
        }
        fs::rename(path, &to).map_err(LockError::Io)?;
        sync_dir(&to_dir)
            .and_then(|()| sync_dir(&self.interviews()))
            .map_err(LockError::Io)?;
        Ok(to)
    }

    /// Writes an interview durably (atomic replace). A completed interview is sealed to
    /// `seal_to` when it names keys: the sealed file replaces the draft in one rename, so the
    /// disk holds the draft or the sealed file, never neither, and never a completed plaintext.
    pub fn save(&self, rec: &Record, seal_to: &Recipients) -> io::Result<()> {
        let bytes = if rec.status == Status::Completed && !seal_to.is_empty() {
            crate::seal::seal_record(rec, seal_to)
        } else {
            rec.to_json()
        };
        write_atomic(&self.interview_path(rec), &bytes)
    }

    /// The keys completed interviews of questionnaire `q` are sealed to: the questionnaire's
    /// `recipients` and this data dir's (`anketa seal-to`), both. Settings that cannot be read
    /// but name recipients are an error, not "no keys": a completed interview must not be
    /// written in plaintext because a file was damaged.
    pub fn seal_to(&self, q: &Questionnaire) -> Result<Recipients, String> {
        Ok(q.recipients.clone().union(&self.own_keys()?))
    }

    /// This data dir's keys (`anketa seal-to`), strictly read (see [`DataDir::seal_to`]).
    fn own_keys(&self) -> Result<Recipients, String> {
        let mine = match fs::read_to_string(&self.config) {
            Ok(text) => match serde_json::from_str::<Config>(&text) {
                Ok(c) => c.recipients,
                Err(_) if !text.contains("recipients") => Vec::new(),
                Err(e) => {
                    return Err(format!(
                        "{}: damaged ({e}), and it names the keys to seal to: the interview is not completed on disk \
                         until it can be sealed; run `anketa seal-to` with the supervisor's .pub file again",
                        shown(&self.config)
                    ));
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("{}: {}", shown(&self.config), io_reason(&e))),
        };
        let mut to = Recipients::default();
        for key in &mine {
            to.add(&shown(&self.config), key)?;
        }
        Ok(to)
    }

    /// Seals the completed interviews of this data dir that are still in plaintext (completed
    /// before `anketa seal-to`), each to the data dir's keys and its questionnaire's, in place
    /// (atomic replace). An interview open in another window is left as it is and named in the
    /// problems. Returns how many were sealed.
    pub(crate) fn seal_completed(&self) -> (usize, Vec<String>) {
        let known = self.stored_questionnaires();
        let (mut sealed, mut problems) = (0, Vec::new());
        for (path, stored) in self.list() {
            let Ok(Stored::Open(rec)) = stored else { continue };
            if rec.status != Status::Completed {
                continue;
            }
            let to = match known.iter().find(|q| q.sha256 == rec.questionnaire.sha256) {
                Some(q) => self.seal_to(q),
                None => self.own_keys(),
            };
            let done = to.and_then(|to| {
                let _lock = self.lock(&rec).map_err(|e| e.to_string())?;
                write_atomic(&path, &crate::seal::seal_record(&rec, &to)).map_err(|e| io_reason(&e))
            });
            match done {
                Ok(()) => sealed += 1,
                Err(e) => problems.push(format!("{}: {e}", shown(&path))),
            }
        }
        (sealed, problems)
    }

    /// Every interview file of this data dir: path and what it holds (an interview, or a sealed
    /// one's head), or path and the reason it could not be read. Sorted by path.
    pub fn list(&self) -> Vec<(PathBuf, Result<Stored, Unreadable>)> {
        let Ok(rd) = fs::read_dir(self.interviews()) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|e| e == "json")
                    && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|p| {
                let r = read_text(&p, MAX_INTERVIEW_BYTES).and_then(|s| stored(&s));
                (p, r)
            })
            .collect()
    }

    /// Takes the writer's lock of an interview; fails if another anketa holds it.
    pub fn lock(&self, rec: &Record) -> Result<InterviewLock, LockError> {
        let name = interview_file_name(rec);
        let p = self.interviews().join(format!(".{name}.lock"));
        create_private_dir(&self.interviews()).map_err(LockError::Io)?;
        let mut opts = File::options();
        opts.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let f = opts.open(&p).map_err(LockError::Io)?;
        match f.try_lock() {
            Ok(()) => Ok(InterviewLock { _file: f }),
            Err(fs::TryLockError::WouldBlock) => Err(LockError::Held),
            Err(fs::TryLockError::Error(e)) => Err(LockError::Io(e)),
        }
    }
}

/// Why an interview could not be locked.
#[derive(Debug)]
pub enum LockError {
    /// Another anketa window has it open.
    Held,
    /// The lock file could not be made or locked.
    Io(io::Error),
}

impl std::fmt::Display for LockError {
    /// In English, for logs and command-line messages; the interviewer words it in its language
    /// (`i18n::lock_problem`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held => f.write_str("this interview is open in another anketa window; close it there first"),
            LockError::Io(e) => write!(f, "cannot lock the interview: {}", io_reason(e)),
        }
    }
}

/// Held while an interview is open; released on drop (and by the OS if the process dies).
#[derive(Debug)]
pub struct InterviewLock {
    _file: File,
}

/// Reads and parses one interview file.
pub fn read_record(p: &Path) -> Result<Record, Unreadable> {
    let s = read_text(p, MAX_INTERVIEW_BYTES)?;
    parse_record(&s)
}

pub use crate::record::decode::record as parse_record;

pub use crate::file_names::{interview as interview_file_name, questionnaire as questionnaire_file_name};
