//! The `alphabetical` policy: Go byte-wise string order; `asc` picks the greatest tag,
//! `desc` the smallest. Equal strings are indistinguishable, so ties do not matter.

use super::error::PolicyError;
use super::order::Order;

/// Index of the selected candidate (the first of equal strings).
pub fn latest(candidates: &[&str], order: Order) -> Result<usize, PolicyError> {
    let mut best: Option<(usize, &str)> = None;
    for (i, tag) in candidates.iter().enumerate() {
        let better = best.is_none_or(|(_, b)| match order {
            Order::Asc => tag.as_bytes() > b.as_bytes(),
            Order::Desc => tag.as_bytes() < b.as_bytes(),
        });
        if better {
            best = Some((i, tag));
        }
    }
    best.map(|(i, _)| i).ok_or(PolicyError::EmptyList)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick<'a>(tags: &[&'a str], order: Order) -> &'a str {
        tags[latest(tags, order).unwrap()]
    }

    #[test]
    fn byte_order_not_locale() {
        let tags = ["b", "B", "a", "1", "Z", "é"];
        assert_eq!(pick(&tags, Order::Asc), "é");
        assert_eq!(pick(&tags, Order::Desc), "1");
        assert_eq!(pick(&["xylophone", "Zebra"], Order::Asc), "xylophone");
        assert_eq!(
            pick(
                &[
                    "RELEASE.2023-01-31T08-42-01Z",
                    "RELEASE.2023-01-31T08-41-01Z"
                ],
                Order::Asc
            ),
            "RELEASE.2023-01-31T08-42-01Z"
        );
    }

    #[test]
    fn prefix_sorts_first_and_empty_is_lowest() {
        assert_eq!(pick(&["abc", "ab", ""], Order::Asc), "abc");
        assert_eq!(pick(&["abc", "ab", ""], Order::Desc), "");
    }

    #[test]
    fn empty_list_is_an_error() {
        assert_eq!(latest(&[], Order::Asc), Err(PolicyError::EmptyList));
    }
}
