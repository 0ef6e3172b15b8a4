//! Paging modes as data. Each mode is a list of levels (root first) saying
//! which virtual-address bits index the level, how its entries are decoded
//! and where the entry is recorded; one walker (`walk.rs`) and one
//! enumerator (`enumerate.rs`) interpret these descriptions for every mode.

use super::{ArmGranule, PagingFlags};
use crate::error::{Error, Result};

pub(crate) const MAX_LEVELS: usize = 5;

/// Mask with bits `lo..=hi` set.
pub(crate) const fn bits(lo: u32, hi: u32) -> u64 {
    (u64::MAX >> (63 - hi)) & (u64::MAX << lo)
}

/// How the entries of one level are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// x86 64-bit entries (PAE, IA-32e): present bit 0, large-page bit 7.
    X86,
    /// x86 32-bit legacy entries: like `X86`, 4 MiB pages need PSE.
    X86Legacy,
    /// EPT: present when any of read/write/execute (bits 0..2) is set.
    Ept,
    /// ARM long descriptors (AArch64, AArch32 LPAE): bits[1:0] 0b11 table
    /// or page, 0b01 block.
    ArmLong,
    /// AArch32 short descriptors, first level.
    ArmShortL1,
    /// AArch32 short descriptors, coarse second-level table.
    ArmShortCoarse,
    /// AArch32 short descriptors, fine second-level table (ARMv5).
    ArmShortFine,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Level {
    /// Lowest virtual-address bit of this level's index.
    pub shift: u8,
    /// Width of the index.
    pub bits: u8,
    pub kind: Kind,
    /// Whether an entry here may map a large page / block of `1 << shift`.
    pub large: bool,
    /// Where the entry is recorded in `Translation::levels`: its height
    /// above the last-level table (0 = PTE / L3 / AArch32 second level).
    pub slot: u8,
}

impl Level {
    const EMPTY: Level = Level {
        shift: 0,
        bits: 0,
        kind: Kind::X86,
        large: false,
        slot: 0,
    };
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct ModeDesc {
    /// Root first. Levels after a table entry follow in order, except
    /// where `decode` names another (AArch32 fine tables).
    pub levels: [Level; MAX_LEVELS],
    pub count: u8,
    /// 4 or 8.
    pub entry_bytes: u8,
    /// Bits of the root register that hold the root table's address.
    pub root_mask: u64,
    /// Bits of a table entry that hold the next table's address.
    pub table_mask: u64,
    /// Bits of a leaf entry that may hold the page address (offset bits
    /// below the page size are cleared separately).
    pub leaf_mask: u64,
    /// Number of translated virtual-address bits.
    pub va_bits: u8,
    /// Bits set in every virtual address this description covers (the
    /// upper half of a split address space), used when enumerating.
    pub va_base: u64,
    /// Enumerated addresses are sign-extended from bit `va_bits - 1`
    /// (x86-64 canonical form).
    pub canonical: bool,
}

const fn x86_levels<const N: usize>(
    shifts: [u8; N],
    bits: u8,
    kind: Kind,
    large: [bool; N],
) -> [Level; MAX_LEVELS] {
    let mut out = [Level::EMPTY; MAX_LEVELS];
    let mut i = 0;
    while i < N {
        out[i] = Level {
            shift: shifts[i],
            bits,
            kind,
            large: large[i],
            slot: (N - 1 - i) as u8,
        };
        i += 1;
    }
    out
}

pub(crate) static LEGACY: ModeDesc = ModeDesc {
    levels: x86_levels([22, 12], 10, Kind::X86Legacy, [true, false]),
    count: 2,
    entry_bytes: 4,
    root_mask: bits(12, 31),
    table_mask: bits(12, 31),
    leaf_mask: bits(12, 31),
    va_bits: 32,
    va_base: 0,
    canonical: false,
};

/// PAE: the 4-entry PDPT is indexed by VA[31:30] and sits 32-byte aligned.
pub(crate) static PAE: ModeDesc = {
    let mut levels = x86_levels([30, 21, 12], 9, Kind::X86, [false, true, false]);
    levels[0].bits = 2;
    ModeDesc {
        levels,
        count: 3,
        entry_bytes: 8,
        root_mask: bits(5, 31),
        table_mask: bits(12, 51),
        leaf_mask: bits(12, 51),
        va_bits: 32,
        va_base: 0,
        canonical: false,
    }
};

const fn x86_64(count: u8, kind: Kind) -> ModeDesc {
    let levels = if count == 5 {
        x86_levels(
            [48, 39, 30, 21, 12],
            9,
            kind,
            [false, false, true, true, false],
        )
    } else {
        x86_levels([39, 30, 21, 12], 9, kind, [false, true, true, false])
    };
    ModeDesc {
        levels,
        count,
        entry_bytes: 8,
        root_mask: bits(12, 51),
        table_mask: bits(12, 51),
        leaf_mask: bits(12, 51),
        va_bits: if count == 5 { 57 } else { 48 },
        va_base: 0,
        // Guest-physical addresses (EPT input) are not sign-extended.
        canonical: matches!(kind, Kind::X86),
    }
}

pub(crate) static IA32E: ModeDesc = x86_64(4, Kind::X86);
pub(crate) static IA32E_LA57: ModeDesc = x86_64(5, Kind::X86);
pub(crate) static EPT4: ModeDesc = x86_64(4, Kind::Ept);
pub(crate) static EPT5: ModeDesc = x86_64(5, Kind::Ept);

/// AArch32 short descriptors. Level index 1 is the coarse table, 2 the
/// fine table; `decode` picks one of them from the first-level entry.
pub(crate) static AARCH32_SHORT: ModeDesc = ModeDesc {
    levels: [
        Level {
            shift: 20,
            bits: 12,
            kind: Kind::ArmShortL1,
            large: true,
            slot: 1,
        },
        Level {
            shift: 12,
            bits: 8,
            kind: Kind::ArmShortCoarse,
            large: true,
            slot: 0,
        },
        Level {
            shift: 10,
            bits: 10,
            kind: Kind::ArmShortFine,
            large: true,
            slot: 0,
        },
        Level::EMPTY,
        Level::EMPTY,
    ],
    count: 2,
    entry_bytes: 4,
    root_mask: bits(14, 31),
    table_mask: bits(10, 31),
    leaf_mask: bits(12, 31),
    va_bits: 32,
    va_base: 0,
    canonical: false,
};

/// Long-descriptor tables (AArch64 stage 1, AArch32 LPAE) for a granule
/// of `1 << g` bytes translating `va_bits` bits, with output addresses up
/// to bit `pa_hi`. `va_base` is set in every address of the region (the
/// TTBR1 half), 0 for the lower half.
pub(crate) fn arm_long(
    granule: ArmGranule,
    va_bits: u8,
    pa_hi: u32,
    va_base: u64,
) -> Result<ModeDesc> {
    let g = granule.shift();
    let stride = g - 3;
    if va_bits <= g || va_bits > 48 {
        return Err(Error::InvalidArgument(
            "translation size (TxSZ) out of range for granule",
        ));
    }
    let count = (va_bits - g).div_ceil(stride);
    if count as usize > 4 {
        return Err(Error::InvalidArgument(
            "translation size (TxSZ) out of range for granule",
        ));
    }
    let mut levels = [Level::EMPTY; MAX_LEVELS];
    for k in 0..count {
        let height = count - 1 - k;
        // Architectural level number: the last level is 3.
        let arm_level = 3 - height;
        let shift = g + height * stride;
        let bits = if k == 0 { va_bits - shift } else { stride };
        let large = match g {
            12 => arm_level == 1 || arm_level == 2,
            _ => arm_level == 2,
        };
        levels[k as usize] = Level {
            shift,
            bits,
            kind: Kind::ArmLong,
            large,
            slot: height,
        };
    }
    // The root table is aligned to its size; lower TTBR bits (CnP) are
    // not address bits.
    let root_align = u32::from(levels[0].bits) + 3;
    Ok(ModeDesc {
        levels,
        count,
        entry_bytes: 8,
        root_mask: bits(root_align, pa_hi),
        table_mask: bits(u32::from(g), pa_hi),
        leaf_mask: bits(u32::from(g), pa_hi),
        va_bits,
        va_base,
        canonical: false,
    })
}

/// What an entry says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Not present / invalid.
    Absent,
    /// Continue at `base` using level index `next`.
    Table { base: u64, next: u8 },
    /// Maps a page of `1 << shift` bytes at `base` (aligned).
    Page { base: u64, shift: u8 },
}

/// Per-walk options derived once from the context.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Opts {
    pub flags: PagingFlags,
    pub leaf_mask: u64,
}

const X86_PRESENT: u64 = 1;
const X86_PS: u64 = 1 << 7;
const WIN_PROTOTYPE: u64 = 1 << 10;
const WIN_TRANSITION: u64 = 1 << 11;

#[inline(always)]
fn x86_present(e: u64, transition: bool) -> bool {
    e & X86_PRESENT != 0 || (transition && e & (WIN_TRANSITION | WIN_PROTOTYPE) == WIN_TRANSITION)
}

#[inline(always)]
fn aligned(base: u64, shift: u8) -> u64 {
    base & !((1u64 << shift) - 1)
}

/// Decodes entry `e` found at level index `i` of `desc`.
#[inline(always)]
pub(crate) fn decode(desc: &ModeDesc, i: usize, e: u64, o: &Opts) -> Step {
    let lv = &desc.levels[i];
    let last = i + 1 >= desc.count as usize;
    let next = (i + 1) as u8;
    match lv.kind {
        Kind::X86 | Kind::Ept => {
            let present = if lv.kind == Kind::Ept {
                e & 7 != 0
            } else {
                x86_present(e, o.flags.transition_pages)
            };
            if !present {
                Step::Absent
            } else if last || (lv.large && e & X86_PS != 0) {
                Step::Page {
                    base: aligned(e & o.leaf_mask, lv.shift),
                    shift: lv.shift,
                }
            } else {
                Step::Table {
                    base: e & desc.table_mask,
                    next,
                }
            }
        }
        Kind::X86Legacy => {
            if !x86_present(e, o.flags.transition_pages) {
                Step::Absent
            } else if last {
                Step::Page {
                    base: aligned(e & o.leaf_mask, lv.shift),
                    shift: lv.shift,
                }
            } else if lv.large && o.flags.pse && e & X86_PS != 0 {
                let mut base = aligned(e & o.leaf_mask, lv.shift);
                if o.flags.pse36 {
                    // PSE-36/40: PDE bits 13..20 hold physical bits 32..39.
                    base |= ((e >> 13) & 0xff) << 32;
                }
                Step::Page {
                    base,
                    shift: lv.shift,
                }
            } else {
                Step::Table {
                    base: e & desc.table_mask,
                    next,
                }
            }
        }
        Kind::ArmLong => match e & 3 {
            3 if last => Step::Page {
                base: aligned(e & desc.leaf_mask, lv.shift),
                shift: lv.shift,
            },
            3 => Step::Table {
                base: e & desc.table_mask,
                next,
            },
            1 if lv.large && !last => Step::Page {
                base: aligned(e & desc.leaf_mask, lv.shift),
                shift: lv.shift,
            },
            _ => Step::Absent,
        },
        Kind::ArmShortL1 => match e & 3 {
            0 => Step::Absent,
            1 => Step::Table {
                base: e & bits(10, 31),
                next: 1,
            },
            3 if o.flags.aarch32_fine_tables => Step::Table {
                base: e & bits(12, 31),
                next: 2,
            },
            // 0b10, or 0b11 (section with PXN) on ARMv6 and later.
            _ => {
                if e & (1 << 18) == 0 {
                    Step::Page {
                        base: e & bits(20, 31),
                        shift: 20,
                    }
                } else {
                    // Supersection: bits 23:20 and 8:5 extend the address
                    // to bits 35:32 and 39:36.
                    let base =
                        (e & bits(24, 31)) | ((e >> 20) & 0xf) << 32 | ((e >> 5) & 0xf) << 36;
                    Step::Page { base, shift: 24 }
                }
            }
        },
        Kind::ArmShortCoarse => match e & 3 {
            0 => Step::Absent,
            1 => Step::Page {
                base: e & bits(16, 31),
                shift: 16,
            },
            _ => Step::Page {
                base: e & bits(12, 31),
                shift: 12,
            },
        },
        Kind::ArmShortFine => match e & 3 {
            0 => Step::Absent,
            1 => Step::Page {
                base: e & bits(16, 31),
                shift: 16,
            },
            2 => Step::Page {
                base: e & bits(12, 31),
                shift: 12,
            },
            _ => Step::Page {
                base: e & bits(10, 31),
                shift: 10,
            },
        },
    }
}
