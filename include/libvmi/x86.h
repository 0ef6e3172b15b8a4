/*
 * libvmi-rs: x86 paging constants and page-table entry tests of LibVMI 0.15.
 * The entry macros use VMI_GET_BIT from <libvmi/libvmi.h>.
 *
 * This file is generated from capi/headers/x86.h.in by
 * `VMI_BLESS_HEADERS=1 cargo test --test headers`. Edit that, not this file.
 *
 * SPDX-License-Identifier: LGPL-3.0-or-later
 */
#ifndef LIBVMI_X86_H
#define LIBVMI_X86_H

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Entries per table. */
#define PTRS_PER_PDPI      4
#define PTRS_PER_PAE_PTE   512
#define PTRS_PER_PAE_PGD   512
#define PTRS_PER_NOPAE_PTE 1024
#define PTRS_PER_NOPAE_PGD 1024

/* Single bits of a page-table entry, each 0 or 1. */
#define PRESENT(entry)         VMI_GET_BIT(entry, 0)
#define READ_WRITE(entry)      VMI_GET_BIT(entry, 1)
#define USER_SUPERVISOR(entry) VMI_GET_BIT(entry, 2)
#define WRITE_THROUGH(entry)   VMI_GET_BIT(entry, 3)
#define CACHE_DISABLED(entry)  VMI_GET_BIT(entry, 4)
#define ACCESSED(entry)        VMI_GET_BIT(entry, 5)
#define DIRTY(entry)           VMI_GET_BIT(entry, 6)
#define PAGE_SIZE(entry)       VMI_GET_BIT(entry, 7)
#define GLOBAL_PAGE(entry)     VMI_GET_BIT(entry, 8)
#define PROTOTYPE(entry)       VMI_GET_BIT(entry, 10) /* Windows prototype PTE */
#define TRANSITION(entry)      VMI_GET_BIT(entry, 11) /* Windows transition PTE */
#define NX(entry)              VMI_GET_BIT(entry, 63)

/* Present, or (when transition_pages is set) a Windows transition page. */
#define ENTRY_PRESENT(transition_pages, entry) \
    (PRESENT(entry) || ((transition_pages) && TRANSITION(entry) && !PROTOTYPE(entry)))

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_X86_H */
