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
/* Data mapped at a time. The kernel maps every page of a mapping at mmap
 * time, so mapping the whole (doubled) data area would make all of it
 * resident in this process: 128 MB of RSS for a 64 MB ring. */
#define KT_WINDOW (2UL << 20)

struct ktring {
	int fd;
	size_t page;
	size_t size; /* data area size, power of two */
	unsigned long *consumer_pos;
	unsigned long *producer_pos;
	void *cons_map;
	void *prod_map; /* the producer page */
	/* data offsets [win_off, win_off + win_len) of the doubled data area, mapped at win */
	uint8_t *win;
	size_t win_off;
	size_t win_len;
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
	r->prod_map = mmap(NULL, r->page, PROT_READ, MAP_SHARED, map_fd, r->page);
	if (r->prod_map == MAP_FAILED) {
		munmap(r->cons_map, r->page);
		goto fail;
	}
	r->consumer_pos = r->cons_map;
	r->producer_pos = r->prod_map;
	return r;
fail:
	free(r);
	return NULL;
}

/*
 * The address of data offset pos (< size) with len bytes readable after it,
 * moving the window when they are outside it. The kernel maps the data area
 * twice in a row, so a record that wraps around is contiguous from pos.
 * NULL if the window cannot be mapped (the records stay in the ring).
 */
static uint8_t *ktring_at(struct ktring *r, size_t pos, size_t len)
{
	if (r->win && pos >= r->win_off && pos + len <= r->win_off + r->win_len)
		return r->win + (pos - r->win_off);
	if (r->win)
		munmap(r->win, r->win_len);
	r->win = NULL;
	size_t start = pos & ~(r->page - 1);
	size_t need = (pos + len - start + r->page - 1) & ~(r->page - 1);
	size_t wlen = need > KT_WINDOW ? need : KT_WINDOW;
	if (wlen > 2 * r->size - start)
		wlen = 2 * r->size - start;
	void *w = mmap(NULL, wlen, PROT_READ, MAP_SHARED, r->fd, 2 * r->page + start);
	if (w == MAP_FAILED)
		return NULL;
	r->win = w;
	r->win_off = start;
	r->win_len = wlen;
	return r->win + (pos - start);
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
		size_t pos = cons & (r->size - 1);
		uint32_t *hdr = (uint32_t *)ktring_at(r, pos, RB_HDR_SZ);
		if (!hdr)
			break;
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (len & RB_BUSY_BIT)
			break;
		uint32_t dlen = len & ~(RB_BUSY_BIT | RB_DISCARD_BIT);
		uint64_t adv = (dlen + RB_HDR_SZ + 7) & ~7ULL;
		if (!(len & RB_DISCARD_BIT)) {
			uint64_t need = 8 + ((dlen + 7) & ~7ULL);
			if (off + need > cap)
				break;
			uint8_t *rec = ktring_at(r, pos, RB_HDR_SZ + dlen);
			if (!rec)
				break;
			uint32_t *o = (uint32_t *)(out + off);
			o[0] = dlen;
			o[1] = 0;
			memcpy(out + off + 8, rec + RB_HDR_SZ, dlen);
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
	if (r->win)
		munmap(r->win, r->win_len);
	munmap(r->prod_map, r->page);
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
