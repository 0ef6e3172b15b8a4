//! Scalar typedefs, enums and small structs of `libvmi.h`.

use core::ffi::{c_char, c_uint, c_void};

pub type addr_t = u64;
pub type vmi_pid_t = i32;
pub type reg_t = u64;
pub type page_mode_t = u32;
pub type translation_mechanism_t = u32;

// `enum status`
pub type status_t = c_uint;
pub const VMI_SUCCESS: status_t = 0;
pub const VMI_FAILURE: status_t = 1;

pub const VMI_INIT_DOMAINNAME: c_uint = 1 << 0;
pub const VMI_INIT_DOMAINID: c_uint = 1 << 1;
pub const VMI_INIT_EVENTS: c_uint = 1 << 2;
pub const VMI_INIT_DOMAINUUID: c_uint = 1 << 3;
pub const VMI_INIT_DOMAINWATCH: c_uint = 1 << 4;
pub const VMI_INIT_V2SYM: c_uint = 1 << 5;

// `enum vmi_mode`
pub type vmi_mode_t = c_uint;
pub const VMI_XEN: vmi_mode_t = 0;
pub const VMI_KVM: vmi_mode_t = 1;
pub const VMI_FILE: vmi_mode_t = 2;
pub const VMI_BAREFLANK: vmi_mode_t = 3;

// `enum vmi_config`
pub type vmi_config_t = c_uint;
pub const VMI_CONFIG_GLOBAL_FILE_ENTRY: vmi_config_t = 0;
pub const VMI_CONFIG_STRING: vmi_config_t = 1;
pub const VMI_CONFIG_GHASHTABLE: vmi_config_t = 2;
pub const VMI_CONFIG_JSON_PATH: vmi_config_t = 3;
pub const VMI_CONFIG_FILE_PATH: vmi_config_t = 4;

// `enum vmi_init_error`
pub type vmi_init_error_t = c_uint;
pub const VMI_INIT_ERROR_NONE: vmi_init_error_t = 0;
pub const VMI_INIT_ERROR_DRIVER_NOT_DETECTED: vmi_init_error_t = 1;
pub const VMI_INIT_ERROR_DRIVER: vmi_init_error_t = 2;
pub const VMI_INIT_ERROR_VM_NOT_FOUND: vmi_init_error_t = 3;
pub const VMI_INIT_ERROR_PAGING: vmi_init_error_t = 4;
pub const VMI_INIT_ERROR_OS: vmi_init_error_t = 5;
pub const VMI_INIT_ERROR_EVENTS: vmi_init_error_t = 6;
pub const VMI_INIT_ERROR_NO_CONFIG: vmi_init_error_t = 7;
pub const VMI_INIT_ERROR_NO_CONFIG_ENTRY: vmi_init_error_t = 8;

// `enum firmware`
pub type firmware_t = c_uint;
pub const VMI_FIRMWARE_UNKNOWN: firmware_t = 0;
pub const VMI_FIRMWARE_LEGACY: firmware_t = 1;
pub const VMI_FIRMWARE_UEFI: firmware_t = 2;

// `enum os`
pub type os_t = c_uint;
pub const VMI_OS_UNKNOWN: os_t = 0;
pub const VMI_OS_LINUX: os_t = 1;
pub const VMI_OS_WINDOWS: os_t = 2;
pub const VMI_OS_FREEBSD: os_t = 3;
pub const VMI_OS_OSX: os_t = 4;

// `enum win_ver`
pub type win_ver_t = c_uint;
pub const VMI_OS_WINDOWS_NONE: win_ver_t = 0;
pub const VMI_OS_WINDOWS_UNKNOWN: win_ver_t = 1;
pub const VMI_OS_WINDOWS_2000: win_ver_t = 2;
pub const VMI_OS_WINDOWS_XP: win_ver_t = 3;
pub const VMI_OS_WINDOWS_2003: win_ver_t = 4;
pub const VMI_OS_WINDOWS_VISTA: win_ver_t = 5;
pub const VMI_OS_WINDOWS_2008: win_ver_t = 6;
pub const VMI_OS_WINDOWS_7: win_ver_t = 7;
pub const VMI_OS_WINDOWS_8: win_ver_t = 8;
pub const VMI_OS_WINDOWS_10: win_ver_t = 9;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct win_build_info_t {
    pub version: win_ver_t,
    pub buildnumber: u16,
    pub major: u16,
    pub minor: u16,
}

pub const VMI_PM_NONE: page_mode_t = 0;
pub const VMI_PM_UNKNOWN: page_mode_t = 1;
pub const VMI_PM_LEGACY: page_mode_t = 2;
pub const VMI_PM_PAE: page_mode_t = 3;
pub const VMI_PM_IA32E: page_mode_t = 4;
pub const VMI_PM_AARCH32: page_mode_t = 5;
pub const VMI_PM_AARCH64: page_mode_t = 6;
pub const VMI_PM_EPT_4L: page_mode_t = 7;
pub const VMI_PM_EPT_5L: page_mode_t = 8;
pub const VMI_PM_INITFLAG_TRANSITION_PAGES: c_uint = 1 << 0;

// `enum page_size`
pub type page_size_t = c_uint;
pub const VMI_PS_UNKNOWN: page_size_t = 0;
pub const VMI_PS_1KB: page_size_t = 0x400;
pub const VMI_PS_4KB: page_size_t = 0x1000;
pub const VMI_PS_16KB: page_size_t = 0x4000;
pub const VMI_PS_64KB: page_size_t = 0x10000;
pub const VMI_PS_1MB: page_size_t = 0x100000;
pub const VMI_PS_2MB: page_size_t = 0x200000;
pub const VMI_PS_4MB: page_size_t = 0x400000;
pub const VMI_PS_16MB: page_size_t = 0x1000000;
pub const VMI_PS_32MB: page_size_t = 0x2000000;
pub const VMI_PS_512MB: page_size_t = 0x20000000;
pub const VMI_PS_1GB: page_size_t = 0x40000000;

pub const VMI_INVALID_DOMID: u64 = !0;

// anonymous enum typedef'd `vmi_init_data_type_t`
pub type vmi_init_data_type_t = c_uint;
pub const VMI_INIT_DATA_XEN_EVTCHN: vmi_init_data_type_t = 0;
pub const VMI_INIT_DATA_MEMMAP: vmi_init_data_type_t = 1;
pub const VMI_INIT_DATA_KVMI_SOCKET: vmi_init_data_type_t = 2;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct vmi_init_data_entry_t {
    pub type_: u64,
    pub data: *mut c_void,
}

/// Header of a caller-allocated block: `count` entries follow it.
#[repr(C)]
#[derive(Debug)]
pub struct vmi_init_data_t {
    pub count: u64,
    pub entry: [vmi_init_data_entry_t; 0],
}

/// Header of a caller-allocated block: `count` `[start, end]` pairs follow.
#[repr(C)]
#[derive(Debug)]
pub struct memory_map_t {
    pub count: u64,
    pub range: [[u64; 2]; 0],
}

// `enum arch`
pub type vmi_arch_t = c_uint;
pub const VMI_ARCH_UNKNOWN: vmi_arch_t = 0;
pub const VMI_ARCH_X86: vmi_arch_t = 1;
pub const VMI_ARCH_X86_64: vmi_arch_t = 2;
pub const VMI_ARCH_ARM32: vmi_arch_t = 3;
pub const VMI_ARCH_ARM64: vmi_arch_t = 4;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct unicode_string_t {
    pub length: usize,
    pub contents: *mut u8,
    pub encoding: *const c_char,
}

/// Six one-bit flags in one `unsigned int`; bit positions follow gcc's
/// allocation on x86-64 (first field in the least significant bit).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct domain_status_t {
    pub bits: c_uint,
}

impl domain_status_t {
    pub const DYING: u32 = 0;
    pub const SHUTDOWN: u32 = 1;
    pub const PAUSED: u32 = 2;
    pub const BLOCKED: u32 = 3;
    pub const RUNNING: u32 = 4;
    pub const DEBUGGED: u32 = 5;

    pub fn get(&self, bit: u32) -> bool {
        self.bits & (1 << bit) != 0
    }

    pub fn set(&mut self, bit: u32, on: bool) {
        if on {
            self.bits |= 1 << bit;
        } else {
            self.bits &= !(1 << bit);
        }
    }
}
