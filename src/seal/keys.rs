//! Key files: the recipients (public keys, `age1…`) interviews are sealed to and the
//! identities (secret keys, `AGE-SECRET-KEY-1…`) that open them, as `age-keygen` writes them
//! (one key per line, `#` comments). A leaf: the questionnaire's `recipients` are checked here
//! without the questionnaire module depending on the record format.

use age::secrecy::ExposeSecret;

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
        let one_line = text.trim().lines().count() <= 1;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = if !one_line {
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

    pub(super) fn encryptor(&self) -> age::Encryptor {
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
pub struct Identities(Vec<Key>);

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
            let id = Key::parse(line).map_err(|e| {
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

    pub(super) fn iter(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.0.iter().map(|i| i as &dyn age::Identity)
    }
}

/// An X25519 identity whose public key is computed once. age's own `x25519::Identity`
/// recomputes it (a base point multiplication, about a fifth of opening a file) for every file,
/// which a merge of 100,000 sealed interviews pays 100,000 times. The stanza is unwrapped as
/// age's does it (<https://c2sp.org/age#x25519-recipient-stanza>), with age's own primitives;
/// the tests open files sealed by age with both and hold them equal.
#[derive(Clone)]
struct Key {
    secret: x25519_dalek::StaticSecret,
    public: x25519_dalek::PublicKey,
}

impl Key {
    /// An `AGE-SECRET-KEY-1…` line, checked by age, then its 32 bytes kept.
    fn parse(line: &str) -> Result<Key, &'static str> {
        let _checked: age::x25519::Identity = line.parse()?;
        let bytes: Vec<u8> = age_core::primitives::bech32_decode(
            line,
            |_| "invalid Bech32 encoding",
            |_| Ok(()),
            |_, bytes| Ok(bytes.collect()),
        )?;
        let raw: [u8; 32] = bytes.as_slice().try_into().map_err(|_| "incorrect identity length")?;
        let secret = x25519_dalek::StaticSecret::from(raw);
        let public = x25519_dalek::PublicKey::from(&secret);
        Ok(Key { secret, public })
    }
}

impl age::Identity for Key {
    fn unwrap_stanza(
        &self,
        stanza: &age_core::format::Stanza,
    ) -> Option<Result<age_core::format::FileKey, age::DecryptError>> {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD_NO_PAD;
        const FILE_KEY: usize = age_core::format::FILE_KEY_BYTES;
        if stanza.tag != "X25519" {
            return None;
        }
        let invalid = || Some(Err(age::DecryptError::InvalidHeader));
        let [arg] = &stanza.args[..] else { return invalid() };
        let mut epk = [0u8; 33];
        match STANDARD_NO_PAD.decode_slice(arg, &mut epk) {
            Ok(32) => {}
            _ => return invalid(),
        }
        if stanza.body.len() != FILE_KEY + 16 {
            return invalid();
        }
        let epk: [u8; 32] = epk[..32].try_into().expect("32 bytes");
        let shared = x25519(&self.secret, epk);
        if shared.iter().all(|&b| b == 0) {
            return invalid();
        }
        let mut salt = [0; 64];
        salt[..32].copy_from_slice(&epk);
        salt[32..].copy_from_slice(self.public.as_bytes());
        let key = age_core::primitives::hkdf(&salt, b"age-encryption.org/v1/X25519", &shared);
        // Not ours (another recipient's stanza) is not an error: the next key is tried.
        let plain = age_core::primitives::aead_decrypt(&key, FILE_KEY, &stanza.body).ok()?;
        Some(Ok(age_core::format::FileKey::init_with_mut(|k| {
            k.copy_from_slice(&plain)
        })))
    }
}

/// X25519 (RFC 7748) of `secret` and a file's ephemeral share `u`: what
/// `secret.diffie_hellman(u)` gives, about a fifth faster. A merge of 100,000 sealed interviews
/// does one per file, and the Montgomery ladder of `x25519_dalek` was 45 % of its time. A `u` on
/// the curve is taken to its Edwards point and multiplied there, where curve25519-dalek uses
/// AVX2 when the CPU has it (chosen at run time); the clamped scalar is a multiple of the
/// cofactor, as in the ladder, and the maps between the two curves keep the group law, so the
/// `u` of the product is the same. A `u` on the twist (a crafted file: age's shares are on the
/// curve) goes through the ladder. Both are constant-time in the secret. The tests hold it equal
/// to the ladder on random, low-order, twist and non-canonical `u`s.
fn x25519(secret: &x25519_dalek::StaticSecret, u: [u8; 32]) -> [u8; 32] {
    use curve25519_dalek::montgomery::MontgomeryPoint;
    let u = MontgomeryPoint(u);
    let shared = match u.to_edwards(0) {
        Some(p) => p.mul_clamped(secret.to_bytes()).to_montgomery(),
        None => u.mul_clamped(secret.to_bytes()),
    };
    shared.to_bytes()
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
         # with a backup copy kept apart (see docs/ru/keys.md): without it sealed interviews cannot be opened.\n\
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

#[cfg(test)]
mod tests {
    use super::x25519;
    use x25519_dalek::{PublicKey, StaticSecret};

    /// A small deterministic generator (splitmix64): the same cases on every run.
    fn bytes(state: &mut u64) -> [u8; 32] {
        let mut out = [0; 32];
        for chunk in out.chunks_mut(8) {
            *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        out
    }

    fn hex(s: &str) -> [u8; 32] {
        let v: Vec<u8> = (0..64)
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect();
        v.try_into().unwrap()
    }

    #[test]
    fn x25519_through_edwards_equals_the_ladder() {
        let mut state = 2026;
        // The points of small order and their non-canonical spellings (cr.yp.to/ecdh.html), p - 1
        // (u = -1, which has no Edwards point), and the high bit set, which X25519 ignores.
        let special = [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
            "4c9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
            "d9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "daffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "0900000000000000000000000000000000000000000000000000000000000000",
            "0900000000000000000000000000000000000000000000000000000000000080",
        ];
        let mut us: Vec<[u8; 32]> = special.iter().map(|s| hex(s)).collect();
        // Random bytes: about half are on the twist (the ladder's path), half on the curve.
        us.extend((0..150).map(|_| bytes(&mut state)));
        // Honest shares, as age makes them: a secret times the base point.
        us.extend((0..150).map(|_| PublicKey::from(&StaticSecret::from(bytes(&mut state))).to_bytes()));
        let mut on_curve = 0;
        for u in us {
            let secret = StaticSecret::from(bytes(&mut state));
            let want = secret.diffie_hellman(&PublicKey::from(u));
            assert_eq!(x25519(&secret, u), *want.as_bytes(), "u = {u:02x?}");
            on_curve += usize::from(curve25519_dalek::montgomery::MontgomeryPoint(u).to_edwards(0).is_some());
        }
        // Both paths were taken.
        assert!((160..314).contains(&on_curve), "{on_curve} of 314 on the curve");
    }

    /// RFC 7748, section 5.2: the first test vector.
    #[test]
    fn x25519_rfc_7748_vector() {
        let k = hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        let u = hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        let want = hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
        assert_eq!(x25519(&StaticSecret::from(k), u), want);
    }
}
