/**
 * A real browser for the HTML pages: Debian's chromium (scripts/setup.sh installs it) driven by
 * playwright-core, and Debian's firefox-esr driven by puppeteer-core (below). Like the privileged tests, these RUN in CI: under CI=true a missing chromium is a
 * failure; elsewhere they skip and say why.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import puppeteer, { type Browser as PBrowser, type Page as PPage } from 'puppeteer-core';
import { ROOT } from './helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
/** screenshots of the pages the tests opened (gitignored) */
export const ARTIFACTS = join(ROOT, 'test', 'artifacts', 'html');

export function browserSkipReason(): string | null {
  const why = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium; scripts/setup.sh does)`;
  if (why && process.env.CI === 'true') throw new Error(`CI=true but the browser tests cannot run: ${why}`);
  if (why) console.warn(`[skip] browser test skipped: ${why}`);
  return why;
}

export function launch(): Promise<Browser> {
  // as root chromium refuses to start with its sandbox
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

export interface Opened {
  page: Page;
  /** console errors and uncaught exceptions */
  errors: string[];
  /** every request the page made besides loading its own file */
  requests: string[];
}

/** a page's `on` (playwright's and puppeteer's take the same events with the same methods) */
type Listen = (event: 'console' | 'pageerror' | 'request', f: (x: any) => void) => unknown;

/** console errors, uncaught exceptions, and every request besides the page's own file (data: URLs are no network: Firefox loads its own fonts so) */
function watch(on: Listen, url: string): { errors: string[]; requests: string[] } {
  const errors: string[] = [];
  const requests: string[] = [];
  on('console', (m: { type(): string; text(): string }) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  on('pageerror', (e: Error) => errors.push(String(e)));
  on('request', (r: { url(): string }) => {
    if (r.url() !== url && !r.url().startsWith('data:')) requests.push(r.url());
  });
  return { errors, requests };
}

/** open an HTML file and wait until the page script says it has drawn everything */
export async function open(browser: Browser, file: string): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const url = pathToFileURL(file).href;
  const { errors, requests } = watch(page.on.bind(page) as Listen, url);
  await page.goto(url);
  await page.waitForSelector('body[data-drawn="true"]', { timeout: 20_000 });
  return { page, errors, requests };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** run in the page over its `.block` elements: whether each chart has drawn (a canvas with non-background pixels, or an svg with marks) */
function blocksDrawn(blocks: Element[]): DrawnBlock[] {
  return blocks.map((b) => {
    const kind = (b as HTMLElement).dataset.kind!;
    const title = b.querySelector('h3')?.textContent ?? '';
    const empty = !!b.querySelector('p.note');
    let drawn = false;
    if (kind === 'table') drawn = !!b.querySelector('table');
    else if (kind === 'icicle') drawn = b.querySelectorAll('svg rect').length > 0;
    else
      drawn = [...b.querySelectorAll('canvas')].some((c) => {
        const ctx = (c as HTMLCanvasElement).getContext('2d');
        if (!ctx || !c.width || !c.height) return false;
        const px = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
        return false;
      });
    return { kind, title, drawn, empty };
  });
}

export interface DrawnBlock {
  kind: string;
  title: string;
  drawn: boolean;
  empty: boolean;
}

/** blocks whose chart has drawn: a canvas with non-background pixels, or an svg with marks */
export function drawnBlocks(page: Page): Promise<DrawnBlock[]> {
  return page.$$eval('.block', blocksDrawn);
}

/**
 * Firefox: Debian's firefox-esr (scripts/setup.sh installs it) driven by puppeteer-core over WebDriver BiDi,
 * the W3C protocol that stock Firefox speaks itself (playwright's Firefox needs its own patched build, which
 * only playwright's download server has). Like chromium: under CI=true a missing firefox-esr is a failure.
 */
export const FIREFOX = '/usr/bin/firefox-esr';

export function firefoxSkipReason(): string | null {
  const why = existsSync(FIREFOX) ? null : `${FIREFOX} is missing (apt-get install firefox-esr; scripts/setup.sh does)`;
  if (why && process.env.CI === 'true') throw new Error(`CI=true but the Firefox tests cannot run: ${why}`);
  if (why) console.warn(`[skip] Firefox test skipped: ${why}`);
  return why;
}

export function launchFirefox(): Promise<PBrowser> {
  return puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
}

export interface FirefoxOpened {
  page: PPage;
  /** console errors and uncaught exceptions */
  errors: string[];
  /** every request the page made besides loading its own file */
  requests: string[];
}

/** open an HTML file in Firefox and wait until the page script says it has drawn everything */
export async function openFirefox(browser: PBrowser, file: string): Promise<FirefoxOpened> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const url = pathToFileURL(file).href;
  const { errors, requests } = watch(page.on.bind(page) as Listen, url);
  await page.goto(url);
  await page.waitForSelector('body[data-drawn="true"]', { timeout: 60_000 });
  return { page, errors, requests };
}

export const drawnBlocksFirefox = (page: PPage): Promise<DrawnBlock[]> => page.$$eval('.block', blocksDrawn);
