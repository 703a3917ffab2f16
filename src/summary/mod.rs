//! Transactions and per-customer summaries: the input of every CLV model.

mod transaction;

pub use transaction::Transaction;
