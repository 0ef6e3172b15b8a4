//! Page-table walking: guest virtual -> physical translation for every
//! paging mode, and enumeration of all mappings of an address space.
//!
//! Modes are described as data (`desc.rs`); one walker (`walk.rs`) and one
//! enumerator (`enumerate.rs`) interpret the descriptions. Entries are read
//! through [`PhysicalMemory`], zero-copy when the source is mapped.
//!
//! Level numbering: `Translation::levels[h]` and the `level` of
//! [`Error::PageNotPresent`] (which is `h + 1`) count from the last-level
//! table upwards, so for IA-32e `levels[3]` is the PML4E, `[2]` the PDPTE,
//! `[1]` the PDE and `[0]` the PTE (`[4]` is the PML5E with LA57); for x86
//! legacy `[1]` is the PDE and `[0]` the PTE; for PAE `[2]` is the PDPTE;
//! for AArch32 short descriptors `[1]` is the first-level and `[0]` the
//! second-level descriptor; for AArch64 and LPAE `[3 - n]` is the entry of
//! architectural level `n` (`[3]` level 0 ... `[0]` level 3).

mod desc;
mod enumerate;
mod nested;
mod walk;

#[cfg(test)]
mod tests;

pub use enumerate::{for_each_page, for_each_page_bounded, EnumLimits};
pub use nested::NestedMemory;
pub use walk::{translate, walk};

use crate::addr::{PageMode, PageSize};
use crate::error::{Error, Result};
use desc::ModeDesc;

/// One page-table entry that a walk read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LevelEntry {
    /// Physical address of the entry.
    pub entry_addr: u64,
    /// Its raw value (32-bit entries zero-extended).
    pub entry_value: u64,
}

/// The result of a walk: where `va` lands and every entry read on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    pub va: u64,
    pub pa: u64,
    pub page_size: PageSize,
    /// `va` rounded down to the start of its page.
    pub page_base_va: u64,
    /// Entries by height (see the module docs); unread slots are zero.
    pub levels: [LevelEntry; 5],
    /// Bit `h` set when `levels[h]` was read.
    pub valid: u8,
    /// Number of entries read.
    pub depth: u8,
    /// Height of the entry that mapped the page.
    pub leaf: u8,
}

impl Default for Translation {
    fn default() -> Self {
        Translation::EMPTY
    }
}

impl Translation {
    pub const EMPTY: Translation = Translation {
        va: 0,
        pa: 0,
        page_size: PageSize::Invalid,
        page_base_va: 0,
        levels: [LevelEntry {
            entry_addr: 0,
            entry_value: 0,
        }; 5],
        valid: 0,
        depth: 0,
        leaf: 0,
    };

    /// The entry at height `h`, if the walk read one there.
    pub fn entry(&self, h: usize) -> Option<LevelEntry> {
        (h < self.levels.len() && self.valid & (1 << h) != 0).then(|| self.levels[h])
    }

    /// The entry that mapped the page (or the last one read on failure).
    pub fn leaf_entry(&self) -> LevelEntry {
        self.levels[usize::from(self.leaf).min(4)]
    }
}

/// Translation granule of ARM long-descriptor tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArmGranule {
    K4,
    K16,
    K64,
}

impl ArmGranule {
    pub(crate) fn shift(self) -> u8 {
        match self {
            ArmGranule::K4 => 12,
            ArmGranule::K16 => 14,
            ArmGranule::K64 => 16,
        }
    }

    pub fn page_size(self) -> PageSize {
        PageSize::from_bytes(1 << self.shift())
    }
}

/// The translation-control values the walk needs (AArch64 TCR_EL1, or
/// AArch32 TTBCR with LPAE, where the granule is always 4 KiB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArmTcr {
    pub t0sz: u8,
    pub t1sz: u8,
    pub tg0: ArmGranule,
    pub tg1: ArmGranule,
}

impl Default for ArmTcr {
    /// 48-bit halves with 4 KiB granules, the common Linux layout; used when
    /// no register is available (snapshot files).
    fn default() -> Self {
        ArmTcr {
            t0sz: 16,
            t1sz: 16,
            tg0: ArmGranule::K4,
            tg1: ArmGranule::K4,
        }
    }
}

impl ArmTcr {
    /// Decodes TCR_EL1 (T0SZ 5:0, TG0 15:14, T1SZ 21:16, TG1 31:30).
    /// Reserved granule encodings fall back to 4 KiB.
    pub fn from_tcr_el1(tcr: u64) -> ArmTcr {
        let tg0 = match (tcr >> 14) & 3 {
            1 => ArmGranule::K64,
            2 => ArmGranule::K16,
            _ => ArmGranule::K4,
        };
        let tg1 = match (tcr >> 30) & 3 {
            1 => ArmGranule::K16,
            3 => ArmGranule::K64,
            _ => ArmGranule::K4,
        };
        ArmTcr {
            t0sz: (tcr & 0x3f) as u8,
            t1sz: ((tcr >> 16) & 0x3f) as u8,
            tg0,
            tg1,
        }
    }

    /// Decodes an AArch32 TTBCR with EAE set (T0SZ 2:0, T1SZ 18:16).
    pub fn from_ttbcr_lpae(ttbcr: u32) -> ArmTcr {
        ArmTcr {
            t0sz: (ttbcr & 7) as u8,
            t1sz: ((ttbcr >> 16) & 7) as u8,
            tg0: ArmGranule::K4,
            tg1: ArmGranule::K4,
        }
    }
}

/// Which translation tables `PagingContext::root` stands for on ARM modes
/// with split address spaces (AArch64, AArch32 LPAE). x86 ignores this.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ArmRoots {
    /// `root` is TTBR0 (the lower half). Upper-half addresses are still
    /// walked from `root` with the TTBR1 parameters, as upstream does when
    /// handed a single table.
    #[default]
    Lower,
    /// `root` is TTBR1 (the kernel half); enumeration yields upper-half
    /// addresses.
    Upper,
    /// `root` is TTBR0 and `upper` is TTBR1.
    Split { upper: u64 },
}

/// Walk options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagingFlags {
    /// Windows transition pages (`VMI_PM_INITFLAG_TRANSITION_PAGES`): an x86
    /// entry with bit 11 (transition) set and bit 10 (prototype) clear
    /// counts as present; the page is still in memory, only invalid.
    pub transition_pages: bool,
    /// x86 legacy: CR4.PSE, honour 4 MiB pages.
    pub pse: bool,
    /// x86 legacy 4 MiB pages carry physical bits 32..39 in PDE bits 13..20.
    pub pse36: bool,
    /// AArch32: TTBCR.EAE, long (LPAE) descriptors instead of short ones.
    pub aarch32_lpae: bool,
    /// AArch32 short descriptors: first-level type 0b11 is an ARMv5 fine
    /// page table (as upstream reads it) rather than an ARMv6+ section
    /// with PXN.
    pub aarch32_fine_tables: bool,
}

impl Default for PagingFlags {
    fn default() -> Self {
        PagingFlags {
            transition_pages: false,
            pse: true,
            pse36: false,
            aarch32_lpae: false,
            aarch32_fine_tables: false,
        }
    }
}

/// Everything a walk needs besides memory and the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagingContext {
    /// Root table register: CR3, EPTP, TTBR0/TTBR1, or a process DTB.
    /// Control bits in it (PCID, EPT memory type, ASID, CnP) are masked off.
    pub root: u64,
    pub arm_roots: ArmRoots,
    pub tcr: ArmTcr,
    pub flags: PagingFlags,
    /// x86 leaf entries use physical bits `12..leaf_pa_bits` for the page
    /// frame (52 by default; Windows reuses bits above 44, so the OS layer
    /// sets 45 there as upstream does).
    pub leaf_pa_bits: u8,
}

impl PagingContext {
    pub fn new(root: u64) -> PagingContext {
        PagingContext {
            root,
            arm_roots: ArmRoots::Lower,
            tcr: ArmTcr::default(),
            flags: PagingFlags::default(),
            leaf_pa_bits: 52,
        }
    }

    pub(crate) fn opts(&self, desc: &ModeDesc) -> desc::Opts {
        let pa_mask = if self.leaf_pa_bits >= 64 {
            u64::MAX
        } else {
            (1u64 << self.leaf_pa_bits) - 1
        };
        desc::Opts {
            flags: self.flags,
            leaf_mask: desc.leaf_mask & pa_mask,
        }
    }
}

/// An address-space region with its description and root table.
pub(crate) struct Region {
    pub desc: ModeDesc,
    pub root: u64,
}

/// Static description for modes without per-context layout.
fn static_desc(mode: PageMode, ctx: &PagingContext) -> Result<Option<&'static ModeDesc>> {
    Ok(Some(match mode {
        PageMode::Legacy => &desc::LEGACY,
        PageMode::Pae => &desc::PAE,
        PageMode::Ia32e => &desc::IA32E,
        PageMode::Ia32eLa57 => &desc::IA32E_LA57,
        PageMode::Ept4 => &desc::EPT4,
        PageMode::Ept5 => &desc::EPT5,
        PageMode::Aarch32 if !ctx.flags.aarch32_lpae => &desc::AARCH32_SHORT,
        PageMode::Aarch32 | PageMode::Aarch64 => return Ok(None),
        PageMode::None | PageMode::Unknown => {
            return Err(Error::InvalidArgument("no paging mode to translate with"))
        }
    }))
}

/// The ARM long-descriptor region: `upper` selects the TTBR1 half.
fn arm_region(mode: PageMode, ctx: &PagingContext, upper: bool) -> Result<Region> {
    let tcr = &ctx.tcr;
    let root = match (upper, ctx.arm_roots) {
        (true, ArmRoots::Split { upper }) => upper,
        _ => ctx.root,
    };
    let desc = if mode == PageMode::Aarch64 {
        let (tsz, granule) = if upper {
            (tcr.t1sz, tcr.tg1)
        } else {
            (tcr.t0sz, tcr.tg0)
        };
        let va_bits = 64u8.saturating_sub(tsz);
        let va_base = if upper && va_bits < 64 {
            u64::MAX << va_bits
        } else {
            0
        };
        desc::arm_long(granule, va_bits, 47, va_base)?
    } else {
        // LPAE: TTBR1 covers the top 2^(32-T1SZ) bytes when T1SZ is set,
        // otherwise everything above TTBR0's 2^(32-T0SZ).
        let tsz = if upper { tcr.t1sz } else { tcr.t0sz };
        let va_bits = 32u8.saturating_sub(tsz & 7);
        let va_base = if upper {
            (u64::MAX << va_bits) & 0xffff_ffff
        } else {
            0
        };
        desc::arm_long(ArmGranule::K4, va_bits, 39, va_base)?
    };
    Ok(Region { desc, root })
}

/// Whether `va` belongs to the upper (TTBR1) half.
fn arm_upper(mode: PageMode, tcr: &ArmTcr, va: u64) -> bool {
    if mode == PageMode::Aarch64 {
        // With top-byte-ignore bit 55 selects the half; without it the
        // bits above must equal it anyway.
        return (va >> 55) & 1 == 1;
    }
    let va = va & 0xffff_ffff;
    if tcr.t1sz & 7 != 0 {
        va >= (1u64 << 32) - (1u64 << (32 - (tcr.t1sz & 7)))
    } else {
        tcr.t0sz & 7 != 0 && va >> (32 - (tcr.t0sz & 7)) != 0
    }
}

/// The regions an enumeration of `ctx` covers, in address order.
pub(crate) fn regions(mode: PageMode, ctx: &PagingContext) -> Result<([Option<Region>; 2], usize)> {
    if let Some(d) = static_desc(mode, ctx)? {
        return Ok((
            [
                Some(Region {
                    desc: *d,
                    root: ctx.root,
                }),
                None,
            ],
            1,
        ));
    }
    Ok(match ctx.arm_roots {
        ArmRoots::Lower => ([Some(arm_region(mode, ctx, false)?), None], 1),
        ArmRoots::Upper => ([Some(arm_region(mode, ctx, true)?), None], 1),
        ArmRoots::Split { .. } => (
            [
                Some(arm_region(mode, ctx, false)?),
                Some(arm_region(mode, ctx, true)?),
            ],
            2,
        ),
    })
}
