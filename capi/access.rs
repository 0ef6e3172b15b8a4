//! Reading and writing guest memory, strings, hex dumps, mappings and disks.
//!
//! Every function is exported with upstream's exact C prototype; the
//! generated headers take their declarations from here.

// Bodies are stubs until the core is wired in; parameters are named for the
// generated header.
#![allow(unused_variables)]

use core::ffi::{c_char, c_int, c_uchar, c_uint, c_ulong, c_void};
use core::ptr;

use super::guard::{not_yet, not_yet_or};
use super::types::*;

/// Reads `count` bytes at the address `ctx` describes into `buf`. `*bytes_read` (if given) gets
/// the number of bytes read; fails unless all were read.
#[no_mangle]
pub unsafe extern "C" fn vmi_read(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    count: usize,
    buf: *mut c_void,
    bytes_read: *mut usize,
) -> status_t {
    not_yet("vmi_read")
}

/// Reads one byte at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_8(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u8,
) -> status_t {
    not_yet("vmi_read_8")
}

/// Reads a 16-bit value at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_16(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u16,
) -> status_t {
    not_yet("vmi_read_16")
}

/// Reads a 32-bit value at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_32(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u32,
) -> status_t {
    not_yet("vmi_read_32")
}

/// Reads a 64-bit value at the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_64(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u64,
) -> status_t {
    not_yet("vmi_read_64")
}

/// Reads a guest pointer (4 or 8 bytes per the guest's address width) at the address `ctx`
/// describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_addr(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut addr_t,
) -> status_t {
    not_yet("vmi_read_addr")
}

/// Reads a NUL-terminated string. The caller frees the result with free(); NULL on failure.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_str(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
) -> *mut c_char {
    not_yet_or("vmi_read_str", ptr::null_mut())
}

/// Reads a NUL-terminated UTF-16 string. The caller frees the result with free(); NULL on
/// failure.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_wstr(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
) -> *mut u16 {
    not_yet_or("vmi_read_wstr", ptr::null_mut())
}

/// Reads a Windows UNICODE_STRING structure. Free the result with vmi_free_unicode_str(); NULL on
/// failure.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_unicode_str(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
) -> *mut unicode_string_t {
    not_yet_or("vmi_read_unicode_str", ptr::null_mut())
}

/// Like vmi_read_unicode_str, with the structure laid out for paging mode `mode`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_unicode_str_pm(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    mode: page_mode_t,
) -> *mut unicode_string_t {
    not_yet_or("vmi_read_unicode_str_pm", ptr::null_mut())
}

/// Reads `count` bytes at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    count: usize,
    buf: *mut c_void,
    bytes_read: *mut usize,
) -> status_t {
    not_yet("vmi_read_ksym")
}

/// Reads `count` bytes at virtual address `vaddr` of process `pid` (0 for the kernel).
#[no_mangle]
pub unsafe extern "C" fn vmi_read_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    count: usize,
    buf: *mut c_void,
    bytes_read: *mut usize,
) -> status_t {
    not_yet("vmi_read_va")
}

/// Maps `num_pages` guest pages starting at the address `ctx` describes into this process;
/// `access_ptrs[i]` gets each page's mapping or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_mmap_guest(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    num_pages: usize,
    prot: c_int,
    access_ptrs: *mut *mut c_void,
) -> status_t {
    not_yet("vmi_mmap_guest")
}

/// Maps the guest frames listed in `pfns` into this process; `access_ptrs[i]` gets each mapping
/// or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_mmap_guest_pfns(
    vmi: vmi_instance_t,
    pfns: *mut c_ulong,
    num_pages: usize,
    prot: c_int,
    access_ptrs: *mut *mut c_void,
) -> status_t {
    not_yet("vmi_mmap_guest_pfns")
}

/// Maps `num_pages` guest-physical pages starting at `paddr`; `access_ptrs[i]` gets each mapping
/// or NULL.
#[no_mangle]
pub unsafe extern "C" fn vmi_mmap_guest_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    num_pages: usize,
    prot: c_int,
    access_ptrs: *mut *mut c_void,
) -> status_t {
    not_yet("vmi_mmap_guest_pa")
}

/// Reads `count` bytes at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    count: usize,
    buf: *mut c_void,
    bytes_read: *mut usize,
) -> status_t {
    not_yet("vmi_read_pa")
}

/// Reads one byte at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_8_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u8,
) -> status_t {
    not_yet("vmi_read_8_ksym")
}

/// Reads a 16-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_16_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u16,
) -> status_t {
    not_yet("vmi_read_16_ksym")
}

/// Reads a 32-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_32_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u32,
) -> status_t {
    not_yet("vmi_read_32_ksym")
}

/// Reads a 64-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_64_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u64,
) -> status_t {
    not_yet("vmi_read_64_ksym")
}

/// Reads a guest pointer at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_addr_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut addr_t,
) -> status_t {
    not_yet("vmi_read_addr_ksym")
}

/// Reads a NUL-terminated string at kernel symbol `sym`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_str_ksym(vmi: vmi_instance_t, sym: *const c_char) -> *mut c_char {
    not_yet_or("vmi_read_str_ksym", ptr::null_mut())
}

/// Reads one byte at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_8_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u8,
) -> status_t {
    not_yet("vmi_read_8_va")
}

/// Reads a 16-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_16_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u16,
) -> status_t {
    not_yet("vmi_read_16_va")
}

/// Reads a 32-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_32_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u32,
) -> status_t {
    not_yet("vmi_read_32_va")
}

/// Reads a 64-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_64_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u64,
) -> status_t {
    not_yet("vmi_read_64_va")
}

/// Reads a guest pointer at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_addr_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut addr_t,
) -> status_t {
    not_yet("vmi_read_addr_va")
}

/// Reads a NUL-terminated string at `vaddr` of process `pid`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_str_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
) -> *mut c_char {
    not_yet_or("vmi_read_str_va", ptr::null_mut())
}

/// Reads a NUL-terminated UTF-16 string at `vaddr` of process `pid`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_wstr_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
) -> *mut u16 {
    not_yet_or("vmi_read_wstr_va", ptr::null_mut())
}

/// Reads a Windows UNICODE_STRING at `vaddr` of process `pid`; free with vmi_free_unicode_str().
#[no_mangle]
pub unsafe extern "C" fn vmi_read_unicode_str_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
) -> *mut unicode_string_t {
    not_yet_or("vmi_read_unicode_str_va", ptr::null_mut())
}

/// Converts `in` to encoding `outencoding` (an iconv name) into `out`, whose contents the caller
/// later frees.
#[no_mangle]
pub unsafe extern "C" fn vmi_convert_str_encoding(
    in_: *const unicode_string_t,
    out: *mut unicode_string_t,
    outencoding: *const c_char,
) -> status_t {
    not_yet("vmi_convert_str_encoding")
}

/// Frees a string returned by the vmi_read_unicode_str* functions.
#[no_mangle]
pub unsafe extern "C" fn vmi_free_unicode_str(p_us: *mut unicode_string_t) {
    not_yet_or("vmi_free_unicode_str", ())
}

/// Reads one byte at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_8_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u8,
) -> status_t {
    not_yet("vmi_read_8_pa")
}

/// Reads a 16-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_16_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u16,
) -> status_t {
    not_yet("vmi_read_16_pa")
}

/// Reads a 32-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_32_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u32,
) -> status_t {
    not_yet("vmi_read_32_pa")
}

/// Reads a 64-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_64_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u64,
) -> status_t {
    not_yet("vmi_read_64_pa")
}

/// Reads a guest pointer at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_addr_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut addr_t,
) -> status_t {
    not_yet("vmi_read_addr_pa")
}

/// Reads a NUL-terminated string at guest-physical address `paddr`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_str_pa(vmi: vmi_instance_t, paddr: addr_t) -> *mut c_char {
    not_yet_or("vmi_read_str_pa", ptr::null_mut())
}

/// Reads a NUL-terminated UTF-16 string at guest-physical address `paddr`; free() the result.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_wstr_pa(vmi: vmi_instance_t, paddr: addr_t) -> *mut u16 {
    not_yet_or("vmi_read_wstr_pa", ptr::null_mut())
}

/// Writes `count` bytes from `buf` to the address `ctx` describes. `*bytes_written` (if given)
/// gets the number written.
#[no_mangle]
pub unsafe extern "C" fn vmi_write(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    count: usize,
    buf: *mut c_void,
    bytes_written: *mut usize,
) -> status_t {
    not_yet("vmi_write")
}

/// Writes `count` bytes from `buf` at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    count: usize,
    buf: *mut c_void,
    bytes_written: *mut usize,
) -> status_t {
    not_yet("vmi_write_ksym")
}

/// Writes `count` bytes from `buf` at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    count: usize,
    buf: *mut c_void,
    bytes_written: *mut usize,
) -> status_t {
    not_yet("vmi_write_va")
}

/// Writes `count` bytes from `buf` at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    count: usize,
    buf: *mut c_void,
    bytes_written: *mut usize,
) -> status_t {
    not_yet("vmi_write_pa")
}

/// Writes one byte to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_8(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u8,
) -> status_t {
    not_yet("vmi_write_8")
}

/// Writes a 16-bit value to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_16(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u16,
) -> status_t {
    not_yet("vmi_write_16")
}

/// Writes a 32-bit value to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_32(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u32,
) -> status_t {
    not_yet("vmi_write_32")
}

/// Writes a 64-bit value to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_64(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut u64,
) -> status_t {
    not_yet("vmi_write_64")
}

/// Writes a guest pointer (guest address width) to the address `ctx` describes.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_addr(
    vmi: vmi_instance_t,
    ctx: *const access_context_t,
    value: *mut addr_t,
) -> status_t {
    not_yet("vmi_write_addr")
}

/// Writes one byte at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_8_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u8,
) -> status_t {
    not_yet("vmi_write_8_ksym")
}

/// Writes a 16-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_16_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u16,
) -> status_t {
    not_yet("vmi_write_16_ksym")
}

/// Writes a 32-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_32_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u32,
) -> status_t {
    not_yet("vmi_write_32_ksym")
}

/// Writes a 64-bit value at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_64_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut u64,
) -> status_t {
    not_yet("vmi_write_64_ksym")
}

/// Writes a guest pointer at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_addr_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    value: *mut addr_t,
) -> status_t {
    not_yet("vmi_write_addr_ksym")
}

/// Writes one byte at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_8_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u8,
) -> status_t {
    not_yet("vmi_write_8_va")
}

/// Writes a 16-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_16_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u16,
) -> status_t {
    not_yet("vmi_write_16_va")
}

/// Writes a 32-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_32_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u32,
) -> status_t {
    not_yet("vmi_write_32_va")
}

/// Writes a 64-bit value at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_64_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut u64,
) -> status_t {
    not_yet("vmi_write_64_va")
}

/// Writes a guest pointer at virtual address `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_addr_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    value: *mut addr_t,
) -> status_t {
    not_yet("vmi_write_addr_va")
}

/// Writes one byte at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_8_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u8,
) -> status_t {
    not_yet("vmi_write_8_pa")
}

/// Writes a 16-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_16_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u16,
) -> status_t {
    not_yet("vmi_write_16_pa")
}

/// Writes a 32-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_32_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u32,
) -> status_t {
    not_yet("vmi_write_32_pa")
}

/// Writes a 64-bit value at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_64_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut u64,
) -> status_t {
    not_yet("vmi_write_64_pa")
}

/// Writes a guest pointer at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_write_addr_pa(
    vmi: vmi_instance_t,
    paddr: addr_t,
    value: *mut addr_t,
) -> status_t {
    not_yet("vmi_write_addr_pa")
}

/// Prints `length` bytes of `data` to stdout as a hex dump with ASCII column.
#[no_mangle]
pub unsafe extern "C" fn vmi_print_hex(data: *const c_uchar, length: c_ulong) {
    not_yet_or("vmi_print_hex", ())
}

/// Prints a hex dump of `length` bytes at kernel symbol `sym`.
#[no_mangle]
pub unsafe extern "C" fn vmi_print_hex_ksym(
    vmi: vmi_instance_t,
    sym: *const c_char,
    length: usize,
) {
    not_yet_or("vmi_print_hex_ksym", ())
}

/// Prints a hex dump of `length` bytes at `vaddr` of process `pid`.
#[no_mangle]
pub unsafe extern "C" fn vmi_print_hex_va(
    vmi: vmi_instance_t,
    vaddr: addr_t,
    pid: vmi_pid_t,
    length: usize,
) {
    not_yet_or("vmi_print_hex_va", ())
}

/// Prints a hex dump of `length` bytes at guest-physical address `paddr`.
#[no_mangle]
pub unsafe extern "C" fn vmi_print_hex_pa(vmi: vmi_instance_t, paddr: addr_t, length: usize) {
    not_yet_or("vmi_print_hex_pa", ())
}

/// Reads `count` bytes at byte `offset` of the VM disk `device_id`.
#[no_mangle]
pub unsafe extern "C" fn vmi_read_disk(
    vmi: vmi_instance_t,
    device_id: *const c_char,
    offset: u64,
    count: u64,
    buffer: *mut c_void,
) -> status_t {
    not_yet("vmi_read_disk")
}

/// Returns the ids of the VM's disks (`*num` of them); the caller frees each string and the
/// array.
#[no_mangle]
pub unsafe extern "C" fn vmi_get_disks(vmi: vmi_instance_t, num: *mut c_uint) -> *mut *mut c_char {
    not_yet_or("vmi_get_disks", ptr::null_mut())
}

/// Tells whether disk `device_id` carries a boot signature.
#[no_mangle]
pub unsafe extern "C" fn vmi_disk_is_bootable(
    vmi: vmi_instance_t,
    device_id: *const c_char,
    bootable: *mut bool,
) -> status_t {
    not_yet("vmi_disk_is_bootable")
}
