//! The settings and choices sheets.

use super::*;

/// The settings sheet: id (from `form_id`, else the file's name), version, title, default
/// language; other settings are warned about.
pub(super) fn read_settings(cx: &mut Cx, t: &Table, file: &str) -> Settings {
    let stem = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "form".to_string());
    let mut id_raw = t.value(1, "form_id").to_string();
    let id_from_file = id_raw.is_empty();
    if id_from_file {
        id_raw = stem.clone();
    }
    let id = names::questionnaire_id(&id_raw);
    if id != id_raw && !id_from_file {
        cx.warn(
            t.cell(1, "form_id"),
            format!("form_id `{id_raw}` is not a valid anketa id: it is `{id}`"),
            "anketa ids are lowercase letters, digits and _, a letter first, at most 32",
        );
    }
    let version = match t.value(1, "version") {
        "" => "1".to_string(),
        v => v.to_string(),
    };
    let title = [t.value(1, "form_title"), t.value(1, "title")]
        .into_iter()
        .find(|s| !s.is_empty())
        .map_or(id_raw.clone(), str::to_string);
    let default_language = Some(t.value(1, "default_language"))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    for (i, (b, _)) in t.cols.iter().enumerate() {
        if b.is_empty()
            || [
                "form_id",
                "version",
                "form_title",
                "title",
                "default_language",
                "id_string",
            ]
            .contains(&b.as_str())
        {
            continue;
        }
        let value = t.rows.get(1).and_then(|r| r.get(i)).map_or("", |v| v.trim());
        if b == "instance_name" && !value.is_empty() {
            // The questionnaire format has no name per interview: a precise warning.
            cx.warn(
                cell(t.name, 1, i),
                format!(
                    "instance_name `{value}` is not used: anketa's lists show an interview's district, progress and dates, not a name made from its answers"
                ),
                "to keep this name in the data, add a calculate row with it as its calculation",
            );
            continue;
        }
        if !value.is_empty() {
            cx.warn(
                cell(t.name, 0, i),
                format!("setting `{}` is not used", t.rows[0][i].trim()),
                "anketa has no such setting (no server, encryption or styles)",
            );
        }
    }
    Settings {
        id,
        version,
        title,
        default_language,
    }
}

/// The choices sheet: list name → its options, in order (extra columns as attributes; a
/// duplicate name in a list, a missing name or label repaired and warned).
pub(super) fn read_choices(cx: &mut Cx, t: &Table, present: bool) -> HashMap<String, Vec<OptJson>> {
    let mut lists: HashMap<String, Vec<OptJson>> = HashMap::new();
    if !present {
        return lists;
    }
    if t.col("list_name").is_none() || t.col("name").is_none() {
        cx.warn(
            format!("{}!A1", t.name),
            "the choices sheet has no list_name or name column: no list is read",
            "its first row names the columns: list_name, name, label",
        );
        return lists;
    }
    // Extra columns: attributes for choice filters (under valid names).
    let mut attr_cols: Vec<(usize, String)> = Vec::new();
    for (i, (b, l)) in t.cols.iter().enumerate() {
        if b.is_empty() || l.is_some() || ["list_name", "name", "label"].contains(&b.as_str()) {
            continue;
        }
        if b.starts_with("media") || ["image", "audio", "video"].contains(&b.as_str()) {
            cx.warn(
                cell(t.name, 0, i),
                format!("column `{b}` (media) is not used"),
                "a terminal shows no images",
            );
            continue;
        }
        let raw = t.rows[0][i].trim();
        let n = valid_name(raw);
        if n != raw {
            cx.warn(
                cell(t.name, 0, i),
                format!("column `{raw}` is the attribute `{n}`"),
                "choice filters name it so",
            );
        }
        attr_cols.push((i, n));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in 1..t.rows.len() {
        if t.is_blank(r) {
            continue;
        }
        let list = t.value(r, "list_name");
        if list.is_empty() {
            cx.warn(
                t.cell(r, "list_name"),
                "choice without a list_name: skipped",
                "fill in its list",
            );
            continue;
        }
        let code = t.value(r, "name").to_string();
        if code.is_empty() {
            cx.warn(
                t.cell(r, "name"),
                format!("choice of list {list} without a name: skipped"),
                "give it a name (its code)",
            );
            continue;
        }
        let code = if code.chars().count() > 64 || code.chars().any(char::is_control) {
            let c: String = code.chars().filter(|c| !c.is_control()).take(64).collect();
            cx.warn(
                t.cell(r, "name"),
                format!("choice name `{code}` is too long or has control characters: it is `{c}`"),
                "codes are at most 64 characters",
            );
            c
        } else {
            code
        };
        let key = format!("{list}\u{0}{code}");
        if let Some(first) = seen.get(&key) {
            cx.warn(
                t.cell(r, "name"),
                format!(
                    "list {list} has the choice `{code}` twice (first at row {}): this one is left out",
                    first + 1
                ),
                "give each choice of a list its own name",
            );
            continue;
        }
        seen.insert(key, r);
        let label = cx.text(t, r, "label").unwrap_or_else(|| {
            cx.warn(
                t.cell(r, "label"),
                format!("choice `{code}` of list {list} has no label: its name is shown"),
                "write a label",
            );
            Value::String(code.clone())
        });
        let mut attributes = BTreeMap::new();
        for (i, n) in &attr_cols {
            if let Some(v) = t.rows[r].get(*i).map(|s| s.trim()).filter(|s| !s.is_empty()) {
                attributes.insert(n.clone(), v.to_string());
            }
        }
        lists.entry(list.to_string()).or_default().push(OptJson {
            code,
            label,
            other: false,
            attributes,
        });
    }
    lists
}
