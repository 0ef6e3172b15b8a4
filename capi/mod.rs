//! The C ABI of upstream LibVMI 0.15.
//!
//! `types` mirrors every public C type and is public so tests (and Rust
//! users) can reach it; the function modules are private: their items are
//! reachable only through the exported C symbols.

pub mod instance;
pub mod types;

pub(crate) mod guard;

mod access;
mod cache;
mod events;
mod extra_glib;
mod extra_json;
mod init;
mod os;
mod peparse;
mod slat;
mod translate;
mod vcpu;
