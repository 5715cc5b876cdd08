import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { closeClients, mcpClient } from '../kit/clients.js';
import { fuzzParams } from './fuzz-settings.js';
import { startProxy, stopAll } from '../kit/proxy-process.js';

/** A file server that decodes and resolves `.` and `..` as real ones do (apps/cli's policy tests use it too). */
const FILE_SERVER = fileURLToPath(new URL('../../../../apps/cli/test/kit/file-server.mjs', import.meta.url));

afterEach(async () => {
  await closeClients();
  await stopAll();
});

/** Path pieces that lead back to where they started, or stay put. */
const detour = fc.constantFrom('.', 'shared/..', 'alice/..', 'x/y/../..', '', 'shared/./..');
/** A path to /alice/secret with detours between its segments, and a trailing `.` sometimes. */
const path = fc
  .tuple(detour, detour, detour, fc.boolean())
  .map(([a, b, c, dot]) => ['', a, 'alice', b, 'secret', ...(dot ? [c, '.'] : [])].filter((s) => s !== '').join('/'))
  .map((p) => `/${p.replace(/^\/+/, '').replace(/\/+/g, '/')}`);
/** Each character as is, percent-encoded, or encoded twice. */
const encoded = fc.tuple(path, fc.array(fc.constantFrom(0, 0, 0, 1, 2), { minLength: 80, maxLength: 80 })).map(([p, how]) =>
  [...p]
    .map((ch, i) => {
      const hex = `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
      return how[i] === 1 ? hex : how[i] === 2 ? hex.replace('%', '%25') : ch;
    })
    .join(''),
);
const alias = (upstream: string, uri: string): string => `mcproxy://${upstream}/${encodeURIComponent(uri)}`;
/** The forms aggregate accepts: an alias, a nested alias, the verbatim form of an aliased template. */
const spelled = fc
  .tuple(encoded, fc.constantFrom('alias', 'nested', 'verbatim'), fc.constantFrom('a', 'b'))
  .map(([p, form, up]) =>
    form === 'alias' ? alias(up, `file://${p}`) : form === 'nested' ? alias(up, alias(up, `file://${p}`)) : `mcproxy://${up}/=file://${p}`,
  );

describe('fuzz: resource paths past a deny rule', () => {
  it('never reads a denied file through dot segments, encodings and aliases, and still reads an allowed one', async () => {
    const files = { command: process.execPath, args: [FILE_SERVER] };
    const proxy = await startProxy({
      serve: { http: { port: 0 } },
      upstreams: { a: files, b: files },
      pipeline: [{ use: 'filter', with: { resources: { deny: ['file:///alice/**'] } } }, { use: 'aggregate' }],
    });
    const client = await mcpClient(proxy.url!);
    await fc.assert(
      fc.asyncProperty(spelled, async (uri) => {
        const text = await client.readResource({ uri }).then(
          (r) => JSON.stringify(r.contents),
          (err: Error) => err.message,
        );
        expect(text, uri).not.toContain('ALICE-SECRET');
      }),
      fuzzParams(4),
    );
    const allowed = await client.readResource({ uri: alias('a', 'file:///shared/readme') });
    expect(JSON.stringify(allowed.contents)).toContain('shared readme');
    expect(proxy.alive()).toBe(true);
  });
});
