//! Special functions, evaluated stably in `f64`.

use crate::math::gamma_shift::ln_beta_precise;

/// Standard normal upper tail `1 − Φ(x)`, accurate in the far tail (via `erfc`).
pub(crate) fn normal_sf(x: f64) -> f64 {
    0.5 * libm::erfc(x / std::f64::consts::SQRT_2)
}

/// Standard normal CDF `Φ(x)`.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    normal_sf(-x)
}

/// Two-sided p-value of a standard normal statistic: `2(1 − Φ(|z|))`, in [0, 1].
pub(crate) fn two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    (2.0 * normal_sf(z.abs())).min(1.0)
}

/// Standard normal quantile `Φ⁻¹(p)` for `p` in (0, 1): Wichura's AS 241 (PPND16), relative
/// accuracy about 1e-16. Returns ±∞ at 0 and 1 and NaN outside [0, 1].
pub(crate) fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let val = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -val } else { val }
}

/// `ln Γ(x)` for `x > 0` (musl's `lgamma`, relative error about 1e-15 away from the zeros of
/// `ln Γ` at 1 and 2, where the error is absolute and about 1e-16).
pub(crate) fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// `ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b)` for `a, b > 0`.
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// The digamma function `ψ(x) = d ln Γ(x) / dx` for `x > 0`: upward recurrence to `x ≥ 10`,
/// then the asymptotic (Stirling) series to `x⁻¹⁴`; relative error below 1e-15 except near the
/// root at 1.4616…, where the error is absolute and about 1e-16.
pub(crate) fn digamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || !x.is_finite() {
        return if x == f64::INFINITY { f64::INFINITY } else { f64::NAN };
    }
    let mut shift = 0.0;
    let mut x = x;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let inv2 = 1.0 / (x * x);
    // Bernoulli terms B_2k / (2k x^2k), k = 1..7.
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0
                            - inv2
                                * (1.0 / 240.0
                                    - inv2 * (1.0 / 132.0 - inv2 * (691.0 / 32760.0 - inv2 / 12.0))))));
    shift + x.ln() - 0.5 / x - series
}

/// `ln(eˣ + eʸ)` without overflow; `−∞` inputs are handled.
pub(crate) fn log_add_exp(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    if hi == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// `ln(1 − eˣ)` for `x ≤ 0`, accurate at both ends (Mächler 2012): `ln(−expm1(x))` near 0,
/// `ln1p(−eˣ)` far from it.
pub(crate) fn ln_1m_exp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 { (-x.exp_m1()).ln() } else { (-x.exp()).ln_1p() }
}

/// The logarithms of the regularised incomplete beta function and of its complement,
/// `(ln I_x(a, b), ln(1 − I_x(a, b)))`, for `a, b > 0` and `x ∈ [0, 1]` given together with
/// `y = 1 − x` (pass both, each computed without cancellation). Lentz's evaluation of the
/// continued fraction (DLMF 8.17.22), applied directly when `x < (a + 1)/(a + b + 2)` and to
/// the complement `I_y(b, a)` otherwise, so the function computed directly is the smaller one
/// and the other follows from [`ln_1m_exp`] without cancellation. The fraction converges in
/// `O(√max(a, b))` steps.
pub(crate) fn ln_beta_inc(a: f64, b: f64, x: f64, y: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (f64::NEG_INFINITY, 0.0);
    }
    if y <= 0.0 {
        return (0.0, f64::NEG_INFINITY);
    }
    let direct = x * (a + b + 2.0) < a + 1.0;
    let (p, q, u, v) = if direct { (a, b, x, y) } else { (b, a, y, x) };
    // I_u(p, q) = u^p v^q / (p B(p, q)) · 1/(1 + d₁/(1 + d₂/(1 + …))).
    let front = p * u.ln() + q * v.ln() - ln_beta_precise(p, q) - p.ln();
    let small = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (p + q) * u / (p + 1.0);
    d = 1.0 / if d.abs() < small { small } else { d };
    let mut h = d;
    for m in 1..=BETA_INC_MAX_TERMS {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        for coefficient in [
            m * (q - m) * u / ((p + m2 - 1.0) * (p + m2)),
            -(p + m) * (p + q + m) * u / ((p + m2) * (p + m2 + 1.0)),
        ] {
            d = 1.0 + coefficient * d;
            d = 1.0 / if d.abs() < small { small } else { d };
            c = 1.0 + coefficient / c;
            if c.abs() < small {
                c = small;
            }
            h *= d * c;
        }
        // The last factor of the step: converged when it is 1 to rounding.
        if (d * c - 1.0).abs() < 4.0 * f64::EPSILON {
            break;
        }
    }
    let ln_small = front + h.ln();
    let ln_large = ln_1m_exp(ln_small.min(0.0));
    if direct { (ln_small, ln_large) } else { (ln_large, ln_small) }
}

/// Iteration cap of [`ln_beta_inc`]: the fraction needs about `√max(a, b)` steps, so this covers
/// shapes up to about 10¹⁰.
const BETA_INC_MAX_TERMS: u32 = 200_000;

/// The two-sided critical value `z_{1−(1−level)/2}` of a confidence level in (0, 1).
pub(crate) fn z_for_level(level: f64) -> f64 {
    normal_quantile(0.5 + level / 2.0)
}

/// Horner evaluation with coefficients in increasing order of power.
fn poly(coefficients: &[f64; 8], x: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, c| acc * x + c)
}

const A: [f64; 8] = [
    3.387_132_872_796_366_5,
    1.331_416_678_917_843_8e2,
    1.971_590_950_306_551_3e3,
    1.373_169_376_550_946e4,
    4.592_195_393_154_987e4,
    6.726_577_092_700_87e4,
    3.343_057_558_358_813e4,
    2.509_080_928_730_122_7e3,
];
const B: [f64; 8] = [
    1.0,
    4.231_333_070_160_091e1,
    6.871_870_074_920_579e2,
    5.394_196_021_424_751e3,
    2.121_379_430_158_659_7e4,
    3.930_789_580_009_271e4,
    2.872_908_573_572_194_3e4,
    5.226_495_278_852_545e3,
];
const C: [f64; 8] = [
    1.423_437_110_749_683_5,
    4.630_337_846_156_546,
    5.769_497_221_460_691,
    3.647_848_324_763_204_5,
    1.270_458_252_452_368_4,
    2.417_807_251_774_506e-1,
    2.272_384_498_926_918_4e-2,
    7.745_450_142_783_414e-4,
];
const D: [f64; 8] = [
    1.0,
    2.053_191_626_637_759,
    1.676_384_830_183_803_8,
    6.897_673_349_851e-1,
    1.481_039_764_274_800_8e-1,
    1.519_866_656_361_645_7e-2,
    5.475_938_084_995_345e-4,
    1.050_750_071_644_416_9e-9,
];
const E: [f64; 8] = [
    6.657_904_643_501_103,
    5.463_784_911_164_114,
    1.784_826_539_917_291_3,
    2.965_605_718_285_048_7e-1,
    2.653_218_952_657_612_4e-2,
    1.242_660_947_388_078_4e-3,
    2.711_555_568_743_487_6e-5,
    2.010_334_399_292_288_1e-7,
];
const F: [f64; 8] = [
    1.0,
    5.998_322_065_558_88e-1,
    1.369_298_809_227_358e-1,
    1.487_536_129_085_061_5e-2,
    7.868_691_311_456_133e-4,
    1.846_318_317_510_054_8e-5,
    1.421_511_758_316_446e-7,
    2.044_263_103_389_939_8e-15,
];

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values: scipy.stats.norm.ppf / norm.cdf (double precision), cross-checked with
    // mpmath at 30 digits.
    #[test]
    fn quantile_matches_reference_values() {
        let cases = [
            (0.975, 1.959_963_984_540_054),
            (0.5, 0.0),
            (0.95, 1.644_853_626_951_472_2),
            (0.995, 2.575_829_303_548_900_4),
            (0.025, -1.959_963_984_540_054),
            (1e-10, -6.361_340_902_404_056),
            (1e-300, -37.047_096_299_361_2),
        ];
        for (p, z) in cases {
            let got = normal_quantile(p);
            assert!((got - z).abs() <= 1e-14 * z.abs().max(1.0), "p={p}: {got} vs {z}");
        }
    }

    #[test]
    fn quantile_inverts_cdf() {
        for i in 1..1000 {
            let p = f64::from(i) / 1000.0;
            let back = normal_cdf(normal_quantile(p));
            assert!((back - p).abs() < 1e-15, "p={p} back={back}");
        }
    }

    #[test]
    fn cdf_tail_is_accurate() {
        // 1 - Φ(10) = 7.619853024160527e-24 (mpmath).
        let got = normal_sf(10.0);
        assert!((got / 7.619_853_024_160_527e-24 - 1.0).abs() < 1e-13);
        assert_eq!(two_sided_p(0.0), 1.0);
        assert!((two_sided_p(1.959_963_984_540_054) - 0.05).abs() < 1e-15);
        assert!(two_sided_p(f64::NAN).is_nan());
        assert!(normal_quantile(1.5).is_nan());
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
    }

    // Reference values: mpmath at 30 digits, `mp.log(mp.betainc(a, b, 0, x, regularized=True))`
    // and the same for the complement `betainc(a, b, x, 1, regularized=True)`.
    #[test]
    fn incomplete_beta_matches_mpmath() {
        let cases = [
            // (a, b, x, ln I, ln(1 − I))
            (2.0, 3.0, 0.4, -0.644_738_041_352_257_7, -0.744_019_510_933_701_9),
            (10.0, 0.243, 0.5, -9.539_477_140_184_016, -7.195_704_876_551_237e-5),
        ];
        for (a, b, x, want_lo, want_hi) in cases {
            let (lo, hi) = ln_beta_inc(a, b, x, 1.0 - x);
            assert!((lo - want_lo).abs() <= 1e-13 * want_lo.abs().max(1.0), "ln I({a},{b},{x}) = {lo}");
            assert!((hi - want_hi).abs() <= 1e-12 * want_hi.abs().max(1e-3), "ln(1-I)({a},{b},{x}) = {hi}");
        }
        assert_eq!(ln_beta_inc(2.0, 3.0, 0.0, 1.0), (f64::NEG_INFINITY, 0.0));
        assert!((ln_1m_exp(-1e-20) - (1e-20f64).ln()).abs() < 1e-12);
    }

    // Reference values: mpmath at 30 digits (loggamma, digamma).
    #[test]
    fn gamma_family_matches_mpmath() {
        let ln_gamma_cases = [
            (0.5, 0.572_364_942_924_700_1),
            (1e-3, 6.907_178_885_383_854),
            (10.5, 13.940_625_219_403_763),
            (1e5, 1_051_287.708_973_656_9),
        ];
        for (x, want) in ln_gamma_cases {
            let got = ln_gamma(x);
            assert!((got - want).abs() <= 2e-15 * want.abs().max(1.0), "lnΓ({x}) = {got}, want {want}");
        }
        let digamma_cases = [
            (1.0, -0.577_215_664_901_532_9),
            (0.5, -1.963_510_026_021_423_5),
            (1e-3, -1_000.575_571_931_810_3),
            (3.7, 1.167_153_539_361_511_4),
            (12.25, 2.464_154_655_185_369),
            (1e6, 13.815_510_057_964_191),
        ];
        for (x, want) in digamma_cases {
            let got = digamma(x);
            assert!((got - want).abs() <= 4e-15 * want.abs().max(1.0), "ψ({x}) = {got}, want {want}");
        }
        assert!(digamma(0.0).is_nan() && digamma(-1.0).is_nan());
        assert!((ln_beta(2.0, 3.0) - (1.0_f64 / 12.0).ln()).abs() < 1e-15);
        assert!((log_add_exp(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, f64::NEG_INFINITY), f64::NEG_INFINITY);
    }
}
