//! Finding libvmi.conf (`VMI_CONFIG_GLOBAL_FILE_ENTRY`) and loading one
//! named entry from a file (`VMI_CONFIG_FILE_PATH` as well).

use super::parser::{parse_file_bytes, MAX_CONFIG_BYTES};
use super::Config;
use crate::error::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where the global config file is looked for, in upstream's order. Built
/// from the process by [`SearchPaths::from_process`]; tests build their own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchPaths {
    /// Current directory: `<cwd>/libvmi.conf`.
    pub cwd: Option<PathBuf>,
    /// Home directory of `$SUDO_USER`: `<dir>/etc/libvmi.conf`.
    pub sudo_home: Option<PathBuf>,
    /// `$HOME`: `<dir>/etc/libvmi.conf`.
    pub home: Option<PathBuf>,
    /// The system file, `/etc/libvmi.conf`.
    pub system: PathBuf,
}

impl SearchPaths {
    pub fn from_process() -> SearchPaths {
        let sudo_home = std::env::var_os("SUDO_USER").and_then(|u| home_of_user(&u));
        SearchPaths {
            cwd: std::env::current_dir().ok(),
            sudo_home,
            home: std::env::var_os("HOME").map(PathBuf::from),
            system: PathBuf::from("/etc/libvmi.conf"),
        }
    }

    /// The candidate files, first to last.
    pub fn candidates(&self) -> Vec<PathBuf> {
        let mut v = Vec::with_capacity(4);
        v.extend(self.cwd.as_ref().map(|d| d.join("libvmi.conf")));
        v.extend(self.sudo_home.as_ref().map(|d| d.join("etc/libvmi.conf")));
        v.extend(self.home.as_ref().map(|d| d.join("etc/libvmi.conf")));
        v.push(self.system.clone());
        v
    }

    /// The first candidate that is a readable file.
    pub fn find(&self) -> Option<PathBuf> {
        self.candidates().into_iter().find(|p| {
            crate::log_debug!("looking for config file at {}", p.display());
            p.is_file() && std::fs::File::open(p).is_ok()
        })
    }
}

/// The global config file as upstream finds it for this process.
pub fn find_global_config_file() -> Option<PathBuf> {
    SearchPaths::from_process().find()
}

/// Home directory of a user from the password database (NSS included), as
/// upstream's `getpwnam` lookup of `$SUDO_USER`.
pub fn home_of_user(user: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::ffi::{CStr, CString, OsStr};
    use std::os::unix::ffi::OsStrExt;

    let name = CString::new(user.as_bytes()).ok()?;
    let mut buf = vec![0u8; 4096];
    loop {
        // SAFETY: `passwd` is plain data; all-zero is a valid value that
        // getpwnam_r overwrites.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call and `buf.len()` is the
        // true size of the buffer the strings in `pwd` will point into.
        let rc = unsafe {
            libc::getpwnam_r(
                name.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            )
        };
        if rc == libc::ERANGE && buf.len() < (1 << 20) {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || found.is_null() || pwd.pw_dir.is_null() {
            return None;
        }
        // SAFETY: on success pw_dir points to a NUL-terminated string in `buf`,
        // which is still alive here.
        let dir = unsafe { CStr::from_ptr(pwd.pw_dir) };
        return Some(PathBuf::from(OsStr::from_bytes(dir.to_bytes())));
    }
}

/// Reads a config file, refusing ones over [`MAX_CONFIG_BYTES`].
pub fn read_config_file(path: &Path) -> Result<Vec<u8>> {
    let file =
        std::fs::File::open(path).map_err(|e| Error::from_io(&e, "cannot open config file"))?;
    let mut text = Vec::new();
    file.take(MAX_CONFIG_BYTES as u64 + 1)
        .read_to_end(&mut text)
        .map_err(|e| Error::from_io(&e, "cannot read config file"))?;
    if text.len() > MAX_CONFIG_BYTES {
        return Err(Error::Config {
            line: 0,
            what: "config text larger than 1 MiB",
        });
    }
    Ok(text)
}

/// The entry named `name`; when several share it, the last one, as upstream.
pub fn select_entry(entries: Vec<(String, Config)>, name: &str) -> Result<Config> {
    entries
        .into_iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, c)| c)
        .ok_or(Error::NotFound("config entry"))
}

/// Loads the entry named `name` from the config file at `path`.
///
/// Errors: `Error::Os` (cannot open/read) and `Error::Config` (bad syntax,
/// with its line) mean "no config"; `Error::NotFound("config entry")` means
/// the file is fine but has no such entry. See [`super::init_stage`].
pub fn load_entry(path: &Path, name: &str) -> Result<Config> {
    let text = read_config_file(path)?;
    select_entry(parse_file_bytes(&text)?, name)
}

/// `VMI_CONFIG_GLOBAL_FILE_ENTRY`: finds the global file and loads `name`
/// from it; no file at all is `Error::NotFound("config file")`.
pub fn load_global_entry(name: &str) -> Result<Config> {
    let Some(path) = find_global_config_file() else {
        crate::log_error!("config file not found");
        return Err(Error::NotFound("config file"));
    };
    crate::log_debug!("using config file {}", path.display());
    load_entry(&path, name)
}
