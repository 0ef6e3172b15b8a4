//! Loaded kernel modules: the `modules` list of `struct module`, with the
//! layout from the profile (6.1: `core_layout.base/size`; 6.4+:
//! `mem[MOD_TEXT].base/size`).

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

/// Walks the list whose head is at `head` (kernel VA) through `kpgd`.
pub fn walk(vmi: &Vmi, kpgd: u64, head: u64, l: &ModuleLayout) -> Result<Vec<Module>> {
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
        let base = match l.base {
            Some(b) => ptr(m.wrapping_add(b))?,
            None => 0,
        };
        let size = match l.size {
            Some(o) => vmi.read_u32(&Access::dtb(kpgd, m.wrapping_add(o)))? as u64,
            None => 0,
        };
        out.push(Module { name, base, size });
        cur = ptr(cur)?;
    }
    Ok(out)
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
}
