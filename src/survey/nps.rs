//! Net Promoter Score: the accumulator, its report, intervals and the two-sample test.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::interval::{Comparison, Interval, IntervalMethod, TestMethod, critical_z};
use super::scale::{Response, ScaleCounts, tagged_serde};
use crate::error::check_range;
use crate::serde_checked::checked_serde;
use crate::{Error, Metric, Result};

/// Tolerance of the consistency checks run when a report is deserialised: derived fields
/// (score, standard error, z, p-value) must match their recomputation from the primary fields
/// up to float round-off of a JSON round trip.
const CONSISTENCY_TOLERANCE: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= CONSISTENCY_TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

/// A mergeable Net Promoter Score accumulator over 0..=10 responses, optionally weighted.
///
/// Promoters score 9-10, passives 7-8, detractors 0-6. See the [module docs](crate::survey)
/// for the definition, the variance and the interval methods.
///
/// ```
/// use customer_metrics::{Metric, Nps, NpsMethod};
///
/// let mut nps = Nps::default();
/// // The REFERENCES.md example: 3 promoters, 2 passives, 1 detractor.
/// nps.record_all([10, 9, 9, 8, 7, 3].map(Into::into))?;
/// let report = nps.value().expect("six responses");
/// assert!((report.score() - 100.0 / 3.0).abs() < 1e-12);
/// // SE = 100·√(5/9 / 6), the trinomial variance p + d − (p − d)² = 5/9 over n = 6.
/// assert!((report.standard_error() - 100.0 * (5.0f64 / 54.0).sqrt()).abs() < 1e-12);
/// let ci = report.interval(0.95, NpsMethod::AdjustedWald)?;
/// assert!(ci.lower() < ci.estimate() && ci.estimate() < ci.upper());
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Nps {
    counts: ScaleCounts<0, 11>,
}

tagged_serde!(Nps, "nps");

impl Nps {
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

    /// Response counts per score 0..=10.
    #[must_use]
    pub fn counts(&self) -> &[u64; 11] {
        self.counts.counts()
    }
}

impl Metric for Nps {
    type Input = Response;
    type Output = NpsReport;

    /// # Errors
    /// [`Error::ScoreOutOfRange`] unless the score is an integer in 0..=10;
    /// [`Error::Overflow`] when a count or weight sum overflows.
    fn record(&mut self, input: Response) -> Result<()> {
        self.counts.record(input)
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        self.counts.merge(&other.counts)
    }

    fn value(&self) -> Option<NpsReport> {
        let c = &self.counts;
        if c.responses() == 0 {
            return None;
        }
        Some(NpsReport::new(
            c.responses(),
            [c.count_in(9, 10), c.count_in(7, 8), c.count_in(0, 6)],
            c.total_weight(),
            c.effective_responses(),
            [c.share_in(9, 10), c.share_in(7, 8), c.share_in(0, 6)],
        ))
    }
}

/// The interval and test method of an NPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum NpsMethod {
    /// Wald: NPS ± z·SE around the observed score. Degenerates to zero width when the observed
    /// variance is zero (one response, or every response in the same group).
    Wald,
    /// Adjusted-Wald (Sauro & Lewis; best performer in Rocks 2016): n' = n + 3,
    /// p' = (n_P + 0.75)/n', d' = (n_D + 0.75)/n', then Wald around NPS' = p' − d'.
    /// Never degenerate; the recommended default.
    #[default]
    AdjustedWald,
}

checked_serde! {
    /// The Net Promoter Score of a non-empty set of responses.
    ///
    /// Shares are weight shares (count shares when unweighted) in [0, 1]; `score` and
    /// `standard_error` are in NPS points (`100 · (p − d)` in [-100, 100]).
    #[derive(Debug, Clone, PartialEq)]
    pub struct NpsReport {
        responses: u64,
        promoters: u64,
        passives: u64,
        detractors: u64,
        total_weight: Decimal,
        effective_responses: f64,
        promoter_share: f64,
        passive_share: f64,
        detractor_share: f64,
        score: f64,
        standard_error: f64,
    }
    check = NpsReport::checked
}

impl NpsReport {
    /// Checks a deserialised report: counts and shares consistent, derived fields (score,
    /// standard error) equal to their recomputation, which is returned.
    fn checked(self) -> Result<Self> {
        let bad = |what: &str| Error::Mismatch { what: format!("NPS report: {what}") };
        let counted = self.promoters.checked_add(self.passives).and_then(|x| x.checked_add(self.detractors));
        if self.responses == 0 || counted != Some(self.responses) {
            return Err(bad("group counts must be positive in total and add up to the responses"));
        }
        if self.total_weight <= Decimal::ZERO
            || !(self.effective_responses >= 1.0 - CONSISTENCY_TOLERANCE
                && self.effective_responses <= self.responses as f64 * (1.0 + CONSISTENCY_TOLERANCE))
        {
            return Err(bad("the weight must be positive and the effective size in [1, responses]"));
        }
        let share = |name, s| check_range(name, s, 0.0, 1.0, "a share in [0, 1]");
        let shares = [
            share("promoter_share", self.promoter_share)?,
            share("passive_share", self.passive_share)?,
            share("detractor_share", self.detractor_share)?,
        ];
        if !close(shares.iter().sum(), 1.0) {
            return Err(bad("shares must be in [0, 1] and add up to 1"));
        }
        let out = NpsReport::new(
            self.responses,
            [self.promoters, self.passives, self.detractors],
            self.total_weight,
            self.effective_responses,
            shares,
        );
        if !close(out.score, self.score) || !close(out.standard_error, self.standard_error) {
            return Err(bad("score or standard error disagree with the shares"));
        }
        Ok(out)
    }
}

/// `(NPS, SE)` as fractions (not points) of the promoter, passive and detractor shares `p`,
/// `m`, `d` on `n` (effective) responses.
///
/// The variance p + d − (p − d)² is evaluated as m(p + d) + 4pd (equal when p + m + d = 1):
/// a sum of non-negative products with no cancellation, so it stays accurate when nearly every
/// response is in one group.
fn trinomial(p: f64, m: f64, d: f64, n: f64) -> (f64, f64) {
    (p - d, ((m * (p + d) + 4.0 * p * d).max(0.0) / n).sqrt())
}

impl NpsReport {
    fn new(responses: u64, groups: [u64; 3], total_weight: Decimal, n_eff: f64, shares: [f64; 3]) -> Self {
        let [promoters, passives, detractors] = groups;
        let [p, passive, d] = shares;
        let (nps, se) = trinomial(p, passive, d, n_eff);
        NpsReport {
            responses,
            promoters,
            passives,
            detractors,
            total_weight,
            effective_responses: n_eff,
            promoter_share: p,
            passive_share: passive,
            detractor_share: d,
            score: (100.0 * nps).clamp(-100.0, 100.0),
            standard_error: 100.0 * se,
        }
    }

    /// Number of responses.
    #[must_use]
    pub fn responses(&self) -> u64 {
        self.responses
    }

    /// Number of promoters (9-10).
    #[must_use]
    pub fn promoters(&self) -> u64 {
        self.promoters
    }

    /// Number of passives (7-8).
    #[must_use]
    pub fn passives(&self) -> u64 {
        self.passives
    }

    /// Number of detractors (0-6).
    #[must_use]
    pub fn detractors(&self) -> u64 {
        self.detractors
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

    /// Share of promoters `p`, in [0, 1].
    #[must_use]
    pub fn promoter_share(&self) -> f64 {
        self.promoter_share
    }

    /// Share of passives, in [0, 1].
    #[must_use]
    pub fn passive_share(&self) -> f64 {
        self.passive_share
    }

    /// Share of detractors `d`, in [0, 1].
    #[must_use]
    pub fn detractor_share(&self) -> f64 {
        self.detractor_share
    }

    /// The Net Promoter Score `100 · (p − d)`, in [-100, 100].
    #[must_use]
    pub fn score(&self) -> f64 {
        self.score
    }

    /// Standard error of the score in points: `100 · √((p + d − (p − d)²) / n_eff)`.
    /// Zero when the observed variance is zero (one response, or all in one group).
    #[must_use]
    pub fn standard_error(&self) -> f64 {
        self.standard_error
    }

    /// `(estimate, standard error)` in points under `method`.
    fn estimate(&self, method: NpsMethod) -> (f64, f64) {
        match method {
            NpsMethod::Wald => (self.score, self.standard_error),
            NpsMethod::AdjustedWald => {
                let n = self.effective_responses;
                let adjusted = n + 3.0;
                let p = (self.promoter_share * n + 0.75) / adjusted;
                let m = (self.passive_share * n + 1.5) / adjusted;
                let d = (self.detractor_share * n + 0.75) / adjusted;
                let (nps, se) = trinomial(p, m, d, adjusted);
                (100.0 * nps, 100.0 * se)
            }
        }
    }

    /// A confidence interval for the score, in points, clamped to [-100, 100].
    ///
    /// [`NpsMethod::Wald`] is centred on the observed score and has zero width when the standard
    /// error is zero (for example one response, or every response a promoter).
    /// [`NpsMethod::AdjustedWald`] is centred on the adjusted score NPS' (which lies between the
    /// observed score and 0) and never has zero width. With weights, `n` is Kish's effective size
    /// and `n_P = p·n_eff`, `n_D = d·n_eff`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `level` is strictly between 0 and 1.
    pub fn interval(&self, level: f64, method: NpsMethod) -> Result<Interval> {
        let z = critical_z(level)?;
        let (estimate, se) = self.estimate(method);
        let interval_method = match method {
            NpsMethod::Wald => IntervalMethod::Wald,
            NpsMethod::AdjustedWald => IntervalMethod::AdjustedWald,
        };
        Ok(Interval::symmetric(estimate, z * se, (-100.0, 100.0), level, interval_method))
    }

    /// Two-sample z-test of the difference `self − other` of two independent NPS:
    /// `z = (NPS₁ − NPS₂) / √(SE₁² + SE₂²)`, two-sided `p = 2(1 − Φ(|z|))`.
    /// With [`NpsMethod::AdjustedWald`] both estimates and standard errors are the adjusted ones,
    /// so the test is always defined. (Paired or panel samples need a covariance term: not
    /// covered.)
    ///
    /// With [`NpsMethod::Wald`] both standard errors are zero when each sample has all its
    /// responses in one group: equal scores then give `z = 0`, `p = 1`, and different scores
    /// are an error.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (naming the standard error) when both standard errors are
    /// zero and the scores differ — the Wald statistic would be ±∞; use
    /// [`NpsMethod::AdjustedWald`].
    pub fn compare(&self, other: &NpsReport, method: NpsMethod) -> Result<Comparison> {
        let (a, se_a) = self.estimate(method);
        let (b, se_b) = other.estimate(method);
        let test = match method {
            NpsMethod::Wald => TestMethod::NpsWald,
            NpsMethod::AdjustedWald => TestMethod::NpsAdjustedWald,
        };
        Comparison::z_test(a - b, se_a.hypot(se_b), test)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nps(scores: &[u8]) -> NpsReport {
        let mut m = Nps::default();
        m.record_all(scores.iter().map(|s| Response::from(*s))).unwrap();
        m.value().unwrap()
    }

    #[test]
    fn groups_boundaries() {
        let r = nps(&[0, 6, 7, 8, 9, 10]);
        assert_eq!((r.promoters(), r.passives(), r.detractors()), (2, 2, 2));
        assert_eq!(r.score(), 0.0);
    }

    #[test]
    fn all_promoters_wald_is_degenerate_adjusted_is_not() {
        let r = nps(&[10]);
        assert_eq!(r.score(), 100.0);
        assert_eq!(r.standard_error(), 0.0);
        let w = r.interval(0.95, NpsMethod::Wald).unwrap();
        assert_eq!((w.lower(), w.upper()), (100.0, 100.0));
        // By hand: n' = 4, p' = 1.75/4, d' = 0.75/4, NPS' = 25, SE' = 100·√((0.625 − 0.0625)/4)
        // = 37.5, so 25 ± 1.959964·37.5 = [-48.4986, 98.4986].
        let a = r.interval(0.95, NpsMethod::AdjustedWald).unwrap();
        assert!((a.estimate() - 25.0).abs() < 1e-12);
        assert!((a.lower() + 48.4986).abs() < 1e-4 && (a.upper() - 98.4986).abs() < 1e-4, "{a:?}");
    }

    #[test]
    fn wald_test_of_two_zero_variance_samples_is_a_typed_error() {
        let (a, b) = (nps(&[10, 9]), nps(&[0, 3]));
        assert!(matches!(
            a.compare(&b, NpsMethod::Wald),
            Err(Error::InvalidParameter { name: "standard error of the difference", .. })
        ));
        let agree = a.compare(&nps(&[9]), NpsMethod::Wald).unwrap();
        assert_eq!((agree.difference(), agree.z(), agree.p_value()), (0.0, 0.0, 1.0));
        let t = a.compare(&b, NpsMethod::AdjustedWald).unwrap();
        assert!(t.z() > 0.0 && (0.0..=1.0).contains(&t.p_value()));
        let same = a.compare(&a, NpsMethod::AdjustedWald).unwrap();
        assert_eq!((same.z(), same.p_value()), (0.0, 1.0));
    }
}
