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
static uint8_t *ktring_remap(struct ktring *r, size_t pos, size_t len);

static inline uint8_t *ktring_at(struct ktring *r, size_t pos, size_t len)
{
	if (r->win && pos >= r->win_off && pos + len <= r->win_off + r->win_len)
		return r->win + (pos - r->win_off);
	return ktring_remap(r, pos, len);
}

/* ktring_at when the window must move (out of line: once per window). */
static uint8_t *ktring_remap(struct ktring *r, size_t pos, size_t len)
{
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

/* ---- column decoder ----
 *
 * Scatters drained records (the ktring_drain layout) into the column buffers
 * of the capture tables, following a plan that record/copy-decoder.ts
 * compiles from the wire layout (formats/gen/events.gen.ts, generated from
 * the C headers) and the table definitions. Kinds the plan leaves to
 * TypeScript (logic; argv lists) stop the loop, as does a full table; the
 * caller handles that and calls again. Checks as in record/decode.ts: a
 * record shorter than its kind's struct, or of an unknown kind, is counted
 * malformed and skipped.
 *
 * Plan (int32): [0, kind_max) entry offset per kind (KT_PLAN_UNKNOWN,
 * KT_PLAN_JS or an offset), [kind_max, 2 kind_max) minimum length per kind,
 * then entries: table, nops, ops (6 ints each), npairs, pairs (tid offset,
 * tgid offset), forget (tid offset or -1), cond offset, cond mask, cond
 * table, ncond ops, cond ops.
 * Op: code, src offset, src size | signed << 4, column slot, dst size, arg.
 */
#define KT_PLAN_UNKNOWN (-1)
#define KT_PLAN_JS (-2)
enum { KT_OP_COPY = 1, KT_OP_CONST = 2, KT_OP_SAT32 = 3, KT_OP_MASK = 4, KT_OP_BIT = 5 };
enum { KT_STOP_DONE = 0, KT_STOP_FULL = 1, KT_STOP_JS = 2 };
#define KT_HDR_SIZE 16
#define KT_OP_INTS 6

struct kt_dec {
	int32_t *plan;
	uint32_t kind_max;
	uint32_t nslots;
	uint8_t **slot;     /* column buffers, by slot */
	uint32_t *rows;     /* rows per table (shared with the caller) */
	uint32_t *cap;      /* capacity per table */
	double *events;     /* per kind */
	double *malformed;  /* [0] */
	int32_t *tgid_of;   /* tid -> tgid + 1, 0 = unknown (untouched pages stay unmapped) */
	uint32_t ntgid;
	int32_t ids_table;  /* task_ids: table and its ts, tid, tgid slots (-1: none) */
	int32_t ids_ts, ids_tid, ids_tgid;
	uint32_t rlen;      /* length of the record being decoded (KT_OP_TEXT reads no further) */
	struct kt_room *room; /* the text columns' byte buffers, kt_dec_room */
	uint32_t nroom;
	struct kt_xentry **x; /* per kind: the compiled plan entry (kt_compile), NULL = not yet */
};

struct kt_dec *kt_dec_new(const int32_t *plan, uint32_t plan_len, uint32_t kind_max, uint32_t nslots)
{
	struct kt_dec *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->plan = malloc(plan_len * sizeof(int32_t));
	d->slot = calloc(nslots, sizeof(uint8_t *));
	d->x = calloc(kind_max, sizeof(*d->x));
	if (!d->plan || !d->slot || !d->x) {
		free(d->plan);
		free(d->slot);
		free(d->x);
		free(d);
		return NULL;
	}
	memcpy(d->plan, plan, plan_len * sizeof(int32_t));
	d->kind_max = kind_max;
	d->nslots = nslots;
	d->ids_table = -1;
	return d;
}

/* The buffer of column slot `i` (memory the caller keeps alive and in place). */
static void kt_uncompile(struct kt_dec *d);

void kt_dec_slot(struct kt_dec *d, uint32_t i, uint8_t *buf)
{
	if (i < d->nslots)
		d->slot[i] = buf;
	kt_uncompile(d); /* the compiled entries hold column addresses */
}

/* Shared state: row counts and capacities per table, counters, the tid -> tgid map and task_ids. */
void kt_dec_state(struct kt_dec *d, uint32_t *rows, uint32_t *cap, double *events, double *malformed, int32_t *tgid_of,
		  uint32_t ntgid, const int32_t *ids)
{
	d->rows = rows;
	d->cap = cap;
	d->events = events;
	d->malformed = malformed;
	d->tgid_of = tgid_of;
	d->ntgid = ntgid;
	d->ids_table = ids[0];
	d->ids_ts = ids[1];
	d->ids_tid = ids[2];
	d->ids_tgid = ids[3];
}

void kt_dec_free(struct kt_dec *d)
{
	if (!d)
		return;
	free(d->plan);
	free(d->slot);
	free(d->room);
	kt_uncompile(d);
	free(d->x);
	free(d);
}

static inline uint64_t load_field(const uint8_t *p, int32_t size_sign)
{
	int size = size_sign & 0xf, sign = size_sign >> 4;
	switch (size) {
	case 1: return sign ? (uint64_t)(int64_t)*(const int8_t *)p : *p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return sign ? (uint64_t)(int64_t)(int16_t)v : v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return sign ? (uint64_t)(int64_t)(int32_t)v : v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static inline void store(uint8_t *col, uint32_t row, int size, uint64_t v)
{
	switch (size) {
	case 1: col[row] = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(col + 2 * (size_t)row, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(col + 4 * (size_t)row, &x, 4); break; }
	default: memcpy(col + 8 * (size_t)row, &v, 8);
	}
}

/*
 * Text columns (Arrow utf8: int32 offsets and the bytes). KT_OP_TEXT op: code, src offset, bound (bytes of the
 * string kept: it ends at its NUL, the bound or the record's end), offsets slot, bytes slot, lossy slot (u8
 * column set to 1 when the bytes were not valid UTF-8; -1: none). Bytes that are not UTF-8 are replaced as
 * the WHATWG decoder (TextDecoder) does: each maximal invalid subpart becomes U+FFFD, so a row takes at most
 * 3 * bound bytes; kt_dec_room says how many the bytes buffer holds.
 */
#define KT_OP_TEXT 6

struct kt_room {
	int32_t table, offsets;
	uint32_t need; /* bytes one more row may take */
	uint64_t cap;  /* bytes of the buffer */
};

/* The bytes buffer of a text column of `table` (its offsets in slot `offsets`): `cap` bytes, `need` per row at most. */
int kt_dec_room(struct kt_dec *d, int32_t table, int32_t offsets, uint32_t need, uint64_t cap)
{
	struct kt_room *r = realloc(d->room, (d->nroom + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	d->room = r;
	r[d->nroom++] = (struct kt_room){ table, offsets, need, cap };
	kt_uncompile(d); /* the compiled entries know which tables have text columns */
	return 0;
}

/* The table of a text column without room for one more row of table t, else -1. */
static int32_t room_full(struct kt_dec *d, int32_t t)
{
	for (uint32_t k = 0; k < d->nroom; k++) {
		const struct kt_room *r = &d->room[k];
		if (r->table != t)
			continue;
		int32_t used;
		memcpy(&used, d->slot[r->offsets] + 4 * (size_t)d->rows[t], 4);
		if ((uint64_t)used + r->need > r->cap)
			return t;
	}
	return -1;
}

/* Length of the UTF-8 sequence at s[0..n) (1..4), or 0 when it is invalid; *bad = its maximal invalid subpart. */
static inline int utf8_seq(const uint8_t *s, size_t n, size_t *bad)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	int need;
	*bad = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	for (int i = 1; i <= need; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* Copy s[0..n) to out as valid UTF-8; returns the bytes written, *lossy = 1 when any was replaced. */
static size_t utf8_copy(uint8_t *out, const uint8_t *s, size_t n, int *lossy)
{
	size_t o = 0, i = 0, run = 0;
	while (i < n) {
		uint64_t w;
		if (i + 8 <= n && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ULL))) {
			i += 8; /* eight ASCII bytes */
			continue;
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t bad;
		int k = utf8_seq(s + i, n - i, &bad);
		if (k) {
			i += k;
			continue;
		}
		memcpy(out + o, s + run, i - run);
		o += i - run;
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i += bad;
		run = i;
		*lossy = 1;
	}
	memcpy(out + o, s + run, n - run);
	return o + n - run;
}

/* A KT_OP_TEXT op: the string at p + op[1] as row `row` of the text column. */
static void put_text(struct kt_dec *d, const int32_t *op, const uint8_t *p, uint32_t row)
{
	int32_t *offs = (int32_t *)d->slot[op[3]];
	size_t room = d->rlen > (uint32_t)op[1] ? d->rlen - (uint32_t)op[1] : 0;
	size_t n = strnlen((const char *)p + op[1], room < (size_t)op[2] ? room : (size_t)op[2]);
	int lossy = 0;
	offs[row + 1] = offs[row] + (int32_t)utf8_copy(d->slot[op[4]] + offs[row], p + op[1], n, &lossy);
	if (op[5] >= 0)
		d->slot[op[5]][row] = (uint8_t)lossy;
}

/* switch key of an op: code, source size | signed << 4, destination size */
#define KEY(code, src, dst) ((code) | (src) << 4 | (dst) << 12)

/* Apply one op to row `row` of the record at p. */
static inline void apply_op(struct kt_dec *d, const int32_t *op, const uint8_t *p, uint32_t row)
{
	uint8_t *col = d->slot[op[3]];
	const uint8_t *src = p + op[1];
	uint64_t v;
	/* the copies a field of the column's own width makes: one move */
	switch (KEY(op[0], op[2], op[4])) {
	case KEY(KT_OP_COPY, 8, 8):
	case KEY(KT_OP_COPY, 0x18, 8):
		memcpy(col + 8 * (size_t)row, src, 8);
		return;
	case KEY(KT_OP_COPY, 4, 4):
	case KEY(KT_OP_COPY, 0x14, 4):
		memcpy(col + 4 * (size_t)row, src, 4);
		return;
	case KEY(KT_OP_COPY, 2, 2):
	case KEY(KT_OP_COPY, 0x12, 2):
		memcpy(col + 2 * (size_t)row, src, 2);
		return;
	}
	switch (op[0]) {
	case KT_OP_CONST: v = (uint64_t)(int64_t)op[5]; break;
	case KT_OP_SAT32: v = load_field(src, 8); if (v > 0xffffffffULL) v = 0xffffffffULL; break;
	case KT_OP_MASK: v = load_field(src, op[2]) & (uint32_t)op[5]; break;
	case KT_OP_BIT: v = (load_field(src, op[2]) & (uint32_t)op[5]) != 0; break;
	case KT_OP_TEXT: put_text(d, op, p, row); return;
	default: v = load_field(src, op[2]);
	}
	store(col, row, op[4], v);
}

/* Apply n ops to row `row` of the record at p; returns the plan position after them. */
static const int32_t *apply_ops(struct kt_dec *d, const int32_t *op, int32_t n, const uint8_t *p, uint32_t row)
{
	for (int32_t k = 0; k < n; k++, op += KT_OP_INTS)
		apply_op(d, op, p, row);
	return op;
}

/* A task_ids row when tid's tgid changes (record/decode.ts noteTgid). */
static void note_tgid(struct kt_dec *d, uint64_t ts, int32_t tid, int32_t tgid)
{
	int32_t v = (int32_t)((uint32_t)tgid + 1);
	if (tid <= 0 || (uint32_t)tid >= d->ntgid || d->tgid_of[tid] == v)
		return;
	d->tgid_of[tid] = v;
	if (d->ids_table < 0)
		return;
	uint32_t r = d->rows[d->ids_table]++;
	store(d->slot[d->ids_ts], r, 8, ts);
	store(d->slot[d->ids_tid], r, 4, (uint32_t)tid);
	store(d->slot[d->ids_tgid], r, 4, (uint32_t)tgid);
}

/* Room for one record of entry e: its row, its conditional row, its task_ids rows; else the table that is full. */
static int32_t full_table(struct kt_dec *d, const int32_t *e)
{
	int32_t t = e[0];
	const int32_t *q = e + 2 + e[1] * KT_OP_INTS;
	int32_t npairs = q[0];
	const int32_t *c = q + 1 + 2 * npairs + 1;
	if (d->rows[t] >= d->cap[t])
		return t;
	if (c[1] && d->rows[c[2]] >= d->cap[c[2]])
		return c[2];
	if (npairs && d->ids_table >= 0 && d->rows[d->ids_table] + npairs > d->cap[d->ids_table])
		return d->ids_table;
	return -1;
}

static void decode_one(struct kt_dec *d, const int32_t *e, const uint8_t *p)
{
	uint64_t ts;
	memcpy(&ts, p, 8);
	int32_t t = e[0];
	const int32_t *q = apply_ops(d, e + 2, e[1], p, d->rows[t]);
	d->rows[t]++;
	int32_t npairs = q[0];
	const int32_t *pairs = q + 1;
	const int32_t *c = pairs + 2 * npairs;
	int32_t forget = c[0];
	c++;
	if (c[1] && (load_field(p + c[0], 4) & (uint32_t)c[1])) {
		apply_ops(d, c + 4, c[3], p, d->rows[c[2]]);
		d->rows[c[2]]++;
	}
	for (int32_t k = 0; k < npairs; k++)
		note_tgid(d, ts, (int32_t)load_field(p + pairs[2 * k], 4), (int32_t)load_field(p + pairs[2 * k + 1], 4));
	if (forget >= 0) {
		int32_t tid = (int32_t)load_field(p + forget, 4);
		if (tid > 0 && (uint32_t)tid < d->ntgid)
			d->tgid_of[tid] = 0;
	}
}

/* ---- compiled plan entries ----
 *
 * kt_decode runs each kind's plan entry as compiled here on first use (again after kt_dec_slot): column
 * addresses resolved, the plain copies grouped by width, so the loop per record is a few tight loops of
 * fixed-size moves instead of a switch per op. A plain copy is an OP_COPY whose column is as wide as its
 * field or narrower: its low bytes (little-endian), what store() keeps of the value. Every other op goes
 * to apply_ops, in plan order; the ops write different columns, so their order does not matter.
 */
struct kt_copy {
	uint8_t *col;
	uint32_t src;
};

struct kt_const {
	uint8_t *col;
	int32_t size;
	int64_t v;
};

struct kt_xops {
	uint32_t n[4];        /* plain copies of 8, 4, 2 and 1 bytes */
	struct kt_copy *copy; /* n[0] + n[1] + n[2] + n[3] of them, by width */
	uint32_t nconst;
	struct kt_const *konst; /* constant columns */
	uint32_t nsat;
	struct kt_copy *sat;  /* u64 fields into u32 columns, saturating */
	uint32_t ngen;
	const int32_t **gen;  /* the other ops (plan positions) */
};

struct kt_xentry {
	int32_t table;
	int32_t has_room; /* the table has text columns (kt_dec_room) */
	struct kt_xops ops;
	int32_t npairs;
	const int32_t *pairs;
	int32_t forget;
	int32_t cond_off;
	uint32_t cond_mask; /* 0: no conditional row */
	int32_t cond_table;
	struct kt_xops cops;
};

static int plain_copy(const int32_t *o)
{
	int32_t dst = o[4];
	return o[0] == KT_OP_COPY && (dst == 1 || dst == 2 || dst == 4 || dst == 8) && dst <= (o[2] & 0xf);
}

static void xops_free(struct kt_xops *x)
{
	free(x->copy);
	free(x->konst);
	free(x->sat);
	free(x->gen);
}

static int sat32_op(const int32_t *o)
{
	return o[0] == KT_OP_SAT32 && o[4] == 4;
}

static int xops_build(struct kt_dec *d, struct kt_xops *x, const int32_t *op, int32_t n)
{
	static const int32_t widths[4] = { 8, 4, 2, 1 };
	uint32_t k = 0;
	memset(x, 0, sizeof(*x));
	x->copy = calloc(n > 0 ? n : 1, sizeof(*x->copy));
	x->gen = calloc(n > 0 ? n : 1, sizeof(*x->gen));
	x->konst = calloc(n > 0 ? n : 1, sizeof(*x->konst));
	x->sat = calloc(n > 0 ? n : 1, sizeof(*x->sat));
	if (!x->copy || !x->gen || !x->konst || !x->sat)
		return -1;
	for (int w = 0; w < 4; w++)
		for (int32_t i = 0; i < n; i++) {
			const int32_t *o = op + i * KT_OP_INTS;
			if (plain_copy(o) && o[4] == widths[w]) {
				x->copy[k++] = (struct kt_copy){ d->slot[o[3]], (uint32_t)o[1] };
				x->n[w]++;
			}
		}
	for (int32_t i = 0; i < n; i++) {
		const int32_t *o = op + i * KT_OP_INTS;
		if (plain_copy(o))
			continue;
		if (o[0] == KT_OP_CONST)
			x->konst[x->nconst++] = (struct kt_const){ d->slot[o[3]], o[4], (int64_t)o[5] };
		else if (sat32_op(o))
			x->sat[x->nsat++] = (struct kt_copy){ d->slot[o[3]], (uint32_t)o[1] };
		else
			x->gen[x->ngen++] = o;
	}
	return 0;
}

static void xentry_free(struct kt_xentry *x)
{
	if (!x)
		return;
	xops_free(&x->ops);
	xops_free(&x->cops);
	free(x);
}

static void kt_uncompile(struct kt_dec *d)
{
	if (!d->x)
		return;
	for (uint32_t k = 0; k < d->kind_max; k++) {
		xentry_free(d->x[k]);
		d->x[k] = NULL;
	}
}

/* The compiled form of plan entry e (layout as in full_table and decode_one); NULL when out of memory. */
static struct kt_xentry *kt_compile(struct kt_dec *d, const int32_t *e)
{
	struct kt_xentry *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->table = e[0];
	for (uint32_t k = 0; k < d->nroom; k++)
		x->has_room |= d->room[k].table == x->table;
	const int32_t *q = e + 2 + e[1] * KT_OP_INTS;
	x->npairs = q[0];
	x->pairs = q + 1;
	const int32_t *c = q + 1 + 2 * x->npairs;
	x->forget = c[0];
	c++;
	x->cond_off = c[0];
	x->cond_mask = (uint32_t)c[1];
	x->cond_table = c[2];
	if (xops_build(d, &x->ops, e + 2, e[1]) || xops_build(d, &x->cops, c + 4, x->cond_mask ? c[3] : 0)) {
		xentry_free(x);
		return NULL;
	}
	return x;
}

static inline void xops_run(struct kt_dec *d, const struct kt_xops *x, const uint8_t *p, uint32_t row)
{
	const struct kt_copy *c = x->copy;
	for (uint32_t i = x->n[0]; i; i--, c++)
		memcpy(c->col + 8 * (size_t)row, p + c->src, 8);
	for (uint32_t i = x->n[1]; i; i--, c++)
		memcpy(c->col + 4 * (size_t)row, p + c->src, 4);
	for (uint32_t i = x->n[2]; i; i--, c++)
		memcpy(c->col + 2 * (size_t)row, p + c->src, 2);
	for (uint32_t i = x->n[3]; i; i--, c++)
		c->col[row] = p[c->src];
	for (uint32_t i = 0; i < x->nconst; i++)
		store(x->konst[i].col, row, x->konst[i].size, (uint64_t)x->konst[i].v);
	for (uint32_t i = 0; i < x->nsat; i++) {
		uint64_t v;
		memcpy(&v, p + x->sat[i].src, 8);
		uint32_t w = v > 0xffffffffULL ? 0xffffffffU : (uint32_t)v;
		memcpy(x->sat[i].col + 4 * (size_t)row, &w, 4);
	}
	for (uint32_t i = 0; i < x->ngen; i++)
		apply_op(d, x->gen[i], p, row);
}

/* full_table for a compiled entry, room_full included */
static inline int32_t xfull_table(struct kt_dec *d, const struct kt_xentry *x)
{
	if (d->rows[x->table] >= d->cap[x->table])
		return x->table;
	if (x->cond_mask && d->rows[x->cond_table] >= d->cap[x->cond_table])
		return x->cond_table;
	if (x->npairs && d->ids_table >= 0 && d->rows[d->ids_table] + x->npairs > d->cap[d->ids_table])
		return d->ids_table;
	return x->has_room ? room_full(d, x->table) : -1;
}

/* decode_one for a compiled entry */
static inline void xdecode_one(struct kt_dec *d, const struct kt_xentry *x, const uint8_t *p)
{
	uint64_t ts;
	memcpy(&ts, p, 8);
	xops_run(d, &x->ops, p, d->rows[x->table]++);
	if (x->cond_mask && (load_field(p + x->cond_off, 4) & x->cond_mask))
		xops_run(d, &x->cops, p, d->rows[x->cond_table]++);
	for (int32_t k = 0; k < x->npairs; k++)
		note_tgid(d, ts, (int32_t)load_field(p + x->pairs[2 * k], 4), (int32_t)load_field(p + x->pairs[2 * k + 1], 4));
	if (x->forget >= 0) {
		int32_t tid = (int32_t)load_field(p + x->forget, 4);
		if (tid > 0 && (uint32_t)tid < d->ntgid)
			d->tgid_of[tid] = 0;
	}
}

/*
 * Decode buf[off, len) until it ends (stop[0] = KT_STOP_DONE), a table is
 * full (KT_STOP_FULL, stop[1] = the table) or a record is left to the caller
 * (KT_STOP_JS). Returns the offset of the first record not decoded.
 */
uint64_t kt_decode(struct kt_dec *d, const uint8_t *buf, uint64_t off, uint64_t len, int32_t *stop)
{
	const int32_t *min_len = d->plan + d->kind_max;
	stop[0] = KT_STOP_DONE;
	while (off + 8 <= len) {
		uint32_t rlen;
		memcpy(&rlen, buf + off, 4);
		uint64_t p = off + 8, next = p + ((rlen + 7ULL) & ~7ULL);
		uint16_t kind;
		if (rlen < KT_HDR_SIZE || p + rlen > len)
			goto malformed;
		memcpy(&kind, buf + p + 8, 2);
		int32_t at = kind < d->kind_max ? d->plan[kind] : KT_PLAN_UNKNOWN;
		if (at == KT_PLAN_UNKNOWN || rlen < (uint32_t)min_len[kind])
			goto malformed;
		if (at == KT_PLAN_JS) {
			stop[0] = KT_STOP_JS;
			return off;
		}
		struct kt_xentry *x = d->x[kind];
		if (!x)
			x = d->x[kind] = kt_compile(d, d->plan + at);
		int32_t full = x ? xfull_table(d, x) : full_table(d, d->plan + at);
		if (full < 0 && !x && d->nroom)
			full = room_full(d, d->plan[at]);
		if (full >= 0) {
			stop[0] = KT_STOP_FULL;
			stop[1] = full;
			return off;
		}
		d->rlen = rlen;
		if (x)
			xdecode_one(d, x, buf + p);
		else
			decode_one(d, d->plan + at, buf + p);
		d->events[kind] += 1;
		off = next;
		continue;
	malformed:
		d->malformed[0] += 1;
		off = next;
	}
	return off;
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
