//! The continuous-time purchase models against their peers: lifetimes 0.11.3 and 50-digit
//! mpmath evaluations of the published formulas.
//!
//! Source: `tests/data/model_lifetimes.json` (random points at the published CDNOW estimates and
//! at random parameters) and `tests/data/model_mpmath_extreme.json` (the numerically hard
//! region: x up to 1e5, T up to 1e4, parameters from 1e-3 to 1e3), both written by
//! `scripts/model_fixtures.py`. Where lifetimes is finite we agree with it to 1e-6 relative;
//! where lifetimes and mpmath differ by more than that, the fixture shows which is right and
//! we must be the one that agrees with mpmath.

mod common;

use customer_metrics::{BgNbd, CustomerSummary, MbgNbd, ParetoNbd, PurchaseModel};
use rust_decimal::Decimal;
use serde_json::Value;

/// Agreement asked of lifetimes where lifetimes itself is right (the 1e-6 relative).
const PEER_TOLERANCE: f64 = 1e-6;
/// Agreement asked against the 50-digit evaluations.
const MPMATH_TOLERANCE: f64 = 1e-9;
/// Below this, values are compared absolutely (a relative error of a number near 0 says
/// nothing).
const TINY: f64 = 1e-250;

fn relative_error(got: f64, want: f64) -> f64 {
    if got == want {
        return 0.0;
    }
    (got - want).abs() / want.abs().max(TINY)
}

fn model(case: &Value) -> Option<Box<dyn PurchaseModel>> {
    let p: Vec<f64> = case["params"].as_array()?.iter().filter_map(Value::as_f64).collect();
    let [a, b, c, d] = p[..] else { return None };
    match case["model"].as_str()? {
        "bg_nbd" => Some(Box::new(BgNbd::new(a, b, c, d).expect("valid parameters"))),
        "mbg_nbd" => Some(Box::new(MbgNbd::new(a, b, c, d).expect("valid parameters"))),
        "pareto_nbd" => Some(Box::new(ParetoNbd::new(a, b, c, d).expect("valid parameters"))),
        _ => None,
    }
}

fn customer(case: &Value) -> CustomerSummary {
    let x = case["x"].as_f64().expect("x") as u32;
    let t_x = case["t_x"].as_f64().expect("t_x");
    let age = case["T"].as_f64().expect("T");
    CustomerSummary::new(x, t_x, age, Decimal::ZERO).expect("valid summary")
}

/// Our value of a fixture quantity, or `None` when the case does not have it.
fn ours(model: &dyn PurchaseModel, case: &Value, quantity: &str) -> Option<f64> {
    let c = customer(case);
    let t = case["t"].as_f64();
    Some(match quantity {
        "p_alive" => model.probability_alive(&c),
        "conditional_expected" => model.conditional_expected_purchases(&c, t?).expect("valid horizon"),
        "expected" => model.expected_purchases(t?).expect("valid horizon"),
        "pmf" => model.probability_of_purchases(case["n"].as_u64()? as u32, t?).expect("valid horizon"),
        "dert" => model.dert(&c, case["delta"].as_f64()?).expect("valid rate"),
        "log_likelihood" => model.log_likelihood(&c),
        _ => return None,
    })
}

const QUANTITIES: [&str; 6] =
    ["p_alive", "conditional_expected", "expected", "pmf", "dert", "log_likelihood"];

struct Tally {
    compared_with_lifetimes: usize,
    lifetimes_wrong: usize,
    compared_with_mpmath: usize,
}

fn check_file(name: &str) -> Tally {
    let fixture: Value = serde_json::from_str(&common::data_file(name)).expect("valid JSON");
    let mut tally = Tally { compared_with_lifetimes: 0, lifetimes_wrong: 0, compared_with_mpmath: 0 };
    let mut failures = Vec::new();
    for case in fixture["cases"].as_array().expect("cases") {
        let Some(model) = model(case) else { continue };
        for quantity in QUANTITIES {
            let Some(got) = ours(model.as_ref(), case, quantity) else { continue };
            let exact = case["mpmath"][quantity].as_f64();
            let peer = case["lifetimes"][quantity].as_f64();
            if let Some(want) = exact {
                tally.compared_with_mpmath += 1;
                let agrees = relative_error(got, want) <= MPMATH_TOLERANCE;
                if !agrees {
                    failures.push(format!("{quantity}: ours {got:e}, mpmath {want:e} in {case}"));
                }
            }
            if let Some(peer) = peer {
                tally.compared_with_lifetimes += 1;
                let peer_right = exact.is_none_or(|want| relative_error(peer, want) <= PEER_TOLERANCE);
                if peer_right {
                    let agrees = relative_error(got, peer) <= PEER_TOLERANCE;
                    if !agrees {
                        failures.push(format!("{quantity}: ours {got:e}, lifetimes {peer:e} in {case}"));
                    }
                } else {
                    tally.lifetimes_wrong += 1;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
    tally
}

#[test]
fn agrees_with_lifetimes_and_mpmath_at_random_points() {
    let tally = check_file("model_lifetimes.json");
    assert!(tally.compared_with_lifetimes > 300, "only {} comparisons", tally.compared_with_lifetimes);
    assert!(tally.compared_with_mpmath > 300);
}

#[test]
fn matches_mpmath_where_lifetimes_breaks() {
    let tally = check_file("model_mpmath_extreme.json");
    assert!(tally.compared_with_mpmath > 100, "only {} comparisons", tally.compared_with_mpmath);
    eprintln!(
        "extreme region: {} comparisons with mpmath; lifetimes wrong in {} of {} finite answers",
        tally.compared_with_mpmath, tally.lifetimes_wrong, tally.compared_with_lifetimes
    );
}
