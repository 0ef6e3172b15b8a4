#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int harness_failures;
int harness_checks;

int test_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, harness_checks, harness_failures);
    return harness_failures ? 1 : 0;
}

int make_pattern_image(const char *path, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    for (uint64_t off = 0; off < size; off += 8) {
        if (fwrite(&off, 8, 1, f) != 1) {
            fclose(f);
            return -1;
        }
    }
    return fclose(f);
}

const char *scratch_path(const char *name)
{
    static char buf[4096];
    const char *dir = getenv("VMI_TEST_TMP");
    snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : "/tmp", name);
    return buf;
}
