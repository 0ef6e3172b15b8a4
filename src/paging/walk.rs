//! The walker: one loop over a mode description, reading one entry per
//! level. No allocation; the only indirect call is the entry read.

use super::desc::{decode, ModeDesc, Opts, Step, MAX_LEVELS};
use super::{arm_region, arm_upper, static_desc, LevelEntry, PagingContext, Translation};
use crate::addr::{PageMode, PageSize};
use crate::driver::PhysicalMemory;
use crate::error::{Error, Result};

/// Translates `va` in the address space `ctx` describes.
pub fn translate<M: PhysicalMemory + ?Sized>(
    mem: &M,
    mode: PageMode,
    ctx: &PagingContext,
    va: u64,
) -> Result<Translation> {
    let mut t = Translation::EMPTY;
    walk(mem, mode, ctx, va, &mut t)?;
    Ok(t)
}

/// Like [`translate`], but leaves the entries read so far in `out` when the
/// walk fails, for callers that report partial lookups (page_info_t) or
/// resolve non-present leaves themselves (Windows prototype PTEs).
pub fn walk<M: PhysicalMemory + ?Sized>(
    mem: &M,
    mode: PageMode,
    ctx: &PagingContext,
    va: u64,
    out: &mut Translation,
) -> Result<()> {
    *out = Translation::EMPTY;
    out.va = va;
    match static_desc(mode, ctx)? {
        Some(d) => walk_desc(mem, d, ctx.root, &ctx.opts(d), va, out),
        None => {
            let r = arm_region(mode, ctx, arm_upper(mode, &ctx.tcr, va))?;
            walk_desc(mem, &r.desc, r.root, &ctx.opts(&r.desc), va, out)
        }
    }
}

/// Reads one little-endian entry of `bytes` (4 or 8) bytes at `pa`.
/// Entries are naturally aligned, so they never straddle a page.
#[inline(always)]
pub(crate) fn read_entry<M: PhysicalMemory + ?Sized>(mem: &M, pa: u64, bytes: u8) -> Result<u64> {
    if let Some(s) = mem.page_slice(pa) {
        if bytes == 8 {
            if let Some(b) = s.first_chunk::<8>() {
                return Ok(u64::from_le_bytes(*b));
            }
        } else if let Some(b) = s.first_chunk::<4>() {
            return Ok(u64::from(u32::from_le_bytes(*b)));
        }
    }
    let mut b = [0u8; 8];
    let n = usize::from(bytes).min(8);
    mem.read_phys(pa, &mut b[..n])?;
    Ok(u64::from_le_bytes(b))
}

#[inline]
pub(crate) fn walk_desc<M: PhysicalMemory + ?Sized>(
    mem: &M,
    d: &ModeDesc,
    root: u64,
    o: &Opts,
    va: u64,
    out: &mut Translation,
) -> Result<()> {
    let mut table = root & d.root_mask;
    let mut i = 0usize;
    let esize = u64::from(d.entry_bytes);
    // Each step moves to a later level, so MAX_LEVELS bounds the walk
    // whatever the entries say.
    for _ in 0..MAX_LEVELS {
        let lv = d.levels[i];
        let idx = (va >> lv.shift) & ((1u64 << lv.bits) - 1);
        let addr = table.wrapping_add(idx * esize);
        let value = match read_entry(mem, addr, d.entry_bytes) {
            Ok(v) => v,
            // An unreadable root is the caller's bad DTB; an unreadable
            // lower table is a corrupt entry above it.
            Err(e) if i == 0 => return Err(e),
            Err(_) => return Err(Error::BadPageTable { va }),
        };
        let h = usize::from(lv.slot);
        out.levels[h] = LevelEntry {
            entry_addr: addr,
            entry_value: value,
        };
        out.valid |= 1 << h;
        out.depth += 1;
        out.leaf = lv.slot;
        match decode(d, i, value, o) {
            Step::Absent => {
                return Err(Error::PageNotPresent {
                    va,
                    level: lv.slot + 1,
                })
            }
            Step::Page { base, shift } => {
                let mask = (1u64 << shift) - 1;
                out.pa = base | (va & mask);
                out.page_size = PageSize::from_bytes(mask + 1);
                out.page_base_va = va & !mask;
                return Ok(());
            }
            Step::Table { base, next } => {
                if usize::from(next) <= i || usize::from(next) >= MAX_LEVELS {
                    return Err(Error::BadPageTable { va });
                }
                table = base;
                i = usize::from(next);
            }
        }
    }
    Err(Error::BadPageTable { va })
}
