//! Tests over real files written to a temporary directory: raw, LiME and
//! hand-built ELF cores, plus a deterministic header-mutation loop.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::driver::Reg;

// ---------------------------------------------------------------- helpers

struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("vmi-filedrv-{}-{n}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        TempFile(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The byte every test image stores at guest-physical `pa`.
fn pattern(pa: u64) -> u8 {
    let x = pa.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 56) as u8 ^ (pa as u8)
}

fn expected(pa: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| pattern(pa + i)).collect()
}

fn read(d: &dyn Driver, pa: u64, len: usize) -> Result<Vec<u8>> {
    let mut b = vec![0xccu8; len];
    d.read_phys(pa, &mut b)?;
    Ok(b)
}

fn put(buf: &mut Vec<u8>, off: usize, bytes: &[u8]) {
    if buf.len() < off + bytes.len() {
        buf.resize(off + bytes.len(), 0);
    }
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

// ---------------------------------------------------------------- ELF builder

struct Load {
    paddr: u64,
    filesz: u64,
    memsz: u64,
}

struct NoteSpec {
    name: &'static [u8],
    ntype: u32,
    desc: Vec<u8>,
}

const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;

/// Writes an ELF core: header, program headers (PT_NOTE first, as QEMU
/// does), the note blob, then each segment's data at a page-aligned offset
/// in *reverse* order so file order differs from physical order. Returns
/// the image and each load's file offset.
fn build_elf(wide: bool, machine: u16, notes: &[NoteSpec], loads: &[Load]) -> (Vec<u8>, Vec<u64>) {
    let (ehsize, phentsize) = if wide { (64usize, 56usize) } else { (52, 32) };
    let phnum = 1 + loads.len();
    let mut blob = Vec::new();
    for n in notes {
        let namesz = n.name.len() + 1;
        blob.extend_from_slice(&(namesz as u32).to_le_bytes());
        blob.extend_from_slice(&(n.desc.len() as u32).to_le_bytes());
        blob.extend_from_slice(&n.ntype.to_le_bytes());
        blob.extend_from_slice(n.name);
        blob.push(0);
        while blob.len() % 4 != 0 {
            blob.push(0);
        }
        blob.extend_from_slice(&n.desc);
        while blob.len() % 4 != 0 {
            blob.push(0);
        }
    }
    let note_off = ehsize + phnum * phentsize;
    let mut data_off = (note_off + blob.len()).div_ceil(0x1000) * 0x1000;
    let mut offsets = vec![0u64; loads.len()];
    for (i, l) in loads.iter().enumerate().rev() {
        offsets[i] = data_off as u64;
        data_off += (l.filesz as usize).div_ceil(0x1000) * 0x1000 + 0x1000;
    }

    let mut f = Vec::new();
    put(&mut f, 0, b"\x7fELF");
    put(&mut f, 4, &[if wide { 2 } else { 1 }, 1, 1]);
    put(&mut f, 16, &4u16.to_le_bytes()); // ET_CORE
    put(&mut f, 18, &machine.to_le_bytes());
    put(&mut f, 20, &1u32.to_le_bytes());
    if wide {
        put(&mut f, 32, &(ehsize as u64).to_le_bytes());
        put(&mut f, 52, &(ehsize as u16).to_le_bytes());
        put(&mut f, 54, &(phentsize as u16).to_le_bytes());
        put(&mut f, 56, &(phnum as u16).to_le_bytes());
    } else {
        put(&mut f, 28, &(ehsize as u32).to_le_bytes());
        put(&mut f, 40, &(ehsize as u16).to_le_bytes());
        put(&mut f, 42, &(phentsize as u16).to_le_bytes());
        put(&mut f, 44, &(phnum as u16).to_le_bytes());
    }
    let mut ph = |i: usize, ty: u32, off: u64, paddr: u64, filesz: u64, memsz: u64| {
        let b = ehsize + i * phentsize;
        put(&mut f, b, &ty.to_le_bytes());
        if wide {
            put(&mut f, b + 8, &off.to_le_bytes());
            put(&mut f, b + 24, &paddr.to_le_bytes());
            put(&mut f, b + 32, &filesz.to_le_bytes());
            put(&mut f, b + 40, &memsz.to_le_bytes());
        } else {
            put(&mut f, b + 4, &(off as u32).to_le_bytes());
            put(&mut f, b + 12, &(paddr as u32).to_le_bytes());
            put(&mut f, b + 16, &(filesz as u32).to_le_bytes());
            put(&mut f, b + 20, &(memsz as u32).to_le_bytes());
        }
    };
    ph(0, PT_NOTE, note_off as u64, 0, blob.len() as u64, 0);
    for (i, l) in loads.iter().enumerate() {
        ph(i + 1, PT_LOAD, offsets[i], l.paddr, l.filesz, l.memsz);
    }
    put(&mut f, note_off, &blob);
    for (i, l) in loads.iter().enumerate() {
        put(
            &mut f,
            offsets[i] as usize,
            &expected(l.paddr, l.filesz as usize),
        );
    }
    (f, offsets)
}

/// Linux x86_64 `user_regs_struct` member order.
const USER_REGS_X86_64: [&str; 27] = [
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi",
    "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs",
    "gs",
];
/// `QEMUCPUState` GPR order.
const QEMU_GPRS: [&str; 16] = [
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];
/// Instruction-encoding order used by `Reg::Gpr`.
const ENCODING_GPRS: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];

/// A distinct value per (source, register name, vCPU).
fn regval(src: u64, name: &str, vcpu: u64) -> u64 {
    let mut h = src.wrapping_mul(0x1000_0000_01b3) ^ (vcpu << 40);
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn prstatus_x86_64(vcpu: u64) -> Vec<u8> {
    let mut d = vec![0u8; 336];
    for (i, name) in USER_REGS_X86_64.iter().enumerate() {
        put(&mut d, 112 + i * 8, &regval(1, name, vcpu).to_le_bytes());
    }
    d
}

const CR0: u64 = 0x8005_0033;
const CR4: u64 = 0x0035_06f0;

fn cr3_of(vcpu: u64) -> u64 {
    0x1aa000 + vcpu * 0x1000
}

fn qemu_note(vcpu: u64, size: u32) -> Vec<u8> {
    let mut d = vec![0u8; size as usize];
    put(&mut d, 0, &1u32.to_le_bytes());
    put(&mut d, 4, &size.to_le_bytes());
    for (i, name) in QEMU_GPRS.iter().enumerate() {
        put(&mut d, 8 + i * 8, &regval(2, name, vcpu).to_le_bytes());
    }
    put(&mut d, 136, &regval(2, "rip", vcpu).to_le_bytes());
    put(&mut d, 144, &regval(2, "rflags", vcpu).to_le_bytes());
    // Segments cs ds es fs gs ss at 152, 24 bytes each: flags @8, base @16.
    put(&mut d, 152 + 8, &(1u32 << 21).to_le_bytes()); // cs.L
    put(
        &mut d,
        152 + 3 * 24 + 16,
        &regval(2, "fs_base", vcpu).to_le_bytes(),
    );
    put(
        &mut d,
        152 + 4 * 24 + 16,
        &regval(2, "gs_base", vcpu).to_le_bytes(),
    );
    // gdt and idt are segments 8 and 9: limit @4, base @16.
    for (idx, name) in [(8, "gdt"), (9, "idt")] {
        let at = 152 + idx * 24;
        put(
            &mut d,
            at + 4,
            &(regval(2, name, vcpu) as u32 & 0xffff).to_le_bytes(),
        );
        put(&mut d, at + 16, &regval(3, name, vcpu).to_le_bytes());
    }
    put(&mut d, 392, &CR0.to_le_bytes());
    put(&mut d, 392 + 16, &0xdead_b000u64.to_le_bytes());
    put(&mut d, 392 + 24, &cr3_of(vcpu).to_le_bytes());
    put(&mut d, 392 + 32, &CR4.to_le_bytes());
    if size >= 440 {
        put(
            &mut d,
            432,
            &regval(2, "kernel_gs_base", vcpu).to_le_bytes(),
        );
    }
    d
}

const GIB4: u64 = 0x1_0000_0000;

/// Two vCPUs (QEMU note v1 with and without kernel_gs_base) and four
/// PT_LOADs: [0,0x3000) and [0x3000,0x4000) adjacent but stored apart, a
/// hole, [0x5000,0x8000) stored only up to 0x6800, and 8 KiB above 4 GiB.
fn qemu_like_core() -> (Vec<u8>, Vec<u64>) {
    let notes = [
        NoteSpec {
            name: b"CORE",
            ntype: 1,
            desc: prstatus_x86_64(0),
        },
        NoteSpec {
            name: b"CORE",
            ntype: 1,
            desc: prstatus_x86_64(1),
        },
        NoteSpec {
            name: b"QEMU",
            ntype: 0,
            desc: qemu_note(0, 440),
        },
        NoteSpec {
            name: b"QEMU",
            ntype: 0,
            desc: qemu_note(1, 432),
        },
    ];
    let loads = [
        Load {
            paddr: 0,
            filesz: 0x3000,
            memsz: 0x3000,
        },
        Load {
            paddr: 0x3000,
            filesz: 0x1000,
            memsz: 0x1000,
        },
        Load {
            paddr: 0x5000,
            filesz: 0x1800,
            memsz: 0x3000,
        },
        Load {
            paddr: GIB4,
            filesz: 0x2000,
            memsz: 0x2000,
        },
    ];
    build_elf(true, 62, &notes, &loads)
}

fn raw_image(len: usize) -> Vec<u8> {
    expected(0, len)
}

fn lime_image(ranges: &[(u64, u64)]) -> Vec<u8> {
    let mut f = Vec::new();
    for &(s, e) in ranges {
        f.extend_from_slice(&0x4C69_4D45u32.to_le_bytes());
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&s.to_le_bytes());
        f.extend_from_slice(&e.to_le_bytes());
        f.extend_from_slice(&[0u8; 8]);
        f.extend_from_slice(&expected(s, (e - s + 1) as usize));
    }
    f
}

fn oor(r: Result<Vec<u8>>) -> Option<u64> {
    match r {
        Err(Error::PhysicalOutOfRange { pa }) => Some(pa),
        _ => None,
    }
}

// ---------------------------------------------------------------- raw

#[test]
fn raw_reads_bounds_and_slices() {
    let t = TempFile::new("img.elf", &raw_image(0x10000 + 0x123));
    let d = FileDriver::open(t.path(), false, None).unwrap();
    assert_eq!(
        d.format(),
        FileFormat::Raw,
        "detection must ignore the file name"
    );
    assert_eq!(
        d.ranges(),
        &[PhysRange {
            start: 0,
            end: 0x10123
        }]
    );
    assert_eq!(d.memsize(), 0x10123);
    assert_eq!(read(&d, 0x1ff8, 16).unwrap(), expected(0x1ff8, 16));
    assert_eq!(read(&d, 0x10120, 3).unwrap(), expected(0x10120, 3));
    assert_eq!(oor(read(&d, 0x10120, 4)), Some(0x10123));
    assert_eq!(oor(read(&d, u64::MAX - 2, 8)), Some(u64::MAX - 2));
    let s = d.page_slice(0x1234).unwrap();
    assert_eq!(s.len(), 0x1000 - 0x234);
    assert_eq!(s, &expected(0x1234, s.len())[..]);
    // The last page is only partly in the file: no slice, read_phys decides.
    assert!(d.page_slice(0x10000).is_none());
    assert!(d.page_slice(0x20000).is_none());
    assert!(d.as_registers().is_none());
}

#[test]
fn raw_read_only_refuses_writes() {
    let t = TempFile::new("ro.raw", &raw_image(0x4000));
    let d = FileDriver::open(t.path(), false, None).unwrap();
    assert!(d.as_write().is_none());
    assert!(matches!(
        d.write_phys(0, &[1, 2, 3]),
        Err(Error::Unsupported(_))
    ));
    assert_eq!(std::fs::read(t.path()).unwrap(), raw_image(0x4000));
}

#[test]
fn raw_writable_writes_reach_file() {
    let t = TempFile::new("rw.raw", &raw_image(0x4000));
    {
        let d = open(t.path(), true).unwrap();
        let w = d.as_write().unwrap();
        w.write_phys(0xffe, &[0xaa, 0xbb, 0xcc, 0xdd]).unwrap();
        assert_eq!(read(&*d, 0xffe, 4).unwrap(), vec![0xaa, 0xbb, 0xcc, 0xdd]);
        assert_eq!(
            oor(w.write_phys(0x3ffe, &[0; 4]).map(|_| vec![])),
            Some(0x4000)
        );
        // Writable maps never lend slices: bytes could change under them.
        assert!(d.page_slice(0).is_none());
    }
    let mut want = raw_image(0x4000);
    want[0xffe..0x1002].copy_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd]);
    assert_eq!(std::fs::read(t.path()).unwrap(), want);
}

#[test]
fn raw_with_memory_map() {
    let t = TempFile::new("mm.raw", &raw_image(0x10000));
    let ranges = vec![
        PhysRange {
            start: 0x1000,
            end: 0x3000,
        },
        PhysRange {
            start: 0x8000,
            end: 0x20000,
        },
    ];
    let d = open_with_ranges(t.path(), false, ranges).unwrap();
    assert_eq!(
        d.ranges(),
        &[
            PhysRange {
                start: 0x1000,
                end: 0x3000
            },
            PhysRange {
                start: 0x8000,
                end: 0x10000
            }
        ]
    );
    assert_eq!(oor(read(&*d, 0, 8)), Some(0));
    assert_eq!(read(&*d, 0x2ff8, 8).unwrap(), expected(0x2ff8, 8));
    assert_eq!(oor(read(&*d, 0x2ff8, 9)), Some(0x3000));
    assert_eq!(d.page_slice(0x8010).unwrap(), &expected(0x8010, 0xff0)[..]);
    assert!(d.page_slice(0x4000).is_none());
    let bad = open_with_ranges(
        t.path(),
        false,
        vec![PhysRange {
            start: 0x20000,
            end: 0x30000,
        }],
    );
    assert!(matches!(bad, Err(Error::InvalidArgument(_))));
}

#[test]
fn empty_and_missing_files_fail_cleanly() {
    let t = TempFile::new("empty", &[]);
    assert!(matches!(
        open(t.path(), false),
        Err(Error::InvalidArgument(_))
    ));
    let missing = std::env::temp_dir().join("vmi-filedrv-does-not-exist");
    assert!(matches!(open(&missing, false), Err(Error::Os { .. })));
}

// ---------------------------------------------------------------- ELF

#[test]
fn elf_core_layout_and_reads() {
    let (img, _) = qemu_like_core();
    let t = TempFile::new("dump.raw", &img);
    let d = FileDriver::open(t.path(), false, None).unwrap();
    assert_eq!(d.format(), FileFormat::ElfCore);
    assert_eq!(d.arch(), Some(Arch::X86_64));
    assert_eq!(
        d.ranges(),
        &[
            PhysRange {
                start: 0,
                end: 0x4000
            },
            PhysRange {
                start: 0x5000,
                end: 0x8000
            },
            PhysRange {
                start: GIB4,
                end: GIB4 + 0x2000
            },
        ]
    );
    assert_eq!(d.max_physical_address(), GIB4 + 0x2000);
    assert_eq!(d.memsize(), 0x4000 + 0x3000 + 0x2000);
    // Across two segments stored in different places of the file.
    assert_eq!(read(&d, 0x2ff0, 0x20).unwrap(), expected(0x2ff0, 0x20));
    // Holes, including a read that starts backed and runs into one.
    assert_eq!(oor(read(&d, 0x4000, 1)), Some(0x4000));
    assert_eq!(oor(read(&d, 0x3ff8, 16)), Some(0x4000));
    assert_eq!(oor(read(&d, GIB4 - 1, 2)), Some(GIB4 - 1));
    assert_eq!(oor(read(&d, GIB4 + 0x1ff8, 9)), Some(GIB4 + 0x2000));
    // Above 4 GiB.
    assert_eq!(
        read(&d, GIB4 + 0x1000, 8).unwrap(),
        expected(GIB4 + 0x1000, 8)
    );
    // Unstored tail reads as zeros, also when a read straddles the edge.
    let mut want = expected(0x67f0, 0x10);
    want.extend_from_slice(&[0u8; 0x10]);
    assert_eq!(read(&d, 0x67f0, 0x20).unwrap(), want);
    assert_eq!(read(&d, 0x7ff0, 0x10).unwrap(), vec![0u8; 0x10]);
}

#[test]
fn elf_core_page_slices() {
    let (img, _) = qemu_like_core();
    let t = TempFile::new("slices", &img);
    let d = FileDriver::open(t.path(), false, None).unwrap();
    assert_eq!(d.page_slice(0x3000).unwrap(), &expected(0x3000, 0x1000)[..]);
    assert_eq!(d.page_slice(0x2008).unwrap(), &expected(0x2008, 0xff8)[..]);
    assert_eq!(
        d.page_slice(GIB4 + 0x1800).unwrap(),
        &expected(GIB4 + 0x1800, 0x800)[..]
    );
    // Page half stored, half zero tail: caller must fall back.
    assert!(d.page_slice(0x6000).is_none());
    assert_eq!(d.page_slice(0x7100).unwrap(), &[0u8; 0xf00][..]);
    assert!(d.page_slice(0x4000).is_none());
    assert!(d.page_slice(u64::MAX).is_none());
}

#[test]
fn elf_core_registers_from_notes() {
    let (img, _) = qemu_like_core();
    let t = TempFile::new("regs", &img);
    let d = open(t.path(), false).unwrap();
    let r = d.as_registers().unwrap();
    assert_eq!(r.num_vcpus(), 2);
    for vcpu in 0..2u32 {
        let v = u64::from(vcpu);
        for (i, name) in ENCODING_GPRS.iter().enumerate() {
            assert_eq!(
                r.get_reg(Reg::Gpr(i as u8), vcpu),
                Ok(regval(2, name, v)),
                "{name}"
            );
        }
        assert_eq!(r.get_reg(Reg::Rip, vcpu), Ok(regval(2, "rip", v)));
        assert_eq!(r.get_reg(Reg::Rflags, vcpu), Ok(regval(2, "rflags", v)));
        assert_eq!(r.get_reg(Reg::FsBase, vcpu), Ok(regval(2, "fs_base", v)));
        assert_eq!(r.get_reg(Reg::GsBase, vcpu), Ok(regval(2, "gs_base", v)));
        assert_eq!(r.get_reg(Reg::Cr0, vcpu), Ok(CR0));
        assert_eq!(r.get_reg(Reg::Cr2, vcpu), Ok(0xdead_b000));
        assert_eq!(r.get_reg(Reg::Cr3, vcpu), Ok(cr3_of(v)));
        assert_eq!(r.get_reg(Reg::Cr4, vcpu), Ok(CR4));
        assert_eq!(r.get_reg(Reg::Efer, vcpu), Ok(0x500));
        for (base, limit, name) in [
            (Reg::IdtrBase, Reg::IdtrLimit, "idt"),
            (Reg::GdtrBase, Reg::GdtrLimit, "gdt"),
        ] {
            assert_eq!(r.get_reg(base, vcpu), Ok(regval(3, name, v)), "{name}");
            assert_eq!(
                r.get_reg(limit, vcpu),
                Ok(regval(2, name, v) & 0xffff),
                "{name}"
            );
        }
        assert!(matches!(
            r.get_reg(Reg::Lstar, vcpu),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(
            r.get_reg(Reg::Ttbr1, vcpu),
            Err(Error::NotFound(_))
        ));
    }
    // vCPU 1's note predates kernel_gs_base (size 432).
    assert_eq!(
        r.get_reg(Reg::KernelGsBase, 0),
        Ok(regval(2, "kernel_gs_base", 0))
    );
    assert!(matches!(
        r.get_reg(Reg::KernelGsBase, 1),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        r.get_reg(Reg::Gpr(16), 0),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        r.get_reg(Reg::Rip, 2),
        Err(Error::InvalidArgument(_))
    ));
    assert!(r.set_reg(Reg::Rip, 0, 0).is_err());
}

#[test]
fn elf_core_prstatus_only() {
    // A kdump-style core: registers come from NT_PRSTATUS alone.
    let notes = [
        NoteSpec {
            name: b"CORE",
            ntype: 1,
            desc: prstatus_x86_64(7),
        },
        NoteSpec {
            name: b"VMCOREINFO",
            ntype: 0,
            desc: b"OSRELEASE=6.1\n".to_vec(),
        },
    ];
    let loads = [Load {
        paddr: 0x100000,
        filesz: 0x2000,
        memsz: 0x2000,
    }];
    let (img, _) = build_elf(true, 62, &notes, &loads);
    let t = TempFile::new("kdump", &img);
    let d = open(t.path(), false).unwrap();
    let r = d.as_registers().unwrap();
    assert_eq!(r.num_vcpus(), 1);
    for (i, name) in ENCODING_GPRS.iter().enumerate() {
        assert_eq!(
            r.get_reg(Reg::Gpr(i as u8), 0),
            Ok(regval(1, name, 7)),
            "{name}"
        );
    }
    assert_eq!(r.get_reg(Reg::Rip, 0), Ok(regval(1, "rip", 7)));
    assert_eq!(r.get_reg(Reg::Rflags, 0), Ok(regval(1, "eflags", 7)));
    assert_eq!(r.get_reg(Reg::GsBase, 0), Ok(regval(1, "gs_base", 7)));
    assert!(matches!(r.get_reg(Reg::Cr3, 0), Err(Error::NotFound(_))));
    assert!(matches!(r.get_reg(Reg::Efer, 0), Err(Error::NotFound(_))));
    assert!(matches!(
        r.get_reg(Reg::IdtrBase, 0),
        Err(Error::NotFound(_))
    ));
    assert_eq!(read(&*d, 0x101ff8, 8).unwrap(), expected(0x101ff8, 8));
}

#[test]
fn elf32_i386_core() {
    // i386 user_regs_struct order.
    let names = [
        "ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es", "fs", "gs", "orig_eax", "eip",
        "cs", "eflags", "esp", "ss",
    ];
    let mut pr = vec![0u8; 144];
    for (i, n) in names.iter().enumerate() {
        put(&mut pr, 72 + i * 4, &(regval(3, n, 0) as u32).to_le_bytes());
    }
    let notes = [NoteSpec {
        name: b"CORE",
        ntype: 1,
        desc: pr,
    }];
    let loads = [
        Load {
            paddr: 0,
            filesz: 0x1000,
            memsz: 0x1000,
        },
        Load {
            paddr: 0x1000,
            filesz: 0x1000,
            memsz: 0x1000,
        },
    ];
    let (img, _) = build_elf(false, 3, &notes, &loads);
    let t = TempFile::new("i386", &img);
    let d = FileDriver::open(t.path(), false, None).unwrap();
    assert_eq!(d.arch(), Some(Arch::X86));
    assert_eq!(
        d.ranges(),
        &[PhysRange {
            start: 0,
            end: 0x2000
        }]
    );
    assert_eq!(read(&d, 0xffc, 8).unwrap(), expected(0xffc, 8));
    let r = d.as_registers().unwrap();
    let enc = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
    for (i, n) in enc.iter().enumerate() {
        assert_eq!(
            r.get_reg(Reg::Gpr(i as u8), 0),
            Ok(u64::from(regval(3, n, 0) as u32))
        );
    }
    assert_eq!(
        r.get_reg(Reg::Rip, 0),
        Ok(u64::from(regval(3, "eip", 0) as u32))
    );
}

#[test]
fn elf_aarch64_core() {
    let mut pr = vec![0u8; 392];
    for i in 0..34u64 {
        put(&mut pr, 112 + i as usize * 8, &(0xa000 + i).to_le_bytes());
    }
    let notes = [NoteSpec {
        name: b"CORE",
        ntype: 1,
        desc: pr,
    }];
    let loads = [Load {
        paddr: 0x4000_0000,
        filesz: 0x1000,
        memsz: 0x1000,
    }];
    let (img, _) = build_elf(true, 183, &notes, &loads);
    let t = TempFile::new("arm64", &img);
    let d = FileDriver::open(t.path(), false, None).unwrap();
    assert_eq!(d.arch(), Some(Arch::Arm64));
    let r = d.as_registers().unwrap();
    assert_eq!(r.get_reg(Reg::X(0), 0), Ok(0xa000));
    assert_eq!(r.get_reg(Reg::X(30), 0), Ok(0xa000 + 30));
    assert_eq!(r.get_reg(Reg::Sp, 0), Ok(0xa000 + 31));
    assert_eq!(r.get_reg(Reg::Pc, 0), Ok(0xa000 + 32));
    assert!(matches!(r.get_reg(Reg::X(31), 0), Err(Error::NotFound(_))));
    assert!(matches!(r.get_reg(Reg::Ttbr1, 0), Err(Error::NotFound(_))));
    assert!(matches!(r.get_reg(Reg::Cr3, 0), Err(Error::NotFound(_))));
}

#[test]
fn elf_writes() {
    let (img, offs) = qemu_like_core();
    let t = TempFile::new("rw.core", &img);
    {
        let d = open(t.path(), true).unwrap();
        let w = d.as_write().unwrap();
        // Spans the two adjacent segments stored apart in the file.
        w.write_phys(0x2ffe, &[1, 2, 3, 4]).unwrap();
        assert_eq!(read(&*d, 0x2ffe, 4).unwrap(), vec![1, 2, 3, 4]);
        // Touches the unstored tail: refused as a whole, nothing written.
        assert!(matches!(
            w.write_phys(0x67fe, &[9; 4]),
            Err(Error::Unsupported(_))
        ));
        assert_eq!(read(&*d, 0x67fe, 2).unwrap(), expected(0x67fe, 2));
        // Runs into a hole: refused, nothing written.
        assert_eq!(
            oor(w.write_phys(0x3ffe, &[9; 4]).map(|_| vec![])),
            Some(0x4000)
        );
        assert_eq!(read(&*d, 0x3ffe, 2).unwrap(), expected(0x3ffe, 2));
    }
    let file = std::fs::read(t.path()).unwrap();
    let a = offs[0] as usize + 0x2ffe;
    let b = offs[1] as usize;
    assert_eq!(&file[a..a + 2], &[1, 2]);
    assert_eq!(&file[b..b + 2], &[3, 4]);
    // Read-only opens of the same core refuse writes.
    let d = open(t.path(), false).unwrap();
    assert!(d.as_write().is_none());
}

#[test]
fn elf_non_core_is_raw_and_overlaps_rejected() {
    let (mut img, _) = qemu_like_core();
    img[16] = 2; // ET_EXEC
    let t = TempFile::new("exec", &img);
    assert_eq!(
        FileDriver::open(t.path(), false, None).unwrap().format(),
        FileFormat::Raw
    );

    let loads = [
        Load {
            paddr: 0,
            filesz: 0x2000,
            memsz: 0x2000,
        },
        Load {
            paddr: 0x1000,
            filesz: 0x2000,
            memsz: 0x2000,
        },
    ];
    let (img, _) = build_elf(true, 62, &[], &loads);
    let t = TempFile::new("overlap", &img);
    assert!(matches!(open(t.path(), false), Err(Error::Malformed(_))));

    // A kdump-style alias fully inside another segment is dropped.
    let loads = [
        Load {
            paddr: 0x1000,
            filesz: 0x1000,
            memsz: 0x1000,
        },
        Load {
            paddr: 0,
            filesz: 0x4000,
            memsz: 0x4000,
        },
    ];
    let (img, _) = build_elf(true, 62, &[], &loads);
    let t = TempFile::new("alias", &img);
    let d = open(t.path(), false).unwrap();
    assert_eq!(
        d.ranges(),
        &[PhysRange {
            start: 0,
            end: 0x4000
        }]
    );
    assert!(d.as_registers().is_none());
}

#[test]
fn elf_hostile_headers() {
    let (img, _) = qemu_like_core();
    type Mutator = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<Mutator> = vec![
        // phoff beyond the file
        Box::new(|f| put(f, 32, &u64::MAX.to_le_bytes())),
        // PN_XNUM with a huge count in section header 0
        Box::new(|f| {
            put(f, 56, &0xffffu16.to_le_bytes());
            put(f, 40, &64u64.to_le_bytes());
            put(f, 64 + 44, &u32::MAX.to_le_bytes());
        }),
        // phentsize too small
        Box::new(|f| put(f, 54, &8u16.to_le_bytes())),
        // PT_LOAD offset beyond the file (phdr 1 is the first load)
        Box::new(|f| put(f, 64 + 56 + 8, &0x7fff_ffff_0000u64.to_le_bytes())),
        // PT_LOAD wrapping the address space
        Box::new(|f| put(f, 64 + 56 + 24, &(u64::MAX - 0x10).to_le_bytes())),
        // p_filesz > p_memsz
        Box::new(|f| put(f, 64 + 56 + 32, &0x3001u64.to_le_bytes())),
        // bad class
        Box::new(|f| put(f, 4, &[7])),
    ];
    for (i, c) in cases.iter().enumerate() {
        let mut f = img.clone();
        c(&mut f);
        let t = TempFile::new("hostile", &f);
        assert!(
            matches!(open(t.path(), false), Err(Error::Malformed(_))),
            "case {i}"
        );
    }
    // Damaged notes only cost the registers, not the memory.
    let mut f = img.clone();
    put(&mut f, 64 + 32, &0x7fff_0000u64.to_le_bytes()); // PT_NOTE p_filesz
    let t = TempFile::new("badnotes", &f);
    let d = open(t.path(), false).unwrap();
    assert!(d.as_registers().is_none());
    assert_eq!(read(&*d, 0x10, 4).unwrap(), expected(0x10, 4));
}

// ---------------------------------------------------------------- LiME

#[test]
fn lime_ranges_and_reads() {
    let img = lime_image(&[(0, 0x2fff), (0x3000, 0x3fff), (0x100000, 0x100fff)]);
    let t = TempFile::new("mem.raw", &img);
    let d = FileDriver::open(t.path(), false, None).unwrap();
    assert_eq!(d.format(), FileFormat::Lime);
    assert_eq!(
        d.ranges(),
        &[
            PhysRange {
                start: 0,
                end: 0x4000
            },
            PhysRange {
                start: 0x100000,
                end: 0x101000
            }
        ]
    );
    assert_eq!(read(&d, 0x2ff0, 0x20).unwrap(), expected(0x2ff0, 0x20));
    assert_eq!(oor(read(&d, 0x4000, 1)), Some(0x4000));
    assert_eq!(oor(read(&d, 0x100ff8, 9)), Some(0x101000));
    assert_eq!(
        d.page_slice(0x100000).unwrap(),
        &expected(0x100000, 0x1000)[..]
    );
    assert_eq!(d.page_slice(0x3ff0).unwrap(), &expected(0x3ff0, 0x10)[..]);
    assert!(d.as_registers().is_none());
}

#[test]
fn lime_writable() {
    let img = lime_image(&[(0x1000, 0x1fff), (0x2000, 0x2fff)]);
    let t = TempFile::new("rw.lime", &img);
    {
        let d = open(t.path(), true).unwrap();
        d.as_write()
            .unwrap()
            .write_phys(0x1ffe, &[5, 6, 7, 8])
            .unwrap();
    }
    let f = std::fs::read(t.path()).unwrap();
    // First range data starts at 32, second header follows it.
    assert_eq!(&f[32 + 0xffe..32 + 0x1000], &[5, 6]);
    assert_eq!(&f[32 + 0x1000 + 32..32 + 0x1000 + 34], &[7, 8]);
}

#[test]
fn lime_hostile_headers() {
    let good = lime_image(&[(0, 0xfff), (0x2000, 0x2fff)]);
    let second = 32 + 0x1000;
    let cases: Vec<(usize, Vec<u8>)> = vec![
        (4, 2u32.to_le_bytes().to_vec()),                // version
        (16, u64::MAX.to_le_bytes().to_vec()),           // e_addr: huge range
        (8, 0x10000u64.to_le_bytes().to_vec()),          // s_addr > e_addr
        (second, b"XXXX".to_vec()),                      // second magic
        (second + 16, 0x3000u64.to_le_bytes().to_vec()), // data past EOF
        (second + 8, 0x800u64.to_le_bytes().to_vec()),   // overlaps the first
    ];
    for (off, bytes) in cases {
        let mut f = good.clone();
        put(&mut f, off, &bytes);
        let t = TempFile::new("hostile.lime", &f);
        let e = open(t.path(), false);
        assert!(
            matches!(e, Err(Error::Malformed(_) | Error::Unsupported(_))),
            "offset {off}"
        );
    }
    let mut f = good.clone();
    f.extend_from_slice(&[1, 2, 3]);
    let t = TempFile::new("trail.lime", &f);
    assert!(matches!(open(t.path(), false), Err(Error::Malformed(_))));
}

#[test]
fn lime_trailing_zero_padding() {
    // LiME written to a block device: the device's zeros follow the last range.
    let good = lime_image(&[(0, 0xfff), (0x2000, 0x2fff)]);
    let want = [
        PhysRange {
            start: 0,
            end: 0x1000,
        },
        PhysRange {
            start: 0x2000,
            end: 0x3000,
        },
    ];
    for pad in [5usize, 32, 0x10000] {
        let mut f = good.clone();
        f.resize(f.len() + pad, 0);
        let t = TempFile::new("padded.lime", &f);
        let d = FileDriver::open(t.path(), false, None).unwrap();
        assert_eq!(d.format(), FileFormat::Lime, "pad {pad}");
        assert_eq!(d.ranges(), &want, "pad {pad}");
        assert_eq!(read(&d, 0x2ff8, 8).unwrap(), expected(0x2ff8, 8));
        assert_eq!(oor(read(&d, 0x3000, 1)), Some(0x3000));
    }
    // A header that is only partly zero is still garbage.
    let mut f = good.clone();
    f.resize(f.len() + 64, 0);
    f[good.len() + 20] = 1;
    let t = TempFile::new("padjunk.lime", &f);
    assert!(matches!(open(t.path(), false), Err(Error::Malformed(_))));
    // Zeros where the first header belongs are not a LiME file at all.
    let mut f = vec![0u8; 32];
    f.extend_from_slice(&good);
    let t = TempFile::new("zerofirst.lime", &f);
    assert_ne!(
        FileDriver::open(t.path(), false, None).unwrap().format(),
        FileFormat::Lime
    );
}

// ---------------------------------------------------------------- mutation

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Exercises every entry point on whatever `open` accepted.
fn poke(d: &dyn Driver, rng: &mut Rng) {
    let mut buf = [0u8; 64];
    let ranges = d.ranges().to_vec();
    for w in ranges.windows(2) {
        assert!(w[0].end <= w[1].start && w[0].start < w[0].end);
    }
    for _ in 0..16 {
        let pa = match ranges.get(rng.below(ranges.len() as u64 + 1) as usize) {
            Some(r) => r.start.wrapping_add(rng.below(0x2000)).wrapping_sub(0x10),
            None => rng.next(),
        };
        let len = rng.below(64) as usize;
        let _ = d.read_phys(pa, &mut buf[..len]);
        if let Some(s) = d.page_slice(pa) {
            assert_eq!(s.len() as u64, PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
        }
    }
    if let Some(r) = d.as_registers() {
        for vcpu in 0..r.num_vcpus().min(3) + 1 {
            for reg in [
                Reg::Gpr(3),
                Reg::Rip,
                Reg::Cr3,
                Reg::Efer,
                Reg::KernelGsBase,
                Reg::IdtrBase,
                Reg::X(3),
            ] {
                let _ = r.get_reg(reg, vcpu);
            }
        }
    }
}

/// Flips bytes and plants extreme values in the header area of valid ELF
/// and LiME images; opening and using the result must never panic.
#[test]
fn header_mutations_never_panic() {
    let (elf, _) = qemu_like_core();
    let lime = lime_image(&[(0, 0x1fff), (0x5000, 0x5fff), (GIB4, GIB4 + 0xfff)]);
    let hdr_len_elf = 64 + 5 * 56 + 4 * (20 + 448); // headers and notes
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut opened = 0;
    let t = TempFile::new("mutant", &elf);
    for iter in 0..2500 {
        let (base, span) = if iter % 3 == 2 {
            (&lime, 0x2100)
        } else {
            (&elf, hdr_len_elf)
        };
        let mut f = base.clone();
        for _ in 0..1 + rng.below(4) {
            let off = rng.below(span as u64) as usize;
            match rng.below(4) {
                0 => f[off] ^= 1 << rng.below(8),
                1 => f[off] = rng.next() as u8,
                2 => {
                    let v = [0u64, u64::MAX, 0x8000_0000_0000_0000, 0xffff_ffff, 0x1000]
                        [rng.below(5) as usize];
                    let end = (off + 8).min(f.len());
                    f[off..end].copy_from_slice(&v.to_le_bytes()[..end - off]);
                }
                _ => {
                    let v = rng.next().to_le_bytes();
                    let end = (off + 8).min(f.len());
                    f[off..end].copy_from_slice(&v[..end - off]);
                }
            }
        }
        if rng.below(8) == 0 {
            let cut = rng.below(f.len() as u64) as usize;
            f.truncate(cut.max(1));
        }
        std::fs::write(t.path(), &f).unwrap();
        if let Ok(d) = open(t.path(), false) {
            opened += 1;
            poke(&*d, &mut rng);
        }
    }
    // Most single-field mutations leave a usable image; if nothing opened,
    // the loop would be testing only the error paths.
    assert!(opened > 500, "only {opened} mutants opened");
}

// ------------------------------------------------ regressions found by fuzzing

/// An ELF core whose one PT_LOAD claims ~5.5 EiB of unstored (zero)
/// memory: it opens, but scans see only the stored pages, so a Linux init
/// on it fails quickly instead of sampling exabytes (it hung before).
#[test]
fn huge_zero_tail_is_not_scanned() {
    let loads = [Load {
        paddr: 0,
        filesz: 0x2000,
        memsz: 0x4c45_7f00_0000_2000,
    }];
    let (img, _) = build_elf(true, 62, &[], &loads);
    let t = TempFile::new("zero-tail", &img);
    let d = open(t.path(), false).unwrap();
    assert_eq!(
        d.ranges(),
        &[PhysRange {
            start: 0,
            end: 0x4c45_7f00_0000_2000
        }]
    );
    assert_eq!(
        d.scan_ranges(),
        vec![PhysRange {
            start: 0,
            end: 0x2000
        }]
    );
    let mut vmi = crate::instance::Vmi::open_file(t.path(), false).unwrap();
    let mut c = crate::config::Config::new();
    c.insert("ostype", crate::config::Value::Str("Linux".into()));
    vmi.set_config(c);
    let t0 = std::time::Instant::now();
    assert!(crate::os::init_os(&mut vmi).is_err());
    assert!(t0.elapsed().as_secs() < 10, "init took {:?}", t0.elapsed());
}

/// Segments may not share file data: 64 segments all stored at the same
/// file offset would let a small file claim 64 times its size in memory.
#[test]
fn segments_sharing_file_data_are_refused() {
    let segs: Vec<Segment> = (0..64u64)
        .map(|i| Segment::stored(i << 32, 0x1000, 0).unwrap())
        .collect();
    assert!(matches!(
        SegmentTable::new(segs, 0x1000),
        Err(Error::Malformed(_))
    ));
    let one = vec![Segment::stored(1 << 32, 0x1000, 0).unwrap()];
    assert!(SegmentTable::new(one, 0x1000).is_ok());
}
