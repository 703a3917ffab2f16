//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987).

use crate::math::incomplete_gamma::upper_gamma_scaled;
use crate::math::log_concave::{self, LogConcave};
use crate::math::random::Rng;
use crate::math::special::{digamma, ln_gamma, log_add_exp};
use crate::models::chunks;
use crate::models::memo::Memo;
use crate::models::{
    Fit, FitReport, Fitter, PurchaseModel, Rows, SimulatedCustomer, check_ages, check_horizon, check_path,
    check_positive, check_rate, maximize,
};
use crate::serde_checked::checked_serde;
use crate::summary::CustomerSummary;
use crate::{Error, Result};

/// Relative accuracy asked of the τ-integrals (likelihood and pmf) from QUADPACK's error
/// estimate, whose floor is `50ε ≈ 1.1e-14` of the integral; the estimate is conservative, so
/// the integrals are in practice accurate to a few ulps (checked against mpmath and against
/// the series).
const INTEGRAL_TOLERANCE: f64 = 5e-14;

/// Purchases simulated for one customer at most (a guard against parameters whose purchase
/// rates are absurd for the ages given).
const MAX_SIMULATED_PURCHASES: usize = 100_000_000;

checked_serde! {
    /// A fitted Pareto/NBD model of repeat purchasing in continuous time.
    ///
    /// **Paper.** Schmittlein, D.C., Morrison, D.G. & Colombo, R. (1987), "Counting Your
    /// Customers: Who Are They and What Will They Do Next?" *Management Science* 33(1):1–24;
    /// the likelihood, P(alive) and conditional expectation as in Fader & Hardie (2005), "A Note
    /// on Deriving the Pareto/NBD Model and Related Expressions" (brucehardie.com/notes/009);
    /// DERT from Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer
    /// Base Analysis," *JMR* 42(4):415–430, Eq. 2.
    ///
    /// **Model.** While alive, a customer buys as a Poisson process with rate λ and stays alive
    /// for an exponential lifetime with rate μ; across customers λ ~ Gamma(r, α) and
    /// μ ~ Gamma(s, β) (shapes `r`, `s`; rates `alpha`, `beta`, in the data's time unit),
    /// independent. For a customer with `frequency` = x, `recency` = t_x and `age` = T:
    ///
    /// * `L = [Γ(r+x) α^r β^s / Γ(r)] · {(α+T)^{−(r+x)} (β+T)^{−s} + s ∫_{t_x}^{T} (α+τ)^{−(r+x)} (β+τ)^{−(s+1)} dτ}`,
    ///   the hypergeometric-free form of the paper's `₂F₁` expression (the integral is
    ///   `s/(r+s+x)·A₀`), on log scale. Writing `m, M` for the smaller and larger of α, β and
    ///   `c = r+s+x`, the integral is `J(t_x) − J(T)` with
    ///   `J(t) = (M+t)^{−c} Σ_n (k_m)_n zⁿ/(n!(c+n))`, `z = (M−m)/(M+t)`, `k_m` the exponent
    ///   at `m` (the paper's `₂F₁` series); this fast path is used while it converges in a few
    ///   dozen terms (`z ≤ 0.8`), and its difference is harmless because `s·J(T)` never exceeds
    ///   the first term. Otherwise (α ≫ β, β ≫ α, huge x) the integral is evaluated in
    ///   `v = ln(m+τ)`, where the integrand is log-concave, by Gauss-Kronrod quadrature around
    ///   its maximum (no `₂F₁` near its singular point, no connection formulas, no poles); both
    ///   agree with mpmath to about 1e-15 on ln L. The gradient in (r, α, s, β) is analytic
    ///   (term by term, or differentiated under the integral on the same nodes);
    /// * `P(alive | x, t_x, T) = (α+T)^{−(r+x)}(β+T)^{−s} / {…}` (the first term's share);
    /// * `E[X(t)] = [rβ/(α(s−1))]·[1 − (β/(β+t))^{s−1}]`, evaluated as
    ///   `(rβ/α)·(−expm1(−(s−1)u))/(s−1)` with `u = ln(1 + t/β)` (accurate as s → 1), and its
    ///   limit `(rβ/α) ln(1 + t/β)` at `s = 1`;
    /// * `E[Y(t) | x, t_x, T] = P(alive)·[(r+x)(β+T)/((α+T)(s−1))]·[1 − ((β+T)/(β+T+t))^{s−1}]`;
    /// * `P(X(t) = n) = (β/(β+t))^s NB(n; r, α/(α+t)) + ∫₀^t sβ^s(β+τ)^{−(s+1)} NB(n; r, α/(α+τ)) dτ`
    ///   (the purchases of a customer who dies at τ, mixed over μ), with
    ///   `NB(n; r, p) = Γ(r+n)/(Γ(r) n!)·p^r(1−p)^n`;
    /// * `DERT(δ) = P(alive)·[(r+x)/(α+T)]·(β+T)^s δ^{s−1} U(s, s; δ(β+T))`, with the Tricomi
    ///   function through the upper incomplete gamma function, `U(s, s; z) = e^z Γ(1−s, z)`
    ///   (no poles at integer s), for a continuously compounded discount rate δ per period.
    ///
    /// ```
    /// use customer_metrics::{CustomerSummary, ParetoNbd, PurchaseModel};
    /// use rust_decimal::Decimal;
    ///
    /// // The parameters of the BTYD documentation (CDNOW, weeks).
    /// let model = ParetoNbd::new(0.55, 10.56, 0.61, 11.64)?;
    /// // BTYD's documented E[X(1)] for a new customer.
    /// assert!((model.expected_purchases(1.0)? - 0.05077821).abs() < 1e-8);
    /// // Customer 1 of CDNOW: x = 2, t_x = 30.43, T = 38.86 weeks.
    /// let customer = CustomerSummary::new(2, 30.43, 38.86, Decimal::ZERO)?;
    /// let p_alive = model.probability_alive(&customer);
    /// assert!(p_alive > 0.0 && p_alive < 1.0);
    /// // Discounted expected residual transactions at 15% a year, weekly periods.
    /// let dert = model.dert(&customer, 1.15f64.ln() / 52.0)?;
    /// assert!(dert > model.conditional_expected_purchases(&customer, 52.0)?);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct ParetoNbd {
        r: f64,
        alpha: f64,
        s: f64,
        beta: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<FitReport>,
    }
    check = |m| ParetoNbd::new(m.r, m.alpha, m.s, m.beta).map(|checked| ParetoNbd { report: m.report, ..checked })
}

/// Fits a [`ParetoNbd`] by maximum likelihood (rows: [`CustomerSummary`], using frequency,
/// recency and age).
pub type ParetoNbdFitter = Fitter<ParetoNbd>;

impl ParetoNbd {
    /// A model with the given parameters: `r`, `alpha` (shape and rate of the gamma
    /// distribution of purchase rates λ) and `s`, `beta` (shape and rate of the gamma
    /// distribution of dropout rates μ).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first parameter that is not a finite number `> 0`.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        check_positive("r", r)?;
        check_positive("alpha", alpha)?;
        check_positive("s", s)?;
        check_positive("beta", beta)?;
        Ok(ParetoNbd { r, alpha, s, beta, report: None })
    }

    /// r: shape of the gamma distribution of purchase rates.
    #[must_use]
    pub fn r(&self) -> f64 {
        self.r
    }

    /// α: rate (inverse scale, in the time unit of the data) of the gamma distribution of
    /// purchase rates.
    #[must_use]
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// s: shape of the gamma distribution of dropout rates.
    #[must_use]
    pub fn s(&self) -> f64 {
        self.s
    }

    /// β: rate of the gamma distribution of dropout rates.
    #[must_use]
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The fit report (standard errors in the order r, α, s, β), if the model was fitted.
    #[must_use]
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    /// `E[Y(t) | x, t_x, T] / ((r+x)·P(alive))`: the mean rate `1/(α+T)` per unit of `r+x`
    /// times the expected lifetime in `(T, T+t]`, `(β+T)·[1 − ((β+T)/(β+T+t))^{s−1}]/(s−1)`;
    /// it depends on the age only.
    fn rate_integral(&self, age: f64, t: f64) -> f64 {
        let horizon = self.beta + age;
        horizon / (self.alpha + age) * power_gap(self.s, (t / horizon).ln_1p())
    }

    /// `f(customer)` in a batch: customers without repeat purchases (recency 0), whose scores
    /// depend on their age only, share it by age through `newcomers`.
    fn by_age_if_new(
        newcomers: &mut Memo<1>,
        customer: &CustomerSummary,
        f: impl FnOnce(&CustomerSummary) -> f64,
    ) -> f64 {
        if customer.frequency() == 0 && customer.recency() == 0.0 {
            newcomers.get_or([customer.age()], || f(customer))
        } else {
            f(customer)
        }
    }

    /// P(alive) with `values` for the sums of the series ([`series_values`] or a batch's
    /// [`SeriesCache`]), and the likelihood's parts where the series is not used.
    fn probability_alive_with(
        &self,
        customer: &CustomerSummary,
        values: impl FnOnce(f64, f64, [f64; 2]) -> Option<[f64; 2]>,
    ) -> f64 {
        let params = self.params();
        let (x, t_x, age) = (f64::from(customer.frequency()), customer.recency(), customer.age());
        probability_alive_series(&params, x, t_x, age, values)
            .unwrap_or_else(|| {
                let p = parts(&params, x, t_x, age);
                let ln_sum = log_add_exp(p.ln_alive, p.ln_dead);
                (p.ln_alive - ln_sum).exp()
            })
            .clamp(0.0, 1.0)
    }

    /// P(alive) in a batch, the coefficients of the series from `series`.
    fn cached_probability_alive(&self, series: &mut SeriesCache, customer: &CustomerSummary) -> f64 {
        self.probability_alive_with(customer, |k, c, z| series.values(customer.frequency(), k, c, z))
    }

    fn params(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// Simulates one customer per entry of `ages` (observation length T since the first
    /// purchase): λ ~ Gamma(r, α), μ ~ Gamma(s, β), a lifetime ~ Exponential(μ), and Poisson
    /// purchases at rate λ while alive. Deterministic for a seed.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when an age is negative or not finite; [`Error::Overflow`]
    /// when a customer would make more than 10⁸ purchases.
    pub fn simulate(&self, ages: &[f64], seed: u64) -> Result<Vec<SimulatedCustomer>> {
        check_ages(ages)?;
        let mut rng = Rng::new(seed);
        let mut out = Vec::with_capacity(ages.len());
        for &age in ages {
            let lambda = rng.gamma(self.r, self.alpha);
            let mu = rng.gamma(self.s, self.beta);
            let lifetime = rng.exponential(mu);
            let end = lifetime.min(age);
            let mut purchases = Vec::new();
            if lambda > 0.0 {
                let mut t = rng.exponential(lambda);
                while t <= end {
                    if purchases.len() >= MAX_SIMULATED_PURCHASES {
                        return Err(Error::overflow("simulated purchases of one customer"));
                    }
                    purchases.push(t);
                    t += rng.exponential(lambda);
                }
            }
            let dropout = (lifetime < age).then_some(lifetime);
            out.push(SimulatedCustomer { purchases, dropout, observed: age });
        }
        Ok(out)
    }
}

/// The likelihood's τ-integral in `v = ln((m+τ)/(m+t_x))`, `m = min(α, β)`, `M = max(α, β)`:
/// `e^{ψ(v)} = (m+τ)^{1−k_m} (M+τ)^{−k_M}` (the Jacobian `m+τ` included), with exponents
/// `k_α = r+x`, `k_β = s+1`. Weights: `[1, ln(α+τ), ln(β+τ), 1/(α+τ), 1/(β+τ)]`.
struct LikelihoodIntegrand {
    /// Exponent at the smaller rate, and at the larger one.
    k_min: f64,
    k_max: f64,
    /// `M − m ≥ 0`.
    gap: f64,
    /// `m + t_x > 0` and its logarithm.
    start: f64,
    ln_start: f64,
    /// Whether α is the smaller rate (then `m + τ = α + τ`).
    alpha_is_min: bool,
}

impl LikelihoodIntegrand {
    /// `(m+τ, M+τ, ln(M+τ))` at `v`.
    fn points(&self, v: f64) -> (f64, f64, f64) {
        let low = self.start * v.exp();
        let high = self.gap + low;
        (low, high, high.ln())
    }
}

impl LogConcave<5> for LikelihoodIntegrand {
    fn psi(&self, v: f64) -> f64 {
        let (_, _, ln_high) = self.points(v);
        (1.0 - self.k_min) * (self.ln_start + v) - self.k_max * ln_high
    }

    fn slopes(&self, v: f64) -> (f64, f64) {
        let (low, high, _) = self.points(v);
        let y = low / high;
        (1.0 - self.k_min - self.k_max * y, -self.k_max * y * (self.gap / high))
    }

    fn eval(&self, v: f64) -> (f64, [f64; 5]) {
        let (low, high, ln_high) = self.points(v);
        let ln_low = self.ln_start + v;
        let psi = (1.0 - self.k_min) * ln_low - self.k_max * ln_high;
        let (ln_a, ln_b, inv_a, inv_b) = if self.alpha_is_min {
            (ln_low, ln_high, 1.0 / low, 1.0 / high)
        } else {
            (ln_high, ln_low, 1.0 / high, 1.0 / low)
        };
        (psi, [1.0, ln_a, ln_b, inv_a, inv_b])
    }
}

/// The pieces of one customer's likelihood: `ln` of the "alive at T" term
/// `A = (α+T)^{−(r+x)}(β+T)^{−s}`, `ln` of the "died in (t_x, T]" term `D = s·∫_{t_x}^T …`, and
/// its gradient as `∂D/∂(r, α, s, β) = e^{ln_weight}·direction`.
struct Parts {
    ln_alive: f64,
    ln_dead: f64,
    ln_weight: f64,
    direction: [f64; 4],
    /// `ln(α+T)`, `ln(β+T)`.
    ln_ages: [f64; 2],
}

/// Terms of the series fast path at most.
const MAX_TERMS: usize = 256;
/// The series is tried when `z = |α−β|/(max(α,β)+t_x)` is at most this (else the terms decay
/// too slowly and the quadrature is cheaper).
const SERIES_MAX_Z: f64 = 0.8;
/// P(alive)'s exponent `E = (r+x)·ln((α+T)/(α+t_x)) + s·ln((β+T)/(β+t_x))` takes the plain
/// logarithms of the ratios when `r + x + s` is at most this, `ln_1p` of the gaps beyond.
const PLAIN_LOG_WEIGHT: f64 = 128.0;
/// The series stops when the bound on its remainder is below this fraction of the sum.
const SERIES_TOLERANCE: f64 = 1e-17;

/// `ln G(k, c, z)` for `G = Σ_{n≥0} (k)_n zⁿ/(n!(c+n))`, `ln` of the transformed sum `H`
/// below, and `∂ ln G/∂(k, c, z)`, at two arguments `z` at once (they share the divisions), or
/// `None` if either has not converged within [`MAX_TERMS`] terms. Evaluated after Euler's
/// transformation, `G = (1−z)^{1−k}/c · Σ_n [(K)_n/(C)_n] zⁿ` with `K = c+1−k > 0`, `C = c+1`:
/// every term ratio `z(K+n)/(C+n)` is below `z`, so there is no growth phase for large `k` (a
/// heavy buyer when α < β) and about `ln ε/ln z` terms at most; `ln(1−z)` is passed in.
fn series(k: f64, c: f64, z: [f64; 2], ln_one_minus_z: [f64; 2]) -> Option<[(f64, f64, [f64; 3]); 2]> {
    let sums = series_sums(k, c, z)?;
    let mut out = [(0.0, 0.0, [0.0; 3]); 2];
    for i in 0..2 {
        let [sum, sum_k, sum_c, sum_z] = sums[i];
        let ln_g = -c.ln() + (1.0 - k) * ln_one_minus_z[i] + sum.ln();
        // K = c+1−k and C = c+1: ∂/∂k = −∂/∂K, ∂/∂c = ∂/∂K + ∂/∂C.
        let d_k = -ln_one_minus_z[i] - sum_k / sum;
        let d_c = -1.0 / c + (sum_k - sum_c) / sum;
        let d_z = (k - 1.0) / (1.0 - z[i]) + sum_z / sum;
        out[i] = (ln_g, sum.ln(), [d_k, d_c, d_z]);
    }
    Some(out)
}

/// The transformed sums of [`series`] at two `z`: `H = Σ_n [(K)_n/(C)_n] zⁿ`, `∂H/∂K`,
/// `−∂H/∂C` and `∂H/∂z`.
fn series_sums(k: f64, c: f64, z: [f64; 2]) -> Option<[[f64; 4]; 2]> {
    let big_k = c + 1.0 - k;
    let big_c = c + 1.0;
    let mut h = [1.0; 2]; // (K)_n/(C)_n zⁿ
    let mut dh = [0.0; 2]; // ∂h/∂z
    let (mut s_k, mut s_c) = (0.0, 0.0); // Σ_{j<n} 1/(K+j), Σ_{j<n} 1/(C+j)
    let mut sums = [[0.0; 4]; 2]; // H, ∂H/∂K, −∂H/∂C, ∂H/∂z
    for n in 0..MAX_TERMS {
        let nf = n as f64;
        // One division for 1/(K+n), 1/(C+n) and (K+n)/(C+n).
        let both = 1.0 / ((big_k + nf) * (big_c + nf));
        let rho = (big_k + nf) * (big_k + nf) * both;
        let mut done = true;
        for i in 0..2 {
            let acc = &mut sums[i];
            acc[0] += h[i];
            acc[1] += h[i] * s_k;
            acc[2] += h[i] * s_c;
            acc[3] += dh[i];
            dh[i] = (nf + 1.0) * h[i] * rho;
            h[i] *= rho * z[i];
            // Later ratios are below z: the remainder is below next/(1 − z).
            let next = h[i] * (2.0 + s_k + s_c) + dh[i];
            done &= next <= SERIES_TOLERANCE * (acc[0] + acc[3]) * (1.0 - z[i]);
        }
        s_k += (big_c + nf) * both;
        s_c += (big_k + nf) * both;
        if done {
            return Some(sums);
        }
    }
    None
}

/// `H = Σ_n [(K)_n/(C)_n] zⁿ` of [`series`] at two `z`, without the gradient, to a relative
/// error below 2⁻⁵³ (see [`value_terms`]): the coefficients `(K)_n/(C)_n` into a buffer, then
/// [`polynomial_values`]. `None` past [`MAX_TERMS`] terms.
fn series_values(k: f64, c: f64, z: [f64; 2]) -> Option<[f64; 2]> {
    let terms = value_terms(z[0].max(z[1]))?;
    let mut buffer = [0.0; MAX_TERMS];
    let coefficients = buffer.get_mut(..terms)?;
    fill_coefficients(c + 1.0 - k, c + 1.0, coefficients, 0);
    Some(polynomial_values(coefficients, z))
}

/// Terms of [`series_values`] at arguments up to `z`. Every term ratio of `H` is below `z` and
/// `H ≥ 1`, so after `N` terms the remainder is below `zᴺ/(1−z)`: below 2⁻⁵³ of the sum once
/// `zᴺ ≤` [`VALUE_REMAINDER`] (`1 − z ≥ 1/5` for `z ≤` [`SERIES_MAX_Z`]). `N` is the first
/// multiple of [`BLOCK`] that gets there, found by powers of `z⁸` before the sum (a test of
/// each term made the loop's exit wait on the chain of products, and took about twice the
/// time at the CDNOW estimates). `None` for `z ≥ 1` or past [`MAX_TERMS`].
fn value_terms(z: f64) -> Option<usize> {
    if z.is_nan() || z >= 1.0 {
        return None;
    }
    let z8 = (z * z) * (z * z) * ((z * z) * (z * z));
    let (mut power, mut terms) = (z8, BLOCK);
    while power > VALUE_REMAINDER {
        power *= z8;
        terms += BLOCK;
        if terms > MAX_TERMS {
            return None;
        }
    }
    Some(terms)
}

/// `2⁻⁵⁶`, below `2⁻⁵³/5`: the bound on `zᴺ` of [`value_terms`].
const VALUE_REMAINDER: f64 = f64::EPSILON / 16.0;

/// Terms of `H` summed together by [`polynomial_values`].
const BLOCK: usize = 8;

/// `coefficients[n] = (K)_n/(C)_n` for `n ≥ from`, given those below `from` (the recurrence
/// is the same wherever it starts, so a cache extended in steps holds the same values).
fn fill_coefficients(big_k: f64, big_c: f64, coefficients: &mut [f64], from: usize) {
    let mut previous = if from == 0 { None } else { coefficients.get(from - 1).copied() };
    for (n, value) in coefficients.iter_mut().enumerate().skip(from) {
        *value = match previous {
            None => 1.0,
            Some(a) => {
                let j = (n - 1) as f64;
                a * ((big_k + j) / (big_c + j))
            }
        };
        previous = Some(*value);
    }
}

/// `Σ_n coefficients[n]·zⁿ` at two `z ≥ 0`, in blocks of [`BLOCK`] terms (a length that is not
/// a multiple is cut to one): each block by Estrin's scheme and the blocks by Horner's in
/// `z⁸`, so that the chains of dependent operations are short. The terms are positive, so the
/// sum is accurate to a few ulps.
fn polynomial_values(coefficients: &[f64], z: [f64; 2]) -> [f64; 2] {
    let z2 = [z[0] * z[0], z[1] * z[1]];
    let z4 = [z2[0] * z2[0], z2[1] * z2[1]];
    let z8 = [z4[0] * z4[0], z4[1] * z4[1]];
    let mut sums = [0.0; 2];
    for block in coefficients.chunks_exact(BLOCK).rev() {
        let &[a0, a1, a2, a3, a4, a5, a6, a7] = block else { continue };
        for i in 0..2 {
            let low = (a0 + a1 * z[i]) + (a2 + a3 * z[i]) * z2[i];
            let high = (a4 + a5 * z[i]) + (a6 + a7 * z[i]) * z2[i];
            sums[i] = sums[i] * z8[i] + (low + high * z4[i]);
        }
    }
    sums
}

/// The coefficients of `H` of the customers of a batch, by frequency (below
/// [`CACHED_FREQUENCIES`]), computed as far as the batch needs them.
#[derive(Debug, Default)]
struct SeriesCache {
    by_frequency: Vec<Vec<f64>>,
}

/// Frequencies whose coefficients a [`SeriesCache`] keeps (the rest are computed each time).
const CACHED_FREQUENCIES: usize = 256;

impl SeriesCache {
    /// [`series_values`] of a customer of frequency `x`, from the cached coefficients.
    fn values(&mut self, x: u32, k: f64, c: f64, z: [f64; 2]) -> Option<[f64; 2]> {
        let index = usize::try_from(x).ok().filter(|&i| i < CACHED_FREQUENCIES);
        let Some(index) = index else { return series_values(k, c, z) };
        let terms = value_terms(z[0].max(z[1]))?;
        if self.by_frequency.len() <= index {
            self.by_frequency.resize_with(index + 1, Vec::new);
        }
        let coefficients = self.by_frequency.get_mut(index)?;
        let from = coefficients.len();
        if from < terms {
            coefficients.resize(terms, 0.0);
            fill_coefficients(c + 1.0 - k, c + 1.0, coefficients, from);
        }
        Some(polynomial_values(coefficients.get(..terms)?, z))
    }
}

/// The constants of the series of `D` (see [`series_parts`]): `c = r+s+x`, the smaller rate
/// `m` and the larger `M` of α and β, the exponent `k` at `m`, and `M − m`.
struct SeriesTerms {
    c: f64,
    alpha_is_min: bool,
    m: f64,
    big: f64,
    k: f64,
    gap: f64,
}

impl SeriesTerms {
    /// The constants, or `None` where the series is not used (`z = (M−m)/(M+t_x)` above
    /// [`SERIES_MAX_Z`]).
    fn new(&[r, alpha, s, beta]: &[f64; 4], x: f64, t_x: f64) -> Option<Self> {
        let alpha_is_min = alpha <= beta;
        let (m, big, k) = if alpha_is_min { (alpha, beta, r + x) } else { (beta, alpha, s + 1.0) };
        let gap = big - m;
        (gap / (big + t_x) <= SERIES_MAX_Z).then_some(SeriesTerms {
            c: r + s + x,
            alpha_is_min,
            m,
            big,
            k,
            gap,
        })
    }
}

/// P(alive) by the series without the logarithms of the likelihood's parts: with
/// `J(t) = (M+t)^{−c} G(k_m, c, (M−m)/(M+t))` as in [`series_parts`] and `A` the "alive" term,
/// `J(t)/A` reduces to `w_t·H_t/c` times powers of `(α+T)/(α+t)` and `(β+T)/(β+t)`, so
/// `D/A = (s/c)·[w_x H_x e^E − w_T H_T]`, `E = (r+x) ln((α+T)/(α+t_x)) + s ln((β+T)/(β+t_x))`,
/// `w_t = 1 − z_t` when α is the smaller rate and 1 otherwise, and `P(alive) = 1/(1 + D/A)`:
/// two logarithms, one `exp` and one pass of the series. `None` where the series is not used.
/// `values` is [`series_values`] or a cache of it.
fn probability_alive_series(
    p: &[f64; 4],
    x: f64,
    t_x: f64,
    t: f64,
    values: impl FnOnce(f64, f64, [f64; 2]) -> Option<[f64; 2]>,
) -> Option<f64> {
    let [r, alpha, s, beta] = *p;
    if t <= t_x {
        return Some(1.0);
    }
    let SeriesTerms { c, alpha_is_min, big, k, gap, .. } = SeriesTerms::new(p, x, t_x)?;
    let z = [gap / (big + t_x), gap / (big + t)];
    let [sum_x, sum_t] = values(k, c, z)?;
    let w = if alpha_is_min { [1.0 - z[0], 1.0 - z[1]] } else { [1.0, 1.0] };
    let exponent = if r + x + s <= PLAIN_LOG_WEIGHT {
        // ln of each ratio has an absolute error of about 2ε, so E one of (r+x+s)·2ε: below
        // 3e-14 here, and ln is cheaper than ln_1p.
        (r + x) * ((alpha + t) / (alpha + t_x)).ln() + s * ((beta + t) / (beta + t_x)).ln()
    } else {
        let gap_t = t - t_x;
        (r + x) * (gap_t / (alpha + t_x)).ln_1p() + s * (gap_t / (beta + t_x)).ln_1p()
    };
    // An infinite e^E (a heavy buyer long silent) gives odds ∞ and P(alive) 0, the limit.
    let odds = s / c * (w[0] * sum_x * exponent.exp() - w[1] * sum_t);
    let alive = 1.0 / (1.0 + odds.max(0.0));
    alive.is_finite().then_some(alive)
}

/// `D` by the series `∫_t^∞ (α+τ)^{−(r+x)}(β+τ)^{−(s+1)} dτ = (M+t)^{−c} G(k_m, c, (M−m)/(M+t))`
/// (`c = r+s+x`, `m`, `M` the smaller and larger of α, β, `k_m` the exponent at `m`), taken
/// between `t_x` and `T`. The difference loses relative accuracy only when `D ≪ A`, where it
/// does not matter: `s·∫_T^∞ … ≤ A`, so the absolute error is below `ε·A`.
fn series_parts(p: &[f64; 4], x: f64, t_x: f64, t: f64, ln_ages: [f64; 2]) -> Option<Parts> {
    let s = p[2];
    let SeriesTerms { c, alpha_is_min, m, big, k, gap } = SeriesTerms::new(p, x, t_x)?;
    // ln(M+T), and ln((M+T)/(M+t_x)) accurately (it is multiplied by c, up to 1e5 and more).
    let ln_big_t = if alpha_is_min { ln_ages[1] } else { ln_ages[0] };
    let log_gap = ((t - t_x) / (big + t_x)).ln_1p();
    let ln_big_tx = ln_big_t - log_gap;
    // ∂ ln J/∂(r, α, s, β) at t = t_x and t = T, J(t) = (M+t)^{−c} G(k, c, (M−m)/(M+t)).
    let times = [t_x, t];
    let mts = [big + t_x, big + t];
    let ln_mts = [ln_big_tx, ln_big_t];
    let zs = [gap / mts[0], gap / mts[1]];
    let sums = series(k, c, zs, [(-zs[0]).ln_1p(), (-zs[1]).ln_1p()])?;
    let mut d = [[0.0; 4]; 2];
    for i in 0..2 {
        let (mt, time) = (mts[i], times[i]);
        let (_, _, [d_k, d_c, d_z]) = sums[i];
        // ∂z/∂m = −1/(M+t), ∂z/∂M = (m+t)/(M+t)², ∂ln(M+t)/∂M = 1/(M+t).
        let d_big = -c / mt + d_z * (m + time) / (mt * mt);
        let d_m = -d_z / mt;
        let d_c = -ln_mts[i] + d_c;
        let (d_alpha, d_beta) = if alpha_is_min { (d_m, d_big) } else { (d_big, d_m) };
        let (dk_r, dk_s) = if alpha_is_min { (d_k, 0.0) } else { (0.0, d_k) };
        d[i] = [d_c + dk_r, d_alpha, d_c + dk_s, d_beta];
    }
    let (ln_g_x, ln_h_x, ln_h_t) = (sums[0].0, sums[0].1, sums[1].1);
    // J(T)/J(t_x) = ((M+t_x)/(M+T))^c · G_T/G_x, the factor (1−z)^{1−k} of G's ratio taken
    // as ln((m+T)/(m+t_x)) − ln((M+T)/(M+t_x)), both by ln_1p.
    let log_gap_m = ((t - t_x) / (m + t_x)).ln_1p();
    let ratio = (-c * log_gap + (1.0 - k) * (log_gap_m - log_gap) + (ln_h_t - ln_h_x)).exp();
    let ln_weight = s.ln() - c * ln_big_tx + ln_g_x;
    let ln_dead = if ratio < 1.0 { ln_weight + (-ratio).ln_1p() } else { f64::NEG_INFINITY };
    let mut direction = [0.0; 4];
    for j in 0..4 {
        direction[j] = d[0][j] - ratio * d[1][j];
    }
    direction[2] += (1.0 - ratio).max(0.0) / s;
    Some(Parts { ln_alive: 0.0, ln_dead, ln_weight, direction, ln_ages })
}

fn parts(p: &[f64; 4], x: f64, t_x: f64, t: f64) -> Parts {
    let [r, alpha, s, beta] = *p;
    let a = r + x;
    let ln_ages = [(alpha + t).ln(), (beta + t).ln()];
    let ln_alive = -a * ln_ages[0] - s * ln_ages[1];
    if t <= t_x {
        return Parts {
            ln_alive,
            ln_dead: f64::NEG_INFINITY,
            ln_weight: f64::NEG_INFINITY,
            direction: [0.0; 4],
            ln_ages,
        };
    }
    let parts = match series_parts(p, x, t_x, t, ln_ages) {
        Some(parts) => parts,
        None => quadrature_parts(p, x, t_x, t, ln_ages),
    };
    Parts { ln_alive, ..parts }
}

/// `D` by log-concave quadrature of the τ-integral (any parameters; `t > t_x`).
fn quadrature_parts(p: &[f64; 4], x: f64, t_x: f64, t: f64, ln_ages: [f64; 2]) -> Parts {
    let [r, alpha, s, beta] = *p;
    let a = r + x;
    let alpha_is_min = alpha <= beta;
    let (m, big, k_min, k_max) =
        if alpha_is_min { (alpha, beta, a, s + 1.0) } else { (beta, alpha, s + 1.0, a) };
    let start = m + t_x;
    let f = LikelihoodIntegrand { k_min, k_max, gap: big - m, start, ln_start: start.ln(), alpha_is_min };
    let end = ((t - t_x) / start).ln_1p();
    let got = log_concave::integrate(&f, 0.0, end, INTEGRAL_TOLERANCE);
    let [i0, i1, i2, i3, i4] = got.scaled;
    let ln_dead = s.ln() + got.log_scale + i0.ln();
    // ∂ ln D/∂(r, α, s, β) = (−⟨ln(α+τ)⟩, −(r+x)⟨1/(α+τ)⟩, 1/s − ⟨ln(β+τ)⟩, −(s+1)⟨1/(β+τ)⟩).
    let direction = [-i1 / i0, -a * i3 / i0, 1.0 / s - i2 / i0, -(s + 1.0) * i4 / i0];
    Parts { ln_alive: 0.0, ln_dead, ln_weight: ln_dead, direction, ln_ages }
}

/// `ln L` of one customer (x, t_x, T); with `grad`, also `∂ ln L/∂(r, α, s, β)`.
fn log_likelihood(p: &[f64; 4], x: f64, t_x: f64, t: f64, grad: Option<&mut [f64; 4]>) -> f64 {
    let [r, alpha, s, beta] = *p;
    let a = r + x;
    let parts = parts(p, x, t_x, t);
    let ln_sum = log_add_exp(parts.ln_alive, parts.ln_dead);
    let (ln_alpha, ln_beta) = (alpha.ln(), beta.ln());
    let ln_gamma_ratio = if x > 0.0 { ln_gamma(a) - ln_gamma(r) } else { 0.0 };
    let ll = ln_gamma_ratio + r * ln_alpha + s * ln_beta + ln_sum;
    if let Some(g) = grad {
        let w_alive = (parts.ln_alive - ln_sum).exp();
        let w_dead = (parts.ln_weight - ln_sum).exp();
        let d = parts.direction;
        let d_gamma = if x > 0.0 { digamma(a) - digamma(r) } else { 0.0 };
        let [ln_alpha_t, ln_beta_t] = parts.ln_ages;
        g[0] = d_gamma + ln_alpha - w_alive * ln_alpha_t + w_dead * d[0];
        g[1] = r / alpha - w_alive * a / (alpha + t) + w_dead * d[1];
        g[2] = ln_beta - w_alive * ln_beta_t + w_dead * d[2];
        g[3] = s / beta - w_alive * s / (beta + t) + w_dead * d[3];
    }
    ll
}

/// `[1 − e^{−(s−1)u}]/(s−1)` as `−expm1(−(s−1)u)/(s−1)` (accurate for every `s ≠ 1`, since
/// `s − 1` is exact near 1), and its limit `u` at `s = 1`; monotone in `u`.
fn power_gap(s: f64, u: f64) -> f64 {
    if s == 1.0 { u } else { -(-(s - 1.0) * u).exp_m1() / (s - 1.0) }
}

/// The pmf's τ-integrand in `v = ln τ`:
/// `ψ(v) = (n+1)v − (r+n) ln(α+e^v) − (s+1) ln(β+e^v)`.
struct PmfIntegrand {
    n1: f64,
    k_alpha: f64,
    alpha: f64,
    ln_alpha: f64,
    k_beta: f64,
    beta: f64,
    ln_beta: f64,
}

/// `ln(c + e^v)` without overflow.
fn ln_add(ln_c: f64, v: f64) -> f64 {
    log_add_exp(ln_c, v)
}

/// `(e^v/(c+e^v), c/(c+e^v))`.
fn shares(c: f64, v: f64) -> (f64, f64) {
    let ratio = c * (-v).exp(); // c/e^v
    if ratio.is_finite() { (1.0 / (1.0 + ratio), ratio / (1.0 + ratio)) } else { (0.0, 1.0) }
}

impl LogConcave<1> for PmfIntegrand {
    fn psi(&self, v: f64) -> f64 {
        self.n1 * v - self.k_alpha * ln_add(self.ln_alpha, v) - self.k_beta * ln_add(self.ln_beta, v)
    }

    fn slopes(&self, v: f64) -> (f64, f64) {
        let (sa, ca) = shares(self.alpha, v);
        let (sb, cb) = shares(self.beta, v);
        (self.n1 - self.k_alpha * sa - self.k_beta * sb, -self.k_alpha * sa * ca - self.k_beta * sb * cb)
    }

    fn eval(&self, v: f64) -> (f64, [f64; 1]) {
        (self.psi(v), [1.0])
    }
}

impl PurchaseModel for ParetoNbd {
    fn name(&self) -> &'static str {
        "Pareto/NBD"
    }

    fn log_likelihood(&self, customer: &CustomerSummary) -> f64 {
        log_likelihood(
            &self.params(),
            f64::from(customer.frequency()),
            customer.recency(),
            customer.age(),
            None,
        )
    }

    fn probability_alive(&self, customer: &CustomerSummary) -> f64 {
        self.probability_alive_with(customer, series_values)
    }

    fn expected_purchases(&self, t: f64) -> Result<f64> {
        let t = check_horizon(t)?;
        let u = (t / self.beta).ln_1p();
        Ok(self.r * self.beta / self.alpha * power_gap(self.s, u))
    }

    fn conditional_expected_purchases(&self, customer: &CustomerSummary, t: f64) -> Result<f64> {
        let mut out = [0.0];
        self.conditional_expected_purchases_path(customer, &[t], &mut out)?;
        Ok(out[0])
    }

    fn conditional_expected_purchases_path(
        &self,
        customer: &CustomerSummary,
        horizons: &[f64],
        out: &mut [f64],
    ) -> Result<()> {
        check_path(horizons, out)?;
        let scale = self.probability_alive(customer) * (self.r + f64::from(customer.frequency()));
        for (value, &t) in out.iter_mut().zip(horizons) {
            *value = scale * self.rate_integral(customer.age(), t);
        }
        Ok(())
    }

    /// Customers without repeat purchases (often half a base or more) have a P(alive) that
    /// depends on their age only (their recency is 0), computed once per distinct age.
    fn probability_alive_batch(&self, customers: &[CustomerSummary]) -> Vec<f64> {
        chunks::map_with(customers, |(newcomers, series): &mut (Memo<1>, SeriesCache), c| {
            Self::by_age_if_new(newcomers, c, |c| self.cached_probability_alive(series, c))
        })
    }

    /// As [`Self::probability_alive_batch`] (the expectation of a customer without repeat
    /// purchases depends on the age only), with the factor of the horizon, which depends on
    /// the age only, once per distinct age.
    fn conditional_expected_purchases_batch(
        &self,
        customers: &[CustomerSummary],
        t: f64,
    ) -> Result<Vec<f64>> {
        let t = check_horizon(t)?;
        Ok(chunks::map_with(
            customers,
            |(newcomers, ages, series): &mut (Memo<1>, Memo<1>, SeriesCache), c| {
                Self::by_age_if_new(newcomers, c, |c| {
                    let age = c.age();
                    self.cached_probability_alive(series, c)
                        * (self.r + f64::from(c.frequency()))
                        * ages.get_or([age], || self.rate_integral(age, t))
                })
            },
        ))
    }

    fn probability_of_purchases(&self, n: u32, t: f64) -> Result<f64> {
        let t = check_horizon(t)?;
        if t == 0.0 {
            return Ok(if n == 0 { 1.0 } else { 0.0 });
        }
        let [r, alpha, s, beta] = self.params();
        let nf = f64::from(n);
        let ln_nb_coefficient = ln_gamma(r + nf) - ln_gamma(r) - ln_gamma(nf + 1.0);
        // Alive through t: (β/(β+t))^s · NB(n; r, α/(α+t)).
        let tail = if n == 0 { 0.0 } else { -nf * (alpha / t).ln_1p() };
        let ln_alive = -s * (t / beta).ln_1p() + ln_nb_coefficient - r * (t / alpha).ln_1p() + tail;
        // Dead at τ < t.
        let f = PmfIntegrand {
            n1: nf + 1.0,
            k_alpha: r + nf,
            alpha,
            ln_alpha: alpha.ln(),
            k_beta: s + 1.0,
            beta,
            ln_beta: beta.ln(),
        };
        let got = log_concave::integrate(&f, f64::NEG_INFINITY, t.ln(), INTEGRAL_TOLERANCE);
        let ln_dead =
            s.ln() + s * beta.ln() + r * alpha.ln() + ln_nb_coefficient + got.log_scale + got.scaled[0].ln();
        let p = log_add_exp(ln_alive, ln_dead).exp();
        Ok(if p.is_finite() { p.clamp(0.0, 1.0) } else { 0.0 })
    }

    /// The closed form `P(alive)·[(r+x)/(α+T)]·(β+T)^s δ^{s−1} U(s, s; δ(β+T))` (see
    /// [`ParetoNbd`]), through the scaled upper incomplete gamma function.
    fn dert(&self, customer: &CustomerSummary, rate: f64) -> Result<f64> {
        let rate = check_rate(rate)?;
        let age = customer.age();
        let a = self.r + f64::from(customer.frequency());
        let z = rate * (self.beta + age);
        let p_alive = self.probability_alive(customer);
        // z^s e^z Γ(1−s, z) = S(1−s, z).
        let scaled = upper_gamma_scaled(1.0 - self.s, z);
        Ok(p_alive * (a / (self.alpha + age)) / rate * scaled)
    }
}

impl Fit for Fitter<ParetoNbd> {
    type Row = CustomerSummary;
    type Model = ParetoNbd;

    fn fit(&self, rows: &[CustomerSummary]) -> Result<ParetoNbd> {
        fit(self, rows, None)
    }

    fn fit_weighted(&self, rows: &[CustomerSummary], weights: &[f64]) -> Result<ParetoNbd> {
        fit(self, rows, Some(weights))
    }
}

fn fit(fitter: &ParetoNbdFitter, rows: &[CustomerSummary], weights: Option<&[f64]>) -> Result<ParetoNbd> {
    let rows: Rows<3> =
        Rows::from_rows(rows, weights, |c| Ok([f64::from(c.frequency()), c.recency(), c.age()]))?;
    let likelihood =
        |p: &[f64; 4], row: &[f64; 3], g: &mut [f64; 4]| log_likelihood(p, row[0], row[1], row[2], Some(g));
    let starts = match fitter.initial_model() {
        Some(m) => vec![m.params()],
        None => starting_values(&rows),
    };
    let (p, report) = maximize(&likelihood, &rows, &starts, fitter.settings())?;
    Ok(ParetoNbd { r: p[0], alpha: p[1], s: p[2], beta: p[3], report: Some(report) })
}

/// Data-driven starts: the mean purchase rate `Σx/ΣT` sets `r/α`, and `β = α` (so the fit
/// starts where the likelihood's series converges fastest); a second, more heterogeneous start
/// is used only if the first does not converge.
fn starting_values(rows: &Rows<3>) -> Vec<[f64; 4]> {
    let (mut purchases, mut exposure) = (0.0, 0.0);
    for (v, w) in rows.values.iter().zip(&rows.weights) {
        purchases += w * v[0];
        exposure += w * v[2];
    }
    let rate = (purchases.max(0.5) / exposure.max(f64::MIN_POSITIVE)).clamp(1e-6, 1e6);
    vec![[1.0, 1.0 / rate, 1.0, 1.0 / rate], [0.5, 0.5 / rate, 0.5, 0.25 / rate]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(x: u32, t_x: f64, t: f64) -> CustomerSummary {
        CustomerSummary::new(x, t_x, t, rust_decimal::Decimal::ZERO).expect("valid")
    }

    #[test]
    fn gradient_matches_central_differences() {
        let points = [
            ([0.55, 10.58, 0.61, 11.67], [2.0, 30.43, 38.86]),
            ([0.55, 10.58, 0.61, 11.67], [0.0, 0.0, 38.86]),
            ([2.0, 0.5, 3.0, 40.0], [15.0, 3.0, 50.0]),
            ([0.3, 200.0, 0.2, 0.01], [1.0, 0.5, 20.0]),
            ([1.5, 3.0, 1.0, 3.0], [40.0, 39.0, 39.5]),
            ([0.8, 8.0, 0.6, 5.0], [12.0, 20.0, 45.0]),
            ([0.8, 1.0, 0.6, 30.0], [4.0, 2.0, 45.0]),
            ([2.0, 0.5, 30.0, 4.0], [100.0, 44.0, 45.0]),
        ];
        for (p, row) in points {
            let mut g = [0.0; 4];
            log_likelihood(&p, row[0], row[1], row[2], Some(&mut g));
            for j in 0..4 {
                let h = 1e-6 * p[j];
                let (mut up, mut down) = (p, p);
                up[j] += h;
                down[j] -= h;
                let fd = (log_likelihood(&up, row[0], row[1], row[2], None)
                    - log_likelihood(&down, row[0], row[1], row[2], None))
                    / (2.0 * h);
                assert!(
                    (g[j] - fd).abs() < 1e-6 * fd.abs().max(1.0),
                    "p={p:?} row={row:?} j={j}: {} vs {fd}",
                    g[j]
                );
            }
        }
    }

    #[test]
    fn series_and_quadrature_agree() {
        let points: [([f64; 4], [f64; 3]); 6] = [
            ([0.55, 10.58, 0.61, 11.67], [2.0, 30.43, 38.86]),
            ([0.55, 10.58, 0.61, 11.67], [0.0, 0.0, 38.86]),
            ([0.8, 8.0, 0.6, 5.0], [12.0, 20.0, 45.0]),
            ([0.8, 5.0, 0.6, 8.0], [60.0, 49.0, 50.0]),
            ([3.0, 4.0, 2.5, 4.0], [1.0, 0.5, 30.0]),
            ([0.2, 1.0, 0.3, 2.0], [0.0, 0.0, 1.0]),
        ];
        for (p, [x, t_x, t]) in points {
            let ln_ages = [(p[1] + t).ln(), (p[3] + t).ln()];
            let series = series_parts(&p, x, t_x, t, ln_ages).expect("in the series domain");
            let quadrature = quadrature_parts(&p, x, t_x, t, ln_ages);
            assert!(
                (series.ln_dead - quadrature.ln_dead).abs() < 1e-13,
                "{p:?} {x}: {} vs {}",
                series.ln_dead,
                quadrature.ln_dead
            );
            for j in 0..4 {
                let (a, b) = (
                    (series.ln_weight).exp() * series.direction[j],
                    (quadrature.ln_weight).exp() * quadrature.direction[j],
                );
                assert!((a - b).abs() < 1e-11 * b.abs().max(1e-300), "{p:?} {x} j={j}: {a} vs {b}");
            }
        }
    }

    /// The two evaluations of the likelihood integral agree wherever the series applies, on
    /// random parameters (log-uniform in [1e-3, 1e3]) and customers (x up to 1e5, T up to 1e4).
    #[test]
    fn series_and_quadrature_agree_at_random_points() {
        let mut rng = Rng::new(99);
        let mut log_uniform = |lo: f64, hi: f64| (lo.ln() + (hi.ln() - lo.ln()) * rng.uniform()).exp();
        let mut compared = 0;
        for _ in 0..3000 {
            let p = [
                log_uniform(1e-3, 1e3),
                log_uniform(1e-3, 1e3),
                log_uniform(1e-3, 1e3),
                log_uniform(1e-3, 1e3),
            ];
            let t = log_uniform(1e-2, 1e4);
            let x = log_uniform(1.0, 1e5).floor();
            let t_x = t * log_uniform(1e-3, 1.0);
            let ln_alive = -(p[0] + x) * (p[1] + t).ln() - p[2] * (p[3] + t).ln();
            let ln_ages = [(p[1] + t).ln(), (p[3] + t).ln()];
            let Some(series) = series_parts(&p, x, t_x, t, ln_ages) else { continue };
            let quadrature = quadrature_parts(&p, x, t_x, t, ln_ages);
            // Compare the likelihood's sum A + D (the difference in D is benign where D ≪ A).
            let (a, b) = (log_add_exp(ln_alive, series.ln_dead), log_add_exp(ln_alive, quadrature.ln_dead));
            assert!((a - b).abs() < 1e-13 * a.abs().max(1.0), "{p:?} x={x} t_x={t_x} T={t}: {a} vs {b}");
            compared += 1;
        }
        assert!(compared > 300, "{compared}");
    }

    /// The analytic gradient against central differences at random points (both paths).
    #[test]
    fn gradient_matches_central_differences_at_random_points() {
        let mut rng = Rng::new(7);
        let mut log_uniform = |lo: f64, hi: f64| (lo.ln() + (hi.ln() - lo.ln()) * rng.uniform()).exp();
        for _ in 0..300 {
            let p = [
                log_uniform(1e-2, 1e2),
                log_uniform(1e-2, 1e2),
                log_uniform(1e-2, 1e2),
                log_uniform(1e-2, 1e2),
            ];
            let t = log_uniform(1e-1, 1e3);
            let x = log_uniform(1.0, 1e3).floor() - 1.0;
            let t_x = if x > 0.0 { t * log_uniform(1e-3, 1.0) } else { 0.0 };
            let mut g = [0.0; 4];
            log_likelihood(&p, x, t_x, t, Some(&mut g));
            for j in 0..4 {
                let h = 1e-5 * p[j];
                let (mut up, mut down) = (p, p);
                up[j] += h;
                down[j] -= h;
                let fd = (log_likelihood(&up, x, t_x, t, None) - log_likelihood(&down, x, t_x, t, None))
                    / (2.0 * h);
                let scale = fd.abs().max(1.0 / p[j]).max(1.0);
                assert!(
                    (g[j] - fd).abs() < 1e-5 * scale,
                    "p={p:?} x={x} t_x={t_x} T={t} j={j}: {} vs {fd}",
                    g[j]
                );
            }
        }
    }

    #[test]
    fn brand_new_customer_has_likelihood_one() {
        let m = ParetoNbd::new(0.55, 10.58, 0.61, 11.67).expect("valid");
        assert!(m.log_likelihood(&customer(0, 0.0, 0.0)).abs() < 1e-14);
        assert_eq!(m.probability_alive(&customer(0, 0.0, 0.0)), 1.0);
    }

    #[test]
    fn pmf_sums_to_one_and_matches_the_mean() {
        let m = ParetoNbd::new(0.55, 10.58, 0.61, 11.67).expect("valid");
        let t = 39.0;
        let (mut total, mut mean) = (0.0, 0.0);
        for n in 0..400 {
            let p = m.probability_of_purchases(n, t).expect("valid");
            total += p;
            mean += f64::from(n) * p;
        }
        assert!((total - 1.0).abs() < 1e-10, "{total}");
        let want = m.expected_purchases(t).expect("valid");
        assert!((mean / want - 1.0).abs() < 1e-9, "{mean} vs {want}");
    }

    #[test]
    fn s_equal_one_is_the_logarithmic_limit() {
        let m = ParetoNbd::new(0.5, 2.0, 1.0, 4.0).expect("valid");
        let got = m.expected_purchases(10.0).expect("valid");
        assert!((got - 0.5 * 4.0 / 2.0 * (1.0f64 + 10.0 / 4.0).ln()).abs() < 1e-15);
    }

    #[test]
    fn probability_alive_by_the_series_matches_the_likelihood_parts() {
        let mut rng = Rng::new(5);
        let mut used = 0;
        for _ in 0..5_000 {
            let u = |rng: &mut Rng, lo: f64, hi: f64| (lo.ln() + rng.uniform() * (hi.ln() - lo.ln())).exp();
            let p = [
                u(&mut rng, 0.05, 5.0),
                u(&mut rng, 0.5, 50.0),
                u(&mut rng, 0.05, 5.0),
                u(&mut rng, 0.5, 50.0),
            ];
            let age = u(&mut rng, 1.0, 100.0);
            let t_x = age * rng.uniform();
            let x = (u(&mut rng, 1.0, 60.0) - 1.0).floor();
            let Some(fast) = probability_alive_series(&p, x, t_x, age, series_values) else { continue };
            used += 1;
            let parts = parts(&p, x, t_x, age);
            let slow = (parts.ln_alive - log_add_exp(parts.ln_alive, parts.ln_dead)).exp();
            // Relative accuracy while P(alive) is not tiny, absolute below.
            assert!((fast - slow).abs() <= 1e-12 * slow.max(1e-3), "{p:?} {x} {t_x} {age}: {fast} vs {slow}");
        }
        assert!(used > 2_000, "series used {used} times");
    }

    /// The counted sums of P(alive) against the sums that test each term, over the range of
    /// the series (z up to 0.8, c up to 1e5), at 0 and at the smallest subnormal.
    #[test]
    fn counted_series_matches_the_tested_one() {
        let mut rng = Rng::new(21);
        let mut log_uniform = |lo: f64, hi: f64| (lo.ln() + (hi.ln() - lo.ln()) * rng.uniform()).exp();
        for i in 0..20_000 {
            let c = log_uniform(1e-2, 1e5);
            let k = c * log_uniform(1e-4, 1.0);
            let z0 = match i {
                0 => 0.0,
                1 => f64::from_bits(1),
                2 => SERIES_MAX_Z,
                _ => SERIES_MAX_Z * log_uniform(1e-6, 1.0),
            };
            let z = [z0, z0 * log_uniform(1e-3, 1.0)];
            let counted = series_values(k, c, z).expect("within the terms");
            let tested = series_sums(k, c, z).expect("converges");
            for j in 0..2 {
                let (a, b) = (counted[j], tested[j][0]);
                assert!((a - b).abs() <= 4e-15 * b, "k={k} c={c} z={z:?}: {a} vs {b}");
            }
        }
        assert_eq!(series_values(1.0, 2.0, [1.0, 0.5]), None, "no bound at z = 1");
        assert_eq!(series_values(1.0, 2.0, [0.9, 0.5]), None, "past the terms");
    }

    #[test]
    fn send_sync() {
        fn check<T: Send + Sync>() {}
        check::<ParetoNbd>();
        check::<ParetoNbdFitter>();
    }
}
