//! The one keymap: terminal keys → semantic commands, and the help text generated from it.
//!
//! Every key is one that does not depend on the keyboard layout (Enter, Esc, Tab, arrows,
//! digits, F-keys); Ctrl shortcuts also accept their twin on the Russian ЙЦУКЕН layout (`Ctrl+Q`
//! arrives as `Ctrl+Й`). Letters are never shortcuts: they are typed into a text field or search
//! the options of a choice question. README's key table lists the same keys (a test holds them
//! together).

use crate::i18n::Lang;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A semantic command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Accept / open / next.
    Next,
    /// Previous question.
    Prev,
    /// Highlight up.
    Up,
    /// Highlight down.
    Down,
    /// Option by number (0-based; key `0` is the tenth).
    Digit(usize),
    /// Toggle the highlighted option.
    Toggle,
    /// Delete before the cursor / back.
    Backspace,
    /// Delete under the cursor.
    Delete,
    /// Cursor left / previous tab.
    Left,
    /// Cursor right / next tab.
    Right,
    /// Line start.
    Home,
    /// Line end.
    End,
    /// New line in an open answer.
    Newline,
    /// Switch focus (options ↔ "specify") or tab.
    Focus,
    /// The same, backwards.
    FocusBack,
    /// Remark on the question.
    Remark,
    /// Review screen.
    Review,
    /// Jump list.
    Jump,
    /// Complete the interview.
    Complete,
    /// Add an instance to a roster's list.
    Add,
    /// Reopen a completed interview (start screen).
    Reopen,
    /// Discard a draft (start screen): its file moves to `discarded/`.
    Discard,
    /// Help.
    Help,
    /// Menu / back.
    Menu,
    /// Quit at once (everything is saved already).
    Quit,
    /// A typed character.
    Input(char),
}

/// How a binding matches a key.
#[derive(Debug, Clone, Copy)]
enum Key {
    Code(KeyCode),
    AltEnter,
    Ctrl(char, char),
    Digits,
}

struct Binding {
    key: Key,
    cmd: Cmd,
    label: &'static str,
    ru: &'static str,
    en: &'static str,
}

const fn b(key: Key, cmd: Cmd, label: &'static str, ru: &'static str, en: &'static str) -> Binding {
    Binding {
        key,
        cmd,
        label,
        ru,
        en,
    }
}

const BINDINGS: &[Binding] = &[
    b(
        Key::Code(KeyCode::Enter),
        Cmd::Next,
        "Enter",
        "далее / выбрать / открыть",
        "next / choose / open",
    ),
    b(
        Key::Code(KeyCode::PageDown),
        Cmd::Next,
        "PgDn",
        "следующий вопрос",
        "next question",
    ),
    b(
        Key::Code(KeyCode::PageUp),
        Cmd::Prev,
        "PgUp",
        "предыдущий вопрос",
        "previous question",
    ),
    b(
        Key::Digits,
        Cmd::Digit(0),
        "0…9",
        "номер варианта (Пробел/Enter завершает номер)",
        "option number (Space/Enter finishes it)",
    ),
    b(
        Key::Code(KeyCode::Char(' ')),
        Cmd::Toggle,
        "Пробел/Space",
        "отметить вариант (несколько ответов)",
        "toggle an option (multiple choice)",
    ),
    b(
        Key::Code(KeyCode::Up),
        Cmd::Up,
        "↑",
        "вверх по списку; строкой выше в развёрнутом ответе",
        "up the list; a line up in a long answer",
    ),
    b(
        Key::Code(KeyCode::Down),
        Cmd::Down,
        "↓",
        "вниз по списку; строкой ниже в развёрнутом ответе",
        "down the list; a line down in a long answer",
    ),
    b(
        Key::Code(KeyCode::Left),
        Cmd::Left,
        "←",
        "курсор влево / раздел",
        "cursor left / section",
    ),
    b(
        Key::Code(KeyCode::Right),
        Cmd::Right,
        "→",
        "курсор вправо / раздел",
        "cursor right / section",
    ),
    b(
        Key::Code(KeyCode::Home),
        Cmd::Home,
        "Home",
        "в начало строки",
        "line start",
    ),
    b(Key::Code(KeyCode::End), Cmd::End, "End", "в конец строки", "line end"),
    b(
        Key::Code(KeyCode::Tab),
        Cmd::Focus,
        "Tab",
        "варианты ↔ поле «уточните»; разделы",
        "options ↔ “specify” field; sections",
    ),
    b(
        Key::Code(KeyCode::BackTab),
        Cmd::FocusBack,
        "Shift+Tab",
        "то же, обратно",
        "the same, backwards",
    ),
    b(
        Key::Code(KeyCode::Backspace),
        Cmd::Backspace,
        "Backspace",
        "стереть; в пустом поле — назад",
        "erase; on an empty field — back",
    ),
    b(
        Key::Code(KeyCode::Delete),
        Cmd::Delete,
        "Delete",
        "стереть; в списке — удалить/вернуть",
        "erase; in a list: remove/restore",
    ),
    b(
        Key::Code(KeyCode::Insert),
        Cmd::Add,
        "Insert",
        "добавить строку в список",
        "add a row to a list",
    ),
    b(
        Key::Code(KeyCode::Char('+')),
        Cmd::Add,
        "+",
        "добавить строку в список",
        "add a row to a list",
    ),
    b(
        Key::AltEnter,
        Cmd::Newline,
        "Alt+Enter",
        "новая строка в развёрнутом ответе",
        "new line in an open answer",
    ),
    b(Key::Code(KeyCode::F(1)), Cmd::Help, "F1", "помощь", "help"),
    b(
        Key::Code(KeyCode::F(2)),
        Cmd::Remark,
        "F2",
        "примечание интервьюера к вопросу",
        "interviewer's remark on the question",
    ),
    b(
        Key::Code(KeyCode::F(3)),
        Cmd::Review,
        "F3",
        "обзор ответов",
        "review answers",
    ),
    b(
        Key::Code(KeyCode::F(4)),
        Cmd::Jump,
        "F4",
        "переход к блоку или вопросу",
        "jump to a block or question",
    ),
    b(
        Key::Code(KeyCode::F(5)),
        Cmd::Reopen,
        "F5",
        "переоткрыть завершённое интервью",
        "reopen a completed interview",
    ),
    b(
        Key::Code(KeyCode::F(8)),
        Cmd::Discard,
        "F8",
        "убрать черновик (в папку discarded/)",
        "discard a draft (its file moves to discarded/)",
    ),
    b(
        Key::Code(KeyCode::F(10)),
        Cmd::Complete,
        "F10",
        "завершить интервью (из обзора)",
        "complete the interview (from review)",
    ),
    b(Key::Code(KeyCode::Esc), Cmd::Menu, "Esc", "меню / назад", "menu / back"),
    b(
        Key::Ctrl('q', 'й'),
        Cmd::Quit,
        "Ctrl+Q",
        "выход (всё уже сохранено)",
        "quit (everything is already saved)",
    ),
    b(
        Key::Ctrl('c', 'с'),
        Cmd::Quit,
        "Ctrl+C",
        "выход (всё уже сохранено)",
        "quit (everything is already saved)",
    ),
];

/// Maps a key event to a command. `typing` is true when a text field has focus: then printable
/// characters (digits and letters included) are typed instead of triggering shortcuts.
pub fn map(ev: &KeyEvent, typing: bool) -> Option<Cmd> {
    // Windows reports every key's release too: only presses act.
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let cmd = map_press(ev, typing)?;
    // A key held down repeats only where repeating is safe: moving, erasing, typed text. A
    // held Enter, digit, F-key or Esc acts once (it would race through the questionnaire).
    if ev.kind == KeyEventKind::Repeat
        && !matches!(
            cmd,
            Cmd::Up
                | Cmd::Down
                | Cmd::Left
                | Cmd::Right
                | Cmd::Home
                | Cmd::End
                | Cmd::Backspace
                | Cmd::Delete
                | Cmd::Input(_)
        )
    {
        return None;
    }
    Some(cmd)
}

fn map_press(ev: &KeyEvent, typing: bool) -> Option<Cmd> {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    let alt = ev.modifiers.contains(KeyModifiers::ALT);
    if let KeyCode::Char(c) = ev.code
        && !ctrl
        && !alt
        && typing
    {
        return Some(Cmd::Input(c));
    }
    if typing && alt && matches!(ev.code, KeyCode::Char(_)) {
        // Alt+letter inside a text field (a slip of the thumb): neither typed nor a shortcut.
        return None;
    }
    for bnd in BINDINGS {
        let hit = match bnd.key {
            Key::Code(KeyCode::Enter) => ev.code == KeyCode::Enter && !alt,
            Key::Code(code) => ev.code == code && !ctrl,
            Key::AltEnter => ev.code == KeyCode::Enter && alt,
            Key::Ctrl(a, b) => {
                ctrl && matches!(ev.code, KeyCode::Char(c) if c.to_lowercase().eq([a]) || c.to_lowercase().eq([b]))
            }
            Key::Digits => {
                if let KeyCode::Char(c @ '0'..='9') = ev.code
                    && !ctrl
                {
                    let d = c.to_digit(10).unwrap_or(0) as usize;
                    return Some(Cmd::Digit(if d == 0 { 9 } else { d - 1 }));
                }
                false
            }
        };
        if hit {
            return Some(bnd.cmd.clone());
        }
    }
    None
}

/// Help lines generated from the keymap: (keys, what they do), one line per command with all
/// its keys.
pub(crate) fn help(lang: Lang) -> Vec<(String, &'static str)> {
    let mut out: Vec<(Cmd, String, &'static str)> = Vec::new();
    for b in BINDINGS {
        match out.iter_mut().find(|(c, _, _)| *c == b.cmd) {
            Some((_, keys, _)) => {
                keys.push_str(", ");
                keys.push_str(b.label);
            }
            None => out.push((b.cmd.clone(), b.label.to_string(), lang.t(b.ru, b.en))),
        }
    }
    let mut rows: Vec<(String, &'static str)> = out.into_iter().map(|(_, k, v)| (k, v)).collect();
    // Letters are no binding: on a choice question they search the options.
    let at = rows.iter().position(|(k, _)| k == "0…9").map_or(rows.len(), |i| i + 1);
    rows.insert(
        at,
        (
            lang.t("буквы", "letters").to_string(),
            lang.t(
                "поиск варианта по названию (Backspace, Esc — сброс)",
                "search the options by name (Backspace, Esc: clear)",
            ),
        ),
    );
    rows
}

/// The keys for a command, for the footer hints (first binding's label).
pub fn label(cmd: &Cmd) -> &'static str {
    BINDINGS.iter().find(|b| b.cmd == *cmd).map_or("", |b| b.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn letters_are_never_shortcuts_and_ctrl_accepts_the_russian_twin() {
        // Letters type (or search the options); review, jump and help are on F3, F4, F1.
        for c in ['r', 'к', 'j', 'о', '?'] {
            assert_eq!(map(&key(KeyCode::Char(c)), false), None, "{c}");
        }
        assert_eq!(map(&key(KeyCode::Char('к')), true), Some(Cmd::Input('к')));
        assert_eq!(
            map(&KeyEvent::new(KeyCode::Char('Й'), KeyModifiers::CONTROL), false),
            Some(Cmd::Quit)
        );
        assert_eq!(map(&key(KeyCode::Char('3')), true), Some(Cmd::Input('3')));
        assert_eq!(map(&key(KeyCode::Char('3')), false), Some(Cmd::Digit(2)));
        assert_eq!(map(&key(KeyCode::Char('0')), false), Some(Cmd::Digit(9)));
    }

    #[test]
    fn alt_letters_never_fire_a_shortcut_inside_a_text_field() {
        for c in ['r', 'к', 'q', 'й', '3'] {
            let alt = KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT);
            assert_eq!(map(&alt, true), None, "Alt+{c}");
        }
        // Alt+Enter is still the new line of a long answer.
        let alt_enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT);
        assert_eq!(map(&alt_enter, true), Some(Cmd::Newline));
    }

    #[test]
    fn navigation_keys_do_not_depend_on_layout() {
        assert_eq!(map(&key(KeyCode::Enter), true), Some(Cmd::Next));
        assert_eq!(
            map(&KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT), true),
            Some(Cmd::Newline)
        );
        assert_eq!(map(&key(KeyCode::F(2)), true), Some(Cmd::Remark));
        assert_eq!(map(&key(KeyCode::Esc), true), Some(Cmd::Menu));
        assert_eq!(
            map(&KeyEvent::new(KeyCode::Char('й'), KeyModifiers::CONTROL), true),
            Some(Cmd::Quit)
        );
    }

    #[test]
    fn help_lists_every_binding() {
        let h = help(Lang::Ru);
        for b in BINDINGS {
            assert!(h.iter().any(|(k, _)| k.contains(b.label)), "{} missing", b.label);
        }
        assert!(h.contains(&("F2".to_string(), "примечание интервьюера к вопросу")));
        assert!(h.contains(&("F3".to_string(), "обзор ответов")));
    }

    #[test]
    fn readme_key_table_names_exactly_the_bound_keys() {
        let readme = include_str!("../../README.md");
        let section = readme.split("### In the interviewer").nth(1).expect("README section");
        // The first column of the key table, as tokens.
        let tokens: Vec<String> = section
            .lines()
            .skip_while(|l| !l.starts_with("| key |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.split('|').nth(1))
            .flat_map(|c| c.split([' ', ',']))
            .map(|t| t.trim_matches('`').to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let bound: Vec<&str> = BINDINGS
            .iter()
            .flat_map(|b| b.label.split('/'))
            .map(str::trim)
            .filter(|k| *k != "Пробел")
            .collect();
        // Every bound key is in the README (digits are written `0`…`9` there).
        for k in &bound {
            let found = match *k {
                "0…9" => section.contains("`0`…`9`"),
                k => tokens.iter().any(|t| t == k),
            };
            assert!(found, "{k} is bound but not in README's key table");
        }
        // Every key the README names is bound.
        let is_key = |t: &str| {
            (t.len() > 1 && t.starts_with('F') && t[1..].chars().all(|c| c.is_ascii_digit()))
                || t.starts_with("Ctrl+")
                || t.starts_with("Alt+")
                || t.starts_with("Shift+")
                || [
                    "↑",
                    "↓",
                    "←",
                    "→",
                    "Esc",
                    "Tab",
                    "Enter",
                    "PgDn",
                    "PgUp",
                    "Backspace",
                    "Delete",
                    "Space",
                    "Home",
                    "End",
                ]
                .contains(&t)
        };
        for t in tokens.iter().filter(|t| is_key(t)) {
            assert!(
                bound.contains(&t.as_str()),
                "README names {t}, which the keymap does not bind"
            );
        }
    }

    #[test]
    fn only_presses_act_and_a_held_key_repeats_only_where_safe() {
        use KeyEventKind::{Press, Release, Repeat};
        let ev = |code, kind| KeyEvent::new_with_kind(code, KeyModifiers::NONE, kind);
        assert_eq!(map(&ev(KeyCode::Enter, Press), false), Some(Cmd::Next));
        assert_eq!(map(&ev(KeyCode::Enter, Release), false), None);
        // Held: arrows and erasing repeat, typed text repeats; Enter, digits, F-keys, Esc do not.
        assert_eq!(map(&ev(KeyCode::Down, Repeat), false), Some(Cmd::Down));
        assert_eq!(map(&ev(KeyCode::Backspace, Repeat), true), Some(Cmd::Backspace));
        assert_eq!(map(&ev(KeyCode::Char('а'), Repeat), true), Some(Cmd::Input('а')));
        for code in [
            KeyCode::Enter,
            KeyCode::Char('3'),
            KeyCode::F(10),
            KeyCode::Esc,
            KeyCode::PageDown,
        ] {
            assert_eq!(map(&ev(code, Repeat), false), None, "{code:?}");
        }
    }
}
