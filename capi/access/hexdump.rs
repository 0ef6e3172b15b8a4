//! The hex dump format of upstream's `vmi_print_hex`: per 16 bytes an
//! 8-digit offset, `|`, two groups of eight hex bytes and the printable
//! ASCII, written to C's `stdout` so it interleaves with the caller's
//! own `printf` output.

use core::fmt::Write;

/// Formats `data` exactly as upstream prints it.
pub(crate) fn format(data: &[u8]) -> String {
    let mut s = String::with_capacity(data.len().div_ceil(16) * 80);
    for (row, chunk) in data.chunks(16).enumerate() {
        let _ = write!(s, "{:08x}|  ", row * 16);
        for j in 0..16 {
            match chunk.get(j) {
                Some(b) => {
                    let _ = write!(s, "{b:02x} ");
                }
                None => s.push_str("   "),
            }
            if j == 7 {
                s.push(' ');
            }
        }
        s.push_str("  ");
        for &b in chunk {
            // isprint() in the C locale.
            s.push(if (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '.'
            });
        }
        s.push('\n');
    }
    s
}

extern "C" {
    static mut stdout: *mut libc::FILE;
}

/// Writes `text` to C's `stdout` stream.
pub(crate) fn print_c(text: &str) {
    // SAFETY: `stdout` is libc's stream pointer, initialised before main;
    // it is read by value, never referenced.
    let out = unsafe { core::ptr::addr_of!(stdout).read() };
    if out.is_null() {
        return;
    }
    // SAFETY: `text` is valid for `len` bytes; `out` is a live FILE.
    unsafe { libc::fwrite(text.as_ptr().cast(), 1, text.len(), out) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_upstream_layout() {
        let data: Vec<u8> = (0x41..0x41 + 20).collect();
        let s = format(&data);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            "00000000|  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50   ABCDEFGHIJKLMNOP"
        );
        assert_eq!(
            lines[1],
            format!("00000010|  51 52 53 54 {}QRST", " ".repeat(12 + 1 + 24 + 2))
        );
        assert!(format(&[0, 0x7f, b' ']).ends_with("  .. \n"));
        assert!(format(&[]).is_empty());
    }
}
