//! Maximum-likelihood fitting shared by every model: settings, the fit report, weighted and
//! compressed rows, and the engine (BFGS over log-parameters with analytic gradients,
//! standard errors from the Hessian).

use serde::{Deserialize, Serialize};

use crate::math::optimize::{Settings, bfgs, hessian, invert_spd};
use crate::{Error, Result};

/// Estimates a model from data.
///
/// Fitters are unfitted settings with infallible builder setters; every check runs once, at the
/// start of `fit`. `fit_weighted` takes one weight per row (for rows that stand for several
/// identical customers, such as the cells of a recency/frequency table); `fit` gives every row
/// weight 1. Identical rows are compressed into one weighted row automatically, so both cost
/// time in proportion to the number of *distinct* rows.
pub trait Fit {
    /// One row of data (a customer summary, a recency/frequency cell, a cohort).
    type Row;
    /// The fitted model.
    type Model;

    /// Fits the model with every row weight 1.
    ///
    /// # Errors
    /// An invalid setting or row, too few rows, or [`Error::NotConverged`].
    fn fit(&self, rows: &[Self::Row]) -> Result<Self::Model>;

    /// Fits the model with one weight per row (finite, non-negative; rows of weight 0 are left
    /// out).
    ///
    /// # Errors
    /// As [`Fit::fit`], and [`Error::Mismatch`] when `weights` and `rows` differ in length,
    /// [`Error::InvalidParameter`] for a negative or non-finite weight.
    fn fit_weighted(&self, rows: &[Self::Row], weights: &[f64]) -> Result<Self::Model>;
}

/// Settings of a maximum-likelihood fit, shared by every fitter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// L2 penalty `c` on the parameters: the fit minimises `−LL/N + c·Σθ²` (lifetimes'
    /// `penalizer_coef`, same scale). 0 (the default) is plain maximum likelihood.
    pub penalizer: f64,
    /// The largest number of optimiser iterations (default 1,000).
    pub max_iterations: u32,
    /// Convergence: every component of the gradient of `−LL/N` with respect to the
    /// log-parameters is at most this in absolute value (default 1e-7; the parameters are then
    /// within about 1e-7 relative of the optimum, far inside their standard errors).
    pub tolerance: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { penalizer: 0.0, max_iterations: 1000, tolerance: 1e-7 }
    }
}

impl FitOptions {
    /// Checks the settings.
    pub(crate) fn validate(&self) -> Result<()> {
        if !(self.penalizer.is_finite() && self.penalizer >= 0.0) {
            return Err(Error::param("penalizer", self.penalizer, "a finite number >= 0"));
        }
        if !(self.tolerance.is_finite() && self.tolerance > 0.0) {
            return Err(Error::param("tolerance", self.tolerance, "a finite number > 0"));
        }
        if self.max_iterations == 0 {
            return Err(Error::param("max_iterations", 0, "at least 1"));
        }
        Ok(())
    }
}

/// An unfitted model: the fit settings and optional starting values.
///
/// `Fitter<BgNbd>` (alias [`BgNbdFitter`](crate::BgNbdFitter)) fits a [`BgNbd`](crate::BgNbd),
/// and so on for every model. Setters never fail; the settings are checked when `fit` runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fitter<M> {
    options: FitOptions,
    initial: Option<M>,
}

impl<M> Default for Fitter<M> {
    fn default() -> Self {
        Fitter { options: FitOptions::default(), initial: None }
    }
}

impl<M> Fitter<M> {
    /// A fitter with the default settings and starting values chosen from the data.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The L2 penalty (see [`FitOptions::penalizer`]).
    #[must_use]
    pub fn penalizer(mut self, coefficient: f64) -> Self {
        self.options.penalizer = coefficient;
        self
    }

    /// The largest number of optimiser iterations.
    #[must_use]
    pub fn max_iterations(mut self, iterations: u32) -> Self {
        self.options.max_iterations = iterations;
        self
    }

    /// The gradient tolerance (see [`FitOptions::tolerance`]).
    #[must_use]
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.options.tolerance = tolerance;
        self
    }

    /// Starts the optimiser at these parameters instead of the data-driven defaults.
    #[must_use]
    pub fn initial(mut self, model: M) -> Self {
        self.initial = Some(model);
        self
    }

    /// All settings at once.
    #[must_use]
    pub fn options(mut self, options: FitOptions) -> Self {
        self.options = options;
        self
    }

    /// The current settings.
    #[must_use]
    pub fn settings(&self) -> &FitOptions {
        &self.options
    }

    /// The starting values, if set.
    #[must_use]
    pub fn initial_model(&self) -> Option<&M> {
        self.initial.as_ref()
    }
}

/// How a maximum-likelihood fit went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// The total (weighted) log-likelihood at the estimate, without the penalty.
    pub log_likelihood: f64,
    /// Optimiser iterations.
    pub iterations: u32,
    /// Evaluations of the likelihood and its gradient.
    pub evaluations: u32,
    /// The largest absolute component of the gradient of the objective (`−LL/N` plus the
    /// penalty) with respect to the log-parameters, at the estimate.
    pub gradient_norm: f64,
    /// Whether the gradient tolerance was met (always `true` on a returned model: a fit that
    /// does not converge is an [`Error::NotConverged`]).
    pub converged: bool,
    /// Standard errors of the parameters, in the model's parameter order, from the inverse of
    /// the Hessian of the (penalised) negative log-likelihood; `None` when the Hessian is not
    /// positive definite (a parameter is not identified by the data).
    pub standard_errors: Option<Vec<f64>>,
    /// Distinct rows after compressing identical ones.
    pub distinct_rows: u64,
    /// The total weight of the rows (the number of customers when every weight is 1).
    pub total_weight: f64,
    /// The L2 penalty the fit used.
    pub penalizer: f64,
}

/// Rows reduced to distinct values with summed weights.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rows<const N: usize> {
    /// The distinct rows.
    pub values: Vec<[f64; N]>,
    /// Their weights (each > 0).
    pub weights: Vec<f64>,
}

impl<const N: usize> Rows<N> {
    /// Sums of the weights.
    pub(crate) fn total_weight(&self) -> f64 {
        self.weights.iter().sum()
    }

    /// Compresses `rows` (value, weight): identical values (bit for bit) are merged and their
    /// weights summed; weight-0 rows are dropped.
    pub(crate) fn compress(rows: impl IntoIterator<Item = ([f64; N], f64)>) -> Result<Self> {
        Self::compress_checked(rows.into_iter().map(Ok))
    }

    /// [`Rows::compress`] of rows that may fail to form (the first error is returned): one
    /// pass, so no second copy of the rows is ever held.
    fn compress_checked(rows: impl IntoIterator<Item = Result<([f64; N], f64)>>) -> Result<Self> {
        // Grouped by bit pattern: sorting the patterns as integers puts identical values next
        // to each other (the order itself does not matter) and compares faster than floats.
        let rows = rows.into_iter();
        let mut all: Vec<([u64; N], f64)> = Vec::with_capacity(rows.size_hint().0);
        for row in rows {
            let (value, weight) = row?;
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(Error::param("weight", weight, "a finite number >= 0"));
            }
            if weight > 0.0 {
                all.push((value.map(f64::to_bits), weight));
            }
        }
        all.sort_unstable_by_key(|row| row.0);
        let mut out = Rows { values: Vec::new(), weights: Vec::new() };
        let mut last: Option<[u64; N]> = None;
        for (bits, weight) in all {
            match out.weights.last_mut() {
                Some(w) if last == Some(bits) => *w += weight,
                _ => {
                    out.values.push(bits.map(f64::from_bits));
                    out.weights.push(weight);
                    last = Some(bits);
                }
            }
        }
        Ok(out)
    }

    /// Rows with optional weights, each turned into values by `key` (which also validates).
    pub(crate) fn from_rows<R>(
        rows: &[R],
        weights: Option<&[f64]>,
        key: impl Fn(&R) -> Result<[f64; N]>,
    ) -> Result<Self> {
        if let Some(w) = weights
            && w.len() != rows.len()
        {
            return Err(Error::Mismatch { what: format!("{} weights for {} rows", w.len(), rows.len()) });
        }
        Self::compress_checked(
            rows.iter()
                .enumerate()
                .map(|(i, r)| Ok((key(r)?, weights.and_then(|w| w.get(i).copied()).unwrap_or(1.0)))),
        )
    }
}

/// A likelihood to maximise: the log-likelihood of one row at natural parameters, with its
/// gradient with respect to those parameters written into `grad`.
///
/// `prepare` runs once per evaluation of the total (once per parameter vector), before the
/// rows: a model puts there what depends on the parameters alone, or on the parameters and a
/// row's small integer count (a table of `ln Γ(r + x) − ln Γ(r)` over the counts present), so
/// that the per-row work is only what depends on the row. Closures are likelihoods with
/// nothing to prepare.
pub(crate) trait RowLikelihood<const K: usize, const N: usize>: Sync {
    /// What `prepare` computes from the parameters.
    type Prepared: Sync;

    /// The per-evaluation values at `params`.
    fn prepare(&self, params: &[f64; K]) -> Self::Prepared;

    /// Log-likelihood of `row` at `params`; writes `∂ ln L / ∂ params` into `grad`.
    fn row(&self, prepared: &Self::Prepared, params: &[f64; K], row: &[f64; N], grad: &mut [f64; K]) -> f64;
}

impl<const K: usize, const N: usize, F> RowLikelihood<K, N> for F
where
    F: Fn(&[f64; K], &[f64; N], &mut [f64; K]) -> f64 + Sync,
{
    type Prepared = ();

    fn prepare(&self, _: &[f64; K]) {}

    fn row(&self, (): &(), params: &[f64; K], row: &[f64; N], grad: &mut [f64; K]) -> f64 {
        self(params, row, grad)
    }
}

/// The weighted total log-likelihood and its gradient (natural parameters).
///
/// The rows are summed in fixed chunks of [`CHUNK`](super::chunks::CHUNK) and the chunk sums
/// added in chunk order, so the result is the same bit for bit with or without the `parallel`
/// feature and on any number of threads.
pub(crate) fn total_log_likelihood<const K: usize, const N: usize>(
    likelihood: &impl RowLikelihood<K, N>,
    rows: &Rows<N>,
    params: &[f64; K],
    grad: &mut [f64; K],
) -> f64 {
    let prepared = likelihood.prepare(params);
    let chunk_sums = super::chunks::map_ranges(rows.values.len(), |range| {
        let values = rows.values.get(range.clone()).unwrap_or(&[]);
        let weights = rows.weights.get(range).unwrap_or(&[]);
        let mut total = 0.0;
        let mut sum = [0.0; K];
        let mut g = [0.0; K];
        for (value, &w) in values.iter().zip(weights) {
            let ll = likelihood.row(&prepared, params, value, &mut g);
            total += w * ll;
            for (acc, gi) in sum.iter_mut().zip(&g) {
                *acc += w * gi;
            }
        }
        (total, sum)
    });
    *grad = [0.0; K];
    let mut total = 0.0;
    for (t, g) in chunk_sums {
        total += t;
        for (acc, gi) in grad.iter_mut().zip(&g) {
            *acc += gi;
        }
    }
    total
}

/// Maximises the weighted log-likelihood over the log-parameters from each start in turn until
/// one converges (the starts go from the most to the least likely to succeed); returns the
/// estimate and its report.
///
/// # Errors
/// [`Error::NotEnoughData`] without rows; [`Error::NotConverged`] when no start converges
/// (carrying the best attempt).
pub(crate) fn maximize<const K: usize, const N: usize>(
    likelihood: &impl RowLikelihood<K, N>,
    rows: &Rows<N>,
    starts: &[[f64; K]],
    options: &FitOptions,
) -> Result<([f64; K], FitReport)> {
    options.validate()?;
    if rows.values.is_empty() {
        return Err(Error::NotEnoughData { what: "a maximum-likelihood fit", needed: 1, got: 0 });
    }
    let total_weight = rows.total_weight();
    let penalizer = options.penalizer;
    // Objective on the log scale: −LL/W + c·Σθ², gradient by the chain rule (∂/∂lnθ = θ·∂/∂θ).
    let objective = |log_params: &[f64], out: &mut [f64]| -> f64 {
        let mut params = [0.0; K];
        for (p, l) in params.iter_mut().zip(log_params) {
            *p = l.exp();
        }
        let mut grad = [0.0; K];
        let ll = total_log_likelihood(likelihood, rows, &params, &mut grad);
        let mut value = -ll / total_weight;
        for j in 0..K {
            value += penalizer * params[j] * params[j];
            out[j] = (-grad[j] / total_weight + 2.0 * penalizer * params[j]) * params[j];
        }
        if value.is_finite() { value } else { f64::INFINITY }
    };
    let settings = Settings { gradient_tolerance: options.tolerance, max_iterations: options.max_iterations };
    let mut best: Option<crate::math::optimize::Minimum> = None;
    for start in starts {
        if start.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
            continue;
        }
        let log_start: Vec<f64> = start.iter().map(|p| p.ln()).collect();
        let m = bfgs(objective, &log_start, settings);
        let better = match &best {
            None => true,
            Some(b) => (m.converged && !b.converged) || (m.converged == b.converged && m.value < b.value),
        };
        let converged = m.converged;
        if better {
            best = Some(m);
        }
        if converged {
            break;
        }
    }
    let Some(m) = best else {
        return Err(Error::param(
            "initial",
            "non-positive or non-finite",
            "positive, finite starting parameters",
        ));
    };
    let mut estimate = [0.0; K];
    for (e, l) in estimate.iter_mut().zip(&m.x) {
        *e = l.exp();
    }
    // The log-likelihood from the objective at the estimate (−LL/W plus the penalty).
    let penalty: f64 = estimate.iter().map(|p| penalizer * p * p).sum();
    let log_likelihood = -(m.value - penalty) * total_weight;
    if !m.converged || !log_likelihood.is_finite() {
        return Err(Error::NotConverged {
            iterations: m.iterations,
            gradient_norm: m.gradient_norm,
            log_likelihood,
            parameters: estimate.to_vec(),
        });
    }
    // Standard errors: Hessian of W·objective in log-parameters; at the optimum the natural-scale
    // covariance is D·Σ_log·D with D = diag(θ) (the gradient term vanishes).
    let standard_errors = hessian(objective, &m.x, &m.gradient, HESSIAN_STEP).and_then(|h| {
        let h: Vec<f64> = h.iter().map(|v| v * total_weight).collect();
        let cov = invert_spd(&h, K)?;
        let se: Vec<f64> = (0..K).map(|j| estimate[j] * cov[j * K + j].sqrt()).collect();
        se.iter().all(|s| s.is_finite()).then_some(se)
    });
    let report = FitReport {
        log_likelihood,
        iterations: m.iterations,
        evaluations: m.evaluations,
        gradient_norm: m.gradient_norm,
        converged: true,
        standard_errors,
        distinct_rows: rows.values.len() as u64,
        total_weight,
        penalizer,
    };
    Ok((estimate, report))
}

/// Step of the forward differences for the Hessian, in log-parameters: truncation error O(h)
/// = 1e-6 relative against rounding error O(ε/h) ≈ 2e-10 (standard errors need three digits).
const HESSIAN_STEP: f64 = 1e-6;

#[cfg(test)]
mod tests {
    use super::*;

    /// Exponential waiting times with rate λ: ln L = ln λ − λ t. MLE λ = n / Σt, SE λ/√n.
    #[test]
    fn exponential_mle_and_standard_error() {
        let like = |p: &[f64; 1], row: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = 1.0 / p[0] - row[0];
            p[0].ln() - p[0] * row[0]
        };
        let data = [0.5, 1.5, 2.0, 0.25, 0.75, 2.0, 1.0];
        let rows = Rows::from_rows(&data, None, |t| Ok([*t])).expect("rows");
        assert_eq!(rows.values.len(), 6); // 2.0 appears twice
        let (est, report) =
            maximize(&like, &rows, &[[0.1]], &FitOptions { tolerance: 1e-10, ..FitOptions::default() })
                .expect("converges");
        let lambda = 7.0 / 8.0;
        assert!((est[0] - lambda).abs() < 1e-10, "{est:?}");
        let se = report.standard_errors.expect("identified")[0];
        assert!((se - lambda / 7f64.sqrt()).abs() < 1e-7, "{se}");
        assert_eq!(report.total_weight, 7.0);
        assert!((report.log_likelihood - (7.0 * lambda.ln() - 7.0)).abs() < 1e-12);
    }

    #[test]
    fn weights_are_checked_and_no_rows_is_an_error() {
        let key = |t: &f64| Ok([*t]);
        assert!(matches!(Rows::from_rows(&[1.0], Some(&[1.0, 2.0]), key), Err(Error::Mismatch { .. })));
        assert!(Rows::from_rows(&[1.0], Some(&[-1.0]), key).is_err());
        assert!(Rows::from_rows(&[1.0], Some(&[f64::NAN]), key).is_err());
        let empty = Rows::from_rows(&[1.0], Some(&[0.0]), key).expect("weight 0 is dropped");
        let like = |_: &[f64; 1], _: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = 0.0;
            0.0
        };
        assert!(matches!(
            maximize(&like, &empty, &[[1.0]], &FitOptions::default()),
            Err(Error::NotEnoughData { .. })
        ));
        assert!(FitOptions { penalizer: -1.0, ..FitOptions::default() }.validate().is_err());
    }

    /// The chunked sum equals its serial definition bit for bit, on any number of threads.
    #[test]
    fn total_does_not_depend_on_the_thread_count() {
        let like = |p: &[f64; 2], row: &[f64; 1], g: &mut [f64; 2]| {
            g[0] = 1.0 / p[0] - row[0];
            g[1] = -row[0].sin() * p[1];
            p[0].ln() - p[0] * row[0] + (row[0] * p[1]).cos()
        };
        let data: Vec<f64> = (0..50_000).map(|i| 0.001 + f64::from(i) * 1.000_37e-3).collect();
        let rows = Rows::from_rows(&data, None, |t| Ok([*t])).expect("rows");
        let params = [0.7, 1.3];
        // Serial reference: chunk sums in chunk order.
        let mut expected = 0.0;
        let mut expected_grad = [0.0; 2];
        for (values, weights) in rows
            .values
            .chunks(super::super::chunks::CHUNK)
            .zip(rows.weights.chunks(super::super::chunks::CHUNK))
        {
            let (mut t, mut sum, mut g) = (0.0, [0.0; 2], [0.0; 2]);
            for (v, w) in values.iter().zip(weights) {
                t += w * like(&params, v, &mut g);
                sum[0] += w * g[0];
                sum[1] += w * g[1];
            }
            expected += t;
            expected_grad[0] += sum[0];
            expected_grad[1] += sum[1];
        }
        let run = || {
            let mut grad = [0.0; 2];
            let total = total_log_likelihood(&like, &rows, &params, &mut grad);
            (total.to_bits(), grad.map(f64::to_bits))
        };
        let reference = (expected.to_bits(), expected_grad.map(f64::to_bits));
        assert_eq!(run(), reference);
        #[cfg(feature = "parallel")]
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            assert_eq!(pool.install(run), reference, "{threads} threads");
        }
    }

    #[test]
    fn unbounded_likelihood_is_not_converged() {
        // ln L = θ grows without bound.
        let like = |p: &[f64; 1], _: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = 1.0;
            p[0]
        };
        let rows = Rows::from_rows(&[1.0], None, |t| Ok([*t])).expect("rows");
        let got =
            maximize(&like, &rows, &[[1.0]], &FitOptions { max_iterations: 50, ..FitOptions::default() });
        assert!(matches!(got, Err(Error::NotConverged { .. })), "{got:?}");
    }
}
