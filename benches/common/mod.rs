//! What the interviewer benchmarks share (included with `#[path]`: each bench is its own crate).

use anketa::interview::session::Now;
use std::time::Duration;

/// The `p` quantile (0..=1) of `v` (sorted in place).
pub fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// A duration in microseconds, one decimal.
pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// The interviewer's clock at `ms` of interview time, on a fixed day.
pub fn now(ms: u64) -> Now {
    Now {
        wall: "2021-02-20T10:00:00Z".into(),
        ms,
    }
}
