//! Transaction summaries: the CDNOW calibration summary reproduced from the raw transactions,
//! sharding and ordering invariance, and input validation.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use customer_metrics::{
    CustomerSummary, Error, RecencyFrequencyMatrix, Rounding, SummaryBuilder, SummaryOptions, Transaction,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// `tests/data/cdnow_sample_transactions.txt`: original id, new id, YYYYMMDD, CDs, dollars.
fn cdnow_transactions() -> Vec<Transaction<u32>> {
    common::data_file("cdnow_sample_transactions.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let id: u32 = f[1].parse().expect("id");
            let day = NaiveDate::parse_from_str(f[2], "%Y%m%d").expect("date");
            let amount: Decimal = f[4].parse().expect("amount");
            Transaction::new(id, day, amount)
        })
        .collect()
}

fn cdnow_options() -> SummaryOptions {
    SummaryOptions::default()
        .period_days(7.0)
        .calibration_end(date(1997, 9, 30))
        .observation_end(date(1998, 6, 30))
}

/// Source: `tests/data/cdnow_summary.csv`, the published 39-week calibration summary of the
/// CDNOW 1/10th sample (Fader, Hardie & Lee 2005; conventions in shared/REFERENCES.md).
#[test]
fn cdnow_summary_is_reproduced_for_every_customer() {
    let transactions = cdnow_transactions();
    assert_eq!(transactions.len(), 6919);
    let mut builder = SummaryBuilder::new(cdnow_options()).expect("valid options");
    builder.record_all(&transactions).expect("valid transactions");
    let summaries = builder.build().expect("summaries");
    assert_eq!(summaries.customers.len(), 2357);
    assert!(summaries.holdout_only.is_empty());

    let published = common::data_file("cdnow_summary.csv");
    let mut rows = 0;
    for (line, record) in published.lines().skip(1).zip(&summaries.customers) {
        let f: Vec<&str> = line.split(',').collect();
        let id: u32 = f[0].parse().expect("id");
        let x: u32 = f[1].parse().expect("x");
        let t_x: f64 = f[2].parse().expect("t_x");
        let big_t: f64 = f[3].parse().expect("T");
        let zbar: Decimal = f[4].parse().expect("zbar");
        let s = &record.summary;
        assert_eq!(record.id, id);
        assert_eq!(s.frequency(), x, "customer {id}: x");
        // The published values are rounded to 2 decimals: ours must round to the same.
        assert!((s.recency() - t_x).abs() <= 0.005 + 1e-9, "customer {id}: t_x {} vs {t_x}", s.recency());
        assert!((s.age() - big_t).abs() <= 0.005 + 1e-9, "customer {id}: T {} vs {big_t}", s.age());
        assert_eq!(
            s.monetary_value()
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
            zbar,
            "customer {id}: zbar {}",
            s.monetary_value()
        );
        rows += 1;
    }
    assert_eq!(rows, 2357);
}

/// Holdout purchases (1997-10-01..1998-06-30) checked against a brute-force second method:
/// the set of distinct purchase days per customer.
#[test]
fn cdnow_holdout_purchases_match_a_brute_force_count() {
    let transactions = cdnow_transactions();
    let mut days: BTreeMap<u32, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut spend: BTreeMap<u32, Decimal> = BTreeMap::new();
    for t in &transactions {
        days.entry(t.customer).or_default().insert(t.date());
        if t.date() > date(1997, 9, 30) {
            *spend.entry(t.customer).or_default() += t.amount;
        }
    }
    let mut builder = SummaryBuilder::new(cdnow_options()).expect("valid options");
    builder.record_all(&transactions).expect("valid transactions");
    let summaries = builder.build().expect("summaries");
    let mut total = 0u64;
    for record in &summaries.customers {
        let expected = days[&record.id].iter().filter(|d| **d > date(1997, 9, 30)).count();
        let holdout = record.summary.holdout().expect("calibration split");
        assert_eq!(holdout.frequency() as usize, expected, "customer {}", record.id);
        assert_eq!(holdout.spend(), spend.get(&record.id).copied().unwrap_or_default());
        assert!((holdout.length() - 273.0 / 7.0).abs() < 1e-12); // 1997-10-01..1998-06-30 = 273 days
        total += expected as u64;
    }
    // Tracking series: every repeat purchase appears once, in calibration or holdout.
    let tracked_holdout: u64 = summaries.tracking.iter().map(|p| p.holdout).sum();
    let tracked_calibration: u64 = summaries.tracking.iter().map(|p| p.calibration).sum();
    let repeat: u64 = summaries.customers.iter().map(|c| u64::from(c.summary.frequency())).sum();
    assert_eq!(tracked_holdout, total);
    assert_eq!(tracked_calibration, repeat);
    assert_eq!(summaries.tracking[0].start, date(1997, 1, 1));
    assert_eq!(summaries.tracking[1].start, date(1997, 1, 8));
    // 78 weeks from 1997-01-01 cover the data through 1998-06-30.
    assert_eq!(summaries.tracking.len(), 78);
}

#[test]
fn recency_frequency_matrix_counts_every_customer() {
    let published = common::data_file("cdnow_summary.csv");
    let summaries: Vec<CustomerSummary> = published
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<f64> = line.split(',').map(|v| v.parse().expect("number")).collect();
            CustomerSummary::new(f[1] as u32, f[2], f[3], Decimal::ZERO).expect("valid summary")
        })
        .collect();
    let m = RecencyFrequencyMatrix::from_summaries(&summaries);
    assert_eq!(m.total(), 2357);
    // 1,411 CDNOW customers made no repeat purchase (FHL 2005).
    assert_eq!(m.count(0, 0), 1411);
    let dense = m.dense(7, 38).expect("small matrix");
    assert_eq!(dense.iter().flatten().sum::<u64>(), 2357);
}

#[test]
fn whole_periods_with_weekly_buckets_count_weeks() {
    let opts = SummaryOptions::default().bucket_days(7).period_days(7.0).rounding(Rounding::Whole);
    let mut b = SummaryBuilder::new(opts).expect("valid");
    // 1997-01-06 is a Monday: the first two purchases share an ISO week.
    for (d, amount) in
        [(date(1997, 1, 6), 10), (date(1997, 1, 12), 5), (date(1997, 1, 13), 7), (date(1997, 2, 3), 1)]
    {
        b.record(&Transaction::new("a", d, Decimal::from(amount))).expect("valid");
    }
    let s = b.build().expect("built");
    let a = &s.customers[0].summary;
    assert_eq!(a.frequency(), 2);
    assert_eq!(a.recency(), 4.0);
    assert_eq!(a.age(), 4.0);
    assert_eq!(a.monetary_value(), Decimal::from(4)); // (7 + 1) / 2
}

#[test]
fn bad_input_is_a_typed_error_naming_customer_and_field() {
    let mut b =
        SummaryBuilder::new(SummaryOptions::default().observation_end(date(2000, 1, 1))).expect("valid");
    let err = b.record(&Transaction::new("ann", date(2000, 1, 2), Decimal::ONE)).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidTransaction { customer, field: "date", .. } if customer == "\"ann\""),
        "{err}"
    );
    let err = b.record(&Transaction::new("bob", date(1999, 1, 2), Decimal::NEGATIVE_ONE)).unwrap_err();
    assert!(matches!(&err, Error::InvalidTransaction { field: "amount", .. }), "{err}");
    assert_eq!(b.customers(), 0, "rejected rows leave the builder unchanged");
    assert!(matches!(b.build(), Err(Error::NotEnoughData { .. })));
    assert!(Transaction::with_f64_amount("c", date(1999, 1, 1), f64::INFINITY).is_err());
    assert!(SummaryBuilder::<u8>::new(SummaryOptions::default().period_days(f64::NAN)).is_err());
    assert!(SummaryBuilder::<u8>::new(SummaryOptions::default().bucket_days(0)).is_err());
    assert!(
        SummaryBuilder::<u8>::new(
            SummaryOptions::default().calibration_end(date(2000, 1, 2)).observation_end(date(2000, 1, 1))
        )
        .is_err()
    );
    // 1997-01-08 is a Wednesday: a weekly bucket would straddle it.
    assert!(
        SummaryBuilder::<u8>::new(SummaryOptions::default().bucket_days(7).calibration_end(date(1997, 1, 8)))
            .is_err()
    );
    // A calibration end before every first purchase leaves nobody to summarise.
    let mut b =
        SummaryBuilder::new(SummaryOptions::default().calibration_end(date(1990, 1, 1))).expect("valid");
    b.record(&Transaction::new(1, date(1999, 1, 1), Decimal::ONE)).expect("valid");
    assert!(matches!(b.build(), Err(Error::NotEnoughData { .. })));
    // A calibration end after the last transaction, with no observation end, is named.
    let mut b =
        SummaryBuilder::new(SummaryOptions::default().calibration_end(date(2001, 1, 1))).expect("valid");
    b.record(&Transaction::new(1, date(2000, 6, 1), Decimal::ONE)).expect("valid");
    let err = b.build().unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "calibration_end", .. }), "{err}");
    // With an observation end after it the holdout is simply empty.
    let mut b = SummaryBuilder::new(
        SummaryOptions::default().calibration_end(date(2001, 1, 1)).observation_end(date(2001, 6, 30)),
    )
    .expect("valid");
    b.record(&Transaction::new(1, date(2000, 6, 1), Decimal::ONE)).expect("valid");
    assert_eq!(b.build().expect("built").customers.len(), 1);
}

#[test]
fn customers_first_seen_in_the_holdout_are_listed_not_dropped() {
    let mut b =
        SummaryBuilder::new(SummaryOptions::default().calibration_end(date(2000, 1, 31))).expect("valid");
    b.record(&Transaction::new(1, date(2000, 1, 1), Decimal::ONE)).expect("valid");
    b.record(&Transaction::new(2, date(2000, 2, 1), Decimal::ONE)).expect("valid");
    let s = b.build().expect("built");
    assert_eq!(s.customers.len(), 1);
    assert_eq!(s.holdout_only, vec![2]);
}

#[test]
fn summary_types_are_send_sync_and_round_trip() {
    common::assert_send_sync::<SummaryBuilder<String>>();
    common::assert_send_sync::<customer_metrics::Summaries<String>>();
    common::assert_send_sync::<CustomerSummary>();
    common::assert_send_sync::<Transaction<String>>();
    common::assert_send_sync::<RecencyFrequencyMatrix>();
    common::assert_send_sync::<Error>();
    let s = CustomerSummary::new(2, 30.43, 38.86, Decimal::new(2235, 2)).expect("valid");
    let json = serde_json::to_string(&s).expect("serialise");
    assert_eq!(serde_json::from_str::<CustomerSummary>(&json).expect("deserialise"), s);
    let tampered = json.replace("30.43", "40.0");
    assert!(
        serde_json::from_str::<CustomerSummary>(&tampered).is_err(),
        "recency > age must not deserialise"
    );
}

fn arb_transactions() -> impl Strategy<Value = Vec<Transaction<u8>>> {
    prop::collection::vec((0u8..20, 0i64..400, 0i64..100_000), 1..120).prop_map(|rows| {
        rows.into_iter()
            .map(|(id, day, cents)| {
                Transaction::new(id, date(2020, 1, 1) + chrono::Duration::days(day), Decimal::new(cents, 2))
            })
            .collect()
    })
}

fn build(
    opts: &SummaryOptions,
    shards: &[&[Transaction<u8>]],
) -> customer_metrics::Result<customer_metrics::Summaries<u8>> {
    let mut total = SummaryBuilder::new(opts.clone())?;
    for shard in shards {
        let mut b = SummaryBuilder::new(opts.clone())?;
        b.record_all(shard.iter())?;
        total.merge(&b)?;
    }
    total.build()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Sharding and input order do not change the result.
    #[test]
    fn merge_of_shards_equals_the_whole(txs in arb_transactions(), cut in 0usize..120, weekly in any::<bool>()) {
        let opts = if weekly {
            SummaryOptions::default().bucket_days(7).period_days(7.0).calibration_end(date(2020, 6, 28))
        } else {
            SummaryOptions::default().period_days(7.0).calibration_end(date(2020, 7, 1))
        };
        let cut = cut.min(txs.len());
        let whole = build(&opts, &[&txs]).ok();
        let (a, b) = txs.split_at(cut);
        prop_assert_eq!(&build(&opts, &[a, b]).ok(), &whole);
        prop_assert_eq!(&build(&opts, &[b, a]).ok(), &whole);
        let mut reversed = txs.clone();
        reversed.reverse();
        prop_assert_eq!(&build(&opts, &[&reversed]).ok(), &whole);
        if let Some(s) = whole {
            for c in &s.customers {
                let x = &c.summary;
                prop_assert!(x.recency() >= 0.0 && x.recency() <= x.age());
                prop_assert!(x.monetary_value() >= Decimal::ZERO);
            }
        }
    }

    /// Arbitrary settings and amounts give a value or an error, never a panic.
    #[test]
    fn arbitrary_input_never_panics(
        period in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1.0), Just(0.0), 1e-300f64..1e6],
        bucket in 0u32..40,
        amount in prop_oneof![Just(f64::NAN), Just(f64::NEG_INFINITY), Just(1e300), -1e6f64..1e6],
        day in -1_000_000i64..1_000_000,
    ) {
        let opts = SummaryOptions::default().period_days(period).bucket_days(bucket);
        if let Ok(mut b) = SummaryBuilder::new(opts) {
            if let Ok(t) = Transaction::with_f64_amount(1u8, date(2000, 1, 1) + chrono::Duration::days(day), amount) {
                let _ = b.record(&t);
            }
            let _ = b.build();
        }
    }

    /// Checked summaries accept exactly the consistent inputs.
    #[test]
    fn summary_constructor_checks(x in 0u32..5, t_x in prop_oneof![Just(f64::NAN), -1.0f64..50.0], age in prop_oneof![Just(f64::INFINITY), -1.0f64..50.0]) {
        let ok = CustomerSummary::new(x, t_x, age, Decimal::ZERO).is_ok();
        let consistent = t_x >= 0.0 && age.is_finite() && t_x <= age && (x > 0 || t_x == 0.0);
        prop_assert_eq!(ok, consistent);
    }
}

#[test]
fn options_and_matrix_validate_when_deserialised() {
    let opts = SummaryOptions::default().period_days(7.0).calibration_end(date(1997, 9, 30));
    let json = serde_json::to_string(&opts).expect("serialise");
    assert_eq!(serde_json::from_str::<SummaryOptions>(&json).expect("valid"), opts);
    assert!(
        serde_json::from_str::<SummaryOptions>(&json.replace("\"period_days\":7.0", "\"period_days\":-7.0"))
            .is_err()
    );
    let base = [
        CustomerSummary::new(1, 2.0, 3.0, Decimal::ONE).expect("valid"),
        CustomerSummary::new(0, 0.0, 3.0, Decimal::ZERO).expect("valid"),
    ];
    let m = RecencyFrequencyMatrix::from_summaries(&base);
    let json = serde_json::to_string(&m).expect("serialise");
    assert_eq!(serde_json::from_str::<RecencyFrequencyMatrix>(&json).expect("valid"), m);
    let unsorted =
        r#"{"cells":[{"frequency":1,"recency":2,"customers":1},{"frequency":0,"recency":0,"customers":1}]}"#;
    assert!(serde_json::from_str::<RecencyFrequencyMatrix>(unsorted).is_err());
}
