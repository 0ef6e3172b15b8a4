//! Initialisation with no profile on damaged copies of a real guest: the
//! kallsyms tables scrambled, the BTF header lying, memory strewn with
//! pages that look like address tables. Every case must end in an error
//! or a working layer, never a panic or a hang; where the damage leaves
//! what discovery needs intact, the result must still be right.

#[path = "guests/support.rs"]
mod guest_support;

use vmi::config::{Config, Value};
use vmi::instance::Vmi;
use vmi::os::linux::tablescan::{self, Shape};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs the no-profile init on `bytes`; the process count and the
/// kernel's physical address when it works.
fn init(bytes: &[u8], name: &str) -> Option<(usize, u64)> {
    let path = std::env::temp_dir().join(format!("vmi-damaged-{}-{name}.raw", std::process::id()));
    std::fs::write(&path, bytes).expect("write image copy");
    let result = (|| {
        let mut vmi = Vmi::open_file(&path, false).ok()?;
        let mut c = Config::new();
        c.insert("ostype", Value::Str("Linux".into()));
        vmi.set_config(c);
        vmi::os::init_os(&mut vmi).ok()?;
        let os = vmi.os()?;
        let linux = os.as_any()?.downcast_ref::<vmi::os::linux::LinuxOs>()?;
        let procs = os.processes(&vmi).ok()?.len();
        Some((procs, linux.location().text_pa))
    })();
    let _ = std::fs::remove_file(&path);
    result
}

/// Physical start of the first page of the kernel's address table, as the
/// sampled search sees it.
fn address_table(bytes: &[u8]) -> usize {
    (0..bytes.len() / 4096)
        .map(|i| i * 4096)
        .find(|&pa| {
            matches!(
                tablescan::page_shape(&bytes[pa..pa + 4096]),
                Some(Shape::Down32)
            )
        })
        .expect("an address-table page in the x86_64 guest")
}

#[test]
fn damaged_guest_images_fail_cleanly() {
    let Some(g) = guest_support::load_or_skip("x86_64") else {
        return;
    };
    let clean = std::fs::read(g.mem_raw()).expect("mem.raw");
    let (procs, text_pa) = init(&clean, "clean").expect("clean image initialises");
    assert!(procs > 2);
    let table = address_table(&clean);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);

    // 1. Scrambled bytes all over the kallsyms tables.
    let mut img = clean.clone();
    let lo = table.saturating_sub(4 << 20);
    for _ in 0..400 {
        let at = lo + (rng.next() % (8 << 20)) as usize;
        for b in &mut img[at..at + 64] {
            *b = rng.next() as u8;
        }
    }
    let _ = init(&img, "tables");

    // 2. The BTF header claims sections far past the blob.
    let mut img = clean.clone();
    let magic = [0x9f, 0xeb, 1, 0];
    let mut n = 0;
    for at in (0..img.len() - 24).step_by(4) {
        if img[at..at + 4] == magic {
            img[at + 12..at + 16].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
            img[at + 20..at + 24].copy_from_slice(&0xffff_ffffu32.to_le_bytes());
            n += 1;
        }
    }
    assert!(n > 0, "no BTF header found");
    assert!(init(&img, "btf").is_none(), "no types: no task offsets");

    // 3. Below the kernel, every free (all-zero) page the search samples
    // looks like a table: the search gives up on those after a few and
    // still finds the real one by the banner.
    let mut img = clean.clone();
    let mut decoys = 0;
    for pa in (0..text_pa as usize).step_by(tablescan::STRIDE as usize) {
        let page = &mut img[pa..pa + 4096];
        if page.iter().all(|&b| b == 0) {
            for (i, c) in page.chunks_exact_mut(4).enumerate() {
                c.copy_from_slice(&(0x1000 + 8 * i as u32).to_le_bytes());
            }
            decoys += 1;
        }
    }
    assert!(decoys > 16, "only {decoys} free pages to put decoys in");
    assert_eq!(init(&img, "decoys").map(|r| r.0), Some(procs));
}
