//! The kernel's KASLR slide from vCPU registers, on the real x86 guests
//! (`target/guests/NAME`, tests/guests/README.md), with System.map and task
//! offsets (offsets.txt, from gdb on the DWARF vmlinux):
//!
//! * QEMU ELF cores carry the IDTR (QEMU note): the slide comes from the
//!   exception handlers in the IDT's gates.
//! * The MSRs the guest read itself (truth/msr.txt, guest format 2) are put
//!   in front of the image as if a live backend reported them: LSTAR on
//!   x86-64 and SYSENTER_EIP on i386 give the slide.
//! * Wrong register values are rejected by the banner check and the next
//!   way is taken.
//!
//! Every answer is compared with the guest's own truth: the KASLR offset
//! (kallsyms minus System.map), `_text` in kallsyms, and the physical
//! "Kernel code" start in /proc/iomem.

#[path = "guests/support.rs"]
mod guest_support;

use std::collections::HashMap;
use std::path::Path;

use guest_support::{guests_required, Guest};
use vmi::config::{Config, Value};
use vmi::driver::{Driver, PhysRange, PhysicalMemory, Reg, Registers};
use vmi::error::Result;
use vmi::instance::Vmi;
use vmi::os::linux::LinuxOs;

const X86_GUESTS: [&str; 5] = ["x86_64", "x86_64-la57", "x86_64-5g", "i386-pae", "i386"];

const IDT_METHOD: &str = "IDT gate 0 (IDTR of vCPU 0) minus asm_exc_divide_error";
const LSTAR_METHOD: &str = "LSTAR minus entry_SYSCALL_64";
const SYSENTER_METHOD: &str = "SYSENTER_EIP minus entry_SYSENTER_32";

/// A memory image with registers laid over it, the way a live backend
/// would report them: `extra` (vCPU 0) wins over what the image records.
struct WithRegs {
    inner: Box<dyn Driver>,
    extra: HashMap<Reg, u64>,
}

impl PhysicalMemory for WithRegs {
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()> {
        self.inner.read_phys(pa, buf)
    }
    fn page_slice(&self, pa: u64) -> Option<&[u8]> {
        self.inner.page_slice(pa)
    }
    fn contiguous(&self, pa: u64, len: usize) -> Option<&[u8]> {
        self.inner.contiguous(pa, len)
    }
    fn prefetch(&self, pa: u64, len: u64) {
        self.inner.prefetch(pa, len)
    }
    fn ranges(&self) -> &[PhysRange] {
        self.inner.ranges()
    }
}

impl Registers for WithRegs {
    fn num_vcpus(&self) -> u32 {
        self.inner
            .as_registers()
            .map_or(1, |r| r.num_vcpus().max(1))
    }
    fn get_reg(&self, reg: Reg, vcpu: u32) -> Result<u64> {
        match self.extra.get(&reg) {
            Some(v) if vcpu == 0 => Ok(*v),
            _ => match self.inner.as_registers() {
                Some(r) => r.get_reg(reg, vcpu),
                None => Err(vmi::error::Error::NotFound("register")),
            },
        }
    }
}

impl Driver for WithRegs {
    fn name(&self) -> &'static str {
        "registers-overlay"
    }
    fn as_registers(&self) -> Option<&dyn Registers> {
        Some(self)
    }
}

/// The MSR the guest read itself, or `None` (with a note) for an image
/// from before guest format 2 or a guest without msr.ko.
fn msr_truth(g: &Guest, msr: &str) -> Option<u64> {
    if g.format() < 2 {
        assert!(
            !guests_required(),
            "{}: guest format {} has no MSR truth: rebuild it (tests/guests/make-guest.sh)",
            g.name,
            g.format()
        );
        eprintln!(
            "note: {}: format {} has no MSR truth; skipped",
            g.name,
            g.format()
        );
        return None;
    }
    let (module, msrs) = g.msrs().unwrap();
    let v = msrs.get(msr).copied();
    if v.is_none() {
        eprintln!("note: {}: no {msr} ({module}); skipped", g.name);
    }
    v
}

/// Task offsets from gdb on the DWARF vmlinux (tests/guests/offsets.sh,
/// run when the image has none yet, as tests/threads.rs does).
fn offsets_config(g: &Guest) -> Config {
    if !g.path("offsets.txt").exists() {
        let _ = std::process::Command::new("bash")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/guests/offsets.sh"
            ))
            .arg(&g.name)
            .status();
    }
    let text = std::fs::read_to_string(g.path("offsets.txt")).unwrap_or_else(|e| {
        panic!(
            "{}: offsets.txt ({e}): run tests/guests/offsets.sh {}",
            g.name, g.name
        )
    });
    let mut c = Config::new();
    c.insert("ostype", Value::Str("Linux".into()));
    c.insert(
        "sysmap",
        Value::Str(g.system_map_path().to_string_lossy().into_owned()),
    );
    for (k, v) in text.lines().filter_map(|l| l.split_once('=')) {
        c.insert(k, Value::Num(v.trim().parse().unwrap()));
    }
    c
}

/// Opens `image` with `extra` registers laid over it (none: the image as
/// is) and initialises the Linux layer.
fn init(g: &Guest, image: &Path, extra: &[(Reg, u64)]) -> Vmi {
    let inner = vmi::driver::file::open(image, false).unwrap();
    let driver: Box<dyn Driver> = if extra.is_empty() {
        inner
    } else {
        Box::new(WithRegs {
            inner,
            extra: extra.iter().copied().collect(),
        })
    };
    let mut vmi = Vmi::new(driver, g.name.clone(), 0);
    vmi.set_config(offsets_config(g));
    LinuxOs::init(&mut vmi).unwrap_or_else(|e| panic!("{}: init: {e}", g.name));
    vmi
}

fn linux(vmi: &Vmi) -> &LinuxOs {
    vmi.os()
        .and_then(|o| o.as_any())
        .and_then(|a| a.downcast_ref::<LinuxOs>())
        .expect("Linux layer installed")
}

fn ptr_mask(g: &Guest) -> u64 {
    if g.arch().unwrap() == "x86" {
        0xffff_ffff
    } else {
        u64::MAX
    }
}

/// The located kernel equals the guest's truth, and was found by `method`.
fn check(g: &Guest, vmi: &Vmi, label: &str, method: &str) {
    let loc = *linux(vmi).location();
    let mask = ptr_mask(g);
    assert_eq!(loc.method, method, "{}/{label}: method", g.name);
    assert_eq!(
        loc.slide & mask,
        g.kaslr_offset().unwrap() & mask,
        "{}/{label}: slide",
        g.name
    );
    let text = g
        .kallsyms()
        .unwrap()
        .into_iter()
        .find(|s| s.name == "_text" && s.module.is_none())
        .expect("_text in kallsyms")
        .addr;
    assert_eq!(
        vmi.ksym2v("_text").unwrap() & mask,
        text,
        "{}/{label}: _text",
        g.name
    );
    assert_eq!(
        loc.text_pa,
        g.iomem_kernel_code().unwrap(),
        "{}/{label}: physical _text",
        g.name
    );
    eprintln!("{}/{label}: slide {:#x} by {method}", g.name, loc.slide);
}

/// The control registers a live backend would report (meta.json, from
/// QEMU at the stop), so that a raw image behaves like a live guest.
fn control_registers(g: &Guest) -> Vec<(Reg, u64)> {
    [
        (Reg::Cr0, "cr0"),
        (Reg::Cr3, "cr3"),
        (Reg::Cr4, "cr4"),
        (Reg::Efer, "efer"),
    ]
    .into_iter()
    .map(|(r, n)| (r, g.register(n).unwrap()))
    .collect()
}

/// The IDTR from QEMU's `info registers` at the stop ("IDT=  base limit").
fn hmp_idtr(g: &Guest) -> (u64, u64) {
    let text = std::fs::read_to_string(g.path("info-registers.txt")).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("IDT="))
        .expect("IDT= in info-registers.txt");
    let mut f = line.split_whitespace();
    let mut hex = || u64::from_str_radix(f.next().unwrap(), 16).unwrap();
    (hex(), hex())
}

/// The entry MSR of this guest's family, its name, and the method it gives.
fn entry_msr(g: &Guest) -> (Reg, &'static str, &'static str) {
    if g.arch().unwrap() == "x86_64" {
        (Reg::Lstar, "lstar", LSTAR_METHOD)
    } else {
        (Reg::SysenterEip, "sysenter_eip", SYSENTER_METHOD)
    }
}

/// The core's own registers (QEMU note: CR3, IDTR): the IDT gives the slide.
fn idt_from_core(name: &str) {
    let Some(g) = guest_support::load_or_skip(name) else {
        return;
    };
    let vmi = init(&g, &g.core_elf(), &[]);
    check(&g, &vmi, "core.elf", IDT_METHOD);
}

/// The guest's own entry MSR laid over the core and over the raw image
/// (with the control registers): the MSR gives the slide.
fn msr_slide(name: &str) {
    let Some(g) = guest_support::load_or_skip(name) else {
        return;
    };
    let (reg, key, method) = entry_msr(&g);
    let Some(value) = msr_truth(&g, key) else {
        return;
    };
    let vmi = init(&g, &g.core_elf(), &[(reg, value)]);
    check(&g, &vmi, &format!("core.elf+{key}"), method);
    let mut regs = control_registers(&g);
    regs.push((reg, value));
    let vmi = init(&g, &g.mem_raw(), &regs);
    check(&g, &vmi, &format!("mem.raw+{key}"), method);
}

/// A raw image with control registers and the IDTR as a live backend
/// reports them: the IDT path does not depend on the core format.
fn idt_live(name: &str) {
    let Some(g) = guest_support::load_or_skip(name) else {
        return;
    };
    let (base, limit) = hmp_idtr(&g);
    let mut regs = control_registers(&g);
    regs.extend([(Reg::IdtrBase, base), (Reg::IdtrLimit, limit)]);
    let vmi = init(&g, &g.mem_raw(), &regs);
    check(&g, &vmi, "mem.raw+idtr", IDT_METHOD);
}

/// Wrong registers are only candidates: a wrong MSR is rejected and the
/// IDT decides; with the IDTR wrong too, the page-table search (x86-64) or
/// the banner scan (x86-32) still finds the truth.
fn bogus_registers(name: &str) {
    let Some(g) = guest_support::load_or_skip(name) else {
        return;
    };
    let (reg, key, _) = entry_msr(&g);
    let Some(value) = msr_truth(&g, key) else {
        return;
    };
    // One 2 MiB step off: the image is mapped there, the banner is not.
    let wrong = value.wrapping_add(2 << 20) & ptr_mask(&g);
    let vmi = init(&g, &g.core_elf(), &[(reg, wrong)]);
    check(&g, &vmi, &format!("core.elf+wrong {key}"), IDT_METHOD);

    let fallback = if g.arch().unwrap() == "x86_64" {
        "slide search through the given page table"
    } else {
        "linux_banner at the profile's offset, slide from the kernel page tables"
    };
    let (base, limit) = hmp_idtr(&g);
    // An IDTR one page off (another mapped page of the cpu_entry_area),
    // then one pointing at nothing mapped, and a limit too small for gate 0.
    for idtr in [(base + 0x1000, limit), (0x1000, limit), (base, 0)] {
        let vmi = init(
            &g,
            &g.core_elf(),
            &[
                (reg, wrong),
                (Reg::IdtrBase, idtr.0),
                (Reg::IdtrLimit, idtr.1),
            ],
        );
        check(
            &g,
            &vmi,
            &format!("core.elf+wrong {key}+IDTR {:#x}/{:#x}", idtr.0, idtr.1),
            fallback,
        );
    }
}

#[test]
fn idt_slide_from_real_cores() {
    for name in X86_GUESTS {
        idt_from_core(name);
    }
}

#[test]
fn idt_slide_live_shape() {
    for name in X86_GUESTS {
        idt_live(name);
    }
}

#[test]
fn msr_slide_with_real_values() {
    for name in X86_GUESTS {
        msr_slide(name);
    }
}

#[test]
fn bogus_registers_fall_through() {
    for name in ["x86_64", "i386"] {
        bogus_registers(name);
    }
}

/// Run in a child process by `method_is_logged` (LIBVMI_DEBUG=1, output
/// not captured); does nothing in a normal run.
#[test]
fn child_logs_register_slide() {
    let Ok(name) = std::env::var("VMI_REGSLIDE_CHILD") else {
        return;
    };
    let g = Guest::load(&name).unwrap();
    let (reg, key, _) = entry_msr(&g);
    let value = g.msrs().unwrap().1[key];
    init(&g, &g.core_elf(), &[(reg, value)]);
    init(&g, &g.core_elf(), &[]);
}

/// With LIBVMI_DEBUG=1 the init log names how the slide was found.
#[test]
fn method_is_logged() {
    for name in ["x86_64", "i386"] {
        let Some(g) = guest_support::load_or_skip(name) else {
            continue;
        };
        let (_, key, method) = entry_msr(&g);
        if msr_truth(&g, key).is_none() {
            continue;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_logs_register_slide", "--nocapture"])
            .env("VMI_REGSLIDE_CHILD", name)
            .env("LIBVMI_DEBUG", "1")
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: child failed:\n{log}");
        let slide = g.kaslr_offset().unwrap() & ptr_mask(&g);
        for m in [method, IDT_METHOD] {
            let hit = log.lines().any(|l| {
                l.starts_with("libvmi: linux: kernel at pa")
                    && l.contains(&format!("({m}; "))
                    && l.contains(&format!("slide {slide:#x},"))
            });
            assert!(hit, "{name}: no init line naming {m:?} in:\n{log}");
        }
    }
}
