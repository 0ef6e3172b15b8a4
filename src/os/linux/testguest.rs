//! A tiny 32-bit guest for unit tests: 8 MiB of memory in a vector, legacy
//! paging with two 4 MiB pages mapping `KERNEL_BASE..+8 MiB` onto physical
//! `0..8 MiB`. Tests lay out kernel structures with [`TestGuest::write`]
//! and read them back through a real [`Vmi`].

use crate::addr::PageMode;
use crate::driver::vecmem::VecMem;
use crate::instance::Vmi;
use crate::paging::PagingContext;

pub const KERNEL_BASE: u64 = 0xc000_0000;
pub const MEM_SIZE: u64 = 8 << 20;
/// The page directory, in the last page of memory.
pub const PGD: u64 = MEM_SIZE - 0x1000;

pub struct TestGuest {
    data: Vec<u8>,
}

impl TestGuest {
    pub fn new() -> TestGuest {
        let mut data = vec![0u8; MEM_SIZE as usize];
        // PDEs 0x300 and 0x301: present, writable, 4 MiB page.
        for i in 0..2u64 {
            let pde = ((i << 22) | 0x83) as u32;
            let at = (PGD + ((KERNEL_BASE >> 22) + i) * 4) as usize;
            data[at..at + 4].copy_from_slice(&pde.to_le_bytes());
        }
        TestGuest { data }
    }

    /// Writes `bytes` at kernel address `va`.
    pub fn write(&mut self, va: u64, bytes: &[u8]) {
        let pa = (va - KERNEL_BASE) as usize;
        assert!(
            pa + bytes.len() <= PGD as usize,
            "test data overlaps the page directory"
        );
        self.data[pa..pa + bytes.len()].copy_from_slice(bytes);
    }

    pub fn write_u32(&mut self, va: u64, v: u32) {
        self.write(va, &v.to_le_bytes());
    }

    pub fn into_vmi(self) -> Vmi {
        let mut vmi = Vmi::new(Box::new(VecMem::new(self.data)), "unit-test", 0);
        vmi.set_paging(PageMode::Legacy, PagingContext::new(PGD));
        vmi.set_kernel_dtb(PGD);
        vmi
    }
}
