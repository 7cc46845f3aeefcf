//! What the property tests share.

use proptest::test_runner::{Config as ProptestConfig, RngSeed};

/// `cases` random cases from a fixed seed, so that a run is reproducible; PROPTEST_CASES and
/// PROPTEST_RNG_SEED explore more.
pub fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(2026);
    }
    config
}
