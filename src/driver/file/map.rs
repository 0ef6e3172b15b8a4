//! The memory-mapped image file: read-only (`Mmap`) or shared read-write
//! (`MmapRaw`, so writes reach the file). All byte access of the file
//! driver goes through this type, which owns the bounds checks against the
//! file length.

use std::fs::{File, OpenOptions};
use std::path::Path;

use memmap2::{Mmap, MmapOptions, MmapRaw};

use crate::error::{Error, Result};

enum Backing {
    ReadOnly(Mmap),
    /// Shared writable map. Reads and writes use raw copies because other
    /// threads may write the same bytes: no `&[u8]` is ever handed out.
    ReadWrite(MmapRaw),
}

pub(crate) struct MappedFile {
    backing: Backing,
}

impl MappedFile {
    pub(crate) fn open(path: &Path, writable: bool) -> Result<MappedFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(path)
            .map_err(|e| Error::from_io(&e, "cannot open memory image file"))?;
        let len = file
            .metadata()
            .map_err(|e| Error::from_io(&e, "cannot stat memory image file"))?
            .len();
        if len == 0 {
            return Err(Error::InvalidArgument("memory image file is empty"));
        }
        if usize::try_from(len).is_err() {
            return Err(Error::Unsupported("memory image file too large to map"));
        }
        Self::map(&file, writable)
    }

    fn map(file: &File, writable: bool) -> Result<MappedFile> {
        let backing = if writable {
            let m = MmapOptions::new()
                .map_raw(file)
                .map_err(|e| Error::from_io(&e, "cannot mmap memory image file"))?;
            Backing::ReadWrite(m)
        } else {
            // SAFETY: the map is only read through bounds-checked accessors.
            // If another process truncates the file while it is mapped, the
            // kernel raises SIGBUS; that is inherent to mapping files and
            // matches upstream's mmap-based driver.
            let m = unsafe { MmapOptions::new().map(file) }
                .map_err(|e| Error::from_io(&e, "cannot mmap memory image file"))?;
            Backing::ReadOnly(m)
        };
        Ok(MappedFile { backing })
    }

    pub(crate) fn len(&self) -> u64 {
        match &self.backing {
            Backing::ReadOnly(m) => m.len() as u64,
            Backing::ReadWrite(m) => m.len() as u64,
        }
    }

    /// Populates the page tables of `[off, off+len)` of the mapping in one
    /// call (MADV_POPULATE_READ); kernels without it just fault as usual.
    pub(crate) fn populate(&self, off: u64, len: u64) {
        let end = self.len().min(off.saturating_add(len));
        if off >= end {
            return;
        }
        let (Ok(o), Ok(l)) = (usize::try_from(off), usize::try_from(end - off)) else {
            return;
        };
        // Best effort: on kernels without MADV_POPULATE_READ the pages
        // simply fault in as they are touched.
        let _ = match &self.backing {
            Backing::ReadOnly(m) => m.advise_range(memmap2::Advice::PopulateRead, o, l),
            Backing::ReadWrite(m) => m.advise_range(memmap2::Advice::PopulateRead, o, l),
        };
    }

    pub(crate) fn writable(&self) -> bool {
        matches!(self.backing, Backing::ReadWrite(_))
    }

    /// Borrowed view of the whole file, only for read-only maps (nobody can
    /// write through this driver, so shared references are sound).
    #[inline]
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        match &self.backing {
            Backing::ReadOnly(m) => Some(&m[..]),
            Backing::ReadWrite(_) => None,
        }
    }

    /// Borrowed view for header parsing. For a writable map this is sound
    /// only because it is used while the driver is being built: a single
    /// owner and no writer yet.
    pub(crate) fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match &self.backing {
            Backing::ReadOnly(m) => f(&m[..]),
            Backing::ReadWrite(m) => {
                // SAFETY: called only during construction, when this
                // `MappedFile` has a single owner and no write can be in
                // flight; the slice does not outlive `f`.
                let s = unsafe { std::slice::from_raw_parts(m.as_ptr(), m.len()) };
                f(s)
            }
        }
    }

    /// Copies `dst.len()` bytes from file offset `off`.
    #[inline]
    pub(crate) fn read(&self, off: u64, dst: &mut [u8]) -> Result<()> {
        let start = self.check(off, dst.len())?;
        match &self.backing {
            Backing::ReadOnly(m) => dst.copy_from_slice(&m[start..start + dst.len()]),
            Backing::ReadWrite(m) => {
                // SAFETY: `check` proved [start, start+len) lies in the map.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        m.as_ptr().add(start),
                        dst.as_mut_ptr(),
                        dst.len(),
                    )
                }
            }
        }
        Ok(())
    }

    /// Copies `src` to file offset `off`; fails on a read-only map.
    pub(crate) fn write(&self, off: u64, src: &[u8]) -> Result<()> {
        let Backing::ReadWrite(m) = &self.backing else {
            return Err(Error::Unsupported("memory image was opened read-only"));
        };
        let start = self.check(off, src.len())?;
        // SAFETY: `check` proved the range lies in the map, which is mapped
        // PROT_WRITE|MAP_SHARED; no `&[u8]` into a writable map outlives
        // construction, so no shared reference sees these bytes change.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), m.as_mut_ptr().add(start), src.len()) }
        Ok(())
    }

    /// Flushes written pages to the file.
    pub(crate) fn flush(&self) -> Result<()> {
        match &self.backing {
            Backing::ReadOnly(_) => Ok(()),
            Backing::ReadWrite(m) => m
                .flush()
                .map_err(|e| Error::from_io(&e, "cannot flush memory image file")),
        }
    }

    #[inline]
    fn check(&self, off: u64, len: usize) -> Result<usize> {
        let end = off.checked_add(len as u64);
        match end {
            Some(end) if end <= self.len() => Ok(off as usize),
            _ => Err(Error::Malformed(
                "range lies beyond the end of the image file",
            )),
        }
    }
}
