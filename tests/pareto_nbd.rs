//! Pareto/NBD: published CDNOW values (likelihood, fit, E[X(t)]), high-precision checks at hard
//! points against mpmath, DERT against the numeric fallback, the pmf against simulation,
//! parameter recovery, invariants over the hard region, serde.

mod common;

use customer_metrics::{
    CustomerSummary, Error, Fit, FitReport, ParetoNbd, ParetoNbdFitter, PurchaseModel, SimulatedCustomer,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn customer(x: u32, t_x: f64, t: f64) -> CustomerSummary {
    CustomerSummary::new(x, t_x, t, Decimal::ZERO).expect("valid summary")
}

/// A reference case: parameters (r, α, s, β), customer (x, t_x, T), value.
type Case = ((f64, f64, f64, f64), (u32, f64, f64), f64);

fn model(r: f64, alpha: f64, s: f64, beta: f64) -> ParetoNbd {
    ParetoNbd::new(r, alpha, s, beta).expect("valid parameters")
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(f64::MIN_POSITIVE)
}

/// Batch scoring and multi-horizon paths give the one-customer values.
#[test]
fn batch_and_path_predictions_equal_the_single_ones() {
    let m = model(0.553, 10.578, 0.606, 11.669);
    common::check_batch_and_path(&m, &common::cdnow_summaries());
}

/// The batch keeps the coefficients of P(alive)'s series by frequency (below 256) and extends
/// them as customers need longer series; its values are still the one-customer ones: either
/// rate the smaller, frequencies on both sides of the cache's limit, heavy buyers (the
/// `ln_1p` exponent), recencies that need ever longer series, and customers past the series'
/// range (quadrature).
#[test]
fn batch_equals_single_across_frequencies_and_series_lengths() {
    let models =
        [model(0.553, 10.578, 0.606, 11.669), model(0.8, 20.0, 1.3, 1.0), model(0.4, 1.0, 0.7, 20.0)];
    let mut data = vec![customer(0, 0.0, 40.0), customer(3, 78.0, 78.0)];
    for x in [1, 2, 7, 100, 255, 256, 257, 2000] {
        // Falling recency: larger z, longer series, the cache extended step by step.
        for t_x in [70.0, 30.0, 8.0, 2.0, 0.5, 0.01] {
            data.push(customer(x, t_x, 78.0));
        }
    }
    for m in &models {
        common::check_batch_and_path(m, &data);
    }
}

// ---------------------------------------------------------------------------------------------
// Reference values
// ---------------------------------------------------------------------------------------------

/// The likelihood at the published estimates, apart from the fit. Source: Fader, Hardie & Lee
/// (2005a), "Counting your customers the easy way", *Marketing Science* 24(2) (Pareto/NBD on
/// CDNOW: r = 0.553, α = 10.578, s = 0.606, β = 11.669, LL −9595.0), and CLVTools' test values
/// (0.55315, 10.57633, 0.60625, 11.67150, LL −9594.976 on the unrounded data). The exact totals
/// on the 2-decimal summary are mpmath (30 digits) sums over the 1,016 distinct rows of
/// `loggamma(r+x) − loggamma(r) + r·log(α) + s·log(β) + log((α+T)^−(r+x)(β+T)^−s + s/(r+s+x)·A₀)`
/// with A₀ from `hyp2f1` (the α < β branch of FORMULAS.md §2.3): −9594.9740100409766 and
/// −9594.9739347701069.
#[test]
fn cdnow_log_likelihood_at_published_parameters() {
    let data = common::cdnow_summaries();
    assert_eq!(data.len(), 2357);
    let total = |m: &ParetoNbd| data.iter().map(|c| m.log_likelihood(c)).sum::<f64>();
    let published = total(&model(0.553, 10.578, 0.606, 11.669));
    assert!((published - -9595.0).abs() < 0.05, "{published}");
    assert!((published - -9_594.974_010_040_977).abs() < 1e-8, "{published}");
    let clvtools = total(&model(0.55315, 10.57633, 0.60625, 11.67150));
    assert!((clvtools - -9_594.973_934_770_107).abs() < 1e-8, "{clvtools}");
    assert!((clvtools - -9594.976).abs() < 5e-3, "{clvtools}");
}

/// The fit. Source: as above; published MLE r = 0.553, α = 10.578, s = 0.606, β = 11.669,
/// LL −9595.0; CLVTools standard errors r 0.0476, α 0.8427, s 0.1873, β 6.2105.
#[test]
fn cdnow_fit_reproduces_the_published_estimates() {
    let fitted = ParetoNbdFitter::new().fit(&common::cdnow_summaries()).expect("converges");
    let report: &FitReport = fitted.report().expect("fitted");
    println!(
        "CDNOW fit: r {} α {} s {} β {}; LL {}; {} iterations, {} evaluations, gradient {:e}; SE {:?}",
        fitted.r(),
        fitted.alpha(),
        fitted.s(),
        fitted.beta(),
        report.log_likelihood,
        report.iterations,
        report.evaluations,
        report.gradient_norm,
        report.standard_errors
    );
    assert!((fitted.r() - 0.553).abs() < 5e-4, "r {}", fitted.r());
    assert!((fitted.alpha() - 10.578).abs() < 5e-3, "α {}", fitted.alpha());
    assert!((fitted.s() - 0.606).abs() < 5e-4, "s {}", fitted.s());
    // β is poorly determined (SE ≈ 6.2): the published 11.669 to 0.01.
    assert!((fitted.beta() - 11.669).abs() < 1e-2, "β {}", fitted.beta());
    assert!((report.log_likelihood - -9595.0).abs() < 0.05, "{}", report.log_likelihood);
    // The maximum lies above the likelihood at every published rounding.
    assert!(report.log_likelihood >= -9_594.974_010_040_977);
    let se = report.standard_errors.as_ref().expect("identified");
    for (got, want) in se.iter().zip([0.0476, 0.8427, 0.1873, 6.2105]) {
        assert!((got / want - 1.0).abs() < 0.05, "SE {got} vs CLVTools {want}");
    }
    assert_eq!(report.total_weight, 2357.0);
}

/// Source: R BTYD documentation (`pnbd.Expectation` at r = 0.55, α = 10.56, s = 0.61,
/// β = 11.64), t = 0..9.
#[test]
fn expected_purchases_match_btyd() {
    let m = model(0.55, 10.56, 0.61, 11.64);
    let want = [
        0.0, 0.05077821, 0.09916088, 0.14542507, 0.18979930, 0.23247466, 0.27361274, 0.31335159, 0.35181024,
        0.38909211,
    ];
    for (t, w) in want.iter().enumerate() {
        let got = m.expected_purchases(t as f64).expect("valid");
        assert!((got - w).abs() < 5e-9, "E[X({t})] = {got}, want {w}");
    }
}

// ---------------------------------------------------------------------------------------------
// High-precision checks at hard points (mpmath)
// ---------------------------------------------------------------------------------------------

/// ln L at hard points. Reference: mpmath (50 digits) of
/// `loggamma(r+x) − loggamma(r) + r·log(α) + s·log(β) + log(L1 + s/(r+s+x)·A₀)`,
/// `L1 = (α+T)^−(r+x)(β+T)^−s`, `A₀ = F(t_x) − F(T)` with
/// `F(t) = hyp2f1(r+s+x, s+1, r+s+x+1, (α−β)/(α+t))/(α+t)^(r+s+x)` for α ≥ β and
/// `hyp2f1(r+s+x, r+x, r+s+x+1, (β−α)/(β+t))/(β+t)^(r+s+x)` otherwise. (An independent
/// mpmath `quad` of the integral form agrees on the smooth cases; on the sharp ones, with
/// x = 1e5 or s = 1e3, tanh-sinh quadrature is the less accurate of the two.)
#[test]
fn log_likelihood_matches_mpmath_at_hard_points() {
    let cases: [Case; 10] = [
        ((0.553, 10.578, 0.606, 11.669), (2, 30.43, 38.86), -9.554_283_245_150_407),
        ((0.8, 1e3, 0.6, 1e-3), (5, 10.0, 100.0), -36.016_392_139_241_86),
        ((0.8, 1e-3, 0.6, 1e3), (5, 10.0, 100.0), -21.287_262_587_459_41),
        ((1.0, 5.0, 0.6, 8.0), (100_000, 9000.0, 10_000.0), 140_721.960_084_509_77),
        ((2.0, 1e3, 1e3, 1e-3), (100_000, 10.0, 1e4), 350_329.025_091_838_9),
        ((1e-3, 1e-3, 1e-3, 1e3), (0, 0.0, 1e4), -0.016_113_894_479_793_977),
        ((0.5, 1.0, 1e3, 1.0), (3, 2.0, 1e4), -1_101.832_316_908_28),
        ((0.55, 10.58, 0.61, 11.67), (3, 38.859_999, 38.86), -12.667_737_972_259_27),
        ((1e3, 1e-3, 0.5, 2.0), (50, 5.0, 20.0), -8_259.894_443_635_04),
        ((0.553, 10.578, 0.606, 11.669), (0, 0.0, 38.86), -0.521_046_294_080_890_4),
    ];
    for ((r, a, s, b), (x, t_x, t), want) in cases {
        let got = model(r, a, s, b).log_likelihood(&customer(x, t_x, t));
        assert!(close(got, want, 1e-12), "({r},{a},{s},{b}) ({x},{t_x},{t}): {got} vs {want}");
    }
}

/// P(alive): mpmath (40 digits) `L1/(L1 + s/(r+s+x)·A₀)` with the hyp2f1 form above.
#[test]
fn probability_alive_matches_mpmath() {
    let cases = [
        ((0.553, 10.578, 0.606, 11.669), (2, 30.43, 38.86), 0.869_167_559_153_011_2),
        ((0.553, 10.578, 0.606, 11.669), (0, 0.0, 38.86), 0.295_286_604_616_894_15),
        ((0.8, 1e3, 0.6, 1e-3), (5, 10.0, 100.0), 0.185_432_366_949_702_75),
        ((0.8, 1e-3, 0.6, 1e3), (5, 10.0, 100.0), 0.001_220_745_786_451_838_8),
        ((1.0, 5.0, 0.6, 8.0), (200, 9000.0, 10_000.0), 2.026_015_749_632_742e-7),
    ];
    for ((r, a, s, b), (x, t_x, t), want) in cases {
        let got = model(r, a, s, b).probability_alive(&customer(x, t_x, t));
        assert!(close(got, want, 1e-12), "({r},{a},{s},{b}) ({x},{t_x},{t}): {got} vs {want}");
    }
}

/// DERT. Reference: mpmath (40 digits)
/// `P(alive)·(r+x)/(α+T)·(β+T)^s·δ^(s−1)·hyperu(s, s, δ(β+T))`, confirmed by
/// `P(alive)·(r+x)/(α+T)·quad(exp(−δt)·((β+T)/(β+T+t))^s, [0, ∞))` to 40 digits. Integer
/// s = 1, 2 and s > 1 exercise the incomplete gamma function at a = 1 − s ≤ 0.
#[test]
fn dert_matches_mpmath() {
    let weekly = 1.15f64.ln() / 52.0;
    let cases = [
        ((0.553, 10.578, 0.606, 11.669), (2, 30.43, 38.86), weekly, 6.501_730_537_564_232),
        ((0.553, 10.578, 0.606, 11.669), (0, 0.0, 38.86), weekly, 0.478_457_669_514_608_16),
        ((0.55, 10.56, 1.0, 11.64), (2, 30.43, 38.86), 0.01, 1.899_703_897_026_561),
        ((0.55, 10.56, 2.0, 11.64), (2, 30.43, 38.86), 0.01, 0.888_923_037_697_392_2),
        ((0.55, 10.56, 3.5, 11.64), (5, 20.0, 38.86), 0.1, 0.024_132_368_448_965_3),
        ((1.0, 5.0, 20.0, 100.0), (10, 45.0, 50.0), 0.002, 0.553_610_943_078_878_5),
        ((0.8, 5.0, 0.6, 8.0), (3, 10.0, 50.0), 2.0, 0.000_995_455_769_946_380_9),
        // s = 1e3 with z = δ(β+T) < 1.5: 999 steps of the downward recurrence.
        ((0.5, 1.0, 1000.0, 1e3), (3, 2.0, 100.0), 1e-4, 1.035_736_538_004_815e-47),
        ((0.5, 1.0, 999.5, 1e3), (3, 2.0, 100.0), 1e-3, 1.084_925_929_374_308_3e-47),
        // s on either side of 1 (a = 1 − s near the pole of Γ(a) that the split avoids).
        ((0.8, 5.0, 0.999_999, 8.0), (3, 10.0, 50.0), 0.01, 0.040_500_821_288_060_74),
        ((0.8, 5.0, 1.000_001, 8.0), (3, 10.0, 50.0), 0.01, 0.040_500_614_227_846_19),
        ((0.8, 5.0, 5.0, 8.0), (3, 10.0, 50.0), 1e-6, 3.920_915_994_971_103e-5),
        ((0.8, 5.0, 0.05, 8.0), (0, 0.0, 50.0), 30.0, 0.000_372_794_257_597_021_37),
    ];
    for ((r, a, s, b), (x, t_x, t), rate, want) in cases {
        let got = model(r, a, s, b).dert(&customer(x, t_x, t), rate).expect("valid");
        // (Relative 1e-12; the first factor, P(alive), is itself accurate to about 1e-13.)
        assert!(close(got, want, 1e-12), "({r},{a},{s},{b}) ({x},{t_x},{t}) δ={rate}: {got} vs {want}");
    }
    let m = model(0.55, 10.56, 0.61, 11.64);
    for bad in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            m.dert(&customer(0, 0.0, 1.0), bad),
            Err(Error::InvalidParameter { name: "rate", .. })
        ));
    }
}

/// P(X(t) = n). Reference: mpmath (40 digits) of the mixture
/// `(β/(β+t))^s·NB(n; r, α/(α+t)) + quad(s·β^s·(β+τ)^−(s+1)·NB(n; r, α/(α+τ)), [0, t])` with
/// `NB(n; r, p) = exp(loggamma(r+n) − loggamma(r) − loggamma(n+1))·p^r·(1−p)^n`, the
/// quadrature split at `t·10^(−k/4)`, k = 0..80 (and, for the smooth cases, 40 equal panels:
/// same digits).
#[test]
fn pmf_matches_mpmath() {
    let cases = [
        ((0.55, 10.56, 0.61, 11.64), 0, 39.0, 0.595_938_069_597_920_2),
        ((0.55, 10.56, 0.61, 11.64), 1, 39.0, 0.165_062_403_923_616_87),
        ((0.55, 10.56, 0.61, 11.64), 5, 39.0, 0.021_294_974_252_869_765),
        ((0.55, 10.56, 0.61, 11.64), 20, 78.0, 0.001_374_201_792_236_147_6),
        ((0.8, 5.0, 0.6, 8.0), 50, 50.0, 0.000_167_008_017_198_778_7),
        ((2.0, 0.1, 0.5, 1000.0), 500, 30.0, 0.001_041_119_808_842_786_9),
        ((0.5, 1000.0, 2.0, 0.01), 3, 1e4, 2.499_162_001_670_454e-11),
        ((0.5, 1000.0, 2.0, 0.01), 0, 1e4, 0.999_995_000_767_518_9),
    ];
    for ((r, a, s, b), n, t, want) in cases {
        let got = model(r, a, s, b).probability_of_purchases(n, t).expect("valid");
        assert!(close(got, want, 1e-11), "({r},{a},{s},{b}) n={n} t={t}: {got} vs {want}");
    }
}

// ---------------------------------------------------------------------------------------------
// DERT against the trait's numeric fallback
// ---------------------------------------------------------------------------------------------

/// The same model without the closed-form DERT: the trait's default (numeric) method.
#[derive(Debug)]
struct NumericDert(ParetoNbd);

impl PurchaseModel for NumericDert {
    fn name(&self) -> &'static str {
        "numeric"
    }
    fn log_likelihood(&self, c: &CustomerSummary) -> f64 {
        self.0.log_likelihood(c)
    }
    fn probability_alive(&self, c: &CustomerSummary) -> f64 {
        self.0.probability_alive(c)
    }
    fn expected_purchases(&self, t: f64) -> customer_metrics::Result<f64> {
        self.0.expected_purchases(t)
    }
    fn conditional_expected_purchases(&self, c: &CustomerSummary, t: f64) -> customer_metrics::Result<f64> {
        self.0.conditional_expected_purchases(c, t)
    }
    fn probability_of_purchases(&self, n: u32, t: f64) -> customer_metrics::Result<f64> {
        self.0.probability_of_purchases(n, t)
    }
}

#[test]
fn closed_form_dert_equals_the_numeric_fallback() {
    let weekly = 1.15f64.ln() / 52.0;
    for (params, c, rate) in [
        ((0.553, 10.578, 0.606, 11.669), customer(2, 30.43, 38.86), weekly),
        ((0.553, 10.578, 0.606, 11.669), customer(0, 0.0, 38.86), weekly),
        ((0.8, 5.0, 1.0, 8.0), customer(7, 20.0, 50.0), 0.01),
        ((0.8, 5.0, 2.0, 8.0), customer(7, 20.0, 50.0), 0.05),
        ((2.0, 1.0, 7.3, 300.0), customer(40, 45.0, 50.0), 0.001),
        ((0.3, 1e3, 0.2, 1e-2), customer(1, 3.0, 100.0), 0.5),
    ] {
        let m = model(params.0, params.1, params.2, params.3);
        let closed = m.dert(&c, rate).expect("valid");
        let numeric = NumericDert(m).dert(&c, rate).expect("valid");
        assert!(close(closed, numeric, 1e-9), "{params:?} {c:?} δ={rate}: {closed} vs {numeric}");
    }
}

// ---------------------------------------------------------------------------------------------
// Simulation
// ---------------------------------------------------------------------------------------------

#[test]
fn simulator_is_deterministic_and_checks_ages() {
    let m = model(0.8, 5.0, 0.6, 8.0);
    let a = m.simulate(&[10.0, 20.0, 30.0], 7).expect("valid");
    assert_eq!(a, m.simulate(&[10.0, 20.0, 30.0], 7).expect("valid"));
    assert_ne!(a, m.simulate(&[10.0, 20.0, 30.0], 8).expect("valid"));
    for c in &a {
        assert!(c.purchases.windows(2).all(|w| w[0] <= w[1]));
        assert!(c.purchases.iter().all(|&p| p > 0.0 && p <= c.observed));
        if let Some(d) = c.dropout {
            assert!(d < c.observed && c.purchases.iter().all(|&p| p <= d));
        }
    }
    assert!(m.simulate(&[1.0, -1.0], 1).is_err());
    assert!(m.simulate(&[f64::NAN], 1).is_err());
}

/// The pmf and E[X(t)] against 40,000 simulated new customers: each frequency within 4.5
/// binomial standard errors.
#[test]
fn pmf_and_mean_match_simulation() {
    let m = model(0.8, 5.0, 0.6, 8.0);
    let t = 30.0;
    let n_customers = 40_000;
    let sims: Vec<SimulatedCustomer> = m.simulate(&vec![t; n_customers], 20_261_201).expect("valid");
    let counts: Vec<usize> = sims.iter().map(|c| c.purchases.len()).collect();
    let n = n_customers as f64;
    for k in [0usize, 1, 2, 3, 5, 10] {
        let observed = counts.iter().filter(|&&c| c == k).count() as f64 / n;
        let p = m.probability_of_purchases(k as u32, t).expect("valid");
        let se = (p * (1.0 - p) / n).sqrt();
        assert!((observed - p).abs() < 4.5 * se, "P(X({t}) = {k}): simulated {observed}, model {p}");
    }
    let mean = counts.iter().sum::<usize>() as f64 / n;
    let want = m.expected_purchases(t).expect("valid");
    let var = counts.iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    assert!((mean - want).abs() < 4.5 * (var / n).sqrt(), "mean {mean} vs {want}");
}

/// Parameter recovery: 10,000 customers with ages 30..50 at well-identified parameters; each
/// estimate within 3 of its reported standard errors of the truth.
#[test]
fn parameter_recovery() {
    let truth = [0.8, 5.0, 0.6, 8.0];
    let m = model(truth[0], truth[1], truth[2], truth[3]);
    let ages: Vec<f64> = (0..10_000).map(|i| 30.0 + 20.0 * f64::from(i) / 10_000.0).collect();
    let data: Vec<CustomerSummary> =
        m.simulate(&ages, 42).expect("valid").iter().map(|c| c.summary().expect("consistent")).collect();
    let fitted = ParetoNbdFitter::new().fit(&data).expect("converges");
    let report = fitted.report().expect("fitted");
    let se = report.standard_errors.as_ref().expect("identified");
    let est = [fitted.r(), fitted.alpha(), fitted.s(), fitted.beta()];
    println!("recovery: estimates {est:?}, SE {se:?}, {} iterations", report.iterations);
    for j in 0..4 {
        assert!(
            (est[j] - truth[j]).abs() < 3.0 * se[j],
            "parameter {j}: {} ± {} vs {}",
            est[j],
            se[j],
            truth[j]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Invariants, errors, serde
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_parameters_and_horizons_are_named() {
    assert!(matches!(ParetoNbd::new(0.0, 1.0, 1.0, 1.0), Err(Error::InvalidParameter { name: "r", .. })));
    assert!(matches!(
        ParetoNbd::new(1.0, f64::NAN, 1.0, 1.0),
        Err(Error::InvalidParameter { name: "alpha", .. })
    ));
    assert!(matches!(ParetoNbd::new(1.0, 1.0, -1.0, 1.0), Err(Error::InvalidParameter { name: "s", .. })));
    assert!(matches!(
        ParetoNbd::new(1.0, 1.0, 1.0, f64::INFINITY),
        Err(Error::InvalidParameter { name: "beta", .. })
    ));
    let m = model(0.55, 10.56, 0.61, 11.64);
    assert!(matches!(m.expected_purchases(-1.0), Err(Error::InvalidParameter { name: "t", .. })));
    assert!(m.conditional_expected_purchases(&customer(0, 0.0, 1.0), f64::NAN).is_err());
    assert!(m.probability_of_purchases(0, f64::INFINITY).is_err());
    assert!(ParetoNbdFitter::new().fit(&[]).is_err());
    assert!(ParetoNbdFitter::new().fit_weighted(&[customer(0, 0.0, 1.0)], &[1.0, 2.0]).is_err());
}

#[test]
fn serde_round_trip_revalidates() {
    common::assert_send_sync::<ParetoNbd>();
    common::assert_send_sync::<ParetoNbdFitter>();
    let m = model(0.553, 10.578, 0.606, 11.669);
    let json = serde_json::to_string(&m).expect("serialises");
    assert_eq!(serde_json::from_str::<ParetoNbd>(&json).expect("round trip"), m);
    assert!(serde_json::from_str::<ParetoNbd>(r#"{"r":-1.0,"alpha":1.0,"s":1.0,"beta":1.0}"#).is_err());
    let fitted = ParetoNbdFitter::new().fit(&common::cdnow_summaries()).expect("converges");
    let json = serde_json::to_string(&fitted).expect("serialises");
    assert_eq!(serde_json::from_str::<ParetoNbd>(&json).expect("round trip"), fitted);
    let boxed: Box<dyn PurchaseModel> = Box::new(m);
    assert_eq!(boxed.name(), "Pareto/NBD");
}

fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..hi.ln()).prop_map(f64::exp)
}

fn arb_model() -> impl Strategy<Value = ParetoNbd> {
    (log_uniform(1e-3, 1e3), log_uniform(1e-3, 1e3), log_uniform(1e-3, 1e3), log_uniform(1e-3, 1e3))
        .prop_map(|(r, a, s, b)| model(r, a, s, b))
}

fn arb_customer() -> impl Strategy<Value = CustomerSummary> {
    (0u32..=100_000, 0.0..1.0f64, prop_oneof![0.0..50.0f64, 0.0..1e4f64]).prop_map(|(x, frac, t)| {
        let x = if t == 0.0 { 0 } else { x };
        customer(x, if x == 0 { 0.0 } else { frac * t }, t)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Over the hard region every prediction is finite, probabilities lie in [0, 1], and
    /// expectations are non-negative and non-decreasing in the horizon.
    #[test]
    fn predictions_are_finite_and_ordered(
        m in arb_model(),
        c in arb_customer(),
        h1 in 0.0..1e4f64,
        h2 in 0.0..1e4f64,
        n in prop_oneof![0u32..5, 0u32..100_000],
    ) {
        let (lo, hi) = if h1 <= h2 { (h1, h2) } else { (h2, h1) };
        let ll = m.log_likelihood(&c);
        prop_assert!(ll.is_finite(), "LL {ll}");
        let p = m.probability_alive(&c);
        prop_assert!((0.0..=1.0).contains(&p), "P(alive) {p}");
        let (e1, e2) = (m.expected_purchases(lo).unwrap(), m.expected_purchases(hi).unwrap());
        prop_assert!(e1.is_finite() && e2.is_finite() && e1 >= 0.0 && e2 >= e1, "E[X] {e1} {e2}");
        let (c1, c2) =
            (m.conditional_expected_purchases(&c, lo).unwrap(), m.conditional_expected_purchases(&c, hi).unwrap());
        prop_assert!(c1.is_finite() && c2.is_finite() && c1 >= 0.0 && c2 >= c1, "E[Y] {c1} {c2}");
        let q = m.probability_of_purchases(n, hi).unwrap();
        prop_assert!((0.0..=1.0).contains(&q), "P(X = {n}) {q}");
        let d = m.dert(&c, 1.15f64.ln() / 52.0).unwrap();
        prop_assert!(d.is_finite() && d >= 0.0, "DERT {d}");
    }
}
