//! The Linux layer against real guests (`target/guests/NAME`, see
//! tests/guests/README.md): for each guest, both mem.raw and core.elf, and
//! three ways to know the kernel — no profile at all (kallsyms + BTF from
//! memory), System.map + task offsets, and an ISF profile — the process
//! list, the marker process's user memory, symbol addresses, modules and
//! the kernel log must equal what the guest itself reported. Runs without
//! types (i386's System.map and kallsyms runs; the others with the kernel's
//! BTF ignored) check modules (name, base, size) and the log too, through
//! the layouts the layer derives and validates itself.
//!
//! Offsets for System.map runs come from the kernel's BTF through our BTF
//! parser (x86_64, arm64) or from gdb on the DWARF vmlinux (i386 kernels
//! have no BTF); gdb answers are cached in the temp dir. A guest whose
//! image is absent is skipped with a note, unless VMI_REQUIRE_GUESTS=1.

#[path = "guests/support.rs"]
mod guest_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use guest_support::Guest;
use vmi::config::{Config, Value};
use vmi::instance::{Access, Vmi};
use vmi::os::linux::dmesg::{read_ring_checked, RingLayout};
use vmi::os::linux::{InitOptions, LinuxOs};
use vmi::profile::btf::{scan_for_btf, Btf};
use vmi::profile::{AggregateKind, Field, Profile, ProfileSource, StructDef, TypeDesc};

const TASK_KEYS: [(&str, &str, &str); 5] = [
    ("linux_tasks", "task_struct", "tasks"),
    ("linux_mm", "task_struct", "mm"),
    ("linux_pid", "task_struct", "pid"),
    ("linux_name", "task_struct", "comm"),
    ("linux_pgd", "mm_struct", "pgd"),
];

/// Members the layer reads, for gdb-built profiles.
const MEMBERS: [(&str, &str); 27] = [
    ("task_struct", "tasks"),
    ("task_struct", "mm"),
    ("task_struct", "active_mm"),
    ("task_struct", "pid"),
    ("task_struct", "comm"),
    ("task_struct", "real_parent"),
    ("mm_struct", "pgd"),
    ("module", "list"),
    ("module", "name"),
    ("module", "core_layout"),
    ("module_layout", "base"),
    ("module_layout", "size"),
    ("printk_ringbuffer", "desc_ring"),
    ("printk_ringbuffer", "text_data_ring"),
    ("prb_desc_ring", "count_bits"),
    ("prb_desc_ring", "descs"),
    ("prb_desc_ring", "infos"),
    ("prb_data_ring", "size_bits"),
    ("prb_data_ring", "data"),
    ("prb_desc", "state_var"),
    ("prb_desc", "text_blk_lpos"),
    ("prb_data_blk_lpos", "begin"),
    ("prb_data_blk_lpos", "next"),
    ("printk_info", "seq"),
    ("printk_info", "ts_nsec"),
    ("printk_info", "text_len"),
    ("printk_info", "caller_id"),
];

/// What the guest reported about itself.
struct Truth {
    name: String,
    /// pid -> (ppid, /proc comm)
    ps: BTreeMap<u32, (u32, String)>,
    marker: guest_support::Marker,
    /// A sample of (name, address) of unique, relocated core symbols.
    symbols: Vec<(String, u64)>,
    /// System.map names, to skip sampled names a map lacks.
    map_names: BTreeSet<String>,
    /// (name, base, size) as /proc/modules printed them.
    modules: BTreeSet<(String, u64, u64)>,
    dmesg: Vec<String>,
    ptr32: bool,
}

impl Truth {
    fn load(g: &Guest) -> Truth {
        let ptr32 = g.arch().unwrap() == "x86";
        let ps = g
            .processes()
            .unwrap()
            .into_iter()
            .map(|p| (p.pid, (p.ppid, p.comm)))
            .collect();
        let all = g.kallsyms().unwrap();
        let mut symbols = guest_support::unique_core_symbols(&all, 150);
        let core: Vec<_> = all.iter().filter(|s| s.module.is_none()).collect();
        for want in ["_stext", "schedule", "do_sys_open", "start_kernel"] {
            if let Some(s) = core.iter().find(|s| s.name == want) {
                symbols.push((s.name.clone(), s.addr));
            }
        }
        let map_names = g
            .system_map()
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        let modules = g
            .modules()
            .unwrap()
            .into_iter()
            .map(|m| (m.name, m.addr, m.size))
            .collect();
        let dmesg = std::fs::read_to_string(g.path("truth/dmesg"))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with('['))
            .map(str::to_owned)
            .collect();
        Truth {
            name: g.name.clone(),
            ps,
            marker: g.marker().unwrap(),
            symbols,
            map_names,
            modules,
            dmesg,
            ptr32,
        }
    }
}

/// task_struct.comm (15 chars, no workqueue suffix) against /proc's comm.
fn same_name(memory: &str, proc_comm: &str) -> bool {
    memory == proc_comm
        || proc_comm
            .strip_prefix(memory)
            .is_some_and(|rest| rest.starts_with('-'))
        || (memory.len() == 15 && proc_comm.starts_with(memory))
}

fn open(image: &Path, config: Config) -> Vmi {
    let mut vmi = Vmi::open_file(image, false).unwrap();
    vmi.set_config(config);
    vmi
}

fn linux(vmi: &Vmi) -> &LinuxOs {
    vmi.os()
        .and_then(|o| o.as_any())
        .and_then(|a| a.downcast_ref::<LinuxOs>())
        .expect("Linux layer installed")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Types known (profile or BTF): modules and dmesg from exact layouts.
    Everything,
    /// Only task offsets: modules and dmesg from derived layouts, checked
    /// just the same.
    Untyped,
}

/// Initialises `vmi` and checks everything against the truth; returns the
/// init time.
fn check(label: &str, image: &Path, config: Config, t: &Truth, want: Want) -> Duration {
    check_with(label, image, config, t, want, InitOptions::default())
}

fn check_with(
    label: &str,
    image: &Path,
    config: Config,
    t: &Truth,
    want: Want,
    opts: InitOptions,
) -> Duration {
    let mut vmi = open(image, config);
    let t0 = Instant::now();
    LinuxOs::init_with(&mut vmi, opts).unwrap_or_else(|e| panic!("{label}: init: {e}"));
    let init = t0.elapsed();
    let os = vmi.os().unwrap();

    // Processes.
    let procs = os.processes(&vmi).unwrap();
    let got: BTreeMap<u32, (String, u64)> = procs
        .iter()
        .filter(|p| p.pid != 0)
        .map(|p| (p.pid as u32, (p.name.clone(), p.dtb)))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        t.ps.keys().collect::<Vec<_>>(),
        "{label}: pids"
    );
    let kpgd = vmi.kernel_dtb();
    for (pid, (name, dtb)) in &got {
        let (ppid, comm) = &t.ps[pid];
        assert!(
            same_name(name, comm),
            "{label}: pid {pid}: {name:?} vs {comm:?}"
        );
        if *pid != 2 && *ppid != 2 {
            assert!(
                *dtb != 0 && *dtb != kpgd,
                "{label}: user process {pid} dtb {dtb:#x}"
            );
        }
    }

    // The marker's argv through its own page tables.
    let m = &t.marker;
    let pid = m.pid as i32;
    if let Some(pa) = m.arg_start_phys {
        assert_eq!(
            vmi.translate_uv2p(m.arg_start, pid).unwrap(),
            pa,
            "{label}: uv2p"
        );
    }
    let mut buf = vec![0u8; (m.arg_end - m.arg_start) as usize];
    vmi.read(&Access::pid(pid, m.arg_start), &mut buf)
        .into_result()
        .unwrap_or_else(|e| panic!("{label}: reading marker argv: {e}"));
    assert_eq!(buf, m.cmdline, "{label}: marker cmdline");
    assert_eq!(vmi.dtb_to_pid(vmi.pid_to_dtb(pid).unwrap()).unwrap(), pid);

    // Symbols, both ways.
    let from_map = os.sysmap_path().is_some();
    let mut checked = 0;
    for (name, addr) in &t.symbols {
        match vmi.ksym2v(name) {
            Ok(va) => {
                let va = if t.ptr32 { va & 0xffff_ffff } else { va };
                assert_eq!(va, *addr, "{label}: ksym2v({name})");
                checked += 1;
                let back = vmi.v2ksym(*addr).unwrap();
                assert_eq!(
                    vmi.ksym2v(&back).unwrap(),
                    *addr,
                    "{label}: v2ksym({addr:#x})"
                );
            }
            Err(e) => assert!(
                from_map && !t.map_names.contains(name),
                "{label}: ksym2v({name}): {e}"
            ),
        }
    }
    assert!(checked >= 100, "{label}: only {checked} symbols checked");

    // Without types the layer must not have found any: the derived
    // layouts are what is being tested.
    let typed = linux(&vmi)
        .types()
        .member_offset("printk_ringbuffer", "desc_ring")
        .is_some();
    assert_eq!(typed, want == Want::Everything, "{label}: types present");

    // Modules: name, base and size as /proc/modules printed them.
    let mods: BTreeSet<(String, u64, u64)> = os
        .modules(&vmi)
        .unwrap_or_else(|e| panic!("{label}: modules: {e}"))
        .into_iter()
        .map(|m| (m.name, m.base, m.size))
        .collect();
    assert_eq!(mods, t.modules, "{label}: modules");

    // The kernel log: a sample of the guest's own dmesg lines.
    let log = linux(&vmi)
        .dmesg(&vmi)
        .unwrap_or_else(|e| panic!("{label}: dmesg: {e}"));
    let lines: BTreeSet<String> = log.iter().map(|r| r.line()).collect();
    let sample: Vec<&String> = t.dmesg.iter().step_by(5).collect();
    let missing: Vec<_> = sample.iter().filter(|l| !lines.contains(**l)).collect();
    assert!(
        missing.is_empty(),
        "{label}: {} of {} sampled dmesg lines missing, e.g. {:?}",
        missing.len(),
        sample.len(),
        missing.first()
    );

    // A wrong guess fails cleanly on the real ring: the other variant of
    // prb_desc_ring, the other pointer width, or a ring one word off.
    if want == Want::Untyped && from_map {
        let w = if t.ptr32 { 4 } else { 8 };
        let rb = vmi.read_addr(&Access::ksym("prb")).unwrap();
        let right = RingLayout::derived(w, true);
        assert_eq!(read_ring_checked(&vmi, kpgd, rb, &right, w).unwrap(), log);
        for (l, lw, at) in [
            (RingLayout::derived(w, false), w, rb),
            (RingLayout::derived(12 - w, true), 12 - w, rb),
            (right, w, rb + w),
            (right, w, rb - w),
        ] {
            assert!(
                read_ring_checked(&vmi, kpgd, at, &l, lw).is_err(),
                "{label}: a wrong ring layout validated ({lw}, {at:#x})"
            );
        }
    }
    eprintln!(
        "{label}: init {:.1} ms, all checks passed",
        init.as_secs_f64() * 1e3
    );
    init
}

fn base_config() -> Config {
    let mut c = Config::new();
    c.insert("ostype", Value::Str("Linux".into()));
    c
}

fn with_offsets(mut c: Config, offs: &HashMap<String, u64>) -> Config {
    for (key, st, m) in TASK_KEYS {
        c.insert(key, Value::Num(offs[&format!("{st}.{m}")]));
    }
    c
}

/// Task offsets from the kernel's BTF in mem.raw, found by our own scan.
fn btf_offsets(g: &Guest) -> Option<HashMap<String, u64>> {
    let file = std::fs::File::open(g.mem_raw()).unwrap();
    // SAFETY: read-only map of a file nobody modifies during the test.
    let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
    for r in g.ram_ranges().unwrap() {
        let ram = &map[r.start as usize..r.end as usize];
        if let Some((at, len)) = scan_for_btf(ram) {
            let btf = Btf::parse(&ram[at..at + len]).unwrap();
            let mut out = HashMap::new();
            for (_, st, m) in TASK_KEYS {
                out.insert(format!("{st}.{m}"), btf.member_offset(st, m)?);
            }
            return Some(out);
        }
    }
    None
}

/// Offsets and sizes from gdb on the DWARF vmlinux, cached in the temp dir.
fn gdb_layout(g: &Guest) -> HashMap<String, u64> {
    let vmlinux = g.vmlinux().expect("meta.json names the DWARF vmlinux");
    let md = std::fs::metadata(&vmlinux).unwrap();
    let key = format!(
        "{}-{}-{}",
        g.kernel_release().unwrap(),
        md.len(),
        md.modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs())
    );
    let cache = std::env::temp_dir().join("vmi-linux-tests");
    std::fs::create_dir_all(&cache).unwrap();
    let file = cache.join(format!("gdb-{key}.txt"));
    let mut exprs: Vec<(String, String)> = Vec::new();
    for (st, m) in MEMBERS {
        exprs.push((
            format!("{st}.{m}"),
            format!("print (unsigned long)&((struct {st}*)0)->{m}"),
        ));
    }
    let structs: BTreeSet<&str> = MEMBERS.iter().map(|(s, _)| *s).collect();
    for st in &structs {
        exprs.push((format!("sizeof {st}"), format!("print sizeof(struct {st})")));
    }
    exprs.push((
        "len module.name".into(),
        "print sizeof(((struct module*)0)->name)".into(),
    ));
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(_) => {
            let mut cmd = std::process::Command::new("gdb");
            cmd.args(["-batch", "-nx"]);
            for (_, e) in &exprs {
                cmd.args(["-ex", e]);
            }
            let out = cmd.arg(&vmlinux).output().expect("gdb runs");
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            std::fs::write(&file, &text).unwrap();
            text
        }
    };
    let values: Vec<u64> = text
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(_, v)| v.trim().parse().expect("gdb printed a number"))
        .collect();
    assert_eq!(
        values.len(),
        exprs.len(),
        "gdb answered every question: {text}"
    );
    exprs.into_iter().map(|(k, _)| k).zip(values).collect()
}

/// An ISF profile built from System.map and the gdb layout (i386).
fn gdb_profile(g: &Guest, layout: &HashMap<String, u64>) -> Profile {
    let mut p = Profile::new(ProfileSource::Built);
    p.set_os(Some(vmi::profile::OsKind::Linux));
    for s in g.system_map().unwrap() {
        p.add_symbol(&s.name, s.addr, s.kind as u8);
    }
    let structs: BTreeSet<&str> = MEMBERS.iter().map(|(s, _)| *s).collect();
    for st in structs {
        let mut def = StructDef::new(st, AggregateKind::Struct, layout[&format!("sizeof {st}")]);
        for (s, m) in MEMBERS.iter().filter(|(s, _)| *s == st) {
            let ty = if (*s, *m) == ("module", "name") {
                TypeDesc::Array {
                    count: layout["len module.name"],
                    elem: Box::new(TypeDesc::Base("char".into())),
                }
            } else {
                TypeDesc::Unknown
            };
            def.add_field(Field {
                name: (*m).into(),
                offset: layout[&format!("{s}.{m}")] as i64,
                ty,
                anonymous: false,
            });
        }
        p.add_struct(def);
    }
    p
}

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmi-linux-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write_isf(p: &Profile, path: &Path, banner: Option<&[u8]>) {
    let f = std::fs::File::create(path).unwrap();
    let opts = vmi::profile::isf_export::IsfOptions {
        banner,
        producer: Some("libvmi-rs tests"),
    };
    vmi::profile::isf_export::write_isf(p, &opts, std::io::BufWriter::new(f)).unwrap();
}

fn run(name: &str) {
    let Some(g) = guest_support::load_or_skip(name) else {
        return;
    };
    let t = Truth::load(&g);
    let images = [g.core_elf(), g.mem_raw()];
    let sysmap = g.system_map_path().to_string_lossy().into_owned();
    let mut times: Vec<(String, Duration)> = Vec::new();
    let has_btf = g.arch().unwrap() != "x86";

    if has_btf {
        // System.map + task offsets from our BTF parser.
        let offs = btf_offsets(&g).expect("kernel BTF in memory");
        // An ISF exported from what the no-profile layer found.
        let isf = temp_file(&format!("{name}.json"));
        {
            let mut vmi = open(&images[0], base_config());
            LinuxOs::init(&mut vmi).unwrap();
            let os = linux(&vmi);
            let p = os.export_profile(&vmi);
            // Exported addresses are link-time: running minus the slide.
            let sample = &t.symbols[0];
            assert_eq!(
                p.symbol(&sample.0).map(|a| a.wrapping_add(os.slide())),
                Some(sample.1)
            );
            let banner = vmi.read_cstr(&Access::ksym("linux_banner")).ok();
            write_isf(&p, &isf, banner.as_deref());
            // Round trip: the file reads back to the same offsets.
            let (q, _) = vmi::profile::load_json_profile(&isf).unwrap();
            for (st, m) in MEMBERS {
                assert_eq!(
                    q.member_offset(st, m),
                    os.types().member_offset(st, m),
                    "{st}.{m}"
                );
            }
        }
        for img in &images {
            let f = img.file_name().unwrap().to_string_lossy().into_owned();
            let label = format!("{name}/{f}/no-profile");
            times.push((
                label.clone(),
                check(&label, img, base_config(), &t, Want::Everything),
            ));
            let mut c = with_offsets(base_config(), &offs);
            c.insert("sysmap", Value::Str(sysmap.clone()));
            let label = format!("{name}/{f}/System.map");
            times.push((label.clone(), check(&label, img, c, &t, Want::Everything)));
            let mut c = base_config();
            c.insert(
                "volatility_ist",
                Value::Str(isf.to_string_lossy().into_owned()),
            );
            let label = format!("{name}/{f}/ISF");
            times.push((label.clone(), check(&label, img, c, &t, Want::Everything)));
            // As on a kernel without BTF (Debian's i386): System.map or
            // kallsyms plus task offsets, modules and log without types.
            let no_btf = InitOptions { kernel_btf: false };
            let mut c = with_offsets(base_config(), &offs);
            c.insert("sysmap", Value::Str(sysmap.clone()));
            let label = format!("{name}/{f}/System.map, BTF ignored");
            let d = check_with(&label, img, c, &t, Want::Untyped, no_btf);
            times.push((label, d));
            let c = with_offsets(base_config(), &offs);
            let label = format!("{name}/{f}/kallsyms+offsets, BTF ignored");
            let d = check_with(&label, img, c, &t, Want::Untyped, no_btf);
            times.push((label, d));
        }
    } else {
        let layout = gdb_layout(&g);
        let isf = temp_file(&format!("{name}.json"));
        write_isf(&gdb_profile(&g, &layout), &isf, None);
        for img in &images {
            let f = img.file_name().unwrap().to_string_lossy().into_owned();
            // No BTF: a clear error, then config offsets with kallsyms work.
            let mut vmi = open(img, base_config());
            let err = LinuxOs::init(&mut vmi).unwrap_err().to_string();
            assert!(
                err.contains("no BTF") && err.contains("linux_tasks"),
                "{err}"
            );
            let label = format!("{name}/{f}/kallsyms+offsets");
            let c = with_offsets(base_config(), &layout);
            times.push((label.clone(), check(&label, img, c, &t, Want::Untyped)));
            // A System.map alone: as clear.
            let mut c = base_config();
            c.insert("sysmap", Value::Str(sysmap.clone()));
            let mut vmi = open(img, c);
            let err = LinuxOs::init(&mut vmi).unwrap_err().to_string();
            assert!(
                err.contains("no BTF") && err.contains("linux_tasks") && err.contains("profile"),
                "{err}"
            );
            let mut c = with_offsets(base_config(), &layout);
            c.insert("sysmap", Value::Str(sysmap.clone()));
            let label = format!("{name}/{f}/System.map");
            times.push((label.clone(), check(&label, img, c, &t, Want::Untyped)));
            let mut c = base_config();
            c.insert(
                "volatility_ist",
                Value::Str(isf.to_string_lossy().into_owned()),
            );
            let label = format!("{name}/{f}/ISF(gdb)");
            times.push((label.clone(), check(&label, img, c, &t, Want::Everything)));
        }
    }
    for (l, d) in times {
        eprintln!("init time {l}: {:.1} ms", d.as_secs_f64() * 1e3);
    }
    let _ = &t.name;
}

#[test]
fn linux_x86_64() {
    run("x86_64");
}

#[test]
fn linux_x86_64_la57() {
    run("x86_64-la57");
}

#[test]
fn linux_x86_64_5g() {
    run("x86_64-5g");
}

#[test]
fn linux_i386_pae() {
    run("i386-pae");
}

#[test]
fn linux_i386() {
    run("i386");
}

#[test]
fn linux_arm64() {
    run("arm64");
}
