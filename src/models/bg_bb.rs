//! The beta-geometric/beta-Bernoulli (BG/BB) model of discrete-time non-contractual purchasing
//! (Fader, Hardie & Shang 2010).

use crate::math::gamma_shift::{ln_beta_precise as ln_beta, ln_gamma_shift};
use crate::math::random::Rng;
use crate::math::special::{digamma, ln_gamma};
use crate::models::sbg::discounted_ratio_series;
use crate::models::{Fit, FitReport, Fitter, Rows, check_positive, maximize};
use crate::serde_checked::checked_serde;
use crate::summary::CustomerSummary;
use crate::{Error, Result};

checked_serde! {
    /// One customer's history of `n` discrete transaction opportunities, reduced to what the
    /// BG/BB model needs.
    ///
    /// | field | paper | meaning |
    /// |---|---|---|
    /// | `frequency` | x | opportunities (after the first purchase) at which the customer transacted |
    /// | `recency` | t_x | the last opportunity with a transaction (0 when x = 0) |
    /// | `opportunities` | n | the number of opportunities observed |
    ///
    /// Checked: `x ≤ t_x ≤ n`, and `t_x = 0` when `x = 0`. Deserialising runs the same checks.
    ///
    /// ```
    /// use customer_metrics::BgBbCustomer;
    ///
    /// // A donor who gave in 3 of the 6 years 1996-2001, the last time in 2000 (year 5).
    /// let donor = BgBbCustomer::new(3, 5, 6)?;
    /// assert_eq!(donor, BgBbCustomer::from_history(&[true, false, true, false, true, false])?);
    /// assert!(BgBbCustomer::new(3, 2, 6).is_err()); // 3 transactions need 3 opportunities
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct BgBbCustomer {
        frequency: u32,
        recency: u32,
        opportunities: u32,
    }
    check = |c| BgBbCustomer::new(c.frequency, c.recency, c.opportunities)
}

impl BgBbCustomer {
    /// A checked row: `frequency` x, `recency` t_x, `opportunities` n.
    ///
    /// # Errors
    /// [`Error::InvalidSummary`] unless `x ≤ t_x ≤ n` and (`x = 0` ⇒ `t_x = 0`).
    pub fn new(frequency: u32, recency: u32, opportunities: u32) -> Result<Self> {
        let invalid = |reason: String| Err(Error::InvalidSummary { customer: String::from("?"), reason });
        if recency > opportunities {
            return invalid(format!("recency {recency} exceeds the {opportunities} opportunities"));
        }
        if frequency > recency {
            return invalid(format!(
                "frequency {frequency} exceeds recency {recency} (one transaction per opportunity)"
            ));
        }
        if frequency == 0 && recency != 0 {
            return invalid(format!("recency {recency} must be 0 when frequency is 0"));
        }
        Ok(BgBbCustomer { frequency, recency, opportunities })
    }

    /// The row of a 0/1 history: `history[i]` says whether the customer transacted at
    /// opportunity `i + 1`.
    ///
    /// # Errors
    /// [`Error::Overflow`] when the history has more than `u32::MAX` opportunities.
    pub fn from_history(history: &[bool]) -> Result<Self> {
        let n = u32::try_from(history.len()).map_err(|_| Error::overflow("opportunities"))?;
        let x = history.iter().filter(|b| **b).count();
        let x = u32::try_from(x).map_err(|_| Error::overflow("frequency"))?;
        let t_x = history.iter().rposition(|b| *b).map_or(Ok(0), |i| u32::try_from(i + 1));
        let t_x = t_x.map_err(|_| Error::overflow("recency"))?;
        BgBbCustomer::new(x, t_x, n)
    }

    /// x: the number of opportunities with a transaction.
    #[must_use]
    pub fn frequency(&self) -> u32 {
        self.frequency
    }

    /// t_x: the last opportunity with a transaction (0 when there was none).
    #[must_use]
    pub fn recency(&self) -> u32 {
        self.recency
    }

    /// n: the number of opportunities observed.
    #[must_use]
    pub fn opportunities(&self) -> u32 {
        self.opportunities
    }
}

impl TryFrom<&CustomerSummary> for BgBbCustomer {
    type Error = Error;

    /// A [`CustomerSummary`] built with one period per transaction opportunity (recency and age
    /// whole numbers of periods): x = frequency, t_x = recency, n = age.
    ///
    /// # Errors
    /// [`Error::InvalidSummary`] when recency or age is not a whole number that fits `u32`,
    /// or the row fails [`BgBbCustomer::new`] (more transactions than opportunities).
    fn try_from(summary: &CustomerSummary) -> Result<Self> {
        let whole = |what: &str, v: f64| -> Result<u32> {
            if v.fract() == 0.0 && v >= 0.0 && v <= f64::from(u32::MAX) {
                Ok(v as u32)
            } else {
                Err(Error::InvalidSummary {
                    customer: String::from("?"),
                    reason: format!("{what} {v} is not a whole number of opportunities"),
                })
            }
        };
        BgBbCustomer::new(
            summary.frequency(),
            whole("recency", summary.recency())?,
            whole("age", summary.age())?,
        )
    }
}

checked_serde! {
    /// A fitted BG/BB model (Fader, Hardie & Shang 2010, "Customer-Base Analysis in a
    /// Discrete-Time Noncontractual Setting," *Marketing Science* 29(6):1086-1108).
    ///
    /// At each of `n` discrete opportunities a customer who is still alive transacts with
    /// probability `p`; before each opportunity the customer "dies" with probability `θ`
    /// (so P(alive at opportunity t) = (1 − θ)^t). Across customers p ~ Beta(α, β) and
    /// θ ~ Beta(γ, δ), independent. For a row (x, t_x, n) ([`BgBbCustomer`]):
    ///
    /// L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
    ///   + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ),
    ///
    /// evaluated in log space (log-sum-exp over the terms). Fitted with [`BgBbFitter`].
    ///
    /// | field | paper |
    /// |---|---|
    /// | `alpha`, `beta` | α, β: the Beta distribution of the transaction probability p |
    /// | `gamma`, `delta` | γ, δ: the Beta distribution of the dropout probability θ |
    ///
    /// ```
    /// use customer_metrics::{BgBb, BgBbCustomer};
    ///
    /// // The fit to the 1995 donor cohort (FHS 2010, published as α = 1.204, β = 0.750,
    /// // γ = 0.657, δ = 2.783), over n = 6 annual opportunities, at full precision.
    /// let model = BgBb::new(1.203522, 0.749716, 0.656718, 2.783442)?;
    /// // Expected number of the 11,104 donors with no repeat donation in 1996-2001: 3454.9
    /// // (Hardie's spreadsheet).
    /// assert!((11_104.0 * model.probability_of_transactions(0, 6) - 3454.9).abs() < 0.05);
    /// let donor = BgBbCustomer::new(4, 6, 6)?;
    /// let alive = model.probability_alive(&donor); // P(alive in 2002)
    /// let next5 = model.conditional_expected_transactions(&donor, 5); // 2002-2006
    /// assert!(alive > 0.0 && alive < 1.0 && next5 > 0.0);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct BgBb {
        alpha: f64,
        beta: f64,
        gamma: f64,
        delta: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<FitReport>,
    }
    check = |m| Ok(BgBb { report: m.report, ..BgBb::new(m.alpha, m.beta, m.gamma, m.delta)? })
}

/// Fits a [`BgBb`] to [`BgBbCustomer`] rows by maximum likelihood; `fit_weighted` takes the
/// counts of a recency/frequency table.
///
/// ```
/// use customer_metrics::{BgBbCustomer, BgBbFitter, Fit};
///
/// // The donations recency/frequency table of FHS (2010): (x, t_x, n = 6) and the donor count.
/// let cells = [
///     (0, 0, 3464.0), (1, 1, 1091.0), (1, 2, 277.0), (1, 3, 129.0), (1, 4, 78.0), (1, 5, 119.0),
///     (1, 6, 129.0), (2, 2, 613.0), (2, 3, 255.0), (2, 4, 155.0), (2, 5, 173.0), (2, 6, 234.0),
///     (3, 3, 322.0), (3, 4, 181.0), (3, 5, 225.0), (3, 6, 357.0), (4, 4, 240.0), (4, 5, 284.0),
///     (4, 6, 512.0), (5, 5, 335.0), (5, 6, 728.0), (6, 6, 1203.0),
/// ];
/// let rows: Vec<BgBbCustomer> =
///     cells.iter().map(|&(x, t, _)| BgBbCustomer::new(x, t, 6)).collect::<Result<_, _>>()?;
/// let weights: Vec<f64> = cells.iter().map(|c| c.2).collect();
/// let model = BgBbFitter::new().fit_weighted(&rows, &weights)?;
/// assert!((model.alpha() - 1.204).abs() < 1e-3 && (model.delta() - 2.783).abs() < 1e-3);
/// assert!((model.report().map_or(0.0, |r| r.log_likelihood) + 33_225.58).abs() < 0.01);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
pub type BgBbFitter = Fitter<BgBb>;

/// Beyond this many terms, a partial sum Σ_k B(γ, δ+m+k)/B(γ,δ) uses its closed form instead
/// of the term recursion (whose rounding grows like the number of terms, 1e-10 at 10⁶).
const DIRECT_SUM_LIMIT: u32 = 1_000_000;

/// Rows reserved up front by the simulators; more are allocated as they are produced, so a
/// huge request costs memory only as rows are made and never overflows a capacity computation.
const PREALLOCATE: usize = 1 << 16;

/// A one-pass log-sum-exp of terms `e^{v_i}` with an attached weighted sum of per-term vectors
/// `Σ_i e^{v_i} g_i` (the gradient of the sum), both kept relative to the largest term so far:
/// no allocation, no overflow, whatever the number of terms.
#[derive(Debug, Clone, Copy)]
struct LogSum<const K: usize> {
    max: f64,
    sum: f64,
    acc: [f64; K],
}

impl<const K: usize> LogSum<K> {
    fn new() -> Self {
        LogSum { max: f64::NEG_INFINITY, sum: 0.0, acc: [0.0; K] }
    }

    /// Adds the term `e^v` with vector `g`.
    fn add(&mut self, v: f64, g: &[f64; K]) {
        if v.is_nan() || v == f64::NEG_INFINITY {
            return;
        }
        if v > self.max {
            let scale = (self.max - v).exp();
            self.sum = self.sum * scale + 1.0;
            for (a, gi) in self.acc.iter_mut().zip(g) {
                *a = *a * scale + gi;
            }
            self.max = v;
        } else {
            let w = (v - self.max).exp();
            self.sum += w;
            for (a, gi) in self.acc.iter_mut().zip(g) {
                *a += w * gi;
            }
        }
    }

    /// `ln Σ e^{v_i}` (−∞ without terms).
    fn ln(&self) -> f64 {
        if self.sum > 0.0 { self.max + self.sum.ln() } else { f64::NEG_INFINITY }
    }

    /// `Σ e^{v_i} g_i / Σ e^{v_i}`: the gradient of `ln Σ e^{v_i}` when `g_i = ∇v_i`.
    fn weighted_mean(&self) -> [f64; K] {
        let mut out = self.acc;
        if self.sum > 0.0 {
            for o in &mut out {
                *o /= self.sum;
            }
        }
        out
    }
}

/// ln C(n, k).
fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// The log-likelihood of one row `[x, t_x, n]` at `[α, β, γ, δ]`; writes its gradient into
/// `grad` when given.
fn row_log_likelihood(p: &[f64; 4], row: &[f64; 3], grad: Option<&mut [f64; 4]>) -> f64 {
    let [a, b, g, d] = *p;
    let [x, t_x, n] = *row;
    let ln_bab = ln_beta(a, b);
    let ln_bgd = ln_beta(g, d);
    let extra = (n - t_x) as u64;
    let alive = ln_beta(a + x, b + n - x) - ln_bab + ln_beta(g, d + n) - ln_bgd;
    let dead = |s: f64| ln_beta(a + x, b + s - x) - ln_bab + ln_beta(g + 1.0, d + s) - ln_bgd;
    let Some(grad) = grad else {
        let mut sum = LogSum::<0>::new();
        sum.add(alive, &[]);
        for i in 0..extra {
            sum.add(dead(t_x + i as f64), &[]);
        }
        return sum.ln();
    };
    let (psi_ab, psi_gd) = (digamma(a + b), digamma(g + d));
    let common_a = digamma(a + x) - digamma(a) + psi_ab;
    let (psi_b, psi_d) = (digamma(b), digamma(d));
    let mut sum = LogSum::<4>::new();
    // Alive through n: ∇ of ln B(α+x, β+n−x) − ln B(α,β) + ln B(γ, δ+n) − ln B(γ,δ).
    let (psi_abn, psi_gdn) = (digamma(a + b + n), digamma(g + d + n));
    sum.add(
        alive,
        &[
            common_a - psi_abn,
            digamma(b + n - x) - psi_abn - psi_b + psi_ab,
            psi_gd - psi_gdn,
            digamma(d + n) - psi_gdn - psi_d + psi_gd,
        ],
    );
    // Died just before opportunity s + 1 (s = t_x + i): ψ(γ+1) − ψ(γ) = 1/γ.
    for i in 0..extra {
        let s = t_x + i as f64;
        let psi_abs = digamma(a + b + s);
        let psi_end = digamma(g + d + s + 1.0);
        sum.add(
            dead(s),
            &[
                common_a - psi_abs,
                digamma(b + s - x) - psi_abs - psi_b + psi_ab,
                1.0 / g - psi_end + psi_gd,
                digamma(d + s) - psi_end - psi_d + psi_gd,
            ],
        );
    }
    *grad = sum.weighted_mean();
    sum.ln()
}

fn row_of(c: &BgBbCustomer) -> [f64; 3] {
    [f64::from(c.frequency), f64::from(c.recency), f64::from(c.opportunities)]
}

impl BgBb {
    /// A model with the given parameters (for example published estimates).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first of `alpha`, `beta`, `gamma`, `delta` that
    /// is not finite and `> 0`.
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self> {
        Ok(BgBb {
            alpha: check_positive("alpha", alpha)?,
            beta: check_positive("beta", beta)?,
            gamma: check_positive("gamma", gamma)?,
            delta: check_positive("delta", delta)?,
            report: None,
        })
    }

    /// α: with β, the Beta distribution of the transaction probability p.
    #[must_use]
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// β: with α, the Beta distribution of the transaction probability p.
    #[must_use]
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// γ: with δ, the Beta distribution of the dropout probability θ.
    #[must_use]
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// δ: with γ, the Beta distribution of the dropout probability θ.
    #[must_use]
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// How the fit went; `None` for a model built with [`BgBb::new`].
    #[must_use]
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    fn params(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }

    /// The log-likelihood ln L(α, β, γ, δ | x, t_x, n) of one row (the likelihood of the
    /// observed 0/1 pattern, FHS 2010 Eq. 5; it omits the number of patterns with the same
    /// (x, t_x), as the paper does).
    #[must_use]
    pub fn log_likelihood(&self, customer: &BgBbCustomer) -> f64 {
        row_log_likelihood(&self.params(), &row_of(customer), None)
    }

    /// ln Σ_{k=1}^{horizon} B(γ, δ+m+k)/B(γ, δ): the log of the expected number of the
    /// opportunities `m+1..=m+horizon` at which a customer alive at 0 is still alive, by the
    /// recursion B(γ, y+1)/B(γ, y) = y/(γ+y) up to [`DIRECT_SUM_LIMIT`] terms, by the closed
    /// form Σ_{k=1}^{N} Γ(a+k)/Γ(b+k) = [Γ(a+1)/Γ(b) − Γ(a+N+1)/Γ(b+N)]/(b − a − 1) beyond.
    fn ln_alive_sum(&self, m: f64, horizon: u32) -> f64 {
        if horizon == 0 {
            return f64::NEG_INFINITY;
        }
        let (g, d) = (self.gamma, self.delta);
        let ln_first = ln_beta(g, d + m + 1.0) - ln_beta(g, d);
        if horizon <= DIRECT_SUM_LIMIT {
            let mut term = 1.0;
            let mut sum = 1.0;
            for k in 2..=horizon {
                let y = d + m + f64::from(k) - 1.0;
                term *= y / (g + y);
                sum += term;
            }
            return ln_first + sum.ln();
        }
        // The sum over its first term, Γ(a+1)/Γ(b+1) · Γ(γ+δ)/Γ(δ) with a = δ + m, b = γ + δ + m.
        let (a, b, n) = (d + m, g + d + m, f64::from(horizon));
        let eps = g - 1.0;
        let ln_sum_over_first = if eps == 0.0 {
            // γ = 1: Σ 1/(a + k) = ψ(a + N + 1) − ψ(a + 1), over the first term 1/(a + 1) = 1/b.
            (digamma(a + n + 1.0) - digamma(a + 1.0)).ln()
        } else {
            // ln[Γ(a+j+1)/Γ(b+j)] = −shift(a+j+1, γ−1), without cancellation (b+j = a+j+1+ε).
            let delta = ln_gamma_shift(a + 1.0, eps) - ln_gamma_shift(a + n + 1.0, eps);
            (-delta.exp_m1() / eps).ln()
        };
        ln_first + b.ln() + ln_sum_over_first
    }

    /// P(alive at opportunity n + 1 | x, t_x, n): the probability that the customer is still
    /// alive at the first opportunity after the observation period (the paper's Table 6
    /// "P(alive in 2002)"):
    ///
    /// B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+1)/B(γ,δ) / L.
    #[must_use]
    pub fn probability_alive(&self, customer: &BgBbCustomer) -> f64 {
        let [a, b, g, d] = self.params();
        let [x, _, n] = row_of(customer);
        let ll = self.log_likelihood(customer);
        let ln_alive = ln_beta(a + x, b + n - x) - ln_beta(a, b) + ln_beta(g, d + n) - ln_beta(g, d)
            + ((d + n) / (g + d + n)).ln();
        (ln_alive - ll).exp().clamp(0.0, 1.0)
    }

    /// E[X(n, n + n*) | x, t_x, n]: the expected transactions of this customer at the next
    /// `horizon` = n* opportunities (FHS 2010, Eq. 13):
    ///
    /// (1/L) · B(α+x+1, β+n−x)/B(α,β) · Σ_{k=1}^{n*} B(γ, δ+n+k)/B(γ,δ).
    #[must_use]
    pub fn conditional_expected_transactions(&self, customer: &BgBbCustomer, horizon: u32) -> f64 {
        if horizon == 0 {
            return 0.0;
        }
        let [a, b, _, _] = self.params();
        let [x, _, n] = row_of(customer);
        let ll = self.log_likelihood(customer);
        let v = (ln_beta(a + x + 1.0, b + n - x) - ln_beta(a, b) + self.ln_alive_sum(n, horizon) - ll).exp();
        v.max(0.0)
    }

    /// E[X(n)]: the expected transactions of a new customer over the first `n` opportunities
    /// (FHS 2010, Eq. 7), α/(α+β) · Σ_{k=1}^{n} B(γ, δ+k)/B(γ,δ)
    /// = α/(α+β) · δ/(γ−1) · {1 − Γ(γ+δ)Γ(1+δ+n)/[Γ(γ+δ+n)Γ(1+δ)]}.
    #[must_use]
    pub fn expected_transactions(&self, n: u32) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let share = self.alpha / (self.alpha + self.beta);
        (share.ln() + self.ln_alive_sum(0.0, n)).exp().max(0.0)
    }

    /// P(X(n) = x): the probability that a new customer transacts at exactly `x` of the first
    /// `n` opportunities (FHS 2010, Eq. 8); 0 when `x > n`:
    ///
    /// C(n,x) B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
    /// + Σ_{i=x}^{n−1} C(i,x) B(α+x, β+i−x)/B(α,β) · B(γ+1, δ+i)/B(γ,δ).
    #[must_use]
    pub fn probability_of_transactions(&self, x: u32, n: u32) -> f64 {
        if x > n {
            return 0.0;
        }
        let [a, b, g, d] = self.params();
        let (xf, nf) = (f64::from(x), f64::from(n));
        let (ln_bab, ln_bgd) = (ln_beta(a, b), ln_beta(g, d));
        let mut sum = LogSum::<0>::new();
        sum.add(ln_choose(nf, xf) + ln_beta(a + xf, b + nf - xf) - ln_bab + ln_beta(g, d + nf) - ln_bgd, &[]);
        for i in x..n {
            let i = f64::from(i);
            sum.add(
                ln_choose(i, xf) + ln_beta(a + xf, b + i - xf) - ln_bab + ln_beta(g + 1.0, d + i) - ln_bgd,
                &[],
            );
        }
        sum.ln().exp().clamp(0.0, 1.0)
    }

    /// Discounted expected residual transactions with a discount rate `d` per opportunity
    /// (FHS 2010, Eq. 14): the present value, at the end of the observation period, of the
    /// customer's future transactions, the transaction at opportunity n + k discounted by
    /// (1 + d)^{−k}:
    ///
    /// DERT = (1/L) · B(α+x+1, β+n−x)/B(α,β) · Σ_{k≥1} B(γ, δ+n+k)/B(γ,δ) · (1+d)^{−k}
    ///      = (1/L) · B(α+x+1, β+n−x)/B(α,β) · B(γ, δ+n+1)/(B(γ,δ)(1+d))
    ///        · ₂F₁(1, δ+n+1; γ+δ+n+1; 1/(1+d)).
    ///
    /// The series is summed by its term recursion until the geometric bound on the remainder
    /// is below 1e-16 of the sum (about 37/ln(1 + d) terms).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `discount_rate` unless `d` is finite and `> 0`, or
    /// when it is so small (below about 4e-6) that the series needs more than 10⁷ terms.
    pub fn dert(&self, customer: &BgBbCustomer, d: f64) -> Result<f64> {
        let [a, b, g, dl] = self.params();
        let [x, _, n] = row_of(customer);
        let series = discounted_ratio_series(1.0, dl + n + 1.0, g, d)?;
        let ll = self.log_likelihood(customer);
        let ln_front = ln_beta(a + x + 1.0, b + n - x) - ln_beta(a, b) + ln_beta(g, dl + n + 1.0)
            - ln_beta(g, dl)
            - d.ln_1p()
            - ll;
        Ok((ln_front + series.ln()).exp().max(0.0))
    }

    /// Simulates `customers` customers over `opportunities` opportunities and returns each
    /// customer's full 0/1 history (`history[i]`: a transaction at opportunity `i + 1`). For
    /// each customer p ~ Beta(α, β) and θ ~ Beta(γ, δ); at the start of each opportunity the
    /// customer dies with probability θ, and otherwise transacts with probability p.
    /// Deterministic for a `seed`.
    ///
    /// # Errors
    /// [`Error::Overflow`] when the histories would not fit in memory (`customers ×
    /// opportunities` overflows `usize`).
    pub fn simulate_histories(
        &self,
        customers: usize,
        opportunities: u32,
        seed: u64,
    ) -> Result<Vec<Vec<bool>>> {
        let n = usize::try_from(opportunities).map_err(|_| Error::overflow("opportunities"))?;
        customers.checked_mul(n).ok_or(Error::overflow("simulated histories"))?;
        let mut rng = Rng::new(seed);
        let mut out = Vec::with_capacity(customers.min(PREALLOCATE));
        for _ in 0..customers {
            let p = rng.beta(self.alpha, self.beta);
            let theta = rng.beta(self.gamma, self.delta);
            let mut history = vec![false; n];
            for slot in &mut history {
                if rng.bernoulli(theta) {
                    break;
                }
                *slot = rng.bernoulli(p);
            }
            out.push(history);
        }
        Ok(out)
    }

    /// As [`BgBb::simulate_histories`], reduced to the (x, t_x, n) rows.
    ///
    /// # Errors
    /// As [`BgBb::simulate_histories`].
    pub fn simulate(&self, customers: usize, opportunities: u32, seed: u64) -> Result<Vec<BgBbCustomer>> {
        let mut rng = Rng::new(seed);
        let mut out = Vec::with_capacity(customers.min(PREALLOCATE));
        for _ in 0..customers {
            let p = rng.beta(self.alpha, self.beta);
            let theta = rng.beta(self.gamma, self.delta);
            let (mut x, mut t_x) = (0u32, 0u32);
            for t in 1..=opportunities {
                if rng.bernoulli(theta) {
                    break;
                }
                if rng.bernoulli(p) {
                    x += 1;
                    t_x = t;
                }
            }
            out.push(BgBbCustomer::new(x, t_x, opportunities)?);
        }
        Ok(out)
    }
}

impl Fitter<BgBb> {
    fn fit_rows(&self, rows: &Rows<3>) -> Result<BgBb> {
        let mut starts = Vec::new();
        if let Some(m) = self.initial_model() {
            starts.push(m.params());
        }
        // Data-driven: the transaction share while (apparently) alive, x / t_x, sets α/(α+β).
        let (mut xs, mut ts) = (0.0, 0.0);
        for (v, w) in rows.values.iter().zip(&rows.weights) {
            xs += w * v[0];
            ts += w * v[1];
        }
        let share = if ts > 0.0 { (xs / ts).clamp(0.05, 0.95) } else { 0.5 };
        starts.push([2.0 * share, 2.0 * (1.0 - share), 1.0, 3.0]);
        starts.push([share, 1.0 - share, 0.5, 1.0]);
        starts.push([1.0, 1.0, 1.0, 1.0]);
        let like = |p: &[f64; 4], row: &[f64; 3], g: &mut [f64; 4]| row_log_likelihood(p, row, Some(g));
        let (p, report) = maximize(&like, rows, &starts, self.settings())?;
        Ok(BgBb { report: Some(report), ..BgBb::new(p[0], p[1], p[2], p[3])? })
    }
}

impl Fit for Fitter<BgBb> {
    type Row = BgBbCustomer;
    type Model = BgBb;

    fn fit(&self, rows: &[BgBbCustomer]) -> Result<BgBb> {
        self.fit_rows(&Rows::from_rows(rows, None, |c| Ok(row_of(c)))?)
    }

    fn fit_weighted(&self, rows: &[BgBbCustomer], weights: &[f64]) -> Result<BgBb> {
        self.fit_rows(&Rows::from_rows(rows, Some(weights), |c| Ok(row_of(c)))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_central_differences() {
        let rows = [[0.0, 0.0, 6.0], [3.0, 5.0, 6.0], [6.0, 6.0, 6.0], [2.0, 4.0, 40.0]];
        let params = [[1.204, 0.750, 0.657, 2.783], [0.05, 8.0, 3.0, 0.2], [20.0, 0.3, 1.0, 50.0]];
        for row in rows {
            for p in params {
                let mut g = [0.0; 4];
                row_log_likelihood(&p, &row, Some(&mut g));
                for j in 0..4 {
                    let h = 1e-6 * p[j];
                    let (mut up, mut dn) = (p, p);
                    up[j] += h;
                    dn[j] -= h;
                    let fd = (row_log_likelihood(&up, &row, None) - row_log_likelihood(&dn, &row, None))
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
    fn pmf_sums_to_one_and_matches_mean() {
        let m = BgBb::new(1.204, 0.750, 0.657, 2.783).expect("valid");
        for n in [1, 6, 30] {
            let total: f64 = (0..=n).map(|x| m.probability_of_transactions(x, n)).sum();
            let mean: f64 = (0..=n).map(|x| f64::from(x) * m.probability_of_transactions(x, n)).sum();
            assert!((total - 1.0).abs() < 1e-12, "{n}: {total}");
            assert!((mean - m.expected_transactions(n)).abs() < 1e-10, "{n}: {mean}");
        }
    }

    #[test]
    fn closed_form_partial_sum_matches_recursion() {
        for g in [0.657, 1.0, 1.0 + 1e-12, 3.0] {
            let m = BgBb::new(1.0, 1.0, g, 2.783).expect("valid");
            let direct = m.ln_alive_sum(5.0, DIRECT_SUM_LIMIT);
            // The closed form evaluated at the same horizon.
            let (a, b, n) = (2.783 + 5.0, g + 2.783 + 5.0, f64::from(DIRECT_SUM_LIMIT));
            let ln_first = ln_beta(g, 2.783 + 6.0) - ln_beta(g, 2.783);
            let closed = if g == 1.0 {
                ln_first + b.ln() + (digamma(a + n + 1.0) - digamma(a + 1.0)).ln()
            } else {
                let delta = ln_gamma_shift(a + 1.0, g - 1.0) - ln_gamma_shift(a + n + 1.0, g - 1.0);
                ln_first + b.ln() + (-delta.exp_m1() / (g - 1.0)).ln()
            };
            assert!((direct - closed).abs() < 1e-8, "{g}: {direct} vs {closed}");
        }
    }

    #[test]
    fn expectation_is_continuous_across_the_closed_form_switch() {
        for g in [0.657, 1.0, 1.0 + 1e-12, 3.0] {
            let m = BgBb::new(1.2, 0.75, g, 2.783).expect("valid");
            let (a, b) =
                (m.expected_transactions(DIRECT_SUM_LIMIT), m.expected_transactions(DIRECT_SUM_LIMIT + 1));
            let last = 1.2 / 1.95
                * (ln_beta(g, 2.783 + f64::from(DIRECT_SUM_LIMIT) + 1.0) - ln_beta(g, 2.783)).exp();
            assert!(((b - a) - last).abs() < 1e-10 * a, "{g}: {a} {b} {last}");
        }
    }

    #[test]
    fn dert_matches_brute_force_and_limits() {
        let m = BgBb::new(1.204, 0.750, 0.657, 2.783).expect("valid");
        let c = BgBbCustomer::new(4, 5, 6).expect("valid");
        let d: f64 = 0.1;
        // Σ_k (E[X(n, n+k)] − E[X(n, n+k−1)]) (1+d)^{−k}.
        let mut brute = 0.0;
        let mut prev = 0.0;
        for k in 1..800 {
            let e = m.conditional_expected_transactions(&c, k);
            brute += (e - prev) / (1.0 + d).powi(k as i32);
            prev = e;
        }
        let got = m.dert(&c, d).expect("converges");
        assert!((got - brute).abs() < 1e-10, "{got} vs {brute}");
        assert!(m.dert(&c, 0.0).is_err());
    }

    #[test]
    fn rows_are_checked() {
        assert!(BgBbCustomer::new(0, 1, 6).is_err());
        assert!(BgBbCustomer::new(2, 7, 6).is_err());
        assert!(BgBbCustomer::new(0, 0, 0).is_ok());
        let s = CustomerSummary::new(2, 3.0, 6.0, rust_decimal::Decimal::ZERO).expect("valid");
        assert_eq!(BgBbCustomer::try_from(&s).expect("whole"), BgBbCustomer::new(2, 3, 6).expect("valid"));
        let s = CustomerSummary::new(2, 3.5, 6.0, rust_decimal::Decimal::ZERO).expect("valid");
        assert!(BgBbCustomer::try_from(&s).is_err());
    }
}
