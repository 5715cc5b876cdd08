#!/usr/bin/env node
// Builds the dashboard into one self-contained file, dist/dashboard.html: the
// page with its style, script (chart.js, then app.js) and icon inlined, so the
// admin listener serves one response and the page needs nothing from anywhere
// else; and dist/favicon.svg, the icon on its own.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const read = (name) => readFileSync(join(root, 'dashboard', name), 'utf8');
// chart.js first: app.js calls the function it defines.
const script = `${read('chart.js').trim()}\n${read('app.js').trim()}`;
if (script.includes('</script')) throw new Error('dashboard/chart.js and app.js must not contain "</script"');
const page = read('index.html')
  .replace('/*STYLE*/', () => read('style.css').trim())
  .replace('/*SCRIPT*/', () => script)
  .replace('/*FAVICON*/', () => `data:image/svg+xml,${encodeURIComponent(read('favicon.svg').trim())}`);
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'dashboard.html'), page);
// Also served as /favicon.ico, for whatever asks for it without reading the page.
writeFileSync(join(root, 'dist', 'favicon.svg'), read('favicon.svg'));
process.stdout.write(`dashboard: dist/dashboard.html (${page.length} bytes)\n`);
