//! Customer knowledge value: discounted profit from implemented customer ideas and feedback.

use std::collections::HashMap;
use std::hash::Hash;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ValueComponent;
use super::discount::{Discount, add, check_probability, mul, mul_f64, period_number, sub};
use crate::serde_checked::checked_serde;
use crate::{Error, Result};

checked_serde! {
    /// A customer's part in one implemented idea (a product suggestion, a reported defect, a
    /// review that changed a process): the idea's incremental profit by period, the share of
    /// it attributed to the customer, and the customer-specific costs by period (soliciting,
    /// rewarding, implementing their part).
    ///
    /// Its value is `Σ_t (Δprofit_t · share − cost_t) · factor(t)` (FORMULAS §3.4, Kumar et al.
    /// 2010: the paper gives no closed form; this discounted cash-flow sum is the crate's
    /// operationalisation). When the two series differ in length the shorter counts as zero
    /// beyond its end.
    #[derive(Debug, Clone, PartialEq)]
    pub struct IdeaContribution {
        incremental_profit: Vec<Decimal>,
        share: f64,
        #[serde(default)]
        costs: Vec<Decimal>,
    }
    check = |c| IdeaContribution::new(c.incremental_profit, c.share, c.costs)
}

impl IdeaContribution {
    /// The idea's incremental profit by period, the customer's share in [0, 1], and their
    /// costs by period.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`share`) outside [0, 1].
    pub fn new(incremental_profit: Vec<Decimal>, share: f64, costs: Vec<Decimal>) -> Result<Self> {
        check_probability("share", share)?;
        Ok(Self { incremental_profit, share, costs })
    }

    /// The discounted net value of the contribution.
    ///
    /// # Errors
    /// [`Error::Overflow`].
    pub fn value(&self, discount: &Discount) -> Result<Decimal> {
        let n = self.incremental_profit.len().max(self.costs.len());
        let mut total = Decimal::ZERO;
        for index in 0..n {
            let profit = self.incremental_profit.get(index).copied().unwrap_or(Decimal::ZERO);
            let cost = self.costs.get(index).copied().unwrap_or(Decimal::ZERO);
            let net = sub(mul_f64(profit, self.share, "CKV attributed profit")?, cost, "CKV")?;
            total = add(total, mul(net, discount.factor(period_number(index)?)?, "CKV")?, "CKV")?;
        }
        Ok(total)
    }
}

/// The CKV component: `CKV_i = Σ_k Σ_t (Δprofit_{k,t}·share_{ik} − cost_{ik,t})·factor(t)` over
/// the ideas `k` a customer contributed to. Its name is `"CKV"`.
///
/// ```
/// use customer_metrics::{Discount, IdeaContribution, KnowledgeValue, Timing, ValueComponent};
/// use rust_decimal::Decimal;
///
/// let mut ckv = KnowledgeValue::new(Discount::new(0.10, Timing::End)?);
/// // A quarter of an idea worth 440 in period 1, minus a 10 reward: (110 − 10)/1.1 = 90.9090…
/// ckv.insert(3_u64, vec![IdeaContribution::new(vec![Decimal::from(440)], 0.25, vec![Decimal::from(10)])?])?;
/// let v = ckv.value(&3)?;
/// assert!((v - Decimal::new(909090909091, 10)).abs() < Decimal::new(1, 9));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "Id: Serialize", deserialize = "Id: Deserialize<'de>"))]
pub struct KnowledgeValue<Id: Eq + Hash> {
    discount: Discount,
    customers: HashMap<Id, Vec<IdeaContribution>>,
}

impl<Id: Eq + Hash> KnowledgeValue<Id> {
    /// No customers yet.
    #[must_use]
    pub fn new(discount: Discount) -> Self {
        Self { discount, customers: HashMap::new() }
    }

    /// Adds a customer's idea contributions.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the customer is already present.
    pub fn insert(&mut self, customer: Id, ideas: Vec<IdeaContribution>) -> Result<()>
    where
        Id: std::fmt::Debug,
    {
        if self.customers.contains_key(&customer) {
            return Err(Error::Mismatch { what: format!("customer {customer:?} inserted twice in CKV") });
        }
        self.customers.insert(customer, ideas);
        Ok(())
    }
}

impl<Id: Eq + Hash> ValueComponent<Id> for KnowledgeValue<Id> {
    fn name(&self) -> &str {
        "CKV"
    }
    fn value(&self, customer: &Id) -> Result<Decimal> {
        let mut total = Decimal::ZERO;
        for idea in self.customers.get(customer).map(Vec::as_slice).unwrap_or_default() {
            total = add(total, idea.value(&self.discount)?, "CKV")?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Timing;

    #[test]
    fn two_ideas_by_hand() {
        // Start-of-period timing at 20 %: idea A, share 0.5 of (100, 100), cost (20): period 1
        // 50 − 20 = 30 (undiscounted), period 2 50/1.2 = 41.6666…; idea B, share 1 of (0, 60),
        // cost (0, 0): 60/1.2 = 50. Total 121.6666…
        let d = Discount::new(0.2, Timing::Start).unwrap();
        let mut ckv = KnowledgeValue::new(d);
        let a = IdeaContribution::new(vec![Decimal::from(100); 2], 0.5, vec![Decimal::from(20)]).unwrap();
        let b = IdeaContribution::new(vec![Decimal::ZERO, Decimal::from(60)], 1.0, vec![]).unwrap();
        ckv.insert("c", vec![a, b]).unwrap();
        let v = ckv.value(&"c").unwrap();
        let expected = 30.0 + 50.0 / 1.2 + 60.0 / 1.2;
        assert!((v - Decimal::try_from(expected).unwrap()).abs() < Decimal::new(1, 10), "{v}");
        assert!(IdeaContribution::new(vec![], 1.5, vec![]).is_err());
    }
}
