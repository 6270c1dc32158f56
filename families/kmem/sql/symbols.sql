-- Kernel symbolization: floor lookup of an address in kallsyms (the symbol
-- with the greatest start address <= addr).
-- requires: (only capture tables)

-- @view kernel_symbols: Kernel text symbols of the capture host (all, or with --kallsyms used only those covering recorded addresses).
-- @col addr: symbol start address
-- @col type: kallsyms type letter (t, T, W, ...)
-- @col name: symbol name
-- @col module: module name, NULL for the core kernel
CREATE OR REPLACE VIEW kernel_symbols AS SELECT addr, type, name, module FROM _kallsyms;

-- @view stack_frames: Kernel stacks of allocations, one row per frame, symbolized.
-- @col stack_id: id used by allocations.stack_id
-- @col depth: frame index, 0 = innermost (the allocation tracepoint site)
-- @col ip: return address
-- @col symbol: function containing ip (kallsyms floor lookup), NULL if below every symbol
-- @col offset: ip - symbol start, bytes
-- @col module: module of the symbol, NULL for the core kernel
-- @col frame: symbol+0xoffset, or the hex address when unknown
CREATE OR REPLACE VIEW stack_frames AS
SELECT s.stack_id, s.depth, s.ip, k.name AS symbol, s.ip - k.addr AS offset, k.module,
       CASE WHEN k.name IS NULL THEN printf('0x%x', s.ip) ELSE printf('%s+0x%x', k.name, s.ip - k.addr) END AS frame
FROM _stacks s ASOF LEFT JOIN _kallsyms k ON s.ip >= k.addr;

-- @view stacks: One row per kernel stack: its symbolized frames, without the tracer's own frames (bpf_prog_*, bpf_trace_run*, __bpf_trace_*: the one rule, compare and the exports use it too).
-- @col stack_id: id used by allocations.stack_id
-- @col depth: number of frames shown
-- @col frames: symbols, innermost first (unknown frames as hex addresses)
-- @col folded: symbols outermost first joined by ';' (flamegraph.pl folded format, without the count)
CREATE OR REPLACE VIEW stacks AS
SELECT stack_id, count(*) AS depth,
       list(coalesce(symbol, printf('0x%x', ip)) ORDER BY depth) AS frames,
       string_agg(coalesce(symbol, printf('0x%x', ip)), ';' ORDER BY depth DESC) AS folded
FROM stack_frames
WHERE NOT (coalesce(symbol, '') LIKE 'bpf_prog_%' OR regexp_matches(coalesce(symbol, ''), '^bpf_trace_run[0-9]+$')
           OR coalesce(symbol, '') LIKE '\_\_bpf_trace\_%' ESCAPE '\')
GROUP BY stack_id;
