//! `make accuracy`: how close the model comes to the published measurements in the calibration
//! files (`measure::DATA_FILES`): with the built-in (committed) factors, and on data the factors
//! were not fitted on: grouped cross-validation refits the factors without one GPU, model, GPU
//! family or engine and predicts it. Then the error bands' cross-validated coverage. Rows that
//! cannot be modelled are listed with the reason.

use inferplan::measure::validate::{
    cross_validate, prepare_published, read_published, score, BandResiduals, Grouping, Scored,
};
use inferplan::measure::{MetricFamily, PreparedObservation};
use inferplan::perf::{Calibration, BAND_COVERAGE};
use inferplan::stats::median;
use std::collections::BTreeMap;

fn describe(s: &Scored) -> String {
    let o = &s.row.observation;
    let m = &o.measured[s.index];
    format!(
        "{}:{} {} {}x{} {} {} {}/{} {}: {:.4} vs {:.4} measured ({:+.1}%)",
        o.file.trim_start_matches("data/"),
        m.line,
        o.model.id,
        o.deployment.tensor_parallel,
        o.gpu.id,
        o.deployment.precision,
        o.deployment.engine.name(),
        o.prompt_tokens,
        o.output_tokens,
        m.metric.id(),
        s.predicted,
        m.value,
        (s.predicted / m.value - 1.0) * 100.0
    )
}

/// Prints rows grouped by `key`: count, median absolute % error, worst row.
fn table(title: &str, scored: &[Scored], key: impl Fn(&Scored) -> String) {
    println!("\n## {title}\n");
    println!("| {:<40} | {:>5} | {:>6} | worst row |", "group", "rows", "MdAPE");
    println!("|{}|-------|--------|-----------|", "-".repeat(42));
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
            "| {:<40} | {:>5} | {:>5.1}% | {} |",
            group,
            members.len(),
            median(&mut errors),
            describe(worst)
        );
    }
}

fn median_error(scored: &[&Scored]) -> String {
    if scored.is_empty() {
        return "     -".to_string();
    }
    let mut errors: Vec<f64> = scored.iter().map(|s| s.error_pct()).collect();
    format!("{:>5.1}%", median(&mut errors))
}

/// One line per metric family: the median error in sample and under each cross-validation.
fn summary(in_sample: &[Scored], folds: &[(Grouping, Vec<Scored>)]) {
    print!("\n| {:<10} | {:>6} | {:>9}", "metric", "values", "in-sample");
    for (grouping, _) in folds {
        print!(" | {:>18}", format!("leave one {} out", grouping.id()));
    }
    println!(" | target on unseen data |");
    print!("|------------|--------|----------");
    for _ in folds {
        print!("|--------------------");
    }
    println!("|------|");
    for family in MetricFamily::ALL {
        fn pick<'a, 'b>(scored: &'b [Scored<'a>], family: MetricFamily) -> Vec<&'b Scored<'a>> {
            scored.iter().filter(|s| s.metric_family() == family).collect()
        }
        let own = pick(in_sample, family);
        print!("| {:<10} | {:>6} | {:>9}", family.id(), own.len(), median_error(&own));
        for (_, scored) in folds {
            print!(" | {:>18}", median_error(&pick(scored, family)));
        }
        let target = match family {
            MetricFamily::Throughput => "<= 15%",
            MetricFamily::Ttft => "<= 25%",
            MetricFamily::Decode => "<= 20%",
            MetricFamily::E2e => "none set",
        };
        println!(" | {target} |");
    }
}

fn main() {
    let files = read_published().expect("calibration files");
    let total_rows: usize = files
        .iter()
        .map(|(_, text)| text.lines().count().saturating_sub(1))
        .sum();
    let (prepared, mut unmodellable) = prepare_published(&files).expect("calibration data parses");
    unmodellable.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    let rows: Vec<&PreparedObservation> = prepared.iter().collect();
    let values: usize = rows.iter().map(|row| row.observation.measured.len()).sum();

    println!("# inferplan accuracy against the calibration files\n");
    println!(
        "{total_rows} rows in {} files: {values} measured values of {} runs modelled, {} rows not. \
         Error = |predicted / measured - 1|; MdAPE = its median.",
        files.len(),
        rows.len(),
        unmodellable.len()
    );

    let built_in = score(&rows, |row| Calibration::built_in(&row.observation.gpu, row.engine()));
    let label = |s: &Scored| {
        let o = &s.row.observation;
        format!(
            "{} {} {}",
            o.deployment.engine.name(),
            o.gpu.id,
            o.measured[s.index].metric.family().id()
        )
    };
    table(
        "Built-in factors (src/perf/fitted.rs), by engine, GPU and metric",
        &built_in,
        label,
    );

    let folds: Vec<(Grouping, Vec<Scored>)> = [Grouping::Gpu, Grouping::Model, Grouping::Family, Grouping::Engine]
        .into_iter()
        .map(|grouping| (grouping, cross_validate(&rows, grouping)))
        .collect();
    for (grouping, scored) in &folds {
        table(
            &format!(
                "Leave one {} out: factors refitted without it, by engine, GPU and metric",
                grouping.id()
            ),
            scored,
            label,
        );
    }

    println!("\n## Summary: median absolute error per metric, in sample and on data left out of the fit");
    summary(&built_in, &folds);
    for (title, key) in [
        (
            "GPU family",
            Box::new(|s: &Scored| s.row.family().map_or("none", |f| f.id()).to_string())
                as Box<dyn Fn(&Scored) -> String>,
        ),
        ("engine", Box::new(|s: &Scored| s.row.engine().name().to_string())),
    ] {
        println!("\n### Leave one GPU out, by {title} and metric\n");
        let mut groups: BTreeMap<(String, MetricFamily), Vec<&Scored>> = BTreeMap::new();
        for s in &folds[0].1 {
            groups.entry((key(s), s.metric_family())).or_default().push(s);
        }
        for ((group, family), members) in groups {
            println!(
                "- {group} {}: {} over {} values",
                family.id(),
                median_error(&members).trim(),
                members.len()
            );
        }
    }

    let find = |grouping: Grouping| {
        folds
            .iter()
            .find(|(g, _)| *g == grouping)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    let residuals = BandResiduals::from_folds(find(Grouping::Model), find(Grouping::Family), find(Grouping::Engine));
    println!(
        "\n## Error bands: cross-validated coverage (stated {:.0}%; each group's values against the band the other groups give)\n",
        BAND_COVERAGE * 100.0
    );
    println!("| case | metric | inside | values | coverage |");
    println!("|------|--------|--------|--------|----------|");
    let mut inside_all = 0;
    let mut total_all = 0;
    for ((case, family), (inside, total)) in residuals.coverage() {
        inside_all += inside;
        total_all += total;
        println!(
            "| {case} | {} | {inside} | {total} | {:.1}% |",
            family.id(),
            inside as f64 / total.max(1) as f64 * 100.0
        );
    }
    println!(
        "\nAll bands together: {:.1}% of {total_all} values inside (stated {:.0}%).",
        inside_all as f64 / total_all.max(1) as f64 * 100.0,
        BAND_COVERAGE * 100.0
    );

    println!("\n## Rows that cannot be modelled\n");
    if unmodellable.is_empty() {
        println!("none");
    }
    let mut reasons: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for u in &unmodellable {
        reasons
            .entry(&u.reason)
            .or_default()
            .push(format!("{}:{}", u.file.trim_start_matches("data/"), u.line));
    }
    for (reason, lines) in reasons {
        println!("- {reason}: {} rows ({})", lines.len(), lines.join(", "));
    }
}
