//! The translation, symbol, pid and page caches.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use core::ffi::c_char;

use super::guard::not_yet_or;
use super::types::*;

/// Drops cached translations of page table `pt` (~0ull: all).
#[no_mangle]
pub unsafe extern "C" fn vmi_v2pcache_flush(vmi: vmi_instance_t, pt: addr_t) {
    not_yet_or("vmi_v2pcache_flush", ())
}

/// Drops cached translations of `pt` under nested table `npt` (~0ull: all).
#[no_mangle]
pub unsafe extern "C" fn vmi_v2pcache_nested_flush(vmi: vmi_instance_t, pt: addr_t, npt: addr_t) {
    not_yet_or("vmi_v2pcache_nested_flush", ())
}

/// Adds a translation `va` -> `pa` under page table `pt` to the cache.
#[no_mangle]
pub unsafe extern "C" fn vmi_v2pcache_add(vmi: vmi_instance_t, va: addr_t, pt: addr_t, pa: addr_t) {
    not_yet_or("vmi_v2pcache_add", ())
}

/// Adds a translation `va` -> `pa` under `pt` and nested table `npt`.
#[no_mangle]
pub unsafe extern "C" fn vmi_v2pcache_nested_add(
    vmi: vmi_instance_t,
    va: addr_t,
    pt: addr_t,
    npt: addr_t,
    pa: addr_t,
) {
    not_yet_or("vmi_v2pcache_nested_add", ())
}

/// Drops all cached symbol -> address lookups.
#[no_mangle]
pub unsafe extern "C" fn vmi_symcache_flush(vmi: vmi_instance_t) {
    not_yet_or("vmi_symcache_flush", ())
}

/// Caches that `sym` of the module at `base_addr` in process `pid` is at `va`.
#[no_mangle]
pub unsafe extern "C" fn vmi_symcache_add(
    vmi: vmi_instance_t,
    base_addr: addr_t,
    pid: vmi_pid_t,
    sym: *mut c_char,
    va: addr_t,
) {
    not_yet_or("vmi_symcache_add", ())
}

/// Drops all cached address -> symbol lookups.
#[no_mangle]
pub unsafe extern "C" fn vmi_rvacache_flush(vmi: vmi_instance_t) {
    not_yet_or("vmi_rvacache_flush", ())
}

/// Caches that `rva` of the module at `base_addr` in process `pid` is `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_rvacache_add(
    vmi: vmi_instance_t,
    base_addr: addr_t,
    pid: vmi_pid_t,
    rva: addr_t,
    sym: *mut c_char,
) {
    not_yet_or("vmi_rvacache_add", ())
}

/// Drops all cached pid -> page-table lookups.
#[no_mangle]
pub unsafe extern "C" fn vmi_pidcache_flush(vmi: vmi_instance_t) {
    not_yet_or("vmi_pidcache_flush", ())
}

/// Caches that process `pid` uses page table `dtb`.
#[no_mangle]
pub unsafe extern "C" fn vmi_pidcache_add(vmi: vmi_instance_t, pid: vmi_pid_t, dtb: addr_t) {
    not_yet_or("vmi_pidcache_add", ())
}

/// Drops all cached guest pages.
#[no_mangle]
pub unsafe extern "C" fn vmi_pagecache_flush(vmi: vmi_instance_t) {
    not_yet_or("vmi_pagecache_flush", ())
}
