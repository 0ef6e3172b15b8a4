//! Proves that the Rust mirrors in `capi/types` have exactly the layout the
//! generated C headers give the same types: sizeof/alignof of every record,
//! offset and size of every member (including members of anonymous unions
//! and structs, which the Rust side names explicitly), bit position and
//! width of every bitfield, size and signedness of every typedef, and the
//! value of every constant.
//!
//! The table below pairs each C spelling with a Rust expression. A C probe
//! is generated from it, compiled against `include/`, run, and its output
//! compared line by line with the values Rust computes.

use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use vmi::capi::types::*;

/// One fact to compare: the C side prints `key|<printf(fmt, args)>`, the
/// Rust side computed `rust` for the same key.
struct Entry {
    key: String,
    fmt: &'static str,
    args: String,
    rust: String,
}

fn size_of_pointee<T>(_: *const T) -> usize {
    size_of::<T>()
}

macro_rules! record {
    ($e:ident, $c:literal, $t:ty) => {
        $e.push(Entry {
            key: format!("record {}", $c),
            fmt: "%zu %zu",
            args: format!("sizeof({0}), _Alignof({0})", $c),
            rust: format!("{} {}", size_of::<$t>(), align_of::<$t>()),
        });
    };
}

macro_rules! fields {
    ($e:ident, $c:literal, $t:ty, [$($cp:literal => $($f:ident).+,)*]) => {$(
        $e.push(Entry {
            key: format!("member {} {}", $c, $cp),
            fmt: "%zu %zu",
            args: format!("offsetof({0}, {1}), sizeof((({0} *)0)->{1})", $c, $cp),
            rust: format!(
                "{} {}",
                offset_of!($t, $($f).+),
                // Never called: only its type is used, to get the field's size.
                size_of_pointee((|p: *const $t| unsafe { core::ptr::addr_of!((*p).$($f).+) })(
                    core::ptr::NonNull::<$t>::dangling().as_ptr()
                ))
            ),
        });
    )*};
}

macro_rules! flexible {
    ($e:ident, $c:literal, $t:ty, [$($cp:literal => $f:ident,)*]) => {$(
        $e.push(Entry {
            key: format!("flexible {} {}", $c, $cp),
            fmt: "%zu",
            args: format!("offsetof({}, {})", $c, $cp),
            rust: format!("{}", offset_of!($t, $f)),
        });
    )*};
}

macro_rules! bitfields {
    ($e:ident, $c:literal, $t:ty, $store:ident, [$($cp:literal => $pos:expr,)*]) => {$(
        let (shift, width): (u32, u32) = $pos;
        $e.push(Entry {
            key: format!("bits {} {}", $c, $cp),
            fmt: "%s",
            args: format!("abic_bits({}, {})", $c, $cp),
            rust: format!("{} {}", offset_of!($t, $store) as u32 * 8 + shift, width),
        });
    )*};
}

macro_rules! int_typedefs {
    ($e:ident, [$($t:ident),*]) => {$(
        $e.push(Entry {
            key: format!("typedef {}", stringify!($t)),
            fmt: "%zu %d",
            args: format!("sizeof({0}), ({0})-1 < ({0})0", stringify!($t)),
            rust: format!("{} {}", size_of::<$t>(), i32::from(<$t>::MIN != 0)),
        });
    )*};
}

macro_rules! ptr_typedefs {
    ($e:ident, [$($t:ident),*]) => {$(
        $e.push(Entry {
            key: format!("typedef {}", stringify!($t)),
            fmt: "%zu",
            args: format!("sizeof({})", stringify!($t)),
            rust: format!("{}", size_of::<$t>()),
        });
    )*};
}

macro_rules! constants {
    ($e:ident, [$($n:ident,)*]) => {$(
        $e.push(Entry {
            key: format!("const {}", stringify!($n)),
            fmt: "%s",
            args: format!("abic_int(({0}) < 0, (long long)({0}), (unsigned long long)({0}))", stringify!($n)),
            rust: format!("{}", $n as i128),
        });
    )*};
}

fn entries() -> Vec<Entry> {
    let mut e = Vec::new();
    record!(e, "win_build_info_t", win_build_info_t);
    fields!(e, "win_build_info_t", win_build_info_t, [
        "version" => version,
        "buildnumber" => buildnumber,
        "major" => major,
        "minor" => minor,
    ]);

    record!(e, "vmi_init_data_entry_t", vmi_init_data_entry_t);
    fields!(e, "vmi_init_data_entry_t", vmi_init_data_entry_t, [
        "type" => type_,
        "data" => data,
    ]);

    record!(e, "vmi_init_data_t", vmi_init_data_t);
    fields!(e, "vmi_init_data_t", vmi_init_data_t, [
        "count" => count,
    ]);
    flexible!(e, "vmi_init_data_t", vmi_init_data_t, [
        "entry" => entry,
    ]);

    record!(e, "memory_map_t", memory_map_t);
    fields!(e, "memory_map_t", memory_map_t, [
        "count" => count,
    ]);
    flexible!(e, "memory_map_t", memory_map_t, [
        "range" => range,
    ]);

    record!(e, "mtrr_regs_t", mtrr_regs_t);
    fields!(e, "mtrr_regs_t", mtrr_regs_t, [
        "msr_pat_cr" => msr_pat_cr,
        "msr_mtrr_cap" => msr_mtrr_cap,
    ]);

    record!(e, "x86_segment_flags_t", x86_segment_flags_t);
    fields!(e, "x86_segment_flags_t", x86_segment_flags_t, [
        "pad2" => pad2,
        "pad3" => pad3,
    ]);
    bitfields!(e, "x86_segment_flags_t", x86_segment_flags_t, bits, [
        "type" => x86_segment_flags_t::TYPE,
        "s" => x86_segment_flags_t::S,
        "dpl" => x86_segment_flags_t::DPL,
        "p" => x86_segment_flags_t::P,
        "avl" => x86_segment_flags_t::AVL,
        "l" => x86_segment_flags_t::L,
        "db" => x86_segment_flags_t::DB,
        "g" => x86_segment_flags_t::G,
        "pad" => x86_segment_flags_t::PAD,
    ]);

    record!(e, "x86_registers_t", x86_registers_t);
    fields!(e, "x86_registers_t", x86_registers_t, [
        "rax" => rax,
        "rcx" => rcx,
        "rdx" => rdx,
        "rbx" => rbx,
        "rsp" => rsp,
        "rbp" => rbp,
        "rsi" => rsi,
        "rdi" => rdi,
        "r8" => r8,
        "r9" => r9,
        "r10" => r10,
        "r11" => r11,
        "r12" => r12,
        "r13" => r13,
        "r14" => r14,
        "r15" => r15,
        "rflags" => rflags,
        "dr6" => dr6,
        "dr7" => dr7,
        "rip" => rip,
        "cr0" => cr0,
        "cr2" => cr2,
        "cr3" => cr3,
        "cr4" => cr4,
        "sysenter_cs" => sysenter_cs,
        "sysenter_esp" => sysenter_esp,
        "sysenter_eip" => sysenter_eip,
        "msr_efer" => msr_efer,
        "msr_star" => msr_star,
        "msr_lstar" => msr_lstar,
        "msr_pat" => msr_pat,
        "msr_cstar" => msr_cstar,
        "fs_base" => fs_base,
        "fs_limit" => fs_limit,
        "fs_sel" => fs_sel,
        "fs_arbytes" => fs_arbytes,
        "fs_flags" => fs_arbytes,
        "gs_base" => gs_base,
        "gs_limit" => gs_limit,
        "gs_sel" => gs_sel,
        "gs_arbytes" => gs_arbytes,
        "gs_flags" => gs_arbytes,
        "cs_base" => cs_base,
        "cs_limit" => cs_limit,
        "cs_sel" => cs_sel,
        "cs_arbytes" => cs_arbytes,
        "cs_flags" => cs_arbytes,
        "ss_base" => ss_base,
        "ss_limit" => ss_limit,
        "ss_sel" => ss_sel,
        "ss_arbytes" => ss_arbytes,
        "ss_flags" => ss_arbytes,
        "ds_base" => ds_base,
        "ds_limit" => ds_limit,
        "ds_sel" => ds_sel,
        "ds_arbytes" => ds_arbytes,
        "ds_flags" => ds_arbytes,
        "es_base" => es_base,
        "es_limit" => es_limit,
        "es_sel" => es_sel,
        "es_arbytes" => es_arbytes,
        "es_flags" => es_arbytes,
        "tr_base" => tr_base,
        "tr_limit" => tr_limit,
        "tr_sel" => tr_sel,
        "tr_arbytes" => tr_arbytes,
        "tr_flags" => tr_arbytes,
        "ldt_base" => ldt_base,
        "ldt_limit" => ldt_limit,
        "ldt_sel" => ldt_sel,
        "ldt_arbytes" => ldt_arbytes,
        "ldt_flags" => ldt_arbytes,
        "shadow_gs" => shadow_gs,
        "idtr_base" => idtr_base,
        "idtr_limit" => idtr_limit,
        "gdtr_base" => gdtr_base,
        "gdtr_limit" => gdtr_limit,
        "npt_base" => npt_base,
        "vmtrace_pos" => vmtrace_pos,
    ]);

    record!(e, "arm_registers_t", arm_registers_t);
    fields!(e, "arm_registers_t", arm_registers_t, [
        "ttbr0" => ttbr0,
        "ttbr1" => ttbr1,
        "ttbcr" => ttbcr,
        "pc" => pc,
        "cpsr" => cpsr,
        "_pad" => _pad,
    ]);

    record!(e, "registers_t", registers_t);
    fields!(e, "registers_t", registers_t, [
        "x86" => x86,
        "arm" => arm,
    ]);

    record!(e, "xsave_area_t", xsave_area_t);
    fields!(e, "xsave_area_t", xsave_area_t, [
        "fpu_sse" => fpu_sse,
        "xstate_bv" => xstate_bv,
        "xcomp_bv" => xcomp_bv,
    ]);

    record!(e, "page_info_t", page_info_t);
    fields!(e, "page_info_t", page_info_t, [
        "vaddr" => vaddr,
        "paddr" => paddr,
        "naddr" => naddr,
        "size" => size,
        "nsize" => nsize,
        "pt" => pt,
        "pm" => pm,
        "npt" => npt,
        "npm" => npm,
        "x86_legacy" => arch.x86_legacy,
        "x86_legacy.pte_value_prev" => arch.x86_legacy.pte_value_prev,
        "x86_legacy.pte_location" => arch.x86_legacy.pte_location,
        "x86_legacy.pte_value" => arch.x86_legacy.pte_value,
        "x86_legacy.pgd_location" => arch.x86_legacy.pgd_location,
        "x86_legacy.pgd_value" => arch.x86_legacy.pgd_value,
        "x86_pae" => arch.x86_pae,
        "x86_pae.pte_value_prev" => arch.x86_pae.pte_value_prev,
        "x86_pae.pte_location" => arch.x86_pae.pte_location,
        "x86_pae.pte_value" => arch.x86_pae.pte_value,
        "x86_pae.pgd_location" => arch.x86_pae.pgd_location,
        "x86_pae.pgd_value" => arch.x86_pae.pgd_value,
        "x86_pae.pdpe_location" => arch.x86_pae.pdpe_location,
        "x86_pae.pdpe_value" => arch.x86_pae.pdpe_value,
        "x86_ia32e" => arch.x86_ia32e,
        "x86_ia32e.pte_value_prev" => arch.x86_ia32e.pte_value_prev,
        "x86_ia32e.pte_location" => arch.x86_ia32e.pte_location,
        "x86_ia32e.pte_value" => arch.x86_ia32e.pte_value,
        "x86_ia32e.pgd_location" => arch.x86_ia32e.pgd_location,
        "x86_ia32e.pgd_value" => arch.x86_ia32e.pgd_value,
        "x86_ia32e.pdpte_location" => arch.x86_ia32e.pdpte_location,
        "x86_ia32e.pdpte_value" => arch.x86_ia32e.pdpte_value,
        "x86_ia32e.pml4e_location" => arch.x86_ia32e.pml4e_location,
        "x86_ia32e.pml4e_value" => arch.x86_ia32e.pml4e_value,
        "arm_aarch32" => arch.arm_aarch32,
        "arm_aarch32.fld_location" => arch.arm_aarch32.fld_location,
        "arm_aarch32.fld_value" => arch.arm_aarch32.fld_value,
        "arm_aarch32.sld_location" => arch.arm_aarch32.sld_location,
        "arm_aarch32.sld_value" => arch.arm_aarch32.sld_value,
        "arm_aarch64" => arch.arm_aarch64,
        "arm_aarch64.zld_location" => arch.arm_aarch64.zld_location,
        "arm_aarch64.zld_value" => arch.arm_aarch64.zld_value,
        "arm_aarch64.fld_location" => arch.arm_aarch64.fld_location,
        "arm_aarch64.fld_value" => arch.arm_aarch64.fld_value,
        "arm_aarch64.sld_location" => arch.arm_aarch64.sld_location,
        "arm_aarch64.sld_value" => arch.arm_aarch64.sld_value,
        "arm_aarch64.tld_location" => arch.arm_aarch64.tld_location,
        "arm_aarch64.tld_value" => arch.arm_aarch64.tld_value,
    ]);

    record!(e, "access_context_t", access_context_t);
    fields!(e, "access_context_t", access_context_t, [
        "version" => version,
        "_pad" => _pad,
        "pm" => pm,
        "page_mode" => pm,
        "npm" => npm,
        "nested_page_mode" => npm,
        "npt" => npt,
        "nested_page_table" => npt,
        "tm" => tm,
        "translate_mechanism" => tm,
        "_pad2" => _pad2,
        "addr" => target.va.addr,
        "pt" => target.va.space.pt,
        "page_table" => target.va.space.pt,
        "dtb" => target.va.space.pt,
        "pid" => target.va.space.pid,
        "ksym" => target.ksym,
    ]);

    record!(e, "unicode_string_t", unicode_string_t);
    fields!(e, "unicode_string_t", unicode_string_t, [
        "length" => length,
        "contents" => contents,
        "encoding" => encoding,
    ]);

    record!(e, "domain_status_t", domain_status_t);
    bitfields!(e, "domain_status_t", domain_status_t, bits, [
        "dying" => (domain_status_t::DYING, 1),
        "shutdown" => (domain_status_t::SHUTDOWN, 1),
        "paused" => (domain_status_t::PAUSED, 1),
        "blocked" => (domain_status_t::BLOCKED, 1),
        "running" => (domain_status_t::RUNNING, 1),
        "debugged" => (domain_status_t::DEBUGGED, 1),
    ]);

    record!(e, "emul_read_t", emul_read_t);
    fields!(e, "emul_read_t", emul_read_t, [
        "size" => size,
        "dont_free" => dont_free,
        "_pad" => _pad,
        "data" => data,
    ]);

    record!(e, "emul_insn_t", emul_insn_t);
    fields!(e, "emul_insn_t", emul_insn_t, [
        "dont_free" => dont_free,
        "_pad" => _pad,
        "data" => data,
    ]);

    record!(e, "reg_event_t", reg_event_t);
    fields!(e, "reg_event_t", reg_event_t, [
        "reg" => reg,
        "equal" => equal,
        "async" => async_,
        "onchange" => onchange,
        "in_access" => in_access,
        "out_access" => out_access,
        "_pad1" => _pad1,
        "value" => value,
        "previous" => previous,
        "msr" => msr,
        "_pad2" => _pad2,
    ]);

    record!(e, "mem_access_event_t", mem_access_event_t);
    fields!(e, "mem_access_event_t", mem_access_event_t, [
        "gfn" => gfn,
        "generic" => generic,
        "in_access" => in_access,
        "out_access" => out_access,
        "gptw" => gptw,
        "gla_valid" => gla_valid,
        "_pad" => _pad,
        "gla" => gla,
        "offset" => offset,
    ]);

    record!(e, "watch_domain_event_t", watch_domain_event_t);
    fields!(e, "watch_domain_event_t", watch_domain_event_t, [
        "uuid" => uuid,
        "domain" => domain,
        "created" => created,
    ]);

    record!(e, "interrupt_event_t", interrupt_event_t);
    fields!(e, "interrupt_event_t", interrupt_event_t, [
        "intr" => intr,
        "_pad1" => _pad1,
        "insn_length" => u.trap.insn_length,
        "reinject" => u.trap.reinject,
        "_pad2" => u.trap._pad2,
        "gla" => u.trap.gla,
        "gfn" => u.trap.gfn,
        "offset" => u.trap.offset,
        "_pad3" => u.trap._pad3,
        "vector" => u.next.vector,
        "type" => u.next.type_,
        "error_code" => u.next.error_code,
        "_pad4" => u.next._pad4,
        "cr2" => u.next.cr2,
    ]);

    record!(e, "privcall_event_t", privcall_event_t);
    fields!(e, "privcall_event_t", privcall_event_t, [
        "gla" => gla,
        "gfn" => gfn,
        "offset" => offset,
    ]);

    record!(e, "single_step_event_t", single_step_event_t);
    fields!(e, "single_step_event_t", single_step_event_t, [
        "vcpus" => vcpus,
        "enable" => enable,
        "_pad" => _pad,
        "gla" => gla,
        "gfn" => gfn,
        "offset" => offset,
    ]);

    record!(e, "debug_event_t", debug_event_t);
    fields!(e, "debug_event_t", debug_event_t, [
        "gla" => gla,
        "gfn" => gfn,
        "offset" => offset,
        "insn_length" => insn_length,
        "type" => type_,
        "reinject" => reinject,
        "_pad" => _pad,
    ]);

    record!(e, "cpuid_event_t", cpuid_event_t);
    fields!(e, "cpuid_event_t", cpuid_event_t, [
        "insn_length" => insn_length,
        "leaf" => leaf,
        "subleaf" => subleaf,
        "_pad" => _pad,
    ]);

    record!(e, "io_event_t", io_event_t);
    fields!(e, "io_event_t", io_event_t, [
        "bytes" => bytes,
        "port" => port,
        "in" => in_,
        "str" => str_,
    ]);

    record!(e, "descriptor_event_t", descriptor_event_t);
    fields!(e, "descriptor_event_t", descriptor_event_t, [
        "instr_info" => info.vmx.instr_info,
        "_pad1" => info.vmx._pad1,
        "exit_qualification" => info.vmx.exit_qualification,
        "exit_info" => info.exit_info,
        "descriptor" => descriptor,
        "is_write" => is_write,
        "_pad2" => _pad2,
    ]);

    record!(e, "vmexit_event_t", vmexit_event_t);
    fields!(e, "vmexit_event_t", vmexit_event_t, [
        "sync" => sync,
        "reason" => reason,
        "qualification" => qualification,
    ]);

    record!(e, "vmi_event_t", vmi_event_t);
    fields!(e, "vmi_event_t", vmi_event_t, [
        "version" => version,
        "type" => type_,
        "slat_id" => slat_id,
        "next_slat_id" => next_slat_id,
        "_reserved" => _reserved,
        "data" => data,
        "callback" => callback,
        "vcpu_id" => vcpu_id,
        "page_mode" => page_mode,
        "reg_event" => payload.reg_event,
        "mem_event" => payload.mem_event,
        "ss_event" => payload.ss_event,
        "interrupt_event" => payload.interrupt_event,
        "privcall_event" => payload.privcall_event,
        "cpuid_event" => payload.cpuid_event,
        "debug_event" => payload.debug_event,
        "descriptor_event" => payload.descriptor_event,
        "watch_event" => payload.watch_event,
        "vmexit_event" => payload.vmexit_event,
        "io_event" => payload.io_event,
        "x86_regs" => extra.x86_regs,
        "arm_regs" => extra.arm_regs,
        "emul_read" => extra.emul_read,
        "emul_insn" => extra.emul_insn,
    ]);

    record!(e, "struct image_data_directory", image_data_directory);
    fields!(e, "struct image_data_directory", image_data_directory, [
        "virtual_address" => virtual_address,
        "size" => size,
    ]);

    record!(e, "struct pe_header", pe_header);
    fields!(e, "struct pe_header", pe_header, [
        "signature" => signature,
        "machine" => machine,
        "number_of_sections" => number_of_sections,
        "time_date_stamp" => time_date_stamp,
        "pointer_to_symbol_table" => pointer_to_symbol_table,
        "number_of_symbols" => number_of_symbols,
        "size_of_optional_header" => size_of_optional_header,
        "characteristics" => characteristics,
    ]);

    record!(e, "struct dos_header", dos_header);
    fields!(e, "struct dos_header", dos_header, [
        "signature" => signature,
        "bytes_in_last_block" => bytes_in_last_block,
        "blocks_in_file" => blocks_in_file,
        "reloc_ct" => reloc_ct,
        "header_size" => header_size,
        "min_mem" => min_mem,
        "max_mem" => max_mem,
        "ss" => ss,
        "sp" => sp,
        "chksum" => chksum,
        "ip" => ip,
        "cs" => cs,
        "reloc_tbl_ofs" => reloc_tbl_ofs,
        "overlay" => overlay,
        "reserved" => reserved,
        "offset_to_pe" => offset_to_pe,
    ]);

    record!(e, "struct optional_header_pe32", optional_header_pe32);
    fields!(e, "struct optional_header_pe32", optional_header_pe32, [
        "magic" => magic,
        "major_linker_version" => major_linker_version,
        "minor_linker_version" => minor_linker_version,
        "size_of_code" => size_of_code,
        "size_of_initialized_data" => size_of_initialized_data,
        "size_of_uninitialized_data" => size_of_uninitialized_data,
        "address_of_entry_point" => address_of_entry_point,
        "base_of_code" => base_of_code,
        "base_of_data" => base_of_data,
        "image_base" => image_base,
        "section_alignment" => section_alignment,
        "file_alignment" => file_alignment,
        "major_os_version" => major_os_version,
        "minor_os_version" => minor_os_version,
        "major_image_version" => major_image_version,
        "minor_image_version" => minor_image_version,
        "major_subsystem_version" => major_subsystem_version,
        "minor_subsystem_version" => minor_subsystem_version,
        "win32_version_value" => win32_version_value,
        "size_of_image" => size_of_image,
        "size_of_headers" => size_of_headers,
        "checksum" => checksum,
        "subsystem" => subsystem,
        "dll_characteristics" => dll_characteristics,
        "size_of_stack_reserve" => size_of_stack_reserve,
        "size_of_stack_commit" => size_of_stack_commit,
        "size_of_heap_reserve" => size_of_heap_reserve,
        "size_of_heap_commit" => size_of_heap_commit,
        "loader_flags" => loader_flags,
        "number_of_rva_and_sizes" => number_of_rva_and_sizes,
        "idd" => idd,
    ]);

    record!(
        e,
        "struct optional_header_pe32plus",
        optional_header_pe32plus
    );
    fields!(e, "struct optional_header_pe32plus", optional_header_pe32plus, [
        "magic" => magic,
        "major_linker_version" => major_linker_version,
        "minor_linker_version" => minor_linker_version,
        "size_of_code" => size_of_code,
        "size_of_initialized_data" => size_of_initialized_data,
        "size_of_uninitialized_data" => size_of_uninitialized_data,
        "address_of_entry_point" => address_of_entry_point,
        "base_of_code" => base_of_code,
        "image_base" => image_base,
        "section_alignment" => section_alignment,
        "file_alignment" => file_alignment,
        "major_os_version" => major_os_version,
        "minor_os_version" => minor_os_version,
        "major_image_version" => major_image_version,
        "minor_image_version" => minor_image_version,
        "major_subsystem_version" => major_subsystem_version,
        "minor_subsystem_version" => minor_subsystem_version,
        "win32_version_value" => win32_version_value,
        "size_of_image" => size_of_image,
        "size_of_headers" => size_of_headers,
        "checksum" => checksum,
        "subsystem" => subsystem,
        "dll_characteristics" => dll_characteristics,
        "size_of_stack_reserve" => size_of_stack_reserve,
        "size_of_stack_commit" => size_of_stack_commit,
        "size_of_heap_reserve" => size_of_heap_reserve,
        "size_of_heap_commit" => size_of_heap_commit,
        "loader_flags" => loader_flags,
        "number_of_rva_and_sizes" => number_of_rva_and_sizes,
        "idd" => idd,
    ]);

    record!(e, "struct section_header", section_header);
    fields!(e, "struct section_header", section_header, [
        "short_name" => short_name,
        "a" => a,
        "a.physical_address" => a.physical_address,
        "a.virtual_size" => a.virtual_size,
        "virtual_address" => virtual_address,
        "size_of_raw_data" => size_of_raw_data,
        "pointer_to_raw_data" => pointer_to_raw_data,
        "pointer_to_relocations" => pointer_to_relocations,
        "pointer_to_line_numbers" => pointer_to_line_numbers,
        "number_of_relocations" => number_of_relocations,
        "number_of_line_numbers" => number_of_line_numbers,
        "characteristics" => characteristics,
    ]);

    record!(e, "struct export_table", export_table);
    fields!(e, "struct export_table", export_table, [
        "export_flags" => export_flags,
        "time_date_stamp" => time_date_stamp,
        "major_version" => major_version,
        "minor_version" => minor_version,
        "name" => name,
        "base" => base,
        "number_of_functions" => number_of_functions,
        "number_of_names" => number_of_names,
        "address_of_functions" => address_of_functions,
        "address_of_names" => address_of_names,
        "address_of_name_ordinals" => address_of_name_ordinals,
    ]);
    int_typedefs!(
        e,
        [
            vmi_mode_t,
            vmi_config_t,
            status_t,
            vmi_init_error_t,
            firmware_t,
            os_t,
            win_ver_t,
            page_mode_t,
            page_size_t,
            vmi_init_data_type_t,
            reg_t,
            addr_t,
            vmi_pid_t,
            vmi_arch_t,
            translation_mechanism_t,
            vmi_event_type_t,
            vmi_reg_access_t,
            vmi_mem_access_t,
            interrupts_t,
            event_response_flags_t,
            event_response_t
        ]
    );
    ptr_typedefs!(e, [vmi_instance_t, event_callback_t, vmi_event_free_t]);
    constants!(
        e,
        [
            VMI_TM_NONE,
            VMI_TM_PROCESS_DTB,
            VMI_TM_PROCESS_PT,
            VMI_TM_PROCESS_PID,
            VMI_TM_KERNEL_SYMBOL,
            ACCESS_CONTEXT_VERSION,
            VMI_SUCCESS,
            VMI_FAILURE,
            VMI_INIT_DOMAINNAME,
            VMI_INIT_DOMAINID,
            VMI_INIT_EVENTS,
            VMI_INIT_DOMAINUUID,
            VMI_INIT_DOMAINWATCH,
            VMI_INIT_V2SYM,
            VMI_XEN,
            VMI_KVM,
            VMI_FILE,
            VMI_BAREFLANK,
            VMI_CONFIG_GLOBAL_FILE_ENTRY,
            VMI_CONFIG_STRING,
            VMI_CONFIG_GHASHTABLE,
            VMI_CONFIG_JSON_PATH,
            VMI_CONFIG_FILE_PATH,
            VMI_INIT_ERROR_NONE,
            VMI_INIT_ERROR_DRIVER_NOT_DETECTED,
            VMI_INIT_ERROR_DRIVER,
            VMI_INIT_ERROR_VM_NOT_FOUND,
            VMI_INIT_ERROR_PAGING,
            VMI_INIT_ERROR_OS,
            VMI_INIT_ERROR_EVENTS,
            VMI_INIT_ERROR_NO_CONFIG,
            VMI_INIT_ERROR_NO_CONFIG_ENTRY,
            VMI_FIRMWARE_UNKNOWN,
            VMI_FIRMWARE_LEGACY,
            VMI_FIRMWARE_UEFI,
            VMI_OS_UNKNOWN,
            VMI_OS_LINUX,
            VMI_OS_WINDOWS,
            VMI_OS_FREEBSD,
            VMI_OS_OSX,
            VMI_OS_WINDOWS_NONE,
            VMI_OS_WINDOWS_UNKNOWN,
            VMI_OS_WINDOWS_2000,
            VMI_OS_WINDOWS_XP,
            VMI_OS_WINDOWS_2003,
            VMI_OS_WINDOWS_VISTA,
            VMI_OS_WINDOWS_2008,
            VMI_OS_WINDOWS_7,
            VMI_OS_WINDOWS_8,
            VMI_OS_WINDOWS_10,
            VMI_PM_NONE,
            VMI_PM_UNKNOWN,
            VMI_PM_LEGACY,
            VMI_PM_PAE,
            VMI_PM_IA32E,
            VMI_PM_AARCH32,
            VMI_PM_AARCH64,
            VMI_PM_EPT_4L,
            VMI_PM_EPT_5L,
            VMI_PM_INITFLAG_TRANSITION_PAGES,
            VMI_PS_UNKNOWN,
            VMI_PS_1KB,
            VMI_PS_4KB,
            VMI_PS_16KB,
            VMI_PS_64KB,
            VMI_PS_1MB,
            VMI_PS_2MB,
            VMI_PS_4MB,
            VMI_PS_16MB,
            VMI_PS_32MB,
            VMI_PS_512MB,
            VMI_PS_1GB,
            VMI_INVALID_DOMID,
            VMI_INIT_DATA_XEN_EVTCHN,
            VMI_INIT_DATA_MEMMAP,
            VMI_INIT_DATA_KVMI_SOCKET,
            VMI_ARCH_UNKNOWN,
            VMI_ARCH_X86,
            VMI_ARCH_X86_64,
            VMI_ARCH_ARM32,
            VMI_ARCH_ARM64,
            VMI_EVENTS_VERSION,
            VMI_EVENT_INVALID,
            VMI_EVENT_MEMORY,
            VMI_EVENT_REGISTER,
            VMI_EVENT_SINGLESTEP,
            VMI_EVENT_INTERRUPT,
            VMI_EVENT_GUEST_REQUEST,
            VMI_EVENT_CPUID,
            VMI_EVENT_DEBUG_EXCEPTION,
            VMI_EVENT_PRIVILEGED_CALL,
            VMI_EVENT_DESCRIPTOR_ACCESS,
            VMI_EVENT_FAILED_EMULATION,
            VMI_EVENT_DOMAIN_WATCH,
            VMI_EVENT_VMEXIT,
            VMI_EVENT_IO,
            MAX_SINGLESTEP_VCPUS,
            VMI_REGACCESS_INVALID,
            VMI_REGACCESS_N,
            VMI_REGACCESS_R,
            VMI_REGACCESS_W,
            VMI_REGACCESS_RW,
            VMI_MEMACCESS_INVALID,
            VMI_MEMACCESS_N,
            VMI_MEMACCESS_R,
            VMI_MEMACCESS_W,
            VMI_MEMACCESS_X,
            VMI_MEMACCESS_RW,
            VMI_MEMACCESS_RX,
            VMI_MEMACCESS_WX,
            VMI_MEMACCESS_RWX,
            VMI_MEMACCESS_W2X,
            VMI_MEMACCESS_RWX2N,
            INT_INVALID,
            INT3,
            INT_NEXT,
            VMI_DESCRIPTOR_IDTR,
            VMI_DESCRIPTOR_GDTR,
            VMI_DESCRIPTOR_LDTR,
            VMI_DESCRIPTOR_TR,
            VMI_EVENT_RESPONSE_NONE,
            VMI_EVENT_RESPONSE_EMULATE,
            VMI_EVENT_RESPONSE_EMULATE_NOWRITE,
            VMI_EVENT_RESPONSE_SET_EMUL_READ_DATA,
            VMI_EVENT_RESPONSE_DENY,
            VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP,
            VMI_EVENT_RESPONSE_SLAT_ID,
            VMI_EVENT_RESPONSE_VMM_PAGETABLE_ID,
            VMI_EVENT_RESPONSE_SET_REGISTERS,
            VMI_EVENT_RESPONSE_SET_EMUL_INSN,
            VMI_EVENT_RESPONSE_GET_NEXT_INTERRUPT,
            VMI_EVENT_RESPONSE_NEXT_SLAT_ID,
            VMI_EVENT_RESPONSE_RESET_VMTRACE,
            VMI_EVENT_RESPONSE_RESET_FORK_STATE,
            VMI_EVENT_RESPONSE_RESET_FORK_MEM,
            __VMI_EVENT_RESPONSE_MAX,
            IMAGE_DOS_HEADER,
            IMAGE_NT_SIGNATURE,
            IMAGE_PE32_MAGIC,
            IMAGE_PE32_PLUS_MAGIC,
            IMAGE_DIRECTORY_ENTRY_EXPORT,
            IMAGE_DIRECTORY_ENTRY_IMPORT,
            IMAGE_DIRECTORY_ENTRY_RESOURCE,
            IMAGE_DIRECTORY_ENTRY_EXCEPTION,
            IMAGE_DIRECTORY_ENTRY_CERTIFICATE,
            IMAGE_DIRECTORY_ENTRY_BASERELOC,
            IMAGE_DIRECTORY_ENTRY_DEBUG,
            IMAGE_DIRECTORY_ENTRY_ARCHITECTURE,
            IMAGE_DIRECTORY_ENTRY_GLOBALPTR,
            IMAGE_DIRECTORY_ENTRY_TLS,
            IMAGE_DIRECTORY_ENTRY_LOAD_CONFIG,
            IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT,
            IMAGE_DIRECTORY_ENTRY_IAT,
            IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT,
            IMAGE_DIRECTORY_ENTRY_CLR_RUNTIME,
            IMAGE_DIRECTORY_ENTRY_RESERVED,
            EAX,
            EBX,
            ECX,
            EDX,
            EBP,
            ESI,
            EDI,
            ESP,
            EIP,
            EFLAGS,
            RAX,
            RBX,
            RCX,
            RDX,
            RBP,
            RSI,
            RDI,
            RSP,
            RIP,
            RFLAGS,
            R8,
            R9,
            R10,
            R11,
            R12,
            R13,
            R14,
            R15,
            CR0,
            CR2,
            CR3,
            CR4,
            XCR0,
            DR0,
            DR1,
            DR2,
            DR3,
            DR6,
            DR7,
            CS_SEL,
            DS_SEL,
            ES_SEL,
            FS_SEL,
            GS_SEL,
            SS_SEL,
            TR_SEL,
            LDTR_SEL,
            CS_LIMIT,
            DS_LIMIT,
            ES_LIMIT,
            FS_LIMIT,
            GS_LIMIT,
            SS_LIMIT,
            TR_LIMIT,
            LDTR_LIMIT,
            IDTR_LIMIT,
            GDTR_LIMIT,
            CS_BASE,
            DS_BASE,
            ES_BASE,
            FS_BASE,
            GS_BASE,
            SS_BASE,
            TR_BASE,
            LDTR_BASE,
            IDTR_BASE,
            GDTR_BASE,
            CS_ARBYTES,
            DS_ARBYTES,
            ES_ARBYTES,
            FS_ARBYTES,
            GS_ARBYTES,
            SS_ARBYTES,
            TR_ARBYTES,
            LDTR_ARBYTES,
            SYSENTER_CS,
            SYSENTER_ESP,
            SYSENTER_EIP,
            SHADOW_GS,
            TSC,
            MSR_FLAGS,
            MSR_LSTAR,
            MSR_CSTAR,
            MSR_SYSCALL_MASK,
            MSR_EFER,
            MSR_TSC_AUX,
            MSR_STAR,
            MSR_SHADOW_GS_BASE,
            MSR_MTRRfix64K_00000,
            MSR_MTRRfix16K_80000,
            MSR_MTRRfix16K_A0000,
            MSR_MTRRfix4K_C0000,
            MSR_MTRRfix4K_C8000,
            MSR_MTRRfix4K_D0000,
            MSR_MTRRfix4K_D8000,
            MSR_MTRRfix4K_E0000,
            MSR_MTRRfix4K_E8000,
            MSR_MTRRfix4K_F0000,
            MSR_MTRRfix4K_F8000,
            MSR_MTRRdefType,
            MSR_IA32_MC0_CTL,
            MSR_IA32_MC0_STATUS,
            MSR_IA32_MC0_ADDR,
            MSR_IA32_MC0_MISC,
            MSR_IA32_MC1_CTL,
            MSR_IA32_MC0_CTL2,
            MSR_AMD_PATCHLEVEL,
            MSR_AMD64_TSC_RATIO,
            MSR_IA32_P5_MC_ADDR,
            MSR_IA32_P5_MC_TYPE,
            MSR_IA32_TSC,
            MSR_IA32_PLATFORM_ID,
            MSR_IA32_EBL_CR_POWERON,
            MSR_IA32_EBC_FREQUENCY_ID,
            MSR_IA32_FEATURE_CONTROL,
            MSR_IA32_SYSENTER_CS,
            MSR_IA32_SYSENTER_ESP,
            MSR_IA32_SYSENTER_EIP,
            MSR_IA32_MISC_ENABLE,
            MSR_HYPERVISOR,
            MSR_ANY,
            MSR_UNDEFINED,
            MSR_ALL,
            SCTLR,
            CPSR,
            TTBCR,
            TTBR0,
            TTBR1,
            R0,
            R1,
            R2,
            R3,
            R4,
            R5,
            R6,
            R7,
            SPSR_SVC,
            SPSR_FIQ,
            SPSR_IRQ,
            SPSR_UND,
            SPSR_ABT,
            LR_IRQ,
            SP_IRQ,
            LR_SVC,
            SP_SVC,
            LR_ABT,
            SP_ABT,
            LR_UND,
            SP_UND,
            R8_FIQ,
            R9_FIQ,
            R10_FIQ,
            R11_FIQ,
            R12_FIQ,
            SP_FIQ,
            LR_FIQ,
            PC,
            SP_USR,
            LR_USR,
            PC32,
            SP_EL0,
            SP_EL1,
            ELR_EL1,
            X0,
            X1,
            X2,
            X3,
            X4,
            X5,
            X6,
            X7,
            X8,
            X9,
            X10,
            X11,
            X12,
            X13,
            X14,
            X15,
            X16,
            X17,
            X18,
            X19,
            X20,
            X21,
            X22,
            X23,
            X24,
            X25,
            X26,
            X27,
            X28,
            X29,
            X30,
            PC64,
            SPSR_EL1,
            TCR_EL1,
            PTRS_PER_PDPI,
            PTRS_PER_PAE_PTE,
            PTRS_PER_PAE_PGD,
            PTRS_PER_NOPAE_PTE,
            PTRS_PER_NOPAE_PGD,
        ]
    );
    e
}

const PROBE_PRELUDE: &str = r#"
#include <libvmi/libvmi.h>
#include <libvmi/events.h>
#include <libvmi/libvmi_extra.h>
#include <libvmi/slat.h>
#include <libvmi/x86.h>
#include <libvmi/peparse.h>

/* "first-bit width" of bitfield m of T: set it to all ones in a zeroed T
 * and see which bits change. */
#define abic_bits(T, m) ({ T abic_v; memset(&abic_v, 0, sizeof abic_v); \
                           abic_v.m = -1; abic_bits_of(&abic_v, sizeof abic_v); })
static const char *abic_bits_of(const void *p, size_t n) {
    static char buf[64];
    const unsigned char *b = p;
    int first = -1, count = 0;
    for (size_t i = 0; i < n * 8; i++) {
        if (b[i / 8] >> (i % 8) & 1) {
            if (first < 0) first = (int)i;
            count++;
        }
    }
    snprintf(buf, sizeof buf, "%d %d", first, count);
    return buf;
}

static const char *abic_int(int negative, long long s, unsigned long long u) {
    static char buf[64];
    if (negative) snprintf(buf, sizeof buf, "%lld", s);
    else snprintf(buf, sizeof buf, "%llu", u);
    return buf;
}
"#;

fn probe_source(entries: &[Entry]) -> String {
    let mut src = String::from(PROBE_PRELUDE);
    src.push_str("int main(void) {\n");
    for e in entries {
        src.push_str(&format!(
            "    printf(\"%s|{}\\n\", \"{}\", {});\n",
            e.fmt, e.key, e.args
        ));
    }
    src.push_str("    return 0;\n}\n");
    src
}

/// Compiles and runs the probe once; returns its `key -> value` output.
fn c_layout() -> &'static BTreeMap<String, String> {
    static OUT: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    OUT.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("layout-probe");
        std::fs::create_dir_all(&dir).expect("create probe dir");
        let src = dir.join("probe.c");
        let exe = dir.join("probe");
        std::fs::write(&src, probe_source(&entries())).expect("write probe.c");
        let compiler = cc::Build::new()
            .target(env!("VMI_BUILD_TARGET"))
            .host(env!("VMI_BUILD_TARGET"))
            .opt_level(0)
            .cargo_metadata(false)
            .get_compiler();
        let status = compiler
            .to_command()
            .arg("-std=gnu11")
            .arg("-w")
            .arg("-I")
            .arg(root.join("include"))
            .arg(&src)
            .arg("-o")
            .arg(&exe)
            .status()
            .expect("run the C compiler");
        assert!(
            status.success(),
            "layout probe failed to compile: {}",
            src.display()
        );
        let out = Command::new(&exe).output().expect("run the layout probe");
        assert!(out.status.success(), "layout probe failed");
        String::from_utf8(out.stdout)
            .expect("probe prints ASCII")
            .lines()
            .filter_map(|l| l.split_once('|'))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    })
}

/// Every disagreement between the C output and the Rust expectations.
fn mismatches(c: &BTreeMap<String, String>, entries: &[Entry]) -> Vec<String> {
    let mut bad = Vec::new();
    for e in entries {
        match c.get(&e.key) {
            Some(v) if *v == e.rust => {}
            Some(v) => bad.push(format!("{}: C {v}, Rust {}", e.key, e.rust)),
            None => bad.push(format!("{}: missing from the C probe output", e.key)),
        }
    }
    bad
}

#[test]
fn rust_layouts_match_the_c_headers() {
    let entries = entries();
    let c = c_layout();
    assert_eq!(
        c.len(),
        entries.len(),
        "probe output and table differ in length (duplicate keys?)"
    );
    let bad = mismatches(c, &entries);
    assert!(
        bad.is_empty(),
        "{} layout mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn a_wrong_expectation_is_reported() {
    // The comparison must be able to fail: perturb one value of each kind.
    let c = c_layout();
    for kind in [
        "record ",
        "member ",
        "flexible ",
        "bits ",
        "typedef ",
        "const ",
    ] {
        let mut entries = entries();
        let e = entries
            .iter_mut()
            .find(|e| e.key.starts_with(kind))
            .expect("table has every kind");
        e.rust.push('1');
        assert_eq!(
            mismatches(c, &entries).len(),
            1,
            "perturbed {kind}entry not caught"
        );
    }
}

/// Where the ABI manifest is, if this checkout has one beside it.
fn manifest_path() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("VMI_ABI_MANIFEST").map(PathBuf::from),
        Some(root.join("../shared/abi/libvmi-0.15-abi.json")),
        Some(PathBuf::from("/work/shared/abi/libvmi-0.15-abi.json")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

#[test]
fn table_covers_every_record_member_typedef_and_constant_of_the_manifest() {
    let Some(path) = manifest_path() else {
        eprintln!("note: ABI manifest not found; coverage against it not checked");
        return;
    };
    let text = std::fs::read_to_string(&path).expect("read manifest");
    let m: serde_json::Value = serde_json::from_str(&text).expect("parse manifest");
    let keys: std::collections::BTreeSet<String> = entries().into_iter().map(|e| e.key).collect();
    let mut want = Vec::new();
    for r in m["records"].as_array().expect("records") {
        let c = r["c"].as_str().expect("record name");
        want.push(format!("record {c}"));
        for mem in r["members"].as_array().expect("members") {
            let p = mem["path"].as_str().expect("member path");
            let kind = if mem["bitfield"].as_bool() == Some(true) {
                "bits"
            } else if mem["flexible"].as_bool() == Some(true) {
                "flexible"
            } else {
                "member"
            };
            want.push(format!("{kind} {c} {p}"));
        }
    }
    for t in m["typedefs"].as_array().expect("typedefs") {
        if t["kind"] != "struct" {
            want.push(format!(
                "typedef {}",
                t["name"].as_str().expect("typedef name")
            ));
        }
    }
    for k in m["constants"].as_array().expect("constants") {
        want.push(format!(
            "const {}",
            k["name"].as_str().expect("constant name")
        ));
    }
    let missing: Vec<_> = want.iter().filter(|k| !keys.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "not covered by the layout table: {missing:?}"
    );
}
