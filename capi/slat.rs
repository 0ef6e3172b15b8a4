//! Second-level address translation views (`slat.h`).
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

//!
//! Alternate SLAT views (altp2m) exist only on Xen; no backend here has
//! them, so every call fails with one line saying so.

// Parameters are named for the generated header.
#![allow(unused_variables)]

use super::guard::{ffi_status, instance_ref};
use super::types::*;
use crate::Error;

/// The common body: a valid instance, then the reason it cannot work.
unsafe fn no_slat(name: &'static str, vmi: vmi_instance_t) -> status_t {
    ffi_status(name, || {
        unsafe { instance_ref(vmi) }?;
        Err(Error::Unsupported(
            "SLAT views (altp2m) need a live Xen backend; this instance has none",
        ))
    })
}

/// Old name of vmi_slat_state().
#[deprecated]
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_get_domain_state(
    vmi: vmi_instance_t,
    state: *mut bool,
) -> status_t {
    unsafe { no_slat("vmi_slat_get_domain_state", vmi) }
}

/// Tells whether alternate SLAT views are enabled for the domain.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_state(vmi: vmi_instance_t, state: *mut bool) -> status_t {
    unsafe { no_slat("vmi_slat_state", vmi) }
}

/// Old name of vmi_slat_control().
#[deprecated]
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_set_domain_state(vmi: vmi_instance_t, state: bool) -> status_t {
    unsafe { no_slat("vmi_slat_set_domain_state", vmi) }
}

/// Enables or disables alternate SLAT views for the domain.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_control(vmi: vmi_instance_t, state: bool) -> status_t {
    unsafe { no_slat("vmi_slat_control", vmi) }
}

/// Creates a new SLAT view and stores its id in `*slat_id`.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_create(vmi: vmi_instance_t, slat_id: *mut u16) -> status_t {
    unsafe { no_slat("vmi_slat_create", vmi) }
}

/// Destroys SLAT view `slat_idx`.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_destroy(vmi: vmi_instance_t, slat_idx: u16) -> status_t {
    unsafe { no_slat("vmi_slat_destroy", vmi) }
}

/// Makes SLAT view `slat_idx` active on all vCPUs.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_switch(vmi: vmi_instance_t, slat_idx: u16) -> status_t {
    unsafe { no_slat("vmi_slat_switch", vmi) }
}

/// In view `slat_idx`, makes frame `old_gfn` map to the memory of `new_gfn` (~0ull: restore).
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_change_gfn(
    vmi: vmi_instance_t,
    slat_idx: u16,
    old_gfn: addr_t,
    new_gfn: addr_t,
) -> status_t {
    unsafe { no_slat("vmi_slat_change_gfn", vmi) }
}
