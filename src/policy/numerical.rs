//! The `numerical` policy: every candidate must parse as a Go float64 (one that does not
//! fails the whole policy); `asc` picks the greatest, `desc` the smallest.
//!
//! Ties and NaN follow Flux's loop exactly: a candidate is skipped only when it is strictly
//! worse than the current pick, so the *last* of equal values wins (`1`, `1.0`, `01` →
//! whichever comes last), and since every comparison with NaN is false, a NaN replaces the
//! pick and is then replaced by whatever comes next.

use super::error::PolicyError;
use super::order::Order;
use crate::golang::strconv::parse_float;

/// Index of the selected candidate.
pub fn latest(candidates: &[&str], order: Order) -> Result<usize, PolicyError> {
    if candidates.is_empty() {
        return Err(PolicyError::EmptyList);
    }
    let mut best = 0;
    let mut best_value = 0.0;
    for (i, tag) in candidates.iter().enumerate() {
        let value = parse_float(tag).ok_or_else(|| PolicyError::InvalidNumber {
            tag: (*tag).to_owned(),
        })?;
        let worse = match order {
            Order::Asc => value < best_value,
            Order::Desc => value > best_value,
        };
        if i > 0 && worse {
            continue;
        }
        best = i;
        best_value = value;
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick<'a>(tags: &[&'a str], order: Order) -> &'a str {
        tags[latest(tags, order).unwrap()]
    }

    #[test]
    fn asc_is_max_desc_is_min() {
        let tags = ["1", "10", "9", "-3", "2.5"];
        assert_eq!(pick(&tags, Order::Asc), "10");
        assert_eq!(pick(&tags, Order::Desc), "-3");
    }

    #[test]
    fn go_number_syntax() {
        assert_eq!(pick(&["1e3", "999", "0x1p10", "+5"], Order::Asc), "0x1p10");
        assert_eq!(pick(&["-Inf", "5", "inf"], Order::Asc), "inf");
        assert_eq!(pick(&["-Inf", "5", "inf"], Order::Desc), "-Inf");
    }

    #[test]
    fn last_equal_value_wins() {
        assert_eq!(pick(&["1", "1.0", "01"], Order::Asc), "01");
        assert_eq!(pick(&["01", "1.0", "1"], Order::Desc), "1");
        assert_eq!(pick(&["2", "1", "1.0", "0x1p1"], Order::Asc), "0x1p1");
    }

    #[test]
    fn nan_replaces_then_gets_replaced() {
        assert_eq!(pick(&["5", "NaN"], Order::Asc), "NaN");
        assert_eq!(pick(&["5", "NaN", "1"], Order::Asc), "1");
        assert_eq!(pick(&["NaN", "1", "7", "3"], Order::Asc), "7");
        assert_eq!(pick(&["5", "NaN", "9"], Order::Desc), "9");
    }

    #[test]
    fn one_bad_tag_fails_everything() {
        let err = latest(&["1", "latest", "2"], Order::Asc).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to parse invalid numeric value 'latest'"
        );
        assert_eq!(
            err,
            PolicyError::InvalidNumber {
                tag: "latest".into()
            }
        );
        assert!(latest(&["1", ""], Order::Asc).is_err());
        assert!(latest(&["1e400"], Order::Asc).is_err());
    }

    #[test]
    fn empty_list_is_an_error() {
        assert_eq!(latest(&[], Order::Desc), Err(PolicyError::EmptyList));
    }
}
