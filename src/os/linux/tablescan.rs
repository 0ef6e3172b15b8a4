//! Finds the kallsyms tables without reading all of guest memory.
//!
//! The kernel's address table (`kallsyms_offsets`, or `kallsyms_addresses`
//! on old kernels) is one sorted array of 4- or 8-byte values, hundreds of
//! KiB long on any kernel with a useful symbol table. One page every
//! [`STRIDE`] bytes is enough to land inside it, and a page of it has a
//! shape that little else in memory has: a monotonic run of values with
//! many distinct steps. Each such page is only a candidate; the caller
//! confirms it by decoding the tables around it. Reading one page in 64
//! (and touching nothing else) makes this an order of magnitude cheaper
//! than searching every byte for the kernel's banner.

use crate::addr::PAGE_SIZE;
use crate::driver::{PhysRange, PhysicalMemory};

/// Sampling distance; address tables shorter than this plus a page may be
/// missed (the caller then falls back to a full search).
pub const STRIDE: u64 = 128 << 10;
/// Candidates handed out at most (each costs the caller a table decode).
const MAX_CANDIDATES: usize = 8;
/// Strict steps a page of the table must show (of 1024 or 512 values).
const MIN_STEPS_32: usize = 256;
const MIN_STEPS_64: usize = 128;
/// How far back a table's start is followed page by page, and how many
/// pages all such walks of one search may read.
const MAX_WALK: u64 = 16 << 20;
const WALK_BUDGET: u32 = 16 << 10;

fn u32_at(p: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]])
}

fn u64_at(p: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&p[i..i + 8]);
    u64::from_le_bytes(b)
}

/// Direction of a monotonic page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// 4-byte values, non-decreasing (relative offsets, 32-bit addresses).
    Up32,
    /// 4-byte values, non-increasing (x86-64 absolute-percpu offsets:
    /// kernel addresses are stored negated).
    Down32,
    /// 8-byte kernel addresses, non-decreasing.
    Up64,
}

/// Does this full page look like a piece of a kallsyms address table?
pub fn page_shape(page: &[u8]) -> Option<Shape> {
    if page.len() < PAGE_SIZE as usize {
        return None;
    }
    let page = &page[..PAGE_SIZE as usize];
    // 4-byte view: count steps both ways; a table page has steps one way
    // only.
    let (mut up, mut down) = (0usize, 0usize);
    let mut prev = u32_at(page, 0);
    for i in (4..page.len()).step_by(4) {
        let v = u32_at(page, i);
        up += (v > prev) as usize;
        down += (v < prev) as usize;
        prev = v;
    }
    if down == 0 && up >= MIN_STEPS_32 {
        return Some(Shape::Up32);
    }
    if up == 0 && down >= MIN_STEPS_32 {
        return Some(Shape::Down32);
    }
    // 8-byte view: upper-half kernel addresses only (page-table pages are
    // sorted too, but hold physical addresses and flags).
    let mut steps = 0usize;
    let mut prev = u64_at(page, 0);
    if prev >> 48 != 0xffff {
        return None;
    }
    for i in (8..page.len()).step_by(8) {
        let v = u64_at(page, i);
        if v < prev || v >> 48 != 0xffff {
            return None;
        }
        steps += (v > prev) as usize;
        prev = v;
    }
    (steps >= MIN_STEPS_64).then_some(Shape::Up64)
}

/// First and last value of a page of shape `shape`, in its view.
fn ends(page: &[u8], shape: Shape) -> (u64, u64) {
    let n = PAGE_SIZE as usize;
    match shape {
        Shape::Up64 => (u64_at(page, 0), u64_at(page, n - 8)),
        _ => (u32_at(page, 0) as u64, u32_at(page, n - 4) as u64),
    }
}

/// Cheap first test on the head of a page: the first 16 words are
/// monotonic one way, not all equal.
fn head_may_match(head: &[u8]) -> bool {
    let Some(head) = head.get(..64) else {
        return false;
    };
    let (mut up, mut down) = (0, 0);
    for i in (4..64).step_by(4) {
        let (a, b) = (u32_at(head, i - 4), u32_at(head, i));
        up += (b > a) as usize;
        down += (b < a) as usize;
    }
    // 8-byte values read as 4-byte ones alternate; let the full test judge
    // pages whose high words look like kernel addresses.
    (up > 0) != (down > 0) || u32_at(head, 4) >> 16 == 0xffff
}

/// Reads the page at `pa` (page aligned) without copying when the source
/// lends it; `buf` holds it otherwise.
fn page<'a>(mem: &'a dyn PhysicalMemory, pa: u64, buf: &'a mut [u8]) -> Option<&'a [u8]> {
    match mem.page_slice(pa) {
        Some(s) if s.len() >= PAGE_SIZE as usize => Some(s),
        _ => {
            mem.read_phys(pa, buf).ok()?;
            Some(buf)
        }
    }
}

/// Walks back from a table page to the first page of the run (the table
/// starts in it or right after it); `None` once `budget` pages are spent.
fn run_start(
    mem: &dyn PhysicalMemory,
    r: &PhysRange,
    pa: u64,
    shape: Shape,
    budget: &mut u32,
) -> Option<u64> {
    let mut buf = vec![0u8; PAGE_SIZE as usize];
    let mut at = pa;
    while at >= r.start.saturating_add(PAGE_SIZE) && pa - at < MAX_WALK {
        *budget = budget.checked_sub(1)?;
        let prev = at - PAGE_SIZE;
        match page(mem, prev, &mut buf) {
            Some(p) if page_shape(p) == Some(shape) => at = prev,
            _ => return Some(prev),
        }
    }
    Some(at)
}

/// Hands each candidate address table in `ranges` (searched in order) to
/// `confirm`, as the physical start of the page where its monotonic run
/// begins, until `confirm` returns true; returns whether one did. Tables
/// of 4-byte offsets (every kernel since 4.6) are confirmed as they are
/// met; runs of 8-byte addresses, which other sorted kernel arrays (ftrace
/// call sites, ...) resemble, only after the whole pass.
pub fn search(
    mem: &dyn PhysicalMemory,
    ranges: &[PhysRange],
    mut confirm: impl FnMut(u64) -> bool,
) -> bool {
    let mut seen: Vec<u64> = Vec::new();
    let mut later: Vec<u64> = Vec::new();
    let mut buf = vec![0u8; PAGE_SIZE as usize];
    let mut budget = WALK_BUDGET;
    'ranges: for r in ranges {
        let Some(mut pa) = r.start.checked_add(STRIDE - 1).map(|v| v & !(STRIDE - 1)) else {
            continue;
        };
        // The previous sample when it matched: with the same shape and the
        // values going on the same way, this one lies in the same table,
        // which is walked back only once.
        let mut prev: Option<(u64, Shape, u64)> = None;
        while pa.checked_add(PAGE_SIZE).is_some_and(|e| e <= r.end) {
            let found = page(mem, pa, &mut buf)
                .filter(|p| head_may_match(p))
                .and_then(|p| page_shape(p).map(|s| (s, ends(p, s))));
            let shape = found.map(|(s, _)| s);
            let continues = match (prev, found) {
                (Some((at, ps, last)), Some((s, (first, _)))) => {
                    at + STRIDE == pa
                        && ps == s
                        && if s == Shape::Down32 {
                            first <= last
                        } else {
                            first >= last
                        }
                }
                _ => false,
            };
            prev = found.map(|(s, (_, last))| (pa, s, last));
            if let (Some(shape), false) = (shape, continues) {
                let Some(start) = run_start(mem, r, pa, shape, &mut budget) else {
                    break 'ranges;
                };
                // One table spans several samples: confirm each run once.
                if !seen.contains(&start) && !later.contains(&start) {
                    if shape == Shape::Up64 {
                        if later.len() < MAX_CANDIDATES {
                            later.push(start);
                        }
                    } else {
                        seen.push(start);
                        if confirm(start) {
                            return true;
                        }
                        if seen.len() >= MAX_CANDIDATES {
                            break 'ranges;
                        }
                    }
                }
            }
            let Some(next) = pa.checked_add(STRIDE) else {
                break;
            };
            pa = next;
        }
    }
    later.into_iter().any(confirm)
}

/// `ranges` with the part within `span` of `center` first.
pub fn near_first(ranges: &[PhysRange], center: Option<u64>, span: u64) -> Vec<PhysRange> {
    let Some(c) = center else {
        return ranges.to_vec();
    };
    let (lo, hi) = (c.saturating_sub(span), c.saturating_add(span));
    let mut near = Vec::new();
    let mut rest = Vec::new();
    for r in ranges {
        let (s, e) = (r.start.max(lo), r.end.min(hi));
        if s < e {
            near.push(PhysRange { start: s, end: e });
            if r.start < s {
                rest.push(PhysRange {
                    start: r.start,
                    end: s,
                });
            }
            if e < r.end {
                rest.push(PhysRange {
                    start: e,
                    end: r.end,
                });
            }
        } else {
            rest.push(*r);
        }
    }
    near.extend(rest);
    near
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::driver::vecmem::VecMem;

    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn shapes_of_table_pages_and_others() {
        let up: Vec<u8> = (0..1024u32).flat_map(|i| (i * 40).to_le_bytes()).collect();
        assert_eq!(page_shape(&up), Some(Shape::Up32));
        let down: Vec<u8> = (0..1024u32)
            .flat_map(|i| (u32::MAX - i * 24).to_le_bytes())
            .collect();
        assert_eq!(page_shape(&down), Some(Shape::Down32));
        let abs: Vec<u8> = (0..512u64)
            .flat_map(|i| (0xffff_ffff_8100_0000 + i * 64).to_le_bytes())
            .collect();
        assert_eq!(page_shape(&abs), Some(Shape::Up64));
        assert!(head_may_match(&up) && head_may_match(&down) && head_may_match(&abs));
        // Zeros, a constant, noise, page-table entries, too few steps.
        assert_eq!(page_shape(&[0u8; 4096]), None);
        assert_eq!(page_shape(&noise(4096, 7)), None);
        let ptes: Vec<u8> = (0..512u64)
            .flat_map(|i| (0x8000_0000_0000_0063 | (i << 12)).to_le_bytes())
            .collect();
        assert_eq!(page_shape(&ptes), None);
        let flat: Vec<u8> = (0..1024u32).flat_map(|i| (i / 8).to_le_bytes()).collect();
        assert_eq!(page_shape(&flat), None);
        // One step the wrong way spoils a page.
        let mut bad = up.clone();
        bad[2000..2004].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(page_shape(&bad), None);
        assert_eq!(page_shape(&up[..100]), None);
    }

    #[test]
    fn finds_a_table_among_noise_and_reports_its_run_start() {
        let len = 8 << 20;
        let mut img = noise(len, 99);
        // A 300 KiB table starting mid-page at 3 MiB + 0x123 * 4.
        let start = (3 << 20) + 0x48c;
        let n = 300 << 8;
        for i in 0..n {
            let at = start + 4 * i;
            img[at..at + 4].copy_from_slice(&(0x1000 + 16 * i as u32).to_le_bytes());
        }
        let ranges = vec![PhysRange {
            start: 0,
            end: len as u64,
        }];
        let mem = VecMem::with_ranges(img, ranges.clone());
        let mut got = Vec::new();
        assert!(!search(&mem, &ranges, |pa| {
            got.push(pa);
            false
        }));
        // Each run is offered once, however many samples fall in it.
        assert_eq!(got, vec![(start as u64) & !(PAGE_SIZE - 1)]);
        assert!(search(&mem, &ranges, |_| true));
        // Noise alone gives nothing.
        let quiet = VecMem::with_ranges(noise(len, 5), ranges.clone());
        assert!(!search(&quiet, &ranges, |_| panic!(
            "no candidate expected"
        )));
    }

    #[test]
    fn memory_full_of_sorted_values_is_bounded() {
        // 64 MiB of one long increasing run, then short runs every 256 KiB
        // each broken by noise: few candidates, bounded walking.
        let len = 96usize << 20;
        let mut img = vec![0u8; len];
        for (i, c) in img[..64 << 20].chunks_exact_mut(4).enumerate() {
            c.copy_from_slice(&(i as u32).to_le_bytes());
        }
        for (j, part) in img[64 << 20..].chunks_mut(256 << 10).enumerate() {
            let n = part.len();
            part[..n / 2].copy_from_slice(&noise(n / 2, j as u64 + 3));
            for (i, c) in part[n / 2..].chunks_exact_mut(4).enumerate() {
                c.copy_from_slice(&(i as u32 * 3).to_le_bytes());
            }
        }
        let ranges = vec![PhysRange {
            start: 0,
            end: len as u64,
        }];
        let mem = VecMem::with_ranges(img, ranges.clone());
        let mut offered = 0;
        assert!(!search(&mem, &ranges, |_| {
            offered += 1;
            false
        }));
        assert!(offered <= MAX_CANDIDATES, "{offered} candidates");
    }

    #[test]
    fn near_first_orders_ranges() {
        let r = [
            PhysRange { start: 0, end: 100 },
            PhysRange {
                start: 200,
                end: 400,
            },
        ];
        let o = near_first(&r, Some(300), 50);
        assert_eq!(
            o,
            vec![
                PhysRange {
                    start: 250,
                    end: 350
                },
                PhysRange { start: 0, end: 100 },
                PhysRange {
                    start: 200,
                    end: 250
                },
                PhysRange {
                    start: 350,
                    end: 400
                },
            ]
        );
        assert_eq!(near_first(&r, None, 50), r.to_vec());
    }
}
