/*
 * libvmi-rs: second-level address translation (SLAT) views of LibVMI 0.15,
 * e.g. Xen altp2m. Include <libvmi/libvmi.h> first.
 *
 * This file is generated from capi/headers/slat.h.in and the Rust sources in
 * capi/ by `VMI_BLESS_HEADERS=1 cargo test --test headers`. Edit those, not
 * this file.
 *
 * SPDX-License-Identifier: LGPL-3.0-or-later
 */
#ifndef LIBVMI_SLAT_H
#define LIBVMI_SLAT_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#define NOEXCEPT noexcept
#else
#define NOEXCEPT
#endif

#pragma GCC visibility push(default)

/**
 * Old name of vmi_slat_state().
 */
__attribute__((deprecated))
status_t vmi_slat_get_domain_state(vmi_instance_t vmi,
                                   bool *state)
NOEXCEPT;

/**
 * Tells whether alternate SLAT views are enabled for the domain.
 */
status_t vmi_slat_state(vmi_instance_t vmi, bool *state) NOEXCEPT;

/**
 * Old name of vmi_slat_control().
 */
__attribute__((deprecated))
status_t vmi_slat_set_domain_state(vmi_instance_t vmi,
                                   bool state)
NOEXCEPT;

/**
 * Enables or disables alternate SLAT views for the domain.
 */
status_t vmi_slat_control(vmi_instance_t vmi, bool state) NOEXCEPT;

/**
 * Creates a new SLAT view and stores its id in `*slat_id`.
 */
status_t vmi_slat_create(vmi_instance_t vmi, uint16_t *slat_id) NOEXCEPT;

/**
 * Destroys SLAT view `slat_idx`.
 */
status_t vmi_slat_destroy(vmi_instance_t vmi, uint16_t slat_idx) NOEXCEPT;

/**
 * Makes SLAT view `slat_idx` active on all vCPUs.
 */
status_t vmi_slat_switch(vmi_instance_t vmi, uint16_t slat_idx) NOEXCEPT;

/**
 * In view `slat_idx`, makes frame `old_gfn` map to the memory of `new_gfn` (~0ull: restore).
 */
status_t vmi_slat_change_gfn(vmi_instance_t vmi,
                             uint16_t slat_idx,
                             addr_t old_gfn,
                             addr_t new_gfn)
NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_SLAT_H */
