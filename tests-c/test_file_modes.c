/* The file backend's init data and write modes: a VMI_INIT_DATA_MEMMAP
 * memory map limits what is readable; writes reach the image only when it
 * was opened writable (LIBVMI_FILE_WRITABLE=1), never silently otherwise. */
#include <libvmi/libvmi.h>
#include <stdlib.h>

#include "harness.h"

static uint64_t file_word(const char *path, uint64_t off)
{
    uint64_t v = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ~0ull;
    fseek(f, (long)off, SEEK_SET);
    if (fread(&v, 8, 1, f) != 1)
        v = ~0ull;
    fclose(f);
    return v;
}

int main(void)
{
    char image[4096];
    snprintf(image, sizeof(image), "%s", scratch_path("file-modes.raw"));
    CHECK(make_pattern_image(image, 64 << 10) == 0);

    /* memory map: [0x1000, 0x3000) and [0x8000, 0x9000) */
    struct {
        uint64_t count;
        uint64_t range[2][2];
    } map = { 2, { { 0x1000, 0x3000 }, { 0x8000, 0x9000 } } };
    struct {
        uint64_t count;
        vmi_init_data_entry_t entry[1];
    } data = { 1, { { VMI_INIT_DATA_MEMMAP, &map } } };

    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = 0;
    CHECK(vmi_init(&vmi, VMI_FILE, image, VMI_INIT_DOMAINNAME, (vmi_init_data_t *)&data, &err) == VMI_SUCCESS);
    uint64_t v = 0;
    size_t n = 99;
    CHECK(vmi_read_64_pa(vmi, 0x1008, &v) == VMI_SUCCESS && v == 0x1008);
    CHECK(vmi_read_64_pa(vmi, 0x8ff8, &v) == VMI_SUCCESS && v == 0x8ff8);
    CHECK(vmi_read_64_pa(vmi, 0x0008, &v) == VMI_FAILURE);
    CHECK(vmi_read_64_pa(vmi, 0x4000, &v) == VMI_FAILURE);
    /* a read running off the end of a range reports what it got */
    uint8_t buf[0x2000];
    CHECK(vmi_read_pa(vmi, 0x2800, sizeof(buf), buf, &n) == VMI_FAILURE);
    CHECK(n == 0x800);
    CHECK(vmi_get_memsize(vmi) == 0x3000);
    /* read-only by default: a write fails and changes nothing */
    CHECK(vmi_write_64_pa(vmi, 0x1010, &(uint64_t){ 0xdeadbeef }) == VMI_FAILURE);
    CHECK(vmi_destroy(vmi) == VMI_SUCCESS);
    CHECK(file_word(image, 0x1010) == 0x1010);

    /* writable on request */
    setenv("LIBVMI_FILE_WRITABLE", "1", 1);
    CHECK(vmi_init(&vmi, VMI_FILE, image, VMI_INIT_DOMAINNAME, NULL, &err) == VMI_SUCCESS);
    uint64_t w = 0x1122334455667788ull;
    CHECK(vmi_write_64_pa(vmi, 0x1010, &w) == VMI_SUCCESS);
    CHECK(vmi_read_64_pa(vmi, 0x1010, &v) == VMI_SUCCESS && v == w);
    /* a write past the end fails and reports the bytes it wrote */
    n = 99;
    CHECK(vmi_write_pa(vmi, (64 << 10) - 4, 8, &w, &n) == VMI_FAILURE);
    CHECK(n == 4);
    CHECK(vmi_destroy(vmi) == VMI_SUCCESS);
    unsetenv("LIBVMI_FILE_WRITABLE");
    CHECK(file_word(image, 0x1010) == w);

    /* bad init data is refused, not trusted */
    map.count = 1;
    map.range[0][0] = 0x3000;
    map.range[0][1] = 0x1000;
    CHECK(vmi_init(&vmi, VMI_FILE, image, VMI_INIT_DOMAINNAME, (vmi_init_data_t *)&data, &err) == VMI_FAILURE);
    CHECK(err == VMI_INIT_ERROR_DRIVER);
    map.count = 1ull << 40;
    CHECK(vmi_init(&vmi, VMI_FILE, image, VMI_INIT_DOMAINNAME, (vmi_init_data_t *)&data, &err) == VMI_FAILURE);
    return test_done("file_modes");
}
