//! Snapshot files (raw, ELF core with CPU notes, LiME) opened through the
//! file driver exactly as `vmi_init` opens them, then read everywhere a
//! caller might: range edges, registers, and a Linux init on top.

use std::path::PathBuf;

use vmi::config::{Config, Value};
use vmi::driver::file::FileDriver;
use vmi::driver::{PhysRange, PhysicalMemory, PhysicalWrite, Reg, Registers};
use vmi::instance::Vmi;

use super::rng::Rng;
use super::seeds;

/// A scratch file (unique per thread and call), removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str, bytes: &[u8]) -> Scratch {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("vmi-fuzz-{}-{tag}-{n}", std::process::id()));
        std::fs::write(&p, bytes).expect("write scratch file");
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Seeds: synthetic cores for three machines (and real QEMU notes when a
/// guest image is present), LiME, raw.
pub fn snapshot_seeds() -> Vec<Vec<u8>> {
    let mut s = vec![
        seeds::elf_core(
            seeds::EM_X86_64,
            &seeds::synthetic_notes(seeds::EM_X86_64, 2),
        ),
        seeds::elf_core(seeds::EM_386, &seeds::synthetic_notes(seeds::EM_386, 1)),
        seeds::elf_core(
            seeds::EM_AARCH64,
            &seeds::synthetic_notes(seeds::EM_AARCH64, 1),
        ),
        seeds::lime(),
        seeds::memory_pages(3),
    ];
    for g in ["x86_64", "i386", "arm64"] {
        let core = super::guests_root().join(g).join("core.elf");
        if let Some((machine, notes)) = seeds::real_notes(&core) {
            s.push(seeds::elf_core(machine, &notes));
        }
    }
    s
}

pub fn gen(rng: &mut Rng, seeds_: &[Vec<u8>]) -> Vec<u8> {
    let mut b = rng.pick(seeds_).clone();
    let max = b.len() * 2 + 65536;
    super::mutate::mutate(rng, &mut b, seeds::SNAPSHOT_DICT, max);
    b
}

const ALL_REGS: &[Reg] = &[
    Reg::Gpr(0),
    Reg::Gpr(4),
    Reg::Gpr(15),
    Reg::Gpr(16),
    Reg::Gpr(255),
    Reg::Rip,
    Reg::Rflags,
    Reg::Cr0,
    Reg::Cr2,
    Reg::Cr3,
    Reg::Cr4,
    Reg::Efer,
    Reg::Lstar,
    Reg::SysenterEip,
    Reg::FsBase,
    Reg::GsBase,
    Reg::KernelGsBase,
    Reg::IdtrBase,
    Reg::IdtrLimit,
    Reg::GdtrBase,
    Reg::GdtrLimit,
    Reg::Ttbr0,
    Reg::Ttbr1,
    Reg::Tcr,
    Reg::Sctlr,
    Reg::Pc,
    Reg::Sp,
    Reg::X(0),
    Reg::X(30),
    Reg::X(31),
    Reg::X(255),
];

fn poke_registers(regs: &dyn Registers) {
    let n = regs.num_vcpus();
    for vcpu in [0, 1, n.saturating_sub(1), n, u32::MAX] {
        for &r in ALL_REGS {
            let _ = regs.get_reg(r, vcpu);
        }
    }
}

/// Reads at every edge of every range, and across the whole space's ends.
fn poke_memory(mem: &dyn PhysicalMemory) -> Result<(), String> {
    let ranges: Vec<PhysRange> = mem.ranges().to_vec();
    let mut buf = vec![0u8; 2 * seeds::PAGE];
    let max = mem.max_physical_address();
    let _ = mem.memsize();
    let mut probes = vec![0, u64::MAX, u64::MAX - 4095, max, max.wrapping_sub(1)];
    for r in &ranges {
        if r.start > r.end {
            return Err(format!("range {r:?} ends before it starts"));
        }
        probes.extend([
            r.start,
            r.end.wrapping_sub(1),
            r.end,
            r.start.wrapping_sub(1),
        ]);
        probes.push(r.end.wrapping_sub(seeds::PAGE as u64));
    }
    for pa in probes {
        for len in [1usize, 8, 4096, 8192] {
            let _ = mem.read_phys(pa, &mut buf[..len]);
            let _ = mem.contiguous(pa, len);
        }
        if let Some(s) = mem.page_slice(pa) {
            // The slice must run exactly to the end of pa's page.
            let want = 4096 - (pa & 0xfff) as usize;
            if s.len() != want {
                return Err(format!(
                    "page_slice({pa:#x}) has {} bytes, not {want}",
                    s.len()
                ));
            }
        }
        mem.prefetch(pa, 1 << 20);
    }
    Ok(())
}

/// One case: open read-only (plain and with a memory map restricting it),
/// open writable and write, then build an instance and try a Linux init.
pub fn run(bytes: &[u8]) -> Result<bool, String> {
    let f = Scratch::new("snap", bytes);
    let drv = match FileDriver::open(&f.0, false, None) {
        Ok(d) => d,
        Err(e) => {
            let _ = e.to_string();
            return Ok(false);
        }
    };
    let _ = (drv.format(), drv.arch());
    poke_memory(&drv)?;
    if let Some(r) = vmi::driver::Driver::as_registers(&drv) {
        poke_registers(r);
    }
    drop(drv);

    // A memory map from the command line (VMI_INIT_DATA_MEMMAP), some of
    // it nonsense: it must restrict or fail, never panic.
    let h = bytes
        .iter()
        .fold(0u64, |h, &b| h.rotate_left(5) ^ u64::from(b));
    let maps = [
        vec![
            PhysRange {
                start: 0,
                end: 0x1000,
            },
            PhysRange {
                start: 0x10_0000,
                end: 0x10_2000,
            },
        ],
        vec![PhysRange {
            start: h & 0xffff_f000,
            end: (h & 0xffff_f000) + 0x3000,
        }],
        vec![PhysRange {
            start: 0x2000,
            end: 0x1000,
        }],
        vec![
            PhysRange {
                start: u64::MAX - 0xfff,
                end: u64::MAX,
            },
            PhysRange {
                start: 0,
                end: u64::MAX,
            },
        ],
    ];
    let map = &maps[(h % maps.len() as u64) as usize];
    if let Ok(d) = FileDriver::open(&f.0, false, Some(map)) {
        poke_memory(&d)?;
    }

    // Writes go to a copy: they may land on the headers (a PT_LOAD may
    // map file offset 0) and change what the file is.
    let w = Scratch::new("snap-rw", bytes);
    if let Ok(d) = FileDriver::open(&w.0, true, None) {
        let data = [0xa5u8; 16];
        for r in d.ranges().to_vec() {
            for pa in [r.start, r.end.wrapping_sub(8), r.end] {
                let _ = d.write_phys(pa, &data);
            }
        }
        let _ = d.flush();
    }

    let mut vm = match Vmi::open_file(&f.0, false) {
        Ok(v) => v,
        Err(_) => {
            return Err("FileDriver::open accepted the file but Vmi::open_file did not".into())
        }
    };
    let _ = vm.init_paging_from_registers();
    for va in [0u64, 0xffff_ffff_8100_0000, 0xc000_0000, u64::MAX] {
        let _ = vm.translate_kv2p(va);
    }
    let mut c = Config::new();
    c.insert("ostype", Value::Str("Linux".into()));
    vm.set_config(c);
    let _ = vmi::os::init_os(&mut vm);
    Ok(true)
}
