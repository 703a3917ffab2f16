//! Survival curves and cohort retention tables from a CSV file.
//!
//! ```text
//! cargo run --example retention -- [FILE] [--kind survival|cohort] [--period month|days:N]
//!                                  [--origin YYYY-MM-DD] [--json]
//! ```
//!
//! `--kind survival` (default) reads `duration,observed[,segment]` (observed: 1/0/true/false)
//! and prints, per segment and overall, the Kaplan-Meier summary: customers, churn events,
//! median tenure with its 95 % interval, and S(t) at the quartiles of the longest tenure.
//! `--kind cohort` reads `customer_id,date,amount` (dates YYYY-MM-DD) and prints the cohort
//! retention table by calendar month (default) or by N-day periods from `--origin` (default:
//! the first transaction date). Without FILE the bundled `examples/data/tenures.csv` or
//! `examples/data/transactions.csv` is used (made by `scripts/example_data.py`). `--json`
//! prints one JSON object instead. A bad row is reported with its 1-based line number and the
//! program exits with status 1.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::str::FromStr;

use chrono::NaiveDate;
use customer_metrics::{
    CohortBuilder, CohortTable, KaplanMeier, MedianSurvival, Metric, Period, Tenure, Transaction,
};
use rust_decimal::Decimal;
use serde::Serialize;

const LEVEL: f64 = 0.95;

struct Options {
    file: Option<String>,
    cohort: bool,
    period: Option<String>,
    origin: Option<String>,
    json: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options { file: None, cohort: false, period: None, origin: None, json: false };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => options.json = true,
            "--kind" => match args.next().as_deref() {
                Some("survival") => options.cohort = false,
                Some("cohort") => options.cohort = true,
                other => return Err(format!("--kind expects survival or cohort, got {other:?}")),
            },
            "--period" => options.period = Some(args.next().ok_or("--period expects month or days:N")?),
            "--origin" => options.origin = Some(args.next().ok_or("--origin expects a date YYYY-MM-DD")?),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            file => options.file = Some(file.to_string()),
        }
    }
    Ok(options)
}

/// The data rows of a CSV with the expected header: (1-based line number, fields).
fn rows<'a>(text: &'a str, header: &[&str]) -> Result<Vec<(usize, Vec<&'a str>)>, String> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or("line 1: the file is empty")?;
    let columns: Vec<&str> = first.split(',').map(str::trim).collect();
    if columns.len() < header.len() || columns[..header.len()] != *header {
        return Err(format!("line 1: expected the header {}, got {first:?}", header.join(",")));
    }
    Ok(lines.map(|(i, l)| (i + 1, l.split(',').map(str::trim).collect())).collect())
}

#[derive(Serialize)]
struct SurvivalAt {
    t: f64,
    survival: f64,
    lower: f64,
    upper: f64,
}

#[derive(Serialize)]
struct SegmentReport {
    segment: String,
    subjects: f64,
    events: f64,
    median: MedianSurvival,
    survival_at: Vec<SurvivalAt>,
    curve: KaplanMeier,
}

#[derive(Serialize)]
struct SurvivalReport {
    kind: &'static str,
    file: String,
    segments: Vec<SegmentReport>,
}

fn survival(file: &str, text: &str) -> Result<SurvivalReport, String> {
    let mut segments: BTreeMap<String, Vec<Tenure>> = BTreeMap::new();
    for (line, fields) in rows(text, &["duration", "observed"])? {
        let bad = |what: String| format!("line {line}: {what}");
        let duration = fields
            .first()
            .and_then(|d| f64::from_str(d).ok())
            .ok_or_else(|| bad("duration is not a number".into()))?;
        let observed = match fields.get(1).copied() {
            Some("1" | "true") => true,
            Some("0" | "false") => false,
            other => return Err(bad(format!("observed must be 1/0/true/false, got {other:?}"))),
        };
        let tenure = Tenure::new(duration, observed).map_err(|e| bad(e.to_string()))?;
        let segment = fields.get(2).filter(|s| !s.is_empty()).unwrap_or(&"all");
        segments.entry((*segment).to_string()).or_default().push(tenure);
    }
    if segments.len() > 1 {
        let everyone: Vec<Tenure> = segments.values().flatten().copied().collect();
        segments.insert("(all)".to_string(), everyone);
    }
    let longest = segments.values().flatten().map(Tenure::duration).fold(0.0, f64::max);
    let times: Vec<f64> = [0.25, 0.5, 0.75].iter().map(|q| (q * longest * 10.0).round() / 10.0).collect();
    let segments = segments
        .into_iter()
        .map(|(segment, tenures)| {
            let curve = KaplanMeier::fit(tenures).map_err(|e| e.to_string())?;
            let survival_at = times
                .iter()
                .map(|&t| {
                    let ci = curve.confidence_interval_at(t, LEVEL)?;
                    Ok(SurvivalAt { t, survival: curve.survival_at(t)?, lower: ci.lower, upper: ci.upper })
                })
                .collect::<Result<Vec<_>, customer_metrics::Error>>()
                .map_err(|e| e.to_string())?;
            let median = curve.median_survival(LEVEL).map_err(|e| e.to_string())?;
            Ok(SegmentReport {
                segment,
                subjects: curve.subjects(),
                events: curve.events(),
                median,
                survival_at,
                curve,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(SurvivalReport { kind: "survival", file: file.to_string(), segments })
}

fn render_survival(report: &SurvivalReport, out: &mut String) {
    let time = |t: Option<f64>| t.map_or("not reached".to_string(), |t| format!("{t}"));
    let _ = writeln!(
        out,
        "Kaplan-Meier survival of {} ({:.0} % intervals, exponential Greenwood)",
        report.file,
        LEVEL * 100.0
    );
    for s in &report.segments {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}: {} customers, {} churned, {} still active",
            s.segment,
            s.subjects,
            s.events,
            s.subjects - s.events
        );
        let _ = writeln!(
            out,
            "  median tenure {} (interval {} to {})",
            time(s.median.median),
            time(s.median.lower),
            time(s.median.upper)
        );
        for p in &s.survival_at {
            let _ = writeln!(
                out,
                "  still a customer at t = {:>5}: {:5.1} %  ({:5.1} % to {:5.1} %)",
                p.t,
                100.0 * p.survival,
                100.0 * p.lower,
                100.0 * p.upper
            );
        }
    }
}

#[derive(Serialize)]
struct CohortReport {
    kind: &'static str,
    file: String,
    transactions: usize,
    customers: usize,
    table: CohortTable,
}

fn cohort(
    file: &str,
    text: &str,
    period: Option<&str>,
    origin: Option<&str>,
) -> Result<CohortReport, String> {
    let mut builder = CohortBuilder::default();
    let mut first_date: Option<NaiveDate> = None;
    let mut count = 0;
    for (line, fields) in rows(text, &["customer_id", "date", "amount"])? {
        let bad = |what: &str| format!("line {line}: {what}");
        let [customer, date, amount] = fields[..] else {
            return Err(bad("expected 3 fields: customer_id,date,amount"));
        };
        if customer.is_empty() {
            return Err(bad("empty customer_id"));
        }
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| bad("date is not YYYY-MM-DD"))?;
        let amount = Decimal::from_str(amount).map_err(|_| bad("amount is not a decimal number"))?;
        first_date = Some(first_date.map_or(date, |d| d.min(date)));
        builder
            .record(Transaction::new(customer.to_string(), date, amount))
            .map_err(|e| bad(&e.to_string()))?;
        count += 1;
    }
    let period = match period {
        None | Some("month") => Period::CalendarMonth,
        Some(spec) => {
            let length = spec
                .strip_prefix("days:")
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| format!("--period expects month or days:N, got {spec:?}"))?;
            let origin = match origin {
                Some(o) => NaiveDate::parse_from_str(o, "%Y-%m-%d")
                    .map_err(|_| format!("--origin: bad date {o:?}"))?,
                None => first_date.ok_or("no transactions")?,
            };
            Period::days(length, origin).map_err(|e| e.to_string())?
        }
    };
    let table = builder.table(period, None).map_err(|e| e.to_string())?;
    Ok(CohortReport {
        kind: "cohort",
        file: file.to_string(),
        transactions: count,
        customers: builder.customers(),
        table,
    })
}

fn render_cohort(report: &CohortReport, out: &mut String) {
    let table = &report.table;
    let unit = match table.period() {
        Period::CalendarMonth => "month".to_string(),
        Period::Days { length, origin } => format!("{length}-day period from {origin}"),
    };
    let _ = writeln!(
        out,
        "Cohort retention of {}: {} transactions, {} customers, observed through {}",
        report.file,
        report.transactions,
        report.customers,
        table.observation_end()
    );
    let _ = writeln!(
        out,
        "Share of each cohort (first purchase {unit}) active in later periods; '.' = not fully observed"
    );
    let width = table.cohorts().iter().map(|r| r.active.len()).max().unwrap_or(0);
    let _ = write!(out, "{:<10} {:>5}", "cohort", "size");
    for k in 0..width {
        let _ = write!(out, " {:>5}", format!("+{k}"));
    }
    let _ = writeln!(out);
    for row in table.cohorts() {
        let _ = write!(out, "{:<10} {:>5}", row.start.to_string(), row.size);
        for share in &row.retention {
            let _ = match share {
                Some(s) => write!(out, " {:>4.0}%", 100.0 * s),
                None => write!(out, " {:>5}", "."),
            };
        }
        let _ = writeln!(out);
    }
}

fn run() -> Result<(), String> {
    let options = parse_args()?;
    let default = if options.cohort { "transactions.csv" } else { "tenures.csv" };
    let file = options
        .file
        .clone()
        .unwrap_or_else(|| format!("{}/examples/data/{default}", env!("CARGO_MANIFEST_DIR")));
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let mut out = String::new();
    if options.cohort {
        let report = cohort(&file, &text, options.period.as_deref(), options.origin.as_deref())?;
        if options.json {
            out = serde_json::to_string(&report).map_err(|e| e.to_string())? + "\n";
        } else {
            render_cohort(&report, &mut out);
        }
    } else {
        let report = survival(&file, &text)?;
        if options.json {
            out = serde_json::to_string(&report).map_err(|e| e.to_string())? + "\n";
        } else {
            render_survival(&report, &mut out);
        }
    }
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        // A closed pipe (`| head`) is not an error of this program.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write the output: {e}")),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
