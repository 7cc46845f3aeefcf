//! Distribution-free confidence intervals for percentiles, from order statistics: the number
//! of samples below the true p-quantile is Binomial(n, p), so the interval between the l-th
//! and u-th smallest samples covers it with probability P(l <= B < u) whatever the
//! distribution. With too few samples no such pair of ranks exists, and we say so instead of
//! reporting a bound.

use serde::Serialize;

/// Confidence of the intervals reported.
pub const CONFIDENCE: f64 = 0.95;

/// A percentile's confidence interval, or the statement that the samples cannot give one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PercentileInterval {
    Bounds { lower: f64, upper: f64 },
    Insufficient(&'static str),
}

pub const INSUFFICIENT: &str = "insufficient samples";

/// The 95% interval for the `percentile` (0-100) of ascending `sorted` samples.
pub fn percentile_interval(sorted: &[f64], percentile: f64) -> PercentileInterval {
    match interval_ranks(sorted.len() as u64, percentile / 100.0) {
        Some((lower, upper)) => PercentileInterval::Bounds {
            lower: sorted[(lower - 1) as usize],
            upper: sorted[(upper - 1) as usize],
        },
        None => PercentileInterval::Insufficient(INSUFFICIENT),
    }
}

/// 1-based ranks (l, u): the largest l with P(B <= l-1) <= a/2 and the smallest u with
/// P(B >= u) <= a/2, for B ~ Binomial(n, q) and a = 1 - CONFIDENCE.
///
/// The binomial probabilities are summed term by term in log space (each term from the last by
/// the ratio (n-i)/(i+1) x q/(1-q)): exact enough for these tail thresholds, with no special
/// functions (this code ships in the WebAssembly build, whose size is budgeted).
fn interval_ranks(n: u64, q: f64) -> Option<(u64, u64)> {
    if n == 0 || !(q > 0.0 && q < 1.0) {
        return None;
    }
    let tail = (1.0 - CONFIDENCE) / 2.0;
    let log_ratio = libm::log(q / (1.0 - q));
    let mut log_term = n as f64 * libm::log(1.0 - q); // ln P(B = 0)
    let mut cdf = 0.0;
    let mut lower = None; // the largest l with cdf(l - 1) <= tail
    let mut upper = None; // the smallest u with cdf(u - 1) >= 1 - tail
    for k in 0..n {
        cdf += libm::exp(log_term);
        if cdf <= tail {
            lower = Some(k + 1);
        }
        if cdf >= 1.0 - tail {
            upper = Some(k + 1);
            break;
        }
        log_term += libm::log((n - k) as f64 / (k + 1) as f64) + log_ratio;
    }
    let (lower, upper) = (lower?, upper?);
    (lower <= upper && upper <= n).then_some((lower, upper))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_100_samples_has_the_textbook_ranks() {
        // For n = 100 and the median the normal approximation n/2 +- 1.96 sqrt(n)/2 gives
        // ranks 40.2 and 59.8; the exact binomial ranks are 40 and 61.
        assert_eq!(interval_ranks(100, 0.5), Some((40, 61)));
    }

    #[test]
    fn too_few_samples_for_a_p99_say_so() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(
            percentile_interval(&sorted, 99.0),
            PercentileInterval::Insufficient(INSUFFICIENT)
        );
        let many: Vec<f64> = (1..=2000).map(f64::from).collect();
        match percentile_interval(&many, 99.0) {
            PercentileInterval::Bounds { lower, upper } => assert!(lower < 1980.0 && upper > 1980.0, "{lower} {upper}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn intervals_cover_the_true_quantile_about_95_percent_of_the_time() {
        // Uniform(0,1) samples: the true p90 is 0.9.
        let mut sampler = crate::sim::Sampler::new(11);
        let trials = 400;
        let covered = (0..trials)
            .filter(|_| {
                let mut samples: Vec<f64> = (0..200).map(|_| sampler.uniform()).collect();
                samples.sort_unstable_by(f64::total_cmp);
                match percentile_interval(&samples, 90.0) {
                    PercentileInterval::Bounds { lower, upper } => lower <= 0.9 && 0.9 <= upper,
                    PercentileInterval::Insufficient(_) => false,
                }
            })
            .count();
        let rate = covered as f64 / trials as f64;
        assert!((0.92..=0.995).contains(&rate), "{rate}");
    }
}
