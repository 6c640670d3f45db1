//! `<q>.codebook.csv`: one row per CSV column, then one row per value of coded columns.
//!
//! Header: `column,variable,type,label,value,value_label,spss_value,missing`. A column row has
//! empty `value`; a value row repeats the column name and gives a code, its label, the number it
//! becomes in the `.sps` file and, for non-substantive answers, `dont_know` or `refused`.

use super::csv::{ColumnKind, Layout, Meta};
use crate::csv_field::record;
use crate::questionnaire::{Kind, Questionnaire};

/// Texts for the metadata columns and the 0/1 labels, in the questionnaire's language.
pub(crate) struct Words {
    pub meta: [&'static str; 8],
    pub chosen: &'static str,
    pub not_chosen: &'static str,
    pub other: &'static str,
    pub remark: &'static str,
    /// Of a `<roster>_count` column.
    pub count: &'static str,
    /// Of a `<roster>_n` column.
    pub number: &'static str,
}

pub(crate) fn words(q: &Questionnaire) -> &'static Words {
    if q.language == "ru" { &RU } else { &EN }
}

static RU: Words = Words {
    meta: [
        "Идентификатор интервью",
        "Код интервьюера",
        "Район",
        "Идентификатор ноутбука",
        "Начало интервью (UTC)",
        "Завершение интервью (UTC)",
        "Продолжительность, с",
        "Ревизия записи",
    ],
    chosen: "выбрано",
    not_chosen: "не выбрано",
    other: "другое (уточнение)",
    remark: "замечание интервьюера",
    count: "число записей",
    number: "номер записи",
};

static EN: Words = Words {
    meta: [
        "Interview id",
        "Interviewer code",
        "District",
        "Device id",
        "Interview start (UTC)",
        "Interview completion (UTC)",
        "Duration, s",
        "Record revision",
    ],
    chosen: "chosen",
    not_chosen: "not chosen",
    other: "other (specify)",
    remark: "interviewer's remark",
    count: "number of instances",
    number: "instance number",
};

/// The label of a column (its SPSS variable label, before truncation).
pub(crate) fn column_label(q: &Questionnaire, layout: &Layout, i: usize) -> String {
    let (text, what) = label_parts(q, layout, i);
    match what {
        Some(w) => format!("{text}: {w}"),
        None => text,
    }
}

/// The label of a column within `max` bytes: when "question: option" is longer, the question's
/// text is shortened (ending with `…`) so that what tells the columns of one question apart —
/// the option, "other", the remark — is kept whole.
pub(crate) fn column_label_within(q: &Questionnaire, layout: &Layout, i: usize, max: usize) -> String {
    let (text, what) = label_parts(q, layout, i);
    let Some(what) = what else { return text };
    let tail = format!(": {what}");
    if text.len() + tail.len() <= max {
        return format!("{text}{tail}");
    }
    let mut keep = max.saturating_sub(tail.len() + '…'.len_utf8());
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}…{tail}", text[..keep].trim_end())
}

/// A column's label in two parts: the question's text, and what the column is of it (an
/// option, "other", the remark), if it is not the question's own column.
fn label_parts(q: &Questionnaire, layout: &Layout, i: usize) -> (String, Option<String>) {
    let c = &layout.columns[i];
    let w = words(q);
    let text = |qi: usize| q.tr(&q.questions[qi].text).to_string();
    match (c.kind, c.question) {
        (ColumnKind::Meta(Meta::District), Some(qi)) => (text(qi), None),
        (ColumnKind::Meta(m), _) => (
            w.meta[Meta::ALL.iter().position(|x| *x == m).unwrap_or(0)].to_string(),
            None,
        ),
        (ColumnKind::Value, Some(qi)) => (text(qi), None),
        (ColumnKind::Dummy(oi), Some(qi)) => (text(qi), Some(q.tr(&q.questions[qi].options[oi].label).to_string())),
        (ColumnKind::Other, Some(qi)) => (text(qi), Some(w.other.to_string())),
        (ColumnKind::Remark, Some(qi)) => (text(qi), Some(w.remark.to_string())),
        (ColumnKind::Count(r), _) => (q.tr(&q.rosters[r].text).to_string(), Some(w.count.to_string())),
        (ColumnKind::Instance(r), _) => (q.tr(&q.rosters[r].text).to_string(), Some(w.number.to_string())),
        _ => (String::new(), None),
    }
}

/// The type shown in the codebook.
fn column_type(q: &Questionnaire, layout: &Layout, i: usize) -> String {
    let c = &layout.columns[i];
    match (c.kind, c.question) {
        (ColumnKind::Meta(Meta::District), Some(qi)) | (ColumnKind::Value, Some(qi)) => {
            q.questions[qi].kind.name().to_string()
        }
        (ColumnKind::Meta(Meta::DurationS | Meta::Revision), _) => "number".into(),
        (ColumnKind::Meta(Meta::Started | Meta::Completed), _) => "time".into(),
        (ColumnKind::Meta(_), _) => "text".into(),
        (ColumnKind::Dummy(_), _) => "0/1".into(),
        (ColumnKind::Other | ColumnKind::Remark, _) => "text".into(),
        (ColumnKind::Count(_) | ColumnKind::Instance(_), _) => "number".into(),
        _ => String::new(),
    }
}

/// Whether a column holds a single-choice code (recoded to numbers in the `.sps`).
pub(crate) fn is_single_code(q: &Questionnaire, layout: &Layout, i: usize) -> bool {
    let c = &layout.columns[i];
    matches!(c.kind, ColumnKind::Value | ColumnKind::Meta(Meta::District))
        && c.question.is_some_and(|qi| q.questions[qi].kind == Kind::Single)
}

/// The codebook CSV (plain CSV, comma-separated, UTF-8 without BOM unless `layout.excel`).
pub fn csv(q: &Questionnaire, layout: &Layout) -> Vec<u8> {
    let mut out = if layout.excel {
        b"\xEF\xBB\xBF".to_vec()
    } else {
        Vec::new()
    };
    let d = layout.delimiter();
    let mut w = |fields: &[&str]| record(&mut out, fields, d);
    w(&[
        "column",
        "variable",
        "type",
        "label",
        "value",
        "value_label",
        "spss_value",
        "missing",
    ]);
    let wd = words(q);
    for (i, c) in layout.columns.iter().enumerate() {
        let var = c.question.map(|qi| q.questions[qi].id.as_str()).unwrap_or("");
        let label = column_label(q, layout, i);
        w(&[&c.name, var, &column_type(q, layout, i), &label, "", "", "", ""]);
        match (c.kind, c.question) {
            (ColumnKind::Value | ColumnKind::Meta(Meta::District), Some(qi))
                if matches!(q.questions[qi].kind, Kind::Single | Kind::Multi { .. }) =>
            {
                let single = is_single_code(q, layout, i);
                for (oi, o) in q.questions[qi].options.iter().enumerate() {
                    let n = if single { (oi + 1).to_string() } else { String::new() };
                    let missing = o.missing.map(|m| m.name()).unwrap_or("");
                    w(&[&c.name, var, "", "", &o.code, q.tr(&o.label), &n, missing]);
                }
            }
            (ColumnKind::Dummy(_), _) => {
                w(&[&c.name, var, "", "", "0", wd.not_chosen, "0", ""]);
                w(&[&c.name, var, "", "", "1", wd.chosen, "1", ""]);
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::fixtures;

    #[test]
    fn codebook_has_a_row_per_column_and_numbered_codes() {
        let q = fixtures::every_type();
        let l = Layout::new(&q, false);
        let bytes = csv(&q, &l);
        let mut r = ::csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
        let cols: Vec<&str> = rows.iter().filter(|r| r[4].is_empty()).map(|r| &r[0]).collect();
        let names: Vec<&str> = l.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(cols, names);
        let refused = rows.iter().find(|r| &r[0] == "org_type" && &r[4] == "refused").unwrap();
        assert_eq!((&refused[6], &refused[7]), ("4", "refused"));
        let dummy = rows
            .iter()
            .find(|r| &r[0] == "goals__money" && r[4].is_empty())
            .unwrap();
        assert_eq!(&dummy[3], "What are the goals of the interaction? (up to 3): Funding");
    }
}
