//! The requests a simulation serves: when each arrives and how long its prompt and output are.
//! Sampling uses `libm` rather than std's float functions so a seed gives the same requests,
//! bit for bit, natively and in WebAssembly.

use crate::domain::LengthDistribution;
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// Arrival gaps less variable than this are constant: the gamma sampler's shape, 1/CV^2, would
/// pass a million, where it is constant to 0.1% anyway and its arithmetic loses its footing.
pub const SMALLEST_ARRIVAL_CV: f64 = 1e-3;

/// Tries the gamma sampler's rejection loop makes before giving up: it accepts with probability
/// above 0.95 per try for every shape of 1 or more, so a thousand tries never run out in practice.
const MAX_GAMMA_TRIES: u32 = 1000;

/// Arrival gaps more variable than this are taken at this CV: the gamma's shape, 1/CV^2, would
/// otherwise underflow (scenarios stop at 10, `scenario::limits::MAX_CV`).
pub const LARGEST_ARRIVAL_CV: f64 = 1000.0;

/// A seeded random source with the samplers the workload needs.
pub struct Sampler {
    rng: Pcg64Mcg,
    /// Box-Muller makes normals in pairs: the second waits here for the next call.
    spare_normal: Option<f64>,
}

impl Sampler {
    pub fn new(seed: u64) -> Sampler {
        Sampler {
            rng: Pcg64Mcg::seed_from_u64(seed),
            spare_normal: None,
        }
    }

    /// Uniform in (0, 1): 53 random bits, never exactly 0 (safe to take the log of).
    pub fn uniform(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn standard_normal(&mut self) -> f64 {
        if let Some(spare) = self.spare_normal.take() {
            return spare;
        }
        // Box-Muller: two independent normals from two uniforms.
        let (u1, u2) = (self.uniform(), self.uniform());
        let radius = libm::sqrt(-2.0 * libm::log(u1));
        let angle = 2.0 * std::f64::consts::PI * u2;
        self.spare_normal = Some(radius * libm::sin(angle));
        radius * libm::cos(angle)
    }

    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.uniform())
    }

    /// Gamma with the given shape and unit scale (Marsaglia & Tsang 2000; for shape < 1 the
    /// boost `G(a) = G(a+1) U^(1/a)`). The rejection loop accepts within a few tries for any
    /// finite shape; a shape no caller should pass (NaN, infinite, not positive) or a loop that
    /// somehow never accepts returns the distribution's mean rather than spinning.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if !(shape.is_finite() && shape > 0.0) {
            return if shape.is_finite() { 0.0 } else { f64::MAX };
        }
        if shape < 1.0 {
            let boost = libm::pow(self.uniform(), 1.0 / shape);
            return self.gamma(shape + 1.0) * boost;
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / libm::sqrt(9.0 * d);
        for _ in 0..MAX_GAMMA_TRIES {
            let x = self.standard_normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if libm::log(u) < 0.5 * x * x + d - d * v + d * libm::log(v) {
                return d * v;
            }
        }
        shape
    }

    /// A gap between arrivals with the given mean and coefficient of variation: constant for
    /// CV under `SMALLEST_ARRIVAL_CV` (or not a number), exponential (Poisson arrivals) for CV 1, gamma with shape
    /// 1/CV^2 otherwise.
    pub fn interarrival(&mut self, mean_s: f64, cv: f64) -> f64 {
        if cv.is_nan() || cv < SMALLEST_ARRIVAL_CV {
            mean_s
        } else if cv == 1.0 {
            self.exponential(mean_s)
        } else {
            let shape = 1.0 / (cv.min(LARGEST_ARRIVAL_CV) * cv.min(LARGEST_ARRIVAL_CV));
            self.gamma(shape) * mean_s / shape
        }
    }

    /// A token count: the mean when CV is 0, else lognormal with that mean and CV; rounded,
    /// at least 1 and at most `max_tokens`.
    pub fn length(&mut self, lengths: &LengthDistribution, max_tokens: u32) -> u32 {
        let tokens = if lengths.cv == 0.0 {
            lengths.mean
        } else {
            let sigma_squared = libm::log1p(lengths.cv * lengths.cv);
            let mu = libm::log(lengths.mean) - sigma_squared / 2.0;
            libm::exp(mu + libm::sqrt(sigma_squared) * self.standard_normal())
        };
        (tokens.round() as u32).clamp(1, max_tokens.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_cv(samples: &[f64]) -> (f64, f64) {
        let n = samples.len() as f64;
        let mean = samples.iter().sum::<f64>() / n;
        let variance = samples.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, variance.sqrt() / mean)
    }

    #[test]
    fn gamma_returns_for_any_shape() {
        let mut sampler = Sampler::new(3);
        for shape in [
            f64::NAN,
            f64::INFINITY,
            -1.0,
            0.0,
            5e-324,
            1e-300,
            0.01,
            1.0,
            1e6,
            1e300,
            f64::MAX,
        ] {
            let sample = sampler.gamma(shape);
            assert!(!sample.is_nan() && sample >= 0.0, "shape {shape}: {sample}");
        }
        for cv in [f64::NAN, 5e-324, 1e-3, 10.0, 1e300] {
            let gap = sampler.interarrival(0.5, cv);
            assert!(!gap.is_nan() && gap >= 0.0, "cv {cv}: {gap}");
        }
    }

    #[test]
    fn interarrival_gaps_have_the_asked_mean_and_cv() {
        for cv in [0.0, 0.5, 1.0, 2.0, 4.0] {
            let mut sampler = Sampler::new(7);
            let gaps: Vec<f64> = (0..200_000).map(|_| sampler.interarrival(0.25, cv)).collect();
            let (mean, measured_cv) = mean_and_cv(&gaps);
            assert!((mean / 0.25 - 1.0).abs() < 0.03, "cv {cv}: mean {mean}");
            assert!(
                (measured_cv - cv).abs() < 0.05 * cv.max(1.0),
                "cv {cv}: measured {measured_cv}"
            );
        }
    }

    #[test]
    fn lognormal_lengths_have_the_asked_mean_and_cv() {
        let mut sampler = Sampler::new(3);
        let lengths = LengthDistribution { mean: 1000.0, cv: 0.8 };
        let samples: Vec<f64> = (0..200_000)
            .map(|_| f64::from(sampler.length(&lengths, 1_000_000)))
            .collect();
        let (mean, cv) = mean_and_cv(&samples);
        assert!((mean / 1000.0 - 1.0).abs() < 0.02, "{mean}");
        assert!((cv - 0.8).abs() < 0.05, "{cv}");
    }
}
