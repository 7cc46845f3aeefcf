//! Prints the measured run read from benchmark files (several files form a sweep):
//! `cargo run --example import -- FILE...`.
use inferplan::measure::{import_benchmark, sweep};

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: import FILE...");
        std::process::exit(2);
    }
    let mut runs = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| {
            eprintln!("{file}: {e}");
            std::process::exit(2)
        });
        match import_benchmark(&text, None) {
            Ok(run) => runs.push(run),
            Err(error) => {
                eprintln!("{file}: {error}");
                std::process::exit(2);
            }
        }
    }
    let mut run = sweep(runs);
    for point in &mut run.points {
        point.samples = None;
    }
    println!("{}", serde_json::to_string_pretty(&run).expect("serializable"));
}
