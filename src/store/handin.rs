//! Hand-in: the completed interviews of this laptop copied — never moved — to a folder or a USB
//! stick for the supervisor, each copy written atomically and read back to be compared with the
//! original, so that a stick pulled mid-way leaves nothing half-written that merge would take as
//! complete (an interrupted copy is a hidden temp file, which every reader skips).
//!
//! The copies go to `DEST/anketa-<device>/interviews/` and `…/questionnaires/`: the supervisor
//! merges the stick as it is; several laptops share one stick without clashing.

use super::atomic::write_atomic;
use super::data_dir::DataDir;
use crate::record::Status;
use crate::record::decode::Stored;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What a hand-in did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandIn {
    /// The folder the copies went to (`DEST/anketa-<device>`).
    pub folder: PathBuf,
    /// Completed interviews copied now for the first time.
    pub new: usize,
    /// Completed interviews already there, identical (handed in before).
    pub already: usize,
    /// Completed interviews there in an older version (reopened and completed again since):
    /// replaced by the current one.
    pub updated: usize,
    /// Questionnaire copies written.
    pub questionnaires: usize,
}

/// Why a hand-in stopped, with what was done before.
#[derive(Debug)]
pub struct HandInError {
    /// What was handed in before it stopped.
    pub done: HandIn,
    /// The file it stopped at.
    pub at: PathBuf,
    /// The failure (a read-back that differs is `InvalidData`).
    pub error: io::Error,
}

impl DataDir {
    /// Hands in every completed interview and every questionnaire copy to `dest` (created if
    /// needed). Safe to repeat: identical copies are left alone.
    pub fn hand_in(&self, dest: &Path) -> Result<HandIn, HandInError> {
        let device = self.device_id().unwrap_or_else(|_| "unknown".into());
        let folder = dest.join(format!("anketa-{}", device.get(..8).unwrap_or(&device)));
        let mut done = HandIn {
            folder: folder.clone(),
            ..HandIn::default()
        };
        let stop = |done: &HandIn, at: &Path, error: io::Error| HandInError {
            done: done.clone(),
            at: at.to_path_buf(),
            error,
        };
        let interviews = folder.join("interviews");
        fs::create_dir_all(&interviews).map_err(|e| stop(&done, &interviews, e))?;
        for (path, stored) in self.list() {
            // Completed interviews, sealed or not (a sealed one is copied as it is).
            let status = match stored {
                Ok(Stored::Open(rec)) => rec.status,
                Ok(Stored::Sealed(head)) => head.status,
                Err(_) => continue,
            };
            if status != Status::Completed {
                continue;
            }
            let Some(name) = path.file_name() else { continue };
            let target = interviews.join(name);
            match copy_checked(&path, &target).map_err(|e| stop(&done, &path, e))? {
                Copy::Same => done.already += 1,
                Copy::New => done.new += 1,
                Copy::Replaced => done.updated += 1,
            }
        }
        let qdir = folder.join("questionnaires");
        if let Ok(rd) = fs::read_dir(self.questionnaires()) {
            let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for path in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
                let Some(name) = path.file_name() else { continue };
                fs::create_dir_all(&qdir).map_err(|e| stop(&done, &qdir, e))?;
                if copy_checked(&path, &qdir.join(name)).map_err(|e| stop(&done, &path, e))? != Copy::Same {
                    done.questionnaires += 1;
                }
            }
        }
        Ok(done)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Copy {
    Same,
    New,
    Replaced,
}

/// Copies `from` to `to` atomically unless `to` already holds the same bytes, then reads the
/// copy back and compares it.
fn copy_checked(from: &Path, to: &Path) -> io::Result<Copy> {
    let bytes = fs::read(from)?;
    let kind = match fs::read(to) {
        Ok(old) if old == bytes => return Ok(Copy::Same),
        Ok(_) => Copy::Replaced,
        Err(_) => Copy::New,
    };
    write_atomic(to, &bytes)?;
    if fs::read(to)? != bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the copy read back differs from the original: the stick may be failing",
        ));
    }
    Ok(kind)
}
