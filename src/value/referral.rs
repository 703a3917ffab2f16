//! Customer referral value (Kumar, Petersen & Leone 2007, 2010).

use std::collections::HashMap;
use std::hash::Hash;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ValueComponent;
use super::discount::{Discount, add, mul, period_number, sub};
use crate::serde_checked::checked_serde;
use crate::{Error, Result};

/// Whether a referred customer would have joined without the referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReferralKind {
    /// Type 1: would *not* have joined otherwise, so their whole net contribution (margin
    /// minus incentive and serving costs, plus the acquisition cost saved) is the referrer's.
    Type1,
    /// Type 2: would have joined anyway, so only the acquisition cost saved is the referrer's.
    Type2,
}

/// One period's cash flows of a referred customer. Every term is optional (zero when not
/// given), as FORMULAS §3.2 asks: some versions of the formula omit the serving cost `M`.
///
/// ```
/// use customer_metrics::ReferralPeriod;
/// use rust_decimal::Decimal;
///
/// let p = ReferralPeriod::default().contribution(Decimal::from(80)).incentive(Decimal::from(10));
/// assert_eq!(p.net(), Ok(Decimal::from(70)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralPeriod {
    /// `A_ty`: the referred customer's contribution margin in the period (type 1 only).
    pub contribution: Decimal,
    /// `a_ty`: the referral incentive paid (type 1 only).
    pub incentive: Decimal,
    /// `M_ty`: the marketing cost of retaining and serving the referred customer (type 1 only).
    pub serving_cost: Decimal,
    /// `ACQ1_ty` / `ACQ2_ty`: the acquisition cost saved by the referral.
    pub acquisition_saving: Decimal,
}

impl ReferralPeriod {
    /// Sets the contribution margin `A`.
    #[must_use]
    pub fn contribution(mut self, value: Decimal) -> Self {
        self.contribution = value;
        self
    }

    /// Sets the incentive cost `a`.
    #[must_use]
    pub fn incentive(mut self, value: Decimal) -> Self {
        self.incentive = value;
        self
    }

    /// Sets the serving cost `M`.
    #[must_use]
    pub fn serving_cost(mut self, value: Decimal) -> Self {
        self.serving_cost = value;
        self
    }

    /// Sets the acquisition cost saved `ACQ`.
    #[must_use]
    pub fn acquisition_saving(mut self, value: Decimal) -> Self {
        self.acquisition_saving = value;
        self
    }

    /// The type-1 net flow `A − a − M + ACQ`.
    ///
    /// # Errors
    /// [`Error::Overflow`].
    pub fn net(&self) -> Result<Decimal> {
        let x = sub(self.contribution, self.incentive, "referral net contribution")?;
        let x = sub(x, self.serving_cost, "referral net contribution")?;
        add(x, self.acquisition_saving, "referral net contribution")
    }
}

checked_serde! {
    /// One referred customer: their kind and their cash flows by period (the first element is
    /// period 1 after the referral).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Referral {
        kind: ReferralKind,
        periods: Vec<ReferralPeriod>,
    }
    check = |r| Referral::new(r.kind, r.periods)
}

impl Referral {
    /// A referral of `kind` with per-period flows.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a type-2 referral has a non-zero contribution,
    /// incentive or serving cost: only the acquisition saving of a type-2 referral is credited
    /// to the referrer, so other terms there are a data error.
    pub fn new(kind: ReferralKind, periods: Vec<ReferralPeriod>) -> Result<Self> {
        if kind == ReferralKind::Type2 {
            for p in &periods {
                for (name, v) in [
                    ("contribution", p.contribution),
                    ("incentive", p.incentive),
                    ("serving_cost", p.serving_cost),
                ] {
                    if !v.is_zero() {
                        return Err(Error::param(
                            name,
                            v,
                            "zero for a type-2 referral (only its acquisition saving is credited)",
                        ));
                    }
                }
            }
        }
        Ok(Self { kind, periods })
    }

    /// A type-1 referral.
    ///
    /// # Errors
    /// None in practice (kept fallible like [`Referral::new`]).
    pub fn type1(periods: Vec<ReferralPeriod>) -> Result<Self> {
        Self::new(ReferralKind::Type1, periods)
    }

    /// A type-2 referral saving `acquisition_saving[t − 1]` in period `t`.
    ///
    /// # Errors
    /// None in practice (kept fallible like [`Referral::new`]).
    pub fn type2(acquisition_saving: impl IntoIterator<Item = Decimal>) -> Result<Self> {
        let periods =
            acquisition_saving.into_iter().map(|s| ReferralPeriod::default().acquisition_saving(s)).collect();
        Self::new(ReferralKind::Type2, periods)
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> ReferralKind {
        self.kind
    }

    /// The per-period flows.
    #[must_use]
    pub fn periods(&self) -> &[ReferralPeriod] {
        &self.periods
    }

    /// The referral's discounted value to the referrer over the first `horizon` periods (all
    /// periods when `None`).
    ///
    /// # Errors
    /// [`Error::Overflow`].
    pub fn value(&self, discount: &Discount, horizon: Option<u32>) -> Result<Decimal> {
        let mut total = Decimal::ZERO;
        for (index, p) in self.periods.iter().enumerate() {
            let period = period_number(index)?;
            if horizon.is_some_and(|h| period > h) {
                break;
            }
            let flow = match self.kind {
                ReferralKind::Type1 => p.net()?,
                ReferralKind::Type2 => p.acquisition_saving,
            };
            total = add(total, mul(flow, discount.factor(period)?, "referral value")?, "referral value")?;
        }
        Ok(total)
    }
}

checked_serde! {
    /// A referrer's CRV split by referral kind. Deserialising checks `total = type1 + type2`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ReferralBreakdown {
        /// Discounted value of type-1 referrals.
        pub type1: Decimal,
        /// Discounted acquisition savings of type-2 referrals.
        pub type2: Decimal,
        /// `type1 + type2`.
        pub total: Decimal,
    }
    check = |b| {
        if add(b.type1, b.type2, "CRV")? == b.total {
            Ok(b)
        } else {
            Err(Error::param("total", b.total, "type1 + type2"))
        }
    }
}

/// The CRV of one referrer's referrals:
///
/// `CRV_i = Σ_{t=1}^{T} Σ_{y ∈ type 1} (A_ty − a_ty − M_ty + ACQ1_ty)·factor(t) + Σ_{t=1}^{T} Σ_{y ∈ type 2} ACQ2_ty·factor(t)`
///
/// (Kumar, Petersen & Leone 2010, Eq. 1 as in FORMULAS §3.2; `factor` from the
/// [`Discount`]; `T = horizon`, all periods when `None`).
///
/// # Errors
/// [`Error::Overflow`].
pub fn referral_value(
    referrals: &[Referral],
    discount: &Discount,
    horizon: Option<u32>,
) -> Result<ReferralBreakdown> {
    let (mut type1, mut type2) = (Decimal::ZERO, Decimal::ZERO);
    for r in referrals {
        let v = r.value(discount, horizon)?;
        match r.kind {
            ReferralKind::Type1 => type1 = add(type1, v, "CRV type 1")?,
            ReferralKind::Type2 => type2 = add(type2, v, "CRV type 2")?,
        }
    }
    Ok(ReferralBreakdown { type1, type2, total: add(type1, type2, "CRV")? })
}

/// The CRV component: each referrer's referrals, one [`Discount`] and an optional horizon.
/// Its name is `"CRV"`.
///
/// ```
/// use customer_metrics::{Discount, Referral, ReferralPeriod, ReferralValue, Timing, ValueComponent};
/// use rust_decimal::Decimal;
///
/// let mut crv = ReferralValue::new(Discount::new(0.10, Timing::End)?);
/// // Ann brought a type-1 customer (margin 110 in period 1, incentive 11) and a type-2 one
/// // (acquisition saving 55 in period 1): (110 − 11)/1.1 + 55/1.1 = 90 + 50 = 140.
/// crv.insert("ann", vec![
///     Referral::type1(vec![ReferralPeriod::default().contribution(Decimal::from(110)).incentive(Decimal::from(11))])?,
///     Referral::type2([Decimal::from(55)])?,
/// ])?;
/// assert!((crv.value(&"ann")? - Decimal::from(140)).abs() < Decimal::new(1, 12));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "Id: Serialize", deserialize = "Id: Deserialize<'de>"))]
pub struct ReferralValue<Id: Eq + Hash> {
    discount: Discount,
    horizon: Option<u32>,
    referrers: HashMap<Id, Vec<Referral>>,
}

impl<Id: Eq + Hash> ReferralValue<Id> {
    /// No referrers yet; all periods count.
    #[must_use]
    pub fn new(discount: Discount) -> Self {
        Self { discount, horizon: None, referrers: HashMap::new() }
    }

    /// Counts only the first `horizon` periods of each referral (Kumar et al. 2010 accumulate
    /// about a year after a campaign).
    #[must_use]
    pub fn with_horizon(mut self, horizon: u32) -> Self {
        self.horizon = Some(horizon);
        self
    }

    /// Adds a referrer's referrals.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the referrer is already present.
    pub fn insert(&mut self, referrer: Id, referrals: Vec<Referral>) -> Result<()>
    where
        Id: std::fmt::Debug,
    {
        if self.referrers.contains_key(&referrer) {
            return Err(Error::Mismatch { what: format!("referrer {referrer:?} inserted twice") });
        }
        self.referrers.insert(referrer, referrals);
        Ok(())
    }

    /// A referrer's CRV by kind (zero when unknown).
    ///
    /// # Errors
    /// [`Error::Overflow`].
    pub fn breakdown(&self, referrer: &Id) -> Result<ReferralBreakdown> {
        let referrals = self.referrers.get(referrer).map(Vec::as_slice).unwrap_or_default();
        referral_value(referrals, &self.discount, self.horizon)
    }
}

impl<Id: Eq + Hash> ValueComponent<Id> for ReferralValue<Id> {
    fn name(&self) -> &str {
        "CRV"
    }
    fn value(&self, customer: &Id) -> Result<Decimal> {
        Ok(self.breakdown(customer)?.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Timing;

    #[test]
    fn two_periods_by_hand_with_horizon() {
        // Hand computation at 10 %, end of period.
        // Type 1: period 1: 100 − 20 − 5 + 30 = 105 → 105/1.1 = 95.4545…;
        //         period 2: 100 − 0 − 5 + 0 = 95 → 95/1.21 = 78.5123…
        // Type 2: period 1: 40/1.1 = 36.3636…
        let t1 = Referral::type1(vec![
            ReferralPeriod::default()
                .contribution(Decimal::from(100))
                .incentive(Decimal::from(20))
                .serving_cost(Decimal::from(5))
                .acquisition_saving(Decimal::from(30)),
            ReferralPeriod::default().contribution(Decimal::from(100)).serving_cost(Decimal::from(5)),
        ])
        .unwrap();
        let t2 = Referral::type2([Decimal::from(40)]).unwrap();
        let d = Discount::new(0.1, Timing::End).unwrap();
        let b = referral_value(&[t1.clone(), t2.clone()], &d, None).unwrap();
        let expect1 = 105.0 / 1.1 + 95.0 / 1.21;
        let close = |x: Decimal, y: f64| (x - Decimal::try_from(y).unwrap()).abs() < Decimal::new(1, 10);
        assert!(close(b.type1, expect1), "{}", b.type1);
        assert!(close(b.type2, 40.0 / 1.1));
        assert!(close(b.total, expect1 + 40.0 / 1.1));
        // Horizon of one period drops period 2.
        let h = referral_value(&[t1, t2], &d, Some(1)).unwrap();
        assert!(close(h.type1, 105.0 / 1.1));
        // A type-2 referral with a contribution is rejected.
        let bad =
            Referral::new(ReferralKind::Type2, vec![ReferralPeriod::default().contribution(Decimal::ONE)]);
        assert!(bad.is_err());
    }
}
