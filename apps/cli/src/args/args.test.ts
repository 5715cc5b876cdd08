import { describe, expect, it } from 'vitest';
import { readArgs, upstreamNameFor } from './args.js';

describe('command line', () => {
  it('takes the quick form with a command after --', () => {
    const a = readArgs(['--port', '0', '--', 'npx', '-y', 'server', '--flag']);
    expect(a.port).toBe(0);
    expect(a.command).toEqual(['npx', '-y', 'server', '--flag']);
  });

  it('takes --stdio with headers', () => {
    const a = readArgs(['--stdio', 'http://127.0.0.1:1/mcp', '--header', 'Authorization: Bearer x']);
    expect(a.headers).toEqual({ Authorization: 'Bearer x' });
  });

  it('refuses mixed modes, bad ports, bad levels and unknown flags with a clear word', () => {
    expect(() => readArgs(['--config', 'a.yaml', '--stdio', 'http://x'])).toThrow(/choose one of/);
    expect(() => readArgs(['--port', '70000'])).toThrow(/--port must be a whole number from 0 to 65535/);
    expect(() => readArgs(['--log-level', 'loud'])).toThrow(/--log-level must be one of/);
    expect(() => readArgs(['--prot', '1'])).toThrow('unknown option --prot: did you mean --port?');
  });

  it('says unknown options and missing values plainly, guessing only what is near', () => {
    expect(() => readArgs(['--confgi', 'a.yaml'])).toThrow('unknown option --confgi: did you mean --config?');
    expect(() => readArgs(['--log-levle=debug'])).toThrow('unknown option --log-levle: did you mean --log-level?');
    expect(() => readArgs(['--frobnicate'])).toThrow(/^unknown option --frobnicate: \(put the server command after "--"/);
    expect(() => readArgs(['-x'])).toThrow(/^unknown option -x: /);
    expect(() => readArgs(['--port'])).toThrow('option --port needs a value: --port <value>');
    expect(() => readArgs(['--help=yes'])).toThrow('option --help takes no value');
  });
});

describe('--env', () => {
  it('reads NAME as a variable to pass and NAME=VALUE as one to set, for every form that starts a server', () => {
    expect(readArgs(['-c', 'p.yaml', '--env', 'TOKEN', '-e', 'MODE=a=b', '-e', 'EMPTY=']).env).toEqual({ pass: ['TOKEN'], set: { MODE: 'a=b', EMPTY: '' } });
    expect(readArgs(['--example']).env).toEqual({ pass: [], set: {} });
  });

  it('refuses what is not a variable name, and a URL form, which starts no server', () => {
    expect(() => readArgs(['--env', '1TOKEN', '--example'])).toThrow(
      '--env takes NAME or NAME=VALUE, a variable name of letters, digits and "_"; got "1TOKEN"',
    );
    expect(() => readArgs(['--env', '=x', '--example'])).toThrow(/got ""/);
    expect(() => readArgs(['--env', 'TOKEN', 'http://x.test/mcp'])).toThrow('--env applies to servers mcproxy starts');
  });
});

describe('running it for real', () => {
  it('takes --discover alone or with --config, --discover-as, and --watch', () => {
    expect(readArgs(['--discover', './servers'])).toMatchObject({ discover: './servers', discoverAs: undefined, watch: false });
    expect(readArgs(['-c', 'p.yaml', '--discover', 's', '--discover-as', 'routes', '-w'])).toMatchObject({
      config: 'p.yaml',
      discover: 's',
      discoverAs: 'routes',
      watch: true,
    });
  });

  it('refuses --discover beside another form and --discover-as without it', () => {
    expect(() => readArgs(['--discover', 's', '--', 'npx', 'x'])).toThrow('--discover goes alone or with --config');
    expect(() => readArgs(['--discover-as', 'routes'])).toThrow('--discover-as applies to --discover <dir>');
    expect(() => readArgs(['--discover', 's', '--discover-as', 'both'])).toThrow('--discover-as must be one of aggregate, routes; got "both"');
  });
});

describe('the FastMCP proxy forms', () => {
  it('takes a bare URL, served on stdio unless --transport says otherwise', () => {
    expect(readArgs(['https://mcp.example.test/mcp'])).toMatchObject({ url: 'https://mcp.example.test/mcp', transport: undefined, command: [] });
    const a = readArgs(['--transport', 'http', '--port', '8002', '--name', 'weather', 'http://127.0.0.1:1/mcp']);
    expect(a).toMatchObject({ url: 'http://127.0.0.1:1/mcp', transport: 'http', port: 8002, name: 'weather' });
    expect(readArgs(['-t', 'sse', '-p', '0', 'http://x.test/mcp']).transport).toBe('sse');
    expect(readArgs(['--transport-type', 'sse', 'http://x.test/sse']).transportType).toBe('sse');
    expect(readArgs(['--transport-type', 'http', '--stdio', 'http://x.test/mcp']).transportType).toBe('streamable-http');
  });

  it('keeps a word before "--" that is no URL a command, as before', () => {
    expect(readArgs(['node', 'server.js'])).toMatchObject({ url: undefined, command: ['node', 'server.js'] });
    expect(readArgs(['--transport', 'sse', '--', 'npx', '-y', 'x'])).toMatchObject({ transport: 'sse', command: ['npx', '-y', 'x'] });
  });

  it('names the flag and the value when a URL is not one', () => {
    expect(() => readArgs(['--stdio', 'not-a-url'])).toThrow('--stdio must be an http:// or https:// URL; got "not-a-url"');
    expect(() => readArgs(['ftp://x.test/'])).toThrow('the upstream URL must be an http:// or https:// URL; got "ftp://x.test/"');
  });

  it('refuses flags that contradict the form', () => {
    expect(() => readArgs(['http://x.test/mcp', '--port', '1'])).toThrow(/add --transport http/);
    expect(() => readArgs(['--stdio', 'http://x.test/mcp', '--transport', 'http'])).toThrow(/--transport http contradicts it/);
    expect(() => readArgs(['--config', 'a.yaml', '--transport', 'http'])).toThrow(/--transport does not apply to --config/);
    expect(() => readArgs(['--transport-type', 'sse', '--', 'node', 's.js'])).toThrow(/--transport-type applies to an upstream URL/);
    expect(() => readArgs(['--transport', 'websocket', 'http://x.test/'])).toThrow(
      '--transport must be one of stdio, http, streamable-http, sse; got "websocket"',
    );
    expect(() => readArgs(['--name', 'no spaces', 'http://x.test/'])).toThrow(/--name must be letters/);
    expect(() => readArgs(['http://x.test/', '--', 'node', 's.js'])).toThrow(/choose one of/);
    expect(() => readArgs(['--log-format', 'xml'])).toThrow('--log-format must be one of pretty, json; got "xml"');
  });
});

describe('upstream names for server commands', () => {
  it('names the server, not its launcher, its version or its entry file', () => {
    expect(upstreamNameFor(['npx', '-y', '@scope/server-foo'])).toBe('server-foo');
    expect(upstreamNameFor(['npx', '-y', '@scope/server-foo@1.2.0', '/srv'])).toBe('server-foo');
    expect(upstreamNameFor(['npx', 'server-bar@latest'])).toBe('server-bar');
    expect(upstreamNameFor(['node', '/x/node_modules/@scope/server-foo/dist/index.js'])).toBe('server-foo');
    expect(upstreamNameFor(['pnpm', 'dlx', '@scope/server-foo'])).toBe('server-foo');
    expect(upstreamNameFor(['uvx', 'mcp-server-fetch'])).toBe('mcp-server-fetch');
    expect(upstreamNameFor(['docker', 'run', '-i', '--rm', '-e', 'A=b', 'mcp/fetch'])).toBe('fetch');
    expect(upstreamNameFor(['/usr/bin/node', 'server.mjs'])).toBe('server');
    expect(upstreamNameFor(['./my server'])).toBe('my-server');
  });
});
