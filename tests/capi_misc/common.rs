//! Shared pieces of the capi_misc tests: an in-memory backend (with optional
//! registers), instance handles, and the C functions under test.
#![allow(dead_code)]

use std::ffi::{c_char, c_int, c_ulong, c_void};
use std::sync::{Arc, RwLock};

use vmi::capi::instance::vmi_instance;
use vmi::capi::types::*;
use vmi::driver::{Driver, PhysRange, PhysicalMemory, Reg, Registers};
use vmi::error::{Error, Result};
use vmi::instance::Vmi;

/// Guest memory in a vector; pages listed in `holes` fail to read.
pub struct MemDriver {
    pub mem: Arc<RwLock<Vec<u8>>>,
    pub holes: Vec<u64>,
    pub regs: Option<FakeRegs>,
    ranges: Vec<PhysRange>,
}

/// Registers as a function of (register, vCPU).
pub struct FakeRegs {
    pub vcpus: u32,
    pub get: fn(Reg, u32) -> Option<u64>,
}

impl MemDriver {
    pub fn new(mem: Arc<RwLock<Vec<u8>>>) -> MemDriver {
        let end = mem.read().unwrap().len() as u64;
        MemDriver {
            mem,
            holes: Vec::new(),
            regs: None,
            ranges: vec![PhysRange { start: 0, end }],
        }
    }
}

impl PhysicalMemory for MemDriver {
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()> {
        let mem = self.mem.read().unwrap();
        let end = pa
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= mem.len() as u64)
            .ok_or(Error::PhysicalOutOfRange { pa })?;
        let mut page = pa & !0xfff;
        while page < end {
            if self.holes.contains(&page) {
                return Err(Error::PhysicalOutOfRange { pa: page });
            }
            page += 0x1000;
        }
        buf.copy_from_slice(&mem[pa as usize..end as usize]);
        Ok(())
    }

    fn ranges(&self) -> &[PhysRange] {
        &self.ranges
    }
}

impl Registers for FakeRegs {
    fn num_vcpus(&self) -> u32 {
        self.vcpus
    }
    fn get_reg(&self, reg: Reg, vcpu: u32) -> Result<u64> {
        if vcpu >= self.vcpus {
            return Err(Error::InvalidArgument("no such vCPU"));
        }
        (self.get)(reg, vcpu).ok_or(Error::NotFound("register"))
    }
}

impl Driver for MemDriver {
    fn name(&self) -> &'static str {
        "test-memory"
    }
    fn as_registers(&self) -> Option<&dyn Registers> {
        self.regs.as_ref().map(|r| r as &dyn Registers)
    }
}

/// A C handle over `core`; freed by [`Handle`]'s drop through vmi_destroy.
pub struct Handle(pub vmi_instance_t);

impl Handle {
    pub fn new(core: Vmi, flags: u64) -> Handle {
        Handle(Box::into_raw(Box::new(vmi_instance::new(
            core, VMI_FILE, flags,
        ))))
    }

    pub fn mem(mem: &Arc<RwLock<Vec<u8>>>) -> Handle {
        Handle::new(Vmi::new(Box::new(MemDriver::new(mem.clone())), "mem", 0), 0)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        assert_eq!(unsafe { vmi_destroy(self.0) }, VMI_SUCCESS);
    }
}

/// A scratch file removed on drop.
pub struct TempFile(pub std::path::PathBuf);

impl TempFile {
    pub fn new(name: &str, bytes: &[u8]) -> TempFile {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("vmi-capi-misc-{}-{n}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        TempFile(p)
    }

    pub fn c_path(&self) -> std::ffi::CString {
        std::ffi::CString::new(self.0.to_str().unwrap()).unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Small deterministic generator for mutation tests.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub unsafe fn cstr<'a>(p: *const c_char) -> &'a str {
    assert!(!p.is_null());
    unsafe { std::ffi::CStr::from_ptr(p) }.to_str().unwrap()
}

// The handle is opaque to C; only its pointer crosses.
#[allow(improper_ctypes)]
extern "C" {
    pub fn vmi_destroy(vmi: vmi_instance_t) -> status_t;

    // peparse.h
    pub fn peparse_validate_pe_image(image: *const u8, len: usize) -> status_t;
    pub fn peparse_get_image(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        len: usize,
        image: *mut u8,
    ) -> status_t;
    pub fn peparse_assign_headers(
        image: *const u8,
        dos_header: *mut *mut dos_header,
        pe_header: *mut *mut pe_header,
        optional_header_type: *mut u16,
        optional_pe_header: *mut *mut c_void,
        oh_pe32: *mut *mut optional_header_pe32,
        oh_pe32plus: *mut *mut optional_header_pe32plus,
    );
    pub fn peparse_get_idd_rva(
        entry_id: u32,
        optional_header_type: *mut u16,
        optional_header: *mut c_void,
        oh_pe32: *mut optional_header_pe32,
        oh_pe32plus: *mut optional_header_pe32plus,
    ) -> addr_t;
    pub fn peparse_get_idd_size(
        entry_id: u32,
        optional_header_type: *mut u16,
        optional_header: *mut c_void,
        oh_pe32: *mut optional_header_pe32,
        oh_pe32plus: *mut optional_header_pe32plus,
    ) -> usize;
    pub fn peparse_get_export_table(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        et: *mut export_table,
        export_table_rva: *mut addr_t,
        export_table_size: *mut usize,
    ) -> status_t;

    // OS queries
    pub fn vmi_get_ostype(vmi: vmi_instance_t) -> os_t;
    pub fn vmi_get_windows_build_info(vmi: vmi_instance_t, info: *mut win_build_info_t) -> bool;
    pub fn vmi_get_winver(vmi: vmi_instance_t) -> win_ver_t;
    pub fn vmi_get_win_buildnumber(vmi: vmi_instance_t) -> u16;
    pub fn vmi_get_winver_str(vmi: vmi_instance_t) -> *const c_char;
    pub fn vmi_get_winver_manual(vmi: vmi_instance_t, kdvb_pa: addr_t) -> win_ver_t;
    pub fn vmi_get_offset(
        vmi: vmi_instance_t,
        offset_name: *const c_char,
        offset: *mut addr_t,
    ) -> status_t;
    pub fn vmi_get_kernel_struct_offset(
        vmi: vmi_instance_t,
        struct_name: *const c_char,
        member: *const c_char,
        addr: *mut addr_t,
    ) -> status_t;
    pub fn vmi_get_linux_sysmap(vmi: vmi_instance_t) -> *const c_char;
    pub fn vmi_get_freebsd_sysmap(vmi: vmi_instance_t) -> *const c_char;
    pub fn vmi_get_rekall_path(vmi: vmi_instance_t) -> *const c_char;
    pub fn vmi_get_os_profile_path(vmi: vmi_instance_t) -> *const c_char;

    // JSON profiles
    pub fn vmi_init_profile(
        vmi: vmi_instance_t,
        config_mode: vmi_config_t,
        config: *mut c_void,
    ) -> os_t;
    pub fn vmi_get_kernel_json(vmi: vmi_instance_t) -> *mut json_object;
    pub fn vmi_get_symbol_addr_from_json(
        vmi: vmi_instance_t,
        json: *mut json_object,
        symbol: *const c_char,
        addr: *mut addr_t,
    ) -> status_t;
    pub fn vmi_get_struct_size_from_json(
        vmi: vmi_instance_t,
        json: *mut json_object,
        struct_name: *const c_char,
        size: *mut usize,
    ) -> status_t;
    pub fn vmi_get_struct_member_offset_from_json(
        vmi: vmi_instance_t,
        json: *mut json_object,
        struct_name: *const c_char,
        struct_member: *const c_char,
        offset: *mut addr_t,
    ) -> status_t;
    pub fn vmi_get_bitfield_offset_and_size_from_json(
        vmi: vmi_instance_t,
        json: *mut json_object,
        struct_name: *const c_char,
        struct_member: *const c_char,
        offset: *mut addr_t,
        start_bit: *mut usize,
        end_bit: *mut usize,
    ) -> status_t;
    pub fn vmi_get_struct_field_type_name_from_json(
        vmi: vmi_instance_t,
        json: *mut json_object,
        struct_name: *const c_char,
        struct_member: *const c_char,
        member_type_name: *mut *const c_char,
    ) -> status_t;

    // json-c, to build and inspect documents as a C caller would.
    pub fn json_tokener_parse(s: *const c_char) -> *mut json_object;
    pub fn json_object_put(obj: *mut json_object) -> c_int;
    pub fn json_object_object_get_ex(
        obj: *const json_object,
        key: *const c_char,
        value: *mut *mut json_object,
    ) -> c_int;
    pub fn json_object_get_string(obj: *mut json_object) -> *const c_char;

    // vCPUs and VM control
    pub fn vmi_get_vcpureg(
        vmi: vmi_instance_t,
        value: *mut u64,
        reg: reg_t,
        vcpu: c_ulong,
    ) -> status_t;
    pub fn vmi_get_vcpuregs(vmi: vmi_instance_t, regs: *mut registers_t, vcpu: c_ulong)
        -> status_t;
    pub fn vmi_set_vcpureg(vmi: vmi_instance_t, value: u64, reg: reg_t, vcpu: c_ulong) -> status_t;
    pub fn vmi_set_vcpuregs(vmi: vmi_instance_t, regs: *mut registers_t, vcpu: c_ulong)
        -> status_t;
    pub fn vmi_pause_vm(vmi: vmi_instance_t) -> status_t;
    pub fn vmi_resume_vm(vmi: vmi_instance_t) -> status_t;
    pub fn vmi_get_domain_status(
        vmi: vmi_instance_t,
        domain_status: *mut domain_status_t,
    ) -> status_t;
    pub fn vmi_request_page_fault(
        vmi: vmi_instance_t,
        vcpu: c_ulong,
        virtual_address: u64,
        error_code: u32,
    ) -> status_t;
    pub fn vmi_get_next_available_gfn(vmi: vmi_instance_t) -> addr_t;
    pub fn vmi_alloc_gfn(vmi: vmi_instance_t, gfn: u64) -> status_t;
    pub fn vmi_free_gfn(vmi: vmi_instance_t, gfn: u64) -> status_t;
    pub fn vmi_get_tsc_info(
        vmi: vmi_instance_t,
        tsc_mode: *mut u32,
        elapsed_nsec: *mut u64,
        gtsc_khz: *mut u32,
        incarnation: *mut u32,
    ) -> status_t;
    pub fn vmi_get_vcpumtrr(
        vmi: vmi_instance_t,
        hw_mtrr: *mut mtrr_regs_t,
        vcpu: c_ulong,
    ) -> status_t;
    pub fn vmi_get_xsave_info(
        vmi: vmi_instance_t,
        vcpu: c_ulong,
        xsave_info: *mut xsave_area_t,
    ) -> status_t;

    // events.h
    pub fn vmi_events_version() -> u32;
    pub fn vmi_register_event(vmi: vmi_instance_t, event: *mut vmi_event_t) -> status_t;
    pub fn vmi_clear_event(
        vmi: vmi_instance_t,
        event: *mut vmi_event_t,
        free_routine: vmi_event_free_t,
    ) -> status_t;
    pub fn vmi_swap_events(
        vmi: vmi_instance_t,
        swap_from: *mut vmi_event_t,
        swap_to: *mut vmi_event_t,
        free_routine: vmi_event_free_t,
    ) -> status_t;
    pub fn vmi_get_reg_event(vmi: vmi_instance_t, reg: reg_t) -> *mut vmi_event_t;
    pub fn vmi_get_mem_event(
        vmi: vmi_instance_t,
        gfn: addr_t,
        access: vmi_mem_access_t,
    ) -> *mut vmi_event_t;
    pub fn vmi_get_singlestep_event(vmi: vmi_instance_t, vcpu: u32) -> *mut vmi_event_t;
    pub fn vmi_set_mem_event(
        vmi: vmi_instance_t,
        gfn: addr_t,
        access: vmi_mem_access_t,
        vmm_pagetable_id: u16,
    ) -> status_t;
    pub fn vmi_step_event(
        vmi: vmi_instance_t,
        event: *mut vmi_event_t,
        vcpu_id: u32,
        steps: u64,
        cb: event_callback_t,
    ) -> status_t;
    pub fn vmi_events_listen(vmi: vmi_instance_t, timeout: u32) -> status_t;
    pub fn vmi_event_listener_required(vmi: vmi_instance_t, required: bool) -> status_t;
    pub fn vmi_are_events_pending(vmi: vmi_instance_t) -> c_int;
    pub fn vmi_toggle_single_step_vcpu(
        vmi: vmi_instance_t,
        event: *mut vmi_event_t,
        vcpu: u32,
        enabled: bool,
    ) -> status_t;
    pub fn vmi_shutdown_single_step(vmi: vmi_instance_t) -> status_t;

    // slat.h
    pub fn vmi_slat_state(vmi: vmi_instance_t, state: *mut bool) -> status_t;
    pub fn vmi_slat_control(vmi: vmi_instance_t, state: bool) -> status_t;
    pub fn vmi_slat_create(vmi: vmi_instance_t, slat_id: *mut u16) -> status_t;
    pub fn vmi_slat_destroy(vmi: vmi_instance_t, slat_idx: u16) -> status_t;
    pub fn vmi_slat_switch(vmi: vmi_instance_t, slat_idx: u16) -> status_t;
    pub fn vmi_slat_change_gfn(
        vmi: vmi_instance_t,
        slat_idx: u16,
        old_gfn: addr_t,
        new_gfn: addr_t,
    ) -> status_t;
}
