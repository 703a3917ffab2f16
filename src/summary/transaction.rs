use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One purchase: who bought, when, and for how much.
///
/// `customer` is any id type (a `u64`, a `String`, a UUID…); the builders only need it to be
/// `Eq + Hash + Clone`. `at` is a naive (local) date-time: time buckets are cut on its calendar
/// date, so convert zoned timestamps to the business's local time first. `amount` is money as
/// [`Decimal`]; validation (for example, no negative amounts) happens where transactions are
/// consumed, and names the customer and field that are wrong.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transaction<Id> {
    /// The customer's id.
    pub customer: Id,
    /// When the purchase happened (local time).
    pub at: NaiveDateTime,
    /// The purchase's value.
    pub amount: Decimal,
}

impl<Id> Transaction<Id> {
    /// A transaction at a date or date-time (a date means midnight of that day).
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use customer_metrics::Transaction;
    /// use rust_decimal::Decimal;
    ///
    /// let day = NaiveDate::from_ymd_opt(1997, 1, 1).expect("valid date");
    /// let t = Transaction::new("c1", day, Decimal::new(2933, 2));
    /// assert_eq!(t.date(), day);
    /// ```
    pub fn new(customer: Id, at: impl Into<NaiveDateTime>, amount: Decimal) -> Self {
        Transaction { customer, at: at.into(), amount }
    }

    /// The calendar date of the transaction.
    #[must_use]
    pub fn date(&self) -> NaiveDate {
        self.at.date()
    }
}

impl<Id: std::fmt::Debug> Transaction<Id> {
    /// A transaction whose amount arrives as `f64` (from a CSV or a dataframe).
    ///
    /// # Errors
    /// [`Error::InvalidTransaction`](crate::Error::InvalidTransaction) naming the customer and
    /// the `amount` field when the amount is NaN, infinite, or too large for a [`Decimal`].
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use customer_metrics::Transaction;
    ///
    /// let day = NaiveDate::from_ymd_opt(1997, 1, 1).expect("valid date");
    /// assert!(Transaction::with_f64_amount(7, day, 12.5).is_ok());
    /// assert!(Transaction::with_f64_amount(7, day, f64::NAN).is_err());
    /// ```
    pub fn with_f64_amount(customer: Id, at: impl Into<NaiveDateTime>, amount: f64) -> crate::Result<Self> {
        match Decimal::try_from(amount) {
            Ok(amount) => Ok(Transaction::new(customer, at, amount)),
            _ => Err(crate::Error::InvalidTransaction {
                customer: format!("{customer:?}"),
                field: "amount",
                reason: format!("{amount} is not a finite money amount"),
            }),
        }
    }
}
