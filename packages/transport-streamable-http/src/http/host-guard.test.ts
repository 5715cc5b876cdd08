import { describe, expect, it } from 'vitest';
import { ConfigError } from '@mcproxy/core';
import { createHostGuard, parseHost } from './host-guard.js';

describe('parseHost', () => {
  it('splits names, IPv4 and bracketed IPv6 from their port, lower-cased', () => {
    expect(parseHost('LocalHost:8080')).toEqual({ name: 'localhost', port: '8080' });
    expect(parseHost('127.0.0.1')).toEqual({ name: '127.0.0.1', port: undefined });
    expect(parseHost('[::1]:3000')).toEqual({ name: '[::1]', port: '3000' });
  });

  it('refuses what no browser sends as Host', () => {
    for (const bad of ['evil.example@localhost', 'localhost/x', 'local host', '::1', 'localhost:80:80', '']) {
      expect(parseHost(bad), bad).toBeUndefined();
    }
  });
});

describe('createHostGuard', () => {
  it('allows the loopback names on any port, and nothing else, for a loopback bind', () => {
    const guard = createHostGuard({ bindHost: '127.0.0.1' });
    for (const host of ['localhost', 'localhost:1234', '127.0.0.1:8080', '[::1]:8080']) expect(guard({ host }), host).toBeUndefined();
    expect(guard({ host: 'evil.example.com' })).toMatch(/Host not allowed/);
    expect(guard({ host: '10.0.0.5:8080' })).toMatch(/Host not allowed/);
    expect(guard({})).toMatch(/missing/);
  });

  it('also allows the bind host of a named bind, but not a wildcard', () => {
    expect(createHostGuard({ bindHost: '10.0.0.5' })({ host: '10.0.0.5:8080' })).toBeUndefined();
    expect(createHostGuard({ bindHost: '::1' })({ host: '[::1]' })).toBeUndefined();
    expect(createHostGuard({ bindHost: '0.0.0.0' })({ host: '0.0.0.0' })).toMatch(/not allowed/);
  });

  it('checks Origin by the same rule when it is present', () => {
    const guard = createHostGuard({ bindHost: '127.0.0.1' });
    expect(guard({ host: 'localhost', origin: 'http://localhost:5173' })).toBeUndefined();
    expect(guard({ host: 'localhost', origin: 'https://evil.example.com' })).toMatch(/Origin not allowed/);
    expect(guard({ host: 'localhost', origin: 'null' })).toMatch(/Origin not allowed/);
    expect(guard({ host: 'localhost', origin: 'file:///etc/passwd' })).toMatch(/Origin not allowed/);
  });

  it('lets allowedHosts replace the defaults, with ports when given, and * turn the check off', () => {
    const guard = createHostGuard({ bindHost: '127.0.0.1', allowedHosts: ['mcp.example', 'other.example:8443'] });
    expect(guard({ host: 'mcp.example:1' })).toBeUndefined();
    expect(guard({ host: 'other.example:8443' })).toBeUndefined();
    expect(guard({ host: 'other.example:8444' })).toMatch(/not allowed/);
    expect(guard({ host: 'localhost' })).toMatch(/not allowed/);
    expect(guard({ host: 'mcp.example', origin: 'https://mcp.example' })).toBeUndefined();
    const open = createHostGuard({ bindHost: '127.0.0.1', allowedHosts: ['*'] });
    expect(open({ host: 'anything.example', origin: 'https://anything.example' })).toBeUndefined();
  });

  it('lets allowedOrigins replace the rule for Origin', () => {
    const guard = createHostGuard({ bindHost: '127.0.0.1', allowedOrigins: ['https://app.example', 'null'] });
    expect(guard({ host: 'localhost', origin: 'https://app.example' })).toBeUndefined();
    expect(guard({ host: 'localhost', origin: 'null' })).toBeUndefined();
    expect(guard({ host: 'localhost', origin: 'http://localhost' })).toMatch(/Origin not allowed/);
    expect(createHostGuard({ bindHost: '127.0.0.1', allowedOrigins: ['*'] })({ host: 'localhost', origin: 'https://x.example' })).toBeUndefined();
  });

  it('throws a ConfigError for entries that cannot be hosts or origins', () => {
    expect(() => createHostGuard({ bindHost: '127.0.0.1', allowedHosts: ['http://x'] })).toThrow(ConfigError);
    expect(() => createHostGuard({ bindHost: '127.0.0.1', allowedOrigins: ['not an origin'] })).toThrow(ConfigError);
  });
});
