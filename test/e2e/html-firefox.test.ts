/**
 * `ktape report` and `ktape compare --html` pages in Firefox (Debian's firefox-esr over WebDriver BiDi,
 * test/browser.ts): the checks of the chromium test (html-report.test.ts) that concern the browser: no
 * console errors, no requests, every section there and every chart drawn. Under CI=true a missing
 * firefox-esr is a failure.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, drawnBlocksFirefox, firefoxSkipReason, launchFirefox, openFirefox } from '../browser.js';
import { FIXTURES, ktape, tmp } from '../helpers.js';

const skip = firefoxSkipReason();
const out = tmp('ktape-html-ff-');

/** run the command that writes `file` (its last argument); `status`: its expected exit status */
function write(args: string[], file: string, status: number): string {
  const r = ktape([...args, file], { timeout: 120_000 });
  expect(r.status, r.stderr).toBe(status);
  return file;
}

describe.skipIf(skip)('the HTML pages in Firefox', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchFirefox();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const cmp = ['compare', join(FIXTURES, 'cmp-base'), join(FIXTURES, 'cmp-new'), '--fail-on', 'cpu_ns>+10%', '--html'];
  const pages: [name: string, args: string[], status: number, sections: string[]][] = [
    ['demo', ['report', join(FIXTURES, 'demo'), '-o'], 0, ['tasks', 'cpu-timeline', 'cpu-usage', 'runqueue-latency', 'offcpu', 'syscalls', 'leaks']],
    ['leak', ['report', join(FIXTURES, 'leak'), '-o'], 0, ['tasks', 'cpu-timeline', 'leaks']],
    ['compare', cmp, 1, ['rules', 'changes', 'distributions']],
    ['compare-kmem', ['compare', join(FIXTURES, 'demo'), join(FIXTURES, 'tiny'), '--html'], 0, ['allocation-diff']],
  ];
  for (const [name, args, status, sections] of pages) {
    it(`${name}: loads with no errors and no requests, its sections there, every chart drawn`, async () => {
      const file = write(args, join(out, `${name}.html`), status);
      const { page, errors, requests } = await openFirefox(browser, file);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `firefox-${name}.png`) as `${string}.png`, fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      const ids = await page.$$eval('section', (s) => s.map((x) => x.id));
      for (const s of sections) expect(ids).toContain(s);
      const blocks = await drawnBlocksFirefox(page);
      for (const b of blocks) expect(b.drawn || b.empty, `${b.kind}: ${b.title}`).toBe(true);
      expect(blocks.filter((b) => b.kind !== 'table' && b.drawn).length).toBeGreaterThan(0);
      await page.close();
    });
  }
});
