//! BG/BB (Fader, Hardie & Shang 2010, "Customer-Base Analysis in a Discrete-Time
//! Noncontractual Setting," *Marketing Science* 29(6):1086-1108): reference values on the
//! donations data, parameter recovery, invariants over the hard region, high-precision points.

mod common;

use common::donations;
use customer_metrics::{BgBb, BgBbCustomer, BgBbFitter, CustomerSummary, Error, Fit};
use proptest::prelude::*;

fn total_log_likelihood(model: &BgBb, rows: &[BgBbCustomer], weights: &[f64]) -> f64 {
    rows.iter().zip(weights).map(|(r, w)| w * model.log_likelihood(r)).sum()
}

fn published() -> BgBb {
    BgBb::new(1.204, 0.750, 0.657, 2.783).expect("valid")
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(f64::MIN_POSITIVE)
}

// ---------------------------------------------------------------- reference values

/// Likelihood formula, separately from the optimiser: FORMULAS.md §2.4 at the published
/// parameters (FHS 2010: α = 1.204, β = 0.750, γ = 0.657, δ = 2.783) and at the recomputed MLE
/// (1.203522, 0.749716, 0.656718, 2.783442; LL −33225.5813). Values from mpmath (40 digits):
/// `sum(w*log(L(a,b,g,d,x,t,6)))` over the cells, L the §2.4 sum with `mpmath.beta`.
#[test]
fn log_likelihood_at_published_parameters() {
    let (rows, weights) = donations();
    assert_eq!(weights.iter().sum::<f64>(), 11_104.0);
    let ll = total_log_likelihood(&published(), &rows, &weights);
    assert!((ll - -33225.5817545186).abs() < 1e-7, "{ll}");
    let mle = BgBb::new(1.203522, 0.749716, 0.656718, 2.783442).expect("valid");
    let ll = total_log_likelihood(&mle, &rows, &weights);
    assert!((ll - -33225.5812743473).abs() < 1e-7, "{ll}");
    // Published LL −33,225.6 (FHS 2010).
    assert!((ll - -33_225.6).abs() < 0.05);
}

/// The fit (FHS 2010 [P]: α = 1.204, β = 0.750, γ = 0.657, δ = 2.783, LL −33,225.6; recomputed
/// [C]: 1.203522, 0.749716, 0.656718, 2.783442, LL −33225.5813).
#[test]
fn fit_reproduces_published_estimates() {
    let (rows, weights) = donations();
    let model = BgBbFitter::new().fit_weighted(&rows, &weights).expect("converges");
    let report = model.report().expect("fitted").clone();
    let got = [model.alpha(), model.beta(), model.gamma(), model.delta()];
    for (g, p) in got.iter().zip([1.204, 0.750, 0.657, 2.783]) {
        assert!((g - p).abs() < 6e-4, "{got:?}");
    }
    for (g, p) in got.iter().zip([1.203522, 0.749716, 0.656718, 2.783442]) {
        assert!((g - p).abs() < 2e-5 * p, "{got:?}");
    }
    assert!((report.log_likelihood - -33225.5813).abs() < 1e-3, "{report:?}");
    assert_eq!(report.distinct_rows, 22);
    assert_eq!(report.total_weight, 11_104.0);
    let se = report.standard_errors.expect("identified");
    assert!(se.iter().all(|s| *s > 0.0 && s.is_finite()));
    println!(
        "BG/BB donations fit: {got:?}, LL {}, {} iterations, SE {se:?}",
        report.log_likelihood, report.iterations
    );

    // Expected number of the 11,104 donors with 0 and with 6 repeat donations in 1996-2001
    // (Hardie's spreadsheet [S]: 3454.9 and 1253.1), at the MLE.
    assert!((11_104.0 * model.probability_of_transactions(0, 6) - 3454.9).abs() < 0.05);
    assert!((11_104.0 * model.probability_of_transactions(6, 6) - 1253.1).abs() < 0.05);
    // The fit is the same from a poor user start.
    let again = BgBbFitter::new()
        .initial(BgBb::new(5.0, 5.0, 5.0, 5.0).expect("valid"))
        .fit_weighted(&rows, &weights)
        .expect("converges");
    assert!((again.delta() - model.delta()).abs() < 1e-4);
}

/// Predictions at the published parameters for a few donations cells, against mpmath
/// (40 digits): `palive = beta(a+x,b+n-x)/beta(a,b)*beta(g,d+n+1)/beta(g,d)/L`,
/// `cond5 = beta(a+x+1,b+n-x)/beta(a,b)*sum(beta(g,d+n+k) for k in 1..5)/beta(g,d)/L`,
/// `dert = beta(a+x+1,b+n-x)/beta(a,b)*beta(g,d+n+1)/beta(g,d)*z*hyp2f1(1,d+n+1,g+d+n+1,z)/L`
/// with z = 1/1.1, and E[X(n)] by the closed form of FORMULAS.md §2.4 with `mpmath.gamma`.
#[test]
fn predictions_at_published_parameters() {
    let m = published();
    // (x, t_x, P(alive at 7), E[X(6, 11)], DERT(d = 0.1))
    let cases = [
        (0, 0, 0.10801658416867418, 0.072802877475043, 0.11464699618176409),
        (1, 1, 0.06940809320654967, 0.0856353983378703, 0.13485512560449608),
        (3, 5, 0.7667340499957251, 1.8044259997945682, 2.8415363222372623),
        (6, 6, 0.9304025423728813, 3.7521156075998148, 5.9086783195553805),
    ];
    for (x, t, alive, cond, dert) in cases {
        let c = BgBbCustomer::new(x, t, 6).expect("valid");
        assert!(close(m.probability_alive(&c), alive, 1e-12), "{x} {t}: {}", m.probability_alive(&c));
        let e = m.conditional_expected_transactions(&c, 5);
        assert!(close(e, cond, 1e-12), "{x} {t}: {e}");
        let v = m.dert(&c, 0.1).expect("converges");
        assert!(close(v, dert, 1e-12), "{x} {t}: {v}");
    }
    assert!(close(m.expected_transactions(6), 2.219631393487299, 1e-12));
    assert!(close(m.expected_transactions(11), 3.387571111064622, 1e-12));
}

// ---------------------------------------------------------------- recovery

/// Simulate 10,000 customers over 10 opportunities at known parameters, fit, and require every
/// estimate within 3 reported standard errors of the truth.
#[test]
fn parameter_recovery_by_simulation() {
    let truth = BgBb::new(1.2, 0.75, 0.66, 2.8).expect("valid");
    let rows = truth.simulate(10_000, 10, 20_101).expect("simulates");
    assert_eq!(rows, truth.simulate(10_000, 10, 20_101).expect("simulates"), "deterministic for a seed");
    let fit = BgBbFitter::new().fit(&rows).expect("converges");
    let report = fit.report().expect("fitted");
    let se = report.standard_errors.clone().expect("identified");
    let got = [fit.alpha(), fit.beta(), fit.gamma(), fit.delta()];
    println!("BG/BB recovery: {got:?}, SE {se:?}, {} iterations", report.iterations);
    for ((g, t), s) in got.iter().zip([1.2, 0.75, 0.66, 2.8]).zip(&se) {
        assert!((g - t).abs() < 3.0 * s, "{got:?} vs truth, SE {se:?}");
    }
}

#[test]
fn histories_reduce_to_rows() {
    let m = published();
    let histories = m.simulate_histories(500, 8, 3).expect("simulates");
    let rows = m.simulate(500, 8, 3).expect("simulates");
    for (h, r) in histories.iter().zip(&rows) {
        assert_eq!(h.len(), 8);
        assert_eq!(BgBbCustomer::from_history(h).expect("valid"), *r);
    }
}

// ---------------------------------------------------------------- errors, serde, traits

#[test]
fn checked_inputs_and_serde() {
    assert!(matches!(BgBb::new(0.0, 1.0, 1.0, 1.0), Err(Error::InvalidParameter { name: "alpha", .. })));
    assert!(matches!(BgBb::new(1.0, 1.0, 1.0, f64::NAN), Err(Error::InvalidParameter { name: "delta", .. })));
    assert!(matches!(BgBbCustomer::new(4, 3, 6), Err(Error::InvalidSummary { .. })));
    assert!(BgBbCustomer::new(1, 7, 6).is_err());
    let summary = CustomerSummary::new(3, 5.0, 6.0, rust_decimal::Decimal::ZERO).expect("valid");
    assert_eq!(BgBbCustomer::try_from(&summary).expect("whole"), BgBbCustomer::new(3, 5, 6).expect("valid"));
    let frac = CustomerSummary::new(3, 5.0, 6.5, rust_decimal::Decimal::ZERO).expect("valid");
    assert!(BgBbCustomer::try_from(&frac).is_err());

    let (rows, weights) = donations();
    let model = BgBbFitter::new().fit_weighted(&rows, &weights).expect("converges");
    let json = serde_json::to_string(&model).expect("serialises");
    let back: BgBb = serde_json::from_str(&json).expect("round trip");
    assert_eq!(back, model);
    let bad = r#"{"alpha":-1.0,"beta":1.0,"gamma":1.0,"delta":1.0}"#;
    assert!(serde_json::from_str::<BgBb>(bad).is_err());
    let row: BgBbCustomer =
        serde_json::from_str(r#"{"frequency":2,"recency":3,"opportunities":6}"#).expect("valid");
    assert_eq!(row, BgBbCustomer::new(2, 3, 6).expect("valid"));
    assert!(
        serde_json::from_str::<BgBbCustomer>(r#"{"frequency":4,"recency":3,"opportunities":6}"#).is_err()
    );
    assert!(BgBbFitter::new().fit_weighted(&rows, &weights[1..]).is_err());
    assert!(BgBbFitter::new().fit(&[]).is_err());
    assert!(model.dert(&rows[0], -0.1).is_err());

    fn send_sync<T: Send + Sync>() {}
    send_sync::<BgBb>();
    send_sync::<BgBbCustomer>();
    send_sync::<BgBbFitter>();
}

// ---------------------------------------------------------------- high precision

/// Hard points, against mpmath (30 digits) with the formulas of FORMULAS.md §2.4 summed term by
/// term (`L`, `palive`, `cond` and `dert` as in `predictions_at_published_parameters`).
#[test]
fn high_precision_hard_points() {
    // (α, β, γ, δ) = (2, 0.5, 0.01, 1000); x = 9000, t_x = 9990, n = 10^4.
    let m = BgBb::new(2.0, 0.5, 0.01, 1000.0).expect("valid");
    let c = BgBbCustomer::new(9000, 9990, 10_000).expect("valid");
    assert!(close(m.log_likelihood(&c), -3245.718191511086, 1e-13));
    assert!(close(m.probability_alive(&c), 9.443503803623948e-5, 1e-11));
    assert!(close(m.conditional_expected_transactions(&c, 1000), 0.08495171226522688, 1e-11));
    assert!(close(m.dert(&c, 0.05).expect("converges"), 0.00169975263314931, 1e-11));

    // (0.001, 0.001, 0.001, 1000); x = 0, n = 10^4.
    let m = BgBb::new(0.001, 0.001, 0.001, 1000.0).expect("valid");
    let c = BgBbCustomer::new(0, 0, 10_000).expect("valid");
    assert!(close(m.log_likelihood(&c), -0.7029270030416249, 1e-13));
    assert!(close(m.probability_alive(&c), 0.9975992270170226, 1e-13));
    assert!(close(m.conditional_expected_transactions(&c, 100), 9.975945519927843e-6, 1e-13));
    assert!(close(m.dert(&c, 0.05).expect("converges"), 1.9951944342683044e-6, 1e-13));

    // (1000, 1000, 0.5, 1000); x = 5000, t_x = 9000, n = 10^4: the log-likelihood.
    let m = BgBb::new(1000.0, 1000.0, 0.5, 1000.0).expect("valid");
    let c = BgBbCustomer::new(5000, 9000, 10_000).expect("valid");
    assert!(close(m.log_likelihood(&c), -6204.104444819825, 1e-13));

    // γ = 1 exactly: E[X(10^4)] = ½·δ·(ψ(δ+n+1) − ψ(δ+1)) at (1, 1, 1, 2.783)
    // (`mpf('0.5')*d*(digamma(d+n+1)-digamma(d+1))`).
    let m = BgBb::new(1.0, 1.0, 1.0, 2.783).expect("valid");
    assert!(close(m.expected_transactions(10_000), 11.15719321192845, 1e-13));

    // Published parameters, E[X(n)] by the closed form (`ex(...)` with `mpmath.gamma`):
    // n = 10^4 (the term recursion) and n = 5·10^6 (the closed form branch).
    let m = published();
    assert!(close(m.expected_transactions(10_000), 74.6756011299843, 1e-13));
    assert!(close(m.expected_transactions(5_000_000), 666.4645683181005, 1e-13));

    // P(X(10^4) = 3) at (0.001, 1000, 0.5, 2): `pmf(3, 10000, ...)` summed term by term.
    let m = BgBb::new(0.001, 1000.0, 0.5, 2.0).expect("valid");
    assert!(close(m.probability_of_transactions(3, 10_000), 7.536541858785811e-6, 1e-11));
}

// ---------------------------------------------------------------- invariants

fn parameter() -> impl Strategy<Value = f64> {
    (-3.0f64..3.0).prop_map(|e| 10f64.powf(e))
}

fn customer() -> impl Strategy<Value = BgBbCustomer> {
    (0u32..=100_000, 0.0f64..=1.0, 0.0f64..=1.0).prop_map(|(n, a, b)| {
        let t_x = (f64::from(n) * a).round() as u32;
        let x = if t_x == 0 { 0 } else { ((f64::from(t_x) * b).round() as u32).max(1) };
        BgBbCustomer::new(x, t_x, n).expect("valid by construction")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn predictions_are_finite_and_ordered(
        a in parameter(), b in parameter(), g in parameter(), d in parameter(),
        c in customer(), h1 in 0u32..=10_000, h2 in 0u32..=10_000, rate in 0.01f64..1.0,
    ) {
        let m = BgBb::new(a, b, g, d).expect("valid");
        let ll = m.log_likelihood(&c);
        prop_assert!(ll.is_finite() && ll <= 1e-9, "ll {ll}");
        let alive = m.probability_alive(&c);
        prop_assert!((0.0..=1.0).contains(&alive), "alive {alive}");
        let (lo, hi) = (h1.min(h2), h1.max(h2));
        let (e_lo, e_hi) = (m.conditional_expected_transactions(&c, lo), m.conditional_expected_transactions(&c, hi));
        prop_assert!(e_lo.is_finite() && e_lo >= 0.0 && e_hi >= e_lo * (1.0 - 1e-12), "{e_lo} {e_hi}");
        prop_assert!(e_hi <= f64::from(hi) * (1.0 + 1e-9));
        let (x_lo, x_hi) = (m.expected_transactions(lo), m.expected_transactions(hi));
        prop_assert!(x_lo.is_finite() && x_lo >= 0.0 && x_hi >= x_lo * (1.0 - 1e-12), "{x_lo} {x_hi}");
        let v = m.dert(&c, rate).expect("converges");
        prop_assert!(v.is_finite() && v >= 0.0, "dert {v}");
        let p = m.probability_of_transactions(c.frequency().min(lo), lo);
        prop_assert!((0.0..=1.0).contains(&p), "pmf {p}");
    }

    #[test]
    fn serde_round_trip(a in parameter(), b in parameter(), g in parameter(), d in parameter(), c in customer()) {
        let m = BgBb::new(a, b, g, d).expect("valid");
        let back: BgBb = serde_json::from_str(&serde_json::to_string(&m).expect("json")).expect("valid");
        prop_assert_eq!(back, m);
        let row: BgBbCustomer = serde_json::from_str(&serde_json::to_string(&c).expect("json")).expect("valid");
        prop_assert_eq!(row, c);
    }
}
