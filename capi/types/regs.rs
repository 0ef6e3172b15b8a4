//! Register identifiers and register-file structs of `libvmi.h`.

use core::ffi::c_char;

use super::base::reg_t;

// Register identifiers (`reg_t` values; `int` macros in C).
pub const EAX: reg_t = 0;
pub const EBX: reg_t = 1;
pub const ECX: reg_t = 2;
pub const EDX: reg_t = 3;
pub const EBP: reg_t = 4;
pub const ESI: reg_t = 5;
pub const EDI: reg_t = 6;
pub const ESP: reg_t = 7;
pub const EIP: reg_t = 8;
pub const EFLAGS: reg_t = 9;
pub const RAX: reg_t = EAX;
pub const RBX: reg_t = EBX;
pub const RCX: reg_t = ECX;
pub const RDX: reg_t = EDX;
pub const RBP: reg_t = EBP;
pub const RSI: reg_t = ESI;
pub const RDI: reg_t = EDI;
pub const RSP: reg_t = ESP;
pub const RIP: reg_t = EIP;
pub const RFLAGS: reg_t = EFLAGS;
pub const R8: reg_t = 10;
pub const R9: reg_t = 11;
pub const R10: reg_t = 12;
pub const R11: reg_t = 13;
pub const R12: reg_t = 14;
pub const R13: reg_t = 15;
pub const R14: reg_t = 16;
pub const R15: reg_t = 17;
pub const CR0: reg_t = 18;
pub const CR2: reg_t = 19;
pub const CR3: reg_t = 20;
pub const CR4: reg_t = 21;
pub const XCR0: reg_t = 22;
pub const DR0: reg_t = 23;
pub const DR1: reg_t = 24;
pub const DR2: reg_t = 25;
pub const DR3: reg_t = 26;
pub const DR6: reg_t = 27;
pub const DR7: reg_t = 28;
pub const CS_SEL: reg_t = 29;
pub const DS_SEL: reg_t = 30;
pub const ES_SEL: reg_t = 31;
pub const FS_SEL: reg_t = 32;
pub const GS_SEL: reg_t = 33;
pub const SS_SEL: reg_t = 34;
pub const TR_SEL: reg_t = 35;
pub const LDTR_SEL: reg_t = 36;
pub const CS_LIMIT: reg_t = 37;
pub const DS_LIMIT: reg_t = 38;
pub const ES_LIMIT: reg_t = 39;
pub const FS_LIMIT: reg_t = 40;
pub const GS_LIMIT: reg_t = 41;
pub const SS_LIMIT: reg_t = 42;
pub const TR_LIMIT: reg_t = 43;
pub const LDTR_LIMIT: reg_t = 44;
pub const IDTR_LIMIT: reg_t = 45;
pub const GDTR_LIMIT: reg_t = 46;
pub const CS_BASE: reg_t = 47;
pub const DS_BASE: reg_t = 48;
pub const ES_BASE: reg_t = 49;
pub const FS_BASE: reg_t = 50;
pub const GS_BASE: reg_t = 51;
pub const SS_BASE: reg_t = 52;
pub const TR_BASE: reg_t = 53;
pub const LDTR_BASE: reg_t = 54;
pub const IDTR_BASE: reg_t = 55;
pub const GDTR_BASE: reg_t = 56;
pub const CS_ARBYTES: reg_t = 57;
pub const DS_ARBYTES: reg_t = 58;
pub const ES_ARBYTES: reg_t = 59;
pub const FS_ARBYTES: reg_t = 60;
pub const GS_ARBYTES: reg_t = 61;
pub const SS_ARBYTES: reg_t = 62;
pub const TR_ARBYTES: reg_t = 63;
pub const LDTR_ARBYTES: reg_t = 64;
pub const SYSENTER_CS: reg_t = 65;
pub const SYSENTER_ESP: reg_t = 66;
pub const SYSENTER_EIP: reg_t = 67;
pub const SHADOW_GS: reg_t = 68;
pub const TSC: reg_t = 69;
pub const MSR_FLAGS: reg_t = 70;
pub const MSR_LSTAR: reg_t = 71;
pub const MSR_CSTAR: reg_t = 72;
pub const MSR_SYSCALL_MASK: reg_t = 73;
pub const MSR_EFER: reg_t = 74;
pub const MSR_TSC_AUX: reg_t = 75;
pub const MSR_STAR: reg_t = 119;
pub const MSR_SHADOW_GS_BASE: reg_t = 120;
pub const MSR_MTRRfix64K_00000: reg_t = 121;
pub const MSR_MTRRfix16K_80000: reg_t = 122;
pub const MSR_MTRRfix16K_A0000: reg_t = 123;
pub const MSR_MTRRfix4K_C0000: reg_t = 124;
pub const MSR_MTRRfix4K_C8000: reg_t = 125;
pub const MSR_MTRRfix4K_D0000: reg_t = 126;
pub const MSR_MTRRfix4K_D8000: reg_t = 127;
pub const MSR_MTRRfix4K_E0000: reg_t = 128;
pub const MSR_MTRRfix4K_E8000: reg_t = 129;
pub const MSR_MTRRfix4K_F0000: reg_t = 130;
pub const MSR_MTRRfix4K_F8000: reg_t = 131;
pub const MSR_MTRRdefType: reg_t = 132;
pub const MSR_IA32_MC0_CTL: reg_t = 133;
pub const MSR_IA32_MC0_STATUS: reg_t = 134;
pub const MSR_IA32_MC0_ADDR: reg_t = 135;
pub const MSR_IA32_MC0_MISC: reg_t = 136;
pub const MSR_IA32_MC1_CTL: reg_t = 137;
pub const MSR_IA32_MC0_CTL2: reg_t = 138;
pub const MSR_AMD_PATCHLEVEL: reg_t = 139;
pub const MSR_AMD64_TSC_RATIO: reg_t = 140;
pub const MSR_IA32_P5_MC_ADDR: reg_t = 141;
pub const MSR_IA32_P5_MC_TYPE: reg_t = 142;
pub const MSR_IA32_TSC: reg_t = 143;
pub const MSR_IA32_PLATFORM_ID: reg_t = 144;
pub const MSR_IA32_EBL_CR_POWERON: reg_t = 145;
pub const MSR_IA32_EBC_FREQUENCY_ID: reg_t = 146;
pub const MSR_IA32_FEATURE_CONTROL: reg_t = 147;
pub const MSR_IA32_SYSENTER_CS: reg_t = 148;
pub const MSR_IA32_SYSENTER_ESP: reg_t = 149;
pub const MSR_IA32_SYSENTER_EIP: reg_t = 150;
pub const MSR_IA32_MISC_ENABLE: reg_t = 151;
pub const MSR_HYPERVISOR: reg_t = 152;
pub const MSR_ANY: reg_t = 153;
pub const MSR_UNDEFINED: reg_t = MSR_ANY;
pub const MSR_ALL: reg_t = 76;
pub const SCTLR: reg_t = 77;
pub const CPSR: reg_t = 78;
pub const TTBCR: reg_t = 79;
pub const TTBR0: reg_t = 80;
pub const TTBR1: reg_t = 81;
pub const R0: reg_t = 82;
pub const R1: reg_t = 83;
pub const R2: reg_t = 84;
pub const R3: reg_t = 85;
pub const R4: reg_t = 86;
pub const R5: reg_t = 87;
pub const R6: reg_t = 88;
pub const R7: reg_t = 89;
pub const SPSR_SVC: reg_t = 90;
pub const SPSR_FIQ: reg_t = 91;
pub const SPSR_IRQ: reg_t = 92;
pub const SPSR_UND: reg_t = 93;
pub const SPSR_ABT: reg_t = 94;
pub const LR_IRQ: reg_t = 95;
pub const SP_IRQ: reg_t = 96;
pub const LR_SVC: reg_t = 97;
pub const SP_SVC: reg_t = 98;
pub const LR_ABT: reg_t = 99;
pub const SP_ABT: reg_t = 100;
pub const LR_UND: reg_t = 101;
pub const SP_UND: reg_t = 102;
pub const R8_FIQ: reg_t = 103;
pub const R9_FIQ: reg_t = 104;
pub const R10_FIQ: reg_t = 105;
pub const R11_FIQ: reg_t = 106;
pub const R12_FIQ: reg_t = 107;
pub const SP_FIQ: reg_t = 108;
pub const LR_FIQ: reg_t = 109;
pub const PC: reg_t = 118;
pub const SP_USR: reg_t = R13;
pub const LR_USR: reg_t = R14;
pub const PC32: reg_t = PC;
pub const SP_EL0: reg_t = 110;
pub const SP_EL1: reg_t = 111;
pub const ELR_EL1: reg_t = 112;
pub const X0: reg_t = R0;
pub const X1: reg_t = R1;
pub const X2: reg_t = R2;
pub const X3: reg_t = R3;
pub const X4: reg_t = R4;
pub const X5: reg_t = R5;
pub const X6: reg_t = R6;
pub const X7: reg_t = R7;
pub const X8: reg_t = R8;
pub const X9: reg_t = R9;
pub const X10: reg_t = R10;
pub const X11: reg_t = R11;
pub const X12: reg_t = R12;
pub const X13: reg_t = R13;
pub const X14: reg_t = R14;
pub const X15: reg_t = R15;
pub const X16: reg_t = LR_IRQ;
pub const X17: reg_t = SP_IRQ;
pub const X18: reg_t = LR_SVC;
pub const X19: reg_t = SP_SVC;
pub const X20: reg_t = LR_ABT;
pub const X21: reg_t = SP_ABT;
pub const X22: reg_t = LR_UND;
pub const X23: reg_t = SP_UND;
pub const X24: reg_t = R8_FIQ;
pub const X25: reg_t = R9_FIQ;
pub const X26: reg_t = R10_FIQ;
pub const X27: reg_t = R11_FIQ;
pub const X28: reg_t = R12_FIQ;
pub const X29: reg_t = SP_FIQ;
pub const X30: reg_t = LR_FIQ;
pub const PC64: reg_t = PC;
pub const SPSR_EL1: reg_t = SPSR_SVC;
pub const TCR_EL1: reg_t = TTBCR;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct mtrr_regs_t {
    pub msr_pat_cr: u64,
    pub msr_mtrr_cap: u64,
}

/// Segment access rights. C declares the low 16 bits as `uint16_t`
/// bitfields (type:4 s:1 dpl:2 p:1 avl:1 l:1 db:1 g:1 pad:4); `bits` holds
/// them with the first field in the least significant bit.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct x86_segment_flags_t {
    pub bits: u16,
    pub pad2: u16,
    pub pad3: u32,
}

impl x86_segment_flags_t {
    /// (first bit, width) of each bitfield in `bits`.
    pub const TYPE: (u32, u32) = (0, 4);
    pub const S: (u32, u32) = (4, 1);
    pub const DPL: (u32, u32) = (5, 2);
    pub const P: (u32, u32) = (7, 1);
    pub const AVL: (u32, u32) = (8, 1);
    pub const L: (u32, u32) = (9, 1);
    pub const DB: (u32, u32) = (10, 1);
    pub const G: (u32, u32) = (11, 1);
    pub const PAD: (u32, u32) = (12, 4);

    pub fn from_bits(raw: u64) -> Self {
        x86_segment_flags_t {
            bits: raw as u16,
            pad2: (raw >> 16) as u16,
            pad3: (raw >> 32) as u32,
        }
    }

    pub fn to_bits(self) -> u64 {
        u64::from(self.bits) | (u64::from(self.pad2) << 16) | (u64::from(self.pad3) << 32)
    }

    pub fn field(self, (shift, width): (u32, u32)) -> u16 {
        (self.bits >> shift) & ((1u16 << width) - 1)
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct x86_registers_t {
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rbx: u64,
    pub rsp: u64,
    pub rbp: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rflags: u64,
    pub dr6: u64,
    pub dr7: u64,
    pub rip: u64,
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub sysenter_cs: u64,
    pub sysenter_esp: u64,
    pub sysenter_eip: u64,
    pub msr_efer: u64,
    pub msr_star: u64,
    pub msr_lstar: u64,
    pub msr_pat: u64,
    pub msr_cstar: u64,
    pub fs_base: u64,
    pub fs_limit: u64,
    pub fs_sel: u64,
    /// C overlays `fs_flags` (`x86_segment_flags_t`) on this slot.
    pub fs_arbytes: u64,
    pub gs_base: u64,
    pub gs_limit: u64,
    pub gs_sel: u64,
    /// C overlays `gs_flags` (`x86_segment_flags_t`) on this slot.
    pub gs_arbytes: u64,
    pub cs_base: u64,
    pub cs_limit: u64,
    pub cs_sel: u64,
    /// C overlays `cs_flags` (`x86_segment_flags_t`) on this slot.
    pub cs_arbytes: u64,
    pub ss_base: u64,
    pub ss_limit: u64,
    pub ss_sel: u64,
    /// C overlays `ss_flags` (`x86_segment_flags_t`) on this slot.
    pub ss_arbytes: u64,
    pub ds_base: u64,
    pub ds_limit: u64,
    pub ds_sel: u64,
    /// C overlays `ds_flags` (`x86_segment_flags_t`) on this slot.
    pub ds_arbytes: u64,
    pub es_base: u64,
    pub es_limit: u64,
    pub es_sel: u64,
    /// C overlays `es_flags` (`x86_segment_flags_t`) on this slot.
    pub es_arbytes: u64,
    pub tr_base: u64,
    pub tr_limit: u64,
    pub tr_sel: u64,
    /// C overlays `tr_flags` (`x86_segment_flags_t`) on this slot.
    pub tr_arbytes: u64,
    pub ldt_base: u64,
    pub ldt_limit: u64,
    pub ldt_sel: u64,
    /// C overlays `ldt_flags` (`x86_segment_flags_t`) on this slot.
    pub ldt_arbytes: u64,
    pub shadow_gs: u64,
    pub idtr_base: u64,
    pub idtr_limit: u64,
    pub gdtr_base: u64,
    pub gdtr_limit: u64,
    pub npt_base: u64,
    pub vmtrace_pos: u64,
}

impl x86_registers_t {
    pub fn fs_flags(&self) -> x86_segment_flags_t {
        x86_segment_flags_t::from_bits(self.fs_arbytes)
    }
    pub fn gs_flags(&self) -> x86_segment_flags_t {
        x86_segment_flags_t::from_bits(self.gs_arbytes)
    }
    pub fn cs_flags(&self) -> x86_segment_flags_t {
        x86_segment_flags_t::from_bits(self.cs_arbytes)
    }
    pub fn ss_flags(&self) -> x86_segment_flags_t {
        x86_segment_flags_t::from_bits(self.ss_arbytes)
    }
    pub fn ds_flags(&self) -> x86_segment_flags_t {
        x86_segment_flags_t::from_bits(self.ds_arbytes)
    }
    pub fn es_flags(&self) -> x86_segment_flags_t {
        x86_segment_flags_t::from_bits(self.es_arbytes)
    }
    pub fn tr_flags(&self) -> x86_segment_flags_t {
        x86_segment_flags_t::from_bits(self.tr_arbytes)
    }
    pub fn ldt_flags(&self) -> x86_segment_flags_t {
        x86_segment_flags_t::from_bits(self.ldt_arbytes)
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct arm_registers_t {
    pub ttbr0: u64,
    pub ttbr1: u64,
    pub ttbcr: u64,
    pub pc: u64,
    pub cpsr: u32,
    pub _pad: u32,
}

/// C: `struct registers { union { x86; arm; }; }`. A struct whose only
/// member is a union has that union's layout, so the union stands in for it.
#[repr(C)]
#[derive(Clone, Copy)]
pub union registers_t {
    pub x86: x86_registers_t,
    pub arm: arm_registers_t,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct xsave_area_t {
    pub fpu_sse: [c_char; 512],
    pub xstate_bv: u64,
    pub xcomp_bv: u64,
}
