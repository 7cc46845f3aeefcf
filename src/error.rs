//! The one error type of the core. Every variant carries the JSON path of the offending input
//! (`workload.promptTokens`) and the value that was given, so `Display` can write a sentence a
//! user can act on. Nothing in the core panics on user input; it returns one of these.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A value outside its allowed range: "fleet.count must be a positive integer, got -3".
    InvalidValue {
        field: String,
        requirement: String,
        got: String,
    },
    /// An identifier that is not in the catalog; the message lists the valid ones.
    UnknownId {
        field: String,
        kind: &'static str,
        got: String,
        valid: Vec<String>,
    },
    /// Input that does not decode: wrong type, missing or unknown field, malformed JSON.
    Malformed { field: String, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: impl Into<String>, requirement: impl Into<String>, got: impl fmt::Display) -> Self {
        Error::InvalidValue {
            field: field.into(),
            requirement: requirement.into(),
            got: shortened(&got.to_string()),
        }
    }

    /// The JSON path of the input the error is about ("" for the whole input).
    pub fn field(&self) -> &str {
        match self {
            Error::InvalidValue { field, .. } | Error::UnknownId { field, .. } | Error::Malformed { field, .. } => {
                field
            }
        }
    }

    /// Decoding errors from serde, with the path where decoding stopped. A missing field is
    /// named by its own path, not its parent's.
    pub(crate) fn from_path_error<E: fmt::Display>(error: serde_path_to_error::Error<E>, root: &str) -> Self {
        let path = error.path().to_string();
        let message = shortened(&error.into_inner().to_string());
        let join = |parent: &str, child: &str| match (parent.is_empty(), child) {
            (_, ".") => parent.to_string(),
            (true, child) => child.to_string(),
            (false, child) => format!("{parent}.{child}"),
        };
        let mut field = join(root, &path);
        if let Some(missing) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            field = join(&field, missing);
        }
        Error::Malformed { field, message }
    }
}

/// A number as a person writes it: plainly in everyday ranges, in scientific notation when huge
/// or tiny (1e308 and 5e-324, not 309 digits or 324 decimals).
pub fn number(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 || !value.is_finite() || (1e-6..1e16).contains(&magnitude) {
        value.to_string()
    } else {
        format!("{value:e}")
    }
}

/// Longest echo of a given value in an error message, characters: a message names what was
/// wrong, it does not repeat a 10 MB input.
const MAX_ECHO_CHARS: usize = 200;

/// `text`, cut to `MAX_ECHO_CHARS` with a note of its length when longer.
fn shortened(text: &str) -> String {
    let length = text.chars().count();
    if length <= MAX_ECHO_CHARS {
        return text.to_string();
    }
    let head: String = text.chars().take(MAX_ECHO_CHARS).collect();
    format!("{head}... ({length} characters)")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidValue {
                field,
                requirement,
                got,
            } => write!(f, "{field} must be {requirement}, got {got}"),
            Error::UnknownId {
                field,
                kind,
                got,
                valid,
            } => {
                write!(
                    f,
                    "{field}: unknown {kind} \"{}\"; valid {kind}s: {}",
                    shortened(got),
                    valid.join(", ")
                )
            }
            Error::Malformed { field, message } if field.is_empty() => write!(f, "{message}"),
            Error::Malformed { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

/// Range checks shared by every validator. Each names the field, the requirement and the
/// limit in its error, and rejects NaN and infinities.
pub(crate) mod check {
    use super::{number, Error, Result};

    /// A finite number in `(0, max]`.
    pub fn positive(field: &str, value: f64, max: f64) -> Result<f64> {
        if value.is_finite() && value > 0.0 && value <= max {
            Ok(value)
        } else {
            Err(Error::invalid(
                field,
                format!("a positive number (at most {})", number(max)),
                number(value),
            ))
        }
    }

    /// A finite number in `[min, max]`.
    pub fn within(field: &str, value: f64, min: f64, max: f64) -> Result<f64> {
        if value.is_finite() && (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(Error::invalid(
                field,
                format!("a number from {} to {}", number(min), number(max)),
                number(value),
            ))
        }
    }

    /// A finite number in `[0, max]`.
    pub fn non_negative(field: &str, value: f64, max: f64) -> Result<f64> {
        if value.is_finite() && (0.0..=max).contains(&value) {
            Ok(value)
        } else {
            Err(Error::invalid(
                field,
                format!("a number from 0 to {}", number(max)),
                number(value),
            ))
        }
    }

    /// One of the ids of `all` (case-insensitive, surrounding space ignored); a miss lists
    /// the valid ids, calling them `kind`s.
    pub fn named<T: Copy>(
        field: &str,
        kind: &'static str,
        all: &[T],
        id: fn(T) -> &'static str,
        text: &str,
    ) -> Result<T> {
        all.iter()
            .copied()
            .find(|&item| id(item).eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| Error::UnknownId {
                field: field.to_string(),
                kind,
                got: text.to_string(),
                valid: all.iter().map(|&item| id(item).to_string()).collect(),
            })
    }

    /// A whole number in `[1, max]`.
    pub fn positive_integer(field: &str, value: f64, max: u32) -> Result<u32> {
        if value.is_finite() && value >= 1.0 && value.fract() == 0.0 && value <= f64::from(max) {
            Ok(value as u32)
        } else {
            Err(Error::invalid(
                field,
                format!("a positive integer (at most {max})"),
                number(value),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_print_extreme_numbers_briefly_and_never_echo_a_huge_value() {
        assert_eq!(number(1e308), "1e308");
        assert_eq!(number(5e-324), "5e-324");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(f64::NAN), "NaN");
        let error = check::positive("workload.promptTokens", 1e308, 1_048_576.0).unwrap_err();
        assert_eq!(
            error.to_string(),
            "workload.promptTokens must be a positive number (at most 1048576), got 1e308"
        );
        let huge = Error::invalid("model", "a catalog id", "x".repeat(10_000_000));
        assert!(huge.to_string().len() < 300, "{}", huge.to_string().len());
    }
}
