//! Reading and writing guest memory, strings, hex dumps, mappings and disks.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

mod encoding;
mod hexdump;
mod mmap;

use core::ffi::{c_char, c_int, c_uchar, c_uint, c_ulong, c_void};
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::guard::{c_str, c_str_utf8, in_ref, instance_ref, malloc_c_string, out_ref, write_opt};
use super::types::*;
use crate::addr::PAGE_SIZE;
use crate::instance::{Access, Space, Transfer, Vmi, MAX_STRING_LEN};
use crate::{Error, PageMode, Result};

// ---- conversions and guards shared by the access functions ---------------

/// Runs `f` at the C boundary like `guard::ffi_or`, but logs failures that
/// are normal outcomes of introspection (unmapped page, unknown symbol,
/// odd guest data) only at debug level, as upstream does: callers probe
/// memory routinely and must not flood stderr.
pub(crate) fn quiet_or<T>(name: &'static str, failure: T, f: impl FnOnce() -> Result<T>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            if matches!(
                e,
                Error::PhysicalOutOfRange { .. }
                    | Error::PageNotPresent { .. }
                    | Error::BadPageTable { .. }
                    | Error::SymbolNotFound
                    | Error::NotFound(_)
                    | Error::Malformed(_)
            ) {
                crate::log_debug!("{name}: {e}");
            } else {
                crate::log_error!("{name}: {e}");
            }
            failure
        }
        Err(_) => {
            crate::log_error!("{name}: internal error (panic caught at the C boundary)");
            failure
        }
    }
}

/// `quiet_or` for `status_t` functions.
pub(crate) fn quiet_status(name: &'static str, f: impl FnOnce() -> Result<()>) -> status_t {
    quiet_or(name, VMI_FAILURE, || f().map(|()| VMI_SUCCESS))
}

static VERSION_WARNED: AtomicBool = AtomicBool::new(false);

/// A paging-mode override from C (0: the instance's mode). `VMI_PM_IA32E`
/// means 5-level IA-32e when the instance runs with LA57, since C has no
/// separate constant for it.
pub(crate) fn mode_override(vmi: &vmi_instance, pm: page_mode_t) -> Result<Option<PageMode>> {
    if pm == VMI_PM_NONE {
        return Ok(None);
    }
    match PageMode::from_c(pm) {
        Some(PageMode::Ia32e) if vmi.core.page_mode() == PageMode::Ia32eLa57 => {
            Ok(Some(PageMode::Ia32eLa57))
        }
        Some(PageMode::None | PageMode::Unknown) | None => {
            Err(Error::InvalidArgument("invalid paging mode"))
        }
        Some(m) => Ok(Some(m)),
    }
}

/// The nested stage of a C context: `npm` must be an EPT mode when `npt`
/// is set; a non-EPT `npm` without `npt` is ignored, as upstream does.
pub(crate) fn nested_stage(npt: addr_t, npm: page_mode_t) -> Result<Option<(u64, PageMode)>> {
    match PageMode::from_c(npm) {
        Some(m @ (PageMode::Ept4 | PageMode::Ept5)) => Ok(Some((npt, m))),
        _ if npt != 0 => Err(Error::InvalidArgument(
            "nested page table given without a nested (EPT) paging mode",
        )),
        _ => Ok(None),
    }
}

/// The one conversion from a C `access_context_t` to a core [`Access`].
///
/// # Safety
/// `ctx` must be NULL or point to a valid context whose `ksym` (for
/// `VMI_TM_KERNEL_SYMBOL`) is a NUL-terminated string alive for the call.
pub(crate) unsafe fn ctx_access(
    vmi: &vmi_instance,
    ctx: *const access_context_t,
) -> Result<Access<'static>> {
    // SAFETY: forwarded to the caller.
    let ctx = unsafe { in_ref(ctx, "access context is NULL") }?;
    if ctx.version != ACCESS_CONTEXT_VERSION && !VERSION_WARNED.swap(true, Ordering::Relaxed) {
        crate::log_error!(
            "access context version mismatch ({} instead of {ACCESS_CONTEXT_VERSION}), \
             please update your code; accepted for compatibility",
            ctx.version
        );
    }
    let mut access = match ctx.tm {
        VMI_TM_NONE => Access::physical(ctx.addr()),
        VMI_TM_PROCESS_DTB => Access::dtb(ctx.pt(), ctx.addr()),
        VMI_TM_PROCESS_PID => pid_access(ctx.pid(), ctx.addr())?,
        // SAFETY: forwarded to the caller.
        VMI_TM_KERNEL_SYMBOL => unsafe { ksym_access(ctx.ksym()) }?,
        _ => {
            return Err(Error::InvalidArgument(
                "translation mechanism is not defined",
            ))
        }
    };
    if ctx.tm != VMI_TM_NONE {
        access.mode = mode_override(vmi, ctx.pm)?;
    }
    access.nested = nested_stage(ctx.npt, ctx.npm)?;
    Ok(access)
}

/// Process `pid`'s address space (0: the kernel's).
pub(crate) fn pid_access(pid: vmi_pid_t, va: addr_t) -> Result<Access<'static>> {
    if pid < 0 {
        return Err(Error::InvalidArgument("negative pid"));
    }
    Ok(Access::pid(pid, va))
}

/// The address of kernel symbol `sym`.
///
/// # Safety
/// `sym` must be NULL or a NUL-terminated string alive for the call.
pub(crate) unsafe fn ksym_access(sym: *const c_char) -> Result<Access<'static>> {
    // SAFETY: forwarded to the caller.
    let s = unsafe { c_str_utf8(sym, "symbol is NULL or not UTF-8") }?;
    Ok(Access::ksym(s))
}

/// Replaces a kernel-symbol target by the symbol's address in the kernel's
/// address space, for loops that step the address themselves.
fn resolve_symbol(vmi: &Vmi, access: Access<'static>) -> Result<Access<'static>> {
    match access.space {
        Space::KernelSymbol(sym) => Ok(Access {
            space: Space::Pid(0),
            addr: vmi.ksym2v(sym)?,
            ..access
        }),
        _ => Ok(access),
    }
}

/// Width of a guest pointer in the instance's paging mode; unknown modes
/// fail like upstream.
fn pointer_width(vmi: &Vmi) -> Result<usize> {
    match vmi.page_mode() {
        PageMode::Ia32e | PageMode::Ia32eLa57 | PageMode::Aarch64 => Ok(8),
        PageMode::Legacy | PageMode::Pae | PageMode::Aarch32 => Ok(4),
        _ => Err(Error::Unsupported(
            "paging mode unknown, so the guest pointer width is unknown",
        )),
    }
}

/// A caller's buffer of `count` bytes.
///
/// # Safety
/// `buf` must be NULL or valid for `count` bytes.
unsafe fn buffer<'a>(buf: *const c_void, count: usize) -> Result<&'a [u8]> {
    if buf.is_null() {
        return Err(Error::InvalidArgument("buffer is NULL"));
    }
    if count > isize::MAX as usize {
        return Err(Error::InvalidArgument("count too large"));
    }
    // SAFETY: non-NULL and valid for `count` bytes per the caller.
    Ok(unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) })
}

/// # Safety
/// As for [`buffer`], for writing.
unsafe fn buffer_mut<'a>(buf: *mut c_void, count: usize) -> Result<&'a mut [u8]> {
    if buf.is_null() {
        return Err(Error::InvalidArgument("buffer is NULL"));
    }
    if count > isize::MAX as usize {
        return Err(Error::InvalidArgument("count too large"));
    }
    // SAFETY: non-NULL and valid for `count` bytes per the caller.
    Ok(unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), count) })
}

type Target = Result<Access<'static>>;

/// Fixed-size read at a physical address: the hottest call of the API, so
/// it skips the general access resolution.
#[inline]
unsafe fn read_pa_fixed(
    name: &'static str,
    vmi: vmi_instance_t,
    paddr: addr_t,
    out: *mut u8,
    len: usize,
) -> status_t {
    quiet_status(name, || {
        // SAFETY: the handle comes from vmi_init; `out` from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let buf = unsafe { buffer_mut(out.cast(), len) }?;
        vmi.core.read_pa(paddr, buf).into_result().map(drop)
    })
}

/// Fixed-size read at a virtual address of process `pid`, through the
/// core's lean path for field-sized reads.
#[inline]
unsafe fn read_va_fixed(
    name: &'static str,
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    out: *mut u8,
    len: usize,
) -> status_t {
    quiet_status(name, || {
        // SAFETY: the handle comes from vmi_init; `out` from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let buf = unsafe { buffer_mut(out.cast(), len) }?;
        if pid < 0 {
            return Err(Error::InvalidArgument("negative pid"));
        }
        vmi.core.read_small(pid, vaddr, buf)
    })
}

/// Runs one transfer; `*done` (optional) gets the bytes moved before the
/// first failure, on success and failure alike (0 when the arguments are
/// refused).
unsafe fn transfer_status(
    name: &'static str,
    done: *mut usize,
    transfer: impl FnOnce() -> Result<Transfer>,
) -> status_t {
    let mut n = 0usize;
    let st = quiet_status(name, || {
        let t = transfer()?;
        n = t.bytes;
        t.into_result().map(drop)
    });
    // SAFETY: optional out-pointer from the caller.
    unsafe { write_opt(done, n) };
    st
}

/// Reads `count` bytes into `buf`; `*done` as for [`transfer_status`].
unsafe fn read_with(
    name: &'static str,
    vmi: vmi_instance_t,
    count: usize,
    buf: *mut c_void,
    done: *mut usize,
    target: impl FnOnce(&vmi_instance) -> Target,
) -> status_t {
    unsafe {
        transfer_status(name, done, || {
            // SAFETY: the handle comes from vmi_init; buffers from the caller.
            let vmi = instance_ref(vmi)?;
            let access = target(vmi)?;
            let buf = buffer_mut(buf, count)?;
            Ok(vmi.core.read(&access, buf))
        })
    }
}

/// Reads `count` bytes at kernel symbol `sym` through the core's symbol
/// memo and lean read path; `*done` as for [`transfer_status`].
unsafe fn read_ksym_with(
    name: &'static str,
    vmi: vmi_instance_t,
    sym: *const c_char,
    count: usize,
    buf: *mut c_void,
    done: *mut usize,
) -> status_t {
    unsafe {
        transfer_status(name, done, || {
            // SAFETY: as in `read_with`; `sym` is the caller's C string.
            let vmi = instance_ref(vmi)?;
            let sym = c_str(sym, "symbol is NULL")?.to_bytes();
            let buf = buffer_mut(buf, count)?;
            Ok(vmi.core.read_ksym(sym, buf))
        })
    }
}

/// Writes `count` bytes from `buf`; `*done` as for [`transfer_status`].
unsafe fn write_with(
    name: &'static str,
    vmi: vmi_instance_t,
    count: usize,
    buf: *const c_void,
    done: *mut usize,
    target: impl FnOnce(&vmi_instance) -> Target,
) -> status_t {
    unsafe {
        transfer_status(name, done, || {
            // SAFETY: as in `read_with`.
            let vmi = instance_ref(vmi)?;
            let access = target(vmi)?;
            let data = buffer(buf, count)?;
            Ok(vmi.core.write(&access, data))
        })
    }
}

/// Reads a guest pointer: 8 bytes straight into `*value`, or 4 bytes
/// zero-extended (then `*value` is set even on failure, as upstream).
unsafe fn read_addr_with(
    name: &'static str,
    vmi: vmi_instance_t,
    value: *mut addr_t,
    target: impl FnOnce(&vmi_instance) -> Target,
) -> status_t {
    quiet_status(name, || {
        // SAFETY: as in `read_with`.
        let vmi = unsafe { instance_ref(vmi) }?;
        let value = unsafe { out_ref(value, "value is NULL") }?;
        let width = pointer_width(&vmi.core)?;
        let access = target(vmi)?;
        if width == 8 {
            let mut b = value.to_ne_bytes();
            let t = vmi.core.read(&access, &mut b);
            *value = u64::from_le_bytes(b);
            t.into_result().map(drop)
        } else {
            let mut b = [0u8; 4];
            let t = vmi.core.read(&access, &mut b);
            *value = u64::from(u32::from_le_bytes(b));
            t.into_result().map(drop)
        }
    })
}

/// Writes a guest pointer of the guest's width from `*value`.
unsafe fn write_addr_with(
    name: &'static str,
    vmi: vmi_instance_t,
    value: *mut addr_t,
    target: impl FnOnce(&vmi_instance) -> Target,
) -> status_t {
    quiet_status(name, || {
        // SAFETY: as in `read_with`.
        let vmi = unsafe { instance_ref(vmi) }?;
        let value = *unsafe { in_ref(value.cast_const(), "value is NULL") }?;
        let width = pointer_width(&vmi.core)?;
        let access = target(vmi)?;
        let b = value.to_le_bytes();
        vmi.core.write(&access, &b[..width]).into_result().map(drop)
    })
}

/// Reads a NUL-terminated string into a `malloc`'d C string.
unsafe fn str_with(
    name: &'static str,
    vmi: vmi_instance_t,
    target: impl FnOnce(&vmi_instance) -> Target,
) -> *mut c_char {
    quiet_or(name, ptr::null_mut(), || {
        // SAFETY: as in `read_with`.
        let vmi = unsafe { instance_ref(vmi) }?;
        let access = target(vmi)?;
        let p = vmi.core.with_cstr(&access, malloc_c_string)?;
        if p.is_null() {
            return Err(Error::Os {
                errno: libc::ENOMEM,
                what: "allocating the string",
            });
        }
        Ok(p)
    })
}

/// Reads UTF-16 code units up to a 0 unit. Like upstream, a string cut
/// short by an unreadable page returns what was read; nothing read at all
/// is an error. Bounded by `MAX_STRING_LEN` bytes.
fn read_wide(vmi: &Vmi, access: Access<'static>) -> Result<Vec<u16>> {
    let mut a = resolve_symbol(vmi, access)?;
    let start = a.addr;
    let mut units: Vec<u16> = Vec::new();
    let mut off = 0u64;
    let mut buf = [0u8; PAGE_SIZE as usize];
    loop {
        let cur = start.wrapping_add(off);
        let in_page = PAGE_SIZE - (cur & (PAGE_SIZE - 1));
        // Whole units only; a unit straddling a page end is read alone.
        let n = if in_page < 2 { 2 } else { in_page & !1 } as usize;
        a.addr = cur;
        let t = vmi.read(&a, &mut buf[..n]);
        for c in buf[..t.bytes & !1].chunks_exact(2) {
            let u = u16::from_le_bytes([c[0], c[1]]);
            if u == 0 {
                return Ok(units);
            }
            // Checked per unit so a terminator just past the limit does
            // not let a longer string through.
            if (units.len() + 1) * 2 > MAX_STRING_LEN {
                return Err(Error::Malformed("wide string longer than 1 MiB"));
            }
            units.push(u);
        }
        if let Some(e) = t.error {
            return if units.is_empty() { Err(e) } else { Ok(units) };
        }
        off += n as u64;
    }
}

/// `malloc`s a copy of `data` followed by `zeros` zero bytes.
fn malloc_copy(data: &[u8], zeros: usize) -> Result<*mut u8> {
    let len = data
        .len()
        .checked_add(zeros)
        .ok_or(Error::InvalidArgument("allocation too large"))?;
    // SAFETY: plain allocation of at least one byte, checked below.
    let p = unsafe { libc::malloc(len.max(1)) }.cast::<u8>();
    if p.is_null() {
        return Err(Error::Os {
            errno: libc::ENOMEM,
            what: "malloc",
        });
    }
    // SAFETY: `p` holds `len` bytes and does not overlap `data`.
    unsafe {
        ptr::copy_nonoverlapping(data.as_ptr(), p, data.len());
        ptr::write_bytes(p.add(data.len()), 0, zeros);
    }
    Ok(p)
}

unsafe fn wstr_with(
    name: &'static str,
    vmi: vmi_instance_t,
    target: impl FnOnce(&vmi_instance) -> Target,
) -> *mut u16 {
    quiet_or(name, ptr::null_mut(), || {
        // SAFETY: as in `read_with`.
        let vmi = unsafe { instance_ref(vmi) }?;
        let units = read_wide(&vmi.core, target(vmi)?)?;
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_ne_bytes()).collect();
        Ok(malloc_copy(&bytes, 2)?.cast::<u16>())
    })
}

/// Encoding name of strings read from UNICODE_STRING structures.
const UTF16_NAME: &core::ffi::CStr = c"UTF-16";

/// Reads a Windows UNICODE_STRING laid out for a guest with 8-byte
/// (`wide`) or 4-byte pointers: Length, MaximumLength, then the buffer
/// pointer (aligned). Returns the `Length` bytes of the buffer.
fn read_unicode(vmi: &Vmi, access: Access<'static>, wide: bool) -> Result<Vec<u8>> {
    let a = resolve_symbol(vmi, access)?;
    let mut raw = [0u8; 16];
    let size = if wide { 16 } else { 8 };
    vmi.read(&a, &mut raw[..size]).into_result()?;
    let len = u16::from_le_bytes([raw[0], raw[1]]);
    let max = u16::from_le_bytes([raw[2], raw[3]]);
    let buffer = if wide {
        u64::from_le_bytes([
            raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15],
        ])
    } else {
        u64::from(u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]))
    };
    if len > max {
        return Err(Error::Malformed(
            "UNICODE_STRING Length exceeds MaximumLength",
        ));
    }
    let mut contents = vec![0u8; usize::from(len)];
    let b = Access { addr: buffer, ..a };
    vmi.read(&b, &mut contents).into_result()?;
    Ok(contents)
}

unsafe fn unicode_with(
    name: &'static str,
    vmi: vmi_instance_t,
    mode: Option<page_mode_t>,
    target: impl FnOnce(&vmi_instance) -> Target,
) -> *mut unicode_string_t {
    quiet_or(name, ptr::null_mut(), || {
        // SAFETY: as in `read_with`.
        let vmi = unsafe { instance_ref(vmi) }?;
        let mode = match mode {
            Some(pm) => {
                PageMode::from_c(pm).ok_or(Error::InvalidArgument("invalid paging mode"))?
            }
            None => vmi.core.page_mode(),
        };
        let wide = matches!(
            mode,
            PageMode::Ia32e | PageMode::Ia32eLa57 | PageMode::Aarch64
        );
        let contents = read_unicode(&vmi.core, target(vmi)?, wide)?;
        let c = malloc_copy(&contents, 2)?;
        let us = unicode_string_t {
            length: contents.len(),
            contents: c,
            encoding: UTF16_NAME.as_ptr(),
        };
        // SAFETY: plain allocation, checked below.
        let p = unsafe { libc::malloc(core::mem::size_of::<unicode_string_t>()) }
            .cast::<unicode_string_t>();
        if p.is_null() {
            // SAFETY: `c` came from malloc above.
            unsafe { libc::free(c.cast()) };
            return Err(Error::Os {
                errno: libc::ENOMEM,
                what: "malloc",
            });
        }
        // SAFETY: `p` is a fresh allocation of the right size.
        unsafe { p.write(us) };
        Ok(p)
    })
}

/// Reads `length` bytes and prints them with [`hexdump::format`]; prints
/// nothing if the read fails.
unsafe fn print_hex_with(
    name: &'static str,
    vmi: vmi_instance_t,
    length: usize,
    target: impl FnOnce(&vmi_instance) -> Target,
) {
    quiet_or(name, (), || {
        // SAFETY: as in `read_with`.
        let vmi = unsafe { instance_ref(vmi) }?;
        let access = target(vmi)?;
        let mut buf = Vec::new();
        buf.try_reserve_exact(length)
            .map_err(|_| Error::InvalidArgument("length too large"))?;
        buf.resize(length, 0);
        vmi.core.read(&access, &mut buf).into_result()?;
        hexdump::print_c(&hexdump::format(&buf));
        Ok(())
    })
}

/// Maps copies of the pages `pages` computes into `access_ptrs`.
unsafe fn mmap_with(
    name: &'static str,
    vmi: vmi_instance_t,
    num_pages: usize,
    prot: c_int,
    access_ptrs: *mut *mut c_void,
    pages: impl FnOnce(&vmi_instance) -> Result<Vec<Option<u64>>>,
) -> status_t {
    quiet_status(name, || {
        // SAFETY: as in `read_with`.
        let vmi = unsafe { instance_ref(vmi) }?;
        if access_ptrs.is_null() {
            return Err(Error::InvalidArgument("access_ptrs is NULL"));
        }
        if num_pages > mmap::MAX_PAGES {
            return Err(Error::InvalidArgument(
                "too many pages (at most 2^20 per call)",
            ));
        }
        // SAFETY: the caller provides `num_pages` pointer slots.
        let out = unsafe { core::slice::from_raw_parts_mut(access_ptrs, num_pages) };
        let pages = pages(vmi)?;
        mmap::map_copies(&vmi.core, &pages, prot, out)
    })
}

const NO_DISKS: Error = Error::Unsupported(
    "VM disk access needs a hypervisor backend (Xen); not supported by the file backend",
);

// ---- exported functions -------------------------------------------------

/// Reads `count` bytes at the address `ctx` describes into `buf`. `*bytes_read` (if given) gets
/// the number of bytes read; fails unless all were read.
#[no_mangle]
pub unsafe extern "C" fn vmi_read(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    count: usize,
    buf: *mut c_void,
    bytes_read: *mut usize,
) -> status_t {
    read_with("vmi_read", vmi, count, buf, bytes_read, |v| {
        ctx_access(v, ctx)
    })
}

/// Reads one byte at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_8(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u8,
) -> status_t {
    read_with("vmi_read_8", vmi, 1, value.cast(), ptr::null_mut(), |v| {
        ctx_access(v, ctx)
    })
}

/// Reads a 16-bit value at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_16(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u16,
) -> status_t {
    read_with("vmi_read_16", vmi, 2, value.cast(), ptr::null_mut(), |v| {
        ctx_access(v, ctx)
    })
}

/// Reads a 32-bit value at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_32(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u32,
) -> status_t {
    read_with("vmi_read_32", vmi, 4, value.cast(), ptr::null_mut(), |v| {
        ctx_access(v, ctx)
    })
}

/// Reads a 64-bit value at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_64(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u64,
) -> status_t {
    read_with("vmi_read_64", vmi, 8, value.cast(), ptr::null_mut(), |v| {
        ctx_access(v, ctx)
    })
}

/// Reads a guest pointer (4 or 8 bytes per the guest's address width) at the address `ctx`
/// describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_addr(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut addr_t,
) -> status_t {
    read_addr_with("vmi_read_addr", vmi, value, |v| ctx_access(v, ctx))
}

/// Reads a NUL-terminated string. The caller frees the result with free(); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_str(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
) -> *mut c_char {
    str_with("vmi_read_str", vmi, |v| ctx_access(v, ctx))
}

/// Reads a NUL-terminated UTF-16 string. The caller frees the result with free(); NULL on
/// failure.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_wstr(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
) -> *mut u16 {
    wstr_with("vmi_read_wstr", vmi, |v| ctx_access(v, ctx))
}

/// Reads a Windows UNICODE_STRING structure. Free the result with vmi_free_unicode_str(); NULL on
/// failure.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_unicode_str(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
) -> *mut unicode_string_t {
    unicode_with("vmi_read_unicode_str", vmi, None, |v| ctx_access(v, ctx))
}

/// Like vmi_read_unicode_str, with the structure laid out for paging mode `mode`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_unicode_str_pm(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    mode: page_mode_t,
) -> *mut unicode_string_t {
    unicode_with("vmi_read_unicode_str_pm", vmi, Some(mode), |v| {
        ctx_access(v, ctx)
    })
}

/// Reads `count` bytes at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    count: usize,
    buf: *mut c_void,
    bytes_read: *mut usize,
) -> status_t {
    read_ksym_with("vmi_read_ksym", vmi, sym, count, buf, bytes_read)
}

/// Reads `count` bytes at virtual address `vaddr` of process `pid` (0 for the kernel).
#[no_mangle]
pub unsafe extern "C" fn vmi_read_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    count: usize,
    buf: *mut c_void,
    bytes_read: *mut usize,
) -> status_t {
    read_with("vmi_read_va", vmi, count, buf, bytes_read, |_| {
        pid_access(pid, vaddr)
    })
}

/// Maps `num_pages` guest pages starting at the address `ctx` describes into this process;
/// `access_ptrs[i]` gets each page's mapping or NULL. Release each non-NULL pointer with
/// munmap(ptr, 4096). For memory snapshot files the pages are private copies: writes to them do
/// not reach the guest.
#[no_mangle]
pub unsafe extern "C" fn vmi_mmap_guest(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    num_pages: usize,
    prot: c_int,
    access_ptrs: *mut *mut c_void,
) -> status_t {
    mmap_with("vmi_mmap_guest", vmi, num_pages, prot, access_ptrs, |v| {
        let access = unsafe { ctx_access(v, ctx) }?;
        v.core.physical_pages(&access, num_pages)
    })
}

/// Maps the guest frames listed in `pfns` into this process; `access_ptrs[i]` gets each mapping
/// or NULL. Release as for vmi_mmap_guest.
#[no_mangle]
pub unsafe extern "C" fn vmi_mmap_guest_pfns(
    vmi: vmi_instance_t,
    pfns: *mut c_ulong,
    num_pages: usize,
    prot: c_int,
    access_ptrs: *mut *mut c_void,
) -> status_t {
    mmap_with(
        "vmi_mmap_guest_pfns",
        vmi,
        num_pages,
        prot,
        access_ptrs,
        |_| {
            if pfns.is_null() {
                return Err(Error::InvalidArgument("pfns is NULL"));
            }
            // SAFETY: the caller provides `num_pages` frame numbers.
            let pfns = unsafe { core::slice::from_raw_parts(pfns.cast_const(), num_pages) };
            Ok(pfns
                .iter()
                // c_ulong is narrower than u64 on some targets.
                .map(|&f| {
                    #[allow(clippy::useless_conversion)]
                    let f = u64::from(f);
                    (f < 1 << 52).then_some(f << 12)
                })
                .collect())
        },
    )
}

/// Maps `num_pages` guest-physical pages starting at `paddr`; `access_ptrs[i]` gets each mapping
/// or NULL. Release as for vmi_mmap_guest.
#[no_mangle]
pub unsafe extern "C" fn vmi_mmap_guest_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    num_pages: usize,
    prot: c_int,
    access_ptrs: *mut *mut c_void,
) -> status_t {
    mmap_with(
        "vmi_mmap_guest_pa",
        vmi,
        num_pages,
        prot,
        access_ptrs,
        |_| {
            Ok((0..num_pages as u64)
                .map(|i| Some(paddr.wrapping_add(i * PAGE_SIZE) & !(PAGE_SIZE - 1)))
                .collect())
        },
    )
}

/// Reads `count` bytes at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    count: usize,
    buf: *mut c_void,
    bytes_read: *mut usize,
) -> status_t {
    read_with("vmi_read_pa", vmi, count, buf, bytes_read, |_| {
        Ok(Access::physical(paddr))
    })
}

/// Reads one byte at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_8_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u8,
) -> status_t {
    read_ksym_with(
        "vmi_read_8_ksym",
        vmi,
        sym,
        1,
        value.cast(),
        ptr::null_mut(),
    )
}

/// Reads a 16-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_16_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u16,
) -> status_t {
    read_ksym_with(
        "vmi_read_16_ksym",
        vmi,
        sym,
        2,
        value.cast(),
        ptr::null_mut(),
    )
}

/// Reads a 32-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_32_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u32,
) -> status_t {
    read_ksym_with(
        "vmi_read_32_ksym",
        vmi,
        sym,
        4,
        value.cast(),
        ptr::null_mut(),
    )
}

/// Reads a 64-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_64_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u64,
) -> status_t {
    read_ksym_with(
        "vmi_read_64_ksym",
        vmi,
        sym,
        8,
        value.cast(),
        ptr::null_mut(),
    )
}

/// Reads a guest pointer at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_addr_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut addr_t,
) -> status_t {
    read_addr_with("vmi_read_addr_ksym", vmi, value, |_| ksym_access(sym))
}

/// Reads a NUL-terminated string at kernel symbol `sym`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_str_ksym(vmi: vmi_instance_t, sym: *const c_char) -> *mut c_char {
    str_with("vmi_read_str_ksym", vmi, |_| ksym_access(sym))
}

/// Reads one byte at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_8_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u8,
) -> status_t {
    read_va_fixed("vmi_read_8_va", vmi, vaddr, pid, value.cast(), 1)
}

/// Reads a 16-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_16_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u16,
) -> status_t {
    read_va_fixed("vmi_read_16_va", vmi, vaddr, pid, value.cast(), 2)
}

/// Reads a 32-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_32_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u32,
) -> status_t {
    read_va_fixed("vmi_read_32_va", vmi, vaddr, pid, value.cast(), 4)
}

/// Reads a 64-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_64_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u64,
) -> status_t {
    read_va_fixed("vmi_read_64_va", vmi, vaddr, pid, value.cast(), 8)
}

/// Reads a guest pointer at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_addr_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut addr_t,
) -> status_t {
    quiet_status("vmi_read_addr_va", || {
        // SAFETY: the handle comes from vmi_init; `value` from the caller.
        let v = unsafe { instance_ref(vmi) }?;
        let out = unsafe { out_ref(value, "value is NULL") }?;
        if pid < 0 {
            return Err(Error::InvalidArgument("negative pid"));
        }
        let width = pointer_width(&v.core)?;
        // As upstream: an 8-byte read lands in `*value` directly (left as
        // it was where nothing was read); a 4-byte one is zero-extended
        // into it even when the read fails.
        let mut b = if width == 8 {
            out.to_le_bytes()
        } else {
            [0u8; 8]
        };
        let r = v.core.read_small(pid, vaddr, &mut b[..width]);
        *out = u64::from_le_bytes(b);
        r
    })
}

/// Reads a NUL-terminated string at `vaddr` of process `pid`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_str_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
) -> *mut c_char {
    str_with("vmi_read_str_va", vmi, |_| pid_access(pid, vaddr))
}

/// Reads a NUL-terminated UTF-16 string at `vaddr` of process `pid`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_wstr_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
) -> *mut u16 {
    wstr_with("vmi_read_wstr_va", vmi, |_| pid_access(pid, vaddr))
}

/// Reads a Windows UNICODE_STRING at `vaddr` of process `pid`; free with vmi_free_unicode_str().
#[no_mangle]
pub unsafe extern "C" fn vmi_read_unicode_str_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
) -> *mut unicode_string_t {
    unicode_with("vmi_read_unicode_str_va", vmi, None, |_| {
        pid_access(pid, vaddr)
    })
}

/// Converts `in` to encoding `outencoding` (an iconv name) into `out`, whose contents the caller
/// later frees.
#[no_mangle]
pub unsafe extern "C" fn vmi_convert_str_encoding(
    in_: *const unicode_string_t,
    out: *mut unicode_string_t,
    outencoding: *const c_char,
) -> status_t {
    quiet_status("vmi_convert_str_encoding", || {
        // SAFETY: pointers from the caller, checked for NULL.
        let input = unsafe { in_ref(in_, "in is NULL") }?;
        let out = unsafe { out_ref(out, "out is NULL") }?;
        *out = unicode_string_t {
            length: 0,
            contents: ptr::null_mut(),
            encoding: ptr::null(),
        };
        let unsupported = Error::Unsupported(
            "encoding (supported: UTF-8, UTF-16[LE|BE], UTF-32[LE|BE], ASCII, ISO-8859-1)",
        );
        let to_name = unsafe { c_str(outencoding, "outencoding is NULL") }?;
        let from_name = unsafe { c_str(input.encoding, "input encoding is NULL") }?;
        let to = to_name
            .to_str()
            .ok()
            .and_then(encoding::Encoding::from_name)
            .ok_or(unsupported)?;
        let from = from_name
            .to_str()
            .ok()
            .and_then(encoding::Encoding::from_name)
            .ok_or(unsupported)?;
        let data: &[u8] = if input.length == 0 {
            &[]
        } else {
            // SAFETY: `contents` holds `length` bytes per the caller.
            unsafe { buffer(input.contents.cast_const().cast(), input.length) }?
        };
        let converted = encoding::convert(data, from, to)?;
        // NUL-terminated for any unit width, like upstream's zeroed buffer.
        let p = malloc_copy(&converted, 4)?;
        *out = unicode_string_t {
            length: converted.len(),
            contents: p,
            encoding: outencoding,
        };
        Ok(())
    })
}

/// Frees a string returned by the vmi_read_unicode_str* functions.
#[no_mangle]
pub unsafe extern "C" fn vmi_free_unicode_str(p_us: *mut unicode_string_t) {
    if p_us.is_null() {
        return;
    }
    // SAFETY: `p_us` and its contents came from the vmi_read_unicode_str*
    // functions, which allocate both with malloc.
    unsafe {
        libc::free((*p_us).contents.cast());
        libc::free(p_us.cast());
    }
}

/// Reads one byte at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_8_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u8,
) -> status_t {
    read_pa_fixed("vmi_read_8_pa", vmi, paddr, value.cast(), 1)
}

/// Reads a 16-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_16_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u16,
) -> status_t {
    read_pa_fixed("vmi_read_16_pa", vmi, paddr, value.cast(), 2)
}

/// Reads a 32-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_32_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u32,
) -> status_t {
    read_pa_fixed("vmi_read_32_pa", vmi, paddr, value.cast(), 4)
}

/// Reads a 64-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_64_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u64,
) -> status_t {
    read_pa_fixed("vmi_read_64_pa", vmi, paddr, value.cast(), 8)
}

/// Reads a guest pointer at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_addr_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut addr_t,
) -> status_t {
    read_addr_with("vmi_read_addr_pa", vmi, value, |_| {
        Ok(Access::physical(paddr))
    })
}

/// Reads a NUL-terminated string at guest-physical address `paddr`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_str_pa(vmi: vmi_instance_t, paddr: addr_t) -> *mut c_char {
    str_with("vmi_read_str_pa", vmi, |_| Ok(Access::physical(paddr)))
}

/// Reads a NUL-terminated UTF-16 string at guest-physical address `paddr`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_wstr_pa(vmi: vmi_instance_t, paddr: addr_t) -> *mut u16 {
    wstr_with("vmi_read_wstr_pa", vmi, |_| Ok(Access::physical(paddr)))
}

/// Writes `count` bytes from `buf` to the address `ctx` describes. `*bytes_written` (if given)
/// gets the number written.
#[no_mangle]
pub unsafe extern "C" fn vmi_write(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    count: usize,
    buf: *mut c_void,
    bytes_written: *mut usize,
) -> status_t {
    write_with(
        "vmi_write",
        vmi,
        count,
        buf.cast_const(),
        bytes_written,
        |v| ctx_access(v, ctx),
    )
}

/// Writes `count` bytes from `buf` at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    count: usize,
    buf: *mut c_void,
    bytes_written: *mut usize,
) -> status_t {
    write_with(
        "vmi_write_ksym",
        vmi,
        count,
        buf.cast_const(),
        bytes_written,
        |_| ksym_access(sym),
    )
}

/// Writes `count` bytes from `buf` at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    count: usize,
    buf: *mut c_void,
    bytes_written: *mut usize,
) -> status_t {
    write_with(
        "vmi_write_va",
        vmi,
        count,
        buf.cast_const(),
        bytes_written,
        |_| pid_access(pid, vaddr),
    )
}

/// Writes `count` bytes from `buf` at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    count: usize,
    buf: *mut c_void,
    bytes_written: *mut usize,
) -> status_t {
    write_with(
        "vmi_write_pa",
        vmi,
        count,
        buf.cast_const(),
        bytes_written,
        |_| Ok(Access::physical(paddr)),
    )
}

/// Writes one byte to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_8(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u8,
) -> status_t {
    write_with(
        "vmi_write_8",
        vmi,
        1,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |v| ctx_access(v, ctx),
    )
}

/// Writes a 16-bit value to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_16(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u16,
) -> status_t {
    write_with(
        "vmi_write_16",
        vmi,
        2,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |v| ctx_access(v, ctx),
    )
}

/// Writes a 32-bit value to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_32(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u32,
) -> status_t {
    write_with(
        "vmi_write_32",
        vmi,
        4,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |v| ctx_access(v, ctx),
    )
}

/// Writes a 64-bit value to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_64(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u64,
) -> status_t {
    write_with(
        "vmi_write_64",
        vmi,
        8,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |v| ctx_access(v, ctx),
    )
}

/// Writes a guest pointer (guest address width) to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_addr(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut addr_t,
) -> status_t {
    write_addr_with("vmi_write_addr", vmi, value, |v| ctx_access(v, ctx))
}

/// Writes one byte at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_8_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u8,
) -> status_t {
    write_with(
        "vmi_write_8_ksym",
        vmi,
        1,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| ksym_access(sym),
    )
}

/// Writes a 16-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_16_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u16,
) -> status_t {
    write_with(
        "vmi_write_16_ksym",
        vmi,
        2,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| ksym_access(sym),
    )
}

/// Writes a 32-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_32_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u32,
) -> status_t {
    write_with(
        "vmi_write_32_ksym",
        vmi,
        4,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| ksym_access(sym),
    )
}

/// Writes a 64-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_64_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u64,
) -> status_t {
    write_with(
        "vmi_write_64_ksym",
        vmi,
        8,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| ksym_access(sym),
    )
}

/// Writes a guest pointer at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_addr_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut addr_t,
) -> status_t {
    write_addr_with("vmi_write_addr_ksym", vmi, value, |_| ksym_access(sym))
}

/// Writes one byte at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_8_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u8,
) -> status_t {
    write_with(
        "vmi_write_8_va",
        vmi,
        1,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| pid_access(pid, vaddr),
    )
}

/// Writes a 16-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_16_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u16,
) -> status_t {
    write_with(
        "vmi_write_16_va",
        vmi,
        2,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| pid_access(pid, vaddr),
    )
}

/// Writes a 32-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_32_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u32,
) -> status_t {
    write_with(
        "vmi_write_32_va",
        vmi,
        4,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| pid_access(pid, vaddr),
    )
}

/// Writes a 64-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_64_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u64,
) -> status_t {
    write_with(
        "vmi_write_64_va",
        vmi,
        8,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| pid_access(pid, vaddr),
    )
}

/// Writes a guest pointer at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_addr_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut addr_t,
) -> status_t {
    write_addr_with("vmi_write_addr_va", vmi, value, |_| pid_access(pid, vaddr))
}

/// Writes one byte at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_8_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u8,
) -> status_t {
    write_with(
        "vmi_write_8_pa",
        vmi,
        1,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| Ok(Access::physical(paddr)),
    )
}

/// Writes a 16-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_16_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u16,
) -> status_t {
    write_with(
        "vmi_write_16_pa",
        vmi,
        2,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| Ok(Access::physical(paddr)),
    )
}

/// Writes a 32-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_32_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u32,
) -> status_t {
    write_with(
        "vmi_write_32_pa",
        vmi,
        4,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| Ok(Access::physical(paddr)),
    )
}

/// Writes a 64-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_64_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u64,
) -> status_t {
    write_with(
        "vmi_write_64_pa",
        vmi,
        8,
        value.cast::<c_void>().cast_const(),
        ptr::null_mut(),
        |_| Ok(Access::physical(paddr)),
    )
}

/// Writes a guest pointer at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_addr_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut addr_t,
) -> status_t {
    write_addr_with("vmi_write_addr_pa", vmi, value, |_| {
        Ok(Access::physical(paddr))
    })
}

/// Prints `length` bytes of `data` to stdout as a hex dump with ASCII column.
#[no_mangle]
pub unsafe extern "C" fn vmi_print_hex(data: *const c_uchar, length: c_ulong) {
    if data.is_null() || length == 0 || length > isize::MAX as c_ulong {
        return;
    }
    // SAFETY: the caller provides `length` readable bytes at `data`.
    let bytes = unsafe { core::slice::from_raw_parts(data, length as usize) };
    hexdump::print_c(&hexdump::format(bytes));
}

/// Prints a hex dump of `length` bytes at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_print_hex_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    length: usize,
) {
    print_hex_with("vmi_print_hex_ksym", vmi, length, |_| ksym_access(sym))
}

/// Prints a hex dump of `length` bytes at `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_print_hex_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    length: usize,
) {
    print_hex_with("vmi_print_hex_va", vmi, length, |_| pid_access(pid, vaddr))
}

/// Prints a hex dump of `length` bytes at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_print_hex_pa(vmi: vmi_instance_t, paddr: addr_t, length: usize) {
    print_hex_with("vmi_print_hex_pa", vmi, length, |_| {
        Ok(Access::physical(paddr))
    })
}

/// Reads `count` bytes at byte `offset` of the VM disk `device_id`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_disk(
    vmi: vmi_instance_t,
    device_id: *const c_char,
    offset: u64,
    count: u64,
    buffer: *mut c_void,
) -> status_t {
    let _ = (device_id, offset, count, buffer);
    quiet_status("vmi_read_disk", || {
        // SAFETY: handle from vmi_init.
        unsafe { instance_ref(vmi) }?;
        Err(NO_DISKS)
    })
}

/// Returns the ids of the VM's disks (`*num` of them); the caller frees each string and the
/// array.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_disks(vmi: vmi_instance_t, num: *mut c_uint) -> *mut *mut c_char {
    // SAFETY: optional out-pointer from the caller.
    unsafe { write_opt(num, 0) };
    quiet_or("vmi_get_disks", ptr::null_mut(), || {
        // SAFETY: handle from vmi_init.
        unsafe { instance_ref(vmi) }?;
        Err(NO_DISKS)
    })
}

/// Tells whether disk `device_id` carries a boot signature.
#[no_mangle]
pub unsafe extern "C" fn vmi_disk_is_bootable(
    vmi: vmi_instance_t,
    device_id: *const c_char,
    bootable: *mut bool,
) -> status_t {
    let _ = (device_id, bootable);
    quiet_status("vmi_disk_is_bootable", || {
        // SAFETY: handle from vmi_init.
        unsafe { instance_ref(vmi) }?;
        Err(NO_DISKS)
    })
}

#[cfg(test)]
mod wide_bound_tests {
    use super::*;
    use crate::instance::string_bound_tests::vmi_with_nul_at;

    /// Found by fuzzing: a 0 unit in the page after the 1 MiB limit
    /// returned a longer wide string instead of refusing it.
    #[test]
    fn wide_bound_holds_for_terminated_strings() {
        let at = Access::physical(0);
        let v = vmi_with_nul_at(MAX_STRING_LEN);
        assert_eq!(read_wide(&v, at).map(|u| u.len()), Ok(MAX_STRING_LEN / 2));
        let v = vmi_with_nul_at(MAX_STRING_LEN + 100);
        assert!(matches!(read_wide(&v, at), Err(Error::Malformed(_))));
    }
}
