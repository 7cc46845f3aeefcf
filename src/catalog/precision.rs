//! Numeric precisions a deployment can run weights in, and what each costs in bytes.

use crate::error::Error;
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Precision {
    Bf16,
    Fp16,
    Fp8,
    /// W8A8 (SmoothQuant-style): int8 weights and activations, int8 tensor cores.
    Int8,
    /// Weight-only int4 (AWQ / GPTQ): 4-bit weights dequantised to bf16, bf16 tensor cores.
    Int4,
    /// NVFP4 weights and activations (Blackwell).
    Fp4,
}

impl Precision {
    pub const ALL: [Precision; 6] = [
        Precision::Bf16,
        Precision::Fp16,
        Precision::Fp8,
        Precision::Int8,
        Precision::Int4,
        Precision::Fp4,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Precision::Bf16 => "bf16",
            Precision::Fp16 => "fp16",
            Precision::Fp8 => "fp8",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
            Precision::Fp4 => "fp4",
        }
    }

    /// Bytes one weight occupies, including quantisation scales.
    pub fn weight_bytes_per_param(self) -> f64 {
        match self {
            Precision::Bf16 | Precision::Fp16 => 2.0,
            Precision::Fp8 | Precision::Int8 => 1.0,
            // AWQ/GPTQ: 4-bit values plus one fp16 scale and zero point per group of 128
            // weights = 4 + 32/128 bits.
            Precision::Int4 => 4.25 / 8.0,
            // NVFP4: 4-bit values plus one fp8 scale per block of 16 = 4 + 8/16 bits
            // (NVIDIA, "Introducing NVFP4", 2025).
            Precision::Fp4 => 4.5 / 8.0,
        }
    }

    /// Bytes of one cached key or value element. FP8 and FP4 checkpoints run with an FP8 KV
    /// cache (TensorRT-LLM's default for them, as in the calibration data); the others keep
    /// the KV cache in 16 bits.
    pub fn kv_bytes_per_element(self) -> f64 {
        match self {
            Precision::Fp8 | Precision::Fp4 => 1.0,
            Precision::Bf16 | Precision::Fp16 | Precision::Int8 | Precision::Int4 => 2.0,
        }
    }

    pub fn valid_ids() -> Vec<String> {
        Precision::ALL.iter().map(|p| p.id().to_string()).collect()
    }

    /// Parses a precision id (case-insensitive), naming `field` in the error.
    pub fn parse(field: &str, text: &str) -> Result<Precision, Error> {
        text.parse().map_err(|_| Error::UnknownId {
            field: field.to_string(),
            kind: "precision",
            got: text.to_string(),
            valid: Precision::valid_ids(),
        })
    }
}

impl FromStr for Precision {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        Precision::ALL
            .into_iter()
            .find(|p| p.id().eq_ignore_ascii_case(text.trim()))
            .ok_or(())
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Precision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}
