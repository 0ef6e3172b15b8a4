//! libvmi-rs: virtual machine introspection.
//!
//! The safe Rust core lives in this crate's modules; the C ABI of upstream
//! LibVMI 0.15 is a thin layer in `capi/` that converts arguments and calls
//! the core.

pub mod addr;
pub mod cache;
pub mod config;
pub mod driver;
pub mod error;
pub mod instance;
#[macro_use]
pub mod log;
pub mod os;
pub mod paging;
pub mod profile;

#[path = "../capi/mod.rs"]
pub mod capi;

pub use addr::{Arch, PageMode, PageSize};
pub use error::{Error, Result};
