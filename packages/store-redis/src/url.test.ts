import { ConfigError } from '@mcproxy/core';
import { describe, expect, it } from 'vitest';
import { redactedUrl } from './url.js';

describe('the store URL as logs show it', () => {
  it('keeps scheme, host, port and database, never the credentials', () => {
    expect(redactedUrl('redis://user:hunter2@10.0.0.9:6380/2')).toBe('redis://10.0.0.9:6380/2');
    expect(redactedUrl('rediss://:hunter2@cache.example')).toBe('rediss://cache.example:6379/0');
    expect(redactedUrl('redis://[::1]:7000')).toBe('redis://[::1]:7000/0');
  });

  it('refuses what is not a Redis URL, without echoing a password', () => {
    expect(() => redactedUrl('http://a:hunter2@host')).toThrow(ConfigError);
    expect(() => redactedUrl('http://a:hunter2@host')).not.toThrow(/hunter2/);
    expect(() => redactedUrl('127.0.0.1:6379')).toThrow(/redis:\/\//);
    expect(() => redactedUrl('redis://a:hunter2@host/db')).toThrow(/database must be a number/);
    expect(() => redactedUrl('redis://a:hunter2@host/db')).not.toThrow(/hunter2/);
  });
});
