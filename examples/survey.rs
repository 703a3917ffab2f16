//! Survey metrics of a CSV file of responses, overall and per segment.
//!
//! ```text
//! cargo run --example survey -- [FILE] [--metric nps|ces|ces5|csat] [--json]
//! ```
//!
//! The file has a header with a `score` column and an optional `segment` column, in any order;
//! other columns are ignored, lines starting with `#` are comments, and CRLF line ends work.
//! Without a file, a bundled synthetic file of `examples/data/` is used (made by
//! `examples/data/make_survey_data.py`). `--metric ces` is CES 2.0 on the 1..=7 agreement scale,
//! `--metric ces5` CES 1.0 on the 1..=5 effort scale. Intervals are at 95%. Each segment is
//! tested against the rest of the file (the other segments merged): NPS with the adjusted-Wald
//! two-sample z-test, CES and CSAT with a two-proportion z-test of the favourable share and a
//! z-test of the mean. A bad row is reported with its 1-based line number and the program fails.

use std::error::Error;
use std::fmt::{Display, Write as _};
use std::io::Write as _;

use customer_metrics::{
    CesAgreement, CesEffort, Csat, Interval, Metric, Nps, NpsMethod, NpsReport, Response, ScaleReport,
    Segmented,
};
use serde_json::{Value, json};

const LEVEL: f64 = 0.95;
/// The label of the whole file (and of every row of a file without a `segment` column).
const ALL: &str = "(all)";

type Res<T> = Result<T, Box<dyn Error>>;

struct Options {
    file: Option<String>,
    metric: String,
    json: bool,
}

fn parse_args() -> Res<Options> {
    let mut options = Options { file: None, metric: "nps".into(), json: false };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => options.json = true,
            "--metric" => {
                options.metric = args.next().ok_or("--metric needs a value: nps, ces, ces5 or csat")?
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}").into()),
            _ if options.file.is_some() => return Err("give at most one file".into()),
            _ => options.file = Some(arg),
        }
    }
    Ok(options)
}

/// The rows of a CSV file as `(segment, score)`, or an error naming the 1-based line.
fn read_rows(text: &str) -> Res<Vec<(usize, String, f64)>> {
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'));
    let (header_line, header) = lines.next().ok_or("the file has no header")?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let find = |name: &str| columns.iter().position(|c| *c == name);
    let score_at =
        find("score").ok_or_else(|| format!("line {header_line}: the header has no `score` column"))?;
    let segment_at = find("segment");
    let mut rows = Vec::new();
    for (number, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != columns.len() {
            return Err(
                format!("line {number}: expected {} columns, found {}", columns.len(), fields.len()).into()
            );
        }
        let raw = fields.get(score_at).copied().unwrap_or_default();
        let score: f64 = raw.parse().map_err(|_| format!("line {number}: score {raw:?} is not a number"))?;
        // Without a segment column every row is in one segment, named after the whole file.
        let segment = segment_at.and_then(|i| fields.get(i)).map_or(ALL, |s| s).to_string();
        rows.push((number, segment, score));
    }
    Ok(rows)
}

/// Records every row into a per-segment metric, naming the line of a rejected score.
fn record<M: Metric<Input = Response> + Clone>(rows: &[(usize, String, f64)]) -> Res<Segmented<String, M>> {
    let mut metric = Segmented::default();
    for (number, segment, score) in rows {
        metric.record((segment.clone(), Response::new(*score))).map_err(|e| format!("line {number}: {e}"))?;
    }
    Ok(metric)
}

fn interval(i: &Interval) -> String {
    format!("[{:.1}, {:.1}]", i.lower(), i.upper())
}

fn nps_row(name: &str, r: &NpsReport) -> Res<(String, Value)> {
    let wald = r.interval(LEVEL, NpsMethod::Wald)?;
    let adjusted = r.interval(LEVEL, NpsMethod::AdjustedWald)?;
    let line = format!(
        "{name:<10} {:>5} {:>6.1}% {:>6.1}% {:>6.1}% {:>7.1} {:>6.1}  {:<15} {}",
        r.responses(),
        100.0 * r.promoter_share(),
        100.0 * r.passive_share(),
        100.0 * r.detractor_share(),
        r.score(),
        r.standard_error(),
        interval(&wald),
        interval(&adjusted),
    );
    Ok((line, json!({ "report": r, "wald": wald, "adjusted_wald": adjusted })))
}

fn nps(path: &str, rows: &[(usize, String, f64)], as_json: bool) -> Res<String> {
    let by_segment = record::<Nps>(rows)?;
    let total = by_segment.total()?.value().ok_or("the file has no responses")?;
    let mut lines = vec![format!(
        "{:<10} {:>5} {:>7} {:>7} {:>7} {:>7} {:>6}  {:<15} {}",
        "segment", "n", "prom", "pass", "detr", "NPS", "SE", "Wald 95%", "adjusted-Wald 95%"
    )];
    let (line, overall) = nps_row(ALL, &total)?;
    lines.push(line);
    let mut segments = serde_json::Map::new();
    let mut tests = serde_json::Map::new();
    let mut test_lines = Vec::new();
    for (name, metric) in by_segment.segments().iter().filter(|(name, _)| *name != ALL) {
        let Some(report) = metric.value() else { continue };
        let (line, value) = nps_row(name, &report)?;
        lines.push(line);
        segments.insert(name.clone(), value);
        if let Some(rest) = by_segment.rest(name)?.value() {
            let t = report.compare(&rest, NpsMethod::AdjustedWald)?;
            test_lines.push(format!(
                "{name:<10} vs rest: difference {:>6.1} points, SE {:>5.1}, z {:>6.3}, p {:.4}",
                t.difference(),
                t.standard_error(),
                t.z(),
                t.p_value()
            ));
            tests.insert(name.clone(), json!(t));
        }
    }
    if as_json {
        let out = json!({
            "file": path, "metric": "nps", "level": LEVEL, "overall": overall, "segments": segments,
            "tests": { "design": "each segment vs the rest (other segments merged)",
                       "method": "adjusted-Wald two-sample z-test, two-sided", "results": tests },
        });
        return Ok(serde_json::to_string_pretty(&out)? + "\n");
    }
    let mut text = format!("Net Promoter Score of {path} (shares in %, NPS and intervals in points)\n\n");
    lines.iter().try_for_each(|l| writeln!(text, "{l}"))?;
    if !test_lines.is_empty() {
        writeln!(
            text,
            "\nEach segment vs the rest of the file (adjusted-Wald two-sample z-test, two-sided):"
        )?;
        test_lines.iter().try_for_each(|l| writeln!(text, "{l}"))?;
    }
    Ok(text)
}

fn scale_row(name: &str, r: &ScaleReport) -> Res<(String, Value)> {
    let mean = r.mean_interval(LEVEL)?;
    let share = r.favourable_interval(LEVEL)?;
    let distribution: Vec<String> = r.distribution().iter().map(|s| format!("{:.0}", 100.0 * s)).collect();
    let line = format!(
        "{name:<10} {:>5} {:>6.2} [{:.2}, {:.2}]  {:>6.1}% [{:.1}, {:.1}]  {}",
        r.responses(),
        r.mean(),
        mean.lower(),
        mean.upper(),
        100.0 * r.favourable_share(),
        100.0 * share.lower(),
        100.0 * share.upper(),
        distribution.join("/"),
    );
    Ok((line, json!({ "report": r, "mean_interval": mean, "favourable_interval": share })))
}

fn scale<M>(
    path: &str,
    metric: &str,
    title: impl Display,
    rows: &[(usize, String, f64)],
    as_json: bool,
) -> Res<String>
where
    M: Metric<Input = Response, Output = ScaleReport> + Clone,
{
    let by_segment = record::<M>(rows)?;
    let total = by_segment.total()?.value().ok_or("the file has no responses")?;
    let (line, overall) = scale_row(ALL, &total)?;
    let mut lines = vec![line];
    let mut segments = serde_json::Map::new();
    let mut tests = serde_json::Map::new();
    let mut test_lines = Vec::new();
    for (name, m) in by_segment.segments().iter().filter(|(name, _)| *name != ALL) {
        let Some(report) = m.value() else { continue };
        let (line, value) = scale_row(name, &report)?;
        lines.push(line);
        segments.insert(name.clone(), value);
        if let Some(rest) = by_segment.rest(name)?.value() {
            let share = report.compare_favourable(&rest)?;
            // The mean test is undefined when neither side varies and the means differ.
            let mean = report.compare_means(&rest);
            let mean_text = match &mean {
                Ok(t) => format!("mean {:>+6.2}, z {:>6.3}, p {:.4}", t.difference(), t.z(), t.p_value()),
                Err(e) => format!("mean: no test ({e})"),
            };
            test_lines.push(format!(
                "{name:<10} vs rest: share {:>+6.1} points, z {:>6.3}, p {:.4} | {mean_text}",
                100.0 * share.difference(),
                share.z(),
                share.p_value()
            ));
            let mean = mean.map_or_else(|e| json!({ "error": e.to_string() }), |t| json!(t));
            tests.insert(name.clone(), json!({ "favourable_share": share, "mean": mean }));
        }
    }
    if as_json {
        let out = json!({
            "file": path, "metric": metric, "level": LEVEL, "overall": overall, "segments": segments,
            "tests": { "design": "each segment vs the rest (other segments merged)",
                       "method": "two-sided z-tests: pooled two-proportion (favourable share), unpooled (mean)",
                       "results": tests },
        });
        return Ok(serde_json::to_string_pretty(&out)? + "\n");
    }
    let (lo, hi) = total.favourable_range();
    let mut text = format!("{title} of {path}\n\n");
    writeln!(
        text,
        "{:<10} {:>5} {:>6} {:<13} {:>7} {:<13} distribution % (scores {}..={})",
        "segment",
        "n",
        "mean",
        "(95%, normal)",
        format!("{lo}..={hi}"),
        "(95%, Wilson)",
        total.scale().0,
        total.scale().1
    )?;
    lines.iter().try_for_each(|l| writeln!(text, "{l}"))?;
    if !test_lines.is_empty() {
        writeln!(
            text,
            "\nEach segment vs the rest of the file (two-sided z-tests: pooled two-proportion for the \
             {lo}..={hi} share, unpooled for the mean):"
        )?;
        test_lines.iter().try_for_each(|l| writeln!(text, "{l}"))?;
    }
    Ok(text)
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Res<()> {
    let options = parse_args()?;
    let bundled = match options.metric.as_str() {
        "nps" => "survey_responses.csv",
        "ces" => "survey_ces.csv",
        "ces5" => "survey_ces5.csv",
        "csat" => "survey_csat.csv",
        other => return Err(format!("unknown metric {other:?}: use nps, ces, ces5 or csat").into()),
    };
    let path =
        options.file.unwrap_or_else(|| format!("{}/examples/data/{bundled}", env!("CARGO_MANIFEST_DIR")));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let rows = read_rows(&text)?;
    let j = options.json;
    let text = match options.metric.as_str() {
        "ces" => {
            scale::<CesAgreement>(&path, "ces", "CES 2.0 (1..=7, \"made it easy\"; agree = 5..=7)", &rows, j)
        }
        "ces5" => scale::<CesEffort>(
            &path,
            "ces5",
            "CES 1.0 (1..=5 effort, lower is better; low = 1..=2)",
            &rows,
            j,
        ),
        "csat" => scale::<Csat>(&path, "csat", "CSAT (1..=5; satisfied = 4..=5)", &rows, j),
        _ => nps(&path, &rows, j),
    }?;
    // Written in one go, so a closed pipe is an error, not a panic.
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}
