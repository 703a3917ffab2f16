//! The [`ValueComponent`] trait and the [`PrecomputedValue`] component.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One part of a customer's value, in money.
///
/// Customer engagement value is a sum of components ([`Engagement`](super::Engagement)): the
/// crate's CLV ([`FormulaClv`](super::FormulaClv), the model-based
/// [`ModelClv`](super::ModelClv), or values computed elsewhere through [`PrecomputedValue`]), CRV ([`ReferralValue`](super::ReferralValue)), CIV
/// ([`InfluenceValue`](super::InfluenceValue)) and CKV ([`KnowledgeValue`](super::KnowledgeValue))
/// implement it, and so can any part a user adds (a partner's commission, a data licence).
///
/// The trait is object safe and generic over the customer id type `Id`, so an application can
/// hold `Vec<Box<dyn ValueComponent<Id> + Send + Sync>>`.
///
/// Contract: [`value`](ValueComponent::value) returns `Decimal::ZERO` for a customer the
/// component has no data about (a customer who made no referral has no referral value); an
/// error means the component's data for that customer could not be valued (for example an
/// overflow).
///
/// ```
/// use customer_metrics::{PrecomputedValue, ValueComponent};
/// use rust_decimal::Decimal;
///
/// /// A user's own component: a flat loyalty-programme credit per member.
/// struct LoyaltyCredit;
/// impl ValueComponent<u32> for LoyaltyCredit {
///     fn name(&self) -> &str { "loyalty" }
///     fn value(&self, customer: &u32) -> customer_metrics::Result<Decimal> {
///         Ok(if *customer < 100 { Decimal::from(5) } else { Decimal::ZERO })
///     }
/// }
///
/// let clv = PrecomputedValue::from_values("CLV", [(7_u32, Decimal::from(120))])?;
/// let parts: Vec<Box<dyn ValueComponent<u32>>> = vec![Box::new(clv), Box::new(LoyaltyCredit)];
/// let total = parts.iter().map(|p| p.value(&7)).sum::<customer_metrics::Result<Decimal>>()?;
/// assert_eq!(total, Decimal::from(125));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
pub trait ValueComponent<Id: ?Sized> {
    /// A short name for reports ("CLV", "CRV", "CIV", "CKV" for the crate's components).
    fn name(&self) -> &str;

    /// The component's value of `customer` (zero when the component knows nothing of them).
    ///
    /// # Errors
    /// Whatever the component cannot value, typically [`Error::Overflow`].
    fn value(&self, customer: &Id) -> Result<Decimal>;
}

impl<Id: ?Sized, T: ValueComponent<Id> + ?Sized> ValueComponent<Id> for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn value(&self, customer: &Id) -> Result<Decimal> {
        (**self).value(customer)
    }
}

impl<Id: ?Sized, T: ValueComponent<Id> + ?Sized> ValueComponent<Id> for Box<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn value(&self, customer: &Id) -> Result<Decimal> {
        (**self).value(customer)
    }
}

impl<Id: ?Sized, T: ValueComponent<Id> + ?Sized> ValueComponent<Id> for Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn value(&self, customer: &Id) -> Result<Decimal> {
        (**self).value(customer)
    }
}

/// A component that reads each customer's value from a map: the hook for values computed
/// elsewhere, such as a model-based CLV (BG/NBD or Pareto/NBD with Gamma-Gamma from
/// [`models`](crate::models)), a finance team's margin forecast, or a previous run.
///
/// Customers not in the map are worth zero (the [`ValueComponent`] contract).
///
/// ```
/// use customer_metrics::{PrecomputedValue, ValueComponent};
/// use rust_decimal::Decimal;
///
/// // Model-based CLV computed by a purchase model and a spend model, plugged in as a component.
/// let mut clv = PrecomputedValue::new("CLV");
/// clv.insert("ann".to_string(), Decimal::new(31250, 2))?;
/// assert_eq!(clv.value(&"ann".to_string())?, Decimal::new(31250, 2));
/// assert_eq!(clv.value(&"bob".to_string())?, Decimal::ZERO);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "Id: Serialize + Eq + Hash", deserialize = "Id: Deserialize<'de> + Eq + Hash"))]
pub struct PrecomputedValue<Id: Eq + Hash> {
    name: String,
    values: HashMap<Id, Decimal>,
}

impl<Id: Eq + Hash> PrecomputedValue<Id> {
    /// An empty component called `name`.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), values: HashMap::new() }
    }

    /// A component called `name` holding `values`.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when a customer appears twice.
    pub fn from_values(
        name: impl Into<String>,
        values: impl IntoIterator<Item = (Id, Decimal)>,
    ) -> Result<Self>
    where
        Id: std::fmt::Debug,
    {
        let mut out = Self::new(name);
        for (id, value) in values {
            out.insert(id, value)?;
        }
        Ok(out)
    }

    /// Adds a customer's value.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the customer already has a value (the map is left unchanged).
    pub fn insert(&mut self, customer: Id, value: Decimal) -> Result<()>
    where
        Id: std::fmt::Debug,
    {
        if self.values.contains_key(&customer) {
            return Err(Error::Mismatch {
                what: format!("customer {customer:?} has two values in component {}", self.name),
            });
        }
        self.values.insert(customer, value);
        Ok(())
    }

    /// The stored value of `customer`, if any.
    #[must_use]
    pub fn get(&self, customer: &Id) -> Option<Decimal> {
        self.values.get(customer).copied()
    }

    /// The number of customers with a value.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no customer has a value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The customers with a value (in no particular order).
    pub fn customers(&self) -> impl Iterator<Item = &Id> {
        self.values.keys()
    }
}

impl<Id: Eq + Hash> ValueComponent<Id> for PrecomputedValue<Id> {
    fn name(&self) -> &str {
        &self.name
    }
    fn value(&self, customer: &Id) -> Result<Decimal> {
        Ok(self.values.get(customer).copied().unwrap_or(Decimal::ZERO))
    }
}
