//! Instance set-up and tear-down, and accessors for instance properties.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use core::ffi::{c_char, c_uint, c_ulong, c_void};
use core::ptr;

use super::guard::{not_yet, not_yet_or};
use super::types::*;

/// Creates an instance for the VM `domain` (name, id or UUID per `init_flags`) using driver
/// `mode`, without paging or OS setup. On failure `*error` (if given) says why.
#[no_mangle]
pub unsafe extern "C" fn vmi_init(
    vmi: *mut vmi_instance_t,
    mode: vmi_mode_t,
    domain: *const c_void,
    init_flags: u64,
    init_data: *mut vmi_init_data_t,
    error: *mut vmi_init_error_t,
) -> status_t {
    not_yet("vmi_init")
}

/// Creates a fully initialised instance: detects the driver, sets up paging and the guest OS from
/// `config` (interpreted per `config_mode`).
#[no_mangle]
pub unsafe extern "C" fn vmi_init_complete(
    vmi: *mut vmi_instance_t,
    domain: *const c_void,
    init_flags: u64,
    init_data: *mut vmi_init_data_t,
    config_mode: vmi_config_t,
    config: *mut c_void,
    error: *mut vmi_init_error_t,
) -> status_t {
    not_yet("vmi_init_complete")
}

/// Determines the paging mode from vCPU 0 and sets up address translation. `flags` takes
/// VMI_PM_INITFLAG_* bits. Returns the mode, or VMI_PM_UNKNOWN.
#[no_mangle]
pub unsafe extern "C" fn vmi_init_paging(vmi: vmi_instance_t, flags: u64) -> page_mode_t {
    not_yet_or("vmi_init_paging", VMI_PM_UNKNOWN)
}

/// Sets up guest OS knowledge (offsets, symbols, kernel page table) from `config`. Returns the OS
/// type, or VMI_OS_UNKNOWN.
#[no_mangle]
pub unsafe extern "C" fn vmi_init_os(
    vmi: vmi_instance_t,
    config_mode: vmi_config_t,
    config: *mut c_void,
    error: *mut vmi_init_error_t,
) -> os_t {
    not_yet_or("vmi_init_os", VMI_OS_UNKNOWN)
}

/// Releases the instance and everything it owns. The handle is invalid afterwards.
#[no_mangle]
pub unsafe extern "C" fn vmi_destroy(vmi: vmi_instance_t) -> status_t {
    not_yet("vmi_destroy")
}

/// Returns the architecture this library was built for.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_library_arch() -> vmi_arch_t {
    not_yet_or("vmi_get_library_arch", VMI_ARCH_UNKNOWN)
}

/// Returns the VM's name in a newly allocated string the caller frees, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_name(vmi: vmi_instance_t) -> *mut c_char {
    not_yet_or("vmi_get_name", ptr::null_mut())
}

/// Returns the VM's numeric id, or VMI_INVALID_DOMID.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_vmid(vmi: vmi_instance_t) -> u64 {
    not_yet_or("vmi_get_vmid", VMI_INVALID_DOMID)
}

/// Detects which driver can reach `domain` and stores it in `*mode`. `vmi` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_access_mode(
    vmi: vmi_instance_t,
    domain: *const c_void,
    init_flags: u64,
    init_data: *mut vmi_init_data_t,
    mode: *mut vmi_mode_t,
) -> status_t {
    not_yet("vmi_get_access_mode")
}

/// Returns the paging mode in use on vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_page_mode(vmi: vmi_instance_t, vcpu: c_ulong) -> page_mode_t {
    not_yet_or("vmi_get_page_mode", VMI_PM_UNKNOWN)
}

/// Returns the width of a guest pointer in bytes (4 or 8), 0 if unknown.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_address_width(vmi: vmi_instance_t) -> u8 {
    not_yet_or("vmi_get_address_width", 0)
}

/// Returns the size of guest RAM in bytes.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_memsize(vmi: vmi_instance_t) -> u64 {
    not_yet_or("vmi_get_memsize", 0)
}

/// Returns the address just past the highest guest-physical address.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_max_physical_address(vmi: vmi_instance_t) -> addr_t {
    not_yet_or("vmi_get_max_physical_address", 0)
}

/// Returns the number of vCPUs.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_num_vcpus(vmi: vmi_instance_t) -> c_uint {
    not_yet_or("vmi_get_num_vcpus", 0)
}
