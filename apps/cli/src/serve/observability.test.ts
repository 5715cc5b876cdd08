import { ConfigError } from '@mcproxy/core';
import { describe, expect, it } from 'vitest';
import { readArgs } from '../args/args.js';
import { checkPipeline } from '../config/load.js';
import { withAdminPort } from './observability.js';

const pipeline = (raw: Record<string, unknown> = {}) => checkPipeline({ upstreams: { a: { command: 'x' } }, ...raw }, 'test', false);

describe('--admin-port', () => {
  it('is read as a port, and refuses anything else with the flag named', () => {
    expect(readArgs(['--admin-port', '9464', '--', 'server']).adminPort).toBe(9464);
    expect(readArgs(['--', 'server']).adminPort).toBeUndefined();
    expect(() => readArgs(['--admin-port', 'nine', '--', 'server'])).toThrow(
      new ConfigError('--admin-port must be a whole number from 0 to 65535; got "nine"'),
    );
    expect(() => readArgs(['--admin-port', '70000', '--', 'server'])).toThrow(/--admin-port must be a whole number/);
  });

  it("turns the admin listener on with its defaults, or moves the file's one to that port", () => {
    expect(withAdminPort(pipeline(), 9000).admin).toEqual({ host: '127.0.0.1', port: 9000, probeIntervalMs: 5000, toolLabels: 0 });
    expect(withAdminPort(pipeline({ admin: { host: '0.0.0.0', probeIntervalMs: 250 } }), 0).admin).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      probeIntervalMs: 250,
    });
    expect(withAdminPort(pipeline(), undefined).admin).toBeUndefined();
  });
});

describe('admin:, tracing: and required: in a pipeline file', () => {
  it('takes them and names what is wrong in them', () => {
    const p = pipeline({ upstreams: { a: { command: 'x', required: true }, b: { url: 'http://127.0.0.1:1/mcp' } }, tracing: { sampleRatio: 0.5 } });
    expect([p.upstreams.a?.required, p.upstreams.b?.required]).toEqual([true, false]);
    expect(p.tracing).toEqual({ sampleRatio: 0.5 });
    expect(() => pipeline({ admin: { port: 'x' } })).toThrow(/admin\.port/);
    expect(() => pipeline({ tracing: { sampleRatio: 2 } })).toThrow(/tracing\.sampleRatio/);
    expect(() => pipeline({ admin: { colour: 'blue' } })).toThrow(/admin/);
  });
});
