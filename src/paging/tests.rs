//! Synthetic page tables for every mode, built by a helper that knows the
//! layouts independently of `desc.rs` (shifts and entry encodings written
//! out from the architecture manuals), then translated and enumerated.

use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;

use super::*;
use crate::driver::vecmem::VecMem;
use crate::driver::PhysicalMemory;

const MEM: usize = 16 << 20;

/// A table layout as the test understands it, root level first.
#[derive(Clone, Copy)]
struct Layout {
    entry: u64,
    /// (VA shift, index bits) per level.
    levels: &'static [(u32, u32)],
    /// Alignment of the root table.
    root_align: u64,
    table_entry: fn(u64) -> u64,
    /// Leaf entry for a page at `pa` mapped at `height` (0 = last level).
    leaf_entry: fn(u64, usize) -> u64,
}

impl Layout {
    fn height(&self, k: usize) -> usize {
        self.levels.len() - 1 - k
    }
}

struct Builder {
    mem: VecMem,
    next: u64,
    /// entry address -> table it points to.
    children: HashMap<u64, u64>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            mem: VecMem::new(vec![0; MEM]).slices(true),
            next: 0x10000,
            children: HashMap::new(),
        }
    }

    fn alloc(&mut self, bytes: u64, align: u64) -> u64 {
        let a = self.next.div_ceil(align) * align;
        self.next = a + bytes;
        assert!(self.next <= MEM as u64);
        a
    }

    fn write(&mut self, pa: u64, bytes: u64, v: u64) {
        let b = v.to_le_bytes();
        self.mem.data[pa as usize..(pa + bytes) as usize].copy_from_slice(&b[..bytes as usize]);
    }

    fn root(&mut self, l: &Layout) -> u64 {
        let bytes = l.entry << l.levels[0].1;
        self.alloc(bytes, bytes.max(l.root_align))
    }

    /// Maps `va` to `pa` with a leaf at `leaf_height`; returns the entries
    /// written on the way as (height, address, value).
    fn map(
        &mut self,
        l: &Layout,
        root: u64,
        va: u64,
        pa: u64,
        leaf_height: usize,
    ) -> Vec<(usize, u64, u64)> {
        let mut out = Vec::new();
        let mut table = root;
        for (k, &(shift, bits)) in l.levels.iter().enumerate() {
            let h = l.height(k);
            let idx = (va >> shift) & ((1 << bits) - 1);
            let ea = table + idx * l.entry;
            if h == leaf_height {
                let v = (l.leaf_entry)(pa, h);
                self.write(ea, l.entry, v);
                out.push((h, ea, v));
                return out;
            }
            let child = match self.children.get(&ea) {
                Some(&c) => c,
                None => {
                    let nbits = l.levels[k + 1].1;
                    let bytes = l.entry << nbits;
                    let c = self.alloc(bytes, bytes.max(0x1000));
                    self.children.insert(ea, c);
                    c
                }
            };
            let v = (l.table_entry)(child);
            self.write(ea, l.entry, v);
            out.push((h, ea, v));
            table = child;
        }
        unreachable!("leaf height below the last level")
    }
}

fn check(
    mem: &VecMem,
    mode: PageMode,
    ctx: &PagingContext,
    va: u64,
    pa: u64,
    size: u64,
    entries: &[(usize, u64, u64)],
) {
    check_span(mem, mode, ctx, va, pa, size, size, entries)
}

/// `check` for offsets below `span`: replicated ARM entries cover only
/// part of their page each.
#[allow(clippy::too_many_arguments)]
fn check_span(
    mem: &VecMem,
    mode: PageMode,
    ctx: &PagingContext,
    va: u64,
    pa: u64,
    size: u64,
    span: u64,
    entries: &[(usize, u64, u64)],
) {
    for off in [0, 0x123, span - 1] {
        let t = translate(mem, mode, ctx, va + off)
            .unwrap_or_else(|e| panic!("{mode:?} va {:#x}: {e}", va + off));
        assert_eq!(t.pa, pa + off, "{mode:?} va {:#x}", va + off);
        assert_eq!(t.page_size.bytes(), size, "{mode:?} va {va:#x}");
        assert_eq!(t.page_base_va, va);
        assert_eq!(t.va, va + off);
        let mut valid = 0u8;
        for &(h, ea, v) in entries {
            assert_eq!(
                t.levels[h],
                LevelEntry {
                    entry_addr: ea,
                    entry_value: v
                },
                "{mode:?} h{h}"
            );
            valid |= 1 << h;
        }
        assert_eq!(t.valid, valid);
        assert_eq!(t.depth as usize, entries.len());
        assert_eq!(t.leaf as usize, entries.last().unwrap().0);
        for h in 0..5 {
            if valid & (1 << h) == 0 {
                assert_eq!(t.levels[h], LevelEntry::default());
            }
        }
    }
}

/// Enumerates and checks that exactly `expect` (va, pa, size) is found and
/// that each reported entry set matches what a translation reads.
fn check_enum(mem: &VecMem, mode: PageMode, ctx: &PagingContext, expect: &[(u64, u64, u64)]) {
    let mut seen = BTreeSet::new();
    for_each_page(mem, mode, ctx, |t| {
        assert!(
            seen.insert((t.va, t.pa, t.page_size.bytes())),
            "duplicate {:#x}",
            t.va
        );
        let w = translate(mem, mode, ctx, t.va).unwrap();
        assert_eq!(
            (w.pa, w.page_size, w.levels, w.valid, w.leaf),
            (t.pa, t.page_size, t.levels, t.valid, t.leaf)
        );
        ControlFlow::Continue(())
    })
    .unwrap();
    let want: BTreeSet<_> = expect.iter().copied().collect();
    assert_eq!(seen, want, "{mode:?}");
}

const KB4: u64 = 1 << 12;
const MB2: u64 = 1 << 21;
const GB1: u64 = 1 << 30;

fn x86_table(b: u64) -> u64 {
    b | 0x7
}
fn x86_leaf(pa: u64, h: usize) -> u64 {
    // NX and a few attribute bits must not leak into the address.
    pa | 0x63 | (1 << 63) | if h > 0 { 0x80 } else { 0 }
}
fn legacy_leaf(pa: u64, h: usize) -> u64 {
    pa | 0x63 | if h > 0 { 0x80 } else { 0 }
}
fn ept_table(b: u64) -> u64 {
    b | 0x7
}
fn ept_leaf(pa: u64, h: usize) -> u64 {
    // Execute-only: present for EPT although bit 0 is clear.
    pa | 0x4 | (6 << 3) | if h > 0 { 0x80 } else { 0 }
}
fn arm_table(b: u64) -> u64 {
    b | 3
}
fn arm_leaf(pa: u64, h: usize) -> u64 {
    // AF and inner-shareable bits; blocks are 0b01, pages 0b11.
    pa | 0x700 | (1 << 54) | if h > 0 { 1 } else { 3 }
}

const IA32E: Layout = Layout {
    entry: 8,
    levels: &[(39, 9), (30, 9), (21, 9), (12, 9)],
    root_align: 0x1000,
    table_entry: x86_table,
    leaf_entry: x86_leaf,
};
const LA57: Layout = Layout {
    entry: 8,
    levels: &[(48, 9), (39, 9), (30, 9), (21, 9), (12, 9)],
    root_align: 0x1000,
    table_entry: x86_table,
    leaf_entry: x86_leaf,
};
const PAE: Layout = Layout {
    entry: 8,
    levels: &[(30, 2), (21, 9), (12, 9)],
    root_align: 32,
    // PDPTEs have only the present bit architecturally.
    table_entry: |b| b | 1,
    leaf_entry: x86_leaf,
};
const LEGACY: Layout = Layout {
    entry: 4,
    levels: &[(22, 10), (12, 10)],
    root_align: 0x1000,
    table_entry: x86_table,
    leaf_entry: legacy_leaf,
};
const EPT: Layout = Layout {
    entry: 8,
    levels: &[(39, 9), (30, 9), (21, 9), (12, 9)],
    root_align: 0x1000,
    table_entry: ept_table,
    leaf_entry: ept_leaf,
};
const EPT5: Layout = Layout {
    levels: LA57.levels,
    ..EPT
};
const A64_4K48: Layout = Layout {
    entry: 8,
    levels: &[(39, 9), (30, 9), (21, 9), (12, 9)],
    root_align: 0x1000,
    table_entry: arm_table,
    leaf_entry: arm_leaf,
};
const A64_4K39: Layout = Layout {
    levels: &[(30, 9), (21, 9), (12, 9)],
    ..A64_4K48
};
const A64_16K48: Layout = Layout {
    levels: &[(47, 1), (36, 11), (25, 11), (14, 11)],
    ..A64_4K48
};
const A64_64K48: Layout = Layout {
    levels: &[(42, 6), (29, 13), (16, 13)],
    root_align: 512,
    ..A64_4K48
};
const A64_64K42: Layout = Layout {
    levels: &[(29, 13), (16, 13)],
    ..A64_4K48
};
const LPAE: Layout = Layout {
    levels: &[(30, 2), (21, 9), (12, 9)],
    root_align: 32,
    ..A64_4K48
};

/// Builds `maps` (va, pa, size) and checks translation and enumeration.
fn run(
    l: &Layout,
    mode: PageMode,
    mut ctx: PagingContext,
    maps: &[(u64, u64, u64)],
    sizes: &[u64],
) {
    let mut b = Builder::new();
    let root = b.root(l);
    ctx.root = root;
    let mut written = Vec::new();
    for &(va, pa, size) in maps {
        let leaf_height = sizes
            .iter()
            .position(|&s| s == size)
            .expect("size of this layout");
        written.push(b.map(l, root, va, pa, leaf_height));
    }
    for mem in [
        &b.mem,
        &VecMem::with_ranges(b.mem.data.clone(), b.mem.ranges.clone()),
    ] {
        for (&(va, pa, size), entries) in maps.iter().zip(&written) {
            check(mem, mode, &ctx, va, pa, size, entries);
        }
        check_enum(mem, mode, &ctx, maps);
    }
    faults(l, mode, ctx, maps[0].0);
}

/// With one 4 KiB mapping, changing the index at each level must fault at
/// that level.
fn faults(l: &Layout, mode: PageMode, mut ctx: PagingContext, va: u64) {
    let mut b = Builder::new();
    let root = b.root(l);
    ctx.root = root;
    if let ArmRoots::Split { .. } = ctx.arm_roots {
        ctx.arm_roots = ArmRoots::Split { upper: root };
    }
    b.map(l, root, va, 0x4000_0000, 0);
    for (k, &(shift, bits)) in l.levels.iter().enumerate() {
        let mask = ((1u64 << bits) - 1) << shift;
        let other = (va & !mask) | (va.wrapping_add(1 << shift) & mask);
        let err = translate(&b.mem, mode, &ctx, other).unwrap_err();
        assert_eq!(
            err,
            Error::PageNotPresent {
                va: other,
                level: l.height(k) as u8 + 1
            },
            "{mode:?} k{k}"
        );
        let mut t = Translation::default();
        assert!(walk(&b.mem, mode, &ctx, other, &mut t).is_err());
        assert_eq!(t.depth as usize, k + 1, "partial walk keeps entries read");
    }
}

#[test]
fn ia32e_all_sizes() {
    let maps = [
        (0x0000_7f12_3456_7000, 0x1234_5678_9000, KB4),
        (0x0000_7f12_3456_8000, 0x000f_ffff_f000, KB4),
        (0x0000_0000_4020_0000, 0x0008_0020_0000, MB2),
        (0xffff_8880_0000_0000, 0x0000_4000_0000, GB1),
        (0xffff_ffff_8120_0000, 0x0001_2340_0000, MB2),
    ];
    run(
        &IA32E,
        PageMode::Ia32e,
        PagingContext::new(0),
        &maps,
        &[KB4, MB2, GB1],
    );
}

#[test]
fn ia32e_la57_all_sizes() {
    let maps = [
        (0x00ff_7f12_3456_7000, 0x1234_5678_9000, KB4),
        (0x0000_0000_4020_0000, 0x0008_0020_0000, MB2),
        (0xff11_0000_4000_0000, 0x0000_4000_0000, GB1),
    ];
    run(
        &LA57,
        PageMode::Ia32eLa57,
        PagingContext::new(0),
        &maps,
        &[KB4, MB2, GB1],
    );
}

#[test]
fn pae_all_sizes() {
    let maps = [
        (0x0804_8000, 0xf_1234_5000, KB4),
        (0xc060_0000, 0x3_0000_0000, MB2),
        (0xc000_1000, 0x1000, KB4),
    ];
    run(
        &PAE,
        PageMode::Pae,
        PagingContext::new(0),
        &maps,
        &[KB4, MB2],
    );
}

#[test]
fn legacy_all_sizes() {
    let maps = [
        (0x0804_8000, 0x1234_5000, KB4),
        (0xc040_0000, 0x0080_0000, 1 << 22),
        (0xfffff000, 0xfffff000, KB4),
    ];
    run(
        &LEGACY,
        PageMode::Legacy,
        PagingContext::new(0),
        &maps,
        &[KB4, 1 << 22],
    );
}

#[test]
fn ept_4_and_5_level() {
    let maps = [
        (0x1_2345_6000, 0x7_0000_1000, KB4),
        (0x20_0000, 0x40_0000, MB2),
        (0x80_4000_0000, 0x4000_0000, GB1),
    ];
    run(
        &EPT,
        PageMode::Ept4,
        PagingContext::new(0),
        &maps,
        &[KB4, MB2, GB1],
    );
    let maps5 = [
        (0x1_0000_1234_5000, 0x7_0000_1000, KB4),
        (0x80_4000_0000, 0x4000_0000, GB1),
    ];
    run(
        &EPT5,
        PageMode::Ept5,
        PagingContext::new(0),
        &maps5,
        &[KB4, MB2, GB1],
    );
}

fn a64(t0sz: u8, tg0: ArmGranule, t1sz: u8, tg1: ArmGranule, roots: ArmRoots) -> PagingContext {
    let mut c = PagingContext::new(0);
    c.tcr = ArmTcr {
        t0sz,
        t1sz,
        tg0,
        tg1,
    };
    c.arm_roots = roots;
    c
}

#[test]
fn aarch64_4k() {
    let ctx = a64(16, ArmGranule::K4, 16, ArmGranule::K4, ArmRoots::Lower);
    let maps = [
        (0x0000_aaaa_0000_1000, 0x8000_1000, KB4),
        (0x0000_0000_0060_0000, 0x4060_0000, MB2),
        (0x0000_0080_4000_0000, 0x80_4000_0000, GB1),
    ];
    run(&A64_4K48, PageMode::Aarch64, ctx, &maps, &[KB4, MB2, GB1]);
    // 39-bit: three levels starting at level 1.
    let ctx = a64(25, ArmGranule::K4, 25, ArmGranule::K4, ArmRoots::Lower);
    let maps = [
        (0x0000_0055_5555_5000, 0x8000_1000, KB4),
        (0x0000_0040_0000_0000, 0x4000_0000, GB1),
    ];
    run(&A64_4K39, PageMode::Aarch64, ctx, &maps, &[KB4, MB2, GB1]);
}

#[test]
fn aarch64_16k_and_64k() {
    let ctx = a64(16, ArmGranule::K16, 16, ArmGranule::K16, ArmRoots::Lower);
    let maps = [
        (0x0000_8123_4567_c000, 0x8000_4000, 1 << 14),
        (0x0000_0000_0200_0000, 0x1_0000_0000, 1 << 25),
    ];
    run(
        &A64_16K48,
        PageMode::Aarch64,
        ctx,
        &maps,
        &[1 << 14, 1 << 25],
    );

    let ctx = a64(16, ArmGranule::K64, 16, ArmGranule::K64, ArmRoots::Lower);
    let maps = [
        (0x0000_8123_4567_0000, 0x8001_0000, 1 << 16),
        (0x0000_0000_2000_0000, 0x1_2000_0000, 1 << 29),
    ];
    run(
        &A64_64K48,
        PageMode::Aarch64,
        ctx,
        &maps,
        &[1 << 16, 1 << 29],
    );

    let ctx = a64(22, ArmGranule::K64, 22, ArmGranule::K64, ArmRoots::Lower);
    let maps = [
        (0x0000_0123_4567_0000, 0x8001_0000, 1 << 16),
        (0x0000_0000_2000_0000, 0x1_2000_0000, 1 << 29),
    ];
    run(
        &A64_64K42,
        PageMode::Aarch64,
        ctx,
        &maps,
        &[1 << 16, 1 << 29],
    );
}

#[test]
fn aarch64_ttbr1_half() {
    // Root is TTBR1: upper-half addresses, enumerated sign-extended.
    let ctx = a64(16, ArmGranule::K4, 16, ArmGranule::K4, ArmRoots::Upper);
    let maps = [
        (0xffff_8000_1000_0000, 0x4000_0000, KB4),
        (0xffff_ffc0_0820_0000, 0x4820_0000, MB2),
    ];
    run(&A64_4K48, PageMode::Aarch64, ctx, &maps, &[KB4, MB2, GB1]);
    // TTBR1 with a 39-bit half.
    let ctx = a64(16, ArmGranule::K4, 25, ArmGranule::K4, ArmRoots::Upper);
    let maps = [(0xffff_ffc0_1000_0000, 0x4000_0000, KB4)];
    run(&A64_4K39, PageMode::Aarch64, ctx, &maps, &[KB4, MB2, GB1]);
}

#[test]
fn aarch64_split_roots() {
    let mut b = Builder::new();
    let lo = b.root(&A64_4K48);
    let hi = b.root(&A64_4K39);
    let e_lo = b.map(&A64_4K48, lo, 0x0000_4000_0000_0000, 0x1000, 0);
    let e_hi = b.map(&A64_4K39, hi, 0xffff_ffc0_0000_2000, 0x2000, 0);
    let mut ctx = a64(
        16,
        ArmGranule::K4,
        25,
        ArmGranule::K4,
        ArmRoots::Split { upper: hi },
    );
    // TTBR values carry an ASID in bits 63:48 and CnP in bit 0.
    ctx.root = lo | (0x42 << 48) | 1;
    ctx.arm_roots = ArmRoots::Split {
        upper: hi | (0x42 << 48),
    };
    check(
        &b.mem,
        PageMode::Aarch64,
        &ctx,
        0x0000_4000_0000_0000,
        0x1000,
        KB4,
        &e_lo,
    );
    check(
        &b.mem,
        PageMode::Aarch64,
        &ctx,
        0xffff_ffc0_0000_2000,
        0x2000,
        KB4,
        &e_hi,
    );
    check_enum(
        &b.mem,
        PageMode::Aarch64,
        &ctx,
        &[
            (0x0000_4000_0000_0000, 0x1000, KB4),
            (0xffff_ffc0_0000_2000, 0x2000, KB4),
        ],
    );
}

#[test]
fn aarch64_invalid_level3_and_reserved_block() {
    let l = A64_4K48;
    let mut b = Builder::new();
    let root = b.root(&l);
    let e = b.map(&l, root, 0x1000, 0x5000, 0);
    let mut ctx = a64(16, ArmGranule::K4, 16, ArmGranule::K4, ArmRoots::Lower);
    ctx.root = root;
    assert_eq!(
        translate(&b.mem, PageMode::Aarch64, &ctx, 0x1000).map(|t| t.pa),
        Ok(0x5000)
    );
    // 0b01 at level 3 is reserved, not a page.
    b.write(e[3].1, 8, 0x5000 | 1);
    assert_eq!(
        translate(&b.mem, PageMode::Aarch64, &ctx, 0x1000),
        Err(Error::PageNotPresent {
            va: 0x1000,
            level: 1
        })
    );
    // A level-0 block does not exist with 4 KiB granules.
    b.write(e[0].1, 8, 0x8000_0000 | 1);
    assert_eq!(
        translate(&b.mem, PageMode::Aarch64, &ctx, 0x1000),
        Err(Error::PageNotPresent {
            va: 0x1000,
            level: 4
        })
    );
}

#[test]
fn aarch32_lpae() {
    let mut ctx = PagingContext::new(0);
    ctx.flags.aarch32_lpae = true;
    ctx.tcr = ArmTcr::from_ttbcr_lpae(0x8000_0000);
    let maps = [
        (0x8000_1000, 0xff_8000_1000, KB4),
        (0xc060_0000, 0x1_0060_0000, MB2),
        (0x4000_0000, 0x80_4000_0000, GB1),
    ];
    run(&LPAE, PageMode::Aarch32, ctx, &maps, &[KB4, MB2, GB1]);
}

/// AArch32 short descriptors, built by hand: sections, supersections,
/// coarse tables with small and large pages.
#[test]
fn aarch32_short_descriptors() {
    let mut b = Builder::new();
    let root = b.alloc(0x4000, 0x4000);
    let coarse = b.alloc(0x400, 0x400);
    // Section 1 MiB: VA 0xc010_0000 -> PA 0x8010_0000.
    let sec = 0x8010_0000 | 0xc02; // AP + section
    b.write(root + (0xc01 << 2), 4, sec);
    // Supersection 16 MiB at VA 0xd000_0000 -> PA 0x3_4500_0000 (bits 35:32 = 3).
    let ssec = 0x4500_0000 | (1 << 18) | (3 << 20) | 0x2;
    for i in 0..16 {
        b.write(root + ((0xd00 + i) << 2), 4, ssec);
    }
    // Coarse table for VA 0x0010_0000.
    let l1 = coarse | 1;
    b.write(root + (0x001 << 2), 4, l1);
    let small = 0x9abc_d000 | 0x32;
    b.write(coarse + (0x05 << 2), 4, small); // VA 0x0010_5000
    let large = 0x7777_0000 | 0x1;
    for i in 0..16 {
        b.write(coarse + ((0x10 + i) << 2), 4, large); // VA 0x0011_0000..
    }
    let ctx = PagingContext::new(root);
    let m = PageMode::Aarch32;
    check(
        &b.mem,
        m,
        &ctx,
        0xc010_0000,
        0x8010_0000,
        1 << 20,
        &[(1, root + (0xc01 << 2), sec)],
    );
    check_span(
        &b.mem,
        m,
        &ctx,
        0xd000_0000,
        0x3_4500_0000,
        1 << 24,
        1 << 20,
        &[(1, root + (0xd00 << 2), ssec)],
    );
    let t = translate(&b.mem, m, &ctx, 0xd0ff_fffc).unwrap();
    assert_eq!(
        (t.pa, t.levels[1].entry_addr),
        (0x3_45ff_fffc, root + (0xd0f << 2))
    );
    check(
        &b.mem,
        m,
        &ctx,
        0x0010_5000,
        0x9abc_d000,
        KB4,
        &[(1, root + 4, l1), (0, coarse + (5 << 2), small)],
    );
    check_span(
        &b.mem,
        m,
        &ctx,
        0x0011_0000,
        0x7777_0000,
        1 << 16,
        KB4,
        &[(1, root + 4, l1), (0, coarse + (0x10 << 2), large)],
    );
    assert_eq!(
        translate(&b.mem, m, &ctx, 0x0011_fffc).map(|t| t.pa),
        Ok(0x7777_fffc)
    );
    // A fault in the first and the second level.
    assert_eq!(
        translate(&b.mem, m, &ctx, 0x0020_0000),
        Err(Error::PageNotPresent {
            va: 0x0020_0000,
            level: 2
        })
    );
    assert_eq!(
        translate(&b.mem, m, &ctx, 0x0010_6000),
        Err(Error::PageNotPresent {
            va: 0x0010_6000,
            level: 1
        })
    );
    // Replicated entries are enumerated once.
    check_enum(
        &b.mem,
        m,
        &ctx,
        &[
            (0xc010_0000, 0x8010_0000, 1 << 20),
            (0xd000_0000, 0x3_4500_0000, 1 << 24),
            (0x0010_5000, 0x9abc_d000, KB4),
            (0x0011_0000, 0x7777_0000, 1 << 16),
        ],
    );
    // 0b11: a section with PXN on ARMv6+, a fine table when asked.
    b.write(root + (0xc01 << 2), 4, sec | 1);
    assert_eq!(
        translate(&b.mem, m, &ctx, 0xc010_0010).map(|t| t.pa),
        Ok(0x8010_0010)
    );
    let fine = b.alloc(0x1000, 0x1000);
    b.write(root + (0xc01 << 2), 4, fine | 3);
    b.write(fine + (0x3 << 2), 4, 0x5555_5c00 | 3); // tiny 1 KiB page at VA 0xc010_0c00
    let mut v5 = ctx;
    v5.flags.aarch32_fine_tables = true;
    let t = translate(&b.mem, m, &v5, 0xc010_0c10).unwrap();
    assert_eq!((t.pa, t.page_size), (0x5555_5c10, PageSize::K1));
}

#[test]
fn x86_flags() {
    let mut b = Builder::new();
    let root = b.root(&IA32E);
    let e = b.map(&IA32E, root, 0x7000, 0x1234_5000, 0);
    let pte = e[3].1;
    let ctx = PagingContext::new(root);
    let m = PageMode::Ia32e;
    // Windows transition PTE: bit 11 set, present and prototype clear.
    b.write(pte, 8, 0x1234_5000 | 0x800);
    assert!(matches!(
        translate(&b.mem, m, &ctx, 0x7000),
        Err(Error::PageNotPresent { level: 1, .. })
    ));
    let mut tctx = ctx;
    tctx.flags.transition_pages = true;
    assert_eq!(
        translate(&b.mem, m, &tctx, 0x7010).map(|t| t.pa),
        Ok(0x1234_5010)
    );
    b.write(pte, 8, 0x1234_5000 | 0xc00);
    assert!(
        translate(&b.mem, m, &tctx, 0x7000).is_err(),
        "prototype PTEs are not transition pages"
    );
    // Windows reuses high PFN bits: leaf_pa_bits 45 drops them.
    b.write(pte, 8, 0x1234_5000 | (1 << 50) | 1);
    assert_eq!(
        translate(&b.mem, m, &ctx, 0x7000).map(|t| t.pa),
        Ok((1 << 50) | 0x1234_5000)
    );
    let mut wctx = ctx;
    wctx.leaf_pa_bits = 45;
    assert_eq!(
        translate(&b.mem, m, &wctx, 0x7000).map(|t| t.pa),
        Ok(0x1234_5000)
    );
    // CR3 control bits (PCID) are ignored.
    let pctx = PagingContext::new(root | 0x5a5);
    assert_eq!(
        translate(&b.mem, m, &pctx, 0x7000).map(|t| t.pa),
        Ok((1 << 50) | 0x1234_5000)
    );

    // Legacy: PSE off turns a 4 MiB PDE into a table pointer; PSE-36
    // supplies physical bits 32..39.
    let mut b = Builder::new();
    let root = b.root(&LEGACY);
    let pde = root + (0x301 << 2);
    b.write(pde, 4, 0x0040_0000 | (0x5 << 13) | 0x83);
    let lctx = PagingContext::new(root);
    let t = translate(&b.mem, PageMode::Legacy, &lctx, 0xc040_1234).unwrap();
    assert_eq!((t.pa, t.page_size), (0x0040_1234, PageSize::M4));
    let mut p36 = lctx;
    p36.flags.pse36 = true;
    assert_eq!(
        translate(&b.mem, PageMode::Legacy, &p36, 0xc040_1234).map(|t| t.pa),
        Ok(0x5_0040_1234)
    );
    let mut nopse = lctx;
    nopse.flags.pse = false;
    // The PDE, read as a table pointer, includes bits 13..15.
    b.write(0x0040_a000 + 4, 4, 0x0abc_d000 | 1);
    let t = translate(&b.mem, PageMode::Legacy, &nopse, 0xc040_1234).unwrap();
    assert_eq!((t.pa, t.page_size, t.depth), (0x0abc_d234, PageSize::K4, 2));
}

#[test]
fn ept_needs_a_permission_bit() {
    let mut b = Builder::new();
    let root = b.root(&EPT);
    let e = b.map(&EPT, root, 0x5000, 0x9000, 0);
    // EPTP: memory type WB (6) and walk length 3 in the low bits.
    let ctx = PagingContext::new(root | 0x1e);
    assert_eq!(
        translate(&b.mem, PageMode::Ept4, &ctx, 0x5000).map(|t| t.pa),
        Ok(0x9000)
    );
    b.write(e[3].1, 8, 0x9000 | (6 << 3)); // memory type only, no R/W/X
    assert_eq!(
        translate(&b.mem, PageMode::Ept4, &ctx, 0x5000),
        Err(Error::PageNotPresent {
            va: 0x5000,
            level: 1
        })
    );
    b.write(e[3].1, 8, 0x9000 | 0x2); // write-only is still "present" to a walk
    assert!(translate(&b.mem, PageMode::Ept4, &ctx, 0x5000).is_ok());
}

#[test]
fn malformed_tables_fail_cleanly() {
    let mut b = Builder::new();
    let root = b.root(&IA32E);
    let m = PageMode::Ia32e;
    // PML4[0] points at the PML4 itself: every level re-reads it, the walk
    // ends after four levels like the hardware's.
    b.write(root, 8, root | 3);
    let ctx = PagingContext::new(root);
    let t = translate(&b.mem, m, &ctx, 0x10).unwrap();
    assert_eq!((t.pa, t.depth, t.page_size), (root | 0x10, 4, PageSize::K4));
    // An entry pointing outside memory.
    b.write(root + 8, 8, (1 << 45) | 3);
    assert_eq!(
        translate(&b.mem, m, &ctx, 1 << 39),
        Err(Error::BadPageTable { va: 1 << 39 })
    );
    // A root outside memory.
    let bad = PagingContext::new(1 << 40);
    assert!(matches!(
        translate(&b.mem, m, &bad, 0),
        Err(Error::PhysicalOutOfRange { .. })
    ));
    assert!(for_each_page(&b.mem, m, &bad, |_| ControlFlow::Continue(())).is_err());
    // Enumeration skips the unreadable table and finds the self-mapped
    // pages: the root seen as a page table maps both of its entries.
    let mut pages = Vec::new();
    for_each_page(&b.mem, m, &ctx, |t| {
        pages.push((t.va, t.pa));
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(pages, vec![(0, root), (0x1000, 1 << 45)]);
    // Every entry pointing back at the root: enumeration is cut off.
    for i in 0..512 {
        b.write(root + i * 8, 8, root | 3);
    }
    let mut n = 0u64;
    let r = for_each_page_bounded(&b.mem, m, &ctx, EnumLimits { max_tables: 1000 }, |_| {
        n += 1;
        ControlFlow::Continue(())
    });
    assert!(matches!(r, Err(Error::Malformed(_))));
    assert!(n > 0 && n < 1000 * 512);
    // Early stop.
    let mut n = 0;
    for_each_page(&b.mem, m, &ctx, |_| {
        n += 1;
        if n == 10 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(n, 10);
    // Bad modes and TCRs are argument errors.
    assert!(matches!(
        translate(&b.mem, PageMode::None, &ctx, 0),
        Err(Error::InvalidArgument(_))
    ));
    let badtcr = a64(60, ArmGranule::K4, 16, ArmGranule::K4, ArmRoots::Lower);
    assert!(matches!(
        translate(&b.mem, PageMode::Aarch64, &badtcr, 0),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn tcr_decoding() {
    // TCR_EL1 as Linux sets it for 39-bit VAs with 4 KiB pages.
    let t = ArmTcr::from_tcr_el1(0x0000_0032_b559_3519);
    assert_eq!(
        t,
        ArmTcr {
            t0sz: 25,
            t1sz: 25,
            tg0: ArmGranule::K4,
            tg1: ArmGranule::K4
        }
    );
    // 48-bit, 64 KiB (TG0=01, TG1=11).
    let t = ArmTcr::from_tcr_el1((16 << 16) | 16 | (1 << 14) | (3 << 30));
    assert_eq!(
        t,
        ArmTcr {
            t0sz: 16,
            t1sz: 16,
            tg0: ArmGranule::K64,
            tg1: ArmGranule::K64
        }
    );
    let t = ArmTcr::from_tcr_el1((2 << 14) | (1 << 30));
    assert_eq!((t.tg0, t.tg1), (ArmGranule::K16, ArmGranule::K16));
}

#[test]
fn nested_walk_through_ept() {
    // Host memory holds EPT tables and the guest's IA-32e tables; the guest
    // tables live at guest-physical addresses 1 GiB above their host pages.
    let mut b = Builder::new();
    let eptp = b.root(&EPT);
    const OFF: u64 = 0x4000_0000;
    let groot_h = b.alloc(0x1000, 0x1000);
    let mut gtables = vec![groot_h];
    for _ in 0..3 {
        gtables.push(b.alloc(0x1000, 0x1000));
    }
    for &h in &gtables {
        b.map(&EPT, eptp, h + OFF, h, 0);
    }
    // Guest data at gpa 0x7_0000_0000 -> host 0x40_0000 (a 2 MiB EPT page).
    b.map(&EPT, eptp, 0x7_0000_0000, 0x40_0000, 1);
    let va: u64 = 0x0000_7fff_1234_5678;
    let idx = [
        (va >> 39) & 511,
        (va >> 30) & 511,
        (va >> 21) & 511,
        (va >> 12) & 511,
    ];
    for k in 0..3 {
        b.write(gtables[k] + idx[k] * 8, 8, (gtables[k + 1] + OFF) | 7);
    }
    b.write(gtables[3] + idx[3] * 8, 8, 0x7_0001_2000 | 3);
    let ectx = PagingContext::new(eptp);
    let nested = NestedMemory::new(&b.mem, PageMode::Ept4, ectx);
    let gctx = PagingContext::new(groot_h + OFF);
    let t = translate(&nested, PageMode::Ia32e, &gctx, va).unwrap();
    assert_eq!(t.pa, 0x7_0001_2678);
    assert_eq!(
        t.levels[3].entry_addr,
        groot_h + OFF + idx[0] * 8,
        "entry addresses are guest-physical"
    );
    let n = translate(&b.mem, PageMode::Ept4, &ectx, t.pa).unwrap();
    assert_eq!((n.pa, n.page_size), (0x41_2678, PageSize::M2));
    // read_phys through the nested view crosses pages correctly.
    b.write(gtables[1] + 0xff8, 8, 0xdead);
    b.write(gtables[2], 8, 0xbeef);
    let nested = NestedMemory::new(&b.mem, PageMode::Ept4, ectx);
    let mut buf = [0u8; 16];
    nested
        .read_phys(gtables[1] + OFF + 0xff8, &mut buf)
        .unwrap();
    assert_eq!(buf[..8], 0xdeadu64.to_le_bytes());
    assert_eq!(buf[8..], 0xbeefu64.to_le_bytes());
    assert!(nested.read_phys(0x1234_0000, &mut buf).is_err());
}

/// `cargo test --release -- --ignored --nocapture bench_ia32e` prints the
/// cost of an uncached 4-level walk over mapped memory.
#[test]
#[ignore]
fn bench_ia32e_walk() {
    let mut b = Builder::new();
    let root = b.root(&IA32E);
    let mut vas = Vec::new();
    for i in 0..1024u64 {
        let va = 0x7f00_0000_0000 + i * 0x4020_3000;
        b.map(&IA32E, root, va & 0x0000_ffff_ffff_f000, 0x1000 * i, 0);
        vas.push(va & 0x0000_ffff_ffff_f000);
    }
    let ctx = PagingContext::new(root);
    let mem: &dyn PhysicalMemory = &b.mem;
    let n = 2_000_000;
    let start = std::time::Instant::now();
    let mut acc = 0u64;
    for i in 0..n {
        let t = translate(mem, PageMode::Ia32e, &ctx, vas[i % vas.len()]).unwrap();
        acc = acc.wrapping_add(t.pa);
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    println!("ia32e 4-level walk via &dyn PhysicalMemory: {ns:.1} ns/translation (acc {acc:#x})");
}
