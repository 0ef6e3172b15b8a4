//! Functions of `libvmi_extra.h` that return GLib lists.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use core::ptr;

use super::guard::not_yet_or;
use super::types::*;

/// Returns every mapped page of page table `pt` as a GSList of heap-allocated page_info_t; free
/// each with g_free() and the list with g_slist_free().
#[no_mangle]
pub unsafe extern "C" fn vmi_get_va_pages(vmi: vmi_instance_t, pt: addr_t) -> *mut GSList {
    not_yet_or("vmi_get_va_pages", ptr::null_mut())
}

/// Like vmi_get_va_pages, for `pt` (mode `pm`) under nested table `npt` (mode `npm`).
#[no_mangle]
pub unsafe extern "C" fn vmi_get_nested_va_pages(
    vmi: vmi_instance_t,
    npt: addr_t,
    npm: page_mode_t,
    pt: addr_t,
    pm: page_mode_t,
) -> *mut GSList {
    not_yet_or("vmi_get_nested_va_pages", ptr::null_mut())
}
