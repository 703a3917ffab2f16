//! Summary building: transactions per second on 10 million synthetic transactions over
//! 1 million customers, and the builder's peak memory.
//!
//! Run: `cargo bench --bench summary`. Before the timed runs it streams the same 10 million
//! transactions through a builder without materialising them and prints the process's peak
//! resident memory (Linux `VmHWM`), which is then the builder's own footprint.

use std::hint::black_box;

use chrono::{Duration, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group};
use customer_metrics::{SummaryBuilder, SummaryOptions, Transaction};
use rust_decimal::Decimal;

const TRANSACTIONS: u64 = 10_000_000;
const CUSTOMERS: u64 = 1_000_000;

/// SplitMix64: a tiny deterministic generator, so the data are the same on every run.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE5_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The i-th synthetic transaction: a random customer of 1 million, a random day of two years
/// (unsorted), and an amount between 0.01 and 200.00.
fn transaction(i: u64) -> Transaction<u64> {
    let r = splitmix(i);
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date");
    let day = start + Duration::days(((r >> 20) % 730) as i64);
    Transaction::new(r % CUSTOMERS, day, Decimal::new(((r >> 40) % 20_000 + 1) as i64, 2))
}

fn options() -> SummaryOptions {
    SummaryOptions::default()
        .period_days(7.0)
        .calibration_end(NaiveDate::from_ymd_opt(2024, 6, 30).expect("date"))
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn report_memory() {
    let mut builder = SummaryBuilder::new(options()).expect("valid options");
    for i in 0..TRANSACTIONS {
        builder.record(&transaction(i)).expect("valid transaction");
    }
    let before_build = peak_rss_mib();
    let summaries = builder.build().expect("summaries");
    let after_build = peak_rss_mib();
    println!(
        "summary memory: {} customers from {TRANSACTIONS} streamed transactions: peak RSS {:.0} MiB while recording, {:.0} MiB after build",
        summaries.customers.len(),
        before_build.unwrap_or(f64::NAN),
        after_build.unwrap_or(f64::NAN)
    );
}

fn bench_summary(c: &mut Criterion) {
    let transactions: Vec<Transaction<u64>> = (0..TRANSACTIONS).map(transaction).collect();
    let mut group = c.benchmark_group("summary");
    group.sample_size(10).throughput(Throughput::Elements(TRANSACTIONS));
    group.bench_function("record_10M_transactions_1M_customers", |b| {
        b.iter(|| {
            let mut builder = SummaryBuilder::new(options()).expect("valid options");
            builder.record_all(&transactions).expect("valid transactions");
            black_box(builder.customers())
        })
    });
    group.throughput(Throughput::Elements(CUSTOMERS));
    let mut builder = SummaryBuilder::new(options()).expect("valid options");
    builder.record_all(&transactions).expect("valid transactions");
    group.bench_function("build_1M_customers", |b| b.iter(|| black_box(builder.build().expect("summaries"))));
    group.finish();
}

criterion_group!(benches, bench_summary);

fn main() {
    report_memory();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
