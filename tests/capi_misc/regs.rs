//! vCPU registers (synthetic backends and real QEMU ELF cores), VM control.

use std::collections::HashMap;
use std::path::PathBuf;
use std::ptr;
use std::sync::{Arc, RwLock};

use vmi::capi::types::*;
use vmi::driver::Reg;
use vmi::instance::Vmi;

use crate::common::*;

fn x86_value(reg: Reg, vcpu: u32) -> Option<u64> {
    let v = u64::from(vcpu) << 32;
    Some(
        v | match reg {
            Reg::Gpr(i) => 0x1000 + u64::from(i),
            Reg::Rip => 0x2000,
            Reg::Rflags => 0x246,
            Reg::Cr0 => 0x8005_0033,
            Reg::Cr3 => 0x0106_2000,
            Reg::Cr4 => 0x6f0,
            Reg::Efer => 0x500,
            Reg::GsBase => 0x3000,
            Reg::KernelGsBase => 0x4000,
            _ => return None,
        },
    )
}

fn arm_value(reg: Reg, _vcpu: u32) -> Option<u64> {
    Some(match reg {
        Reg::X(i) => 0xa000 + u64::from(i),
        Reg::Pc => 0xb000,
        Reg::Sp => 0xc000,
        Reg::Ttbr1 => 0xd000,
        _ => return None,
    })
}

fn with_regs(vcpus: u32, get: fn(Reg, u32) -> Option<u64>) -> Handle {
    let mut d = MemDriver::new(Arc::new(RwLock::new(vec![0u8; 0x1000])));
    d.regs = Some(FakeRegs { vcpus, get });
    Handle::new(Vmi::new(Box::new(d), "regs", 0), 0)
}

unsafe fn reg(h: &Handle, id: reg_t, vcpu: u64) -> Option<u64> {
    let mut v = 0;
    (unsafe { vmi_get_vcpureg(h.0, &mut v, id, vcpu) } == VMI_SUCCESS).then_some(v)
}

#[test]
fn x86_register_ids_reach_the_right_core_registers() {
    let h = with_regs(2, x86_value);
    let upstream_order = [
        (RAX, 0),
        (RCX, 1),
        (RDX, 2),
        (RBX, 3),
        (RSP, 4),
        (RBP, 5),
        (RSI, 6),
        (RDI, 7),
        (R8, 8),
        (R15, 15),
    ];
    unsafe {
        for vcpu in 0..2u64 {
            for (id, enc) in upstream_order {
                assert_eq!(
                    reg(&h, id, vcpu),
                    Some((vcpu << 32) | (0x1000 + enc)),
                    "reg {id}"
                );
            }
            assert_eq!(reg(&h, RIP, vcpu), Some((vcpu << 32) | 0x2000));
            assert_eq!(reg(&h, CR3, vcpu), Some((vcpu << 32) | 0x0106_2000));
            assert_eq!(reg(&h, SHADOW_GS, vcpu), Some((vcpu << 32) | 0x4000));
        }
        // Known id the backend lacks, id with no core register, no such vCPU.
        assert_eq!(reg(&h, CR2, 0), None);
        assert_eq!(reg(&h, DR7, 0), None);
        assert_eq!(reg(&h, RIP, 2), None);
        assert_eq!(reg(&h, RIP, u64::MAX), None);
        assert_eq!(vmi_get_vcpureg(h.0, ptr::null_mut(), RIP, 0), VMI_FAILURE);

        let mut regs: registers_t = std::mem::zeroed();
        assert_eq!(vmi_get_vcpuregs(h.0, &mut regs, 1), VMI_SUCCESS);
        let x = regs.x86;
        let hi = 1u64 << 32;
        assert_eq!(
            (x.rax, x.rcx, x.rdx, x.rbx),
            (hi | 0x1000, hi | 0x1001, hi | 0x1002, hi | 0x1003)
        );
        assert_eq!(
            (x.rsp, x.rbp, x.rsi, x.rdi),
            (hi | 0x1004, hi | 0x1005, hi | 0x1006, hi | 0x1007)
        );
        assert_eq!((x.r8, x.r15), (hi | 0x1008, hi | 0x100f));
        assert_eq!((x.rip, x.rflags), (hi | 0x2000, hi | 0x246));
        assert_eq!(
            (x.cr0, x.cr2, x.cr3, x.cr4),
            (hi | 0x8005_0033, 0, hi | 0x0106_2000, hi | 0x6f0)
        );
        assert_eq!(
            (x.msr_efer, x.gs_base, x.shadow_gs),
            (hi | 0x500, hi | 0x3000, hi | 0x4000)
        );
        assert_eq!(vmi_get_vcpuregs(h.0, &mut regs, 2), VMI_FAILURE);
        assert_eq!(vmi_get_vcpuregs(h.0, ptr::null_mut(), 0), VMI_FAILURE);

        // Nothing can set registers yet.
        assert_eq!(vmi_set_vcpureg(h.0, 1, RAX, 0), VMI_FAILURE);
        assert_eq!(reg(&h, RAX, 0), Some(0x1000));
        assert_eq!(vmi_set_vcpuregs(h.0, &mut regs, 0), VMI_FAILURE);
    }
}

#[test]
fn arm_register_ids_use_the_arm_table() {
    let h = with_regs(1, arm_value);
    unsafe {
        // X8 shares its number with x86 R8; on Arm it is x8.
        assert_eq!(X8, R8);
        assert_eq!(reg(&h, X8, 0), Some(0xa008));
        assert_eq!(reg(&h, X0, 0), Some(0xa000));
        assert_eq!(reg(&h, X16, 0), Some(0xa010));
        assert_eq!(reg(&h, X30, 0), Some(0xa01e));
        assert_eq!(reg(&h, PC, 0), Some(0xb000));
        assert_eq!(reg(&h, SP_EL1, 0), Some(0xc000));
        assert_eq!(reg(&h, TTBR1, 0), Some(0xd000));
        assert_eq!(reg(&h, TTBR0, 0), None);
        assert_eq!(reg(&h, CR3, 0), None);

        let mut regs: registers_t = std::mem::zeroed();
        assert_eq!(vmi_get_vcpuregs(h.0, &mut regs, 0), VMI_SUCCESS);
        let a = regs.arm;
        assert_eq!((a.pc, a.ttbr0, a.ttbr1, a.ttbcr), (0xb000, 0, 0xd000, 0));
    }
}

#[test]
fn no_register_backend() {
    let h = Handle::mem(&Arc::new(RwLock::new(vec![0u8; 0x1000])));
    let mut regs: registers_t = unsafe { std::mem::zeroed() };
    unsafe {
        assert_eq!(reg(&h, RIP, 0), None);
        assert_eq!(vmi_get_vcpuregs(h.0, &mut regs, 0), VMI_FAILURE);
        assert_eq!(vmi_set_vcpureg(h.0, 0, RIP, 0), VMI_FAILURE);
    }
}

#[test]
fn vm_control_on_a_snapshot() {
    let h = Handle::mem(&Arc::new(RwLock::new(vec![0u8; 0x1000])));
    unsafe {
        // A snapshot never runs: pausing and resuming trivially succeed.
        assert_eq!(vmi_pause_vm(h.0), VMI_SUCCESS);
        assert_eq!(vmi_pause_vm(h.0), VMI_SUCCESS);
        assert_eq!(vmi_resume_vm(h.0), VMI_SUCCESS);
        assert_eq!(vmi_resume_vm(h.0), VMI_SUCCESS);
        assert_eq!(vmi_pause_vm(ptr::null_mut()), VMI_FAILURE);

        let mut st = domain_status_t::default();
        assert_eq!(vmi_get_domain_status(h.0, &mut st), VMI_FAILURE);
        assert_eq!(vmi_get_domain_status(h.0, ptr::null_mut()), VMI_FAILURE);
        assert_eq!(vmi_request_page_fault(h.0, 0, 0x1000, 2), VMI_FAILURE);
        assert_eq!(vmi_get_next_available_gfn(h.0), 0);
        assert_eq!(vmi_alloc_gfn(h.0, 0x100), VMI_FAILURE);
        assert_eq!(vmi_free_gfn(h.0, 0x100), VMI_FAILURE);
        let (mut a, mut b, mut c, mut d) = (0u32, 0u64, 0u32, 0u32);
        assert_eq!(
            vmi_get_tsc_info(h.0, &mut a, &mut b, &mut c, &mut d),
            VMI_FAILURE
        );
        let mut mtrr = mtrr_regs_t::default();
        assert_eq!(vmi_get_vcpumtrr(h.0, &mut mtrr, 0), VMI_FAILURE);
        let mut xs: xsave_area_t = std::mem::zeroed();
        assert_eq!(vmi_get_xsave_info(h.0, 0, &mut xs), VMI_FAILURE);
    }
}

// ---- real QEMU dumps --------------------------------------------------

fn guest_dir(name: &str) -> Option<PathBuf> {
    let root = std::env::var_os("VMI_GUESTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/guests"));
    let dir = root.join(name);
    if dir.join(".complete").is_file() {
        return Some(dir);
    }
    if std::env::var("VMI_REQUIRE_GUESTS").as_deref() == Ok("1") {
        panic!("guest image {} is not built", dir.display());
    }
    eprintln!(
        "skipped: guest image {} not built (tests/guests/make-guest.sh)",
        dir.display()
    );
    None
}

/// `NAME=hex` pairs of QEMU's `info registers` for CPU 0, plus
/// `<SEG>_BASE` for segment lines.
fn info_registers(dir: &std::path::Path) -> HashMap<String, u64> {
    let text = std::fs::read_to_string(dir.join("info-registers.txt")).unwrap();
    let mut out = HashMap::new();
    for line in text.lines().take_while(|l| !l.starts_with("CPU#1")) {
        let line = line.replace(" =", "=");
        let fields: Vec<&str> = line.split_whitespace().collect();
        for (i, f) in fields.iter().enumerate() {
            let Some((name, val)) = f.split_once('=') else {
                continue;
            };
            let Ok(v) = u64::from_str_radix(val, 16) else {
                continue;
            };
            out.entry(name.to_owned()).or_insert(v);
            if ["ES", "CS", "SS", "DS", "FS", "GS"].contains(&name) {
                if let Some(base) = fields
                    .get(i + 1)
                    .and_then(|b| u64::from_str_radix(b, 16).ok())
                {
                    out.insert(format!("{name}_BASE"), base);
                }
            }
        }
    }
    out
}

fn open_core(dir: &std::path::Path) -> Handle {
    let core = Vmi::open_file(&dir.join("core.elf"), false).unwrap();
    Handle::new(core, 0)
}

#[test]
fn x86_64_core_registers_match_qemu() {
    let Some(dir) = guest_dir("x86_64") else {
        return;
    };
    let want = info_registers(&dir);
    let h = open_core(&dir);
    let pairs = [
        ("RAX", RAX),
        ("RBX", RBX),
        ("RCX", RCX),
        ("RDX", RDX),
        ("RSI", RSI),
        ("RDI", RDI),
        ("RBP", RBP),
        ("RSP", RSP),
        ("R8", R8),
        ("R9", R9),
        ("R10", R10),
        ("R11", R11),
        ("R12", R12),
        ("R13", R13),
        ("R14", R14),
        ("R15", R15),
        ("RIP", RIP),
        ("RFL", RFLAGS),
        ("CR0", CR0),
        ("CR2", CR2),
        ("CR3", CR3),
        ("CR4", CR4),
        ("FS_BASE", FS_BASE),
        ("GS_BASE", GS_BASE),
    ];
    unsafe {
        for (name, id) in pairs {
            let w = *want
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing in info-registers"));
            assert_eq!(reg(&h, id, 0), Some(w), "{name}");
        }
        // The dump has no EFER; the long-mode bits are inferred.
        let efer = reg(&h, MSR_EFER, 0).unwrap();
        assert_eq!(efer & 0x500, want["EFER"] & 0x500);
        assert_eq!(reg(&h, RIP, 1), None, "single-vCPU dump");

        let mut regs: registers_t = std::mem::zeroed();
        assert_eq!(vmi_get_vcpuregs(h.0, &mut regs, 0), VMI_SUCCESS);
        let x = regs.x86;
        assert_eq!(
            (x.rax, x.rbx, x.rcx, x.rdx, x.rsp, x.rbp, x.r15),
            (
                want["RAX"],
                want["RBX"],
                want["RCX"],
                want["RDX"],
                want["RSP"],
                want["RBP"],
                want["R15"]
            )
        );
        assert_eq!(
            (x.rip, x.rflags, x.cr3, x.gs_base),
            (want["RIP"], want["RFL"], want["CR3"], want["GS_BASE"])
        );
        assert_eq!(vmi_pause_vm(h.0), VMI_SUCCESS);
        assert_eq!(vmi_resume_vm(h.0), VMI_SUCCESS);
    }
}

#[test]
fn arm64_core_registers_match_qemu() {
    let Some(dir) = guest_dir("arm64") else {
        return;
    };
    let want = info_registers(&dir);
    let h = open_core(&dir);
    let xs = [
        X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15, X16, X17, X18, X19,
        X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30,
    ];
    unsafe {
        for (i, id) in xs.into_iter().enumerate() {
            let name = format!("X{i:02}");
            assert_eq!(reg(&h, id, 0), Some(want[&name]), "{name}");
        }
        assert_eq!(reg(&h, PC, 0), Some(want["PC"]));
        assert_eq!(reg(&h, SP_EL1, 0), Some(want["SP"]));
        let mut regs: registers_t = std::mem::zeroed();
        assert_eq!(vmi_get_vcpuregs(h.0, &mut regs, 0), VMI_SUCCESS);
        assert_eq!(regs.arm.pc, want["PC"]);
    }
}
