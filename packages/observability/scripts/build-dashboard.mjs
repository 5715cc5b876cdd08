#!/usr/bin/env node
// Builds the dashboard into one self-contained file, dist/dashboard.html: the
// page with its style and script inlined, so the admin listener serves one
// response and the page needs nothing from anywhere else.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const read = (name) => readFileSync(join(root, 'dashboard', name), 'utf8');
const script = read('app.js');
if (script.includes('</script')) throw new Error('dashboard/app.js must not contain "</script"');
const page = read('index.html')
  .replace('/*STYLE*/', () => read('style.css').trim())
  .replace('/*SCRIPT*/', () => script.trim());
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'dashboard.html'), page);
process.stdout.write(`dashboard: dist/dashboard.html (${page.length} bytes)\n`);
