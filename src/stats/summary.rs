//! Summary statistics of latency samples: the mean and percentiles. Percentiles use linear
//! interpolation between closest ranks (Hyndman & Fan type 7), the definition of numpy's
//! `percentile` and therefore of `vllm bench serve`, so our figures compare like for like.

use serde::Serialize;

/// Mean and the percentiles the contract reports, in the samples' unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
}

impl Summary {
    /// Summarises `samples` (reordered in place). `None` when there are none.
    pub fn of(samples: &mut [f64]) -> Option<Summary> {
        samples.sort_unstable_by(f64::total_cmp);
        Summary::of_sorted(samples)
    }

    /// Summarises samples already in ascending order. `None` when there are none.
    pub fn of_sorted(sorted: &[f64]) -> Option<Summary> {
        if sorted.is_empty() {
            return None;
        }
        Some(Summary {
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
            p50: percentile_of_sorted(sorted, 50.0),
            p90: percentile_of_sorted(sorted, 90.0),
            p95: percentile_of_sorted(sorted, 95.0),
            p99: percentile_of_sorted(sorted, 99.0),
        })
    }
}

/// The `percentile` (0-100) of ascending `sorted` samples, type 7: rank `h = (n-1) p/100`,
/// interpolated between the samples at floor(h) and floor(h)+1.
pub fn percentile_of_sorted(sorted: &[f64], percentile: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let rank = (n - 1) as f64 * percentile.clamp(0.0, 100.0) / 100.0;
            let below = rank.floor() as usize;
            let above = (below + 1).min(n - 1);
            sorted[below] + (rank - below as f64) * (sorted[above] - sorted[below])
        }
    }
}

/// Samples with integer weights (a value seen `weight` times), summarised as if expanded: the
/// inter-token gaps of one engine iteration are all equal, so the simulator records each
/// iteration once with the number of tokens it emitted. Sorts `samples` by value.
pub fn weighted_summary(samples: &mut [(f64, u32)]) -> Option<Summary> {
    sort_weighted(samples);
    weighted_summary_of_sorted(samples)
}

/// Sorts weighted samples by value.
pub fn sort_weighted(samples: &mut [(f64, u32)]) {
    samples.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
}

/// [`weighted_summary`] of samples already sorted by value.
pub fn weighted_summary_of_sorted(sorted: &[(f64, u32)]) -> Option<Summary> {
    let total: u64 = sorted.iter().map(|&(_, weight)| u64::from(weight)).sum();
    if total == 0 {
        return None;
    }
    let mean = sorted
        .iter()
        .map(|&(value, weight)| value * f64::from(weight))
        .sum::<f64>()
        / total as f64;
    let percentile = |p: f64| weighted_percentile_of_sorted(sorted, p);
    Some(Summary {
        mean,
        p50: percentile(50.0)?,
        p90: percentile(90.0)?,
        p95: percentile(95.0)?,
        p99: percentile(99.0)?,
    })
}

/// The `percentile` of weighted samples sorted by value, type 7 over their expansion; `None`
/// when the weights sum to zero.
pub fn weighted_percentile_of_sorted(sorted: &[(f64, u32)], percentile: f64) -> Option<f64> {
    let total: u64 = sorted.iter().map(|&(_, weight)| u64::from(weight)).sum();
    if total == 0 {
        return None;
    }
    // The value at 0-based position `index` of the expansion.
    let value_at = |index: u64| -> f64 {
        let mut seen = 0u64;
        for &(value, weight) in sorted {
            seen += u64::from(weight);
            if index < seen {
                return value;
            }
        }
        sorted[sorted.len() - 1].0
    };
    let rank = (total - 1) as f64 * percentile.clamp(0.0, 100.0) / 100.0;
    let below = rank.floor() as u64;
    let (low, high) = (value_at(below), value_at((below + 1).min(total - 1)));
    Some(low + (rank - below as f64) * (high - low))
}

/// Bits of an f64 kept by the histogram of [`HistogramPercentiles`]: the sign, the exponent
/// and the 10 leading bits of the mantissa, so a bin spans 2^-10 (0.1%) of its value.
const HISTOGRAM_SHIFT: u32 = 42;
/// Most bins a histogram may span; weighted samples spread wider are sorted instead.
const MOST_HISTOGRAM_BINS: u64 = 1 << 16;

/// Percentiles of weighted non-negative samples read from a histogram of bins 0.1% wide, in
/// linear time: each bin stands for its midpoint, so a percentile is within 0.1% of the exact
/// (sorted) one, and never out of order with it. For one or a few percentiles of many samples
/// (a screening simulation's token gaps), where sorting them all costs more than simulating.
pub struct HistogramPercentiles {
    first_key: u64,
    weights: Vec<u64>,
    total: u64,
    mean: f64,
}

impl HistogramPercentiles {
    /// The histogram of `samples`, each value multiplied by `scale` (a unit conversion), or
    /// `None` when they are empty, weigh nothing, hold a value that is negative or not finite,
    /// or span too many bins.
    pub fn of(samples: &[(f64, u32)], scale: f64) -> Option<HistogramPercentiles> {
        let key = |value: f64| value.to_bits() >> HISTOGRAM_SHIFT;
        let (mut first_key, mut last_key) = (u64::MAX, 0);
        for &(value, _) in samples {
            let value = value * scale;
            // Negative values and NaN have the sign bit or sort above infinity: refuse them.
            if !(value.is_finite() && value >= 0.0) {
                return None;
            }
            first_key = first_key.min(key(value));
            last_key = last_key.max(key(value));
        }
        if samples.is_empty() || last_key - first_key >= MOST_HISTOGRAM_BINS {
            return None;
        }
        let mut weights = vec![0u64; (last_key - first_key + 1) as usize];
        let (mut total, mut sum) = (0u64, 0.0);
        for &(value, weight) in samples {
            let value = value * scale;
            weights[(key(value) - first_key) as usize] += u64::from(weight);
            total += u64::from(weight);
            sum += value * f64::from(weight);
        }
        (total > 0).then(|| HistogramPercentiles {
            first_key,
            weights,
            total,
            mean: sum / total as f64,
        })
    }

    /// The midpoint of the bin holding 0-based position `index` of the expansion.
    fn value_at(&self, index: u64) -> f64 {
        let mut seen = 0u64;
        let bin = self
            .weights
            .iter()
            .position(|&weight| {
                seen += weight;
                index < seen
            })
            .unwrap_or(self.weights.len() - 1);
        let key = self.first_key + bin as u64;
        f64::from_bits((key << HISTOGRAM_SHIFT) | (1 << (HISTOGRAM_SHIFT - 1)))
    }

    /// The `percentile` (0-100), type 7 over the expansion as [`weighted_percentile_of_sorted`].
    pub fn percentile(&self, percentile: f64) -> f64 {
        let rank = (self.total - 1) as f64 * percentile.clamp(0.0, 100.0) / 100.0;
        let below = rank.floor() as u64;
        let low = self.value_at(below);
        let high = self.value_at((below + 1).min(self.total - 1));
        low + (rank - below as f64) * (high - low)
    }

    /// Mean (exact) and percentiles (from the bins).
    pub fn summary(&self) -> Summary {
        Summary {
            mean: self.mean,
            p50: self.percentile(50.0),
            p90: self.percentile(90.0),
            p95: self.percentile(95.0),
            p99: self.percentile(99.0),
        }
    }
}

/// Median of `values` (reordered in place); NaN when empty.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    percentile_of_sorted(values, 50.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy_linear_interpolation() {
        // numpy.percentile([1, 2, 3, 4, 10], [50, 90, 95, 99]) = [3, 7.6, 8.8, 9.76]
        let summary = Summary::of(&mut [10.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!(summary.p50, 3.0);
        assert!((summary.p90 - 7.6).abs() < 1e-12);
        assert!((summary.p95 - 8.8).abs() < 1e-12);
        assert!((summary.p99 - 9.76).abs() < 1e-12);
        assert_eq!(summary.mean, 4.0);
    }

    #[test]
    fn weighted_samples_equal_their_expansion() {
        let mut weighted = vec![(5.0, 3), (1.0, 2), (9.0, 1), (2.0, 4)];
        let mut expanded: Vec<f64> = weighted
            .iter()
            .flat_map(|&(value, weight)| std::iter::repeat_n(value, weight as usize))
            .collect();
        let a = weighted_summary(&mut weighted).unwrap();
        let b = Summary::of(&mut expanded).unwrap();
        for (x, y) in [
            (a.mean, b.mean),
            (a.p50, b.p50),
            (a.p90, b.p90),
            (a.p95, b.p95),
            (a.p99, b.p99),
        ] {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
    }

    #[test]
    fn histogram_percentiles_are_within_a_thousandth_of_the_sorted_ones() {
        let mut sampler = crate::sim::Sampler::new(5);
        for size in [1usize, 2, 3, 10, 257, 5000] {
            let samples: Vec<(f64, u32)> = (0..size)
                .map(|_| (0.001 + sampler.uniform() * 80.0, 1 + (sampler.uniform() * 4.0) as u32))
                .collect();
            let mut sorted = samples.clone();
            sort_weighted(&mut sorted);
            let histogram = HistogramPercentiles::of(&samples, 1.0).unwrap();
            for p in [0.0, 1.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0] {
                let exact = weighted_percentile_of_sorted(&sorted, p).unwrap();
                let approximate = histogram.percentile(p);
                assert!(
                    (approximate / exact - 1.0).abs() <= 1.0 / 1024.0,
                    "{size} samples, p{p}: {approximate} vs {exact}"
                );
            }
        }
        assert!(HistogramPercentiles::of(&[(1.0, 0)], 1.0).is_none());
        assert!(HistogramPercentiles::of(&[(-1.0, 1)], 1.0).is_none());
    }

    #[test]
    fn empty_samples_have_no_summary() {
        assert!(Summary::of(&mut []).is_none());
        assert!(weighted_summary(&mut [(1.0, 0)]).is_none());
    }
}
