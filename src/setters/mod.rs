//! `$imagepolicy` setter markers rewritten over text (keeping every other byte), commit message templates and change lists; pure.
