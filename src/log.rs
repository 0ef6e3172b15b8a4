//! The one logger: lines go to stderr prefixed with `libvmi:`. Errors and
//! "not implemented" notices always print; informational and debug lines
//! print only when `LIBVMI_DEBUG` is set in the environment (`1` for info,
//! `2` or more for debug).

use std::sync::OnceLock;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    Error = 0,
    Info = 1,
    Debug = 2,
}

fn threshold() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| match std::env::var("LIBVMI_DEBUG").ok().as_deref() {
        None | Some("") | Some("0") => Level::Error,
        Some("1") => Level::Info,
        Some(_) => Level::Debug,
    })
}

pub fn enabled(level: Level) -> bool {
    level <= threshold()
}

pub fn emit(level: Level, args: std::fmt::Arguments<'_>) {
    if enabled(level) {
        eprintln!("libvmi: {args}");
    }
}

#[macro_export]
macro_rules! log_error {
    ($($t:tt)*) => { $crate::log::emit($crate::log::Level::Error, format_args!($($t)*)) };
}
#[macro_export]
macro_rules! log_info {
    ($($t:tt)*) => { $crate::log::emit($crate::log::Level::Info, format_args!($($t)*)) };
}
#[macro_export]
macro_rules! log_debug {
    ($($t:tt)*) => { $crate::log::emit($crate::log::Level::Debug, format_args!($($t)*)) };
}
