//! The answer to "latency or throughput first?" (ARCHITECTURE.md, "The verdict"), from two
//! ratios:
//! `latencySlack = target / best achievable percentile` (how much latency there is to trade)
//! and `loadPressure = required load / SLO capacity` (how much of what the fleet can serve at
//! the target the load takes).

use crate::domain::UseCase;
use serde::Serialize;

/// Below this slack the target is close to the best any configuration achieves: latency binds.
pub const TIGHT_SLACK: f64 = 2.0;
/// From this slack up there is room to trade latency for throughput.
pub const AMPLE_SLACK: f64 = 4.0;
/// Below this pressure the load leaves most of the SLO capacity unused.
pub const LOW_PRESSURE: f64 = 0.3;
/// From this pressure up the load takes most of the SLO capacity: cost per request dominates.
pub const HIGH_PRESSURE: f64 = 0.7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    LatencyFirst,
    ThroughputFirst,
    Balanced,
    InfeasibleLatency,
    InfeasibleCapacity,
}

impl Verdict {
    /// A verdict that recommends a deployment meeting the targets at the load.
    pub fn is_feasible(self) -> bool {
        !matches!(self, Verdict::InfeasibleLatency | Verdict::InfeasibleCapacity)
    }
}

/// Use cases where a person waits on each answer.
pub fn is_interactive(use_case: UseCase) -> bool {
    matches!(
        use_case,
        UseCase::Chat | UseCase::CodeCompletion | UseCase::Agent | UseCase::Rag
    )
}

/// Use cases where nobody waits on one answer and cost per request is what counts.
pub fn is_bulk(use_case: UseCase) -> bool {
    matches!(use_case, UseCase::Summarization | UseCase::Batch)
}

/// The verdict for a feasible scenario; the rules in order:
/// 1. tight slack and the load well inside capacity: latency-first;
/// 2. an interactive use case at low pressure: latency-first;
/// 3. ample slack and high pressure, or a bulk use case with more than tight slack: throughput-first;
/// 4. otherwise balanced (neither binds, or both do).
pub fn decide(latency_slack: f64, load_pressure: f64, use_case: UseCase) -> Verdict {
    if latency_slack < 1.0 {
        return Verdict::InfeasibleLatency;
    }
    if load_pressure > 1.0 {
        return Verdict::InfeasibleCapacity;
    }
    if latency_slack < TIGHT_SLACK && load_pressure < HIGH_PRESSURE {
        return Verdict::LatencyFirst;
    }
    if is_interactive(use_case) && load_pressure < LOW_PRESSURE {
        return Verdict::LatencyFirst;
    }
    if (latency_slack >= AMPLE_SLACK && load_pressure >= HIGH_PRESSURE)
        || (is_bulk(use_case) && latency_slack >= TIGHT_SLACK)
    {
        return Verdict::ThroughputFirst;
    }
    Verdict::Balanced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_in_order() {
        assert_eq!(decide(0.8, 0.1, UseCase::Chat), Verdict::InfeasibleLatency);
        assert_eq!(decide(3.0, 1.2, UseCase::Chat), Verdict::InfeasibleCapacity);
        assert_eq!(decide(1.5, 0.5, UseCase::Custom), Verdict::LatencyFirst);
        assert_eq!(decide(10.0, 0.1, UseCase::Chat), Verdict::LatencyFirst);
        assert_eq!(decide(10.0, 0.9, UseCase::Custom), Verdict::ThroughputFirst);
        assert_eq!(decide(3.0, 0.1, UseCase::Summarization), Verdict::ThroughputFirst);
        assert_eq!(decide(3.0, 0.5, UseCase::Custom), Verdict::Balanced);
        assert_eq!(decide(1.5, 0.9, UseCase::Custom), Verdict::Balanced);
    }

    #[test]
    fn more_load_never_moves_towards_latency_first() {
        let order = |v: Verdict| match v {
            Verdict::InfeasibleLatency => 0,
            Verdict::LatencyFirst => 1,
            Verdict::Balanced => 2,
            Verdict::ThroughputFirst => 3,
            Verdict::InfeasibleCapacity => 4,
        };
        for use_case in UseCase::ALL {
            for slack in [1.2, 2.5, 5.0, 20.0] {
                let mut previous = 0;
                for pressure in [0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1.1] {
                    let rank = order(decide(slack, pressure, use_case));
                    assert!(rank >= previous, "{use_case:?} slack {slack} pressure {pressure}");
                    previous = rank;
                }
            }
        }
    }
}
