//! How well the built-in factors predict data they were not fitted on, and the error bands that
//! follow from it (ARCHITECTURE.md, "Accuracy and error bands").
//!
//! Grouped cross-validation refits the factors without one group (a GPU, a model, a GPU family,
//! an engine) and predicts that group's measurements. The residuals of leaving out a model are
//! what a prediction for a calibrated GPU family and engine can expect; those of leaving out a
//! whole family or engine are what an extrapolated one can. An error band is a quantile of the
//! relevant |log residual|, at the level whose bands, read from all groups but one, cover 80% of
//! the group left out (cross-conformal); its coverage is checked the same way, on groups the
//! band setting never saw.

use super::fit::{FamilyFits, PreparedObservation};
use super::published::MetricFamily;
use crate::catalog::GpuFamily;
use crate::perf::{Calibration, CalibrationCase, ErrorBands, BAND_COVERAGE};
use crate::stats::percentile_of_sorted;
use std::collections::BTreeMap;

/// One measured value and its prediction.
#[derive(Clone, Copy)]
pub struct Scored<'a> {
    pub row: &'a PreparedObservation,
    /// Which of the run's measured values.
    pub index: usize,
    pub predicted: f64,
}

impl Scored<'_> {
    pub fn measured(&self) -> f64 {
        self.row.observation.measured[self.index].value
    }

    pub fn metric_family(&self) -> MetricFamily {
        self.row.observation.measured[self.index].metric.family()
    }

    /// |predicted / measured - 1| in percent.
    pub fn error_pct(&self) -> f64 {
        super::fit::abs_pct_error(self.predicted, self.measured())
    }

    /// |ln(predicted / measured)|.
    pub fn log_error(&self) -> f64 {
        super::fit::abs_log_error(self.predicted, self.measured())
    }
}

/// Every measured value of `rows`, predicted under the factors `calibration_of` gives each run.
pub fn score<'a>(
    rows: &[&'a PreparedObservation],
    calibration_of: impl Fn(&PreparedObservation) -> Calibration,
) -> Vec<Scored<'a>> {
    rows.iter()
        .flat_map(|row| {
            let predicted = row.predict(&calibration_of(row));
            predicted
                .into_iter()
                .enumerate()
                .map(move |(index, predicted)| Scored { row, index, predicted })
        })
        .collect()
}

/// What a cross-validation leaves out, one group at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Gpu,
    Model,
    Family,
    Engine,
}

impl Grouping {
    pub fn id(self) -> &'static str {
        match self {
            Grouping::Gpu => "GPU",
            Grouping::Model => "model",
            Grouping::Family => "GPU family",
            Grouping::Engine => "engine",
        }
    }

    pub fn key(self, row: &PreparedObservation) -> String {
        let o = &row.observation;
        match self {
            Grouping::Gpu => o.gpu.id.clone(),
            Grouping::Model => o.model.id.clone(),
            Grouping::Family => o.gpu.family.map_or("none", GpuFamily::id).to_string(),
            Grouping::Engine => row.engine().name().to_string(),
        }
    }
}

/// Predicts each group of `rows` with factors refitted on the other groups. The folds run on
/// two threads (each fit is independent).
pub fn cross_validate<'a>(rows: &[&'a PreparedObservation], grouping: Grouping) -> Vec<Scored<'a>> {
    let mut keys: Vec<String> = rows.iter().map(|row| grouping.key(row)).collect();
    keys.sort();
    keys.dedup();
    let fold = |held_out: &String| {
        let training: Vec<&PreparedObservation> = rows
            .iter()
            .copied()
            .filter(|row| grouping.key(row) != *held_out)
            .collect();
        let tested: Vec<&PreparedObservation> = rows
            .iter()
            .copied()
            .filter(|row| grouping.key(row) == *held_out)
            .collect();
        let fits = FamilyFits::fit(&training);
        score(&tested, |row| fits.for_run(&row.observation.gpu, row.engine()))
    };
    let (first, second): (Vec<&String>, Vec<&String>) = (
        keys.iter().step_by(2).collect(),
        keys.iter().skip(1).step_by(2).collect(),
    );
    std::thread::scope(|scope| {
        let other = scope.spawn(|| second.iter().flat_map(|key| fold(key)).collect::<Vec<_>>());
        let mut scored: Vec<Scored> = first.iter().flat_map(|key| fold(key)).collect();
        scored.extend(other.join().expect("a cross-validation fold panicked"));
        scored
    })
}

/// Fewest residuals a band is read from; thinner sets fall back to the case's residuals of
/// every metric together.
const MIN_BAND_RESIDUALS: usize = 20;

/// One residual for band setting: its group (what a cross-validation leaves out together) and
/// its |log error|.
type Residual = (String, f64);

/// The `level` quantile of `|log residual|`s as a relative factor r: exp(q) - 1.
fn band_at(residuals: &[Residual], level: f64) -> f64 {
    let mut errors: Vec<f64> = residuals.iter().map(|(_, e)| *e).collect();
    errors.sort_unstable_by(f64::total_cmp);
    libm::exp(percentile_of_sorted(&errors, level * 100.0)) - 1.0
}

/// Quantile levels tried for a band, from the stated coverage up.
fn levels() -> impl Iterator<Item = f64> {
    (0..=19).map(|step| BAND_COVERAGE + f64::from(step) * 0.01)
}

/// Groups' values inside the band read at `level` from the other groups' residuals, and all.
fn held_out_coverage(residuals: &[Residual], level: f64) -> (usize, usize) {
    let mut groups: Vec<&String> = residuals.iter().map(|(g, _)| g).collect();
    groups.sort();
    groups.dedup();
    let mut inside = 0;
    let mut total = 0;
    for group in groups {
        let others: Vec<Residual> = residuals.iter().filter(|(g, _)| g != group).cloned().collect();
        if others.is_empty() {
            continue;
        }
        let limit = libm::log(1.0 + band_at(&others, level));
        for (_, error) in residuals.iter().filter(|(g, _)| g == group) {
            total += 1;
            inside += usize::from(*error <= limit);
        }
    }
    (inside, total)
}

/// The band of a set of residuals: the quantile whose level is the lowest at which bands read
/// from all groups but one cover the stated share of the left-out group's values. The errors of
/// a new model or family are not those of the ones fitted; choosing the level by leaving groups
/// out makes the band hold for a group it has not seen (a cross-conformal band).
fn band_of(residuals: &[Residual]) -> f64 {
    let level = levels()
        .find(|level| {
            let (inside, total) = held_out_coverage(residuals, *level);
            total == 0 || inside as f64 >= BAND_COVERAGE * total as f64
        })
        .unwrap_or(0.99);
    band_at(residuals, level)
}

/// The bands of one set of scored values: per metric family where it has enough of them, else
/// `fallback`'s band for that metric (a wider set's), else from all of them together.
fn bands_of(scored: &[&Scored], grouping: Grouping, fallback: Option<&ErrorBands>) -> Option<ErrorBands> {
    if scored.len() < MIN_BAND_RESIDUALS {
        return None;
    }
    let residuals = |family: Option<MetricFamily>| -> Vec<Residual> {
        scored
            .iter()
            .filter(|s| family.is_none_or(|f| s.metric_family() == f))
            .map(|s| (grouping.key(s.row), s.log_error()))
            .collect()
    };
    let overall = band_of(&residuals(None));
    let metric = |family: MetricFamily| {
        let own = residuals(Some(family));
        if own.len() >= MIN_BAND_RESIDUALS {
            band_of(&own)
        } else {
            fallback.map_or(overall, |bands| band_for(bands, family))
        }
    };
    Some(ErrorBands {
        throughput: metric(MetricFamily::Throughput),
        ttft: metric(MetricFamily::Ttft),
        decode: metric(MetricFamily::Decode),
        e2e: metric(MetricFamily::E2e),
    })
}

fn band_for(bands: &ErrorBands, family: MetricFamily) -> f64 {
    match family {
        MetricFamily::Throughput => bands.throughput,
        MetricFamily::Ttft => bands.ttft,
        MetricFamily::Decode => bands.decode,
        MetricFamily::E2e => bands.e2e,
    }
}

/// The residuals each case's band is read from.
pub struct BandResiduals<'a> {
    /// Leave-one-model-out: the family and engine are in the fit.
    pub calibrated: Vec<Scored<'a>>,
    /// Leave-one-family-out and leave-one-engine-out.
    pub extrapolated: Vec<Scored<'a>>,
    /// Leave-one-family-out: no family's own factors.
    pub uncalibrated: Vec<Scored<'a>>,
}

/// Every case, its name, and what its cross-validation left out.
const CASES: [(CalibrationCase, &str, Grouping); 3] = [
    (CalibrationCase::Calibrated, "calibrated", Grouping::Model),
    (CalibrationCase::Extrapolated, "extrapolated", Grouping::Family),
    (CalibrationCase::Uncalibrated, "uncalibrated", Grouping::Family),
];

impl<'a> BandResiduals<'a> {
    /// The residuals of leaving out each model, each GPU family and each engine, as the cases
    /// read them.
    pub fn from_folds(
        by_model: Vec<Scored<'a>>,
        by_family: Vec<Scored<'a>>,
        by_engine: Vec<Scored<'a>>,
    ) -> BandResiduals<'a> {
        BandResiduals {
            calibrated: by_model,
            extrapolated: by_family.iter().chain(&by_engine).copied().collect(),
            uncalibrated: by_family,
        }
    }

    fn of(&self, case: CalibrationCase) -> &[Scored<'_>] {
        match case {
            CalibrationCase::Calibrated => &self.calibrated,
            CalibrationCase::Extrapolated => &self.extrapolated,
            CalibrationCase::Uncalibrated => &self.uncalibrated,
        }
    }

    /// Every built-in band: per case, and for calibrated families with enough residuals of
    /// their own. An extrapolated band is never narrower than the calibrated one, nor an
    /// uncalibrated one than the extrapolated: a prediction from borrowed factors is never
    /// claimed more certain than one from its own (with few groups left out, the quantiles
    /// can come out in another order).
    pub fn bands(&self) -> Vec<(CalibrationCase, Option<GpuFamily>, ErrorBands)> {
        let mut bands: Vec<(CalibrationCase, Option<GpuFamily>, ErrorBands)> = Vec::new();
        for (case, _, grouping) in CASES {
            let all: Vec<&Scored> = self.of(case).iter().collect();
            if let Some(mut b) = bands_of(&all, grouping, None) {
                // Each case at least as wide as the one before it: calibrated, extrapolated,
                // uncalibrated.
                if let Some((_, _, narrower)) = bands.last() {
                    b = b.widest(narrower);
                }
                bands.push((case, None, b));
            }
        }
        // A family's own band: per metric where it has the residuals, else the calibrated one's
        // for that metric (a family never measured on a metric is no surer of it than the rest);
        // and never wider than the extrapolated band, since the family's data can only help
        // (with few models to leave out its own quantile can come out wider).
        let calibrated = bands.first().map(|(_, _, b)| *b);
        let extrapolated = bands
            .iter()
            .find(|(c, _, _)| *c == CalibrationCase::Extrapolated)
            .map(|(_, _, b)| *b);
        for family in GpuFamily::ALL {
            let members: Vec<&Scored> = self
                .calibrated
                .iter()
                .filter(|s| s.row.family() == Some(family))
                .collect();
            if let Some(mut b) = bands_of(&members, Grouping::Model, calibrated.as_ref()) {
                if let Some(widest) = extrapolated {
                    b = b.narrowest(&widest);
                }
                bands.push((CalibrationCase::Calibrated, Some(family), b));
            }
        }
        bands
    }

    /// How often a measured value falls inside its band when the whole band setting (level
    /// choice included) sees only the other groups' residuals: per case and metric family,
    /// (inside, total).
    pub fn coverage(&self) -> BTreeMap<(String, MetricFamily), (usize, usize)> {
        let mut counts: BTreeMap<(String, MetricFamily), (usize, usize)> = BTreeMap::new();
        for (case, name, grouping) in CASES {
            let residuals = self.of(case);
            let mut groups: Vec<String> = residuals.iter().map(|s| grouping.key(s.row)).collect();
            groups.sort();
            groups.dedup();
            for group in &groups {
                let others: Vec<&Scored> = residuals.iter().filter(|s| grouping.key(s.row) != *group).collect();
                let Some(bands) = bands_of(&others, grouping, None) else {
                    continue;
                };
                for s in residuals.iter().filter(|s| grouping.key(s.row) == *group) {
                    let entry = counts.entry((name.to_string(), s.metric_family())).or_default();
                    entry.1 += 1;
                    if s.log_error() <= libm::log(1.0 + band_for(&bands, s.metric_family())) {
                        entry.0 += 1;
                    }
                }
            }
        }
        counts
    }
}

/// The calibration files' texts, read from the repository root (the tools run there).
pub fn read_published() -> Result<Vec<(&'static str, String)>, String> {
    super::published::DATA_FILES
        .iter()
        .map(|file| {
            std::fs::read_to_string(file)
                .map(|text| (*file, text))
                .map_err(|error| format!("{file}: {error} (run from the repository root)"))
        })
        .collect()
}

/// The runs of the calibration files (`(name, text)` pairs), prepared, and the rows that cannot
/// be modelled, with reasons.
pub fn prepare_published(
    files: &[(&str, String)],
) -> Result<(Vec<PreparedObservation>, Vec<super::published::Unmodellable>), String> {
    let mut prepared = Vec::new();
    let mut unmodellable = Vec::new();
    for (file, text) in files {
        let (observations, mut rejected) = super::published::load_published(file, text)?;
        unmodellable.append(&mut rejected);
        for observation in observations {
            let first_line = observation.measured.first().map_or(0, |m| m.line);
            match PreparedObservation::with_request_bound(observation, FIT_MAX_ONLINE_REQUESTS) {
                Ok(row) => prepared.push(row),
                Err(reason) => unmodellable.push(super::published::Unmodellable {
                    file: file.to_string(),
                    line: first_line,
                    reason,
                }),
            }
        }
    }
    Ok((prepared, unmodellable))
}

/// Requests simulated per online run in the built-in fit: enough for stable means and medians
/// (the published runs had 150-500), few enough that the fit's hundreds of evaluations stay fast.
const FIT_MAX_ONLINE_REQUESTS: u32 = 300;
