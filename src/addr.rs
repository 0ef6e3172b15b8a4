//! Address-space vocabulary shared by every layer.

/// Guest physical / virtual addresses are plain `u64`s at the API; these
/// names document intent in signatures.
pub type Pa = u64;
pub type Va = u64;

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

/// Paging modes; discriminants equal upstream's `VMI_PM_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum PageMode {
    None = 0,
    Unknown = 1,
    Legacy = 2,
    Pae = 3,
    Ia32e = 4,
    Aarch32 = 5,
    Aarch64 = 6,
    Ept4 = 7,
    Ept5 = 8,
    /// IA-32e with 5-level paging (LA57). Upstream has no separate
    /// constant: it reports `VMI_PM_IA32E` and walks 5 levels when CR4.LA57
    /// is set, so this maps to `VMI_PM_IA32E` at the C boundary.
    Ia32eLa57 = 0x100,
}

impl PageMode {
    /// The value upstream's `page_mode_t` uses for this mode.
    pub fn to_c(self) -> u32 {
        match self {
            PageMode::Ia32eLa57 => PageMode::Ia32e as u32,
            m => m as u32,
        }
    }

    pub fn from_c(v: u32) -> Option<PageMode> {
        Some(match v {
            0 => PageMode::None,
            1 => PageMode::Unknown,
            2 => PageMode::Legacy,
            3 => PageMode::Pae,
            4 => PageMode::Ia32e,
            5 => PageMode::Aarch32,
            6 => PageMode::Aarch64,
            7 => PageMode::Ept4,
            8 => PageMode::Ept5,
            _ => return None,
        })
    }

    /// Width of a guest virtual address / pointer in bytes.
    pub fn address_width(self) -> u8 {
        match self {
            PageMode::Legacy | PageMode::Pae | PageMode::Aarch32 => 4,
            _ => 8,
        }
    }
}

/// Page sizes; values equal upstream's `page_size_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageSize {
    Invalid,
    K1,
    K4,
    K16,
    K64,
    M1,
    M2,
    M4,
    M16,
    M32,
    M512,
    G1,
}

impl PageSize {
    pub fn bytes(self) -> u64 {
        match self {
            PageSize::Invalid => 0,
            PageSize::K1 => 1 << 10,
            PageSize::K4 => 1 << 12,
            PageSize::K16 => 1 << 14,
            PageSize::K64 => 1 << 16,
            PageSize::M1 => 1 << 20,
            PageSize::M2 => 1 << 21,
            PageSize::M4 => 1 << 22,
            PageSize::M16 => 1 << 24,
            PageSize::M32 => 1 << 25,
            PageSize::M512 => 1 << 29,
            PageSize::G1 => 1 << 30,
        }
    }

    pub fn from_bytes(b: u64) -> PageSize {
        match b {
            0x400 => PageSize::K1,
            0x1000 => PageSize::K4,
            0x4000 => PageSize::K16,
            0x10000 => PageSize::K64,
            0x100000 => PageSize::M1,
            0x200000 => PageSize::M2,
            0x400000 => PageSize::M4,
            0x1000000 => PageSize::M16,
            0x2000000 => PageSize::M32,
            0x20000000 => PageSize::M512,
            0x40000000 => PageSize::G1,
            _ => PageSize::Invalid,
        }
    }
}

/// Guest CPU architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86,
    X86_64,
    Arm32,
    Arm64,
}
