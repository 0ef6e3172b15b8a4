//! Reader for the guest images that `tests/guests/make-guest.sh` writes to
//! `target/guests/NAME/`. Include it from an integration test with
//! `#[path = "guests/support.rs"] mod guest_support;` (or `#[path = "support.rs"]`
//! from `tests/guests/main.rs`). Everything returns `Result<_, String>` so a test
//! can say exactly which fixture file is wrong.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// All guest names make-guest.sh knows, most important first.
pub const GUEST_NAMES: [&str; 6] = [
    "x86_64",
    "i386-pae",
    "arm64",
    "i386",
    "x86_64-la57",
    "x86_64-5g",
];

/// `target/guests` of this checkout, or `$VMI_GUESTS_DIR` when set.
pub fn guests_root() -> PathBuf {
    match std::env::var_os("VMI_GUESTS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join("guests"),
    }
}

/// Whether `make-guest.sh NAME` has completed for this checkout.
pub fn guest_built(name: &str) -> bool {
    guests_root().join(name).join(".complete").is_file()
}

/// Whether tests must fail (not skip) when an image is missing: `VMI_REQUIRE_GUESTS=1`.
pub fn guests_required() -> bool {
    std::env::var("VMI_REQUIRE_GUESTS")
        .map(|v| v == "1")
        .unwrap_or(false)
}

/// The guest `name`, or `None` (with a note) when its image is not built;
/// a missing image fails the test under `VMI_REQUIRE_GUESTS=1`.
pub fn load_or_skip(name: &str) -> Option<Guest> {
    if !guest_built(name) {
        assert!(
            !guests_required(),
            "guest image {name} is required (VMI_REQUIRE_GUESTS=1) but not built"
        );
        eprintln!("note: guest image {name} not built; skipped");
        return None;
    }
    Some(Guest::load(name).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// Every `step`-th core-kernel symbol whose name is unique in `all` (no
/// module symbols, no absolute ones), as (name, address).
pub fn unique_core_symbols(all: &[Symbol], samples: usize) -> Vec<(String, u64)> {
    let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for s in all {
        *count.entry(&s.name).or_default() += 1;
    }
    let core: Vec<_> = all
        .iter()
        .filter(|s| s.module.is_none() && !matches!(s.kind, 'A' | 'a'))
        .filter(|s| count[s.name.as_str()] == 1)
        .collect();
    core.iter()
        .step_by(core.len() / samples.max(1) + 1)
        .map(|s| (s.name.clone(), s.addr))
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub addr: u64,
    pub kind: char,
    pub name: String,
    /// `Some("dummy")` for `[dummy]` module symbols in /proc/kallsyms.
    pub module: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    /// `/proc/PID/comm` (may carry a workqueue suffix for kworkers, unlike `task_struct.comm`).
    pub comm: String,
    /// The name field of `/proc/PID/stat`.
    pub stat_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    pub size: u64,
    pub addr: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RamRange {
    pub start: u64,
    /// Exclusive.
    pub end: u64,
    pub backend_offset: u64,
}

/// The marker process (`truth/marker.txt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub pid: u32,
    pub comm: String,
    /// The distinctive argument (also inside `cmdline`).
    pub marker_arg: String,
    /// The distinctive `NAME=value` environment entry (also inside `environ`).
    pub marker_env: String,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    /// Raw `/proc/PID/cmdline` (NUL-separated), equal to user memory [arg_start, arg_end).
    pub cmdline: Vec<u8>,
    /// Raw `/proc/PID/environ`, equal to user memory [env_start, env_end).
    pub environ: Vec<u8>,
    /// Physical address of `arg_start` from /proc/PID/pagemap, when present.
    pub arg_start_phys: Option<u64>,
    pub env_start_phys: Option<u64>,
}

pub struct Guest {
    pub name: String,
    pub dir: PathBuf,
    pub meta: serde_json::Value,
}

fn read_text(p: &Path) -> Result<String, String> {
    fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

fn hex_u64(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    u64::from_str_radix(t, 16).map_err(|e| format!("bad hex {s:?}: {e}"))
}

fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if s.len() % 2 != 0 {
        return Err(format!("odd-length hex string of {} chars", s.len()));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("bad hex byte: {e}")))
        .collect()
}

/// Parses System.map or /proc/kallsyms text (`ADDR TYPE NAME [\[module\]]`).
pub fn parse_symbols(text: &str) -> Result<Vec<Symbol>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut it = line.split_whitespace();
        let (Some(a), Some(k), Some(name)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let addr = hex_u64(a).map_err(|e| format!("line {}: {e}", n + 1))?;
        let module = it
            .next()
            .map(|m| m.trim_start_matches('[').trim_end_matches(']').to_string());
        out.push(Symbol {
            addr,
            kind: k.chars().next().unwrap_or('?'),
            name: name.to_string(),
            module,
        });
    }
    Ok(out)
}

/// First address of each symbol name (kernel symbols only, module symbols skipped).
pub fn symbol_table(symbols: &[Symbol]) -> HashMap<String, u64> {
    let mut m = HashMap::new();
    for s in symbols.iter().filter(|s| s.module.is_none()) {
        m.entry(s.name.clone()).or_insert(s.addr);
    }
    m
}

impl Guest {
    /// Loads `target/guests/NAME`; fails if make-guest.sh has not completed it.
    pub fn load(name: &str) -> Result<Guest, String> {
        let dir = guests_root().join(name);
        if !dir.join(".complete").is_file() {
            return Err(format!(
                "guest image {name} is not built: run tests/guests/make-guest.sh {name}"
            ));
        }
        let meta = serde_json::from_str(&read_text(&dir.join("meta.json"))?)
            .map_err(|e| format!("{}/meta.json: {e}", dir.display()))?;
        Ok(Guest {
            name: name.to_string(),
            dir,
            meta,
        })
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn meta_str(&self, ptr: &str) -> Result<&str, String> {
        self.meta
            .pointer(ptr)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{}: meta.json lacks string {ptr}", self.name))
    }

    fn meta_u64(&self, ptr: &str) -> Result<u64, String> {
        self.meta
            .pointer(ptr)
            .and_then(|v| v.as_u64())
            .ok_or_else(|| format!("{}: meta.json lacks integer {ptr}", self.name))
    }

    /// "x86_64", "x86" or "arm64".
    pub fn arch(&self) -> Result<&str, String> {
        self.meta_str("/arch")
    }

    /// Name of the crate's `PageMode` variant: Legacy, Pae, Ia32e, Ia32eLa57, Aarch64.
    pub fn page_mode(&self) -> Result<&str, String> {
        self.meta_str("/page_mode")
    }

    pub fn kernel_release(&self) -> Result<&str, String> {
        self.meta_str("/kernel/release")
    }

    /// Guest RAM in bytes.
    pub fn memory_size(&self) -> Result<u64, String> {
        self.meta_u64("/memory_size")
    }

    /// `mem.raw`: file offset == guest-physical address, zero outside `ram_ranges`.
    pub fn mem_raw(&self) -> PathBuf {
        self.path("mem.raw")
    }

    /// QEMU's ELF core of the same stopped state.
    pub fn core_elf(&self) -> PathBuf {
        self.path("core.elf")
    }

    /// The real System.map from the kernel's -dbg package.
    pub fn system_map_path(&self) -> PathBuf {
        self.path("System.map")
    }

    /// DWARF vmlinux in the download cache, when it was extracted.
    pub fn vmlinux(&self) -> Option<PathBuf> {
        let rel = self.meta.pointer("/vmlinux")?.as_str()?;
        let p = self.dir.join(rel);
        p.is_file().then_some(p)
    }

    /// A vCPU register at the stop, by lower-case name (`cr3`, `ttbr1_el1`, ...).
    pub fn register(&self, name: &str) -> Result<u64, String> {
        hex_u64(self.meta_str(&format!("/registers/{name}"))?)
    }

    /// KASLR slide: kallsyms address minus System.map address (wrapping).
    pub fn kaslr_offset(&self) -> Result<u64, String> {
        hex_u64(self.meta_str("/kaslr/offset")?)
    }

    pub fn ram_ranges(&self) -> Result<Vec<RamRange>, String> {
        let arr = self
            .meta
            .pointer("/ram_ranges")
            .and_then(|v| v.as_array())
            .ok_or_else(|| format!("{}: meta.json lacks ram_ranges", self.name))?;
        arr.iter()
            .map(|r| {
                let f = |k: &str| {
                    r.get(k)
                        .and_then(|v| v.as_u64())
                        .ok_or_else(|| format!("ram range lacks {k}"))
                };
                Ok(RamRange {
                    start: f("start")?,
                    end: f("end")?,
                    backend_offset: f("backend_offset")?,
                })
            })
            .collect()
    }

    pub fn kallsyms(&self) -> Result<Vec<Symbol>, String> {
        parse_symbols(&read_text(&self.path("truth/kallsyms"))?)
    }

    pub fn system_map(&self) -> Result<Vec<Symbol>, String> {
        parse_symbols(&read_text(&self.system_map_path())?)
    }

    /// `truth/version`: the guest's /proc/version, trimmed.
    pub fn version(&self) -> Result<String, String> {
        Ok(read_text(&self.path("truth/version"))?.trim().to_string())
    }

    /// `truth/ps.txt`: one process per line, `pid\tppid\tcomm\tstat_name`, `#` comments.
    pub fn processes(&self) -> Result<Vec<Process>, String> {
        let text = read_text(&self.path("truth/ps.txt"))?;
        let mut out = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 4 {
                return Err(format!("ps.txt: bad line {line:?}"));
            }
            let num = |s: &str| s.parse::<u32>().map_err(|e| format!("ps.txt: {s:?}: {e}"));
            out.push(Process {
                pid: num(f[0])?,
                ppid: num(f[1])?,
                comm: f[2].to_string(),
                stat_name: f[3].to_string(),
            });
        }
        Ok(out)
    }

    /// `truth/modules` (/proc/modules): name, size, load address.
    pub fn modules(&self) -> Result<Vec<Module>, String> {
        let text = read_text(&self.path("truth/modules"))?;
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 {
                return Err(format!("modules: bad line {line:?}"));
            }
            out.push(Module {
                name: f[0].to_string(),
                size: f[1].parse().map_err(|e| format!("modules: {e}"))?,
                addr: hex_u64(f[5])?,
            });
        }
        Ok(out)
    }

    /// `truth/iomem` top-level "System RAM" ranges as (start, end inclusive).
    pub fn iomem_system_ram(&self) -> Result<Vec<(u64, u64)>, String> {
        let text = read_text(&self.path("truth/iomem"))?;
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with(' ')) {
            let Some((range, what)) = line.split_once(" : ") else {
                continue;
            };
            if what.trim() != "System RAM" {
                continue;
            }
            let (a, b) = range
                .split_once('-')
                .ok_or_else(|| format!("iomem: bad line {line:?}"))?;
            out.push((hex_u64(a)?, hex_u64(b)?));
        }
        Ok(out)
    }

    /// Physical start of "Kernel code" in `truth/iomem`: where `_text` sits.
    pub fn iomem_kernel_code(&self) -> Result<u64, String> {
        let text = read_text(&self.path("truth/iomem"))?;
        text.lines()
            .filter_map(|l| l.trim_start().split_once(" : "))
            .find(|(_, what)| what.trim() == "Kernel code")
            .and_then(|(range, _)| range.split_once('-'))
            .ok_or_else(|| format!("{}: no Kernel code in truth/iomem", self.name))
            .and_then(|(a, _)| hex_u64(a))
    }

    /// meta.json `format` (1 when absent). Format 2 added the x86 MSR truth.
    pub fn format(&self) -> u64 {
        self.meta
            .pointer("/format")
            .and_then(|v| v.as_u64())
            .unwrap_or(1)
    }

    /// `truth/msr.txt` (x86, format 2): `module` (`ok`, or why msr.ko was not
    /// used) and the MSRs the guest read itself, by name (`lstar`,
    /// `sysenter_eip`, ...). Unreadable MSRs are absent.
    pub fn msrs(&self) -> Result<(String, HashMap<String, u64>), String> {
        let text = read_text(&self.path("truth/msr.txt"))?;
        let mut module = String::new();
        let mut values = HashMap::new();
        for (k, v) in text.lines().filter_map(|l| l.split_once('=')) {
            if k == "module" {
                module = v.to_string();
            } else if v.starts_with("0x") {
                values.insert(k.to_string(), hex_u64(v)?);
            }
        }
        Ok((module, values))
    }

    /// `truth/marker.txt` (`key=value`; numbers decimal, `*_hex` keys hex).
    pub fn marker(&self) -> Result<Marker, String> {
        let text = read_text(&self.path("truth/marker.txt"))?;
        let kv: HashMap<&str, &str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .collect();
        let get = |k: &str| {
            kv.get(k)
                .copied()
                .ok_or_else(|| format!("marker.txt lacks {k}"))
        };
        let dec = |k: &str| -> Result<u64, String> {
            get(k)?
                .parse::<u64>()
                .map_err(|e| format!("marker.txt {k}: {e}"))
        };
        let opt_hex = |k: &str| kv.get(k).map(|v| hex_u64(v)).transpose();
        Ok(Marker {
            pid: get("pid")?
                .parse()
                .map_err(|e| format!("marker.txt pid: {e}"))?,
            comm: get("comm")?.to_string(),
            marker_arg: get("marker_arg")?.to_string(),
            marker_env: get("marker_env")?.to_string(),
            arg_start: dec("arg_start")?,
            arg_end: dec("arg_end")?,
            env_start: dec("env_start")?,
            env_end: dec("env_end")?,
            cmdline: hex_bytes(get("cmdline_hex")?)?,
            environ: hex_bytes(get("environ_hex")?)?,
            arg_start_phys: opt_hex("arg_start_phys_hex")?,
            env_start_phys: opt_hex("env_start_phys_hex")?,
        })
    }

    /// Reads `len` bytes of guest-physical memory from mem.raw.
    pub fn read_phys(&self, pa: u64, len: usize) -> Result<Vec<u8>, String> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = fs::File::open(self.mem_raw()).map_err(|e| format!("mem.raw: {e}"))?;
        f.seek(SeekFrom::Start(pa))
            .map_err(|e| format!("mem.raw seek 0x{pa:x}: {e}"))?;
        let mut buf = vec![0u8; len];
        f.read_exact(&mut buf)
            .map_err(|e| format!("mem.raw read 0x{pa:x}+{len}: {e}"))?;
        Ok(buf)
    }
}
