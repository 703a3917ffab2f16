//! The customer-base report: fits BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma to a transaction
//! log (or a summary table), checks the forecasts against a holdout period and ranks the
//! customers by lifetime value.
//!
//! ```text
//! cargo run --release --example report                      # bundled CDNOW sample
//! cargo run --release --example report -- FILE.csv [options] # header customer_id,date,amount
//! cargo run --release --example report -- --summary FILE.csv # header customer_id,frequency,recency,T[,…]
//!   --calibration-end YYYY-MM-DD  split calibration / holdout (bundled data: 1997-09-30)
//!   --observation-end YYYY-MM-DD  last day observed (bundled: 1998-06-30; default: last transaction)
//!   --period-days N               the time unit in days (default 7: weeks)
//!   --horizon N                   CLV and expected purchases over N periods (default 52)
//!   --discount-rate D             discount rate per period (default: 10 % a year, see below)
//!   --margin M                    share of the spend kept as profit, in [0, 1] (default 1)
//!   --top N                       customers in the CLV ranking (default 10)
//!   --max-iterations N            optimiser iterations per fit (default 1000)
//!   --json                        print one JSON object instead
//!   --per-customer FILE           also write one CSV row per customer to FILE
//!   --help                        print this usage
//! ```
//!
//! # Input
//!
//! * **No file**: the bundled CDNOW sample, `tests/data/cdnow_sample_transactions.txt` (2,357
//!   customers who first bought in the first quarter of 1997; whitespace-separated columns:
//!   original id, customer id, date `YYYYMMDD`, number of CDs, dollar value), with the
//!   published split: calibration to 1997-09-30, holdout to 1998-06-30 (39 + 39 weeks).
//! * **`FILE`**: a transactions CSV with the header `customer_id,date,amount`, dates
//!   `YYYY-MM-DD`, amounts decimal numbers `>= 0`. Purchases on the same day count once.
//!   Without `--calibration-end` every transaction is calibration data and there is no
//!   holdout check; with it, later transactions (up to `--observation-end`, by default the
//!   last transaction) are the holdout. A sample: `examples/data/transactions_small.csv`
//!   (400 simulated customers, made by `scripts/report_sample.py`), with
//!   `-- examples/data/transactions_small.csv --calibration-end 2024-12-31`.
//! * **`--summary FILE`**: a summary CSV with lifetimes' column names: `customer_id`,
//!   `frequency` (x, repeat purchases), `recency` (t_x) and `T` (age), all in periods,
//!   optionally `monetary_value` (mean spend per repeat purchase; without it there is no
//!   Gamma-Gamma fit and no CLV), and optionally both `frequency_holdout` and
//!   `duration_holdout` (lifetimes' `calibration_and_holdout_data` names), which enable the
//!   holdout check. Columns may come in any order; other columns are an error. A whole-number
//!   float such as `2.0` is accepted as a frequency.
//!
//! Both CSVs are plain comma-separated text without quoted fields (a customer id cannot
//! contain a comma); a byte-order mark before the header is ignored.
//!
//! Bad input — a malformed row, a bad date or number, a negative amount, a date after
//! `--observation-end`, recency above `T`, a repeated customer in a summary file — is reported
//! with its line number, and the program exits with status 1 without writing the
//! `--per-customer` file. Blank lines are skipped. A bad option, an unreadable input or an
//! unwritable output also exit with status 1.
//!
//! # What it computes
//!
//! * **Fits**: each model by maximum likelihood on the calibration summaries (Gamma-Gamma on
//!   the customers with x ≥ 1 and a positive mean spend, as lifetimes recommends), with its
//!   parameters, standard errors, log-likelihood, iterations and wall-clock fit time. A fit
//!   that does not converge (or fails for lack of data) is reported with its last iterate and
//!   the run goes on without that model: its columns are empty and it has no holdout line.
//!   A quantity that cannot be computed for some customers (say, an infinite expected spend
//!   when Gamma-Gamma's q ≤ 1) leaves those cells empty, with a note. Neither makes the exit
//!   status non-zero: only bad input does.
//! * **Holdout check** (when there is a holdout): for the customers of the calibration period,
//!   the predicted repeat purchases in the holdout, `Σ E[Y(t*) | x, t_x, T]`, against the
//!   actual ones, in total and as means per calibration frequency x = 0, …, 6 and 7+ (Fader,
//!   Hardie & Lee 2005, Figure 4). Customers who first bought in the holdout are not in it.
//! * **CLV** = BG/NBD discounted expected purchases × Gamma-Gamma expected spend E(M | x, z̄) ×
//!   margin, with `Clv::finite`: `--horizon` steps of one period, each step's purchases
//!   discounted at its end at `--discount-rate` per period. The default rate is the per-period
//!   equivalent of 10 % a year, `1.1^(period_days/365.25) − 1` (0.183 % per week), not a fixed
//!   0.01 per period, which on weekly periods would be 68 % a year.
//!
//! Per-customer quantities are computed once per distinct (x, t_x, T, z̄) — 1,030 of CDNOW's
//! 2,357 customers — on all cores. The CLV's sum evaluates E[Y(t) | x, t_x, T] `--horizon`
//! times per customer and takes most of the run time.
//!
//! # Output
//!
//! For a person: the fits, the holdout check and the top customers by CLV. With `--json`, one
//! object:
//!
//! ```text
//! {"customers": N, "source": …, "transactions": n | null, "holdout_only_customers": n,
//!  "period_days": 7, "calibration_end": … | null, "observation_end": … | null,
//!  "holdout_length": t* | null, "horizon": 52, "discount_rate": d, "margin": "1",
//!  "models": {"bg_nbd" | "mbg_nbd" | "pareto_nbd" | "gamma_gamma":
//!             {"params": {"r": …, "alpha": …, "a": …, "b": …} | null, "standard_errors": {…} | null,
//!              "log_likelihood": f, "converged": bool, "iterations": n, "gradient_norm": f,
//!              "fit_seconds": f, "error": "…" (only when the fit failed)}},
//!  "holdout": {model: {"predicted_total": f, "actual_total": f, "customers": n,
//!              "by_frequency": [{"frequency": x, "open": bool, "customers": n,
//!                                "actual": mean, "expected": mean}, …]}} | null,
//!  "top_customers": [{"customer_id": …, "frequency": x, "recency": t_x, "T": T,
//!                     "p_alive": p, "expected": e, "expected_spend": "…", "clv": "…"}, …],
//!  "notes": ["…", …],
//!  "seconds": {"read": f, "fits": f, "holdout": f, "customers": f}}
//! ```
//!
//! Parameter names: r, alpha, a, b (BG/NBD, MBG/NBD); r, alpha, s, beta (Pareto/NBD); p, q, v
//! (Gamma-Gamma; v is the papers' γ). `holdout` is `null` when there is no holdout period;
//! `p_alive` and `expected` of the top customers are BG/NBD's; money is a decimal string
//! rounded to cents.
//!
//! `--per-customer FILE` writes one row per calibration customer (in id order for
//! transactions, in file order for `--summary`):
//! `customer_id,frequency,recency,T,` then `<model>_p_alive,<model>_expected` (expected
//! purchases over the horizon) for `bg_nbd`, `mbg_nbd` and `pareto_nbd`, then
//! `expected_spend,clv` (money rounded to 6 decimals). The file is written to a temporary name
//! beside FILE and renamed at the end, so a failed run leaves no partial file.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Instant;

use chrono::NaiveDate;
use customer_metrics::{
    BgNbdFitter, Clv, ConditionalGroup, CustomerSummary, Error, Fit, FitReport, GammaGamma, GammaGammaFitter,
    HoldoutSummary, MbgNbdFitter, ParetoNbdFitter, PurchaseModel, SummaryBuilder, SummaryOptions,
    Transaction, conditional_expectations,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};

/// `--help`.
const USAGE: &str = "\
usage: report [FILE.csv | --summary FILE.csv] [options]
  FILE.csv                      transactions, header customer_id,date,amount (YYYY-MM-DD)
  --summary FILE.csv            summaries, header customer_id,frequency,recency,T[,monetary_value]
                                [,frequency_holdout,duration_holdout]
  (no file)                     the bundled CDNOW sample, calibration to 1997-09-30, holdout to 1998-06-30
  --calibration-end YYYY-MM-DD  split calibration / holdout
  --observation-end YYYY-MM-DD  last day observed (default: last transaction)
  --period-days N               the time unit in days (default 7: weeks)
  --horizon N                   CLV and expected purchases over N periods (default 52)
  --discount-rate D             discount rate per period (default: 10 % a year)
  --margin M                    share of the spend kept as profit, in [0, 1] (default 1)
  --top N                       customers in the CLV ranking (default 10)
  --max-iterations N            optimiser iterations per fit (default 1000)
  --json                        print one JSON object instead
  --per-customer FILE           also write one CSV row per customer to FILE
";

/// The bundled CDNOW sample.
const BUNDLED: &str = include_str!("../tests/data/cdnow_sample_transactions.txt");
/// Its path, for the report.
const BUNDLED_NAME: &str = "tests/data/cdnow_sample_transactions.txt";
/// The holdout check groups calibration frequencies 0, …, BINS − 1 and BINS+.
const BINS: u32 = 7;
/// The default discount rate, per year (converted to the period unit).
const ANNUAL_DISCOUNT: f64 = 0.10;
/// Header of a transactions CSV.
const TRANSACTIONS_HEADER: &str = "customer_id,date,amount";
/// The purchase models, in report order: (JSON key, display name).
const PURCHASE_MODELS: [(&str, &str); 3] =
    [("bg_nbd", "BG/NBD"), ("mbg_nbd", "MBG/NBD"), ("pareto_nbd", "Pareto/NBD")];

/// Where the customers come from.
#[derive(Debug, Clone, PartialEq)]
enum Input {
    Bundled,
    Transactions(String),
    Summary(String),
}

/// The command line.
#[derive(Debug, Clone)]
struct Options {
    input: Input,
    calibration_end: Option<NaiveDate>,
    observation_end: Option<NaiveDate>,
    period_days: f64,
    horizon: u32,
    discount_rate: Option<f64>,
    margin: Decimal,
    top: usize,
    max_iterations: u32,
    json: bool,
    per_customer: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        input: Input::Bundled,
        calibration_end: None,
        observation_end: None,
        period_days: 7.0,
        horizon: 52,
        discount_rate: None,
        margin: Decimal::ONE,
        top: 10,
        max_iterations: 1000,
        json: false,
        per_customer: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        let number = |name: &str, v: String| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("{name} expects a number, got {v:?}"))
        };
        match arg.as_str() {
            "--calibration-end" => o.calibration_end = Some(parse_date(&value()?)?),
            "--observation-end" => o.observation_end = Some(parse_date(&value()?)?),
            "--period-days" => {
                o.period_days = number(arg, value()?)?;
                if o.period_days <= 0.0 {
                    return Err(format!("--period-days must be > 0, got {}", o.period_days));
                }
            }
            "--horizon" => {
                let v = value()?;
                o.horizon =
                    v.parse().ok().filter(|h| *h > 0).ok_or_else(|| {
                        format!("--horizon expects a whole number of periods >= 1, got {v:?}")
                    })?;
            }
            "--discount-rate" => {
                let d = number(arg, value()?)?;
                if d < 0.0 {
                    return Err(format!("--discount-rate must be >= 0, got {d}"));
                }
                o.discount_rate = Some(d);
            }
            "--margin" => {
                let v = value()?;
                o.margin = Decimal::from_str(&v)
                    .ok()
                    .filter(|m| *m >= Decimal::ZERO && *m <= Decimal::ONE)
                    .ok_or_else(|| format!("--margin expects a share in [0, 1], got {v:?}"))?;
            }
            "--top" => {
                let v = value()?;
                o.top = v.parse().map_err(|_| format!("--top expects a whole number, got {v:?}"))?;
            }
            "--max-iterations" => {
                let v = value()?;
                o.max_iterations = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--max-iterations expects a whole number >= 1, got {v:?}"))?;
            }
            "--json" => o.json = true,
            "--per-customer" => o.per_customer = Some(PathBuf::from(value()?)),
            "--summary" => {
                let file = value()?;
                set_input(&mut o.input, Input::Summary(file))?;
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag} (see --help)")),
            file => set_input(&mut o.input, Input::Transactions(file.to_string()))?,
        }
    }
    match o.input {
        Input::Bundled => {
            // The published CDNOW split: 39 weeks of calibration, 39 weeks of holdout.
            o.calibration_end = o.calibration_end.or(NaiveDate::from_ymd_opt(1997, 9, 30));
            o.observation_end = o.observation_end.or(NaiveDate::from_ymd_opt(1998, 6, 30));
        }
        Input::Summary(_) if o.calibration_end.is_some() || o.observation_end.is_some() => {
            return Err("--calibration-end and --observation-end apply to transactions, not to --summary \
                        (give frequency_holdout and duration_holdout columns instead)"
                .to_string());
        }
        _ => {}
    }
    Ok(o)
}

fn set_input(slot: &mut Input, input: Input) -> Result<(), String> {
    if *slot != Input::Bundled {
        return Err("give one input: a transactions FILE or --summary FILE".to_string());
    }
    *slot = input;
    Ok(())
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("bad date {s:?} (expected YYYY-MM-DD)"))
}

/// The reason of a summary error without its placeholder customer.
fn reason(e: Error) -> String {
    match e {
        Error::InvalidSummary { reason, .. } => reason,
        Error::InvalidTransaction { field, reason, .. } => format!("{field}: {reason}"),
        other => other.to_string(),
    }
}

/// One customer of the calibration period.
#[derive(Debug, Clone)]
struct Customer {
    id: String,
    summary: CustomerSummary,
}

/// The customers and where they came from.
#[derive(Debug)]
struct Data {
    source: String,
    transactions: Option<usize>,
    customers: Vec<Customer>,
    /// Customers whose first purchase came after the calibration end.
    holdout_only: usize,
    calibration_end: Option<NaiveDate>,
    observation_end: Option<NaiveDate>,
    /// Whether spend is known (false for a summary file without `monetary_value`).
    has_spend: bool,
}

/// The non-blank lines of a text with their 1-based numbers.
fn numbered(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty())
}

/// Summarises transactions: the bundled whitespace format (`csv == false`) or a CSV with the
/// header `customer_id,date,amount`.
fn summarise_transactions(text: &str, csv: bool, source: &str, o: &Options) -> Result<Data, String> {
    let mut options = SummaryOptions::default().period_days(o.period_days);
    if let Some(d) = o.calibration_end {
        options = options.calibration_end(d);
    }
    if let Some(d) = o.observation_end {
        options = options.observation_end(d);
    }
    let mut builder = SummaryBuilder::new(options).map_err(|e| e.to_string())?;
    let mut lines = numbered(text);
    if csv {
        let (line, header) = lines.next().ok_or("line 1: the file is empty")?;
        let header = header.trim_start_matches('\u{feff}');
        if header != TRANSACTIONS_HEADER {
            return Err(format!("line {line}: expected the header {TRANSACTIONS_HEADER}, got {header:?}"));
        }
    }
    let mut count = 0;
    let mut last: Option<NaiveDate> = None;
    for (line, row) in lines {
        let bad = |what: String| format!("line {line}: {what}");
        let fields: Vec<&str> =
            if csv { row.split(',').map(str::trim).collect() } else { row.split_whitespace().collect() };
        let (id, date, amount) = match (csv, fields.as_slice()) {
            (true, [id, date, amount]) => (*id, parse_date(date).map_err(bad)?, *amount),
            (false, [_, id, date, _, amount]) => (
                *id,
                NaiveDate::parse_from_str(date, "%Y%m%d")
                    .map_err(|_| bad(format!("bad date {date:?} (expected YYYYMMDD)")))?,
                *amount,
            ),
            _ => {
                return Err(bad(format!(
                    "expected {} fields, got {}",
                    if csv { 3 } else { 5 },
                    fields.len()
                )));
            }
        };
        if id.is_empty() {
            return Err(bad("empty customer_id".to_string()));
        }
        let amount = Decimal::from_str(amount)
            .or_else(|_| Decimal::from_scientific(amount))
            .map_err(|_| bad(format!("amount {amount:?} is not a decimal number")))?;
        builder
            .record(&Transaction::new(id.to_string(), date, amount))
            .map_err(|e| bad(format!("customer {id}: {}", reason(e))))?;
        count += 1;
        last = last.max(Some(date));
    }
    if let (Some(cal), None, Some(last)) = (o.calibration_end, o.observation_end, last)
        && cal > last
    {
        return Err(format!(
            "--calibration-end {cal} is after the last transaction ({last}): give an earlier date, \
             or --observation-end for a holdout without purchases"
        ));
    }
    let summaries = builder.build().map_err(|e| format!("{source}: {e}"))?;
    let has_holdout = o.calibration_end.is_some();
    Ok(Data {
        source: source.to_string(),
        transactions: Some(count),
        holdout_only: summaries.holdout_only.len(),
        calibration_end: Some(summaries.calibration_end),
        observation_end: has_holdout.then_some(summaries.observation_end),
        customers: summaries
            .customers
            .into_iter()
            .map(|c| Customer { id: c.id, summary: c.summary })
            .collect(),
        has_spend: true,
    })
}

/// Reads a summary CSV (lifetimes' column names, any order).
fn read_summary(text: &str, source: &str) -> Result<Data, String> {
    const REQUIRED: [&str; 4] = ["customer_id", "frequency", "recency", "T"];
    const OPTIONAL: [&str; 3] = ["monetary_value", "frequency_holdout", "duration_holdout"];
    let mut lines = numbered(text);
    let (header_line, header) = lines.next().ok_or("line 1: the file is empty")?;
    let names: Vec<&str> = header.trim_start_matches('\u{feff}').split(',').map(str::trim).collect();
    let mut seen = HashSet::new();
    for name in &names {
        if !REQUIRED.contains(name) && !OPTIONAL.contains(name) {
            return Err(format!(
                "line {header_line}: unknown column {name:?} (accepted: {}, {})",
                REQUIRED.join(", "),
                OPTIONAL.join(", ")
            ));
        }
        if !seen.insert(*name) {
            return Err(format!("line {header_line}: column {name:?} appears twice"));
        }
    }
    let column = |name: &str| names.iter().position(|n| *n == name);
    let mut required = [0; 4];
    for (slot, name) in required.iter_mut().zip(REQUIRED) {
        *slot = column(name)
            .ok_or_else(|| format!("line {header_line}: missing column {name:?} in {header:?}"))?;
    }
    let [id_col, x_col, tx_col, t_col] = required;
    let money_col = column("monetary_value");
    let holdout_cols = match (column("frequency_holdout"), column("duration_holdout")) {
        (Some(f), Some(d)) => Some((f, d)),
        (None, None) => None,
        _ => {
            return Err(format!(
                "line {header_line}: give both frequency_holdout and duration_holdout, or neither"
            ));
        }
    };
    let mut ids = HashSet::new();
    let mut customers = Vec::new();
    for (line, row) in lines {
        let bad = |what: String| format!("line {line}: {what}");
        let fields: Vec<&str> = row.split(',').map(str::trim).collect();
        if fields.len() != names.len() {
            return Err(bad(format!("expected {} fields, got {}", names.len(), fields.len())));
        }
        let field = |i: usize| fields.get(i).copied().unwrap_or_default();
        let count = |name: &str, i: usize| -> Result<u32, String> {
            let v = field(i);
            v.parse::<u32>()
                .ok()
                .or_else(|| {
                    // A whole-number float, as pandas writes counts ("2.0").
                    v.parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
                        .map(|f| f as u32)
                })
                .ok_or_else(|| bad(format!("{name} {v:?} is not a whole number >= 0")))
        };
        let real = |name: &str, i: usize| -> Result<f64, String> {
            let v = field(i);
            v.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| bad(format!("{name} {v:?} is not a number")))
        };
        let id = field(id_col);
        if id.is_empty() {
            return Err(bad("empty customer_id".to_string()));
        }
        let money = match money_col {
            None => Decimal::ZERO,
            Some(i) => {
                let v = field(i);
                Decimal::from_str(v)
                    .or_else(|_| Decimal::from_scientific(v))
                    .map_err(|_| bad(format!("monetary_value {v:?} is not a decimal number")))?
            }
        };
        let summary = CustomerSummary::new(
            count("frequency", x_col)?,
            real("recency", tx_col)?,
            real("T", t_col)?,
            money,
        )
        .map_err(|e| bad(format!("customer {id}: {}", reason(e))))?;
        let summary = match holdout_cols {
            None => summary,
            Some((f, d)) => {
                let holdout = HoldoutSummary::new(
                    count("frequency_holdout", f)?,
                    Decimal::ZERO,
                    real("duration_holdout", d)?,
                )
                .map_err(|e| bad(format!("customer {id}: {}", reason(e))))?;
                summary.with_holdout(holdout)
            }
        };
        if !ids.insert(id.to_string()) {
            return Err(bad(format!("customer {id} appears twice")));
        }
        customers.push(Customer { id: id.to_string(), summary });
    }
    if customers.is_empty() {
        return Err(format!("{source}: no customers"));
    }
    Ok(Data {
        source: source.to_string(),
        transactions: None,
        customers,
        holdout_only: 0,
        calibration_end: None,
        observation_end: None,
        has_spend: money_col.is_some(),
    })
}

fn read_input(o: &Options) -> Result<Data, String> {
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"));
    match &o.input {
        Input::Bundled => summarise_transactions(BUNDLED, false, BUNDLED_NAME, o),
        Input::Transactions(path) => summarise_transactions(&read(path)?, true, path, o),
        Input::Summary(path) => read_summary(&read(path)?, path),
    }
}

/// How one fit went.
#[derive(Debug, Clone)]
struct FitSummary {
    key: &'static str,
    name: &'static str,
    names: &'static [&'static str],
    /// The estimate, or the last iterate of a fit that did not converge.
    params: Option<Vec<f64>>,
    standard_errors: Option<Vec<f64>>,
    log_likelihood: Option<f64>,
    converged: bool,
    iterations: Option<u32>,
    gradient_norm: Option<f64>,
    seconds: f64,
    /// Why the fit failed.
    error: Option<String>,
}

/// Runs one fit, timing it; a failure becomes a [`FitSummary`] with the error.
fn fit_one<M>(
    (key, name): (&'static str, &'static str),
    names: &'static [&'static str],
    fit: impl FnOnce() -> Result<M, Error>,
    params: impl Fn(&M) -> Vec<f64>,
    report: impl Fn(&M) -> Option<&FitReport>,
) -> (Option<M>, FitSummary) {
    let start = Instant::now();
    let result = fit();
    let seconds = start.elapsed().as_secs_f64();
    let mut summary = FitSummary {
        key,
        name,
        names,
        params: None,
        standard_errors: None,
        log_likelihood: None,
        converged: false,
        iterations: None,
        gradient_norm: None,
        seconds,
        error: None,
    };
    match result {
        Ok(model) => {
            summary.params = Some(params(&model));
            summary.converged = true;
            if let Some(r) = report(&model) {
                summary.standard_errors = r.standard_errors.clone();
                summary.log_likelihood = Some(r.log_likelihood);
                summary.iterations = Some(r.iterations);
                summary.gradient_norm = Some(r.gradient_norm);
            }
            (Some(model), summary)
        }
        Err(e) => {
            if let Error::NotConverged { iterations, gradient_norm, log_likelihood, parameters, .. } = &e {
                summary.params = Some(parameters.clone());
                summary.log_likelihood = Some(*log_likelihood);
                summary.iterations = Some(*iterations);
                summary.gradient_norm = Some(*gradient_norm);
            }
            summary.error = Some(e.to_string());
            (None, summary)
        }
    }
}

/// The fitted models (those that converged) and how every fit went.
struct Fits {
    purchase: Vec<Option<Box<dyn PurchaseModel>>>,
    spend: Option<GammaGamma>,
    summaries: Vec<FitSummary>,
}

fn boxed<M: PurchaseModel + 'static>(
    (m, s): (Option<M>, FitSummary),
) -> (Option<Box<dyn PurchaseModel>>, FitSummary) {
    (m.map(|m| Box::new(m) as Box<dyn PurchaseModel>), s)
}

fn fit_all(customers: &[CustomerSummary], has_spend: bool, max_iterations: u32) -> Fits {
    const BG: &[&str] = &["r", "alpha", "a", "b"];
    let [bg, mbg, pareto] = PURCHASE_MODELS;
    let fits = [
        boxed(fit_one(
            bg,
            BG,
            || BgNbdFitter::new().max_iterations(max_iterations).fit(customers),
            |m| vec![m.r(), m.alpha(), m.a(), m.b()],
            |m| m.report(),
        )),
        boxed(fit_one(
            mbg,
            BG,
            || MbgNbdFitter::new().max_iterations(max_iterations).fit(customers),
            |m| vec![m.r(), m.alpha(), m.a(), m.b()],
            |m| m.report(),
        )),
        boxed(fit_one(
            pareto,
            &["r", "alpha", "s", "beta"],
            || ParetoNbdFitter::new().max_iterations(max_iterations).fit(customers),
            |m| vec![m.r(), m.alpha(), m.s(), m.beta()],
            |m| m.report(),
        )),
    ];
    let mut summaries = Vec::new();
    let mut purchase = Vec::new();
    for (model, summary) in fits {
        purchase.push(model);
        summaries.push(summary);
    }
    let spend_names: &[&str] = &["p", "q", "v"];
    let (spend, summary) = if has_spend {
        // Customers with repeat purchases of positive value carry the spend information.
        let repeat: Vec<CustomerSummary> = customers
            .iter()
            .filter(|c| c.frequency() > 0 && c.monetary_value() > Decimal::ZERO)
            .cloned()
            .collect();
        fit_one(
            ("gamma_gamma", "Gamma-Gamma"),
            spend_names,
            || GammaGammaFitter::new().max_iterations(max_iterations).fit(&repeat),
            |m| vec![m.p(), m.q(), m.v()],
            |m| m.report(),
        )
    } else {
        let summary = FitSummary {
            key: "gamma_gamma",
            name: "Gamma-Gamma",
            names: spend_names,
            params: None,
            standard_errors: None,
            log_likelihood: None,
            converged: false,
            iterations: None,
            gradient_norm: None,
            seconds: 0.0,
            error: Some(
                "not fitted: the summary file has no monetary_value column (no expected spend, no CLV)"
                    .to_string(),
            ),
        };
        (None, summary)
    };
    summaries.push(summary);
    Fits { purchase, spend, summaries }
}

/// The holdout check of one model.
#[derive(Debug, Clone)]
struct HoldoutCheck {
    key: &'static str,
    predicted_total: f64,
    actual_total: f64,
    customers: u64,
    groups: Vec<ConditionalGroup>,
}

/// The holdout check of every purchase model that converged (a model whose check fails gets a
/// note instead).
fn holdout_checks(fits: &Fits, customers: &[CustomerSummary], notes: &mut Vec<String>) -> Vec<HoldoutCheck> {
    let mut checks = Vec::new();
    for ((key, name), model) in PURCHASE_MODELS.iter().zip(&fits.purchase) {
        let Some(model) = model else { continue };
        let view = match conditional_expectations(model.as_ref(), customers, BINS) {
            Ok(view) => view,
            Err(e) => {
                notes.push(format!("{name}: no holdout check: {e}"));
                continue;
            }
        };
        let n = view.total.customers as f64;
        checks.push(HoldoutCheck {
            key,
            predicted_total: view.total.expected.unwrap_or(0.0) * n,
            actual_total: view.total.actual.unwrap_or(0.0) * n,
            customers: view.total.customers,
            groups: view.groups,
        });
    }
    checks
}

/// The per-customer quantities.
#[derive(Debug, Clone, Default)]
struct Values {
    /// (P(alive), expected purchases over the horizon) per purchase model that converged.
    models: Vec<Option<(f64, f64)>>,
    expected_spend: Option<Decimal>,
    clv: Option<Decimal>,
    /// Why a quantity is missing, if one is.
    problem: Option<String>,
}

/// P(alive), expected purchases over the horizon, expected spend and CLV of every customer.
///
/// Each distinct (x, t_x, T, z̄) is computed once (CDNOW's 2,357 customers have 1,030), on all
/// cores: the models are `Send + Sync`. The CLV's finite sum costs `--horizon` evaluations of
/// E[Y(t) | x, t_x, T] per customer and dominates the run.
fn customer_values(
    fits: &Fits,
    customers: &[CustomerSummary],
    horizon: f64,
    clv: &Clv,
) -> Result<Vec<Values>, String> {
    let mut index: HashMap<(u32, u64, u64, Decimal), usize> = HashMap::new();
    let mut distinct: Vec<&CustomerSummary> = Vec::new();
    let slots: Vec<usize> = customers
        .iter()
        .map(|c| {
            let key = (c.frequency(), c.recency().to_bits(), c.age().to_bits(), c.monetary_value());
            *index.entry(key).or_insert_with(|| {
                distinct.push(c);
                distinct.len() - 1
            })
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = distinct.len().div_ceil(threads).max(1);
    let computed: Result<Vec<Vec<Values>>, String> = std::thread::scope(|scope| {
        let workers: Vec<_> = distinct
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter().map(|c| one_customer(fits, c, horizon, clv)).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().map_err(|_| "a worker thread panicked".to_string())).collect()
    });
    let computed: Vec<Values> = computed?.into_iter().flatten().collect();
    Ok(slots.into_iter().map(|i| computed[i].clone()).collect())
}

/// One customer's quantities; a quantity that cannot be computed (for example an infinite
/// expected spend when the Gamma-Gamma `q ≤ 1`) is left empty and the first reason kept.
fn one_customer(fits: &Fits, c: &CustomerSummary, horizon: f64, clv: &Clv) -> Values {
    let mut values = Values::default();
    let mut keep = |what: &str, e: Error| {
        values.problem.get_or_insert_with(|| format!("{what}: {e}"));
    };
    let mut models = Vec::new();
    for ((_, name), model) in PURCHASE_MODELS.iter().zip(&fits.purchase) {
        models.push(model.as_ref().and_then(|m| match m.conditional_expected_purchases(c, horizon) {
            Ok(e) => Some((m.probability_alive(c), e)),
            Err(e) => {
                keep(name, e);
                None
            }
        }));
    }
    let (mut expected_spend, mut value) = (None, None);
    if let Some(gg) = &fits.spend {
        expected_spend = gg.conditional_expected_spend(c).map_err(|e| keep("Gamma-Gamma", e)).ok();
        if let (Some(Some(bg)), Some(_)) = (fits.purchase.first(), expected_spend) {
            value = clv.value(bg.as_ref(), gg, c).map_err(|e| keep("CLV", e)).ok();
        }
    }
    values.models = models;
    values.expected_spend = expected_spend;
    values.clv = value;
    values
}

/// Everything the report shows.
struct Report {
    data: Data,
    options: Options,
    discount_rate: f64,
    fits: Fits,
    holdout: Option<Vec<HoldoutCheck>>,
    holdout_length: Option<f64>,
    values: Vec<Values>,
    /// Quantities that could not be computed, and why.
    notes: Vec<String>,
    seconds: Seconds,
}

/// Wall-clock time of each stage.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Seconds {
    /// Reading and summarising the input.
    read: f64,
    /// The four fits.
    fits: f64,
    /// The holdout check.
    holdout: f64,
    /// P(alive), expected purchases, expected spend and CLV of every customer.
    customers: f64,
}

fn analyse(options: Options) -> Result<Report, String> {
    let clock = Instant::now();
    let lap = || clock.elapsed().as_secs_f64();
    let data = read_input(&options)?;
    let read = lap();
    let summaries: Vec<CustomerSummary> = data.customers.iter().map(|c| c.summary.clone()).collect();
    let discount_rate = options
        .discount_rate
        .unwrap_or_else(|| (1.0 + ANNUAL_DISCOUNT).powf(options.period_days / 365.25) - 1.0);
    let clv = Clv::finite(1.0, options.horizon, discount_rate)
        .and_then(|c| c.with_margin(options.margin))
        .map_err(|e| e.to_string())?;
    let fits = fit_all(&summaries, data.has_spend, options.max_iterations);
    let fitted = lap();
    let holdout_length = summaries.iter().find_map(|c| c.holdout()).map(HoldoutSummary::length);
    let mut notes = Vec::new();
    let holdout = holdout_length.map(|_| holdout_checks(&fits, &summaries, &mut notes));
    let checked = lap();
    let values = customer_values(&fits, &summaries, f64::from(options.horizon), &clv)?;
    let done = lap();
    let seconds = Seconds { read, fits: fitted - read, holdout: checked - fitted, customers: done - checked };
    let incomplete: Vec<&Values> = values.iter().filter(|v| v.problem.is_some()).collect();
    if let Some(first) = incomplete.first().and_then(|v| v.problem.as_ref()) {
        notes.push(format!("{} customers have empty values; the first reason: {first}", incomplete.len()));
    }
    Ok(Report { data, options, discount_rate, fits, holdout, holdout_length, values, notes, seconds })
}

/// Money to cents, for display.
fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Customer indices by CLV, highest first (ties by id order); empty without CLV.
fn ranking(report: &Report) -> Vec<usize> {
    let mut order: Vec<usize> =
        (0..report.values.len()).filter(|&i| report.values[i].clv.is_some()).collect();
    order.sort_by(|&a, &b| report.values[b].clv.cmp(&report.values[a].clv).then(a.cmp(&b)));
    order.truncate(report.options.top);
    order
}

fn named(names: &[&str], values: Option<&Vec<f64>>) -> Value {
    match values {
        Some(v) => Value::Object(names.iter().zip(v).map(|(n, x)| (n.to_string(), json!(x))).collect()),
        None => Value::Null,
    }
}

fn to_json(report: &Report) -> Value {
    let mut models = Map::new();
    for s in &report.fits.summaries {
        let mut m = json!({
            "params": named(s.names, s.params.as_ref()),
            "standard_errors": named(s.names, s.standard_errors.as_ref()),
            "log_likelihood": s.log_likelihood,
            "converged": s.converged,
            "iterations": s.iterations,
            "gradient_norm": s.gradient_norm,
            "fit_seconds": s.seconds,
        });
        if let (Some(e), Some(obj)) = (&s.error, m.as_object_mut()) {
            obj.insert("error".to_string(), json!(e));
        }
        models.insert(s.key.to_string(), m);
    }
    let holdout = report.holdout.as_ref().map(|checks| {
        Value::Object(
            checks
                .iter()
                .map(|h| {
                    let v = json!({
                        "predicted_total": h.predicted_total,
                        "actual_total": h.actual_total,
                        "customers": h.customers,
                        "by_frequency": h.groups,
                    });
                    (h.key.to_string(), v)
                })
                .collect(),
        )
    });
    let top: Vec<Value> = ranking(report)
        .into_iter()
        .map(|i| {
            let (c, v) = (&report.data.customers[i], &report.values[i]);
            let bg = v.models.first().copied().flatten();
            json!({
                "customer_id": c.id,
                "frequency": c.summary.frequency(),
                "recency": c.summary.recency(),
                "T": c.summary.age(),
                "p_alive": bg.map(|b| b.0),
                "expected": bg.map(|b| b.1),
                "expected_spend": v.expected_spend.map(cents),
                "clv": v.clv.map(cents),
            })
        })
        .collect();
    json!({
        "customers": report.data.customers.len(),
        "source": report.data.source,
        "transactions": report.data.transactions,
        "holdout_only_customers": report.data.holdout_only,
        "period_days": report.options.period_days,
        "calibration_end": report.data.calibration_end,
        "observation_end": report.data.observation_end,
        "holdout_length": report.holdout_length,
        "horizon": report.options.horizon,
        "discount_rate": report.discount_rate,
        "margin": report.options.margin,
        "models": models,
        "holdout": holdout,
        "top_customers": top,
        "notes": report.notes,
        "seconds": report.seconds,
    })
}

fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.decimals$}"))
}

fn render(report: &Report, out: &mut String) {
    let d = &report.data;
    let o = &report.options;
    let _ = write!(out, "Customer-base report on {}: {} customers", d.source, d.customers.len());
    if let Some(n) = d.transactions {
        let _ = write!(out, " ({n} transactions)");
    }
    let _ = writeln!(out, "; time unit {} days", o.period_days);
    match (d.calibration_end, d.observation_end, report.holdout_length) {
        (Some(cal), Some(end), Some(len)) => {
            let _ = writeln!(
                out,
                "calibration to {cal}, holdout to {end} ({len:.1} periods); {} customers first bought in the holdout and are left out",
                d.holdout_only
            );
        }
        (Some(cal), _, _) => {
            let _ =
                writeln!(out, "calibration to {cal}, no holdout (give --calibration-end to check forecasts)");
        }
        (None, _, Some(len)) => {
            let _ = writeln!(out, "summary file with a holdout of {len:.1} periods");
        }
        (None, _, None) => {
            let _ = writeln!(out, "summary file without holdout columns: no holdout check");
        }
    }

    let _ = writeln!(out, "\nFits (maximum likelihood; standard errors in brackets)");
    for s in &report.fits.summaries {
        let params = match (&s.params, &s.standard_errors) {
            (Some(p), se) => s
                .names
                .iter()
                .zip(p)
                .enumerate()
                .map(|(i, (n, v))| match se.as_ref().and_then(|se| se.get(i)) {
                    Some(e) => format!("{n} = {v:.4} ({e:.4})"),
                    None => format!("{n} = {v:.4}"),
                })
                .collect::<Vec<_>>()
                .join("  "),
            (None, _) => String::new(),
        };
        if let (None, None, Some(error)) = (&s.params, s.iterations, &s.error) {
            // Not fitted at all (no spend data, too few customers): one line.
            let _ = writeln!(out, "  {:<12} {error}", s.name);
            continue;
        }
        let _ = writeln!(out, "  {:<12} {params}", s.name);
        let status = match (s.converged, s.gradient_norm) {
            (true, _) => "converged".to_string(),
            (false, Some(g)) => {
                format!("DID NOT CONVERGE (gradient norm {g:.1e}; last iterate shown): left out below")
            }
            (false, None) => {
                format!("FAILED ({}): left out below", s.error.as_deref().unwrap_or("unknown error"))
            }
        };
        let _ = writeln!(
            out,
            "  {:<12} log-likelihood {}, {} iterations, {:.1} ms, {status}",
            "",
            fmt_opt(s.log_likelihood, 2),
            s.iterations.map_or_else(|| "-".to_string(), |i| i.to_string()),
            s.seconds * 1e3
        );
    }

    if let (Some(checks), Some(len)) = (&report.holdout, report.holdout_length) {
        let _ = writeln!(
            out,
            "\nHoldout check: repeat purchases in the {len:.1} periods after the calibration end, per customer"
        );
        let _ = write!(out, "  {:>10} {:>9} {:>8}", "x (calib.)", "customers", "actual");
        for h in checks {
            let name = PURCHASE_MODELS.iter().find(|m| m.0 == h.key).map_or(h.key, |m| m.1);
            let _ = write!(out, " {name:>10}");
        }
        let _ = writeln!(out);
        if let Some(first) = checks.first() {
            for (g, group) in first.groups.iter().enumerate() {
                let label =
                    if group.open { format!("{}+", group.frequency) } else { group.frequency.to_string() };
                let _ = write!(out, "  {label:>10} {:>9} {:>8}", group.customers, fmt_opt(group.actual, 3));
                for h in checks {
                    let _ = write!(out, " {:>10}", fmt_opt(h.groups.get(g).and_then(|g| g.expected), 3));
                }
                let _ = writeln!(out);
            }
            let _ = write!(out, "  {:>10} {:>9} {:>8.0}", "total", first.customers, first.actual_total);
            for h in checks {
                let _ = write!(out, " {:>10.1}", h.predicted_total);
            }
            let _ = writeln!(out);
        } else {
            let _ = writeln!(out, "  (no purchase model converged)");
        }
    }

    for note in &report.notes {
        let _ = writeln!(out, "\nNote: {note}");
    }
    let top = ranking(report);
    if top.is_empty() {
        let _ = writeln!(out, "\nNo CLV ranking: it needs converged BG/NBD and Gamma-Gamma fits.");
    } else {
        let _ = writeln!(
            out,
            "\nTop {} customers by CLV over {} periods (BG/NBD × Gamma-Gamma, discount {:.4} % per period, margin {})",
            top.len(),
            o.horizon,
            report.discount_rate * 100.0,
            o.margin
        );
        let _ = writeln!(
            out,
            "  {:<12} {:>4} {:>8} {:>8} {:>8} {:>10} {:>10} {:>12}",
            "customer", "x", "t_x", "T", "P(alive)", "E[purch.]", "E[spend]", "CLV"
        );
        for i in top {
            let (c, v) = (&report.data.customers[i], &report.values[i]);
            let bg = v.models.first().copied().flatten();
            let _ = writeln!(
                out,
                "  {:<12} {:>4} {:>8.2} {:>8.2} {:>8} {:>10} {:>10} {:>12}",
                c.id,
                c.summary.frequency(),
                c.summary.recency(),
                c.summary.age(),
                fmt_opt(bg.map(|b| b.0), 3),
                fmt_opt(bg.map(|b| b.1), 2),
                v.expected_spend.map_or_else(|| "-".to_string(), |s| cents(s).to_string()),
                v.clv.map_or_else(|| "-".to_string(), |s| cents(s).to_string()),
            );
        }
    }
    let t = &report.seconds;
    let _ = writeln!(
        out,
        "\nTime: reading {:.2} s, fits {:.2} s, holdout check {:.2} s, per-customer values {:.2} s",
        t.read, t.fits, t.holdout, t.customers
    );
}

/// The per-customer CSV.
fn per_customer_csv(report: &Report) -> String {
    let mut out = String::from("customer_id,frequency,recency,T");
    for (key, _) in PURCHASE_MODELS {
        let _ = write!(out, ",{key}_p_alive,{key}_expected");
    }
    out.push_str(",expected_spend,clv\n");
    let opt = |v: Option<f64>| v.map_or_else(String::new, |x| x.to_string());
    let money = |v: Option<Decimal>| {
        v.map_or_else(String::new, |x| {
            x.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero).normalize().to_string()
        })
    };
    for (c, v) in report.data.customers.iter().zip(&report.values) {
        let _ = write!(out, "{},{},{},{}", c.id, c.summary.frequency(), c.summary.recency(), c.summary.age());
        for m in &v.models {
            let _ = write!(out, ",{},{}", opt(m.map(|m| m.0)), opt(m.map(|m| m.1)));
        }
        let _ = writeln!(out, ",{},{}", money(v.expected_spend), money(v.clv));
    }
    out
}

/// Writes `contents` to a temporary file beside `path`, then renames it to `path`.
fn write_atomically(path: &Path, contents: &str) -> Result<(), String> {
    let name =
        path.file_name().ok_or_else(|| format!("--per-customer {}: not a file name", path.display()))?;
    let mut temporary = name.to_os_string();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = path.with_file_name(temporary);
    let result = std::fs::write(&temporary, contents).and_then(|()| std::fs::rename(&temporary, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        format!("cannot write {}: {e}", path.display())
    })
}

/// The whole program without the process: the output to print, or the error message.
fn run(args: &[String]) -> Result<String, String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        return Ok(USAGE.to_string());
    }
    let options = parse_args(args)?;
    let report = analyse(options)?;
    if let Some(path) = &report.options.per_customer {
        write_atomically(path, &per_customer_csv(&report))?;
    }
    let mut out = String::new();
    if report.options.json {
        out = serde_json::to_string(&to_json(&report)).map_err(|e| e.to_string())? + "\n";
    } else {
        render(&report, &mut out);
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => match std::io::stdout().lock().write_all(out.as_bytes()) {
            // A closed pipe (`| head`) is not an error of this program.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                eprintln!("error: cannot write the output: {e}");
                ExitCode::FAILURE
            }
            _ => ExitCode::SUCCESS,
        },
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    /// A fresh directory under the system's temporary directory.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("customer-metrics-report-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        dir
    }

    fn json_of(list: &[&str]) -> Value {
        let out = run(&args(list)).expect("the run succeeds");
        serde_json::from_str(&out).expect("one JSON object")
    }

    fn param(v: &Value, model: &str, name: &str) -> f64 {
        v["models"][model]["params"][name].as_f64().unwrap_or_else(|| panic!("{model}.{name} in {v}"))
    }

    /// The bundled CDNOW run, shared by the tests (a short CLV horizon keeps the debug-build
    /// tests fast; the horizon does not enter the fits or the holdout check).
    fn bundled() -> &'static Value {
        static RUN: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
        RUN.get_or_init(|| json_of(&["--json", "--horizon", "2"]))
    }

    #[test]
    fn bundled_cdnow_run() {
        let v = bundled();
        assert_eq!(v["customers"], 2357);
        for model in ["bg_nbd", "mbg_nbd", "pareto_nbd", "gamma_gamma"] {
            assert_eq!(v["models"][model]["converged"], true, "{model}: {}", v["models"][model]);
            assert!(v["models"][model]["log_likelihood"].as_f64().is_some_and(f64::is_finite));
            assert!(v["models"][model]["iterations"].as_u64().is_some_and(|n| n > 0));
            assert!(v["models"][model]["fit_seconds"].as_f64().is_some_and(|s| s >= 0.0));
        }
        // Fader, Hardie & Lee (2005): r = 0.243, α = 4.414, a = 0.793, b = 2.426.
        for (name, published) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
            let got = param(v, "bg_nbd", name);
            assert!((got - published).abs() < 1e-3 * published.max(1.0), "{name} = {got}");
        }
        // Fader & Hardie (2013), note 025: p = 6.25, q = 3.74, γ = 15.44.
        for (name, published) in [("p", 6.25), ("q", 3.74), ("v", 15.44)] {
            let got = param(v, "gamma_gamma", name);
            assert!((got - published).abs() < 0.01 * published, "{name} = {got}");
        }
        for name in ["r", "alpha", "a", "b"] {
            assert!(param(v, "mbg_nbd", name) > 0.0);
        }
        for name in ["r", "alpha", "s", "beta"] {
            assert!(param(v, "pareto_nbd", name) > 0.0);
        }
        let holdout = &v["holdout"];
        for model in ["bg_nbd", "mbg_nbd", "pareto_nbd"] {
            let actual = holdout[model]["actual_total"].as_f64().expect("actual");
            let predicted = holdout[model]["predicted_total"].as_f64().expect("predicted");
            assert_eq!(actual, 1882.0, "{model}");
            assert!((predicted / actual - 1.0).abs() < 0.2, "{model}: {predicted} vs {actual}");
            assert_eq!(holdout[model]["by_frequency"].as_array().map(Vec::len), Some(BINS as usize + 1));
        }
        assert_eq!(v["top_customers"].as_array().map(Vec::len), Some(10));
        assert_eq!(v["top_customers"][0]["customer_id"], "0509");
    }

    #[test]
    fn transactions_csv_with_holdout_and_per_customer_file() {
        let dir = temp_dir("transactions");
        let input = dir.join("t.csv");
        let sample = include_str!("data/transactions_small.csv");
        std::fs::write(&input, sample).expect("write the input");
        let output = dir.join("customers.csv");
        let (input, output_s) = (input.to_string_lossy(), output.to_string_lossy());
        let list = [
            &*input,
            "--calibration-end",
            "2024-12-31",
            "--json",
            "--horizon",
            "8",
            "--per-customer",
            &*output_s,
        ];
        let v = json_of(&list);
        assert_eq!(v["customers"], 400);
        for model in ["bg_nbd", "mbg_nbd", "pareto_nbd", "gamma_gamma"] {
            assert_eq!(v["models"][model]["converged"], true, "{model}");
        }
        assert!(v["holdout"]["bg_nbd"]["actual_total"].as_f64().is_some_and(|a| a > 0.0));
        let csv = std::fs::read_to_string(&output).expect("the per-customer file");
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some(
                "customer_id,frequency,recency,T,bg_nbd_p_alive,bg_nbd_expected,mbg_nbd_p_alive,\
                 mbg_nbd_expected,pareto_nbd_p_alive,pareto_nbd_expected,expected_spend,clv"
            )
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 400);
        assert!(rows.iter().all(|r| r.len() == 12 && r.iter().all(|f| !f.is_empty())));
        let p_alive: f64 = rows[0][4].parse().expect("a probability");
        assert!((0.0..=1.0).contains(&p_alive));
        // No temporary file is left beside the output.
        let names: Vec<_> = std::fs::read_dir(&dir).expect("list").filter_map(|e| e.ok()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        // Without a calibration end there is no holdout.
        let v = json_of(&[&*input, "--json", "--horizon", "2"]);
        assert!(v["holdout"].is_null());
        assert_eq!(v["models"]["bg_nbd"]["converged"], true);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A summary file built from the bundled data gives the same fits as the transactions.
    #[test]
    fn summary_csv_matches_the_transactions() {
        let o = parse_args(&args(&[])).expect("defaults");
        let data = read_input(&o).expect("bundled data");
        let mut text = String::from(
            "customer_id,T,recency,frequency,monetary_value,frequency_holdout,duration_holdout\n",
        );
        for c in &data.customers {
            let s = &c.summary;
            let h = s.holdout().expect("a holdout");
            let _ = writeln!(
                text,
                "{},{},{},{}.0,{},{},{}",
                c.id,
                s.age(),
                s.recency(),
                s.frequency(),
                s.monetary_value(),
                h.frequency(),
                h.length()
            );
        }
        let dir = temp_dir("summary");
        let path = dir.join("summary.csv");
        std::fs::write(&path, &text).expect("write");
        let path = path.to_string_lossy();
        let from_summary = json_of(&["--summary", &*path, "--json", "--horizon", "2"]);
        let from_transactions = bundled();
        assert_eq!(from_summary["customers"], 2357);
        for model in ["bg_nbd", "gamma_gamma"] {
            assert_eq!(from_summary["models"][model]["params"], from_transactions["models"][model]["params"]);
        }
        assert_eq!(from_summary["holdout"]["bg_nbd"], from_transactions["holdout"]["bg_nbd"]);
        // Without monetary_value or holdout columns: no Gamma-Gamma, no CLV, no holdout check.
        let plain: String =
            text.lines().map(|l| l.split(',').take(4).collect::<Vec<_>>().join(",") + "\n").collect();
        std::fs::write(dir.join("plain.csv"), plain).expect("write");
        let plain_path = dir.join("plain.csv");
        let plain_path = plain_path.to_string_lossy();
        let v = json_of(&["--summary", &*plain_path, "--json", "--horizon", "2"]);
        assert_eq!(v["models"]["bg_nbd"]["converged"], true);
        assert_eq!(v["models"]["gamma_gamma"]["converged"], false);
        assert!(v["holdout"].is_null());
        assert_eq!(v["top_customers"].as_array().map(Vec::len), Some(0));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Bad input names its line, fails the run and leaves no per-customer file.
    #[test]
    fn bad_input_names_the_line_and_writes_nothing() {
        let dir = temp_dir("bad");
        let output = dir.join("out.csv");
        let output_s = output.to_string_lossy().into_owned();
        let cases: [(&str, &str, &str, &str); 7] = [
            ("t", "customer_id,date,amount\na,2024-01-01,10\na,2024-01-05\n", "line 3", "expected 3 fields"),
            ("t", "customer_id,date,amount\na,2024-01-01,10\n\nb,2024-13-01,5\n", "line 4", "bad date"),
            ("t", "customer_id,date,amount\na,2024-01-01,10\nb,2024-01-02,-5\n", "line 3", "negative"),
            ("t", "customer_id,date,amount\na,2024-01-01,ten\n", "line 2", "not a decimal"),
            ("t", "id,date,amount\n", "line 1", "header"),
            ("s", "customer_id,frequency,recency,T\na,1,2,3\nb,2,5,4\n", "line 3", "exceeds age"),
            ("s", "customer_id,frequency,recency,T\na,1,2,3\na,2,3,4\n", "line 3", "twice"),
        ];
        for (kind, text, line, what) in cases {
            let input = dir.join("input.csv");
            std::fs::write(&input, text).expect("write");
            let input = input.to_string_lossy().into_owned();
            let mut list = vec!["--per-customer", &output_s, "--json"];
            if kind == "s" {
                list.push("--summary");
            }
            list.push(&input);
            let err = run(&args(&list)).expect_err(text);
            assert!(err.starts_with(line) && err.contains(what), "{text:?}: {err}");
            assert!(!output.exists(), "{text:?}");
        }
        let more = [
            "customer_id,frequency,recency,T,monetary_value\na,1,1,2,-3\n",
            "customer_id,frequency,recency,T\na,1.5,1,2\n",
        ];
        for text in more {
            std::fs::write(dir.join("input.csv"), text).expect("write");
            let input = dir.join("input.csv").to_string_lossy().into_owned();
            let err = run(&args(&["--summary", &input])).expect_err(text);
            assert!(err.starts_with("line 2"), "{err}");
        }
        std::fs::write(dir.join("input.csv"), "customer_id,date,amount\na,2024-01-01,1\n").expect("write");
        let input = dir.join("input.csv").to_string_lossy().into_owned();
        let err = run(&args(&[&input, "--calibration-end", "2024-02-01"])).expect_err("after the data");
        assert!(err.contains("after the last transaction"), "{err}");
        assert!(run(&args(&["--horizon", "0"])).is_err());
        assert!(run(&args(&["--margin", "1.5"])).is_err());
        assert!(run(&args(&["--summary", "x.csv", "--calibration-end", "2024-01-01"])).is_err());
        assert_eq!(std::fs::read_dir(&dir).expect("list").count(), 1); // only input.csv
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Fits that do not converge are reported with their last iterate; the run goes on and
    /// succeeds, with empty columns for those models.
    #[test]
    fn failed_fits_are_reported_and_the_run_goes_on() {
        let dir = temp_dir("failed");
        let input = dir.join("t.csv");
        std::fs::write(&input, include_str!("data/transactions_small.csv")).expect("write");
        let output = dir.join("out.csv");
        let (input, output_s) = (input.to_string_lossy(), output.to_string_lossy());
        let list = [&*input, "--json", "--max-iterations", "2", "--per-customer", &*output_s];
        let v = json_of(&list);
        for model in ["bg_nbd", "mbg_nbd", "pareto_nbd", "gamma_gamma"] {
            let m = &v["models"][model];
            assert_eq!(m["converged"], false, "{model}");
            assert_eq!(m["iterations"], 2, "{model}");
            assert!(m["error"].as_str().is_some_and(|e| !e.is_empty()), "{model}");
            assert!(m["params"].is_object(), "{model}: the last iterate");
        }
        assert_eq!(v["top_customers"].as_array().map(Vec::len), Some(0));
        let csv = std::fs::read_to_string(&output).expect("the per-customer file");
        assert_eq!(csv.lines().count(), 401);
        assert!(csv.lines().skip(1).all(|l| l.ends_with(",,,,,,,,")), "{}", &csv[..300]);
        let text = run(&args(&[&*input, "--max-iterations", "2"])).expect("runs");
        assert!(text.contains("DID NOT CONVERGE") && text.contains("No CLV ranking"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// CLV = discounted BG/NBD purchases × expected spend × margin: without discounting it is
    /// the expected purchases over the horizon times the spend, and the margin scales it.
    #[test]
    fn clv_follows_discount_and_margin() {
        let dir = temp_dir("clv");
        let input = dir.join("t.csv");
        std::fs::write(&input, include_str!("data/transactions_small.csv")).expect("write");
        let input = input.to_string_lossy().into_owned();
        let rows = |extra: &[&str]| -> Vec<Vec<f64>> {
            let output = dir.join("out.csv").to_string_lossy().into_owned();
            let mut list = vec![input.as_str(), "--horizon", "3", "--per-customer", &output];
            list.extend_from_slice(extra);
            run(&args(&list)).expect("runs");
            let csv = std::fs::read_to_string(&output).expect("written");
            csv.lines()
                .skip(1)
                .map(|l| l.split(',').skip(1).map(|f| f.parse().expect("a number")).collect())
                .collect()
        };
        let plain = rows(&["--discount-rate", "0"]);
        let half = rows(&["--discount-rate", "0", "--margin", "0.5"]);
        let discounted = rows(&["--discount-rate", "0.05"]);
        for ((p, h), d) in plain.iter().zip(&half).zip(&discounted) {
            // Columns after the id: x, t_x, T, then 3 × (p_alive, expected), spend, clv.
            let (expected, spend, clv) = (p[4], p[9], p[10]);
            assert!((clv - expected * spend).abs() <= 1e-6 * clv.max(1.0), "{p:?}");
            assert!((h[10] - clv / 2.0).abs() <= 1e-6, "{h:?}");
            assert!(d[10] < clv || clv == 0.0, "{d:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn text_report_has_every_section() {
        let dir = temp_dir("text");
        let input = dir.join("t.csv");
        std::fs::write(&input, include_str!("data/transactions_small.csv")).expect("write");
        let input = input.to_string_lossy();
        let out = run(&args(&[&*input, "--calibration-end", "2024-12-31", "--top", "3", "--horizon", "4"]))
            .expect("runs");
        for needle in ["BG/NBD", "MBG/NBD", "Pareto/NBD", "Gamma-Gamma", "Holdout check", "Top 3 customers"] {
            assert!(out.contains(needle), "{needle} missing in\n{out}");
        }
        assert!(!out.contains("left out below"), "{out}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
