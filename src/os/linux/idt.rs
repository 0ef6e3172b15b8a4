//! x86 interrupt descriptor tables, read for the kernel's KASLR slide: the
//! IDTR (a register, recorded even in QEMU ELF cores) points at gates that
//! hold the running addresses of the kernel's exception entry points, whose
//! link-time addresses the profile knows. Linux maps the table read-only at
//! a fixed address (the cpu_entry_area), so the IDTR base itself says
//! nothing about the slide; the gates do.

use crate::addr::{PageMode, PAGE_SIZE};
use crate::driver::PhysicalMemory;
use crate::paging::{self, PagingContext};

/// Gate layout: 16-byte gates in long mode, 8-byte ones in protected mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateSize {
    Long,
    Protected,
}

impl GateSize {
    pub fn for_mode(mode: PageMode) -> Option<GateSize> {
        match mode {
            PageMode::Ia32e | PageMode::Ia32eLa57 => Some(GateSize::Long),
            PageMode::Legacy | PageMode::Pae => Some(GateSize::Protected),
            _ => None,
        }
    }

    fn bytes(self) -> u64 {
        match self {
            GateSize::Long => 16,
            GateSize::Protected => 8,
        }
    }
}

/// A vector whose handler has a stable kernel symbol, and the method name
/// the verbose log shows when its slide is the one that fits.
pub struct KnownGate {
    pub vector: u8,
    pub symbol: &'static str,
    pub method: &'static str,
}

/// Exception vectors Linux installs at boot, in the order to try. Since
/// 5.8 the entry points are `asm_exc_*`; before, the bare names.
pub const KNOWN_GATES: &[KnownGate] = &[
    KnownGate {
        vector: 0,
        symbol: "asm_exc_divide_error",
        method: "IDT gate 0 (IDTR of vCPU 0) minus asm_exc_divide_error",
    },
    KnownGate {
        vector: 14,
        symbol: "asm_exc_page_fault",
        method: "IDT gate 14 (IDTR of vCPU 0) minus asm_exc_page_fault",
    },
    KnownGate {
        vector: 3,
        symbol: "asm_exc_int3",
        method: "IDT gate 3 (IDTR of vCPU 0) minus asm_exc_int3",
    },
    KnownGate {
        vector: 0,
        symbol: "divide_error",
        method: "IDT gate 0 (IDTR of vCPU 0) minus divide_error",
    },
    KnownGate {
        vector: 14,
        symbol: "page_fault",
        method: "IDT gate 14 (IDTR of vCPU 0) minus page_fault",
    },
];

/// Gate types that carry a handler offset: interrupt and trap gates (the
/// system-segment bit clear). Task gates and anything else do not.
const INTERRUPT_GATE: u16 = 0xe;
const TRAP_GATE: u16 = 0xf;
const GATE_PRESENT: u16 = 1 << 15;

/// The handler address in a gate, or `None` for a gate that is not a
/// present interrupt or trap gate.
pub fn decode_gate(gate: &[u8], size: GateSize) -> Option<u64> {
    let u16_at = |i: usize| Some(u16::from_le_bytes(gate.get(i..i + 2)?.try_into().ok()?));
    let attrs = u16_at(4)?;
    let kind = (attrs >> 8) & 0x1f;
    if attrs & GATE_PRESENT == 0 || !matches!(kind, INTERRUPT_GATE | TRAP_GATE) {
        return None;
    }
    let low = u64::from(u16_at(0)?) | u64::from(u16_at(6)?) << 16;
    match size {
        GateSize::Protected => Some(low),
        GateSize::Long => {
            let high = u32::from_le_bytes(gate.get(8..12)?.try_into().ok()?);
            Some(low | u64::from(high) << 32)
        }
    }
}

/// Reads `buf.len()` bytes at virtual `va`, page by page.
fn read_va(
    mem: &dyn PhysicalMemory,
    mode: PageMode,
    ctx: &PagingContext,
    va: u64,
    buf: &mut [u8],
) -> Option<()> {
    let mut done = 0;
    while done < buf.len() {
        let at = va.wrapping_add(done as u64);
        let in_page = (PAGE_SIZE - (at & (PAGE_SIZE - 1))) as usize;
        let n = in_page.min(buf.len() - done);
        let pa = paging::translate(mem, mode, ctx, at).ok()?.pa;
        mem.read_phys(pa, &mut buf[done..done + n]).ok()?;
        done += n;
    }
    Some(())
}

/// The handler of `vector` in the IDT at virtual `base` (with its limit,
/// when known), read through `ctx`. `None` when the gate is outside the
/// limit, unmapped, or not an interrupt/trap gate.
pub fn gate_handler(
    mem: &dyn PhysicalMemory,
    mode: PageMode,
    ctx: &PagingContext,
    base: u64,
    limit: Option<u64>,
    vector: u8,
) -> Option<u64> {
    let size = GateSize::for_mode(mode)?;
    let offset = u64::from(vector) * size.bytes();
    if limit.is_some_and(|l| offset + size.bytes() - 1 > l) {
        return None;
    }
    let mut va = base.wrapping_add(offset);
    if size == GateSize::Protected {
        va &= 0xffff_ffff;
    }
    let mut gate = [0u8; 16];
    let gate = &mut gate[..size.bytes() as usize];
    read_va(mem, mode, ctx, va, gate)?;
    decode_gate(gate, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate64(handler: u64, attrs: u16) -> [u8; 16] {
        let mut g = [0u8; 16];
        g[0..2].copy_from_slice(&(handler as u16).to_le_bytes());
        g[2..4].copy_from_slice(&0x10u16.to_le_bytes());
        g[4..6].copy_from_slice(&attrs.to_le_bytes());
        g[6..8].copy_from_slice(&((handler >> 16) as u16).to_le_bytes());
        g[8..12].copy_from_slice(&((handler >> 32) as u32).to_le_bytes());
        g
    }

    #[test]
    fn long_mode_gates() {
        let h = 0xffff_ffff_95e0_0990;
        // Interrupt gate, DPL 0; trap gate with IST 3; DPL 3 (int3).
        for attrs in [0x8e00, 0x8f03, 0xee00] {
            assert_eq!(decode_gate(&gate64(h, attrs), GateSize::Long), Some(h));
        }
        // Not present, a task gate, a call gate, a system-bit set: no handler.
        for attrs in [0x0e00, 0x8500, 0x8c00, 0x9e00] {
            assert_eq!(decode_gate(&gate64(h, attrs), GateSize::Long), None);
        }
        assert_eq!(decode_gate(&gate64(h, 0x8e00)[..8], GateSize::Long), None);
    }

    #[test]
    fn protected_mode_gates() {
        // c3919b40 in the two halves, selector 0x60, 32-bit interrupt gate.
        let g = [0x40, 0x9b, 0x60, 0x00, 0x00, 0x8e, 0x91, 0xc3];
        assert_eq!(decode_gate(&g, GateSize::Protected), Some(0xc391_9b40));
        let mut task = g;
        task[5] = 0x85;
        assert_eq!(decode_gate(&task, GateSize::Protected), None);
        assert_eq!(decode_gate(&g[..5], GateSize::Protected), None);
    }

    #[test]
    fn gate_modes() {
        assert_eq!(
            GateSize::for_mode(PageMode::Ia32eLa57),
            Some(GateSize::Long)
        );
        assert_eq!(GateSize::for_mode(PageMode::Pae), Some(GateSize::Protected));
        assert_eq!(GateSize::for_mode(PageMode::Aarch64), None);
    }
}
