import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startFixtureHttpServer, Teardown } from '@mcproxy/testing';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE } from './cli-process.js';
import { httpClient, startProxy } from './observability-kit.js';

/** Debian's chromium package (CI installs it: scripts/bootstrap.mjs); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the screenshot is kept (git-ignored: `results/`). */
const SHOTS = fileURLToPath(new URL('../results/', import.meta.url));

const t = new Teardown();
afterEach(() => t.run());

describe('the dashboard, in a real browser', () => {
  it('shows three upstreams with their states, and a tool call in the live tail within a second', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`);
    const upstream = await startFixtureHttpServer();
    t.add(() => upstream.close());
    const proxy = await startProxy({
      upstreams: {
        web: { url: upstream.url, required: true },
        local: { command: process.execPath, args: [FIXTURE, '--stdio'], required: true },
        // Nothing listens on port 9 (discard): this one stays down.
        gone: { url: 'http://127.0.0.1:9/mcp' },
      },
      pipeline: [{ use: 'aggregate', with: { prefix: 'always' } }],
      admin: { port: 0, probeIntervalMs: 250 },
    });
    t.add(() => proxy.close());

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    t.add(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`${proxy.adminUrl}/`);
    await page.locator('#live', { hasText: 'live' }).waitFor();

    const state = (name: string) => page.locator(`#upstreams tr[data-upstream="${name}"] td:nth-child(3)`);
    await expect.poll(() => state('web').textContent(), { timeout: 10_000 }).toBe('up');
    await expect.poll(() => state('local').textContent(), { timeout: 10_000 }).toBe('up');
    await expect.poll(() => state('gone').textContent(), { timeout: 10_000 }).toMatch(/^(down|backing-off)$/);
    await expect.poll(() => page.locator('#ready').textContent()).toBe('ready');

    const client = await httpClient(proxy.url!);
    t.add(() => client.close());
    const tools = await client.listTools();
    const name = tools.tools.find((tool) => tool.name.endsWith('test_simple_text'))!.name;
    await client.callTool({ name, arguments: {} });
    // The bound: the call is in the tail within a second of its answer.
    const row = page.locator('#tail tbody tr', { hasText: name }).first();
    await row.waitFor({ timeout: 1000 });
    expect(await row.locator('td').allTextContents()).toEqual([
      expect.any(String),
      'tools/call',
      name,
      '/mcp',
      expect.stringMatching(/^(web|local)$/),
      'ok',
      expect.any(String),
      '',
    ]);

    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}dashboard.png`, fullPage: true });
  });
});
