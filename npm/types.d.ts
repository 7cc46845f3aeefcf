/** A numeric precision: weights (and for fp8/fp4 also the KV cache) in this format. */
export type Precision = "bf16" | "fp16" | "fp8" | "int8" | "int4" | "fp4";
export type UseCase = "chat" | "code-completion" | "agent" | "rag" | "summarization" | "batch" | "custom";
export type Metric = "ttft" | "tpot" | "itl" | "e2e";

/** A custom model: only `paramsB` is required; the rest of the shape is derived in Llama-3 proportions. */
export interface CustomModel {
  id?: string;
  paramsB: number;
  activeParamsB?: number;
  layers?: number;
  hidden?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
  ffn?: number;
  vocab?: number;
  experts?: number;
  expertsPerToken?: number;
}

/** GPUs of one architecture share the cost model's calibration factors. */
export type GpuFamily = "hopper" | "ampere" | "ada" | "blackwell" | "cdna3";

/** A GPU. Memory in binary GB (80 GB = 80 x 2^30 bytes); bandwidths in 10^12 and 10^9 bytes/s. */
export interface GpuSpec {
  id?: string;
  memoryGb: number;
  memoryBandwidthTbS: number;
  bf16Tflops: number;
  fp8Tflops?: number;
  int8Tops?: number;
  fp4Tflops?: number;
  interconnect?: string;
  interconnectGbS?: number;
  powerW?: number;
  source?: string;
}

/**
 * Request lengths in tokens: the mean, or the mean and the coefficient of variation of a
 * lognormal around it. A spread left out is the use case's preset's, or 0 (fixed) without one.
 */
export type Lengths = number | { mean: number; cv?: number };

/**
 * Exactly one kind of load. `burstiness` is `vllm bench serve --burstiness`: the gamma shape of
 * the gaps between arrivals, 1 for Poisson, below 1 burstier, above 1 smoother (0.01 to 1,000,000).
 */
export type Load =
  | { requestsPerSecond: number; burstiness?: number }
  | { requestsPerHour: number; burstiness?: number }
  | { concurrency: number }
  | { offline: true; requests?: number };

export interface Slo {
  metric: Metric;
  /** Default 95. */
  percentile?: number;
  targetMs: number;
}

export interface Scenario {
  /** Supplies default lengths and SLOs (see the README's presets) when they are left out. */
  useCase?: UseCase;
  model: string | CustomModel;
  fleet: { gpu: string | GpuSpec; count: number; pricePerGpuHour?: number };
  workload: { promptTokens?: Lengths; outputTokens?: Lengths; load: Load };
  slo?: Slo | Slo[];
  precisions?: Precision[];
  /** The serving engine, when it is decided: `advise` then searches no other, and it is `predict`'s default. Left out, `advise` compares vLLM and TensorRT-LLM. */
  engine?: Engine;
  seed?: number;
  /** Measurements of one deployment of this model and GPU: the cost model is refitted to them. */
  measured?: { config?: Config; runs: MeasuredRun[] };
  /** Calibration factors to use instead of the built-in ones (e.g. from `calibrate`). */
  calibration?: Calibration;
}

/** A percentile's 95% distribution-free confidence interval, or why there is none. */
export type PercentileInterval = { lower: number; upper: number } | "insufficient samples";

/** Statistics of one latency as a benchmark file gives them, ms. */
export interface MeasuredStats {
  mean?: number;
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
  intervals?: { p50: PercentileInterval; p90: PercentileInterval; p95: PercentileInterval; p99: PercentileInterval };
}

export interface MeasuredPoint {
  /** `arrivalCv`: the coefficient of variation of the gaps between arrivals (1 Poisson, 0 a constant rate). */
  offered: { requestsPerSecond?: number; concurrency?: number; arrivalCv?: number };
  requestsPerSecond: number | null;
  outputTokensPerSecond: number | null;
  completed: number;
  failed: number;
  promptTokensMean: number | null;
  outputTokensMean: number | null;
  ttftMs: MeasuredStats;
  tpotMs: MeasuredStats;
  itlMs: MeasuredStats;
  e2eMs: MeasuredStats;
  durationS?: number;
  samples?: { ttftMs: number[]; tpotMs: number[]; e2eMs: number[]; promptTokens?: number[]; outputTokens?: number[] };
}

/** A benchmark run: one point per load level, in file order. */
export interface MeasuredRun {
  tool: string;
  toolVersion?: string;
  format: string;
  model?: string;
  points: MeasuredPoint[];
  /** Units converted, token counts used, fields missing. */
  notes: string[];
}

/** A benchmark file format `importBenchmark` reads. */
export type BenchmarkFormat = "vllm" | "guidellm" | "guidellm-csv" | "aiperf" | "aiperf-csv" | "aiperf-jsonl" | "llmperf" | "csv";

export interface ImportOptions {
  format?: BenchmarkFormat;
}

export interface CalibrationReport {
  calibration: Calibration;
  builtIn: Calibration;
  medianAbsErrorPct: number;
  builtInMedianAbsErrorPct: number;
  observations: { point: number; metric: string; measured: number; predicted: number; errorPct: number }[];
  skipped: string[];
  /** Present when the work a calibration may spend shortened the fit: fewer evaluations ran, or the built-in factors were kept. */
  note?: string;
}

export type Engine = "vllm" | "sglang" | "tensorrt-llm";
/** The KV cache's data type; 16-bit is the model's activation dtype. */
export type KvCacheDtype = "bf16" | "fp8";

/** A deployment; every field is optional and defaults are documented in the README. */
export interface Config {
  engine?: Engine;
  tensorParallel?: number;
  replicas?: number;
  precision?: Precision;
  maxBatch?: number;
  maxBatchedTokens?: number;
  /**
   * `auto` (default): the engine's own default: vLLM and SGLang keep 16 bits whatever the
   * weights; TensorRT-LLM's fp8 and fp4 checkpoints carry an fp8 cache.
   */
  kvCacheDtype?: "auto" | KvCacheDtype;
}

/** A deployment with every default filled in. */
export interface Deployment {
  engine: Engine;
  tensorParallel: number;
  replicas: number;
  precision: Precision;
  kvCacheDtype: KvCacheDtype;
  maxBatch: number;
  maxBatchedTokens: number;
}

export interface MemoryPlan {
  capacityGbPerGpu: number;
  usableGbPerGpu: number;
  weightsGbPerGpu: number;
  reserveGbPerGpu: number;
  kvCacheGbPerGpu: number;
  kvBytesPerTokenPerGpu: number;
  kvCapacityTokens: number;
  weightsFit: boolean;
}

/** Closed-form bounds without queueing (see `basis`). */
export interface RooflineEstimate {
  basis: string;
  unloadedTtftMs: number;
  unloadedTpotMs: number;
  unloadedE2eMs: number;
  maxRunningRequestsPerReplica: number;
  maxOutputTokensPerSecond: number;
  maxOutputTokensPerSecondPerGpu: number;
  maxRequestsPerSecond: number;
}

export interface Calibration {
  memoryEfficiency: number;
  computeEfficiency: number;
  allreduceLatencyUs: number;
  interconnectEfficiency: number;
  stepOverheadMs: number;
  /** Per model layer per iteration, µs; 0 when left out. */
  layerOverheadUs?: number;
  /** Share of the shorter of memory and compute time not hidden by the longer, in [0, 1]; 0 when left out. */
  unoverlappedFraction?: number;
}

/** Mean and percentiles (linear interpolation, numpy's default), in ms. */
export interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

export interface SloCheck {
  metric: Metric;
  percentile: number;
  targetMs: number;
  achievedMs: number | null;
  /** `[achieved / (1 + r), achieved × (1 + r)]` with r the metric's `errorBand`; null when nothing ran. */
  bandMs: [number, number] | null;
  met: boolean;
  /** `at-risk` when the band straddles the target. */
  status: "meets" | "at-risk" | "misses";
}

/** How far off a prediction may be: each r puts the measured value in [predicted / (1 + r), predicted × (1 + r)] with probability `coverage`. */
export interface ErrorBand {
  coverage: number;
  throughput: number;
  ttft: number;
  tpot: number;
  itl: number;
  e2e: number;
  /** calibrated: fitted on data of this GPU family, engine and precision; extrapolated: borrowed; uncalibrated: a custom GPU. */
  calibrationSource: "calibrated" | "extrapolated" | "uncalibrated";
  basis: string;
}

export interface SimulationReport {
  method: string;
  requestsPerReplica: number;
  measuredRequests: number;
  iterations: number;
  preemptions: number;
  rejectedRequests: number;
  fellBehind: boolean;
  seed: number;
  note?: string;
}

export interface Prediction {
  config: Deployment;
  gpusUsed: number;
  /** GPUs of the fleet the deployment leaves idle (replicas come in whole tensor-parallel groups, and a deployment may use fewer than the fleet has). */
  gpusIdle: number;
  /** Fits in memory and keeps up with the offered load. */
  feasible: boolean;
  /** Why not, each with its numbers. */
  reasons: string[];
  ttftMs: LatencySummary | null;
  tpotMs: LatencySummary | null;
  /** Every gap between streamed tokens, token-weighted. */
  itlMs: LatencySummary | null;
  e2eMs: LatencySummary | null;
  requestsPerSecond: number;
  outputTokensPerSecond: number;
  outputTokensPerSecondPerGpu: number;
  /** Fraction of requests meeting every SLO (1 when there is none). */
  sloAttainment: number;
  goodputRequestsPerSecond: number;
  slos: SloCheck[];
  memory: MemoryPlan;
  costPerMillionOutputTokens?: number;
  /** An offline batch: its requests and how long the whole batch takes, seconds. */
  batch?: { requests: number; makespanS: number };
  roofline: RooflineEstimate | null;
  simulation: SimulationReport | null;
  calibration: Calibration;
  calibrationSource: string;
  errorBand: ErrorBand;
}

export type Verdict = "latency-first" | "throughput-first" | "balanced" | "infeasible-latency" | "infeasible-capacity";

/** One candidate deployment on the trade-off chart. */
export interface FrontierPoint {
  config: Deployment;
  /** The binding SLO's percentile at the required load, ms. */
  latencyMs: number | null;
  /** Output tokens/s per GPU at the highest load meeting every SLO. */
  outputTokensPerSecondPerGpu: number;
  meetsSlo: boolean;
  paretoOptimal: boolean;
  recommended: boolean;
}

export interface Recommendation {
  verdict: Verdict;
  /** One sentence: latency or throughput first, and why. */
  summary: string;
  /** Short sentences, each with its numbers. */
  reasons: string[];
  config: Deployment;
  prediction: Prediction;
  /** Pareto-optimal candidates (SLO percentile vs throughput per GPU), including ones that miss the SLO. */
  frontier: FrontierPoint[];
  /** Every candidate evaluated. */
  candidates: FrontierPoint[];
  /** The fewest GPUs that carry the required load within every SLO with 25% headroom, on any deployment searched; 0 when no number of GPUs does. */
  gpusNeeded: number;
  latencySlack: number;
  /** `null` when no configuration meets the SLOs at any load. */
  loadPressure: number | null;
  bindingSlo: Required<Slo>;
  bestAchievableMs: number | null;
  sloCapacity: number;
  requiredLoad: number;
  loadUnit: "requests/s" | "concurrent users" | "requests";
  /** Output tokens/s per fleet GPU that a request-rate load asks for. */
  requiredOutputTokensPerSecondPerGpu?: number;
  /** The recommended deployment's binding-SLO percentiles as the rate rises to saturation (open loads). */
  loadCurve: { requestsPerSecond: number; p50Ms: number; p95Ms: number; p99Ms: number; fellBehind: boolean }[];
}

export interface ModelSpec {
  id: string;
  paramsB: number;
  activeParamsB: number;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  vocab: number;
  experts?: number;
  expertsPerToken?: number;
  shapeDerived: boolean;
  source: string;
}

export interface Catalog {
  gpus: (Required<Pick<GpuSpec, "id" | "memoryGb" | "memoryBandwidthTbS" | "bf16Tflops" | "interconnect" | "interconnectGbS" | "source">> &
    GpuSpec & {
      /** Whose calibration factors it uses (a custom GPU uses the factors pooled over every family). */
      family: GpuFamily;
      precisions: Precision[];
    })[];
  models: ModelSpec[];
  precisions: Precision[];
  /** Each use case with the lengths and targets its preset supplies (none for custom). */
  useCases: {
    id: UseCase;
    promptTokens?: { mean: number; cv: number };
    outputTokens?: { mean: number; cv: number };
    slos: Required<Slo>[];
  }[];
  /** The serving engines a config may name, the default one first, each with its default `maxBatch`. */
  engines: { id: Engine; defaultMaxBatch: number }[];
  /** The latencies an SLO may bound. */
  metrics: Metric[];
  /** What `Config.kvCacheDtype` takes. */
  kvCacheDtypes: ("auto" | KvCacheDtype)[];
  /** The formats `importBenchmark` reads (and `ImportOptions.format` forces). */
  benchmarkFormats: BenchmarkFormat[];
  /** The precisions `advise` considers when a scenario lists none (those the GPU supports). */
  defaultPrecisions: Precision[];
  /** The largest tensor-parallel degree `advise` considers (one node). */
  maxTensorParallel: number;
  /** The capacity `advise` keeps above the required load: `gpusNeeded` carries `headroom` x the load within the SLOs. */
  headroom: number;
}

