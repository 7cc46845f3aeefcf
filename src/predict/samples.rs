//! The latencies of simulated (or closed-form) requests, in ms and sorted, and what the SLOs
//! ask of them: the percentile of each metric, whether each target is met, and the share of
//! requests meeting every target.

use super::ErrorBand;
use crate::domain::{Metric, SloTarget};
use crate::perf::LoneRequest;
use crate::sim::RequestLatency;
use crate::stats::{
    percentile_of_sorted, sort_weighted, weighted_percentile_of_sorted, weighted_summary_of_sorted,
    HistogramPercentiles, Summary,
};
use serde::Serialize;

/// Per-request latencies in ms, each sorted ascending, and every inter-token gap.
pub struct LatencySamples {
    pub ttft_ms: Vec<f64>,
    /// Each request's mean gap after its first token (one-token outputs have none).
    pub tpot_ms: Vec<f64>,
    pub e2e_ms: Vec<f64>,
    pub gaps: Gaps,
}

/// Every gap between streamed tokens, ms: exactly, or binned for a screening run.
pub enum Gaps {
    /// (gap, how many tokens had it), sorted by gap: exact percentiles.
    Sorted(Vec<(f64, u32)>),
    /// Percentiles within 0.1% (`HistogramPercentiles`); `None` without gaps.
    Binned(Option<HistogramPercentiles>),
}

impl LatencySamples {
    /// The latencies of simulated requests, and the gaps the simulation recorded (in
    /// seconds), sorted when `exact_gaps`, else binned: every token gap is a sample, and
    /// sorting them is the costliest step of a screening run, whose percentiles a histogram
    /// gives well enough.
    pub fn of_requests(measured: &[RequestLatency], gaps_s: &[(f64, u32)], exact_gaps: bool) -> LatencySamples {
        let gaps = if exact_gaps {
            let mut gaps_ms: Vec<(f64, u32)> = gaps_s.iter().map(|&(s, n)| (s * 1e3, n)).collect();
            sort_weighted(&mut gaps_ms);
            Gaps::Sorted(gaps_ms)
        } else {
            Gaps::Binned(HistogramPercentiles::of(gaps_s, 1e3))
        };
        LatencySamples {
            ttft_ms: sorted(measured.iter().map(|r| r.ttft_s * 1e3).collect()),
            tpot_ms: sorted(measured.iter().filter_map(|r| r.tpot_s).map(|s| s * 1e3).collect()),
            e2e_ms: sorted(measured.iter().map(|r| r.e2e_s * 1e3).collect()),
            gaps,
        }
    }

    /// The summary of every token gap.
    pub fn gap_summary(&self) -> Option<Summary> {
        match &self.gaps {
            Gaps::Sorted(gaps_ms) => weighted_summary_of_sorted(gaps_ms),
            Gaps::Binned(histogram) => histogram.as_ref().map(HistogramPercentiles::summary),
        }
    }

    /// The latencies of requests alone on the server: each decodes at its mean gap.
    pub fn of_lone_requests(lone: &[LoneRequest]) -> LatencySamples {
        let mut gaps_ms: Vec<(f64, u32)> = lone
            .iter()
            .map(|r| (r.tpot_s * 1e3, (r.output_tokens as u32).saturating_sub(1)))
            .collect();
        sort_weighted(&mut gaps_ms);
        LatencySamples {
            ttft_ms: sorted(lone.iter().map(|r| r.ttft_s * 1e3).collect()),
            tpot_ms: sorted(lone.iter().map(|r| r.tpot_s * 1e3).collect()),
            e2e_ms: sorted(lone.iter().map(|r| r.e2e_s() * 1e3).collect()),
            gaps: Gaps::Sorted(gaps_ms),
        }
    }

    /// The same requests with their waits (time to first token, end to end) multiplied by
    /// `factor`: a simulated part of an offline batch standing for the whole, whose queue
    /// drains at a steady rate so that waits grow in proportion to the requests ahead.
    pub fn with_waits_scaled(mut self, factor: f64) -> LatencySamples {
        if factor != 1.0 {
            for value in self.ttft_ms.iter_mut().chain(self.e2e_ms.iter_mut()) {
                *value *= factor;
            }
        }
        self
    }

    /// The `percentile` of `metric`; ITL is over every token gap. `None` without samples.
    pub fn percentile(&self, metric: Metric, percentile: f64) -> Option<f64> {
        let sorted = match metric {
            Metric::Ttft => &self.ttft_ms,
            Metric::Tpot => &self.tpot_ms,
            Metric::E2e => &self.e2e_ms,
            Metric::Itl => {
                return match &self.gaps {
                    Gaps::Sorted(gaps_ms) => weighted_percentile_of_sorted(gaps_ms, percentile),
                    Gaps::Binned(histogram) => histogram.as_ref().map(|histogram| histogram.percentile(percentile)),
                }
            }
        };
        (!sorted.is_empty()).then(|| percentile_of_sorted(sorted, percentile))
    }
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_unstable_by(f64::total_cmp);
    values
}

/// One SLO: the achieved percentile against its target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SloCheck {
    pub metric: Metric,
    pub percentile: f64,
    pub target_ms: f64,
    /// The simulated value at that percentile.
    pub achieved_ms: Option<f64>,
    /// The achieved value's error band (`errorBand`): [achieved / (1 + r), achieved x (1 + r)].
    pub band_ms: Option<[f64; 2]>,
    /// Whether the predicted value meets the target.
    pub met: bool,
    /// `meets` when the whole band is within the target, `misses` when none of it is, and
    /// `at-risk` when the band straddles the target: the measured value may fall either side.
    pub status: SloStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SloStatus {
    Meets,
    AtRisk,
    Misses,
}

/// Each SLO's achieved percentile (`None` samples: nothing ran), with its error band.
pub fn slo_checks(slos: &[SloTarget], samples: Option<&LatencySamples>, band: &ErrorBand) -> Vec<SloCheck> {
    slos.iter()
        .map(|slo| {
            let achieved_ms = samples.and_then(|samples| samples.percentile(slo.metric, slo.percentile));
            // Requests that completed but produced no gap (one-token outputs) meet a gap target.
            let gapless = slo.metric.is_gap() && samples.is_some_and(|samples| !samples.ttft_ms.is_empty());
            let met = achieved_ms.map_or(gapless, |achieved| achieved <= slo.target_ms);
            let factor = 1.0 + band.for_metric(slo.metric);
            let band_ms = achieved_ms.map(|achieved| [achieved / factor, achieved * factor]);
            let status = match band_ms {
                Some([low, high]) if low <= slo.target_ms && high > slo.target_ms => SloStatus::AtRisk,
                _ if met => SloStatus::Meets,
                _ => SloStatus::Misses,
            };
            SloCheck {
                metric: slo.metric,
                percentile: slo.percentile,
                target_ms: slo.target_ms,
                achieved_ms,
                band_ms,
                met,
                status,
            }
        })
        .collect()
}

/// Fraction of requests meeting every SLO: TTFT and end-to-end per request (their waits
/// multiplied by `wait_scale`, see [`LatencySamples::with_waits_scaled`]); TPOT and ITL by the
/// request's mean gap after its first token.
pub fn slo_attainment(slos: &[SloTarget], measured: &[RequestLatency], wait_scale: f64) -> f64 {
    if measured.is_empty() {
        return 0.0;
    }
    if slos.is_empty() {
        return 1.0;
    }
    let met = measured
        .iter()
        .filter(|request| {
            slos.iter().all(|slo| {
                let value_s = match slo.metric {
                    Metric::Ttft => request.ttft_s * wait_scale,
                    Metric::E2e => request.e2e_s * wait_scale,
                    Metric::Tpot | Metric::Itl => request.tpot_s.unwrap_or(0.0),
                };
                value_s * 1e3 <= slo.target_ms
            })
        })
        .count();
    met as f64 / measured.len() as f64
}
