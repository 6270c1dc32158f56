#!/usr/bin/env node
/**
 * Bundles the HTML report's page script (html/client/page.ts with the parts of Apache ECharts and
 * d3-flame-graph it uses, tree-shaken and minified) into dist/html/client.js, and its styles (d3-flame-graph's
 * stylesheet and html/client/page.css) into dist/html/client.css. `ktape report` and `ktape compare --html`
 * inline both into every page (html/page.ts): the page loads nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'html');
mkdirSync(out, { recursive: true });
const bundle = await rolldown({
  input: join(root, 'html', 'client', 'page.ts'),
  platform: 'browser',
  logLevel: 'warn',
  // d3-flame-graph imports its stylesheet; it is inlined as a style element instead (below)
  plugins: [
    {
      name: 'css-as-style',
      resolveId: (id) => (id.endsWith('.css') ? '\0empty-css' : null),
      load: (id) => (id === '\0empty-css' ? '' : null),
    },
  ],
});
const { output } = await bundle.generate({ format: 'iife', minify: true });
await bundle.close();
writeFileSync(join(out, 'client.js'), output[0].code);
const css = [join(root, 'node_modules', 'd3-flame-graph', 'dist', 'd3-flamegraph.css'), join(root, 'html', 'client', 'page.css')];
writeFileSync(join(out, 'client.css'), css.map((f) => readFileSync(f, 'utf8')).join('\n'));
