/*
 * libvmi-rs: event interface of LibVMI 0.15.
 *
 * This file is generated from capi/headers/events.h.in and the Rust sources
 * in capi/ by `VMI_BLESS_HEADERS=1 cargo test --test headers`. Edit those,
 * not this file.
 *
 * SPDX-License-Identifier: LGPL-3.0-or-later
 */
#ifndef LIBVMI_EVENTS_H
#define LIBVMI_EVENTS_H

/* Layout version of vmi_event_t; callers store it in vmi_event_t.version. */
#define VMI_EVENTS_VERSION 0x00000009

#ifdef __cplusplus
extern "C" {
#define NOEXCEPT noexcept
#else
#define NOEXCEPT
#endif

#pragma GCC visibility push(default)

#include <stdbool.h>
#include <libvmi/libvmi.h>

/* Kind of event (VMI_EVENT_*). */
typedef uint16_t vmi_event_type_t;

#define VMI_EVENT_INVALID           0
#define VMI_EVENT_MEMORY            1  /* access to a guest page */
#define VMI_EVENT_REGISTER          2  /* access to a register */
#define VMI_EVENT_SINGLESTEP        3  /* one instruction executed */
#define VMI_EVENT_INTERRUPT         4  /* interrupt or exception delivered */
#define VMI_EVENT_GUEST_REQUEST     5  /* hypercall from the guest */
#define VMI_EVENT_CPUID             6  /* CPUID executed */
#define VMI_EVENT_DEBUG_EXCEPTION   7  /* debug exception */
#define VMI_EVENT_PRIVILEGED_CALL   8  /* privileged call, e.g. ARM SMC */
#define VMI_EVENT_DESCRIPTOR_ACCESS 9  /* descriptor-table register accessed */
#define VMI_EVENT_FAILED_EMULATION  10 /* requested emulation did not happen */
#define VMI_EVENT_DOMAIN_WATCH      11 /* domain created or destroyed */
#define VMI_EVENT_VMEXIT            12 /* any VM exit */
#define VMI_EVENT_IO                13 /* port I/O instruction */

/* Width of single_step_event_t.vcpus. */
#define MAX_SINGLESTEP_VCPUS 32

/* Register access kinds (VMI_REGACCESS_*). */
typedef uint8_t vmi_reg_access_t;

#define VMI_REGACCESS_INVALID 0
#define VMI_REGACCESS_N       (1 << 0)
#define VMI_REGACCESS_R       (1 << 1)
#define VMI_REGACCESS_W       (1 << 2)
#define VMI_REGACCESS_RW      (VMI_REGACCESS_R | VMI_REGACCESS_W)

/* Memory access kinds (VMI_MEMACCESS_*). */
typedef uint8_t vmi_mem_access_t;

#define VMI_MEMACCESS_INVALID 0
#define VMI_MEMACCESS_N       (1 << 0)
#define VMI_MEMACCESS_R       (1 << 1)
#define VMI_MEMACCESS_W       (1 << 2)
#define VMI_MEMACCESS_X       (1 << 3)
#define VMI_MEMACCESS_RW      (VMI_MEMACCESS_R | VMI_MEMACCESS_W)
#define VMI_MEMACCESS_RX      (VMI_MEMACCESS_R | VMI_MEMACCESS_X)
#define VMI_MEMACCESS_WX      (VMI_MEMACCESS_W | VMI_MEMACCESS_X)
#define VMI_MEMACCESS_RWX     (VMI_MEMACCESS_R | VMI_MEMACCESS_W | VMI_MEMACCESS_X)
#define VMI_MEMACCESS_W2X     (1 << 4) /* trap write, then execute */
#define VMI_MEMACCESS_RWX2N   (1 << 5) /* trap any access, then none */

/* Data to return to the guest for an emulated read. */
typedef struct emul_read {
    uint32_t size;
    uint8_t dont_free; /* non-zero: the library must not free this buffer */
    uint8_t _pad[3];
    uint8_t data[256];
} emul_read_t;

/* Instruction bytes to emulate in place of the guest's. */
typedef struct emul_insn {
    uint8_t dont_free; /* non-zero: the library must not free this buffer */
    uint8_t _pad[7];
    uint8_t data[16];
} emul_insn_t;

typedef struct reg_event {
    reg_t reg;                   /* register to watch */
    reg_t equal;                 /* only report when the new value is this */
    uint8_t async;               /* do not pause the vCPU */
    uint8_t onchange;            /* only report when the value changes */
    vmi_reg_access_t in_access;  /* accesses to trap */
    vmi_reg_access_t out_access; /* access that happened */
    uint32_t _pad1;
    reg_t value;                 /* new value */
    reg_t previous;              /* old value */
    uint32_t msr;                /* MSR index, for MSR events */
    uint32_t _pad2;
} reg_event_t;

typedef struct mem_access_event {
    addr_t gfn;                  /* guest frame watched */
    uint8_t generic;             /* watch all frames */
    vmi_mem_access_t in_access;  /* accesses to trap */
    vmi_mem_access_t out_access; /* access that happened */
    uint8_t gptw;                /* happened during a page-table walk */
    uint8_t gla_valid;           /* gla holds the linear address */
    uint8_t _pad[3];
    addr_t gla;
    addr_t offset;               /* offset within the frame */
} mem_access_event_t;

typedef struct watch_domain_event {
    char *uuid;
    uint32_t domain;
    bool created; /* created (true) or destroyed (false) */
} watch_domain_event_t;

/* Interrupt kinds (INT_*). */
typedef uint8_t interrupts_t;

#define INT_INVALID 0
#define INT3        1 /* software breakpoint */
#define INT_NEXT    2 /* whatever interrupt comes next */

typedef struct interrupt_event {
    interrupts_t intr;
    uint8_t _pad1[7];
    union {
        struct { /* INT3 */
            uint32_t insn_length;
            int8_t reinject; /* 1 re-inject, 0 swallow, -1 unset */
            uint8_t _pad2[3];
            addr_t gla;
            addr_t gfn;
            addr_t offset;
            uint16_t _pad3;
        };
        struct { /* INT_NEXT */
            uint32_t vector;
            uint32_t type;
            uint32_t error_code;
            uint32_t _pad4;
            uint64_t cr2;
        };
    };
} interrupt_event_t;

typedef struct privcall_event {
    addr_t gla;
    addr_t gfn;
    addr_t offset;
} privcall_event_t;

typedef struct single_step_event {
    uint32_t vcpus; /* one bit per vCPU id */
    uint8_t enable; /* start stepping at registration */
    uint8_t _pad[3];
    addr_t gla;
    addr_t gfn;
    addr_t offset;
} single_step_event_t;

typedef struct debug_event {
    addr_t gla;
    addr_t gfn;
    addr_t offset;
    uint32_t insn_length;
    uint8_t type;
    int8_t reinject;
    uint16_t _pad;
} debug_event_t;

typedef struct cpuid_event {
    uint32_t insn_length;
    uint32_t leaf;
    uint32_t subleaf;
    uint32_t _pad;
} cpuid_event_t;

typedef struct {
    uint32_t bytes;
    uint16_t port;
    uint8_t in;  /* 1 for IN, 0 for OUT */
    uint8_t str; /* string instruction */
} io_event_t;

/* Descriptor-table registers (descriptor_event_t.descriptor). */
#define VMI_DESCRIPTOR_IDTR 1
#define VMI_DESCRIPTOR_GDTR 2
#define VMI_DESCRIPTOR_LDTR 3
#define VMI_DESCRIPTOR_TR   4

typedef struct desriptor_event {
    union {
        struct { /* Intel VMX */
            uint32_t instr_info;
            uint32_t _pad1;
            uint64_t exit_qualification;
        };
        uint64_t exit_info; /* AMD SVM */
    };
    uint8_t descriptor; /* VMI_DESCRIPTOR_* */
    uint8_t is_write;
    uint8_t _pad2[6];
} descriptor_event_t;

typedef struct vmexit_event {
    uint8_t sync;           /* set by the caller: pause the vCPU */
    uint64_t reason;        /* set by the library */
    uint64_t qualification; /* set by the library */
} vmexit_event_t;

struct vmi_event;
typedef struct vmi_event vmi_event_t;

/* Bits a callback returns to ask for actions (VMI_EVENT_RESPONSE_*). */
typedef uint32_t event_response_flags_t;

#define VMI_EVENT_RESPONSE_NONE               0
#define VMI_EVENT_RESPONSE_EMULATE            (1u << 1)
#define VMI_EVENT_RESPONSE_EMULATE_NOWRITE    (1u << 2)
#define VMI_EVENT_RESPONSE_SET_EMUL_READ_DATA (1u << 3)
#define VMI_EVENT_RESPONSE_DENY               (1u << 4)
#define VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP  (1u << 5)
#define VMI_EVENT_RESPONSE_SLAT_ID            (1u << 6)
#define VMI_EVENT_RESPONSE_VMM_PAGETABLE_ID   VMI_EVENT_RESPONSE_SLAT_ID
#define VMI_EVENT_RESPONSE_SET_REGISTERS      (1u << 7)
#define VMI_EVENT_RESPONSE_SET_EMUL_INSN      (1u << 8)
#define VMI_EVENT_RESPONSE_GET_NEXT_INTERRUPT (1u << 9)
#define VMI_EVENT_RESPONSE_NEXT_SLAT_ID       (1u << 10)
#define VMI_EVENT_RESPONSE_RESET_VMTRACE      (1u << 11)
#define VMI_EVENT_RESPONSE_RESET_FORK_STATE   (1u << 12)
#define VMI_EVENT_RESPONSE_RESET_FORK_MEM     (1u << 13)
#define __VMI_EVENT_RESPONSE_MAX              13

/* OR of VMI_EVENT_RESPONSE_* flags. */
typedef uint32_t event_response_t;

/* Called for each delivered event. */
typedef event_response_t (*event_callback_t)(vmi_instance_t vmi, vmi_event_t *event);

/* Called once an event has been cleared or swapped out. */
typedef void (*vmi_event_free_t)(vmi_event_t *event, status_t rc);

/* One event registration; owned by the caller, filled in on delivery. */
struct vmi_event {
    uint32_t version;      /* VMI_EVENTS_VERSION */
    vmi_event_type_t type; /* VMI_EVENT_* */
    uint16_t slat_id;      /* view the event is registered in */
    uint16_t next_slat_id; /* view to switch to (VMI_EVENT_RESPONSE_NEXT_SLAT_ID) */
    uint16_t _reserved[3];
    void *data;            /* for the caller */
    event_callback_t callback;
    uint32_t vcpu_id;      /* vCPU that raised the event */
    page_mode_t page_mode; /* paging mode of that vCPU */
    union {
        reg_event_t reg_event;
        mem_access_event_t mem_event;
        single_step_event_t ss_event;
        interrupt_event_t interrupt_event;
        privcall_event_t privcall_event;
        cpuid_event_t cpuid_event;
        debug_event_t debug_event;
        descriptor_event_t descriptor_event;
        watch_domain_event_t watch_event;
        vmexit_event_t vmexit_event;
        io_event_t io_event;
    };
    union {
        union { /* registers of vcpu_id at delivery */
            x86_registers_t *x86_regs;
            arm_registers_t *arm_regs;
        };
        emul_read_t *emul_read; /* with VMI_EVENT_RESPONSE_SET_EMUL_READ_DATA */
        emul_insn_t *emul_insn; /* with VMI_EVENT_RESPONSE_SET_EMUL_INSN */
    };
};

/* Add, remove or test vCPU x in a single_step_event_t's vcpus mask. */
#define SET_VCPU_SINGLESTEP(ss_event, x) \
    do { (ss_event).vcpus |= (1 << (x)); } while (0)
#define UNSET_VCPU_SINGLESTEP(ss_event, x) \
    do { (ss_event).vcpus &= ~(1 << (x)); } while (0)
#define CHECK_VCPU_SINGLESTEP(ss_event, x) \
    (((ss_event).vcpus) & (1 << (x)))

/* Fill in the common fields of an event before vmi_register_event(). */
#define SETUP_SINGLESTEP_EVENT(_event, _vcpu_mask, _callback, _enable) \
    do {                                                               \
        (_event)->version = VMI_EVENTS_VERSION;                        \
        (_event)->type = VMI_EVENT_SINGLESTEP;                         \
        (_event)->ss_event.vcpus = (_vcpu_mask);                       \
        (_event)->ss_event.enable = (_enable);                         \
        (_event)->callback = (_callback);                              \
    } while (0)

#define SETUP_MEM_EVENT(_event, _gfn, _access, _callback, _generic) \
    do {                                                            \
        (_event)->version = VMI_EVENTS_VERSION;                     \
        (_event)->type = VMI_EVENT_MEMORY;                          \
        (_event)->mem_event.gfn = (_generic) ? ~0ULL : (_gfn);      \
        (_event)->mem_event.in_access = (_access);                  \
        (_event)->mem_event.generic = (_generic);                   \
        (_event)->callback = (_callback);                           \
    } while (0)

#define SETUP_REG_EVENT(_event, _reg, _access, _equal, _callback) \
    do {                                                          \
        (_event)->version = VMI_EVENTS_VERSION;                   \
        (_event)->type = VMI_EVENT_REGISTER;                      \
        (_event)->reg_event.reg = (_reg);                         \
        (_event)->reg_event.in_access = (_access);                \
        (_event)->reg_event.equal = (_equal);                     \
        (_event)->callback = (_callback);                         \
    } while (0)

#define SETUP_INTERRUPT_EVENT(_event, _callback)      \
    do {                                              \
        (_event)->version = VMI_EVENTS_VERSION;       \
        (_event)->type = VMI_EVENT_INTERRUPT;         \
        (_event)->interrupt_event.intr = INT3;        \
        (_event)->interrupt_event.reinject = -1;      \
        (_event)->callback = (_callback);             \
    } while (0)

#define SETUP_PRIVCALL_EVENT(_event, _callback)       \
    do {                                              \
        (_event)->version = VMI_EVENTS_VERSION;       \
        (_event)->type = VMI_EVENT_PRIVILEGED_CALL;   \
        (_event)->callback = (_callback);             \
    } while (0)

#define SETUP_IO_EVENT(_event, _callback)             \
    do {                                              \
        (_event)->version = VMI_EVENTS_VERSION;       \
        (_event)->type = VMI_EVENT_IO;                \
        (_event)->callback = (_callback);             \
    } while (0)

/**
 * Returns the VMI_EVENTS_VERSION the library was built with.
 */
uint32_t vmi_events_version(void) NOEXCEPT;

/**
 * Registers `event`, which must stay valid until cleared.
 */
status_t vmi_register_event(vmi_instance_t vmi, vmi_event_t *event) NOEXCEPT;

/**
 * Replaces registered `swap_from` with `swap_to` atomically; `free_routine` (if given) is called
 * for `swap_from`.
 */
status_t vmi_swap_events(vmi_instance_t vmi,
                         vmi_event_t *swap_from,
                         vmi_event_t *swap_to,
                         vmi_event_free_t free_routine)
NOEXCEPT;

/**
 * Unregisters `event`; `free_routine` (if given) is called once it is no longer in use.
 */
status_t vmi_clear_event(vmi_instance_t vmi,
                         vmi_event_t *event,
                         vmi_event_free_t free_routine)
NOEXCEPT;

/**
 * Returns the event registered for register `reg`, or NULL.
 */
vmi_event_t *vmi_get_reg_event(vmi_instance_t vmi, reg_t reg) NOEXCEPT;

/**
 * Returns the memory event registered for frame `gfn` with `access`, or NULL.
 */
vmi_event_t *vmi_get_mem_event(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access) NOEXCEPT;

/**
 * Sets the access permissions of frame `gfn` in view `vmm_pagetable_id`, without a callback.
 */
status_t vmi_set_mem_event(vmi_instance_t vmi,
                           addr_t gfn,
                           vmi_mem_access_t access,
                           uint16_t vmm_pagetable_id)
NOEXCEPT;

/**
 * Sets the access permissions of frames `gfn_start`..`gfn_end` in view `vmm_pagetable_id`.
 */
status_t vmi_set_mem_event_range(vmi_instance_t vmi,
                                 addr_t gfn_start,
                                 addr_t gfn_end,
                                 vmi_mem_access_t access,
                                 uint16_t vmm_pagetable_id)
NOEXCEPT;

/**
 * Single-steps vCPU `vcpu_id` for `steps` instructions after `event`; `cb` (if given) runs
 * afterwards.
 */
status_t vmi_step_event(vmi_instance_t vmi,
                        vmi_event_t *event,
                        uint32_t vcpu_id,
                        uint64_t steps,
                        event_callback_t cb)
NOEXCEPT;

/**
 * Waits up to `timeout` ms for events and dispatches them to their callbacks.
 */
status_t vmi_events_listen(vmi_instance_t vmi, uint32_t timeout) NOEXCEPT;

/**
 * Tells the library whether a listener loop is running (needed for clean teardown).
 */
status_t vmi_event_listener_required(vmi_instance_t vmi, bool required) NOEXCEPT;

/**
 * Returns the number of events waiting to be processed, -1 on error.
 */
int vmi_are_events_pending(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the single-step event registered for vCPU `vcpu`, or NULL.
 */
vmi_event_t *vmi_get_singlestep_event(vmi_instance_t vmi, uint32_t vcpu) NOEXCEPT;

/**
 * Stops single-stepping vCPU `vcpu` for `event`.
 */
status_t vmi_stop_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu) NOEXCEPT;

/**
 * Turns single-stepping of vCPU `vcpu` on or off for `event`.
 */
status_t vmi_toggle_single_step_vcpu(vmi_instance_t vmi,
                                     vmi_event_t *event,
                                     uint32_t vcpu,
                                     bool enabled)
NOEXCEPT;

/**
 * Stops single-stepping on all vCPUs and clears single-step events.
 */
status_t vmi_shutdown_single_step(vmi_instance_t vmi) NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_EVENTS_H */
