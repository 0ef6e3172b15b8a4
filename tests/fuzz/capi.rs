//! The C boundary: exported functions called as a C program calls them,
//! on hostile input. They must return their failure value (never abort,
//! never let a panic out; panics caught inside count as failures too, see
//! the runner's panic hook).

use std::ffi::{c_char, c_void, CString};
use std::ptr;

use vmi::capi::instance::{vmi_instance, vmi_instance_t};
use vmi::capi::types::*;
use vmi::instance::{Vmi, MAX_STRING_LEN};
use vmi::paging::PagingContext;
use vmi::PageMode;

use super::mem::VecMem;
use super::rng::Rng;

#[allow(improper_ctypes)]
extern "C" {
    fn vmi_init_complete(
        vmi: *mut vmi_instance_t,
        domain: *const c_void,
        init_flags: u64,
        init_data: *mut vmi_init_data_t,
        config_mode: vmi_config_t,
        config: *mut c_void,
        error: *mut vmi_init_error_t,
    ) -> status_t;
    fn vmi_destroy(vmi: vmi_instance_t) -> status_t;
    fn vmi_read_str_va(vmi: vmi_instance_t, va: addr_t, pid: vmi_pid_t) -> *mut c_char;
    fn vmi_read_wstr_va(vmi: vmi_instance_t, va: addr_t, pid: vmi_pid_t) -> *mut u16;
    fn vmi_read_unicode_str_va(
        vmi: vmi_instance_t,
        va: addr_t,
        pid: vmi_pid_t,
    ) -> *mut unicode_string_t;
    fn vmi_convert_str_encoding(
        in_: *const unicode_string_t,
        out: *mut unicode_string_t,
        outencoding: *const c_char,
    ) -> status_t;
    fn vmi_free_unicode_str(p: *mut unicode_string_t);
    fn vmi_read_8_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut u8) -> status_t;
    fn peparse_validate_pe_image(image: *const u8, len: usize) -> status_t;
    fn peparse_get_image(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        len: usize,
        image: *mut u8,
    ) -> status_t;
    fn peparse_assign_headers(
        image: *const u8,
        dos_header: *mut *mut dos_header,
        pe_header: *mut *mut pe_header,
        optional_header_type: *mut u16,
        optional_pe_header: *mut *mut c_void,
        oh_pe32: *mut *mut optional_header_pe32,
        oh_pe32plus: *mut *mut optional_header_pe32plus,
    );
    fn peparse_get_idd_rva(
        entry_id: u32,
        optional_header_type: *mut u16,
        optional_header: *mut c_void,
        oh_pe32: *mut optional_header_pe32,
        oh_pe32plus: *mut optional_header_pe32plus,
    ) -> addr_t;
    fn peparse_get_idd_size(
        entry_id: u32,
        optional_header_type: *mut u16,
        optional_header: *mut c_void,
        oh_pe32: *mut optional_header_pe32,
        oh_pe32plus: *mut optional_header_pe32plus,
    ) -> usize;
    fn peparse_get_export_table(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        et: *mut export_table,
        export_table_rva: *mut addr_t,
        export_table_size: *mut usize,
    ) -> status_t;
}

/// A C handle over `core`, destroyed on drop.
struct Handle(vmi_instance_t);

impl Handle {
    fn new(core: Vmi) -> Handle {
        Handle(Box::into_raw(Box::new(vmi_instance::new(
            core, VMI_FILE, 0,
        ))))
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        unsafe { vmi_destroy(self.0) };
    }
}

/// `vmi_init_complete` on a (mutated) snapshot file and config string.
pub fn init_file(bytes: &[u8], config: &[u8]) -> Result<bool, String> {
    let f = super::files::Scratch::new("capi", bytes);
    let path = CString::new(f.0.to_string_lossy().into_owned()).map_err(|e| e.to_string())?;
    let cut = config.iter().position(|&b| b == 0).unwrap_or(config.len());
    let conf = CString::new(&config[..cut]).map_err(|e| e.to_string())?;
    let mut vmi: vmi_instance_t = ptr::null_mut();
    let mut err: vmi_init_error_t = 0xdead;
    let st = unsafe {
        vmi_init_complete(
            &mut vmi,
            path.as_ptr().cast(),
            u64::from(VMI_INIT_DOMAINNAME),
            ptr::null_mut(),
            VMI_CONFIG_STRING,
            conf.as_ptr().cast_mut().cast(),
            &mut err,
        )
    };
    if st == VMI_SUCCESS {
        if vmi.is_null() {
            return Err("vmi_init_complete succeeded with a NULL instance".into());
        }
        let mut b = 0u8;
        unsafe { vmi_read_8_pa(vmi, 0, &mut b) };
        unsafe { vmi_destroy(vmi) };
        return Ok(true);
    }
    if !vmi.is_null() {
        return Err("vmi_init_complete failed but returned an instance".into());
    }
    if !(VMI_INIT_ERROR_NONE..=VMI_INIT_ERROR_NO_CONFIG_ENTRY).contains(&err) {
        return Err(format!("vmi_init_complete failed with error code {err}"));
    }
    Ok(false)
}

// ---- hostile strings ------------------------------------------------------

const PML4: u64 = 0x1000;
const PDPT: u64 = 0x2000;
const PD: u64 = 0x3000;
const PT: u64 = 0x4000;
/// Virtual base of the string region: 2 MiB of 4 KiB pages (PD entry 2)
/// then one 2 MiB page (PD entry 3).
pub const VA: u64 = 0x40_0000;
const DATA: u64 = 0x10_0000;
const MEM: usize = 0x40_0000;

fn put(m: &mut [u8], pa: u64, v: u64) {
    m[pa as usize..pa as usize + 8].copy_from_slice(&v.to_le_bytes());
}

/// A 4 MiB guest with Ia32e tables mapping [VA, VA + 4 MiB) onto hostile
/// text: no terminators, UTF-16 without an end, UNICODE_STRING headers
/// with huge lengths and wild buffers, holes and looping table entries.
pub fn string_guest(rng: &mut Rng) -> Vec<u8> {
    let mut m = vec![0u8; MEM];
    put(&mut m, PML4, PDPT | 0x67);
    put(&mut m, PDPT, PD | 0x67);
    put(&mut m, PD + 2 * 8, PT | 0x67);
    put(&mut m, PD + 3 * 8, DATA | 0xe7);
    for i in 0..512 {
        put(&mut m, PT + i * 8, (DATA + i * 0x1000) | 0x67);
    }
    let fill = rng.below(4);
    for (i, b) in m[DATA as usize..].iter_mut().enumerate() {
        *b = match fill {
            0 => b'A',
            1 => {
                if i % 2 == 0 {
                    b'W'
                } else {
                    0
                }
            }
            2 => (i % 255 + 1) as u8,
            _ => 0xff,
        };
    }
    for _ in 0..1 + rng.below(12) {
        let va_page = rng.below(512);
        match rng.below(7) {
            0 => put(&mut m, PT + va_page * 8, 0),
            1 => put(&mut m, PT + va_page * 8, PT | 0x67),
            2 => put(&mut m, PD + 2 * 8, PD | 0x67),
            3 => put(&mut m, PT + va_page * 8, 0xffff_f000 | 0x67),
            4 => {
                // UNICODE_STRING { u16 Length, u16 MaximumLength, u32 pad, u64 Buffer }
                let at = DATA + va_page * 0x1000 + rng.below(0xff0 / 8) * 8;
                let len = *rng.pick(&[0xffffu64, 0xfffe, 1, 0, 0x1001]);
                let buf = *rng.pick(&[VA + 0xff0, VA + 0x1ff000, 0, u64::MAX - 1, VA + 0x3f_fff0]);
                put(&mut m, at, len | len << 16);
                put(&mut m, at + 8, buf);
            }
            5 => {
                let at = (DATA + rng.below(0x30_0000)) as usize;
                m[at] = 0;
            }
            _ => {
                let at = (DATA + rng.below(0x30_0000 - 8)) as usize;
                m[at..at + 8].copy_from_slice(&rng.next().to_le_bytes());
            }
        }
    }
    m
}

unsafe fn wlen(p: *const u16) -> usize {
    let mut n = 0;
    while unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    n
}

pub fn read_strings(mem: &[u8]) -> Result<bool, String> {
    let mut core = Vmi::new(Box::new(VecMem::new(mem.to_vec())), "strings", 0);
    core.set_paging(PageMode::Ia32e, PagingContext::new(PML4));
    core.set_kernel_dtb(PML4);
    let h = Handle::new(core);
    let h2 = (mem.len() as u64).wrapping_mul(0x9e37) ^ u64::from(mem[DATA as usize + 17]);
    let vas = [
        VA,
        VA + 0xfff,
        VA + 0xffe,
        VA + 0x1f_fff8,
        VA + 0x3f_ffff,
        VA + 0x40_0000 - 2,
        VA + (h2 % 0x40_0000),
        u64::MAX,
        0,
    ];
    for va in vas {
        unsafe {
            let s = vmi_read_str_va(h.0, va, 0);
            if !s.is_null() {
                let n = libc::strlen(s);
                libc::free(s.cast());
                if n > MAX_STRING_LEN {
                    return Err(format!("vmi_read_str_va returned {n} bytes"));
                }
            }
            let w = vmi_read_wstr_va(h.0, va, 0);
            if !w.is_null() {
                let n = wlen(w);
                libc::free(w.cast());
                if n * 2 > MAX_STRING_LEN {
                    return Err(format!("vmi_read_wstr_va returned {n} units"));
                }
            }
            let u = vmi_read_unicode_str_va(h.0, va, 0);
            if !u.is_null() {
                if (*u).length > 0xffff {
                    return Err(format!("UNICODE_STRING of {} bytes", (*u).length));
                }
                let mut out = unicode_string_t {
                    length: 0,
                    contents: ptr::null_mut(),
                    encoding: ptr::null(),
                };
                if vmi_convert_str_encoding(u, &mut out, c"UTF-8".as_ptr()) == VMI_SUCCESS {
                    libc::free(out.contents.cast());
                }
                vmi_free_unicode_str(u);
            }
        }
    }
    Ok(true)
}

// ---- PE headers --------------------------------------------------------------

/// Where the image sits in guest-physical memory.
const PE_BASE: u64 = 0x1_0000;

pub fn pe(image: &[u8]) -> Result<bool, String> {
    let valid = unsafe { peparse_validate_pe_image(image.as_ptr(), image.len()) } == VMI_SUCCESS;
    let _ = unsafe { peparse_validate_pe_image(image.as_ptr(), image.len().min(64)) };
    if valid {
        let (mut dos, mut peh, mut ty, mut opt) =
            (ptr::null_mut(), ptr::null_mut(), 0u16, ptr::null_mut());
        let (mut o32, mut o64) = (ptr::null_mut(), ptr::null_mut());
        unsafe {
            peparse_assign_headers(
                image.as_ptr(),
                &mut dos,
                &mut peh,
                &mut ty,
                &mut opt,
                &mut o32,
                &mut o64,
            );
        }
        for entry in [0u32, 1, 15, 16, 17, u32::MAX] {
            unsafe {
                let _ = peparse_get_idd_rva(entry, &mut ty, opt, ptr::null_mut(), ptr::null_mut());
                let _ = peparse_get_idd_size(entry, &mut ty, opt, ptr::null_mut(), ptr::null_mut());
                let _ = peparse_get_idd_rva(entry, ptr::null_mut(), ptr::null_mut(), o32, o64);
            }
        }
    }
    // The same bytes in guest memory.
    let mut mem = vec![0u8; 0x2_0000];
    let n = image.len().min(mem.len() - PE_BASE as usize);
    mem[PE_BASE as usize..PE_BASE as usize + n].copy_from_slice(&image[..n]);
    let h = Handle::new(Vmi::new(Box::new(VecMem::new(mem)), "pe", 0));
    let ctx = access_context_t::new(VMI_TM_NONE, PE_BASE, 0);
    let mut buf = vec![0u8; 0x1000];
    unsafe {
        let _ = peparse_get_image(h.0, &ctx, buf.len(), buf.as_mut_ptr());
        let mut et: export_table = std::mem::zeroed();
        let (mut rva, mut size) = (0, 0);
        let _ = peparse_get_export_table(h.0, &ctx, &mut et, &mut rva, &mut size);
        let far = access_context_t::new(VMI_TM_NONE, 0x2_0000 - 0x100, 0);
        let _ = peparse_get_export_table(h.0, &far, &mut et, &mut rva, &mut size);
        let dtb = access_context_t::new(VMI_TM_PROCESS_DTB, PE_BASE, 0x1000);
        let _ = peparse_get_export_table(h.0, &dtb, &mut et, &mut rva, &mut size);
    }
    Ok(valid)
}
