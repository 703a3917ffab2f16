use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::customer::{CustomerRecord, CustomerSummary, HoldoutSummary};
use super::transaction::Transaction;
use super::views::TrackingPeriod;
use crate::{Error, Result};

/// How durations (recency, age, holdout length) are expressed in periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Rounding {
    /// Fractional periods: 213 days at 7-day periods is 30.428… weeks (the CDNOW convention).
    #[default]
    Fractional,
    /// Whole periods, rounded down: 213 days at 7-day periods is 30 weeks. With bucket length
    /// equal to the period length, durations are exact multiples and nothing is rounded (the
    /// convention of lifetimes' `freq` argument).
    Whole,
}

/// Settings of a [`SummaryBuilder`]. Setters never fail; everything is checked once, by
/// [`SummaryBuilder::new`].
///
/// Defaults: one-day buckets, one-day periods, fractional durations, no calibration split,
/// observation end at the last transaction date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawSummaryOptions")]
pub struct SummaryOptions {
    bucket_days: u32,
    bucket_origin: NaiveDate,
    period_days: f64,
    rounding: Rounding,
    calibration_end: Option<NaiveDate>,
    observation_end: Option<NaiveDate>,
}

/// The unchecked twin of [`SummaryOptions`] that deserialisation goes through.
#[derive(Deserialize)]
struct RawSummaryOptions {
    bucket_days: u32,
    bucket_origin: NaiveDate,
    period_days: f64,
    rounding: Rounding,
    calibration_end: Option<NaiveDate>,
    observation_end: Option<NaiveDate>,
}

impl TryFrom<RawSummaryOptions> for SummaryOptions {
    type Error = Error;
    fn try_from(raw: RawSummaryOptions) -> Result<Self> {
        let options = SummaryOptions {
            bucket_days: raw.bucket_days,
            bucket_origin: raw.bucket_origin,
            period_days: raw.period_days,
            rounding: raw.rounding,
            calibration_end: raw.calibration_end,
            observation_end: raw.observation_end,
        };
        options.validate()?;
        Ok(options)
    }
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            bucket_days: 1,
            bucket_origin: MONDAY_1970,
            period_days: 1.0,
            rounding: Rounding::Fractional,
            calibration_end: None,
            observation_end: None,
        }
    }
}

/// 1970-01-05, a Monday: the default origin of multi-day buckets, so 7-day buckets are ISO
/// weeks.
const MONDAY_1970: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 5) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

impl SummaryOptions {
    /// Purchases of one customer within one bucket of `days` days count as one purchase, their
    /// amounts summed (default 1: one purchase per day).
    #[must_use]
    pub fn bucket_days(mut self, days: u32) -> Self {
        self.bucket_days = days;
        self
    }

    /// The date on which the bucket grid starts (default 1970-01-05, a Monday). Only matters
    /// for buckets longer than a day.
    #[must_use]
    pub fn bucket_origin(mut self, origin: NaiveDate) -> Self {
        self.bucket_origin = origin;
        self
    }

    /// The unit of recency and age, in days (default 1; 7 for weeks; 30.4375 for average
    /// months).
    #[must_use]
    pub fn period_days(mut self, days: f64) -> Self {
        self.period_days = days;
        self
    }

    /// Fractional or whole periods (default fractional).
    #[must_use]
    pub fn rounding(mut self, rounding: Rounding) -> Self {
        self.rounding = rounding;
        self
    }

    /// The last day (inclusive) of the calibration period. Purchases after it are counted as
    /// holdout purchases of customers who first bought on or before it.
    #[must_use]
    pub fn calibration_end(mut self, date: NaiveDate) -> Self {
        self.calibration_end = Some(date);
        self
    }

    /// The last day (inclusive) of observation. A transaction after it is an error. Defaults
    /// to the date of the last transaction.
    #[must_use]
    pub fn observation_end(mut self, date: NaiveDate) -> Self {
        self.observation_end = Some(date);
        self
    }

    fn validate(&self) -> Result<()> {
        if self.bucket_days == 0 {
            return Err(Error::param("bucket_days", 0, "at least 1 day"));
        }
        if !(self.period_days.is_finite() && self.period_days > 0.0) {
            return Err(Error::param("period_days", self.period_days, "a finite number of days above 0"));
        }
        if let (Some(cal), Some(obs)) = (self.calibration_end, self.observation_end)
            && obs < cal
        {
            return Err(Error::param("observation_end", obs, "a date on or after the calibration end"));
        }
        if let Some(cal) = self.calibration_end
            && self.bucket_days > 1
            && self.bucket_of(day_number(cal) + 1) == self.bucket_of(day_number(cal))
        {
            return Err(Error::param(
                "calibration_end",
                cal,
                "the last day of a bucket (buckets may not straddle the calibration end)",
            ));
        }
        Ok(())
    }

    /// The bucket of a day number.
    fn bucket_of(&self, day: i32) -> i32 {
        (day - day_number(self.bucket_origin)).div_euclid(to_i32(self.bucket_days))
    }

    /// The day number on which a bucket starts.
    fn bucket_start(&self, bucket: i32) -> i32 {
        day_number(self.bucket_origin) + bucket * to_i32(self.bucket_days)
    }

    /// Days expressed in periods, with the configured rounding.
    fn periods(&self, days: i32) -> f64 {
        let p = f64::from(days) / self.period_days;
        match self.rounding {
            Rounding::Fractional => p,
            Rounding::Whole => p.floor(),
        }
    }
}

/// Day number of a date: days since 0001-01-01 (fits `i32` over chrono's whole range).
fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// `u32 → i32`, saturating (bucket lengths above `i32::MAX` days put every date in one bucket).
fn to_i32(x: u32) -> i32 {
    i32::try_from(x).unwrap_or(i32::MAX)
}

/// What the builder keeps per customer: O(1) numbers plus the distinct purchase buckets.
#[derive(Debug, Clone, PartialEq)]
struct CustomerState {
    /// Earliest bucket with a purchase (calibration or not).
    first: i32,
    /// Total spend in `first`.
    first_spend: Decimal,
    /// Distinct buckets with a purchase; kept sorted and deduplicated up to `compacted`,
    /// unsorted after it (compacted lazily, so memory stays within twice the distinct count).
    buckets: Vec<i32>,
    compacted: usize,
    /// Spend in the calibration period (everything when there is no calibration end).
    calibration_spend: Decimal,
    /// Spend after the calibration end.
    holdout_spend: Decimal,
}

impl CustomerState {
    fn new(bucket: i32, amount: Decimal) -> Self {
        CustomerState {
            first: bucket,
            first_spend: amount,
            buckets: {
                let mut buckets = Vec::with_capacity(4);
                buckets.push(bucket);
                buckets
            },
            compacted: 1,
            calibration_spend: Decimal::ZERO,
            holdout_spend: Decimal::ZERO,
        }
    }

    /// The (first bucket, its spend) after adding `spend` in `bucket`; `None` on overflow.
    fn first_after(&self, bucket: i32, spend: Decimal) -> Option<(i32, Decimal)> {
        Some(match bucket.cmp(&self.first) {
            std::cmp::Ordering::Less => (bucket, spend),
            std::cmp::Ordering::Equal => (bucket, self.first_spend.checked_add(spend)?),
            std::cmp::Ordering::Greater => (self.first, self.first_spend),
        })
    }

    fn push_bucket(&mut self, bucket: i32) {
        self.buckets.push(bucket);
        if self.buckets.len() > 8.max(2 * self.compacted) {
            self.compact();
        }
    }

    fn compact(&mut self) {
        self.buckets.sort_unstable();
        self.buckets.dedup();
        self.compacted = self.buckets.len();
    }
}

/// Builds per-customer summaries from transactions in one pass over unsorted input.
///
/// Record transactions in any order, on any number of shards (one builder each, then
/// [`merge`](Self::merge)), and [`build`](Self::build) once. Memory grows with the number of
/// customers and their distinct purchase buckets (at most the days in the observation window
/// per customer), not with the raw number of transactions: repeated purchases in one bucket
/// cost nothing.
///
/// # Conventions and errors
///
/// | input | treatment |
/// |---|---|
/// | several purchases of a customer in one bucket | one purchase, amounts summed |
/// | zero amount | a purchase worth 0 (it counts toward frequency) |
/// | negative amount (a return) | error: net returns against their purchases first |
/// | non-finite amount | error (see [`Transaction::with_f64_amount`]) |
/// | transaction after the observation end | error naming the customer and date |
/// | no transactions | error at `build` |
/// | customer whose first purchase is after the calibration end | not summarised (no calibration history); listed in [`Summaries::holdout_only`] |
/// | time of day | ignored: buckets are cut on the calendar date |
///
/// Recency and age are measured between bucket start dates: `t_x` from the first to the last
/// purchase bucket and `T` from the first purchase bucket to the bucket of the calibration
/// end (observation end without a split), in periods of `period_days` days.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use customer_metrics::{SummaryBuilder, SummaryOptions, Transaction};
/// use rust_decimal::Decimal;
///
/// let d = |m, d| NaiveDate::from_ymd_opt(1997, m, d).expect("valid date");
/// let mut builder = SummaryBuilder::new(
///     SummaryOptions::default().period_days(7.0).calibration_end(d(9, 30)).observation_end(d(12, 31)),
/// )?;
/// for (day, cents) in [(d(1, 1), 2933), (d(1, 18), 2973), (d(8, 2), 1496), (d(1, 18), 1000), (d(11, 5), 500)] {
///     builder.record(&Transaction::new("c1", day, Decimal::new(cents, 2)))?;
/// }
/// let summaries = builder.build()?;
/// let c1 = &summaries.customers[0].summary;
/// assert_eq!(c1.frequency(), 2); // Jan 18 (two purchases, one bucket) and Aug 2
/// assert!((c1.recency() - 213.0 / 7.0).abs() < 1e-12);
/// assert!((c1.age() - 272.0 / 7.0).abs() < 1e-12);
/// assert_eq!(c1.monetary_value(), Decimal::new(27345, 3)); // (39.73 + 14.96) / 2
/// assert_eq!(c1.holdout().map(|h| h.frequency()), Some(1));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SummaryBuilder<Id> {
    options: SummaryOptions,
    customers: HashMap<Id, CustomerState>,
    last_day: Option<i32>,
}

impl<Id: Eq + Hash + Clone + Debug> SummaryBuilder<Id> {
    /// A builder with the given settings.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero bucket length, a non-positive or non-finite
    /// period length, an observation end before the calibration end, or a calibration end that
    /// is not the last day of a bucket.
    pub fn new(options: SummaryOptions) -> Result<Self> {
        options.validate()?;
        Ok(SummaryBuilder { options, customers: HashMap::new(), last_day: None })
    }

    /// The settings.
    #[must_use]
    pub fn options(&self) -> &SummaryOptions {
        &self.options
    }

    /// Number of distinct customers recorded so far.
    #[must_use]
    pub fn customers(&self) -> usize {
        self.customers.len()
    }

    /// Records one transaction.
    ///
    /// # Errors
    /// [`Error::InvalidTransaction`] for a negative amount or a date after the observation end
    /// (the builder is then unchanged); [`Error::Overflow`] if a customer's spend overflows
    /// [`Decimal`].
    pub fn record(&mut self, transaction: &Transaction<Id>) -> Result<()> {
        let invalid = |field: &'static str, reason: String| Error::InvalidTransaction {
            customer: format!("{:?}", transaction.customer),
            field,
            reason,
        };
        let amount = transaction.amount;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(invalid(
                "amount",
                format!("{amount} is negative (net returns against purchases first)"),
            ));
        }
        let date = transaction.date();
        if let Some(end) = self.options.observation_end
            && date > end
        {
            return Err(invalid("date", format!("{date} is after the observation end {end}")));
        }
        let day = day_number(date);
        let bucket = self.options.bucket_of(day);
        let in_holdout = self.options.calibration_end.is_some_and(|cal| date > cal);
        let overflow = || Error::overflow("a customer's total spend");
        match self.customers.get_mut(&transaction.customer) {
            Some(state) => {
                // Check every addition before changing anything.
                let (cal, hold) = if in_holdout {
                    (state.calibration_spend, state.holdout_spend.checked_add(amount).ok_or_else(overflow)?)
                } else {
                    (state.calibration_spend.checked_add(amount).ok_or_else(overflow)?, state.holdout_spend)
                };
                let next_first = state.first_after(bucket, amount).ok_or_else(overflow)?;
                (state.calibration_spend, state.holdout_spend) = (cal, hold);
                (state.first, state.first_spend) = next_first;
                state.push_bucket(bucket);
            }
            None => {
                let mut state = CustomerState::new(bucket, amount);
                if in_holdout {
                    state.holdout_spend = amount;
                } else {
                    state.calibration_spend = amount;
                }
                self.customers.insert(transaction.customer.clone(), state);
            }
        }
        self.last_day = Some(self.last_day.map_or(day, |d| d.max(day)));
        Ok(())
    }

    /// Records every transaction of an iterator, stopping at the first error.
    ///
    /// # Errors
    /// The first transaction's error (earlier transactions stay recorded).
    pub fn record_all<'a, I>(&mut self, transactions: I) -> Result<()>
    where
        I: IntoIterator<Item = &'a Transaction<Id>>,
        Id: 'a,
    {
        transactions.into_iter().try_for_each(|t| self.record(t))
    }

    /// Adds the transactions recorded by another builder (another shard of the same data).
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the two builders have different settings; [`Error::Overflow`]
    /// when a customer's spend overflows (the builder is then unchanged).
    pub fn merge(&mut self, other: &Self) -> Result<()> {
        if self.options != other.options {
            return Err(Error::Mismatch { what: String::from("summary builders with different options") });
        }
        let overflow = || Error::overflow("a customer's total spend");
        // Merge into a copy of the affected states first, so a failure changes nothing.
        let mut merged = Vec::with_capacity(other.customers.len());
        for (id, theirs) in &other.customers {
            let state = match self.customers.get(id) {
                None => theirs.clone(),
                Some(ours) => {
                    let mut state = ours.clone();
                    (state.first, state.first_spend) =
                        state.first_after(theirs.first, theirs.first_spend).ok_or_else(overflow)?;
                    state.calibration_spend =
                        state.calibration_spend.checked_add(theirs.calibration_spend).ok_or_else(overflow)?;
                    state.holdout_spend =
                        state.holdout_spend.checked_add(theirs.holdout_spend).ok_or_else(overflow)?;
                    state.buckets.extend_from_slice(&theirs.buckets);
                    state.compact();
                    state
                }
            };
            merged.push((id.clone(), state));
        }
        self.customers.extend(merged);
        self.last_day = match (self.last_day, other.last_day) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }
}

impl<Id: Eq + Hash + Clone + Debug + Ord> SummaryBuilder<Id> {
    /// Summarises every customer, sorted by id, with the tracking series of the whole base.
    ///
    /// # Errors
    /// [`Error::NotEnoughData`] when no transaction was recorded, or when no customer made a
    /// first purchase on or before the calibration end; [`Error::InvalidParameter`] naming
    /// `calibration_end` when it falls after the last transaction and no observation end is
    /// set (the holdout would have a negative length).
    pub fn build(&self) -> Result<Summaries<Id>> {
        let opts = &self.options;
        let last_day = self.last_day.ok_or(Error::NotEnoughData { what: "summaries", needed: 1, got: 0 })?;
        let observation_end = opts.observation_end.map_or(last_day, day_number);
        let calibration_end = opts.calibration_end.map_or(observation_end, day_number);
        if let Some(cal) = opts.calibration_end
            && opts.observation_end.is_none()
            && calibration_end > observation_end
        {
            return Err(Error::param(
                "calibration_end",
                cal,
                "a date on or before the last transaction (or set an observation end after it)",
            ));
        }
        let cal_bucket = opts.bucket_of(calibration_end);
        let end_bucket_start = opts.bucket_start(cal_bucket);
        let holdout_length = opts.calibration_end.map(|_| opts.periods(observation_end - calibration_end));

        let mut ids: Vec<&Id> = self.customers.keys().collect();
        ids.sort_unstable();
        let mut customers = Vec::with_capacity(ids.len());
        let mut holdout_only = Vec::new();
        let origin = self.customers.values().map(|s| s.first).min().map_or(0, |b| opts.bucket_start(b));
        let mut buckets: Vec<i32> = Vec::new();
        let mut tracking: Vec<TrackingPeriod> = Vec::new();
        for id in ids {
            let Some(state) = self.customers.get(id) else { continue };
            if state.first > cal_bucket {
                holdout_only.push(id.clone());
                continue;
            }
            buckets.clear();
            buckets.extend_from_slice(&state.buckets);
            buckets.sort_unstable();
            buckets.dedup();
            let split = buckets.partition_point(|&b| b <= cal_bucket);
            let (calibration, holdout) = buckets.split_at(split);
            let frequency = count(calibration.len().saturating_sub(1))?;
            let last = calibration.last().copied().unwrap_or(state.first);
            let first_start = opts.bucket_start(state.first);
            let recency = opts.periods(opts.bucket_start(last) - first_start);
            let age = opts.periods(end_bucket_start - first_start);
            let repeat_spend = state.calibration_spend - state.first_spend;
            let monetary_value = if frequency == 0 {
                Decimal::ZERO
            } else {
                repeat_spend
                    .checked_div(Decimal::from(frequency))
                    .ok_or_else(|| Error::overflow("mean spend"))?
            };
            let summary =
                CustomerSummary::new(frequency, recency, age, monetary_value).map_err(|e| match e {
                    Error::InvalidSummary { reason, .. } => {
                        Error::InvalidSummary { customer: format!("{id:?}"), reason }
                    }
                    other => other,
                })?;
            let summary = match holdout_length {
                Some(length) => summary.with_holdout(HoldoutSummary::new(
                    count(holdout.len())?,
                    state.holdout_spend,
                    length,
                )?),
                None => summary,
            };
            for &bucket in calibration.iter().skip(1).chain(holdout) {
                let days = opts.bucket_start(bucket) - origin;
                let period = (f64::from(days) / opts.period_days).floor();
                // `period` is a non-negative whole number below the window length in periods.
                let index = period as usize;
                if tracking.len() <= index {
                    tracking.resize_with(index + 1, TrackingPeriod::default);
                }
                if let Some(slot) = tracking.get_mut(index) {
                    if bucket <= cal_bucket {
                        slot.calibration += 1;
                    } else {
                        slot.holdout += 1;
                    }
                }
            }
            customers.push(CustomerRecord { id: id.clone(), first_purchase: date_of(first_start)?, summary });
        }
        if customers.is_empty() {
            return Err(Error::NotEnoughData {
                what: "customers with a first purchase by the calibration end",
                needed: 1,
                got: 0,
            });
        }
        for (k, slot) in tracking.iter_mut().enumerate() {
            let offset = (k as f64 * opts.period_days).ceil();
            slot.start = date_of(origin.saturating_add(offset as i32))?;
        }
        Ok(Summaries {
            customers,
            holdout_only,
            calibration_end: date_of(calibration_end)?,
            observation_end: date_of(observation_end)?,
            tracking,
        })
    }
}

fn count(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::overflow("a customer's purchase count"))
}

fn date_of(day: i32) -> Result<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day).ok_or(Error::overflow("a date outside chrono's range"))
}

/// The output of [`SummaryBuilder::build`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summaries<Id> {
    /// One record per customer with a first purchase on or before the calibration end, sorted
    /// by id.
    pub customers: Vec<CustomerRecord<Id>>,
    /// Customers whose first purchase came after the calibration end (they have no
    /// calibration history, so no summary), sorted by id.
    pub holdout_only: Vec<Id>,
    /// The last day of the calibration period (the observation end without a split).
    pub calibration_end: NaiveDate,
    /// The last day of observation.
    pub observation_end: NaiveDate,
    /// Repeat purchases of the whole base per period, from the first period with a purchase:
    /// the "tracking" series of the papers, split into calibration and holdout.
    pub tracking: Vec<TrackingPeriod>,
}

impl<Id> Summaries<Id> {
    /// The model inputs alone, in the order of [`customers`](Self::customers).
    #[must_use]
    pub fn summaries(&self) -> Vec<CustomerSummary> {
        self.customers.iter().map(|c| c.summary.clone()).collect()
    }
}
