//! `page_info_t` and `access_context_t`: the translation structs of
//! `libvmi.h`. C's anonymous unions get named Rust members; where every
//! alternative of a C union has the same type (`pm`/`page_mode`, `pt`/`dtb`)
//! one Rust field stands for all of them.

use core::ffi::c_char;

use super::base::{addr_t, page_mode_t, page_size_t, translation_mechanism_t, vmi_pid_t};

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct page_info_x86_legacy_t {
    pub pte_value_prev: addr_t,
    pub pte_location: addr_t,
    pub pte_value: addr_t,
    pub pgd_location: addr_t,
    pub pgd_value: addr_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct page_info_x86_pae_t {
    pub pte_value_prev: addr_t,
    pub pte_location: addr_t,
    pub pte_value: addr_t,
    pub pgd_location: addr_t,
    pub pgd_value: addr_t,
    pub pdpe_location: addr_t,
    pub pdpe_value: addr_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct page_info_x86_ia32e_t {
    pub pte_value_prev: addr_t,
    pub pte_location: addr_t,
    pub pte_value: addr_t,
    pub pgd_location: addr_t,
    pub pgd_value: addr_t,
    pub pdpte_location: addr_t,
    pub pdpte_value: addr_t,
    pub pml4e_location: addr_t,
    pub pml4e_value: addr_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct page_info_arm_aarch32_t {
    pub fld_location: u32,
    pub fld_value: u32,
    pub sld_location: u32,
    pub sld_value: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct page_info_arm_aarch64_t {
    pub zld_location: u64,
    pub zld_value: u64,
    pub fld_location: u64,
    pub fld_value: u64,
    pub sld_location: u64,
    pub sld_value: u64,
    pub tld_location: u64,
    pub tld_value: u64,
}

/// The anonymous per-architecture union at the end of `page_info_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union page_info_arch_t {
    pub x86_legacy: page_info_x86_legacy_t,
    pub x86_pae: page_info_x86_pae_t,
    pub x86_ia32e: page_info_x86_ia32e_t,
    pub arm_aarch32: page_info_arm_aarch32_t,
    pub arm_aarch64: page_info_arm_aarch64_t,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct page_info_t {
    pub vaddr: addr_t,
    pub paddr: addr_t,
    pub naddr: addr_t,
    pub size: page_size_t,
    pub nsize: page_size_t,
    pub pt: addr_t,
    pub pm: page_mode_t,
    pub npt: addr_t,
    pub npm: page_mode_t,
    /// C: anonymous union with members `x86_legacy`, `x86_pae`, ...
    pub arch: page_info_arch_t,
}

impl Default for page_info_t {
    fn default() -> Self {
        page_info_t {
            vaddr: 0,
            paddr: 0,
            naddr: 0,
            size: 0,
            nsize: 0,
            pt: 0,
            pm: 0,
            npt: 0,
            npm: 0,
            // The largest alternative, so every byte of the union is zero.
            arch: page_info_arch_t {
                x86_ia32e: page_info_x86_ia32e_t::default(),
            },
        }
    }
}

pub const VMI_TM_NONE: translation_mechanism_t = 0;
pub const VMI_TM_PROCESS_DTB: translation_mechanism_t = 1;
pub const VMI_TM_PROCESS_PT: translation_mechanism_t = 1;
pub const VMI_TM_PROCESS_PID: translation_mechanism_t = 2;
pub const VMI_TM_KERNEL_SYMBOL: translation_mechanism_t = 3;

pub const ACCESS_CONTEXT_VERSION: u32 = 0x1;

/// C: anonymous union `{ addr_t pt, page_table, dtb; vmi_pid_t pid; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union access_space_t {
    /// Also `page_table` and `dtb` in C.
    pub pt: addr_t,
    pub pid: vmi_pid_t,
}

/// C: anonymous struct `{ addr_t addr; union { pt ... pid }; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct access_addr_t {
    pub addr: addr_t,
    pub space: access_space_t,
}

/// C: anonymous union `{ struct { addr; pt/pid }; const char *ksym; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union access_target_t {
    pub va: access_addr_t,
    pub ksym: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct access_context_t {
    pub version: u32,
    pub _pad: u32,
    /// Also `page_mode` in C.
    pub pm: page_mode_t,
    /// Also `nested_page_mode` in C.
    pub npm: page_mode_t,
    /// Also `nested_page_table` in C.
    pub npt: addr_t,
    /// Also `translate_mechanism` in C.
    pub tm: translation_mechanism_t,
    pub _pad2: u32,
    pub target: access_target_t,
}

// All union alternatives are plain integers or a raw pointer, so every bit
// pattern is valid for each of them and reading any alternative is sound.
impl access_context_t {
    pub fn addr(&self) -> addr_t {
        // SAFETY: see the comment above the impl.
        unsafe { self.target.va.addr }
    }

    pub fn pt(&self) -> addr_t {
        // SAFETY: see the comment above the impl.
        unsafe { self.target.va.space.pt }
    }

    pub fn pid(&self) -> vmi_pid_t {
        // SAFETY: see the comment above the impl.
        unsafe { self.target.va.space.pid }
    }

    pub fn ksym(&self) -> *const c_char {
        // SAFETY: see the comment above the impl.
        unsafe { self.target.ksym }
    }

    /// A context for `addr` translated as `tm` using page table `pt`.
    pub fn new(tm: translation_mechanism_t, addr: addr_t, pt: addr_t) -> Self {
        access_context_t {
            version: ACCESS_CONTEXT_VERSION,
            _pad: 0,
            pm: 0,
            npm: 0,
            npt: 0,
            tm,
            _pad2: 0,
            target: access_target_t {
                va: access_addr_t {
                    addr,
                    space: access_space_t { pt },
                },
            },
        }
    }
}
