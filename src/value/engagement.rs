//! Customer engagement value: the sum of value components per customer and for a portfolio,
//! the ranking, and the CLV × CRV quadrants.

use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ValueComponent;
use super::discount::add;
use crate::{Error, Result};

/// A boxed, thread-safe value component.
pub type BoxedComponent<Id> = Box<dyn ValueComponent<Id> + Send + Sync>;

/// Customer engagement value as a sum of [`ValueComponent`]s (Kumar et al. 2010,
/// `CEV_i = CLV_i + CRV_i + CIV_i + CKV_i`; FORMULAS §3).
///
/// The composition is the user's: any number of components in any order, the crate's four or
/// one's own. Each customer's CEV is the checked [`Decimal`] sum of the components' values,
/// so CEV equals the sum of its parts exactly.
///
/// ```
/// use customer_metrics::{Engagement, PrecomputedValue};
/// use rust_decimal::Decimal;
///
/// let clv = PrecomputedValue::from_values("CLV", [(1_u32, Decimal::from(300)), (2, Decimal::from(80))])?;
/// let crv = PrecomputedValue::from_values("CRV", [(2_u32, Decimal::from(250))])?;
/// let cev = Engagement::new().with(clv).with(crv);
/// let portfolio = cev.portfolio([1_u32, 2, 3])?;
/// assert_eq!(portfolio.total(), Decimal::from(630));
/// assert_eq!(portfolio.ranking()[0].customer(), &2); // 80 + 250 = 330 beats 300
/// assert_eq!(portfolio.component_total("CRV"), Some(Decimal::from(250)));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
pub struct Engagement<Id> {
    components: Vec<BoxedComponent<Id>>,
}

impl<Id> Default for Engagement<Id> {
    fn default() -> Self {
        Self { components: Vec::new() }
    }
}

impl<Id> Debug for Engagement<Id> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engagement").field("components", &self.component_names()).finish()
    }
}

impl<Id> Engagement<Id> {
    /// No components (every customer is worth zero).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a component (builder style).
    #[must_use]
    pub fn with(mut self, component: impl ValueComponent<Id> + Send + Sync + 'static) -> Self {
        self.components.push(Box::new(component));
        self
    }

    /// Adds a boxed component.
    pub fn push(&mut self, component: BoxedComponent<Id>) {
        self.components.push(component);
    }

    /// The components' names, in order.
    #[must_use]
    pub fn component_names(&self) -> Vec<String> {
        self.components.iter().map(|c| c.name().to_string()).collect()
    }

    /// One customer's value: each component's part and their sum.
    ///
    /// # Errors
    /// A component's error; [`Error::Overflow`] when the sum overflows.
    pub fn value(&self, customer: &Id) -> Result<CustomerValue<Id>>
    where
        Id: Clone,
    {
        let parts = self.components.iter().map(|c| c.value(customer)).collect::<Result<Vec<_>>>()?;
        CustomerValue::new(customer.clone(), parts)
    }

    /// The values of `customers`, ranked, with per-component and overall totals.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when a customer is listed twice; a component's error;
    /// [`Error::Overflow`].
    pub fn portfolio(&self, customers: impl IntoIterator<Item = Id>) -> Result<Portfolio<Id>>
    where
        Id: Clone + Eq + Hash + Debug,
    {
        let rows = customers.into_iter().map(|id| self.value(&id)).collect::<Result<Vec<_>>>()?;
        Portfolio::new(self.component_names(), rows)
    }
}

/// One customer's engagement value: the parts, in the order of the components, and their sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CustomerValueData<Id>", bound(deserialize = "Id: Deserialize<'de>"))]
pub struct CustomerValue<Id> {
    customer: Id,
    parts: Vec<Decimal>,
    total: Decimal,
}

#[derive(Deserialize)]
struct CustomerValueData<Id> {
    customer: Id,
    parts: Vec<Decimal>,
    total: Decimal,
}

impl<Id> TryFrom<CustomerValueData<Id>> for CustomerValue<Id> {
    type Error = Error;
    fn try_from(d: CustomerValueData<Id>) -> Result<Self> {
        let checked = Self::new(d.customer, d.parts)?;
        if checked.total != d.total {
            return Err(Error::param("total", d.total, "the sum of the parts"));
        }
        Ok(checked)
    }
}

impl<Id> CustomerValue<Id> {
    /// A customer's parts and their checked sum.
    ///
    /// # Errors
    /// [`Error::Overflow`] when the sum overflows.
    pub fn new(customer: Id, parts: Vec<Decimal>) -> Result<Self> {
        let total = parts.iter().try_fold(Decimal::ZERO, |s, p| add(s, *p, "engagement value"))?;
        Ok(Self { customer, parts, total })
    }

    /// The customer.
    #[must_use]
    pub fn customer(&self) -> &Id {
        &self.customer
    }

    /// The components' values, in the order of the components.
    #[must_use]
    pub fn parts(&self) -> &[Decimal] {
        &self.parts
    }

    /// The engagement value, the sum of the parts.
    #[must_use]
    pub fn total(&self) -> Decimal {
        self.total
    }
}

/// The engagement values of a set of customers, ranked by value (highest first; ties keep
/// the input order), with per-component and overall totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    try_from = "PortfolioData<Id>",
    bound(deserialize = "Id: Deserialize<'de> + Clone + Eq + Hash + Debug")
)]
pub struct Portfolio<Id> {
    components: Vec<String>,
    customers: Vec<CustomerValue<Id>>,
    component_totals: Vec<Decimal>,
    total: Decimal,
}

#[derive(Deserialize)]
struct PortfolioData<Id> {
    components: Vec<String>,
    customers: Vec<CustomerValue<Id>>,
    component_totals: Vec<Decimal>,
    total: Decimal,
}

impl<Id: Clone + Eq + Hash + Debug> TryFrom<PortfolioData<Id>> for Portfolio<Id> {
    type Error = Error;
    fn try_from(d: PortfolioData<Id>) -> Result<Self> {
        let checked = Self::new(d.components, d.customers)?;
        if checked.component_totals != d.component_totals || checked.total != d.total {
            return Err(Error::param("total", d.total, "the sums of the customers' values"));
        }
        Ok(checked)
    }
}

impl<Id: Clone + Eq + Hash + Debug> Portfolio<Id> {
    /// A portfolio from the component names and the customers' values (ranked here).
    ///
    /// # Errors
    /// [`Error::Mismatch`] when a customer appears twice or has a number of parts other than
    /// the number of components; [`Error::Overflow`].
    pub fn new(components: Vec<String>, mut customers: Vec<CustomerValue<Id>>) -> Result<Self> {
        let mut seen = HashSet::with_capacity(customers.len());
        let mut component_totals = vec![Decimal::ZERO; components.len()];
        let mut total = Decimal::ZERO;
        for c in &customers {
            if !seen.insert(&c.customer) {
                return Err(Error::Mismatch { what: format!("customer {:?} listed twice", c.customer) });
            }
            if c.parts.len() != components.len() {
                return Err(Error::Mismatch {
                    what: format!(
                        "customer {:?} has {} parts for {} components",
                        c.customer,
                        c.parts.len(),
                        components.len()
                    ),
                });
            }
            for (sum, part) in component_totals.iter_mut().zip(&c.parts) {
                *sum = add(*sum, *part, "component total")?;
            }
            total = add(total, c.total, "portfolio engagement value")?;
        }
        // Stable: ties keep the input order.
        customers.sort_by_key(|c| std::cmp::Reverse(c.total));
        Ok(Self { components, customers, component_totals, total })
    }

    /// The component names, in order.
    #[must_use]
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// The customers by engagement value, highest first.
    #[must_use]
    pub fn ranking(&self) -> &[CustomerValue<Id>] {
        &self.customers
    }

    /// The value of one customer (linear search; iterate [`ranking`](Self::ranking) for all).
    #[must_use]
    pub fn customer(&self, customer: &Id) -> Option<&CustomerValue<Id>> {
        self.customers.iter().find(|c| &c.customer == customer)
    }

    /// The total engagement value of the portfolio.
    #[must_use]
    pub fn total(&self) -> Decimal {
        self.total
    }

    /// The totals of each component, in the order of [`components`](Self::components).
    #[must_use]
    pub fn component_totals(&self) -> &[Decimal] {
        &self.component_totals
    }

    /// The total of the component called `name` (the first such), if any.
    #[must_use]
    pub fn component_total(&self, name: &str) -> Option<Decimal> {
        self.components.iter().position(|c| c == name).and_then(|i| self.component_totals.get(i).copied())
    }

    /// The CLV × CRV quadrants of the portfolio, reading the components called `clv` and `crv`.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when no component has one of the names; as [`clv_crv_quadrants`].
    pub fn quadrants(&self, clv: &str, crv: &str, thresholds: QuadrantThresholds) -> Result<Quadrants<Id>> {
        let find = |name: &str| {
            self.components
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| Error::Mismatch { what: format!("no component called {name:?}") })
        };
        let (i, j) = (find(clv)?, find(crv)?);
        let rows: Vec<(Id, Decimal, Decimal)> = self
            .customers
            .iter()
            .map(|c| {
                let part = |k: usize| c.parts.get(k).copied().unwrap_or(Decimal::ZERO);
                (c.customer.clone(), part(i), part(j))
            })
            .collect();
        clv_crv_quadrants(&rows, thresholds)
    }
}

/// The CLV × CRV matrix of Kumar, Petersen & Leone (2007): a customer is *high* on a value when
/// it is strictly above the threshold. Names as in FORMULAS §3.2 (from the 2007 HBR article as
/// recalled; "Misers" is unverified there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Quadrant {
    /// High CLV, high CRV: buy a lot and bring others.
    Champions,
    /// High CLV, low CRV: valuable buyers who do not refer.
    Affluents,
    /// Low CLV, high CRV: modest buyers who bring valuable referrals.
    Advocates,
    /// Low CLV, low CRV.
    Misers,
}

impl Quadrant {
    /// The quadrant of a customer high or low on CLV and on CRV.
    #[must_use]
    pub fn of(high_clv: bool, high_crv: bool) -> Self {
        match (high_clv, high_crv) {
            (true, true) => Quadrant::Champions,
            (true, false) => Quadrant::Affluents,
            (false, true) => Quadrant::Advocates,
            (false, false) => Quadrant::Misers,
        }
    }
}

/// Where the CLV × CRV matrix is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum QuadrantThresholds {
    /// At the medians of the customers' CLV and CRV (the mean of the two middle values for an
    /// even count). With most customers referring nobody the CRV median is 0, so a referrer
    /// is high on CRV.
    #[default]
    Medians,
    /// At thresholds chosen by the caller.
    Given {
        /// CLV threshold.
        clv: Decimal,
        /// CRV threshold.
        crv: Decimal,
    },
}

/// Customers assigned to the CLV × CRV quadrants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quadrants<Id> {
    /// The CLV threshold used (high = strictly above).
    pub clv_threshold: Decimal,
    /// The CRV threshold used (high = strictly above).
    pub crv_threshold: Decimal,
    /// Each customer's quadrant, in input order.
    pub customers: Vec<(Id, Quadrant)>,
}

impl<Id> Quadrants<Id> {
    /// How many customers fall in `quadrant`.
    #[must_use]
    pub fn count(&self, quadrant: Quadrant) -> usize {
        self.customers.iter().filter(|(_, q)| *q == quadrant).count()
    }
}

/// Assigns `(customer, CLV, CRV)` rows to the CLV × CRV quadrants.
///
/// ```
/// use customer_metrics::{Quadrant, QuadrantThresholds, clv_crv_quadrants};
/// use rust_decimal::Decimal;
///
/// let rows = [("a", Decimal::from(900), Decimal::from(300)), ("b", Decimal::from(100), Decimal::ZERO),
///             ("c", Decimal::from(800), Decimal::ZERO), ("d", Decimal::from(50), Decimal::from(400))];
/// let q = clv_crv_quadrants(&rows, QuadrantThresholds::Medians)?; // medians 450 and 150
/// assert_eq!(q.customers[0].1, Quadrant::Champions);
/// assert_eq!(q.customers[1].1, Quadrant::Misers);
/// assert_eq!(q.customers[2].1, Quadrant::Affluents);
/// assert_eq!(q.customers[3].1, Quadrant::Advocates);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::NotEnoughData`] for medians of no rows; [`Error::Overflow`].
pub fn clv_crv_quadrants<Id: Clone>(
    rows: &[(Id, Decimal, Decimal)],
    thresholds: QuadrantThresholds,
) -> Result<Quadrants<Id>> {
    let (clv_threshold, crv_threshold) = match thresholds {
        QuadrantThresholds::Given { clv, crv } => (clv, crv),
        QuadrantThresholds::Medians => {
            (median(rows.iter().map(|r| r.1).collect())?, median(rows.iter().map(|r| r.2).collect())?)
        }
    };
    let customers = rows
        .iter()
        .map(|(id, clv, crv)| (id.clone(), Quadrant::of(*clv > clv_threshold, *crv > crv_threshold)))
        .collect();
    Ok(Quadrants { clv_threshold, crv_threshold, customers })
}

/// The median of `values` (mean of the two middle values for an even count).
pub(crate) fn median(mut values: Vec<Decimal>) -> Result<Decimal> {
    values.sort();
    let n = values.len();
    let mid = n / 2;
    match (values.get(mid.wrapping_sub(1)), values.get(mid)) {
        (_, None) => Err(Error::NotEnoughData { what: "median", needed: 1, got: 0 }),
        (Some(a), Some(b)) if n % 2 == 0 => {
            Ok(add(*a, *b, "median")?.checked_div(Decimal::TWO).ok_or_else(|| Error::overflow("median"))?)
        }
        (_, Some(b)) => Ok(*b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::PrecomputedValue;

    #[test]
    fn median_by_hand() {
        let d = |v: &[i64]| v.iter().map(|&x| Decimal::from(x)).collect::<Vec<_>>();
        assert_eq!(median(d(&[3, 1, 2])).unwrap(), Decimal::from(2));
        assert_eq!(median(d(&[4, 1, 3, 2])).unwrap(), Decimal::new(25, 1));
        assert!(median(vec![]).is_err());
    }

    #[test]
    fn duplicate_customer_is_an_error_and_serde_checks_totals() {
        let clv = PrecomputedValue::from_values("CLV", [(1_u32, Decimal::from(5))]).unwrap();
        let e = Engagement::new().with(clv);
        assert!(e.portfolio([1, 1]).is_err());
        let p = e.portfolio([1, 2]).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Portfolio<u32>>(&json).unwrap(), p);
        let bad = json.replace("\"total\":\"5\"}", "\"total\":\"6\"}");
        assert!(serde_json::from_str::<Portfolio<u32>>(&bad).is_err());
    }
}
