//! The configuration keys LibVMI 0.15 knows, the type of value each takes,
//! and the fixed names some string values must have (OS, paging mode, page
//! size).

use crate::addr::{PageMode, PageSize};

/// Type of the value a key carries. In a C `GHashTable` config, `Num` values
/// are pointers to a `uint64_t` and `Str` values are `char *`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Str,
    Num,
}

/// One known key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: &'static str,
    pub kind: ValueKind,
    /// Accepted by upstream's config-file grammar. Keys without this flag are
    /// read by upstream only from a caller-built `GHashTable`; this parser
    /// accepts them in files too.
    pub in_grammar: bool,
}

pub const KPGD: &str = "kpgd";
pub const OSTYPE: &str = "ostype";
/// Fallback spelling of `ostype`, looked up by upstream when `ostype` is absent.
pub const OS_TYPE: &str = "os_type";
pub const PAGEMODE: &str = "pagemode";
pub const SYSMAP: &str = "sysmap";
pub const REKALL_PROFILE: &str = "rekall_profile";
pub const VOLATILITY_IST: &str = "volatility_ist";
pub const AARCH64_TTBR0_VA_WIDTH: &str = "aarch64_ttbr0_va_width";
pub const AARCH64_TTBR0_GRANULE_SIZE: &str = "aarch64_ttbr0_granule_size";
pub const AARCH64_TTBR1_VA_WIDTH: &str = "aarch64_ttbr1_va_width";
pub const AARCH64_TTBR1_GRANULE_SIZE: &str = "aarch64_ttbr1_granule_size";
pub const LINUX_TASKS: &str = "linux_tasks";
pub const LINUX_MM: &str = "linux_mm";
pub const LINUX_PID: &str = "linux_pid";
pub const LINUX_NAME: &str = "linux_name";
pub const LINUX_PGD: &str = "linux_pgd";
/// Obsolete: upstream parses it, warns, and drops the value.
pub const LINUX_ADDR: &str = "linux_addr";
pub const LINUX_INIT_TASK: &str = "linux_init_task";
pub const LINUX_KASLR: &str = "linux_kaslr";
pub const WIN_NTOSKRNL: &str = "win_ntoskrnl";
pub const WIN_NTOSKRNL_VA: &str = "win_ntoskrnl_va";
// Upstream's Windows code reads the next four through an `unsigned int *`,
// i.e. it uses only the low 32 bits of the stored 64-bit value.
pub const WIN_TASKS: &str = "win_tasks";
pub const WIN_PDBASE: &str = "win_pdbase";
pub const WIN_PID: &str = "win_pid";
pub const WIN_PNAME: &str = "win_pname";
pub const WIN_KDVB: &str = "win_kdvb";
pub const WIN_KDBG: &str = "win_kdbg";
pub const WIN_KPCR: &str = "win_kpcr";
pub const WIN_SYSPROC: &str = "win_sysproc";
pub const FREEBSD_NAME: &str = "freebsd_name";
pub const FREEBSD_PID: &str = "freebsd_pid";
pub const FREEBSD_VMSPACE: &str = "freebsd_vmspace";
pub const FREEBSD_PMAP: &str = "freebsd_pmap";
pub const FREEBSD_PGD: &str = "freebsd_pgd";
pub const OSX_PMAP: &str = "osx_pmap";
pub const OSX_VMSPACE: &str = "osx_vmspace";
pub const OSX_PID: &str = "osx_pid";
pub const OSX_NAME: &str = "osx_name";
pub const OSX_PGD: &str = "osx_pgd";

const fn num(name: &'static str) -> KeyInfo {
    KeyInfo {
        name,
        kind: ValueKind::Num,
        in_grammar: true,
    }
}

const fn text(name: &'static str) -> KeyInfo {
    KeyInfo {
        name,
        kind: ValueKind::Str,
        in_grammar: true,
    }
}

const fn table_only(name: &'static str, kind: ValueKind) -> KeyInfo {
    KeyInfo {
        name,
        kind,
        in_grammar: false,
    }
}

/// Every key upstream reads, from its grammar and from the OS back-ends'
/// `GHashTable` readers.
pub const KEYS: &[KeyInfo] = &[
    num(KPGD),
    text(OSTYPE),
    text(PAGEMODE),
    text(SYSMAP),
    text(REKALL_PROFILE),
    text(VOLATILITY_IST),
    num(AARCH64_TTBR0_VA_WIDTH),
    text(AARCH64_TTBR0_GRANULE_SIZE),
    num(AARCH64_TTBR1_VA_WIDTH),
    text(AARCH64_TTBR1_GRANULE_SIZE),
    num(LINUX_TASKS),
    num(LINUX_MM),
    num(LINUX_PID),
    num(LINUX_NAME),
    num(LINUX_PGD),
    num(LINUX_ADDR),
    num(LINUX_INIT_TASK),
    num(LINUX_KASLR),
    num(WIN_NTOSKRNL),
    num(WIN_NTOSKRNL_VA),
    num(WIN_TASKS),
    num(WIN_PDBASE),
    num(WIN_PID),
    num(WIN_PNAME),
    num(WIN_KDVB),
    num(WIN_KDBG),
    num(WIN_KPCR),
    num(WIN_SYSPROC),
    num(FREEBSD_NAME),
    num(FREEBSD_PID),
    num(FREEBSD_VMSPACE),
    num(FREEBSD_PMAP),
    num(FREEBSD_PGD),
    table_only(OS_TYPE, ValueKind::Str),
    table_only(OSX_PMAP, ValueKind::Num),
    table_only(OSX_VMSPACE, ValueKind::Num),
    table_only(OSX_PID, ValueKind::Num),
    table_only(OSX_NAME, ValueKind::Num),
    table_only(OSX_PGD, ValueKind::Num),
];

pub fn key_info(name: &str) -> Option<&'static KeyInfo> {
    KEYS.iter().find(|k| k.name == name)
}

/// The value type of a known key; `None` for keys LibVMI does not read.
pub fn key_kind(name: &str) -> Option<ValueKind> {
    key_info(name).map(|k| k.kind)
}

/// Guest OS families; discriminants equal upstream's `os_t` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum OsType {
    Unknown = 0,
    Linux = 1,
    Windows = 2,
    FreeBsd = 3,
    Osx = 4,
}

impl OsType {
    /// Parses an `ostype` value; names are case-sensitive as upstream.
    pub fn from_name(name: &str) -> Option<OsType> {
        Some(match name {
            "Linux" => OsType::Linux,
            "Windows" => OsType::Windows,
            "FreeBSD" => OsType::FreeBsd,
            "OSX" => OsType::Osx,
            _ => return None,
        })
    }
}

/// Parses a `pagemode` value (`VMI_PM_LEGACY`, ...). Upstream offers no
/// config name for a 5-level IA-32e mode; it is detected from CR4 instead.
pub fn page_mode_from_name(name: &str) -> Option<PageMode> {
    Some(match name {
        "VMI_PM_LEGACY" => PageMode::Legacy,
        "VMI_PM_PAE" => PageMode::Pae,
        "VMI_PM_IA32E" => PageMode::Ia32e,
        "VMI_PM_AARCH32" => PageMode::Aarch32,
        "VMI_PM_AARCH64" => PageMode::Aarch64,
        "VMI_PM_EPT_4L" => PageMode::Ept4,
        "VMI_PM_EPT_5L" => PageMode::Ept5,
        _ => return None,
    })
}

/// Parses an aarch64 granule-size value (`VMI_PS_4KB`, ...).
pub fn page_size_from_name(name: &str) -> Option<PageSize> {
    Some(match name {
        "VMI_PS_1KB" => PageSize::K1,
        "VMI_PS_4KB" => PageSize::K4,
        "VMI_PS_16KB" => PageSize::K16,
        "VMI_PS_64KB" => PageSize::K64,
        "VMI_PS_1MB" => PageSize::M1,
        "VMI_PS_2MB" => PageSize::M2,
        "VMI_PS_4MB" => PageSize::M4,
        "VMI_PS_16MB" => PageSize::M16,
        "VMI_PS_32MB" => PageSize::M32,
        "VMI_PS_512MB" => PageSize::M512,
        "VMI_PS_1GB" => PageSize::G1,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_has_33_keys_and_names_are_unique() {
        assert_eq!(KEYS.iter().filter(|k| k.in_grammar).count(), 33);
        for (i, a) in KEYS.iter().enumerate() {
            assert!(
                KEYS[i + 1..].iter().all(|b| b.name != a.name),
                "duplicate {}",
                a.name
            );
        }
    }

    #[test]
    fn kinds() {
        for k in [
            "sysmap",
            "rekall_profile",
            "volatility_ist",
            "ostype",
            "pagemode",
            "os_type",
        ] {
            assert_eq!(key_kind(k), Some(ValueKind::Str), "{k}");
        }
        assert_eq!(key_kind(AARCH64_TTBR0_GRANULE_SIZE), Some(ValueKind::Str));
        assert_eq!(key_kind(AARCH64_TTBR1_GRANULE_SIZE), Some(ValueKind::Str));
        for k in [
            "kpgd",
            "linux_name",
            "win_pname",
            "freebsd_name",
            "aarch64_ttbr1_va_width",
        ] {
            assert_eq!(key_kind(k), Some(ValueKind::Num), "{k}");
        }
        assert_eq!(key_kind("Kpgd"), None);
        assert_eq!(key_kind("nonsense"), None);
    }

    #[test]
    fn names() {
        assert_eq!(OsType::from_name("Linux"), Some(OsType::Linux));
        assert_eq!(OsType::from_name("FreeBSD"), Some(OsType::FreeBsd));
        assert_eq!(OsType::from_name("OSX"), Some(OsType::Osx));
        assert_eq!(OsType::from_name("Windows"), Some(OsType::Windows));
        assert_eq!(OsType::from_name("linux"), None);
        assert_eq!(OsType::Windows as u32, 2);
        assert_eq!(page_mode_from_name("VMI_PM_EPT_5L"), Some(PageMode::Ept5));
        assert_eq!(page_mode_from_name("VMI_PM_PAE"), Some(PageMode::Pae));
        assert_eq!(page_mode_from_name("PAE"), None);
        assert_eq!(page_size_from_name("VMI_PS_64KB"), Some(PageSize::K64));
        assert_eq!(page_size_from_name("VMI_PS_1GB"), Some(PageSize::G1));
        assert_eq!(page_size_from_name("4KB"), None);
    }
}
