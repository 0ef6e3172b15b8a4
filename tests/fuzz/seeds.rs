//! Valid seed inputs, built here (so the fuzzer needs no fixtures) or
//! taken from a real guest when one is available.

use std::io::Write;

pub const PAGE: usize = 4096;

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// Guest-ish page contents: pointers, small integers and text.
pub fn memory_pages(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n * PAGE];
    for (i, c) in b.chunks_exact_mut(8).enumerate() {
        let v = match i % 4 {
            0 => 0xffff_ffff_8100_0000 + (i as u64) * 8,
            1 => ((i as u64) * 0x1000) | 0x63,
            2 => i as u64,
            _ => u64::from_le_bytes(*b"swapper\0"),
        };
        c.copy_from_slice(&v.to_le_bytes());
    }
    b
}

pub const EM_386: u16 = 3;
pub const EM_X86_64: u16 = 62;
pub const EM_AARCH64: u16 = 183;

fn note(name: &[u8], ntype: u32, desc: &[u8]) -> Vec<u8> {
    let mut n = Vec::new();
    n.extend_from_slice(&(name.len() as u32 + 1).to_le_bytes());
    n.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    n.extend_from_slice(&ntype.to_le_bytes());
    n.extend_from_slice(name);
    n.push(0);
    while n.len() % 4 != 0 {
        n.push(0);
    }
    n.extend_from_slice(desc);
    while n.len() % 4 != 0 {
        n.push(0);
    }
    n
}

/// CPU notes as a dumper writes them: NT_PRSTATUS per vCPU, and for x86
/// a QEMU `QEMUCPUState` note (version 1) with paging enabled.
pub fn synthetic_notes(machine: u16, vcpus: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for cpu in 0..vcpus {
        let size = match machine {
            EM_X86_64 => 336,
            EM_386 => 144,
            _ => 392,
        };
        let mut pr = vec![0u8; size];
        for (i, c) in pr.chunks_exact_mut(4).enumerate() {
            c.copy_from_slice(&(0x1000 * (i as u32 + 1) + cpu as u32).to_le_bytes());
        }
        out.extend(note(b"CORE", 1, &pr));
        if machine != EM_AARCH64 {
            let mut qs = vec![0u8; 440];
            put32(&mut qs, 0, 1);
            put32(&mut qs, 4, 440);
            put64(&mut qs, 136, 0xffff_ffff_8100_0000); // rip
            put32(&mut qs, 152 + 8, 1 << 21); // cs flags: L
            put64(&mut qs, 152 + 9 * 24 + 16, 0xffff_fe00_0000_0000); // idt base
            put32(&mut qs, 152 + 9 * 24 + 4, 0xfff); // idt limit
            put64(&mut qs, 392, 0x8000_0011); // cr0
            put64(&mut qs, 392 + 3 * 8, 0x1000); // cr3
            put64(&mut qs, 392 + 4 * 8, 0x20); // cr4 PAE
            out.extend(note(b"QEMU", 0, &qs));
        }
    }
    out
}

/// An ELF core: one PT_NOTE holding `notes`, and PT_LOADs for 2 pages at
/// 0 and 3 pages at 1 MiB of which only 2 are stored.
pub fn elf_core(machine: u16, notes: &[u8]) -> Vec<u8> {
    let wide = machine != EM_386;
    let (ehsize, phentsize) = if wide { (64, 56) } else { (52, 32) };
    let phnum = 3;
    let notes_off = ehsize + phentsize * phnum;
    let data_off = (notes_off + notes.len()).next_multiple_of(PAGE);
    let loads: [(u64, u64, u64); 2] = [
        (0, 2 * PAGE as u64, 2 * PAGE as u64),
        (0x10_0000, 2 * PAGE as u64, 3 * PAGE as u64),
    ];
    let total = data_off + 4 * PAGE;
    let mut b = vec![0u8; total];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = if wide { 2 } else { 1 };
    b[5] = 1;
    b[6] = 1;
    put16(&mut b, 16, 4);
    put16(&mut b, 18, machine);
    put32(&mut b, 20, 1);
    if wide {
        put64(&mut b, 32, ehsize as u64);
        put16(&mut b, 52, ehsize as u16);
        put16(&mut b, 54, phentsize as u16);
        put16(&mut b, 56, phnum as u16);
    } else {
        put32(&mut b, 28, ehsize as u32);
        put16(&mut b, 40, ehsize as u16);
        put16(&mut b, 42, phentsize as u16);
        put16(&mut b, 44, phnum as u16);
    }
    let mut ph = ehsize;
    let mut phdr = |b: &mut Vec<u8>, ty: u32, off: u64, paddr: u64, filesz: u64, memsz: u64| {
        if wide {
            put32(b, ph, ty);
            put64(b, ph + 8, off);
            put64(b, ph + 16, paddr | 0xffff_8880_0000_0000);
            put64(b, ph + 24, paddr);
            put64(b, ph + 32, filesz);
            put64(b, ph + 40, memsz);
        } else {
            put32(b, ph, ty);
            put32(b, ph + 4, off as u32);
            put32(b, ph + 8, paddr as u32 | 0xc000_0000);
            put32(b, ph + 12, paddr as u32);
            put32(b, ph + 16, filesz as u32);
            put32(b, ph + 20, memsz as u32);
        }
        ph += phentsize;
    };
    phdr(&mut b, 4, notes_off as u64, 0, notes.len() as u64, 0);
    let mut off = data_off as u64;
    for (paddr, filesz, memsz) in loads {
        phdr(&mut b, 1, off, paddr, filesz, memsz);
        off += filesz;
    }
    b[notes_off..notes_off + notes.len()].copy_from_slice(notes);
    let mem = memory_pages(4);
    b[data_off..].copy_from_slice(&mem);
    b
}

/// The PT_NOTE contents and machine of a real core file, if it has them
/// in its first megabyte (QEMU writes them right after the headers).
pub fn real_notes(core: &std::path::Path) -> Option<(u16, Vec<u8>)> {
    use std::io::Read;
    let mut f = std::fs::File::open(core).ok()?;
    let mut head = vec![0u8; 1 << 20];
    let n = f.read(&mut head).ok()?;
    head.truncate(n);
    let wide = *head.get(4)? == 2;
    let u16_at = |o: usize| -> Option<u64> {
        Some(u16::from_le_bytes(head.get(o..o + 2)?.try_into().ok()?) as u64)
    };
    let u32_at = |o: usize| -> Option<u64> {
        Some(u32::from_le_bytes(head.get(o..o + 4)?.try_into().ok()?) as u64)
    };
    let u64_at = |o: usize| -> Option<u64> {
        Some(u64::from_le_bytes(head.get(o..o + 8)?.try_into().ok()?))
    };
    let machine = u16_at(18)? as u16;
    let (phoff, phent, phnum) = if wide {
        (u64_at(32)?, u16_at(54)?, u16_at(56)?)
    } else {
        (u32_at(28)?, u16_at(42)?, u16_at(44)?)
    };
    for i in 0..phnum {
        let ph = (phoff + i * phent) as usize;
        if u32_at(ph)? != 4 {
            continue;
        }
        let (off, size) = if wide {
            (u64_at(ph + 8)?, u64_at(ph + 32)?)
        } else {
            (u32_at(ph + 4)?, u32_at(ph + 16)?)
        };
        return Some((
            machine,
            head.get(off as usize..(off + size) as usize)?.to_vec(),
        ));
    }
    None
}

/// LiME: two ranges and the zero header that ends a block-device dump.
pub fn lime() -> Vec<u8> {
    let mut b = Vec::new();
    for (start, pages) in [(0u64, 1usize), (0x10_0000, 2)] {
        let mut h = [0u8; 32];
        put32(&mut h, 0, 0x4C69_4D45);
        put32(&mut h, 4, 1);
        put64(&mut h, 8, start);
        put64(&mut h, 16, start + (pages * PAGE) as u64 - 1);
        b.extend_from_slice(&h);
        b.extend(memory_pages(pages));
    }
    b.extend_from_slice(&[0u8; 32]);
    b
}

pub const SNAPSHOT_DICT: &[&[u8]] = &[
    b"\x7fELF\x02\x01\x01\x00",
    b"\x7fELF\x01\x01\x01\x00",
    b"CORE\0\0\0\0",
    b"QEMU\0\0\0\0",
    b"EMiL\x01\0\0\0",
    b"\x04\0\0\0",
    b"\x01\0\0\0",
    b"\xff\xff",
];

pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    w.write_all(b).expect("gzip");
    w.finish().expect("gzip")
}

pub fn xz(b: &[u8]) -> Vec<u8> {
    let mut w =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).expect("xz");
    w.write_all(b).expect("xz");
    w.finish().expect("xz")
}

pub const ISF: &str = r#"{
 "metadata": {"format": "6.2.0", "producer": {"name": "fuzz", "version": "1"}, "linux": {"symbols": [{"kind": "symtab", "name": "System.map"}]}},
 "base_types": {
  "int": {"size": 4, "signed": true, "kind": "int", "endian": "little"},
  "unsigned int": {"size": 4, "signed": false, "kind": "int", "endian": "little"},
  "char": {"size": 1, "signed": true, "kind": "char", "endian": "little"},
  "long unsigned int": {"size": 8, "signed": false, "kind": "int", "endian": "big"},
  "pointer": {"size": 8, "signed": false, "kind": "int", "endian": "little"},
  "void": {"size": 0, "signed": false, "kind": "void", "endian": "little"}
 },
 "user_types": {
  "list_head": {"kind": "struct", "size": 16, "fields": {
   "next": {"offset": 0, "type": {"kind": "pointer", "subtype": {"kind": "struct", "name": "list_head"}}},
   "prev": {"offset": 8, "type": {"kind": "pointer", "subtype": {"kind": "struct", "name": "list_head"}}}}},
  "task_struct": {"kind": "struct", "size": 9216, "fields": {
   "tasks": {"offset": 2192, "type": {"kind": "struct", "name": "list_head"}},
   "mm": {"offset": 2272, "type": {"kind": "pointer", "subtype": {"kind": "struct", "name": "mm_struct"}}},
   "active_mm": {"offset": 2280, "type": {"kind": "pointer", "subtype": {"kind": "struct", "name": "mm_struct"}}},
   "pid": {"offset": 2416, "type": {"kind": "base", "name": "int"}},
   "comm": {"offset": 2976, "type": {"kind": "array", "count": 16, "subtype": {"kind": "base", "name": "char"}}},
   "flags": {"offset": 44, "type": {"kind": "bitfield", "bit_position": 3, "bit_length": 5, "type": {"kind": "base", "name": "unsigned int"}}},
   "state": {"offset": 24, "type": {"kind": "enum", "name": "pid_type"}},
   "fn": {"offset": 48, "type": {"kind": "pointer", "subtype": {"kind": "function"}}},
   "": {"offset": 64, "anonymous": true, "type": {"kind": "union", "name": "unnamed_u1"}}}},
  "unnamed_u1": {"kind": "union", "size": 8, "fields": {
   "a": {"offset": 0, "type": {"kind": "base", "name": "int"}},
   "b": {"offset": 0, "type": {"kind": "array", "count": 2, "subtype": {"kind": "array", "count": 4, "subtype": {"kind": "base", "name": "char"}}}}}},
  "mm_struct": {"kind": "struct", "size": 1024, "fields": {
   "pgd": {"offset": 72, "type": {"kind": "pointer", "subtype": {"kind": "base", "name": "void"}}}}},
  "thing": {"kind": "class", "size": 4, "fields": {}}
 },
 "enums": {"pid_type": {"size": 4, "base": "int", "constants": {"PIDTYPE_PID": 0, "PIDTYPE_TGID": 1, "PIDTYPE_MAX": 4}}},
 "symbols": {
  "init_task": {"address": 18446744071600000000, "type": {"kind": "struct", "name": "task_struct"}},
  "_text": {"address": 18446744071578845184},
  "_end": {"address": 18446744071640000000},
  "start_kernel": {"address": 18446744071590000000, "type": {"kind": "function"}},
  "linux_banner": {"address": 18446744071600004096},
  "negative": {"address": -4096}
 }
}"#;

pub const REKALL: &str = r#"{
 "$METADATA": {"ProfileClass": "Linux", "Type": "Profile"},
 "$CONSTANTS": {"init_task": 18446744071600000000, "_text": 18446744071578845184, "linux_banner": 18446744071600004096, "neg": -1},
 "$FUNCTIONS": {"start_kernel": 18446744071590000000, "init_task": 1},
 "$STRUCTS": {
  "task_struct": [9216, {
   "tasks": [2192, ["list_head", {}]],
   "pid": [2416, ["int", {}]],
   "comm": [2976, ["String", {"length": 16}]],
   "mm": [2272, ["Pointer", {"target": "mm_struct"}]],
   "flags": [44, ["BitField", {"start_bit": 3, "end_bit": 8, "target": "unsigned int"}]],
   "arr": [50, ["Array", {"count": 4, "target": "Pointer", "target_args": {"target": "Array", "target_args": {"count": 2, "target": "int"}}}]],
   "state": [60, ["Enumeration", {"enum_name": "pid_type", "target": "int"}]],
   "f": [70, ["Function", {}]],
   "v": [80, ["Void", {}]]}],
  "list_head": [16, {"next": [0, ["Pointer", {"target": "list_head"}]], "prev": [8, ["Pointer", {"target": "list_head"}]]}],
  "mm_struct": [1024, {"pgd": [72, ["Pointer", {"target": "void"}]]}]
 },
 "$ENUMS": {"pid_type": {"0": "PIDTYPE_PID", "1": "PIDTYPE_TGID", "4": "PIDTYPE_MAX"}}
}"#;

pub const JSON_DICT: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"null",
    b"true",
    b"-",
    b"1e400",
    b"\\u0000",
    b"\\ud800",
    b"\"kind\": \"array\"",
    b"\"kind\": \"bitfield\"",
    b"\"count\": 4294967296",
    b"\"subtype\": ",
    b"\"offset\": -1",
    b"\"size\": 18446744073709551615",
    b"\"bit_position\": 200",
    b"\"bit_length\": 0",
    b"[[[[[[[[[[[[[[[[[[[[",
    b"{\"a\":{\"b\":{\"c\":",
    b"\"target_args\": {\"target\": \"Array\", \"target_args\": {",
    b"\"metadata\": {}",
    b"\"$METADATA\": {}",
    b"\xff\xfe",
    b"\xc3\x28",
];

pub const SYSTEM_MAP: &str = "\
0000000000000000 D __per_cpu_start
0000000000001000 D cpu_debug_store
ffffffff81000000 T _text
ffffffff81000000 T startup_64
ffffffff81000040 T secondary_startup_64
ffffffff81001000 T _stext
ffffffff81c00000 D linux_banner
ffffffff82000000 D init_task
ffffffff82000000 d init_task_alias
ffffffff82010000 B __bss_start
ffffffff82010000 A _end
ffffffff82010008 r __ksymtab_x [mod]
c1000000 T _text32
        U undefined_symbol
ffffffff82010010 W weak_thing\tmodule_name
ffffffff82010020 t a_very_long_name_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
";

pub const SYSMAP_DICT: &[&[u8]] = &[
    b" T ",
    b" t ",
    b" D ",
    b" A ",
    b" U ",
    b"\n",
    b"\r\n",
    b"\t",
    b"ffffffffffffffff",
    b"0000000000000000",
    b"ffffffff81000000",
    b"[",
    b"]",
    b"\0",
    b"\xff",
    b"init_task",
    b"_text",
];

pub const CONFIG: &str = r#"# libvmi.conf
win7 {
    ostype = "Windows";
    win_tasks = 0xb8;
    win_pdbase = 0x18;
    win_pid = 0xb4;
}
linux-guest {
    ostype      = "Linux";
    sysmap      = "/boot/System.map";
    linux_name  = 0x5a8;   // comm
    linux_tasks = 2192;
    linux_mm    = 0x8e0;
    linux_pid   = 0970;
    linux_pgd   = 0x48;
    linux_addr  = 0x10;
    linux_kaslr = 0x16200000;
    kpgd        = 0x10000;
    /* block comment */
    volatility_ist = "/tmp/x.json";
}
"quoted name" { ostype = "Linux"; rekall_profile = "/p/r.json"; }
"#;

pub const CONFIG_DICT: &[&[u8]] = &[
    b"{",
    b"}",
    b"=",
    b";",
    b"\"",
    b"#",
    b"//",
    b"/*",
    b"*/",
    b"0x",
    b"ostype",
    b"sysmap",
    b"linux_name",
    b"win_tasks",
    b"kpgd",
    b"\\",
    b"\n",
    b"\0",
    b"\xff",
    b"0777777777777777777777777",
    b"0xffffffffffffffffff",
    b"-1",
];

/// A PE32 (`plus` false) or PE32+ image of 0x3000 bytes with a
/// 16-entry data directory and an export directory at 0x1000.
pub fn pe_image(plus: bool) -> Vec<u8> {
    const E_LFANEW: usize = 0x80;
    let mut b = vec![0u8; 0x3000];
    put16(&mut b, 0, 0x5a4d);
    put32(&mut b, 60, E_LFANEW as u32);
    put32(&mut b, E_LFANEW, 0x4550);
    put16(&mut b, E_LFANEW + 4, if plus { 0x8664 } else { 0x14c });
    put16(&mut b, E_LFANEW + 6, 2);
    put16(&mut b, E_LFANEW + 20, if plus { 240 } else { 224 });
    let opt = E_LFANEW + 24;
    put16(&mut b, opt, if plus { 0x20b } else { 0x10b });
    let (count, idd) = if plus { (108, 112) } else { (92, 96) };
    put32(&mut b, opt + count, 16);
    for i in 0..16u32 {
        let (rva, size) = if i == 0 {
            (0x1000, 0x180)
        } else {
            (0x100 * i + 0x10, i + 1)
        };
        put32(&mut b, opt + idd + 8 * i as usize, rva);
        put32(&mut b, opt + idd + 8 * i as usize + 4, size);
    }
    let et = 0x1000;
    put32(&mut b, et + 12, 0x1100); // name
    put32(&mut b, et + 16, 1);
    put32(&mut b, et + 20, 2);
    put32(&mut b, et + 24, 2);
    put32(&mut b, et + 28, 0x1200);
    put32(&mut b, et + 32, 0x1300);
    put32(&mut b, et + 36, 0x1400);
    b[0x1100..0x1109].copy_from_slice(b"test.dll\0");
    b
}
