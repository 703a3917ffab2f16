//! The MBG/NBD model (Batislam, Denizel & Filiztekin 2007).

use super::beta_geometric::{self as bg, Dropout, Params};
use crate::Result;
use crate::models::{Fit, FitReport, Fitter, PurchaseModel, SimulatedCustomer, check_horizon};
use crate::serde_checked::checked_serde;
use crate::summary::CustomerSummary;

const DROPOUT: Dropout = Dropout::AlsoAtFirstPurchase;

checked_serde! {
    /// A fitted MBG/NBD ("modified" BG/NBD) model of repeat purchasing in continuous time.
    ///
    /// **Paper.** Batislam, E.P., Denizel, M. & Filiztekin, A. (2007), "Empirical validation
    /// and comparison of models for customer base analysis," *International Journal of
    /// Research in Marketing* 24(3):201–209 (the same model as Hoppe & Wagner's 2007 CBG/NBD;
    /// reference implementation BTYDplus `mbgnbd`).
    ///
    /// **Model.** As [`BgNbd`](crate::BgNbd) — Poisson purchases at rate λ ~ Gamma(r, α)
    /// (shape `r`, rate `alpha`), dropout probability p ~ Beta(a, b) — except that the dropout
    /// coin is also flipped right after the *first* purchase, so a customer with no repeat
    /// purchase (`frequency` x = 0) may be inactive. For a customer with `frequency` = x,
    /// `recency` = t_x and `age` = T:
    ///
    /// * `L = [B(a, b+x+1)/B(a,b)]·[Γ(r+x)α^r/Γ(r)]·[(α+T)^{−(r+x)} + (a/(b+x))·(α+t_x)^{−(r+x)}]`,
    ///   evaluated in the overflow-safe form of Fader, Hardie & Lee's note 027
    ///   (`((α+t_x)/(α+T))^{r+x} ≤ 1`, sums in log space);
    /// * `P(alive) = 1/[1 + (a/(b+x))·((α+T)/(α+t_x))^{r+x}]` (below 1 also for x = 0);
    /// * `E[X(t)] = [b/(a−1)]·[1 − ₂F₁(r, a−1; a+b; −t/α)]` and
    ///   `E[Y(t) | x, t_x, T] = [(a+b+x)/(a−1)]·[1 − ((α+T)/(α+T+t))^{r+x} ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))]·P(alive)`
    ///   are evaluated as the posterior mixture
    ///   `P(alive)·E_{p ~ Beta(a, b+x+1)}[(1/p)(1 − ((α+T)/(α+T+pt))^{r+x})]` by quadrature over
    ///   the logit of p (no hypergeometric series, exact at `a = 1`);
    /// * `P(X(t) = n) = [B(a, b+n+1)/B(a,b)]·NB(n) + [B(a+1, b+n)/B(a,b)]·P(NB ≥ n)` with NB the
    ///   negative binomial `[Γ(r+n)/(Γ(r) n!)]·(α/(α+t))^r·(t/(α+t))^n` (the MBG/NBD analogue of
    ///   BG/NBD's Eq. 8: with probability p the customer leaves at time 0 and buys nothing).
    ///
    /// ```
    /// use customer_metrics::{CustomerSummary, MbgNbd, PurchaseModel};
    /// use rust_decimal::Decimal;
    ///
    /// // BTYDplus's estimates on the CDNOW calibration data.
    /// let model = MbgNbd::new(0.525, 6.183, 0.891, 1.614)?;
    /// let quiet = CustomerSummary::new(0, 0.0, 38.86, Decimal::ZERO)?;
    /// let alive = model.probability_alive(&quiet);
    /// assert!(alive > 0.0 && alive < 1.0); // unlike BG/NBD, x = 0 can be inactive
    /// assert!(model.expected_purchases(39.0)? > 0.0);
    /// # Ok::<(), customer_metrics::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct MbgNbd {
        r: f64,
        alpha: f64,
        a: f64,
        b: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<FitReport>,
    }
    check = |m| MbgNbd::new(m.r, m.alpha, m.a, m.b).map(|checked| MbgNbd { report: m.report, ..checked })
}

/// Fits a [`MbgNbd`] by maximum likelihood (rows: [`CustomerSummary`], using frequency,
/// recency and age).
pub type MbgNbdFitter = Fitter<MbgNbd>;

impl MbgNbd {
    /// A model with the given parameters: `r`, `alpha` (shape and rate of the gamma
    /// distribution of purchase rates λ) and `a`, `b` (the beta distribution of dropout
    /// probabilities p).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first parameter
    /// that is not a finite number `> 0`.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        Params::new(r, alpha, a, b)?;
        Ok(MbgNbd { r, alpha, a, b, report: None })
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
    /// purchase): λ ~ Gamma(r, α), p ~ Beta(a, b); with probability p the customer drops out
    /// right after the first purchase (time 0), otherwise buys as a Poisson process at rate λ
    /// and drops out with probability p after each repeat purchase. Deterministic for a seed.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) when an age is negative or
    /// not finite.
    pub fn simulate(&self, ages: &[f64], seed: u64) -> Result<Vec<SimulatedCustomer>> {
        bg::simulate(DROPOUT, self.params(), ages, seed)
    }
}

impl PurchaseModel for MbgNbd {
    fn name(&self) -> &'static str {
        "MBG/NBD"
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

impl Fit for Fitter<MbgNbd> {
    type Row = CustomerSummary;
    type Model = MbgNbd;

    fn fit(&self, rows: &[CustomerSummary]) -> Result<MbgNbd> {
        fit(self, rows, None)
    }

    fn fit_weighted(&self, rows: &[CustomerSummary], weights: &[f64]) -> Result<MbgNbd> {
        fit(self, rows, Some(weights))
    }
}

fn fit(fitter: &MbgNbdFitter, rows: &[CustomerSummary], weights: Option<&[f64]>) -> Result<MbgNbd> {
    let initial = fitter.initial_model().map(MbgNbd::params);
    let (p, report) = bg::fit(DROPOUT, rows, weights, fitter.settings(), initial)?;
    Ok(MbgNbd { r: p.r, alpha: p.alpha, a: p.a, b: p.b, report: Some(report) })
}
