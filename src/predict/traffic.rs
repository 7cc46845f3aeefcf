//! How much traffic one replica's simulation carries: the scenario's load split evenly over
//! the replicas, and how many requests to simulate so that every prediction is bounded in time
//! and memory yet has enough requests above its p99.

use crate::domain::LoadKind;
use crate::scenario::ResolvedScenario;
use crate::sim::Arrivals;

/// Requests simulated per replica for an online load: 2,000 measured between the warm-up and
/// cool-down tenths. Enough for a p99 from 20 requests above it.
pub const ONLINE_SIMULATED_REQUESTS: u32 = 2500;
/// Closed loops simulate this many requests per user when the output-token cap allows.
pub const REQUESTS_PER_CLOSED_LOOP_USER: u32 = 20;
/// ... and at least this many, whatever the cap: warm-up and cool-down need whole cycles.
pub const MIN_REQUESTS_PER_CLOSED_LOOP_USER: u32 = 4;
/// Output tokens one simulation may generate; fewer requests are simulated when the outputs
/// are long. Keeps every prediction bounded in time and memory.
pub const MAX_SIMULATED_OUTPUT_TOKENS: f64 = 2_000_000.0;
/// Fewest requests a simulation keeps, however long the outputs.
pub const MIN_SIMULATED_REQUESTS: u32 = 100;
/// Most requests a simulation runs.
pub const MAX_SIMULATED_REQUESTS: u32 = 100_000;

/// The traffic one replica's simulation carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaTraffic {
    pub arrivals: Arrivals,
    /// Requests to simulate.
    pub requests: u32,
    /// The fewest a shorter (screening) simulation of this traffic may run: a closed loop's
    /// users each cycle a few times, so that its starting burst is warm-up.
    pub fewest_requests: u32,
    /// How many replicas' worth of load the simulated one stands for: the replicas, or fewer
    /// when a closed loop's users do not fill them all.
    pub replica_scale: f64,
}

/// The load one replica sees (the scenario's split evenly) and how many requests to simulate.
pub fn replica_traffic(scenario: &ResolvedScenario, replicas: u32) -> ReplicaTraffic {
    // The output-token cap bounds time and memory; it wins over the minimum request count.
    let affordable = ((MAX_SIMULATED_OUTPUT_TOKENS / scenario.output_tokens.mean) as u32).max(1);
    let bounded = |wanted: u32| {
        wanted
            .max(MIN_SIMULATED_REQUESTS)
            .min(affordable)
            .min(MAX_SIMULATED_REQUESTS)
    };
    match scenario.load {
        LoadKind::Open {
            requests_per_second,
            arrival_cv,
        } => ReplicaTraffic {
            arrivals: Arrivals::Open {
                requests_per_second: requests_per_second / f64::from(replicas),
                arrival_cv,
            },
            requests: bounded(ONLINE_SIMULATED_REQUESTS),
            // A screening never runs more than the full prediction (the token cap may allow fewer).
            fewest_requests: bounded(MIN_SIMULATED_REQUESTS),
            replica_scale: f64::from(replicas),
        },
        LoadKind::Closed { concurrency } => {
            // Users are spread over replicas; the simulated one gets the largest share, and the
            // throughput scales by the users in all over the users it simulated.
            let users = concurrency.div_ceil(replicas);
            // Every user cycles several times, whatever the token cap.
            let cycles = users.saturating_mul(MIN_REQUESTS_PER_CLOSED_LOOP_USER);
            let requests = bounded(ONLINE_SIMULATED_REQUESTS.max(users.saturating_mul(REQUESTS_PER_CLOSED_LOOP_USER)))
                .max(cycles)
                .min(MAX_SIMULATED_REQUESTS.max(cycles));
            ReplicaTraffic {
                arrivals: Arrivals::Closed { concurrency: users },
                requests,
                fewest_requests: cycles.max(bounded(MIN_SIMULATED_REQUESTS)),
                replica_scale: f64::from(concurrency) / f64::from(users),
            }
        }
        // An offline batch is its requests: no minimum; the cap may simulate a part of it.
        LoadKind::Offline { requests } => {
            let requests = requests.div_ceil(replicas).min(affordable).min(MAX_SIMULATED_REQUESTS);
            ReplicaTraffic {
                arrivals: Arrivals::Offline,
                requests,
                // A batch is simulated whole, screening or not.
                fewest_requests: requests,
                replica_scale: f64::from(replicas),
            }
        }
    }
}
