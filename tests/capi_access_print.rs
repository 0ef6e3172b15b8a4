//! `vmi_print_hex*` write upstream's hex-dump format to C's stdout. Alone
//! in its test binary because it redirects file descriptor 1.

#[path = "capi_access/ffi.rs"]
mod ffi;
#[path = "capi_access/image.rs"]
mod image;

use std::io::Read;

use ffi::*;
use image::*;

/// Runs `f` with fd 1 redirected to a file and returns what was written.
fn capture_stdout(f: impl FnOnce()) -> String {
    let path = scratch("print").join("out.txt");
    let file = std::fs::File::create(&path).unwrap();
    unsafe {
        libc::fflush(std::ptr::null_mut());
        let saved = libc::dup(1);
        assert!(saved >= 0);
        libc::dup2(std::os::unix::io::AsRawFd::as_raw_fd(&file), 1);
        f();
        libc::fflush(std::ptr::null_mut());
        libc::dup2(saved, 1);
        libc::close(saved);
    }
    let mut s = String::new();
    std::fs::File::open(&path)
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// The dump upstream prints for `data`, built independently of the
/// library's formatter from the C format strings.
fn expected(data: &[u8]) -> String {
    let mut s = String::new();
    for (row, chunk) in data.chunks(16).enumerate() {
        s += &format!("{:08x}|  ", row * 16);
        for j in 0..8 {
            s += &chunk
                .get(j)
                .map_or("   ".to_string(), |b| format!("{b:02x} "));
        }
        s += " ";
        for j in 8..16 {
            s += &chunk
                .get(j)
                .map_or("   ".to_string(), |b| format!("{b:02x} "));
        }
        s += "  ";
        for &b in chunk {
            s.push(if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            });
        }
        s += "\n";
    }
    s
}

#[test]
fn hex_dumps_to_c_stdout() {
    let img = build();
    let dir = scratch("printimg");
    let h = open(&write_image(&dir, "mem.raw", &img), false, true);
    let data: Vec<u8> = b"Hello, world!\n\x00\x01\xff tail".to_vec();
    let out = capture_stdout(|| unsafe { vmi_print_hex(data.as_ptr(), data.len() as _) });
    assert_eq!(out, expected(&data));

    let out = capture_stdout(|| unsafe { vmi_print_hex_pa(h.0, PA1 + 0xff8, 40) });
    assert_eq!(out, expected(&img[(PA1 + 0xff8) as usize..][..40]));

    // Virtual dumps follow the page tables (VA page 1 is PA1).
    let out = capture_stdout(|| unsafe { vmi_print_hex_va(h.0, VA + 0xff8, 0, 24) });
    let mut want = img[(PA0 + 0xff8) as usize..][..8].to_vec();
    want.extend_from_slice(&img[PA1 as usize..][..16]);
    assert_eq!(out, expected(&want));

    let out = capture_stdout(|| unsafe { vmi_print_hex_ksym(h.0, c"init_task".as_ptr(), 5) });
    assert_eq!(out, expected(&img[(PA0 + 0x10) as usize..][..5]));

    // Failed reads print nothing.
    let out = capture_stdout(|| unsafe { vmi_print_hex_va(h.0, VA + 0x2000, 0, 16) });
    assert_eq!(out, "");
}
