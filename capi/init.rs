//! Instance set-up and tear-down, and accessors for instance properties.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

use core::ffi::{c_char, c_uint, c_ulong, c_void};
use core::ptr;
use std::os::unix::ffi::OsStrExt;

use super::guard::{c_str, ffi_or, ffi_status, instance, instance_ref, malloc_c_string, out_ref, write_opt};
use super::instance::vmi_instance;
use super::types::*;
use crate::config::{Config, Value};
use crate::driver::PhysRange;
use crate::error::{Error, InitStage, Result};
use crate::instance::Vmi;
use crate::PageMode;

/// Creates an instance for the VM `domain` (name, id or UUID per `init_flags`) using driver
/// `mode`, without paging or OS setup. On failure `*error` (if given) says why.
#[no_mangle]
pub unsafe extern "C" fn vmi_init(
    vmi: *mut vmi_instance_t,
    mode: vmi_mode_t,
    domain: *const c_void,
    init_flags: u64,
    init_data: *mut vmi_init_data_t,
    error: *mut vmi_init_error_t,
) -> status_t {
    ffi_status("vmi_init", || {
        let out = unsafe { out_ref(vmi, "vmi out-pointer is NULL") }?;
        *out = ptr::null_mut();
        let (inst, err) = unsafe { new_instance(mode, domain, init_flags, init_data) };
        unsafe { write_opt(error, err) };
        *out = Box::into_raw(Box::new(inst?));
        Ok(())
    })
}

/// Creates a fully initialised instance: detects the driver, sets up paging and the guest OS from
/// `config` (interpreted per `config_mode`).
#[no_mangle]
pub unsafe extern "C" fn vmi_init_complete(
    vmi: *mut vmi_instance_t,
    domain: *const c_void,
    init_flags: u64,
    init_data: *mut vmi_init_data_t,
    config_mode: vmi_config_t,
    config: *mut c_void,
    error: *mut vmi_init_error_t,
) -> status_t {
    ffi_status("vmi_init_complete", || {
        let out = unsafe { out_ref(vmi, "vmi out-pointer is NULL") }?;
        *out = ptr::null_mut();
        let mut mode = VMI_FILE;
        if unsafe { vmi_get_access_mode(ptr::null_mut(), domain, init_flags, init_data, &mut mode) }
            != VMI_SUCCESS
        {
            unsafe { write_opt(error, VMI_INIT_ERROR_DRIVER_NOT_DETECTED) };
            return Err(Error::Init { stage: InitStage::DriverNotDetected, what: "no backend can reach that domain" });
        }
        let (inst, err) = unsafe { new_instance(mode, domain, init_flags, init_data) };
        let mut inst = Box::new(inst.inspect_err(|_| unsafe { write_opt(error, err) })?);
        // Snapshot files get their paging from the OS layer's heuristics
        // (or from CPU notes) during OS init, as upstream.
        if mode != VMI_FILE && inst.core.init_paging_from_registers().is_err() {
            unsafe { write_opt(error, VMI_INIT_ERROR_PAGING) };
            return Err(Error::Init { stage: InitStage::Paging, what: "could not determine the paging mode" });
        }
        let raw = Box::into_raw(inst);
        if unsafe { vmi_init_os(raw, config_mode, config, error) } == VMI_OS_UNKNOWN {
            drop(unsafe { Box::from_raw(raw) });
            return Err(Error::Init { stage: InitStage::Os, what: "OS initialisation failed" });
        }
        *out = raw;
        Ok(())
    })
}

/// Determines the paging mode from vCPU 0 and sets up address translation. `flags` takes
/// VMI_PM_INITFLAG_* bits. Returns the mode, or VMI_PM_UNKNOWN.
#[no_mangle]
pub unsafe extern "C" fn vmi_init_paging(vmi: vmi_instance_t, flags: u64) -> page_mode_t {
    ffi_or("vmi_init_paging", VMI_PM_UNKNOWN, || {
        let inst = unsafe { instance(vmi) }?;
        let mode = inst.core.init_paging_from_registers()?;
        if flags & VMI_PM_INITFLAG_TRANSITION_PAGES as u64 != 0
            && matches!(mode, PageMode::Legacy | PageMode::Pae | PageMode::Ia32e | PageMode::Ia32eLa57)
        {
            let mut ctx = *inst.core.paging_context();
            ctx.flags.transition_pages = true;
            inst.core.set_paging(mode, ctx);
        }
        Ok(mode.to_c())
    })
}

/// Sets up guest OS knowledge (offsets, symbols, kernel page table) from `config`. Returns the OS
/// type, or VMI_OS_UNKNOWN.
#[no_mangle]
pub unsafe extern "C" fn vmi_init_os(
    vmi: vmi_instance_t,
    config_mode: vmi_config_t,
    config: *mut c_void,
    error: *mut vmi_init_error_t,
) -> os_t {
    ffi_or("vmi_init_os", VMI_OS_UNKNOWN, || {
        let inst = unsafe { instance(vmi) }?;
        let name = inst.core.name().to_owned();
        let cfg = match unsafe { config_from_c(config_mode, config, &name) } {
            Ok(c) => c,
            Err(e) => {
                let code = match crate::config::init_stage(&e) {
                    InitStage::NoConfigEntry => VMI_INIT_ERROR_NO_CONFIG_ENTRY,
                    _ => VMI_INIT_ERROR_NO_CONFIG,
                };
                unsafe { write_opt(error, code) };
                return Err(e);
            }
        };
        if crate::os::os_type_from_config(&cfg) == crate::os::OsType::Unknown {
            unsafe { write_opt(error, VMI_INIT_ERROR_NO_CONFIG_ENTRY) };
            return Err(Error::Config { line: 0, what: "the config names no ostype and no profile that names one" });
        }
        // A `pagemode` in the config applies when nothing better is known.
        let cfg_mode = cfg.page_mode();
        if !matches!(cfg_mode, PageMode::Unknown | PageMode::None)
            && matches!(inst.core.page_mode(), PageMode::Unknown | PageMode::None)
        {
            let ctx = *inst.core.paging_context();
            inst.core.set_paging(cfg_mode, ctx);
        }
        inst.core.set_config(cfg);
        match crate::os::init_os(&mut inst.core) {
            Ok(os) => Ok(os as os_t),
            Err(e) => {
                unsafe { write_opt(error, VMI_INIT_ERROR_OS) };
                Err(e)
            }
        }
    })
}

/// Releases the instance and everything it owns. The handle is invalid afterwards.
#[no_mangle]
pub unsafe extern "C" fn vmi_destroy(vmi: vmi_instance_t) -> status_t {
    ffi_status("vmi_destroy", || {
        if vmi.is_null() {
            return Err(Error::InvalidArgument("vmi instance is NULL"));
        }
        drop(unsafe { Box::from_raw(vmi) });
        Ok(())
    })
}

/// Returns the architecture this library was built for.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_library_arch() -> vmi_arch_t {
    if cfg!(target_arch = "x86_64") {
        VMI_ARCH_X86_64
    } else if cfg!(target_arch = "x86") {
        VMI_ARCH_X86
    } else if cfg!(target_arch = "aarch64") {
        VMI_ARCH_ARM64
    } else if cfg!(target_arch = "arm") {
        VMI_ARCH_ARM32
    } else {
        VMI_ARCH_UNKNOWN
    }
}

/// Returns the VM's name in a newly allocated string the caller frees, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_name(vmi: vmi_instance_t) -> *mut c_char {
    ffi_or("vmi_get_name", ptr::null_mut(), || {
        let inst = unsafe { instance_ref(vmi) }?;
        Ok(malloc_c_string(inst.core.name().as_bytes()))
    })
}

/// Returns the VM's numeric id, or VMI_INVALID_DOMID.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_vmid(vmi: vmi_instance_t) -> u64 {
    ffi_or("vmi_get_vmid", VMI_INVALID_DOMID, || {
        let inst = unsafe { instance_ref(vmi) }?;
        Ok(if inst.mode == VMI_FILE { VMI_INVALID_DOMID } else { inst.core.id() })
    })
}

/// Detects which driver can reach `domain` and stores it in `*mode`. `vmi` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_access_mode(
    vmi: vmi_instance_t,
    domain: *const c_void,
    init_flags: u64,
    init_data: *mut vmi_init_data_t,
    mode: *mut vmi_mode_t,
) -> status_t {
    // Drivers that take init data (Xen event channels, KVMi sockets) are
    // not implemented; a file needs none.
    let _ = init_data;
    ffi_status("vmi_get_access_mode", || {
        let out = unsafe { out_ref(mode, "mode out-pointer is NULL") }?;
        if let Some(inst) = unsafe { vmi.as_ref() } {
            *out = inst.mode;
            return Ok(());
        }
        let flags = init_flags as c_uint;
        let by_name = flags & VMI_INIT_DOMAINNAME != 0;
        let by_id = flags & VMI_INIT_DOMAINID != 0;
        if by_name == by_id {
            return Err(Error::InvalidArgument("give exactly one of VMI_INIT_DOMAINNAME and VMI_INIT_DOMAINID"));
        }
        if by_name {
            let name = unsafe { c_str(domain.cast(), "domain name is NULL") }?;
            let path = std::path::Path::new(std::ffi::OsStr::from_bytes(name.to_bytes()));
            if path.is_file() {
                *out = VMI_FILE;
                return Ok(());
            }
        }
        Err(Error::Unsupported("only memory snapshot files (VMI_FILE) are implemented; no such file"))
    })
}

/// Returns the paging mode in use on vCPU `vcpu`.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_page_mode(vmi: vmi_instance_t, vcpu: c_ulong) -> page_mode_t {
    // All vCPUs of a guest share one paging mode once the OS runs.
    let _ = vcpu;
    ffi_or("vmi_get_page_mode", VMI_PM_UNKNOWN, || {
        Ok(unsafe { instance_ref(vmi) }?.core.page_mode().to_c())
    })
}

/// Returns the width of a guest pointer in bytes (4 or 8), 0 if unknown.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_address_width(vmi: vmi_instance_t) -> u8 {
    ffi_or("vmi_get_address_width", 0, || {
        let inst = unsafe { instance_ref(vmi) }?;
        Ok(match inst.core.page_mode() {
            PageMode::Unknown | PageMode::None => 0,
            m => m.address_width(),
        })
    })
}

/// Returns the size of guest RAM in bytes.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_memsize(vmi: vmi_instance_t) -> u64 {
    ffi_or("vmi_get_memsize", 0, || Ok(unsafe { instance_ref(vmi) }?.core.memsize()))
}

/// Returns the address just past the highest guest-physical address.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_max_physical_address(vmi: vmi_instance_t) -> addr_t {
    ffi_or("vmi_get_max_physical_address", 0, || {
        Ok(unsafe { instance_ref(vmi) }?.core.max_physical_address())
    })
}

/// Returns the number of vCPUs.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_num_vcpus(vmi: vmi_instance_t) -> c_uint {
    ffi_or("vmi_get_num_vcpus", 0, || {
        let inst = unsafe { instance_ref(vmi) }?;
        // A snapshot without CPU notes still had at least one vCPU.
        Ok(inst.core.num_vcpus().max(1))
    })
}

/// Builds an instance for `domain` with the driver of `mode`; on failure
/// also says which `vmi_init_error_t` to report.
unsafe fn new_instance(
    mode: vmi_mode_t,
    domain: *const c_void,
    init_flags: u64,
    init_data: *mut vmi_init_data_t,
) -> (Result<vmi_instance>, vmi_init_error_t) {
    let fail = |code, e| (Err(e), code);
    if mode != VMI_FILE {
        return fail(
            VMI_INIT_ERROR_DRIVER,
            Error::Unsupported("only the VMI_FILE backend is implemented (KVM and Xen are not yet)"),
        );
    }
    if init_flags & VMI_INIT_EVENTS as u64 != 0 {
        return fail(VMI_INIT_ERROR_EVENTS, Error::Unsupported("a snapshot file has no events"));
    }
    let path = match unsafe { c_str(domain.cast(), "domain (file path) is NULL") } {
        Ok(p) => std::path::PathBuf::from(std::ffi::OsStr::from_bytes(p.to_bytes())),
        Err(e) => return fail(VMI_INIT_ERROR_VM_NOT_FOUND, e),
    };
    let ranges = match unsafe { memmap_from_init_data(init_data) } {
        Ok(r) => r,
        Err(e) => return fail(VMI_INIT_ERROR_DRIVER, e),
    };
    let writable = std::env::var_os("LIBVMI_FILE_WRITABLE").is_some_and(|v| v == "1");
    let driver = match ranges {
        Some(r) => crate::driver::file::open_with_ranges(&path, writable, r),
        None => crate::driver::file::open(&path, writable),
    };
    let driver = match driver {
        Ok(d) => d,
        Err(e @ Error::Os { .. }) => return fail(VMI_INIT_ERROR_VM_NOT_FOUND, e),
        Err(e) => return fail(VMI_INIT_ERROR_DRIVER, e),
    };
    // The domain name of a file is its basename, which selects the
    // config-file entry.
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let core = Vmi::new(driver, name, 0);
    (Ok(vmi_instance::new(core, mode, init_flags)), VMI_INIT_ERROR_NONE)
}

/// Upstream caps memory maps; a caller's count is untrusted.
const MAX_MEMMAP_RANGES: u64 = 1 << 16;

/// The valid physical ranges a `VMI_INIT_DATA_MEMMAP` entry gives, if any.
unsafe fn memmap_from_init_data(init_data: *mut vmi_init_data_t) -> Result<Option<Vec<PhysRange>>> {
    let Some(data) = (unsafe { init_data.as_ref() }) else {
        return Ok(None);
    };
    let entries = unsafe { core::ptr::addr_of!((*init_data).entry) }.cast::<vmi_init_data_entry_t>();
    for i in 0..data.count.min(64) as usize {
        let e = unsafe { &*entries.add(i) };
        if e.type_ != VMI_INIT_DATA_MEMMAP as u64 {
            continue;
        }
        let map = e.data.cast::<memory_map_t>();
        let Some(m) = (unsafe { map.as_ref() }) else {
            return Err(Error::InvalidArgument("VMI_INIT_DATA_MEMMAP entry has no memory map"));
        };
        if m.count > MAX_MEMMAP_RANGES {
            return Err(Error::InvalidArgument("memory map has too many ranges"));
        }
        let pairs = unsafe { core::ptr::addr_of!((*map).range) }.cast::<[u64; 2]>();
        let mut ranges = Vec::with_capacity(m.count as usize);
        for j in 0..m.count as usize {
            let [start, end] = unsafe { *pairs.add(j) };
            if end <= start {
                return Err(Error::InvalidArgument("memory map range ends before it starts"));
            }
            ranges.push(PhysRange { start, end });
        }
        return Ok(Some(ranges));
    }
    Ok(None)
}

/// Reads a configuration in any of upstream's `vmi_config_t` modes.
/// `domain_name` selects the entry of a config file.
pub(crate) unsafe fn config_from_c(mode: vmi_config_t, config: *mut c_void, domain_name: &str) -> Result<Config> {
    match mode {
        VMI_CONFIG_GLOBAL_FILE_ENTRY => crate::config::load_global_entry(domain_name),
        VMI_CONFIG_STRING => {
            let text = unsafe { c_str(config.cast(), "config string is NULL") }
                .map_err(|_| Error::Config { line: 0, what: "config string is NULL" })?;
            crate::config::parse_body_bytes(text.to_bytes())
        }
        VMI_CONFIG_FILE_PATH => {
            let path = unsafe { c_str(config.cast(), "config path is NULL") }
                .map_err(|_| Error::Config { line: 0, what: "config path is NULL" })?;
            let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path.to_bytes()));
            crate::config::load_entry(path, domain_name)
        }
        VMI_CONFIG_JSON_PATH => {
            let path = unsafe { c_str_utf8_cfg(config) }?;
            Ok(Config::from_json_profile_path(path))
        }
        VMI_CONFIG_GHASHTABLE => unsafe { config_from_ghashtable(config.cast()) },
        _ => Err(Error::Config { line: 0, what: "unknown vmi_config_t mode" }),
    }
}

unsafe fn c_str_utf8_cfg<'a>(p: *mut c_void) -> Result<&'a str> {
    unsafe { super::guard::c_str_utf8(p.cast(), "JSON profile path") }
        .map_err(|_| Error::Config { line: 0, what: "JSON profile path is NULL or not UTF-8" })
}

/// A caller-built `GHashTable` of `char *` keys whose values are `char *`
/// or `addr_t *` according to the key (as python-libvmi builds it).
unsafe fn config_from_ghashtable(table: *mut glib_sys::GHashTable) -> Result<Config> {
    if table.is_null() {
        return Err(Error::Config { line: 0, what: "config GHashTable is NULL" });
    }
    let mut cfg = Config::new();
    let mut iter = core::mem::MaybeUninit::<glib_sys::GHashTableIter>::uninit();
    unsafe { glib_sys::g_hash_table_iter_init(iter.as_mut_ptr(), table) };
    let mut key: glib_sys::gpointer = ptr::null_mut();
    let mut value: glib_sys::gpointer = ptr::null_mut();
    while unsafe { glib_sys::g_hash_table_iter_next(iter.as_mut_ptr(), &mut key, &mut value) } != 0 {
        let Ok(k) = (unsafe { c_str(key.cast::<c_char>(), "key") }) else { continue };
        let Ok(k) = k.to_str() else { continue };
        if value.is_null() {
            continue;
        }
        match crate::config::key_kind(k) {
            Some(crate::config::ValueKind::Num) => {
                cfg.insert(k, Value::Num(unsafe { value.cast::<u64>().read_unaligned() }));
            }
            Some(crate::config::ValueKind::Str) => {
                let v = unsafe { c_str(value.cast::<c_char>(), "value") }?;
                cfg.insert(k, Value::Str(v.to_string_lossy().into_owned()));
            }
            None => crate::log_debug!("config: ignoring unknown GHashTable key {k}"),
        }
    }
    Ok(cfg)
}
