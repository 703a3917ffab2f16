//! Gamma-Gamma spend model: reference values (Fader & Hardie 2013, note 025, on the CDNOW
//! calibration summary), parameter recovery, invariants and high-precision checks.

use customer_metrics::{CustomerSummary, Fit, GammaGamma, GammaGammaFitter};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The 2,357 customers of `tests/data/cdnow_summary.csv` (ID,x,t_x,T,zbar; weeks).
fn cdnow() -> Vec<CustomerSummary> {
    let data = include_str!("data/cdnow_summary.csv");
    data.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            CustomerSummary::new(
                f[1].parse().expect("x"),
                f[2].parse().expect("t_x"),
                f[3].parse().expect("T"),
                f[4].parse().expect("zbar"),
            )
            .expect("valid summary")
        })
        .collect()
}

fn f(d: Decimal) -> f64 {
    d.to_f64().expect("finite")
}

/// Fader & Hardie (2013), note 025 [P]: p = 6.25, q = 3.74, γ = 15.44; LL recomputed at the
/// rounded values −4055.9247 (FORMULAS.md §2.5 [C]) with the full density.
#[test]
fn likelihood_at_published_parameters() {
    let base = cdnow();
    let model = GammaGamma::new(6.25, 3.74, 15.44).expect("valid");
    let ll = model.total_log_likelihood(&base).expect("finite");
    assert!((ll - (-4055.9247)).abs() < 5e-4, "{ll}");
    let mle = GammaGamma::new(6.248803, 3.744588, 15.447746).expect("valid");
    let ll = mle.total_log_likelihood(&base).expect("finite");
    assert!((ll - (-4055.9232)).abs() < 5e-4, "{ll}");
}

/// The fit on the 946 repeat buyers reproduces the published MLE (FORMULAS.md §2.5:
/// recomputed 6.248803, 3.744588, 15.447746, LL −4055.9232; paper 6.25, 3.74, 15.44).
#[test]
fn fit_reproduces_published_estimates() {
    let base = cdnow();
    let model = GammaGammaFitter::new().fit(&base).expect("converges");
    let report = model.report().expect("report");
    eprintln!("fit: {model:?}");
    assert_eq!(report.total_weight, 946.0);
    assert!((model.p() - 6.248803).abs() < 1e-3, "{}", model.p());
    assert!((model.q() - 3.744588).abs() < 1e-3, "{}", model.q());
    assert!((model.v() - 15.447746).abs() < 3e-3, "{}", model.v());
    assert!((report.log_likelihood - (-4055.9232)).abs() < 5e-4, "{}", report.log_likelihood);
    // The note prints p = 6.25, q = 3.74, γ = 15.44 (γ = 15.4477 is truncated there).
    assert_eq!((model.p() * 100.0).round(), 625.0);
    assert_eq!((model.q() * 100.0).round(), 374.0);
    assert_eq!((model.v() * 100.0).floor(), 1544.0);
    // E(M) = 35.171 at the MLE (FORMULAS.md §2.5 [C]).
    assert!((f(model.mean_spend().expect("q > 1")) - 35.171).abs() < 1e-3);

    // Conditional expected average spend of the first 10 customers [S] (±0.01).
    let expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17];
    let got = model.conditional_expected_spend_batch(&base[..10]).expect("finite");
    for (g, e) in got.iter().zip(expected) {
        assert!((f(*g) - e).abs() < 0.01, "{g} vs {e}");
    }
}
