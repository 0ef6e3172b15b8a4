//! Functions of `libvmi_extra.h` that use json-c profiles.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.
//!
//! Upstream hands out the json-c document of the kernel profile and answers
//! lookups by walking any json-c document with the walker for the kernel
//! profile's format (ISF or Rekall). Here the kernel document is parsed by
//! json-c from the profile file (so callers can walk it as before), and
//! lookups convert a document into a [`Profile`] once — serialised by
//! json-c, parsed by our loaders — and cache the result on the document
//! itself (json-c userdata), so the cache dies with the document.

use core::ffi::{c_char, c_void};
use core::ptr;
use std::collections::BTreeSet;
use std::ffi::{CStr, CString};
use std::sync::{Arc, Mutex};

use super::guard::{c_str_utf8, ffi_or, ffi_status, instance, instance_ref, write_opt};
use super::instance::vmi_instance;
use super::types::jsonc::*;
use super::types::*;
use crate::addr::PageMode;
use crate::os::OsType;
use crate::profile::{self, JsonKind, OsKind, Profile};
use crate::{Error, Result};

/// A profile loaded by `vmi_init_profile` (upstream keeps it in the
/// instance without setting up an OS). Attached to the core instance.
pub(super) struct InitProfile {
    /// The OS the profile (or the config's `ostype`) names.
    pub os_type: OsType,
    /// The JSON profile file, if one was given and loaded.
    pub path: Option<String>,
    pub profile: Option<Arc<Profile>>,
}

/// The json-c document of the kernel profile, owned by the instance.
pub(super) struct KernelJson {
    root: *mut json_object,
    kind: JsonKind,
    path: String,
}

// SAFETY: the document is never modified after it is built except by
// json-c's own lazily cached serialisation under `CACHED`'s lock, and is
// freed exactly once, when the last reference (the instance's) goes.
unsafe impl Send for KernelJson {}
unsafe impl Sync for KernelJson {}

impl Drop for KernelJson {
    fn drop(&mut self) {
        // SAFETY: we hold the only reference json-c counts.
        unsafe { json_object_put(self.root) };
    }
}

/// The JSON profile file the instance uses: the OS layer's, else the one
/// `vmi_init_profile` loaded.
pub(super) fn json_profile_path(inst: &vmi_instance) -> Option<String> {
    if let Some(p) = inst.core.os().and_then(|o| o.profile_path()) {
        return Some(p.to_owned());
    }
    inst.core
        .attachment::<InitProfile>()
        .and_then(|p| p.path.clone())
}

/// Which format a json-c document is, by its top-level keys (as upstream).
unsafe fn kind_of(root: *mut json_object) -> Option<JsonKind> {
    let mut v = ptr::null_mut();
    // SAFETY: `root` is a live json-c object; keys are NUL-terminated.
    unsafe {
        if json_object_object_get_ex(root, c"metadata".as_ptr(), &mut v) != 0 {
            Some(JsonKind::Isf)
        } else if json_object_object_get_ex(root, c"$METADATA".as_ptr(), &mut v) != 0 {
            Some(JsonKind::Rekall)
        } else {
            None
        }
    }
}

fn load_kernel_json(path: &str) -> Result<KernelJson> {
    let raw = profile::read_file_bounded(std::path::Path::new(path), profile::MAX_DECOMPRESSED)?;
    let text = profile::decompress(&raw, profile::MAX_DECOMPRESSED)?;
    let text = CString::new(text.into_owned())
        .map_err(|_| Error::Malformed("JSON profile contains a NUL byte"))?;
    // SAFETY: NUL-terminated input; the result is checked.
    let root = unsafe { json_tokener_parse(text.as_ptr()) };
    if root.is_null() {
        return Err(Error::Malformed("json-c could not parse the JSON profile"));
    }
    // SAFETY: `root` was just returned by json-c.
    let Some(kind) = (unsafe { kind_of(root) }) else {
        unsafe { json_object_put(root) };
        return Err(Error::Malformed(
            "JSON has neither ISF metadata nor Rekall $METADATA",
        ));
    };
    Ok(KernelJson {
        root,
        kind,
        path: path.to_owned(),
    })
}

/// The instance's kernel JSON document, parsed on first use.
pub(super) fn kernel_json(inst: &vmi_instance) -> Result<Arc<KernelJson>> {
    if let Some(k) = inst.core.attachment::<KernelJson>() {
        return Ok(k);
    }
    let path = json_profile_path(inst).ok_or(Error::NotFound(
        "JSON profile (the instance was not initialised with volatility_ist or rekall_profile)",
    ))?;
    inst.core
        .attachment_or_try_insert(|| load_kernel_json(&path))
}

/// A document converted by our loaders.
struct Parsed {
    profile: Profile,
    kind: JsonKind,
}

/// Userdata pointers we set on json-c documents (each a leaked
/// `Box<Arc<Parsed>>`), so a pointer found on a document is known to be ours.
static CACHED: Mutex<BTreeSet<usize>> = Mutex::new(BTreeSet::new());

fn cached() -> std::sync::MutexGuard<'static, BTreeSet<usize>> {
    CACHED.lock().unwrap_or_else(|e| e.into_inner())
}

/// json-c calls this when a document we cached a profile on is freed.
unsafe extern "C" fn drop_cached(_jso: *mut json_object, userdata: *mut c_void) {
    if cached().remove(&(userdata as usize)) {
        // SAFETY: created by `Box::into_raw` in `parsed_profile`; json-c
        // calls the deleter once.
        drop(unsafe { Box::from_raw(userdata.cast::<Arc<Parsed>>()) });
    }
}

/// Our profile for json-c document `json`, converted on first use.
///
/// # Safety
/// `json` must be NULL or a live json-c object not used by other threads
/// during the call.
unsafe fn parsed_profile(inst: &vmi_instance, json: *mut json_object) -> Result<Arc<Parsed>> {
    if json.is_null() {
        return Err(Error::InvalidArgument("json is NULL"));
    }
    // SAFETY: live object per the caller.
    if unsafe { json_object_is_type(json, json_type_object) } == 0 {
        return Err(Error::InvalidArgument("json is not a JSON object"));
    }
    // Taken before the lock: should this be the last reference, dropping
    // it frees a document, whose deleter takes the lock.
    let kernel = inst.core.attachment::<KernelJson>();
    let mut ours = cached();
    // SAFETY: as above.
    let ud = unsafe { json_object_get_userdata(json) };
    if !ud.is_null() && ours.contains(&(ud as usize)) {
        // SAFETY: registered pointers are live `Box<Arc<Parsed>>`s.
        return Ok(Arc::clone(unsafe { &*ud.cast::<Arc<Parsed>>() }));
    }
    let (profile, kind) = match kernel.as_deref() {
        // The instance's own document: read its file rather than
        // serialising a large document.
        Some(k) if k.root == json => profile::load_json_profile(std::path::Path::new(&k.path))?,
        _ => {
            // SAFETY: live object; the string belongs to it and is read
            // before anything else touches the object.
            let text = unsafe { json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN) };
            if text.is_null() {
                return Err(Error::Malformed("json-c could not serialise the document"));
            }
            profile::from_json(unsafe { CStr::from_ptr(text) }.to_bytes())?
        }
    };
    let parsed = Arc::new(Parsed { profile, kind });
    if ud.is_null() {
        let boxed = Box::into_raw(Box::new(Arc::clone(&parsed)));
        ours.insert(boxed as usize);
        // SAFETY: live object without userdata; json-c frees ours via
        // `drop_cached` with the document.
        unsafe { json_object_set_userdata(json, boxed.cast(), Some(drop_cached)) };
    }
    Ok(parsed)
}

/// The profile of `json`, provided it has the kernel profile's format:
/// upstream walks any document with the kernel profile's walker, so a
/// lookup needs a kernel JSON profile and fails on a document of the other
/// format.
unsafe fn lookup_profile(inst: &vmi_instance, json: *mut json_object) -> Result<Arc<Parsed>> {
    let kernel_kind = kernel_json(inst)?.kind;
    let parsed = unsafe { parsed_profile(inst, json) }?;
    if parsed.kind != kernel_kind {
        return Err(Error::Unsupported(
            "document is not in the kernel profile's format (ISF vs Rekall)",
        ));
    }
    Ok(parsed)
}

fn os_type_of(kind: OsKind) -> OsType {
    match kind {
        OsKind::Linux => OsType::Linux,
        OsKind::Windows => OsType::Windows,
        OsKind::MacOs => OsType::Osx,
    }
}

/// Loads the OS profile from `config` without further OS setup. Returns the OS type found.
#[no_mangle]
pub unsafe extern "C" fn vmi_init_profile(
    vmi: vmi_instance_t,
    config_mode: vmi_config_t,
    config: *mut c_void,
) -> os_t {
    ffi_or("vmi_init_profile", VMI_OS_UNKNOWN, || {
        let inst = unsafe { instance(vmi) }?;
        let name = inst.core.name().to_owned();
        let cfg = unsafe { super::init::config_from_c(config_mode, config, &name) }?;

        // As upstream: the profile's own OS wins over `ostype`; a profile
        // that fails to load leaves `ostype` to decide.
        let mut path = None;
        let mut loaded = None;
        if let Some(p) = cfg.json_profile_path() {
            if json_profile_path(inst).is_some() {
                crate::log_info!("vmi_init_profile: a JSON profile is loaded already; keeping it");
            } else {
                match profile::load_json_profile(std::path::Path::new(p)) {
                    Ok((prof, _)) => {
                        path = Some(p.to_owned());
                        loaded = Some(Arc::new(prof));
                    }
                    Err(e) => crate::log_error!("vmi_init_profile: JSON profile {p}: {e}"),
                }
            }
        }
        let os_type = loaded
            .as_ref()
            .and_then(|p| p.os())
            .map(os_type_of)
            .or_else(|| cfg.os_type())
            .ok_or(Error::Config {
                line: 0,
                what: "undefined OS type: no ostype and no profile that names one",
            })?;

        let cfg_mode = cfg.page_mode();
        if !matches!(cfg_mode, PageMode::Unknown | PageMode::None)
            && matches!(inst.core.page_mode(), PageMode::Unknown | PageMode::None)
        {
            let ctx = *inst.core.paging_context();
            inst.core.set_paging(cfg_mode, ctx);
        }
        inst.core.attach(InitProfile {
            os_type,
            path,
            profile: loaded,
        });
        Ok(os_type as os_t)
    })
}

/// Returns the kernel's JSON profile; it belongs to the instance.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_kernel_json(vmi: vmi_instance_t) -> *mut json_object {
    ffi_or("vmi_get_kernel_json", ptr::null_mut(), || {
        let inst = unsafe { instance_ref(vmi) }?;
        Ok(kernel_json(inst)?.root)
    })
}

/// Looks up the address of `symbol` in JSON profile `json`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_symbol_addr_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    symbol: *const c_char,
    addr: *mut addr_t,
) -> status_t {
    ffi_status("vmi_get_symbol_addr_from_json", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let symbol = unsafe { c_str_utf8(symbol, "symbol is NULL") }?;
        let out = unsafe { super::guard::out_ref(addr, "addr is NULL") }?;
        let p = unsafe { lookup_profile(inst, json) }?;
        *out = p.profile.symbol(symbol).ok_or(Error::SymbolNotFound)?;
        Ok(())
    })
}

/// Looks up the size of struct `struct_name` in JSON profile `json`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_struct_size_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    struct_name: *const c_char,
    size: *mut usize,
) -> status_t {
    ffi_status("vmi_get_struct_size_from_json", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let name = unsafe { c_str_utf8(struct_name, "struct_name is NULL") }?;
        let out = unsafe { super::guard::out_ref(size, "size is NULL") }?;
        let p = unsafe { lookup_profile(inst, json) }?;
        let s = p
            .profile
            .struct_size(name)
            .ok_or(Error::NotFound("struct in JSON profile"))?;
        *out = usize::try_from(s).map_err(|_| Error::Malformed("struct size too large"))?;
        Ok(())
    })
}

/// Looks up the offset of `struct_member` in struct `struct_name` in JSON profile `json`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_struct_member_offset_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    struct_name: *const c_char,
    struct_member: *const c_char,
    offset: *mut addr_t,
) -> status_t {
    ffi_status("vmi_get_struct_member_offset_from_json", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let name = unsafe { c_str_utf8(struct_name, "struct_name is NULL") }?;
        let member = unsafe { c_str_utf8(struct_member, "struct_member is NULL") }?;
        let out = unsafe { super::guard::out_ref(offset, "offset is NULL") }?;
        let p = unsafe { lookup_profile(inst, json) }?;
        // Upstream also searches named embedded structs.
        *out = p
            .profile
            .member_offset_lenient(name, member)
            .ok_or(Error::NotFound("struct member in JSON profile"))?;
        Ok(())
    })
}

// Upstream declares this one without NOEXCEPT.
/// Looks up the byte offset and first/last bit of bitfield `struct_member` of struct
/// `struct_name` in JSON profile `json`.
/// cbindgen:postfix=
#[no_mangle]
pub unsafe extern "C" fn vmi_get_bitfield_offset_and_size_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    struct_name: *const c_char,
    struct_member: *const c_char,
    offset: *mut addr_t,
    start_bit: *mut usize,
    end_bit: *mut usize,
) -> status_t {
    ffi_status("vmi_get_bitfield_offset_and_size_from_json", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let name = unsafe { c_str_utf8(struct_name, "struct_name is NULL") }?;
        let member = unsafe { c_str_utf8(struct_member, "struct_member is NULL") }?;
        let p = unsafe { lookup_profile(inst, json) }?;
        let (off, first, bits) = p
            .profile
            .bitfield(name, member)
            .ok_or(Error::NotFound("bitfield member in JSON profile"))?;
        // Outputs are optional, as upstream; end is exclusive (first + width).
        unsafe {
            write_opt(offset, off);
            write_opt(start_bit, first as usize);
            write_opt(end_bit, first as usize + bits as usize);
        }
        Ok(())
    })
}

/// Looks up the type name of `struct_member` of struct `struct_name` in JSON profile `json`.
/// (Declared but exported under another name by upstream LibVMI.)
#[no_mangle]
pub unsafe extern "C" fn vmi_get_struct_field_type_name_from_json(
    vmi: vmi_instance_t,
    json: *mut json_object,
    struct_name: *const c_char,
    struct_member: *const c_char,
    member_type_name: *mut *const c_char,
) -> status_t {
    ffi_status("vmi_get_struct_field_type_name_from_json", || {
        let out = unsafe { super::guard::out_ref(member_type_name, "member_type_name is NULL") }?;
        *out = ptr::null();
        let inst = unsafe { instance_ref(vmi) }?;
        let name = unsafe { c_str_utf8(struct_name, "struct_name is NULL") }?;
        let member = unsafe { c_str_utf8(struct_member, "struct_member is NULL") }?;
        let p = unsafe { lookup_profile(inst, json) }?;
        if p.kind != JsonKind::Isf {
            return Err(Error::Unsupported(
                "member type names need a Volatility ISF profile (Rekall has none)",
            ));
        }
        let ty = p
            .profile
            .member_type_name(name, member)
            .ok_or(Error::NotFound("named type of that member in JSON profile"))?;
        // The string lives as long as the instance (upstream: the document).
        *out = inst.keep_string(ty);
        Ok(())
    })
}
