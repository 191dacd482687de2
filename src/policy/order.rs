//! The sort direction of the alphabetical and numerical policies (`spec.policy.*.order`).

use std::fmt;
use std::str::FromStr;

use super::error::PolicyError;

/// Sort direction of the alphabetical and numerical policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Order {
    /// Pick the greatest (Flux's default).
    #[default]
    Asc,
    /// Pick the smallest.
    Desc,
}

impl Order {
    /// Flux's reading: upper-cased first (so `asc`, `ASC`, `Asc` agree), empty means `ASC`.
    pub fn parse(order: &str) -> Result<Self, PolicyError> {
        match order.to_uppercase().as_str() {
            "" | "ASC" => Ok(Self::Asc),
            "DESC" => Ok(Self::Desc),
            other => Err(PolicyError::InvalidOrder {
                order: other.to_owned(),
            }),
        }
    }
}

impl FromStr for Order {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        })
    }
}
