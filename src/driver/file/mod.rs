//! Snapshot files: raw images, ELF core dumps, LiME.
