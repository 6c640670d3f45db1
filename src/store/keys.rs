//! Key files: the supervisor's identities (secret) and the recipients (public) interviews are
//! sealed to, read from the paths or strings given on the command line, and a new key pair
//! written by `anketa keygen`.

use super::{create_private_dir, io_reason, read_text, write_atomic};
use crate::diag::shown;
use crate::seal::{Identities, KeyPair, Recipients};
use std::path::{Path, PathBuf};

/// Largest key file read.
const MAX_KEY_FILE: usize = 1024 * 1024;

/// The recipients given as `--seal-to`: each an `age1…` key or the path of a recipients file
/// (a .pub file of `anketa keygen`). Every problem is listed.
pub(crate) fn recipients(given: &[String]) -> Result<Recipients, Vec<String>> {
    let mut to = Recipients::default();
    let mut problems = Vec::new();
    for g in given {
        let r = if g.trim_start().starts_with("age1") && !Path::new(g).exists() {
            to.add("--seal-to", g)
        } else {
            let p = Path::new(g);
            read_text(p, MAX_KEY_FILE)
                .map_err(|e| format!("--seal-to {}: {e}", shown(p)))
                .and_then(|text| Recipients::parse(&shown(p), &text))
                .map(|r| to = std::mem::take(&mut to).union(&r))
        };
        if let Err(e) = r {
            problems.push(e);
        }
    }
    if problems.is_empty() { Ok(to) } else { Err(problems) }
}

/// The identities given as `--identity FILE` (repeatable). Every problem is listed.
pub(crate) fn identities(files: &[PathBuf]) -> Result<Identities, Vec<String>> {
    let mut ids = Identities::default();
    let mut problems = Vec::new();
    for p in files {
        let r = read_text(p, MAX_KEY_FILE)
            .map_err(|e| format!("--identity {}: {e}", shown(p)))
            .and_then(|text| ids.add_file(&shown(p), &text));
        if let Err(e) = r {
            problems.push(e);
        }
    }
    if problems.is_empty() { Ok(ids) } else { Err(problems) }
}

/// The two files of a new key pair: `<out>.key` (secret, mode 0600) and `<out>.pub`. An
/// existing file is never overwritten (a lost key cannot be made again).
fn key_paths(out: &Path) -> (PathBuf, PathBuf) {
    let base = out.to_string_lossy();
    let base = base.strip_suffix(".key").unwrap_or(&base);
    (
        PathBuf::from(format!("{base}.key")),
        PathBuf::from(format!("{base}.pub")),
    )
}

/// Writes a new key pair to its two files (see [`key_paths`]); refuses if either exists.
pub(crate) fn write_key_pair(out: &Path, k: &KeyPair) -> Result<(PathBuf, PathBuf), String> {
    let (secret, public) = key_paths(out);
    for p in [&secret, &public] {
        if p.exists() || p.is_symlink() {
            return Err(format!(
                "{}: already exists; a key file is never overwritten (interviews sealed to it would be lost). \
                 Choose another name, or move the old files away first",
                shown(p)
            ));
        }
    }
    if let Some(dir) = secret.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        create_private_dir(dir).map_err(|e| format!("{}: {}", shown(dir), io_reason(&e)))?;
    }
    // Both written atomically with mode 0600 (the public one may be loosened by the user).
    write_atomic(&secret, k.identity_file.as_bytes()).map_err(|e| format!("{}: {}", shown(&secret), io_reason(&e)))?;
    write_atomic(&public, k.recipient_file.as_bytes()).map_err(|e| format!("{}: {}", shown(&public), io_reason(&e)))?;
    Ok((secret, public))
}
