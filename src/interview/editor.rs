//! A small text editor for answer, "specify" and remark fields: a string and a cursor counted
//! in characters (never bytes), so Cyrillic and pasted text are edited correctly.

/// Text with a cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Editor {
    text: String,
    /// Cursor position in characters.
    cursor: usize,
}

impl Editor {
    /// An editor holding `text`, cursor at the end.
    pub fn new(text: &str) -> Self {
        Editor {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, in characters.
    pub(crate) fn cursor(&self) -> usize {
        self.cursor
    }

    fn byte(&self, chars: usize) -> usize {
        self.text.char_indices().nth(chars).map_or(self.text.len(), |(b, _)| b)
    }

    /// Inserts text at the cursor (control characters other than newline are dropped; `\r\n`
    /// and `\r` become `\n`; newlines are dropped unless `multiline`).
    pub fn insert(&mut self, s: &str, multiline: bool) {
        let s = s.replace("\r\n", "\n").replace('\r', "\n");
        let clean: String = s
            .chars()
            .filter_map(|c| match c {
                '\n' if multiline => Some('\n'),
                '\n' | '\t' => Some(' '),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect();
        let at = self.byte(self.cursor);
        self.text.insert_str(at, &clean);
        self.cursor += clean.chars().count();
    }

    /// Deletes the character before the cursor. Returns false if there was none.
    pub(crate) fn backspace(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        let at = self.byte(self.cursor - 1);
        self.text.remove(at);
        self.cursor -= 1;
        true
    }

    /// Deletes the character under the cursor.
    pub(crate) fn delete(&mut self) -> bool {
        if self.cursor >= self.text.chars().count() {
            return false;
        }
        let at = self.byte(self.cursor);
        self.text.remove(at);
        true
    }

    /// Moves the cursor one character left.
    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    /// Moves the cursor one character right.
    pub(crate) fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    /// Moves to the start of the current line.
    pub(crate) fn home(&mut self) {
        let before: Vec<char> = self.text.chars().take(self.cursor).collect();
        self.cursor = before.iter().rposition(|&c| c == '\n').map_or(0, |p| p + 1);
    }

    /// Moves to the line above, to the same column or that line's end (nothing on the first
    /// line).
    pub fn up(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let start = line_start(&chars, self.cursor);
        if start > 0 {
            let prev = line_start(&chars, start - 1);
            self.cursor = prev + (self.cursor - start).min(start - 1 - prev);
        }
    }

    /// Moves to the line below, to the same column or that line's end (nothing on the last
    /// line).
    pub(crate) fn down(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let col = self.cursor - line_start(&chars, self.cursor);
        if let Some(nl) = chars[self.cursor..].iter().position(|&c| c == '\n') {
            let next = self.cursor + nl + 1;
            let len = chars[next..]
                .iter()
                .position(|&c| c == '\n')
                .unwrap_or(chars.len() - next);
            self.cursor = next + col.min(len);
        }
    }

    /// Moves to the end of the current line.
    pub fn end(&mut self) {
        let after = self.text.chars().skip(self.cursor).position(|c| c == '\n');
        self.cursor = match after {
            Some(p) => self.cursor + p,
            None => self.text.chars().count(),
        };
    }
}

/// The index of the first character of the line holding character `at`.
fn line_start(chars: &[char], at: usize) -> usize {
    chars[..at.min(chars.len())]
        .iter()
        .rposition(|&c| c == '\n')
        .map_or(0, |p| p + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_cyrillic_by_characters() {
        let mut e = Editor::new("Привет");
        e.left();
        e.insert("ё", false);
        assert_eq!(e.text(), "Привеёт");
        assert!(e.backspace());
        e.home();
        assert!(e.delete());
        assert_eq!(e.text(), "ривет");
        e.end();
        assert_eq!(e.cursor(), 5);
    }

    #[test]
    fn paste_is_cleaned() {
        let mut e = Editor::new("");
        e.insert("a\r\nb\tc\u{7}", false);
        assert_eq!(e.text(), "a b c");
        let mut m = Editor::new("");
        m.insert("a\r\nb", true);
        assert_eq!(m.text(), "a\nb");
        m.home();
        assert_eq!(m.cursor(), 2);
    }

    #[test]
    fn up_and_down_move_between_lines_keeping_the_column() {
        let mut e = Editor::new("первая строка\nвторая\n\nчетвёртая строка");
        e.down();
        assert_eq!(e.cursor(), 38, "already on the last line");
        e.home();
        e.right();
        e.right();
        e.up();
        assert_eq!(e.cursor(), 21, "the empty third line: its end");
        e.up();
        assert_eq!(e.cursor(), 14, "«вторая» from its start");
        e.end();
        e.up();
        assert_eq!(e.cursor(), 6, "column 6 of the first line");
        e.up();
        assert_eq!(e.cursor(), 6, "already on the first line");
        e.end();
        e.down();
        assert_eq!(e.cursor(), 20, "the end of «вторая», shorter than column 13");
        e.down();
        e.down();
        assert_eq!(e.cursor(), 22, "column 0 of the last line (from the empty line)");
        let mut one = Editor::new("одна");
        one.up();
        one.down();
        assert_eq!(one.cursor(), 4);
    }
}
