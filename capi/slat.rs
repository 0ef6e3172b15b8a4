//! Second-level address translation views (`slat.h`).
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use super::guard::not_yet;
use super::types::*;

/// Old name of vmi_slat_state().
#[deprecated]
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_get_domain_state(
    vmi: vmi_instance_t,
    state: *mut bool,
) -> status_t {
    not_yet("vmi_slat_get_domain_state")
}

/// Tells whether alternate SLAT views are enabled for the domain.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_state(vmi: vmi_instance_t, state: *mut bool) -> status_t {
    not_yet("vmi_slat_state")
}

/// Old name of vmi_slat_control().
#[deprecated]
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_set_domain_state(vmi: vmi_instance_t, state: bool) -> status_t {
    not_yet("vmi_slat_set_domain_state")
}

/// Enables or disables alternate SLAT views for the domain.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_control(vmi: vmi_instance_t, state: bool) -> status_t {
    not_yet("vmi_slat_control")
}

/// Creates a new SLAT view and stores its id in `*slat_id`.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_create(vmi: vmi_instance_t, slat_id: *mut u16) -> status_t {
    not_yet("vmi_slat_create")
}

/// Destroys SLAT view `slat_idx`.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_destroy(vmi: vmi_instance_t, slat_idx: u16) -> status_t {
    not_yet("vmi_slat_destroy")
}

/// Makes SLAT view `slat_idx` active on all vCPUs.
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_switch(vmi: vmi_instance_t, slat_idx: u16) -> status_t {
    not_yet("vmi_slat_switch")
}

/// In view `slat_idx`, makes frame `old_gfn` map to the memory of `new_gfn` (~0ull: restore).
#[no_mangle]
pub unsafe extern "C" fn vmi_slat_change_gfn(
    vmi: vmi_instance_t,
    slat_idx: u16,
    old_gfn: addr_t,
    new_gfn: addr_t,
) -> status_t {
    not_yet("vmi_slat_change_gfn")
}
