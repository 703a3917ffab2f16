//! The shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007).

use crate::math::gamma_shift::ln_beta_precise as ln_beta;
use crate::math::random::Rng;
use crate::math::special::digamma;
use crate::models::{Fit, FitReport, Fitter, Rows, check_positive, maximize};
use crate::serde_checked::checked_serde;
use crate::{Error, Result};

checked_serde! {
    /// One acquisition cohort of a contractual business: how many of its customers were still
    /// active at the start of each period `0, 1, …, n`.
    ///
    /// `active[0]` is the number acquired; the counts never increase. The customers lost in
    /// period `t` (1 ≤ t ≤ n) are `active[t − 1] − active[t]` (the paper's n_t); the
    /// `active[n]` still active after the last observed period are right-censored.
    ///
    /// ```
    /// use customer_metrics::Cohort;
    ///
    /// // The "Regular" cohort of Fader & Hardie (2007), Table 1, years 0..=7.
    /// let regular = Cohort::new(vec![1000, 631, 468, 382, 326, 289, 262, 241])?;
    /// assert_eq!((regular.acquired(), regular.periods(), regular.lost(1)), (1000, 7, Some(369)));
    /// assert!(Cohort::new(vec![1000, 1100]).is_err()); // counts may not increase
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Cohort {
        active: Vec<u64>,
    }
    check = |c| Cohort::new(c.active)
}

impl Cohort {
    /// A checked cohort from the counts active at the start of periods `0..=n`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `active` when it is empty, when the first count
    /// (the number acquired) is 0, or when a count exceeds the one before it.
    pub fn new(active: Vec<u64>) -> Result<Self> {
        match active.first() {
            None => return Err(Error::param("active", "[]", "at least the number acquired (period 0)")),
            Some(0) => return Err(Error::param("active", 0, "a cohort of at least 1 customer acquired")),
            Some(_) => {}
        }
        if let Some(w) = active.windows(2).find(|w| w[1] > w[0]) {
            return Err(Error::param(
                "active",
                format!("{} then {}", w[0], w[1]),
                "non-increasing survivor counts",
            ));
        }
        Ok(Cohort { active })
    }

    /// The counts active at the start of periods `0..=n`.
    #[must_use]
    pub fn active(&self) -> &[u64] {
        &self.active
    }

    /// The number acquired (active at the start of period 0).
    #[must_use]
    pub fn acquired(&self) -> u64 {
        self.active.first().copied().unwrap_or(0)
    }

    /// The number of observed periods `n` (the counts cover periods `0..=n`).
    #[must_use]
    pub fn periods(&self) -> u32 {
        u32::try_from(self.active.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// The customers lost in period `t` (n_t), for `1 ≤ t ≤ n`; `None` otherwise.
    #[must_use]
    pub fn lost(&self, t: u32) -> Option<u64> {
        let t = usize::try_from(t).ok()?;
        if t == 0 {
            return None;
        }
        Some(self.active.get(t - 1)? - self.active.get(t)?)
    }

    /// The customers still active after the last observed period (right-censored).
    #[must_use]
    pub fn survivors(&self) -> u64 {
        self.active.last().copied().unwrap_or(0)
    }

    /// The same cohort observed only for its first `periods` periods (for a calibration /
    /// holdout split: `first_periods(7)` keeps the counts of periods `0..=7`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `periods` when it exceeds [`Cohort::periods`].
    pub fn first_periods(&self, periods: u32) -> Result<Cohort> {
        if periods > self.periods() {
            return Err(Error::param("periods", periods, "at most the cohort's observed periods"));
        }
        let end = usize::try_from(periods).map_err(|_| Error::overflow("cohort periods"))? + 1;
        Ok(Cohort { active: self.active.iter().take(end).copied().collect() })
    }
}

checked_serde! {
    /// A fitted shifted-beta-geometric model (Fader & Hardie 2007, "How to Project Customer
    /// Retention," *Journal of Interactive Marketing* 21(1):76-90).
    ///
    /// Each customer renews at the end of every contract period with a constant probability
    /// `1 − θ`, so the period T ∈ {1, 2, …} in which the customer leaves is (shifted) geometric;
    /// θ ~ Beta(α, β) across customers. Then
    ///
    /// * churn pmf P(T = t) = B(α + 1, β + t − 1) / B(α, β),
    /// * survival S(t) = P(T > t) = B(α, β + t) / B(α, β),
    /// * retention rate r_t = S(t)/S(t − 1) = (β + t − 1)/(α + β + t − 1), rising with t (the
    ///   sorting effect of heterogeneity).
    ///
    /// The fit maximises Σ_t n_t ln P(T = t) + (survivors) ln S(n) over one or several
    /// [`Cohort`]s ([`SbgFitter`]). Discounted lifetime value follows Fader & Hardie (2010),
    /// "Customer-Base Valuation in a Contractual Setting: The Perils of Ignoring
    /// Heterogeneity," *Marketing Science* 29(1):85-93: see [`Sbg::del`] and [`Sbg::derl`].
    ///
    /// | field | paper |
    /// |---|---|
    /// | `alpha` | α |
    /// | `beta` | β |
    ///
    /// ```
    /// use customer_metrics::Sbg;
    ///
    /// // "High End" segment, Fader & Hardie (2007): α = 0.668, β = 3.806.
    /// let high_end = Sbg::new(0.668, 3.806)?;
    /// assert!((high_end.survival(8) - 0.4605).abs() < 5e-5); // projected share active in year 8
    /// assert!((high_end.retention_rate(1)? - 0.8507).abs() < 5e-5);
    /// assert!((high_end.del(0.10)? - 5.922596).abs() < 1e-6);
    /// assert!((high_end.derl(0.10, 7)? - 7.529950).abs() < 1e-6); // after 7 renewals
    /// assert_eq!(high_end.expected_lifetime(), None); // α ≤ 1: E[T] is infinite
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct Sbg {
        alpha: f64,
        beta: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<FitReport>,
    }
    check = |m| Ok(Sbg { report: m.report, ..Sbg::new(m.alpha, m.beta)? })
}

/// Fits an [`Sbg`] to [`Cohort`]s by maximum likelihood.
///
/// ```
/// use customer_metrics::{Cohort, Fit, SbgFitter};
///
/// // Fader & Hardie (2007): years 1..7 of the "Regular" cohort give α = 0.704, β = 1.182.
/// let regular = Cohort::new(vec![1000, 631, 468, 382, 326, 289, 262, 241])?;
/// let model = SbgFitter::new().fit(&[regular])?;
/// assert!((model.alpha() - 0.704).abs() < 5e-4 && (model.beta() - 1.182).abs() < 5e-4);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
pub type SbgFitter = Fitter<Sbg>;

impl Sbg {
    /// A model with the given parameters (for example published estimates).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `alpha` or `beta` unless it is finite and `> 0`.
    pub fn new(alpha: f64, beta: f64) -> Result<Self> {
        Ok(Sbg { alpha: check_positive("alpha", alpha)?, beta: check_positive("beta", beta)?, report: None })
    }

    /// α, the first shape parameter of the Beta distribution of the churn probability θ.
    #[must_use]
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// β, the second shape parameter of the Beta distribution of θ.
    #[must_use]
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// How the fit went; `None` for a model built with [`Sbg::new`].
    #[must_use]
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    /// ln P(T = t) = ln B(α + 1, β + t − 1) − ln B(α, β) for `t ≥ 1`; `−∞` for `t = 0`.
    fn ln_churn(&self, t: u32) -> f64 {
        if t == 0 {
            return f64::NEG_INFINITY;
        }
        let t = f64::from(t);
        ln_beta(self.alpha + 1.0, self.beta + t - 1.0) - ln_beta(self.alpha, self.beta)
    }

    /// ln S(t) = ln B(α, β + t) − ln B(α, β).
    fn ln_survival(&self, t: u32) -> f64 {
        if t == 0 {
            return 0.0;
        }
        ln_beta(self.alpha, self.beta + f64::from(t)) - ln_beta(self.alpha, self.beta)
    }

    /// The churn pmf P(T = t): the probability that a new customer leaves in period `t`
    /// (0 for `t = 0`: every customer stays for at least one period).
    #[must_use]
    pub fn churn_probability(&self, t: u32) -> f64 {
        self.ln_churn(t).exp().clamp(0.0, 1.0)
    }

    /// The survival function S(t) = P(T > t): the share of a cohort still active at the start
    /// of period `t` (S(0) = 1).
    #[must_use]
    pub fn survival(&self, t: u32) -> f64 {
        self.ln_survival(t).exp().clamp(0.0, 1.0)
    }

    /// The retention rate of period `t`, r_t = S(t)/S(t − 1) = (β + t − 1)/(α + β + t − 1).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `t` when it is 0 (retention is defined from period 1).
    pub fn retention_rate(&self, t: u32) -> Result<f64> {
        if t == 0 {
            return Err(Error::param("t", t, "a period >= 1"));
        }
        let b = self.beta + f64::from(t) - 1.0;
        Ok(b / (self.alpha + b))
    }

    /// The expected lifetime E\[T\] = E\[1/θ\] = (α + β − 1)/(α − 1) in periods, which is finite
    /// only for α > 1: `None` when α ≤ 1 (then E\[T\] = ∞; use the discounted [`Sbg::del`]).
    #[must_use]
    pub fn expected_lifetime(&self) -> Option<f64> {
        (self.alpha > 1.0).then(|| (self.alpha + self.beta - 1.0) / (self.alpha - 1.0))
    }

    /// The expected active customers of a cohort of `acquired` at the start of periods
    /// `0..=periods`: `acquired · S(t)`.
    #[must_use]
    pub fn projected_survivors(&self, acquired: u64, periods: u32) -> Vec<f64> {
        let n = acquired as f64;
        (0..=periods).map(|t| n * self.survival(t)).collect()
    }

    /// Discounted expected lifetime, DEL(d) = Σ_{t≥0} S(t)/(1 + d)^t
    /// = ₂F₁(1, β; α + β; 1/(1 + d)) (Fader & Hardie 2010, Eq. 4), for a new customer whose
    /// margin `m` is received at the start of every period: E(CLV) = m · DEL.
    ///
    /// Summed with the recursion S(t) = S(t − 1)(β + t − 1)/(α + β + t − 1) until the
    /// geometric bound on the remainder is below 1e-16 of the sum (about 37/ln(1 + d) terms).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `discount_rate` unless `d` is finite and `> 0`, or
    /// when it is so small (below about 4e-6) that the series needs more than 10⁷ terms.
    pub fn del(&self, d: f64) -> Result<f64> {
        discounted_ratio_series(1.0, self.beta, self.alpha, d)
    }

    /// Discounted expected residual lifetime of a customer who has made `renewals` renewals
    /// (Fader & Hardie 2010, Eq. 6), valued just before the next renewal payment (counted
    /// undiscounted):
    ///
    /// DERL = Σ_{t≥n} [S(t)/S(n − 1)]·(1 + d)^{−(t−n)}
    ///      = [(β + n − 1)/(α + β + n − 1)] · ₂F₁(1, β + n; α + β + n; 1/(1 + d)).
    ///
    /// **Convention:** `renewals` is FH's `n − 1` (a customer in their n-th period has made
    /// n − 1 renewals; jdmaturen's `derl` uses the same count). `derl(d, 0)` = (1 + d)(DEL − 1).
    ///
    /// # Errors
    /// As [`Sbg::del`].
    pub fn derl(&self, d: f64, renewals: u32) -> Result<f64> {
        let b = self.beta + f64::from(renewals);
        discounted_ratio_series(b / (self.alpha + b), b + 1.0, self.alpha, d)
    }

    /// Simulates a cohort of `customers` over `periods` periods: for each customer θ ~ Beta(α,
    /// β), then a geometric lifetime (leave at the end of each period with probability θ).
    /// Deterministic for a `seed`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `customers` when it is 0.
    pub fn simulate(&self, customers: u64, periods: u32, seed: u64) -> Result<Cohort> {
        if customers == 0 {
            return Err(Error::param("customers", 0, "at least 1 customer"));
        }
        let len = usize::try_from(periods).map_err(|_| Error::overflow("simulated periods"))? + 1;
        // active[t] counts customers with T > t; a lifetime capped at periods + 1 is enough.
        let mut ends = vec![0u64; len + 1];
        let mut rng = Rng::new(seed);
        for _ in 0..customers {
            let theta = rng.beta(self.alpha, self.beta);
            let lifetime = geometric_lifetime(&mut rng, theta, periods.saturating_add(1));
            let slot = usize::try_from(lifetime).map_err(|_| Error::overflow("simulated lifetime"))?;
            if let Some(c) = ends.get_mut(slot.min(len)) {
                *c += 1;
            }
        }
        // active[t] = number with lifetime > t.
        let mut active = vec![0u64; len];
        let mut remaining = customers;
        for (t, a) in active.iter_mut().enumerate() {
            remaining -= ends.get(t).copied().unwrap_or(0);
            *a = remaining;
        }
        Cohort::new(active)
    }
}

/// A shifted-geometric lifetime T ∈ {1, 2, …} with churn probability `theta` per period,
/// capped at `cap`.
fn geometric_lifetime(rng: &mut Rng, theta: f64, cap: u32) -> u32 {
    if theta >= 1.0 {
        return 1;
    }
    let log_keep = (-theta).ln_1p();
    if log_keep == 0.0 {
        return cap;
    }
    // P(T > t) = (1 − θ)^t: T = ⌈ln U / ln(1 − θ)⌉ (U in (0, 1], so T ≥ 1 after the max).
    let u = 1.0 - rng.uniform();
    let t = (u.ln() / log_keep).ceil().max(1.0);
    if t >= f64::from(cap) { cap } else { t as u32 }
}

/// The most terms a discounted series may take before it is declared too slow to converge.
const MAX_SERIES_TERMS: u64 = 10_000_000;

/// Relative size of the neglected remainder at which a discounted series stops.
const SERIES_TOLERANCE: f64 = 1e-16;

/// `Σ_{j≥0} u_j z^j` with `z = 1/(1 + d)`, `u_0 = first` and
/// `u_j = u_{j−1} · z · (c + j − 1)/(c + a + j − 1)` for `j ≥ 1` (ratios in (0, 1), so the terms
/// fall at least as fast as `z^j`). The sum stops when the geometric bound on the remainder,
/// `term · z/(1 − z)`, is below [`SERIES_TOLERANCE`] of the sum.
///
/// DEL is `first = 1, c = β, a = α`; the BG/BB DERT series has the same form.
pub(crate) fn discounted_ratio_series(first: f64, c: f64, a: f64, d: f64) -> Result<f64> {
    if !(d.is_finite() && d > 0.0) {
        return Err(Error::param("discount_rate", d, "a finite discount rate per period > 0"));
    }
    let z = 1.0 / (1.0 + d);
    // z/(1 − z) = 1/d.
    let tail = 1.0 / d;
    let mut term = first;
    let mut sum = first;
    let mut j = 1u64;
    while term * tail > SERIES_TOLERANCE * sum {
        if j > MAX_SERIES_TERMS {
            return Err(Error::param(
                "discount_rate",
                d,
                "a rate large enough for the series to converge in 1e7 terms (about d > 4e-6)",
            ));
        }
        let k = c + j as f64 - 1.0;
        term *= z * k / (k + a);
        sum += term;
        j += 1;
    }
    Ok(sum)
}

/// ln-likelihood of one row `[t, censored]`: `ln P(T = t)` (censored = 0) or `ln S(t)`
/// (censored = 1), with the gradient with respect to (α, β).
fn row_log_likelihood(p: &[f64; 2], row: &[f64; 2], g: &mut [f64; 2]) -> f64 {
    let (a, b) = (p[0], p[1]);
    let t = row[0];
    let psi_ab = digamma(a + b);
    let psi_b = digamma(b);
    if row[1] == 0.0 {
        // ln B(α + 1, β + t − 1) − ln B(α, β); ψ(α + 1) − ψ(α) = 1/α.
        let psi_end = digamma(a + b + t);
        g[0] = 1.0 / a - psi_end + psi_ab;
        g[1] = digamma(b + t - 1.0) - psi_b - psi_end + psi_ab;
        ln_beta(a + 1.0, b + t - 1.0) - ln_beta(a, b)
    } else {
        let psi_end = digamma(a + b + t);
        g[0] = psi_ab - psi_end;
        g[1] = digamma(b + t) - psi_b - psi_end + psi_ab;
        ln_beta(a, b + t) - ln_beta(a, b)
    }
}

impl Fitter<Sbg> {
    /// The rows `[t, censored]` of the cohorts, weighted by the customer counts.
    fn rows(cohorts: &[Cohort], weights: Option<&[f64]>) -> Result<Rows<2>> {
        if let Some(w) = weights
            && w.len() != cohorts.len()
        {
            return Err(Error::Mismatch {
                what: format!("{} weights for {} cohorts", w.len(), cohorts.len()),
            });
        }
        let mut rows = Vec::new();
        for (i, cohort) in cohorts.iter().enumerate() {
            let w = weights.and_then(|w| w.get(i).copied()).unwrap_or(1.0);
            if !(w.is_finite() && w >= 0.0) {
                return Err(Error::param("weight", w, "a finite number >= 0"));
            }
            for t in 1..=cohort.periods() {
                let lost = cohort.lost(t).unwrap_or(0);
                rows.push(([f64::from(t), 0.0], w * lost as f64));
            }
            if cohort.periods() > 0 {
                rows.push(([f64::from(cohort.periods()), 1.0], w * cohort.survivors() as f64));
            }
        }
        Rows::compress(rows)
    }

    fn fit_rows(&self, rows: &Rows<2>) -> Result<Sbg> {
        // Without a single customer lost, the likelihood rises towards α → 0: no finite MLE.
        let lost = rows.values.iter().zip(&rows.weights).filter(|(v, _)| v[1] == 0.0).count();
        if lost == 0 {
            return Err(Error::NotEnoughData { what: "an sBG fit (customers lost)", needed: 1, got: 0 });
        }
        let mut starts = Vec::new();
        if let Some(m) = self.initial_model() {
            starts.push([m.alpha, m.beta]);
        }
        // Data-driven: the first-period churn share is α/(α + β); try a few concentrations.
        let total = rows.total_weight();
        let lost_first: f64 = rows
            .values
            .iter()
            .zip(&rows.weights)
            .filter(|(v, _)| v[0] == 1.0 && v[1] == 0.0)
            .map(|(_, w)| *w)
            .sum();
        let share = ((lost_first + 0.5) / (total + 1.0)).clamp(0.01, 0.99);
        for concentration in [2.0, 0.5, 10.0] {
            starts.push([share * concentration, (1.0 - share) * concentration]);
        }
        starts.push([1.0, 1.0]);
        let (p, report) = maximize(&row_log_likelihood, rows, &starts, self.settings())?;
        Ok(Sbg { report: Some(report), ..Sbg::new(p[0], p[1])? })
    }
}

impl Fit for Fitter<Sbg> {
    type Row = Cohort;
    type Model = Sbg;

    /// Fits α and β to the cohorts' churn counts, the survivors after each cohort's last
    /// period right-censored. [`Error::NotEnoughData`] when no customer was lost (no finite
    /// estimate exists).
    fn fit(&self, rows: &[Cohort]) -> Result<Sbg> {
        self.fit_rows(&Self::rows(rows, None)?)
    }

    /// As [`Fit::fit`], each cohort's counts multiplied by its weight.
    fn fit_weighted(&self, rows: &[Cohort], weights: &[f64]) -> Result<Sbg> {
        self.fit_rows(&Self::rows(rows, Some(weights))?)
    }
}

impl Sbg {
    /// The log-likelihood of a cohort: Σ_{t=1}^{n} n_t ln P(T = t) + (survivors) ln S(n).
    #[must_use]
    pub fn log_likelihood(&self, cohort: &Cohort) -> f64 {
        let n = cohort.periods();
        let mut ll = 0.0;
        for t in 1..=n {
            let lost = cohort.lost(t).unwrap_or(0);
            if lost > 0 {
                ll += lost as f64 * self.ln_churn(t);
            }
        }
        let survivors = cohort.survivors();
        if survivors > 0 && n > 0 {
            ll += survivors as f64 * self.ln_survival(n);
        }
        ll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regular() -> Cohort {
        Cohort::new(vec![1000, 631, 468, 382, 326, 289, 262, 241]).expect("valid")
    }

    #[test]
    fn gradient_matches_central_differences() {
        for row in [[1.0, 0.0], [5.0, 0.0], [7.0, 1.0], [300.0, 1.0]] {
            for p in [[0.704, 1.182], [0.01, 50.0], [20.0, 0.3]] {
                let mut g = [0.0; 2];
                row_log_likelihood(&p, &row, &mut g);
                for j in 0..2 {
                    let h = 1e-5 * p[j];
                    let (mut up, mut dn) = (p, p);
                    up[j] += h;
                    dn[j] -= h;
                    let mut scratch = [0.0; 2];
                    let fd = (row_log_likelihood(&up, &row, &mut scratch)
                        - row_log_likelihood(&dn, &row, &mut scratch))
                        / (2.0 * h);
                    assert!(
                        (fd - g[j]).abs() < 1e-6 * (1.0 + g[j].abs()),
                        "{row:?} {p:?} {j}: {fd} vs {}",
                        g[j]
                    );
                }
            }
        }
    }

    #[test]
    fn pmf_sums_with_survival() {
        let m = Sbg::new(0.704, 1.182).expect("valid");
        let mut s = 1.0;
        for t in 1..50 {
            s -= m.churn_probability(t);
            assert!((s - m.survival(t)).abs() < 1e-12);
            let r = m.retention_rate(t).expect("t >= 1");
            assert!((m.survival(t) / m.survival(t - 1) - r).abs() < 1e-12);
        }
        assert_eq!(m.churn_probability(0), 0.0);
        assert!(m.retention_rate(0).is_err());
    }

    #[test]
    fn del_identity_and_brute_force() {
        let m = Sbg::new(0.668, 3.806).expect("valid");
        let d = 0.1;
        let del = m.del(d).expect("converges");
        let brute: f64 = (0..2000).map(|t| m.survival(t) / (1.0 + d).powi(t as i32)).sum();
        assert!((del - brute).abs() < 1e-12, "{del} {brute}");
        let derl0 = m.derl(d, 0).expect("converges");
        assert!((derl0 - (1.0 + d) * (del - 1.0)).abs() < 1e-12);
        assert!(m.del(0.0).is_err() && m.del(f64::NAN).is_err());
    }

    #[test]
    fn fit_regular_and_bad_input() {
        let m = SbgFitter::new().fit(&[regular()]).expect("converges");
        assert!((m.alpha() - 0.704077).abs() < 1e-5 && (m.beta() - 1.182043).abs() < 1e-5, "{m:?}");
        assert!(Cohort::new(vec![]).is_err() && Cohort::new(vec![0]).is_err());
        assert!(SbgFitter::new().fit_weighted(&[regular()], &[1.0, 2.0]).is_err());
    }

    #[test]
    fn simulate_is_deterministic_and_consistent() {
        let m = Sbg::new(1.5, 3.0).expect("valid");
        let a = m.simulate(5000, 10, 7).expect("valid");
        assert_eq!(a, m.simulate(5000, 10, 7).expect("valid"));
        assert_eq!((a.acquired(), a.periods()), (5000, 10));
        let share = a.active()[1] as f64 / 5000.0;
        assert!((share - m.survival(1)).abs() < 0.03, "{share}");
    }
}
