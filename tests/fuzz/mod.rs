//! Helpers of the `fuzz_parsers` test binary: a seeded mutation fuzzer
//! that runs on stable Rust (see `runner.rs` for the environment knobs).
#![allow(dead_code)]

pub mod alloc;
pub mod capi;
pub mod files;
pub mod guest;
pub mod mem;
pub mod mutate;
pub mod profiles;
pub mod rng;
pub mod runner;
pub mod seeds;

use std::path::PathBuf;

/// `$VMI_GUESTS_DIR`, else this checkout's `target/guests`.
pub fn guests_root() -> PathBuf {
    match std::env::var_os("VMI_GUESTS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/guests"),
    }
}

/// `VMI_REQUIRE_GUESTS=1` turns a missing guest image into a failure.
pub fn guests_required() -> bool {
    std::env::var("VMI_REQUIRE_GUESTS").is_ok_and(|v| v == "1")
}

/// Loads a guest for a target, or says why the target is skipped.
pub fn guest_or_skip(name: &'static str) -> Option<guest::Guest> {
    match guest::Guest::load(name) {
        Some(g) => Some(g),
        None => {
            assert!(
                !guests_required(),
                "guest image {name} is required but not built"
            );
            eprintln!(
                "fuzz: skipped: guest image {name} not built under {}",
                guests_root().display()
            );
            None
        }
    }
}
