//! Byte-level mutations of a seed: bit flips, interesting values at
//! aligned offsets (both byte orders), arithmetic, truncation, extension,
//! chunk copy / duplicate / delete, dictionary tokens, and replacement of
//! numbers in text formats. Several are stacked per case.

use super::rng::Rng;

const INTERESTING_8: [u8; 10] = [0, 1, 0x0a, 0x20, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff];

const INTERESTING_32: [u32; 14] = [
    0,
    1,
    2,
    0xff,
    0x1000,
    0x7fff,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0x8000_0001,
    0xffff_fffe,
    0xffff_ffff,
    0x4000_0000,
];

const INTERESTING_64: [u64; 14] = [
    0,
    1,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    0xffff_ffff_ffff_ffff,
    0xffff_ffff_ffff_fff0,
    0xffff_8000_0000_0000,
    0xffff_ffff_8100_0000,
    0x0000_7fff_ffff_f000,
    0x1_0000_0000_0000,
    0x4000_0000,
    0xdead_beef_dead_beef,
];

/// Decimal and hex literals that stress number parsing in text formats.
const INTERESTING_TEXT: [&str; 16] = [
    "0",
    "-1",
    "1",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "340282366920938463463374607431768211456",
    "1e308",
    "1e999",
    "0.5",
    "ffffffffffffffff",
    "10000000000000000",
];

/// Mutates `data` in place with 1..=16 stacked mutations; the result
/// stays at most `max_len` bytes long.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, dict: &[&[u8]], max_len: usize) {
    let shift = rng.below(5);
    let n = 1 + rng.below(1 << shift);
    for _ in 0..n {
        mutate_once(rng, data, dict);
        data.truncate(max_len);
    }
}

fn aligned(rng: &mut Rng, len: usize, width: usize) -> Option<usize> {
    if len < width {
        return None;
    }
    Some(rng.index((len - width) / width + 1) * width)
}

fn put(data: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(d) = data.get_mut(at..at + bytes.len()) {
        d.copy_from_slice(bytes);
    }
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, dict: &[&[u8]]) {
    let len = data.len();
    let big = rng.chance(2);
    match rng.below(15) {
        0 if len > 0 => {
            let i = rng.index(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.index(len);
            data[i] = *rng.pick(&INTERESTING_8);
        }
        2 if len > 0 => {
            let i = rng.index(len);
            data[i] = rng.next() as u8;
        }
        3 => {
            if let Some(at) = aligned(rng, len, 4) {
                let v = *rng.pick(&INTERESTING_32);
                put(
                    data,
                    at,
                    &if big {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    },
                );
            }
        }
        4 => {
            if let Some(at) = aligned(rng, len, 8) {
                let v = *rng.pick(&INTERESTING_64);
                put(
                    data,
                    at,
                    &if big {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    },
                );
            }
        }
        5 if len > 0 => {
            // Truncation, often near the end so most structure survives.
            let keep = if rng.chance(2) {
                len - rng.index(len.min(64) + 1).min(len)
            } else {
                rng.index(len)
            };
            data.truncate(keep);
        }
        6 => {
            // Extension: zeros, random bytes, or the seed's own start.
            let cap = if rng.chance(4) { 65536 } else { 64 };
            let add = 1 + rng.index(cap);
            match rng.below(3) {
                0 => data.resize(len + add, 0),
                1 => data.extend((0..add).map(|_| rng.next() as u8)),
                _ => {
                    let n = add.min(len);
                    let chunk = data[..n].to_vec();
                    data.extend_from_slice(&chunk);
                }
            }
        }
        7 if len > 1 => {
            // Chunk copy inside the input (overwrite).
            let n = 1 + rng.index(len.min(256));
            let from = rng.index(len - n + 1);
            let to = rng.index(len - n + 1);
            data.copy_within(from..from + n, to);
        }
        8 if len > 1 => {
            // Chunk duplicate (insert a copy).
            let n = 1 + rng.index(len.min(256));
            let from = rng.index(len - n + 1);
            let to = rng.index(len + 1);
            let chunk = data[from..from + n].to_vec();
            data.splice(to..to, chunk);
        }
        9 if len > 1 => {
            let n = 1 + rng.index(len.min(128));
            let from = rng.index(len - n + 1);
            data.drain(from..from + n);
        }
        10 if !dict.is_empty() => {
            let tok = *rng.pick(dict);
            let at = rng.index(len + 1);
            if rng.chance(2) {
                data.splice(at..at, tok.iter().copied());
            } else {
                let end = (at + tok.len()).min(len);
                data.splice(at..end, tok.iter().copied());
            }
        }
        11 if len > 0 => replace_number(rng, data),
        12 => {
            // Small arithmetic on a 32- or 64-bit field.
            let w = if rng.chance(2) { 4 } else { 8 };
            if let Some(at) = aligned(rng, len, w) {
                let delta = rng.below(33) as i64 - 16;
                let mut b = [0u8; 8];
                b[..w].copy_from_slice(&data[at..at + w]);
                let v = u64::from_le_bytes(b).wrapping_add(delta as u64);
                put(data, at, &v.to_le_bytes()[..w]);
            }
        }
        13 => {
            // A field that points at itself (file offset), a classic loop.
            let w = if rng.chance(2) { 4 } else { 8 };
            if let Some(at) = aligned(rng, len, w) {
                put(data, at, &(at as u64).to_le_bytes()[..w]);
            }
        }
        _ if len > 0 => {
            // A run of one byte value (fills a length or a string).
            let n = 1 + rng.index(len.min(64));
            let at = rng.index(len - n + 1);
            let v = *rng.pick(&INTERESTING_8);
            data[at..at + n].fill(v);
        }
        _ => data.push(rng.next() as u8),
    }
}

/// Replaces the run of hex digits nearest after a random offset with an
/// interesting literal (for JSON, System.map and config text).
fn replace_number(rng: &mut Rng, data: &mut Vec<u8>) {
    let start = rng.index(data.len());
    let Some(s) = (start..data.len()).find(|&i| data[i].is_ascii_hexdigit()) else {
        return;
    };
    let e = (s..data.len())
        .find(|&i| !data[i].is_ascii_hexdigit())
        .unwrap_or(data.len());
    let lit = rng.pick(&INTERESTING_TEXT).as_bytes();
    data.splice(s..e, lit.iter().copied());
}
