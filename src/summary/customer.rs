use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::serde_checked::checked_serde;
use crate::{Error, Result};

checked_serde! {
    /// One customer's purchase history reduced to what the "buy till you die" models need.
    ///
    /// Notation of the papers (Fader, Hardie & Lee 2005) beside the field names:
    ///
    /// | field | paper | meaning |
    /// |---|---|---|
    /// | `frequency` | x | repeat purchases: purchase periods (buckets) after the first one |
    /// | `recency` | t_x | time from the first to the last purchase (0 when x = 0) |
    /// | `age` | T | time from the first purchase to the end of the calibration period |
    /// | `monetary_value` | z̄ (m_x) | mean value of the repeat purchases (0 when x = 0) |
    ///
    /// Times are in the period unit the summaries were built with (for example weeks).
    /// Construct with [`CustomerSummary::new`] (checked) or get them from
    /// [`SummaryBuilder`](crate::summary::SummaryBuilder). Deserialising runs the same checks.
    ///
    /// ```
    /// use customer_metrics::CustomerSummary;
    /// use rust_decimal::Decimal;
    ///
    /// // Customer 1 of the CDNOW calibration summary.
    /// let c = CustomerSummary::new(2, 30.43, 38.86, Decimal::new(2235, 2))?;
    /// assert_eq!(c.frequency(), 2);
    /// assert!(CustomerSummary::new(2, 40.0, 38.86, Decimal::ZERO).is_err()); // recency > age
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct CustomerSummary {
        frequency: u32,
        recency: f64,
        age: f64,
        monetary_value: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        holdout: Option<HoldoutSummary>,
    }
    check = CustomerSummary::checked
}

impl CustomerSummary {
    /// Runs the checks of [`CustomerSummary::new`] on a deserialised summary (the holdout
    /// outcome was checked when it was deserialised).
    fn checked(self) -> Result<Self> {
        let summary = CustomerSummary::new(self.frequency, self.recency, self.age, self.monetary_value)?;
        Ok(match self.holdout {
            Some(h) => summary.with_holdout(h),
            None => summary,
        })
    }
}

impl CustomerSummary {
    /// A checked summary.
    ///
    /// # Errors
    /// [`Error::InvalidSummary`] when recency or age is negative or not finite, when
    /// `recency > age`, when `frequency = 0` but `recency ≠ 0`, or when the monetary value is
    /// negative.
    pub fn new(frequency: u32, recency: f64, age: f64, monetary_value: Decimal) -> Result<Self> {
        let invalid = |reason: String| Err(Error::InvalidSummary { customer: String::from("?"), reason });
        if !(recency.is_finite() && recency >= 0.0) {
            return invalid(format!("recency {recency} must be finite and non-negative"));
        }
        if !(age.is_finite() && age >= 0.0) {
            return invalid(format!("age {age} must be finite and non-negative"));
        }
        if recency > age {
            return invalid(format!("recency {recency} exceeds age {age}"));
        }
        if frequency == 0 && recency != 0.0 {
            return invalid(format!("recency {recency} must be 0 when frequency is 0"));
        }
        if monetary_value.is_sign_negative() && !monetary_value.is_zero() {
            return invalid(format!("monetary value {monetary_value} is negative"));
        }
        Ok(CustomerSummary { frequency, recency, age, monetary_value, holdout: None })
    }

    /// The same summary with its holdout-period outcome attached.
    #[must_use]
    pub fn with_holdout(mut self, holdout: HoldoutSummary) -> Self {
        self.holdout = Some(holdout);
        self
    }

    /// x: repeat purchases in the calibration period.
    #[must_use]
    pub fn frequency(&self) -> u32 {
        self.frequency
    }

    /// t_x: time of the last purchase, measured from the first.
    #[must_use]
    pub fn recency(&self) -> f64 {
        self.recency
    }

    /// T: time from the first purchase to the end of the calibration period.
    #[must_use]
    pub fn age(&self) -> f64 {
        self.age
    }

    /// z̄: mean value of the repeat purchases (0 when there are none).
    #[must_use]
    pub fn monetary_value(&self) -> Decimal {
        self.monetary_value
    }

    /// What the customer did in the holdout period, when summaries were built with a
    /// calibration end.
    #[must_use]
    pub fn holdout(&self) -> Option<&HoldoutSummary> {
        self.holdout.as_ref()
    }
}

checked_serde! {
    /// A customer's purchases in the holdout period (after the calibration end).
    #[derive(Debug, Clone, PartialEq)]
    pub struct HoldoutSummary {
        frequency: u32,
        spend: Decimal,
        length: f64,
    }
    check = |h| HoldoutSummary::new(h.frequency, h.spend, h.length)
}

impl HoldoutSummary {
    /// A checked holdout outcome: `frequency` purchase periods worth `spend` in total, over a
    /// holdout period of `length` periods.
    ///
    /// # Errors
    /// [`Error::InvalidSummary`] when the spend is negative or the length is negative or not
    /// finite.
    pub fn new(frequency: u32, spend: Decimal, length: f64) -> Result<Self> {
        if !(length.is_finite() && length >= 0.0) {
            return Err(Error::InvalidSummary {
                customer: String::from("?"),
                reason: format!("holdout length {length} must be finite and non-negative"),
            });
        }
        if spend.is_sign_negative() && !spend.is_zero() {
            return Err(Error::InvalidSummary {
                customer: String::from("?"),
                reason: format!("holdout spend {spend} is negative"),
            });
        }
        Ok(HoldoutSummary { frequency, spend, length })
    }

    /// x*: purchase periods (buckets) in the holdout period.
    #[must_use]
    pub fn frequency(&self) -> u32 {
        self.frequency
    }

    /// Total spend in the holdout period.
    #[must_use]
    pub fn spend(&self) -> Decimal {
        self.spend
    }

    /// t*: length of the holdout period, in periods.
    #[must_use]
    pub fn length(&self) -> f64 {
        self.length
    }
}

/// A customer's id, first purchase date and summary, as produced by the builder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRecord<Id> {
    /// The customer's id.
    pub id: Id,
    /// The date of the first purchase (the start of the customer's age T).
    pub first_purchase: NaiveDate,
    /// The model input.
    pub summary: CustomerSummary,
}
