//! # inferplan
//!
//! For an LLM inference workload on given hardware: should the deployment optimise latency or
//! throughput first, and what configuration should it run? inferplan models one engine
//! iteration from first principles (weights, KV cache, FLOPs, tensor-parallel traffic),
//! simulates a continuously batching server to get the tail latencies, answers for a fixed
//! deployment with [`predict`] and for the whole question with [`advise`].
//!
//! The core is pure Rust; `wasm.rs` is the only code that knows about JavaScript.
//! ARCHITECTURE.md maps the modules and follows one `advise` call through them.
//!
//! ```
//! use inferplan::{predict, Config, Scenario};
//!
//! let scenario = Scenario::from_json(r#"{
//!     "model": "Llama-3.1-70B",
//!     "fleet": { "gpu": "H100-SXM", "count": 4 },
//!     "workload": { "promptTokens": 1000, "outputTokens": 200, "load": { "requestsPerSecond": 3 } }
//! }"#)?;
//! let prediction = predict(&scenario, &Config { precision: Some("fp8".into()), ..Config::default() })?;
//! assert!(prediction.feasible);
//! println!("p95 time to first token: {:.0} ms", prediction.ttft_ms.unwrap().p95);
//! # Ok::<(), inferplan::Error>(())
//! ```

pub mod advise;
pub mod calibrate;
pub mod catalog;
pub mod domain;
mod error;
pub mod measure;
pub mod perf;
pub mod predict;
pub mod scenario;
pub mod sim;
pub mod stats;

/// The JavaScript exports (wasm32 only); public so the wasm tests can call them.
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use advise::{advise, Recommendation, Verdict};
pub use calibrate::{calibrate, CalibrationReport};
pub use catalog::{catalog, Catalog, GpuSpec, ModelSpec};
pub use domain::{Deployment, Precision};
pub use error::{Error, Result};
pub use measure::import_benchmark;
pub use predict::{predict, Prediction};
pub use scenario::{Config, Scenario};

/// The library's version (the crate version, also the npm package's).
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
