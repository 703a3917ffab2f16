//! Numerical integration: adaptive Gauss-Kronrod (7/15 points, QUADPACK's QK15) on finite
//! intervals, and a map of `[0, ∞)` onto `[0, 1)` for integrals over the whole future.

/// Kronrod nodes (positive half, descending; the last is 0) of QUADPACK's QK15.
pub(crate) const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
/// Kronrod weights for [`XGK`].
pub(crate) const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights for the odd-indexed Kronrod nodes `XGK[1], XGK[3], XGK[5], XGK[7]`.
pub(crate) const WG: [f64; 4] =
    [0.129_484_966_168_869_7, 0.279_705_391_489_276_7, 0.381_830_050_505_118_9, 0.417_959_183_673_469_4];

/// One QK15 panel on `[a, b]`: the Kronrod estimate and `|Kronrod − Gauss|`.
fn panel<F: FnMut(f64) -> f64>(f: &mut F, a: f64, b: f64) -> (f64, f64) {
    let center = 0.5 * (a + b);
    let half = 0.5 * (b - a);
    let fc = f(center);
    let mut kronrod = WGK[7] * fc;
    let mut gauss = WG[3] * fc;
    for (j, (&x, &w)) in XGK[..7].iter().zip(&WGK[..7]).enumerate() {
        let pair = f(center - half * x) + f(center + half * x);
        kronrod += w * pair;
        if j % 2 == 1 {
            gauss += WG[j / 2] * pair;
        }
    }
    (kronrod * half, ((kronrod - gauss) * half).abs())
}

/// `∫_a^b f` by adaptive bisection of QK15 panels until the summed error estimate is below
/// `max(abs_tol, rel_tol·|integral|)` or `max_panels` panels are used. Returns the integral
/// and the error estimate.
pub(crate) fn integrate<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    rel_tol: f64,
    abs_tol: f64,
    max_panels: usize,
) -> (f64, f64) {
    let (v, e) = panel(&mut f, a, b);
    // Panels as (a, b, value, error); the worst one is split next.
    let mut panels = vec![(a, b, v, e)];
    let (mut total, mut error) = (v, e);
    while error > abs_tol.max(rel_tol * total.abs()) && panels.len() < max_panels && error.is_finite() {
        let worst =
            panels.iter().enumerate().max_by(|x, y| x.1.3.total_cmp(&y.1.3)).map(|(i, _)| i).unwrap_or(0);
        let (pa, pb, pv, pe) = panels.swap_remove(worst);
        let mid = 0.5 * (pa + pb);
        if !(mid > pa && mid < pb) {
            // The panel cannot be split further in floating point.
            panels.push((pa, pb, pv, pe));
            break;
        }
        let (lv, le) = panel(&mut f, pa, mid);
        let (rv, re) = panel(&mut f, mid, pb);
        total += lv + rv - pv;
        error += le + re - pe;
        panels.push((pa, mid, lv, le));
        panels.push((mid, pb, rv, re));
    }
    // Re-add from the panels to shed the rounding of the running sums.
    let total = panels.iter().map(|p| p.2).sum();
    let error = panels.iter().map(|p| p.3).sum();
    (total, error)
}

/// `∫_0^∞ f` through `t = c·u/(1 − u)`, `u ∈ [0, 1)`, where `c > 0` is the scale at which `f`
/// changes (half the mass of a scale-`c` integrand maps to `u < 1/2`). `f` must decay faster
/// than `1/t` at infinity.
pub(crate) fn integrate_to_infinity<F: FnMut(f64) -> f64>(
    mut f: F,
    scale: f64,
    rel_tol: f64,
    abs_tol: f64,
    max_panels: usize,
) -> (f64, f64) {
    let g = |u: f64| {
        if u >= 1.0 {
            return 0.0;
        }
        let one_minus = 1.0 - u;
        let t = scale * u / one_minus;
        let jacobian = scale / (one_minus * one_minus);
        let v = f(t) * jacobian;
        if v.is_finite() { v } else { 0.0 }
    };
    integrate(g, 0.0, 1.0, rel_tol, abs_tol, max_panels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_panel_is_exact_for_polynomials_of_degree_22() {
        // QK15 integrates degree ≤ 22 exactly; ∫_{-1}^{1} x²² = 2/23.
        let (v, _) = panel(&mut |x: f64| x.powi(22), -1.0, 1.0);
        assert!((v - 2.0 / 23.0).abs() < 1e-15);
        let (v, e) = panel(&mut |x: f64| 3.0 * x * x, 0.0, 2.0);
        assert!((v - 8.0).abs() < 1e-14 && e < 1e-13);
    }

    #[test]
    fn adaptive_handles_peaks_and_endpoint_singularities() {
        // ∫_0^1 x^{-1/2} = 2 (integrable singularity at 0).
        let (v, _) = integrate(|x| 1.0 / x.sqrt(), 0.0, 1.0, 1e-12, 0.0, 500);
        assert!((v - 2.0).abs() < 1e-9, "{v}");
        // ∫_{-1}^{1} 1/(1e-4 + x²) = 2·atan(100)/0.01.
        let (v, _) = integrate(|x| 1.0 / (1e-4 + x * x), -1.0, 1.0, 1e-13, 0.0, 500);
        let want = 2.0 * 100f64.atan() / 0.01;
        assert!((v / want - 1.0).abs() < 1e-12, "{v} vs {want}");
    }

    #[test]
    fn half_line() {
        // ∫_0^∞ e^{-t/50} = 50; ∫_0^∞ (1 + t)^{-3} = 1/2.
        let (v, _) = integrate_to_infinity(|t| (-t / 50.0).exp(), 50.0, 1e-13, 0.0, 500);
        assert!((v - 50.0).abs() < 1e-10, "{v}");
        let (v, _) = integrate_to_infinity(|t| (1.0 + t).powi(-3), 1.0, 1e-13, 0.0, 500);
        assert!((v - 0.5).abs() < 1e-12, "{v}");
    }
}
