//! peparse.h on images built here: PE32 and PE32+, reads through guest
//! memory, the page-boundary export directory, and mutated images.

use std::ptr;
use std::sync::{Arc, RwLock};

use vmi::capi::types::*;

use crate::common::*;

const E_LFANEW: usize = 0x80;
const EXPORT_RVA: u32 = 0x1000;
const EXPORT_SIZE: u32 = 0x180;
const NAME_RVA: u32 = 0x1100;
/// Where the images sit in guest-physical memory.
const BASE: u64 = 0x10000;

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// Offsets from the PE/COFF specification (not from our structs), so the
/// test also checks the struct layouts.
fn count_and_idd(plus: bool) -> (usize, usize) {
    if plus {
        (108, 112)
    } else {
        (92, 96)
    }
}

/// A 0x3000-byte image with headers, a data-directory table whose entry i
/// is (0x100 * i + 0x10, i + 1) except the export entry, and an export
/// directory at `export_rva`.
fn build_image(plus: bool, export_rva: u32) -> Vec<u8> {
    let mut b = vec![0u8; 0x3000];
    put16(&mut b, 0, 0x5a4d);
    put32(&mut b, 60, E_LFANEW as u32);
    put32(&mut b, E_LFANEW, 0x4550);
    put16(&mut b, E_LFANEW + 4, if plus { 0x8664 } else { 0x14c });
    put16(&mut b, E_LFANEW + 20, if plus { 240 } else { 224 });
    let opt = E_LFANEW + 24;
    put16(&mut b, opt, if plus { 0x20b } else { 0x10b });
    let (count, idd) = count_and_idd(plus);
    put32(&mut b, opt + count, 16);
    for i in 0..16u32 {
        let (rva, size) = if i == 0 {
            (export_rva, EXPORT_SIZE)
        } else {
            (0x100 * i + 0x10, i + 1)
        };
        put32(&mut b, opt + idd + 8 * i as usize, rva);
        put32(&mut b, opt + idd + 8 * i as usize + 4, size);
    }
    let et = export_rva as usize;
    put32(&mut b, et + 4, 0x5f5e_1000); // time stamp
    put16(&mut b, et + 8, 3);
    put16(&mut b, et + 10, 7);
    put32(&mut b, et + 12, NAME_RVA);
    put32(&mut b, et + 16, 1);
    put32(&mut b, et + 20, 5);
    put32(&mut b, et + 24, 4);
    put32(&mut b, et + 28, 0x1200);
    put32(&mut b, et + 32, 0x1300);
    put32(&mut b, et + 36, 0x1400);
    b[NAME_RVA as usize..NAME_RVA as usize + 9].copy_from_slice(b"test.dll\0");
    b
}

fn guest_with(image: &[u8]) -> Arc<RwLock<Vec<u8>>> {
    let mut mem = vec![0u8; 0x20000];
    mem[BASE as usize..BASE as usize + image.len()].copy_from_slice(image);
    Arc::new(RwLock::new(mem))
}

fn phys_ctx(addr: u64) -> access_context_t {
    access_context_t::new(VMI_TM_NONE, addr, 0)
}

#[test]
fn validate_accepts_both_kinds_and_checks_every_signature() {
    for plus in [false, true] {
        let img = build_image(plus, EXPORT_RVA);
        unsafe {
            assert_eq!(
                peparse_validate_pe_image(img.as_ptr(), img.len()),
                VMI_SUCCESS
            );
            // Needs the PE header plus a PE32-sized optional header.
            let min = E_LFANEW + 24 + 224;
            assert_eq!(peparse_validate_pe_image(img.as_ptr(), min), VMI_SUCCESS);
            assert_eq!(
                peparse_validate_pe_image(img.as_ptr(), min - 1),
                VMI_FAILURE
            );
            assert_eq!(peparse_validate_pe_image(img.as_ptr(), 0), VMI_FAILURE);
            assert_eq!(peparse_validate_pe_image(ptr::null(), 4096), VMI_FAILURE);
        }
        for (off, what) in [(0usize, "MZ"), (E_LFANEW, "PE"), (E_LFANEW + 24, "magic")] {
            let mut bad = img.clone();
            bad[off] ^= 0x01;
            assert_eq!(
                unsafe { peparse_validate_pe_image(bad.as_ptr(), bad.len()) },
                VMI_FAILURE,
                "{what}"
            );
        }
        // e_lfanew past the end, and at the very top of u32.
        for lfanew in [0x3000u32, 0x2f00, u32::MAX] {
            let mut bad = img.clone();
            put32(&mut bad, 60, lfanew);
            assert_eq!(
                unsafe { peparse_validate_pe_image(bad.as_ptr(), bad.len()) },
                VMI_FAILURE
            );
        }
    }
}

#[test]
fn assign_headers_points_into_the_image() {
    for plus in [false, true] {
        let img = build_image(plus, EXPORT_RVA);
        let base = img.as_ptr();
        let mut dos: *mut dos_header = ptr::null_mut();
        let mut pe: *mut pe_header = ptr::null_mut();
        let mut magic = 0u16;
        let mut opt: *mut std::ffi::c_void = ptr::null_mut();
        let mut oh32: *mut optional_header_pe32 = ptr::null_mut();
        let mut oh64: *mut optional_header_pe32plus = ptr::null_mut();
        unsafe {
            peparse_assign_headers(
                base, &mut dos, &mut pe, &mut magic, &mut opt, &mut oh32, &mut oh64,
            )
        };
        assert_eq!(dos as *const u8, base);
        assert_eq!(pe as *const u8, base.wrapping_add(E_LFANEW));
        assert_eq!(opt as *const u8, base.wrapping_add(E_LFANEW + 24));
        assert_eq!(magic, if plus { 0x20b } else { 0x10b });
        if plus {
            assert!(oh32.is_null());
            assert_eq!(oh64 as *const u8, opt as *const u8);
            let oh = unsafe { oh64.read_unaligned() };
            assert_eq!({ oh.number_of_rva_and_sizes }, 16);
        } else {
            assert!(oh64.is_null());
            assert_eq!(oh32 as *const u8, opt as *const u8);
            let oh = unsafe { oh32.read_unaligned() };
            assert_eq!({ oh.number_of_rva_and_sizes }, 16);
        }
        let pe_h = unsafe { pe.read_unaligned() };
        assert_eq!(
            { pe_h.size_of_optional_header },
            if plus { 240 } else { 224 }
        );
        // All outputs optional.
        unsafe {
            peparse_assign_headers(
                base,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
    }
    // No MZ: only the DOS header pointer is given out.
    let mut img = build_image(false, EXPORT_RVA);
    img[0] = 0;
    let mut pe: *mut pe_header = ptr::null_mut();
    let mut dos: *mut dos_header = ptr::null_mut();
    unsafe {
        peparse_assign_headers(
            img.as_ptr(),
            &mut dos,
            &mut pe,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    assert_eq!(dos as *const u8, img.as_ptr());
    assert!(pe.is_null());
}

#[test]
fn data_directories_through_every_pointer_form() {
    for plus in [false, true] {
        let mut img = build_image(plus, EXPORT_RVA);
        let opt = unsafe { img.as_mut_ptr().add(E_LFANEW + 24) };
        let (oh32, oh64) = if plus {
            (ptr::null_mut(), opt.cast::<optional_header_pe32plus>())
        } else {
            (opt.cast::<optional_header_pe32>(), ptr::null_mut())
        };
        let mut magic: u16 = if plus { 0x20b } else { 0x10b };
        for i in 0..16u32 {
            let want = if i == 0 {
                (EXPORT_RVA as u64, EXPORT_SIZE as usize)
            } else {
                ((0x100 * i + 0x10) as u64, (i + 1) as usize)
            };
            unsafe {
                // Typed pointers (no type given)...
                assert_eq!(
                    peparse_get_idd_rva(i, ptr::null_mut(), ptr::null_mut(), oh32, oh64),
                    want.0
                );
                assert_eq!(
                    peparse_get_idd_size(i, ptr::null_mut(), ptr::null_mut(), oh32, oh64),
                    want.1
                );
                // ...or the untyped one interpreted by the magic.
                assert_eq!(
                    peparse_get_idd_rva(
                        i,
                        &mut magic,
                        opt.cast(),
                        ptr::null_mut(),
                        ptr::null_mut()
                    ),
                    want.0
                );
                assert_eq!(
                    peparse_get_idd_size(
                        i,
                        &mut magic,
                        opt.cast(),
                        ptr::null_mut(),
                        ptr::null_mut()
                    ),
                    want.1
                );
            }
        }
        unsafe {
            // Beyond the table, unknown magic, nothing given: 0.
            assert_eq!(
                peparse_get_idd_rva(16, &mut magic, opt.cast(), ptr::null_mut(), ptr::null_mut()),
                0
            );
            assert_eq!(
                peparse_get_idd_size(
                    u32::MAX,
                    &mut magic,
                    opt.cast(),
                    ptr::null_mut(),
                    ptr::null_mut()
                ),
                0
            );
            let mut junk = 0x1234u16;
            assert_eq!(
                peparse_get_idd_rva(1, &mut junk, opt.cast(), ptr::null_mut(), ptr::null_mut()),
                0
            );
            assert_eq!(
                peparse_get_idd_rva(
                    1,
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut()
                ),
                0
            );
            assert_eq!(
                peparse_get_idd_rva(
                    1,
                    &mut magic,
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut()
                ),
                0
            );
        }
        // Entries at or past number_of_rva_and_sizes do not exist.
        let (count, _) = count_and_idd(plus);
        put32(&mut img, E_LFANEW + 24 + count, 3);
        let opt = unsafe { img.as_mut_ptr().add(E_LFANEW + 24) };
        unsafe {
            assert_eq!(
                peparse_get_idd_rva(2, &mut magic, opt.cast(), ptr::null_mut(), ptr::null_mut()),
                0x210
            );
            assert_eq!(
                peparse_get_idd_rva(3, &mut magic, opt.cast(), ptr::null_mut(), ptr::null_mut()),
                0
            );
            assert_eq!(
                peparse_get_idd_size(3, &mut magic, opt.cast(), ptr::null_mut(), ptr::null_mut()),
                0
            );
        }
    }
}

#[test]
fn image_and_export_table_through_guest_memory() {
    for plus in [false, true] {
        let img = build_image(plus, EXPORT_RVA);
        let mem = guest_with(&img);
        let h = Handle::mem(&mem);
        let ctx = phys_ctx(BASE);
        let mut buf = vec![0u8; 1024];
        unsafe {
            assert_eq!(
                peparse_get_image(h.0, &ctx, buf.len(), buf.as_mut_ptr()),
                VMI_SUCCESS
            );
        }
        assert_eq!(buf[..], img[..1024]);
        // Not an image one byte further on.
        let off = phys_ctx(BASE + 1);
        unsafe {
            assert_eq!(
                peparse_get_image(h.0, &off, buf.len(), buf.as_mut_ptr()),
                VMI_FAILURE
            );
            // Past the end of guest memory.
            let far = phys_ctx(0x1f_f000);
            assert_eq!(
                peparse_get_image(h.0, &far, buf.len(), buf.as_mut_ptr()),
                VMI_FAILURE
            );
        }

        let mut et = export_table::default();
        let (mut rva, mut size) = (0u64, 0usize);
        unsafe {
            assert_eq!(
                peparse_get_export_table(h.0, &ctx, &mut et, &mut rva, &mut size),
                VMI_SUCCESS
            );
        }
        assert_eq!((rva, size), (EXPORT_RVA as u64, EXPORT_SIZE as usize));
        assert_eq!({ et.name }, NAME_RVA);
        assert_eq!({ et.time_date_stamp }, 0x5f5e_1000);
        assert_eq!(({ et.major_version }, { et.minor_version }), (3, 7));
        assert_eq!(
            ({ et.base }, { et.number_of_functions }, {
                et.number_of_names
            }),
            (1, 5, 4)
        );
        assert_eq!(
            ({ et.address_of_functions }, { et.address_of_names }, {
                et.address_of_name_ordinals
            }),
            (0x1200, 0x1300, 0x1400)
        );
        // Outputs for RVA and size are optional; the table is not.
        unsafe {
            assert_eq!(
                peparse_get_export_table(h.0, &ctx, &mut et, ptr::null_mut(), ptr::null_mut()),
                VMI_SUCCESS
            );
            assert_eq!(
                peparse_get_export_table(h.0, &ctx, ptr::null_mut(), &mut rva, &mut size),
                VMI_FAILURE
            );
            assert_eq!(
                peparse_get_export_table(ptr::null_mut(), &ctx, &mut et, &mut rva, &mut size),
                VMI_FAILURE
            );
            assert_eq!(
                peparse_get_export_table(h.0, ptr::null(), &mut et, &mut rva, &mut size),
                VMI_FAILURE
            );
        }
    }
}

#[test]
fn export_table_sanity_check_and_reported_place() {
    let mut img = build_image(true, EXPORT_RVA);
    put32(&mut img, EXPORT_RVA as usize, 1); // reserved flags must be 0
    let mem = guest_with(&img);
    let h = Handle::mem(&mem);
    let mut et = export_table::default();
    let (mut rva, mut size) = (0u64, 0usize);
    unsafe {
        assert_eq!(
            peparse_get_export_table(h.0, &phys_ctx(BASE), &mut et, &mut rva, &mut size),
            VMI_FAILURE
        );
    }
    // The directory's place is still reported, as upstream does.
    assert_eq!((rva, size), (EXPORT_RVA as u64, EXPORT_SIZE as usize));

    // A nameless directory fails too.
    let mut img = build_image(false, EXPORT_RVA);
    put32(&mut img, EXPORT_RVA as usize + 12, 0);
    let mem = guest_with(&img);
    let h = Handle::mem(&mem);
    unsafe {
        assert_eq!(
            peparse_get_export_table(h.0, &phys_ctx(BASE), &mut et, &mut rva, &mut size),
            VMI_FAILURE
        );
    }
}

#[test]
fn export_table_whose_reserved_field_is_on_an_unmapped_page() {
    // The directory starts 4 bytes before a page boundary; that page is a hole.
    let rva = 0x1ffc;
    let img = build_image(false, rva);
    let mem = guest_with(&img);
    let mut d = MemDriver::new(mem.clone());
    d.holes.push(BASE + 0x1000);
    let h = Handle::new(vmi::instance::Vmi::new(Box::new(d), "holes", 0), 0);
    let mut et = export_table::default();
    let (mut got_rva, mut size) = (0u64, 0usize);
    unsafe {
        assert_eq!(
            peparse_get_export_table(h.0, &phys_ctx(BASE), &mut et, &mut got_rva, &mut size),
            VMI_SUCCESS
        );
    }
    assert_eq!(got_rva, rva as u64);
    assert_eq!(({ et.export_flags }, { et.name }), (0, NAME_RVA));

    // Elsewhere an unreadable directory is a failure.
    let img = build_image(false, 0x1800);
    let mem = guest_with(&img);
    let mut d = MemDriver::new(mem);
    d.holes.push(BASE + 0x1000);
    let h = Handle::new(vmi::instance::Vmi::new(Box::new(d), "holes", 0), 0);
    unsafe {
        assert_eq!(
            peparse_get_export_table(h.0, &phys_ctx(BASE), &mut et, &mut got_rva, &mut size),
            VMI_FAILURE
        );
    }
}

#[test]
fn mutated_images_never_crash() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mem = guest_with(&build_image(false, EXPORT_RVA));
    let h = Handle::mem(&mem);
    let ctx = phys_ctx(BASE);
    let mut accepted = 0;
    for round in 0..4000 {
        let plus = round % 2 == 1;
        let mut img = build_image(plus, EXPORT_RVA);
        for _ in 0..1 + rng.below(6) {
            let off = match rng.below(4) {
                0 => rng.below(0x40) as usize,
                1 => 56 + rng.below(8) as usize, // around e_lfanew
                2 => E_LFANEW + rng.below(24 + 240) as usize,
                _ => EXPORT_RVA as usize + rng.below(48) as usize,
            };
            img[off] = match rng.below(3) {
                0 => 0,
                1 => 0xff,
                _ => rng.next() as u8,
            };
        }
        let len = if rng.below(4) == 0 {
            rng.below(img.len() as u64) as usize
        } else {
            img.len()
        };
        // Room past `len` so that reading a whole PE32+ header of a
        // validated image stays in the allocation, as a caller's page would.
        let mut padded = img.clone();
        padded.resize(img.len() + 256, 0);
        let ok = unsafe { peparse_validate_pe_image(padded.as_ptr(), len) } == VMI_SUCCESS;
        if ok {
            accepted += 1;
            let mut magic = 0u16;
            let mut opt: *mut std::ffi::c_void = ptr::null_mut();
            let mut oh32: *mut optional_header_pe32 = ptr::null_mut();
            let mut oh64: *mut optional_header_pe32plus = ptr::null_mut();
            unsafe {
                peparse_assign_headers(
                    padded.as_ptr(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    &mut magic,
                    &mut opt,
                    &mut oh32,
                    &mut oh64,
                );
                for i in 0..20 {
                    let a =
                        peparse_get_idd_rva(i, &mut magic, opt, ptr::null_mut(), ptr::null_mut());
                    let b = peparse_get_idd_rva(i, ptr::null_mut(), ptr::null_mut(), oh32, oh64);
                    assert_eq!(a, b);
                    let _ = peparse_get_idd_size(i, &mut magic, opt, oh32, oh64);
                }
            }
        }
        mem.write().unwrap()[BASE as usize..BASE as usize + img.len()].copy_from_slice(&img);
        let mut et = export_table::default();
        let (mut rva, mut size) = (0u64, 0usize);
        let st = unsafe { peparse_get_export_table(h.0, &ctx, &mut et, &mut rva, &mut size) };
        if st == VMI_SUCCESS {
            assert_eq!({ et.export_flags }, 0);
            assert_ne!({ et.name }, 0);
        }
    }
    // The mutations leave many images valid, so the success paths ran too.
    assert!(accepted > 400, "only {accepted} mutated images were valid");
}
