//! Configuration as LibVMI 0.15 reads it.
//!
//! Sources (`vmi_config_t`):
//! - `VMI_CONFIG_GLOBAL_FILE_ENTRY`: [`load_global_entry`] searches
//!   `<cwd>/libvmi.conf`, `<home of $SUDO_USER>/etc/libvmi.conf`,
//!   `$HOME/etc/libvmi.conf`, `/etc/libvmi.conf` and loads the entry named
//!   after the domain (for snapshot files: the file's base name).
//! - `VMI_CONFIG_FILE_PATH`: [`load_entry`] on the given path.
//! - `VMI_CONFIG_STRING`: [`parse_entry_body`] on the `{ ... }` text.
//! - `VMI_CONFIG_JSON_PATH`: [`Config::from_json_profile_path`].
//! - `VMI_CONFIG_GHASHTABLE`: the C layer builds a [`Config`] with
//!   [`Config::insert`], using [`key_kind`] to know whether a value is a
//!   `uint64_t *` or a `char *`.
//!
//! Failures map to `vmi_init_error_t` through [`init_stage`]:
//! `Error::NotFound("config entry")` is `NoConfigEntry`, anything else
//! (`Error::Config { line, what }`, `Error::Os`, `Error::NotFound("config
//! file")`) is `NoConfig`.
//!
//! Differences from upstream, all on input upstream mishandles:
//! - Unknown keys make upstream's parser fail; here they are kept, with a
//!   warning on stderr (number if the value is a bare number, string if
//!   quoted). `os_type` and `osx_*`, which upstream reads only from a
//!   `GHashTable`, are accepted without a warning.
//! - Quoted strings may contain any character but `"` and newline (upstream:
//!   one path-like token); entry names may be quoted, or be any bare word.
//! - Characters outside the grammar are an error (upstream echoes them to
//!   stdout and skips them); `\r`, `\v`, `\f` count as blanks. A comment may
//!   end at end of input without a newline.
//! - Numbers that do not fit 64 bits, octal numbers with 8 or 9, strings or
//!   names over 1023 bytes, empty strings and files over 1 MiB are errors
//!   (upstream saturates, stops, truncates or fails later). `0X` is accepted
//!   as hex prefix like `0x`.
//! - Nothing is ever written to stdout.

mod keys;
mod lexer;
mod parser;
mod search;

#[cfg(test)]
mod tests;

pub use keys::*;
pub use parser::{
    parse_body_bytes, parse_file_bytes, parse_number, MAX_CONFIG_BYTES, MAX_KEYS_PER_ENTRY,
};
pub use search::{
    find_global_config_file, home_of_user, load_entry, load_global_entry, read_config_file,
    select_entry, SearchPaths,
};

use crate::addr::PageMode;
use crate::error::{Error, InitStage, Result};

/// A config value: a path or name, or a number (offset, address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Num(u64),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Num(_) => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Num(n) => Some(n),
            Value::Str(_) => None,
        }
    }

    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Str(_) => ValueKind::Str,
            Value::Num(_) => ValueKind::Num,
        }
    }
}

/// One config entry: keys in first-insertion order, each at most once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    items: Vec<(String, Value)>,
}

impl Config {
    pub fn new() -> Config {
        Config::default()
    }

    /// `VMI_CONFIG_JSON_PATH`: the config is only the profile path, stored
    /// under `volatility_ist` as upstream does.
    pub fn from_json_profile_path(path: &str) -> Config {
        let mut c = Config::new();
        c.insert(VOLATILITY_IST, Value::Str(path.to_owned()));
        c
    }

    /// Sets `key`, returning the value it replaces (the key keeps its place).
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.items.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                self.items.push((key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.items.iter().position(|(k, _)| k == key)?;
        Some(self.items.remove(i).1)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.items.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The string under `key`; `None` if absent or a number.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The number under `key`; `None` if absent or a string.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(Value::as_u64)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.items.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The `ostype` value, falling back to `os_type` as upstream does.
    pub fn os_type_name(&self) -> Option<&str> {
        self.get_str(OSTYPE).or_else(|| self.get_str(OS_TYPE))
    }

    /// The OS named by the config; `None` if missing or not a known name.
    /// (Upstream first asks a JSON profile, if one loads, for the OS.)
    pub fn os_type(&self) -> Option<OsType> {
        self.os_type_name().and_then(OsType::from_name)
    }

    /// The JSON profile path: `volatility_ist`, else `rekall_profile`.
    pub fn json_profile_path(&self) -> Option<&str> {
        self.get_str(VOLATILITY_IST)
            .or_else(|| self.get_str(REKALL_PROFILE))
    }

    /// The `pagemode` setting, `PageMode::Unknown` when absent or not a known
    /// name (the latter logged), as upstream.
    pub fn page_mode(&self) -> PageMode {
        let Some(name) = self.get_str(PAGEMODE) else {
            return PageMode::Unknown;
        };
        page_mode_from_name(name).unwrap_or_else(|| {
            crate::log_error!("unknown pagemode in config: {name}");
            PageMode::Unknown
        })
    }
}

/// Parses the text of a config file into all its entries, in order.
pub fn parse_file_text(text: &str) -> Result<Vec<(String, Config)>> {
    parse_file_bytes(text.as_bytes())
}

/// Parses a `VMI_CONFIG_STRING`: the `{ key = value; ... }` body alone.
pub fn parse_entry_body(text: &str) -> Result<Config> {
    parse_body_bytes(text.as_bytes())
}

/// Which `vmi_init_error_t` a config failure is.
pub fn init_stage(err: &Error) -> InitStage {
    match err {
        Error::NotFound("config entry") => InitStage::NoConfigEntry,
        _ => InitStage::NoConfig,
    }
}
