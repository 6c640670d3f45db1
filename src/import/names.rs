//! Names: XLSForm names made into anketa's variable names, block and questionnaire ids, and
//! language codes.

/// A valid anketa variable name (`[A-Za-z_][A-Za-z0-9._-]*`, at most 64 characters): other
/// characters become `_`, a name starting otherwise gets `_` before it.
pub(super) fn valid_name(raw: &str) -> String {
    let mut s: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    s.chars().take(64).collect()
}

/// A block id (`^[a-z][a-z0-9_]*$`, at most 32; the caller makes it unique).
pub(super) fn block_id(raw: &str) -> String {
    lower_id(raw, "g")
}

/// A questionnaire id (`^[a-z][a-z0-9_]*$`, at most 32).
pub(super) fn questionnaire_id(raw: &str) -> String {
    lower_id(raw, "f")
}

fn lower_id(raw: &str, prefix: &str) -> String {
    let mut s = String::new();
    for c in raw.trim().to_lowercase().chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '_'
        };
        if !(c == '_' && s.ends_with('_')) {
            s.push(c);
        }
    }
    let s = s.trim_matches('_').to_string();
    let s = if s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s
    } else {
        format!("{prefix}_{s}")
    };
    let s: String = s.chars().take(32).collect();
    s.trim_end_matches('_').to_string()
}

/// The language code of a language column (`English (en)` → `en`, `en` → `en`, `English` →
/// `en`), and whether the form said it (false: guessed from a name).
pub(super) fn lang_code(raw: &str) -> (String, bool) {
    let raw = raw.trim();
    // anketa's rule: a primary subtag of 2 or 3 lowercase letters, then `-` and 1 to 8 letters
    // or digits each.
    let ok = |c: &str| {
        let mut parts = c.split('-');
        parts
            .next()
            .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|ch| ch.is_ascii_alphabetic()))
            && parts.all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|ch| ch.is_ascii_alphanumeric()))
    };
    if let Some(open) = raw.rfind('(')
        && let Some(code) = raw[open + 1..].strip_suffix(')')
        && ok(code.trim())
    {
        return (code.trim().to_lowercase(), true);
    }
    if ok(raw) {
        return (raw.to_lowercase(), true);
    }
    const NAMES: &[(&str, &str)] = &[
        ("english", "en"),
        ("french", "fr"),
        ("français", "fr"),
        ("francais", "fr"),
        ("spanish", "es"),
        ("español", "es"),
        ("espanol", "es"),
        ("portuguese", "pt"),
        ("português", "pt"),
        ("arabic", "ar"),
        ("russian", "ru"),
        ("русский", "ru"),
        ("ukrainian", "uk"),
        ("swahili", "sw"),
        ("hindi", "hi"),
        ("bengali", "bn"),
        ("urdu", "ur"),
        ("chinese", "zh"),
        ("german", "de"),
        ("italian", "it"),
        ("turkish", "tr"),
        ("amharic", "am"),
        ("hausa", "ha"),
        ("somali", "so"),
        ("nepali", "ne"),
        ("indonesian", "id"),
        ("burmese", "my"),
        ("dari", "prs"),
        ("pashto", "ps"),
        ("kinyarwanda", "rw"),
        ("default", "und"),
    ];
    let lower = raw.to_lowercase();
    if let Some((_, c)) = NAMES.iter().find(|(n, _)| *n == lower) {
        return ((*c).to_string(), true);
    }
    let letters: String = lower.chars().filter(char::is_ascii_lowercase).take(3).collect();
    let code = if letters.len() >= 2 { letters } else { "und".to_string() };
    (code, false)
}
