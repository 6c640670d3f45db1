//! One row of the survey sheet as an anketa question: its type and every column.

use super::*;

/// Appearances that mean nothing more for anketa than they show (one question per screen,
/// options listed): accepted without a warning. `multiline` is mapped.
const QUIET_APPEARANCES: &[&str] = &[
    "minimal",
    "likert",
    "field-list",
    "quick",
    "horizontal",
    "horizontal-compact",
    "compact",
    "no-calendar",
    "autocomplete",
    "label",
    "list-nolabel",
    "list",
    "table-list",
];

/// One question row as anketa JSON, with the cells its droppable fields came from; `None`
/// when it is dropped (warned).
pub(super) fn question(
    cx: &mut Cx,
    st: &Table,
    r: usize,
    base: &str,
    rest: &[String],
    id: String,
    lists: &HashMap<String, Vec<OptJson>>,
) -> Option<(QJson, Vec<(&'static str, String)>)> {
    let sheet = st.name;
    let type_cell = st.cell(r, "type");
    let mut q = QJson {
        id: id.clone(),
        ..QJson::default()
    };
    let mut cells: Vec<(&'static str, String)> = Vec::new();
    let appearance = st.value(r, "appearance").to_lowercase();
    let appearances: Vec<&str> = appearance.split_whitespace().collect();
    let mut appearance_used = false;
    match base {
        "select_one" | "select_multiple" => {
            let multi = base == "select_multiple";
            q.kind = if multi { "multi" } else { "single" };
            let Some(list) = rest.first() else {
                cx.warn(
                    type_cell,
                    format!("`{base}` without a list name: {id} dropped"),
                    "write select_one LIST",
                );
                return None;
            };
            let Some(opts) = lists.get(list.as_str()) else {
                cx.warn(
                    type_cell,
                    format!("list `{list}` is not in the choices sheet: {id} dropped"),
                    "add the list to the choices sheet",
                );
                return None;
            };
            let mut opts = opts.clone();
            if multi {
                for o in &mut opts {
                    if o.code.chars().any(char::is_whitespace) {
                        let c: String = o.code.split_whitespace().collect::<Vec<_>>().join("_");
                        cx.warn(
                            type_cell.clone(),
                            format!("code `{}` of list {list} has blanks, not allowed in a select_multiple: it is `{c}` in {id}", o.code),
                            "codes of a select_multiple are stored separated by spaces",
                        );
                        o.code = c;
                    }
                }
            }
            let tail = rest
                .iter()
                .skip(1)
                .map(|w| w.to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            if tail == "or_other" || tail == "or specify other" {
                if opts.iter().any(|o| o.code == "other") {
                    cx.warn(
                        type_cell.clone(),
                        format!("or_other, but list {list} already has a code `other`: it asks to specify"),
                        "rename one of them",
                    );
                    for o in &mut opts {
                        if o.code == "other" {
                            o.other = true;
                        }
                    }
                } else {
                    opts.push(OptJson {
                        code: "other".to_string(),
                        label: Value::String("Other".to_string()),
                        other: true,
                        attributes: BTreeMap::new(),
                    });
                }
            }
            q.options = Some(opts);
            if appearances.iter().any(|a| a.starts_with("search")) {
                cx.warn(
                    st.cell(r, "appearance"),
                    "appearance search(): the options come from a file anketa does not read; the choices sheet's options are offered",
                    "put the options in the choices sheet",
                );
                appearance_used = true;
            }
        }
        "integer" | "decimal" => {
            q.kind = "number";
            q.integer = Some(base == "integer");
        }
        "range" => {
            q.kind = "number";
            let params = parameters(st.value(r, "parameters"));
            let num = |k: &str, d: f64| params.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(d);
            let (start, end, step) = (num("start", 1.0), num("end", 10.0), num("step", 1.0));
            let whole = [start, end, step].iter().all(|v| v.fract() == 0.0);
            let (lo, hi) = if start <= end { (start, end) } else { (end, start) };
            q.min = Some(number(lo));
            q.max = Some(number(hi));
            q.integer = Some(whole);
            if !(step == 1.0 && whole) {
                cx.warn(
                    type_cell.clone(),
                    format!("range step {step}: anketa checks only {lo}..{hi}"),
                    "add a constraint if the steps matter",
                );
            }
        }
        "text" => {
            if appearances.contains(&"multiline") {
                q.kind = "long_text";
                appearance_used = true;
            } else {
                q.kind = "text";
            }
        }
        "date" => q.kind = "date",
        // pyxform's older `phone number`: a text of digits.
        "phone_number" => {
            q.kind = "text";
            q.constraint = Some("regex(., '^[0-9]*$')".to_string());
        }
        "time" | "datetime" => {
            q.kind = "text";
            cx.warn(
                type_cell.clone(),
                format!("{base} {id}: asked as text (anketa has no {base} type)"),
                if base == "time" {
                    "the interviewer types e.g. 14:30"
                } else {
                    "the interviewer types e.g. 2024-05-01 14:30"
                },
            );
        }
        "note" => q.kind = "note",
        "calculate" | "hidden" => {
            q.kind = "calculate";
            match st.get(r, "calculation") {
                Some((v, c)) => {
                    let at = cell(sheet, r, c);
                    q.calculation = Some(
                        cx.expr(v, &at, "calculation", false)
                            .unwrap_or_else(|| "''".to_string()),
                    );
                    cells.push(("calculation", at));
                }
                None => {
                    cx.warn(
                        type_cell,
                        format!("calculate {id} without a calculation: it is always empty"),
                        "write its calculation",
                    );
                    q.calculation = Some("''".to_string());
                }
            }
        }
        "acknowledge" => {
            q.kind = "single";
            q.options = Some(vec![OptJson {
                code: "OK".to_string(),
                label: Value::String("OK".to_string()),
                other: false,
                attributes: BTreeMap::new(),
            }]);
        }
        _ => return None,
    }
    let kind = q.kind;
    let asked = kind != "calculate";
    let answered = kind != "note" && kind != "calculate";

    // Texts.
    q.text = cx.text(st, r, "label");
    if q.text.is_none() && asked {
        let name = st.value(r, "name");
        cx.warn(
            st.cell(r, "label"),
            format!("{id} has no label: its name is shown"),
            "write a label for every question",
        );
        q.text = Some(Value::String(if name.is_empty() {
            id.clone()
        } else {
            name.to_string()
        }));
    }
    let hint = cx.text(st, r, "hint");
    if asked {
        q.hint = hint;
    } else if hint.is_some() {
        cx.warn(
            st.cell(r, "hint"),
            "a hint on a calculate is not shown: dropped",
            "put it in a note",
        );
    }
    if cx.text(st, r, "guidance_hint").is_some() {
        cx.warn(
            st.cell(r, "guidance_hint"),
            "guidance_hint is not shown",
            "put it into the hint",
        );
    }

    // required.
    if answered {
        let v = st.value(r, "required");
        q.required = Some(match v.to_lowercase().as_str() {
            "yes" | "true" | "1" | "true()" | "y" => true,
            "" | "no" | "false" | "0" | "false()" | "n" => false,
            _ => {
                cx.warn(
                    st.cell(r, "required"),
                    format!("required `{v}` is an expression: anketa's required is yes or no; {id} is optional"),
                    "add a constraint such as `. != '' or not(condition)` if it matters",
                );
                false
            }
        });
        if cx.text(st, r, "required_message").is_some() {
            cx.warn(
                st.cell(r, "required_message"),
                "required_message is not used: anketa shows its own message",
                "anketa has no field for it",
            );
        }
    } else if !st.value(r, "required").is_empty()
        && !matches!(st.value(r, "required").to_lowercase().as_str(), "no" | "false" | "0")
    {
        cx.warn(
            st.cell(r, "required"),
            format!("required on a {kind}: ignored"),
            "notes and calculations are never answered",
        );
    }

    // relevant, constraint.
    if let Some((v, c)) = st.get(r, "relevant") {
        let at = cell(sheet, r, c);
        q.relevant = cx.expr(v, &at, "relevant", false);
        cells.push(("relevant", at));
    }
    if let Some((v, c)) = st.get(r, "constraint") {
        let at = cell(sheet, r, c);
        if answered {
            q.constraint = cx.expr(v, &at, "constraint", false);
            if q.constraint.is_some() {
                q.constraint_message = cx.text(st, r, "constraint_message");
            }
            cells.push(("constraint", at));
        } else {
            cx.warn(
                at,
                format!("constraint on a {kind}: ignored"),
                "notes and calculations are not checked",
            );
        }
    } else if cx.text(st, r, "constraint_message").is_some() {
        cx.warn(
            st.cell(r, "constraint_message"),
            "constraint_message without a constraint: ignored",
            "add the constraint",
        );
    }

    // choice_filter.
    if let Some((v, c)) = st.get(r, "choice_filter") {
        let at = cell(sheet, r, c);
        if q.options.is_some() {
            q.choice_filter = cx.expr(v, &at, "choice_filter", true);
            cells.push(("choice_filter", at));
        } else {
            cx.warn(
                at,
                "choice_filter on a question without a list: ignored",
                "only select_one and select_multiple filter",
            );
        }
    }

    // calculation on an asked question: its default, computed once.
    if asked && let Some((v, c)) = st.get(r, "calculation") {
        let at = cell(sheet, r, c);
        if answered && st.get(r, "default").is_none() {
            cx.warn(
                at.clone(),
                format!("calculation on a {kind} question: used as its default_calculation (computed once, when first shown)"),
                "make it a calculate question if the value must follow the answers",
            );
            q.default_calculation = cx.expr(v, &at, "calculation", false);
            cells.push(("default_calculation", at));
        } else {
            cx.warn(
                at,
                format!("calculation on a {kind}: ignored"),
                "make it a calculate question",
            );
        }
    }

    // default.
    if let Some((v, c)) = st.get(r, "default") {
        let at = cell(sheet, r, c);
        if !answered {
            cx.warn(
                at,
                format!("default on a {kind}: ignored"),
                "notes and calculations have no default",
            );
        } else if v.contains("${") || v.contains('(') {
            q.default_calculation = cx.expr(v, &at, "default", false);
            cells.push(("default_calculation", at));
        } else {
            q.default = Some(match kind {
                "number" => v.parse::<f64>().map_or(Value::String(v.to_string()), number),
                _ => Value::String(v.to_string()),
            });
            cells.push(("default", at));
        }
    }

    // read_only, trigger, parameters, appearance.
    if !matches!(
        st.value(r, "read_only").to_lowercase().as_str(),
        "" | "no" | "false" | "false()" | "0"
    ) {
        cx.warn(
            st.cell(r, "read_only"),
            format!("read_only: {id} can be answered in anketa"),
            "make it a calculate (never shown) or a note with ${name} piped in",
        );
    }
    if st.get(r, "trigger").is_some() {
        cx.warn(
            st.cell(r, "trigger"),
            "trigger is not supported: the value is not recalculated on change",
            "use a calculate question, recomputed whenever an answer changes",
        );
    }
    if st.get(r, "parameters").is_some() && base != "range" {
        cx.warn(
            st.cell(r, "parameters"),
            format!("parameters of {base}: not used"),
            "anketa has no such option",
        );
    }
    if !appearance.is_empty() && !appearance_used {
        let odd: Vec<&str> = appearances
            .iter()
            .copied()
            .filter(|a| !QUIET_APPEARANCES.contains(a) && !a.starts_with("columns") && !a.starts_with("w"))
            .collect();
        if !odd.is_empty() {
            cx.warn(
                st.cell(r, "appearance"),
                format!("appearance `{}` has no meaning in a terminal: ignored", odd.join(" ")),
                "anketa shows one question at a time, options as a numbered list",
            );
        }
    }
    Some((q, cells))
}

fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

/// `start=0 end=10 step=1` (blanks, commas or semicolons between).
fn parameters(s: &str) -> HashMap<String, String> {
    s.split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect()
}
