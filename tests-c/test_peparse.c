/* peparse.h from C: a PE32+ image built here is checked in a buffer, then
 * read back through a file-backed instance (the raw file is guest-physical
 * memory), as a C user of upstream LibVMI would do it. Also the OS queries
 * a snapshot without an OS answers. */
#include <libvmi/libvmi.h>
#include <libvmi/peparse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define LFANEW 0x80
#define OPT (LFANEW + 24)
#define EXPORT_RVA 0x1000
#define NAME_RVA 0x1100
#define BASE 0x10000

static void put16(uint8_t *b, size_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }

static void build_image(uint8_t *b, size_t len)
{
    memset(b, 0, len);
    put16(b, 0, IMAGE_DOS_HEADER);
    put32(b, 60, LFANEW);
    put32(b, LFANEW, IMAGE_NT_SIGNATURE);
    put16(b, LFANEW + 4, 0x8664);
    put16(b, LFANEW + 20, sizeof(struct optional_header_pe32plus));
    put16(b, OPT, IMAGE_PE32_PLUS_MAGIC);
    put32(b, OPT + 108, 16);
    for (uint32_t i = 0; i < 16; i++) {
        put32(b, OPT + 112 + 8 * i, i ? 0x100 * i : EXPORT_RVA);
        put32(b, OPT + 112 + 8 * i + 4, i ? i : 0x80);
    }
    put32(b, EXPORT_RVA + 12, NAME_RVA);
    put32(b, EXPORT_RVA + 20, 3);
    put32(b, EXPORT_RVA + 24, 2);
    memcpy(b + NAME_RVA, "c-test.dll", 11);
}

int main(void)
{
    static uint8_t image[0x2000];
    build_image(image, sizeof(image));

    CHECK(peparse_validate_pe_image(image, sizeof(image)) == VMI_SUCCESS);
    CHECK(peparse_validate_pe_image(image, LFANEW + 24 + 223) == VMI_FAILURE);

    struct dos_header *dos = NULL;
    struct pe_header *pe = NULL;
    uint16_t magic = 0;
    void *opt = NULL;
    struct optional_header_pe32 *oh32 = NULL;
    struct optional_header_pe32plus *oh64 = NULL;
    peparse_assign_headers(image, &dos, &pe, &magic, &opt, &oh32, &oh64);
    CHECK((uint8_t *)dos == image);
    CHECK((uint8_t *)pe == image + LFANEW);
    CHECK(magic == IMAGE_PE32_PLUS_MAGIC);
    CHECK(oh32 == NULL);
    CHECK((void *)oh64 == opt);
    CHECK(pe->number_of_sections == 0);
    CHECK(oh64->number_of_rva_and_sizes == 16);
    CHECK(peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_EXPORT, &magic, opt, NULL, NULL) == EXPORT_RVA);
    CHECK(peparse_get_idd_size(IMAGE_DIRECTORY_ENTRY_EXPORT, NULL, NULL, NULL, oh64) == 0x80);
    CHECK(peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_IAT, NULL, NULL, NULL, oh64) == 0x100 * 12);
    CHECK(peparse_get_idd_rva(16, &magic, opt, NULL, NULL) == 0);

    /* Guest memory: the image at BASE of a 1 MiB raw snapshot. */
    const char *path = scratch_path("peparse-mem.raw");
    static uint8_t mem[1 << 20];
    memcpy(mem + BASE, image, sizeof(image));
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return test_done("peparse");
    CHECK(fwrite(mem, sizeof(mem), 1, f) == 1);
    fclose(f);

    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = VMI_INIT_ERROR_NONE;
    CHECK(vmi_init(&vmi, VMI_FILE, path, VMI_INIT_DOMAINNAME, NULL, &err) == VMI_SUCCESS);
    if (vmi) {
        ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_NONE, .addr = BASE);
        uint8_t hdr[1024];
        CHECK(peparse_get_image(vmi, &ctx, sizeof(hdr), hdr) == VMI_SUCCESS);
        CHECK(memcmp(hdr, image, sizeof(hdr)) == 0);

        struct export_table et;
        addr_t rva = 0;
        size_t size = 0;
        CHECK(peparse_get_export_table(vmi, &ctx, &et, &rva, &size) == VMI_SUCCESS);
        CHECK(rva == EXPORT_RVA);
        CHECK(size == 0x80);
        CHECK(et.name == NAME_RVA);
        CHECK(et.number_of_functions == 3);
        CHECK(et.number_of_names == 2);

        ctx.addr = BASE + 0x1000;
        CHECK(peparse_get_export_table(vmi, &ctx, &et, &rva, &size) == VMI_FAILURE);

        /* A snapshot without vmi_init_os. */
        CHECK(vmi_get_ostype(vmi) == VMI_OS_UNKNOWN);
        CHECK(vmi_get_winver(vmi) == VMI_OS_WINDOWS_NONE);
        CHECK(strcmp(vmi_get_winver_str(vmi), "VMI_OS_WINDOWS_NONE") == 0);
        CHECK(vmi_get_linux_sysmap(vmi) == NULL);
        CHECK(vmi_pause_vm(vmi) == VMI_SUCCESS);
        CHECK(vmi_resume_vm(vmi) == VMI_SUCCESS);
        CHECK(vmi_destroy(vmi) == VMI_SUCCESS);
    }
    remove(path);
    return test_done("peparse");
}
