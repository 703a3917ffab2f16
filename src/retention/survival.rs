//! Kaplan-Meier survival curves for right-censored tenures, computed as lifelines does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{check_level, check_range};
use crate::math::special::z_for_level;
use crate::serde_checked::checked_serde;
use crate::{Error, Metric, Result};

checked_serde! {
    /// One customer's tenure: how long they were observed and whether they churned at its end.
    ///
    /// `duration` is a finite number `>= 0` in any time unit (days, months…); `observed = true`
    /// means the churn event happened at `duration`, `false` means the customer was still active
    /// when observation stopped (right-censored). Deserialising runs the same checks as
    /// [`Tenure::new`].
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Tenure {
        duration: f64,
        observed: bool,
    }
    check = |t| Tenure::new(t.duration, t.observed)
}

impl Tenure {
    /// A tenure of `duration` time units; `observed` says whether it ended in churn.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `duration` when it is NaN, infinite or negative.
    pub fn new(duration: f64, observed: bool) -> Result<Self> {
        if !(duration.is_finite() && duration >= 0.0) {
            return Err(Error::param("duration", duration, "a finite number >= 0"));
        }
        // `-0.0 + 0.0` is `+0.0`: one key per time in the life table.
        Ok(Tenure { duration: duration + 0.0, observed })
    }

    /// A tenure that ended in churn at `duration`.
    ///
    /// # Errors
    /// As [`Tenure::new`].
    pub fn churned(duration: f64) -> Result<Self> {
        Tenure::new(duration, true)
    }

    /// A tenure still running (right-censored) at `duration`.
    ///
    /// # Errors
    /// As [`Tenure::new`].
    pub fn censored(duration: f64) -> Result<Self> {
        Tenure::new(duration, false)
    }

    /// The observed duration.
    #[must_use]
    pub fn duration(&self) -> f64 {
        self.duration
    }

    /// Whether the churn event was observed at [`Tenure::duration`].
    #[must_use]
    pub fn observed(&self) -> bool {
        self.observed
    }
}

/// A mergeable life table: the number of churn events and censorings at each distinct time.
///
/// This is the exact, integer state behind a Kaplan-Meier curve, so tenures can be recorded
/// on shards in any order and merged ([`Metric`]); [`Metric::value`] is the fitted
/// [`KaplanMeier`] curve (`None` while empty). Serialised as a list of rows
/// `{time, events, censored}` in increasing time, and validated when deserialised.
///
/// ```
/// use customer_metrics::{LifeTable, Metric, Tenure};
///
/// let mut east = LifeTable::default();
/// east.record(Tenure::churned(2.0)?)?;
/// east.record(Tenure::censored(3.0)?)?;
/// let mut west = LifeTable::default();
/// west.record(Tenure::churned(3.0)?)?;
/// west.record(Tenure::churned(5.0)?)?;
/// east.merge(&west)?;
/// let km = east.value().expect("four tenures");
/// // S(2) = 3/4; at 3 one of three at risk churns: S(3) = 3/4 · 2/3 = 1/2.
/// assert!((km.survival_at(3.0)? - 0.5).abs() < 1e-12);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<LifeTableRow>", into = "Vec<LifeTableRow>")]
pub struct LifeTable {
    /// Key: `f64::to_bits` of a finite non-negative time (order-preserving for such values).
    rows: BTreeMap<u64, (u64, u64)>,
}

checked_serde! {
    /// One row of a [`LifeTable`]: churn events and censorings at one time. Deserialising checks
    /// that the time is finite and `>= 0`.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct LifeTableRow {
        /// The time (finite, `>= 0`).
        pub time: f64,
        /// Tenures ending in churn at `time`.
        pub events: u64,
        /// Tenures censored at `time`.
        pub censored: u64,
    }
    check = LifeTableRow::checked
}

impl TryFrom<Vec<LifeTableRow>> for LifeTable {
    type Error = Error;
    fn try_from(raw: Vec<LifeTableRow>) -> Result<Self> {
        let mut rows = BTreeMap::new();
        let mut previous = f64::NEG_INFINITY;
        for row in raw {
            let time = next_time(row.time, previous)?;
            if row.events == 0 && row.censored == 0 {
                return Err(Error::Mismatch {
                    what: format!("life table row at time {time} has no tenures"),
                });
            }
            previous = time;
            rows.insert(time.to_bits(), (row.events, row.censored));
        }
        Ok(LifeTable { rows })
    }
}

impl From<LifeTable> for Vec<LifeTableRow> {
    fn from(table: LifeTable) -> Self {
        table.rows().collect()
    }
}

impl LifeTable {
    /// The rows in increasing time.
    pub fn rows(&self) -> impl Iterator<Item = LifeTableRow> + '_ {
        self.rows.iter().map(|(&bits, &(events, censored))| LifeTableRow {
            time: f64::from_bits(bits),
            events,
            censored,
        })
    }

    /// The number of tenures recorded.
    ///
    /// # Errors
    /// [`Error::Overflow`] if the total does not fit in `u64`.
    pub fn subjects(&self) -> Result<u64> {
        self.rows.values().try_fold(0u64, |acc, &(e, c)| {
            acc.checked_add(e).and_then(|a| a.checked_add(c)).ok_or(Error::overflow("life table subjects"))
        })
    }

    /// The Kaplan-Meier curve of the recorded tenures.
    ///
    /// # Errors
    /// [`Error::NotEnoughData`] when nothing was recorded.
    pub fn kaplan_meier(&self) -> Result<KaplanMeier> {
        // u64 → f64 is exact up to 2^53 tenures at one time.
        KaplanMeier::from_rows(self.rows().map(|r| (r.time, r.events as f64, r.censored as f64)).collect())
    }
}

impl Metric for LifeTable {
    type Input = Tenure;
    type Output = KaplanMeier;

    fn record(&mut self, tenure: Tenure) -> Result<()> {
        let (events, censored) = self.rows.get(&tenure.duration.to_bits()).copied().unwrap_or((0, 0));
        let updated = if tenure.observed {
            (events.checked_add(1).ok_or(Error::overflow("life table events"))?, censored)
        } else {
            (events, censored.checked_add(1).ok_or(Error::overflow("life table censorings"))?)
        };
        self.rows.insert(tenure.duration.to_bits(), updated);
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        let mut merged = self.rows.clone();
        for (&time, &(events, censored)) in &other.rows {
            let (e, c) = merged.get(&time).copied().unwrap_or((0, 0));
            let row = (
                e.checked_add(events).ok_or(Error::overflow("life table events"))?,
                c.checked_add(censored).ok_or(Error::overflow("life table censorings"))?,
            );
            merged.insert(time, row);
        }
        self.rows = merged;
        Ok(())
    }

    fn value(&self) -> Option<KaplanMeier> {
        self.kaplan_meier().ok()
    }
}

checked_serde! {
    /// One step of a Kaplan-Meier curve, at a distinct time of the data (or at time 0).
    ///
    /// Counts are `f64` because tenures may carry weights; unweighted they are whole numbers.
    /// Deserialising checks that the time is finite and `>= 0`, counts and `greenwood_sum` are
    /// finite and `>= 0`, and `survival` is in [0, 1] (a [`KaplanMeier`] then checks that the
    /// points agree with each other).
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct SurvivalPoint {
        /// The time `t_i`.
        pub time: f64,
        /// `n_i`: tenures at risk just before `t_i` (duration `>= t_i`).
        pub at_risk: f64,
        /// `d_i`: churn events at `t_i`.
        pub events: f64,
        /// Tenures censored at `t_i`.
        pub censored: f64,
        /// `S(t_i) = Π_{t_j <= t_i} (1 − d_j/n_j)`.
        pub survival: f64,
        /// Greenwood's sum `Σ_{t_j <= t_i} d_j / (n_j (n_j − d_j))`, the variance of `ln S(t_i)`
        /// (terms with `n_j = d_j` count 0, as in lifelines).
        pub greenwood_sum: f64,
    }
    check = SurvivalPoint::checked
}

impl LifeTableRow {
    /// Checks a deserialised row: the time is finite and `>= 0` (stored as `+0.0` for `-0.0`).
    fn checked(self) -> Result<Self> {
        let time = Tenure::new(self.time, true)?.duration;
        Ok(LifeTableRow { time, ..self })
    }
}

impl SurvivalPoint {
    /// Checks a deserialised point (see the type docs).
    fn checked(self) -> Result<Self> {
        let count = |name, value| check_range(name, value, 0.0, f64::MAX, "a finite number >= 0");
        Ok(SurvivalPoint {
            time: Tenure::new(self.time, true)?.duration,
            at_risk: count("at_risk", self.at_risk)?,
            events: count("events", self.events)?,
            censored: count("censored", self.censored)?,
            survival: check_range("survival", self.survival, 0.0, 1.0, "a probability in [0, 1]")?,
            greenwood_sum: count("greenwood_sum", self.greenwood_sum)?,
        })
    }
}

impl SurvivalPoint {
    /// Greenwood's variance of `S(t_i)`: `S(t_i)² · greenwood_sum`.
    #[must_use]
    pub fn variance(&self) -> f64 {
        self.survival * self.survival * self.greenwood_sum
    }
}

checked_serde! {
    /// A pointwise confidence interval for `S(t)` (exponential Greenwood, "log-log").
    /// Deserialising checks `0 <= lower <= upper <= 1`.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct SurvivalInterval {
        /// Lower bound, in `[0, 1]`.
        pub lower: f64,
        /// Upper bound, in `[0, 1]`.
        pub upper: f64,
    }
    check = SurvivalInterval::checked
}

checked_serde! {
    /// The median survival time with its confidence interval, lifelines' conventions.
    ///
    /// `None` means "not reached" (lifelines reports `inf`): the curve (or the confidence band)
    /// never falls to 0.5 within the data. Deserialising checks that the level is in (0, 1), the
    /// times are finite and `>= 0`, and `lower <= median <= upper` (with `None` as +∞).
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct MedianSurvival {
        /// Confidence level of the interval.
        pub level: f64,
        /// First time with `S(t) <= 0.5`.
        pub median: Option<f64>,
        /// First time the lower confidence band falls to 0.5 or below.
        pub lower: Option<f64>,
        /// First time the upper confidence band falls to 0.5 or below.
        pub upper: Option<f64>,
    }
    check = MedianSurvival::checked
}

impl SurvivalInterval {
    /// Checks a deserialised interval: `0 <= lower <= upper <= 1`.
    fn checked(self) -> Result<Self> {
        let lower = check_range("lower", self.lower, 0.0, 1.0, "a probability in [0, 1]")?;
        let upper = check_range("upper", self.upper, lower, 1.0, "a probability in [lower, 1]")?;
        Ok(SurvivalInterval { lower, upper })
    }
}

impl MedianSurvival {
    /// Checks a deserialised median (see the type docs).
    fn checked(self) -> Result<Self> {
        let level = check_level(self.level)?;
        let as_time = |name, t: Option<f64>| match t {
            Some(t) => check_range(name, t, 0.0, f64::MAX, "a finite time >= 0 (null when not reached)"),
            None => Ok(f64::INFINITY),
        };
        let (lower, median, upper) =
            (as_time("lower", self.lower)?, as_time("median", self.median)?, as_time("upper", self.upper)?);
        if !(lower <= median && median <= upper) {
            return Err(Error::Mismatch {
                what: "median survival: lower <= median <= upper must hold".into(),
            });
        }
        Ok(MedianSurvival { level, ..self })
    }
}

checked_serde! {
    /// A fitted Kaplan-Meier curve (see the [module docs](crate::retention) for the formulas).
    ///
    /// Built with [`KaplanMeier::fit`], [`KaplanMeier::fit_weighted`] or from a [`LifeTable`].
    /// The timeline starts at 0 and holds every distinct tenure (churned or censored), as in
    /// lifelines' `event_table`. Serialised as its [`points`](KaplanMeier::points); deserialising
    /// recomputes the curve from the times, events and censorings and rejects a curve whose
    /// derived columns disagree (tolerance 1e-12).
    ///
    /// ```
    /// use customer_metrics::{KaplanMeier, Tenure};
    ///
    /// let tenures = [(2.0, true), (3.0, true), (3.0, false), (5.0, true)]
    ///     .into_iter()
    ///     .map(|(d, e)| Tenure::new(d, e))
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// let km = KaplanMeier::fit(tenures)?;
    /// // 4 at risk at 2 (one churns): S = 3/4; 3 at risk at 3 (one churns): S = 1/2;
    /// // 1 at risk at 5 (it churns): S = 0.
    /// assert!((km.survival_at(4.0)? - 0.5).abs() < 1e-12);
    /// assert_eq!(km.median(), Some(3.0));
    /// let ci = km.confidence_interval_at(2.0, 0.95)?;
    /// assert!(ci.lower < 0.75 && 0.75 < ci.upper);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct KaplanMeier {
        points: Vec<SurvivalPoint>,
    }
    check = KaplanMeier::checked
}

impl KaplanMeier {
    /// Checks a deserialised curve against its recomputation from the times, events and
    /// censorings, which is returned.
    fn checked(self) -> Result<Self> {
        let rebuilt =
            KaplanMeier::from_rows(self.points.iter().map(|p| (p.time, p.events, p.censored)).collect())?;
        let close = |recomputed: f64, stored: f64| super::agrees(stored, recomputed);
        let agree = rebuilt.points.len() == self.points.len()
            && rebuilt.points.iter().zip(&self.points).all(|(a, b)| {
                close(a.time, b.time)
                    && close(a.at_risk, b.at_risk)
                    && close(a.survival, b.survival)
                    && close(a.greenwood_sum, b.greenwood_sum)
            });
        if agree {
            Ok(rebuilt)
        } else {
            Err(Error::Mismatch {
                what: "Kaplan-Meier points: at_risk, survival or greenwood_sum disagree with the events and censorings (or time 0 is missing)".into(),
            })
        }
    }
}

impl KaplanMeier {
    /// Fits the curve to unweighted tenures (any order).
    ///
    /// # Errors
    /// [`Error::NotEnoughData`] when there are no tenures; [`Error::Overflow`] past `u64` counts.
    pub fn fit<I: IntoIterator<Item = Tenure>>(tenures: I) -> Result<Self> {
        let mut table = LifeTable::default();
        table.record_all(tenures)?;
        table.kaplan_meier()
    }

    /// Fits the curve to weighted tenures, like lifelines' `fit(..., weights=w)`: a tenure of
    /// weight `w` counts as `w` customers in every count.
    ///
    /// Whole-number weights give exactly lifelines' curve, variance and intervals. With
    /// fractional weights `S(t)` still matches lifelines, but lifelines 0.30 truncates the
    /// at-risk count to an integer in its Greenwood term; this crate does not (it uses
    /// `d/(n(n−d))` with the weighted `n`), so variances and intervals then differ (lifelines'
    /// `event_table` also truncates its `censored` column; here it is the weighted sum). As lifelines
    /// warns, the naive Greenwood variance is biased for propensity-score weights.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `weight` when a weight is not finite and `> 0`;
    /// [`Error::NotEnoughData`] when there are no tenures.
    pub fn fit_weighted<I: IntoIterator<Item = (Tenure, f64)>>(tenures: I) -> Result<Self> {
        let mut rows: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for (tenure, weight) in tenures {
            if !(weight.is_finite() && weight > 0.0) {
                return Err(Error::param("weight", weight, "a finite number > 0"));
            }
            let row = rows.entry(tenure.duration.to_bits()).or_insert((0.0, 0.0));
            if tenure.observed {
                row.0 += weight;
            } else {
                row.1 += weight;
            }
        }
        KaplanMeier::from_rows(rows.into_iter().map(|(bits, (e, c))| (f64::from_bits(bits), e, c)).collect())
    }

    /// Fits the curve to columns, like lifelines' `fit(durations, event_observed, weights=…)`:
    /// `durations[i]` with `observed[i]` and, if given, `weights[i]`. Without weights this is
    /// [`KaplanMeier::fit`]; with weights, [`KaplanMeier::fit_weighted`].
    ///
    /// ```
    /// use customer_metrics::KaplanMeier;
    ///
    /// let km = KaplanMeier::fit_columns(&[5.0, 6.0, 6.0, 2.5], &[true, false, true, true], None)?;
    /// assert_eq!(km.subjects(), 4.0);
    /// // S(2.5) = 3/4, S(5) = 3/4 · 2/3 = 1/2: the first time with S <= 0.5 is 5.
    /// assert_eq!(km.median(), Some(5.0));
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the columns' lengths differ; otherwise as [`KaplanMeier::fit`]
    /// and [`KaplanMeier::fit_weighted`].
    pub fn fit_columns(durations: &[f64], observed: &[bool], weights: Option<&[f64]>) -> Result<Self> {
        let n = durations.len();
        if observed.len() != n || weights.is_some_and(|w| w.len() != n) {
            return Err(Error::Mismatch {
                what: format!(
                    "column lengths: {n} durations, {} observed flags, {} weights",
                    observed.len(),
                    weights.map_or(n, <[f64]>::len)
                ),
            });
        }
        let tenures = durations.iter().zip(observed).map(|(&d, &e)| Tenure::new(d, e));
        match weights {
            None => KaplanMeier::fit(tenures.collect::<Result<Vec<_>>>()?),
            Some(w) => KaplanMeier::fit_weighted(
                tenures.zip(w).map(|(t, &w)| t.map(|t| (t, w))).collect::<Result<Vec<_>>>()?,
            ),
        }
    }

    /// Builds the curve from `(time, events, censored)` rows; validates them.
    fn from_rows(mut rows: Vec<(f64, f64, f64)>) -> Result<Self> {
        if rows.is_empty() {
            return Err(Error::NotEnoughData { what: "Kaplan-Meier curve", needed: 1, got: 0 });
        }
        let mut previous = f64::NEG_INFINITY;
        for &(time, events, censored) in &rows {
            next_time(time, previous)?;
            for (name, count) in [("events", events), ("censored", censored)] {
                if !(count.is_finite() && count >= 0.0) {
                    return Err(Error::param(name, count, "a finite count >= 0"));
                }
            }
            previous = time;
        }
        // lifelines' timeline always starts at 0 (every subject enters at time 0).
        if rows.first().is_some_and(|r| r.0 > 0.0) {
            rows.insert(0, (0.0, 0.0, 0.0));
        }
        let total: f64 = rows.iter().map(|r| r.1 + r.2).sum();
        if !total.is_finite() || total <= 0.0 {
            return Err(Error::NotEnoughData {
                what: "Kaplan-Meier curve (total weight)",
                needed: 1,
                got: 0,
            });
        }
        let (mut removed_before, mut log_survival, mut greenwood_sum) = (0.0, 0.0, 0.0);
        let points = rows
            .into_iter()
            .map(|(time, events, censored)| {
                let at_risk = total - removed_before;
                removed_before += events + censored;
                let survivors = at_risk - events;
                if events > 0.0 {
                    log_survival +=
                        if survivors > 0.0 { survivors.ln() - at_risk.ln() } else { f64::NEG_INFINITY };
                    if survivors > 0.0 {
                        greenwood_sum += events / (at_risk * survivors);
                    }
                }
                SurvivalPoint { time, at_risk, events, censored, survival: log_survival.exp(), greenwood_sum }
            })
            .collect();
        Ok(KaplanMeier { points })
    }

    /// The curve's steps, in increasing time, starting at time 0.
    #[must_use]
    pub fn points(&self) -> &[SurvivalPoint] {
        &self.points
    }

    /// Total weight of the tenures (their number when unweighted): the at-risk count at time 0.
    #[must_use]
    pub fn subjects(&self) -> f64 {
        self.points.first().map_or(0.0, |p| p.at_risk)
    }

    /// Total weight of observed churn events.
    #[must_use]
    pub fn events(&self) -> f64 {
        self.points.iter().map(|p| p.events).sum()
    }

    /// The step at or before `t`, `None` before the first step (`t < 0`).
    fn step_at(&self, t: f64) -> Result<Option<&SurvivalPoint>> {
        if t.is_nan() {
            return Err(Error::param("t", t, "a number (not NaN)"));
        }
        let after = self.points.partition_point(|p| p.time <= t);
        Ok(after.checked_sub(1).and_then(|i| self.points.get(i)))
    }

    /// `S(t)`, the right-continuous step function (the value after any drop at `t`, like
    /// lifelines' `predict`). `S(t) = 1` for `t < 0` (lifelines returns NaN there); beyond the
    /// last time it stays at the last value.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `t` is NaN.
    pub fn survival_at(&self, t: f64) -> Result<f64> {
        Ok(self.step_at(t)?.map_or(1.0, |p| p.survival))
    }

    /// The confidence interval for `S(t)` at `level` (for example 0.95), the step function of
    /// [`KaplanMeier::confidence_band`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a NaN `t` or a level outside (0, 1).
    pub fn confidence_interval_at(&self, t: f64, level: f64) -> Result<SurvivalInterval> {
        let z = z_for_level(check_level(level)?);
        Ok(self.step_at(t)?.map_or(SurvivalInterval { lower: 1.0, upper: 1.0 }, |p| log_log_interval(p, z)))
    }

    /// Pointwise confidence intervals at every step, exactly as lifelines'
    /// `confidence_interval_survival_function_` (exponential Greenwood):
    /// with `v = ln S`, `σ² = greenwood_sum`, `z = Φ⁻¹((1+level)/2)`,
    /// `lower, upper = exp(−exp(ln(−v) ∓ z σ / v))`; where `S = 1` both bounds are 1 (lifelines
    /// fills the undefined value with 1) and where `S = 0` both are 0.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a level outside (0, 1).
    pub fn confidence_band(&self, level: f64) -> Result<Vec<SurvivalInterval>> {
        let z = z_for_level(check_level(level)?);
        Ok(self.points.iter().map(|p| log_log_interval(p, z)).collect())
    }

    /// The time at which the curve first falls to `q` or below (lifelines'
    /// `qth_survival_time(q, survival_function_)`, the `1 − q` quantile of tenure), or `None`
    /// when it never does (lifelines: `inf`). `q = 1` gives 0.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `q` when it is not in `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Result<Option<f64>> {
        if !(0.0..=1.0).contains(&q) {
            return Err(Error::param("q", q, "a survival probability in [0, 1]"));
        }
        Ok(first_time_at_or_below(self.points.iter().map(|p| (p.time, p.survival)), q))
    }

    /// The median survival time (lifelines' `median_survival_time_`): the first time with
    /// `S(t) <= 0.5`, or `None` when the curve stays above 0.5 (lifelines: `inf`).
    #[must_use]
    pub fn median(&self) -> Option<f64> {
        first_time_at_or_below(self.points.iter().map(|p| (p.time, p.survival)), 0.5)
    }

    /// The median with its confidence interval: the times at which the lower and upper
    /// confidence bands first fall to 0.5 or below (lifelines'
    /// `median_survival_times(kmf.confidence_interval_)`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a level outside (0, 1).
    pub fn median_survival(&self, level: f64) -> Result<MedianSurvival> {
        let band = self.confidence_band(level)?;
        let times = || self.points.iter().map(|p| p.time);
        Ok(MedianSurvival {
            level,
            median: self.median(),
            lower: first_time_at_or_below(times().zip(band.iter().map(|b| b.lower)), 0.5),
            upper: first_time_at_or_below(times().zip(band.iter().map(|b| b.upper)), 0.5),
        })
    }
}

/// Checks a table time: finite, `>= 0` (named `duration`) and above the previous one.
fn next_time(time: f64, previous: f64) -> Result<f64> {
    let time = Tenure::new(time, true)?.duration;
    if time <= previous {
        return Err(Error::Mismatch {
            what: format!("survival times must increase strictly ({time} after {previous})"),
        });
    }
    Ok(time)
}

/// lifelines' `qth_survival_time`: `None` when the last value is above `q`, else the first
/// time whose value is `<= q`.
fn first_time_at_or_below(curve: impl Iterator<Item = (f64, f64)>, q: f64) -> Option<f64> {
    let mut first = None;
    let mut last = f64::NAN;
    for (time, value) in curve {
        if first.is_none() && value <= q {
            first = Some(time);
        }
        last = value;
    }
    if last > q { None } else { first }
}

/// lifelines' `_bounds`, term by term, with its `fillna(1.0)`.
fn log_log_interval(point: &SurvivalPoint, z: f64) -> SurvivalInterval {
    let v = point.survival.ln();
    let spread = z * point.greenwood_sum.sqrt() / v;
    let bound = |x: f64| {
        let b = (-(x.exp())).exp();
        if b.is_nan() { 1.0 } else { b }
    };
    SurvivalInterval { lower: bound((-v).ln() - spread), upper: bound((-v).ln() + spread) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn km(data: &[(f64, bool)]) -> KaplanMeier {
        KaplanMeier::fit(data.iter().map(|&(d, e)| Tenure::new(d, e).unwrap())).unwrap()
    }

    #[test]
    fn hand_worked_curve_with_ties() {
        // durations 2,3,3+,5,6+,6,8+ ("+" = censored), worked by hand:
        // t=0: n=7, d=0, S=1
        // t=2: n=7, d=1, S=6/7
        // t=3: n=6, d=1 (one censored at 3), S=6/7·5/6 = 5/7
        // t=5: n=4, d=1, S=5/7·3/4 = 15/28
        // t=6: n=3, d=1 (one censored at 6), S=15/28·2/3 = 5/14
        // t=8: n=1, d=0, S=5/14
        // Greenwood sum at 6: 1/(7·6) + 1/(6·5) + 1/(4·3) + 1/(3·2) = 0.3071428571...
        let k = km(&[
            (2.0, true),
            (3.0, true),
            (3.0, false),
            (5.0, true),
            (6.0, false),
            (6.0, true),
            (8.0, false),
        ]);
        let times: Vec<f64> = k.points().iter().map(|p| p.time).collect();
        assert_eq!(times, [0.0, 2.0, 3.0, 5.0, 6.0, 8.0]);
        let at_risk: Vec<f64> = k.points().iter().map(|p| p.at_risk).collect();
        assert_eq!(at_risk, [7.0, 7.0, 6.0, 4.0, 3.0, 1.0]);
        let expected = [1.0, 6.0 / 7.0, 5.0 / 7.0, 15.0 / 28.0, 5.0 / 14.0, 5.0 / 14.0];
        for (p, s) in k.points().iter().zip(expected) {
            assert!((p.survival - s).abs() < 1e-14, "{p:?} vs {s}");
        }
        let g = 1.0 / 42.0 + 1.0 / 30.0 + 1.0 / 12.0 + 1.0 / 6.0;
        assert!((k.points()[4].greenwood_sum - g).abs() < 1e-14);
        assert!((k.points()[4].variance() - (5.0f64 / 14.0).powi(2) * g).abs() < 1e-14);
        // S(5) = 15/28 > 0.5, S(6) = 5/14 <= 0.5.
        assert_eq!(k.median(), Some(6.0));
        assert_eq!(k.quantile(0.75).unwrap(), Some(3.0));
        assert_eq!(k.quantile(0.1).unwrap(), None);
        assert_eq!(k.quantile(1.0).unwrap(), Some(0.0));
        assert_eq!(k.survival_at(-1.0).unwrap(), 1.0);
        assert!((k.survival_at(5.5).unwrap() - 15.0 / 28.0).abs() < 1e-14);
        assert!((k.survival_at(100.0).unwrap() - 5.0 / 14.0).abs() < 1e-14);
    }

    #[test]
    fn log_log_interval_by_hand() {
        // At t=2 above: S = 6/7, Greenwood sum 1/42; z(0.95) = 1.959963984540054.
        let k = km(&[
            (2.0, true),
            (3.0, true),
            (3.0, false),
            (5.0, true),
            (6.0, false),
            (6.0, true),
            (8.0, false),
        ]);
        let ci = k.confidence_interval_at(2.0, 0.95).unwrap();
        let v = (6.0f64 / 7.0).ln();
        let s = (1.0f64 / 42.0).sqrt();
        let z = 1.959963984540054;
        let lower = (-((-v).ln() - z * s / v).exp()).exp();
        let upper = (-((-v).ln() + z * s / v).exp()).exp();
        assert!((ci.lower - lower).abs() < 1e-14 && (ci.upper - upper).abs() < 1e-14);
        // S = 1 at time 0 → (1, 1); S = 0 → (0, 0).
        assert_eq!(k.confidence_interval_at(0.0, 0.95).unwrap(), SurvivalInterval { lower: 1.0, upper: 1.0 });
        let dead = km(&[(1.0, true)]);
        assert_eq!(
            dead.confidence_interval_at(1.0, 0.9).unwrap(),
            SurvivalInterval { lower: 0.0, upper: 0.0 }
        );
    }

    #[test]
    fn rejects_bad_inputs() {
        for d in [f64::NAN, f64::INFINITY, -1.0, f64::NEG_INFINITY] {
            assert!(matches!(Tenure::new(d, true), Err(Error::InvalidParameter { name: "duration", .. })));
        }
        let t = Tenure::churned(1.0).unwrap();
        for w in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                KaplanMeier::fit_weighted([(t, w)]),
                Err(Error::InvalidParameter { name: "weight", .. })
            ));
        }
        assert!(matches!(KaplanMeier::fit([]), Err(Error::NotEnoughData { .. })));
        let k = km(&[(1.0, true), (2.0, false)]);
        assert!(k.survival_at(f64::NAN).is_err());
        assert!(k.quantile(1.5).is_err() && k.quantile(f64::NAN).is_err());
        assert!(k.confidence_band(1.0).is_err() && k.median_survival(0.0).is_err());
    }

    #[test]
    fn columns() {
        let a = KaplanMeier::fit_columns(&[1.0, 2.0, 2.0], &[true, false, true], None).unwrap();
        assert_eq!(a, km(&[(1.0, true), (2.0, false), (2.0, true)]));
        let w = KaplanMeier::fit_columns(&[1.0, 2.0], &[true, true], Some(&[2.0, 1.0])).unwrap();
        assert_eq!(w, km(&[(1.0, true), (1.0, true), (2.0, true)]));
        assert!(matches!(
            KaplanMeier::fit_columns(&[1.0], &[true, false], None),
            Err(Error::Mismatch { .. })
        ));
        assert!(matches!(KaplanMeier::fit_columns(&[1.0], &[true], Some(&[])), Err(Error::Mismatch { .. })));
        assert!(matches!(
            KaplanMeier::fit_columns(&[f64::NAN], &[true], None),
            Err(Error::InvalidParameter { name: "duration", .. })
        ));
    }

    #[test]
    fn negative_zero_is_zero() {
        let mut table = LifeTable::default();
        table.record(Tenure::churned(-0.0).unwrap()).unwrap();
        table.record(Tenure::churned(0.0).unwrap()).unwrap();
        assert_eq!(table.rows().count(), 1);
    }
}
