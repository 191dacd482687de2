//! Writing the rewritten files: each atomically (a temporary file in the same directory,
//! renamed over the target), several at once.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{SettersError, io};

/// A rewritten file waiting to be written.
pub(super) struct PendingWrite {
    /// Where the text goes.
    pub dest: PathBuf,
    /// The new content.
    pub text: String,
    /// The file whose permissions the new one takes.
    pub permissions_of: PathBuf,
}

/// How many files are written at once. Each atomic write is a few metadata operations that
/// wait on the filesystem, so a few threads overlap the waits; more gain nothing measurable.
const WRITERS: usize = 8;

/// Writes every pending file, each atomically, on up to [`WRITERS`] threads. The first
/// error (in walk order) is returned; files are independent, so a failed one leaves the
/// others whole, as the sequential writes did.
pub(super) fn write_all(pending: &[PendingWrite]) -> Result<(), SettersError> {
    if pending.len() < 2 {
        return pending
            .iter()
            .try_for_each(|w| atomic_write(&w.dest, &w.text, Some(&w.permissions_of)));
    }
    let chunk = pending.len().div_ceil(WRITERS);
    let results: Vec<Result<(), SettersError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pending
            .chunks(chunk)
            .map(|part| {
                let first = part.first().map(|w| w.dest.clone()).unwrap_or_default();
                let handle = scope.spawn(move || {
                    part.iter()
                        .try_for_each(|w| atomic_write(&w.dest, &w.text, Some(&w.permissions_of)))
                });
                (first, handle)
            })
            .collect();
        handles
            .into_iter()
            .map(|(first, h)| {
                h.join().unwrap_or_else(|_| {
                    Err(io(
                        "writing",
                        &first,
                        std::io::Error::other("a writer thread panicked"),
                    ))
                })
            })
            .collect()
    });
    results.into_iter().collect()
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `text` to `dest` through a temporary file in the same directory and a rename, so
/// readers see the old file or the new one, never half of one, even if fluxdeck dies midway.
/// Permissions come from `permissions_of` when it exists. There is no fsync per file (it
/// would cost seconds per run): like git checkouts and Flux's own writes, durability across a
/// power loss is left to the filesystem, which orders a rename-over after its data.
fn atomic_write(
    dest: &Path,
    text: &str,
    permissions_of: Option<&Path>,
) -> Result<(), SettersError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io("creating", dir, e))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.fluxdeck-{}-{n}.tmp", std::process::id()));
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(text.as_bytes())?;
        if let Some(source) = permissions_of
            && let Ok(meta) = fs::metadata(source)
        {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        fs::rename(&tmp, dest)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io("writing", dest, e));
    }
    Ok(())
}
