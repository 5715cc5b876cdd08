import { describe, expect, it } from 'vitest';
import { checkPipeline } from './load.js';

const cmd = { command: 'node', args: ['server.js'] };

describe('routes in a pipeline file', () => {
  it('reads each route with its own upstreams and pipeline, and allows no top-level upstreams', () => {
    const p = checkPipeline(
      {
        serve: { http: { port: 0 } },
        routes: {
          '/gdrive': { upstreams: { gdrive: cmd } },
          '/steam': { mcpServers: { steam: { url: 'http://127.0.0.1:3002/mcp' } }, pipeline: [{ use: 'logging' }] },
        },
      },
      'p.yaml',
      false,
    );
    expect(Object.keys(p.upstreams)).toEqual([]);
    expect(p.routes['/gdrive']!.upstreams.gdrive).toMatchObject({ command: 'node', mode: 'shared' });
    expect(p.routes['/steam']!.pipeline).toEqual([{ use: 'logging', with: {} }]);
  });

  it('names the file and the path of a mistake inside a route', () => {
    expect(() => checkPipeline({ routes: { '/a': { upstreams: { a: { command: 'x', args: 'y' } } } } }, 'p.yaml', false)).toThrow(
      /invalid pipeline file p\.yaml:\n {2}at routes\.\/a\.upstreams\.a\.args: /,
    );
    expect(() => checkPipeline({ routes: { nope: { upstreams: { a: cmd } } } }, 'p.yaml', false)).toThrow(/at routes\.nope: a path such as \/gdrive/);
    expect(() => checkPipeline({ routes: { '/a': {} } }, 'p.yaml', false)).toThrow(/at routes\.\/a: expected at least one upstream server/);
  });

  it('refuses a route on a path already served, routes without HTTP, and stdio without top-level upstreams', () => {
    expect(() => checkPipeline({ upstreams: { a: cmd }, routes: { '/mcp': { upstreams: { b: cmd } } } }, 'p.yaml', false)).toThrow(
      /at routes\.\/mcp: the path \/mcp is already served/,
    );
    expect(() => checkPipeline({ serve: { stdio: true }, upstreams: { a: cmd }, routes: { '/b': { upstreams: { b: cmd } } } }, 'p.yaml', false)).toThrow(
      /at routes: routes are served on the HTTP port: add serve.http/,
    );
    expect(() => checkPipeline({ serve: { http: {}, stdio: true }, routes: { '/b': { upstreams: { b: cmd } } } }, 'p.yaml', false)).toThrow(
      /at serve: stdio and sse serve the top-level upstreams, and there are none/,
    );
  });
});

describe('desktop host files', () => {
  it('accepts the keys hosts write, leaves disabled servers out and notes what it ignored', () => {
    const p = checkPipeline(
      { globalShortcut: 'x', mcpServers: { on: { ...cmd, autoApprove: [], alwaysAllow: ['t'], timeout: 30 }, off: { ...cmd, disabled: true } } },
      'claude_desktop_config.json',
      false,
    );
    expect(Object.keys(p.upstreams)).toEqual(['on']);
    expect(p.ignored).toEqual([
      'globalShortcut',
      'mcpServers.on.autoApprove',
      'mcpServers.on.alwaysAllow',
      'mcpServers.on.timeout',
      'mcpServers.off (disabled)',
    ]);
  });

  it('still reports a stray top-level key in a pipeline file', () => {
    expect(() => checkPipeline({ upstreams: { a: cmd }, mcpServers: {}, globalShortcut: 'x' }, 'p.yaml', false)).toThrow(/Unrecognized key: "globalShortcut"/);
  });
});

describe('discover', () => {
  it('resolves the folder against the file and defaults to aggregating', () => {
    expect(checkPipeline({ discover: './servers' }, '/etc/mcproxy/p.yaml', false).discover).toEqual({ dir: '/etc/mcproxy/servers', as: 'aggregate' });
    expect(checkPipeline({ discover: { dir: 's', as: 'routes' } }, '/x/p.yaml', false).discover).toEqual({ dir: '/x/s', as: 'routes' });
  });
});
