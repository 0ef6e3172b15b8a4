//! A dump written by the real LiME kernel module (`tests/guests/make-lime.sh`:
//! Debian's lime-forensics-dkms built for the x86_64 guest's kernel,
//! `insmod lime.ko path=/dev/vda format=lime` inside the running guest, the
//! virtual disk kept as `target/guests/x86_64-lime/mem.lime`, zero padding
//! after the last range included). Opened by content, it must be detected as
//! LiME, expose exactly the guest's /proc/iomem System RAM ranges, and give
//! the guest's kernel symbols, modules and long-lived processes, both with no
//! profile and with the x86_64 guest's System.map plus task offsets (same
//! kernel). LiME dumps a live system, so only processes that were alive
//! right before and right after the dump are compared.
//!
//! Skipped when the image is absent, unless VMI_REQUIRE_GUESTS=1.

#[path = "guests/support.rs"]
mod guest_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use guest_support::{guest_built, guests_required, Guest, Process};
use vmi::config::{Config, Value};
use vmi::driver::file::{FileDriver, FileFormat};
use vmi::driver::PhysicalMemory;
use vmi::instance::{Access, Vmi};
use vmi::os::linux::LinuxOs;
use vmi::profile::btf::{scan_for_btf, Btf};

const NAME: &str = "x86_64-lime";
const BASE: &str = "x86_64";

const TASK_KEYS: [(&str, &str, &str); 5] = [
    ("linux_tasks", "task_struct", "tasks"),
    ("linux_mm", "task_struct", "mm"),
    ("linux_pid", "task_struct", "pid"),
    ("linux_name", "task_struct", "comm"),
    ("linux_pgd", "mm_struct", "pgd"),
];

fn load() -> Option<Guest> {
    if !guest_built(NAME) {
        assert!(
            !guests_required(),
            "guest image {NAME} is required (VMI_REQUIRE_GUESTS=1) but not built: \
             run tests/guests/make-lime.sh"
        );
        eprintln!("note: guest image {NAME} not built (tests/guests/make-lime.sh); skipped");
        return None;
    }
    Some(Guest::load(NAME).unwrap_or_else(|e| panic!("{NAME}: {e}")))
}

fn mem_lime(g: &Guest) -> PathBuf {
    g.path("mem.lime")
}

fn meta_u64(g: &Guest, ptr: &str) -> u64 {
    g.meta
        .pointer(ptr)
        .and_then(|v| v.as_u64())
        .unwrap_or_else(|| panic!("meta.json lacks {ptr}"))
}

/// `truth/NAME` as a process list (ps.txt format).
fn ps(g: &Guest, file: &str) -> BTreeMap<u32, Process> {
    let text = std::fs::read_to_string(g.path(&format!("truth/{file}"))).unwrap();
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "{file}: {line:?}");
        let p = Process {
            pid: f[0].parse().unwrap(),
            ppid: f[1].parse().unwrap(),
            comm: f[2].to_string(),
            stat_name: f[3].to_string(),
        };
        out.insert(p.pid, p);
    }
    out
}

/// A kworker's /proc name carries its current workqueue (`kworker/0:1-events`),
/// which changes while it runs; task_struct.comm holds the part before it.
fn base_name(proc_comm: &str) -> &str {
    match proc_comm.strip_prefix("kworker/") {
        Some(rest) => &proc_comm[..8 + rest.find('-').unwrap_or(rest.len())],
        None => proc_comm,
    }
}

/// task_struct.comm (at most 15 bytes) against a /proc name.
fn same_name(memory: &str, proc_comm: &str) -> bool {
    memory == base_name(proc_comm) || (memory.len() == 15 && proc_comm.starts_with(memory))
}

/// Processes alive right before and right after the dump: same pid, same
/// parent and the same name both times.
fn stable_processes(g: &Guest) -> BTreeMap<u32, String> {
    let before = ps(g, "ps.txt");
    let after = ps(g, "ps_after.txt");
    before
        .values()
        .filter(|b| {
            after
                .get(&b.pid)
                .is_some_and(|a| a.ppid == b.ppid && base_name(&a.comm) == base_name(&b.comm))
        })
        .map(|b| (b.pid, b.comm.clone()))
        .collect()
}

struct Truth {
    stable: BTreeMap<u32, String>,
    /// Highest pid the guest listed right before the dump.
    max_pid_before: u32,
    /// Distinctive processes started by the guest's /init: (pid, comm).
    named: Vec<(u32, String)>,
    /// Sample of unique, relocated core symbols from /proc/kallsyms.
    symbols: Vec<(String, u64)>,
    /// /proc/modules before the dump: (name, base).
    modules: BTreeSet<(String, u64)>,
    /// Module names right after the dump (lime.ko is listed by then).
    module_names_after: BTreeSet<String>,
    version: String,
}

impl Truth {
    fn load(g: &Guest) -> Truth {
        let stable = stable_processes(g);
        let max_pid_before = ps(g, "ps.txt").keys().copied().max().unwrap();
        let procs = std::fs::read_to_string(g.path("truth/procs.txt")).unwrap();
        let kv: HashMap<&str, &str> = procs.lines().filter_map(|l| l.split_once('=')).collect();
        let named = ["sleeper", "reader"]
            .iter()
            .map(|k| {
                (
                    kv[format!("{k}_pid").as_str()].parse().unwrap(),
                    kv[format!("{k}_comm").as_str()].to_string(),
                )
            })
            .chain([(1, stable[&1].clone())])
            .collect();

        let all = g.kallsyms().unwrap();
        let mut symbols = guest_support::unique_core_symbols(&all, 200);
        let core: Vec<_> = all.iter().filter(|s| s.module.is_none()).collect();
        for want in [
            "_text",
            "init_task",
            "linux_banner",
            "init_mm",
            "entry_SYSCALL_64",
        ] {
            let s = core
                .iter()
                .find(|s| s.name == want)
                .unwrap_or_else(|| panic!("truth/kallsyms lacks {want}"));
            symbols.push((s.name.clone(), s.addr));
        }
        let modules = g
            .modules()
            .unwrap()
            .into_iter()
            .map(|m| (m.name, m.addr))
            .collect();
        let module_names_after = std::fs::read_to_string(g.path("truth/modules_after"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .collect();
        Truth {
            stable,
            max_pid_before,
            named,
            symbols,
            modules,
            module_names_after,
            version: g.version().unwrap(),
        }
    }
}

/// The LiME file's ranges against the guest's own memory map.
#[test]
fn lime_real_format_and_ranges() {
    let Some(g) = load() else { return };
    let path = mem_lime(&g);
    let d = FileDriver::open(&path, false, None).expect("open mem.lime");
    assert_eq!(d.format(), FileFormat::Lime);

    // Exactly the top-level "System RAM" resources LiME walks (inclusive
    // ends in /proc/iomem, exclusive in the driver).
    let want: Vec<(u64, u64)> = g
        .iomem_system_ram()
        .unwrap()
        .into_iter()
        .map(|(s, e)| (s, e + 1))
        .collect();
    assert!(want.len() >= 2, "iomem System RAM: {want:x?}");
    let got: Vec<(u64, u64)> = d.ranges().iter().map(|r| (r.start, r.end)).collect();
    assert_eq!(got, want, "LiME ranges vs /proc/iomem System RAM");

    // The image really ends in the disk's zero padding (what the parser must
    // tolerate), and the padding is not memory.
    let data_end = meta_u64(&g, "/lime/data_end");
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(data_end < size, "no padding after the last range");
    let past = want.last().unwrap().1;
    let mut b = [0u8; 8];
    assert!(PhysicalMemory::read_phys(&d, past, &mut b).is_err());

    // The first range's bytes sit right after the first 32-byte header.
    let first = want[0];
    let raw = std::fs::read(&path).unwrap();
    let mut page = vec![0u8; 4096];
    PhysicalMemory::read_phys(&d, first.0, &mut page).unwrap();
    assert_eq!(&raw[32..32 + 4096], &page[..]);
    assert_eq!(
        u32::from_le_bytes(raw[..4].try_into().unwrap()),
        0x4C69_4D45,
        "LiME magic"
    );
}

fn base_config() -> Config {
    let mut c = Config::new();
    c.insert("ostype", Value::Str("Linux".into()));
    c
}

/// Task offsets: the x86_64 guest's offsets.txt (gdb on the DWARF vmlinux of
/// the same kernel) when present, else the kernel BTF inside the LiME dump.
fn task_offsets(g: &Guest) -> HashMap<String, u64> {
    let base = guest_support::guests_root().join(BASE).join("offsets.txt");
    if let Ok(text) = std::fs::read_to_string(&base) {
        let out: HashMap<String, u64> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim().parse().unwrap()))
            .collect();
        if TASK_KEYS.iter().all(|(k, _, _)| out.contains_key(*k)) {
            return out;
        }
    }
    eprintln!(
        "note: no {}; task offsets from the dump's BTF",
        base.display()
    );
    let file = std::fs::File::open(mem_lime(g)).unwrap();
    // SAFETY: read-only map of a file nobody modifies during the test.
    let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
    let ranges = g.meta.pointer("/lime/ranges").unwrap().as_array().unwrap();
    for r in ranges {
        let f = |k: &str| r.get(k).and_then(|v| v.as_u64()).unwrap() as usize;
        let data = &map[f("data_offset")..f("data_offset") + f("end_inclusive") + 1 - f("start")];
        if let Some((at, len)) = scan_for_btf(data) {
            let btf = Btf::parse(&data[at..at + len]).unwrap();
            return TASK_KEYS
                .iter()
                .map(|(k, st, m)| (k.to_string(), btf.member_offset(st, m).unwrap()))
                .collect();
        }
    }
    panic!("no kernel BTF in the LiME dump");
}

fn check(label: &str, g: &Guest, config: Config, t: &Truth, from_map: bool) {
    let mut vmi = Vmi::open_file(&mem_lime(g), false).unwrap();
    vmi.set_config(config);
    LinuxOs::init(&mut vmi).unwrap_or_else(|e| panic!("{label}: init: {e}"));
    let os = vmi.os().unwrap();
    assert_eq!(
        os.sysmap_path().is_some(),
        from_map,
        "{label}: System.map use"
    );

    // The banner in memory is what /proc/version printed.
    let banner = vmi
        .read_cstr(&Access::ksym("linux_banner"))
        .unwrap_or_else(|e| panic!("{label}: linux_banner: {e}"));
    assert_eq!(
        String::from_utf8_lossy(&banner).trim_end(),
        t.version,
        "{label}: linux_banner"
    );

    // Symbols, both ways.
    let map_names: BTreeSet<String> = if from_map {
        g.system_map()
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect()
    } else {
        BTreeSet::new()
    };
    let mut checked = 0;
    for (name, addr) in &t.symbols {
        if from_map && !map_names.contains(name) {
            continue;
        }
        let va = vmi
            .ksym2v(name)
            .unwrap_or_else(|e| panic!("{label}: ksym2v({name}): {e}"));
        assert_eq!(va, *addr, "{label}: ksym2v({name})");
        let back = vmi.v2ksym(*addr).unwrap();
        assert_eq!(
            vmi.ksym2v(&back).unwrap(),
            *addr,
            "{label}: v2ksym({addr:#x})"
        );
        checked += 1;
    }
    assert!(checked >= 150, "{label}: only {checked} symbols checked");

    // Processes: every one alive throughout the dump, with its name; any
    // extra is a process started after the "before" list (insmod itself).
    let procs = os.processes(&vmi).unwrap();
    let got: BTreeMap<u32, String> = procs
        .iter()
        .filter(|p| p.pid != 0)
        .map(|p| (p.pid as u32, p.name.clone()))
        .collect();
    for (pid, comm) in &t.stable {
        let name = got
            .get(pid)
            .unwrap_or_else(|| panic!("{label}: pid {pid} ({comm}) missing"));
        assert!(
            same_name(name, comm),
            "{label}: pid {pid}: {name:?} vs {comm:?}"
        );
    }
    for (pid, comm) in &t.named {
        assert_eq!(got.get(pid), Some(comm), "{label}: pid {pid}");
    }
    let extra: Vec<_> = got
        .iter()
        .filter(|(p, _)| !t.stable.contains_key(p))
        .collect();
    assert!(
        extra.len() <= 3 && extra.iter().all(|(p, _)| **p > t.max_pid_before),
        "{label}: unexpected processes {extra:?}"
    );
    // A user process's page tables are its own.
    let sleeper = t.named[0].0 as i32;
    let dtb = vmi.pid_to_dtb(sleeper).unwrap();
    assert!(dtb != 0 && dtb != vmi.kernel_dtb(), "{label}: sleeper dtb");
    assert_eq!(vmi.dtb_to_pid(dtb).unwrap(), sleeper);

    // Modules: the virtio chain with its load addresses; lime.ko itself may
    // already be on the list (it is, in its init function, while it dumps).
    let mods = os
        .modules(&vmi)
        .unwrap_or_else(|e| panic!("{label}: modules: {e}"));
    let names: BTreeSet<String> = mods.iter().map(|m| m.name.clone()).collect();
    let before: BTreeSet<String> = t.modules.iter().map(|(n, _)| n.clone()).collect();
    assert!(
        before.is_subset(&names) && names.is_subset(&t.module_names_after),
        "{label}: modules {names:?}, before {before:?}, after {:?}",
        t.module_names_after
    );
    let bases: BTreeSet<(String, u64)> = mods
        .into_iter()
        .filter(|m| before.contains(&m.name))
        .map(|m| (m.name, m.base))
        .collect();
    assert_eq!(bases, t.modules, "{label}: module bases");
    eprintln!(
        "{label}: {checked} symbols, {} stable processes, {} modules: all checks passed",
        t.stable.len(),
        names.len()
    );
}

/// No profile at all: kallsyms and BTF found in the dump's memory.
#[test]
fn lime_real_no_profile() {
    let Some(g) = load() else { return };
    let t = Truth::load(&g);
    assert!(t.stable.len() >= 20, "too few stable processes");
    check("x86_64-lime/no-profile", &g, base_config(), &t, false);
}

/// The x86_64 guest's System.map and task offsets: the same kernel, another
/// boot (another KASLR slide), found in the LiME dump.
#[test]
fn lime_real_system_map() {
    let Some(g) = load() else { return };
    let t = Truth::load(&g);
    let map = if guest_built(BASE) {
        Guest::load(BASE).unwrap().system_map_path()
    } else {
        g.system_map_path()
    };
    let mut c = base_config();
    for (k, v) in task_offsets(&g) {
        c.insert(&k, Value::Num(v));
    }
    c.insert("sysmap", Value::Str(map.to_string_lossy().into_owned()));
    check("x86_64-lime/System.map", &g, c, &t, true);
}
