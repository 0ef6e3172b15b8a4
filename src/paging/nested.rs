//! Guest-physical memory seen through nested (EPT) tables, so a guest walk
//! can run on top of a host view: every read is first translated.

use super::walk::translate;
use super::PagingContext;
use crate::addr::{PageMode, PAGE_SIZE};
use crate::driver::{PhysRange, PhysicalMemory};
use crate::error::{Error, Result};

/// Reads guest-physical addresses by translating them through `ctx`
/// (normally EPT 4/5-level) over `host`.
pub struct NestedMemory<'a, M: PhysicalMemory + ?Sized> {
    host: &'a M,
    mode: PageMode,
    ctx: PagingContext,
}

impl<'a, M: PhysicalMemory + ?Sized> NestedMemory<'a, M> {
    pub fn new(host: &'a M, mode: PageMode, ctx: PagingContext) -> Self {
        NestedMemory { host, mode, ctx }
    }

    fn host_addr(&self, gpa: u64) -> Result<u64> {
        match translate(self.host, self.mode, &self.ctx, gpa) {
            Ok(t) => Ok(t.pa),
            Err(Error::PageNotPresent { .. }) => Err(Error::PhysicalOutOfRange { pa: gpa }),
            Err(e) => Err(e),
        }
    }
}

impl<M: PhysicalMemory + ?Sized> PhysicalMemory for NestedMemory<'_, M> {
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()> {
        let mut done = 0usize;
        while done < buf.len() {
            let cur = pa
                .checked_add(done as u64)
                .ok_or(Error::PhysicalOutOfRange { pa })?;
            // Nested pages are at least 4 KiB, so a 4 KiB chunk is contiguous.
            let chunk =
                (PAGE_SIZE - (cur & (PAGE_SIZE - 1))).min((buf.len() - done) as u64) as usize;
            let hpa = self.host_addr(cur)?;
            self.host.read_phys(hpa, &mut buf[done..done + chunk])?;
            done += chunk;
        }
        Ok(())
    }

    fn page_slice(&self, pa: u64) -> Option<&[u8]> {
        self.host.page_slice(self.host_addr(pa).ok()?)
    }

    /// Which guest-physical ranges are backed is not known without walking
    /// the nested tables, so none are listed.
    fn ranges(&self) -> &[PhysRange] {
        &[]
    }

    fn max_physical_address(&self) -> u64 {
        1 << 52
    }
}
