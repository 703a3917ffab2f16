//! The report shared by the mean-and-share survey metrics (CES on both scales, CSAT), and the
//! macro that defines those metrics on top of [`ScaleCounts`].

use rust_decimal::Decimal;

use super::interval::{Comparison, Interval, IntervalMethod, TestMethod, critical_z, wilson};
use super::scale::ScaleCounts;
use crate::serde_checked::checked_serde;
use crate::{Error, Result};

/// Tolerance of the consistency checks run when a report is deserialised (float round-off of a
/// JSON round trip).
const CONSISTENCY_TOLERANCE: f64 = 1e-9;

checked_serde! {
    /// Mean, distribution and favourable share of a non-empty set of responses on an integer scale
    /// (the output of [`CesAgreement`](crate::CesAgreement), [`CesEffort`](crate::CesEffort) and
    /// [`Csat`](crate::Csat)).
    ///
    /// The *favourable* range is the instrument's good end: 5..=7 ("agree") on the CES 1..=7 scale,
    /// 1..=2 (low effort) on the CES 1..=5 effort scale, 4..=5 ("satisfied", top-2 box) for CSAT.
    /// Shares are weight shares in [0, 1]; the mean is on the scale.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ScaleReport {
        scale_min: u8,
        scale_max: u8,
        favourable_min: u8,
        favourable_max: u8,
        responses: u64,
        total_weight: Decimal,
        effective_responses: f64,
        counts: Vec<u64>,
        distribution: Vec<f64>,
        favourable_share: f64,
        mean: f64,
        standard_deviation: f64,
    }
    check = ScaleReport::checked
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= CONSISTENCY_TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

impl ScaleReport {
    /// Checks a deserialised report: scale, favourable range and per-level vectors consistent,
    /// derived fields (favourable share, mean, standard deviation) equal to their
    /// recomputation, which is returned.
    fn checked(self) -> Result<Self> {
        let bad = |what: &str| Error::Mismatch { what: format!("scale report: {what}") };
        let levels = usize::from(self.scale_max.saturating_sub(self.scale_min)) + 1;
        if self.scale_min > self.scale_max
            || self.favourable_min > self.favourable_max
            || self.favourable_min < self.scale_min
            || self.favourable_max > self.scale_max
            || self.counts.len() != levels
            || self.distribution.len() != levels
        {
            return Err(bad("scale, favourable range and per-level vectors disagree"));
        }
        let total = self.counts.iter().try_fold(0u64, |acc, c| acc.checked_add(*c));
        if self.responses == 0 || total != Some(self.responses) || self.total_weight <= Decimal::ZERO {
            return Err(bad("counts must add up to a positive number of responses, with positive weight"));
        }
        if !(self.effective_responses >= 1.0 - CONSISTENCY_TOLERANCE
            && self.effective_responses <= self.responses as f64 * (1.0 + CONSISTENCY_TOLERANCE))
        {
            return Err(bad("the effective size must be in [1, responses]"));
        }
        let shares_ok = self
            .distribution
            .iter()
            .zip(&self.counts)
            .all(|(s, c)| (0.0..=1.0).contains(s) && (*c == 0) == (*s == 0.0));
        if !shares_ok || !close(self.distribution.iter().sum(), 1.0) {
            return Err(bad(
                "the distribution must be shares in [0, 1], zero exactly where a count is, adding up to 1",
            ));
        }
        let out = ScaleReport::build(
            (self.scale_min, self.scale_max),
            (self.favourable_min, self.favourable_max),
            self.responses,
            self.total_weight,
            self.effective_responses,
            self.counts,
            self.distribution,
        );
        if !close(out.favourable_share, self.favourable_share)
            || !close(out.mean, self.mean)
            || !close(out.standard_deviation, self.standard_deviation)
        {
            return Err(bad("favourable share, mean or standard deviation disagree with the distribution"));
        }
        Ok(out)
    }
}

impl ScaleReport {
    /// The report of non-empty counts, or `None` when empty.
    pub(crate) fn from_counts<const MIN: u8, const LEVELS: usize>(
        counts: &ScaleCounts<MIN, LEVELS>,
        favourable: (u8, u8),
    ) -> Option<Self> {
        (counts.responses() > 0).then(|| {
            ScaleReport::build(
                (MIN, ScaleCounts::<MIN, LEVELS>::MAX),
                favourable,
                counts.responses(),
                counts.total_weight(),
                counts.effective_responses(),
                counts.counts().to_vec(),
                counts.distribution(),
            )
        })
    }

    /// Derives the mean, standard deviation and favourable share from the distribution.
    fn build(
        (scale_min, scale_max): (u8, u8),
        (favourable_min, favourable_max): (u8, u8),
        responses: u64,
        total_weight: Decimal,
        effective_responses: f64,
        counts: Vec<u64>,
        distribution: Vec<f64>,
    ) -> Self {
        let scores = || (scale_min..=scale_max).map(f64::from).zip(distribution.iter().copied());
        let mean =
            scores().map(|(x, s)| x * s).sum::<f64>().clamp(f64::from(scale_min), f64::from(scale_max));
        let variance = scores().map(|(x, s)| s * (x - mean) * (x - mean)).sum::<f64>();
        let favourable_share = (scale_min..=scale_max)
            .zip(&distribution)
            .filter(|(x, _)| (favourable_min..=favourable_max).contains(x))
            .map(|(_, s)| s)
            .sum::<f64>()
            .clamp(0.0, 1.0);
        ScaleReport {
            scale_min,
            scale_max,
            favourable_min,
            favourable_max,
            responses,
            total_weight,
            effective_responses,
            counts,
            distribution,
            favourable_share,
            mean,
            standard_deviation: variance.max(0.0).sqrt(),
        }
    }

    /// The scale's lowest and highest score.
    #[must_use]
    pub fn scale(&self) -> (u8, u8) {
        (self.scale_min, self.scale_max)
    }

    /// The favourable range, inclusive (see the type docs).
    #[must_use]
    pub fn favourable_range(&self) -> (u8, u8) {
        (self.favourable_min, self.favourable_max)
    }

    /// Number of responses.
    #[must_use]
    pub fn responses(&self) -> u64 {
        self.responses
    }

    /// Sum of the weights (the number of responses when unweighted).
    #[must_use]
    pub fn total_weight(&self) -> Decimal {
        self.total_weight
    }

    /// Kish's effective sample size `(Σw)²/Σw²` (the number of responses when unweighted).
    #[must_use]
    pub fn effective_responses(&self) -> f64 {
        self.effective_responses
    }

    /// Response counts per score, lowest score first.
    #[must_use]
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Weight share of every score, lowest score first; they add up to 1.
    #[must_use]
    pub fn distribution(&self) -> &[f64] {
        &self.distribution
    }

    /// Weight share of the favourable range, in [0, 1] (% agree for CES 1..=7, % low effort for
    /// CES 1..=5, % satisfied for CSAT).
    #[must_use]
    pub fn favourable_share(&self) -> f64 {
        self.favourable_share
    }

    /// The (weighted) mean score.
    #[must_use]
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The (weighted) standard deviation of the scores, plug-in form `√(Σ sₖ (xₖ − mean)²)`
    /// with weight shares `sₖ` (divisor n, not n − 1).
    #[must_use]
    pub fn standard_deviation(&self) -> f64 {
        self.standard_deviation
    }

    /// Standard error of the mean: `standard_deviation / √n_eff`.
    #[must_use]
    pub fn mean_standard_error(&self) -> f64 {
        self.standard_deviation / self.effective_responses.sqrt()
    }

    /// Wilson score interval of the favourable share, with `n = n_eff` (so a weighted share
    /// gets the width of its effective sample size). Never of zero width; inside [0, 1].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `level` is strictly between 0 and 1.
    pub fn favourable_interval(&self, level: f64) -> Result<Interval> {
        wilson(self.favourable_share, self.effective_responses, level)
    }

    /// Checks that `other` is a report of the same instrument (scale and favourable range).
    fn same_instrument(&self, other: &ScaleReport) -> Result<()> {
        if self.scale() == other.scale() && self.favourable_range() == other.favourable_range() {
            Ok(())
        } else {
            Err(Error::Mismatch {
                what: format!(
                    "comparing a {:?} scale (favourable {:?}) with a {:?} scale (favourable {:?})",
                    self.scale(),
                    self.favourable_range(),
                    other.scale(),
                    other.favourable_range()
                ),
            })
        }
    }

    /// Two-proportion z-test of the favourable shares, `self − other`, with the pooled standard
    /// error `√(p̂(1 − p̂)(1/n₁ + 1/n₂))`, p̂ = (p₁n₁ + p₂n₂)/(n₁ + n₂), n = Kish's effective
    /// sizes. When both samples are all favourable (or none is), z = 0 and p = 1.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the reports are of different instruments.
    pub fn compare_favourable(&self, other: &ScaleReport) -> Result<Comparison> {
        self.same_instrument(other)?;
        let (n1, n2) = (self.effective_responses, other.effective_responses);
        let pooled = ((self.favourable_share * n1 + other.favourable_share * n2) / (n1 + n2)).clamp(0.0, 1.0);
        let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
        // With a pooled share of 0 or 1 both shares are equal, so the difference is exactly 0.
        let difference = if se == 0.0 { 0.0 } else { self.favourable_share - other.favourable_share };
        Comparison::z_test(difference, se, TestMethod::TwoProportion)
    }

    /// Large-sample z-test of the means, `self − other`, with the unpooled standard error
    /// `√(s₁²/n₁ + s₂²/n₂)` (n = Kish's effective sizes; z rather than Welch's t, so optimistic
    /// below about 30 responses per sample).
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the reports are of different instruments;
    /// [`Error::InvalidParameter`] when neither sample varies but the means differ (the
    /// statistic would be ±∞).
    pub fn compare_means(&self, other: &ScaleReport) -> Result<Comparison> {
        self.same_instrument(other)?;
        let se = self.mean_standard_error().hypot(other.mean_standard_error());
        Comparison::z_test(self.mean - other.mean, se, TestMethod::DifferenceOfMeans)
    }

    /// Normal-approximation interval of the mean, `mean ± z · sd / √n_eff`, clamped to the
    /// scale. It uses z, not Student's t, so it is somewhat narrow below about 30 responses,
    /// and has zero width when every response has the same score (including one response).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `level` is strictly between 0 and 1.
    pub fn mean_interval(&self, level: f64) -> Result<Interval> {
        let z = critical_z(level)?;
        Ok(Interval::symmetric(
            self.mean,
            z * self.mean_standard_error(),
            (f64::from(self.scale_min), f64::from(self.scale_max)),
            level,
            IntervalMethod::NormalMean,
        ))
    }
}

/// Defines a mean-and-share survey metric on [`ScaleCounts`]: the struct, its constants and its
/// [`Metric`](crate::Metric) impl. Each invocation makes a distinct type, so scales never mix.
macro_rules! scale_metric {
    (
        $(#[$doc:meta])*
        $name:ident, tag $tag:literal, scale $min:literal ..= $max:literal, levels $levels:literal,
        favourable $fav_min:literal ..= $fav_max:literal
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            counts: $crate::survey::scale::ScaleCounts<$min, $levels>,
        }

        $crate::survey::scale::tagged_serde!($name, $tag);

        impl $name {
            /// The lowest score of the scale.
            pub const MIN: u8 = $min;
            /// The highest score of the scale.
            pub const MAX: u8 = $max;
            /// The favourable range (inclusive) whose share is reported.
            pub const FAVOURABLE: (u8, u8) = ($fav_min, $fav_max);

            /// An empty accumulator (same as `default()`).
            #[must_use]
            pub fn new() -> Self {
                Self::default()
            }

            /// Number of responses recorded.
            #[must_use]
            pub fn responses(&self) -> u64 {
                self.counts.responses()
            }
        }

        impl $crate::Metric for $name {
            type Input = $crate::survey::Response;
            type Output = $crate::survey::ScaleReport;

            /// # Errors
            #[doc = concat!("[`Error::ScoreOutOfRange`](crate::Error::ScoreOutOfRange) unless the score is an integer in ", stringify!($min), "..=", stringify!($max), ";")]
            /// [`Error::Overflow`](crate::Error::Overflow) when a count or weight sum overflows.
            fn record(&mut self, input: Self::Input) -> $crate::Result<()> {
                self.counts.record(input)
            }

            fn merge(&mut self, other: &Self) -> $crate::Result<()> {
                self.counts.merge(&other.counts)
            }

            fn value(&self) -> Option<Self::Output> {
                $crate::survey::ScaleReport::from_counts(&self.counts, Self::FAVOURABLE)
            }
        }
    };
}
pub(crate) use scale_metric;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::Response;

    #[test]
    fn mean_and_sd_by_hand() {
        let mut c = ScaleCounts::<1, 5>::default();
        for s in [1u8, 3, 5, 5] {
            c.record(Response::from(s)).unwrap();
        }
        let r = ScaleReport::from_counts(&c, (4, 5)).unwrap();
        // mean = 14/4 = 3.5; variance = (6.25 + 0.25 + 2.25 + 2.25)/4 = 2.75.
        assert!((r.mean() - 3.5).abs() < 1e-15);
        assert!((r.standard_deviation() - 2.75f64.sqrt()).abs() < 1e-15);
        assert_eq!(r.favourable_share(), 0.5);
        assert!((r.mean_standard_error() - (2.75f64 / 4.0).sqrt()).abs() < 1e-15);
    }

    fn report<const MIN: u8, const LEVELS: usize>(scores: &[u8], favourable: (u8, u8)) -> ScaleReport {
        let mut c = ScaleCounts::<MIN, LEVELS>::default();
        for s in scores {
            c.record(Response::from(*s)).unwrap();
        }
        ScaleReport::from_counts(&c, favourable).unwrap()
    }

    #[test]
    fn two_proportion_test_by_hand() {
        // 8/10 vs 4/10 satisfied: pooled p = 0.6, SE = √(0.24 · 0.2) = 0.219089,
        // z = 0.4/0.219089 = 1.825742, two-sided p = 0.067889.
        let a = report::<1, 5>(&[5, 5, 5, 5, 4, 4, 4, 4, 2, 1], (4, 5));
        let b = report::<1, 5>(&[5, 5, 4, 4, 3, 3, 2, 2, 1, 1], (4, 5));
        let t = a.compare_favourable(&b).unwrap();
        assert!((t.difference() - 0.4).abs() < 1e-12);
        assert!((t.standard_error() - 0.219089).abs() < 1e-6);
        assert!((t.z() - 1.825742).abs() < 1e-6);
        assert!((t.p_value() - 0.067889).abs() < 1e-6);
        assert_eq!(t.method(), TestMethod::TwoProportion);
    }

    #[test]
    fn mean_test_by_hand() {
        // Means 3.5 (sd² 2.75, n 4) and 2 (sd² 1, n 2): SE = √(2.75/4 + 1/2) = 1.089725,
        // z = 1.5/1.089725 = 1.376494, p = 0.168669.
        let a = report::<1, 5>(&[1, 3, 5, 5], (4, 5));
        let b = report::<1, 5>(&[1, 3], (4, 5));
        let t = a.compare_means(&b).unwrap();
        assert!((t.standard_error() - 1.089725).abs() < 1e-6);
        assert!((t.z() - 1.376494).abs() < 1e-6);
        assert!((t.p_value() - 0.168669).abs() < 1e-6);
    }

    #[test]
    fn degenerate_and_mismatched_tests() {
        let all5 = report::<1, 5>(&[5, 5], (4, 5));
        let all4 = report::<1, 5>(&[4], (4, 5));
        let t = all5.compare_favourable(&all4).unwrap();
        assert_eq!((t.z(), t.p_value()), (0.0, 1.0));
        assert!(matches!(all5.compare_means(&all4), Err(Error::InvalidParameter { .. })));
        assert_eq!(all5.compare_means(&all5).unwrap().p_value(), 1.0);
        let effort = report::<1, 5>(&[5, 5], (1, 2));
        assert!(matches!(all5.compare_favourable(&effort), Err(Error::Mismatch { .. })));
        let seven = report::<1, 7>(&[5, 5], (5, 7));
        assert!(matches!(all5.compare_means(&seven), Err(Error::Mismatch { .. })));
    }

    #[test]
    fn one_response_mean_interval_has_zero_width() {
        let mut c = ScaleCounts::<1, 7>::default();
        c.record(Response::from(6)).unwrap();
        let r = ScaleReport::from_counts(&c, (5, 7)).unwrap();
        let m = r.mean_interval(0.95).unwrap();
        assert_eq!((m.lower(), m.estimate(), m.upper()), (6.0, 6.0, 6.0));
        let f = r.favourable_interval(0.95).unwrap();
        assert!(f.lower() > 0.0 && f.upper() == 1.0);
    }
}
