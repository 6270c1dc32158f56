/**
 * libbpf (Debian libbpf1) through koffi: 1:1 declarations of the C functions
 * ktape uses, nothing more. Pointers are opaque handles; errors come back as
 * NULL + errno or negative return codes, turned into BpfError by callers.
 */
import koffi from 'koffi';

let lib: ReturnType<typeof bind> | null = null;

function bind() {
  const l = koffi.load('libbpf.so.1');
  koffi.opaque('bpf_object');
  koffi.opaque('bpf_map');
  koffi.opaque('bpf_program');
  koffi.opaque('bpf_link');
  return {
    bpf_object__open_file: l.func('bpf_object *bpf_object__open_file(const char *path, const void *opts)'),
    bpf_object__load: l.func('int bpf_object__load(bpf_object *obj)'),
    bpf_object__close: l.func('void bpf_object__close(bpf_object *obj)'),
    bpf_object__find_map_by_name: l.func('bpf_map *bpf_object__find_map_by_name(const bpf_object *obj, const char *name)'),
    bpf_object__find_program_by_name: l.func('bpf_program *bpf_object__find_program_by_name(const bpf_object *obj, const char *name)'),
    bpf_object__next_program: l.func('bpf_program *bpf_object__next_program(const bpf_object *obj, bpf_program *prog)'),
    bpf_program__name: l.func('const char *bpf_program__name(const bpf_program *prog)'),
    bpf_program__section_name: l.func('const char *bpf_program__section_name(const bpf_program *prog)'),
    bpf_program__set_autoload: l.func('int bpf_program__set_autoload(bpf_program *prog, bool autoload)'),
    bpf_program__autoload: l.func('bool bpf_program__autoload(const bpf_program *prog)'),
    bpf_program__attach: l.func('bpf_link *bpf_program__attach(const bpf_program *prog)'),
    bpf_program__fd: l.func('int bpf_program__fd(const bpf_program *prog)'),
    bpf_link__destroy: l.func('int bpf_link__destroy(bpf_link *link)'),
    bpf_map__fd: l.func('int bpf_map__fd(const bpf_map *map)'),
    bpf_map__set_max_entries: l.func('int bpf_map__set_max_entries(bpf_map *map, uint32_t max_entries)'),
    bpf_map__max_entries: l.func('uint32_t bpf_map__max_entries(const bpf_map *map)'),
    bpf_map__set_initial_value: l.func('int bpf_map__set_initial_value(bpf_map *map, const void *data, size_t size)'),
    bpf_map__value_size: l.func('uint32_t bpf_map__value_size(const bpf_map *map)'),
    bpf_map__set_value_size: l.func('int bpf_map__set_value_size(bpf_map *map, uint32_t size)'),
    bpf_map_lookup_elem: l.func('int bpf_map_lookup_elem(int fd, const void *key, _Out_ void *value)'),
    bpf_map_update_elem: l.func('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)'),
    bpf_map_get_next_key: l.func('int bpf_map_get_next_key(int fd, const void *key, _Out_ void *next_key)'),
    bpf_enable_stats: l.func('int bpf_enable_stats(int type)'),
    libbpf_num_possible_cpus: l.func('int libbpf_num_possible_cpus(void)'),
    libbpf_set_print: l.func('void *libbpf_set_print(void *fn)'),
    libbpf_strerror: l.func('int libbpf_strerror(int err, _Out_ char *buf, size_t size)'),
    // libc's, bound here because only the load below needs it
    pthread_sigmask: koffi.load('libc.so.6').func('int pthread_sigmask(int how, const uint8_t *set, _Out_ uint8_t *old)'),
  };
}

export function libbpf() {
  if (!lib) lib = bind();
  return lib;
}

export function errno(): number {
  return koffi.errno();
}

/** "Operation not permitted (errno 1)" for a positive or negative errno */
export function strerror(err: number): string {
  const buf = Buffer.alloc(256);
  libbpf().libbpf_strerror(-Math.abs(err), buf, buf.length);
  const s = buf.toString('utf8', 0, buf.indexOf(0));
  return `${s} (errno ${Math.abs(err)})`;
}

const SIG_BLOCK = 0,
  SIG_SETMASK = 2;
/** glibc's sigset_t: 1024 bits */
const SIGSET_BYTES = 128;

/**
 * Run `fn` with every signal blocked on this thread, then restore the mask (a signal that came meanwhile is
 * delivered then). The verifier gives up with EAGAIN when a signal is pending on the loading thread (a profiler's
 * SIGPROF, a child's SIGCHLD, a terminal's SIGWINCH), and libbpf does not retry a failed load.
 */
export function signalsBlocked<T>(fn: () => T): T {
  const L = libbpf();
  const old = Buffer.alloc(SIGSET_BYTES);
  const blocked = L.pthread_sigmask(SIG_BLOCK, Buffer.alloc(SIGSET_BYTES, 0xff), old) === 0;
  try {
    return fn();
  } finally {
    if (blocked) L.pthread_sigmask(SIG_SETMASK, old, null);
  }
}

/** Silence libbpf's stderr chatter (we report errors ourselves). */
export function quietLibbpf(): void {
  libbpf().libbpf_set_print(null);
}
