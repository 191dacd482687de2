//! What containers printed, for the `log` subresource: the sandbox's kubelet writes the
//! output of each container instance it runs (keyed by its `containerID`, as the container
//! runtime keeps one log per instance), and `GET .../pods/NAME/log` reads the instance the
//! pod's status names: the running one, or with `previous=true` the last terminated one.
//!
//! It lives with the store because both sides already hold the store: the API server reads
//! it and the controllers write it, and neither has to import the other. Containers nothing
//! wrote output for (every seeded pod) get the scenario's usual lines instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The output of container instances, by `containerID` (`containerd://<hex>`).
#[derive(Debug, Default)]
pub struct LogBook {
    lines: Mutex<HashMap<String, Arc<[String]>>>,
}

impl LogBook {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<[String]>>> {
        // A poisoned lock only means a writer panicked between two map operations, each of
        // which leaves the map whole.
        self.lines.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records what the instance `container_id` printed (replacing earlier output).
    pub fn put(&self, container_id: &str, lines: Vec<String>) {
        self.lock().insert(container_id.to_string(), lines.into());
    }

    /// The output of `container_id`, one line per `\n`-terminated line.
    pub fn get(&self, container_id: &str) -> Option<String> {
        let lines = self.lock().get(container_id).cloned()?;
        let mut out = String::new();
        for line in lines.iter() {
            out.push_str(line);
            out.push('\n');
        }
        Some(out)
    }

    /// Forgets the output of `container_id` (its pod is gone, or a newer instance replaced it).
    pub fn remove(&self, container_id: &str) {
        self.lock().remove(container_id);
    }

    /// How many instances have output recorded.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no instance has output recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_kept_per_instance_until_forgotten() {
        let book = LogBook::default();
        assert!(book.get("containerd://a").is_none());
        book.put("containerd://a", vec!["one".into(), "two".into()]);
        assert_eq!(book.get("containerd://a").unwrap(), "one\ntwo\n");
        assert_eq!(book.len(), 1);
        book.remove("containerd://a");
        assert!(book.is_empty());
    }
}
