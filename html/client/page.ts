/**
 * The page's script (bundled by scripts/bundle-page.mjs into dist/html/client.js and inlined by html/page.ts):
 * reads the data block (JSON, aggregated in SQL by the families' html.ts) and draws each block with its
 * library: ECharts for timelines, bars and heat maps, d3-flame-graph for icicles. Every string from the
 * capture is set as text (textContent, d3's .text, ECharts' encodeHTML in tooltips), never as markup.
 */
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, HeatmapChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import flamegraph, { colorMapper } from 'd3-flame-graph';
import { select } from 'd3-selection';
import { fmtBytes, fmtNs } from '../../formats/units.js';
import type { FlameNode, HtmlBlock, HtmlSection } from '../../families/family.js';

echarts.use([BarChart, CustomChart, HeatmapChart, DataZoomComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

interface PageData {
  title: string;
  subtitle: string;
  start_ts: number;
  banner: string[];
  facts: { fact: string; value: string }[];
  sections: HtmlSection[];
  notes: string[];
}

const esc = echarts.format.encodeHTML;
let startTs = 0;
type Unit = 'ns' | 'bytes' | 'count' | 'pct' | 'ts' | 'text' | 'hex' | undefined;
const fmt = (v: unknown, unit: Unit): string => {
  if (v === null || v === undefined) return '-';
  if (typeof v !== 'number') return typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (unit === 'ns') return fmtNs(v);
  if (unit === 'bytes') return fmtBytes(v);
  if (unit === 'ts') return `+${fmtNs(v - startTs)}`;
  if (unit === 'pct') return `${v.toFixed(1)}%`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, parent: HTMLElement, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  parent.appendChild(e);
  return e;
}

function table(b: Extract<HtmlBlock, { kind: 'table' }>, box: HTMLElement): void {
  const t = el('table', box);
  const hr = el('tr', el('thead', t));
  for (const c of b.columns) el('th', hr, c.label ?? c.key);
  const body = el('tbody', t);
  for (const r of b.rows) {
    const tr = el('tr', body);
    for (const c of b.columns) {
      const td = el('td', tr, fmt(r[c.key], c.unit), typeof r[c.key] === 'number' ? 'num' : undefined);
      td.dataset.key = c.key;
      if (typeof r[c.key] === 'number') td.dataset.value = String(r[c.key]);
    }
  }
  if (!b.rows.length) el('p', box, '(none)', 'note');
}

/** a stable colour per name (a thread, a process) */
function colour(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360}, 60%, 55%)`;
}

function chartBox(box: HTMLElement, height: number): echarts.ECharts {
  const d = el('div', box, undefined, 'chart');
  d.style.height = `${height}px`;
  const c = echarts.init(d, undefined, { renderer: 'canvas' });
  window.addEventListener('resize', () => c.resize());
  return c;
}

const axisFmt = (unit: string) => (v: number) => (unit === 'ns' ? fmtNs(v) : unit === 'bytes' ? fmtBytes(v) : String(v));

function timeline(b: Extract<HtmlBlock, { kind: 'timeline' }>, box: HTMLElement): void {
  const c = chartBox(box, Math.max(160, 60 + 26 * b.lanes.length));
  const data = b.items.map((it, i) => ({ value: [it.lane, it.from_ns / 1e9, it.to_ns / 1e9, i], itemStyle: { color: colour(it.label) } }));
  c.setOption({
    animation: false,
    tooltip: { formatter: (p: any) => b.items[p.value[3]].tip.map(esc).join('<br>') },
    grid: { left: 160, right: 20, top: 10, bottom: 60 },
    dataZoom: [
      { type: 'slider', filterMode: 'weakFilter', showDataShadow: false, bottom: 10 },
      { type: 'inside', filterMode: 'weakFilter' },
    ],
    xAxis: { type: 'value', scale: true, axisLabel: { formatter: (v: number) => `${v.toFixed(3)}s` } },
    yAxis: { type: 'category', data: b.lanes, inverse: true },
    series: [
      {
        type: 'custom',
        encode: { x: [1, 2], y: 0 },
        data,
        renderItem: (params: any, api: any) => {
          const lane = api.value(0);
          const start = api.coord([api.value(1), lane]);
          const end = api.coord([api.value(2), lane]);
          const h = api.size([0, 1])[1] * 0.7;
          const shape = echarts.graphic.clipRectByRect(
            { x: start[0], y: start[1] - h / 2, width: Math.max(1, end[0] - start[0]), height: h },
            { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height },
          );
          return shape && { type: 'rect', transition: ['shape'], shape, style: api.style() };
        },
      },
    ],
  });
}

function bars(b: Extract<HtmlBlock, { kind: 'bars' }>, box: HTMLElement): void {
  const c = chartBox(box, b.horizontal ? Math.max(200, 60 + 22 * b.categories.length) : 280);
  const valueAxis = { type: 'value', axisLabel: { formatter: axisFmt(b.unit) } };
  const catAxis = { type: 'category', data: b.categories, inverse: !!b.horizontal, axisLabel: { width: 150, overflow: 'truncate' } };
  c.setOption({
    animation: false,
    legend: { show: b.series.length > 1, top: 0 },
    tooltip: { trigger: 'axis', valueFormatter: axisFmt(b.unit) },
    grid: { left: b.horizontal ? 170 : 60, right: 20, top: 30, bottom: 40 },
    xAxis: b.horizontal ? valueAxis : catAxis,
    yAxis: b.horizontal ? catAxis : valueAxis,
    series: b.series.map((s) => ({ type: 'bar', name: s.name, data: s.values, stack: b.stack ? 'all' : undefined, barGap: b.stack ? undefined : '-60%' })),
  });
}

function heatmap(b: Extract<HtmlBlock, { kind: 'heatmap' }>, box: HTMLElement): void {
  const c = chartBox(box, Math.max(220, 80 + 18 * b.y.length));
  const max = Math.max(1, ...b.cells.map((x) => x[2]));
  c.setOption({
    animation: false,
    tooltip: { formatter: (p: any) => `${esc(b.x[p.value[0]])}<br>${esc(b.y[p.value[1]])}: ${p.value[2]}` },
    grid: { left: 110, right: 20, top: 10, bottom: 70 },
    xAxis: { type: 'category', data: b.x },
    yAxis: { type: 'category', data: b.y },
    visualMap: { min: 0, max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120 },
    series: [{ type: 'heatmap', data: b.cells }],
  });
}

function icicle(b: Extract<HtmlBlock, { kind: 'icicle' }>, box: HTMLElement): void {
  const d = el('div', box, undefined, 'flame');
  const differential = hasDelta(b.root);
  const fg = flamegraph()
    .width(Math.max(600, box.clientWidth || 900))
    .cellHeight(18)
    .inverted(true)
    .transitionDuration(300)
    .minFrameSize(1)
    .setLabelHandler(
      (n: any) =>
        `${n.data.name}: ${b.unit === 'bytes' ? fmtBytes(n.value) : n.value}${differential ? ` (${n.data.delta >= 0 ? '+' : ''}${n.data.delta})` : ''}`,
    );
  if (differential) fg.setColorMapper(colorMapper.differentialColorMapper);
  select(d).datum(b.root).call(fg);
}

const hasDelta = (n: FlameNode): boolean => n.delta !== undefined;

const DRAW: Record<HtmlBlock['kind'], (b: any, box: HTMLElement) => void> = { table, timeline, bars, heatmap, icicle };

function section(s: HtmlSection, main: HTMLElement): void {
  const sec = el('section', main);
  sec.id = s.id;
  el('h2', sec, s.title);
  for (const b of s.blocks) {
    const box = el('div', sec, undefined, `block ${b.kind}`);
    box.dataset.kind = b.kind;
    el('h3', box, b.title);
    if (b.kind !== 'table' && isEmpty(b)) el('p', box, '(no samples)', 'note');
    else DRAW[b.kind](b, box);
  }
}

function isEmpty(b: HtmlBlock): boolean {
  if (b.kind === 'timeline') return !b.items.length;
  if (b.kind === 'bars') return !b.categories.length;
  if (b.kind === 'heatmap') return !b.cells.length;
  if (b.kind === 'icicle') return !b.root.value && !b.root.children.length;
  return false;
}

function draw(data: PageData): void {
  document.title = data.title;
  startTs = data.start_ts;
  const main = document.getElementById('main')!;
  el('h1', main, data.title);
  el('p', main, data.subtitle, 'subtitle');
  if (data.banner.length) {
    const ban = el('div', main, undefined, 'banner');
    ban.id = 'banner';
    ban.setAttribute('role', 'alert');
    for (const l of data.banner) el('p', ban, l);
  }
  if (data.notes.length) {
    const notes = el('ul', main, undefined, 'notes');
    notes.id = 'notes';
    for (const n of data.notes) el('li', notes, n);
  }
  if (data.facts.length) {
    const facts = el('section', main);
    facts.id = 'facts';
    el('h2', facts, 'Capture');
    table({ kind: 'table', title: '', columns: [{ key: 'fact' }, { key: 'value' }], rows: data.facts }, facts);
  }
  for (const s of data.sections) section(s, main);
  document.body.dataset.drawn = 'true';
}

draw(JSON.parse(document.getElementById('ktape-data')!.textContent!) as PageData);
