//! Where each guest-physical byte lives in the image file: either the
//! identity layout of a raw image (pa == file offset) or a sorted table of
//! segments (ELF `PT_LOAD`, LiME ranges, raw images cut by a memory map).

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::driver::PhysRange;
use crate::error::{Error, Result};

/// Upper bound on the number of segments we accept. Real dumps have a few
/// dozen (QEMU) to some tens of thousands (filtered kdump cores); the cap
/// keeps a hostile header from making us allocate gigabytes.
pub(crate) const MAX_SEGMENTS: usize = 1 << 20;

/// One contiguous guest-physical run. Bytes in `[start, data_end)` are
/// stored in the file from `offset`; bytes in `[data_end, end)` are not
/// stored and read as zeros (ELF `p_filesz < p_memsz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: u64,
    pub data_end: u64,
    pub end: u64,
    pub offset: u64,
}

impl Segment {
    /// A fully file-backed run of `len` bytes; `None` on overflow.
    pub(crate) fn stored(start: u64, len: u64, offset: u64) -> Option<Segment> {
        let end = start.checked_add(len)?;
        Some(Segment {
            start,
            data_end: end,
            end,
            offset,
        })
    }

    /// Checks that the stored part lies inside a file of `file_len` bytes.
    fn validate(&self, file_len: u64) -> Result<()> {
        if !(self.start <= self.data_end && self.data_end <= self.end) {
            return Err(Error::Malformed("segment bounds out of order"));
        }
        let stored = self.data_end - self.start;
        match self.offset.checked_add(stored) {
            Some(e) if e <= file_len => Ok(()),
            _ => Err(Error::Malformed(
                "segment data lies beyond the end of the file",
            )),
        }
    }

    /// The part of `self` inside `[lo, hi)`, if any.
    fn clip(&self, lo: u64, hi: u64) -> Option<Segment> {
        let start = self.start.max(lo);
        let end = self.end.min(hi);
        if start >= end {
            return None;
        }
        Some(Segment {
            start,
            data_end: self.data_end.clamp(start, end),
            end,
            offset: self.offset + (start - self.start),
        })
    }
}

pub(crate) enum Layout {
    /// Raw image: guest-physical address == file offset on `[0, end)`.
    Identity {
        end: u64,
    },
    Table(SegmentTable),
}

pub(crate) struct SegmentTable {
    segs: Vec<Segment>,
    /// Index of the segment that served the previous lookup. Only a hint:
    /// relaxed ordering is enough because every use re-checks the bounds.
    last: AtomicUsize,
}

impl SegmentTable {
    /// Validates, sorts and de-duplicates `segs`. Empty segments are
    /// dropped. A segment lying entirely inside another is dropped as an
    /// alias (kdump cores map kernel text twice); partial overlaps are an
    /// error because we could not say which copy is right.
    pub(crate) fn new(mut segs: Vec<Segment>, file_len: u64) -> Result<SegmentTable> {
        if segs.len() > MAX_SEGMENTS {
            return Err(Error::Malformed("too many memory segments"));
        }
        for s in &segs {
            s.validate(file_len)?;
        }
        segs.retain(|s| s.end > s.start);
        // Larger segment first among equal starts, so aliases come after
        // the segment that contains them.
        segs.sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut out: Vec<Segment> = Vec::with_capacity(segs.len());
        for s in segs {
            if let Some(prev) = out.last() {
                if s.start < prev.end {
                    if s.end <= prev.end {
                        continue;
                    }
                    return Err(Error::Malformed("memory segments overlap"));
                }
            }
            out.push(s);
        }
        if out.is_empty() {
            return Err(Error::Malformed("image contains no memory"));
        }
        // Each stored guest byte has its own file byte in every dump format
        // we read; segments sharing file data would let a small file claim
        // petabytes of stored memory for the scans to walk.
        let stored = out
            .iter()
            .try_fold(0u64, |sum, s| sum.checked_add(s.data_end - s.start));
        if stored.is_none_or(|n| n > file_len) {
            return Err(Error::Malformed(
                "memory segments store more bytes than the file holds",
            ));
        }
        Ok(SegmentTable {
            segs: out,
            last: AtomicUsize::new(0),
        })
    }

    #[cfg(test)]
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segs
    }

    /// The segment containing `pa`.
    #[inline]
    pub(crate) fn find(&self, pa: u64) -> Option<&Segment> {
        let hint = self.last.load(Ordering::Relaxed);
        if let Some(s) = self.segs.get(hint) {
            if s.start <= pa && pa < s.end {
                return Some(s);
            }
        }
        let idx = self
            .segs
            .partition_point(|s| s.start <= pa)
            .checked_sub(1)?;
        let s = self.segs.get(idx)?;
        if pa < s.end {
            self.last.store(idx, Ordering::Relaxed);
            Some(s)
        } else {
            None
        }
    }

    /// Restricts the table to the union of `ranges` (a caller-supplied
    /// memory map such as the E820 table).
    pub(crate) fn restrict(&self, ranges: &[PhysRange], file_len: u64) -> Result<SegmentTable> {
        let ranges = normalize(ranges)?;
        let mut out = Vec::new();
        for s in &self.segs {
            // Ranges are sorted: skip those ending before this segment.
            let first = ranges.partition_point(|r| r.end <= s.start);
            for r in &ranges[first..] {
                if r.start >= s.end {
                    break;
                }
                if let Some(c) = s.clip(r.start, r.end) {
                    if out.len() >= MAX_SEGMENTS {
                        return Err(Error::InvalidArgument("memory map has too many ranges"));
                    }
                    out.push(c);
                }
            }
        }
        if out.is_empty() {
            return Err(Error::InvalidArgument("memory map leaves no backed memory"));
        }
        SegmentTable::new(out, file_len)
    }

    /// Backed ranges with adjacent segments merged.
    /// The stored parts of the segments (unstored zero tails left out),
    /// merged where they touch.
    pub(crate) fn stored_ranges(&self) -> Vec<PhysRange> {
        let mut out: Vec<PhysRange> = Vec::new();
        for s in self.segs.iter().filter(|s| s.data_end > s.start) {
            match out.last_mut() {
                Some(r) if r.end == s.start => r.end = s.data_end,
                _ => out.push(PhysRange {
                    start: s.start,
                    end: s.data_end,
                }),
            }
        }
        out
    }

    pub(crate) fn ranges(&self) -> Vec<PhysRange> {
        let mut out: Vec<PhysRange> = Vec::new();
        for s in &self.segs {
            match out.last_mut() {
                Some(r) if r.end == s.start => r.end = s.end,
                _ => out.push(PhysRange {
                    start: s.start,
                    end: s.end,
                }),
            }
        }
        out
    }
}

/// Sorts and merges caller ranges; rejects inverted ones, drops empty ones.
fn normalize(ranges: &[PhysRange]) -> Result<Vec<PhysRange>> {
    if ranges.len() > MAX_SEGMENTS {
        return Err(Error::InvalidArgument("memory map has too many ranges"));
    }
    if ranges.iter().any(|r| r.start > r.end) {
        return Err(Error::InvalidArgument(
            "memory map range ends before it starts",
        ));
    }
    let mut v: Vec<PhysRange> = ranges.iter().copied().filter(|r| r.end > r.start).collect();
    v.sort_unstable_by_key(|r| r.start);
    let mut out: Vec<PhysRange> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(p) if r.start <= p.end => p.end = p.end.max(r.end),
            _ => out.push(r),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: u64, len: u64, off: u64) -> Segment {
        Segment::stored(start, len, off).unwrap()
    }

    #[test]
    fn sorts_and_finds() {
        let t = SegmentTable::new(
            vec![seg(0x10000, 0x1000, 0), seg(0, 0x1000, 0x1000)],
            0x2000,
        )
        .unwrap();
        assert_eq!(t.segments()[0].start, 0);
        assert_eq!(t.find(0xfff).map(|s| s.offset), Some(0x1000));
        assert_eq!(t.find(0x10000).map(|s| s.offset), Some(0));
        assert!(t.find(0x1000).is_none());
        assert!(t.find(0x11000).is_none());
        assert!(t.find(u64::MAX).is_none());
        // The hint now points at the second segment; a lookup in the first
        // must still be correct.
        assert_eq!(t.find(0x10).map(|s| s.start), Some(0));
    }

    #[test]
    fn aliases_dropped_partial_overlap_rejected() {
        let t =
            SegmentTable::new(vec![seg(0x1000, 0x100, 0), seg(0, 0x4000, 0x100)], 0x5000).unwrap();
        assert_eq!(t.segments().len(), 1);
        let e = SegmentTable::new(vec![seg(0, 0x2000, 0), seg(0x1000, 0x2000, 0)], 0x5000);
        assert!(matches!(e, Err(Error::Malformed(_))));
    }

    #[test]
    fn data_beyond_file_rejected() {
        let e = SegmentTable::new(vec![seg(0, 0x2000, 0x1000)], 0x2000);
        assert!(matches!(e, Err(Error::Malformed(_))));
        let e = SegmentTable::new(vec![seg(0, 0x10, u64::MAX - 4)], 0x2000);
        assert!(matches!(e, Err(Error::Malformed(_))));
    }

    #[test]
    fn restrict_clips_and_merges_ranges() {
        let t = SegmentTable::new(vec![seg(0, 0x10000, 0)], 0x10000).unwrap();
        let r = t
            .restrict(
                &[
                    PhysRange {
                        start: 0x3000,
                        end: 0x5000,
                    },
                    PhysRange {
                        start: 0x1000,
                        end: 0x2000,
                    },
                    PhysRange {
                        start: 0x1800,
                        end: 0x2800,
                    },
                    PhysRange {
                        start: 0xf000,
                        end: 0x20000,
                    },
                ],
                0x10000,
            )
            .unwrap();
        assert_eq!(
            r.ranges(),
            vec![
                PhysRange {
                    start: 0x1000,
                    end: 0x2800
                },
                PhysRange {
                    start: 0x3000,
                    end: 0x5000
                },
                PhysRange {
                    start: 0xf000,
                    end: 0x10000
                },
            ]
        );
        assert_eq!(r.find(0x3000).map(|s| s.offset), Some(0x3000));
        let bad = t.restrict(&[PhysRange { start: 2, end: 1 }], 0x10000);
        assert!(matches!(bad, Err(Error::InvalidArgument(_))));
    }
}
