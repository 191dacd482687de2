//! Helpers shared by the setters integration tests and benchmark.

use std::fs;
use std::path::{Path, PathBuf};

/// The seed config repository of the reference pipeline.
pub fn seed_repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/seed-gitops/microservices-repo")
}

/// Copies a directory tree (files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), dest).unwrap();
        }
    }
}
