//! # customer-metrics
//!
//! What customers are worth and how they behave: the probabilistic customer-lifetime-value
//! models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma, shifted-beta-geometric) fitted by
//! maximum likelihood from transaction summaries, formula CLV and customer engagement value,
//! customer equity, profitability and RFM, survey metrics (NPS, CES, CSAT) with intervals and
//! tests, and churn, retention, cohort and survival analysis — typed, serde-serialisable,
//! `Send + Sync`, panic-free on user input, with money as [`Decimal`](rust_decimal::Decimal) and
//! dates as [`chrono`] types.
//!
//! ## A first example, on published numbers
//!
//! The CDNOW sample (2,357 customers who first bought CDs in the first quarter of 1997) is the
//! benchmark of the CLV literature. Its published 39-week calibration summary starts with a
//! customer who made x = 2 repeat purchases, the last t_x = 30.43 weeks after the first, and was
//! observed for T = 38.86 weeks, spending z̄ = $22.35 per repeat purchase on average:
//!
//! ```
//! use chrono::NaiveDate;
//! use customer_metrics::{SummaryBuilder, SummaryOptions, Transaction};
//! use rust_decimal::Decimal;
//!
//! let data = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cdnow_sample_transactions.txt"));
//! let date = |s: &str| NaiveDate::parse_from_str(s, "%Y%m%d");
//! let options = SummaryOptions::default()
//!     .period_days(7.0) // recency and age in weeks
//!     .calibration_end(date("19970930")?)
//!     .observation_end(date("19980630")?);
//! let mut builder = SummaryBuilder::new(options)?;
//! for line in data.lines() {
//!     // original id, customer id, date, number of CDs, dollar value
//!     let f: Vec<&str> = line.split_whitespace().collect();
//!     let amount: Decimal = f[4].parse()?;
//!     builder.record(&Transaction::new(f[1].to_string(), date(f[2])?, amount))?;
//! }
//! let summaries = builder.build()?;
//! assert_eq!(summaries.customers.len(), 2357);
//! let first = &summaries.customers[0].summary;
//! assert_eq!(first.frequency(), 2);
//! assert_eq!(format!("{:.2} {:.2}", first.recency(), first.age()), "30.43 38.86");
//! assert_eq!(first.monetary_value(), Decimal::new(22345, 3)); // (29.73 + 14.96) / 2, published as 22.35
//!
//! // Fit the BG/NBD model (Fader, Hardie & Lee 2005): published r = 0.243, α = 4.414,
//! // a = 0.793, b = 2.426, log-likelihood −9582.4.
//! use customer_metrics::{BgNbdFitter, Fit, PurchaseModel};
//! let model = BgNbdFitter::new().fit(&summaries.summaries())?;
//! assert!((model.r() - 0.243).abs() < 5e-4 && (model.b() - 2.426).abs() < 5e-3);
//! let report = model.report().expect("a fitted model has a report");
//! assert!((report.log_likelihood - -9582.4).abs() < 0.05);
//! // Customer 1 is expected to make 1.226 purchases in the next 39 weeks.
//! let next = model.conditional_expected_purchases(first, 39.0)?;
//! assert!((next - 1.226).abs() < 2e-3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Map of the crate
//!
//! | module | what | main types |
//! |---|---|---|
//! | [`summary`] | transactions → per-customer (x, t_x, T, z̄) with calibration/holdout split; recency/frequency matrix; tracking series | [`SummaryBuilder`], [`CustomerSummary`], [`Summaries`] |
//! | [`survey`] | Net Promoter Score, Customer Effort Score (two scales), CSAT: shares, scores, intervals, tests | [`Nps`], [`CesAgreement`], [`CesEffort`], [`Csat`], [`Segmented`] |
//! | [`retention`] | churn and retention rates, revenue retention, cohort tables, Kaplan-Meier survival | see the module |
//! | [`models`] | maximum-likelihood BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma and sBG; P(alive), expected purchases, pmf, DERT; model-based CLV; simulators; model-checking views | [`BgNbd`], [`ParetoNbd`], [`GammaGamma`], [`Clv`], [`PurchaseModel`], [`Fit`] |
//! | [`value`] | formula CLV, referral (CRV), influence (CIV) and knowledge (CKV) value, engagement value (CEV) as a sum of components, customer equity, Blattberg-Deighton, Rust-Lemon-Zeithaml | [`Engagement`], [`ValueComponent`], [`Discount`], [`GuptaLehmannEquity`] |
//! | [`economics`] | customer P&L, whale curve, cross-/up-sell shares, CAC, LTV:CAC, payback, RFM scores and segments | [`ProfitAndLoss`], [`WhaleCurve`], [`AcquisitionCost`], [`UnitEconomics`], [`RfmScores`], [`SegmentRules`] |
//! | [`Metric`] | the mergeable single-pass aggregate every count-based metric implements | |
//! | [`Error`] | the one error type; every variant names the bad input | |
//!
//! ## The field in a page
//!
//! **Customer lifetime value** is the present value of the margin a customer will bring. In a
//! *contractual* setting (subscriptions) you see customers leave, and retention curves answer
//! the question. In a *non-contractual* setting (retail) you never see a customer leave: a
//! quiet customer may have churned or may just be between purchases. The "buy till you die"
//! models (Pareto/NBD, BG/NBD and relatives) infer both the purchase rate and the probability
//! of being alive from three numbers per customer — how often they bought (frequency x), when
//! they last bought (recency t_x) and how long we have watched them (age T) — which is exactly
//! what [`SummaryBuilder`] computes from a transaction log, in one pass, mergeable across shards.
//! A calibration/holdout split lets you check a model's forecasts against what customers did
//! next.
//!
//! The [`models`] fit those three numbers by maximum likelihood and answer the questions a
//! marketer asks of each customer: P(alive), the expected number of purchases in any future
//! horizon, the discounted expected residual transactions (DERT), and — with the Gamma-Gamma
//! model of spend per transaction — model-based CLV. In the contractual setting the
//! shifted-beta-geometric model projects a cohort's retention curve and its discounted expected
//! lifetime; in discrete time (one opportunity a year, say) BG/BB replaces BG/NBD.
//!
//! **Engagement value** (Kumar et al. 2010) adds to a customer's own CLV the value of the
//! customers they referred (CRV), of their influence on others (CIV) and of their ideas (CKV);
//! [`value`] sums such components, ranks customers and values a whole base (customer equity).
//! [`economics`] asks which customers make money (P&L, the whale curve), what they cost to
//! acquire (CAC, LTV:CAC, payback) and how they segment (RFM).
//!
//! **Survey metrics** measure attitude rather than behaviour. The Net Promoter Score (Reichheld
//! 2003) is the share of promoters (9–10 on a 0–10 "would you recommend" scale) minus the share
//! of detractors (0–6); as a difference of two dependent proportions its standard error comes
//! from the trinomial variance. The Customer Effort Score and CSAT are top-box shares and means
//! on short agreement scales.
//!
//! **Churn and retention** are the contractual view: the share of customers lost in a period,
//! revenue kept from a starting cohort (gross and net revenue retention), the cohort table of
//! who is still active k periods after acquisition, and the Kaplan-Meier survival curve for
//! tenures that are still running (right-censored). Heterogeneous customers make retention rise
//! with tenure, so a constant-churn lifetime 1/c understates how long survivors stay (Fader &
//! Hardie 2010).
//!
//! ## Panics and error handling
//!
//! No public function panics on any input: every fallible function returns [`Result`], and each
//! [`Error`] variant says which input was wrong, why, and how to fix it. A rejected observation
//! leaves an aggregate unchanged. Counts use checked integer arithmetic and money checked
//! [`Decimal`](rust_decimal::Decimal) arithmetic; an overflow is [`Error::Overflow`], never a
//! wrapped number.
//!
//! ## Floating point accuracy
//!
//! Counts and money are exact; rates, probabilities, intervals and model quantities are `f64`.
//! Normal quantiles use Wichura's AS 241 (relative error about 1e-16) and tail probabilities
//! `erfc`, so p-values stay accurate far into the tail. The models work on log scale (ln Γ and
//! ln B, with cancellation-free Stirling differences for large arguments) and avoid the
//! hypergeometric series where they break (posterior-mixture integrals for BG/NBD, a
//! log-concave quadrature or series for Pareto/NBD, a pole-free incomplete gamma function for
//! its DERT), so predictions stay finite and accurate for x up to 10⁵, T up to 10⁴ and
//! parameters from 10⁻³ to 10³, where lifetimes returns NaN or probabilities above 1. Results
//! compared with other software (the published CDNOW summary and estimates, lifetimes 0.11.3,
//! 50-digit mpmath evaluations, lifelines' Kaplan-Meier estimates) are tested to the tolerances
//! stated in each test.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod economics;
mod error;
mod math;
mod metric;
pub mod models;
pub mod retention;
mod segmented;
mod serde_checked;
pub mod summary;
pub mod survey;
pub mod value;

pub use economics::{
    AcquisitionCost, Acquisitions, Cac, PnlEntry, PnlStatement, ProfitAndLoss, RfmObservation, RfmOptions,
    RfmScore, RfmScores, RfmSort, RfmTies, ScoreRange, SegmentRule, SegmentRules, UnitEconomics, WhaleCurve,
    WhalePoint,
};
pub use error::{Error, Result};
pub use metric::Metric;
pub use models::{
    BgBb, BgBbCustomer, BgBbFitter, BgNbd, BgNbdFitter, Clv, Cohort, ConditionalExpectations,
    ConditionalGroup, Fit, FitOptions, FitReport, Fitter, FrequencyBin, GammaGamma, GammaGammaFitter, MbgNbd,
    MbgNbdFitter, ParetoNbd, ParetoNbdFitter, PurchaseModel, Sbg, SbgFitter, SimulatedCustomer, SpendModel,
    TrackingRow, conditional_expectations, continuous_rate, expected_cumulative_tracking,
    first_purchase_offsets, frequency_histogram, tracking, tracking_from_summaries,
};
pub use retention::{
    ChurnRates, CohortBuilder, CohortRow, CohortTable, CustomerRevenue, CustomerStatus, KaplanMeier,
    LifeTable, LifeTableRow, MedianSurvival, Period, PeriodCounts, RevenueMovements, RevenueRetention,
    SurvivalInterval, SurvivalPoint, Tenure, annual_churn_from_monthly, expected_future_periods,
    expected_lifetime, monthly_churn_from_annual, rescale_churn, rescale_retention,
};
pub use segmented::{Segmented, SegmentedReport};
pub use summary::{
    CustomerRecord, CustomerSummary, HoldoutSummary, RecencyFrequencyCell, RecencyFrequencyMatrix, Rounding,
    Summaries, SummaryBuilder, SummaryOptions, TrackingPeriod, Transaction,
};
pub use survey::{
    CesAgreement, CesEffort, Comparison, Csat, Interval, IntervalMethod, Nps, NpsMethod, NpsReport, Response,
    ScaleReport, TestMethod,
};

pub use value::{
    AcquisitionCohort, BlattbergDeighton, BoxedComponent, BrandCustomer, BrandShare, BrandSwitching,
    Centrality, ClvFormula, ConstantRetentionClv, CustomerValue, Discount, DriverShare, DriverShares,
    Elasticities, Engagement, EquityDrivers, EquityReport, FiniteHorizonClv, FormulaClv, GuptaLehmannEquity,
    HubbellMethod, HubbellOptions, HubbellReport, IdeaContribution, InfluenceEdge, InfluenceGraph,
    InfluenceValue, KnowledgeValue, KumarClv, ModelClv, NormBound, Portfolio, PrecomputedValue, Quadrant,
    QuadrantThresholds, Quadrants, Referral, ReferralBreakdown, ReferralKind, ReferralPeriod, ReferralValue,
    ResponseCurve, SpendOptimum, Survival, SwitchingMatrix, Timing, ValueComponent, clv_crv_quadrants,
    customer_equity, equity_driver_shares, referral_value,
};

/// The README's code, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
