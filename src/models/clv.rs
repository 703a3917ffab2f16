//! Model-based customer lifetime value: discounted expected purchases (any
//! [`PurchaseModel`]) × expected spend per purchase ([`GammaGamma`] or a given amount) ×
//! margin.

use rust_decimal::Decimal;

use super::gamma_gamma::to_decimal;
use super::{GammaGamma, PurchaseModel};
use crate::serde_checked::checked_serde;
use crate::summary::CustomerSummary;
use crate::{Error, Result};

/// Horizons of a finite-horizon CLV asked of the purchase model at a time.
const PATH_BLOCK: usize = 64;

/// The expected spend per purchase of a customer: the money side of a CLV.
///
/// Implemented by [`GammaGamma`] (its conditional expected spend E(M | x, z̄)) and by
/// [`Decimal`] (one given amount for every customer).
pub trait SpendModel: Send + Sync + std::fmt::Debug {
    /// The expected value of one future purchase of this customer.
    ///
    /// # Errors
    /// As the implementation (for [`GammaGamma`], see
    /// [`GammaGamma::conditional_expected_spend`]).
    fn expected_spend(&self, customer: &CustomerSummary) -> Result<Decimal>;
}

impl SpendModel for GammaGamma {
    fn expected_spend(&self, customer: &CustomerSummary) -> Result<Decimal> {
        self.conditional_expected_spend(customer)
    }
}

/// A given spend per purchase, the same for every customer (it must not be negative).
impl SpendModel for Decimal {
    fn expected_spend(&self, _customer: &CustomerSummary) -> Result<Decimal> {
        if self.is_sign_negative() && !self.is_zero() {
            return Err(Error::param("spend", self, "an expected spend per purchase >= 0"));
        }
        Ok(*self)
    }
}

checked_serde! {
    /// How a model-based CLV discounts future purchases and which margin it keeps.
    ///
    /// `CLV = discounted expected purchases × expected spend per purchase × margin`, in two
    /// forms (both in the model's period unit: no hidden 30-day month):
    ///
    /// * **Finite horizon** ([`Clv::finite`]): `H` cash-flow steps of `Δ` model periods each,
    ///   discount rate `d` per step; the purchases expected in step `k` are discounted as if
    ///   they all happened at its end:
    ///
    ///   `Σ_{k=1}^{H} [E[Y(kΔ) | x, t_x, T] − E[Y((k−1)Δ) | x, t_x, T]] / (1 + d)^k`.
    ///
    ///   With `d = 0` this is the plain expectation `E[Y(HΔ) | …]`. It is evaluated by summation
    ///   by parts, `E_H/(1+d)^H + (1 − 1/(1+d)) Σ_{k<H} E_k/(1+d)^k`, a sum of non-negative
    ///   terms (no cancellation of the differences), at `H` evaluations of
    ///   [`PurchaseModel::conditional_expected_purchases`] per customer.
    ///
    ///   *Relation to lifetimes.* `lifetimes.utils._customer_lifetime_value(model, …, time=H,
    ///   discount_rate=d)` (behind `GammaGammaFitter.customer_lifetime_value`) uses this sum
    ///   with steps of 30 model periods ("months of 30 days", assuming a model fitted in days)
    ///   and a monthly rate `d`: it equals `Clv::finite(30.0, H, d)` on a model fitted in
    ///   days. For a model fitted in weeks, a 30-day month is `Δ = 30/7`; later versions of
    ///   lifetimes take `freq` and use `Δ = 4.345` weeks.
    ///
    /// * **Infinite horizon, DERT** ([`Clv::dert`]): the continuous-time present value of all
    ///   future purchases, [`PurchaseModel::dert`], with the continuously compounded rate
    ///   `δ = ln(1 + d)/Δ` per model period that matches the rate `d` per step of `Δ` periods
    ///   (`e^{−δΔ} = 1/(1 + d)`). Fader, Hardie & Lee (2005), "RFM and CLV", *JMR* 42(4):
    ///   residual CLV = DERT × E(M | p, q, γ, m_x, x) × margin.
    ///
    /// The two agree as the step shrinks: for a model whose expected purchases grow with the
    /// horizon, the finite sum discounts each step's purchases at its end, so as `H → ∞`
    /// `sum ≤ DERT ≤ (1 + d) · sum`.
    ///
    /// Results are [`Decimal`]: the discounted purchases (an `f64`) are converted once
    /// (checked) and multiplied by the spend and the margin with checked decimal arithmetic.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_metrics::{Clv, CustomerSummary, GammaGamma, PurchaseModel};
    /// use rust_decimal::Decimal;
    ///
    /// /// A customer who buys at 0.5 purchases per week forever (a Poisson purchaser).
    /// #[derive(Debug)]
    /// struct Steady;
    /// impl PurchaseModel for Steady {
    ///     fn name(&self) -> &'static str { "steady" }
    ///     fn log_likelihood(&self, c: &CustomerSummary) -> f64 { f64::from(c.frequency()) * 0.5f64.ln() - 0.5 * c.age() }
    ///     fn probability_alive(&self, _: &CustomerSummary) -> f64 { 1.0 }
    ///     fn expected_purchases(&self, t: f64) -> customer_metrics::Result<f64> { Ok(0.5 * t) }
    ///     fn conditional_expected_purchases(&self, _: &CustomerSummary, t: f64) -> customer_metrics::Result<f64> { Ok(0.5 * t) }
    ///     fn probability_of_purchases(&self, n: u32, t: f64) -> customer_metrics::Result<f64> {
    ///         let m = 0.5 * t;
    ///         Ok((f64::from(n) * m.ln() - m - (1..=n).map(f64::from).map(f64::ln).sum::<f64>()).exp())
    ///     }
    /// }
    ///
    /// let customer = CustomerSummary::new(2, 30.43, 38.86, Decimal::new(2235, 2))?;
    /// // 52 weekly steps without discounting: 26 expected purchases of $10, margin 30%.
    /// let clv = Clv::finite(1.0, 52, 0.0)?.with_margin(Decimal::new(3, 1))?;
    /// assert_eq!(clv.value(&Steady, &Decimal::TEN, &customer)?, Decimal::from(78));
    /// // With the Gamma-Gamma spend of CDNOW (Fader & Hardie 2013) instead:
    /// let spend = GammaGamma::new(6.25, 3.74, 15.44)?;
    /// let value = clv.value(&Steady, &spend, &customer)?;
    /// assert_eq!(value.round_dp(2), Decimal::new(19238, 2)); // 26 × 24.664 × 0.3
    /// // Infinite horizon at 10% a year on weekly periods: δ = ln(1.1)/52, DERT = 0.5/δ.
    /// let dert = Clv::dert(52.0, 0.1)?;
    /// assert!((dert.discounted_purchases(&Steady, &customer)? - 0.5 * 52.0 / 1.1f64.ln()).abs() < 1e-9);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Clv {
        step: f64,
        rate: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        steps: Option<u32>,
        margin: Decimal,
    }
    check = Clv::checked
}

impl Clv {
    /// The finite-horizon form: `steps` cash-flow steps of `step` model periods each, discount
    /// rate `rate` per step (0 for none); margin 1.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `step` unless it is finite and `> 0`, `steps` when
    /// it is 0, `rate` unless it is finite and `>= 0`, and `step × steps` unless finite.
    pub fn finite(step: f64, steps: u32, rate: f64) -> Result<Self> {
        Clv { step, rate, steps: Some(steps), margin: Decimal::ONE }.checked()
    }

    /// The infinite-horizon form through [`PurchaseModel::dert`], with the continuously
    /// compounded rate `ln(1 + rate)/step` per model period (`rate` per `step` periods, for
    /// example `Clv::dert(52.0, 0.15)` for 15% a year on weekly periods); margin 1.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `step` unless it is finite and `> 0`, `rate` unless
    /// it is finite and `> 0` (without discounting the infinite-horizon value is infinite).
    pub fn dert(step: f64, rate: f64) -> Result<Self> {
        Clv { step, rate, steps: None, margin: Decimal::ONE }.checked()
    }

    /// The same settings with a margin: the share of the spend kept as profit, in `[0, 1]`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `margin` outside `[0, 1]`.
    pub fn with_margin(mut self, margin: Decimal) -> Result<Self> {
        self.margin = margin;
        self.checked()
    }

    /// Checks every setting.
    fn checked(self) -> Result<Self> {
        if !(self.step.is_finite() && self.step > 0.0) {
            return Err(Error::param("step", self.step, "a finite number of model periods per step > 0"));
        }
        match self.steps {
            Some(0) => return Err(Error::param("steps", 0, "at least 1 step")),
            Some(h) => {
                if !(self.rate.is_finite() && self.rate >= 0.0) {
                    return Err(Error::param("rate", self.rate, "a finite discount rate per step >= 0"));
                }
                if !(self.step * f64::from(h)).is_finite() {
                    return Err(Error::param("steps", h, "a horizon step × steps that is finite"));
                }
            }
            None => {
                if !(self.rate.is_finite() && self.rate > 0.0) {
                    return Err(Error::param(
                        "rate",
                        self.rate,
                        "a finite discount rate per step > 0 (the undiscounted infinite-horizon value is infinite)",
                    ));
                }
            }
        }
        if (self.margin.is_sign_negative() && !self.margin.is_zero()) || self.margin > Decimal::ONE {
            return Err(Error::param("margin", self.margin, "a share of the spend in [0, 1]"));
        }
        Ok(self)
    }

    /// Δ: model periods per cash-flow step.
    #[must_use]
    pub fn step(&self) -> f64 {
        self.step
    }

    /// d: the discount rate per step.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// H: the number of steps; `None` for the infinite-horizon (DERT) form.
    #[must_use]
    pub fn steps(&self) -> Option<u32> {
        self.steps
    }

    /// The margin (share of the spend kept).
    #[must_use]
    pub fn margin(&self) -> Decimal {
        self.margin
    }

    /// δ = ln(1 + d)/Δ: the continuously compounded rate per model period equivalent to the
    /// rate per step.
    #[must_use]
    pub fn continuous_rate(&self) -> f64 {
        self.rate.ln_1p() / self.step
    }

    /// The discounted expected purchases of this customer (the purchase side of the CLV, in
    /// purchases, not money).
    ///
    /// # Errors
    /// What the model's [`PurchaseModel::conditional_expected_purchases`] or
    /// [`PurchaseModel::dert`] returns; [`Error::Overflow`] naming the discounted purchases
    /// when the model returns a non-finite or negative value.
    pub fn discounted_purchases(&self, model: &dyn PurchaseModel, customer: &CustomerSummary) -> Result<f64> {
        let value = match self.steps {
            None => model.dert(customer, self.continuous_rate())?,
            Some(h) => {
                let v = 1.0 / (1.0 + self.rate);
                // Σ_{k=1}^{H} (E_k − E_{k−1}) v^k = E_H v^H + (1 − v) Σ_{k=1}^{H−1} E_k v^k, the
                // cumulative expectations E_k taken a block of horizons at a time (on the stack).
                let mut discount = 1.0;
                let mut inner = 0.0;
                let mut last = 0.0;
                let (mut horizons, mut expected) = ([0.0; PATH_BLOCK], [0.0; PATH_BLOCK]);
                let mut k = 1;
                while k <= h {
                    let n = (h - k + 1).min(PATH_BLOCK as u32) as usize;
                    for (j, t) in horizons.iter_mut().take(n).enumerate() {
                        *t = self.step * f64::from(k + j as u32);
                    }
                    let (times, values) = (&horizons[..n], &mut expected[..n]);
                    model.conditional_expected_purchases_path(customer, times, values)?;
                    for &e in values.iter() {
                        discount *= v;
                        if k < h {
                            inner += e * discount;
                        } else {
                            last = e * discount;
                        }
                        k += 1;
                    }
                }
                last + (1.0 - v) * inner
            }
        };
        if value.is_finite() && value >= 0.0 {
            Ok(value)
        } else {
            Err(Error::overflow(
                "discounted expected purchases (the model returned a non-finite or negative value)",
            ))
        }
    }

    /// The CLV of one customer: discounted expected purchases × expected spend × margin.
    ///
    /// # Errors
    /// As [`Clv::discounted_purchases`] and the spend model's
    /// [`SpendModel::expected_spend`]; [`Error::Overflow`] when the value does not fit a
    /// [`Decimal`].
    pub fn value(
        &self,
        model: &dyn PurchaseModel,
        spend: &dyn SpendModel,
        customer: &CustomerSummary,
    ) -> Result<Decimal> {
        let purchases =
            to_decimal(self.discounted_purchases(model, customer)?, "the discounted expected purchases")?;
        let spend = spend.expected_spend(customer)?;
        purchases
            .checked_mul(spend)
            .and_then(|v| v.checked_mul(self.margin))
            .ok_or(Error::overflow("the customer lifetime value"))
    }

    /// [`Clv::value`] for many customers, in order (over the cores with the `parallel`
    /// feature). The work per customer allocates nothing, so millions of customers cost one
    /// output vector.
    ///
    /// # Errors
    /// As [`Clv::value`], for the first customer that fails.
    pub fn values(
        &self,
        model: &dyn PurchaseModel,
        spend: &dyn SpendModel,
        customers: &[CustomerSummary],
    ) -> Result<Vec<Decimal>> {
        super::chunks::try_map(customers, |c| self.value(model, spend, c))
    }

    /// The total CLV of a customer base (the residual customer equity of these customers),
    /// without storing the individual values (over the cores with the `parallel` feature; the
    /// chunks of customers and the order of their sums are fixed, so the total does not depend
    /// on the feature or the thread count).
    ///
    /// # Errors
    /// As [`Clv::value`]; [`Error::Overflow`] when the total does not fit a [`Decimal`].
    pub fn total(
        &self,
        model: &dyn PurchaseModel,
        spend: &dyn SpendModel,
        customers: &[CustomerSummary],
    ) -> Result<Decimal> {
        let add = |acc: Decimal, v: Decimal| {
            acc.checked_add(v).ok_or(Error::overflow("the total customer lifetime value"))
        };
        let partial = super::chunks::map_chunks(customers, |chunk| {
            chunk.iter().try_fold(Decimal::ZERO, |acc, c| add(acc, self.value(model, spend, c)?))
        });
        partial.into_iter().try_fold(Decimal::ZERO, |acc, p| add(acc, p?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        assert!(Clv::finite(0.0, 1, 0.1).is_err());
        assert!(Clv::finite(1.0, 0, 0.1).is_err());
        assert!(Clv::finite(1.0, 1, -0.1).is_err());
        assert!(Clv::finite(f64::MAX, u32::MAX, 0.1).is_err());
        assert!(Clv::dert(1.0, 0.0).is_err());
        assert!(Clv::dert(f64::INFINITY, 0.1).is_err());
        let clv = Clv::finite(1.0, 3, 0.0).expect("valid");
        assert!(clv.with_margin(Decimal::new(11, 1)).is_err());
        assert!(clv.with_margin(Decimal::new(-1, 1)).is_err());
        assert_eq!(clv.with_margin(Decimal::ZERO).expect("valid").margin(), Decimal::ZERO);
        assert!(
            (Clv::dert(52.0, 0.15).expect("valid").continuous_rate() - 1.15f64.ln() / 52.0).abs() < 1e-18
        );
        assert!(
            Decimal::NEGATIVE_ONE
                .expected_spend(&CustomerSummary::new(0, 0.0, 1.0, Decimal::ZERO).expect("ok"))
                .is_err()
        );
    }

    #[test]
    fn serde_round_trip_revalidates() {
        let clv =
            Clv::finite(4.345, 12, 0.01).and_then(|c| c.with_margin(Decimal::new(25, 2))).expect("valid");
        let json = serde_json::to_string(&clv).expect("serialise");
        assert_eq!(serde_json::from_str::<Clv>(&json).expect("deserialise"), clv);
        assert!(serde_json::from_str::<Clv>(r#"{"step":1.0,"rate":0.0,"margin":"0.5"}"#).is_err()); // DERT at rate 0
        assert!(serde_json::from_str::<Clv>(r#"{"step":1.0,"rate":0.1,"steps":3,"margin":"2"}"#).is_err());
    }
}
