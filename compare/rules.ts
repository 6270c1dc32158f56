/**
 * --fail-on rules: CI thresholds on compare results.
 *
 *   rules  := rule (',' rule)*
 *   rule   := metric ['[' group ']'] op value
 *   op     := '>' | '>=' | '<' | '<='
 *   number := digits ['.' digits]   plain decimal, as every numeric flag (cli/args.ts)
 *   value  := [+|-] number '%'      relative change, delta % = (new - base) / base * 100
 *           | (+|-) number [unit]    absolute change, new - base
 *           |       number [unit]    the new value itself
 *   unit   := ns | us | ms | s               (metrics ending in _ns)
 *           | B | KiB | MiB | GiB            (metrics ending in _bytes)
 *           | none                            (counts; also allowed for _ns/_bytes: base unit)
 *
 * Without [group] a rule applies to every group shown (above the noise
 * guard); with [group] only to that group (evaluated even below the guard).
 */
import { UsageError } from '../formats/errors.js';
import { metricDef, unknownMetricHint, type Unit } from './metrics.js';

/** A --fail-on rule that cannot be parsed or names an unknown metric (exit 2). */
export class RuleError extends UsageError {
  constructor(code: 'E_RULE_SYNTAX' | 'E_RULE_METRIC' | 'E_RULE_UNIT' | 'E_RULE_EMPTY', message: string) {
    super(message, code);
    this.name = 'RuleError';
  }
}

export type Op = '>' | '>=' | '<' | '<=';
export type Mode = 'relative' | 'delta' | 'value';

export interface Rule {
  text: string;
  metric: string;
  group: string | null;
  op: Op;
  mode: Mode;
  /** percent for relative; base units (ns, bytes, count) otherwise */
  threshold: number;
  unit: Unit;
}

const UNIT_SCALE: Record<Unit, Record<string, number>> = {
  ns: { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 },
  bytes: { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 },
  count: {},
};

const RULE_RE = /^\s*([A-Za-z0-9_.]+)\s*(?:\[([^\]]+)\])?\s*(>=|<=|>|<)\s*([+-])?\s*(\d+(?:\.\d+)?)\s*(%|[A-Za-zµ]+)?\s*$/;

const HELP = "write METRIC[GROUP]OP VALUE, e.g. 'cpu_ns>+10%', 'sched_latency_p99_ns>=2ms', 'syscall.read.count[nginx]<-5%' (see ktape compare --help)";

/** Split on commas that are not inside [group]. */
function splitRules(spec: string): string[] {
  const out: string[] = [];
  let depth = 0,
    cur = '';
  for (const ch of spec) {
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseRule(text: string): Rule {
  const t = text.trim();
  if (t === '') throw new RuleError('E_RULE_EMPTY', `--fail-on: empty rule (a stray comma?); ${HELP}`);
  const m = RULE_RE.exec(t);
  if (!m) {
    let why = 'not of the form METRIC[GROUP]OP VALUE';
    const bad = /(>>|<<|=>|=<|==|!=|<>|>=\s*=|<=\s*=|(?<![<>])=)/.exec(t);
    if (bad) why = `unsupported operator '${bad[1]}' (use >, >=, < or <=)`;
    else if (!/(>=|<=|>|<)/.test(t)) why = `no comparison operator (use >, >=, < or <=)`;
    else if (!/^\s*[A-Za-z0-9_.]+\s*(\[[^\]]+\])?\s*(>=|<=|>|<)/.test(t)) why = 'the metric name must be letters, digits, _ and . (with an optional [GROUP])';
    else if (/(>=|<=|>|<)\s*$/.test(t)) why = 'missing threshold value after the operator';
    else if (/\d\s*%\s*\S/.test(t) || /(>=|<=|>|<)\s*[+-]?\s*[^\d.+\s-]/.test(t)) why = 'the threshold is not a number with an optional % or unit';
    throw new RuleError('E_RULE_SYNTAX', `--fail-on rule '${t}': ${why}; ${HELP}`);
  }
  const [, metric, group, op, sign, numText, suffix] = m;
  const def = metricDef(metric);
  if (!def) throw new RuleError('E_RULE_METRIC', `--fail-on rule '${t}': unknown metric '${metric}'; ${unknownMetricHint(metric)}`);
  let value = Number(numText);
  if (!Number.isFinite(value)) throw new RuleError('E_RULE_SYNTAX', `--fail-on rule '${t}': '${numText}' is not a finite number; ${HELP}`);
  if (sign === '-') value = -value;
  let mode: Mode;
  if (suffix === '%') {
    mode = 'relative';
  } else {
    mode = sign ? 'delta' : 'value';
    if (suffix !== undefined) {
      const scale = UNIT_SCALE[def.unit][suffix];
      if (scale === undefined) {
        const allowed = Object.keys(UNIT_SCALE[def.unit]);
        const fix = allowed.length ? `use ${allowed.join(', ')} or a plain number of ${def.unit}` : 'it is a count: use a plain number or %';
        throw new RuleError('E_RULE_UNIT', `--fail-on rule '${t}': unit '${suffix}' does not fit ${metric} (${def.unit}); ${fix}`);
      }
      value *= scale;
    }
  }
  return { text: t, metric, group: group?.trim() ?? null, op: op as Op, mode, threshold: value, unit: def.unit };
}

export function parseRules(specs: string[]): Rule[] {
  const out: Rule[] = [];
  for (const spec of specs) for (const r of splitRules(spec)) out.push(parseRule(r));
  return out;
}

export function compareOp(x: number, op: Op, y: number): boolean {
  switch (op) {
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
  }
}

/** The quantity a rule looks at: delta %, delta, or the new value. */
export function observed(rule: Rule, row: { base: number | null; new: number | null; delta: number | null; delta_pct: number | null }): number | null {
  switch (rule.mode) {
    case 'relative': {
      if (row.delta_pct !== null) return row.delta_pct;
      // appeared (base 0 or missing): an infinite increase; disappeared handled by delta_pct = -100
      const b = row.base ?? 0,
        n = row.new ?? 0;
      if (b === 0 && n > 0) return Infinity;
      if (b === 0 && n === 0) return 0;
      return null;
    }
    case 'delta':
      return (row.new ?? 0) - (row.base ?? 0);
    case 'value':
      return row.new;
  }
}
