/**
 * `ktape report` and `ktape compare --html` through the built CLI, each page opened in a real browser
 * (test/browser.ts): no console errors, no requests, every expected section drawn, figures equal to
 * `ktape analyze --json` of the same capture, hover and zoom working, hostile names shown as text.
 */
import { cpSync, existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, drawnBlocks, launch, open, screenshot } from '../browser.js';
import { FIXTURES, ktape, tmp } from '../helpers.js';

const skip = browserSkipReason();
const out = tmp('ktape-html-');

/** the sections each family draws (families/<family>/html.ts) */
const SECTIONS: Record<string, string[]> = {
  task: ['tasks'],
  sched: ['cpu-timeline', 'cpu-usage', 'runqueue-latency', 'offcpu'],
  syscall: ['syscalls'],
  kmem: ['leaks'],
  signal: ['signals'],
  io: ['io'],
  fault: ['faults'],
  cache: ['cache'],
  tcp: ['tcp'],
  net: ['net'],
  files: ['files'],
};

function report(cap: string, name: string): { file: string; stderr: string } {
  const file = join(out, `${name}.html`);
  const r = ktape(['report', cap, '-o', file], { timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return { file, stderr: r.stderr };
}

const analyzeJson = (cap: string, ...args: string[]) => {
  const r = ktape(['analyze', cap, ...args, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

/** numbers (data-value) of one column of the table block titled `title` */
async function column(page: import('playwright-core').Page, section: string, title: RegExp, key: string): Promise<number[]> {
  const blocks = await page.$$(`#${section} .block[data-kind="table"]`);
  for (const b of blocks) {
    const t = await b.$eval('h3', (h) => h.textContent ?? '');
    if (title.test(t)) return b.$$eval(`td[data-key="${key}"]`, (tds) => tds.map((td) => Number((td as HTMLElement).dataset.value)));
  }
  throw new Error(`no table ${title} in #${section}`);
}

describe('ktape report and compare --html: bad output paths', () => {
  const refused = (args: string[], pattern: RegExp) => {
    const r = ktape(args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  };
  it('a missing directory, a symbolic link, no -o: one line naming the flag, exit 2, nothing written', () => {
    const tiny = join(FIXTURES, 'tiny');
    refused(['report', tiny, '-o', join(out, 'no', 'such', 'r.html')], /^ktape: -o .*r\.html: directory .* does not exist/);
    const link = join(out, 'link.html');
    symlinkSync(join(out, 'target.html'), link);
    refused(['report', tiny, '-o', link], /^ktape: -o .*link\.html: is a symbolic link/);
    expect(existsSync(join(out, 'target.html'))).toBe(false);
    refused(['report', tiny], /^ktape: required option '-o, --output <file>' not specified/);
    refused(['compare', tiny, tiny, '--html', link], /^ktape: --html .*link\.html: is a symbolic link/);
    refused(['report', join(out, 'nothing'), '-o', join(out, 'r.html')], /^ktape: .*nothing: no such capture directory/);
  });
});

describe.skipIf(skip)('ktape report in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const fixture of ['tiny', 'demo', 'leak', 'io', 'waits', 'cmp-base', 'fault', 'cache', 'files', 'exit-acct']) {
    it(`${fixture}: loads with no errors and no requests, every recorded family's sections drawn, the others one line each`, async () => {
      const { file, stderr } = report(join(FIXTURES, fixture), fixture);
      expect(stderr).toMatch(/^wrote .*\.html \(\d/);
      expect(stderr).toMatch(/open .*file:\/\//);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const { page, errors, requests } = await open(browser, file);
      await screenshot(page, fixture);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      const events: string[] = JSON.parse(readFileSync(join(FIXTURES, fixture, 'manifest.json'), 'utf8')).options.events;
      const ids = await page.$$eval('section', (s) => s.map((x) => x.id));
      const notes = await page.$$eval('#notes li', (l) => l.map((x) => x.textContent));
      for (const [family, sections] of Object.entries(SECTIONS)) {
        if (events.includes(family)) for (const s of sections) expect(ids, family).toContain(s);
        else {
          for (const s of sections) expect(ids, family).not.toContain(s);
          expect(notes).toContain(`this capture has no ${family} events: record with --events ${family}`);
        }
      }
      const blocks = await drawnBlocks(page);
      for (const b of blocks) expect(b.drawn || b.empty, `${b.kind}: ${b.title}`).toBe(true);
      // every chart of a family with events drew something (the fixtures all have events in each)
      expect(blocks.filter((b) => b.kind !== 'table' && b.drawn).length).toBeGreaterThan(0);
      await page.close();
    });
  }

  it('tiny: the figures are those of ktape analyze --json (cpu by thread, syscalls, sched-latency)', async () => {
    const cap = join(FIXTURES, 'tiny');
    const { page } = await open(browser, report(cap, 'tiny-figures').file);
    const cpu = analyzeJson(cap, 'cpu');
    expect(await column(page, 'cpu-usage', /^CPU time by thread/, 'cpu_ns')).toEqual(cpu.tasks.map((r: any) => r.cpu_ns));
    expect(await column(page, 'cpu-usage', /^CPU time by thread/, 'tid')).toEqual(cpu.tasks.map((r: any) => r.tid));
    const byProc = analyzeJson(cap, 'cpu', '--by', 'process');
    expect(await column(page, 'cpu-usage', /^CPU time by process/, 'cpu_ns')).toEqual(byProc.tasks.map((r: any) => r.cpu_ns));
    const sys = analyzeJson(cap, 'syscalls');
    expect(await column(page, 'syscalls', /^Syscalls, each/, 'count')).toEqual(sys.by_syscall.map((r: any) => r.count));
    expect(await column(page, 'syscalls', /^Processes, each/, 'total_ns')).toEqual(sys.by_process.map((r: any) => r.total_ns));
    const lat = analyzeJson(cap, 'sched-latency');
    expect(await column(page, 'runqueue-latency', /^Wakeup → running/, 'p99_ns')).toEqual(lat.tasks.map((r: any) => r.p99_ns));
    const off = analyzeJson(cap, 'offcpu');
    expect(await column(page, 'offcpu', /^Off-CPU time per thread/, 'offcpu_ns')).toEqual(off.tasks.map((r: any) => r.offcpu_ns));
    await page.close();
  });

  it('fault, cache, files, exit-acct: the figures are those of ktape analyze --json', async () => {
    const cases: [fixture: string, report: string, json: string, section: string, title: RegExp, keys: string[]][] = [
      ['fault', 'faults', 'by_process', 'faults', /^Page faults per process/, ['tgid', 'minor', 'major', 'counted_min']],
      ['fault', 'faults', 'by_file', 'faults', /^Top files of faults/, ['faults', 'pages']],
      ['cache', 'cache', 'by_process', 'cache', /^Page cache per process/, ['tgid', 'read_hits', 'read_misses', 'dirtied']],
      ['cache', 'cache', 'by_file', 'cache', /^Per process and file/, ['ino', 'read_hits', 'write_hits']],
      ['files', 'files', 'opens', 'files', /^Paths opened/, ['tgid', 'count', 'errors']],
      ['files', 'files', 'errors', 'files', /^Errors of path syscalls/, ['tgid', 'errno', 'count']],
      ['exit-acct', 'tasks', 'exit_accounting', 'tasks', /^Threads at exit/, ['nvcsw', 'nivcsw', 'min_flt', 'runtime_ns']],
      ['exit-acct', 'tasks', 'process_accounting', 'tasks', /^Processes at their last/, ['min_flt', 'maxrss_bytes']],
    ];
    const files = new Map<string, string>();
    for (const [fixture, name, json, section, title, keys] of cases) {
      const cap = join(FIXTURES, fixture);
      if (!files.has(fixture)) files.set(fixture, report(cap, `${fixture}-figures`).file);
      const { page } = await open(browser, files.get(fixture)!);
      const rows: any[] = analyzeJson(cap, name)[json];
      expect(rows.length, `${fixture} ${json}`).toBeGreaterThan(0);
      for (const k of keys) expect(await column(page, section, title, k), `${fixture} ${json}.${k}`).toEqual(rows.map((r) => r[k]));
      await page.close();
    }
    // eight pages and eight analyze runs one after the other: a hang guard, not a speed limit
  }, 360_000);

  it('tiny: hovering a CPU-timeline slice shows the thread name and tid of a thread that ran there', async () => {
    const cap = join(FIXTURES, 'tiny');
    const { page } = await open(browser, report(cap, 'tiny-hover').file);
    const chart = (await page.$('#cpu-timeline .chart'))!;
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    // grid: 160 px left, 10 px top, 60 px bottom (html/client/page.ts); the first lane is CPU 0
    const laneH = (box.height - 70) / 2;
    await page.mouse.move(box.x + 160 + (box.width - 180) * 0.25, box.y + 10 + laneH / 2);
    const tip = await page.waitForFunction(
      () => {
        const m = document.querySelector('#cpu-timeline .chart')?.textContent?.match(/(.+?) \(tid (\d+)\)/);
        return m ? [m[1], m[2]] : null;
      },
      undefined,
      { timeout: 5000 },
    );
    const [comm, tid] = (await tip.jsonValue()) as [string, string];
    const r = ktape(['query', cap, `SELECT comm FROM threads WHERE tid = ${Number(tid)}`, '--json']);
    expect(JSON.parse(r.stdout)[0].comm).toBe(comm);
    const ran = ktape(['query', cap, `SELECT count(*) AS n FROM sched_slices WHERE tid = ${Number(tid)} AND cpu = 0`, '--json']);
    expect(JSON.parse(ran.stdout)[0].n).toBeGreaterThan(0);
    await page.close();
  });

  it('leak: the leak stacks are an icicle whose frames zoom on click, the table is the leaks report, the kernel gaps and the missing switches are in the banner', async () => {
    const cap = join(FIXTURES, 'leak');
    const { page } = await open(browser, report(cap, 'leak-zoom').file);
    const leaks = analyzeJson(cap, 'leaks');
    expect(await column(page, 'leaks', /^Outstanding allocations/, 'bytes')).toEqual(leaks.stacks.map((r: any) => r.bytes));
    const banner = await page.$eval('#banner', (b) => b.textContent ?? '');
    expect(banner).toMatch(/sched_switch events context switches the kernel did not report/);
    // the summary's "switches missing" warning, word for word as `ktape analyze CAP` prints it
    const summary = ktape(['analyze', cap]);
    const warning = /^WARNING: (.*\(switches missing\).*)$/m.exec(summary.stdout);
    expect(warning, summary.stdout).not.toBeNull();
    expect(banner).toContain(warning![1]);
    // a frame at depth 2 narrower than the whole graph: after a click it spans the width of the root
    const frames = await page.$$('#leaks svg g.frame');
    const widths = await Promise.all(frames.map((f) => f.$eval('rect', (r) => Number(r.getAttribute('width')))));
    const rootW = Math.max(...widths);
    const k = widths.findIndex((w) => w > 40 && w < rootW * 0.9);
    expect(k).toBeGreaterThanOrEqual(0);
    const label = await frames[k].$eval('title', (t) => t.textContent);
    await frames[k].click();
    await page.waitForFunction(
      ([name, w]) =>
        [...document.querySelectorAll('#leaks svg g.frame')].some(
          (g) => g.querySelector('title')?.textContent === name && Number(g.querySelector('rect')?.getAttribute('width')) >= (w as number) - 1,
        ),
      [label, rootW],
      { timeout: 5000 },
    );
    await page.close();
  });

  it('a capture whose names are markup shows them as text: nothing injected runs, no element is made of them', async () => {
    const hostile = '</script><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const cap = join(out, 'hostile');
    cpSync(join(FIXTURES, 'tiny'), cap, { recursive: true });
    for (const t of ['task_rename', 'task_newtask', 'task_exec', 'process_snapshot']) {
      const path = join(cap, `${t}.0000.arrows`);
      let tb = tableFromIPC(readFileSync(path));
      for (const f of tb.schema.fields)
        if (f.type instanceof Utf8) {
          const v = tb.getChild(f.name)!;
          tb = tb.setChild(
            f.name,
            vectorFromArray(
              Array.from({ length: tb.numRows }, (_, i) => `${hostile}${v.get(i) ?? ''}`),
              new Utf8(),
            ),
          );
        }
      writeFileSync(path, tableToIPC(tb, 'stream'));
    }
    const { file } = report(cap, 'hostile');
    const html = readFileSync(file, 'utf8');
    expect(html).not.toContain('<img');
    const { page, errors, requests } = await open(browser, file);
    await screenshot(page, 'hostile');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(await page.$$eval('img', (x) => x.length)).toBe(0);
    expect(await page.$$eval('script', (x) => x.length)).toBe(2);
    // the names are there, as text
    expect(await page.$eval('#cpu-usage', (s) => s.textContent)).toContain(hostile);
    await page.close();
  });
});

describe.skipIf(skip)('ktape compare --html in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('cmp-base → cmp-new: the breached rule is shown breached, the passing one ok, with the distributions overlaid', async () => {
    const file = join(out, 'cmp.html');
    const r = ktape(['compare', join(FIXTURES, 'cmp-base'), join(FIXTURES, 'cmp-new'), '--fail-on', 'cpu_ns>+10%,syscall_count>+1000%', '--html', file]);
    expect(r.status, r.stderr).toBe(1);
    const { page, errors, requests } = await open(browser, file);
    await screenshot(page, 'compare');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const rows = await page.$$eval('#rules tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.filter((x) => x[0] === 'cpu_ns>+10%').map((x) => x[1])).toContain('BREACHED');
    expect(rows.filter((x) => x[0] === 'syscall_count>+1000%').map((x) => x[1])).toEqual(['ok']);
    expect(await page.$eval('#banner', (b) => b.textContent)).toMatch(/1 of 2 --fail-on rules breached: cpu_ns>\+10%/);
    const json = JSON.parse(ktape(['compare', join(FIXTURES, 'cmp-base'), join(FIXTURES, 'cmp-new'), '--json']).stdout);
    const first = json.rows.find((x: any) => x.change !== 'unchanged');
    const changes = await page.$$eval('#changes tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(changes[0].slice(1, 3)).toEqual([first.group, first.metric]);
    const blocks = await drawnBlocks(page);
    expect(blocks.filter((b) => b.kind === 'bars' && b.drawn).map((b) => b.title)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^run-queue/), expect.stringMatching(/^syscall latency/)]),
    );
    // no kmem in these captures: one line says how to get the allocation diff
    expect(await page.$eval('#notes', (n) => n.textContent)).toMatch(/no allocation stacks in both captures: record both with --events including kmem/);
    await page.close();
  });

  it('files → files: the open latency of both overlaid, as many opens as ktape analyze files counts', async () => {
    const cap = join(FIXTURES, 'files');
    const file = join(out, 'cmp-files.html');
    const r = ktape(['compare', cap, cap, '--html', file]);
    expect(r.status, r.stderr).toBe(0);
    const { page, errors, requests } = await open(browser, file);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const opens = analyzeJson(cap, 'files', '--top', '100000').opens.reduce((a: number, x: any) => a + x.count, 0);
    expect(opens).toBeGreaterThanOrEqual(10); // the workload's own 10 opens (files.workload.json)
    const sums = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById('ktape-data')!.textContent!);
      const blocks = data.sections.find((s: any) => s.id === 'distributions').blocks;
      const b = blocks.find((x: any) => x.title.startsWith('files open latency'));
      return b.series.map((x: any) => x.values.reduce((a: number, v: number) => a + v, 0));
    });
    expect(sums).toEqual([opens, opens]);
    expect((await drawnBlocks(page)).find((b) => b.title.startsWith('files open latency'))?.drawn).toBe(true);
    await page.close();
  });

  it('demo → tiny: the allocation stacks are a differential flame graph (red grew, blue shrank)', async () => {
    const file = join(out, 'cmp-kmem.html');
    const r = ktape(['compare', join(FIXTURES, 'demo'), join(FIXTURES, 'tiny'), '--html', file]);
    expect(r.status, r.stderr).toBe(0);
    const { page, errors } = await open(browser, file);
    expect(errors).toEqual([]);
    const fills = await page.$$eval('#allocation-diff svg g.frame rect', (rs) => rs.map((x) => getComputedStyle(x).fill));
    expect(fills.length).toBeGreaterThan(10);
    // differentialColorMapper: grew = rgb(220, g, g) with g < 220, shrank = rgb(r, r, 220) with r < 220
    expect(fills.some((f) => /^rgb\(220, (\d+), \1\)$/.test(f) && !f.startsWith('rgb(220, 220'))).toBe(true);
    expect(fills.some((f) => /^rgb\((\d+), \1, 220\)$/.test(f) && !f.startsWith('rgb(220, 220'))).toBe(true);
    await page.close();
  });
});
