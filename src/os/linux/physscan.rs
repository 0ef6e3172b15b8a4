//! Bounded searches of guest-physical memory, page by page, without copying
//! when the driver can lend its pages (`page_slice`), and copies of small
//! physical windows for the parsers that want one contiguous slice.

use memchr::memmem::Finder;

use crate::addr::PAGE_SIZE;
use crate::driver::{PhysRange, PhysicalMemory};
use crate::error::{Error, Result};

/// Scans ask the source to map this much ahead at a time.
const PREFETCH: u64 = 4 << 20;

/// Largest window [`copy_window`] will allocate.
pub const MAX_WINDOW: u64 = 256 << 20;

/// The backed parts of `[start, end)`.
pub fn clip(ranges: &[PhysRange], start: u64, end: u64) -> Vec<PhysRange> {
    ranges
        .iter()
        .filter_map(|r| {
            let s = r.start.max(start);
            let e = r.end.min(end);
            (s < e).then_some(PhysRange { start: s, end: e })
        })
        .collect()
}

/// Calls `hit` with the physical address of each occurrence of `needle` in
/// `ranges`, in ascending order, until it returns `false` or `max_hits`
/// occurrences were reported. Matches may straddle page boundaries.
pub fn find_all(
    mem: &dyn PhysicalMemory,
    ranges: &[PhysRange],
    needle: &[u8],
    max_hits: usize,
    mut hit: impl FnMut(u64) -> bool,
) {
    if needle.is_empty() || needle.len() > 256 {
        return;
    }
    let finder = Finder::new(needle);
    let mut page_buf = vec![0u8; PAGE_SIZE as usize];
    // The last `needle.len() - 1` bytes of the previous page, to find
    // matches that cross into the current one.
    let keep = needle.len() - 1;
    let mut stitch: Vec<u8> = Vec::with_capacity(2 * keep);
    let mut found = 0usize;
    for r in ranges {
        let mut prev_end: Option<u64> = None;
        let mut pa = r.start;
        while pa < r.end {
            if pa % PREFETCH == 0 || pa == r.start {
                mem.prefetch(pa, PREFETCH.min(r.end - pa));
            }
            let page_end = ((pa | (PAGE_SIZE - 1)) + 1).min(r.end);
            let len = (page_end - pa) as usize;
            let bytes: &[u8] = match mem.page_slice(pa) {
                Some(s) if s.len() >= len => &s[..len],
                _ => {
                    if mem.read_phys(pa, &mut page_buf[..len]).is_err() {
                        page_buf[..len].fill(0);
                    }
                    &page_buf[..len]
                }
            };
            // A match that starts in the previous page and ends here.
            if keep > 0 && prev_end == Some(pa) && !stitch.is_empty() {
                let tail_len = stitch.len();
                stitch.extend_from_slice(&bytes[..keep.min(bytes.len())]);
                if let Some(i) = finder.find(&stitch) {
                    if i < tail_len {
                        found += 1;
                        if !hit(pa - (tail_len - i) as u64) || found >= max_hits {
                            return;
                        }
                    }
                }
            }
            for i in finder.find_iter(bytes) {
                found += 1;
                if !hit(pa + i as u64) || found >= max_hits {
                    return;
                }
            }
            stitch.clear();
            stitch.extend_from_slice(&bytes[bytes.len().saturating_sub(keep)..]);
            prev_end = Some(page_end);
            pa = page_end;
        }
    }
}

/// Copies `[start, end)` of physical memory; holes read as zeros.
pub fn copy_window(mem: &dyn PhysicalMemory, start: u64, end: u64) -> Result<Vec<u8>> {
    let len = end
        .checked_sub(start)
        .filter(|l| *l <= MAX_WINDOW)
        .ok_or(Error::InvalidArgument("physical window too large"))?;
    let mut buf = vec![0u8; len as usize];
    const CHUNK: usize = 1 << 20;
    for (i, chunk) in buf.chunks_mut(CHUNK).enumerate() {
        let pa = start + (i * CHUNK) as u64;
        if mem.read_phys(pa, chunk).is_err() {
            // Read what is backed page by page; leave the rest zero.
            for (j, page) in chunk.chunks_mut(PAGE_SIZE as usize).enumerate() {
                if mem.read_phys(pa + (j as u64) * PAGE_SIZE, page).is_err() {
                    page.fill(0);
                }
            }
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flat(Vec<u8>, Vec<PhysRange>);

    impl PhysicalMemory for Flat {
        fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()> {
            let s = pa as usize;
            let src = self
                .0
                .get(s..s + buf.len())
                .ok_or(Error::PhysicalOutOfRange { pa })?;
            buf.copy_from_slice(src);
            Ok(())
        }
        fn ranges(&self) -> &[PhysRange] {
            &self.1
        }
    }

    #[test]
    fn finds_matches_inside_and_across_pages() {
        let mut v = vec![0u8; 4 * PAGE_SIZE as usize];
        let needle = b"Linux version ";
        let at = [100usize, 4096 - 5, 2 * 4096 - 14, 3 * 4096 + 7];
        for &a in &at {
            v[a..a + needle.len()].copy_from_slice(needle);
        }
        let len = v.len() as u64;
        let mem = Flat(v, vec![PhysRange { start: 0, end: len }]);
        let mut hits = Vec::new();
        find_all(&mem, mem.ranges(), needle, 100, |pa| {
            hits.push(pa as usize);
            true
        });
        assert_eq!(hits, at);
        // Bounded and stoppable.
        let mut n = 0;
        find_all(&mem, mem.ranges(), needle, 2, |_| {
            n += 1;
            true
        });
        assert_eq!(n, 2);
        // A range split at a page boundary does not stitch across the gap.
        let split = [
            PhysRange {
                start: 0,
                end: 4096,
            },
            PhysRange {
                start: 8192,
                end: len,
            },
        ];
        let mut hits = Vec::new();
        find_all(&mem, &split, needle, 100, |pa| {
            hits.push(pa as usize);
            true
        });
        assert_eq!(hits, [100, 3 * 4096 + 7]);
    }

    #[test]
    fn windows_copy_with_holes_as_zero() {
        let mem = Flat(
            vec![7u8; 8192],
            vec![PhysRange {
                start: 0,
                end: 8192,
            }],
        );
        let w = copy_window(&mem, 4096, 4096 * 3).unwrap();
        assert_eq!(w.len(), 8192);
        assert!(w[..4096].iter().all(|&b| b == 7));
        assert!(w[4096..].iter().all(|&b| b == 0));
        assert!(copy_window(&mem, 0, MAX_WINDOW + 1).is_err());
    }
}
