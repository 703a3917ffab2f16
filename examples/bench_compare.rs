//! The Rust side of `scripts/compare_lifetimes.py`: writes the simulated data sets and times
//! this crate on the same files the script gives to lifetimes, printing JSON.
//!
//! ```text
//! cargo run --release --example bench_compare -- simulate DIR   # writes DIR/bgnbd_1m.csv, DIR/pareto_100k.csv
//! cargo run --release --example bench_compare -- time DIR       # reads DIR/*.csv, prints {"name": seconds, …}
//! cargo run --release --example bench_compare -- memory DIR     # memory of the 1M BG/NBD fit (Linux)
//! ```
//!
//! Every CSV is `x,t_x,T,zbar` with a header; `donations.csv` is `frequency,recency,periods,weights`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use customer_metrics::{
    BgBbCustomer, BgBbFitter, BgNbd, BgNbdFitter, Clv, CustomerSummary, Fit, GammaGamma, GammaGammaFitter,
    MbgNbdFitter, ParetoNbd, ParetoNbdFitter, PurchaseModel,
};
use rust_decimal::Decimal;

type Boxed = Box<dyn std::error::Error>;

fn read_summaries(path: &Path) -> Result<Vec<CustomerSummary>, Boxed> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.trim().split(',').collect();
        let zbar: f64 = f.get(3).map_or(Ok(0.0), |s| s.parse())?;
        let spend = Decimal::try_from(zbar)?.round_dp(6);
        out.push(CustomerSummary::new(f[0].parse()?, f[1].parse()?, f[2].parse()?, spend)?);
    }
    Ok(out)
}

fn read_donations(path: &Path) -> Result<(Vec<BgBbCustomer>, Vec<f64>), Boxed> {
    let text = std::fs::read_to_string(path)?;
    let (mut rows, mut weights) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.trim().split(',').collect();
        rows.push(BgBbCustomer::new(f[0].parse()?, f[1].parse()?, f[2].parse()?)?);
        weights.push(f[3].parse()?);
    }
    Ok((rows, weights))
}

fn write_summaries(path: &Path, customers: &[CustomerSummary]) -> Result<(), Boxed> {
    let mut text = String::from("x,t_x,T,zbar\n");
    for c in customers {
        writeln!(text, "{},{:?},{:?},0", c.frequency(), c.recency(), c.age())?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// Ages spread like a 52-week acquisition window observed for 78 weeks, rounded to days.
fn ages(n: usize) -> Vec<f64> {
    (0..n).map(|i| 26.0 + ((i * 7919) % 365) as f64 / 7.0).collect()
}

fn simulate(dir: &Path) -> Result<(), Boxed> {
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    let one_million: Vec<CustomerSummary> =
        bg.simulate(&ages(1_000_000), 1)?.iter().map(|c| c.summary()).collect::<Result<_, _>>()?;
    write_summaries(&dir.join("bgnbd_1m.csv"), &one_million)?;
    let pareto = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?;
    let customers: Vec<CustomerSummary> =
        pareto.simulate(&ages(100_000), 2)?.iter().map(|c| c.summary()).collect::<Result<_, _>>()?;
    write_summaries(&dir.join("pareto_100k.csv"), &customers)?;
    Ok(())
}

/// The best of `runs` wall-clock times of `f`, in seconds.
fn best<T>(runs: usize, mut f: impl FnMut() -> Result<T, Boxed>) -> Result<f64, Boxed> {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f()?);
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(best)
}

#[allow(clippy::vec_init_then_push)] // one timed line per task reads best
fn time(dir: &Path) -> Result<(), Boxed> {
    let cdnow = read_summaries(&dir.join("cdnow.csv"))?;
    let million = read_summaries(&dir.join("bgnbd_1m.csv"))?;
    let pareto_data = read_summaries(&dir.join("pareto_100k.csv"))?;
    let (donations, weights) = read_donations(&dir.join("donations.csv"))?;
    let spenders: Vec<CustomerSummary> = cdnow.iter().filter(|c| c.frequency() > 0).cloned().collect();
    let mut out: Vec<(&str, f64)> = Vec::new();
    out.push(("fit_bgnbd_cdnow", best(20, || Ok(BgNbdFitter::new().fit(&cdnow)?))?));
    out.push(("fit_bgnbd_1m", best(3, || Ok(BgNbdFitter::new().fit(&million)?))?));
    out.push(("fit_pareto_100k", best(3, || Ok(ParetoNbdFitter::new().fit(&pareto_data)?))?));
    out.push(("fit_mbgnbd_cdnow", best(10, || Ok(MbgNbdFitter::new().fit(&cdnow)?))?));
    out.push(("fit_bgbb_donations", best(20, || Ok(BgBbFitter::new().fit_weighted(&donations, &weights)?))?));
    out.push(("fit_gamma_gamma_cdnow", best(20, || Ok(GammaGammaFitter::new().fit(&spenders)?))?));
    // Scoring on the 1M simulated customers at the CDNOW estimates.
    let bg = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
    out.push(("alive_bgnbd_1m", best(10, || Ok(bg.probability_alive_batch(&million)))?));
    let sample = &million[..100_000];
    out.push((
        "expected_bgnbd_100k",
        best(10, || Ok(bg.conditional_expected_purchases_batch(sample, 10.0)?))?,
    ));
    let pareto = ParetoNbd::new(0.553, 10.578, 0.606, 11.669)?;
    let pareto_sample = &pareto_data[..100_000.min(pareto_data.len())];
    out.push(("alive_pareto_100k", best(10, || Ok(pareto.probability_alive_batch(pareto_sample)))?));
    out.push((
        "expected_pareto_100k",
        best(10, || Ok(pareto.conditional_expected_purchases_batch(pareto_sample, 10.0)?))?,
    ));
    let gg = GammaGamma::new(6.25, 3.74, 15.44)?;
    let clv = Clv::finite(4.345, 12, 0.01)?;
    out.push(("clv12_cdnow", best(10, || Ok(clv.values(&bg, &gg, &spenders)?))?));
    let mut json = String::from("{");
    for (i, (name, seconds)) in out.iter().enumerate() {
        write!(json, "{}\"{name}\": {seconds:e}", if i > 0 { ", " } else { "" })?;
    }
    json.push('}');
    println!("{json}");
    Ok(())
}

/// A field of `/proc/self/status` in bytes (Linux reports kB).
fn status_bytes(field: &str) -> Result<u64, Boxed> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line =
        status.lines().find(|l| l.starts_with(field)).ok_or(format!("no {field} in /proc/self/status"))?;
    let kb: u64 = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb * 1024)
}

/// The memory a BG/NBD fit of the 1M simulated customers needs next to their summaries: the
/// resident set before the fit (the summaries and the process), and its peak during the fit
/// (the peak is reset first by writing 5 to `/proc/self/clear_refs`).
fn memory(dir: &Path) -> Result<(), Boxed> {
    let mut million = read_summaries(&dir.join("bgnbd_1m.csv"))?;
    million.shrink_to_fit();
    let summaries = std::mem::size_of_val(million.as_slice());
    std::fs::write("/proc/self/clear_refs", "5")?;
    let before = status_bytes("VmRSS")?;
    let model = BgNbdFitter::new().fit(&million)?;
    let peak = status_bytes("VmHWM")?;
    std::hint::black_box(model);
    println!(
        "{{\"customers\": {}, \"summaries_bytes\": {summaries}, \"rss_before_fit\": {before}, \"peak_rss_during_fit\": {peak}}}",
        million.len()
    );
    Ok(())
}

fn main() -> Result<(), Boxed> {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("simulate"), Some(dir)) => simulate(Path::new(dir)),
        (Some("time"), Some(dir)) => time(Path::new(dir)),
        (Some("memory"), Some(dir)) => memory(Path::new(dir)),
        _ => Err("usage: bench_compare simulate|time|memory DIR".into()),
    }
}
