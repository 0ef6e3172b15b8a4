//! A LiME dump of a real guest: the x86_64 guest's RAM ranges written in
//! LiME's format (a header per range, then its bytes), opened by content,
//! must give the same physical memory as the raw image and the same
//! processes as the guest reported, with no profile.

#[path = "guests/support.rs"]
mod guest_support;

use std::io::Write;

use vmi::config::{Config, Value};
use vmi::instance::Vmi;

const LIME_MAGIC: u32 = 0x4C69_4D45;

fn write_lime(g: &guest_support::Guest, out: &std::path::Path) -> Vec<(u64, u64)> {
    let raw = std::fs::read(g.mem_raw()).expect("mem.raw");
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).expect("create"));
    let mut ranges = Vec::new();
    for r in g.ram_ranges().expect("ram ranges") {
        f.write_all(&LIME_MAGIC.to_le_bytes()).unwrap();
        f.write_all(&1u32.to_le_bytes()).unwrap();
        f.write_all(&r.start.to_le_bytes()).unwrap();
        f.write_all(&(r.end - 1).to_le_bytes()).unwrap(); // LiME ends are inclusive
        f.write_all(&[0u8; 8]).unwrap();
        f.write_all(&raw[r.start as usize..r.end as usize]).unwrap();
        ranges.push((r.start, r.end));
    }
    f.flush().unwrap();
    ranges
}

#[test]
fn lime_dump_of_a_real_guest() {
    let Some(g) = guest_support::load_or_skip("x86_64") else {
        return;
    };
    let path = std::env::temp_dir().join(format!("vmi-lime-{}.lime", std::process::id()));
    let ranges = write_lime(&g, &path);

    let mut vmi = Vmi::open_file(&path, false).expect("open LiME");
    let raw = Vmi::open_file(&g.mem_raw(), false).expect("open raw");
    let backed: Vec<(u64, u64)> = vmi
        .driver()
        .ranges()
        .iter()
        .map(|r| (r.start, r.end))
        .collect();
    assert_eq!(backed.first().map(|r| r.0), ranges.first().map(|r| r.0));
    assert_eq!(backed.last().map(|r| r.1), ranges.last().map(|r| r.1));
    assert_eq!(
        vmi.memsize(),
        ranges.iter().map(|(s, e)| e - s).sum::<u64>()
    );
    // Same bytes as the raw image, sampled across every range.
    for &(s, e) in &ranges {
        let mut pa = s;
        while pa + 4096 <= e {
            let (mut a, mut b) = ([0u8; 4096], [0u8; 4096]);
            vmi.read_pa(pa, &mut a).into_result().expect("LiME read");
            raw.read_pa(pa, &mut b).into_result().expect("raw read");
            assert_eq!(a, b, "page {pa:#x}");
            pa += 0x10_0000;
        }
    }
    // A hole between ranges reads as an error, not as zeros.
    if let Some(w) = ranges.windows(2).find(|w| w[1].0 > w[0].1) {
        let mut x = [0u8; 8];
        assert!(
            vmi.read_pa(w[0].1, &mut x).error.is_some(),
            "hole at {:#x}",
            w[0].1
        );
    }

    let mut c = Config::new();
    c.insert("ostype", Value::Str("Linux".into()));
    vmi.set_config(c);
    vmi::os::init_os(&mut vmi).expect("Linux init with no profile on a LiME dump");
    let procs = vmi.os().unwrap().processes(&vmi).expect("processes");
    let mut got: Vec<(u32, String)> = procs
        .iter()
        .filter(|p| p.pid != 0)
        .map(|p| (p.pid as u32, p.name.clone()))
        .collect();
    got.sort();
    let mut truth = g.processes().expect("truth");
    truth.sort_by_key(|t| t.pid);
    assert_eq!(got.len(), truth.len(), "process count");
    for ((pid, name), t) in got.iter().zip(truth.iter()) {
        assert_eq!(*pid, t.pid);
        // task_struct.comm holds at most 15 bytes; /proc may add a suffix.
        assert!(
            t.comm.starts_with(name.as_str()) || t.stat_name.starts_with(name.as_str()),
            "pid {pid}: {name} vs {}",
            t.comm
        );
    }
    let _ = std::fs::remove_file(&path);
}
