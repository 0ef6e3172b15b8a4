//! Tests over whole profiles: realistic ISF and Rekall samples, compressed
//! variants, hostile inputs and lookup cost.

use super::*;
use crate::Error;
use serde_json::json;
use std::io::Write;

const INIT_TASK: u64 = 0xffff_ffff_8261_0940;
const SWAPPER_PG_DIR: u64 = 0xffff_ffff_8280_a000;
const LINUX_BANNER: u64 = 0xffff_ffff_8220_01a0;
const SCHEDULE: u64 = 0xffff_ffff_81f3_a6f0;
const DO_EXIT: u64 = 0xffff_ffff_810b_c2a0;

fn ptr(to: serde_json::Value) -> serde_json::Value {
    json!({"kind": "pointer", "subtype": to})
}
fn st(name: &str) -> serde_json::Value {
    json!({"kind": "struct", "name": name})
}
fn base(name: &str) -> serde_json::Value {
    json!({"kind": "base", "name": name})
}

/// A cut-down dwarf2json output for a 6.x x86-64 kernel.
fn isf_value() -> serde_json::Value {
    json!({
        "metadata": {
            "linux": {"symbols": [{"kind": "dwarf", "name": "vmlinux-6.1.0-18-amd64",
                                   "hash_type": "sha256", "hash_value": "00ab"}]},
            "producer": {"name": "dwarf2json", "version": "0.8.0"},
            "format": "6.2.0"
        },
        "base_types": {
            "int": {"kind": "int", "size": 4, "signed": true, "endian": "little"},
            "unsigned int": {"kind": "int", "size": 4, "signed": false, "endian": "little"},
            "long unsigned int": {"kind": "int", "size": 8, "signed": false, "endian": "little"},
            "char": {"kind": "char", "size": 1, "signed": true, "endian": "little"},
            "pointer": {"kind": "int", "size": 8, "signed": false, "endian": "little"},
            "void": {"kind": "void", "size": 0, "signed": false, "endian": "little"}
        },
        "user_types": {
            "list_head": {"kind": "struct", "size": 16, "fields": {
                "next": {"offset": 0, "type": ptr(st("list_head"))},
                "prev": {"offset": 8, "type": ptr(st("list_head"))}
            }},
            "task_struct": {"kind": "struct", "size": 9792, "fields": {
                "__state": {"offset": 24, "type": base("unsigned int")},
                "tasks": {"offset": 2280, "type": st("list_head")},
                "mm": {"offset": 2328, "type": ptr(st("mm_struct"))},
                "active_mm": {"offset": 2336, "type": ptr(st("mm_struct"))},
                "sched_reset_on_fork": {"offset": 2364, "type": {"kind": "bitfield",
                    "bit_position": 1, "bit_length": 1, "type": base("unsigned int")}},
                "in_execve": {"offset": 2368, "type": {"kind": "bitfield",
                    "bit_position": 3, "bit_length": 1, "type": base("unsigned int")}},
                "pid": {"offset": 2464, "type": base("int")},
                "tgid": {"offset": 2468, "type": base("int")},
                "children": {"offset": 2496, "type": st("list_head")},
                "comm": {"offset": 3016, "type": {"kind": "array", "count": 16, "subtype": base("char")}},
                "thread": {"offset": 9600, "type": st("thread_struct")}
            }},
            "thread_struct": {"kind": "struct", "size": 192, "fields": {
                "sp": {"offset": 24, "type": base("long unsigned int")},
                "fsbase": {"offset": 40, "type": base("long unsigned int")}
            }},
            "mm_struct": {"kind": "struct", "size": 1088, "fields": {
                "unnamed_field_0": {"offset": 0, "anonymous": true,
                                    "type": st("unnamed_8216149fbf604e93")},
                "cpu_bitmap": {"offset": 1088, "type": {"kind": "array", "count": 0,
                                                        "subtype": base("long unsigned int")}}
            }},
            "unnamed_8216149fbf604e93": {"kind": "struct", "size": 1080, "fields": {
                "mm_mt": {"offset": 0, "type": st("maple_tree")},
                "pgd": {"offset": 80, "type": ptr(st("pgd_t"))},
                "unnamed_field_58": {"offset": 96, "anonymous": true,
                                     "type": {"kind": "union", "name": "unnamed_0b3e5a"}}
            }},
            "unnamed_0b3e5a": {"kind": "union", "size": 8, "fields": {
                "mm_count": {"offset": 0, "type": base("int")},
                "mm_users": {"offset": 4, "type": base("int")}
            }},
            "maple_tree": {"kind": "struct", "size": 16, "fields": {}},
            "pgd_t": {"kind": "struct", "size": 8, "fields": {
                "pgd": {"offset": 0, "type": base("long unsigned int")}
            }},
            "no_size": {"kind": "struct", "fields": {}},
            "_ROW": {"kind": "struct", "size": 40, "fields": {
                "Blink": {"offset": -88, "type": ptr(st("_ROW"))},
                "CharRow": {"offset": 0, "type": base("long unsigned int")},
                "huge": {"offset": 18446744073709551615u64, "type": base("int")},
                "nested": {"offset": 8, "anonymous": true, "type": st("_ROW_INNER")}
            }},
            "_ROW_INNER": {"kind": "struct", "size": 16, "fields": {
                "Back": {"offset": -16, "type": base("int")},
                "wide": {"offset": 0, "type": {"kind": "bitfield", "bit_position": 70000000000u64,
                                               "bit_length": 1, "type": base("int")}}
            }}
        },
        "enums": {
            "pid_type": {"size": 4, "base": "unsigned int", "constants": {
                "PIDTYPE_PID": 0, "PIDTYPE_TGID": 1, "PIDTYPE_PGID": 2, "PIDTYPE_SID": 3, "PIDTYPE_MAX": 4
            }}
        },
        "symbols": {
            "init_task": {"address": INIT_TASK, "type": st("task_struct")},
            "swapper_pg_dir": {"address": SWAPPER_PG_DIR, "type": st("pgd_t")},
            "linux_banner": {"address": LINUX_BANNER,
                             "type": {"kind": "array", "count": 0, "subtype": base("char")}},
            "schedule": {"address": SCHEDULE, "type": {"kind": "function"}},
            "do_exit": {"address": DO_EXIT, "type": {"kind": "function"}},
            "no_address": {"type": base("int")},
            "negative": {"address": -5},
            "too_big": {"address": "TOO_BIG"}
        }
    })
}

/// The sample as text, with one integer no JSON value type here can hold.
fn isf_bytes() -> Vec<u8> {
    let text = serde_json::to_string_pretty(&isf_value()).unwrap();
    text.replace("\"TOO_BIG\"", "36893488147419103232")
        .into_bytes()
}

fn rekall_value() -> serde_json::Value {
    json!({
        "$METADATA": {"ProfileClass": "Linux", "Type": "Profile", "arch": "AMD64"},
        "$CONSTANTS": {
            "init_task": INIT_TASK,
            "swapper_pg_dir": SWAPPER_PG_DIR,
            "linux_banner": LINUX_BANNER,
            "not_a_number": "oops"
        },
        "$FUNCTIONS": {
            "schedule": SCHEDULE,
            "do_exit": DO_EXIT,
            "init_task": 1234
        },
        "$STRUCTS": {
            "list_head": [16, {
                "next": [0, ["Pointer", {"target": "list_head"}]],
                "prev": [8, ["Pointer", {"target": "list_head"}]]
            }],
            "task_struct": [9792, {
                "tasks": [2280, ["list_head", {}]],
                "mm": [2328, ["Pointer", {"target": "mm_struct"}]],
                "pid": [2464, ["int", {}]],
                "comm": [3016, ["String", {"length": 16}]],
                "sched_reset_on_fork": [2364, ["BitField",
                    {"start_bit": 1, "end_bit": 2, "target": "unsigned int"}]],
                "state": [24, ["Enumeration", {"enum_name": "task_state", "target": "long int"}]],
                "files": [2952, ["Pointer", {"target": "Array",
                    "target_args": {"count": 4, "target": "int"}}]],
                "broken": ["x", ["int"]]
            }],
            "mm_struct": [1088, {
                "u1": [0, ["__unnamed_178927", {}]]
            }],
            "__unnamed_178927": [1080, {
                "pgd": [80, ["Pointer", {"target": "pgd_t"}]],
                "flags": [880, ["long unsigned int", {}]]
            }],
            "bad_struct": "not an array"
        },
        "$ENUMS": {
            "pid_type": {"0": "PIDTYPE_PID", "1": "PIDTYPE_TGID", "4": "PIDTYPE_MAX"}
        }
    })
}

fn rekall_bytes() -> Vec<u8> {
    serde_json::to_vec(&rekall_value()).unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut w =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6)).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

/// What a loader must answer for the Linux samples, whichever format.
fn check_common_linux(p: &Profile) {
    assert_eq!(p.os(), Some(OsKind::Linux));
    assert_eq!(p.symbol("init_task"), Some(INIT_TASK));
    assert_eq!(p.symbol("swapper_pg_dir"), Some(SWAPPER_PG_DIR));
    assert_eq!(p.symbol("schedule"), Some(SCHEDULE));
    assert_eq!(p.symbol("not_there"), None);
    assert_eq!(p.symbol_entry("schedule").unwrap().kind, b'T');
    assert_eq!(p.symbol_entry("init_task").unwrap().kind, b'D');

    assert_eq!(p.struct_size("task_struct"), Some(9792));
    assert_eq!(p.struct_size("list_head"), Some(16));
    assert_eq!(p.struct_size("nope"), None);
    assert_eq!(p.member_offset("task_struct", "tasks"), Some(2280));
    assert_eq!(p.member_offset("task_struct", "pid"), Some(2464));
    assert_eq!(p.member_offset("task_struct", "comm"), Some(3016));
    assert_eq!(p.member_offset("list_head", "prev"), Some(8));
    assert_eq!(p.member_offset("task_struct", "nope"), None);
    assert_eq!(p.member_offset("nope", "tasks"), None);
    // pgd lives in an anonymous struct inside mm_struct
    assert_eq!(p.member_offset("mm_struct", "pgd"), Some(80));
    assert_eq!(
        p.member_type_name("task_struct", "tasks"),
        Some("list_head")
    );
    assert_eq!(p.member_type_name("task_struct", "pid"), Some("int"));
    assert_eq!(p.member_type_name("task_struct", "mm"), None);
    assert!(matches!(
        &p.member("task_struct", "mm").unwrap().field.ty,
        TypeDesc::Pointer(t) if t.name() == Some("mm_struct")
    ));
    assert_eq!(
        p.bitfield("task_struct", "sched_reset_on_fork"),
        Some((2364, 1, 1))
    );
    assert_eq!(p.bitfield("task_struct", "pid"), None);
    assert_eq!(p.enum_value("pid_type", "PIDTYPE_TGID"), Some(1));
    assert_eq!(p.enum_value("pid_type", "PIDTYPE_MAX"), Some(4));
    assert_eq!(p.enum_value("pid_type", "PIDTYPE_NONE"), None);

    assert_eq!(
        p.nearest_symbol(SCHEDULE + 0x35),
        Some(("schedule", SCHEDULE))
    );
    assert_eq!(
        p.nearest_symbol(INIT_TASK + 0x900),
        Some(("init_task", INIT_TASK))
    );
    assert_eq!(p.symbol_at(LINUX_BANNER), Some("linux_banner"));
    assert_eq!(p.nearest_symbol(DO_EXIT - 1), None);
}

#[test]
fn isf_lookups() {
    let p = from_isf(&isf_bytes()).unwrap();
    assert_eq!(p.source(), ProfileSource::Isf);
    check_common_linux(&p);
    assert_eq!(p.symbol("no_address"), None);
    assert_eq!(p.symbol("too_big"), None);
    // json-c reads int64, so upstream sees -5 as 2^64 - 5
    assert_eq!(p.symbol("negative"), Some(-5i64 as u64));
    assert_eq!(p.symbol_count(), 6);
    assert!(matches!(
        p.symbol_entry("init_task").unwrap().ty,
        Some(TypeDesc::Struct(ref n)) if &**n == "task_struct"
    ));
    assert_eq!(p.bitfield("task_struct", "in_execve"), Some((2368, 3, 1)));
    // nested anonymous struct, then anonymous union: offsets add up
    assert_eq!(p.member_offset("mm_struct", "mm_users"), Some(96 + 4));
    assert_eq!(p.member_offset("mm_struct", "cpu_bitmap"), Some(1088));
    assert_eq!(p.member_type_name("mm_struct", "mm_mt"), Some("maple_tree"));
    assert_eq!(
        p.get_struct("unnamed_0b3e5a").unwrap().kind(),
        AggregateKind::Union
    );
    assert_eq!(p.struct_size("no_size"), None);
    assert_eq!(p.struct_size("maple_tree"), Some(16));
    let ts = p.get_struct("task_struct").unwrap();
    assert_eq!(ts.fields().len(), 11);
    assert!(matches!(
        ts.field("comm").unwrap().ty,
        TypeDesc::Array { count: 16, ref elem } if elem.name() == Some("char")
    ));
    let ulong = p.get_base_type("long unsigned int").unwrap();
    assert_eq!(
        (ulong.size, ulong.signed, ulong.little_endian),
        (8, false, true)
    );
    assert_eq!(p.get_enum("pid_type").unwrap().size, 4);
    assert_eq!(
        p.metadata().unwrap()["producer"]["name"].as_str(),
        Some("dwarf2json")
    );
}

#[test]
fn isf_negative_and_out_of_range_values() {
    let p = from_isf(&isf_bytes()).unwrap();
    // Windows console profiles really do have negative member offsets.
    assert_eq!(p.member("_ROW", "Blink").unwrap().offset, -88);
    assert_eq!(p.member_offset("_ROW", "Blink"), Some(-88i64 as u64));
    assert_eq!(
        0x1000u64.wrapping_add(p.member_offset("_ROW", "Blink").unwrap()),
        0x1000 - 88
    );
    assert_eq!(p.member("_ROW", "Back").unwrap().offset, 8 - 16);
    // an offset beyond i64 drops that member only
    assert_eq!(p.member_offset("_ROW", "huge"), None);
    assert_eq!(p.member_offset("_ROW", "CharRow"), Some(0));
    // a bit position beyond u32 leaves the member with an unknown type
    assert_eq!(p.member_offset("_ROW", "wide"), Some(8));
    assert_eq!(p.bitfield("_ROW", "wide"), None);
}

#[test]
fn lenient_lookup_also_searches_named_members() {
    let p = from_isf(&isf_bytes()).unwrap();
    // `sp` is thread.sp; C would not call it task_struct.sp, upstream's
    // JSON lookup does.
    assert_eq!(p.member_offset("task_struct", "sp"), None);
    assert_eq!(
        p.member_offset_lenient("task_struct", "sp"),
        Some(9600 + 24)
    );
    // direct and anonymous matches come first either way
    assert_eq!(p.member_offset_lenient("task_struct", "tasks"), Some(2280));
    assert_eq!(p.member_offset_lenient("mm_struct", "pgd"), Some(80));
    assert_eq!(p.member_offset_lenient("task_struct", "nothing"), None);
}

#[test]
fn isf_os_from_metadata() {
    for (key, os) in [
        ("windows", OsKind::Windows),
        ("mac", OsKind::MacOs),
        ("linux", OsKind::Linux),
    ] {
        let text = format!(r#"{{"metadata": {{"{key}": {{}}}}, "symbols": {{}}}}"#);
        assert_eq!(from_isf(text.as_bytes()).unwrap().os(), Some(os));
    }
}

#[test]
fn rekall_lookups() {
    let p = from_rekall(&rekall_bytes()).unwrap();
    assert_eq!(p.source(), ProfileSource::Rekall);
    check_common_linux(&p);
    // $CONSTANTS is consulted before $FUNCTIONS
    assert_eq!(p.symbol("init_task"), Some(INIT_TASK));
    assert_eq!(p.symbol("not_a_number"), None);
    assert_eq!(p.member_offset("mm_struct", "flags"), Some(880));
    assert_eq!(p.member_offset("task_struct", "broken"), None);
    assert_eq!(
        p.member_type_name("task_struct", "state"),
        Some("task_state")
    );
    assert_eq!(p.struct_size("bad_struct"), None);
    assert!(matches!(
        &p.member("task_struct", "files").unwrap().field.ty,
        TypeDesc::Pointer(a) if matches!(&**a, TypeDesc::Array { count: 4, .. })
    ));
}

#[test]
fn rekall_windows_class() {
    let text = br#"{"$METADATA": {"ProfileClass": "Win7SP1x64"}, "$CONSTANTS": {"PsActiveProcessHead": 123}}"#;
    let p = from_rekall(text).unwrap();
    assert_eq!(p.os(), Some(OsKind::Windows));
    assert_eq!(p.symbol("PsActiveProcessHead"), Some(123));
}

#[test]
fn kind_detection_by_content() {
    assert_eq!(from_json(&isf_bytes()).unwrap().1, JsonKind::Isf);
    assert_eq!(from_json(&rekall_bytes()).unwrap().1, JsonKind::Rekall);
    assert_eq!(
        from_isf(&rekall_bytes()).unwrap_err(),
        Error::Malformed("not a Volatility ISF profile")
    );
    assert_eq!(
        from_rekall(&isf_bytes()).unwrap_err(),
        Error::Malformed("not a Rekall profile")
    );
    assert!(from_json(br#"{"symbols": {}}"#).is_err());
}

#[test]
fn compressed_profiles_load_the_same() {
    for raw in [isf_bytes(), rekall_bytes()] {
        let (plain, kind) = from_json(&raw).unwrap();
        for packed in [xz(&raw), gz(&raw)] {
            let (p, k) = from_json(&packed).unwrap();
            assert_eq!(k, kind);
            check_common_linux(&p);
            assert_eq!(p.symbol_count(), plain.symbol_count());
            assert_eq!(p.structs().len(), plain.structs().len());
        }
    }
}

#[test]
fn load_from_files_ignores_the_name() {
    let dir = std::env::temp_dir().join(format!("vmi-json-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let raw = isf_bytes();
    // names that lie about the content
    let cases = [
        ("a.json", xz(&raw)),
        ("b.json.gz", xz(&raw)),
        ("c.json.xz", gz(&raw)),
        ("d.json.xz", raw.clone()),
        ("e.rekall", rekall_bytes()),
    ];
    for (name, data) in &cases {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        let (p, kind) = load_json_profile(&path).unwrap();
        assert_eq!(
            kind,
            if *name == "e.rekall" {
                JsonKind::Rekall
            } else {
                JsonKind::Isf
            }
        );
        check_common_linux(&p);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(
        load_json_profile(&dir.join("a.json")),
        Err(Error::Os { .. })
    ));
}

#[test]
fn truncated_inputs_fail_cleanly() {
    for raw in [isf_bytes(), rekall_bytes()] {
        let raw = raw.trim_ascii_end().to_vec();
        for cut in (0..raw.len()).step_by(7) {
            assert!(from_json(&raw[..cut]).is_err(), "cut at {cut}");
        }
        for packed in [xz(&raw), gz(&raw)] {
            for cut in (0..packed.len()).step_by(5) {
                assert!(
                    from_json(&packed[..cut]).is_err(),
                    "compressed cut at {cut}"
                );
            }
        }
    }
}

#[test]
fn garbage_and_wrong_shapes_are_errors() {
    let cases: &[&[u8]] = &[
        b"",
        b"\x00\x01\x02garbage",
        b"[]",
        b"null",
        b"{}",
        b"{\"metadata\": {}, \"symbols\": 5}",
        b"{\"metadata\": {}, \"user_types\": {\"s\": {\"size\": 1.5}}}",
        b"{\"metadata\": {}, \"enums\": {\"e\": {\"constants\": {\"A\": \"zero\"}}}}",
        b"\xfd7zXZ\x00not really xz",
        b"\x1f\x8bnot really gzip",
    ];
    for c in cases {
        assert!(from_json(c).is_err(), "{:?}", String::from_utf8_lossy(c));
    }
    // Hostile nesting hits the JSON parser's depth limit, not the stack.
    let mut deep = String::from(r#"{"metadata": {}, "symbols": {"x": {"address": 1, "type": "#);
    for _ in 0..100_000 {
        deep.push_str(r#"{"kind": "pointer", "subtype": "#);
    }
    deep.push_str("null");
    assert!(from_json(deep.as_bytes()).is_err());
}

#[test]
fn hostile_struct_graphs_terminate() {
    let mut p = Profile::default();
    // a struct whose anonymous member is itself
    let mut looped = StructDef::new("loop", AggregateKind::Struct, 8);
    looped.add_field(Field {
        name: "unnamed_field_0".into(),
        offset: 0,
        ty: TypeDesc::Struct("loop".into()),
        anonymous: true,
    });
    assert!(p.add_struct(looped));
    assert_eq!(p.member_offset("loop", "x"), None);
    assert_eq!(p.member_offset_lenient("loop", "x"), None);
    // a wide chain: each level has many anonymous members of the next level,
    // which unbounded would be 64^20 visits
    for level in 0..20u32 {
        let mut s = StructDef::new(&format!("s{level}"), AggregateKind::Struct, 64);
        for i in 0..64i64 {
            s.add_field(Field {
                name: format!("unnamed_field_{i}").into(),
                offset: i64::MAX - i,
                ty: TypeDesc::Struct(format!("s{}", level + 1).into()),
                anonymous: true,
            });
        }
        p.add_struct(s);
    }
    let start = std::time::Instant::now();
    assert_eq!(p.member_offset_lenient("s0", "missing"), None);
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn programmatic_building() {
    let mut p = Profile::new(ProfileSource::Built);
    assert!(p.add_symbol("init_task", INIT_TASK, b'D'));
    assert!(!p.add_symbol("init_task", 1, b'D'), "first definition wins");
    assert!(p.add_symbol("_text", 0xffff_ffff_8100_0000, b'T'));
    assert_eq!(p.symbol("init_task"), Some(INIT_TASK));
    // the address order is rebuilt after an addition
    assert_eq!(
        p.nearest_symbol(INIT_TASK + 8),
        Some(("init_task", INIT_TASK))
    );
    assert!(p.add_symbol("later", INIT_TASK + 4, b'D'));
    assert_eq!(
        p.nearest_symbol(INIT_TASK + 8),
        Some(("later", INIT_TASK + 4))
    );

    let mut lh = StructDef::new("list_head", AggregateKind::Struct, 16);
    let next = TypeDesc::Pointer(Box::new(TypeDesc::Struct("list_head".into())));
    assert!(lh.add_field(Field {
        name: "next".into(),
        offset: 0,
        ty: next.clone(),
        anonymous: false
    }));
    assert!(!lh.add_field(Field {
        name: "next".into(),
        offset: 8,
        ty: next.clone(),
        anonymous: false
    }));
    assert!(lh.add_field(Field {
        name: "prev".into(),
        offset: 8,
        ty: next,
        anonymous: false
    }));
    assert!(p.add_struct(lh));
    assert!(!p.add_struct(StructDef::new("list_head", AggregateKind::Struct, 0)));
    assert_eq!(p.struct_size("list_head"), Some(16));
    assert_eq!(p.member_offset("list_head", "prev"), Some(8));
    let names: Vec<&str> = p.symbols().map(|s| &*s.name).collect();
    assert_eq!(names, ["init_task", "_text", "later"]);
}

/// Deterministic xorshift, so a failing case can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, data: &mut Vec<u8>) {
    const TOKENS: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b"\"",
        b"-1",
        b"1e999",
        b"18446744073709551616",
        b"null",
        b"\"kind\"",
        b"\"type\"",
        b"\\u0000",
        b"\xff",
    ];
    for _ in 0..1 + rng.below(4) {
        let len = data.len();
        let at = rng.below(len + 1);
        match rng.below(6) {
            0 if len > 0 => data[at.min(len - 1)] ^= 1 << rng.below(8),
            1 => {
                let end = (at + rng.below(64)).min(len);
                data.drain(at..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, t.iter().copied());
            }
            3 if len > 0 => {
                let end = (at + rng.below(128)).min(len);
                let chunk = data[at..end].to_vec();
                let to = rng.below(len + 1);
                data.splice(to..to, chunk);
            }
            4 => data.truncate(at),
            _ if len > 0 => data[at.min(len - 1)] = rng.next() as u8,
            _ => {}
        }
    }
}

fn exercise(p: &Profile) {
    for s in ["init_task", "schedule", "x"] {
        let _ = p.symbol(s);
    }
    for (s, m) in [
        ("task_struct", "tasks"),
        ("mm_struct", "pgd"),
        ("task_struct", "sp"),
    ] {
        let _ = p.member_offset(s, m);
        let _ = p.member_offset_lenient(s, m);
        let _ = p.member_type_name(s, m);
        let _ = p.bitfield(s, m);
    }
    let _ = p.nearest_symbol(SCHEDULE + 1);
    let _ = p.struct_size("task_struct");
}

#[test]
fn mutated_inputs_never_panic() {
    let sysmap =
        b"ffffffff81000000 T _text\nffffffff810b1e90 T schedule\nffffffff82610940 D init_task\n";
    let seeds: Vec<(Vec<u8>, bool)> = vec![
        (isf_bytes(), true),
        (rekall_bytes(), true),
        (xz(&isf_bytes()), true),
        (gz(&rekall_bytes()), true),
        (sysmap.to_vec(), false),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut err) = (0u32, 0u32);
    for (seed, is_json) in &seeds {
        for _ in 0..1500 {
            let mut data = seed.clone();
            mutate(&mut rng, &mut data);
            let result = if *is_json {
                from_json(&data).map(|(p, _)| p)
            } else {
                from_system_map(&data)
            };
            match result {
                Ok(p) => {
                    exercise(&p);
                    ok += 1;
                }
                Err(_) => err += 1,
            }
        }
    }
    // the loop must reach both the loaders' success and failure paths
    assert!(ok > 500 && err > 500, "ok {ok} err {err}");
}

#[test]
fn symbol_lookup_is_a_hash_lookup() {
    const N: u64 = 200_000;
    let mut p = Profile::new(ProfileSource::Built);
    let names: Vec<String> = (0..N).map(|i| format!("ksym_{i:06}")).collect();
    for (i, n) in names.iter().enumerate() {
        assert!(p.add_symbol(n, 0xffff_ffff_8100_0000 + (i as u64) * 32, b'T'));
    }
    // A linear scan would need ~2e10 string compares here; hashing needs 2e5.
    let start = std::time::Instant::now();
    for (i, n) in names.iter().enumerate() {
        assert_eq!(p.symbol(n), Some(0xffff_ffff_8100_0000 + (i as u64) * 32));
    }
    assert_eq!(p.symbol("ksym_x"), None);
    let by_name = start.elapsed();
    let start = std::time::Instant::now();
    for i in 0..N {
        let a = 0xffff_ffff_8100_0000 + i * 32;
        assert_eq!(p.nearest_symbol(a + 7).map(|(_, s)| s), Some(a));
    }
    let by_addr = start.elapsed();
    assert!(by_name < std::time::Duration::from_secs(2), "{by_name:?}");
    assert!(by_addr < std::time::Duration::from_secs(3), "{by_addr:?}");
}

#[test]
fn profile_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Profile>();
    let p = std::sync::Arc::new(from_isf(&isf_bytes()).unwrap());
    // the address order is built lazily; racing first queries must agree
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let p = p.clone();
            std::thread::spawn(move || {
                p.nearest_symbol(SCHEDULE + 3)
                    .map(|(n, a)| (n.to_owned(), a))
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), Some(("schedule".to_owned(), SCHEDULE)));
    }
}
