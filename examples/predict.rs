//! Prints the prediction for a scenario and config given as JSON files or inline JSON:
//! `cargo run --example predict -- scenario.json [config.json]`.
use inferplan::{predict, Config, Scenario};

fn read(arg: &str) -> String {
    std::fs::read_to_string(arg).unwrap_or_else(|_| arg.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(scenario) = args.first() else {
        eprintln!("usage: predict SCENARIO_JSON [CONFIG_JSON]");
        std::process::exit(2);
    };
    let result = Scenario::from_json(&read(scenario)).and_then(|scenario| {
        let config = match args.get(1) {
            Some(config) => Config::from_json(&read(config))?,
            None => Config::default(),
        };
        predict(&scenario, &config)
    });
    match result {
        Ok(prediction) => println!("{}", serde_json::to_string_pretty(&prediction).expect("serializable")),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    }
}
