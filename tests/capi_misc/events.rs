//! events.h and slat.h on a backend without either: argument checks in
//! upstream's order, then one clear failure.

use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

use vmi::capi::types::*;
use vmi::instance::Vmi;

use crate::common::*;

fn handle(flags: u64) -> Handle {
    let d = MemDriver::new(Arc::new(RwLock::new(vec![0u8; 0x1000])));
    Handle::new(Vmi::new(Box::new(d), "ev", 0), flags)
}

unsafe extern "C" fn cb(_vmi: vmi_instance_t, _event: *mut vmi_event_t) -> event_response_t {
    0
}

static FREED: AtomicU32 = AtomicU32::new(0);
static FREED_RC: AtomicU32 = AtomicU32::new(99);

unsafe extern "C" fn free_event(_event: *mut vmi_event_t, rc: status_t) {
    FREED.fetch_add(1, Ordering::SeqCst);
    FREED_RC.store(rc, Ordering::SeqCst);
}

fn event(version: u32, ty: vmi_event_type_t) -> vmi_event_t {
    let mut e: vmi_event_t = unsafe { std::mem::zeroed() };
    e.version = version;
    e.type_ = ty;
    e.callback = Some(cb);
    e
}

#[test]
fn version_is_upstreams() {
    assert_eq!(unsafe { vmi_events_version() }, VMI_EVENTS_VERSION);
    assert_eq!(VMI_EVENTS_VERSION, 9);
}

#[test]
fn registration_fails_after_the_argument_checks() {
    let plain = handle(0);
    let live = handle(VMI_INIT_EVENTS as u64);
    let mut good = event(VMI_EVENTS_VERSION, VMI_EVENT_REGISTER);
    unsafe {
        assert_eq!(vmi_register_event(ptr::null_mut(), &mut good), VMI_FAILURE);
        assert_eq!(vmi_register_event(plain.0, &mut good), VMI_FAILURE);
        assert_eq!(vmi_register_event(live.0, ptr::null_mut()), VMI_FAILURE);
        for v in [VMI_EVENTS_VERSION - 1, VMI_EVENTS_VERSION + 1] {
            let mut e = event(v, VMI_EVENT_REGISTER);
            assert_eq!(vmi_register_event(live.0, &mut e), VMI_FAILURE);
        }
        let mut no_cb = event(VMI_EVENTS_VERSION, VMI_EVENT_REGISTER);
        no_cb.callback = None;
        assert_eq!(vmi_register_event(live.0, &mut no_cb), VMI_FAILURE);
        // A well-formed event still cannot be registered: no event backend.
        assert_eq!(vmi_register_event(live.0, &mut good), VMI_FAILURE);

        assert!(vmi_get_reg_event(live.0, CR3).is_null());
        assert!(vmi_get_mem_event(live.0, 0x10, VMI_MEMACCESS_W).is_null());
        assert!(vmi_get_singlestep_event(live.0, 0).is_null());
        assert!(vmi_get_reg_event(ptr::null_mut(), CR3).is_null());

        assert_eq!(vmi_are_events_pending(ptr::null_mut()), -1);
        assert_eq!(vmi_are_events_pending(plain.0), -1);
        assert_eq!(vmi_are_events_pending(live.0), -1);
        assert_eq!(vmi_events_listen(live.0, 0), VMI_FAILURE);
        assert_eq!(vmi_events_listen(plain.0, 0), VMI_FAILURE);
        assert_eq!(vmi_event_listener_required(live.0, true), VMI_FAILURE);
        assert_eq!(
            vmi_set_mem_event(live.0, 0x10, VMI_MEMACCESS_W, 0),
            VMI_FAILURE
        );
        assert_eq!(
            vmi_set_mem_event(live.0, 0x10, VMI_MEMACCESS_N, 0),
            VMI_FAILURE
        );
        assert_eq!(vmi_step_event(live.0, &mut good, 0, 0, None), VMI_FAILURE);
        assert_eq!(vmi_step_event(live.0, &mut good, 0, 1, None), VMI_FAILURE);
        assert_eq!(
            vmi_toggle_single_step_vcpu(live.0, &mut good, 0, true),
            VMI_FAILURE
        );
        assert_eq!(vmi_shutdown_single_step(live.0), VMI_FAILURE);

        let mut a = event(VMI_EVENTS_VERSION, VMI_EVENT_MEMORY);
        let mut b = event(VMI_EVENTS_VERSION, VMI_EVENT_MEMORY);
        assert_eq!(vmi_swap_events(live.0, &mut a, &mut b, None), VMI_FAILURE);
        assert_eq!(
            vmi_swap_events(live.0, &mut a, ptr::null_mut(), None),
            VMI_FAILURE
        );
    }
}

#[test]
fn clear_event_reports_to_the_free_routine_only_when_attempted() {
    let plain = handle(0);
    let live = handle(VMI_INIT_EVENTS as u64);
    let mut e = event(VMI_EVENTS_VERSION, VMI_EVENT_REGISTER);
    unsafe {
        // Refused up front (no events flag, NULL event): not attempted.
        assert_eq!(
            vmi_clear_event(plain.0, &mut e, Some(free_event)),
            VMI_FAILURE
        );
        assert_eq!(
            vmi_clear_event(live.0, ptr::null_mut(), Some(free_event)),
            VMI_FAILURE
        );
        assert_eq!(FREED.load(Ordering::SeqCst), 0);
        // Attempted and failed: the routine learns VMI_FAILURE.
        assert_eq!(
            vmi_clear_event(live.0, &mut e, Some(free_event)),
            VMI_FAILURE
        );
        assert_eq!(FREED.load(Ordering::SeqCst), 1);
        assert_eq!(FREED_RC.load(Ordering::SeqCst), VMI_FAILURE);
    }
}

#[test]
fn slat_needs_xen() {
    let h = handle(0);
    let mut state = true;
    let mut id = 7u16;
    unsafe {
        assert_eq!(vmi_slat_state(h.0, &mut state), VMI_FAILURE);
        assert_eq!(vmi_slat_control(h.0, true), VMI_FAILURE);
        assert_eq!(vmi_slat_create(h.0, &mut id), VMI_FAILURE);
        assert_eq!(id, 7);
        assert_eq!(vmi_slat_destroy(h.0, 1), VMI_FAILURE);
        assert_eq!(vmi_slat_switch(h.0, 1), VMI_FAILURE);
        assert_eq!(vmi_slat_change_gfn(h.0, 1, 2, 3), VMI_FAILURE);
        assert_eq!(vmi_slat_state(ptr::null_mut(), &mut state), VMI_FAILURE);
    }
}
