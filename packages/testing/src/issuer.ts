import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** A signing key of the test issuer: its `kid`, private key and public JWK. */
export interface IssuerKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** A local OAuth issuer for tests: a JWKS endpoint on 127.0.0.1 and tokens signed with keys made in the test. */
export interface TestIssuer {
  /** `http://127.0.0.1:<port>/`: the `iss` of its tokens. */
  issuer: string;
  jwksUrl: string;
  /** How many times the key set was fetched. */
  readonly fetches: number;
  /** The key that signs by default (first made). */
  readonly key: IssuerKey;
  /** Makes a key; it is published in the key set only when `publish` is true. */
  addKey(publish: boolean): Promise<IssuerKey>;
  /** Publishes a key made earlier (a key rotation). */
  publish(key: IssuerKey): void;
  /** Serves this instead of the key set from now on (a broken or hostile issuer). */
  serveRaw(body: string | undefined): void;
  /** A signed JWT: `claims` over defaults (`iss` this issuer, `sub`, `iat`, `exp` in 5 minutes). */
  sign(claims: JWTPayload, options?: { key?: IssuerKey; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts a test issuer: ES256 keys made with jose, the JWKS served over
 * real HTTP on port 0, counting fetches so a test can see caching and the
 * refresh on an unknown `kid`.
 */
export async function startIssuer(): Promise<TestIssuer> {
  const published: IssuerKey[] = [];
  let fetches = 0;
  let raw: string | undefined;
  let made = 0;
  const make = async (): Promise<IssuerKey> => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = `key-${++made}`;
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
  };
  const server = createServer((_req, res) => {
    fetches += 1;
    const body = raw ?? JSON.stringify({ keys: published.map((k) => k.jwk) });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const first = await make();
  published.push(first);
  return {
    issuer: `${origin}/`,
    jwksUrl: `${origin}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    key: first,
    async addKey(publish) {
      const key = await make();
      if (publish) published.push(key);
      return key;
    },
    publish(key) {
      published.push(key);
    },
    serveRaw(body) {
      raw = body;
    },
    async sign(claims, options = {}) {
      const key = options.key ?? first;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: `${origin}/`, sub: 'alice', iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, ...options.header })
        .sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JWT with `alg: none` and no signature, as an attacker would send it. */
export function unsignedToken(claims: JWTPayload): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/**
 * A self-signed certificate for `127.0.0.1` and `localhost`, made now with
 * the `openssl` command (PEM strings). Tests that serve HTTPS use it.
 */
export function selfSignedCertificate(commonName = 'localhost'): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcproxy-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${commonName}`,
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
