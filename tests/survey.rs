//! Integration tests of the survey metrics: reference values computed independently (by hand or
//! by a second method), the metric laws, robustness and serde.

mod common;

use common::{assert_send_sync, check_metric_laws};
use customer_metrics::{
    CesAgreement, CesEffort, Comparison, Csat, Error, Interval, IntervalMethod, Metric, Nps, NpsMethod,
    NpsReport, Response, ScaleReport, Segmented, SegmentedReport,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn nps_of(scores: &[u8]) -> NpsReport {
    let mut m = Nps::default();
    m.record_all(scores.iter().map(|s| Response::from(*s))).unwrap();
    m.value().unwrap()
}

// ---------------------------------------------------------------- reference values

/// REFERENCES.md, "Net Promoter Score" [S] (whuber's Cross Validated answer): p = 1/2,
/// passives 1/3, d = 1/6 → NPS = 1/3, per-response variance 5/9. With 6 responses
/// SE = 100·√(5/9 / 6) = 30.429031; Wald 95% by hand: 33.333333 ± 1.959964·30.429031
/// = [-26.306471, 92.973138].
#[test]
fn nps_reference_example_of_references_md() {
    let r = nps_of(&[10, 9, 9, 8, 7, 0]);
    assert_eq!((r.responses(), r.promoters(), r.passives(), r.detractors()), (6, 3, 2, 1));
    assert!(close(r.promoter_share(), 0.5, 1e-15));
    assert!(close(r.passive_share(), 1.0 / 3.0, 1e-15));
    assert!(close(r.detractor_share(), 1.0 / 6.0, 1e-15));
    assert!(close(r.score(), 100.0 / 3.0, 1e-12));
    let variance = 5.0 / 9.0;
    assert!(close(r.standard_error(), 100.0 * (variance / 6.0f64).sqrt(), 1e-12));
    assert!(close(r.standard_error(), 30.429031, 1e-6));
    let ci = r.interval(0.95, NpsMethod::Wald).unwrap();
    assert!(close(ci.lower(), -26.306471, 1e-5) && close(ci.upper(), 92.973138, 1e-5), "{ci:?}");
    assert_eq!(ci.estimate(), r.score());
    assert_eq!(ci.method(), IntervalMethod::Wald);
}

/// Adjusted-Wald (FORMULAS.md §4.1; Sauro & Lewis) on the same 6 responses, by hand:
/// n' = 9, p' = 3.75/9, d' = 1.75/9, NPS' = 2/9 = 22.2222 points;
/// variance = 5.5/9 − (2/9)² = 45.5/81, SE' = √(45.5/729) = 0.2498285 → 24.98285 points;
/// 95%: 22.2222 ± 1.959964·24.98285 = [-26.743259, 71.187703].
#[test]
fn nps_adjusted_wald_by_hand() {
    let r = nps_of(&[10, 9, 9, 8, 7, 0]);
    let ci = r.interval(0.95, NpsMethod::AdjustedWald).unwrap();
    assert!(close(ci.estimate(), 200.0 / 9.0, 1e-12));
    assert!(close(ci.lower(), -26.743259, 1e-5) && close(ci.upper(), 71.187703, 1e-5), "{ci:?}");
    assert_eq!(ci.method(), IntervalMethod::AdjustedWald);
    // A 90% interval is narrower, with z = 1.644854.
    let ci90 = r.interval(0.90, NpsMethod::AdjustedWald).unwrap();
    assert!(close(ci90.width(), 2.0 * 1.644854 * 24.98285, 1e-3));
}

/// Two-sample z by hand (FORMULAS.md §4.1): A = the 6 responses above (33.3333, SE 30.429031);
/// B = 10, 8, 3, 0: p = 1/4, d = 1/2, NPS = −25, variance 0.75 − 0.0625 = 0.6875,
/// SE = 100·√(0.6875/4) = 41.457810. Difference 58.333333, SE = √(30.429031² + 41.457810²)
/// = 51.426413, z = 1.134307, two-sided p = 2(1 − Φ(1.134307)) = 0.256666.
#[test]
fn nps_two_sample_z_by_hand() {
    let a = nps_of(&[10, 9, 9, 8, 7, 0]);
    let b = nps_of(&[10, 8, 3, 0]);
    assert!(close(b.score(), -25.0, 1e-12) && close(b.standard_error(), 41.457810, 1e-6));
    let t = a.compare(&b, NpsMethod::Wald).unwrap();
    assert!(close(t.difference(), 58.333333, 1e-6));
    assert!(close(t.standard_error(), 51.426413, 1e-6));
    assert!(close(t.z(), 1.134307, 1e-6));
    assert!(close(t.p_value(), 0.256666, 1e-6));
    assert!(close(t.p_value_greater() + t.p_value_less(), 1.0, 1e-12));
    assert!(close(t.p_value_greater(), t.p_value() / 2.0, 1e-12));
    // Antisymmetric.
    let back = b.compare(&a, NpsMethod::Wald).unwrap();
    assert_eq!(back.z(), -t.z());
    assert_eq!(back.p_value(), t.p_value());
}

/// Wilson score interval, 8 successes of 10 at 95%: [0.4902, 0.9433] (hand computation in
/// `src/survey/interval.rs`; the textbook example, e.g. Newcombe 1998 method 3).
#[test]
fn csat_wilson_eight_of_ten() {
    let mut csat = Csat::default();
    csat.record_all([5, 5, 5, 5, 4, 4, 4, 4, 2, 1].map(Response::from)).unwrap();
    let r = csat.value().unwrap();
    assert_eq!(r.favourable_share(), 0.8);
    let ci = r.favourable_interval(0.95).unwrap();
    assert!(close(ci.lower(), 0.4902, 5e-5) && close(ci.upper(), 0.9433, 5e-5), "{ci:?}");
    assert_eq!(ci.method(), IntervalMethod::Wilson);
    // Mean by hand: (20 + 16 + 2 + 1)/10 = 3.9; variance = (4·1.21 + 4·0.01 + 3.61 + 8.41)/10
    // = 1.69, sd = 1.3; 95% mean interval 3.9 ± 1.959964·1.3/√10 = 3.9 ± 0.805734
    // = [3.094266, 4.705734].
    assert!(close(r.mean(), 3.9, 1e-12));
    assert!(close(r.standard_deviation(), 1.3, 1e-12));
    let m = r.mean_interval(0.95).unwrap();
    assert!(close(m.lower(), 3.094266, 1e-6) && close(m.upper(), 4.705734, 1e-6), "{m:?}");
}

/// CES on both scales, by hand.
#[test]
fn ces_scales_by_hand() {
    let mut agree = CesAgreement::default();
    agree.record_all([7, 7, 6, 5, 4, 3, 1].map(Response::from)).unwrap();
    let r = agree.value().unwrap();
    assert_eq!(r.scale(), (1, 7));
    assert_eq!(r.counts(), &[1, 0, 1, 1, 1, 1, 2]);
    assert!(close(r.favourable_share(), 4.0 / 7.0, 1e-15)); // 5, 6, 7, 7 agree
    assert!(close(r.mean(), 33.0 / 7.0, 1e-12));
    assert!(agree.record(8.into()).is_err());

    let mut effort = CesEffort::default();
    effort.record_all([1, 2, 2, 5].map(Response::from)).unwrap();
    let r = effort.value().unwrap();
    assert_eq!(r.scale(), (1, 5));
    assert_eq!(r.favourable_share(), 0.75); // low effort: 1, 2, 2
    assert_eq!(r.mean(), 2.5);
    assert!(matches!(effort.record(6.into()), Err(Error::ScoreOutOfRange { min: 1, max: 5, .. })));
}

/// A weight of 2 is the same response recorded twice for shares and scores; the standard error
/// differs because it uses Kish's n_eff = (Σw)²/Σw²: weights 2, 1, 1 give 16/6 = 2.6667, while
/// the duplicated rows give n = 4.
#[test]
fn weight_two_equals_recording_twice_except_for_the_standard_error() {
    let two = Decimal::new(2, 0);
    let mut weighted = Nps::default();
    weighted.record(Response::weighted(10.0, two).unwrap()).unwrap();
    weighted.record(8.into()).unwrap();
    weighted.record(2.into()).unwrap();
    let mut duplicated = Nps::default();
    duplicated.record_all([10, 10, 8, 2].map(Response::from)).unwrap();
    let (w, d) = (weighted.value().unwrap(), duplicated.value().unwrap());
    assert_eq!(w.score(), d.score());
    assert_eq!(w.score(), 25.0);
    assert_eq!(w.promoter_share(), d.promoter_share());
    assert_eq!(w.total_weight(), Decimal::new(4, 0));
    assert_eq!(w.responses(), 3);
    assert!(close(w.effective_responses(), 16.0 / 6.0, 1e-15));
    assert_eq!(d.effective_responses(), 4.0);
    // Variance p + d − (p − d)² = 0.5 + 0.25 − 0.0625 = 0.6875 in both.
    assert!(close(d.standard_error(), 100.0 * (0.6875f64 / 4.0).sqrt(), 1e-12));
    assert!(close(w.standard_error(), 100.0 * (0.6875f64 / (16.0 / 6.0)).sqrt(), 1e-12));

    let mut c1 = Csat::default();
    c1.record(Response::weighted(5.0, Decimal::new(3, 0)).unwrap()).unwrap();
    c1.record(1.into()).unwrap();
    let mut c2 = Csat::default();
    c2.record_all([5, 5, 5, 1].map(Response::from)).unwrap();
    let (a, b) = (c1.value().unwrap(), c2.value().unwrap());
    assert_eq!(
        (a.mean(), a.favourable_share(), a.distribution()),
        (b.mean(), b.favourable_share(), b.distribution())
    );
}

#[test]
fn out_of_range_scores_name_the_value() {
    let mut nps = Nps::default();
    for bad in [-1.0, 11.0, 9.5, f64::NAN, f64::INFINITY, -0.5, 1e308] {
        match nps.record(bad.into()) {
            Err(Error::ScoreOutOfRange { score, min: 0, max: 10 }) => {
                assert_eq!(score.to_bits(), bad.to_bits())
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(nps, Nps::default());
    assert!(nps.value().is_none());
    let mut csat = Csat::default();
    assert!(matches!(csat.record(0.into()), Err(Error::ScoreOutOfRange { min: 1, max: 5, .. })));
}

#[test]
fn bad_levels_are_errors() {
    let r = nps_of(&[9, 5]);
    for level in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
        assert!(matches!(
            r.interval(level, NpsMethod::Wald),
            Err(Error::InvalidParameter { name: "level", .. })
        ));
    }
}

#[test]
fn segmented_nps_total_and_rest() {
    let mut seg: Segmented<String, Nps> = Segmented::default();
    for (k, s) in [("a", 10), ("a", 9), ("b", 0), ("b", 8), ("c", 10)] {
        seg.record((k.to_string(), s.into())).unwrap();
    }
    assert!(seg.record(("d".to_string(), 11.into())).is_err());
    assert_eq!(seg.len(), 3, "a rejected record must not create a segment");
    let report = seg.value().unwrap();
    assert!(close(report.total.score(), 40.0, 1e-12)); // (3 − 1)/5
    assert_eq!(report.segments["a"].score(), 100.0);
    assert_eq!(report.segments["b"].score(), -50.0);
    let rest = seg.rest(&"a".to_string()).unwrap().value().unwrap();
    assert!(close(rest.score(), 0.0, 1e-12)); // b and c: (1 − 1)/3
    assert_eq!(seg.total().unwrap().responses(), 5);
}

/// A merge that overflows fails as a whole: no segment of the target changes.
#[test]
fn segmented_merge_is_all_or_nothing() {
    let big = Response::weighted(10.0, Decimal::new(280_000_000_000_000, 0)).unwrap();
    let mut left: Segmented<&str, Nps> = Segmented::default();
    left.record(("a", 9.into())).unwrap();
    left.record(("z", big)).unwrap();
    let mut right: Segmented<&str, Nps> = Segmented::default();
    right.record(("a", 0.into())).unwrap(); // merges fine on its own…
    right.record(("z", big)).unwrap(); // …but this one overflows Σw²
    let before = left.clone();
    assert!(matches!(left.merge(&right), Err(Error::Overflow { .. })));
    assert_eq!(left, before);
    assert!(left.total().is_ok());
}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<Nps>();
    assert_send_sync::<NpsReport>();
    assert_send_sync::<NpsMethod>();
    assert_send_sync::<Comparison>();
    assert_send_sync::<CesAgreement>();
    assert_send_sync::<CesEffort>();
    assert_send_sync::<Csat>();
    assert_send_sync::<ScaleReport>();
    assert_send_sync::<Interval>();
    assert_send_sync::<IntervalMethod>();
    assert_send_sync::<Response>();
    assert_send_sync::<Segmented<String, Nps>>();
    assert_send_sync::<SegmentedReport<String, NpsReport>>();
}

// ---------------------------------------------------------------- serde

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(&back, value, "{json}");
}

/// Whether two JSON values agree, numbers up to a relative 1e-12. serde_json (without its
/// `float_roundtrip` feature) may parse a float 1 ulp away from the one it printed, so reports
/// holding floats round-trip only up to that.
fn json_close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_close(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_close(v, w)))
        }
        _ => a == b,
    }
}

/// Round trip of a type holding computed floats: accepted, and equal up to parsing round-off.
fn round_trip_floats<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) {
    let json = serde_json::to_value(value).unwrap();
    let back: T = serde_json::from_str(&json.to_string()).unwrap_or_else(|e| panic!("{e}: {json}"));
    let again = serde_json::to_value(&back).unwrap();
    assert!(json_close(&json, &again), "{json} != {again}");
}

fn tampered<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) {
    let result = serde_json::from_str::<T>(json);
    assert!(result.is_err(), "accepted tampered JSON {json}: {result:?}");
}

#[test]
fn tampered_json_is_rejected() {
    let mut nps = Nps::default();
    nps.record_all([10, 9, 3].map(Response::from)).unwrap();
    let good: serde_json::Value = serde_json::to_value(&nps).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        v.to_string()
    };
    // Sanity: the untouched value is accepted.
    assert_eq!(serde_json::from_str::<Nps>(&good.to_string()).unwrap(), nps);
    tampered::<Nps>(&edit(&|v| v["responses"] = 4.into()));
    tampered::<Nps>(&edit(&|v| v["counts"][10] = 2.into()));
    tampered::<Nps>(&edit(&|v| v["weights"][3] = "-1".into()));
    tampered::<Nps>(&edit(&|v| v["total_weight"] = "2".into()));
    tampered::<Nps>(&edit(&|v| v["sum_squared_weights"] = "0".into()));
    tampered::<Nps>(&edit(&|v| v["sum_squared_weights"] = "100".into()));
    tampered::<Nps>(&edit(&|v| v["max"] = 9.into()));
    tampered::<Nps>(&edit(&|v| v["counts"].as_array_mut().unwrap().push(0.into())));
    tampered::<Nps>(&edit(&|v| v["instrument"] = "csat".into()));
    tampered::<Nps>(&edit(&|v| v["unexpected"] = 1.into()));
    // An NPS state is not a CES 1..=7 state, and a CSAT state (same 1..=5 scale) is not a
    // CES 1..=5 state.
    tampered::<CesAgreement>(&good.to_string());
    let csat_state = serde_json::to_string(&Csat::default()).unwrap();
    assert!(serde_json::from_str::<Csat>(&csat_state).is_ok());
    tampered::<CesEffort>(&csat_state);

    tampered::<Response>(r#"{"score": 9.0, "weight": "-1"}"#);
    tampered::<Response>(r#"{"score": 9.0, "weight": "0"}"#);

    let report = nps.value().unwrap();
    let good = serde_json::to_value(&report).unwrap();
    let mut v = good.clone();
    v["score"] = 50.0.into();
    tampered::<NpsReport>(&v.to_string());
    let mut v = good.clone();
    v["promoter_share"] = 1.5.into();
    tampered::<NpsReport>(&v.to_string());
    let mut v = good;
    v["passives"] = 1.into();
    tampered::<NpsReport>(&v.to_string());

    tampered::<Interval>(r#"{"lower": 1.0, "estimate": 0.5, "upper": 2.0, "level": 0.95, "method": "Wald"}"#);
    tampered::<Interval>(r#"{"lower": 0.0, "estimate": 0.5, "upper": 2.0, "level": 1.0, "method": "Wald"}"#);
    tampered::<Comparison>(
        r#"{"difference": 1.0, "standard_error": 1.0, "z": 3.0, "p_value": 0.5, "method": "NpsWald"}"#,
    );
    tampered::<Segmented<String, Nps>>(&format!(
        r#"{{"segments": {{"x": {}}}}}"#,
        serde_json::to_string(&Nps::default()).unwrap()
    ));

    let mut csat = Csat::default();
    csat.record_all([5, 4, 1].map(Response::from)).unwrap();
    let mut v = serde_json::to_value(csat.value().unwrap()).unwrap();
    v["mean"] = 4.5.into();
    tampered::<ScaleReport>(&v.to_string());
}

// ---------------------------------------------------------------- properties

/// A response on roughly the NPS range (a few out of range, to exercise rejection), with an
/// optional weight of at most 4 decimal places and magnitude ≤ 1000, so every sum is exact.
fn response(lo: i32, hi: i32) -> impl Strategy<Value = Response> {
    (lo - 1..=hi + 1, prop::option::of(1i64..=10_000_000)).prop_map(|(score, weight)| match weight {
        None => Response::new(f64::from(score)),
        Some(w) => Response::weighted(f64::from(score), Decimal::new(w, 4)).unwrap(),
    })
}

fn responses(lo: i32, hi: i32) -> impl Strategy<Value = Vec<Response>> {
    prop::collection::vec(response(lo, hi), 0..40)
}

fn wild_score() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        -1e300..1e300f64,
        (-3i32..14).prop_map(f64::from),
    ]
}

fn check_interval(i: &Interval, lo: f64, hi: f64) -> Result<(), TestCaseError> {
    prop_assert!(lo <= i.lower() && i.lower() <= i.estimate(), "{i:?}");
    prop_assert!(i.estimate() <= i.upper() && i.upper() <= hi, "{i:?}");
    Ok(())
}

fn check_nps(r: &NpsReport, level: f64) -> Result<(), TestCaseError> {
    let shares = [r.promoter_share(), r.passive_share(), r.detractor_share()];
    prop_assert!(shares.iter().all(|s| (0.0..=1.0).contains(s)));
    prop_assert!((shares.iter().sum::<f64>() - 1.0).abs() <= 1e-12);
    prop_assert!((-100.0..=100.0).contains(&r.score()));
    prop_assert!(r.standard_error() >= 0.0 && r.standard_error() <= 100.0);
    for method in [NpsMethod::Wald, NpsMethod::AdjustedWald] {
        check_interval(&r.interval(level, method).unwrap(), -100.0, 100.0)?;
    }
    Ok(())
}

fn check_scale(r: &ScaleReport, level: f64) -> Result<(), TestCaseError> {
    let (lo, hi) = r.scale();
    prop_assert!(r.distribution().iter().all(|s| (0.0..=1.0).contains(s)));
    prop_assert!((r.distribution().iter().sum::<f64>() - 1.0).abs() <= 1e-12);
    prop_assert!((0.0..=1.0).contains(&r.favourable_share()));
    prop_assert!(f64::from(lo) <= r.mean() && r.mean() <= f64::from(hi));
    check_interval(&r.favourable_interval(level).unwrap(), 0.0, 1.0)?;
    check_interval(&r.mean_interval(level).unwrap(), f64::from(lo), f64::from(hi))?;
    Ok(())
}

proptest! {
    #[test]
    fn nps_laws(a in responses(0, 10), b in responses(0, 10), c in responses(0, 10)) {
        check_metric_laws::<Nps>(&a, &b, &c)?;
    }

    #[test]
    fn ces_agreement_laws(a in responses(1, 7), b in responses(1, 7), c in responses(1, 7)) {
        check_metric_laws::<CesAgreement>(&a, &b, &c)?;
    }

    #[test]
    fn ces_effort_laws(a in responses(1, 5), b in responses(1, 5), c in responses(1, 5)) {
        check_metric_laws::<CesEffort>(&a, &b, &c)?;
    }

    #[test]
    fn csat_laws(a in responses(1, 5), b in responses(1, 5), c in responses(1, 5)) {
        check_metric_laws::<Csat>(&a, &b, &c)?;
    }

    #[test]
    fn segmented_nps_laws(
        a in prop::collection::vec((prop::sample::select(vec!["n", "s", "e"]).prop_map(String::from), response(0, 10)), 0..30),
        b in prop::collection::vec((prop::sample::select(vec!["n", "s", "w"]).prop_map(String::from), response(0, 10)), 0..30),
        c in prop::collection::vec((prop::sample::select(vec!["e", "w"]).prop_map(String::from), response(0, 10)), 0..30),
    ) {
        check_metric_laws::<Segmented<String, Nps>>(&a, &b, &c)?;
    }

    /// Any f64 score, with or without a weight: never a panic, an error exactly when the score
    /// is not an integer on the scale, and the outputs stay in range.
    #[test]
    fn wild_scores_never_panic(
        scores in prop::collection::vec((wild_score(), prop::option::of(1i64..=10_000_000)), 0..40),
        level in 0.01f64..0.999,
    ) {
        let (mut nps, mut agree, mut effort, mut csat) =
            (Nps::default(), CesAgreement::default(), CesEffort::default(), Csat::default());
        for (score, weight) in scores {
            let r = match weight {
                None => Response::new(score),
                Some(w) => Response::weighted(score, Decimal::new(w, 4)).unwrap(),
            };
            let on = |lo: f64, hi: f64| score.is_finite() && score.fract() == 0.0 && (lo..=hi).contains(&score);
            prop_assert_eq!(nps.record(r).is_ok(), on(0.0, 10.0));
            prop_assert_eq!(agree.record(r).is_ok(), on(1.0, 7.0));
            prop_assert_eq!(effort.record(r).is_ok(), on(1.0, 5.0));
            prop_assert_eq!(csat.record(r).is_ok(), on(1.0, 5.0));
        }
        if let Some(r) = nps.value() { check_nps(&r, level)?; }
        for r in [agree.value(), effort.value(), csat.value()].into_iter().flatten() {
            check_scale(&r, level)?;
        }
    }

    /// Output ranges and the two-sample test on weighted data.
    #[test]
    fn outputs_in_range(a in responses(0, 10), b in responses(0, 10), level in 0.01f64..0.999) {
        let (ra, rb) = (common::record_all::<Nps>(&a)?.value(), common::record_all::<Nps>(&b)?.value());
        if let (Some(ra), Some(rb)) = (ra, rb) {
            check_nps(&ra, level)?;
            check_nps(&rb, level)?;
            let t = ra.compare(&rb, NpsMethod::AdjustedWald).unwrap();
            prop_assert!((0.0..=1.0).contains(&t.p_value()));
            match ra.compare(&rb, NpsMethod::Wald) {
                Ok(t) => prop_assert!((0.0..=1.0).contains(&t.p_value()) && t.z().is_finite()),
                Err(e) => prop_assert!(ra.standard_error() == 0.0 && rb.standard_error() == 0.0, "{e}"),
            }
        }
    }

    /// The CES/CSAT tests: p-values in [0, 1]; the share test is always defined, the mean test
    /// fails only when neither sample varies and the means differ.
    #[test]
    fn scale_tests_in_range(a in responses(1, 5), b in responses(1, 5)) {
        let (ra, rb) = (common::record_all::<Csat>(&a)?.value(), common::record_all::<Csat>(&b)?.value());
        if let (Some(ra), Some(rb)) = (ra, rb) {
            let t = ra.compare_favourable(&rb).unwrap();
            prop_assert!((0.0..=1.0).contains(&t.p_value()) && t.z().is_finite());
            match ra.compare_means(&rb) {
                Ok(t) => prop_assert!((0.0..=1.0).contains(&t.p_value()) && t.z().is_finite()),
                Err(e) => prop_assert!(
                    ra.standard_deviation() == 0.0 && rb.standard_deviation() == 0.0 && ra.mean() != rb.mean(),
                    "{e}"
                ),
            }
            round_trip_floats(&t);
        }
    }

    /// Second method: NPS as the mean of +1/0/−1 scores and its SE from the plug-in variance of
    /// that list, computed directly from the raw responses (unweighted).
    #[test]
    fn nps_matches_the_mean_of_plus_minus_scores(scores in prop::collection::vec(0u8..=10, 1..60)) {
        let r = nps_of(&scores);
        let x: Vec<f64> = scores.iter().map(|&s| if s >= 9 { 1.0 } else if s >= 7 { 0.0 } else { -1.0 }).collect();
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        prop_assert!((r.score() - 100.0 * mean).abs() < 1e-9);
        prop_assert!((r.standard_error() - 100.0 * (var / n).sqrt()).abs() < 1e-9);
    }

    /// Second method for weighted CSAT: mean, sd, share and Kish's n_eff computed directly.
    #[test]
    fn weighted_csat_matches_direct_computation(
        rows in prop::collection::vec((1u8..=5, 1i64..=100_000), 1..40),
    ) {
        let mut csat = Csat::default();
        for &(s, w) in &rows {
            csat.record(Response::weighted(f64::from(s), Decimal::new(w, 2)).unwrap()).unwrap();
        }
        let r = csat.value().unwrap();
        let w: Vec<f64> = rows.iter().map(|&(_, w)| w as f64 / 100.0).collect();
        let x: Vec<f64> = rows.iter().map(|&(s, _)| f64::from(s)).collect();
        let sw: f64 = w.iter().sum();
        let mean = w.iter().zip(&x).map(|(w, x)| w * x).sum::<f64>() / sw;
        let var = w.iter().zip(&x).map(|(w, x)| w * (x - mean) * (x - mean)).sum::<f64>() / sw;
        let share = w.iter().zip(&x).filter(|(_, x)| **x >= 4.0).map(|(w, _)| w).sum::<f64>() / sw;
        let n_eff = sw * sw / w.iter().map(|w| w * w).sum::<f64>();
        prop_assert!((r.mean() - mean).abs() < 1e-9);
        prop_assert!((r.standard_deviation() - var.sqrt()).abs() < 1e-6);
        prop_assert!((r.favourable_share() - share).abs() < 1e-12);
        prop_assert!((r.effective_responses() - n_eff).abs() < 1e-9 * n_eff);
    }

    #[test]
    fn serde_round_trips(a in responses(0, 10), b in responses(1, 5), level in 0.01f64..0.999) {
        let nps = common::record_all::<Nps>(&a)?;
        round_trip(&nps);
        let csat = common::record_all::<Csat>(&b)?;
        round_trip(&csat);
        round_trip(&common::record_all::<CesEffort>(&b)?);
        let seg: Vec<(String, Response)> = a.iter().enumerate().map(|(i, r)| ((i % 3).to_string(), *r)).collect();
        let seg = common::record_all::<Segmented<String, Nps>>(&seg)?;
        round_trip(&seg);
        for r in &a { round_trip(r); }
        if let Some(report) = nps.value() {
            round_trip_floats(&report);
            round_trip_floats(&report.interval(level, NpsMethod::AdjustedWald).unwrap());
            round_trip_floats(&report.compare(&report, NpsMethod::AdjustedWald).unwrap());
            round_trip_floats(&seg.value().unwrap());
        }
        if let Some(report) = csat.value() {
            round_trip_floats(&report);
            round_trip_floats(&report.favourable_interval(level).unwrap());
            round_trip_floats(&report.mean_interval(level).unwrap());
        }
    }
}
