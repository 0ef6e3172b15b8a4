//! Constants of `x86.h` (its entry-bit macros have Rust counterparts in the
//! paging code, not here).

use core::ffi::c_int;

pub const PTRS_PER_PDPI: c_int = 4;
pub const PTRS_PER_PAE_PTE: c_int = 512;
pub const PTRS_PER_PAE_PGD: c_int = 512;
pub const PTRS_PER_NOPAE_PTE: c_int = 1024;
pub const PTRS_PER_NOPAE_PGD: c_int = 1024;
