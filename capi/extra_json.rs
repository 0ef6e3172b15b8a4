//! Functions of `libvmi_extra.h` that use json-c profiles.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use core::ffi::{c_char, c_void};
use core::ptr;

use super::guard::{not_yet, not_yet_or};
use super::types::*;

/// Loads the OS profile from `config` without further OS setup. Returns the OS type found.
#[no_mangle]
pub unsafe extern "C" fn vmi_init_profile(
    vmi: vmi_instance_t,
    config_mode: vmi_config_t,
    config: *mut c_void,
) -> os_t {
    not_yet_or("vmi_init_profile", VMI_OS_UNKNOWN)
}

/// Returns the kernel's JSON profile; it belongs to the instance.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_kernel_json(vmi: vmi_instance_t) -> *mut json_object {
    not_yet_or("vmi_get_kernel_json", ptr::null_mut())
}

/// Looks up the address of `symbol` in JSON profile `json`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_symbol_addr_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    symbol: *const c_char,
    addr: *mut addr_t,
) -> status_t {
    not_yet("vmi_get_symbol_addr_from_json")
}

/// Looks up the size of struct `struct_name` in JSON profile `json`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_struct_size_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    struct_name: *const c_char,
    size: *mut usize,
) -> status_t {
    not_yet("vmi_get_struct_size_from_json")
}

/// Looks up the offset of `struct_member` in struct `struct_name` in JSON profile `json`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_struct_member_offset_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    struct_name: *const c_char,
    struct_member: *const c_char,
    offset: *mut addr_t,
) -> status_t {
    not_yet("vmi_get_struct_member_offset_from_json")
}

// Upstream declares this one without NOEXCEPT.
/// Looks up the byte offset and first/last bit of bitfield `struct_member` of struct
/// `struct_name` in JSON profile `json`.
/// cbindgen:postfix=
#[no_mangle]
pub unsafe extern "C" fn vmi_get_bitfield_offset_and_size_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    struct_name: *const c_char,
    struct_member: *const c_char,
    offset: *mut addr_t,
    start_bit: *mut usize,
    end_bit: *mut usize,
) -> status_t {
    not_yet("vmi_get_bitfield_offset_and_size_from_json")
}

/// Looks up the type name of `struct_member` of struct `struct_name` in JSON profile `json`.
/// (Declared but exported under another name by upstream LibVMI.)
#[no_mangle]
pub unsafe extern "C" fn vmi_get_struct_field_type_name_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    struct_name: *const c_char,
    struct_member: *const c_char,
    member_type_name: *mut *const c_char,
) -> status_t {
    not_yet("vmi_get_struct_field_type_name_from_json")
}
