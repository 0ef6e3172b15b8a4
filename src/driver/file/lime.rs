//! LiME (Linux Memory Extractor) "lime" format: a sequence of
//! `{ magic u32, version u32, s_addr u64, e_addr u64, reserved [u8; 8] }`
//! little-endian headers, each followed by the `e_addr - s_addr + 1` bytes
//! of physical memory it describes (`e_addr` is inclusive).
//!
//! LiME written straight to a block device (`path=/dev/sdX`) leaves the
//! rest of the device after the last range: an all-zero header (or a zero
//! tail too short for one) after at least one range ends the list.

use super::layout::{Segment, MAX_SEGMENTS};
use crate::error::{Error, Result};

pub(crate) const LIME_MAGIC: u32 = 0x4C69_4D45;
const LIME_VERSION: u32 = 1;
const HEADER_LEN: u64 = 32;

pub(crate) fn is_lime(data: &[u8]) -> bool {
    data.get(..4)
        .is_some_and(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]) == LIME_MAGIC)
}

fn field<const N: usize>(data: &[u8], off: u64) -> Option<[u8; N]> {
    let start = usize::try_from(off).ok()?;
    let s = data.get(start..start.checked_add(N)?)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Some(a)
}

/// Whether the header slot at `off` is zero padding (checked up to the
/// header's length or the end of the file, whichever comes first).
fn zero_header(data: &[u8], off: u64) -> bool {
    let Ok(start) = usize::try_from(off) else {
        return false;
    };
    let end = start.saturating_add(HEADER_LEN as usize).min(data.len());
    data.get(start..end)
        .is_some_and(|h| h.iter().all(|&b| b == 0))
}

/// Walks every range header; the file must consist of nothing else but
/// zero padding after the last range.
pub(crate) fn parse(data: &[u8]) -> Result<Vec<Segment>> {
    let len = data.len() as u64;
    let mut segs = Vec::new();
    let mut off: u64 = 0;
    while off < len {
        if !segs.is_empty() && zero_header(data, off) {
            break;
        }
        if segs.len() >= MAX_SEGMENTS {
            return Err(Error::Malformed("too many LiME ranges"));
        }
        let short = Error::Malformed("truncated LiME range header");
        let magic = u32::from_le_bytes(field(data, off).ok_or(short)?);
        if magic != LIME_MAGIC {
            return Err(Error::Malformed("bad LiME range header magic"));
        }
        let version = u32::from_le_bytes(field(data, off + 4).ok_or(short)?);
        if version != LIME_VERSION {
            return Err(Error::Unsupported("unknown LiME format version"));
        }
        let s_addr = u64::from_le_bytes(field(data, off + 8).ok_or(short)?);
        let e_addr = u64::from_le_bytes(field(data, off + 16).ok_or(short)?);
        field::<8>(data, off + 24).ok_or(short)?;
        let size = e_addr
            .checked_sub(s_addr)
            .and_then(|d| d.checked_add(1))
            .ok_or(Error::Malformed("LiME range ends before it starts"))?;
        let data_off = off + HEADER_LEN;
        let seg = Segment::stored(s_addr, size, data_off)
            .ok_or(Error::Malformed("LiME range wraps the address space"))?;
        off = data_off
            .checked_add(size)
            .filter(|&e| e <= len)
            .ok_or(Error::Malformed(
                "LiME range data lies beyond the end of the file",
            ))?;
        segs.push(seg);
    }
    Ok(segs)
}
