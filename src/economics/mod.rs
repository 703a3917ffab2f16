//! The economics of a customer base: which customers make or lose money, what it costs to win
//! one and how fast that cost comes back, and RFM segments.
//!
//! # Customer profitability
//!
//! A customer's profit and loss (Kaplan & Narayanan 2001, "Measuring and Managing Customer
//! Profitability", *Journal of Cost Management* 15(5); activity-based costing after Cooper &
//! Kaplan 1991) charges three kinds of cost against the customer's revenue:
//!
//! ```text
//! gross profit  = revenue − cost of goods
//! contribution  = gross profit − cost to serve        (orders, deliveries, support, returns)
//! profit        = contribution − acquisition cost
//! ```
//!
//! [`ProfitAndLoss`] adds [`PnlEntry`] lines up exactly (a mergeable [`Metric`](crate::Metric)
//! over [`Decimal`](rust_decimal::Decimal)); kept in a [`Segmented`](crate::Segmented) it gives
//! the P&L per customer or per segment ([`segment_statements`]). Lines may mark part of their
//! revenue as *cross-sell* (a category the customer had not bought before) or *up-sell* (an
//! upgrade), and the statement reports each as a share of revenue.
//!
//! **The whale curve** ([`WhaleCurve`]) ranks customers by profit, most profitable first, and
//! plots cumulative profit as a share of total profit against the share of customers. Because
//! some customers lose money, the curve climbs above 100 % — typically the best 20 % of
//! customers earn 150–300 % of total profit — peaks after the last profitable customer, and
//! falls back to exactly 100 % as the loss-makers are added. Its summary figures are the
//! peak height, the share of customers at the peak and the share of value-destroying customers
//! (profit < 0). Shares of a total profit `<= 0` are meaningless, so the curve is an error then.
//!
//! # Acquisition economics
//!
//! - **CAC** = acquisition spend / new customers ([`AcquisitionCost`], a mergeable metric;
//!   per channel in a [`Segmented`](crate::Segmented): the total is the *blended* CAC over all
//!   new customers, organic included; the channels without the organic one give the *paid*
//!   CAC).
//! - **LTV:CAC** ([`ltv_to_cac`]) with any lifetime value — the discounted CLVs of the value
//!   module, or the dashboard shortcut [`simple_ltv`] = margin per period / churn. Three or
//!   more is the common health heuristic.
//! - **CAC payback** in periods: CAC / margin per period ([`cac_payback_periods`]; target
//!   under 12 months), or the first period in which a margin series pays CAC back
//!   ([`payback_period`]).
//! - **Contribution margin** ([`contribution_margin`]): revenue less variable costs, as an
//!   amount and as a share of revenue.
//! - **Gross and net revenue retention** are defined once, in the retention module
//!   ([`RevenueMovements`](crate::RevenueMovements), accumulated by
//!   [`RevenueRetention`](crate::RevenueRetention)); [`UnitEconomics`] reports them beside
//!   CAC, LTV, LTV:CAC and payback by calling them.
//!
//! (Sources: FORMULAS §6.4; Skok, "SaaS Metrics 2.0", forEntrepreneurs.com; Farris, Bendle,
//! Pfeifer & Reibstein, *Marketing Metrics*.)
//!
//! # RFM
//!
//! Recency (periods since the last purchase), frequency (purchases) and monetary value
//! (spend) are each scored `1..=5` by quintiles — 5 for the most recent, most frequent and
//! biggest-spending fifth ([`RfmScores`], [`RfmOptions`] for another number of bins; Hughes,
//! *Strategic Database Marketing*). How ties are scored changes results (Miglautsch 2000), so
//! it is a setting ([`RfmTies`]) and customers with equal values are always ordered by id, which
//! makes the scores independent of the input order. Each dimension is scored over all
//! customers, or, with Hughes's nested sort ([`RfmSort`]), F within each R score and M within
//! each (R, F) cell. Observations come straight from the
//! transaction summaries ([`RfmObservation::from_summary`], [`RfmScores::from_summaries`]).
//! Named segments are rules on the scores ([`SegmentRules`]): the default is the common
//! 10-segment map on R and F (Champions, Loyal Customers, Potential Loyalists, New Customers,
//! Promising, Need Attention, About to Sleep, Can't Lose Them, At Risk, Hibernating); callers
//! supply their own rules for other maps.
//!
//! ```
//! use customer_metrics::{Metric, PnlEntry, ProfitAndLoss, Segmented, WhaleCurve};
//! use rust_decimal::Decimal;
//!
//! let d = Decimal::from;
//! let mut base: Segmented<u32, ProfitAndLoss> = Segmented::default();
//! // (customer, revenue, cost of goods, cost to serve, acquisition cost)
//! for (id, rev, cogs, serve, acq) in [(1, 500, 250, 50, 50), (2, 200, 100, 20, 30), (3, 100, 60, 90, 50)] {
//!     base.record((id, PnlEntry::new(d(rev), d(cogs), d(serve), d(acq))?))?;
//! }
//! // Profits 150, 50, −100: total 100, peak (150 + 50) / 100 = 2 at 2/3 of customers.
//! let curve = WhaleCurve::from_customers(&base)?;
//! assert_eq!(curve.peak(), d(2));
//! assert_eq!(curve.value_destroying_share(), d(1) / d(3));
//! # Ok::<(), customer_metrics::Error>(())
//! ```

mod acquisition;
mod profitability;
mod rfm;

pub use acquisition::{
    AcquisitionCost, Acquisitions, Cac, UnitEconomics, cac_payback_periods, contribution_margin, ltv_to_cac,
    payback_period, simple_ltv,
};
pub use profitability::{
    PnlEntry, PnlStatement, ProfitAndLoss, Purchase, RevenueMix, WhaleCurve, WhalePoint, revenue_mix,
    segment_statements,
};
pub use rfm::{
    RfmObservation, RfmOptions, RfmScore, RfmScores, RfmSort, RfmTies, ScoreRange, SegmentRule, SegmentRules,
};
