import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFixtureHttpServer, Teardown } from '@mcproxy/testing';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE } from '../kit/cli-process.js';
import { httpClient, startProxy } from '../kit/observability-kit.js';

/** Debian's chromium package (CI installs it: scripts/bootstrap.mjs); CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the screenshot is kept (git-ignored: `results/`). */
const SHOTS = fileURLToPath(new URL('../../results/', import.meta.url));

const t = new Teardown();
afterEach(() => t.run());

describe('the dashboard, in a real browser', () => {
  it('shows the upstreams (restarts only once up, `*` explained), a tail that starts with earlier calls in indented JSON, a chart with a time axis that fits the window, an icon', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`);
    const upstream = await startFixtureHttpServer();
    t.add(() => upstream.close());
    const logs = await mkdtemp(join(tmpdir(), 'mcproxy-dashboard-'));
    t.add(() => rm(logs, { recursive: true, force: true }));
    const proxy = await startProxy({
      upstreams: {
        web: { url: upstream.url, required: true },
        local: { command: process.execPath, args: [FIXTURE, '--stdio'], required: true },
        // Nothing listens on port 9 (discard): this one stays down.
        gone: { url: 'http://127.0.0.1:9/mcp' },
        // Exits at once, every time it is started: it never comes up, so it never restarts.
        broken: { command: process.execPath, args: ['-e', 'process.exit(3)'] },
      },
      pipeline: [
        { use: 'logging', with: { payloads: true, destination: join(logs, 'mcp.log') } },
        { use: 'aggregate', with: { prefix: 'always' } },
      ],
      admin: { port: 0, probeIntervalMs: 250 },
    });
    t.add(() => proxy.close());

    // A call before any page is open: the tail a page starts with must show it.
    const client = await httpClient(proxy.url!);
    t.add(() => client.close());
    const tools = await client.listTools();
    const name = tools.tools.find((tool) => tool.name.endsWith('test_simple_text'))!.name;
    await client.callTool({ name, arguments: {} });

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    t.add(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${proxy.adminUrl}/`);
    await page.locator('#live', { hasText: 'live' }).waitFor();
    const before = page.locator('#tail tbody tr[data-method="tools/call"]', { hasText: name });
    await before.first().waitFor({ timeout: 5000 });
    expect(await before.count()).toBe(1);

    const state = (name: string) => page.locator(`#upstreams tr[data-upstream="${name}"] td:nth-child(3)`);
    await expect.poll(() => state('web').textContent(), { timeout: 10_000 }).toBe('up');
    await expect.poll(() => state('local').textContent(), { timeout: 10_000 }).toBe('up');
    await expect.poll(() => state('gone').textContent(), { timeout: 10_000 }).toMatch(/^(down|backing-off)$/);
    await expect.poll(() => page.locator('#ready').textContent()).toBe('ready');
    // Backing off means it failed at least twice; none of those was a restart, as it never came up.
    await expect.poll(() => state('broken').textContent(), { timeout: 10_000 }).toBe('backing-off');
    for (const down of ['gone', 'broken'])
      expect(`${down} ${await page.locator(`#upstreams tr[data-upstream="${down}"] td:nth-child(5)`).textContent()}`).toBe(`${down} 0`);
    // The `*` after a required upstream's name is explained.
    expect(await page.locator('#upstreams tr[data-upstream="web"] td:nth-child(2)').textContent()).toBe('web *');
    expect(await page.locator('#upstreamsLegend').textContent()).toMatch(/^\* required: \/readyz answers 503 until it is up/);

    await client.callTool({ name, arguments: {} });
    // The issue's bound: the call is in the tail within a second of its answer.
    const row = before.first();
    await expect.poll(() => before.count(), { timeout: 1000 }).toBe(2);
    expect(await row.locator('td').allTextContents()).toEqual([
      expect.any(String),
      'tools/call',
      name,
      '/mcp',
      expect.stringMatching(/^(web|local)$/),
      'ok',
      expect.any(String),
      expect.any(String),
    ]);
    // Params and result as indented JSON, line breaks shown as breaks, never an escaped `\n`.
    const shown = (await row.locator('td.detail pre').textContent()) ?? '';
    expect(shown).toMatch(/^\{\n {2}"params": \{\n {4}"name": /);
    expect(shown).toContain('"result": {');
    expect(shown).not.toContain('\\n');

    // The chart: a time axis with clock times at whole minutes, both value axes labelled, a legend.
    const ticks = await page.locator('#chart .x-tick text').allTextContents();
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    for (const tick of ticks) expect(tick).toMatch(/^\d{1,2}:\d{2}/);
    expect((await page.locator('#chart .y-left text').allTextContents()).at(-1)).toMatch(/^\d+(\.\d+)? req\/s$/);
    expect((await page.locator('#chart .y-right text').allTextContents()).at(-1)).toMatch(/^\d+(\.\d+)? ms$/);
    expect(await page.locator('#chartLegend').textContent()).toMatch(/requests\/s.*errors.*mean latency/);
    // ...as wide as the window, wide or narrow, and never wider.
    const fit = async () => ({
      chart: (await page.locator('#chart svg').boundingBox())?.width ?? 0,
      box: await page.locator('#chart').evaluate((el) => (el as unknown as { clientWidth: number }).clientWidth),
    });
    const wide = await fit();
    expect(wide.chart).toBeGreaterThan(1200);
    expect(Math.abs(wide.chart - wide.box)).toBeLessThanOrEqual(2);
    await page.setViewportSize({ width: 700, height: 900 });
    await expect.poll(async () => (await fit()).chart, { timeout: 5000 }).toBeLessThanOrEqual(700);
    const narrow = await fit();
    expect(Math.abs(narrow.chart - narrow.box)).toBeLessThanOrEqual(2);
    await page.setViewportSize({ width: 1400, height: 900 });

    // An icon: in the page, and at /favicon.ico for whatever asks there.
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,/);
    const icon = await page.request.get(`${proxy.adminUrl}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/svg+xml');
    expect(await icon.text()).toContain('<svg');

    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}dashboard.png`, fullPage: true });
  });
});
