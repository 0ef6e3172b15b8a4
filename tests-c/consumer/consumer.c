/* A program written against upstream LibVMI's API: opens a raw memory
 * image it writes itself and reads it back through the library. */
#include <libvmi/libvmi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    FILE *f = fopen(argv[1], "wb");
    if (!f)
        return 2;
    for (uint64_t i = 0; i < 64 * 1024; i += 8)
        fwrite(&i, 8, 1, f);
    fclose(f);

    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = 0;
    if (VMI_SUCCESS != vmi_init(&vmi, VMI_FILE, argv[1], VMI_INIT_DOMAINNAME, NULL, &err)) {
        fprintf(stderr, "vmi_init failed (%d)\n", err);
        return 1;
    }
    uint64_t v = 0;
    int rc = 0;
    if (VMI_SUCCESS != vmi_read_64_pa(vmi, 0x1238, &v) || v != 0x1238) {
        fprintf(stderr, "read_64_pa gave %#llx\n", (unsigned long long)v);
        rc = 1;
    }
    if (vmi_get_memsize(vmi) != 64 * 1024) {
        fprintf(stderr, "memsize wrong\n");
        rc = 1;
    }
    vmi_destroy(vmi);
    printf("consumer: %s\n", rc ? "FAILED" : "ok");
    return rc;
}
