//! Memory sources. A driver implements [`PhysicalMemory`] and, through the
//! `as_*` accessors of [`Driver`], only the optional capabilities it really
//! has; the instance asks for a capability and reports `Unsupported` when a
//! driver lacks it, so nothing needs an `unimplemented!()` default.

pub mod file;
#[cfg(test)]
pub mod vecmem;

use crate::error::Result;

/// A contiguous range of guest-physical memory that is backed by the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysRange {
    pub start: u64,
    /// Exclusive end.
    pub end: u64,
}

/// Guest-physical memory: the one capability every driver has.
pub trait PhysicalMemory: Send + Sync {
    /// Reads exactly `buf.len()` bytes at `pa`. The range never crosses a
    /// 4 KiB page boundary when called from the access layer, but drivers
    /// must accept any range and fail (not panic) on holes.
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> Result<()>;

    /// Zero-copy view of the page containing `pa` when the source is mapped
    /// into our address space (mmap'd files, shared guest RAM). The slice
    /// starts at `pa` and runs to the end of its 4 KiB page. Callers use it
    /// as a fast path and fall back to `read_phys` when `None`.
    fn page_slice(&self, _pa: u64) -> Option<&[u8]> {
        None
    }

    /// Zero-copy view of `len` bytes at `pa` when they are contiguous in
    /// our address space (a mapped file). Scans of whole megabytes use it
    /// to avoid copying into fresh memory; `None` means "copy instead".
    fn contiguous(&self, _pa: u64, _len: usize) -> Option<&[u8]> {
        None
    }

    /// Hint that `[pa, pa+len)` is about to be read in bulk (a scan). A
    /// mapped source fills its page tables in one call instead of taking a
    /// fault per page. Best effort: errors are ignored.
    fn prefetch(&self, _pa: u64, _len: u64) {}

    /// Backed physical ranges, sorted, non-overlapping.
    fn ranges(&self) -> &[PhysRange];

    /// The parts of [`ranges`](Self::ranges) whose bytes may be non-zero;
    /// searches for kernel structures scan only these. A source that knows
    /// some backed memory reads as zeros without being stored (the unstored
    /// tail of an ELF `PT_LOAD`) leaves it out, so a hostile header claiming
    /// exabytes of zero-filled memory cannot make a scan run for ever.
    fn scan_ranges(&self) -> Vec<PhysRange> {
        self.ranges().to_vec()
    }

    /// One past the highest backed physical address.
    fn max_physical_address(&self) -> u64 {
        self.ranges().last().map_or(0, |r| r.end)
    }

    /// Total bytes of backed memory.
    fn memsize(&self) -> u64 {
        self.ranges().iter().map(|r| r.end - r.start).sum()
    }
}

/// Writing guest-physical memory.
pub trait PhysicalWrite: Send + Sync {
    fn write_phys(&self, pa: u64, buf: &[u8]) -> Result<()>;
}

/// Pausing and resuming the whole guest.
pub trait VmControl: Send + Sync {
    fn pause(&self) -> Result<()>;
    fn resume(&self) -> Result<()>;
}

/// Registers the core needs, named independently of the C numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reg {
    /// x86 general purpose registers in encoding order (rax, rcx, rdx, rbx,
    /// rsp, rbp, rsi, rdi, r8..r15).
    Gpr(u8),
    Rip,
    Rflags,
    Cr0,
    Cr2,
    Cr3,
    Cr4,
    Efer,
    /// IA32_LSTAR: the 64-bit syscall entry point.
    Lstar,
    /// IA32_SYSENTER_EIP: the 32-bit sysenter entry point.
    SysenterEip,
    FsBase,
    GsBase,
    KernelGsBase,
    /// Descriptor-table registers (base is a virtual address; limit is the
    /// last valid byte offset).
    IdtrBase,
    IdtrLimit,
    GdtrBase,
    GdtrLimit,
    /// AArch64 registers.
    Ttbr0,
    Ttbr1,
    Tcr,
    Sctlr,
    Pc,
    Sp,
    /// AArch64 general purpose x0..x30.
    X(u8),
}

/// Reading (and possibly writing) vCPU registers.
pub trait Registers: Send + Sync {
    fn num_vcpus(&self) -> u32;
    fn get_reg(&self, reg: Reg, vcpu: u32) -> Result<u64>;
    fn set_reg(&self, _reg: Reg, _vcpu: u32, _value: u64) -> Result<()> {
        Err(crate::error::Error::Unsupported(
            "this backend cannot set registers",
        ))
    }
}

/// A memory source plus the optional capabilities it has.
pub trait Driver: PhysicalMemory {
    /// Short name for messages ("file", "qemu", "xen").
    fn name(&self) -> &'static str;

    fn as_write(&self) -> Option<&dyn PhysicalWrite> {
        None
    }
    fn as_control(&self) -> Option<&dyn VmControl> {
        None
    }
    fn as_registers(&self) -> Option<&dyn Registers> {
        None
    }
}
