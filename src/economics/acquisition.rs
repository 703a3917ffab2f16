//! Acquisition economics: CAC (blended and by channel), LTV:CAC, CAC payback, contribution
//! margin, and the unit-economics summary that links to revenue retention.

use rust_decimal::Decimal;

use crate::serde_checked::checked_serde;
use crate::{Error, Metric, Result, RevenueMovements};

fn non_negative(name: &'static str, value: Decimal) -> Result<Decimal> {
    if value < Decimal::ZERO {
        return Err(Error::param(name, value, "an amount >= 0"));
    }
    Ok(value)
}

fn positive(name: &'static str, value: Decimal, expected: &'static str) -> Result<Decimal> {
    if value <= Decimal::ZERO {
        return Err(Error::param(name, value, expected));
    }
    Ok(value)
}

checked_serde! {
    /// Acquisition spend and the new customers it won, for one channel and period (or one
    /// campaign): the input of [`AcquisitionCost`]. Spend `>= 0`; record organic customers with
    /// zero spend.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct Acquisitions {
        spend: Decimal,
        customers: u64,
    }
    check = |a| Acquisitions::new(a.spend, a.customers)
}

impl Acquisitions {
    /// `spend` (sales and marketing spend attributable to acquisition) that won `customers` new
    /// customers.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `spend` when negative.
    pub fn new(spend: Decimal, customers: u64) -> Result<Self> {
        Ok(Acquisitions { spend: non_negative("spend", spend)?, customers })
    }

    /// Spend on acquisition.
    #[must_use]
    pub fn spend(&self) -> Decimal {
        self.spend
    }

    /// New customers won.
    #[must_use]
    pub fn customers(&self) -> u64 {
        self.customers
    }
}

checked_serde! {
    /// A mergeable customer-acquisition-cost accumulator: total acquisition spend (exact
    /// [`Decimal`]) and new customers (integer), with checked sums so the [`Metric`] laws hold
    /// exactly.
    ///
    /// `CAC = acquisition spend / new customers acquired` (FORMULAS §6.4; Skok, "SaaS Metrics
    /// 2.0"). Kept per channel in a [`Segmented<Channel, AcquisitionCost>`](crate::Segmented),
    /// the report's `total` is the **blended CAC** (all spend over all new customers, organic
    /// ones included) and each segment is that channel's CAC; **paid CAC** is
    /// [`Segmented::rest`](crate::Segmented::rest) of the organic channel (paid spend over
    /// paid-attributed customers). [`Metric::value`] is the [`Cac`], `None` while no customer
    /// was acquired (CAC undefined).
    ///
    /// ```
    /// use customer_metrics::{Acquisitions, AcquisitionCost, Metric, Segmented};
    /// use rust_decimal::Decimal;
    ///
    /// let d = Decimal::from;
    /// let mut by_channel: Segmented<&str, AcquisitionCost> = Segmented::default();
    /// by_channel.record(("search", Acquisitions::new(d(6_000), 40)?))?;
    /// by_channel.record(("social", Acquisitions::new(d(4_000), 20)?))?;
    /// by_channel.record(("organic", Acquisitions::new(d(0), 40)?))?;
    /// let report = by_channel.value().expect("customers acquired");
    /// assert_eq!(report.total.cac, d(100));          // blended: 10,000 / 100
    /// assert_eq!(report.segments["social"].cac, d(200));
    /// let paid = by_channel.rest(&"organic")?.value().expect("paid customers");
    /// assert_eq!(paid.cac.round_dp(2), Decimal::new(16_667, 2)); // 10,000 / 60
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct AcquisitionCost {
        records: u64,
        spend: Decimal,
        customers: u64,
    }
    check = |a| {
        Acquisitions::new(a.spend, a.customers)?;
        if a.records == 0 && (a.spend, a.customers) != (Decimal::ZERO, 0) {
            return Err(Error::Mismatch { what: "acquisition cost: spend or customers without any record".into() });
        }
        Ok(a)
    }
}

impl AcquisitionCost {
    /// Number of [`Acquisitions`] recorded (so that a record of zero spend and zero customers
    /// still counts, and a [`Segmented`](crate::Segmented) channel is never empty).
    #[must_use]
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Total spend recorded.
    #[must_use]
    pub fn spend(&self) -> Decimal {
        self.spend
    }

    /// New customers recorded.
    #[must_use]
    pub fn customers(&self) -> u64 {
        self.customers
    }

    fn checked_add(&self, records: u64, spend: Decimal, customers: u64) -> Result<Self> {
        Ok(AcquisitionCost {
            records: self.records.checked_add(records).ok_or(Error::overflow("acquisition records"))?,
            spend: self.spend.checked_add(spend).ok_or(Error::overflow("acquisition spend"))?,
            customers: self.customers.checked_add(customers).ok_or(Error::overflow("new customers"))?,
        })
    }
}

impl Metric for AcquisitionCost {
    type Input = Acquisitions;
    type Output = Cac;

    fn record(&mut self, input: Acquisitions) -> Result<()> {
        *self = self.checked_add(1, input.spend, input.customers)?;
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        *self = self.checked_add(other.records, other.spend, other.customers)?;
        Ok(())
    }

    /// `None` while no customer was acquired.
    fn value(&self) -> Option<Cac> {
        Cac::new(self.spend, self.customers).ok()
    }
}

checked_serde! {
    /// Customer acquisition cost: `cac = spend / customers` (the output of [`AcquisitionCost`]).
    /// Deserialising recomputes `cac` and rejects a value that disagrees.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct Cac {
        /// Acquisition spend.
        pub spend: Decimal,
        /// New customers acquired (`>= 1`).
        pub customers: u64,
        /// `spend / customers`.
        pub cac: Decimal,
    }
    check = |c| {
        let expected = Cac::new(c.spend, c.customers)?;
        if expected.cac != c.cac {
            return Err(Error::Mismatch { what: format!("CAC {} is not spend / customers = {}", c.cac, expected.cac) });
        }
        Ok(expected)
    }
}

impl Cac {
    /// The CAC of `spend` over `customers` new customers.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `spend` when negative; [`Error::NotEnoughData`] when
    /// `customers = 0`; [`Error::Overflow`] if the division overflows.
    pub fn new(spend: Decimal, customers: u64) -> Result<Self> {
        let spend = non_negative("spend", spend)?;
        if customers == 0 {
            return Err(Error::NotEnoughData { what: "CAC (new customers)", needed: 1, got: 0 });
        }
        let cac = spend.checked_div(Decimal::from(customers)).ok_or(Error::overflow("CAC"))?;
        Ok(Cac { spend, customers, cac })
    }
}

/// Contribution margin of `revenue` after `variable_costs` (cost of goods, cost to serve and
/// other costs that scale with sales): the amount `revenue − variable_costs` and the ratio
/// `(revenue − variable_costs) / revenue` (Farris et al., *Marketing Metrics*, ch. 3).
///
/// ```
/// use customer_metrics::economics::contribution_margin;
/// use rust_decimal::Decimal;
///
/// let (amount, ratio) = contribution_margin(Decimal::from(80), Decimal::from(60))?;
/// assert_eq!((amount, ratio), (Decimal::from(20), Decimal::new(25, 2)));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `revenue` when not `> 0` or `variable_costs` when
/// negative; [`Error::Overflow`] if a step overflows.
pub fn contribution_margin(revenue: Decimal, variable_costs: Decimal) -> Result<(Decimal, Decimal)> {
    let revenue = positive("revenue", revenue, "revenue > 0 (the margin ratio divides by it)")?;
    let costs = non_negative("variable_costs", variable_costs)?;
    let amount = revenue.checked_sub(costs).ok_or(Error::overflow("contribution margin"))?;
    let ratio = amount.checked_div(revenue).ok_or(Error::overflow("contribution margin ratio"))?;
    Ok((amount, ratio))
}

/// The LTV:CAC ratio `ltv / cac` (3 or more is the common health heuristic; Skok, "SaaS
/// Metrics 2.0"). `ltv` is any lifetime value — a formula or model-based CLV of the value
/// module, or [`simple_ltv`] — net of nothing: CAC is the denominator.
///
/// ```
/// use customer_metrics::economics::ltv_to_cac;
/// use rust_decimal::Decimal;
///
/// assert_eq!(ltv_to_cac(Decimal::from(900), Decimal::from(300))?, Decimal::from(3));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `cac` when not `> 0`; [`Error::Overflow`] if the
/// division overflows.
pub fn ltv_to_cac(ltv: Decimal, cac: Decimal) -> Result<Decimal> {
    let cac = positive("cac", cac, "a CAC > 0 (with free acquisition the ratio is unbounded)")?;
    ltv.checked_div(cac).ok_or(Error::overflow("LTV:CAC"))
}

/// The SaaS shortcut lifetime value `LTV = margin per period / churn per period`
/// (= ARPA × gross margin % / churn; FORMULAS §6.4): undiscounted, margin earned every period
/// while active, constant churn `c` counting the current period (expected lifetime `1/c`:
/// [`expected_lifetime`](crate::expected_lifetime)). Prefer a discounted formula CLV or a
/// model-based CLV for decisions; this is the figure most dashboards show.
///
/// ```
/// use customer_metrics::economics::simple_ltv;
/// use rust_decimal::Decimal;
///
/// // ARPA 50 a month at 80 % gross margin = 40 a month; 2 % monthly churn: 40 / 0.02 = 2,000.
/// assert_eq!(simple_ltv(Decimal::from(40), 0.02)?, Decimal::from(2_000));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `churn` when not in `(0, 1]`, or `margin_per_period`
/// when negative; [`Error::Overflow`] if the division overflows.
pub fn simple_ltv(margin_per_period: Decimal, churn: f64) -> Result<Decimal> {
    let margin = non_negative("margin_per_period", margin_per_period)?;
    if !(churn.is_finite() && churn > 0.0 && churn <= 1.0) {
        return Err(Error::param("churn", churn, "a churn rate per period in (0, 1]"));
    }
    let churn =
        Decimal::try_from(churn).map_err(|_| Error::param("churn", churn, "a churn rate in (0, 1]"))?;
    if churn.is_zero() {
        return Err(Error::param("churn", churn, "a churn rate in (0, 1] above Decimal's resolution"));
    }
    margin.checked_div(churn).ok_or(Error::overflow("simple LTV"))
}

/// CAC payback in periods, the simple form `CAC / margin per period`
/// (= CAC / (ARPA × gross margin %); target under 12 months: Skok, "SaaS Metrics 2.0").
/// Fractional: 2.5 means half-way through the third period. It ignores churn and discounting;
/// [`payback_period`] uses a margin series instead.
///
/// ```
/// use customer_metrics::economics::cac_payback_periods;
/// use rust_decimal::Decimal;
///
/// // CAC 480, ARPA 50 a month at 80 % margin = 40 a month: 12 months.
/// assert_eq!(cac_payback_periods(Decimal::from(480), Decimal::from(40))?, Decimal::from(12));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `cac` when negative or `margin_per_period` when not
/// `> 0` (without margin CAC is never paid back); [`Error::Overflow`] if the division overflows.
pub fn cac_payback_periods(cac: Decimal, margin_per_period: Decimal) -> Result<Decimal> {
    let cac = non_negative("cac", cac)?;
    let margin = positive("margin_per_period", margin_per_period, "a margin per period > 0")?;
    cac.checked_div(margin).ok_or(Error::overflow("CAC payback"))
}

/// CAC payback from a series of per-period margins (for example a cohort's margin per acquired
/// customer, which already reflects churn): the number of whole periods `k` such that the
/// cumulative margin of periods `1..=k` first reaches `cac`, or `None` when the series never
/// pays it back. `Some(0)` when `cac = 0`. Margins may be negative (a loss-making period).
///
/// ```
/// use customer_metrics::economics::payback_period;
/// use rust_decimal::Decimal;
///
/// let d = Decimal::from;
/// // CAC 100; margins 30, 30, 25, 20: cumulative 30, 60, 85, 105 → paid back in period 4.
/// assert_eq!(payback_period(d(100), &[d(30), d(30), d(25), d(20)])?, Some(4));
/// assert_eq!(payback_period(d(100), &[d(30), d(30)])?, None);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `cac` when negative; [`Error::Overflow`] if the
/// cumulative margin overflows.
pub fn payback_period(cac: Decimal, margins: &[Decimal]) -> Result<Option<u64>> {
    let cac = non_negative("cac", cac)?;
    if cac.is_zero() {
        return Ok(Some(0));
    }
    let mut cumulative = Decimal::ZERO;
    for (period, margin) in (1u64..).zip(margins) {
        cumulative = cumulative.checked_add(*margin).ok_or(Error::overflow("cumulative margin"))?;
        if cumulative >= cac {
            return Ok(Some(period));
        }
    }
    Ok(None)
}

checked_serde! {
    /// Unit economics of a customer base in one report: CAC, the SaaS-shortcut LTV, LTV:CAC,
    /// CAC payback, and gross and net revenue retention.
    ///
    /// GRR and NRR are not computed here: they are read from the
    /// [`RevenueMovements`] of the retention module
    /// ([`RevenueMovements::gross_revenue_retention`],
    /// [`RevenueMovements::net_revenue_retention`]; accumulate them per customer with
    /// [`RevenueRetention`](crate::RevenueRetention)), so there is one definition of each.
    ///
    /// ```
    /// use customer_metrics::{Cac, RevenueMovements, UnitEconomics};
    /// use rust_decimal::Decimal;
    ///
    /// let d = Decimal::from;
    /// let cac = Cac::new(d(24_000), 50)?; // 480 per customer
    /// let revenue = RevenueMovements::new(d(10_000), d(500), d(300), d(1_200))?;
    /// let unit = UnitEconomics::new(&cac, d(40), 0.02, Some(&revenue))?;
    /// assert_eq!(unit.ltv, d(2_000));                    // 40 / 0.02
    /// assert_eq!(unit.ltv_to_cac.round_dp(4), Decimal::new(41_667, 4)); // 2,000 / 480
    /// assert_eq!(unit.payback_periods, d(12));          // 480 / 40
    /// assert_eq!(unit.gross_revenue_retention, Some(Decimal::new(92, 2)));
    /// assert_eq!(unit.net_revenue_retention, Some(Decimal::new(104, 2)));
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct UnitEconomics {
        /// Customer acquisition cost.
        pub cac: Decimal,
        /// Margin per customer per period (ARPA × gross margin %).
        pub margin_per_period: Decimal,
        /// [`simple_ltv`]: margin per period / churn.
        pub ltv: Decimal,
        /// [`ltv_to_cac`] (0 when CAC is 0 is not allowed: CAC must be `> 0`).
        pub ltv_to_cac: Decimal,
        /// [`cac_payback_periods`].
        pub payback_periods: Decimal,
        /// GRR of the starting cohort, when revenue movements were given.
        pub gross_revenue_retention: Option<Decimal>,
        /// NRR of the starting cohort, when revenue movements were given.
        pub net_revenue_retention: Option<Decimal>,
    }
    check = UnitEconomics::checked
}

impl UnitEconomics {
    /// The report for a base with `cac`, `margin_per_period` per customer, logo `churn` per
    /// period, and optionally the starting cohort's revenue movements (the same period length
    /// throughout).
    ///
    /// # Errors
    /// As [`simple_ltv`], [`ltv_to_cac`] (a zero CAC is an error) and [`cac_payback_periods`];
    /// [`Error::Overflow`] from the revenue ratios.
    pub fn new(
        cac: &Cac,
        margin_per_period: Decimal,
        churn: f64,
        revenue: Option<&RevenueMovements>,
    ) -> Result<Self> {
        let ltv = simple_ltv(margin_per_period, churn)?;
        Ok(UnitEconomics {
            cac: cac.cac,
            margin_per_period,
            ltv,
            ltv_to_cac: ltv_to_cac(ltv, cac.cac)?,
            payback_periods: cac_payback_periods(cac.cac, margin_per_period)?,
            gross_revenue_retention: revenue.map(RevenueMovements::gross_revenue_retention).transpose()?,
            net_revenue_retention: revenue.map(RevenueMovements::net_revenue_retention).transpose()?,
        })
    }

    /// Checks a deserialised report: the derived ratios agree with CAC, margin and LTV, and
    /// GRR ∈ [0, 1], NRR >= 0.
    fn checked(self) -> Result<Self> {
        let ratio = ltv_to_cac(self.ltv, self.cac)?;
        let payback = cac_payback_periods(self.cac, self.margin_per_period)?;
        non_negative("ltv", self.ltv)?;
        if ratio != self.ltv_to_cac || payback != self.payback_periods {
            return Err(Error::Mismatch {
                what: "unit economics: LTV:CAC or payback disagrees with its inputs".into(),
            });
        }
        if let Some(grr) = self.gross_revenue_retention {
            if grr < Decimal::ZERO || grr > Decimal::ONE {
                return Err(Error::param("gross_revenue_retention", grr, "a share in [0, 1]"));
            }
        }
        if let Some(nrr) = self.net_revenue_retention {
            non_negative("net_revenue_retention", nrr)?;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    #[test]
    fn cac_by_hand() {
        let mut m = AcquisitionCost::default();
        assert_eq!(m.value(), None);
        m.record(Acquisitions::new(d(500), 0).unwrap()).unwrap();
        assert_eq!(m.value(), None); // spend without customers: undefined
        m.record(Acquisitions::new(d(250), 3).unwrap()).unwrap();
        assert_eq!(m.value().unwrap().cac, d(250)); // 750 / 3
        assert!(matches!(Acquisitions::new(d(-1), 1), Err(Error::InvalidParameter { name: "spend", .. })));
        let mut big = AcquisitionCost::default();
        big.record(Acquisitions::new(Decimal::MAX, 1).unwrap()).unwrap();
        let before = big;
        assert!(matches!(big.merge(&before), Err(Error::Overflow { .. })));
        assert_eq!(big, before);
    }

    #[test]
    fn ratios_by_hand() {
        assert!(matches!(ltv_to_cac(d(1), d(0)), Err(Error::InvalidParameter { name: "cac", .. })));
        assert!(matches!(simple_ltv(d(1), 0.0), Err(Error::InvalidParameter { name: "churn", .. })));
        assert!(matches!(simple_ltv(d(1), f64::NAN), Err(Error::InvalidParameter { name: "churn", .. })));
        assert_eq!(simple_ltv(d(10), 1.0).unwrap(), d(10));
        assert!(cac_payback_periods(d(1), d(0)).is_err());
        assert_eq!(cac_payback_periods(d(90), d(40)).unwrap(), Decimal::new(225, 2));
        assert_eq!(payback_period(d(0), &[]).unwrap(), Some(0));
        // A loss in period 2: 50, −20, 80 → cumulative 50, 30, 110 ≥ 100 in period 3.
        assert_eq!(payback_period(d(100), &[d(50), d(-20), d(80)]).unwrap(), Some(3));
        assert!(contribution_margin(d(0), d(0)).is_err());
        assert_eq!(contribution_margin(d(50), d(60)).unwrap(), (d(-10), Decimal::new(-2, 1)));
    }
}
