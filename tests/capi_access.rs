//! The access, translation, cache and page-list functions of the C API,
//! called through their exported symbols on a synthetic IA-32e guest
//! (see `capi_access/image.rs` for the layout every expectation follows).

#[path = "capi_access/ffi.rs"]
mod ffi;
#[path = "capi_access/image.rs"]
mod image;

use core::ffi::{c_void, CStr};
use core::ptr;

use ffi::*;
use image::*;
use vmi::capi::types::*;

fn ctx_dtb(dtb: u64, va: u64) -> access_context_t {
    access_context_t::new(VMI_TM_PROCESS_DTB, va, dtb)
}

fn ctx_pa(pa: u64) -> access_context_t {
    access_context_t::new(VMI_TM_NONE, pa, 0)
}

fn ctx_pid(pid: i32, va: u64) -> access_context_t {
    let mut c = access_context_t::new(VMI_TM_PROCESS_PID, va, 0);
    c.target.va.space.pid = pid;
    c
}

fn ctx_ksym(sym: &CStr) -> access_context_t {
    let mut c = access_context_t::new(VMI_TM_KERNEL_SYMBOL, 0, 0);
    c.target.ksym = sym.as_ptr();
    c
}

fn at(img: &[u8], pa: u64, n: usize) -> &[u8] {
    &img[pa as usize..pa as usize + n]
}

fn u64_at(img: &[u8], pa: u64) -> u64 {
    u64::from_le_bytes(at(img, pa, 8).try_into().unwrap())
}

struct Fixture {
    img: Vec<u8>,
    h: Handle,
}

fn fixture(tag: &str, img: Vec<u8>, writable: bool) -> Fixture {
    let dir = scratch(tag);
    let path = write_image(&dir, "mem.raw", &img);
    let h = open(&path, writable, true);
    Fixture { img, h }
}

fn plain(tag: &str) -> Fixture {
    fixture(tag, build(), false)
}

#[test]
fn read_every_translation_mechanism() {
    let f = plain("mech");
    let v = f.h.0;
    let want = at(&f.img, PA0 + 0x123, 64).to_vec();
    let mut buf = [0u8; 64];
    let mut n = 0usize;
    let contexts = [
        ctx_dtb(KDTB, VA + 0x123),
        ctx_pa(PA0 + 0x123),
        ctx_pid(0, VA + 0x123),
        ctx_dtb(KDTB, HIGH_VA + 0x123),
    ];
    for c in &contexts {
        buf.fill(0);
        let st = unsafe { vmi_read(v, c, 64, buf.as_mut_ptr().cast(), &mut n) };
        assert_eq!(st, VMI_SUCCESS);
        assert_eq!(n, 64);
        assert_eq!(buf[..], want[..]);
    }
    // Kernel symbol: the fake OS puts init_task at VA + 0x10.
    let c = ctx_ksym(c"init_task");
    assert_eq!(
        unsafe { vmi_read(v, &c, 8, buf.as_mut_ptr().cast(), &mut n) },
        VMI_SUCCESS
    );
    assert_eq!(buf[..8], *at(&f.img, PA0 + 0x10, 8));
    // Process 42 maps VA to its own page.
    let c = ctx_pid(PID, VA + 8);
    assert_eq!(
        unsafe { vmi_read(v, &c, 8, buf.as_mut_ptr().cast(), &mut n) },
        VMI_SUCCESS
    );
    assert_eq!(buf[..8], *at(&f.img, UPA + 8, 8));
    // Unknown pid, unknown symbol, negative pid, bad mechanism fail with 0 bytes.
    for c in [
        ctx_pid(7, VA),
        ctx_ksym(c"nope"),
        ctx_pid(-1, VA),
        access_context_t::new(9, VA, KDTB),
    ] {
        n = 99;
        assert_eq!(
            unsafe { vmi_read(v, &c, 8, buf.as_mut_ptr().cast(), &mut n) },
            VMI_FAILURE
        );
        assert_eq!(n, 0);
    }
    // A 2 MiB page.
    let c = ctx_dtb(KDTB, BIG_VA + 0x1f_fff0);
    assert_eq!(
        unsafe { vmi_read(v, &c, 16, buf.as_mut_ptr().cast(), &mut n) },
        VMI_SUCCESS
    );
    assert_eq!(buf[..16], *at(&f.img, BIG_PA + 0x1f_fff0, 16));
}

#[test]
fn page_mode_override_and_version() {
    let f = plain("pm");
    let v = f.h.0;
    let mut b = 0u64;
    // An explicit pm equal to the instance's gives the same result.
    let mut c = ctx_dtb(KDTB, VA);
    assert_eq!(unsafe { vmi_read_64(v, &c, &mut b) }, VMI_SUCCESS);
    assert_eq!(b, u64_at(&f.img, PA0));
    c.pm = VMI_PM_IA32E;
    let mut b2 = 0u64;
    assert_eq!(unsafe { vmi_read_64(v, &c, &mut b2) }, VMI_SUCCESS);
    assert_eq!(b2, b);
    c.pm = 77;
    assert_eq!(
        unsafe { vmi_read_64(v, &c, &mut b2) },
        VMI_FAILURE,
        "invalid pm"
    );
    // An old context without the version field still works (warns once).
    let mut c = ctx_dtb(KDTB, VA);
    c.version = 0;
    assert_eq!(unsafe { vmi_read_64(v, &c, &mut b2) }, VMI_SUCCESS);
    assert_eq!(b2, b);
    // npt without npm is refused.
    let mut c = ctx_dtb(KDTB, VA);
    c.npt = EPT;
    assert_eq!(unsafe { vmi_read_64(v, &c, &mut b2) }, VMI_FAILURE);
}

#[test]
fn partial_reads_report_bytes_done() {
    let f = plain("partial");
    let v = f.h.0;
    // VA+0x1000 is mapped, VA+0x2000 is not.
    let mut buf = [0u8; 0x40];
    let mut n = 0usize;
    let c = ctx_dtb(KDTB, VA + 0x1ff0);
    assert_eq!(
        unsafe { vmi_read(v, &c, 0x40, buf.as_mut_ptr().cast(), &mut n) },
        VMI_FAILURE
    );
    assert_eq!(n, 0x10);
    assert_eq!(buf[..0x10], *at(&f.img, PA1 + 0xff0, 0x10));
    // Crossing a mapped boundary between non-contiguous frames works.
    let c = ctx_dtb(KDTB, VA + 0xff8);
    assert_eq!(
        unsafe { vmi_read(v, &c, 0x10, buf.as_mut_ptr().cast(), &mut n) },
        VMI_SUCCESS
    );
    assert_eq!(buf[..8], *at(&f.img, PA0 + 0xff8, 8));
    assert_eq!(buf[8..0x10], *at(&f.img, PA1, 8));
    // NULL bytes_read is allowed.
    assert_eq!(
        unsafe { vmi_read(v, &c, 0x10, buf.as_mut_ptr().cast(), ptr::null_mut()) },
        VMI_SUCCESS
    );
    // Physical read past the end of memory.
    let end = IMAGE_SIZE as u64;
    assert_eq!(
        unsafe { vmi_read_pa(v, end - 4, 8, buf.as_mut_ptr().cast(), &mut n) },
        VMI_FAILURE
    );
    assert_eq!(n, 4, "the part before the end of memory");
    assert_eq!(
        unsafe { vmi_read_pa(v, end - 0x1004, 8, buf.as_mut_ptr().cast(), &mut n) },
        VMI_SUCCESS
    );
    assert_eq!(
        unsafe { vmi_read_pa(v, end - 4, 4, buf.as_mut_ptr().cast(), &mut n) },
        VMI_SUCCESS
    );
    // Zero bytes succeed.
    assert_eq!(
        unsafe { vmi_read_va(v, VA + 0x2000, 0, 0, buf.as_mut_ptr().cast(), &mut n) },
        VMI_SUCCESS
    );
    assert_eq!(n, 0);
    // Unmapped start.
    n = 5;
    assert_eq!(
        unsafe { vmi_read_va(v, VA + 0x2000, 0, 4, buf.as_mut_ptr().cast(), &mut n) },
        VMI_FAILURE
    );
    assert_eq!(n, 0);
}

#[test]
fn null_arguments_fail_cleanly() {
    let f = plain("null");
    let v = f.h.0;
    let c = ctx_dtb(KDTB, VA);
    let mut n = 7usize;
    let mut buf = [0u8; 8];
    unsafe {
        assert_eq!(
            vmi_read(ptr::null_mut(), &c, 8, buf.as_mut_ptr().cast(), &mut n),
            VMI_FAILURE
        );
        assert_eq!(n, 0);
        assert_eq!(
            vmi_read(v, ptr::null(), 8, buf.as_mut_ptr().cast(), &mut n),
            VMI_FAILURE
        );
        assert_eq!(vmi_read(v, &c, 8, ptr::null_mut(), &mut n), VMI_FAILURE);
        assert_eq!(vmi_read_64(v, &c, ptr::null_mut()), VMI_FAILURE);
        assert_eq!(vmi_read_addr(v, &c, ptr::null_mut()), VMI_FAILURE);
        assert!(vmi_read_str(v, ptr::null()).is_null());
        assert!(vmi_read_str_ksym(v, ptr::null()).is_null());
        assert!(vmi_read_wstr(ptr::null_mut(), &c).is_null());
        assert!(vmi_read_unicode_str(v, ptr::null()).is_null());
        assert_eq!(vmi_write(v, &c, 8, ptr::null_mut(), &mut n), VMI_FAILURE);
        assert_eq!(vmi_translate_kv2p(v, VA, ptr::null_mut()), VMI_FAILURE);
        assert_eq!(vmi_translate_ksym2v(v, ptr::null(), &mut 0), VMI_FAILURE);
        assert_eq!(
            vmi_pagetable_lookup_extended(v, KDTB, VA, ptr::null_mut()),
            VMI_FAILURE
        );
        assert_eq!(
            vmi_nested_pagetable_lookup(
                v,
                EPT,
                VMI_PM_EPT_4L,
                KDTB,
                VMI_PM_IA32E,
                VA,
                &mut 0,
                ptr::null_mut()
            ),
            VMI_FAILURE,
            "naddr is required with a nested mode"
        );
        assert_eq!(
            vmi_mmap_guest(v, &c, 1, libc::PROT_READ, ptr::null_mut()),
            VMI_FAILURE
        );
        assert_eq!(
            vmi_convert_str_encoding(ptr::null(), ptr::null_mut(), ptr::null()),
            VMI_FAILURE
        );
        vmi_free_unicode_str(ptr::null_mut());
        vmi_print_hex(ptr::null(), 10);
        vmi_v2pcache_flush(ptr::null_mut(), !0);
        vmi_symcache_add(v, 0, 0, ptr::null_mut(), 1);
        assert!(vmi_get_va_pages(ptr::null_mut(), KDTB).is_null());
        assert!(vmi_get_last_pagetable_lookup_fault(ptr::null_mut()).is_null());
    }
}

#[test]
fn fixed_width_reads_all_variants() {
    let f = plain("widths");
    let v = f.h.0;
    let off = 0x234u64;
    let pa = PA0 + off;
    let va = VA + off;
    let w8 = f.img[pa as usize];
    let w16 = u16::from_le_bytes(at(&f.img, pa, 2).try_into().unwrap());
    let w32 = u32::from_le_bytes(at(&f.img, pa, 4).try_into().unwrap());
    let w64 = u64_at(&f.img, pa);
    let c = ctx_dtb(KDTB, va);
    unsafe {
        let (mut a, mut b, mut d, mut e, mut p) = (0u8, 0u16, 0u32, 0u64, 0u64);
        assert_eq!(vmi_read_8(v, &c, &mut a), VMI_SUCCESS);
        assert_eq!(vmi_read_16(v, &c, &mut b), VMI_SUCCESS);
        assert_eq!(vmi_read_32(v, &c, &mut d), VMI_SUCCESS);
        assert_eq!(vmi_read_64(v, &c, &mut e), VMI_SUCCESS);
        assert_eq!(vmi_read_addr(v, &c, &mut p), VMI_SUCCESS);
        assert_eq!((a, b, d, e, p), (w8, w16, w32, w64, w64));

        let (mut a, mut b, mut d, mut e, mut p) = (0u8, 0u16, 0u32, 0u64, 0u64);
        assert_eq!(vmi_read_8_va(v, va, 0, &mut a), VMI_SUCCESS);
        assert_eq!(vmi_read_16_va(v, va, 0, &mut b), VMI_SUCCESS);
        assert_eq!(vmi_read_32_va(v, va, 0, &mut d), VMI_SUCCESS);
        assert_eq!(vmi_read_64_va(v, va, 0, &mut e), VMI_SUCCESS);
        assert_eq!(vmi_read_addr_va(v, va, 0, &mut p), VMI_SUCCESS);
        assert_eq!((a, b, d, e, p), (w8, w16, w32, w64, w64));

        let (mut a, mut b, mut d, mut e, mut p) = (0u8, 0u16, 0u32, 0u64, 0u64);
        assert_eq!(vmi_read_8_pa(v, pa, &mut a), VMI_SUCCESS);
        assert_eq!(vmi_read_16_pa(v, pa, &mut b), VMI_SUCCESS);
        assert_eq!(vmi_read_32_pa(v, pa, &mut d), VMI_SUCCESS);
        assert_eq!(vmi_read_64_pa(v, pa, &mut e), VMI_SUCCESS);
        assert_eq!(vmi_read_addr_pa(v, pa, &mut p), VMI_SUCCESS);
        assert_eq!((a, b, d, e, p), (w8, w16, w32, w64, w64));

        let s = c"init_task".as_ptr();
        let spa = PA0 + 0x10;
        let (mut a, mut b, mut d, mut e, mut p) = (0u8, 0u16, 0u32, 0u64, 0u64);
        assert_eq!(vmi_read_8_ksym(v, s, &mut a), VMI_SUCCESS);
        assert_eq!(vmi_read_16_ksym(v, s, &mut b), VMI_SUCCESS);
        assert_eq!(vmi_read_32_ksym(v, s, &mut d), VMI_SUCCESS);
        assert_eq!(vmi_read_64_ksym(v, s, &mut e), VMI_SUCCESS);
        assert_eq!(vmi_read_addr_ksym(v, s, &mut p), VMI_SUCCESS);
        assert_eq!(a, f.img[spa as usize]);
        assert_eq!(e, u64_at(&f.img, spa));
        assert_eq!(p, e);
        assert_eq!(u64::from(d), e & 0xffff_ffff);
        assert_eq!(u64::from(b), e & 0xffff);

        let mut buf = [0u8; 4];
        let mut n = 0;
        assert_eq!(
            vmi_read_ksym(v, s, 4, buf.as_mut_ptr().cast(), &mut n),
            VMI_SUCCESS
        );
        assert_eq!(n, 4);
        assert_eq!(buf, *at(&f.img, spa, 4));
    }
}

/// Writes `bytes` at `pa` into a fresh image for the string tests.
fn image_with(patches: &[(u64, &[u8])]) -> Vec<u8> {
    let mut img = build();
    for (pa, b) in patches {
        img[*pa as usize..*pa as usize + b.len()].copy_from_slice(b);
    }
    img
}

unsafe fn take_cstr(p: *mut core::ffi::c_char) -> Option<Vec<u8>> {
    if p.is_null() {
        return None;
    }
    let v = unsafe { CStr::from_ptr(p) }.to_bytes().to_vec();
    unsafe { libc::free(p.cast()) };
    Some(v)
}

unsafe fn take_wstr(p: *mut u16) -> Option<Vec<u16>> {
    if p.is_null() {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let u = unsafe { *p.add(i) };
        if u == 0 {
            break;
        }
        out.push(u);
        i += 1;
    }
    unsafe { libc::free(p.cast()) };
    Some(out)
}

#[test]
fn strings_across_pages_and_without_terminator() {
    let img = image_with(&[
        // "hello " at the end of VA page 0, "world\0" at the start of page 1.
        (PA0 + 0xffa, b"hello "),
        (PA1, b"world\0"),
        // No terminator before the unmapped VA page 2.
        (PA1 + 0xffc, b"tail"),
        (PA0 + 0x100, b"x\0"),
        (PA0 + 0x200, &[0x41, 0, 0x42, 0, 0, 0]),
    ]);
    let f = fixture("str", img, false);
    let v = f.h.0;
    unsafe {
        let c = ctx_dtb(KDTB, VA + 0xffa);
        assert_eq!(take_cstr(vmi_read_str(v, &c)).unwrap(), b"hello world");
        assert_eq!(
            take_cstr(vmi_read_str_va(v, VA + 0xffa, 0)).unwrap(),
            b"hello world"
        );
        assert_eq!(take_cstr(vmi_read_str_pa(v, PA1)).unwrap(), b"world");
        // Cut short by the unmapped page: what was read is returned.
        assert_eq!(
            take_cstr(vmi_read_str_va(v, VA + 0x1ffc, 0)).unwrap(),
            b"tail"
        );
        // Nothing readable at all: NULL.
        assert!(vmi_read_str_va(v, VA + 0x2000, 0).is_null());
        assert_eq!(take_cstr(vmi_read_str_va(v, VA + 0x100, 0)).unwrap(), b"x");
        let k = take_cstr(vmi_read_str_ksym(v, c"init_task".as_ptr())).unwrap();
        let spa = (PA0 + 0x10) as usize;
        let end = f.img[spa..].iter().position(|&b| b == 0).unwrap();
        assert_eq!(k, f.img[spa..spa + end]);

        assert_eq!(
            take_wstr(vmi_read_wstr_va(v, VA + 0x200, 0)).unwrap(),
            [0x41, 0x42]
        );
        assert_eq!(
            take_wstr(vmi_read_wstr_pa(v, PA0 + 0x200)).unwrap(),
            [0x41, 0x42]
        );
        let c = ctx_pa(PA0 + 0x200);
        assert_eq!(take_wstr(vmi_read_wstr(v, &c)).unwrap(), [0x41, 0x42]);
        assert!(vmi_read_wstr_va(v, VA + 0x2000, 0).is_null());
    }
}

#[test]
fn wide_string_across_pages() {
    let s: Vec<u16> = "wide→string".encode_utf16().collect();
    let bytes: Vec<u8> = s
        .iter()
        .flat_map(|u| u.to_le_bytes())
        .chain([0, 0])
        .collect();
    // Starts 6 bytes before the end of VA page 0 (odd offsets too).
    for start in [6usize, 5] {
        let img = image_with(&[
            (PA0 + 0x1000 - start as u64, &bytes[..start]),
            (PA1, &bytes[start..]),
        ]);
        let f = fixture(&format!("wstr{start}"), img, false);
        let got = unsafe { take_wstr(vmi_read_wstr_va(f.h.0, VA + 0x1000 - start as u64, 0)) };
        assert_eq!(got.unwrap(), s, "start {start}");
    }
}

fn unicode_struct64(len: u16, max: u16, buf: u64) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(&max.to_le_bytes());
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(&buf.to_le_bytes());
    v
}

#[test]
fn unicode_strings_and_conversion() {
    let text = "Ünïcode.exe";
    let utf16: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let len = utf16.len() as u16;
    let s64 = unicode_struct64(len, len + 2, VA + 0x1800);
    let mut s32 = Vec::new();
    s32.extend_from_slice(&len.to_le_bytes());
    s32.extend_from_slice(&(len + 2).to_le_bytes());
    s32.extend_from_slice(&((VA + 0x1800) as u32).to_le_bytes());
    let bad = unicode_struct64(10, 4, VA + 0x1800);
    let img = image_with(&[
        (PA0 + 0x300, &s64),
        (PA0 + 0x340, &s32),
        (PA0 + 0x380, &bad),
        (PA1 + 0x800, &utf16),
    ]);
    let f = fixture("unicode", img, false);
    let v = f.h.0;
    unsafe {
        let c = ctx_dtb(KDTB, VA + 0x300);
        let us = vmi_read_unicode_str(v, &c);
        assert!(!us.is_null());
        assert_eq!((*us).length, utf16.len());
        assert_eq!(
            core::slice::from_raw_parts((*us).contents, (*us).length),
            &utf16[..]
        );
        assert_eq!(CStr::from_ptr((*us).encoding).to_bytes(), b"UTF-16");
        // Converted to UTF-8.
        let mut out = unicode_string_t {
            length: 0,
            contents: ptr::null_mut(),
            encoding: ptr::null(),
        };
        assert_eq!(
            vmi_convert_str_encoding(us, &mut out, c"UTF-8".as_ptr()),
            VMI_SUCCESS
        );
        assert_eq!(
            core::slice::from_raw_parts(out.contents, out.length),
            text.as_bytes()
        );
        assert_eq!(*out.contents.add(out.length), 0, "NUL-terminated");
        assert_eq!(CStr::from_ptr(out.encoding).to_bytes(), b"UTF-8");
        libc::free(out.contents.cast());
        // Unsupported target encoding fails and zeroes `out`.
        assert_eq!(
            vmi_convert_str_encoding(us, &mut out, c"EBCDIC-US".as_ptr()),
            VMI_FAILURE
        );
        assert!(out.contents.is_null() && out.length == 0);
        vmi_free_unicode_str(us);

        let us = vmi_read_unicode_str_va(v, VA + 0x300, 0);
        assert!(!us.is_null());
        assert_eq!((*us).length, utf16.len());
        vmi_free_unicode_str(us);
        // 32-bit layout on request.
        let c = ctx_dtb(KDTB, VA + 0x340);
        let us = vmi_read_unicode_str_pm(v, &c, VMI_PM_PAE);
        assert!(!us.is_null());
        assert_eq!(
            core::slice::from_raw_parts((*us).contents, (*us).length),
            &utf16[..]
        );
        vmi_free_unicode_str(us);
        // Length > MaximumLength is refused.
        let c = ctx_dtb(KDTB, VA + 0x380);
        assert!(vmi_read_unicode_str(v, &c).is_null());
    }
}

#[test]
fn writes_need_a_writable_image() {
    let f = plain("ro");
    let mut n = 9usize;
    let mut data = [1u8, 2, 3, 4];
    let st = unsafe { vmi_write_va(f.h.0, VA, 0, 4, data.as_mut_ptr().cast(), &mut n) };
    assert_eq!(st, VMI_FAILURE);
    assert_eq!(n, 0);
    let mut x = 5u64;
    assert_eq!(unsafe { vmi_write_64_pa(f.h.0, PA0, &mut x) }, VMI_FAILURE);
}

#[test]
fn writes_every_variant_and_partial() {
    let f = fixture("rw", build(), true);
    let v = f.h.0;
    unsafe {
        let mut data = *b"ABCDEFGH";
        let mut n = 0usize;
        let c = ctx_dtb(KDTB, VA + 0x40);
        assert_eq!(
            vmi_write(v, &c, 8, data.as_mut_ptr().cast(), &mut n),
            VMI_SUCCESS
        );
        assert_eq!(n, 8);
        let mut back = 0u64;
        assert_eq!(vmi_read_64_pa(v, PA0 + 0x40, &mut back), VMI_SUCCESS);
        assert_eq!(back.to_le_bytes(), data);

        // Across the unmapped page: the mapped part is written.
        let mut big = [0x5au8; 32];
        let c = ctx_dtb(KDTB, VA + 0x1ff0);
        assert_eq!(
            vmi_write(v, &c, 32, big.as_mut_ptr().cast(), &mut n),
            VMI_FAILURE
        );
        assert_eq!(n, 16);
        let mut chk = [0u8; 16];
        assert_eq!(
            vmi_read_pa(v, PA1 + 0xff0, 16, chk.as_mut_ptr().cast(), &mut n),
            VMI_SUCCESS
        );
        assert_eq!(chk, [0x5a; 16]);

        let mut b8 = 0x11u8;
        let mut b16 = 0x2233u16;
        let mut b32 = 0x4455_6677u32;
        let mut b64 = 0x8899_aabb_ccdd_eeffu64;
        let mut ad = 0x0123_4567_89ab_cdefu64;
        let c = ctx_dtb(KDTB, VA + 0x80);
        assert_eq!(vmi_write_8(v, &c, &mut b8), VMI_SUCCESS);
        let c16 = ctx_dtb(KDTB, VA + 0x82);
        assert_eq!(vmi_write_16(v, &c16, &mut b16), VMI_SUCCESS);
        let c32 = ctx_dtb(KDTB, VA + 0x84);
        assert_eq!(vmi_write_32(v, &c32, &mut b32), VMI_SUCCESS);
        let c64 = ctx_dtb(KDTB, VA + 0x88);
        assert_eq!(vmi_write_64(v, &c64, &mut b64), VMI_SUCCESS);
        let ca = ctx_dtb(KDTB, VA + 0x90);
        assert_eq!(vmi_write_addr(v, &ca, &mut ad), VMI_SUCCESS);
        let (mut r8, mut r16, mut r32, mut r64, mut ra) = (0u8, 0u16, 0u32, 0u64, 0u64);
        assert_eq!(vmi_read_8_pa(v, PA0 + 0x80, &mut r8), VMI_SUCCESS);
        assert_eq!(vmi_read_16_pa(v, PA0 + 0x82, &mut r16), VMI_SUCCESS);
        assert_eq!(vmi_read_32_pa(v, PA0 + 0x84, &mut r32), VMI_SUCCESS);
        assert_eq!(vmi_read_64_pa(v, PA0 + 0x88, &mut r64), VMI_SUCCESS);
        assert_eq!(vmi_read_addr_pa(v, PA0 + 0x90, &mut ra), VMI_SUCCESS);
        assert_eq!((r8, r16, r32, r64, ra), (b8, b16, b32, b64, ad));

        // _va and _pa variants land where expected.
        let mut x8 = 0xa1u8;
        let mut x16 = 0xa2a3u16;
        let mut x32 = 0xa4a5_a6a7u32;
        let mut x64 = 0xa8a9_aaab_acad_aeafu64;
        let mut xa = 0x1122_3344_5566_7788u64;
        assert_eq!(vmi_write_8_va(v, VA + 0xa0, 0, &mut x8), VMI_SUCCESS);
        assert_eq!(vmi_write_16_va(v, VA + 0xa2, 0, &mut x16), VMI_SUCCESS);
        assert_eq!(vmi_write_32_va(v, VA + 0xa4, 0, &mut x32), VMI_SUCCESS);
        assert_eq!(vmi_write_64_va(v, VA + 0xa8, 0, &mut x64), VMI_SUCCESS);
        assert_eq!(vmi_write_addr_va(v, VA + 0xb0, 0, &mut xa), VMI_SUCCESS);
        assert_eq!(vmi_write_8_pa(v, PA0 + 0xc0, &mut x8), VMI_SUCCESS);
        assert_eq!(vmi_write_16_pa(v, PA0 + 0xc2, &mut x16), VMI_SUCCESS);
        assert_eq!(vmi_write_32_pa(v, PA0 + 0xc4, &mut x32), VMI_SUCCESS);
        assert_eq!(vmi_write_64_pa(v, PA0 + 0xc8, &mut x64), VMI_SUCCESS);
        assert_eq!(vmi_write_addr_pa(v, PA0 + 0xd0, &mut xa), VMI_SUCCESS);
        for base in [PA0 + 0xa0, PA0 + 0xc0] {
            let (mut r8, mut r16, mut r32, mut r64, mut ra) = (0u8, 0u16, 0u32, 0u64, 0u64);
            assert_eq!(vmi_read_8_pa(v, base, &mut r8), VMI_SUCCESS);
            assert_eq!(vmi_read_16_pa(v, base + 2, &mut r16), VMI_SUCCESS);
            assert_eq!(vmi_read_32_pa(v, base + 4, &mut r32), VMI_SUCCESS);
            assert_eq!(vmi_read_64_pa(v, base + 8, &mut r64), VMI_SUCCESS);
            assert_eq!(vmi_read_64_pa(v, base + 16, &mut ra), VMI_SUCCESS);
            assert_eq!((r8, r16, r32, r64, ra), (x8, x16, x32, x64, xa));
        }

        let s = c"init_task".as_ptr();
        let mut k = 0x0102_0304_0506_0708u64;
        assert_eq!(vmi_write_64_ksym(v, s, &mut k), VMI_SUCCESS);
        assert_eq!(vmi_read_64_pa(v, PA0 + 0x10, &mut r64), VMI_SUCCESS);
        assert_eq!(r64, k);
        let mut k8 = 0xeeu8;
        let mut k16 = 0xeeddu16;
        let mut k32 = 0xeedd_ccbbu32;
        assert_eq!(vmi_write_8_ksym(v, s, &mut k8), VMI_SUCCESS);
        assert_eq!(vmi_write_16_ksym(v, s, &mut k16), VMI_SUCCESS);
        assert_eq!(vmi_write_32_ksym(v, s, &mut k32), VMI_SUCCESS);
        assert_eq!(vmi_read_64_pa(v, PA0 + 0x10, &mut r64), VMI_SUCCESS);
        assert_eq!(r64, (k & !0xffff_ffff) | u64::from(k32));
        assert_eq!(vmi_write_addr_ksym(v, s, &mut k), VMI_SUCCESS);
        let mut kb = [9u8; 2];
        assert_eq!(
            vmi_write_ksym(v, s, 2, kb.as_mut_ptr().cast(), &mut n),
            VMI_SUCCESS
        );
        assert_eq!(
            vmi_write_pa(v, PA0, 2, kb.as_mut_ptr().cast(), &mut n),
            VMI_SUCCESS
        );
        assert_eq!(vmi_read_64_pa(v, PA0 + 0x10, &mut r64), VMI_SUCCESS);
        assert_eq!(r64, (k & !0xffff) | 0x0909);
        assert_eq!(
            vmi_write_ksym(v, c"nope".as_ptr(), 2, kb.as_mut_ptr().cast(), &mut n),
            VMI_FAILURE
        );
        assert_eq!(n, 0);
    }
}

#[test]
fn translations_and_symbols() {
    let f = plain("translate");
    let v = f.h.0;
    unsafe {
        let mut pa = 0u64;
        assert_eq!(vmi_translate_kv2p(v, VA + 0x1234, &mut pa), VMI_SUCCESS);
        assert_eq!(pa, PA1 + 0x234);
        assert_eq!(vmi_translate_kv2p(v, VA + 0x2000, &mut pa), VMI_FAILURE);
        assert_eq!(vmi_translate_uv2p(v, VA + 0x10, PID, &mut pa), VMI_SUCCESS);
        assert_eq!(pa, UPA + 0x10);
        assert_eq!(vmi_translate_uv2p(v, VA, 1234, &mut pa), VMI_FAILURE);
        let mut sva = 0u64;
        assert_eq!(
            vmi_translate_ksym2v(v, c"init_task".as_ptr(), &mut sva),
            VMI_SUCCESS
        );
        assert_eq!(sva, SYM_VA);
        assert_eq!(
            vmi_translate_ksym2v(v, c"nope".as_ptr(), &mut sva),
            VMI_FAILURE
        );
        let c = ctx_pid(0, 0);
        let name = vmi_translate_v2ksym(v, &c, SYM_VA);
        assert!(!name.is_null());
        assert_eq!(CStr::from_ptr(name).to_bytes(), b"init_task");
        assert_eq!(
            vmi_translate_v2ksym(v, &c, SYM_VA),
            name,
            "library-owned, stable"
        );
        assert!(vmi_translate_v2ksym(v, &c, SYM_VA + 1).is_null());
        let mut dtb = 0u64;
        assert_eq!(vmi_pid_to_dtb(v, PID, &mut dtb), VMI_SUCCESS);
        assert_eq!(dtb, UDTB);
        assert_eq!(vmi_pid_to_dtb(v, 0, &mut dtb), VMI_SUCCESS);
        assert_eq!(dtb, KDTB);
        let mut pid = 0;
        assert_eq!(vmi_dtb_to_pid(v, UDTB, &mut pid), VMI_SUCCESS);
        assert_eq!(pid, PID);
        assert_eq!(vmi_dtb_to_pid(v, 0x9999000, &mut pid), VMI_FAILURE);
        assert_eq!(pid, -1);
        assert_eq!(vmi_pagetable_lookup(v, UDTB, VA + 5, &mut pa), VMI_SUCCESS);
        assert_eq!(pa, UPA + 5);
        // User symbols resolve only through the caches (no export parser).
        let c = ctx_pid(PID, 0x1000);
        assert_eq!(
            vmi_translate_sym2v(v, &c, c"f".as_ptr(), &mut sva),
            VMI_FAILURE
        );
        vmi_symcache_add(v, 0x1000, PID, c"f".as_ptr().cast_mut(), 0x1234);
        assert_eq!(
            vmi_translate_sym2v(v, &c, c"f".as_ptr(), &mut sva),
            VMI_SUCCESS
        );
        assert_eq!(sva, 0x1234);
        let cd = ctx_dtb(UDTB, 0x1000);
        assert_eq!(
            vmi_translate_sym2v(v, &cd, c"f".as_ptr(), &mut sva),
            VMI_SUCCESS
        );
        assert!(vmi_translate_v2sym(v, &c, 0x34).is_null());
        vmi_rvacache_add(v, 0x1000, PID, 0x34, c"f".as_ptr().cast_mut());
        let s = vmi_translate_v2sym(v, &c, 0x34);
        assert_eq!(CStr::from_ptr(s).to_bytes(), b"f");
        assert!(
            vmi_translate_v2sym(v, &ctx_pa(0), 0x34).is_null(),
            "needs a virtual context"
        );
    }
}

fn ia32e(info: &page_info_t) -> page_info_x86_ia32e_t {
    unsafe { info.arch.x86_ia32e }
}

#[test]
fn pagetable_lookup_extended_fills_page_info() {
    let f = plain("ptinfo");
    let v = f.h.0;
    unsafe {
        let mut info = page_info_t::default();
        assert_eq!(
            vmi_pagetable_lookup_extended(v, KDTB, VA + 0x1abc, &mut info),
            VMI_SUCCESS
        );
        assert_eq!(info.vaddr, VA + 0x1abc);
        assert_eq!(info.paddr, PA1 + 0xabc);
        assert_eq!(info.size, VMI_PS_4KB);
        assert_eq!(info.pt, KDTB);
        assert_eq!(info.pm, VMI_PM_IA32E);
        assert_eq!((info.npt, info.npm, info.naddr), (0, 0, 0));
        let x = ia32e(&info);
        assert_eq!(x.pml4e_location, KDTB);
        assert_eq!(x.pml4e_value, u64_at(&f.img, KDTB));
        assert_eq!(x.pdpte_location, 0x2000);
        assert_eq!(x.pdpte_value, u64_at(&f.img, 0x2000));
        assert_eq!(x.pgd_location, 0x3000 + 2 * 8);
        assert_eq!(x.pgd_value, u64_at(&f.img, 0x3010));
        assert_eq!(x.pte_location, 0x4000 + 8);
        assert_eq!(x.pte_value, PA1 | 3);
        assert_eq!(x.pte_value_prev, 0);
        assert!(vmi_get_last_pagetable_lookup_fault(v).is_null());

        // A 2 MiB page: no PTE.
        assert_eq!(
            vmi_pagetable_lookup_extended(v, KDTB, BIG_VA + 0x12345, &mut info),
            VMI_SUCCESS
        );
        assert_eq!(info.paddr, BIG_PA + 0x12345);
        assert_eq!(info.size, VMI_PS_2MB);
        assert_eq!(ia32e(&info).pte_location, 0);
        assert_eq!(ia32e(&info).pgd_value, BIG_PA | 0x83);

        // Failure at the PTE: entries so far, 4 KiB size as upstream, and
        // the fault recorded.
        assert_eq!(
            vmi_pagetable_lookup_extended(v, KDTB, VA + 0x2008, &mut info),
            VMI_FAILURE
        );
        assert_eq!(info.paddr, 0);
        assert_eq!(info.size, VMI_PS_4KB);
        assert_eq!(ia32e(&info).pte_location, 0x4000 + 2 * 8);
        assert_eq!(ia32e(&info).pte_value, 0);
        let fault = vmi_get_last_pagetable_lookup_fault(v);
        assert!(!fault.is_null());
        assert_eq!((*fault).tm, VMI_TM_PROCESS_PT);
        assert_eq!((*fault).addr(), VA + 0x2008);
        assert_eq!((*fault).pt(), KDTB);
        assert_eq!((*fault).pm, VMI_PM_IA32E);
        // Failure higher up: PML4 entry 1 is absent.
        assert_eq!(
            vmi_pagetable_lookup_extended(v, KDTB, 1 << 39, &mut info),
            VMI_FAILURE
        );
        assert_eq!(info.size, 0);
        assert_eq!(ia32e(&info).pml4e_location, KDTB + 8);
        assert_eq!(ia32e(&info).pdpte_location, 0);
        // A successful walk forgets the fault.
        assert_eq!(
            vmi_pagetable_lookup_extended(v, KDTB, VA, &mut info),
            VMI_SUCCESS
        );
        assert!(vmi_get_last_pagetable_lookup_fault(v).is_null());
    }
}

#[test]
fn nested_translation_through_ept() {
    let f = plain("nested");
    let v = f.h.0;
    unsafe {
        let (mut pa, mut na) = (0u64, 0u64);
        assert_eq!(
            vmi_nested_pagetable_lookup(
                v,
                EPT,
                VMI_PM_EPT_4L,
                KDTB,
                VMI_PM_IA32E,
                VA + 0x44,
                &mut pa,
                &mut na
            ),
            VMI_SUCCESS
        );
        assert_eq!(pa, PA0 + 0x44);
        assert_eq!(na, EPT_REMAP + 0x44);
        // Without a nested mode it is a plain lookup.
        assert_eq!(
            vmi_nested_pagetable_lookup(
                v,
                0,
                0,
                KDTB,
                VMI_PM_IA32E,
                VA + 0x44,
                &mut pa,
                ptr::null_mut()
            ),
            VMI_SUCCESS
        );
        assert_eq!(pa, PA0 + 0x44);
        assert_eq!(
            vmi_nested_pagetable_lookup(v, 0, 0, KDTB, 0, VA, &mut pa, ptr::null_mut()),
            VMI_FAILURE,
            "pm is required"
        );

        let mut info = page_info_t::default();
        assert_eq!(
            vmi_nested_pagetable_lookup_extended(
                v,
                EPT,
                VMI_PM_EPT_4L,
                KDTB,
                VMI_PM_IA32E,
                VA + 0x44,
                &mut info
            ),
            VMI_SUCCESS
        );
        assert_eq!((info.paddr, info.naddr), (PA0 + 0x44, EPT_REMAP + 0x44));
        assert_eq!((info.size, info.nsize), (VMI_PS_4KB, VMI_PS_4KB));
        assert_eq!((info.npt, info.npm), (EPT, VMI_PM_EPT_4L));
        assert_eq!(ia32e(&info).pte_value, PA0 | 3);

        // Reads through the nested stage see the remapped page.
        let mut c = ctx_dtb(KDTB, VA + 0x44);
        c.npt = EPT;
        c.npm = VMI_PM_EPT_4L;
        let mut x = 0u64;
        assert_eq!(vmi_read_64(v, &c, &mut x), VMI_SUCCESS);
        assert_eq!(x, u64_at(&f.img, EPT_REMAP + 0x44));
        // Guest-physical access through the nested stage only.
        let mut c = ctx_pa(PA0 + 8);
        c.npt = EPT;
        c.npm = VMI_PM_EPT_4L;
        assert_eq!(vmi_read_64(v, &c, &mut x), VMI_SUCCESS);
        assert_eq!(x, u64_at(&f.img, EPT_REMAP + 8));
        // And again (cached) after adding/flushing nested cache entries.
        vmi_v2pcache_nested_add(v, VA + 0x44, KDTB, EPT, PA3);
        let mut c = ctx_dtb(KDTB, VA + 0x48);
        c.npt = EPT;
        c.npm = VMI_PM_EPT_4L;
        assert_eq!(vmi_read_64(v, &c, &mut x), VMI_SUCCESS);
        assert_eq!(
            x,
            u64_at(&f.img, PA3 + 0x48),
            "served from the nested cache"
        );
        vmi_v2pcache_nested_flush(v, KDTB, EPT);
        assert_eq!(vmi_read_64(v, &c, &mut x), VMI_SUCCESS);
        assert_eq!(x, u64_at(&f.img, EPT_REMAP + 0x48));

        // Nested page list: every guest page plus its host address.
        let list = vmi_get_nested_va_pages(v, EPT, VMI_PM_EPT_4L, KDTB, VMI_PM_IA32E);
        let pages = collect(list);
        let p0 = pages.iter().find(|p| p.vaddr == VA).unwrap();
        assert_eq!((p0.paddr, p0.naddr, p0.npt), (PA0, EPT_REMAP, EPT));
    }
}

unsafe fn collect(list: *mut GSList) -> Vec<page_info_t> {
    let mut out = Vec::new();
    let mut l = list;
    while !l.is_null() {
        out.push(unsafe { *(*l).data.cast::<page_info_t>() });
        l = unsafe { (*l).next };
    }
    unsafe { glib_sys::g_slist_free_full(list, Some(glib_sys::g_free)) };
    out
}

#[test]
fn va_pages_lists_every_mapping() {
    let f = plain("vapages");
    let v = f.h.0;
    let pages = unsafe { collect(vmi_get_va_pages(v, KDTB)) };
    let mut got: Vec<(u64, u64, page_size_t)> =
        pages.iter().map(|p| (p.vaddr, p.paddr, p.size)).collect();
    got.sort();
    let mut want = vec![
        (BIG_VA, BIG_PA, VMI_PS_2MB),
        (VA, PA0, VMI_PS_4KB),
        (VA + 0x1000, PA1, VMI_PS_4KB),
        (VA + 0x3000, PA3, VMI_PS_4KB),
        (HIGH_VA - 0x20_0000, BIG_PA, VMI_PS_2MB),
        (HIGH_VA, PA0, VMI_PS_4KB),
        (HIGH_VA + 0x1000, PA1, VMI_PS_4KB),
        (HIGH_VA + 0x3000, PA3, VMI_PS_4KB),
    ];
    want.sort();
    assert_eq!(got, want);
    let p = pages.iter().find(|p| p.vaddr == VA + 0x1000).unwrap();
    assert_eq!((p.pt, p.pm), (KDTB, VMI_PM_IA32E));
    assert_eq!(ia32e(p).pte_location, 0x4008);
    assert_eq!(ia32e(p).pml4e_location, KDTB);
    // An unreadable root gives an empty list.
    assert!(unsafe { vmi_get_va_pages(v, 0x7000_0000) }.is_null());
}

#[test]
fn caches_add_and_flush() {
    let f = plain("caches");
    let v = f.h.0;
    unsafe {
        let mut x = 0u64;
        // A made-up translation is used until flushed.
        vmi_v2pcache_add(v, 0x900_0000, KDTB, PA3);
        let c = ctx_dtb(KDTB, 0x900_0010);
        assert_eq!(vmi_read_64(v, &c, &mut x), VMI_SUCCESS);
        assert_eq!(x, u64_at(&f.img, PA3 + 0x10));
        vmi_v2pcache_flush(v, UDTB);
        assert_eq!(
            vmi_read_64(v, &c, &mut x),
            VMI_SUCCESS,
            "other table flushed only"
        );
        vmi_v2pcache_flush(v, KDTB);
        assert_eq!(vmi_read_64(v, &c, &mut x), VMI_FAILURE);
        vmi_v2pcache_add(v, 0x900_0000, KDTB, PA3);
        vmi_v2pcache_flush(v, !0);
        assert_eq!(vmi_read_64(v, &c, &mut x), VMI_FAILURE);
        vmi_v2pcache_nested_add(v, 0x900_0000, KDTB, 0, PA3);
        assert_eq!(
            vmi_read_64(v, &c, &mut x),
            VMI_SUCCESS,
            "npt 0 is the plain cache"
        );
        vmi_v2pcache_nested_flush(v, KDTB, 0);
        assert_eq!(vmi_read_64(v, &c, &mut x), VMI_FAILURE);

        let mut dtb = 0u64;
        vmi_pidcache_add(v, 77, KDTB);
        assert_eq!(vmi_pid_to_dtb(v, 77, &mut dtb), VMI_SUCCESS);
        assert_eq!(dtb, KDTB);
        assert_eq!(vmi_read_64_va(v, VA, 77, &mut x), VMI_SUCCESS);
        vmi_pidcache_flush(v);
        assert_eq!(vmi_pid_to_dtb(v, 77, &mut dtb), VMI_FAILURE);

        let mut va = 0u64;
        vmi_symcache_add(v, 0, 0, c"made_up".as_ptr().cast_mut(), 0x4242);
        assert_eq!(
            vmi_translate_ksym2v(v, c"made_up".as_ptr(), &mut va),
            VMI_SUCCESS
        );
        assert_eq!(va, 0x4242);
        vmi_symcache_flush(v);
        assert_eq!(
            vmi_translate_ksym2v(v, c"made_up".as_ptr(), &mut va),
            VMI_FAILURE
        );

        let c = ctx_pid(0, 0);
        vmi_rvacache_add(v, 0, 0, 0x5000, c"rva_sym".as_ptr().cast_mut());
        let s = vmi_translate_v2ksym(v, &c, 0x5000);
        assert_eq!(CStr::from_ptr(s).to_bytes(), b"rva_sym");
        vmi_rvacache_flush(v);
        assert!(vmi_translate_v2ksym(v, &c, 0x5000).is_null());
        vmi_pagecache_flush(v);
    }
}

#[test]
fn mmap_guest_copies_pages() {
    let f = plain("mmap");
    let v = f.h.0;
    let ps = 4096usize;
    unsafe {
        let mut ptrs = [ptr::null_mut::<c_void>(); 4];
        let c = ctx_dtb(KDTB, VA + 0x10);
        assert_eq!(
            vmi_mmap_guest(v, &c, 4, libc::PROT_READ, ptrs.as_mut_ptr()),
            VMI_SUCCESS
        );
        assert!(!ptrs[0].is_null() && !ptrs[1].is_null() && !ptrs[3].is_null());
        assert!(ptrs[2].is_null(), "unmapped page");
        for (i, pa) in [(0, PA0), (1, PA1), (3, PA3)] {
            assert_eq!(ptrs[i] as usize % ps, 0);
            let page = core::slice::from_raw_parts(ptrs[i].cast::<u8>(), ps);
            assert_eq!(page, at(&f.img, pa, ps));
        }
        for p in ptrs.iter().filter(|p| !p.is_null()) {
            assert_eq!(libc::munmap(*p, ps), 0);
        }

        let mut ptrs = [ptr::null_mut::<c_void>(); 2];
        assert_eq!(
            vmi_mmap_guest_pa(
                v,
                PA1 + 5,
                2,
                libc::PROT_READ | libc::PROT_WRITE,
                ptrs.as_mut_ptr()
            ),
            VMI_SUCCESS
        );
        let page = core::slice::from_raw_parts_mut(ptrs[1].cast::<u8>(), ps);
        assert_eq!(page, at(&f.img, PA1 + 0x1000, ps));
        page[0] ^= 0xff; // private copy: writable, guest unchanged
        let mut b = 0u8;
        assert_eq!(vmi_read_8_pa(v, PA1 + 0x1000, &mut b), VMI_SUCCESS);
        assert_eq!(b, f.img[(PA1 + 0x1000) as usize]);
        for p in ptrs {
            libc::munmap(p, ps);
        }

        let mut pfns: [libc::c_ulong; 2] = [(PA3 >> 12) as _, (IMAGE_SIZE as u64 >> 12) as _];
        let mut ptrs = [ptr::null_mut::<c_void>(); 2];
        assert_eq!(
            vmi_mmap_guest_pfns(v, pfns.as_mut_ptr(), 2, libc::PROT_READ, ptrs.as_mut_ptr()),
            VMI_SUCCESS
        );
        assert_eq!(
            core::slice::from_raw_parts(ptrs[0].cast::<u8>(), ps),
            at(&f.img, PA3, ps)
        );
        assert!(ptrs[1].is_null(), "beyond memory");
        libc::munmap(ptrs[0], ps);
        assert_eq!(
            vmi_mmap_guest_pa(v, 0, 1, 0x100, ptrs.as_mut_ptr()),
            VMI_FAILURE,
            "bad prot"
        );
    }
}

#[test]
fn disks_are_unsupported_for_files() {
    let f = plain("disks");
    let v = f.h.0;
    unsafe {
        let mut num = 5;
        assert!(vmi_get_disks(v, &mut num).is_null());
        assert_eq!(num, 0);
        let mut buf = [0u8; 16];
        assert_eq!(
            vmi_read_disk(v, c"xvda".as_ptr(), 0, 16, buf.as_mut_ptr().cast()),
            VMI_FAILURE
        );
        let mut boot = true;
        assert_eq!(
            vmi_disk_is_bootable(v, c"xvda".as_ptr(), &mut boot),
            VMI_FAILURE
        );
    }
}

#[test]
fn concurrent_reads_from_many_threads() {
    let f = plain("threads");
    let h = &f.h;
    let img = &f.img;
    std::thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                for i in 0..2000u64 {
                    let off = (i * 8 + t * 1024) % 0x1ff8;
                    let mut x = 0u64;
                    let c = ctx_dtb(KDTB, VA + off);
                    assert_eq!(unsafe { vmi_read_64(h.0, &c, &mut x) }, VMI_SUCCESS);
                    let pa = if off < 0x1000 {
                        PA0 + off
                    } else {
                        PA1 + off - 0x1000
                    };
                    if off % 0x1000 <= 0xff8 {
                        assert_eq!(x, u64_at(img, pa));
                    }
                    if i % 500 == 0 {
                        unsafe { vmi_v2pcache_flush(h.0, !0) };
                    }
                }
            });
        }
    });
}
