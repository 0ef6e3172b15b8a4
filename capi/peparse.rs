//! PE image parsing (`peparse.h`).
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use core::ffi::c_void;

use super::guard::{not_yet, not_yet_or};
use super::types::*;

/// Checks that the `len` bytes at `image` start with valid DOS and PE headers.
#[no_mangle]
pub unsafe extern "C" fn peparse_validate_pe_image(image: *const u8, len: usize) -> status_t {
    not_yet("peparse_validate_pe_image")
}

/// Reads the first `len` bytes of the PE image at the address `ctx` describes into `image`.
#[no_mangle]
pub unsafe extern "C" fn peparse_get_image(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    len: usize,
    image: *mut u8,
) -> status_t {
    not_yet("peparse_get_image")
}

/// Points each non-NULL output at the corresponding header inside `image`;
/// `*optional_header_type` gets the optional header's magic.
#[no_mangle]
pub unsafe extern "C" fn peparse_assign_headers(
    image: *const u8,
    dos_header: *mut *mut dos_header,
    pe_header: *mut *mut pe_header,
    optional_header_type: *mut u16,
    optional_pe_header: *mut *mut c_void,
    oh_pe32: *mut *mut optional_header_pe32,
    oh_pe32plus: *mut *mut optional_header_pe32plus,
) {
    not_yet_or("peparse_assign_headers", ())
}

/// Returns the RVA of data directory `entry_id` from whichever optional header is given.
#[no_mangle]
pub unsafe extern "C" fn peparse_get_idd_rva(
    entry_id: u32,
    optional_header_type: *mut u16,
    optional_header: *mut c_void,
    oh_pe32: *mut optional_header_pe32,
    oh_pe32plus: *mut optional_header_pe32plus,
) -> addr_t {
    not_yet_or("peparse_get_idd_rva", 0)
}

/// Returns the size of data directory `entry_id` from whichever optional header is given.
#[no_mangle]
pub unsafe extern "C" fn peparse_get_idd_size(
    entry_id: u32,
    optional_header_type: *mut u16,
    optional_header: *mut c_void,
    oh_pe32: *mut optional_header_pe32,
    oh_pe32plus: *mut optional_header_pe32plus,
) -> usize {
    not_yet_or("peparse_get_idd_size", 0)
}

/// Reads the export directory of the PE image at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn peparse_get_export_table(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    et: *mut export_table,
    export_table_rva: *mut addr_t,
    export_table_size: *mut usize,
) -> status_t {
    not_yet("peparse_get_export_table")
}
