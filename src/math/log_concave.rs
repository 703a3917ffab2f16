//! Integrals of log-concave functions, `∫ e^{ψ(v)} g(v) dv` with `ψ` concave, for the
//! Pareto/NBD likelihood and pmf (whose integrands, written in a logarithmic time variable, all
//! have this shape: `ψ(v) = κv − Σ k_j ln(c_j + e^v)`).
//!
//! The scheme: locate the maximum of `ψ` (the integrand's scale is then `1/√(ψ'² + |ψ''|)`
//! there), factor `e^{ψ_max}` out so nothing overflows, cut each side where `ψ` has dropped by
//! [`CUT`] (by concavity the rest is below `e^{−CUT}` of the integral), start from panels that
//! resolve the peak, and refine by global adaptive Gauss-Kronrod (7/15) bisection with
//! QUADPACK's error scaling. A vector of
//! `K` integrands shares the nodes (the likelihood and its gradient in one pass); the error is
//! controlled on the first. No allocation: panels live in a fixed-size array.

use crate::math::quadrature::{WG, WGK, XGK};

/// Where the integrand is cut: `ψ` has dropped by this much from its maximum, so the cut-off
/// tail is below `e^{−40} ≈ 4e-18` of the integral (concavity bounds the tail by an exponential).
const CUT: f64 = 40.0;
/// The peak panel spans this many scale lengths; beyond it the integrand has decayed at least
/// exponentially and cannot hide a feature between the Kronrod nodes.
const PEAK_PANEL: f64 = 16.0;
/// Panels held at most (each bisection adds one).
const MAX_PANELS: usize = 96;

/// A log-concave integrand with `K` weight functions.
pub(crate) trait LogConcave<const K: usize> {
    /// `ψ(v)`.
    fn psi(&self, v: f64) -> f64;
    /// `(ψ'(v), ψ''(v))`; `ψ'` must be non-increasing.
    fn slopes(&self, v: f64) -> (f64, f64);
    /// `ψ(v)` and the weights `g_k(v)` of the `K` integrals `∫ e^ψ g_k`.
    fn eval(&self, v: f64) -> (f64, [f64; K]);
}

/// The result: `∫ e^{ψ} g_k = e^{log_scale} · scaled[k]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scaled<const K: usize> {
    /// The factored-out `ψ_max`.
    pub log_scale: f64,
    /// The integrals divided by `e^{log_scale}`.
    pub scaled: [f64; K],
}

#[derive(Clone, Copy)]
struct Panel<const K: usize> {
    a: f64,
    b: f64,
    value: [f64; K],
    error: f64,
}

fn panel<const K: usize>(f: &impl LogConcave<K>, shift: f64, a: f64, b: f64) -> Panel<K> {
    let center = 0.5 * (a + b);
    let half = 0.5 * (b - a);
    let mut kronrod = [0.0; K];
    let mut gauss0 = 0.0;
    // The first integrand at the nodes with its Kronrod weight, for QUADPACK's error scaling.
    let mut first = [(0.0, 0.0); 15];
    let mut count = 0;
    let mut add = |v: f64, wk: f64, wg: f64| {
        let (psi, g) = f.eval(v);
        let mut e = (psi - shift).exp();
        if !e.is_finite() {
            e = 0.0;
        }
        for (acc, gk) in kronrod.iter_mut().zip(g) {
            *acc += wk * e * gk;
        }
        gauss0 += wg * e * g[0];
        if let Some(slot) = first.get_mut(count) {
            *slot = (wk, e * g[0]);
        }
        count += 1;
    };
    add(center, WGK[7], WG[3]);
    for j in 0..7 {
        let wg = if j % 2 == 1 { WG[j / 2] } else { 0.0 };
        add(center - half * XGK[j], WGK[j], wg);
        add(center + half * XGK[j], WGK[j], wg);
    }
    // QUADPACK's QK15 error estimate: |K − G| scaled by (200|K − G|/resasc)^{3/2} (the Gauss
    // rule's error overstates the Kronrod rule's by orders of magnitude on smooth integrands),
    // with resasc = ∫|f − mean f|, floored at 50ε·∫|f|.
    let mean = 0.5 * kronrod[0];
    let resasc: f64 = first.iter().map(|(w, v)| w * (v - mean).abs()).sum::<f64>() * half;
    let resabs: f64 = first.iter().map(|(w, v)| w * v.abs()).sum::<f64>() * half;
    let mut error = ((kronrod[0] - gauss0) * half).abs();
    if resasc > 0.0 && error > 0.0 {
        error = resasc * (200.0 * error / resasc).powf(1.5).min(1.0);
    }
    error = error.max(50.0 * f64::EPSILON * resabs);
    for k in kronrod.iter_mut() {
        *k *= half;
    }
    Panel { a, b, value: kronrod, error }
}

/// The maximiser of `ψ` on `[lo, hi]` (`lo` may be `−∞` when `ψ' > 0` far left; `hi` is finite).
fn argmax<const K: usize>(f: &impl LogConcave<K>, lo: f64, hi: f64) -> f64 {
    let (d_hi, _) = f.slopes(hi);
    if d_hi >= 0.0 {
        return hi;
    }
    if lo.is_finite() {
        let (d_lo, _) = f.slopes(lo);
        if d_lo <= 0.0 {
            return lo;
        }
    }
    // Bracket [left, right] with ψ'(left) > 0 > ψ'(right).
    let mut right = hi;
    let mut left;
    if lo.is_finite() {
        left = lo;
    } else {
        let mut step = 1.0;
        left = hi - step;
        loop {
            let (d, _) = f.slopes(left);
            if d > 0.0 || step > 1e6 {
                break;
            }
            right = left;
            step *= 2.0;
            left = hi - step;
        }
    }
    // Safeguarded Newton on ψ' = 0.
    let mut v = 0.5 * (left + right);
    for _ in 0..200 {
        let (d, dd) = f.slopes(v);
        if d > 0.0 {
            left = v;
        } else {
            right = v;
        }
        let newton = if dd < 0.0 { v - d / dd } else { f64::NAN };
        let next = if newton > left && newton < right { newton } else { 0.5 * (left + right) };
        if (next - v).abs() <= 1e-15 * (1.0 + v.abs()) || right - left <= 1e-15 * (1.0 + v.abs()) {
            return next;
        }
        v = next;
    }
    v
}

/// A point beyond which `ψ < ψ_max − CUT` (one Newton step from `from`, moving away from the
/// maximum by `direction` = ±1: for a concave `ψ` the tangent's root lies beyond the level),
/// or `bound` if that comes first.
fn cut_point<const K: usize>(
    f: &impl LogConcave<K>,
    psi_max: f64,
    from: f64,
    direction: f64,
    bound: f64,
) -> f64 {
    let level = psi_max - CUT;
    let psi = f.psi(from);
    if psi <= level {
        return from;
    }
    let (d, _) = f.slopes(from);
    let slope = -direction * d; // rate of decrease moving away
    if slope.is_nan() || slope <= 0.0 {
        return bound;
    }
    let v = from + direction * (psi - level) / slope;
    if direction > 0.0 { v.min(bound) } else { v.max(bound) }
}

/// `∫_lo^hi e^{ψ(v)} g_k(v) dv` for `k < K`, relative accuracy about `rel_tol` on the first
/// integral. `lo` may be `−∞` (then `ψ'` must be positive far to the left); `hi` must be finite
/// and `≥ lo`. An empty interval gives zeros with `log_scale = ψ(hi)`.
pub(crate) fn integrate<const K: usize>(f: &impl LogConcave<K>, lo: f64, hi: f64, rel_tol: f64) -> Scaled<K> {
    if hi.is_nan() || lo.is_nan() || hi <= lo {
        return Scaled { log_scale: f.psi(hi), scaled: [0.0; K] };
    }
    let peak = argmax(f, lo, hi);
    let psi_max = f.psi(peak);
    let (d, dd) = f.slopes(peak);
    let mut scale = 1.0 / (d * d + dd.abs()).sqrt();
    if !(scale.is_finite() && scale > 0.0) {
        scale = if lo.is_finite() { hi - lo } else { 1.0 };
    }
    let mut panels = [Panel { a: 0.0, b: 0.0, value: [0.0; K], error: 0.0 }; MAX_PANELS];
    let mut count = 0;
    // Right of the peak.
    if hi > peak {
        let first = (peak + PEAK_PANEL * scale).min(hi);
        panels[count] = panel(f, psi_max, peak, first);
        count += 1;
        if first < hi {
            let end = cut_point(f, psi_max, first, 1.0, hi);
            if end > first {
                panels[count] = panel(f, psi_max, first, end);
                count += 1;
            }
        }
    }
    // Left of the peak.
    if peak > lo {
        let first = (peak - PEAK_PANEL * scale).max(lo);
        panels[count] = panel(f, psi_max, first, peak);
        count += 1;
        if first > lo {
            let end = cut_point(f, psi_max, first, -1.0, lo);
            if end < first && end.is_finite() {
                panels[count] = panel(f, psi_max, end, first);
                count += 1;
            }
        }
    }
    loop {
        let live = panels.get(..count).unwrap_or(&[]);
        let total: f64 = live.iter().map(|p| p.value[0]).sum();
        let error: f64 = live.iter().map(|p| p.error).sum();
        if error.is_nan() || error <= rel_tol * total.abs() || count >= MAX_PANELS {
            break;
        }
        let worst =
            live.iter().enumerate().max_by(|x, y| x.1.error.total_cmp(&y.1.error)).map_or(0, |(i, _)| i);
        let Some(&p) = panels.get(worst) else { break };
        let mid = 0.5 * (p.a + p.b);
        if !(mid > p.a && mid < p.b) {
            break;
        }
        panels[worst] = panel(f, psi_max, p.a, mid);
        panels[count] = panel(f, psi_max, mid, p.b);
        count += 1;
    }
    let mut scaled = [0.0; K];
    for p in panels.iter().take(count) {
        for (acc, v) in scaled.iter_mut().zip(p.value) {
            *acc += v;
        }
    }
    Scaled { log_scale: psi_max, scaled }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ψ(v) = κv − k ln(c + e^v)`, weights `[1, v]`.
    struct Softplus {
        kappa: f64,
        k: f64,
        c: f64,
    }

    impl LogConcave<2> for Softplus {
        fn psi(&self, v: f64) -> f64 {
            // ln(c + e^v), stable for large |v|.
            let soft = if v > 0.0 { v + (self.c * (-v).exp()).ln_1p() } else { (self.c + v.exp()).ln() };
            self.kappa * v - self.k * soft
        }
        fn slopes(&self, v: f64) -> (f64, f64) {
            // σ = e^v/(c + e^v).
            let sigma = 1.0 / (1.0 + self.c * (-v).exp());
            (self.kappa - self.k * sigma, -self.k * sigma * (1.0 - sigma))
        }
        fn eval(&self, v: f64) -> (f64, [f64; 2]) {
            (self.psi(v), [1.0, v])
        }
    }

    #[test]
    fn beta_function_as_a_log_concave_integral() {
        // ∫_{−∞}^{∞} e^{av}/(1+e^v)^{a+b} dv = B(a, b).
        for (a, b) in [(0.5, 0.5), (2.0, 3.0), (1e-3, 5.0), (1e4, 2.0), (300.0, 7e3)] {
            let f = Softplus { kappa: a, k: a + b, c: 1.0 };
            let got = integrate(&f, f64::NEG_INFINITY, 800.0, 5e-14);
            let ln = got.log_scale + got.scaled[0].ln();
            let want = crate::math::special::ln_beta(a, b);
            assert!((ln - want).abs() < 1e-12 * want.abs().max(1.0), "B({a},{b}): {ln} vs {want}");
        }
    }

    #[test]
    fn exponential_with_a_sharp_edge() {
        // κ = −1e5, k = 0: ∫_0^1 e^{−1e5 v} dv = (1 − e^{−1e5})/1e5.
        let f = Softplus { kappa: -1e5, k: 0.0, c: 1.0 };
        let got = integrate(&f, 0.0, 1.0, 5e-14);
        assert!((got.scaled[0] * 1e5 - 1.0).abs() < 1e-13, "{:?}", got.scaled);
        // Second weight: ∫ v e^{−λv} = 1/λ².
        assert!((got.scaled[1] * 1e10 - 1.0).abs() < 1e-12, "{:?}", got.scaled);
    }
}
