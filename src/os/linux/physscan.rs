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

/// Occurrences of a needle in `[low, high)`, nearest to `high` first,
/// searched lazily a chunk at a time, so a caller that stops at the first
/// good one reads only as far back as that.
pub struct BackwardHits<'a> {
    mem: &'a dyn PhysicalMemory,
    finder: memchr::memmem::FinderRev<'static>,
    low: u64,
    /// Unsearched: `[low, next)`; hits must start below `next` and may end
    /// up to `limit`.
    next: u64,
    limit: u64,
    pending: Vec<u64>,
    left: usize,
}

/// Bytes searched per step of [`BackwardHits`].
const BACK_CHUNK: u64 = 1 << 20;

impl<'a> BackwardHits<'a> {
    pub fn new(
        mem: &'a dyn PhysicalMemory,
        needle: &[u8],
        low: u64,
        high: u64,
        max_hits: usize,
    ) -> BackwardHits<'a> {
        BackwardHits {
            mem,
            finder: memchr::memmem::FinderRev::new(needle).into_owned(),
            low,
            next: high.max(low),
            limit: high.max(low),
            pending: Vec::new(),
            left: max_hits,
        }
    }
}

impl Iterator for BackwardHits<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let n = self.finder.needle().len() as u64;
        while self.pending.is_empty() && self.next > self.low && self.left > 0 && n > 0 {
            let lo = self.next.saturating_sub(BACK_CHUNK).max(self.low);
            // A match starting in this chunk may run into the previous one.
            let hi = self.next.saturating_add(n - 1).min(self.limit);
            let bytes: std::borrow::Cow<'_, [u8]> =
                match self.mem.contiguous(lo, (hi - lo) as usize) {
                    Some(b) => std::borrow::Cow::Borrowed(b),
                    None => match copy_window(self.mem, lo, hi) {
                        Ok(b) => std::borrow::Cow::Owned(b),
                        Err(_) => return None,
                    },
                };
            // Nearest first: rfind from the chunk's end.
            let mut end = bytes.len();
            while let Some(i) = self.finder.rfind(&bytes[..end]) {
                if lo + (i as u64) < self.next {
                    self.pending.push(lo + i as u64);
                }
                end = i + n as usize - 1;
                if end < n as usize {
                    break;
                }
            }
            self.pending.reverse();
            self.next = lo;
        }
        if self.left == 0 {
            return None;
        }
        let h = self.pending.pop()?;
        self.left -= 1;
        Some(h)
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

    use crate::driver::vecmem::VecMem;

    #[test]
    fn finds_matches_inside_and_across_pages() {
        let mut v = vec![0u8; 4 * PAGE_SIZE as usize];
        let needle = b"Linux version ";
        let at = [100usize, 4096 - 5, 2 * 4096 - 14, 3 * 4096 + 7];
        for &a in &at {
            v[a..a + needle.len()].copy_from_slice(needle);
        }
        let len = v.len() as u64;
        let mem = VecMem::with_ranges(v, vec![PhysRange { start: 0, end: len }]);
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
    fn backward_hits_nearest_first_across_chunks() {
        let len = 3 * BACK_CHUNK as usize + 100;
        let mut v = vec![0u8; len];
        let needle = b"Linux version ";
        // Inside chunks, straddling the chunk borders, at both ends.
        let c = BACK_CHUNK as usize;
        let at = [0usize, 20, c - 3, 2 * c - 13, 2 * c + 7, len - 14];
        for &a in &at {
            v[a..a + needle.len()].copy_from_slice(needle);
        }
        let mem = VecMem::with_ranges(
            v,
            vec![PhysRange {
                start: 0,
                end: len as u64,
            }],
        );
        let got: Vec<u64> = BackwardHits::new(&mem, needle, 0, len as u64, 100).collect();
        let want: Vec<u64> = at.iter().rev().map(|&a| a as u64).collect();
        assert_eq!(got, want);
        // Bounded; a hit must lie wholly inside [low, high).
        assert_eq!(BackwardHits::new(&mem, needle, 0, len as u64, 2).count(), 2);
        let part: Vec<u64> =
            BackwardHits::new(&mem, needle, 21, (2 * c + 20) as u64, 100).collect();
        assert_eq!(part, vec![(2 * c - 13) as u64, (c - 3) as u64]);
        assert_eq!(BackwardHits::new(&mem, b"", 0, 100, 5).count(), 0);
    }

    #[test]
    fn windows_copy_with_holes_as_zero() {
        let mem = VecMem::with_ranges(
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
