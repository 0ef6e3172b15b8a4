//! Address translation: page-table walks, symbols, pid <-> page table.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

use core::ffi::c_char;
use core::ptr;

use super::access::{mode_override, nested_stage, quiet_or, quiet_status};
use super::guard::{c_str, c_str_utf8, in_ref, instance_ref, out_ref};
use super::types::*;
use crate::cache::{SymKey, NESTED_PHYSICAL};
use crate::paging::Translation;
use crate::{Error, PageMode, Result};

/// Fills the per-architecture union of `info` from a walk's entries (see
/// the level numbering in `crate::paging`). `pte_value_prev` stays 0: it
/// is only meaningful to upstream's event code.
pub(crate) fn fill_arch(info: &mut page_info_t, mode: PageMode, t: &Translation) {
    let e = |h: usize| t.entry(h).unwrap_or_default();
    let (l0, l1, l2, l3) = (e(0), e(1), e(2), e(3));
    info.arch = page_info_t::default().arch;
    match mode {
        PageMode::Legacy => {
            info.arch.x86_legacy = page_info_x86_legacy_t {
                pte_value_prev: 0,
                pte_location: l0.entry_addr,
                pte_value: l0.entry_value,
                pgd_location: l1.entry_addr,
                pgd_value: l1.entry_value,
            }
        }
        PageMode::Pae => {
            info.arch.x86_pae = page_info_x86_pae_t {
                pte_value_prev: 0,
                pte_location: l0.entry_addr,
                pte_value: l0.entry_value,
                pgd_location: l1.entry_addr,
                pgd_value: l1.entry_value,
                pdpe_location: l2.entry_addr,
                pdpe_value: l2.entry_value,
            }
        }
        PageMode::Ia32e | PageMode::Ia32eLa57 | PageMode::Ept4 | PageMode::Ept5 => {
            info.arch.x86_ia32e = page_info_x86_ia32e_t {
                pte_value_prev: 0,
                pte_location: l0.entry_addr,
                pte_value: l0.entry_value,
                pgd_location: l1.entry_addr,
                pgd_value: l1.entry_value,
                pdpte_location: l2.entry_addr,
                pdpte_value: l2.entry_value,
                pml4e_location: l3.entry_addr,
                pml4e_value: l3.entry_value,
            }
        }
        // Short descriptors: 32-bit tables and entries.
        PageMode::Aarch32 => {
            info.arch.arm_aarch32 = page_info_arm_aarch32_t {
                fld_location: l1.entry_addr as u32,
                fld_value: l1.entry_value as u32,
                sld_location: l0.entry_addr as u32,
                sld_value: l0.entry_value as u32,
            }
        }
        PageMode::Aarch64 => {
            info.arch.arm_aarch64 = page_info_arm_aarch64_t {
                zld_location: l3.entry_addr,
                zld_value: l3.entry_value,
                fld_location: l2.entry_addr,
                fld_value: l2.entry_value,
                sld_location: l1.entry_addr,
                sld_value: l1.entry_value,
                tld_location: l0.entry_addr,
                tld_value: l0.entry_value,
            }
        }
        PageMode::None | PageMode::Unknown => {}
    }
}

/// `page_info_t` of a walk of `va` under `pt` in `mode`. After a failed
/// walk it holds what upstream leaves: the entries read so far, and on
/// x86 a 4 KiB size once the walk reached the last-level table.
pub(crate) fn page_info(
    pt: u64,
    mode: PageMode,
    va: u64,
    t: &Translation,
    err: Option<&Error>,
) -> page_info_t {
    let mut info = page_info_t {
        vaddr: va,
        pt,
        pm: mode.to_c(),
        ..page_info_t::default()
    };
    fill_arch(&mut info, mode, t);
    match err {
        None => {
            info.paddr = t.pa;
            info.size = t.page_size.bytes() as page_size_t;
        }
        Some(Error::PageNotPresent { level: 1, .. })
            if matches!(
                mode,
                PageMode::Legacy | PageMode::Pae | PageMode::Ia32e | PageMode::Ia32eLa57
            ) =>
        {
            info.size = VMI_PS_4KB;
        }
        Some(_) => {}
    }
    info
}

/// A paging mode a walk can use (upstream's `valid_pm`, plus 5-level EPT).
fn walk_mode(vmi: &vmi_instance, pm: page_mode_t) -> Result<PageMode> {
    mode_override(vmi, pm)?.ok_or(Error::InvalidArgument("invalid paging mode"))
}

/// Page table of a virtual context (pid or dtb), for the symbol lookups.
fn context_dtb(vmi: &vmi_instance, ctx: &access_context_t) -> Result<u64> {
    match ctx.tm {
        VMI_TM_PROCESS_PID => vmi.core.pid_to_dtb(ctx.pid()),
        VMI_TM_PROCESS_DTB => Ok(ctx.pt()),
        _ => Err(Error::InvalidArgument(
            "symbol lookups need a virtual context (pid or dtb)",
        )),
    }
}

/// Translates kernel virtual address `vaddr` to a guest-physical address.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_kv2p(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    paddr: *mut addr_t,
) -> status_t {
    quiet_status("vmi_translate_kv2p", || {
        // SAFETY: handle from vmi_init, out-pointer from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let out = unsafe { out_ref(paddr, "paddr is NULL") }?;
        *out = vmi.core.translate_kv2p(vaddr)?;
        Ok(())
    })
}

/// Translates virtual address `vaddr` of process `pid` to a guest-physical address.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_uv2p(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    paddr: *mut addr_t,
) -> status_t {
    quiet_status("vmi_translate_uv2p", || {
        // SAFETY: handle from vmi_init, out-pointer from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let out = unsafe { out_ref(paddr, "paddr is NULL") }?;
        match vmi.core.translate_uv2p(vaddr, pid) {
            Ok(pa) => *out = pa,
            Err(_) => {
                // The cached page table may be stale (process gone, pid
                // reused): look it up again once, as upstream does.
                vmi.core.caches.pid.retain(|p, _| *p != pid);
                let dtb = vmi.core.pid_to_dtb(pid)?;
                *out = vmi
                    .core
                    .pagetable_lookup_extended(dtb, vaddr, vmi.core.page_mode())?
                    .pa;
            }
        }
        Ok(())
    })
}

/// Looks up the virtual address of kernel symbol `symbol`.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_ksym2v(
    vmi: vmi_instance_t,
    symbol: *const c_char,
    vaddr: *mut addr_t,
) -> status_t {
    quiet_status("vmi_translate_ksym2v", || {
        // SAFETY: handle from vmi_init, pointers from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let sym = unsafe { c_str(symbol, "symbol is NULL") }?.to_bytes();
        let out = unsafe { out_ref(vaddr, "vaddr is NULL") }?;
        *out = vmi.core.ksym2v_bytes(sym)?;
        Ok(())
    })
}

/// Looks up the virtual address of `symbol` in the module whose base `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_sym2v(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    symbol: *const c_char,
    vaddr: *mut addr_t,
) -> status_t {
    quiet_status("vmi_translate_sym2v", || {
        // SAFETY: handle from vmi_init, pointers from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let ctx = unsafe { in_ref(ctx, "access context is NULL") }?;
        let sym = unsafe { c_str_utf8(symbol, "symbol is NULL or not UTF-8") }?;
        let out = unsafe { out_ref(vaddr, "vaddr is NULL") }?;
        // Upstream leaves 0 behind when the lookup fails.
        *out = 0;
        let dtb = context_dtb(vmi, ctx)?;
        let base = ctx.addr();
        if let Some(va) = vmi.core.caches.sym.get(&SymKey(sym, base, dtb)) {
            *out = va;
            return Ok(());
        }
        let os = vmi.core.os().ok_or(Error::Unsupported(
            "user-space symbol lookup needs an OS layer",
        ))?;
        let rva = os.usym2rva(&vmi.core, dtb, base, sym)?;
        let mut va = base.wrapping_add(rva);
        // Canonical form as upstream makes it (bit 47 sign-extended), but
        // only for 4-level x86-64 paging: 57-bit and AArch64 user
        // addresses may have bit 47 set without being kernel addresses.
        if va & (1 << 47) != 0 && vmi.core.page_mode() == PageMode::Ia32e {
            va |= 0xffff_0000_0000_0000;
        }
        vmi.core.caches.sym.insert((sym.to_owned(), base, dtb), va);
        *out = va;
        Ok(())
    })
}

/// Returns the symbol at relative address `rva` in the module whose base `ctx` describes, or
/// NULL. The string belongs to the library.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_v2sym(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    rva: addr_t,
) -> *const c_char {
    quiet_or("vmi_translate_v2sym", ptr::null(), || {
        // SAFETY: handle from vmi_init, context from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let ctx = unsafe { in_ref(ctx, "access context is NULL") }?;
        let dtb = context_dtb(vmi, ctx)?;
        let key = (ctx.addr(), dtb, rva);
        let name = match vmi.core.caches.rva.get(&key) {
            Some(n) => n,
            None => {
                let os = vmi.core.os().ok_or(Error::Unsupported(
                    "user-space symbol lookup needs an OS layer",
                ))?;
                let n = os.rva2usym(&vmi.core, dtb, ctx.addr(), rva)?;
                vmi.core.caches.rva.insert(key, n.clone());
                n
            }
        };
        Ok(vmi.keep_string(&name))
    })
}

/// Returns the kernel symbol at virtual address `va`, or NULL. The string belongs to the library.
#[no_mangle]
pub unsafe extern "C" fn vmi_translate_v2ksym(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    va: addr_t,
) -> *const c_char {
    quiet_or("vmi_translate_v2ksym", ptr::null(), || {
        // SAFETY: handle from vmi_init, context from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let ctx = unsafe { in_ref(ctx, "access context is NULL") }?;
        let dtb = context_dtb(vmi, ctx)?;
        let key = (ctx.addr(), dtb, va);
        let name = match vmi.core.caches.rva.get(&key) {
            Some(n) => n,
            None => {
                let n = vmi.core.v2ksym(va)?;
                vmi.core.caches.rva.insert(key, n.clone());
                n
            }
        };
        Ok(vmi.keep_string(&name))
    })
}

/// Finds the page-table base (DTB) of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_pid_to_dtb(
    vmi: vmi_instance_t,
    pid: vmi_pid_t,
    dtb: *mut addr_t,
) -> status_t {
    quiet_status("vmi_pid_to_dtb", || {
        // SAFETY: handle from vmi_init, out-pointer from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let out = unsafe { out_ref(dtb, "dtb is NULL") }?;
        *out = vmi.core.pid_to_dtb(pid)?;
        Ok(())
    })
}

/// Finds the process whose page-table base is `dtb`.
#[no_mangle]
pub unsafe extern "C" fn vmi_dtb_to_pid(
    vmi: vmi_instance_t,
    dtb: addr_t,
    pid: *mut vmi_pid_t,
) -> status_t {
    quiet_status("vmi_dtb_to_pid", || {
        // SAFETY: handle from vmi_init, out-pointer from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let out = unsafe { out_ref(pid, "pid is NULL") }?;
        // Upstream reports -1 when the lookup fails.
        *out = -1;
        *out = vmi.core.dtb_to_pid(dtb)?;
        Ok(())
    })
}

/// Translates `vaddr` by walking the page table at `pt` in the instance's paging mode.
#[no_mangle]
pub unsafe extern "C" fn vmi_pagetable_lookup(
    vmi: vmi_instance_t,
    pt: addr_t,
    vaddr: addr_t,
    paddr: *mut addr_t,
) -> status_t {
    quiet_status("vmi_pagetable_lookup", || {
        // SAFETY: handle from vmi_init, out-pointer from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let out = unsafe { out_ref(paddr, "paddr is NULL") }?;
        *out = 0;
        *out = vmi.core.translate(pt, vaddr)?;
        Ok(())
    })
}

/// Like vmi_pagetable_lookup, also recording page size and every entry visited in `*info`.
#[no_mangle]
pub unsafe extern "C" fn vmi_pagetable_lookup_extended(
    vmi: vmi_instance_t,
    pt: addr_t,
    vaddr: addr_t,
    info: *mut page_info_t,
) -> status_t {
    quiet_status("vmi_pagetable_lookup_extended", || {
        // SAFETY: handle from vmi_init, out-pointer from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let info = unsafe { out_ref(info, "info is NULL") }?;
        let mode = vmi.core.page_mode();
        let mut t = Translation::EMPTY;
        let r = vmi.core.pagetable_walk(pt, vaddr, mode, &mut t);
        *info = page_info(pt, mode, vaddr, &t, r.as_ref().err());
        r?;
        vmi.core.caches.v2p.insert(pt, vaddr, t.pa);
        Ok(())
    })
}

/// Translates `vaddr` through page table `pt` (mode `pm`) whose accesses go through the nested
/// table `npt` (mode `npm`). `*paddr` gets the result of the first stage, `*naddr` the final
/// address.
#[no_mangle]
pub unsafe extern "C" fn vmi_nested_pagetable_lookup(
    vmi: vmi_instance_t,
    npt: addr_t,
    npm: page_mode_t,
    pt: addr_t,
    pm: page_mode_t,
    vaddr: addr_t,
    paddr: *mut addr_t,
    naddr: *mut addr_t,
) -> status_t {
    quiet_status("vmi_nested_pagetable_lookup", || {
        // SAFETY: handle from vmi_init, out-pointers from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let paddr = unsafe { out_ref(paddr, "paddr is NULL") }?;
        let mode = walk_mode(vmi, pm)?;
        match nested_stage(npt, npm)? {
            Some((npt, npm)) => {
                let naddr = unsafe { out_ref(naddr, "naddr is NULL with a nested paging mode") }?;
                let mut t = Translation::EMPTY;
                let (gpa, host) =
                    vmi.core
                        .nested_lookup_extended(npt, npm, Some((pt, mode)), vaddr, &mut t)?;
                *paddr = gpa;
                *naddr = host.pa;
            }
            None => {
                *paddr = match vmi.core.caches.v2p.get(pt, vaddr) {
                    Some(pa) => pa,
                    None => {
                        let pa = vmi.core.pagetable_lookup_extended(pt, vaddr, mode)?.pa;
                        vmi.core.caches.v2p.insert(pt, vaddr, pa);
                        pa
                    }
                };
            }
        }
        Ok(())
    })
}

/// Like vmi_nested_pagetable_lookup, filling `*info`. (Declared but not implemented by upstream
/// LibVMI.)
#[no_mangle]
pub unsafe extern "C" fn vmi_nested_pagetable_lookup_extended(
    vmi: vmi_instance_t,
    npt: addr_t,
    npm: page_mode_t,
    pt: addr_t,
    pm: page_mode_t,
    vaddr: addr_t,
    info: *mut page_info_t,
) -> status_t {
    quiet_status("vmi_nested_pagetable_lookup_extended", || {
        // SAFETY: handle from vmi_init, out-pointer from the caller.
        let vmi = unsafe { instance_ref(vmi) }?;
        let info = unsafe { out_ref(info, "info is NULL") }?;
        let mode = walk_mode(vmi, pm)?;
        let mut t = Translation::EMPTY;
        match nested_stage(npt, npm)? {
            Some((npt, npm)) => {
                let r = vmi
                    .core
                    .nested_lookup_extended(npt, npm, Some((pt, mode)), vaddr, &mut t);
                *info = page_info(pt, mode, vaddr, &t, r.as_ref().err());
                info.npt = npt;
                info.npm = npm.to_c();
                let (_, host) = r?;
                info.naddr = host.pa;
                info.nsize = host.page_size.bytes() as page_size_t;
            }
            None => {
                let r = vmi.core.pagetable_walk(pt, vaddr, mode, &mut t);
                *info = page_info(pt, mode, vaddr, &t, r.as_ref().err());
                r?;
            }
        }
        Ok(())
    })
}

/// Returns the context of the last failed page-table walk, or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_last_pagetable_lookup_fault(
    vmi: vmi_instance_t,
) -> *const access_context_t {
    quiet_or("vmi_get_last_pagetable_lookup_fault", ptr::null(), || {
        // SAFETY: handle from vmi_init.
        let vmi = unsafe { instance_ref(vmi) }?;
        let Some(f) = vmi.core.last_lookup_fault() else {
            return Ok(ptr::null());
        };
        let mut slot = vmi.last_fault.lock();
        let (tm, pt) = if f.dtb == NESTED_PHYSICAL && f.nested.is_some() {
            (VMI_TM_NONE, 0)
        } else {
            (VMI_TM_PROCESS_PT, f.dtb)
        };
        let mut ctx = access_context_t::new(tm, f.va, pt);
        ctx.pm = f.mode.to_c();
        if let Some((npt, npm)) = f.nested {
            ctx.npt = npt;
            ctx.npm = npm.to_c();
        }
        **slot = ctx;
        // The box never moves, so the pointer stays valid for the instance's
        // life; later faults overwrite it in place, as upstream's field.
        Ok(&**slot as *const access_context_t)
    })
}
