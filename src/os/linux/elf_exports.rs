//! Dynamic symbols of an ELF image mapped in a process: the program
//! headers lead to PT_DYNAMIC, whose DT_SYMTAB / DT_STRTAB / DT_GNU_HASH /
//! DT_HASH entries give the tables a name lookup needs. Everything is read
//! from guest memory, so every count, index and length is bounded.
//!
//! An RVA here is a symbol's value minus the image's link base (the
//! lowest PT_LOAD address, page aligned): for position-independent images
//! linked at 0 (shared objects, the vDSO) it is `st_value`, as upstream
//! returns, and `base + rva` is the symbol's running address.

use crate::error::{Error, Result};
use crate::instance::{Access, Vmi};

/// Program headers looked at (upstream stops at 32).
const MAX_PHNUM: usize = 64;
/// Dynamic entries looked at before giving up on DT_NULL.
const MAX_DYN: usize = 256;
/// Symbols scanned or chain links followed; also bounds table sizes.
const MAX_SYMBOLS: u64 = 1 << 18;
/// Buckets read at once to count symbols from DT_GNU_HASH.
const MAX_GNU_BUCKETS: u64 = 1 << 16;
/// Longest symbol name read.
const MAX_NAME: usize = 1024;
/// Guest page size the link base is aligned to.
const PAGE: u64 = 0x1000;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const DT_NULL: u64 = 0;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_STRSZ: u64 = 10;
const DT_SYMENT: u64 = 11;
const DT_GNU_HASH: u64 = 0x6fff_fef5;
const SHN_UNDEF: u16 = 0;

/// Where the image's bytes come from: guest memory in the library, a
/// plain buffer in unit tests.
pub trait ImageMemory {
    /// Fills all of `buf` from virtual address `va`, or fails.
    fn read(&self, va: u64, buf: &mut [u8]) -> Result<()>;
}

/// One address space of the guest, by page-table root.
pub struct ProcessMemory<'a> {
    pub vmi: &'a Vmi,
    pub dtb: u64,
}

impl ImageMemory for ProcessMemory<'_> {
    fn read(&self, va: u64, buf: &mut [u8]) -> Result<()> {
        let n = self
            .vmi
            .read(&Access::dtb(self.dtb, va), buf)
            .into_result()?;
        if n == buf.len() {
            Ok(())
        } else {
            Err(Error::Malformed("short read of an ELF image"))
        }
    }
}

/// Field decoding for one ELF class and byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    is64: bool,
    big: bool,
}

impl Layout {
    fn u16(self, b: &[u8], at: usize) -> u16 {
        let mut a = [0u8; 2];
        a.copy_from_slice(&b[at..at + 2]);
        if self.big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }
    fn u32(self, b: &[u8], at: usize) -> u32 {
        let mut a = [0u8; 4];
        a.copy_from_slice(&b[at..at + 4]);
        if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    fn u64(self, b: &[u8], at: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        if self.big {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }
    /// An address-sized field (Elf32_Addr / Elf64_Addr and friends).
    fn word(self, b: &[u8], at: usize) -> u64 {
        if self.is64 {
            self.u64(b, at)
        } else {
            u64::from(self.u32(b, at))
        }
    }
    fn word_size(self) -> u64 {
        if self.is64 {
            8
        } else {
            4
        }
    }
    fn phent(self) -> usize {
        if self.is64 {
            56
        } else {
            32
        }
    }
    fn dynent(self) -> usize {
        2 * self.word_size() as usize
    }
    fn syment(self) -> u64 {
        if self.is64 {
            24
        } else {
            16
        }
    }
    /// (st_name, st_value, st_shndx) of one symbol entry.
    fn symbol(self, b: &[u8]) -> (u32, u64, u16) {
        if self.is64 {
            (self.u32(b, 0), self.u64(b, 8), self.u16(b, 6))
        } else {
            (self.u32(b, 0), u64::from(self.u32(b, 4)), self.u16(b, 14))
        }
    }
}

fn read_u32<M: ImageMemory>(mem: &M, l: Layout, va: u64) -> Result<u32> {
    let mut b = [0u8; 4];
    mem.read(va, &mut b)?;
    Ok(l.u32(&b, 0))
}

fn read_word<M: ImageMemory>(mem: &M, l: Layout, va: u64) -> Result<u64> {
    let mut b = [0u8; 8];
    let n = l.word_size() as usize;
    mem.read(va, &mut b[..n])?;
    Ok(l.word(&b, 0))
}

fn at(base: u64, off: u64) -> Result<u64> {
    base.checked_add(off)
        .ok_or(Error::Malformed("ELF table address overflows"))
}

/// The dynamic tables of one mapped image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynamicImage {
    layout_is64: bool,
    layout_big: bool,
    /// Running address of the ELF header.
    pub base: u64,
    /// Lowest PT_LOAD address (page aligned); RVAs are relative to it.
    pub link_base: u64,
    /// Running addresses of the tables.
    pub symtab: u64,
    pub strtab: u64,
    pub strsz: Option<u64>,
    pub hash: Option<u64>,
    pub gnu_hash: Option<u64>,
}

impl DynamicImage {
    fn layout(&self) -> Layout {
        Layout {
            is64: self.layout_is64,
            big: self.layout_big,
        }
    }

    pub fn is64(&self) -> bool {
        self.layout_is64
    }

    /// Reads the headers of the image whose ELF header is at `base`.
    pub fn parse<M: ImageMemory>(mem: &M, base: u64) -> Result<DynamicImage> {
        let mut eh = [0u8; 64];
        mem.read(base, &mut eh[..52])?;
        if eh[..4] != *b"\x7fELF" {
            return Err(Error::Malformed("no ELF header at the image base"));
        }
        let is64 = match eh[4] {
            1 => false,
            2 => true,
            _ => return Err(Error::Malformed("unknown ELF class")),
        };
        let big = match eh[5] {
            1 => false,
            2 => true,
            _ => return Err(Error::Malformed("unknown ELF byte order")),
        };
        let l = Layout { is64, big };
        if is64 {
            mem.read(at(base, 52)?, &mut eh[52..64])?;
        }
        let e_type = l.u16(&eh, 16);
        if e_type != ET_EXEC && e_type != ET_DYN {
            return Err(Error::Malformed(
                "ELF image is neither executable nor shared",
            ));
        }
        let (phoff, phentsize, phnum) = if is64 {
            (l.u64(&eh, 32), l.u16(&eh, 54), l.u16(&eh, 56))
        } else {
            (u64::from(l.u32(&eh, 28)), l.u16(&eh, 42), l.u16(&eh, 44))
        };
        if usize::from(phentsize) != l.phent() {
            return Err(Error::Malformed("unexpected ELF program header size"));
        }
        let phnum = usize::from(phnum).min(MAX_PHNUM);
        if phnum == 0 {
            return Err(Error::Malformed("ELF image has no program headers"));
        }
        let mut ph = vec![0u8; phnum * l.phent()];
        mem.read(at(base, phoff)?, &mut ph)?;

        // (p_type, p_vaddr, p_memsz) of each header.
        let headers = ph.chunks_exact(l.phent()).map(|h| {
            if is64 {
                (l.u32(h, 0), l.u64(h, 16), l.u64(h, 40))
            } else {
                (l.u32(h, 0), u64::from(l.u32(h, 8)), u64::from(l.u32(h, 20)))
            }
        });
        let mut link_base = u64::MAX;
        let mut link_end = 0u64;
        let mut dynamic = None;
        for (ty, vaddr, memsz) in headers {
            match ty {
                PT_LOAD => {
                    link_base = link_base.min(vaddr & !(PAGE - 1));
                    link_end = link_end.max(vaddr.saturating_add(memsz));
                }
                PT_DYNAMIC if dynamic.is_none() => dynamic = Some(vaddr),
                _ => {}
            }
        }
        let dyn_vaddr = dynamic.ok_or(Error::NotFound("PT_DYNAMIC"))?;
        if link_base == u64::MAX {
            link_base = 0;
        }
        let span = link_end.saturating_sub(link_base);
        let bias = base.wrapping_sub(link_base);
        // Table addresses in the dynamic section are link-time values
        // unless a loader relocated them in place (glibc does for most
        // objects, never for the read-only vDSO): accept both.
        let running = |v: u64| -> u64 {
            if v.wrapping_sub(base) < span {
                v
            } else {
                v.wrapping_add(bias)
            }
        };

        let mut img = DynamicImage {
            layout_is64: is64,
            layout_big: big,
            base,
            link_base,
            symtab: 0,
            strtab: 0,
            strsz: None,
            hash: None,
            gnu_hash: None,
        };
        let mut syment = None;
        let mut entry = vec![0u8; l.dynent()];
        let mut va = dyn_vaddr.wrapping_add(bias);
        for _ in 0..MAX_DYN {
            // An unreadable entry ends the section, as DT_NULL would: the
            // tags found so far may still be enough.
            if mem.read(va, &mut entry).is_err() {
                break;
            }
            let tag = l.word(&entry, 0);
            let val = l.word(&entry, l.word_size() as usize);
            match tag {
                DT_NULL => break,
                DT_HASH => img.hash = Some(running(val)),
                DT_GNU_HASH => img.gnu_hash = Some(running(val)),
                DT_STRTAB => img.strtab = running(val),
                DT_SYMTAB => img.symtab = running(val),
                DT_STRSZ => img.strsz = Some(val),
                DT_SYMENT => syment = Some(val),
                _ => {}
            }
            va = at(va, l.dynent() as u64)?;
        }
        if img.symtab == 0 || img.strtab == 0 {
            return Err(Error::NotFound("dynamic symbol or string table"));
        }
        if syment.is_some_and(|s| s != l.syment()) {
            return Err(Error::Malformed("unexpected ELF symbol entry size"));
        }
        if img.hash.is_none() && img.gnu_hash.is_none() {
            return Err(Error::NotFound("DT_HASH or DT_GNU_HASH"));
        }
        Ok(img)
    }

    /// (st_name, st_value, st_shndx) of symbol `index`.
    fn symbol<M: ImageMemory>(&self, mem: &M, index: u64) -> Result<(u32, u64, u16)> {
        let l = self.layout();
        let mut b = [0u8; 24];
        let n = l.syment() as usize;
        let off = index
            .checked_mul(l.syment())
            .ok_or(Error::Malformed("symbol index overflows"))?;
        mem.read(at(self.symtab, off)?, &mut b[..n])?;
        Ok(l.symbol(&b[..n]))
    }

    /// The string at offset `off` of the string table.
    pub fn name<M: ImageMemory>(&self, mem: &M, off: u32) -> Result<String> {
        let off = u64::from(off);
        if self.strsz.is_some_and(|sz| off >= sz) {
            return Err(Error::Malformed("symbol name outside the string table"));
        }
        let start = at(self.strtab, off)?;
        let mut out = Vec::new();
        let mut chunk = [0u8; 64];
        while out.len() < MAX_NAME {
            // Stay inside one page per read: the next page may be absent
            // although the name ends before it.
            let va = at(start, out.len() as u64)?;
            let room = (PAGE - (va & (PAGE - 1))) as usize;
            let n = room.min(chunk.len());
            mem.read(va, &mut chunk[..n])?;
            if let Some(end) = chunk[..n].iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..end]);
                return String::from_utf8(out)
                    .map_err(|_| Error::Malformed("symbol name not UTF-8"));
            }
            out.extend_from_slice(&chunk[..n]);
        }
        Err(Error::Malformed("symbol name too long"))
    }

    /// Whether symbol `index` is a definition named `want`; gives its value.
    fn defines<M: ImageMemory>(&self, mem: &M, index: u64, want: &str) -> Result<Option<u64>> {
        let (name, value, shndx) = self.symbol(mem, index)?;
        if shndx == SHN_UNDEF {
            return Ok(None);
        }
        // A bad name offset in one entry must not hide the others.
        Ok(match self.name(mem, name) {
            Ok(n) if n == want => Some(value),
            _ => None,
        })
    }

    /// Value of the defined symbol `want` through DT_GNU_HASH.
    fn gnu_lookup<M: ImageMemory>(&self, mem: &M, table: u64, want: &str) -> Result<Option<u64>> {
        let l = self.layout();
        let mut hdr = [0u8; 16];
        mem.read(table, &mut hdr)?;
        let (nbuckets, symoffset, bloom_size, shift) = (
            u64::from(l.u32(&hdr, 0)),
            u64::from(l.u32(&hdr, 4)),
            u64::from(l.u32(&hdr, 8)),
            l.u32(&hdr, 12),
        );
        if nbuckets == 0 || bloom_size == 0 {
            return Err(Error::Malformed("empty DT_GNU_HASH table"));
        }
        let h = gnu_hash(want.as_bytes());
        let bits = l.word_size() * 8;
        let word = read_word(
            mem,
            l,
            at(
                table,
                16 + (u64::from(h) / bits % bloom_size) * l.word_size(),
            )?,
        )?;
        let mask =
            (1u64 << (u64::from(h) % bits)) | (1u64 << (u64::from(h >> (shift % 32)) % bits));
        if word & mask != mask {
            return Ok(None);
        }
        let buckets = at(table, 16 + bloom_size * l.word_size())?;
        let chains = at(buckets, nbuckets * 4)?;
        let start = u64::from(read_u32(mem, l, at(buckets, u64::from(h) % nbuckets * 4)?)?);
        if start < symoffset {
            return Ok(None);
        }
        for index in start..start + MAX_SYMBOLS {
            let link = read_u32(mem, l, at(chains, (index - symoffset) * 4)?)?;
            if link | 1 == h | 1 {
                if let Some(v) = self.defines(mem, index, want)? {
                    return Ok(Some(v));
                }
            }
            if link & 1 != 0 {
                return Ok(None);
            }
        }
        Err(Error::Malformed("DT_GNU_HASH chain does not end"))
    }

    /// Value of the defined symbol `want` through DT_HASH.
    fn sysv_lookup<M: ImageMemory>(&self, mem: &M, table: u64, want: &str) -> Result<Option<u64>> {
        let l = self.layout();
        let nbucket = u64::from(read_u32(mem, l, table)?);
        let nchain = u64::from(read_u32(mem, l, at(table, 4)?)?);
        if nbucket == 0 {
            return Err(Error::Malformed("empty DT_HASH table"));
        }
        let h = u64::from(sysv_hash(want.as_bytes()));
        let chains = at(table, 8 + nbucket * 4)?;
        let mut index = u64::from(read_u32(mem, l, at(table, 8 + h % nbucket * 4)?)?);
        // Each step visits a new entry unless the chain loops; nchain
        // steps are enough for any honest table.
        for _ in 0..nchain.min(MAX_SYMBOLS) {
            if index == 0 || index >= nchain {
                return Ok(None);
            }
            if let Some(v) = self.defines(mem, index, want)? {
                return Ok(Some(v));
            }
            index = u64::from(read_u32(mem, l, at(chains, index * 4)?)?);
        }
        Ok(None)
    }

    /// RVA of the defined dynamic symbol `want`: DT_GNU_HASH first, then
    /// DT_HASH (also when the GNU table could not be read).
    pub fn lookup<M: ImageMemory>(&self, mem: &M, want: &str) -> Result<u64> {
        if want.is_empty() {
            return Err(Error::InvalidArgument("empty symbol name"));
        }
        let found = |v: u64| Ok(v.wrapping_sub(self.link_base));
        let gnu = self.gnu_hash.map(|t| self.gnu_lookup(mem, t, want));
        if let Some(Ok(Some(v))) = gnu {
            return found(v);
        }
        // DT_HASH also when the GNU table could not be read.
        let sysv = self.hash.map(|t| self.sysv_lookup(mem, t, want));
        match (gnu, sysv) {
            (_, Some(Ok(Some(v)))) => found(v),
            (Some(Err(e)), None | Some(Err(_))) | (None, Some(Err(e))) => Err(e),
            _ => Err(Error::SymbolNotFound),
        }
    }

    /// Number of entries of the dynamic symbol table, from DT_HASH's
    /// nchain or from the end of DT_GNU_HASH's last chain.
    pub fn symbol_count<M: ImageMemory>(&self, mem: &M) -> Result<u64> {
        let l = self.layout();
        if let Some(t) = self.hash {
            if let Ok(n) = read_u32(mem, l, at(t, 4)?) {
                return Ok(u64::from(n).min(MAX_SYMBOLS));
            }
        }
        let t = self.gnu_hash.ok_or(Error::NotFound("DT_GNU_HASH"))?;
        let mut hdr = [0u8; 16];
        mem.read(t, &mut hdr)?;
        let nbuckets = u64::from(l.u32(&hdr, 0));
        let symoffset = u64::from(l.u32(&hdr, 4));
        let bloom_size = u64::from(l.u32(&hdr, 8));
        if nbuckets > MAX_GNU_BUCKETS {
            return Err(Error::Malformed("too many DT_GNU_HASH buckets"));
        }
        let buckets = at(t, 16 + bloom_size * l.word_size())?;
        let mut raw = vec![0u8; nbuckets as usize * 4];
        mem.read(buckets, &mut raw)?;
        let last = raw
            .chunks_exact(4)
            .map(|c| u64::from(l.u32(c, 0)))
            .max()
            .unwrap_or(0);
        if last < symoffset {
            // Every bucket empty: only the unhashed symbols exist.
            return Ok(symoffset.min(MAX_SYMBOLS));
        }
        let chains = at(buckets, nbuckets * 4)?;
        let mut index = last;
        while index < MAX_SYMBOLS {
            let link = read_u32(mem, l, at(chains, (index - symoffset) * 4)?)?;
            if link & 1 != 0 {
                return Ok(index + 1);
            }
            index += 1;
        }
        Err(Error::Malformed("DT_GNU_HASH chain does not end"))
    }

    /// Every named, defined dynamic symbol as (name, rva), in table order.
    pub fn symbols<M: ImageMemory>(&self, mem: &M) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        let link_base = self.link_base;
        self.scan_values(
            mem,
            |_| true,
            |name, value| {
                out.push((name, value.wrapping_sub(link_base)));
                false
            },
        )?;
        Ok(out)
    }

    /// Name of the first defined dynamic symbol whose RVA is `rva`.
    pub fn symbol_at<M: ImageMemory>(&self, mem: &M, rva: u64) -> Result<String> {
        let want = rva.wrapping_add(self.link_base);
        let mut found = None;
        self.scan_values(
            mem,
            |value| value == want,
            |name, _| {
                found = Some(name);
                true
            },
        )?;
        found.ok_or(Error::SymbolNotFound)
    }

    /// Walks the symbol table in order; for each defined symbol whose
    /// value `pick` accepts, reads its name and hands both to `take`, which
    /// returns true to stop. Symbols whose entries or names cannot be read
    /// are skipped, a run of unreadable entries ends the walk.
    fn scan_values<M: ImageMemory>(
        &self,
        mem: &M,
        mut pick: impl FnMut(u64) -> bool,
        mut take: impl FnMut(String, u64) -> bool,
    ) -> Result<()> {
        let count = self.symbol_count(mem)?;
        let l = self.layout();
        let ent = l.syment() as usize;
        // Read whole blocks of entries; index 0 is always the null symbol.
        const BLOCK: u64 = 64;
        let mut buf = vec![0u8; BLOCK as usize * ent];
        let mut first = 1;
        while first < count {
            let n = (count - first).min(BLOCK);
            let bytes = &mut buf[..n as usize * ent];
            let block_ok = mem
                .read(at(self.symtab, first * l.syment())?, bytes)
                .is_ok();
            for i in 0..n {
                let (name, value, shndx) = if block_ok {
                    let e = &bytes[i as usize * ent..(i as usize + 1) * ent];
                    l.symbol(e)
                } else {
                    match self.symbol(mem, first + i) {
                        Ok(s) => s,
                        Err(_) => continue,
                    }
                };
                if shndx == SHN_UNDEF || name == 0 || !pick(value) {
                    continue;
                }
                if let Ok(s) = self.name(mem, name) {
                    if !s.is_empty() && take(s, value) {
                        return Ok(());
                    }
                }
            }
            first += n;
        }
        Ok(())
    }
}

/// The DT_GNU_HASH function (Bernstein's, times 33).
pub fn gnu_hash(name: &[u8]) -> u32 {
    name.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

/// The System V ELF hash.
pub fn sysv_hash(name: &[u8]) -> u32 {
    let mut h = 0u32;
    for &c in name {
        h = (h << 4).wrapping_add(u32::from(c));
        let g = h & 0xf000_0000;
        h ^= g >> 24;
        h &= !g;
    }
    h
}

/// RVA of dynamic symbol `symbol` of the image at `base` in the address
/// space `dtb`.
pub fn export_to_rva(vmi: &Vmi, dtb: u64, base: u64, symbol: &str) -> Result<u64> {
    let mem = ProcessMemory { vmi, dtb };
    DynamicImage::parse(&mem, base)?.lookup(&mem, symbol)
}

/// Dynamic symbol at `rva` of the image at `base` in the address space `dtb`.
pub fn rva_to_export(vmi: &Vmi, dtb: u64, base: u64, rva: u64) -> Result<String> {
    let mem = ProcessMemory { vmi, dtb };
    DynamicImage::parse(&mem, base)?.symbol_at(&mem, rva)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_entries_in_both_classes_and_byte_orders() {
        // Elf64_Sym: name, info, other, shndx, value, size.
        let mut e64 = [0u8; 24];
        e64[..4].copy_from_slice(&7u32.to_be_bytes());
        e64[6..8].copy_from_slice(&12u16.to_be_bytes());
        e64[8..16].copy_from_slice(&0x1122_3344_5566u64.to_be_bytes());
        let big64 = Layout {
            is64: true,
            big: true,
        };
        assert_eq!(big64.symbol(&e64), (7, 0x1122_3344_5566, 12));
        // Elf32_Sym: name, value, size, info, other, shndx.
        let mut e32 = [0u8; 16];
        e32[..4].copy_from_slice(&9u32.to_le_bytes());
        e32[4..8].copy_from_slice(&0x8048_1234u32.to_le_bytes());
        e32[14..16].copy_from_slice(&3u16.to_le_bytes());
        let little32 = Layout {
            is64: false,
            big: false,
        };
        assert_eq!(little32.symbol(&e32), (9, 0x8048_1234, 3));
        assert_eq!(
            (little32.phent(), little32.dynent(), little32.syment()),
            (32, 8, 16)
        );
        assert_eq!(
            (big64.phent(), big64.dynent(), big64.syment()),
            (56, 16, 24)
        );
    }

    #[test]
    fn hash_functions() {
        assert_eq!(gnu_hash(b""), 5381);
        assert_eq!(gnu_hash(b"printf"), 0x156b_2bb8);
        assert_eq!(sysv_hash(b"printf"), 0x0779_05a6);
    }

    struct Bytes(Vec<u8>);
    impl ImageMemory for Bytes {
        fn read(&self, va: u64, buf: &mut [u8]) -> Result<()> {
            let s = usize::try_from(va).map_err(|_| Error::Malformed("va"))?;
            let src = self
                .0
                .get(s..s.saturating_add(buf.len()))
                .ok_or(Error::PageNotPresent { va, level: 1 })?;
            buf.copy_from_slice(src);
            Ok(())
        }
    }

    #[test]
    fn names_are_bounded() {
        let img = DynamicImage {
            layout_is64: true,
            layout_big: false,
            base: 0,
            link_base: 0,
            symtab: 0,
            strtab: 0x10,
            strsz: Some(0x2000),
            hash: None,
            gnu_hash: None,
        };
        let mut b = vec![b'a'; 0x3000];
        b[0x10 + 5] = 0;
        // A name that crosses a page boundary.
        b[0x10 + 0xff0 + 0x20] = 0;
        let mem = Bytes(b);
        assert_eq!(img.name(&mem, 0).as_deref(), Ok("aaaaa"));
        assert_eq!(img.name(&mem, 0xff0).map(|s| s.len()), Ok(0x20));
        assert_eq!(
            img.name(&mem, 0x1100),
            Err(Error::Malformed("symbol name too long"))
        );
        assert_eq!(
            img.name(&mem, 0x2000),
            Err(Error::Malformed("symbol name outside the string table"))
        );
    }
}
