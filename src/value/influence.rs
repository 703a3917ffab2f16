//! Customer influence: a sparse weighted influence graph, Hubbell centrality by iteration, the
//! customer influence effect (CIE) and customer influencer value (CIV).
//!
//! # The reconstruction, stated plainly
//!
//! Kumar, Bhaskaran, Mirchandani & Shah (2013) and Kumar & Mirchandani (2012) define the
//! customer influence effect through Hubbell's (1965) centrality and the influencer value as
//! "the proportion of each influencee's value attributable to the user", but publish **no
//! closed form**. This module implements the reconstruction of FORMULAS §3.3, an approximation
//! documented here, not the paper's exact equations:
//!
//! * **Graph.** `W_ij >= 0` is the strength of customer `i`'s influence on customer `j` (for
//!   example the share of `j`'s replies and forwards that went to `i`'s messages).
//! * **Hubbell status.** `s = e + αW s`, i.e. `s_i = e_i + α Σ_j W_ij s_j`: a customer's
//!   influence is their own propensity to spread the message `e_i` plus the (attenuated)
//!   influence of the customers they influence. The solution `s = (I − αW)^{−1} e` is found by
//!   Jacobi or Gauss-Seidel iteration over the sparse graph, never by a dense inverse, so
//!   graphs of millions of edges work in linear memory.
//! * **CIE.** `CIE_i = s_i / Σ_k s_k`, each customer's share of the total influence.
//! * **Attribution.** `w_ij = W_ij / max(1, Σ_k W_kj)`: the weights are used as shares of `j`'s
//!   value when the influence `j` receives sums to at most 1 (the remainder is `j`'s own), and
//!   are normalised to sum to 1 otherwise, so no more than all of `j`'s value is attributed.
//! * **CIV.** `CIV_i = Σ_j w_ij · V_j`, with `V_j` the influencee's value from any
//!   [`ValueComponent`] (usually their CLV). Kumar et al. add the influencer's own CLV; inside
//!   CEV = CLV + CRV + CIV + CKV that term is already the CLV component, so
//!   [`InfluenceValue`] leaves it out. The attribution is direct (one step), as in the
//!   definition: value reached through chains of influence is not credited again.
//!
//! # Convergence
//!
//! The iteration converges for every start iff the spectral radius `ρ(αW) < 1`. Before
//! iterating, [`InfluenceGraph::hubbell`] checks the sufficient condition
//! `q = α · min(max row sum of W, max column sum of W) < 1` (every induced norm bounds the
//! spectral radius); when both norms are `>= 1` it tries the sharper Collatz-Wielandt bound
//! `q = max_i (αW x)_i / x_i` (valid for any positive `x`, here `x = Σ_{k<=30} (αW)^k 1`,
//! which also proves convergence on acyclic graphs), and returns
//! [`Error::InvalidParameter`] (`attenuation`) when no bound is below 1: with
//! weights that are shares of each influencee's responses (column sums 1) choose `α < 1`,
//! as Katz and Hubbell do. Jacobi then converges geometrically at rate `ρ(αW) <= q`; for a
//! non-negative matrix Gauss-Seidel converges whenever Jacobi does and no slower
//! (Stein-Rosenberg theorem). The iteration stops when the largest change of a status is at
//! most `tolerance · max(1, max_i s_i)`; [`HubbellReport`] says how many sweeps that took and
//! the last change; when the row-sum bound holds, the error of the result is at most
//! `q/(1 − q)` times that change.

use std::collections::HashMap;
use std::hash::Hash;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ValueComponent;
use super::discount::{add, mul_f64};
use crate::{Error, Result};

/// One edge of an influence graph: `influencer` influences `influencee` with `weight >= 0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfluenceEdge<Id> {
    /// Who influences.
    pub influencer: Id,
    /// Who is influenced.
    pub influencee: Id,
    /// The strength `W_ij >= 0`.
    pub weight: f64,
}

impl<Id> InfluenceEdge<Id> {
    /// An edge.
    pub fn new(influencer: Id, influencee: Id, weight: f64) -> Self {
        Self { influencer, influencee, weight }
    }
}

/// A sparse weighted influence graph (compressed rows by influencer). Parallel edges are
/// summed; self-influence is rejected. Serialises as its list of edges; deserialising
/// re-validates.
///
/// ```
/// use customer_metrics::{HubbellOptions, InfluenceEdge, InfluenceGraph};
///
/// // a influences b (0.5) and c (0.5); b influences c (0.5).
/// let g = InfluenceGraph::from_edges([
///     InfluenceEdge::new("a", "b", 0.5),
///     InfluenceEdge::new("a", "c", 0.5),
///     InfluenceEdge::new("b", "c", 0.5),
/// ])?;
/// let c = g.hubbell(|_| 1.0, &HubbellOptions::default())?;
/// // s_c = 1, s_b = 1 + 0.5·1 = 1.5, s_a = 1 + 0.5·1.5 + 0.5·1 = 2.25; total 4.75.
/// assert!((c.status(&"a").unwrap() - 2.25).abs() < 1e-9);
/// assert!((c.cie(&"a").unwrap() - 2.25 / 4.75).abs() < 1e-9);
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "GraphData<Id>",
    into = "GraphData<Id>",
    bound(
        serialize = "Id: Serialize + Clone",
        deserialize = "Id: Deserialize<'de> + Clone + std::fmt::Debug"
    )
)]
pub struct InfluenceGraph<Id: Eq + Hash> {
    nodes: Vec<Id>,
    index: HashMap<Id, usize>,
    /// Row `i` occupies `targets[row_start[i]..row_start[i + 1]]`.
    row_start: Vec<usize>,
    targets: Vec<usize>,
    weights: Vec<f64>,
    /// Column sums `Σ_k W_kj`.
    received: Vec<f64>,
}

/// The serial form of an [`InfluenceGraph`]: its customers in order, then its edges.
#[derive(Serialize, Deserialize)]
struct GraphData<Id> {
    customers: Vec<Id>,
    edges: Vec<InfluenceEdge<Id>>,
}

impl<Id: Eq + Hash + Clone + std::fmt::Debug> TryFrom<GraphData<Id>> for InfluenceGraph<Id> {
    type Error = Error;
    fn try_from(data: GraphData<Id>) -> Result<Self> {
        Self::build(data.customers, data.edges)
    }
}

impl<Id: Eq + Hash + Clone> From<InfluenceGraph<Id>> for GraphData<Id> {
    fn from(g: InfluenceGraph<Id>) -> Self {
        let edges = g.edges().map(|(i, j, w)| InfluenceEdge::new(i.clone(), j.clone(), w)).collect();
        GraphData { customers: g.nodes, edges }
    }
}

impl<Id: Eq + Hash + Clone> InfluenceGraph<Id> {
    /// Builds the graph from edges (any order; parallel edges are summed).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`weight`) for a negative or non-finite weight or a summed
    /// weight that overflows `f64`; [`Error::Mismatch`] for an edge from a customer to
    /// themselves.
    pub fn from_edges(edges: impl IntoIterator<Item = InfluenceEdge<Id>>) -> Result<Self>
    where
        Id: std::fmt::Debug,
    {
        Self::build(Vec::new(), edges)
    }

    /// Builds the graph with `customers` first, in order (customers without edges included),
    /// then the edges' other customers in order of first appearance.
    ///
    /// # Errors
    /// As [`from_edges`](Self::from_edges); [`Error::Mismatch`] when `customers` lists a
    /// customer twice.
    pub fn with_customers(
        customers: impl IntoIterator<Item = Id>,
        edges: impl IntoIterator<Item = InfluenceEdge<Id>>,
    ) -> Result<Self>
    where
        Id: std::fmt::Debug,
    {
        Self::build(customers.into_iter().collect(), edges)
    }

    fn build(customers: Vec<Id>, edges: impl IntoIterator<Item = InfluenceEdge<Id>>) -> Result<Self>
    where
        Id: std::fmt::Debug,
    {
        let mut nodes = Vec::with_capacity(customers.len());
        let mut index: HashMap<Id, usize> = HashMap::with_capacity(customers.len());
        for id in customers {
            if index.contains_key(&id) {
                return Err(Error::Mismatch {
                    what: format!("customer {id:?} listed twice in the influence graph"),
                });
            }
            index.insert(id.clone(), nodes.len());
            nodes.push(id);
        }
        let mut intern = |id: Id, nodes: &mut Vec<Id>| -> usize {
            let next = nodes.len();
            *index.entry(id.clone()).or_insert_with(|| {
                nodes.push(id);
                next
            })
        };
        let mut triples = Vec::new();
        for edge in edges {
            if !(edge.weight.is_finite() && edge.weight >= 0.0) {
                return Err(Error::param("weight", edge.weight, "a finite influence strength >= 0"));
            }
            if edge.influencer == edge.influencee {
                return Err(Error::Mismatch {
                    what: format!("customer {:?} influences themselves", edge.influencer),
                });
            }
            let i = intern(edge.influencer, &mut nodes);
            let j = intern(edge.influencee, &mut nodes);
            triples.push((i, j, edge.weight));
        }
        triples.sort_unstable_by_key(|&(i, j, _)| (i, j));
        let n = nodes.len();
        let mut row_start = vec![0_usize; n + 1];
        let mut targets = Vec::with_capacity(triples.len());
        let mut weights: Vec<f64> = Vec::with_capacity(triples.len());
        let mut received = vec![0.0_f64; n];
        let mut last: Option<(usize, usize)> = None;
        for (i, j, w) in triples {
            if last == Some((i, j)) {
                if let Some(x) = weights.last_mut() {
                    *x += w;
                }
            } else {
                targets.push(j);
                weights.push(w);
                if let Some(count) = row_start.get_mut(i + 1) {
                    *count += 1;
                }
                last = Some((i, j));
            }
            if let Some(r) = received.get_mut(j) {
                *r += w;
            }
        }
        for k in 0..n {
            let before = row_start.get(k).copied().unwrap_or(0);
            if let Some(x) = row_start.get_mut(k + 1) {
                *x += before;
            }
        }
        if let Some(w) = weights.iter().chain(&received).find(|w| !w.is_finite()) {
            return Err(Error::param("weight", w, "summed influence strengths within f64"));
        }
        Ok(Self { nodes, index, row_start, targets, weights, received })
    }

    /// The customers of the graph, in order of first appearance.
    #[must_use]
    pub fn customers(&self) -> &[Id] {
        &self.nodes
    }

    /// The number of (distinct) edges.
    #[must_use]
    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// The edges `(influencer, influencee, weight)`, by influencer.
    pub fn edges(&self) -> impl Iterator<Item = (&Id, &Id, f64)> + '_ {
        self.nodes.iter().enumerate().flat_map(move |(i, from)| {
            self.row(i).filter_map(move |(j, w)| self.nodes.get(j).map(|to| (from, to, w)))
        })
    }

    /// The out-edges `(influencee index, weight)` of customer `i`.
    fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let start = self.row_start.get(i).copied().unwrap_or(0);
        let end = self.row_start.get(i + 1).copied().unwrap_or(start);
        let targets = self.targets.get(start..end).unwrap_or_default();
        let weights = self.weights.get(start..end).unwrap_or_default();
        targets.iter().copied().zip(weights.iter().copied())
    }

    /// The total influence customer `j` receives, `Σ_k W_kj` (zero for unknown customers).
    #[must_use]
    pub fn received(&self, customer: &Id) -> f64 {
        self.index.get(customer).and_then(|&j| self.received.get(j)).copied().unwrap_or(0.0)
    }

    /// The attribution share `w_ij = W_ij / max(1, Σ_k W_kj)` of one edge's weight `W_ij`
    /// into customer `j`.
    fn share(&self, j: usize, weight: f64) -> f64 {
        weight / self.received.get(j).copied().unwrap_or(1.0).max(1.0)
    }

    /// The largest row sum and column sum of `W`.
    fn norms(&self) -> (f64, f64) {
        let row = (0..self.nodes.len()).map(|i| self.row(i).map(|(_, w)| w).sum::<f64>()).fold(0.0, f64::max);
        let col = self.received.iter().copied().fold(0.0, f64::max);
        (row, col)
    }

    /// The Collatz-Wielandt bound `ρ(αW) <= max_i (αW x)_i / x_i`, valid for every `x > 0`,
    /// at `x = Σ_{k=0}^{K} (αW)^k 1` after `K = CW_SWEEPS` sweeps of `x ← 1 + αW x` (so
    /// `x >= 1`); `None` when it overflows.
    fn collatz_wielandt(&self, alpha: f64) -> Option<f64> {
        let n = self.nodes.len();
        let product = |x: &[f64], i: usize| {
            alpha * self.row(i).map(|(j, w)| w * x.get(j).copied().unwrap_or(0.0)).sum::<f64>()
        };
        let mut x = vec![1.0_f64; n];
        for _ in 0..CW_SWEEPS {
            x = (0..n).map(|i| 1.0 + product(&x, i)).collect();
        }
        let q = (0..n).map(|i| product(&x, i) / x.get(i).copied().unwrap_or(1.0)).fold(0.0, f64::max);
        q.is_finite().then_some(q)
    }

    /// Hubbell centrality `s = e + αW s` with own propensities `e_i = own_propensity(i)`
    /// (finite, `>= 0`; `|_| 1.0` for pure structure), by iteration (see the module docs).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`]: `attenuation` when the convergence condition
    /// `α·min(max row sum, max column sum) < 1` fails, or it is not in (0, 1]; `tolerance`
    /// unless finite and `> 0`; `own_propensity` for a negative or non-finite value, or all
    /// zero (no influence to share). [`Error::IterationLimit`] (with the last change) when
    /// `max_iterations` sweeps do not reach the tolerance.
    pub fn hubbell(
        &self,
        own_propensity: impl Fn(&Id) -> f64,
        options: &HubbellOptions,
    ) -> Result<Centrality<Id>> {
        let alpha = options.attenuation;
        if !(alpha.is_finite() && alpha > 0.0 && alpha <= 1.0) {
            return Err(Error::param("attenuation", alpha, "an attenuation in (0, 1]"));
        }
        if !(options.tolerance.is_finite() && options.tolerance > 0.0) {
            return Err(Error::param("tolerance", options.tolerance, "a finite tolerance > 0"));
        }
        let (row, col) = self.norms();
        let (mut bound, mut bound_kind) =
            if row <= col { (alpha * row, NormBound::RowSum) } else { (alpha * col, NormBound::ColumnSum) };
        if bound >= 1.0 {
            if let Some(q) = self.collatz_wielandt(alpha) {
                (bound, bound_kind) = (q, NormBound::CollatzWielandt);
            }
        }
        if bound >= 1.0 {
            return Err(Error::param(
                "attenuation",
                alpha,
                "a spectral-radius bound of αW below 1 (row sums, column sums or Collatz-Wielandt; Hubbell convergence): lower α",
            ));
        }
        let mut e = Vec::with_capacity(self.nodes.len());
        for id in &self.nodes {
            let x = own_propensity(id);
            if !(x.is_finite() && x >= 0.0) {
                return Err(Error::param("own_propensity", x, "a finite propensity >= 0"));
            }
            e.push(x);
        }
        if !e.iter().any(|&x| x > 0.0) {
            return Err(Error::param(
                "own_propensity",
                0,
                "at least one customer with a positive propensity",
            ));
        }
        let mut s = e.clone();
        let mut next = e.clone();
        let mut iterations = 0_u32;
        let mut previous_change = f64::NAN;
        let last_change = loop {
            if iterations >= options.max_iterations {
                return Err(Error::IterationLimit {
                    what: "Hubbell centrality",
                    iterations,
                    last_change: previous_change,
                });
            }
            iterations += 1;
            let mut change = 0.0_f64;
            let mut largest = 0.0_f64;
            for (i, own) in e.iter().enumerate() {
                let x = match options.method {
                    HubbellMethod::Jacobi => {
                        own + alpha
                            * self.row(i).map(|(j, w)| w * s.get(j).copied().unwrap_or(0.0)).sum::<f64>()
                    }
                    HubbellMethod::GaussSeidel => {
                        own + alpha
                            * self.row(i).map(|(j, w)| w * next.get(j).copied().unwrap_or(0.0)).sum::<f64>()
                    }
                };
                if let Some(slot) = next.get_mut(i) {
                    change = change.max((x - s.get(i).copied().unwrap_or(0.0)).abs());
                    largest = largest.max(x.abs());
                    *slot = x;
                }
            }
            std::mem::swap(&mut s, &mut next);
            if options.method == HubbellMethod::GaussSeidel {
                next.copy_from_slice(&s);
            }
            if change <= options.tolerance * largest.max(1.0) {
                break change;
            }
            previous_change = change;
        };
        let total: f64 = s.iter().sum();
        let cie = s.iter().map(|x| x / total).collect();
        let error_bound = (bound_kind == NormBound::RowSum).then(|| bound / (1.0 - bound) * last_change);
        Ok(Centrality {
            customers: self.nodes.clone(),
            status: s,
            cie,
            report: HubbellReport {
                method: options.method,
                iterations,
                last_change,
                norm_bound: bound,
                bound_kind,
                error_bound,
            },
        })
    }
}

/// Sweeps used to build the Collatz-Wielandt test vector.
const CW_SWEEPS: u32 = 30;

/// The iteration used by [`InfluenceGraph::hubbell`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum HubbellMethod {
    /// Every sweep uses the previous sweep's statuses.
    Jacobi,
    /// Every sweep uses the statuses already updated in the same sweep (faster, same limit).
    #[default]
    GaussSeidel,
}

/// Settings of the Hubbell iteration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HubbellOptions {
    /// `α` in (0, 1]; the weights are scaled by it. Default 1 (the weights as given).
    pub attenuation: f64,
    /// Relative stopping tolerance on the largest change of a status. Default 1e-12.
    pub tolerance: f64,
    /// The most sweeps. Default 10,000.
    pub max_iterations: u32,
    /// Jacobi or Gauss-Seidel. Default Gauss-Seidel.
    pub method: HubbellMethod,
}

impl Default for HubbellOptions {
    fn default() -> Self {
        Self {
            attenuation: 1.0,
            tolerance: 1e-12,
            max_iterations: 10_000,
            method: HubbellMethod::GaussSeidel,
        }
    }
}

/// Which norm bound established convergence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NormBound {
    /// `α · max_i Σ_j W_ij < 1` (the ∞-norm; gives an a-posteriori error bound).
    RowSum,
    /// `α · max_j Σ_i W_ij < 1` (the 1-norm).
    ColumnSum,
    /// `max_i (αW x)_i / x_i < 1` for the positive vector `x = Σ_{k<=30} (αW)^k 1`
    /// (Collatz-Wielandt; tried when both norms are `>= 1`, for example on an acyclic graph
    /// whose spectral radius is 0).
    CollatzWielandt,
}

/// How the Hubbell iteration went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HubbellReport {
    /// The method used.
    pub method: HubbellMethod,
    /// Sweeps performed.
    pub iterations: u32,
    /// The largest change of a status in the last sweep.
    pub last_change: f64,
    /// `q`, the norm bound on the spectral radius of `αW` (< 1).
    pub norm_bound: f64,
    /// Which norm gave `q`.
    pub bound_kind: NormBound,
    /// `q/(1 − q) · last_change`, a bound on the largest error of a status, when the row-sum
    /// bound holds.
    pub error_bound: Option<f64>,
}

/// Hubbell statuses and customer influence effects (CIE) of a graph's customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Centrality<Id> {
    customers: Vec<Id>,
    status: Vec<f64>,
    cie: Vec<f64>,
    report: HubbellReport,
}

impl<Id: PartialEq> Centrality<Id> {
    /// `(customer, status s_i, CIE_i)` in the graph's order.
    pub fn iter(&self) -> impl Iterator<Item = (&Id, f64, f64)> {
        self.customers.iter().zip(&self.status).zip(&self.cie).map(|((id, s), c)| (id, *s, *c))
    }

    /// A customer's Hubbell status `s_i` (linear search; use [`iter`](Self::iter) for all).
    #[must_use]
    pub fn status(&self, customer: &Id) -> Option<f64> {
        self.customers.iter().position(|c| c == customer).and_then(|i| self.status.get(i).copied())
    }

    /// A customer's influence effect `CIE_i = s_i / Σ_k s_k`.
    #[must_use]
    pub fn cie(&self, customer: &Id) -> Option<f64> {
        self.customers.iter().position(|c| c == customer).and_then(|i| self.cie.get(i).copied())
    }

    /// The iteration report.
    #[must_use]
    pub fn report(&self) -> &HubbellReport {
        &self.report
    }
}

/// The CIV component: each influencer's attributed share of their influencees' value,
/// `CIV_i = Σ_j w_ij · V_j` (see the module docs). Its name is `"CIV"`.
///
/// ```
/// use customer_metrics::{InfluenceEdge, InfluenceGraph, InfluenceValue, PrecomputedValue, ValueComponent};
/// use rust_decimal::Decimal;
///
/// // Bea's CLV is 200; Al's messages drew 0.3 of her responses and Cy's 0.2.
/// let g = InfluenceGraph::from_edges([InfluenceEdge::new("al", "bea", 0.3), InfluenceEdge::new("cy", "bea", 0.2)])?;
/// let clv = PrecomputedValue::from_values("CLV", [("bea", Decimal::from(200))])?;
/// let civ = InfluenceValue::new(&g, &clv)?;
/// assert_eq!(civ.value(&"al")?, Decimal::from(60));
/// assert_eq!(civ.value(&"cy")?, Decimal::from(40));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(serialize = "Id: Serialize", deserialize = "Id: Deserialize<'de>"))]
pub struct InfluenceValue<Id: Eq + Hash> {
    values: HashMap<Id, Decimal>,
}

impl<Id: Eq + Hash + Clone> InfluenceValue<Id> {
    /// Attributes the influencees' values `V_j = influencee_value.value(j)` to their
    /// influencers.
    ///
    /// # Errors
    /// The component's errors; [`Error::Overflow`].
    pub fn new(
        graph: &InfluenceGraph<Id>,
        influencee_value: &(impl ValueComponent<Id> + ?Sized),
    ) -> Result<Self> {
        let node_values =
            graph.nodes.iter().map(|id| influencee_value.value(id)).collect::<Result<Vec<_>>>()?;
        let mut values = HashMap::with_capacity(graph.nodes.len());
        for (i, id) in graph.nodes.iter().enumerate() {
            let mut total = Decimal::ZERO;
            for (j, w) in graph.row(i) {
                let v = node_values.get(j).copied().unwrap_or(Decimal::ZERO);
                if v.is_zero() || w == 0.0 {
                    continue;
                }
                total = add(total, mul_f64(v, graph.share(j, w), "CIV")?, "CIV")?;
            }
            if !total.is_zero() {
                values.insert(id.clone(), total);
            }
        }
        Ok(Self { values })
    }
}

impl<Id: Eq + Hash> ValueComponent<Id> for InfluenceValue<Id> {
    fn name(&self) -> &str {
        "CIV"
    }
    fn value(&self, customer: &Id) -> Result<Decimal> {
        Ok(self.values.get(customer).copied().unwrap_or(Decimal::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_node_cycle_against_the_inverse() {
        // W = [[0, .4, 0], [0, 0, .4], [.4, 0, 0]] (a cycle), e = (1, 2, 3).
        // (I − W)^{-1} = (I + W + W²)/(1 − 0.064) for a 3-cycle with weight 0.4:
        // s_a = (1 + .4·2 + .16·3)/0.936 = 2.28/0.936, s_b = (2 + .4·3 + .16·1)/0.936 = 3.36/0.936,
        // s_c = (3 + .4·1 + .16·2)/0.936 = 3.72/0.936.
        let g = InfluenceGraph::from_edges([
            InfluenceEdge::new('a', 'b', 0.4),
            InfluenceEdge::new('b', 'c', 0.4),
            InfluenceEdge::new('c', 'a', 0.4),
        ])
        .unwrap();
        let e = |id: &char| match id {
            'a' => 1.0,
            'b' => 2.0,
            _ => 3.0,
        };
        for method in [HubbellMethod::Jacobi, HubbellMethod::GaussSeidel] {
            let c = g.hubbell(e, &HubbellOptions { method, ..HubbellOptions::default() }).unwrap();
            for (id, expected) in [('a', 2.28), ('b', 3.36), ('c', 3.72)] {
                assert!((c.status(&id).unwrap() - expected / 0.936).abs() < 1e-10, "{method:?} {id}");
            }
            assert!((c.cie(&'c').unwrap() - 3.72 / 9.36).abs() < 1e-10);
            assert!(c.report().error_bound.unwrap() < 1e-10);
        }
    }

    #[test]
    fn convergence_condition_is_checked_first() {
        // Column-stochastic shares: every norm is 1, so α = 1 is refused and α = 0.85 works.
        let g = InfluenceGraph::from_edges([InfluenceEdge::new(1, 2, 1.0), InfluenceEdge::new(2, 1, 1.0)])
            .unwrap();
        assert!(matches!(
            g.hubbell(|_| 1.0, &HubbellOptions::default()),
            Err(Error::InvalidParameter { name: "attenuation", .. })
        ));
        let c = g.hubbell(|_| 1.0, &HubbellOptions { attenuation: 0.85, ..Default::default() }).unwrap();
        // Symmetric: s = 1/(1 − 0.85) for both.
        assert!((c.status(&1).unwrap() - 1.0 / 0.15).abs() < 1e-9);
        let few = HubbellOptions { attenuation: 0.85, max_iterations: 3, ..Default::default() };
        assert!(matches!(g.hubbell(|_| 1.0, &few), Err(Error::IterationLimit { .. })));
    }

    #[test]
    fn parallel_edges_sum_and_shares_normalise() {
        // Two edges a→c of 0.5 each sum to 1; b→c 1: c receives 2 > 1, so shares are 1/2 each.
        let g = InfluenceGraph::from_edges([
            InfluenceEdge::new("a", "c", 0.5),
            InfluenceEdge::new("a", "c", 0.5),
            InfluenceEdge::new("b", "c", 1.0),
        ])
        .unwrap();
        assert_eq!(g.edge_count(), 2);
        assert_eq!(g.received(&"c"), 2.0);
        let clv = crate::value::PrecomputedValue::from_values("CLV", [("c", Decimal::from(90))]).unwrap();
        let civ = InfluenceValue::new(&g, &clv).unwrap();
        assert_eq!(civ.value(&"a").unwrap(), Decimal::from(45));
        assert_eq!(civ.value(&"b").unwrap(), Decimal::from(45));
        assert!(InfluenceGraph::from_edges([InfluenceEdge::new("a", "a", 1.0)]).is_err());
        assert!(InfluenceGraph::from_edges([InfluenceEdge::new("a", "b", -1.0)]).is_err());
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(serde_json::from_str::<InfluenceGraph<&str>>(&json).unwrap(), g);
        // An isolated customer keeps their place; a tampered negative weight is refused.
        let h = InfluenceGraph::with_customers(["z", "c"], [InfluenceEdge::new("a", "c", 0.5)]).unwrap();
        assert_eq!(h.customers(), &["z", "c", "a"]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<InfluenceGraph<&str>>(&json).unwrap(), h);
        assert!(serde_json::from_str::<InfluenceGraph<&str>>(&json.replace("0.5", "-0.5")).is_err());
        assert!(InfluenceGraph::with_customers(["z", "z"], Vec::<InfluenceEdge<&str>>::new()).is_err());
    }
}
