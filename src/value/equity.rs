//! Customer equity: the value of a customer base (current customers and future cohorts), the
//! Gupta-Lehmann elasticities, Blattberg & Deighton's acquisition/retention spend, Rust,
//! Lemon & Zeithaml's brand-switching equity, and the value/brand/relationship driver shares.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ConstantRetentionClv;
use super::discount::{Discount, add, check_probability, mul_f64, sub, to_decimal, to_f64};
use crate::serde_checked::checked_serde;
use crate::{Error, Result};

checked_serde! {
    /// A future acquisition cohort: `size` customers acquired in period `period` (1-based, in
    /// the [`Discount`]'s periods), each worth `clv` at acquisition and costing
    /// `acquisition_cost` to acquire. Sizes are forecasts, so fractional (finite, `>= 0`).
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct AcquisitionCohort {
        period: u32,
        size: f64,
        clv: Decimal,
        acquisition_cost: Decimal,
    }
    check = |c| AcquisitionCohort::new(c.period, c.size, c.clv, c.acquisition_cost)
}

impl AcquisitionCohort {
    /// A cohort.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`]: `period` 0; `size` negative or not finite.
    pub fn new(period: u32, size: f64, clv: Decimal, acquisition_cost: Decimal) -> Result<Self> {
        if period == 0 {
            return Err(Error::param("period", period, "a period number >= 1"));
        }
        crate::error::check_range("size", size, 0.0, f64::MAX, "a finite cohort size >= 0")?;
        Ok(Self { period, size, clv, acquisition_cost })
    }
}

checked_serde! {
    /// The value of a customer base, split into its parts. Deserialising checks
    /// `total = current + future − acquisition_spend`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct EquityReport {
        /// The current customers' CLV.
        pub current: Decimal,
        /// Future cohorts' discounted CLV, `Σ_k n_k · CLV_k · factor(k)`.
        pub future: Decimal,
        /// Future cohorts' discounted acquisition spending, `Σ_k n_k · AC_k · factor(k)`.
        pub acquisition_spend: Decimal,
        /// `current + future − acquisition_spend`.
        pub total: Decimal,
    }
    check = |r| {
        if sub(add(r.current, r.future, "customer equity")?, r.acquisition_spend, "customer equity")? == r.total {
            Ok(r)
        } else {
            Err(Error::param("total", r.total, "current + future − acquisition_spend"))
        }
    }
}

/// Customer equity of a base: the current customers' CLV plus the value of future cohorts net
/// of their acquisition cost, discounted to today (Gupta, Lehmann & Stuart 2004; FORMULAS §5.3):
///
/// `CE = current + Σ_k n_k · (CLV_k − AC_k) · factor(k)`.
///
/// ```
/// use customer_metrics::{AcquisitionCohort, Discount, Timing, customer_equity};
/// use rust_decimal::Decimal;
///
/// let d = Discount::new(0.10, Timing::End)?;
/// // 100 new customers next period, each worth 300 and costing 80: 100·220/1.1 = 20,000.
/// let cohorts = [AcquisitionCohort::new(1, 100.0, Decimal::from(300), Decimal::from(80))?];
/// let ce = customer_equity(Decimal::from(50_000), &cohorts, &d)?;
/// assert!((ce.total - Decimal::from(70_000)).abs() < Decimal::new(1, 9));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::Overflow`].
pub fn customer_equity(
    current: Decimal,
    cohorts: &[AcquisitionCohort],
    discount: &Discount,
) -> Result<EquityReport> {
    let (mut future, mut spend) = (Decimal::ZERO, Decimal::ZERO);
    for c in cohorts {
        let weight = c.size * discount.factor_f64(c.period)?;
        future = add(future, mul_f64(c.clv, weight, "cohort value")?, "future cohorts' value")?;
        spend = add(spend, mul_f64(c.acquisition_cost, weight, "acquisition spend")?, "acquisition spend")?;
    }
    let total = sub(add(current, future, "customer equity")?, spend, "customer equity")?;
    Ok(EquityReport { current, future, acquisition_spend: spend, total })
}

checked_serde! {
    /// Customer equity in Gupta & Lehmann's constant-retention form, with its elasticities.
    ///
    /// Every customer pays margin `m` per period and stays with retention `r`, so each is worth
    /// `CLV = m·M(r)` with the margin multiple `M` of [`ConstantRetentionClv`] (`r/(1+i−r)` at
    /// the end of periods, `(1+i)/(1+i−r)` at the start). With `N₀` current customers, `n_k`
    /// acquisitions in future period `k` at acquisition cost `AC` each, and
    /// `F = Σ_k n_k · factor(k)` the discounted number of future customers:
    ///
    /// `CE = m·M·(N₀ + F) − AC·F`.
    ///
    /// The elasticities `E_x = (∂CE/∂x)·(x/CE)` are analytic (`dM/dr = (1+i)/(1+i−r)²` for both
    /// timings):
    ///
    /// * retention `E_r = m·(N₀ + F)·(1+i)/(1+i−r)² · r / CE`;
    /// * margin `E_m = m·M·(N₀ + F) / CE` (1 without acquisition cost);
    /// * acquisition cost `E_AC = −AC·F / CE` (negative: a higher cost lowers equity);
    /// * discount rate `E_i = i·[m·(N₀ + F)·dM/di + (m·M − AC)·dF/di] / CE`, with
    ///   `dM/di = −r/(1+i−r)²` (both timings) and `dF/di = −Σ_k n_k·e_k·(1+i)^{−e_k−1}`,
    ///   `e_k` the periods over which cohort `k` is discounted (`k` or `k − 1`).
    ///
    /// Gupta, Lehmann & Stuart (2004) report that a 1 % improvement in retention, margin and
    /// acquisition cost raises customer value by about 5 %, 1 % and 0.1 %; without acquisitions
    /// `E_r = (1+i)/(1+i−r)`, which is 3.5 at `r = 0.8, i = 0.12` and 5.1 at `r = 0.9`,
    /// within their reported range 3-7.
    ///
    /// ```
    /// use customer_metrics::{Discount, GuptaLehmannEquity, Timing};
    /// use rust_decimal::Decimal;
    ///
    /// let base = GuptaLehmannEquity::new(Decimal::from(100), 0.8, 1000.0)?;
    /// let e = base.elasticities(&Discount::new(0.12, Timing::End)?)?;
    /// assert!((e.retention - 3.5).abs() < 1e-12 && (e.margin - 1.0).abs() < 1e-12);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct GuptaLehmannEquity {
        margin: Decimal,
        retention: f64,
        current_customers: f64,
        #[serde(default)]
        acquisitions: Vec<f64>,
        #[serde(default)]
        acquisition_cost: Decimal,
    }
    check = |g| GuptaLehmannEquity::new(g.margin, g.retention, g.current_customers)?
        .with_acquisitions(g.acquisitions, g.acquisition_cost)
}

/// Elasticities of customer equity (see [`GuptaLehmannEquity`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Elasticities {
    /// `∂ln CE / ∂ln r`.
    pub retention: f64,
    /// `∂ln CE / ∂ln m`.
    pub margin: f64,
    /// `∂ln CE / ∂ln AC` (negative).
    pub acquisition_cost: f64,
    /// `∂ln CE / ∂ln i`, `i` the per-period discount rate (negative).
    pub discount_rate: f64,
}

impl GuptaLehmannEquity {
    /// `current_customers` (finite, `>= 0`) paying `margin` per period with `retention` in
    /// [0, 1]; no future acquisitions.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`retention`, `current_customers`).
    pub fn new(margin: Decimal, retention: f64, current_customers: f64) -> Result<Self> {
        check_probability("retention", retention)?;
        crate::error::check_range(
            "current_customers",
            current_customers,
            0.0,
            f64::MAX,
            "a finite count >= 0",
        )?;
        Ok(Self {
            margin,
            retention,
            current_customers,
            acquisitions: Vec::new(),
            acquisition_cost: Decimal::ZERO,
        })
    }

    /// Future acquisitions `n_1, n_2, …` per period (finite, `>= 0`) at `acquisition_cost` each.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`acquisitions`).
    pub fn with_acquisitions(mut self, acquisitions: Vec<f64>, acquisition_cost: Decimal) -> Result<Self> {
        for &n in &acquisitions {
            crate::error::check_range("acquisitions", n, 0.0, f64::MAX, "finite acquisition counts >= 0")?;
        }
        self.acquisitions = acquisitions;
        self.acquisition_cost = acquisition_cost;
        Ok(self)
    }

    /// `F = Σ_k n_k · factor(k)`.
    fn discounted_acquisitions(&self, discount: &Discount) -> Result<f64> {
        let mut f = 0.0;
        for (index, n) in self.acquisitions.iter().enumerate() {
            f += n * discount.factor_f64(super::discount::period_number(index)?)?;
        }
        Ok(f)
    }

    /// The equity, split into current customers, future cohorts and acquisition spend.
    ///
    /// # Errors
    /// As [`ConstantRetentionClv::value`]; [`Error::Overflow`].
    pub fn value(&self, discount: &Discount) -> Result<EquityReport> {
        let clv = ConstantRetentionClv::new(self.margin, self.retention)?.value(discount)?;
        let f = self.discounted_acquisitions(discount)?;
        let current = mul_f64(clv, self.current_customers, "current customers' value")?;
        let future = mul_f64(clv, f, "future cohorts' value")?;
        let spend = mul_f64(self.acquisition_cost, f, "acquisition spend")?;
        let total = sub(add(current, future, "customer equity")?, spend, "customer equity")?;
        Ok(EquityReport { current, future, acquisition_spend: spend, total })
    }

    /// The analytic elasticities of equity to retention, margin and acquisition cost.
    ///
    /// # Errors
    /// As [`value`](Self::value); [`Error::Mismatch`] when the equity is zero (elasticities
    /// undefined).
    pub fn elasticities(&self, discount: &Discount) -> Result<Elasticities> {
        let ce = to_f64(self.value(discount)?.total);
        if ce == 0.0 {
            return Err(Error::Mismatch {
                what: "customer equity is zero: elasticities are undefined".into(),
            });
        }
        let i = discount.per_period_rate();
        let r = self.retention;
        let m = to_f64(self.margin);
        let ac = to_f64(self.acquisition_cost);
        let f = self.discounted_acquisitions(discount)?;
        let multiple = ConstantRetentionClv::new(self.margin, r)?.multiple(discount)?;
        let base = self.current_customers + f;
        let gap2 = (1.0 + i - r) * (1.0 + i - r);
        let d_multiple = (1.0 + i) / gap2;
        let mut d_f = 0.0;
        for (index, n) in self.acquisitions.iter().enumerate() {
            let period = super::discount::period_number(index)?;
            let elapsed = match discount.timing() {
                super::Timing::End => f64::from(period),
                super::Timing::Start => f64::from(period.saturating_sub(1)),
            };
            d_f -= n * elapsed * (1.0 + i).powf(-elapsed - 1.0);
        }
        let d_rate = m * base * (-r / gap2) + (m * multiple - ac) * d_f;
        Ok(Elasticities {
            retention: m * base * d_multiple * r / ce,
            margin: m * multiple * base / ce,
            acquisition_cost: -ac * f / ce,
            discount_rate: i * d_rate / ce,
        })
    }
}

checked_serde! {
    /// A Blattberg & Deighton (1996) response curve with a ceiling: the rate reached with spend
    /// `S` is `c·(1 − e^{−kS})`, `c` in (0, 1] the ceiling rate, `k > 0`.
    ///
    /// [`from_point`](Self::from_point) sets `k` from one judgmental point (spend `S` gives
    /// rate `y`): `k = −ln(1 − y/c)/S`.
    ///
    /// ```
    /// use customer_metrics::ResponseCurve;
    ///
    /// // Ceiling 40 %; spending 10 per prospect acquires 20 %: k = ln 2 / 10.
    /// let a = ResponseCurve::from_point(0.4, 10.0, 0.2)?;
    /// assert!((a.k() - std::f64::consts::LN_2 / 10.0).abs() < 1e-15);
    /// assert!((a.rate(20.0)? - 0.3).abs() < 1e-15);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct ResponseCurve {
        ceiling: f64,
        k: f64,
    }
    check = |c| ResponseCurve::new(c.ceiling, c.k)
}

impl ResponseCurve {
    /// A curve with `ceiling` in (0, 1] and `k` finite `> 0`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`ceiling`, `k`).
    pub fn new(ceiling: f64, k: f64) -> Result<Self> {
        if !(ceiling > 0.0 && ceiling <= 1.0) {
            return Err(Error::param("ceiling", ceiling, "a ceiling rate in (0, 1]"));
        }
        if !(k.is_finite() && k > 0.0) {
            return Err(Error::param("k", k, "a finite response constant > 0"));
        }
        Ok(Self { ceiling, k })
    }

    /// The curve through one judgmental point: spend `spend > 0` reaches `rate` in (0, ceiling).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`ceiling`, `spend`, `rate`).
    pub fn from_point(ceiling: f64, spend: f64, rate: f64) -> Result<Self> {
        if !(spend.is_finite() && spend > 0.0) {
            return Err(Error::param("spend", spend, "a finite spend > 0"));
        }
        if !(rate > 0.0 && rate < ceiling) {
            return Err(Error::param("rate", rate, "a rate strictly between 0 and the ceiling"));
        }
        Self::new(ceiling, -(-rate / ceiling).ln_1p() / spend)
    }

    /// The ceiling rate `c`.
    #[must_use]
    pub fn ceiling(&self) -> f64 {
        self.ceiling
    }

    /// The response constant `k`.
    #[must_use]
    pub fn k(&self) -> f64 {
        self.k
    }

    /// The rate `c(1 − e^{−kS})` for spend `S >= 0`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`spend`) for a negative or non-finite spend.
    pub fn rate(&self, spend: f64) -> Result<f64> {
        crate::error::check_range("spend", spend, 0.0, f64::MAX, "a finite spend >= 0")?;
        Ok(self.rate_unchecked(spend))
    }

    fn rate_unchecked(&self, spend: f64) -> f64 {
        -self.ceiling * (-self.k * spend).exp_m1()
    }

    /// `dr/dS = c·k·e^{−kS}`.
    fn slope(&self, spend: f64) -> f64 {
        self.ceiling * self.k * (-self.k * spend).exp()
    }
}

checked_serde! {
    /// Blattberg & Deighton's (1996) customer equity test: how much to spend acquiring a
    /// prospect (`A`) and retaining a customer each period (`R`).
    ///
    /// With acquisition rate `a = a(A)` and retention rate `r = r(R)` from two
    /// [`ResponseCurve`]s, margin `m` per period and `d` the discount's
    /// [`per_period_rate`](Discount::per_period_rate), the equity per prospect is
    ///
    /// `CE(A, R) = a·m − A + a·(m·r − R)/(1 + d − r)`.
    ///
    /// FORMULAS §6.1 gives it, tagged \[U\] (recalled from the article), as
    /// `a·m − A + a·(m − R/r)·r'/(1 − r')` with `r' = r/(1+d)`; the two are the same
    /// expression. The crate fixes the timing by deriving it rather than trusting the recall:
    /// the prospect costs `A` now and, if acquired, pays `m` now; at each later period `t >= 1`
    /// the firm spends `R` on each customer still active (`r^{t−1}`), of whom `r^t` stay and pay
    /// `m`, both flows discounted `(1+d)^{−t}`:
    /// `Σ_{t>=1} (m r^t − R r^{t−1})/(1+d)^t = (m r − R)/(1 + d − r)`. The [`Discount`]'s timing
    /// is therefore not used, only its per-period rate.
    ///
    /// [`optimise`](Self::optimise) maximises `CE` over `A, R >= 0`. The problem separates:
    /// `R*` maximises `V(R) = (m r − R)/(1 + d − r)`, whose derivative's numerator
    /// `N(R) = (m r′ − 1)(1 + d − r) + (m r − R) r′` decreases on `[0, m(1+d)]` and is negative
    /// beyond, so `R* = 0` when `N(0) <= 0` and otherwise the unique root, found by bisection;
    /// then `A* = ln(c_a k_a (m + V(R*)))/k_a` when `c_a k_a (m + V(R*)) > 1`, else 0 (from
    /// `a′(A)(m + V) = 1`).
    ///
    /// ```
    /// use customer_metrics::{BlattbergDeighton, Discount, ResponseCurve, Timing};
    /// use rust_decimal::Decimal;
    ///
    /// let bd = BlattbergDeighton::new(
    ///     Decimal::from(100),
    ///     ResponseCurve::from_point(0.4, 10.0, 0.2)?,
    ///     ResponseCurve::from_point(0.8, 20.0, 0.6)?,
    ///     Discount::new(0.10, Timing::End)?,
    /// )?;
    /// let best = bd.optimise()?;
    /// let at_best = bd.equity_per_prospect(best.acquisition_spend, best.retention_spend)?;
    /// assert!(at_best >= bd.equity_per_prospect(10.0, 20.0)?);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct BlattbergDeighton {
        margin: Decimal,
        acquisition: ResponseCurve,
        retention: ResponseCurve,
        discount: Discount,
    }
    check = |b| BlattbergDeighton::new(b.margin, b.acquisition, b.retention, b.discount)
}

/// The optimal spends of a [`BlattbergDeighton`] problem.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpendOptimum {
    /// `A*`, acquisition spend per prospect.
    pub acquisition_spend: f64,
    /// `R*`, retention spend per customer per period.
    pub retention_spend: f64,
    /// `a(A*)`.
    pub acquisition_rate: f64,
    /// `r(R*)`.
    pub retention_rate: f64,
    /// `CE(A*, R*)`, the customer equity per prospect.
    pub equity_per_prospect: Decimal,
}

impl BlattbergDeighton {
    /// The problem: margin per period, the acquisition and retention response curves, the
    /// discount (its per-period rate).
    ///
    /// # Errors
    /// None beyond the inputs' own checks (kept fallible for later settings).
    pub fn new(
        margin: Decimal,
        acquisition: ResponseCurve,
        retention: ResponseCurve,
        discount: Discount,
    ) -> Result<Self> {
        Ok(Self { margin, acquisition, retention, discount })
    }

    fn value_f64(&self, a_spend: f64, r_spend: f64) -> f64 {
        let m = to_f64(self.margin);
        let d = self.discount.per_period_rate();
        let a = self.acquisition.rate_unchecked(a_spend);
        let r = self.retention.rate_unchecked(r_spend);
        a * m - a_spend + a * (m * r - r_spend) / (1.0 + d - r)
    }

    fn future_value(&self, r_spend: f64) -> f64 {
        let m = to_f64(self.margin);
        let d = self.discount.per_period_rate();
        let r = self.retention.rate_unchecked(r_spend);
        (m * r - r_spend) / (1.0 + d - r)
    }

    /// `CE(A, R)` for spends `A, R >= 0`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`spend`) for a negative or non-finite spend;
    /// [`Error::Overflow`].
    pub fn equity_per_prospect(&self, acquisition_spend: f64, retention_spend: f64) -> Result<Decimal> {
        self.acquisition.rate(acquisition_spend)?;
        self.retention.rate(retention_spend)?;
        to_decimal("equity per prospect", self.value_f64(acquisition_spend, retention_spend))
    }

    /// The spends that maximise `CE` (see the type's docs for the method).
    ///
    /// # Errors
    /// [`Error::Overflow`].
    pub fn optimise(&self) -> Result<SpendOptimum> {
        let m = to_f64(self.margin);
        let d = self.discount.per_period_rate();
        let curve = self.retention;
        let numerator = |x: f64| {
            let (r, slope) = (curve.rate_unchecked(x), curve.slope(x));
            (m * slope - 1.0) * (1.0 + d - r) + (m * r - x) * slope
        };
        let r_spend = if numerator(0.0) <= 0.0 {
            0.0
        } else {
            let (mut lo, mut hi) = (0.0_f64, m * (1.0 + d));
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if numerator(mid) > 0.0 {
                    lo = mid
                } else {
                    hi = mid
                }
                if hi - lo <= 1e-14 * hi.max(1.0) {
                    break;
                }
            }
            0.5 * (lo + hi)
        };
        let v = self.future_value(r_spend);
        let c = self.acquisition.ceiling * self.acquisition.k * (m + v);
        let a_spend = if c > 1.0 { c.ln() / self.acquisition.k } else { 0.0 };
        Ok(SpendOptimum {
            acquisition_spend: a_spend,
            retention_spend: r_spend,
            acquisition_rate: self.acquisition.rate_unchecked(a_spend),
            retention_rate: curve.rate_unchecked(r_spend),
            equity_per_prospect: to_decimal("equity per prospect", self.value_f64(a_spend, r_spend))?,
        })
    }
}

checked_serde! {
    /// A Markov brand-switching matrix: row `j` holds the probabilities that a customer whose
    /// last purchase was brand `j` buys each brand next (rows sum to 1 within 1e-9).
    #[derive(Debug, Clone, PartialEq)]
    pub struct SwitchingMatrix {
        rows: Vec<Vec<f64>>,
    }
    check = |m| SwitchingMatrix::new(m.rows)
}

impl SwitchingMatrix {
    /// A square matrix of probabilities with rows summing to 1.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when not square or empty; [`Error::InvalidParameter`]
    /// (`switching`) for an entry outside [0, 1] or a row not summing to 1.
    pub fn new(rows: Vec<Vec<f64>>) -> Result<Self> {
        let n = rows.len();
        if n == 0 {
            return Err(Error::Mismatch { what: "a switching matrix needs at least one brand".into() });
        }
        for row in &rows {
            if row.len() != n {
                return Err(Error::Mismatch {
                    what: format!("switching matrix row of {} for {n} brands", row.len()),
                });
            }
            for &p in row {
                check_probability("switching", p)?;
            }
            let sum: f64 = row.iter().sum();
            if (sum - 1.0).abs() > 1e-9 {
                return Err(Error::param("switching", sum, "rows summing to 1"));
            }
        }
        Ok(Self { rows })
    }

    /// The number of brands.
    #[must_use]
    pub fn brands(&self) -> usize {
        self.rows.len()
    }

    /// `x·M` for a row vector `x`.
    fn step(&self, x: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.rows.len()];
        for (xi, row) in x.iter().zip(&self.rows) {
            for (o, p) in out.iter_mut().zip(row) {
                *o += xi * p;
            }
        }
        out
    }
}

checked_serde! {
    /// One customer (or a homogeneous segment) of a brand-switching market: the probability
    /// vector `A_i` of their most recent brand, their switching matrix `M_i` (in Rust, Lemon &
    /// Zeithaml from a logit of their driver ratings; here an input) and their purchases per
    /// rate period `f_i`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct BrandCustomer {
        current: Vec<f64>,
        switching: SwitchingMatrix,
        frequency: f64,
    }
    check = |c| BrandCustomer::new(c.current, c.switching, c.frequency)
}

impl BrandCustomer {
    /// A customer.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when `current` has a length other than the brands';
    /// [`Error::InvalidParameter`] (`current`, `frequency`).
    pub fn new(current: Vec<f64>, switching: SwitchingMatrix, frequency: f64) -> Result<Self> {
        if current.len() != switching.brands() {
            return Err(Error::Mismatch {
                what: format!(
                    "{} current-brand probabilities for {} brands",
                    current.len(),
                    switching.brands()
                ),
            });
        }
        for &p in &current {
            check_probability("current", p)?;
        }
        if (current.iter().sum::<f64>() - 1.0).abs() > 1e-9 {
            return Err(Error::param("current", current.iter().sum::<f64>(), "probabilities summing to 1"));
        }
        if !(frequency.is_finite() && frequency > 0.0) {
            return Err(Error::param("frequency", frequency, "finite purchases per period > 0"));
        }
        Ok(Self { current, switching, frequency })
    }
}

/// One brand's equity in a [`BrandSwitching`] market.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BrandShare {
    /// The mean CLV of the sampled customers to the brand.
    pub mean_clv: Decimal,
    /// `CE_j = mean CLV × population`.
    pub equity: Decimal,
    /// `CE_j / Σ_k CE_k`; `None` when the market's equity is not positive.
    pub share: Option<f64>,
}

checked_serde! {
    /// Rust, Lemon & Zeithaml's (2004) brand-switching customer equity (FORMULAS §6.2).
    ///
    /// Customer `i`'s value to brand `j` over a horizon of `H` rate periods is
    ///
    /// `CLV_ij = Σ_{t=1}^{T_i} (1 + d)^{−t/f_i} · π_j · B_ijt`, `B_it = A_i · M_i^t`,
    /// `T_i = ⌊H·f_i⌋`,
    ///
    /// with `π_j` the brand's margin per purchase (volume × unit margin), `d` the
    /// [`Discount`]'s rate per rate period (its timing and period length do not apply: each
    /// purchase is discounted at its own time `t/f_i`) and `B_ijt` the probability that the
    /// `t`-th purchase from now is brand `j`. The sum starts at `t = 1`: `A_i` describes the
    /// purchase already made (FORMULAS writes `t = 0`, tagged \[U\]; counting the last purchase
    /// again would credit past revenue). Brand `j`'s equity is `CE_j = mean_i CLV_ij × POP`
    /// and its share `CE_j / Σ_k CE_k`.
    ///
    /// ```
    /// use customer_metrics::{BrandCustomer, BrandSwitching, Discount, SwitchingMatrix, Timing};
    /// use rust_decimal::Decimal;
    ///
    /// let m = SwitchingMatrix::new(vec![vec![0.8, 0.2], vec![0.3, 0.7]])?;
    /// let market = BrandSwitching::new(vec![Decimal::from(10), Decimal::from(10)], 1.0, Discount::none(), 1000.0)?;
    /// // One purchase a period, one period: the next purchase is brand 0 with probability 0.8.
    /// let customer = BrandCustomer::new(vec![1.0, 0.0], m, 1.0)?;
    /// let e = market.equity(&[customer])?;
    /// assert_eq!(e[0].equity, Decimal::from(8000)); // 10 · 0.8 · 1000
    /// assert_eq!(e[1].share, Some(0.2));
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct BrandSwitching {
        margins: Vec<Decimal>,
        horizon: f64,
        discount: Discount,
        population: f64,
    }
    check = |b| BrandSwitching::new(b.margins, b.horizon, b.discount, b.population)
}

/// The most purchases per customer a [`BrandSwitching`] horizon may imply (bounds the work).
const MAX_PURCHASES: f64 = 1e6;

impl BrandSwitching {
    /// Margins per purchase of each brand, the horizon in rate periods (finite, `>= 0`), the
    /// discount, the population of the market (finite, `>= 0`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`horizon`, `population`); [`Error::Mismatch`] for no brands.
    pub fn new(margins: Vec<Decimal>, horizon: f64, discount: Discount, population: f64) -> Result<Self> {
        if margins.is_empty() {
            return Err(Error::Mismatch { what: "brand switching needs at least one brand margin".into() });
        }
        crate::error::check_range("horizon", horizon, 0.0, f64::MAX, "a finite horizon >= 0")?;
        crate::error::check_range("population", population, 0.0, f64::MAX, "a finite population >= 0")?;
        Ok(Self { margins, horizon, discount, population })
    }

    /// `CLV_ij` of one customer to every brand.
    ///
    /// # Errors
    /// [`Error::Mismatch`] when the customer's brands differ from the margins';
    /// [`Error::InvalidParameter`] (`horizon`) when `H·f_i` exceeds 1e6 purchases;
    /// [`Error::Overflow`].
    pub fn customer_clv(&self, customer: &BrandCustomer) -> Result<Vec<Decimal>> {
        if customer.switching.brands() != self.margins.len() {
            return Err(Error::Mismatch {
                what: format!(
                    "{} brands in the customer's matrix, {} margins",
                    customer.switching.brands(),
                    self.margins.len()
                ),
            });
        }
        let purchases = (self.horizon * customer.frequency).floor();
        if purchases > MAX_PURCHASES {
            return Err(Error::param(
                "horizon",
                self.horizon,
                "a horizon × frequency of at most 1e6 purchases",
            ));
        }
        let mut weights = vec![0.0_f64; self.margins.len()];
        let mut b = customer.current.clone();
        let mut t = 1.0;
        while t <= purchases {
            b = customer.switching.step(&b);
            let factor = to_f64(self.discount.factor_at(t / customer.frequency)?);
            for (w, p) in weights.iter_mut().zip(&b) {
                *w += factor * p;
            }
            t += 1.0;
        }
        self.margins.iter().zip(weights).map(|(m, w)| mul_f64(*m, w, "brand CLV")).collect()
    }

    /// Each brand's equity and share over the sampled `customers`.
    ///
    /// # Errors
    /// [`Error::NotEnoughData`] for no customers; as [`customer_clv`](Self::customer_clv).
    pub fn equity(&self, customers: &[BrandCustomer]) -> Result<Vec<BrandShare>> {
        if customers.is_empty() {
            return Err(Error::NotEnoughData { what: "brand equity", needed: 1, got: 0 });
        }
        let mut sums = vec![Decimal::ZERO; self.margins.len()];
        for c in customers {
            for (s, v) in sums.iter_mut().zip(self.customer_clv(c)?) {
                *s = add(*s, v, "brand CLV sum")?;
            }
        }
        let n = Decimal::from(customers.len());
        let mut out = Vec::with_capacity(sums.len());
        for s in sums {
            let mean = s.checked_div(n).ok_or_else(|| Error::overflow("mean brand CLV"))?;
            out.push(BrandShare {
                mean_clv: mean,
                equity: mul_f64(mean, self.population, "brand equity")?,
                share: None,
            });
        }
        let total = out.iter().try_fold(Decimal::ZERO, |acc, b| add(acc, b.equity, "market equity"))?;
        if total > Decimal::ZERO {
            let total = to_f64(total);
            for b in &mut out {
                b.share = Some(to_f64(b.equity) / total);
            }
        }
        Ok(out)
    }
}

checked_serde! {
    /// A customer's scores on Rust, Lemon & Zeithaml's three drivers of customer equity:
    /// value equity (quality, price, convenience), brand equity (awareness, attitude, ethics)
    /// and relationship equity (loyalty programmes, recognition, community, knowledge).
    /// Scores are finite and `>= 0` on any common scale (for example survey means).
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct EquityDrivers {
        value: f64,
        brand: f64,
        relationship: f64,
    }
    check = |d| EquityDrivers::new(d.value, d.brand, d.relationship)
}

impl EquityDrivers {
    /// Scores for the value, brand and relationship drivers.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`value`, `brand`, `relationship`).
    pub fn new(value: f64, brand: f64, relationship: f64) -> Result<Self> {
        for (name, x) in [("value", value), ("brand", brand), ("relationship", relationship)] {
            crate::error::check_range(name, x, 0.0, f64::MAX, "a finite driver score >= 0")?;
        }
        Ok(Self { value, brand, relationship })
    }
}

/// One driver's part of equity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DriverShare {
    /// The equity attributed to the driver.
    pub equity: Decimal,
    /// `equity / total`; `None` when the total is zero.
    pub share: Option<f64>,
}

/// The value / brand / relationship split of a base's equity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DriverShares {
    /// Value equity.
    pub value: DriverShare,
    /// Brand equity.
    pub brand: DriverShare,
    /// Relationship equity.
    pub relationship: DriverShare,
    /// The equity of customers whose three scores are all zero (not attributed).
    pub unattributed: Decimal,
    /// The total equity, the sum of the customers' values.
    pub total: Decimal,
}

/// Each driver's share of equity from per-customer values (CLV or CEV) and driver scores.
///
/// Method (regression-free, normalised proportional attribution): customer `i`'s value `V_i`
/// is split among the drivers in proportion to their scores,
/// `V_i · s_id / (s_iV + s_iB + s_iR)`; a driver's equity is the sum over customers and its
/// share that sum over the total `Σ_i V_i`. A customer with three zero scores is left
/// unattributed. This reads "which driver does the base's value rest on" from the scores
/// alone; Rust, Lemon & Zeithaml estimate driver effects by a logit of brand choice instead,
/// which needs choice data this function does not have.
///
/// ```
/// use customer_metrics::{EquityDrivers, equity_driver_shares};
/// use rust_decimal::Decimal;
///
/// let rows = [
///     (Decimal::from(300), EquityDrivers::new(2.0, 1.0, 0.0)?), // 200 value, 100 brand
///     (Decimal::from(100), EquityDrivers::new(0.0, 0.0, 5.0)?), // 100 relationship
/// ];
/// let s = equity_driver_shares(&rows)?;
/// assert_eq!(s.value.share, Some(0.5));
/// assert_eq!(s.brand.share, Some(0.25));
/// assert_eq!(s.relationship.share, Some(0.25));
/// # Ok::<(), customer_metrics::Error>(())
/// ```
///
/// # Errors
/// [`Error::Overflow`].
pub fn equity_driver_shares(rows: &[(Decimal, EquityDrivers)]) -> Result<DriverShares> {
    let mut parts = [Decimal::ZERO; 3];
    let (mut unattributed, mut total) = (Decimal::ZERO, Decimal::ZERO);
    for (v, d) in rows {
        total = add(total, *v, "total equity")?;
        let scores = [d.value, d.brand, d.relationship];
        if scores.iter().all(|&x| x == 0.0) {
            unattributed = add(unattributed, *v, "unattributed equity")?;
            continue;
        }
        // Exact decimal proportions: V · s_d / Σ s.
        let scores = scores.map(|x| to_decimal("driver score", x));
        let mut sum = Decimal::ZERO;
        for x in &scores {
            sum = add(sum, x.clone()?, "driver scores")?;
        }
        for (p, x) in parts.iter_mut().zip(scores) {
            let part = super::discount::mul(*v, x?, "driver equity")?
                .checked_div(sum)
                .ok_or_else(|| Error::overflow("driver equity"))?;
            *p = add(*p, part, "driver equity")?;
        }
    }
    let share = |equity: Decimal| DriverShare {
        equity,
        share: (!total.is_zero()).then(|| to_f64(equity) / to_f64(total)),
    };
    let [value, brand, relationship] = parts;
    Ok(DriverShares {
        value: share(value),
        brand: share(brand),
        relationship: share(relationship),
        unattributed,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Timing;

    #[test]
    fn gupta_lehmann_elasticities_by_hand_and_by_finite_difference() {
        // Hand derivation: N₀ = 1000, m = 100, r = 0.8, i = 0.12 (end), acquisitions 100 and
        // 100, AC = 50. M = 0.8/0.32 = 2.5; F = 100/1.12 + 100/1.2544 = 169.005102…;
        // CE = 250·(1000 + F) − 50·F; E_r = 100·(1000 + F)·(1.12/0.32²)·0.8/CE.
        let f = 100.0 / 1.12 + 100.0 / 1.2544;
        let ce = 250.0 * (1000.0 + f) - 50.0 * f;
        let e_r = 100.0 * (1000.0 + f) * (1.12 / (0.32 * 0.32)) * 0.8 / ce;
        let e_m = 250.0 * (1000.0 + f) / ce;
        let e_ac = -50.0 * f / ce;
        let d = Discount::new(0.12, Timing::End).unwrap();
        let model = GuptaLehmannEquity::new(Decimal::from(100), 0.8, 1000.0)
            .unwrap()
            .with_acquisitions(vec![100.0, 100.0], Decimal::from(50))
            .unwrap();
        let v = to_f64(model.value(&d).unwrap().total);
        assert!((v - ce).abs() < 1e-8 * ce, "{v} vs {ce}");
        let e = model.elasticities(&d).unwrap();
        assert!((e.retention - e_r).abs() < 1e-12, "{} vs {e_r}", e.retention);
        assert!((e.margin - e_m).abs() < 1e-12);
        assert!((e.acquisition_cost - e_ac).abs() < 1e-12);
        // Second method: central finite difference of ln CE in ln r (step 1e-5).
        let at = |r: f64| {
            let m = GuptaLehmannEquity::new(Decimal::from(100), r, 1000.0)
                .unwrap()
                .with_acquisitions(vec![100.0, 100.0], Decimal::from(50))
                .unwrap();
            to_f64(m.value(&d).unwrap().total).ln()
        };
        let h = 1e-5;
        let fd = (at(0.8 * (1.0 + h)) - at(0.8 * (1.0 - h))) / (2.0 * h);
        assert!((fd - e.retention).abs() < 1e-6, "{fd} vs {}", e.retention);
        // Discount-rate elasticity, by central difference in ln i, for both timings.
        for timing in [Timing::End, Timing::Start] {
            let at_rate =
                |i: f64| to_f64(model.value(&Discount::new(i, timing).unwrap()).unwrap().total).ln();
            let fd = (at_rate(0.12 * (1.0 + h)) - at_rate(0.12 * (1.0 - h))) / (2.0 * h);
            let e = model.elasticities(&Discount::new(0.12, timing).unwrap()).unwrap();
            assert!((fd - e.discount_rate).abs() < 1e-6, "{timing:?}: {fd} vs {}", e.discount_rate);
        }
    }

    #[test]
    fn blattberg_deighton_against_series_and_grid() {
        let bd = BlattbergDeighton::new(
            Decimal::from(100),
            ResponseCurve::from_point(0.4, 10.0, 0.2).unwrap(),
            ResponseCurve::from_point(0.8, 20.0, 0.6).unwrap(),
            Discount::new(0.1, Timing::End).unwrap(),
        )
        .unwrap();
        // At A = 10, R = 20: a = 0.2, r = 0.6. Brute-force series of the derivation:
        // a·m − A + a·Σ_{t>=1} (m r^t − R r^{t−1})/1.1^t.
        let mut series = 0.2 * 100.0 - 10.0;
        for t in 1..400 {
            let t = f64::from(t);
            series += 0.2 * (100.0 * 0.6_f64.powf(t) - 20.0 * 0.6_f64.powf(t - 1.0)) / 1.1_f64.powf(t);
        }
        // Closed form by hand: 20 − 10 + 0.2·(60 − 20)/(1.1 − 0.6) = 26.
        assert!((series - 26.0).abs() < 1e-9);
        let v = to_f64(bd.equity_per_prospect(10.0, 20.0).unwrap());
        assert!((v - 26.0).abs() < 1e-9);
        // The optimum beats a fine grid search (step 0.05 around it) and every grid point.
        let best = bd.optimise().unwrap();
        let best_value = to_f64(best.equity_per_prospect);
        let mut grid_best = f64::MIN;
        for ai in 0..=400 {
            for ri in 0..=400 {
                let (a, r) = (f64::from(ai) * 0.25, f64::from(ri) * 0.25);
                grid_best = grid_best.max(bd.value_f64(a, r));
            }
        }
        assert!(best_value >= grid_best - 1e-9, "{best_value} < {grid_best}");
        assert!(best_value - grid_best < 0.01, "grid finds {grid_best}, optimum {best_value}");
    }

    #[test]
    fn brand_switching_two_purchases_by_hand() {
        // M = [[0.8, 0.2], [0.3, 0.7]], start in brand 0, 2 purchases a year, 1 year, 10 %/yr.
        // B_1 = (0.8, 0.2); B_2 = (0.8·0.8 + 0.2·0.3, 0.8·0.2 + 0.2·0.7) = (0.70, 0.30).
        // Brand 0 (margin 10): 10·(0.8/1.1^0.5 + 0.7/1.1); brand 1 (margin 20): 20·(0.2/1.1^0.5 + 0.3/1.1).
        let m = SwitchingMatrix::new(vec![vec![0.8, 0.2], vec![0.3, 0.7]]).unwrap();
        let market = BrandSwitching::new(
            vec![Decimal::from(10), Decimal::from(20)],
            1.0,
            Discount::new(0.1, Timing::End).unwrap(),
            500.0,
        )
        .unwrap();
        let c = BrandCustomer::new(vec![1.0, 0.0], m, 2.0).unwrap();
        let clv = market.customer_clv(&c).unwrap();
        let s = 1.1_f64.sqrt();
        let (e0, e1) = (10.0 * (0.8 / s + 0.7 / 1.1), 20.0 * (0.2 / s + 0.3 / 1.1));
        assert!((to_f64(clv[0]) - e0).abs() < 1e-12);
        assert!((to_f64(clv[1]) - e1).abs() < 1e-12);
        let eq = market.equity(&[c]).unwrap();
        assert!((to_f64(eq[0].equity) - 500.0 * e0).abs() < 1e-9);
        assert!((eq[0].share.unwrap() - e0 / (e0 + e1)).abs() < 1e-12);
        assert!(SwitchingMatrix::new(vec![vec![0.5, 0.6], vec![0.5, 0.5]]).is_err());
    }

    #[test]
    fn driver_shares_with_unattributed() {
        let rows = [
            (Decimal::from(90), EquityDrivers::new(1.0, 1.0, 1.0).unwrap()),
            (Decimal::from(10), EquityDrivers::new(0.0, 0.0, 0.0).unwrap()),
        ];
        let s = equity_driver_shares(&rows).unwrap();
        // 90 split in thirds, 10 unattributed: each driver 30 of 100.
        assert_eq!(s.unattributed, Decimal::from(10));
        assert!((s.value.share.unwrap() - 0.3).abs() < 1e-12);
        assert!(EquityDrivers::new(-1.0, 0.0, 0.0).is_err());
    }
}
