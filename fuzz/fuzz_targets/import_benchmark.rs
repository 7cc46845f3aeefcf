//! Any bytes as a benchmark file: an error or a run of finite numbers, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let forced = inferplan::domain::BenchmarkFormat::ALL.map(|format| Some(format.id()));
    for format in std::iter::once(None).chain(forced) {
        if let Ok(run) = inferplan::measure::import_benchmark(&text, format) {
            for point in &run.points {
                for stats in [&point.ttft_ms, &point.tpot_ms, &point.itl_ms, &point.e2e_ms] {
                    for value in [stats.mean, stats.p50, stats.p90, stats.p95, stats.p99].into_iter().flatten() {
                        assert!(value.is_finite() && value >= 0.0);
                    }
                }
            }
        }
    }
});
