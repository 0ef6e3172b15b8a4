//! Undoes xz or gzip compression of a profile, recognised by the magic
//! bytes at the start rather than by the file name, with a hard cap on the
//! output so a small hostile file cannot make us allocate without bound.

use std::borrow::Cow;
use std::io::Read;

use crate::{Error, Result};

/// Largest decompressed profile accepted (a full Linux ISF is ~100 MiB).
pub const MAX_DECOMPRESSED: u64 = 1 << 30;

const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
/// Largest LZMA2 dictionary (plus decoder overhead) we agree to allocate,
/// in KiB. `xz -9` uses 64 MiB; anything past this is hostile or exotic.
const XZ_MEM_LIMIT_KIB: u32 = 320 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Xz,
    Gzip,
}

pub(crate) fn detect(data: &[u8]) -> Compression {
    if data.starts_with(XZ_MAGIC) {
        Compression::Xz
    } else if data.starts_with(GZIP_MAGIC) {
        Compression::Gzip
    } else {
        Compression::None
    }
}

/// Returns `data` decompressed if it starts with an xz or gzip header (all
/// concatenated streams), or unchanged. Output beyond `cap` bytes, corrupt
/// or truncated streams are errors.
pub fn decompress(data: &[u8], cap: u64) -> Result<Cow<'_, [u8]>> {
    match detect(data) {
        Compression::None => Ok(Cow::Borrowed(data)),
        Compression::Xz => {
            let reader = lzma_rust2::XzReader::new_mem_limit(data, true, XZ_MEM_LIMIT_KIB);
            read_capped(reader, cap, "corrupt or truncated xz data").map(Cow::Owned)
        }
        Compression::Gzip => {
            let reader = flate2::read::MultiGzDecoder::new(data);
            read_capped(reader, cap, "corrupt or truncated gzip data").map(Cow::Owned)
        }
    }
}

fn read_capped(reader: impl Read, cap: u64, corrupt: &'static str) -> Result<Vec<u8>> {
    match read_to_end_capped(reader, cap, 0) {
        Ok(Some(out)) => Ok(out),
        Ok(None) => Err(Error::Malformed(
            "decompressed profile exceeds the size limit",
        )),
        Err(e) => {
            crate::log_debug!("profile decompression failed: {e}");
            Err(Error::Malformed(corrupt))
        }
    }
}

/// Reads `r` to its end; `None` once it gives more than `cap` bytes.
/// Capacity grows by doubling but never past `cap`, so no allocation
/// exceeds the cap (`read_to_end` on a `take(cap + 1)` doubles past it:
/// a 1 GiB cap asked for 2 GiB at the 1 GiB + 1st byte). `hint` is the
/// expected size (a regular file's length), reserved up front.
pub(crate) fn read_to_end_capped(
    mut r: impl Read,
    cap: u64,
    hint: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::new();
    out.try_reserve_exact(usize::try_from(hint).unwrap_or(cap).min(cap))
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => return Ok(Some(out)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n > cap - out.len() {
            return Ok(None);
        }
        if out.capacity() - out.len() < n {
            let want = out.capacity().saturating_mul(2).clamp(out.len() + n, cap);
            out.try_reserve_exact(want - out.len())
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Found by fuzzing: a profile path naming a device (`/dev/zero`) was
    /// read to a 1 GiB cap with `read_to_end`, whose doubling then asked
    /// for a single 2 GiB buffer. The capped reader never holds more than
    /// the cap, and refuses endless input.
    #[test]
    fn capped_reads_never_allocate_past_the_cap() {
        let cap = 3 << 20;
        let v = read_to_end_capped(std::io::repeat(7).take(cap), cap, 0)
            .unwrap()
            .unwrap();
        assert_eq!(v.len() as u64, cap);
        assert!(v.capacity() as u64 <= cap, "capacity {}", v.capacity());
        assert!(read_to_end_capped(std::io::repeat(0), cap, 0)
            .unwrap()
            .is_none());
        assert!(matches!(
            crate::profile::read_file_bounded(std::path::Path::new("/dev/zero"), cap),
            Err(Error::Malformed(_))
        ));
    }

    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..20000u32 {
            writeln!(
                v,
                "\"sym_{i}\": {{\"address\": {}}},",
                0xffffffff81000000u64 + u64::from(i) * 16
            )
            .unwrap();
        }
        v
    }

    fn xz_preset(data: &[u8], preset: u32) -> Vec<u8> {
        let opts = lzma_rust2::XzOptions::with_preset(preset);
        let mut w = lzma_rust2::XzWriter::new(Vec::new(), opts).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        xz_preset(data, 6)
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        w.write_all(data).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn plain_passes_through_borrowed() {
        let data = sample();
        assert!(matches!(
            decompress(&data, MAX_DECOMPRESSED).unwrap(),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn xz_and_gzip_round_trip() {
        let data = sample();
        for packed in [xz(&data), gz(&data)] {
            assert!(packed.len() < data.len() / 4);
            assert_eq!(&*decompress(&packed, MAX_DECOMPRESSED).unwrap(), &data[..]);
        }
    }

    #[test]
    fn concatenated_gzip_members_are_all_read() {
        let mut packed = gz(b"first,");
        packed.extend(gz(b"second"));
        assert_eq!(&*decompress(&packed, 100).unwrap(), b"first,second");
    }

    #[test]
    fn output_cap_is_enforced() {
        // 16 MiB of zeros compress to a few KiB: a small-scale zip bomb.
        // (Preset 0 keeps the unoptimised test build quick.)
        let zeros = vec![0u8; 16 << 20];
        for packed in [xz_preset(&zeros, 0), gz(&zeros)] {
            assert!(packed.len() < 64 << 10);
            assert_eq!(
                decompress(&packed, 1 << 20).unwrap_err(),
                Error::Malformed("decompressed profile exceeds the size limit")
            );
            // exactly at the cap is fine
            assert_eq!(decompress(&packed, 16 << 20).unwrap().len(), 16 << 20);
        }
    }

    #[test]
    fn truncated_and_corrupt_streams_fail_cleanly() {
        let data = sample();
        for packed in [xz(&data), gz(&data)] {
            for cut in [packed.len() / 2, packed.len() - 1, 10, 7] {
                assert!(
                    decompress(&packed[..cut], MAX_DECOMPRESSED).is_err(),
                    "cut {cut}"
                );
            }
            let mut bad = packed.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x55;
            bad[mid + 1] ^= 0xaa;
            assert!(decompress(&bad, MAX_DECOMPRESSED).is_err());
        }
    }

    #[test]
    fn xz_made_by_xz_utils_decodes() {
        // Made by `xz -T2 --block-size=4096 -9e` from xz_utils_input():
        // several blocks, CRC64 checks, as dwarf2json output is compressed.
        let packed = include_bytes!("testdata/xz_utils_blocks.xz");
        let out = decompress(packed, MAX_DECOMPRESSED).unwrap();
        assert_eq!(&*out, &xz_utils_input()[..]);
    }

    fn xz_utils_input() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..3000u32 {
            writeln!(v, "line {i} {}", i.wrapping_mul(2654435761)).unwrap();
        }
        v
    }
}
