import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** The API key the `mcproxy-apikey` target accepts (a bench value, never a secret). */
export const BENCH_API_KEY = 'mcproxy-bench-api-key-0123456789';
const AUDIENCE = 'http://127.0.0.1/mcp';

/** A local issuer for the `mcproxy-jwt` target: its JWKS served on loopback from the bench process, and one token. */
export interface BenchIssuer {
  auth: Record<string, unknown>;
  token: string;
  close(): Promise<void>;
}

/**
 * Makes an ES256 key, serves its JWKS on 127.0.0.1 and signs one token
 * for an hour: what an OAuth issuer would give a client. mcproxy fetches
 * the key set once (it is cached), so the figures are the cost of verifying
 * a token per request.
 */
export async function startBenchIssuer(): Promise<BenchIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}/`;
  const token = await new SignJWT({ scope: 'mcp:tools' })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
    .setIssuer(issuer)
    .setSubject('bench')
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  return {
    auth: { jwt: { jwksUrl: `${origin}/jwks.json`, issuer, audience: AUDIENCE, scopes: ['mcp:tools'] } },
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
