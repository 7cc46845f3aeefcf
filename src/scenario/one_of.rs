//! Decoders of the inputs that take several JSON shapes (a model id or a model object, a token
//! count or a distribution, one SLO or a list): written by hand so that a wrong type says what
//! was expected ("a model id such as … or a model object such as …") instead of serde's "did
//! not match any variant of untagged enum".

use super::{GpuRef, Lengths, LengthsInput, ModelRef, Slo, Slos};
use crate::catalog::{CustomModel, GpuSpec};
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::Deserialize;

/// The decoder of an input that takes one of several JSON shapes (a string, a number, an
/// object, a list): each shape it accepts maps to a variant; any other says what was expected.
struct OneOf<T, M, S> {
    expecting: &'static str,
    string: Option<fn(&str) -> T>,
    number: Option<fn(f64) -> T>,
    map: Option<fn(M) -> T>,
    seq: Option<fn(Vec<S>) -> T>,
}

impl<'de, T, M: Deserialize<'de>, S: Deserialize<'de>> Visitor<'de> for OneOf<T, M, S> {
    type Value = T;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        self.string
            .map(|f| f(text))
            .ok_or_else(|| E::invalid_type(Unexpected::Str(text), &self))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<T, E> {
        self.number
            .map(|f| f(number))
            .ok_or_else(|| E::invalid_type(Unexpected::Float(number), &self))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<T, E> {
        self.number
            .map(|f| f(number as f64))
            .ok_or_else(|| E::invalid_type(Unexpected::Signed(number), &self))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<T, E> {
        self.number
            .map(|f| f(number as f64))
            .ok_or_else(|| E::invalid_type(Unexpected::Unsigned(number), &self))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        match self.map {
            Some(f) => M::deserialize(de::value::MapAccessDeserializer::new(map)).map(f),
            None => Err(de::Error::invalid_type(Unexpected::Map, &self)),
        }
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        match self.seq {
            Some(f) => Vec::<S>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(f),
            None => Err(de::Error::invalid_type(Unexpected::Seq, &self)),
        }
    }
}

impl<'de> Deserialize<'de> for ModelRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOf::<_, CustomModel, ()> {
            expecting: "a model id such as \"Llama-3.1-70B\" or a model object such as { \"paramsB\": 128 }",
            string: Some(|id| ModelRef::Id(id.to_string())),
            number: None,
            map: Some(ModelRef::Custom),
            seq: None,
        })
    }
}

impl<'de> Deserialize<'de> for GpuRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOf::<_, GpuSpec, ()> {
            expecting: "a GPU id such as \"H100-SXM\" or a GPU object such as { \"memoryGb\": 80, ... }",
            string: Some(|id| GpuRef::Id(id.to_string())),
            number: None,
            map: Some(GpuRef::Custom),
            seq: None,
        })
    }
}

impl<'de> Deserialize<'de> for Lengths {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOf::<_, LengthsInput, ()> {
            expecting: "a token count or { \"mean\": tokens, \"cv\": variation }",
            string: None,
            number: Some(Lengths::Mean),
            map: Some(Lengths::Distribution),
            seq: None,
        })
    }
}

impl<'de> Deserialize<'de> for Slos {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOf::<_, Slo, Slo> {
            expecting: "an SLO { \"metric\": \"ttft\", \"percentile\": 95, \"targetMs\": 500 } or a list of them",
            string: None,
            number: None,
            map: Some(Slos::One),
            seq: Some(Slos::Many),
        })
    }
}
