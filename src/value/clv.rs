//! Formula customer lifetime value: constant margin and retention (Gupta & Lehmann), finite
//! horizon with per-period margins and retention or survival, and Kumar's period form.

use std::collections::HashMap;
use std::hash::Hash;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ValueComponent;
use super::discount::{Discount, Timing, add, check_probability, mul, mul_f64, period_number, sub};
use crate::serde_checked::checked_serde;
use crate::{Error, Result};

checked_serde! {
    /// CLV with a constant margin `m`, constant retention `r`, margin growth `g` per period and
    /// an infinite horizon (Gupta & Lehmann 2003; FORMULAS §5.2).
    ///
    /// With `i` the discount's [`per_period_rate`](Discount::per_period_rate), the customer
    /// pays period `t`'s margin `m(1 + g)^{t−1}` if still a customer at the moment of payment:
    ///
    /// * [`Timing::End`] (after `t` renewals): `CLV = Σ_{t≥1} m(1+g)^{t−1} r^t/(1+i)^t = m·r/(1 + i − r(1+g))`;
    /// * [`Timing::Start`] (the first margin now, certain): `CLV = m(1 + i)/(1 + i − r(1+g)) = m + (1+g)·m·r/(1 + i − r(1+g))`.
    ///
    /// The series converges iff `r(1 + g) < 1 + i` (checked by [`value`](Self::value)).
    /// With `g = 0` the End multiple `r/(1 + i − r)` is Gupta & Lehmann's margin multiple
    /// (`r = 0.8, i = 0.12` → 2.5).
    ///
    /// ```
    /// use customer_metrics::{ConstantRetentionClv, Discount, Timing};
    /// use rust_decimal::Decimal;
    ///
    /// let clv = ConstantRetentionClv::new(Decimal::from(100), 0.8)?;
    /// let value = clv.value(&Discount::new(0.12, Timing::End)?)?;
    /// assert!((value - Decimal::from(250)).abs() < Decimal::new(1, 10)); // 100 · 0.8/0.32
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct ConstantRetentionClv {
        margin: Decimal,
        retention: f64,
        #[serde(default)]
        growth: f64,
    }
    check = |c| ConstantRetentionClv::new(c.margin, c.retention)?.with_growth(c.growth)
}

impl ConstantRetentionClv {
    /// Margin `m` per period and retention `r` in [0, 1]; no growth.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`retention`) outside [0, 1].
    pub fn new(margin: Decimal, retention: f64) -> Result<Self> {
        check_probability("retention", retention)?;
        Ok(Self { margin, retention, growth: 0.0 })
    }

    /// Sets the margin growth rate `g` per period (finite, `> −1`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`growth`) when `g <= −1` or not finite.
    pub fn with_growth(mut self, growth: f64) -> Result<Self> {
        if !(growth.is_finite() && growth > -1.0) {
            return Err(Error::param("growth", growth, "a finite growth rate > −1"));
        }
        self.growth = growth;
        Ok(self)
    }

    /// The margin per period.
    #[must_use]
    pub fn margin(&self) -> Decimal {
        self.margin
    }

    /// The retention rate per period.
    #[must_use]
    pub fn retention(&self) -> f64 {
        self.retention
    }

    /// The margin growth rate per period.
    #[must_use]
    pub fn growth(&self) -> f64 {
        self.growth
    }

    /// The margin multiple `CLV / m`: `r/(1 + i − r(1+g))` (end) or `(1 + i)/(1 + i − r(1+g))`
    /// (start).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`retention`) when `r(1 + g) >= 1 + i` (the series
    /// diverges).
    pub fn multiple(&self, discount: &Discount) -> Result<f64> {
        let i = discount.per_period_rate();
        let denominator = 1.0 + i - self.retention * (1.0 + self.growth);
        if !(denominator.is_finite() && denominator > 0.0) {
            return Err(Error::param(
                "retention",
                self.retention,
                "r·(1 + g) < 1 + i, the convergence condition of the infinite-horizon CLV",
            ));
        }
        Ok(match discount.timing() {
            Timing::End => self.retention / denominator,
            Timing::Start => (1.0 + i) / denominator,
        })
    }

    /// `CLV = m · multiple`.
    ///
    /// # Errors
    /// As [`multiple`](Self::multiple); [`Error::Overflow`] when the product overflows.
    pub fn value(&self, discount: &Discount) -> Result<Decimal> {
        mul_f64(self.margin, self.multiple(discount)?, "constant-retention CLV")
    }
}

/// How long a customer stays, period by period, in a [`FiniteHorizonClv`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Survival {
    /// Retention rates `r_1, r_2, …` in [0, 1]: the probability of paying period `t`'s margin is
    /// `S_t = r_1 · r_2 ⋯ r_t`. Start with `r_1 = 1` when the first margin is certain.
    Retention(Vec<f64>),
    /// The survival curve `S_1, S_2, …` itself: non-increasing probabilities in [0, 1].
    Curve(Vec<f64>),
}

impl Survival {
    /// The survival probabilities `S_t`, checked.
    fn curve(&self) -> Result<Vec<f64>> {
        match self {
            Survival::Retention(rates) => {
                let mut s = 1.0;
                rates
                    .iter()
                    .map(|&r| {
                        s *= check_probability("retention", r)?;
                        Ok(s)
                    })
                    .collect()
            }
            Survival::Curve(curve) => {
                let mut previous = 1.0;
                for &s in curve {
                    check_probability("survival", s)?;
                    if s > previous {
                        return Err(Error::param("survival", s, "a non-increasing survival curve"));
                    }
                    previous = s;
                }
                Ok(curve.clone())
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Survival::Retention(v) | Survival::Curve(v) => v.len(),
        }
    }
}

checked_serde! {
    /// CLV over a finite horizon of `N` periods with per-period margins and retention or a
    /// survival curve (Gupta et al. 2006, `CLV = Σ_t m_t·S_t/(1+i)^t`):
    ///
    /// `CLV = Σ_{t=1}^{N} m_t · S_t · factor(t)`, with `factor` the [`Discount`]'s.
    ///
    /// ```
    /// use customer_metrics::{Discount, FiniteHorizonClv, Survival, Timing};
    /// use rust_decimal::Decimal;
    ///
    /// // 100 then 120, retained with probability 0.9 then 0.8, at 10 % a period, end of period:
    /// // 100·0.9/1.1 + 120·0.72/1.21 = 81.8181… + 71.4049… = 153.2231…
    /// let clv = FiniteHorizonClv::new(
    ///     vec![Decimal::from(100), Decimal::from(120)],
    ///     Survival::Retention(vec![0.9, 0.8]),
    /// )?;
    /// let v = clv.value(&Discount::new(0.10, Timing::End)?)?;
    /// assert!((v - Decimal::new(1532231405, 7)).abs() < Decimal::new(1, 6));
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct FiniteHorizonClv {
        margins: Vec<Decimal>,
        survival: Survival,
    }
    check = |c| FiniteHorizonClv::new(c.margins, c.survival)
}

impl FiniteHorizonClv {
    /// Per-period margins `m_1..m_N` and as many retention rates or survival probabilities.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the lengths differ; [`Error::InvalidParameter`] (`retention` or
    /// `survival`) for a probability outside [0, 1] or an increasing survival curve.
    pub fn new(margins: Vec<Decimal>, survival: Survival) -> Result<Self> {
        if margins.len() != survival.len() {
            return Err(Error::Mismatch {
                what: format!("{} margins but {} survival periods", margins.len(), survival.len()),
            });
        }
        survival.curve()?;
        Ok(Self { margins, survival })
    }

    /// The per-period margins.
    #[must_use]
    pub fn margins(&self) -> &[Decimal] {
        &self.margins
    }

    /// The survival input.
    #[must_use]
    pub fn survival(&self) -> &Survival {
        &self.survival
    }

    /// `Σ_t m_t · S_t · factor(t)`.
    ///
    /// # Errors
    /// [`Error::Overflow`] when the sum overflows.
    pub fn value(&self, discount: &Discount) -> Result<Decimal> {
        let curve = self.survival.curve()?;
        let mut total = Decimal::ZERO;
        for (index, (margin, s)) in self.margins.iter().zip(curve).enumerate() {
            let factor = discount.factor_f64(period_number(index)?)?;
            total = add(total, mul_f64(*margin, s * factor, "finite-horizon CLV")?, "finite-horizon CLV")?;
        }
        Ok(total)
    }
}

checked_serde! {
    /// Kumar's period form of CLV (Kumar 2008; Venkatesan & Kumar 2004; FORMULAS §3.1(b)):
    ///
    /// `CLV = Σ_{t=1}^{N} [p_t · GC_t − MC_t] · factor(t)`,
    ///
    /// with `p_t` the predicted probability that the customer buys in period `t`, `GC_t` the
    /// predicted gross contribution if they buy and `MC_t` the marketing cost spent on them in
    /// period `t`. Kumar discounts over `t − T` periods from the present period `T`, which is
    /// [`Timing::End`]; the period length converts an annual rate (15 % a year is
    /// 7.23805 % a half-year). Venkatesan & Kumar's (2004) purchase-occasion form discounts
    /// each purchase at `t/frequency` years: express it here with one period per purchase
    /// occasion, `period_length = 1/frequency` and `p_t = 1`, placing each year's marketing
    /// cost in the period where it is spent (their paper discounts that cost by whole years,
    /// an exponent FORMULAS §3.1 marks as unverified).
    ///
    /// ```
    /// use customer_metrics::{Discount, KumarClv, Timing};
    /// use rust_decimal::Decimal;
    ///
    /// // Two periods at 10 %: (0.5·200 − 20)/1.1 + (0.4·200 − 20)/1.21 = 72.7272… + 49.5867… = 122.3140…
    /// let clv = KumarClv::new(
    ///     vec![0.5, 0.4],
    ///     vec![Decimal::from(200), Decimal::from(200)],
    ///     vec![Decimal::from(20), Decimal::from(20)],
    /// )?;
    /// let v = clv.value(&Discount::new(0.10, Timing::End)?)?;
    /// assert!((v - Decimal::new(1223140496, 7)).abs() < Decimal::new(1, 6));
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct KumarClv {
        purchase_probability: Vec<f64>,
        gross_contribution: Vec<Decimal>,
        marketing_cost: Vec<Decimal>,
    }
    check = |c| KumarClv::new(c.purchase_probability, c.gross_contribution, c.marketing_cost)
}

impl KumarClv {
    /// Per-period purchase probabilities, gross contributions and marketing costs, all of the
    /// same length `N`.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the lengths differ; [`Error::InvalidParameter`]
    /// (`purchase_probability`) outside [0, 1].
    pub fn new(
        purchase_probability: Vec<f64>,
        gross_contribution: Vec<Decimal>,
        marketing_cost: Vec<Decimal>,
    ) -> Result<Self> {
        let n = purchase_probability.len();
        if gross_contribution.len() != n || marketing_cost.len() != n {
            return Err(Error::Mismatch {
                what: format!(
                    "{n} purchase probabilities, {} gross contributions, {} marketing costs",
                    gross_contribution.len(),
                    marketing_cost.len()
                ),
            });
        }
        for &p in &purchase_probability {
            check_probability("purchase_probability", p)?;
        }
        Ok(Self { purchase_probability, gross_contribution, marketing_cost })
    }

    /// `Σ_t [p_t·GC_t − MC_t] · factor(t)`.
    ///
    /// # Errors
    /// [`Error::Overflow`] when the sum overflows.
    pub fn value(&self, discount: &Discount) -> Result<Decimal> {
        let mut total = Decimal::ZERO;
        let rows = self.purchase_probability.iter().zip(&self.gross_contribution).zip(&self.marketing_cost);
        for (index, ((p, gc), mc)) in rows.enumerate() {
            let expected = mul_f64(*gc, *p, "Kumar CLV gross contribution")?;
            let net = sub(expected, *mc, "Kumar CLV")?;
            let factor = discount.factor(period_number(index)?)?;
            total = add(total, mul(net, factor, "Kumar CLV")?, "Kumar CLV")?;
        }
        Ok(total)
    }
}

/// One customer's formula CLV, any of the three forms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClvFormula {
    /// Constant margin and retention, infinite horizon.
    Constant(ConstantRetentionClv),
    /// Finite horizon with per-period margins and survival.
    Finite(FiniteHorizonClv),
    /// Kumar's purchase-probability form.
    Kumar(KumarClv),
}

impl ClvFormula {
    /// The CLV under `discount`.
    ///
    /// # Errors
    /// As the form's own `value`.
    pub fn value(&self, discount: &Discount) -> Result<Decimal> {
        match self {
            ClvFormula::Constant(c) => c.value(discount),
            ClvFormula::Finite(c) => c.value(discount),
            ClvFormula::Kumar(c) => c.value(discount),
        }
    }
}

impl From<ConstantRetentionClv> for ClvFormula {
    fn from(c: ConstantRetentionClv) -> Self {
        ClvFormula::Constant(c)
    }
}

impl From<FiniteHorizonClv> for ClvFormula {
    fn from(c: FiniteHorizonClv) -> Self {
        ClvFormula::Finite(c)
    }
}

impl From<KumarClv> for ClvFormula {
    fn from(c: KumarClv) -> Self {
        ClvFormula::Kumar(c)
    }
}

/// The CLV component from formulas: one [`ClvFormula`] per customer and one [`Discount`].
/// Its name is `"CLV"`. (Model-based CLV plugs in through
/// [`PrecomputedValue`](super::PrecomputedValue).)
///
/// ```
/// use customer_metrics::{ConstantRetentionClv, Discount, FormulaClv, Timing, ValueComponent};
/// use rust_decimal::Decimal;
///
/// let mut clv = FormulaClv::new(Discount::new(0.10, Timing::End)?);
/// clv.insert(1_u32, ConstantRetentionClv::new(Decimal::from(60), 0.9)?)?;
/// // 60 · 0.9/(1.1 − 0.9) = 270
/// assert!((clv.value(&1)? - Decimal::from(270)).abs() < Decimal::new(1, 10));
/// assert_eq!(clv.value(&2)?, Decimal::ZERO);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "Id: Serialize + Eq + Hash", deserialize = "Id: Deserialize<'de> + Eq + Hash"))]
pub struct FormulaClv<Id: Eq + Hash> {
    discount: Discount,
    customers: HashMap<Id, ClvFormula>,
}

impl<Id: Eq + Hash> FormulaClv<Id> {
    /// No customers yet, valued under `discount`.
    #[must_use]
    pub fn new(discount: Discount) -> Self {
        Self { discount, customers: HashMap::new() }
    }

    /// Adds a customer's formula.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the customer already has one.
    pub fn insert(&mut self, customer: Id, formula: impl Into<ClvFormula>) -> Result<()>
    where
        Id: std::fmt::Debug,
    {
        if self.customers.contains_key(&customer) {
            return Err(Error::Mismatch { what: format!("customer {customer:?} has two CLV formulas") });
        }
        self.customers.insert(customer, formula.into());
        Ok(())
    }

    /// The discount used.
    #[must_use]
    pub fn discount(&self) -> &Discount {
        &self.discount
    }
}

impl<Id: Eq + Hash> ValueComponent<Id> for FormulaClv<Id> {
    fn name(&self) -> &str {
        "CLV"
    }
    fn value(&self, customer: &Id) -> Result<Decimal> {
        match self.customers.get(customer) {
            Some(formula) => formula.value(&self.discount),
            None => Ok(Decimal::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(x: f64) -> Decimal {
        Decimal::try_from(x).unwrap()
    }

    #[test]
    fn gupta_lehmann_margin_multiples() {
        // FORMULAS §5.2 table [C]: r/(1+i−r), simple arithmetic.
        let table = [
            (0.10, [1.2000, 1.7500, 2.6667, 4.5000]),
            (0.12, [1.1538, 1.6667, 2.5000, 4.0909]),
            (0.14, [1.1111, 1.5909, 2.3529, 3.7500]),
            (0.16, [1.0714, 1.5217, 2.2222, 3.4615]),
        ];
        for (i, row) in table {
            let discount = Discount::new(i, Timing::End).unwrap();
            for (r, expected) in [0.6, 0.7, 0.8, 0.9].into_iter().zip(row) {
                let m = ConstantRetentionClv::new(Decimal::ONE, r).unwrap().multiple(&discount).unwrap();
                assert!((m - expected).abs() < 5e-5, "i={i} r={r}: {m} vs {expected}");
            }
        }
    }

    #[test]
    fn start_timing_and_growth_against_brute_force() {
        // Brute-force series of FORMULAS §5.2: Σ_{t=0}^{∞} m (1+g)^t r^t/(1+i)^t (start),
        // Σ_{t=1}^{∞} m (1+g)^{t−1} r^t/(1+i)^t (end), truncated at 2,000 terms.
        let (m, r, g, i): (f64, f64, f64, f64) = (50.0, 0.85, 0.03, 0.12);
        let mut start = 0.0;
        let mut end = 0.0;
        for t in 0..2000 {
            let t = f64::from(t);
            start += m * ((1.0 + g) * r / (1.0 + i)).powf(t);
            end += m * (1.0 + g).powf(t) * (r / (1.0 + i)).powf(t + 1.0);
        }
        let clv = ConstantRetentionClv::new(d(m), r).unwrap().with_growth(g).unwrap();
        let v_start = clv.value(&Discount::new(i, Timing::Start).unwrap()).unwrap();
        let v_end = clv.value(&Discount::new(i, Timing::End).unwrap()).unwrap();
        assert!((v_start - d(start)).abs() < d(1e-9), "{v_start} vs {start}");
        assert!((v_end - d(end)).abs() < d(1e-9), "{v_end} vs {end}");
        // Divergence: r(1+g) >= 1+i.
        let bad = ConstantRetentionClv::new(d(m), 0.99).unwrap().with_growth(0.2).unwrap();
        assert!(bad.value(&Discount::new(0.1, Timing::End).unwrap()).is_err());
    }

    #[test]
    fn finite_horizon_tends_to_closed_form() {
        // Constant retention 0.8 for 400 periods at 12 %: the tail 0.8^400 is negligible, so
        // the finite sum equals the closed form m·r/(1+i−r) = 100·2.5 = 250.
        let clv = FiniteHorizonClv::new(vec![Decimal::from(100); 400], Survival::Retention(vec![0.8; 400]))
            .unwrap();
        let v = clv.value(&Discount::new(0.12, Timing::End).unwrap()).unwrap();
        assert!((v - Decimal::from(250)).abs() < d(1e-9), "{v}");
        // The same as a survival curve.
        let curve: Vec<f64> = (1..=400).map(|t| 0.8_f64.powi(t)).collect();
        let clv2 = FiniteHorizonClv::new(vec![Decimal::from(100); 400], Survival::Curve(curve)).unwrap();
        let v2 = clv2.value(&Discount::new(0.12, Timing::End).unwrap()).unwrap();
        assert!((v - v2).abs() < d(1e-9));
        assert!(FiniteHorizonClv::new(vec![Decimal::ONE; 2], Survival::Curve(vec![0.5, 0.6])).is_err());
        assert!(FiniteHorizonClv::new(vec![Decimal::ONE; 2], Survival::Curve(vec![0.5])).is_err());
    }

    #[test]
    fn kumar_semiannual_example() {
        // Kumar's 15 %/year over half-year periods: two half-years of (0.6·300 − 30) = 150 each:
        // 150/1.0723805 + 150/1.15 = 139.8755… + 130.4348… = 270.3103…
        let clv =
            KumarClv::new(vec![0.6, 0.6], vec![Decimal::from(300); 2], vec![Decimal::from(30); 2]).unwrap();
        let discount = Discount::new(0.15, Timing::End).unwrap().with_period_length(0.5).unwrap();
        let v = clv.value(&discount).unwrap();
        let expected = 150.0 / 1.15_f64.sqrt() + 150.0 / 1.15;
        assert!((v - d(expected)).abs() < d(1e-9), "{v} vs {expected}");
        assert!(KumarClv::new(vec![1.2], vec![Decimal::ONE], vec![Decimal::ONE]).is_err());
    }
}
