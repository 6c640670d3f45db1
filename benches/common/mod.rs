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
#[allow(dead_code)] // not every bench plays an interview
pub fn now(ms: u64) -> Now {
    Now {
        wall: "2021-02-20T10:00:00Z".into(),
        ms,
    }
}

/// A key press without modifiers.
#[allow(dead_code)] // not every bench scripts keys
pub fn key(c: ratatui::crossterm::event::KeyCode) -> ratatui::crossterm::event::KeyEvent {
    ratatui::crossterm::event::KeyEvent::new(c, ratatui::crossterm::event::KeyModifiers::NONE)
}

/// Deterministic choices for a scripted interviewer (xorshift64).
#[allow(dead_code)] // not every bench scripts choices
pub struct Rng(pub u64);

#[allow(dead_code)]
impl Rng {
    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
