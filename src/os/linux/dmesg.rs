//! The kernel log from the lockless printk ringbuffer (5.10+):
//! `printk_ringbuffer { desc_ring { count_bits, descs, infos, .. },
//! text_data_ring { size_bits, data, .. } }`. Each descriptor holds a state
//! word and the logical positions of its text block; the parallel
//! `printk_info` array holds seq, timestamp and text length. Everything is
//! read in bulk and bounded: the ring is guest data.

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

/// Offsets of the ringbuffer structures, from the profile.
#[derive(Clone, Copy, Debug)]
pub struct RingLayout {
    count_bits: u64,
    descs: u64,
    infos: u64,
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
}

fn le(b: &[u8], at: u64, w: usize) -> Option<u64> {
    let s = b.get(at as usize..at as usize + w)?;
    let mut x = [0u8; 8];
    x[..w].copy_from_slice(s);
    Some(u64::from_le_bytes(x))
}

/// Reads the records of the ringbuffer at `rb` (kernel VA of a
/// `struct printk_ringbuffer`), oldest first.
pub fn read_ring(
    vmi: &Vmi,
    kpgd: u64,
    rb: u64,
    l: &RingLayout,
    ptr_width: u64,
) -> Result<Vec<LogRecord>> {
    let w = ptr_width as usize;
    let at = |off: u64| Access::dtb(kpgd, rb.wrapping_add(off));
    let count_bits = vmi.read_u32(&at(l.count_bits))?;
    let size_bits = vmi.read_u32(&at(l.size_bits))?;
    if !(1..=MAX_COUNT_BITS).contains(&count_bits) || !(4..=MAX_SIZE_BITS).contains(&size_bits) {
        return Err(Error::Malformed("printk ringbuffer sizes"));
    }
    let descs = vmi.read_addr(&at(l.descs))?;
    let infos = vmi.read_addr(&at(l.infos))?;
    let data = vmi.read_addr(&at(l.data))?;
    let count = 1u64 << count_bits;
    let size = 1u64 << size_bits;
    if count * (l.desc_size + l.info_size) + size > MAX_RING_BYTES {
        return Err(Error::Malformed(
            "printk ringbuffer larger than any kernel's",
        ));
    }
    let bulk = |va: u64, len: u64| -> Result<Vec<u8>> {
        let mut v = vec![0u8; len as usize];
        vmi.read(&Access::dtb(kpgd, va), &mut v).into_result()?;
        Ok(v)
    };
    let desc_bytes = bulk(descs, count * l.desc_size)?;
    let info_bytes = bulk(infos, count * l.info_size)?;
    let text = bulk(data, size)?;

    // State in the top two bits of state_var; the rest is the id.
    let shift = ptr_width * 8 - 2;
    let id_mask = (1u64 << shift) - 1;
    let mut out = Vec::new();
    for i in 0..count {
        let d = i * l.desc_size;
        let Some(sv) = le(&desc_bytes, d + l.state_var, w) else {
            break;
        };
        let state = (sv >> shift) & 3;
        // committed (1) or finalized (2); the id must index this slot.
        if !(state == 1 || state == 2) || (sv & id_mask) % count != i {
            continue;
        }
        let (Some(begin), Some(next)) = (
            le(&desc_bytes, d + l.text_begin, w),
            le(&desc_bytes, d + l.text_begin + ptr_width, w),
        ) else {
            continue;
        };
        let inf = i * l.info_size;
        let (Some(seq), Some(ts), Some(tlen)) = (
            le(&info_bytes, inf + l.seq, 8),
            le(&info_bytes, inf + l.ts_nsec, 8),
            le(&info_bytes, inf + l.text_len, 2),
        ) else {
            continue;
        };
        // Data-less records have an odd begin.
        if begin & 1 != 0 || next <= begin || next - begin > size {
            continue;
        }
        let (start, avail) = if begin / size != next / size {
            // The block wrapped: it lies at the ring's start.
            (0, next % size)
        } else {
            (begin % size, next - begin)
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
        out.push(LogRecord {
            seq,
            ts_nsec: ts,
            text: String::from_utf8_lossy(bytes).into_owned(),
        });
    }
    out.sort_by_key(|r| r.seq);
    Ok(out)
}

/// Looks for a `struct printk_ringbuffer` in the kernel image when no symbol
/// names it: sane sizes, pointers that read, records that decode. Of several
/// (the static and the dynamic buffer), the one with the newest record.
pub fn find_ring(
    vmi: &Vmi,
    kpgd: u64,
    image: &[u8],
    image_va: u64,
    l: &RingLayout,
    ptr_width: u64,
) -> Option<u64> {
    let w = ptr_width as usize;
    let mut best: Option<(u64, u64)> = None;
    let mut tried = 0;
    let mut off = 0usize;
    let kernel_ptr = |p: u64| {
        p != 0
            && p % 8 == 0
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
            if let Ok(recs) = read_ring(vmi, kpgd, va, l, ptr_width) {
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
}
