//! Model-based CLV and the model-checking views, on purchase models whose every expectation
//! has a closed form (so each expected value below is checked by hand), and on a simulated
//! customer base pushed through the summary builder.

use chrono::NaiveDate;
use customer_metrics::{
    Clv, CustomerSummary, GammaGamma, HoldoutSummary, PurchaseModel, Result, SummaryBuilder, SummaryOptions,
    Transaction, conditional_expectations, expected_cumulative_tracking, first_purchase_offsets,
    frequency_histogram, tracking, tracking_from_summaries,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// ln P(N = n) of a Poisson(m) count.
fn ln_poisson(n: u32, m: f64) -> f64 {
    let ln_factorial: f64 = (1..=n).map(|i| f64::from(i).ln()).sum();
    if m == 0.0 {
        return if n == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    f64::from(n) * m.ln() - m - ln_factorial
}

/// Purchases at a known rate λ per period, forever (no dropout):
/// E[X(t)] = E[Y(t) | …] = λt, P(alive) = 1, P(X(t) = n) = Poisson(n; λt), DERT = λ/δ.
#[derive(Debug)]
struct Poisson {
    rate: f64,
}

impl PurchaseModel for Poisson {
    fn name(&self) -> &'static str {
        "Poisson"
    }
    fn log_likelihood(&self, c: &CustomerSummary) -> f64 {
        f64::from(c.frequency()) * self.rate.ln() - self.rate * c.age()
    }
    fn probability_alive(&self, _: &CustomerSummary) -> f64 {
        1.0
    }
    fn expected_purchases(&self, t: f64) -> Result<f64> {
        Ok(self.rate * t)
    }
    fn conditional_expected_purchases(&self, _: &CustomerSummary, t: f64) -> Result<f64> {
        Ok(self.rate * t)
    }
    fn probability_of_purchases(&self, n: u32, t: f64) -> Result<f64> {
        Ok(ln_poisson(n, self.rate * t).exp())
    }
    fn dert(&self, _: &CustomerSummary, rate: f64) -> Result<f64> {
        Ok(self.rate / rate)
    }
}

/// Purchases at rate λ while alive, an exponential lifetime with rate μ (both known, the same
/// for every customer). With `k = λ + μ`:
/// P(alive | x, t_x, T) = 1 / (1 + (μ/k)(e^{k(T − t_x)} − 1)),
/// E[X(t)] = (λ/μ)(1 − e^{−μt}), E[Y(t) | …] = P(alive) · E[X(t)],
/// P(X(t) = n) = e^{−μt} Poisson(n; λt) + μλⁿ/kⁿ⁺¹ · P(n + 1, kt) (regularised lower
/// incomplete gamma), DERT(δ) = P(alive) · λ/(μ + δ). DERT is left to the trait's numeric
/// default, so the DERT-form CLV also exercises it.
#[derive(Debug)]
struct Exponential {
    rate: f64,
    dropout: f64,
}

impl Exponential {
    fn alive(&self, c: &CustomerSummary) -> f64 {
        let k = self.rate + self.dropout;
        1.0 / (1.0 + self.dropout / k * (k * (c.age() - c.recency())).exp_m1())
    }
}

impl PurchaseModel for Exponential {
    fn name(&self) -> &'static str {
        "exponential lifetime"
    }
    fn log_likelihood(&self, c: &CustomerSummary) -> f64 {
        let k = self.rate + self.dropout;
        f64::from(c.frequency()) * self.rate.ln() - k * c.age() - self.alive(c).ln()
    }
    fn probability_alive(&self, c: &CustomerSummary) -> f64 {
        self.alive(c)
    }
    fn expected_purchases(&self, t: f64) -> Result<f64> {
        Ok(self.rate / self.dropout * -(-self.dropout * t).exp_m1())
    }
    fn conditional_expected_purchases(&self, c: &CustomerSummary, t: f64) -> Result<f64> {
        Ok(self.alive(c) * self.expected_purchases(t)?)
    }
    fn probability_of_purchases(&self, n: u32, t: f64) -> Result<f64> {
        let k = self.rate + self.dropout;
        let y = k * t;
        // P(n + 1, y) = 1 − e^{−y} Σ_{j=0}^{n} y^j / j!.
        let partial: f64 = (0..=n).map(|j| ln_poisson(j, y).exp()).sum();
        let dead = self.dropout
            * (f64::from(n) * self.rate.ln() - f64::from(n + 1) * k.ln()).exp()
            * (1.0 - partial);
        Ok((-self.dropout * t).exp() * ln_poisson(n, self.rate * t).exp() + dead)
    }
}

fn customer(x: u32, t_x: f64, age: f64) -> CustomerSummary {
    CustomerSummary::new(x, t_x, age, Decimal::new(2235, 2)).expect("valid")
}

fn f(d: Decimal) -> f64 {
    d.to_f64().expect("finite")
}

#[test]
fn test_models_are_consistent() {
    // The pmf of the exponential-lifetime model sums to 1 and has mean E[X(t)].
    let model = Exponential { rate: 0.4, dropout: 0.05 };
    for t in [0.5, 10.0, 60.0] {
        let probs: Vec<f64> =
            (0..400).map(|n| model.probability_of_purchases(n, t).expect("valid")).collect();
        let total: f64 = probs.iter().sum();
        let mean: f64 = probs.iter().enumerate().map(|(n, p)| n as f64 * p).sum();
        assert!((total - 1.0).abs() < 1e-12, "{t}: {total}");
        assert!((mean - model.expected_purchases(t).expect("valid")).abs() < 1e-10, "{t}: {mean}");
    }
}

/// With no discounting the finite sum is the plain expectation E[Y(HΔ) | x, t_x, T].
#[test]
fn undiscounted_sum_is_the_expected_purchases() {
    let c = customer(3, 20.0, 38.0);
    let clv = Clv::finite(4.0, 13, 0.0).expect("valid");
    for model in [&Poisson { rate: 0.3 } as &dyn PurchaseModel, &Exponential { rate: 0.3, dropout: 0.04 }] {
        let got = clv.discounted_purchases(model, &c).expect("valid");
        let expected = model.conditional_expected_purchases(&c, 52.0).expect("valid");
        assert!((got - expected).abs() < 1e-12 * expected, "{}: {got} vs {expected}", model.name());
    }
    // Poisson: 0.3 × 52 = 15.6 purchases × $10 × margin 0.25 = $39.
    let value =
        clv.with_margin(Decimal::new(25, 2)).expect("valid").value(&Poisson { rate: 0.3 }, &Decimal::TEN, &c);
    assert!((f(value.expect("valid")) - 39.0).abs() < 1e-12);
}

/// Hand-computed discounted sums.
#[test]
fn discounted_sums_by_hand() {
    let c = customer(3, 20.0, 38.0);
    let v = 1.0 / 1.1;
    // Poisson λ = 0.5, three steps of 2 periods at 10% per step: each step brings 1 purchase.
    let clv = Clv::finite(2.0, 3, 0.1).expect("valid");
    let got = clv.discounted_purchases(&Poisson { rate: 0.5 }, &c).expect("valid");
    assert!((got - (v + v * v + v * v * v)).abs() < 1e-14, "{got}");
    // Exponential lifetime: step k brings P(alive)(λ/μ)(e^{−μ(k−1)Δ} − e^{−μkΔ}).
    let model = Exponential { rate: 0.5, dropout: 0.1 };
    let alive = 1.0 / (1.0 + 0.1 / 0.6 * (0.6f64 * 18.0).exp_m1());
    let by_hand: f64 = (1..=3)
        .map(|k| {
            let k = f64::from(k);
            alive * 5.0 * ((-0.2 * (k - 1.0)).exp() - (-0.2 * k).exp()) * v.powf(k)
        })
        .sum();
    let got = clv.discounted_purchases(&model, &c).expect("valid");
    assert!((got - by_hand).abs() < 1e-14, "{got} vs {by_hand}");
    // × Gamma-Gamma spend × margin 0.2, as a Decimal.
    let spend = GammaGamma::new(6.25, 3.74, 15.44).expect("valid");
    let m = spend.conditional_expected_spend(&c).expect("finite");
    let clv = clv.with_margin(Decimal::new(2, 1)).expect("valid");
    let value = clv.value(&model, &spend, &c).expect("valid");
    assert!((f(value) - by_hand * f(m) * 0.2).abs() < 1e-12, "{value}");
    // m = 6.25 (15.44 + 3 × 22.35)/(6.25 × 3 + 2.74) = 24.1364…
    assert!((f(m) - 6.25 * (15.44 + 3.0 * 22.35) / (6.25 * 3.0 + 2.74)).abs() < 1e-12);
}

/// The DERT form: closed form for the Poisson model (λ/δ), the trait's numeric default for the
/// exponential-lifetime model (P(alive) λ/(μ + δ)).
#[test]
fn dert_form_by_hand() {
    let c = customer(3, 20.0, 38.0);
    let clv = Clv::dert(52.0, 0.15).expect("valid");
    let delta = 1.15f64.ln() / 52.0;
    assert!((clv.continuous_rate() - delta).abs() < 1e-18);
    let got = clv.discounted_purchases(&Poisson { rate: 0.2 }, &c).expect("valid");
    assert!((got - 0.2 / delta).abs() < 1e-9 * got);
    let model = Exponential { rate: 0.2, dropout: 0.01 };
    let got = clv.discounted_purchases(&model, &c).expect("valid");
    let by_hand = model.probability_alive(&c) * 0.2 / (0.01 + delta);
    assert!((got - by_hand).abs() < 1e-9 * by_hand, "{got} vs {by_hand}");
    let value = clv
        .with_margin(Decimal::new(3, 1))
        .expect("valid")
        .value(&model, &Decimal::from(40), &c)
        .expect("ok");
    assert!((f(value) - by_hand * 12.0).abs() < 1e-8 * by_hand * 12.0);
}

/// The finite sum converges as H grows, to a limit within [DERT/(1 + d), DERT] (each step's
/// purchases are discounted at its end); with the discounting made consistent
/// (d = e^{δΔ} − 1 per step of Δ periods) it converges to DERT as Δ shrinks.
#[test]
fn finite_sum_converges_to_dert() {
    let c = customer(4, 30.0, 38.86);
    let model = Exponential { rate: 0.4, dropout: 0.03 };
    let delta = 1.1f64.ln() / 52.0; // 10% a year on weekly periods
    let dert = Clv::dert(52.0, 0.1).expect("valid").discounted_purchases(&model, &c).expect("valid");
    // Fixed weekly steps: increasing in H, bracketed by DERT.
    let d = delta.exp_m1();
    let mut previous = 0.0;
    for h in [10, 100, 1_000, 5_000] {
        let sum = Clv::finite(1.0, h, d).expect("valid").discounted_purchases(&model, &c).expect("valid");
        assert!(sum >= previous && sum <= dert, "H = {h}: {sum} vs DERT {dert}");
        previous = sum;
    }
    assert!(previous * (1.0 + d) >= dert, "{previous} (1 + {d}) < {dert}");
    // Shrinking steps over the same long horizon (3,000 weeks): the gap closes linearly in Δ.
    let mut gaps = Vec::new();
    for step in [1.0, 0.1, 0.01] {
        let h = (3_000.0 / step) as u32;
        let sum =
            Clv::finite(step, h, (delta * step).exp_m1()).expect("valid").discounted_purchases(&model, &c);
        gaps.push((dert - sum.expect("valid")) / dert);
    }
    assert!(gaps.iter().all(|g| *g > 0.0), "{gaps:?}");
    assert!(gaps[2] < 2e-4 && gaps[1] / gaps[2] > 8.0 && gaps[0] / gaps[1] > 8.0, "{gaps:?}");
    // Poisson, exactly: Σ_{k≥1} λΔ v^k = λΔ/d against DERT λ/δ = λΔ/ln(1 + d).
    let poisson = Poisson { rate: 0.5 };
    let sum =
        Clv::finite(2.0, 20_000, 0.05).expect("valid").discounted_purchases(&poisson, &c).expect("valid");
    assert!((sum - 0.5 * 2.0 / 0.05).abs() < 1e-9, "{sum}");
    let dert = Clv::dert(2.0, 0.05).expect("valid").discounted_purchases(&poisson, &c).expect("valid");
    assert!((dert - 0.5 * 2.0 / 1.05f64.ln()).abs() < 1e-9);
}

/// lifetimes' `_customer_lifetime_value(model, …, time=12, discount_rate=0.01)` sums monthly
/// steps of 30 model periods at 1% a month: `Clv::finite(30.0, 12, 0.01)` on a daily model.
#[test]
fn lifetimes_convention() {
    let c = customer(2, 100.0, 200.0);
    let model = Exponential { rate: 0.05, dropout: 0.002 };
    let clv = Clv::finite(30.0, 12, 0.01).expect("valid");
    let mut by_hand = 0.0;
    for i in (30..=360).step_by(30) {
        let i = f64::from(i);
        let step = model.conditional_expected_purchases(&c, i).expect("ok")
            - model.conditional_expected_purchases(&c, i - 30.0).expect("ok");
        by_hand += step / 1.01f64.powf(i / 30.0);
    }
    let got = clv.discounted_purchases(&model, &c).expect("valid");
    assert!((got - by_hand).abs() < 1e-12 * by_hand, "{got} vs {by_hand}");
}

#[test]
fn batch_total_and_errors() {
    let model = Exponential { rate: 0.3, dropout: 0.02 };
    let spend = GammaGamma::new(6.25, 3.74, 15.44).expect("valid");
    let base: Vec<CustomerSummary> = (0..50).map(|i| customer(i % 7, f64::from(i % 7) * 3.0, 38.0)).collect();
    let clv = Clv::finite(1.0, 52, 0.002).expect("valid").with_margin(Decimal::new(3, 1)).expect("valid");
    let values = clv.values(&model, &spend, &base).expect("valid");
    for (v, c) in values.iter().zip(&base) {
        assert_eq!(*v, clv.value(&model, &spend, c).expect("valid"));
    }
    let total = clv.total(&model, &spend, &base).expect("valid");
    assert_eq!(total, values.iter().copied().sum::<Decimal>());
    // Over several chunks of customers (summed chunk by chunk, then the chunks in order) the
    // total is the sum of the values up to Decimal's 28-digit rounding.
    let many: Vec<CustomerSummary> =
        (0..9_000).map(|i| customer(i % 11, f64::from(i % 11) * 2.5, 40.0)).collect();
    let values = clv.values(&model, &spend, &many).expect("valid");
    let total = clv.total(&model, &spend, &many).expect("valid");
    assert!((total - values.iter().copied().sum::<Decimal>()).abs() < Decimal::new(1, 18), "{total}");
    // Spend errors propagate: a Gamma-Gamma with q ≤ 1 has no finite spend for x = 0.
    let heavy = GammaGamma::new(2.0, 0.9, 1.0).expect("valid");
    assert!(clv.value(&model, &heavy, &customer(0, 0.0, 10.0)).is_err());
    assert!(clv.value(&model, &Decimal::NEGATIVE_ONE, &base[0]).is_err());
    // A model error propagates (a model returning NaN is an overflow of the discounted purchases).
    #[derive(Debug)]
    struct Broken;
    impl PurchaseModel for Broken {
        fn name(&self) -> &'static str {
            "broken"
        }
        fn log_likelihood(&self, _: &CustomerSummary) -> f64 {
            0.0
        }
        fn probability_alive(&self, _: &CustomerSummary) -> f64 {
            1.0
        }
        fn expected_purchases(&self, _: f64) -> Result<f64> {
            Ok(f64::NAN)
        }
        fn conditional_expected_purchases(&self, _: &CustomerSummary, _: f64) -> Result<f64> {
            Ok(f64::NAN)
        }
        fn probability_of_purchases(&self, _: u32, _: f64) -> Result<f64> {
            Ok(f64::NAN)
        }
    }
    assert!(matches!(clv.value(&Broken, &spend, &base[0]), Err(customer_metrics::Error::Overflow { .. })));
    let boxed: Box<dyn PurchaseModel> = Box::new(Poisson { rate: 0.1 });
    assert!(clv.value(boxed.as_ref(), &spend, &base[0]).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Finite, non-negative, non-decreasing in the horizon, at most the undiscounted value,
    /// and the DERT form at most its undiscounted infinite-horizon limit P(alive)·λ/μ.
    #[test]
    fn clv_invariants(
        lrate in -3.0f64..1.0, ldrop in -3.0f64..0.0,
        x in 0u32..1000, frac in 0.0f64..=1.0, age in 0.0f64..1e4,
        step in 0.01f64..50.0, h in 1u32..200, d in 0.0f64..0.5,
    ) {
        let model = Exponential { rate: 10f64.powf(lrate), dropout: 10f64.powf(ldrop) };
        let t_x = if x == 0 { 0.0 } else { frac * age };
        let c = customer(x, t_x, age);
        let a = Clv::finite(step, h, d).expect("valid").discounted_purchases(&model, &c).expect("valid");
        let b = Clv::finite(step, h + 10, d).expect("valid").discounted_purchases(&model, &c).expect("valid");
        let plain = model.conditional_expected_purchases(&c, step * f64::from(h)).expect("valid");
        prop_assert!(a.is_finite() && a >= 0.0 && b >= a * (1.0 - 1e-12));
        prop_assert!(a <= plain * (1.0 + 1e-12) + 1e-300);
        if d > 0.0 {
            let dert = Clv::dert(step, d).expect("valid").discounted_purchases(&model, &c).expect("valid");
            let limit = model.probability_alive(&c) * model.rate / model.dropout;
            prop_assert!(dert.is_finite() && dert >= 0.0 && dert <= limit * (1.0 + 1e-9), "{dert} > {limit}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Model-checking views.

#[test]
fn views_by_hand_on_the_exponential_model() {
    let model = Exponential { rate: 0.3, dropout: 0.05 };
    // Tracking: two customers at offsets 0 and 2.5, three periods.
    let got = expected_cumulative_tracking(&model, &[0.0, 2.5, 2.5], 3).expect("valid");
    let e = |t: f64| 6.0 * (1.0 - (-0.05 * t).exp());
    for (g, h) in got.iter().zip([e(1.0), e(2.0), e(3.0) + 2.0 * e(0.5)]) {
        assert!((g - h).abs() < 1e-14, "{got:?}");
    }
    // Conditional expectations: groups x = 0, 1 and >= 2.
    let hold = |n, t| HoldoutSummary::new(n, Decimal::ZERO, t).expect("valid");
    let base = [
        customer(0, 0.0, 10.0).with_holdout(hold(1, 5.0)),
        customer(0, 0.0, 20.0).with_holdout(hold(0, 5.0)),
        customer(1, 4.0, 10.0).with_holdout(hold(2, 5.0)),
        customer(5, 9.0, 10.0).with_holdout(hold(3, 5.0)),
        customer(2, 1.0, 10.0),
    ];
    let view = conditional_expectations(&model, &base, 2).expect("valid");
    assert_eq!(view.without_holdout, 1);
    assert_eq!(view.groups.iter().map(|g| g.customers).collect::<Vec<_>>(), [2, 1, 1]);
    let y = |c: &CustomerSummary| model.probability_alive(c) * e(5.0);
    assert_eq!(view.groups[0].actual, Some(0.5));
    assert!((view.groups[0].expected.expect("non-empty") - (y(&base[0]) + y(&base[1])) / 2.0).abs() < 1e-14);
    assert!((view.groups[2].expected.expect("non-empty") - y(&base[3])).abs() < 1e-14);
    assert!(view.groups[2].open && !view.groups[1].open);
    assert_eq!((view.total.customers, view.total.actual), (4, Some(1.5)));
    let mean: f64 = base[..4].iter().map(y).sum::<f64>() / 4.0;
    assert!((view.total.expected.expect("non-empty") - mean).abs() < 1e-14);
    let empty = conditional_expectations(&model, &base, 10).expect("valid");
    assert_eq!((empty.groups[7].customers, empty.groups[7].actual), (0, None));
    // Histogram: P(X(10) = n) for n = 0, 1 and the rest.
    let bins = frequency_histogram(&model, &base[..3], 2).expect("valid");
    let p = |n, t| model.probability_of_purchases(n, t).expect("valid");
    assert!((bins[0].expected - (2.0 * p(0, 10.0) + p(0, 20.0))).abs() < 1e-14);
    assert!((bins[1].expected - (2.0 * p(1, 10.0) + p(1, 20.0))).abs() < 1e-14);
    let closed: f64 = bins[..2].iter().map(|b| b.expected).sum();
    assert!((bins[2].expected - (3.0 - closed)).abs() < 1e-14);
    let json = serde_json::to_string(&view).expect("serialise");
    assert_eq!(serde_json::from_str::<customer_metrics::ConditionalExpectations>(&json).expect("back"), view);
}

/// The CDNOW transactions through the builder: the tracking view reads the builder's series
/// (sum of actual = Σ (x + x*)), and its offsets are the first-purchase days from the origin.
#[test]
fn tracking_on_cdnow_reads_the_builders_series() {
    let data = include_str!("data/cdnow_sample_transactions.txt");
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y%m%d").expect("date");
    let options = SummaryOptions::default()
        .period_days(7.0)
        .calibration_end(date("19970930"))
        .observation_end(date("19980630"));
    let mut builder = SummaryBuilder::new(options).expect("valid");
    for line in data.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let t = Transaction::new(f[1].to_string(), date(f[2]), f[4].parse::<Decimal>().expect("amount"));
        builder.record(&t).expect("valid");
    }
    let summaries = builder.build().expect("valid");
    let model = Poisson { rate: 0.05 };
    let rows = tracking_from_summaries(&model, &summaries, 7.0).expect("valid");
    assert_eq!(rows.len(), summaries.tracking.len());
    assert_eq!(rows.len(), 78);
    let repeat: u64 = summaries
        .customers
        .iter()
        .map(|c| {
            u64::from(c.summary.frequency()) + u64::from(c.summary.holdout().map_or(0, |h| h.frequency()))
        })
        .sum();
    let last = rows.last().expect("rows");
    assert_eq!(last.actual_cumulative, repeat);
    assert_eq!(
        rows.iter().map(|r| r.actual_calibration).sum::<u64>(),
        summaries.customers.iter().map(|c| u64::from(c.summary.frequency())).sum::<u64>()
    );
    // Expected by hand: λ Σ_i max(0, k + 1 − s_i) with s_i = days from 1997-01-01 / 7.
    let origin = date("19970101");
    let offsets = first_purchase_offsets(&summaries, 7.0).expect("valid");
    assert_eq!(offsets.len(), 2357);
    assert_eq!(offsets[0], (summaries.customers[0].first_purchase - origin).num_days() as f64 / 7.0);
    for k in [0usize, 12, 38, 77] {
        let by_hand: f64 = offsets.iter().map(|s| 0.05 * ((k + 1) as f64 - s).max(0.0)).sum();
        assert!((rows[k].expected_cumulative - by_hand).abs() < 1e-9 * by_hand, "{k}");
    }
    assert_eq!(rows[0].start, origin);
    assert!(first_purchase_offsets(&summaries, 0.0).is_err());
}

/// A tiny seeded generator for the simulated base (splitmix64).
struct TestRng(u64);

impl TestRng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (((z ^ (z >> 31)) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }
}

/// A simulated base of 6,000 customers of the exponential-lifetime model (weekly periods),
/// first purchases spread over 12 weeks, calibration to week 39, holdout to week 78, turned
/// into daily transactions and summarised by the builder: every view's expectations are close
/// to what the simulated customers did.
#[test]
fn views_on_a_simulated_base() {
    let model = Exponential { rate: 0.15, dropout: 0.02 };
    let mut rng = TestRng(42);
    let origin = NaiveDate::from_ymd_opt(2020, 1, 6).expect("date"); // a Monday
    let day = |d: i64| origin + chrono::Duration::days(d);
    let (calibration_days, observation_days) = (39 * 7 - 1, 78 * 7 - 1);
    let mut builder = SummaryBuilder::new(
        SummaryOptions::default()
            .period_days(7.0)
            .calibration_end(day(calibration_days))
            .observation_end(day(observation_days)),
    )
    .expect("valid");
    for id in 0..6_000u32 {
        let first = i64::from(id % 84); // days 0..83
        builder.record(&Transaction::new(id, day(first), Decimal::TEN)).expect("valid");
        let lifetime = rng.exponential(model.dropout);
        let mut t = 0.0;
        loop {
            t += rng.exponential(model.rate);
            // Purchase times in weeks after the first purchase, at the start of its day.
            let d = first + (t * 7.0).floor() as i64;
            if t > lifetime || d > observation_days {
                break;
            }
            builder.record(&Transaction::new(id, day(d), Decimal::TEN)).expect("valid");
        }
    }
    let summaries = builder.build().expect("valid");
    let base = summaries.summaries();

    // Tracking: cumulative repeat transactions within 3% at the end of calibration and holdout
    // (the sampling standard deviation of the cumulative count is about 0.9%: per-customer
    // variance ≈ 6.4 by the law of total variance; daily buckets merge the rare second
    // purchase of a day, a bias below 1%). Seed 42 gives +1.5% and +1.4%.
    let rows = tracking_from_summaries(&model, &summaries, 7.0).expect("valid");
    for k in [38, rows.len() - 1] {
        let (a, e) = (rows[k].actual_cumulative as f64, rows[k].expected_cumulative);
        assert!((a / e - 1.0).abs() < 0.03, "period {k}: actual {a}, expected {e}");
    }
    let weekly: f64 =
        rows.iter().map(|r| (r.actual as f64 - r.expected).abs()).sum::<f64>() / rows.len() as f64;
    let mean: f64 = rows.iter().map(|r| r.expected).sum::<f64>() / rows.len() as f64;
    assert!(weekly < 0.15 * mean, "mean absolute weekly error {weekly} vs mean {mean}");
    // Same as the generic form with the offsets.
    let offsets = first_purchase_offsets(&summaries, 7.0).expect("valid");
    assert_eq!(tracking(&model, &offsets, &summaries.tracking).expect("valid"), rows);

    // Histogram: each bin within 4 binomial standard deviations plus the 2% bucket bias.
    let bins = frequency_histogram(&model, &base, 7).expect("valid");
    assert_eq!(bins.iter().map(|b| b.actual).sum::<u64>(), 6_000);
    for b in &bins {
        let e = b.expected;
        let sd = (e * (1.0 - e / 6_000.0)).sqrt();
        assert!(
            (b.actual as f64 - e).abs() < 4.0 * sd + 0.02 * e,
            "bin {}: {} vs {e}",
            b.frequency,
            b.actual
        );
    }

    // Conditional expectations: each group with 300+ customers within 4 standard errors of
    // the holdout mean plus 3% (the standard errors from the simulated group itself).
    let view = conditional_expectations(&model, &base, 6).expect("valid");
    assert_eq!(view.without_holdout, 0);
    for g in view.groups.iter().chain([&view.total]) {
        if g.customers < 300 {
            continue;
        }
        let members: Vec<f64> = base
            .iter()
            .filter(|c| if g.open { c.frequency() >= g.frequency } else { c.frequency() == g.frequency })
            .map(|c| f64::from(c.holdout().expect("holdout").frequency()))
            .collect();
        let n = members.len() as f64;
        let m = members.iter().sum::<f64>() / n;
        let sd = (members.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let (a, e) = (g.actual.expect("non-empty"), g.expected.expect("non-empty"));
        assert!((a - m).abs() < 1e-12);
        assert!(
            (a - e).abs() < 4.0 * sd / n.sqrt() + 0.03 * e,
            "x = {} ({}): {a} vs {e}",
            g.frequency,
            g.customers
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The views over random bases: expected counts are finite and non-negative, the
    /// histogram's expected counts add up to the number of customers, cumulative tracking is
    /// non-decreasing, and the conditional means are non-negative.
    #[test]
    fn view_invariants(
        lrate in -3.0f64..0.5, ldrop in -3.0f64..0.0,
        rows in proptest::collection::vec((0u32..50, 0.0f64..=1.0, 0.0f64..1e3, 0u32..30, 0.0f64..100.0), 1..40),
        bins in 1u32..12,
    ) {
        let model = Exponential { rate: 10f64.powf(lrate), dropout: 10f64.powf(ldrop) };
        let base: Vec<CustomerSummary> = rows
            .iter()
            .map(|&(x, frac, age, holdout, length)| {
                let t_x = if x == 0 { 0.0 } else { frac * age };
                customer(x, t_x, age).with_holdout(HoldoutSummary::new(holdout, Decimal::ZERO, length).expect("valid"))
            })
            .collect();
        let histogram = frequency_histogram(&model, &base, bins).expect("valid");
        let total: f64 = histogram.iter().map(|b| b.expected).sum();
        prop_assert!(histogram.iter().all(|b| b.expected.is_finite() && b.expected >= 0.0));
        prop_assert!((total - base.len() as f64).abs() < 1e-9 * base.len() as f64);
        let view = conditional_expectations(&model, &base, bins).expect("valid");
        prop_assert_eq!(view.total.customers, base.len() as u64);
        prop_assert!(view.groups.iter().filter_map(|g| g.expected).all(|e| e.is_finite() && e >= 0.0));
        let offsets: Vec<f64> = rows.iter().map(|r| r.1 * 20.0).collect();
        let cumulative = expected_cumulative_tracking(&model, &offsets, 60).expect("valid");
        prop_assert!(cumulative.windows(2).all(|w| w[1] >= w[0] && w[1].is_finite()));
    }
}
