//! Writes simulated НКО and ОМСУ interviews straight into one NDJSON file, one record per line
//! as `anketa merge` writes `interviews.ndjson` (by questionnaire; within one, in generation
//! order rather than by id, which the report does not care about, so that nothing is held in
//! memory), for benchmarks of `anketa report` at a scale where simulating and merging a million separate
//! files would take most of the time.
//!
//! ```sh
//! cargo run --release --example simulate_ndjson -- 1000000 /tmp/interviews.ndjson [seed]
//! ```
//! НКО and ОМСУ interviews in the note's proportion (242 : 106), answers drawn with the weights of
//! `examples/weights-*.json`, 20 interviewers per instrument, 2 % left in progress (merge leaves
//! them out; so does this file).

use anketa::questionnaire::bundled;
use anketa::record::Status;
use anketa::simulate::{Options, Simulator, parse_weights};
use rayon::prelude::*;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(out)) = (args.get(1).and_then(|s| s.parse::<u64>().ok()), args.get(2)) else {
        eprintln!("usage: simulate_ndjson N OUT.ndjson [SEED]");
        std::process::exit(2);
    };
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let n_omsu = n * 106 / 348;
    let mut f = std::io::BufWriter::with_capacity(8 << 20, std::fs::File::create(out).expect("create output"));
    let mut written = 0u64;
    for (id, count, weights) in [
        ("nko", n - n_omsu, include_str!("weights-nko.json")),
        ("omsu", n_omsu, include_str!("weights-omsu.json")),
    ] {
        let q = bundled(id).expect("bundled questionnaire");
        let sim = Simulator::new(
            &q,
            Options {
                seed: seed.wrapping_add(id.len() as u64),
                interviewers: 20,
                incomplete_share: 0.02,
                weights: parse_weights(&q, weights).expect("weights"),
            },
        );
        let mut start = 0;
        while start < count {
            let end = (start + 20_000).min(count);
            let lines: Vec<Vec<u8>> = (start..end)
                .into_par_iter()
                .map(|k| sim.record(k))
                .filter(|r| r.status == Status::Completed)
                .map(|r| r.to_json_line())
                .collect();
            for l in &lines {
                f.write_all(l).expect("write");
                f.write_all(b"\n").expect("write");
            }
            written += lines.len() as u64;
            start = end;
        }
    }
    f.flush().expect("flush");
    eprintln!("wrote {written} completed interviews to {out}");
}
