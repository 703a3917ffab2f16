//! Aggregate views of a customer base, as plain data.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::customer::CustomerSummary;
use crate::serde_checked::checked_serde;
use crate::{Error, Result};

/// Repeat purchases of the whole customer base in one period (one row of the tracking series).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TrackingPeriod {
    /// First day of the period.
    pub start: NaiveDate,
    /// Repeat purchases (purchase buckets after each customer's first) on or before the
    /// calibration end.
    pub calibration: u64,
    /// Purchases after the calibration end by customers of the calibration base.
    pub holdout: u64,
}

/// One cell of the recency/frequency count matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecencyFrequencyCell {
    /// x: repeat purchases.
    pub frequency: u32,
    /// t_x in whole periods (rounded down).
    pub recency: u32,
    /// Customers with this (x, t_x).
    pub customers: u64,
}

checked_serde! {
    /// How many customers have each (frequency, recency) pair: the data behind lifetimes'
    /// frequency/recency plots, sparse (only non-empty cells), sorted by frequency then recency.
    ///
    /// ```
    /// use customer_metrics::{CustomerSummary, RecencyFrequencyMatrix};
    /// use rust_decimal::Decimal;
    ///
    /// let base = [
    ///     CustomerSummary::new(0, 0.0, 10.0, Decimal::ZERO)?,
    ///     CustomerSummary::new(2, 4.5, 10.0, Decimal::ONE)?,
    ///     CustomerSummary::new(2, 4.9, 12.0, Decimal::ONE)?,
    /// ];
    /// let m = RecencyFrequencyMatrix::from_summaries(&base);
    /// assert_eq!(m.count(2, 4), 2);
    /// assert_eq!(m.count(0, 0), 1);
    /// assert_eq!(m.total(), 3);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct RecencyFrequencyMatrix {
        cells: Vec<RecencyFrequencyCell>,
    }
    check = RecencyFrequencyMatrix::checked
}

impl RecencyFrequencyMatrix {
    /// Checks a deserialised matrix: non-empty cells, distinct and sorted.
    fn checked(self) -> Result<Self> {
        let sorted = self.cells.windows(2).all(|w| match w {
            [a, b] => (a.frequency, a.recency) < (b.frequency, b.recency),
            _ => true,
        });
        if !sorted || self.cells.iter().any(|c| c.customers == 0) {
            return Err(Error::Mismatch {
                what: String::from(
                    "recency/frequency cells must be non-empty, distinct and sorted by (frequency, recency)",
                ),
            });
        }
        Ok(self)
    }
}

impl RecencyFrequencyMatrix {
    /// Counts customers by (frequency, whole periods of recency).
    #[must_use]
    pub fn from_summaries(summaries: &[CustomerSummary]) -> Self {
        let mut counts: BTreeMap<(u32, u32), u64> = BTreeMap::new();
        for s in summaries {
            // `recency` is finite and non-negative by construction; `as` saturates above u32::MAX.
            let key = (s.frequency(), s.recency().floor() as u32);
            *counts.entry(key).or_insert(0) += 1;
        }
        let cells = counts
            .into_iter()
            .map(|((frequency, recency), customers)| RecencyFrequencyCell { frequency, recency, customers })
            .collect();
        RecencyFrequencyMatrix { cells }
    }

    /// The non-empty cells.
    #[must_use]
    pub fn cells(&self) -> &[RecencyFrequencyCell] {
        &self.cells
    }

    /// Customers with frequency `x` and recency `t_x` (whole periods).
    #[must_use]
    pub fn count(&self, frequency: u32, recency: u32) -> u64 {
        self.cells
            .binary_search_by(|c| (c.frequency, c.recency).cmp(&(frequency, recency)))
            .ok()
            .and_then(|i| self.cells.get(i))
            .map_or(0, |c| c.customers)
    }

    /// All customers counted.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.cells.iter().map(|c| c.customers).sum()
    }

    /// The dense matrix, `rows[x][t_x]`, for x in `0..=max_frequency` and t_x in
    /// `0..=max_recency`; customers above either limit fall into the last row or column.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the matrix would have more than 10⁸ cells.
    pub fn dense(&self, max_frequency: u32, max_recency: u32) -> Result<Vec<Vec<u64>>> {
        let rows = max_frequency as usize + 1;
        let cols = max_recency as usize + 1;
        if rows.saturating_mul(cols) > 100_000_000 {
            return Err(Error::param(
                "max_frequency × max_recency",
                rows.saturating_mul(cols),
                "at most 10^8 cells",
            ));
        }
        let mut dense = vec![vec![0u64; cols]; rows];
        for c in &self.cells {
            let row = c.frequency.min(max_frequency) as usize;
            let col = c.recency.min(max_recency) as usize;
            if let Some(cell) = dense.get_mut(row).and_then(|r| r.get_mut(col)) {
                *cell += c.customers;
            }
        }
        Ok(dense)
    }
}
