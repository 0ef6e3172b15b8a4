//! The Linux OS layer: kernel symbols with the KASLR slide applied, the
//! task list, pid <-> page table, from a System.map plus offsets or from a
//! JSON profile (Volatility 3 ISF, Rekall).

pub mod btf_profile;
pub mod discover;
pub mod dmesg;
pub mod elf_exports;
pub mod idt;
pub mod kallsyms;
pub mod ksyms;
pub mod locate;
pub mod modules;
pub mod offsets;
pub mod physscan;
pub mod tablescan;
pub mod tasks;
#[cfg(test)]
mod testguest;
pub mod types;

use std::sync::OnceLock;

use crate::addr::PageMode;
use crate::config::Config;
use crate::driver::Reg;
use crate::error::{Error, Result};
use crate::instance::{Access, Vmi};
use crate::os::{Module, OsLayer, OsType, Process};
use crate::profile::{self, Profile};

pub use dmesg::LogRecord;
use dmesg::RingLayout;
use locate::{Hints, KernelLocation};
use modules::ModuleLayout;
use offsets::TaskOffsets;
use tasks::{Task, TaskReader};
use types::Types;

/// How [`LinuxOs::init_with`] sets the layer up beyond the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitOptions {
    /// Take structure layouts from the kernel's own BTF when no profile
    /// gives types (default). Off, the layer works as on a kernel without
    /// BTF: task offsets from the config, modules and the kernel log from
    /// derived layouts.
    pub kernel_btf: bool,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions { kernel_btf: true }
    }
}

pub struct LinuxOs {
    /// Symbols (link-time addresses), and types when a profile gave them;
    /// empty when the symbols come from the kernel's kallsyms.
    profile: Profile,
    /// The kernel's own symbol table, when no profile or map was given.
    ksyms: Option<ksyms::KernelSymbols>,
    /// The kernel's BTF, when types come from guest memory.
    btf: Option<crate::profile::btf::Btf>,
    /// `profile` plus the BTF types, built on first request.
    full: OnceLock<Profile>,
    offsets: TaskOffsets,
    location: KernelLocation,
    /// Running address of `init_task`.
    init_task: u64,
    sysmap_path: Option<String>,
    profile_path: Option<String>,
    image: Option<ImageSpan>,
    /// Found by search when no symbol names them; searched once.
    modules_head: OnceLock<Option<u64>>,
    ring: OnceLock<Option<u64>>,
    /// Without types: the derived ring layout that validated, and where.
    derived_ring: OnceLock<(RingLayout, u64)>,
}

/// The kernel image: physical start, running address, length.
#[derive(Clone, Copy, Debug)]
struct ImageSpan {
    pa: u64,
    va: u64,
    len: u64,
}

/// The symbols and types to work with, and which files they came from.
struct Sources {
    profile: Profile,
    sysmap_path: Option<String>,
    profile_path: Option<String>,
}

fn load_sources(config: &Config) -> Result<Sources> {
    let profile_path = config.json_profile_path().map(str::to_owned);
    let sysmap_path = config.get_str("sysmap").map(str::to_owned);
    let mut profile = match &profile_path {
        Some(p) => {
            let (prof, kind) = profile::load_json_profile(std::path::Path::new(p))?;
            log_info!("linux: symbols and types from {kind:?} profile {p}");
            prof
        }
        None => Profile::new(profile::ProfileSource::SystemMap),
    };
    if let Some(p) = &sysmap_path {
        // A profile with symbols wins; otherwise the map is the profile.
        if profile.symbol_count() == 0 {
            let map = profile::from_system_map_path(std::path::Path::new(p))?;
            log_info!("linux: {} symbols from System.map {p}", map.symbol_count());
            let types_from = std::mem::replace(&mut profile, map);
            for s in types_from.structs() {
                profile.add_struct(s.clone());
            }
            for e in types_from.enums() {
                profile.add_enum(e.clone());
            }
            for b in types_from.base_types() {
                profile.add_base_type(b.clone());
            }
        }
    }
    if profile.symbol_count() == 0 {
        return Err(Error::NotFound(
            "Linux symbols: the config names no sysmap, volatility_ist or rekall_profile",
        ));
    }
    Ok(Sources {
        profile,
        sysmap_path,
        profile_path,
    })
}

/// Page-table root and mode the vCPU registers give, if the driver has any.
pub(crate) fn register_hints(vmi: &Vmi) -> (Option<u64>, Option<PageMode>) {
    let mode = Some(vmi.page_mode()).filter(|m| !matches!(m, PageMode::Unknown | PageMode::None));
    let root = match mode {
        Some(PageMode::Aarch64) => vmi
            .get_reg(Reg::Ttbr1, 0)
            .ok()
            .map(|t| t & 0x0000_ffff_ffff_fffe),
        Some(m) => vmi.get_reg(Reg::Cr3, 0).ok().map(|c| cr3_table(m, c)),
        None => None,
    };
    (root.filter(|r| *r != 0), mode)
}

/// The kernel's top-level table from CR3. x86-32 tables are only 4 KiB
/// (Legacy) or 32-byte (PAE) aligned, so every address bit counts; on
/// x86-64 bit 12 picks the user half of a KPTI pair and the low bits are
/// the PCID.
fn cr3_table(mode: PageMode, cr3: u64) -> u64 {
    match mode {
        PageMode::Legacy => cr3 & 0xffff_f000,
        PageMode::Pae => cr3 & 0xffff_ffe0,
        _ => cr3 & !0x1fff & 0x000f_ffff_ffff_f000,
    }
}

impl LinuxOs {
    /// Initialises the Linux layer on `vmi` from its config: with a
    /// System.map or profile, from those; with neither, from the guest's
    /// own kallsyms and BTF ([`discover`]). Finds the kernel (paging mode,
    /// page tables, KASLR slide), checks `init_task`, and installs itself
    /// as the instance's OS layer.
    pub fn init(vmi: &mut Vmi) -> Result<()> {
        Self::init_with(vmi, InitOptions::default())
    }

    /// [`LinuxOs::init`] with options (e.g. ignoring the kernel's BTF).
    pub fn init_with(vmi: &mut Vmi, opts: InitOptions) -> Result<()> {
        let t0 = std::time::Instant::now();
        let config = vmi.config().cloned().unwrap_or_default();
        // Registers (live guests, ELF cores with CPU notes) are the cheap
        // exact way to the paging mode and page tables.
        if matches!(vmi.page_mode(), PageMode::Unknown | PageMode::None) {
            if let Err(e) = vmi.init_paging_from_registers() {
                log_debug!("linux: no paging from registers: {e}");
            }
        }
        let named = config.json_profile_path().is_some() || config.get_str("sysmap").is_some();
        let os = if named {
            Self::from_profile(vmi, &config, opts)?
        } else {
            log_info!("linux: no System.map or profile configured: reading symbols and types from guest memory");
            Self::from_memory(vmi, &config, opts)?
        };
        vmi.set_paging(os.location.mode, os.location.paging);
        vmi.set_kernel_dtb(os.location.kpgd);
        let first = os.reader(vmi).read(os.init_task)?;
        if first.pid != 0 {
            return Err(Error::Malformed(
                "init_task does not hold pid 0: the task offsets do not match this kernel",
            ));
        }
        log_info!(
            "linux: init_task at {:#x} ({}); init took {:.1} ms",
            os.init_task,
            first.comm,
            t0.elapsed().as_secs_f64() * 1e3
        );
        vmi.set_os(Box::new(os));
        Ok(())
    }

    fn from_profile(vmi: &Vmi, config: &Config, opts: InitOptions) -> Result<LinuxOs> {
        let t = std::time::Instant::now();
        let src = load_sources(config)?;
        log_info!(
            "linux: {} symbols loaded in {:.1} ms",
            src.profile.symbol_count(),
            t.elapsed().as_secs_f64() * 1e3
        );
        let t = std::time::Instant::now();
        let (reg_root, reg_mode) = register_hints(vmi);
        let cfg_mode =
            Some(config.page_mode()).filter(|m| !matches!(m, PageMode::Unknown | PageMode::None));
        let hints = Hints {
            kpgd: config.get_u64("kpgd").or(reg_root),
            slide: config.get_u64("linux_kaslr"),
            mode: cfg_mode.or(reg_mode),
        };
        let location = locate::locate(vmi, &src.profile, hints)?;
        log_info!(
            "linux: kernel at pa {:#x}, slide {:#x}, kpgd {:#x}, mode {:?} ({}; {:.1} ms)",
            location.text_pa,
            location.slide,
            location.kpgd,
            location.mode,
            location.method,
            t.elapsed().as_secs_f64() * 1e3
        );
        // A bare System.map has no types: the kernel's own BTF (at
        // __start_BTF) supplies them when the kernel has one.
        let untyped = src.profile.structs().len() == 0;
        let btf = if untyped && opts.kernel_btf {
            Self::btf_from_memory(vmi, &src.profile, &location)
        } else {
            None
        };
        let offsets = task_offsets(
            config,
            Types::new(&src.profile, btf.as_ref()),
            !untyped || btf.is_some(),
            opts,
        )?;
        log_info!(
            "linux: task offsets from {}",
            if btf.is_some() {
                "the config / BTF"
            } else {
                "the config / profile"
            }
        );
        let init_task = config
            .get_u64("linux_init_task")
            .or_else(|| src.profile.symbol("init_task"))
            .ok_or(Error::NotFound("init_task (symbol or linux_init_task)"))?
            .wrapping_add(location.slide);
        let image = src.profile.symbol("_text").map(|text| {
            let len = src
                .profile
                .symbol("_end")
                .map(|e| e.wrapping_sub(text))
                .filter(|l| *l > 0 && *l <= 256 << 20)
                .unwrap_or(96 << 20);
            ImageSpan {
                pa: location.text_pa,
                va: text.wrapping_add(location.slide),
                len,
            }
        });
        Ok(LinuxOs {
            profile: src.profile,
            ksyms: None,
            btf,
            full: OnceLock::new(),
            offsets,
            location,
            init_task,
            sysmap_path: src.sysmap_path,
            profile_path: src.profile_path,
            image,
            modules_head: OnceLock::new(),
            ring: OnceLock::new(),
            derived_ring: OnceLock::new(),
        })
    }

    /// Reads the BTF at `__start_BTF`..`__stop_BTF` (profile symbols).
    fn btf_from_memory(
        vmi: &Vmi,
        profile: &Profile,
        loc: &KernelLocation,
    ) -> Option<crate::profile::btf::Btf> {
        let s = profile.symbol("__start_BTF")?;
        let e = profile.symbol("__stop_BTF")?;
        let len = e.wrapping_sub(s);
        if len == 0 || len > 64 << 20 {
            return None;
        }
        let mut blob = vec![0u8; len as usize];
        let va = s.wrapping_add(loc.slide);
        let ok = {
            let mut ctx = loc.paging;
            ctx.root = loc.kpgd;
            let mem: &dyn crate::driver::PhysicalMemory = vmi.driver();
            // Read page by page through the located tables (paging is not
            // installed on the instance yet).
            let mut done = 0usize;
            let mut good = true;
            while done < blob.len() {
                let v = va + done as u64;
                let n = ((crate::addr::PAGE_SIZE - (v & 0xfff)) as usize).min(blob.len() - done);
                match crate::paging::translate(mem, loc.mode, &ctx, v) {
                    Ok(t) if mem.read_phys(t.pa, &mut blob[done..done + n]).is_ok() => {}
                    _ => {
                        good = false;
                        break;
                    }
                }
                done += n;
            }
            good
        };
        if !ok {
            return None;
        }
        match crate::profile::btf::Btf::parse_owned(blob) {
            Ok(btf) => {
                log_info!(
                    "linux: structure offsets from the kernel's BTF at __start_BTF ({} types)",
                    btf.type_count()
                );
                Some(btf)
            }
            Err(e) => {
                log_debug!("linux: BTF at __start_BTF does not parse: {e}");
                None
            }
        }
    }

    fn from_memory(vmi: &Vmi, config: &Config, opts: InitOptions) -> Result<LinuxOs> {
        let mut d = discover::discover(vmi, config)?;
        if !opts.kernel_btf {
            d.btf = None;
        }
        let typed = d.btf.is_some();
        let offsets = task_offsets(
            config,
            Types::new(&Profile::default(), d.btf.as_ref()),
            typed,
            opts,
        )?;
        let init_task = match config.get_u64("linux_init_task") {
            Some(t) => t.wrapping_add(d.location.slide),
            None => d.init_task.ok_or(Error::NotFound(
                "init_task: not in kallsyms and no task named swapper/0 with pid 0 in the kernel image",
            ))?,
        };
        let image = ImageSpan {
            pa: d.image.start,
            va: d.image_va(d.image.start),
            len: d.image.end - d.image.start,
        };
        Ok(LinuxOs {
            profile: Profile::default(),
            ksyms: Some(d.symbols),
            btf: d.btf,
            full: OnceLock::new(),
            offsets,
            location: d.location,
            init_task,
            sysmap_path: None,
            profile_path: None,
            image: Some(image),
            modules_head: OnceLock::new(),
            ring: OnceLock::new(),
            derived_ring: OnceLock::new(),
        })
    }

    fn reader<'a>(&'a self, vmi: &'a Vmi) -> TaskReader<'a> {
        TaskReader {
            vmi,
            kpgd: self.location.kpgd,
            offsets: &self.offsets,
            ptr_width: self.ptr_width(),
        }
    }

    fn ptr_width(&self) -> u64 {
        self.location.mode.address_width() as u64
    }

    pub fn slide(&self) -> u64 {
        self.location.slide
    }

    pub fn location(&self) -> &KernelLocation {
        &self.location
    }

    /// Symbols (link-time addresses) and types the layer works with; with
    /// symbols from kallsyms or types from the kernel's BTF, built on first
    /// call.
    pub fn profile(&self) -> &Profile {
        if self.btf.is_none() && self.ksyms.is_none() {
            return &self.profile;
        }
        self.full.get_or_init(|| {
            let t = std::time::Instant::now();
            let mut p = match &self.ksyms {
                Some(k) => k.to_profile(),
                None => self.profile.clone(),
            };
            if let Some(btf) = &self.btf {
                btf_profile::add_btf_types(btf, &mut p);
                btf_profile::add_symbol_types(btf, &mut p);
            }
            log_info!(
                "linux: full profile built: {} symbols, {} types ({:.1} ms)",
                p.symbol_count(),
                p.structs().len(),
                t.elapsed().as_secs_f64() * 1e3
            );
            p
        })
    }

    /// Link-time address of a kernel symbol.
    fn link_symbol(&self, name: &str) -> Option<u64> {
        match &self.ksyms {
            Some(k) => k.symbol(name),
            None => self.profile.symbol(name),
        }
    }

    /// The full profile plus the addresses the layer found by searching
    /// (module list head, printk ringbuffer), for export: an ISF written
    /// from it works without any search.
    pub fn export_profile(&self, vmi: &Vmi) -> Profile {
        let mut p = self.profile().clone();
        let slide = self.location.slide;
        if p.symbol("modules").is_none() {
            if let Ok(layout) = ModuleLayout::from_types(self.types(), self.ptr_width()) {
                if let Ok(h) = self.modules_head(vmi, &layout) {
                    p.add_symbol("modules", h.wrapping_sub(slide), b'd');
                }
            }
        }
        if p.symbol("prb").is_none() && p.symbol("printk_rb_static").is_none() {
            if let Ok(r) = self.ring(vmi) {
                p.add_symbol("printk_rb_static", r.wrapping_sub(slide), b'd');
            }
        }
        p
    }

    /// Structure layouts: the profile's, else the kernel's BTF.
    pub fn types(&self) -> Types<'_> {
        Types::new(&self.profile, self.btf.as_ref())
    }

    pub fn tasks(&self, vmi: &Vmi) -> Result<Vec<Task>> {
        self.reader(vmi).all(self.init_task)
    }

    /// The kernel image's bytes and running address, for searches.
    fn image_bytes(&self, vmi: &Vmi) -> Option<(Vec<u8>, u64)> {
        let img = self.image?;
        let bytes = physscan::copy_window(vmi.driver(), img.pa, img.pa + img.len).ok()?;
        Some((bytes, img.va))
    }

    /// Running address of a symbol, if the profile has it.
    fn running(&self, name: &str) -> Option<u64> {
        self.link_symbol(name)
            .map(|a| a.wrapping_add(self.location.slide))
    }

    fn modules_head(&self, vmi: &Vmi, layout: &ModuleLayout) -> Result<u64> {
        if let Some(h) = self.running("modules") {
            return Ok(h);
        }
        let found = *self.modules_head.get_or_init(|| {
            let (bytes, va) = self.image_bytes(vmi)?;
            let h = modules::find_head(
                vmi,
                self.location.kpgd,
                &bytes,
                va,
                self.ptr_width(),
                layout,
            );
            if let Some(h) = h {
                log_info!("linux: module list head at {h:#x}, found by searching the kernel image");
            }
            h
        });
        found.ok_or(Error::NotFound(
            "module list head (no `modules` symbol; no list of modules in the kernel image)",
        ))
    }

    /// Running address of the ring the `prb` pointer or the
    /// `printk_rb_static` symbol names, if the profile has either.
    fn ring_from_symbols(&self, vmi: &Vmi) -> Option<Result<u64>> {
        if let Some(p) = self.running("prb") {
            return Some(vmi.read_addr(&Access::dtb(self.location.kpgd, p)));
        }
        self.running("printk_rb_static").map(Ok)
    }

    /// Running address of the `struct printk_ringbuffer` in use.
    fn ring(&self, vmi: &Vmi) -> Result<u64> {
        let kpgd = self.location.kpgd;
        if let Some(r) = self.ring_from_symbols(vmi) {
            return r;
        }
        let layout = RingLayout::from_types(self.types())?;
        let found = *self.ring.get_or_init(|| {
            let (bytes, va) = self.image_bytes(vmi)?;
            let r = dmesg::find_ring(vmi, kpgd, &bytes, va, &layout, self.ptr_width(), false);
            if let Some(r) = r {
                log_info!(
                    "linux: printk ringbuffer at {r:#x}, found by searching the kernel image"
                );
            }
            r
        });
        found.ok_or(Error::NotFound(
            "printk ringbuffer (no `prb` symbol; none found in the kernel image)",
        ))
    }

    /// (major, minor) from `linux_banner`, when the profile has it.
    pub fn kernel_version(&self, vmi: &Vmi) -> Option<(u32, u32)> {
        let va = self.running("linux_banner")?;
        let banner = vmi.read_cstr(&Access::dtb(self.location.kpgd, va)).ok()?;
        dmesg::parse_banner_version(&banner)
    }

    /// The kernel log, oldest record first.
    pub fn dmesg(&self, vmi: &Vmi) -> Result<Vec<LogRecord>> {
        match RingLayout::from_types(self.types()) {
            Ok(layout) => {
                let rb = self.ring(vmi)?;
                dmesg::read_ring(vmi, self.location.kpgd, rb, &layout, self.ptr_width())
            }
            Err(_) => self.dmesg_derived(vmi),
        }
    }

    /// The kernel log without types: the 5.10+ ring layout derived from the
    /// pointer width and kernel version, trusted only once the ring has
    /// passed every check in [`dmesg::read_ring_checked`].
    fn dmesg_derived(&self, vmi: &Vmi) -> Result<Vec<LogRecord>> {
        let kpgd = self.location.kpgd;
        let w = self.ptr_width();
        if let Some((l, rb)) = self.derived_ring.get() {
            if let Ok(recs) = dmesg::read_ring_checked(vmi, kpgd, *rb, l, w) {
                return Ok(recs);
            }
        }
        let version = self.kernel_version(vmi);
        let candidates = RingLayout::derived_candidates(w, version)?;
        let named = self.ring_from_symbols(vmi);
        if let Some(Err(e)) = &named {
            log_debug!("linux: reading the `prb` pointer: {e}");
        }
        let image = if named.is_none() {
            self.image_bytes(vmi)
        } else {
            None
        };
        for l in candidates {
            let rb = match &named {
                Some(Ok(rb)) => Some(*rb),
                Some(Err(_)) => None,
                None => image
                    .as_ref()
                    .and_then(|(b, va)| dmesg::find_ring(vmi, kpgd, b, *va, &l, w, true)),
            };
            let Some(rb) = rb else {
                log_debug!("linux: no printk ringbuffer found with a derived layout");
                continue;
            };
            match dmesg::read_ring_checked(vmi, kpgd, rb, &l, w) {
                Ok(recs) => {
                    log_info!(
                        "linux: kernel log read without types: ring at {rb:#x} validated with \
                         the layout derived for {}-bit 5.10+ kernels",
                        w * 8
                    );
                    let _ = self.derived_ring.set((l, rb));
                    return Ok(recs);
                }
                Err(e) => log_debug!("linux: derived printk ring layout rejected: {e}"),
            }
        }
        Err(Error::NotFound(
            "kernel log: no types for the printk ringbuffer (no profile with types, and no \
             kernel BTF), and the layout derived for 5.10+ kernels did not validate on this \
             kernel; give a profile (volatility_ist / rekall_profile)",
        ))
    }
}

impl OsLayer for LinuxOs {
    fn os_type(&self) -> OsType {
        OsType::Linux
    }

    fn usym2rva(&self, vmi: &Vmi, dtb: u64, base: u64, symbol: &str) -> Result<u64> {
        elf_exports::export_to_rva(vmi, dtb, base, symbol)
    }

    fn rva2usym(&self, vmi: &Vmi, dtb: u64, base: u64, rva: u64) -> Result<String> {
        elf_exports::rva_to_export(vmi, dtb, base, rva)
    }

    fn ksym2v(&self, _vmi: &Vmi, symbol: &str) -> Result<u64> {
        self.running(symbol).ok_or(Error::SymbolNotFound)
    }

    fn v2ksym(&self, _vmi: &Vmi, va: u64, nearest: bool) -> Result<(String, u64)> {
        let link = va.wrapping_sub(self.location.slide);
        if nearest {
            let (name, at) = match &self.ksyms {
                Some(k) => k.nearest_symbol(link),
                None => self.profile.nearest_symbol(link),
            }
            .ok_or(Error::SymbolNotFound)?;
            return Ok((name.to_owned(), link - at));
        }
        match &self.ksyms {
            Some(k) => k.symbol_at(link),
            None => self.profile.symbol_at(link),
        }
        .map(|n| (n.to_owned(), 0))
        .ok_or(Error::SymbolNotFound)
    }

    fn pid_to_dtb(&self, vmi: &Vmi, pid: i32) -> Result<u64> {
        let r = self.reader(vmi);
        let task = r.find(self.init_task, |t| (t.pid == pid).then(|| t.clone()))?;
        r.dtb(&task.ok_or(Error::NotFound("no task with that pid"))?)
    }

    fn dtb_to_pid(&self, vmi: &Vmi, dtb: u64) -> Result<i32> {
        let r = self.reader(vmi);
        // KPTI gives each mm a second (user) table 4 KiB above the kernel one.
        let want = dtb & !0x1fff;
        r.find(self.init_task, |t| {
            if t.mm == 0 {
                return None;
            }
            match r.dtb(t) {
                Ok(d) if d == dtb || d == want => Some(t.pid),
                _ => None,
            }
        })?
        .ok_or(Error::NotFound("no process with that page table"))
    }

    fn offset(&self, name: &str) -> Option<u64> {
        match name {
            "linux_kaslr" => Some(self.location.slide),
            "linux_init_task" => Some(self.init_task),
            "kpgd" => Some(self.location.kpgd),
            _ => self.offsets.named(name),
        }
    }

    fn struct_member_offset(&self, structure: &str, member: &str) -> Option<u64> {
        self.types().member_offset(structure, member)
    }

    fn processes(&self, vmi: &Vmi) -> Result<Vec<Process>> {
        let r = self.reader(vmi);
        r.all(self.init_task)?
            .into_iter()
            .map(|t| {
                let dtb = r.dtb(&t).unwrap_or(0);
                Ok(Process {
                    pid: t.pid,
                    name: t.comm,
                    dtb,
                    address: t.address,
                })
            })
            .collect()
    }

    fn modules(&self, vmi: &Vmi) -> Result<Vec<Module>> {
        let w = self.ptr_width();
        let kpgd = self.location.kpgd;
        if let Ok(layout) = ModuleLayout::from_types(self.types(), w) {
            let head = self.modules_head(vmi, &layout)?;
            return modules::walk(vmi, kpgd, head, &layout);
        }
        // No types: the fixed head of struct module gives the names; the
        // core allocation's base and size are found by what they hold.
        let fixed = ModuleLayout::fixed(w);
        let head = self.modules_head(vmi, &fixed)?;
        let (mods, off) = modules::walk_inferring(vmi, kpgd, head, &fixed, w)?;
        match off {
            Some(o) => log_debug!(
                "linux: no struct module layout; core base/size at offset {o} fits every module"
            ),
            None if !mods.is_empty() => log_info!(
                "linux: no struct module layout (no profile types, no kernel BTF) and no \
                 base/size pair fits every module; listing modules by name only"
            ),
            None => {}
        }
        Ok(mods)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn profile_path(&self) -> Option<&str> {
        self.profile_path.as_deref()
    }

    fn sysmap_path(&self) -> Option<&str> {
        self.sysmap_path.as_deref()
    }
}

/// Task offsets from the config's `linux_*` keys and whatever types there
/// are (`typed`: a profile with types or the kernel's BTF). Without types,
/// says what is derived, and on failure what to give instead.
fn task_offsets(
    config: &Config,
    types: Types<'_>,
    typed: bool,
    opts: InitOptions,
) -> Result<TaskOffsets> {
    match TaskOffsets::resolve(Some(config), types) {
        Ok(o) => {
            if !typed {
                let why = if opts.kernel_btf {
                    "this kernel carries no BTF (CONFIG_DEBUG_INFO_BTF is off, as in i386 kernels)"
                } else {
                    "the kernel's BTF is not used"
                };
                log_info!(
                    "linux: no structure types ({why}); task offsets from the config's linux_* \
                     keys, module bases and the kernel log from derived layouts (5.10+); give a \
                     profile (volatility_ist / rekall_profile) for exact layouts"
                );
            }
            Ok(o)
        }
        Err(_) if !typed => Err(Error::NotFound(if opts.kernel_btf {
            "Linux task offsets: no profile types and this kernel carries no BTF \
                 (CONFIG_DEBUG_INFO_BTF is off, as in i386 kernels); give linux_tasks, linux_mm, \
                 linux_pid, linux_name and linux_pgd in the config, or a profile \
                 (volatility_ist / rekall_profile)"
        } else {
            "Linux task offsets: no profile types and the kernel's BTF is not used; give \
                 linux_tasks, linux_mm, linux_pid, linux_name and linux_pgd in the config, or a \
                 profile"
        })),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cr3_table_keeps_every_address_bit_on_x86_32() {
        // The i386 test guest stopped with CR3 = 0x1017000: bit 12 is real.
        assert_eq!(cr3_table(PageMode::Legacy, 0x0101_7018), 0x0101_7000);
        assert_eq!(cr3_table(PageMode::Pae, 0x0203_6fe0), 0x0203_6fe0);
        assert_eq!(cr3_table(PageMode::Pae, 0x0203_6ff8), 0x0203_6fe0);
        // x86-64: the KPTI user half and the PCID go.
        assert_eq!(cr3_table(PageMode::Ia32e, 0x0106_3801), 0x0106_2000);
        assert_eq!(
            cr3_table(PageMode::Ia32eLa57, 0x8000_0001_0006_3000),
            0x1_0006_2000
        );
    }
}
