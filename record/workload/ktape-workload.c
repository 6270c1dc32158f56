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
 *                    and the CLOCK_BOOTTIME instant it was true at (ss_ts)
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
 *   iostorm N        N O_DIRECT reads of 4 KiB at random offsets of a 256 MiB
 *                    file ($KT_STORM_FILE, default /var/tmp/ktape-iostorm.dat:
 *                    written once, before the timed loop, and kept)
 *   exit-acct [MS]   exit accounting: 4 children at once, each spins MS
 *                    (default 200) ms of its own CPU time in user mode,
 *                    sleeps 1 ms 20 times and touches fresh anonymous pages
 *                    (256 + 256 * i: minor faults, a known RSS); child 0 and
 *                    2 set nice 5 for themselves, child 1 SCHED_BATCH, child
 *                    3 does half the work in a second thread; the parent
 *                    reports each child's wait4 rusage and what it set
 *   faults DIR [N] [M]  page faults of known kinds (the fault family's ground
 *                    truth): writes an M-page file (default 64) in DIR (the
 *                    real disk), fsyncs it, drops it from the page cache
 *                    (POSIX_FADV_DONTNEED, and drop_caches when root); then a
 *                    forked child touches N (default 512) fresh anonymous
 *                    pages (minor faults) and reads one byte of each page of
 *                    the file through a MADV_RANDOM mapping (major faults),
 *                    reporting its /proc/self/stat minflt/majflt at the
 *                    CLOCK_BOOTTIME instants around each phase; the parent
 *                    reports them with the child's wait4 rusage
 *   fault-storm N    N pages faulted: 1 MiB anonymous mappings made, every
 *                    page touched, unmapped (page-fault storm)
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
 *   tcp SERVER_NS CLIENT_NS ADDR PORT N [BACKLOG HOLD_MS BLOCKED]
 *                    TCP between two network namespaces (/run/netns, "-":
 *                    the current one): a server child (kt-tcp-server)
 *                    listens on ADDR:PORT, waits HOLD_MS, accepts; the client
 *                    (kt-tcp-client) makes N connections one after the
 *                    other, then BLOCKED at once, timing each connect()
 *                    (CLOCK_BOOTTIME), sends 1000 bytes on each and reads the
 *                    server's 100; reports each connection's local port and
 *                    connect() start and end
 *   udp-storm N      N 64-byte datagrams over loopback, each received
 *   files DIR [N]    known paths (files family): in DIR, N opens of a file
 *                    that exists, N of one that is missing (ENOENT), one of
 *                    an existing and one of a missing path longer than 256
 *                    bytes, one of a file whose name holds a newline, a quote
 *                    and an escape sequence, one of a missing name that is
 *                    not UTF-8; a rename (two paths), an unlink,
 *                    and an execve of itself (child 7) with known argv;
 *                    reports each path (JSON-escaped), its count and result
 *   opens N          open storm: N openat+close of a file that exists and N
 *                    openat of one that is missing (ENOENT), in /tmp
 *   connect-storm N  N connect()+close() to a loopback listener whose thread
 *                    accepts and closes each
 *   cached-read N    N reads of 512 bytes of a warm 1 MiB file (page cache hit
 *                    storm): the file is made in the workload's own directory
 *                    (build/, the real disk: a tmpfs has no filemap reads),
 *                    read once whole, then timed; removed at the end
 *   child CODE       exit with CODE (exec target)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

struct spin { long ms; pid_t tid; struct schedstat ss; uint64_t ss_ts; char name[16]; };

/*
 * The thread's schedstat and the CLOCK_BOOTTIME instant it was true at: read,
 * take the time, read again, until no switch-in (slices) came in between. The
 * kernel adds a wait to run_delay at the switch-in that ends it, so the waits
 * that ended before ss_ts are exactly the ones in ss, and none spans ss_ts.
 * The file's run time (se.sum_exec_runtime) leaves out the running slice
 * since the scheduler last updated it (up to a tick); CLOCK_THREAD_CPUTIME_ID
 * is the same sum with that slice added, so cpu_ns is read from it, at ss_ts.
 */
static void read_schedstat_at(struct schedstat *ss, uint64_t *ts)
{
	struct schedstat again;
	struct timespec cpu;
	for (int i = 0; i < 100; i++) {
		read_schedstat(ss);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
		*ts = boot_ns();
		read_schedstat(&again);
		ss->cpu_ns = (unsigned long long)cpu.tv_sec * 1000000000ull + cpu.tv_nsec;
		if (again.slices == ss->slices)
			return;
	}
}

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
	read_schedstat_at(&s->ss, &s->ss_ts);
	return NULL;
}

static void print_spin(struct spin *s, int n)
{
	printf("\"workers\":[");
	for (int i = 0; i < n; i++)
		printf("%s{\"tid\":%d,\"comm\":\"%s\",\"cpu_ns\":%llu,\"wait_ns\":%llu,\"slices\":%llu,\"ss_ts\":%llu}",
		       i ? "," : "", s[i].tid, s[i].name, s[i].ss.cpu_ns, s[i].ss.wait_ns, s[i].ss.slices,
		       (unsigned long long)s[i].ss_ts);
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

#define STORM_FILE_BYTES (256LL << 20)
#define STORM_READ 4096

/*
 * The I/O storm's file: $KT_STORM_FILE (default /var/tmp/ktape-iostorm.dat,
 * on the real disk), 256 MiB of written data (not fallocated: reads of
 * unwritten extents would not reach the device), made once and kept for the
 * next runs. Opened O_DIRECT, before the timed loop.
 */
static int iostorm_open(void)
{
	const char *p = getenv("KT_STORM_FILE");
	if (!p)
		p = "/var/tmp/ktape-iostorm.dat";
	int fd = open(p, O_RDWR | O_CREAT | O_DIRECT | O_NOFOLLOW, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		perror(p);
		return -1;
	}
	if (st.st_size == STORM_FILE_BYTES)
		return fd;
	void *buf;
	if (posix_memalign(&buf, 4096, 1 << 20))
		return -1;
	memset(buf, 0x6b, 1 << 20);
	for (long long off = 0; off < STORM_FILE_BYTES; off += 1 << 20)
		if (pwrite(fd, buf, 1 << 20, off) != 1 << 20) {
			perror(p);
			return -1;
		}
	free(buf);
	return fsync(fd) ? -1 : fd;
}

/* N reads of 4 KiB at pseudo-random 4 KiB-aligned offsets of the storm file, O_DIRECT (each one a block request) */
static void do_iostorm(int fd, long n)
{
	void *buf;
	if (posix_memalign(&buf, 4096, STORM_READ))
		exit(1);
	uint64_t x = 88172645463325252ull;
	for (long i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (pread(fd, buf, STORM_READ, (off_t)(x % (STORM_FILE_BYTES / STORM_READ)) * STORM_READ) != STORM_READ) {
			perror("iostorm pread");
			exit(1);
		}
	}
	free(buf);
}

/* ---- exit-acct: known work in children, their wait4 rusage ---- */

struct acct_work { long spin_ms, sleeps, pages; };

static void acct_do(const struct acct_work *w)
{
	struct timespec t, one_ms = { 0, 1000000 };
	uint64_t end;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	end = (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec + (uint64_t)w->spin_ms * 1000000ull;
	for (;;) {
		for (volatile unsigned long x = 0; x < 200000; x++) /* user time between the clock reads */
			;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
		if ((uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec >= end)
			break;
	}
	for (long i = 0; i < w->sleeps; i++)
		nanosleep(&one_ms, NULL);
	size_t len = (size_t)w->pages * 4096;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		_exit(3);
	madvise(m, len, MADV_NOHUGEPAGE); /* one fault per page */
	for (long i = 0; i < w->pages; i++)
		m[i * 4096] = 1;
}

static void *acct_thread(void *arg)
{
	acct_do(arg);
	return NULL;
}

/* child i: what it sets for itself, then the work (child 3: half in a second thread) */
static int acct_child(int i, long ms)
{
	struct acct_work w = { ms, 20, 256 + 256 * i };
	if ((i == 0 || i == 2) && setpriority(PRIO_PROCESS, 0, 5))
		return 1;
	if (i == 1) {
		struct sched_param sp = { 0 };
		if (sched_setscheduler(0, SCHED_BATCH, &sp))
			return 1;
	}
	if (i == 3) {
		pthread_t th;
		struct acct_work half = { ms / 2, 10, w.pages / 2 };
		w = half;
		if (pthread_create(&th, NULL, acct_thread, &half))
			return 1;
		acct_do(&w);
		pthread_join(th, NULL);
		return 0;
	}
	acct_do(&w);
	return 0;
}

static int do_exit_acct(long ms)
{
	enum { N = 4 };
	pid_t pids[N];
	prctl(PR_SET_NAME, "kt-acct");
	fflush(stdout);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (pids[i] == 0)
			_exit(acct_child(i, ms));
	}
	printf("{\"mode\":\"exit-acct\",\"pid\":%d,\"spin_ms\":%ld,\"children\":[", getpid(), ms);
	for (int i = 0; i < N; i++) {
		int st = 0;
		struct rusage ru;
		if (wait4(pids[i], &st, 0, &ru) != pids[i]) {
			perror("wait4");
			return 1;
		}
		printf("%s{\"pid\":%d,\"nice\":%d,\"policy\":%d,\"threads\":%d,\"pages\":%d,\"sleeps\":20,\"status\":%d,"
		       "\"utime_us\":%lld,\"stime_us\":%lld,\"maxrss_kib\":%ld,\"minflt\":%ld,\"majflt\":%ld,\"nvcsw\":%ld,\"nivcsw\":%ld}",
		       i ? "," : "", pids[i], i == 0 || i == 2 ? 5 : 0, i == 1 ? SCHED_BATCH : SCHED_OTHER, i == 3 ? 2 : 1,
		       256 + 256 * i, st,
		       (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
		       (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss, ru.ru_minflt, ru.ru_majflt,
		       ru.ru_nvcsw, ru.ru_nivcsw);
	}
	printf("]}\n");
	return 0;
}

/* minflt and majflt (fields 10 and 12) of /proc/self/stat; no allocation, no fresh page touched */
static void read_flt(long long *min, long long *maj)
{
	char b[1024];
	*min = *maj = -1;
	int fd = open("/proc/self/stat", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof(b) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	b[n] = 0;
	char *p = strrchr(b, ')');
	if (p)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lld %*u %lld", min, maj);
}

struct flt_phase {
	long long min0, maj0, min1, maj1;
	uint64_t t0, t1;
};

#define FLT_PAGE 4096

/* the child of `faults`: N anonymous pages touched, then M file pages read through a mapping */
static void faults_child(int fd, long n, long m, struct flt_phase *ph)
{
	volatile char sink = 0;
	long long a, b;
	read_flt(&a, &b); /* warm: this code, the stack, the vDSO */
	(void)boot_ns();
	char *anon = mmap(NULL, n * FLT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *file = mmap(NULL, m * FLT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (anon == MAP_FAILED || file == MAP_FAILED || madvise(anon, n * FLT_PAGE, MADV_NOHUGEPAGE) || madvise(file, m * FLT_PAGE, MADV_RANDOM))
		_exit(3);
	read_flt(&ph[0].min0, &ph[0].maj0);
	ph[0].t0 = boot_ns();
	for (long i = 0; i < n; i++)
		anon[i * FLT_PAGE] = 1;
	ph[0].t1 = boot_ns();
	read_flt(&ph[0].min1, &ph[0].maj1);
	read_flt(&ph[1].min0, &ph[1].maj0);
	ph[1].t0 = boot_ns();
	for (long i = 0; i < m; i++)
		sink += file[i * FLT_PAGE];
	ph[1].t1 = boot_ns();
	read_flt(&ph[1].min1, &ph[1].maj1);
	(void)sink;
	_exit(0);
}

static int do_faults(const char *dir, long n, long m)
{
	char path[4096], page[FLT_PAGE];
	snprintf(path, sizeof(path), "%s/ktape-fault-%d.dat", dir, getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	memset(page, 0x5a, sizeof(page));
	for (long i = 0; fd >= 0 && i < m; i++)
		if (write(fd, page, sizeof(page)) != sizeof(page))
			return perror(path), 1;
	if (fd < 0 || fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		return perror(path), 1;
	int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
	int dropped = dc >= 0 && write(dc, "3", 1) == 1;
	if (dc >= 0)
		close(dc);
	/* the results, in a shared page the parent touched first */
	struct flt_phase *ph = mmap(NULL, FLT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ph == MAP_FAILED)
		return perror("mmap"), 1;
	memset(ph, 0, FLT_PAGE);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		faults_child(fd, n, m, ph);
	int st;
	struct rusage ru;
	if (c < 0 || wait4(c, &st, 0, &ru) != c)
		return perror("fork"), 1;
	close(fd);
	unlink(path);
	printf("{\"mode\":\"faults\",\"pid\":%d,\"child\":%d,\"child_status\":%d,\"anon_pages\":%ld,\"file_pages\":%ld,"
	       "\"path\":\"%s\",\"drop_caches\":%d,\"ru_minflt\":%ld,\"ru_majflt\":%ld",
	       getpid(), c, st, n, m, path, dropped, ru.ru_minflt, ru.ru_majflt);
	for (int i = 0; i < 2; i++)
		printf(",\"%s\":{\"boot_start_ns\":%llu,\"boot_end_ns\":%llu,\"minflt\":%lld,\"majflt\":%lld}", i ? "file" : "anon",
		       (unsigned long long)ph[i].t0, (unsigned long long)ph[i].t1, ph[i].min1 - ph[i].min0, ph[i].maj1 - ph[i].maj0);
	printf("}\n");
	return st == 0 ? 0 : 1;
}

/* page-fault storm: N pages faulted, 256 at a time (mmap 1 MiB, touch every page, munmap) */
static void do_fault_storm(long n)
{
	const long chunk = 256;
	for (long done = 0; done < n; done += chunk) {
		char *p = mmap(NULL, chunk * FLT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || madvise(p, chunk * FLT_PAGE, MADV_NOHUGEPAGE))
			_exit(3);
		for (long i = 0; i < chunk && done + i < n; i++)
			p[i * FLT_PAGE] = 1;
		munmap(p, chunk * FLT_PAGE);
	}
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

/* ---- tcp: connections between two network namespaces ---- */

#define TCP_SEND 1000 /* bytes each client connection sends; the server answers TCP_REPLY */
#define TCP_REPLY 100
#define TCP_MAX 256

/* join the network namespace /run/netns/NAME ("-": stay) */
static int join_netns(const char *name)
{
	if (!strcmp(name, "-"))
		return 0;
	char path[300];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		perror(path);
		return -1;
	}
	close(fd);
	return 0;
}

struct tcp_conn {
	struct sockaddr_in to;
	int fd, port, blocked, err;
	uint64_t t0, t1;
	pid_t tid;
};

/* one timed blocking connect() */
static void *tcp_connect(void *arg)
{
	struct tcp_conn *c = arg;
	c->tid = gettid_();
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	c->t0 = boot_ns();
	c->err = connect(c->fd, (struct sockaddr *)&c->to, sizeof(c->to)) ? errno : 0;
	c->t1 = boot_ns();
	struct sockaddr_in me;
	socklen_t l = sizeof(me);
	getsockname(c->fd, (struct sockaddr *)&me, &l);
	c->port = ntohs(me.sin_port);
	return NULL;
}

/* the server: listen (backlog), hold HOLD ms, accept all N, then per connection read to EOF, reply, close */
static void tcp_server(int lfd, long n, long hold_ms, int ready)
{
	prctl(PR_SET_NAME, "kt-tcp-server");
	put(ready);
	if (hold_ms)
		usleep(hold_ms * 1000);
	int fds[TCP_MAX];
	for (long i = 0; i < n; i++)
		if ((fds[i] = accept(lfd, NULL, NULL)) < 0)
			_exit(122);
	char buf[4096], reply[TCP_REPLY];
	memset(reply, 'r', sizeof(reply));
	for (long i = 0; i < n; i++) {
		while (read(fds[i], buf, sizeof(buf)) > 0)
			;
		if (write(fds[i], reply, sizeof(reply)) != (ssize_t)sizeof(reply))
			_exit(123);
		close(fds[i]);
	}
	close(lfd);
	_exit(0);
}

static int tcp_listener(const char *addr, int backlog, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(*port) };
	inet_pton(AF_INET, addr, &a.sin_addr);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	socklen_t l = sizeof(a);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, backlog) || getsockname(fd, (struct sockaddr *)&a, &l)) {
		perror("tcp listener");
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* each connection: send TCP_SEND bytes and shut down writing (all first: the server reads them in its accept order) */
static int tcp_send(struct tcp_conn *c)
{
	char buf[TCP_SEND];
	memset(buf, 'c', sizeof(buf));
	return !c->err && write(c->fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) && !shutdown(c->fd, SHUT_WR);
}

/* then read the reply to EOF and close */
static long tcp_reply(struct tcp_conn *c)
{
	char buf[TCP_SEND];
	long got = 0;
	ssize_t r;
	while ((r = read(c->fd, buf, sizeof(buf))) > 0)
		got += r;
	close(c->fd);
	return got;
}

static void tcp_print(const char *server_ns, pid_t server, struct tcp_conn *c, long n, long backlog, long hold_ms)
{
	printf("{\"mode\":\"tcp\",\"pid\":%d,\"tid\":%d,\"server_pid\":%d,\"server_ns\":\"%s\",\"backlog\":%ld,\"hold_ms\":%ld,"
	       "\"send\":%d,\"reply\":%d,\"conns\":[",
	       getpid(), gettid_(), server, server_ns, backlog, hold_ms, TCP_SEND, TCP_REPLY);
	for (long i = 0; i < n; i++)
		printf("%s{\"port\":%d,\"tid\":%d,\"blocked\":%d,\"err\":%d,\"start_ns\":%llu,\"end_ns\":%llu}", i ? "," : "", c[i].port, c[i].tid,
		       c[i].blocked, c[i].err, (unsigned long long)c[i].t0, (unsigned long long)c[i].t1);
	printf("]}\n");
}

/*
 * tcp SERVER_NS CLIENT_NS ADDR PORT N [BACKLOG HOLD_MS BLOCKED]: a server (a child, in SERVER_NS) listens on
 * ADDR:PORT (0: any port) with BACKLOG (default 64), waits HOLD_MS, accepts N + BLOCKED connections, then serves
 * them in order; the client (in CLIENT_NS) opens N connections one after the other, then BLOCKED more at once
 * (threads: with a full accept queue their SYNs are dropped and retried), timing each connect(), then exchanges
 * data on each. "-" as a namespace: stay in the current one.
 */
static int do_tcp(int argc, char **argv)
{
	if (argc < 7)
		return 2;
	long n = strtol(argv[6], NULL, 10), backlog = argc > 7 ? strtol(argv[7], NULL, 10) : 64;
	long hold = argc > 8 ? strtol(argv[8], NULL, 10) : 0, blocked = argc > 9 ? strtol(argv[9], NULL, 10) : 0;
	int port = atoi(argv[5]), ready[2];
	if (n + blocked > TCP_MAX || n + blocked < 1 || pipe(ready))
		return 2;
	pid_t server = fork();
	if (!server) {
		int lfd = join_netns(argv[2]) ? -1 : tcp_listener(argv[4], (int)backlog, &port);
		if (lfd < 0 || write(ready[1], &port, sizeof(port)) != sizeof(port))
			_exit(124);
		tcp_server(lfd, n + blocked, hold, ready[1]);
	}
	if (read(ready[0], &port, sizeof(port)) != sizeof(port) || join_netns(argv[3]))
		return 1;
	get(ready[0]);
	prctl(PR_SET_NAME, "kt-tcp-client");
	static struct tcp_conn c[TCP_MAX];
	pthread_t th[TCP_MAX];
	long total = n + blocked, bad = 0;
	for (long i = 0; i < total; i++) {
		c[i].to = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port) };
		inet_pton(AF_INET, argv[4], &c[i].to.sin_addr);
		c[i].blocked = i >= n;
		if (i < n)
			tcp_connect(&c[i]);
		else
			pthread_create(&th[i], NULL, tcp_connect, &c[i]);
	}
	for (long i = n; i < total; i++)
		pthread_join(th[i], NULL);
	for (long i = 0; i < total; i++)
		bad += !tcp_send(&c[i]);
	for (long i = 0; i < total; i++)
		bad += tcp_reply(&c[i]) != TCP_REPLY;
	int st = 0;
	waitpid(server, &st, 0);
	tcp_print(argv[2], server, c, total, backlog, hold);
	return bad || st ? 1 : 0;
}

/* udp-storm N: N datagrams of 64 bytes to a socket on loopback, each received (packet storm) */
static int do_udp_storm(long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(r, (struct sockaddr *)&a, sizeof(a)) || getsockname(r, (struct sockaddr *)&a, &l) || connect(s, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	char buf[64] = { 0 };
	long got = 0;
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (send(s, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) && recv(r, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf))
			got++;
	printf("{\"mode\":\"udp-storm\",\"pid\":%d,\"tid\":%d,\"n\":%ld,\"received\":%ld,\"elapsed_ns\":%llu}\n", getpid(), gettid_(), n, got,
	       (unsigned long long)(now_ns() - t0));
	return got == n ? 0 : 1;
}

/* a JSON string: quotes, backslashes and control bytes escaped; other bytes as they are */
static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* open PATH n times (closing it), printing one JSON object: its path, count and result (the fd's sign, or -errno) */
static int open_n(const char *path, long n, int first)
{
	int ret = 0;
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);
		ret = fd < 0 ? -errno : 0;
		if (fd >= 0)
			close(fd);
	}
	printf("%s{\"path\":", first ? "" : ",");
	json_str(path);
	printf(",\"count\":%ld,\"ret\":%d}", n, ret);
	return ret;
}

static int do_files(const char *dir, long n)
{
	char exists[4096], missing[4096], evil[4096], longdir[4096], longok[8192], longmiss[8192], renamed[4096];
	char a[201], b[101], c[251], badutf[4096];
	memset(a, 'd', 200), a[200] = 0;
	memset(b, 'f', 100), b[100] = 0;
	memset(c, 'x', 250), c[250] = 0;
	snprintf(exists, sizeof(exists), "%s/exists", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	snprintf(evil, sizeof(evil), "%s/evil\n\"q\x1b[31mred", dir);
	snprintf(longdir, sizeof(longdir), "%s/%s", dir, a);
	snprintf(longok, sizeof(longok), "%s/%s", longdir, b);
	snprintf(longmiss, sizeof(longmiss), "%s/%s/nope", dir, c);
	snprintf(renamed, sizeof(renamed), "%s/renamed", dir);
	snprintf(badutf, sizeof(badutf), "%s/not-utf8-\xff\xfe", dir);
	/* made by mknod, not open: the opens below are then the only ones of these paths */
	if (mknod(exists, S_IFREG | 0600, 0) || mknod(evil, S_IFREG | 0600, 0) || mkdir(longdir, 0700) || mknod(longok, S_IFREG | 0600, 0)) {
		perror(dir);
		return 1;
	}
	printf("{\"mode\":\"files\",\"pid\":%d,\"tid\":%d,\"opens\":[", getpid(), gettid_());
	int bad = open_n(exists, n, 1) != 0;
	bad |= open_n(missing, n, 0) != -ENOENT;
	bad |= open_n(longok, 1, 0) != 0;
	bad |= open_n(longmiss, 1, 0) != -ENOENT;
	bad |= open_n(evil, 1, 0) != 0;
	bad |= open_n(badutf, 1, 0) != -ENOENT;
	int rn = rename(evil, renamed) ? -errno : 0;
	int ul = unlink(renamed) ? -errno : 0;
	printf("],\"rename\":{\"from\":");
	json_str(evil);
	printf(",\"to\":");
	json_str(renamed);
	printf(",\"ret\":%d},\"unlink\":{\"path\":", rn);
	json_str(renamed);
	printf(",\"ret\":%d},", ul);
	char *args[] = { "ktape-workload", "child", "7", "an arg with spaces", "quote\"and\\back", NULL };
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		execv(self_path, args);
		_exit(127);
	}
	int st = 0;
	waitpid(child, &st, 0);
	printf("\"exec\":{\"pid\":%d,\"path\":", child);
	json_str(self_path);
	printf(",\"argv\":[");
	for (int i = 0; args[i]; i++) {
		printf(i ? "," : "");
		json_str(args[i]);
	}
	printf("],\"status\":%d}}\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	unlink(exists);
	unlink(longok);
	rmdir(longdir);
	return bad || rn || ul || !WIFEXITED(st) || WEXITSTATUS(st) != 7;
}

/* N openat+close of an existing file and N openat of a missing one (the bench's open storm) */
static int do_opens(long n)
{
	char exists[64] = "/tmp/ktape-opens-XXXXXX", missing[80];
	int fd = mkstemp(exists);
	if (fd < 0 || close(fd)) {
		perror("mkstemp");
		return 1;
	}
	snprintf(missing, sizeof(missing), "%s.missing", exists);
	long ok = 0, enoent = 0;
	for (long i = 0; i < n; i++) {
		fd = open(exists, O_RDONLY);
		if (fd >= 0 && !close(fd))
			ok++;
		if (open(missing, O_RDONLY) < 0 && errno == ENOENT)
			enoent++;
	}
	unlink(exists);
	return ok == n && enoent == n ? 0 : 1;
}

struct storm_server {
	int fd;
	long n;
};

static void *storm_accept(void *arg)
{
	struct storm_server *s = arg;
	for (long i = 0; i < s->n; i++) {
		int c = accept(s->fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	return NULL;
}

/* connect-storm N: N connect()+close() to a listener on loopback whose thread accepts and closes each (connect storm) */
static int do_connect_storm(long n)
{
	int port = 0, lfd = tcp_listener("127.0.0.1", 1024, &port);
	if (lfd < 0)
		return 1;
	struct storm_server srv = { lfd, n };
	pthread_t th;
	pthread_create(&th, NULL, storm_accept, &srv);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	long ok = 0;
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		ok += !connect(fd, (struct sockaddr *)&to, sizeof(to));
		close(fd);
	}
	pthread_join(th, NULL);
	printf("{\"mode\":\"connect-storm\",\"pid\":%d,\"tid\":%d,\"n\":%ld,\"connected\":%ld,\"elapsed_ns\":%llu}\n", getpid(), gettid_(), n, ok,
	       (unsigned long long)(now_ns() - t0));
	close(lfd);
	return ok == n ? 0 : 1;
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

/* slow-syscall A B C: spin A ms (no syscalls), sleep B ms (one clock_nanosleep), print when (CLOCK_BOOTTIME), spin C ms */
static int do_slow_syscall(long spin_ms, long sleep_ms, long after_ms)
{
	uint64_t end = now_ns() + (uint64_t)spin_ms * 1000000ull;
	while (now_ns() < end)
		;
	struct timespec d = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000L };
	uint64_t b0 = boot_ns();
	clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
	uint64_t b1 = boot_ns();
	printf("{\"mode\":\"slow-syscall\",\"pid\":%d,\"tid\":%d,\"sleep_ms\":%ld,\"boot_sleep_start_ns\":%llu,\"boot_sleep_end_ns\":%llu}\n",
	       getpid(), gettid_(), sleep_ms, (unsigned long long)b0, (unsigned long long)b1);
	fflush(stdout);
	end = now_ns() + (uint64_t)after_ms * 1000000ull;
	while (now_ns() < end)
		;
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
		fprintf(stderr, "usage: ktape-workload MODE ... (modes: see the comment at the top of ktape-workload.c)\n");
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
	if (!strcmp(m, "exit-acct"))
		return do_exit_acct(argc > 2 ? n : 200);
	if (!strcmp(m, "faults"))
		return do_faults(argc > 2 ? argv[2] : ".", argc > 3 ? strtol(argv[3], NULL, 10) : 512, argc > 4 ? strtol(argv[4], NULL, 10) : 64);
	if (!strcmp(m, "tcp"))
		return do_tcp(argc, argv);
	if (!strcmp(m, "udp-storm"))
		return do_udp_storm(n);
	if (!strcmp(m, "files"))
		return do_files(argc > 2 ? argv[2] : ".", argc > 3 ? strtol(argv[3], NULL, 10) : 5);
	if (!strcmp(m, "slow-syscall"))
		return do_slow_syscall(n, argc > 3 ? strtol(argv[3], NULL, 10) : 300, argc > 4 ? strtol(argv[4], NULL, 10) : 0);
	if (!strcmp(m, "connect-storm"))
		return do_connect_storm(n);
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
	int storm_fd = -1;
	if (!strcmp(m, "iostorm") && (storm_fd = iostorm_open()) < 0)
		return 1;
	uint64_t t0 = now_ns();
	if (!strcmp(m, "getppid"))
		do_getppid(n);
	else if (!strcmp(m, "pingpong"))
		do_pingpong(n);
	else if (!strcmp(m, "forkexec"))
		do_forkexec(n, NULL, 0);
	else if (!strcmp(m, "pipes"))
		do_pipes(n);
	else if (!strcmp(m, "iostorm"))
		do_iostorm(storm_fd, n);
	else if (!strcmp(m, "fault-storm"))
		do_fault_storm(n);
	else if (!strcmp(m, "opens")) {
		if (do_opens(n))
			return 1;
	}
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
