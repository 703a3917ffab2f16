//! `f64 → Decimal` at the API boundary, fast: the model math is `f64`, and every money amount
//! and count it returns goes through this conversion (twice per customer in a CLV), where
//! `rust_decimal`'s shortest-round-trip conversion costs about 200 ns.

use rust_decimal::Decimal;

/// Significant digits kept: every integer below `10^15` is exact in an `f64`, so scaling to
/// 15 digits and rounding is the correctly rounded 15-digit decimal except within an ulp of a
/// tie. (An `f64` carries 15.95 digits; the 16th is noise for money.)
const DIGITS: i32 = 15;
/// Decimal's largest scale.
const MAX_SCALE: i32 = 28;

/// `x` rounded to [`DIGITS`] significant digits (and at most 28 decimal places), trailing zeros
/// removed; `None` when `x` is not finite or beyond Decimal's range (about `7.9e28`).
pub(crate) fn from_f64(x: f64) -> Option<Decimal> {
    if !x.is_finite() {
        return None;
    }
    if x == 0.0 {
        return Some(Decimal::ZERO);
    }
    // 10^magnitude ≤ |x| < 10^(magnitude+1), up to an ulp at exact powers (harmless: one digit
    // more or less).
    let magnitude = x.abs().log10().floor() as i32;
    let scale = (DIGITS - 1 - magnitude).clamp(0, MAX_SCALE);
    let scaled = (x * 10f64.powi(scale)).round();
    // |scaled| < 10^16 when the scale is free; at scale 0 (|x| ≥ 10^15) Decimal's 96 bits bound it.
    if scaled.abs() >= 7.9e28 {
        return None;
    }
    // `as` is exact here: `scaled` is an integer below 2^96 < 2^127.
    Decimal::try_from_i128_with_scale(scaled as i128, scale as u32).ok().map(|d| d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn round_values_are_exact_and_trimmed() {
        assert_eq!(from_f64(24.66), Some(d("24.66")));
        assert_eq!(from_f64(-0.1), Some(d("-0.1")));
        assert_eq!(from_f64(1e6), Some(d("1000000")));
        assert_eq!(from_f64(0.0), Some(Decimal::ZERO));
        assert_eq!(from_f64(-0.0), Some(Decimal::ZERO));
        assert_eq!(from_f64(1.0 / 3.0), Some(d("0.333333333333333")));
        assert_eq!(from_f64(2.0 / 3.0 * 1e10), Some(d("6666666666.66667")));
        assert_eq!(from_f64(1e-30), Some(Decimal::ZERO));
        assert_eq!(from_f64(1.5e-20), Some(d("0.000000000000000000015")));
        assert_eq!(from_f64(123_456_789_012_345_680_000.0), Some(d("123456789012345683968")));
    }

    #[test]
    fn out_of_range_is_none() {
        assert_eq!(from_f64(f64::NAN), None);
        assert_eq!(from_f64(f64::INFINITY), None);
        assert_eq!(from_f64(-1e29), None);
        assert!(from_f64(7.8e28).is_some());
    }

    #[test]
    fn agrees_with_the_shortest_round_trip_to_15_digits() {
        let mut x = 1.234_567_890_123_456_7e-12;
        while x < 1e27 {
            for v in [x, -x, x * 0.987_654_321] {
                let ours = from_f64(v).unwrap();
                let reference = Decimal::try_from(v).unwrap();
                let rel = ((ours - reference) / reference).abs();
                // Half a unit of the 15th digit, relative to a leading digit of 1 at worst.
                assert!(rel <= d("0.000000000000005"), "{v}: {ours} vs {reference}");
            }
            x *= 7.3;
        }
    }
}
