//! `vmi_mmap_guest*` for memory sources that are not live guests.
//!
//! Contract (same shape as upstream's Xen mapping): every non-NULL
//! `access_ptrs[i]` is one page-aligned, page-sized mapping the caller
//! releases with `munmap(ptr, 4096)`. The pages are private copies of guest
//! memory taken at call time: writes to them do not reach the guest, and
//! later guest changes are not seen. Pages that do not translate or are not
//! backed by memory get NULL.

use core::ffi::{c_int, c_void};

use crate::addr::PAGE_SIZE;
use crate::instance::Vmi;
use crate::{Error, Result};

/// Most pages one call may map (4 GiB): bounds the work and address space
/// a caller's `num_pages` can demand.
pub(crate) const MAX_PAGES: usize = 1 << 20;

/// Maps a private copy of each physical page in `pages` (page-aligned
/// addresses; `None` for holes) and stores the pointers in `out`.
pub(crate) fn map_copies(
    vmi: &Vmi,
    pages: &[Option<u64>],
    prot: c_int,
    out: &mut [*mut c_void],
) -> Result<()> {
    if prot & !(libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC) != 0 {
        return Err(Error::InvalidArgument(
            "prot has bits other than PROT_READ/WRITE/EXEC",
        ));
    }
    let ps = PAGE_SIZE as usize;
    let present = pages.iter().filter(|p| p.is_some()).count();
    out.iter_mut().for_each(|p| *p = core::ptr::null_mut());
    if present == 0 {
        return Ok(());
    }
    let len = present * ps;
    // SAFETY: a fresh anonymous private mapping; checked for failure.
    let base = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(Error::last_os("mmap for guest page copies"));
    }
    let base = base.cast::<u8>();
    let mut holes = Vec::new();
    let mut slot = 0usize;
    for (i, pa) in pages.iter().enumerate() {
        let Some(pa) = *pa else { continue };
        // SAFETY: slot < present, so the page lies inside the mapping.
        let page = unsafe { base.add(slot * ps) };
        slot += 1;
        // SAFETY: the page is ours, writable and `ps` bytes long.
        let buf = unsafe { core::slice::from_raw_parts_mut(page, ps) };
        if vmi.read_pa(pa, buf).ok() {
            out[i] = page.cast();
        } else {
            holes.push(page);
        }
    }
    // SAFETY: the whole range is our mapping.
    if unsafe { libc::mprotect(base.cast(), len, prot) } != 0 {
        let e = Error::last_os("mprotect of guest page copies");
        // SAFETY: unmapping our own mapping.
        unsafe { libc::munmap(base.cast(), len) };
        out.iter_mut().for_each(|p| *p = core::ptr::null_mut());
        return Err(e);
    }
    for page in holes {
        // SAFETY: one page of our mapping that no caller pointer refers to.
        unsafe { libc::munmap(page.cast(), ps) };
    }
    Ok(())
}
