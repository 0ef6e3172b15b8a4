//! A synthetic guest: a raw memory image with hand-made IA-32e page
//! tables, an EPT that remaps one page, and a fake OS layer, so every
//! expected value below is computed from the layout, not observed.

// Each test binary uses a different part of the fixture.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vmi::capi::instance::{vmi_instance, vmi_instance_t};
use vmi::capi::types::VMI_FILE;
use vmi::instance::Vmi;
use vmi::os::{OsLayer, OsType, Process};
use vmi::paging::PagingContext;
use vmi::{Error, PageMode, Result};

pub const IMAGE_SIZE: usize = 4 << 20;

// Kernel address space (also "pid 0").
pub const KDTB: u64 = 0x1000;
const K_PDPT: u64 = 0x2000;
const K_PD: u64 = 0x3000;
const K_PT: u64 = 0x4000;
/// VA 0x400000.. : PT[0] -> 0x10000, PT[1] -> 0x15000, PT[2] absent,
/// PT[3] -> 0x13000.
pub const VA: u64 = 0x40_0000;
pub const PA0: u64 = 0x10000;
pub const PA1: u64 = 0x15000;
pub const PA3: u64 = 0x13000;
/// VA 0x200000 is one 2 MiB page at PA 0x200000.
pub const BIG_VA: u64 = 0x20_0000;
pub const BIG_PA: u64 = 0x20_0000;
/// A kernel pointer VA in the higher half, through PML4[511] -> the same
/// PDPT... mapping 0xffff_ff80_0040_0000 to PA0.
pub const HIGH_VA: u64 = 0xffff_ff80_0040_0000;

// Process 42's address space: VA 0x400000 -> 0x20000.
pub const PID: i32 = 42;
pub const UDTB: u64 = 0x5000;
const U_PDPT: u64 = 0x6000;
const U_PD: u64 = 0x7000;
const U_PT: u64 = 0x8000;
pub const UPA: u64 = 0x20000;

// EPT (identity for the first 2 MiB in 4 KiB pages, except GPA PA0 ->
// host EPT_REMAP; identity 2 MiB page above).
pub const EPT: u64 = 0x30000;
const EPT_PDPT: u64 = 0x31000;
const EPT_PD: u64 = 0x32000;
const EPT_PT: u64 = 0x33000;
pub const EPT_REMAP: u64 = 0x16000;

pub const SYM: &str = "init_task";
pub const SYM_VA: u64 = VA + 0x10;

const P: u64 = 1; // present
const RW: u64 = 2;
const PS: u64 = 0x80;
const EPT_RWX: u64 = 7;

fn put64(img: &mut [u8], at: u64, v: u64) {
    img[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
}

/// The bytes of the image; byte `i` of every data page holds a pattern
/// derived from its physical address unless overwritten.
pub fn build() -> Vec<u8> {
    let mut img = vec![0u8; IMAGE_SIZE];
    for (i, b) in img.iter_mut().enumerate().skip(0x10000) {
        *b = (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3];
    }
    // Page tables live below 0x10000 and are zero apart from their entries.
    for b in &mut img[0x1000..0x9000] {
        *b = 0;
    }
    for b in &mut img[0x30000..0x34000] {
        *b = 0;
    }
    put64(&mut img, KDTB, K_PDPT | P | RW);
    put64(&mut img, KDTB + 511 * 8, K_PDPT | P | RW);
    put64(&mut img, K_PDPT, K_PD | P | RW);
    put64(&mut img, K_PD + 8, BIG_PA | P | RW | PS);
    put64(&mut img, K_PD + 2 * 8, K_PT | P | RW);
    put64(&mut img, K_PT, PA0 | P | RW);
    put64(&mut img, K_PT + 8, PA1 | P | RW);
    put64(&mut img, K_PT + 3 * 8, PA3 | P | RW);

    put64(&mut img, UDTB, U_PDPT | P | RW);
    put64(&mut img, U_PDPT, U_PD | P | RW);
    put64(&mut img, U_PD + 2 * 8, U_PT | P | RW);
    put64(&mut img, U_PT, UPA | P | RW);

    put64(&mut img, EPT, EPT_PDPT | EPT_RWX);
    put64(&mut img, EPT_PDPT, EPT_PD | EPT_RWX);
    put64(&mut img, EPT_PD, EPT_PT | EPT_RWX);
    put64(&mut img, EPT_PD + 8, 0x20_0000 | EPT_RWX | PS);
    for i in 0..512u64 {
        let hpa = if i << 12 == PA0 { EPT_REMAP } else { i << 12 };
        put64(&mut img, EPT_PT + i * 8, hpa | EPT_RWX);
    }
    img
}

pub fn write_image(dir: &Path, name: &str, img: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, img).unwrap();
    p
}

/// Scratch directory unique to this test process and `tag`.
pub fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("capi_access_{}_{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct FakeOs;

impl OsLayer for FakeOs {
    fn os_type(&self) -> OsType {
        OsType::Linux
    }
    fn ksym2v(&self, _vmi: &Vmi, symbol: &str) -> Result<u64> {
        if symbol == SYM {
            Ok(SYM_VA)
        } else {
            Err(Error::SymbolNotFound)
        }
    }
    fn v2ksym(&self, _vmi: &Vmi, va: u64, _nearest: bool) -> Result<(String, u64)> {
        if va == SYM_VA {
            Ok((SYM.to_owned(), 0))
        } else {
            Err(Error::SymbolNotFound)
        }
    }
    fn pid_to_dtb(&self, _vmi: &Vmi, pid: i32) -> Result<u64> {
        if pid == PID {
            Ok(UDTB)
        } else {
            Err(Error::NotFound("pid"))
        }
    }
    fn dtb_to_pid(&self, _vmi: &Vmi, dtb: u64) -> Result<i32> {
        match dtb {
            UDTB => Ok(PID),
            KDTB => Ok(0),
            _ => Err(Error::NotFound("dtb")),
        }
    }
    fn offset(&self, _name: &str) -> Option<u64> {
        None
    }
    fn processes(&self, _vmi: &Vmi) -> Result<Vec<Process>> {
        Ok(Vec::new())
    }
}

/// An owned C handle over `path`, freed on drop.
pub struct Handle(pub vmi_instance_t);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: created by `open` with Box::into_raw, dropped once.
        drop(unsafe { Box::from_raw(self.0) });
    }
}

// The tests share the handle across threads on purpose: every function
// they call takes the instance by shared reference.
unsafe impl Send for Handle {}
unsafe impl Sync for Handle {}

pub fn open(path: &Path, writable: bool, with_os: bool) -> Handle {
    let mut core = Vmi::open_file(path, writable).unwrap();
    core.set_paging(PageMode::Ia32e, PagingContext::new(KDTB));
    core.set_kernel_dtb(KDTB);
    if with_os {
        core.set_os(Box::new(FakeOs));
    }
    Handle(Box::into_raw(Box::new(vmi_instance::new(
        core, VMI_FILE, 0,
    ))))
}
