//! The one per-level count structure behind every survey metric, and the survey input type.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::check_range;
use crate::serde_checked::checked_serde;
use crate::{Error, Result};

checked_serde! {
    /// One survey response: a score and an optional positive weight (1 when unweighted).
    ///
    /// The score is checked against the instrument's scale when it is recorded
    /// (for example 0..=10 for [`Nps`](crate::Nps)): it must be a finite integer on the scale,
    /// otherwise recording fails with [`Error::ScoreOutOfRange`] naming it.
    ///
    /// Weights are design or frequency weights: a response of weight 2 counts in every share,
    /// score and mean exactly like the same response recorded twice. Standard errors use Kish's
    /// effective sample size instead of the raw count (see the [module docs](crate::survey)).
    ///
    /// ```
    /// use customer_metrics::Response;
    /// use rust_decimal::Decimal;
    ///
    /// let plain: Response = 9.into(); // weight 1
    /// let weighted = Response::weighted(9.0, Decimal::new(25, 1))?; // weight 2.5
    /// assert_eq!(plain.weight(), Decimal::ONE);
    /// assert_eq!(weighted.weight(), Decimal::new(25, 1));
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Response {
        score: f64,
        weight: Decimal,
    }
    check = |r| Response::weighted(r.score, r.weight)
}

impl Response {
    /// An unweighted response (weight 1). The score is checked when recorded.
    #[must_use]
    pub fn new(score: f64) -> Self {
        Response { score, weight: Decimal::ONE }
    }

    /// A weighted response. The weight is stored normalised (`2.50` becomes `2.5`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `weight` is not positive, or has more than 14
    /// significant decimal places (its square would not be exact in a `Decimal`).
    pub fn weighted(score: f64, weight: Decimal) -> Result<Self> {
        let weight = weight.normalize();
        if weight <= Decimal::ZERO || weight.scale() > 14 {
            return Err(Error::param("weight", weight, "a positive decimal with at most 14 decimal places"));
        }
        Ok(Response { score, weight })
    }

    /// The score as given.
    #[must_use]
    pub fn score(&self) -> f64 {
        self.score
    }

    /// The weight (1 for an unweighted response).
    #[must_use]
    pub fn weight(&self) -> Decimal {
        self.weight
    }
}

impl From<u8> for Response {
    fn from(score: u8) -> Self {
        Response::new(f64::from(score))
    }
}

impl From<f64> for Response {
    fn from(score: f64) -> Self {
        Response::new(score)
    }
}

/// `a + b`, exactly: an error when the sum overflows or would be rounded
/// (`rust_decimal` silently drops decimal places when the mantissa overflows).
pub(crate) fn exact_add(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    let sum = a.checked_add(b).ok_or(Error::overflow(what))?;
    if sum.scale() < a.scale().max(b.scale()) { Err(Error::overflow(what)) } else { Ok(sum) }
}

/// `w²`, exactly (see [`exact_add`]).
fn exact_square(w: Decimal, what: &'static str) -> Result<Decimal> {
    let square = w.checked_mul(w).ok_or(Error::overflow(what))?;
    if square.scale() < 2 * w.scale() { Err(Error::overflow(what)) } else { Ok(square) }
}

fn to_f64(x: Decimal) -> f64 {
    f64::try_from(x).unwrap_or(f64::NAN)
}

/// Per-level response counts and weight sums of an integer scale `MIN..=MIN + LEVELS - 1`.
///
/// This one structure is the state of [`Nps`](crate::Nps) (`<0, 11>`),
/// [`CesAgreement`](crate::CesAgreement) (`<1, 7>`), [`CesEffort`](crate::CesEffort) and
/// [`Csat`](crate::Csat) (`<1, 5>`). It is exact: integer counts, and `Decimal` sums whose every
/// addition is checked for overflow and rounding, so merges are associative and commutative.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScaleCounts<const MIN: u8, const LEVELS: usize> {
    counts: [u64; LEVELS],
    weights: [Decimal; LEVELS],
    responses: u64,
    total_weight: Decimal,
    sum_squared_weights: Decimal,
}

/// The serde form of a survey metric: the instrument's name and its [`ScaleCounts`], checked
/// on the way in. The name keeps instruments on the same scale apart (a CSAT state is not a
/// CES 1..=5 state).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScaleCountsRaw {
    instrument: String,
    min: u8,
    max: u8,
    counts: Vec<u64>,
    weights: Vec<Decimal>,
    responses: u64,
    total_weight: Decimal,
    sum_squared_weights: Decimal,
}

impl<const MIN: u8, const LEVELS: usize> Default for ScaleCounts<MIN, LEVELS> {
    fn default() -> Self {
        ScaleCounts {
            counts: [0; LEVELS],
            weights: [Decimal::ZERO; LEVELS],
            responses: 0,
            total_weight: Decimal::ZERO,
            sum_squared_weights: Decimal::ZERO,
        }
    }
}

impl<const MIN: u8, const LEVELS: usize> ScaleCounts<MIN, LEVELS> {
    /// The largest score of the scale.
    pub(crate) const MAX: u8 = MIN + LEVELS as u8 - 1;

    /// The index of a score, or `ScoreOutOfRange`.
    fn index(score: f64) -> Result<usize> {
        let out_of_range = Error::ScoreOutOfRange { score, min: MIN, max: Self::MAX };
        if !score.is_finite()
            || score.fract() != 0.0
            || score < f64::from(MIN)
            || score > f64::from(Self::MAX)
        {
            return Err(out_of_range);
        }
        // In range and integral, so the cast is exact.
        Ok((score - f64::from(MIN)) as usize)
    }

    /// Records one response; on error `self` is unchanged.
    pub(crate) fn record(&mut self, response: Response) -> Result<()> {
        let index = Self::index(response.score)?;
        let w = response.weight;
        let (Some(count), Some(weight)) = (self.counts.get(index), self.weights.get(index)) else {
            return Err(Error::ScoreOutOfRange { score: response.score, min: MIN, max: Self::MAX });
        };
        let count = count.checked_add(1).ok_or(Error::overflow("survey response count"))?;
        let weight = exact_add(*weight, w, "survey weight sum")?;
        let responses = self.responses.checked_add(1).ok_or(Error::overflow("survey response count"))?;
        let total_weight = exact_add(self.total_weight, w, "survey weight sum")?;
        let squares = exact_add(
            self.sum_squared_weights,
            exact_square(w, "squared survey weight")?,
            "sum of squared weights",
        )?;
        // Every fallible step is done: commit.
        if let (Some(c), Some(s)) = (self.counts.get_mut(index), self.weights.get_mut(index)) {
            *c = count;
            *s = weight;
        }
        self.responses = responses;
        self.total_weight = total_weight;
        self.sum_squared_weights = squares;
        Ok(())
    }

    /// Adds `other` into `self`; on error `self` is unchanged.
    pub(crate) fn merge(&mut self, other: &Self) -> Result<()> {
        let mut out = self.clone();
        for ((c, s), (oc, os)) in
            out.counts.iter_mut().zip(out.weights.iter_mut()).zip(other.counts.iter().zip(&other.weights))
        {
            *c = c.checked_add(*oc).ok_or(Error::overflow("survey response count"))?;
            *s = exact_add(*s, *os, "survey weight sum")?;
        }
        out.responses =
            out.responses.checked_add(other.responses).ok_or(Error::overflow("survey response count"))?;
        out.total_weight = exact_add(out.total_weight, other.total_weight, "survey weight sum")?;
        out.sum_squared_weights =
            exact_add(out.sum_squared_weights, other.sum_squared_weights, "sum of squared weights")?;
        *self = out;
        Ok(())
    }

    /// Number of responses.
    pub(crate) fn responses(&self) -> u64 {
        self.responses
    }

    /// Sum of the weights (the number of responses when unweighted).
    pub(crate) fn total_weight(&self) -> Decimal {
        self.total_weight
    }

    /// Response counts per level, lowest score first.
    pub(crate) fn counts(&self) -> &[u64; LEVELS] {
        &self.counts
    }

    /// Number of responses with a score in `lo..=hi`.
    pub(crate) fn count_in(&self, lo: u8, hi: u8) -> u64 {
        self.levels().filter(|(score, _, _)| (lo..=hi).contains(score)).map(|(_, c, _)| c).sum()
    }

    /// Weight share of the scores in `lo..=hi`, in [0, 1] (NaN when empty).
    ///
    /// The weights in the range are added exactly first and divided once, so a range holding
    /// every response has share exactly 1.
    pub(crate) fn share_in(&self, lo: u8, hi: u8) -> f64 {
        let inside = (MIN..=Self::MAX)
            .zip(&self.weights)
            .filter(|(score, _)| (lo..=hi).contains(score))
            .try_fold(Decimal::ZERO, |acc, (_, w)| exact_add(acc, *w, "survey weight sum").ok());
        // A partial sum of weights whose total was summed exactly cannot overflow; fall back to
        // f64 all the same rather than assume it.
        let inside = inside.map_or_else(
            || self.levels().filter(|(score, _, _)| (lo..=hi).contains(score)).map(|(_, _, w)| w).sum(),
            to_f64,
        );
        (inside / to_f64(self.total_weight)).clamp(0.0, 1.0)
    }

    /// Weight shares of every level, lowest score first.
    pub(crate) fn distribution(&self) -> Vec<f64> {
        let total = to_f64(self.total_weight);
        self.weights.iter().map(|w| (to_f64(*w) / total).clamp(0.0, 1.0)).collect()
    }

    /// `(score, count, weight as f64)` for every level.
    fn levels(&self) -> impl Iterator<Item = (u8, u64, f64)> + '_ {
        (MIN..=Self::MAX).zip(&self.counts).zip(&self.weights).map(|((score, c), w)| (score, *c, to_f64(*w)))
    }

    /// Kish's effective sample size `(Σw)² / Σw²`; exactly the count when unweighted.
    pub(crate) fn effective_responses(&self) -> f64 {
        let n = Decimal::from(self.responses);
        if self.total_weight == n && self.sum_squared_weights == n {
            return self.responses as f64;
        }
        let total = to_f64(self.total_weight);
        (total * total / to_f64(self.sum_squared_weights)).min(self.responses as f64)
    }
}

impl<const MIN: u8, const LEVELS: usize> ScaleCounts<MIN, LEVELS> {
    /// The serde form, tagged with the instrument's name.
    pub(crate) fn to_raw(&self, instrument: &str) -> ScaleCountsRaw {
        ScaleCountsRaw {
            instrument: instrument.to_string(),
            min: MIN,
            max: ScaleCounts::<MIN, LEVELS>::MAX,
            counts: self.counts.to_vec(),
            weights: self.weights.to_vec(),
            responses: self.responses,
            total_weight: self.total_weight,
            sum_squared_weights: self.sum_squared_weights,
        }
    }

    /// Checks the serde form of an `instrument` state.
    pub(crate) fn from_raw(raw: ScaleCountsRaw, instrument: &str) -> Result<Self> {
        if raw.instrument != instrument {
            return Err(inconsistent(&format!("a {:?} state is not a {instrument:?} state", raw.instrument)));
        }
        let max = ScaleCounts::<MIN, LEVELS>::MAX;
        if raw.min != MIN || raw.max != max {
            return Err(inconsistent(&format!("scale {}..={} is not {MIN}..={max}", raw.min, raw.max)));
        }
        let counts: [u64; LEVELS] =
            raw.counts.try_into().map_err(|_| inconsistent(&format!("counts must have {LEVELS} levels")))?;
        let weights: [Decimal; LEVELS] = raw
            .weights
            .try_into()
            .map_err(|_| inconsistent(&format!("weights must have {LEVELS} levels")))?;
        let mut responses = 0u64;
        let mut total_weight = Decimal::ZERO;
        for (c, w) in counts.iter().zip(&weights) {
            if *w < Decimal::ZERO || (*c == 0) != w.is_zero() {
                return Err(inconsistent("a level's weight must be positive exactly when its count is"));
            }
            responses = responses.checked_add(*c).ok_or(Error::overflow("survey response count"))?;
            total_weight = exact_add(total_weight, *w, "survey weight sum")?;
        }
        if responses != raw.responses || total_weight != raw.total_weight {
            return Err(inconsistent("the level counts or weights do not add up to the totals"));
        }
        let squares = raw.sum_squared_weights;
        if squares < Decimal::ZERO || (responses == 0) != squares.is_zero() {
            return Err(inconsistent(
                "the sum of squared weights must be positive exactly when there are responses",
            ));
        }
        let out = ScaleCounts { counts, weights, responses, total_weight, sum_squared_weights: squares };
        if responses > 0 {
            // Cauchy-Schwarz: 1 <= (Σw)²/Σw² <= n, with a little slack for the f64 evaluation.
            let (t, q) = (to_f64(total_weight), to_f64(squares));
            check_range(
                "effective sample size (Σw)²/Σw²",
                t * t / q,
                1.0 - 1e-9,
                responses as f64 * (1.0 + 1e-9),
                "between 1 and the number of responses (the sum of squared weights is impossible)",
            )?;
        }
        Ok(out)
    }
}

/// Implements serde for a survey metric `$name { counts }` through [`ScaleCountsRaw`], so that
/// deserialising checks the instrument's name and the counts.
macro_rules! tagged_serde {
    ($name:ident, $tag:literal) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&self.counts.to_raw($tag), serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let raw: $crate::survey::scale::ScaleCountsRaw =
                    serde::Deserialize::deserialize(deserializer)?;
                let counts = $crate::survey::scale::ScaleCounts::from_raw(raw, $tag)
                    .map_err(serde::de::Error::custom)?;
                Ok($name { counts })
            }
        }
    };
}
pub(crate) use tagged_serde;

fn inconsistent(what: &str) -> Error {
    Error::Mismatch { what: format!("survey state: {what}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Five = ScaleCounts<1, 5>;

    #[test]
    fn rejects_bad_scores_and_names_them() {
        let mut s = Five::default();
        for bad in [0.0, 6.0, 2.5, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300] {
            let err = s.record(Response::new(bad)).unwrap_err();
            match err {
                Error::ScoreOutOfRange { score, min: 1, max: 5 } => {
                    assert!(score.to_bits() == bad.to_bits(), "{score} vs {bad}")
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(s, Five::default());
    }

    #[test]
    fn counts_weights_and_effective_size() {
        let mut s = Five::default();
        s.record(Response::new(5.0)).unwrap();
        s.record(Response::weighted(4.0, Decimal::new(3, 0)).unwrap()).unwrap();
        assert_eq!(s.counts(), &[0, 0, 0, 1, 1]);
        assert_eq!(s.total_weight(), Decimal::new(4, 0));
        // Kish: (1 + 3)² / (1 + 9) = 1.6.
        assert!((s.effective_responses() - 1.6).abs() < 1e-15);
        assert!((s.share_in(4, 4) - 0.75).abs() < 1e-15);
        assert_eq!(s.count_in(4, 5), 2);
    }

    #[test]
    fn rounding_is_an_overflow_not_silent() {
        let mut s = Five::default();
        s.record(Response::weighted(1.0, Decimal::MAX).unwrap()).unwrap_err();
        assert_eq!(s, Five::default());
        assert!(exact_add(Decimal::MAX, Decimal::new(1, 4), "x").is_err());
        assert!(Response::weighted(1.0, Decimal::new(1, 20)).is_err());
        assert!(Response::weighted(1.0, Decimal::ZERO).is_err());
        assert!(Response::weighted(1.0, Decimal::NEGATIVE_ONE).is_err());
    }

    #[test]
    fn overflow_of_squared_weights_is_an_error_and_a_no_op() {
        // 2.8e14² = 7.84e28 fits under Decimal::MAX ≈ 7.92e28; two of them do not.
        let big = Response::weighted(3.0, Decimal::new(280_000_000_000_000, 0)).unwrap();
        let mut a = Five::default();
        a.record(big).unwrap();
        let before = a.clone();
        assert!(matches!(a.record(big), Err(Error::Overflow { what: "sum of squared weights" })));
        assert_eq!(a, before);
        let b = before.clone();
        assert!(matches!(a.merge(&b), Err(Error::Overflow { .. })));
        assert_eq!(a, before);
    }

    #[test]
    fn raw_form_round_trips_and_checks_the_instrument() {
        let mut a = Five::default();
        a.record(Response::weighted(2.0, Decimal::new(15, 1)).unwrap()).unwrap();
        assert_eq!(Five::from_raw(a.to_raw("csat"), "csat").unwrap(), a);
        assert!(Five::from_raw(a.to_raw("csat"), "ces_effort").is_err());
    }
}
