//! `make accuracy`: how close the model comes to the published measurements in
//! data/calibration.csv, with the built-in (committed) calibration, and how it generalises:
//! leave-one-GPU-out and leave-one-model-out cross-validation refit the factors without the
//! held-out rows and predict them. Rows that cannot be modelled are listed with the reason.

use inferplan::measure::{abs_pct_error, load_published, FamilyFits, PreparedObservation};
use inferplan::perf::Calibration;
use inferplan::stats::median;
use std::collections::BTreeMap;

/// One predicted row.
struct Scored<'a> {
    row: &'a PreparedObservation,
    predicted: f64,
}

impl Scored<'_> {
    fn error_pct(&self) -> f64 {
        abs_pct_error(self.predicted, self.row.observation.value)
    }

    fn describe(&self) -> String {
        let o = &self.row.observation;
        format!(
            "line {} {} {}x{} {} {}/{}: {:.4} vs {:.4} measured ({:+.1}%)",
            o.line,
            o.model.id,
            o.deployment.tensor_parallel,
            o.gpu.id,
            o.deployment.precision,
            o.prompt_tokens,
            o.output_tokens,
            self.predicted,
            o.value,
            (self.predicted / o.value - 1.0) * 100.0
        )
    }
}

fn short_source(source: &str) -> &str {
    if source.contains("online") {
        "online v0.14"
    } else if source.contains("v1.0") {
        "offline v1.0"
    } else {
        "offline v0.17"
    }
}

/// Prints rows grouped by `key`: count, median absolute % error, worst row.
fn table(title: &str, scored: &[Scored], key: impl Fn(&Scored) -> String) {
    println!("\n## {title}\n");
    println!("| {:<44} | {:>4} | {:>6} | worst row |", "group", "rows", "MdAPE");
    println!("|{}|------|--------|-----------|", "-".repeat(46));
    let mut groups: BTreeMap<String, Vec<&Scored>> = BTreeMap::new();
    for s in scored {
        groups.entry(key(s)).or_default().push(s);
    }
    for (group, members) in groups {
        let mut errors: Vec<f64> = members.iter().map(|s| s.error_pct()).collect();
        let worst = members
            .iter()
            .max_by(|a, b| a.error_pct().total_cmp(&b.error_pct()))
            .expect("non-empty");
        println!(
            "| {:<44} | {:>4} | {:>5.1}% | {} |",
            group,
            members.len(),
            median(&mut errors),
            worst.describe()
        );
    }
}

fn summary_line(label: &str, scored: &[Scored], select: impl Fn(&Scored) -> bool, target: &str) {
    let mut errors: Vec<f64> = scored.iter().filter(|s| select(s)).map(Scored::error_pct).collect();
    println!(
        "- {label}: median absolute error {:.1}% over {} rows (target {target})",
        median(&mut errors),
        errors.len()
    );
}

fn is_offline_throughput(s: &Scored) -> bool {
    s.row.used_in_fit()
}

fn is_online_latency(s: &Scored) -> bool {
    s.row.observation.source.contains("online") && s.row.observation.metric.is_latency()
}

/// Predicts every row of `held_out(key)` with factors refitted on the other rows.
fn cross_validate<'a>(
    rows: &'a [PreparedObservation],
    key: impl Fn(&PreparedObservation) -> String,
) -> Vec<Scored<'a>> {
    let mut keys: Vec<String> = rows.iter().map(&key).collect();
    keys.sort();
    keys.dedup();
    let mut scored = Vec::new();
    for held_out in keys {
        let training: Vec<&PreparedObservation> = rows.iter().filter(|row| key(row) != held_out).collect();
        let fits = FamilyFits::fit(&training);
        for row in rows.iter().filter(|row| key(row) == held_out) {
            let calibration = fits.for_gpu(&row.observation.gpu);
            scored.push(Scored {
                row,
                predicted: row.predict(&calibration),
            });
        }
    }
    scored
}

fn main() {
    let text =
        std::fs::read_to_string("data/calibration.csv").expect("data/calibration.csv (run from the repository root)");
    let (observations, mut unmodellable) = load_published(&text).expect("calibration data parses");
    let total_rows = observations.len() + unmodellable.len();
    let mut rows = Vec::new();
    for observation in observations {
        let line = observation.line;
        match PreparedObservation::new(observation) {
            Ok(row) => rows.push(row),
            Err(reason) => unmodellable.push(inferplan::measure::Unmodellable { line, reason }),
        }
    }
    unmodellable.sort_by_key(|u| u.line);

    println!("# inferplan accuracy against data/calibration.csv\n");
    println!(
        "{} rows: {} modelled, {} not. Error = |predicted / measured - 1|; MdAPE = its median.",
        total_rows,
        rows.len(),
        unmodellable.len()
    );
    println!("Calibration factors are fitted on the offline-throughput rows only; online rows are never fitted.");

    let built_in: Vec<Scored> = rows
        .iter()
        .map(|row| Scored {
            row,
            predicted: row.predict(&Calibration::for_gpu(&row.observation.gpu)),
        })
        .collect();
    table(
        "Built-in calibration (src/perf/fitted.rs), by source, GPU and metric",
        &built_in,
        |s| {
            let o = &s.row.observation;
            format!("{} {} {}", short_source(&o.source), o.gpu.id, o.metric.id())
        },
    );

    let by_gpu = cross_validate(&rows, |row| row.observation.gpu.id.clone());
    table(
        "Leave-one-GPU-out: factors refitted without the GPU, by held-out GPU and metric",
        &by_gpu,
        |s| format!("{} {}", s.row.observation.gpu.id, s.row.observation.metric.id()),
    );

    let by_model = cross_validate(&rows, |row| row.observation.model.id.clone());
    table(
        "Leave-one-model-out: factors refitted without the model, by held-out model and metric",
        &by_model,
        |s| format!("{} {}", s.row.observation.model.id, s.row.observation.metric.id()),
    );

    println!("\n## Summary\n");
    summary_line(
        "offline output throughput, built-in",
        &built_in,
        is_offline_throughput,
        "<= 15%",
    );
    summary_line(
        "offline output throughput, leave-one-GPU-out",
        &by_gpu,
        is_offline_throughput,
        "<= 20%",
    );
    summary_line(
        "offline output throughput, leave-one-model-out",
        &by_model,
        is_offline_throughput,
        "none set",
    );
    summary_line(
        "online TTFT and ITL (held out), built-in",
        &built_in,
        is_online_latency,
        "<= 25%",
    );
    summary_line(
        "online TTFT and ITL, leave-one-GPU-out",
        &by_gpu,
        is_online_latency,
        "none set",
    );

    println!("\n## Rows that cannot be modelled\n");
    if unmodellable.is_empty() {
        println!("none");
    }
    for u in &unmodellable {
        println!("- line {}: {}", u.line, u.reason);
    }
}
