import { describe, expect, it } from 'vitest';
import { ConfigError } from '@mcproxy/core';
import { parseUpstreamUrl } from './upstream-url.js';

describe('parseUpstreamUrl', () => {
  it('names the upstream by origin and path only', () => {
    const { url, where } = parseUpstreamUrl('https://mcp.example.com/mcp?key=secret#frag');
    expect(url.searchParams.get('key')).toBe('secret');
    expect(where).toBe('https://mcp.example.com/mcp');
  });

  it('refuses what fetch could not use, without repeating a token', () => {
    expect(() => parseUpstreamUrl('not a url?token=abc')).toThrow(ConfigError);
    expect(() => parseUpstreamUrl('not a url?token=abc')).not.toThrow(/abc/);
    expect(() => parseUpstreamUrl('ftp://example.com/mcp')).toThrow(/http: or https:/);
    expect(() => parseUpstreamUrl('http://user:pw@example.com/mcp')).toThrow(/headers/);
    expect(() => parseUpstreamUrl('http://user:pw@example.com/mcp')).not.toThrow(/pw/);
  });
});
