//! Functions of `libvmi_extra.h` that return GLib lists.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

use core::ops::ControlFlow;
use core::ptr;

use super::access::{mode_override, nested_stage, quiet_or};
use super::guard::instance_ref;
use super::translate::page_info;
use super::types::*;
use crate::paging::{self, NestedMemory, PagingContext, Translation};
use crate::{Error, PageMode, Result};

/// Prepends a `g_malloc`'d copy of `info` to `list` (upstream's order:
/// the list ends up in descending table order).
fn prepend(list: *mut GSList, info: page_info_t) -> *mut GSList {
    // SAFETY: g_malloc never returns NULL (it aborts on exhaustion); the
    // block is sized for one page_info_t.
    unsafe {
        let p = glib_sys::g_malloc(core::mem::size_of::<page_info_t>()).cast::<page_info_t>();
        p.write(info);
        glib_sys::g_slist_prepend(list, p.cast())
    }
}

/// Builds the list of every mapped page of `pt` (mode `mode`), reading the
/// tables through the nested stage when given. A walk that stops early
/// (unreadable root, work bound) keeps the pages found so far.
fn va_pages(
    vmi: &vmi_instance,
    pt: u64,
    mode: PageMode,
    nested: Option<(u64, PageMode)>,
) -> Result<*mut GSList> {
    let core = &vmi.core;
    let ctx = core.context_for(pt);
    let mut list: *mut GSList = ptr::null_mut();
    let mut add = |t: &Translation| {
        let mut info = page_info(pt, mode, t.va, t, None);
        if let Some((npt, npm)) = nested {
            info.npt = npt;
            info.npm = npm.to_c();
            let nctx = PagingContext::new(npt);
            if let Ok(h) = paging::translate(core.driver(), npm, &nctx, t.pa) {
                info.naddr = h.pa;
                info.nsize = h.page_size.bytes() as page_size_t;
            }
        }
        list = prepend(list, info);
        ControlFlow::Continue(())
    };
    let r = match nested {
        None => paging::for_each_page(core.driver(), mode, &ctx, &mut add),
        Some((npt, npm)) => {
            let mem = NestedMemory::new(core.driver(), npm, PagingContext::new(npt));
            paging::for_each_page(&mem, mode, &ctx, &mut add)
        }
    };
    if let Err(e) = r {
        crate::log_debug!("vmi_get_va_pages: enumeration stopped early: {e}");
    }
    Ok(list)
}

/// Returns every mapped page of page table `pt` as a GSList of heap-allocated page_info_t; free
/// each with g_free() and the list with g_slist_free().
#[no_mangle]
pub unsafe extern "C" fn vmi_get_va_pages(vmi: vmi_instance_t, pt: addr_t) -> *mut GSList {
    quiet_or("vmi_get_va_pages", ptr::null_mut(), || {
        // SAFETY: handle from vmi_init.
        let vmi = unsafe { instance_ref(vmi) }?;
        va_pages(vmi, pt, vmi.core.page_mode(), None)
    })
}

/// Like vmi_get_va_pages, for `pt` (mode `pm`) under nested table `npt` (mode `npm`).
#[no_mangle]
pub unsafe extern "C" fn vmi_get_nested_va_pages(
    vmi: vmi_instance_t,
    npt: addr_t,
    npm: page_mode_t,
    pt: addr_t,
    pm: page_mode_t,
) -> *mut GSList {
    quiet_or("vmi_get_nested_va_pages", ptr::null_mut(), || {
        // SAFETY: handle from vmi_init.
        let vmi = unsafe { instance_ref(vmi) }?;
        let mode = mode_override(vmi, pm)?.ok_or(Error::InvalidArgument("invalid paging mode"))?;
        let nested = nested_stage(npt, npm)?;
        if nested.is_some() && npt == 0 {
            return Err(Error::InvalidArgument(
                "nested paging mode without a nested page table",
            ));
        }
        va_pages(vmi, pt, mode, nested)
    })
}
