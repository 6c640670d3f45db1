//! Questionnaires for unit tests, from `tests/fixtures/`: tests of mechanics (export, simulation,
//! merge, record parsing, report, interviewer) load these, not the bundled instruments, so that a
//! new version of a production questionnaire does not change what they test. The tests about the
//! bundled files themselves use [`super::bundled`].
//!
//! - `every-type.json`: `questionnaires/demo.en.json` (version 1) with the id `every_type`, every
//!   question type and rule, English texts;
//! - `nko-2021.json`, `omsu-2021.json`: frozen copies of the 2021.1 monitoring instruments (ids
//!   `nko` and `omsu`, Russian texts, 32 districts, shared variables for side-by-side tables);
//! - `fit.json`: one question of each type, for the rule that fits answers to a questionnaire.
//!
//! Only the `$schema` path differs from the originals, so the hashes differ from the bundled ones:
//! a record of a fixture is never mistaken for one of a bundled questionnaire.

use super::{Questionnaire, load};
use std::sync::OnceLock;

/// The text of `tests/fixtures/fit.json`.
pub(crate) const FIT: &str = include_str!("../../tests/fixtures/fit.json");

/// Every question type and rule (a copy of the demo with the id `every_type`).
pub(crate) fn every_type() -> Questionnaire {
    cached(
        &EVERY_TYPE,
        "every-type.json",
        include_str!("../../tests/fixtures/every-type.json"),
    )
}

/// The НКО instrument as of version 2021.1 (id `nko`).
pub(crate) fn nko() -> Questionnaire {
    cached(
        &NKO,
        "nko-2021.json",
        include_str!("../../tests/fixtures/nko-2021.json"),
    )
}

/// The ОМСУ instrument as of version 2021.1 (id `omsu`).
pub(crate) fn omsu() -> Questionnaire {
    cached(
        &OMSU,
        "omsu-2021.json",
        include_str!("../../tests/fixtures/omsu-2021.json"),
    )
}

/// One question of each type (id `fit`).
pub(crate) fn fit() -> Questionnaire {
    cached(&FIT_Q, "fit.json", FIT)
}

/// The three instruments of different shapes: [`nko`], [`omsu`], [`every_type`].
pub(crate) fn all() -> [Questionnaire; 3] {
    [nko(), omsu(), every_type()]
}

static EVERY_TYPE: OnceLock<Questionnaire> = OnceLock::new();
static NKO: OnceLock<Questionnaire> = OnceLock::new();
static OMSU: OnceLock<Questionnaire> = OnceLock::new();
static FIT_Q: OnceLock<Questionnaire> = OnceLock::new();

/// The fixture parsed once per test process; an invalid fixture fails the test with every
/// diagnostic.
fn cached(cell: &OnceLock<Questionnaire>, name: &str, src: &str) -> Questionnaire {
    cell.get_or_init(|| {
        load(&format!("tests/fixtures/{name}"), src).unwrap_or_else(|e| {
            let all: Vec<String> = e.iter().map(ToString::to_string).collect();
            panic!("invalid fixture {name}:\n{}", all.join("\n"))
        })
    })
    .clone()
}

#[test]
fn fixtures_are_valid_and_keep_their_ids() {
    let ids = [every_type(), nko(), omsu(), fit()].map(|q| q.id);
    assert_eq!(ids, ["every_type", "nko", "omsu", "fit"]);
}
