/* Configuration handling through the C API: every vmi_config_t mode,
 * malformed input reported with the right vmi_init_error_t, never a crash,
 * and nothing written to stdout (upstream writes a stray NUL there). */
#include <libvmi/libvmi.h>
#include <glib.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

static const char *image;

static vmi_init_error_t init_with(vmi_config_t mode, void *config, status_t *st)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = VMI_INIT_ERROR_NONE;
    *st = vmi_init_complete(&vmi, image, VMI_INIT_DOMAINNAME, NULL, mode, config, &err);
    if (*st == VMI_SUCCESS) {
        CHECK(vmi != NULL);
        vmi_destroy(vmi);
    } else {
        CHECK(vmi == NULL);
    }
    return err;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

int main(void)
{
    static char img[4096];
    snprintf(img, sizeof(img), "%s", scratch_path("config-test.raw"));
    image = img;
    CHECK(make_pattern_image(image, 1 << 20) == 0);

    /* stdout goes to a file so we can prove nothing is written there */
    char out_path[4096];
    snprintf(out_path, sizeof(out_path), "%s", scratch_path("config-test.stdout"));
    fflush(stdout);
    int saved = dup(1);
    CHECK(freopen(out_path, "w", stdout) != NULL);

    status_t st;
    CHECK(init_with(VMI_CONFIG_STRING, "{ ostype = \"Linux\"", &st) == VMI_INIT_ERROR_NO_CONFIG);
    CHECK(st == VMI_FAILURE);
    CHECK(init_with(VMI_CONFIG_STRING, "}}} {{ = ;", &st) == VMI_INIT_ERROR_NO_CONFIG);
    CHECK(init_with(VMI_CONFIG_STRING, "{ linux_tasks = 0x; }", &st) == VMI_INIT_ERROR_NO_CONFIG);
    CHECK(init_with(VMI_CONFIG_STRING, NULL, &st) == VMI_INIT_ERROR_NO_CONFIG);
    /* well-formed, but names no OS */
    CHECK(init_with(VMI_CONFIG_STRING, "{ linux_tasks = 0x10; }", &st) == VMI_INIT_ERROR_NO_CONFIG_ENTRY);
    /* an OS the image does not hold */
    CHECK(init_with(VMI_CONFIG_STRING, "{ ostype = \"Linux\"; linux_tasks = 1; linux_mm = 2; linux_pid = 3; "
                                       "linux_name = 4; linux_pgd = 5; }", &st) == VMI_INIT_ERROR_OS);
    CHECK(st == VMI_FAILURE);

    /* config files */
    char conf[4096];
    snprintf(conf, sizeof(conf), "%s", scratch_path("config-test.conf"));
    write_file(conf, "# a comment\nother-domain {\n    ostype = \"Linux\";\n}\n");
    CHECK(init_with(VMI_CONFIG_FILE_PATH, conf, &st) == VMI_INIT_ERROR_NO_CONFIG_ENTRY);
    write_file(conf, "config-test.raw {\n    ostype = \"Linux\"\n    sysmap = \"x\";\n}\n");
    CHECK(init_with(VMI_CONFIG_FILE_PATH, conf, &st) == VMI_INIT_ERROR_NO_CONFIG);
    CHECK(init_with(VMI_CONFIG_FILE_PATH, "/nonexistent/libvmi.conf", &st) == VMI_INIT_ERROR_NO_CONFIG);

    /* the global file: ./libvmi.conf comes first in upstream's search order */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    CHECK(chdir(getenv("VMI_TEST_TMP") ? getenv("VMI_TEST_TMP") : "/tmp") == 0);
    write_file("libvmi.conf", "config-test.raw { linux_pid = 1; }\n");
    CHECK(init_with(VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &st) == VMI_INIT_ERROR_NO_CONFIG_ENTRY);
    write_file("libvmi.conf", "config-test.raw { ostype = \"Linux\"; linux_tasks = 1; linux_mm = 2; "
                              "linux_pid = 3; linux_name = 4; linux_pgd = 5; }\n");
    CHECK(init_with(VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &st) == VMI_INIT_ERROR_OS);
    unlink("libvmi.conf");
    CHECK(chdir(cwd) == 0);

    /* a GHashTable as python-libvmi builds it */
    CHECK(init_with(VMI_CONFIG_GHASHTABLE, NULL, &st) == VMI_INIT_ERROR_NO_CONFIG);
    GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
    addr_t tasks = 0x10;
    g_hash_table_insert(t, "linux_tasks", &tasks);
    CHECK(init_with(VMI_CONFIG_GHASHTABLE, t, &st) == VMI_INIT_ERROR_NO_CONFIG_ENTRY);
    g_hash_table_insert(t, "ostype", "Linux");
    CHECK(init_with(VMI_CONFIG_GHASHTABLE, t, &st) == VMI_INIT_ERROR_OS);
    g_hash_table_destroy(t);

    /* a JSON profile that does not exist */
    CHECK(init_with(VMI_CONFIG_JSON_PATH, "/nonexistent/profile.json", &st) != VMI_INIT_ERROR_NONE);
    CHECK(st == VMI_FAILURE);

    /* an image that does not exist */
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = 0;
    CHECK(vmi_init_complete(&vmi, "/nonexistent/image.raw", VMI_INIT_DOMAINNAME, NULL,
                            VMI_CONFIG_STRING, "{ ostype = \"Linux\"; }", &err) == VMI_FAILURE);
    CHECK(err == VMI_INIT_ERROR_DRIVER_NOT_DETECTED);
    CHECK(vmi_init(&vmi, VMI_FILE, "/nonexistent/image.raw", VMI_INIT_DOMAINNAME, NULL, &err) == VMI_FAILURE);
    CHECK(err == VMI_INIT_ERROR_VM_NOT_FOUND);
    CHECK(vmi_init(&vmi, VMI_KVM, "guest", VMI_INIT_DOMAINNAME, NULL, &err) == VMI_FAILURE);
    CHECK(err == VMI_INIT_ERROR_DRIVER);

    /* plain vmi_init works on any file and the accessors answer */
    CHECK(vmi_init(&vmi, VMI_FILE, image, VMI_INIT_DOMAINNAME, NULL, &err) == VMI_SUCCESS);
    CHECK(vmi_get_memsize(vmi) == (1 << 20));
    CHECK(vmi_get_max_physical_address(vmi) == (1 << 20));
    vmi_mode_t mode = VMI_XEN;
    CHECK(vmi_get_access_mode(vmi, NULL, 0, NULL, &mode) == VMI_SUCCESS && mode == VMI_FILE);
    CHECK(vmi_get_access_mode(NULL, image, VMI_INIT_DOMAINNAME, NULL, &mode) == VMI_SUCCESS && mode == VMI_FILE);
    char *name = vmi_get_name(vmi);
    CHECK(name && strcmp(name, "config-test.raw") == 0);
    free(name);
    CHECK(vmi_get_vmid(vmi) == VMI_INVALID_DOMID);
    CHECK(vmi_get_page_mode(vmi, 0) == VMI_PM_UNKNOWN);
    CHECK(vmi_destroy(vmi) == VMI_SUCCESS);

    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    stdout = fdopen(1, "w");

    FILE *f = fopen(out_path, "rb");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        CHECK(n == 0);
        fclose(f);
    }
    return test_done("config");
}
