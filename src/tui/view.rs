//! Rendering: `view(frame, app)` draws the state and changes nothing.

use super::app::{App, MENU, Overlay, SaveState, Screen, Tab};
use super::keymap::{self, Cmd};
use crate::i18n::{self, Lang};
use crate::interview::logic::At;
use crate::interview::session::{Focus, Message, Mode, Pos, Session};
use crate::interview::summary::Summary;
use crate::interview::{editor::Editor, logic::Problem};
use crate::questionnaire::{Kind, Questionnaire};
use crate::record::{AnswerValue, Status};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Smallest usable terminal.
pub(crate) const MIN_W: u16 = 60;
/// Smallest usable terminal height.
pub(crate) const MIN_H: u16 = 16;

/// Colours, or none with NO_COLOR / a monochrome terminal.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// From the environment: `NO_COLOR` set (to anything) disables colour.
    pub(crate) fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
    /// No colours (tests, NO_COLOR).
    pub fn plain() -> Theme {
        Theme { color: false }
    }
    fn fg(self, c: Color) -> Style {
        if self.color { Style::new().fg(c) } else { Style::new() }
    }
    fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    fn warn(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    fn hint(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::ITALIC)
    }
    fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    fn sel(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    fn ok(self) -> Style {
        self.fg(Color::Green)
    }
}

/// Draws the whole UI.
pub fn view(f: &mut Frame, app: &App, theme: Theme) {
    let area = f.area();
    if area.width < MIN_W || area.height < MIN_H {
        let msg = app
            .lang()
            .t("Окно терминала слишком маленькое", "The terminal is too small");
        let need = format!("{} {MIN_W}×{MIN_H}", app.lang().t("нужно не менее", "need at least"));
        let p = Paragraph::new(vec![Line::from(msg), Line::from(need)]).wrap(Wrap { trim: true });
        f.render_widget(p, area);
        return;
    }
    match app.screen() {
        Screen::Start { tab, sel } => start(f, app, *tab, *sel, theme),
        Screen::AskCode { edit, .. } => ask_code(f, app, edit, theme),
        Screen::Interview(s) => interview(f, app, s, theme),
    }
    match app.overlay() {
        Some(Overlay::Help { top }) => help(f, app.lang(), *top, theme),
        Some(Overlay::HandIn { edit }) => hand_in(f, app, edit, theme),
        Some(Overlay::Menu { sel }) => menu(f, app, *sel, theme),
        Some(Overlay::ConfirmReopen { item }) => confirm_reopen(f, app, *item, theme),
        Some(Overlay::ConfirmDiscard { item }) => confirm_discard(f, app, *item, theme),
        Some(Overlay::ConfirmUnsaved { quit }) => confirm_unsaved(f, app, *quit, theme),
        None => {}
    }
}

fn footer(lang: Lang, items: &[(Cmd, &'static str, &'static str)], theme: Theme, width: u16) -> Line<'static> {
    // Every key stays: when the line is too long, the longest descriptions go first (the key
    // alone remains), and only if the keys alone do not fit are the last ones dropped.
    let keys: Vec<&str> = items.iter().map(|(cmd, _, _)| keymap::label(cmd)).collect();
    let texts: Vec<&str> = items.iter().map(|(_, ru, en)| lang.t(ru, en)).collect();
    let mut with_text = vec![true; items.len()];
    let total = |with_text: &[bool], n: usize| -> usize {
        (0..n)
            .map(|i| keys[i].chars().count() + if with_text[i] { 1 + texts[i].chars().count() } else { 0 })
            .sum::<usize>()
            + 3 * n.saturating_sub(1)
    };
    let width = usize::from(width);
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(texts[i].chars().count()));
    for i in order {
        if total(&with_text, items.len()) <= width {
            break;
        }
        with_text[i] = false;
    }
    let mut n = items.len();
    while n > 0 && total(&with_text, n) > width {
        n -= 1;
    }
    let mut spans = Vec::new();
    for i in 0..n {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        spans.push(Span::styled(
            keys[i].to_string(),
            Style::new().add_modifier(Modifier::BOLD),
        ));
        if with_text[i] {
            spans.push(Span::raw(format!(" {}", texts[i])));
        }
    }
    Line::from(spans)
}

fn start(f: &mut Frame, app: &App, tab: Tab, sel: usize, theme: Theme) {
    let l = app.lang();
    let [head, tabs, body, notice, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    let who = match app.interviewer() {
        Some(c) => format!("{}: {c}", l.t("интервьюер", "interviewer")),
        None => String::new(),
    };
    f.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled("anketa", Style::new().add_modifier(Modifier::BOLD)),
                Span::raw(format!(" — {}   ", l.t("офлайн-интервьюер", "offline interviewer"))),
                Span::styled(who, theme.dim()),
            ]),
            Line::from(""),
        ]),
        head,
    );
    let n_resume = app.rows(Tab::Resume).len();
    let done = app.rows(Tab::Completed);
    let today = done
        .iter()
        .filter(|&&i| {
            app.items()[i]
                .completed_day
                .as_deref()
                .is_some_and(|c| c == app.today())
        })
        .count();
    let n_bad = app.broken().len();
    // Full titles when they fit, short ones when not (60 columns, or a fourth section).
    let full: Vec<(Tab, String)> = app
        .tabs()
        .into_iter()
        .map(|t| {
            let title = match t {
                Tab::New => l.t("Новое интервью", "New interview").to_string(),
                Tab::Resume => format!("{} ({n_resume})", l.t("Продолжить", "Resume")),
                Tab::Completed => format!(
                    "{} ({} {today} / {} {})",
                    l.t("Завершённые", "Completed"),
                    l.t("сегодня", "today"),
                    l.t("всего", "all"),
                    done.len()
                ),
                Tab::Unreadable => format!("{} ({n_bad})", l.t("Не читаются", "Unreadable")),
            };
            (t, title)
        })
        .collect();
    let wide: usize = full
        .iter()
        .map(|(_, t)| unicode_width::UnicodeWidthStr::width(t.as_str()) + 4)
        .sum();
    let titles: Vec<(Tab, String)> = if wide <= usize::from(tabs.width) {
        full
    } else {
        full.into_iter()
            .map(|(t, title)| match t {
                Tab::New => (t, l.t("Новое", "New").to_string()),
                Tab::Completed => (t, format!("{} ({today}/{})", l.t("Готовые", "Done"), done.len())),
                _ => (t, title),
            })
            .collect()
    };
    let mut spans = Vec::new();
    for (t, title) in titles {
        let st = if t == tab {
            theme.sel().add_modifier(Modifier::BOLD)
        } else if t == Tab::Unreadable {
            theme.warn()
        } else {
            Style::new()
        };
        spans.push(Span::styled(format!(" {title} "), st));
        spans.push(Span::raw("  "));
    }
    f.render_widget(Paragraph::new(vec![Line::from(spans), Line::from("")]), tabs);
    let rows = app.rows(tab);
    let mut lines: Vec<Line> = Vec::new();
    if rows.is_empty() {
        lines.push(Line::styled(
            match tab {
                Tab::Resume => l.t("Незавершённых интервью нет.", "No unfinished interviews."),
                Tab::Completed => l.t("Завершённых интервью пока нет.", "No completed interviews yet."),
                Tab::New => l.t("Нет анкет.", "No questionnaires."),
                Tab::Unreadable => l.t("Все файлы читаются.", "Every file is readable."),
            },
            theme.dim(),
        ));
    }
    for (k, &i) in rows.iter().enumerate() {
        let text = match tab {
            Tab::New => {
                let q = &app.catalog()[i];
                let n = q.questions.iter().filter(|x| x.is_interviewed()).count();
                // Two entries with the same id and version differ in content: show the hash.
                let twin = app
                    .catalog()
                    .iter()
                    .filter(|o| o.id == q.id && o.version == q.version)
                    .count()
                    > 1;
                let sha = if twin {
                    format!(" #{}", &q.sha256[..8])
                } else {
                    String::new()
                };
                format!(
                    "{}. {} ({} v{}{sha}, {} {})",
                    k + 1,
                    q.title(),
                    q.id,
                    q.version,
                    n,
                    l.t("вопр.", "questions")
                )
            }
            Tab::Unreadable => {
                // The file's name, and under the selected one the reason (as `anketa list`).
                let (path, why) = &app.broken()[i];
                let name = path
                    .file_name()
                    .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
                let width = usize::from(body.width);
                let st = if k == sel { theme.sel() } else { Style::new() };
                lines.push(Line::styled(truncate(&format!("{}. {name}", k + 1), width), st));
                if k == sel {
                    let reason = format!("   {}", i18n::unreadable(l, why));
                    lines.push(Line::styled(truncate(&reason, width), theme.warn()));
                }
                continue;
            }
            _ => item_line(l, &app.items()[i]),
        };
        let st = if k == sel { theme.sel() } else { Style::new() };
        // A line longer than the screen ends with "…" rather than being cut mid-word.
        let width = usize::from(body.width);
        lines.push(Line::styled(truncate(&text, width), st));
        if tab != Tab::New
            && k == sel
            && let Some(lq) = &app.items()[i].last_question
        {
            let stopped = format!("   {} {lq}", l.t("остановились на:", "stopped at:"));
            lines.push(Line::styled(truncate(&stopped, width), theme.dim()));
        }
    }
    // The selected row and the line under it (where it stopped, or why it cannot be read).
    let below = usize::from(tab != Tab::New);
    let scroll = scroll_for(sel + below, body.height);
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
    let mut note = app.notice().unwrap_or_default().to_string();
    if note.is_empty() && !app.broken().is_empty() {
        note = match tab {
            Tab::Unreadable => l
                .t(
                    "Файлы не открываются (не изменены): покажите руководителю.",
                    "These files cannot be opened (left unchanged): show your supervisor.",
                )
                .to_string(),
            _ => format!(
                "{} {n_bad} — {}",
                l.t("Файлы, которые не читаются:", "Files that cannot be read:"),
                l.t("раздел «Не читаются» (Tab)", "see “Unreadable” (Tab)")
            ),
        };
    }
    let note = truncate(&note, usize::from(notice.width));
    f.render_widget(Paragraph::new(Line::styled(note, theme.warn())), notice);
    let mut keys = vec![(Cmd::Next, "открыть", "open"), (Cmd::Focus, "раздел", "section")];
    if tab == Tab::Unreadable {
        keys.remove(0);
    }
    if tab == Tab::Completed {
        keys.push((Cmd::Reopen, "переоткрыть", "reopen"));
    }
    if tab == Tab::Resume {
        keys.push((Cmd::Discard, "убрать", "discard"));
    }
    keys.extend([(Cmd::Help, "помощь", "help"), (Cmd::Menu, "меню", "menu")]);
    f.render_widget(Paragraph::new(footer(l, &keys, theme, foot.width)), foot);
}

fn item_line(l: Lang, it: &Summary) -> String {
    if it.sealed {
        return format!(
            "{} · {} · {} {}",
            it.rec.questionnaire.id,
            l.t("[запечатано]", "[sealed]"),
            l.t("завершено", "completed"),
            it.updated_local,
        );
    }
    let district = it.district.clone().unwrap_or_else(|| "—".into());
    format!(
        "{} · {} · {} {} · {} {} · {}/{}",
        it.rec.questionnaire.id,
        district,
        l.t("начато", "started"),
        it.started_local,
        l.t("изм.", "changed"),
        it.updated_local,
        it.progress.0,
        it.progress.1
    )
}

fn scroll_for(line: usize, height: u16) -> u16 {
    let h = usize::from(height.max(1));
    if line < h {
        0
    } else {
        (line + 1 - h).min(u16::MAX as usize) as u16
    }
}

fn ask_code(f: &mut Frame, app: &App, edit: &Editor, theme: Theme) {
    let l = app.lang();
    let area = centered(f.area(), 60, 7);
    let lines = vec![
        Line::from(l.t("Введите ваш код интервьюера.", "Enter your interviewer code.")),
        Line::styled(
            l.t(
                "Он будет запомнен на этом ноутбуке.",
                "It is remembered on this laptop.",
            ),
            theme.dim(),
        ),
        Line::from(""),
        field_line(edit, theme, true),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .title(l.t(" Интервьюер ", " Interviewer "));
    f.render_widget(Paragraph::new(lines).block(block), area);
}

fn hand_in(f: &mut Frame, app: &App, edit: &Editor, theme: Theme) {
    let l = app.lang();
    let area = centered(f.area(), 66, 9);
    let lines = vec![
        Line::from(l.t(
            "Куда сдать завершённые интервью (папка или флешка):",
            "Where to hand in the completed interviews (a folder or USB stick):",
        )),
        field_line(edit, theme, true),
        Line::styled(
            l.t(
                "например E:\\ или /media/usb. Копируются, не переносятся; каждая копия проверяется.",
                "e.g. E:\\ or /media/usb. Copied, not moved; every copy is checked.",
            ),
            theme.dim(),
        ),
        Line::from(l.t("Enter — сдать, Esc — отмена", "Enter: hand in, Esc: cancel")),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .title(l.t(" Сдать интервью ", " Hand in "));
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(block), area);
}

fn field_line(edit: &Editor, theme: Theme, focused: bool) -> Line<'static> {
    let chars: Vec<char> = edit.text().chars().collect();
    let c = edit.cursor();
    let before: String = chars[..c.min(chars.len())].iter().collect();
    let at: String = chars.get(c).map_or(
        " ".to_string(),
        |ch| if *ch == '\n' { " ".into() } else { ch.to_string() },
    );
    let after: String = chars.get(c + 1..).map_or(String::new(), |s| s.iter().collect());
    let cur = if focused { theme.sel() } else { Style::new() };
    Line::from(vec![
        Span::raw("> "),
        Span::raw(before),
        Span::styled(at, cur),
        Span::raw(after),
    ])
}

fn field_lines(edit: &Editor, theme: Theme, focused: bool) -> Vec<Line<'static>> {
    // Multi-line: split at newlines, cursor drawn on its line.
    let text = edit.text();
    if !text.contains('\n') {
        return vec![field_line(edit, theme, focused)];
    }
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, part) in text.split('\n').enumerate() {
        let n = part.chars().count();
        let cur = edit.cursor();
        let prefix = if i == 0 { "> " } else { "  " };
        if focused && cur >= offset && cur <= offset + n {
            let k = cur - offset;
            let chars: Vec<char> = part.chars().collect();
            let before: String = chars[..k].iter().collect();
            let at: String = chars.get(k).map_or(" ".into(), |c| c.to_string());
            let after: String = chars.get(k + 1..).map_or(String::new(), |s| s.iter().collect());
            out.push(Line::from(vec![
                Span::raw(prefix),
                Span::raw(before),
                Span::styled(at, theme.sel()),
                Span::raw(after),
            ]));
        } else {
            out.push(Line::from(format!("{prefix}{part}")));
        }
        offset += n + 1;
    }
    out
}

/// The session's message (answers piped into a check's message) and its style.
fn message_line(l: Lang, s: &Session, theme: Theme) -> (String, Style) {
    let say = |m: &Message| s.pipe(&i18n::message(l, m, &s.q));
    match &s.message {
        Some(m @ Message::Problem(Problem::Warning(_))) => (say(m), theme.warn()),
        Some(m @ (Message::Problem(_) | Message::MaxReached(_) | Message::CannotComplete(_) | Message::ReadOnly)) => {
            (say(m), theme.error())
        }
        Some(m) => (say(m), theme.ok()),
        None => (String::new(), Style::new()),
    }
}

fn interview(f: &mut Frame, app: &App, s: &Session, theme: Theme) {
    let l = app.lang();
    let q = &s.q;
    let qq = &q.questions[s.cur];
    let [head, bar, body, msg, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(f.area());
    // Header: instrument, block k/n and title; save state on the right.
    let block = &q.blocks[qq.block];
    let left = format!(
        "{} · {} {}/{}: {}",
        q.short_name(),
        l.t("блок", "block"),
        qq.block + 1,
        q.blocks.len(),
        s.say(&block.title)
    );
    let (save_text, save_style) = match app.save_state() {
        SaveState::Idle => (String::new(), Style::new()),
        SaveState::Saved(t) => (format!("{} {t}", l.t("сохранено", "saved")), theme.ok()),
        SaveState::Sealed(t) => (format!("{} {t}", l.t("запечатано", "sealed")), theme.ok()),
        // For the time of one write (drawn before it): never "сохранено" while unsaved.
        SaveState::Pending => (l.t("сохраняю…", "saving…").to_string(), theme.dim()),
        // The header only says it; the message line says why and what to do.
        SaveState::Failed(_) => (l.t("НЕ СОХРАНЕНО", "NOT SAVED").to_string(), theme.error()),
    };
    // As wide as "сохранено 12:34:56" whichever the state, so the title does not jump per key.
    let saved_width = unicode_width::UnicodeWidthStr::width(l.t("сохранено 00:00:00", "saved 00:00:00"));
    let save_width = unicode_width::UnicodeWidthStr::width(save_text.as_str()).max(saved_width);
    let [hl, hr] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(save_width.min(60) as u16 + 1)]).areas(head);
    f.render_widget(
        Paragraph::new(Line::styled(
            truncate(&left, usize::from(hl.width)),
            Style::new().add_modifier(Modifier::BOLD),
        )),
        hl,
    );
    f.render_widget(Paragraph::new(Line::styled(save_text, save_style)).right_aligned(), hr);
    // Progress bar and elapsed time.
    let (done, total) = s.progress();
    let secs = app.elapsed_ms() / 1000;
    let clock = format!(
        " {done}/{total} · {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    let status = if s.read_only {
        l.t(" · только просмотр", " · read-only")
    } else {
        ""
    };
    let width = usize::from(bar.width)
        .saturating_sub(clock.chars().count() + status.chars().count() + 2)
        .max(4);
    let filled = (done * width).checked_div(total).unwrap_or(0);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("█".repeat(filled), theme.ok()),
            Span::styled("░".repeat(width - filled), theme.dim()),
            Span::raw(clock),
            Span::styled(status, theme.warn()),
        ])),
        bar,
    );
    match s.mode {
        Mode::Question => question_body(f, app, s, body, theme),
        Mode::Review { sel } => list_body(f, app, s, body, sel, true, theme),
        Mode::Jump { sel } => list_body(f, app, s, body, sel, false, theme),
        Mode::Roster { r, parent, sel } => roster_body(f, app, s, body, (r, parent, sel), theme),
    }
    // Message line: a failed save first (what is wrong and what to do), else the session's.
    let (text, style) = match (app.save_state(), &s.message) {
        (SaveState::Failed(e), _) => (format!("{}: {e}", l.t("НЕ СОХРАНЕНО", "NOT SAVED")), theme.error()),
        _ => message_line(l, s, theme),
    };
    f.render_widget(Paragraph::new(Line::styled(text, style)).wrap(Wrap { trim: true }), msg);
    let keys: Vec<(Cmd, &str, &str)> = match (s.mode, s.focus) {
        (_, Focus::Remark) => vec![
            (Cmd::Next, "сохранить примечание", "save remark"),
            (Cmd::Menu, "отмена", "cancel"),
        ],
        // A completed interview is not offered completion again.
        (Mode::Review { .. }, _) if s.rec.status == Status::Completed => {
            vec![(Cmd::Next, "к вопросу", "go to question"), (Cmd::Menu, "назад", "back")]
        }
        (Mode::Review { .. }, _) => vec![
            (Cmd::Next, "к вопросу", "go to question"),
            (Cmd::Complete, "завершить", "complete"),
            (Cmd::Menu, "назад", "back"),
        ],
        (Mode::Jump { .. }, _) => vec![(Cmd::Next, "перейти", "go"), (Cmd::Menu, "назад", "back")],
        (Mode::Roster { .. }, _) if s.read_only => vec![
            (Cmd::Next, "открыть", "open"),
            (Cmd::Prev, "назад", "back"),
            (Cmd::Review, "обзор", "review"),
            (Cmd::Menu, "меню", "menu"),
        ],
        (Mode::Roster { r, .. }, _) if s.q.rosters[r].count.is_some() => vec![
            (Cmd::Next, "открыть", "open"),
            (Cmd::Delete, "удалить", "remove"),
            (Cmd::Prev, "назад", "back"),
            (Cmd::Review, "обзор", "review"),
            (Cmd::Menu, "меню", "menu"),
        ],
        (Mode::Roster { .. }, _) => vec![
            (Cmd::Next, "открыть", "open"),
            (Cmd::Add, "добавить", "add"),
            (Cmd::Delete, "удалить", "remove"),
            (Cmd::Prev, "назад", "back"),
            (Cmd::Review, "обзор", "review"),
            (Cmd::Menu, "меню", "menu"),
        ],
        _ => vec![
            (Cmd::Next, "далее", "next"),
            (Cmd::Prev, "назад", "back"),
            (Cmd::Remark, "примечание", "remark"),
            (Cmd::Review, "обзор", "review"),
            (Cmd::Help, "помощь", "help"),
            (Cmd::Menu, "меню", "menu"),
        ],
    };
    f.render_widget(Paragraph::new(footer(l, &keys, theme, foot.width)), foot);
}

/// The options of a choice question (with the count chosen, the two-digit hint and an open
/// "specify" field), appended to `lines`; the line to keep in view, if the focus is there.
fn choice_lines(
    head: &mut Vec<Line<'static>>,
    lines: &mut Vec<Line<'static>>,
    l: Lang,
    s: &Session,
    value: Option<&AnswerValue>,
    theme: Theme,
) -> Option<usize> {
    let q = &s.q;
    let qq = &q.questions[s.cur];
    let mut focus = None;
    let multi = matches!(qq.kind, Kind::Multi { .. });
    if let Kind::Multi { max, .. } = qq.kind {
        let n = match value {
            Some(AnswerValue::Codes(c)) => c.len(),
            _ => 0,
        };
        let limit = max
            .map(|m| format!(" ({} {m})", l.t("не более", "at most")))
            .unwrap_or_default();
        head.push(Line::styled(
            format!("{} {n}{limit}", l.t("выбрано", "chosen")),
            theme.dim(),
        ));
    }
    // Numbers of two digits: the hint says how they are typed, and the number being typed is
    // shown until it is complete (no timing).
    let two_digits = s.offered.len() >= 10;
    match s.pending {
        Some(p) => head.push(Line::styled(
            format!(
                "№ {p}_  {}",
                l.t("(ещё цифра, или Пробел/Enter)", "(another digit, or Space/Enter)")
            ),
            Style::new().add_modifier(Modifier::BOLD),
        )),
        None if two_digits => head.push(Line::styled(
            l.t(
                "цифры — номер, буквы — поиск; Пробел/Enter — конец номера",
                "digits: number, letters: search; Space/Enter ends a number",
            ),
            theme.dim(),
        )),
        None => {}
    }
    // Letters typed filter the options; each keeps its number.
    let shown = s.visible_options();
    if !s.filter.is_empty() {
        let text = if shown.is_empty() {
            format!(
                "{} «{}» {}",
                l.t("поиск:", "search:"),
                s.filter,
                l.t(
                    "— нет таких вариантов (Backspace, Esc)",
                    "— no such option (Backspace, Esc)"
                )
            )
        } else {
            format!(
                "{} {}_  {}",
                l.t("поиск:", "search:"),
                s.filter,
                l.t("(Esc — все варианты)", "(Esc: all options)")
            )
        };
        head.push(Line::styled(text, Style::new().add_modifier(Modifier::BOLD)));
    }
    for &i in &shown {
        let o = &qq.options[i];
        let chosen = match value {
            Some(AnswerValue::Text(c)) => *c == o.code,
            Some(AnswerValue::Codes(cs)) => cs.contains(&o.code),
            _ => false,
        };
        let mark = match (multi, chosen) {
            (true, true) => "[x]",
            (true, false) => "[ ]",
            (false, true) => "(•)",
            (false, false) => "( )",
        };
        let number = s.option_number(i).unwrap_or(i + 1);
        let key = if two_digits {
            format!("{number:>2}")
        } else {
            format!("{number}")
        };
        let mut st = if chosen {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        if i == s.highlight && s.focus == Focus::Answer {
            st = st.patch(theme.sel());
            focus = Some(lines.len());
        }
        lines.push(Line::styled(format!("{key} {mark} {}", s.say(&o.label)), st));
        if o.other && chosen {
            let e = &s.other_edit;
            let mut fl = field_line(e, theme, s.focus == Focus::Other);
            fl.spans[0] = Span::styled(format!("      {} ", l.t("уточните:", "specify:")), theme.hint());
            if s.focus == Focus::Other {
                focus = Some(lines.len());
            }
            lines.push(fl);
        }
    }
    focus
}

/// What an input field expects: the kind of number and its range and unit, a date's form, a
/// text's length.
fn input_hint(kind: &Kind, q: &Questionnaire, l: Lang) -> String {
    match kind {
        Kind::Number {
            min,
            max,
            unit,
            integer,
        } => {
            let mut h = String::from(if *integer {
                l.t("целое число", "whole number")
            } else {
                l.t("число", "number")
            });
            if let (Some(a), Some(b)) = (min, max) {
                h.push_str(&format!(", {a}–{b}"));
            } else if let Some(a) = min {
                h.push_str(&format!(", ≥ {a}"));
            } else if let Some(b) = max {
                h.push_str(&format!(", ≤ {b}"));
            }
            if let Some(u) = unit {
                h.push_str(&format!(", {}", q.tr(u)));
            }
            h
        }
        Kind::Date => l.t("дата ГГГГ-ММ-ДД", "date YYYY-MM-DD").to_string(),
        Kind::LongText { max_length } => {
            format!(
                "{}, {} {max_length}; {}",
                l.t("развёрнутый ответ", "open answer"),
                l.t("до", "up to"),
                l.t("Alt+Enter — новая строка", "Alt+Enter for a new line")
            )
        }
        Kind::Text { max_length } => {
            format!("{} {max_length} {}", l.t("до", "up to"), l.t("знаков", "characters"))
        }
        _ => String::new(),
    }
}

fn question_body(f: &mut Frame, app: &App, s: &Session, area: Rect, theme: Theme) {
    let l = app.lang();
    let q = &s.q;
    let qq = &q.questions[s.cur];
    // What stays in place (the block's intro, the question with its number and hint, how to
    // answer) and, under it, what scrolls (the options, the field, the remark).
    let mut head: Vec<Line> = Vec::new();
    let block = &q.blocks[qq.block];
    let mut intro_lines = 0;
    // The intro heads the block's first question that is shown (calculations are not).
    if block.questions.clone().find(|&i| q.questions[i].is_asked()) == Some(s.cur)
        && let Some(intro) = &block.intro
    {
        head.push(Line::styled(s.say(intro), Style::new().add_modifier(Modifier::ITALIC)));
        head.push(Line::from(""));
        intro_lines = 2;
    }
    // In a roster: which instance, outermost first (Проекты › 2. Б › Партнёры › 1. ООО «Х»).
    if let Some(r) = qq.roster {
        let (chain, n) = crate::interview::logic::chain(q, r);
        let crumbs: Vec<String> = chain[..n]
            .iter()
            .enumerate()
            .map(|(d, &x)| {
                let parent = s.at.prefix(d);
                let k = s.at.as_slice().get(d).copied().unwrap_or(0) as usize;
                format!(
                    "{} › {}",
                    s.pipe_at(q.tr(&q.rosters[x].text), q.rosters[x].parent, parent),
                    s.instance_label(x, parent, k)
                )
            })
            .collect();
        head.push(Line::styled(
            truncate(&crumbs.join(" › "), usize::from(area.width)),
            theme.hint(),
        ));
    }
    let number = q.questions[..=s.cur].iter().filter(|x| x.is_interviewed()).count();
    let prefix = if qq.is_interviewed() {
        format!("{number}. ")
    } else {
        String::new()
    };
    head.push(Line::styled(
        format!("{prefix}{}", s.say(&qq.text)),
        Style::new().add_modifier(Modifier::BOLD),
    ));
    if let Some(h) = &qq.hint {
        head.push(Line::styled(
            format!("{} {}", l.t("Интервьюеру:", "Interviewer:"), s.say(h)),
            theme.hint(),
        ));
    }
    head.push(Line::from(""));
    let mut lines: Vec<Line> = Vec::new();
    let answer = s.answer();
    let value = answer.and_then(|a| a.value.as_ref());
    let mut focus_line = 0usize;
    match &qq.kind {
        Kind::Single | Kind::Multi { .. } => {
            if let Some(at) = choice_lines(&mut head, &mut lines, l, s, value, theme) {
                focus_line = at;
            }
        }
        Kind::Note => {}
        kind => {
            head.push(Line::styled(input_hint(kind, q, l), theme.dim()));
        }
    }
    if answer.is_some_and(|a| a.defaulted) {
        head.push(Line::styled(
            l.t(
                "значение по умолчанию: Enter — подтвердить, или измените",
                "the default value: Enter confirms it, or change it",
            ),
            theme.warn(),
        ));
    }
    match &qq.kind {
        Kind::Single | Kind::Multi { .. } | Kind::Note => {}
        _ => {
            lines.extend(field_lines(&s.edit, theme, s.focus == Focus::Answer && !s.read_only));
        }
    }
    if s.focus == Focus::Remark {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            l.t("Примечание интервьюера:", "Interviewer's remark:"),
            theme.hint(),
        ));
        focus_line = lines.len();
        lines.extend(field_lines(&s.remark_edit, theme, true));
    } else if let Some(r) = answer.and_then(|a| a.remark.as_deref()) {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!("{} {r}", l.t("Примечание:", "Remark:")),
            theme.hint(),
        ));
    }
    // Heights as wrapped (estimated with display width).
    let w = usize::from(area.width.max(1));
    let height = usize::from(area.height);
    let rows = |ls: &[Line]| -> usize { ls.iter().map(|ln| wrapped_height(ln, w)).sum() };
    let heights: Vec<usize> = lines.iter().map(|ln| wrapped_height(ln, w)).collect();
    let focus_row: usize = heights[..focus_line.min(heights.len())].iter().sum();
    let total: usize = heights.iter().sum();
    // The block intro gives way when the focused line, or three rows of what scrolls, would not
    // show under it.
    if intro_lines > 0 && rows(&head) + (focus_row + 1).max(total.min(3)) > height {
        head.drain(..intro_lines);
    }
    // The question keeps its place; at least three rows are left for what scrolls (a question
    // taller than that is cut at the bottom, which only a tiny terminal does).
    let head_rows = rows(&head).min(height.saturating_sub(3.min(total.max(1))));
    let [top, bottom] = Layout::vertical([Constraint::Length(head_rows as u16), Constraint::Min(0)]).areas(area);
    f.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), top);
    let scroll = scroll_for(focus_row, bottom.height);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)),
        bottom,
    );
    // Say what is out of sight, above and below.
    let below = total.saturating_sub(usize::from(scroll) + usize::from(bottom.height));
    let marks = [
        (
            scroll > 0,
            bottom.top(),
            format!("▲ {} {scroll}", l.t("ещё строк:", "more lines:")),
        ),
        (
            below > 0,
            bottom.bottom().saturating_sub(1),
            format!("▼ {} {below}", l.t("ещё строк:", "more lines:")),
        ),
    ];
    for (show, y, more) in marks {
        if show && bottom.height > 0 {
            let width = (more.chars().count() as u16).min(bottom.width);
            let r = Rect::new(bottom.right().saturating_sub(width), y, width, 1);
            f.render_widget(Clear, r);
            f.render_widget(Paragraph::new(Line::styled(more, theme.dim())), r);
        }
    }
}

/// Rows a line takes when word-wrapped at `w` columns (greedy, as the Paragraph wraps).
fn wrapped_height(line: &Line, w: usize) -> usize {
    use unicode_width::UnicodeWidthStr;
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let mut rows = 1;
    let mut col = 0;
    for word in text.split(' ') {
        let ww = word.width();
        let need = if col == 0 { ww } else { col + 1 + ww };
        if need <= w {
            col = need;
        } else if ww > w {
            rows += (col > 0) as usize + (ww - 1) / w;
            col = ww % w;
        } else {
            rows += 1;
            col = ww;
        }
    }
    rows
}

/// A roster's list: its instances (label, progress, problems; removed ones dimmed), then "go on".
fn roster_body(f: &mut Frame, app: &App, s: &Session, area: Rect, (r, parent, sel): (usize, At, usize), theme: Theme) {
    let l = app.lang();
    let q = &s.q;
    let ro = &q.rosters[r];
    let mut lines: Vec<Line> = vec![Line::styled(
        s.pipe_at(q.tr(&ro.text), ro.parent, parent),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    if let Some(h) = &ro.hint {
        lines.push(Line::styled(
            format!(
                "{} {}",
                l.t("Интервьюеру:", "Interviewer:"),
                s.pipe_at(q.tr(h), ro.parent, parent)
            ),
            theme.hint(),
        ));
    }
    if let Some(p) = s.roster_problem(r, parent) {
        lines.push(Line::styled(i18n::roster_problem(l, p), theme.error()));
    }
    lines.push(Line::from(""));
    let list = s.instances(r, parent);
    let width = usize::from(area.width);
    // One line per instance: only the lines in view are worked out (a roster of hundreds).
    let head = lines.len();
    let sel_line = head + sel.min(list.len());
    let scroll = scroll_for(sel_line, area.height);
    let in_view = |line: usize| line >= usize::from(scroll) && line < usize::from(scroll) + usize::from(area.height);
    for (k, inst) in list.iter().enumerate() {
        if !in_view(head + k) {
            lines.push(Line::from(""));
            continue;
        }
        let (text, mut st) = if inst.live() {
            let at = parent.child(k as u32).unwrap_or(parent);
            let (done, total) = s.instance_progress(r, at);
            let problems = s.instance_problems(r, at);
            let tail = if problems > 0 {
                format!("{done}/{total} · ✗ {problems}")
            } else {
                format!("{done}/{total}")
            };
            let label = s.instance_label(r, parent, k);
            let room = width.saturating_sub(tail.chars().count() + 4);
            let st = if problems > 0 { theme.error() } else { Style::new() };
            (format!("  {}  {tail}", pad(&truncate(&label, room), room)), st)
        } else {
            let label = s.instance_label(r, parent, k);
            (
                format!(
                    "  ✗ {} {}",
                    l.t("удалено:", "removed:"),
                    truncate(&label, width.saturating_sub(14))
                ),
                theme.dim(),
            )
        };
        if k == sel {
            st = st.patch(theme.sel());
        }
        lines.push(Line::styled(text, st));
    }
    if list.is_empty() {
        lines.push(Line::styled(
            l.t("  (пока никого — Insert добавляет)", "  (none yet — Insert adds one)"),
            theme.dim(),
        ));
    }
    let mut st = theme.hint();
    if sel >= list.len() {
        st = st.patch(theme.sel());
    }
    lines.push(Line::styled(l.t("  Дальше →", "  Go on →"), st));
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), area);
}

/// `text` padded with spaces to `width` display columns.
fn pad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn list_body(f: &mut Frame, app: &App, s: &Session, area: Rect, sel: usize, review: bool, theme: Theme) {
    use unicode_width::UnicodeWidthStr;
    let l = app.lang();
    let q = &s.q;
    let rows = if review { s.review_rows() } else { s.jump_rows() };
    let mut lines = Vec::new();
    lines.push(Line::styled(
        if review && s.rec.status == Status::Completed {
            l.t(
                "Обзор ответов (интервью завершено; Enter — перейти к вопросу)",
                "Review (the interview is completed; Enter: go to question)",
            )
        } else if review {
            l.t(
                "Обзор ответов (Enter — перейти к вопросу, F10 — завершить)",
                "Review (Enter: go to question, F10: complete)",
            )
        } else {
            l.t("Переход к вопросу", "Jump to a question")
        },
        Style::new().add_modifier(Modifier::BOLD),
    ));
    let mut sel_line = 0;
    let mut last_block = usize::MAX;
    let mut last_instance = None;
    // The checks of a row (the costly part) are worked out only near the selected one: the
    // rows out of view are laid out but not checked (a roster of hundreds has thousands).
    let span = usize::from(area.height) * 2;
    let near = |k: usize| k + span >= sel && k <= sel + span;
    for (k, &row) in rows.iter().enumerate() {
        let block = match row {
            Pos::Question(i, _) => q.questions[i].block,
            Pos::Roster(r, _) => q.rosters[r].block,
        };
        if block != last_block {
            last_block = block;
            lines.push(Line::styled(
                format!(
                    "{} {}: {}",
                    l.t("Блок", "Block"),
                    block + 1,
                    s.say(&q.blocks[block].title)
                ),
                theme.hint(),
            ));
        }
        let (i, at) = match row {
            Pos::Question(i, at) => (i, at),
            Pos::Roster(r, parent) => {
                let ro = &q.rosters[r];
                let problem = (review && near(k)).then(|| s.roster_problem(r, parent)).flatten();
                let live = s.instances(r, parent).iter().filter(|x| x.live()).count();
                let indent = "  ".repeat(parent.len());
                let mark = if problem.is_some() {
                    "✗ "
                } else if review {
                    "  "
                } else {
                    ""
                };
                let tail = match problem {
                    Some(p) => i18n::roster_problem(l, p),
                    None => format!("{live}"),
                };
                let mut st = if problem.is_some() { theme.error() } else { theme.hint() };
                if k == sel {
                    st = st.patch(theme.sel());
                    sel_line = lines.len();
                }
                let head = format!("{mark}{indent}▸ {} — ", s.pipe_at(q.tr(&ro.text), ro.parent, parent));
                let avail = usize::from(area.width).saturating_sub(head.width());
                lines.push(Line::styled(format!("{head}{}", truncate(&tail, avail)), st));
                last_instance = None;
                continue;
            }
        };
        let qq = &q.questions[i];
        if let Some(r) = qq.roster
            && last_instance != Some((r, at))
        {
            last_instance = Some((r, at));
            let parent = at.prefix(at.len() - 1);
            let k = at.last().unwrap_or(0) as usize;
            lines.push(Line::styled(
                format!("{}  {}", "  ".repeat(parent.len()), s.instance_label(r, parent, k)),
                theme.hint(),
            ));
        }
        let problem = review && near(k) && s.problem_at(i, at).is_some();
        let mark = if problem {
            "✗ "
        } else if review {
            "  "
        } else {
            ""
        };
        // The question takes at most ~45% of the row, so the answer stays visible.
        let number = q.questions[..=i].iter().filter(|x| x.is_interviewed()).count();
        let width = usize::from(area.width);
        let indent = "  ".repeat(at.len() * 2);
        let room = width.saturating_sub(mark.width() + indent.width()) * 45 / 100;
        let text = truncate(
            &format!("{number}. {}", s.pipe_at(q.tr(&qq.text), qq.roster, at)),
            room.max(12),
        );
        let remark = if s.answer_at(i, at).is_some_and(|a| a.remark.is_some()) {
            "✎ "
        } else {
            ""
        };
        let head = format!("{mark}{indent}{text} — {remark}");
        let ans = s.answer_text_at(i, at);
        let avail = width.saturating_sub(head.width());
        let cut = ans.width() > avail;
        let mut st = if problem { theme.error() } else { Style::new() };
        if k == sel {
            st = st.patch(theme.sel());
            sel_line = lines.len();
        }
        let shown = if cut { truncate(&ans, avail) } else { ans.clone() };
        lines.push(Line::styled(format!("{head}{shown}"), st));
        // The selected answer, when it does not fit its row, is shown whole (up to a third of
        // the screen) on the lines below it.
        if k == sel && cut {
            let most = usize::from(area.height / 3).max(1);
            let mut rows = wrap_words(&ans, width.saturating_sub(4).max(8));
            if rows.len() > most {
                rows.truncate(most);
                if let Some(last) = rows.last_mut() {
                    *last = truncate(&format!("{last} …"), width.saturating_sub(4).max(8));
                }
            }
            for r in rows {
                lines.push(Line::styled(format!("    {r}"), theme.hint()));
                sel_line = lines.len() - 1;
            }
        }
    }
    let scroll = scroll_for(sel_line, area.height);
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), area);
}

/// Splits text into rows of at most `width` display columns, between words where it can (a
/// word longer than a row is cut).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    for word in text.split_whitespace() {
        let ww = word.width();
        if used > 0 && used + 1 + ww > width {
            rows.push(std::mem::take(&mut row));
            used = 0;
        }
        if used > 0 {
            row.push(' ');
            used += 1;
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width {
                rows.push(std::mem::take(&mut row));
                used = 0;
            }
            row.push(c);
            used += cw;
        }
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
}

/// Cuts text to `width` display columns, marking the cut with `…`.
fn truncate(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width.saturating_sub(1) {
            out.push('…');
            return out;
        }
        used += w;
        out.push(c);
    }
    out
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

fn help(f: &mut Frame, lang: Lang, top: usize, theme: Theme) {
    let area = centered(f.area(), 78, f.area().height);
    let mut lines: Vec<Line> = keymap::help(lang)
        .into_iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:>18}  "), Style::new().add_modifier(Modifier::BOLD)),
                Span::raw(v),
            ])
        })
        .collect();
    lines.push(Line::styled(
        lang.t(
            "Всё сохраняется сразу: выходить можно в любой момент.",
            "Everything is saved at once: you may quit at any time.",
        ),
        theme.ok(),
    ));
    f.render_widget(Clear, area);
    // Scrolls (↑ ↓, PgUp, Space) when the screen is shorter than the help: the last line can
    // always be reached, and the title says there is more.
    let inner = usize::from(area.height.saturating_sub(2));
    let top = top.min(lines.len().saturating_sub(inner));
    let more_below = lines.len() > top + inner;
    let title = match (top > 0, more_below) {
        (false, false) => lang.t(" Помощь (Esc — закрыть) ", " Help (Esc to close) "),
        (false, true) => lang.t(
            " Помощь (Esc — закрыть) · ▼ ещё: ↓ Пробел ",
            " Help (Esc to close) · ▼ more: ↓ Space ",
        ),
        (true, true) => lang.t(
            " Помощь (Esc — закрыть) · ▲▼ ↑ ↓ Пробел PgUp ",
            " Help (Esc to close) · ▲▼ ↑ ↓ Space PgUp ",
        ),
        (true, false) => lang.t(
            " Помощь (Esc — закрыть) · ▲ ещё: ↑ PgUp ",
            " Help (Esc to close) · ▲ more: ↑ PgUp ",
        ),
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    f.render_widget(Paragraph::new(lines.split_off(top)).block(block), area);
}

fn menu(f: &mut Frame, app: &App, sel: usize, theme: Theme) {
    let area = centered(f.area(), 40, MENU.len() as u16 + 2);
    let lines: Vec<Line> = MENU
        .iter()
        .enumerate()
        .map(|(i, (ru, en))| {
            let st = if i == sel { theme.sel() } else { Style::new() };
            Line::styled(format!(" {}. {}", i + 1, app.lang().t(ru, en)), st)
        })
        .collect();
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(app.lang().t(" Меню ", " Menu ")),
        ),
        area,
    );
}

/// A confirmation box: its lines (wrapped) in a frame over what is behind.
fn dialog(f: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL)),
        area,
    );
}

fn confirm_unsaved(f: &mut Frame, app: &App, quit: bool, theme: Theme) {
    let l = app.lang();
    let area = centered(f.area(), 66, 9);
    let why = match app.save_state() {
        SaveState::Failed(e) => e.clone(),
        _ => String::new(),
    };
    let lines = vec![
        Line::styled(
            l.t("Последние изменения НЕ СОХРАНЕНЫ", "The last changes are NOT SAVED"),
            theme.error(),
        ),
        Line::from(why),
        Line::from(if quit {
            l.t("Если выйти сейчас, они будут потеряны.", "Quitting now loses them.")
        } else {
            l.t(
                "Если уйти на стартовый экран, они будут потеряны.",
                "Leaving for the start screen loses them.",
            )
        }),
        Line::from(l.t(
            "Esc — остаться: сохранение повторяется само.",
            "Esc: stay; saving is retried by itself.",
        )),
        Line::from(l.t("Enter — уйти без сохранения", "Enter: leave without saving")),
    ];
    dialog(f, area, lines);
}

fn confirm_discard(f: &mut Frame, app: &App, item: usize, theme: Theme) {
    let l = app.lang();
    let area = centered(f.area(), 64, 8);
    let it = &app.items()[item];
    let lines = vec![
        Line::from(l.t("Убрать незаконченное интервью?", "Discard the unfinished interview?")),
        Line::styled(item_line(l, it), theme.dim()),
        Line::from(l.t(
            "Файл не удаляется: он уходит в папку discarded/.",
            "The file is kept in the discarded/ folder, never merged.",
        )),
        Line::from(l.t("Enter — убрать, Esc — оставить", "Enter: discard, Esc: keep")),
    ];
    dialog(f, area, lines);
}

fn confirm_reopen(f: &mut Frame, app: &App, item: usize, theme: Theme) {
    let l = app.lang();
    let area = centered(f.area(), 64, 8);
    let it = &app.items()[item];
    let lines = vec![
        Line::from(l.t("Переоткрыть завершённое интервью?", "Reopen the completed interview?")),
        Line::styled(item_line(l, it), theme.dim()),
        Line::from(l.t(
            "Ревизия будет повышена, переоткрытие записано.",
            "The revision is raised and the reopening recorded.",
        )),
        Line::from(l.t("Enter — да, Esc — нет", "Enter: yes, Esc: no")),
    ];
    dialog(f, area, lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_by_display_width_and_long_words_are_cut() {
        assert_eq!(
            wrap_words("Территориальное общественное самоуправление (ТОС)", 20),
            ["Территориальное", "общественное", "самоуправление (ТОС)"]
        );
        assert_eq!(wrap_words("абвгдежзий", 4), ["абвг", "дежз", "ий"]);
        assert_eq!(wrap_words("  a  b ", 10), ["a b"]);
        assert!(wrap_words("", 10).is_empty());
        // Wide characters count two columns.
        assert_eq!(wrap_words("漢字漢字", 4), ["漢字", "漢字"]);
    }
}
