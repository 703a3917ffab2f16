//! Model-based CLV as a value component.

use std::collections::HashMap;
use std::hash::Hash;

use rust_decimal::Decimal;

use super::ValueComponent;
use crate::models::{Clv, PurchaseModel, SpendModel};
use crate::summary::{CustomerRecord, CustomerSummary};
use crate::{Error, Result};

/// Model-based CLV — a fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD) × a spend model
/// (Gamma-Gamma, or one fixed spend) under [`Clv`]'s discounting and margin — as a
/// [`ValueComponent`], so it is the CLV part of engagement value like a formula CLV is.
///
/// Each customer's value is [`Clv::value`] of their summary, computed when asked; customers
/// without a summary are worth zero (the [`ValueComponent`] contract).
///
/// ```
/// use customer_metrics::{BgNbd, Clv, CustomerSummary, GammaGamma, ModelClv, ValueComponent};
/// use rust_decimal::Decimal;
///
/// // The published CDNOW estimates (Fader, Hardie & Lee 2005; Fader & Hardie 2013).
/// let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
/// let spend = GammaGamma::new(6.25, 3.74, 15.44)?;
/// let settings = Clv::finite(1.0, 52, 0.0)?; // 52 weeks, undiscounted
/// let mut clv = ModelClv::new("CLV", bg.clone(), spend.clone(), settings);
/// let ann = CustomerSummary::new(2, 30.43, 38.86, Decimal::new(2235, 2))?;
/// clv.insert("ann", ann.clone())?;
/// assert_eq!(clv.value(&"ann")?, settings.value(&bg, &spend, &ann)?);
/// assert_eq!(clv.value(&"bob")?, Decimal::ZERO);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ModelClv<Id, P, S> {
    name: String,
    model: P,
    spend: S,
    clv: Clv,
    customers: HashMap<Id, CustomerSummary>,
}

impl<Id: Eq + Hash, P: PurchaseModel, S: SpendModel> ModelClv<Id, P, S> {
    /// A component called `name` (such as `"CLV"`) with no customers yet.
    #[must_use]
    pub fn new(name: impl Into<String>, model: P, spend: S, clv: Clv) -> Self {
        ModelClv { name: name.into(), model, spend, clv, customers: HashMap::new() }
    }

    /// The component for the customers of a summary build (its [`CustomerRecord`]s).
    ///
    /// # Errors
    /// [`Error::Mismatch`] when a customer appears twice.
    pub fn from_records(
        name: impl Into<String>,
        model: P,
        spend: S,
        clv: Clv,
        records: impl IntoIterator<Item = CustomerRecord<Id>>,
    ) -> Result<Self>
    where
        Id: std::fmt::Debug,
    {
        let mut out = Self::new(name, model, spend, clv);
        for record in records {
            out.insert(record.id, record.summary)?;
        }
        Ok(out)
    }

    /// Adds a customer's summary.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the customer is already there.
    pub fn insert(&mut self, id: Id, summary: CustomerSummary) -> Result<()>
    where
        Id: std::fmt::Debug,
    {
        if self.customers.contains_key(&id) {
            return Err(Error::Mismatch { what: format!("customer {id:?} appears twice in {}", self.name) });
        }
        self.customers.insert(id, summary);
        Ok(())
    }

    /// The CLV settings.
    #[must_use]
    pub fn settings(&self) -> &Clv {
        &self.clv
    }
}

impl<Id: Eq + Hash, P: PurchaseModel, S: SpendModel> ValueComponent<Id> for ModelClv<Id, P, S> {
    fn name(&self) -> &str {
        &self.name
    }

    fn value(&self, customer: &Id) -> Result<Decimal> {
        match self.customers.get(customer) {
            Some(summary) => self.clv.value(&self.model, &self.spend, summary),
            None => Ok(Decimal::ZERO),
        }
    }
}
