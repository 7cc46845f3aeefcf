//! Measured data: what real servers did, and fitting the performance model to it. For now the
//! published TensorRT-LLM measurements the built-in calibration is fitted on; benchmark-file
//! importers join here. Measurements only change the cost model's calibration factors; they
//! never special-case a prediction.

pub mod fit;
pub mod published;

pub use fit::{abs_pct_error, fit_calibration, FamilyFits, Fit, PreparedObservation, MIN_FAMILY_ROWS};
pub use published::{load_published, Observation, ObservedLoad, ObservedMetric, Unmodellable};
