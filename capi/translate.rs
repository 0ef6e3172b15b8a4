//! Address translation: page-table walks, symbols, pid <-> page table.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use core::ffi::c_char;
use core::ptr;

use super::guard::{not_yet, not_yet_or};
use super::types::*;

/// Translates kernel virtual address `vaddr` to a guest-physical address.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_kv2p(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    paddr: *mut addr_t,
) -> status_t {
    not_yet("vmi_translate_kv2p")
}

/// Translates virtual address `vaddr` of process `pid` to a guest-physical address.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_uv2p(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    paddr: *mut addr_t,
) -> status_t {
    not_yet("vmi_translate_uv2p")
}

/// Looks up the virtual address of kernel symbol `symbol`.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_ksym2v(
    vmi: vmi_instance_t,
    symbol: *const c_char,
    vaddr: *mut addr_t,
) -> status_t {
    not_yet("vmi_translate_ksym2v")
}

/// Looks up the virtual address of `symbol` in the module whose base `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_sym2v(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    symbol: *const c_char,
    vaddr: *mut addr_t,
) -> status_t {
    not_yet("vmi_translate_sym2v")
}

/// Returns the symbol at relative address `rva` in the module whose base `ctx` describes, or
/// NULL. The string belongs to the library.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_v2sym(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    rva: addr_t,
) -> *const c_char {
    not_yet_or("vmi_translate_v2sym", ptr::null())
}

/// Returns the kernel symbol at virtual address `va`, or NULL. The string belongs to the library.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_v2ksym(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    va: addr_t,
) -> *const c_char {
    not_yet_or("vmi_translate_v2ksym", ptr::null())
}

/// Finds the page-table base (DTB) of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_pid_to_dtb(
    vmi: vmi_instance_t,
    pid: vmi_pid_t,
    dtb: *mut addr_t,
) -> status_t {
    not_yet("vmi_pid_to_dtb")
}

/// Finds the process whose page-table base is `dtb`.
#[no_mangle]
pub unsafe extern "C" fn vmi_dtb_to_pid(
    vmi: vmi_instance_t,
    dtb: addr_t,
    pid: *mut vmi_pid_t,
) -> status_t {
    not_yet("vmi_dtb_to_pid")
}

/// Translates `vaddr` by walking the page table at `pt` in the instance's paging mode.
#[no_mangle]
pub unsafe extern "C" fn vmi_pagetable_lookup(
    vmi: vmi_instance_t,
    pt: addr_t,
    vaddr: addr_t,
    paddr: *mut addr_t,
) -> status_t {
    not_yet("vmi_pagetable_lookup")
}

/// Like vmi_pagetable_lookup, also recording page size and every entry visited in `*info`.
#[no_mangle]
pub unsafe extern "C" fn vmi_pagetable_lookup_extended(
    vmi: vmi_instance_t,
    pt: addr_t,
    vaddr: addr_t,
    info: *mut page_info_t,
) -> status_t {
    not_yet("vmi_pagetable_lookup_extended")
}

/// Translates `vaddr` through page table `pt` (mode `pm`) whose accesses go through the nested
/// table `npt` (mode `npm`). `*paddr` gets the result of the first stage, `*naddr` the final
/// address.
#[no_mangle]
pub unsafe extern "C" fn vmi_nested_pagetable_lookup(
    vmi: vmi_instance_t,
    npt: addr_t,
    npm: page_mode_t,
    pt: addr_t,
    pm: page_mode_t,
    vaddr: addr_t,
    paddr: *mut addr_t,
    naddr: *mut addr_t,
) -> status_t {
    not_yet("vmi_nested_pagetable_lookup")
}

/// Like vmi_nested_pagetable_lookup, filling `*info`. (Declared but not implemented by upstream
/// LibVMI.)
#[no_mangle]
pub unsafe extern "C" fn vmi_nested_pagetable_lookup_extended(
    vmi: vmi_instance_t,
    npt: addr_t,
    npm: page_mode_t,
    pt: addr_t,
    pm: page_mode_t,
    vaddr: addr_t,
    info: *mut page_info_t,
) -> status_t {
    not_yet("vmi_nested_pagetable_lookup_extended")
}

/// Returns the context of the last failed page-table walk, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_last_pagetable_lookup_fault(
    vmi: vmi_instance_t,
) -> *const access_context_t {
    not_yet_or("vmi_get_last_pagetable_lookup_fault", ptr::null())
}
