//! The event interface of `events.h`.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use core::ffi::c_int;
use core::ptr;

use super::guard::{not_yet, not_yet_or};
use super::types::*;

/// Returns the VMI_EVENTS_VERSION the library was built with.
#[no_mangle]
pub unsafe extern "C" fn vmi_events_version() -> u32 {
    not_yet_or("vmi_events_version", 0)
}

/// Registers `event`, which must stay valid until cleared.
#[no_mangle]
pub unsafe extern "C" fn vmi_register_event(
    vmi: vmi_instance_t,
    event: *mut vmi_event_t,
) -> status_t {
    not_yet("vmi_register_event")
}

/// Replaces registered `swap_from` with `swap_to` atomically; `free_routine` (if given) is called
/// for `swap_from`.
#[no_mangle]
pub unsafe extern "C" fn vmi_swap_events(
    vmi: vmi_instance_t,
    swap_from: *mut vmi_event_t,
    swap_to: *mut vmi_event_t,
    free_routine: vmi_event_free_t,
) -> status_t {
    not_yet("vmi_swap_events")
}

/// Unregisters `event`; `free_routine` (if given) is called once it is no longer in use.
#[no_mangle]
pub unsafe extern "C" fn vmi_clear_event(
    vmi: vmi_instance_t,
    event: *mut vmi_event_t,
    free_routine: vmi_event_free_t,
) -> status_t {
    not_yet("vmi_clear_event")
}

/// Returns the event registered for register `reg`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_reg_event(vmi: vmi_instance_t, reg: reg_t) -> *mut vmi_event_t {
    not_yet_or("vmi_get_reg_event", ptr::null_mut())
}

/// Returns the memory event registered for frame `gfn` with `access`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_mem_event(
    vmi: vmi_instance_t,
    gfn: addr_t,
    access: vmi_mem_access_t,
) -> *mut vmi_event_t {
    not_yet_or("vmi_get_mem_event", ptr::null_mut())
}

/// Sets the access permissions of frame `gfn` in view `vmm_pagetable_id`, without a callback.
#[no_mangle]
pub unsafe extern "C" fn vmi_set_mem_event(
    vmi: vmi_instance_t,
    gfn: addr_t,
    access: vmi_mem_access_t,
    vmm_pagetable_id: u16,
) -> status_t {
    not_yet("vmi_set_mem_event")
}

/// Sets the access permissions of frames `gfn_start`..`gfn_end` in view `vmm_pagetable_id`.
#[no_mangle]
pub unsafe extern "C" fn vmi_set_mem_event_range(
    vmi: vmi_instance_t,
    gfn_start: addr_t,
    gfn_end: addr_t,
    access: vmi_mem_access_t,
    vmm_pagetable_id: u16,
) -> status_t {
    not_yet("vmi_set_mem_event_range")
}

/// Single-steps vCPU `vcpu_id` for `steps` instructions after `event`; `cb` (if given) runs
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn vmi_step_event(
    vmi: vmi_instance_t,
    event: *mut vmi_event_t,
    vcpu_id: u32,
    steps: u64,
    cb: event_callback_t,
) -> status_t {
    not_yet("vmi_step_event")
}

/// Waits up to `timeout` ms for events and dispatches them to their callbacks.
#[no_mangle]
pub unsafe extern "C" fn vmi_events_listen(vmi: vmi_instance_t, timeout: u32) -> status_t {
    not_yet("vmi_events_listen")
}

/// Tells the library whether a listener loop is running (needed for clean teardown).
#[no_mangle]
pub unsafe extern "C" fn vmi_event_listener_required(
    vmi: vmi_instance_t,
    required: bool,
) -> status_t {
    not_yet("vmi_event_listener_required")
}

/// Returns the number of events waiting to be processed, -1 on error.
#[no_mangle]
pub unsafe extern "C" fn vmi_are_events_pending(vmi: vmi_instance_t) -> c_int {
    not_yet_or("vmi_are_events_pending", -1)
}

/// Returns the single-step event registered for vCPU `vcpu`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_singlestep_event(
    vmi: vmi_instance_t,
    vcpu: u32,
) -> *mut vmi_event_t {
    not_yet_or("vmi_get_singlestep_event", ptr::null_mut())
}

/// Stops single-stepping vCPU `vcpu` for `event`.
#[no_mangle]
pub unsafe extern "C" fn vmi_stop_single_step_vcpu(
    vmi: vmi_instance_t,
    event: *mut vmi_event_t,
    vcpu: u32,
) -> status_t {
    not_yet("vmi_stop_single_step_vcpu")
}

/// Turns single-stepping of vCPU `vcpu` on or off for `event`.
#[no_mangle]
pub unsafe extern "C" fn vmi_toggle_single_step_vcpu(
    vmi: vmi_instance_t,
    event: *mut vmi_event_t,
    vcpu: u32,
    enabled: bool,
) -> status_t {
    not_yet("vmi_toggle_single_step_vcpu")
}

/// Stops single-stepping on all vCPUs and clears single-step events.
#[no_mangle]
pub unsafe extern "C" fn vmi_shutdown_single_step(vmi: vmi_instance_t) -> status_t {
    not_yet("vmi_shutdown_single_step")
}
