/**
 * ktape report of a fresh recording with the families no fixture has (signal): its section is drawn in a
 * real browser and its figures are the workload's own (a shell that sends itself SIGUSR1 twice, ignored).
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, drawnBlocks, launch, open, screenshot } from '../browser.js';
import { ktape, privilegedSkipReason, tmp } from '../helpers.js';

const skip = privilegedSkipReason() ?? browserSkipReason();

describe.skipIf(skip)('ktape report of a recording with signals', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the signals section shows the two SIGUSR1 the workload sent, ignored', async () => {
    const dir = tmp('ktape-html-priv-');
    const cap = join(dir, 'cap');
    const rec = ktape(['record', '-q', '-o', cap, '--events', 'signal,task,sched', '--', 'sh', '-c', 'trap "" USR1; kill -USR1 $$; kill -USR1 $$; sleep 0.1'], {
      timeout: 120_000,
    });
    expect(rec.status, rec.stderr).toBe(0);
    const file = join(dir, 'r.html');
    const r = ktape(['report', cap, '-o', file], { timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const { page, errors, requests } = await open(browser, file);
    await screenshot(page, 'signals');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const rows = await page.$$eval('#signals .block[data-kind="table"]', (bs) => {
      const b = bs.find((x) => x.querySelector('h3')?.textContent?.startsWith('Signals generated, by result'))!;
      return [...b.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.key, td.textContent])));
    });
    expect(rows.find((x) => x.signal === 'SIGUSR1')).toMatchObject({ count: '2', ignored: '2' });
    for (const b of await drawnBlocks(page)) expect(b.drawn || b.empty, b.title).toBe(true);
    await page.close();
  });
});
