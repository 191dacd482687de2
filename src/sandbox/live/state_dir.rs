//! The sandbox's state directory: marked as its own, emptied only when it carries the
//! marker, and files in it written readable by the owner only.

use std::path::Path;

use crate::sandbox::error::SandboxError;

/// The file that marks a state directory as the sandbox's own (it may delete what it wrote
/// there, and nothing else).
pub const MARKER: &str = ".fluxdeck-sandbox";

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SandboxError + '_ {
    move |e| {
        SandboxError::Seed(format!(
            "cannot prepare the state directory {}: {e}; choose another with --state-dir",
            path.display()
        ))
    }
}

/// Makes `dir` ready for a new run: creates it, or empties what an earlier sandbox wrote
/// there (it carries [`MARKER`]); a directory with other files is refused, never emptied.
pub fn prepare_state_dir(dir: &Path) -> Result<(), SandboxError> {
    let err = io_err(dir);
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(&err)?;
        let empty = entries.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            return Err(SandboxError::Seed(format!(
                "the state directory {} holds files fluxdeck did not write; point --state-dir at an empty or new directory",
                dir.display()
            )));
        }
        for sub in ["git", "ci"] {
            let p = dir.join(sub);
            if p.exists() {
                std::fs::remove_dir_all(&p).map_err(&err)?;
            }
        }
    }
    for sub in ["git", "ci"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(&err)?;
    }
    std::fs::write(
        dir.join(MARKER),
        "This directory belongs to a fluxdeck sandbox; it empties git/ and ci/ on each start.\n",
    )
    .map_err(&err)?;
    Ok(())
}

/// Writes `path` readable by the owner only.
pub(super) fn write_private(path: &Path, text: &str) -> Result<(), SandboxError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io_err(path))?;
    f.write_all(text.as_bytes()).map_err(io_err(path))
}
