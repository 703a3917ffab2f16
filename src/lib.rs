//! # customer-metrics
//!
//! What customers are worth and how they behave.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod error;
// Until the survey module (own branch) uses normal_cdf / two_sided_p; remove on merge.
#[allow(dead_code)]
mod math;
mod metric;
pub mod retention;
pub mod summary;
pub mod survey;

pub use error::{Error, Result};
pub use metric::Metric;
pub use retention::{
    ChurnRates, CohortBuilder, CohortRow, CohortTable, CustomerRevenue, CustomerStatus, KaplanMeier,
    LifeTable, LifeTableRow, MedianSurvival, Period, PeriodCounts, RevenueMovements, RevenueRetention,
    SurvivalInterval, SurvivalPoint, Tenure, annual_churn_from_monthly, expected_future_periods,
    expected_lifetime, monthly_churn_from_annual, rescale_churn, rescale_retention,
};
pub use summary::Transaction;
