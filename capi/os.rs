//! Guest operating-system knowledge: OS type, Windows version, offsets, profiles.
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

/// Returns the guest OS family found by vmi_init_os().
#[no_mangle]
pub unsafe extern "C" fn vmi_get_ostype(vmi: vmi_instance_t) -> os_t {
    not_yet_or("vmi_get_ostype", VMI_OS_UNKNOWN)
}

/// Fills `*info` with the Windows version and build numbers; false if not known.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_windows_build_info(
    vmi: vmi_instance_t,
    info: *mut win_build_info_t,
) -> bool {
    not_yet_or("vmi_get_windows_build_info", false)
}

/// Returns the Windows release of the guest.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_winver(vmi: vmi_instance_t) -> win_ver_t {
    not_yet_or("vmi_get_winver", VMI_OS_WINDOWS_NONE)
}

/// Returns the Windows build number, 0 if unknown.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_win_buildnumber(vmi: vmi_instance_t) -> u16 {
    not_yet_or("vmi_get_win_buildnumber", 0)
}

/// Returns the Windows release as a static string.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_winver_str(vmi: vmi_instance_t) -> *const c_char {
    not_yet_or("vmi_get_winver_str", ptr::null())
}

/// Determines the Windows release from the KDBG block at guest-physical `kdvb_pa`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_winver_manual(vmi: vmi_instance_t, kdvb_pa: addr_t) -> win_ver_t {
    not_yet_or("vmi_get_winver_manual", VMI_OS_WINDOWS_NONE)
}

/// Looks up a named OS offset from the configuration (e.g. "linux_tasks").
#[no_mangle]
pub unsafe extern "C" fn vmi_get_offset(
    vmi: vmi_instance_t,
    offset_name: *const c_char,
    offset: *mut addr_t,
) -> status_t {
    not_yet("vmi_get_offset")
}

/// Looks up the offset of `member` in kernel struct `struct_name` in the OS profile.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_kernel_struct_offset(
    vmi: vmi_instance_t,
    struct_name: *const c_char,
    member: *const c_char,
    addr: *mut addr_t,
) -> status_t {
    not_yet("vmi_get_kernel_struct_offset")
}

/// Returns the path of the Linux System.map in use, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_linux_sysmap(vmi: vmi_instance_t) -> *const c_char {
    not_yet_or("vmi_get_linux_sysmap", ptr::null())
}

/// Returns the path of the FreeBSD symbol map in use, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_freebsd_sysmap(vmi: vmi_instance_t) -> *const c_char {
    not_yet_or("vmi_get_freebsd_sysmap", ptr::null())
}

/// Returns the path of the Rekall profile in use, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_rekall_path(vmi: vmi_instance_t) -> *const c_char {
    not_yet_or("vmi_get_rekall_path", ptr::null())
}

/// Returns the path of the OS profile in use, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_os_profile_path(vmi: vmi_instance_t) -> *const c_char {
    not_yet_or("vmi_get_os_profile_path", ptr::null())
}
