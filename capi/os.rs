//! Guest operating-system knowledge: OS type, Windows version, offsets, profiles.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.
//!
//! There is no Windows OS layer yet, so the Windows queries give upstream's
//! "not available" answers (`VMI_OS_WINDOWS_NONE`, false, 0) with one line
//! on stderr saying why.

// Parameters are named for the generated header.
#![allow(unused_variables)]

use core::ffi::{c_char, CStr};
use core::ptr;

use super::extra_json::{json_profile_path, InitProfile};
use super::guard::{c_str_utf8, ffi_or, ffi_status, instance_ref, out_ref};
use super::instance::vmi_instance;
use super::types::*;
use crate::os::OsType;
use crate::Error;

const NO_WINDOWS: &str = "Windows guests are not supported by this build (no Windows OS layer)";

/// The OS type upstream keeps in the instance: the OS layer's, else the one
/// `vmi_init_profile` found.
fn os_type(inst: &vmi_instance) -> OsType {
    match inst.core.os() {
        Some(os) => os.os_type(),
        None => inst
            .core
            .attachment::<InitProfile>()
            .map_or(OsType::Unknown, |p| p.os_type),
    }
}

/// Upstream's name for a Windows version; versions it has no name for
/// (8, 10 and anything unknown) get its "illegal value" text.
pub(crate) fn winver_name(ver: win_ver_t) -> &'static CStr {
    match ver {
        VMI_OS_WINDOWS_NONE => c"VMI_OS_WINDOWS_NONE",
        VMI_OS_WINDOWS_UNKNOWN => c"VMI_OS_WINDOWS_UNKNOWN",
        VMI_OS_WINDOWS_2000 => c"VMI_OS_WINDOWS_2000",
        VMI_OS_WINDOWS_XP => c"VMI_OS_WINDOWS_XP",
        VMI_OS_WINDOWS_2003 => c"VMI_OS_WINDOWS_2003",
        VMI_OS_WINDOWS_VISTA => c"VMI_OS_WINDOWS_VISTA",
        VMI_OS_WINDOWS_2008 => c"VMI_OS_WINDOWS_2008",
        VMI_OS_WINDOWS_7 => c"VMI_OS_WINDOWS_7",
        _ => c"<Illegal value for Windows version>",
    }
}

/// Returns the guest OS family found by vmi_init_os().
#[no_mangle]
pub unsafe extern "C" fn vmi_get_ostype(vmi: vmi_instance_t) -> os_t {
    ffi_or("vmi_get_ostype", VMI_OS_UNKNOWN, || {
        Ok(os_type(unsafe { instance_ref(vmi) }?) as os_t)
    })
}

/// Fills `*info` with the Windows version and build numbers; false if not known.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_windows_build_info(
    vmi: vmi_instance_t,
    info: *mut win_build_info_t,
) -> bool {
    ffi_or("vmi_get_windows_build_info", false, || {
        unsafe { instance_ref(vmi) }?;
        unsafe { out_ref(info, "info is NULL") }?;
        Err(Error::Unsupported(NO_WINDOWS))
    })
}

/// Returns the Windows release of the guest.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_winver(vmi: vmi_instance_t) -> win_ver_t {
    ffi_or("vmi_get_winver", VMI_OS_WINDOWS_NONE, || {
        unsafe { instance_ref(vmi) }?;
        Err(Error::Unsupported(NO_WINDOWS))
    })
}

/// Returns the Windows build number, 0 if unknown.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_win_buildnumber(vmi: vmi_instance_t) -> u16 {
    ffi_or("vmi_get_win_buildnumber", 0, || {
        unsafe { instance_ref(vmi) }?;
        Err(Error::Unsupported(NO_WINDOWS))
    })
}

/// Returns the Windows release as a static string.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_winver_str(vmi: vmi_instance_t) -> *const c_char {
    // As upstream, a NULL instance names "no Windows" rather than failing.
    let ver = if vmi.is_null() {
        VMI_OS_WINDOWS_NONE
    } else {
        unsafe { vmi_get_winver(vmi) }
    };
    winver_name(ver).as_ptr()
}

/// Determines the Windows release from the KDBG block at guest-physical `kdvb_pa`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_winver_manual(vmi: vmi_instance_t, kdvb_pa: addr_t) -> win_ver_t {
    ffi_or("vmi_get_winver_manual", VMI_OS_WINDOWS_NONE, || {
        unsafe { instance_ref(vmi) }?;
        Err(Error::Unsupported(NO_WINDOWS))
    })
}

/// Looks up a named OS offset from the configuration (e.g. "linux_tasks").
#[no_mangle]
pub unsafe extern "C" fn vmi_get_offset(
    vmi: vmi_instance_t,
    offset_name: *const c_char,
    offset: *mut addr_t,
) -> status_t {
    ffi_status("vmi_get_offset", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let name = unsafe { c_str_utf8(offset_name, "offset_name is NULL") }?;
        let out = unsafe { out_ref(offset, "offset is NULL") }?;
        let os = inst.core.os().ok_or(Error::Unsupported(
            "no OS layer initialised (call vmi_init_os)",
        ))?;
        *out = os.offset(name).ok_or(Error::NotFound("offset name"))?;
        Ok(())
    })
}

/// Looks up the offset of `member` in kernel struct `struct_name` in the OS profile.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_kernel_struct_offset(
    vmi: vmi_instance_t,
    struct_name: *const c_char,
    member: *const c_char,
    addr: *mut addr_t,
) -> status_t {
    ffi_status("vmi_get_kernel_struct_offset", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let s = unsafe { c_str_utf8(struct_name, "struct_name is NULL") }?;
        let m = unsafe { c_str_utf8(member, "member is NULL") }?;
        let out = unsafe { out_ref(addr, "addr is NULL") }?;
        let found = match inst.core.os() {
            Some(os) => os.struct_member_offset(s, m),
            // A profile loaded by vmi_init_profile, searched as upstream's
            // JSON lookup does.
            None => inst
                .core
                .attachment::<InitProfile>()
                .and_then(|p| p.profile.clone())
                .and_then(|p| p.member_offset_lenient(s, m)),
        };
        *out = found.ok_or(Error::NotFound("struct member in the kernel profile"))?;
        Ok(())
    })
}

/// The System.map of an OS layer of type `want`, as a library-owned string.
fn sysmap_of(inst: &vmi_instance, want: OsType) -> *const c_char {
    match inst.core.os() {
        Some(os) if os.os_type() == want => os
            .sysmap_path()
            .map_or(ptr::null(), |p| inst.keep_string(p)),
        _ => ptr::null(),
    }
}

/// Returns the path of the Linux System.map in use, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_linux_sysmap(vmi: vmi_instance_t) -> *const c_char {
    ffi_or("vmi_get_linux_sysmap", ptr::null(), || {
        Ok(sysmap_of(unsafe { instance_ref(vmi) }?, OsType::Linux))
    })
}

/// Returns the path of the FreeBSD symbol map in use, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_freebsd_sysmap(vmi: vmi_instance_t) -> *const c_char {
    ffi_or("vmi_get_freebsd_sysmap", ptr::null(), || {
        Ok(sysmap_of(unsafe { instance_ref(vmi) }?, OsType::FreeBsd))
    })
}

/// Returns the path of the Rekall profile in use, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_rekall_path(vmi: vmi_instance_t) -> *const c_char {
    // Upstream returns whichever JSON profile (ISF or Rekall) is loaded.
    ffi_or("vmi_get_rekall_path", ptr::null(), || {
        let inst = unsafe { instance_ref(vmi) }?;
        Ok(json_profile_path(inst).map_or(ptr::null(), |p| inst.keep_string(&p)))
    })
}

/// Returns the path of the OS profile in use, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_os_profile_path(vmi: vmi_instance_t) -> *const c_char {
    ffi_or("vmi_get_os_profile_path", ptr::null(), || {
        let inst = unsafe { instance_ref(vmi) }?;
        if let Some(p) = json_profile_path(inst) {
            return Ok(inst.keep_string(&p));
        }
        Ok(match os_type(inst) {
            OsType::Linux => sysmap_of(inst, OsType::Linux),
            OsType::FreeBsd => sysmap_of(inst, OsType::FreeBsd),
            _ => ptr::null(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winver_names_follow_upstream() {
        let all = [
            (VMI_OS_WINDOWS_NONE, "VMI_OS_WINDOWS_NONE"),
            (VMI_OS_WINDOWS_UNKNOWN, "VMI_OS_WINDOWS_UNKNOWN"),
            (VMI_OS_WINDOWS_2000, "VMI_OS_WINDOWS_2000"),
            (VMI_OS_WINDOWS_XP, "VMI_OS_WINDOWS_XP"),
            (VMI_OS_WINDOWS_2003, "VMI_OS_WINDOWS_2003"),
            (VMI_OS_WINDOWS_VISTA, "VMI_OS_WINDOWS_VISTA"),
            (VMI_OS_WINDOWS_2008, "VMI_OS_WINDOWS_2008"),
            (VMI_OS_WINDOWS_7, "VMI_OS_WINDOWS_7"),
        ];
        for (v, name) in all {
            assert_eq!(winver_name(v).to_str().unwrap(), name);
        }
        // Upstream's switch stops at Windows 7.
        for v in [VMI_OS_WINDOWS_8, VMI_OS_WINDOWS_10, 10, u32::MAX] {
            assert_eq!(
                winver_name(v).to_str().unwrap(),
                "<Illegal value for Windows version>"
            );
        }
    }

    #[test]
    fn null_instance_gets_failure_values() {
        unsafe {
            assert_eq!(vmi_get_ostype(ptr::null_mut()), VMI_OS_UNKNOWN);
            assert_eq!(vmi_get_winver(ptr::null_mut()), VMI_OS_WINDOWS_NONE);
            assert_eq!(
                CStr::from_ptr(vmi_get_winver_str(ptr::null_mut()))
                    .to_str()
                    .unwrap(),
                "VMI_OS_WINDOWS_NONE"
            );
            let mut info = win_build_info_t::default();
            assert!(!vmi_get_windows_build_info(ptr::null_mut(), &mut info));
            assert_eq!(vmi_get_win_buildnumber(ptr::null_mut()), 0);
            let mut off = 7;
            assert_eq!(
                vmi_get_offset(ptr::null_mut(), c"linux_tasks".as_ptr(), &mut off),
                VMI_FAILURE
            );
            assert_eq!(off, 7);
            assert!(vmi_get_linux_sysmap(ptr::null_mut()).is_null());
            assert!(vmi_get_rekall_path(ptr::null_mut()).is_null());
            assert!(vmi_get_os_profile_path(ptr::null_mut()).is_null());
        }
    }
}
