//! Prints the recommendation for a scenario given as a JSON file or inline JSON:
//! `cargo run --example advise -- scenario.json`.
use inferplan::{advise, Scenario};

fn main() {
    let Some(scenario) = std::env::args().nth(1) else {
        eprintln!("usage: advise SCENARIO_JSON");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&scenario).unwrap_or(scenario);
    match Scenario::from_json(&text).and_then(|scenario| advise(&scenario)) {
        Ok(recommendation) => println!(
            "{}",
            serde_json::to_string_pretty(&recommendation).expect("serializable")
        ),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    }
}
