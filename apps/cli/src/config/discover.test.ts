import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverFolder } from './discover.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function entry(path: string, content: unknown): Promise<void> {
  dir ??= await mkdtemp(join(tmpdir(), 'mcproxy-discover-'));
  const file = join(dir, path);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
}

describe('discovery of a folder', () => {
  it('turns registry packages into the commands their runners take, with arguments and environment', async () => {
    await entry('fs/server.json', {
      name: 'io.example/fs',
      packages: [
        { registryType: 'oci', identifier: 'example/fs', transport: { type: 'streamable-http' } },
        {
          registryType: 'npm',
          identifier: '@example/fs-server',
          version: '1.2.3',
          transport: { type: 'stdio' },
          packageArguments: [
            { type: 'positional', value: '/data' },
            { type: 'named', name: '--mode', default: 'ro' },
          ],
          environmentVariables: [
            { name: 'LEVEL', default: 'info' },
            { name: 'API_KEY', isSecret: true },
          ],
        },
      ],
    });
    await entry('py/server.json', { packages: [{ registryType: 'pypi', identifier: 'mcp-server-time', version: '0.6' }] });
    await entry('far/server.json', { remotes: [{ type: 'sse', url: 'http://127.0.0.1:9000/sse' }] });
    const found = await discoverFolder(dir!);
    expect(found.upstreams.fs).toMatchObject({
      command: 'npx',
      args: ['-y', '@example/fs-server@1.2.3', '/data', '--mode', 'ro'],
      env: { LEVEL: 'info' },
      inheritEnv: ['API_KEY'],
    });
    expect(found.upstreams.py).toMatchObject({ command: 'uvx', args: ['mcp-server-time==0.6'] });
    expect(found.upstreams.far).toMatchObject({ url: 'http://127.0.0.1:9000/sse', transport: 'sse' });
  });

  it('runs a package.json bin (the one named after the package) with this Node, and passes over what is not a server', async () => {
    await entry('tool/package.json', { name: '@scope/tool', bin: { other: 'o.js', tool: 'bin/t.js' }, main: 'index.js' });
    await entry('lib/package.json', { name: 'lib' });
    await entry('notes.txt', 'hello');
    const found = await discoverFolder(dir!);
    expect(found.upstreams.tool).toMatchObject({ command: process.execPath, args: [join(dir!, 'tool', 'bin/t.js')], cwd: join(dir!, 'tool') });
    expect(Object.keys(found.upstreams)).toEqual(['tool']);
    expect(found.skipped).toEqual(['lib/ (no server.json, and no package.json with bin or main)', 'notes.txt']);
  });

  it('names the file of an entry that is wrong', async () => {
    await entry('two.mcp.json', { mcpServers: { a: { command: 'x' }, b: { command: 'y' } } });
    await expect(discoverFolder(dir!)).rejects.toThrow(/two\.mcp\.json:\n {2}at mcpServers: expected exactly one server, found 2/);
    await rm(join(dir!, 'two.mcp.json'));
    await entry('bad/server.json', '{ not json');
    await expect(discoverFolder(dir!)).rejects.toThrow(/bad\/server\.json is not valid JSON/);
  });

  it('says which folder it cannot read', async () => {
    await expect(discoverFolder('/nonexistent/mcproxy-servers')).rejects.toThrow('cannot read the discovery folder /nonexistent/mcproxy-servers: ENOENT');
  });
});
