//! Flux image policy engine (filterTags, semver, alphabetical, numerical), pure: no I/O.
