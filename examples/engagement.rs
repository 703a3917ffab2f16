//! Customer engagement value, profitability and customer equity of a small customer base.
//!
//! ```text
//! cargo run --example engagement -- [DIR] [--customer ID] [--json]
//! ```
//!
//! Reads five CSV files from DIR (default: the bundled `examples/data/`, made by
//! `examples/data/make_engagement_data.py`):
//!
//! | file | columns |
//! |---|---|
//! | `engagement_transactions.csv` | `customer_id,date,amount,cost_of_goods,category,tier` (product category and tier 1, 2, …) |
//! | `engagement_customers.csv` | `customer_id,channel,acquisition_cost,cost_to_serve` |
//! | `engagement_referrals.csv` | `referrer,referred,kind,months,contribution,incentive,serving_cost,acquisition_saving` |
//! | `engagement_influence.csv` | `influencer,influencee,weight` |
//! | `engagement_ideas.csv` | `customer_id,idea,share,monthly_profit,months,cost` |
//!
//! and prints, with monthly periods and a 10 % annual discount rate (cash flows at the end of
//! each month):
//!
//! - the ranking by customer engagement value CEV = CLV + CRV + CIV + CKV;
//! - the CLV × CRV quadrants, split at the medians;
//! - each customer's P&L, the whale curve and the cross-sell and up-sell revenue shares
//!   (a later purchase in a category the customer had not bought is cross-sell, one above the
//!   highest tier they had bought in the category is up-sell);
//! - CAC by channel, LTV:CAC, payback, and gross and net revenue retention of the first-half
//!   cohort in the second half;
//! - RFM segments (the default 10-segment RF map);
//! - customer equity (current customers' CLV plus twelve months of future cohorts) with the
//!   Gupta-Lehmann elasticities;
//! - one person's engagement value, P&L and RFM cell (`--customer ID`; default: the
//!   highest-ranked customer among those with the most non-zero components).
//!
//! How the example values the base (a demonstration, not a recommendation):
//! monthly retention `r` is estimated from the data — the share of customers who bought in the
//! first half of 2024 and bought again in the second half, rescaled from six months to one; a
//! customer who bought in the last 180 days is active and has CLV = `m·r/(1 + i − r)` (Gupta &
//! Lehmann) with `m` the customer's monthly contribution so far (revenue − cost of goods − cost
//! to serve, per month since the first purchase); a lapsed customer has CLV 0. Type-1
//! referrals are credited with their discounted contribution net of the incentive and the
//! serving cost, plus the acquisition cost saved (month 1); type-2 referrals with the saving
//! only. Influence value is each influencer's share of their influencees' CLV. Knowledge value
//! is the discounted attributed profit of implemented ideas net of the reward (month 1).
//!
//! `--json` prints the same as one JSON object. A bad row is reported with its file and 1-based
//! line number, and the program exits with status 1.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::str::FromStr;

use chrono::NaiveDate;
use customer_metrics::economics::{Purchase, revenue_mix, segment_statements};
use customer_metrics::{
    AcquisitionCost, Acquisitions, ConstantRetentionClv, CustomerRevenue, Discount, Engagement, FormulaClv,
    GuptaLehmannEquity, HubbellOptions, IdeaContribution, InfluenceEdge, InfluenceGraph, InfluenceValue,
    KnowledgeValue, Metric, PeriodCounts, Portfolio, ProfitAndLoss, Quadrant, QuadrantThresholds, Referral,
    ReferralPeriod, ReferralValue, RevenueRetention, RfmOptions, RfmScores, SegmentRules, Segmented,
    SummaryBuilder, SummaryOptions, Timing, Transaction, UnitEconomics, WhaleCurve, rescale_retention,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Average month in days.
const MONTH_DAYS: f64 = 30.4375;
/// Annual discount rate.
const ANNUAL_RATE: f64 = 0.10;
/// A customer without a purchase in this many days is lapsed (CLV 0).
const LAPSED_AFTER_DAYS: i64 = 180;
/// The end of the data.
const YEAR_END: (i32, u32, u32) = (2024, 12, 31);
const MID_YEAR: (i32, u32, u32) = (2024, 6, 30);

type Res<T> = Result<T, String>;

struct Options {
    dir: Option<String>,
    customer: Option<String>,
    json: bool,
}

fn parse_args() -> Res<Options> {
    let mut options = Options { dir: None, customer: None, json: false };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => options.json = true,
            "--customer" => options.customer = Some(args.next().ok_or("--customer expects a customer id")?),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            dir => options.dir = Some(dir.to_string()),
        }
    }
    Ok(options)
}

fn date(ymd: (i32, u32, u32)) -> Res<NaiveDate> {
    NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2).ok_or_else(|| format!("bad date {ymd:?}"))
}

/// One CSV file: its name (for messages) and its data rows as (1-based line, fields).
struct Csv {
    name: String,
    rows: Vec<(usize, Vec<String>)>,
}

impl Csv {
    fn read(dir: &str, name: &str, header: &[&str]) -> Res<Self> {
        let path = format!("{dir}/{name}");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
        let (_, first) = lines.next().ok_or(format!("{name} line 1: the file is empty"))?;
        let columns: Vec<&str> = first.split(',').map(str::trim).collect();
        if columns != header {
            return Err(format!("{name} line 1: expected the header {}, got {first:?}", header.join(",")));
        }
        let rows = lines
            .map(|(i, l)| (i + 1, l.split(',').map(|f| f.trim().to_string()).collect::<Vec<_>>()))
            .collect::<Vec<_>>();
        for (line, fields) in &rows {
            if fields.len() != header.len() {
                return Err(format!(
                    "{name} line {line}: expected {} fields, got {}",
                    header.len(),
                    fields.len()
                ));
            }
        }
        Ok(Csv { name: name.to_string(), rows })
    }
}

/// Field parsers that name the file, line and column in their errors.
struct Row<'a> {
    file: &'a str,
    line: usize,
    fields: &'a [String],
    header: &'a [&'a str],
}

impl Row<'_> {
    fn bad(&self, what: impl std::fmt::Display) -> String {
        format!("{} line {}: {what}", self.file, self.line)
    }

    fn text(&self, i: usize) -> Res<&str> {
        let f = self.fields.get(i).map(String::as_str).unwrap_or("");
        if f.is_empty() {
            return Err(self.bad(format!("empty {}", self.header.get(i).unwrap_or(&"field"))));
        }
        Ok(f)
    }

    fn parse<T: FromStr>(&self, i: usize, kind: &str) -> Res<T> {
        let f = self.text(i)?;
        f.parse()
            .map_err(|_| self.bad(format!("{} {f:?} is not {kind}", self.header.get(i).unwrap_or(&"field"))))
    }

    fn money(&self, i: usize) -> Res<Decimal> {
        self.parse(i, "a decimal amount")
    }
}

fn each_row<'a>(csv: &'a Csv, header: &'a [&'a str], mut f: impl FnMut(&Row<'a>) -> Res<()>) -> Res<()> {
    for (line, fields) in &csv.rows {
        f(&Row { file: &csv.name, line: *line, fields, header })?;
    }
    Ok(())
}

/// What the transactions say about one customer.
#[derive(Default)]
struct Purchases {
    cost_of_goods: Decimal,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
    first_half: Decimal,
    second_half: Decimal,
}

struct Base {
    purchases: BTreeMap<String, Purchases>,
    channels: BTreeMap<String, String>,
    pnl: Segmented<String, ProfitAndLoss>,
    pnl_by_channel: Segmented<String, ProfitAndLoss>,
    by_channel: Segmented<String, AcquisitionCost>,
    summaries: customer_metrics::Summaries<String>,
    referrals: ReferralValue<String>,
    graph: InfluenceGraph<String>,
    ideas: KnowledgeValue<String>,
}

const TRANSACTIONS: [&str; 6] = ["customer_id", "date", "amount", "cost_of_goods", "category", "tier"];
const CUSTOMERS: [&str; 4] = ["customer_id", "channel", "acquisition_cost", "cost_to_serve"];
const REFERRALS: [&str; 8] = [
    "referrer",
    "referred",
    "kind",
    "months",
    "contribution",
    "incentive",
    "serving_cost",
    "acquisition_saving",
];
const INFLUENCE: [&str; 3] = ["influencer", "influencee", "weight"];
const IDEAS: [&str; 6] = ["customer_id", "idea", "share", "monthly_profit", "months", "cost"];

fn monthly(discount_rate: f64) -> Res<Discount> {
    Discount::new(discount_rate, Timing::End)
        .and_then(|d| d.with_period_length(1.0 / 12.0))
        .map_err(|e| e.to_string())
}

fn load(dir: &str, discount: &Discount) -> Res<Base> {
    let (year_end, mid_year) = (date(YEAR_END)?, date(MID_YEAR)?);
    let mut builder =
        SummaryBuilder::new(SummaryOptions::default().period_days(MONTH_DAYS).observation_end(year_end))
            .map_err(|e| e.to_string())?;
    let mut purchases: BTreeMap<String, Purchases> = BTreeMap::new();
    let mut history = Vec::new();
    let csv = Csv::read(dir, "engagement_transactions.csv", &TRANSACTIONS)?;
    each_row(&csv, &TRANSACTIONS, |row| {
        let id = row.text(0)?.to_string();
        let day = NaiveDate::parse_from_str(row.text(1)?, "%Y-%m-%d")
            .map_err(|_| row.bad("date is not YYYY-MM-DD"))?;
        let (amount, cogs) = (row.money(2)?, row.money(3)?);
        if amount < Decimal::ZERO || cogs < Decimal::ZERO {
            return Err(row.bad("amount and cost_of_goods must be >= 0 (net returns first)"));
        }
        builder.record(&Transaction::new(id.clone(), day, amount)).map_err(|e| row.bad(e))?;
        let p = purchases.entry(id.clone()).or_default();
        let add = |a: Decimal, b: Decimal| a.checked_add(b).ok_or_else(|| row.bad("amount overflows"));
        p.cost_of_goods = add(p.cost_of_goods, cogs)?;
        let (category, tier) = (row.text(4)?.to_string(), row.parse(5, "a whole-number tier")?);
        history.push(Purchase { customer: id, date: day, category, tier, amount });
        if day <= mid_year {
            p.first_half = add(p.first_half, amount)?;
        } else {
            p.second_half = add(p.second_half, amount)?;
        }
        p.first = Some(p.first.map_or(day, |d| d.min(day)));
        p.last = Some(p.last.map_or(day, |d| d.max(day)));
        Ok(())
    })?;
    let summaries = builder.build().map_err(|e| e.to_string())?;
    let mix = revenue_mix(history).map_err(|e| e.to_string())?;

    let mut channels = BTreeMap::new();
    let mut pnl: Segmented<String, ProfitAndLoss> = Segmented::default();
    let mut pnl_by_channel: Segmented<String, ProfitAndLoss> = Segmented::default();
    let mut by_channel: Segmented<String, AcquisitionCost> = Segmented::default();
    let csv = Csv::read(dir, "engagement_customers.csv", &CUSTOMERS)?;
    each_row(&csv, &CUSTOMERS, |row| {
        let id = row.text(0)?.to_string();
        let channel = row.text(1)?.to_string();
        let (acquisition, serve) = (row.money(2)?, row.money(3)?);
        if channels.insert(id.clone(), channel.clone()).is_some() {
            return Err(row.bad(format!("customer {id} is listed twice")));
        }
        let cogs = purchases.get(&id).map_or(Decimal::ZERO, |p| p.cost_of_goods);
        let entry = mix
            .get(&id)
            .copied()
            .unwrap_or_default()
            .entry(cogs, serve, acquisition)
            .map_err(|e| row.bad(e))?;
        pnl.record((id, entry)).map_err(|e| row.bad(e))?;
        pnl_by_channel.record((channel.clone(), entry)).map_err(|e| row.bad(e))?;
        by_channel
            .record((channel, Acquisitions::new(acquisition, 1).map_err(|e| row.bad(e))?))
            .map_err(|e| row.bad(e))
    })?;
    if let Some(id) = purchases.keys().find(|id| !channels.contains_key(*id)) {
        return Err(format!("engagement_customers.csv: customer {id} has transactions but no row"));
    }

    let mut by_referrer: BTreeMap<String, Vec<Referral>> = BTreeMap::new();
    let mut referred_seen = BTreeSet::new();
    let csv = Csv::read(dir, "engagement_referrals.csv", &REFERRALS)?;
    each_row(&csv, &REFERRALS, |row| {
        let (referrer, referred) = (row.text(0)?.to_string(), row.text(1)?.to_string());
        for id in [&referrer, &referred] {
            if !channels.contains_key(id) {
                return Err(row.bad(format!("unknown customer {id}")));
            }
        }
        if !referred_seen.insert(referred.clone()) {
            return Err(row.bad(format!("customer {referred} is referred twice")));
        }
        let months: u32 = row.parse(3, "a whole number of months")?;
        let (contribution, incentive, serving, saving) =
            (row.money(4)?, row.money(5)?, row.money(6)?, row.money(7)?);
        let referral = match row.text(2)? {
            "1" => {
                let periods = (1..=months.max(1))
                    .map(|month| {
                        let p = ReferralPeriod::default().contribution(contribution).serving_cost(serving);
                        if month == 1 { p.incentive(incentive).acquisition_saving(saving) } else { p }
                    })
                    .collect();
                Referral::type1(periods)
            }
            "2" => Referral::type2([saving]),
            other => return Err(row.bad(format!("kind {other:?} is not 1 or 2"))),
        }
        .map_err(|e| row.bad(e))?;
        by_referrer.entry(referrer).or_default().push(referral);
        Ok(())
    })?;
    let mut referrals = ReferralValue::new(*discount);
    for (referrer, list) in by_referrer {
        referrals.insert(referrer, list).map_err(|e| e.to_string())?;
    }

    let mut edges = Vec::new();
    let csv = Csv::read(dir, "engagement_influence.csv", &INFLUENCE)?;
    each_row(&csv, &INFLUENCE, |row| {
        let (from, to) = (row.text(0)?.to_string(), row.text(1)?.to_string());
        let weight: f64 = row.parse(2, "a number")?;
        // Check the edge alone, so that a bad edge is reported with its line.
        InfluenceGraph::from_edges([InfluenceEdge::new(from.clone(), to.clone(), weight)])
            .map_err(|e| row.bad(e))?;
        edges.push(InfluenceEdge::new(from, to, weight));
        Ok(())
    })?;
    let graph = InfluenceGraph::from_edges(edges).map_err(|e| format!("engagement_influence.csv: {e}"))?;

    let mut by_customer: BTreeMap<String, Vec<IdeaContribution>> = BTreeMap::new();
    let csv = Csv::read(dir, "engagement_ideas.csv", &IDEAS)?;
    each_row(&csv, &IDEAS, |row| {
        let id = row.text(0)?.to_string();
        if !channels.contains_key(&id) {
            return Err(row.bad(format!("unknown customer {id}")));
        }
        let share: f64 = row.parse(2, "a share in [0, 1]")?;
        let profit = row.money(3)?;
        let months: usize = row.parse(4, "a whole number of months")?;
        let idea = IdeaContribution::new(vec![profit; months], share, vec![row.money(5)?])
            .map_err(|e| row.bad(e))?;
        by_customer.entry(id).or_default().push(idea);
        Ok(())
    })?;
    let mut ideas = KnowledgeValue::new(*discount);
    for (id, list) in by_customer {
        ideas.insert(id, list).map_err(|e| e.to_string())?;
    }
    Ok(Base { purchases, channels, pnl, pnl_by_channel, by_channel, summaries, referrals, graph, ideas })
}

fn money(d: Decimal) -> Value {
    json!(d.round_dp(2).to_string())
}

fn pct(d: Decimal) -> String {
    format!("{:.1} %", d * Decimal::from(100))
}

fn run() -> Res<()> {
    let options = parse_args()?;
    let dir = options.dir.clone().unwrap_or_else(|| format!("{}/examples/data", env!("CARGO_MANIFEST_DIR")));
    let discount = monthly(ANNUAL_RATE)?;
    let base = load(&dir, &discount)?;
    let (year_end, mid_year) = (date(YEAR_END)?, date(MID_YEAR)?);
    let e = |e: customer_metrics::Error| e.to_string();

    // Monthly retention: of the customers who bought by mid-year, the share who bought again after.
    let mut half = PeriodCounts::default();
    for p in base.purchases.values() {
        if p.first.is_some_and(|d| d <= mid_year) {
            half.record(if p.last.is_some_and(|d| d > mid_year) {
                customer_metrics::CustomerStatus::Retained
            } else {
                customer_metrics::CustomerStatus::Lost
            })
            .map_err(e)?;
        }
    }
    let half_year_retention = half.retention().map_err(e)?;
    let retention = rescale_retention(half_year_retention, 1.0 / 6.0).map_err(e)?;

    // CLV per active customer from their monthly contribution so far.
    let mut clv = FormulaClv::new(discount);
    let mut active = Vec::new();
    for (id, pnl) in base.pnl.segments() {
        let Some(p) = base.purchases.get(id) else { continue };
        let (Some(first), Some(last)) = (p.first, p.last) else { continue };
        if (year_end - last).num_days() > LAPSED_AFTER_DAYS {
            continue;
        }
        let months = ((year_end - first).num_days() as f64 / MONTH_DAYS).max(1.0);
        let statement = pnl.statement().map_err(e)?.ok_or("empty P&L")?;
        let months = Decimal::try_from(months).map_err(|err| err.to_string())?;
        let margin = statement.contribution.checked_div(months).ok_or("margin overflow")?.round_dp(2);
        clv.insert(id.clone(), ConstantRetentionClv::new(margin, retention).map_err(e)?).map_err(e)?;
        active.push((id.clone(), margin));
    }
    let civ = InfluenceValue::new(&base.graph, &clv).map_err(e)?;
    let centrality = base
        .graph
        .hubbell(|_| 1.0, &HubbellOptions { attenuation: 0.5, ..HubbellOptions::default() })
        .map_err(e)?;
    let engagement =
        Engagement::new().with(clv.clone()).with(base.referrals.clone()).with(civ).with(base.ideas.clone());
    let portfolio: Portfolio<String> = engagement.portfolio(base.channels.keys().cloned()).map_err(e)?;
    let quadrants = portfolio.quadrants("CLV", "CRV", QuadrantThresholds::Medians).map_err(e)?;

    // Profitability.
    let curve = WhaleCurve::from_customers(&base.pnl).map_err(e)?;
    let (total, _) = segment_statements(&base.pnl).map_err(e)?;
    let (_, channel_statements) = segment_statements(&base.pnl_by_channel).map_err(e)?;

    // Acquisition economics.
    let cac = base.by_channel.value().ok_or("no customers acquired")?;
    let paid = base.by_channel.rest(&"organic".to_string()).map_err(e)?.value();
    let mut revenue = RevenueRetention::default();
    for p in base.purchases.values() {
        if p.first_half > Decimal::ZERO {
            revenue.record(CustomerRevenue::new(p.first_half, p.second_half).map_err(e)?).map_err(e)?;
        }
    }
    let movements = revenue.value().ok_or("no first-half revenue")?;
    let active_count = active.len();
    let mean_margin = if active.is_empty() {
        Decimal::ZERO
    } else {
        active.iter().map(|(_, m)| *m).sum::<Decimal>() / Decimal::from(active_count as u64)
    };
    let unit =
        UnitEconomics::new(&cac.total, mean_margin.max(Decimal::ZERO), 1.0 - retention, Some(&movements))
            .map_err(e)?;

    // RFM.
    let rfm = RfmScores::from_summaries(RfmOptions::default(), &base.summaries).map_err(e)?;
    let rules = SegmentRules::default();
    let segment_counts = rfm.segment_counts(&rules).map_err(e)?;

    // Customer equity: current customers' CLV plus twelve months of cohorts like 2024's.
    let acquired_2024 = base.purchases.values().filter(|p| p.first.is_some()).count() as f64;
    let per_month = acquired_2024 / 12.0;
    let equity = GuptaLehmannEquity::new(mean_margin, retention, active_count as f64)
        .and_then(|g| g.with_acquisitions(vec![per_month; 12], cac.total.cac))
        .map_err(e)?;
    let equity_report = equity.value(&discount).map_err(e)?;
    let elasticities = equity.elasticities(&discount).map_err(e)?;
    let current_clv = portfolio.component_total("CLV").unwrap_or_default();

    // The person.
    let person = match &options.customer {
        Some(id) if base.channels.contains_key(id) => id.clone(),
        Some(id) => return Err(format!("--customer: no customer {id}")),
        // The highest-ranked customer with the most non-zero components: the most instructive.
        None => portfolio
            .ranking()
            .iter()
            .rev()
            .max_by_key(|c| c.parts().iter().filter(|p| !p.is_zero()).count())
            .map(|c| c.customer().clone())
            .ok_or("no customers")?,
    };
    let value = engagement.value(&person).map_err(e)?;
    let person_pnl = base.pnl.segment(&person).and_then(Metric::value);
    let person_rfm = rfm.get(&person);
    let person_segment = person_rfm.map(|s| rules.classify(s)).transpose().map_err(e)?;
    let person_quadrant = quadrants.customers.iter().find(|(id, _)| *id == person).map(|(_, q)| *q);
    let person_referrals = base.referrals.breakdown(&person).map_err(e)?;

    let names = portfolio.components().to_vec();
    let quadrant_names = [Quadrant::Champions, Quadrant::Affluents, Quadrant::Advocates, Quadrant::Misers];
    let deciles: Vec<(u32, Decimal)> = (1..=10)
        .map(|k| Ok((k * 10, curve.profit_share_at(Decimal::new(i64::from(k), 1))?)))
        .collect::<Result<_, customer_metrics::Error>>()
        .map_err(e)?;
    let mut top_influencers: Vec<(&String, f64)> = centrality.iter().map(|(id, _, cie)| (id, cie)).collect();
    top_influencers.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    top_influencers.truncate(3);

    let mut out = String::new();
    if options.json {
        let ranking: Vec<Value> = portfolio
            .ranking()
            .iter()
            .map(|c| {
                let mut o = serde_json::Map::new();
                o.insert("customer".into(), json!(c.customer()));
                for (name, part) in names.iter().zip(c.parts()) {
                    o.insert(name.clone(), money(*part));
                }
                o.insert("CEV".into(), money(c.total()));
                Value::Object(o)
            })
            .collect();
        let report = json!({
            "data": dir,
            "customers": base.channels.len(),
            "active_customers": active_count,
            "monthly_retention": retention,
            "half_year_retention": half_year_retention,
            "annual_discount_rate": ANNUAL_RATE,
            "engagement": {
                "components": names,
                "component_totals": portfolio.component_totals().iter().map(|d| money(*d)).collect::<Vec<_>>(),
                "total": money(portfolio.total()),
                "ranking": ranking,
            },
            "quadrants": {
                "clv_threshold": money(quadrants.clv_threshold),
                "crv_threshold": money(quadrants.crv_threshold),
                "counts": quadrant_names.iter().map(|q| (format!("{q:?}"), quadrants.count(*q))).collect::<BTreeMap<_, _>>(),
                "customers": quadrants.customers.iter().map(|(id, q)| (id.clone(), format!("{q:?}"))).collect::<BTreeMap<_, _>>(),
            },
            "influence": {
                "top": top_influencers.iter().map(|(id, cie)| json!({"customer": id, "cie": cie})).collect::<Vec<_>>(),
                "hubbell": centrality.report(),
            },
            "profitability": {
                "total": total,
                "cross_sell_share": total.cross_sell_share(),
                "up_sell_share": total.up_sell_share(),
                "by_channel": channel_statements,
                "whale_curve": {
                    "total_profit": curve.total_profit(),
                    "peak": curve.peak(),
                    "customer_share_at_peak": curve.customer_share_at_peak(),
                    "value_destroying_share": curve.value_destroying_share(),
                    "deciles": deciles.iter().map(|(p, s)| json!({"customers_pct": p, "profit_share": s})).collect::<Vec<_>>(),
                    "points": curve.points(),
                },
            },
            "acquisition": {
                "cac": cac,
                "paid_cac": paid,
                "unit_economics": unit,
                "revenue_retention_h1_to_h2": movements,
            },
            "rfm": { "segment_counts": segment_counts, "scores": rfm.scores() },
            "customer_equity": {
                "current_customers_clv": money(current_clv),
                "gupta_lehmann": equity_report,
                "elasticities": elasticities,
                "future_acquisitions_per_month": per_month,
            },
            "person": {
                "customer": person,
                "components": names.iter().cloned().zip(value.parts().iter().map(|d| money(*d))).collect::<BTreeMap<_, _>>(),
                "CEV": money(value.total()),
                "referrals": person_referrals,
                "quadrant": person_quadrant.map(|q| format!("{q:?}")),
                "pnl": person_pnl,
                "rfm": person_rfm,
                "rfm_segment": person_segment,
                "cie": centrality.cie(&person),
            },
        });
        out = serde_json::to_string(&report).map_err(|err| err.to_string())? + "\n";
    } else {
        let w = &mut out;
        let _ = writeln!(
            w,
            "Customer engagement value of {} customers ({} active), monthly periods, {:.0} % a year",
            base.channels.len(),
            active_count,
            ANNUAL_RATE * 100.0
        );
        let _ = writeln!(
            w,
            "monthly retention r = {:.4} (half-year retention {:.3} of the customers who bought by {mid_year})",
            retention, half_year_retention
        );
        let _ = writeln!(w, "\nRanking by CEV = {} (top 10)", names.join(" + "));
        let _ = write!(w, "{:>4} {:<8}", "rank", "customer");
        for n in &names {
            let _ = write!(w, " {n:>9}");
        }
        let _ = writeln!(w, " {:>10}", "CEV");
        for (rank, c) in portfolio.ranking().iter().take(10).enumerate() {
            let _ = write!(w, "{:>4} {:<8}", rank + 1, c.customer());
            for part in c.parts() {
                let _ = write!(w, " {:>9.2}", part);
            }
            let _ = writeln!(w, " {:>10.2}", c.total());
        }
        let _ = write!(w, "{:>13}", "total");
        for t in portfolio.component_totals() {
            let _ = write!(w, " {:>9.2}", t);
        }
        let _ = writeln!(w, " {:>10.2}", portfolio.total());

        let _ = writeln!(
            w,
            "\nCLV × CRV quadrants (split at the medians: CLV {:.2}, CRV {:.2})",
            quadrants.clv_threshold, quadrants.crv_threshold
        );
        for q in quadrant_names {
            let members: Vec<&str> =
                quadrants.customers.iter().filter(|(_, x)| *x == q).map(|(id, _)| id.as_str()).collect();
            let _ = writeln!(w, "  {:<10} {:>3}  {}", format!("{q:?}"), members.len(), members.join(" "));
        }
        let _ = writeln!(
            w,
            "  top influencers (share of Hubbell influence, α = 0.5): {}",
            top_influencers
                .iter()
                .map(|(id, cie)| format!("{id} {:.1} %", cie * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        );

        let _ = writeln!(w, "\nProfitability");
        let _ = writeln!(
            w,
            "  revenue {:.2}, cost of goods {:.2}, cost to serve {:.2}, acquisition {:.2} → profit {:.2}",
            total.revenue, total.cost_of_goods, total.cost_to_serve, total.acquisition_cost, total.profit
        );
        let _ = writeln!(
            w,
            "  cross-sell revenue share {}, up-sell revenue share {}",
            total.cross_sell_share().map_or("-".into(), pct),
            total.up_sell_share().map_or("-".into(), pct)
        );
        for (channel, s) in &channel_statements {
            let _ = writeln!(w, "  {channel:<9} {:>3} customers, profit {:>9.2}", s.lines, s.profit);
        }
        let _ = writeln!(
            w,
            "Whale curve: peak {} of total profit at {} of customers; {} of customers destroy value",
            pct(curve.peak()),
            pct(curve.customer_share_at_peak()),
            pct(curve.value_destroying_share())
        );
        for (p, s) in &deciles {
            let bar = "#".repeat((s * Decimal::from(40)).round().try_into().unwrap_or(0usize).min(80));
            let _ = writeln!(w, "  top {p:>3} % of customers {:>8}  {bar}", pct(*s));
        }

        let _ = writeln!(w, "\nAcquisition economics");
        for (channel, c) in &cac.segments {
            let _ = writeln!(w, "  CAC {channel:<9} {:>7.2} ({} customers)", c.cac, c.customers);
        }
        let _ = writeln!(
            w,
            "  blended CAC {:.2}; paid CAC {}",
            cac.total.cac,
            paid.map_or("-".into(), |p| format!("{:.2}", p.cac))
        );
        let _ = writeln!(
            w,
            "  mean monthly margin {:.2}, LTV (margin / churn) {:.2}, LTV:CAC {:.2}, payback {:.1} months",
            unit.margin_per_period, unit.ltv, unit.ltv_to_cac, unit.payback_periods
        );
        let _ = writeln!(
            w,
            "  first-half cohort revenue in the second half: GRR {}, NRR {}",
            unit.gross_revenue_retention.map_or("-".into(), pct),
            unit.net_revenue_retention.map_or("-".into(), pct)
        );

        let _ = writeln!(w, "\nRFM segments (quintiles, 10-segment RF map)");
        for (segment, n) in &segment_counts {
            let _ = writeln!(w, "  {segment:<20} {n:>3}");
        }

        let _ = writeln!(
            w,
            "\nCustomer equity (Gupta-Lehmann: {active_count} active customers, {per_month:.2} new a month for 12 months)"
        );
        let _ = writeln!(
            w,
            "  current {:.2} + future cohorts {:.2} − acquisition spend {:.2} = {:.2}   (sum of per-customer CLV: {:.2})",
            equity_report.current,
            equity_report.future,
            equity_report.acquisition_spend,
            equity_report.total,
            current_clv
        );
        let _ = writeln!(
            w,
            "  elasticities: retention {:.2}, margin {:.2}, acquisition cost {:.3}",
            elasticities.retention, elasticities.margin, elasticities.acquisition_cost
        );

        let _ = writeln!(w, "\nCustomer {person}: engagement value by component");
        for (name, part) in names.iter().zip(value.parts()) {
            let _ = writeln!(w, "  {name:<4} {:>10.2}", part);
        }
        let _ = writeln!(w, "  CEV  {:>10.2}", value.total());
        let _ = writeln!(
            w,
            "  referrals: type 1 {:.2}, type 2 {:.2}; quadrant {}; influence share {}",
            person_referrals.type1,
            person_referrals.type2,
            person_quadrant.map_or("-".into(), |q| format!("{q:?}")),
            centrality.cie(&person).map_or("-".into(), |c| format!("{:.1} %", c * 100.0))
        );
        if let Some(s) = person_pnl {
            let _ = writeln!(
                w,
                "  P&L: revenue {:.2}, gross profit {:.2}, contribution {:.2}, profit {:.2}",
                s.revenue, s.gross_profit, s.contribution, s.profit
            );
        }
        if let (Some(s), Some(segment)) = (person_rfm, person_segment) {
            let _ = writeln!(w, "  RFM {} ({segment})", s.code());
        }
    }
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        // A closed pipe (`| head`) is not an error of this program.
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the output: {err}"))
        }
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
