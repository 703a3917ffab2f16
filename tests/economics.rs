//! Integration tests of the economics module: hand-worked references, second closed forms and
//! brute-force counts, property tests (whale curve ends at 100 %, RFM scores in range and
//! stable under permutation), the Metric laws, serde and Send + Sync.

mod common;

use common::{assert_send_sync, check_metric_laws};
use customer_metrics::economics::{
    Purchase, RevenueMix, cac_payback_periods, contribution_margin, ltv_to_cac, payback_period, revenue_mix,
    segment_statements, simple_ltv,
};
use customer_metrics::{
    AcquisitionCost, Acquisitions, Cac, CustomerRevenue, Error, Metric, PnlEntry, PnlStatement,
    ProfitAndLoss, RevenueRetention, RfmObservation, RfmOptions, RfmScore, RfmScores, RfmSort, RfmTies,
    ScoreRange, SegmentRule, SegmentRules, Segmented, SummaryBuilder, SummaryOptions, Transaction,
    UnitEconomics, WhaleCurve, WhalePoint,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(n: i64) -> Decimal {
    Decimal::from(n)
}

fn entry(rev: i64, cogs: i64, serve: i64, acq: i64) -> PnlEntry {
    PnlEntry::new(d(rev), d(cogs), d(serve), d(acq)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Profitability

/// Source: hand computation of a three-segment P&L (activity-based costing layout of Kaplan &
/// Narayanan 2001): per segment, gross profit = revenue − COGS, contribution = gross − serve,
/// profit = contribution − acquisition.
#[test]
fn segment_pnl_by_hand() {
    let mut pnl: Segmented<&str, ProfitAndLoss> = Segmented::default();
    // retail: two lines, revenue 300 + 200 = 500, COGS 150 + 120 = 270, serve 40 + 30 = 70,
    // acquisition 50 + 0 = 50 → gross 230, contribution 160, profit 110.
    pnl.record(("retail", entry(300, 150, 40, 50))).unwrap();
    pnl.record(("retail", entry(200, 120, 30, 0).with_revenue_mix(d(50), d(20)).unwrap())).unwrap();
    // wholesale: revenue 1000, COGS 800, serve 260, acquisition 100 → gross 200, contribution −60,
    // profit −160.
    pnl.record(("wholesale", entry(1000, 800, 260, 100).with_revenue_mix(d(0), d(100)).unwrap())).unwrap();
    let (total, segments) = segment_statements(&pnl).unwrap();
    let retail = segments["retail"];
    assert_eq!((retail.gross_profit, retail.contribution, retail.profit), (d(230), d(160), d(110)));
    assert_eq!(retail.cross_sell_share(), Some(Decimal::new(1, 1))); // 50 / 500
    assert_eq!(retail.up_sell_share(), Some(Decimal::new(4, 2))); // 20 / 500
    let wholesale = segments["wholesale"];
    assert_eq!((wholesale.contribution, wholesale.profit), (d(-60), d(-160)));
    assert_eq!(wholesale.contribution_margin(), Some(Decimal::new(-6, 2)));
    // Total: revenue 1500, COGS 1070, serve 330, acquisition 150 → profit −50; lines 3;
    // up-sell 120 / 1500 = 0.08.
    assert_eq!((total.lines, total.revenue, total.profit), (3, d(1500), d(-50)));
    assert_eq!(total.up_sell_share(), Some(Decimal::new(8, 2)));
    assert_eq!(total.gross_margin().unwrap().round_dp(4), Decimal::new(2867, 4)); // 430 / 1500
}

/// Source: Kaplan & Narayanan (2001)'s pattern, built by hand: ten customers with profits
/// 400, 250, 150, 100, 50, 20, 0, −30, −140, −300 (total 500). Cumulative: 400, 650, 800, 900,
/// 950, 970, 970, 940, 800, 500 → shares 0.8, 1.3, 1.6, 1.8, 1.9, 1.94, 1.94, 1.88, 1.6, 1.0.
#[test]
fn whale_curve_by_hand() {
    let profits = [400, 250, 150, 100, 50, 20, 0, -30, -140, -300];
    let curve = WhaleCurve::new(profits.iter().enumerate().map(|(i, p)| (i as u32, d(*p)))).unwrap();
    let shares: Vec<Decimal> = curve.points().iter().map(|p| p.profit_share).collect();
    let expected = ["0.8", "1.3", "1.6", "1.8", "1.9", "1.94", "1.94", "1.88", "1.6", "1"];
    for (got, want) in shares.iter().zip(expected) {
        assert_eq!(*got, want.parse::<Decimal>().unwrap());
    }
    assert_eq!(curve.total_profit(), d(500));
    assert_eq!(curve.peak(), Decimal::new(194, 2));
    assert_eq!(curve.customer_share_at_peak(), Decimal::new(6, 1)); // the zero-profit customer adds nothing
    assert_eq!(curve.value_destroying_share(), Decimal::new(3, 1));
    // The top 20 %: 650 / 500 = 1.3.
    assert_eq!(curve.profit_share_at(Decimal::new(2, 1)).unwrap(), Decimal::new(13, 1));
}

#[test]
fn whale_curve_of_no_profit_is_an_error() {
    // Documented convention: total profit <= 0 → InvalidParameter naming total_profit.
    for profits in [vec![d(0)], vec![d(10), d(-10)], vec![d(-1), d(-2)]] {
        let err = WhaleCurve::new(profits.into_iter().enumerate()).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { name: "total_profit", .. }), "{err}");
    }
    // The ranking is still available.
    let ranked = WhaleCurve::ranked([(2, d(-1)), (1, d(-1)), (3, d(5))]).unwrap();
    assert_eq!(ranked, [(3, d(5)), (1, d(-1)), (2, d(-1))]);
}

fn arb_entry() -> impl Strategy<Value = PnlEntry> {
    (0i64..10_000, 0i64..10_000, 0i64..5_000, 0i64..5_000, 0u8..=100, 0u8..=100).prop_map(
        |(rev, cogs, serve, acq, cross, up)| {
            let revenue = Decimal::new(rev, 2);
            // cross-sell and up-sell as percentages of revenue, together at most 100 %.
            let cross_sell = revenue * Decimal::from(cross) / d(100);
            let up_sell = (revenue - cross_sell) * Decimal::from(up) / d(100);
            PnlEntry::new(revenue, Decimal::new(cogs, 2), Decimal::new(serve, 2), Decimal::new(acq, 2))
                .unwrap()
                .with_revenue_mix(cross_sell, up_sell)
                .unwrap()
        },
    )
}

fn arb_acquisitions() -> impl Strategy<Value = Acquisitions> {
    (0i64..1_000_000, 0u64..50).prop_map(|(spend, n)| Acquisitions::new(Decimal::new(spend, 2), n).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pnl_metric_laws(
        a in prop::collection::vec(arb_entry(), 0..8),
        b in prop::collection::vec(arb_entry(), 0..8),
        c in prop::collection::vec(arb_entry(), 0..8),
    ) {
        check_metric_laws::<ProfitAndLoss>(&a, &b, &c)?;
    }

    #[test]
    fn segmented_pnl_metric_laws(
        a in prop::collection::vec((0u8..4, arb_entry()), 0..8),
        b in prop::collection::vec((0u8..4, arb_entry()), 0..8),
        c in prop::collection::vec((0u8..4, arb_entry()), 0..8),
    ) {
        check_metric_laws::<Segmented<u8, ProfitAndLoss>>(&a, &b, &c)?;
    }

    #[test]
    fn acquisition_cost_metric_laws(
        a in prop::collection::vec(arb_acquisitions(), 0..8),
        b in prop::collection::vec(arb_acquisitions(), 0..8),
        c in prop::collection::vec(arb_acquisitions(), 0..8),
    ) {
        check_metric_laws::<AcquisitionCost>(&a, &b, &c)?;
    }

    #[test]
    fn cac_by_channel_metric_laws(
        a in prop::collection::vec((0u8..3, arb_acquisitions()), 0..8),
        b in prop::collection::vec((0u8..3, arb_acquisitions()), 0..8),
        c in prop::collection::vec((0u8..3, arb_acquisitions()), 0..8),
    ) {
        check_metric_laws::<Segmented<u8, AcquisitionCost>>(&a, &b, &c)?;
    }

    /// The issue's invariant: a whale curve ends at 100 % of profit (exactly), at 100 % of
    /// customers; and its summary figures agree with a second closed form: peak = sum of the
    /// positive profits / total, reached at (#positive) / n, value destroyers = #negative / n.
    #[test]
    fn whale_curve_ends_at_total_profit(
        profits in prop::collection::vec(-1_000_000i64..1_000_000, 1..60),
        bonus in 1i64..1_000_000,
    ) {
        let mut profits: Vec<Decimal> = profits.into_iter().map(|p| Decimal::new(p, 2)).collect();
        // Make the total positive by raising the first customer's profit.
        let total: Decimal = profits.iter().sum();
        if total <= Decimal::ZERO {
            profits[0] += -total + Decimal::new(bonus, 2);
        }
        let total: Decimal = profits.iter().sum();
        let curve = WhaleCurve::new(profits.iter().copied().enumerate()).unwrap();
        let last = curve.points().last().unwrap();
        prop_assert_eq!(last.profit_share, Decimal::ONE);
        prop_assert_eq!(last.customer_share, Decimal::ONE);
        prop_assert_eq!(last.cumulative_profit, total);
        let n = Decimal::from(profits.len() as u64);
        let positive: Decimal = profits.iter().filter(|p| **p > Decimal::ZERO).sum();
        let n_positive = profits.iter().filter(|p| **p > Decimal::ZERO).count() as u64;
        let n_negative = profits.iter().filter(|p| **p < Decimal::ZERO).count() as u64;
        prop_assert_eq!(curve.peak(), positive / total);
        prop_assert_eq!(curve.customer_share_at_peak(), Decimal::from(n_positive) / n);
        prop_assert_eq!(curve.value_destroying_share(), Decimal::from(n_negative) / n);
        prop_assert!(curve.peak() >= Decimal::ONE);
        // Ranked: profits non-increasing.
        prop_assert!(curve.points().windows(2).all(|w| w[0].profit >= w[1].profit));
    }

    #[test]
    fn whale_curve_ignores_input_order(
        profits in prop::collection::vec(-100i64..1_000, 1..30).prop_filter("positive total", |p| p.iter().sum::<i64>() > 0),
        seed in any::<u64>(),
    ) {
        let pairs: Vec<(usize, Decimal)> = profits.iter().map(|p| d(*p)).enumerate().collect();
        let mut shuffled = pairs.clone();
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(WhaleCurve::new(pairs).unwrap(), WhaleCurve::new(shuffled).unwrap());
    }
}

/// A Fisher-Yates shuffle driven by a 64-bit LCG (Knuth's MMIX constants).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let j = ((seed >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// Source: hand classification of two purchase histories by the definitions of `revenue_mix`.
#[test]
fn revenue_mix_by_hand() {
    let day = |m, dd| chrono::NaiveDate::from_ymd_opt(2024, m, dd).unwrap();
    let p = |c: u8, date, category: &str, tier, amount| Purchase {
        customer: c,
        date,
        category: category.to_string(),
        tier,
        amount: d(amount),
    };
    let mix = revenue_mix([
        // Customer 1: first day buys beans (tier 2) and a grinder (tier 1): initial, 70.
        p(1, day(1, 5), "beans", 2, 30),
        p(1, day(1, 5), "grinder", 1, 40),
        // Beans tier 1 later: repeat (below the highest tier bought). 20.
        p(1, day(2, 1), "beans", 1, 20),
        // Same day: grinder tier 3 (up-sell, 120) and a mug (cross-sell, 10).
        p(1, day(3, 1), "grinder", 3, 120),
        p(1, day(3, 1), "mug", 1, 10),
        // A mug on a later day, tier 1 again: repeat. 12.
        p(1, day(3, 9), "mug", 1, 12),
        // Customer 2: one day only: all initial.
        p(2, day(6, 1), "beans", 1, 25),
        p(2, day(6, 1), "mug", 1, 9),
    ])
    .unwrap();
    assert_eq!(mix[&1], RevenueMix { revenue: d(232), cross_sell: d(10), up_sell: d(120) });
    assert_eq!(mix[&2], RevenueMix { revenue: d(34), cross_sell: d(0), up_sell: d(0) });
    assert_eq!(mix[&1].up_sell_share().unwrap().round_dp(4), Decimal::new(5172, 4)); // 120 / 232
    let bad = revenue_mix([p(1, day(1, 1), "beans", 1, -1)]);
    assert!(matches!(bad, Err(Error::InvalidParameter { name: "amount", .. })));
    // Into a P&L line.
    let e = mix[&1].entry(d(100), d(10), d(5)).unwrap();
    assert_eq!((e.cross_sell(), e.up_sell()), (d(10), d(120)));
}

/// The O(n²) definition: a purchase after the customer's first date is cross-sell when no
/// earlier-dated purchase of the customer is in its category, up-sell when all of those are at
/// lower tiers.
fn brute_force_mix(purchases: &[Purchase<u8, u8>]) -> std::collections::BTreeMap<u8, RevenueMix> {
    let mut out = std::collections::BTreeMap::new();
    for p in purchases {
        let first = purchases.iter().filter(|q| q.customer == p.customer).map(|q| q.date).min().unwrap();
        let earlier: Vec<&Purchase<u8, u8>> = purchases
            .iter()
            .filter(|q| q.customer == p.customer && q.date < p.date && q.category == p.category)
            .collect();
        let m: &mut RevenueMix = out.entry(p.customer).or_default();
        m.revenue += p.amount;
        if p.date == first {
            continue;
        }
        if earlier.is_empty() {
            m.cross_sell += p.amount;
        } else if earlier.iter().all(|q| q.tier < p.tier) {
            m.up_sell += p.amount;
        }
    }
    out
}

fn arb_purchase() -> impl Strategy<Value = Purchase<u8, u8>> {
    (0u8..4, 1u32..40, 0u8..3, 1u32..4, 0i64..10_000).prop_map(|(customer, day, category, tier, cents)| {
        Purchase {
            customer,
            date: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
                + chrono::Days::new(u64::from(day) / 3),
            category,
            tier,
            amount: Decimal::new(cents, 2),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn revenue_mix_matches_brute_force_and_ignores_order(
        purchases in prop::collection::vec(arb_purchase(), 0..40),
        seed in any::<u64>(),
    ) {
        let mix = revenue_mix(purchases.clone()).unwrap();
        prop_assert_eq!(&mix, &brute_force_mix(&purchases));
        for m in mix.values() {
            prop_assert!(m.cross_sell + m.up_sell <= m.revenue);
        }
        let mut shuffled = purchases;
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(revenue_mix(shuffled).unwrap(), mix);
    }
}

// ---------------------------------------------------------------------------------------------
// Acquisition economics

/// Source: FORMULAS §6.4 (Skok, "SaaS Metrics 2.0"), worked by hand: channels search (spend
/// 12,000, 60 customers), events (8,000, 20), organic (0, 120). Blended CAC 20,000 / 200 = 100;
/// paid CAC 20,000 / 80 = 250; search 200; events 400.
#[test]
fn cac_by_channel_by_hand() {
    let mut m: Segmented<&str, AcquisitionCost> = Segmented::default();
    m.record(("search", Acquisitions::new(d(7_000), 35).unwrap())).unwrap();
    m.record(("search", Acquisitions::new(d(5_000), 25).unwrap())).unwrap();
    m.record(("events", Acquisitions::new(d(8_000), 20).unwrap())).unwrap();
    m.record(("organic", Acquisitions::new(d(0), 120).unwrap())).unwrap();
    let report = m.value().unwrap();
    assert_eq!(report.total.cac, d(100));
    assert_eq!(report.segments["search"].cac, d(200));
    assert_eq!(report.segments["events"].cac, d(400));
    assert_eq!(report.segments["organic"].cac, d(0));
    assert_eq!(m.rest(&"organic").unwrap().value().unwrap().cac, d(250));
}

/// Source: hand computation. ARPA 100/month at 75 % gross margin = 75/month margin, 2.5 %
/// monthly churn: LTV = 75 / 0.025 = 3,000; CAC 900 → LTV:CAC = 3,000 / 900 = 3.333…; payback
/// = 900 / 75 = 12 months. Margins of a churning cohort 75, 73.125, 71.296875, …
/// (75·0.975^k): cumulative after 12 months = 75·(1 − 0.975^12)/0.025 = 788.0…, after 14 =
/// 75·(1 − 0.975^14)/0.025 = 889.8…, after 15 = 75·(1 − 0.975^15)/0.025 = 942.4… ≥ 900 → 15.
#[test]
fn unit_economics_by_hand() {
    assert_eq!(simple_ltv(d(75), 0.025).unwrap(), d(3_000));
    assert_eq!(ltv_to_cac(d(3_000), d(900)).unwrap().round_dp(6), "3.333333".parse::<Decimal>().unwrap());
    assert_eq!(cac_payback_periods(d(900), d(75)).unwrap(), d(12));
    let margins: Vec<Decimal> =
        std::iter::successors(Some(d(75)), |m| Some(m * Decimal::new(975, 3))).take(24).collect();
    assert_eq!(payback_period(d(900), &margins).unwrap(), Some(15));
    assert_eq!(payback_period(d(900), &margins[..14]).unwrap(), None);
    // Contribution margin: revenue 1,200, variable costs 900 → 300 and 0.25.
    assert_eq!(contribution_margin(d(1_200), d(900)).unwrap(), (d(300), Decimal::new(25, 2)));
}

/// GRR and NRR come from the retention module (one definition): the figures of the report are
/// those of `RevenueMovements`. Source: hand computation, starting MRR 100 + 200 + 300 = 600,
/// churned 100, contraction 50 (200 → 150), expansion 100 (300 → 400): GRR = 450 / 600 = 0.75,
/// NRR = 550 / 600.
#[test]
fn unit_economics_link_to_revenue_retention() {
    let mut revenue = RevenueRetention::default();
    for (start, end) in [(100, 0), (200, 150), (300, 400)] {
        revenue.record(CustomerRevenue::new(d(start), d(end)).unwrap()).unwrap();
    }
    let movements = revenue.value().unwrap();
    let cac = Cac::new(d(1_000), 4).unwrap();
    let unit = UnitEconomics::new(&cac, d(25), 0.05, Some(&movements)).unwrap();
    assert_eq!(unit.gross_revenue_retention, Some(Decimal::new(75, 2)));
    assert_eq!(unit.net_revenue_retention, Some(d(550) / d(600)));
    assert_eq!((unit.cac, unit.ltv, unit.ltv_to_cac, unit.payback_periods), (d(250), d(500), d(2), d(10)));
    let none = UnitEconomics::new(&cac, d(25), 0.05, None).unwrap();
    assert_eq!(none.net_revenue_retention, None);
    assert!(matches!(
        UnitEconomics::new(&Cac::new(d(0), 1).unwrap(), d(25), 0.05, None),
        Err(Error::InvalidParameter { name: "cac", .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// RFM

fn obs(recency: f64, frequency: u64, monetary: i64) -> RfmObservation {
    RfmObservation::new(recency, frequency, d(monetary)).unwrap()
}

/// Source: hand computation with 5 bins, 10 customers, RfmTies::ById (NTILE): positions 0..9 map
/// to 1,1,2,2,3,3,4,4,5,5. Frequencies 1,1,1,2,2,3,4,5,8,9 (ids 0..9): sorted with ties by id,
/// customer 0..9 are at positions 0..9, so F = 1,1,2,2,3,3,4,4,5,5 — customers 1 and 2 tie on
/// frequency 1 but get scores 1 and 2. With RfmTies::Share the run 0..=2 (value 1) gets the middle
/// position 1 → ⌊1·5/10⌋ + 1 = 1; the run 3..=4 (value 2) gets 3.5 → ⌊1.75⌋ + 1 = 2.
#[test]
fn rfm_ties_by_hand() {
    let freqs = [1, 1, 1, 2, 2, 3, 4, 5, 8, 9];
    let customers: Vec<(u32, RfmObservation)> =
        freqs.iter().enumerate().map(|(i, f)| (i as u32, obs(0.0, *f, 0))).collect();
    let by_id = RfmScores::new(RfmOptions::default().ties(RfmTies::ById), customers.clone()).unwrap();
    let f: Vec<u8> = by_id.scores().iter().map(|s| s.frequency).collect();
    assert_eq!(f, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    let shared = RfmScores::new(RfmOptions::default(), customers).unwrap();
    let f: Vec<u8> = shared.scores().iter().map(|s| s.frequency).collect();
    assert_eq!(f, [1, 1, 1, 2, 2, 3, 4, 4, 5, 5]);
    // Everyone ties on recency 0: one run over positions 0..=9, middle 4.5 → ⌊2.25⌋ + 1 = 3.
    assert!(shared.scores().iter().all(|s| s.recency == 3));
}

/// Source: hand computation of Hughes's nested sort with 2 bins and 4 customers (RfmTies::ById).
/// Recency 1, 2, 8, 9 (ids 0..3) → R = 2, 2, 1, 1. Frequencies 5, 1, 9, 2: independently
/// (ascending 1, 2, 5, 9 → ids 1, 3, 0, 2) F = 2, 1, 2, 1; nested, within R = 2 (ids 0, 1:
/// 5 > 1) F = 2, 1 and within R = 1 (ids 2, 3: 9 > 2) F = 2, 1 — the same here; monetary
/// 10, 20, 30, 40: independently M = 1, 1, 2, 2; nested, each (R, F) cell holds one customer,
/// scored alone: position 0 of 1 → M = 1.
#[test]
fn rfm_nested_by_hand() {
    let customers =
        [(0u32, obs(1.0, 5, 10)), (1, obs(2.0, 1, 20)), (2, obs(8.0, 9, 30)), (3, obs(9.0, 2, 40))];
    let base = RfmOptions::default().bins(2).ties(RfmTies::ById);
    let independent = RfmScores::new(base, customers).unwrap();
    let nested = RfmScores::new(base.sort(RfmSort::Nested), customers).unwrap();
    let codes = |s: &RfmScores<u32>| s.scores().iter().map(|x| x.code()).collect::<Vec<_>>();
    assert_eq!(codes(&independent), ["221", "211", "122", "112"]);
    assert_eq!(codes(&nested), ["221", "211", "121", "111"]);
}

/// Source: the 10-segment RF map of FORMULAS §7, read off the table by hand for a few cells.
#[test]
fn default_segments_by_hand() {
    let rules = SegmentRules::default();
    let cases = [
        ((5, 5), "Champions"),
        ((5, 4), "Champions"),
        ((4, 5), "Loyal Customers"),
        ((3, 4), "Loyal Customers"),
        ((5, 2), "Potential Loyalists"),
        ((4, 3), "Potential Loyalists"),
        ((5, 1), "New Customers"),
        ((4, 1), "Promising"),
        ((3, 3), "Need Attention"),
        ((3, 2), "About to Sleep"),
        ((2, 5), "Can't Lose Them"),
        ((1, 3), "At Risk"),
        ((2, 4), "At Risk"),
        ((1, 1), "Hibernating"),
        ((2, 2), "Hibernating"),
    ];
    for ((r, f), name) in cases {
        for m in 1..=5 {
            assert_eq!(rules.classify_scores(r, f, m).unwrap(), name, "cell {r}{f}{m}");
        }
    }
    // Scores of another scale are refused.
    let scores =
        RfmScores::new(RfmOptions::default().bins(3), [(1, obs(1.0, 1, 1)), (2, obs(2.0, 2, 2))]).unwrap();
    assert!(matches!(scores.segments(&rules), Err(Error::Mismatch { .. })));
    assert!(matches!(scores.segment_counts(&rules), Err(Error::Mismatch { .. })));
}

/// From transaction summaries: recency = T − t_x, frequency = x + 1, monetary = z̄.
/// Source: hand computation of three customers' summaries at the observation end 2024-03-31.
#[test]
fn rfm_from_summaries() {
    let day = |m, dd| chrono::NaiveDate::from_ymd_opt(2024, m, dd).unwrap();
    let mut builder = SummaryBuilder::new(SummaryOptions::default().observation_end(day(3, 31))).unwrap();
    let t = [
        ("a", day(1, 1), 10),
        ("a", day(3, 30), 30), // x = 1, last purchase 1 day before the end, z̄ = 30
        ("b", day(2, 1), 50),  // x = 0, 59 days before the end, z̄ = 0
        ("c", day(1, 10), 5),
        ("c", day(2, 10), 5),
        ("c", day(3, 1), 7), // x = 2, 30 days before the end, z̄ = 6
    ];
    for (id, date, amount) in t {
        builder.record(&Transaction::new(id.to_string(), date, d(amount))).unwrap();
    }
    let summaries = builder.build().unwrap();
    let scores = RfmScores::from_summaries(RfmOptions::default().bins(3), &summaries).unwrap();
    let get = |id: &str| scores.get(&id.to_string()).unwrap().clone();
    assert_eq!(get("a").observation, obs(1.0, 2, 30));
    assert_eq!(get("b").observation, obs(59.0, 1, 0));
    assert_eq!(get("c").observation, obs(30.0, 3, 6));
    // Three customers, three bins, no ties: worst to best gets 1, 2, 3.
    assert_eq!((get("a").recency, get("c").recency, get("b").recency), (3, 2, 1));
    assert_eq!((get("c").frequency, get("a").frequency, get("b").frequency), (3, 2, 1));
    assert_eq!(get("a").code(), "323");
}

#[test]
fn rfm_custom_rules_and_errors() {
    let rules = SegmentRules::new(
        4,
        vec![
            SegmentRule::new("VIP", 3..=4, 3..=4, 4..=4).unwrap(),
            SegmentRule::rf("Lapsed", 1..=1, 1..=4).unwrap(),
        ],
        Some("Rest".into()),
    )
    .unwrap();
    assert_eq!(rules.classify_scores(4, 3, 4).unwrap(), "VIP");
    assert_eq!(rules.classify_scores(4, 3, 3).unwrap(), "Rest");
    assert_eq!(rules.classify_scores(1, 4, 4).unwrap(), "Lapsed");
    assert!(matches!(
        RfmScores::new(RfmOptions::default().bins(10), [(1, obs(0.0, 1, 1))]),
        Err(Error::InvalidParameter { name: "bins", .. })
    ));
    assert!(matches!(
        RfmScores::new(RfmOptions::default(), [(1, obs(0.0, 1, 1)), (1, obs(1.0, 1, 1))]),
        Err(Error::Mismatch { .. })
    ));
    assert!(matches!(
        RfmObservation::new(f64::NAN, 1, d(1)),
        Err(Error::InvalidParameter { name: "recency", .. })
    ));
    assert!(matches!(
        RfmObservation::new(1.0, 1, d(-1)),
        Err(Error::InvalidParameter { name: "monetary", .. })
    ));
    assert!(RfmScores::<u8>::new(RfmOptions::default(), []).unwrap().scores().is_empty());
}

fn arb_observation() -> impl Strategy<Value = RfmObservation> {
    // Small value ranges so that ties are common.
    (0u8..12, 1u64..6, 0i64..8).prop_map(|(r, f, m)| obs(f64::from(r) / 2.0, f, m * 25))
}

/// A second, counting form of the scores (no sorting): `a` customers are strictly worse than
/// this one and `e` are equal; `w` of the equal ones have a smaller id.
fn counted_score(a: usize, e: usize, w: usize, n: usize, bins: u8, ties: RfmTies) -> u8 {
    let b = usize::from(bins);
    match ties {
        RfmTies::ById => ((a + w) * b / n + 1) as u8,
        RfmTies::Share => ((2 * a + e - 1) * b / (2 * n) + 1) as u8,
    }
}

fn check_against_counts(
    scores: &RfmScores<u32>,
    bins: u8,
    ties: RfmTies,
    nested: bool,
) -> Result<(), TestCaseError> {
    let all = scores.scores();
    type Key = fn(&RfmScore<u32>, &RfmScore<u32>) -> std::cmp::Ordering;
    type Score = fn(&RfmScore<u32>) -> u8;
    type Group = fn(&RfmScore<u32>) -> (u8, u8);
    // "Better" orderings: recency smaller is better; frequency and monetary larger. With nested
    // sorting F is ranked among customers of the same R score and M within the same (R, F).
    let everyone: Group = |_| (0, 0);
    let (f_group, m_group): (Group, Group) =
        if nested { (|s| (s.recency, 0), |s| (s.recency, s.frequency)) } else { (everyone, everyone) };
    let dims: [(Key, Score, Group); 3] = [
        (|x, y| y.observation.recency().total_cmp(&x.observation.recency()), |s| s.recency, everyone),
        (|x, y| x.observation.frequency().cmp(&y.observation.frequency()), |s| s.frequency, f_group),
        (|x, y| x.observation.monetary().cmp(&y.observation.monetary()), |s| s.monetary, m_group),
    ];
    for (cmp, score, group) in dims {
        for s in all {
            let peers: Vec<&RfmScore<u32>> = all.iter().filter(|o| group(o) == group(s)).collect();
            let a = peers.iter().filter(|o| cmp(o, s).is_lt()).count();
            let e = peers.iter().filter(|o| cmp(o, s).is_eq()).count();
            let w = peers.iter().filter(|o| cmp(o, s).is_eq() && o.customer < s.customer).count();
            prop_assert_eq!(
                score(s),
                counted_score(a, e, w, peers.len(), bins, ties),
                "customer {}",
                s.customer
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The issue's invariant: scores are in 1..=bins and do not depend on the input order;
    /// and they agree with the counting form.
    #[test]
    fn rfm_scores_in_range_and_stable_under_permutation(
        observations in prop::collection::vec(arb_observation(), 1..40),
        bins in 2u8..=9,
        by_id in any::<bool>(),
        nested in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let ties = if by_id { RfmTies::ById } else { RfmTies::Share };
        let sort = if nested { RfmSort::Nested } else { RfmSort::Independent };
        let options = RfmOptions::default().bins(bins).ties(ties).sort(sort);
        let customers: Vec<(u32, RfmObservation)> =
            observations.into_iter().enumerate().map(|(i, o)| (i as u32 * 7 % 101, o)).collect();
        let scores = RfmScores::new(options, customers.clone()).unwrap();
        for s in scores.scores() {
            for v in [s.recency, s.frequency, s.monetary] {
                prop_assert!((1..=bins).contains(&v));
            }
        }
        let mut shuffled = customers;
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(&RfmScores::new(options, shuffled).unwrap(), &scores);
        check_against_counts(&scores, bins, ties, nested)?;
        if bins == 5 {
            // Every cell has a default segment.
            prop_assert!(scores.segment_counts(&SegmentRules::default()).is_ok());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// serde and Send + Sync

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{json}");
}

#[test]
fn serde_round_trips_and_rejects_tampering() {
    let e = entry(100, 40, 10, 5).with_revenue_mix(d(10), d(5)).unwrap();
    round_trip(&e);
    let mut pnl = ProfitAndLoss::default();
    pnl.record(e).unwrap();
    round_trip(&pnl);
    round_trip(&pnl.value().unwrap());
    let curve = WhaleCurve::new([("x".to_string(), d(10)), ("y".to_string(), d(-3))]).unwrap();
    round_trip(&curve);
    let cac = Cac::new(d(100), 3).unwrap();
    round_trip(&cac);
    // A channel with nothing this period still makes a (non-empty) segment that round-trips.
    let mut channels: Segmented<String, AcquisitionCost> = Segmented::default();
    channels.record(("events".into(), Acquisitions::new(d(0), 0).unwrap())).unwrap();
    channels.record(("search".into(), Acquisitions::new(d(300), 2).unwrap())).unwrap();
    round_trip(&channels);
    let mut customers: Segmented<String, ProfitAndLoss> = Segmented::default();
    customers.record(("ann".into(), PnlEntry::default())).unwrap();
    round_trip(&customers);
    assert!(serde_json::from_str::<AcquisitionCost>(r#"{"records":0,"spend":"5","customers":0}"#).is_err());
    round_trip(&UnitEconomics::new(&cac, d(10), 0.1, None).unwrap());
    let scores =
        RfmScores::new(RfmOptions::default(), (0..9u32).map(|i| (i, obs(f64::from(i), u64::from(i), 3))))
            .unwrap();
    round_trip(&scores);
    round_trip(&SegmentRules::default());
    round_trip(&RevenueMix { revenue: d(10), cross_sell: d(3), up_sell: d(2) });
    assert!(
        serde_json::from_str::<RevenueMix>(r#"{"revenue":"10","cross_sell":"8","up_sell":"3"}"#).is_err()
    );

    let bad = [
        // cross + up > revenue
        r#"{"revenue":"10","cost_of_goods":"0","cost_to_serve":"0","acquisition_cost":"0","cross_sell":"8","up_sell":"3"}"#,
    ];
    for json in bad {
        assert!(serde_json::from_str::<PnlEntry>(json).is_err(), "{json}");
    }
    let tamper = |json: String, from: &str, to: &str| json.replacen(from, to, 1);
    let s = serde_json::to_string(&pnl.value().unwrap()).unwrap();
    assert!(
        serde_json::from_str::<PnlStatement>(&tamper(s, "\"profit\":\"45\"", "\"profit\":\"46\"")).is_err()
    );
    let s = serde_json::to_string(&curve).unwrap();
    assert!(serde_json::from_str::<WhaleCurve<String>>(&tamper(s, "\"peak\":\"1", "\"peak\":\"2")).is_err());
    let s = serde_json::to_string(&cac).unwrap();
    assert!(serde_json::from_str::<Cac>(&tamper(s, "\"customers\":3", "\"customers\":4")).is_err());
    let s = serde_json::to_string(&scores).unwrap();
    assert!(serde_json::from_str::<RfmScores<u32>>(&tamper(s, "\"recency\":1,", "\"recency\":5,")).is_err());
    assert!(serde_json::from_str::<RfmOptions>(r#"{"bins":12,"ties":"Share"}"#).is_err());
    assert!(serde_json::from_str::<ScoreRange>(r#"{"min":3,"max":2}"#).is_err());
    assert!(serde_json::from_str::<ProfitAndLoss>(
        r#"{"lines":0,"revenue":"1","cost_of_goods":"0","cost_to_serve":"0","acquisition_cost":"0","cross_sell":"0","up_sell":"0"}"#
    )
    .is_err());
}

#[test]
fn types_are_send_and_sync() {
    assert_send_sync::<PnlEntry>();
    assert_send_sync::<ProfitAndLoss>();
    assert_send_sync::<PnlStatement>();
    assert_send_sync::<WhaleCurve<String>>();
    assert_send_sync::<WhalePoint<String>>();
    assert_send_sync::<Acquisitions>();
    assert_send_sync::<AcquisitionCost>();
    assert_send_sync::<Cac>();
    assert_send_sync::<UnitEconomics>();
    assert_send_sync::<RfmOptions>();
    assert_send_sync::<RfmObservation>();
    assert_send_sync::<RfmScores<String>>();
    assert_send_sync::<SegmentRules>();
    assert_send_sync::<RfmTies>();
    assert_send_sync::<RfmSort>();
    assert_send_sync::<RevenueMix>();
    assert_send_sync::<Purchase<String, String>>();
}

/// Scale: 100,000 customers through RFM scoring and the whale curve (measured in a debug
/// build: about 0.9 s and 0.3 s; the work is O(n log n) sorting). Checks the end of the curve and
/// the size of the top R bin (n/5: the recencies here have few ties).
#[test]
fn scales_to_a_hundred_thousand_customers() {
    let n = 100_000u32;
    let started = std::time::Instant::now();
    let customers = (0..n).map(|i| {
        let x = u64::from(i).wrapping_mul(2_654_435_761) % 1_000_003;
        (i, RfmObservation::new(x as f64 / 7.0, 1 + x % 13, Decimal::new((x % 50_000) as i64, 2)).unwrap())
    });
    let scores = RfmScores::new(RfmOptions::default(), customers).unwrap();
    assert_eq!(scores.scores().iter().filter(|s| s.recency == 5).count(), 20_000);
    let rfm_time = started.elapsed();
    let started = std::time::Instant::now();
    let profits = (0..n).map(|i| (i, Decimal::new(i64::from(i % 1_000) - 300, 2)));
    let curve = WhaleCurve::new(profits).unwrap();
    assert_eq!(curve.points().last().unwrap().profit_share, Decimal::ONE);
    eprintln!("RFM of {n} customers: {rfm_time:?}; whale curve: {:?}", started.elapsed());
}
