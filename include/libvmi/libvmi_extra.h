/*
 * libvmi-rs: LibVMI 0.15 functions that use GLib or json-c types.
 * Include <libvmi/libvmi.h> first. Define LIBVMI_EXTRA_GLIB and/or
 * LIBVMI_EXTRA_JSON to get the respective declarations.
 *
 * This file is generated from capi/headers/libvmi_extra.h.in and the Rust
 * sources in capi/ by `VMI_BLESS_HEADERS=1 cargo test --test headers`. Edit
 * those, not this file.
 *
 * SPDX-License-Identifier: LGPL-3.0-or-later
 */
#ifndef LIBVMI_EXTRA_H
#define LIBVMI_EXTRA_H

#ifdef LIBVMI_EXTRA_GLIB
#include <glib.h>
#endif

#ifdef LIBVMI_EXTRA_JSON
#include <json-c/json.h>
#endif

#ifdef __cplusplus
extern "C" {
#define NOEXCEPT noexcept
#else
#define NOEXCEPT
#endif

#pragma GCC visibility push(default)

#ifdef LIBVMI_EXTRA_GLIB

/**
 * Returns every mapped page of page table `pt` as a GSList of heap-allocated page_info_t; free
 * each with g_free() and the list with g_slist_free().
 */
GSList *vmi_get_va_pages(vmi_instance_t vmi, addr_t pt) NOEXCEPT;

/**
 * Like vmi_get_va_pages, for `pt` (mode `pm`) under nested table `npt` (mode `npm`).
 */
GSList *vmi_get_nested_va_pages(vmi_instance_t vmi,
                                addr_t npt,
                                page_mode_t npm,
                                addr_t pt,
                                page_mode_t pm)
NOEXCEPT;

#endif /* LIBVMI_EXTRA_GLIB */

#ifdef LIBVMI_EXTRA_JSON

/**
 * Loads the OS profile from `config` without further OS setup. Returns the OS type found.
 */
os_t vmi_init_profile(vmi_instance_t vmi, vmi_config_t config_mode, void *config) NOEXCEPT;

/**
 * Returns the kernel's JSON profile; it belongs to the instance.
 */
json_object *vmi_get_kernel_json(vmi_instance_t vmi) NOEXCEPT;

/**
 * Looks up the address of `symbol` in JSON profile `json`.
 */
status_t vmi_get_symbol_addr_from_json(vmi_instance_t vmi,
                                       json_object *json,
                                       const char *symbol,
                                       addr_t *addr)
NOEXCEPT;

/**
 * Looks up the size of struct `struct_name` in JSON profile `json`.
 */
status_t vmi_get_struct_size_from_json(vmi_instance_t vmi,
                                       json_object *json,
                                       const char *struct_name,
                                       size_t *size)
NOEXCEPT;

/**
 * Looks up the offset of `struct_member` in struct `struct_name` in JSON profile `json`.
 */
status_t vmi_get_struct_member_offset_from_json(vmi_instance_t vmi,
                                                json_object *json,
                                                const char *struct_name,
                                                const char *struct_member,
                                                addr_t *offset)
NOEXCEPT;

/**
 * Looks up the byte offset and first/last bit of bitfield `struct_member` of struct
 * `struct_name` in JSON profile `json`.
 */
status_t vmi_get_bitfield_offset_and_size_from_json(vmi_instance_t vmi,
                                                    json_object *json,
                                                    const char *struct_name,
                                                    const char *struct_member,
                                                    addr_t *offset,
                                                    size_t *start_bit,
                                                    size_t *end_bit);

/**
 * Looks up the type name of `struct_member` of struct `struct_name` in JSON profile `json`.
 * (Declared but exported under another name by upstream LibVMI.)
 */
status_t vmi_get_struct_field_type_name_from_json(vmi_instance_t vmi,
                                                  json_object *json,
                                                  const char *struct_name,
                                                  const char *struct_member,
                                                  const char **member_type_name)
NOEXCEPT;

#endif /* LIBVMI_EXTRA_JSON */

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_EXTRA_H */
