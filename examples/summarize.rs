//! Turns a transaction log into per-customer summaries (frequency, recency, T, monetary value,
//! holdout purchases), the recency/frequency count matrix and the weekly tracking series.
//!
//! ```text
//! cargo run --example summarize                       # bundled CDNOW sample, 39-week calibration
//! cargo run --example summarize -- FILE.csv [options] # header customer_id,date,amount (YYYY-MM-DD)
//!   --calibration-end YYYY-MM-DD   split calibration / holdout (bundled data: 1997-09-30)
//!   --observation-end YYYY-MM-DD   last day observed (default: last transaction)
//!   --period-days N                unit of recency and T in days (default 7)
//!   --bucket-days N                purchases within N days count once (default 1)
//!   --head N                       customers to print (default 10)
//!   --json                         print one JSON object instead
//! ```
//!
//! A malformed row is reported with its line number and the program exits with status 1.

use std::error::Error;
use std::process::ExitCode;

use chrono::NaiveDate;
use customer_metrics::{RecencyFrequencyMatrix, SummaryBuilder, SummaryOptions, Transaction};
use rust_decimal::{Decimal, RoundingStrategy};

const BUNDLED: &str = include_str!("../tests/data/cdnow_sample_transactions.txt");

struct Args {
    file: Option<String>,
    calibration_end: Option<NaiveDate>,
    observation_end: Option<NaiveDate>,
    period_days: f64,
    bucket_days: u32,
    head: usize,
    json: bool,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut args = Args {
        file: None,
        calibration_end: None,
        observation_end: None,
        period_days: 7.0,
        bucket_days: 1,
        head: 10,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--calibration-end" => args.calibration_end = Some(parse_date(&value()?)?),
            "--observation-end" => args.observation_end = Some(parse_date(&value()?)?),
            "--period-days" => args.period_days = value()?.parse()?,
            "--bucket-days" => args.bucket_days = value()?.parse()?,
            "--head" => args.head = value()?.parse()?,
            "--json" => args.json = true,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}").into()),
            file => args.file = Some(file.to_string()),
        }
    }
    if args.file.is_none() {
        // The bundled CDNOW sample: the published 39-week calibration and 39-week holdout.
        args.calibration_end = args.calibration_end.or(NaiveDate::from_ymd_opt(1997, 9, 30));
        args.observation_end = args.observation_end.or(NaiveDate::from_ymd_opt(1998, 6, 30));
    }
    Ok(args)
}

fn parse_date(s: &str) -> Result<NaiveDate, Box<dyn Error>> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y%m%d"))
        .map_err(|e| format!("bad date {s:?}: {e}").into())
}

/// Reads transactions: the bundled whitespace file (old id, id, YYYYMMDD, CDs, dollars) or a
/// CSV with header `customer_id,date,amount`.
/// Transactions with the line number each came from.
type Numbered = Vec<(usize, Transaction<String>)>;

fn read_transactions(args: &Args) -> Result<Numbered, Box<dyn Error>> {
    let (text, csv) = match &args.file {
        Some(path) => (std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?, true),
        None => (BUNDLED.to_string(), false),
    };
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    if csv {
        let header = lines.next().map(|(_, h)| h.trim().to_string()).unwrap_or_default();
        if header != "customer_id,date,amount" {
            return Err(format!("line 1: expected header customer_id,date,amount, got {header:?}").into());
        }
    }
    for (index, line) in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> =
            if csv { line.split(',').map(str::trim).collect() } else { line.split_whitespace().collect() };
        let parsed = match (csv, fields.as_slice()) {
            (true, [id, date, amount]) | (false, [_, id, date, _, amount]) => {
                parse_date(date).and_then(|d| {
                    let amount: Decimal =
                        amount.parse().map_err(|e| format!("bad amount {amount:?}: {e}"))?;
                    Ok(Transaction::new(id.to_string(), d, amount))
                })
            }
            _ => Err(format!("expected {} fields, got {}", if csv { 3 } else { 5 }, fields.len()).into()),
        };
        out.push((index + 1, parsed.map_err(|e| format!("line {}: {e}", index + 1))?));
    }
    Ok(out)
}

fn run() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let transactions = read_transactions(&args)?;
    let mut options = SummaryOptions::default().period_days(args.period_days).bucket_days(args.bucket_days);
    if let Some(d) = args.calibration_end {
        options = options.calibration_end(d);
    }
    if let Some(d) = args.observation_end {
        options = options.observation_end(d);
    }
    let mut builder = SummaryBuilder::new(options)?;
    for (line, t) in &transactions {
        builder.record(t).map_err(|e| format!("line {line}: {e}"))?;
    }
    let summaries = builder.build()?;
    let matrix = RecencyFrequencyMatrix::from_summaries(&summaries.summaries());

    if args.json {
        let value = serde_json::json!({
            "customers": summaries.customers.len(),
            "holdout_only": summaries.holdout_only,
            "calibration_end": summaries.calibration_end,
            "observation_end": summaries.observation_end,
            "summaries": summaries.customers,
            "recency_frequency_matrix": matrix,
            "tracking": summaries.tracking,
        });
        println!("{}", serde_json::to_string(&value)?);
        return Ok(());
    }

    println!(
        "{} transactions, {} customers (calibration to {}, observation to {}); {} first bought after the calibration end",
        transactions.len(),
        summaries.customers.len(),
        summaries.calibration_end,
        summaries.observation_end,
        summaries.holdout_only.len()
    );
    println!("\ncustomer_id,frequency,recency,T,monetary_value,frequency_holdout,spend_holdout");
    for c in summaries.customers.iter().take(args.head) {
        let s = &c.summary;
        let (hx, hs) = s
            .holdout()
            .map_or((String::new(), String::new()), |h| (h.frequency().to_string(), h.spend().to_string()));
        println!(
            "{},{},{:.2},{:.2},{:.2},{hx},{hs}",
            c.id,
            s.frequency(),
            s.recency(),
            s.age(),
            s.monetary_value().round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        );
    }
    let repeat: u64 = summaries.tracking.iter().map(|p| p.calibration).sum();
    let holdout: u64 = summaries.tracking.iter().map(|p| p.holdout).sum();
    let zero = matrix.cells().iter().filter(|c| c.frequency == 0).map(|c| c.customers).sum::<u64>();
    println!(
        "\nrepeat purchases: {repeat} in calibration, {holdout} in holdout; {zero} customers made no repeat purchase"
    );
    println!("tracking (repeat purchases per period, calibration + holdout):");
    let line: Vec<String> =
        summaries.tracking.iter().map(|p| (p.calibration + p.holdout).to_string()).collect();
    println!("  {}", line.join(" "));
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
