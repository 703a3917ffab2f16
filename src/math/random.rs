//! A small seeded random number generator and the samplers the model simulators need.
//!
//! The crate has no `rand` dependency: the simulators need only uniform, exponential, gamma,
//! beta and geometric draws, and a seeded, platform-independent stream (so a seed reproduces a
//! simulation everywhere). The generator is xoshiro256++ (Blackman & Vigna 2018) seeded through
//! SplitMix64; gamma draws use Marsaglia & Tsang (2000), with the `U^{1/a}` boost for shapes
//! below 1.

/// xoshiro256++: fast, 256 bits of state, passes BigCrush; not cryptographic.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator whose whole stream is determined by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng { state: [next(), next(), next(), next()] }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform on the open interval (0, 1): never exactly 0 or 1, so logarithms are finite.
    pub(crate) fn uniform(&mut self) -> f64 {
        // 53 random bits, shifted by half an ulp away from 0.
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal, by the polar (Marsaglia) method.
    pub(crate) fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s < 1.0 && s > 0.0 {
                return u * (-2.0 * s.ln() / s).sqrt();
            }
        }
    }

    /// Exponential with the given rate (mean `1/rate`).
    pub(crate) fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }

    /// Gamma with the given shape and rate (mean `shape/rate`).
    pub(crate) fn gamma(&mut self, shape: f64, rate: f64) -> f64 {
        self.ln_gamma_variate(shape).exp() / rate
    }

    /// The logarithm of a Gamma(shape, 1) draw; stays finite for tiny shapes, whose draws
    /// underflow `f64` (a Gamma(0.001) draw is below 1e-300 with probability about 0.5).
    pub(crate) fn ln_gamma_variate(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            // G(a) = G(a + 1) · U^{1/a}.
            let boost = self.uniform().ln() / shape;
            return self.ln_gamma_variate(shape + 1.0) + boost;
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d.ln() + v.ln();
            }
        }
    }

    /// Beta(a, b), through two gamma draws on log scale (accurate for tiny shapes).
    pub(crate) fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.ln_gamma_variate(a);
        let y = self.ln_gamma_variate(b);
        // x' / (x' + y') with x' = eˣ, y' = eʸ.
        let m = x.max(y);
        let (ex, ey) = ((x - m).exp(), (y - m).exp());
        ex / (ex + ey)
    }

    /// Bernoulli(p).
    pub(crate) fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn samplers_have_the_right_moments() {
        let mut rng = Rng::new(20261201);
        let n = 200_000;
        // Mean and variance within about 5 standard errors of the truth.
        for (shape, rate) in [(0.25, 2.0), (1.0, 1.0), (7.5, 0.5)] {
            let xs: Vec<f64> = (0..n).map(|_| rng.gamma(shape, rate)).collect();
            let (m, v) = mean_var(&xs);
            let (tm, tv) = (shape / rate, shape / (rate * rate));
            assert!((m - tm).abs() < 5.0 * (tv / n as f64).sqrt(), "gamma({shape},{rate}) mean {m}");
            assert!((v / tv - 1.0).abs() < 0.1, "gamma({shape},{rate}) var {v} vs {tv}");
        }
        for (a, b) in [(0.5, 0.5), (2.0, 5.0)] {
            let xs: Vec<f64> = (0..n).map(|_| rng.beta(a, b)).collect();
            let (m, v) = mean_var(&xs);
            let tm = a / (a + b);
            let tv = a * b / ((a + b).powi(2) * (a + b + 1.0));
            assert!((m - tm).abs() < 5.0 * (tv / n as f64).sqrt(), "beta({a},{b}) mean {m}");
            assert!((v / tv - 1.0).abs() < 0.05, "beta({a},{b}) var {v}");
        }
        let xs: Vec<f64> = (0..n).map(|_| rng.exponential(4.0)).collect();
        assert!((mean_var(&xs).0 - 0.25).abs() < 0.005);
        // Tiny shapes stay finite on log scale.
        assert!((0..1000).all(|_| rng.ln_gamma_variate(1e-3).is_finite()));
        assert!((0..1000).all(|_| (0.0..=1.0).contains(&rng.beta(1e-3, 1e-3))));
    }
}
