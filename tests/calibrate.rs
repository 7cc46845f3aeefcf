//! Calibrating to a measured sweep: fitted on the low-rate levels, the model predicts the
//! highest-rate level it never saw.

use inferplan::calibrate;
use inferplan::measure::{import_benchmark, MeasuredRun};
use inferplan::{predict, Config, Scenario};

fn guidellm_sweep() -> MeasuredRun {
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/samples/guidellm-constant-rates.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    import_benchmark(&text, None).unwrap()
}

/// The sample files come from a test server with at most 64 running requests; we describe it
/// as an 8B model on one GPU and let the fit find its speed. GuideLLM's "constant" rate sends
/// evenly spaced requests: the largest burstiness (vLLM's gamma shape), all but constant gaps.
fn scenario(rate: f64, measured: Option<&MeasuredRun>) -> Scenario {
    let measured = measured.map_or(String::new(), |run| {
        format!(
            r#", "measured": {{ "config": {{ "maxBatch": 64 }}, "runs": [{}] }}"#,
            serde_json::to_string(run).unwrap()
        )
    });
    Scenario::from_json(&format!(
        r#"{{ "model": "Llama-3.1-8B", "fleet": {{ "gpu": "H100-SXM", "count": 1 }},
             "workload": {{ "promptTokens": 200, "outputTokens": 64, "load": {{ "requestsPerSecond": {rate}, "burstiness": 1000000 }} }}
             {measured} }}"#
    ))
    .unwrap()
}

#[test]
fn a_sweep_at_low_rates_predicts_the_highest_rate_it_never_saw() {
    let sweep = guidellm_sweep();
    let held_out = sweep.points[3].clone();
    assert_eq!(held_out.offered.requests_per_second, Some(20.0));
    let low_rates = MeasuredRun {
        points: sweep.points[..3].to_vec(),
        ..sweep
    };
    let report = calibrate(&scenario(20.0, Some(&low_rates))).unwrap();
    assert!(
        report.median_abs_error_pct < report.built_in_median_abs_error_pct,
        "{report:?}"
    );

    let config = Config::from_json(r#"{ "maxBatch": 64 }"#).unwrap();
    let calibrated = predict(&scenario(20.0, Some(&low_rates)), &config).unwrap();
    let built_in = predict(&scenario(20.0, None), &config).unwrap();
    let error = |predicted: f64, measured: f64| (predicted / measured - 1.0).abs() * 100.0;
    let ttft_error = error(calibrated.ttft_ms.unwrap().p95, held_out.ttft_ms.p95.unwrap());
    let itl_error = error(calibrated.itl_ms.unwrap().mean, held_out.itl_ms.mean.unwrap());
    let throughput_error = error(calibrated.requests_per_second, held_out.requests_per_second.unwrap());
    let built_in_ttft_error = error(built_in.ttft_ms.unwrap().p95, held_out.ttft_ms.p95.unwrap());
    println!(
        "20 req/s held out: p95 TTFT error {ttft_error:.1}% (built-in {built_in_ttft_error:.1}%), \
         mean ITL error {itl_error:.1}%, throughput error {throughput_error:.1}%"
    );
    assert!(
        calibrated.calibration_source.starts_with("fitted to"),
        "{}",
        calibrated.calibration_source
    );
    // Stated error bounds for this sweep (measured by this test, see the README).
    assert!(ttft_error < 15.0, "p95 TTFT error {ttft_error:.1}%");
    assert!(itl_error < 15.0, "ITL error {itl_error:.1}%");
    assert!(throughput_error < 5.0, "throughput error {throughput_error:.1}%");
}

#[test]
fn calibrate_needs_measurements_and_says_what_it_could_not_use() {
    let error = calibrate(&scenario(5.0, None)).unwrap_err();
    assert_eq!(error.field(), "measured");
    let mut unusable = guidellm_sweep();
    for point in &mut unusable.points {
        point.offered = Default::default();
    }
    let error = calibrate(&scenario(5.0, Some(&unusable))).unwrap_err();
    assert_eq!(error.field(), "measured.runs");
    assert!(error.to_string().contains("does not say the offered rate"), "{error}");
}

/// The scenario with `measured` and also explicit factors.
fn with_given_factors(scenario: &Scenario) -> Scenario {
    let given = inferplan::perf::Calibration {
        memory_efficiency: 0.5,
        compute_efficiency: 0.4,
        allreduce_latency_us: 20.0,
        interconnect_efficiency: 0.5,
        step_overhead_ms: 5.0,
        layer_overhead_us: 0.0,
        unoverlapped_fraction: 0.0,
    };
    Scenario {
        calibration: Some(given),
        ..scenario.clone()
    }
}

#[test]
fn given_factors_win_over_measurements_in_predictions() {
    let sweep = guidellm_sweep();
    let both = with_given_factors(&scenario(10.0, Some(&sweep)));
    let prediction = predict(&both, &Config::default()).unwrap();
    assert_eq!(prediction.calibration_source, "given in the scenario");
    assert_eq!(Some(prediction.calibration), both.calibration);
}

#[test]
fn calibrate_fits_from_the_built_in_factors_whatever_the_scenario_gives() {
    let sweep = guidellm_sweep();
    let measured = scenario(10.0, Some(&sweep));
    let fitted = calibrate(&measured).unwrap();
    assert_eq!(calibrate(&with_given_factors(&measured)).unwrap(), fitted);
    // And the fitted factors, passed back as given ones, answer as the measurements did.
    let refitted = Scenario {
        measured: None,
        calibration: Some(fitted.calibration),
        ..measured.clone()
    };
    let from_measurements = predict(&measured, &Config::default()).unwrap();
    let from_factors = predict(&refitted, &Config::default()).unwrap();
    assert_eq!(from_factors.ttft_ms, from_measurements.ttft_ms);
    assert_eq!(from_factors.calibration, from_measurements.calibration);
}

#[test]
fn measurements_too_costly_to_fit_are_refused_and_a_shortened_fit_says_so() {
    // Each level a closed loop of 20,000 users: simulating them once is past what a fit may spend.
    let sweep = guidellm_sweep();
    let mut costly = sweep.clone();
    for point in &mut costly.points {
        point.offered.requests_per_second = None;
        point.offered.concurrency = Some(20_000.0);
        point.completed = 1_000_000;
    }
    let error = calibrate(&scenario(5.0, Some(&costly))).unwrap_err();
    assert_eq!(error.field(), "measured.runs");
    assert!(
        error.to_string().contains("fewer requests or users per point"),
        "{error}"
    );
    // The worst case the limits allow fits, in fewer evaluations, and the report says so.
    let worst = Scenario::from_json(include_str!("../examples/worst-case/calibrate.json")).unwrap();
    let report = calibrate(&worst).unwrap();
    let note = report.note.expect("a shortened fit is noted");
    assert!(note.contains("of its 300 evaluations"), "{note}");
    // An ordinary sweep runs them all.
    assert_eq!(calibrate(&scenario(5.0, Some(&sweep))).unwrap().note, None);
}
