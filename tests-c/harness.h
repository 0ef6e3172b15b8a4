/* Minimal assertion harness for the C tests: CHECK records a failure with
 * file and line and keeps going; test_done() prints a summary and returns
 * the exit status for main. */
#ifndef VMI_TEST_HARNESS_H
#define VMI_TEST_HARNESS_H

#include <stdio.h>

extern int harness_failures;
extern int harness_checks;

#define CHECK(cond) do { \
    harness_checks++; \
    if (!(cond)) { \
        harness_failures++; \
        fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
    } \
} while (0)

int test_done(const char *name);

/* Writes a file of `size` bytes where every 8-byte word holds its own
 * offset (so any read can be checked), returns 0 on success. */
int make_pattern_image(const char *path, size_t size);

/* Path under the build directory for scratch files. */
const char *scratch_path(const char *name);

#endif
