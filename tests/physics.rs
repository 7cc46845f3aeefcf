//! The built-in factors obey the physics they stand for, whatever the data they were fitted on:
//! a GPU at least as good on every datasheet figure is never predicted slower, tensor
//! parallelism speeds up the decode of the models practitioners shard, and every prediction
//! carries an error band that says which case it is in and agrees with its SLO checks.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::config;
use inferplan::catalog::catalog;
use inferplan::domain::{Deployment, Precision, ServingEngine};
use inferplan::perf::{Batch, Calibration, CalibrationCase, CostModel};
use inferplan::predict::SloStatus;
use inferplan::{predict, Config, Scenario};
use proptest::prelude::*;

/// One iteration's seconds for `model` on `gpu` under the built-in factors of `engine`.
fn step_s(model: &str, gpu: &str, engine: ServingEngine, tp: u32, precision: Precision, batch: &Batch) -> f64 {
    let catalog = catalog();
    let model = catalog.models.iter().find(|m| m.id == model).unwrap();
    let gpu = &catalog.gpus.iter().find(|g| g.spec.id == gpu).unwrap().spec;
    let deployment = Deployment::with_engine_defaults(engine, tp, 1, precision);
    CostModel::new(model, gpu, &deployment, Calibration::built_in(gpu, engine)).step_time_s(batch)
}

fn batch(decode_seqs: f64, context: f64, prefill_tokens: f64) -> Batch {
    let mut batch = Batch::default();
    batch.add_decode(decode_seqs, decode_seqs * context);
    if prefill_tokens > 0.0 {
        batch.add_prefill_chunk(0.0, prefill_tokens, true);
    }
    batch
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn a_catalog_gpu_better_on_every_datasheet_figure_is_never_slower(
        model in prop::sample::select(vec!["Llama-3.1-8B", "Llama-3.1-70B", "Mixtral-8x7B", "Llama-3.1-405B"]),
        tp in prop::sample::select(vec![1u32, 2, 4, 8]),
        engine in prop::sample::select(ServingEngine::ALL.to_vec()),
        decode_seqs in 1.0f64..512.0,
        context in 16.0f64..8000.0,
        prefill_tokens in prop::sample::select(vec![0.0, 512.0, 8192.0]),
    ) {
        let gpus = &catalog().gpus;
        let work = batch(decode_seqs.round(), context, prefill_tokens);
        for faster in gpus {
            for slower in gpus {
                if !faster.spec.dominates(&slower.spec) {
                    continue;
                }
                for precision in Precision::ALL {
                    if !slower.spec.supports(precision) {
                        continue;
                    }
                    let fast_s = step_s(model, &faster.spec.id, engine, tp, precision, &work);
                    let slow_s = step_s(model, &slower.spec.id, engine, tp, precision, &work);
                    prop_assert!(
                        fast_s <= slow_s * (1.0 + 1e-9),
                        "{} ({fast_s:.6} s) slower than {} ({slow_s:.6} s): {model} TP{tp} {precision} {engine:?}",
                        faster.spec.id, slower.spec.id
                    );
                }
            }
        }
    }

    #[test]
    fn tensor_parallelism_speeds_up_the_decode_of_a_sharded_model(
        model in prop::sample::select(vec!["Llama-3.1-70B", "Llama-3.1-405B", "Mistral-Large-2407", "Qwen2.5-72B"]),
        gpu in prop::sample::select(vec!["H100-SXM", "H200-SXM", "B200-SXM", "MI300X", "A100-SXM-80GB"]),
        decode_seqs in 1.0f64..64.0,
        context in 100.0f64..4000.0,
    ) {
        // Links of NVLink class: each doubling of the degree halves the weights each GPU reads
        // and adds no all-reduce, so the decode step gets shorter.
        let engine = if gpu == "MI300X" { ServingEngine::Vllm } else { ServingEngine::TensorrtLlm };
        let work = batch(decode_seqs.round(), context, 0.0);
        let times: Vec<f64> = [2u32, 4, 8]
            .into_iter()
            .map(|tp| step_s(model, gpu, engine, tp, Precision::Bf16, &work))
            .collect();
        prop_assert!(times.windows(2).all(|pair| pair[1] < pair[0]), "{model} on {gpu}: TP2, TP4, TP8 steps {times:?}");
    }
}

#[test]
fn blackwell_decodes_a_70b_model_faster_than_hopper_at_every_degree() {
    // The inversion the thin FP4-only Blackwell data once caused: B200 slower than H100 at TP8.
    for tp in [1u32, 2, 4, 8] {
        for decode_seqs in [1.0, 8.0, 64.0] {
            let work = batch(decode_seqs, 1000.0, 0.0);
            let b200 = step_s(
                "Llama-3.1-70B",
                "B200-SXM",
                ServingEngine::Vllm,
                tp,
                Precision::Fp8,
                &work,
            );
            let h100 = step_s(
                "Llama-3.1-70B",
                "H100-SXM",
                ServingEngine::Vllm,
                tp,
                Precision::Fp8,
                &work,
            );
            assert!(b200 < h100, "TP{tp} batch {decode_seqs}: B200 {b200} s, H100 {h100} s");
        }
    }
}

fn scenario(gpu: &str, engine: &str, precision: &str, target_ms: f64) -> Scenario {
    Scenario::from_json(&format!(
        r#"{{ "useCase": "chat", "model": "Llama-3.1-70B", "fleet": {{ "gpu": {gpu}, "count": 8 }},
            "workload": {{ "load": {{ "requestsPerSecond": 2 }} }}, "engine": "{engine}", "precisions": ["{precision}"],
            "slo": {{ "metric": "ttft", "percentile": 95, "targetMs": {target_ms} }} }}"#
    ))
    .unwrap()
}

fn band_case(gpu: &str, engine: &str, precision: &str) -> CalibrationCase {
    let prediction = predict(
        &scenario(gpu, engine, precision, 2000.0),
        &Config::from_json(&format!(r#"{{ "tensorParallel": 4, "precision": "{precision}" }}"#)).unwrap(),
    )
    .unwrap();
    let band = &prediction.error_band;
    assert_eq!(band.coverage, 0.8);
    for r in [band.throughput, band.ttft, band.tpot, band.itl, band.e2e] {
        assert!(r.is_finite() && r > 0.0 && r < 2.0, "{band:?}");
    }
    band.calibration_source
}

#[test]
fn the_error_band_names_its_case() {
    // Hopper in fp8 on TensorRT-LLM: measured; Blackwell in fp8: no fp8 data; SGLang: too few
    // measurements; a custom GPU: no family at all.
    assert_eq!(
        band_case(r#""H100-SXM""#, "tensorrt-llm", "fp8"),
        CalibrationCase::Calibrated
    );
    assert_eq!(
        band_case(r#""B200-SXM""#, "tensorrt-llm", "fp8"),
        CalibrationCase::Extrapolated
    );
    assert_eq!(
        band_case(r#""H100-SXM""#, "sglang", "fp8"),
        CalibrationCase::Extrapolated
    );
    let custom =
        r#"{ "memoryGb": 96, "memoryBandwidthTbS": 4, "bf16Tflops": 900, "fp8Tflops": 1800, "interconnectGbS": 450 }"#;
    assert_eq!(band_case(custom, "vllm", "fp8"), CalibrationCase::Uncalibrated);
    // Wider where the prediction extrapolates.
    let ttft = |gpu: &str, engine: &str| {
        predict(
            &scenario(gpu, engine, "fp8", 2000.0),
            &Config::from_json(r#"{ "tensorParallel": 4 }"#).unwrap(),
        )
        .unwrap()
        .error_band
        .ttft
    };
    assert!(ttft(r#""B200-SXM""#, "tensorrt-llm") > ttft(r#""H100-SXM""#, "tensorrt-llm"));
}

#[test]
fn a_target_inside_the_error_band_is_at_risk() {
    // The same deployment (and seed) predicts the same p95 TTFT whatever the target: set the
    // target just above it (within the band), then far above the band's top.
    let config = Config::from_json(r#"{ "tensorParallel": 4, "precision": "fp8" }"#).unwrap();
    let at = |target_ms: f64| predict(&scenario(r#""H100-SXM""#, "vllm", "fp8", target_ms), &config).unwrap();
    let probe = at(5000.0);
    let achieved = probe.slos[0].achieved_ms.unwrap();
    let band = probe.error_band.ttft;
    let close = at(achieved * (1.0 + band / 2.0)).slos[0];
    assert!(close.met && close.status == SloStatus::AtRisk, "{close:?}");
    let [low, high] = close.band_ms.unwrap();
    assert!(low < close.target_ms && close.target_ms < high, "{close:?}");
    assert_eq!(at(achieved * (1.0 + band) * 1.5).slos[0].status, SloStatus::Meets);
    let missed = at(achieved / (1.0 + band) / 1.5).slos[0];
    assert!(!missed.met && missed.status == SloStatus::Misses, "{missed:?}");
}
