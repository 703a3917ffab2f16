//! Gamma-Gamma spend model: reference values (Fader & Hardie 2013, note 025, on the CDNOW
//! calibration summary), parameter recovery, invariants and high-precision checks.

mod common;

use customer_metrics::{CustomerSummary, Fit, GammaGamma, GammaGammaFitter};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

fn f(d: Decimal) -> f64 {
    d.to_f64().expect("finite")
}

/// Fader & Hardie (2013), note 025 [P]: p = 6.25, q = 3.74, γ = 15.44; LL recomputed at the
/// rounded values −4055.9247 (FORMULAS.md §2.5 [C]) with the full density.
#[test]
fn likelihood_at_published_parameters() {
    let base = common::cdnow_summaries();
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
    let base = common::cdnow_summaries();
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

/// Parameter recovery: 10,000 simulated customers at the CDNOW estimates, frequencies 1..=8
/// (plus 1,000 with x = 0, which the fit skips); every estimate within 3 standard errors.
#[test]
fn parameter_recovery() {
    let truth = GammaGamma::new(6.25, 3.74, 15.44).expect("valid");
    let histories: Vec<CustomerSummary> = (0..11_000u32)
        .map(|i| {
            let x = if i < 1_000 { 0 } else { 1 + i % 8 };
            CustomerSummary::new(x, if x == 0 { 0.0 } else { 10.0 }, 20.0, Decimal::ZERO).expect("valid")
        })
        .collect();
    let base = truth.simulate(&histories, 2013).expect("simulated");
    assert_eq!(base, truth.simulate(&histories, 2013).expect("simulated"), "deterministic for a seed");
    assert!(base.iter().all(|c| (c.frequency() == 0) == c.monetary_value().is_zero()));
    let model = GammaGammaFitter::new().fit(&base).expect("converges");
    let report = model.report().expect("report");
    assert_eq!(report.total_weight, 10_000.0);
    let se = report.standard_errors.clone().expect("identified");
    eprintln!("recovered {:?} ± {se:?}", (model.p(), model.q(), model.v()));
    for (name, estimate, true_value, se) in [
        ("p", model.p(), truth.p(), se[0]),
        ("q", model.q(), truth.q(), se[1]),
        ("v", model.v(), truth.v(), se[2]),
    ] {
        assert!((estimate - true_value).abs() < 3.0 * se, "{name}: {estimate} vs {true_value} (se {se})");
    }
}

#[test]
fn simulated_holdout_spend() {
    let truth = GammaGamma::new(4.0, 3.0, 20.0).expect("valid");
    let holdout = customer_metrics::HoldoutSummary::new(3, Decimal::ZERO, 10.0).expect("valid");
    let none = customer_metrics::HoldoutSummary::new(0, Decimal::ZERO, 10.0).expect("valid");
    let histories = vec![
        CustomerSummary::new(2, 5.0, 9.0, Decimal::ZERO).expect("valid").with_holdout(holdout),
        CustomerSummary::new(0, 0.0, 9.0, Decimal::ZERO).expect("valid").with_holdout(none),
    ];
    let got = truth.simulate(&histories, 7).expect("simulated");
    let h = got[0].holdout().expect("kept");
    assert_eq!((h.frequency(), h.length()), (3, 10.0));
    assert!(h.spend() > Decimal::ZERO && got[0].monetary_value() > Decimal::ZERO);
    assert_eq!(got[1].holdout().map(|h| h.spend()), Some(Decimal::ZERO));
}

#[test]
fn fitter_errors_name_the_input() {
    let new = CustomerSummary::new(0, 0.0, 5.0, Decimal::ZERO).expect("valid");
    let free = CustomerSummary::new(2, 1.0, 5.0, Decimal::ZERO).expect("valid");
    let err = GammaGammaFitter::new().fit(std::slice::from_ref(&new)).expect_err("no repeat buyers");
    assert!(matches!(err, customer_metrics::Error::NotEnoughData { .. }), "{err}");
    let err = GammaGammaFitter::new().fit(&[new.clone(), free]).expect_err("z̄ = 0 with x = 2");
    assert!(err.to_string().contains("row 1"), "{err}");
    let some = CustomerSummary::new(2, 1.0, 5.0, Decimal::TEN).expect("valid");
    assert!(GammaGammaFitter::new().fit_weighted(std::slice::from_ref(&some), &[1.0, 2.0]).is_err());
    assert!(GammaGammaFitter::new().fit_weighted(std::slice::from_ref(&some), &[-1.0]).is_err());
    assert!(GammaGammaFitter::new().penalizer(-1.0).fit(&[some]).is_err());
}

/// Weights stand for repeated rows: a weighted fit equals the fit on the expanded rows.
#[test]
fn weighted_fit_equals_expanded_fit() {
    let base: Vec<CustomerSummary> =
        common::cdnow_summaries().into_iter().filter(|c| c.frequency() > 0).take(200).collect();
    let weights: Vec<f64> = (0..base.len()).map(|i| (1 + i % 3) as f64).collect();
    let expanded: Vec<CustomerSummary> =
        base.iter().zip(&weights).flat_map(|(c, &w)| std::iter::repeat_n(c.clone(), w as usize)).collect();
    let a = GammaGammaFitter::new().fit_weighted(&base, &weights).expect("converges");
    let b = GammaGammaFitter::new().fit(&expanded).expect("converges");
    assert!(
        (a.p() / b.p() - 1.0).abs() < 1e-6
            && (a.q() / b.q() - 1.0).abs() < 1e-6
            && (a.v() / b.v() - 1.0).abs() < 1e-6
    );
}

#[test]
fn serde_round_trip_revalidates() {
    let model = GammaGammaFitter::new().fit(&common::cdnow_summaries()).expect("converges");
    let json = serde_json::to_string(&model).expect("serialise");
    let back: GammaGamma = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, model);
    let plain = GammaGamma::new(6.25, 3.74, 15.44).expect("valid");
    let json = serde_json::to_string(&plain).expect("serialise");
    assert!(!json.contains("report"));
    assert_eq!(serde_json::from_str::<GammaGamma>(&json).expect("deserialise"), plain);
    let err = serde_json::from_str::<GammaGamma>(r#"{"p":-1.0,"q":3.74,"v":15.44}"#).expect_err("p < 0");
    assert!(err.to_string().contains("invalid p"), "{err}");
}

/// High-precision log-likelihoods at hard points. True values from mpmath (mp.dps = 40,
/// rounded to the nearest f64):
/// `loggamma(p*x+q) - loggamma(p*x) - loggamma(q) + q*log(g) + (p*x-1)*log(m) + p*x*log(x)
/// - (p*x+q)*log(g+m*x)` with every argument `mpf(<the f64 literal>)`.
#[test]
fn log_likelihood_at_hard_points() {
    let cases = [
        // (p, q, γ, x, z̄, ln f)
        (6.25, 3.74, 15.44, 100_000, 35.0, -3.9944095237293067),
        (1000.0, 0.001, 1000.0, 1, 0.001, -13815.50407431548),
        (1000.0, 1000.0, 0.001, 100_000, 1000.0, -12819.879462496941),
        (0.001, 0.001, 0.001, 1, 1e5, -19.132246962742528),
        (0.5, 2.0, 1e3, 3, 250.125, -6.590383426465087),
    ];
    for (p, q, v, x, m, truth) in cases {
        let model = GammaGamma::new(p, q, v).expect("valid");
        let c = CustomerSummary::new(x, 1.0, 2.0, Decimal::try_from(m).expect("decimal")).expect("valid");
        let got = model.log_likelihood(&c).expect("finite");
        let tolerance = 1e-12 * f64::abs(truth).max(1.0);
        assert!(
            (got - truth).abs() < tolerance,
            "{p} {q} {v} {x} {m}: {got} vs {truth} (error {:e})",
            got - truth
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Over the hard region (x up to 1e5, parameters 1e-3..1e3, spends 1e-3..1e6): the
    /// likelihood is finite, and when q > 1 the conditional expected spend lies between the
    /// customer's own mean and the population mean (a credibility-weighted average).
    #[test]
    fn invariants(
        lp in -3.0f64..3.0, lq in -3.0f64..3.0, lv in -3.0f64..3.0,
        x in prop_oneof![0u32..20, 0u32..=100_000],
        lm in -3.0f64..6.0,
    ) {
        let (p, q, v) = (10f64.powf(lp), 10f64.powf(lq), 10f64.powf(lv));
        let model = GammaGamma::new(p, q, v).expect("valid");
        let m = Decimal::try_from(10f64.powf(lm)).expect("decimal").round_dp(6);
        let m = if x == 0 || m.is_zero() { if x == 0 { Decimal::ZERO } else { Decimal::new(1, 3) } } else { m };
        let c = CustomerSummary::new(x, if x == 0 { 0.0 } else { 1.0 }, 1.0, m).expect("valid");
        let ll = model.log_likelihood(&c).expect("valid");
        prop_assert!(ll.is_finite());
        if p * f64::from(x) + q > 1.0 {
            let spend = f(model.conditional_expected_spend(&c).expect("finite"));
            prop_assert!(spend.is_finite() && spend >= 0.0);
            if q > 1.0 && x > 0 {
                let mean = f(model.mean_spend().expect("q > 1"));
                let own = f(m);
                let (lo, hi) = if mean < own { (mean, own) } else { (own, mean) };
                prop_assert!(spend >= lo * (1.0 - 1e-12) && spend <= hi * (1.0 + 1e-12), "{spend} not in [{lo}, {hi}]");
            }
        } else {
            prop_assert!(model.conditional_expected_spend(&c).is_err());
        }
    }
}
