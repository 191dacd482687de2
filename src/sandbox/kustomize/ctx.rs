//! What a build carries around: the file tree, the limits and what has been spent of them.

use super::error::{KError, KResult};
use super::tree::{ROOT, Tree, resolve};

/// Bounds on the work one build may do, so hostile input cannot exhaust memory or time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Deepest chain of kustomization directories (each `resources:` directory is one level).
    pub max_depth: usize,
    /// Most objects read from files over the whole build (a file read twice counts twice).
    pub max_objects: usize,
    /// Most bytes read from files plus bytes of patches applied, over the whole build (each
    /// kustomization read counts at least 32 KiB; each transformer counts its objects).
    pub max_bytes: usize,
}

impl Default for Limits {
    /// 64 levels, 20,000 objects, 256 MiB: far above any real repository (Flux's own
    /// `gotk-components.yaml` is about 60 objects and 1 MiB).
    fn default() -> Limits {
        Limits {
            max_depth: 64,
            max_objects: 20_000,
            max_bytes: 256 << 20,
        }
    }
}

/// The state of one build.
pub(crate) struct Ctx<'a> {
    pub tree: Tree<'a>,
    pub limits: Limits,
    bytes: usize,
    objects: usize,
    /// `buildMetadata: [originAnnotations]` is on: objects get `config.kubernetes.io/origin`.
    pub origin_tracking: bool,
    /// `buildMetadata: [managedByLabel]` is on.
    pub managed_by_label: bool,
}

impl<'a> Ctx<'a> {
    /// A build over `tree`.
    pub fn new(tree: Tree<'a>, limits: Limits) -> Ctx<'a> {
        Ctx {
            tree,
            limits,
            bytes: 0,
            objects: 0,
            origin_tracking: false,
            managed_by_label: false,
        }
    }

    /// Counts bytes read or patched.
    pub fn charge_bytes(&mut self, n: usize) -> KResult<()> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.limits.max_bytes {
            return Err(KError::new(format!(
                "the fluxdeck sandbox stopped this build after {} bytes of manifests and patches (limit {})",
                self.bytes, self.limits.max_bytes
            ))
            .hint("the repository is far larger than the sandbox allows: build it with real Flux, or raise Limits::max_bytes"));
        }
        Ok(())
    }

    /// Counts objects read.
    pub fn charge_objects(&mut self, n: usize) -> KResult<()> {
        self.objects = self.objects.saturating_add(n);
        if self.objects > self.limits.max_objects {
            return Err(KError::new(format!(
                "the fluxdeck sandbox stopped this build after {} objects (limit {})",
                self.objects, self.limits.max_objects
            ))
            .hint(
                "the build reads more objects than the sandbox allows: raise Limits::max_objects",
            ));
        }
        Ok(())
    }

    /// Reads a file as kustomize's loader does (relative to directory `dir`), with its errors:
    /// outside the root, a directory, or missing.
    pub fn load(&mut self, dir: &str, path: &str) -> Result<&'a [u8], KError> {
        let r = resolve(dir, path);
        let Some(rel) = r.rel else {
            return Err(KError::new(format!(
                "fs-security-constraint read {abs}: path '{abs}' is not in or below '{ROOT}'",
                abs = r.abs
            ))
            .hint(format!(
                "'{path}' leaves the repository: Flux only reads files of the source artifact; \
                 move the file into the repository"
            )));
        };
        if let Some(bytes) = self.tree.file(&rel) {
            self.charge_bytes(bytes.len())?;
            return Ok(bytes);
        }
        if self.tree.is_dir(&rel) {
            return Err(KError::new(format!("read {}: is a directory", r.abs)));
        }
        Err(
            KError::new(format!("open {}: no such file or directory", r.abs)).hint(format!(
                "'{path}' (from directory '{dir}') is not in the repository at this revision: \
             fix the path or commit the file"
            )),
        )
    }
}
