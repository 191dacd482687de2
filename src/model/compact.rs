//! Serde for `CompactString` fields, as plain strings (compact_str's own `serde` feature
//! would rebuild ratatui, which shares the crate). Used by `--record` and `replay`.

use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serializer};

/// Writes the string.
pub fn serialize<S: Serializer>(s: &CompactString, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s)
}

/// Reads a string.
pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<CompactString, D::Error> {
    String::deserialize(de).map(CompactString::from)
}

/// The same for `Option<CompactString>`.
pub mod option {
    use super::*;

    /// Writes the string or `null`.
    pub fn serialize<S: Serializer>(s: &Option<CompactString>, ser: S) -> Result<S::Ok, S::Error> {
        match s {
            Some(s) => ser.serialize_some(s.as_str()),
            None => ser.serialize_none(),
        }
    }

    /// Reads a string or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        de: D,
    ) -> Result<Option<CompactString>, D::Error> {
        Option::<String>::deserialize(de).map(|s| s.map(CompactString::from))
    }
}
