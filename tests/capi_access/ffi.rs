//! The exported C functions under test, declared as a C caller sees them.

#![allow(dead_code)]
// The handle is an opaque pointer to C callers; Rust sees its type.
#![allow(improper_ctypes)]

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

use vmi::capi::types::*;

extern "C" {
    pub fn vmi_read(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        count: usize,
        buf: *mut c_void,
        bytes_read: *mut usize,
    ) -> status_t;
    pub fn vmi_read_8(vmi: vmi_instance_t, ctx: *const access_context_t, v: *mut u8) -> status_t;
    pub fn vmi_read_16(vmi: vmi_instance_t, ctx: *const access_context_t, v: *mut u16) -> status_t;
    pub fn vmi_read_32(vmi: vmi_instance_t, ctx: *const access_context_t, v: *mut u32) -> status_t;
    pub fn vmi_read_64(vmi: vmi_instance_t, ctx: *const access_context_t, v: *mut u64) -> status_t;
    pub fn vmi_read_addr(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        v: *mut addr_t,
    ) -> status_t;
    pub fn vmi_read_str(vmi: vmi_instance_t, ctx: *const access_context_t) -> *mut c_char;
    pub fn vmi_read_wstr(vmi: vmi_instance_t, ctx: *const access_context_t) -> *mut u16;
    pub fn vmi_read_unicode_str(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
    ) -> *mut unicode_string_t;
    pub fn vmi_read_unicode_str_pm(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        mode: page_mode_t,
    ) -> *mut unicode_string_t;
    pub fn vmi_read_unicode_str_va(
        vmi: vmi_instance_t,
        vaddr: addr_t,
        pid: vmi_pid_t,
    ) -> *mut unicode_string_t;
    pub fn vmi_read_ksym(
        vmi: vmi_instance_t,
        sym: *const c_char,
        count: usize,
        buf: *mut c_void,
        bytes_read: *mut usize,
    ) -> status_t;
    pub fn vmi_read_va(
        vmi: vmi_instance_t,
        vaddr: addr_t,
        pid: vmi_pid_t,
        count: usize,
        buf: *mut c_void,
        bytes_read: *mut usize,
    ) -> status_t;
    pub fn vmi_read_pa(
        vmi: vmi_instance_t,
        paddr: addr_t,
        count: usize,
        buf: *mut c_void,
        bytes_read: *mut usize,
    ) -> status_t;
    pub fn vmi_read_8_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut u8) -> status_t;
    pub fn vmi_read_16_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut u16) -> status_t;
    pub fn vmi_read_32_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut u32) -> status_t;
    pub fn vmi_read_64_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut u64) -> status_t;
    pub fn vmi_read_addr_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut addr_t) -> status_t;
    pub fn vmi_read_str_ksym(vmi: vmi_instance_t, sym: *const c_char) -> *mut c_char;
    pub fn vmi_read_8_va(vmi: vmi_instance_t, va: addr_t, pid: vmi_pid_t, v: *mut u8) -> status_t;
    pub fn vmi_read_16_va(vmi: vmi_instance_t, va: addr_t, pid: vmi_pid_t, v: *mut u16)
        -> status_t;
    pub fn vmi_read_32_va(vmi: vmi_instance_t, va: addr_t, pid: vmi_pid_t, v: *mut u32)
        -> status_t;
    pub fn vmi_read_64_va(vmi: vmi_instance_t, va: addr_t, pid: vmi_pid_t, v: *mut u64)
        -> status_t;
    pub fn vmi_read_addr_va(
        vmi: vmi_instance_t,
        va: addr_t,
        pid: vmi_pid_t,
        v: *mut addr_t,
    ) -> status_t;
    pub fn vmi_read_str_va(vmi: vmi_instance_t, va: addr_t, pid: vmi_pid_t) -> *mut c_char;
    pub fn vmi_read_wstr_va(vmi: vmi_instance_t, va: addr_t, pid: vmi_pid_t) -> *mut u16;
    pub fn vmi_read_8_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut u8) -> status_t;
    pub fn vmi_read_16_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut u16) -> status_t;
    pub fn vmi_read_32_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut u32) -> status_t;
    pub fn vmi_read_64_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut u64) -> status_t;
    pub fn vmi_read_addr_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut addr_t) -> status_t;
    pub fn vmi_read_str_pa(vmi: vmi_instance_t, pa: addr_t) -> *mut c_char;
    pub fn vmi_read_wstr_pa(vmi: vmi_instance_t, pa: addr_t) -> *mut u16;
    pub fn vmi_convert_str_encoding(
        in_: *const unicode_string_t,
        out: *mut unicode_string_t,
        outencoding: *const c_char,
    ) -> status_t;
    pub fn vmi_free_unicode_str(p: *mut unicode_string_t);

    pub fn vmi_write(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        count: usize,
        buf: *mut c_void,
        bytes_written: *mut usize,
    ) -> status_t;
    pub fn vmi_write_ksym(
        vmi: vmi_instance_t,
        sym: *const c_char,
        count: usize,
        buf: *mut c_void,
        bytes_written: *mut usize,
    ) -> status_t;
    pub fn vmi_write_va(
        vmi: vmi_instance_t,
        vaddr: addr_t,
        pid: vmi_pid_t,
        count: usize,
        buf: *mut c_void,
        bytes_written: *mut usize,
    ) -> status_t;
    pub fn vmi_write_pa(
        vmi: vmi_instance_t,
        paddr: addr_t,
        count: usize,
        buf: *mut c_void,
        bytes_written: *mut usize,
    ) -> status_t;
    pub fn vmi_write_8(vmi: vmi_instance_t, ctx: *const access_context_t, v: *mut u8) -> status_t;
    pub fn vmi_write_16(vmi: vmi_instance_t, ctx: *const access_context_t, v: *mut u16)
        -> status_t;
    pub fn vmi_write_32(vmi: vmi_instance_t, ctx: *const access_context_t, v: *mut u32)
        -> status_t;
    pub fn vmi_write_64(vmi: vmi_instance_t, ctx: *const access_context_t, v: *mut u64)
        -> status_t;
    pub fn vmi_write_addr(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        v: *mut addr_t,
    ) -> status_t;
    pub fn vmi_write_8_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut u8) -> status_t;
    pub fn vmi_write_16_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut u16) -> status_t;
    pub fn vmi_write_32_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut u32) -> status_t;
    pub fn vmi_write_64_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut u64) -> status_t;
    pub fn vmi_write_addr_ksym(vmi: vmi_instance_t, sym: *const c_char, v: *mut addr_t)
        -> status_t;
    pub fn vmi_write_8_va(vmi: vmi_instance_t, va: addr_t, pid: vmi_pid_t, v: *mut u8) -> status_t;
    pub fn vmi_write_16_va(
        vmi: vmi_instance_t,
        va: addr_t,
        pid: vmi_pid_t,
        v: *mut u16,
    ) -> status_t;
    pub fn vmi_write_32_va(
        vmi: vmi_instance_t,
        va: addr_t,
        pid: vmi_pid_t,
        v: *mut u32,
    ) -> status_t;
    pub fn vmi_write_64_va(
        vmi: vmi_instance_t,
        va: addr_t,
        pid: vmi_pid_t,
        v: *mut u64,
    ) -> status_t;
    pub fn vmi_write_addr_va(
        vmi: vmi_instance_t,
        va: addr_t,
        pid: vmi_pid_t,
        v: *mut addr_t,
    ) -> status_t;
    pub fn vmi_write_8_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut u8) -> status_t;
    pub fn vmi_write_16_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut u16) -> status_t;
    pub fn vmi_write_32_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut u32) -> status_t;
    pub fn vmi_write_64_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut u64) -> status_t;
    pub fn vmi_write_addr_pa(vmi: vmi_instance_t, pa: addr_t, v: *mut addr_t) -> status_t;

    pub fn vmi_print_hex(data: *const u8, length: c_ulong);
    pub fn vmi_print_hex_pa(vmi: vmi_instance_t, paddr: addr_t, length: usize);
    pub fn vmi_print_hex_va(vmi: vmi_instance_t, vaddr: addr_t, pid: vmi_pid_t, length: usize);
    pub fn vmi_print_hex_ksym(vmi: vmi_instance_t, sym: *const c_char, length: usize);

    pub fn vmi_mmap_guest(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        num_pages: usize,
        prot: c_int,
        access_ptrs: *mut *mut c_void,
    ) -> status_t;
    pub fn vmi_mmap_guest_pfns(
        vmi: vmi_instance_t,
        pfns: *mut c_ulong,
        num_pages: usize,
        prot: c_int,
        access_ptrs: *mut *mut c_void,
    ) -> status_t;
    pub fn vmi_mmap_guest_pa(
        vmi: vmi_instance_t,
        paddr: addr_t,
        num_pages: usize,
        prot: c_int,
        access_ptrs: *mut *mut c_void,
    ) -> status_t;
    pub fn vmi_read_disk(
        vmi: vmi_instance_t,
        device_id: *const c_char,
        offset: u64,
        count: u64,
        buffer: *mut c_void,
    ) -> status_t;
    pub fn vmi_get_disks(vmi: vmi_instance_t, num: *mut c_uint) -> *mut *mut c_char;
    pub fn vmi_disk_is_bootable(
        vmi: vmi_instance_t,
        device_id: *const c_char,
        bootable: *mut bool,
    ) -> status_t;

    pub fn vmi_translate_kv2p(vmi: vmi_instance_t, va: addr_t, pa: *mut addr_t) -> status_t;
    pub fn vmi_translate_uv2p(
        vmi: vmi_instance_t,
        va: addr_t,
        pid: vmi_pid_t,
        pa: *mut addr_t,
    ) -> status_t;
    pub fn vmi_translate_ksym2v(
        vmi: vmi_instance_t,
        sym: *const c_char,
        va: *mut addr_t,
    ) -> status_t;
    pub fn vmi_translate_sym2v(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        sym: *const c_char,
        va: *mut addr_t,
    ) -> status_t;
    pub fn vmi_translate_v2sym(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        rva: addr_t,
    ) -> *const c_char;
    pub fn vmi_translate_v2ksym(
        vmi: vmi_instance_t,
        ctx: *const access_context_t,
        va: addr_t,
    ) -> *const c_char;
    pub fn vmi_pid_to_dtb(vmi: vmi_instance_t, pid: vmi_pid_t, dtb: *mut addr_t) -> status_t;
    pub fn vmi_dtb_to_pid(vmi: vmi_instance_t, dtb: addr_t, pid: *mut vmi_pid_t) -> status_t;
    pub fn vmi_pagetable_lookup(
        vmi: vmi_instance_t,
        pt: addr_t,
        va: addr_t,
        pa: *mut addr_t,
    ) -> status_t;
    pub fn vmi_pagetable_lookup_extended(
        vmi: vmi_instance_t,
        pt: addr_t,
        va: addr_t,
        info: *mut page_info_t,
    ) -> status_t;
    pub fn vmi_nested_pagetable_lookup(
        vmi: vmi_instance_t,
        npt: addr_t,
        npm: page_mode_t,
        pt: addr_t,
        pm: page_mode_t,
        va: addr_t,
        pa: *mut addr_t,
        na: *mut addr_t,
    ) -> status_t;
    pub fn vmi_nested_pagetable_lookup_extended(
        vmi: vmi_instance_t,
        npt: addr_t,
        npm: page_mode_t,
        pt: addr_t,
        pm: page_mode_t,
        va: addr_t,
        info: *mut page_info_t,
    ) -> status_t;
    pub fn vmi_get_last_pagetable_lookup_fault(vmi: vmi_instance_t) -> *const access_context_t;

    pub fn vmi_v2pcache_flush(vmi: vmi_instance_t, pt: addr_t);
    pub fn vmi_v2pcache_nested_flush(vmi: vmi_instance_t, pt: addr_t, npt: addr_t);
    pub fn vmi_v2pcache_add(vmi: vmi_instance_t, va: addr_t, pt: addr_t, pa: addr_t);
    pub fn vmi_v2pcache_nested_add(
        vmi: vmi_instance_t,
        va: addr_t,
        pt: addr_t,
        npt: addr_t,
        pa: addr_t,
    );
    pub fn vmi_symcache_flush(vmi: vmi_instance_t);
    pub fn vmi_symcache_add(
        vmi: vmi_instance_t,
        base: addr_t,
        pid: vmi_pid_t,
        sym: *mut c_char,
        va: addr_t,
    );
    pub fn vmi_rvacache_flush(vmi: vmi_instance_t);
    pub fn vmi_rvacache_add(
        vmi: vmi_instance_t,
        base: addr_t,
        pid: vmi_pid_t,
        rva: addr_t,
        sym: *mut c_char,
    );
    pub fn vmi_pidcache_flush(vmi: vmi_instance_t);
    pub fn vmi_pidcache_add(vmi: vmi_instance_t, pid: vmi_pid_t, dtb: addr_t);
    pub fn vmi_pagecache_flush(vmi: vmi_instance_t);

    pub fn vmi_get_va_pages(vmi: vmi_instance_t, pt: addr_t) -> *mut GSList;
    pub fn vmi_get_nested_va_pages(
        vmi: vmi_instance_t,
        npt: addr_t,
        npm: page_mode_t,
        pt: addr_t,
        pm: page_mode_t,
    ) -> *mut GSList;
}
