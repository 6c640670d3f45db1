//! Sealing benchmark (issue 16; `cargo bench --bench seal`; numbers go to docs/benchmarks.md).
//! Not a test: prints a table.
//!
//! What completing an interview costs with and without sealing: `DataDir::save` of a completed
//! simulated interview (serialise, atomic write: temp file, fsync, rename, fsync the folder)
//! plaintext against sealed to one and to two recipients, and `seal_record` alone. Completed
//! `nko` interviews (the note's НКО instrument, with paradata) and `projects` (nested rosters).
//! Target: sealing adds ≤ 1 ms to completing an interview.

use anketa::questionnaire::bundled;
use anketa::seal::{self, Recipients};
use anketa::simulate::{Options, Simulator};
use anketa::store::DataDir;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::{pct, us};

const ROUNDS: usize = 200;

fn main() {
    let dir = tempfile::tempdir_in(std::env::var_os("ANKETA_BENCH_TMP").unwrap_or_else(|| ".".into())).unwrap();
    let data = DataDir::at(dir.path());
    data.ensure().unwrap();
    let one = recipients(1);
    let two = recipients(2);
    println!(
        "| questionnaire | record bytes | seal_record p50 | save plaintext p50 | save sealed (1 key) p50 | save sealed (2 keys) p50 | added by sealing (p50) |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut opened = Vec::new();
    for id in ["nko", "projects"] {
        let q = bundled(id).unwrap();
        let sim = Simulator::new(
            &q,
            Options {
                seed: 11,
                interviewers: 3,
                incomplete_share: 0.0,
                weights: Default::default(),
            },
        );
        let recs: Vec<_> = (0..ROUNDS as u64)
            .map(|n| sim.record(n))
            .filter(|r| r.status == anketa::record::Status::Completed)
            .collect();
        let bytes = recs.iter().map(|r| r.to_json().len()).sum::<usize>() / recs.len();
        let time = |f: &mut dyn FnMut(&anketa::record::Record)| {
            let mut v: Vec<Duration> = recs
                .iter()
                .map(|r| {
                    let t = Instant::now();
                    f(r);
                    t.elapsed()
                })
                .collect();
            pct(&mut v, 0.5)
        };
        let seal_only = time(&mut |r| {
            std::hint::black_box(seal::seal_record(r, &one));
        });
        let none = Recipients::default();
        // Alternated, so that a disk that slows down mid-run slows each alike.
        let (mut plain, mut s1, mut s2) = (Vec::new(), Vec::new(), Vec::new());
        for r in &recs {
            for (to, into) in [(&none, &mut plain), (&one, &mut s1), (&two, &mut s2)] {
                let t = Instant::now();
                data.save(r, to).unwrap();
                into.push(t.elapsed());
            }
        }
        let (p, a, b) = (pct(&mut plain, 0.5), pct(&mut s1, 0.5), pct(&mut s2, 0.5));
        opened.push((id, recs));
        println!(
            "| {id} | {bytes} | {} | {} | {} | {} | {} |",
            us(seal_only),
            us(p),
            us(a),
            us(b),
            us(a.saturating_sub(p))
        );
    }
    let k = seal::keygen("2026-12-04T00:00:00Z");
    let mut ids = seal::Identities::default();
    ids.add_file("bench", &k.identity_file).unwrap();
    let to = Recipients::parse("bench", &k.recipient_file).unwrap();
    let id: age::x25519::Identity = k.identity_file.lines().last().unwrap().parse().unwrap();
    let t = Instant::now();
    for _ in 0..200 {
        std::hint::black_box(id.to_public());
    }
    println!(
        "x25519 public key from the secret (a base point multiplication): {}",
        us(t.elapsed() / 200)
    );
    // Opening an age file of 1 byte (the key exchange and header alone), with anketa's key
    // (public key computed once) and with age's own identity, interleaved.
    let tiny = seal::seal_bytes(b"x", &to);
    let (mut ours, mut ages) = (Vec::new(), Vec::new());
    for _ in 0..400 {
        let t = Instant::now();
        std::hint::black_box(seal::open_bytes(&tiny, &ids).unwrap());
        ours.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(age::decrypt(&id, &tiny).unwrap());
        ages.push(t.elapsed());
    }
    println!(
        "opening an age file of 1 byte (key exchange and header), p50: anketa's key {}, age's identity {}",
        us(pct(&mut ours, 0.5)),
        us(pct(&mut ages, 0.5))
    );
    for (id, recs) in &opened {
        print!("{id}: ");
        opening(recs, &to, &ids);
    }
}

/// What opening a sealed file costs in merge, by step: the head, base64 + age, the record.
fn opening(recs: &[anketa::record::Record], to: &Recipients, ids: &seal::Identities) {
    let files: Vec<String> = recs
        .iter()
        .map(|r| String::from_utf8(seal::seal_record(r, to)).unwrap())
        .collect();
    let mut t = [Duration::ZERO; 3];
    for f in &files {
        let a = Instant::now();
        let head = seal::SealedView::parse(f).unwrap();
        let b = Instant::now();
        let plain = head.open(ids).unwrap();
        let c = Instant::now();
        std::hint::black_box(anketa::record::decode::record(&plain).unwrap());
        let d = Instant::now();
        t[0] += b - a;
        t[1] += c - b;
        t[2] += d - c;
    }
    let n = files.len() as u32;
    println!(
        "opening one sealed file (mean of {n}): head {}, base64 + age {}, the record (owned) {}",
        us(t[0] / n),
        us(t[1] / n),
        us(t[2] / n)
    );
}

fn recipients(n: usize) -> Recipients {
    let mut to = Recipients::default();
    for _ in 0..n {
        to = to.union(&Recipients::parse("bench", &seal::keygen("2026-12-04T00:00:00Z").recipient_file).unwrap());
    }
    to
}
