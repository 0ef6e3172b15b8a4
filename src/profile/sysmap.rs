//! Linux System.map (and the identical /proc/kallsyms format):
//! `<hex address> <type letter> <name>[ \t[module]]`, one symbol a line.

use super::{read_file_bounded, OsKind, Profile, ProfileSource};
use crate::{Error, Result};

/// Kernel symbol names are at most a few hundred bytes (KSYM_NAME_LEN is
/// 512); anything longer is not a symbol line.
const MAX_NAME_LEN: usize = 1024;
/// A System.map is a few MiB; refuse to slurp anything absurd.
const MAX_FILE: u64 = 512 << 20;

/// Parses System.map text. Lines that are not `address type name` are
/// skipped; a name seen twice keeps its first address, as a top-down scan
/// would. Text with no symbol line at all is an error.
pub fn from_system_map(text: &[u8]) -> Result<Profile> {
    let mut profile = Profile::new(ProfileSource::SystemMap);
    profile.set_os(Some(OsKind::Linux));
    profile.reserve_symbols(memchr::memchr_iter(b'\n', text).count() + 1);
    let mut skipped = 0usize;
    for line in text.split(|&b| b == b'\n') {
        match parse_line(line) {
            Some((addr, kind, name)) => {
                profile.add_symbol(name, addr, kind);
            }
            None if line.iter().all(u8::is_ascii_whitespace) => {}
            None => skipped += 1,
        }
    }
    if skipped > 0 {
        crate::log_debug!("System.map: skipped {skipped} unparsable lines");
    }
    if profile.symbol_count() == 0 {
        return Err(Error::Malformed("System.map has no symbol lines"));
    }
    Ok(profile)
}

/// Reads and parses a System.map file.
pub fn from_system_map_path(path: &std::path::Path) -> Result<Profile> {
    from_system_map(&read_file_bounded(path, MAX_FILE)?)
}

/// Splits a line into at most `N` whitespace-separated tokens; the count
/// says how many there were (more than `N` reports `N + 1`).
fn tokens<const N: usize>(line: &[u8]) -> ([&[u8]; N], usize) {
    let mut out: [&[u8]; N] = [&[]; N];
    let mut n = 0;
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == line.len() {
            break;
        }
        let start = i;
        while i < line.len() && !line[i].is_ascii_whitespace() {
            i += 1;
        }
        if n == N {
            return (out, N + 1);
        }
        out[n] = &line[start..i];
        n += 1;
    }
    (out, n)
}

fn hex(t: &[u8]) -> Option<u64> {
    if t.is_empty() || t.len() > 16 {
        return None;
    }
    let mut v = 0u64;
    for &b in t {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        v = v << 4 | d as u64;
    }
    Some(v)
}

fn parse_line(line: &[u8]) -> Option<(u64, u8, &str)> {
    // The shape `nm` writes for 64-bit kernels: 16 hex digits, a space, the
    // type, a space, the name. Taken without tokenising.
    if line.len() > 19 && line[16] == b' ' && line[18] == b' ' && line[17].is_ascii_graphic() {
        if let (Some(addr), Some(name)) = (hex(&line[..16]), symbol_name(&line[19..])) {
            return Some((addr, line[17], name));
        }
    }
    parse_tokens(line)
}

/// A symbol name: graphic ASCII (so no whitespace), bounded.
fn symbol_name(name: &[u8]) -> Option<&str> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || !name.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    // SAFETY: graphic ASCII is valid UTF-8.
    Some(unsafe { core::str::from_utf8_unchecked(name) })
}

fn parse_tokens(line: &[u8]) -> Option<(u64, u8, &str)> {
    let (t, n) = tokens::<4>(line);
    if !(3..=4).contains(&n) {
        return None;
    }
    // kallsyms appends the owning module in brackets; nothing else may follow.
    if n == 4 && !(t[3].starts_with(b"[") && t[3].ends_with(b"]")) {
        return None;
    }
    let addr = hex(t[0])?;
    let &[kind] = t[1] else { return None };
    if !kind.is_ascii_graphic() {
        return None;
    }
    Some((addr, kind, symbol_name(t[2])?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "\
0000000000000000 D __per_cpu_start
0000000000001000 D cpu_debug_store
ffffffff81000000 T _text
ffffffff81000000 T startup_64
ffffffff81000070 T secondary_startup_64
ffffffff810a3c40 t pick_next_task_fair
ffffffff810b1e90 T schedule
ffffffff81e00000 R __start_rodata
ffffffff82013d40 D init_task
ffffffff82415a00 d linux_banner_dup
ffffffff82600000 B __bss_start
ffffffff82a1d0c0 b dup_name
ffffffff82a1d0c8 b dup_name
ffffffff82a1d0d0 W weak_thing
ffffffff82a1e000 A __end_of_kernel_reserve
";

    #[test]
    fn parses_real_looking_map() {
        let p = from_system_map(MAP.as_bytes()).unwrap();
        assert_eq!(p.source(), ProfileSource::SystemMap);
        assert_eq!(p.os(), Some(OsKind::Linux));
        assert_eq!(p.symbol("init_task"), Some(0xffffffff82013d40));
        assert_eq!(p.symbol("schedule"), Some(0xffffffff810b1e90));
        assert_eq!(p.symbol("__per_cpu_start"), Some(0));
        assert_eq!(p.symbol_entry("pick_next_task_fair").unwrap().kind, b't');
        assert_eq!(p.symbol_entry("weak_thing").unwrap().kind, b'W');
        assert_eq!(
            p.symbol_entry("__end_of_kernel_reserve").unwrap().kind,
            b'A'
        );
        assert_eq!(p.symbol("no_such_symbol"), None);
        // duplicates keep the first line's address
        assert_eq!(p.symbol("dup_name"), Some(0xffffffff82a1d0c0));
        assert_eq!(p.symbol_count(), 14);
    }

    #[test]
    fn reverse_lookups() {
        let p = from_system_map(MAP.as_bytes()).unwrap();
        // two symbols at one address: the first listed wins
        assert_eq!(p.symbol_at(0xffffffff81000000), Some("_text"));
        assert_eq!(p.symbol_at(0xffffffff81000001), None);
        assert_eq!(
            p.nearest_symbol(0xffffffff81000010),
            Some(("_text", 0xffffffff81000000))
        );
        assert_eq!(
            p.nearest_symbol(0xffffffff810b1e90 + 0x42),
            Some(("schedule", 0xffffffff810b1e90))
        );
        assert_eq!(
            p.nearest_symbol(0xffffffff82013d40),
            Some(("init_task", 0xffffffff82013d40))
        );
        assert_eq!(
            p.nearest_symbol(u64::MAX),
            Some(("__end_of_kernel_reserve", 0xffffffff82a1e000))
        );
        assert_eq!(p.nearest_symbol(0xfff), Some(("__per_cpu_start", 0)));
    }

    #[test]
    fn skips_absurd_lines() {
        let text = "\
garbage
ffffffff81000000
ffffffff81000000 T
1ffffffff81000000 T seventeen_digits
xyzxyzxy T not_hex
ffffffff81000000 TT two_letter_type
ffffffff81000000 T too many tokens
ffffffff81000000 T bad\x01name
\r
ffffffff810b1e90 T schedule\r
ffffffffc0002000 t e1000_probe\t[e1000]
ffffffffc0002100 t x [mod] extra
";
        let p = from_system_map(text.as_bytes()).unwrap();
        let names: Vec<&str> = p.symbols().map(|s| &*s.name).collect();
        assert_eq!(names, ["schedule", "e1000_probe"]);
        let long = format!("ffffffff81000000 T {}\n", "a".repeat(MAX_NAME_LEN + 1));
        assert!(from_system_map(long.as_bytes()).is_err());
    }

    #[test]
    fn fixed_shape_and_tokenised_lines_agree() {
        type Parsed = Option<(u64, u8, &'static str)>;
        let cases: &[(&str, Parsed)] = &[
            (
                "ffffffff81000000 T _text",
                Some((0xffffffff81000000, b'T', "_text")),
            ),
            (
                "ffffffff81000000  T _text",
                Some((0xffffffff81000000, b'T', "_text")),
            ),
            (
                "ffffffffa0001000 t dummy_init\t[dummy]",
                Some((0xffffffffa0001000, b't', "dummy_init")),
            ),
            ("c1000000 T _text", Some((0xc1000000, b'T', "_text"))),
            ("ffffffff81000000 T _text extra", None),
            ("ffffffff8100000g T _text", None),
            ("ffffffff81000000 \x01 _text", None),
            ("ffffffff81000000 T \u{e9}t\u{e9}", None),
            ("ffffffff81000000 T ", None),
        ];
        for (line, want) in cases {
            assert_eq!(parse_line(line.as_bytes()), *want, "{line:?}");
        }
    }

    #[test]
    fn empty_or_binary_input_is_an_error() {
        assert_eq!(
            from_system_map(b"").unwrap_err(),
            Error::Malformed("System.map has no symbol lines")
        );
        assert!(from_system_map(b"\n\n  \n").is_err());
        assert!(from_system_map(&[0xff, 0xfe, 0x00, 0x12, b'\n', 0x80]).is_err());
    }

    #[test]
    fn reads_from_a_path() {
        let dir = std::env::temp_dir().join(format!("vmi-sysmap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("System.map");
        std::fs::write(&path, MAP).unwrap();
        let p = from_system_map_path(&path).unwrap();
        assert_eq!(p.symbol("init_task"), Some(0xffffffff82013d40));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(from_system_map_path(&path), Err(Error::Os { .. })));
    }
}
