//! Statistics: summaries of latency samples (mean and percentiles, with the definition stated),
//! distribution-free confidence intervals for percentiles, and the minimiser used to fit
//! calibration factors to measurements.

mod intervals;
mod minimize;
mod summary;

pub use intervals::{percentile_interval, PercentileInterval, CONFIDENCE, INSUFFICIENT};
pub use minimize::{minimize, Minimum};
pub use summary::{
    median, percentile_of_sorted, sort_weighted, weighted_percentile_of_sorted, weighted_summary,
    weighted_summary_of_sorted, HistogramPercentiles, Summary,
};
