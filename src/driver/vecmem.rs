//! Guest memory in a vector, for unit tests: reads of what is there, an
//! error past the end or outside the listed ranges' bytes, and optionally
//! the zero-copy page path.

use super::{Driver, PhysRange, PhysicalMemory};
use crate::error::{Error, Result};

pub struct VecMem {
    pub data: Vec<u8>,
    pub ranges: Vec<PhysRange>,
    /// Offer the zero-copy path ([`PhysicalMemory::page_slice`]).
    pub slices: bool,
}

impl VecMem {
    /// `data` as one range from address 0.
    pub fn new(data: Vec<u8>) -> VecMem {
        let end = data.len() as u64;
        VecMem::with_ranges(data, vec![PhysRange { start: 0, end }])
    }

    /// `data` with the given RAM ranges (reads are served from `data`
    /// wherever it has bytes; the ranges are what scans visit).
    pub fn with_ranges(data: Vec<u8>, ranges: Vec<PhysRange>) -> VecMem {
        VecMem {
            data,
            ranges,
            slices: false,
        }
    }

    pub fn slices(mut self, on: bool) -> VecMem {
        self.slices = on;
        self
    }
}

impl PhysicalMemory for VecMem {
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()> {
        let end = pa
            .checked_add(buf.len() as u64)
            .filter(|e| *e <= self.data.len() as u64)
            .ok_or(Error::PhysicalOutOfRange { pa })?;
        buf.copy_from_slice(&self.data[pa as usize..end as usize]);
        Ok(())
    }

    fn page_slice(&self, pa: u64) -> Option<&[u8]> {
        if !self.slices || pa >= self.data.len() as u64 {
            return None;
        }
        let end = ((pa | 0xfff) + 1).min(self.data.len() as u64);
        Some(&self.data[pa as usize..end as usize])
    }

    fn ranges(&self) -> &[PhysRange] {
        &self.ranges
    }
}

impl Driver for VecMem {
    fn name(&self) -> &'static str {
        "unit-test-memory"
    }
}
