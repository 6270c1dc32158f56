// SPDX-License-Identifier: Apache-2.0
/*
 * ktape-workload: the built-in workload used by the README's main job, the
 * end-to-end tests and the benchmarks. Every mode prints one JSON line on
 * stdout describing what it did (pids, tids, counts, per-thread schedstat),
 * which the tests use as independent ground truth.
 *
 *   demo [--ms N] [--children N] [--syscalls N] [--pingpong N] [--pipes N] [--workers N]
 *   getppid N        N getppid() calls (syscall storm)
 *   pingpong N       N pipe round trips between two threads (context-switch storm)
 *   forkexec N       N fork+exec(self child)+wait (task storm)
 *   pipes N          N pipe()+close() pairs (kmalloc storm)
 *   getppid-rate R S getppid() at R calls/s for S seconds, paced in 1 ms
 *                    slices (sustained-rate benchmark); reports calls made
 *   hold-pipes N MS  create N pipes, keep them open MS milliseconds, then close
 *   spin MS [T]      T threads (default 2) spin MS ms each, report schedstat
 *   signals [N]      known signals (default N = 20): SIGUSR1 to itself N times
 *                    (a handler counts them), SIGHUP to itself 3 times while
 *                    SIG_IGN, SIGUSR2 twice to a thread that blocks it, then
 *                    unblocks it, SIGUSR2 to a child that blocks it and exits
 *                    with it pending, SIGKILL and SIGTERM to children (wait
 *                    status), SIGUSR1 to a reaped child (ESRCH); reports what
 *                    it sent and what it received
 *   io DIR [N]       block I/O of known sizes on the file system of DIR (the
 *                    real disk, not a tmpfs): N (default 8) O_DIRECT writes of
 *                    64 KiB to a preallocated file, fsync, 2N O_DIRECT reads
 *                    of 32 KiB of it, then a buffered write of 256 KiB to a
 *                    second file and fsync; reports its counts, and what
 *                    /proc/self/io read_bytes and write_bytes grew by between
 *                    the CLOCK_BOOTTIME instants it reports (before the
 *                    first and after the last I/O), then removes the files
 *   cache FILE [W]   page cache reads and writes of known sizes: FILE (an
 *                    existing file on the real disk, not a tmpfs; the caller
 *                    drops the caches first) is read whole in 128 KiB reads,
 *                    cold, then again, warm; then its first W pages (default
 *                    64) are overwritten in place (clean cached pages made
 *                    dirty) and W pages are written to a new file FILE.new
 *                    (removed at the end). Reports the file's pages resident
 *                    before and after the reads (mincore: the kernel's own view), the
 *                    CLOCK_BOOTTIME instants around each phase, and what
 *                    /proc/self/io read_bytes and write_bytes grew by in each
 *                    (write_bytes counts the pages it dirtied)
 *   cached-read N    N reads of 512 bytes of a warm 1 MiB file (page cache hit
 *                    storm): the file is made in the workload's own directory
 *                    (build/, the real disk: a tmpfs has no filemap reads),
 *                    read once whole, then timed; removed at the end
 *   child CODE       exit with CODE (exec target)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char self_path[4096];

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

/* CLOCK_BOOTTIME ns: the clock of ktape's event timestamps */
static uint64_t boot_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_BOOTTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

struct schedstat { unsigned long long cpu_ns, wait_ns, slices; };

static void read_schedstat(struct schedstat *s)
{
	memset(s, 0, sizeof(*s));
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	if (!f)
		return;
	if (fscanf(f, "%llu %llu %llu", &s->cpu_ns, &s->wait_ns, &s->slices) != 3)
		memset(s, 0, sizeof(*s));
	fclose(f);
}

/* ---- modes ---- */

static long do_getppid(long n)
{
	long acc = 0;
	for (long i = 0; i < n; i++)
		acc += syscall(SYS_getppid);
	return acc;
}

/* R calls/s for S seconds of wall time: each 1 ms slice issues its share,
 * then sleeps until the next slice is due; a slice that falls behind catches
 * up. If tracing slows the calls below R, the achieved rate (n / elapsed)
 * is lower than R: the caller reports that. */
static long do_getppid_rate(double rate, double secs, uint64_t *elapsed)
{
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9);
	long done = 0;
	for (;;) {
		uint64_t t = now_ns();
		if (t >= end)
			break;
		long due = (long)((double)(t - t0) * rate / 1e9) + (long)(rate / 1000.0);
		long total = (long)(secs * rate);
		if (due > total)
			due = total;
		if (done >= due) {
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL);
			continue;
		}
		long chunk = due - done, max = 1000;
		if (chunk > max) /* check the clock every 1000 calls */
			chunk = max;
		do_getppid(chunk);
		done += chunk;
	}
	*elapsed = now_ns() - t0;
	return done;
}

struct pp { int a[2], b[2]; long n; };

static void *pp_peer(void *arg)
{
	struct pp *p = arg;
	char c;
	prctl(PR_SET_NAME, "kt-pong");
	for (long i = 0; i < p->n; i++) {
		if (read(p->a[0], &c, 1) != 1 || write(p->b[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void do_pingpong(long n)
{
	struct pp p = { .n = n };
	if (pipe(p.a) || pipe(p.b)) {
		perror("pipe");
		exit(1);
	}
	pthread_t t;
	pthread_create(&t, NULL, pp_peer, &p);
	char c = 'x';
	for (long i = 0; i < n; i++) {
		if (write(p.a[1], &c, 1) != 1 || read(p.b[0], &c, 1) != 1)
			break;
	}
	pthread_join(t, NULL);
	close(p.a[0]); close(p.a[1]); close(p.b[0]); close(p.b[1]);
}

static int do_forkexec(long n, pid_t *pids, int code)
{
	char codebuf[16];
	snprintf(codebuf, sizeof(codebuf), "%d", code);
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execl(self_path, "ktape-workload", "child", codebuf, (char *)NULL);
			_exit(127);
		}
		if (pid < 0) {
			perror("fork");
			return -1;
		}
		if (pids)
			pids[i] = pid;
		int st;
		waitpid(pid, &st, 0);
	}
	return 0;
}

static void do_pipes(long n)
{
	int fd[2];
	for (long i = 0; i < n; i++) {
		if (pipe(fd)) {
			perror("pipe");
			exit(1);
		}
		close(fd[0]);
		close(fd[1]);
	}
}

struct spin { long ms; pid_t tid; struct schedstat ss; char name[16]; };

static void *spin_thread(void *arg)
{
	struct spin *s = arg;
	prctl(PR_SET_NAME, s->name);
	s->tid = gettid_();
	uint64_t end = now_ns() + (uint64_t)s->ms * 1000000ull;
	volatile uint64_t x = 0;
	while (now_ns() < end)
		for (int i = 0; i < 10000; i++)
			x += i;
	read_schedstat(&s->ss);
	return NULL;
}

static void print_spin(struct spin *s, int n)
{
	printf("\"workers\":[");
	for (int i = 0; i < n; i++)
		printf("%s{\"tid\":%d,\"comm\":\"%s\",\"cpu_ns\":%llu,\"wait_ns\":%llu,\"slices\":%llu}",
		       i ? "," : "", s[i].tid, s[i].name, s[i].ss.cpu_ns, s[i].ss.wait_ns, s[i].ss.slices);
	printf("]");
}

static long argl(int argc, char **argv, const char *name, long def)
{
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return strtol(argv[i + 1], NULL, 10);
	return def;
}

struct sys_arg { long n; pid_t tid; };
static void *sys_thread(void *arg)
{
	struct sys_arg *a = arg;
	prctl(PR_SET_NAME, "kt-syscalls");
	a->tid = gettid_();
	do_getppid(a->n);
	return NULL;
}

/* ---- signals ---- */

static volatile sig_atomic_t usr1_got, usr2_got;
static void on_usr1(int sig) { (void)sig; usr1_got++; }
static void on_usr2(int sig) { (void)sig; usr2_got++; }

static void put(int fd) { char c = 1; if (write(fd, &c, 1) != 1) _exit(120); }
static void get(int fd) { char c; if (read(fd, &c, 1) != 1) _exit(121); }

struct blocked { int ready[2], go[2]; pid_t tid; int pending_before; int received; };

/* blocks SIGUSR2, lets main send it, checks it is pending, unblocks it (the handler runs here) */
static void *blocked_thread(void *arg)
{
	struct blocked *b = arg;
	sigset_t set, pend;
	prctl(PR_SET_NAME, "kt-sigblock");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	b->tid = gettid_();
	put(b->ready[1]);
	get(b->go[0]);
	sigpending(&pend);
	b->pending_before = sigismember(&pend, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* the pending SIGUSR2 is delivered here */
	b->received = usr2_got;
	return NULL;
}

/* a child that tells the parent it is ready, then waits in pause() */
static pid_t pausing_child(void)
{
	int p[2];
	if (pipe(p))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		close(p[0]);
		put(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0)
		get(p[0]);
	close(p[0]);
	return pid;
}

static int do_signals(long n)
{
	prctl(PR_SET_NAME, "kt-signals");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGHUP, SIG_IGN);

	/* 1. SIGUSR1 to itself, single-threaded: each is taken before kill() returns */
	long usr1_sent = 0;
	for (long i = 0; i < n; i++)
		usr1_sent += kill(getpid(), SIGUSR1) == 0;
	long usr1_received = usr1_got;

	/* 2. SIGHUP while SIG_IGN: generated, ignored, never delivered */
	long ign_sent = 0;
	for (int i = 0; i < 3; i++)
		ign_sent += kill(getpid(), SIGHUP) == 0;

	/* 3. SIGUSR2 twice to a thread that blocks it: pending, then already pending; delivered once when unblocked */
	struct blocked b;
	memset(&b, 0, sizeof(b));
	if (pipe(b.ready) || pipe(b.go))
		return 1;
	pthread_t bt;
	pthread_create(&bt, NULL, blocked_thread, &b);
	get(b.ready[0]);
	long blocked_sent = 0;
	for (int i = 0; i < 2; i++)
		blocked_sent += syscall(SYS_tgkill, getpid(), b.tid, SIGUSR2) == 0;
	put(b.go[1]);
	pthread_join(bt, NULL);

	/* 4. SIGUSR2 to a child that blocks it and exits with it still pending: never delivered */
	int r[2], g[2];
	if (pipe(r) || pipe(g))
		return 1;
	pid_t never = fork();
	if (never == 0) {
		sigset_t set, pend;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		put(r[1]);
		get(g[0]);
		sigpending(&pend);
		_exit(sigismember(&pend, SIGUSR2) ? 42 : 1);
	}
	get(r[0]);
	long never_sent = kill(never, SIGUSR2) == 0;
	put(g[1]);
	int st = 0;
	waitpid(never, &st, 0);
	int never_pending = WIFEXITED(st) && WEXITSTATUS(st) == 42;

	/* 5. SIGKILL and SIGTERM (default action) to children waiting in pause() */
	pid_t killed = pausing_child();
	kill(killed, SIGKILL);
	waitpid(killed, &st, 0);
	int kill_sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	pid_t termed = pausing_child();
	kill(termed, SIGTERM);
	waitpid(termed, &st, 0);
	int term_sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;

	/* 6. SIGUSR1 to a child already reaped: ESRCH, the kernel generates nothing */
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	waitpid(gone, &st, 0);
	int esrch = kill(gone, SIGUSR1) == -1 ? errno : 0;

	printf("{\"mode\":\"signals\",\"pid\":%d,\"tid\":%d,"
	       "\"usr1_sent\":%ld,\"usr1_received\":%ld,"
	       "\"ignored_sig\":%d,\"ignored_sent\":%ld,"
	       "\"blocked_tid\":%d,\"blocked_sig\":%d,\"blocked_sent\":%ld,\"blocked_pending_before_unblock\":%d,\"blocked_received\":%d,"
	       "\"never_pid\":%d,\"never_sig\":%d,\"never_sent\":%ld,\"never_pending_at_exit\":%d,"
	       "\"kill_child\":%d,\"kill_child_termsig\":%d,\"term_child\":%d,\"term_child_termsig\":%d,"
	       "\"esrch_pid\":%d,\"esrch_errno\":%d}\n",
	       getpid(), gettid_(), usr1_sent, usr1_received, SIGHUP, ign_sent,
	       b.tid, SIGUSR2, blocked_sent, b.pending_before ? 1 : 0, b.received,
	       never, SIGUSR2, never_sent, never_pending,
	       killed, kill_sig, termed, term_sig, gone, esrch);
	return 0;
}

/* /proc/self/io: the kernel's own count of bytes this process made the block layer read and write */
static void read_proc_io(long long *rd, long long *wr)
{
	char line[128];
	*rd = *wr = -1;
	FILE *f = fopen("/proc/self/io", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "read_bytes: %lld", rd);
		sscanf(line, "write_bytes: %lld", wr);
	}
	fclose(f);
}

#define IO_DIRECT_WRITE (64 << 10)
#define IO_DIRECT_READ (32 << 10)
#define IO_BUFFERED (256 << 10)

/* O_DIRECT: N writes of 64 KiB, fsync, 2N reads of 32 KiB; then 256 KiB buffered and fsync */
static int do_io(const char *dir, long n)
{
	char direct[4096], buffered[4096];
	snprintf(direct, sizeof(direct), "%s/ktape-io-%d.direct", dir, getpid());
	snprintf(buffered, sizeof(buffered), "%s/ktape-io-%d.buffered", dir, getpid());
	void *buf;
	if (posix_memalign(&buf, 4096, IO_BUFFERED)) {
		perror("posix_memalign");
		return 1;
	}
	memset(buf, 0x5a, IO_BUFFERED);
	int fd = open(direct, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0 || fallocate(fd, 0, 0, (off_t)n * IO_DIRECT_WRITE) || fsync(fd)) {
		perror(direct);
		return 1;
	}
	long long wb = 0, rb = 0, bb = 0, rd0, wr0, rd1, wr1;
	long wops = 0, rops = 0;
	read_proc_io(&rd0, &wr0);
	uint64_t t0 = boot_ns();
	for (long i = 0; i < n; i++, wops++)
		wb += pwrite(fd, buf, IO_DIRECT_WRITE, (off_t)i * IO_DIRECT_WRITE);
	if (fsync(fd)) {
		perror("fsync");
		return 1;
	}
	for (long i = 0; i < 2 * n; i++, rops++)
		rb += pread(fd, buf, IO_DIRECT_READ, (off_t)i * IO_DIRECT_READ);
	close(fd);
	int bfd = open(buffered, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (bfd < 0 || (bb = write(bfd, buf, IO_BUFFERED)) != IO_BUFFERED || fsync(bfd)) {
		perror(buffered);
		return 1;
	}
	close(bfd);
	uint64_t t1 = boot_ns();
	read_proc_io(&rd1, &wr1);
	unlink(direct);
	unlink(buffered);
	free(buf);
	printf("{\"mode\":\"io\",\"pid\":%d,\"tid\":%d,\"direct_write_ops\":%ld,\"direct_write_bytes\":%lld,"
	       "\"direct_read_ops\":%ld,\"direct_read_bytes\":%lld,\"buffered_write_bytes\":%lld,"
	       "\"proc_read_bytes\":%lld,\"proc_write_bytes\":%lld,\"boot_start_ns\":%llu,\"boot_end_ns\":%llu}\n",
	       getpid(), gettid_(), wops, wb, rops, rb, bb, rd1 - rd0, wr1 - wr0, (unsigned long long)t0, (unsigned long long)t1);
	return wb == (long long)n * IO_DIRECT_WRITE && rb == (long long)n * IO_DIRECT_WRITE ? 0 : 1;
}

/* pages of fd's first `pages` resident in the page cache (mincore), -1 on error */
static long resident_pages(int fd, long pages)
{
	void *m = mmap(NULL, (size_t)pages * 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	unsigned char *v = malloc((size_t)pages);
	long n = -1;
	if (v && !mincore(m, (size_t)pages * 4096, v))
		for (long i = n = 0; i < pages; i++)
			n += v[i] & 1;
	free(v);
	munmap(m, (size_t)pages * 4096);
	return n;
}

struct cache_phase {
	uint64_t t0, t1;
	long long rd, wr;
};

static void phase_begin(struct cache_phase *p)
{
	read_proc_io(&p->rd, &p->wr);
	p->t0 = boot_ns();
}

static void phase_end(struct cache_phase *p)
{
	long long rd, wr;
	p->t1 = boot_ns();
	read_proc_io(&rd, &wr);
	p->rd = rd - p->rd;
	p->wr = wr - p->wr;
}

static void print_phase(const char *name, const struct cache_phase *p)
{
	printf(",\"%s\":{\"boot_start_ns\":%llu,\"boot_end_ns\":%llu,\"proc_read_bytes\":%lld,\"proc_write_bytes\":%lld}", name,
	       (unsigned long long)p->t0, (unsigned long long)p->t1, p->rd, p->wr);
}

#define CACHE_READ (128 << 10)

/* read the whole of fd in CACHE_READ reads; the bytes read */
static long long read_all(int fd, char *buf)
{
	long long got = 0;
	ssize_t r;
	while ((r = pread(fd, buf, CACHE_READ, (off_t)got)) > 0)
		got += r;
	return got;
}

/* cold read, warm read, overwrite of W cached pages, W pages to a new file */
static int do_cache(const char *path, long w)
{
	char fresh[4096 + 8];
	snprintf(fresh, sizeof(fresh), "%s.new", path);
	int fd = open(path, O_RDWR);
	struct stat st;
	char *buf = malloc(CACHE_READ);
	if (fd < 0 || fstat(fd, &st) || !buf) {
		perror(path);
		return 1;
	}
	long pages = (long)((st.st_size + 4095) / 4096);
	if (w > pages)
		w = pages;
	memset(buf, 0x3c, CACHE_READ);
	struct cache_phase cold, warm, over, add;
	long res_cold = resident_pages(fd, pages);
	phase_begin(&cold);
	long long got_cold = read_all(fd, buf);
	phase_end(&cold);
	long res_warm = resident_pages(fd, pages);
	phase_begin(&warm);
	long long got_warm = read_all(fd, buf);
	phase_end(&warm);
	long res_after = resident_pages(fd, pages);
	phase_begin(&over);
	long long put_over = 0;
	for (long i = 0; i < w; i++)
		put_over += pwrite(fd, buf, 4096, (off_t)i * 4096);
	phase_end(&over);
	close(fd);
	int nfd = open(fresh, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	phase_begin(&add);
	long long put_new = nfd < 0 ? -1 : 0;
	for (long i = 0; nfd >= 0 && i < w; i++)
		put_new += pwrite(nfd, buf, 4096, (off_t)i * 4096);
	phase_end(&add);
	if (nfd >= 0)
		close(nfd);
	unlink(fresh);
	free(buf);
	printf("{\"mode\":\"cache\",\"pid\":%d,\"tid\":%d,\"dev_major\":%u,\"dev_minor\":%u,\"ino\":%llu,\"size\":%lld,\"pages\":%ld,"
	       "\"resident_before_cold\":%ld,\"resident_before_warm\":%ld,\"resident_after_warm\":%ld,\"read_cold\":%lld,\"read_warm\":%lld,"
	       "\"overwrite_pages\":%ld,\"new_pages\":%ld",
	       getpid(), gettid_(), major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino, (long long)st.st_size, pages, res_cold,
	       res_warm, res_after, got_cold, got_warm, w, w);
	print_phase("cold", &cold);
	print_phase("warm", &warm);
	print_phase("overwrite", &over);
	print_phase("new", &add);
	printf("}\n");
	return got_cold == st.st_size && got_warm == st.st_size && put_over == w * 4096 && put_new == w * 4096 ? 0 : 1;
}

#define CACHED_FILE (1 << 20)

/* N preads of 512 bytes, cycling over a warm 1 MiB file next to the binary; only the loop is timed */
static int do_cached_read(long n)
{
	char path[sizeof(self_path) + 32];
	snprintf(path, sizeof(path), "%s.cached-read.%d", self_path, getpid());
	char *buf = calloc(1, CACHED_FILE);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!buf || fd < 0 || write(fd, buf, CACHED_FILE) != CACHED_FILE || pread(fd, buf, CACHED_FILE, 0) != CACHED_FILE) {
		perror(path);
		return 1;
	}
	long long got = 0;
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		got += pread(fd, buf, 512, (off_t)((i * 4096 + (i & 7) * 512) % CACHED_FILE));
	uint64_t el = now_ns() - t0;
	close(fd);
	unlink(path);
	free(buf);
	printf("{\"mode\":\"cached-read\",\"pid\":%d,\"tid\":%d,\"n\":%ld,\"bytes\":%lld,\"elapsed_ns\":%llu}\n", getpid(), gettid_(), n, got,
	       (unsigned long long)el);
	return got == n * 512LL ? 0 : 1;
}

static int demo(int argc, char **argv)
{
	long ms = argl(argc, argv, "--ms", 1500);
	long nchild = argl(argc, argv, "--children", 20);
	long nsys = argl(argc, argv, "--syscalls", 100000);
	long npp = argl(argc, argv, "--pingpong", 20000);
	long npipes = argl(argc, argv, "--pipes", 2000);
	int nworkers = (int)argl(argc, argv, "--workers", 2);
	if (nworkers > 8)
		nworkers = 8;
	prctl(PR_SET_NAME, "kt-demo");

	struct spin w[8];
	pthread_t wt[8];
	for (int i = 0; i < nworkers; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].ms = ms;
		snprintf(w[i].name, sizeof(w[i].name), "kt-busy-%d", i);
		pthread_create(&wt[i], NULL, spin_thread, &w[i]);
	}
	struct sys_arg sa = { .n = nsys };
	pthread_t st;
	pthread_create(&st, NULL, sys_thread, &sa);

	pid_t *pids = calloc(nchild ? nchild : 1, sizeof(pid_t));
	do_forkexec(nchild, pids, 3);
	do_pingpong(npp);
	do_pipes(npipes);

	pthread_join(st, NULL);
	for (int i = 0; i < nworkers; i++)
		pthread_join(wt[i], NULL);

	printf("{\"mode\":\"demo\",\"pid\":%d,\"child_exit_code\":3,\"children\":[", getpid());
	for (long i = 0; i < nchild; i++)
		printf("%s%d", i ? "," : "", pids[i]);
	printf("],\"syscall_tid\":%d,\"syscall_nr_name\":\"getppid\",\"syscalls\":%ld,"
	       "\"pingpong\":%ld,\"pipes\":%ld,",
	       sa.tid, nsys, npp, npipes);
	print_spin(w, nworkers);
	printf("}\n");
	free(pids);
	return 0;
}

int main(int argc, char **argv)
{
	ssize_t l = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (l < 0) {
		perror("readlink");
		return 1;
	}
	self_path[l] = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: ktape-workload demo|getppid|pingpong|forkexec|pipes|hold-pipes|spin|signals|io|cache|cached-read|child ...\n");
		return 2;
	}
	const char *m = argv[1];
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (!strcmp(m, "child"))
		return (int)n;
	if (!strcmp(m, "demo"))
		return demo(argc, argv);
	if (!strcmp(m, "signals"))
		return do_signals(argc > 2 ? n : 20);
	if (!strcmp(m, "io"))
		return do_io(argc > 2 ? argv[2] : ".", argc > 3 ? strtol(argv[3], NULL, 10) : 8);
	if (!strcmp(m, "cached-read"))
		return do_cached_read(n);
	if (!strcmp(m, "cache") && argc > 2)
		return do_cache(argv[2], argc > 3 ? strtol(argv[3], NULL, 10) : 64);
	if (!strcmp(m, "getppid-rate")) {
		double rate = argc > 2 ? strtod(argv[2], NULL) : 1e6;
		double secs = argc > 3 ? strtod(argv[3], NULL) : 30;
		uint64_t el = 0;
		long calls = do_getppid_rate(rate, secs, &el);
		printf("{\"mode\":\"getppid-rate\",\"pid\":%d,\"tid\":%d,\"rate\":%.0f,\"secs\":%g,\"n\":%ld,\"elapsed_ns\":%llu}\n",
		       getpid(), gettid_(), rate, secs, calls, (unsigned long long)el);
		return 0;
	}
	uint64_t t0 = now_ns();
	if (!strcmp(m, "getppid"))
		do_getppid(n);
	else if (!strcmp(m, "pingpong"))
		do_pingpong(n);
	else if (!strcmp(m, "forkexec"))
		do_forkexec(n, NULL, 0);
	else if (!strcmp(m, "pipes"))
		do_pipes(n);
	else if (!strcmp(m, "hold-pipes")) {
		long hold = argc > 3 ? strtol(argv[3], NULL, 10) : 1000;
		int (*fds)[2] = calloc(n ? n : 1, sizeof(*fds));
		for (long i = 0; i < n; i++)
			if (pipe(fds[i])) {
				perror("pipe");
				return 1;
			}
		printf("{\"mode\":\"hold-pipes\",\"pid\":%d,\"tid\":%d,\"pipes\":%ld,\"hold_ms\":%ld}\n", getpid(), gettid_(), n, hold);
		fflush(stdout);
		usleep(hold * 1000);
		for (long i = 0; i < n; i++) {
			close(fds[i][0]);
			close(fds[i][1]);
		}
		free(fds);
		return 0;
	} else if (!strcmp(m, "spin")) {
		int nt = argc > 3 ? atoi(argv[3]) : 2;
		if (nt > 8)
			nt = 8;
		struct spin w[8];
		pthread_t wt[8];
		for (int i = 0; i < nt; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].ms = n;
			snprintf(w[i].name, sizeof(w[i].name), "kt-spin-%d", i);
			pthread_create(&wt[i], NULL, spin_thread, &w[i]);
		}
		for (int i = 0; i < nt; i++)
			pthread_join(wt[i], NULL);
		printf("{\"mode\":\"spin\",\"pid\":%d,", getpid());
		print_spin(w, nt);
		printf("}\n");
		return 0;
	} else {
		fprintf(stderr, "ktape-workload: unknown mode '%s'\n", m);
		return 2;
	}
	printf("{\"mode\":\"%s\",\"pid\":%d,\"tid\":%d,\"n\":%ld,\"elapsed_ns\":%llu}\n", m, getpid(), gettid_(), n,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}
