//! The process's heap (glibc): one arena, and freed memory given back after a relist. Used
//! by the TUI's start-up and event loop; nothing here draws.
//!
//! A relist of 20,000 objects parses, stages and sorts them, then frees the transient
//! copies; glibc's allocator keeps that freed memory in its arenas, where it counts as the
//! process's RSS for as long as fluxdeck runs (the README's performance notes give the
//! figures). `malloc_trim(0)` hands the free pages of every arena back. Other C libraries
//! (musl) return memory on their own and have no such call, so this is glibc-only.

/// Makes every thread allocate from one glibc arena. glibc gives each thread that meets
/// contention an arena of its own, and each keeps its own free memory, a sixth of the TUI's
/// RSS. The TUI allocates little at a time on a few threads, so one arena costs it nothing
/// measurable. Call it before
/// starting threads; elsewhere than glibc it does nothing.
pub fn use_one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` takes no pointers; `M_ARENA_MAX` only bounds arenas made later.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Returns free heap pages to the system (glibc); does nothing elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes no pointers and only walks the allocator's own free
    // lists under its locks; it is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn trimming_keeps_live_allocations_intact() {
        let live: Vec<String> = (0..1000).map(|i| format!("row-{i}")).collect();
        let freed: Vec<Vec<u8>> = (0..100).map(|_| vec![7u8; 64 * 1024]).collect();
        drop(freed);
        super::release_free_memory();
        assert_eq!(live[999], "row-999");
        assert!(
            live.iter()
                .enumerate()
                .all(|(i, s)| *s == format!("row-{i}"))
        );
    }
}
