//! Finding a Linux kernel in guest memory: where its image sits physically,
//! its virtual KASLR slide, its page tables and the paging mode. Cheap exact
//! ways come first (registers, the `linux_banner` string at the offset the
//! profile predicts); a bounded search of page-table mappings is the
//! fallback.

use crate::addr::{PageMode, PAGE_SIZE};
use crate::driver::{PhysicalMemory, Reg};
use crate::error::{Error, Result};
use crate::instance::Vmi;
use crate::paging::{self, ArmRoots, PagingContext};
use crate::profile::Profile;

use super::idt;

/// Where the kernel is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelLocation {
    pub mode: PageMode,
    pub paging: PagingContext,
    /// Physical address of the kernel's top-level page table.
    pub kpgd: u64,
    /// Added (wrapping) to a profile address to get the running address.
    pub slide: u64,
    /// Physical address of `_text`.
    pub text_pa: u64,
    /// How the slide was found, for the verbose log.
    pub method: &'static str,
}

/// What the caller already knows (config keys, registers).
#[derive(Clone, Copy, Debug, Default)]
pub struct Hints {
    pub kpgd: Option<u64>,
    pub slide: Option<u64>,
    pub mode: Option<PageMode>,
}

/// The kernel's architecture family; decides which paging modes to try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    X86_64,
    X86_32,
    Arm64,
}

impl Family {
    /// The paging modes a kernel of this family may run in, likeliest first.
    pub fn paging_modes(self) -> &'static [PageMode] {
        match self {
            Family::X86_64 => &[PageMode::Ia32e, PageMode::Ia32eLa57],
            Family::X86_32 => &[PageMode::Pae, PageMode::Legacy],
            Family::Arm64 => &[PageMode::Aarch64],
        }
    }
}

const BANNER: &[u8] = b"Linux version ";
/// x86-32's default PAGE_OFFSET (3G/1G split): kernel VA = PA + this.
const X86_32_PAGE_OFFSET: u64 = 0xc000_0000;
/// x86-64 KASLR moves the image within 1 GiB in 2 MiB steps.
const X86_64_SLIDE_STEP: u64 = 2 << 20;
const X86_64_SLIDE_RANGE: u64 = 1 << 30;
/// Bound on page tables read when searching an arm64 slide.
const MAX_TABLES: u64 = 1 << 16;

fn sym_any(p: &Profile, names: &[&str]) -> Option<u64> {
    names.iter().find_map(|n| p.symbol(n))
}

fn family(p: &Profile, text: u64) -> Family {
    if text < (1 << 32) {
        Family::X86_32
    } else if p.symbol("startup_64").is_some() || p.symbol("entry_SYSCALL_64").is_some() {
        Family::X86_64
    } else {
        Family::Arm64
    }
}

fn context(f: Family, root: u64) -> PagingContext {
    let mut ctx = PagingContext::new(root);
    if f == Family::Arm64 {
        ctx.arm_roots = ArmRoots::Upper;
    }
    ctx
}

fn maps_to(
    mem: &dyn PhysicalMemory,
    mode: PageMode,
    ctx: &PagingContext,
    va: u64,
    pa: u64,
) -> bool {
    matches!(paging::translate(mem, mode, ctx, va), Ok(t) if t.pa == pa)
}

/// Physical addresses where `_text` may be: addresses that are multiples
/// of `align` and hold "Linux version " `banner_off` bytes further on.
fn text_candidates(mem: &dyn PhysicalMemory, banner_off: u64, align: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut probe = [0u8; BANNER.len()];
    // Only memory that may hold the banner (see `scan_ranges`).
    for range in &mem.scan_ranges() {
        let Some(first) = range
            .start
            .saturating_sub(banner_off)
            .checked_next_multiple_of(align)
        else {
            continue;
        };
        let mut text = first;
        while let Some(at) = text.checked_add(banner_off).filter(|a| *a < range.end) {
            let hit = at >= range.start
                && match mem.page_slice(at) {
                    Some(s) if s.len() >= BANNER.len() => &s[..BANNER.len()] == BANNER,
                    _ => mem.read_phys(at, &mut probe).is_ok() && probe == BANNER,
                };
            if hit {
                out.push(text);
                if out.len() >= 64 {
                    return out;
                }
            }
            text += align;
        }
    }
    out
}

/// The physical alignment the kernel image has at least: x86-64 loads at a
/// multiple of 2 MiB (CONFIG_PHYSICAL_ALIGN), arm64 at 64 KiB; x86-32
/// allows 8 KiB. Probing these first touches a few hundred pages instead of
/// every page of RAM.
fn load_align(f: Family) -> u64 {
    match f {
        Family::X86_64 => 2 << 20,
        Family::Arm64 => 64 << 10,
        Family::X86_32 => 8 << 10,
    }
}

/// Finds the virtual slide for a kernel whose `_text` is at `text_pa`,
/// walking from `ctx`.
fn find_slide(
    mem: &dyn PhysicalMemory,
    f: Family,
    mode: PageMode,
    ctx: &PagingContext,
    text: u64,
    text_pa: u64,
) -> Option<u64> {
    match f {
        Family::X86_32 => {
            let va = text_pa.wrapping_add(X86_32_PAGE_OFFSET);
            maps_to(mem, mode, ctx, va, text_pa).then(|| va.wrapping_sub(text))
        }
        Family::X86_64 => (0..X86_64_SLIDE_RANGE / X86_64_SLIDE_STEP)
            .map(|i| i * X86_64_SLIDE_STEP)
            .find(|s| maps_to(mem, mode, ctx, text.wrapping_add(*s), text_pa)),
        Family::Arm64 => {
            if maps_to(mem, mode, ctx, text, text_pa) {
                return Some(0);
            }
            // The image lives above its link address; the linear map (which
            // also maps it) lies below, so take the lowest hit above.
            let mut best: Option<u64> = None;
            let _ = paging::for_each_page_bounded(
                mem,
                mode,
                ctx,
                paging::EnumLimits {
                    max_tables: MAX_TABLES,
                },
                |t| {
                    if t.pa <= text_pa && text_pa < t.pa + t.page_size.bytes() {
                        let va = t.page_base_va + (text_pa - t.pa);
                        if va >= text && best.is_none_or(|b| va < b) {
                            best = Some(va);
                        }
                    }
                    core::ops::ControlFlow::Continue(())
                },
            );
            best.map(|va| va - text)
        }
    }
}

/// The kernel address whose mapping identifies the slide: `_text`, except
/// on arm64, which leaves the image header page unmapped; there `_stext`
/// is the first mapped code.
fn anchor_of(fam: Family, profile: &Profile, text: u64) -> u64 {
    match (fam, profile.symbol("_stext")) {
        (Family::Arm64, Some(st)) if st > text && st - text < (16 << 20) => st,
        _ => text,
    }
}

/// Locates the kernel described by `profile` (link-time addresses).
pub fn locate(vmi: &Vmi, profile: &Profile, hints: Hints) -> Result<KernelLocation> {
    let mem: &dyn PhysicalMemory = vmi.driver();
    let text = sym_any(
        profile,
        &["_text", "_stext", "startup_64", "startup_32", "stext"],
    )
    .ok_or(Error::NotFound(
        "kernel symbol _text (is this a Linux System.map?)",
    ))?;
    let table = sym_any(
        profile,
        &["init_top_pgt", "init_level4_pgt", "swapper_pg_dir"],
    )
    .ok_or(Error::NotFound(
        "kernel page-table symbol (init_top_pgt / swapper_pg_dir)",
    ))?;
    let fam = family(profile, text);
    let modes: Vec<PageMode> = match hints.mode {
        Some(m) if !matches!(m, PageMode::Unknown | PageMode::None) => vec![m],
        _ => fam.paging_modes().to_vec(),
    };

    // 1. A page table we were given (config kpgd, or CR3/TTBR1 of a vCPU).
    if let Some(kpgd) = hints.kpgd.filter(|k| *k != 0) {
        if let Some(mut loc) = with_known_table(
            vmi,
            profile,
            fam,
            &modes,
            kpgd,
            anchor_of(fam, profile, text),
            hints.slide,
        )? {
            let anchor = anchor_of(fam, profile, text);
            loc.text_pa = loc.text_pa.wrapping_sub(anchor - text);
            // Prefer the kernel's own top-level table over whichever process
            // table the vCPU had loaded: both map the kernel, but only the
            // former is "the kernel page directory".
            let own = loc.text_pa.wrapping_add(table.wrapping_sub(text));
            let own_ctx = context(fam, own);
            let anchor_pa = loc.text_pa + (anchor - text);
            if own != loc.kpgd
                && maps_to(
                    mem,
                    loc.mode,
                    &own_ctx,
                    anchor.wrapping_add(loc.slide),
                    anchor_pa,
                )
            {
                loc.kpgd = own;
                loc.paging.root = own;
            }
            return Ok(loc);
        }
    }

    // 2. The banner where the profile says it is, relative to _text.
    let banner = profile
        .symbol("linux_banner")
        .ok_or(Error::NotFound("symbol linux_banner"))?;
    let banner_off = banner
        .checked_sub(text)
        .filter(|o| *o < (256 << 20))
        .ok_or(Error::Malformed(
            "linux_banner is not inside the kernel image according to the profile",
        ))?;
    let table_off = table.wrapping_sub(text);
    let try_at = |text_pa: u64| -> Option<KernelLocation> {
        let kpgd = text_pa.wrapping_add(table_off);
        for &mode in &modes {
            let ctx = context(fam, kpgd);
            let anchor = anchor_of(fam, profile, text);
            let anchor_pa = text_pa + (anchor - text);
            let slide = match hints.slide {
                Some(s) if maps_to(mem, mode, &ctx, anchor.wrapping_add(s), anchor_pa) => Some(s),
                Some(_) => None,
                None => find_slide(mem, fam, mode, &ctx, anchor, anchor_pa),
            };
            if let Some(slide) = slide {
                return Some(KernelLocation {
                    mode,
                    paging: ctx,
                    kpgd,
                    slide,
                    text_pa,
                    method:
                        "linux_banner at the profile's offset, slide from the kernel page tables",
                });
            }
        }
        None
    };
    // The usual load alignment first; every page only if that finds nothing.
    for align in [load_align(fam), PAGE_SIZE] {
        if let Some(loc) = text_candidates(mem, banner_off, align)
            .into_iter()
            .find_map(try_at)
        {
            return Ok(loc);
        }
    }
    Err(Error::NotFound(
        "Linux kernel image (no linux_banner at the offset the profile predicts: does the profile match this kernel?)",
    ))
}

/// A register that Linux loads with the address of a known entry point.
struct EntryRegister {
    family: Family,
    reg: Reg,
    symbol: &'static str,
    method: &'static str,
}

/// Entry-point MSRs, likeliest first. Names before 4.2 differ; they are
/// tried after the current ones.
const ENTRY_REGISTERS: &[EntryRegister] = &[
    EntryRegister {
        family: Family::X86_64,
        reg: Reg::Lstar,
        symbol: "entry_SYSCALL_64",
        method: "LSTAR minus entry_SYSCALL_64",
    },
    EntryRegister {
        family: Family::X86_64,
        reg: Reg::SysenterEip,
        symbol: "entry_SYSENTER_compat",
        method: "SYSENTER_EIP minus entry_SYSENTER_compat",
    },
    EntryRegister {
        family: Family::X86_32,
        reg: Reg::SysenterEip,
        symbol: "entry_SYSENTER_32",
        method: "SYSENTER_EIP minus entry_SYSENTER_32",
    },
    EntryRegister {
        family: Family::X86_64,
        reg: Reg::Lstar,
        symbol: "system_call",
        method: "LSTAR minus system_call",
    },
    EntryRegister {
        family: Family::X86_32,
        reg: Reg::SysenterEip,
        symbol: "ia32_sysenter_target",
        method: "SYSENTER_EIP minus ia32_sysenter_target",
    },
];

/// Slides implied by vCPU 0's entry-point MSRs.
fn msr_slides(vmi: &Vmi, profile: &Profile, fam: Family) -> Vec<(u64, &'static str)> {
    ENTRY_REGISTERS
        .iter()
        .filter(|e| e.family == fam)
        .filter_map(|e| {
            let value = vmi.get_reg(e.reg, 0).ok().filter(|v| *v != 0)?;
            Some((value.wrapping_sub(profile.symbol(e.symbol)?), e.method))
        })
        .collect()
}

/// Slides implied by the exception handlers in vCPU 0's IDT, read through
/// `ctx`. A bogus IDTR yields nothing (or slides the banner check rejects).
fn idt_slides(
    vmi: &Vmi,
    profile: &Profile,
    mode: PageMode,
    ctx: &PagingContext,
) -> Vec<(u64, &'static str)> {
    let Ok(base) = vmi.get_reg(Reg::IdtrBase, 0) else {
        return Vec::new();
    };
    let limit = vmi.get_reg(Reg::IdtrLimit, 0).ok();
    idt::KNOWN_GATES
        .iter()
        .filter_map(|g| {
            let symbol = profile.symbol(g.symbol)?;
            let handler = idt::gate_handler(vmi.driver(), mode, ctx, base, limit, g.vector)?;
            Some((handler.wrapping_sub(symbol), g.method))
        })
        .collect()
}

/// Slides to try with a known page table, in order: configured, from
/// registers (MSRs, then the IDT), none. Each is only a candidate until the
/// banner reads back.
fn candidate_slides(
    vmi: &Vmi,
    profile: &Profile,
    fam: Family,
    mode: PageMode,
    ctx: &PagingContext,
    slide_hint: Option<u64>,
) -> Vec<(u64, &'static str)> {
    let mut slides: Vec<(u64, &'static str)> = Vec::new();
    if let Some(s) = slide_hint {
        slides.push((s, "configured slide"));
    }
    if fam != Family::Arm64 {
        slides.extend(msr_slides(vmi, profile, fam));
        slides.extend(idt_slides(vmi, profile, mode, ctx));
    }
    slides.push((0, "no slide"));
    // Keep the first method naming each slide.
    let mut seen = Vec::with_capacity(slides.len());
    slides.retain(|(s, _)| {
        let new = !seen.contains(s);
        seen.push(*s);
        new
    });
    slides
}

/// The physical address of `text + slide` when the banner reads back at
/// the profile's offset from it through `ctx`.
fn banner_verified(
    mem: &dyn PhysicalMemory,
    mode: PageMode,
    ctx: &PagingContext,
    text: u64,
    banner_off: Option<u64>,
    slide: u64,
) -> Option<u64> {
    let at = text.wrapping_add(slide);
    let t = paging::translate(mem, mode, ctx, at).ok()?;
    if let Some(off) = banner_off {
        let b = paging::translate(mem, mode, ctx, at.wrapping_add(off)).ok()?;
        let mut probe = [0u8; BANNER.len()];
        mem.read_phys(b.pa, &mut probe).ok()?;
        if probe != BANNER {
            return None;
        }
    }
    Some(t.pa)
}

/// With a known page-table root: find the slide (registers first), then
/// where `_text` is physically.
fn with_known_table(
    vmi: &Vmi,
    profile: &Profile,
    fam: Family,
    modes: &[PageMode],
    kpgd: u64,
    text: u64,
    slide_hint: Option<u64>,
) -> Result<Option<KernelLocation>> {
    let mem: &dyn PhysicalMemory = vmi.driver();
    let banner_off = profile.symbol("linux_banner").map(|b| b.wrapping_sub(text));
    for &mode in modes {
        let ctx = context(fam, kpgd);
        let verified = |slide: u64| banner_verified(mem, mode, &ctx, text, banner_off, slide);
        let candidates = candidate_slides(vmi, profile, fam, mode, &ctx, slide_hint);
        // Without a fitting candidate: x86-64 slides are few enough to try all.
        let search = match fam {
            Family::X86_64 => X86_64_SLIDE_RANGE / X86_64_SLIDE_STEP,
            _ => 0,
        };
        let searched = (0..search).map(|i| {
            (
                i * X86_64_SLIDE_STEP,
                "slide search through the given page table",
            )
        });
        let found = candidates
            .into_iter()
            .chain(searched)
            .find_map(|(slide, method)| Some((slide, verified(slide)?, method)));
        if let Some((slide, text_pa, method)) = found {
            return Ok(Some(KernelLocation {
                mode,
                paging: ctx,
                kpgd,
                slide,
                text_pa,
                method,
            }));
        }
    }
    Ok(None)
}
