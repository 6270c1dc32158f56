/* Writes wire records with the real C structs, in the ktring_drain layout
 * (u32 len, u32 0, payload padded to 8), for test/unit/decoder.test.ts:
 * record i has fields derived from i, so the test knows every value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../families/syscall/syscall.h"
#include "../../families/kmem/kmem.h"
#include "../../families/sched/sched.h"
#include "../../families/task/task.h"

static void put(const void *rec, unsigned len)
{
	unsigned hdr[2] = { len, 0 };
	static const char pad[8];
	fwrite(hdr, 8, 1, stdout);
	fwrite(rec, len, 1, stdout);
	fwrite(pad, (8 - len % 8) % 8, 1, stdout);
}

static void hdr(struct kt_hdr *h, unsigned i, unsigned kind)
{
	h->ts = 1000000000000ULL + 1000ULL * i;
	h->kind = kind;
	h->cpu = i % 2;
	h->tid = 100 + i % 7;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 100;
	for (unsigned i = 0; i < n; i++) {
		switch (i % 7) {
		case 0: {
			struct kt_sys_enter e = { 0 };
			hdr(&e.h, i, KT_SYS_ENTER);
			e.tgid = 100;
			e.nr = (int)i;
			for (int a = 0; a < 6; a++)
				e.args[a] = 0x100000000ULL * i + a;
			put(&e, sizeof(e));
			break;
		}
		case 1: {
			struct kt_sys_exit e = { 0 };
			hdr(&e.h, i, KT_SYS_EXIT);
			e.tgid = 100 + i % 3; /* the tgid changes: task_ids rows */
			e.nr = -1;
			e.ret = -(long long)i;
			put(&e, sizeof(e));
			break;
		}
		case 2: {
			struct kt_kmem_alloc e = { 0 };
			hdr(&e.h, i, i % 2 ? KT_KMEM_CACHE_ALLOC : KT_KMALLOC);
			e.tgid = 100;
			e.stack_id = -(int)i;
			e.ptr = 0xffff000000000000ULL + i;
			e.call_site = 0xffffffff81000000ULL + i;
			e.bytes_req = i % 4 ? i : 0x100000000ULL + i; /* saturates */
			e.bytes_alloc = 2 * i;
			e.gfp_flags = 0xcc0;
			e.node = -1;
			put(&e, sizeof(e));
			break;
		}
		case 3: {
			struct kt_sched_switch e = { 0 };
			hdr(&e.h, i, KT_SCHED_SWITCH);
			e.prev_tgid = 100;
			e.next_tid = 200 + i;
			e.next_tgid = 200;
			e.prev_state = 0x100 | (i & 0xff);
			e.prev_prio = 120;
			e.next_prio = 100 + i % 20;
			e.next_wait = 5000 + i;
			/* 0x80: a bit outside the stored mask */
			e.next_flags = (i % 2 ? KT_NEXT_WAIT | (i % 4 == 1 ? KT_NEXT_WOKEN : 0) : i % 4 == 2 ? KT_NEXT_UNWOKEN : 0) |
				       KT_NEXT_CPU_KNOWN | 0x80;
			put(&e, sizeof(e));
			break;
		}
		case 4: {
			struct kt_sched_wake e = { 0 };
			hdr(&e.h, i, i % 8 == 4 ? KT_SCHED_WAKEUP_NEW : KT_SCHED_WAKING);
			e.tgid = 100;
			e.waker_tid = 300 + i;
			e.waker_tgid = 300;
			e.prio = 120;
			e.target_cpu = i % 3;
			e.slept_state = i % 3 ? (i % 2 ? 0x1 : 0x2) : 0;
			e.slept_ns = i % 3 ? 0x100000000ULL + i : 0;
			put(&e, sizeof(e));
			break;
		}
		case 5: { /* decoded in TypeScript (a string) */
			struct kt_task_exit e = { 0 };
			hdr(&e.h, i, KT_TASK_EXIT);
			e.tgid = 100;
			e.exit_code = (int)i;
			strcpy(e.comm, "worker");
			put(&e, sizeof(e));
			break;
		}
		default: { /* malformed: a sys_exit cut short, then an unknown kind */
			struct kt_sys_exit e = { 0 };
			hdr(&e.h, i, KT_SYS_EXIT);
			put(&e, sizeof(e) - 8);
			hdr(&e.h, i, KT_KIND_MAX - 1);
			put(&e, sizeof(e));
		}
		}
	}
	return 0;
}
