//! The JSON fixtures under `src/model/testdata/`, for unit tests.

use serde_json::Value;

/// Reads fixture `name`; panics in tests when it is missing or not JSON.
pub fn json(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/model/testdata")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// The `items` of a `kind: List` fixture.
pub fn items(name: &str) -> Vec<Value> {
    match json(name) {
        Value::Object(mut map) => match map.remove("items") {
            Some(Value::Array(items)) => items,
            _ => panic!("fixture {name} has no items"),
        },
        _ => panic!("fixture {name} is not an object"),
    }
}
