//! Recovers a Linux kernel's symbol table from the compressed kallsyms
//! tables inside the kernel image, for guests that come without a
//! System.map or profile.
//!
//! `scripts/kallsyms` emits, each table aligned to the pointer size:
//!
//! * 6.1:        offsets, relative_base, num_syms, names, markers,
//!   token_table, token_index
//! * 6.2 - 6.3 (and Debian's 6.1 stable, which backports it): the same with
//!   seqs_of_names (3 bytes per symbol) between markers and token_table
//! * 6.4+:       num_syms, names, markers, token_table, token_index,
//!   offsets, relative_base, seqs_of_names
//!
//! The search starts from the one table with a fixed shape: the token
//! table, where the tokens for the bytes `'0'..='9'` are those digits
//! themselves (every digit occurs in some symbol, so no digit's code is
//! reused for a compressed token). From there the token index confirms the
//! token table, the markers are found right below it (or below the
//! seqs_of_names block), num_syms and names below the markers, and the
//! address table where the layout puts it. Every candidate is checked
//! against the markers and, finally, against sortedness of the addresses.
//!
//! Names are stored as a length (one byte, or two when the high bit is set:
//! 6.1 added "big" symbols) followed by token codes; the first expanded
//! character is the `nm` type letter.

use crate::error::{Error, Result};
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::OnceLock;

/// Longest symbol name (6.1's KSYM_NAME_LEN is 512); entries expanding to
/// more are treated as corrupt.
const MAX_NAME: usize = 1024;
/// Upper bound on the symbol count we accept (real kernels: ~50k - 300k).
const MAX_SYMS: usize = 1 << 21;
const MAX_MARKERS: usize = MAX_SYMS / 256;
/// Largest compressed entry: header plus at most one code per character of
/// a KSYM_NAME_LEN (512) name.
const MAX_ENTRY: usize = 2 + 512;
/// Tokens are short in practice; longer ones mean we are not in the table.
const MAX_TOKEN: usize = 256;
/// Most bytes all expanded names may take (real kernels: about 30 per
/// symbol, a few MiB in all).
const MAX_ARENA: usize = 64 << 20;

/// Reads kernel memory; lets the caller search either a physical range or a
/// virtual range of the guest kernel.
pub trait KernelReader {
    /// Fills `buf` from address `addr` (whatever address space the reader
    /// uses); fails if any part is unreadable.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<()>;
}

impl KernelReader for [u8] {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        let start = usize::try_from(addr).map_err(|_| Error::PhysicalOutOfRange { pa: addr })?;
        let src = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or(Error::PhysicalOutOfRange { pa: addr })?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// How `kallsyms_offsets` encodes addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressEncoding {
    /// `kallsyms_addresses`: full pointers.
    Absolute,
    /// `relative_base + (u32)offset`.
    Relative,
    /// x86_64 SMP (CONFIG_KALLSYMS_ABSOLUTE_PERCPU): non-negative offsets
    /// are absolute values (per-cpu symbols), negative ones are
    /// `relative_base - 1 - offset`.
    AbsolutePercpu,
}

/// What the caller knows about the guest; `None` means "try everything".
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Kernel pointer size, 4 or 8.
    pub pointer_size: Option<u8>,
    pub encoding: Option<AddressEncoding>,
}

/// Where the tables were found, as offsets from the start of the searched
/// region (add the region's base address to get guest addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableLocations {
    pub num_syms: usize,
    pub names: usize,
    pub markers: usize,
    pub token_table: usize,
    pub token_index: usize,
    /// `kallsyms_offsets` or `kallsyms_addresses`.
    pub addresses: usize,
    /// Position of `kallsyms_relative_base` (`None` with absolute addresses).
    pub relative_base_at: Option<usize>,
    /// Position of `kallsyms_seqs_of_names`, if that table exists.
    pub seqs_of_names: Option<usize>,
}

/// One kernel symbol as /proc/kallsyms shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub name: &'a str,
    /// `nm`-style type letter (`T`, `t`, `D`, `A`, ...).
    pub kind: char,
    pub address: u64,
}

/// A symbol stored compactly: its name lives in the shared arena.
#[derive(Clone, Copy, Debug)]
struct Entry {
    name: u32,
    len: u16,
    kind: u8,
    address: u64,
}

/// A recovered symbol table, in the kernel's order (sorted by address).
pub struct Kallsyms {
    names: String,
    entries: Vec<Entry>,
    locations: TableLocations,
    pointer_size: u8,
    encoding: AddressEncoding,
    relative_base: u64,
    hasher: hashbrown::DefaultHashBuilder,
    /// Entry indices by name, built on first lookup.
    by_name: OnceLock<NameIndex>,
}

/// First entry of each name, and the entries a same-named earlier one
/// hides (ascending).
struct NameIndex {
    table: HashTable<u32>,
    shadowed: Vec<u32>,
}

impl std::fmt::Debug for Kallsyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kallsyms")
            .field("symbols", &self.entries.len())
            .field("encoding", &self.encoding)
            .field("relative_base", &self.relative_base)
            .field("locations", &self.locations)
            .finish()
    }
}

fn rd_u16(img: &[u8], at: usize) -> Option<u16> {
    img.get(at..at.checked_add(2)?)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn rd_u32(img: &[u8], at: usize) -> Option<u32> {
    img.get(at..at.checked_add(4)?)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn rd_ptr(img: &[u8], at: usize, size: usize) -> Option<u64> {
    if size == 4 {
        return rd_u32(img, at).map(u64::from);
    }
    let b = img.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(b.try_into().ok()?))
}

fn align_up(v: usize, a: usize) -> Option<usize> {
    v.checked_add(a - 1).map(|x| x & !(a - 1))
}

/// The 256 tokens, as byte ranges into the image.
struct Tokens {
    table: usize,
    index: usize,
    ranges: [(u32, u16); 256],
}

impl Tokens {
    fn get<'a>(&self, img: &'a [u8], code: u8) -> &'a [u8] {
        let (start, len) = self.ranges[code as usize];
        let s = start as usize;
        img.get(s..s + len as usize).unwrap_or(&[])
    }
}

/// Length header of the names entry at `at`: (header size, payload size).
fn entry_len(img: &[u8], at: usize) -> Option<(usize, usize)> {
    let b0 = *img.get(at)? as usize;
    if b0 & 0x80 == 0 {
        return Some((1, b0));
    }
    let b1 = *img.get(at + 1)? as usize;
    Some((2, (b0 & 0x7f) | (b1 << 7)))
}

const DIGITS: &[u8; 20] = b"0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00";

/// Could this aligned word lie inside the digit run? Its bytes alternate
/// between an ASCII digit (0x30..=0x3f after masking) and NUL.
#[inline]
fn maybe_digits(w: u64) -> bool {
    (w & 0xfff0_fff0_fff0_fff0 == 0x0030_0030_0030_0030)
        | (w & 0xf0ff_f0ff_f0ff_f0ff == 0x3000_3000_3000_3000)
}

/// First position at or after `from` where the digit tokens
/// `"0\0" .. "9\0"` appear. Any 20-byte run contains a whole aligned
/// 8-byte word, which must equal one of eight phases of the pattern; words
/// are pre-filtered 64 bytes at a time so the common case vectorises.
fn next_digit_run(img: &[u8], from: usize) -> Option<usize> {
    let phases: [u64; 8] = core::array::from_fn(|p| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&DIGITS[p..p + 8]);
        u64::from_le_bytes(w)
    });
    let word = |i: usize| -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&img[i * 8..i * 8 + 8]);
        u64::from_le_bytes(b)
    };
    let words = img.len() / 8;
    let mut i = from / 8;
    while i < words {
        if i % 8 == 0 && i + 8 <= words {
            let block = &img[i * 8..i * 8 + 64];
            let any = block.chunks_exact(8).fold(false, |acc, c| {
                let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                acc | maybe_digits(w)
            });
            if !any {
                i += 8;
                continue;
            }
        }
        let w = word(i);
        if maybe_digits(w) {
            for (p, &pw) in phases.iter().enumerate() {
                if w != pw {
                    continue;
                }
                let Some(start) = (i * 8).checked_sub(p) else {
                    continue;
                };
                if start >= from && img.get(start..start + DIGITS.len()) == Some(&DIGITS[..]) {
                    return Some(start);
                }
            }
        }
        i += 1;
    }
    None
}

/// Given the position of token `'0'`, rebuilds and verifies the token
/// table and index.
fn tokens_at(img: &[u8], zero: usize, align: usize) -> Option<Tokens> {
    // Walk back 47 tokens ('0' is code 0x30) to token 1. Each token ends
    // with the NUL just before the next one; empty tokens are a lone NUL.
    let mut start = zero;
    for _ in 1..0x30 {
        if start == 0 || img[start - 1] != 0 {
            return None;
        }
        let end = start - 1;
        let lo = end.saturating_sub(MAX_TOKEN);
        start = lo + img[lo..end].iter().rposition(|&b| b == 0)? + 1;
    }
    let token1 = start;
    if token1 == 0 || img[token1 - 1] != 0 {
        return None;
    }
    let mut ranges = [(0u32, 0u16); 256];
    let mut pos = token1;
    for r in ranges.iter_mut().skip(1) {
        let rest = img.get(pos..)?;
        let len = rest.iter().take(MAX_TOKEN + 1).position(|&b| b == 0)?;
        *r = (u32::try_from(pos).ok()?, len as u16);
        pos += len + 1;
    }
    // Token 0 has no NUL in front of it (the previous table may end in
    // any byte), so its start is found by trying aligned positions against
    // the index, which follows the tokens aligned and holds each token's
    // offset from the table start.
    let lowest = (token1 - 1).saturating_sub(MAX_TOKEN);
    let mut table = token1 - 1 - (token1 - 1) % align;
    while table >= lowest {
        ranges[0] = (u32::try_from(table).ok()?, (token1 - 1 - table) as u16);
        let mut index = align_up(pos, 2)?;
        while index <= align_up(pos, align)? {
            let ok = ranges.iter().enumerate().all(|(i, &(s, _))| {
                rd_u16(img, index + 2 * i).map(usize::from) == Some(s as usize - table)
            });
            if ok {
                return Some(Tokens {
                    table,
                    index,
                    ranges,
                });
            }
            index += 2;
        }
        if table < align {
            break;
        }
        table -= align;
    }
    None
}

/// Is `next` a plausible marker after `prev` (one block of 256 entries)?
fn marker_step(prev: u32, next: u32) -> bool {
    next > prev && ((next - prev) as usize) >= 512 && ((next - prev) as usize) <= 256 * MAX_ENTRY
}

/// Candidate (markers position, marker count, seqs_of_names position)
/// below the token table at `table`. The markers are a zero followed by
/// increasing offsets; they end right below the token table or, when
/// seqs_of_names (3 bytes per symbol) sits in between, `3 * n` bytes
/// (aligned) below it. One backward pass over the region finds every zero
/// word and the run of plausible markers after it.
/// Each candidate is handed to `probe` as soon as it is seen (nearest to
/// the token table first); the first `Some` ends the search.
fn marker_candidates<T>(
    img: &[u8],
    table: usize,
    align: usize,
    mut probe: impl FnMut(usize, usize, Option<usize>) -> Option<T>,
) -> Option<T> {
    let mut tried = 0usize;
    let span = 3 * MAX_SYMS + 4 * MAX_MARKERS + 4 * align;
    let mut at = table.saturating_sub(4) & !3;
    let floor = table.saturating_sub(span);
    while at >= floor {
        if rd_u32(img, at) == Some(0) {
            let mut prev = 0u32;
            let mut c = 1usize;
            loop {
                let end = at + 4 * c;
                if end > table {
                    break;
                }
                if table - end < align {
                    tried += 1;
                    if let Some(r) = probe(at, c, None) {
                        return Some(r);
                    }
                }
                let seqs = align_up(end, align).unwrap_or(usize::MAX);
                if let Some(size) = table.checked_sub(seqs) {
                    // Some n in (256 (c - 1), 256 c] must give this size.
                    let n_hi = size / 3;
                    let fits = (n_hi.saturating_sub(align)..=n_hi).any(|n| {
                        n > 256 * (c - 1) && n <= 256 * c && align_up(3 * n, align) == Some(size)
                    });
                    if fits {
                        tried += 1;
                        if let Some(r) = probe(at, c, Some(seqs)) {
                            return Some(r);
                        }
                    }
                }
                match rd_u32(img, end) {
                    Some(next) if c < MAX_MARKERS && marker_step(prev, next) => {
                        prev = next;
                        c += 1;
                    }
                    _ => break,
                }
            }
        }
        if at < 4 || tried > 64 {
            break;
        }
        at -= 4;
    }
    None
}

/// Walks the names from `names` for `n` entries, checking every marker;
/// returns the end of the names block.
fn names_end(img: &[u8], names: usize, n: usize, markers: usize) -> Option<usize> {
    let mut pos = names;
    for i in 0..n {
        if i % 256 == 0 && rd_u32(img, markers + 4 * (i / 256))? as usize != pos - names {
            return None;
        }
        let (h, len) = entry_len(img, pos)?;
        if len == 0 {
            return None;
        }
        pos = pos.checked_add(h + len)?;
    }
    (pos <= img.len()).then_some(pos)
}

/// Finds num_syms and names below markers `(at, c)`: returns
/// (num_syms position, names position, n).
fn find_names(img: &[u8], at: usize, c: usize, align: usize) -> Option<(usize, usize, usize)> {
    let last = rd_u32(img, at + 4 * (c - 1))? as usize;
    // Names end at most `align` bytes below the markers.
    let top = at.checked_sub(last)?;
    let lo_n = 256 * (c - 1) + 1;
    let hi_n = 256 * c;
    let mut ns = top - top % align;
    let floor = top.saturating_sub(256 * MAX_ENTRY + 2 * align);
    while ns >= floor && ns >= 4 {
        // num_syms sits in the aligned slot right before the names.
        let slot = ns - align;
        if let Some(n) = rd_u32(img, slot).map(|v| v as usize) {
            if (lo_n..=hi_n).contains(&n) && (align == 4 || rd_u32(img, slot + 4) == Some(0)) {
                if let Some(end) = names_end(img, ns, n, at) {
                    if end <= at && end + align > at {
                        return Some((slot, ns, n));
                    }
                }
            }
        }
        if ns < align {
            break;
        }
        ns -= align;
    }
    None
}

fn decode_address(
    img: &[u8],
    enc: AddressEncoding,
    table: usize,
    base: u64,
    i: usize,
    ptr: usize,
) -> Option<u64> {
    match enc {
        AddressEncoding::Absolute => rd_ptr(img, table + ptr * i, ptr),
        AddressEncoding::Relative => Some(base.wrapping_add(rd_u32(img, table + 4 * i)? as u64)),
        AddressEncoding::AbsolutePercpu => {
            let off = rd_u32(img, table + 4 * i)? as i32;
            Some(if off >= 0 {
                off as u64
            } else {
                base.wrapping_sub(1).wrapping_sub(off as i64 as u64)
            })
        }
    }
    .map(|a| if ptr == 4 { a & 0xffff_ffff } else { a })
}

/// Decodes all addresses from one layout guess; `None` unless sorted.
fn addresses(
    img: &[u8],
    enc: AddressEncoding,
    table: usize,
    base: u64,
    n: usize,
    ptr: usize,
) -> Option<Vec<u64>> {
    let mut out = Vec::with_capacity(n);
    let mut prev = 0u64;
    for i in 0..n {
        let a = decode_address(img, enc, table, base, i, ptr)?;
        if a < prev {
            return None;
        }
        prev = a;
        out.push(a);
    }
    Some(out)
}

struct Found {
    locations: TableLocations,
    encoding: AddressEncoding,
    relative_base: u64,
    addrs: Vec<u64>,
}

/// Tries the address-table placements of every layout.
fn find_addresses(
    img: &[u8],
    opts: &Options,
    ptr: usize,
    num_syms: usize,
    n: usize,
    token_index: usize,
    seqs: Option<usize>,
) -> Option<Found> {
    let align = ptr;
    let mut tries: Vec<(usize, Option<usize>)> = Vec::new();
    // Old order: offsets, relative_base, num_syms.
    if let Some(rb) = num_syms.checked_sub(ptr) {
        if let Some(off) = align_up(4 * n, align).and_then(|sz| rb.checked_sub(sz)) {
            tries.push((off, Some(rb)));
        }
    }
    // Old order without base-relative: addresses, num_syms.
    if let Some(addrs) = num_syms.checked_sub(ptr * n) {
        tries.push((addrs, None));
    }
    // 6.4+: after the token index.
    if let Some(off) = align_up(token_index + 512, align) {
        if let Some(rb) = align_up(off + 4 * n, align) {
            tries.push((off, Some(rb)));
        }
        tries.push((off, None));
    }
    for (table, rb_at) in tries {
        let encs: Vec<AddressEncoding> = match (rb_at, opts.encoding) {
            (None, Some(AddressEncoding::Absolute) | None) => vec![AddressEncoding::Absolute],
            (None, Some(_)) => continue,
            (Some(_), Some(AddressEncoding::Absolute)) => continue,
            (Some(_), Some(e)) => vec![e],
            (Some(_), None) => {
                // Real relative offsets stay far below 2^31; negative ones
                // only occur with absolute per-cpu symbols.
                let any_negative =
                    (0..n).any(|i| rd_u32(img, table + 4 * i).is_some_and(|v| (v as i32) < 0));
                if any_negative {
                    vec![AddressEncoding::AbsolutePercpu]
                } else {
                    vec![AddressEncoding::Relative]
                }
            }
        };
        let base = match rb_at {
            Some(at) => match rd_ptr(img, at, ptr) {
                Some(b) if b != 0 => b,
                _ => continue,
            },
            None => 0,
        };
        for enc in encs {
            if let Some(addrs) = addresses(img, enc, table, base, n, ptr) {
                // An all-zero table is sorted too; insist on real values.
                if addrs.last().copied().unwrap_or(0) == 0 {
                    continue;
                }
                return Some(Found {
                    locations: TableLocations {
                        num_syms,
                        names: 0,
                        markers: 0,
                        token_table: 0,
                        token_index,
                        addresses: table,
                        relative_base_at: rb_at,
                        seqs_of_names: seqs,
                    },
                    encoding: enc,
                    relative_base: base,
                    addrs,
                });
            }
        }
    }
    None
}

/// Expands every name into one arena; returns (arena, entries). Kernel
/// symbol names are ASCII, so when every token is, names need no UTF-8
/// check of their own and tokens are copied as fixed-size blocks.
fn expand_names(
    img: &[u8],
    tokens: &Tokens,
    names: usize,
    addrs: &[u64],
) -> Result<(String, Vec<Entry>)> {
    let toks: [&[u8]; 256] = core::array::from_fn(|c| tokens.get(img, c as u8));
    if toks.iter().all(|t| t.is_ascii()) {
        expand_ascii(img, &toks, names, addrs)
    } else {
        expand_any(img, &toks, names, addrs)
    }
}

/// Bytes copied per token by the fast path; longer tokens take a slice copy.
const TOKEN_BLOCK: usize = 16;

fn expand_ascii(
    img: &[u8],
    toks: &[&[u8]; 256],
    names: usize,
    addrs: &[u64],
) -> Result<(String, Vec<Entry>)> {
    let truncated = Error::Malformed("kallsyms: names truncated");
    let mut blocks = [[0u8; TOKEN_BLOCK]; 256];
    for (b, t) in blocks.iter_mut().zip(toks) {
        let n = t.len().min(TOKEN_BLOCK);
        b[..n].copy_from_slice(&t[..n]);
    }
    let longest = toks.iter().map(|t| t.len()).max().unwrap_or(0);
    let mut out = vec![0u8; (addrs.len() * 32).min(MAX_ARENA) + 4096];
    let mut entries = Vec::with_capacity(addrs.len());
    let mut pos = names;
    let mut p = 0usize;
    for &address in addrs {
        let (h, len) = entry_len(img, pos).ok_or(truncated)?;
        let codes = img.get(pos + h..pos + h + len).ok_or(truncated)?;
        pos += h + len;
        // Room for the worst case of this entry, so the copies below stay
        // in bounds (they also write up to a block past the name's end).
        if p > MAX_ARENA {
            return Err(Error::Malformed("kallsyms: names too large"));
        }
        let need = p + codes.len() * longest.max(TOKEN_BLOCK) + TOKEN_BLOCK;
        if need > out.len() {
            out.resize(need.max(out.len() * 2), 0);
        }
        let start = p;
        for &c in codes {
            let t = toks[c as usize];
            if t.len() <= TOKEN_BLOCK {
                out[p..p + TOKEN_BLOCK].copy_from_slice(&blocks[c as usize]);
            } else {
                out[p..p + t.len()].copy_from_slice(t);
            }
            p += t.len();
            if p - start > MAX_NAME {
                return Err(Error::Malformed("kallsyms: symbol name too long"));
            }
        }
        if p == start {
            return Err(Error::Malformed("kallsyms: empty symbol"));
        }
        let name =
            u32::try_from(start + 1).map_err(|_| Error::Malformed("kallsyms: names too large"))?;
        entries.push(Entry {
            name,
            len: (p - start - 1) as u16,
            kind: out[start],
            address,
        });
    }
    out.truncate(p);
    // Only ASCII tokens were copied, so this cannot fail.
    let arena = String::from_utf8(out).map_err(|_| Error::Malformed("kallsyms: names"))?;
    Ok((arena, entries))
}

/// The general path, for tokens outside ASCII (invalid UTF-8 in a name is
/// replaced, as a lossy conversion does).
fn expand_any(
    img: &[u8],
    toks: &[&[u8]; 256],
    names: usize,
    addrs: &[u64],
) -> Result<(String, Vec<Entry>)> {
    let truncated = Error::Malformed("kallsyms: names truncated");
    let mut arena = String::with_capacity(addrs.len() * 24);
    let mut entries = Vec::with_capacity(addrs.len());
    let mut pos = names;
    let mut buf = Vec::with_capacity(128);
    for &address in addrs {
        let (h, len) = entry_len(img, pos).ok_or(truncated)?;
        let codes = img.get(pos + h..pos + h + len).ok_or(truncated)?;
        pos += h + len;
        buf.clear();
        for &c in codes {
            buf.extend_from_slice(toks[c as usize]);
            if buf.len() > MAX_NAME {
                return Err(Error::Malformed("kallsyms: symbol name too long"));
            }
        }
        let (&kind, name) = buf
            .split_first()
            .ok_or(Error::Malformed("kallsyms: empty symbol"))?;
        let start = arena.len();
        if start > MAX_ARENA {
            return Err(Error::Malformed("kallsyms: names too large"));
        }
        match std::str::from_utf8(name) {
            Ok(s) => arena.push_str(s),
            Err(_) => arena.push_str(&String::from_utf8_lossy(name)),
        }
        let start =
            u32::try_from(start).map_err(|_| Error::Malformed("kallsyms: names too large"))?;
        // Lossy replacement can grow a name, but never past u16.
        let len = (arena.len() - start as usize).min(u16::MAX as usize) as u16;
        entries.push(Entry {
            name: start,
            len,
            kind,
            address,
        });
    }
    Ok((arena, entries))
}

impl Kallsyms {
    /// Searches `image` (a kernel image region; its start should be page
    /// aligned in the guest so the tables' alignment is preserved) for the
    /// kallsyms tables and decodes every symbol.
    pub fn find(image: &[u8], opts: &Options) -> Result<Kallsyms> {
        Self::find_from(image, 0, opts)
    }

    /// Like [`find`](Self::find), but looks for the token table only from
    /// offset `from` on (the other tables may lie anywhere in `image`).
    pub fn find_from(image: &[u8], from: usize, opts: &Options) -> Result<Kallsyms> {
        let sizes: &[usize] = match opts.pointer_size {
            Some(4) => &[4],
            Some(8) => &[8],
            Some(_) => {
                return Err(Error::InvalidArgument(
                    "kallsyms: pointer size must be 4 or 8",
                ))
            }
            None => &[8, 4],
        };
        // A hostile image could hold many fake token tables; each costs a
        // bounded search, and only so many are examined.
        let mut tables_tried = 0;
        let mut from = from;
        while let Some(zero) = next_digit_run(image, from) {
            for &ptr in sizes {
                let Some(tokens) = tokens_at(image, zero, ptr) else {
                    continue;
                };
                tables_tried += 1;
                if tables_tried > 16 {
                    return Err(Error::NotFound(
                        "kallsyms tables (too many false candidates)",
                    ));
                }
                if let Some(found) = Self::try_at(image, tokens, ptr, opts) {
                    return Ok(found);
                }
            }
            from = zero + 1;
        }
        Err(Error::NotFound("kallsyms tables"))
    }

    fn try_at(img: &[u8], tokens: Tokens, ptr: usize, opts: &Options) -> Option<Kallsyms> {
        if tokens.table % ptr != 0 {
            return None;
        }
        marker_candidates(img, tokens.table, ptr, |markers, c, seqs| {
            let (num_syms, names, n) = find_names(img, markers, c, ptr)?;
            let mut found = find_addresses(img, opts, ptr, num_syms, n, tokens.index, seqs)?;
            let (arena, entries) = expand_names(img, &tokens, names, &found.addrs).ok()?;
            found.locations.names = names;
            found.locations.markers = markers;
            found.locations.token_table = tokens.table;
            found.locations.token_index = tokens.index;
            Some(Kallsyms {
                names: arena,
                entries,
                locations: found.locations,
                pointer_size: ptr as u8,
                encoding: found.encoding,
                relative_base: found.relative_base,
                hasher: Default::default(),
                by_name: OnceLock::new(),
            })
        })
    }

    /// Copies `[start, start + len)` out of `reader` (unreadable 1 MiB
    /// chunks read as zeros) and searches it. Table locations are then
    /// offsets from `start`.
    pub fn find_with_reader<R: KernelReader + ?Sized>(
        reader: &R,
        start: u64,
        len: usize,
        opts: &Options,
    ) -> Result<Kallsyms> {
        const CHUNK: usize = 1 << 20;
        if len > (1 << 30) {
            return Err(Error::InvalidArgument(
                "kallsyms: search window larger than 1 GiB",
            ));
        }
        let mut buf = vec![0u8; len];
        for (i, chunk) in buf.chunks_mut(CHUNK).enumerate() {
            let addr = start.wrapping_add((i * CHUNK) as u64);
            if reader.read(addr, chunk).is_err() {
                chunk.fill(0);
            }
        }
        Self::find(&buf, opts)
    }

    fn symbol(&self, e: &Entry) -> Symbol<'_> {
        let start = e.name as usize;
        Symbol {
            name: self.names.get(start..start + e.len as usize).unwrap_or(""),
            kind: e.kind as char,
            address: e.address,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Symbol number `i` in table order.
    pub fn get(&self, i: usize) -> Option<Symbol<'_>> {
        self.entries.get(i).map(|e| self.symbol(e))
    }

    /// All symbols in table order (ascending address).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Symbol<'_>> + '_ {
        self.entries.iter().map(|e| self.symbol(e))
    }

    pub fn locations(&self) -> &TableLocations {
        &self.locations
    }

    pub fn pointer_size(&self) -> u8 {
        self.pointer_size
    }

    pub fn encoding(&self) -> AddressEncoding {
        self.encoding
    }

    /// `kallsyms_relative_base` as read from the image (0 when absolute).
    pub fn relative_base(&self) -> u64 {
        self.relative_base
    }

    fn names(&self) -> &NameIndex {
        self.by_name.get_or_init(|| {
            let mut table = HashTable::with_capacity(self.entries.len());
            let mut shadowed = Vec::new();
            for (i, e) in self.entries.iter().enumerate() {
                let n = self.symbol(e).name;
                let h = self.hasher.hash_one(n);
                // Keep the first of duplicate names, as the kernel does.
                if table
                    .find(h, |&j: &u32| {
                        self.get(j as usize).is_some_and(|s| s.name == n)
                    })
                    .is_some()
                {
                    shadowed.push(i as u32);
                } else {
                    table.insert_unique(h, i as u32, |&j| {
                        self.hasher
                            .hash_one(self.get(j as usize).map_or("", |s| s.name))
                    });
                }
            }
            NameIndex { table, shadowed }
        })
    }

    /// The first symbol with this name (like `kallsyms_lookup_name`).
    pub fn lookup(&self, name: &str) -> Option<Symbol<'_>> {
        let h = self.hasher.hash_one(name);
        let i = *self
            .names()
            .table
            .find(h, |&j| self.get(j as usize).is_some_and(|s| s.name == name))?;
        self.get(i as usize)
    }

    /// Is entry `i` the first with its name (what [`lookup`](Self::lookup)
    /// finds)?
    pub fn is_first_of_name(&self, i: usize) -> bool {
        i < self.entries.len()
            && u32::try_from(i).is_ok_and(|i| self.names().shadowed.binary_search(&i).is_err())
    }

    pub fn address_of(&self, name: &str) -> Option<u64> {
        self.lookup(name).map(|s| s.address)
    }

    /// The symbol at or nearest below `addr` and the distance to it.
    pub fn nearest(&self, addr: u64) -> Option<(Symbol<'_>, u64)> {
        let i = self
            .entries
            .partition_point(|e| e.address <= addr)
            .checked_sub(1)?;
        // Several symbols may share an address; report the first of them.
        let a = self.entries[i].address;
        let first = self.entries[..=i]
            .iter()
            .rposition(|e| e.address != a)
            .map_or(0, |p| p + 1);
        let s = self.get(first)?;
        Some((s, addr - s.address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Emits the tables like `scripts/kallsyms`, with a simple pair-merging
    /// compressor, in one of the layouts.
    struct Gen {
        ptr: usize,
        encoding: AddressEncoding,
        seqs: bool,
        new_order: bool,
        relative_base: u64,
    }

    fn compress(syms: &[(String, char, u64)]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let raw: Vec<Vec<u8>> = syms
            .iter()
            .map(|(n, t, _)| {
                let mut v = vec![*t as u8];
                v.extend_from_slice(n.as_bytes());
                v
            })
            .collect();
        let mut used = [false; 256];
        raw.iter().flatten().for_each(|&b| used[b as usize] = true);
        let mut tokens: Vec<Vec<u8>> = (0..256)
            .map(|b| if used[b] { vec![b as u8] } else { Vec::new() })
            .collect();
        // Assign the most frequent byte pairs to unused codes, leaving some
        // codes empty as small kernels do.
        let mut counts: HashMap<(u8, u8), usize> = HashMap::new();
        for s in &raw {
            for w in s.windows(2) {
                *counts.entry((w[0], w[1])).or_default() += 1;
            }
        }
        let mut pairs: Vec<_> = counts.into_iter().collect();
        pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut pair_code = HashMap::new();
        let free: Vec<usize> = (0..256).filter(|&b| !used[b]).collect();
        for (code, (pair, _)) in free.iter().take(free.len().saturating_sub(10)).zip(pairs) {
            tokens[*code] = vec![pair.0, pair.1];
            pair_code.insert(pair, *code as u8);
        }
        let names = raw
            .iter()
            .map(|s| {
                let mut out = Vec::new();
                let mut i = 0;
                while i < s.len() {
                    if i + 1 < s.len() {
                        if let Some(&c) = pair_code.get(&(s[i], s[i + 1])) {
                            out.push(c);
                            i += 2;
                            continue;
                        }
                    }
                    out.push(s[i]);
                    i += 1;
                }
                out
            })
            .collect();
        (tokens, names)
    }

    impl Gen {
        fn pad(&self, out: &mut Vec<u8>) {
            while out.len() % self.ptr != 0 {
                out.push(0);
            }
        }
        fn ptr_bytes(&self, v: u64) -> Vec<u8> {
            if self.ptr == 4 {
                (v as u32).to_le_bytes().to_vec()
            } else {
                v.to_le_bytes().to_vec()
            }
        }

        /// Returns the tables blob; `out` must start aligned.
        fn emit(&self, syms: &[(String, char, u64)], percpu: &[bool]) -> Vec<u8> {
            let (tokens, names) = compress(syms);
            let n = syms.len();
            let mut addr_tab = Vec::new();
            for (i, (_, _, a)) in syms.iter().enumerate() {
                match self.encoding {
                    AddressEncoding::Absolute => addr_tab.extend(self.ptr_bytes(*a)),
                    AddressEncoding::Relative => {
                        addr_tab.extend(((a - self.relative_base) as u32).to_le_bytes())
                    }
                    AddressEncoding::AbsolutePercpu => {
                        let v = if percpu[i] {
                            *a as i32
                        } else {
                            self.relative_base.wrapping_sub(*a).wrapping_sub(1) as i64 as i32
                        };
                        addr_tab.extend(v.to_le_bytes())
                    }
                }
            }
            let mut name_blob = Vec::new();
            let mut markers = Vec::new();
            for (i, nm) in names.iter().enumerate() {
                if i % 256 == 0 {
                    markers.push(name_blob.len() as u32);
                }
                if nm.len() > 0x7f {
                    name_blob.push((nm.len() & 0x7f) as u8 | 0x80);
                    name_blob.push((nm.len() >> 7) as u8);
                } else {
                    name_blob.push(nm.len() as u8);
                }
                name_blob.extend(nm);
            }
            let mut out = Vec::new();
            let rel = self.encoding != AddressEncoding::Absolute;
            let addresses = |g: &Gen, out: &mut Vec<u8>| {
                out.extend(&addr_tab);
                g.pad(out);
                if rel {
                    out.extend(g.ptr_bytes(g.relative_base));
                    g.pad(out);
                }
            };
            if !self.new_order {
                addresses(self, &mut out);
            }
            out.extend((n as u32).to_le_bytes());
            self.pad(&mut out);
            out.extend(&name_blob);
            self.pad(&mut out);
            for m in &markers {
                out.extend(m.to_le_bytes());
            }
            self.pad(&mut out);
            if self.seqs && !self.new_order {
                for i in 0..n as u32 {
                    out.extend(&i.to_be_bytes()[1..]);
                }
                self.pad(&mut out);
            }
            let mut index = Vec::new();
            for t in &tokens {
                index.push(out.len() as u32);
                out.extend(t);
                out.push(0);
            }
            let table_start = index[0];
            self.pad(&mut out);
            for i in index {
                out.extend(((i - table_start) as u16).to_le_bytes());
            }
            self.pad(&mut out);
            if self.new_order {
                addresses(self, &mut out);
            }
            out
        }
    }

    /// Deterministic symbol set: digits, long names, per-cpu entries.
    fn symbols(n: usize, base: u64, with_percpu: bool) -> (Vec<(String, char, u64)>, Vec<bool>) {
        let mut syms = Vec::new();
        let mut percpu = Vec::new();
        if with_percpu {
            for (i, name) in [
                "fixed_percpu_data",
                "__per_cpu_start",
                "cpu_debug_store",
                "irq_stack_backing_store",
            ]
            .iter()
            .enumerate()
            {
                syms.push((name.to_string(), 'A', (i as u64) * 0x1000));
                percpu.push(true);
            }
        }
        let kinds = ['T', 't', 'D', 'd', 'R', 'r', 'B', 'b', 'W'];
        let mut addr = base;
        let mut x = 0x1234_5678u32;
        for i in 0..n {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let name = match i % 97 {
                0 => format!("very_long_symbol_{}_{}", i, "abcdefghij".repeat(20)),
                1 => format!("__func_{i:x}_0123456789"),
                _ => format!(
                    "sym_{}_{}",
                    ["init", "task", "page", "kmem", "sched", "irq"][i % 6],
                    i
                ),
            };
            syms.push((name, kinds[x as usize % kinds.len()], addr));
            percpu.push(false);
            addr += (x % 64) as u64 * 16;
        }
        (syms, percpu)
    }

    fn check(gen: &Gen, n: usize, percpu: bool) {
        let (syms, pc) = symbols(n, gen.relative_base + 0x40, percpu);
        let tables = gen.emit(&syms, &pc);
        // Bury the tables in noise, with a decoy digit run in front.
        let mut img = vec![0u8; 8192];
        img[100..120].copy_from_slice(b"0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00");
        for (i, b) in img.iter_mut().enumerate().skip(200).take(4000) {
            *b = (i * 7 % 251) as u8;
        }
        let at = img.len();
        img.extend(&tables);
        img.extend(vec![0xa5u8; 3000]);

        let ks = Kallsyms::find(&img, &Options::default()).expect("tables found");
        assert_eq!(ks.pointer_size() as usize, gen.ptr);
        assert_eq!(ks.encoding(), gen.encoding);
        assert_eq!(ks.len(), syms.len());
        for (got, (name, kind, addr)) in ks.iter().zip(&syms) {
            assert_eq!(
                (got.name, got.kind, got.address),
                (name.as_str(), *kind, *addr)
            );
        }
        assert!(ks.locations().num_syms >= at);
        assert_eq!(
            ks.locations().seqs_of_names.is_some(),
            gen.seqs && !gen.new_order
        );
        let probe = &syms[n / 2];
        assert_eq!(ks.address_of(&probe.0), Some(probe.2));
        let (near, dist) = ks.nearest(probe.2 + 3).unwrap();
        assert_eq!(near.address, probe.2);
        assert_eq!(dist, 3);
        assert!(ks.address_of("no_such_symbol").is_none());
    }

    #[test]
    fn x86_64_6_1_layout_absolute_percpu() {
        let g = Gen {
            ptr: 8,
            encoding: AddressEncoding::AbsolutePercpu,
            seqs: false,
            new_order: false,
            relative_base: 0xffff_ffff_9540_0000,
        };
        check(&g, 3000, true);
    }

    /// Tokens of every length class (empty, short, exactly one block,
    /// longer than a block) expand the same on the fast and general paths.
    #[test]
    fn fast_and_general_expansion_agree() {
        let mut img = Vec::new();
        let mut ranges = [(0u32, 0u16); 256];
        for (c, r) in ranges.iter_mut().enumerate() {
            let len = match c % 5 {
                0 => 0,
                1 => 1,
                2 => 7,
                3 => TOKEN_BLOCK,
                _ => TOKEN_BLOCK + 3 + c % 29,
            };
            *r = (img.len() as u32, len as u16);
            img.extend((0..len).map(|i| b'a' + ((c + i) % 26) as u8));
            img.push(0);
        }
        let tokens = Tokens {
            table: 0,
            index: 0,
            ranges,
        };
        let names = img.len();
        let mut addrs = Vec::new();
        for i in 0..300usize {
            // The first code gives the type letter; some names are long.
            let codes: Vec<u8> = (0..1 + i % 40)
                .map(|k| ((i * 7 + k * 13) % 255 + 1) as u8)
                .filter(|c| c % 5 != 0)
                .collect();
            if codes.is_empty() {
                continue;
            }
            img.push(codes.len() as u8);
            img.extend(&codes);
            addrs.push(0x1000 + i as u64);
        }
        let toks: [&[u8]; 256] = core::array::from_fn(|c| tokens.get(&img, c as u8));
        let (fa, fe) = expand_ascii(&img, &toks, names, &addrs).unwrap();
        let (ga, ge) = expand_any(&img, &toks, names, &addrs).unwrap();
        assert_eq!(fe.len(), addrs.len());
        let name =
            |a: &str, e: &Entry| a[e.name as usize..e.name as usize + e.len as usize].to_owned();
        for (f, g) in fe.iter().zip(&ge) {
            assert_eq!(
                (name(&fa, f), f.kind, f.address),
                (name(&ga, g), g.kind, g.address)
            );
        }
        assert!(fe.iter().any(|e| e.len as usize > 2 * TOKEN_BLOCK));
        // A truncated names block fails on both paths.
        let short = &img[..img.len() - 3];
        assert!(expand_ascii(short, &toks, names, &addrs).is_err());
        assert!(expand_any(short, &toks, names, &addrs).is_err());
    }

    #[test]
    fn debian_6_1_layout_with_seqs_of_names() {
        for n in [255, 256, 257, 1000, 2049] {
            let g = Gen {
                ptr: 8,
                encoding: AddressEncoding::AbsolutePercpu,
                seqs: true,
                new_order: false,
                relative_base: 0xffff_ffff_8100_0000,
            };
            check(&g, n, true);
        }
    }

    #[test]
    fn arm64_relative_and_i386_layouts() {
        let arm = Gen {
            ptr: 8,
            encoding: AddressEncoding::Relative,
            seqs: true,
            new_order: false,
            relative_base: 0xffff_8000_0800_0000,
        };
        check(&arm, 1500, false);
        let i386 = Gen {
            ptr: 4,
            encoding: AddressEncoding::Relative,
            seqs: true,
            new_order: false,
            relative_base: 0xc100_0000,
        };
        check(&i386, 1500, false);
        let i386_61 = Gen {
            seqs: false,
            ..i386
        };
        check(&i386_61, 700, false);
    }

    #[test]
    fn absolute_addresses_and_new_order() {
        let abs = Gen {
            ptr: 8,
            encoding: AddressEncoding::Absolute,
            seqs: false,
            new_order: false,
            relative_base: 0xffff_ffff_8100_0000,
        };
        check(&abs, 600, false);
        let new = Gen {
            ptr: 8,
            encoding: AddressEncoding::Relative,
            seqs: false,
            new_order: true,
            relative_base: 0xffff_ffff_8100_0000,
        };
        check(&new, 900, false);
    }

    /// A "virtual" reader: the image sits at a kernel address, and one
    /// unmapped megabyte in front of it fails to read.
    struct Virt {
        base: u64,
        img: Vec<u8>,
    }

    impl KernelReader for Virt {
        fn read(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
            let off = addr
                .checked_sub(self.base)
                .ok_or(Error::PageNotPresent { va: addr, level: 4 })?;
            if off < (1 << 20) {
                return Err(Error::PageNotPresent { va: addr, level: 1 });
            }
            self.img.as_slice().read(off, buf)
        }
    }

    #[test]
    fn reader_window_with_holes() {
        let g = Gen {
            ptr: 8,
            encoding: AddressEncoding::Relative,
            seqs: true,
            new_order: false,
            relative_base: 0xffff_8000_0800_0000,
        };
        let (syms, pc) = symbols(900, g.relative_base, false);
        let mut img = vec![0x5au8; 1 << 20];
        img.extend(g.emit(&syms, &pc));
        img.resize(img.len() + 4096, 0);
        let base = 0xffff_8000_1000_0000;
        let len = img.len();
        let ks = Kallsyms::find_with_reader(&Virt { base, img }, base, len, &Options::default())
            .unwrap();
        assert_eq!(ks.len(), syms.len());
        assert_eq!(ks.locations().addresses, 1 << 20);
        assert_eq!(ks.lookup(&syms[5].0).map(|s| s.address), Some(syms[5].2));
        let plain: &[u8] = &[1, 2, 3];
        let mut two = [0u8; 2];
        assert!(plain.read(2, &mut two).is_err());
        assert!(plain.read(u64::MAX, &mut two).is_err());
        assert!(plain.read(1, &mut two).is_ok() && two == [2, 3]);
    }

    #[test]
    fn corrupt_tables_fail_cleanly() {
        let g = Gen {
            ptr: 8,
            encoding: AddressEncoding::AbsolutePercpu,
            seqs: true,
            new_order: false,
            relative_base: 0xffff_ffff_8100_0000,
        };
        let (syms, pc) = symbols(700, g.relative_base + 0x40, true);
        let tables = g.emit(&syms, &pc);
        assert!(Kallsyms::find(&tables, &Options::default()).is_ok());
        assert!(Kallsyms::find(&[], &Options::default()).is_err());
        assert!(Kallsyms::find(
            &tables,
            &Options {
                pointer_size: Some(3),
                encoding: None
            }
        )
        .is_err());
        let loc = *Kallsyms::find(&tables, &Options::default())
            .unwrap()
            .locations();
        let broken = |at: usize, v: u8| {
            let mut m = tables.clone();
            m[at] ^= v;
            Kallsyms::find(&m, &Options::default())
        };
        // Each table is cross-checked: a wrong token offset, marker,
        // symbol count or an unsorted address makes the search fail.
        assert!(broken(loc.token_index + 2 * 0x41, 1).is_err());
        assert!(broken(loc.markers + 4, 1).is_err());
        assert!(broken(loc.num_syms, 1).is_err());
        assert!(broken(loc.addresses + 4 * 300 + 3, 0x40).is_err());
        assert!(broken(loc.relative_base_at.unwrap(), 0xff)
            .is_ok_and(|k| k.relative_base() != g.relative_base));

        // Random bit flips anywhere: never a panic or an oversized result.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for round in 0..400 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut m = tables.clone();
            for k in 0..(1 + round % 3) {
                let pos = (state.rotate_left(k * 21) as usize) % m.len();
                m[pos] ^= 1 << (state % 8);
            }
            if let Ok(ks) = Kallsyms::find(&m, &Options::default()) {
                assert_eq!(ks.len(), syms.len());
            }
        }
    }
}

/// Checks against real guest memory images when they are present (made by
/// the guest builder: `mem.raw` is guest-physical memory and
/// `truth/kallsyms` the guest's /proc/kallsyms read as root).
#[cfg(test)]
mod guest_tests {
    use super::*;
    use std::path::PathBuf;

    fn guest_dir(name: &str) -> Option<PathBuf> {
        let root = std::env::var_os("LIBVMI_GUESTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/work/wt/guests/target/guests"));
        let dir = root.join(name);
        (dir.join(".complete").exists() && dir.join("mem.raw").exists()).then_some(dir)
    }

    /// The largest RAM range of the guest (meta.json), as file offsets of
    /// mem.raw; the rest of the file is holes.
    fn ram(dir: &std::path::Path) -> (usize, usize) {
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
        meta["ram_ranges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["start"].as_u64().unwrap() as usize,
                    r["end"].as_u64().unwrap() as usize,
                )
            })
            .max_by_key(|(s, e)| e - s)
            .unwrap()
    }

    /// Core-kernel lines of /proc/kallsyms (module symbols carry `[mod]`).
    fn truth(dir: &std::path::Path, ptr: usize) -> Vec<(String, char, u64)> {
        let text = std::fs::read_to_string(dir.join("truth/kallsyms")).unwrap();
        text.lines()
            .filter(|l| !l.contains('['))
            .map(|l| {
                let mut it = l.split_whitespace();
                let addr = u64::from_str_radix(it.next().unwrap(), 16).unwrap();
                let kind = it.next().unwrap().chars().next().unwrap();
                let name = it.next().unwrap().to_string();
                let address = if ptr == 4 { addr & 0xffff_ffff } else { addr };
                (name, kind, address)
            })
            .collect()
    }

    fn check_guest(name: &str, ptr: u8) {
        let Some(dir) = guest_dir(name) else {
            eprintln!("guest image {name} not present; skipped");
            return;
        };
        let file = std::fs::File::open(dir.join("mem.raw")).unwrap();
        // SAFETY: read-only map of a file nobody modifies during the test.
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        let (lo, hi) = ram(&dir);
        let mem = &map[lo..hi];
        let t0 = std::time::Instant::now();
        let ks = Kallsyms::find(mem, &Options::default()).unwrap();
        let whole = t0.elapsed();
        let want = truth(&dir, ptr as usize);
        assert_eq!(ks.pointer_size(), ptr);
        assert_eq!(ks.len(), want.len(), "symbol count");
        let mismatches: Vec<_> = ks
            .iter()
            .zip(&want)
            .filter(|(a, b)| (a.name, a.kind, a.address) != (b.0.as_str(), b.1, b.2))
            .collect();
        // Every name resolves to its first occurrence.
        for (name, _, addr) in want.iter().step_by(97) {
            let first = want.iter().find(|w| &w.0 == name).map(|w| w.2);
            assert_eq!(ks.address_of(name), first);
            assert!(ks
                .nearest(*addr)
                .is_some_and(|(s, d)| d == 0 && s.address == *addr));
        }
        for (got, exp) in mismatches.iter().take(10) {
            eprintln!("mismatch: got {got:?}, /proc/kallsyms has {exp:?}");
        }
        assert!(
            mismatches.is_empty(),
            "{} of {} symbols differ",
            mismatches.len(),
            want.len()
        );

        // What an integration will do: search a 64 MiB window that starts
        // on a 2 MiB boundary below the tables (the kernel image).
        let start = (ks.locations().addresses.saturating_sub(40 << 20)) & !((2 << 20) - 1);
        let window = &mem[start..(start + (64 << 20)).min(mem.len())];
        // Best of five: the build machine is shared.
        let mut windowed = std::time::Duration::MAX;
        let mut again = None;
        for _ in 0..5 {
            let t1 = std::time::Instant::now();
            again = Some(Kallsyms::find(window, &Options::default()).unwrap());
            windowed = windowed.min(t1.elapsed());
        }
        let again = again.unwrap();
        assert!(again.iter().eq(ks.iter()));
        assert_eq!(
            again.locations().token_table + start,
            ks.locations().token_table
        );
        eprintln!(
            "{name}: {} symbols, all equal to /proc/kallsyms; all {} MiB of RAM {whole:?}, \
             64 MiB window {windowed:?}; {:?}, relative_base {:#x}, tables at {:#x?}",
            ks.len(),
            mem.len() >> 20,
            ks.encoding(),
            ks.relative_base(),
            ks.locations()
        );
    }

    #[test]
    fn guest_x86_64_matches_proc_kallsyms() {
        check_guest("x86_64", 8);
    }

    #[test]
    fn guest_i386_pae_matches_proc_kallsyms() {
        check_guest("i386-pae", 4);
    }

    #[test]
    fn guest_arm64_matches_proc_kallsyms() {
        check_guest("arm64", 8);
    }
}
