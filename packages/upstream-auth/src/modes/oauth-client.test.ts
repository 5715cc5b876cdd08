import { describe, expect, it } from 'vitest';
import { applicationTypeOf } from './oauth-client.js';

describe('the application_type a registration says (SEP-837)', () => {
  it('is web for an https redirect URI off loopback, native for plain http or loopback', () => {
    expect(applicationTypeOf('https://mcp.example.com/oauth/callback')).toBe('web');
    expect(applicationTypeOf('http://mcp.example.com/oauth/callback')).toBe('native');
    expect(applicationTypeOf('https://127.0.0.1:8443/oauth/callback')).toBe('native');
    expect(applicationTypeOf('http://localhost:8080/oauth/callback')).toBe('native');
    expect(applicationTypeOf('https://[::1]:8443/oauth/callback')).toBe('native');
  });
});
