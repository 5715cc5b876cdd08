import { performance } from 'node:perf_hooks';
import { createAuthenticator, type AuthOptions, type JwtOptions } from '@mcproxy/auth';
import { BENCH_API_KEY, startBenchIssuer } from '../targets/auth-targets.js';

/** One way of authenticating, measured in this process: microseconds per request checked. */
export interface AuthCaseRow {
  label: string;
  usPerCall: number;
  cpuUsPerCall: number;
}

/**
 * What `authenticate(headers)` itself costs, in this process, away from
 * HTTP and the noise of the rest of the machine's work: no auth, an API
 * key (one configured, and one among 100), a JWT remembered as verified
 * (the default), and a JWT checked in full every time (`verifiedCacheMs: 0`).
 * Each runs `calls` times after a warm-up; every verdict is checked.
 */
export async function runAuthCase(calls: number): Promise<AuthCaseRow[]> {
  const issuer = await startBenchIssuer();
  try {
    const many = Array.from({ length: 99 }, (_, i) => ({ id: `k${i}`, key: `other-bench-key-${i}-0123456789` }));
    const jwt = issuer.auth.jwt as Pick<JwtOptions, 'jwksUrl' | 'issuer' | 'audience' | 'scopes'>;
    const cases: Array<{ label: string; options: AuthOptions; credential: string | undefined }> = [
      { label: 'no auth (allowUnauthenticated)', options: { allowUnauthenticated: true }, credential: undefined },
      { label: 'API key, 1 configured', options: { apiKeys: [{ id: 'bench', key: BENCH_API_KEY }] }, credential: BENCH_API_KEY },
      { label: 'API key, 100 configured', options: { apiKeys: [...many, { id: 'bench', key: BENCH_API_KEY }] }, credential: BENCH_API_KEY },
      { label: 'JWT ES256, verified token remembered (default)', options: { jwt }, credential: issuer.token },
      { label: 'JWT ES256, checked in full (verifiedCacheMs: 0)', options: { jwt: { ...jwt, verifiedCacheMs: 0 } }, credential: issuer.token },
    ];
    const rows: AuthCaseRow[] = [];
    for (const c of cases) {
      const auth = createAuthenticator(c.options);
      const headers = c.credential === undefined ? {} : { authorization: `Bearer ${c.credential}` };
      const once = async (): Promise<void> => {
        const verdict = await auth.authenticate(headers);
        if (!verdict.ok) throw new Error(`${c.label}: refused (${verdict.reason})`);
      };
      for (let i = 0; i < Math.min(1000, calls); i++) await once();
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < calls; i++) await once();
      const wall = performance.now() - start;
      const used = process.cpuUsage(cpu);
      rows.push({ label: c.label, usPerCall: (wall * 1000) / calls, cpuUsPerCall: (used.user + used.system) / calls });
    }
    return rows;
  } finally {
    await issuer.close();
  }
}
