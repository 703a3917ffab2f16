//! Customer engagement value (CEV) and customer equity: what a customer is worth beyond
//! their own purchases, and what the whole base is worth.
//!
//! # The metrics in a page
//!
//! **Customer lifetime value (CLV)** is the present value of the margin a customer will
//! bring. With a constant margin `m` per period, retention `r` and discount rate `i`, the
//! margin arrives with probability `r^t` after `t` periods, and the geometric series sums to
//! Gupta & Lehmann's `CLV = m·r/(1 + i − r)`: the *margin multiple* `r/(1 + i − r)` is 2.5
//! at 80 % retention and 12 % discounting ([`ConstantRetentionClv`]). Real customers have
//! changing margins and retention; [`FiniteHorizonClv`] sums per-period margins against a
//! retention sequence or survival curve, and [`KumarClv`] is Kumar's form for
//! non-contractual customers: the per-period probability of buying times the gross
//! contribution, minus the marketing spent on the customer (Venkatesan & Kumar 2004; Kumar
//! 2008). A model-based CLV (BG/NBD or Pareto/NBD with Gamma-Gamma, [`models`](crate::models))
//! enters as a [`PrecomputedValue`].
//!
//! **Customer referral value (CRV)** is what a customer's referrals bring (Kumar, Petersen &
//! Leone 2007, 2010). A *type-1* referral would not have joined without the referral, so the
//! referred customer's whole net contribution counts, plus the acquisition cost saved; a
//! *type-2* referral would have joined anyway, so only the acquisition cost saved counts
//! ([`ReferralValue`]). Kumar et al. find that high-CLV customers are often poor referrers and
//! the reverse, hence the CLV × CRV matrix: Champions, Affluents, Advocates and Misers
//! ([`Quadrant`]).
//!
//! **Customer influencer value (CIV)** is the value a customer moves through word of mouth
//! and social media among customers who are *already* customers or prospects (Kumar et al.
//! 2013). From a weighted graph of who influences whom, Hubbell centrality gives each
//! customer's influence, its share of the total is the customer influence effect (CIE), and
//! the customer's CIV is the attributed share of the influencees' value
//! ([`InfluenceGraph`], [`InfluenceValue`]; the paper gives no closed form, and the
//! reconstruction is stated in full there).
//!
//! **Customer knowledge value (CKV)** is the discounted profit from ideas and feedback the
//! customer gave and the firm implemented, net of the costs ([`KnowledgeValue`]).
//!
//! **Customer engagement value** is the sum `CEV = CLV + CRV + CIV + CKV` (Kumar et al. 2010).
//! Each part implements the object-safe [`ValueComponent`] trait, and [`Engagement`] adds any
//! list of components, so the sum is the user's to compose and extend; [`Portfolio`] ranks the
//! customers and totals each part.
//!
//! **Customer equity** is the value of the whole base: the current customers' CLV plus the
//! value of the customers still to be acquired, net of what acquiring them costs
//! ([`customer_equity`]; Gupta, Lehmann & Stuart 2004). In the constant-retention form
//! ([`GuptaLehmannEquity`]) the elasticities say where to push: a 1 % gain in retention is
//! worth several times a 1 % gain in margin. Blattberg & Deighton's customer equity test
//! ([`BlattbergDeighton`]) balances acquisition and retention spending against response
//! curves with ceilings; Rust, Lemon & Zeithaml's brand-switching model ([`BrandSwitching`])
//! values a market of brands whose customers switch, and [`equity_driver_shares`] splits
//! equity among its value, brand and relationship drivers.
//!
//! # Money and discounting
//!
//! Money is [`Decimal`](rust_decimal::Decimal) with checked arithmetic: an overflow is
//! [`Error::Overflow`](crate::Error::Overflow), never a wrapped number. Rates and
//! probabilities are validated `f64`. Every component discounts through the one [`Discount`]
//! type: a rate per rate period, the length of a cash-flow period in rate periods, and the
//! [`Timing`] of cash flows (start or end of period). A rate of 0 gives the plain sum exactly.
//!
//! # Example: the CEV of three customers
//!
//! ```
//! use customer_metrics::{
//!     ConstantRetentionClv, Discount, Engagement, FormulaClv, IdeaContribution, InfluenceEdge,
//!     InfluenceGraph, InfluenceValue, KnowledgeValue, Quadrant, QuadrantThresholds, Referral,
//!     ReferralPeriod, ReferralValue, Timing,
//! };
//! use rust_decimal::Decimal;
//!
//! let d = Discount::new(0.10, Timing::End)?;
//! let mut clv = FormulaClv::new(d);
//! clv.insert("ann", ConstantRetentionClv::new(Decimal::from(100), 0.9)?)?; // 100·0.9/0.2 = 450
//! clv.insert("bob", ConstantRetentionClv::new(Decimal::from(20), 0.5)?)?;  // 20·0.5/0.6 = 16.67
//! clv.insert("cy", ConstantRetentionClv::new(Decimal::from(60), 0.6)?)?;   // 60·0.6/0.5 = 72
//!
//! let mut crv = ReferralValue::new(d);
//! // Bob brought a customer who pays 110 next period (would not have joined otherwise).
//! crv.insert("bob", vec![Referral::type1(vec![ReferralPeriod::default().contribution(Decimal::from(110))])?])?;
//!
//! // Ann's posts draw half of Cy's responses: half of Cy's CLV is Ann's influence value.
//! let graph = InfluenceGraph::from_edges([InfluenceEdge::new("ann", "cy", 0.5)])?;
//! let civ = InfluenceValue::new(&graph, &clv)?;
//!
//! let mut ckv = KnowledgeValue::new(d);
//! ckv.insert("cy", vec![IdeaContribution::new(vec![Decimal::from(22)], 1.0, vec![])?])?; // 22/1.1 = 20
//!
//! let cev = Engagement::new().with(clv).with(crv).with(civ).with(ckv);
//! let portfolio = cev.portfolio(["ann", "bob", "cy"])?;
//! let top = &portfolio.ranking()[0];
//! assert_eq!(*top.customer(), "ann"); // 450 + 0 + 36 + 0
//! assert!((top.total() - Decimal::from(486)).abs() < Decimal::new(1, 9));
//! let quadrants = portfolio.quadrants("CLV", "CRV", QuadrantThresholds::Medians)?;
//! assert_eq!(quadrants.count(Quadrant::Advocates), 1); // Bob: low CLV, high CRV
//! # Ok::<(), customer_metrics::Error>(())
//! ```

mod clv;
mod component;
mod discount;
mod engagement;
mod equity;
mod influence;
mod knowledge;
mod model_clv;
mod referral;

pub use clv::{ClvFormula, ConstantRetentionClv, FiniteHorizonClv, FormulaClv, KumarClv, Survival};
pub use component::{PrecomputedValue, ValueComponent};
pub use discount::{Discount, Timing};
pub use engagement::{
    BoxedComponent, CustomerValue, Engagement, Portfolio, Quadrant, QuadrantThresholds, Quadrants,
    clv_crv_quadrants,
};
pub use equity::{
    AcquisitionCohort, BlattbergDeighton, BrandCustomer, BrandShare, BrandSwitching, DriverShare,
    DriverShares, Elasticities, EquityDrivers, EquityReport, GuptaLehmannEquity, ResponseCurve, SpendOptimum,
    SwitchingMatrix, customer_equity, equity_driver_shares,
};
pub use influence::{
    Centrality, HubbellMethod, HubbellOptions, HubbellReport, InfluenceEdge, InfluenceGraph, InfluenceValue,
    NormBound,
};
pub use knowledge::{IdeaContribution, KnowledgeValue};
pub use model_clv::ModelClv;
pub use referral::{
    Referral, ReferralBreakdown, ReferralKind, ReferralPeriod, ReferralValue, referral_value,
};
