//! vCPU registers, VM control (pause, resume, page faults, frames, state).
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.
//!
//! Register ids are upstream's `reg_t` numbers. x86 and Arm share some
//! numbers (`R8` = `X8`), so which table applies depends on the guest: Arm
//! when the paging mode is an Arm one or the backend answers for `X0`.

// Parameters are named for the generated header.
#![allow(unused_variables)]

use core::ffi::c_ulong;

use super::guard::{ffi_status, instance_ref, out_ref, write_out};
use super::instance::vmi_instance;
use super::types::*;
use crate::addr::PageMode;
use crate::driver::Reg;
use crate::{Error, Result};

const NOT_LIVE: &str = "needs a live hypervisor backend (KVM/Xen); this instance has none";

/// Whether vCPU `vcpu` of the guest is an Arm one.
fn is_arm(inst: &vmi_instance, vcpu: u32) -> bool {
    matches!(inst.core.page_mode(), PageMode::Aarch32 | PageMode::Aarch64)
        || inst.core.get_reg(Reg::X(0), vcpu).is_ok()
}

/// Upstream's x86 register id as a core register.
pub(crate) fn x86_reg(reg: reg_t) -> Option<Reg> {
    // Core GPR numbering is the instruction encoding (rax rcx rdx rbx rsp
    // rbp rsi rdi r8..r15); upstream numbers rax rbx rcx rdx rbp rsi rdi rsp.
    Some(match reg {
        RAX => Reg::Gpr(0),
        RBX => Reg::Gpr(3),
        RCX => Reg::Gpr(1),
        RDX => Reg::Gpr(2),
        RBP => Reg::Gpr(5),
        RSI => Reg::Gpr(6),
        RDI => Reg::Gpr(7),
        RSP => Reg::Gpr(4),
        R8..=R15 => Reg::Gpr((reg - R8) as u8 + 8),
        RIP => Reg::Rip,
        RFLAGS => Reg::Rflags,
        CR0 => Reg::Cr0,
        CR2 => Reg::Cr2,
        CR3 => Reg::Cr3,
        CR4 => Reg::Cr4,
        MSR_EFER => Reg::Efer,
        MSR_LSTAR => Reg::Lstar,
        SYSENTER_EIP | MSR_IA32_SYSENTER_EIP => Reg::SysenterEip,
        FS_BASE => Reg::FsBase,
        GS_BASE => Reg::GsBase,
        SHADOW_GS | MSR_SHADOW_GS_BASE => Reg::KernelGsBase,
        IDTR_BASE => Reg::IdtrBase,
        IDTR_LIMIT => Reg::IdtrLimit,
        GDTR_BASE => Reg::GdtrBase,
        GDTR_LIMIT => Reg::GdtrLimit,
        _ => return None,
    })
}

/// Upstream's Arm register id as a core register.
pub(crate) fn arm_reg(reg: reg_t) -> Option<Reg> {
    Some(match reg {
        TTBR0 => Reg::Ttbr0,
        TTBR1 => Reg::Ttbr1,
        TCR_EL1 => Reg::Tcr,
        SCTLR => Reg::Sctlr,
        PC => Reg::Pc,
        // The stack pointer the dump recorded is the one in use (SP_EL1 for
        // a kernel-mode stop); upstream's ids name the banked copies.
        SP_EL1 => Reg::Sp,
        X0..=X7 => Reg::X((reg - X0) as u8),
        X8..=X15 => Reg::X((reg - X8) as u8 + 8),
        X16..=X30 => Reg::X((reg - X16) as u8 + 16),
        _ => return None,
    })
}

fn vcpu_index(vcpu: c_ulong) -> Result<u32> {
    u32::try_from(vcpu).map_err(|_| Error::InvalidArgument("vCPU number out of range"))
}

/// The core register for upstream id `reg` on this guest.
fn core_reg(inst: &vmi_instance, reg: reg_t, vcpu: u32) -> Result<Reg> {
    let r = if is_arm(inst, vcpu) {
        arm_reg(reg)
    } else {
        x86_reg(reg)
    };
    r.ok_or(Error::Unsupported(
        "register not available from this backend (only GPRs, RIP/PC, RFLAGS, CR0-4, EFER, LSTAR, \
         SYSENTER_EIP, FS/GS bases, IDTR/GDTR, TTBRs, TCR, SCTLR)",
    ))
}

/// Fills the x86 register file with every register the backend knows;
/// the rest stay 0. Fails if not even the instruction pointer is known.
fn x86_registers(inst: &vmi_instance, vcpu: u32) -> Result<x86_registers_t> {
    let get = |r: Reg| inst.core.get_reg(r, vcpu).unwrap_or(0);
    let mut x = x86_registers_t {
        rip: inst.core.get_reg(Reg::Rip, vcpu)?,
        ..Default::default()
    };
    let gprs = [
        &mut x.rax, &mut x.rcx, &mut x.rdx, &mut x.rbx, &mut x.rsp, &mut x.rbp, &mut x.rsi,
        &mut x.rdi, &mut x.r8, &mut x.r9, &mut x.r10, &mut x.r11, &mut x.r12, &mut x.r13,
        &mut x.r14, &mut x.r15,
    ];
    for (i, slot) in gprs.into_iter().enumerate() {
        *slot = get(Reg::Gpr(i as u8));
    }
    x.rflags = get(Reg::Rflags);
    x.cr0 = get(Reg::Cr0);
    x.cr2 = get(Reg::Cr2);
    x.cr3 = get(Reg::Cr3);
    x.cr4 = get(Reg::Cr4);
    x.msr_efer = get(Reg::Efer);
    x.msr_lstar = get(Reg::Lstar);
    x.sysenter_eip = get(Reg::SysenterEip);
    x.fs_base = get(Reg::FsBase);
    x.gs_base = get(Reg::GsBase);
    x.shadow_gs = get(Reg::KernelGsBase);
    x.idtr_base = get(Reg::IdtrBase);
    x.idtr_limit = get(Reg::IdtrLimit);
    x.gdtr_base = get(Reg::GdtrBase);
    x.gdtr_limit = get(Reg::GdtrLimit);
    Ok(x)
}

fn arm_registers(inst: &vmi_instance, vcpu: u32) -> Result<arm_registers_t> {
    let get = |r: Reg| inst.core.get_reg(r, vcpu).unwrap_or(0);
    Ok(arm_registers_t {
        pc: inst.core.get_reg(Reg::Pc, vcpu)?,
        ttbr0: get(Reg::Ttbr0),
        ttbr1: get(Reg::Ttbr1),
        ttbcr: get(Reg::Tcr),
        cpsr: 0,
        _pad: 0,
    })
}

/// Reads the XSAVE area of vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_xsave_info(
    vmi: vmi_instance_t,
    vcpu: c_ulong,
    xsave_info: *mut xsave_area_t,
) -> status_t {
    ffi_status("vmi_get_xsave_info", || {
        unsafe { instance_ref(vmi) }?;
        unsafe { out_ref(xsave_info, "xsave_info is NULL") }?;
        Err(Error::Unsupported(
            "XSAVE state needs a live Xen backend; snapshots do not record it",
        ))
    })
}

/// Returns the lowest guest frame number above guest RAM that is free to allocate.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_next_available_gfn(vmi: vmi_instance_t) -> addr_t {
    super::guard::ffi_or("vmi_get_next_available_gfn", 0, || {
        unsafe { instance_ref(vmi) }?;
        Err(Error::Unsupported(NOT_LIVE))
    })
}

/// Asks the hypervisor to inject a page fault for `virtual_address` on vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_request_page_fault(
    vmi: vmi_instance_t,
    vcpu: c_ulong,
    virtual_address: u64,
    error_code: u32,
) -> status_t {
    ffi_status("vmi_request_page_fault", || {
        unsafe { instance_ref(vmi) }?;
        Err(Error::Unsupported(NOT_LIVE))
    })
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
    ffi_status("vmi_get_tsc_info", || {
        unsafe { instance_ref(vmi) }?;
        Err(Error::Unsupported(NOT_LIVE))
    })
}

/// Reads the MTRR registers of vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_vcpumtrr(
    vmi: vmi_instance_t,
    hw_mtrr: *mut mtrr_regs_t,
    vcpu: c_ulong,
) -> status_t {
    ffi_status("vmi_get_vcpumtrr", || {
        unsafe { instance_ref(vmi) }?;
        unsafe { out_ref(hw_mtrr, "hw_mtrr is NULL") }?;
        Err(Error::Unsupported(
            "MTRRs need a live Xen backend; snapshots do not record them",
        ))
    })
}

/// Reads register `reg` of vCPU `vcpu` into `*value`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_vcpureg(
    vmi: vmi_instance_t,
    value: *mut u64,
    reg: reg_t,
    vcpu: c_ulong,
) -> status_t {
    ffi_status("vmi_get_vcpureg", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let out = unsafe { out_ref(value, "value is NULL") }?;
        let vcpu = vcpu_index(vcpu)?;
        let r = core_reg(inst, reg, vcpu)?;
        *out = inst.core.get_reg(r, vcpu)?;
        Ok(())
    })
}

/// Reads the whole register file of vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_vcpuregs(
    vmi: vmi_instance_t,
    regs: *mut registers_t,
    vcpu: c_ulong,
) -> status_t {
    ffi_status("vmi_get_vcpuregs", || {
        let inst = unsafe { instance_ref(vmi) }?;
        if regs.is_null() {
            return Err(Error::InvalidArgument("regs is NULL"));
        }
        let vcpu = vcpu_index(vcpu)?;
        let file = if is_arm(inst, vcpu) {
            // Zero the whole union first: arm_registers_t is its smaller member.
            let mut r = registers_t {
                x86: x86_registers_t::default(),
            };
            r.arm = arm_registers(inst, vcpu)?;
            r
        } else {
            registers_t {
                x86: x86_registers(inst, vcpu)?,
            }
        };
        unsafe { write_out(regs, file, "regs is NULL") }
    })
}

/// Sets register `reg` of vCPU `vcpu` to `value`; the VM should be paused.
#[no_mangle]
pub unsafe extern "C" fn vmi_set_vcpureg(
    vmi: vmi_instance_t,
    value: u64,
    reg: reg_t,
    vcpu: c_ulong,
) -> status_t {
    ffi_status("vmi_set_vcpureg", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let vcpu = vcpu_index(vcpu)?;
        let r = core_reg(inst, reg, vcpu)?;
        inst.core
            .driver()
            .as_registers()
            .ok_or(Error::Unsupported("backend has no vCPU registers"))?
            .set_reg(r, vcpu, value)
    })
}

/// Sets the whole register file of vCPU `vcpu`; the VM should be paused.
#[no_mangle]
pub unsafe extern "C" fn vmi_set_vcpuregs(
    vmi: vmi_instance_t,
    regs: *mut registers_t,
    vcpu: c_ulong,
) -> status_t {
    ffi_status("vmi_set_vcpuregs", || {
        unsafe { instance_ref(vmi) }?;
        if regs.is_null() {
            return Err(Error::InvalidArgument("regs is NULL"));
        }
        Err(Error::Unsupported(
            "setting a whole register file needs a live hypervisor backend; this instance has none",
        ))
    })
}

/// Backs guest frame `gfn` with new memory.
#[no_mangle]
pub unsafe extern "C" fn vmi_alloc_gfn(vmi: vmi_instance_t, gfn: u64) -> status_t {
    ffi_status("vmi_alloc_gfn", || {
        unsafe { instance_ref(vmi) }?;
        Err(Error::Unsupported(NOT_LIVE))
    })
}

/// Releases the memory backing guest frame `gfn`.
#[no_mangle]
pub unsafe extern "C" fn vmi_free_gfn(vmi: vmi_instance_t, gfn: u64) -> status_t {
    ffi_status("vmi_free_gfn", || {
        unsafe { instance_ref(vmi) }?;
        Err(Error::Unsupported(NOT_LIVE))
    })
}

/// Pauses the VM. Pauses nest; each needs a vmi_resume_vm().
#[no_mangle]
pub unsafe extern "C" fn vmi_pause_vm(vmi: vmi_instance_t) -> status_t {
    ffi_status("vmi_pause_vm", || {
        unsafe { instance_ref(vmi) }?.core.pause()
    })
}

/// Undoes one vmi_pause_vm().
#[no_mangle]
pub unsafe extern "C" fn vmi_resume_vm(vmi: vmi_instance_t) -> status_t {
    ffi_status("vmi_resume_vm", || {
        unsafe { instance_ref(vmi) }?.core.resume()
    })
}

// Upstream declares this one without NOEXCEPT.
/// Reads the run state of the domain.
/// cbindgen:postfix=
#[no_mangle]
pub unsafe extern "C" fn vmi_get_domain_status(
    vmi: vmi_instance_t,
    domain_status: *mut domain_status_t,
) -> status_t {
    ffi_status("vmi_get_domain_status", || {
        unsafe { instance_ref(vmi) }?;
        unsafe { out_ref(domain_status, "domain_status is NULL") }?;
        Err(Error::Unsupported(
            "domain status needs a live hypervisor backend; this instance has none",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_ids_map_to_encoding_order() {
        let order = [RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI];
        for (i, id) in order.into_iter().enumerate() {
            assert_eq!(x86_reg(id), Some(Reg::Gpr(i as u8)));
        }
        for (i, id) in (R8..=R15).enumerate() {
            assert_eq!(x86_reg(id), Some(Reg::Gpr(8 + i as u8)));
        }
        assert_eq!(x86_reg(EIP), Some(Reg::Rip));
        assert_eq!(x86_reg(CR3), Some(Reg::Cr3));
        assert_eq!(x86_reg(MSR_LSTAR), Some(Reg::Lstar));
        assert_eq!(x86_reg(MSR_SHADOW_GS_BASE), Some(Reg::KernelGsBase));
        assert_eq!(x86_reg(IDTR_BASE), Some(Reg::IdtrBase));
        assert_eq!(x86_reg(GDTR_LIMIT), Some(Reg::GdtrLimit));
        assert_eq!(x86_reg(DR7), None);
        assert_eq!(x86_reg(TTBR1), None);
    }

    #[test]
    fn arm_ids_cover_x0_to_x30() {
        let xs = [
            X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15, X16, X17, X18,
            X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30,
        ];
        for (i, id) in xs.into_iter().enumerate() {
            assert_eq!(arm_reg(id), Some(Reg::X(i as u8)), "X{i}");
        }
        assert_eq!(arm_reg(PC), Some(Reg::Pc));
        assert_eq!(arm_reg(TTBR0), Some(Reg::Ttbr0));
        assert_eq!(arm_reg(TTBR1), Some(Reg::Ttbr1));
        assert_eq!(arm_reg(TCR_EL1), Some(Reg::Tcr));
        assert_eq!(arm_reg(CR3), None);
    }

    #[test]
    fn null_instance_fails() {
        let mut v = 0u64;
        unsafe {
            assert_eq!(
                vmi_get_vcpureg(core::ptr::null_mut(), &mut v, RIP, 0),
                VMI_FAILURE
            );
            assert_eq!(vmi_pause_vm(core::ptr::null_mut()), VMI_FAILURE);
            assert_eq!(vmi_resume_vm(core::ptr::null_mut()), VMI_FAILURE);
            assert_eq!(vmi_get_next_available_gfn(core::ptr::null_mut()), 0);
        }
    }
}
