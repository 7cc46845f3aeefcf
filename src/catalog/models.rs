//! Built-in models (shapes from each model's Hugging Face `config.json`; the `source` of each
//! entry says which), the rule that derives a shape for a custom model given only its parameter
//! count, and which tensor-parallel degrees a model's shape allows.

use crate::error::{check, Error};
use serde::{Deserialize, Serialize};

/// A model's shape: what the performance model needs to cost weights, KV cache, FLOPs and
/// tensor-parallel communication.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSpec {
    pub id: String,
    /// All parameters, billions (what must sit in memory).
    pub params_b: f64,
    /// Parameters one token passes through, billions (= params_b for dense models).
    pub active_params_b: f64,
    pub layers: u32,
    pub hidden: u32,
    pub heads: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
    pub ffn: u32,
    pub vocab: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experts_per_token: Option<u32>,
    /// True when some of the shape was derived by [`derive_dense_shape`] rather than given.
    pub shape_derived: bool,
    pub source: String,
}

impl ModelSpec {
    /// Whether tensor parallelism of `degree` splits the attention heads evenly (each GPU of
    /// the group computes whole heads).
    pub fn splits_heads(&self, degree: u32) -> bool {
        degree >= 1 && self.heads % degree == 0
    }

    /// The tensor-parallel degrees up to `max_degree` that split the heads evenly, ascending.
    pub fn tensor_parallel_degrees(&self, max_degree: u32) -> impl Iterator<Item = u32> + '_ {
        (1..=max_degree).filter(|&degree| self.splits_heads(degree))
    }

    /// The degrees up to `max_degree` at which `gpu_count` GPUs run whole replicas: they split
    /// the heads and divide the GPU count. Ascending.
    pub fn fleet_tensor_parallel_degrees(&self, gpu_count: u32, max_degree: u32) -> impl Iterator<Item = u32> + '_ {
        self.tensor_parallel_degrees(max_degree.min(gpu_count))
            .filter(move |degree| gpu_count % degree == 0)
    }
}

/// A custom model as a scenario may give it: only `paramsB` is required; every shape field
/// left out is derived (see [`derive_dense_shape`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomModel {
    #[serde(default)]
    pub id: Option<String>,
    pub params_b: f64,
    #[serde(default)]
    pub active_params_b: Option<f64>,
    #[serde(default)]
    pub layers: Option<f64>,
    #[serde(default)]
    pub hidden: Option<f64>,
    #[serde(default)]
    pub heads: Option<f64>,
    #[serde(default)]
    pub kv_heads: Option<f64>,
    #[serde(default)]
    pub head_dim: Option<f64>,
    #[serde(default)]
    pub ffn: Option<f64>,
    #[serde(default)]
    pub vocab: Option<f64>,
    #[serde(default)]
    pub experts: Option<f64>,
    #[serde(default)]
    pub experts_per_token: Option<f64>,
}

/// Largest custom model accepted, billions of parameters: ten times Llama-3.1-405B.
pub const MAX_CUSTOM_PARAMS_B: f64 = 5000.0;

/// Largest layer count, width, head count or vocabulary a custom model may declare.
const MAX_DIMENSION: u32 = 10_000_000;

/// The derivation rule for a dense custom model, in Llama-3 proportions (Llama-3.1-8B and
/// -405B both have hidden = 128 x layers; all Llama-3 models use 128-wide heads, 8 KV heads,
/// a SwiGLU MLP about 3.5 x hidden and a 128,256-token vocabulary). A layer then holds about
/// 12.75 x hidden^2 parameters (attention 2.25 h^2 with 8-of-64 KV heads, MLP 3 x 3.5 h^2), so
/// `layers = cbrt(params / (12.75 x 128^2))`, rounded to a multiple of 8 so that the
/// `layers` heads split over 8 KV heads and tensor-parallel degrees 1, 2, 4 and 8. This gives
/// Llama-3.1-8B 32 layers (real: 32), -405B 128 (126) and -70B 72 (80: it is narrower and
/// deeper). What the shape affects is the KV-cache size per token, attention FLOPs and
/// all-reduce volume; weight bytes always come from the given parameter count.
pub fn derive_dense_shape(params_b: f64) -> (u32, u32) {
    const HIDDEN_PER_LAYER: f64 = 128.0;
    const PARAMS_PER_LAYER_PER_HIDDEN_SQUARED: f64 = 12.75;
    const LAYER_MULTIPLE: f64 = 8.0;
    let layers =
        libm::cbrt(params_b * 1e9 / (PARAMS_PER_LAYER_PER_HIDDEN_SQUARED * HIDDEN_PER_LAYER * HIDDEN_PER_LAYER));
    let layers = ((layers / LAYER_MULTIPLE).round() * LAYER_MULTIPLE).max(LAYER_MULTIPLE);
    (layers as u32, (layers * HIDDEN_PER_LAYER) as u32)
}

impl CustomModel {
    /// Validates the given fields and derives the missing ones; `field` is the JSON path.
    pub(crate) fn resolve(&self, field: &str) -> Result<ModelSpec, Error> {
        let path = |name: &str| format!("{field}.{name}");
        let params_b = check::positive(&path("paramsB"), self.params_b, MAX_CUSTOM_PARAMS_B)?;
        let dimension = |name: &str, value: Option<f64>, default: u32| match value {
            None => Ok(default),
            Some(value) => check::positive_integer(&path(name), value, MAX_DIMENSION),
        };
        let (derived_layers, derived_hidden) = derive_dense_shape(params_b);
        let layers = dimension("layers", self.layers, derived_layers)?;
        let hidden = dimension("hidden", self.hidden, derived_hidden)?;
        let head_dim = dimension("headDim", self.head_dim, 128)?;
        let heads = dimension("heads", self.heads, (hidden / head_dim).max(1))?;
        let kv_heads = dimension("kvHeads", self.kv_heads, heads.min(8))?;
        let ffn = dimension("ffn", self.ffn, (f64::from(hidden) * 3.5 / 256.0).round() as u32 * 256)?;
        let vocab = dimension("vocab", self.vocab, 128_256)?;
        if heads % kv_heads != 0 {
            return Err(Error::invalid(
                path("kvHeads"),
                format!("a divisor of heads ({heads})"),
                kv_heads,
            ));
        }
        let (experts, experts_per_token) = match (self.experts, self.experts_per_token) {
            (None, None) => (None, None),
            (Some(experts), Some(per_token)) => {
                let experts = check::positive_integer(&path("experts"), experts, MAX_DIMENSION)?;
                let per_token = check::positive_integer(&path("expertsPerToken"), per_token, experts)?;
                (Some(experts), Some(per_token))
            }
            (Some(_), None) => {
                return Err(Error::invalid(
                    path("expertsPerToken"),
                    "given when experts is",
                    "nothing",
                ))
            }
            (None, Some(_)) => {
                return Err(Error::invalid(
                    path("experts"),
                    "given when expertsPerToken is",
                    "nothing",
                ))
            }
        };
        let active_params_b = match (self.active_params_b, experts, experts_per_token) {
            (None, Some(e), Some(k)) if k < e => {
                return Err(Error::invalid(
                    path("activeParamsB"),
                    "given for a mixture of experts (the parameters one token passes through)",
                    "nothing",
                ))
            }
            (None, _, _) => params_b,
            (Some(active), Some(e), Some(k)) => {
                // Total = shared + E x expert and active = shared + k x expert, with shared >= 0.
                let least = params_b * f64::from(k) / f64::from(e);
                if !(active.is_finite() && active >= least * (1.0 - 1e-9)) {
                    return Err(Error::invalid(
                        path("activeParamsB"),
                        format!("at least paramsB x expertsPerToken / experts ({least})"),
                        active,
                    ));
                }
                check::positive(&path("activeParamsB"), active, params_b)?
            }
            (Some(active), _, _) => {
                return Err(Error::invalid(
                    path("activeParamsB"),
                    "left out for a dense model (give experts and expertsPerToken for a mixture of experts)",
                    active,
                ))
            }
        };
        let shape_derived = [
            self.layers,
            self.hidden,
            self.heads,
            self.kv_heads,
            self.head_dim,
            self.ffn,
            self.vocab,
        ]
        .iter()
        .any(Option::is_none);
        Ok(ModelSpec {
            id: self.id.clone().unwrap_or_else(|| format!("custom-{params_b}B")),
            params_b,
            active_params_b,
            layers,
            hidden,
            heads,
            kv_heads,
            head_dim,
            ffn,
            vocab,
            experts,
            experts_per_token,
            shape_derived,
            source: if shape_derived {
                "given in the scenario; missing shape derived in Llama-3 proportions".to_string()
            } else {
                "given in the scenario".to_string()
            },
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn model(
    id: &str,
    layers: u32,
    hidden: u32,
    heads: u32,
    kv_heads: u32,
    ffn: u32,
    vocab: u32,
    params_b: f64,
    active_params_b: f64,
    moe: Option<(u32, u32)>,
    source: &str,
) -> ModelSpec {
    ModelSpec {
        id: id.to_string(),
        params_b,
        active_params_b,
        layers,
        hidden,
        heads,
        kv_heads,
        head_dim: 128,
        ffn,
        vocab,
        experts: moe.map(|(experts, _)| experts),
        experts_per_token: moe.map(|(_, per_token)| per_token),
        shape_derived: false,
        source: source.to_string(),
    }
}

#[rustfmt::skip]
pub(super) fn builtin() -> Vec<ModelSpec> {
    vec![
        model("Llama-3.1-8B", 32, 4096, 32, 8, 14336, 128_256, 8.03, 8.03, None,
            "HF config.json (meta-llama/Llama-3.1-8B) via aiconfigurator model_configs"),
        model("Llama-3.1-70B", 80, 8192, 64, 8, 28672, 128_256, 70.55, 70.55, None,
            "HF config.json (meta-llama/Llama-3.1-70B) via aiconfigurator model_configs"),
        // Llama 3.3 70B reuses the Llama 3.1 70B architecture unchanged (Meta model card).
        model("Llama-3.3-70B", 80, 8192, 64, 8, 28672, 128_256, 70.55, 70.55, None,
            "HF config.json (meta-llama/Llama-3.3-70B-Instruct): same architecture as Llama-3.1-70B"),
        model("Llama-3.1-405B", 126, 16384, 128, 8, 53248, 128_256, 405.85, 405.85, None,
            "HF config.json (meta-llama/Llama-3.1-405B) via aiconfigurator model_configs"),
        model("Llama-2-70B", 80, 8192, 64, 8, 28672, 32_000, 68.98, 68.98, None,
            "vidur model_configs + HF module dump (meta-llama/Llama-2-70b-hf)"),
        model("Mixtral-8x7B", 32, 4096, 32, 8, 14336, 32_000, 46.70, 12.88, Some((8, 2)),
            "HF config.json (mistralai/Mixtral-8x7B-v0.1) via aiconfigurator model_configs"),
        model("Qwen2.5-72B", 80, 8192, 64, 8, 29568, 152_064, 72.71, 72.71, None,
            "third-party copies of HF config.json (Qwen/Qwen2.5-72B); medium confidence"),
        model("Mistral-Large-2407", 88, 12288, 96, 8, 28672, 32_768, 122.61, 122.61, None,
            "HF config.json (mistralai/Mistral-Large-Instruct-2407); 32,768-token vocabulary per the mistral-inference README"),
    ]
}
