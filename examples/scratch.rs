use inferplan::*;
fn main() {
    let s = Scenario::from_json(r#"{"useCase":"chat","model":"Llama-3.1-70B","fleet":{"gpu":"H100-SXM","count":8},"workload":{"promptTokens":1000,"outputTokens":200,"load":{"requestsPerSecond":2}},"slo":{"metric":"ttft","percentile":95,"targetMs":500}}"#).unwrap();
    for _ in 0..10 {
        std::hint::black_box(advise(&s).unwrap());
    }
}
