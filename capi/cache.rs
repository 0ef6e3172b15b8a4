//! The translation, symbol, pid and page caches.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

use core::ffi::c_char;

use super::access::quiet_or;
use super::guard::{c_str_utf8, instance_ref};
use super::types::*;
use crate::addr::PAGE_SIZE;
use crate::Result;

/// "Every page table" in the flush functions.
const ALL: addr_t = !0;

/// Runs a void cache operation on the instance (NULL: nothing happens).
unsafe fn with_instance(
    name: &'static str,
    vmi: vmi_instance_t,
    f: impl FnOnce(&vmi_instance) -> Result<()>,
) {
    quiet_or(name, (), || {
        // SAFETY: handle from vmi_init.
        let vmi = unsafe { instance_ref(vmi) }?;
        f(vmi)
    })
}

/// Key of the symbol caches for process `pid`: 0 (the kernel's key, as
/// `vmi_translate_ksym2v` uses) for pid 0, otherwise its page table, the
/// key `vmi_translate_sym2v`/`v2sym` look up with.
fn pid_key(vmi: &vmi_instance, pid: vmi_pid_t, kernel_zero: bool) -> Result<u64> {
    if pid == 0 && kernel_zero {
        return Ok(0);
    }
    vmi.core.pid_to_dtb(pid)
}

/// Drops cached translations of page table `pt` (~0ull: all).
#[no_mangle]
pub unsafe extern "C" fn vmi_v2pcache_flush(vmi: vmi_instance_t, pt: addr_t) {
    with_instance("vmi_v2pcache_flush", vmi, |v| {
        let c = &v.core.caches;
        if pt == ALL {
            c.v2p.flush_all();
            c.nested_v2p.flush();
        } else {
            c.v2p.flush_dtb(pt);
        }
        Ok(())
    })
}

/// Drops cached translations of `pt` under nested table `npt` (~0ull: all).
#[no_mangle]
pub unsafe extern "C" fn vmi_v2pcache_nested_flush(vmi: vmi_instance_t, pt: addr_t, npt: addr_t) {
    with_instance("vmi_v2pcache_nested_flush", vmi, |v| {
        let c = &v.core.caches;
        if pt == ALL {
            c.v2p.flush_all();
            c.nested_v2p.flush();
        } else if npt == 0 {
            // Without a nested table this is the plain cache, as upstream.
            c.v2p.flush_dtb(pt);
        } else {
            c.nested_v2p.retain(|&(n, p, _), _| !(n == npt && p == pt));
        }
        Ok(())
    })
}

/// Adds a translation `va` -> `pa` under page table `pt` to the cache.
#[no_mangle]
pub unsafe extern "C" fn vmi_v2pcache_add(vmi: vmi_instance_t, va: addr_t, pt: addr_t, pa: addr_t) {
    with_instance("vmi_v2pcache_add", vmi, |v| {
        v.core.caches.v2p.insert(pt, va, pa);
        Ok(())
    })
}

/// Adds a translation `va` -> `pa` under `pt` and nested table `npt`.
#[no_mangle]
pub unsafe extern "C" fn vmi_v2pcache_nested_add(
    vmi: vmi_instance_t,
    va: addr_t,
    pt: addr_t,
    npt: addr_t,
    pa: addr_t,
) {
    with_instance("vmi_v2pcache_nested_add", vmi, |v| {
        let c = &v.core.caches;
        if npt == 0 {
            c.v2p.insert(pt, va, pa);
        } else {
            let page = !(PAGE_SIZE - 1);
            c.nested_v2p.insert((npt, pt, va & page), pa & page);
        }
        Ok(())
    })
}

/// Drops all cached symbol -> address lookups.
#[no_mangle]
pub unsafe extern "C" fn vmi_symcache_flush(vmi: vmi_instance_t) {
    with_instance("vmi_symcache_flush", vmi, |v| {
        v.core.caches.flush_symbols();
        Ok(())
    })
}

/// Caches that `sym` of the module at `base_addr` in process `pid` is at `va`.
#[no_mangle]
pub unsafe extern "C" fn vmi_symcache_add(
    vmi: vmi_instance_t,
    base_addr: addr_t,
    pid: vmi_pid_t,
    sym: *mut c_char,
    va: addr_t,
) {
    with_instance("vmi_symcache_add", vmi, |v| {
        // SAFETY: NUL-terminated string from the caller.
        let sym = unsafe { c_str_utf8(sym, "symbol is NULL or not UTF-8") }?;
        let key = pid_key(v, pid, base_addr == 0)?;
        v.core
            .caches
            .sym
            .insert((sym.to_owned(), base_addr, key), va);
        Ok(())
    })
}

/// Drops all cached address -> symbol lookups.
#[no_mangle]
pub unsafe extern "C" fn vmi_rvacache_flush(vmi: vmi_instance_t) {
    with_instance("vmi_rvacache_flush", vmi, |v| {
        v.core.caches.rva.flush();
        Ok(())
    })
}

/// Caches that `rva` of the module at `base_addr` in process `pid` is `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_rvacache_add(
    vmi: vmi_instance_t,
    base_addr: addr_t,
    pid: vmi_pid_t,
    rva: addr_t,
    sym: *mut c_char,
) {
    with_instance("vmi_rvacache_add", vmi, |v| {
        // SAFETY: NUL-terminated string from the caller.
        let sym = unsafe { c_str_utf8(sym, "symbol is NULL or not UTF-8") }?;
        let key = pid_key(v, pid, false)?;
        v.core
            .caches
            .rva
            .insert((base_addr, key, rva), sym.to_owned());
        Ok(())
    })
}

/// Drops all cached pid -> page-table lookups.
#[no_mangle]
pub unsafe extern "C" fn vmi_pidcache_flush(vmi: vmi_instance_t) {
    with_instance("vmi_pidcache_flush", vmi, |v| {
        v.core.caches.pid.flush();
        Ok(())
    })
}

/// Caches that process `pid` uses page table `dtb`.
#[no_mangle]
pub unsafe extern "C" fn vmi_pidcache_add(vmi: vmi_instance_t, pid: vmi_pid_t, dtb: addr_t) {
    with_instance("vmi_pidcache_add", vmi, |v| {
        v.core.caches.pid.insert(pid, dtb);
        Ok(())
    })
}

/// Drops all cached guest pages.
#[no_mangle]
pub unsafe extern "C" fn vmi_pagecache_flush(vmi: vmi_instance_t) {
    // Memory is read straight from the source (mapped files): there is no
    // page cache to drop.
    with_instance("vmi_pagecache_flush", vmi, |_| Ok(()))
}
