//! Customer engagement value (CEV) and customer equity.
//!
//! (Module docs are completed below as the components land.)

mod clv;
mod component;
mod discount;
mod engagement;
mod equity;
mod influence;
mod knowledge;
mod referral;

pub use clv::{ClvFormula, ConstantRetentionClv, FiniteHorizonClv, FormulaClv, KumarClv, Survival};
pub use component::{PrecomputedValue, ValueComponent};
pub use discount::{Discount, Timing};
pub use engagement::{
    BoxedComponent, CustomerValue, Engagement, Portfolio, Quadrant, QuadrantThresholds, Quadrants,
    clv_crv_quadrants,
};
pub use equity::{
    BlattbergDeighton, BrandCustomer, BrandShare, BrandSwitching, Cohort, DriverShare, DriverShares,
    Elasticities, EquityDrivers, EquityReport, GuptaLehmannEquity, ResponseCurve, SpendOptimum,
    SwitchingMatrix, customer_equity, equity_driver_shares,
};
pub use influence::{
    Centrality, HubbellMethod, HubbellOptions, HubbellReport, InfluenceEdge, InfluenceGraph, InfluenceValue,
    NormBound,
};
pub use knowledge::{IdeaContribution, KnowledgeValue};
pub use referral::{
    Referral, ReferralBreakdown, ReferralKind, ReferralPeriod, ReferralValue, referral_value,
};
