//! Snapshot files: raw images, ELF core dumps, LiME.
//!
//! The format is detected from the content: an ELF header of type
//! `ET_CORE`, else the LiME magic, else a raw image in which the file
//! offset is the guest-physical address. The file is memory-mapped;
//! read-only opens hand out zero-copy page slices, writable opens map the
//! file shared so writes reach it (and then never hand out slices, since
//! the bytes may change under a shared reference).
//!
//! ELF segments whose `p_filesz` is smaller than `p_memsz` read as zeros in
//! the unstored tail (the ELF meaning, which makedumpfile relies on for
//! excluded zero pages); writing there fails.

mod cpu;
mod elf;
mod layout;
mod lime;
mod map;

#[cfg(test)]
mod tests;

use std::path::Path;

use self::cpu::CoreRegisters;
use self::layout::{Layout, Segment, SegmentTable};
use self::map::MappedFile;
use crate::addr::{Arch, PAGE_SIZE};
use crate::driver::{Driver, PhysRange, PhysicalMemory, PhysicalWrite, Registers};
use crate::error::{Error, Result};
use crate::log_debug;

/// What the file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Raw,
    ElfCore,
    Lime,
}

/// Source for pages in the unstored tail of an ELF segment.
static ZERO_PAGE: [u8; PAGE_SIZE as usize] = [0; PAGE_SIZE as usize];

pub struct FileDriver {
    map: MappedFile,
    layout: Layout,
    ranges: Vec<PhysRange>,
    format: FileFormat,
    arch: Option<Arch>,
    regs: Option<CoreRegisters>,
}

/// Opens a memory image, detecting its format from the content.
pub fn open(path: &Path, writable: bool) -> Result<Box<dyn Driver>> {
    Ok(Box::new(FileDriver::open(path, writable, None)?))
}

/// Like [`open`], but only addresses inside `ranges` (exclusive ends, e.g.
/// an E820 map given as `VMI_INIT_DATA_MEMMAP`) count as backed.
pub fn open_with_ranges(
    path: &Path,
    writable: bool,
    ranges: Vec<PhysRange>,
) -> Result<Box<dyn Driver>> {
    Ok(Box::new(FileDriver::open(path, writable, Some(&ranges))?))
}

impl FileDriver {
    pub fn open(path: &Path, writable: bool, ranges: Option<&[PhysRange]>) -> Result<FileDriver> {
        let map = MappedFile::open(path, writable)?;
        let file_len = map.len();
        let (format, layout, arch, regs) = map.with_bytes(|data| -> Result<_> {
            if elf::is_core(data) {
                let core = elf::parse(data)?;
                if core.notes_truncated {
                    log_debug!("ELF core notes are damaged; registers may be missing");
                }
                let regs = cpu::decode(core.machine, core.big, &core.notes);
                let arch = match core.machine {
                    elf::EM_X86_64 => Some(Arch::X86_64),
                    elf::EM_386 => Some(Arch::X86),
                    elf::EM_AARCH64 => Some(Arch::Arm64),
                    elf::EM_ARM => Some(Arch::Arm32),
                    _ => None,
                };
                let table = SegmentTable::new(core.segments, file_len)?;
                Ok((FileFormat::ElfCore, Layout::Table(table), arch, regs))
            } else if lime::is_lime(data) {
                let table = SegmentTable::new(lime::parse(data)?, file_len)?;
                Ok((FileFormat::Lime, Layout::Table(table), None, None))
            } else {
                Ok((
                    FileFormat::Raw,
                    Layout::Identity { end: file_len },
                    None,
                    None,
                ))
            }
        })?;
        let layout = match ranges {
            None => layout,
            Some(r) => Layout::Table(restrict(&layout, r, file_len)?),
        };
        let ranges = match &layout {
            Layout::Identity { end } => vec![PhysRange {
                start: 0,
                end: *end,
            }],
            Layout::Table(t) => t.ranges(),
        };
        log_debug!(
            "file driver: {format:?} image, {} range(s), {} vCPU register set(s)",
            ranges.len(),
            regs.as_ref().map_or(0, |r| r.num_vcpus())
        );
        Ok(FileDriver {
            map,
            layout,
            ranges,
            format,
            arch,
            regs,
        })
    }

    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// Architecture named by an ELF core's `e_machine`; `None` for raw and
    /// LiME images, which do not say.
    pub fn arch(&self) -> Option<Arch> {
        self.arch
    }

    pub fn writable(&self) -> bool {
        self.map.writable()
    }

    /// Forces written pages out to the file (the kernel does it anyway on
    /// unmap; this is for callers that want it now).
    pub fn flush(&self) -> Result<()> {
        self.map.flush()
    }

    /// Visits the pieces of `[pa, pa+len)`: `(pa, file offset or None for
    /// an unstored zero tail, length)`. Fails before visiting anything if
    /// some byte is not backed.
    fn pieces(&self, pa: u64, len: usize) -> Result<Pieces<'_>> {
        let end = pa
            .checked_add(len as u64)
            .ok_or(Error::PhysicalOutOfRange { pa })?;
        let mut cur = pa;
        // Validate the whole range first so a failed access has no effect.
        if let Layout::Table(t) = &self.layout {
            while cur < end {
                let s = t.find(cur).ok_or(Error::PhysicalOutOfRange { pa: cur })?;
                cur = s.end.min(end);
            }
        } else if let Layout::Identity { end: file_end } = self.layout {
            if end > file_end {
                return Err(Error::PhysicalOutOfRange {
                    pa: pa.max(file_end),
                });
            }
        }
        Ok(Pieces {
            drv: self,
            cur: pa,
            end,
        })
    }
}

fn restrict(layout: &Layout, ranges: &[PhysRange], file_len: u64) -> Result<SegmentTable> {
    match layout {
        Layout::Identity { end } => {
            let whole = Segment::stored(0, *end, 0).ok_or(Error::Malformed("file too large"))?;
            SegmentTable::new(vec![whole], file_len)?.restrict(ranges, file_len)
        }
        Layout::Table(t) => t.restrict(ranges, file_len),
    }
}

/// Iterator over the stored / zero pieces of a validated range.
struct Pieces<'a> {
    drv: &'a FileDriver,
    cur: u64,
    end: u64,
}

/// One piece: `len` bytes at file offset `off`, or zeros when `off` is None.
struct Piece {
    off: Option<u64>,
    len: u64,
}

impl Iterator for Pieces<'_> {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        if self.cur >= self.end {
            return None;
        }
        let (piece, next) = match &self.drv.layout {
            Layout::Identity { .. } => (
                Piece {
                    off: Some(self.cur),
                    len: self.end - self.cur,
                },
                self.end,
            ),
            Layout::Table(t) => {
                let s = t.find(self.cur)?;
                let stop = s.end.min(self.end);
                if self.cur < s.data_end {
                    let to = s.data_end.min(stop);
                    let off = s.offset + (self.cur - s.start);
                    (
                        Piece {
                            off: Some(off),
                            len: to - self.cur,
                        },
                        to,
                    )
                } else {
                    (
                        Piece {
                            off: None,
                            len: stop - self.cur,
                        },
                        stop,
                    )
                }
            }
        };
        self.cur = next;
        Some(piece)
    }
}

impl PhysicalMemory for FileDriver {
    #[inline]
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()> {
        // Raw images: one bounds check and a copy.
        if let Layout::Identity { end } = self.layout {
            return match pa.checked_add(buf.len() as u64) {
                Some(e) if e <= end => self.map.read(pa, buf),
                _ => Err(Error::PhysicalOutOfRange { pa: pa.max(end) }),
            };
        }
        let mut done = 0usize;
        for p in self.pieces(pa, buf.len())? {
            // Piece lengths sum to buf.len(), so these casts and slices fit.
            let len = p.len as usize;
            let dst = buf
                .get_mut(done..done + len)
                .ok_or(Error::PhysicalOutOfRange { pa })?;
            match p.off {
                Some(off) => self.map.read(off, dst)?,
                None => dst.fill(0),
            }
            done += len;
        }
        Ok(())
    }

    fn page_slice(&self, pa: u64) -> Option<&[u8]> {
        let bytes = self.map.bytes()?;
        let page_end = (pa | (PAGE_SIZE - 1)).checked_add(1)?;
        let off = match &self.layout {
            Layout::Identity { end } => (page_end <= *end).then_some(pa)?,
            Layout::Table(t) => {
                let s = t.find(pa)?;
                if page_end <= s.data_end {
                    s.offset + (pa - s.start)
                } else if pa >= s.data_end && page_end <= s.end {
                    let from = usize::try_from(pa & (PAGE_SIZE - 1)).ok()?;
                    return ZERO_PAGE.get(from..);
                } else {
                    return None;
                }
            }
        };
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(usize::try_from(page_end - pa).ok()?)?;
        bytes.get(start..end)
    }

    fn prefetch(&self, pa: u64, len: u64) {
        match &self.layout {
            Layout::Identity { .. } => self.map.populate(pa, len),
            Layout::Table(t) => {
                if let Some(s) = t.find(pa) {
                    let n = len.min(s.data_end.saturating_sub(pa));
                    self.map.populate(s.offset + (pa - s.start), n);
                }
            }
        }
    }

    fn contiguous(&self, pa: u64, len: usize) -> Option<&[u8]> {
        let bytes = self.map.bytes()?;
        let end = pa.checked_add(len as u64)?;
        let off = match &self.layout {
            Layout::Identity { end: limit } => (end <= *limit).then_some(pa)?,
            Layout::Table(t) => {
                let s = t.find(pa)?;
                (end <= s.data_end).then(|| s.offset + (pa - s.start))?
            }
        };
        let start = usize::try_from(off).ok()?;
        bytes.get(start..start.checked_add(len)?)
    }

    fn ranges(&self) -> &[PhysRange] {
        &self.ranges
    }

    fn scan_ranges(&self) -> Vec<PhysRange> {
        match &self.layout {
            Layout::Identity { .. } => self.ranges.clone(),
            Layout::Table(t) => t.stored_ranges(),
        }
    }
}

impl PhysicalWrite for FileDriver {
    fn write_phys(&self, pa: u64, buf: &[u8]) -> Result<()> {
        if !self.map.writable() {
            return Err(Error::Unsupported("memory image was opened read-only"));
        }
        let pieces = self.pieces(pa, buf.len())?;
        // A write touching an unstored zero tail has nowhere to go; refuse
        // it as a whole before changing anything.
        if self.pieces(pa, buf.len())?.any(|p| p.off.is_none()) {
            return Err(Error::Unsupported("address is not stored in the core file"));
        }
        let mut done = 0usize;
        for p in pieces {
            let len = p.len as usize;
            let src = buf
                .get(done..done + len)
                .ok_or(Error::PhysicalOutOfRange { pa })?;
            if let Some(off) = p.off {
                self.map.write(off, src)?;
            }
            done += len;
        }
        Ok(())
    }
}

impl Driver for FileDriver {
    fn name(&self) -> &'static str {
        "file"
    }

    fn as_write(&self) -> Option<&dyn PhysicalWrite> {
        self.map.writable().then_some(self as &dyn PhysicalWrite)
    }

    fn as_registers(&self) -> Option<&dyn Registers> {
        self.regs.as_ref().map(|r| r as &dyn Registers)
    }
}
