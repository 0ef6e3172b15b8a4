//! Errors of the safe core: small `Copy` values that say what went wrong and
//! where, so the C layer can map each to a `status_t` / `vmi_init_error_t`
//! and log one clear line without allocating.

use core::fmt;

/// Which stage of instance initialisation failed; maps 1:1 to
/// `vmi_init_error_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitStage {
    DriverNotDetected,
    Driver,
    VmNotFound,
    Paging,
    Os,
    Events,
    NoConfig,
    NoConfigEntry,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A caller passed something unusable (bad mode, zero length, ...).
    InvalidArgument(&'static str),
    /// The backend or the core cannot do this (yet); the text says what.
    Unsupported(&'static str),
    /// The physical address is not backed by guest memory.
    PhysicalOutOfRange { pa: u64 },
    /// A page-table walk found a non-present entry.
    PageNotPresent { va: u64, level: u8 },
    /// A page-table walk went wrong (loop, entry outside memory, ...).
    BadPageTable { va: u64 },
    /// A symbol or struct member the profile does not know.
    SymbolNotFound,
    /// Something named by key (pid, offset name, config entry) does not exist.
    NotFound(&'static str),
    /// Guest data did not make sense (bad header, cyclic list, huge length).
    Malformed(&'static str),
    /// A configuration could not be read; `line` is 1-based, 0 if unknown.
    Config { line: u32, what: &'static str },
    /// Operating-system error from the host (file open, mmap, socket).
    Os { errno: i32, what: &'static str },
    /// Initialisation failed at `stage`.
    Init { stage: InitStage, what: &'static str },
}

pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// Captures the current `errno` for a failed host call.
    pub fn last_os(what: &'static str) -> Error {
        Error::Os { errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0), what }
    }

    pub fn from_io(err: &std::io::Error, what: &'static str) -> Error {
        Error::Os { errno: err.raw_os_error().unwrap_or(0), what }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::InvalidArgument(w) => write!(f, "invalid argument: {w}"),
            Error::Unsupported(w) => write!(f, "not supported: {w}"),
            Error::PhysicalOutOfRange { pa } => {
                write!(f, "physical address {pa:#x} is not backed by guest memory")
            }
            Error::PageNotPresent { va, level } => {
                write!(f, "virtual address {va:#x} not mapped (level {level} entry not present)")
            }
            Error::BadPageTable { va } => write!(f, "malformed page tables translating {va:#x}"),
            Error::SymbolNotFound => write!(f, "symbol not found"),
            Error::NotFound(w) => write!(f, "not found: {w}"),
            Error::Malformed(w) => write!(f, "malformed guest data: {w}"),
            Error::Config { line, what } => {
                if line > 0 {
                    write!(f, "config error at line {line}: {what}")
                } else {
                    write!(f, "config error: {what}")
                }
            }
            Error::Os { errno, what } => {
                write!(f, "{what}: {}", std::io::Error::from_raw_os_error(errno))
            }
            Error::Init { stage, what } => write!(f, "init failed ({stage:?}): {what}"),
        }
    }
}

impl std::error::Error for Error {}
