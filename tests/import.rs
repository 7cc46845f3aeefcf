//! Benchmark files import into one shape, and the imported statistics are the tool's own.

use inferplan::measure::{import_benchmark, sweep, MeasuredRun};
use inferplan::stats::PercentileInterval;

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/samples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn import(name: &str) -> MeasuredRun {
    import_benchmark(&sample(name), None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&sample(name)).unwrap()
}

fn close(a: Option<f64>, b: f64, tolerance: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() <= tolerance * b.abs().max(1e-9), "{a} vs {b}");
}

/// numpy.percentile with linear interpolation.
fn numpy_percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    inferplan::stats::percentile_of_sorted(&sorted, p)
}

#[test]
fn vllm_detailed_file_matches_its_own_summary() {
    let run = import("vllm-bench-serve-rate5-detailed.json");
    let file = json("vllm-bench-serve-rate5-detailed.json");
    assert_eq!(run.tool, "vllm");
    let point = &run.points[0];
    assert_eq!(point.completed, 200);
    assert_eq!(point.failed, 0);
    close(
        point.requests_per_second,
        file["request_throughput"].as_f64().unwrap(),
        1e-12,
    );
    close(
        point.output_tokens_per_second,
        file["output_throughput"].as_f64().unwrap(),
        1e-12,
    );
    for (stats, key) in [
        (&point.ttft_ms, "ttft"),
        (&point.tpot_ms, "tpot"),
        (&point.itl_ms, "itl"),
        (&point.e2e_ms, "e2el"),
    ] {
        for p in ["p50", "p90", "p95", "p99"] {
            let reported = file[format!("{p}_{key}_ms")].as_f64().unwrap();
            close(stats.at(p[1..].parse().unwrap()), reported, 1e-12);
        }
        close(stats.mean, file[format!("mean_{key}_ms")].as_f64().unwrap(), 1e-12);
    }
    // The per-request arrays reproduce the summary (vLLM uses numpy's linear percentiles).
    let samples = point.samples.as_ref().expect("detailed arrays");
    for (values, key) in [
        (&samples.ttft_ms, "ttft"),
        (&samples.e2e_ms, "e2el"),
        (&samples.tpot_ms, "tpot"),
    ] {
        for p in [50.0, 90.0, 95.0, 99.0] {
            let reported = file[format!("p{p}_{key}_ms")].as_f64().unwrap();
            assert!(
                (numpy_percentile(values, p) - reported).abs() < 1e-6 * reported,
                "{key} p{p}"
            );
        }
    }
    // And give order-statistic intervals around the percentiles.
    match point.ttft_ms.intervals.as_ref().unwrap().p95 {
        PercentileInterval::Bounds { lower, upper } => {
            let p95 = point.ttft_ms.p95.unwrap();
            assert!(lower <= p95 && p95 <= upper, "{lower} {p95} {upper}");
        }
        other => panic!("{other:?}"),
    }
    // 200 samples are too few for a distribution-free 95% interval on the p99.
    assert!(matches!(
        point.ttft_ms.intervals.as_ref().unwrap().p99,
        PercentileInterval::Insufficient(_)
    ));
}

#[test]
fn guidellm_json_gives_one_point_per_benchmark_with_its_own_statistics() {
    let run = import("guidellm-constant-rates.json");
    let file = json("guidellm-constant-rates.json");
    assert_eq!(run.tool_version.as_deref(), Some("0.8.1"));
    assert_eq!(run.points.len(), 4);
    let rates: Vec<f64> = run
        .points
        .iter()
        .map(|p| p.offered.requests_per_second.unwrap())
        .collect();
    assert_eq!(rates, [2.0, 5.0, 10.0, 20.0]);
    for (point, benchmark) in run.points.iter().zip(file["benchmarks"].as_array().unwrap()) {
        let metrics = &benchmark["metrics"];
        let ttft = &metrics["time_to_first_token_ms"]["successful"];
        close(point.ttft_ms.p95, ttft["percentiles"]["p95"].as_f64().unwrap(), 1e-12);
        close(point.ttft_ms.mean, ttft["mean"].as_f64().unwrap(), 1e-12);
        let latency = &metrics["request_latency"]["successful"];
        close(
            point.e2e_ms.p99,
            latency["percentiles"]["p99"].as_f64().unwrap() * 1e3,
            1e-12,
        );
        assert_eq!(
            point.completed,
            metrics["request_totals"]["successful"].as_u64().unwrap()
        );
    }
}

#[test]
fn guidellm_csv_agrees_with_its_json() {
    let from_csv = import("guidellm-constant-rates.csv");
    let from_json = import("guidellm-constant-rates.json");
    assert_eq!(from_csv.points.len(), from_json.points.len());
    for (a, b) in from_csv.points.iter().zip(&from_json.points) {
        assert_eq!(a.offered.requests_per_second, b.offered.requests_per_second);
        assert_eq!(a.completed, b.completed);
        for (x, y) in [
            (&a.ttft_ms, &b.ttft_ms),
            (&a.itl_ms, &b.itl_ms),
            (&a.tpot_ms, &b.tpot_ms),
            (&a.e2e_ms, &b.e2e_ms),
        ] {
            for p in [50.0, 90.0, 95.0, 99.0] {
                close(x.at(p), y.at(p).unwrap(), 1e-9);
            }
        }
    }
}

#[test]
fn aiperf_json_csv_and_records_agree() {
    let from_json = import("aiperf-concurrency16-summary.json");
    let file = json("aiperf-concurrency16-summary.json");
    let point = &from_json.points[0];
    assert_eq!(from_json.tool_version.as_deref(), Some("0.13.0"));
    assert_eq!(point.offered.concurrency, Some(16.0));
    close(
        point.ttft_ms.p95,
        file["time_to_first_token"]["p95"].as_f64().unwrap(),
        1e-12,
    );
    close(
        point.tpot_ms.p99,
        file["inter_token_latency"]["p99"].as_f64().unwrap(),
        1e-12,
    );
    close(
        point.requests_per_second,
        file["request_throughput"]["avg"].as_f64().unwrap(),
        1e-12,
    );
    assert!(
        from_json.notes.iter().any(|n| n.contains("usage_prompt_tokens")),
        "{:?}",
        from_json.notes
    );
    // The CSV rounds to two decimals.
    let from_csv = import("aiperf-concurrency16-summary.csv");
    for (a, b) in [
        (&from_csv.points[0].ttft_ms, &point.ttft_ms),
        (&from_csv.points[0].e2e_ms, &point.e2e_ms),
    ] {
        for p in [50.0, 90.0, 95.0, 99.0] {
            assert!((a.at(p).unwrap() - b.at(p).unwrap()).abs() <= 0.006, "p{p}");
        }
    }
    assert_eq!(from_csv.points[0].completed, 400);
    let records = import("aiperf-concurrency16-records-first100.jsonl");
    assert_eq!(records.points[0].completed, 100);
    assert_eq!(records.points[0].samples.as_ref().unwrap().ttft_ms.len(), 100);
}

#[test]
fn a_run_with_failed_requests_counts_them_and_leaves_them_out() {
    let mut file = json("vllm-bench-serve-rate5-detailed.json");
    file["completed"] = 198.into();
    file["failed"] = 2.into();
    file["errors"][3] = "timeout".into();
    file["errors"][7] = "HTTP 500".into();
    let run = import_benchmark(&file.to_string(), None).unwrap();
    let point = &run.points[0];
    assert_eq!((point.completed, point.failed), (198, 2));
    assert_eq!(point.samples.as_ref().unwrap().ttft_ms.len(), 198);
}

#[test]
fn several_files_form_a_sweep_in_the_order_given() {
    let run = sweep(vec![
        import("vllm-bench-serve-rate5-detailed.json"),
        import("guidellm-constant-rates.json"),
    ]);
    let rates: Vec<f64> = run
        .points
        .iter()
        .filter_map(|p| p.offered.requests_per_second)
        .collect();
    assert_eq!(rates, [5.0, 2.0, 5.0, 10.0, 20.0]);
    assert_eq!(run.tool, "vllm+guidellm");
}

#[test]
fn llmperf_summary_reads_its_flattened_fields() {
    let summary = r#"{ "version": "2023-08-31", "name": "llama_550_150_summary", "model": "meta-llama/Llama-2-7b-chat-hf",
        "mean_input_tokens": 550, "mean_output_tokens": 150, "num_concurrent_requests": 10,
        "results_ttft_s_quantiles_p50": 0.21, "results_ttft_s_quantiles_p90": 0.35, "results_ttft_s_quantiles_p95": 0.41,
        "results_ttft_s_quantiles_p99": 0.62, "results_ttft_s_mean": 0.24,
        "results_inter_token_latency_s_quantiles_p95": 0.031, "results_inter_token_latency_s_mean": 0.025,
        "results_end_to_end_latency_s_quantiles_p95": 4.9, "results_end_to_end_latency_s_mean": 3.8,
        "results_number_input_tokens_mean": 551.2, "results_number_output_tokens_mean": 149.0,
        "results_num_requests_started": 102, "results_error_rate": 0.0196, "results_number_errors": 2,
        "results_mean_output_throughput_token_per_s": 392.1, "results_num_completed_requests": 100,
        "results_num_completed_requests_per_min": 158.4 }"#;
    let run = import_benchmark(summary, None).unwrap();
    let point = &run.points[0];
    assert_eq!(run.tool, "llmperf");
    assert_eq!((point.completed, point.failed), (100, 2));
    close(point.ttft_ms.p95, 410.0, 1e-12);
    close(point.tpot_ms.mean, 25.0, 1e-12);
    close(point.requests_per_second, 158.4 / 60.0, 1e-12);
    assert_eq!(point.offered.concurrency, Some(10.0));
}

#[test]
fn plain_csv_per_request_and_per_level() {
    let per_request = "request_id,ttft_ms,e2e_s,output_tokens,start_time,end_time,error\n\
                       1,120,2.0,100,0,2.0,\n2,80,1.5,90,0.5,2.0,\n3,300,4.0,100,1.0,5.0,\n4,90,1.0,50,1.5,2.5,timeout\n";
    let run = import_benchmark(per_request, None).unwrap();
    let point = &run.points[0];
    assert_eq!((point.completed, point.failed), (3, 1));
    close(point.e2e_ms.p50, 2000.0, 1e-12);
    close(point.requests_per_second, 3.0 / 5.0, 1e-12);
    let per_level = "request_rate,request_throughput,output_throughput,ttft_p95_ms,p99_e2e_s,mean_tpot_ms\n\
                     1,0.99,150,120,2.5,21\n4,3.9,590,180,3.1,24\n";
    let run = import_benchmark(per_level, None).unwrap();
    assert_eq!(run.points.len(), 2);
    close(run.points[1].e2e_ms.p99, 3100.0, 1e-12);
    close(run.points[1].tpot_ms.mean, 24.0, 1e-12);
    assert_eq!(run.points[1].offered.requests_per_second, Some(4.0));
}

#[test]
fn malformed_and_truncated_files_say_what_was_expected() {
    let vllm = sample("vllm-bench-serve-rate5-detailed.json");
    let truncated = import_benchmark(&vllm[..vllm.len() / 2], None).unwrap_err().to_string();
    assert!(truncated.starts_with("text: not valid JSON"), "{truncated}");
    let unknown = import_benchmark(r#"{ "hello": "world" }"#, None)
        .unwrap_err()
        .to_string();
    assert!(
        unknown.contains("not a known benchmark format") && unknown.contains("GuideLLM"),
        "{unknown}"
    );
    let missing = import_benchmark(r#"{ "request_throughput": 3, "mean_ttft_ms": 20 }"#, None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        missing,
        "text: vLLM bench serve JSON: `completed` must be a positive request count"
    );
    // A negative count, and a run that completed nothing, measured nothing.
    for completed in ["-5", "0", "2.5"] {
        let text = format!(r#"{{ "completed": {completed}, "request_throughput": 3, "mean_ttft_ms": 20 }}"#);
        let error = import_benchmark(&text, None).unwrap_err().to_string();
        assert!(
            error.contains("`completed` must be a positive request count"),
            "{completed}: {error}"
        );
    }
    // A GuideLLM CSV cut in the middle of a row is refused, not read as fewer points.
    let guidellm = sample("guidellm-constant-rates.csv");
    let cut = &guidellm[..guidellm.len() / 2];
    let error = import_benchmark(cut, None).unwrap_err().to_string();
    assert!(error.contains("cut short"), "{error}");
    // JSON lines of a single record are still AIPerf's records export.
    let records = sample("aiperf-concurrency16-records-first100.jsonl");
    let one = records.lines().next().unwrap();
    let run = import_benchmark(one, None).unwrap();
    assert_eq!(run.tool, import_benchmark(&records, None).unwrap().tool);
    // A per-request sample that is not a finite number is refused, not carried into the run.
    let detailed = sample("vllm-bench-serve-rate5-detailed.json");
    let start = detailed.find("\"ttfts\": [").unwrap() + "\"ttfts\": [".len();
    let end = start + detailed[start..].find(',').unwrap();
    let poisoned = format!("{}-1.0{}", &detailed[..start], &detailed[end..]);
    let error = import_benchmark(&poisoned, None).unwrap_err().to_string();
    assert!(
        error.contains("not a finite non-negative number") || error.contains("per-request"),
        "{error}"
    );
    let no_unit = import_benchmark("ttft,e2e\n1,2\n", None).unwrap_err().to_string();
    assert!(
        no_unit.contains("column ttft") && no_unit.contains("ttft_ms"),
        "{no_unit}"
    );
    let negative = import_benchmark("request_rate,ttft_p95_ms\n1,-5\n", None)
        .unwrap_err()
        .to_string();
    assert!(negative.contains("finite non-negative"), "{negative}");
    let text_cell = import_benchmark("ttft_ms,e2e_ms\nfast,2\n", None)
        .unwrap_err()
        .to_string();
    assert!(
        text_cell.contains("line 2, column ttft_ms") && text_cell.contains("\"fast\""),
        "{text_cell}"
    );
    let empty = import_benchmark("   ", None).unwrap_err();
    assert_eq!(empty.field(), "text");
    let bad_format = import_benchmark(&vllm, Some("nsight")).unwrap_err();
    assert_eq!(bad_format.field(), "options.format");
    let truncated_csv = sample("guidellm-constant-rates.csv")
        .lines()
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(import_benchmark(&truncated_csv, None).is_err());
}

#[test]
fn each_sample_names_its_layout_and_its_format_option_reads_it_the_same() {
    let directory = format!("{}/tests/data/samples", env!("CARGO_MANIFEST_DIR"));
    let samples: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "README.md")
        .collect();
    assert!(samples.len() >= 6, "{samples:?}");
    for name in &samples {
        let detected = import(name);
        let layout = inferplan::measure::FileLayout::ALL
            .into_iter()
            .find(|layout| layout.id() == detected.format)
            .unwrap_or_else(|| panic!("{name}: {} is not a layout", detected.format));
        let forced = import_benchmark(&sample(name), Some(layout.format().id())).unwrap();
        assert_eq!(forced, detected, "{name}");
    }
}

#[test]
fn forcing_another_format_is_an_error_never_empty_points() {
    let directory = format!("{}/tests/data/samples", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(directory).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "README.md" {
            continue;
        }
        let detected = import(&name);
        for format in inferplan::domain::BenchmarkFormat::ALL {
            let forced = import_benchmark(&sample(&name), Some(format.id()));
            match forced {
                Ok(run) => assert_eq!(run, detected, "{name} read as {}", format.id()),
                Err(error) => assert_eq!(error.field(), "text", "{name} as {}: {error}", format.id()),
            }
        }
    }
}

#[test]
fn summaries_and_records_cut_short_are_refused() {
    // An AIPerf summary CSV cut inside its table of distributions.
    let csv = sample("aiperf-concurrency16-summary.csv");
    let cut = &csv[..csv.len() / 3];
    let cut = &cut[..cut.rfind(',').unwrap()];
    let error = import_benchmark(cut, None).unwrap_err().to_string();
    assert!(error.contains("cut short"), "{error}");
    // ... or before its totals: no request count.
    let before_totals = &csv[..csv.find("\nMetric,Value").unwrap()];
    let error = import_benchmark(before_totals, None).unwrap_err().to_string();
    assert!(error.contains("Request Count"), "{error}");
    // AIPerf records cut inside a record.
    let records = sample("aiperf-concurrency16-records-first100.jsonl");
    let error = import_benchmark(&records[..records.len() / 2], None)
        .unwrap_err()
        .to_string();
    assert!(error.contains("is not valid JSON"), "{error}");
}

#[test]
fn a_vllm_run_that_completed_nothing_is_refused_with_its_arrays() {
    let mut run = json("vllm-bench-serve-rate5-detailed.json");
    run["completed"] = 0.into();
    let error = import_benchmark(&run.to_string(), None).unwrap_err().to_string();
    assert!(
        error.contains("`completed` must be a positive request count"),
        "{error}"
    );
}

#[test]
fn files_past_the_limits_are_refused_naming_the_limit() {
    use inferplan::measure::{MAX_DOCUMENT_BYTES, MAX_POINTS};
    // More load levels than a sweep has, as CSV rows and as GuideLLM benchmarks.
    let mut levels = String::from("request_rate,ttft_p95_ms\n");
    for level in 0..=MAX_POINTS {
        levels.push_str(&format!("{},{}\n", level + 1, 100 + level));
    }
    let error = import_benchmark(&levels, None).unwrap_err();
    assert_eq!(error.field(), "text");
    assert!(error.to_string().contains("at most 1000 load levels"), "{error}");
    let mut guidellm = json("guidellm-constant-rates.json");
    let benchmark = serde_json::json!({ "metrics": {} });
    guidellm["benchmarks"] = serde_json::Value::Array(vec![benchmark; MAX_POINTS + 1]);
    let error = import_benchmark(&guidellm.to_string(), None).unwrap_err().to_string();
    assert!(error.contains("at most 1000 benchmarks"), "{error}");
    // One JSON document past 32 MiB (JSON lines may be larger: they are read a line at a time).
    let mut vllm = json("vllm-bench-serve-rate5-detailed.json");
    vllm["padding"] = "x".repeat(MAX_DOCUMENT_BYTES).into();
    let error = import_benchmark(&vllm.to_string(), None).unwrap_err().to_string();
    assert!(error.contains("JSON document of at most 33554432 bytes"), "{error}");
    // More per-request entries than a file may hold.
    let mut requests = String::from("ttft_ms,e2e_ms\n");
    for _ in 0..=inferplan::measure::MAX_RECORDS {
        requests.push_str("1,2\n");
    }
    let error = import_benchmark(&requests, None).unwrap_err().to_string();
    assert!(error.contains("at most 1000000 rows"), "{error}");
}

#[test]
fn long_texts_in_a_file_are_not_kept_and_change_nothing() {
    // A vLLM file with its generated texts 100 times longer reads the same.
    let mut run = json("vllm-bench-serve-rate5-detailed.json");
    let plain = import_benchmark(&run.to_string(), None).unwrap();
    for text in run["generated_texts"].as_array_mut().unwrap() {
        *text = text.as_str().unwrap().repeat(100).into();
    }
    assert_eq!(import_benchmark(&run.to_string(), None).unwrap(), plain);
}
