//! Churn and retention: period rates, revenue retention, cohort tables, Kaplan-Meier survival.
//!
//! # Period churn and retention
//!
//! For a period `t` with `N_start` customers at its start, `L` of them lost during it and some
//! new customers acquired during it ([`PeriodCounts`]):
//!
//! - logo churn `c = L / N_start` — new customers are in neither the numerator nor the
//!   denominator (a customer acquired and lost within the period is counted nowhere);
//! - retention `r = 1 − c`;
//! - average-base churn `L / ((N_start + N_end) / 2)`, with `N_end = N_start − L + new`.
//!
//! Revenue ([`RevenueMovements`], or the mergeable [`RevenueRetention`] over per-customer
//! start/end revenue; exact [`Decimal`](rust_decimal::Decimal)): from the starting
//! cohort's revenue `R`, the revenue of customers who left (churned), downgrades (contraction)
//! and upgrades (expansion): gross revenue churn `(churned + contraction)/R`, gross revenue
//! retention `GRR = (R − churned − contraction)/R <= 1`, net revenue retention
//! `NRR = (R − churned − contraction + expansion)/R` (may exceed 1). New customers' revenue is
//! excluded from all three.
//!
//! Period lengths: with a constant per-period churn, `c_annual = 1 − (1 − c_monthly)^12`, not
//! `12·c_monthly`; in general `c' = 1 − (1 − c)^k` for a ratio `k` of period lengths
//! ([`rescale_churn`], [`rescale_retention`]). Expected lifetime with constant churn `c`,
//! counting the current period, is `1/c` periods ([`expected_lifetime`]); the expected number
//! of *future* periods of a customer active now is `r/(1 − r)` ([`expected_future_periods`]).
//!
//! **Heterogeneity caveat.** Customers differ in their churn propensity, so the high-risk ones
//! leave first and a cohort's retention rate rises with tenure (the shifted-beta-geometric
//! model of Fader & Hardie 2007, "How to Project Customer Retention", *J. Interactive
//! Marketing* 21(1)). A constant-rate `1/c` from an early period therefore understates the
//! lifetime (and value) of survivors (Fader & Hardie 2010, "Customer-Base Valuation in a
//! Contractual Setting: The Perils of Ignoring Heterogeneity", *Marketing Science* 29(1)).
//!
//! # Cohort tables
//!
//! A cohort is the set of customers whose first transaction falls in the same period
//! ([`Period`]: calendar months, or fixed `N`-day periods from an origin date). The table
//! ([`CohortTable`], built by the mergeable [`CohortBuilder`]) gives, for each cohort and each
//! offset `k = 0, 1, 2, …`, the number and the share of the cohort active (at least one
//! transaction, of any amount) in the cohort's period `+ k`; this share is the empirical
//! survival `S(k)` of the cohort when activity means "still a customer". Offsets whose period
//! was not fully observed by the observation end are `None`, never 0.
//!
//! # Kaplan-Meier survival
//!
//! For tenures that may be right-censored (still active when observation stopped), the
//! Kaplan-Meier estimator (Kaplan & Meier 1958, "Nonparametric Estimation from Incomplete
//! Observations", *JASA* 53(282)) at the distinct times `t_i` with `n_i` customers at risk and
//! `d_i` churn events is
//!
//! `S(t) = Π_{t_i <= t} (1 − d_i / n_i)`,
//!
//! with Greenwood's (1926, *Reports on Public Health and Medical Subjects* 33) variance
//! `Var[S(t)] = S(t)² Σ_{t_i <= t} d_i / (n_i (n_i − d_i))` ([`SurvivalPoint::variance`]).
//! Confidence intervals use the exponential Greenwood ("log-log") transform, which keeps them
//! inside [0, 1]: `exp(−exp(ln(−ln S) ± z σ / ln S))`, `σ² = Σ d_i/(n_i(n_i − d_i))`.
//!
//! [`KaplanMeier`] follows lifelines' `KaplanMeierFitter` (0.30) exactly, and is tested against
//! it at 1e-9 (`scripts/km_fixture.py`, `tests/data/km_lifelines.json`): the timeline starts at
//! 0 and holds every distinct duration; a Greenwood term with `n_i = d_i` counts 0; where
//! `S = 1` both bounds are 1 and where `S = 0` both are 0; the median (and any quantile `q`) is
//! the first time with `S(t) <= q`, and is *not reached* (`None`; lifelines: `inf`) when the
//! curve stays above `q`; the median's interval is read off the two confidence bands the same
//! way. Optional weights count a tenure as `w` customers (lifelines' `weights`).
//!
//! ```
//! use customer_metrics::{annual_churn_from_monthly, KaplanMeier, PeriodCounts, Tenure};
//!
//! let june = PeriodCounts::new(1_000, 50, 120)?;
//! let monthly = june.churn()?; // 0.05
//! assert!((annual_churn_from_monthly(monthly)? - 0.4596399).abs() < 1e-6);
//!
//! let km = KaplanMeier::fit([Tenure::churned(1.0)?, Tenure::censored(2.0)?, Tenure::churned(3.0)?])?;
//! assert!((km.survival_at(3.0)? - 0.0).abs() < 1e-12);
//! assert_eq!(km.median(), Some(3.0)); // S(1) = 2/3 > 0.5, S(3) = 0
//! # Ok::<(), customer_metrics::Error>(())
//! ```

mod churn;
mod cohort;
mod survival;

/// Tolerance (relative, absolute below 1) for derived floats when deserialising: a stored value
/// must agree with its recomputation from the stored counts. JSON printers and parsers may
/// round the last bits (serde_json's default parser can be 1 ulp off), and tampering or
/// hand-editing shows up far above this level.
const DESERIALIZE_TOLERANCE: f64 = 1e-12;

/// Whether a stored float agrees with its recomputed value (see [`DESERIALIZE_TOLERANCE`]).
fn agrees(stored: f64, recomputed: f64) -> bool {
    (stored - recomputed).abs() <= DESERIALIZE_TOLERANCE * recomputed.abs().max(1.0)
}

pub use churn::{
    ChurnRates, CustomerRevenue, CustomerStatus, PeriodCounts, RevenueMovements, RevenueRetention,
    annual_churn_from_monthly, expected_future_periods, expected_lifetime, monthly_churn_from_annual,
    rescale_churn, rescale_retention,
};
pub use cohort::{CohortBuilder, CohortRow, CohortTable, Period};
pub use survival::{
    KaplanMeier, LifeTable, LifeTableRow, MedianSurvival, SurvivalInterval, SurvivalPoint, Tenure,
};
