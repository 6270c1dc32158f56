// SPDX-License-Identifier: Apache-2.0
/*
 * ktring: batch drain of a BPF ring buffer into a caller-owned buffer.
 * Loaded by record/ring.ts through koffi. One FFI call moves thousands of
 * records: no callback per record. Userspace-only code (no libbpf needed).
 *
 * Output layout, repeated: u32 len, u32 0, then len bytes padded to 8.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RB_BUSY_BIT (1U << 31)
#define RB_DISCARD_BIT (1U << 30)
#define RB_HDR_SZ 8

struct ktring {
	int fd;
	size_t page;
	size_t size; /* data area size, power of two */
	unsigned long *consumer_pos;
	unsigned long *producer_pos;
	uint8_t *data;
	void *cons_map;
	void *prod_map;
};

struct ktring *ktring_open(int map_fd, uint64_t size)
{
	struct ktring *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = map_fd;
	r->page = sysconf(_SC_PAGESIZE);
	r->size = size;
	r->cons_map = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (r->cons_map == MAP_FAILED)
		goto fail;
	/* producer page + data mapped twice by the kernel for wrap-around */
	r->prod_map = mmap(NULL, r->page + 2 * size, PROT_READ, MAP_SHARED, map_fd, r->page);
	if (r->prod_map == MAP_FAILED) {
		munmap(r->cons_map, r->page);
		goto fail;
	}
	r->consumer_pos = r->cons_map;
	r->producer_pos = r->prod_map;
	r->data = (uint8_t *)r->prod_map + r->page;
	return r;
fail:
	free(r);
	return NULL;
}

/*
 * Copy committed records into out (capacity cap). Stops at the first busy
 * (not yet committed) record or when the next record would not fit, so
 * nothing is ever dropped here. Returns bytes written; *n_records set.
 */
int64_t ktring_drain(struct ktring *r, uint8_t *out, uint64_t cap, uint32_t *n_records)
{
	unsigned long cons = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
	uint64_t off = 0;
	uint32_t n = 0;
	while (cons < prod) {
		uint32_t *hdr = (uint32_t *)(r->data + (cons & (r->size - 1)));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (len & RB_BUSY_BIT)
			break;
		uint32_t dlen = len & ~(RB_BUSY_BIT | RB_DISCARD_BIT);
		uint64_t adv = (dlen + RB_HDR_SZ + 7) & ~7ULL;
		if (!(len & RB_DISCARD_BIT)) {
			uint64_t need = 8 + ((dlen + 7) & ~7ULL);
			if (off + need > cap)
				break;
			uint32_t *o = (uint32_t *)(out + off);
			o[0] = dlen;
			o[1] = 0;
			memcpy(out + off + 8, (uint8_t *)hdr + RB_HDR_SZ, dlen);
			off += need;
			n++;
		}
		cons += adv;
	}
	__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
	*n_records = n;
	return (int64_t)off;
}

void ktring_close(struct ktring *r)
{
	if (!r)
		return;
	munmap(r->prod_map, r->page + 2 * r->size);
	munmap(r->cons_map, r->page);
	free(r);
}

/* ---- small userspace helpers used by the recorder ---- */
#include <time.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

/* out[0] = BOOTTIME, out[1] = MONOTONIC, out[2] = REALTIME, read back to back;
 * BOOTTIME is read twice around the others and averaged. */
void kt_clocks(int64_t *out)
{
	struct timespec b0, m, r, b1;
	clock_gettime(CLOCK_BOOTTIME, &b0);
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_BOOTTIME, &b1);
	int64_t t0 = (int64_t)b0.tv_sec * 1000000000LL + b0.tv_nsec;
	int64_t t1 = (int64_t)b1.tv_sec * 1000000000LL + b1.tv_nsec;
	out[0] = t0 + (t1 - t0) / 2;
	out[1] = (int64_t)m.tv_sec * 1000000000LL + m.tv_nsec;
	out[2] = (int64_t)r.tv_sec * 1000000000LL + r.tv_nsec;
}

/* BPF program run time/count (non-zero only while BPF stats are enabled) and
 * recursion misses (runs the kernel skipped: always counted). */
int kt_prog_stats(int prog_fd, uint64_t *run_time_ns, uint64_t *run_cnt, uint64_t *recursion_misses)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = prog_fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(unsigned long)&info;
	if (syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) < 0)
		return -errno;
	*run_time_ns = info.run_time_ns;
	*run_cnt = info.run_cnt;
	*recursion_misses = info.recursion_misses;
	return 0;
}
