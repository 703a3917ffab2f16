//! Integration tests of the retention module: lifelines reference fixture, hand-worked
//! references, metric laws, no-panic properties and serde.

mod common;

use chrono::NaiveDate;
use common::{assert_send_sync, check_metric_laws, data_file};
use customer_metrics::{
    ChurnRates, CohortBuilder, CohortRow, CohortTable, CustomerRevenue, CustomerStatus, Error, KaplanMeier,
    LifeTable, LifeTableRow, MedianSurvival, Metric, Period, PeriodCounts, RevenueMovements,
    RevenueRetention, SurvivalInterval, SurvivalPoint, Tenure, Transaction, annual_churn_from_monthly,
    expected_future_periods, expected_lifetime, rescale_churn, rescale_retention,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

/// Absolute tolerance against lifelines (the brief's requirement).
const LIFELINES_TOL: f64 = 1e-9;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn opt(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn assert_close(name: &str, what: &str, ours: &[f64], theirs: &[f64], max_diff: &mut f64) {
    assert_eq!(ours.len(), theirs.len(), "{name}: {what} length");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let diff = (a - b).abs();
        *max_diff = max_diff.max(diff);
        assert!(diff <= LIFELINES_TOL, "{name}: {what}[{i}] ours {a} lifelines {b}");
    }
}

fn assert_same_time(name: &str, what: &str, ours: Option<f64>, theirs: Option<f64>) {
    match (ours, theirs) {
        (None, None) => {}
        (Some(a), Some(b)) => {
            assert!((a - b).abs() <= LIFELINES_TOL, "{name}: {what} ours {a} lifelines {b}")
        }
        _ => panic!("{name}: {what} ours {ours:?} lifelines {theirs:?}"),
    }
}

/// Source: `scripts/km_fixture.py` run with lifelines 0.30.3 (`tests/data/km_lifelines.json`).
#[test]
fn kaplan_meier_matches_lifelines() {
    let fixture: Value = serde_json::from_str(&data_file("km_lifelines.json")).unwrap();
    assert_eq!(fixture["lifelines_version"], "0.30.3");
    let mut max_diff: f64 = 0.0;
    let datasets = fixture["datasets"].as_array().unwrap();
    assert!(datasets.len() >= 10);
    for d in datasets {
        let name = d["name"].as_str().unwrap();
        let durations = floats(&d["durations"]);
        let observed: Vec<bool> =
            d["observed"].as_array().unwrap().iter().map(|x| x.as_bool().unwrap()).collect();
        let tenures: Vec<Tenure> =
            durations.iter().zip(&observed).map(|(&t, &e)| Tenure::new(t, e).unwrap()).collect();
        let km = if d["weights"].is_null() {
            // Unweighted data go through the mergeable life table, split in two shards.
            let (left, right) = tenures.split_at(tenures.len() / 2);
            let mut a = LifeTable::default();
            a.record_all(right.iter().copied()).unwrap();
            let mut b = LifeTable::default();
            b.record_all(left.iter().copied()).unwrap();
            a.merge(&b).unwrap();
            let km = a.value().unwrap();
            assert_eq!(km, KaplanMeier::fit(tenures.clone()).unwrap());
            km
        } else {
            KaplanMeier::fit_columns(&durations, &observed, Some(&floats(&d["weights"]))).unwrap()
        };
        let points = km.points();
        let col = |f: fn(&SurvivalPoint) -> f64| points.iter().map(f).collect::<Vec<f64>>();
        assert_close(name, "timeline", &col(|p| p.time), &floats(&d["timeline"]), &mut max_diff);
        assert_close(name, "at_risk", &col(|p| p.at_risk), &floats(&d["at_risk"]), &mut max_diff);
        assert_close(name, "events", &col(|p| p.events), &floats(&d["events"]), &mut max_diff);
        assert_close(name, "removed", &col(|p| p.events + p.censored), &floats(&d["removed"]), &mut max_diff);
        assert_close(name, "survival", &col(|p| p.survival), &floats(&d["survival"]), &mut max_diff);
        assert_same_time(name, "median", km.median(), opt(&d["median"]));
        let times = floats(&d["predict_times"]);
        let predicted: Vec<f64> = times.iter().map(|&t| km.survival_at(t).unwrap()).collect();
        assert_close(name, "predict", &predicted, &floats(&d["predict_survival"]), &mut max_diff);
        for q in d["quantiles"].as_array().unwrap() {
            let level = q["q"].as_f64().unwrap();
            assert_same_time(
                name,
                &format!("quantile {level}"),
                km.quantile(level).unwrap(),
                opt(&q["time"]),
            );
        }
        if !d["compare_variance"].as_bool().unwrap() {
            continue;
        }
        assert_close(
            name,
            "greenwood_sum",
            &col(|p| p.greenwood_sum),
            &floats(&d["greenwood_sum"]),
            &mut max_diff,
        );
        for level in d["levels"].as_array().unwrap() {
            let l = level["level"].as_f64().unwrap();
            let band = km.confidence_band(l).unwrap();
            let lower: Vec<f64> = band.iter().map(|b| b.lower).collect();
            let upper: Vec<f64> = band.iter().map(|b| b.upper).collect();
            assert_close(name, &format!("lower {l}"), &lower, &floats(&level["lower"]), &mut max_diff);
            assert_close(name, &format!("upper {l}"), &upper, &floats(&level["upper"]), &mut max_diff);
            let median = km.median_survival(l).unwrap();
            assert_same_time(name, "median lower", median.lower, opt(&level["median_lower"]));
            assert_same_time(name, "median upper", median.upper, opt(&level["median_upper"]));
            // The step-function CI at each timeline point equals the band.
            for (p, b) in points.iter().zip(&band) {
                assert_eq!(km.confidence_interval_at(p.time, l).unwrap(), *b);
            }
        }
    }
    println!("max abs difference vs lifelines: {max_diff:e}");
}

#[test]
fn hand_worked_kaplan_meier_with_ties() {
    // Durations (+ = censored): 1, 1, 1+, 4, 4+, 4+, 7. Worked by hand:
    // t=1: n=7, d=2 → S = 5/7; t=4: n=4, d=1 → S = 5/7 · 3/4 = 15/28; t=7: n=1, d=1 → S = 0.
    // Greenwood sum at 4: 2/(7·5) + 1/(4·3) = 2/35 + 1/12 = 59/420.
    let data = [(1.0, true), (1.0, true), (1.0, false), (4.0, true), (4.0, false), (4.0, false), (7.0, true)];
    let km = KaplanMeier::fit(data.iter().map(|&(d, e)| Tenure::new(d, e).unwrap())).unwrap();
    assert!((km.survival_at(1.0).unwrap() - 5.0 / 7.0).abs() < 1e-15);
    assert!((km.survival_at(6.9).unwrap() - 15.0 / 28.0).abs() < 1e-15);
    assert_eq!(km.survival_at(7.0).unwrap(), 0.0);
    assert!((km.points()[2].greenwood_sum - 59.0 / 420.0).abs() < 1e-15);
    assert_eq!(km.median(), Some(7.0)); // S(4) = 0.536 > 0.5
    assert_eq!(km.subjects(), 7.0);
    assert_eq!(km.events(), 4.0);
    // Weights of 2 on every tenure give the same curve (weights count as customers).
    let weighted =
        KaplanMeier::fit_weighted(data.iter().map(|&(d, e)| (Tenure::new(d, e).unwrap(), 2.0))).unwrap();
    for (a, b) in weighted.points().iter().zip(km.points()) {
        assert!((a.survival - b.survival).abs() < 1e-15);
        assert_eq!(a.at_risk, 2.0 * b.at_risk);
    }
}

#[test]
fn churn_references() {
    // 5 % monthly → 1 − 0.95^12 = 0.4596399123 annual (not 12·0.05 = 0.6).
    assert!((annual_churn_from_monthly(0.05).unwrap() - 0.459_639_912_3).abs() < 1e-10);
    // 10 % per quarter → 1 − 0.9^(1/3) = 0.0345106153943703 per month (Python: 1 - 0.9 ** (1 / 3)).
    assert!((rescale_churn(0.10, 1.0 / 3.0).unwrap() - 0.034_510_615_394_370_3).abs() < 1e-15);
    // 90 % monthly retention → 0.9^12 = 0.2824295365 annual.
    assert!((rescale_retention(0.9, 12.0).unwrap() - 0.282_429_536_5).abs() < 1e-10);
    assert_eq!(expected_lifetime(0.25).unwrap(), 4.0);
    assert!((expected_future_periods(0.75).unwrap() - 3.0).abs() < 1e-15);
    // NRR on the starting cohort: 120,000 ARR; 6,000 churned; 4,000 contraction; 16,000 expansion:
    // GRR = 110/120 = 0.91666…, NRR = 126/120 = 1.05.
    let d = Decimal::from;
    let r = RevenueMovements::new(d(120_000), d(6_000), d(4_000), d(16_000)).unwrap();
    assert_eq!(r.net_revenue_retention().unwrap(), Decimal::new(105, 2));
    assert_eq!(r.gross_revenue_retention().unwrap().round_dp(6), Decimal::new(916_667, 6));
}

#[test]
fn cohort_table_by_hand() {
    // Customers and months of 2024 (activity = any transaction, even a refund):
    //   a: Jan, Feb, Apr     b: Jan           c: Jan (refund), Mar
    //   d: Feb, Mar          e: Mar, Apr (data end: 15 April → April not fully observed)
    // Jan cohort {a,b,c}: Jan 3, Feb 1 (a), Mar 1 (c), Apr None.
    // Feb cohort {d}:     Feb 1, Mar 1, Apr None.
    // Mar cohort {e}:     Mar 1, Apr None.
    let rows = [
        ("a", date(2024, 1, 3), 10),
        ("a", date(2024, 2, 3), 10),
        ("a", date(2024, 4, 1), 10),
        ("b", date(2024, 1, 31), 5),
        ("c", date(2024, 1, 10), -5),
        ("c", date(2024, 3, 9), 5),
        ("d", date(2024, 2, 29), 5),
        ("d", date(2024, 3, 1), 5),
        ("e", date(2024, 3, 31), 5),
        ("e", date(2024, 4, 15), 5),
    ];
    // Record in reverse order on two shards, then merge.
    let mut left = CohortBuilder::default();
    let mut right = CohortBuilder::default();
    for (i, &(c, at, amount)) in rows.iter().rev().enumerate() {
        let shard = if i % 2 == 0 { &mut left } else { &mut right };
        shard.record(Transaction::new(c, at, Decimal::from(amount))).unwrap();
    }
    left.merge(&right).unwrap();
    let table = left.value().unwrap();
    assert_eq!(table.observation_end(), date(2024, 4, 15));
    let got: Vec<(NaiveDate, u64, Vec<Option<u64>>)> =
        table.cohorts().iter().map(|r| (r.start, r.size, r.active.clone())).collect();
    assert_eq!(
        got,
        [
            (date(2024, 1, 1), 3, vec![Some(3), Some(1), Some(1), None]),
            (date(2024, 2, 1), 1, vec![Some(1), Some(1), None]),
            (date(2024, 3, 1), 1, vec![Some(1), None]),
        ]
    );
    assert_eq!(table.cohorts()[0].retention[1], Some(1.0 / 3.0));
    // With the observation end at 30 April, April is complete: Jan cohort Apr = 1 (a), Mar cohort Apr = 1.
    let full = left.table(Period::CalendarMonth, Some(date(2024, 4, 30))).unwrap();
    assert_eq!(full.cohorts()[0].active[3], Some(1));
    assert_eq!(full.cohorts()[2].active, [Some(1), Some(1)]);
    // 30-day periods from 1 Jan (period k = days 30k..30k+29 of the year, 0-based), observed
    // through 29 April = day 119 (period 3 complete):
    //   a: days 2, 33, 91 → periods 0, 1, 3     b: day 30 → period 1
    //   c: days 9, 68 → periods 0, 2            d: days 59, 60 → periods 1, 2
    //   e: days 90, 105 → period 3
    // Cohort 0 {a, c}: 2, 1 (a), 1 (c), 1 (a). Cohort 1 {b, d}: 2, 1 (d), 0. Cohort 3 {e}: 1.
    let days = left.table(Period::days(30, date(2024, 1, 1)).unwrap(), Some(date(2024, 4, 29))).unwrap();
    let got: Vec<(NaiveDate, Vec<Option<u64>>)> =
        days.cohorts().iter().map(|r| (r.start, r.active.clone())).collect();
    assert_eq!(
        got,
        [
            (date(2024, 1, 1), vec![Some(2), Some(1), Some(1), Some(1)]),
            (date(2024, 1, 31), vec![Some(2), Some(1), Some(0)]),
            (date(2024, 3, 31), vec![Some(1)]),
        ]
    );
}

#[test]
fn public_types_are_send_sync() {
    assert_send_sync::<Tenure>();
    assert_send_sync::<LifeTable>();
    assert_send_sync::<LifeTableRow>();
    assert_send_sync::<KaplanMeier>();
    assert_send_sync::<SurvivalPoint>();
    assert_send_sync::<SurvivalInterval>();
    assert_send_sync::<MedianSurvival>();
    assert_send_sync::<PeriodCounts>();
    assert_send_sync::<CustomerStatus>();
    assert_send_sync::<ChurnRates>();
    assert_send_sync::<RevenueMovements>();
    assert_send_sync::<RevenueRetention>();
    assert_send_sync::<CustomerRevenue>();
    assert_send_sync::<Period>();
    assert_send_sync::<CohortBuilder<String>>();
    assert_send_sync::<CohortTable>();
    assert_send_sync::<CohortRow>();
}

#[test]
fn serde_round_trips_and_rejects_tampering() {
    // serde_json's default float parser may be 1 ulp off, so numbers compare at 1e-15 relative.
    fn close(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                (x - y).abs() <= 1e-15 * x.abs().max(1.0)
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| close(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w)))
            }
            _ => a == b,
        }
    }
    fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> String {
        let json = serde_json::to_string(value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap();
        assert!(
            close(&serde_json::to_value(&back).unwrap(), &serde_json::to_value(value).unwrap()),
            "{json}"
        );
        json
    }
    let km = KaplanMeier::fit([
        Tenure::churned(1.0).unwrap(),
        Tenure::censored(2.0).unwrap(),
        Tenure::churned(3.0).unwrap(),
    ])
    .unwrap();
    let json = round_trip(&km);
    let tampered = json.replacen("\"survival\":1.0", "\"survival\":0.9", 1);
    assert_ne!(tampered, json);
    assert!(serde_json::from_str::<KaplanMeier>(&tampered).is_err());
    assert!(serde_json::from_str::<Tenure>(r#"{"duration":-1.0,"observed":true}"#).is_err());
    round_trip(&Tenure::censored(2.5).unwrap());
    let mut table = LifeTable::default();
    table.record_all([Tenure::churned(1.0).unwrap(), Tenure::censored(1.0).unwrap()]).unwrap();
    round_trip(&table);
    assert!(
        serde_json::from_str::<LifeTable>(
            r#"[{"time":2.0,"events":1,"censored":0},{"time":1.0,"events":1,"censored":0}]"#
        )
        .is_err()
    );
    assert!(serde_json::from_str::<LifeTableRow>(r#"{"time":-1.0,"events":1,"censored":0}"#).is_err());
    let point =
        r#"{"time":1.0,"at_risk":3.0,"events":1.0,"censored":0.0,"survival":1.5,"greenwood_sum":0.0}"#;
    assert!(serde_json::from_str::<SurvivalPoint>(point).is_err());
    round_trip(&km.median_survival(0.95).unwrap());
    round_trip(&km.confidence_band(0.9).unwrap());
    assert!(serde_json::from_str::<SurvivalInterval>(r#"{"lower":0.6,"upper":0.5}"#).is_err());
    assert!(serde_json::from_str::<SurvivalInterval>(r#"{"lower":-0.1,"upper":0.5}"#).is_err());
    assert!(
        serde_json::from_str::<MedianSurvival>(r#"{"level":0.95,"median":5.0,"lower":6.0,"upper":null}"#)
            .is_err()
    );
    assert!(
        serde_json::from_str::<MedianSurvival>(r#"{"level":0.95,"median":null,"lower":4.0,"upper":2.0}"#)
            .is_err()
    );
    assert!(
        serde_json::from_str::<MedianSurvival>(r#"{"level":1.5,"median":null,"lower":null,"upper":null}"#)
            .is_err()
    );
    assert!(
        serde_json::from_str::<ChurnRates>(r#"{"churn":0.1,"retention":0.8,"average_base_churn":0.1}"#)
            .is_err()
    );
    let rates = r#"{"churn":0.1,"retention":0.9,"average_base_churn":0.1}"#;
    assert_eq!(serde_json::from_str::<ChurnRates>(rates).unwrap().retention, 0.9);
    let mut revenue = RevenueRetention::default();
    round_trip(&revenue);
    revenue.record(CustomerRevenue::new(Decimal::from(10), Decimal::from(12)).unwrap()).unwrap();
    round_trip(&revenue);
    round_trip(&CustomerRevenue::new(Decimal::from(10), Decimal::ZERO).unwrap());
    assert!(serde_json::from_str::<CustomerRevenue>(r#"{"start":"0","end":"1"}"#).is_err());
    assert!(
        serde_json::from_str::<RevenueRetention>(
            r#"{"starting":"1","churned":"2","contraction":"0","expansion":"0"}"#
        )
        .is_err()
    );
    round_trip(&PeriodCounts::new(10, 2, 3).unwrap());
    assert!(serde_json::from_str::<PeriodCounts>(r#"{"start":1,"lost":2,"new":0}"#).is_err());
    round_trip(&PeriodCounts::new(10, 2, 3).unwrap().value().unwrap());
    round_trip(&CustomerStatus::Lost);
    let d = Decimal::from;
    round_trip(&RevenueMovements::new(d(100), d(10), d(5), d(20)).unwrap());
    assert!(
        serde_json::from_str::<RevenueMovements>(
            r#"{"starting":"0","churned":"0","contraction":"0","expansion":"0"}"#
        )
        .is_err()
    );
    assert!(serde_json::from_str::<Period>(r#"{"Days":{"length":0,"origin":"2024-01-01"}}"#).is_err());
    round_trip(&Period::days(7, date(2024, 1, 1)).unwrap());
    let mut builder = CohortBuilder::default();
    builder.record(Transaction::new(7u64, date(2024, 1, 2), Decimal::ONE)).unwrap();
    builder.record(Transaction::new(8u64, date(2024, 3, 2), Decimal::ONE)).unwrap();
    round_trip(&builder);
    assert!(serde_json::from_str::<CohortBuilder<u64>>(r#"{"7":[]}"#).is_err());
    let cohorts = builder.value().unwrap();
    let json = round_trip(&cohorts);
    for (from, to) in [
        ("\"size\":1", "\"size\":2"),
        ("[1.0,0.0", "[1.0,0.5"),
        ("[1,0", "[1,1"),
        ("\"start\":\"2024-03-01\"", "\"start\":\"2023-12-01\""),
    ] {
        let tampered = json.replacen(from, to, 1);
        assert_ne!(tampered, json, "{from} not in {json}");
        assert!(serde_json::from_str::<CohortTable>(&tampered).is_err(), "{tampered}");
    }
}

fn arb_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        -1e6..1e6f64,
        0.0..50.0f64,
        any::<f64>(),
    ]
}

fn arb_tenure() -> impl Strategy<Value = Tenure> {
    ((0u32..40).prop_map(|t| f64::from(t) / 2.0), any::<bool>()).prop_map(|(d, e)| Tenure::new(d, e).unwrap())
}

fn arb_status() -> impl Strategy<Value = CustomerStatus> {
    prop_oneof![Just(CustomerStatus::Retained), Just(CustomerStatus::Lost), Just(CustomerStatus::New)]
}

fn arb_revenue() -> impl Strategy<Value = CustomerRevenue> {
    (1i64..1_000_000, prop_oneof![Just(0i64), 0i64..2_000_000])
        .prop_map(|(start, end)| CustomerRevenue::new(Decimal::new(start, 2), Decimal::new(end, 2)).unwrap())
}

fn arb_transaction() -> impl Strategy<Value = Transaction<u8>> {
    (0u8..12, 0u32..400, -50i64..500).prop_map(|(c, day, amount)| {
        Transaction::new(c, date(2023, 1, 1) + chrono::Days::new(u64::from(day)), Decimal::new(amount, 2))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn life_table_laws(a in prop::collection::vec(arb_tenure(), 0..20), b in prop::collection::vec(arb_tenure(), 0..20), c in prop::collection::vec(arb_tenure(), 0..20)) {
        check_metric_laws::<LifeTable>(&a, &b, &c)?;
    }

    #[test]
    fn period_counts_laws(a in prop::collection::vec(arb_status(), 0..30), b in prop::collection::vec(arb_status(), 0..30), c in prop::collection::vec(arb_status(), 0..30)) {
        check_metric_laws::<PeriodCounts>(&a, &b, &c)?;
    }

    #[test]
    fn revenue_retention_laws(a in prop::collection::vec(arb_revenue(), 0..20), b in prop::collection::vec(arb_revenue(), 0..20), c in prop::collection::vec(arb_revenue(), 0..20)) {
        check_metric_laws::<RevenueRetention>(&a, &b, &c)?;
        let mut all = RevenueRetention::default();
        all.record_all(a.iter().chain(&b).chain(&c).copied()).unwrap();
        if let Some(m) = all.value() {
            let grr = m.gross_revenue_retention().unwrap();
            prop_assert!(grr >= Decimal::ZERO && grr <= Decimal::ONE);
            prop_assert!(m.net_revenue_retention().unwrap() >= grr);
        }
    }

    #[test]
    fn cohort_builder_laws(a in prop::collection::vec(arb_transaction(), 0..25), b in prop::collection::vec(arb_transaction(), 0..25), c in prop::collection::vec(arb_transaction(), 0..25)) {
        check_metric_laws::<CohortBuilder<u8>>(&a, &b, &c)?;
    }

    #[test]
    fn no_panics_on_arbitrary_floats(x in arb_f64(), y in arb_f64(), w in arb_f64(), e in any::<bool>()) {
        let _ = Tenure::new(x, e);
        let _ = rescale_churn(x, y);
        let _ = rescale_retention(x, y);
        let _ = expected_lifetime(x);
        let _ = expected_future_periods(x);
        let _ = annual_churn_from_monthly(x);
        if let Ok(t) = Tenure::new(x, e) {
            let fitted = KaplanMeier::fit_weighted([(t, w), (Tenure::churned(1.0).unwrap(), 1.0)]);
            if let Ok(km) = fitted {
                let _ = km.survival_at(y);
                let _ = km.confidence_interval_at(y, w);
                let _ = km.quantile(y);
                let _ = km.median_survival(w);
            }
        }
        if let Ok(c) = rescale_churn(x, y) {
            prop_assert!((0.0..=1.0).contains(&c));
        }
    }

    #[test]
    fn survival_curve_properties(
        tenures in prop::collection::vec((arb_tenure(), 0.05..5.0f64), 1..60),
        level in 0.01..0.999f64,
        weighted in any::<bool>(),
    ) {
        let km = if weighted {
            KaplanMeier::fit_weighted(tenures).unwrap()
        } else {
            KaplanMeier::fit(tenures.into_iter().map(|(t, _)| t)).unwrap()
        };
        let band = km.confidence_band(level).unwrap();
        let mut previous = 1.0;
        for (p, b) in km.points().iter().zip(&band) {
            prop_assert!((0.0..=1.0).contains(&p.survival));
            prop_assert!(p.survival <= previous);
            previous = p.survival;
            prop_assert!(0.0 <= b.lower && b.lower <= p.survival + 1e-12, "{:?} {:?}", p, b);
            prop_assert!(p.survival <= b.upper + 1e-12 && b.upper <= 1.0, "{:?} {:?}", p, b);
        }
        let m = km.median_survival(level).unwrap();
        if let (Some(lo), Some(med)) = (m.lower, m.median) { prop_assert!(lo <= med); }
        if let (Some(med), Some(hi)) = (m.median, m.upper) { prop_assert!(med <= hi); }
    }

    #[test]
    fn cohort_shares(transactions in prop::collection::vec(arb_transaction(), 1..60), length in 1u32..60, monthly in any::<bool>()) {
        let mut builder = CohortBuilder::default();
        builder.record_all(transactions).unwrap();
        let period = if monthly { Period::CalendarMonth } else { Period::days(length, date(2023, 2, 10)).unwrap() };
        let table = builder.table(period, None).unwrap();
        let total: u64 = table.cohorts().iter().map(|r| r.size).sum();
        prop_assert_eq!(total as usize, builder.customers());
        for row in table.cohorts() {
            prop_assert_eq!(row.retention.first(), Some(&Some(1.0)));
            for share in row.retention.iter().flatten() {
                prop_assert!((0.0..=1.0).contains(share));
            }
            // Once an offset is unobserved, all later ones are too.
            let first_none = row.active.iter().position(Option::is_none).unwrap_or(row.active.len());
            prop_assert!(row.active[first_none..].iter().all(Option::is_none));
        }
        let json = serde_json::to_string(&table).unwrap();
        let back: CohortTable = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, table);
    }

    #[test]
    fn period_counts_rates(start in 0u64..1000, lost_share in 0.0..=1.0f64, new in 0u64..1000) {
        let lost = (start as f64 * lost_share) as u64;
        let counts = PeriodCounts::new(start, lost, new).unwrap();
        match counts.value() {
            Some(r) => {
                prop_assert!((r.churn + r.retention - 1.0).abs() < 1e-12);
                prop_assert!((0.0..=1.0).contains(&r.churn));
                prop_assert!(r.average_base_churn >= 0.0);
            }
            None => prop_assert_eq!(start, 0),
        }
        let too_many = PeriodCounts::new(start, start + 1, new);
        prop_assert!(matches!(too_many, Err(Error::InvalidParameter { name: "lost", .. })), "{:?}", too_many);
    }
}
