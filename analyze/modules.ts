/**
 * The analyzer's SQL modules: the core ones (analyze/sql: capture facts,
 * losses), then every family's (families/<family>/sql/*.sql), ordered by
 * the `-- requires: family/module ...` line each file starts with. A module
 * is named by its path, as in Perfetto's stdlib: 'sched/thread_state'.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAMILIES } from '../families/index.js';
import { TABLES } from '../formats/schema.js';
import { pkgPath } from '../record/paths.js';

export interface SqlModule {
  /** 'core/capture', 'sched/thread_state', ... */
  name: string;
  /** path relative to the package root, for messages */
  path: string;
  text: string;
  requires: string[];
}

const CORE = ['capture', 'losses'];

function readModule(name: string, path: string): SqlModule {
  const text = readFileSync(pkgPath(path), 'utf8');
  const m = /^--\s*requires:\s*(.*)$/m.exec(text);
  const requires = m ? m[1].split(/\s+/).filter((r) => /^[a-z_]+\/[a-z_]+$/.test(r)) : [];
  return { name, path, text, requires };
}

/** The event_counts view over every event table of the registry. */
function eventCounts(): SqlModule {
  const rows = TABLES.filter((t) => t.role === 'event' && t.group).map((t, i) =>
    i === 0 ? `SELECT '${t.name}' AS table_name, count(*) AS events FROM _${t.name}` : `UNION ALL SELECT '${t.name}', count(*) FROM _${t.name}`,
  );
  const text = `-- @view event_counts: Rows per raw event table.
-- @col table_name: capture table
-- @col events: number of rows loaded
CREATE OR REPLACE VIEW event_counts AS
${rows.join('\n')};
`;
  return { name: 'core/event_counts', path: 'analyze/modules.ts', text, requires: [] };
}

/** Depth-first: every module after the ones it requires; a cycle or an unknown name is a bug. */
function order(mods: SqlModule[]): SqlModule[] {
  const byName = new Map(mods.map((m) => [m.name, m]));
  const out: SqlModule[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (m: SqlModule, from: string) => {
    if (state.get(m.name) === 'done') return;
    if (state.get(m.name) === 'visiting') throw new Error(`SQL modules: a cycle through ${m.name} (from ${from})`);
    state.set(m.name, 'visiting');
    for (const r of m.requires) {
      const dep = byName.get(r);
      if (!dep) throw new Error(`${m.path}: requires ${r}, which is no module`);
      visit(dep, m.name);
    }
    state.set(m.name, 'done');
    out.push(m);
  };
  for (const m of mods) visit(m, m.name);
  return out;
}

let cache: SqlModule[] | null = null;
/** Every module in load order. */
export function sqlModules(): SqlModule[] {
  if (cache) return cache;
  const core = [...CORE.map((n) => readModule(`core/${n}`, `analyze/sql/${n}.sql`)), eventCounts()];
  const fam = FAMILIES.flatMap((f) => {
    const dir = `families/${f.name}/sql`;
    if (!existsSync(pkgPath(dir))) return [];
    return readdirSync(pkgPath(dir))
      .filter((n) => n.endsWith('.sql'))
      .sort()
      .map((n) => readModule(`${f.name}/${n.slice(0, -4)}`, join(dir, n)));
  });
  cache = [...core, ...order(fam)];
  return cache;
}
