import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MiddlewareFactory } from '@mcproxy/core';
import { fromFactory, testMiddleware } from '@mcproxy/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { functionName, main, PACKAGE_DIR, scaffold, templateVersions } from './index.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const temp = (under = tmpdir()): string => {
  const dir = mkdtempSync(join(under, 'create-mw-'));
  made.push(dir);
  return dir;
};
const versions = templateVersions();

describe('scaffold', () => {
  it('writes a package with the workspace versions, core as a peer, and every placeholder filled', () => {
    const dir = join(temp(), 'out');
    const files = scaffold({ name: '@me/tag-results', dir, versions });
    expect(files.sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src/index.test.ts', 'src/index.ts', 'tsconfig.json']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const core = JSON.parse(readFileSync(join(PACKAGE_DIR, '../core/package.json'), 'utf8')).version as string;
    expect(pkg).toMatchObject({ name: '@me/tag-results', type: 'module', peerDependencies: { '@mcproxy/core': `^${core}` } });
    expect(pkg.devDependencies).toMatchObject({ '@mcproxy/core': `^${core}`, '@mcproxy/test-kit': expect.stringMatching(/^\^\d/), vitest: expect.any(String) });
    expect(Object.values({ ...pkg.dependencies, ...pkg.devDependencies }).join(' ')).not.toContain('workspace:');
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8')).not.toMatch(/__NAME__|__FUNCTION__/);
    expect(readFileSync(join(dir, 'src/index.ts'), 'utf8')).toContain('async function tagResults(ctx, next)');
  });

  it('refuses a folder that has files, and a name npm would refuse', () => {
    const dir = temp();
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    expect(() => scaffold({ name: 'my-mw', dir, versions })).toThrow(/already exists and is not empty/);
    expect(() => scaffold({ name: 'My MW', dir: join(dir, 'x'), versions })).toThrow(/not a valid npm package name/);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('gives the middleware function a name JavaScript accepts', () => {
    expect(functionName('my-mw')).toBe('myMw');
    expect(functionName('@scope/2fa.check')).toBe('mw2faCheck');
  });

  it('writes an example that works through a real chain', async () => {
    // Under this package, so the example resolves @mcproxy/core and zod as an installed package would.
    const dir = join(temp(PACKAGE_DIR), 'my-mw');
    scaffold({ name: 'my-mw', dir, versions });
    const factory = ((await import(join(dir, 'src/index.ts'))) as { default: MiddlewareFactory }).default;
    const kit = await testMiddleware(await fromFactory(factory, { hide: ['rm'] }), { upstream: { tools: [{ name: 'echo' }, { name: 'rm' }] } });
    expect(await kit.callTool('echo', { a: 1 })).toMatchObject({ result: { content: [{ text: '[my-mw] {"a":1}' }] } });
    expect((await kit.callTool('rm')).error?.message).toBe('Unknown tool: rm');
    await kit.close();
  });
});

describe('main', () => {
  it('scaffolds into a folder named after the package and exits 0; refuses a second time with 1', () => {
    const cwd = temp();
    expect(main(['@me/my-mw'], cwd)).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, 'my-mw/package.json'), 'utf8')).name).toBe('@me/my-mw');
    expect(main(['@me/my-mw'], cwd)).toBe(1);
    mkdirSync(join(cwd, 'empty'));
    expect(main(['other', 'empty'], cwd)).toBe(0);
    expect(main([], cwd)).toBe(2);
  });

  it('--from points core and test-kit at tarballs (relative to the new package), keeps the peer range, and names a missing tarball', () => {
    const cwd = temp();
    const packs = join(cwd, 'mcproxy-tarballs');
    mkdirSync(packs);
    writeFileSync(join(packs, 'mcproxy-core-0.1.0.tgz'), '');
    writeFileSync(join(packs, 'mcproxy-test-kit-0.1.0.tgz'), '');
    writeFileSync(join(packs, 'mcproxy-core-extra-0.1.0.tgz'), '');
    expect(main(['my-mw', '--from', 'mcproxy-tarballs'], cwd)).toBe(0);
    const pkg = JSON.parse(readFileSync(join(cwd, 'my-mw/package.json'), 'utf8'));
    expect(pkg.devDependencies['@mcproxy/core']).toBe('file:../mcproxy-tarballs/mcproxy-core-0.1.0.tgz');
    expect(pkg.devDependencies['@mcproxy/test-kit']).toBe('file:../mcproxy-tarballs/mcproxy-test-kit-0.1.0.tgz');
    expect(pkg.peerDependencies['@mcproxy/core']).toMatch(/^\^\d/);
    rmSync(join(packs, 'mcproxy-test-kit-0.1.0.tgz'));
    expect(main(['other', '--from=mcproxy-tarballs'], cwd)).toBe(1);
    expect(main(['third', '--from'], cwd)).toBe(2);
  });
});
