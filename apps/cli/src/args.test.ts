import { describe, expect, it } from 'vitest';
import { readArgs } from './args.js';

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
    expect(() => readArgs(['--prot', '1'])).toThrow(/Unknown option '--prot'/);
  });
});
