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
pub mod summary;
pub mod survey;

pub use error::{Error, Result};
pub use metric::Metric;
pub use summary::{
    CustomerRecord, CustomerSummary, HoldoutSummary, RecencyFrequencyCell, RecencyFrequencyMatrix, Rounding,
    Summaries, SummaryBuilder, SummaryOptions, TrackingPeriod, Transaction,
};
