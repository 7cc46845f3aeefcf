use inferplan::{advise, predict, Config, Scenario};
fn main() {
    for n in [2000, 100000] {
        let s = Scenario::from_json(&format!(r#"{{"useCase":"batch","model":"Llama-3.1-70B","fleet":{{"gpu":"H100-SXM","count":8}},"workload":{{"load":{{"offline":true,"requests":{n}}}}}}}"#)).unwrap();
        let p = predict(&s, &Config::default()).unwrap();
        println!(
            "{n}: e2e p95 {:.0} s, slos {:?}, attain {}, note {:?}",
            p.e2e_ms.unwrap().p95 / 1e3,
            p.slos,
            p.slo_attainment,
            p.simulation.as_ref().unwrap().note
        );
        let a = advise(&s).unwrap();
        println!("  advise {:?}: {}\n  {:?}", a.verdict, a.summary, a.reasons);
    }
}
