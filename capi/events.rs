//! The event interface of `events.h`.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.
//!
//! Events need a live backend (KVM or Xen) that reports guest activity; no
//! such backend exists yet, so nothing can be registered and every getter
//! finds nothing. Arguments are still checked in upstream's order, so a
//! caller learns about a bad event struct before it learns about the
//! backend.

// Parameters are named for the generated header.
#![allow(unused_variables)]

use core::ffi::c_int;
use core::ptr;

use super::guard::{ffi_or, ffi_status, instance_ref};
use super::instance::vmi_instance;
use super::types::*;
use crate::{Error, Result};

const NO_EVENTS: Error =
    Error::Unsupported("events need a live backend (KVM/Xen); this instance reads a snapshot");

/// Upstream refuses event calls on instances created without
/// `VMI_INIT_EVENTS` (or, for some calls, `VMI_INIT_DOMAINWATCH`).
fn require_flags(inst: &vmi_instance, flags: u64) -> Result<()> {
    if inst.init_flags & flags == 0 {
        return Err(Error::InvalidArgument(
            "the instance was not initialised with VMI_INIT_EVENTS",
        ));
    }
    Ok(())
}

const EVENTS: u64 = VMI_INIT_EVENTS as u64;
const EVENTS_OR_WATCH: u64 = (VMI_INIT_EVENTS | VMI_INIT_DOMAINWATCH) as u64;

/// Checks the version and callback of a caller's event struct.
fn check_event(event: *mut vmi_event_t) -> Result<()> {
    // SAFETY: the caller passes NULL or a valid event struct.
    let ev = unsafe { event.as_ref() }.ok_or(Error::InvalidArgument("event is NULL"))?;
    if ev.version > VMI_EVENTS_VERSION {
        return Err(Error::InvalidArgument(
            "event struct is from a newer LibVMI (version above VMI_EVENTS_VERSION)",
        ));
    }
    if ev.version < VMI_EVENTS_VERSION {
        return Err(Error::InvalidArgument(
            "event struct is from an older LibVMI (version below VMI_EVENTS_VERSION)",
        ));
    }
    if ev.callback.is_none() {
        return Err(Error::InvalidArgument("event has no callback"));
    }
    Ok(())
}

/// Returns the VMI_EVENTS_VERSION the library was built with.
#[no_mangle]
pub unsafe extern "C" fn vmi_events_version() -> u32 {
    VMI_EVENTS_VERSION
}

/// Registers `event`, which must stay valid until cleared.
#[no_mangle]
pub unsafe extern "C" fn vmi_register_event(
    vmi: vmi_instance_t,
    event: *mut vmi_event_t,
) -> status_t {
    ffi_status("vmi_register_event", || {
        let inst = unsafe { instance_ref(vmi) }?;
        require_flags(inst, EVENTS_OR_WATCH)?;
        check_event(event)?;
        Err(NO_EVENTS)
    })
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
    ffi_status("vmi_swap_events", || {
        let inst = unsafe { instance_ref(vmi) }?;
        // SAFETY: the caller passes NULL or valid event structs.
        let (from, to) = unsafe { (swap_from.as_ref(), swap_to.as_ref()) };
        let (Some(from), Some(to)) = (from, to) else {
            return Err(Error::InvalidArgument("swap_from or swap_to is NULL"));
        };
        if from.type_ != VMI_EVENT_MEMORY || to.type_ != VMI_EVENT_MEMORY {
            return Err(Error::Unsupported("only memory events can be swapped"));
        }
        // Nothing can have been registered, so `swap_from` is not.
        Err(NO_EVENTS)
    })
}

/// Unregisters `event`; `free_routine` (if given) is called once it is no longer in use.
#[no_mangle]
pub unsafe extern "C" fn vmi_clear_event(
    vmi: vmi_instance_t,
    event: *mut vmi_event_t,
    free_routine: vmi_event_free_t,
) -> status_t {
    ffi_status("vmi_clear_event", || {
        let inst = unsafe { instance_ref(vmi) }?;
        require_flags(inst, EVENTS)?;
        if event.is_null() {
            return Err(Error::InvalidArgument("event is NULL"));
        }
        // As upstream, the free routine learns the outcome of a clear that
        // was attempted.
        if let Some(free) = free_routine {
            unsafe { free(event, VMI_FAILURE) };
        }
        Err(NO_EVENTS)
    })
}

/// Returns the event registered for register `reg`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_reg_event(vmi: vmi_instance_t, reg: reg_t) -> *mut vmi_event_t {
    // Nothing can be registered: there is never an event to return.
    let _ = unsafe { instance_ref(vmi) };
    ptr::null_mut()
}

/// Returns the memory event registered for frame `gfn` with `access`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_mem_event(
    vmi: vmi_instance_t,
    gfn: addr_t,
    access: vmi_mem_access_t,
) -> *mut vmi_event_t {
    let _ = unsafe { instance_ref(vmi) };
    ptr::null_mut()
}

/// Sets the access permissions of frame `gfn` in view `vmm_pagetable_id`, without a callback.
#[no_mangle]
pub unsafe extern "C" fn vmi_set_mem_event(
    vmi: vmi_instance_t,
    gfn: addr_t,
    access: vmi_mem_access_t,
    vmm_pagetable_id: u16,
) -> status_t {
    ffi_status("vmi_set_mem_event", || {
        unsafe { instance_ref(vmi) }?;
        if access != VMI_MEMACCESS_N {
            // Upstream's guard: restricting access needs a registered
            // generic memory event to handle the faults.
            return Err(Error::InvalidArgument(
                "no memory event is registered to handle this access restriction",
            ));
        }
        Err(NO_EVENTS)
    })
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
    ffi_status("vmi_set_mem_event_range", || {
        unsafe { instance_ref(vmi) }?;
        if access != VMI_MEMACCESS_N {
            return Err(Error::InvalidArgument(
                "no memory event is registered to handle this access restriction",
            ));
        }
        Err(NO_EVENTS)
    })
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
    ffi_status("vmi_step_event", || {
        let inst = unsafe { instance_ref(vmi) }?;
        if vcpu_id > inst.core.num_vcpus() {
            return Err(Error::InvalidArgument("no such vCPU"));
        }
        if steps == 0 {
            return Err(Error::InvalidArgument("steps must be at least 1"));
        }
        Err(NO_EVENTS)
    })
}

/// Waits up to `timeout` ms for events and dispatches them to their callbacks.
#[no_mangle]
pub unsafe extern "C" fn vmi_events_listen(vmi: vmi_instance_t, timeout: u32) -> status_t {
    ffi_status("vmi_events_listen", || {
        require_flags(unsafe { instance_ref(vmi) }?, EVENTS_OR_WATCH)?;
        Err(NO_EVENTS)
    })
}

/// Tells the library whether a listener loop is running (needed for clean teardown).
#[no_mangle]
pub unsafe extern "C" fn vmi_event_listener_required(
    vmi: vmi_instance_t,
    required: bool,
) -> status_t {
    ffi_status("vmi_event_listener_required", || {
        require_flags(unsafe { instance_ref(vmi) }?, EVENTS)?;
        Err(NO_EVENTS)
    })
}

/// Returns the number of events waiting to be processed, -1 on error.
#[no_mangle]
pub unsafe extern "C" fn vmi_are_events_pending(vmi: vmi_instance_t) -> c_int {
    ffi_or("vmi_are_events_pending", -1, || {
        require_flags(unsafe { instance_ref(vmi) }?, EVENTS)?;
        Err(NO_EVENTS)
    })
}

/// Returns the single-step event registered for vCPU `vcpu`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_singlestep_event(
    vmi: vmi_instance_t,
    vcpu: u32,
) -> *mut vmi_event_t {
    let _ = unsafe { instance_ref(vmi) };
    ptr::null_mut()
}

/// Stops single-stepping vCPU `vcpu` for `event`.
#[no_mangle]
pub unsafe extern "C" fn vmi_stop_single_step_vcpu(
    vmi: vmi_instance_t,
    event: *mut vmi_event_t,
    vcpu: u32,
) -> status_t {
    ffi_status("vmi_stop_single_step_vcpu", || {
        let inst = unsafe { instance_ref(vmi) }?;
        if event.is_null() {
            return Err(Error::InvalidArgument("event is NULL"));
        }
        require_flags(inst, EVENTS)?;
        Err(NO_EVENTS)
    })
}

/// Turns single-stepping of vCPU `vcpu` on or off for `event`.
#[no_mangle]
pub unsafe extern "C" fn vmi_toggle_single_step_vcpu(
    vmi: vmi_instance_t,
    event: *mut vmi_event_t,
    vcpu: u32,
    enabled: bool,
) -> status_t {
    ffi_status("vmi_toggle_single_step_vcpu", || {
        let inst = unsafe { instance_ref(vmi) }?;
        if event.is_null() {
            return Err(Error::InvalidArgument("event is NULL"));
        }
        require_flags(inst, EVENTS)?;
        Err(NO_EVENTS)
    })
}

/// Stops single-stepping on all vCPUs and clears single-step events.
#[no_mangle]
pub unsafe extern "C" fn vmi_shutdown_single_step(vmi: vmi_instance_t) -> status_t {
    ffi_status("vmi_shutdown_single_step", || {
        require_flags(unsafe { instance_ref(vmi) }?, EVENTS)?;
        Err(NO_EVENTS)
    })
}
