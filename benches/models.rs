//! Model fits and scoring: the CDNOW fits of BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma, the
//! BG/BB donations fit, and customers per second for BG/NBD P(alive), BG/NBD conditional
//! expected purchases, Pareto/NBD P(alive) and expected purchases, and CLV (BG/NBD ×
//! Gamma-Gamma, 12 weekly steps), on 100,000 customers simulated from the CDNOW estimates.
//!
//! Run: `cargo bench --bench models` (add `--features parallel` to spread over cores).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use customer_metrics::{
    BgBbCustomer, BgBbFitter, BgNbd, BgNbdFitter, Clv, CustomerSummary, Fit, GammaGamma, GammaGammaFitter,
    MbgNbdFitter, ParetoNbd, ParetoNbdFitter, PurchaseModel,
};

/// The published CDNOW 39-week calibration summary bundled with the tests.
fn cdnow() -> Vec<CustomerSummary> {
    include_str!("../tests/data/cdnow_summary.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let parse = |i: usize| f[i].trim().parse::<f64>().expect("number");
            CustomerSummary::new(parse(1) as u32, parse(2), parse(3), f[4].trim().parse().expect("zbar"))
                .expect("valid summary")
        })
        .collect()
}

/// The donations cells (frequency, recency, periods, weight).
fn donations() -> (Vec<BgBbCustomer>, Vec<f64>) {
    include_str!("../tests/data/donations.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<u32> = line.trim().split(',').map(|v| v.parse().expect("integer")).collect();
            (BgBbCustomer::new(f[0], f[1], f[2]).expect("valid cell"), f64::from(f[3]))
        })
        .unzip()
}

fn bench_fits(c: &mut Criterion) {
    let data = cdnow();
    let repeat: Vec<CustomerSummary> = data.iter().filter(|s| s.frequency() > 0).cloned().collect();
    let (cells, weights) = donations();
    let mut group = c.benchmark_group("fit_cdnow");
    group.sample_size(20);
    group.bench_function("bg_nbd", |b| b.iter(|| BgNbdFitter::new().fit(black_box(&data)).expect("fit")));
    group.bench_function("mbg_nbd", |b| b.iter(|| MbgNbdFitter::new().fit(black_box(&data)).expect("fit")));
    group.bench_function("pareto_nbd", |b| {
        b.iter(|| ParetoNbdFitter::new().fit(black_box(&data)).expect("fit"))
    });
    group.bench_function("gamma_gamma", |b| {
        b.iter(|| GammaGammaFitter::new().fit(black_box(&repeat)).expect("fit"))
    });
    group.bench_function("bg_bb_donations", |b| {
        b.iter(|| BgBbFitter::new().fit_weighted(black_box(&cells), &weights).expect("fit"))
    });
    group.finish();
}

fn bench_scoring(c: &mut Criterion) {
    const CUSTOMERS: usize = 100_000;
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426).expect("valid");
    let pareto = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).expect("valid");
    let spend = GammaGamma::new(6.25, 3.74, 15.44).expect("valid");
    let ages: Vec<f64> = (0..CUSTOMERS).map(|i| 27.0 + 12.0 * (i as f64 / CUSTOMERS as f64)).collect();
    let base: Vec<CustomerSummary> = bg
        .simulate(&ages, 20261201)
        .expect("simulation")
        .iter()
        .map(|h| h.summary().expect("summary"))
        .collect();
    let clv = Clv::finite(1.0, 12, 0.0018).expect("valid");
    let mut group = c.benchmark_group("score_100k");
    group.throughput(Throughput::Elements(CUSTOMERS as u64)).sample_size(10);
    group.bench_function("bg_nbd_p_alive", |b| b.iter(|| bg.probability_alive_batch(black_box(&base))));
    group.bench_function("bg_nbd_conditional_expected_52", |b| {
        b.iter(|| bg.conditional_expected_purchases_batch(black_box(&base), 52.0).expect("scores"))
    });
    group.bench_function("pareto_nbd_p_alive", |b| {
        b.iter(|| pareto.probability_alive_batch(black_box(&base)))
    });
    group.bench_function("pareto_nbd_conditional_expected_52", |b| {
        b.iter(|| pareto.conditional_expected_purchases_batch(black_box(&base), 52.0).expect("scores"))
    });
    group.bench_function("clv_bg_nbd_gamma_gamma_12", |b| {
        b.iter(|| clv.values(&bg, &spend, black_box(&base)).expect("values"))
    });
    group.finish();
    // The infinite-horizon CLV: BG/NBD's DERT is one quadrature per customer (about 50 µs),
    // Pareto/NBD's a closed form.
    let dert = Clv::dert(1.0, 0.0018).expect("valid");
    let few = base.get(..1_000).expect("100k customers");
    let mut group = c.benchmark_group("dert_1k");
    group.throughput(Throughput::Elements(few.len() as u64)).sample_size(10);
    group.bench_function("bg_nbd", |b| b.iter(|| dert.values(&bg, &spend, black_box(few)).expect("values")));
    group.bench_function("pareto_nbd", |b| {
        b.iter(|| dert.values(&pareto, &spend, black_box(few)).expect("values"))
    });
    group.finish();
}

criterion_group!(benches, bench_fits, bench_scoring);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
