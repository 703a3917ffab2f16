//! The one discounting convention of the value module: a rate per rate period, the length of a
//! cash-flow period in rate periods, and the timing of cash flows within a period.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::serde_checked::checked_serde;
use crate::{Error, Result};

/// When a period's cash flow arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Timing {
    /// At the start of the period: period `t` (1-based) is discounted over `t − 1` periods, so
    /// the first period's cash flow is not discounted.
    Start,
    /// At the end of the period: period `t` is discounted over `t` periods (the convention of
    /// Gupta & Lehmann's `m·r/(1 + i − r)` and of Kumar's `(1 + r)^{-(t − T)}`).
    #[default]
    End,
}

checked_serde! {
    /// How cash flows are discounted: `rate` per *rate period* (for example 0.15 per year),
    /// `period_length` = the length of one cash-flow period in rate periods (for example `0.5`
    /// for half-years at an annual rate, `1/12` for months), and the [`Timing`] of each
    /// period's cash flow.
    ///
    /// The cash flow of period `t = 1, 2, …` is multiplied by
    ///
    /// `factor(t) = (1 + rate)^{−e(t)·L}`, with `e(t) = t` ([`Timing::End`]) or `t − 1`
    /// ([`Timing::Start`]) and `L = period_length`,
    ///
    /// so the effective rate per cash-flow period is `i = (1 + rate)^L − 1`
    /// ([`Discount::per_period_rate`]). Kumar (2008) converts 15 % a year to half-years as
    /// `1.15^{1/2} − 1 = 0.0723805`. A rate of 0 gives factor 1 exactly, so the present value is
    /// the plain sum.
    ///
    /// Discount factors are computed in `f64` (relative error about 1e-16) and converted to
    /// [`Decimal`]; the products and sums of money are checked [`Decimal`] arithmetic.
    ///
    /// ```
    /// use customer_metrics::{Discount, Timing};
    /// use rust_decimal::Decimal;
    ///
    /// let d = Discount::new(0.10, Timing::End)?;
    /// // 110 in one year and 121 in two years are each worth 100 today.
    /// let pv = d.present_value(&[Decimal::from(110), Decimal::from(121)])?;
    /// assert!((pv - Decimal::from(200)).abs() < Decimal::new(1, 12));
    /// let half_years = Discount::new(0.15, Timing::End)?.with_period_length(0.5)?;
    /// assert!((half_years.per_period_rate() - 0.0723805).abs() < 1e-7);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Discount {
        rate: f64,
        period_length: f64,
        timing: Timing,
    }
    check = |d| Discount::new(d.rate, d.timing)?.with_period_length(d.period_length)
}

impl Default for Discount {
    /// No discounting ([`Discount::none`]).
    fn default() -> Self {
        Self::none()
    }
}

impl Discount {
    /// A discount `rate` per period (finite, `>= 0`), cash-flow periods of length 1.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`rate`) when the rate is negative or not finite.
    pub fn new(rate: f64, timing: Timing) -> Result<Self> {
        crate::error::check_range("rate", rate, 0.0, f64::MAX, "a finite discount rate per period >= 0")?;
        Ok(Self { rate, period_length: 1.0, timing })
    }

    /// No discounting: rate 0, end of period.
    #[must_use]
    pub fn none() -> Self {
        Self { rate: 0.0, period_length: 1.0, timing: Timing::End }
    }

    /// Sets the length of a cash-flow period in rate periods (finite, `> 0`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`period_length`) when it is not finite and positive.
    pub fn with_period_length(mut self, period_length: f64) -> Result<Self> {
        if !(period_length.is_finite() && period_length > 0.0) {
            return Err(Error::param("period_length", period_length, "a finite period length > 0"));
        }
        self.period_length = period_length;
        Ok(self)
    }

    /// The discount rate per rate period.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The length of one cash-flow period, in rate periods.
    #[must_use]
    pub fn period_length(&self) -> f64 {
        self.period_length
    }

    /// When cash flows arrive within a period.
    #[must_use]
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// The effective rate per cash-flow period, `i = (1 + rate)^L − 1`.
    #[must_use]
    pub fn per_period_rate(&self) -> f64 {
        if self.period_length == 1.0 { self.rate } else { (self.rate.ln_1p() * self.period_length).exp_m1() }
    }

    /// The number of cash-flow periods over which period `t`'s cash flow is discounted:
    /// `t` (end) or `t − 1` (start).
    fn periods_elapsed(&self, period: u32) -> f64 {
        match self.timing {
            Timing::End => f64::from(period),
            Timing::Start => f64::from(period.saturating_sub(1)),
        }
    }

    /// The discount factor of period `period` (1-based) as `f64`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`period`) for period 0.
    pub fn factor_f64(&self, period: u32) -> Result<f64> {
        if period == 0 {
            return Err(Error::param("period", period, "a period number >= 1 (periods are 1-based)"));
        }
        Ok(self.factor_at_f64(self.periods_elapsed(period) * self.period_length))
    }

    /// `(1 + rate)^{−time}` for a time in rate periods, without timing or period length.
    fn factor_at_f64(&self, time: f64) -> f64 {
        if self.rate == 0.0 || time == 0.0 { 1.0 } else { (-time * self.rate.ln_1p()).exp() }
    }

    /// The discount factor of period `period` (1-based).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`period`) for period 0.
    pub fn factor(&self, period: u32) -> Result<Decimal> {
        to_decimal("discount factor", self.factor_f64(period)?)
    }

    /// `(1 + rate)^{−time}` for an explicit time in rate periods (timing and period length
    /// do not apply), for cash flows at irregular times such as the `t/f` purchase times of
    /// Venkatesan & Kumar (2004) or Rust, Lemon & Zeithaml (2004).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`time`) when `time` is negative or not finite.
    pub fn factor_at(&self, time: f64) -> Result<Decimal> {
        crate::error::check_range("time", time, 0.0, f64::MAX, "a finite time >= 0 in rate periods")?;
        to_decimal("discount factor", self.factor_at_f64(time))
    }

    /// The present value `Σ_t flows[t − 1] · factor(t)` of one cash flow per period, the first
    /// element being period 1.
    ///
    /// # Errors
    /// [`Error::Overflow`] when a product or the sum overflows [`Decimal`]; more than
    /// `u32::MAX` periods is [`Error::InvalidParameter`] (`flows`).
    pub fn present_value(&self, flows: &[Decimal]) -> Result<Decimal> {
        let mut total = Decimal::ZERO;
        for (index, flow) in flows.iter().enumerate() {
            let period = period_number(index)?;
            total = add(total, mul(*flow, self.factor(period)?, "discounted cash flow")?, "present value")?;
        }
        Ok(total)
    }
}

/// Period number `index + 1` as `u32`.
pub(crate) fn period_number(index: usize) -> Result<u32> {
    u32::try_from(index)
        .ok()
        .and_then(|i| i.checked_add(1))
        .ok_or_else(|| Error::param("flows", index, "at most u32::MAX periods"))
}

/// `f64 → Decimal`, naming the quantity: non-finite values are [`Error::InvalidParameter`],
/// values beyond Decimal's range [`Error::Overflow`].
pub(crate) fn to_decimal(what: &'static str, x: f64) -> Result<Decimal> {
    if !x.is_finite() {
        return Err(Error::param(what, x, "a finite number"));
    }
    crate::math::decimal::from_f64(x).ok_or(Error::overflow(what))
}

/// `Decimal → f64` (always defined; rounding to the nearest `f64`).
pub(crate) fn to_f64(x: Decimal) -> f64 {
    x.to_f64().unwrap_or(f64::NAN)
}

/// Checked `a + b`.
pub(crate) fn add(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| Error::overflow(what))
}

/// Checked `a − b`.
pub(crate) fn sub(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    a.checked_sub(b).ok_or_else(|| Error::overflow(what))
}

/// Checked `a · b`.
pub(crate) fn mul(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    a.checked_mul(b).ok_or_else(|| Error::overflow(what))
}

/// Checked `a · x` for an `f64` factor.
pub(crate) fn mul_f64(a: Decimal, x: f64, what: &'static str) -> Result<Decimal> {
    if x == 1.0 {
        return Ok(a);
    }
    mul(a, to_decimal(what, x)?, what)
}

/// Checks a probability in [0, 1].
pub(crate) fn check_probability(name: &'static str, p: f64) -> Result<f64> {
    crate::error::check_range(name, p, 0.0, 1.0, "a probability in [0, 1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_and_start_timing_by_hand() {
        // 10 %: factors 1/1.1 = 0.909090…, 1/1.21 = 0.826446… (end); 1, 0.909090… (start).
        let end = Discount::new(0.1, Timing::End).unwrap();
        let start = Discount::new(0.1, Timing::Start).unwrap();
        assert!((end.factor_f64(1).unwrap() - 1.0 / 1.1).abs() < 1e-15);
        assert!((end.factor_f64(2).unwrap() - 1.0 / 1.21).abs() < 1e-15);
        assert_eq!(start.factor_f64(1).unwrap(), 1.0);
        assert!((start.factor_f64(2).unwrap() - 1.0 / 1.1).abs() < 1e-15);
        assert!(end.factor(0).is_err());
    }

    #[test]
    fn kumar_semiannual_rate() {
        // FORMULAS §3.1: (1.15)^{1/2} − 1 = 0.0723805 [C].
        let d = Discount::new(0.15, Timing::End).unwrap().with_period_length(0.5).unwrap();
        assert!((d.per_period_rate() - 0.072_380_5).abs() < 1e-7);
        // Two half-years make one year: factor(2) = 1/1.15.
        assert!((d.factor_f64(2).unwrap() - 1.0 / 1.15).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_settings_and_reserialises() {
        assert!(Discount::new(-0.1, Timing::End).is_err());
        assert!(Discount::new(f64::NAN, Timing::End).is_err());
        assert!(Discount::none().with_period_length(0.0).is_err());
        let d = Discount::new(0.12, Timing::Start).unwrap().with_period_length(0.25).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Discount>(&json).unwrap(), d);
        let bad = json.replace("0.12", "-0.12");
        assert!(serde_json::from_str::<Discount>(&bad).is_err());
    }
}
