/*
 * libvmi-rs: PE (Windows executable) header parsing of LibVMI 0.15.
 * Include <libvmi/libvmi.h> first.
 *
 * This file is generated from capi/headers/peparse.h.in and the Rust sources
 * in capi/ by `VMI_BLESS_HEADERS=1 cargo test --test headers`. Edit those,
 * not this file.
 *
 * SPDX-License-Identifier: LGPL-3.0-or-later
 */
#ifndef LIBVMI_PEPARSE_H
#define LIBVMI_PEPARSE_H

#ifdef __cplusplus
extern "C" {
#define NOEXCEPT noexcept
#else
#define NOEXCEPT
#endif

#pragma GCC visibility push(default)

/* Magic numbers. */
#define IMAGE_DOS_HEADER      0x5A4D     /* "MZ" */
#define IMAGE_NT_SIGNATURE    0x00004550 /* "PE\0\0" */
#define IMAGE_PE32_MAGIC      0x10b
#define IMAGE_PE32_PLUS_MAGIC 0x20b

/* Indices into the optional header's data directory (idd). */
#define IMAGE_DIRECTORY_ENTRY_EXPORT       0
#define IMAGE_DIRECTORY_ENTRY_IMPORT       1
#define IMAGE_DIRECTORY_ENTRY_RESOURCE     2
#define IMAGE_DIRECTORY_ENTRY_EXCEPTION    3
#define IMAGE_DIRECTORY_ENTRY_CERTIFICATE  4
#define IMAGE_DIRECTORY_ENTRY_BASERELOC    5
#define IMAGE_DIRECTORY_ENTRY_DEBUG        6
#define IMAGE_DIRECTORY_ENTRY_ARCHITECTURE 7
#define IMAGE_DIRECTORY_ENTRY_GLOBALPTR    8
#define IMAGE_DIRECTORY_ENTRY_TLS          9
#define IMAGE_DIRECTORY_ENTRY_LOAD_CONFIG  10
#define IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT 11
#define IMAGE_DIRECTORY_ENTRY_IAT          12
#define IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT 13
#define IMAGE_DIRECTORY_ENTRY_CLR_RUNTIME  14
#define IMAGE_DIRECTORY_ENTRY_RESERVED     15

/* The structures below mirror the on-disk format byte for byte. */

struct image_data_directory {
    uint32_t virtual_address; /* RVA */
    uint32_t size;
} __attribute__ ((packed));

/* COFF file header, preceded by the signature. */
struct pe_header {
    int32_t signature; /* IMAGE_NT_SIGNATURE */
    uint16_t machine;
    uint16_t number_of_sections;
    uint32_t time_date_stamp;
    uint32_t pointer_to_symbol_table;
    uint32_t number_of_symbols;
    uint16_t size_of_optional_header;
    uint16_t characteristics;
} __attribute__ ((packed));

/* MS-DOS stub header at the start of every image. */
struct dos_header {
    uint16_t signature; /* IMAGE_DOS_HEADER */
    uint16_t bytes_in_last_block;
    uint16_t blocks_in_file;
    uint16_t reloc_ct;
    uint16_t header_size;
    uint16_t min_mem;
    uint16_t max_mem;
    uint16_t ss;
    uint16_t sp;
    uint16_t chksum;
    uint16_t ip;
    uint16_t cs;
    uint16_t reloc_tbl_ofs;
    uint16_t overlay;
    uint8_t reserved[32];
    uint32_t offset_to_pe; /* file offset of struct pe_header */
} __attribute__ ((packed));

/* Optional header of 32-bit images. */
struct optional_header_pe32 {
    uint16_t magic; /* IMAGE_PE32_MAGIC */
    uint8_t major_linker_version;
    uint8_t minor_linker_version;
    uint32_t size_of_code;
    uint32_t size_of_initialized_data;
    uint32_t size_of_uninitialized_data;
    uint32_t address_of_entry_point;
    uint32_t base_of_code;
    uint32_t base_of_data;
    uint32_t image_base;
    uint32_t section_alignment;
    uint32_t file_alignment;
    uint16_t major_os_version;
    uint16_t minor_os_version;
    uint16_t major_image_version;
    uint16_t minor_image_version;
    uint16_t major_subsystem_version;
    uint16_t minor_subsystem_version;
    uint32_t win32_version_value;
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t checksum;
    uint16_t subsystem;
    uint16_t dll_characteristics;
    uint32_t size_of_stack_reserve;
    uint32_t size_of_stack_commit;
    uint32_t size_of_heap_reserve;
    uint32_t size_of_heap_commit;
    uint32_t loader_flags;
    uint32_t number_of_rva_and_sizes;
    struct image_data_directory idd[16];
} __attribute__ ((packed));

/* Optional header of 64-bit images. */
struct optional_header_pe32plus {
    uint16_t magic; /* IMAGE_PE32_PLUS_MAGIC */
    uint8_t major_linker_version;
    uint8_t minor_linker_version;
    uint32_t size_of_code;
    uint32_t size_of_initialized_data;
    uint32_t size_of_uninitialized_data;
    uint32_t address_of_entry_point;
    uint32_t base_of_code;
    uint64_t image_base;
    uint32_t section_alignment;
    uint32_t file_alignment;
    uint16_t major_os_version;
    uint16_t minor_os_version;
    uint16_t major_image_version;
    uint16_t minor_image_version;
    uint16_t major_subsystem_version;
    uint16_t minor_subsystem_version;
    uint32_t win32_version_value;
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t checksum;
    uint16_t subsystem;
    uint16_t dll_characteristics;
    uint64_t size_of_stack_reserve;
    uint64_t size_of_stack_commit;
    uint64_t size_of_heap_reserve;
    uint64_t size_of_heap_commit;
    uint32_t loader_flags;
    uint32_t number_of_rva_and_sizes;
    struct image_data_directory idd[16];
} __attribute__ ((packed));

struct section_header {
    char short_name[8];
    union {
        uint32_t physical_address;
        uint32_t virtual_size;
    } a;
    uint32_t virtual_address;
    uint32_t size_of_raw_data;
    uint32_t pointer_to_raw_data;
    uint32_t pointer_to_relocations;
    uint32_t pointer_to_line_numbers;
    uint16_t number_of_relocations;
    uint16_t number_of_line_numbers;
    uint32_t characteristics;
} __attribute__ ((packed));

/* Export directory (IMAGE_DIRECTORY_ENTRY_EXPORT). */
struct export_table {
    uint32_t export_flags;
    uint32_t time_date_stamp;
    uint16_t major_version;
    uint16_t minor_version;
    uint32_t name;                     /* RVA of the image name */
    uint32_t base;                     /* first ordinal */
    uint32_t number_of_functions;
    uint32_t number_of_names;
    uint32_t address_of_functions;     /* RVA of the function RVA array */
    uint32_t address_of_names;         /* RVA of the name RVA array */
    uint32_t address_of_name_ordinals; /* RVA of the ordinal array */
} __attribute__ ((packed));

/**
 * Checks that the `len` bytes at `image` start with valid DOS and PE headers.
 */
status_t peparse_validate_pe_image(const uint8_t *image, size_t len) NOEXCEPT;

/**
 * Reads the first `len` bytes of the PE image at the address `ctx` describes into `image`.
 */
status_t peparse_get_image(vmi_instance_t vmi,
                           const access_context_t *ctx,
                           size_t len,
                           uint8_t *image)
NOEXCEPT;

/**
 * Points each non-NULL output at the corresponding header inside `image`;
 * `*optional_header_type` gets the optional header's magic.
 */
void peparse_assign_headers(const uint8_t *image,
                            struct dos_header **dos_header,
                            struct pe_header **pe_header,
                            uint16_t *optional_header_type,
                            void **optional_pe_header,
                            struct optional_header_pe32 **oh_pe32,
                            struct optional_header_pe32plus **oh_pe32plus)
NOEXCEPT;

/**
 * Returns the RVA of data directory `entry_id` from whichever optional header is given.
 */
addr_t peparse_get_idd_rva(uint32_t entry_id,
                           uint16_t *optional_header_type,
                           void *optional_header,
                           struct optional_header_pe32 *oh_pe32,
                           struct optional_header_pe32plus *oh_pe32plus)
NOEXCEPT;

/**
 * Returns the size of data directory `entry_id` from whichever optional header is given.
 */
size_t peparse_get_idd_size(uint32_t entry_id,
                            uint16_t *optional_header_type,
                            void *optional_header,
                            struct optional_header_pe32 *oh_pe32,
                            struct optional_header_pe32plus *oh_pe32plus)
NOEXCEPT;

/**
 * Reads the export directory of the PE image at the address `ctx` describes.
 */
status_t peparse_get_export_table(vmi_instance_t vmi,
                                  const access_context_t *ctx,
                                  struct export_table *et,
                                  addr_t *export_table_rva,
                                  size_t *export_table_size)
NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_PEPARSE_H */
