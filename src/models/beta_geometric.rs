//! The mathematics shared by BG/NBD and MBG/NBD: Poisson purchases at a gamma-distributed
//! rate λ ~ Gamma(r, α), a beta-distributed dropout probability p ~ Beta(a, b) flipped after
//! every repeat purchase — and, in MBG/NBD, also right after the first purchase.
//!
//! The two models differ only in how many dropout coins a customer with `x` repeat purchases
//! has survived: `m = x` (BG/NBD) or `m = x + 1` (MBG/NBD). Every formula below is written in
//! `m`, so one code path serves both:
//!
//! * likelihood `L = [B(a, b+m)/B(a, b)]·[Γ(r+x)α^r/Γ(r)]·[(α+T)^{−(r+x)} + δ_{m>0}·(a/(b+m−1))·(α+t_x)^{−(r+x)}]`
//!   (BG/NBD: Fader, Hardie & Lee 2005, Eq. 6; MBG/NBD: Batislam et al. 2007), evaluated in
//!   the overflow-safe form of Fader, Hardie & Lee's note 027;
//! * `P(alive) = 1/[1 + δ_{m>0}·(a/(b+m−1))·((α+T)/(α+t_x))^{r+x}]`;
//! * `E[Y(t) | x, t_x, T] = P(alive)·E_{p ~ Beta(a, b+m)}[(1/p)(1 − ((α+T)/(α+T+pt))^{r+x})]`,
//!   the posterior mixture of the individual expectation `(1/p)(1 − e^{−λpt})` (no ₂F₁, no
//!   singularity at `a = 1`); `E[X(t)]` is the same at the "empty" customer `x = t_x = T = 0`;
//! * `P(X(t) = n) = [B(a, b+m)/B(a,b)]·NB(n) + δ_{m>0}·[B(a+1, b+m−1)/B(a,b)]·P(NB ≥ n)` with
//!   `m` the coins of `n` purchases and NB the negative binomial of the purchases of an
//!   immortal customer (Fader, Hardie & Lee 2005, Eq. 8, and its MBG/NBD analogue).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::math::gamma_shift::{ln_beta_precise as ln_beta, rising_table};
use crate::math::incomplete_gamma::upper_gamma_scaled;
use crate::math::quadrature::integrate;
use crate::math::random::Rng;
use crate::math::special::{digamma, ln_beta_inc, ln_gamma, log_add_exp};
use crate::models::chunks;
use crate::models::fit::RowLikelihood;
use crate::models::memo::Memo;
use crate::models::{FitOptions, FitReport, Rows, SimulatedCustomer, check_ages, check_positive, maximize};
use crate::summary::CustomerSummary;
use crate::{Error, Result};

/// When the dropout coin is flipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dropout {
    /// After each repeat purchase (BG/NBD): a customer with no repeat purchase is alive.
    AfterRepeatPurchases,
    /// Also right after the first purchase (MBG/NBD).
    AlsoAtFirstPurchase,
}

impl Dropout {
    /// Dropout coins survived by a customer with `x` repeat purchases who is still alive.
    fn coins(self, x: f64) -> f64 {
        match self {
            Dropout::AfterRepeatPurchases => x,
            Dropout::AlsoAtFirstPurchase => x + 1.0,
        }
    }
}

/// The four parameters, in the model's order (r, α, a, b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Params {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl Params {
    /// Checked parameters: each finite and `> 0`.
    pub(crate) fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        Ok(Params {
            r: check_positive("r", r)?,
            alpha: check_positive("alpha", alpha)?,
            a: check_positive("a", a)?,
            b: check_positive("b", b)?,
        })
    }

    fn array(self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }
}

/// `ln Γ(z + n) − ln Γ(z)` for an integer `n ≥ 0` (as `f64`): exact products for small `n`
/// (cheaper and more accurate than two `ln Γ`), `ln Γ` differences otherwise.
fn ln_rising(z: f64, n: f64) -> f64 {
    if n == 0.0 {
        0.0
    } else if n <= SMALL_COUNT && z < 1e30 {
        let mut product = z;
        let mut j = 1.0;
        while j < n {
            product *= z + j;
            j += 1.0;
        }
        product.ln()
    } else {
        ln_gamma(z + n) - ln_gamma(z)
    }
}

/// `ψ(z + n) − ψ(z)` for an integer `n ≥ 0`: the finite sum `Σ 1/(z + j)` for small `n`.
fn digamma_rising(z: f64, n: f64) -> f64 {
    if n <= SMALL_COUNT {
        let mut sum = 0.0;
        let mut j = 0.0;
        while j < n {
            sum += 1.0 / (z + j);
            j += 1.0;
        }
        sum
    } else {
        digamma(z + n) - digamma(z)
    }
}

/// Counts up to which rising factorials are evaluated as products and sums (8 factors of at
/// most 1e30 cannot overflow; the error grows with the number of factors, about 8 ulp here).
const SMALL_COUNT: f64 = 8.0;

/// `1/(1 + eᵈ)` without overflow.
fn logistic_of_neg(d: f64) -> f64 {
    1.0 / (1.0 + d.exp())
}

/// Log-likelihood of one customer `[x, t_x, T]`, with `∂ ln L/∂(r, α, a, b)` written into
/// `grad`.
pub(crate) fn log_likelihood(dropout: Dropout, p: &[f64; 4], row: &[f64; 3], grad: &mut [f64; 4]) -> f64 {
    let counts = count_terms(dropout, p, p[1].ln(), row[0]);
    row_log_likelihood(p, row, &counts, AgeTerms::new(p[1], row[1]), AgeTerms::new(p[1], row[2]), grad)
}

/// `ln(α + τ)` and `1/(α + τ)` of an age `τ` (the recency `t_x` or the age `T`).
#[derive(Debug, Clone, Copy, Default)]
struct AgeTerms {
    ln: f64,
    inv: f64,
}

impl AgeTerms {
    fn new(alpha: f64, age: f64) -> Self {
        let v = alpha + age;
        AgeTerms { ln: v.ln(), inv: 1.0 / v }
    }
}

/// [`log_likelihood`] given the count terms of the row's `x` and the [`AgeTerms`] of its `t_x`
/// and `T`: the overflow-safe form of note 027,
/// `ln L = D₁ + r ln α − (r+x) ln(α+t_x) + ln(C₃ + δ_{m>0} C₄)`,
/// `C₃ = ((α+t_x)/(α+T))^{r+x}`, `C₄ = a/(b+m−1)`, with the sum taken in log space.
fn row_log_likelihood(
    p: &[f64; 4],
    row: &[f64; 3],
    counts: &CountTerms,
    recency: AgeTerms,
    age: AgeTerms,
    grad: &mut [f64; 4],
) -> f64 {
    let c = p[0] + row[0];
    let ln_at = recency.ln;
    // ln C₃ = −(r+x)·ln((α + T)/(α + t_x)) ≤ 0, as a difference of logarithms (the absolute
    // error, a few ulp of ln(α + T), is what the sum of the log-likelihood keeps anyway; the
    // logarithms come from a table of the distinct ages in a fit).
    let log_ratio = (age.ln - ln_at).max(0.0);
    let ln_c3 = -c * log_ratio;
    // Weights of the two terms of the sum: w₃ = C₃/(C₃ + C₄) (= P(alive)), w₄ = 1 − w₃.
    let (ln_sum, w3, w4) = match counts.ln_c4 {
        Some(ln_c4) => {
            // One exponential for the log-sum and both weights: e = e^{−|ln C₃ − ln C₄|} ≤ 1.
            let d = ln_c4 - ln_c3;
            let e = (-d.abs()).exp();
            let big = 1.0 / (1.0 + e);
            let small = e * big;
            let (w3, w4) = if d > 0.0 { (small, big) } else { (big, small) };
            (ln_c3.max(ln_c4) + (1.0 + e).ln(), w3, w4)
        }
        None => (ln_c3, 1.0, 0.0),
    };
    let ll = counts.ln_const - c * ln_at + ln_sum;
    // ∂/∂r: ψ(r+x) − ψ(r) + ln α − ln(α+t_x) + w₃·ln C₃/(r+x).
    grad[0] = counts.psi_r - ln_at - w3 * log_ratio;
    // ∂/∂α: r/α − (r+x)·[w₃/(α+T) + w₄/(α+t_x)].
    grad[1] = counts.r_over_alpha - c * (w3 * age.inv + w4 * recency.inv);
    grad[2] = -counts.psi_ab + w4 * counts.inv_a;
    grad[3] = counts.psi_b - counts.psi_ab - w4 * counts.inv_bm1;
    ll
}

/// The terms of the likelihood that depend on the parameters and the count `x` only:
/// `ln[Γ(r+x)/Γ(r)] + ln[B(a, b+m)/B(a, b)] + r ln α`, the digamma differences
/// `ψ(r+x) − ψ(r)` (plus `ln α`), `ψ(b+m) − ψ(b)`, `ψ(a+b+m) − ψ(a+b)`, for `m > 0`
/// `ln C₄ = ln(a/(b+m−1))` and `1/(b+m−1)`, and the constants `r/α` and `1/a`.
#[derive(Debug, Clone, Copy)]
struct CountTerms {
    ln_const: f64,
    psi_r: f64,
    psi_b: f64,
    psi_ab: f64,
    ln_c4: Option<f64>,
    inv_bm1: f64,
    r_over_alpha: f64,
    inv_a: f64,
}

impl CountTerms {
    /// The terms from the rising factorials `(ln Γ(z+n) − ln Γ(z), ψ(z+n) − ψ(z))` of `r` at
    /// `x` and of `b`, `a+b` at `m`, and `ln α`.
    fn new(
        &[r, alpha, a, b]: &[f64; 4],
        ln_alpha: f64,
        m: f64,
        r_rising: (f64, f64),
        b_rising: (f64, f64),
        ab_rising: (f64, f64),
    ) -> Self {
        let bm1 = b + m - 1.0;
        CountTerms {
            ln_const: r_rising.0 + b_rising.0 - ab_rising.0 + r * ln_alpha,
            psi_r: r_rising.1 + ln_alpha,
            psi_b: b_rising.1,
            psi_ab: ab_rising.1,
            ln_c4: (m > 0.0).then(|| (a / bm1).ln()),
            inv_bm1: if m > 0.0 { 1.0 / bm1 } else { 0.0 },
            r_over_alpha: r / alpha,
            inv_a: 1.0 / a,
        }
    }
}

/// [`CountTerms`] of one count, with one logarithm and one loop when the counts are small
/// (most customers), through `ln Γ` and `ψ` otherwise.
fn count_terms(dropout: Dropout, p: &[f64; 4], ln_alpha: f64, x: f64) -> CountTerms {
    let [r, _, a, b] = *p;
    let m = dropout.coins(x);
    let ab = a + b;
    if m <= SMALL_COUNT && r.max(ab) < 1e30 {
        // x ≤ m ≤ 8: Π_{j<x}(r+j)·Π_{j<m}(b+j)/(a+b+j).
        let (mut product, mut psi_r, mut psi_b, mut psi_ab) = (1.0, 0.0, 0.0, 0.0);
        let mut j = 0.0;
        while j < m {
            if j < x {
                product *= r + j;
                psi_r += 1.0 / (r + j);
            }
            product *= (b + j) / (ab + j);
            psi_b += 1.0 / (b + j);
            psi_ab += 1.0 / (ab + j);
            j += 1.0;
        }
        CountTerms::new(p, ln_alpha, m, (product.ln(), psi_r), (0.0, psi_b), (0.0, psi_ab))
    } else {
        let rising = |z: f64, n: f64| (ln_rising(z, n), digamma_rising(z, n));
        CountTerms::new(p, ln_alpha, m, rising(r, x), rising(b, m), rising(ab, m))
    }
}

/// The likelihood of a fit: [`row_log_likelihood`] with the [`CountTerms`] of the counts
/// `x < table_len` tabulated once per evaluation (one pass of the rising-factorial recurrences)
/// and larger counts evaluated per row; and, when a customer base has few distinct ages (times
/// are usually whole days: a few hundred values of `t_x` and `T` for any number of customers),
/// the [`AgeTerms`] of each distinct age once per evaluation instead of twice per row.
///
/// Its rows are `[x, t_x, T, i, j]`: `i`, `j` index `t_x` and `T` in the table of ages
/// (`NO_AGE` without a table).
struct Likelihood {
    dropout: Dropout,
    table_len: usize,
    ages: Vec<f64>,
}

/// The largest count table: 3 logarithms per entry per evaluation.
const COUNT_TABLE_MAX: usize = 1024;
/// The index of an age that is not in the table.
const NO_AGE: f64 = 4_294_967_295.0;

impl Likelihood {
    /// The likelihood of `rows` `[x, t_x, T]`, and the rows with their age indices.
    fn new(dropout: Dropout, rows: Rows<3>) -> (Self, Rows<5>) {
        let max_x = rows.values.iter().map(|v| v[0]).fold(0.0, f64::max);
        // `as` saturates; the table covers 0..=max_x up to the cap.
        let table_len = (max_x as usize).saturating_add(1).min(COUNT_TABLE_MAX);
        // The distinct ages, numbered in order of appearance, unless there are too many for a
        // table to pay (two lookups save two logarithms and two divisions each): then none.
        let most = rows.values.len() / 2;
        let mut numbers: HashMap<u64, usize> = HashMap::new();
        let mut ages = Vec::new();
        'scan: for v in &rows.values {
            for age in [v[1], v[2]] {
                if let Entry::Vacant(slot) = numbers.entry(age.to_bits()) {
                    if ages.len() >= most {
                        numbers.clear();
                        ages.clear();
                        break 'scan;
                    }
                    slot.insert(ages.len());
                    ages.push(age);
                }
            }
        }
        // Indices are below 2^32 (u32 counts of rows) and exact in an f64.
        let index = |age: f64| numbers.get(&age.to_bits()).map_or(NO_AGE, |&i| i as f64);
        let values = rows.values.iter().map(|&[x, t_x, age]| [x, t_x, age, index(t_x), index(age)]).collect();
        (Likelihood { dropout, table_len, ages }, Rows { values, weights: rows.weights })
    }
}

impl RowLikelihood<4, 5> for Likelihood {
    type Prepared = (f64, Vec<CountTerms>, Vec<AgeTerms>);

    fn prepare(&self, p: &[f64; 4]) -> Self::Prepared {
        let [r, alpha, a, b] = *p;
        let ln_alpha = alpha.ln();
        let extra = usize::from(self.dropout == Dropout::AlsoAtFirstPurchase);
        let r_table = rising_table(r, self.table_len);
        let b_table = rising_table(b, self.table_len + extra);
        let ab_table = rising_table(a + b, self.table_len + extra);
        let table = r_table
            .iter()
            .enumerate()
            .map(|(x, &r_rising)| {
                let m = x + extra;
                let at = |t: &[(f64, f64)]| t.get(m).copied().unwrap_or_default();
                CountTerms::new(p, ln_alpha, m as f64, r_rising, at(&b_table), at(&ab_table))
            })
            .collect();
        let ages = self.ages.iter().map(|&age| AgeTerms::new(alpha, age)).collect();
        (ln_alpha, table, ages)
    }

    fn row(
        &self,
        (ln_alpha, table, ages): &Self::Prepared,
        p: &[f64; 4],
        &[x, t_x, age, i, j]: &[f64; 5],
        grad: &mut [f64; 4],
    ) -> f64 {
        let row = [x, t_x, age];
        // Counts are whole numbers (u32 frequencies) and indices whole numbers below 2^32;
        // `as` saturates beyond the tables.
        let direct_counts;
        let counts = match table.get(x as usize) {
            Some(counts) => counts,
            None => {
                direct_counts = count_terms(self.dropout, p, *ln_alpha, x);
                &direct_counts
            }
        };
        let (recency, age_terms) = match (ages.get(i as usize), ages.get(j as usize)) {
            (Some(&recency), Some(&age_terms)) => (recency, age_terms),
            _ => (AgeTerms::new(p[1], t_x), AgeTerms::new(p[1], age)),
        };
        row_log_likelihood(p, &row, counts, recency, age_terms, grad)
    }
}

/// The log-likelihood of one customer (the gradient is discarded).
pub(crate) fn customer_log_likelihood(dropout: Dropout, params: Params, customer: &CustomerSummary) -> f64 {
    let mut grad = [0.0; 4];
    log_likelihood(dropout, &params.array(), &row_of(customer), &mut grad)
}

/// The row `[x, t_x, T]` of a customer.
fn row_of(customer: &CustomerSummary) -> [f64; 3] {
    [f64::from(customer.frequency()), customer.recency(), customer.age()]
}

/// P(alive | x, t_x, T) `= 1/[1 + δ_{m>0}·(a/(b+m−1))·((α+T)/(α+t_x))^{r+x}]`.
pub(crate) fn probability_alive(dropout: Dropout, params: Params, x: f64, t_x: f64, age: f64) -> f64 {
    let m = dropout.coins(x);
    if m == 0.0 {
        return 1.0;
    }
    let Params { r, alpha, a, b } = params;
    // 1/[1 + (a/(b+m−1))·((α+T)/(α+t_x))^{r+x}]; an infinite power gives 0. Should the ratio
    // underflow against an infinite power (0·∞), the same in logs.
    let ln_power = (r + x) * ((age - t_x) / (alpha + t_x)).ln_1p();
    let ratio = a / (b + m - 1.0);
    let odds = ratio * ln_power.exp();
    if odds.is_nan() { logistic_of_neg(a.ln() - (b + m - 1.0).ln() + ln_power) } else { 1.0 / (1.0 + odds) }
}

/// E[Y(t) | x, t_x, T] `= P(alive)·E_{p ~ Beta(a, b+m)}[(1/p)(1 − ((α+T)/(α+T+pt))^{r+x})]`.
pub(crate) fn conditional_expected_purchases(
    dropout: Dropout,
    params: Params,
    x: f64,
    t_x: f64,
    age: f64,
    t: f64,
) -> f64 {
    let alive = probability_alive(dropout, params, x, t_x, age);
    alive * Posterior::of(dropout, params, x, age).mean(t)
}

/// The posterior of a customer alive at `T` after `x` repeat purchases: purchase rate
/// `λ ~ Gamma(c, s)` with `c = r + x`, `s = α + T`, and dropout probability `p ~ Beta(a, β)`
/// with `β = b + m` (the coins survived). Every prediction given survival is an expectation
/// over it.
#[derive(Debug, Clone, Copy)]
struct Posterior {
    c: f64,
    s: f64,
    a: f64,
    beta: f64,
}

impl Posterior {
    fn of(dropout: Dropout, params: Params, x: f64, age: f64) -> Self {
        Posterior { c: params.r + x, s: params.alpha + age, a: params.a, beta: params.b + dropout.coins(x) }
    }

    /// Expected purchases in `(0, t]` ([`beta_mixture_mean`]).
    fn mean(self, t: f64) -> f64 {
        beta_mixture_mean(self.c, self.s, self.a, self.beta, t)
    }
}

/// [`conditional_expected_purchases`] at several checked horizons: P(alive) once, the mixture
/// of every horizon in one pass of the series.
pub(crate) fn conditional_expected_purchases_path(
    dropout: Dropout,
    params: Params,
    customer: &CustomerSummary,
    horizons: &[f64],
    out: &mut [f64],
) {
    let (x, age) = (f64::from(customer.frequency()), customer.age());
    let alive = probability_alive(dropout, params, x, customer.recency(), age);
    let Posterior { c, s, a, beta } = Posterior::of(dropout, params, x, age);
    beta_mixture_means(c, s, a, beta, horizons, out);
    for value in out.iter_mut() {
        *value *= alive;
    }
}

/// [`conditional_expected_purchases`] of many customers at one horizon: the mixture, which
/// depends on `(x, T)` only, computed once per distinct pair.
pub(crate) fn conditional_expected_purchases_batch(
    dropout: Dropout,
    params: Params,
    customers: &[CustomerSummary],
    t: f64,
) -> Vec<f64> {
    chunks::map_with(customers, |memo: &mut Memo, customer| {
        let (x, age) = (f64::from(customer.frequency()), customer.age());
        let alive = probability_alive(dropout, params, x, customer.recency(), age);
        alive * memo.get_or([x, age], || Posterior::of(dropout, params, x, age).mean(t))
    })
}

/// E[X(t)] of a new customer: [`conditional_expected_purchases`] of the customer who has
/// just made the first purchase (`x = t_x = T = 0`).
pub(crate) fn expected_purchases(dropout: Dropout, params: Params, t: f64) -> f64 {
    conditional_expected_purchases(dropout, params, 0.0, 0.0, 0.0, t)
}

/// `E_{p ~ Beta(a, β)}[h(p)]` with `h(p) = (1/p)(1 − (s/(s + p t))^c)`, the expected purchases
/// in `(0, t]` of a customer with dropout probability p and rate λ ~ Gamma(c, s): by the
/// hypergeometric series where it is accurate, by quadrature ([`beta_expectation`]) elsewhere.
fn beta_mixture_mean(c: f64, s: f64, a: f64, beta: f64, t: f64) -> f64 {
    let [series] = beta_mixture_mean_series(c, s, a, beta, [t]);
    series_or_quadrature(c, s, a, beta, t, series)
}

/// The series value where [`beta_mixture_mean_series`] found one, the quadrature elsewhere,
/// and 0 at `t ≤ 0`.
fn series_or_quadrature(c: f64, s: f64, a: f64, beta: f64, t: f64, series: Option<f64>) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    series.unwrap_or_else(|| beta_mixture_mean_quadrature(c, s, a, beta, t))
}

/// [`beta_mixture_mean`] at several horizons `ts` (into `out`, of the same length): the
/// series of [`SERIES_BLOCK`] of them in one pass, sharing each term's coefficient.
fn beta_mixture_means(c: f64, s: f64, a: f64, beta: f64, ts: &[f64], out: &mut [f64]) {
    for (block, values) in ts.chunks(SERIES_BLOCK).zip(out.chunks_mut(SERIES_BLOCK)) {
        // A short last block is padded with t = 0, which the series skips.
        let mut padded = [0.0; SERIES_BLOCK];
        for (p, &t) in padded.iter_mut().zip(block) {
            *p = t;
        }
        let series = beta_mixture_mean_series(c, s, a, beta, padded);
        for ((value, &t), found) in values.iter_mut().zip(block).zip(series) {
            *value = series_or_quadrature(c, s, a, beta, t, found);
        }
    }
}

/// Horizons summed together by [`beta_mixture_mean_series`].
const SERIES_BLOCK: usize = 4;
/// Terms of the series between two convergence checks.
const SERIES_CHECK_EVERY: u32 = 8;

/// [`beta_mixture_mean`] through the Gauss hypergeometric closed form (Fader, Hardie & Lee
/// 2005, Eq. 10, with `b + x` replaced by the posterior `β`):
/// `E = [(a+β−1)/(a−1)]·[1 − (1−z)^c ₂F₁(c, β; a+β−1; z)]`, `z = t/(s+t)`, at up to
/// `B` horizons at once (those `≤ 0` are skipped; the coefficients of the series do not depend on
/// `z`, so the horizons share them and their divisions).
///
/// The bracket is formed without its leading cancellation: with `₂F₁ = 1 + S`,
/// `1 − (1−z)^c (1 + S) = [1 − (1−z)^c] − (1−z)^c S`, the first part by `expm1` and `S` by its
/// power series, whose terms are all positive when `a + β > 1`. What cancellation remains (the
/// two parts differ by a factor about `|a − 1|/(a + β − 1)`) is measured, and the series is
/// used only where it and the number of terms keep the relative error below about 1e-12;
/// `None` sends the caller to the quadrature (`a` near 1, `z` near 1, huge `c`).
fn beta_mixture_mean_series<const B: usize>(
    c: f64,
    s: f64,
    a: f64,
    beta: f64,
    ts: [f64; B],
) -> [Option<f64>; B] {
    let mut out = [None; B];
    let gamma = a + beta - 1.0;
    if !(gamma > 0.0 && a != 1.0) {
        return out;
    }
    // Per horizon: z, ln (1 − z)^c = −c·ln(1 + t/s), the current term and the partial sum.
    let mut z = [0.0; B];
    let mut ln_power = [0.0; B];
    let mut term = [1.0; B];
    let mut sum = [0.0; B];
    let mut active = [false; B];
    for k in 0..B {
        let t = ts[k];
        z[k] = t / (s + t);
        ln_power[k] = -c * (t / s).ln_1p();
        active[k] = t > 0.0 && z[k] < SERIES_MAX_Z && ln_power[k] > -SERIES_MAX_LN_GROWTH;
    }
    // S = Σ_{n≥1} f_n zⁿ, f_{n+1}/f_n = (c+n)(β+n)/((γ+n)(n+1)).
    let coefficient_ratio = |n: f64| (c + n) * (beta + n) / ((gamma + n) * (n + 1.0));
    let mut q = coefficient_ratio(0.0);
    let mut terms = 0u32;
    while active.iter().any(|&a| a) {
        terms += 1;
        let next_q = coefficient_ratio(f64::from(terms));
        // Every horizon's term in one branch-free (vectorisable) pass; those already finished
        // keep the sum they finished with (saved into `out` below).
        for k in 0..B {
            term[k] *= q * z[k];
            sum[k] += term[k];
        }
        // Convergence is checked every few terms (the extra terms summed are below ε·S).
        if terms % SERIES_CHECK_EVERY != 0 {
            q = next_q;
            continue;
        }
        for k in 0..B {
            if !active[k] {
                continue;
            }
            let ratio = next_q * z[k];
            // Once the terms shrink they shrink geometrically (the ratio falls towards z), so
            // the tail after a term below ε·S·(1 − ratio) is below ε·S.
            if ratio < 1.0 && term[k] < SERIES_EPSILON * sum[k] * (1.0 - ratio) {
                active[k] = false;
                out[k] = series_value(gamma, a, ln_power[k], sum[k], terms);
            } else if terms >= SERIES_MAX_TERMS || !sum[k].is_finite() {
                active[k] = false;
            }
        }
        q = next_q;
    }
    out
}

/// The mixture mean from the series sum `S` of `terms` terms, or `None` when the estimated
/// rounding error (the cancellation of the bracket times the ulps summed) is too large.
fn series_value(gamma: f64, a: f64, ln_power: f64, sum: f64, terms: u32) -> Option<f64> {
    let first = -ln_power.exp_m1();
    let second = ln_power.exp() * sum;
    let bracket = first - second;
    let cancellation = first.max(second) / bracket.abs();
    // Rounding: an ulp or so per term of S (positive terms: the errors add like a random
    // walk), plus the parts outside the series, magnified by the cancellation.
    let rounding = f64::from(terms).sqrt() + SERIES_ROUNDING_TERMS;
    let error_bound = cancellation * rounding * f64::EPSILON;
    if error_bound.is_nan() || error_bound >= SERIES_MAX_ERROR {
        return None;
    }
    let value = gamma / (a - 1.0) * bracket;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// Largest `z = t/(s+t)` for the series (beyond it the terms fall too slowly, about as `zⁿ`).
const SERIES_MAX_Z: f64 = 0.95;
/// Largest `c·ln(1 + t/s)`: `(1−z)^{−c}` bounds the growth of the series' terms.
const SERIES_MAX_LN_GROWTH: f64 = 300.0;
/// The series stops when the tail is below this fraction of the sum.
const SERIES_EPSILON: f64 = 1e-17;
/// The most terms summed before falling back to the quadrature.
const SERIES_MAX_TERMS: u32 = 2000;
/// Rounding of the parts outside the series, in ulp.
const SERIES_ROUNDING_TERMS: f64 = 8.0;
/// The largest estimated relative rounding error of the series result.
const SERIES_MAX_ERROR: f64 = 1e-12;

/// [`beta_mixture_mean`] by adaptive quadrature over the logit of `p` (every region).
fn beta_mixture_mean_quadrature(c: f64, s: f64, a: f64, beta: f64, t: f64) -> f64 {
    if t <= 0.0 {
        return 0.0;
    }
    let k = t / s;
    // h(p) = k·(1 − (1 + y)^{−c})/y with y = p·k formed from ln p: p itself can be subnormal
    // (where its relative precision is lost) while carrying much of the mass when a is small.
    // For c·y < 1e-8, the series ck·(1 − (c+1)y/2) is exact to rounding.
    let ln_k = k.ln();
    let h = |ln_p: f64| {
        let y = (ln_p + ln_k).exp();
        if c * y < SERIES_BELOW {
            c * k * (1.0 - 0.5 * (c + 1.0) * y)
        } else {
            -(-c * y.ln_1p()).exp_m1() * k / y
        }
    };
    // h is at most h(0) = ct/s; its knee, where p·c·t/s ≈ 1 (h ≈ ct/s to its left, ≈ 1/p to
    // its right), is at ln p ≈ −ln(ct/s).
    let ln_h0 = (c * k).ln();
    beta_expectation(a, beta, h, ln_h0, -ln_h0)
}

/// `E_{p ~ Beta(a, β)}[h(p)]` for a positive `h`, given as a function of `ln p`, that decreases
/// in `p` from at most `e^{ln_h_max}` and changes character around the logit `knee`.
///
/// Integrated over the logit `z = ln(p/(1−p))`, in which the Beta density becomes the smooth,
/// log-concave `p^a (1−p)^β / B(a, β)` with exponential tails (`e^{az}` and `e^{−βz}`): no
/// endpoint singularity for any `a, β > 0` and no special case at `a = 1`. The integration
/// range is where the integrand is within `e^{−TAIL}` of its largest value, found by stepping
/// out from the mode of the density (`h` is decreasing in `p` and at most `e^{ln_h_max}`,
/// which bounds the left tail).
fn beta_expectation(a: f64, beta: f64, h: impl Fn(f64) -> f64, ln_h_max: f64, knee: f64) -> f64 {
    let ln_b = ln_beta(a, beta);
    // ln p and ln(1 − p) of the logit z, without overflow.
    let logs = |z: f64| {
        if z < 0.0 {
            let l = z.exp().ln_1p();
            (z - l, -l)
        } else {
            let l = (-z).exp().ln_1p();
            (-l, -z - l)
        }
    };
    // Log of the integrand (without the constant ln B) and of its left-tail bound.
    let log_f = |z: f64| {
        let (ln_p, ln_q) = logs(z);
        a * ln_p + beta * ln_q + h(ln_p).ln()
    };
    let mode = a.ln() - beta.ln();
    let width = (1.0 / a + 1.0 / beta).sqrt();
    let mut top = log_f(mode);
    // Left: the integrand may rise first (h grows as p falls); stop once even the largest h
    // cannot lift the density back to within e^{−TAIL} of the largest value seen.
    let mut lo = mode;
    let mut peak = mode;
    let mut step = width;
    for _ in 0..MAX_STEPS {
        lo -= step;
        step *= 2.0;
        let (ln_p, ln_q) = logs(lo);
        let v = log_f(lo);
        if v > top {
            top = v;
            peak = lo;
        }
        if a * ln_p + beta * ln_q + ln_h_max < top - TAIL {
            break;
        }
    }
    // Right: density and h both fall.
    let mut hi = mode;
    let mut step = width;
    for _ in 0..MAX_STEPS {
        hi += step;
        step *= 2.0;
        if log_f(hi) < top - TAIL {
            break;
        }
    }
    // Break the range where the integrand changes character, so that no feature hides
    // between the nodes of a wide first panel: the density's mode (± its width), the largest
    // value seen, and the knee of h (a drop of width about 1 in z that can sit far out in a
    // long tail).
    let mut points = [lo, mode - width, mode, mode + width, peak, knee - 3.0, knee, knee + 3.0, hi];
    for z in &mut points {
        *z = z.clamp(lo, hi);
    }
    points.sort_unstable_by(f64::total_cmp);
    let f = |z: f64| {
        let (ln_p, ln_q) = logs(z);
        (a * ln_p + beta * ln_q - ln_b).exp() * h(ln_p)
    };
    let mut total = 0.0;
    for pair in points.windows(2) {
        if let [left, right] = *pair
            && right > left
        {
            total += integrate(f, left, right, MIXTURE_TOLERANCE, 0.0, MAX_PANELS).0;
        }
    }
    total
}

/// Discounted expected residual transactions of one customer at the continuous rate `δ > 0`:
/// a customer alive with purchase rate λ and dropout probability p makes purchase `j` after
/// `j` exponential waits and `j − 1` survived coins, so
/// `E[Σ_j e^{−δτ_j} | λ, p] = Σ_j (λ/(λ+δ))^j (1−p)^{j−1} = λ/(δ + pλ)`. Over the posterior
/// `λ ~ Gamma(r+x, α+T)` (mean `c/s`) this is `(c/(sδ))·S(−c, sδ/p)`, with the scaled upper
/// incomplete gamma `S(a, z) = z^{1−a}e^zΓ(a, z) ∈ (0, 1]`, and over `p ~ Beta(a, b+m)` one
/// quadrature: `DERT = P(alive)·(c/(sδ))·E_p[S(−c, sδ/p)]`.
pub(crate) fn dert(dropout: Dropout, params: Params, customer: &CustomerSummary, rate: f64) -> f64 {
    let (x, age) = (f64::from(customer.frequency()), customer.age());
    let alive = probability_alive(dropout, params, x, customer.recency(), age);
    let Posterior { c, s, a, beta } = Posterior::of(dropout, params, x, age);
    let ln_sd = (s * rate).ln();
    // S(−c, sδ/p) rises from about (sδ/p)/(c+1) (p near 1, for small sδ) to 1 (p → 0): its knee
    // is where sδ/p ≈ c + 1. Arguments too large for the continued fraction are at the limit 1.
    let h = |ln_p: f64| {
        let z = (ln_sd - ln_p).exp();
        if z < DERT_LIMIT { upper_gamma_scaled(-c, z) } else { 1.0 }
    };
    let mean = beta_expectation(a, beta, h, 0.0, ln_sd - (c + 1.0).ln());
    alive * c / (s * rate) * mean
}

/// Beyond this argument `S(−c, z) = 1 − c/z + …` is 1 to within the quadrature's tolerance for
/// every `c` a customer can have (`c < 2³²`).
const DERT_LIMIT: f64 = 1e30;

/// Where `h` switches to its two-term series: the next term is `O((c·y)²) < 1e-16` relative.
const SERIES_BELOW: f64 = 1e-8;
/// Relative accuracy asked of the mixture integral. The Kronrod error estimate is usually
/// pessimistic, but not always: at 1e-9, MBG/NBD's E[X(7620)] at a = 0.0049, b = 0.0013 (a
/// fixture of `tests/models_peers.rs`) was off by 2.5e-9; at 1e-12 every fixture point agrees
/// with mpmath to better than 1e-9.
const MIXTURE_TOLERANCE: f64 = 1e-12;
/// Where the integrand is cut off: `e^{−45} ≈ 3e-20` of its largest value.
const TAIL: f64 = 45.0;
/// Doubling steps when looking for the integration range (the range can grow to
/// `2^MAX_STEPS` widths).
const MAX_STEPS: usize = 80;
/// Panels of the adaptive quadrature on each side of the peak.
const MAX_PANELS: usize = 200;

/// P(X(t) = n) for a new customer, in log space:
/// `[B(a, b+m)/B(a,b)]·NB(n) + δ_{m>0}·[B(a+1, b+m−1)/B(a,b)]·P(NB ≥ n)`, where `m` is the
/// coins of `n` purchases, `NB(n) = [Γ(r+n)/(Γ(r) n!)]·(α/(α+t))^r·(t/(α+t))^n` and
/// `P(NB ≥ n) = I_{t/(α+t)}(n, r)` (regularised incomplete beta; 1 for `n = 0`).
pub(crate) fn probability_of_purchases(dropout: Dropout, params: Params, n: u32, t: f64) -> f64 {
    let Params { r, alpha, a, b } = params;
    let n = f64::from(n);
    if t == 0.0 {
        // No time to buy: X(0) = 0.
        return if n == 0.0 { 1.0 } else { 0.0 };
    }
    let m = dropout.coins(n);
    let ln_b = ln_beta(a, b);
    let ln_p0 = alpha.ln() - (alpha + t).ln(); // ln(α/(α+t))
    let ln_q = t.ln() - (alpha + t).ln(); // ln(t/(α+t))
    // Γ(r+n)/(Γ(r) n!) = 1/(n B(n, r)) for n ≥ 1 (one cancellation-free ln B instead of three ln Γ).
    let ln_coefficient = if n > 0.0 { -n.ln() - ln_beta(n, r) } else { 0.0 };
    let ln_nb = ln_coefficient + r * ln_p0 + if n > 0.0 { n * ln_q } else { 0.0 };
    let first = ln_beta(a, b + m) - ln_b + ln_nb;
    if m == 0.0 {
        return first.exp().min(1.0);
    }
    let ln_tail = if n == 0.0 { 0.0 } else { ln_beta_inc(n, r, t / (alpha + t), alpha / (alpha + t)).0 };
    let second = ln_beta(a + 1.0, b + m - 1.0) - ln_b + ln_tail;
    log_add_exp(first, second).exp().min(1.0)
}

/// One simulated customer per age: λ ~ Gamma(r, α), p ~ Beta(a, b); Poisson purchases at rate
/// λ; a dropout coin with probability p after each repeat purchase (and, for MBG/NBD, right
/// after the first purchase, at time 0).
pub(crate) fn simulate(
    dropout: Dropout,
    params: Params,
    ages: &[f64],
    seed: u64,
) -> Result<Vec<SimulatedCustomer>> {
    check_ages(ages)?;
    let mut rng = Rng::new(seed);
    let Params { r, alpha, a, b } = params;
    ages.iter()
        .map(|&age| {
            let lambda = rng.gamma(r, alpha);
            let expected = lambda * age;
            if expected.is_nan() || expected > MAX_SIMULATED_PURCHASES {
                return Err(Error::overflow("simulated purchases: purchase rate × age above 1e9"));
            }
            let p = rng.beta(a, b);
            let mut purchases = Vec::new();
            let mut dropout_time = None;
            if dropout == Dropout::AlsoAtFirstPurchase && rng.bernoulli(p) {
                dropout_time = Some(0.0);
            } else if lambda > 0.0 {
                let mut now = 0.0;
                loop {
                    now += rng.exponential(lambda);
                    if now > age {
                        break;
                    }
                    purchases.push(now);
                    if rng.bernoulli(p) {
                        dropout_time = Some(now);
                        break;
                    }
                }
            }
            Ok(SimulatedCustomer { purchases, dropout: dropout_time, observed: age })
        })
        .collect()
}

/// The largest expected number of purchases (rate × age) of one simulated customer: beyond it
/// the history would not fit in memory.
const MAX_SIMULATED_PURCHASES: f64 = 1e9;

/// Fits (r, α, a, b) by maximum likelihood: rows `[x, t_x, T]` compressed, BFGS over the
/// log-parameters with the analytic gradient, from the user's start or from data-driven starts
/// tried in turn until one converges.
pub(crate) fn fit(
    dropout: Dropout,
    customers: &[CustomerSummary],
    weights: Option<&[f64]>,
    options: &FitOptions,
    initial: Option<Params>,
) -> Result<(Params, FitReport)> {
    let (likelihood, rows) =
        Likelihood::new(dropout, Rows::from_rows(customers, weights, |c| Ok(row_of(c)))?);
    let starts: Vec<[f64; 4]> = match initial {
        Some(p) => vec![p.array()],
        None => {
            // Mean purchase rate x̄/T̄ sets the scale of α (r/α is the mean rate λ); the
            // dropout shapes start near the uniform prior.
            let total = rows.total_weight();
            let mean = |j: usize| {
                rows.values
                    .iter()
                    .zip(&rows.weights)
                    .map(|(v, w)| v.get(j).copied().unwrap_or(0.0) * w)
                    .sum::<f64>()
                    / total
            };
            let (x_bar, age_bar) = (mean(0), mean(2));
            let scale = if x_bar > 0.0 && age_bar > 0.0 { age_bar / x_bar } else { 1.0 };
            vec![
                [1.0, scale, 1.0, 1.0],
                [0.5, 0.5 * scale, 0.5, 2.0],
                [2.0, 2.0 * scale, 2.0, 5.0],
                [1.0, 1.0, 1.0, 1.0],
            ]
        }
    };
    let ([r, alpha, a, b], report) = maximize(&likelihood, &rows, &starts, options)?;
    Ok((Params { r, alpha, a, b }, report))
}

/// The fitted-model type, its fitter alias and its trait implementations for one member of the
/// family (BG/NBD or MBG/NBD): the two differ only in their docs, their name and their
/// [`Dropout`].
macro_rules! beta_geometric_model {
    (
        $(#[$doc:meta])*
        model $name:ident, fitter $fitter:ident, label $label:literal, dropout $dropout:expr;
        simulate: $(#[$sim:meta])*
    ) => {
        $crate::serde_checked::checked_serde! {
            $(#[$doc])*
    #[derive(Debug, Clone, PartialEq)]
    pub struct $name {
        r: f64,
        alpha: f64,
        a: f64,
        b: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<$crate::models::FitReport>,
    }
    check = |m| $name::new(m.r, m.alpha, m.a, m.b).map(|checked| $name { report: m.report, ..checked })
}

#[doc = concat!("Fits a [`", stringify!($name), "`] by maximum likelihood (rows: [`CustomerSummary`](crate::CustomerSummary), using")]
#[doc = "frequency, recency and age)."]
pub type $fitter = $crate::models::Fitter<$name>;

impl $name {
    /// A model with the given parameters: `r`, `alpha` (shape and rate of the gamma
    /// distribution of purchase rates λ) and `a`, `b` (the beta distribution of dropout
    /// probabilities p).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first parameter
    /// that is not a finite number `> 0`.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> $crate::Result<Self> {
        $crate::models::beta_geometric::Params::new(r, alpha, a, b)?;
        Ok($name { r, alpha, a, b, report: None })
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

    /// a: first shape of the beta distribution of dropout probabilities.
    #[must_use]
    pub fn a(&self) -> f64 {
        self.a
    }

    /// b: second shape of the beta distribution of dropout probabilities.
    #[must_use]
    pub fn b(&self) -> f64 {
        self.b
    }

    /// The fit report (standard errors in the order r, α, a, b), if the model was fitted.
    #[must_use]
    pub fn report(&self) -> Option<&$crate::models::FitReport> {
        self.report.as_ref()
    }

    fn params(&self) -> $crate::models::beta_geometric::Params {
        $crate::models::beta_geometric::Params { r: self.r, alpha: self.alpha, a: self.a, b: self.b }
    }

    $(#[$sim])*
    pub fn simulate(&self, ages: &[f64], seed: u64) -> $crate::Result<Vec<$crate::models::SimulatedCustomer>> {
        $crate::models::beta_geometric::simulate($dropout, self.params(), ages, seed)
    }
}

impl $crate::models::PurchaseModel for $name {
    fn name(&self) -> &'static str {
        $label
    }

    fn log_likelihood(&self, customer: &$crate::summary::CustomerSummary) -> f64 {
        $crate::models::beta_geometric::customer_log_likelihood($dropout, self.params(), customer)
    }

    fn probability_alive(&self, customer: &$crate::summary::CustomerSummary) -> f64 {
        $crate::models::beta_geometric::probability_alive(
            $dropout,
            self.params(),
            f64::from(customer.frequency()),
            customer.recency(),
            customer.age(),
        )
    }

    fn expected_purchases(&self, t: f64) -> $crate::Result<f64> {
        Ok($crate::models::beta_geometric::expected_purchases($dropout, self.params(), $crate::models::check_horizon(t)?))
    }

    fn conditional_expected_purchases(&self, customer: &$crate::summary::CustomerSummary, t: f64) -> $crate::Result<f64> {
        let t = $crate::models::check_horizon(t)?;
        let x = f64::from(customer.frequency());
        Ok($crate::models::beta_geometric::conditional_expected_purchases(
            $dropout,
            self.params(),
            x,
            customer.recency(),
            customer.age(),
            t,
        ))
    }

    fn probability_of_purchases(&self, n: u32, t: f64) -> $crate::Result<f64> {
        Ok($crate::models::beta_geometric::probability_of_purchases($dropout, self.params(), n, $crate::models::check_horizon(t)?))
    }

    /// By one quadrature over the dropout probability of the closed form given it (see the
    /// crate's BG/NBD notes): `P(alive)·(c/(sδ))·E_p[S(−c, sδ/p)]`, `c = r + x`, `s = α + T`,
    /// with the scaled upper incomplete gamma function `S`.
    fn dert(&self, customer: &$crate::summary::CustomerSummary, rate: f64) -> $crate::Result<f64> {
        let rate = $crate::models::check_rate(rate)?;
        Ok($crate::models::beta_geometric::dert($dropout, self.params(), customer, rate))
    }

    /// Customers who share `(x, T)` share the costly part of the prediction, which is
    /// computed once per distinct pair.
    fn conditional_expected_purchases_batch(
        &self,
        customers: &[$crate::summary::CustomerSummary],
        t: f64,
    ) -> $crate::Result<Vec<f64>> {
        let t = $crate::models::check_horizon(t)?;
        Ok($crate::models::beta_geometric::conditional_expected_purchases_batch($dropout, self.params(), customers, t))
    }

    fn conditional_expected_purchases_path(
        &self,
        customer: &$crate::summary::CustomerSummary,
        horizons: &[f64],
        out: &mut [f64],
    ) -> $crate::Result<()> {
        $crate::models::check_path(horizons, out)?;
        $crate::models::beta_geometric::conditional_expected_purchases_path($dropout, self.params(), customer, horizons, out);
        Ok(())
    }
}

impl $crate::models::Fit for $crate::models::Fitter<$name> {
    type Row = $crate::summary::CustomerSummary;
    type Model = $name;

    fn fit(&self, rows: &[$crate::summary::CustomerSummary]) -> $crate::Result<$name> {
        fit(self, rows, None)
    }

    fn fit_weighted(&self, rows: &[$crate::summary::CustomerSummary], weights: &[f64]) -> $crate::Result<$name> {
        fit(self, rows, Some(weights))
    }
}

fn fit(fitter: &$fitter, rows: &[$crate::summary::CustomerSummary], weights: Option<&[f64]>) -> $crate::Result<$name> {
    let initial = fitter.initial_model().map($name::params);
    let (p, report) = $crate::models::beta_geometric::fit($dropout, rows, weights, fitter.settings(), initial)?;
    Ok($name { r: p.r, alpha: p.alpha, a: p.a, b: p.b, report: Some(report) })
}
    };
}
pub(crate) use beta_geometric_model;

#[cfg(test)]
mod tests {
    use super::*;

    /// The series at one horizon.
    fn series_at(c: f64, s: f64, a: f64, beta: f64, t: f64) -> Option<f64> {
        let [series] = beta_mixture_mean_series(c, s, a, beta, [t]);
        series
    }

    #[test]
    fn dert_matches_the_numeric_integral_of_the_expectation() {
        let p = params();
        let customers =
            [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (14, 37.0, 39.0), (60, 70.0, 78.0)];
        for dropout in [Dropout::AfterRepeatPurchases, Dropout::AlsoAtFirstPurchase] {
            for (x, t_x, age) in customers {
                let c = CustomerSummary::new(x, t_x, age, rust_decimal::Decimal::ZERO).unwrap();
                for rate in [0.001_83, 0.01, 0.2] {
                    let closed = dert(dropout, p, &c, rate);
                    let numeric = crate::models::numeric_dert(
                        |t| Ok(conditional_expected_purchases(dropout, p, f64::from(x), t_x, age, t)),
                        rate,
                        age,
                    )
                    .unwrap();
                    assert!(
                        (closed / numeric - 1.0).abs() < 1e-8,
                        "{dropout:?} {x} {rate}: {closed} vs {numeric}"
                    );
                }
            }
        }
        // Heavy dropout parameters (a < 1 small, large b) and a tiny rate: still finite.
        let q = Params { r: 2.0, alpha: 1.0, a: 0.05, b: 40.0 };
        let c = CustomerSummary::new(3, 5.0, 10.0, rust_decimal::Decimal::ZERO).unwrap();
        let v = dert(Dropout::AfterRepeatPurchases, q, &c, 1e-6);
        assert!(v.is_finite() && v > 0.0, "{v}");
    }

    #[test]
    fn horizons_together_match_one_at_a_time() {
        let p = params();
        let ts: Vec<f64> = (0..40).map(|k| 0.5 * f64::from(k) * f64::from(k)).collect();
        for x in [0.0, 2.0, 30.0] {
            let (c, s, beta) = (p.r + x, p.alpha + 38.86, p.b + x);
            let mut together = vec![0.0; ts.len()];
            beta_mixture_means(c, s, p.a, beta, &ts, &mut together);
            for (&t, got) in ts.iter().zip(&together) {
                assert_eq!(*got, beta_mixture_mean(c, s, p.a, beta, t), "x {x} t {t}");
            }
        }
    }

    fn params() -> Params {
        Params { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }
    }

    #[test]
    fn tabulated_counts_match_the_direct_likelihood() {
        // Counts inside the table (small and beyond the product loop) and beyond its end; ages
        // in the age table (many rows share them) and without one (all distinct).
        for shared_ages in [true, false] {
            let mut rows = Rows { values: Vec::new(), weights: Vec::new() };
            for (k, x) in
                [0.0, 1.0, 3.0, 8.0, 9.0, 40.0, 700.0, 1023.0, 1024.0, 5000.0].into_iter().enumerate()
            {
                for copy in 0..4 {
                    let t_x = if shared_ages {
                        0.5 * f64::from(copy)
                    } else {
                        0.7 * (x + 1.0) + k as f64 + 0.1 * f64::from(copy)
                    };
                    rows.values.push([x, t_x, 6000.0 + if shared_ages { 0.0 } else { t_x }]);
                    rows.weights.push(1.0);
                }
            }
            for dropout in [Dropout::AfterRepeatPurchases, Dropout::AlsoAtFirstPurchase] {
                let (likelihood, indexed) = Likelihood::new(dropout, rows.clone());
                assert_eq!(likelihood.ages.is_empty(), !shared_ages);
                for p in [params().array(), [3.1, 0.2, 12.0, 0.05]] {
                    let prepared = likelihood.prepare(&p);
                    for row in &indexed.values {
                        let (mut g_table, mut g_direct) = ([0.0; 4], [0.0; 4]);
                        let table = likelihood.row(&prepared, &p, row, &mut g_table);
                        let direct = log_likelihood(dropout, &p, &[row[0], row[1], row[2]], &mut g_direct);
                        let close = |a: f64, b: f64| (a - b).abs() <= 1e-10 * b.abs().max(1.0);
                        assert!(close(table, direct), "{dropout:?} {row:?}: {table} vs {direct}");
                        for (t, d) in g_table.iter().zip(&g_direct) {
                            assert!(close(*t, *d), "{dropout:?} {row:?}: {g_table:?} vs {g_direct:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn gradient_matches_central_differences() {
        let rows = [
            [0.0, 0.0, 38.86],
            [2.0, 30.43, 38.86],
            [1.0, 1.71, 38.86],
            [30.0, 10.0, 50.0],
            [12.0, 40.0, 40.0],
        ];
        for dropout in [Dropout::AfterRepeatPurchases, Dropout::AlsoAtFirstPurchase] {
            for start in [[0.243, 4.414, 0.793, 2.426], [2.5, 0.7, 1.0, 0.3], [0.01, 50.0, 20.0, 1e3]] {
                for row in &rows {
                    let mut g = [0.0; 4];
                    log_likelihood(dropout, &start, row, &mut g);
                    for j in 0..4 {
                        let h = 1e-6 * start[j];
                        let (mut up, mut down) = (start, start);
                        up[j] += h;
                        down[j] -= h;
                        let mut scratch = [0.0; 4];
                        let numeric = (log_likelihood(dropout, &up, row, &mut scratch)
                            - log_likelihood(dropout, &down, row, &mut scratch))
                            / (2.0 * h);
                        assert!(
                            (g[j] - numeric).abs() <= 1e-6 * numeric.abs().max(1.0),
                            "{dropout:?} {start:?} {row:?} ∂{j}: analytic {} numeric {numeric}",
                            g[j]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn small_counts_agree_with_ln_gamma() {
        for z in [1e-3, 0.243, 2.5, 1e3] {
            for n in [0.0, 1.0, 5.0, 8.0] {
                let exact = ln_gamma(z + n) - ln_gamma(z);
                assert!((ln_rising(z, n) - exact).abs() < 1e-12 * exact.abs().max(1.0));
                let psi = if n == 0.0 { 0.0 } else { digamma(z + n) - digamma(z) };
                assert!((digamma_rising(z, n) - psi).abs() < 1e-11 * psi.abs().max(1.0));
            }
        }
    }

    #[test]
    fn probabilities_sum_to_one_and_match_the_mean() {
        for dropout in [Dropout::AfterRepeatPurchases, Dropout::AlsoAtFirstPurchase] {
            let t = 39.0;
            let (mut total, mut mean) = (0.0, 0.0);
            for n in 0..400u32 {
                let p = probability_of_purchases(dropout, params(), n, t);
                total += p;
                mean += f64::from(n) * p;
            }
            assert!((total - 1.0).abs() < 1e-10, "{dropout:?}: Σ P = {total}");
            let e = expected_purchases(dropout, params(), t);
            assert!((mean - e).abs() < 1e-8, "{dropout:?}: Σ n P = {mean}, E[X] = {e}");
        }
    }

    #[test]
    fn series_agrees_with_quadrature_on_random_points() {
        let mut rng = Rng::new(20_261_201);
        let (mut used, mut total) = (0, 0);
        for _ in 0..20_000 {
            let u = |rng: &mut Rng, lo: f64, hi: f64| (lo.ln() + rng.uniform() * (hi.ln() - lo.ln())).exp();
            let a = u(&mut rng, 0.05, 20.0);
            let beta = u(&mut rng, 0.2, 200.0);
            let c = u(&mut rng, 0.01, 300.0);
            let s = u(&mut rng, 0.1, 500.0);
            let t = u(&mut rng, 0.01, 500.0);
            total += 1;
            if let Some(series) = series_at(c, s, a, beta, t) {
                used += 1;
                let quadrature = beta_mixture_mean_quadrature(c, s, a, beta, t);
                // The quadrature itself is good to about 1e-12 (asked 1e-9): where the two
                // differ beyond 1e-12 the series is the closer one (see the mpmath points below).
                assert!(
                    (series - quadrature).abs() <= 1e-11 * quadrature.abs(),
                    "c={c} s={s} a={a} β={beta} t={t}: series {series} quadrature {quadrature}"
                );
            }
        }
        assert!(used * 3 > total, "series used on {used} of {total} points");
        // mpmath (40 digits) at two points where series and quadrature differ by ~1e-11:
        // (1−z)^c ₂F₁ form evaluated by mpmath.hyp2f1.
        let reference = [
            (
                0.010651181059880041,
                231.12270461461063,
                1.5465025132215515,
                0.024670990624922205,
                0.011614705135674593,
                5.352448408487887e-07,
            ),
            (
                20.264055043558614,
                0.7824606629300856,
                1.8234178240967227,
                0.4675871040380119,
                0.20297528687231922,
                1.342628655859102,
            ),
        ];
        for (c, s, a, beta, t, exact) in reference {
            let series = series_at(c, s, a, beta, t).expect("series region");
            assert!((series - exact).abs() <= 1e-14 * exact, "{series} vs {exact}");
        }
        // CDNOW-like customers take the series.
        let p = params();
        for x in [0.0, 1.0, 2.0, 7.0, 30.0] {
            for age in [0.0, 10.0, 38.86] {
                for t in [1.0, 12.0, 39.0, 52.0] {
                    let (c, s, beta) = (p.r + x, p.alpha + age, p.b + x);
                    let series = series_at(c, s, p.a, beta, t);
                    let quadrature = beta_mixture_mean_quadrature(c, s, p.a, beta, t);
                    if let Some(v) = series {
                        assert!(
                            (v - quadrature).abs() <= 1e-12 * quadrature,
                            "{x} {age} {t}: {v} {quadrature}"
                        );
                    }
                    assert!(
                        series.is_some() || t / (s + t) >= SERIES_MAX_Z,
                        "x={x} T={age} t={t} falls back"
                    );
                }
            }
        }
    }

    #[test]
    fn probability_alive_is_the_likelihood_weight() {
        let row = [3.0, 12.0, 38.0];
        let p = params();
        let alive = probability_alive(Dropout::AfterRepeatPurchases, p, row[0], row[1], row[2]);
        // Direct: 1/(1 + a/(b+x−1)·((α+T)/(α+t_x))^{r+x}).
        let direct = 1.0 / (1.0 + p.a / (p.b + 2.0) * ((p.alpha + 38.0) / (p.alpha + 12.0)).powf(p.r + 3.0));
        assert!((alive - direct).abs() < 1e-15);
        assert_eq!(probability_alive(Dropout::AfterRepeatPurchases, p, 0.0, 0.0, 38.0), 1.0);
        assert!(probability_alive(Dropout::AlsoAtFirstPurchase, p, 0.0, 0.0, 38.0) < 1.0);
    }
}
