//! Tests of association for contingency tables: Pearson's χ² with Cramér's V, and Fisher's
//! exact test for 2×2 tables.
//!
//! Pure arithmetic on counts. Nothing here returns NaN: a table on which a test is not defined
//! (no observations, a single non-empty row or column) yields [`NotValid`] with the reason, and
//! renderers print that reason instead of a number. Distributions come from `statrs`.

use statrs::distribution::{ChiSquared, ContinuousCDF};
use statrs::function::factorial::ln_factorial;

/// Expected counts below this make the χ² approximation doubtful (Cochran's rule).
pub(crate) const SMALL_EXPECTED: f64 = 5.0;

/// A contingency table of counts, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    rows: usize,
    cols: usize,
    cells: Vec<u64>,
}

impl Table {
    /// A table from rows of equal length. Rows of other lengths are padded with zeros.
    pub(crate) fn from_rows(rows: &[Vec<u64>]) -> Table {
        let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut cells = Vec::with_capacity(rows.len() * cols);
        for r in rows {
            cells.extend_from_slice(r);
            cells.extend(std::iter::repeat_n(0, cols - r.len()));
        }
        Table {
            rows: rows.len(),
            cols,
            cells,
        }
    }

    /// The count in row `r`, column `c`.
    pub(crate) fn get(&self, r: usize, c: usize) -> u64 {
        self.cells[r * self.cols + c]
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub(crate) fn cols(&self) -> usize {
        self.cols
    }

    /// Row totals.
    pub(crate) fn row_totals(&self) -> Vec<u64> {
        (0..self.rows)
            .map(|r| (0..self.cols).map(|c| self.get(r, c)).sum())
            .collect()
    }

    /// Column totals.
    pub(crate) fn col_totals(&self) -> Vec<u64> {
        (0..self.cols)
            .map(|c| (0..self.rows).map(|r| self.get(r, c)).sum())
            .collect()
    }

    /// The grand total.
    pub(crate) fn total(&self) -> u64 {
        self.cells.iter().sum()
    }

    /// The table without its all-zero rows and columns, with the number of each dropped.
    /// A category nobody chose carries no information about association, and would make an
    /// expected count zero.
    pub(crate) fn without_empty(&self) -> (Table, usize, usize) {
        let rt = self.row_totals();
        let ct = self.col_totals();
        let keep_r: Vec<usize> = (0..self.rows).filter(|&r| rt[r] > 0).collect();
        let keep_c: Vec<usize> = (0..self.cols).filter(|&c| ct[c] > 0).collect();
        let rows: Vec<Vec<u64>> = keep_r
            .iter()
            .map(|&r| keep_c.iter().map(|&c| self.get(r, c)).collect())
            .collect();
        let mut t = Table::from_rows(&rows);
        if rows.is_empty() {
            t.cols = 0;
        }
        (t, self.rows - keep_r.len(), self.cols - keep_c.len())
    }
}

/// Why a test cannot be computed on a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotValid {
    /// Nobody in the table.
    NoObservations,
    /// Only one row has observations: every respondent gave the same answer.
    OneRow,
    /// Only one column has observations: only one group answered.
    OneColumn,
}

impl NotValid {
    /// The reason in words.
    pub(crate) fn describe(self, ru: bool) -> &'static str {
        match (self, ru) {
            (NotValid::NoObservations, true) => "нет ответов",
            (NotValid::NoObservations, false) => "no answers",
            (NotValid::OneRow, true) => "во всех группах выбран один и тот же вариант",
            (NotValid::OneRow, false) => "every group gave the same single answer",
            (NotValid::OneColumn, true) => "ответы есть только в одной группе",
            (NotValid::OneColumn, false) => "only one group has answers",
        }
    }
}

/// Pearson's χ² test of independence.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Chi2 {
    /// The statistic Σ (O − E)² / E.
    pub statistic: f64,
    /// Degrees of freedom, (r − 1)(c − 1) over the non-empty rows and columns.
    pub df: u32,
    /// P(χ²(df) ≥ statistic).
    pub p: f64,
    /// Cramér's V, √(χ² / (n · (min(r, c) − 1))), from 0 (none) to 1 (perfect association).
    pub cramers_v: f64,
    /// Observations in the table.
    pub n: u64,
    /// The smallest expected count.
    pub min_expected: f64,
    /// Cells with an expected count below [`SMALL_EXPECTED`].
    pub small_expected: usize,
    /// Cells in the tested table (after dropping empty rows and columns).
    pub cells: usize,
    /// All-zero rows left out.
    pub dropped_rows: usize,
    /// All-zero columns left out.
    pub dropped_cols: usize,
}

impl Chi2 {
    /// Whether the χ² approximation is doubtful by Cochran's rule: more than 20 % of the
    /// expected counts below 5, or any below 1.
    pub(crate) fn doubtful(&self) -> bool {
        self.min_expected < 1.0 || (self.small_expected as f64) > 0.2 * self.cells as f64
    }
}

/// Pearson's χ² over the non-empty rows and columns of `t`, with Cramér's V.
pub(crate) fn chi2(t: &Table) -> Result<Chi2, NotValid> {
    let (t, dropped_rows, dropped_cols) = t.without_empty();
    let n = t.total();
    if n == 0 {
        return Err(NotValid::NoObservations);
    }
    if t.rows() < 2 {
        return Err(NotValid::OneRow);
    }
    if t.cols() < 2 {
        return Err(NotValid::OneColumn);
    }
    let rt = t.row_totals();
    let ct = t.col_totals();
    let nf = n as f64;
    let mut statistic = 0.0;
    let mut min_expected = f64::INFINITY;
    let mut small_expected = 0;
    for (r, &rtot) in rt.iter().enumerate() {
        for (c, &ctot) in ct.iter().enumerate() {
            // Both totals are positive here, so the expected count is too.
            let e = rtot as f64 * ctot as f64 / nf;
            let d = t.get(r, c) as f64 - e;
            statistic += d * d / e;
            min_expected = min_expected.min(e);
            if e < SMALL_EXPECTED {
                small_expected += 1;
            }
        }
    }
    let df = ((t.rows() - 1) * (t.cols() - 1)) as u32;
    let p = chi2_sf(statistic, df);
    let k = t.rows().min(t.cols()) - 1;
    let cramers_v = (statistic / (nf * k as f64)).sqrt().min(1.0);
    Ok(Chi2 {
        statistic,
        df,
        p,
        cramers_v,
        n,
        min_expected,
        small_expected,
        cells: t.rows() * t.cols(),
        dropped_rows,
        dropped_cols,
    })
}

/// P(χ²(df) ≥ x), clamped to [0, 1]; 1 for x ≤ 0.
pub(crate) fn chi2_sf(x: f64, df: u32) -> f64 {
    if x.is_nan() || x <= 0.0 || df == 0 {
        return 1.0;
    }
    match ChiSquared::new(df as f64) {
        Ok(d) => {
            let p = d.sf(x);
            if p.is_finite() { p.clamp(0.0, 1.0) } else { 0.0 }
        }
        Err(_) => 1.0,
    }
}

/// Fisher's exact test on a 2×2 table `[[a, b], [c, d]]`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Fisher {
    /// Two-sided p: the total probability of the tables (with the observed margins) no more
    /// likely than the observed one, as R's `fisher.test` computes it (relative tolerance 1e-7).
    pub p: f64,
    /// One-sided p for a smaller top-left count: P(X ≤ a).
    pub p_less: f64,
    /// One-sided p for a larger top-left count: P(X ≥ a).
    pub p_greater: f64,
}

/// Fisher's exact test on `[[a, b], [c, d]]`; not valid when a margin is zero.
pub(crate) fn fisher_2x2(a: u64, b: u64, c: u64, d: u64) -> Result<Fisher, NotValid> {
    let (r1, r2, c1, c2) = (a + b, c + d, a + c, b + d);
    let n = r1 + r2;
    if n == 0 {
        return Err(NotValid::NoObservations);
    }
    if r1 == 0 || r2 == 0 {
        return Err(NotValid::OneRow);
    }
    if c1 == 0 || c2 == 0 {
        return Err(NotValid::OneColumn);
    }
    // Hypergeometric: X = top-left count given the margins.
    let lo = c1.saturating_sub(r2);
    let hi = r1.min(c1);
    let ln_denominator = ln_factorial(n) - ln_factorial(r1) - ln_factorial(r2) - ln_factorial(c1) - ln_factorial(c2);
    let ln_p = |x: u64| -> f64 {
        -ln_denominator - ln_factorial(x) - ln_factorial(r1 - x) - ln_factorial(c1 - x) - ln_factorial(r2 + x - c1)
    };
    let observed = ln_p(a);
    // Relative tolerance of R's fisher.test: tables within 1e-7 of the observed probability
    // count as equally likely (guards against rounding in the log-factorials).
    let limit = observed + (1.0f64 + 1e-7).ln();
    let (mut two, mut less, mut greater) = (0.0, 0.0, 0.0);
    for x in lo..=hi {
        let lp = ln_p(x);
        let p = lp.exp();
        if lp <= limit {
            two += p;
        }
        if x <= a {
            less += p;
        }
        if x >= a {
            greater += p;
        }
    }
    Ok(Fisher {
        p: two.clamp(0.0, 1.0),
        p_less: less.clamp(0.0, 1.0),
        p_greater: greater.clamp(0.0, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn chi2_matches_agresti_party_identification_by_gender() {
        // Agresti, "An Introduction to Categorical Data Analysis" (2nd ed., 2007), p. 39:
        // party identification (Democrat, Independent, Republican) by gender, 2,757 respondents.
        // The example of R's `?chisq.test` reproduces it: X-squared = 30.07, df = 2,
        // p-value = 2.954e-07.
        let t = Table::from_rows(&[vec![762, 327, 468], vec![484, 239, 477]]);
        let r = chi2(&t).unwrap();
        assert!((r.statistic - 30.07).abs() < 0.005, "{}", r.statistic);
        assert_eq!(r.df, 2);
        assert!(close(r.p, 2.954e-7, 1e-3), "{}", r.p);
        assert_eq!(r.n, 2757);
        // V = √(30.07 / 2757) for a table with two rows.
        assert!((r.cramers_v - (r.statistic / 2757.0).sqrt()).abs() < 1e-12);
        assert!(!r.doubtful());
    }

    #[test]
    fn chi2_distribution_matches_the_table_of_critical_values() {
        // Critical values of χ² at the 0.05 and 0.01 levels, as printed in every statistics
        // textbook's table (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.4): df 1: 3.841 and
        // 6.635; df 2: 5.991 and 9.210; df 10: 18.307 and 23.209.
        for (x, df, p) in [
            (3.841, 1, 0.05),
            (6.635, 1, 0.01),
            (5.991, 2, 0.05),
            (9.210, 2, 0.01),
            (18.307, 10, 0.05),
            (23.209, 10, 0.01),
        ] {
            let got = chi2_sf(x, df);
            assert!(close(got, p, 2e-3), "df {df}, x {x}: {got}");
        }
        assert_eq!(chi2_sf(0.0, 3), 1.0);
        assert_eq!(chi2_sf(f64::NAN, 3), 1.0);
        assert!(chi2_sf(1e6, 1) >= 0.0);
    }

    #[test]
    fn two_by_two_chi2_equals_the_closed_form() {
        // χ² = n (ad − bc)² / (r1 r2 c1 c2) for a 2×2 table.
        let (a, b, c, d) = (30u64, 10u64, 15u64, 25u64);
        let r = chi2(&Table::from_rows(&[vec![a, b], vec![c, d]])).unwrap();
        let n = (a + b + c + d) as f64;
        let num = n * ((a * d) as f64 - (b * c) as f64).powi(2);
        let den = ((a + b) * (c + d) * (a + c) * (b + d)) as f64;
        assert!(close(r.statistic, num / den, 1e-12));
        assert_eq!(r.df, 1);
        // For df 1 the V is the absolute phi coefficient.
        assert!(close(r.cramers_v, (num / den / n).sqrt(), 1e-12));
    }

    #[test]
    fn fisher_matches_the_tea_tasting_experiment() {
        // Fisher's lady tasting tea, as analysed in Agresti (2007), section 2.6: 3 of 4 cups
        // with milk first identified: two-sided p = 0.4857; R's `?fisher.test` example gives
        // the one-sided p = 0.2429 (alternative = "greater").
        let f = fisher_2x2(3, 1, 1, 3).unwrap();
        assert!((f.p - 0.4857).abs() < 5e-5, "{}", f.p);
        assert!((f.p_greater - 0.2429).abs() < 5e-5, "{}", f.p_greater);
    }

    #[test]
    fn fisher_matches_the_convictions_of_twins_example() {
        // R's `?fisher.test`: convictions of like-sex twins of criminals (Fisher 1935), table
        // [[2, 15], [10, 3]]: alternative = "less" gives p-value = 0.0004652.
        let f = fisher_2x2(2, 15, 10, 3).unwrap();
        assert!(close(f.p_less, 0.0004652, 1e-3), "{}", f.p_less);
        // Two-sided: the sum over tables at most as likely, 0.0005367 (exact rational sum).
        assert!(close(f.p, 0.000_536_724_119_143_4, 1e-9), "{}", f.p);
    }

    #[test]
    fn fisher_is_one_for_a_table_without_association_and_symmetric() {
        let f = fisher_2x2(5, 5, 5, 5).unwrap();
        assert!(close(f.p, 1.0, 1e-12));
        let g = fisher_2x2(1, 9, 11, 3).unwrap();
        let h = fisher_2x2(3, 11, 9, 1).unwrap();
        assert!(close(g.p, h.p, 1e-9));
        // Large tables stay finite and within [0, 1].
        let big = fisher_2x2(4000, 6000, 5000, 5000).unwrap();
        assert!(big.p >= 0.0 && big.p < 1e-40);
    }

    #[test]
    fn tests_say_why_they_are_not_valid() {
        assert_eq!(chi2(&Table::from_rows(&[])), Err(NotValid::NoObservations));
        assert_eq!(
            chi2(&Table::from_rows(&[vec![0, 0], vec![0, 0]])),
            Err(NotValid::NoObservations)
        );
        // Everybody chose the first option.
        assert_eq!(
            chi2(&Table::from_rows(&[vec![10, 4], vec![0, 0]])),
            Err(NotValid::OneRow)
        );
        // Only the first group answered.
        assert_eq!(
            chi2(&Table::from_rows(&[vec![3, 0], vec![5, 0]])),
            Err(NotValid::OneColumn)
        );
        assert_eq!(fisher_2x2(3, 0, 5, 0), Err(NotValid::OneColumn));
        assert_eq!(fisher_2x2(0, 0, 5, 2), Err(NotValid::OneRow));
        assert_eq!(fisher_2x2(0, 0, 0, 0), Err(NotValid::NoObservations));
    }

    #[test]
    fn empty_rows_and_columns_are_dropped_and_counted() {
        let t = Table::from_rows(&[vec![10, 0, 20], vec![0, 0, 0], vec![30, 0, 15]]);
        let r = chi2(&t).unwrap();
        assert_eq!((r.dropped_rows, r.dropped_cols, r.df, r.cells), (1, 1, 1, 4));
        let direct = chi2(&Table::from_rows(&[vec![10, 20], vec![30, 15]])).unwrap();
        assert!(close(r.statistic, direct.statistic, 1e-12));
    }

    #[test]
    fn small_expected_counts_make_chi2_doubtful() {
        let r = chi2(&Table::from_rows(&[vec![3, 1], vec![1, 3]])).unwrap();
        assert_eq!(r.small_expected, 4);
        assert!(r.doubtful());
    }
}
