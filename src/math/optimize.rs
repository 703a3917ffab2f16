//! Unconstrained minimisation: BFGS with a strong-Wolfe line search (Nocedal & Wright 2006,
//! *Numerical Optimization*, 2nd ed., Algorithms 6.1, 3.5 and 3.6), and a Hessian by central
//! differences of the analytic gradient.
//!
//! The objective is a closure `f(x, grad) -> value` that writes the gradient at `x` into
//! `grad`. A non-finite value means "outside the domain": the line search steps back.

/// Settings of [`bfgs`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Stop when every gradient component is at most this in absolute value.
    pub gradient_tolerance: f64,
    /// The largest number of BFGS iterations.
    pub max_iterations: u32,
}

/// Where [`bfgs`] stopped, and why.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    /// The last (best) iterate.
    pub x: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// The gradient there.
    pub gradient: Vec<f64>,
    /// The largest absolute gradient component there.
    pub gradient_norm: f64,
    /// BFGS iterations performed.
    pub iterations: u32,
    /// Objective evaluations performed.
    pub evaluations: u32,
    /// Whether the gradient tolerance was met.
    pub converged: bool,
}

/// Wolfe constants: sufficient decrease and curvature (the usual quasi-Newton choice).
const C1: f64 = 1e-4;
const C2: f64 = 0.9;
/// Line-search trials before giving up on a direction.
const MAX_LINE_SEARCH: u32 = 40;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0_f64, |m, v| m.max(v.abs()))
}

/// One evaluated point on the search line.
#[derive(Clone)]
struct Point {
    step: f64,
    value: f64,
    slope: f64,
    x: Vec<f64>,
    grad: Vec<f64>,
}

struct Line<'a, F> {
    f: &'a mut F,
    x0: &'a [f64],
    dir: &'a [f64],
    evaluations: u32,
}

impl<F: FnMut(&[f64], &mut [f64]) -> f64> Line<'_, F> {
    fn at(&mut self, step: f64) -> Point {
        let x: Vec<f64> = self.x0.iter().zip(self.dir).map(|(x, d)| x + step * d).collect();
        let mut grad = vec![0.0; x.len()];
        let mut value = (self.f)(&x, &mut grad);
        self.evaluations += 1;
        if !value.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            value = f64::INFINITY;
        }
        let slope = dot(&grad, self.dir);
        Point { step, value, slope, x, grad }
    }
}

/// Strong-Wolfe line search from `start` (step 0) with a first trial step `first`. Returns the
/// accepted point, or the best point with sufficient decrease, or `None`.
fn line_search<F: FnMut(&[f64], &mut [f64]) -> f64>(
    line: &mut Line<'_, F>,
    start: &Point,
    first: f64,
) -> Option<Point> {
    let armijo = |p: &Point| p.value <= start.value + C1 * p.step * start.slope;
    let curvature = |p: &Point| p.slope.abs() <= -C2 * start.slope;
    let mut prev = start.clone();
    let mut step = first;
    let mut best: Option<Point> = None;
    for i in 0..MAX_LINE_SEARCH {
        let p = line.at(step);
        if !p.value.is_finite() {
            // Outside the domain: step back towards the last good point.
            step = prev.step + 0.25 * (step - prev.step);
            continue;
        }
        if !armijo(&p) || (i > 0 && p.value >= prev.value) {
            return zoom(line, start, prev, p, &mut best).or(best);
        }
        if curvature(&p) {
            return Some(p);
        }
        if p.slope >= 0.0 {
            return zoom(line, start, p.clone(), prev, &mut best).or(Some(p));
        }
        best = Some(p.clone());
        step = (2.0 * p.step).min(p.step + 1e3);
        prev = p;
    }
    best
}

fn zoom<F: FnMut(&[f64], &mut [f64]) -> f64>(
    line: &mut Line<'_, F>,
    start: &Point,
    mut lo: Point,
    mut hi: Point,
    best: &mut Option<Point>,
) -> Option<Point> {
    for _ in 0..MAX_LINE_SEARCH {
        // Safeguarded quadratic interpolation from lo's value and slope and hi's value.
        let (a, b) = (lo.step, hi.step);
        let width = b - a;
        let denom = 2.0 * (hi.value - lo.value - lo.slope * width);
        let mut step =
            if hi.value.is_finite() && denom > 0.0 { a - lo.slope * width * width / denom } else { f64::NAN };
        let (left, right) = (a.min(b), a.max(b));
        let margin = 0.1 * (right - left);
        if !(step > left + margin && step < right - margin) {
            step = 0.5 * (a + b);
        }
        if (right - left) <= 1e-14 * right.abs().max(1.0) {
            return None;
        }
        let p = line.at(step);
        if !p.value.is_finite() || p.value > start.value + C1 * p.step * start.slope || p.value >= lo.value {
            hi = p;
        } else {
            if p.slope.abs() <= -C2 * start.slope {
                return Some(p);
            }
            if p.slope * (hi.step - lo.step) >= 0.0 {
                hi = lo.clone();
            }
            if best.as_ref().is_none_or(|b| p.value < b.value) {
                *best = Some(p.clone());
            }
            lo = p;
        }
    }
    None
}

/// Minimises `f` from `x0` by BFGS.
pub(crate) fn bfgs<F>(mut f: F, x0: &[f64], settings: Settings) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    let mut grad = vec![0.0; n];
    let mut value = f(x0, &mut grad);
    let mut evaluations = 1;
    let mut x = x0.to_vec();
    if !value.is_finite() || grad.iter().any(|g| !g.is_finite()) {
        return Minimum {
            x,
            value,
            gradient: grad,
            gradient_norm: f64::INFINITY,
            iterations: 0,
            evaluations,
            converged: false,
        };
    }
    // Inverse Hessian approximation, row-major.
    let mut h = identity(n);
    let mut first_update = true;
    let mut iterations = 0;
    let mut stalls = 0;
    while iterations < settings.max_iterations {
        if max_abs(&grad) <= settings.gradient_tolerance {
            break;
        }
        iterations += 1;
        let mut dir: Vec<f64> = (0..n).map(|i| -dot(&h[i * n..(i + 1) * n], &grad)).collect();
        let mut slope = dot(&dir, &grad);
        if slope.is_nan() || slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            h = identity(n);
            first_update = true;
            dir = grad.iter().map(|g| -g).collect();
            slope = dot(&dir, &grad);
        }
        let first = if first_update { (1.0 / max_abs(&dir)).min(1.0) } else { 1.0 };
        let start = Point { step: 0.0, value, slope, x: x.clone(), grad: grad.clone() };
        let mut line = Line { f: &mut f, x0: &x, dir: &dir, evaluations: 0 };
        let found = line_search(&mut line, &start, first);
        evaluations += line.evaluations;
        let Some(p) = found else {
            // No acceptable step along this direction: one steepest-descent retry, then stop.
            if first_update || stalls > 0 {
                break;
            }
            stalls += 1;
            h = identity(n);
            first_update = true;
            continue;
        };
        stalls = 0;
        let s: Vec<f64> = p.x.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = p.grad.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        let yy = dot(&y, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * yy.sqrt() {
            if first_update {
                let scale = sy / yy;
                h = identity(n).into_iter().map(|v| v * scale).collect();
                first_update = false;
            }
            update_inverse_hessian(&mut h, &s, &y, sy);
        }
        let decrease = value - p.value;
        x = p.x;
        grad = p.grad;
        value = p.value;
        if decrease <= 1e-16 * value.abs().max(1.0) && max_abs(&grad) > settings.gradient_tolerance {
            stalls += 1;
            if stalls > 3 {
                break;
            }
        }
    }
    let gradient_norm = max_abs(&grad);
    Minimum {
        x,
        value,
        gradient: grad,
        gradient_norm,
        iterations,
        evaluations,
        converged: gradient_norm <= settings.gradient_tolerance,
    }
}

fn identity(n: usize) -> Vec<f64> {
    (0..n * n).map(|k| if k / n == k % n { 1.0 } else { 0.0 }).collect()
}

/// `H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ`, `ρ = 1/(sᵀy)`.
fn update_inverse_hessian(h: &mut [f64], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy: Vec<f64> = (0..n).map(|i| dot(&h[i * n..(i + 1) * n], y)).collect();
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

/// The Hessian of `f` at `x` by forward differences of its analytic gradient (step `h` in each
/// coordinate, from the gradient `g0` at `x`: one evaluation per coordinate), symmetrised;
/// row-major. `None` when a gradient is not finite.
pub(crate) fn hessian<F>(mut f: F, x: &[f64], g0: &[f64], h: f64) -> Option<Vec<f64>>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x.len();
    let mut out = vec![0.0; n * n];
    let mut gp = vec![0.0; n];
    let mut xs = x.to_vec();
    for j in 0..n {
        xs[j] = x[j] + h;
        f(&xs, &mut gp);
        xs[j] = x[j];
        for i in 0..n {
            out[i * n + j] = (gp[i] - g0[i]) / h;
        }
    }
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (out[i * n + j] + out[j * n + i]);
            out[i * n + j] = m;
            out[j * n + i] = m;
        }
    }
    out.iter().all(|v| v.is_finite()).then_some(out)
}

/// The inverse of a symmetric positive-definite matrix (row-major) by Cholesky; `None` when it
/// is not positive definite.
pub(crate) fn invert_spd(a: &[f64], n: usize) -> Option<Vec<f64>> {
    // Cholesky factor L (lower), a = L Lᵀ.
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - sum;
                if d.is_nan() || d <= 0.0 {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - sum) / l[j * n + j];
            }
        }
    }
    // Columns of the inverse: solve L Lᵀ x = e_k.
    let mut inv = vec![0.0; n * n];
    for k in 0..n {
        let mut z = vec![0.0; n];
        for i in 0..n {
            let e = if i == k { 1.0 } else { 0.0 };
            z[i] = (e - (0..i).map(|j| l[i * n + j] * z[j]).sum::<f64>()) / l[i * n + i];
        }
        for i in (0..n).rev() {
            z[i] = (z[i] - (i + 1..n).map(|j| l[j * n + i] * z[j]).sum::<f64>()) / l[i * n + i];
        }
        for i in 0..n {
            inv[i * n + k] = z[i];
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64], g: &mut [f64]) -> f64 {
        let (a, b) = (x[0], x[1]);
        g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
        g[1] = 200.0 * (b - a * a);
        (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
    }

    #[test]
    fn bfgs_finds_the_rosenbrock_minimum() {
        let settings = Settings { gradient_tolerance: 1e-10, max_iterations: 500 };
        let m = bfgs(rosenbrock, &[-1.2, 1.0], settings);
        assert!(m.converged, "{m:?}");
        assert!((m.x[0] - 1.0).abs() < 1e-8 && (m.x[1] - 1.0).abs() < 1e-8, "{m:?}");
        assert!(m.iterations < 100);
    }

    #[test]
    fn bfgs_steps_back_from_outside_the_domain() {
        // f = x − ln x on x > 0 (minimum at 1); non-finite for x ≤ 0.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 1.0 - 1.0 / x[0];
            if x[0] > 0.0 { x[0] - x[0].ln() } else { f64::NAN }
        };
        let m = bfgs(f, &[30.0], Settings { gradient_tolerance: 1e-12, max_iterations: 200 });
        assert!(m.converged && (m.x[0] - 1.0).abs() < 1e-10, "{m:?}");
    }

    #[test]
    fn reports_non_convergence() {
        // Unbounded below: never converges.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = -1.0;
            -x[0]
        };
        let m = bfgs(f, &[0.0], Settings { gradient_tolerance: 1e-8, max_iterations: 20 });
        assert!(!m.converged);
    }

    #[test]
    fn hessian_and_inverse_of_a_quadratic() {
        // f = 2x² + xy + y², Hessian [[4, 1], [1, 2]], inverse [[2, −1], [−1, 4]] / 7.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 4.0 * x[0] + x[1];
            g[1] = x[0] + 2.0 * x[1];
            2.0 * x[0] * x[0] + x[0] * x[1] + x[1] * x[1]
        };
        let x = [0.3, -0.7];
        let mut g0 = [0.0; 2];
        f(&x, &mut g0);
        let h = hessian(f, &x, &g0, 1e-4).expect("finite");
        for (got, want) in h.iter().zip([4.0, 1.0, 1.0, 2.0]) {
            assert!((got - want).abs() < 1e-9);
        }
        let inv = invert_spd(&h, 2).expect("positive definite");
        for (got, want) in inv.iter().zip([2.0 / 7.0, -1.0 / 7.0, -1.0 / 7.0, 4.0 / 7.0]) {
            assert!((got - want).abs() < 1e-9);
        }
        assert!(invert_spd(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
