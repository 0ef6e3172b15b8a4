//! The kernel log from the lockless printk ringbuffer (5.10+):
//! `printk_ringbuffer { desc_ring { count_bits, descs, infos, head_id,
//! tail_id, .. }, text_data_ring { size_bits, data, .. } }`. Each descriptor
//! holds a state word and the logical positions of its text block; the
//! parallel `printk_info` array holds seq, timestamp and text length.
//! Everything is read in bulk and bounded: the ring is guest data.
//!
//! With a profile's types (or the kernel's BTF) the layout is exact. Without
//! types it is derived from the pointer width: the ring's structures have
//! kept their members since 5.10, except that `prb_desc_ring` gained one
//! word after `tail_id` (`last_finalized_id`, later renamed
//! `last_finalized_seq`), which moves `text_data_ring`. A derived layout is
//! only trusted after [`read_ring_checked`] has validated the ring hard.

use super::types::Types;
use crate::error::{Error, Result};
use crate::instance::{Access, Vmi};

/// Largest descriptor ring accepted (the kernel's maximum log is 2^25
/// bytes with 2^5 bytes per record on average).
const MAX_COUNT_BITS: u32 = 20;
const MAX_SIZE_BITS: u32 = 25;
/// The kernel sizes the descriptor ring from the text ring: one descriptor
/// per 2^PRB_AVGBITS bytes of text (5.10+).
const PRB_AVGBITS: u32 = 5;
/// Most bytes one ring read may pull in (descriptors + infos + text).
const MAX_RING_BYTES: u64 = 128 << 20;
/// Candidate rings examined by the image search.
const MAX_CANDIDATES: u32 = 32;
/// Smallest descriptor ring a kernel builds (CONFIG_LOG_BUF_SHIFT >= 12).
const MIN_CHECKED_COUNT_BITS: u32 = 4;
/// Oldest records whose text must be printable for a derived layout.
const CHECKED_TEXTS: usize = 16;
/// `struct printk_info` (seq, ts_nsec, text_len, facility, flags/level,
/// caller_id, dev_printk_info { subsystem[16], device[48] }): 88 bytes on
/// every architecture since 5.10.
const PRINTK_INFO_SIZE: u64 = 88;

/// One log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub seq: u64,
    pub ts_nsec: u64,
    pub text: String,
}

impl LogRecord {
    /// The record as `dmesg` prints it: `[    1.234567] text`.
    pub fn line(&self) -> String {
        let secs = self.ts_nsec / 1_000_000_000;
        let usecs = (self.ts_nsec % 1_000_000_000) / 1000;
        format!("[{secs:5}.{usecs:06}] {}", self.text)
    }
}

/// Offsets of the ringbuffer structures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingLayout {
    count_bits: u64,
    descs: u64,
    infos: u64,
    /// `prb_desc_ring.head_id` / `tail_id`, checked for derived layouts.
    head_id: Option<u64>,
    tail_id: Option<u64>,
    size_bits: u64,
    data: u64,
    desc_size: u64,
    state_var: u64,
    text_begin: u64,
    info_size: u64,
    seq: u64,
    ts_nsec: u64,
    text_len: u64,
}

impl RingLayout {
    pub fn from_types(p: Types<'_>) -> Result<RingLayout> {
        let m = |s: &str, f: &str| {
            p.member_offset(s, f).ok_or(Error::NotFound(
                "printk ringbuffer layout (needs a profile with types, or a kernel with BTF)",
            ))
        };
        let desc_ring = m("printk_ringbuffer", "desc_ring")?;
        let text_ring = m("printk_ringbuffer", "text_data_ring")?;
        let sz = |s: &str| {
            p.struct_size(s)
                .filter(|n| (1..=4096).contains(n))
                .ok_or(Error::NotFound("printk ringbuffer structure sizes"))
        };
        Ok(RingLayout {
            count_bits: desc_ring + m("prb_desc_ring", "count_bits")?,
            descs: desc_ring + m("prb_desc_ring", "descs")?,
            infos: desc_ring + m("prb_desc_ring", "infos")?,
            head_id: p
                .member_offset("prb_desc_ring", "head_id")
                .map(|o| desc_ring + o),
            tail_id: p
                .member_offset("prb_desc_ring", "tail_id")
                .map(|o| desc_ring + o),
            size_bits: text_ring + m("prb_data_ring", "size_bits")?,
            data: text_ring + m("prb_data_ring", "data")?,
            desc_size: sz("prb_desc")?,
            state_var: m("prb_desc", "state_var")?,
            text_begin: m("prb_desc", "text_blk_lpos")? + m("prb_data_blk_lpos", "begin")?,
            info_size: sz("printk_info")?,
            seq: m("printk_info", "seq")?,
            ts_nsec: m("printk_info", "ts_nsec")?,
            text_len: m("printk_info", "text_len")?,
        })
    }

    /// The layout of a kernel with `ptr_width`-byte pointers, derived from
    /// the structures' declarations with natural alignment. `finalized`:
    /// `prb_desc_ring` has the word after `tail_id` (since about 5.18).
    pub fn derived(ptr_width: u64, finalized: bool) -> RingLayout {
        let w = ptr_width;
        // prb_desc_ring: count_bits (u32, padded to a word), descs, infos,
        // head_id, tail_id[, last_finalized_*].
        let text_ring = if finalized { 6 * w } else { 5 * w };
        RingLayout {
            count_bits: 0,
            descs: w,
            infos: 2 * w,
            head_id: Some(3 * w),
            tail_id: Some(4 * w),
            // prb_data_ring: size_bits (u32, padded), data, head/tail lpos.
            size_bits: text_ring,
            data: text_ring + w,
            // prb_desc: state_var, text_blk_lpos { begin, next }.
            desc_size: 3 * w,
            state_var: 0,
            text_begin: w,
            info_size: PRINTK_INFO_SIZE,
            seq: 0,
            ts_nsec: 8,
            text_len: 16,
        }
    }

    /// The derived layouts to try for a kernel of `version` (major, minor;
    /// `None` when unknown), most likely first. Kernels before 5.10 keep
    /// their log in another structure altogether.
    pub fn derived_candidates(
        ptr_width: u64,
        version: Option<(u32, u32)>,
    ) -> Result<[RingLayout; 2]> {
        if version.is_some_and(|v| v < (5, 10)) {
            return Err(Error::Unsupported(
                "kernel log without types: kernels before 5.10 have no lockless printk \
                 ringbuffer; give a profile (volatility_ist / rekall_profile)",
            ));
        }
        let newer = version.is_none_or(|v| v >= (5, 18));
        Ok([
            RingLayout::derived(ptr_width, newer),
            RingLayout::derived(ptr_width, !newer),
        ])
    }

    /// Bytes of `struct printk_ringbuffer` the readers look at.
    fn header_len(&self, ptr_width: u64) -> u64 {
        [
            self.count_bits + 4,
            self.size_bits + 4,
            self.descs + ptr_width,
            self.infos + ptr_width,
            self.data + ptr_width,
            self.head_id.map_or(0, |o| o + ptr_width),
            self.tail_id.map_or(0, |o| o + ptr_width),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }
}

/// "Linux version 6.1.0-50-686 ..." -> (6, 1).
pub fn parse_banner_version(banner: &[u8]) -> Option<(u32, u32)> {
    let s = std::str::from_utf8(banner.get(..banner.len().min(256))?).ok()?;
    let rest = s.trim_start().strip_prefix("Linux version ")?;
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn le(b: &[u8], at: u64, w: usize) -> Option<u64> {
    let at = usize::try_from(at).ok()?;
    let s = b.get(at..at.checked_add(w)?)?;
    let mut x = [0u8; 8];
    x[..w].copy_from_slice(s);
    Some(u64::from_le_bytes(x))
}

/// The fields of `struct printk_ringbuffer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Header {
    count_bits: u32,
    size_bits: u32,
    descs: u64,
    infos: u64,
    data: u64,
    head_id: Option<u64>,
    tail_id: Option<u64>,
}

impl Header {
    fn parse(b: &[u8], l: &RingLayout, ptr_width: u64) -> Option<Header> {
        let w = ptr_width as usize;
        Some(Header {
            count_bits: le(b, l.count_bits, 4)? as u32,
            size_bits: le(b, l.size_bits, 4)? as u32,
            descs: le(b, l.descs, w)?,
            infos: le(b, l.infos, w)?,
            data: le(b, l.data, w)?,
            head_id: l.head_id.and_then(|o| le(b, o, w)),
            tail_id: l.tail_id.and_then(|o| le(b, o, w)),
        })
    }

    fn count(&self) -> u64 {
        1u64 << self.count_bits
    }

    fn size(&self) -> u64 {
        1u64 << self.size_bits
    }

    /// The sanity every read applies: sizes within any kernel's.
    fn check_sizes(&self, l: &RingLayout) -> Result<()> {
        if !(1..=MAX_COUNT_BITS).contains(&self.count_bits)
            || !(4..=MAX_SIZE_BITS).contains(&self.size_bits)
        {
            return Err(Error::Malformed("printk ringbuffer sizes"));
        }
        if self.count() * (l.desc_size + l.info_size) + self.size() > MAX_RING_BYTES {
            return Err(Error::Malformed(
                "printk ringbuffer larger than any kernel's",
            ));
        }
        Ok(())
    }

    /// What a derived layout must also satisfy before anything else is
    /// read: the text ring sized from the descriptor ring as the kernel
    /// does, kernel pointers, head and tail ids at most one ring apart.
    fn check_strict(&self, l: &RingLayout, ptr_width: u64) -> Result<()> {
        self.check_sizes(l)?;
        if self.count_bits < MIN_CHECKED_COUNT_BITS
            || self.size_bits != self.count_bits + PRB_AVGBITS
        {
            return Err(Error::Malformed(
                "printk ringbuffer: text ring not sized from the descriptor ring",
            ));
        }
        let kernel = |p: u64| p % ptr_width == 0 && is_kernel_va(p, ptr_width);
        if !(kernel(self.descs) && kernel(self.infos) && kernel(self.data)) {
            return Err(Error::Malformed(
                "printk ringbuffer: array pointers are not kernel addresses",
            ));
        }
        let (Some(head), Some(tail)) = (self.head_id, self.tail_id) else {
            return Err(Error::Malformed("printk ringbuffer: no head/tail ids"));
        };
        let mask = id_mask(ptr_width);
        if head & !mask != 0 || tail & !mask != 0 || head.wrapping_sub(tail) & mask >= self.count()
        {
            return Err(Error::Malformed(
                "printk ringbuffer: head and tail ids inconsistent",
            ));
        }
        Ok(())
    }
}

/// The kernel half of the address space: the top 16 bits set on 64-bit,
/// above 2 GiB on 32-bit (3G/1G and 2G/2G splits).
fn is_kernel_va(p: u64, ptr_width: u64) -> bool {
    if ptr_width == 8 {
        p >> 48 == 0xffff
    } else {
        (0x8000_0000..=0xffff_ffff).contains(&p)
    }
}

/// Descriptor ids: `state_var` without its two state bits.
fn id_mask(ptr_width: u64) -> u64 {
    (1u64 << (ptr_width * 8 - 2)) - 1
}

/// A record as decoded, with what a strict check compares.
#[derive(Clone, Debug)]
struct Decoded {
    slot: u64,
    /// Id in the descriptor's state word.
    desc_id: u64,
    /// Id word at the start of the text block.
    block_id: Option<u64>,
    rec: LogRecord,
}

/// Decodes every committed or finalized descriptor whose text block reads.
/// Pure: `descs`, `infos`, `text` are the three arrays' bytes.
fn decode(
    h: &Header,
    descs: &[u8],
    infos: &[u8],
    text: &[u8],
    l: &RingLayout,
    ptr_width: u64,
) -> Vec<Decoded> {
    let w = ptr_width as usize;
    let count = h.count();
    let size = h.size();
    // State in the top two bits of state_var; the rest is the id.
    let shift = ptr_width * 8 - 2;
    let mask = id_mask(ptr_width);
    let word_mask = u64::MAX >> (64 - ptr_width * 8);
    let mut out = Vec::new();
    for i in 0..count {
        let d = i * l.desc_size;
        let Some(sv) = le(descs, d + l.state_var, w) else {
            break;
        };
        let state = (sv >> shift) & 3;
        // committed (1) or finalized (2); the id must index this slot.
        if !(state == 1 || state == 2) || (sv & mask) % count != i {
            continue;
        }
        let (Some(begin), Some(next)) = (
            le(descs, d + l.text_begin, w),
            le(descs, d + l.text_begin + ptr_width, w),
        ) else {
            continue;
        };
        let inf = i * l.info_size;
        let (Some(seq), Some(ts), Some(tlen)) = (
            le(infos, inf + l.seq, 8),
            le(infos, inf + l.ts_nsec, 8),
            le(infos, inf + l.text_len, 2),
        ) else {
            continue;
        };
        // Logical positions count modulo the word: the kernel starts them
        // one ring below zero, so the first wrap also wraps the word.
        let span = next.wrapping_sub(begin) & word_mask;
        // Data-less records have an odd begin.
        if begin & 1 != 0 || span == 0 || span > size {
            continue;
        }
        let (start, avail) = if begin / size != next / size {
            // The block wrapped: it lies at the ring's start.
            (0, next % size)
        } else {
            (begin % size, span)
        };
        // Skip the block's id word.
        let Some(avail) = avail.checked_sub(ptr_width) else {
            continue;
        };
        let from = start + ptr_width;
        let len = tlen.min(avail);
        let Some(bytes) = text.get(from as usize..(from + len) as usize) else {
            continue;
        };
        out.push(Decoded {
            slot: i,
            desc_id: sv & mask,
            block_id: le(text, start, w),
            rec: LogRecord {
                seq,
                ts_nsec: ts,
                text: String::from_utf8_lossy(bytes).into_owned(),
            },
        });
    }
    out.sort_by_key(|r| r.rec.seq);
    out
}

/// Text a log record may hold: valid UTF-8, no control characters but
/// newline and tab.
fn printable(s: &str) -> bool {
    !s.contains('\u{fffd}') && s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t')
}

/// The record-level checks of a derived layout, on `decode`'s output
/// (sorted by seq): a record's seq indexes its slot (the kernel advances a
/// slot's seq by the ring's size on each reuse), its text block carries its
/// descriptor's id, seqs are distinct and within one ring, and the oldest
/// texts are printable. Returns the records that pass.
fn check_records(decoded: Vec<Decoded>, count: u64) -> Result<Vec<LogRecord>> {
    let total = decoded.len();
    let good: Vec<Decoded> = decoded
        .into_iter()
        .filter(|d| d.rec.seq % count == d.slot && d.block_id == Some(d.desc_id))
        .collect();
    // A paused guest's ring is consistent; allow a few records caught
    // mid-write in a running one.
    if good.is_empty() || (total - good.len()) * 16 > total {
        return Err(Error::Malformed(
            "printk ringbuffer: records do not match their descriptors",
        ));
    }
    if good.windows(2).any(|p| p[0].rec.seq == p[1].rec.seq) {
        return Err(Error::Malformed(
            "printk ringbuffer: repeated sequence numbers",
        ));
    }
    let (first, last) = (good[0].rec.seq, good[good.len() - 1].rec.seq);
    if last - first >= count {
        return Err(Error::Malformed(
            "printk ringbuffer: sequence numbers span more than the ring",
        ));
    }
    let oldest = &good[..good.len().min(CHECKED_TEXTS)];
    if !oldest.iter().all(|d| printable(&d.rec.text))
        || oldest.iter().all(|d| d.rec.text.is_empty())
    {
        return Err(Error::Malformed(
            "printk ringbuffer: record text is not text",
        ));
    }
    Ok(good.into_iter().map(|d| d.rec).collect())
}

fn bulk(vmi: &Vmi, kpgd: u64, va: u64, len: u64) -> Result<Vec<u8>> {
    let mut v = vec![0u8; len as usize];
    vmi.read(&Access::dtb(kpgd, va), &mut v).into_result()?;
    Ok(v)
}

/// The header and the three arrays of the ring at `rb`.
struct Fetched {
    h: Header,
    descs: Vec<u8>,
    infos: Vec<u8>,
    text: Vec<u8>,
}

fn fetch(
    vmi: &Vmi,
    kpgd: u64,
    rb: u64,
    l: &RingLayout,
    ptr_width: u64,
    strict: bool,
) -> Result<Fetched> {
    let raw = bulk(vmi, kpgd, rb, l.header_len(ptr_width))?;
    let h =
        Header::parse(&raw, l, ptr_width).ok_or(Error::Malformed("printk ringbuffer header"))?;
    if strict {
        h.check_strict(l, ptr_width)?;
    } else {
        h.check_sizes(l)?;
    }
    let descs = bulk(vmi, kpgd, h.descs, h.count() * l.desc_size)?;
    if strict {
        check_ends(&h, &descs, l, ptr_width)?;
    }
    let infos = bulk(vmi, kpgd, h.infos, h.count() * l.info_size)?;
    let text = bulk(vmi, kpgd, h.data, h.size())?;
    Ok(Fetched {
        h,
        descs,
        infos,
        text,
    })
}

/// The descriptors at the head and tail carry those very ids.
fn check_ends(h: &Header, descs: &[u8], l: &RingLayout, ptr_width: u64) -> Result<()> {
    let mask = id_mask(ptr_width);
    for id in [h.head_id, h.tail_id].into_iter().flatten() {
        let at = (id % h.count()) * l.desc_size + l.state_var;
        if le(descs, at, ptr_width as usize).map(|sv| sv & mask) != Some(id) {
            return Err(Error::Malformed(
                "printk ringbuffer: head/tail descriptor ids do not match",
            ));
        }
    }
    Ok(())
}

/// Reads the records of the ringbuffer at `rb` (kernel VA of a
/// `struct printk_ringbuffer`), oldest first, with a layout from types.
pub fn read_ring(
    vmi: &Vmi,
    kpgd: u64,
    rb: u64,
    l: &RingLayout,
    ptr_width: u64,
) -> Result<Vec<LogRecord>> {
    let f = fetch(vmi, kpgd, rb, l, ptr_width, false)?;
    Ok(decode(&f.h, &f.descs, &f.infos, &f.text, l, ptr_width)
        .into_iter()
        .map(|d| d.rec)
        .collect())
}

/// Like [`read_ring`], for a layout that is only a guess
/// ([`RingLayout::derived`]): the ring must pass every structural and
/// record-level check, else `Err(Malformed)` and nothing is returned.
pub fn read_ring_checked(
    vmi: &Vmi,
    kpgd: u64,
    rb: u64,
    l: &RingLayout,
    ptr_width: u64,
) -> Result<Vec<LogRecord>> {
    let f = fetch(vmi, kpgd, rb, l, ptr_width, true)?;
    let decoded = decode(&f.h, &f.descs, &f.infos, &f.text, l, ptr_width);
    check_records(decoded, f.h.count())
}

/// Looks for a `struct printk_ringbuffer` in the kernel image when no symbol
/// names it: sane sizes, pointers that read, records that decode (and pass
/// [`read_ring_checked`] when `strict`). Of several (the static and the
/// dynamic buffer), the one with the newest record.
pub fn find_ring(
    vmi: &Vmi,
    kpgd: u64,
    image: &[u8],
    image_va: u64,
    l: &RingLayout,
    ptr_width: u64,
    strict: bool,
) -> Option<u64> {
    let w = ptr_width as usize;
    let mut best: Option<(u64, u64)> = None;
    let mut tried = 0;
    let mut off = 0usize;
    // Arrays are word-aligned (on 32-bit, `__log_buf` is only 4-aligned).
    let kernel_ptr = |p: u64| {
        p != 0
            && p % ptr_width == 0
            && if w == 8 {
                p >> 48 == 0xffff
            } else {
                p >= 0xc000_0000
            }
    };
    while off + 256 <= image.len() && tried < MAX_CANDIDATES {
        let cb = le(image, off as u64 + l.count_bits, 4).unwrap_or(0) as u32;
        let sb = le(image, off as u64 + l.size_bits, 4).unwrap_or(0) as u32;
        let ptrs_ok = [l.descs, l.infos, l.data]
            .iter()
            .all(|&o| le(image, off as u64 + o, w).is_some_and(kernel_ptr));
        if (4..=MAX_COUNT_BITS).contains(&cb) && sb == cb + PRB_AVGBITS && ptrs_ok {
            tried += 1;
            let va = image_va.wrapping_add(off as u64);
            let recs = if strict {
                read_ring_checked(vmi, kpgd, va, l, ptr_width)
            } else {
                read_ring(vmi, kpgd, va, l, ptr_width)
            };
            if let Ok(recs) = recs {
                if let Some(last) = recs.last() {
                    if recs.len() >= 4 && best.is_none_or(|(s, _)| last.seq > s) {
                        best = Some((last.seq, va));
                    }
                }
            }
        }
        off += w;
    }
    best.map(|(_, va)| va)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::linux::testguest::{TestGuest, KERNEL_BASE};

    #[test]
    fn lines_look_like_dmesg() {
        let r = LogRecord {
            seq: 0,
            ts_nsec: 2_421_294_123,
            text: "tsc: Refined".into(),
        };
        assert_eq!(r.line(), "[    2.421294] tsc: Refined");
        let r = LogRecord {
            seq: 1,
            ts_nsec: 0,
            text: String::new(),
        };
        assert_eq!(r.line(), "[    0.000000] ");
    }

    #[test]
    fn banner_versions() {
        assert_eq!(
            parse_banner_version(b"Linux version 6.1.0-50-686 (debian-kernel@lists)"),
            Some((6, 1))
        );
        assert_eq!(parse_banner_version(b"Linux version 5.10.0"), Some((5, 10)));
        assert_eq!(parse_banner_version(b"Linux version 6.12"), Some((6, 12)));
        assert_eq!(parse_banner_version(b"Linux version x.y"), None);
        assert_eq!(parse_banner_version(b"Windows"), None);
        assert!(RingLayout::derived_candidates(8, Some((4, 19))).is_err());
        assert!(RingLayout::derived_candidates(8, Some((5, 9))).is_err());
        let [a, b] = RingLayout::derived_candidates(4, Some((5, 10))).unwrap();
        assert_eq!((a.size_bits, b.size_bits), (20, 24));
        let [a, b] = RingLayout::derived_candidates(8, None).unwrap();
        assert_eq!((a.size_bits, b.size_bits), (48, 40));
    }

    /// The derived layouts equal what pahole reports for Debian's 6.1
    /// kernels (686 and amd64).
    #[test]
    fn derived_layout_matches_debian_6_1() {
        let l = RingLayout::derived(4, true);
        assert_eq!(
            (l.descs, l.infos, l.head_id, l.tail_id),
            (4, 8, Some(12), Some(16))
        );
        assert_eq!(
            (l.size_bits, l.data, l.desc_size, l.text_begin),
            (24, 28, 12, 4)
        );
        let l = RingLayout::derived(8, true);
        assert_eq!(
            (l.descs, l.infos, l.head_id, l.tail_id),
            (8, 16, Some(24), Some(32))
        );
        assert_eq!(
            (l.size_bits, l.data, l.desc_size, l.text_begin),
            (48, 56, 24, 8)
        );
        assert_eq!((l.info_size, l.seq, l.ts_nsec, l.text_len), (88, 0, 8, 16));
    }

    /// A ring written the way the kernel writes one.
    struct Synth {
        w: u64,
        l: RingLayout,
        header: Vec<u8>,
        descs: Vec<u8>,
        infos: Vec<u8>,
        text: Vec<u8>,
        /// What a reader must return, oldest first.
        expect: Vec<LogRecord>,
    }

    /// Where the arrays live: offsets from the kernel base of the width.
    const DESCS: u64 = 0x10_0000;
    const INFOS: u64 = 0x20_0000;
    const DATA: u64 = 0x40_0000;
    const RB_VA: u64 = KERNEL_BASE + 0x1000;

    fn kbase(w: u64) -> u64 {
        if w == 8 {
            0xffff_8880_0000_0000
        } else {
            KERNEL_BASE
        }
    }

    fn put(b: &mut [u8], at: u64, v: u64, n: usize) {
        b[at as usize..at as usize + n].copy_from_slice(&v.to_le_bytes()[..n]);
    }

    /// `n` records with texts from `text_of` into a ring of 2^count_bits
    /// descriptors; older records are overwritten as in the kernel.
    fn synth(
        w: u64,
        finalized: bool,
        count_bits: u32,
        n: u64,
        text_of: impl Fn(u64) -> String,
    ) -> Synth {
        let wu = w as usize;
        let l = RingLayout::derived(w, finalized);
        let count = 1u64 << count_bits;
        let size_bits = count_bits + PRB_AVGBITS;
        let size = 1u64 << size_bits;
        let mask = id_mask(w);
        let mut descs = vec![0u8; (count * l.desc_size) as usize];
        let mut infos = vec![0u8; (count * l.info_size) as usize];
        let mut text = vec![0u8; size as usize];
        // Unused descriptors are reusable; slot count-1 holds DESC0_ID.
        for i in 0..count {
            put(
                &mut descs,
                i * l.desc_size,
                3 << (w * 8 - 2) | (i.wrapping_sub(2 * count) & mask),
                wu,
            );
            put(&mut descs, i * l.desc_size + w, 1, wu);
            put(&mut descs, i * l.desc_size + 2 * w, 1, wu);
        }
        // As the kernel: positions start one ring below zero, modulo the word.
        let wmask = u64::MAX >> (64 - w * 8);
        let mut lpos = size.wrapping_neg() & wmask;
        let mut blocks = Vec::new();
        for seq in 0..n {
            let id = seq.wrapping_sub(count) & mask;
            let slot = seq % count;
            let t = text_of(seq);
            let blen = (w + t.len() as u64).div_ceil(w) * w;
            let (begin, next, at) = if lpos % size + blen >= size {
                let start = ((lpos / size + 1) * size) & wmask;
                (lpos, start + blen, 0)
            } else {
                (lpos, lpos + blen, lpos % size)
            };
            put(&mut text, at, id, wu);
            text[(at + w) as usize..(at + w) as usize + t.len()].copy_from_slice(t.as_bytes());
            lpos = next;
            let d = slot * l.desc_size;
            put(&mut descs, d, 2 << (w * 8 - 2) | id, wu);
            put(&mut descs, d + w, begin, wu);
            put(&mut descs, d + 2 * w, next, wu);
            let inf = slot * l.info_size;
            put(&mut infos, inf, seq, 8);
            put(&mut infos, inf + 8, 1_000_000 * (seq + 1), 8);
            put(&mut infos, inf + 16, t.len() as u64, 2);
            blocks.push((seq, id, begin, t));
        }
        // Records whose block was overwritten, or whose slot was reused,
        // are gone; the kernel marks their descriptors reusable.
        let mut expect = Vec::new();
        let mut tail = None;
        for (seq, id, begin, t) in blocks {
            let alive = lpos.wrapping_sub(begin) & wmask <= size && seq + count >= n;
            if alive {
                tail.get_or_insert(id);
                expect.push(LogRecord {
                    seq,
                    ts_nsec: 1_000_000 * (seq + 1),
                    text: t,
                });
            } else if seq + count >= n {
                put(
                    &mut descs,
                    (seq % count) * l.desc_size,
                    3 << (w * 8 - 2) | id,
                    wu,
                );
            }
        }
        let head = n.wrapping_sub(1).wrapping_sub(count) & mask;
        let mut header = vec![0u8; 16 * wu];
        put(&mut header, l.count_bits, count_bits as u64, 4);
        put(&mut header, l.descs, kbase(w) + DESCS, wu);
        put(&mut header, l.infos, kbase(w) + INFOS, wu);
        put(&mut header, l.head_id.unwrap(), head, wu);
        put(&mut header, l.tail_id.unwrap(), tail.unwrap_or(head), wu);
        if finalized {
            put(&mut header, 5 * w, head, wu);
        }
        put(&mut header, l.size_bits, size_bits as u64, 4);
        put(&mut header, l.data, kbase(w) + DATA, wu);
        put(&mut header, l.data + w, lpos, wu);
        put(
            &mut header,
            l.data + 2 * w,
            lpos.wrapping_sub(size) & wmask,
            wu,
        );
        Synth {
            w,
            l,
            header,
            descs,
            infos,
            text,
            expect,
        }
    }

    fn kernel_texts(seq: u64) -> String {
        match seq % 4 {
            0 => format!("Linux version test {seq}"),
            1 => format!("e820: mem {seq:#x} usable"),
            2 => "tsc: Refined TSC clocksource calibration".into(),
            _ => String::new(),
        }
    }

    /// The checks `read_ring_checked` applies, on the bytes alone.
    fn checked(s: &Synth, l: &RingLayout) -> Result<Vec<LogRecord>> {
        let h = Header::parse(&s.header, l, s.w).ok_or(Error::Malformed("header"))?;
        h.check_strict(l, s.w)?;
        check_ends(&h, &s.descs, l, s.w)?;
        check_records(decode(&h, &s.descs, &s.infos, &s.text, l, s.w), h.count())
    }

    #[test]
    fn derived_layouts_read_synthetic_rings() {
        for w in [4, 8] {
            for finalized in [false, true] {
                // Unwrapped; the first wrap (positions cross zero there);
                // wrapped many times over.
                for n in [5, 40, 80, 130, 1000] {
                    let s = synth(w, finalized, 6, n, kernel_texts);
                    let got = checked(&s, &s.l).unwrap_or_else(|e| panic!("w {w} n {n}: {e}"));
                    assert_eq!(got, s.expect, "w {w} finalized {finalized} n {n}");
                    assert!(!got.is_empty());
                    if n == 1000 {
                        assert!(got[0].seq > 900, "old records are gone");
                    }
                    // The other variant's offsets do not validate.
                    let other = RingLayout::derived(w, !finalized);
                    assert!(checked(&s, &other).is_err(), "w {w} finalized {finalized}");
                    // Nor does the other pointer width.
                    let other = RingLayout::derived(12 - w, finalized);
                    assert!(checked(&s, &other).is_err());
                }
            }
        }
    }

    #[test]
    fn hostile_rings_fail_cleanly() {
        let base = || synth(8, true, 6, 40, kernel_texts);
        let l = base().l;
        let hdr = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut s = base();
            f(&mut s.header);
            checked(&s, &l)
        };
        // Huge counts: refused before anything is allocated.
        assert!(hdr(&|h| put(h, 0, 31, 4)).is_err());
        assert!(hdr(&|h| {
            put(h, 0, 0xffff_ffff, 4);
            put(h, 48, 0xffff_ffff, 4)
        })
        .is_err());
        // Text ring not sized from the descriptor ring.
        assert!(hdr(&|h| put(h, 48, 12, 4)).is_err());
        // User-space or unaligned array pointers.
        assert!(hdr(&|h| put(h, 8, 0x7fff_0000_1000, 8)).is_err());
        assert!(hdr(&|h| put(h, 56, kbase(8) + DATA + 3, 8)).is_err());
        // Head more than a ring ahead of the tail; ids with state bits.
        assert!(hdr(&|h| put(h, 24, 0x1000, 8)).is_err());
        assert!(hdr(&|h| put(h, 32, u64::MAX, 8)).is_err());

        // Every descriptor claiming the same id (a "cyclic" ring).
        let mut s = base();
        let id = le(&s.descs, 0, 8).unwrap();
        for i in 0..64 {
            put(&mut s.descs, i * 24, id, 8);
        }
        assert!(checked(&s, &l).is_err());
        // Seqs that do not index their slots.
        let mut s = base();
        for i in 0..64 {
            let seq = le(&s.infos, i * 88, 8).unwrap();
            put(&mut s.infos, i * 88, seq + 3, 8);
        }
        assert!(checked(&s, &l).is_err());
        // Blocks that do not carry their descriptor's id.
        let mut s = base();
        for b in s.text.iter_mut() {
            *b = b.wrapping_add(1);
        }
        assert!(checked(&s, &l).is_err());
        // Binary garbage for text.
        let s = synth(8, true, 6, 40, |seq| format!("\x01\x02{seq}\u{7f}"));
        assert!(checked(&s, &l).is_err());
        // An empty ring has nothing to confirm the layout with.
        let s = synth(8, true, 6, 0, kernel_texts);
        assert!(checked(&s, &l).is_err());
        // Zeroed memory.
        let s = Synth {
            header: vec![0; 128],
            ..base()
        };
        assert!(checked(&s, &l).is_err());
    }

    /// The same through guest memory: a 32-bit guest with page tables.
    #[test]
    fn reads_a_ring_from_guest_memory() {
        let s = synth(4, true, 8, 300, kernel_texts);
        let mut g = TestGuest::new();
        g.write(RB_VA, &s.header);
        g.write(KERNEL_BASE + DESCS, &s.descs);
        g.write(KERNEL_BASE + INFOS, &s.infos);
        g.write(KERNEL_BASE + DATA, &s.text);
        // prb, the pointer the kernel reads the ring through.
        g.write_u32(RB_VA - 4, RB_VA as u32);
        let vmi = g.into_vmi();
        let kpgd = vmi.kernel_dtb();
        let got = read_ring_checked(&vmi, kpgd, RB_VA, &s.l, 4).unwrap();
        assert_eq!(got, s.expect);
        // Typed reading of the same ring returns the same records.
        assert_eq!(read_ring(&vmi, kpgd, RB_VA, &s.l, 4).unwrap(), s.expect);
        // The wrong variant fails, and so does a ring that is not there.
        let other = RingLayout::derived(4, false);
        assert!(read_ring_checked(&vmi, kpgd, RB_VA, &other, 4).is_err());
        assert!(read_ring_checked(&vmi, kpgd, RB_VA + 0x100, &s.l, 4).is_err());
        // The image search finds it too.
        let mut image = vec![0u8; 0x2000];
        image[0x1000..0x1000 + s.header.len()].copy_from_slice(&s.header);
        let found = find_ring(&vmi, kpgd, &image, KERNEL_BASE, &s.l, 4, true);
        assert_eq!(found, Some(RB_VA));
    }

    #[test]
    fn pointers_that_do_not_translate_fail() {
        let mut s = synth(4, true, 8, 100, kernel_texts);
        // Beyond the two mapped 4 MiB pages.
        put(&mut s.header, s.l.data, KERNEL_BASE + (64 << 20), 4);
        let mut g = TestGuest::new();
        g.write(RB_VA, &s.header);
        g.write(KERNEL_BASE + DESCS, &s.descs);
        g.write(KERNEL_BASE + INFOS, &s.infos);
        let vmi = g.into_vmi();
        let kpgd = vmi.kernel_dtb();
        assert!(read_ring_checked(&vmi, kpgd, RB_VA, &s.l, 4).is_err());
        assert!(read_ring(&vmi, kpgd, RB_VA, &s.l, 4).is_err());
    }
}
