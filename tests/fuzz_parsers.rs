//! Fuzzing of everything that reads untrusted bytes: snapshot files,
//! profiles (System.map, ISF / Rekall JSON, BTF), libvmi.conf, PE headers,
//! the C boundary, and the Linux OS layer over damaged real guest memory.
//!
//! A deterministic, seeded mutation fuzzer for stable Rust: each case is a
//! pure function of (seed, target, iteration) and runs under
//! `catch_unwind`, a time bound and an allocator that refuses (and
//! reports) any single allocation above 1 GiB. A failure prints the seed
//! and iteration that reproduce it and saves the input under
//! `target/fuzz-failures/`. Defaults keep the binary near a minute in CI;
//! `VMI_FUZZ_SECS=120 cargo test --release --test fuzz_parsers` runs each
//! target two minutes (see tests/fuzz/runner.rs for all knobs).

#[path = "fuzz/mod.rs"]
mod fuzz;

use fuzz::runner::{fuzz, Limits};
use fuzz::{capi, files, profiles, seeds};

#[global_allocator]
static ALLOC: fuzz::alloc::Bounded = fuzz::alloc::Bounded;

#[test]
fn snapshot_files() {
    let s = files::snapshot_seeds();
    fuzz(
        "snapshot_files",
        600,
        Limits::default(),
        |r| files::gen(r, &s),
        |b: &Vec<u8>| files::run(b),
    );
}

#[test]
fn system_map() {
    let s = profiles::sysmap_seeds();
    fuzz(
        "system_map",
        1500,
        Limits::default(),
        |r| profiles::gen_text(r, &s, seeds::SYSMAP_DICT),
        |b: &Vec<u8>| profiles::run_sysmap(b),
    );
}

/// A slice of the ISF the library exports for the x86_64 guest's kernel.
fn guest_isf() -> Option<Vec<u8>> {
    let g = fuzz::guest::Guest::load("x86_64")?;
    g.isf_seed()
}

#[test]
fn json_profiles() {
    let s = profiles::json_seeds(guest_isf());
    fuzz(
        "json_profiles",
        1500,
        Limits::default(),
        |r| profiles::gen_json(r, &s),
        |b: &Vec<u8>| profiles::run_json(b),
    );
}

#[test]
fn btf_blobs() {
    let s = profiles::btf_seeds(Vec::new());
    fuzz(
        "btf_blobs",
        3000,
        Limits::default(),
        |r| profiles::gen_btf(r, &s),
        |b: &Vec<u8>| profiles::run_btf(b, u32::MAX),
    );
}

#[test]
fn btf_guest() {
    let blobs: Vec<Vec<u8>> = ["x86_64", "arm64"]
        .into_iter()
        .filter_map(fuzz::guest::guest_btf)
        .collect();
    if blobs.is_empty() {
        assert!(
            !fuzz::guests_required(),
            "no guest BTF (guest images required)"
        );
        eprintln!("fuzz: skipped btf_guest: no guest image with BTF");
        return;
    }
    let s = profiles::btf_seeds(blobs);
    fuzz(
        "btf_guest",
        40,
        Limits::secs(5.0),
        |r| profiles::gen_btf(r, &s[1..]),
        |b: &Vec<u8>| profiles::run_btf(b, 5000),
    );
}

#[test]
fn config_text() {
    let s = vec![
        seeds::CONFIG.as_bytes().to_vec(),
        b"{ ostype = \"Linux\"; }".to_vec(),
    ];
    fuzz(
        "config_text",
        3000,
        Limits::default(),
        |r| profiles::gen_text(r, &s, seeds::CONFIG_DICT),
        |b: &Vec<u8>| profiles::run_config(b),
    );
}

#[test]
fn pe_headers() {
    let s = vec![seeds::pe_image(false), seeds::pe_image(true)];
    fuzz(
        "pe_headers",
        3000,
        Limits::default(),
        |r| {
            let mut b = r.pick(&s).clone();
            // Most damage in the headers and the export directory.
            let mut head = b[..0x1200].to_vec();
            fuzz::mutate::mutate(
                r,
                &mut head,
                &[b"MZ", b"PE\0\0", b"\x0b\x01", b"\x0b\x02"],
                0x4000,
            );
            head.extend_from_slice(&b[0x1200..]);
            b = head;
            b
        },
        |b: &Vec<u8>| capi::pe(b),
    );
}

#[test]
fn capi_init_files() {
    let s = files::snapshot_seeds();
    fuzz(
        "capi_init_files",
        300,
        Limits::default(),
        |r| files::gen(r, &s),
        |b: &Vec<u8>| capi::init_file(b, b"{ ostype = \"Linux\"; }"),
    );
}

#[test]
fn capi_init_config() {
    let image = seeds::memory_pages(4);
    let s = vec![
        b"{ ostype = \"Linux\"; linux_tasks = 0x10; linux_pid = 8; linux_name = 0x20; linux_mm = 0; linux_pgd = 0; }".to_vec(),
        b"{ ostype = \"Linux\"; sysmap = \"/nonexistent/System.map\"; volatility_ist = \"/dev/null\"; }".to_vec(),
    ];
    fuzz(
        "capi_init_config",
        500,
        Limits::default(),
        |r| profiles::gen_text(r, &s, seeds::CONFIG_DICT),
        |c: &Vec<u8>| capi::init_file(&image, c),
    );
}

#[test]
fn capi_strings() {
    fuzz(
        "capi_strings",
        60,
        Limits::default(),
        capi::string_guest,
        |m: &Vec<u8>| capi::read_strings(m),
    );
}

fn guest_target(name: &'static str, target: &'static str, iters: u64) {
    let Some(g) = fuzz::guest_or_skip(name) else {
        return;
    };
    fuzz(target, iters, Limits::secs(5.0), |r| g.gen(r), |c| g.run(c));
}

#[test]
fn guest_x86_64() {
    guest_target("x86_64", "guest_x86_64", 60);
}

#[test]
fn guest_i386() {
    guest_target("i386", "guest_i386", 60);
}

#[test]
fn guest_arm64() {
    guest_target("arm64", "guest_arm64", 60);
}
