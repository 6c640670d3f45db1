//! The report's own words in Russian and English: headings, notes, legends.
//!
//! Labels of questions and options are never translated: they come in the questionnaire's
//! language.

use super::fmt::{fmt_dec, fmt_int};
use super::model::MergeInfo;
use crate::i18n::Lang;

/// Words in one language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct W {
    pub(crate) lang: Lang,
}

fn list_pairs(v: &[(String, u64)], lang: Lang) -> String {
    v.iter()
        .map(|(g, n)| format!("{g} — {}", fmt_int(*n, lang)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl W {
    pub(crate) fn new(lang: Lang) -> W {
        W { lang }
    }

    fn t(&self, ru: &'static str, en: &'static str) -> &'static str {
        self.lang.t(ru, en)
    }

    fn ru(&self) -> bool {
        self.lang == Lang::Ru
    }

    pub(crate) fn report(&self) -> &'static str {
        self.t("Отчёт по данным опроса", "Survey report")
    }
    pub(crate) fn no_answer_group(&self) -> &'static str {
        self.t("(нет ответа)", "(no answer)")
    }
    pub(crate) fn no_district(&self) -> &'static str {
        self.t("(район не указан)", "(no district)")
    }
    pub(crate) fn filter_matched_nothing(&self) -> String {
        self.t(
            "Ни одно интервью не удовлетворяет условию отбора (--where): таблицы не строятся.",
            "No interview matches the filter (--where): no tables.",
        )
        .into()
    }
    pub(crate) fn empty_groups(&self, g: &[&str]) -> String {
        let list = g.join(", ");
        if self.ru() {
            format!("Группы без интервью (в таблицах не показаны): {list}.")
        } else {
            format!("Groups without interviews (not shown in the tables): {list}.")
        }
    }
    pub(crate) fn one_group(&self, g: &str) -> String {
        if self.ru() {
            format!("В данных только одна группа ({g}): сравнение групп и критерии значимости не применяются.")
        } else {
            format!("The data hold one group only ({g}): groups are not compared and no tests are run.")
        }
    }
    pub(crate) fn only_in(&self, names: &[String]) -> String {
        let list = names.join(", ");
        if self.ru() {
            format!("Вопрос есть только в анкете {list}.")
        } else {
            format!("The question is only in the {list} questionnaire.")
        }
    }
    pub(crate) fn type_differs(&self, qid: &str, kind: &str) -> String {
        match (self.ru(), kind) {
            (true, "roster") => {
                return format!(
                    "В анкете {qid} этот вопрос задаётся в другом ростере (для каждого экземпляра); её ответы здесь не учтены."
                );
            }
            (true, "top_level") => {
                return format!("В анкете {qid} этот вопрос задаётся один раз на интервью; её ответы здесь не учтены.");
            }
            (false, "roster") => {
                return format!(
                    "In questionnaire {qid} this question is asked in another roster (once per instance); its answers are not counted here."
                );
            }
            (false, "top_level") => {
                return format!(
                    "In questionnaire {qid} this question is asked once per interview; its answers are not counted here."
                );
            }
            _ => {}
        }
        if self.ru() {
            format!("В анкете {qid} у этой переменной другой тип ({kind}); её ответы здесь не учтены.")
        } else {
            format!("In questionnaire {qid} this variable has another type ({kind}); its answers are not counted here.")
        }
    }
    pub(crate) fn by_not_in_data(&self, v: &str) -> String {
        if self.ru() {
            format!("Вопроса {v} (с одним ответом) нет в анкетах этих интервью: все они в группе «(нет ответа)».")
        } else {
            format!(
                "No questionnaire of these interviews has {v} as a single-choice question: all are in \"(no answer)\"."
            )
        }
    }
    pub(crate) fn nobody_asked(&self) -> String {
        self.t(
            "Вопрос не задавался ни одному респонденту (условие показа ни разу не выполнилось).",
            "Nobody was asked this question (its condition never held).",
        )
        .into()
    }
    pub(crate) fn nobody_answered(&self) -> String {
        self.t("На вопрос никто не ответил.", "Nobody answered this question.")
            .into()
    }
    pub(crate) fn asked_partly(&self, v: &[(String, u64, u64)]) -> String {
        let l = self.lang;
        let list = v
            .iter()
            .map(|(g, a, n)| {
                if self.ru() {
                    format!("{g} — {} из {}", fmt_int(*a, l), fmt_int(*n, l))
                } else {
                    format!("{g} {} of {}", fmt_int(*a, l), fmt_int(*n, l))
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        if self.ru() {
            format!("Вопрос задавался не всем (по условию анкеты): {list}.")
        } else {
            format!("Asked only where its condition held: {list}.")
        }
    }
    pub(crate) fn asked_partly_instances(&self, v: &[(String, u64, u64)]) -> String {
        let l = self.lang;
        let list = v
            .iter()
            .map(|(g, a, n)| {
                if self.ru() {
                    format!("{g} — {} из {}", fmt_int(*a, l), fmt_int(*n, l))
                } else {
                    format!("{g} {} of {}", fmt_int(*a, l), fmt_int(*n, l))
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        if self.ru() {
            format!("Вопрос задавался не во всех экземплярах ростера (по условию анкеты): {list}.")
        } else {
            format!("Asked only in the instances where its condition held: {list}.")
        }
    }
    /// The base of a roster question: instances asked, and the interviews they come from,
    /// per group: (group, instances asked, interviews).
    pub(crate) fn roster_base(&self, title: &str, id: &str, v: &[(String, u64, u64)]) -> String {
        let l = self.lang;
        let list = v
            .iter()
            .map(|(g, a, n)| {
                if self.ru() {
                    format!("{g} — {} (из {} интервью)", fmt_int(*a, l), fmt_int(*n, l))
                } else {
                    format!("{g} {} (from {} interviews)", fmt_int(*a, l), fmt_int(*n, l))
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        if self.ru() {
            format!("База — не интервью, а экземпляры ростера «{title}» ({id}), в которых задан вопрос: {list}.")
        } else {
            format!(
                "The base is not interviews but the instances of roster «{title}» ({id}) in which the question was asked: {list}."
            )
        }
    }
    pub(crate) fn clustered(&self) -> String {
        self.t(
            "Экземпляры одного интервью не независимы (эффект кластера: ответы об экземплярах одного респондента похожи друг на друга), а χ² и критерий Фишера считают каждый экземпляр отдельным наблюдением. Поэтому p-значения занижены, и значимость здесь ориентировочная; для вывода нужен метод, учитывающий кластеры.",
            "Instances of one interview are not independent (a cluster effect: one respondent's instances resemble each other), while χ² and Fisher's test take each instance as an observation of its own. The p-values are therefore too small and significance here is only indicative; a conclusion needs a method that accounts for the clusters.",
        )
        .into()
    }
    pub(crate) fn rao_scott(&self) -> String {
        self.t(
            "Экземпляры одного интервью не независимы (эффект кластера: ответы об экземплярах одного респондента похожи друг на друга). Поэтому χ² поделён на эффект дизайна D, оценённый по интервью как кластерам (поправка Рао — Скотта первого порядка), и p-значение взято по исправленной статистике.",
            "Instances of one interview are not independent (a cluster effect: one respondent's instances resemble each other). χ² is therefore divided by the design effect D estimated with the interviews as clusters (the first-order Rao–Scott correction), and the p-value is that of the corrected statistic.",
        )
        .into()
    }
    /// The corrected statistic in a test line.
    pub(crate) fn rao_scott_label(&self) -> &'static str {
        self.t("с поправкой Рао — Скотта", "Rao–Scott corrected")
    }
    /// Appended to a roster table's test line.
    pub(crate) fn clustered_mark(&self) -> &'static str {
        self.t("без учёта кластеров, см. примечание", "clusters ignored, see the note")
    }
    pub(crate) fn roster_hint(&self, id: &str) -> String {
        if self.ru() {
            format!("Вопрос ростера {id}: задаётся для каждого экземпляра, считаются экземпляры.")
        } else {
            format!("A question of roster {id}: asked once per instance; instances are counted.")
        }
    }
    pub(crate) fn rosters_heading(&self) -> &'static str {
        self.t("Ростеры: число экземпляров", "Rosters: instances")
    }
    /// The heading of a roster's instance counts: per interview, or per instance of its parent.
    pub(crate) fn roster_counts_title(&self, title: &str, id: &str, parent: Option<&str>) -> String {
        match (self.ru(), parent) {
            (true, None) => format!("«{title}» ({id}): экземпляров на интервью"),
            (true, Some(p)) => format!("«{title}» ({id}): экземпляров на экземпляр ростера {p}"),
            (false, None) => format!("«{title}» ({id}): instances per interview"),
            (false, Some(p)) => format!("«{title}» ({id}): instances per instance of roster {p}"),
        }
    }
    pub(crate) fn roster_units(&self, parent: Option<&str>) -> String {
        match (self.ru(), parent) {
            (true, None) => "Интервью (n)".into(),
            (true, Some(p)) => format!("Экземпляров {p} (n)"),
            (false, None) => "Interviews (n)".into(),
            (false, Some(p)) => format!("Instances of {p} (n)"),
        }
    }
    pub(crate) fn roster_zero(&self) -> &'static str {
        self.t("Без экземпляров", "With none")
    }
    pub(crate) fn roster_total(&self) -> &'static str {
        self.t("Экземпляров всего", "Instances in all")
    }
    pub(crate) fn roster_counts_legend(&self) -> &'static str {
        self.t(
            "Считаются экземпляры, в которых ростер задавался (удалённые интервьюером не учитываются); интервью, где ростер не задавался, входят в n с нулём.",
            "Instances count where the roster was asked (those the interviewer removed do not count); interviews where the roster was not asked count in n with none.",
        )
    }
    pub(crate) fn no_answer(&self, v: &[(String, u64)]) -> String {
        let list = list_pairs(v, self.lang);
        if self.ru() {
            format!("Без ответа (вопрос пропущен): {list}.")
        } else {
            format!("No answer (skipped): {list}.")
        }
    }
    pub(crate) fn codes_not_tested(&self, codes: &[String]) -> String {
        let list = codes.join(", ");
        if self.ru() {
            format!("Варианты, которых нет в анкете одной из групп, не входят в расчёт χ²: {list}.")
        } else {
            format!("Options missing from a group's questionnaire are left out of χ²: {list}.")
        }
    }
    pub(crate) fn missing_excluded(&self, v: &[(String, u64)]) -> String {
        let list = list_pairs(v, self.lang);
        if self.ru() {
            format!("Ответы «затрудняюсь ответить» / «отказ» исключены из базы (--exclude-missing): {list}.")
        } else {
            format!("\"Don't know\" / \"refused\" answers left out of the base (--exclude-missing): {list}.")
        }
    }
    pub(crate) fn small_expected(&self) -> String {
        self.t(
            "Приближение χ² ненадёжно: более 20 % ожидаемых частот меньше 5 (или есть частота меньше 1); p-значение ориентировочное.",
            "The χ² approximation is doubtful: more than 20 % of expected counts are under 5 (or one is under 1); the p-value is approximate.",
        )
        .into()
    }
    pub(crate) fn never_together(&self, a: &str, b: &str) -> String {
        if self.ru() {
            format!("Переменные {a} и {b} не встречаются в одной анкете: таблица пуста.")
        } else {
            format!("{a} and {b} are never in the same questionnaire: the table is empty.")
        }
    }
    pub(crate) fn multi_not_tested(&self) -> String {
        self.t(
            "Одна из переменных допускает несколько ответов: респондент учитывается в нескольких ячейках, поэтому χ² не вычисляется.",
            "A multiple-choice variable counts a respondent in several cells, so χ² is not computed.",
        )
        .into()
    }
    pub(crate) fn no_district_question(&self) -> String {
        self.t(
            "В анкетах нет вопроса district: распределение по районам не строится.",
            "The questionnaires have no `district` question: no table by district.",
        )
        .into()
    }
    pub(crate) fn fieldwork_filtered(&self) -> String {
        self.t(
            "Разделы о полевых работах учитывают только интервью, прошедшие отбор (--where); данные слияния — все.",
            "The fieldwork tables count only the interviews that pass --where; the merge figures count all.",
        )
        .into()
    }

    // Headings and legends used by the renderers.
    pub(crate) fn data(&self) -> &'static str {
        self.t("Данные", "Data")
    }
    pub(crate) fn interviews(&self) -> &'static str {
        self.t("Интервью", "Interviews")
    }
    pub(crate) fn total(&self) -> &'static str {
        self.t("Всего", "Total")
    }
    pub(crate) fn answer(&self) -> &'static str {
        self.t("Вариант ответа", "Answer")
    }
    pub(crate) fn base_row(&self) -> &'static str {
        self.t("n (база)", "n (base)")
    }
    pub(crate) fn table(&self) -> &'static str {
        self.t("Таблица", "Table")
    }
    pub(crate) fn kind_hint(&self, kind: &str) -> &'static str {
        match kind {
            "single" => self.t("Один ответ.", "Single choice."),
            "multi" => self.t("Несколько ответов.", "Multiple choice."),
            "number" => self.t("Число.", "Number."),
            "date" => self.t("Дата.", "Date."),
            _ => self.t("Открытый вопрос.", "Open question."),
        }
    }
    pub(crate) fn multi_footnote(&self) -> &'static str {
        self.t(
            "Можно было выбрать несколько вариантов: проценты — доля выбравших вариант среди ответивших на вопрос (n), поэтому их сумма может превышать 100 %.",
            "Several answers were allowed: each percentage is the share of those who answered the question (n) choosing the option, so they may sum to more than 100 %.",
        )
    }
    pub(crate) fn single_footnote(&self) -> &'static str {
        self.t(
            "Проценты — от числа ответивших на вопрос (n).",
            "Percentages of those who answered the question (n).",
        )
    }
    pub(crate) fn excluded_mark(&self) -> &'static str {
        self.t("не входит в базу", "not in the base")
    }
    pub(crate) fn cramers_v(&self) -> &'static str {
        self.t("V Крамера", "Cramér's V")
    }
    pub(crate) fn significant(&self, alpha: f64) -> String {
        let a = fmt_dec(alpha, 3, self.lang).trim_end_matches('0').to_string();
        if self.ru() {
            format!("различия между группами значимы при α = {a}")
        } else {
            format!("the groups differ significantly at α = {a}")
        }
    }
    pub(crate) fn not_significant(&self, alpha: f64) -> String {
        let a = fmt_dec(alpha, 3, self.lang).trim_end_matches('0').to_string();
        if self.ru() {
            format!("различия между группами не значимы при α = {a}")
        } else {
            format!("no significant difference between the groups at α = {a}")
        }
    }
    pub(crate) fn fisher(&self) -> &'static str {
        self.t("точный критерий Фишера", "Fisher's exact test")
    }
    pub(crate) fn not_valid(&self, reason: &str) -> String {
        if self.ru() {
            format!("Критерий не применим: {reason}.")
        } else {
            format!("No test: {reason}.")
        }
    }
    pub(crate) fn multi_legend(&self, alpha: f64) -> String {
        let a = fmt_dec(alpha, 3, self.lang).trim_end_matches('0').to_string();
        if self.ru() {
            format!(
                "Справа — проверка различий по каждому варианту (группа × выбран/не выбран): χ² Пирсона, а при ожидаемой частоте меньше 5 в таблице 2×2 — точный критерий Фишера (F). * — различие значимо при α = {a}. Поправка на множественные сравнения не вводилась."
            )
        } else {
            format!(
                "On the right, a test per option (group × chosen/not chosen): Pearson's χ², or Fisher's exact test (F) for a 2×2 table with an expected count under 5. * — significant at α = {a}. No correction for multiple comparisons."
            )
        }
    }
    pub(crate) fn stat(&self) -> &'static str {
        self.t("Показатель", "Statistic")
    }
    pub(crate) fn mean(&self) -> &'static str {
        self.t("Среднее", "Mean")
    }
    pub(crate) fn median(&self) -> &'static str {
        self.t("Медиана", "Median")
    }
    pub(crate) fn min(&self) -> &'static str {
        self.t("Минимум", "Minimum")
    }
    pub(crate) fn max(&self) -> &'static str {
        self.t("Максимум", "Maximum")
    }
    pub(crate) fn answers_n(&self) -> &'static str {
        self.t("Ответов (n)", "Answers (n)")
    }
    pub(crate) fn texts_heading(&self, kind: &str) -> &'static str {
        match kind {
            "answer" => self.t("Ответы", "Answers"),
            "other" => self.t("Уточнения варианта «другое»", "\"Other\" specified"),
            _ => self.t("Замечания интервьюера", "Interviewer's remarks"),
        }
    }
    pub(crate) fn texts_shown(&self, shown: usize, total: u64) -> String {
        let l = self.lang;
        if self.ru() {
            format!(
                "Показаны {} из {} текстов (интервью с наименьшими идентификаторами, т. е. самые ранние).",
                fmt_int(shown as u64, l),
                fmt_int(total, l)
            )
        } else {
            format!(
                "{} of {} texts shown (the interviews with the smallest ids, i.e. the earliest).",
                fmt_int(shown as u64, l),
                fmt_int(total, l)
            )
        }
    }
    pub(crate) fn groups_by(&self, by: &str) -> String {
        match (self.ru(), by == "questionnaire") {
            (true, true) => "Группы (по анкете)".into(),
            (false, true) => "Groups (by questionnaire)".into(),
            (true, false) => format!("Группы (по ответу на вопрос {by})"),
            (false, false) => format!("Groups (by the answer to {by})"),
        }
    }
    pub(crate) fn filter(&self) -> &'static str {
        self.t("Отбор", "Filter")
    }
    pub(crate) fn matched(&self) -> &'static str {
        self.t("отобрано интервью", "interviews match")
    }
    pub(crate) fn alpha_line(&self, alpha: f64, exclude: bool) -> String {
        let a = fmt_dec(alpha, 3, self.lang).trim_end_matches('0').to_string();
        match (self.ru(), exclude) {
            (true, false) => format!(
                "Уровень значимости α = {a}. Ответы «затрудняюсь ответить» входят в базу процентов и показаны отдельной строкой."
            ),
            (true, true) => format!(
                "Уровень значимости α = {a}. Ответы «затрудняюсь ответить» и отказы исключены из базы процентов и из критериев (--exclude-missing)."
            ),
            (false, false) => format!(
                "Significance level α = {a}. \"Don't know\" answers are part of the base and shown as their own row."
            ),
            (false, true) => format!(
                "Significance level α = {a}. \"Don't know\" and refused answers are left out of the bases and tests (--exclude-missing)."
            ),
        }
    }
    pub(crate) fn rejected_line(&self, n: u64) -> String {
        let n = fmt_int(n, self.lang);
        if self.ru() {
            format!("Не использовано записей (повреждены или не подходят к анкете): {n}")
        } else {
            format!("Records not used (damaged or not fitting their questionnaire): {n}")
        }
    }
    pub(crate) fn input_kind(&self, kind: &str) -> &'static str {
        match kind {
            "merge_output" => self.t("результат anketa merge", "an anketa merge output"),
            "ndjson" => self.t("файл интервью", "an interview file"),
            _ => self.t(
                "папка файлов интервью, объединённых по правилам merge",
                "a folder of interview files, merged by the merge rules",
            ),
        }
    }
    pub(crate) fn cross_heading(&self) -> &'static str {
        self.t("Таблица сопряжённости", "Cross-tabulation")
    }
    pub(crate) fn row_pct(&self) -> &'static str {
        self.t("% по строке", "row %")
    }
    pub(crate) fn col_pct(&self) -> &'static str {
        self.t("% по столбцу", "column %")
    }
    pub(crate) fn counts(&self) -> &'static str {
        self.t("Число ответов", "Counts")
    }
    pub(crate) fn rows_and_cols(&self, a: &str, at: &str, b: &str, bt: &str) -> String {
        if self.ru() {
            format!("Строки — {a}: {at} Столбцы — {b}: {bt}")
        } else {
            format!("Rows — {a}: {at} Columns — {b}: {bt}")
        }
    }
    pub(crate) fn fieldwork(&self) -> &'static str {
        self.t("Ход полевых работ", "Fieldwork")
    }
    pub(crate) fn period(&self) -> &'static str {
        self.t("Период интервью", "Interviews conducted")
    }
    pub(crate) fn by_district(&self) -> &'static str {
        self.t("Интервью по районам", "Interviews by district")
    }
    pub(crate) fn district(&self) -> &'static str {
        self.t("Район", "District")
    }
    pub(crate) fn covered(&self, c: usize, of: usize) -> String {
        if self.ru() {
            format!("Охвачено районов: {c} из {of}.")
        } else {
            format!("Districts covered: {c} of {of}.")
        }
    }
    pub(crate) fn quota_legend(&self) -> &'static str {
        self.t(
            "В ячейках — выполнено / план (--quota); «—» — план не задан.",
            "Cells: done / target (--quota); \"—\" where no target is set.",
        )
    }
    pub(crate) fn by_interviewer(&self) -> &'static str {
        self.t("Интервьюеры", "Interviewers")
    }
    pub(crate) fn interviewer(&self) -> &'static str {
        self.t("Интервьюер", "Interviewer")
    }
    pub(crate) fn median_minutes(&self) -> &'static str {
        self.t("Медиана, мин", "Median, min")
    }
    pub(crate) fn speeders(&self) -> &'static str {
        self.t("Быстрые", "Speeders")
    }
    pub(crate) fn in_progress(&self) -> &'static str {
        self.t("Не завершены (в данных)", "In progress (in the data)")
    }
    pub(crate) fn left_out(&self) -> &'static str {
        self.t("Не завершены (не вошли)", "In progress (left out)")
    }
    pub(crate) fn conflicts(&self) -> &'static str {
        self.t("Конфликты копий", "Conflicting copies")
    }
    pub(crate) fn speeder_legend(&self, per: &[(String, Option<f64>, Option<f64>)]) -> String {
        let l = self.lang;
        let list = per
            .iter()
            .filter_map(|(g, m, t)| Some((g, (*m)?, (*t)?)))
            .map(|(g, m, t)| {
                if self.ru() {
                    format!("{g}: медиана {} мин, порог {} мин", fmt_dec(m, 1, l), fmt_dec(t, 1, l))
                } else {
                    format!(
                        "{g}: median {} min, threshold {} min",
                        fmt_dec(m, 1, l),
                        fmt_dec(t, 1, l)
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        if self.ru() {
            format!(
                "«Быстрые» — завершённые интервью короче трети медианной длительности своей анкеты ({list}); длительность — время в интервью без пауз."
            )
        } else {
            format!(
                "Speeders: completed interviews shorter than a third of their questionnaire's median duration ({list}); duration is time in the interview, pauses excluded."
            )
        }
    }
    pub(crate) fn merge_line(&self, m: &MergeInfo) -> String {
        let l = self.lang;
        let (dup, conf, inc, rej) = (
            fmt_int(m.duplicates as u64, l),
            fmt_int(m.conflict_ids.len() as u64, l),
            fmt_int(m.incomplete.len() as u64, l),
            fmt_int(m.rejected as u64, l),
        );
        if self.ru() {
            let mut s = format!(
                "Слияние ({}): дубликатов отброшено — {dup}, конфликтующих копий — {conf}, не завершены и не вошли — {inc}, отклонено файлов и строк — {rej}.",
                m.source
            );
            if m.sealed > 0 {
                s.push(' ');
                s.push_str(&self.sealed_line(m.sealed));
            }
            s
        } else {
            let mut s = format!(
                "Merge ({}): {dup} duplicate copies dropped, {conf} interviews with conflicting copies, {inc} left out in progress, {rej} files or lines rejected.",
                m.source
            );
            if m.sealed > 0 {
                s.push(' ');
                s.push_str(&self.sealed_line(m.sealed));
            }
            s
        }
    }
    /// Sealed interviews that could not be opened: not in the tables.
    pub(crate) fn sealed_line(&self, n: usize) -> String {
        let n = fmt_int(n as u64, self.lang);
        if self.ru() {
            format!(
                "Запечатанных интервью, которые не удалось открыть, — {n}: в таблицы они НЕ вошли; откройте их ключом руководителя (--identity ФАЙЛ.key)."
            )
        } else {
            format!(
                "{n} sealed interviews could not be opened and are NOT in the tables; open them with the supervisor's key (--identity FILE.key)."
            )
        }
    }
    pub(crate) fn in_progress_line(&self, n: u64) -> String {
        let n = fmt_int(n, self.lang);
        if self.ru() {
            format!("Незавершённых интервью в данных (слияние с --include-incomplete): {n}; они учтены в таблицах.")
        } else {
            format!(
                "Interviews still in progress in the data (merged with --include-incomplete): {n}; counted in the tables."
            )
        }
    }
    pub(crate) fn method_heading(&self) -> &'static str {
        self.t("Методические примечания", "Notes on method")
    }
    pub(crate) fn method_notes(&self) -> [&'static str; 4] {
        if self.ru() {
            [
                "База процентов (n) — респонденты группы, которым вопрос задавался (по условиям анкеты) и которые на него ответили. Чтобы получить долю от всех опрошенных группы, умножьте процент на n и разделите на число интервью группы.",
                "Для вопросов с одним ответом — χ² Пирсона по таблице «группа × вариант» (df, p) и V Крамера; для вопросов с несколькими ответами — по каждому варианту таблица 2 × число групп. Варианты и группы без ответов в расчёт не входят. Для таблицы 2×2 с ожидаемой частотой меньше 5 p-значение дано точным критерием Фишера (двусторонним).",
                "Вопросы анкет НКО и ОМСУ сопоставляются по имени переменной и кодам вариантов; формулировки вариантов — по первой анкете.",
                "Значимость не означает силу связи: V Крамера около 0,1 — слабая связь, около 0,3 — умеренная, 0,5 и выше — сильная.",
            ]
        } else {
            [
                "The base of percentages (n) is the respondents of a group who were asked the question (by the questionnaire's conditions) and answered it. For a share of all the group's interviews, multiply the percentage by n and divide by the group's interviews.",
                "Single-choice questions: Pearson's χ² of group × answer (df, p) and Cramér's V; multiple-choice questions: one table of chosen/not chosen × group per option. Options and groups without answers are left out of the test. For a 2×2 table with an expected count under 5 the p-value is that of Fisher's exact test (two-sided).",
                "Questions of the instruments are matched by variable name and option codes; option wording is taken from the first questionnaire.",
                "Significance is not strength: a Cramér's V near 0.1 is a weak association, near 0.3 moderate, 0.5 and above strong.",
            ]
        }
    }
    pub(crate) fn not_offered(&self) -> &'static str {
        self.t(
            "«—» — вариант отсутствует в анкете группы или нет ответивших.",
            "\"—\": the option is not in the group's questionnaire, or nobody answered.",
        )
    }
    pub(crate) fn contents(&self) -> &'static str {
        self.t("Содержание", "Contents")
    }
}
