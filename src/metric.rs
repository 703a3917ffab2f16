//! The mergeable single-pass aggregate shared by every count-based metric.

use crate::Result;

/// A mergeable single-pass aggregate, in the manner of HdrHistogram's recorders.
///
/// Observations are recorded one at a time (fallibly: a bad observation is an error and leaves
/// the aggregate unchanged), partial aggregates built on shards or threads are merged, and the
/// metric is read at the end. The state is integer (or exact decimal), so merges are exact.
///
/// # Laws
///
/// Every implementation satisfies, with exact equality (checked for every metric of the crate by
/// one generic property-test law checker, `check_metric_laws` in `tests/common/mod.rs`):
/// - `merge` is associative and commutative;
/// - `Self::default()` is the identity of `merge`;
/// - recording `xs` then `ys` equals recording them apart and merging.
///
/// # Example
///
/// ```
/// use customer_metrics::{Metric, Nps};
///
/// let mut north = Nps::default();
/// for score in [10, 9, 7, 3] {
///     north.record(score.into())?;
/// }
/// let mut south = Nps::default();
/// south.record(9.into())?;
/// north.merge(&south)?;
/// let report = north.value().expect("five responses");
/// assert_eq!(report.responses(), 5);
/// assert!((report.score() - 40.0).abs() < 1e-12); // (3 promoters - 1 detractor) / 5
/// # Ok::<(), customer_metrics::Error>(())
/// ```
pub trait Metric: Default {
    /// One observation.
    type Input;
    /// What the metric reports.
    type Output;

    /// Adds one observation.
    ///
    /// # Errors
    /// When the observation is invalid (the aggregate is then unchanged), or when a count
    /// would overflow.
    fn record(&mut self, input: Self::Input) -> Result<()>;

    /// Adds another partial aggregate of the same metric into this one.
    ///
    /// # Errors
    /// When the two aggregates were built with different settings, or a count would overflow
    /// (the aggregate is then unchanged).
    fn merge(&mut self, other: &Self) -> Result<()>;

    /// The metric, or `None` while it is undefined (no observations yet).
    fn value(&self) -> Option<Self::Output>;

    /// Records every observation of an iterator, stopping at the first error.
    ///
    /// # Errors
    /// The first observation's error; observations before it stay recorded.
    fn record_all<I: IntoIterator<Item = Self::Input>>(&mut self, inputs: I) -> Result<()> {
        inputs.into_iter().try_for_each(|input| self.record(input))
    }
}
