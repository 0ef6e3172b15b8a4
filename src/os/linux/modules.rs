//! Loaded kernel modules: the `modules` list of `struct module`, with the
//! layout from the profile (6.1: `core_layout.base/size`; 6.4+:
//! `mem[MOD_TEXT].base/size`). Without types, names come from the fixed
//! head of the struct and base/size from [`infer_core_pair`].

use hashbrown::HashSet;

use super::types::Types;
use crate::error::{Error, Result};
use crate::instance::{Access, Vmi};
use crate::os::Module;

/// More modules than any kernel loads; bounds a corrupted list.
pub const MAX_MODULES: usize = 1 << 14;
/// Plausible list heads the image search walks before giving up.
const MAX_CANDIDATES: usize = 1024;
/// `enum module_state`: LIVE, COMING, GOING, UNFORMED.
const MAX_MODULE_STATE: u32 = 3;

/// Where the fields of `struct module` are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleLayout {
    pub list: u64,
    pub name: u64,
    pub name_len: u64,
    /// Offset of the core (6.1) / text (6.4+) base pointer and size;
    /// `None` when only the fixed part of the layout is known.
    pub base: Option<u64>,
    pub size: Option<u64>,
}

impl ModuleLayout {
    pub fn from_types(p: Types<'_>, ptr_width: u64) -> Result<ModuleLayout> {
        let missing = Error::NotFound(
            "struct module layout (needs a profile with types, or a kernel with BTF)",
        );
        let list = p.member_offset("module", "list").ok_or(missing)?;
        let name = p.member_offset("module", "name").ok_or(missing)?;
        let name_len = p
            .array_len("module", "name")
            .filter(|n| (1..=4096).contains(n))
            .unwrap_or(64 - ptr_width);
        let (base, size) = if let Some(core) = p.member_offset("module", "core_layout") {
            let b = p.member_offset("module_layout", "base").ok_or(missing)?;
            let s = p.member_offset("module_layout", "size").ok_or(missing)?;
            (core.wrapping_add(b), core.wrapping_add(s))
        } else {
            // mem[0] is MOD_TEXT.
            let mem = p.member_offset("module", "mem").ok_or(missing)?;
            let b = p.member_offset("module_memory", "base").ok_or(missing)?;
            let s = p.member_offset("module_memory", "size").ok_or(missing)?;
            (mem.wrapping_add(b), mem.wrapping_add(s))
        };
        Ok(ModuleLayout {
            list,
            name,
            name_len,
            base: Some(base),
            size: Some(size),
        })
    }

    /// The part of `struct module` that has not moved in any kernel since
    /// 2.6: `enum module_state state; struct list_head list; char
    /// name[64 - sizeof(long)];`. Enough to list modules by name (what
    /// upstream's module-list example prints) without a profile's types;
    /// bases and sizes stay unknown.
    pub fn fixed(ptr_width: u64) -> ModuleLayout {
        let list = ptr_width.max(4);
        ModuleLayout {
            list,
            name: list + 2 * ptr_width,
            name_len: 64 - ptr_width,
            base: None,
            size: None,
        }
    }
}

/// A module name as the kernel allows it: printable, no spaces, NUL-ended.
pub fn module_name(raw: &[u8]) -> Option<String> {
    let len = raw.iter().position(|&b| b == 0)?;
    let name = &raw[..len];
    (len > 0 && name.iter().all(|b| b.is_ascii_graphic()))
        .then(|| String::from_utf8_lossy(name).into_owned())
}

/// The list's modules as (address of `struct module`, name), walking the
/// list whose head is at `head` (kernel VA) through `kpgd`.
fn entries(vmi: &Vmi, kpgd: u64, head: u64, l: &ModuleLayout) -> Result<Vec<(u64, String)>> {
    let ptr = |va: u64| vmi.read_addr(&Access::dtb(kpgd, va));
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut cur = ptr(head)?;
    while cur != head {
        if cur == 0 || !seen.insert(cur) || seen.len() > MAX_MODULES {
            return Err(Error::Malformed("module list is cyclic or broken"));
        }
        let m = cur.wrapping_sub(l.list);
        let mut raw = vec![0u8; l.name_len as usize];
        vmi.read(&Access::dtb(kpgd, m.wrapping_add(l.name)), &mut raw)
            .into_result()?;
        let name = module_name(&raw).ok_or(Error::Malformed("module name"))?;
        out.push((m, name));
        cur = ptr(cur)?;
    }
    Ok(out)
}

/// Walks the list whose head is at `head` (kernel VA) through `kpgd`.
pub fn walk(vmi: &Vmi, kpgd: u64, head: u64, l: &ModuleLayout) -> Result<Vec<Module>> {
    let ptr = |va: u64| vmi.read_addr(&Access::dtb(kpgd, va));
    entries(vmi, kpgd, head, l)?
        .into_iter()
        .map(|(m, name)| {
            let base = match l.base {
                Some(b) => ptr(m.wrapping_add(b))?,
                None => 0,
            };
            let size = match l.size {
                Some(o) => vmi.read_u32(&Access::dtb(kpgd, m.wrapping_add(o)))? as u64,
                None => 0,
            };
            Ok(Module { name, base, size })
        })
        .collect()
}

/// Bytes of each `struct module` searched for its core (base, size) pair:
/// 6.1 has `core_layout` at 256 (i386) / 320 (x86_64, arm64).
const CORE_WINDOW: usize = 1024;
/// Largest module allocation believed.
const MAX_CORE_SIZE: u64 = 64 << 20;

/// A `(void *base, unsigned int size)` pair at `off` in `bytes`.
fn read_pair(bytes: &[u8], off: usize, w: usize) -> Option<(u64, u64)> {
    let b = bytes.get(off..off.checked_add(w)?)?;
    let s = bytes.get(off + w..off + w + 4)?;
    let mut x = [0u8; 8];
    x[..w].copy_from_slice(b);
    let size = u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as u64;
    Some((u64::from_le_bytes(x), size))
}

/// Without types: the offset in `struct module` of the `(void *base,
/// unsigned int size)` pair that describes the allocation holding the
/// struct itself — `core_layout` (up to 6.3) or the `mem[]` entry holding
/// the module's data (6.4+). `windows` are (address of the struct, its
/// first bytes) for every listed module; an offset is only returned if it
/// fits all of them: base page-aligned in the kernel half, size in 1..=64
/// MiB, `base <= struct < base + size`, allocations distinct. Offsets whose
/// sizes are all page multiples (strict module RWX) are preferred. The
/// search starts at `from` (after the name) on pointer alignment.
pub fn infer_core_pair(windows: &[(u64, Vec<u8>)], from: u64, ptr_width: u64) -> Option<u64> {
    if windows.is_empty() {
        return None;
    }
    let w = ptr_width as usize;
    let kernel_half = if w == 8 {
        0xffff_0000_0000_0000
    } else {
        0x8000_0000
    };
    let fits = |m: u64, (base, size): (u64, u64)| {
        base >= kernel_half
            && base % crate::addr::PAGE_SIZE == 0
            && (1..=MAX_CORE_SIZE).contains(&size)
            && base <= m
            && m - base < size
    };
    let start = (from as usize).div_ceil(w) * w;
    let valid_at = |off: usize, page_sizes: bool| -> bool {
        let mut bases = HashSet::new();
        windows.iter().all(|(m, bytes)| {
            read_pair(bytes, off, w).is_some_and(|p| {
                fits(*m, p)
                    && (!page_sizes || p.1 % crate::addr::PAGE_SIZE == 0)
                    && bases.insert(p.0)
            })
        })
    };
    for page_sizes in [true, false] {
        let mut off = start;
        while off + w + 4 <= CORE_WINDOW {
            if valid_at(off, page_sizes) {
                return Some(off as u64);
            }
            off += w;
        }
    }
    None
}

/// Walks the list with the fixed layout and, where [`infer_core_pair`]
/// finds the core allocation's fields, fills in bases and sizes; the
/// offset found is returned with the modules (`None`: names only).
pub fn walk_inferring(
    vmi: &Vmi,
    kpgd: u64,
    head: u64,
    fixed: &ModuleLayout,
    ptr_width: u64,
) -> Result<(Vec<Module>, Option<u64>)> {
    let list = entries(vmi, kpgd, head, fixed)?;
    let windows: Vec<(u64, Vec<u8>)> = list
        .iter()
        .map(|(m, _)| {
            let mut buf = vec![0u8; CORE_WINDOW];
            // Near a page the module does not map, keep what read.
            let got = vmi.read(&Access::dtb(kpgd, *m), &mut buf).bytes;
            buf.truncate(got);
            (*m, buf)
        })
        .collect();
    let off = infer_core_pair(&windows, fixed.name + fixed.name_len, ptr_width);
    let mods = list
        .into_iter()
        .zip(&windows)
        .map(|((_, name), (_, bytes))| {
            let (base, size) = off
                .and_then(|o| read_pair(bytes, o as usize, ptr_width as usize))
                .unwrap_or((0, 0));
            Module { name, base, size }
        })
        .collect();
    Ok((mods, off))
}

/// Looks for the `modules` list head in the kernel image when no symbol
/// names it: a list_head in the image whose neighbours are `struct
/// module`s outside the image (cache-line aligned, with a module name), and
/// whose whole ring is such modules. `image` is the image's bytes,
/// `image_va` the running address of its first byte.
pub fn find_head(
    vmi: &Vmi,
    kpgd: u64,
    image: &[u8],
    image_va: u64,
    ptr_width: u64,
    l: &ModuleLayout,
) -> Option<u64> {
    let w = ptr_width as usize;
    let read = |b: &[u8]| -> u64 {
        let mut x = [0u8; 8];
        x[..w].copy_from_slice(&b[..w]);
        u64::from_le_bytes(x)
    };
    let image_end = image_va.wrapping_add(image.len() as u64);
    let kernel_half = if w == 8 {
        0xffff_0000_0000_0000
    } else {
        0xc000_0000
    };
    let outside = |v: u64| v >= kernel_half && !(image_va..image_end).contains(&v);
    let mut tried = 0usize;
    let mut off = 0usize;
    while off + 2 * w <= image.len() && tried < MAX_CANDIDATES {
        let next = read(&image[off..]);
        let prev = read(&image[off + w..]);
        let plausible = outside(next)
            && outside(prev)
            && next.wrapping_sub(l.list) % 64 == 0
            && prev.wrapping_sub(l.list) % 64 == 0;
        // `state` opens every struct module; a value outside the enum
        // rules a candidate out with one read instead of a list walk.
        let state_ok = |entry: u64| {
            vmi.read_u32(&Access::dtb(kpgd, entry.wrapping_sub(l.list)))
                .is_ok_and(|st| st <= MAX_MODULE_STATE)
        };
        if plausible && state_ok(next) && state_ok(prev) {
            tried += 1;
            let head = image_va.wrapping_add(off as u64);
            if let Ok(mods) = walk(vmi, kpgd, head, l) {
                let back = vmi
                    .read_addr(&Access::dtb(kpgd, next.wrapping_add(ptr_width)))
                    .ok();
                if !mods.is_empty() && back == Some(head) {
                    return Some(head);
                }
            }
        }
        off += w;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_are_checked() {
        assert_eq!(module_name(b"dummy\0\0\0").as_deref(), Some("dummy"));
        assert_eq!(module_name(b"crc7\0garbage").as_deref(), Some("crc7"));
        assert_eq!(module_name(b"\0dummy"), None);
        assert_eq!(module_name(b"no terminator"), None);
        assert_eq!(module_name(b"bad name\0"), None);
        assert_eq!(module_name(b"bad\x01\0"), None);
    }

    /// A `struct module` window with `pairs` of (offset, base, size).
    fn window(w: usize, pairs: &[(usize, u64, u32)]) -> Vec<u8> {
        let mut b = vec![0u8; 1024];
        for &(off, base, size) in pairs {
            b[off..off + w].copy_from_slice(&base.to_le_bytes()[..w]);
            b[off + w..off + w + 4].copy_from_slice(&size.to_le_bytes());
        }
        b
    }

    #[test]
    fn core_pair_found_when_it_fits_every_module() {
        // 6.1 i386: core_layout at 256; the struct 0x1c0 into a 16 KiB core.
        let mods: Vec<(u64, Vec<u8>)> = [0xd07f_6000u64, 0xd07f_1000]
            .iter()
            .map(|&b| (b + 0x2c0, window(4, &[(256, b, 0x4000)])))
            .collect();
        assert_eq!(infer_core_pair(&mods, 72, 4), Some(256));
        // x86_64 at 320, with an earlier page-aligned pointer to the
        // struct itself (mkobj.mod) followed by a small, unaligned value in
        // one module only: that offset does not fit all, 320 does.
        let bases = [0xffff_ffff_c02a_5000u64, 0xffff_ffff_c029_c000];
        let mods: Vec<(u64, Vec<u8>)> = bases
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                let m = b + 0x1000;
                let mut pairs = vec![(320, b, 0x4000)];
                if i == 0 {
                    pairs.push((96, m, 0x30));
                }
                (m, window(8, &pairs))
            })
            .collect();
        assert_eq!(infer_core_pair(&mods, 80, 8), Some(320));
        // Page-multiple sizes are preferred over an earlier odd-sized fit.
        let mods: Vec<(u64, Vec<u8>)> = bases
            .iter()
            .map(|&b| (b + 0x100, window(8, &[(96, b, 0x3001), (320, b, 0x4000)])))
            .collect();
        assert_eq!(infer_core_pair(&mods, 80, 8), Some(320));
    }

    /// Two modules in a 32-bit guest's memory, listed without types.
    #[test]
    fn walk_infers_bases_in_guest_memory() {
        use crate::os::linux::testguest::{TestGuest, KERNEL_BASE};
        let head = KERNEL_BASE + 0x1000;
        let cores = [KERNEL_BASE + 0x10_0000, KERNEL_BASE + 0x20_0000];
        let structs = [cores[0] + 0x2c0, cores[1] + 0x1c0];
        let l = ModuleLayout::fixed(4);
        let build = |close: bool| {
            let mut g = TestGuest::new();
            let nodes = [head, structs[0] + l.list, structs[1] + l.list];
            for i in 0..3 {
                let next = if i == 2 && !close {
                    nodes[1]
                } else {
                    nodes[(i + 1) % 3]
                };
                g.write_u32(nodes[i], next as u32);
                g.write_u32(nodes[i] + 4, nodes[(i + 2) % 3] as u32);
            }
            for (i, (m, name)) in structs.iter().zip(["crc7", "dummy"]).enumerate() {
                g.write(m + l.name, format!("{name}\0").as_bytes());
                g.write_u32(m + 256, cores[i] as u32);
                g.write_u32(m + 260, 0x4000 * (i as u32 + 1));
            }
            g.into_vmi()
        };
        let vmi = build(true);
        let (mods, off) = walk_inferring(&vmi, vmi.kernel_dtb(), head, &l, 4).unwrap();
        assert_eq!(off, Some(256));
        let got: Vec<_> = mods
            .iter()
            .map(|m| (m.name.as_str(), m.base, m.size))
            .collect();
        assert_eq!(
            got,
            [("crc7", cores[0], 0x4000), ("dummy", cores[1], 0x8000)]
        );
        // A list that loops back past its head fails cleanly.
        let vmi = build(false);
        assert!(walk_inferring(&vmi, vmi.kernel_dtb(), head, &l, 4).is_err());
    }

    #[test]
    fn core_pair_refused_when_anything_is_off() {
        let b = 0xffff_ffff_c02a_5000u64;
        let one = |m: u64, base: u64, size: u32| vec![(m, window(8, &[(320, base, size)]))];
        assert_eq!(infer_core_pair(&one(b + 8, b, 0x4000), 80, 8), Some(320));
        // The struct outside the allocation.
        assert_eq!(infer_core_pair(&one(b + 0x4000, b, 0x4000), 80, 8), None);
        assert_eq!(infer_core_pair(&one(b - 8, b, 0x4000), 80, 8), None);
        // Base not page-aligned, not a kernel address, size 0 or huge.
        assert_eq!(infer_core_pair(&one(b + 8, b + 8, 0x4000), 80, 8), None);
        assert_eq!(
            infer_core_pair(&one(0x7000_0008, 0x7000_0000, 0x4000), 80, 8),
            None
        );
        assert_eq!(infer_core_pair(&one(b + 8, b, 0), 80, 8), None);
        assert_eq!(infer_core_pair(&one(b + 8, b, 0xffff_f000), 80, 8), None);
        // Fits one module but not the other: names only.
        let mut mods = one(b + 8, b, 0x4000);
        mods.push((b + 0x9000, window(8, &[(312, b + 0x8000, 0x4000)])));
        assert_eq!(infer_core_pair(&mods, 80, 8), None);
        // Two modules claiming the same allocation.
        let mut mods = one(b + 8, b, 0x4000);
        mods.extend(one(b + 16, b, 0x4000));
        assert_eq!(infer_core_pair(&mods, 80, 8), None);
        // Nothing before the name's end is considered; short windows and
        // no modules at all are fine.
        assert_eq!(infer_core_pair(&one(b + 8, b, 0x4000), 400, 8), None);
        assert_eq!(infer_core_pair(&[(b + 8, vec![0u8; 10])], 80, 8), None);
        assert_eq!(infer_core_pair(&[], 80, 8), None);
    }
}
