//! `vmi_translate_sym2v` / `vmi_translate_v2sym` on Linux: dynamic symbols
//! of ELF images mapped in a process.
//!
//! Synthetic images (ELF64 and ELF32, DT_GNU_HASH and DT_HASH, link-time
//! and relocated table addresses) built here from a symbol list are
//! checked through the Rust parser and, mapped by hand-made page tables in
//! a raw memory image, through the C functions; a mutation loop feeds
//! damaged images to the parser. On the real guests, the vDSO of the
//! marker process is read through the library, parsed independently with
//! goblin, and every dynamic symbol goes both ways through the C API.

#![allow(improper_ctypes)]

#[path = "guests/support.rs"]
mod guest_support;

use core::ffi::{c_char, CStr};
use std::collections::HashMap;
use std::path::PathBuf;

use guest_support::Guest;
use vmi::capi::instance::{vmi_instance, vmi_instance_t};
use vmi::capi::types::*;
use vmi::config::{Config, Value};
use vmi::instance::Vmi;
use vmi::os::linux::elf_exports::{self, DynamicImage, ImageMemory};
use vmi::os::linux::LinuxOs;
use vmi::os::{OsLayer, OsType, Process};
use vmi::paging::PagingContext;
use vmi::{Error, PageMode, Result};

extern "C" {
    fn vmi_translate_sym2v(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        symbol: *const c_char,
        vaddr: *mut addr_t,
    ) -> status_t;
    fn vmi_translate_v2sym(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        rva: addr_t,
    ) -> *const c_char;
    fn vmi_symcache_add(
        vmi: vmi_instance_t,
        base: addr_t,
        pid: vmi_pid_t,
        sym: *mut c_char,
        va: addr_t,
    );
    fn vmi_rvacache_add(
        vmi: vmi_instance_t,
        base: addr_t,
        pid: vmi_pid_t,
        rva: addr_t,
        sym: *mut c_char,
    );
    fn vmi_read(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        count: usize,
        buf: *mut core::ffi::c_void,
        bytes_read: *mut usize,
    ) -> status_t;
    fn vmi_pid_to_dtb(vmi: vmi_instance_t, pid: vmi_pid_t, dtb: *mut addr_t) -> status_t;
}

// ---------------------------------------------------------------------
// A small ELF writer for the dynamic part of a shared object.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HashKind {
    Gnu,
    Sysv,
    Both,
}

#[derive(Clone, Copy, Debug)]
struct Spec {
    is64: bool,
    hash: HashKind,
    /// Table addresses in the dynamic section already include the base
    /// (what glibc's loader leaves behind).
    relocated: bool,
    /// Where the image is mapped.
    base: u64,
    /// Plain `fn_N_...` symbols besides the fixed ones.
    extra: usize,
}

#[derive(Clone, Debug)]
struct Sym {
    name: String,
    value: u64,
    defined: bool,
}

struct Built {
    bytes: Vec<u8>,
    /// The symbol table in its final order (index 0 excluded).
    table: Vec<Sym>,
}

fn gnu_hash(s: &str) -> u32 {
    s.bytes()
        .fold(5381u32, |h, c| h.wrapping_mul(33).wrapping_add(c as u32))
}

fn sysv_hash(s: &str) -> u32 {
    let mut h = 0u32;
    for c in s.bytes() {
        h = (h << 4).wrapping_add(c as u32);
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
        }
        h &= !g;
    }
    h
}

struct W {
    b: Vec<u8>,
    is64: bool,
}

impl W {
    fn put(&mut self, at: usize, v: &[u8]) {
        if self.b.len() < at + v.len() {
            self.b.resize(at + v.len(), 0);
        }
        self.b[at..at + v.len()].copy_from_slice(v);
    }
    fn u16(&mut self, at: usize, v: u16) {
        self.put(at, &v.to_le_bytes());
    }
    fn u32(&mut self, at: usize, v: u32) {
        self.put(at, &v.to_le_bytes());
    }
    fn u64(&mut self, at: usize, v: u64) {
        self.put(at, &v.to_le_bytes());
    }
    fn word(&mut self, at: usize, v: u64) {
        if self.is64 {
            self.u64(at, v)
        } else {
            self.u32(at, v as u32)
        }
    }
}

fn symbols(extra: usize) -> Vec<Sym> {
    let mut v: Vec<Sym> = (0..extra)
        .map(|i| Sym {
            name: format!("fn_{i}_{}", "x".repeat(i % 7)),
            value: 0x1000 + i as u64 * 0x20,
            defined: true,
        })
        .collect();
    for (name, value) in [
        ("__vdso_clock_gettime", 0x1800),
        ("clock_gettime", 0x1800), // alias: same value
        ("__vdso_time", 0x1840),
        ("data_object", 0x2000),
    ] {
        v.push(Sym {
            name: name.into(),
            value,
            defined: true,
        });
    }
    // Imports: named but undefined, never an answer.
    v.push(Sym {
        name: "imported_fn".into(),
        value: 0,
        defined: false,
    });
    v.push(Sym {
        name: "imported_data".into(),
        value: 0x1840,
        defined: false,
    });
    v
}

const NBUCKETS: u32 = 7;
const BLOOM_SHIFT: u32 = 5;

fn build(spec: Spec) -> Built {
    let is64 = spec.is64;
    let mut syms = symbols(spec.extra);
    // GNU hash: undefined symbols first (unhashed), the rest by bucket.
    let undefined: Vec<Sym> = syms.iter().filter(|s| !s.defined).cloned().collect();
    syms.retain(|s| s.defined);
    syms.sort_by_key(|s| gnu_hash(&s.name) % NBUCKETS);
    let mut table = undefined;
    let symoffset = table.len() as u32 + 1;
    table.extend(syms);
    let nsyms = table.len() + 1;

    let (ehsize, phent, syment, dynent, word) = if is64 {
        (64, 56, 24, 16, 8)
    } else {
        (52, 32, 16, 8, 4)
    };
    let phoff = ehsize;
    let phnum = 3;
    let symtab = 0x200;
    let strtab = symtab + nsyms * syment;
    let mut strings = vec![0u8];
    let mut name_off = vec![];
    for s in &table {
        name_off.push(strings.len() as u32);
        strings.extend_from_slice(s.name.as_bytes());
        strings.push(0);
    }
    let hash_at = (strtab + strings.len() + 15) & !15;
    // DT_HASH
    let sysv_len = 8 + 4 * (NBUCKETS as usize + nsyms);
    let gnu_at = hash_at + sysv_len;
    let bloom_words = 2usize;
    let gnu_len =
        16 + bloom_words * word + 4 * NBUCKETS as usize + 4 * (nsyms - symoffset as usize);
    let dyn_at = (gnu_at + gnu_len + 15) & !15;
    let ndyn = 8;
    let end = dyn_at + ndyn * dynent;
    let mut w = W {
        b: vec![0; end],
        is64,
    };

    // ELF header
    w.put(0, b"\x7fELF");
    w.put(4, &[if is64 { 2 } else { 1 }, 1, 1]);
    w.u16(16, 3); // ET_DYN
    w.u16(18, if is64 { 62 } else { 3 });
    w.u32(20, 1);
    if is64 {
        w.u64(32, phoff as u64);
        w.u16(52, ehsize as u16);
        w.u16(54, phent as u16);
        w.u16(56, phnum);
    } else {
        w.u32(28, phoff as u32);
        w.u16(40, ehsize as u16);
        w.u16(42, phent as u16);
        w.u16(44, phnum);
    }
    // Program headers: PT_NOTE (ignored), PT_LOAD, PT_DYNAMIC.
    let ph = |w: &mut W, i: usize, ty: u32, vaddr: u64, memsz: u64| {
        let at = phoff + i * phent;
        w.u32(at, ty);
        if is64 {
            w.u64(at + 8, vaddr);
            w.u64(at + 16, vaddr);
            w.u64(at + 24, vaddr);
            w.u64(at + 32, memsz);
            w.u64(at + 40, memsz);
        } else {
            w.u32(at + 4, vaddr as u32);
            w.u32(at + 8, vaddr as u32);
            w.u32(at + 12, vaddr as u32);
            w.u32(at + 16, memsz as u32);
            w.u32(at + 20, memsz as u32);
        }
    };
    ph(&mut w, 0, 4, 0x100, 0x10);
    ph(&mut w, 1, 1, 0, end as u64);
    ph(&mut w, 2, 2, dyn_at as u64, (ndyn * dynent) as u64);

    // Symbols (index 0 stays zero).
    for (i, s) in table.iter().enumerate() {
        let at = symtab + (i + 1) * syment;
        let shndx = if s.defined { 7 } else { 0 };
        w.u32(at, name_off[i]);
        if is64 {
            w.put(at + 4, &[0x12, 0]);
            w.u16(at + 6, shndx);
            w.u64(at + 8, s.value);
            w.u64(at + 16, 8);
        } else {
            w.u32(at + 4, s.value as u32);
            w.u32(at + 8, 8);
            w.put(at + 12, &[0x12, 0]);
            w.u16(at + 14, shndx);
        }
    }
    w.put(strtab, &strings);

    // DT_HASH: buckets then chains.
    w.u32(hash_at, NBUCKETS);
    w.u32(hash_at + 4, nsyms as u32);
    for (i, s) in table.iter().enumerate() {
        let idx = i as u32 + 1;
        let b = (sysv_hash(&s.name) % NBUCKETS) as usize;
        // Prepend to the bucket's chain.
        let bucket_at = hash_at + 8 + 4 * b;
        let head = u32::from_le_bytes(w.b[bucket_at..bucket_at + 4].try_into().unwrap());
        w.u32(hash_at + 8 + 4 * NBUCKETS as usize + 4 * idx as usize, head);
        w.u32(bucket_at, idx);
    }

    // DT_GNU_HASH
    let bits = word as u32 * 8;
    w.u32(gnu_at, NBUCKETS);
    w.u32(gnu_at + 4, symoffset);
    w.u32(gnu_at + 8, bloom_words as u32);
    w.u32(gnu_at + 12, BLOOM_SHIFT);
    let mut bloom = vec![0u64; bloom_words];
    let buckets_at = gnu_at + 16 + bloom_words * word;
    let chains_at = buckets_at + 4 * NBUCKETS as usize;
    let hashed = &table[symoffset as usize - 1..];
    for (k, s) in hashed.iter().enumerate() {
        let idx = symoffset + k as u32;
        let h = gnu_hash(&s.name);
        let wi = (h / bits) as usize % bloom_words;
        bloom[wi] |= (1u64 << (h % bits)) | (1u64 << ((h >> BLOOM_SHIFT) % bits));
        let b = h % NBUCKETS;
        let bucket_at = buckets_at + 4 * b as usize;
        if u32::from_le_bytes(w.b[bucket_at..bucket_at + 4].try_into().unwrap()) == 0 {
            w.u32(bucket_at, idx);
        }
        let last = hashed
            .get(k + 1)
            .is_none_or(|n| gnu_hash(&n.name) % NBUCKETS != b);
        w.u32(chains_at + 4 * k, (h & !1) | last as u32);
    }
    for (i, v) in bloom.iter().enumerate() {
        w.word(gnu_at + 16 + i * word, *v);
    }

    // Dynamic section.
    let rel = |v: usize| v as u64 + if spec.relocated { spec.base } else { 0 };
    let mut dyns = vec![
        (5u64, rel(strtab)),
        (6, rel(symtab)),
        (10, strings.len() as u64),
        (11, syment as u64),
    ];
    if matches!(spec.hash, HashKind::Sysv | HashKind::Both) {
        dyns.push((4, rel(hash_at)));
    }
    if matches!(spec.hash, HashKind::Gnu | HashKind::Both) {
        dyns.push((0x6fff_fef5, rel(gnu_at)));
    }
    dyns.push((0, 0));
    for (i, (t, v)) in dyns.iter().enumerate() {
        w.word(dyn_at + i * dynent, *t);
        w.word(dyn_at + i * dynent + word, *v);
    }
    Built { bytes: w.b, table }
}

/// The image as a process sees it, for the Rust-level tests.
struct Flat {
    base: u64,
    bytes: Vec<u8>,
}

impl ImageMemory for Flat {
    fn read(&self, va: u64, buf: &mut [u8]) -> Result<()> {
        let off = va
            .checked_sub(self.base)
            .ok_or(Error::PageNotPresent { va, level: 1 })? as usize;
        let src = off
            .checked_add(buf.len())
            .and_then(|e| self.bytes.get(off..e))
            .ok_or(Error::PageNotPresent { va, level: 1 })?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

fn specs() -> Vec<Spec> {
    let mut v = vec![];
    for is64 in [true, false] {
        for hash in [HashKind::Gnu, HashKind::Sysv, HashKind::Both] {
            for relocated in [false, true] {
                let base = if is64 { 0x7f12_3456_7000 } else { 0xb7f4_9000 };
                v.push(Spec {
                    is64,
                    hash,
                    relocated,
                    base,
                    extra: 37,
                });
            }
        }
    }
    v
}

/// First defined symbol in table order with each value.
fn first_by_value(table: &[Sym]) -> HashMap<u64, String> {
    let mut m = HashMap::new();
    for s in table.iter().filter(|s| s.defined) {
        m.entry(s.value).or_insert_with(|| s.name.clone());
    }
    m
}

#[test]
fn synthetic_images_through_the_parser() {
    for spec in specs() {
        let b = build(spec);
        let mem = Flat {
            base: spec.base,
            bytes: b.bytes.clone(),
        };
        let img = DynamicImage::parse(&mem, spec.base).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        assert_eq!(img.is64(), spec.is64);
        assert_eq!(img.link_base, 0);
        for s in &b.table {
            let got = img.lookup(&mem, &s.name);
            if s.defined {
                assert_eq!(got, Ok(s.value), "{spec:?} {}", s.name);
            } else {
                assert_eq!(got, Err(Error::SymbolNotFound), "{spec:?} {}", s.name);
            }
        }
        assert_eq!(
            img.lookup(&mem, "not_there"),
            Err(Error::SymbolNotFound),
            "{spec:?}"
        );
        for (value, name) in first_by_value(&b.table) {
            assert_eq!(img.symbol_at(&mem, value), Ok(name), "{spec:?} {value:#x}");
        }
        assert_eq!(img.symbol_at(&mem, 0x1001), Err(Error::SymbolNotFound));
        let all = img.symbols(&mem).unwrap();
        let want: Vec<(String, u64)> = b
            .table
            .iter()
            .filter(|s| s.defined)
            .map(|s| (s.name.clone(), s.value))
            .collect();
        assert_eq!(all, want, "{spec:?}");
    }
}

#[test]
fn unreadable_gnu_table_falls_back_to_dt_hash() {
    for is64 in [true, false] {
        let spec = specs()
            .into_iter()
            .find(|s| s.is64 == is64 && s.hash == HashKind::Both)
            .unwrap();
        let b = build(spec);
        let mem = Flat {
            base: spec.base,
            bytes: b.bytes.clone(),
        };
        let img = DynamicImage::parse(&mem, spec.base).unwrap();
        let gnu = (img.gnu_hash.unwrap() - spec.base) as usize;
        let mut bytes = b.bytes.clone();
        bytes[gnu..gnu + 4].fill(0); // nbuckets = 0
        let mem = Flat {
            base: spec.base,
            bytes,
        };
        let img = DynamicImage::parse(&mem, spec.base).unwrap();
        for s in b.table.iter().filter(|s| s.defined) {
            assert_eq!(img.lookup(&mem, &s.name), Ok(s.value), "{}", s.name);
        }
        // Without DT_HASH the broken GNU table is the answer.
        let spec = Spec {
            hash: HashKind::Gnu,
            ..spec
        };
        let b = build(spec);
        let mut bytes = b.bytes.clone();
        bytes[gnu..gnu + 4].fill(0);
        let mem = Flat {
            base: spec.base,
            bytes,
        };
        let img = DynamicImage::parse(&mem, spec.base).unwrap();
        assert!(matches!(
            img.lookup(&mem, "fn_1_x"),
            Err(Error::Malformed(_))
        ));
    }
}

#[test]
fn hashes_match_known_values() {
    // Values published with the GNU hash-table description.
    assert_eq!(elf_exports::gnu_hash(b""), 0x0000_1505);
    assert_eq!(elf_exports::gnu_hash(b"printf"), 0x156b_2bb8);
    assert_eq!(elf_exports::gnu_hash(b"exit"), 0x7c96_7e3f);
    assert_eq!(elf_exports::sysv_hash(b"printf"), 0x0779_05a6);
    assert_eq!(elf_exports::sysv_hash(b"exit"), 0x0006_cf04);
    for s in ["", "a", "freelocale", "__vdso_clock_gettime"] {
        assert_eq!(elf_exports::gnu_hash(s.as_bytes()), gnu_hash(s));
        assert_eq!(elf_exports::sysv_hash(s.as_bytes()), sysv_hash(s));
    }
}

#[test]
fn rejects_what_is_not_a_dynamic_elf() {
    let spec = specs()[0];
    let good = build(spec).bytes;
    let parse = |bytes: Vec<u8>| {
        let mem = Flat {
            base: spec.base,
            bytes,
        };
        DynamicImage::parse(&mem, spec.base).map(|_| ())
    };
    assert_eq!(parse(good.clone()), Ok(()));
    let mut b = good.clone();
    b[1] = b'X';
    assert!(matches!(parse(b), Err(Error::Malformed(_))));
    let mut b = good.clone();
    b[16] = 1; // ET_REL
    assert!(matches!(parse(b), Err(Error::Malformed(_))));
    let mut b = good.clone();
    b[54] = 55; // e_phentsize
    assert!(matches!(parse(b), Err(Error::Malformed(_))));
    // No PT_DYNAMIC: turn it into PT_NULL.
    let mut b = good.clone();
    b[64 + 2 * 56] = 0;
    assert_eq!(parse(b), Err(Error::NotFound("PT_DYNAMIC")));
    // Truncated image: the reads past the end fail.
    assert!(parse(good[..0x180].to_vec()).is_err());
}

/// Small deterministic generator for the mutation loop.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn damaged_images_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = std::time::Instant::now();
    for spec in specs() {
        let b = build(spec);
        for _ in 0..1500 {
            let mut bytes = b.bytes.clone();
            for _ in 0..1 + rng.next() % 6 {
                let at = (rng.next() % bytes.len() as u64) as usize;
                match rng.next() % 3 {
                    0 => bytes[at] ^= 1 << (rng.next() % 8),
                    1 => bytes[at] = rng.next() as u8,
                    _ => {
                        // A whole field set to an extreme.
                        let at = at & !3;
                        let v = [0u32, 1, 0x7fff_ffff, 0xffff_ffff][rng.next() as usize % 4];
                        if at + 4 <= bytes.len() {
                            bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
                        }
                    }
                }
            }
            let mem = Flat {
                base: spec.base,
                bytes,
            };
            if let Ok(img) = DynamicImage::parse(&mem, spec.base) {
                for s in b.table.iter().take(6) {
                    let _ = img.lookup(&mem, &s.name);
                }
                let _ = img.lookup(&mem, "not_there");
                let _ = img.symbol_at(&mem, 0x1020);
                if let Ok(all) = img.symbols(&mem) {
                    assert!(all.len() <= 1 << 18);
                }
            }
        }
    }
    eprintln!("mutation loop: {:?}", start.elapsed());
}

// ---------------------------------------------------------------------
// The C functions over a raw memory image with IA-32e page tables.

const PID: i32 = 7;
const DTB: u64 = 0x1000;
/// Physical frames for page tables are handed out from here.
const TABLES: u64 = 0x2000;
/// Image pages start here in physical memory.
const DATA: u64 = 0x40000;

struct Tables {
    mem: Vec<u8>,
    next_table: u64,
}

impl Tables {
    fn get(&self, pa: u64) -> u64 {
        u64::from_le_bytes(self.mem[pa as usize..pa as usize + 8].try_into().unwrap())
    }
    fn set(&mut self, pa: u64, v: u64) {
        self.mem[pa as usize..pa as usize + 8].copy_from_slice(&v.to_le_bytes());
    }
    /// Maps the 4 KiB page at `va` to frame `pa`.
    fn map(&mut self, va: u64, pa: u64) {
        let mut table = DTB;
        for shift in [39u64, 30, 21] {
            let e = table + ((va >> shift) & 511) * 8;
            if self.get(e) & 1 == 0 {
                let t = self.next_table;
                self.next_table += 0x1000;
                self.set(e, t | 7);
            }
            table = self.get(e) & 0x000f_ffff_ffff_f000;
        }
        self.set(table + ((va >> 12) & 511) * 8, pa | 7);
    }
}

/// Pid 7's page table; everything else unknown.
struct TestOs;

impl OsLayer for TestOs {
    fn os_type(&self) -> OsType {
        OsType::Linux
    }
    fn ksym2v(&self, _vmi: &Vmi, _symbol: &str) -> Result<u64> {
        Err(Error::SymbolNotFound)
    }
    fn usym2rva(&self, vmi: &Vmi, dtb: u64, base: u64, symbol: &str) -> Result<u64> {
        elf_exports::export_to_rva(vmi, dtb, base, symbol)
    }
    fn rva2usym(&self, vmi: &Vmi, dtb: u64, base: u64, rva: u64) -> Result<String> {
        elf_exports::rva_to_export(vmi, dtb, base, rva)
    }
    fn pid_to_dtb(&self, _vmi: &Vmi, pid: i32) -> Result<u64> {
        if pid == PID {
            Ok(DTB)
        } else {
            Err(Error::NotFound("pid"))
        }
    }
    fn dtb_to_pid(&self, _vmi: &Vmi, dtb: u64) -> Result<i32> {
        if dtb == DTB {
            Ok(PID)
        } else {
            Err(Error::NotFound("dtb"))
        }
    }
    fn offset(&self, _name: &str) -> Option<u64> {
        None
    }
    fn processes(&self, _vmi: &Vmi) -> Result<Vec<Process>> {
        Ok(Vec::new())
    }
}

struct Handle(vmi_instance_t);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: made by Box::into_raw in `instance`, dropped once.
        drop(unsafe { Box::from_raw(self.0) });
    }
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("linux_user_symbols_{}_{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Maps `images` (base, bytes) into pid 7 and opens the result.
fn instance(tag: &str, images: &[(u64, &[u8])]) -> Handle {
    instance_pages(tag, images)
}

/// Maps each (va, bytes) run into pid 7's address space.
fn instance_pages(tag: &str, images: &[(u64, &[u8])]) -> Handle {
    let mut t = Tables {
        mem: vec![0u8; 2 << 20],
        next_table: TABLES,
    };
    let mut frame = DATA;
    for (base, bytes) in images {
        for (i, page) in bytes.chunks(0x1000).enumerate() {
            t.map(base + i as u64 * 0x1000, frame);
            t.mem[frame as usize..frame as usize + page.len()].copy_from_slice(page);
            frame += 0x1000;
        }
    }
    let path = scratch(tag).join("mem.raw");
    std::fs::write(&path, &t.mem).unwrap();
    let mut core = Vmi::open_file(&path, false).unwrap();
    core.set_paging(PageMode::Ia32e, PagingContext::new(DTB));
    core.set_kernel_dtb(DTB);
    core.set_os(Box::new(TestOs));
    Handle(Box::into_raw(Box::new(vmi_instance::new(
        core, VMI_FILE, 0,
    ))))
}

fn ctx_pid(pid: i32, base: u64) -> access_context_t {
    let mut c = access_context_t::new(VMI_TM_PROCESS_PID, base, 0);
    c.target.va.space.pid = pid;
    c
}

fn sym2v(h: &Handle, ctx: &access_context_t, name: &str) -> Option<u64> {
    let c = std::ffi::CString::new(name).unwrap();
    let mut va = 0xdead;
    // SAFETY: live handle, valid pointers.
    let st = unsafe { vmi_translate_sym2v(h.0, ctx, c.as_ptr(), &mut va) };
    if st == VMI_SUCCESS {
        Some(va)
    } else {
        assert_eq!(va, 0, "a failed lookup leaves 0");
        None
    }
}

fn v2sym(h: &Handle, ctx: &access_context_t, rva: u64) -> Option<String> {
    // SAFETY: live handle; the string belongs to the library.
    let p = unsafe { vmi_translate_v2sym(h.0, ctx, rva) };
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

#[test]
fn synthetic_images_through_the_c_api() {
    let all = specs();
    let built: Vec<Built> = all.iter().map(|s| build(*s)).collect();
    // Two of the images in one address space, at their own bases (the
    // 64-bit ones share a base, so map one of each class per instance).
    for (spec, b) in all.iter().zip(&built) {
        let tag = format!(
            "{}{:?}{}",
            if spec.is64 { 64 } else { 32 },
            spec.hash,
            spec.relocated
        );
        let h = instance(&tag, &[(spec.base, &b.bytes)]);
        let ctx = ctx_pid(PID, spec.base);
        let dctx = access_context_t::new(VMI_TM_PROCESS_DTB, spec.base, DTB);
        for s in &b.table {
            let want = s.defined.then_some(spec.base + s.value);
            assert_eq!(sym2v(&h, &ctx, &s.name), want, "{tag} {}", s.name);
            assert_eq!(sym2v(&h, &dctx, &s.name), want, "{tag} {}", s.name);
        }
        assert_eq!(sym2v(&h, &ctx, "not_there"), None);
        for (value, name) in first_by_value(&b.table) {
            assert_eq!(v2sym(&h, &ctx, value), Some(name.clone()), "{tag}");
            assert_eq!(v2sym(&h, &dctx, value), Some(name), "{tag}");
        }
        assert_eq!(v2sym(&h, &ctx, 0x1001), None);
        // Wrong base, unknown pid, physical context.
        assert_eq!(sym2v(&h, &ctx_pid(PID, spec.base + 0x1000), "fn_1_x"), None);
        assert_eq!(sym2v(&h, &ctx_pid(99, spec.base), "fn_1_x"), None);
        let phys = access_context_t::new(VMI_TM_NONE, spec.base, 0);
        assert_eq!(sym2v(&h, &phys, "fn_1_x"), None);
        assert_eq!(v2sym(&h, &phys, 0x1000), None);
    }
}

#[test]
fn caches_answer_before_the_image() {
    let spec = specs()[0];
    let b = build(spec);
    let h = instance("cache", &[(spec.base, &b.bytes)]);
    let ctx = ctx_pid(PID, spec.base);
    // A cached entry wins over the image's own answer...
    // SAFETY: live handle, NUL-terminated strings the call copies.
    unsafe {
        vmi_symcache_add(h.0, spec.base, PID, c"fn_1_x".as_ptr().cast_mut(), 0x4242);
        vmi_rvacache_add(h.0, spec.base, PID, 0x1000, c"cached".as_ptr().cast_mut());
    }
    assert_eq!(sym2v(&h, &ctx, "fn_1_x"), Some(0x4242));
    assert_eq!(v2sym(&h, &ctx, 0x1000).as_deref(), Some("cached"));
    // ... and a parsed answer is cached: the same lookup with the DTB
    // context (same cache key) gives it again.
    assert_eq!(sym2v(&h, &ctx, "fn_2_xx"), Some(spec.base + 0x1040));
    let dctx = access_context_t::new(VMI_TM_PROCESS_DTB, spec.base, DTB);
    assert_eq!(sym2v(&h, &dctx, "fn_2_xx"), Some(spec.base + 0x1040));
    // Symbols only the cache knows still resolve at any base.
    assert_eq!(sym2v(&h, &ctx_pid(PID, 0x5000), "x"), None);
    unsafe { vmi_symcache_add(h.0, 0x5000, PID, c"x".as_ptr().cast_mut(), 9) };
    assert_eq!(sym2v(&h, &ctx_pid(PID, 0x5000), "x"), Some(9));
}

#[test]
fn image_crossing_an_absent_page() {
    // The symbol table's second page is not mapped: lookups of symbols
    // whose entries or names live there fail, the others still work.
    let spec = Spec {
        extra: 400,
        ..specs()[0]
    };
    let b = build(spec);
    assert!(b.bytes.len() > 0x3000);
    // Pages 0 and 2 are mapped, page 1 is not.
    let h = instance_pages(
        "hole",
        &[
            (spec.base, &b.bytes[..0x1000]),
            (spec.base + 0x2000, &b.bytes[0x2000..]),
        ],
    );
    let ctx = ctx_pid(PID, spec.base);
    let (mut ok, mut failed) = (0, 0);
    for s in b.table.iter().filter(|s| s.defined) {
        match sym2v(&h, &ctx, &s.name) {
            Some(va) => {
                assert_eq!(va, spec.base + s.value);
                ok += 1;
            }
            None => failed += 1,
        }
    }
    eprintln!("{ok} symbols resolved, {failed} not, with a page missing");
    assert!(ok > 0 && failed > 0);
}

// ---------------------------------------------------------------------
// Real guests: the marker process's vDSO.

fn vdso_range(g: &Guest) -> (u64, u64) {
    let maps = std::fs::read_to_string(g.path("truth/marker/maps")).unwrap();
    let line = maps
        .lines()
        .find(|l| l.ends_with("[vdso]"))
        .expect("marker maps has a [vdso] line");
    let range = line.split_whitespace().next().unwrap();
    let (a, b) = range.split_once('-').unwrap();
    (
        u64::from_str_radix(a, 16).unwrap(),
        u64::from_str_radix(b, 16).unwrap(),
    )
}

fn guest_config(g: &Guest, name: &str) -> Config {
    let mut c = Config::new();
    c.insert("ostype", Value::Str("Linux".into()));
    if name.starts_with("i386") {
        c.insert(
            "sysmap",
            Value::Str(g.system_map_path().to_string_lossy().into_owned()),
        );
        let offs = std::fs::read_to_string(g.path("offsets.txt")).unwrap();
        for l in offs.lines() {
            if let Some((k, v)) = l.trim().split_once('=') {
                if k.starts_with("linux_") {
                    c.insert(k, Value::Num(v.trim().parse().unwrap()));
                }
            }
        }
    }
    c
}

fn check_guest(name: &str) {
    let Some(g) = guest_support::load_or_skip(name) else {
        return;
    };
    let pid = g.marker().unwrap().pid as i32;
    let (start, end) = vdso_range(&g);
    let mut core = Vmi::open_file(&g.mem_raw(), false).unwrap();
    core.set_config(guest_config(&g, name));
    LinuxOs::init(&mut core).unwrap_or_else(|e| panic!("{name}: init: {e}"));
    let h = Handle(Box::into_raw(Box::new(vmi_instance::new(
        core, VMI_FILE, 0,
    ))));

    // The vDSO's bytes, read through the library. The process's tables
    // map only the pages it touched; the rest of the image follows the
    // first page in physical memory (the kernel keeps it contiguous).
    let mut bytes = vec![0u8; (end - start) as usize];
    let mut first_pa = 0;
    // SAFETY: live handle; the core is only read.
    let core = unsafe { &(*h.0).core };
    for (i, page) in bytes.chunks_mut(0x1000).enumerate() {
        let va = start + i as u64 * 0x1000;
        let mut n = 0;
        let ctx = ctx_pid(pid, va);
        // SAFETY: live handle, buffer of the stated size.
        let st = unsafe { vmi_read(h.0, &ctx, page.len(), page.as_mut_ptr().cast(), &mut n) };
        if i == 0 {
            assert_eq!(st, VMI_SUCCESS, "{name}: read the vDSO header of pid {pid}");
            first_pa = core.translate_uv2p(va, pid).unwrap();
        } else if st != VMI_SUCCESS {
            let ctx = access_context_t::new(VMI_TM_NONE, first_pa + i as u64 * 0x1000, 0);
            // SAFETY: as above.
            let st = unsafe { vmi_read(h.0, &ctx, page.len(), page.as_mut_ptr().cast(), &mut n) };
            assert_eq!(st, VMI_SUCCESS, "{name}: vDSO page {i} physically");
        }
    }
    let ctx = ctx_pid(pid, start);

    // The expectation, from goblin's reading of those bytes.
    let elf = goblin::elf::Elf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: goblin: {e}"));
    let link_base = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD)
        .map(|p| p.p_vaddr & !0xfff)
        .min()
        .unwrap();
    let mut want: Vec<(String, u64)> = vec![];
    for s in elf.dynsyms.iter() {
        let Some(n) = elf.dynstrtab.get_at(s.st_name) else {
            continue;
        };
        if s.st_shndx != 0 && !n.is_empty() {
            want.push((n.to_owned(), s.st_value - link_base));
        }
    }
    assert!(
        want.iter().any(|(n, _)| n.ends_with("clock_gettime")),
        "{name}: vDSO exports {want:?}"
    );

    let mut dtb = 0;
    assert_eq!(unsafe { vmi_pid_to_dtb(h.0, pid, &mut dtb) }, VMI_SUCCESS);
    let dctx = access_context_t::new(VMI_TM_PROCESS_DTB, start, dtb);
    for (sym, rva) in &want {
        assert_eq!(sym2v(&h, &ctx, sym), Some(start + rva), "{name}: {sym}");
        assert_eq!(sym2v(&h, &dctx, sym), Some(start + rva), "{name}: {sym}");
        let first = &want.iter().find(|(_, r)| r == rva).unwrap().0;
        assert_eq!(
            v2sym(&h, &ctx, *rva).as_ref(),
            Some(first),
            "{name}: {rva:#x}"
        );
    }
    assert_eq!(sym2v(&h, &ctx, "__vdso_no_such_function"), None);
    let unused = (1..0x1000u64)
        .find(|r| want.iter().all(|(_, v)| v != r))
        .unwrap();
    assert_eq!(v2sym(&h, &ctx, unused), None);
    eprintln!(
        "{name}: {} vDSO symbols of pid {pid} at {start:#x} checked: {:?}",
        want.len(),
        want.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
    );
}

#[test]
fn guest_x86_64_vdso() {
    check_guest("x86_64");
}

#[test]
fn guest_i386_pae_vdso() {
    check_guest("i386-pae");
}

#[test]
fn guest_i386_vdso() {
    check_guest("i386");
}

#[test]
fn guest_x86_64_la57_vdso() {
    check_guest("x86_64-la57");
}

#[test]
fn guest_x86_64_5g_vdso() {
    check_guest("x86_64-5g");
}

#[test]
fn guest_arm64_vdso() {
    check_guest("arm64");
}
