//! `#[repr(C)]` mirrors of every type in the public LibVMI 0.15 headers,
//! named exactly as in C so cbindgen prints the C typedef names in the
//! generated prototypes. `tests/layout.rs` proves each layout equals the C
//! one. C enums are plain integer typedefs plus constants: a Rust `enum`
//! would be undefined behaviour for an out-of-range value from C.

#![allow(non_camel_case_types, non_upper_case_globals, dead_code)]

mod access;
mod base;
mod events;
mod extern_libs;
mod pe;
mod regs;
mod x86;

pub use access::*;
pub use base::*;
pub use events::*;
pub use extern_libs::*;
pub use pe::*;
pub use regs::*;
pub use x86::*;

pub use super::instance::{vmi_instance, vmi_instance_t};
