//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::fmt::Debug;

use customer_metrics::Metric;
use proptest::test_runner::TestCaseError;

/// Records `inputs` into a fresh metric. An input that is rejected must leave the metric
/// unchanged (the "failed record is a no-op" law); it is then skipped.
pub fn record_all<M>(inputs: &[M::Input]) -> Result<M, TestCaseError>
where
    M: Metric + Clone + PartialEq + Debug,
    M::Input: Clone,
{
    let mut metric = M::default();
    for input in inputs {
        let before = metric.clone();
        if metric.record(input.clone()).is_err() {
            proptest::prop_assert_eq!(&metric, &before, "a rejected record changed the metric");
        }
    }
    Ok(metric)
}

fn merged<M>(left: &M, right: &M) -> Result<M, TestCaseError>
where
    M: Metric + Clone + PartialEq + Debug,
{
    let mut out = left.clone();
    out.merge(right).map_err(|e| TestCaseError::fail(format!("merge failed: {e}")))?;
    Ok(out)
}

/// The one generic law checker for every [`Metric`]: with exact equality, `default()` is the
/// identity of `merge`, `merge` is commutative and associative, and recording `a ++ b` equals
/// recording `a` and `b` apart and merging.
pub fn check_metric_laws<M>(a: &[M::Input], b: &[M::Input], c: &[M::Input]) -> Result<(), TestCaseError>
where
    M: Metric + Clone + PartialEq + Debug,
    M::Input: Clone,
{
    let (ma, mb, mc) = (record_all::<M>(a)?, record_all::<M>(b)?, record_all::<M>(c)?);
    let identity = M::default();
    proptest::prop_assert_eq!(&merged(&identity, &ma)?, &ma, "default is not a left identity");
    proptest::prop_assert_eq!(&merged(&ma, &identity)?, &ma, "default is not a right identity");
    proptest::prop_assert_eq!(merged(&ma, &mb)?, merged(&mb, &ma)?, "merge is not commutative");
    proptest::prop_assert_eq!(
        merged(&merged(&ma, &mb)?, &mc)?,
        merged(&ma, &merged(&mb, &mc)?)?,
        "merge is not associative"
    );
    let whole: Vec<M::Input> = a.iter().chain(b).cloned().collect();
    proptest::prop_assert_eq!(
        record_all::<M>(&whole)?,
        merged(&ma, &mb)?,
        "record(a ++ b) != record(a) + record(b)"
    );
    Ok(())
}

/// Compile-time check that a type is `Send + Sync`.
pub fn assert_send_sync<T: Send + Sync>() {}

/// Reads a file of `tests/data/`.
pub fn data_file(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The published CDNOW 39-week calibration summary (`tests/data/cdnow_summary.csv`:
/// ID,x,t_x,T,zbar in weeks; Fader, Hardie & Lee 2005), all 2,357 customers, with z̄ as the
/// monetary value.
pub fn cdnow_summaries() -> Vec<customer_metrics::CustomerSummary> {
    data_file("cdnow_summary.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            customer_metrics::CustomerSummary::new(
                f[1].parse().expect("x"),
                f[2].parse().expect("t_x"),
                f[3].parse().expect("T"),
                f[4].trim().parse().expect("zbar"),
            )
            .expect("valid summary")
        })
        .collect()
}

/// The 22 recency/frequency cells of the 1995 donor cohort (`tests/data/donations.csv`:
/// frequency, recency, periods, weights; Fader, Hardie & Shang 2010) and their weights.
pub fn donations() -> (Vec<customer_metrics::BgBbCustomer>, Vec<f64>) {
    data_file("donations.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.trim().split(',').collect();
            let row = customer_metrics::BgBbCustomer::new(
                f[0].parse().expect("frequency"),
                f[1].parse().expect("recency"),
                f[2].parse().expect("periods"),
            )
            .expect("valid cell");
            (row, f[3].parse::<f64>().expect("weight"))
        })
        .unzip()
}

/// The batch and multi-horizon predictions of `model` equal its one-customer, one-horizon
/// predictions bit for bit, on `data` (memos and shared work must not change a value).
#[allow(dead_code)]
pub fn check_batch_and_path(
    model: &dyn customer_metrics::PurchaseModel,
    data: &[customer_metrics::CustomerSummary],
) {
    let alive = model.probability_alive_batch(data);
    for t in [0.0, 10.0, 39.0, 52.0] {
        let batch = model.conditional_expected_purchases_batch(data, t).expect("valid horizon");
        assert_eq!(batch.len(), data.len());
        for ((c, b), a) in data.iter().zip(&batch).zip(&alive) {
            assert_eq!(
                *b,
                model.conditional_expected_purchases(c, t).expect("valid horizon"),
                "{c:?} at {t}"
            );
            assert_eq!(*a, model.probability_alive(c), "{c:?}");
        }
    }
    let horizons: Vec<f64> = (0..13).map(|k| 4.345 * f64::from(k)).collect();
    let mut path = vec![0.0; horizons.len()];
    for c in data.iter().step_by(7) {
        model.conditional_expected_purchases_path(c, &horizons, &mut path).expect("valid horizons");
        for (&t, p) in horizons.iter().zip(&path) {
            let single = model.conditional_expected_purchases(c, t).expect("valid horizon");
            assert!((p - single).abs() <= 1e-14 * single.abs(), "{c:?} at {t}: path {p} vs {single}");
        }
    }
    let mut short = vec![0.0; 2];
    assert!(matches!(
        model.conditional_expected_purchases_path(&data[0], &horizons, &mut short),
        Err(customer_metrics::Error::Mismatch { .. })
    ));
    let mut one = [0.0];
    assert!(matches!(
        model.conditional_expected_purchases_path(&data[0], &[-1.0], &mut one),
        Err(customer_metrics::Error::InvalidParameter { .. })
    ));
    assert!(model.conditional_expected_purchases_batch(data, f64::NAN).is_err());
}
