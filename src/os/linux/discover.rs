//! Initialisation with no profile at all: everything is read from the guest.
//!
//! 1. The kallsyms tables: one page in 32 of guest RAM is sampled for a
//!    piece of their address table ([`tablescan`]) and the other tables
//!    are decoded around each candidate. Should that find nothing, every
//!    byte is searched for `"Linux version "`: the kernel's own
//!    `linux_banner` sits before the tables, so a window starting at each
//!    hit is searched for them until one holds.
//! 2. Symbols: the kallsyms tables give every (code, and with
//!    CONFIG_KALLSYMS_ALL data) symbol at its running address.
//! 3. Virtual <-> physical: the running address of the anchor (`_text`;
//!    arm64: `_stext`, the first mapped code) is known from kallsyms; its
//!    physical address comes from `linux_banner` (when kallsyms lists it;
//!    the banner's copies are searched backwards from the tables),
//!    from the fixed x86-32 PAGE_OFFSET, or from the arm64 Image header
//!    (magic `ARM\x64` at +0x38 of the image's first page).
//! 4. Page tables: vCPU registers when the source has them, else the
//!    kallsyms symbol `init_top_pgt`/`swapper_pg_dir`, else a scan of the
//!    kernel image's pages for a table that maps the anchor to its physical
//!    address (of several, the one with most kernel-half entries: the live
//!    table maps more than the boot-time ones).
//! 5. Types: the kernel's BTF (`__start_BTF`..`__stop_BTF` from kallsyms,
//!    else a search after the kallsyms tables), queried in place.
//! 6. `init_task`: kallsyms, else the task whose `comm` reads `swapper/0`
//!    and `pid` 0 inside the image, with a task list that links back to it.
//!
//! Symbol addresses are link-time ones (running minus the KASLR slide), as
//! a System.map holds them, so lookups work as with any other profile. The
//! slide is measured against the architecture's default link address of
//! the anchor.

use crate::addr::{PageMode, PAGE_SIZE};
use crate::config::Config;
use crate::driver::{PhysRange, PhysicalMemory};
use crate::error::{Error, Result};
use crate::instance::Vmi;
use crate::paging::{self, ArmRoots, PagingContext};
use crate::profile::btf::{self, Btf};
use crate::profile::Profile;

use super::kallsyms::{self, Kallsyms};
use super::ksyms::KernelSymbols;
pub use super::locate::Family;
use super::locate::KernelLocation;
use super::offsets::TaskOffsets;
use super::physscan;
use super::tablescan;
use super::types::Types;

const BANNER: &[u8] = b"Linux version ";
/// Hits of the banner string examined (the image holds a few copies, the
/// log buffer one more).
const MAX_BANNER_HITS: usize = 64;
/// The kallsyms tables follow linux_banner (~2 MiB for 100k symbols); a
/// window starts at each banner hit not within `HIT_SKIP` of the previous
/// window's start, so the real banner is never more than that into one.
const KALLSYMS_WINDOW: u64 = 10 << 20;
const HIT_SKIP: u64 = 2 << 20;
/// How far from its address table the other kallsyms tables may lie.
const TABLE_REACH: u64 = 12 << 20;
/// How far the kernel image is searched (for page tables, BTF, init_task)
/// when its end is not known.
const IMAGE_SPAN: u64 = 96 << 20;
const MAX_BTF: u64 = 64 << 20;

const X86_64_TEXT_LINK: u64 = 0xffff_ffff_8100_0000;
const X86_32_PAGE_OFFSET: u64 = 0xc000_0000;
const X86_32_TEXT_LINK: u64 = 0xc100_0000;
/// arm64 (VA_BITS_MIN 48): KIMAGE_VADDR, and `_stext` one 64 KiB segment on.
const ARM64_TEXT_LINK: u64 = 0xffff_8000_0800_0000;
const ARM64_STEXT_OFFSET: u64 = 0x10000;

/// What discovery found: the kernel's symbols (link-time addresses), where
/// it is, and its BTF.
pub struct Discovery {
    pub symbols: KernelSymbols,
    pub location: KernelLocation,
    pub family: Family,
    pub btf: Option<Btf>,
    /// Running address of init_task, when found.
    pub init_task: Option<u64>,
    /// Physical extent of the kernel image searched for data structures.
    pub image: PhysRange,
    /// Running address of the anchor symbol and its physical address.
    pub anchor_va: u64,
    pub anchor_pa: u64,
}

impl Discovery {
    /// Physical -> running virtual address inside the kernel image.
    pub fn image_va(&self, pa: u64) -> u64 {
        self.anchor_va.wrapping_add(pa.wrapping_sub(self.anchor_pa))
    }
}

fn ms(t: std::time::Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Finds the kallsyms tables: first by sampling memory for their address
/// table ([`tablescan`]), then, should that find nothing, by searching
/// every byte for the banner and a window after each hit. Near the code
/// the vCPU runs first (the tables follow the kernel text), then
/// everywhere. Returns the table and the physical start of the window its
/// locations are relative to.
fn find_kallsyms(mem: &dyn PhysicalMemory, hint: Option<u64>) -> Result<(Kallsyms, u64)> {
    let ts = std::time::Instant::now();
    // Scans skip memory known to read as zeros (see `scan_ranges`).
    let order = tablescan::near_first(&mem.scan_ranges(), hint, IMAGE_SPAN);
    let mut found = None;
    tablescan::search(mem, &order, |start| {
        log_debug!("linux: address-table candidate at {start:#x}");
        found = kallsyms_around(mem, start);
        found.is_some()
    });
    log_debug!("linux: sampled search: {:.1} ms", ms(ts));
    if let Some(r) = found {
        return Ok(r);
    }
    log_debug!("linux: no kallsyms found by sampling; searching for the banner");
    if let Some(pc) = hint {
        let near = physscan::clip(
            &mem.scan_ranges(),
            pc.saturating_sub(IMAGE_SPAN),
            pc.saturating_add(IMAGE_SPAN),
        );
        if let Ok(r) = find_kallsyms_in(mem, &near) {
            return Ok(r);
        }
    }
    find_kallsyms_in(mem, &mem.scan_ranges())
}

/// The tables around a candidate address table whose run starts in the
/// page at `start`: the token table lies right before it (6.4+) or a few
/// MiB after it (older layouts), the names before or after accordingly.
fn kallsyms_around(mem: &dyn PhysicalMemory, start: u64) -> Option<(Kallsyms, u64)> {
    let r = mem
        .ranges()
        .iter()
        .find(|r| r.start <= start && start < r.end)?;
    let lo = start.saturating_sub(TABLE_REACH).max(r.start) & !(PAGE_SIZE - 1);
    let hi = start.saturating_add(TABLE_REACH).min(r.end);
    // Borrowed without prefetching: only the pages the decoder reaches are
    // touched.
    let window: std::borrow::Cow<'_, [u8]> = match mem.contiguous(lo, (hi - lo) as usize) {
        Some(w) => std::borrow::Cow::Borrowed(w),
        None => std::borrow::Cow::Owned(physscan::copy_window(mem, lo, hi).ok()?),
    };
    // Token table and index (at most 64 KiB + 512) end where the address
    // table begins on 6.4+; older layouts put them further on.
    let from = (start - lo).saturating_sub(68 << 10) as usize;
    let t = std::time::Instant::now();
    let ks = Kallsyms::find_from(&window, from, &kallsyms::Options::default());
    log_debug!(
        "linux: kallsyms tables around {start:#x}: {} ({:.1} ms)",
        if ks.is_ok() { "decoded" } else { "none" },
        ms(t)
    );
    Some((ks.ok()?, lo))
}

/// `[start, end)` of physical memory, borrowed when the source is mapped.
fn window(mem: &dyn PhysicalMemory, start: u64, end: u64) -> Result<std::borrow::Cow<'_, [u8]>> {
    mem.prefetch(start, end - start);
    Ok(match mem.contiguous(start, (end - start) as usize) {
        Some(w) => std::borrow::Cow::Borrowed(w),
        None => std::borrow::Cow::Owned(physscan::copy_window(mem, start, end)?),
    })
}

fn find_kallsyms_in(mem: &dyn PhysicalMemory, ranges: &[PhysRange]) -> Result<(Kallsyms, u64)> {
    let all = mem.ranges();
    let mut last_start: Option<u64> = None;
    let mut any = false;
    let mut result: Option<(Kallsyms, u64)> = None;
    let mut failure: Option<Error> = None;
    physscan::find_all(mem, ranges, BANNER, MAX_BANNER_HITS, |h| {
        any = true;
        let start = h & !(PAGE_SIZE - 1);
        if last_start.is_some_and(|l| start < l + HIT_SKIP) {
            return true;
        }
        last_start = Some(start);
        let Some(r) = all.iter().find(|r| r.start <= h && h < r.end) else {
            return true;
        };
        let end = (start + KALLSYMS_WINDOW).min(r.end);
        log_debug!("linux: banner hit at {h:#x}");
        let win = match window(mem, start, end) {
            Ok(w) => w,
            Err(e) => {
                failure = Some(e);
                return false;
            }
        };
        let tk = std::time::Instant::now();
        let found = Kallsyms::find(&win, &kallsyms::Options::default());
        log_debug!(
            "linux: kallsyms search of {:#x}..{end:#x}: {:.1} ms",
            start,
            ms(tk)
        );
        if let Ok(ks) = found {
            result = Some((ks, start));
            return false;
        }
        true
    });
    if let Some(r) = result {
        return Ok(r);
    }
    if let Some(e) = failure {
        return Err(e);
    }
    Err(Error::NotFound(if any {
        "Linux kernel symbol table (kallsyms) near any \"Linux version \" banner"
    } else {
        "Linux kernel: no \"Linux version \" banner in guest memory"
    }))
}

/// The banner's copies before the kallsyms tables, nearest first: one of
/// them is `linux_banner`.
fn banners_before(mem: &dyn PhysicalMemory, tables_pa: u64) -> physscan::BackwardHits<'_> {
    let low = tables_pa.saturating_sub(KALLSYMS_WINDOW);
    physscan::BackwardHits::new(mem, BANNER, low, tables_pa, MAX_BANNER_HITS)
}

fn family_of(ks: &Kallsyms) -> Family {
    if ks.pointer_size() == 4 {
        Family::X86_32
    } else if ks.lookup("startup_64").is_some() || ks.lookup("entry_SYSCALL_64").is_some() {
        Family::X86_64
    } else {
        Family::Arm64
    }
}

/// (anchor symbol, its default link address).
fn anchor_of(f: Family) -> (&'static str, u64) {
    match f {
        Family::X86_64 => ("_text", X86_64_TEXT_LINK),
        Family::X86_32 => ("_text", X86_32_TEXT_LINK),
        Family::Arm64 => ("_stext", ARM64_TEXT_LINK + ARM64_STEXT_OFFSET),
    }
}

struct Tables<'a> {
    mem: &'a dyn PhysicalMemory,
    template: PagingContext,
    family: Family,
}

impl Tables<'_> {
    fn ctx(&self, root: u64) -> PagingContext {
        let mut c = self.template;
        c.root = root;
        if self.family == Family::Arm64 {
            c.arm_roots = ArmRoots::Upper;
        }
        c
    }

    fn maps(&self, mode: PageMode, root: u64, va: u64, pa: u64) -> bool {
        matches!(paging::translate(self.mem, mode, &self.ctx(root), va), Ok(t) if t.pa == pa)
    }

    /// Present entries of the kernel half of a top-level table: the live
    /// kernel table maps the direct map, vmalloc, modules, fixmap...; boot
    /// tables map little more than the image.
    fn score(&self, mode: PageMode, root: u64) -> usize {
        let (first, count, width) = match mode {
            PageMode::Legacy => (768, 256, 4),
            PageMode::Pae => (0, 4, 8),
            PageMode::Aarch64 => (0, 512, 8),
            _ => (256, 256, 8),
        };
        let mut buf = vec![0u8; count * width];
        if self
            .mem
            .read_phys(root + (first * width) as u64, &mut buf)
            .is_err()
        {
            return 0;
        }
        buf.chunks_exact(width).filter(|e| e[0] & 1 != 0).count()
    }
}

/// Where the kernel is: the anchor's physical address and a top-level
/// table (with its mode), and how each was found.
struct Found {
    anchor_pa: u64,
    root: u64,
    mode: PageMode,
    anchor_how: &'static str,
    table_how: &'static str,
}

struct Search<'a> {
    tables: &'a Tables<'a>,
    ks: &'a Kallsyms,
    family: Family,
    anchor_va: u64,
    /// Physical address of the kallsyms tables: a second point of the
    /// image whose virtual address follows from the anchor's.
    tables_pa: u64,
    modes: &'a [PageMode],
    known_root: Option<(u64, PageMode)>,
}

impl Search<'_> {
    /// Does `root` map the image linearly with the anchor at `apa`?
    fn maps_image(&self, m: PageMode, root: u64, apa: u64) -> bool {
        let t = self.tables;
        if !t.maps(m, root, self.anchor_va, apa) || self.tables_pa < apa {
            return false;
        }
        let tables_va = self.anchor_va.wrapping_add(self.tables_pa - apa);
        if !t.maps(m, root, tables_va & !0xfff, self.tables_pa & !0xfff) {
            return false;
        }
        // x86-32 lowmem is mapped linearly from PAGE_OFFSET.
        self.family != Family::X86_32 || t.maps(m, root, X86_32_PAGE_OFFSET, 0)
    }

    /// A kallsyms symbol naming the kernel's top-level table.
    fn symbol_root(&self, apa: u64) -> Option<(u64, PageMode)> {
        let sym = ["init_top_pgt", "init_level4_pgt", "swapper_pg_dir"]
            .iter()
            .find_map(|n| self.ks.address_of(n))?;
        let root = apa.wrapping_add(sym.wrapping_sub(self.anchor_va));
        self.modes
            .iter()
            .find(|&&m| self.maps_image(m, root, apa))
            .map(|&m| (root, m))
    }

    /// Scans pages for top-level tables; `anchor_pa` fixes the anchor's
    /// address, or `None` accepts whatever the table maps it to (within the
    /// image's reach of the kallsyms tables). Modes in priority order: the
    /// first mode with any table wins; of its tables, the one with most
    /// kernel-half entries (the live table maps more than the boot ones),
    /// the later one on a tie.
    fn scan(&self, pages: &[PhysRange], anchor_pa: Option<u64>) -> Option<(u64, PageMode, u64)> {
        let mem = self.tables.mem;
        for &m in self.modes {
            let mut best: Option<(usize, u64, u64)> = None;
            for r in pages {
                let mut p = (r.start + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
                while p + PAGE_SIZE <= r.end {
                    let apa = match anchor_pa {
                        Some(a) => Some(a),
                        None => paging::translate(mem, m, &self.tables.ctx(p), self.anchor_va)
                            .ok()
                            .map(|t| t.pa)
                            .filter(|&a| a <= self.tables_pa && self.tables_pa - a < IMAGE_SPAN),
                    };
                    // The kernel's own tables are part of its image.
                    let apa = apa.filter(|&a| {
                        p >= a.saturating_sub(ARM64_STEXT_OFFSET) && p - a < IMAGE_SPAN
                    });
                    if let Some(apa) = apa {
                        if self.maps_image(m, p, apa) {
                            let s = self.tables.score(m, p);
                            if best.is_none_or(|(bs, _, _)| s >= bs) {
                                best = Some((s, p, apa));
                            }
                        }
                    }
                    p += PAGE_SIZE;
                }
            }
            if let Some((_, p, apa)) = best {
                return Some((p, m, apa));
            }
        }
        None
    }

    fn run(&self, mem: &dyn PhysicalMemory, hits: &mut dyn Iterator<Item = u64>) -> Result<Found> {
        const SCAN: &str = "scan of the kernel image for a table mapping it";
        const REG: &str = "vCPU register (CR3/TTBR1)";
        const SYM: &str = "kallsyms symbol init_top_pgt/swapper_pg_dir";
        let near = physscan::clip(
            &mem.scan_ranges(),
            self.tables_pa.saturating_sub(IMAGE_SPAN),
            self.tables_pa.saturating_add(IMAGE_SPAN),
        );
        // x86-32: the image sits at its link address minus PAGE_OFFSET.
        if self.family == Family::X86_32 {
            let apa = self.anchor_va.wrapping_sub(X86_32_PAGE_OFFSET);
            let how = "_text minus the x86-32 PAGE_OFFSET 0xc0000000";
            // CR3 is often a process's table; the kernel's own lies in
            // the image, so the scan comes before the register.
            let (root, mode, table_how) = if let Some((r, m)) = self.symbol_root(apa) {
                (r, m, SYM)
            } else if let Some((r, m, _)) = self.scan(&near, Some(apa)) {
                (r, m, SCAN)
            } else {
                let (r, m) = self
                    .known_root
                    .filter(|&(r, m)| self.maps_image(m, r, apa))
                    .ok_or(Error::NotFound(
                        "kernel page tables (no table near the kernel image maps it)",
                    ))?;
                (r, m, REG)
            };
            return Ok(Found {
                anchor_pa: apa,
                root,
                mode,
                anchor_how: how,
                table_how,
            });
        }
        // x86-64 with data symbols: linux_banner is at one of the hits.
        if let (Some(banner), true) = (
            self.ks.address_of("linux_banner"),
            self.family == Family::X86_64,
        ) {
            let off = banner.wrapping_sub(self.anchor_va);
            for h in hits {
                let Some(apa) = h.checked_sub(off) else {
                    continue;
                };
                let with = if let Some((r, m)) = self.symbol_root(apa) {
                    Some((r, m, SYM))
                } else {
                    self.known_root
                        .filter(|&(r, m)| self.maps_image(m, r, apa))
                        .map(|(r, m)| (r, m, REG))
                };
                if let Some((root, mode, table_how)) = with {
                    return Ok(Found {
                        anchor_pa: apa,
                        root,
                        mode,
                        anchor_how: "linux_banner (kallsyms) at a banner hit",
                        table_how,
                    });
                }
            }
        }
        // Otherwise the page tables say where the anchor is.
        if let Some((r, m)) = self.known_root {
            if let Ok(t) = paging::translate(mem, m, &self.tables.ctx(r), self.anchor_va) {
                if self.maps_image(m, r, t.pa) {
                    // TTBR1 is the kernel's table; an x86 CR3 may be a
                    // process's, so look for the kernel's in the image.
                    let (root, mode, table_how) = match self.symbol_root(t.pa) {
                        Some((sr, sm)) => (sr, sm, SYM),
                        None if self.family == Family::Arm64 => (r, m, REG),
                        None => match self.scan(&near, Some(t.pa)) {
                            Some((sr, sm, _)) => (sr, sm, SCAN),
                            None => (r, m, REG),
                        },
                    };
                    return Ok(Found {
                        anchor_pa: t.pa,
                        root,
                        mode,
                        anchor_how: "translation through the vCPU's page table",
                        table_how,
                    });
                }
            }
        }
        let (root, mode, apa) = self.scan(&near, None).ok_or(Error::NotFound(
            "kernel page tables (no table near the kallsyms tables maps the kernel text)",
        ))?;
        Ok(Found {
            anchor_pa: apa,
            root,
            mode,
            anchor_how: "translation through the page table the scan found",
            table_how: SCAN,
        })
    }
}

/// Reads the kernel's BTF: from kallsyms' bounds, else by searching after
/// the kallsyms tables.
fn read_btf(
    mem: &dyn PhysicalMemory,
    ks: &Kallsyms,
    to_pa: impl Fn(u64) -> u64,
    search: &[PhysRange],
) -> Option<(Btf, &'static str)> {
    if let (Some(s), Some(e)) = (ks.address_of("__start_BTF"), ks.address_of("__stop_BTF")) {
        if e > s && e - s <= MAX_BTF {
            if let Ok(blob) = physscan::copy_window(mem, to_pa(s), to_pa(e)) {
                if let Ok(b) = Btf::parse_owned(blob) {
                    return Some((b, "__start_BTF..__stop_BTF (kallsyms)"));
                }
            }
        }
    }
    // Magic 0xeb9f, version 1, flags 0, at a 4-byte aligned address.
    let mut found = None;
    physscan::find_all(mem, search, &[0x9f, 0xeb, 1, 0], 4096, |pa| {
        if pa & 3 != 0 {
            return true;
        }
        let mut hdr = [0u8; 24];
        if mem.read_phys(pa, &mut hdr).is_err() {
            return true;
        }
        let Some(len) = btf::blob_len(&hdr).filter(|l| *l as u64 <= MAX_BTF && *l > 1024) else {
            return true;
        };
        let Ok(blob) = physscan::copy_window(mem, pa, pa + len as u64) else {
            return true;
        };
        match Btf::parse_owned(blob) {
            Ok(b) if b.struct_by_name("task_struct").is_some() => {
                found = Some(b);
                false
            }
            _ => true,
        }
    });
    found.map(|b| (b, "search for the BTF header after the kallsyms tables"))
}

/// Finds init_task by its name and pid inside the image, confirmed by the
/// task list linking back to it.
fn scan_init_task(
    vmi: &Vmi,
    d: &Discovery,
    kpgd: u64,
    mode: PageMode,
    offs: &TaskOffsets,
) -> Option<u64> {
    let mem: &dyn PhysicalMemory = vmi.driver();
    let ptr_w = mode.address_width() as usize;
    let mut ctx = d.location.paging;
    ctx.root = kpgd;
    let read_ptr = |va: u64| -> Option<u64> {
        let pa = paging::translate(mem, mode, &ctx, va).ok()?.pa;
        let mut b = [0u8; 8];
        mem.read_phys(pa, &mut b[..ptr_w]).ok()?;
        Some(u64::from_le_bytes(b))
    };
    let mut found = None;
    physscan::find_all(mem, &[d.image], b"swapper/0\0", 64, |pa| {
        let Some(task_pa) = pa.checked_sub(offs.comm) else {
            return true;
        };
        let mut pid = [0u8; 4];
        if mem.read_phys(task_pa + offs.pid, &mut pid).is_err() || pid != [0; 4] {
            return true;
        }
        let task = d.image_va(task_pa);
        let head = task.wrapping_add(offs.tasks);
        let ok = read_ptr(head).and_then(|next| {
            let back = read_ptr(next.wrapping_add(ptr_w as u64))?;
            let prev = read_ptr(head.wrapping_add(ptr_w as u64))?;
            let fwd = read_ptr(prev)?;
            Some(back == head && fwd == head)
        });
        if ok == Some(true) {
            found = Some(task);
            return false;
        }
        true
    });
    found
}

/// Runs the whole discovery. `offsets` from the config (if complete) are
/// used to find init_task when BTF is absent.
pub fn discover(vmi: &Vmi, config: &Config) -> Result<Discovery> {
    let t0 = std::time::Instant::now();
    let mem: &dyn PhysicalMemory = vmi.driver();
    let reg_mode =
        Some(vmi.page_mode()).filter(|m| !matches!(m, PageMode::Unknown | PageMode::None));
    let reg_root = super::register_hints(vmi).0;
    // Where the vCPU executes, physically, if the source has registers.
    let pc_pa = reg_root.zip(reg_mode).and_then(|(root, m)| {
        let pc = vmi
            .get_reg(crate::driver::Reg::Rip, 0)
            .or_else(|_| vmi.get_reg(crate::driver::Reg::Pc, 0))
            .ok()?;
        vmi.pagetable_lookup_extended(root, pc, m)
            .ok()
            .map(|t| t.pa)
    });
    let (ks, win) = find_kallsyms(mem, pc_pa)?;
    let family = family_of(&ks);
    let tables_pa = win + ks.locations().addresses.min(ks.locations().names) as u64;
    log_info!(
        "linux: {} kallsyms symbols recovered from memory at pa {:#x} ({:?}, {}-byte pointers, {:.1} ms)",
        ks.len(),
        tables_pa,
        family,
        ks.pointer_size(),
        ms(t0)
    );
    let (anchor, anchor_link) = anchor_of(family);
    let anchor_va = ks.address_of(anchor).ok_or(Error::NotFound(
        "kernel anchor symbol (_text/_stext) in kallsyms",
    ))?;
    let slide = anchor_va.wrapping_sub(anchor_link);

    // Page-table parameters: the vCPU's when the source has registers.
    let reg_mode =
        Some(vmi.page_mode()).filter(|m| !matches!(m, PageMode::Unknown | PageMode::None));
    let mut template = *vmi.paging_context();
    template.root = 0;
    let tables = Tables {
        mem,
        template,
        family,
    };
    let modes: Vec<PageMode> = match reg_mode
        .or(Some(config.page_mode()).filter(|m| !matches!(m, PageMode::Unknown | PageMode::None)))
    {
        Some(m) => vec![m],
        None => family.paging_modes().to_vec(),
    };
    let known_root = reg_root.zip(reg_mode);
    let t1 = std::time::Instant::now();
    let found = Search {
        tables: &tables,
        ks: &ks,
        family,
        anchor_va,
        tables_pa,
        modes: &modes,
        known_root,
    }
    .run(mem, &mut banners_before(mem, tables_pa))?;
    let (apa, kpgd, mode) = (found.anchor_pa, found.root, found.mode);
    let table_how = found.table_how;
    let text_pa = match family {
        Family::Arm64 => apa.wrapping_sub(ARM64_STEXT_OFFSET),
        _ => apa,
    };
    log_info!(
        "linux: {anchor} at va {anchor_va:#x}, pa {apa:#x} (from {}); KASLR slide {slide:#x} against the default link address {anchor_link:#x}",
        found.anchor_how
    );
    log_info!(
        "linux: kernel page table at pa {kpgd:#x}, {mode:?} (from {table_how}, {:.1} ms)",
        ms(t1)
    );

    // The image's physical extent: _end when kallsyms has it, else a fixed
    // span.
    let image_len = ks
        .address_of("_end")
        .map(|e| e.wrapping_sub(anchor_va))
        .filter(|l| *l <= IMAGE_SPAN)
        .unwrap_or(IMAGE_SPAN);
    let image_ranges = physscan::clip(mem.ranges(), text_pa, apa + image_len);
    let image = PhysRange {
        start: text_pa,
        end: image_ranges.last().map_or(text_pa, |r| r.end),
    };

    // Types.
    let t2 = std::time::Instant::now();
    let btf_search = physscan::clip(mem.ranges(), tables_pa, image.end.max(tables_pa + MAX_BTF));
    let btf = read_btf(
        mem,
        &ks,
        |va| apa.wrapping_add(va.wrapping_sub(anchor_va)),
        &btf_search,
    );
    match &btf {
        Some((b, how)) => log_info!(
            "linux: BTF with {} types (from {how}, {:.1} ms)",
            b.type_count(),
            ms(t2)
        ),
        None => log_info!(
            "linux: this kernel carries no BTF (CONFIG_DEBUG_INFO_BTF off): structure offsets must come from the config or a profile"
        ),
    }

    // The symbols: kallsyms itself, looked up in place; a profile is built
    // from it only when one is asked for.
    let mut symbols = KernelSymbols::new(ks, slide);
    if family == Family::Arm64 {
        symbols.add("_text", ARM64_TEXT_LINK, b'T');
    }

    // Name what was found without a symbol, so the profile (and an ISF
    // exported from it) is complete: the kernel's table when it lies in the
    // image, and the banner right before the kallsyms tables.
    let in_image = |pa: u64| (image.start..image.end).contains(&pa);
    let to_link = |pa: u64| {
        anchor_va
            .wrapping_add(pa.wrapping_sub(apa))
            .wrapping_sub(slide)
    };
    if in_image(kpgd) {
        let name = match family {
            Family::X86_64 => "init_top_pgt",
            _ => "swapper_pg_dir",
        };
        symbols.add(name, to_link(kpgd), b'D');
    }
    if symbols.symbol("linux_banner").is_none() {
        let low = tables_pa.saturating_sub(4096);
        if let Some(h) =
            physscan::BackwardHits::new(mem, BANNER, low, tables_pa, 1).find(|&h| in_image(h))
        {
            symbols.add("linux_banner", to_link(h), b'D');
        }
    }

    let location = KernelLocation {
        mode,
        paging: tables.ctx(kpgd),
        kpgd,
        slide,
        text_pa,
        method: table_how,
    };
    let init_task = symbols.kallsyms().address_of("init_task");
    let mut d = Discovery {
        symbols,
        location,
        family,
        btf: btf.map(|(b, _)| b),
        init_task: None,
        image,
        anchor_va,
        anchor_pa: apa,
    };
    d.init_task = init_task;
    if d.init_task.is_some() {
        log_info!("linux: init_task from kallsyms");
    } else if let Ok(offs) = TaskOffsets::resolve(
        Some(config),
        Types::new(&Profile::default(), d.btf.as_ref()),
    ) {
        let t4 = std::time::Instant::now();
        d.init_task = scan_init_task(vmi, &d, kpgd, mode, &offs);
        if let Some(t) = d.init_task {
            log_info!(
                "linux: init_task at {t:#x} from a search of the image for comm \"swapper/0\", pid 0 and a task list linking back ({:.1} ms)",
                ms(t4)
            );
            d.symbols.add("init_task", t.wrapping_sub(slide), b'D');
        }
    }
    log_info!("linux: discovery done in {:.1} ms", ms(t0));
    Ok(d)
}
