//! Guest memory for the harness: a copy-on-write overlay over a real
//! guest image (so each case damages its own copy without copying
//! hundreds of MiB), and a plain vector for synthetic guests.

use std::collections::HashMap;
use std::sync::Arc;

use vmi::driver::{Driver, PhysRange, PhysicalMemory, Registers};
use vmi::error::{Error, Result};

const PAGE: u64 = 4096;

/// `inner` with some pages replaced.
pub struct Overlay {
    inner: Arc<dyn Driver>,
    pages: HashMap<u64, Box<[u8]>>,
}

impl Overlay {
    pub fn new(inner: Arc<dyn Driver>) -> Overlay {
        Overlay {
            inner,
            pages: HashMap::new(),
        }
    }

    /// Writes `bytes` at `pa` in this copy; bytes outside backed memory
    /// are dropped (there is nothing there to damage).
    pub fn patch(&mut self, pa: u64, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            let Some(a) = pa.checked_add(i as u64) else {
                return;
            };
            let base = a & !(PAGE - 1);
            if !self.pages.contains_key(&base) {
                let mut page = vec![0u8; PAGE as usize].into_boxed_slice();
                if self.inner.read_phys(base, &mut page).is_err() {
                    continue;
                }
                self.pages.insert(base, page);
            }
            if let Some(p) = self.pages.get_mut(&base) {
                p[(a - base) as usize] = b;
            }
        }
    }

    fn touches(&self, pa: u64, len: u64) -> bool {
        let end = pa.saturating_add(len);
        let first = pa & !(PAGE - 1);
        if len / PAGE > self.pages.len() as u64 {
            self.pages.keys().any(|&p| p >= first && p < end)
        } else {
            (first..end)
                .step_by(PAGE as usize)
                .any(|p| self.pages.contains_key(&p))
        }
    }
}

impl PhysicalMemory for Overlay {
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()> {
        if !self.touches(pa, buf.len() as u64) {
            return self.inner.read_phys(pa, buf);
        }
        pa.checked_add(buf.len() as u64)
            .ok_or(Error::PhysicalOutOfRange { pa })?;
        let mut done = 0usize;
        while done < buf.len() {
            let a = pa + done as u64;
            let base = a & !(PAGE - 1);
            let off = (a - base) as usize;
            let n = (PAGE as usize - off).min(buf.len() - done);
            match self.pages.get(&base) {
                Some(p) => buf[done..done + n].copy_from_slice(&p[off..off + n]),
                None => self.inner.read_phys(a, &mut buf[done..done + n])?,
            }
            done += n;
        }
        Ok(())
    }

    fn page_slice(&self, pa: u64) -> Option<&[u8]> {
        let base = pa & !(PAGE - 1);
        match self.pages.get(&base) {
            Some(p) => p.get((pa - base) as usize..),
            None => self.inner.page_slice(pa),
        }
    }

    fn contiguous(&self, pa: u64, len: usize) -> Option<&[u8]> {
        if self.touches(pa, len as u64) {
            None
        } else {
            self.inner.contiguous(pa, len)
        }
    }

    fn prefetch(&self, pa: u64, len: u64) {
        self.inner.prefetch(pa, len)
    }

    fn ranges(&self) -> &[PhysRange] {
        self.inner.ranges()
    }
}

impl Driver for Overlay {
    fn name(&self) -> &'static str {
        "fuzz-overlay"
    }
    fn as_registers(&self) -> Option<&dyn Registers> {
        self.inner.as_registers()
    }
}

/// Guest memory in a vector.
pub struct VecMem {
    pub mem: Vec<u8>,
    ranges: Vec<PhysRange>,
}

impl VecMem {
    pub fn new(mem: Vec<u8>) -> VecMem {
        let end = mem.len() as u64;
        VecMem {
            mem,
            ranges: vec![PhysRange { start: 0, end }],
        }
    }
}

impl PhysicalMemory for VecMem {
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()> {
        let s = usize::try_from(pa)
            .ok()
            .and_then(|s| self.mem.get(s..s.checked_add(buf.len())?))
            .ok_or(Error::PhysicalOutOfRange { pa })?;
        buf.copy_from_slice(s);
        Ok(())
    }

    fn ranges(&self) -> &[PhysRange] {
        &self.ranges
    }
}

impl Driver for VecMem {
    fn name(&self) -> &'static str {
        "fuzz-vec"
    }
}
