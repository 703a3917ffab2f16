//! Shifted-beta-geometric model (Fader & Hardie 2007, "How to Project Customer Retention,"
//! *Journal of Interactive Marketing* 21(1):76-90; DEL/DERL from Fader & Hardie 2010,
//! *Marketing Science* 29(1):85-93): reference values on the Regular and High End cohorts,
//! parameter recovery, invariants, high-precision points.

use customer_metrics::{Cohort, Error, Fit, Sbg, SbgFitter};
use proptest::prelude::*;

/// FH 2007, Table 1 (from Berry & Linoff 2004): customers of 1,000 acquired in year 0 still
/// active at the start of years 0..=12.
const REGULAR: [u64; 13] = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173];
const HIGH_END: [u64; 13] = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394];

/// Years 0..=7: the calibration data (years 8..12 are the holdout).
fn calibration(counts: &[u64]) -> Cohort {
    Cohort::new(counts.to_vec()).expect("valid").first_periods(7).expect("13 counts")
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(f64::MIN_POSITIVE)
}

// ---------------------------------------------------------------- reference values

/// The likelihood formula, separately from the optimiser: LL(α, β) = Σ n_t ln P(T = t) +
/// (survivors) ln S(7), against FORMULAS.md §1 [C] (−1741.7303 and −2115.5455 at α = β = 1;
/// −1680.2652 and −1611.1581 at the MLE) and mpmath (40 digits,
/// `sum((c[t-1]-c[t])*log(beta(a+1,b+t-1)/beta(a,b))) + c[7]*log(beta(a,b+7)/beta(a,b))`).
#[test]
fn log_likelihood_at_fixed_parameters() {
    let (regular, high_end) = (calibration(&REGULAR), calibration(&HIGH_END));
    let ll = |a, b, c: &Cohort| Sbg::new(a, b).expect("valid").log_likelihood(c);
    let cases = [
        (1.0, 1.0, &regular, -1741.730262177014),
        (1.0, 1.0, &high_end, -2115.545506645606),
        (0.704, 1.182, &regular, -1680.265190553352),
        (0.704077, 1.182043, &regular, -1680.265188463333),
        (0.668, 3.806, &high_end, -1611.158150354922),
        (0.668088, 3.806095, &high_end, -1611.15814739122),
    ];
    for (a, b, c, want) in cases {
        let got = ll(a, b, c);
        assert!((got - want).abs() < 1e-9, "({a}, {b}): {got} vs {want}");
    }
    // jdmaturen's test uses proportions (N = 1): High End at α = β = 1 gives −2.115 [S].
    assert!((ll(1.0, 1.0, &high_end) / 1000.0 - -2.115).abs() < 1e-3);
}

/// The fits on years 1..7 (FH 2007 [P]: Regular α = 0.704, β = 1.182; High End α = 0.668,
/// β = 3.806; recomputed [C] 0.704077, 1.182043, LL −1680.2652 and 0.668088, 3.806095,
/// LL −1611.1581).
#[test]
fn fits_reproduce_published_estimates() {
    let cases = [
        (&REGULAR, [0.704, 1.182], [0.704077, 1.182043], -1680.2652),
        (&HIGH_END, [0.668, 3.806], [0.668088, 3.806095], -1611.1581),
    ];
    for (counts, paper, recomputed, ll) in cases {
        let model = SbgFitter::new().fit(&[calibration(counts)]).expect("converges");
        let report = model.report().expect("fitted");
        let got = [model.alpha(), model.beta()];
        println!(
            "sBG fit: {got:?}, LL {}, {} iterations, SE {:?}",
            report.log_likelihood, report.iterations, report.standard_errors
        );
        for ((g, p), r) in got.iter().zip(paper).zip(recomputed) {
            assert!((g - p).abs() < 5e-4, "{got:?}");
            assert!((g - r).abs() < 2e-6 * r, "{got:?}");
        }
        assert!((report.log_likelihood - ll).abs() < 1e-4, "{}", report.log_likelihood);
        assert_eq!(report.total_weight, 1000.0);
    }
    // Two cohorts fitted together equal one cohort with doubled counts (weights).
    let r = calibration(&REGULAR);
    let two = SbgFitter::new().fit(&[r.clone(), r.clone()]).expect("converges");
    let weighted = SbgFitter::new().fit_weighted(&[r], &[2.0]).expect("converges");
    assert!((two.alpha() - weighted.alpha()).abs() < 1e-9 && (two.beta() - weighted.beta()).abs() < 1e-9);
}

/// S(t) and r_t at the rounded published parameters, FORMULAS.md §1 [C] (4 decimals).
#[test]
fn survival_and_retention_tables() {
    let regular = Sbg::new(0.704, 1.182).expect("valid");
    let high_end = Sbg::new(0.668, 3.806).expect("valid");
    let s_regular =
        [0.6267, 0.4738, 0.3880, 0.3321, 0.2924, 0.2625, 0.2391, 0.2201, 0.2044, 0.1912, 0.1799, 0.1701];
    let s_high =
        [0.8507, 0.7469, 0.6698, 0.6100, 0.5619, 0.5223, 0.4889, 0.4605, 0.4358, 0.4142, 0.3951, 0.3780];
    let r_regular =
        [0.6267, 0.7560, 0.8188, 0.8559, 0.8804, 0.8978, 0.9107, 0.9208, 0.9288, 0.9353, 0.9408, 0.9454];
    let r_high =
        [0.8507, 0.8780, 0.8968, 0.9106, 0.9212, 0.9295, 0.9362, 0.9418, 0.9464, 0.9504, 0.9538, 0.9568];
    for t in 1..=12u32 {
        let i = (t - 1) as usize;
        assert!((regular.survival(t) - s_regular[i]).abs() < 5e-5, "S({t})");
        assert!((high_end.survival(t) - s_high[i]).abs() < 5e-5, "S({t})");
        // The table's r_t are ratios of the 4-decimal S(t) (r_2 = .4738/.6267 = .7560, exactly
        // .756064): within 1e-4.
        assert!((regular.retention_rate(t).expect("t >= 1") - r_regular[i]).abs() < 1e-4, "r_{t}");
        assert!((high_end.retention_rate(t).expect("t >= 1") - r_high[i]).abs() < 1e-4, "r_{t}");
    }
    // jdmaturen README (High End): years 8-12 projected as 0.460, 0.436, 0.414, 0.395, 0.378 [S].
    for (t, want) in (8..=12).zip([0.460, 0.436, 0.414, 0.395, 0.378]) {
        assert!((high_end.survival(t) - want).abs() < 5e-4);
    }
    assert_eq!(regular.survival(0), 1.0);
    assert_eq!(regular.expected_lifetime(), None, "α < 1: infinite mean lifetime");
    let finite = Sbg::new(3.0, 4.0).expect("valid");
    assert_eq!(finite.expected_lifetime(), Some(3.0)); // (α + β − 1)/(α − 1)
}

/// DEL and DERL at d = 0.10, FORMULAS.md §1.1 [C] (closed form = brute force to 1e-12),
/// rounded published parameters; `renewals` = FH's n − 1. mpmath:
/// `hyp2f1(1,b,a+b,z)` and `(b+r)/(a+b+r)*hyp2f1(1,b+r+1,a+b+r+1,z)`, z = 1/1.1.
#[test]
fn del_and_derl_table() {
    let rows = [
        (
            0.704,
            1.182,
            3.6951474055745743,
            [2.964_662_146, 4.103_458_62, 5.894_422_86, 6.842_617_137, 7.769_547_6],
        ),
        (
            0.668,
            3.806,
            5.922596407612764,
            [5.414_856_048, 5.901_753_168, 6.897_057_398, 7.529_949_531, 8.212_196_003],
        ),
    ];
    for (a, b, del, derl) in rows {
        let m = Sbg::new(a, b).expect("valid");
        assert!(close(m.del(0.10).expect("converges"), del, 1e-13));
        for (renewals, want) in [0, 1, 4, 7, 12].into_iter().zip(derl) {
            let got = m.derl(0.10, renewals).expect("converges");
            assert!((got - want).abs() < 2e-9, "{renewals}: {got} vs {want}");
        }
        // DERL(0 renewals) = (1 + d)(DEL − 1).
        assert!(close(m.derl(0.10, 0).expect("converges"), 1.1 * (del - 1.0), 1e-13));
    }
    // jdmaturen README: High End, d = 0.10, 7 renewals → 7.530 [S].
    assert!((Sbg::new(0.668, 3.806).expect("valid").derl(0.10, 7).expect("converges") - 7.530).abs() < 5e-4);
}

/// Projections for years 8..12 from the fitted models against the actual counts (FH 2007's
/// holdout). The errors (projected − actual, of 1,000) are printed: Regular −2.9, −2.6, −2.8,
/// −3.1, −3.0; High End −7.6, −9.2, −12.8, −13.9, −16.0 (the model slightly under-projects).
#[test]
fn holdout_projections() {
    for (name, counts, bound) in [("Regular", &REGULAR, 5.0), ("High End", &HIGH_END, 20.0)] {
        let model = SbgFitter::new().fit(&[calibration(counts)]).expect("converges");
        let projected = model.projected_survivors(1000, 12);
        assert_eq!(projected.len(), 13);
        let errors: Vec<f64> = (8..=12).map(|t| projected[t] - counts[t] as f64).collect();
        println!("sBG {name} holdout years 8..12: projected {:?}, error {errors:?}", &projected[8..]);
        assert!(errors.iter().all(|e| e.abs() < bound), "{name}: {errors:?}");
    }
}

// ---------------------------------------------------------------- recovery

/// Simulate a cohort of 20,000 over 10 periods at known parameters, fit, and require each
/// estimate within 3 reported standard errors of the truth.
#[test]
fn parameter_recovery_by_simulation() {
    for (alpha, beta, seed) in [(0.7, 1.2, 1), (1.5, 6.0, 2)] {
        let truth = Sbg::new(alpha, beta).expect("valid");
        let cohort = truth.simulate(20_000, 10, seed).expect("simulates");
        assert_eq!(cohort, truth.simulate(20_000, 10, seed).expect("simulates"), "deterministic");
        let fit = SbgFitter::new().fit(&[cohort]).expect("converges");
        let se = fit.report().and_then(|r| r.standard_errors.clone()).expect("identified");
        println!("sBG recovery ({alpha}, {beta}): ({}, {}), SE {se:?}", fit.alpha(), fit.beta());
        assert!((fit.alpha() - alpha).abs() < 3.0 * se[0]);
        assert!((fit.beta() - beta).abs() < 3.0 * se[1]);
    }
}

// ---------------------------------------------------------------- errors, serde, traits

#[test]
fn checked_inputs_and_serde() {
    assert!(matches!(Sbg::new(-1.0, 1.0), Err(Error::InvalidParameter { name: "alpha", .. })));
    assert!(matches!(Sbg::new(1.0, f64::INFINITY), Err(Error::InvalidParameter { name: "beta", .. })));
    assert!(Cohort::new(vec![10, 11]).is_err());
    assert!(Cohort::new(vec![]).is_err());
    assert!(calibration(&REGULAR).first_periods(8).is_err());
    let m = Sbg::new(0.7, 1.2).expect("valid");
    assert!(m.del(0.0).is_err() && m.derl(-0.5, 3).is_err() && m.retention_rate(0).is_err());
    assert!(m.simulate(0, 5, 1).is_err());
    // A cohort that loses no one has no finite MLE.
    assert!(SbgFitter::new().fit(&[Cohort::new(vec![100, 100, 100]).expect("valid")]).is_err());
    assert!(SbgFitter::new().fit(&[]).is_err());

    let fit = SbgFitter::new().fit(&[calibration(&REGULAR)]).expect("converges");
    let back: Sbg = serde_json::from_str(&serde_json::to_string(&fit).expect("json")).expect("valid");
    assert_eq!(back, fit);
    assert!(serde_json::from_str::<Sbg>(r#"{"alpha":0.0,"beta":1.0}"#).is_err());
    let c: Cohort = serde_json::from_str(r#"{"active":[10,8,5]}"#).expect("valid");
    assert_eq!(c.lost(2), Some(3));
    assert!(serde_json::from_str::<Cohort>(r#"{"active":[10,12]}"#).is_err());

    fn send_sync<T: Send + Sync>() {}
    send_sync::<Sbg>();
    send_sync::<Cohort>();
    send_sync::<SbgFitter>();
}

// ---------------------------------------------------------------- high precision

/// Hard points against mpmath (30-40 digits).
#[test]
fn high_precision_hard_points() {
    // S(10^4) at (0.001, 1000): `beta(a, b+10000)/beta(a, b)`.
    let m = Sbg::new(0.001, 1000.0).expect("valid");
    assert!(close(m.survival(10_000), 0.9976045242960568, 1e-14));
    // DEL(0.01) at (0.001, 1000): `hyp2f1(1, b, a+b, 1/1.01)`.
    assert!(close(m.del(0.01).expect("converges"), 100.99075227019686, 1e-12));
    // P(T = 10^4) at (0.5, 2): `beta(1.5, 2+9999)/beta(0.5, 2)`.
    let m = Sbg::new(0.5, 2.0).expect("valid");
    assert!(close(m.churn_probability(10_000), 6.645455884171434e-7, 1e-13));
    // DERL(0.01, 10^4 renewals) at (0.5, 2): `(b+n-1)/(a+b+n-1)*hyp2f1(1, b+n, a+b+n, 1/1.01)`, n = 10001.
    assert!(close(m.derl(0.01, 10_000).expect("converges"), 100.49753897285864, 1e-12));
}

// ---------------------------------------------------------------- invariants

fn parameter() -> impl Strategy<Value = f64> {
    (-3.0f64..3.0).prop_map(|e| 10f64.powf(e))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn queries_are_finite_and_ordered(
        a in parameter(), b in parameter(), t1 in 0u32..=10_000, t2 in 0u32..=10_000,
        renewals in 0u32..=10_000, d in 0.01f64..1.0,
    ) {
        let m = Sbg::new(a, b).expect("valid");
        let (lo, hi) = (t1.min(t2), t1.max(t2));
        let (s_lo, s_hi) = (m.survival(lo), m.survival(hi));
        prop_assert!((0.0..=1.0).contains(&s_lo) && s_hi <= s_lo, "{s_lo} {s_hi}");
        let p = m.churn_probability(hi);
        prop_assert!((0.0..=1.0).contains(&p));
        if lo >= 1 {
            let (r_lo, r_hi) = (m.retention_rate(lo).expect("t >= 1"), m.retention_rate(hi).expect("t >= 1"));
            prop_assert!((0.0..=1.0).contains(&r_lo) && r_hi >= r_lo, "retention rises: {r_lo} {r_hi}");
        }
        let del = m.del(d).expect("converges");
        prop_assert!(del.is_finite() && del >= 1.0 && del <= (1.0 + d) / d * (1.0 + 1e-12), "{del}");
        let derl = m.derl(d, renewals).expect("converges");
        prop_assert!(derl.is_finite() && derl >= 0.0 && derl <= (1.0 + d) / d * (1.0 + 1e-12), "{derl}");
        let projected = m.projected_survivors(1000, 50);
        prop_assert!(projected.windows(2).all(|w| w[1] <= w[0]));
    }

    #[test]
    fn serde_round_trip(a in parameter(), b in parameter(), counts in proptest::collection::vec(0u64..1000, 1..20)) {
        let m = Sbg::new(a, b).expect("valid");
        let back: Sbg = serde_json::from_str(&serde_json::to_string(&m).expect("json")).expect("valid");
        prop_assert_eq!(back, m);
        // Non-increasing counts from the cumulative losses.
        let mut active = vec![20_000u64];
        for c in counts {
            let last = *active.last().expect("non-empty");
            active.push(last.saturating_sub(c));
        }
        let cohort = Cohort::new(active).expect("valid");
        let back: Cohort = serde_json::from_str(&serde_json::to_string(&cohort).expect("json")).expect("valid");
        prop_assert_eq!(back, cohort);
    }
}
