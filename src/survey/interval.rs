//! Confidence intervals shared by the survey metrics: written once, used by every report.

use serde::{Deserialize, Serialize};

use crate::error::check_level;
use crate::math::special::{normal_cdf, normal_sf, two_sided_p, z_for_level};
use crate::serde_checked::checked_serde;
use crate::{Error, Result};

/// How a confidence interval was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum IntervalMethod {
    /// Normal approximation around the observed estimate: estimate ± z·SE.
    /// Zero width when the observed variance is zero (one response, or all in one group).
    Wald,
    /// The adjusted-Wald interval for NPS (Sauro & Lewis; Rocks 2016): add 3 pseudo-responses
    /// (0.75 promoter, 0.75 detractor, 1.5 passive) and use the Wald interval around the adjusted
    /// estimate. Never of zero width.
    AdjustedWald,
    /// The Wilson score interval of a proportion (Wilson 1927). Never of zero width, always
    /// inside [0, 1], and it contains the observed share.
    Wilson,
    /// Normal approximation to the sampling distribution of a mean: mean ± z·s/√n_eff.
    NormalMean,
}

checked_serde! {
    /// A confidence interval: `lower <= estimate <= upper`, at confidence `level`.
    ///
    /// `estimate` is the centre of the method: the observed value for Wald, Wilson and
    /// normal-mean intervals, and the adjusted estimate for [`IntervalMethod::AdjustedWald`].
    /// Units are those of the quantity (NPS points in [-100, 100], shares in [0, 1], means on the
    /// scale); bounds are clamped to that range.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Interval {
        lower: f64,
        estimate: f64,
        upper: f64,
        level: f64,
        method: IntervalMethod,
    }
    check = Interval::checked
}

impl Interval {
    /// Checks a deserialised interval: a confidence level in (0, 1) and finite bounds with
    /// `lower <= estimate <= upper`.
    fn checked(self) -> Result<Self> {
        check_level(self.level)?;
        if !(self.lower.is_finite()
            && self.upper.is_finite()
            && self.lower <= self.estimate
            && self.estimate <= self.upper)
        {
            return Err(Error::param(
                "interval",
                format!("[{}, {}] around {}", self.lower, self.upper, self.estimate),
                "finite bounds with lower <= estimate <= upper",
            ));
        }
        Ok(self)
    }
}

impl Interval {
    /// The interval `[estimate - half_width, estimate + half_width]` clamped to `[lo, hi]`,
    /// always containing `estimate` (also clamped).
    pub(crate) fn symmetric(
        estimate: f64,
        half_width: f64,
        (lo, hi): (f64, f64),
        level: f64,
        method: IntervalMethod,
    ) -> Self {
        let estimate = estimate.clamp(lo, hi);
        Interval {
            lower: (estimate - half_width).clamp(lo, estimate),
            estimate,
            upper: (estimate + half_width).clamp(estimate, hi),
            level,
            method,
        }
    }

    /// Lower bound.
    #[must_use]
    pub fn lower(&self) -> f64 {
        self.lower
    }

    /// The centre of the method (see the type docs).
    #[must_use]
    pub fn estimate(&self) -> f64 {
        self.estimate
    }

    /// Upper bound.
    #[must_use]
    pub fn upper(&self) -> f64 {
        self.upper
    }

    /// The confidence level, in (0, 1).
    #[must_use]
    pub fn level(&self) -> f64 {
        self.level
    }

    /// How the interval was computed.
    #[must_use]
    pub fn method(&self) -> IntervalMethod {
        self.method
    }

    /// `upper - lower`.
    #[must_use]
    pub fn width(&self) -> f64 {
        self.upper - self.lower
    }
}

/// The test behind a [`Comparison`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TestMethod {
    /// Difference of two NPS with Wald standard errors.
    NpsWald,
    /// Difference of two adjusted NPS (NPS') with adjusted-Wald standard errors.
    NpsAdjustedWald,
    /// Difference of two shares with the pooled two-proportion standard error
    /// `√(p̂(1 − p̂)(1/n₁ + 1/n₂))`, p̂ the pooled share (n = Kish's effective sizes).
    TwoProportion,
    /// Difference of two means with the unpooled standard error `√(s₁²/n₁ + s₂²/n₂)`
    /// (a large-sample z-test, not Student's or Welch's t).
    DifferenceOfMeans,
}

checked_serde! {
    /// A two-sided z-test of the difference of two independent estimates: `self − other`.
    ///
    /// `z = difference / standard_error` and `p = 2(1 − Φ(|z|))`. When the standard error is zero
    /// (neither sample varies) and the difference is zero, the test reports `z = 0`, `p = 1`; a
    /// non-zero difference with zero standard error is an error where the test is computed.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Comparison {
        difference: f64,
        standard_error: f64,
        z: f64,
        p_value: f64,
        method: TestMethod,
    }
    check = Comparison::checked
}

impl Comparison {
    /// Checks a deserialised comparison: a valid z-test (see [`Comparison::z_test`]) whose z and
    /// p-value agree with the difference and standard error.
    fn checked(self) -> Result<Self> {
        let test = Comparison::z_test(self.difference, self.standard_error, self.method)?;
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        if !(close(test.z, self.z) && close(test.p_value, self.p_value)) {
            return Err(Error::Mismatch {
                what: "comparison: z or p-value disagree with the difference".into(),
            });
        }
        Ok(Comparison { z: self.z, p_value: self.p_value, ..test })
    }
}

impl Comparison {
    /// The z-test of `difference` with standard error `standard_error` (see the type docs).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the difference or standard error is not finite, the
    /// standard error is negative, or it is zero while the difference is not.
    pub(crate) fn z_test(difference: f64, standard_error: f64, method: TestMethod) -> Result<Self> {
        let se = standard_error;
        if !difference.is_finite() || !se.is_finite() || se < 0.0 || (se == 0.0 && difference != 0.0) {
            return Err(Error::param(
                "standard error of the difference",
                se,
                "positive (both samples have zero variance but different estimates; for NPS use the adjusted-Wald test)",
            ));
        }
        let z = if se == 0.0 { 0.0 } else { difference / se };
        Ok(Comparison { difference, standard_error: se, z, p_value: two_sided_p(z), method })
    }

    /// The difference of the estimates, `self − other` (NPS points, shares or scale units;
    /// adjusted estimates under [`TestMethod::NpsAdjustedWald`]).
    #[must_use]
    pub fn difference(&self) -> f64 {
        self.difference
    }

    /// Standard error of the difference (same units).
    #[must_use]
    pub fn standard_error(&self) -> f64 {
        self.standard_error
    }

    /// The z statistic.
    #[must_use]
    pub fn z(&self) -> f64 {
        self.z
    }

    /// The two-sided p-value `2(1 − Φ(|z|))`, in [0, 1].
    #[must_use]
    pub fn p_value(&self) -> f64 {
        self.p_value
    }

    /// One-sided p-value `1 − Φ(z)` of the alternative "`self` is greater".
    #[must_use]
    pub fn p_value_greater(&self) -> f64 {
        normal_sf(self.z)
    }

    /// One-sided p-value `Φ(z)` of the alternative "`self` is smaller".
    #[must_use]
    pub fn p_value_less(&self) -> f64 {
        normal_cdf(self.z)
    }

    /// The test.
    #[must_use]
    pub fn method(&self) -> TestMethod {
        self.method
    }
}

/// Critical value `z_{1-(1-level)/2}` of a checked confidence level.
pub(crate) fn critical_z(level: f64) -> Result<f64> {
    Ok(z_for_level(check_level(level)?))
}

/// Wilson score interval of a share `p` in [0, 1] observed on `n > 0` (effective) responses:
/// centre `(p + z²/2n) / (1 + z²/n)`, half-width `z/(1 + z²/n) · √(p(1-p)/n + z²/4n²)`.
pub(crate) fn wilson(p: f64, n: f64, level: f64) -> Result<Interval> {
    let z = critical_z(level)?;
    if !(n > 0.0 && n.is_finite()) {
        return Err(Error::NotEnoughData { what: "Wilson interval", needed: 1, got: 0 });
    }
    let p = p.clamp(0.0, 1.0);
    let z2n = z * z / n;
    let centre = (p + z2n / 2.0) / (1.0 + z2n);
    let half = z / (1.0 + z2n) * (p * (1.0 - p) / n + z2n / (4.0 * n)).sqrt();
    Ok(Interval {
        lower: (centre - half).clamp(0.0, p),
        estimate: p,
        upper: (centre + half).clamp(p, 1.0),
        level,
        method: IntervalMethod::Wilson,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_eight_of_ten() {
        // Hand computation, z = 1.959964: z²/n = 0.384146, centre = (0.8 + 0.192073)/1.384146
        // = 0.716738, half = 1.959964/1.384146 * sqrt(0.016 + 0.0096037) = 0.226558,
        // so [0.490180, 0.943296] (the textbook value [0.4902, 0.9433]).
        let i = wilson(0.8, 10.0, 0.95).unwrap();
        assert!((i.lower() - 0.4902).abs() < 5e-5, "{i:?}");
        assert!((i.upper() - 0.9433).abs() < 5e-5, "{i:?}");
        assert_eq!(i.estimate(), 0.8);
    }

    #[test]
    fn wilson_is_never_degenerate() {
        let i = wilson(1.0, 1.0, 0.95).unwrap();
        assert_eq!(i.upper(), 1.0);
        assert!(i.lower() > 0.0 && i.lower() < 1.0);
        let i = wilson(0.0, 3.0, 0.95).unwrap();
        assert_eq!(i.lower(), 0.0);
        assert!(i.upper() > 0.0);
    }

    #[test]
    fn bad_levels_are_errors() {
        for level in [0.0, 1.0, -0.5, 2.0, f64::NAN] {
            assert!(wilson(0.5, 10.0, level).is_err());
            assert!(critical_z(level).is_err());
        }
        assert!(wilson(0.5, 0.0, 0.95).is_err());
    }
}
