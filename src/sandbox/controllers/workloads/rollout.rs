//! The Deployment controller's arithmetic, pure: `maxSurge`/`maxUnavailable` as ints or
//! percentages, how far the new ReplicaSet may grow, how far the old ones may shrink, and how
//! a scale spreads over ReplicaSets mid-rollout (Kubernetes' `deployment/util` and
//! `rolling.go`, rewritten).

use serde_json::Value;

/// An `IntOrString` of a rolling update: `3` or `"25%"`, scaled against `total` (percentages
/// round up for surge, down for unavailable). A string that is not a percentage is `None`.
pub(super) fn scaled(v: &Value, total: i32, round_up: bool) -> Option<i32> {
    if let Some(n) = v.as_i64() {
        return i32::try_from(n).ok();
    }
    let percent: i64 = v.as_str()?.strip_suffix('%')?.trim().parse().ok()?;
    let product = percent.checked_mul(i64::from(total))?;
    let value = if round_up {
        (product + 99).div_euclid(100)
    } else {
        product.div_euclid(100)
    };
    i32::try_from(value).ok()
}

/// How a Deployment replaces pods, resolved against its replica count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Strategy {
    /// `Recreate` (else `RollingUpdate`).
    pub recreate: bool,
    /// Pods allowed above the replica count.
    pub surge: i32,
    /// Pods allowed below the replica count (already capped at `replicas`).
    pub unavailable: i32,
}

impl Strategy {
    /// The strategy of a Deployment `spec` (absent parts take the API's defaults, 25%/25%).
    pub(super) fn of(spec: &Value) -> Strategy {
        let replicas = replicas(spec);
        if spec["strategy"]["type"] == "Recreate" {
            return Strategy {
                recreate: true,
                surge: 0,
                unavailable: 0,
            };
        }
        let rolling = &spec["strategy"]["rollingUpdate"];
        let pick = |key: &str| match &rolling[key] {
            Value::Null => Value::String("25%".into()),
            v => v.clone(),
        };
        let (surge, unavailable) = fenceposts(&pick("maxSurge"), &pick("maxUnavailable"), replicas);
        Strategy {
            recreate: false,
            surge,
            unavailable: if replicas == 0 {
                0
            } else {
                unavailable.min(replicas)
            },
        }
    }
}

/// `spec.replicas` (1 when absent, as the API defaults it; never negative).
pub(super) fn replicas(spec: &Value) -> i32 {
    spec["replicas"]
        .as_i64()
        .map(|n| n.clamp(0, i64::from(i32::MAX)) as i32)
        .unwrap_or(1)
}

/// Resolves surge (rounded up) and unavailable (rounded down) against `desired`; when both
/// come to zero, one pod may be unavailable (the API forbids both zero, rounding may not).
pub(super) fn fenceposts(max_surge: &Value, max_unavailable: &Value, desired: i32) -> (i32, i32) {
    let surge = scaled(max_surge, desired, true).unwrap_or(0).max(0);
    let unavailable = scaled(max_unavailable, desired, false).unwrap_or(0).max(0);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// What the rollout knows of one ReplicaSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RsCounts {
    /// `spec.replicas`.
    pub replicas: i32,
    /// `status.availableReplicas`.
    pub available: i32,
}

/// The size the new ReplicaSet may grow to now: the whole replica count for `Recreate`;
/// for a rolling update, as far as `replicas + surge` allows given every ReplicaSet's size.
pub(super) fn new_rs_replicas(s: Strategy, replicas: i32, all_total: i32, new_now: i32) -> i32 {
    if s.recreate {
        return replicas;
    }
    let max_total = replicas.saturating_add(s.surge);
    if all_total >= max_total {
        return new_now;
    }
    let up = (max_total - all_total).min(replicas - new_now).max(0);
    new_now + up
}

/// How many pods the old ReplicaSets may lose in one step of a rolling update, before
/// unhealthy ones are cleaned up: what keeps `replicas - unavailable` available, counting the
/// new ReplicaSet's unavailable pods as already missing.
pub(super) fn max_scaled_down(s: Strategy, replicas: i32, all_total: i32, new: &RsCounts) -> i32 {
    let min_available = replicas - s.unavailable;
    let new_unavailable = new.replicas - new.available;
    all_total - min_available - new_unavailable
}

/// The old ReplicaSets' new sizes after removing their unavailable pods (oldest first), at
/// most `budget` pods in all; returns the sizes and how many pods went.
pub(super) fn cleanup_unhealthy(olds: &[RsCounts], budget: i32) -> (Vec<i32>, i32) {
    let mut total = 0;
    let sizes = olds
        .iter()
        .map(|rs| {
            if total >= budget || rs.replicas == 0 || rs.replicas == rs.available {
                return rs.replicas;
            }
            let down = (budget - total).min(rs.replicas - rs.available).max(0);
            total += down;
            rs.replicas - down
        })
        .collect();
    (sizes, total)
}

/// The old ReplicaSets' new sizes when available pods beyond `replicas - unavailable` may go
/// (oldest first); `available` counts every ReplicaSet's available pods.
pub(super) fn scale_down_old(s: Strategy, replicas: i32, available: i32, olds: &[i32]) -> Vec<i32> {
    let min_available = replicas - s.unavailable;
    let mut left = (available - min_available).max(0);
    olds.iter()
        .map(|&size| {
            let down = size.min(left).max(0);
            left -= down;
            size - down
        })
        .collect()
}

/// One active ReplicaSet in a proportional scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Share {
    /// `spec.replicas`.
    pub replicas: i32,
    /// Its `max-replicas` annotation: the Deployment's size plus surge when it last scaled.
    pub max_before: Option<i32>,
}

/// Spreads a change of the Deployment's size over its active ReplicaSets (mid-rollout), in
/// proportion to their sizes; `shares` are ordered as Kubernetes orders them (the largest
/// first; when growing, newer first among equals; when shrinking, older first). Leftovers go
/// to the first. Returns the new sizes in the same order.
pub(super) fn proportional(
    shares: &[Share],
    replicas: i32,
    surge: i32,
    status_replicas: i32,
) -> Vec<i32> {
    let total: i32 = shares.iter().map(|s| s.replicas).sum();
    let allowed = if replicas > 0 { replicas + surge } else { 0 };
    let to_add = allowed - total;
    if to_add == 0 {
        return shares.iter().map(|s| s.replicas).collect();
    }
    let mut added = 0;
    let mut sizes: Vec<i32> = shares
        .iter()
        .map(|s| {
            if s.replicas == 0 || to_add == added {
                return s.replicas;
            }
            let fraction = if replicas == 0 {
                -s.replicas
            } else {
                let before = match s.max_before.filter(|m| *m > 0) {
                    Some(m) => m,
                    None => status_replicas,
                };
                if before == 0 {
                    0
                } else {
                    let exact = f64::from(s.replicas) / f64::from(before) * f64::from(allowed);
                    exact.round() as i32 - s.replicas
                }
            };
            let left = to_add - added;
            let part = if to_add > 0 {
                fraction.min(left)
            } else {
                fraction.max(left)
            };
            added += part;
            s.replicas + part
        })
        .collect();
    if let Some(first) = sizes.first_mut() {
        *first = (*first + to_add - added).max(0);
    }
    sizes
}

/// Doubling back-off from `initial`, capped at `max`: the next wait after `current`.
pub(super) fn next_backoff(
    current: Option<std::time::Duration>,
    initial: std::time::Duration,
    max: std::time::Duration,
) -> std::time::Duration {
    match current {
        None => initial.min(max),
        Some(d) => d.saturating_mul(2).min(max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn percentages_round_up_for_surge_and_down_for_unavailable() {
        assert_eq!(scaled(&json!("25%"), 10, true), Some(3));
        assert_eq!(scaled(&json!("25%"), 10, false), Some(2));
        assert_eq!(scaled(&json!("25%"), 1, true), Some(1));
        assert_eq!(scaled(&json!("25%"), 1, false), Some(0));
        assert_eq!(scaled(&json!(2), 10, true), Some(2));
        assert_eq!(scaled(&json!("two"), 10, true), None);
        assert_eq!(fenceposts(&json!("25%"), &json!("25%"), 1), (1, 0));
        assert_eq!(fenceposts(&json!(0), &json!("10%"), 3), (0, 1));
        assert_eq!(fenceposts(&json!("50%"), &json!(1), 4), (2, 1));
    }

    #[test]
    fn strategies_resolve_against_the_replica_count() {
        let spec = json!({"replicas": 4});
        assert_eq!(
            Strategy::of(&spec),
            Strategy {
                recreate: false,
                surge: 1,
                unavailable: 1
            }
        );
        let spec = json!({"replicas": 2, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 5}}});
        assert_eq!(Strategy::of(&spec).unavailable, 2);
        let spec = json!({"replicas": 3, "strategy": {"type": "Recreate"}});
        assert!(Strategy::of(&spec).recreate);
        assert_eq!(replicas(&json!({})), 1);
    }

    #[test]
    fn the_new_replica_set_grows_within_surge() {
        let s = Strategy {
            recreate: false,
            surge: 1,
            unavailable: 0,
        };
        // 3 replicas, old at 3, new at 0: one surge pod.
        assert_eq!(new_rs_replicas(s, 3, 3, 0), 1);
        // At the limit: no growth.
        assert_eq!(new_rs_replicas(s, 3, 4, 1), 1);
        // First rollout: everything at once.
        assert_eq!(new_rs_replicas(s, 3, 0, 0), 3);
        let recreate = Strategy {
            recreate: true,
            surge: 0,
            unavailable: 0,
        };
        assert_eq!(new_rs_replicas(recreate, 3, 3, 0), 3);
    }

    #[test]
    fn old_replica_sets_shrink_only_while_enough_pods_stay_available() {
        let s = Strategy {
            recreate: false,
            surge: 1,
            unavailable: 0,
        };
        let new = RsCounts {
            replicas: 1,
            available: 0,
        };
        // 3 old + 1 new unavailable: nothing may go.
        assert_eq!(max_scaled_down(s, 3, 4, &new), 0);
        let ready = RsCounts {
            replicas: 1,
            available: 1,
        };
        assert_eq!(max_scaled_down(s, 3, 4, &ready), 1);
        assert_eq!(scale_down_old(s, 3, 4, &[3]), vec![2]);
        assert_eq!(scale_down_old(s, 3, 3, &[3]), vec![3]);
        // Oldest first, across several.
        let s2 = Strategy {
            unavailable: 2,
            ..s
        };
        assert_eq!(scale_down_old(s2, 4, 5, &[1, 3]), vec![0, 1]);
    }

    #[test]
    fn unhealthy_old_pods_go_first_within_the_budget() {
        let olds = [
            RsCounts {
                replicas: 2,
                available: 0,
            },
            RsCounts {
                replicas: 3,
                available: 3,
            },
            RsCounts {
                replicas: 2,
                available: 1,
            },
        ];
        assert_eq!(cleanup_unhealthy(&olds, 3), (vec![0, 3, 1], 3));
        assert_eq!(cleanup_unhealthy(&olds, 1), (vec![1, 3, 2], 1));
    }

    #[test]
    fn a_scale_mid_rollout_spreads_in_proportion() {
        // 10 replicas (+3 surge = 13) split 8 new / 5 old; scaling to 20 (+5 surge = 25).
        let shares = [
            Share {
                replicas: 8,
                max_before: Some(13),
            },
            Share {
                replicas: 5,
                max_before: Some(13),
            },
        ];
        let sizes = proportional(&shares, 20, 5, 13);
        assert_eq!(sizes.iter().sum::<i32>(), 25);
        assert_eq!(sizes, vec![15, 10]);
        // Scaling to zero empties everything.
        assert_eq!(proportional(&shares, 0, 0, 13), vec![0, 0]);
    }

    #[test]
    fn back_off_doubles_to_its_cap() {
        let (ten, cap) = (Duration::from_secs(10), Duration::from_secs(300));
        let mut d = None;
        let mut seen = Vec::new();
        for _ in 0..7 {
            let next = next_backoff(d, ten, cap);
            seen.push(next.as_secs());
            d = Some(next);
        }
        assert_eq!(seen, [10, 20, 40, 80, 160, 300, 300]);
    }
}
