//! The BG/NBD model (Fader, Hardie & Lee 2005).

use super::beta_geometric::{Dropout, beta_geometric_model};

beta_geometric_model! {
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
    model BgNbd, fitter BgNbdFitter, label "BG/NBD", dropout Dropout::AfterRepeatPurchases;
    simulate:
    /// Simulates one customer per entry of `ages` (observation length T since the first
    /// purchase): λ ~ Gamma(r, α), p ~ Beta(a, b), Poisson purchases at rate λ, and after each
    /// repeat purchase a dropout with probability p. Deterministic for a seed.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) when an age is negative or
    /// not finite.
}
