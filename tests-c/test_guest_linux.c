/* What upstream's example programs do (process-list, map-symbol, va-pages,
 * dump-memory), through the public headers, on a real Debian 6.1 x86_64
 * guest (KASLR on), compared with what the guest said about itself.
 * The config comes as a GHashTable, the way python-libvmi passes it. */
#include <libvmi/libvmi.h>
#include <libvmi/libvmi_extra.h>
#include <glib.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

static char dir[4096];

static char *slurp(const char *name)
{
    char path[4600];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    gchar *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}

static addr_t offsets[5];
static const char *offset_keys[5] = { "linux_tasks", "linux_mm", "linux_pid", "linux_name", "linux_pgd" };

static int load_offsets(void)
{
    char *text = slurp("offsets.txt");
    if (!text)
        return -1;
    int found = 0;
    for (int i = 0; i < 5; i++) {
        char *p = strstr(text, offset_keys[i]);
        if (p && sscanf(p + strlen(offset_keys[i]), "=%lu", &offsets[i]) == 1)
            found++;
    }
    g_free(text);
    return found == 5 ? 0 : -1;
}

/* truth/ps.txt: pid, ppid, /proc comm, stat name */
static const char *truth_name(char *ps, int pid)
{
    static char name[64];
    char *save = NULL;
    char *copy = g_strdup(ps);
    const char *result = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int p, pp;
        char comm[64];
        if (line[0] == '#' || sscanf(line, "%d\t%d\t%63[^\t]", &p, &pp, comm) != 3 || p != pid)
            continue;
        snprintf(name, sizeof(name), "%s", comm);
        result = name;
        break;
    }
    g_free(copy);
    return result;
}

static void check_image(const char *image)
{
    char sysmap[4200];
    snprintf(sysmap, sizeof(sysmap), "%s/System.map", dir);
    GHashTable *config = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(config, "ostype", "Linux");
    g_hash_table_insert(config, "sysmap", sysmap);
    for (int i = 0; i < 5; i++)
        g_hash_table_insert(config, (gpointer)offset_keys[i], &offsets[i]);

    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = 0;
    CHECK(vmi_init_complete(&vmi, image, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_GHASHTABLE, config, &err)
          == VMI_SUCCESS);
    g_hash_table_destroy(config);
    if (!vmi) {
        fprintf(stderr, "init failed on %s: %d\n", image, err);
        return;
    }
    CHECK(vmi_get_ostype(vmi) == VMI_OS_LINUX);
    CHECK(vmi_get_page_mode(vmi, 0) == VMI_PM_IA32E);
    CHECK(vmi_get_address_width(vmi) == 8);
    const char *map = vmi_get_linux_sysmap(vmi);
    CHECK(map && strcmp(map, sysmap) == 0);

    /* process-list.c */
    addr_t tasks = 0, name_off = 0, pid_off = 0, init_task = 0;
    CHECK(vmi_get_offset(vmi, "linux_tasks", &tasks) == VMI_SUCCESS && tasks == offsets[0]);
    CHECK(vmi_get_offset(vmi, "linux_name", &name_off) == VMI_SUCCESS);
    CHECK(vmi_get_offset(vmi, "linux_pid", &pid_off) == VMI_SUCCESS);
    CHECK(vmi_translate_ksym2v(vmi, "init_task", &init_task) == VMI_SUCCESS);
    char *ps = slurp("truth/ps.txt");
    CHECK(ps != NULL);
    addr_t head = init_task + tasks, cur = 0;
    CHECK(vmi_read_addr_va(vmi, head, 0, &cur) == VMI_SUCCESS);
    int n = 0, matched = 0, marker_seen = 0;
    while (cur != head && n < 10000) {
        addr_t task = cur - tasks;
        vmi_pid_t pid = 0;
        CHECK(vmi_read_32_va(vmi, task + pid_off, 0, (uint32_t *)&pid) == VMI_SUCCESS);
        char *name = vmi_read_str_va(vmi, task + name_off, 0);
        CHECK(name != NULL);
        const char *want = ps ? truth_name(ps, pid) : NULL;
        /* memory holds at most 15 characters; /proc may add "-workqueue" */
        if (name && want && strncmp(name, want, strlen(name)) == 0)
            matched++;
        else
            fprintf(stderr, "pid %d: memory '%s', guest '%s'\n", pid, name ? name : "(null)", want ? want : "(none)");
        if (name && strcmp(name, "vmi_marker_proc") == 0) {
            marker_seen = 1;
            addr_t dtb = 0;
            vmi_pid_t back = 0;
            CHECK(vmi_pid_to_dtb(vmi, pid, &dtb) == VMI_SUCCESS && dtb != 0);
            CHECK(vmi_dtb_to_pid(vmi, dtb, &back) == VMI_SUCCESS && back == pid);
        }
        free(name);
        CHECK(vmi_read_addr_va(vmi, cur, 0, &cur) == VMI_SUCCESS);
        n++;
    }
    CHECK(n > 10 && matched == n);
    CHECK(marker_seen);
    g_free(ps);

    /* map-symbol.c against the guest's own /proc/kallsyms */
    char *kallsyms = slurp("truth/kallsyms");
    CHECK(kallsyms != NULL);
    const char *want_syms[] = { "init_task", "linux_banner", "schedule", "init_top_pgt", NULL };
    for (int i = 0; kallsyms && want_syms[i]; i++) {
        char pat[128];
        snprintf(pat, sizeof(pat), " %s\n", want_syms[i]);
        char *hit = strstr(kallsyms, pat);
        CHECK(hit != NULL);
        if (!hit)
            continue;
        while (hit > kallsyms && hit[-1] != '\n')
            hit--;
        addr_t truth = strtoull(hit, NULL, 16), va = 0, pa = 0;
        CHECK(vmi_translate_ksym2v(vmi, want_syms[i], &va) == VMI_SUCCESS && va == truth);
        CHECK(vmi_translate_kv2p(vmi, va, &pa) == VMI_SUCCESS);
        ACCESS_CONTEXT(kctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0);
        const char *back = vmi_translate_v2ksym(vmi, &kctx, va);
        CHECK(back && strcmp(back, want_syms[i]) == 0);
    }
    g_free(kallsyms);

    /* Symbol lookups are remembered, but the caller's symbol cache entries
     * win, and flushing it forgets both. */
    {
        addr_t jiffies = 0, va = 0;
        uint64_t direct = 0, by_sym = 0;
        CHECK(vmi_translate_ksym2v(vmi, "jiffies", &jiffies) == VMI_SUCCESS);
        CHECK(vmi_read_64_va(vmi, jiffies, 0, &direct) == VMI_SUCCESS);
        CHECK(vmi_read_64_ksym(vmi, "jiffies", &by_sym) == VMI_SUCCESS && by_sym == direct);
        vmi_symcache_add(vmi, 0, 0, "jiffies", init_task);
        CHECK(vmi_translate_ksym2v(vmi, "jiffies", &va) == VMI_SUCCESS && va == init_task);
        vmi_symcache_flush(vmi);
        CHECK(vmi_translate_ksym2v(vmi, "jiffies", &va) == VMI_SUCCESS && va == jiffies);
        CHECK(vmi_translate_ksym2v(vmi, "jiffies_", &va) == VMI_FAILURE);
        CHECK(vmi_translate_ksym2v(vmi, "\xff\xfe", &va) == VMI_FAILURE);
        size_t got = 99;
        uint8_t small[3];
        CHECK(vmi_read_ksym(vmi, "no_such_symbol_here", 3, small, &got) == VMI_FAILURE && got == 0);
        CHECK(vmi_read_ksym(vmi, "jiffies", 3, small, &got) == VMI_SUCCESS && got == 3);
        CHECK(memcmp(small, &direct, 3) == 0); /* a snapshot: jiffies stands still */
    }
    char *banner = vmi_read_str_ksym(vmi, "linux_banner");
    char *version = slurp("truth/version");
    CHECK(banner && version && strncmp(banner, version, strlen(banner) - 1) == 0);
    free(banner);
    g_free(version);

    /* va-pages.c: the kernel's address space includes init_task's page */
    addr_t kpgd = 0;
    CHECK(vmi_pid_to_dtb(vmi, 0, &kpgd) == VMI_SUCCESS);
    GSList *pages = vmi_get_va_pages(vmi, kpgd);
    int found = 0, count = 0;
    for (GSList *it = pages; it; it = it->next) {
        page_info_t *p = it->data;
        count++;
        if (init_task >= p->vaddr && init_task - p->vaddr < (addr_t)p->size)
            found = 1;
    }
    CHECK(count > 1000 && found);
    g_slist_free_full(pages, g_free);

    /* dump-memory.c: the library's view of physical memory is the image */
    FILE *raw = NULL;
    char raw_path[4200];
    snprintf(raw_path, sizeof(raw_path), "%s/mem.raw", dir);
    raw = fopen(raw_path, "rb");
    CHECK(raw != NULL);
    static uint8_t a[1 << 16], b[1 << 16];
    for (addr_t pa = 0x100000; raw && pa < 0x100000 + (16 << 20); pa += sizeof(a)) {
        size_t got = 0;
        fseek(raw, (long)pa, SEEK_SET);
        CHECK(fread(b, 1, sizeof(b), raw) == sizeof(b));
        CHECK(vmi_read_pa(vmi, pa, sizeof(a), a, &got) == VMI_SUCCESS && got == sizeof(a));
        CHECK(memcmp(a, b, sizeof(a)) == 0);
    }
    if (raw)
        fclose(raw);
    vmi_destroy(vmi);
}

int main(void)
{
    const char *src = getenv("VMI_TEST_SRC");
    const char *gdir = getenv("VMI_GUESTS_DIR");
    if (gdir)
        snprintf(dir, sizeof(dir), "%s/x86_64", gdir);
    else
        snprintf(dir, sizeof(dir), "%s/target/guests/x86_64", src ? src : ".");
    char image[4200];
    snprintf(image, sizeof(image), "%s/.complete", dir);
    if (access(image, F_OK) != 0 || load_offsets() != 0) {
        const char *req = getenv("VMI_REQUIRE_GUESTS");
        fprintf(stderr, "guest x86_64 (with offsets.txt) not found in %s\n", dir);
        if (req && strcmp(req, "1") == 0)
            return 1;
        printf("guest_linux: skipped\n");
        return 0;
    }
    snprintf(image, sizeof(image), "%s/mem.raw", dir);
    check_image(image);
    snprintf(image, sizeof(image), "%s/core.elf", dir);
    check_image(image);
    return test_done("guest_linux");
}
