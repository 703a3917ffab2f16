//! The BG/NBD model (Fader, Hardie & Lee 2005).

use super::beta_geometric::{self as bg, Dropout, Params};
use crate::Result;
use crate::models::{Fit, FitReport, Fitter, PurchaseModel, SimulatedCustomer, check_horizon};
use crate::serde_checked::checked_serde;
use crate::summary::CustomerSummary;

const DROPOUT: Dropout = Dropout::AfterRepeatPurchases;

checked_serde! {
    /// A fitted BG/NBD ("beta-geometric / negative binomial distribution") model of repeat
    /// purchasing in continuous time.
    ///
    /// **Paper.** Fader, P.S., Hardie, B.G.S. & Lee, K.L. (2005), "'Counting Your Customers'
    /// the Easy Way: An Alternative to the Pareto/NBD Model," *Marketing Science* 24(2):275–284;
    /// numerics from their note 027, "Overcoming the BG/NBD Model's #NUM! Error Problem".
    ///
    /// **Model.** While alive, a customer buys as a Poisson process with rate λ; λ ~ Gamma(r, α)
    /// (shape `r`, rate `alpha`) across customers. After each *repeat* purchase the customer
    /// drops out with probability p; p ~ Beta(a, b), independent of λ. A customer with no
    /// repeat purchase (`frequency` x = 0) cannot have dropped out. For a customer with
    /// `frequency` = x, `recency` = t_x and `age` = T:
    ///
    /// * `L = [B(a, b+x)/B(a,b)]·[Γ(r+x)α^r/Γ(r)]·[(α+T)^{−(r+x)} + δ_{x>0}·(a/(b+x−1))·(α+t_x)^{−(r+x)}]`
    ///   (Eq. 6), evaluated as `D₁ + r ln α − (r+x) ln(α+t_x) + ln(C₃ + δ_{x>0} C₄)` with
    ///   `C₃ = ((α+t_x)/(α+T))^{r+x} ≤ 1` (note 027), so no term overflows for any x;
    /// * `P(alive) = 1/[1 + δ_{x>0}·(a/(b+x−1))·((α+T)/(α+t_x))^{r+x}]`;
    /// * `E[X(t)] = [(a+b−1)/(a−1)]·[1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]` (Eq. 9) and
    ///   `E[Y(t) | x, t_x, T]` (Eq. 10) are evaluated as the posterior mixture
    ///   `P(alive)·E_{p ~ Beta(a, b+x)}[(1/p)(1 − ((α+T)/(α+T+pt))^{r+x})]` by quadrature over
    ///   the logit of p: no hypergeometric series near its singular point, and the exact value
    ///   (not a nudged `a`) at `a = 1`, where the closed form's factor `1/(a − 1)` is singular;
    /// * `P(X(t) = n)` (Eq. 8) in log space, its negative-binomial tail through the regularised
    ///   incomplete beta function.
    ///
    /// ```
    /// use customer_metrics::{BgNbd, CustomerSummary, PurchaseModel};
    /// use rust_decimal::Decimal;
    ///
    /// // The published CDNOW estimates (Fader, Hardie & Lee 2005).
    /// let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    /// // Customer 1 of CDNOW: x = 2, t_x = 30.43, T = 38.86 weeks.
    /// let customer = CustomerSummary::new(2, 30.43, 38.86, Decimal::ZERO)?;
    /// let next_39_weeks = model.conditional_expected_purchases(&customer, 39.0)?;
    /// assert!((next_39_weeks - 1.226).abs() < 2e-3);
    /// // BTYD's documented value of P(X(39) = 0) for a new customer.
    /// assert!((model.probability_of_purchases(0, 39.0)? - 0.5737864).abs() < 1e-7);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct BgNbd {
        r: f64,
        alpha: f64,
        a: f64,
        b: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<FitReport>,
    }
    check = |m| BgNbd::new(m.r, m.alpha, m.a, m.b).map(|checked| BgNbd { report: m.report, ..checked })
}

/// Fits a [`BgNbd`] by maximum likelihood (rows: [`CustomerSummary`], using frequency,
/// recency and age).
pub type BgNbdFitter = Fitter<BgNbd>;

impl BgNbd {
    /// A model with the given parameters: `r`, `alpha` (shape and rate of the gamma
    /// distribution of purchase rates λ) and `a`, `b` (the beta distribution of dropout
    /// probabilities p).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first parameter
    /// that is not a finite number `> 0`.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        Params::new(r, alpha, a, b)?;
        Ok(BgNbd { r, alpha, a, b, report: None })
    }

    /// r: shape of the gamma distribution of purchase rates.
    #[must_use]
    pub fn r(&self) -> f64 {
        self.r
    }

    /// α: rate (inverse scale, in the time unit of the data) of the gamma distribution of
    /// purchase rates.
    #[must_use]
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// a: first shape of the beta distribution of dropout probabilities.
    #[must_use]
    pub fn a(&self) -> f64 {
        self.a
    }

    /// b: second shape of the beta distribution of dropout probabilities.
    #[must_use]
    pub fn b(&self) -> f64 {
        self.b
    }

    /// The fit report (standard errors in the order r, α, a, b), if the model was fitted.
    #[must_use]
    pub fn report(&self) -> Option<&FitReport> {
        self.report.as_ref()
    }

    fn params(&self) -> Params {
        Params { r: self.r, alpha: self.alpha, a: self.a, b: self.b }
    }

    /// Simulates one customer per entry of `ages` (observation length T since the first
    /// purchase): λ ~ Gamma(r, α), p ~ Beta(a, b), Poisson purchases at rate λ, and after each
    /// repeat purchase a dropout with probability p. Deterministic for a seed.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) when an age is negative or
    /// not finite.
    pub fn simulate(&self, ages: &[f64], seed: u64) -> Result<Vec<SimulatedCustomer>> {
        bg::simulate(DROPOUT, self.params(), ages, seed)
    }
}

impl PurchaseModel for BgNbd {
    fn name(&self) -> &'static str {
        "BG/NBD"
    }

    fn log_likelihood(&self, customer: &CustomerSummary) -> f64 {
        bg::customer_log_likelihood(DROPOUT, self.params(), customer)
    }

    fn probability_alive(&self, customer: &CustomerSummary) -> f64 {
        bg::probability_alive(
            DROPOUT,
            self.params(),
            f64::from(customer.frequency()),
            customer.recency(),
            customer.age(),
        )
    }

    fn expected_purchases(&self, t: f64) -> Result<f64> {
        Ok(bg::expected_purchases(DROPOUT, self.params(), check_horizon(t)?))
    }

    fn conditional_expected_purchases(&self, customer: &CustomerSummary, t: f64) -> Result<f64> {
        let t = check_horizon(t)?;
        let x = f64::from(customer.frequency());
        Ok(bg::conditional_expected_purchases(
            DROPOUT,
            self.params(),
            x,
            customer.recency(),
            customer.age(),
            t,
        ))
    }

    fn probability_of_purchases(&self, n: u32, t: f64) -> Result<f64> {
        Ok(bg::probability_of_purchases(DROPOUT, self.params(), n, check_horizon(t)?))
    }
}

impl Fit for Fitter<BgNbd> {
    type Row = CustomerSummary;
    type Model = BgNbd;

    fn fit(&self, rows: &[CustomerSummary]) -> Result<BgNbd> {
        fit(self, rows, None)
    }

    fn fit_weighted(&self, rows: &[CustomerSummary], weights: &[f64]) -> Result<BgNbd> {
        fit(self, rows, Some(weights))
    }
}

fn fit(fitter: &BgNbdFitter, rows: &[CustomerSummary], weights: Option<&[f64]>) -> Result<BgNbd> {
    let initial = fitter.initial_model().map(BgNbd::params);
    let (p, report) = bg::fit(DROPOUT, rows, weights, fitter.settings(), initial)?;
    Ok(BgNbd { r: p.r, alpha: p.alpha, a: p.a, b: p.b, report: Some(report) })
}
