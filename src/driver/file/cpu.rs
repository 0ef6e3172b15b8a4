//! vCPU registers recorded in ELF core notes.
//!
//! * `NT_PRSTATUS` (one per vCPU, in vCPU order) holds the Linux
//!   `elf_prstatus`, whose `pr_reg` is the `user_regs_struct` of the dumped
//!   architecture. Its layout is told apart by the descriptor size.
//! * QEMU adds one note named `"QEMU"` per x86 vCPU, in the same order,
//!   holding its `QEMUCPUState`: all GPRs, segments with bases, descriptor
//!   tables (GDTR, IDTR) and `cr[0..5]`, plus `kernel_gs_base` when `size`
//!   says so.
//!
//! Nothing else (EFER, MSRs, AArch64 system registers) is recorded.

use super::elf::{Note, Reader, EM_386, EM_AARCH64, EM_X86_64};
use crate::driver::{Reg, Registers};
use crate::error::{Error, Result};

const NT_PRSTATUS: u32 = 1;

/// `elf_prstatus` sizes and the offset of `pr_reg` within them.
const PRSTATUS_X86_64_SIZE: usize = 336;
const PRSTATUS_I386_SIZE: usize = 144;
const PRSTATUS_AARCH64_SIZE: usize = 392;
const PR_REG_64: u64 = 112;
const PR_REG_32: u64 = 72;

/// `QEMUCPUState` (version 1): offsets of the fields we use.
const QEMU_NOTE_NAME: &[u8] = b"QEMU";
const QEMU_STATE_VERSION: u32 = 1;
const QS_GPR: u64 = 8; // rax rbx rcx rdx rsi rdi rsp rbp r8..r15
const QS_RIP: u64 = 136;
const QS_RFLAGS: u64 = 144;
const QS_SEGS: u64 = 152; // cs ds es fs gs ss ldt tr gdt idt, 24 bytes each
const QS_SEG_SIZE: u64 = 24;
const QS_SEG_LIMIT: u64 = 4;
const QS_SEG_FLAGS: u64 = 8;
const QS_SEG_BASE: u64 = 16;
const QS_CR: u64 = 392; // cr0..cr4
const QS_KERNEL_GS_BASE: u64 = 432;
const QS_MIN_SIZE: u64 = 432;

/// Segment order inside `QEMUCPUState`.
const SEG_CS: u64 = 0;
const SEG_FS: u64 = 3;
const SEG_GS: u64 = 4;
const SEG_GDT: u64 = 8;
const SEG_IDT: u64 = 9;

/// CS descriptor "L" flag as QEMU stores segment flags: 64-bit code.
const DESC_L: u32 = 1 << 21;
const CR0_PG: u64 = 1 << 31;
const CR4_PAE: u64 = 1 << 5;
const EFER_LME: u64 = 1 << 8;
const EFER_LMA: u64 = 1 << 10;

/// Maps `Reg::Gpr` encoding order (rax rcx rdx rbx rsp rbp rsi rdi) to the
/// `QEMUCPUState` order (rax rbx rcx rdx rsi rdi rsp rbp); r8..r15 match.
const QS_GPR_INDEX: [u64; 16] = [0, 2, 3, 1, 6, 7, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15];
/// Same, into x86_64 `user_regs_struct` (r15 r14 r13 r12 rbp rbx r11 r10
/// r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss fs_base gs_base).
const UR64_GPR_INDEX: [u64; 16] = [10, 11, 12, 5, 19, 4, 13, 14, 9, 8, 7, 6, 3, 2, 1, 0];
const UR64_RIP: u64 = 16;
const UR64_RFLAGS: u64 = 18;
const UR64_FS_BASE: u64 = 21;
const UR64_GS_BASE: u64 = 22;
/// i386 `user_regs_struct` (ebx ecx edx esi edi ebp eax ds es fs gs
/// orig_eax eip cs eflags esp ss) for eax ecx edx ebx esp ebp esi edi.
const UR32_GPR_INDEX: [u64; 8] = [6, 1, 2, 0, 15, 5, 3, 4];
const UR32_EIP: u64 = 12;
const UR32_EFLAGS: u64 = 14;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct X86Cpu {
    /// Encoding order; r8..r15 are zero for a 32-bit prstatus.
    gpr: [u64; 16],
    rip: u64,
    rflags: u64,
    fs_base: Option<u64>,
    gs_base: Option<u64>,
    /// From the QEMU note only.
    cr: Option<[u64; 5]>,
    kernel_gs_base: Option<u64>,
    /// Descriptor tables as (base, limit), from the QEMU note only.
    gdtr: Option<(u64, u64)>,
    idtr: Option<(u64, u64)>,
    /// Best knowledge of IA-32e mode (see `efer`).
    long_mode: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Arm64Cpu {
    x: [u64; 31],
    sp: u64,
    pc: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cpu {
    X86(X86Cpu),
    Arm64(Arm64Cpu),
}

/// Registers of every vCPU of a core dump; read-only.
#[derive(Debug)]
pub(crate) struct CoreRegisters {
    cpus: Vec<Cpu>,
}

/// Decodes the register notes. Returns `None` when the dump has no usable
/// `NT_PRSTATUS` notes (foreign architecture, damaged notes).
pub(crate) fn decode(machine: u16, big: bool, notes: &[Note<'_>]) -> Option<CoreRegisters> {
    let prstatus = notes
        .iter()
        .filter(|n| n.ntype == NT_PRSTATUS && n.name == b"CORE");
    let mut cpus = Vec::new();
    for n in prstatus {
        let r = Reader { data: n.desc, big };
        let cpu = match machine {
            EM_X86_64 | EM_386 => x86_from_prstatus(&r).map(Cpu::X86),
            EM_AARCH64 => arm64_from_prstatus(&r).map(Cpu::Arm64),
            _ => None,
        };
        // One undecodable note would shift the vCPU numbering: give up.
        cpus.push(cpu?);
    }
    if cpus.is_empty() {
        return None;
    }
    if matches!(machine, EM_X86_64 | EM_386) {
        let qemu = notes.iter().filter(|n| n.name == QEMU_NOTE_NAME);
        for (cpu, n) in cpus.iter_mut().zip(qemu) {
            if let Cpu::X86(c) = cpu {
                apply_qemu_state(
                    c,
                    &Reader {
                        data: n.desc,
                        big: false,
                    },
                );
            }
        }
    }
    Some(CoreRegisters { cpus })
}

fn x86_from_prstatus(r: &Reader<'_>) -> Option<X86Cpu> {
    let mut c = X86Cpu::default();
    match r.data.len() {
        PRSTATUS_X86_64_SIZE => {
            let ur = |i: u64| r.u64(PR_REG_64 + i * 8).ok();
            for (g, &i) in c.gpr.iter_mut().zip(UR64_GPR_INDEX.iter()) {
                *g = ur(i)?;
            }
            c.rip = ur(UR64_RIP)?;
            c.rflags = ur(UR64_RFLAGS)?;
            c.fs_base = ur(UR64_FS_BASE);
            c.gs_base = ur(UR64_GS_BASE);
            // QEMU writes this layout only for a guest in IA-32e mode.
            c.long_mode = true;
        }
        PRSTATUS_I386_SIZE => {
            let ur = |i: u64| r.u32(PR_REG_32 + i * 4).ok().map(u64::from);
            for (g, &i) in c.gpr.iter_mut().zip(UR32_GPR_INDEX.iter()) {
                *g = ur(i)?;
            }
            c.rip = ur(UR32_EIP)?;
            c.rflags = ur(UR32_EFLAGS)?;
        }
        _ => return None,
    }
    Some(c)
}

/// Overlays the QEMU note, which is more complete than prstatus. Notes
/// with an unknown version or a short body are ignored.
fn apply_qemu_state(c: &mut X86Cpu, r: &Reader<'_>) {
    let len = r.data.len() as u64;
    let (Ok(version), Ok(size)) = (r.u32(0), r.u32(4)) else {
        return;
    };
    let size = u64::from(size).min(len);
    if version != QEMU_STATE_VERSION || size < QS_MIN_SIZE {
        return;
    }
    let q = |off: u64| r.u64(off).unwrap_or(0);
    let seg = |idx: u64, field: u64| QS_SEGS + idx * QS_SEG_SIZE + field;
    for (g, &i) in c.gpr.iter_mut().zip(QS_GPR_INDEX.iter()) {
        *g = q(QS_GPR + i * 8);
    }
    c.rip = q(QS_RIP);
    c.rflags = q(QS_RFLAGS);
    c.fs_base = Some(q(seg(SEG_FS, QS_SEG_BASE)));
    c.gs_base = Some(q(seg(SEG_GS, QS_SEG_BASE)));
    let table = |idx: u64| {
        let limit = r.u32(seg(idx, QS_SEG_LIMIT)).map_or(0, u64::from);
        (q(seg(idx, QS_SEG_BASE)), limit)
    };
    c.gdtr = Some(table(SEG_GDT));
    c.idtr = Some(table(SEG_IDT));
    let mut cr = [0u64; 5];
    for (i, v) in cr.iter_mut().enumerate() {
        *v = q(QS_CR + i as u64 * 8);
    }
    c.cr = Some(cr);
    if size >= QS_KERNEL_GS_BASE + 8 {
        c.kernel_gs_base = Some(q(QS_KERNEL_GS_BASE));
    }
    let cs_flags = r.u32(seg(SEG_CS, QS_SEG_FLAGS)).unwrap_or(0);
    let paging = cr[0] & CR0_PG != 0 && cr[4] & CR4_PAE != 0;
    c.long_mode = paging && (c.long_mode || cs_flags & DESC_L != 0);
}

fn arm64_from_prstatus(r: &Reader<'_>) -> Option<Arm64Cpu> {
    if r.data.len() != PRSTATUS_AARCH64_SIZE {
        return None;
    }
    let ur = |i: u64| r.u64(PR_REG_64 + i * 8).ok();
    let mut x = [0u64; 31];
    for (i, v) in x.iter_mut().enumerate() {
        *v = ur(i as u64)?;
    }
    Some(Arm64Cpu {
        x,
        sp: ur(31)?,
        pc: ur(32)?,
    })
}

fn missing() -> Error {
    Error::NotFound("register not recorded in this core dump")
}

impl X86Cpu {
    fn get(&self, reg: Reg) -> Result<u64> {
        let cr = |i: usize| self.cr.map(|c| c[i]).ok_or_else(missing);
        match reg {
            Reg::Gpr(i) => self.gpr.get(usize::from(i)).copied().ok_or_else(missing),
            Reg::Rip | Reg::Pc => Ok(self.rip),
            Reg::Sp => Ok(self.gpr[4]),
            Reg::Rflags => Ok(self.rflags),
            Reg::Cr0 => cr(0),
            Reg::Cr2 => cr(2),
            Reg::Cr3 => cr(3),
            Reg::Cr4 => cr(4),
            // EFER is not in the dump. Only LME/LMA can be inferred (from
            // CR0.PG, CR4.PAE and the 64-bit prstatus / CS.L); every other
            // bit reads as 0.
            Reg::Efer => {
                self.cr.ok_or_else(missing)?;
                Ok(if self.long_mode {
                    EFER_LME | EFER_LMA
                } else {
                    0
                })
            }
            Reg::FsBase => self.fs_base.ok_or_else(missing),
            Reg::GsBase => self.gs_base.ok_or_else(missing),
            Reg::KernelGsBase => self.kernel_gs_base.ok_or_else(missing),
            Reg::IdtrBase => self.idtr.map(|t| t.0).ok_or_else(missing),
            Reg::IdtrLimit => self.idtr.map(|t| t.1).ok_or_else(missing),
            Reg::GdtrBase => self.gdtr.map(|t| t.0).ok_or_else(missing),
            Reg::GdtrLimit => self.gdtr.map(|t| t.1).ok_or_else(missing),
            _ => Err(missing()),
        }
    }
}

impl Arm64Cpu {
    fn get(&self, reg: Reg) -> Result<u64> {
        match reg {
            Reg::X(i) => self.x.get(usize::from(i)).copied().ok_or_else(missing),
            Reg::Pc => Ok(self.pc),
            Reg::Sp => Ok(self.sp),
            _ => Err(missing()),
        }
    }
}

impl Registers for CoreRegisters {
    fn num_vcpus(&self) -> u32 {
        // Bounded by the note cap, far below u32::MAX.
        self.cpus.len() as u32
    }

    fn get_reg(&self, reg: Reg, vcpu: u32) -> Result<u64> {
        let cpu = usize::try_from(vcpu)
            .ok()
            .and_then(|i| self.cpus.get(i))
            .ok_or(Error::InvalidArgument("no such vCPU in this core dump"))?;
        match cpu {
            Cpu::X86(c) => c.get(reg),
            Cpu::Arm64(c) => c.get(reg),
        }
    }
}
