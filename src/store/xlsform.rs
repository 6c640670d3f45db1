//! Reading an XLSForm workbook (`.xlsx`, `.xlsm`, `.xls`, `.xlsb`, `.ods`) with calamine into
//! plain sheets of text cells, for the pure conversion in [`crate::import`].

use crate::import::{Sheet, Workbook};
use calamine::{Data, Reader};
use std::path::Path;

/// The largest workbook read: real XLSForms are well under a megabyte, large MSNA forms with
/// long choice lists a few megabytes.
const MAX_WORKBOOK_BYTES: u64 = 50 * 1024 * 1024;

/// The sheets of an XLSForm that the conversion reads.
const READ_SHEETS: &[&str] = &["survey", "choices", "settings"];

/// Reads the sheets of the workbook at `path` that an XLSForm has (survey, choices, settings;
/// the others by name only) as rows of text cells (row 1 first, column A
/// first; a sheet whose used range starts further down or right is padded with empty cells, so
/// that row and column numbers are the spreadsheet's). The error is a reason to show the user.
pub fn read_workbook(path: &Path) -> Result<Workbook, String> {
    let (_, meta) = super::open_input(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_WORKBOOK_BYTES {
        return Err(format!(
            "file is {} bytes; the limit is {MAX_WORKBOOK_BYTES}",
            meta.len()
        ));
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
    if ext == "csv" || ext == "md" {
        let text = super::read_text(path, MAX_WORKBOOK_BYTES as usize).map_err(|e| e.to_string())?;
        return if ext == "csv" {
            csv_workbook(&text)
        } else {
            Ok(md_workbook(&text))
        };
    }
    let mut book = calamine::open_workbook_auto(path).map_err(|e| format!("cannot read the workbook: {e}"))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        // Only these sheets are read: of the others (SurveyCTO's help sheets, a data sheet…)
        // the conversion needs only the name, to warn about it.
        if !READ_SHEETS.contains(&name.trim().to_lowercase().as_str()) {
            sheets.push(Sheet { name, rows: Vec::new() });
            continue;
        }
        let range = book
            .worksheet_range(&name)
            .map_err(|e| format!("cannot read sheet `{name}`: {e}"))?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut rows: Vec<Vec<String>> = vec![Vec::new(); row0 as usize];
        for r in range.rows() {
            let mut row = vec![String::new(); col0 as usize];
            row.extend(r.iter().map(cell_text));
            while row.last().is_some_and(String::is_empty) {
                row.pop();
            }
            rows.push(row);
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(Workbook { sheets })
}

/// A cell as the text a form author sees: whole numbers without `.0`, dates as `YYYY-MM-DD`
/// (with the time when there is one), booleans as `true`/`false`, errors as empty.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            if dt.is_duration() {
                return number_text(dt.as_f64());
            }
            let (y, mo, day, h, mi, s, _) = dt.to_ymd_hms_milli();
            if dt.as_f64() < 1.0 {
                format!("{h:02}:{mi:02}:{s:02}")
            } else if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02}T{h:02}:{mi:02}:{s:02}")
            }
        }
    }
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// pyxform's CSV variant: a row whose first cell is a sheet's name (`survey`, `choices`,
/// `settings`) starts that sheet; its rows follow with an empty first cell, the sheet's columns
/// from the second cell on (so `survey!A1` is the header row's second cell).
fn csv_workbook(text: &str) -> Result<Workbook, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut sheets: Vec<Sheet> = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: not CSV: {e}", i + 1))?;
        let first = rec.get(0).unwrap_or("").trim();
        if !first.is_empty() {
            sheets.push(Sheet {
                name: first.to_string(),
                rows: Vec::new(),
            });
            // A sheet's header may share its row: `survey,type,name,label`.
            if rec.iter().skip(1).any(|c| !c.trim().is_empty())
                && let Some(s) = sheets.last_mut()
            {
                s.rows.push(rec.iter().skip(1).map(str::to_string).collect());
            }
            continue;
        }
        let Some(sheet) = sheets.last_mut() else {
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            return Err(format!(
                "line {}: a row before any sheet name; the first cell of a row names its sheet (survey, choices, settings)",
                i + 1
            ));
        };
        let mut row: Vec<String> = rec.iter().skip(1).map(str::to_string).collect();
        while row.last().is_some_and(|c| c.trim().is_empty()) {
            row.pop();
        }
        sheet.rows.push(row);
    }
    Ok(Workbook { sheets })
}

/// pyxform's Markdown variant (its tests' forms): table rows `| survey | | type | name |`. A row
/// whose first cell is a sheet's name starts that sheet (its header may follow on the same row);
/// its rows follow with an empty first cell, the sheet's columns from the second cell on, as in
/// the CSV variant. Lines that are not table rows, separator rows (`|---|---|`), lines starting
/// with `#` and anything after the last `|` (a `# comment`) are left out, as pyxform does; `\|` is a `|` in
/// a cell. Rows without a cell are left out, so rows are counted without them.
pub(crate) fn md_workbook(text: &str) -> Workbook {
    let mut sheets: Vec<Sheet> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        // A comment after the last `|`.
        let line = match line.rfind('|') {
            Some(i) if line[i + 1..].trim_start().starts_with('#') => line[..=i].trim_end(),
            _ => line,
        };
        // From the first `|` to the last: what follows the last is not a cell (pyxform).
        let Some(inner) = line.strip_prefix('|').and_then(|l| l.rfind('|').map(|i| &l[..i])) else {
            continue;
        };
        if inner.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
            continue;
        }
        let mut cells = split_md_row(inner).into_iter();
        let first = cells.next().unwrap_or_default();
        let mut row: Vec<String> = cells.collect();
        while row.last().is_some_and(String::is_empty) {
            row.pop();
        }
        if !first.is_empty() {
            sheets.push(Sheet {
                name: first,
                rows: Vec::new(),
            });
        }
        if let Some(sheet) = sheets.last_mut()
            && !row.is_empty()
        {
            sheet.rows.push(row);
        }
    }
    Workbook { sheets }
}

/// The cells of a Markdown table row (without its outer `|`), trimmed, `\|` read as `|`.
fn split_md_row(inner: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_string());
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_markdown_variant_reads_sheets_rows_escapes_and_comments() {
        let md = r"
            # a comment line
            | survey |          |        |                  |
            |        | type     | name   | label            |
            |--------|----------|--------|------------------|
            |        | text     | a      | A \| B           | # a trailing comment
            |        |          |        |                  |
            |        | integer  | n      | N                | not a cell
            | choices | list_name | name | label |
            |         | yn        | yes  | Yes   |
            not a table row
        ";
        let book = md_workbook(md);
        let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["survey", "choices"]);
        assert_eq!(
            book.sheets[0].rows,
            [
                vec!["type", "name", "label"],
                vec!["text", "a", "A | B"],
                vec!["integer", "n", "N"],
            ]
        );
        assert_eq!(
            book.sheets[1].rows,
            [vec!["list_name", "name", "label"], vec!["yn", "yes", "Yes"]]
        );
    }
}
