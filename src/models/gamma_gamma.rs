//! The Gamma-Gamma model of the mean spend per transaction (Colombo & Jiang 1999; Fader,
//! Hardie & Lee 2005, *JMR* 42(4); Fader & Hardie 2013, note 025).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::check_positive;
use super::fit::{Fit, FitReport, Fitter, RowLikelihood};
use super::{Rows, maximize};
use crate::math::gamma_shift::{digamma_shift, ln_gamma_shift};
use crate::math::random::Rng;
use crate::math::special::ln_gamma;
use crate::serde_checked::checked_serde;
use crate::summary::{CustomerSummary, HoldoutSummary};
use crate::{Error, Result};

checked_serde! {
    /// A fitted Gamma-Gamma model of the mean value of a customer's repeat transactions.
    ///
    /// **Model** (Colombo & Jiang 1999, "A stochastic RFM model", *J. Interactive Marketing*
    /// 13(3); Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value", note 025 at
    /// brucehardie.com/notes/025/). A customer's transaction values are
    /// `z_j ~ Gamma(p, ν)` (shape `p`, rate `ν`), so the mean `z̄` of `x` of them is
    /// `Gamma(px, νx)`; across customers `ν ~ Gamma(q, γ)` (shape `q`, rate `γ`). Spend is
    /// assumed independent of the purchase process. Integrating `ν` out gives the density of
    /// the observed mean (the likelihood of one customer with `x ≥ 1`):
    ///
    /// `f(z̄ | p, q, γ, x) = Γ(px + q) / (Γ(px) Γ(q)) · γ^q z̄^{px−1} x^{px} / (γ + z̄x)^{px+q}`.
    ///
    /// The posterior of `ν` is `Gamma(q + px, γ + z̄x)`, so the conditional expected spend per
    /// transaction is
    ///
    /// `E(M | x, z̄) = p (γ + z̄x) / (px + q − 1) = w · pγ/(q − 1) + (1 − w) · z̄`,
    /// `w = (q − 1)/(px + q − 1)`:
    ///
    /// a credibility-weighted average of the population mean `E(M) = pγ/(q − 1)` and the
    /// customer's own mean.
    ///
    /// | field | paper | meaning |
    /// |---|---|---|
    /// | `p` | p | shape of each transaction value |
    /// | `q` | q | shape of the customers' rates ν |
    /// | `v` | γ | rate (inverse scale, in money units) of the customers' rates ν |
    /// | [`CustomerSummary::frequency`] | x | repeat transactions |
    /// | [`CustomerSummary::monetary_value`] | z̄ (m_x) | mean value of the repeat transactions |
    ///
    /// **Money.** Inputs are [`Decimal`] (the summaries' monetary values); the model works in
    /// `f64`, and every expected spend is returned as a [`Decimal`] through a checked
    /// conversion ([`Error::Overflow`] if the value does not fit). The conversion keeps 15
    /// significant digits (trailing zeros removed); round with
    /// [`Decimal::round_dp`] for display.
    ///
    /// # Example
    ///
    /// The published CDNOW estimates (Fader & Hardie 2013): the first customer of the
    /// calibration summary made x = 2 repeat purchases worth $22.35 on average.
    ///
    /// ```
    /// use customer_metrics::{CustomerSummary, GammaGamma};
    /// use rust_decimal::Decimal;
    ///
    /// let model = GammaGamma::new(6.25, 3.74, 15.44)?;
    /// let customer = CustomerSummary::new(2, 30.43, 38.86, Decimal::new(2235, 2))?;
    /// let spend = model.conditional_expected_spend(&customer)?;
    /// assert_eq!(spend.round_dp(2), Decimal::new(2466, 2)); // 24.66 at the rounded estimates
    /// assert_eq!(model.mean_spend()?.round_dp(2), Decimal::new(3522, 2)); // pγ/(q − 1)
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct GammaGamma {
        p: f64,
        q: f64,
        v: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<FitReport>,
    }
    check = |m| Ok(GammaGamma { report: m.report, ..GammaGamma::new(m.p, m.q, m.v)? })
}

/// The unfitted Gamma-Gamma model: fit settings and optional starting values.
///
/// [`Fit::fit`] takes [`CustomerSummary`] rows and uses only their frequency `x` and monetary
/// value `z̄` (converted to `f64`). Customers with `x = 0` carry no spend information and are
/// skipped; every customer with `x ≥ 1` must have `z̄ > 0` (a gamma variable is positive).
///
/// ```
/// use customer_metrics::{CustomerSummary, Fit, GammaGammaFitter};
/// use rust_decimal::Decimal;
///
/// // Spend varies across customers, so the heterogeneity q is finite (equal means would
/// // send q and v to infinity along a ridge: no maximum to converge to).
/// let rows = [(1, 900), (3, 2500), (2, 8010), (5, 1875), (1, 19000), (4, 3050), (0, 0), (2, 610)];
/// let base: Vec<CustomerSummary> = rows
///     .iter()
///     .map(|&(x, cents)| CustomerSummary::new(x, f64::from(x), 10.0, Decimal::new(cents, 2)))
///     .collect::<Result<_, _>>()?;
/// let model = GammaGammaFitter::new().fit(&base)?;
/// let report = model.report().expect("a fitted model carries its report");
/// assert_eq!(report.total_weight, 7.0); // the x = 0 customer is skipped
/// assert!(model.q() > 1.0 && model.q() < 10.0);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
pub type GammaGammaFitter = Fitter<GammaGamma>;

impl GammaGamma {
    /// A Gamma-Gamma model with the given parameters (for example published estimates).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `p`, `q` or `v` unless each is finite and `> 0`.
    pub fn new(p: f64, q: f64, v: f64) -> Result<Self> {
        Ok(GammaGamma {
            p: check_positive("p", p)?,
            q: check_positive("q", q)?,
            v: check_positive("v", v)?,
            report: None,
        })
    }

    /// p: shape of each transaction value.
    #[must_use]
    pub fn p(&self) -> f64 {
        self.p
    }

    /// q: shape of the distribution of the customers' rates ν.
    #[must_use]
    pub fn q(&self) -> f64 {
        self.q
    }

    /// v = γ: rate of the distribution of the customers' rates ν (in money units).
    #[must_use]
    pub fn v(&self) -> f64 {
        self.v
    }

    /// How the fit went, for a fitted model (`None` for one built with [`GammaGamma::new`]).
    #[must_use]
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    /// The log-likelihood of one customer's mean spend, `ln f(z̄ | p, q, γ, x)` (the full
    /// density, with the `x^{px}` and `z̄^{px−1}` terms). A customer with `x = 0` carries no
    /// spend information: 0.
    ///
    /// # Errors
    /// [`Error::InvalidSummary`] when `x ≥ 1` and `z̄ = 0` (the density is 0 or infinite).
    pub fn log_likelihood(&self, customer: &CustomerSummary) -> Result<f64> {
        match spend_row(customer)? {
            None => Ok(0.0),
            Some([x, m]) => Ok(row_log_likelihood(&[self.p, self.q, self.v], &[x, m], None)),
        }
    }

    /// The total log-likelihood of many customers (those with `x = 0` contribute 0).
    ///
    /// # Errors
    /// As [`GammaGamma::log_likelihood`], for the first bad customer.
    pub fn total_log_likelihood(&self, customers: &[CustomerSummary]) -> Result<f64> {
        customers.iter().map(|c| self.log_likelihood(c)).sum()
    }

    /// E(M) = pγ/(q − 1): the population mean spend per transaction (of a new customer, or one
    /// with `x = 0`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `q` when `q ≤ 1` (the mean is infinite);
    /// [`Error::Overflow`] when it does not fit a [`Decimal`].
    pub fn mean_spend(&self) -> Result<Decimal> {
        to_decimal(self.mean_spend_f64()?, "the mean spend")
    }

    /// E(M | x, z̄) = p(γ + z̄x)/(px + q − 1): the expected spend per transaction of this
    /// customer (the population mean [`GammaGamma::mean_spend`] when `x = 0`; lifetimes'
    /// `conditional_expected_average_profit`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `q` when `px + q ≤ 1` (for `x = 0`: `q ≤ 1`; the
    /// posterior mean is infinite); [`Error::Overflow`] when the spend does not fit a
    /// [`Decimal`] or `z̄` an `f64`.
    pub fn conditional_expected_spend(&self, customer: &CustomerSummary) -> Result<Decimal> {
        let x = customer.frequency();
        let m = decimal_to_f64(customer.monetary_value())?;
        to_decimal(self.conditional_mean(x, m)?, "the conditional expected spend")
    }

    /// [`GammaGamma::conditional_expected_spend`] for many customers, in order.
    ///
    /// # Errors
    /// As the single-customer method, for the first customer that fails.
    pub fn conditional_expected_spend_batch(&self, customers: &[CustomerSummary]) -> Result<Vec<Decimal>> {
        super::chunks::try_map(customers, |c| self.conditional_expected_spend(c))
    }

    /// pγ/(q − 1) in `f64`.
    fn mean_spend_f64(&self) -> Result<f64> {
        if self.q <= 1.0 {
            return Err(Error::param(
                "q",
                self.q,
                "q > 1 (the population mean spend pγ/(q − 1) is infinite)",
            ));
        }
        Ok(self.p * self.v / (self.q - 1.0))
    }

    /// E(M | x, z̄) in `f64`.
    fn conditional_mean(&self, x: u32, m: f64) -> Result<f64> {
        if x == 0 {
            return self.mean_spend_f64();
        }
        let x = f64::from(x);
        let denominator = self.p * x + self.q - 1.0;
        if denominator <= 0.0 {
            return Err(Error::param("q", self.q, "px + q > 1 (the conditional mean spend is infinite)"));
        }
        // p(γ + z̄x)/(px + q − 1), written as two non-negative terms to avoid overflow of z̄x·p.
        Ok(self.p * self.v / denominator + (self.p * x / denominator) * m)
    }

    /// Simulates the spend of customers with the given histories: for each customer
    /// `ν ~ Gamma(q, γ)`; the calibration mean `z̄` of its `x` repeat transactions is drawn as
    /// `Gamma(px, νx)` (the mean of `x` independent `Gamma(p, ν)` values; 0 when `x = 0`), and,
    /// when the summary has a holdout outcome with `x*` purchases, the holdout spend as
    /// `Gamma(px*, ν)` (their sum). Frequency, recency, age and holdout counts are kept.
    /// Deterministic for a seed.
    ///
    /// # Errors
    /// [`Error::Overflow`] when a simulated amount does not fit a [`Decimal`].
    pub fn simulate(&self, customers: &[CustomerSummary], seed: u64) -> Result<Vec<CustomerSummary>> {
        let mut rng = Rng::new(seed);
        customers
            .iter()
            .map(|c| {
                let nu = rng.gamma(self.q, self.v);
                let x = c.frequency();
                let mean = if x == 0 {
                    Decimal::ZERO
                } else {
                    let x = f64::from(x);
                    to_decimal(rng.gamma(self.p * x, nu * x), "a simulated mean spend")?
                };
                let summary = CustomerSummary::new(x, c.recency(), c.age(), mean)?;
                Ok(match c.holdout() {
                    None => summary,
                    Some(h) => {
                        let spend = if h.frequency() == 0 {
                            Decimal::ZERO
                        } else {
                            to_decimal(
                                rng.gamma(self.p * f64::from(h.frequency()), nu),
                                "a simulated holdout spend",
                            )?
                        };
                        summary.with_holdout(HoldoutSummary::new(h.frequency(), spend, h.length())?)
                    }
                })
            })
            .collect()
    }
}

/// A customer's spend as (x, z̄) for the likelihood; `None` when `x = 0`.
fn spend_row(customer: &CustomerSummary) -> Result<Option<[f64; 2]>> {
    let x = customer.frequency();
    if x == 0 {
        return Ok(None);
    }
    let m = decimal_to_f64(customer.monetary_value())?;
    if m <= 0.0 {
        return Err(Error::InvalidSummary {
            customer: String::from("?"),
            reason: format!(
                "monetary value {} must be > 0 when frequency is {x} (Gamma-Gamma spend is positive)",
                customer.monetary_value()
            ),
        });
    }
    Ok(Some([f64::from(x), m]))
}

/// `Decimal → f64`, checked.
pub(crate) fn decimal_to_f64(value: Decimal) -> Result<f64> {
    value.to_f64().filter(|v| v.is_finite()).ok_or(Error::overflow("a monetary value as f64"))
}

/// `f64 → Decimal`, checked (non-finite or out-of-range values are an overflow of `what`).
pub(crate) fn to_decimal(value: f64, what: &'static str) -> Result<Decimal> {
    crate::math::decimal::from_f64(value).ok_or(Error::overflow(what))
}

/// `ln f(z̄ | p, q, γ, x)` of one row `[x, z̄]` (x ≥ 1, z̄ > 0); with `grad`, also its gradient
/// with respect to (p, q, γ).
fn row_log_likelihood(params: &[f64; 3], row: &[f64; 2], grad: Option<&mut [f64; 3]>) -> f64 {
    let terms = CountTerms::new(params, row[0]);
    row_with_terms(params, row, &terms, grad)
}

/// The terms of the likelihood that depend on the parameters and the count `x` only:
/// `ln Γ(px+q) − ln Γ(px) − ln Γ(q)`, `ψ(px+q) − ψ(px)` and `ψ(q+px) − ψ(q)`.
#[derive(Debug, Clone, Copy, Default)]
struct CountTerms {
    ln_ratio: f64,
    psi_p: f64,
    psi_q: f64,
}

impl CountTerms {
    fn new(&[p, q, _]: &[f64; 3], x: f64) -> Self {
        let px = p * x;
        CountTerms {
            ln_ratio: ln_gamma_shift(px, q) - ln_gamma(q),
            psi_p: digamma_shift(px, q),
            psi_q: digamma_shift(q, px),
        }
    }
}

/// [`row_log_likelihood`] given the row's [`CountTerms`]. Written so that the large `px` terms
/// cancel analytically:
/// `ln Γ(px+q) − ln Γ(px) − ln Γ(q) − px ln(1 + γ/(z̄x)) − q ln(1 + z̄x/γ) − ln z̄`.
fn row_with_terms(params: &[f64; 3], row: &[f64; 2], terms: &CountTerms, grad: Option<&mut [f64; 3]>) -> f64 {
    let [p, q, v] = *params;
    let [x, m] = *row;
    let px = p * x;
    let mx = m * x;
    let log_ratio = (v / mx).ln_1p(); // ln((γ + z̄x)/(z̄x))
    let log_total_ratio = (mx / v).ln_1p(); // ln((γ + z̄x)/γ)
    if let Some(g) = grad {
        g[0] = x * (terms.psi_p - log_ratio);
        g[1] = terms.psi_q - log_total_ratio;
        g[2] = q / v - (px + q) / (v + mx);
    }
    terms.ln_ratio - px * log_ratio - q * log_total_ratio - m.ln()
}

/// The likelihood of a fit: [`row_with_terms`] with the [`CountTerms`] of the counts present
/// (up to [`COUNT_TABLE_MAX`]) evaluated once per evaluation rather than once per row; the
/// terms depend on `x` through `px`, so most rows (there are many spend levels per count)
/// share them.
struct Likelihood {
    /// `present[x]`: some row has count `x`.
    present: Vec<bool>,
}

/// The largest count tabulated: larger counts are evaluated per row.
const COUNT_TABLE_MAX: usize = 4096;

impl Likelihood {
    fn new(rows: &Rows<2>) -> Self {
        let mut present = Vec::new();
        for row in &rows.values {
            // Counts are whole numbers (u32 frequencies); `as` saturates.
            let x = row[0] as usize;
            if x < COUNT_TABLE_MAX {
                if present.len() <= x {
                    present.resize(x + 1, false);
                }
                if let Some(slot) = present.get_mut(x) {
                    *slot = true;
                }
            }
        }
        Likelihood { present }
    }
}

impl RowLikelihood<3, 2> for Likelihood {
    type Prepared = Vec<CountTerms>;

    fn prepare(&self, params: &[f64; 3]) -> Self::Prepared {
        self.present
            .iter()
            .enumerate()
            .map(
                |(x, &present)| {
                    if present { CountTerms::new(params, x as f64) } else { CountTerms::default() }
                },
            )
            .collect()
    }

    fn row(&self, table: &Self::Prepared, params: &[f64; 3], row: &[f64; 2], grad: &mut [f64; 3]) -> f64 {
        let terms = table.get(row[0] as usize).copied().unwrap_or_else(|| CountTerms::new(params, row[0]));
        row_with_terms(params, row, &terms, Some(grad))
    }
}

impl Fit for Fitter<GammaGamma> {
    type Row = CustomerSummary;
    type Model = GammaGamma;

    fn fit(&self, rows: &[CustomerSummary]) -> Result<GammaGamma> {
        self.fit_rows(rows, None)
    }

    fn fit_weighted(&self, rows: &[CustomerSummary], weights: &[f64]) -> Result<GammaGamma> {
        self.fit_rows(rows, Some(weights))
    }
}

impl Fitter<GammaGamma> {
    /// The shared body of `fit` and `fit_weighted`.
    fn fit_rows(&self, rows: &[CustomerSummary], weights: Option<&[f64]>) -> Result<GammaGamma> {
        if let Some(w) = weights
            && w.len() != rows.len()
        {
            return Err(Error::Mismatch { what: format!("{} weights for {} rows", w.len(), rows.len()) });
        }
        let mut keyed = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let weight = weights.and_then(|w| w.get(i).copied()).unwrap_or(1.0);
            let value = spend_row(row).map_err(|e| match e {
                Error::InvalidSummary { reason, .. } => {
                    Error::InvalidSummary { customer: format!("row {i}"), reason }
                }
                other => other,
            })?;
            if let Some(value) = value {
                keyed.push((value, weight));
            }
        }
        let rows = Rows::compress(keyed)?;
        if rows.values.is_empty() {
            return Err(Error::NotEnoughData {
                what: "a Gamma-Gamma fit (customers with frequency x >= 1)",
                needed: 1,
                got: 0,
            });
        }
        let likelihood = Likelihood::new(&rows);
        let starts = match self.initial_model() {
            Some(m) => vec![[m.p, m.q, m.v]],
            None => starting_values(&rows),
        };
        let ([p, q, v], report) = maximize(&likelihood, &rows, &starts, self.settings())?;
        Ok(GammaGamma { report: Some(report), ..GammaGamma::new(p, q, v)? })
    }
}

/// Data-driven starts: a few shapes `(p, q)`, each with `γ` matching the population mean
/// `pγ/(q − 1)` to the weighted mean of `z̄`.
fn starting_values(rows: &Rows<2>) -> Vec<[f64; 3]> {
    let total = rows.total_weight();
    let mean = rows.values.iter().zip(&rows.weights).map(|(r, w)| r[1] * w).sum::<f64>() / total;
    [(1.0, 2.0), (5.0, 4.0), (20.0, 10.0), (0.5, 1.5)]
        .iter()
        .map(|&(p, q)| [p, q, mean * (q - 1.0) / p])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::special::digamma;

    fn ll_only(params: &[f64; 3], row: &[f64; 2]) -> f64 {
        row_log_likelihood(params, row, None)
    }

    #[test]
    fn tabulated_counts_match_the_direct_likelihood() {
        let values = vec![[1.0, 22.35], [2.0, 0.5], [7.0, 1e4], [4095.0, 3.0], [4096.0, 3.0], [1e6, 2.0]];
        let rows = Rows { weights: vec![1.0; values.len()], values };
        let likelihood = Likelihood::new(&rows);
        for params in [[6.25, 3.74, 15.44], [0.3, 80.0, 2.0]] {
            let prepared = likelihood.prepare(&params);
            for row in &rows.values {
                let (mut g_table, mut g_direct) = ([0.0; 3], [0.0; 3]);
                let table = likelihood.row(&prepared, &params, row, &mut g_table);
                let direct = row_log_likelihood(&params, row, Some(&mut g_direct));
                assert_eq!(table, direct, "{row:?}");
                assert_eq!(g_table, g_direct, "{row:?}");
            }
        }
    }

    #[test]
    fn gradient_matches_central_differences() {
        for (params, row) in [
            ([6.25, 3.74, 15.44], [2.0, 22.35]),
            ([0.5, 1.2, 3.0], [1.0, 0.7]),
            ([300.0, 0.8, 2000.0], [40.0, 5.5]),
            ([2.0, 500.0, 0.01], [7.0, 1e-5]),
        ] {
            let mut g = [0.0; 3];
            row_log_likelihood(&params, &row, Some(&mut g));
            for j in 0..3 {
                let h = 1e-6 * params[j];
                let (mut up, mut down) = (params, params);
                up[j] += h;
                down[j] -= h;
                let numeric = (ll_only(&up, &row) - ll_only(&down, &row)) / (2.0 * h);
                let scale = numeric.abs().max(1.0 / params[j]);
                assert!(
                    (g[j] - numeric).abs() < 1e-6 * scale,
                    "param {j} at {params:?}, {row:?}: {} vs {numeric}",
                    g[j]
                );
            }
        }
    }

    #[test]
    fn stable_forms_agree_with_direct_ones() {
        for (a, b) in [(100.0, 3.0), (250.5, 0.1), (1e3, 50.0), (120.0, 200.0)] {
            let direct = ln_gamma(a + b) - ln_gamma(a);
            assert!((ln_gamma_shift(a, b) - direct).abs() < 1e-11 * direct.abs().max(1.0), "{a} {b}");
            let direct = digamma(a + b) - digamma(a);
            assert!((digamma_shift(a, b) - direct).abs() < 1e-12, "{a} {b}");
        }
        for (a, b) in [(0.3, 2000.0), (5.0, 1e6), (3.0, 0.5), (1e6, 5.0)] {
            let direct = digamma(a + b) - digamma(a);
            assert!((digamma_shift(a, b) - direct).abs() < 1e-12 * direct.abs().max(1.0));
        }
    }

    #[test]
    fn density_integrates_to_one() {
        // ∫₀^∞ f(z̄ | p, q, γ, x) dz̄ = 1, by the trapezoidal rule on a log grid.
        let params = [2.5, 3.0, 10.0];
        for x in [1.0, 4.0] {
            let (lo, hi, n) = (-12.0_f64, 10.0_f64, 200_000);
            let h = (hi - lo) / f64::from(n);
            let mut total = 0.0;
            for k in 0..=n {
                let u = lo + h * f64::from(k);
                let m = u.exp();
                let w = if k == 0 || k == n { 0.5 } else { 1.0 };
                total += w * (ll_only(&params, &[x, m]).exp() * m) * h;
            }
            assert!((total - 1.0).abs() < 1e-6, "x = {x}: {total}");
        }
    }

    #[test]
    fn send_sync_and_checks() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<GammaGamma>();
        assert_send_sync::<GammaGammaFitter>();
        assert!(GammaGamma::new(0.0, 1.0, 1.0).is_err());
        assert!(GammaGamma::new(1.0, f64::NAN, 1.0).is_err());
        assert!(GammaGamma::new(1.0, 1.0, -1.0).is_err());
        let heavy = GammaGamma::new(2.0, 0.5, 1.0).expect("valid");
        assert!(heavy.mean_spend().is_err());
        let new = CustomerSummary::new(0, 0.0, 5.0, Decimal::ZERO).expect("valid");
        assert!(heavy.conditional_expected_spend(&new).is_err());
        let repeat = CustomerSummary::new(1, 1.0, 5.0, Decimal::TEN).expect("valid");
        // px + q − 1 = 1.5 > 0: finite even though the population mean is not.
        let got = heavy.conditional_expected_spend(&repeat).expect("finite");
        assert_eq!(got.round_dp(6), Decimal::new(14_666_667, 6)); // 2·(1 + 10)/1.5
    }
}
