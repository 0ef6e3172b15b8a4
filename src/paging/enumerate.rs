//! Enumeration of every present mapping of an address space (for
//! `vmi_get_va_pages`). Guest tables may alias or point at themselves, so
//! the number of tables visited is bounded.

use core::ops::ControlFlow;

use super::desc::{decode, ModeDesc, Opts, Step, MAX_LEVELS};
use super::walk::read_entry;
use super::{regions, LevelEntry, PagingContext, Translation};
use crate::addr::{PageMode, PageSize};
use crate::driver::PhysicalMemory;
use crate::error::{Error, Result};

/// Work bounds of an enumeration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnumLimits {
    /// Page tables read at most (root included); at most 4096 entries each.
    pub max_tables: u64,
}

impl Default for EnumLimits {
    /// 2^18 tables is 1 GiB of tables, mapping up to 2^27 4 KiB pages:
    /// far beyond real address spaces, still a bounded amount of work.
    fn default() -> Self {
        EnumLimits {
            max_tables: 1 << 18,
        }
    }
}

/// Calls `f` for every present page of the address space, in ascending
/// table order, with the page's base address in `va`/`page_base_va`/`pa`.
/// `f` may stop early with `ControlFlow::Break`. Lower tables that cannot
/// be read are skipped; an unreadable root or exceeding the default
/// [`EnumLimits`] is an error (pages reported so far stay reported).
pub fn for_each_page<M, F>(mem: &M, mode: PageMode, ctx: &PagingContext, f: F) -> Result<()>
where
    M: PhysicalMemory + ?Sized,
    F: FnMut(&Translation) -> ControlFlow<()>,
{
    for_each_page_bounded(mem, mode, ctx, EnumLimits::default(), f)
}

/// [`for_each_page`] with explicit limits.
pub fn for_each_page_bounded<M, F>(
    mem: &M,
    mode: PageMode,
    ctx: &PagingContext,
    limits: EnumLimits,
    mut f: F,
) -> Result<()>
where
    M: PhysicalMemory + ?Sized,
    F: FnMut(&Translation) -> ControlFlow<()>,
{
    let (regs, n) = regions(mode, ctx)?;
    let mut tables_left = limits.max_tables;
    for r in regs.iter().take(n).flatten() {
        let mut w = Walker {
            mem,
            desc: &r.desc,
            opts: ctx.opts(&r.desc),
            tables_left: &mut tables_left,
            cur: Translation::EMPTY,
            f: &mut f,
        };
        let root = r.root & r.desc.root_mask;
        if w.visit(root, 0, 0)?.is_break() {
            break;
        }
    }
    Ok(())
}

struct Walker<'a, M: ?Sized, F> {
    mem: &'a M,
    desc: &'a ModeDesc,
    opts: Opts,
    tables_left: &'a mut u64,
    /// Entries on the current path.
    cur: Translation,
    f: &'a mut F,
}

impl<M, F> Walker<'_, M, F>
where
    M: PhysicalMemory + ?Sized,
    F: FnMut(&Translation) -> ControlFlow<()>,
{
    /// Visits the table at `table` of level index `i`; `prefix` holds the
    /// address bits chosen by the levels above.
    fn visit(&mut self, table: u64, i: usize, prefix: u64) -> Result<ControlFlow<()>> {
        if *self.tables_left == 0 {
            return Err(Error::Malformed(
                "page-table enumeration exceeded its work bound",
            ));
        }
        *self.tables_left -= 1;
        let d = self.desc;
        let lv = d.levels[i];
        let esize = u64::from(d.entry_bytes);
        let h = usize::from(lv.slot);
        for idx in 0..(1u64 << lv.bits) {
            let addr = table.wrapping_add(idx * esize);
            let value = match read_entry(self.mem, addr, d.entry_bytes) {
                Ok(v) => v,
                Err(e) if i == 0 => return Err(e),
                // A table outside memory: nothing below it can be mapped.
                Err(_) => return Ok(ControlFlow::Continue(())),
            };
            let va = prefix | (idx << lv.shift);
            self.cur.levels[h] = LevelEntry {
                entry_addr: addr,
                entry_value: value,
            };
            self.cur.valid |= 1 << h;
            match decode(d, i, value, &self.opts) {
                Step::Absent => {}
                Step::Table { base, next } => {
                    let next = usize::from(next);
                    if next <= i || next >= MAX_LEVELS {
                        return Err(Error::BadPageTable { va });
                    }
                    if self.visit(base, next, va)?.is_break() {
                        return Ok(ControlFlow::Break(()));
                    }
                }
                Step::Page { base, shift } => {
                    // Pages larger than one entry's reach (ARM supersections,
                    // 64 KiB pages) repeat in consecutive entries: report the
                    // first only.
                    if va & ((1u64 << shift) - 1) != 0 {
                        continue;
                    }
                    let t = self.report(va, base, shift, h);
                    if (self.f)(&t).is_break() {
                        return Ok(ControlFlow::Break(()));
                    }
                }
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    fn report(&self, va: u64, base: u64, shift: u8, h: usize) -> Translation {
        let d = self.desc;
        let mut va = va | d.va_base;
        if d.canonical && d.va_bits < 64 {
            let s = 64 - u32::from(d.va_bits);
            va = (((va << s) as i64) >> s) as u64;
        }
        let mut t = self.cur;
        // Drop entries left over from deeper paths visited earlier.
        for l in &mut t.levels[..h] {
            *l = LevelEntry::default();
        }
        t.valid &= !((1u8 << h) - 1);
        t.depth = t.valid.count_ones() as u8;
        t.leaf = h as u8;
        t.va = va;
        t.page_base_va = va;
        t.pa = base;
        t.page_size = PageSize::from_bytes(1u64 << shift);
        t
    }
}
