//! Consistency tests of the guest images built by tests/guests/make-guest.sh.
//!
//! They check the fixtures themselves (that the ground truth agrees with itself, with
//! System.map and with mem.raw), so that library tests can rely on them. An image that
//! is not built is skipped with a message, unless `VMI_REQUIRE_GUESTS=1`, which turns
//! a missing image into a failure (set it in CI after building the images).

#[path = "support.rs"]
mod guest_support;

use guest_support::{guest_built, guests_required, symbol_table, Guest, GUEST_NAMES};
use std::collections::HashMap;

/// Runs `check` on every built guest; reports all failures together.
fn each_guest(what: &str, check: impl Fn(&Guest) -> Result<(), String>) {
    let mut failures = Vec::new();
    let mut ran = 0;
    for name in GUEST_NAMES {
        if !guest_built(name) {
            if guests_required() {
                failures.push(format!("{name}: image not built (VMI_REQUIRE_GUESTS=1)"));
            } else {
                eprintln!("{what}: skipping {name}: run tests/guests/make-guest.sh {name}");
            }
            continue;
        }
        ran += 1;
        if let Err(e) = Guest::load(name).and_then(|g| check(&g)) {
            failures.push(format!("{name}: {e}"));
        }
    }
    eprintln!("{what}: checked {ran} guest image(s)");
    assert!(failures.is_empty(), "{what}:\n{}", failures.join("\n"));
}

#[test]
fn kallsyms_is_system_map_shifted_by_kaslr() {
    each_guest("kaslr", |g| {
        let off = g.kaslr_offset()?;
        let map = g.system_map()?;
        let kall = g.kallsyms()?;
        // Names that occur once in each file, text symbols only (the core kernel image
        // moves as one block; module and per-cpu symbols do not follow the slide).
        let mut count: HashMap<&str, u32> = HashMap::new();
        for s in map.iter().chain(kall.iter().filter(|s| s.module.is_none())) {
            *count.entry(&s.name).or_default() += 1;
        }
        let mapped = symbol_table(&map);
        let mut compared = 0;
        for s in kall
            .iter()
            .filter(|s| s.module.is_none() && matches!(s.kind, 'T' | 't'))
        {
            if count.get(s.name.as_str()) != Some(&2) {
                continue;
            }
            let Some(&base) = mapped.get(&s.name) else {
                continue;
            };
            let want = base.wrapping_add(off);
            if s.addr != want {
                return Err(format!(
                    "{}: kallsyms 0x{:x}, System.map+slide 0x{want:x}",
                    s.name, s.addr
                ));
            }
            compared += 1;
        }
        if compared < 1000 {
            return Err(format!("only {compared} text symbols compared"));
        }
        Ok(())
    });
}

#[test]
fn process_list_has_init_kthreadd_and_marker() {
    each_guest("processes", |g| {
        let ps = g.processes()?;
        let m = g.marker()?;
        let find = |pid| {
            ps.iter()
                .find(|p| p.pid == pid)
                .ok_or(format!("pid {pid} missing from ps.txt"))
        };
        let init = find(1)?;
        if init.comm != "init" || init.ppid != 0 {
            return Err(format!("pid 1 is {init:?}"));
        }
        if find(2)?.comm != "kthreadd" {
            return Err("pid 2 is not kthreadd".into());
        }
        let mp = find(m.pid)?;
        if mp.comm != "vmi_marker_proc" || mp.stat_name != "vmi_marker_proc" || mp.ppid != 1 {
            return Err(format!("marker entry is {mp:?}"));
        }
        if ps.len() < 20 {
            return Err(format!("only {} processes", ps.len()));
        }
        Ok(())
    });
}

#[test]
fn loaded_modules_are_listed_with_their_symbols() {
    each_guest("modules", |g| {
        let mods = g.modules()?;
        let kall = g.kallsyms()?;
        let wanted = g
            .meta
            .pointer("/kernel/modules_loaded")
            .and_then(|v| v.as_array())
            .ok_or("meta.json lacks kernel.modules_loaded")?;
        if wanted.len() != 2 {
            return Err(format!("{} modules recorded, want 2", wanted.len()));
        }
        for w in wanted {
            let w = w.as_str().ok_or("module name is not a string")?;
            let m = mods
                .iter()
                .find(|m| m.name == w)
                .ok_or(format!("{w} not in /proc/modules"))?;
            let inside = kall.iter().any(|s| {
                s.module.as_deref() == Some(w) && s.addr >= m.addr && s.addr < m.addr + m.size
            });
            if m.addr == 0 || !inside {
                return Err(format!("{w} at 0x{:x}: no [{w}] symbol inside it", m.addr));
            }
        }
        Ok(())
    });
}

#[test]
fn marker_arguments_sit_at_their_physical_address() {
    each_guest("marker", |g| {
        let m = g.marker()?;
        if m.cmdline.len() as u64 != m.arg_end - m.arg_start
            || m.environ.len() as u64 != m.env_end - m.env_start
        {
            return Err("cmdline/environ lengths disagree with arg/env bounds".into());
        }
        let has =
            |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
        if !has(&m.cmdline, &m.marker_arg) || !has(&m.environ, &m.marker_env) {
            return Err("marker strings missing from cmdline/environ".into());
        }
        for (pa, bytes) in [
            (m.arg_start_phys, &m.cmdline),
            (m.env_start_phys, &m.environ),
        ] {
            let pa = pa.ok_or("pagemap gave no physical address")?;
            let n = bytes.len().min(4096 - (pa & 0xfff) as usize);
            if g.read_phys(pa, n)? != bytes[..n] {
                return Err(format!(
                    "mem.raw at 0x{pa:x} does not hold the marker bytes"
                ));
            }
        }
        Ok(())
    });
}

#[test]
fn ram_layout_covers_the_guest_view() {
    each_guest("ram", |g| {
        let ranges = g.ram_ranges()?;
        let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
        let mem = g.memory_size()?;
        // The flat view hides a few ROM/VGA windows of the first MiB.
        if total > mem || total + (1 << 20) < mem {
            return Err(format!("ranges add up to {total}, RAM is {mem}"));
        }
        let raw_len = std::fs::metadata(g.mem_raw())
            .map_err(|e| e.to_string())?
            .len();
        if ranges.iter().any(|r| r.end > raw_len) {
            return Err("mem.raw is shorter than the RAM map".into());
        }
        for (s, e) in g.iomem_system_ram()? {
            if !ranges.iter().any(|r| r.start <= s && e < r.end) {
                return Err(format!(
                    "guest System RAM 0x{s:x}-0x{e:x} is outside ram_ranges"
                ));
            }
        }
        Ok(())
    });
}

#[test]
fn registers_match_the_page_mode() {
    each_guest("registers", |g| {
        let mode = g.page_mode()?;
        if mode == "Aarch64" {
            let (t1, tcr) = (g.register("ttbr1_el1")?, g.register("tcr_el1")?);
            return if t1 & 0x0000_ffff_ffff_f000 != 0 && tcr != 0 {
                Ok(())
            } else {
                Err("ttbr1_el1/tcr_el1 empty".into())
            };
        }
        let (cr0, cr4) = (g.register("cr0")?, g.register("cr4")?);
        let efer = g.register("efer")?;
        let paging = cr0 & (1 << 31) != 0;
        let pae = cr4 & (1 << 5) != 0;
        let la57 = cr4 & (1 << 12) != 0;
        let lma = efer & (1 << 10) != 0;
        let got = match (paging, pae, lma, la57) {
            (true, false, false, false) => "Legacy",
            (true, true, false, false) => "Pae",
            (true, true, true, false) => "Ia32e",
            (true, true, true, true) => "Ia32eLa57",
            _ => "?",
        };
        if got != mode {
            return Err(format!("registers say {got}, meta says {mode}"));
        }
        Ok(())
    });
}

/// Format 2: the MSRs the x86 guests read through msr.ko hold the entry points
/// Linux installs (the truth the register-based KASLR tests rely on), and match
/// meta.json's registers.
#[test]
fn msrs_point_at_entry_symbols() {
    each_guest("msr", |g| {
        let arch = g.arch()?;
        if arch == "arm64" {
            return Ok(());
        }
        if g.format() < 2 && !guests_required() {
            eprintln!(
                "msr: skipping {}: format {} has no MSR truth",
                g.name,
                g.format()
            );
            return Ok(());
        }
        if g.format() < 2 {
            return Err(format!(
                "format {} has no MSR truth: rebuild with tests/guests/make-guest.sh {}",
                g.format(),
                g.name
            ));
        }
        let (module, msrs) = g.msrs()?;
        if module != "ok" {
            eprintln!("msr: {}: no MSRs ({module})", g.name);
            return Ok(());
        }
        let kall = symbol_table(&g.kallsyms()?);
        let mut want = vec![("sysenter_eip", "entry_SYSENTER_32")];
        if arch == "x86_64" {
            want = vec![
                ("lstar", "entry_SYSCALL_64"),
                ("sysenter_eip", "entry_SYSENTER_compat"),
            ];
        }
        for (msr, sym) in want {
            let v = *msrs.get(msr).ok_or(format!("{msr} not read"))?;
            let s = *kall.get(sym).ok_or(format!("{sym} not in kallsyms"))?;
            if v != s || g.register(msr)? != v {
                return Err(format!(
                    "{msr}=0x{v:x}, {sym}=0x{s:x}, meta.json says 0x{:x}",
                    g.register(msr)?
                ));
            }
        }
        if !g.modules()?.iter().any(|m| m.name == "msr") {
            return Err("msr is not in /proc/modules".into());
        }
        Ok(())
    });
}
