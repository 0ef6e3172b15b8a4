/* Memory access, translation, caches and page lists through the public
 * headers, as a C program uses them: a raw image with hand-made IA-32e page
 * tables (the access contexts name the paging mode, since a raw file has no
 * CPU state), and the real Linux guest when it has been built. */
#include <libvmi/libvmi.h>
#include <libvmi/libvmi_extra.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

#define IMG_SIZE (4u << 20)
#define DTB 0x1000u
#define VA 0x400000u
#define PA0 0x10000u
#define PA1 0x15000u

static uint8_t img[IMG_SIZE];

static void put64(uint64_t at, uint64_t v)
{
    memcpy(img + at, &v, 8);
}

static uint64_t get64(uint64_t at)
{
    uint64_t v;
    memcpy(&v, img + at, 8);
    return v;
}

/* VA -> PA0, VA+0x1000 -> PA1, VA+0x2000 unmapped. */
static const char *build_image(void)
{
    for (size_t i = 0; i < IMG_SIZE; i++)
        img[i] = (uint8_t)((i * 2654435761u) >> 24);
    memset(img, 0, 0x10000);
    put64(DTB, 0x2000 | 3);
    put64(0x2000, 0x3000 | 3);
    put64(0x3000 + 2 * 8, 0x4000 | 3);
    put64(0x4000, PA0 | 3);
    put64(0x4000 + 8, PA1 | 3);
    memcpy(img + PA0 + 0xffa, "hello ", 6);
    memcpy(img + PA1, "world", 6);
    memcpy(img + PA1 + 0xffc, "tail", 4);
    /* "AB" as UTF-16 and a 64-bit UNICODE_STRING describing it at VA+0x300. */
    memcpy(img + PA0 + 0x200, "A\0B\0\0\0", 6);
    uint16_t len = 4, max = 6;
    memcpy(img + PA0 + 0x300, &len, 2);
    memcpy(img + PA0 + 0x302, &max, 2);
    put64(PA0 + 0x308, VA + 0x200);

    const char *path = scratch_path("access.raw");
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(img, 1, IMG_SIZE, f) != IMG_SIZE) {
        perror("image");
        exit(2);
    }
    fclose(f);
    return path;
}

static vmi_instance_t open_image(const char *path)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = 0;
    if (VMI_SUCCESS != vmi_init(&vmi, VMI_FILE, path, VMI_INIT_DOMAINNAME, NULL, &err)) {
        fprintf(stderr, "vmi_init failed (%d)\n", err);
        exit(1);
    }
    return vmi;
}

static void synthetic(const char *path)
{
    vmi_instance_t vmi = open_image(path);
    uint8_t buf[64];
    size_t n = 99;

    /* Physical and page-table contexts. */
    ACCESS_CONTEXT(pa, .tm = VMI_TM_NONE, .addr = PA0 + 0x20);
    CHECK(vmi_read(vmi, &pa, 16, buf, &n) == VMI_SUCCESS && n == 16);
    CHECK(memcmp(buf, img + PA0 + 0x20, 16) == 0);
    ACCESS_CONTEXT(va, .tm = VMI_TM_PROCESS_DTB, .dtb = DTB, .pm = VMI_PM_IA32E, .addr = VA + 0xff8);
    CHECK(vmi_read(vmi, &va, 16, buf, &n) == VMI_SUCCESS && n == 16);
    CHECK(memcmp(buf, img + PA0 + 0xff8, 8) == 0 && memcmp(buf + 8, img + PA1, 8) == 0);
    /* Partial: stops at the unmapped page. */
    va.addr = VA + 0x1ff0;
    CHECK(vmi_read(vmi, &va, 32, buf, &n) == VMI_FAILURE && n == 16);
    CHECK(vmi_read(vmi, &va, 32, buf, NULL) == VMI_FAILURE);
    /* Without a paging mode a page table cannot be walked. */
    ACCESS_CONTEXT(nopm, .tm = VMI_TM_PROCESS_DTB, .dtb = DTB, .addr = VA);
    CHECK(vmi_read(vmi, &nopm, 8, buf, &n) == VMI_FAILURE && n == 0);

    uint8_t v8; uint16_t v16; uint32_t v32; uint64_t v64;
    va.addr = VA + 0x40;
    CHECK(vmi_read_8(vmi, &va, &v8) == VMI_SUCCESS && v8 == img[PA0 + 0x40]);
    CHECK(vmi_read_16(vmi, &va, &v16) == VMI_SUCCESS && v16 == (uint16_t)get64(PA0 + 0x40));
    CHECK(vmi_read_32(vmi, &va, &v32) == VMI_SUCCESS && v32 == (uint32_t)get64(PA0 + 0x40));
    CHECK(vmi_read_64(vmi, &va, &v64) == VMI_SUCCESS && v64 == get64(PA0 + 0x40));
    CHECK(vmi_read_64_pa(vmi, PA1 + 8, &v64) == VMI_SUCCESS && v64 == get64(PA1 + 8));
    CHECK(vmi_read_8_pa(vmi, IMG_SIZE, &v8) == VMI_FAILURE);
    addr_t a;
    CHECK(vmi_read_addr_pa(vmi, PA0, &a) == VMI_FAILURE); /* pointer width unknown */

    /* Strings. */
    va.addr = VA + 0xffa;
    char *s = vmi_read_str(vmi, &va);
    CHECK(s && strcmp(s, "hello world") == 0);
    free(s);
    va.addr = VA + 0x1ffc;
    s = vmi_read_str(vmi, &va);
    CHECK(s && strcmp(s, "tail") == 0);
    free(s);
    va.addr = VA + 0x2000;
    CHECK(vmi_read_str(vmi, &va) == NULL);
    va.addr = VA + 0x200;
    uint16_t *w = vmi_read_wstr(vmi, &va);
    CHECK(w && w[0] == 'A' && w[1] == 'B' && w[2] == 0);
    free(w);
    va.addr = VA + 0x300;
    unicode_string_t *us = vmi_read_unicode_str_pm(vmi, &va, VMI_PM_IA32E);
    CHECK(us && us->length == 4 && memcmp(us->contents, "A\0B\0", 4) == 0);
    if (us) {
        unicode_string_t out;
        CHECK(vmi_convert_str_encoding(us, &out, "UTF-8") == VMI_SUCCESS);
        CHECK(out.length == 2 && strcmp((char *)out.contents, "AB") == 0);
        free(out.contents);
        CHECK(vmi_convert_str_encoding(us, &out, "NO-SUCH-CHARSET") == VMI_FAILURE);
        CHECK(out.contents == NULL);
        vmi_free_unicode_str(us);
    }

    /* Hex dump (format checked by the Rust tests). */
    vmi_print_hex(img + PA0 + 0xffa, 12);
    vmi_print_hex_pa(vmi, PA1, 6);

    /* Translations with an explicit mode. */
    addr_t p = 0, na = 0;
    CHECK(vmi_nested_pagetable_lookup(vmi, 0, 0, DTB, VMI_PM_IA32E, VA + 0x1234, &p, &na) == VMI_SUCCESS);
    CHECK(p == PA1 + 0x234);
    page_info_t info;
    CHECK(vmi_nested_pagetable_lookup_extended(vmi, 0, 0, DTB, VMI_PM_IA32E, VA + 0x10, &info) == VMI_SUCCESS);
    CHECK(info.paddr == PA0 + 0x10 && info.size == VMI_PS_4KB && info.pm == VMI_PM_IA32E);
    CHECK(info.x86_ia32e.pml4e_location == DTB && info.x86_ia32e.pte_location == 0x4000);
    CHECK(info.x86_ia32e.pte_value == (PA0 | 3));
    CHECK(vmi_nested_pagetable_lookup(vmi, 0, 0, DTB, VMI_PM_IA32E, VA + 0x2000, &p, &na) == VMI_FAILURE);
    const access_context_t *fault = vmi_get_last_pagetable_lookup_fault(vmi);
    CHECK(fault && fault->addr == VA + 0x2000 && fault->pt == DTB && fault->pm == VMI_PM_IA32E);

    /* Page list. */
    GSList *pages = vmi_get_nested_va_pages(vmi, 0, 0, DTB, VMI_PM_IA32E);
    CHECK(g_slist_length(pages) == 2);
    for (GSList *l = pages; l; l = l->next) {
        page_info_t *pi = l->data;
        CHECK((pi->vaddr == VA && pi->paddr == PA0) || (pi->vaddr == VA + 0x1000 && pi->paddr == PA1));
    }
    g_slist_free_full(pages, g_free);

    /* Cache: a made-up translation serves reads until flushed. */
    vmi_v2pcache_add(vmi, 0x9000000, DTB, PA1);
    va.addr = 0x9000008;
    CHECK(vmi_read_64(vmi, &va, &v64) == VMI_SUCCESS && v64 == get64(PA1 + 8));
    vmi_v2pcache_flush(vmi, ~0ull);
    CHECK(vmi_read_64(vmi, &va, &v64) == VMI_FAILURE);
    vmi_pidcache_add(vmi, 5, DTB);
    addr_t dtb = 0;
    CHECK(vmi_pid_to_dtb(vmi, 5, &dtb) == VMI_SUCCESS && dtb == DTB);
    vmi_pidcache_flush(vmi);
    vmi_pagecache_flush(vmi);

    /* Mapping copies of guest pages. */
    void *ptrs[3];
    va.addr = VA;
    CHECK(vmi_mmap_guest(vmi, &va, 3, PROT_READ, ptrs) == VMI_SUCCESS);
    CHECK(ptrs[0] && memcmp(ptrs[0], img + PA0, 4096) == 0);
    CHECK(ptrs[1] && memcmp(ptrs[1], img + PA1, 4096) == 0);
    CHECK(ptrs[2] == NULL);
    for (int i = 0; i < 3; i++)
        if (ptrs[i])
            munmap(ptrs[i], 4096);

    /* Disks need a hypervisor. */
    unsigned int num = 7;
    CHECK(vmi_get_disks(vmi, &num) == NULL && num == 0);

    /* Read-only by default. */
    v64 = 0x1122334455667788ull;
    n = 5;
    CHECK(vmi_write_pa(vmi, PA0, 8, &v64, &n) == VMI_FAILURE && n == 0);
    vmi_destroy(vmi);

    /* Writable on request. */
    setenv("LIBVMI_FILE_WRITABLE", "1", 1);
    vmi = open_image(path);
    unsetenv("LIBVMI_FILE_WRITABLE");
    va.addr = VA + 0x1ff8;
    uint8_t data[16];
    memset(data, 0xab, sizeof(data));
    CHECK(vmi_write(vmi, &va, 16, data, &n) == VMI_FAILURE && n == 8);
    CHECK(vmi_read_64_pa(vmi, PA1 + 0xff8, &v64) == VMI_SUCCESS && v64 == 0xababababababababull);
    v32 = 0xdeadbeef;
    va.addr = VA + 0x80;
    CHECK(vmi_write_32(vmi, &va, &v32) == VMI_SUCCESS);
    CHECK(vmi_read_32_pa(vmi, PA0 + 0x80, &v32) == VMI_SUCCESS && v32 == 0xdeadbeef);
    vmi_destroy(vmi);
}

/* The real guest, when built: marker process contents and kernel symbols. */
static void real_guest(void)
{
    char dir[4096];
    const char *env = getenv("VMI_TEST_GUEST_DIR");
    const char *src = getenv("VMI_TEST_SRC");
    if (env)
        snprintf(dir, sizeof(dir), "%s", env);
    else
        snprintf(dir, sizeof(dir), "%s/target/guests/x86_64", src ? src : ".");
    char image[4200], sysmap[4200], conf[8800];
    snprintf(image, sizeof(image), "%s/mem.raw", dir);
    snprintf(sysmap, sizeof(sysmap), "%s/System.map", dir);
    FILE *f = fopen(image, "rb");
    if (!f) {
        printf("SKIP real guest: no %s\n", image);
        return;
    }
    fclose(f);
    snprintf(conf, sizeof(conf),
             "{ ostype = \"Linux\"; sysmap = \"%s\"; linux_tasks = 2192; linux_mm = 2272; "
             "linux_pid = 2416; linux_name = 2976; linux_pgd = 72; }", sysmap);
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = 0;
    CHECK(vmi_init_complete(&vmi, image, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, conf, &err)
          == VMI_SUCCESS);
    if (!vmi)
        return;
    addr_t init_task = 0;
    CHECK(vmi_translate_ksym2v(vmi, "init_task", &init_task) == VMI_SUCCESS);
    char *comm = NULL;
    ACCESS_CONTEXT(k, .tm = VMI_TM_PROCESS_PID, .pid = 0, .addr = init_task + 2976);
    comm = vmi_read_str(vmi, &k);
    CHECK(comm && strncmp(comm, "swapper", 7) == 0);
    free(comm);
    ACCESS_CONTEXT(sym, .tm = VMI_TM_PROCESS_PID, .pid = 0);
    const char *name = vmi_translate_v2ksym(vmi, &sym, init_task);
    CHECK(name && strcmp(name, "init_task") == 0);

    /* The marker process (truth/marker.txt). */
    char path[4200], line[512];
    snprintf(path, sizeof(path), "%s/truth/marker.txt", dir);
    f = fopen(path, "r");
    CHECK(f != NULL);
    long pid = -1;
    unsigned long long arg = 0, phys = 0;
    while (f && fgets(line, sizeof(line), f)) {
        sscanf(line, "pid=%ld", &pid);
        sscanf(line, "arg_start_hex=%llx", &arg);
        sscanf(line, "arg_start_phys_hex=%llx", &phys);
    }
    if (f)
        fclose(f);
    addr_t pa = 0;
    CHECK(vmi_translate_uv2p(vmi, arg, (vmi_pid_t)pid, &pa) == VMI_SUCCESS && pa == phys);
    char *cmd = vmi_read_str_va(vmi, arg, (vmi_pid_t)pid);
    CHECK(cmd && strcmp(cmd, "/bin/sh") == 0);
    free(cmd);
    addr_t dtb = 0;
    vmi_pid_t back = 0;
    CHECK(vmi_pid_to_dtb(vmi, (vmi_pid_t)pid, &dtb) == VMI_SUCCESS);
    CHECK(vmi_dtb_to_pid(vmi, dtb, &back) == VMI_SUCCESS && back == pid);
    page_info_t info;
    CHECK(vmi_pagetable_lookup_extended(vmi, dtb, arg, &info) == VMI_SUCCESS && info.paddr == pa);
    vmi_destroy(vmi);
}

int main(void)
{
    synthetic(build_image());
    real_guest();
    return test_done("test_access");
}
