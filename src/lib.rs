//! # customer-metrics
//!
//! What customers are worth and how they behave.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod error;
mod math;
mod metric;
pub mod retention;
mod segmented;
pub mod summary;
pub mod survey;

pub use error::{Error, Result};
pub use metric::Metric;
pub use segmented::{Segmented, SegmentedReport};
pub use summary::Transaction;
pub use survey::{
    CesAgreement, CesEffort, Comparison, Csat, Interval, IntervalMethod, Nps, NpsMethod, NpsReport, Response,
    ScaleReport, TestMethod,
};
