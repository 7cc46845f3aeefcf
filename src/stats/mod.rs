//! Statistics: summaries of latency samples (mean and percentiles, with the definition stated)
//! and the minimiser used to fit calibration factors to measurements.

mod minimize;
mod summary;

pub use minimize::{minimize, Minimum};
pub use summary::{median, percentile_of_sorted, weighted_percentile_of_sorted, weighted_summary, Summary};
