//! Survey metrics: Net Promoter Score, Customer Effort Score, CSAT.
//!
//! Every metric here is a mergeable [`Metric`](crate::Metric) over [`Response`]s (a score and an
//! optional positive weight). The state is exact — integer counts per scale level and `Decimal`
//! weight sums, checked for overflow and rounding ([`Error::Overflow`](crate::Error::Overflow)) —
//! so aggregates built on shards merge to exactly the aggregate of all responses. A score that
//! is not a finite integer on the instrument's scale is
//! [`Error::ScoreOutOfRange`](crate::Error::ScoreOutOfRange), naming the score. Floats appear
//! only in the reports.
//!
//! # Net Promoter Score
//!
//! Reichheld (2003), "The One Number You Need to Grow", *Harvard Business Review* 81(12): "How
//! likely is it that you would recommend \[X\] to a friend or colleague?" on 0..=10. Promoters
//! answer 9-10, passives 7-8, detractors 0-6, and NPS = 100 · (p − d) ∈ [−100, 100] with p, d
//! the shares of promoters and detractors. Scoring each respondent +1 / 0 / −1 makes NPS/100 the
//! mean of a three-point variable with per-response variance p + d − (p − d)², hence
//! SE = 100 · √((p + d − (p − d)²) / n) ([`NpsReport::standard_error`]).
//!
//! Two intervals are offered ([`NpsMethod`]). *Wald*, NPS ± z·SE, collapses to zero width when
//! every response is in one group (say one response, or all promoters). *Adjusted-Wald*
//! (Sauro & Lewis, *Quantifying the User Experience*; the best of six methods in Rocks 2016,
//! "Interval Estimation for the 'Net Promoter Score'", *The American Statistician* 70(4)) adds
//! three pseudo-responses — n' = n + 3, p' = (n_P + 0.75)/n', d' = (n_D + 0.75)/n' — and
//! takes the Wald interval around NPS' = p' − d'; it is never degenerate. Intervals are clamped
//! to [−100, 100]. Two independent scores are compared with a two-sided z-test
//! ([`NpsReport::compare`]), z = (NPS₁ − NPS₂)/√(SE₁² + SE₂²).
//!
//! # Customer Effort Score
//!
//! Dixon, Freeman & Toman (2010), "Stop Trying to Delight Your Customers", *HBR* 88(7/8), asked
//! for effort on 1..=5 (lower is better): [`CesEffort`]. CES 2.0 (Dixon, Toman & DeLisi 2013,
//! *The Effortless Experience*) asks for agreement with "\[Company\] made it easy for me to handle
//! my issue" on 1..=7 (higher is better), reported as the mean or the share agreeing (5..=7):
//! [`CesAgreement`]. The scales are different types, so they can never be mixed or merged.
//!
//! # CSAT
//!
//! "How satisfied were you with …?" on 1..=5: the share satisfied (the top-2 box, 4..=5) and
//! the mean ([`Csat`]). Farris, Bendle, Pfeifer & Reibstein, *Marketing Metrics* (2nd ed.,
//! 2010), define satisfaction as the share of customers whose reported satisfaction meets a goal.
//!
//! CES and CSAT report a [`ScaleReport`]: distribution, mean with a normal-approximation
//! interval (mean ± z·s/√n, documented on [`ScaleReport::mean_interval`]), and favourable share
//! with a Wilson score interval. Two reports of the same instrument are compared with a
//! two-proportion z-test of the favourable shares ([`ScaleReport::compare_favourable`]) or a
//! large-sample z-test of the means ([`ScaleReport::compare_means`]); every test returns a
//! [`Comparison`].
//!
//! # Weights and the effective sample size
//!
//! A weight is a design or frequency weight: shares, scores and means are weight shares, so a
//! response of weight 2 is exactly the same response recorded twice. Standard errors, however,
//! use Kish's effective sample size n_eff = (Σw)²/Σw² in place of n (n_eff = n when unweighted),
//! so weight 2 on one response does *not* shrink the standard error like two responses: for
//! frequency weights of whole responses, record the rows instead. Adjusted-Wald uses
//! n_P = p·n_eff and n_D = d·n_eff.
//!
//! # Segments
//!
//! [`Segmented`](crate::Segmented) keys any of these metrics by a segment label.
//!
//! # Example
//!
//! ```
//! use customer_metrics::{Metric, Nps, NpsMethod, Response, Segmented};
//!
//! let mut by_region: Segmented<&str, Nps> = Segmented::default();
//! for (region, score) in [("north", 10), ("north", 9), ("north", 4), ("south", 7), ("south", 2)] {
//!     by_region.record((region, Response::from(score)))?;
//! }
//! let north = by_region.segment_value(&"north").expect("recorded");
//! assert!((north.score() - 100.0 / 3.0).abs() < 1e-12); // (2 − 1) / 3
//! let total = by_region.total()?.value().expect("five responses");
//! assert_eq!(total.score(), 0.0); // (2 − 2) / 5
//! let south = by_region.segment_value(&"south").expect("recorded");
//! let test = north.compare(&south, NpsMethod::AdjustedWald)?;
//! assert!((0.0..=1.0).contains(&test.p_value()));
//! # Ok::<(), customer_metrics::Error>(())
//! ```

mod ces;
mod csat;
mod interval;
mod likert;
mod nps;
pub(crate) mod scale;

pub use ces::{CesAgreement, CesEffort};
pub use csat::Csat;
pub use interval::{Comparison, Interval, IntervalMethod, TestMethod};
pub use likert::ScaleReport;
pub use nps::{Nps, NpsMethod, NpsReport};
pub use scale::Response;
