//! Model checking: aggregate views that set a fitted [`PurchaseModel`]'s expectations beside
//! what the customer base did (the figures of Fader, Hardie & Lee 2005 and of lifetimes'
//! `plot_period_transactions`, `plot_calibration_purchases_vs_holdout_purchases` and
//! `expected_cumulative_transactions`), as plain serde data.
//!
//! | view | function | expected | actual |
//! |---|---|---|---|
//! | tracking (weekly repeat transactions of the whole base) | [`tracking`], [`tracking_from_summaries`] | Σ_i E[X] over each customer's time since first purchase | [`Summaries::tracking`] |
//! | calibration frequency histogram | [`frequency_histogram`] | Σ_i P(X(T_i) = n) | customers with x = n |
//! | conditional expectations | [`conditional_expectations`] | mean E[Y(t*) \| x, t_x, T] per calibration frequency | mean holdout purchases x* |
//!
//! Identical inputs are evaluated once (customers who share a first-purchase offset, an age),
//! so the views cost time in proportion to the distinct values, not the customers.
//!
//! # Example
//!
//! With a customer who buys at a known rate of 0.2 a week and never leaves (a Poisson
//! purchaser: `P(X(t) = n)` is Poisson with mean `0.2t`), the expected number of customers with
//! no repeat purchase after 10 weeks is `e^{−2}` per customer:
//!
//! ```
//! use customer_metrics::{CustomerSummary, PurchaseModel, Result, frequency_histogram};
//! use rust_decimal::Decimal;
//! # #[derive(Debug)]
//! # struct Poisson(f64);
//! # impl PurchaseModel for Poisson {
//! #     fn name(&self) -> &'static str { "Poisson" }
//! #     fn log_likelihood(&self, c: &CustomerSummary) -> f64 { f64::from(c.frequency()) * self.0.ln() - self.0 * c.age() }
//! #     fn probability_alive(&self, _: &CustomerSummary) -> f64 { 1.0 }
//! #     fn expected_purchases(&self, t: f64) -> Result<f64> { Ok(self.0 * t) }
//! #     fn conditional_expected_purchases(&self, _: &CustomerSummary, t: f64) -> Result<f64> { Ok(self.0 * t) }
//! #     fn probability_of_purchases(&self, n: u32, t: f64) -> Result<f64> {
//! #         let m = self.0 * t;
//! #         Ok((f64::from(n) * m.ln() - m - (1..=n).map(|i| f64::from(i).ln()).sum::<f64>()).exp())
//! #     }
//! # }
//!
//! let base = [
//!     CustomerSummary::new(0, 0.0, 10.0, Decimal::ZERO)?,
//!     CustomerSummary::new(1, 4.0, 10.0, Decimal::TEN)?,
//!     CustomerSummary::new(6, 9.5, 10.0, Decimal::TEN)?,
//! ];
//! let bins = frequency_histogram(&Poisson(0.2), &base, 3)?; // x = 0, 1, 2 and x >= 3
//! assert_eq!(bins.iter().map(|b| b.actual).collect::<Vec<_>>(), [1, 1, 0, 1]);
//! assert!((bins[0].expected - 3.0 * (-2.0f64).exp()).abs() < 1e-12);
//! assert!(bins[3].open);
//! # Ok::<(), customer_metrics::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::PurchaseModel;
use crate::summary::{CustomerSummary, Summaries, TrackingPeriod};
use crate::{Error, Result};

/// One period of the tracking view: repeat transactions of the whole base, expected against
/// actual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackingRow {
    /// Period index from the origin (the earliest first purchase), 0-based.
    pub period: u32,
    /// First day of the period (from the actual series).
    pub start: chrono::NaiveDate,
    /// Actual repeat transactions in the period on or before the calibration end.
    pub actual_calibration: u64,
    /// Actual repeat transactions in the period after the calibration end.
    pub actual_holdout: u64,
    /// Actual repeat transactions in the period (calibration + holdout).
    pub actual: u64,
    /// Expected repeat transactions in the period.
    pub expected: f64,
    /// Actual repeat transactions up to the end of the period.
    pub actual_cumulative: u64,
    /// Expected repeat transactions up to the end of the period.
    pub expected_cumulative: f64,
}

/// Distinct values with how often each occurs, sorted ascending (`total_cmp`).
fn distinct_counts(values: impl Iterator<Item = f64>) -> Vec<(f64, u64)> {
    let mut all: Vec<f64> = values.collect();
    all.sort_unstable_by(f64::total_cmp);
    let mut out: Vec<(f64, u64)> = Vec::new();
    for v in all {
        match out.last_mut() {
            Some((last, n)) if last.to_bits() == v.to_bits() => *n += 1,
            _ => out.push((v, 1)),
        }
    }
    out
}

/// Expected cumulative repeat transactions of the whole base at the end of each of the first
/// `periods` periods: `Σ_i E[X(max(0, k + 1 − s_i))]`, `k = 0, …, periods − 1`, where `s_i`
/// is customer `i`'s first purchase in periods from the common origin (fractional: a first
/// purchase in the middle of period 3 is 3.5). Customers who first buy after the end of a
/// period contribute nothing to it. Use it to forecast beyond the actual series.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `first_purchase` for a negative or non-finite offset;
/// what the model's [`PurchaseModel::expected_purchases`] returns.
pub fn expected_cumulative_tracking(
    model: &dyn PurchaseModel,
    first_purchase_offsets: &[f64],
    periods: usize,
) -> Result<Vec<f64>> {
    if let Some(s) = first_purchase_offsets.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
        return Err(Error::param(
            "first_purchase",
            s,
            "an offset in periods from the origin, finite and >= 0",
        ));
    }
    let cohorts = distinct_counts(first_purchase_offsets.iter().copied());
    let mut cumulative = vec![0.0; periods];
    for (s, n) in cohorts {
        for (k, slot) in cumulative.iter_mut().enumerate() {
            let t = (k + 1) as f64 - s;
            if t > 0.0 {
                *slot += n as f64 * model.expected_purchases(t)?;
            }
        }
    }
    Ok(cumulative)
}

/// The tracking view: per period of the actual series, expected vs actual repeat transactions
/// of the whole base, incremental and cumulative, over calibration and holdout.
///
/// `first_purchase_offsets` are the customers' first purchases in periods from the origin of
/// the series (its first period starts at 0), and `actual` is the series itself, as built by
/// [`SummaryBuilder::build`](crate::SummaryBuilder::build) ([`Summaries::tracking`]):
/// [`tracking_from_summaries`] computes both from the builder's output. The expected count of
/// period `k` is the difference of [`expected_cumulative_tracking`] at its end and start.
/// The view covers the periods of `actual` (the builder's series ends with the last period
/// with a repeat purchase; extend the forecast with [`expected_cumulative_tracking`]).
///
/// # Errors
/// As [`expected_cumulative_tracking`]; [`Error::Overflow`] if the actual counts overflow.
pub fn tracking(
    model: &dyn PurchaseModel,
    first_purchase_offsets: &[f64],
    actual: &[TrackingPeriod],
) -> Result<Vec<TrackingRow>> {
    let cumulative = expected_cumulative_tracking(model, first_purchase_offsets, actual.len())?;
    let mut rows = Vec::with_capacity(actual.len());
    let (mut actual_cumulative, mut previous) = (0u64, 0.0);
    for (k, (a, &expected_cumulative)) in actual.iter().zip(&cumulative).enumerate() {
        let overflow = || Error::overflow("tracking counts");
        let total = a.calibration.checked_add(a.holdout).ok_or_else(overflow)?;
        actual_cumulative = actual_cumulative.checked_add(total).ok_or_else(overflow)?;
        rows.push(TrackingRow {
            period: u32::try_from(k).map_err(|_| overflow())?,
            start: a.start,
            actual_calibration: a.calibration,
            actual_holdout: a.holdout,
            actual: total,
            expected: (expected_cumulative - previous).max(0.0),
            actual_cumulative,
            expected_cumulative,
        });
        previous = expected_cumulative;
    }
    Ok(rows)
}

/// The customers' first purchases in periods from the origin of the builder's tracking
/// series (the earliest first purchase): `(first_purchase − origin) / period_days`, with the
/// `period_days` the summaries were built with.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `period_days` unless it is finite and `> 0`.
pub fn first_purchase_offsets<Id>(summaries: &Summaries<Id>, period_days: f64) -> Result<Vec<f64>> {
    if !(period_days.is_finite() && period_days > 0.0) {
        return Err(Error::param(
            "period_days",
            period_days,
            "the period length the summaries were built with, in days",
        ));
    }
    let origin = summaries.customers.iter().map(|c| c.first_purchase).min();
    Ok(match origin {
        None => Vec::new(),
        Some(origin) => summaries
            .customers
            .iter()
            .map(|c| (c.first_purchase - origin).num_days() as f64 / period_days)
            .collect(),
    })
}

/// [`tracking`] on the output of [`SummaryBuilder::build`](crate::SummaryBuilder::build):
/// the offsets from [`first_purchase_offsets`] and the actual series
/// [`Summaries::tracking`] (the builder's own count: no second counting path).
///
/// # Errors
/// As [`first_purchase_offsets`] and [`tracking`].
pub fn tracking_from_summaries<Id>(
    model: &dyn PurchaseModel,
    summaries: &Summaries<Id>,
    period_days: f64,
) -> Result<Vec<TrackingRow>> {
    tracking(model, &first_purchase_offsets(summaries, period_days)?, &summaries.tracking)
}

/// One bin of the calibration frequency histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequencyBin {
    /// The number of repeat purchases x of the bin (the lower bound of the last, open bin).
    pub frequency: u32,
    /// Whether this is the open bin `x >= frequency`.
    pub open: bool,
    /// Customers with this frequency.
    pub actual: u64,
    /// Expected customers: `Σ_i P(X(T_i) = x)` (for the open bin, the customers minus the
    /// expected counts of the other bins).
    pub expected: f64,
}

/// The calibration frequency histogram: customers with `x = 0, 1, …, k − 1` and `x ≥ k`
/// repeat purchases, actual and expected, `expected = Σ_i P(X(T_i) = n)` with each customer's
/// own age `T_i` ([`PurchaseModel::probability_of_purchases`]).
///
/// # Errors
/// [`Error::InvalidParameter`] naming `bins` when `k = 0`; [`Error::NotEnoughData`] without
/// customers; what the model's [`PurchaseModel::probability_of_purchases`] returns.
pub fn frequency_histogram(
    model: &dyn PurchaseModel,
    customers: &[CustomerSummary],
    bins: u32,
) -> Result<Vec<FrequencyBin>> {
    if bins == 0 {
        return Err(Error::param("bins", 0, "at least 1 (bins x = 0, …, k − 1 and x >= k)"));
    }
    if customers.is_empty() {
        return Err(Error::NotEnoughData { what: "a frequency histogram", needed: 1, got: 0 });
    }
    let k = bins as usize;
    let mut actual = vec![0u64; k + 1];
    for c in customers {
        let bin = (c.frequency() as usize).min(k);
        if let Some(slot) = actual.get_mut(bin) {
            *slot += 1;
        }
    }
    let mut expected = vec![0.0; k + 1];
    for (age, n) in distinct_counts(customers.iter().map(CustomerSummary::age)) {
        for (x, slot) in (0..bins).zip(expected.iter_mut()) {
            *slot += n as f64 * model.probability_of_purchases(x, age)?;
        }
    }
    let closed: f64 = expected.iter().take(k).sum();
    if let Some(open) = expected.get_mut(k) {
        *open = (customers.len() as f64 - closed).max(0.0);
    }
    Ok(actual
        .into_iter()
        .zip(expected)
        .zip(0..=bins)
        .map(|((actual, expected), frequency)| FrequencyBin {
            frequency,
            open: frequency == bins,
            actual,
            expected,
        })
        .collect())
}

/// One group of the conditional-expectations view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionalGroup {
    /// Calibration frequency x of the group (the lower bound of the last, open group).
    pub frequency: u32,
    /// Whether this is the open group `x >= frequency`.
    pub open: bool,
    /// Customers in the group with a holdout outcome.
    pub customers: u64,
    /// Mean actual holdout purchases x* (`None` for an empty group).
    pub actual: Option<f64>,
    /// Mean expected holdout purchases E[Y(t*) | x, t_x, T] (`None` for an empty group).
    pub expected: Option<f64>,
}

/// The conditional-expectations view: holdout purchases expected and actual, by calibration
/// frequency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionalExpectations {
    /// Groups x = 0, …, k − 1 and x ≥ k.
    pub groups: Vec<ConditionalGroup>,
    /// All customers with a holdout outcome (`frequency` 0, `open` true).
    pub total: ConditionalGroup,
    /// Customers left out because they have no holdout outcome.
    pub without_holdout: u64,
}

/// The conditional-expectations view (Fader, Hardie & Lee 2005, Figure 4): for the customers
/// with a holdout outcome ([`CustomerSummary::holdout`]), the mean actual holdout purchases x*
/// against the mean `E[Y(t*) | x, t_x, T]` (t* = the holdout length), grouped by calibration
/// frequency `x = 0, …, k − 1` and `x ≥ k`, plus the totals. Customers without a holdout
/// outcome are counted in [`ConditionalExpectations::without_holdout`] and otherwise left out.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `bins` when `k = 0`; [`Error::NotEnoughData`] when no
/// customer has a holdout outcome; what the model's
/// [`PurchaseModel::conditional_expected_purchases`] returns.
pub fn conditional_expectations(
    model: &dyn PurchaseModel,
    customers: &[CustomerSummary],
    bins: u32,
) -> Result<ConditionalExpectations> {
    if bins == 0 {
        return Err(Error::param("bins", 0, "at least 1 (groups x = 0, …, k − 1 and x >= k)"));
    }
    let k = bins as usize;
    // Per group: customers, Σ actual, Σ expected.
    let mut sums = vec![(0u64, 0.0f64, 0.0f64); k + 1];
    let mut without_holdout = 0u64;
    for c in customers {
        let Some(h) = c.holdout() else {
            without_holdout += 1;
            continue;
        };
        let expected = model.conditional_expected_purchases(c, h.length())?;
        if let Some(slot) = sums.get_mut((c.frequency() as usize).min(k)) {
            slot.0 += 1;
            slot.1 += f64::from(h.frequency());
            slot.2 += expected;
        }
    }
    let group = |frequency: u32, open: bool, (n, actual, expected): (u64, f64, f64)| ConditionalGroup {
        frequency,
        open,
        customers: n,
        actual: (n > 0).then(|| actual / n as f64),
        expected: (n > 0).then(|| expected / n as f64),
    };
    let all = sums.iter().fold((0, 0.0, 0.0), |a, s| (a.0 + s.0, a.1 + s.1, a.2 + s.2));
    if all.0 == 0 {
        return Err(Error::NotEnoughData {
            what: "conditional expectations (customers with a holdout outcome)",
            needed: 1,
            got: 0,
        });
    }
    Ok(ConditionalExpectations {
        groups: sums.into_iter().zip(0..=bins).map(|(s, x)| group(x, x == bins, s)).collect(),
        total: group(0, true, all),
        without_holdout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    /// Poisson purchases at rate λ, no dropout.
    #[derive(Debug)]
    struct Poisson(f64);

    impl PurchaseModel for Poisson {
        fn name(&self) -> &'static str {
            "Poisson"
        }
        fn log_likelihood(&self, c: &CustomerSummary) -> f64 {
            f64::from(c.frequency()) * self.0.ln() - self.0 * c.age()
        }
        fn probability_alive(&self, _: &CustomerSummary) -> f64 {
            1.0
        }
        fn expected_purchases(&self, t: f64) -> Result<f64> {
            Ok(self.0 * t)
        }
        fn conditional_expected_purchases(&self, _: &CustomerSummary, t: f64) -> Result<f64> {
            Ok(self.0 * t)
        }
        fn probability_of_purchases(&self, n: u32, t: f64) -> Result<f64> {
            let m = self.0 * t;
            let ln_factorial: f64 = (1..=n).map(|i| f64::from(i).ln()).sum();
            Ok(if m == 0.0 {
                f64::from(u8::from(n == 0))
            } else {
                (f64::from(n) * m.ln() - m - ln_factorial).exp()
            })
        }
    }

    #[test]
    fn tracking_by_hand() {
        // λ = 0.5; two customers at offsets 0 and 1.5: cumulative at the end of periods 0, 1, 2
        // = 0.5·1, 0.5·2 + 0.5·0.5, 0.5·3 + 0.5·1.5.
        let model = Poisson(0.5);
        let got = expected_cumulative_tracking(&model, &[0.0, 1.5], 3).expect("valid");
        for (g, e) in got.iter().zip([0.5, 1.25, 2.25]) {
            assert!((g - e).abs() < 1e-15, "{got:?}");
        }
        assert!(expected_cumulative_tracking(&model, &[-1.0], 3).is_err());
        let day = |d| chrono::NaiveDate::from_ymd_opt(2020, 1, d).expect("date");
        let actual = [
            TrackingPeriod { start: day(1), calibration: 1, holdout: 0 },
            TrackingPeriod { start: day(8), calibration: 0, holdout: 2 },
        ];
        let rows = tracking(&model, &[0.0, 1.5], &actual).expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].actual, rows[1].actual_cumulative, rows[1].start), (2, 3, day(8)));
        assert!((rows[1].expected - 0.75).abs() < 1e-15);
        assert!((rows[1].expected_cumulative - 1.25).abs() < 1e-15);
    }

    #[test]
    fn histogram_and_conditional_by_hand() {
        let model = Poisson(0.2);
        let c = |x, t_x, age| CustomerSummary::new(x, t_x, age, Decimal::ZERO).expect("valid");
        let base = [c(0, 0.0, 10.0), c(1, 3.0, 10.0), c(4, 4.5, 5.0)];
        let bins = frequency_histogram(&model, &base, 2).expect("valid");
        // P(X(10) = 0) = e^{−2}, P(X(5) = 0) = e^{−1}; P(X(10) = 1) = 2e^{−2}, P(X(5) = 1) = e^{−1}.
        let e2 = (-2.0f64).exp();
        let e1 = (-1.0f64).exp();
        assert_eq!(bins.iter().map(|b| b.actual).collect::<Vec<_>>(), [1, 1, 1]);
        assert!((bins[0].expected - (2.0 * e2 + e1)).abs() < 1e-14);
        assert!((bins[1].expected - (4.0 * e2 + e1)).abs() < 1e-14);
        assert!((bins[2].expected - (3.0 - 6.0 * e2 - 2.0 * e1)).abs() < 1e-14);
        assert!(bins[2].open && !bins[1].open);
        assert!(frequency_histogram(&model, &base, 0).is_err());
        assert!(frequency_histogram(&model, &[], 2).is_err());
        assert!(conditional_expectations(&model, &base, 2).is_err()); // no holdout outcomes
    }
}
