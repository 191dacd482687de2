//! ECR naming rules shared by the registry worker (which reads `spec.image`) and the sandbox
//! registry (which validates `CreateRepository`), so both accept exactly the same names.

/// ECR's repository name grammar: components `[a-z0-9]+([._-][a-z0-9]+)*` joined by `/`,
/// 2 to 256 characters in all.
pub fn valid_repository_name(name: &str) -> bool {
    (2..=256).contains(&name.len())
        && name.split('/').all(|component| {
            component.split(['.', '_', '-']).all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_name_grammar() {
        for ok in ["weaveworksdemos/front-end", "a.b_c-d/e", "ab", "a/b/c1"] {
            assert!(valid_repository_name(ok), "{ok}");
        }
        let long = "a".repeat(257);
        for bad in [
            "a",
            "-ab",
            "ab-",
            "a__b",
            "a//b",
            "ab/",
            "/ab",
            "Ab",
            "a b",
            long.as_str(),
        ] {
            assert!(!valid_repository_name(bad), "{bad}");
        }
    }
}
