//! Any bytes as a scenario and a config: an error naming a field, or a prediction of finite
//! numbers; never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first line is the config, the rest the scenario.
    let (config, scenario) = text.split_once('\n').unwrap_or(("{}", &text));
    let (Ok(scenario), Ok(config)) = (inferplan::Scenario::from_json(scenario), inferplan::Config::from_json(config)) else {
        return;
    };
    if let Ok(prediction) = inferplan::predict(&scenario, &config) {
        for summary in [prediction.ttft_ms, prediction.tpot_ms, prediction.itl_ms, prediction.e2e_ms].into_iter().flatten() {
            assert!(summary.p50 <= summary.p95 && summary.p95 <= summary.p99 && summary.mean.is_finite());
        }
        assert!(prediction.requests_per_second.is_finite() && (0.0..=1.0).contains(&prediction.slo_attainment));
    }
});
