use super::*;

/// Real BTF produced by pahole from tests/data/btf/sample.c (x86_64 gcc).
const SAMPLE: &[u8] = include_bytes!("../../../tests/data/btf/sample.btf");

fn sample() -> Btf {
    Btf::parse(SAMPLE).expect("sample BTF parses")
}

/// Builds a little-endian blob from raw type-section words and strings.
fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
    let tlen = (types.len() * 4) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&[1, 0]);
    for w in [24u32, 0, tlen, tlen, strings.len() as u32] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    for w in types {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(strings);
    out
}

fn info(kind: Kind, vlen: u32, kflag: bool) -> u32 {
    (kind as u32) << 24 | vlen | (kflag as u32) << 31
}

/// Re-encodes a little-endian blob big-endian: every field of the header
/// and of the type section is a u32 (the magic is a u16).
fn to_big_endian(le: &[u8]) -> Vec<u8> {
    let mut out = le.to_vec();
    out[0..2].copy_from_slice(&MAGIC.to_be_bytes());
    for i in (4..24).step_by(4) {
        out[i..i + 4].reverse();
    }
    let word = |i: usize| u32::from_le_bytes(le[i..i + 4].try_into().unwrap()) as usize;
    let (start, len) = (24 + word(8), word(12));
    for i in (start..start + len).step_by(4) {
        out[i..i + 4].reverse();
    }
    out
}

// Values printed by `gcc -DPRINT_OFFSETS sample.c && ./a.out` on x86_64.
const TASK_OFFSETS: &[(&str, u64)] = &[
    ("state", 0),
    ("tasks", 24),
    ("on_cpu", 16),
    ("raw", 16),
    ("pid", 40),
    ("tgid", 44),
    ("real_parent", 48),
    ("mm", 56),
    ("active_mm", 64),
    ("comm", 72),
    ("matrix", 88),
    ("name", 112),
    ("counter", 120),
    ("st", 128),
    ("opaque", 136),
    ("callback", 144),
    ("nest", 152),
    ("nest.deep_b", 154),
    ("nest.deep_list", 160),
    ("x", 176),
    ("y", 184),
    ("z", 184),
    ("flag", 192),
    ("ratio", 196),
    ("dratio", 200),
    ("sc", 208),
];

fn check_sample(btf: &Btf) {
    for &(member, want) in TASK_OFFSETS {
        assert_eq!(
            btf.member_offset("task_struct", member),
            Some(want),
            "task_struct.{member}"
        );
    }
    assert_eq!(btf.member_offset("mm_struct", "pgd"), Some(8));
    assert_eq!(btf.member_offset("mm_struct", "map_count"), Some(16));
    assert_eq!(btf.member_offset("mm_struct", "mmlist"), Some(24));
    assert_eq!(btf.member_offset("mm_struct", "mmlist.prev"), Some(32));
    assert_eq!(btf.member_offset("task_struct", "nope"), None);
    assert_eq!(btf.member_offset("task_struct", "tasks.nope"), None);
    assert_eq!(btf.member_offset("no_such_struct", "pid"), None);

    let task = btf.struct_by_name("task_struct").unwrap();
    assert_eq!(task.size, 216);
    assert!(!task.is_union);
    let mm = btf.struct_by_name("mm_struct").unwrap();
    assert_eq!(mm.size, 40);
    let every = btf.struct_by_name("every").unwrap();
    assert!(every.is_union);
    assert_eq!(every.size, 8);
    assert_eq!(
        btf.type_size(btf.find("task_struct", &[Kind::Struct]).unwrap())
            .unwrap(),
        216
    );
}

#[test]
fn sample_offsets_match_offsetof() {
    let btf = sample();
    assert!(!btf.is_big_endian());
    assert_eq!(btf.pointer_size(), 8);
    check_sample(&btf);
}

#[test]
fn big_endian_blob_reads_the_same() {
    let be = to_big_endian(SAMPLE);
    assert_ne!(be, SAMPLE);
    let btf = Btf::parse(&be).unwrap();
    assert!(btf.is_big_endian());
    check_sample(&btf);
}

#[test]
fn member_type_names() {
    let btf = sample();
    let ty = |m: &str| btf.member("task_struct", m).unwrap().type_name;
    assert_eq!(ty("tasks"), "struct list_head");
    assert_eq!(ty("pid"), "pid_t");
    assert_eq!(ty("comm"), "char [16]");
    assert_eq!(ty("mm"), "struct mm_struct *");
    // pahole 1.24 flattens multi-dimensional arrays into one dimension.
    assert_eq!(ty("matrix"), "int [6]");
    assert_eq!(ty("name"), "char *");
    assert_eq!(ty("counter"), "cv_u64");
    assert_eq!(ty("st"), "enum task_state");
    assert_eq!(ty("opaque"), "struct fwd_only *");
    assert_eq!(ty("callback"), "void (*)(struct task_struct *, int)");
    assert_eq!(ty("raw"), "u64 [3]");
    assert_eq!(ty("nest.deep_list"), "struct list_head");
    assert_eq!(
        btf.member("mm_struct", "mmlist.next").unwrap().type_name,
        "struct list_head *"
    );
}

#[test]
fn bitfields() {
    let btf = sample();
    let task = btf.struct_by_name("task_struct").unwrap();
    let get = |n: &str| task.members.iter().find(|m| m.name == n).unwrap().clone();
    let (flags, prio, iow) = (get("flags"), get("prio"), get("in_iowait"));
    assert_eq!(
        (flags.bit_offset, flags.bitfield_size, flags.offset),
        (64, 3, 8)
    );
    assert_eq!((prio.bit_offset, prio.bitfield_size), (67, 7));
    assert_eq!((iow.bit_offset, iow.bitfield_size), (74, 1));
    assert_eq!(get("pid").bitfield_size, 0);
    // Anonymous members show up with empty names in the direct view.
    assert!(task.members.iter().any(|m| m.name.is_empty()));
    // As DWARF / ISF describe bitfields: storage unit offset + bit position.
    assert_eq!(btf.bitfield_storage(&prio).unwrap(), (8, 3));
    assert_eq!(btf.bitfield_storage(&iow).unwrap(), (8, 10));
    assert_eq!(btf.bitfield_storage(&get("pid")).unwrap(), (40, 0));
    let via_lookup = btf.member("task_struct", "prio").unwrap();
    assert_eq!((via_lookup.bit_offset, via_lookup.bitfield_size), (67, 7));
}

#[test]
fn sizes_resolution_and_refs() {
    let btf = sample();
    let id = |n: &str, k: Kind| btf.find(n, &[k]).unwrap();
    let pid_t = id("pid_t", Kind::Typedef);
    assert_eq!(btf.type_size(pid_t).unwrap(), 4);
    assert_eq!(btf.kind(btf.resolve(pid_t).unwrap()).unwrap(), Kind::Int);
    let cv = id("cv_u64", Kind::Typedef);
    assert_eq!(btf.type_size(cv).unwrap(), 8);
    let comm = btf.member("task_struct", "comm").unwrap();
    assert_eq!(btf.type_size(comm.type_id).unwrap(), 16);
    let matrix = btf.member("task_struct", "matrix").unwrap();
    assert_eq!(btf.type_size(matrix.type_id).unwrap(), 24);
    assert_eq!(
        btf.type_ref(matrix.type_id).unwrap(),
        TypeRef::Array {
            count: 6,
            subtype: Box::new(TypeRef::Base { name: "int".into() })
        }
    );
    let mm = btf.member("task_struct", "mm").unwrap();
    match btf.type_ref(mm.type_id).unwrap() {
        TypeRef::Pointer(inner) => {
            assert!(matches!(*inner, TypeRef::Struct { name: Some(ref n), .. } if n == "mm_struct"))
        }
        other => panic!("unexpected {other:?}"),
    }
    let pid = btf.member("task_struct", "pid").unwrap();
    assert_eq!(
        btf.type_ref(pid.type_id).unwrap(),
        TypeRef::Base { name: "int".into() }
    );
    let cb = btf.member("task_struct", "callback").unwrap();
    assert_eq!(
        btf.type_ref(cb.type_id).unwrap(),
        TypeRef::Pointer(Box::new(TypeRef::Function))
    );

    let int = btf.base_type(id("int", Kind::Int)).unwrap();
    assert_eq!((int.size, int.signed, int.kind), (4, true, BaseKind::Int));
    let b = btf.base_type(id("_Bool", Kind::Int)).unwrap();
    assert_eq!((b.size, b.kind), (1, BaseKind::Bool));
    let ch = btf.base_type(id("char", Kind::Int)).unwrap();
    assert_eq!((ch.size, ch.kind), (1, BaseKind::Char));
    let f = btf.base_type(id("float", Kind::Float)).unwrap();
    assert_eq!((f.size, f.kind), (4, BaseKind::Float));
    assert!(btf.base_type(pid_t).is_err());

    let e = btf.enum_by_id(id("task_state", Kind::Enum)).unwrap();
    assert_eq!(
        e.values,
        vec![
            ("TASK_RUNNING", 0),
            ("TASK_INTERRUPTIBLE", 1),
            ("TASK_DEAD", 0x80)
        ]
    );
    assert_eq!(e.size, 4);

    let named: Vec<_> = btf.named_types().map(|(_, k, n)| (k, n)).collect();
    for want in [
        (Kind::Struct, "task_struct"),
        (Kind::Struct, "list_head"),
        (Kind::Union, "every"),
        (Kind::Enum, "task_state"),
        (Kind::Typedef, "pid_t"),
        (Kind::Typedef, "task_t"),
        (Kind::Int, "long int"),
        (Kind::Float, "double"),
    ] {
        assert!(named.contains(&want), "{want:?} missing");
    }
    assert!(!named
        .iter()
        .any(|(k, _)| *k == Kind::Fwd || *k == Kind::Ptr));
    // The forward declaration is findable as FWD, not as a struct.
    assert!(btf.find("fwd_only", &[Kind::Fwd]).is_some());
    assert!(btf.struct_by_name("fwd_only").is_none());
}

#[test]
fn handcrafted_blob_with_enum64_and_old_style_bitfield() {
    // Strings: 0:"" 1:"u" 3:"s" 5:"a" 7:"b" 9:"E" 11:"X"
    let strings = b"\0u\0s\0a\0b\0E\0X\0";
    let types = [
        // 1: INT "u", 4 bytes, 32 bits unsigned
        1,
        info(Kind::Int, 0, false),
        4,
        32,
        // 2: INT "" 4 bytes, bitfield int: offset 5, 3 bits (old encoding)
        0,
        info(Kind::Int, 0, false),
        4,
        (5 << 16) | 3,
        // 3: STRUCT "s" size 8, members a:u at 0, b:(2) at bit 32
        3,
        info(Kind::Struct, 2, false),
        8,
        5,
        1,
        0,
        7,
        2,
        32,
        // 4: ENUM64 "E" signed, value X = -2
        9,
        info(Kind::Enum64, 1, true),
        8,
        11,
        0xffff_fffe,
        0xffff_ffff,
        // 5: u [3], 6: (u [3]) [2], 7: pointer to 5, 8: array [4] of 7
        0,
        info(Kind::Array, 0, false),
        0,
        1,
        1,
        3,
        0,
        info(Kind::Array, 0, false),
        0,
        5,
        1,
        2,
        0,
        info(Kind::Ptr, 0, false),
        5,
        0,
        info(Kind::Array, 0, false),
        0,
        7,
        1,
        4,
    ];
    let btf = Btf::parse(&blob(&types, strings)).unwrap();
    let b = btf.member("s", "b").unwrap();
    assert_eq!((b.bit_offset, b.bitfield_size, b.offset), (37, 3, 4));
    assert_eq!(btf.enum_by_id(4).unwrap().values, vec![("X", -2)]);
    assert_eq!(btf.type_name(6).unwrap(), "u [2][3]");
    assert_eq!(btf.type_size(6).unwrap(), 24);
    assert_eq!(
        btf.type_ref(6).unwrap(),
        TypeRef::Array {
            count: 2,
            subtype: Box::new(TypeRef::Array {
                count: 3,
                subtype: Box::new(TypeRef::Base { name: "u".into() })
            })
        }
    );
    assert_eq!(btf.type_name(7).unwrap(), "u (*)[3]");
    assert_eq!(btf.type_name(8).unwrap(), "u (*[4])[3]");
    assert_eq!(btf.type_size(8).unwrap(), 32);
    // No `long` in the blob: pointer size defaults to 8.
    assert_eq!(btf.pointer_size(), 8);
}

#[test]
fn malformed_blobs_are_errors() {
    let s = b"\0a\0";
    let ok = blob(&[1, info(Kind::Int, 0, false), 4, 32], s);
    assert!(Btf::parse(&ok).is_ok());

    assert!(Btf::parse(&[]).is_err());
    assert!(Btf::parse(&ok[..10]).is_err());
    let mut bad_magic = ok.clone();
    bad_magic[0] = 0;
    assert!(Btf::parse(&bad_magic).is_err());
    let mut bad_version = ok.clone();
    bad_version[2] = 2;
    assert!(Btf::parse(&bad_version).is_err());
    let mut huge_hdr = ok.clone();
    huge_hdr[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Btf::parse(&huge_hdr).is_err());
    let mut overflowing = ok.clone();
    overflowing[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Btf::parse(&overflowing).is_err());
    // Strings must start and end with NUL.
    assert!(Btf::parse(&blob(&[1, info(Kind::Int, 0, false), 4, 32], b"\0a")).is_err());
    assert!(Btf::parse(&blob(&[], b"")).is_err());
    // Name offset past the strings.
    assert!(Btf::parse(&blob(&[99, info(Kind::Int, 0, false), 4, 32], s)).is_err());
    // Type id out of range.
    assert!(Btf::parse(&blob(&[0, info(Kind::Ptr, 0, false), 7], s)).is_err());
    // Unknown kind.
    assert!(Btf::parse(&blob(&[0, 25 << 24, 0], s)).is_err());
    // Huge vlen with no member data behind it.
    assert!(Btf::parse(&blob(&[1, info(Kind::Struct, 0xffff, false), 8], s)).is_err());
    // Truncated trailer.
    assert!(Btf::parse(&blob(&[0, info(Kind::Array, 0, false), 0, 1], s)).is_err());
}

#[test]
fn cycles_are_errors_not_hangs() {
    let s = b"\0a\0b\0";
    // 1: typedef a -> 2, 2: typedef b -> 1; 3: const -> 3; 4: array of 4.
    let types = [
        1,
        info(Kind::Typedef, 0, false),
        2,
        3,
        info(Kind::Typedef, 0, false),
        1,
        0,
        info(Kind::Const, 0, false),
        3,
        0,
        info(Kind::Array, 0, false),
        0,
        4,
        1,
        1000,
        // 5: struct a with an anonymous member of its own type.
        1,
        info(Kind::Struct, 1, false),
        4,
        0,
        5,
        0,
    ];
    let btf = Btf::parse(&blob(&types, s)).unwrap();
    for id in 1..=5 {
        let _ = btf.resolve(id);
        let _ = btf.type_size(id);
        let _ = btf.type_name(id);
        let _ = btf.type_ref(id);
        let _ = btf.strip_qualifiers(id);
    }
    assert!(btf.resolve(1).is_err());
    assert!(btf.type_size(3).is_err());
    assert!(btf.type_size(4).is_err());
    assert!(btf.type_name(4).is_err());
    assert!(btf.member_in(5, "zzz").is_err());

    // A struct whose anonymous members are all itself: exponential fan-out
    // without a work budget.
    let mut fan = vec![1, info(Kind::Struct, 64, false), 4];
    for _ in 0..64 {
        fan.extend([0, 1, 0]);
    }
    let btf = Btf::parse(&blob(&fan, s)).unwrap();
    let t = std::time::Instant::now();
    assert!(btf.member_offset("a", "zzz").is_none());
    assert!(btf.member_in(1, "zzz").is_err());
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(btf.member_offset("a", "zzz"), None);
}

/// Exercises every accessor on every id of a (possibly corrupt) blob.
fn exercise(btf: &Btf) {
    for id in 0..btf.type_count() + 2 {
        let _ = btf.kind(id);
        let _ = btf.name(id);
        let _ = btf.type_size(id);
        let _ = btf.type_name(id);
        let _ = btf.type_ref(id);
        let _ = btf.resolve(id);
        let _ = btf.target(id);
        let _ = btf.array(id);
        let _ = btf.base_type(id);
        let _ = btf.enum_by_id(id);
        let _ = btf.func_proto(id);
        if let Ok(s) = btf.struct_by_id(id) {
            for m in &s.members {
                let _ = btf.member_in(id, m.name);
            }
        }
    }
    for (_, _, name) in btf.named_types() {
        let _ = btf.struct_by_name(name);
    }
    for &(m, _) in TASK_OFFSETS {
        let _ = btf.member_offset("task_struct", m);
    }
}

#[test]
fn mutated_blobs_never_panic() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parsed = 0;
    for round in 0..4000 {
        let mut m = SAMPLE.to_vec();
        let edits = 1 + next() % 4;
        for _ in 0..edits {
            let pos = (next() as usize) % m.len();
            m[pos] = match round % 3 {
                0 => next() as u8,
                1 => m[pos] ^ (1 << (next() % 8)),
                _ => [0, 0xff, 1, 0x80][(next() % 4) as usize],
            };
        }
        if round % 50 == 0 {
            let cut = (next() as usize) % m.len();
            m.truncate(cut);
        }
        if let Ok(btf) = Btf::parse(&m) {
            parsed += 1;
            exercise(&btf);
        }
    }
    // Most single-byte edits land in places that keep the blob parseable,
    // so the accessors really ran on corrupt data.
    assert!(parsed > 1000, "only {parsed} mutated blobs parsed");
}

#[test]
fn scan_finds_blob_in_memory() {
    let mut mem = vec![0u8; 3 * 4096];
    // A decoy magic with a broken header first.
    mem[100..104].copy_from_slice(&[0x9f, 0xeb, 1, 0]);
    mem[4096 + 12..4096 + 12 + SAMPLE.len()].copy_from_slice(SAMPLE);
    assert_eq!(scan_for_btf(&mem), Some((4096 + 12, SAMPLE.len())));
    assert_eq!(scan_for_btf(&mem[..4096]), None);
}

/// Real guests, when the guest builder's images are present: find the
/// kernel's own BTF in physical memory, then prove the offsets by walking
/// the task list and comparing with the guest's `ps` (truth/ps.txt).
/// Symbol addresses come from the guest's /proc/kallsyms (truth/kallsyms).
mod guest {
    use super::*;
    use std::collections::{BTreeMap, HashMap};
    use std::path::{Path, PathBuf};

    fn guest_dir(name: &str) -> Option<PathBuf> {
        let root = std::env::var_os("LIBVMI_GUESTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/work/wt/guests/target/guests"));
        let dir = root.join(name);
        (dir.join(".complete").exists() && dir.join("mem.raw").exists()).then_some(dir)
    }

    fn symbol_file(path: &Path) -> HashMap<String, u64> {
        let text = std::fs::read_to_string(path).unwrap();
        let mut out = HashMap::new();
        for l in text.lines().filter(|l| !l.contains('[')) {
            let f: Vec<&str> = l.split_whitespace().collect();
            out.entry(f[2].to_string())
                .or_insert(u64::from_str_radix(f[0], 16).unwrap());
        }
        out
    }

    /// Runtime addresses: /proc/kallsyms, or for symbols it lacks (arm64
    /// without KALLSYMS_ALL) System.map moved by the KASLR slide of _stext.
    fn kallsyms(dir: &Path) -> HashMap<String, u64> {
        let mut live = symbol_file(&dir.join("truth/kallsyms"));
        let map = symbol_file(&dir.join("System.map"));
        let slide = live["_stext"].wrapping_sub(map["_stext"]);
        for (name, addr) in map {
            live.entry(name).or_insert(addr.wrapping_add(slide));
        }
        live
    }

    /// The largest RAM range of the guest (meta.json), as file offsets of
    /// mem.raw; the rest of the file is holes.
    fn ram(dir: &std::path::Path) -> (usize, usize) {
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
        meta["ram_ranges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["start"].as_u64().unwrap() as usize,
                    r["end"].as_u64().unwrap() as usize,
                )
            })
            .max_by_key(|(s, e)| e - s)
            .unwrap()
    }

    /// pid -> (ppid, comm) from truth/ps.txt.
    fn ps(dir: &Path) -> BTreeMap<i32, (i32, String)> {
        let text = std::fs::read_to_string(dir.join("truth/ps.txt")).unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                // /proc/PID/comm adds "-<workqueue>" to kworkers; the
                // kernel's comm field holds at most 15 bytes.
                let mut comm = f[2];
                if comm.starts_with("kworker/") {
                    comm = comm.split('-').next().unwrap();
                }
                let comm = &comm.as_bytes()[..comm.len().min(15)];
                (
                    f[0].parse().unwrap(),
                    (
                        f[1].parse().unwrap(),
                        String::from_utf8_lossy(comm).into_owned(),
                    ),
                )
            })
            .collect()
    }

    struct Mem<'a> {
        raw: &'a [u8],
        /// Kernel image: va - image_delta = pa.
        image_delta: u64,
        image_start: u64,
        /// Linear map: pa = (va - linear_va) + linear_pa.
        linear_va: u64,
        linear_pa: u64,
    }

    impl Mem<'_> {
        fn pa(&self, va: u64) -> usize {
            if va >= self.image_start {
                (va - self.image_delta) as usize
            } else {
                // memstart_addr may be "negative" under arm64 KASLR.
                va.wrapping_sub(self.linear_va).wrapping_add(self.linear_pa) as usize
            }
        }
        fn u64(&self, va: u64) -> u64 {
            let p = self.pa(va);
            u64::from_le_bytes(self.raw[p..p + 8].try_into().unwrap())
        }
        fn i32(&self, va: u64) -> i32 {
            let p = self.pa(va);
            i32::from_le_bytes(self.raw[p..p + 4].try_into().unwrap())
        }
        fn comm(&self, va: u64) -> String {
            let p = self.pa(va);
            let b = &self.raw[p..p + 16];
            String::from_utf8_lossy(&b[..b.iter().position(|&c| c == 0).unwrap_or(16)]).into_owned()
        }
    }

    fn check_guest(name: &str) {
        let Some(dir) = guest_dir(name) else {
            eprintln!("guest image {name} not present; skipped");
            return;
        };
        let file = std::fs::File::open(dir.join("mem.raw")).unwrap();
        // SAFETY: read-only map of a file nobody modifies during the test.
        let raw = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        let syms = kallsyms(&dir);

        // Once to fault the mapping in, once to time the scan itself.
        let (lo, hi) = ram(&dir);
        let _ = scan_for_btf(&raw[lo..hi]);
        let t0 = std::time::Instant::now();
        let (at, len) = scan_for_btf(&raw[lo..hi]).expect("kernel BTF in memory");
        let at = at + lo;
        let scanned = t0.elapsed();
        let t1 = std::time::Instant::now();
        let btf = Btf::parse(&raw[at..at + len]).unwrap();
        let parsed = t1.elapsed();
        let t2 = std::time::Instant::now();
        let tasks = btf.member_offset("task_struct", "tasks").unwrap();
        let indexed = t2.elapsed();
        let (start, stop) = (syms["__start_BTF"], syms["__stop_BTF"]);
        assert_eq!(
            len as u64,
            stop - start,
            "blob length equals __stop_BTF - __start_BTF"
        );

        let off = |s: &str, m: &str| btf.member_offset(s, m).unwrap_or_else(|| panic!("{s}.{m}"));
        let (pid, comm, parent, mm) = (
            off("task_struct", "pid"),
            off("task_struct", "comm"),
            off("task_struct", "real_parent"),
            off("task_struct", "mm"),
        );
        eprintln!(
            "{name}: BTF {len} bytes at pa {at:#x}, {} types; scan {scanned:?}, parse {parsed:?}, \
             first lookup (index build) {indexed:?}",
            btf.type_count()
        );
        for (s, m) in [
            ("task_struct", "tasks"),
            ("task_struct", "pid"),
            ("task_struct", "tgid"),
            ("task_struct", "comm"),
            ("task_struct", "mm"),
            ("task_struct", "active_mm"),
            ("task_struct", "real_parent"),
            ("mm_struct", "pgd"),
            ("module", "list"),
            ("module", "name"),
            ("module", "core_layout"),
            ("printk_ringbuffer", "desc_ring"),
            ("printk_ringbuffer", "text_data_ring"),
            ("prb_desc_ring", "descs"),
            ("prb_desc_ring", "infos"),
            ("printk_info", "text_len"),
        ] {
            let m = btf.member(s, m);
            eprintln!(
                "  {s}.{:<16} {:?}",
                m.as_ref().map_or("-", |m| m.name),
                m.map(|m| (m.offset, m.type_name))
            );
        }

        let image_delta = start - at as u64;
        let image_start = syms["_text"];
        let mem = if btf.pointer_size() == 8 && syms.contains_key("page_offset_base") {
            // x86_64: the direct map starts at page_offset_base (KASLR'd).
            let probe = Mem {
                raw: &raw,
                image_delta,
                image_start,
                linear_va: 0,
                linear_pa: 0,
            };
            let base = probe.u64(syms["page_offset_base"]);
            Mem {
                raw: &raw,
                image_delta,
                image_start,
                linear_va: base,
                linear_pa: 0,
            }
        } else {
            // arm64 (48-bit VA): linear va = (pa - memstart_addr) | PAGE_OFFSET.
            let probe = Mem {
                raw: &raw,
                image_delta,
                image_start,
                linear_va: 0,
                linear_pa: 0,
            };
            let memstart = probe.u64(syms["memstart_addr"]);
            Mem {
                raw: &raw,
                image_delta,
                image_start,
                linear_va: 0xffff_0000_0000_0000,
                linear_pa: memstart,
            }
        };

        let init = syms["init_task"];
        let mut seen = BTreeMap::new();
        let mut cur = mem.u64(init + tasks) - tasks;
        for _ in 0..10_000 {
            if cur == init {
                break;
            }
            let ppid = mem.i32(mem.u64(cur + parent) + pid);
            seen.insert(
                mem.i32(cur + pid),
                (ppid, mem.comm(cur + comm), mem.u64(cur + mm)),
            );
            cur = mem.u64(cur + tasks) - tasks;
        }
        assert_eq!(cur, init, "task list closes");
        let want = ps(&dir);
        let got: BTreeMap<i32, (i32, String)> = seen
            .iter()
            .map(|(&p, (pp, c, _))| (p, (*pp, c.clone())))
            .collect();
        assert_eq!(got, want, "task list walked with BTF offsets equals ps");
        // Kernel threads (children of kthreadd) have no mm; init has one.
        assert_ne!(seen[&1].2, 0);
        assert!(seen
            .values()
            .filter(|(pp, _, _)| *pp == 2)
            .all(|(_, _, mm)| *mm == 0));
        eprintln!("{name}: walked {} tasks, all equal to ps", seen.len());
    }

    #[test]
    fn guest_x86_64_btf_walks_task_list() {
        check_guest("x86_64");
    }

    #[test]
    fn guest_arm64_btf_walks_task_list() {
        check_guest("arm64");
    }
}
