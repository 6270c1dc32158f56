/**
 * The HTML report's figures for the bench (issue 15): the size of the page and the time to its first drawn
 * screen in Debian's chromium (playwright-core, headless): from navigation to the first animation frame
 * after the page script marked everything drawn. Prints figures; never asserts.
 */
import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface PageFigures {
  html_bytes: number;
  /** median over the reps, ms; null without a browser */
  first_screen_ms: number | null;
  first_screen_runs_ms: number[];
  browser: string | null;
}

const CHROMIUM = '/usr/bin/chromium';

export async function pageFigures(file: string, reps: number): Promise<PageFigures> {
  const html_bytes = statSync(file).size;
  if (!existsSync(CHROMIUM)) return { html_bytes, first_screen_ms: null, first_screen_runs_ms: [], browser: null };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const version = browser.version();
  const runs: number[] = [];
  try {
    for (let i = 0; i < reps; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const t0 = performance.now();
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-drawn="true"]', { timeout: 120_000 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
      runs.push(performance.now() - t0);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { html_bytes, first_screen_ms: sorted[Math.floor(sorted.length / 2)], first_screen_runs_ms: runs, browser: version };
}
