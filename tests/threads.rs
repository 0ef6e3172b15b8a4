//! One instance used from several threads at once: readers translate and
//! read kernel memory while another thread keeps flushing every cache. Each
//! read must give the same bytes as a single-threaded read beforehand.

#[path = "guests/support.rs"]
mod guest_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use vmi::config::{Config, Value};
use vmi::instance::{Access, Vmi};

fn linux_instance(g: &guest_support::Guest, offsets: [u64; 5]) -> Vmi {
    let mut vmi = Vmi::open_file(&g.mem_raw(), false).expect("open image");
    let mut c = Config::new();
    c.insert("ostype", Value::Str("Linux".into()));
    c.insert(
        "sysmap",
        Value::Str(g.system_map_path().to_string_lossy().into_owned()),
    );
    let keys = [
        "linux_tasks",
        "linux_mm",
        "linux_pid",
        "linux_name",
        "linux_pgd",
    ];
    for (k, v) in keys.iter().zip(offsets) {
        c.insert(*k, Value::Num(v));
    }
    vmi.set_config(c);
    vmi::os::init_os(&mut vmi).expect("Linux init");
    vmi
}

/// The guest kernel's task offsets as gdb reads them from its DWARF
/// vmlinux (tests/guests/offsets.sh, cached next to the image).
fn task_offsets(name: &str) -> [u64; 5] {
    let file = guest_support::guests_root().join(name).join("offsets.txt");
    if !file.exists() {
        let ok = std::process::Command::new("bash")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/guests/offsets.sh"
            ))
            .arg(name)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "tests/guests/offsets.sh {name} failed");
    }
    let text = std::fs::read_to_string(&file).expect("offsets.txt");
    let get = |k: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{k} missing in {}", file.display()))
    };
    [
        "linux_tasks",
        "linux_mm",
        "linux_pid",
        "linux_name",
        "linux_pgd",
    ]
    .map(get)
}

#[test]
fn readers_and_a_flusher_agree_with_a_single_thread() {
    let Some(g) = guest_support::load_or_skip("x86_64") else {
        return;
    };
    let vmi = Arc::new(linux_instance(&g, task_offsets("x86_64")));
    let text = vmi.ksym2v("_text").expect("_text");
    let vas: Vec<u64> = (0..2048u64)
        .map(|i| text + i * 4096 + (i * 72) % 4096 / 8 * 8)
        .collect();
    let expected: Vec<u64> = vas
        .iter()
        .map(|&va| vmi.read_u64(&Access::pid(0, va)).expect("read"))
        .collect();
    let procs_expected = vmi.os().unwrap().processes(&vmi).expect("processes");

    let stop = Arc::new(AtomicBool::new(false));
    let flusher = {
        let (vmi, stop) = (Arc::clone(&vmi), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                vmi.caches.flush_all();
                vmi.caches.v2p.flush_dtb(vmi.kernel_dtb());
                n += 1;
            }
            n
        })
    };
    let readers: Vec<_> = (0..4)
        .map(|t| {
            let (vmi, vas, expected) = (Arc::clone(&vmi), vas.clone(), expected.clone());
            std::thread::spawn(move || {
                for round in 0..20 {
                    for (i, &va) in vas.iter().enumerate().skip(t) {
                        let got = vmi
                            .read_u64(&Access::pid(0, va))
                            .expect("read under flushing");
                        assert_eq!(got, expected[i], "thread {t} round {round} va {va:#x}");
                    }
                }
            })
        })
        .collect();
    let walker = {
        let vmi = Arc::clone(&vmi);
        std::thread::spawn(move || {
            for _ in 0..50 {
                let p = vmi
                    .os()
                    .unwrap()
                    .processes(&vmi)
                    .expect("processes under flushing");
                assert_eq!(p, procs_expected);
            }
        })
    };
    for r in readers {
        r.join().expect("reader thread");
    }
    walker.join().expect("walker thread");
    stop.store(true, Ordering::Relaxed);
    let flushes = flusher.join().expect("flusher");
    assert!(flushes > 0);
}
