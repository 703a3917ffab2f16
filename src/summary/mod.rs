//! Transactions and per-customer summaries: the input of every CLV model.

mod builder;
mod customer;
mod transaction;
mod views;

pub use builder::{Rounding, Summaries, SummaryBuilder, SummaryOptions};
pub use customer::{CustomerRecord, CustomerSummary, HoldoutSummary};
pub use transaction::Transaction;
pub use views::{RecencyFrequencyCell, RecencyFrequencyMatrix, TrackingPeriod};
