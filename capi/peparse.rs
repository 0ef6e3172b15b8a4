//! PE image parsing (`peparse.h`).
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.
//!
//! Images come from guest memory and are hostile: every offset read from
//! an image is checked against the buffer it indexes, in [`pe`], before it
//! is used. The two functions that get no length (`peparse_assign_headers`
//! and `peparse_get_idd_*`) follow upstream's contract that the caller has
//! validated the image first; even so they never index past the fixed-size
//! header structs they are given.

use core::ffi::c_void;
use core::mem::{offset_of, size_of};
use core::ptr;

use super::guard::{c_str_utf8, ffi_or, ffi_status, in_ref, instance_ref};
use super::types::*;
use crate::addr::PageMode;
use crate::instance::Access;
use crate::{Error, Result};

/// Bounds-checked views of a PE image held in a byte slice.
pub(crate) mod pe {
    use super::*;

    pub const DOS_SIZE: usize = size_of::<dos_header>();
    pub const PE_SIZE: usize = size_of::<pe_header>();
    pub const OH32_SIZE: usize = size_of::<optional_header_pe32>();
    const DOS_E_LFANEW: usize = offset_of!(dos_header, offset_to_pe);

    /// Where the headers of a validated image are.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Headers {
        /// Offset of the `PE\0\0` signature (`e_lfanew`).
        pub pe_offset: usize,
        /// Offset of the optional header.
        pub opt_offset: usize,
        /// `IMAGE_PE32_MAGIC` or `IMAGE_PE32_PLUS_MAGIC`.
        pub magic: u16,
    }

    pub fn u16_at(b: &[u8], off: usize) -> Option<u16> {
        let s = b.get(off..off.checked_add(2)?)?;
        Some(u16::from_le_bytes([s[0], s[1]]))
    }

    pub fn u32_at(b: &[u8], off: usize) -> Option<u32> {
        let s = b.get(off..off.checked_add(4)?)?;
        Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    /// Checks the DOS header, the PE signature and the optional header's
    /// magic, as upstream does: the buffer must hold the PE header and a
    /// PE32-sized optional header after `e_lfanew`.
    pub fn validate(image: &[u8]) -> Result<Headers> {
        if image.len() < DOS_SIZE {
            return Err(Error::Malformed("PE image shorter than a DOS header"));
        }
        if u16_at(image, 0) != Some(IMAGE_DOS_HEADER) {
            return Err(Error::Malformed("no MZ signature (not a PE image)"));
        }
        let pe_offset = u32_at(image, DOS_E_LFANEW)
            .and_then(|o| usize::try_from(o).ok())
            .ok_or(Error::Malformed("PE image shorter than a DOS header"))?;
        let end = pe_offset
            .checked_add(PE_SIZE + OH32_SIZE)
            .filter(|&e| e <= image.len())
            .ok_or(Error::Malformed(
                "PE header offset points outside the image",
            ))?;
        debug_assert!(end <= image.len());
        if u32_at(image, pe_offset) != Some(IMAGE_NT_SIGNATURE) {
            return Err(Error::Malformed("no PE signature at e_lfanew"));
        }
        let opt_offset = pe_offset + PE_SIZE;
        let magic = u16_at(image, opt_offset).unwrap_or(0);
        if magic != IMAGE_PE32_MAGIC && magic != IMAGE_PE32_PLUS_MAGIC {
            return Err(Error::Malformed("unknown optional header magic"));
        }
        Ok(Headers {
            pe_offset,
            opt_offset,
            magic,
        })
    }

    /// (offset of `number_of_rva_and_sizes`, offset of `idd`) inside the
    /// optional header of kind `magic`.
    pub fn directory_layout(magic: u16) -> Option<(usize, usize)> {
        match magic {
            IMAGE_PE32_MAGIC => Some((
                offset_of!(optional_header_pe32, number_of_rva_and_sizes),
                offset_of!(optional_header_pe32, idd),
            )),
            IMAGE_PE32_PLUS_MAGIC => Some((
                offset_of!(optional_header_pe32plus, number_of_rva_and_sizes),
                offset_of!(optional_header_pe32plus, idd),
            )),
            _ => None,
        }
    }

    /// Data directory `entry` as (RVA, size); `None` if the entry is beyond
    /// the 16 slots, beyond `number_of_rva_and_sizes`, or past the buffer.
    pub fn data_directory(image: &[u8], h: &Headers, entry: u32) -> Option<(u32, u32)> {
        let (count_off, idd_off) = directory_layout(h.magic)?;
        if entry >= 16 {
            return None;
        }
        let count = u32_at(image, h.opt_offset.checked_add(count_off)?)?;
        if entry >= count {
            return None;
        }
        let at = h.opt_offset.checked_add(idd_off + entry as usize * 8)?;
        Some((u32_at(image, at)?, u32_at(image, at.checked_add(4)?)?))
    }

    /// Decodes an `IMAGE_EXPORT_DIRECTORY` (40 bytes, little-endian).
    pub fn export_table_from(b: &[u8; size_of::<export_table>()]) -> export_table {
        let d = |o: usize| u32_at(b, o).unwrap_or(0);
        let w = |o: usize| u16_at(b, o).unwrap_or(0);
        export_table {
            export_flags: d(0),
            time_date_stamp: d(4),
            major_version: w(8),
            minor_version: w(10),
            name: d(12),
            base: d(16),
            number_of_functions: d(20),
            number_of_names: d(24),
            address_of_functions: d(28),
            address_of_names: d(32),
            address_of_name_ordinals: d(36),
        }
    }
}

/// Converts a caller's `access_context_t` into a core [`Access`].
///
/// TODO(capi/access.rs): private minimal copy until the access helper
/// exposes its converter; replace with that one when it lands.
///
/// # Safety
/// A `ksym` context's string must be valid and NUL-terminated.
unsafe fn access_from_ctx(ctx: &access_context_t) -> Result<Access<'_>> {
    let mode = match ctx.pm {
        0 => None,
        pm => Some(PageMode::from_c(pm).ok_or(Error::InvalidArgument("unknown page mode"))?),
    };
    let mut access = match ctx.tm {
        VMI_TM_NONE => Access::physical(ctx.addr()),
        VMI_TM_PROCESS_DTB => Access::dtb(ctx.pt(), ctx.addr()),
        VMI_TM_PROCESS_PID => Access::pid(ctx.pid(), ctx.addr()),
        VMI_TM_KERNEL_SYMBOL => {
            // SAFETY: forwarded to the caller.
            Access::ksym(unsafe { c_str_utf8(ctx.ksym(), "access context symbol is NULL") }?)
        }
        _ => return Err(Error::InvalidArgument("unknown translation mechanism")),
    };
    if ctx.tm != VMI_TM_NONE {
        access.mode = mode;
    }
    if ctx.npt != 0 {
        let npm = PageMode::from_c(ctx.npm)
            .filter(|m| matches!(m, PageMode::Ept4 | PageMode::Ept5 | PageMode::Ia32e))
            .ok_or(Error::InvalidArgument(
                "nested page table given without a nested page mode",
            ))?;
        access.nested = Some((ctx.npt, npm));
    }
    Ok(access)
}

/// Same access at another address (the context's own address is the image base).
fn at(access: &Access<'_>, addr: u64) -> Result<Access<'static>> {
    use crate::instance::Space;
    let space = match access.space {
        Space::Physical => Space::Physical,
        Space::Dtb(d) => Space::Dtb(d),
        Space::Pid(p) => Space::Pid(p),
        // A symbol names the base; offsets from it need the resolved address.
        Space::KernelSymbol(_) => {
            return Err(Error::Unsupported(
                "PE parsing through a kernel-symbol access context; use a DTB or PID context",
            ))
        }
    };
    Ok(Access {
        space,
        addr,
        mode: access.mode,
        nested: access.nested,
    })
}

/// Bytes of the image header `peparse_get_export_table` reads (less than a
/// page, as upstream: headers of a normal image sit in its first page).
const HEADER_BYTES: usize = 1024;

/// Checks that the `len` bytes at `image` start with valid DOS and PE headers.
#[no_mangle]
pub unsafe extern "C" fn peparse_validate_pe_image(image: *const u8, len: usize) -> status_t {
    ffi_status("peparse_validate_pe_image", || {
        if image.is_null() {
            return Err(Error::InvalidArgument("image is NULL"));
        }
        // SAFETY: the caller guarantees `len` readable bytes at `image`.
        let bytes = unsafe { core::slice::from_raw_parts(image, len) };
        pe::validate(bytes).map(|_| ())
    })
}

/// Reads the first `len` bytes of the PE image at the address `ctx` describes into `image`.
#[no_mangle]
pub unsafe extern "C" fn peparse_get_image(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    len: usize,
    image: *mut u8,
) -> status_t {
    ffi_status("peparse_get_image", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let ctx = unsafe { in_ref(ctx, "access context is NULL") }?;
        if image.is_null() {
            return Err(Error::InvalidArgument("image buffer is NULL"));
        }
        let access = unsafe { access_from_ctx(ctx) }?;
        // SAFETY: the caller guarantees `len` writable bytes at `image`.
        let buf = unsafe { core::slice::from_raw_parts_mut(image, len) };
        inst.core.read(&access, buf).into_result()?;
        pe::validate(buf).map(|_| ())
    })
}

/// Points each non-NULL output at the corresponding header inside `image`;
/// `*optional_header_type` gets the optional header's magic.
#[no_mangle]
pub unsafe extern "C" fn peparse_assign_headers(
    image: *const u8,
    dos_header: *mut *mut dos_header,
    pe_header: *mut *mut pe_header,
    optional_header_type: *mut u16,
    optional_pe_header: *mut *mut c_void,
    oh_pe32: *mut *mut optional_header_pe32,
    oh_pe32plus: *mut *mut optional_header_pe32plus,
) {
    super::guard::ffi_void("peparse_assign_headers", || {
        if image.is_null() {
            return Err(Error::InvalidArgument("image is NULL"));
        }
        let dos = image as *mut dos_header;
        unsafe { super::guard::write_opt(dos_header, dos) };
        // SAFETY: the caller passes an image of at least a DOS header.
        let sig = unsafe { image.cast::<u16>().read_unaligned() };
        if sig != IMAGE_DOS_HEADER {
            // Without MZ the offset below is noise: do not follow it.
            return Err(Error::Malformed(
                "no MZ signature; validate the image with peparse_validate_pe_image first",
            ));
        }
        // SAFETY: as above; the field is inside the DOS header.
        let e_lfanew = unsafe {
            ptr::addr_of!((*dos).offset_to_pe)
                .cast::<u32>()
                .read_unaligned()
        };
        // SAFETY (all below): the caller validated the image, so the PE
        // and optional headers lie inside it.
        let pe = unsafe { image.add(e_lfanew as usize) } as *mut pe_header;
        let opt = unsafe { pe.cast::<u8>().add(pe::PE_SIZE) } as *mut c_void;
        let magic = unsafe { opt.cast::<u16>().read_unaligned() };
        unsafe {
            super::guard::write_opt(pe_header, pe);
            super::guard::write_opt(optional_pe_header, opt);
            super::guard::write_opt(optional_header_type, magic);
        }
        if magic == IMAGE_PE32_MAGIC {
            unsafe { super::guard::write_opt(oh_pe32, opt.cast()) };
        } else if magic == IMAGE_PE32_PLUS_MAGIC {
            unsafe { super::guard::write_opt(oh_pe32plus, opt.cast()) };
        }
        Ok(())
    })
}

/// Which optional header a `peparse_get_idd_*` call describes: upstream's
/// rule is the explicit typed pointers when `optional_header_type` is NULL,
/// else the untyped one interpreted by `*optional_header_type`.
unsafe fn pick_optional_header(
    optional_header_type: *mut u16,
    optional_header: *mut c_void,
    oh_pe32: *mut optional_header_pe32,
    oh_pe32plus: *mut optional_header_pe32plus,
) -> Option<(*const u8, u16)> {
    if optional_header_type.is_null() {
        if !oh_pe32.is_null() {
            return Some((oh_pe32.cast(), IMAGE_PE32_MAGIC));
        }
        if !oh_pe32plus.is_null() {
            return Some((oh_pe32plus.cast(), IMAGE_PE32_PLUS_MAGIC));
        }
        return None;
    }
    if optional_header.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller points it at a u16.
    let magic = unsafe { optional_header_type.read_unaligned() };
    Some((optional_header.cast(), magic))
}

/// Data directory `entry_id` of the optional header at `oh` of kind
/// `magic`, as (RVA, size). Reads only the count and that one entry.
unsafe fn idd_entry(oh: *const u8, magic: u16, entry_id: u32) -> Result<(u32, u32)> {
    let (count_off, idd_off) =
        pe::directory_layout(magic).ok_or(Error::Malformed("unknown optional header magic"))?;
    if entry_id >= 16 {
        return Err(Error::InvalidArgument("data directory index above 15"));
    }
    // SAFETY: the caller's optional header is a whole struct of kind
    // `magic`; both offsets lie inside it.
    let count = unsafe { oh.add(count_off).cast::<u32>().read_unaligned() };
    if entry_id >= count {
        return Err(Error::NotFound(
            "data directory beyond number_of_rva_and_sizes",
        ));
    }
    let e = unsafe { oh.add(idd_off + entry_id as usize * 8) };
    // SAFETY: as above.
    unsafe {
        Ok((
            e.cast::<u32>().read_unaligned(),
            e.add(4).cast::<u32>().read_unaligned(),
        ))
    }
}

/// Returns the RVA of data directory `entry_id` from whichever optional header is given.
#[no_mangle]
pub unsafe extern "C" fn peparse_get_idd_rva(
    entry_id: u32,
    optional_header_type: *mut u16,
    optional_header: *mut c_void,
    oh_pe32: *mut optional_header_pe32,
    oh_pe32plus: *mut optional_header_pe32plus,
) -> addr_t {
    ffi_or("peparse_get_idd_rva", 0, || {
        let (oh, magic) = unsafe {
            pick_optional_header(optional_header_type, optional_header, oh_pe32, oh_pe32plus)
        }
        .ok_or(Error::InvalidArgument("no optional header given"))?;
        Ok(u64::from(unsafe { idd_entry(oh, magic, entry_id) }?.0))
    })
}

/// Returns the size of data directory `entry_id` from whichever optional header is given.
#[no_mangle]
pub unsafe extern "C" fn peparse_get_idd_size(
    entry_id: u32,
    optional_header_type: *mut u16,
    optional_header: *mut c_void,
    oh_pe32: *mut optional_header_pe32,
    oh_pe32plus: *mut optional_header_pe32plus,
) -> usize {
    ffi_or("peparse_get_idd_size", 0, || {
        let (oh, magic) = unsafe {
            pick_optional_header(optional_header_type, optional_header, oh_pe32, oh_pe32plus)
        }
        .ok_or(Error::InvalidArgument("no optional header given"))?;
        Ok(unsafe { idd_entry(oh, magic, entry_id) }?.1 as usize)
    })
}

/// Reads the headers of the image at `base` (from its first
/// [`HEADER_BYTES`]) and returns its export directory's RVA and size, and
/// the directory itself (or why it could not be read).
pub(crate) fn read_export_table(
    vmi: &crate::instance::Vmi,
    base: &Access<'_>,
) -> Result<(u32, u32, Result<export_table>)> {
    let mut header = [0u8; HEADER_BYTES];
    vmi.read(base, &mut header).into_result()?;
    let h = pe::validate(&header)?;
    let (rva, size) =
        pe::data_directory(&header, &h, IMAGE_DIRECTORY_ENTRY_EXPORT).unwrap_or((0, 0));
    Ok((rva, size, read_directory(vmi, base, rva)))
}

fn read_directory(vmi: &crate::instance::Vmi, base: &Access<'_>, rva: u32) -> Result<export_table> {
    const ET: usize = size_of::<export_table>();
    let addr = base.addr.wrapping_add(u64::from(rva));
    let mut raw = [0u8; ET];
    if let Err(e) = vmi.read(&at(base, addr)?, &mut raw).into_result() {
        // Windows may place the directory so that only its reserved first
        // field lies on an unmapped page; the rest is still usable.
        if addr.wrapping_add(4) & 0xfff != 0 {
            return Err(e);
        }
        vmi.read(&at(base, addr.wrapping_add(4))?, &mut raw[4..])
            .into_result()?;
        raw[..4].fill(0);
    }
    let et = pe::export_table_from(&raw);
    if et.export_flags != 0 || et.name == 0 {
        return Err(Error::Malformed("export directory fails the sanity check"));
    }
    Ok(et)
}

/// Reads the export directory of the PE image at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn peparse_get_export_table(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    et: *mut export_table,
    export_table_rva: *mut addr_t,
    export_table_size: *mut usize,
) -> status_t {
    ffi_status("peparse_get_export_table", || {
        let inst = unsafe { instance_ref(vmi) }?;
        let ctx = unsafe { in_ref(ctx, "access context is NULL") }?;
        if et.is_null() {
            return Err(Error::InvalidArgument("export table output is NULL"));
        }
        let access = unsafe { access_from_ctx(ctx) }?;
        let (rva, size, table) = read_export_table(&inst.core, &access)?;
        // Upstream reports the directory's place even when reading it fails.
        unsafe {
            super::guard::write_opt(export_table_rva, u64::from(rva));
            super::guard::write_opt(export_table_size, size as usize);
        }
        let table = table?;
        // SAFETY: non-NULL, valid for a write per the caller.
        unsafe { et.write_unaligned(table) };
        Ok(())
    })
}
