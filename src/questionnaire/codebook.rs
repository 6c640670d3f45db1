//! Codebooks: the variables of a questionnaire as Markdown or CSV.
//!
//! One row per variable (block, variable, type, text, relevance) and, for choice questions,
//! one row per option (code, label, flags). Pure: returns text, writes nothing.

use crate::csv_field::record;
use crate::questionnaire::{Kind, Questionnaire};

/// One row of the codebook.
struct Row {
    block: String,
    variable: String,
    kind: String,
    text: String,
    code: String,
    label: String,
    relevant: String,
}

fn rows(q: &Questionnaire) -> Vec<Row> {
    let mut out = Vec::new();
    for b in &q.blocks {
        let btitle = format!("{}: {}", b.id, q.tr(&b.title));
        for qq in &q.questions[b.questions.clone()] {
            let mut kind = qq.kind.name().to_string();
            match &qq.kind {
                Kind::Multi { min, max } => {
                    if let Some(m) = min {
                        kind.push_str(&format!(" min={m}"));
                    }
                    if let Some(m) = max {
                        kind.push_str(&format!(" max={m}"));
                    }
                }
                Kind::Number {
                    min,
                    max,
                    integer,
                    unit,
                } => {
                    if !integer {
                        kind.push_str(" decimal");
                    }
                    if let Some(m) = min {
                        kind.push_str(&format!(" min={m}"));
                    }
                    if let Some(m) = max {
                        kind.push_str(&format!(" max={m}"));
                    }
                    if let Some(u) = unit {
                        kind.push_str(&format!(" unit={}", q.tr(u)));
                    }
                }
                Kind::Text { max_length } | Kind::LongText { max_length } => {
                    kind.push_str(&format!(" max_length={max_length}"))
                }
                Kind::Calculate { calculation } => {
                    let values = if qq.kind.is_numeric() { "number" } else { "text" };
                    kind.push_str(&format!(" ({values}) = {}", calculation.src));
                }
                _ => {}
            }
            if !qq.required && qq.is_interviewed() {
                kind.push_str(" optional");
            }
            match &qq.default {
                Some(super::QuestionDefault::Value(v)) => kind.push_str(&format!(" default={}", v.display())),
                Some(super::QuestionDefault::Calculation(e)) => kind.push_str(&format!(" default=({})", e.src)),
                None => {}
            }
            if let Some(f) = &qq.choice_filter {
                kind.push_str(&format!(" options where {}", f.src));
            }
            // In a roster: once per instance, in that roster's own table of the export.
            if let Some(r) = qq.roster {
                let chain: Vec<&str> = q
                    .roster_chain(Some(r))
                    .iter()
                    .map(|&x| q.rosters[x].id.as_str())
                    .collect();
                kind.push_str(&format!(" per instance of {}", chain.join(" › ")));
            }
            let mut relevant = String::new();
            if let Some(e) = &b.relevant {
                relevant.push_str(&format!("[block] {}", e.src));
            }
            for x in q.roster_chain(qq.roster) {
                if let Some(e) = &q.rosters[x].relevant {
                    if !relevant.is_empty() {
                        relevant.push_str(" and ");
                    }
                    relevant.push_str(&format!("[{}] {}", q.rosters[x].id, e.src));
                }
            }
            if let Some(e) = &qq.relevant {
                if !relevant.is_empty() {
                    relevant.push_str(" and ");
                }
                relevant.push_str(&e.src);
            }
            out.push(Row {
                block: btitle.clone(),
                variable: qq.id.clone(),
                kind,
                text: qq.title(q),
                code: String::new(),
                label: String::new(),
                relevant,
            });
            for o in &qq.options {
                let mut label = q.tr(&o.label).to_string();
                let mut flags = Vec::new();
                if o.exclusive {
                    flags.push("exclusive".to_string());
                }
                if o.other {
                    flags.push(format!("other → {}__other", qq.id));
                }
                if let Some(m) = o.missing {
                    flags.push(format!("missing: {}", m.name()));
                }
                if !flags.is_empty() {
                    label.push_str(&format!(" [{}]", flags.join("; ")));
                }
                out.push(Row {
                    block: String::new(),
                    variable: qq.id.clone(),
                    kind: String::new(),
                    text: String::new(),
                    code: o.code.clone(),
                    label,
                    relevant: String::new(),
                });
            }
        }
    }
    out
}

/// The codebook as CSV (header: block, variable, type, text, code, label, relevant).
pub fn csv(q: &Questionnaire) -> String {
    let mut out = Vec::new();
    record(
        &mut out,
        &["block", "variable", "type", "text", "code", "label", "relevant"],
        b',',
    );
    for r in rows(q) {
        let fields = [&r.block, &r.variable, &r.kind, &r.text, &r.code, &r.label, &r.relevant];
        record(&mut out, &fields, b',');
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The codebook as Markdown: a heading per block, a table of variables and options.
pub(crate) fn markdown(q: &Questionnaire) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "# {} — codebook\n\n`{}` version {}, sha256 `{}`\n",
        esc(q.title()),
        q.id,
        q.version,
        &q.sha256[..12]
    );
    let mut last_block = String::new();
    for r in rows(q) {
        if !r.block.is_empty() && r.block != last_block {
            last_block.clone_from(&r.block);
            out.push_str(&format!(
                "\n## {}\n\n| variable | type | text / code | label | relevant |\n|---|---|---|---|---|\n",
                esc(&r.block)
            ));
        }
        if r.code.is_empty() {
            out.push_str(&format!(
                "| `{}` | {} | {} | | {} |\n",
                r.variable,
                r.kind,
                esc(&r.text),
                esc(&r.relevant)
            ));
        } else {
            out.push_str(&format!("| | | `{}` | {} | |\n", r.code, esc(&r.label)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::questionnaire::fixtures;

    #[test]
    fn codebook_lists_every_variable_and_option() {
        let q = fixtures::every_type();
        let csv = super::csv(&q);
        let mut rdr = csv::Reader::from_reader(csv.as_bytes());
        let recs: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        let vars = recs.iter().filter(|r| r[4].is_empty()).count();
        let opts = recs.iter().filter(|r| !r[4].is_empty()).count();
        assert_eq!(vars, q.questions.len());
        assert_eq!(opts, q.questions.iter().map(|x| x.options.len()).sum::<usize>());
        let goals = recs.iter().find(|r| &r[1] == "goals" && r[4].is_empty()).unwrap();
        assert_eq!(&goals[2], "multi min=1 max=3");
        assert_eq!(&goals[6], "${contact} = 'yes'");
        let md = super::markdown(&q);
        assert!(
            md.contains("| | | `dont_know` | Hard to say [exclusive; missing: dont_know] | |"),
            "{md}"
        );
    }
}
