-- Page faults: one row per fault exception (fault: exceptions:page_fault_user, page_fault_kernel), classified
-- minor or major, with the file it reached when the capture can tell.
--
-- Classification. The tracepoints fire at the entry of the exception, before the kernel handles it, and do not
-- say how it ends. The kernel counts a fault at the end of its handling, in mm_account_fault(): the faulting
-- task's own counter task_struct maj_flt goes up by one when the fault needed I/O (VM_FAULT_MAJOR) or had to be
-- retried, min_flt otherwise; a fault that failed (a bad address: SIGSEGV, or a kernel access fixed up as
-- -EFAULT), was spurious, or was cut short by a fatal signal counts in neither. Each fault row carries both
-- counters as they are at its entry. The next observation of the same task shows which one moved: its next
-- fault (counters at that entry), its exit (fault_exit: the final counters, sched_process_exit), or, for a
-- task alive when the recording stopped, the recorder's read of /proc/<tgid>/task/<tid>/stat (fault_end).
-- The difference (d_min, d_maj) gives the class: (1, 0) 'minor', (0, 1) 'major', (0, 0) 'none' (not counted),
-- anything else 'unknown'. Between two faults of a task the kernel runs only that task's other work, so the
-- difference is exactly the first fault's own count, except where:
--  * the counters also moved for faults without an exception (get_user_pages() on the task's behalf:
--    MAP_POPULATE, mlock, execve's argument pages, O_DIRECT buffers, process_vm_readv; or a fault event lost in
--    the ring): the difference is then larger than one and the fault 'unknown'; its count stays in d_min/d_maj;
--  * a fault is taken while another fault of the same task is in progress (only in an NMI, e.g. perf copying a
--    user stack, which the kernel never counts): the two classes are swapped, their sum is right;
--  * the task faulted after the programs were detached and before fault_end was read (a task alive at the end):
--    its last fault may show 'unknown' (or, if it was itself not counted and exactly one such fault followed,
--    'minor' or 'major'): at most one fault per thread alive at the end;
--  * no later observation exists (the exit event was lost, the capture is torn, or a thread exec'ed in a
--    multi-threaded process and took the leader's tid): 'unknown', next_ts NULL;
--  * the tid was reused after an exit that was not recorded: the counters go back, 'unknown'.
-- So per task the counts are exact where no get_user_pages() fault falls between two faults, and the sums of
-- d_min and d_maj are always the kernel's own counts between the first fault and the last observation.
--
-- Files. filemap_fault() (the fault handler of file mappings on most filesystems) and its fault-around,
-- filemap_map_pages(), report the file's inode (fault_file). A fault_file row belongs to the latest fault of its
-- task at or before it when the counters it carries are still those of that fault's entry and the fault was
-- counted (minor or major): once a counted fault ends its counters have moved, so such a row is inside it.
-- Faults the capture cannot tie to a file: anonymous memory, tmpfs/shmem and other files whose fault handler is
-- not filemap_fault (no event), and write faults on a file page already mapped (copy-on-write of a private
-- mapping, or making a shared page writable) when the page cache is not looked up.
-- requires: (only capture tables)

-- the faults, numbered
CREATE OR REPLACE TABLE _fault_n AS SELECT *, row_number() OVER (ORDER BY ts, tid, cpu, address, ip) AS fid FROM _fault;

-- every observation of a task's counters, in time order per tid (0 fault, 1 exit, 2 end of recording)
CREATE OR REPLACE TABLE _fault_obs AS
WITH o AS (
  SELECT ts, tid, min_flt, maj_flt, 0 AS src, fid FROM _fault_n
  UNION ALL SELECT ts, tid, min_flt, maj_flt, 1, NULL FROM _fault_exit
  UNION ALL SELECT ts, tid, min_flt, maj_flt, 2, NULL FROM _fault_end
)
SELECT fid, ts,
       lead(ts) OVER w AS next_ts,
       -- counters are u64 (a damaged capture may hold any value): a difference out of BIGINT range is NULL ('unknown')
       TRY_CAST(lead(min_flt::HUGEINT) OVER w - min_flt::HUGEINT AS BIGINT) AS d_min,
       TRY_CAST(lead(maj_flt::HUGEINT) OVER w - maj_flt::HUGEINT AS BIGINT) AS d_maj
FROM o WINDOW w AS (PARTITION BY tid ORDER BY ts, src);

CREATE OR REPLACE TABLE _fault_c AS
SELECT f.*, o.next_ts, o.d_min, o.d_maj,
       CASE WHEN o.next_ts IS NULL THEN 'unknown' WHEN o.d_min = 1 AND o.d_maj = 0 THEN 'minor' WHEN o.d_min = 0 AND o.d_maj = 1 THEN 'major'
            WHEN o.d_min = 0 AND o.d_maj = 0 THEN 'none' ELSE 'unknown' END AS class
FROM _fault_n f JOIN _fault_obs o ON o.fid = f.fid;

-- each fault_file row → its fault (ASOF: the latest fault of the tid at or before it), kept when inside it
CREATE OR REPLACE TABLE _fault_in_file AS
SELECT c.fid, arg_min(ff.dev, ff.ts) AS dev, arg_min(ff.ino, ff.ts) AS ino, coalesce(arg_min(ff.first, ff.ts) FILTER (WHERE ff.event = 0), arg_min(ff.first, ff.ts)) AS page,
       bool_or(ff.event = 0) AS filemap_fault
FROM _fault_file ff ASOF JOIN _fault_c c ON c.tid = ff.tid AND ff.ts >= c.ts
WHERE ff.min_flt = c.min_flt AND ff.maj_flt = c.maj_flt AND c.class IN ('minor', 'major')
GROUP BY c.fid;

-- @view fault_files_named: Files faults reached, with the name the faults view shows.
-- @col dev: the file's device (s_dev, kernel encoding major << 20 | minor)
-- @col ino: its inode number
-- @col file: the path tail from its dentry (up to four components), else 'dev major:minor ino N'
CREATE OR REPLACE VIEW fault_files_named AS
SELECT dev, ino, coalesce(any_value(name), printf('dev %d:%d ino %d', dev >> 20, dev & 1048575, ino)) AS file
FROM (SELECT dev, ino, NULL::VARCHAR AS name FROM _fault_file UNION ALL SELECT dev, ino, name FROM _fault_files) GROUP BY dev, ino;

-- @view faults: One row per page fault exception, classified (see the rules above).
-- @col ts: the exception's entry, ns since boot
-- @col cpu: CPU it was taken on
-- @col tid: the faulting thread
-- @col tgid: its process
-- @col user: the CPU was in user mode (page_fault_user); false: kernel mode (page_fault_kernel), e.g. a copy to or from user memory in a system call
-- @col address: the faulting address
-- @col ip: the faulting instruction
-- @col symbol: for a kernel-mode fault, the kernel function of ip (the capture's kallsyms), else NULL
-- @col error_code: x86 page fault error code (1 protection, 2 write, 4 user, 16 instruction fetch, ...)
-- @col write: error code bit 2: a write access
-- @col class: 'minor', 'major', 'none' (the kernel did not count it: failed, spurious or cut short) or 'unknown'
-- @col d_min: the task's min_flt from this fault's entry to its next observation (NULL: none)
-- @col d_maj: the same for maj_flt
-- @col next_ts: that next observation (a fault, the task's exit, or the end-of-recording read), ns since boot
-- @col dev: for a fault that reached a file's pages: the file's device (s_dev), else NULL
-- @col ino: the file's inode number, else NULL
-- @col page: the page index in the file filemap_fault looked up (a fault served by fault-around alone: the first page of its window)
-- @col file: the file's name (fault_files_named), else NULL
CREATE OR REPLACE VIEW faults AS
SELECT c.ts, c.cpu, c.tid, c.tgid, c.user <> 0 AS user, c.address, c.ip,
       CASE WHEN c.user = 0 THEN k.name END AS symbol, c.error_code, c.error_code & 2 <> 0 AS write,
       c.class, c.d_min, c.d_maj, c.next_ts, i.dev, i.ino, i.page, n.file
FROM _fault_c c
LEFT JOIN _fault_in_file i ON i.fid = c.fid
LEFT JOIN fault_files_named n ON n.dev = i.dev AND n.ino = i.ino
ASOF LEFT JOIN _kallsyms k ON c.ip >= k.addr;
