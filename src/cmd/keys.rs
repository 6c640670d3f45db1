//! `anketa keygen` (the supervisor's key pair) and `anketa seal-to` (this laptop seals its
//! completed interviews to these keys).

use super::{Done, Error, emit};
use crate::diag::shown;
use crate::store::{self, DataDir};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Makes a key pair: `NAME.key` (secret, mode 0600) and `NAME.pub`; never overwrites a file.
pub fn keygen(name: &Path, out: &mut dyn Write) -> Result<Done, Error> {
    let created = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let k = crate::seal::keygen(&created);
    let (secret, public) = store::write_key_pair(name, &k).map_err(|e| Error::Usage(vec![e]))?;
    let text = format!(
        "wrote the secret key {secret} and the public key {public}\n\
         public key: {recipient}\n\
         - Give {public} to the laptops: `anketa seal-to {public}` on each, or put the key in the questionnaire's \
         \"recipients\".\n\
         - Keep {secret} on the supervisor's computer only, and a backup copy apart (a USB stick in a safe): \
         without it sealed interviews cannot be opened, by anyone. Open them with `anketa merge --identity {secret} …`.\n",
        secret = shown(&secret),
        public = shown(&public),
        recipient = k.recipient,
    );
    emit(out, text.as_bytes())?;
    Ok(Done::All)
}

/// Sets (or with `off` clears) the keys this laptop's completed interviews are sealed to, and
/// prints the setting; with no key and not `off`, prints it only.
pub fn seal_to(data_dir: Option<PathBuf>, given: &[String], off: bool, out: &mut dyn Write) -> Result<Done, Error> {
    let dir = DataDir::locate(data_dir).map_err(|e| Error::usage(e.to_string()))?;
    let mut cfg = dir.config();
    if off || !given.is_empty() {
        let to = store::recipients(given).map_err(Error::Usage)?;
        cfg.recipients = to.keys().map(str::to_string).collect();
        dir.save_config(&cfg)
            .map_err(|e| Error::Failed(format!("{}: {}", shown(dir.root()), store::io_reason(&e))))?;
    }
    // Interviews completed before the keys were set are sealed now: a lost laptop reveals none.
    let (sealed, problems) = if cfg.recipients.is_empty() {
        (0, Vec::new())
    } else {
        dir.seal_completed()
    };
    let text = if cfg.recipients.is_empty() {
        "this laptop does not seal interviews (a questionnaire's own \"recipients\" still seal its interviews)\n"
            .to_string()
    } else {
        let mut t = format!(
            "completed interviews on this laptop are sealed to {} key(s):\n",
            cfg.recipients.len()
        );
        for k in &cfg.recipients {
            t.push_str(&format!("  {k}\n"));
        }
        if sealed > 0 {
            t.push_str(&format!(
                "sealed {sealed} interview(s) completed earlier on this laptop\n"
            ));
        }
        t
    };
    emit(out, text.as_bytes())?;
    if problems.is_empty() {
        return Ok(Done::All);
    }
    Err(Error::Failed(format!(
        "{} completed interview(s) could not be sealed (they stay as they were; run `anketa seal-to` again once they \
         are closed):\n{}",
        problems.len(),
        problems.join("\n")
    )))
}
