//! Event structs, typedefs and constants of `events.h`.

use core::ffi::{c_char, c_int, c_uint, c_void};

use super::base::{addr_t, page_mode_t, reg_t, status_t};
use super::regs::{arm_registers_t, x86_registers_t};
use crate::capi::instance::vmi_instance_t;

pub const VMI_EVENTS_VERSION: u32 = 0x00000009;

pub type vmi_event_type_t = u16;
pub const VMI_EVENT_INVALID: vmi_event_type_t = 0;
pub const VMI_EVENT_MEMORY: vmi_event_type_t = 1;
pub const VMI_EVENT_REGISTER: vmi_event_type_t = 2;
pub const VMI_EVENT_SINGLESTEP: vmi_event_type_t = 3;
pub const VMI_EVENT_INTERRUPT: vmi_event_type_t = 4;
pub const VMI_EVENT_GUEST_REQUEST: vmi_event_type_t = 5;
pub const VMI_EVENT_CPUID: vmi_event_type_t = 6;
pub const VMI_EVENT_DEBUG_EXCEPTION: vmi_event_type_t = 7;
pub const VMI_EVENT_PRIVILEGED_CALL: vmi_event_type_t = 8;
pub const VMI_EVENT_DESCRIPTOR_ACCESS: vmi_event_type_t = 9;
pub const VMI_EVENT_FAILED_EMULATION: vmi_event_type_t = 10;
pub const VMI_EVENT_DOMAIN_WATCH: vmi_event_type_t = 11;
pub const VMI_EVENT_VMEXIT: vmi_event_type_t = 12;
pub const VMI_EVENT_IO: vmi_event_type_t = 13;

pub const MAX_SINGLESTEP_VCPUS: c_int = 32;

pub type vmi_reg_access_t = u8;
pub const VMI_REGACCESS_INVALID: vmi_reg_access_t = 0;
pub const VMI_REGACCESS_N: vmi_reg_access_t = 1 << 0;
pub const VMI_REGACCESS_R: vmi_reg_access_t = 1 << 1;
pub const VMI_REGACCESS_W: vmi_reg_access_t = 1 << 2;
pub const VMI_REGACCESS_RW: vmi_reg_access_t = VMI_REGACCESS_R | VMI_REGACCESS_W;

pub type vmi_mem_access_t = u8;
pub const VMI_MEMACCESS_INVALID: vmi_mem_access_t = 0;
pub const VMI_MEMACCESS_N: vmi_mem_access_t = 1 << 0;
pub const VMI_MEMACCESS_R: vmi_mem_access_t = 1 << 1;
pub const VMI_MEMACCESS_W: vmi_mem_access_t = 1 << 2;
pub const VMI_MEMACCESS_X: vmi_mem_access_t = 1 << 3;
pub const VMI_MEMACCESS_RW: vmi_mem_access_t = VMI_MEMACCESS_R | VMI_MEMACCESS_W;
pub const VMI_MEMACCESS_RX: vmi_mem_access_t = VMI_MEMACCESS_R | VMI_MEMACCESS_X;
pub const VMI_MEMACCESS_WX: vmi_mem_access_t = VMI_MEMACCESS_W | VMI_MEMACCESS_X;
pub const VMI_MEMACCESS_RWX: vmi_mem_access_t = VMI_MEMACCESS_R | VMI_MEMACCESS_W | VMI_MEMACCESS_X;
pub const VMI_MEMACCESS_W2X: vmi_mem_access_t = 1 << 4;
pub const VMI_MEMACCESS_RWX2N: vmi_mem_access_t = 1 << 5;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct emul_read_t {
    pub size: u32,
    pub dont_free: u8,
    pub _pad: [u8; 3],
    pub data: [u8; 256],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct emul_insn_t {
    pub dont_free: u8,
    pub _pad: [u8; 7],
    pub data: [u8; 16],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct reg_event_t {
    pub reg: reg_t,
    pub equal: reg_t,
    pub async_: u8,
    pub onchange: u8,
    pub in_access: vmi_reg_access_t,
    pub out_access: vmi_reg_access_t,
    pub _pad1: u32,
    pub value: reg_t,
    pub previous: reg_t,
    pub msr: u32,
    pub _pad2: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct mem_access_event_t {
    pub gfn: addr_t,
    pub generic: u8,
    pub in_access: vmi_mem_access_t,
    pub out_access: vmi_mem_access_t,
    pub gptw: u8,
    pub gla_valid: u8,
    pub _pad: [u8; 3],
    pub gla: addr_t,
    pub offset: addr_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct watch_domain_event_t {
    pub uuid: *mut c_char,
    pub domain: u32,
    pub created: bool,
}

pub type interrupts_t = u8;
pub const INT_INVALID: interrupts_t = 0;
pub const INT3: interrupts_t = 1;
pub const INT_NEXT: interrupts_t = 2;

/// First alternative of `interrupt_event_t`'s union (INT3 traps).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct interrupt_trap_t {
    pub insn_length: u32,
    pub reinject: i8,
    pub _pad2: [u8; 3],
    pub gla: addr_t,
    pub gfn: addr_t,
    pub offset: addr_t,
    pub _pad3: u16,
}

/// Second alternative of `interrupt_event_t`'s union (INT_NEXT).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct interrupt_next_t {
    pub vector: u32,
    pub type_: u32,
    pub error_code: u32,
    pub _pad4: u32,
    pub cr2: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union interrupt_event_u {
    pub trap: interrupt_trap_t,
    pub next: interrupt_next_t,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct interrupt_event_t {
    pub intr: interrupts_t,
    pub _pad1: [u8; 7],
    /// C: anonymous union of two anonymous structs.
    pub u: interrupt_event_u,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct privcall_event_t {
    pub gla: addr_t,
    pub gfn: addr_t,
    pub offset: addr_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct single_step_event_t {
    pub vcpus: u32,
    pub enable: u8,
    pub _pad: [u8; 3],
    pub gla: addr_t,
    pub gfn: addr_t,
    pub offset: addr_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct debug_event_t {
    pub gla: addr_t,
    pub gfn: addr_t,
    pub offset: addr_t,
    pub insn_length: u32,
    pub type_: u8,
    pub reinject: i8,
    pub _pad: u16,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct cpuid_event_t {
    pub insn_length: u32,
    pub leaf: u32,
    pub subleaf: u32,
    pub _pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct io_event_t {
    pub bytes: u32,
    pub port: u16,
    pub in_: u8,
    pub str_: u8,
}

pub const VMI_DESCRIPTOR_IDTR: c_int = 1;
pub const VMI_DESCRIPTOR_GDTR: c_int = 2;
pub const VMI_DESCRIPTOR_LDTR: c_int = 3;
pub const VMI_DESCRIPTOR_TR: c_int = 4;

/// Intel VMX alternative of `descriptor_event_t`'s union.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct descriptor_vmx_t {
    pub instr_info: u32,
    pub _pad1: u32,
    pub exit_qualification: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union descriptor_info_u {
    pub vmx: descriptor_vmx_t,
    /// AMD SVM EXITINFO.
    pub exit_info: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct descriptor_event_t {
    /// C: anonymous union.
    pub info: descriptor_info_u,
    pub descriptor: u8,
    pub is_write: u8,
    pub _pad2: [u8; 6],
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct vmexit_event_t {
    pub sync: u8,
    pub reason: u64,
    pub qualification: u64,
}

pub type event_response_flags_t = u32;
pub const VMI_EVENT_RESPONSE_NONE: event_response_flags_t = 0;
pub const VMI_EVENT_RESPONSE_EMULATE: event_response_flags_t = 1 << 1;
pub const VMI_EVENT_RESPONSE_EMULATE_NOWRITE: event_response_flags_t = 1 << 2;
pub const VMI_EVENT_RESPONSE_SET_EMUL_READ_DATA: event_response_flags_t = 1 << 3;
pub const VMI_EVENT_RESPONSE_DENY: event_response_flags_t = 1 << 4;
pub const VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP: event_response_flags_t = 1 << 5;
pub const VMI_EVENT_RESPONSE_SLAT_ID: event_response_flags_t = 1 << 6;
pub const VMI_EVENT_RESPONSE_VMM_PAGETABLE_ID: event_response_flags_t = VMI_EVENT_RESPONSE_SLAT_ID;
pub const VMI_EVENT_RESPONSE_SET_REGISTERS: event_response_flags_t = 1 << 7;
pub const VMI_EVENT_RESPONSE_SET_EMUL_INSN: event_response_flags_t = 1 << 8;
pub const VMI_EVENT_RESPONSE_GET_NEXT_INTERRUPT: event_response_flags_t = 1 << 9;
pub const VMI_EVENT_RESPONSE_NEXT_SLAT_ID: event_response_flags_t = 1 << 10;
pub const VMI_EVENT_RESPONSE_RESET_VMTRACE: event_response_flags_t = 1 << 11;
pub const VMI_EVENT_RESPONSE_RESET_FORK_STATE: event_response_flags_t = 1 << 12;
pub const VMI_EVENT_RESPONSE_RESET_FORK_MEM: event_response_flags_t = 1 << 13;
pub const __VMI_EVENT_RESPONSE_MAX: c_uint = 13;

pub type event_response_t = u32;

pub type event_callback_t =
    Option<unsafe extern "C" fn(vmi: vmi_instance_t, event: *mut vmi_event_t) -> event_response_t>;

pub type vmi_event_free_t = Option<unsafe extern "C" fn(event: *mut vmi_event_t, rc: status_t)>;

/// The per-type payload union of `vmi_event_t` (anonymous in C).
#[repr(C)]
#[derive(Clone, Copy)]
pub union vmi_event_payload_t {
    pub reg_event: reg_event_t,
    pub mem_event: mem_access_event_t,
    pub ss_event: single_step_event_t,
    pub interrupt_event: interrupt_event_t,
    pub privcall_event: privcall_event_t,
    pub cpuid_event: cpuid_event_t,
    pub debug_event: debug_event_t,
    pub descriptor_event: descriptor_event_t,
    pub watch_event: watch_domain_event_t,
    pub vmexit_event: vmexit_event_t,
    pub io_event: io_event_t,
}

/// The trailing pointer union of `vmi_event_t` (anonymous in C; C nests
/// `x86_regs`/`arm_regs` in an inner union, which changes nothing here).
#[repr(C)]
#[derive(Clone, Copy)]
pub union vmi_event_extra_t {
    pub x86_regs: *mut x86_registers_t,
    pub arm_regs: *mut arm_registers_t,
    pub emul_read: *mut emul_read_t,
    pub emul_insn: *mut emul_insn_t,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct vmi_event_t {
    pub version: u32,
    pub type_: vmi_event_type_t,
    pub slat_id: u16,
    pub next_slat_id: u16,
    pub _reserved: [u16; 3],
    pub data: *mut c_void,
    pub callback: event_callback_t,
    pub vcpu_id: u32,
    pub page_mode: page_mode_t,
    pub payload: vmi_event_payload_t,
    pub extra: vmi_event_extra_t,
}
