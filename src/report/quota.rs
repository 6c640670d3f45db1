//! The quota file (`--quota FILE`): interviews planned per district and instrument, read from
//! CSV or JSON text and checked against the plan's districts and instruments.
//!
//! ```text
//! district,group,target          ← header; `;` also accepted as separator
//! alekseevsky,nko,8              ← district code (or its label), questionnaire id (or its
//! Алексеевский,ОМСУ,3              column heading), whole number of interviews planned
//! ```
//! or `[{"district": "alekseevsky", "group": "nko", "target": 8}, …]`, or
//! `{"nko": {"alekseevsky": 8, …}, "omsu": {…}}`.

use super::plan::Plan;
use crate::diag::did_you_mean;
use std::collections::{BTreeMap, HashMap};

/// Planned interviews: (district code, questionnaire id) → target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quota {
    /// Targets.
    pub targets: BTreeMap<(String, String), u64>,
}

/// Parses a quota file's text against the plan's districts and instruments. Returns every
/// problem, each with its line (CSV) or entry (JSON).
pub fn parse_quota(text: &str, plan: &Plan<'_>) -> Result<Quota, Vec<String>> {
    let districts = plan.districts();
    if districts.is_empty() {
        return Err(vec![
            "the questionnaires have no single-choice `district` question to plan by".into(),
        ]);
    }
    let norm = |s: &str| s.trim().to_lowercase().replace('ё', "е");
    let find_district = |v: &str| -> Result<String, String> {
        let n = norm(v);
        // A code first, then a label: another questionnaire's district may be labelled as this
        // one's code reads ("Bykovsky" vs `bykovsky`).
        if let Some((code, _)) = districts
            .iter()
            .find(|(c, _)| c == v.trim())
            .or_else(|| districts.iter().find(|(_, l)| norm(l) == n))
        {
            return Ok(code.clone());
        }
        let cands = districts.iter().map(|(c, _)| c.as_str());
        Err(match did_you_mean(v.trim(), cands) {
            Some(s) => format!("unknown district `{}` (did you mean `{s}`?)", v.trim()),
            None => format!(
                "unknown district `{}`: give a code of the `district` question or its label",
                v.trim()
            ),
        })
    };
    let find_group = |v: &str| -> Result<String, String> {
        let n = norm(v);
        plan.instruments
            .iter()
            .zip(&plan.instrument_labels)
            .find(|(id, l)| id.as_str() == v.trim() || norm(l) == n)
            .map(|(id, _)| id.clone())
            .ok_or_else(|| {
                format!(
                    "unknown group `{}`: give a questionnaire id ({})",
                    v.trim(),
                    plan.instruments.join(", ")
                )
            })
    };
    let mut entries: Vec<(String, String, String, String)> = Vec::new(); // (where, district, group, target)
    let mut errors = Vec::new();
    let t = text.trim_start_matches('\u{feff}');
    match t.trim_start().chars().next() {
        Some('[') | Some('{') => match serde_json::from_str::<serde_json::Value>(t) {
            Err(e) => errors.push(format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column())),
            Ok(serde_json::Value::Array(a)) => {
                for (i, v) in a.iter().enumerate() {
                    let get = |k: &str| match v.get(k) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    let group = if v.get("group").is_some() {
                        get("group")
                    } else {
                        get("questionnaire")
                    };
                    entries.push((format!("entry {}", i + 1), get("district"), group, get("target")));
                }
            }
            Ok(serde_json::Value::Object(o)) => {
                for (g, ds) in &o {
                    match ds.as_object() {
                        Some(ds) => {
                            for (d, n) in ds {
                                entries.push((format!("\"{g}\".\"{d}\""), d.clone(), g.clone(), n.to_string()));
                            }
                        }
                        None => errors.push(format!("\"{g}\": expected an object of district → target")),
                    }
                }
            }
            Ok(_) => errors.push("expected an array of {district, group, target} or an object".into()),
        },
        _ => {
            let first = t.lines().next().unwrap_or("");
            let sep = if first.contains(';') && !first.contains(',') {
                b';'
            } else {
                b','
            };
            let mut rd = ::csv::ReaderBuilder::new()
                .delimiter(sep)
                .flexible(true)
                .has_headers(true)
                .from_reader(t.as_bytes());
            let header: Vec<String> = match rd.headers() {
                Ok(h) => h.iter().map(|s| s.trim().to_lowercase()).collect(),
                Err(e) => return Err(vec![format!("cannot read the header: {e}")]),
            };
            let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
            let (Some(cd), Some(cg), Some(ct)) = (
                col(&["district", "район"]),
                col(&["group", "questionnaire", "instrument", "группа", "анкета"]),
                col(&["target", "quota", "plan", "план", "квота"]),
            ) else {
                return Err(vec![format!(
                    "the header must name the columns district,group,target (found: {})",
                    header.join(",")
                )]);
            };
            for (i, rec) in rd.records().enumerate() {
                let line = i + 2;
                match rec {
                    Err(e) => errors.push(format!("line {line}: {e}")),
                    Ok(r) if r.iter().all(|f| f.trim().is_empty()) => {}
                    Ok(r) => {
                        let f = |c: usize| r.get(c).unwrap_or("").to_string();
                        entries.push((format!("line {line}"), f(cd), f(cg), f(ct)));
                    }
                }
            }
        }
    }
    let mut q = Quota::default();
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    for (at, d, g, n) in entries {
        let dr = find_district(&d);
        let gr = find_group(&g);
        let nr = n
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("target `{}` is not a whole number of interviews", n.trim()));
        match (dr, gr, nr) {
            (Ok(d), Ok(g), Ok(n)) => {
                if let Some(prev) = seen.get(&(d.clone(), g.clone())) {
                    errors.push(format!(
                        "{at}: district `{d}`, group `{g}` is already planned at {prev}"
                    ));
                } else {
                    seen.insert((d.clone(), g.clone()), at);
                    q.targets.insert((d, g), n);
                }
            }
            (d, g, n) => {
                for e in [d.err(), g.err(), n.err()].into_iter().flatten() {
                    errors.push(format!("{at}: {e}"));
                }
            }
        }
    }
    if errors.is_empty() && q.targets.is_empty() {
        errors.push("no targets in the file".into());
    }
    if errors.is_empty() { Ok(q) } else { Err(errors) }
}
