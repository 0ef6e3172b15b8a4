//! Symbol and type sources: System.map text, Volatility ISF and Rekall
//! JSON (plain, gzip, xz), and BTF blobs. Each accepted input is then used
//! the way the OS layer uses it: lookups, nested members, bitfields, the
//! ISF export and its re-import.

use vmi::profile::btf::{Btf, Kind};
use vmi::profile::{self, Profile};

use super::rng::Rng;
use super::seeds;

/// Lookups by name and address the OS layer makes, plus the export.
fn exercise(p: &Profile) -> Result<(), String> {
    for name in ["init_task", "_text", "_end", "linux_banner", "", "\u{0}"] {
        let _ = p.symbol(name);
        let _ = p.symbol_entry(name);
    }
    for a in [
        0u64,
        1,
        0xffff_ffff_8100_0000,
        0xffff_ffff_8200_0000,
        u64::MAX,
    ] {
        let _ = p.symbol_at(a);
        let _ = p.nearest_symbol(a);
    }
    let names: Vec<String> = p.structs().take(64).map(|s| s.name().to_string()).collect();
    for s in &names {
        let _ = p.struct_size(s);
        let fields: Vec<String> = p
            .get_struct(s)
            .map(|d| {
                d.fields()
                    .iter()
                    .take(64)
                    .map(|f| f.name.to_string())
                    .collect()
            })
            .unwrap_or_default();
        for f in fields.iter().chain([String::new(), "nope".into()].iter()) {
            let _ = p.member(s, f);
            let _ = p.member_offset(s, f);
            let _ = p.member_offset_lenient(s, f);
            let _ = p.member_type_name(s, f);
            let _ = p.bitfield(s, f);
        }
    }
    for e in p.enums().take(16) {
        for (c, _) in e.constants.iter().take(16) {
            let _ = p.enum_value(&e.name, c);
        }
    }
    for b in p.base_types().take(16) {
        let _ = p.get_base_type(&b.name);
    }
    // The export must read back as what it was made from.
    let text = serde_json::to_vec(&profile::isf_export::to_isf(p))
        .map_err(|e| format!("ISF export does not serialise: {e}"))?;
    let back =
        profile::from_isf(&text).map_err(|e| format!("ISF export does not re-import: {e}"))?;
    if back.symbol_count() != p.symbol_count() || back.structs().len() != p.structs().len() {
        return Err(format!(
            "ISF round trip changed counts: symbols {} -> {}, structs {} -> {}",
            p.symbol_count(),
            back.symbol_count(),
            p.structs().len(),
            back.structs().len()
        ));
    }
    Ok(())
}

pub fn sysmap_seeds() -> Vec<Vec<u8>> {
    let mut s = vec![seeds::SYSTEM_MAP.as_bytes().to_vec()];
    for g in ["x86_64", "i386", "arm64"] {
        if let Ok(t) = std::fs::read(super::guests_root().join(g).join("System.map")) {
            // The first 64 KiB: real shape, cheap to parse many times.
            let cut = t[..t.len().min(64 << 10)]
                .iter()
                .rposition(|&b| b == b'\n')
                .unwrap_or(0);
            s.push(t[..cut + 1].to_vec());
        }
    }
    s
}

pub fn gen_text(rng: &mut Rng, seeds_: &[Vec<u8>], dict: &[&[u8]]) -> Vec<u8> {
    let mut b = rng.pick(seeds_).clone();
    let max = b.len() * 2 + 4096;
    super::mutate::mutate(rng, &mut b, dict, max);
    b
}

pub fn run_sysmap(bytes: &[u8]) -> Result<bool, String> {
    let p = match profile::from_system_map(bytes) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.to_string();
            return Ok(false);
        }
    };
    exercise(&p)?;
    Ok(true)
}

/// JSON seeds: the synthetic ISF and Rekall documents, and, with a guest,
/// a slice of the ISF the library exports for the real kernel.
pub fn json_seeds(guest_isf: Option<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut s = vec![
        seeds::ISF.as_bytes().to_vec(),
        seeds::REKALL.as_bytes().to_vec(),
    ];
    s.extend(guest_isf);
    s
}

pub fn gen_json(rng: &mut Rng, seeds_: &[Vec<u8>]) -> Vec<u8> {
    let mut b = gen_text(rng, seeds_, seeds::JSON_DICT);
    // Some inputs go through the decompressors; some of those are then
    // damaged after compression.
    match rng.below(8) {
        0 => b = seeds::gzip(&b),
        1 => b = seeds::xz(&b),
        _ => return b,
    }
    if rng.chance(2) {
        let max = b.len() + 1024;
        super::mutate::mutate(rng, &mut b, &[], max);
    }
    b
}

pub fn run_json(bytes: &[u8]) -> Result<bool, String> {
    let (p, _kind) = match profile::from_json(bytes) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.to_string();
            return Ok(false);
        }
    };
    exercise(&p)?;
    Ok(true)
}

/// Everything the BTF reader offers, over the first ids.
fn walk_btf(btf: &Btf, max_ids: u32) {
    let n = btf.type_count().min(max_ids);
    let _ = (btf.is_big_endian(), btf.pointer_size());
    for id in (0..n).chain([n, u32::MAX]) {
        let _ = btf.kind(id);
        let _ = btf.name(id);
        let _ = btf.type_name(id);
        let _ = btf.type_ref(id);
        let _ = btf.type_size(id);
        let _ = btf.resolve(id);
        let _ = btf.strip_qualifiers(id);
        let _ = btf.target(id);
        let _ = btf.array(id);
        let _ = btf.base_type(id);
        let _ = btf.enum_by_id(id);
        let _ = btf.func_proto(id);
        if let Ok(s) = btf.struct_by_id(id) {
            for m in s.members.iter().take(8) {
                let _ = btf.bitfield_storage(m);
                let _ = btf.member_in(id, m.name);
            }
            let _ = btf.member_in(id, "nope");
        }
    }
    for name in [
        "task_struct",
        "list_head",
        "mm_struct",
        "module",
        "printk_ringbuffer",
    ] {
        let _ = btf.struct_by_name(name);
        let _ = btf.member_offset(name, "tasks");
        let _ = btf.member(name, "next");
        let _ = btf.find(name, &[Kind::Struct, Kind::Typedef]);
    }
    let _ = btf.named_types().take(2000).count();
}

pub fn btf_seeds(guest_blobs: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let sample = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/btf/sample.btf"),
    )
    .expect("tests/data/btf/sample.btf");
    let mut s = vec![sample];
    s.extend(guest_blobs);
    s
}

pub fn gen_btf(rng: &mut Rng, seeds_: &[Vec<u8>]) -> Vec<u8> {
    let mut b = rng.pick(seeds_).clone();
    let max = b.len() + 65536;
    // Stacked mutations land mostly in the header and the first types,
    // where a bad length or id does the most damage.
    let head = if rng.chance(2) {
        b.len().min(4096)
    } else {
        b.len()
    };
    let mut front = b[..head].to_vec();
    super::mutate::mutate(rng, &mut front, &[b"\x9f\xeb\x01\x00", b"\0"], max);
    front.extend_from_slice(&b[head..]);
    b = front;
    b.truncate(max);
    b
}

pub fn run_btf(bytes: &[u8], max_ids: u32) -> Result<bool, String> {
    let _ = profile::btf::blob_len(bytes);
    let _ = profile::btf::scan_for_btf(bytes);
    let btf = match Btf::parse(bytes) {
        Ok(b) => b,
        Err(e) => {
            let _ = e.to_string();
            return Ok(false);
        }
    };
    walk_btf(&btf, max_ids);
    let mut p = Profile::default();
    vmi::os::linux::btf_profile::add_btf_types(&btf, &mut p);
    p.add_symbol("init_task", 0xffff_ffff_8200_0000, b'D');
    p.add_symbol("start_kernel", 0xffff_ffff_8100_0000, b'T');
    vmi::os::linux::btf_profile::add_symbol_types(&btf, &mut p);
    let _ = p.structs().len();
    Ok(true)
}

/// libvmi.conf text as a file and as a `VMI_CONFIG_STRING` body.
pub fn run_config(bytes: &[u8]) -> Result<bool, String> {
    use vmi::config;
    let _ = config::parse_body_bytes(bytes);
    let entries = match config::parse_file_bytes(bytes) {
        Ok(e) => e,
        Err(e) => {
            let _ = (e.to_string(), config::init_stage(&e));
            return Ok(false);
        }
    };
    for (_, c) in &entries {
        let _ = (c.os_type(), c.json_profile_path(), c.page_mode(), c.len());
        for (k, v) in c.iter() {
            let _ = (config::key_kind(k), v.as_str(), v.as_u64());
        }
    }
    if let Some((name, _)) = entries.first() {
        let name = name.clone();
        let _ = config::select_entry(entries.clone(), &name);
    }
    let _ = config::select_entry(entries, "no such entry");
    Ok(true)
}
