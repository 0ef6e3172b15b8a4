/* Test input for the BTF parser: compiled with `gcc -g -c sample.c`,
 * encoded with `pahole -J --btf_gen_all sample.o`, and the .BTF section extracted with
 * `objcopy --dump-section .BTF=sample.btf sample.o`.
 * Build and run as a program (gcc -DPRINT_OFFSETS sample.c) to print the
 * offsetof() values the Rust tests check. */
#include <stddef.h>
#include <stdio.h>

typedef int pid_t;
typedef unsigned long long u64;
typedef const volatile u64 cv_u64;

struct list_head {
	struct list_head *next, *prev;
};

enum task_state { TASK_RUNNING = 0, TASK_INTERRUPTIBLE = 1, TASK_DEAD = 0x80 };

struct mm_struct;
struct fwd_only;

struct mm_struct {
	struct {
		unsigned long start;
		void *pgd;
	};
	int map_count;
	struct list_head mmlist;
};

typedef struct task_struct task_t;

struct task_struct {
	volatile long state;
	unsigned int flags : 3;
	unsigned int prio : 7;
	unsigned int in_iowait : 1;
	union {
		struct {
			int on_cpu;
			struct list_head tasks;
		};
		u64 raw[3];
	};
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct mm_struct *mm;
	struct mm_struct *active_mm;
	char comm[16];
	int matrix[2][3];
	const char *const name;
	cv_u64 counter;
	enum task_state st;
	struct fwd_only *opaque;
	void (*callback)(struct task_struct *, int);
	union {
		struct {
			struct {
				unsigned short deep_a;
				unsigned short deep_b;
			};
			struct list_head deep_list;
		};
	} nest;
	struct {
		long x;
		union {
			int y;
			char z[8];
		};
	};
	_Bool flag;
	float ratio;
	double dratio;
	signed char sc;
};

union every {
	int i;
	char c[5];
};

struct task_struct global_task;
union every global_every;
task_t *global_tp;

#ifdef PRINT_OFFSETS
int main(void)
{
	printf("task_struct size %zu\n", sizeof(struct task_struct));
	printf("state %zu\n", offsetof(struct task_struct, state));
	printf("tasks %zu\n", offsetof(struct task_struct, tasks));
	printf("on_cpu %zu\n", offsetof(struct task_struct, on_cpu));
	printf("raw %zu\n", offsetof(struct task_struct, raw));
	printf("pid %zu\n", offsetof(struct task_struct, pid));
	printf("tgid %zu\n", offsetof(struct task_struct, tgid));
	printf("real_parent %zu\n", offsetof(struct task_struct, real_parent));
	printf("mm %zu\n", offsetof(struct task_struct, mm));
	printf("active_mm %zu\n", offsetof(struct task_struct, active_mm));
	printf("comm %zu\n", offsetof(struct task_struct, comm));
	printf("matrix %zu\n", offsetof(struct task_struct, matrix));
	printf("name %zu\n", offsetof(struct task_struct, name));
	printf("counter %zu\n", offsetof(struct task_struct, counter));
	printf("st %zu\n", offsetof(struct task_struct, st));
	printf("opaque %zu\n", offsetof(struct task_struct, opaque));
	printf("callback %zu\n", offsetof(struct task_struct, callback));
	printf("nest %zu\n", offsetof(struct task_struct, nest));
	printf("nest.deep_b %zu\n", offsetof(struct task_struct, nest.deep_b));
	printf("nest.deep_list %zu\n", offsetof(struct task_struct, nest.deep_list));
	printf("x %zu\n", offsetof(struct task_struct, x));
	printf("y %zu\n", offsetof(struct task_struct, y));
	printf("z %zu\n", offsetof(struct task_struct, z));
	printf("flag %zu\n", offsetof(struct task_struct, flag));
	printf("ratio %zu\n", offsetof(struct task_struct, ratio));
	printf("dratio %zu\n", offsetof(struct task_struct, dratio));
	printf("sc %zu\n", offsetof(struct task_struct, sc));
	printf("mm_struct size %zu\n", sizeof(struct mm_struct));
	printf("mm.pgd %zu\n", offsetof(struct mm_struct, pgd));
	printf("mm.map_count %zu\n", offsetof(struct mm_struct, map_count));
	printf("mm.mmlist %zu\n", offsetof(struct mm_struct, mmlist));
	printf("every size %zu\n", sizeof(union every));
	return 0;
}
#endif
