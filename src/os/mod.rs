//! Operating-system layers: what a kernel's data structures mean.

pub mod linux;

use crate::error::{Error, Result};
use crate::instance::Vmi;

pub use crate::config::OsType;

/// One process as the OS layer sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    pub name: String,
    /// Page-table root (CR3 / TTBR) of the address space; for kernel
    /// threads without their own address space, the kernel's.
    pub dtb: u64,
    /// Virtual address of the OS's process structure (task_struct, EPROCESS).
    pub address: u64,
}

/// One loaded kernel module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    pub base: u64,
    pub size: u64,
}

/// What the instance asks of an OS layer. Every method has the instance so
/// the layer can read guest memory; layers own their profile and offsets.
pub trait OsLayer: Send + Sync {
    fn os_type(&self) -> OsType;

    /// Kernel symbol -> virtual address (KASLR slide applied).
    fn ksym2v(&self, vmi: &Vmi, symbol: &str) -> Result<u64>;

    /// Virtual address -> the kernel symbol at that exact address (or, when
    /// `nearest`, the closest symbol below it and the distance).
    fn v2ksym(&self, _vmi: &Vmi, _va: u64, _nearest: bool) -> Result<(String, u64)> {
        Err(Error::Unsupported("reverse symbol lookup for this OS"))
    }

    /// RVA of the symbol `symbol` exported by the user-space image whose
    /// header is at `base` in the address space `dtb`.
    fn usym2rva(&self, _vmi: &Vmi, _dtb: u64, _base: u64, _symbol: &str) -> Result<u64> {
        Err(Error::Unsupported("user-space symbol lookup for this OS"))
    }

    /// Symbol exported at `rva` by the user-space image whose header is at
    /// `base` in the address space `dtb`.
    fn rva2usym(&self, _vmi: &Vmi, _dtb: u64, _base: u64, _rva: u64) -> Result<String> {
        Err(Error::Unsupported("user-space symbol lookup for this OS"))
    }

    fn pid_to_dtb(&self, vmi: &Vmi, pid: i32) -> Result<u64>;
    fn dtb_to_pid(&self, vmi: &Vmi, dtb: u64) -> Result<i32>;

    /// A named offset as upstream's `vmi_get_offset` knows it
    /// (`linux_tasks`, `win_pdbase`, ...).
    fn offset(&self, name: &str) -> Option<u64>;

    /// `struct.member` offset from the profile.
    fn struct_member_offset(&self, _structure: &str, _member: &str) -> Option<u64> {
        None
    }

    fn processes(&self, vmi: &Vmi) -> Result<Vec<Process>>;

    fn modules(&self, _vmi: &Vmi) -> Result<Vec<Module>> {
        Err(Error::Unsupported("module list for this OS"))
    }

    /// The concrete layer, for callers that need its own API (the Linux
    /// layer's kernel log, profile, ...).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// Path of the profile the layer was built from, if any.
    fn profile_path(&self) -> Option<&str> {
        None
    }

    /// Path of the System.map the layer was built from, if any.
    fn sysmap_path(&self) -> Option<&str> {
        None
    }
}

/// The OS named by the config: `ostype`, else the JSON profile's own
/// metadata (as upstream), else unknown.
pub fn os_type_from_config(config: &crate::config::Config) -> OsType {
    if let Some(t) = config.os_type() {
        return t;
    }
    if let Some(path) = config.json_profile_path() {
        if let Ok((p, _)) = crate::profile::load_json_profile(std::path::Path::new(path)) {
            return match p.os() {
                Some(crate::profile::OsKind::Linux) => OsType::Linux,
                Some(crate::profile::OsKind::Windows) => OsType::Windows,
                Some(crate::profile::OsKind::MacOs) => OsType::Osx,
                None => OsType::Unknown,
            };
        }
    }
    OsType::Unknown
}

/// Initialises the OS layer the instance's config asks for.
pub fn init_os(vmi: &mut Vmi) -> Result<OsType> {
    let config = vmi.config().cloned().unwrap_or_default();
    match os_type_from_config(&config) {
        OsType::Linux => {
            linux::LinuxOs::init(vmi)?;
            Ok(OsType::Linux)
        }
        OsType::Windows => Err(Error::Unsupported("Windows guests are not implemented yet")),
        OsType::FreeBsd => Err(Error::Unsupported("FreeBSD guests are not implemented yet")),
        OsType::Osx => Err(Error::Unsupported("macOS guests are not implemented yet")),
        OsType::Unknown => Err(Error::Config {
            line: 0,
            what: "no ostype in the config entry",
        }),
    }
}
