/*
 * libvmi-rs: C interface of LibVMI 0.15 (virtual machine introspection).
 *
 * This file is generated from capi/headers/libvmi.h.in and the Rust sources
 * in capi/ by `VMI_BLESS_HEADERS=1 cargo test --test headers`. Edit those,
 * not this file.
 *
 * SPDX-License-Identifier: LGPL-3.0-or-later
 */
#ifndef LIBVMI_H
#define LIBVMI_H

#ifdef __cplusplus
extern "C" {
#define NOEXCEPT noexcept
#else
#define NOEXCEPT
#endif

#pragma GCC visibility push(default)

/* Programs written against LibVMI rely on these coming in with libvmi.h. */
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <sys/mman.h>
#include <errno.h>
#include <string.h>
#include <stdbool.h>

/* ---- Initialisation flags (init_flags of vmi_init and friends) ---- */

#define VMI_INIT_DOMAINNAME  (1u << 0) /* `domain` is a name (const char *) */
#define VMI_INIT_DOMAINID    (1u << 1) /* `domain` points to a uint64_t domain id */
#define VMI_INIT_EVENTS      (1u << 2) /* also set up the event subsystem */
#define VMI_INIT_DOMAINUUID  (1u << 3) /* `domain` is a UUID string */
#define VMI_INIT_DOMAINWATCH (1u << 4) /* watch for domains being created/destroyed */
#define VMI_INIT_V2SYM       (1u << 5) /* build the address-to-kernel-symbol table */

/* Which hypervisor (or file) backs the instance. */
typedef enum vmi_mode {
    VMI_XEN,
    VMI_KVM,
    VMI_FILE,
    VMI_BAREFLANK
} vmi_mode_t;

/* How the `config` argument of vmi_init_complete/vmi_init_os is given. */
typedef enum vmi_config {
    VMI_CONFIG_GLOBAL_FILE_ENTRY, /* look the VM up in the global config file */
    VMI_CONFIG_STRING,            /* `config` is a config-file entry as a string */
    VMI_CONFIG_GHASHTABLE,        /* `config` is a GHashTable of key/value pairs */
    VMI_CONFIG_JSON_PATH,         /* `config` is the path of a JSON profile */
    VMI_CONFIG_FILE_PATH,         /* `config` is the path of a config file */
} vmi_config_t;

/* Result of most calls. */
typedef enum status {
    VMI_SUCCESS,
    VMI_FAILURE
} status_t;

/* Why initialisation failed. */
typedef enum vmi_init_error {
    VMI_INIT_ERROR_NONE,
    VMI_INIT_ERROR_DRIVER_NOT_DETECTED,
    VMI_INIT_ERROR_DRIVER,
    VMI_INIT_ERROR_VM_NOT_FOUND,
    VMI_INIT_ERROR_PAGING,
    VMI_INIT_ERROR_OS,
    VMI_INIT_ERROR_EVENTS,
    VMI_INIT_ERROR_NO_CONFIG,
    VMI_INIT_ERROR_NO_CONFIG_ENTRY,
} vmi_init_error_t;

typedef enum firmware {
    VMI_FIRMWARE_UNKNOWN,
    VMI_FIRMWARE_LEGACY, /* BIOS */
    VMI_FIRMWARE_UEFI
} firmware_t;

/* Guest operating system family. */
typedef enum os {
    VMI_OS_UNKNOWN,
    VMI_OS_LINUX,
    VMI_OS_WINDOWS,
    VMI_OS_FREEBSD,
    VMI_OS_OSX
} os_t;

/* Windows release, when the guest runs Windows. */
typedef enum win_ver {
    VMI_OS_WINDOWS_NONE,    /* guest is not Windows */
    VMI_OS_WINDOWS_UNKNOWN, /* Windows of an unrecognised release */
    VMI_OS_WINDOWS_2000,
    VMI_OS_WINDOWS_XP,
    VMI_OS_WINDOWS_2003,
    VMI_OS_WINDOWS_VISTA,
    VMI_OS_WINDOWS_2008,
    VMI_OS_WINDOWS_7,
    VMI_OS_WINDOWS_8,
    VMI_OS_WINDOWS_10,
} win_ver_t;

typedef struct {
    win_ver_t version;
    uint16_t buildnumber;
    uint16_t major;
    uint16_t minor;
} win_build_info_t;

/* Paging mode of a translation (VMI_PM_*). */
typedef uint32_t page_mode_t;

#define VMI_PM_NONE     0 /* no paging */
#define VMI_PM_UNKNOWN  1 /* not (yet) known */
#define VMI_PM_LEGACY   2 /* x86 32-bit, 2 levels */
#define VMI_PM_PAE      3 /* x86 PAE, 3 levels */
#define VMI_PM_IA32E    4 /* x86-64, 4 (or 5 with LA57) levels */
#define VMI_PM_AARCH32  5 /* ARM short descriptors */
#define VMI_PM_AARCH64  6 /* ARM long descriptors */
#define VMI_PM_EPT_4L   7 /* Intel EPT, 4 levels */
#define VMI_PM_EPT_5L   8 /* Intel EPT, 5 levels */

/* Flags for vmi_init_paging(). */
#define VMI_PM_INITFLAG_TRANSITION_PAGES (1u << 0) /* treat Windows transition PTEs as present */

/* Size of a mapped page, in bytes. */
typedef enum page_size {
    VMI_PS_UNKNOWN = 0ULL,
    VMI_PS_1KB     = 0x400ULL,
    VMI_PS_4KB     = 0x1000ULL,
    VMI_PS_16KB    = 0x4000ULL,
    VMI_PS_64KB    = 0x10000ULL,
    VMI_PS_1MB     = 0x100000ULL,
    VMI_PS_2MB     = 0x200000ULL,
    VMI_PS_4MB     = 0x400000ULL,
    VMI_PS_16MB    = 0x1000000ULL,
    VMI_PS_32MB    = 0x2000000ULL,
    VMI_PS_512MB   = 0x20000000ULL,
    VMI_PS_1GB     = 0x40000000ULL,
} page_size_t;

#define VMI_INVALID_DOMID ~0ULL /* no such domain */

/* Kinds of extra initialisation data (vmi_init_data_entry_t.type). */
typedef enum {
    VMI_INIT_DATA_XEN_EVTCHN, /* Xen event channel file descriptor */
    VMI_INIT_DATA_MEMMAP,     /* memory_map_t * describing guest RAM */
    VMI_INIT_DATA_KVMI_SOCKET /* path of the KVMi socket */
} vmi_init_data_type_t;

typedef struct {
    uint64_t type; /* VMI_INIT_DATA_* */
    void *data;
} vmi_init_data_entry_t;

/* Variable-length list of extra initialisation data. */
typedef struct {
    uint64_t count;
    vmi_init_data_entry_t entry[];
} vmi_init_data_t;

/* Valid guest-physical ranges as [start, end] pairs. */
typedef struct {
    uint64_t count;
    uint64_t range[][2];
} memory_map_t;

/* Register identifier for vmi_get_vcpureg()/vmi_set_vcpureg(). */
typedef uint64_t reg_t;

/* x86 general purpose, control, debug and segment registers. */
#define EAX                          0
#define EBX                          1
#define ECX                          2
#define EDX                          3
#define EBP                          4
#define ESI                          5
#define EDI                          6
#define ESP                          7
#define EIP                          8
#define EFLAGS                       9
#define RAX                          EAX
#define RBX                          EBX
#define RCX                          ECX
#define RDX                          EDX
#define RBP                          EBP
#define RSI                          ESI
#define RDI                          EDI
#define RSP                          ESP
#define RIP                          EIP
#define RFLAGS                       EFLAGS
#define R8                           10
#define R9                           11
#define R10                          12
#define R11                          13
#define R12                          14
#define R13                          15
#define R14                          16
#define R15                          17
#define CR0                          18
#define CR2                          19
#define CR3                          20
#define CR4                          21
#define XCR0                         22
#define DR0                          23
#define DR1                          24
#define DR2                          25
#define DR3                          26
#define DR6                          27
#define DR7                          28
#define CS_SEL                       29
#define DS_SEL                       30
#define ES_SEL                       31
#define FS_SEL                       32
#define GS_SEL                       33
#define SS_SEL                       34
#define TR_SEL                       35
#define LDTR_SEL                     36
#define CS_LIMIT                     37
#define DS_LIMIT                     38
#define ES_LIMIT                     39
#define FS_LIMIT                     40
#define GS_LIMIT                     41
#define SS_LIMIT                     42
#define TR_LIMIT                     43
#define LDTR_LIMIT                   44
#define IDTR_LIMIT                   45
#define GDTR_LIMIT                   46
#define CS_BASE                      47
#define DS_BASE                      48
#define ES_BASE                      49
#define FS_BASE                      50
#define GS_BASE                      51
#define SS_BASE                      52
#define TR_BASE                      53
#define LDTR_BASE                    54
#define IDTR_BASE                    55
#define GDTR_BASE                    56
#define CS_ARBYTES                   57
#define DS_ARBYTES                   58
#define ES_ARBYTES                   59
#define FS_ARBYTES                   60
#define GS_ARBYTES                   61
#define SS_ARBYTES                   62
#define TR_ARBYTES                   63
#define LDTR_ARBYTES                 64
#define SYSENTER_CS                  65
#define SYSENTER_ESP                 66
#define SYSENTER_EIP                 67
#define SHADOW_GS                    68
#define TSC                          69
#define MSR_FLAGS                    70
#define MSR_LSTAR                    71
#define MSR_CSTAR                    72
#define MSR_SYSCALL_MASK             73
#define MSR_EFER                     74
#define MSR_TSC_AUX                  75

/* x86 model-specific registers. */
#define MSR_STAR                     119
#define MSR_SHADOW_GS_BASE           120
#define MSR_MTRRfix64K_00000         121
#define MSR_MTRRfix16K_80000         122
#define MSR_MTRRfix16K_A0000         123
#define MSR_MTRRfix4K_C0000          124
#define MSR_MTRRfix4K_C8000          125
#define MSR_MTRRfix4K_D0000          126
#define MSR_MTRRfix4K_D8000          127
#define MSR_MTRRfix4K_E0000          128
#define MSR_MTRRfix4K_E8000          129
#define MSR_MTRRfix4K_F0000          130
#define MSR_MTRRfix4K_F8000          131
#define MSR_MTRRdefType              132
#define MSR_IA32_MC0_CTL             133
#define MSR_IA32_MC0_STATUS          134
#define MSR_IA32_MC0_ADDR            135
#define MSR_IA32_MC0_MISC            136
#define MSR_IA32_MC1_CTL             137
#define MSR_IA32_MC0_CTL2            138
#define MSR_AMD_PATCHLEVEL           139
#define MSR_AMD64_TSC_RATIO          140
#define MSR_IA32_P5_MC_ADDR          141
#define MSR_IA32_P5_MC_TYPE          142
#define MSR_IA32_TSC                 143
#define MSR_IA32_PLATFORM_ID         144
#define MSR_IA32_EBL_CR_POWERON      145
#define MSR_IA32_EBC_FREQUENCY_ID    146
#define MSR_IA32_FEATURE_CONTROL     147
#define MSR_IA32_SYSENTER_CS         148
#define MSR_IA32_SYSENTER_ESP        149
#define MSR_IA32_SYSENTER_EIP        150
#define MSR_IA32_MISC_ENABLE         151
#define MSR_HYPERVISOR               152
#define MSR_ANY                      153
#define MSR_UNDEFINED                MSR_ANY /* old name */
#define MSR_ALL                      76

/* ARM 32-bit registers. */
#define SCTLR                        77
#define CPSR                         78
#define TTBCR                        79
#define TTBR0                        80
#define TTBR1                        81
#define R0                           82
#define R1                           83
#define R2                           84
#define R3                           85
#define R4                           86
#define R5                           87
#define R6                           88
#define R7                           89
#define SPSR_SVC                     90
#define SPSR_FIQ                     91
#define SPSR_IRQ                     92
#define SPSR_UND                     93
#define SPSR_ABT                     94
#define LR_IRQ                       95
#define SP_IRQ                       96
#define LR_SVC                       97
#define SP_SVC                       98
#define LR_ABT                       99
#define SP_ABT                       100
#define LR_UND                       101
#define SP_UND                       102
#define R8_FIQ                       103
#define R9_FIQ                       104
#define R10_FIQ                      105
#define R11_FIQ                      106
#define R12_FIQ                      107
#define SP_FIQ                       108
#define LR_FIQ                       109
#define PC                           118
#define SP_USR                       R13
#define LR_USR                       R14
#define PC32                         PC

/* ARM 64-bit registers (aliases where the slot is shared). */
#define SP_EL0                       110
#define SP_EL1                       111
#define ELR_EL1                      112
#define X0                           R0
#define X1                           R1
#define X2                           R2
#define X3                           R3
#define X4                           R4
#define X5                           R5
#define X6                           R6
#define X7                           R7
#define X8                           R8
#define X9                           R9
#define X10                          R10
#define X11                          R11
#define X12                          R12
#define X13                          R13
#define X14                          R14
#define X15                          R15
#define X16                          LR_IRQ
#define X17                          SP_IRQ
#define X18                          LR_SVC
#define X19                          SP_SVC
#define X20                          LR_ABT
#define X21                          SP_ABT
#define X22                          LR_UND
#define X23                          SP_UND
#define X24                          R8_FIQ
#define X25                          R9_FIQ
#define X26                          R10_FIQ
#define X27                          R11_FIQ
#define X28                          R12_FIQ
#define X29                          SP_FIQ
#define X30                          LR_FIQ
#define PC64                         PC
#define SPSR_EL1                     SPSR_SVC
#define TCR_EL1                      TTBCR

typedef struct x86_mtrr_regs {
    uint64_t msr_pat_cr;
    uint64_t msr_mtrr_cap;
} mtrr_regs_t;

/* Segment access-rights bits as found in the *_arbytes register slots. */
typedef struct x86_segment_flags {
    uint16_t type : 4;
    uint16_t s    : 1;
    uint16_t dpl  : 2;
    uint16_t p    : 1;
    uint16_t avl  : 1;
    uint16_t l    : 1;
    uint16_t db   : 1;
    uint16_t g    : 1;
    uint16_t pad  : 4;
    uint16_t pad2;
    uint32_t pad3;
} x86_segment_flags_t;

/* One x86 vCPU's register file. */
typedef struct x86_regs {
    uint64_t rax;
    uint64_t rcx;
    uint64_t rdx;
    uint64_t rbx;
    uint64_t rsp;
    uint64_t rbp;
    uint64_t rsi;
    uint64_t rdi;
    uint64_t r8;
    uint64_t r9;
    uint64_t r10;
    uint64_t r11;
    uint64_t r12;
    uint64_t r13;
    uint64_t r14;
    uint64_t r15;
    uint64_t rflags;
    uint64_t dr6;
    uint64_t dr7;
    uint64_t rip;
    uint64_t cr0;
    uint64_t cr2;
    uint64_t cr3;
    uint64_t cr4;
    uint64_t sysenter_cs;
    uint64_t sysenter_esp;
    uint64_t sysenter_eip;
    uint64_t msr_efer;
    uint64_t msr_star;
    uint64_t msr_lstar;
    uint64_t msr_pat;
    uint64_t msr_cstar;
    uint64_t fs_base;
    uint64_t fs_limit;
    uint64_t fs_sel;
    union {
        uint64_t fs_arbytes;
        x86_segment_flags_t fs_flags;
    };
    uint64_t gs_base;
    uint64_t gs_limit;
    uint64_t gs_sel;
    union {
        uint64_t gs_arbytes;
        x86_segment_flags_t gs_flags;
    };
    uint64_t cs_base;
    uint64_t cs_limit;
    uint64_t cs_sel;
    union {
        uint64_t cs_arbytes;
        x86_segment_flags_t cs_flags;
    };
    uint64_t ss_base;
    uint64_t ss_limit;
    uint64_t ss_sel;
    union {
        uint64_t ss_arbytes;
        x86_segment_flags_t ss_flags;
    };
    uint64_t ds_base;
    uint64_t ds_limit;
    uint64_t ds_sel;
    union {
        uint64_t ds_arbytes;
        x86_segment_flags_t ds_flags;
    };
    uint64_t es_base;
    uint64_t es_limit;
    uint64_t es_sel;
    union {
        uint64_t es_arbytes;
        x86_segment_flags_t es_flags;
    };
    uint64_t tr_base;
    uint64_t tr_limit;
    uint64_t tr_sel;
    union {
        uint64_t tr_arbytes;
        x86_segment_flags_t tr_flags;
    };
    uint64_t ldt_base;
    uint64_t ldt_limit;
    uint64_t ldt_sel;
    union {
        uint64_t ldt_arbytes;
        x86_segment_flags_t ldt_flags;
    };
    uint64_t shadow_gs;
    uint64_t idtr_base;
    uint64_t idtr_limit;
    uint64_t gdtr_base;
    uint64_t gdtr_limit;
    uint64_t npt_base;
    uint64_t vmtrace_pos;
} x86_registers_t;

typedef struct arm_registers {
    uint64_t ttbr0;
    uint64_t ttbr1;
    uint64_t ttbcr;
    uint64_t pc;
    uint32_t cpsr;
    uint32_t _pad;
} arm_registers_t;

/* Register file of either architecture. */
typedef struct registers {
    union {
        x86_registers_t x86;
        arm_registers_t arm;
    };
} registers_t;

/* Legacy FXSAVE region followed by the XSAVE header words. */
typedef struct xsave_area {
    char fpu_sse[512];
    uint64_t xstate_bv;
    uint64_t xcomp_bv;
} xsave_area_t;

/* A guest address (virtual or physical). */
typedef uint64_t addr_t;

/* A guest process id. */
typedef int32_t vmi_pid_t;

/* Everything learned while translating one virtual address. */
typedef struct page_info {
    addr_t vaddr;      /* the address translated */
    addr_t paddr;      /* the resulting guest-physical address */
    addr_t naddr;      /* the resulting address after nested translation */
    page_size_t size;  /* size of the page found */
    page_size_t nsize; /* size of the nested page found */
    addr_t pt;         /* page table used */
    page_mode_t pm;    /* paging mode used */
    addr_t npt;        /* nested page table used */
    page_mode_t npm;   /* nested paging mode used */
    union {            /* the entries visited, by paging mode */
        struct {
            addr_t pte_value_prev;
            addr_t pte_location;
            addr_t pte_value;
            addr_t pgd_location;
            addr_t pgd_value;
        } x86_legacy;
        struct {
            addr_t pte_value_prev;
            addr_t pte_location;
            addr_t pte_value;
            addr_t pgd_location;
            addr_t pgd_value;
            addr_t pdpe_location;
            addr_t pdpe_value;
        } x86_pae;
        struct {
            addr_t pte_value_prev;
            addr_t pte_location;
            addr_t pte_value;
            addr_t pgd_location;
            addr_t pgd_value;
            addr_t pdpte_location;
            addr_t pdpte_value;
            addr_t pml4e_location;
            addr_t pml4e_value;
        } x86_ia32e;
        struct {
            uint32_t fld_location;
            uint32_t fld_value;
            uint32_t sld_location;
            uint32_t sld_value;
        } arm_aarch32;
        struct {
            uint64_t zld_location;
            uint64_t zld_value;
            uint64_t fld_location;
            uint64_t fld_value;
            uint64_t sld_location;
            uint64_t sld_value;
            uint64_t tld_location;
            uint64_t tld_value;
        } arm_aarch64;
    };
} page_info_t;

/* CPU architecture. */
typedef enum arch {
    VMI_ARCH_UNKNOWN,
    VMI_ARCH_X86,
    VMI_ARCH_X86_64,
    VMI_ARCH_ARM32,
    VMI_ARCH_ARM64
} vmi_arch_t;

/* How access_context_t.addr is to be translated (VMI_TM_*). */
typedef uint32_t translation_mechanism_t;

#define VMI_TM_NONE          0 /* addr is guest-physical */
#define VMI_TM_PROCESS_DTB   1 /* walk the page table at .dtb/.pt */
#define VMI_TM_PROCESS_PT    1 /* same as VMI_TM_PROCESS_DTB */
#define VMI_TM_PROCESS_PID   2 /* walk the page table of process .pid */
#define VMI_TM_KERNEL_SYMBOL 3 /* resolve kernel symbol .ksym, kernel page table */

#define ACCESS_CONTEXT_VERSION 0x1u

/* Declares access_context_t C with the current version and the given
 * designated initialisers, e.g. ACCESS_CONTEXT(ctx, .tm = VMI_TM_NONE). */
#define ACCESS_CONTEXT(C, ...)                 \
    access_context_t C = {                     \
        .version = ACCESS_CONTEXT_VERSION,     \
        __VA_ARGS__                            \
    }

/* Says which address space an access uses; build it with ACCESS_CONTEXT. */
typedef struct {
    uint32_t version; /* ACCESS_CONTEXT_VERSION */
    uint32_t _pad;
    union {
        page_mode_t pm; /* paging mode, VMI_PM_UNKNOWN for the instance's */
        page_mode_t page_mode;
    };
    union {
        page_mode_t npm; /* nested paging mode, if npt is used */
        page_mode_t nested_page_mode;
    };
    union {
        addr_t npt; /* nested (SLAT) page table, 0 for none */
        addr_t nested_page_table;
    };
    union {
        translation_mechanism_t tm; /* VMI_TM_* */
        translation_mechanism_t translate_mechanism;
    };
    uint32_t _pad2;
    union {
        struct {
            addr_t addr; /* the address accessed */
            union {
                addr_t pt; /* page table, for VMI_TM_PROCESS_DTB/PT */
                addr_t page_table;
                addr_t dtb;
                vmi_pid_t pid; /* process, for VMI_TM_PROCESS_PID */
            };
        };
        const char *ksym; /* kernel symbol, for VMI_TM_KERNEL_SYMBOL */
    };
} access_context_t;

/* 1 if bit `bit` of `reg` is set, else 0. */
#define VMI_GET_BIT(reg, bit) (!!((reg) & (1ULL << (bit))))

/* Mask with bits a..b (inclusive) set. */
#define VMI_BIT_MASK(a, b) (((unsigned long long) -1 >> (63 - (b))) & ~((1ULL << (a)) - 1))

/* A string read from the guest together with its encoding. */
typedef struct _ustring {
    size_t length;        /* bytes in contents */
    uint8_t *contents;
    const char *encoding; /* iconv name; static, never freed */
} unicode_string_t;

/* Run state of a domain. */
typedef struct domain_status {
    unsigned int dying : 1;
    unsigned int shutdown : 1;
    unsigned int paused : 1;
    unsigned int blocked : 1;
    unsigned int running : 1;
    unsigned int debugged : 1;
} domain_status_t;

/* Handle of one introspection session. */
typedef struct vmi_instance *vmi_instance_t;

/* ---- Set-up and tear-down ---- */

/**
 * Creates an instance for the VM `domain` (name, id or UUID per `init_flags`) using driver
 * `mode`, without paging or OS setup. On failure `*error` (if given) says why.
 */
status_t vmi_init(vmi_instance_t *vmi,
                  vmi_mode_t mode,
                  const void *domain,
                  uint64_t init_flags,
                  vmi_init_data_t *init_data,
                  vmi_init_error_t *error)
NOEXCEPT;

/**
 * Creates a fully initialised instance: detects the driver, sets up paging and the guest OS from
 * `config` (interpreted per `config_mode`).
 */
status_t vmi_init_complete(vmi_instance_t *vmi,
                           const void *domain,
                           uint64_t init_flags,
                           vmi_init_data_t *init_data,
                           vmi_config_t config_mode,
                           void *config,
                           vmi_init_error_t *error)
NOEXCEPT;

/**
 * Determines the paging mode from vCPU 0 and sets up address translation. `flags` takes
 * VMI_PM_INITFLAG_* bits. Returns the mode, or VMI_PM_UNKNOWN.
 */
page_mode_t vmi_init_paging(vmi_instance_t vmi, uint64_t flags) NOEXCEPT;

/**
 * Sets up guest OS knowledge (offsets, symbols, kernel page table) from `config`. Returns the OS
 * type, or VMI_OS_UNKNOWN.
 */
os_t vmi_init_os(vmi_instance_t vmi,
                 vmi_config_t config_mode,
                 void *config,
                 vmi_init_error_t *error)
NOEXCEPT;

/**
 * Releases the instance and everything it owns. The handle is invalid afterwards.
 */
status_t vmi_destroy(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the architecture this library was built for.
 */
vmi_arch_t vmi_get_library_arch(void) NOEXCEPT;

/**
 * Returns the VM's name in a newly allocated string the caller frees, or NULL.
 */
char *vmi_get_name(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the VM's numeric id, or VMI_INVALID_DOMID.
 */
uint64_t vmi_get_vmid(vmi_instance_t vmi) NOEXCEPT;

/**
 * Detects which driver can reach `domain` and stores it in `*mode`. `vmi` may be NULL.
 */
status_t vmi_get_access_mode(vmi_instance_t vmi,
                             const void *domain,
                             uint64_t init_flags,
                             vmi_init_data_t *init_data,
                             vmi_mode_t *mode)
NOEXCEPT;

/**
 * Returns the paging mode in use on vCPU `vcpu`.
 */
page_mode_t vmi_get_page_mode(vmi_instance_t vmi, unsigned long vcpu) NOEXCEPT;

/**
 * Returns the width of a guest pointer in bytes (4 or 8), 0 if unknown.
 */
uint8_t vmi_get_address_width(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the size of guest RAM in bytes.
 */
uint64_t vmi_get_memsize(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the address just past the highest guest-physical address.
 */
addr_t vmi_get_max_physical_address(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the number of vCPUs.
 */
unsigned int vmi_get_num_vcpus(vmi_instance_t vmi) NOEXCEPT;

/* ---- Address translation ---- */

/**
 * Translates kernel virtual address `vaddr` to a guest-physical address.
 */
status_t vmi_translate_kv2p(vmi_instance_t vmi, addr_t vaddr, addr_t *paddr) NOEXCEPT;

/**
 * Translates virtual address `vaddr` of process `pid` to a guest-physical address.
 */
status_t vmi_translate_uv2p(vmi_instance_t vmi,
                            addr_t vaddr,
                            vmi_pid_t pid,
                            addr_t *paddr)
NOEXCEPT;

/**
 * Looks up the virtual address of kernel symbol `symbol`.
 */
status_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *vaddr) NOEXCEPT;

/**
 * Looks up the virtual address of `symbol` in the module whose base `ctx` describes.
 */
status_t vmi_translate_sym2v(vmi_instance_t vmi,
                             const access_context_t *ctx,
                             const char *symbol,
                             addr_t *vaddr)
NOEXCEPT;

/**
 * Returns the symbol at relative address `rva` in the module whose base `ctx` describes, or
 * NULL. The string belongs to the library.
 */
const char *vmi_translate_v2sym(vmi_instance_t vmi,
                                const access_context_t *ctx,
                                addr_t rva)
NOEXCEPT;

/**
 * Returns the kernel symbol at virtual address `va`, or NULL. The string belongs to the library.
 */
const char *vmi_translate_v2ksym(vmi_instance_t vmi,
                                 const access_context_t *ctx,
                                 addr_t va)
NOEXCEPT;

/**
 * Finds the page-table base (DTB) of process `pid`.
 */
status_t vmi_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb) NOEXCEPT;

/**
 * Finds the process whose page-table base is `dtb`.
 */
status_t vmi_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid) NOEXCEPT;

/**
 * Translates `vaddr` by walking the page table at `pt` in the instance's paging mode.
 */
status_t vmi_pagetable_lookup(vmi_instance_t vmi, addr_t pt, addr_t vaddr, addr_t *paddr) NOEXCEPT;

/**
 * Like vmi_pagetable_lookup, also recording page size and every entry visited in `*info`.
 */
status_t vmi_pagetable_lookup_extended(vmi_instance_t vmi,
                                       addr_t pt,
                                       addr_t vaddr,
                                       page_info_t *info)
NOEXCEPT;

/**
 * Translates `vaddr` through page table `pt` (mode `pm`) whose accesses go through the nested
 * table `npt` (mode `npm`). `*paddr` gets the result of the first stage, `*naddr` the final
 * address.
 */
status_t vmi_nested_pagetable_lookup(vmi_instance_t vmi,
                                     addr_t npt,
                                     page_mode_t npm,
                                     addr_t pt,
                                     page_mode_t pm,
                                     addr_t vaddr,
                                     addr_t *paddr,
                                     addr_t *naddr)
NOEXCEPT;

/**
 * Like vmi_nested_pagetable_lookup, filling `*info`. (Declared but not implemented by upstream
 * LibVMI.)
 */
status_t vmi_nested_pagetable_lookup_extended(vmi_instance_t vmi,
                                              addr_t npt,
                                              page_mode_t npm,
                                              addr_t pt,
                                              page_mode_t pm,
                                              addr_t vaddr,
                                              page_info_t *info)
NOEXCEPT;

/**
 * Returns the context of the last failed page-table walk, or NULL.
 */
const access_context_t *vmi_get_last_pagetable_lookup_fault(vmi_instance_t vmi) NOEXCEPT;

/* ---- Reading and writing guest memory ---- */

/**
 * Reads `count` bytes at the address `ctx` describes into `buf`. `*bytes_read` (if given) gets
 * the number of bytes read; fails unless all were read.
 */
status_t vmi_read(vmi_instance_t vmi,
                  const access_context_t *ctx,
                  size_t count,
                  void *buf,
                  size_t *bytes_read)
NOEXCEPT;

/**
 * Reads one byte at the address `ctx` describes.
 */
status_t vmi_read_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value) NOEXCEPT;

/**
 * Reads a 16-bit value at the address `ctx` describes.
 */
status_t vmi_read_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value) NOEXCEPT;

/**
 * Reads a 32-bit value at the address `ctx` describes.
 */
status_t vmi_read_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value) NOEXCEPT;

/**
 * Reads a 64-bit value at the address `ctx` describes.
 */
status_t vmi_read_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value) NOEXCEPT;

/**
 * Reads a guest pointer (4 or 8 bytes per the guest's address width) at the address `ctx`
 * describes.
 */
status_t vmi_read_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value) NOEXCEPT;

/**
 * Reads a NUL-terminated string. The caller frees the result with free(); NULL on failure.
 */
char *vmi_read_str(vmi_instance_t vmi, const access_context_t *ctx) NOEXCEPT;

/**
 * Reads a NUL-terminated UTF-16 string. The caller frees the result with free(); NULL on
 * failure.
 */
uint16_t *vmi_read_wstr(vmi_instance_t vmi, const access_context_t *ctx) NOEXCEPT;

/**
 * Reads a Windows UNICODE_STRING structure. Free the result with vmi_free_unicode_str(); NULL on
 * failure.
 */
unicode_string_t *vmi_read_unicode_str(vmi_instance_t vmi, const access_context_t *ctx) NOEXCEPT;

/**
 * Like vmi_read_unicode_str, with the structure laid out for paging mode `mode`.
 */
unicode_string_t *vmi_read_unicode_str_pm(vmi_instance_t vmi,
                                          const access_context_t *ctx,
                                          page_mode_t mode)
NOEXCEPT;

/**
 * Reads `count` bytes at kernel symbol `sym`.
 */
status_t vmi_read_ksym(vmi_instance_t vmi,
                       const char *sym,
                       size_t count,
                       void *buf,
                       size_t *bytes_read)
NOEXCEPT;

/**
 * Reads `count` bytes at virtual address `vaddr` of process `pid` (0 for the kernel).
 */
status_t vmi_read_va(vmi_instance_t vmi,
                     addr_t vaddr,
                     vmi_pid_t pid,
                     size_t count,
                     void *buf,
                     size_t *bytes_read)
NOEXCEPT;

/**
 * Maps `num_pages` guest pages starting at the address `ctx` describes into this process;
 * `access_ptrs[i]` gets each page's mapping or NULL. Release each non-NULL pointer with
 * munmap(ptr, 4096). For memory snapshot files the pages are private copies: writes to them do
 * not reach the guest.
 */
status_t vmi_mmap_guest(vmi_instance_t vmi,
                        const access_context_t *ctx,
                        size_t num_pages,
                        int prot,
                        void **access_ptrs)
NOEXCEPT;

/**
 * Maps the guest frames listed in `pfns` into this process; `access_ptrs[i]` gets each mapping
 * or NULL. Release as for vmi_mmap_guest.
 */
status_t vmi_mmap_guest_pfns(vmi_instance_t vmi,
                             unsigned long *pfns,
                             size_t num_pages,
                             int prot,
                             void **access_ptrs)
NOEXCEPT;

/**
 * Maps `num_pages` guest-physical pages starting at `paddr`; `access_ptrs[i]` gets each mapping
 * or NULL. Release as for vmi_mmap_guest.
 */
status_t vmi_mmap_guest_pa(vmi_instance_t vmi,
                           addr_t paddr,
                           size_t num_pages,
                           int prot,
                           void **access_ptrs)
NOEXCEPT;

/**
 * Reads `count` bytes at guest-physical address `paddr`.
 */
status_t vmi_read_pa(vmi_instance_t vmi,
                     addr_t paddr,
                     size_t count,
                     void *buf,
                     size_t *bytes_read)
NOEXCEPT;

/**
 * Reads one byte at kernel symbol `sym`.
 */
status_t vmi_read_8_ksym(vmi_instance_t vmi, const char *sym, uint8_t *value) NOEXCEPT;

/**
 * Reads a 16-bit value at kernel symbol `sym`.
 */
status_t vmi_read_16_ksym(vmi_instance_t vmi, const char *sym, uint16_t *value) NOEXCEPT;

/**
 * Reads a 32-bit value at kernel symbol `sym`.
 */
status_t vmi_read_32_ksym(vmi_instance_t vmi, const char *sym, uint32_t *value) NOEXCEPT;

/**
 * Reads a 64-bit value at kernel symbol `sym`.
 */
status_t vmi_read_64_ksym(vmi_instance_t vmi, const char *sym, uint64_t *value) NOEXCEPT;

/**
 * Reads a guest pointer at kernel symbol `sym`.
 */
status_t vmi_read_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value) NOEXCEPT;

/**
 * Reads a NUL-terminated string at kernel symbol `sym`; free() the result.
 */
char *vmi_read_str_ksym(vmi_instance_t vmi, const char *sym) NOEXCEPT;

/**
 * Reads one byte at virtual address `vaddr` of process `pid`.
 */
status_t vmi_read_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value) NOEXCEPT;

/**
 * Reads a 16-bit value at virtual address `vaddr` of process `pid`.
 */
status_t vmi_read_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value) NOEXCEPT;

/**
 * Reads a 32-bit value at virtual address `vaddr` of process `pid`.
 */
status_t vmi_read_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value) NOEXCEPT;

/**
 * Reads a 64-bit value at virtual address `vaddr` of process `pid`.
 */
status_t vmi_read_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value) NOEXCEPT;

/**
 * Reads a guest pointer at virtual address `vaddr` of process `pid`.
 */
status_t vmi_read_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value) NOEXCEPT;

/**
 * Reads a NUL-terminated string at `vaddr` of process `pid`; free() the result.
 */
char *vmi_read_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) NOEXCEPT;

/**
 * Reads a NUL-terminated UTF-16 string at `vaddr` of process `pid`; free() the result.
 */
uint16_t *vmi_read_wstr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) NOEXCEPT;

/**
 * Reads a Windows UNICODE_STRING at `vaddr` of process `pid`; free with vmi_free_unicode_str().
 */
unicode_string_t *vmi_read_unicode_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) NOEXCEPT;

/**
 * Converts `in` to encoding `outencoding` (an iconv name) into `out`, whose contents the caller
 * later frees.
 */
status_t vmi_convert_str_encoding(const unicode_string_t *in_,
                                  unicode_string_t *out,
                                  const char *outencoding)
NOEXCEPT;

/**
 * Frees a string returned by the vmi_read_unicode_str* functions.
 */
void vmi_free_unicode_str(unicode_string_t *p_us) NOEXCEPT;

/**
 * Reads one byte at guest-physical address `paddr`.
 */
status_t vmi_read_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value) NOEXCEPT;

/**
 * Reads a 16-bit value at guest-physical address `paddr`.
 */
status_t vmi_read_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value) NOEXCEPT;

/**
 * Reads a 32-bit value at guest-physical address `paddr`.
 */
status_t vmi_read_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value) NOEXCEPT;

/**
 * Reads a 64-bit value at guest-physical address `paddr`.
 */
status_t vmi_read_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value) NOEXCEPT;

/**
 * Reads a guest pointer at guest-physical address `paddr`.
 */
status_t vmi_read_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value) NOEXCEPT;

/**
 * Reads a NUL-terminated string at guest-physical address `paddr`; free() the result.
 */
char *vmi_read_str_pa(vmi_instance_t vmi, addr_t paddr) NOEXCEPT;

/**
 * Reads a NUL-terminated UTF-16 string at guest-physical address `paddr`; free() the result.
 */
uint16_t *vmi_read_wstr_pa(vmi_instance_t vmi, addr_t paddr) NOEXCEPT;

/**
 * Writes `count` bytes from `buf` to the address `ctx` describes. `*bytes_written` (if given)
 * gets the number written.
 */
status_t vmi_write(vmi_instance_t vmi,
                   const access_context_t *ctx,
                   size_t count,
                   void *buf,
                   size_t *bytes_written)
NOEXCEPT;

/**
 * Writes `count` bytes from `buf` at kernel symbol `sym`.
 */
status_t vmi_write_ksym(vmi_instance_t vmi,
                        const char *sym,
                        size_t count,
                        void *buf,
                        size_t *bytes_written)
NOEXCEPT;

/**
 * Writes `count` bytes from `buf` at virtual address `vaddr` of process `pid`.
 */
status_t vmi_write_va(vmi_instance_t vmi,
                      addr_t vaddr,
                      vmi_pid_t pid,
                      size_t count,
                      void *buf,
                      size_t *bytes_written)
NOEXCEPT;

/**
 * Writes `count` bytes from `buf` at guest-physical address `paddr`.
 */
status_t vmi_write_pa(vmi_instance_t vmi,
                      addr_t paddr,
                      size_t count,
                      void *buf,
                      size_t *bytes_written)
NOEXCEPT;

/**
 * Writes one byte to the address `ctx` describes.
 */
status_t vmi_write_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value) NOEXCEPT;

/**
 * Writes a 16-bit value to the address `ctx` describes.
 */
status_t vmi_write_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value) NOEXCEPT;

/**
 * Writes a 32-bit value to the address `ctx` describes.
 */
status_t vmi_write_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value) NOEXCEPT;

/**
 * Writes a 64-bit value to the address `ctx` describes.
 */
status_t vmi_write_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value) NOEXCEPT;

/**
 * Writes a guest pointer (guest address width) to the address `ctx` describes.
 */
status_t vmi_write_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value) NOEXCEPT;

/**
 * Writes one byte at kernel symbol `sym`.
 */
status_t vmi_write_8_ksym(vmi_instance_t vmi, const char *sym, uint8_t *value) NOEXCEPT;

/**
 * Writes a 16-bit value at kernel symbol `sym`.
 */
status_t vmi_write_16_ksym(vmi_instance_t vmi, const char *sym, uint16_t *value) NOEXCEPT;

/**
 * Writes a 32-bit value at kernel symbol `sym`.
 */
status_t vmi_write_32_ksym(vmi_instance_t vmi, const char *sym, uint32_t *value) NOEXCEPT;

/**
 * Writes a 64-bit value at kernel symbol `sym`.
 */
status_t vmi_write_64_ksym(vmi_instance_t vmi, const char *sym, uint64_t *value) NOEXCEPT;

/**
 * Writes a guest pointer at kernel symbol `sym`.
 */
status_t vmi_write_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value) NOEXCEPT;

/**
 * Writes one byte at virtual address `vaddr` of process `pid`.
 */
status_t vmi_write_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value) NOEXCEPT;

/**
 * Writes a 16-bit value at virtual address `vaddr` of process `pid`.
 */
status_t vmi_write_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value) NOEXCEPT;

/**
 * Writes a 32-bit value at virtual address `vaddr` of process `pid`.
 */
status_t vmi_write_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value) NOEXCEPT;

/**
 * Writes a 64-bit value at virtual address `vaddr` of process `pid`.
 */
status_t vmi_write_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value) NOEXCEPT;

/**
 * Writes a guest pointer at virtual address `vaddr` of process `pid`.
 */
status_t vmi_write_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value) NOEXCEPT;

/**
 * Writes one byte at guest-physical address `paddr`.
 */
status_t vmi_write_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value) NOEXCEPT;

/**
 * Writes a 16-bit value at guest-physical address `paddr`.
 */
status_t vmi_write_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value) NOEXCEPT;

/**
 * Writes a 32-bit value at guest-physical address `paddr`.
 */
status_t vmi_write_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value) NOEXCEPT;

/**
 * Writes a 64-bit value at guest-physical address `paddr`.
 */
status_t vmi_write_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value) NOEXCEPT;

/**
 * Writes a guest pointer at guest-physical address `paddr`.
 */
status_t vmi_write_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value) NOEXCEPT;

/**
 * Prints `length` bytes of `data` to stdout as a hex dump with ASCII column.
 */
void vmi_print_hex(const unsigned char *data, unsigned long length) NOEXCEPT;

/**
 * Prints a hex dump of `length` bytes at kernel symbol `sym`.
 */
void vmi_print_hex_ksym(vmi_instance_t vmi, const char *sym, size_t length) NOEXCEPT;

/**
 * Prints a hex dump of `length` bytes at `vaddr` of process `pid`.
 */
void vmi_print_hex_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t length) NOEXCEPT;

/**
 * Prints a hex dump of `length` bytes at guest-physical address `paddr`.
 */
void vmi_print_hex_pa(vmi_instance_t vmi, addr_t paddr, size_t length) NOEXCEPT;

/**
 * Reads `count` bytes at byte `offset` of the VM disk `device_id`.
 */
status_t vmi_read_disk(vmi_instance_t vmi,
                       const char *device_id,
                       uint64_t offset,
                       uint64_t count,
                       void *buffer)
NOEXCEPT;

/**
 * Returns the ids of the VM's disks (`*num` of them); the caller frees each string and the
 * array.
 */
char **vmi_get_disks(vmi_instance_t vmi, unsigned int *num) NOEXCEPT;

/**
 * Tells whether disk `device_id` carries a boot signature.
 */
status_t vmi_disk_is_bootable(vmi_instance_t vmi, const char *device_id, bool *bootable) NOEXCEPT;

/* ---- Guest OS knowledge ---- */

/**
 * Returns the guest OS family found by vmi_init_os().
 */
os_t vmi_get_ostype(vmi_instance_t vmi) NOEXCEPT;

/**
 * Fills `*info` with the Windows version and build numbers; false if not known.
 */
bool vmi_get_windows_build_info(vmi_instance_t vmi, win_build_info_t *info) NOEXCEPT;

/**
 * Returns the Windows release of the guest.
 */
win_ver_t vmi_get_winver(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the Windows build number, 0 if unknown.
 */
uint16_t vmi_get_win_buildnumber(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the Windows release as a static string.
 */
const char *vmi_get_winver_str(vmi_instance_t vmi) NOEXCEPT;

/**
 * Determines the Windows release from the KDBG block at guest-physical `kdvb_pa`.
 */
win_ver_t vmi_get_winver_manual(vmi_instance_t vmi, addr_t kdvb_pa) NOEXCEPT;

/**
 * Looks up a named OS offset from the configuration (e.g. "linux_tasks").
 */
status_t vmi_get_offset(vmi_instance_t vmi, const char *offset_name, addr_t *offset) NOEXCEPT;

/**
 * Looks up the offset of `member` in kernel struct `struct_name` in the OS profile.
 */
status_t vmi_get_kernel_struct_offset(vmi_instance_t vmi,
                                      const char *struct_name,
                                      const char *member,
                                      addr_t *addr)
NOEXCEPT;

/**
 * Returns the path of the Linux System.map in use, or NULL.
 */
const char *vmi_get_linux_sysmap(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the path of the FreeBSD symbol map in use, or NULL.
 */
const char *vmi_get_freebsd_sysmap(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the path of the Rekall profile in use, or NULL.
 */
const char *vmi_get_rekall_path(vmi_instance_t vmi) NOEXCEPT;

/**
 * Returns the path of the OS profile in use, or NULL.
 */
const char *vmi_get_os_profile_path(vmi_instance_t vmi) NOEXCEPT;

/* ---- vCPUs and VM control ---- */

/**
 * Reads the XSAVE area of vCPU `vcpu`.
 */
status_t vmi_get_xsave_info(vmi_instance_t vmi,
                            unsigned long vcpu,
                            xsave_area_t *xsave_info)
NOEXCEPT;

/**
 * Returns the lowest guest frame number above guest RAM that is free to allocate.
 */
addr_t vmi_get_next_available_gfn(vmi_instance_t vmi) NOEXCEPT;

/**
 * Asks the hypervisor to inject a page fault for `virtual_address` on vCPU `vcpu`.
 */
status_t vmi_request_page_fault(vmi_instance_t vmi,
                                unsigned long vcpu,
                                uint64_t virtual_address,
                                uint32_t error_code)
NOEXCEPT;

/**
 * Reads the guest's TSC parameters.
 */
status_t vmi_get_tsc_info(vmi_instance_t vmi,
                          uint32_t *tsc_mode,
                          uint64_t *elapsed_nsec,
                          uint32_t *gtsc_khz,
                          uint32_t *incarnation)
NOEXCEPT;

/**
 * Reads the MTRR registers of vCPU `vcpu`.
 */
status_t vmi_get_vcpumtrr(vmi_instance_t vmi, mtrr_regs_t *hw_mtrr, unsigned long vcpu) NOEXCEPT;

/**
 * Reads register `reg` of vCPU `vcpu` into `*value`.
 */
status_t vmi_get_vcpureg(vmi_instance_t vmi,
                         uint64_t *value,
                         reg_t reg,
                         unsigned long vcpu)
NOEXCEPT;

/**
 * Reads the whole register file of vCPU `vcpu`.
 */
status_t vmi_get_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu) NOEXCEPT;

/**
 * Sets register `reg` of vCPU `vcpu` to `value`; the VM should be paused.
 */
status_t vmi_set_vcpureg(vmi_instance_t vmi,
                         uint64_t value,
                         reg_t reg,
                         unsigned long vcpu)
NOEXCEPT;

/**
 * Sets the whole register file of vCPU `vcpu`; the VM should be paused.
 */
status_t vmi_set_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu) NOEXCEPT;

/**
 * Backs guest frame `gfn` with new memory.
 */
status_t vmi_alloc_gfn(vmi_instance_t vmi, uint64_t gfn) NOEXCEPT;

/**
 * Releases the memory backing guest frame `gfn`.
 */
status_t vmi_free_gfn(vmi_instance_t vmi, uint64_t gfn) NOEXCEPT;

/**
 * Pauses the VM. Pauses nest; each needs a vmi_resume_vm().
 */
status_t vmi_pause_vm(vmi_instance_t vmi) NOEXCEPT;

/**
 * Undoes one vmi_pause_vm().
 */
status_t vmi_resume_vm(vmi_instance_t vmi) NOEXCEPT;

/**
 * Reads the run state of the domain.
 */
status_t vmi_get_domain_status(vmi_instance_t vmi, domain_status_t *domain_status);

/* ---- Caches ---- */

/**
 * Drops cached translations of page table `pt` (~0ull: all).
 */
void vmi_v2pcache_flush(vmi_instance_t vmi, addr_t pt) NOEXCEPT;

/**
 * Drops cached translations of `pt` under nested table `npt` (~0ull: all).
 */
void vmi_v2pcache_nested_flush(vmi_instance_t vmi, addr_t pt, addr_t npt) NOEXCEPT;

/**
 * Adds a translation `va` -> `pa` under page table `pt` to the cache.
 */
void vmi_v2pcache_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t pa) NOEXCEPT;

/**
 * Adds a translation `va` -> `pa` under `pt` and nested table `npt`.
 */
void vmi_v2pcache_nested_add(vmi_instance_t vmi,
                             addr_t va,
                             addr_t pt,
                             addr_t npt,
                             addr_t pa)
NOEXCEPT;

/**
 * Drops all cached symbol -> address lookups.
 */
void vmi_symcache_flush(vmi_instance_t vmi) NOEXCEPT;

/**
 * Caches that `sym` of the module at `base_addr` in process `pid` is at `va`.
 */
void vmi_symcache_add(vmi_instance_t vmi,
                      addr_t base_addr,
                      vmi_pid_t pid,
                      char *sym,
                      addr_t va)
NOEXCEPT;

/**
 * Drops all cached address -> symbol lookups.
 */
void vmi_rvacache_flush(vmi_instance_t vmi) NOEXCEPT;

/**
 * Caches that `rva` of the module at `base_addr` in process `pid` is `sym`.
 */
void vmi_rvacache_add(vmi_instance_t vmi,
                      addr_t base_addr,
                      vmi_pid_t pid,
                      addr_t rva,
                      char *sym)
NOEXCEPT;

/**
 * Drops all cached pid -> page-table lookups.
 */
void vmi_pidcache_flush(vmi_instance_t vmi) NOEXCEPT;

/**
 * Caches that process `pid` uses page table `dtb`.
 */
void vmi_pidcache_add(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb) NOEXCEPT;

/**
 * Drops all cached guest pages.
 */
void vmi_pagecache_flush(vmi_instance_t vmi) NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_H */
