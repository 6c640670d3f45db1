//! Opening a small age file held in memory, without age's stream reader: the sealed part of an
//! interview is one age file of one chunk (a record under 64 KiB), and a merge of 100,000
//! sealed interviews opens 100,000 of them. age's `Decryptor` reads through a `BufRead`,
//! zeroes a 64 KiB chunk buffer and copies the record twice for each; here the one chunk is
//! decrypted in place. That was about 8 µs of the ≈ 60 µs a file costs (the X25519 is the rest).
//!
//! It is a fast path, not a second implementation of age: it takes only the simplest shape —
//! a v1 header parsed by age's own stanza parser, no `scrypt` stanza, and a payload of a single
//! last chunk shorter than a full one — and does the same checks with the same primitives
//! (the file key unwrapped by the identities in age's order, the header's HMAC over its bytes
//! up to `---`, ChaCha20-Poly1305 of the chunk with the last-chunk nonce). Anything else,
//! including every failure, returns `None`, and the caller opens the file with age, which then
//! says what is wrong. The tests hold the two equal on files age wrote (sizes around the chunk
//! size, several recipients) and hold this path to `None` on every flipped byte and every cut.

use super::keys::Identities;
use age_core::secrecy::ExposeSecret;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use hmac::Mac;

/// The first line of an age v1 file.
const MAGIC: &[u8] = b"age-encryption.org/v1\n";
/// A STREAM chunk's plaintext at most, and its tag (age: 64 KiB, Poly1305).
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
/// The payload's nonce, before the chunks.
const NONCE: usize = 16;
/// `--- ` + the MAC in base64 (43 characters) + `\n`.
const MAC_LINE: usize = 4 + 43 + 1;

/// Opens the age file `bytes` in place with `ids`: the plaintext (a part of `bytes`), or `None`
/// when the file is not of the simple shape or anything fails (then open it with age).
pub(super) fn open_in_place<'b>(bytes: &'b mut [u8], ids: &Identities) -> Option<&'b [u8]> {
    let mut rest = bytes.strip_prefix(MAGIC)?;
    let mut stanzas = Vec::with_capacity(2);
    while !rest.starts_with(b"---") {
        // age's own parser of a header's stanza, as age's header parser uses it.
        let (after, stanza) = age_core::format::read::legacy_age_stanza(rest).ok()?;
        stanzas.push(age_core::format::Stanza::from(stanza));
        rest = after;
    }
    if stanzas.is_empty() || stanzas.iter().any(|s| s.tag == "scrypt") {
        return None;
    }
    let line = rest.get(..MAC_LINE)?;
    if !line.starts_with(b"--- ") || line[MAC_LINE - 1] != b'\n' {
        return None;
    }
    let mut mac = [0u8; 33];
    {
        use base64::Engine;
        match base64::engine::general_purpose::STANDARD_NO_PAD.decode_slice(&line[4..MAC_LINE - 1], &mut mac) {
            Ok(32) => {}
            _ => return None,
        }
    }
    // The MAC covers the header up to and including `---`.
    let header_end = bytes.len() - rest.len() + 3;
    let payload_at = bytes.len() - rest.len() + MAC_LINE;
    let file_key = ids.iter().find_map(|id| id.unwrap_stanzas(&stanzas))?.ok()?;
    let file_key = file_key.expose_secret();
    let mac_key = age_core::primitives::hkdf(&[], b"header", file_key);
    let mut hmac = <hmac::Hmac<sha2_10::Sha256> as Mac>::new_from_slice(&mac_key).ok()?;
    hmac.update(&bytes[..header_end]);
    hmac.verify_slice(&mac[..32]).ok()?;
    // One chunk, the last, shorter than a full one (a full last chunk is read by age, which
    // tells it from a first of several).
    let payload = &mut bytes[payload_at..];
    if payload.len() < NONCE + TAG || payload.len() - NONCE >= CHUNK + TAG {
        return None;
    }
    let (nonce, chunk) = payload.split_at_mut(NONCE);
    let key = age_core::primitives::hkdf(nonce, b"payload", file_key);
    let (text, tag) = chunk.split_at_mut(chunk.len() - TAG);
    // The STREAM nonce: an 11-byte counter (0, the first chunk), then 1 for the last chunk.
    let mut stream_nonce = [0u8; 12];
    stream_nonce[11] = 1;
    chacha20poly1305::ChaCha20Poly1305::new(&key.into())
        .decrypt_in_place_detached(&stream_nonce.into(), b"", text, (&*tag).into())
        .ok()?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::open_in_place;
    use crate::seal::{Identities, Recipients, keygen, open_bytes, seal_bytes};

    fn keys(n: usize) -> (Vec<Identities>, Recipients) {
        let mut ids = Vec::new();
        let mut to: Option<Recipients> = None;
        for i in 0..n {
            let k = keygen("2026-12-04T12:00:00Z");
            let mut id = Identities::default();
            id.add_file(&format!("k{i}.key"), &k.identity_file).unwrap();
            ids.push(id);
            let r = Recipients::parse("k.pub", &k.recipient_file).unwrap();
            to = Some(match to {
                None => r,
                Some(t) => t.union(&r),
            });
        }
        (ids, to.unwrap())
    }

    fn text(n: usize) -> Vec<u8> {
        let pattern = "anketa опрос ".as_bytes();
        (0..n).map(|i| pattern[i % pattern.len()]).collect()
    }

    #[test]
    fn it_opens_what_age_opens_and_leaves_the_rest_to_age() {
        let (ids, to) = keys(3);
        for size in [0, 1, 5_000, 65_535, 65_536, 65_537, 140_000] {
            let plain = text(size);
            let sealed = seal_bytes(&plain, &to);
            for id in &ids {
                assert_eq!(open_bytes(&sealed, id).unwrap(), plain, "age, {size} bytes");
                let mut copy = sealed.clone();
                let got = open_in_place(&mut copy, id);
                if size < 65_536 {
                    assert_eq!(got, Some(&plain[..]), "{size} bytes");
                } else {
                    // Several chunks, or one full chunk: age's.
                    assert_eq!(got, None, "{size} bytes");
                }
            }
            // A key it is not sealed to: age's (which says "another key").
            let (other, _) = keys(1);
            assert_eq!(open_in_place(&mut sealed.clone(), &other[0]), None);
            assert_eq!(open_in_place(&mut sealed.clone(), &Identities::default()), None);
        }
    }

    #[test]
    fn every_flipped_byte_and_every_cut_is_left_to_age() {
        let (ids, to) = keys(2);
        let plain = text(300);
        let sealed = seal_bytes(&plain, &to);
        assert_eq!(open_in_place(&mut sealed.clone(), &ids[1]), Some(&plain[..]));
        for i in 0..sealed.len() {
            for bit in [0x01, 0x80] {
                let mut bad = sealed.clone();
                bad[i] ^= bit;
                assert_eq!(open_in_place(&mut bad, &ids[1]), None, "byte {i} ^ {bit:#x}");
            }
        }
        for cut in 0..sealed.len() {
            let mut short = sealed[..cut].to_vec();
            assert_eq!(open_in_place(&mut short, &ids[1]), None, "cut at {cut}");
        }
        let mut longer = sealed.clone();
        longer.push(b'x');
        assert_eq!(open_in_place(&mut longer, &ids[1]), None);
    }
}
