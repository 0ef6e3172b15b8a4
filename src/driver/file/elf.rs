//! ELF core dumps (QEMU `dump-guest-memory`, `virsh dump --memory-only`,
//! kdump vmcores). Only the few structures we need are parsed, by hand and
//! with every offset checked: the file header, the program headers
//! (`PT_LOAD` gives the guest-physical layout through `p_paddr`, `PT_NOTE`
//! the per-vCPU register notes) and, for more than 65534 program headers,
//! section header 0 whose `sh_info` holds the real count.

use super::layout::{Segment, MAX_SEGMENTS};
use crate::error::{Error, Result};

pub(crate) const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const ET_CORE: u16 = 4;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
/// `e_phnum` value meaning "the count is in section header 0".
const PN_XNUM: u16 = 0xffff;

pub(crate) const EM_386: u16 = 3;
pub(crate) const EM_ARM: u16 = 40;
pub(crate) const EM_X86_64: u16 = 62;
pub(crate) const EM_AARCH64: u16 = 183;

/// Bounds-checked, endian-aware field reader over the file bytes.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    pub data: &'a [u8],
    pub big: bool,
}

impl<'a> Reader<'a> {
    fn bytes<const N: usize>(&self, off: u64) -> Result<[u8; N]> {
        let start = usize::try_from(off).map_err(|_| trunc())?;
        let end = start.checked_add(N).ok_or_else(trunc)?;
        let s = self.data.get(start..end).ok_or_else(trunc)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub fn u16(&self, off: u64) -> Result<u16> {
        let b = self.bytes::<2>(off)?;
        Ok(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    pub fn u32(&self, off: u64) -> Result<u32> {
        let b = self.bytes::<4>(off)?;
        Ok(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    pub fn u64(&self, off: u64) -> Result<u64> {
        let b = self.bytes::<8>(off)?;
        Ok(if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// A machine word: 8 bytes for ELF64, 4 for ELF32.
    fn word(&self, off: u64, wide: bool) -> Result<u64> {
        if wide {
            self.u64(off)
        } else {
            self.u32(off).map(u64::from)
        }
    }

    pub fn slice(&self, off: u64, len: u64) -> Result<&'a [u8]> {
        let start = usize::try_from(off).map_err(|_| trunc())?;
        let len = usize::try_from(len).map_err(|_| trunc())?;
        let end = start.checked_add(len).ok_or_else(trunc)?;
        self.data.get(start..end).ok_or_else(trunc)
    }
}

fn trunc() -> Error {
    Error::Malformed("ELF structure lies beyond the end of the file")
}

/// True when `data` starts with an ELF header of type `ET_CORE`.
pub(crate) fn is_core(data: &[u8]) -> bool {
    if data.len() < 18 || &data[..4] != ELF_MAGIC {
        return false;
    }
    let r = Reader {
        data,
        big: data[5] == 2,
    };
    r.u16(16) == Ok(ET_CORE)
}

/// One ELF note; `name` has its terminating NUL(s) stripped.
pub(crate) struct Note<'a> {
    pub name: &'a [u8],
    pub ntype: u32,
    pub desc: &'a [u8],
}

pub(crate) struct ElfCore<'a> {
    pub machine: u16,
    pub big: bool,
    pub segments: Vec<Segment>,
    pub notes: Vec<Note<'a>>,
    /// Set when a `PT_NOTE` segment could not be walked completely; the
    /// memory layout is still usable.
    pub notes_truncated: bool,
}

/// Parses the headers of an ELF core. Memory-layout errors are fatal;
/// note errors only stop note collection (registers are optional).
pub(crate) fn parse(data: &[u8]) -> Result<ElfCore<'_>> {
    if data.len() < 20 || &data[..4] != ELF_MAGIC {
        return Err(Error::Malformed("not an ELF file"));
    }
    let wide = match data[4] {
        1 => false,
        2 => true,
        _ => return Err(Error::Malformed("unknown ELF class")),
    };
    let big = match data[5] {
        1 => false,
        2 => true,
        _ => return Err(Error::Malformed("unknown ELF byte order")),
    };
    let r = Reader { data, big };
    if r.u16(16)? != ET_CORE {
        return Err(Error::Malformed("ELF file is not a core dump"));
    }
    let machine = r.u16(18)?;
    // Header field offsets differ between the two classes.
    let (phoff, shoff, phentsize, phnum) = if wide {
        (r.u64(32)?, r.u64(40)?, r.u16(54)?, r.u16(56)?)
    } else {
        (
            u64::from(r.u32(28)?),
            u64::from(r.u32(32)?),
            r.u16(42)?,
            r.u16(44)?,
        )
    };
    let min_phent: u16 = if wide { 56 } else { 32 };
    if phentsize < min_phent {
        return Err(Error::Malformed("ELF program header size too small"));
    }
    let phnum = if phnum == PN_XNUM {
        // sh_info of section header 0: offset 44 (ELF64) / 28 (ELF32).
        let info_off = if wide { 44 } else { 28 };
        u64::from(r.u32(shoff.checked_add(info_off).ok_or_else(trunc)?)?)
    } else {
        u64::from(phnum)
    };
    if phnum > MAX_SEGMENTS as u64 {
        return Err(Error::Malformed("too many ELF program headers"));
    }
    let table_len = phnum.checked_mul(u64::from(phentsize)).ok_or_else(trunc)?;
    r.slice(phoff, table_len)?;

    let mut core = ElfCore {
        machine,
        big,
        segments: Vec::new(),
        notes: Vec::new(),
        notes_truncated: false,
    };
    for i in 0..phnum {
        let ph = phoff + i * u64::from(phentsize);
        let p_type = r.u32(ph)?;
        let (offset, paddr, filesz, memsz) = if wide {
            (
                r.u64(ph + 8)?,
                r.u64(ph + 24)?,
                r.u64(ph + 32)?,
                r.u64(ph + 40)?,
            )
        } else {
            let w = |o| r.word(ph + o, false);
            (w(4)?, w(12)?, w(16)?, w(20)?)
        };
        match p_type {
            PT_LOAD => core
                .segments
                .push(load_segment(offset, paddr, filesz, memsz)?),
            PT_NOTE => {
                let ok = collect_notes(&r, offset, filesz, &mut core.notes).is_ok();
                core.notes_truncated |= !ok;
            }
            _ => {}
        }
    }
    Ok(core)
}

fn load_segment(offset: u64, paddr: u64, filesz: u64, memsz: u64) -> Result<Segment> {
    // A segment whose file part is larger than its memory image is not
    // something a dumper writes; refuse rather than guess.
    if filesz > memsz {
        return Err(Error::Malformed("PT_LOAD p_filesz exceeds p_memsz"));
    }
    let end = paddr
        .checked_add(memsz)
        .ok_or(Error::Malformed("PT_LOAD wraps the address space"))?;
    Ok(Segment {
        start: paddr,
        data_end: paddr + filesz,
        end,
        offset,
    })
}

/// Upper bound on collected notes: far above any real vCPU count.
const MAX_NOTES: usize = 1 << 16;

/// Walks the notes of one `PT_NOTE` segment. Name and descriptor are padded
/// to 4 bytes, as Linux and QEMU write them for both ELF classes.
fn collect_notes<'a>(
    r: &Reader<'a>,
    offset: u64,
    size: u64,
    out: &mut Vec<Note<'a>>,
) -> Result<()> {
    let seg = Reader {
        data: r.slice(offset, size)?,
        big: r.big,
    };
    let mut pos: u64 = 0;
    while pos.checked_add(12).is_some_and(|e| e <= size) {
        if out.len() >= MAX_NOTES {
            return Err(Error::Malformed("too many ELF notes"));
        }
        let namesz = u64::from(seg.u32(pos)?);
        let descsz = u64::from(seg.u32(pos + 4)?);
        let ntype = seg.u32(pos + 8)?;
        let name_off = pos + 12;
        let desc_off = name_off + align4(namesz);
        let name = seg.slice(name_off, namesz)?;
        let desc = seg.slice(desc_off, descsz)?;
        let len = name.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        out.push(Note {
            name: &name[..len],
            ntype,
            desc,
        });
        pos = desc_off + align4(descsz);
    }
    Ok(())
}

fn align4(v: u64) -> u64 {
    // v comes from a u32, so this cannot overflow.
    (v + 3) & !3
}
