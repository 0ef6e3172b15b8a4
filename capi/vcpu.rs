//! vCPU registers, VM control (pause, resume, page faults, frames, state).
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use core::ffi::c_ulong;

use super::guard::{not_yet, not_yet_or};
use super::types::*;

/// Reads the XSAVE area of vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_xsave_info(
    vmi: vmi_instance_t,
    vcpu: c_ulong,
    xsave_info: *mut xsave_area_t,
) -> status_t {
    not_yet("vmi_get_xsave_info")
}

/// Returns the lowest guest frame number above guest RAM that is free to allocate.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_next_available_gfn(vmi: vmi_instance_t) -> addr_t {
    not_yet_or("vmi_get_next_available_gfn", 0)
}

/// Asks the hypervisor to inject a page fault for `virtual_address` on vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_request_page_fault(
    vmi: vmi_instance_t,
    vcpu: c_ulong,
    virtual_address: u64,
    error_code: u32,
) -> status_t {
    not_yet("vmi_request_page_fault")
}

/// Reads the guest's TSC parameters.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_tsc_info(
    vmi: vmi_instance_t,
    tsc_mode: *mut u32,
    elapsed_nsec: *mut u64,
    gtsc_khz: *mut u32,
    incarnation: *mut u32,
) -> status_t {
    not_yet("vmi_get_tsc_info")
}

/// Reads the MTRR registers of vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_vcpumtrr(
    vmi: vmi_instance_t,
    hw_mtrr: *mut mtrr_regs_t,
    vcpu: c_ulong,
) -> status_t {
    not_yet("vmi_get_vcpumtrr")
}

/// Reads register `reg` of vCPU `vcpu` into `*value`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_vcpureg(
    vmi: vmi_instance_t,
    value: *mut u64,
    reg: reg_t,
    vcpu: c_ulong,
) -> status_t {
    not_yet("vmi_get_vcpureg")
}

/// Reads the whole register file of vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_vcpuregs(
    vmi: vmi_instance_t,
    regs: *mut registers_t,
    vcpu: c_ulong,
) -> status_t {
    not_yet("vmi_get_vcpuregs")
}

/// Sets register `reg` of vCPU `vcpu` to `value`; the VM should be paused.
#[no_mangle]
pub unsafe extern "C" fn vmi_set_vcpureg(
    vmi: vmi_instance_t,
    value: u64,
    reg: reg_t,
    vcpu: c_ulong,
) -> status_t {
    not_yet("vmi_set_vcpureg")
}

/// Sets the whole register file of vCPU `vcpu`; the VM should be paused.
#[no_mangle]
pub unsafe extern "C" fn vmi_set_vcpuregs(
    vmi: vmi_instance_t,
    regs: *mut registers_t,
    vcpu: c_ulong,
) -> status_t {
    not_yet("vmi_set_vcpuregs")
}

/// Backs guest frame `gfn` with new memory.
#[no_mangle]
pub unsafe extern "C" fn vmi_alloc_gfn(vmi: vmi_instance_t, gfn: u64) -> status_t {
    not_yet("vmi_alloc_gfn")
}

/// Releases the memory backing guest frame `gfn`.
#[no_mangle]
pub unsafe extern "C" fn vmi_free_gfn(vmi: vmi_instance_t, gfn: u64) -> status_t {
    not_yet("vmi_free_gfn")
}

/// Pauses the VM. Pauses nest; each needs a vmi_resume_vm().
#[no_mangle]
pub unsafe extern "C" fn vmi_pause_vm(vmi: vmi_instance_t) -> status_t {
    not_yet("vmi_pause_vm")
}

/// Undoes one vmi_pause_vm().
#[no_mangle]
pub unsafe extern "C" fn vmi_resume_vm(vmi: vmi_instance_t) -> status_t {
    not_yet("vmi_resume_vm")
}

// Upstream declares this one without NOEXCEPT.
/// Reads the run state of the domain.
/// cbindgen:postfix=
#[no_mangle]
pub unsafe extern "C" fn vmi_get_domain_status(
    vmi: vmi_instance_t,
    domain_status: *mut domain_status_t,
) -> status_t {
    not_yet("vmi_get_domain_status")
}
