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

use crate::record::view::{QuestionnaireView, Str};
use crate::record::{Record, RecordView, Status};
use age::secrecy::ExposeSecret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// The format tag of a sealed interview file.
pub const SEALED_FORMAT: &str = "anketa-sealed/1";

/// The X25519 recipients (public keys) completed interviews are sealed to.
#[derive(Clone, Default)]
pub struct Recipients(Vec<(String, age::x25519::Recipient)>);

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(s, _)| s)).finish()
    }
}

impl PartialEq for Recipients {
    fn eq(&self, other: &Self) -> bool {
        self.keys().eq(other.keys())
    }
}

impl Recipients {
    /// Reads recipients from `text`: one `age1…` key, or a recipients file (one key per line,
    /// blank lines and `#` comments allowed). `label` names the text in errors. Each error names
    /// its line and what to do.
    pub fn parse(label: &str, text: &str) -> Result<Recipients, String> {
        let mut r = Recipients::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = if text.trim().lines().count() > 1 {
                format!("{label}, line {}", n + 1)
            } else {
                label.to_string()
            };
            r.add(&at, line)?;
        }
        if r.0.is_empty() {
            return Err(format!(
                "{label}: no recipient (an `age1…` public key) in it; make a key pair with `anketa keygen --out NAME` and give NAME.pub"
            ));
        }
        Ok(r)
    }

    /// Adds one `age1…` key (given at `at`, for errors); a key given twice is kept once.
    pub fn add(&mut self, at: &str, key: &str) -> Result<(), String> {
        let key = key.trim();
        let r: age::x25519::Recipient = key.parse().map_err(|e| not_a_recipient(at, key, e))?;
        let canonical = r.to_string();
        if !self.0.iter().any(|(s, _)| *s == canonical) {
            self.0.push((canonical, r));
        }
        Ok(())
    }

    /// Both sets: every key once, in order.
    pub fn union(mut self, other: &Recipients) -> Recipients {
        for (s, r) in &other.0 {
            if !self.0.iter().any(|(t, _)| t == s) {
                self.0.push((s.clone(), r.clone()));
            }
        }
        self
    }

    /// Whether there is no key (interviews are then not sealed).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The keys, as `age1…` strings.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(s, _)| s.as_str())
    }

    fn encryptor(&self) -> age::Encryptor {
        age::Encryptor::with_recipients(self.0.iter().map(|(_, r)| r as &dyn age::Recipient))
            .expect("at least one X25519 recipient: checked by the callers")
    }
}

/// Why `key` is not a recipient, with what to do.
fn not_a_recipient(at: &str, key: &str, e: &str) -> String {
    let shown: String = key.chars().take(24).collect();
    if key.starts_with("AGE-SECRET-KEY-") {
        format!(
            "{at}: this is a secret key (an identity), not a recipient. Give the public key (the .pub file of `anketa keygen`); \
             the secret key stays with the supervisor and never goes onto a laptop"
        )
    } else if key.starts_with("ssh-") {
        format!(
            "{at}: `{shown}…` is a kind of key anketa does not seal to; make a key pair with `anketa keygen --out NAME`"
        )
    } else {
        format!("{at}: `{shown}` is not an age public key ({e}); it starts with `age1` and has 62 characters")
    }
}

/// The supervisor's secret keys, which open sealed interviews.
#[derive(Clone, Default)]
pub struct Identities(Vec<age::x25519::Identity>);

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identities({} key(s))", self.0.len())
    }
}

impl Identities {
    /// Reads an identity file (one `AGE-SECRET-KEY-1…` per line, blank lines and `#` comments
    /// allowed), as `anketa keygen` and `age-keygen` write it; its keys are added. `label`
    /// names the file in errors.
    pub fn add_file(&mut self, label: &str, text: &str) -> Result<(), String> {
        let before = self.0.len();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with("age1") {
                return Err(format!(
                    "{label}, line {}: this is a public key (a recipient), which seals but cannot open; give the secret key file \
                     (NAME.key of `anketa keygen`)",
                    n + 1
                ));
            }
            let id: age::x25519::Identity = line.parse().map_err(|e| {
                format!(
                    "{label}, line {}: not an age secret key ({e}); give the NAME.key file of `anketa keygen` (its key line starts with \
                     AGE-SECRET-KEY-1)",
                    n + 1
                )
            })?;
            self.0.push(id);
        }
        if self.0.len() == before {
            return Err(format!(
                "{label}: no secret key (AGE-SECRET-KEY-1…) in it; give the NAME.key file of `anketa keygen`"
            ));
        }
        Ok(())
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.0.iter().map(|i| i as &dyn age::Identity)
    }
}

/// A new key pair, as the texts of its two files.
pub struct KeyPair {
    /// The identity file (secret): comments, then the `AGE-SECRET-KEY-1…` line.
    pub identity_file: String,
    /// The recipient file (public): a comment, then the `age1…` line.
    pub recipient_file: String,
    /// The recipient, `age1…`.
    pub recipient: String,
}

/// Makes a new X25519 key pair; `created` (RFC 3339) is written in the files' comments.
pub fn keygen(created: &str) -> KeyPair {
    let id = age::x25519::Identity::generate();
    let recipient = id.to_public().to_string();
    let identity_file = format!(
        "# anketa: the SECRET key that opens sealed interviews. Keep it on the supervisor's computer only,\n\
         # with a backup copy kept apart (see docs/keys.ru.md): without it sealed interviews cannot be opened.\n\
         # created: {created}\n\
         # public key: {recipient}\n\
         {}\n",
        id.to_string().expose_secret()
    );
    let recipient_file = format!(
        "# anketa: the PUBLIC key (recipient) that laptops seal completed interviews to; safe to copy.\n\
         # created: {created}\n\
         {recipient}\n"
    );
    KeyPair {
        identity_file,
        recipient_file,
        recipient,
    }
}

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
    let sealed = BASE64.encode(seal_bytes(&rec.to_json(), to));
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
    let d = age::Decryptor::new_buffered(bytes).map_err(|e| opening_error(&e))?;
    if ids.is_empty() {
        return Err(Locked::NoIdentity);
    }
    let mut r = d.decrypt(ids.iter()).map_err(|e| opening_error(&e))?;
    let mut plain = Vec::with_capacity(bytes.len());
    r.read_to_end(&mut plain).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Locked::Damaged("cut short: copy it again".into()),
        _ => Locked::Tampered("its encrypted content fails authentication: altered or damaged after sealing".into()),
    })?;
    Ok(plain)
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
        let bytes = BASE64
            .decode(self.sealed.as_bytes())
            .map_err(|_| Locked::Damaged("its `sealed` value is not base64: damaged in copying".into()))?;
        let plain = open_bytes(&bytes, ids)?;
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
