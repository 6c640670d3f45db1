//! User-interface language: Russian (default) and English, and the wording of messages.
//!
//! Questionnaire texts are never translated here; they come in the questionnaire's language.

use crate::interview::logic::Problem;
use crate::interview::session::Message;
use crate::questionnaire::Questionnaire;
use crate::record::decode::{Fault, Unreadable};

/// UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Русский.
    #[default]
    Ru,
    /// English.
    En,
}

impl Lang {
    /// Parses `ru` / `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_lowercase().as_str() {
            "ru" | "rus" | "русский" => Some(Lang::Ru),
            "en" | "eng" | "english" => Some(Lang::En),
            _ => None,
        }
    }

    /// The code stored in settings.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// Picks the text in this language.
    pub fn t(self, ru: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Ru => ru,
            Lang::En => en,
        }
    }
}

fn num(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The text of a problem; messages from the questionnaire come in its language.
pub(crate) fn problem(lang: Lang, p: &Problem, q: &Questionnaire) -> String {
    let l = |ru: &str, en: &str| -> String { lang.t_owned(ru, en) };
    match p {
        Problem::Required => l("Ответ обязателен.", "An answer is required."),
        Problem::NotANumber => l("Это не число.", "This is not a number."),
        Problem::NotInteger => l("Нужно целое число.", "A whole number is required."),
        Problem::BelowMin(m) => match lang {
            Lang::Ru => format!("Значение меньше минимума ({}).", num(*m)),
            Lang::En => format!("The value is below the minimum ({}).", num(*m)),
        },
        Problem::AboveMax(m) => match lang {
            Lang::Ru => format!("Значение больше максимума ({}).", num(*m)),
            Lang::En => format!("The value is above the maximum ({}).", num(*m)),
        },
        Problem::TooLong(m) => match lang {
            Lang::Ru => format!("Слишком длинный ответ (не более {m} знаков)."),
            Lang::En => format!("The answer is too long (at most {m} characters)."),
        },
        Problem::TooFew(m) => match lang {
            Lang::Ru => format!("Выберите не менее {m}."),
            Lang::En => format!("Choose at least {m}."),
        },
        Problem::TooMany(m) => match lang {
            Lang::Ru => format!("Выберите не более {m}."),
            Lang::En => format!("Choose at most {m}."),
        },
        Problem::BadDate => l(
            "Дата в виде ГГГГ-ММ-ДД, например 2021-02-20.",
            "Enter a date as YYYY-MM-DD, e.g. 2021-02-20.",
        ),
        Problem::OtherMissing => l("Уточните вариант «другое».", "Specify the “other” answer."),
        Problem::NotOffered => l(
            "Выбранный вариант больше не подходит к другим ответам — выберите заново.",
            "The option chosen no longer fits the other answers: choose again.",
        ),
        Problem::Constraint(m) => m
            .as_ref()
            .map(|t| q.tr(t).to_string())
            .unwrap_or_else(|| l("Ответ не проходит проверку.", "The answer fails a check.")),
        Problem::Warning(m) => {
            let base = m
                .as_ref()
                .map(|t| q.tr(t).to_string())
                .unwrap_or_else(|| l("Необычный ответ.", "Unusual answer."));
            match lang {
                Lang::Ru => format!("{base} Enter — подтвердить, или исправьте."),
                Lang::En => format!("{base} Enter to confirm, or correct it."),
            }
        }
    }
}

/// The text of a session message.
pub fn message(lang: Lang, m: &Message, q: &Questionnaire) -> String {
    match m {
        Message::Problem(p) => problem(lang, p, q),
        Message::ReadOnly => lang.t_owned(
            "Интервью завершено: только просмотр. Переоткрыть можно со стартового экрана.",
            "The interview is completed: read-only. Reopen it from the start screen.",
        ),
        Message::MaxReached(m) => match lang {
            Lang::Ru => format!("Можно выбрать не более {m}."),
            Lang::En => format!("At most {m} can be chosen."),
        },
        Message::CannotComplete(n) => match lang {
            Lang::Ru => format!("Нельзя завершить: не хватает обязательных ответов — {n}."),
            Lang::En => format!("Cannot complete: {n} required answer(s) missing or invalid."),
        },
        Message::Completed => lang.t_owned(
            "Интервью завершено и сохранено.",
            "The interview is completed and saved.",
        ),
        Message::EndReached => lang.t_owned(
            "Конец анкеты. Проверьте ответы; F10 — завершить интервью.",
            "End of the questionnaire. Review the answers; F10 completes the interview.",
        ),
        Message::RemarkSaved => lang.t_owned("Примечание сохранено.", "Remark saved."),
        Message::NoSuchOption(n) => match lang {
            Lang::Ru => format!("Варианта № {n} нет: наберите номер заново."),
            Lang::En => format!("There is no option {n}: type the number again."),
        },
        Message::InstanceAdded => lang.t_owned("Добавлено.", "Added."),
        Message::ConfirmRemove => lang.t_owned(
            "Удалить? Delete ещё раз — удалить (ответы сохранятся, можно восстановить), Esc — отмена.",
            "Remove it? Delete again removes it (its answers are kept and it can be restored), Esc cancels.",
        ),
        Message::InstanceRemoved => lang.t_owned(
            "Удалено. Ответы сохранены: Delete на строке — восстановить.",
            "Removed. Its answers are kept: Delete on its row restores it.",
        ),
        Message::InstanceRestored => lang.t_owned("Восстановлено.", "Restored."),
        Message::CountedRoster => lang.t_owned(
            "Число строк задаёт ответ на вопрос анкеты: чтобы добавить, исправьте этот ответ.",
            "An answer sets how many there are: to add one, correct that answer.",
        ),
        Message::RosterFull(m) => match lang {
            Lang::Ru => format!("Больше {m} добавить нельзя."),
            Lang::En => format!("No more than {m} can be added."),
        },
        Message::InstanceIsRemoved => lang.t_owned(
            "Эта строка удалена: Delete — восстановить.",
            "This one is removed: Delete restores it.",
        ),
        Message::NothingAsked => lang.t_owned(
            "Здесь нет вопросов для этого случая.",
            "Nothing is asked here in this case.",
        ),
        Message::Roster(p) => roster_problem(lang, *p),
    }
}

/// What a roster's list needs before completion, in the UI language.
pub fn roster_problem(lang: Lang, p: crate::interview::session::RosterProblem) -> String {
    use crate::interview::session::RosterProblem;
    match (p, lang) {
        (RosterProblem::TooFew(m), Lang::Ru) => format!("нужно не меньше {m} — добавьте (Insert)"),
        (RosterProblem::TooFew(m), Lang::En) => format!("at least {m} needed — add (Insert)"),
        (RosterProblem::OverCount(n, c), Lang::Ru) => {
            format!("лишних с ответами: {n} (по ответу их {c}) — удалите лишние (Delete) или исправьте число")
        }
        (RosterProblem::OverCount(n, c), Lang::En) => {
            format!("{n} beyond the count of {c} hold answers — remove them (Delete) or correct the count")
        }
    }
}

impl Lang {
    fn t_owned(self, ru: &str, en: &str) -> String {
        match self {
            Lang::Ru => ru.to_string(),
            Lang::En => en.to_string(),
        }
    }
}

/// What a failed write means for the interviewer, in the UI language: what is wrong and what
/// to do (the raw OS text stays in `anketa list --all` and logs).
pub fn io_problem(lang: Lang, e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    let (ru, en) = match e.kind() {
        NotFound | NotADirectory => (
            "папка интервью недоступна — вставьте флешку обратно или проверьте папку данных",
            "the interviews folder is not available — put the USB stick back or check the data folder",
        ),
        StorageFull | QuotaExceeded => (
            "нет места на диске — освободите место, ответы пока в памяти",
            "no space left on the disk — free some space; the answers are kept in memory",
        ),
        ReadOnlyFilesystem => (
            "диск только для чтения — проверьте флешку или папку данных",
            "the disk is read-only — check the USB stick or the data folder",
        ),
        PermissionDenied => (
            "нет прав на запись в папку интервью",
            "no permission to write to the interviews folder",
        ),
        _ => (
            "ошибка записи на диск — проверьте флешку или папку данных",
            "the disk could not be written — check the USB stick or the data folder",
        ),
    };
    lang.t_owned(ru, en)
}

/// Why an interview file cannot be read, in the UI language: what the interviewer (or the
/// supervisor reading `anketa list`) can understand and do. The precise reason, raw OS text
/// included, is [`Unreadable::detail`], printed by `anketa list --all` only.
pub fn unreadable(lang: Lang, u: &Unreadable) -> String {
    use std::io::ErrorKind::*;
    match u.fault {
        Fault::Io(NotFound) => lang.t_owned(
            "файл исчез — вставьте флешку обратно или проверьте папку данных",
            "the file is gone: put the USB stick back or check the data folder",
        ),
        Fault::Io(PermissionDenied) => lang.t_owned("нет прав на чтение файла", "no permission to read the file"),
        Fault::Io(_) => lang.t_owned(
            "файл не читается с диска — проверьте флешку или диск",
            "the file cannot be read from the disk: check the USB stick or the disk",
        ),
        Fault::NotAFile => lang.t_owned("это папка, а не файл интервью", "a folder, not an interview file"),
        Fault::TooLarge => lang.t_owned(
            "файл слишком большой для интервью — это не файл anketa",
            "too large for an interview: not an anketa file",
        ),
        Fault::NotText => lang.t_owned(
            "файл испорчен: это не текст (не UTF-8)",
            "the file is damaged: not text (not UTF-8)",
        ),
        Fault::Empty => lang.t_owned(
            "файл пустой — запись была прервана",
            "the file is empty: writing it was interrupted",
        ),
        Fault::Damaged { line } => match lang {
            Lang::Ru => format!("файл испорчен или обрезан (строка {line})"),
            Lang::En => format!("the file is damaged or cut short (line {line})"),
        },
        Fault::OtherVersion => lang.t_owned(
            "файл другой версии anketa — нужна новая программа",
            "written by another version of anketa: a newer program is needed",
        ),
        Fault::NotAnInterview => lang.t_owned("это не файл интервью anketa", "not an anketa interview file"),
        Fault::Malformed => lang.t_owned(
            "файл интервью испорчен: поле отсутствует или неверно",
            "the interview file is damaged: a field is missing or wrong",
        ),
        // One line of the start screen (80 columns), with room to spare.
        Fault::Sealed => lang.t_owned(
            "интервью запечатано ключом руководителя: на ноутбуке его не открыть",
            "sealed to the supervisor's key: it cannot be opened on this laptop",
        ),
    }
}

/// What a hand-in did (`anketa handin`, and the menu's «Сдать завершённые интервью»).
pub fn handed_in(
    lang: Lang,
    folder: &str,
    new: usize,
    updated: usize,
    already: usize,
    questionnaires: usize,
) -> String {
    match lang {
        Lang::Ru => format!(
            "Сдано в {folder}: новых интервью {new}, обновлено {updated}, уже были сданы раньше {already}; копий анкет {questionnaires}. Каждая копия проверена чтением."
        ),
        Lang::En => format!(
            "Handed in to {folder}: {new} new interview(s), {updated} updated, {already} handed in before; {questionnaires} questionnaire cop(ies). Every copy was read back and checked."
        ),
    }
}

/// Why a hand-in stopped at `file`, and what to do (the destination is a folder or a stick,
/// not the interviews folder).
pub fn hand_in_stopped(lang: Lang, file: &str, e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    let (ru, en) = match e.kind() {
        NotFound | NotADirectory => (
            "папка или флешка недоступна",
            "the folder or USB stick is not available",
        ),
        StorageFull | QuotaExceeded => ("на флешке нет места", "no space left on the USB stick"),
        ReadOnlyFilesystem => ("флешка только для чтения", "the USB stick is read-only"),
        PermissionDenied => (
            "нет прав на запись в эту папку",
            "no permission to write to this folder",
        ),
        InvalidData => (
            "копия не совпала с оригиналом — флешка неисправна",
            "the copy differs from the original: the USB stick is failing",
        ),
        _ => ("ошибка записи", "the copy could not be written"),
    };
    match lang {
        Lang::Ru => format!(
            "сдача прервана на {file}: {ru}. Вставьте флешку (или проверьте папку) и повторите: сданное не повторяется, недописанных файлов нет."
        ),
        Lang::En => format!(
            "hand-in stopped at {file}: {en}. Put the stick back (or check the folder) and repeat: what is handed in is not copied again, nothing is left half-written."
        ),
    }
}

/// An interview another anketa window has open, in the UI language.
pub fn interview_locked(lang: Lang) -> String {
    lang.t_owned(
        "это интервью уже открыто в другом окне anketa — закройте его там",
        "this interview is open in another anketa window; close it there first",
    )
}

#[cfg(test)]
mod io_tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    #[test]
    fn write_failures_say_what_is_wrong_and_what_to_do_in_the_ui_language() {
        let ru = |k| io_problem(Lang::Ru, &Error::from(k));
        assert!(ru(ErrorKind::NotADirectory).contains("вставьте флешку обратно"));
        assert!(ru(ErrorKind::NotFound).contains("папка интервью недоступна"));
        assert!(ru(ErrorKind::StorageFull).contains("нет места на диске"));
        assert!(ru(ErrorKind::ReadOnlyFilesystem).contains("только для чтения"));
        assert!(ru(ErrorKind::PermissionDenied).contains("нет прав"));
        let other = ru(ErrorKind::Other);
        assert!(
            other.contains("ошибка записи") && !other.contains("os error"),
            "{other}"
        );
        assert!(io_problem(Lang::En, &Error::from(ErrorKind::StorageFull)).contains("no space left"));
        assert!(interview_locked(Lang::Ru).contains("открыто в другом окне"));
    }

    #[test]
    fn every_unreadable_file_fault_has_words_in_russian_without_the_raw_reason() {
        let raw = "cannot open: Input/output error (os error 5)";
        let faults = [
            Fault::Io(ErrorKind::NotFound),
            Fault::Io(ErrorKind::PermissionDenied),
            Fault::Io(ErrorKind::Other),
            Fault::NotAFile,
            Fault::TooLarge,
            Fault::NotText,
            Fault::Empty,
            Fault::Damaged { line: 41 },
            Fault::OtherVersion,
            Fault::NotAnInterview,
            Fault::Malformed,
            Fault::Sealed,
        ];
        let mut seen = std::collections::BTreeSet::new();
        for f in faults {
            let ru = unreadable(Lang::Ru, &Unreadable::new(f, raw));
            assert!(ru.chars().any(|c| ('а'..='я').contains(&c)), "{f:?}: {ru}");
            assert!(!ru.contains("os error") && !ru.contains("cannot"), "{f:?}: {ru}");
            assert!(seen.insert(ru.clone()), "{f:?} says the same as another fault: {ru}");
        }
        assert!(unreadable(Lang::Ru, &Unreadable::new(Fault::Damaged { line: 41 }, raw)).contains("строка 41"));
        assert!(unreadable(Lang::En, &Unreadable::new(Fault::Empty, raw)).contains("empty"));
    }
}
