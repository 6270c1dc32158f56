/**
 * ktape report of a fresh recording with the families no fixture has (signal, tcp, net): their sections are
 * drawn in a real browser and their figures are the workload's own (a shell that sends itself SIGUSR1 twice,
 * ignored; 8 TCP connections between two private network namespaces, counted by the kernel's Tcp.ActiveOpens).
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, drawnBlocks, launch, open, screenshot } from '../browser.js';
import { netnsPair } from '../../families/tcp/test/netns.js';
import { ktape, privilegedSkipReason, tmp, WORKLOAD } from '../helpers.js';

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

describe.skipIf(skip)('ktape report of a recording with tcp and net', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const column = (page: import('playwright-core').Page, section: string, title: string, key: string) =>
    page.$$eval(
      `#${section} .block[data-kind="table"]`,
      (bs, [t, k]) => {
        const b = bs.find((x) => x.querySelector('h3')?.textContent?.startsWith(t))!;
        return [...b.querySelectorAll(`td[data-key="${k}"]`)].map((td) => {
          const v = (td as HTMLElement).dataset.value;
          return v === undefined ? null : Number(v);
        });
      },
      [title, key],
    );

  it("the tcp and net sections: the client's 8 connections, connect latency drawn, the figures those of analyze --json", async () => {
    const ns = netnsPair('html');
    try {
      const dir = tmp('ktape-html-tcp-');
      const cap = join(dir, 'cap');
      const opens0 = ns.counters(ns.client)['Tcp.ActiveOpens'];
      const rec = ktape(['record', '-q', '-o', cap, '--events', 'tcp,net,task', '--', WORKLOAD, 'tcp', ns.server, ns.client, ns.serverAddr, '5002', '8'], {
        timeout: 120_000,
      });
      expect(rec.status, rec.stderr).toBe(0);
      expect(ns.counters(ns.client)['Tcp.ActiveOpens'] - opens0).toBe(8);
      const file = join(dir, 'r.html');
      const r = ktape(['report', cap, '-o', file], { timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const { page, errors, requests } = await open(browser, file);
      await screenshot(page, 'tcp-net');
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      const json = (name: string) => JSON.parse(ktape(['analyze', cap, name, '--json']).stdout);
      const tcp = json('tcp');
      const active = await column(page, 'tcp', 'Per process', 'active');
      expect(active).toEqual(tcp.by_process.map((x: any) => x.active));
      expect(active.reduce((a, b) => a! + b!, 0)).toBe(8);
      expect(await column(page, 'tcp', 'Per process', 'connect_p99_ns')).toEqual(tcp.by_process.map((x: any) => x.connect_p99_ns));
      const net = json('net');
      expect(await column(page, 'net', 'Per device', 'tx_packets')).toEqual(net.by_device.map((x: any) => x.tx_packets));
      expect(await column(page, 'net', 'Per device', 'rx_bytes')).toEqual(net.by_device.map((x: any) => x.rx_bytes));
      const blocks = await drawnBlocks(page);
      for (const b of blocks) expect(b.drawn || b.empty, b.title).toBe(true);
      expect(blocks.find((b) => b.title.startsWith('Connect latency (SYN_SENT'))?.drawn).toBe(true);
      expect(blocks.find((b) => b.title.startsWith('Bytes per device'))?.drawn).toBe(true);
      await page.close();
      // compare --html of the capture with itself: the 8 connect latencies and the transmit latencies overlaid
      const diff = join(dir, 'diff.html');
      const c = ktape(['compare', cap, cap, '--html', diff], { timeout: 120_000 });
      expect(c.status, c.stderr).toBe(0);
      const cmp = await open(browser, diff);
      expect(cmp.errors).toEqual([]);
      expect(cmp.requests).toEqual([]);
      const sums = await cmp.page.evaluate(() => {
        const data = JSON.parse(document.getElementById('ktape-data')!.textContent!);
        const blocks = data.sections.find((s: any) => s.id === 'distributions').blocks;
        return Object.fromEntries(blocks.map((b: any) => [b.title, b.series.map((x: any) => x.values.reduce((a: number, v: number) => a + v, 0))]));
      });
      const of = (prefix: string) => Object.entries(sums).find(([t]) => t.startsWith(prefix))?.[1];
      expect(of('tcp connect latency')).toEqual([8, 8]);
      const tx = net.by_device.reduce((a: number, x: any) => a + Number(x.timed ?? 0), 0);
      expect(of('net transmit latency')).toEqual([tx, tx]);
      const drawn = await drawnBlocks(cmp.page);
      for (const t of ['tcp connect latency', 'net transmit latency']) expect(drawn.find((b) => b.title.startsWith(t))?.drawn, t).toBe(true);
      await cmp.page.close();
    } finally {
      ns.cleanup();
    }
  });
});
