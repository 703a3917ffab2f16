//! Customer profit and loss, the whale curve, cross-sell and up-sell revenue shares.

use std::collections::BTreeMap;
use std::fmt::Debug;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use crate::serde_checked::checked_serde;
use crate::{Error, Metric, Result, Segmented};

/// Checked sum naming the quantity.
fn add(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    a.checked_add(b).ok_or(Error::overflow(what))
}

/// Checked difference naming the quantity.
fn sub(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    a.checked_sub(b).ok_or(Error::overflow(what))
}

/// `numerator / denominator`, `None` when the denominator is 0.
fn share(numerator: Decimal, denominator: Decimal) -> Option<Decimal> {
    if denominator.is_zero() { None } else { numerator.checked_div(denominator) }
}

fn non_negative(name: &'static str, value: Decimal) -> Result<Decimal> {
    if value < Decimal::ZERO {
        return Err(Error::param(name, value, "an amount >= 0"));
    }
    Ok(value)
}

checked_serde! {
    /// One line of a customer profit and loss: revenue and the three costs charged against it,
    /// with the part of the revenue that came from cross-selling and up-selling. The input of
    /// [`ProfitAndLoss`].
    ///
    /// All amounts are `>= 0` (net refunds against revenue first) and
    /// `cross_sell + up_sell <= revenue` (checked by [`PnlEntry::new`],
    /// [`PnlEntry::with_revenue_mix`] and when deserialising).
    ///
    /// - *cost of goods*: the product cost of what was sold;
    /// - *cost to serve*: activity costs the customer caused (orders, deliveries, support calls,
    ///   returns: cost-driver rate × quantity, in activity-based costing);
    /// - *acquisition cost*: what was spent to win the customer (the customer's share of CAC).
    ///
    /// *Cross-sell* revenue is revenue from products of a category the customer had not bought
    /// before; *up-sell* revenue is the extra revenue of an upgrade to a higher tier of a product
    /// the customer already had. How purchases are classified is the caller's choice; the P&L
    /// only adds the amounts up.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct PnlEntry {
        revenue: Decimal,
        cost_of_goods: Decimal,
        cost_to_serve: Decimal,
        acquisition_cost: Decimal,
        #[serde(default)]
        cross_sell: Decimal,
        #[serde(default)]
        up_sell: Decimal,
    }
    check = |e| PnlEntry::new(e.revenue, e.cost_of_goods, e.cost_to_serve, e.acquisition_cost)?
        .with_revenue_mix(e.cross_sell, e.up_sell)
}

impl PnlEntry {
    /// A P&L line without cross-sell or up-sell revenue.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `revenue`, `cost_of_goods`, `cost_to_serve` or
    /// `acquisition_cost` when it is negative.
    pub fn new(
        revenue: Decimal,
        cost_of_goods: Decimal,
        cost_to_serve: Decimal,
        acquisition_cost: Decimal,
    ) -> Result<Self> {
        Ok(PnlEntry {
            revenue: non_negative("revenue", revenue)?,
            cost_of_goods: non_negative("cost_of_goods", cost_of_goods)?,
            cost_to_serve: non_negative("cost_to_serve", cost_to_serve)?,
            acquisition_cost: non_negative("acquisition_cost", acquisition_cost)?,
            cross_sell: Decimal::ZERO,
            up_sell: Decimal::ZERO,
        })
    }

    /// The same line with `cross_sell` and `up_sell` of its revenue marked as cross-sell and
    /// up-sell revenue (replacing any earlier marks).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `cross_sell` or `up_sell` when negative, or
    /// `cross_sell + up_sell` when the two exceed the revenue; [`Error::Overflow`] if their sum
    /// overflows.
    pub fn with_revenue_mix(mut self, cross_sell: Decimal, up_sell: Decimal) -> Result<Self> {
        non_negative("cross_sell", cross_sell)?;
        non_negative("up_sell", up_sell)?;
        let both = add(cross_sell, up_sell, "cross-sell + up-sell revenue")?;
        if both > self.revenue {
            return Err(Error::param("cross_sell + up_sell", both, "at most the line's revenue"));
        }
        self.cross_sell = cross_sell;
        self.up_sell = up_sell;
        Ok(self)
    }

    /// Revenue.
    #[must_use]
    pub fn revenue(&self) -> Decimal {
        self.revenue
    }

    /// Cost of goods sold.
    #[must_use]
    pub fn cost_of_goods(&self) -> Decimal {
        self.cost_of_goods
    }

    /// Cost to serve.
    #[must_use]
    pub fn cost_to_serve(&self) -> Decimal {
        self.cost_to_serve
    }

    /// Acquisition cost.
    #[must_use]
    pub fn acquisition_cost(&self) -> Decimal {
        self.acquisition_cost
    }

    /// Cross-sell revenue (part of [`revenue`](Self::revenue)).
    #[must_use]
    pub fn cross_sell(&self) -> Decimal {
        self.cross_sell
    }

    /// Up-sell revenue (part of [`revenue`](Self::revenue)).
    #[must_use]
    pub fn up_sell(&self) -> Decimal {
        self.up_sell
    }
}

checked_serde! {
    /// A mergeable customer profit and loss: the exact [`Decimal`] sums of [`PnlEntry`] lines
    /// and their number.
    ///
    /// Record one customer's lines into a `ProfitAndLoss` for that customer's P&L; use
    /// [`Segmented<CustomerId, ProfitAndLoss>`](Segmented) for every customer at once (the input
    /// of [`WhaleCurve::from_customers`]) and `Segmented<SegmentLabel, ProfitAndLoss>` for a P&L
    /// per segment. Sums are checked ([`Error::Overflow`]), so merges are exact and the
    /// [`Metric`] laws hold with equality. [`Metric::value`] is the [`PnlStatement`], `None`
    /// while nothing was recorded.
    ///
    /// ```
    /// use customer_metrics::{Metric, PnlEntry, ProfitAndLoss};
    /// use rust_decimal::Decimal;
    ///
    /// let d = Decimal::from;
    /// let mut pnl = ProfitAndLoss::default();
    /// // A first order: 120 revenue, 70 product cost, 15 to serve, 40 to acquire.
    /// pnl.record(PnlEntry::new(d(120), d(70), d(15), d(40))?)?;
    /// // A second order, 30 of its 80 revenue from a category the customer had not bought before.
    /// pnl.record(PnlEntry::new(d(80), d(44), d(10), d(0))?.with_revenue_mix(d(30), d(0))?)?;
    /// let p = pnl.value().expect("two lines");
    /// assert_eq!(p.gross_profit(), d(86));  // 200 − 114
    /// assert_eq!(p.contribution(), d(61));  // 86 − 25
    /// assert_eq!(p.profit(), d(21));        // 61 − 40
    /// assert_eq!(p.cross_sell_share(), Some(Decimal::new(15, 2))); // 30 / 200
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct ProfitAndLoss {
        lines: u64,
        revenue: Decimal,
        cost_of_goods: Decimal,
        cost_to_serve: Decimal,
        acquisition_cost: Decimal,
        cross_sell: Decimal,
        up_sell: Decimal,
    }
    check = ProfitAndLoss::checked
}

impl ProfitAndLoss {
    /// Checks a deserialised state: amounts `>= 0`, cross-sell + up-sell `<= revenue`, and an
    /// empty state has no amounts.
    fn checked(self) -> Result<Self> {
        let entry =
            PnlEntry::new(self.revenue, self.cost_of_goods, self.cost_to_serve, self.acquisition_cost)?
                .with_revenue_mix(self.cross_sell, self.up_sell)?;
        if self.lines == 0 && entry != PnlEntry::default() {
            return Err(Error::Mismatch { what: "profit and loss: amounts without any line".into() });
        }
        Ok(self)
    }

    fn checked_add(&self, other: &Self) -> Result<Self> {
        Ok(ProfitAndLoss {
            lines: self.lines.checked_add(other.lines).ok_or(Error::overflow("P&L lines"))?,
            revenue: add(self.revenue, other.revenue, "revenue")?,
            cost_of_goods: add(self.cost_of_goods, other.cost_of_goods, "cost of goods")?,
            cost_to_serve: add(self.cost_to_serve, other.cost_to_serve, "cost to serve")?,
            acquisition_cost: add(self.acquisition_cost, other.acquisition_cost, "acquisition cost")?,
            cross_sell: add(self.cross_sell, other.cross_sell, "cross-sell revenue")?,
            up_sell: add(self.up_sell, other.up_sell, "up-sell revenue")?,
        })
    }

    /// The statement of the lines recorded so far (`None` while empty).
    ///
    /// # Errors
    /// [`Error::Overflow`] when a profit line overflows.
    pub fn statement(&self) -> Result<Option<PnlStatement>> {
        if self.lines == 0 {
            return Ok(None);
        }
        PnlStatement::new(
            self.lines,
            PnlEntry {
                revenue: self.revenue,
                cost_of_goods: self.cost_of_goods,
                cost_to_serve: self.cost_to_serve,
                acquisition_cost: self.acquisition_cost,
                cross_sell: self.cross_sell,
                up_sell: self.up_sell,
            },
        )
        .map(Some)
    }

    /// Net profit of the lines recorded so far (0 while empty).
    ///
    /// # Errors
    /// [`Error::Overflow`] when a profit line overflows.
    pub fn profit(&self) -> Result<Decimal> {
        Ok(self.statement()?.map_or(Decimal::ZERO, |s| s.profit))
    }
}

impl Metric for ProfitAndLoss {
    type Input = PnlEntry;
    type Output = PnlStatement;

    fn record(&mut self, entry: PnlEntry) -> Result<()> {
        let one = ProfitAndLoss {
            lines: 1,
            revenue: entry.revenue,
            cost_of_goods: entry.cost_of_goods,
            cost_to_serve: entry.cost_to_serve,
            acquisition_cost: entry.acquisition_cost,
            cross_sell: entry.cross_sell,
            up_sell: entry.up_sell,
        };
        *self = self.checked_add(&one)?;
        Ok(())
    }

    fn merge(&mut self, other: &Self) -> Result<()> {
        *self = self.checked_add(other)?;
        Ok(())
    }

    /// `None` while empty (or when a profit line overflows: see [`ProfitAndLoss::statement`]).
    fn value(&self) -> Option<PnlStatement> {
        self.statement().ok().flatten()
    }
}

checked_serde! {
    /// A profit and loss statement (the output of [`ProfitAndLoss`]), after Kaplan & Narayanan
    /// (2001), "Measuring and Managing Customer Profitability", *Journal of Cost Management*
    /// 15(5):5-15:
    ///
    /// - gross profit = revenue − cost of goods;
    /// - contribution = gross profit − cost to serve (the customer's operating profit);
    /// - profit = contribution − acquisition cost.
    ///
    /// Deserialising recomputes the three profit lines and rejects a statement whose stored
    /// lines disagree.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct PnlStatement {
        /// Number of P&L lines summed (customers, when each line is one customer's P&L).
        pub lines: u64,
        /// Revenue.
        pub revenue: Decimal,
        /// Cost of goods sold.
        pub cost_of_goods: Decimal,
        /// Cost to serve.
        pub cost_to_serve: Decimal,
        /// Acquisition cost.
        pub acquisition_cost: Decimal,
        /// Cross-sell revenue (part of `revenue`).
        pub cross_sell: Decimal,
        /// Up-sell revenue (part of `revenue`).
        pub up_sell: Decimal,
        /// `revenue − cost_of_goods`.
        pub gross_profit: Decimal,
        /// `gross_profit − cost_to_serve`.
        pub contribution: Decimal,
        /// `contribution − acquisition_cost`.
        pub profit: Decimal,
    }
    check = PnlStatement::checked
}

impl PnlStatement {
    fn new(lines: u64, e: PnlEntry) -> Result<Self> {
        let gross_profit = sub(e.revenue, e.cost_of_goods, "gross profit")?;
        let contribution = sub(gross_profit, e.cost_to_serve, "contribution")?;
        let profit = sub(contribution, e.acquisition_cost, "profit")?;
        Ok(PnlStatement {
            lines,
            revenue: e.revenue,
            cost_of_goods: e.cost_of_goods,
            cost_to_serve: e.cost_to_serve,
            acquisition_cost: e.acquisition_cost,
            cross_sell: e.cross_sell,
            up_sell: e.up_sell,
            gross_profit,
            contribution,
            profit,
        })
    }

    fn checked(self) -> Result<Self> {
        let entry =
            PnlEntry::new(self.revenue, self.cost_of_goods, self.cost_to_serve, self.acquisition_cost)?
                .with_revenue_mix(self.cross_sell, self.up_sell)?;
        if self.lines == 0 {
            return Err(Error::param("lines", 0, "at least 1 line in a statement"));
        }
        let expected = PnlStatement::new(self.lines, entry)?;
        if expected != self {
            return Err(Error::Mismatch {
                what: "P&L statement: gross profit, contribution or profit disagrees with the amounts".into(),
            });
        }
        Ok(self)
    }

    /// Gross profit.
    #[must_use]
    pub fn gross_profit(&self) -> Decimal {
        self.gross_profit
    }

    /// Contribution (gross profit − cost to serve).
    #[must_use]
    pub fn contribution(&self) -> Decimal {
        self.contribution
    }

    /// Net profit (contribution − acquisition cost).
    #[must_use]
    pub fn profit(&self) -> Decimal {
        self.profit
    }

    /// Gross margin `gross_profit / revenue` (`None` without revenue).
    #[must_use]
    pub fn gross_margin(&self) -> Option<Decimal> {
        share(self.gross_profit, self.revenue)
    }

    /// Contribution margin ratio `contribution / revenue` (`None` without revenue).
    #[must_use]
    pub fn contribution_margin(&self) -> Option<Decimal> {
        share(self.contribution, self.revenue)
    }

    /// Cross-sell revenue share `cross_sell / revenue` (`None` without revenue).
    #[must_use]
    pub fn cross_sell_share(&self) -> Option<Decimal> {
        share(self.cross_sell, self.revenue)
    }

    /// Up-sell revenue share `up_sell / revenue` (`None` without revenue).
    #[must_use]
    pub fn up_sell_share(&self) -> Option<Decimal> {
        share(self.up_sell, self.revenue)
    }
}

/// One customer on a [`WhaleCurve`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhalePoint<Id> {
    /// The customer.
    pub customer: Id,
    /// The customer's profit (negative for a customer who destroys value).
    pub profit: Decimal,
    /// Rank by profit, 1 = most profitable.
    pub rank: u64,
    /// Profit of this customer and every more profitable one.
    pub cumulative_profit: Decimal,
    /// `rank / customers`: the share of customers up to this one.
    pub customer_share: Decimal,
    /// `cumulative_profit / total profit`: above 1 on the hump of the curve, exactly 1 at the end.
    pub profit_share: Decimal,
}

/// The whale curve of a customer base (Cooper & Kaplan 1991, "Profit Priorities from
/// Activity-Based Costing", *HBR* 69(3); Kaplan & Narayanan 2001): customers ranked by profit,
/// most profitable first, and the cumulative profit as a share of total profit against the share
/// of customers.
///
/// The curve rises above 100 % while profitable customers are added, reaches its **peak** after
/// the last profitable customer, then falls back to exactly 100 % as the value-destroying
/// customers are added (shares are exact [`Decimal`] ratios, so the last point is exactly 1).
/// A typical base: the most profitable 20 % earn 150–300 % of total profit and the least
/// profitable 10 % lose 50–200 % of it.
///
/// **Ranking and ties.** Customers are sorted by profit descending, equal profits by customer id
/// ascending, so the curve does not depend on the order of the input.
///
/// **Total profit ≤ 0.** Shares of a total that is zero or negative mean nothing (the curve would
/// be undefined or upside down), so [`WhaleCurve::new`] returns an error then: use the ranked
/// profits directly ([`WhaleCurve::ranked`]) to look at such a base.
///
/// ```
/// use customer_metrics::WhaleCurve;
/// use rust_decimal::Decimal;
///
/// let d = Decimal::from;
/// let curve = WhaleCurve::new([("a", d(80)), ("b", d(-30)), ("c", d(50)), ("d", d(0))])?;
/// // Total 100. Ranked a 80, c 50, d 0, b −30: shares 0.8, 1.3, 1.3, 1.0.
/// assert_eq!(curve.peak(), Decimal::new(13, 1));
/// assert_eq!(curve.customer_share_at_peak(), Decimal::new(5, 1)); // 2 of 4 customers
/// assert_eq!(curve.value_destroying_share(), Decimal::new(25, 2)); // b
/// assert_eq!(curve.points().last().map(|p| p.profit_share), Some(Decimal::ONE));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(bound(serialize = "Id: Serialize"))]
pub struct WhaleCurve<Id> {
    total_profit: Decimal,
    peak: Decimal,
    customer_share_at_peak: Decimal,
    value_destroying_share: Decimal,
    points: Vec<WhalePoint<Id>>,
}

impl<Id: Ord + Clone + Debug> WhaleCurve<Id> {
    /// Ranks `(customer, profit)` pairs: profit descending, ties by id ascending.
    ///
    /// # Errors
    /// [`Error::Mismatch`] naming a customer that appears twice.
    pub fn ranked(profits: impl IntoIterator<Item = (Id, Decimal)>) -> Result<Vec<(Id, Decimal)>> {
        let mut ranked: Vec<(Id, Decimal)> = profits.into_iter().collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = ranked.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::Mismatch {
                what: format!("whale curve: customer {:?} appears twice", w[0].0),
            });
        }
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(ranked)
    }

    /// The whale curve of per-customer profits.
    ///
    /// # Errors
    /// [`Error::NotEnoughData`] without customers; [`Error::Mismatch`] when a customer appears
    /// twice; [`Error::InvalidParameter`] naming `total_profit` when the total is `<= 0` (see
    /// the type's docs); [`Error::Overflow`] when a sum overflows.
    pub fn new(profits: impl IntoIterator<Item = (Id, Decimal)>) -> Result<Self> {
        let ranked = Self::ranked(profits)?;
        if ranked.is_empty() {
            return Err(Error::NotEnoughData { what: "whale curve (customers)", needed: 1, got: 0 });
        }
        let mut total = Decimal::ZERO;
        for (_, p) in &ranked {
            total = add(total, *p, "total profit")?;
        }
        if total <= Decimal::ZERO {
            return Err(Error::param(
                "total_profit",
                total,
                "> 0: whale-curve shares are shares of a positive total profit (look at the ranked profits instead)",
            ));
        }
        let n = Decimal::from(ranked.len() as u64);
        let mut points = Vec::with_capacity(ranked.len());
        let mut cumulative = Decimal::ZERO;
        let (mut peak, mut at_peak, mut destroying) = (Decimal::ZERO, Decimal::ZERO, 0u64);
        for (rank, (customer, profit)) in (1u64..).zip(ranked) {
            cumulative = add(cumulative, profit, "cumulative profit")?;
            let customer_share =
                Decimal::from(rank).checked_div(n).ok_or(Error::overflow("customer share"))?;
            let profit_share = cumulative.checked_div(total).ok_or(Error::overflow("profit share"))?;
            if profit_share > peak {
                (peak, at_peak) = (profit_share, customer_share);
            }
            if profit < Decimal::ZERO {
                destroying += 1;
            }
            points.push(WhalePoint {
                customer,
                profit,
                rank,
                cumulative_profit: cumulative,
                customer_share,
                profit_share,
            });
        }
        let value_destroying_share =
            Decimal::from(destroying).checked_div(n).ok_or(Error::overflow("value-destroying share"))?;
        Ok(WhaleCurve {
            total_profit: total,
            peak,
            customer_share_at_peak: at_peak,
            value_destroying_share,
            points,
        })
    }

    /// The whale curve of a per-customer P&L (each segment of `customers` is one customer).
    ///
    /// ```
    /// use customer_metrics::{Metric, PnlEntry, ProfitAndLoss, Segmented, WhaleCurve};
    /// use rust_decimal::Decimal;
    ///
    /// let d = Decimal::from;
    /// let mut customers: Segmented<&str, ProfitAndLoss> = Segmented::default();
    /// customers.record(("ann", PnlEntry::new(d(300), d(150), d(20), d(30))?))?; // profit 100
    /// customers.record(("bob", PnlEntry::new(d(50), d(30), d(45), d(25))?))?;  // profit −50
    /// customers.record(("cy", PnlEntry::new(d(90), d(40), d(0), d(0))?))?;     // profit 50
    /// let curve = WhaleCurve::from_customers(&customers)?;
    /// assert_eq!(curve.total_profit(), d(100));
    /// assert_eq!(curve.peak(), Decimal::new(15, 1)); // (100 + 50) / 100
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`WhaleCurve::new`].
    pub fn from_customers(customers: &Segmented<Id, ProfitAndLoss>) -> Result<Self> {
        let profits = customers
            .segments()
            .iter()
            .map(|(id, pnl)| Ok((id.clone(), pnl.profit()?)))
            .collect::<Result<Vec<_>>>()?;
        Self::new(profits)
    }

    /// Total profit of the base (`> 0`).
    #[must_use]
    pub fn total_profit(&self) -> Decimal {
        self.total_profit
    }

    /// Peak height: the largest cumulative profit share (`>= 1`; 1 when no customer destroys
    /// value). `peak − 1` is the profit the value-destroying customers lose, as a share of the
    /// total.
    #[must_use]
    pub fn peak(&self) -> Decimal {
        self.peak
    }

    /// The smallest share of customers at which the peak is reached: the most profitable
    /// customers who together earn [`peak`](Self::peak) of total profit.
    #[must_use]
    pub fn customer_share_at_peak(&self) -> Decimal {
        self.customer_share_at_peak
    }

    /// The share of customers whose profit is negative.
    #[must_use]
    pub fn value_destroying_share(&self) -> Decimal {
        self.value_destroying_share
    }

    /// One point per customer, most profitable first.
    #[must_use]
    pub fn points(&self) -> &[WhalePoint<Id>] {
        &self.points
    }

    /// The cumulative profit share of the most profitable `customer_share` of customers (a
    /// fraction in `[0, 1]`, rounded down to whole customers; 0 at 0).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `customer_share` when outside `[0, 1]`.
    pub fn profit_share_at(&self, customer_share: Decimal) -> Result<Decimal> {
        if customer_share < Decimal::ZERO || customer_share > Decimal::ONE {
            return Err(Error::param("customer_share", customer_share, "a share of customers in [0, 1]"));
        }
        let n = Decimal::from(self.points.len() as u64);
        let k = customer_share.checked_mul(n).ok_or(Error::overflow("customers in a share"))?.floor();
        Ok(self
            .points
            .iter()
            .take_while(|p| Decimal::from(p.rank) <= k)
            .last()
            .map_or(Decimal::ZERO, |p| p.profit_share))
    }
}

impl<'de, Id> Deserialize<'de> for WhaleCurve<Id>
where
    Id: Ord + Clone + Debug + Deserialize<'de>,
{
    /// Rebuilds the curve from the customers' profits and rejects stored figures that disagree.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(bound(deserialize = "Id: Deserialize<'de>"))]
        struct WhaleCurve<Id> {
            total_profit: Decimal,
            peak: Decimal,
            customer_share_at_peak: Decimal,
            value_destroying_share: Decimal,
            points: Vec<WhalePoint<Id>>,
        }
        let raw = WhaleCurve::<Id>::deserialize(deserializer)?;
        let rebuilt = Self::new(raw.points.iter().map(|p| (p.customer.clone(), p.profit)))
            .map_err(serde::de::Error::custom)?;
        let same = rebuilt.total_profit == raw.total_profit
            && rebuilt.peak == raw.peak
            && rebuilt.customer_share_at_peak == raw.customer_share_at_peak
            && rebuilt.value_destroying_share == raw.value_destroying_share
            && rebuilt.points == raw.points;
        if !same {
            return Err(serde::de::Error::custom(Error::Mismatch {
                what: "whale curve: stored figures disagree with the customers' profits".into(),
            }));
        }
        Ok(rebuilt)
    }
}

/// One purchase for [`revenue_mix`]: who bought what, when, for how much. `category` is the
/// product line (any ordered label) and `tier` the level within it (basic 1, premium 2, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase<Id, C> {
    /// The customer.
    pub customer: Id,
    /// The purchase date.
    pub date: chrono::NaiveDate,
    /// The product category.
    pub category: C,
    /// The tier within the category.
    pub tier: u32,
    /// The purchase amount (`>= 0`: net returns first).
    pub amount: Decimal,
}

checked_serde! {
    /// A customer's revenue split into initial or repeat revenue, cross-sell revenue and
    /// up-sell revenue (the output of [`revenue_mix`]). `cross_sell + up_sell <= revenue`,
    /// checked when deserialising.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
    pub struct RevenueMix {
        /// All revenue.
        pub revenue: Decimal,
        /// Revenue from categories the customer had not bought before.
        pub cross_sell: Decimal,
        /// Revenue from tiers above the highest the customer had bought in the category.
        pub up_sell: Decimal,
    }
    check = |m| {
        non_negative("revenue", m.revenue)?;
        PnlEntry::new(m.revenue, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)?.with_revenue_mix(m.cross_sell, m.up_sell)?;
        Ok(m)
    }
}

impl RevenueMix {
    /// Cross-sell revenue share `cross_sell / revenue` (`None` without revenue).
    #[must_use]
    pub fn cross_sell_share(&self) -> Option<Decimal> {
        share(self.cross_sell, self.revenue)
    }

    /// Up-sell revenue share `up_sell / revenue` (`None` without revenue).
    #[must_use]
    pub fn up_sell_share(&self) -> Option<Decimal> {
        share(self.up_sell, self.revenue)
    }

    /// A [`PnlEntry`] with this revenue and mix and the given costs.
    ///
    /// # Errors
    /// As [`PnlEntry::new`].
    pub fn entry(
        &self,
        cost_of_goods: Decimal,
        cost_to_serve: Decimal,
        acquisition_cost: Decimal,
    ) -> Result<PnlEntry> {
        PnlEntry::new(self.revenue, cost_of_goods, cost_to_serve, acquisition_cost)?
            .with_revenue_mix(self.cross_sell, self.up_sell)
    }
}

/// Classifies each customer's revenue into initial or repeat, cross-sell and up-sell revenue.
///
/// Per customer, purchases are taken in date order. Purchases on the customer's first purchase
/// date are the initial purchase. A later purchase is
///
/// - **cross-sell** when its category was not bought on any earlier date;
/// - **up-sell** when its category was bought before, but only at lower tiers (its tier is
///   above the highest tier bought in the category on earlier dates);
/// - **repeat** revenue otherwise.
///
/// Purchases on the same date are judged against earlier dates only, so the result does not
/// depend on the order of the input (customers, then dates, are sorted). These are the usual
/// definitions (cross-selling: selling a customer products of another line; up-selling:
/// selling a higher-end version of what they buy; Kamakura et al. 2003, "Cross-selling through
/// database marketing", *IJRM* 20(1)), operationalised on purchase histories.
///
/// ```
/// use chrono::NaiveDate;
/// use customer_metrics::economics::{Purchase, revenue_mix};
/// use rust_decimal::Decimal;
///
/// let day = |d| NaiveDate::from_ymd_opt(2024, 1, d).expect("valid date");
/// let buy = |d, category: &str, tier, amount| Purchase {
///     customer: "ann", date: day(d), category: category.to_string(), tier, amount: Decimal::from(amount),
/// };
/// let mix = revenue_mix([
///     buy(1, "coffee", 1, 20),  // initial
///     buy(5, "coffee", 1, 20),  // repeat
///     buy(9, "coffee", 2, 35),  // up-sell: tier 2 above tier 1
///     buy(9, "tea", 1, 15),     // cross-sell: a new category
///     buy(20, "tea", 1, 10),    // repeat
/// ])?;
/// let ann = mix["ann"];
/// assert_eq!((ann.revenue, ann.cross_sell, ann.up_sell), (Decimal::from(100), Decimal::from(15), Decimal::from(35)));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] naming `amount` for a negative amount; [`Error::Overflow`] when
/// a sum overflows.
pub fn revenue_mix<Id: Ord + Clone, C: Ord>(
    purchases: impl IntoIterator<Item = Purchase<Id, C>>,
) -> Result<BTreeMap<Id, RevenueMix>> {
    let mut purchases: Vec<Purchase<Id, C>> = purchases.into_iter().collect();
    if let Some(p) = purchases.iter().find(|p| p.amount < Decimal::ZERO) {
        return Err(Error::param("amount", p.amount, "a purchase amount >= 0 (net returns first)"));
    }
    purchases.sort_by(|a, b| a.customer.cmp(&b.customer).then(a.date.cmp(&b.date)));
    let mut out = BTreeMap::new();
    for history in purchases.chunk_by(|a, b| a.customer == b.customer) {
        let Some(first) = history.first() else { continue };
        let mut mix = RevenueMix::default();
        // The highest tier bought in each category on earlier dates.
        let mut known: BTreeMap<&C, u32> = BTreeMap::new();
        for (day_index, day) in history.chunk_by(|a, b| a.date == b.date).enumerate() {
            for p in day {
                mix.revenue = add(mix.revenue, p.amount, "revenue")?;
                if day_index == 0 {
                    continue; // the initial purchase
                }
                match known.get(&p.category) {
                    None => mix.cross_sell = add(mix.cross_sell, p.amount, "cross-sell revenue")?,
                    Some(&tier) if p.tier > tier => {
                        mix.up_sell = add(mix.up_sell, p.amount, "up-sell revenue")?
                    }
                    Some(_) => {}
                }
            }
            for p in day {
                let tier = known.entry(&p.category).or_insert(p.tier);
                *tier = (*tier).max(p.tier);
            }
        }
        out.insert(first.customer.clone(), mix);
    }
    Ok(out)
}

/// Per-segment statements of a segmented P&L, for reports: each segment's [`PnlStatement`]
/// and the total.
///
/// # Errors
/// [`Error::Overflow`] when a sum or a profit line overflows; [`Error::NotEnoughData`] when
/// nothing was recorded.
pub fn segment_statements<K: Ord + Clone>(
    pnl: &Segmented<K, ProfitAndLoss>,
) -> Result<(PnlStatement, BTreeMap<K, PnlStatement>)> {
    let total = pnl.total()?.statement()?.ok_or(Error::NotEnoughData {
        what: "P&L statement (lines)",
        needed: 1,
        got: 0,
    })?;
    let mut segments = BTreeMap::new();
    for (key, m) in pnl.segments() {
        if let Some(s) = m.statement()? {
            segments.insert(key.clone(), s);
        }
    }
    Ok((total, segments))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    #[test]
    fn entry_checks() {
        assert!(matches!(
            PnlEntry::new(d(-1), d(0), d(0), d(0)),
            Err(Error::InvalidParameter { name: "revenue", .. })
        ));
        assert!(matches!(
            PnlEntry::new(d(1), d(0), d(-2), d(0)),
            Err(Error::InvalidParameter { name: "cost_to_serve", .. })
        ));
        let e = PnlEntry::new(d(10), d(0), d(0), d(0)).unwrap();
        assert!(matches!(
            e.with_revenue_mix(d(6), d(5)),
            Err(Error::InvalidParameter { name: "cross_sell + up_sell", .. })
        ));
        assert!(e.with_revenue_mix(d(6), d(4)).is_ok());
    }

    #[test]
    fn statement_by_hand() {
        // Revenue 1000, COGS 600, serve 250, acquire 200: gross 400, contribution 150, profit −50.
        let mut pnl = ProfitAndLoss::default();
        assert_eq!(pnl.value(), None);
        pnl.record(PnlEntry::new(d(1000), d(600), d(250), d(200)).unwrap()).unwrap();
        let s = pnl.value().unwrap();
        assert_eq!((s.gross_profit, s.contribution, s.profit), (d(400), d(150), d(-50)));
        assert_eq!(s.gross_margin(), Some(Decimal::new(4, 1)));
        assert_eq!(s.contribution_margin(), Some(Decimal::new(15, 2)));
        assert_eq!(s.up_sell_share(), Some(Decimal::ZERO));
    }

    #[test]
    fn overflow_leaves_state() {
        let mut pnl = ProfitAndLoss::default();
        pnl.record(PnlEntry::new(Decimal::MAX, d(0), d(0), d(0)).unwrap()).unwrap();
        let before = pnl;
        assert!(matches!(
            pnl.record(PnlEntry::new(d(1), d(0), d(0), d(0)).unwrap()),
            Err(Error::Overflow { .. })
        ));
        assert_eq!(pnl, before);
        // Profit line overflow: revenue 0, huge costs.
        let mut costs = ProfitAndLoss::default();
        costs.record(PnlEntry::new(d(0), Decimal::MAX, Decimal::MAX, d(0)).unwrap()).unwrap();
        assert!(matches!(costs.statement(), Err(Error::Overflow { .. })));
        assert_eq!(costs.value(), None);
    }

    #[test]
    fn whale_curve_rules() {
        assert!(matches!(WhaleCurve::<u32>::new([]), Err(Error::NotEnoughData { .. })));
        assert!(matches!(
            WhaleCurve::new([(1, d(5)), (2, d(-5))]),
            Err(Error::InvalidParameter { name: "total_profit", .. })
        ));
        assert!(matches!(WhaleCurve::new([(1, d(5)), (1, d(3))]), Err(Error::Mismatch { .. })));
        // Ties by id: 3 and 1 both earn 10; 1 ranks first.
        let c = WhaleCurve::new([(3, d(10)), (1, d(10)), (2, d(-4))]).unwrap();
        let order: Vec<u32> = c.points().iter().map(|p| p.customer).collect();
        assert_eq!(order, [1, 3, 2]);
        // Total 16: peak 20/16 = 1.25 at 2/3 of customers.
        assert_eq!(c.peak(), Decimal::new(125, 2));
        assert_eq!(c.customer_share_at_peak(), d(2) / d(3));
        assert_eq!(c.profit_share_at(Decimal::new(5, 1)).unwrap(), Decimal::new(625, 3)); // 1 customer: 10/16
        assert_eq!(c.profit_share_at(Decimal::ZERO).unwrap(), Decimal::ZERO);
        assert_eq!(c.profit_share_at(Decimal::ONE).unwrap(), Decimal::ONE);
        assert!(c.profit_share_at(d(2)).is_err());
    }
}
