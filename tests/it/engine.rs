//! Engine 2 end to end: the bundled `engine` demo (calculations, piping, cascading lists,
//! defaults, the function library) through simulate → merge → report.

use crate::support::{anketa, ok, s};
use std::collections::HashMap;

/// The rows of a merged CSV, as header → value maps.
fn rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
    rd.records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn the_engine_demo_runs_through_simulate_merge_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("laptop");
    let out = tmp.path().join("out");
    crate::support::simulate("engine", 300, &input, 12, 0.1, 3);
    let o = anketa(&["merge", s(&input), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("merge-report.json")).unwrap()).unwrap();
    assert_eq!(
        report["merged"]["engine"], 270,
        "every completed interview keeps the rules: {:#}",
        report["rejected"]
    );
    let q = anketa::questionnaire::bundled("engine").unwrap();
    let settlement = q.question("settlement").unwrap();
    let rows = rows(&out.join("engine.csv"));
    assert_eq!(rows.len(), 270);
    let num = |r: &HashMap<String, String>, k: &str| r[k].parse::<f64>().ok();
    let mut defaults_kept = 0;
    for r in &rows {
        // The cascading lists: the settlement lies in the district, the district in the region.
        let o = settlement.option(&r["settlement"]).expect("a settlement");
        assert_eq!(o.attr("district"), Some(r["district"].as_str()), "{r:?}");
        let d = q.question("district").unwrap().option(&r["district"]).unwrap();
        assert_eq!(d.attr("region"), Some(r["region"].as_str()));
        // Calculations stored with the answers, numbers as numbers.
        let (a, p) = (num(r, "members_active").unwrap(), num(r, "members_passive").unwrap());
        assert_eq!(num(r, "members_total"), Some(a + p), "{r:?}");
        if a + p > 0.0 {
            let share = num(r, "share_active").unwrap();
            assert!(
                (share - (a / (a + p) * 100.0 * 10.0).round() / 10.0).abs() < 1e-9,
                "{r:?}"
            );
        }
        let chosen = ["social", "culture", "sport", "ecology", "youth"]
            .iter()
            .filter(|c| r[&format!("activities__{c}")] == "1")
            .count();
        assert_eq!(num(r, "n_activities"), Some(chosen as f64));
        // A main activity only among those chosen (a filter by `name`), asked when several.
        if chosen > 1 {
            assert_eq!(r[&format!("activities__{}", r["main_activity"])], "1", "{r:?}");
        } else {
            assert_eq!(r["main_activity"], "");
        }
        let founded = num(r, "founded").unwrap();
        let year: f64 = r["visit_date"][..4].parse().unwrap();
        assert_eq!(num(r, "age"), Some(year - founded));
        assert!(r["profile"].starts_with(&format!("{}: ", r["org_name"])), "{r:?}");
        defaults_kept += usize::from(r["members_passive"] == "0");
    }
    assert!(
        defaults_kept > 30,
        "the default 0 is kept by about half: {defaults_kept}"
    );
    // The SPSS syntax reads calculations as numbers where they are arithmetic.
    let sps = std::fs::read_to_string(out.join("engine.sps")).unwrap();
    assert!(sps.contains("members_total F40.0"), "{sps}");
    assert!(sps.contains("profile A2000"), "{sps}");
    // The report tabulates them.
    let md = ok(&anketa(&["report", s(&out), "--format", "md"]));
    assert!(
        md.contains("(`members_total`)") && md.contains("Share of active members, %"),
        "{md}"
    );
}
