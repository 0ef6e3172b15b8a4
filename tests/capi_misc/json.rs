//! OS queries and the JSON profile functions: vmi_init_profile, the kernel
//! document, lookups in it and in caller-built json-c documents.

use std::ffi::CString;
use std::ptr;
use std::sync::{Arc, RwLock};

use serde_json::json;
use vmi::capi::types::*;

use crate::common::*;

const INIT_TASK: u64 = 0xffff_ffff_8261_0940;

fn ptr_to(name: &str) -> serde_json::Value {
    json!({"kind": "pointer", "subtype": {"kind": "struct", "name": name}})
}

fn base(name: &str) -> serde_json::Value {
    json!({"kind": "base", "name": name})
}

/// A small Linux ISF: task_struct with a bitfield, an anonymous struct and
/// a named embedded struct.
fn isf(task_size: u64, pid_offset: u64) -> serde_json::Value {
    json!({
        "metadata": {"linux": {"symbols": []}, "format": "6.2.0"},
        "base_types": {
            "int": {"kind": "int", "size": 4, "signed": true, "endian": "little"},
            "unsigned int": {"kind": "int", "size": 4, "signed": false, "endian": "little"}
        },
        "user_types": {
            "list_head": {"kind": "struct", "size": 16, "fields": {
                "next": {"offset": 0, "type": ptr_to("list_head")},
                "prev": {"offset": 8, "type": ptr_to("list_head")}
            }},
            "task_struct": {"kind": "struct", "size": task_size, "fields": {
                "flags": {"offset": 12, "type": {"kind": "bitfield", "bit_position": 3,
                          "bit_length": 2, "type": base("unsigned int")}},
                "tasks": {"offset": 16, "type": {"kind": "struct", "name": "list_head"}},
                "pid": {"offset": pid_offset, "type": base("int")},
                "mm": {"offset": 40, "type": ptr_to("mm_struct")},
                "unnamed_field_0": {"offset": 64, "anonymous": true,
                                    "type": {"kind": "struct", "name": "unnamed_1"}},
                "sched": {"offset": 128, "type": {"kind": "struct", "name": "sched_entity"}}
            }},
            "unnamed_1": {"kind": "struct", "size": 16, "fields": {
                "tgid": {"offset": 4, "type": base("int")}
            }},
            "sched_entity": {"kind": "struct", "size": 32, "fields": {
                "vruntime": {"offset": 24, "type": base("unsigned int")}
            }}
        },
        "enums": {},
        "symbols": {
            "init_task": {"address": INIT_TASK, "type": {"kind": "struct", "name": "task_struct"}}
        }
    })
}

fn rekall() -> serde_json::Value {
    json!({
        "$METADATA": {"ProfileClass": "Linux", "Type": "Profile"},
        "$CONSTANTS": {"init_task": INIT_TASK},
        "$FUNCTIONS": {"schedule": 0xffff_ffff_8100_1000u64},
        "$STRUCTS": {
            "task_struct": [2048, {
                "pid": [1000, ["int", {}]],
                "flags": [12, ["BitField", {"start_bit": 3, "end_bit": 5, "target": "unsigned int"}]]
            }]
        }
    })
}

fn mem_handle() -> Handle {
    Handle::mem(&Arc::new(RwLock::new(vec![0u8; 0x4000])))
}

fn init_profile(h: &Handle, path: &TempFile) -> os_t {
    let p = path.c_path();
    unsafe { vmi_init_profile(h.0, VMI_CONFIG_JSON_PATH, p.as_ptr() as *mut _) }
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

unsafe fn member_offset(h: &Handle, doc: *mut json_object, s: &str, m: &str) -> Option<u64> {
    let mut off = 0;
    let st = unsafe {
        vmi_get_struct_member_offset_from_json(h.0, doc, c(s).as_ptr(), c(m).as_ptr(), &mut off)
    };
    (st == VMI_SUCCESS).then_some(off)
}

unsafe fn struct_size(h: &Handle, doc: *mut json_object, s: &str) -> Option<usize> {
    let mut size = 0;
    let st = unsafe { vmi_get_struct_size_from_json(h.0, doc, c(s).as_ptr(), &mut size) };
    (st == VMI_SUCCESS).then_some(size)
}

#[test]
fn os_queries_without_an_os() {
    let h = mem_handle();
    unsafe {
        assert_eq!(vmi_get_ostype(h.0), VMI_OS_UNKNOWN);
        assert_eq!(vmi_get_winver(h.0), VMI_OS_WINDOWS_NONE);
        assert_eq!(vmi_get_winver_manual(h.0, 0x1000), VMI_OS_WINDOWS_NONE);
        assert_eq!(cstr(vmi_get_winver_str(h.0)), "VMI_OS_WINDOWS_NONE");
        assert_eq!(vmi_get_win_buildnumber(h.0), 0);
        let mut info = win_build_info_t {
            version: 77,
            buildnumber: 1,
            major: 2,
            minor: 3,
        };
        assert!(!vmi_get_windows_build_info(h.0, &mut info));
        assert_eq!(info.version, 77, "left untouched on failure");
        let mut off = 5;
        assert_eq!(
            vmi_get_offset(h.0, c"linux_tasks".as_ptr(), &mut off),
            VMI_FAILURE
        );
        assert_eq!(
            vmi_get_kernel_struct_offset(h.0, c"task_struct".as_ptr(), c"pid".as_ptr(), &mut off),
            VMI_FAILURE
        );
        assert_eq!(off, 5);
        assert!(vmi_get_linux_sysmap(h.0).is_null());
        assert!(vmi_get_freebsd_sysmap(h.0).is_null());
        assert!(vmi_get_rekall_path(h.0).is_null());
        assert!(vmi_get_os_profile_path(h.0).is_null());
        assert!(vmi_get_kernel_json(h.0).is_null());
    }
}

#[test]
fn init_profile_from_a_config_string_sets_only_the_os_type() {
    let h = mem_handle();
    let cfg = c("{ ostype = \"Linux\"; }");
    unsafe {
        assert_eq!(
            vmi_init_profile(h.0, VMI_CONFIG_STRING, cfg.as_ptr() as *mut _),
            VMI_OS_LINUX
        );
        assert_eq!(vmi_get_ostype(h.0), VMI_OS_LINUX);
        assert!(vmi_get_kernel_json(h.0).is_null());
        assert!(vmi_get_rekall_path(h.0).is_null());
        // Windows named in the config: still no Windows layer to ask.
        let h2 = mem_handle();
        let cfg = c("{ ostype = \"Windows\"; }");
        assert_eq!(
            vmi_init_profile(h2.0, VMI_CONFIG_STRING, cfg.as_ptr() as *mut _),
            VMI_OS_WINDOWS
        );
        assert_eq!(vmi_get_winver(h2.0), VMI_OS_WINDOWS_NONE);
        // No OS named anywhere.
        let h3 = mem_handle();
        let cfg = c("{ sysmap = \"/nonexistent\"; }");
        assert_eq!(
            vmi_init_profile(h3.0, VMI_CONFIG_STRING, cfg.as_ptr() as *mut _),
            VMI_OS_UNKNOWN
        );
        assert_eq!(vmi_get_ostype(h3.0), VMI_OS_UNKNOWN);
        assert_eq!(
            vmi_init_profile(ptr::null_mut(), VMI_CONFIG_STRING, cfg.as_ptr() as *mut _),
            VMI_OS_UNKNOWN
        );
    }
}

#[test]
fn isf_kernel_profile_lookups() {
    let file = TempFile::new("isf.json", isf(9792, 2464).to_string().as_bytes());
    let h = mem_handle();
    assert_eq!(init_profile(&h, &file), VMI_OS_LINUX);
    unsafe {
        assert_eq!(vmi_get_ostype(h.0), VMI_OS_LINUX);
        let path = file.0.to_str().unwrap();
        assert_eq!(cstr(vmi_get_rekall_path(h.0)), path);
        assert_eq!(cstr(vmi_get_os_profile_path(h.0)), path);
        assert!(vmi_get_linux_sysmap(h.0).is_null());

        // The kernel document is a real json-c object, the same each time.
        let root = vmi_get_kernel_json(h.0);
        assert!(!root.is_null());
        assert_eq!(vmi_get_kernel_json(h.0), root);
        let mut meta = ptr::null_mut();
        assert_eq!(
            json_object_object_get_ex(root, c"metadata".as_ptr(), &mut meta),
            1
        );
        let mut fmt = ptr::null_mut();
        assert_eq!(
            json_object_object_get_ex(meta, c"format".as_ptr(), &mut fmt),
            1
        );
        assert_eq!(cstr(json_object_get_string(fmt)), "6.2.0");

        let mut addr = 0;
        assert_eq!(
            vmi_get_symbol_addr_from_json(h.0, root, c"init_task".as_ptr(), &mut addr),
            VMI_SUCCESS
        );
        assert_eq!(addr, INIT_TASK);
        assert_eq!(
            vmi_get_symbol_addr_from_json(h.0, root, c"nope".as_ptr(), &mut addr),
            VMI_FAILURE
        );

        assert_eq!(struct_size(&h, root, "task_struct"), Some(9792));
        assert_eq!(struct_size(&h, root, "nope"), None);
        assert_eq!(member_offset(&h, root, "task_struct", "pid"), Some(2464));
        // Inside the anonymous struct, and (as upstream) inside a named one.
        assert_eq!(member_offset(&h, root, "task_struct", "tgid"), Some(64 + 4));
        assert_eq!(
            member_offset(&h, root, "task_struct", "vruntime"),
            Some(128 + 24)
        );
        assert_eq!(member_offset(&h, root, "task_struct", "nope"), None);

        let (mut off, mut start, mut end) = (0u64, 0usize, 0usize);
        assert_eq!(
            vmi_get_bitfield_offset_and_size_from_json(
                h.0,
                root,
                c"task_struct".as_ptr(),
                c"flags".as_ptr(),
                &mut off,
                &mut start,
                &mut end
            ),
            VMI_SUCCESS
        );
        assert_eq!((off, start, end), (12, 3, 5));
        assert_eq!(
            vmi_get_bitfield_offset_and_size_from_json(
                h.0,
                root,
                c"task_struct".as_ptr(),
                c"pid".as_ptr(),
                &mut off,
                &mut start,
                &mut end
            ),
            VMI_FAILURE
        );

        let mut name: *const std::ffi::c_char = ptr::null();
        assert_eq!(
            vmi_get_struct_field_type_name_from_json(
                h.0,
                root,
                c"task_struct".as_ptr(),
                c"tasks".as_ptr(),
                &mut name
            ),
            VMI_SUCCESS
        );
        assert_eq!(cstr(name), "list_head");
        assert_eq!(
            vmi_get_struct_field_type_name_from_json(
                h.0,
                root,
                c"task_struct".as_ptr(),
                c"tgid".as_ptr(),
                &mut name
            ),
            VMI_SUCCESS
        );
        assert_eq!(cstr(name), "int");
        // Pointers have no type name.
        assert_eq!(
            vmi_get_struct_field_type_name_from_json(
                h.0,
                root,
                c"task_struct".as_ptr(),
                c"mm".as_ptr(),
                &mut name
            ),
            VMI_FAILURE
        );
        assert!(name.is_null());

        // Without an OS layer the kernel struct offset comes from this profile.
        let mut o = 0;
        assert_eq!(
            vmi_get_kernel_struct_offset(h.0, c"task_struct".as_ptr(), c"pid".as_ptr(), &mut o),
            VMI_SUCCESS
        );
        assert_eq!(o, 2464);

        // NULL arguments.
        assert_eq!(
            vmi_get_symbol_addr_from_json(h.0, ptr::null_mut(), c"init_task".as_ptr(), &mut addr),
            VMI_FAILURE
        );
        assert_eq!(
            vmi_get_symbol_addr_from_json(h.0, root, ptr::null(), &mut addr),
            VMI_FAILURE
        );
        assert_eq!(
            vmi_get_symbol_addr_from_json(h.0, root, c"init_task".as_ptr(), ptr::null_mut()),
            VMI_FAILURE
        );
        assert_eq!(
            vmi_get_symbol_addr_from_json(ptr::null_mut(), root, c"init_task".as_ptr(), &mut addr),
            VMI_FAILURE
        );
    }
    // A second profile is refused (upstream: "duplicate JSON profile", and
    // with no ostype to fall back on the call fails); the first stays.
    let other = TempFile::new("isf2.json", isf(1, 1).to_string().as_bytes());
    assert_eq!(init_profile(&h, &other), VMI_OS_UNKNOWN);
    unsafe {
        assert_eq!(cstr(vmi_get_rekall_path(h.0)), file.0.to_str().unwrap());
        assert_eq!(
            struct_size(&h, vmi_get_kernel_json(h.0), "task_struct"),
            Some(9792)
        );
    }
}

#[test]
fn caller_documents_are_parsed_and_their_cache_dies_with_them() {
    let file = TempFile::new("isf.json", isf(9792, 2464).to_string().as_bytes());
    let h = mem_handle();
    assert_eq!(init_profile(&h, &file), VMI_OS_LINUX);
    for round in 0..50u64 {
        // A new document each round, often at the address of the last one.
        let text = c(&isf(1000 + round, 8 * round).to_string());
        let doc = unsafe { json_tokener_parse(text.as_ptr()) };
        assert!(!doc.is_null());
        unsafe {
            assert_eq!(
                struct_size(&h, doc, "task_struct"),
                Some(1000 + round as usize)
            );
            assert_eq!(
                member_offset(&h, doc, "task_struct", "pid"),
                Some(8 * round)
            );
            // Cached: the same answer again.
            assert_eq!(
                struct_size(&h, doc, "task_struct"),
                Some(1000 + round as usize)
            );
            json_object_put(doc);
        }
    }
    // Not a JSON object, not a profile.
    unsafe {
        let arr = json_tokener_parse(c"[1, 2]".as_ptr());
        assert_eq!(struct_size(&h, arr, "task_struct"), None);
        json_object_put(arr);
        let junk = json_tokener_parse(c"{\"a\": 1}".as_ptr());
        assert_eq!(struct_size(&h, junk, "task_struct"), None);
        json_object_put(junk);
        // A Rekall document cannot be read with an ISF kernel profile.
        let rk = c(&rekall().to_string());
        let doc = json_tokener_parse(rk.as_ptr());
        assert_eq!(struct_size(&h, doc, "task_struct"), None);
        json_object_put(doc);
    }
    // Lookups need a kernel JSON profile at all.
    let bare = mem_handle();
    let text = c(&isf(5, 5).to_string());
    unsafe {
        let doc = json_tokener_parse(text.as_ptr());
        assert_eq!(struct_size(&bare, doc, "task_struct"), None);
        json_object_put(doc);
    }
}

#[test]
fn rekall_kernel_profile() {
    let file = TempFile::new("rekall.json", rekall().to_string().as_bytes());
    let h = mem_handle();
    assert_eq!(init_profile(&h, &file), VMI_OS_LINUX);
    unsafe {
        let root = vmi_get_kernel_json(h.0);
        assert!(!root.is_null());
        let mut addr = 0;
        assert_eq!(
            vmi_get_symbol_addr_from_json(h.0, root, c"init_task".as_ptr(), &mut addr),
            VMI_SUCCESS
        );
        assert_eq!(addr, INIT_TASK);
        assert_eq!(
            vmi_get_symbol_addr_from_json(h.0, root, c"schedule".as_ptr(), &mut addr),
            VMI_SUCCESS
        );
        assert_eq!(addr, 0xffff_ffff_8100_1000);
        assert_eq!(struct_size(&h, root, "task_struct"), Some(2048));
        assert_eq!(member_offset(&h, root, "task_struct", "pid"), Some(1000));
        let (mut off, mut start, mut end) = (0u64, 0usize, 0usize);
        assert_eq!(
            vmi_get_bitfield_offset_and_size_from_json(
                h.0,
                root,
                c"task_struct".as_ptr(),
                c"flags".as_ptr(),
                &mut off,
                &mut start,
                &mut end
            ),
            VMI_SUCCESS
        );
        assert_eq!((off, start, end), (12, 3, 5));
        // Upstream has no type-name walker for Rekall.
        let mut name: *const std::ffi::c_char = ptr::null();
        assert_eq!(
            vmi_get_struct_field_type_name_from_json(
                h.0,
                root,
                c"task_struct".as_ptr(),
                c"pid".as_ptr(),
                &mut name
            ),
            VMI_FAILURE
        );
    }
}

#[test]
fn compressed_profile_gives_the_same_document() {
    use std::io::Write;
    let text = isf(4242, 24).to_string();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    let file = TempFile::new("isf.json.gz", &enc.finish().unwrap());
    let h = mem_handle();
    assert_eq!(init_profile(&h, &file), VMI_OS_LINUX);
    unsafe {
        let root = vmi_get_kernel_json(h.0);
        assert!(!root.is_null());
        assert_eq!(struct_size(&h, root, "task_struct"), Some(4242));
    }
}

/// An OS layer with fixed answers, to check what the C functions ask of it.
struct FakeOs {
    os: vmi::os::OsType,
    profile: Option<String>,
}

impl vmi::os::OsLayer for FakeOs {
    fn os_type(&self) -> vmi::os::OsType {
        self.os
    }
    fn ksym2v(&self, _vmi: &vmi::instance::Vmi, _symbol: &str) -> vmi::Result<u64> {
        Err(vmi::Error::SymbolNotFound)
    }
    fn pid_to_dtb(&self, _vmi: &vmi::instance::Vmi, _pid: i32) -> vmi::Result<u64> {
        Err(vmi::Error::NotFound("pid"))
    }
    fn dtb_to_pid(&self, _vmi: &vmi::instance::Vmi, _dtb: u64) -> vmi::Result<i32> {
        Err(vmi::Error::NotFound("dtb"))
    }
    fn offset(&self, name: &str) -> Option<u64> {
        (name == "linux_tasks").then_some(0x3a0)
    }
    fn struct_member_offset(&self, s: &str, m: &str) -> Option<u64> {
        (s == "task_struct" && m == "comm").then_some(0x5c0)
    }
    fn processes(&self, _vmi: &vmi::instance::Vmi) -> vmi::Result<Vec<vmi::os::Process>> {
        Ok(Vec::new())
    }
    fn profile_path(&self) -> Option<&str> {
        self.profile.as_deref()
    }
    fn sysmap_path(&self) -> Option<&str> {
        Some("/boot/System.map-test")
    }
}

fn with_os(os: vmi::os::OsType, profile: Option<String>) -> Handle {
    let d = MemDriver::new(Arc::new(RwLock::new(vec![0u8; 0x1000])));
    let mut core = vmi::instance::Vmi::new(Box::new(d), "os", 0);
    core.set_os(Box::new(FakeOs { os, profile }));
    Handle::new(core, 0)
}

#[test]
fn os_layer_answers_offsets_and_paths() {
    let h = with_os(vmi::os::OsType::Linux, None);
    unsafe {
        assert_eq!(vmi_get_ostype(h.0), VMI_OS_LINUX);
        let mut off = 0;
        assert_eq!(
            vmi_get_offset(h.0, c"linux_tasks".as_ptr(), &mut off),
            VMI_SUCCESS
        );
        assert_eq!(off, 0x3a0);
        assert_eq!(
            vmi_get_offset(h.0, c"linux_nope".as_ptr(), &mut off),
            VMI_FAILURE
        );
        assert_eq!(vmi_get_offset(h.0, ptr::null(), &mut off), VMI_FAILURE);
        assert_eq!(
            vmi_get_offset(h.0, c"linux_tasks".as_ptr(), ptr::null_mut()),
            VMI_FAILURE
        );
        assert_eq!(
            vmi_get_kernel_struct_offset(h.0, c"task_struct".as_ptr(), c"comm".as_ptr(), &mut off),
            VMI_SUCCESS
        );
        assert_eq!(off, 0x5c0);
        assert_eq!(
            vmi_get_kernel_struct_offset(h.0, c"task_struct".as_ptr(), c"pid".as_ptr(), &mut off),
            VMI_FAILURE
        );
        // The same library-owned string each time.
        let map = vmi_get_linux_sysmap(h.0);
        assert_eq!(cstr(map), "/boot/System.map-test");
        assert_eq!(vmi_get_linux_sysmap(h.0), map);
        assert!(vmi_get_freebsd_sysmap(h.0).is_null());
        assert!(vmi_get_rekall_path(h.0).is_null());
        // No JSON profile: the OS profile is the System.map.
        assert_eq!(cstr(vmi_get_os_profile_path(h.0)), "/boot/System.map-test");
    }

    let file = TempFile::new("isf.json", isf(9792, 2464).to_string().as_bytes());
    let path = file.0.to_str().unwrap().to_owned();
    let h = with_os(vmi::os::OsType::Linux, Some(path.clone()));
    unsafe {
        assert_eq!(cstr(vmi_get_rekall_path(h.0)), path);
        assert_eq!(cstr(vmi_get_os_profile_path(h.0)), path);
        // The kernel document comes from the OS layer's profile.
        let root = vmi_get_kernel_json(h.0);
        assert!(!root.is_null());
        assert_eq!(struct_size(&h, root, "task_struct"), Some(9792));
    }

    let h = with_os(vmi::os::OsType::FreeBsd, None);
    unsafe {
        assert_eq!(vmi_get_ostype(h.0), VMI_OS_FREEBSD);
        assert!(vmi_get_linux_sysmap(h.0).is_null());
        assert_eq!(cstr(vmi_get_freebsd_sysmap(h.0)), "/boot/System.map-test");
    }
}
