/* Speed figures of the exported C API on a guest memory image, for the
 * README. The same binary runs against any libvmi.so.0 (ours, or upstream's
 * for comparison) chosen with LD_LIBRARY_PATH, so both are measured by the
 * same code on the same image in the same run.
 *
 *   capi_bench IMAGE SYSMAP tasks,mm,pid,name,pgd
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libvmi/libvmi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void report(const char *what, double ns)
{
    printf("%-44s %12.1f ns\n", what, ns);
    fflush(stdout);
}

#define N_ADDR 4096

/* Each figure runs up to `n` iterations or about two seconds, whichever
 * comes first (upstream's uncached symbol lookup takes ~50 ms a call). */
#define TIMED(label, n, ...)                                            \
    do {                                                                \
        double t_start = now_ns(), t_end = t_start;                     \
        long done_ = 0;                                                 \
        for (long i = 0; i < (n); i++) {                                \
            __VA_ARGS__;                                                \
            done_++;                                                    \
            if ((i & 63) == 63 && (t_end = now_ns()) - t_start > 2e9)   \
                break;                                                  \
        }                                                               \
        t_end = now_ns();                                               \
        last_ns = (t_end - t_start) / (done_ ? done_ : 1);              \
        if (label)                                                      \
            report(label, last_ns);                                     \
    } while (0)

static double last_ns;

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s IMAGE SYSMAP tasks,mm,pid,name,pgd\n", argv[0]);
        return 2;
    }
    unsigned long o[5];
    if (sscanf(argv[3], "%lu,%lu,%lu,%lu,%lu", &o[0], &o[1], &o[2], &o[3], &o[4]) != 5)
        return 2;
    char config[4096];
    snprintf(config, sizeof(config),
             "{ ostype = \"Linux\"; sysmap = \"%s\"; linux_tasks = %lu; linux_mm = %lu; "
             "linux_pid = %lu; linux_name = %lu; linux_pgd = %lu; }",
             argv[2], o[0], o[1], o[2], o[3], o[4]);

    vmi_instance_t vmi = NULL;
    vmi_init_error_t err = 0;
    double t0 = now_ns();
    if (VMI_SUCCESS != vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                                         VMI_CONFIG_STRING, config, &err)) {
        fprintf(stderr, "init failed: %d\n", err);
        return 1;
    }
    report("vmi_init_complete (first, cold)", now_ns() - t0);
    vmi_destroy(vmi);
    TIMED("vmi_init_complete + vmi_destroy (warm)", 20, {
        vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, config, &err);
        vmi_destroy(vmi);
    });
    /* With no profile at all: libvmi-rs recovers symbols and offsets from
     * the kernel itself; upstream cannot. */
    const char *bare = "{ ostype = \"Linux\"; }";
    if (VMI_SUCCESS == vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                                         (void *)bare, &err)) {
        vmi_destroy(vmi);
        TIMED("vmi_init_complete, no profile (warm)", 20, {
            vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, (void *)bare, &err);
            vmi_destroy(vmi);
        });
    } else {
        printf("%-44s %15s\n", "vmi_init_complete, no profile", "fails");
    }
    vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, config, &err);

    uint64_t memsize = vmi_get_memsize(vmi);
    addr_t *pas = malloc(sizeof(addr_t) * N_ADDR), *vas = malloc(sizeof(addr_t) * N_ADDR);
    for (int i = 0; i < N_ADDR; i++)
        pas[i] = (next_rand() % (memsize - 4096)) & ~7ull;

    const long iters = 2000000;
    uint64_t v = 0;
    /* Touch every address once first: the first touch of a page costs a
     * page fault (mapping it), which is not what these figures measure. */
    for (int i = 0; i < N_ADDR; i++) {
        vmi_read_64_pa(vmi, pas[i], &v);
        sink += v;
    }
    TIMED("vmi_read_64_pa (random)", iters, {
        vmi_read_64_pa(vmi, pas[i & (N_ADDR - 1)], &v);
        sink += v;
    });

    /* 4 KiB reads against a plain memcpy from the same file, same offsets */
    static uint8_t page[4096];
    const long piters = 200000;
    TIMED("vmi_read_pa 4 KiB (random)", piters, {
        vmi_read_pa(vmi, pas[i & (N_ADDR - 1)] & ~4095ull, 4096, page, NULL);
        sink += page[i & 4095];
    });
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    uint8_t *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    for (int i = 0; i < N_ADDR; i++)
        sink += map[(pas[i] & ~4095ull) % (uint64_t)st.st_size];
    TIMED("  plain memcpy 4 KiB (same offsets)", piters, {
        memcpy(page, map + ((pas[i & (N_ADDR - 1)] & ~4095ull) % (uint64_t)st.st_size), 4096);
        sink += page[i & 4095];
    });

    addr_t text = 0;
    if (VMI_SUCCESS != vmi_translate_ksym2v(vmi, "_text", &text)) {
        fprintf(stderr, "no _text\n");
        return 1;
    }
    /* 1024 pages of kernel text (a 4-level walk each, 2 MiB pages aside). */
    for (int i = 0; i < N_ADDR; i++)
        vas[i] = text + (addr_t)(i % 1024) * 4096 + (next_rand() & 0xff8);
    addr_t pa = 0;
    for (int i = 0; i < N_ADDR; i++)
        vmi_translate_kv2p(vmi, vas[i], &pa);
    TIMED("vmi_translate_kv2p (cached)", iters, {
        vmi_translate_kv2p(vmi, vas[i & (N_ADDR - 1)], &pa);
        sink += pa;
    });
    TIMED(NULL, iters, vmi_v2pcache_flush(vmi, ~0ull));
    double flush = last_ns;
    TIMED(NULL, iters / 10, {
        vmi_v2pcache_flush(vmi, ~0ull);
        vmi_translate_kv2p(vmi, vas[i & (N_ADDR - 1)], &pa);
        sink += pa;
    });
    report("vmi_translate_kv2p (uncached: flush + walk)", last_ns);
    report("  of which vmi_v2pcache_flush", flush);

    for (int i = 0; i < N_ADDR; i++)
        vmi_read_64_va(vmi, vas[i], 0, &v);
    TIMED("vmi_read_64_va (kernel, warm)", iters, {
        vmi_read_64_va(vmi, vas[i & (N_ADDR - 1)], 0, &v);
        sink += v;
    });

    uint8_t buf[8];
    TIMED("vmi_read_ksym 8 bytes", iters, {
        vmi_read_ksym(vmi, "jiffies", 8, buf, NULL);
        sink += buf[0];
    });

    static const char *syms[] = { "init_task", "jiffies", "linux_banner", "_text", "swapper_pg_dir",
                                  "init_mm", "schedule", "do_exit", "printk", "kfree",
                                  "vfree", "kmalloc_caches", "modules", "init_uts_ns", "panic", "memcpy" };
    TIMED("vmi_translate_ksym2v (symbol cache flushed)", 200000, {
        vmi_symcache_flush(vmi);
        addr_t a = 0;
        vmi_translate_ksym2v(vmi, syms[i & 15], &a);
        sink += a;
    });

    /* The process-list walk of upstream's example, with warm caches. */
    addr_t init_task = 0;
    vmi_translate_ksym2v(vmi, "init_task", &init_task);
    int ntasks = 0;
    TIMED(NULL, 20000, {
        addr_t head = init_task + o[0], cur = 0;
        vmi_read_addr_va(vmi, head, 0, &cur);
        ntasks = 1;
        while (cur != head && ntasks < 100000) {
            addr_t task = cur - o[0];
            uint32_t pid = 0;
            vmi_read_32_va(vmi, task + o[2], 0, &pid);
            char *name = vmi_read_str_va(vmi, task + o[3], 0);
            sink += pid + (name ? (uint8_t)name[0] : 0);
            free(name);
            if (VMI_FAILURE == vmi_read_addr_va(vmi, cur, 0, &cur))
                break;
            ntasks++;
        }
    });
    char label[64];
    snprintf(label, sizeof(label), "task list walk (%d tasks, warm)", ntasks);
    report(label, last_ns);

    vmi_destroy(vmi);
    return 0;
}
