//! Period churn and retention, revenue retention, period-length conversions, expected lifetime.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::serde_checked::checked_serde;
use crate::{Error, Metric, Result};

/// What happened to one customer during a period, as seen at its start and end.
///
/// The input of the [`PeriodCounts`] metric. A customer acquired *and* lost within the period
/// is neither in the starting base nor in the ending base; record nothing for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CustomerStatus {
    /// Active at the start and at the end of the period.
    Retained,
    /// Active at the start, gone by the end (counts in `lost`).
    Lost,
    /// Acquired during the period and active at its end (counts in `new`).
    New,
}

checked_serde! {
    /// A period's customer counts: the starting base, customers lost from it, and new customers.
    ///
    /// A mergeable [`Metric`] (input [`CustomerStatus`], output [`ChurnRates`]): shards count
    /// their customers and merge exactly (integer state, checked arithmetic). The invariant
    /// `lost <= start` is checked by [`PeriodCounts::new`] and when deserialising.
    ///
    /// ```
    /// use customer_metrics::PeriodCounts;
    ///
    /// // 200 customers at the start of March, 10 of them cancelled, 30 signed up.
    /// let march = PeriodCounts::new(200, 10, 30)?;
    /// assert_eq!(march.end()?, 220);
    /// assert!((march.churn()? - 0.05).abs() < 1e-15); // 10 / 200: new customers excluded
    /// assert!((march.retention()? - 0.95).abs() < 1e-15);
    /// assert!((march.average_base_churn()? - 10.0 / 210.0).abs() < 1e-15);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct PeriodCounts {
        start: u64,
        lost: u64,
        new: u64,
    }
    check = |c| PeriodCounts::new(c.start, c.lost, c.new)
}

checked_serde! {
    /// Churn and retention rates of a period (the output of [`PeriodCounts`]). Deserialising
    /// checks that churn is in [0, 1], retention is `1 − churn` (within 1e-12) and average-base
    /// churn is finite and `>= 0`.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct ChurnRates {
        /// Logo churn `c = L / N_start`.
        pub churn: f64,
        /// Retention `r = 1 − c`.
        pub retention: f64,
        /// Average-base churn `L / ((N_start + N_end) / 2)`.
        pub average_base_churn: f64,
    }
    check = ChurnRates::checked
}

impl ChurnRates {
    /// Checks deserialised rates: churn in [0, 1], retention `1 − churn`, average-base churn
    /// finite and `>= 0`.
    fn checked(self) -> Result<Self> {
        check_probability("churn", self.churn)?;
        if !super::agrees(self.retention, 1.0 - self.churn) {
            return Err(Error::param("retention", self.retention, "1 − churn"));
        }
        crate::error::check_range(
            "average_base_churn",
            self.average_base_churn,
            0.0,
            f64::MAX,
            "a finite rate >= 0",
        )?;
        Ok(self)
    }
}

impl PeriodCounts {
    /// Counts with `start` customers at the start, `lost` of them gone by the end, and `new`
    /// customers acquired during the period (and still active at its end).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `lost` when `lost > start`.
    pub fn new(start: u64, lost: u64, new: u64) -> Result<Self> {
        if lost > start {
            return Err(Error::param(
                "lost",
                lost,
                "at most `start` (customers lost from the starting base)",
            ));
        }
        Ok(PeriodCounts { start, lost, new })
    }

    /// Customers at the start, `N_start`.
    #[must_use]
    pub fn start(&self) -> u64 {
        self.start
    }

    /// Customers of the starting base lost during the period, `L`.
    #[must_use]
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// New customers acquired during the period and active at its end.
    #[must_use]
    pub fn new_customers(&self) -> u64 {
        self.new
    }

    /// Customers at the end, `N_end = N_start − L + new`.
    ///
    /// # Errors
    /// [`Error::Overflow`] when the sum exceeds `u64`.
    pub fn end(&self) -> Result<u64> {
        (self.start - self.lost).checked_add(self.new).ok_or(Error::overflow("customers at period end"))
    }

    /// Logo churn `c = L / N_start` (new customers are in neither numerator nor denominator).
    ///
    /// # Errors
    /// [`Error::NotEnoughData`] when the starting base is empty.
    pub fn churn(&self) -> Result<f64> {
        if self.start == 0 {
            return Err(Error::NotEnoughData {
                what: "churn (customers at period start)",
                needed: 1,
                got: 0,
            });
        }
        Ok(self.lost as f64 / self.start as f64)
    }

    /// Retention `r = 1 − c = (N_start − L) / N_start`.
    ///
    /// # Errors
    /// As [`PeriodCounts::churn`].
    pub fn retention(&self) -> Result<f64> {
        self.churn()?;
        Ok((self.start - self.lost) as f64 / self.start as f64)
    }

    /// Average-base churn `L / ((N_start + N_end) / 2)`, a smoother denominator for fast-growing
    /// bases (it can differ markedly from [`PeriodCounts::churn`]).
    ///
    /// # Errors
    /// [`Error::NotEnoughData`] when both bases are empty; [`Error::Overflow`] as in
    /// [`PeriodCounts::end`].
    pub fn average_base_churn(&self) -> Result<f64> {
        let base = self.start as f64 + self.end()? as f64;
        if base == 0.0 {
            return Err(Error::NotEnoughData { what: "average-base churn (customers)", needed: 1, got: 0 });
        }
        Ok(2.0 * self.lost as f64 / base)
    }

    /// The sum of two periods' counts for the same period (for example two regions).
    ///
    /// # Errors
    /// [`Error::Overflow`] when a count exceeds `u64`.
    pub fn checked_add(&self, other: &Self) -> Result<Self> {
        let add = |a: u64, b: u64, what| a.checked_add(b).ok_or(Error::overflow(what));
        Ok(PeriodCounts {
            start: add(self.start, other.start, "customers at period start")?,
            lost: add(self.lost, other.lost, "customers lost")?,
            new: add(self.new, other.new, "new customers")?,
        })
    }
}

impl Metric for PeriodCounts {
    type Input = CustomerStatus;
    type Output = ChurnRates;

    fn record(&mut self, status: CustomerStatus) -> Result<()> {
        let one = match status {
            CustomerStatus::Retained => PeriodCounts { start: 1, lost: 0, new: 0 },
            CustomerStatus::Lost => PeriodCounts { start: 1, lost: 1, new: 0 },
            CustomerStatus::New => PeriodCounts { start: 0, lost: 0, new: 1 },
        };
        *self = self.checked_add(&one)?;
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        *self = self.checked_add(other)?;
        Ok(())
    }

    /// `None` while the starting base is empty (churn undefined).
    fn value(&self) -> Option<ChurnRates> {
        Some(ChurnRates {
            churn: self.churn().ok()?,
            retention: self.retention().ok()?,
            average_base_churn: self.average_base_churn().ok()?,
        })
    }
}

checked_serde! {
    /// Revenue movements of the starting cohort over a period, in money ([`Decimal`]).
    ///
    /// `starting` is the recurring revenue (MRR, ARR…) of customers active at the start;
    /// `churned` is the revenue of those who left, `contraction` the decrease from those who stayed
    /// and downgraded, `expansion` the increase from those who stayed and upgraded. New customers'
    /// revenue is excluded. All amounts are `>= 0`, `starting > 0` and
    /// `churned + contraction <= starting` (checked by [`RevenueMovements::new`] and when
    /// deserialising). All arithmetic is checked.
    ///
    /// ```
    /// use customer_metrics::RevenueMovements;
    /// use rust_decimal::Decimal;
    ///
    /// // MRR 10,000 at the start; 500 churned, 300 contraction, 1,200 expansion.
    /// let q = RevenueMovements::new(
    ///     Decimal::from(10_000), Decimal::from(500), Decimal::from(300), Decimal::from(1_200))?;
    /// assert_eq!(q.gross_revenue_churn()?, Decimal::new(8, 2));      // (500+300)/10000 = 0.08
    /// assert_eq!(q.gross_revenue_retention()?, Decimal::new(92, 2)); // 0.92
    /// assert_eq!(q.net_revenue_retention()?, Decimal::new(104, 2));  // (10000−800+1200)/10000
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct RevenueMovements {
        starting: Decimal,
        churned: Decimal,
        contraction: Decimal,
        expansion: Decimal,
    }
    check = |m| RevenueMovements::new(m.starting, m.churned, m.contraction, m.expansion)
}

impl RevenueMovements {
    /// Checked constructor (see the type's docs for the rules).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `starting_revenue` when it is not `> 0` (zero starting
    /// revenue makes every ratio undefined), naming `churned`, `contraction` or `expansion`
    /// when negative, or naming `churned + contraction` when it exceeds the starting revenue;
    /// [`Error::Overflow`] if that sum overflows.
    pub fn new(
        starting: Decimal,
        churned: Decimal,
        contraction: Decimal,
        expansion: Decimal,
    ) -> Result<Self> {
        if starting <= Decimal::ZERO {
            return Err(Error::param("starting_revenue", starting, "an amount > 0"));
        }
        for (name, value) in [("churned", churned), ("contraction", contraction), ("expansion", expansion)] {
            if value.is_sign_negative() && !value.is_zero() {
                return Err(Error::param(name, value, "an amount >= 0"));
            }
        }
        let lost =
            churned.checked_add(contraction).ok_or(Error::overflow("churned + contraction revenue"))?;
        if lost > starting {
            return Err(Error::param("churned + contraction", lost, "at most the starting revenue"));
        }
        Ok(RevenueMovements { starting, churned, contraction, expansion })
    }

    /// Starting revenue of the cohort.
    #[must_use]
    pub fn starting(&self) -> Decimal {
        self.starting
    }

    /// Revenue lost to customers who left.
    #[must_use]
    pub fn churned(&self) -> Decimal {
        self.churned
    }

    /// Revenue lost to downgrades of customers who stayed.
    #[must_use]
    pub fn contraction(&self) -> Decimal {
        self.contraction
    }

    /// Revenue gained from upgrades of customers who stayed.
    #[must_use]
    pub fn expansion(&self) -> Decimal {
        self.expansion
    }

    /// `numerator / starting`, checked.
    fn ratio(&self, numerator: Decimal) -> Result<Decimal> {
        numerator.checked_div(self.starting).ok_or(Error::overflow("revenue ratio"))
    }

    /// Gross revenue churn `(churned + contraction) / starting`, in `[0, 1]`.
    ///
    /// # Errors
    /// [`Error::Overflow`] if the division overflows.
    pub fn gross_revenue_churn(&self) -> Result<Decimal> {
        self.ratio(self.churned + self.contraction)
    }

    /// Gross revenue retention `GRR = (starting − churned − contraction) / starting`, in `[0, 1]`.
    ///
    /// # Errors
    /// [`Error::Overflow`] if the division overflows.
    pub fn gross_revenue_retention(&self) -> Result<Decimal> {
        self.ratio(self.starting - self.churned - self.contraction)
    }

    /// Net revenue retention `NRR = (starting − churned − contraction + expansion) / starting`
    /// (starting cohort only; can exceed 1).
    ///
    /// # Errors
    /// [`Error::Overflow`] if the sum or the division overflows.
    pub fn net_revenue_retention(&self) -> Result<Decimal> {
        let kept = self.starting - self.churned - self.contraction;
        self.ratio(kept.checked_add(self.expansion).ok_or(Error::overflow("net retained revenue"))?)
    }
}

checked_serde! {
    /// One starting-cohort customer's recurring revenue at the start and at the end of a period:
    /// the input of [`RevenueRetention`]. `start > 0` (only customers paying at the start belong
    /// to the starting cohort; leave new customers out) and `end >= 0` (0 means churned).
    /// Deserialising runs the same checks as [`CustomerRevenue::new`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct CustomerRevenue {
        start: Decimal,
        end: Decimal,
    }
    check = |c| CustomerRevenue::new(c.start, c.end)
}

impl CustomerRevenue {
    /// A customer's revenue at the start and end of the period.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `start` when it is not `> 0`, or `end` when negative.
    pub fn new(start: Decimal, end: Decimal) -> Result<Self> {
        if start <= Decimal::ZERO {
            return Err(Error::param("start", start, "revenue > 0 (a member of the starting cohort)"));
        }
        if end < Decimal::ZERO {
            return Err(Error::param("end", end, "revenue >= 0 (0 when the customer churned)"));
        }
        Ok(CustomerRevenue { start, end })
    }

    /// Revenue at the start.
    #[must_use]
    pub fn start(&self) -> Decimal {
        self.start
    }

    /// Revenue at the end (0 when churned).
    #[must_use]
    pub fn end(&self) -> Decimal {
        self.end
    }
}

checked_serde! {
    /// A mergeable revenue-retention accumulator over the starting cohort's customers.
    ///
    /// Each [`CustomerRevenue`] adds its start to the starting revenue and classifies the change:
    /// `end = 0` → churned (`start`), `0 < end < start` → contraction (`start − end`),
    /// `end > start` → expansion (`end − start`). Sums are exact [`Decimal`] additions (checked:
    /// [`Error::Overflow`]), so shards merge exactly. [`Metric::value`] is the
    /// [`RevenueMovements`], `None` while nothing was recorded.
    ///
    /// ```
    /// use customer_metrics::{CustomerRevenue, Metric, RevenueRetention};
    /// use rust_decimal::Decimal;
    ///
    /// let d = Decimal::from;
    /// let mut r = RevenueRetention::default();
    /// r.record(CustomerRevenue::new(d(100), d(0))?)?;   // churned 100
    /// r.record(CustomerRevenue::new(d(200), d(150))?)?; // contraction 50
    /// r.record(CustomerRevenue::new(d(300), d(400))?)?; // expansion 100
    /// let m = r.value().expect("three customers");
    /// // GRR = (600 − 100 − 50)/600 = 0.75; NRR = (600 − 150 + 100)/600 = 0.91666…
    /// assert_eq!(m.gross_revenue_retention()?, Decimal::new(75, 2));
    /// assert_eq!(m.net_revenue_retention()?.round_dp(4), Decimal::new(9167, 4));
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct RevenueRetention {
        starting: Decimal,
        churned: Decimal,
        contraction: Decimal,
        expansion: Decimal,
    }
    check = RevenueRetention::checked
}

impl RevenueRetention {
    /// Checks a deserialised state: empty, or valid [`RevenueMovements`].
    fn checked(self) -> Result<Self> {
        if self.starting.is_zero() && (self.churned, self.contraction, self.expansion) == Default::default() {
            return Ok(RevenueRetention::default());
        }
        let m = RevenueMovements::new(self.starting, self.churned, self.contraction, self.expansion)?;
        Ok(RevenueRetention {
            starting: m.starting,
            churned: m.churned,
            contraction: m.contraction,
            expansion: m.expansion,
        })
    }
}

impl RevenueRetention {
    /// Field-wise checked sum.
    fn checked_add(&self, other: &Self) -> Result<Self> {
        let add = |a: Decimal, b: Decimal, what| a.checked_add(b).ok_or(Error::overflow(what));
        Ok(RevenueRetention {
            starting: add(self.starting, other.starting, "starting revenue")?,
            churned: add(self.churned, other.churned, "churned revenue")?,
            contraction: add(self.contraction, other.contraction, "contraction revenue")?,
            expansion: add(self.expansion, other.expansion, "expansion revenue")?,
        })
    }
}

impl Metric for RevenueRetention {
    type Input = CustomerRevenue;
    type Output = RevenueMovements;

    fn record(&mut self, customer: CustomerRevenue) -> Result<()> {
        let (start, end) = (customer.start, customer.end);
        let mut one = RevenueRetention { starting: start, ..RevenueRetention::default() };
        if end.is_zero() {
            one.churned = start;
        } else if end < start {
            one.contraction = start - end;
        } else {
            one.expansion = end - start;
        }
        *self = self.checked_add(&one)?;
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        *self = self.checked_add(other)?;
        Ok(())
    }

    fn value(&self) -> Option<RevenueMovements> {
        RevenueMovements::new(self.starting, self.churned, self.contraction, self.expansion).ok()
    }
}

/// Checks that `value` is a probability in `[0, 1]`, naming it.
fn check_probability(name: &'static str, value: f64) -> Result<f64> {
    crate::error::check_range(name, value, 0.0, 1.0, "a probability in [0, 1]")
}

/// Converts a churn rate between period lengths, assuming a constant per-period hazard:
/// `c_target = 1 − (1 − c)^ratio`, with `ratio = target length / source length` (12 for
/// monthly → annual, 1/12 for annual → monthly, 7/30 for 30-day → weekly; any `ratio > 0`).
///
/// Computed as `−expm1(ratio · ln1p(−c))`, accurate for tiny churn. Not `ratio · c`, which
/// overstates annual churn (5 % monthly is 46 % a year, not 60 %).
///
/// ```
/// use customer_metrics::retention::rescale_churn;
///
/// let annual = rescale_churn(0.05, 12.0)?;
/// assert!((annual - 0.459_639_912_0).abs() < 1e-9); // 1 − 0.95^12
/// let monthly = rescale_churn(annual, 1.0 / 12.0)?;
/// assert!((monthly - 0.05).abs() < 1e-15);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `churn` when not in `[0, 1]`, or `ratio` when not finite
/// and `> 0`.
pub fn rescale_churn(churn: f64, ratio: f64) -> Result<f64> {
    let churn = check_probability("churn", churn)?;
    if !(ratio.is_finite() && ratio > 0.0) {
        return Err(Error::param("ratio", ratio, "a finite ratio of period lengths > 0"));
    }
    Ok((-(ratio * (-churn).ln_1p()).exp_m1()).clamp(0.0, 1.0))
}

/// Converts a retention rate between period lengths: `r_target = r^ratio` (see
/// [`rescale_churn`], of which this is the complement).
///
/// # Errors
/// [`Error::InvalidParameter`] naming `retention` when not in `[0, 1]`, or `ratio` as in
/// [`rescale_churn`].
pub fn rescale_retention(retention: f64, ratio: f64) -> Result<f64> {
    let retention = check_probability("retention", retention)?;
    Ok(1.0 - rescale_churn(1.0 - retention, ratio)?)
}

/// Annual churn from monthly churn: `1 − (1 − c)^12` ([`rescale_churn`] with ratio 12).
///
/// # Errors
/// As [`rescale_churn`].
pub fn annual_churn_from_monthly(monthly: f64) -> Result<f64> {
    rescale_churn(monthly, 12.0)
}

/// Monthly churn from annual churn: `1 − (1 − c)^(1/12)`.
///
/// # Errors
/// As [`rescale_churn`].
pub fn monthly_churn_from_annual(annual: f64) -> Result<f64> {
    rescale_churn(annual, 1.0 / 12.0)
}

/// Expected lifetime in periods with a constant churn `c` per period, *counting the current
/// period*: `E[L] = 1/c` (a geometric lifetime on 1, 2, …). With 5 % monthly churn, 20 months.
///
/// With heterogeneous customers the cohort's retention rises over time (Fader & Hardie 2010),
/// so `1/c` from an early cohort understates survivors' lifetimes.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `churn` when not in `(0, 1]` (with zero churn the
/// lifetime is infinite).
pub fn expected_lifetime(churn: f64) -> Result<f64> {
    let churn = check_probability("churn", churn)?;
    if churn == 0.0 {
        return Err(Error::param(
            "churn",
            churn,
            "a churn rate in (0, 1]; zero churn means an infinite lifetime",
        ));
    }
    Ok(1.0 / churn)
}

/// Expected number of *future* periods a customer active now stays, with a constant retention
/// `r` per period: `r / (1 − r)` (= `1/c − 1`, i.e. [`expected_lifetime`] without the current
/// period).
///
/// # Errors
/// [`Error::InvalidParameter`] naming `retention` when not in `[0, 1)`.
pub fn expected_future_periods(retention: f64) -> Result<f64> {
    let retention = check_probability("retention", retention)?;
    if retention == 1.0 {
        return Err(Error::param(
            "retention",
            retention,
            "a retention rate in [0, 1); 1 means an infinite lifetime",
        ));
    }
    Ok(retention / (1.0 - retention))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_hand() {
        // 50 at start, 5 lost, 20 new: c = 0.1, r = 0.9, N_end = 65, avg base = 57.5.
        let c = PeriodCounts::new(50, 5, 20).unwrap();
        assert_eq!(c.end().unwrap(), 65);
        assert_eq!(c.churn().unwrap(), 0.1);
        assert_eq!(c.retention().unwrap(), 0.9);
        assert!((c.average_base_churn().unwrap() - 5.0 / 57.5).abs() < 1e-15);
        assert!(matches!(PeriodCounts::new(3, 4, 0), Err(Error::InvalidParameter { name: "lost", .. })));
        assert!(matches!(PeriodCounts::new(0, 0, 9).unwrap().churn(), Err(Error::NotEnoughData { .. })));
        assert_eq!(PeriodCounts::new(0, 0, 9).unwrap().value(), None);
        let big = PeriodCounts::new(u64::MAX, 0, 1).unwrap();
        assert!(matches!(big.end(), Err(Error::Overflow { .. })));
        let mut m = big;
        assert!(matches!(m.record(CustomerStatus::Retained), Err(Error::Overflow { .. })));
        assert_eq!(m, big);
    }

    #[test]
    fn record_statuses() {
        let mut m = PeriodCounts::default();
        m.record_all([
            CustomerStatus::Retained,
            CustomerStatus::Lost,
            CustomerStatus::New,
            CustomerStatus::Retained,
        ])
        .unwrap();
        assert_eq!(m, PeriodCounts::new(3, 1, 1).unwrap());
        let v = m.value().unwrap();
        assert!((v.churn - 1.0 / 3.0).abs() < 1e-15);
        assert!((v.average_base_churn - 1.0 / 3.0).abs() < 1e-15); // (3 + 3) / 2 = 3
    }

    #[test]
    fn revenue_by_hand() {
        let d = Decimal::from;
        // Start 2,000; churned 100; contraction 50; expansion 400:
        // gross churn 150/2000 = 0.075; GRR 0.925; NRR 2250/2000 = 1.125.
        let r = RevenueMovements::new(d(2000), d(100), d(50), d(400)).unwrap();
        assert_eq!(r.gross_revenue_churn().unwrap(), Decimal::new(75, 3));
        assert_eq!(r.gross_revenue_retention().unwrap(), Decimal::new(925, 3));
        assert_eq!(r.net_revenue_retention().unwrap(), Decimal::new(1125, 3));
        assert!(matches!(
            RevenueMovements::new(d(0), d(0), d(0), d(0)),
            Err(Error::InvalidParameter { name: "starting_revenue", .. })
        ));
        assert!(matches!(
            RevenueMovements::new(d(10), d(-1), d(0), d(0)),
            Err(Error::InvalidParameter { name: "churned", .. })
        ));
        assert!(RevenueMovements::new(d(10), d(6), d(5), d(0)).is_err());
        assert!(matches!(
            RevenueMovements::new(Decimal::MAX, d(0), d(0), Decimal::MAX).unwrap().net_revenue_retention(),
            Err(Error::Overflow { .. })
        ));
    }

    #[test]
    fn revenue_accumulator_by_hand() {
        let d = Decimal::from;
        let mut r = RevenueRetention::default();
        assert_eq!(r.value(), None);
        // Start 50 → 50 (flat), 30 → 0 (churned), 20 → 25 (expansion 5): 100 start.
        r.record_all([
            CustomerRevenue::new(d(50), d(50)).unwrap(),
            CustomerRevenue::new(d(30), d(0)).unwrap(),
            CustomerRevenue::new(d(20), d(25)).unwrap(),
        ])
        .unwrap();
        let m = r.value().unwrap();
        assert_eq!(m, RevenueMovements::new(d(100), d(30), d(0), d(5)).unwrap());
        assert_eq!(m.net_revenue_retention().unwrap(), Decimal::new(75, 2));
        assert!(matches!(
            CustomerRevenue::new(d(0), d(1)),
            Err(Error::InvalidParameter { name: "start", .. })
        ));
        assert!(matches!(
            CustomerRevenue::new(d(1), d(-1)),
            Err(Error::InvalidParameter { name: "end", .. })
        ));
        let mut big = RevenueRetention::default();
        big.record(CustomerRevenue::new(Decimal::MAX, Decimal::MAX).unwrap()).unwrap();
        let before = big;
        assert!(matches!(big.merge(&before), Err(Error::Overflow { .. })));
        assert_eq!(big, before);
    }

    #[test]
    fn conversions_by_hand() {
        // 1 − 0.95^12 = 0.45963991233736334 (0.95^12 = 0.54036008766263666, by repeated squaring).
        assert!((annual_churn_from_monthly(0.05).unwrap() - 0.459_639_912_337_363_3).abs() < 1e-15);
        // 1 − 0.5^(1/12) = 0.056125687318306...
        assert!((monthly_churn_from_annual(0.5).unwrap() - 0.056_125_687_318_306_4).abs() < 1e-15);
        // Quarter → year: 1 − 0.9^4 = 0.3439. Half a period: 1 − sqrt(0.64) = 0.2.
        assert!((rescale_churn(0.1, 4.0).unwrap() - 0.3439).abs() < 1e-15);
        assert!((rescale_churn(0.36, 0.5).unwrap() - 0.2).abs() < 1e-15);
        assert!((rescale_retention(0.64, 0.5).unwrap() - 0.8).abs() < 1e-15);
        assert_eq!(rescale_churn(1.0, 0.5).unwrap(), 1.0);
        assert_eq!(rescale_churn(0.0, 7.0).unwrap(), 0.0);
        for bad in [f64::NAN, -0.1, 1.1, f64::INFINITY] {
            assert!(matches!(rescale_churn(bad, 12.0), Err(Error::InvalidParameter { name: "churn", .. })));
        }
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(rescale_churn(0.1, bad), Err(Error::InvalidParameter { name: "ratio", .. })));
        }
        assert_eq!(expected_lifetime(0.05).unwrap(), 20.0);
        assert!((expected_future_periods(0.95).unwrap() - 19.0).abs() < 1e-12);
        assert!(expected_lifetime(0.0).is_err() && expected_future_periods(1.0).is_err());
    }
}
