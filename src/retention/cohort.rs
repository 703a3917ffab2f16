//! Cohort retention tables from transactions.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::serde_checked::checked_serde;
use crate::{Error, Metric, Result, Transaction};

checked_serde! {
    /// How time is cut into periods for a cohort table.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Period {
        /// Calendar months (a cohort is labelled by the first day of its month).
        CalendarMonth,
        /// Fixed periods of `length` days, the first starting at `origin` (dates before the
        /// origin fall in negative periods, which is allowed).
        Days {
            /// Days per period, `>= 1`.
            length: u32,
            /// The first day of period 0.
            origin: NaiveDate,
        },
    }
    check = |p| match p {
        Period::CalendarMonth => Ok(p),
        Period::Days { length, origin } => Period::days(length, origin),
    }
}

impl Period {
    /// Fixed periods of `length` days anchored at `origin`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `length` when it is 0.
    pub fn days(length: u32, origin: NaiveDate) -> Result<Self> {
        if length == 0 {
            return Err(Error::param("length", length, "at least 1 day per period"));
        }
        Ok(Period::Days { length, origin })
    }

    /// The index of the period containing `date`.
    fn index(&self, date: NaiveDate) -> i64 {
        match *self {
            Period::CalendarMonth => i64::from(date.year()) * 12 + i64::from(date.month0()),
            // Both operands are bounded by chrono's date range, far from i64 limits.
            Period::Days { length, origin } => {
                date.signed_duration_since(origin).num_days().div_euclid(i64::from(length.max(1)))
            }
        }
    }

    /// The first day of period `index`, `None` outside chrono's date range.
    fn start(&self, index: i64) -> Option<NaiveDate> {
        match *self {
            Period::CalendarMonth => {
                let year = i32::try_from(index.div_euclid(12)).ok()?;
                let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
                NaiveDate::from_ymd_opt(year, month, 1)
            }
            Period::Days { length, origin } => {
                let offset = index.checked_mul(i64::from(length))?;
                let magnitude = Days::new(offset.unsigned_abs());
                if offset >= 0 {
                    origin.checked_add_days(magnitude)
                } else {
                    origin.checked_sub_days(magnitude)
                }
            }
        }
    }

    /// Whether period `index` ends on or before `end` (its last day is `<= end`).
    fn fully_observed(&self, index: i64, end: NaiveDate) -> bool {
        match index.checked_add(1).and_then(|next| self.start(next)) {
            Some(next_start) => next_start <= end.succ_opt().unwrap_or(NaiveDate::MAX),
            None => false,
        }
    }
}

/// A mergeable builder of cohort retention tables: records transactions one at a time, in any
/// order, on any number of shards.
///
/// It keeps, per customer, the set of days with at least one transaction (integer state, so
/// merging is exact and order-free). **Activity is the presence of a transaction**: the amount
/// is not looked at, so refunds and zero-amount rows count as activity (filter them before
/// recording if they should not). The period and observation end are chosen when the table is
/// built ([`CohortBuilder::table`]); [`Metric::value`] builds a calendar-month table observed
/// up to the last transaction date.
///
/// ```
/// use chrono::NaiveDate;
/// use customer_metrics::{CohortBuilder, Metric, Period, Transaction};
/// use rust_decimal::Decimal;
///
/// let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).expect("valid date");
/// let mut builder = CohortBuilder::default();
/// for (customer, date) in [("a", day(1, 5)), ("b", day(1, 20)), ("a", day(2, 3)), ("c", day(2, 9)), ("b", day(3, 31))] {
///     builder.record(Transaction::new(customer, date, Decimal::ONE))?;
/// }
/// let table = builder.table(Period::CalendarMonth, None)?;
/// let january = &table.cohorts()[0];
/// assert_eq!((january.start, january.size), (day(1, 1), 2));
/// // Month 0: both; month 1: only a; month 2: only b.
/// assert_eq!(january.active, [Some(2), Some(1), Some(1)]);
/// assert_eq!(january.retention, [Some(1.0), Some(0.5), Some(0.5)]);
/// // February's cohort (c): offsets 0 and 1 (data end: 31 March).
/// assert_eq!(table.cohorts()[1].active, [Some(1), Some(0)]);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HashMap<Id, BTreeSet<NaiveDate>>", into = "HashMap<Id, BTreeSet<NaiveDate>>")]
#[serde(bound(
    serialize = "Id: Serialize + Eq + Hash + Clone",
    deserialize = "Id: Deserialize<'de> + Eq + Hash + Clone + std::fmt::Debug"
))]
pub struct CohortBuilder<Id: Eq + Hash> {
    days: HashMap<Id, BTreeSet<NaiveDate>>,
}

impl<Id: Eq + Hash> Default for CohortBuilder<Id> {
    fn default() -> Self {
        CohortBuilder { days: HashMap::new() }
    }
}

impl<Id: Eq + Hash + std::fmt::Debug> TryFrom<HashMap<Id, BTreeSet<NaiveDate>>> for CohortBuilder<Id> {
    type Error = Error;
    fn try_from(days: HashMap<Id, BTreeSet<NaiveDate>>) -> Result<Self> {
        if let Some((customer, _)) = days.iter().find(|(_, d)| d.is_empty()) {
            return Err(Error::InvalidTransaction {
                customer: format!("{customer:?}"),
                field: "date",
                reason: "list is empty (a customer in a cohort builder has at least one active day)".into(),
            });
        }
        Ok(CohortBuilder { days })
    }
}

impl<Id: Eq + Hash> From<CohortBuilder<Id>> for HashMap<Id, BTreeSet<NaiveDate>> {
    fn from(builder: CohortBuilder<Id>) -> Self {
        builder.days
    }
}

impl<Id: Eq + Hash + Clone> CohortBuilder<Id> {
    /// Number of distinct customers recorded.
    #[must_use]
    pub fn customers(&self) -> usize {
        self.days.len()
    }

    /// The last transaction date recorded, `None` while empty.
    #[must_use]
    pub fn last_date(&self) -> Option<NaiveDate> {
        self.days.values().filter_map(|d| d.last()).max().copied()
    }

    /// The cohort table with `period`s, observed through `observation_end` (inclusive; default:
    /// the last transaction date). Activity after `observation_end` is ignored, as are
    /// customers whose first transaction is after it.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `length` for `Period::Days` with length 0;
    /// [`Error::NotEnoughData`] when no customer is active on or before the observation end;
    /// [`Error::Overflow`] when a period falls outside chrono's date range.
    pub fn table(&self, period: Period, observation_end: Option<NaiveDate>) -> Result<CohortTable> {
        // The variant's fields are public, so re-check what `Period::days` checks.
        let period = match period {
            Period::Days { length, origin } => Period::days(length, origin)?,
            Period::CalendarMonth => Period::CalendarMonth,
        };
        let end = observation_end.or_else(|| self.last_date()).ok_or(Error::NotEnoughData {
            what: "cohort table (transactions)",
            needed: 1,
            got: 0,
        })?;
        // cohort index → (size, active count per offset)
        let mut cohorts: BTreeMap<i64, (u64, BTreeMap<u64, u64>)> = BTreeMap::new();
        for days in self.days.values() {
            let mut periods = days.range(..=end).map(|&d| period.index(d));
            let Some(first) = periods.next() else { continue };
            let entry = cohorts.entry(first).or_default();
            // Bounded by the number of customers in the map (a usize), so it cannot overflow.
            entry.0 += 1;
            let offsets: BTreeSet<u64> =
                std::iter::once(first).chain(periods).filter_map(|p| u64::try_from(p - first).ok()).collect();
            for offset in offsets {
                *entry.1.entry(offset).or_default() += 1;
            }
        }
        let last_index = period.index(end);
        let rows = cohorts
            .into_iter()
            .map(|(index, (size, active))| {
                let start = period.start(index).ok_or(Error::overflow("cohort period start date"))?;
                let span =
                    u64::try_from(last_index - index).map_err(|_| Error::overflow("cohort offsets"))?;
                let active: Vec<Option<u64>> = (0..=span)
                    .map(|offset| {
                        let observed = offset == 0
                            || i64::try_from(offset).is_ok_and(|o| period.fully_observed(index + o, end));
                        observed.then(|| active.get(&offset).copied().unwrap_or(0))
                    })
                    .collect();
                Ok(CohortRow::from_counts(start, size, active))
            })
            .collect::<Result<Vec<_>>>()?;
        if rows.is_empty() {
            return Err(Error::NotEnoughData {
                what: "cohort table (customers active by the observation end)",
                needed: 1,
                got: 0,
            });
        }
        Ok(CohortTable { period, observation_end: end, cohorts: rows })
    }
}

impl<Id: Eq + Hash + Clone> Metric for CohortBuilder<Id> {
    type Input = Transaction<Id>;
    type Output = CohortTable;

    /// Records one transaction (any amount, including negative: see the type's docs).
    fn record(&mut self, transaction: Transaction<Id>) -> Result<()> {
        let date = transaction.date();
        self.days.entry(transaction.customer).or_default().insert(date);
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        for (customer, days) in &other.days {
            self.days.entry(customer.clone()).or_default().extend(days.iter().copied());
        }
        Ok(())
    }

    /// The calendar-month table observed through the last transaction date.
    fn value(&self) -> Option<CohortTable> {
        self.table(Period::CalendarMonth, None).ok()
    }
}

checked_serde! {
    /// One cohort's row: customers whose first transaction falls in the same period.
    ///
    /// Deserialising checks `size >= 1`, offset 0 equal to the size, active counts at most the
    /// size, and retention equal to active/size within 1e-12 (the shares are then recomputed
    /// exactly from the counts).
    #[derive(Debug, Clone, PartialEq)]
    pub struct CohortRow {
        /// The first day of the cohort's period (its label).
        pub start: NaiveDate,
        /// Customers in the cohort.
        pub size: u64,
        /// Customers active (at least one transaction) in the period at each offset 0, 1, 2, … from
        /// the cohort's period; `None` when that period was not fully observed. Offset 0 is always
        /// `Some(size)`, even when the newest cohort's own period is still running.
        pub active: Vec<Option<u64>>,
        /// `active / size` per offset, in `[0, 1]`; `None` where `active` is `None`.
        pub retention: Vec<Option<f64>>,
    }
    check = CohortRow::checked
}

impl CohortRow {
    fn from_counts(start: NaiveDate, size: u64, active: Vec<Option<u64>>) -> Self {
        let retention = active.iter().map(|a| a.map(|a| a as f64 / size.max(1) as f64)).collect();
        CohortRow { start, size, active, retention }
    }
}

checked_serde! {
    /// A cohort retention table (see [`CohortBuilder`]). Deserialising checks every row (see
    /// [`CohortRow`]) and that the cohorts are in increasing order.
    #[derive(Debug, Clone, PartialEq)]
    pub struct CohortTable {
        period: Period,
        observation_end: NaiveDate,
        cohorts: Vec<CohortRow>,
    }
    check = CohortTable::checked
}

impl CohortTable {
    /// Checks a deserialised table: cohorts in increasing order.
    fn checked(self) -> Result<Self> {
        // Each row was checked (and its shares recomputed) when it was deserialised.
        let starts = self.cohorts.iter().map(|r| r.start);
        if let Some((_, later)) = starts.clone().zip(starts.skip(1)).find(|(a, b)| a >= b) {
            return Err(Error::Mismatch {
                what: format!("cohort {later}: cohorts must be in increasing order"),
            });
        }
        Ok(self)
    }
}

impl CohortRow {
    /// Checks a deserialised row (see the type docs) and recomputes its shares.
    fn checked(self) -> Result<Self> {
        let bad = |what: &str| Err(Error::Mismatch { what: format!("cohort {}: {what}", self.start) });
        if self.size == 0 || self.active.first() != Some(&Some(self.size)) {
            return bad("size must be >= 1 and equal to the active count at offset 0");
        }
        if self.active.iter().flatten().any(|&a| a > self.size) {
            return bad("an active count exceeds the cohort size");
        }
        // Recomputed shares: exact, whatever the float parser did.
        let row = CohortRow::from_counts(self.start, self.size, self.active);
        let agree = row.retention.len() == self.retention.len()
            && row.retention.iter().zip(&self.retention).all(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => super::agrees(*b, *a),
                (None, None) => true,
                _ => false,
            });
        if !agree {
            return bad("retention must equal active / size (and be null where active is null)");
        }
        Ok(row)
    }
}

impl CohortTable {
    /// The period used.
    #[must_use]
    pub fn period(&self) -> Period {
        self.period
    }

    /// The last observed day (inclusive).
    #[must_use]
    pub fn observation_end(&self) -> NaiveDate {
        self.observation_end
    }

    /// The cohorts, oldest first.
    #[must_use]
    pub fn cohorts(&self) -> &[CohortRow] {
        &self.cohorts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn period_indices() {
        let p = Period::days(7, date(2024, 1, 1)).unwrap();
        assert_eq!(p.index(date(2024, 1, 7)), 0);
        assert_eq!(p.index(date(2024, 1, 8)), 1);
        assert_eq!(p.index(date(2023, 12, 31)), -1);
        assert_eq!(p.start(-1), Some(date(2023, 12, 25)));
        assert!(p.fully_observed(0, date(2024, 1, 7)));
        assert!(!p.fully_observed(1, date(2024, 1, 13)));
        let m = Period::CalendarMonth;
        assert_eq!(m.start(m.index(date(2024, 2, 29))), Some(date(2024, 2, 1)));
        assert!(m.fully_observed(m.index(date(2024, 2, 1)), date(2024, 2, 29)));
        assert!(!m.fully_observed(m.index(date(2024, 2, 1)), date(2024, 2, 28)));
        assert!(Period::days(0, date(2024, 1, 1)).is_err());
    }

    #[test]
    fn fixed_days_table_by_hand() {
        // Weekly periods from Mon 2024-01-01, observed through 2024-01-24 (Wednesday of week 3):
        // x: week 0 and week 2; y: week 0 only; z: week 1 and week 2 (with a refund: still active).
        // Cohort week 0 = {x, y}: offsets 0,1,2 → 2, 0, 1; offset 3 (week 3) is not complete.
        // Cohort week 1 = {z}: offsets 0,1 → 1, 1; offset 2 (week 3) not complete.
        let mut b = CohortBuilder::default();
        for (c, d, a) in [
            ("x", date(2024, 1, 2), 5),
            ("y", date(2024, 1, 7), 1),
            ("z", date(2024, 1, 9), 3),
            ("x", date(2024, 1, 15), 2),
            ("z", date(2024, 1, 21), -3),
            ("y", date(2024, 2, 1), 1),
        ] {
            b.record(Transaction::new(c, d, Decimal::from(a))).unwrap();
        }
        let t = b.table(Period::days(7, date(2024, 1, 1)).unwrap(), Some(date(2024, 1, 24))).unwrap();
        assert_eq!(t.cohorts().len(), 2);
        assert_eq!(t.cohorts()[0].start, date(2024, 1, 1));
        assert_eq!(t.cohorts()[0].active, [Some(2), Some(0), Some(1), None]);
        assert_eq!(t.cohorts()[0].retention, [Some(1.0), Some(0.0), Some(0.5), None]);
        assert_eq!(t.cohorts()[1].start, date(2024, 1, 8));
        assert_eq!(t.cohorts()[1].active, [Some(1), Some(1), None]);
        assert!(matches!(
            b.table(Period::CalendarMonth, Some(date(2023, 1, 1))),
            Err(Error::NotEnoughData { .. })
        ));
        assert!(matches!(
            CohortBuilder::<u8>::default().table(Period::CalendarMonth, None),
            Err(Error::NotEnoughData { .. })
        ));
    }
}
