//! `ln Γ` differences and `ln B` without cancellation: Stirling's series with its correction
//! terms differenced analytically.
//!
//! `ln Γ(v + d) − ln Γ(v)` computed as the difference of two `ln Γ` values loses about
//! `ε·ln Γ(v)` in absolute terms: 1e-11 at v = 10⁴, 1e-9 at v = 10⁶, which is all of the
//! answer's precision when `d` is small. [`ln_gamma_shift`] and [`digamma_shift`] instead
//! difference Stirling's series term by term, so their error is relative to the result;
//! [`ln_beta_precise`] combines the Stirling remainders as R's `lbeta` does.

use crate::math::special::{digamma, ln_beta, ln_gamma};

/// Arguments from which Stirling's series (seven correction terms) is accurate to double
/// precision: the first neglected term, `(3617/122400)·v^{−15}`, is 3e-17 at v = 10.
const STIRLING_FROM: f64 = 10.0;

/// Coefficients `B_{2k}/(2k(2k − 1))` of Stirling's series `Σ_k c_k z^{1−2k}`, k = 1..7.
const STIRLING: [f64; 7] =
    [1.0 / 12.0, -1.0 / 360.0, 1.0 / 1260.0, -1.0 / 1680.0, 1.0 / 1188.0, -691.0 / 360_360.0, 1.0 / 156.0];

/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_7;

/// The Stirling remainder `S(z) = ln Γ(z) − [(z − ½) ln z − z + ½ ln 2π]` for `z ≥ 10`.
fn stirling_remainder(z: f64) -> f64 {
    let r2 = 1.0 / (z * z);
    STIRLING.iter().rev().fold(0.0, |acc, c| acc * r2 + c) / z
}

/// `S(v + d) − S(v)` for `v, v + d ≥ 10`, term by term as `c_k v^{−m} expm1(−m ln1p(d/v))`
/// (`m = 2k − 1`), so that the difference keeps its relative precision for tiny `d`.
fn stirling_remainder_shift(v: f64, d: f64) -> f64 {
    let l = (d / v).ln_1p();
    let r2 = 1.0 / (v * v);
    let mut power = 1.0 / v;
    let mut sum = 0.0;
    for (k, c) in STIRLING.iter().enumerate() {
        let m = (2 * k + 1) as f64;
        sum += c * power * (-m * l).exp_m1();
        power *= r2;
    }
    sum
}

/// `ln Γ(v + d) − ln Γ(v)` for `v > 0` and `v + d > 0`, accurate relative to the result
/// (about 1e-15, up to 1e-14 after the recurrence from small `v`) however large `v` and however
/// small `d`.
///
/// For `v ≥ 10` and `v + d ≥ 10`: `d·ln(v + d) + (v − ½)·ln1p(d/v) − d` plus the difference of the
/// Stirling remainders; below, the recurrence `ln Γ(z + 1) = ln Γ(z) + ln z` shifts both
/// arguments up: `shift(v, d) = shift(v + k, d) − Σ_{i<k} ln1p(d/(v + i))`.
pub(crate) fn ln_gamma_shift(v: f64, d: f64) -> f64 {
    if d == 0.0 {
        return 0.0;
    }
    let u = v + d;
    if v >= STIRLING_FROM && u >= STIRLING_FROM {
        return d * u.ln() + (v - 0.5) * (d / v).ln_1p() - d + stirling_remainder_shift(v, d);
    }
    // A large shift from a small argument does not cancel: difference directly.
    if d.abs() > v.max(u) {
        return ln_gamma(u) - ln_gamma(v);
    }
    let mut correction = 0.0;
    let mut w = v;
    while w < STIRLING_FROM || w + d < STIRLING_FROM {
        correction += (d / w).ln_1p();
        w += 1.0;
    }
    ln_gamma_shift(w, d) - correction
}

/// Where [`digamma_shift`] switches from the plain difference to the asymptotic form (the
/// plain difference loses about `log10(v)` digits).
const DIGAMMA_SHIFT_FROM: f64 = 100.0;

/// `ψ(v + d) − ψ(v)` for `v, d > 0`, without cancellation when `v ≫ d`: the asymptotic series
/// `ψ(z) = ln z − 1/(2z) − 1/(12z²) + 1/(120z⁴) − 1/(252z⁶) + …` differenced analytically for
/// `v ≥ 100` (truncation error below `1/(240 v⁸) < 1e-18`).
pub(crate) fn digamma_shift(v: f64, d: f64) -> f64 {
    if v < DIGAMMA_SHIFT_FROM {
        return digamma(v + d) - digamma(v);
    }
    let tail = |z: f64| {
        let z2 = 1.0 / (z * z);
        -0.5 / z - z2 * (1.0 / 12.0 - z2 * (1.0 / 120.0 - z2 / 252.0))
    };
    (d / v).ln_1p() + tail(v + d) - tail(v)
}

/// `ln B(a, b)` for `a, b > 0` without the cancellation of [`ln_beta`] when an argument is
/// large (there `ln Γ` is of order `x ln x` and the difference loses its digits: at `a = 10³`,
/// `b = 10⁵` the plain form is off by about 1e-10). Stirling's series with the remainders
/// `δ(x) = ln Γ(x) − [(x − ½) ln x − x + ½ ln 2π]` combined analytically, as in R's `lbeta`
/// (Morris's TOMS 708 approach): absolute error about 1e-15 for all arguments.
pub(crate) fn ln_beta_precise(a: f64, b: f64) -> f64 {
    let (p, q) = if a <= b { (a, b) } else { (b, a) };
    if p >= STIRLING_FROM {
        let corr = stirling_remainder(p) + stirling_remainder(q) - stirling_remainder(p + q);
        let share = p / (p + q);
        -0.5 * q.ln() + LN_SQRT_2PI + corr + (p - 0.5) * share.ln() + q * (-share).ln_1p()
    } else if q >= STIRLING_FROM {
        let corr = stirling_remainder(q) - stirling_remainder(p + q);
        ln_gamma(p) + corr + p - p * (p + q).ln() + (q - 0.5) * (-p / (p + q)).ln_1p()
    } else {
        ln_beta(a, b)
    }
}

/// `(ln Γ(z + n) − ln Γ(z), ψ(z + n) − ψ(z))` for `n = 0, 1, …, len − 1`, by the recurrences
/// `ln Γ(w + 1) = ln Γ(w) + ln w` and `ψ(w + 1) = ψ(w) + 1/w`: one logarithm per entry, with
/// an error that grows like the number of terms (about `n` ulp of the result). The likelihoods
/// use it to tabulate the count-dependent terms once per evaluation instead of once per row.
pub(crate) fn rising_table(z: f64, len: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(len);
    let (mut ln_rising, mut psi_rising) = (0.0, 0.0);
    let mut w = z;
    for _ in 0..len {
        out.push((ln_rising, psi_rising));
        ln_rising += w.ln();
        psi_rising += 1.0 / w;
        w += 1.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rising_table_matches_the_shifts() {
        for z in [1e-3, 0.243, 2.5, 37.0, 1e4] {
            let table = rising_table(z, 300);
            for (n, (ln_rising, psi_rising)) in table.iter().enumerate() {
                let d = n as f64;
                let want = ln_gamma_shift(z, d);
                assert!(
                    (ln_rising - want).abs() <= 1e-13 * want.abs().max(1.0),
                    "{z} {n}: {ln_rising} vs {want}"
                );
                let psi = if n == 0 { 0.0 } else { digamma_shift(z, d) };
                assert!(
                    (psi_rising - psi).abs() <= 1e-12 * psi.abs().max(1.0),
                    "{z} {n}: {psi_rising} vs {psi}"
                );
            }
        }
        assert!(rising_table(1.0, 0).is_empty());
    }

    #[test]
    fn shifts_against_high_precision() {
        // mpmath, 40 digits: loggamma(v + d) - loggamma(v).
        let cases = [
            (10_000.0, 0.001, 0.009210290421145347),
            (1.0e6, -0.343, -4.7387198910571815),
            (3.5, 1e-9, 1.103156640810422e-9),
            (2.0, 5000.0, 37599.660902048185),
            (0.5, 0.25, -0.3690839914934047),
        ];
        for (v, d, want) in cases {
            let got = ln_gamma_shift(v, d);
            assert!((got / want - 1.0).abs() < 1e-14, "{v} {d}: {got} vs {want}");
        }
        // ln B at a large and a tiny argument: loggamma(a)+loggamma(b)-loggamma(a+b).
        let got = ln_beta_precise(0.001, 10_000.0);
        assert!((got - 6.897968594962708).abs() < 1e-14, "{got}");
        let b = ln_beta_precise(2.0, 3.0);
        assert!((b - (1.0f64 / 12.0).ln()).abs() < 1e-14, "{b}");
    }

    // Reference values: mpmath at 40 digits, `mp.log(mp.beta(a, b))`.
    #[test]
    fn precise_ln_beta_matches_mpmath() {
        let cases = [
            (1e3, 1e5, -5_612.683_482_757_346),
            (0.5, 1e5, -5.184_096_539_560_414),
            (12.5, 10.0, -15.383_803_803_790_862),
            (0.793, 2.426, -0.511_569_288_593_703_3),
        ];
        for (a, b, want) in cases {
            let got = ln_beta_precise(a, b);
            assert!((got - want).abs() <= 2e-15 * want.abs().max(1.0), "ln B({a}, {b}) = {got}, want {want}");
            assert_eq!(ln_beta_precise(b, a), got);
        }
    }

    #[test]
    fn digamma_shift_matches_the_plain_difference_where_that_is_exact_enough() {
        for (v, d) in [(0.5, 2.0), (150.0, 0.25), (1e4, 3.0)] {
            let direct = digamma(v + d) - digamma(v);
            assert!((digamma_shift(v, d) - direct).abs() < 1e-12 * direct.abs().max(1.0), "{v} {d}");
        }
        // mpmath, 40 digits: digamma(1e8 + 1e-3) - digamma(1e8) = 1.000000004995000016617e-11.
        let got = digamma_shift(1e8, 1e-3);
        assert!((got / 1.000_000_004_995e-11 - 1.0).abs() < 1e-12, "{got}");
    }
}
