//! The Linux OS layer over hostile guest memory: a real guest image with
//! some kernel pages damaged (page tables, task and module list pointers,
//! kallsyms tables, BTF, the printk ring), then init (with no profile, and
//! with System.map + offsets), processes, modules, dmesg and translations.
//! Everything must end in Ok or Err, in bounded time and memory.

use std::collections::BTreeSet;
use std::sync::Arc;

use vmi::config::{Config, Value};
use vmi::driver::Driver;
use vmi::instance::{Access, Vmi};
use vmi::os::linux::{InitOptions, LinuxOs};
use vmi::PageMode;

use super::mem::Overlay;
use super::rng::Rng;
use super::runner::Case;

/// Symbols whose pages (and neighbours) are worth damaging.
const HOT_SYMBOLS: &[&str] = &[
    "init_task",
    "modules",
    "prb",
    "printk_rb_static",
    "printk_rb_dynamic",
    "log_buf",
    "kallsyms_num_syms",
    "kallsyms_names",
    "kallsyms_offsets",
    "kallsyms_addresses",
    "kallsyms_relative_base",
    "kallsyms_token_table",
    "kallsyms_token_index",
    "kallsyms_markers",
    "kallsyms_seqs_of_names",
    "__start_BTF",
    "linux_banner",
    "_text",
    "init_mm",
    "swapper_pg_dir",
    "init_top_pgt",
    "idt_table",
    "init_pid_ns",
];

/// How a case initialises the layer.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Only `ostype`: symbols and types from the guest's kallsyms and BTF.
    NoProfile,
    /// No profile, task offsets from the config.
    NoProfileOffsets,
    /// The kernel's BTF ignored, task offsets from the config.
    NoBtf,
    /// System.map plus the task offsets.
    SystemMap,
}

const MODES: [Mode; 4] = [
    Mode::NoProfile,
    Mode::NoProfileOffsets,
    Mode::NoBtf,
    Mode::SystemMap,
];

/// One damaged guest: which backing file, how to init, what to write.
pub struct GuestCase {
    pub core: bool,
    pub mode: Mode,
    pub patches: Vec<(u64, Vec<u8>)>,
    pub why: Vec<&'static str>,
}

impl Case for GuestCase {
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        for (pa, bytes) in &self.patches {
            b.extend_from_slice(&pa.to_le_bytes());
            b.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            b.extend_from_slice(bytes);
        }
        b
    }
    fn describe(&self) -> String {
        let p: Vec<String> = self
            .patches
            .iter()
            .zip(&self.why)
            .map(|((pa, b), w)| format!("{w}@{pa:#x}+{}", b.len()))
            .collect();
        format!(
            "{} {:?}: {}",
            if self.core { "core.elf" } else { "mem.raw" },
            self.mode,
            p.join(", ")
        )
    }
}

/// What a clean init tells about where the interesting bytes are.
pub struct Guest {
    pub name: &'static str,
    raw: Arc<dyn Driver>,
    core: Option<Arc<dyn Driver>>,
    sysmap: String,
    offsets: Vec<(String, u64)>,
    ptr: usize,
    /// Pages near the hot symbols and the tasks / modules found.
    hot_pages: Vec<u64>,
    /// Page-table pages on the kernel's and processes' walks.
    tables: Vec<u64>,
    /// Entries those walks actually used: (entry pa, value).
    entries: Vec<(u64, u64)>,
    /// List heads (va of the list_head, pa of it) of tasks and modules.
    lists: Vec<(u64, u64)>,
    max_pa: u64,
    /// Process count of the clean image (for the report).
    pub clean_procs: usize,
}

fn config(g: &Guest, mode: Mode) -> Config {
    let mut c = Config::new();
    c.insert("ostype", Value::Str("Linux".into()));
    if !matches!(mode, Mode::NoProfile) {
        for (k, v) in &g.offsets {
            c.insert(k.clone(), Value::Num(*v));
        }
    }
    if matches!(mode, Mode::SystemMap) {
        c.insert("sysmap", Value::Str(g.sysmap.clone()));
    }
    c
}

fn init(vm: &mut Vmi, g: &Guest, mode: Mode) -> vmi::Result<()> {
    vm.set_config(config(g, mode));
    let opts = InitOptions {
        kernel_btf: !matches!(mode, Mode::NoBtf),
    };
    LinuxOs::init_with(vm, opts)
}

fn read_offsets(path: &std::path::Path) -> Vec<(String, u64)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            Some((k.trim().to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

impl Guest {
    /// Opens the image and records the interesting places from a clean
    /// System.map init; `None` when the guest image is not built.
    pub fn load(name: &'static str) -> Option<Guest> {
        let dir = super::guests_root().join(name);
        if !dir.join(".complete").is_file() {
            return None;
        }
        let raw: Arc<dyn Driver> =
            Arc::from(vmi::driver::file::open(&dir.join("mem.raw"), false).expect("mem.raw opens"));
        let core = vmi::driver::file::open(&dir.join("core.elf"), false)
            .ok()
            .map(Arc::from);
        let mut g = Guest {
            name,
            raw: raw.clone(),
            core,
            sysmap: dir.join("System.map").to_string_lossy().into_owned(),
            offsets: read_offsets(&dir.join("offsets.txt")),
            ptr: 8,
            hot_pages: Vec::new(),
            tables: Vec::new(),
            entries: Vec::new(),
            lists: Vec::new(),
            max_pa: raw.max_physical_address(),
            clean_procs: 0,
        };
        let mut vm = Vmi::new(Box::new(Overlay::new(raw)), name, 0);
        init(&mut vm, &g, Mode::SystemMap).expect("clean guest initialises from System.map");
        g.survey(&vm);
        Some(g)
    }

    fn survey(&mut self, vm: &Vmi) {
        let os = vm.os().expect("os layer");
        let linux = os
            .as_any()
            .and_then(|a| a.downcast_ref::<LinuxOs>())
            .expect("linux layer");
        self.ptr = vm.page_mode().address_width() as usize;
        let kpgd = vm.kernel_dtb();
        let mut hot = BTreeSet::new();
        let mut tables = BTreeSet::new();
        let mut entries = BTreeSet::new();
        let mode = vm.page_mode();
        let mut walk = |dtb: u64, va: u64, hot: &mut BTreeSet<u64>| {
            let mut ctx = *vm.paging_context();
            ctx.root = dtb;
            if let Ok(t) = vmi::paging::translate(vm.driver(), mode, &ctx, va) {
                for h in 0..5 {
                    if let Some(e) = t.entry(h) {
                        tables.insert(e.entry_addr & !0xfff);
                        entries.insert((e.entry_addr, e.entry_value));
                    }
                }
                for d in 0..3u64 {
                    hot.insert((t.pa & !0xfff) + d * 4096);
                }
                return Some(t.pa);
            }
            None
        };
        for s in HOT_SYMBOLS {
            if let Ok(va) = vm.ksym2v(s) {
                walk(kpgd, va, &mut hot);
                walk(kpgd, va.wrapping_sub(4096), &mut hot);
            }
        }
        let tasks_off = self
            .offsets
            .iter()
            .find(|(k, _)| k == "linux_tasks")
            .map(|(_, v)| *v)
            .unwrap_or(0);
        let procs = os.processes(vm).unwrap_or_default();
        self.clean_procs = procs.len();
        for p in procs.iter().take(64) {
            let list = p.address + tasks_off;
            if let Some(pa) = walk(kpgd, list, &mut hot) {
                self.lists.push((list, pa));
            }
            if p.dtb != kpgd {
                walk(p.dtb, 0x40_0000, &mut hot);
                walk(p.dtb, p.address, &mut hot);
            }
        }
        for m in os.modules(vm).unwrap_or_default() {
            // The module's list_head is the first member after `state`.
            for off in [0u64, 8, 16] {
                walk(kpgd, m.base + off, &mut hot);
            }
        }
        if let Ok(head) = vm.ksym2v("modules") {
            if let Some(pa) = walk(kpgd, head, &mut hot) {
                self.lists.push((head, pa));
            }
        }
        let _ = linux.dmesg(vm).map(|r| r.len());
        self.hot_pages = hot.into_iter().filter(|&p| p < self.max_pa).collect();
        self.tables = tables.into_iter().collect();
        self.entries = entries.into_iter().collect();
        assert!(!self.hot_pages.is_empty() && !self.tables.is_empty() && !self.lists.is_empty());
    }

    fn word(&self, v: u64) -> Vec<u8> {
        v.to_le_bytes()[..self.ptr.clamp(4, 8)].to_vec()
    }

    pub fn gen(&self, rng: &mut Rng) -> GuestCase {
        let n = 1 + rng.below(6) as usize;
        let mut c = GuestCase {
            core: self.core.is_some() && rng.chance(4),
            mode: *rng.pick(&MODES),
            patches: Vec::new(),
            why: Vec::new(),
        };
        for _ in 0..n {
            let (what, pa, bytes): (&'static str, u64, Vec<u8>) = match rng.below(8) {
                0 | 1 => {
                    // Page-table entry: loop to itself or another table,
                    // point outside memory, huge-page bit, or noise.
                    let &(at, old) = rng.pick(&self.entries);
                    let other = *rng.pick(&self.tables);
                    let flags = old & 0xfff;
                    let v = match rng.below(8) {
                        0 => (at & !0xfff) | flags,
                        1 => other | flags,
                        2 => (self.max_pa + rng.below(1 << 30)) & !0xfff | flags,
                        3 => old | 0x80,
                        4 => 0,
                        5 => old ^ (1 << rng.below(64)),
                        6 => u64::MAX,
                        _ => rng.next(),
                    };
                    ("pte", at, self.word(v))
                }
                2 | 3 => {
                    // A list pointer (next or prev): to itself, to another
                    // list, to the head, to garbage.
                    let &(va, pa) = rng.pick(&self.lists);
                    let &(other, _) = rng.pick(&self.lists);
                    let v = match rng.below(6) {
                        0 => va,
                        1 => other,
                        2 => 0,
                        3 => va.wrapping_add(rng.below(64) * 8),
                        4 => rng.next(),
                        _ => va ^ (1 << rng.below(self.ptr as u64 * 8)),
                    };
                    let field = if rng.chance(2) { 0 } else { self.ptr as u64 };
                    ("list", pa + field, self.word(v))
                }
                4 => {
                    let page = *rng.pick(&self.hot_pages);
                    let off = rng.below(4096 - 64);
                    let len = 1 + rng.index(64);
                    (
                        "bytes",
                        page + off,
                        (0..len).map(|_| rng.next() as u8).collect(),
                    )
                }
                5 => {
                    let page = *rng.pick(&self.hot_pages);
                    let off = rng.below(4096 / 8) * 8;
                    let noise = rng.next();
                    let v = *rng.pick(&[
                        0u64,
                        u64::MAX,
                        0x7fff_ffff,
                        0xffff_ffff,
                        0x8000_0000_0000_0000,
                        page + off,
                        noise,
                    ]);
                    ("int", page + off, v.to_le_bytes().to_vec())
                }
                6 => {
                    let page = *rng.pick(&self.hot_pages);
                    let fill = match rng.below(3) {
                        0 => vec![0u8; 4096],
                        1 => vec![0xffu8; 4096],
                        _ => (0..4096).map(|_| rng.next() as u8).collect(),
                    };
                    ("page", page, fill)
                }
                _ => {
                    // A page-table page filled with entries that all point
                    // back at itself (a perfect loop).
                    let t = *rng.pick(&self.tables);
                    let e = t | 0x63;
                    let page: Vec<u8> = (0..4096 / self.ptr).flat_map(|_| self.word(e)).collect();
                    ("table-loop", t, page)
                }
            };
            c.patches.push((pa, bytes));
            c.why.push(what);
        }
        c
    }

    /// One case: damage a copy, init, then use everything the layer has.
    pub fn run(&self, c: &GuestCase) -> Result<bool, String> {
        let inner = match (&self.core, c.core) {
            (Some(core), true) => core.clone(),
            _ => self.raw.clone(),
        };
        let mut mem = Overlay::new(inner);
        for (pa, b) in &c.patches {
            mem.patch(*pa, b);
        }
        let mut vm = Vmi::new(Box::new(mem), self.name, 0);
        if init(&mut vm, self, c.mode).is_err() {
            return Ok(false);
        }
        let Some(os) = vm.os() else {
            return Err("init succeeded without an OS layer".into());
        };
        let procs = os.processes(&vm).unwrap_or_default();
        let _ = os.modules(&vm);
        if let Some(linux) = os.as_any().and_then(|a| a.downcast_ref::<LinuxOs>()) {
            let _ = linux.dmesg(&vm);
            let _ = linux.tasks(&vm);
            let _ = linux.kernel_version(&vm);
        }
        for p in procs.iter().take(8) {
            let _ = vm.pid_to_dtb(p.pid);
            let _ = vm.dtb_to_pid(p.dtb);
            let _ = vm.translate_uv2p(0x40_0000, p.pid);
            let _ = vm.read_cstr(&Access::dtb(vm.kernel_dtb(), p.address));
            let _ = vm.v2ksym(p.address);
        }
        for s in HOT_SYMBOLS.iter().take(6) {
            if let Ok(va) = vm.ksym2v(s) {
                let _ = vm.translate_kv2p(va);
                let _ = vm.v2ksym(va);
            }
        }
        for va in [0u64, u64::MAX, 0xffff_ffff_8100_0000, 0xc000_0000] {
            let _ = vm.translate_kv2p(va);
        }
        if matches!(vm.page_mode(), PageMode::Unknown) {
            return Err("init succeeded with an unknown paging mode".into());
        }
        Ok(true)
    }
}

/// The BTF blob of a guest's kernel, found by scanning its memory.
pub fn guest_btf(name: &str) -> Option<Vec<u8>> {
    let dir = super::guests_root().join(name);
    if !dir.join(".complete").is_file() {
        return None;
    }
    let d = vmi::driver::file::open(&dir.join("mem.raw"), false).ok()?;
    let len = usize::try_from(d.max_physical_address()).ok()?;
    let mem = d.contiguous(0, len)?;
    let (off, n) = vmi::profile::btf::scan_for_btf(mem)?;
    Some(mem.get(off..off + n)?.to_vec())
}

impl Guest {
    /// A slice of the ISF the library exports for this kernel (found with
    /// no profile): the types the Linux layer uses, and some symbols.
    pub fn isf_seed(&self) -> Option<Vec<u8>> {
        let mut vm = Vmi::new(Box::new(Overlay::new(self.raw.clone())), self.name, 0);
        init(&mut vm, self, Mode::NoProfile).ok()?;
        let linux = vm.os()?.as_any()?.downcast_ref::<LinuxOs>()?;
        let full = vmi::profile::isf_export::to_isf(&linux.export_profile(&vm));
        let keep_types = [
            "task_struct",
            "list_head",
            "mm_struct",
            "module",
            "printk_ringbuffer",
            "prb_desc_ring",
            "prb_data_ring",
            "prb_desc",
            "printk_info",
            "prb_data_blk_lpos",
            "module_layout",
            "module_memory",
            "hlist_node",
            "pid",
            "upid",
            "qstr",
        ];
        let mut out = serde_json::Map::new();
        for (k, v) in full.as_object()? {
            let v = match (k.as_str(), v.as_object()) {
                ("user_types", Some(m)) => serde_json::Value::Object(
                    m.iter()
                        .filter(|(n, _)| keep_types.contains(&n.as_str()))
                        .map(|(n, t)| (n.clone(), t.clone()))
                        .collect(),
                ),
                ("symbols", Some(m)) => serde_json::Value::Object(
                    m.iter()
                        .take(300)
                        .map(|(n, t)| (n.clone(), t.clone()))
                        .collect(),
                ),
                ("enums", Some(m)) => serde_json::Value::Object(
                    m.iter()
                        .take(20)
                        .map(|(n, t)| (n.clone(), t.clone()))
                        .collect(),
                ),
                _ => v.clone(),
            };
            out.insert(k.clone(), v);
        }
        serde_json::to_vec_pretty(&serde_json::Value::Object(out)).ok()
    }
}
