//! Probabilistic customer-base models, fitted by maximum likelihood.
//!
//! | model | setting | data | paper |
//! |---|---|---|---|
//! | [`BgNbd`] | non-contractual, continuous time | (x, t_x, T) | Fader, Hardie & Lee (2005), *Marketing Science* 24(2) |
//! | [`MbgNbd`] | non-contractual, continuous time | (x, t_x, T) | Batislam, Denizel & Filiztekin (2007), *IJRM* 24(3) |
//! | [`ParetoNbd`] | non-contractual, continuous time | (x, t_x, T) | Schmittlein, Morrison & Colombo (1987), *Management Science* 33(1) |
//! | [`BgBb`] | non-contractual, discrete time | (x, t_x, n) cells | Fader, Hardie & Shang (2010), *Marketing Science* 29(6) |
//! | [`GammaGamma`] | spend per transaction | (x, z̄) | Fader & Hardie (2013), note 025; Colombo & Jiang (1999) |
//! | [`Sbg`] (shifted-beta-geometric) | contractual | cohort survivor counts ([`Cohort`]) | Fader & Hardie (2007), *J. Interactive Marketing* 21(1) |
//!
//! Every model has an unfitted [`Fitter`] (settings, infallible setters) implementing [`Fit`],
//! and a fitted type with a checked `new` (plug in published estimates) whose serde round trip
//! re-validates. A fit maximises the likelihood over the log-parameters with analytic
//! gradients (BFGS), compresses identical rows into weights, and reports the log-likelihood,
//! iterations, gradient norm and standard errors ([`FitReport`]); a fit that does not converge
//! is [`NotConverged`](crate::Error::NotConverged), never a silent NaN.
//!
//! The continuous-time purchase models answer through the object-safe [`PurchaseModel`] trait, so
//! an application can hold a `Box<dyn PurchaseModel>` and swap BG/NBD for Pareto/NBD. BG/BB
//! (whole opportunities) and sBG (cohorts) answer through methods of their own. Each model
//! has a seeded simulator of its generative process, for what-if studies and for
//! parameter-recovery tests.
//!
//! Built on them: model-based CLV ([`Clv`]: expected purchases × expected spend × margin, as a
//! finite-horizon discounted sum or in the DERT form), and the views lifetimes users check a
//! fit with — expected vs actual repeat transactions per period ([`tracking`]), the calibration
//! frequency histogram ([`frequency_histogram`]) and holdout purchases per calibration frequency
//! ([`conditional_expectations`]).
//!
//! # Time and discounting
//!
//! Times (recency, age, horizons) are in the period unit the summaries were built with (for
//! example weeks): there is no hidden "30-day month". [`PurchaseModel::dert`] takes a
//! *continuously compounded* discount rate `δ` per period (for an annual rate `d` and weekly
//! periods, `δ = ln(1 + d)/52`; [`continuous_rate`] converts a per-period rate).

mod beta_geometric;
mod bg_bb;
mod bg_nbd;
mod chunks;
mod fit;
mod mbg_nbd;
mod memo;
pub use bg_bb::{BgBb, BgBbCustomer, BgBbFitter};
pub use bg_nbd::{BgNbd, BgNbdFitter};
pub use mbg_nbd::{MbgNbd, MbgNbdFitter};
mod clv;
pub use clv::{Clv, SpendModel};
mod diagnostics;
pub use diagnostics::{
    ConditionalExpectations, ConditionalGroup, FrequencyBin, TrackingRow, conditional_expectations,
    expected_cumulative_tracking, first_purchase_offsets, frequency_histogram, tracking,
    tracking_from_summaries,
};
mod gamma_gamma;
pub use gamma_gamma::{GammaGamma, GammaGammaFitter};
mod pareto_nbd;
pub use pareto_nbd::{ParetoNbd, ParetoNbdFitter};
mod sbg;
pub use sbg::{Cohort, Sbg, SbgFitter};

pub use fit::{Fit, FitOptions, FitReport, Fitter};
pub(crate) use fit::{Rows, maximize};

use crate::math::quadrature::integrate_to_infinity;
use crate::summary::CustomerSummary;
use crate::{Error, Result};

/// A fitted model of repeat purchasing in continuous time.
///
/// Object safe: `Box<dyn PurchaseModel>` lets an application swap models without generics.
/// Notation: for a customer with `x` repeat purchases (frequency), the last at `t_x` (recency),
/// observed for `T` periods since the first purchase (age).
pub trait PurchaseModel: Send + Sync + std::fmt::Debug {
    /// The model's name, such as `"BG/NBD"`.
    fn name(&self) -> &'static str;

    /// The log-likelihood of one customer's (x, t_x, T).
    fn log_likelihood(&self, customer: &CustomerSummary) -> f64;

    /// P(alive | x, t_x, T): the probability that the customer has not dropped out by `T`.
    fn probability_alive(&self, customer: &CustomerSummary) -> f64;

    /// E[X(t)]: expected repeat purchases of a new customer in `(0, t]`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `t` is negative or not finite.
    fn expected_purchases(&self, t: f64) -> Result<f64>;

    /// E[Y(t) | x, t_x, T]: expected purchases of this customer in `(T, T + t]`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `t` is negative or not finite.
    fn conditional_expected_purchases(&self, customer: &CustomerSummary, t: f64) -> Result<f64>;

    /// [`PurchaseModel::conditional_expected_purchases`] of one customer at several horizons,
    /// written into `out` (a CLV's path of cumulative expectations). Models override it to
    /// share the work across the horizons (BG/NBD and MBG/NBD sum the series of all horizons
    /// in one pass; every model computes P(alive) once).
    ///
    /// # Errors
    /// [`Error::Mismatch`] when `out` and `horizons` differ in length;
    /// [`Error::InvalidParameter`] when a horizon is negative or not finite.
    fn conditional_expected_purchases_path(
        &self,
        customer: &CustomerSummary,
        horizons: &[f64],
        out: &mut [f64],
    ) -> Result<()> {
        check_path(horizons, out)?;
        for (value, &t) in out.iter_mut().zip(horizons) {
            *value = self.conditional_expected_purchases(customer, t)?;
        }
        Ok(())
    }

    /// P(X(t) = n): the probability that a new customer makes exactly `n` repeat purchases in
    /// `(0, t]`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `t` is negative or not finite.
    fn probability_of_purchases(&self, n: u32, t: f64) -> Result<f64>;

    /// Discounted expected residual transactions, `∫₀^∞ e^{−δt} dE[Y(t) | x, t_x, T]`, with a
    /// continuously compounded discount rate `δ > 0` per period (Fader, Hardie & Lee 2005,
    /// "RFM and CLV", *JMR* 42(4), Eq. 2). Models with a closed form override this; the default
    /// evaluates `δ ∫₀^∞ e^{−δt} E[Y(t) | …] dt` by adaptive Gauss-Kronrod quadrature.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `δ` is not a finite positive number.
    fn dert(&self, customer: &CustomerSummary, rate: f64) -> Result<f64> {
        numeric_dert(|t| self.conditional_expected_purchases(customer, t), rate, customer.age())
    }

    /// [`PurchaseModel::probability_alive`] for many customers, in order (over the cores with
    /// the `parallel` feature).
    fn probability_alive_batch(&self, customers: &[CustomerSummary]) -> Vec<f64> {
        chunks::map(customers, |c| self.probability_alive(c))
    }

    /// [`PurchaseModel::conditional_expected_purchases`] for many customers over one horizon,
    /// in order (over the cores with the `parallel` feature).
    ///
    /// # Errors
    /// As the single-customer method.
    fn conditional_expected_purchases_batch(
        &self,
        customers: &[CustomerSummary],
        t: f64,
    ) -> Result<Vec<f64>> {
        chunks::try_map(customers, |c| self.conditional_expected_purchases(c, t))
    }
}

/// The continuously compounded rate `ln(1 + d)` equivalent to a discount rate `d` per period.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `d` is finite and `> 0`.
pub fn continuous_rate(d: f64) -> Result<f64> {
    if d.is_finite() && d > 0.0 {
        Ok(d.ln_1p())
    } else {
        Err(Error::param("discount_rate", d, "a finite rate per period > 0"))
    }
}

/// Checks a horizon: finite and `>= 0`.
/// The checks of [`PurchaseModel::conditional_expected_purchases_path`]: as many outputs as
/// horizons, every horizon finite and `>= 0`.
pub(crate) fn check_path(horizons: &[f64], out: &[f64]) -> Result<()> {
    if horizons.len() != out.len() {
        return Err(Error::Mismatch {
            what: format!("{} outputs for {} horizons", out.len(), horizons.len()),
        });
    }
    for &t in horizons {
        check_horizon(t)?;
    }
    Ok(())
}

/// The check of [`PurchaseModel::dert`]'s continuously compounded rate.
pub(crate) fn check_rate(rate: f64) -> Result<f64> {
    if rate.is_finite() && rate > 0.0 {
        Ok(rate)
    } else {
        Err(Error::param("rate", rate, "a finite continuously compounded rate per period > 0"))
    }
}

pub(crate) fn check_horizon(t: f64) -> Result<f64> {
    if t.is_finite() && t >= 0.0 { Ok(t) } else { Err(Error::param("t", t, "a finite horizon >= 0")) }
}

/// Checks a model parameter: finite and `> 0`.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::param(name, value, "a finite number > 0"))
    }
}

/// Relative accuracy asked of numeric DERT quadrature.
const DERT_TOLERANCE: f64 = 1e-10;

/// `δ ∫₀^∞ e^{−δt} E(t) dt` for a cumulative expectation `E` with `E(0) = 0` (integration by
/// parts of `∫ e^{−δt} dE(t)`), on a scale that resolves both the discounting (`1/δ`) and the
/// customer's own time scale (`age`).
pub(crate) fn numeric_dert(mut expected: impl FnMut(f64) -> Result<f64>, rate: f64, age: f64) -> Result<f64> {
    let rate = check_rate(rate)?;
    let mut failure = None;
    let scale = (1.0 / rate).min(age.max(1.0));
    let (integral, _) = integrate_to_infinity(
        |t| match expected(t) {
            Ok(v) => (-rate * t).exp() * v,
            Err(e) => {
                failure = Some(e);
                0.0
            }
        },
        scale,
        DERT_TOLERANCE,
        0.0,
        400,
    );
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(rate * integral)
}

/// One simulated customer: repeat purchase times and dropout, measured from the first purchase,
/// in the model's time unit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimulatedCustomer {
    /// Times of the repeat purchases, ascending, all in `(0, observed]`.
    pub purchases: Vec<f64>,
    /// When the customer dropped out, if before the end of observation.
    pub dropout: Option<f64>,
    /// How long the customer was observed (age T).
    pub observed: f64,
}

impl SimulatedCustomer {
    /// The (x, t_x, T) summary of the whole history (monetary value 0).
    ///
    /// # Errors
    /// Only if the history is inconsistent (purchases outside `(0, observed]`).
    pub fn summary(&self) -> Result<CustomerSummary> {
        self.summary_until(self.observed)
    }

    /// The summary of the history up to a calibration end `t ≤ observed`, with the purchases
    /// after it as the holdout outcome (spend 0).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `t` is outside `[0, observed]`.
    pub fn summary_until(&self, t: f64) -> Result<CustomerSummary> {
        if !(t.is_finite() && t >= 0.0 && t <= self.observed) {
            return Err(Error::param("calibration_end", t, "a time in [0, observed]"));
        }
        let calibration: Vec<f64> = self.purchases.iter().copied().filter(|p| *p <= t).collect();
        let x = u32::try_from(calibration.len()).map_err(|_| Error::overflow("simulated frequency"))?;
        let t_x = calibration.last().copied().unwrap_or(0.0);
        let summary = CustomerSummary::new(x, t_x, t, rust_decimal::Decimal::ZERO)?;
        if t < self.observed {
            let holdout = u32::try_from(self.purchases.len() - calibration.len())
                .map_err(|_| Error::overflow("simulated holdout frequency"))?;
            let h =
                crate::summary::HoldoutSummary::new(holdout, rust_decimal::Decimal::ZERO, self.observed - t)?;
            Ok(summary.with_holdout(h))
        } else {
            Ok(summary)
        }
    }
}

/// Checks simulator inputs: every age finite and `>= 0`.
pub(crate) fn check_ages(ages: &[f64]) -> Result<()> {
    match ages.iter().find(|a| !(a.is_finite() && **a >= 0.0)) {
        Some(a) => Err(Error::param("age", a, "finite observation lengths >= 0")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_dert_of_a_linear_expectation() {
        // E(t) = c·t (a customer who buys at rate c forever): DERT = c/δ.
        let got = numeric_dert(|t| Ok(0.3 * t), 0.01, 40.0).expect("finite");
        assert!((got / 30.0 - 1.0).abs() < 1e-9, "{got}");
        // Saturating E(t) = 1 − e^{−t/5}: DERT = (1/5)/(δ + 1/5).
        let got = numeric_dert(|t| Ok(1.0 - (-t / 5.0).exp()), 0.05, 10.0).expect("finite");
        assert!((got - 0.2 / 0.25).abs() < 1e-10, "{got}");
        assert!(numeric_dert(Ok, 0.0, 1.0).is_err());
    }

    #[test]
    fn simulated_history_summaries() {
        let c = SimulatedCustomer { purchases: vec![1.0, 2.5, 6.0], dropout: Some(7.0), observed: 10.0 };
        let s = c.summary().expect("valid");
        assert_eq!((s.frequency(), s.recency(), s.age()), (3, 6.0, 10.0));
        let s = c.summary_until(4.0).expect("valid");
        assert_eq!((s.frequency(), s.recency(), s.age()), (2, 2.5, 4.0));
        assert_eq!(s.holdout().map(|h| (h.frequency(), h.length())), Some((1, 6.0)));
        assert!(c.summary_until(11.0).is_err());
        assert!((continuous_rate(0.1).expect("valid") - 1.1f64.ln()).abs() < 1e-15);
    }
}
