//! Which model, which CLV formula? One reproducible table on the bundled CDNOW sample.
//!
//! ```text
//! cargo run --release --example formula_choice            # markdown tables for a person
//! cargo run --release --example formula_choice -- --json  # one JSON object with the same numbers
//! ```
//!
//! The data and split are those of `examples/report.rs` by default: the CDNOW sample
//! (`tests/data/cdnow_sample_transactions.txt`, 2,357 customers), weekly periods, calibration
//! to 1997-09-30 and holdout to 1998-06-30 (39 + 39 weeks).
//!
//! # Part 1: purchase models
//!
//! BG/NBD, MBG/NBD and Pareto/NBD, fitted by maximum likelihood on the calibration summaries,
//! and a naive baseline that predicts `x / T × t*` (each customer's calibration repeat rate
//! times the holdout length `t*`). For each:
//!
//! * **fit time**: the best of several runs (wall clock, `std::time::Instant`). Printed, never
//!   checked: it depends on the machine and its load;
//! * **log-likelihood** of the calibration data at the estimate;
//! * **scoring time per million customers**: `probability_alive_batch` and
//!   `conditional_expected_purchases_batch` over the holdout length, on a base made of the
//!   CDNOW customers repeated up to 1,000,000 customers (100,000 in a debug build); the best of
//!   several runs. BG/NBD's and MBG/NBD's batch E[Y] computes its mixture over the dropout
//!   probability once per distinct `(x, T)`, and Pareto/NBD's batch P(alive) and E[Y] compute
//!   the scores of customers without repeat purchases once per distinct age: a repeated base
//!   (464 pairs) favours both, as does any real base of whole-day ages;
//! * **holdout accuracy**: predicted `Σ E[Y(t*) | x, t_x, T]` against the actual total of
//!   holdout repeat purchases (and the error in %), and the per-customer mean absolute error
//!   and root mean squared error of predicted against actual holdout purchases.
//!
//! # Part 2: CLV formulas
//!
//! CLV = discounted expected purchases × Gamma-Gamma expected spend E(M | x, z̄) (margin 1),
//! with BG/NBD and with Pareto/NBD, at 10 % a year (`d = 1.1^(7/365.25) − 1` per week, as
//! `examples/report.rs`):
//!
//! * `Clv::finite(1.0, H, d)` for H = 52 and 520 weekly steps (1 and 10 years): each week's
//!   expected purchases discounted at the end of the week, `Σ_k [E[Y(k)] − E[Y(k−1)]] / (1 + d)^k`;
//!   H evaluations of E[Y(t) | …] per customer;
//! * `Clv::finite(365.25 / 7.0, 50, 0.10)`: a long horizon in 50 yearly steps, each year's
//!   purchases discounted at the end of the year at 10 %;
//! * `Clv::dert(1.0, d)`: the infinite-horizon DERT, `∫ e^{−δt} dE[Y(t) | …]` with the
//!   continuously compounded `δ = ln(1 + d)` per week (the same δ as the other rows).
//!   Pareto/NBD has a closed form; BG/NBD one quadrature over the dropout probability of its
//!   closed form given that probability (an incomplete gamma function).
//!
//! For each: the total CLV of the base, its ratio to the DERT row (end-of-step discounting and
//! a finite horizon both make a finite sum smaller), the time of `Clv::values` over the base
//! (best of several runs) and the time per customer (µs per customer = seconds per million).
//! In a debug build every 10th customer is used (stated in the output), so that a debug run
//! stays within a few seconds.
//!
//! # JSON
//!
//! ```text
//! {"build": "release" | "debug", "parallel": bool, "data": {…}, "holdout_length": 39,
//!  "scoring_customers": n,
//!  "purchase_models": [{"key", "name", "params": {…} | null, "log_likelihood": f | null,
//!                       "fit_seconds": f | null, "fit_runs": n, "iterations": n | null,
//!                       "p_alive_seconds_per_million": f | null,
//!                       "expected_seconds_per_million": f,
//!                       "holdout": {"customers", "predicted_total", "actual_total",
//!                                   "error_percent", "mae", "rmse"}}, …],
//!  "best": {"log_likelihood", "total_error", "mae", "rmse", "scoring"},
//!  "clv": {"spend_model": {…}, "discount_rate_per_week": d, "continuous_rate_per_week": δ,
//!          "customers": n, "every": k, "rows": [{"model", "formula", "steps": H | null,
//!          "convention", "total_clv": "…" (dollars, to cents), "ratio_to_dert",
//!          "seconds", "runs", "microseconds_per_customer", "seconds_per_million"}, …]},
//!  "notes": ["…", …]}
//! ```

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use customer_metrics::{
    BgNbdFitter, Clv, CustomerSummary, Fit, FitReport, GammaGamma, GammaGammaFitter, MbgNbdFitter,
    ParetoNbdFitter, PurchaseModel, SummaryBuilder, SummaryOptions, Transaction,
};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

type Boxed = Box<dyn std::error::Error>;

/// The bundled CDNOW sample (original id, customer id, date `YYYYMMDD`, CDs, dollar value).
const BUNDLED: &str = include_str!("../tests/data/cdnow_sample_transactions.txt");
/// Its path, for the output.
const BUNDLED_NAME: &str = "tests/data/cdnow_sample_transactions.txt";
/// The discount rate per year of the CLV part (converted to weeks).
const ANNUAL_DISCOUNT: f64 = 0.10;
/// Days per period: weeks.
const PERIOD_DAYS: f64 = 7.0;
/// The finite weekly horizons of the CLV part, in steps.
const HORIZONS: [u32; 2] = [52, 520];
/// The long finite horizon of the CLV part, in yearly steps.
const YEARS: u32 = 50;
/// A debug build (CI runs every example unoptimised): smaller bases, fewer runs.
const DEBUG: bool = cfg!(debug_assertions);

/// How much work each measurement does.
#[derive(Debug, Clone, Copy)]
struct Effort {
    /// Most runs of a timed task (the best is kept).
    runs: usize,
    /// Stop repeating a task once its runs took this many seconds in total.
    budget: f64,
    /// Customers in the replicated scoring base.
    scoring_customers: usize,
    /// The CLV part uses every `every`-th customer.
    every: usize,
}

impl Effort {
    fn for_build() -> Self {
        if DEBUG {
            Effort { runs: 3, budget: 0.3, scoring_customers: 100_000, every: 10 }
        } else {
            Effort { runs: 10, budget: 1.0, scoring_customers: 1_000_000, every: 1 }
        }
    }
}

/// The best wall-clock time of up to `effort.runs` runs of `f` (at least one; fewer once the
/// runs took `effort.budget` seconds), with the last result and the number of runs.
fn best_of<T>(effort: Effort, mut f: impl FnMut() -> Result<T, Boxed>) -> Result<(T, f64, usize), Boxed> {
    let (mut best, mut spent, mut runs) = (f64::INFINITY, 0.0, 0);
    loop {
        let start = Instant::now();
        let out = black_box(f()?);
        let seconds = start.elapsed().as_secs_f64();
        best = best.min(seconds);
        spent += seconds;
        runs += 1;
        if runs >= effort.runs || spent >= effort.budget {
            return Ok((out, best, runs));
        }
    }
}

/// The CDNOW calibration summaries (weeks) with their holdout outcomes.
fn cdnow() -> Result<Vec<CustomerSummary>, Boxed> {
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y%m%d");
    let options = SummaryOptions::default()
        .period_days(PERIOD_DAYS)
        .calibration_end(date("19970930")?)
        .observation_end(date("19980630")?);
    let mut builder = SummaryBuilder::new(options)?;
    for (i, line) in BUNDLED.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = || format!("{BUNDLED_NAME} line {}: expected 5 fields, got {line:?}", i + 1);
        let [_, id, day, _, amount] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            return Err(bad().into());
        };
        let amount: Decimal = amount.parse()?;
        builder.record(&Transaction::new(id.to_string(), date(day)?, amount))?;
    }
    Ok(builder.build()?.summaries())
}

/// The common holdout length of the summaries.
fn holdout_length(customers: &[CustomerSummary]) -> Result<f64, Boxed> {
    let mut lengths = customers.iter().map(|c| c.holdout().map(|h| h.length()));
    let first = lengths.next().flatten().ok_or("the summaries have no holdout period")?;
    if lengths.any(|l| l != Some(first)) {
        return Err("the customers' holdout periods differ in length".into());
    }
    Ok(first)
}

/// The naive forecast: the calibration repeat rate `x / T` times the horizon (0 when `T = 0`).
fn naive_expected(customer: &CustomerSummary, t: f64) -> f64 {
    if customer.age() > 0.0 { f64::from(customer.frequency()) / customer.age() * t } else { 0.0 }
}

/// `customers` repeated in order until there are `n`.
fn replicate(customers: &[CustomerSummary], n: usize) -> Vec<CustomerSummary> {
    customers.iter().cycle().take(if customers.is_empty() { 0 } else { n }).cloned().collect()
}

/// Predicted against actual holdout purchases.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
struct Accuracy {
    customers: usize,
    predicted_total: f64,
    actual_total: f64,
    /// `100 × (predicted − actual) / actual`; `None` when nothing was bought.
    error_percent: Option<f64>,
    /// Mean absolute error per customer.
    mae: f64,
    /// Root mean squared error per customer.
    rmse: f64,
}

fn accuracy(predicted: &[f64], actual: &[f64]) -> Result<Accuracy, Boxed> {
    if predicted.len() != actual.len() || predicted.is_empty() {
        return Err(format!("{} predictions for {} customers", predicted.len(), actual.len()).into());
    }
    let n = predicted.len() as f64;
    let (mut p, mut a, mut abs, mut sq) = (0.0, 0.0, 0.0, 0.0);
    for (&e, &y) in predicted.iter().zip(actual) {
        p += e;
        a += y;
        abs += (e - y).abs();
        sq += (e - y) * (e - y);
    }
    Ok(Accuracy {
        customers: predicted.len(),
        predicted_total: p,
        actual_total: a,
        error_percent: (a > 0.0).then(|| 100.0 * (p - a) / a),
        mae: abs / n,
        rmse: (sq / n).sqrt(),
    })
}

/// One row of part 1.
#[derive(Debug, Clone)]
struct ModelRow {
    key: &'static str,
    name: &'static str,
    params: Option<Value>,
    log_likelihood: Option<f64>,
    iterations: Option<u32>,
    fit_seconds: Option<f64>,
    fit_runs: usize,
    alive_per_million: Option<f64>,
    expected_per_million: f64,
    holdout: Accuracy,
}

/// A fitted purchase model with how its fit went.
struct Fitted {
    key: &'static str,
    model: Box<dyn PurchaseModel>,
    params: Value,
    report: Option<FitReport>,
    seconds: f64,
    runs: usize,
}

impl Fitted {
    /// A fitted model with its key, parameters (`params` reads them) and fit timing.
    fn new<M: PurchaseModel + 'static>(
        key: &'static str,
        (model, seconds, runs): (M, f64, usize),
        params: impl Fn(&M) -> Value,
        report: impl Fn(&M) -> Option<&FitReport>,
    ) -> Self {
        Fitted {
            key,
            params: params(&model),
            report: report(&model).cloned(),
            model: Box::new(model),
            seconds,
            runs,
        }
    }
}

fn fit_models(customers: &[CustomerSummary], effort: Effort) -> Result<Vec<Fitted>, Boxed> {
    let bg_nbd = Fitted::new(
        "bg_nbd",
        best_of(effort, || Ok(BgNbdFitter::new().fit(customers)?))?,
        |m| json!({"r": m.r(), "alpha": m.alpha(), "a": m.a(), "b": m.b()}),
        |m| m.report(),
    );
    let mbg_nbd = Fitted::new(
        "mbg_nbd",
        best_of(effort, || Ok(MbgNbdFitter::new().fit(customers)?))?,
        |m| json!({"r": m.r(), "alpha": m.alpha(), "a": m.a(), "b": m.b()}),
        |m| m.report(),
    );
    let pareto_nbd = Fitted::new(
        "pareto_nbd",
        best_of(effort, || Ok(ParetoNbdFitter::new().fit(customers)?))?,
        |m| json!({"r": m.r(), "alpha": m.alpha(), "s": m.s(), "beta": m.beta()}),
        |m| m.report(),
    );
    Ok(vec![bg_nbd, mbg_nbd, pareto_nbd])
}

/// Part 1: every purchase model and the naive baseline.
fn purchase_rows(
    fitted: &[Fitted],
    customers: &[CustomerSummary],
    base: &[CustomerSummary],
    t_star: f64,
    effort: Effort,
) -> Result<Vec<ModelRow>, Boxed> {
    let actual: Vec<f64> =
        customers.iter().map(|c| c.holdout().map_or(0.0, |h| f64::from(h.frequency()))).collect();
    let per_million = |seconds: f64| seconds / base.len() as f64 * 1e6;
    let mut rows = Vec::new();
    for f in fitted {
        let m = f.model.as_ref();
        let predicted = m.conditional_expected_purchases_batch(customers, t_star)?;
        let (_, alive, _) = best_of(effort, || Ok(m.probability_alive_batch(base)))?;
        let (_, expected, _) = best_of(effort, || Ok(m.conditional_expected_purchases_batch(base, t_star)?))?;
        rows.push(ModelRow {
            key: f.key,
            name: m.name(),
            params: Some(f.params.clone()),
            log_likelihood: f.report.as_ref().map(|r| r.log_likelihood),
            iterations: f.report.as_ref().map(|r| r.iterations),
            fit_seconds: Some(f.seconds),
            fit_runs: f.runs,
            alive_per_million: Some(per_million(alive)),
            expected_per_million: per_million(expected),
            holdout: accuracy(&predicted, &actual)?,
        });
    }
    let predicted: Vec<f64> = customers.iter().map(|c| naive_expected(c, t_star)).collect();
    let (_, expected, _) =
        best_of(effort, || Ok(base.iter().map(|c| naive_expected(c, t_star)).collect::<Vec<f64>>()))?;
    rows.push(ModelRow {
        key: "naive",
        name: "naive x/T × t*",
        params: None,
        log_likelihood: None,
        iterations: None,
        fit_seconds: None,
        fit_runs: 0,
        alive_per_million: None,
        expected_per_million: per_million(expected),
        holdout: accuracy(&predicted, &actual)?,
    });
    Ok(rows)
}

/// The row with the smallest `key` (ties: the first), by name.
fn best_by(rows: &[ModelRow], key: impl Fn(&ModelRow) -> Option<f64>) -> Option<&'static str> {
    rows.iter()
        .filter_map(|r| key(r).filter(|v| v.is_finite()).map(|v| (r.name, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(name, _)| name)
}

/// One row of part 2.
#[derive(Debug, Clone)]
struct ClvRow {
    model: &'static str,
    formula: String,
    steps: Option<u32>,
    convention: &'static str,
    total: Decimal,
    ratio_to_dert: Option<f64>,
    seconds: f64,
    runs: usize,
    customers: usize,
}

impl ClvRow {
    fn per_customer(&self) -> f64 {
        self.seconds / self.customers as f64
    }
}

/// Part 2: the CLV formulas with BG/NBD and Pareto/NBD × Gamma-Gamma.
fn clv_rows(
    fitted: &[Fitted],
    spend: &GammaGamma,
    customers: &[CustomerSummary],
    rate: f64,
    effort: Effort,
) -> Result<Vec<ClvRow>, Boxed> {
    let mut rows = Vec::new();
    for f in fitted.iter().filter(|f| f.key == "bg_nbd" || f.key == "pareto_nbd") {
        let m = f.model.as_ref();
        let dert_note = if f.key == "pareto_nbd" {
            "continuous discounting e^(-δt), δ = ln(1+d); closed form (incomplete gamma)"
        } else {
            "continuous discounting e^(-δt), δ = ln(1+d); one quadrature over p (incomplete gamma)"
        };
        let weekly = "each week's purchases discounted at the week's end, (1+d)^-k";
        let formulas: [(String, Option<u32>, &'static str, Clv); 4] = [
            (
                format!("finite, {} weekly steps (1 y)", HORIZONS[0]),
                Some(HORIZONS[0]),
                weekly,
                Clv::finite(1.0, HORIZONS[0], rate)?,
            ),
            (
                format!("finite, {} weekly steps (10 y)", HORIZONS[1]),
                Some(HORIZONS[1]),
                weekly,
                Clv::finite(1.0, HORIZONS[1], rate)?,
            ),
            (
                format!("finite, {YEARS} yearly steps ({YEARS} y)"),
                Some(YEARS),
                "each year's purchases discounted at the year's end, 1.1^-k",
                Clv::finite(365.25 / PERIOD_DAYS, YEARS, ANNUAL_DISCOUNT)?,
            ),
            ("DERT, infinite horizon".to_string(), None, dert_note, Clv::dert(1.0, rate)?),
        ];
        let mut model_rows = Vec::new();
        for (formula, steps, convention, clv) in formulas {
            let (values, seconds, runs) = best_of(effort, || Ok(clv.values(m, spend, customers)?))?;
            let total = values
                .iter()
                .try_fold(Decimal::ZERO, |acc, v| acc.checked_add(*v))
                .ok_or("the total CLV overflows a Decimal")?;
            model_rows.push(ClvRow {
                model: m.name(),
                formula,
                steps,
                convention,
                total,
                ratio_to_dert: None,
                seconds,
                runs,
                customers: customers.len(),
            });
        }
        let dert = model_rows.iter().find(|r| r.steps.is_none()).and_then(|r| f64::try_from(r.total).ok());
        for r in &mut model_rows {
            r.ratio_to_dert =
                dert.filter(|d| *d > 0.0).and_then(|d| f64::try_from(r.total).ok().map(|v| v / d));
        }
        rows.extend(model_rows);
    }
    Ok(rows)
}

/// Everything the program shows.
struct Results {
    customers: usize,
    repeat_buyers: usize,
    t_star: f64,
    scoring_customers: usize,
    models: Vec<ModelRow>,
    spend: GammaGamma,
    spend_seconds: f64,
    rate: f64,
    clv_customers: usize,
    every: usize,
    clv: Vec<ClvRow>,
    notes: Vec<String>,
}

fn analyse() -> Result<Results, Boxed> {
    let effort = Effort::for_build();
    let customers = cdnow()?;
    let t_star = holdout_length(&customers)?;
    let fitted = fit_models(&customers, effort)?;
    let base = replicate(&customers, effort.scoring_customers);
    let models = purchase_rows(&fitted, &customers, &base, t_star, effort)?;
    drop(base);

    // Gamma-Gamma on the customers with repeat purchases of positive value, as report.rs.
    let repeat: Vec<CustomerSummary> = customers
        .iter()
        .filter(|c| c.frequency() > 0 && c.monetary_value() > Decimal::ZERO)
        .cloned()
        .collect();
    let (spend, spend_seconds, _) = best_of(effort, || Ok(GammaGammaFitter::new().fit(&repeat)?))?;
    let rate = (1.0 + ANNUAL_DISCOUNT).powf(PERIOD_DAYS / 365.25) - 1.0;
    let sample: Vec<CustomerSummary> = customers.iter().step_by(effort.every).cloned().collect();
    let clv = clv_rows(&fitted, &spend, &sample, rate, effort)?;

    let mut notes = vec![
        format!(
            "Scoring base: the {} CDNOW customers repeated to {} customers (BG/NBD and MBG/NBD batch E[Y] computes its mixture once per distinct (x, T), 464 pairs here, and Pareto/NBD scores customers without repeat purchases once per distinct age, so these times are those of a base of few distinct customers).",
            grouped(customers.len()),
            grouped(effort.scoring_customers)
        ),
        format!(
            "Fit times: the best of {} runs.",
            fitted.iter().map(|f| format!("{} ({})", f.runs, f.model.name())).collect::<Vec<_>>().join(", ")
        ),
        "Times are wall clock, the best of several runs, on whatever else the machine was doing: \
         compare rows, not machines."
            .to_string(),
    ];
    if cfg!(feature = "parallel") {
        notes.push("Built with the `parallel` feature: batch scoring and CLV values use every core.".into());
    }
    if DEBUG {
        notes.push(format!(
            "Debug build: scoring on {} customers and CLV on every {}th customer ({} of {}); \
             run with --release for the real figures.",
            grouped(effort.scoring_customers),
            effort.every,
            sample.len(),
            grouped(customers.len())
        ));
    }
    Ok(Results {
        customers: customers.len(),
        repeat_buyers: repeat.len(),
        t_star,
        scoring_customers: effort.scoring_customers,
        models,
        spend,
        spend_seconds,
        rate,
        clv_customers: sample.len(),
        every: effort.every,
        clv,
        notes,
    })
}

/// A count with thousands separators: 1,000,000.
fn grouped(n: usize) -> String {
    group_digits(&n.to_string())
}

/// Thousands separators in a run of digits.
fn group_digits(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Money to cents with thousands separators, for the table: 299,409.27.
fn dollars(d: Decimal) -> String {
    let text = cents(d).to_string();
    let (sign, unsigned) = text.split_once('-').map_or(("", text.as_str()), |(_, u)| ("-", u));
    match unsigned.split_once('.') {
        Some((whole, fraction)) => format!("{sign}{}.{fraction}", group_digits(whole)),
        None => format!("{sign}{}", group_digits(unsigned)),
    }
}

/// Money to cents.
fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_string(), |x| format!("{x:.decimals$}"))
}

fn best(r: &Results) -> Value {
    json!({
        "log_likelihood": best_by(&r.models, |m| m.log_likelihood.map(|l| -l)),
        "total_error": best_by(&r.models, |m| m.holdout.error_percent.map(f64::abs)),
        "mae": best_by(&r.models, |m| Some(m.holdout.mae)),
        "rmse": best_by(&r.models, |m| Some(m.holdout.rmse)),
        // P(alive) + E[Y(t*)]; the naive baseline has no P(alive) and is left out.
        "scoring": best_by(&r.models, |m| m.alive_per_million.map(|a| a + m.expected_per_million)),
    })
}

fn to_json(r: &Results) -> Value {
    let models: Vec<Value> = r
        .models
        .iter()
        .map(|m| {
            json!({
                "key": m.key,
                "name": m.name,
                "params": m.params,
                "log_likelihood": m.log_likelihood,
                "iterations": m.iterations,
                "fit_seconds": m.fit_seconds,
                "fit_runs": m.fit_runs,
                "p_alive_seconds_per_million": m.alive_per_million,
                "expected_seconds_per_million": m.expected_per_million,
                "holdout": m.holdout,
            })
        })
        .collect();
    let clv: Vec<Value> = r
        .clv
        .iter()
        .map(|c| {
            json!({
                "model": c.model,
                "formula": c.formula,
                "steps": c.steps,
                "convention": c.convention,
                "total_clv": cents(c.total).to_string(),
                "ratio_to_dert": c.ratio_to_dert,
                "seconds": c.seconds,
                "runs": c.runs,
                "microseconds_per_customer": c.per_customer() * 1e6,
                "seconds_per_million": c.per_customer() * 1e6,
            })
        })
        .collect();
    json!({
        "build": if DEBUG { "debug" } else { "release" },
        "parallel": cfg!(feature = "parallel"),
        "data": {
            "source": BUNDLED_NAME,
            "customers": r.customers,
            "period_days": PERIOD_DAYS,
            "calibration_end": "1997-09-30",
            "observation_end": "1998-06-30",
        },
        "holdout_length": r.t_star,
        "scoring_customers": r.scoring_customers,
        "purchase_models": models,
        "best": best(r),
        "clv": {
            "spend_model": {
                "name": "Gamma-Gamma",
                "params": {"p": r.spend.p(), "q": r.spend.q(), "v": r.spend.v()},
                "customers": r.repeat_buyers,
                "fit_seconds": r.spend_seconds,
            },
            "discount_rate_per_week": r.rate,
            "continuous_rate_per_week": r.rate.ln_1p(),
            "customers": r.clv_customers,
            "every": r.every,
            "rows": clv,
        },
        "notes": r.notes,
    })
}

fn render(r: &Results) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    writeln!(
        out,
        "# Choosing a model: CDNOW sample, {} customers, weeks, calibration to 1997-09-30, holdout {:.0} weeks to 1998-06-30 ({} build{})\n",
        grouped(r.customers),
        r.t_star,
        if DEBUG { "debug" } else { "release" },
        if cfg!(feature = "parallel") { ", parallel" } else { "" }
    )?;
    writeln!(
        out,
        "## Purchase models: fit, scoring (timed on {} customers, shown per 1M), holdout repeat purchases\n",
        grouped(r.scoring_customers)
    )?;
    writeln!(
        out,
        "| model | fit (ms) | log-likelihood | P(alive) (ms per 1M) | E[Y({:.0})] (ms per 1M) | predicted | actual | error | MAE | RMSE |",
        r.t_star
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
    for m in &r.models {
        writeln!(
            out,
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.0} | {} | {:.4} | {:.4} |",
            m.name,
            opt(m.fit_seconds.map(|s| s * 1e3), 1),
            opt(m.log_likelihood, 1),
            opt(m.alive_per_million.map(|s| s * 1e3), 1),
            m.expected_per_million * 1e3,
            m.holdout.predicted_total,
            m.holdout.actual_total,
            m.holdout.error_percent.map_or_else(|| "–".to_string(), |e| format!("{e:+.1} %")),
            m.holdout.mae,
            m.holdout.rmse,
        )?;
    }
    let b = best(r);
    let name = |k: &str| b[k].as_str().unwrap_or("–").to_string();
    writeln!(out, "\nBest of the table:")?;
    writeln!(out, "- highest log-likelihood: {}", name("log_likelihood"))?;
    writeln!(out, "- closest total of holdout purchases: {}", name("total_error"))?;
    writeln!(out, "- lowest per-customer error: MAE {}, RMSE {}", name("mae"), name("rmse"))?;
    writeln!(out, "- fastest scoring, P(alive) + E[Y] (timings are noisy): {}", name("scoring"))?;
    writeln!(
        out,
        "\n## CLV formulas: discounted purchases × Gamma-Gamma spend, 10 % a year (d = {:.5} % per week, δ = ln(1+d))\n",
        r.rate * 100.0
    )?;
    writeln!(
        out,
        "Gamma-Gamma on {} repeat buyers: p = {:.3}, q = {:.3}, v = {:.3} (fit {:.1} ms). Customers: {}{}.\n",
        r.repeat_buyers,
        r.spend.p(),
        r.spend.q(),
        r.spend.v(),
        r.spend_seconds * 1e3,
        grouped(r.clv_customers),
        if r.every > 1 {
            format!(" (every {}th of {}; debug build)", r.every, grouped(r.customers))
        } else {
            String::new()
        }
    )?;
    writeln!(out, "| model | formula | total CLV ($) | ÷ DERT | time (ms) | µs per customer (= s per 1M) |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|")?;
    for c in &r.clv {
        writeln!(
            out,
            "| {} | {} | {} | {} | {:.1} | {:.2} |",
            c.model,
            c.formula,
            dollars(c.total),
            opt(c.ratio_to_dert, 4),
            c.seconds * 1e3,
            c.per_customer() * 1e6,
        )?;
    }
    writeln!(out, "\nConventions:")?;
    if let Some(c) = r.clv.iter().find(|c| c.steps.is_some()) {
        writeln!(out, "- weekly finite (`Clv::finite(1.0, H, d)`): {}", c.convention)?;
    }
    writeln!(
        out,
        "- yearly finite (`Clv::finite(365.25 / 7.0, {YEARS}, 0.10)`): each year's purchases discounted at the year's end, 1.1^-k"
    )?;
    for c in r.clv.iter().filter(|c| c.steps.is_none()) {
        writeln!(out, "- {} DERT (`Clv::dert(1.0, d)`): {}", c.model, c.convention)?;
    }
    writeln!(out, "\nNotes:")?;
    for note in &r.notes {
        writeln!(out, "- {note}")?;
    }
    Ok(out)
}

fn main() -> Result<(), Boxed> {
    let mut json = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => json = true,
            "--help" | "-h" => {
                println!("usage: formula_choice [--json]   (use --release for the real timings)");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (expected --json or --help)").into()),
        }
    }
    let results = analyse()?;
    if json {
        println!("{}", to_json(&results));
    } else {
        print!("{}", render(&results)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(x: u32, t_x: f64, age: f64) -> CustomerSummary {
        CustomerSummary::new(x, t_x, age, Decimal::ZERO).expect("a valid summary")
    }

    #[test]
    fn error_metrics_on_a_hand_computed_case() {
        // Errors 1, 0, −2: total 3 against 4 (−25 %), MAE 3/3 = 1, RMSE √(5/3).
        let a = accuracy(&[1.0, 0.0, 2.0], &[0.0, 0.0, 4.0]).expect("same lengths");
        assert_eq!((a.customers, a.predicted_total, a.actual_total), (3, 3.0, 4.0));
        assert_eq!(a.error_percent, Some(-25.0));
        assert_eq!(a.mae, 1.0);
        assert!((a.rmse - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        // Nothing bought: no percentage error; mismatched or empty inputs are errors.
        assert_eq!(accuracy(&[0.5], &[0.0]).expect("one customer").error_percent, None);
        assert!(accuracy(&[1.0], &[1.0, 2.0]).is_err());
        assert!(accuracy(&[], &[]).is_err());
    }

    #[test]
    fn naive_baseline_and_replicated_base() {
        // 2 repeat purchases in 39 weeks: 2 more expected in the next 39 weeks.
        assert_eq!(naive_expected(&customer(2, 30.0, 39.0), 39.0), 2.0);
        assert_eq!(naive_expected(&customer(0, 0.0, 0.0), 39.0), 0.0);
        let base = [customer(1, 1.0, 2.0), customer(0, 0.0, 3.0)];
        let big = replicate(&base, 5);
        assert_eq!(big.iter().map(CustomerSummary::frequency).collect::<Vec<_>>(), [1, 0, 1, 0, 1]);
        assert!(replicate(&[], 5).is_empty());
        assert_eq!(
            [grouped(0), grouped(999), grouped(2357), grouped(1_000_000)],
            ["0", "999", "2,357", "1,000,000"]
        );
    }

    #[test]
    fn best_by_ignores_missing_values() {
        let row = |name: &'static str, rmse: f64| ModelRow {
            key: "k",
            name,
            params: None,
            log_likelihood: None,
            iterations: None,
            fit_seconds: None,
            fit_runs: 0,
            alive_per_million: None,
            expected_per_million: 0.0,
            holdout: Accuracy {
                customers: 1,
                predicted_total: 0.0,
                actual_total: 0.0,
                error_percent: None,
                mae: 0.0,
                rmse,
            },
        };
        let rows = [row("a", 2.0), row("b", 1.0), row("c", f64::NAN)];
        assert_eq!(best_by(&rows, |r| Some(r.holdout.rmse)), Some("b"));
        assert_eq!(best_by(&rows, |r| r.log_likelihood), None);
    }
}
