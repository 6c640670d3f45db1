//! Sealed interviews: a completed interview encrypted to the supervisor's key, so that a lost
//! laptop or USB stick reveals nothing of what respondents said.
//!
//! A sealed file is one JSON object: a small plaintext head with only what merge needs to
//! deduplicate and account for it (format, id, revision, status, questionnaire id, version and
//! hash, device, updated), and the record itself, encrypted with [age] to one or more X25519
//! recipients and written in base64 under `sealed`:
//!
//! ```text
//! {
//!   "format": "anketa-sealed/1",
//!   "id": "0191d2f4-…", "revision": 41, "status": "completed",
//!   "questionnaire": {"id": "nko", "version": "2021", "sha256": "…"},
//!   "device": "…", "updated": "2021-03-02T09:14:55Z",
//!   "sealed": "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSB…"
//! }
//! ```
//!
//! The `sealed` value, base64-decoded, is a standard age file: `age -d -i supervisor.key`
//! opens it too. age authenticates what it encrypts (a flipped byte is refused), and the head
//! is bound to the record: [`check_head`] refuses a head that says something else than the
//! record sealed under it. Anyone who has a recipient (public) key can seal a file, as anyone
//! who can write to the laptop can write a plaintext one: sealing hides and protects the
//! content, it does not say who sealed it.
//!
//! Keys are age's own text forms (`AGE-SECRET-KEY-1…` identities, `age1…` recipients), in files
//! with `#` comments, as `age-keygen` writes them ([`keygen`]).
//!
//! Pure except for randomness (new keys, the file key and nonces come from the OS).
//!
//! [age]: https://age-encryption.org

pub mod keys;
mod quick;

pub use keys::{Identities, KeyPair, Recipients, keygen};

use crate::record::view::{QuestionnaireView, Str};
use crate::record::{Record, RecordView, Status};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// The format tag of a sealed interview file.
pub const SEALED_FORMAT: &str = "anketa-sealed/1";

/// The head of a sealed file as it is written.
#[derive(Serialize)]
struct HeadOut<'a> {
    format: &'static str,
    id: &'a str,
    revision: u64,
    status: Status,
    questionnaire: &'a crate::record::QuestionnaireRef,
    device: &'a str,
    updated: &'a str,
    sealed: String,
}

/// Seals a record: the sealed file's bytes (pretty-printed JSON, a newline at the end).
pub fn seal_record(rec: &Record, to: &Recipients) -> Vec<u8> {
    let sealed = BASE64.encode(seal_bytes(&rec.to_json_line(), to));
    let head = HeadOut {
        format: SEALED_FORMAT,
        id: &rec.id,
        revision: rec.revision,
        status: rec.status,
        questionnaire: &rec.questionnaire,
        device: &rec.device,
        updated: &rec.updated,
        sealed,
    };
    let mut v = serde_json::to_vec_pretty(&head).unwrap_or_default();
    v.push(b'\n');
    v
}

/// Encrypts `plain` to `to`: an age file (binary).
pub fn seal_bytes(plain: &[u8], to: &Recipients) -> Vec<u8> {
    let mut out = Vec::with_capacity(plain.len() + 256);
    let mut w = to
        .encryptor()
        .wrap_output(&mut out)
        .expect("writing to memory cannot fail");
    w.write_all(plain).expect("writing to memory cannot fail");
    w.finish().expect("writing to memory cannot fail");
    out
}

/// A writer that encrypts what it is given to an age file written to `W` (a large output of
/// merge); [`Sealer::finish`] must be called to write the last chunk.
pub struct Sealer<W: Write>(age::stream::StreamWriter<W>);

impl<W: Write> Sealer<W> {
    /// Starts an age file for `to` on `w` (the header is written at once).
    pub fn new(w: W, to: &Recipients) -> std::io::Result<Self> {
        to.encryptor().wrap_output(w).map(Sealer)
    }

    /// Writes the last chunk; returns the inner writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.0.finish()
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Whether `bytes` start an age file (`age-encryption.org/v1`): a sealed output of merge.
pub fn is_age_file(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/")
}

/// Opens an age file (a sealed output of merge) with `ids`.
pub fn open_bytes(bytes: &[u8], ids: &Identities) -> Result<Vec<u8>, Locked> {
    let mut r = open_reader(bytes, ids)?;
    let mut plain = Vec::with_capacity(bytes.len());
    r.read_to_end(&mut plain).map_err(|e| reading_error(&e))?;
    Ok(plain)
}

/// A reader of what the age file `r` holds, decrypted as it is read (a large sealed data set
/// is not held in memory). A read error is one of [`reading_error`]'s.
pub fn open_reader<R: std::io::BufRead>(r: R, ids: &Identities) -> Result<impl Read, Locked> {
    let d = age::Decryptor::new_buffered(r).map_err(|e| opening_error(&e))?;
    if ids.is_empty() {
        return Err(Locked::NoIdentity);
    }
    d.decrypt(ids.iter()).map_err(|e| opening_error(&e))
}

/// Why reading the content of an opened age file failed.
pub fn reading_error(e: &std::io::Error) -> Locked {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Locked::Damaged("cut short: copy it again".into()),
        _ => Locked::Tampered("its encrypted content fails authentication: altered or damaged after sealing".into()),
    }
}

/// Why a sealed text was not opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locked {
    /// No identity was given (merge and report without `--identity`).
    NoIdentity,
    /// None of the given identities is among its recipients: sealed for other keys.
    OtherKeys,
    /// Damaged: cut short or not an age file.
    Damaged(String),
    /// Altered after sealing (authentication failed, or the head says something else than the
    /// record sealed under it).
    Tampered(String),
}

impl Locked {
    /// Whether the file is sound and only the key is missing: it is kept to be opened later
    /// (not rejected).
    pub fn wants_key(&self) -> bool {
        matches!(self, Locked::NoIdentity | Locked::OtherKeys)
    }

    /// What is wrong, in English (merge's report, `list`).
    pub fn reason(&self) -> String {
        match self {
            Locked::NoIdentity => "sealed: needs --identity (the supervisor's secret key file) to be opened".into(),
            Locked::OtherKeys => "sealed for another key: none of the --identity files opens it (give the key of the \
                                   recipient its laptop seals to)"
                .into(),
            Locked::Damaged(why) => format!("sealed interview damaged: {why}"),
            Locked::Tampered(why) => format!("sealed interview refused: {why}"),
        }
    }
}

fn opening_error(e: &age::DecryptError) -> Locked {
    use age::DecryptError as E;
    match e {
        E::NoMatchingKeys => Locked::OtherKeys,
        E::InvalidMac | E::KeyDecryptionFailed | E::DecryptionFailed => {
            Locked::Tampered("its encrypted header fails authentication: altered or damaged after sealing".into())
        }
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Locked::Damaged("its encrypted part is cut short: copy it again from the laptop".into())
        }
        _ => Locked::Damaged("its encrypted part is damaged or altered: its age header does not parse".into()),
    }
}

/// The plaintext head of a sealed interview file, borrowed from its text.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedView<'a> {
    /// [`SEALED_FORMAT`].
    #[serde(borrow)]
    pub format: Str<'a>,
    /// The interview's id.
    #[serde(borrow)]
    pub id: Str<'a>,
    /// Its revision.
    pub revision: u64,
    /// Its status.
    pub status: Status,
    /// Its questionnaire.
    #[serde(borrow)]
    pub questionnaire: QuestionnaireView<'a>,
    /// The laptop's device id.
    #[serde(borrow)]
    pub device: Str<'a>,
    /// The last change.
    #[serde(borrow)]
    pub updated: Str<'a>,
    /// The age file, base64.
    #[serde(borrow)]
    pub sealed: Str<'a>,
}

/// The plaintext head of a sealed interview, owned (the laptop's list of interviews).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedHead {
    /// The interview's id.
    pub id: String,
    /// Its revision.
    pub revision: u64,
    /// Its status.
    pub status: Status,
    /// Its questionnaire.
    pub questionnaire: crate::record::QuestionnaireRef,
    /// The laptop's device id.
    pub device: String,
    /// The last change (the sealing).
    pub updated: String,
}

impl<'a> SealedView<'a> {
    /// The head, owned.
    pub fn head(&self) -> SealedHead {
        SealedHead {
            id: self.id.to_string(),
            revision: self.revision,
            status: self.status,
            questionnaire: crate::record::QuestionnaireRef {
                id: self.questionnaire.id.to_string(),
                version: self.questionnaire.version.to_string(),
                sha256: self.questionnaire.sha256.to_string(),
            },
            device: self.device.to_string(),
            updated: self.updated.to_string(),
        }
    }

    /// Reads a sealed file's text.
    pub fn parse(text: &'a str) -> Result<SealedView<'a>, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Opens the record sealed in it with `ids`: the record's text.
    pub fn open(&self, ids: &Identities) -> Result<String, Locked> {
        let decode = || {
            base64_simd::STANDARD
                .decode_to_vec(self.sealed.as_bytes())
                .map_err(|_| Locked::Damaged("its `sealed` value is not base64: damaged in copying".into()))
        };
        let mut bytes = decode()?;
        let plain = match quick::open_in_place(&mut bytes, ids) {
            Some(text) => text.to_vec(),
            // age opens the rest, or says what is wrong (from the bytes as they were).
            None => open_bytes(&decode()?, ids)?,
        };
        String::from_utf8(plain).map_err(|_| Locked::Tampered("what it seals is not text".into()))
    }
}

/// Checks that the head of a sealed file says what the record sealed under it says: a head
/// altered after sealing (to win a conflict, say) is refused.
pub fn check_head(head: &SealedView<'_>, rec: &RecordView<'_>) -> Result<(), Locked> {
    let q = (&head.questionnaire, &rec.questionnaire);
    let differs = [
        ("id", head.id.as_str() != rec.id.as_str()),
        ("revision", head.revision != rec.revision),
        ("status", head.status != rec.status),
        (
            "questionnaire",
            q.0.id.as_str() != q.1.id.as_str()
                || q.0.version.as_str() != q.1.version.as_str()
                || q.0.sha256.as_str() != q.1.sha256.as_str(),
        ),
        ("device", head.device.as_str() != rec.device.as_str()),
        ("updated", head.updated.as_str() != rec.updated.as_str()),
    ];
    match differs.iter().find(|(_, d)| *d) {
        None => Ok(()),
        Some((field, _)) => Err(Locked::Tampered(format!(
            "its plaintext `{field}` differs from the sealed record's: the head was altered after sealing"
        ))),
    }
}

/// Whether a JSON text is a sealed interview (a cheap look at its start).
pub fn looks_sealed(text: &str) -> bool {
    let start = &text.as_bytes()[..text.len().min(64)];
    memchr::memmem::find(start, SEALED_FORMAT.as_bytes()).is_some()
}

#[cfg(test)]
mod tests;
