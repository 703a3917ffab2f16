//! The MBG/NBD model (Batislam, Denizel & Filiztekin 2007).

use super::beta_geometric::{Dropout, beta_geometric_model};

beta_geometric_model! {
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
    model MbgNbd, fitter MbgNbdFitter, label "MBG/NBD", dropout Dropout::AlsoAtFirstPurchase;
    simulate:
    /// Simulates one customer per entry of `ages` (observation length T since the first
    /// purchase): λ ~ Gamma(r, α), p ~ Beta(a, b); with probability p the customer drops out
    /// right after the first purchase (time 0), otherwise buys as a Poisson process at rate λ
    /// and drops out with probability p after each repeat purchase. Deterministic for a seed.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) when an age is negative or
    /// not finite.
}
