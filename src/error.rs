//! The crate's one error type.
//!
//! Every fallible public function returns [`Result`]. Each variant names the input that was
//! wrong and why, and its documentation says how to fix the problem.

use serde::{Deserialize, Serialize};

/// The result type of every fallible function in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in this crate.
///
/// The enum is `#[non_exhaustive]`: later versions add variants, so match with a wildcard arm.
/// Errors are plain data (`Clone`, `PartialEq`, serde), so services can log or return them.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Error {
    /// A numeric argument or setting is outside its domain.
    ///
    /// Fix: pass a value inside `expected` (for example a confidence level in (0, 1)).
    #[error("invalid {name}: {value} (expected {expected})")]
    InvalidParameter {
        /// The parameter's name, as in the function's documentation.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// The allowed range or form.
        expected: &'static str,
    },

    /// A transaction cannot be used; `field` names the bad field.
    ///
    /// Fix: correct or remove the row upstream (for example net returns against purchases
    /// before building summaries, or widen the observation end).
    #[error("invalid transaction of customer {customer}: {field} {reason}")]
    InvalidTransaction {
        /// The customer id, formatted with `Debug`.
        customer: String,
        /// The field that is wrong (`amount`, `date`).
        field: &'static str,
        /// Why it is wrong.
        reason: String,
    },

    /// A customer summary is internally inconsistent (for example recency above age).
    ///
    /// Fix: recompute the summary; with `frequency = 0` the recency must be 0, and
    /// `0 <= recency <= age` must hold.
    #[error("invalid summary of customer {customer}: {reason}")]
    InvalidSummary {
        /// The customer id (or row index when the id is unknown).
        customer: String,
        /// What is inconsistent.
        reason: String,
    },

    /// A survey score is not an integer on the instrument's scale.
    ///
    /// Fix: map the responses to the scale first (NPS 0..=10, CES 1..=7 or 1..=5, CSAT 1..=5).
    #[error("score {score} is not an integer in {min}..={max}")]
    ScoreOutOfRange {
        /// The score that was given.
        score: f64,
        /// The smallest valid score.
        min: u8,
        /// The largest valid score.
        max: u8,
    },

    /// The data are too few for the requested computation.
    ///
    /// Fix: supply at least `needed` observations (or the named kind of observation).
    #[error("not enough data: {what} needs at least {needed}, got {got}")]
    NotEnoughData {
        /// What was being computed.
        what: &'static str,
        /// How many observations are needed.
        needed: u64,
        /// How many were given.
        got: u64,
    },

    /// Two inputs that must agree do not (lengths, scales, settings of merged aggregates).
    ///
    /// Fix: build both inputs with the same settings or lengths.
    #[error("mismatched inputs: {what}")]
    Mismatch {
        /// What disagrees.
        what: String,
    },

    /// A maximum-likelihood fit did not converge: this is the fit's report.
    ///
    /// Fix: supply starting values, a penalty (`penalizer`), more iterations, or check the data
    /// (a model whose parameter runs off to infinity may not suit the data).
    #[error(
        "fit did not converge after {iterations} iterations (gradient norm {gradient_norm}, log-likelihood {log_likelihood})"
    )]
    NotConverged {
        /// Iterations performed.
        iterations: u32,
        /// Norm of the gradient at the last iterate.
        gradient_norm: f64,
        /// Log-likelihood at the last iterate.
        log_likelihood: f64,
        /// The parameters at the last iterate, in the model's parameter order.
        parameters: Vec<f64>,
    },

    /// An iterative solver (not a likelihood fit) stopped at its iteration limit before its
    /// tolerance was met.
    ///
    /// Fix: raise the iteration limit or loosen the tolerance in the solver's options; a change
    /// that shrinks slowly means the problem is close to its convergence boundary.
    #[error("{what} did not converge in {iterations} iterations (last change {last_change})")]
    IterationLimit {
        /// The computation that was iterating.
        what: &'static str,
        /// Iterations performed.
        iterations: u32,
        /// The size of the last iteration's change, in the solver's own measure.
        last_change: f64,
    },

    /// An exact (integer or decimal) computation overflowed its type.
    ///
    /// Fix: split the data into smaller aggregates or rescale money amounts.
    #[error("arithmetic overflow in {what}")]
    Overflow {
        /// The quantity that overflowed.
        what: &'static str,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub(crate) fn param(name: &'static str, value: impl std::fmt::Display, expected: &'static str) -> Self {
        Error::InvalidParameter { name, value: value.to_string(), expected }
    }

    /// Shorthand for [`Error::Overflow`].
    pub(crate) fn overflow(what: &'static str) -> Self {
        Error::Overflow { what }
    }
}

/// Checks that `value` is finite and in `[min, max]`, naming it in the error.
pub(crate) fn check_range(
    name: &'static str,
    value: f64,
    min: f64,
    max: f64,
    expected: &'static str,
) -> Result<f64> {
    if value.is_finite() && value >= min && value <= max {
        Ok(value)
    } else {
        Err(Error::param(name, value, expected))
    }
}

/// Checks that `level` is a confidence level strictly between 0 and 1.
pub(crate) fn check_level(level: f64) -> Result<f64> {
    if level.is_finite() && level > 0.0 && level < 1.0 {
        Ok(level)
    } else {
        Err(Error::param("level", level, "a confidence level strictly between 0 and 1, such as 0.95"))
    }
}
