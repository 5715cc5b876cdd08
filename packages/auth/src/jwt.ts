import { createHash } from 'node:crypto';
import type { Principal } from '@mcproxy/core';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type FetchImplementation, type JWTPayload } from 'jose';
import type { JwtOptions } from './options.js';

/** Why a token was refused; `unavailable` is ours (the key set could not be had), the rest the token's. */
export type TokenFailure = 'invalid' | 'expired' | 'wrong-issuer' | 'wrong-audience' | 'unknown-key' | 'bad-signature' | 'unavailable';

export type TokenResult = { ok: true; principal: Principal } | { ok: false; failure: TokenFailure; detail: string };

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Tokens remembered as verified at once (by their SHA-256, never the token itself). */
export const MAX_VERIFIED_TOKENS = 10_000;

/** The largest key set read, in bytes: a hostile or broken issuer cannot make the proxy hold more. */
export const MAX_JWKS_BYTES = 256 * 1024;

/** Claims a principal carries; everything else a token says stays out of the proxy's memory and logs. */
const KEPT_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'azp', 'client_id', 'scope', 'scp', 'email', 'name', 'preferred_username', 'groups', 'roles'];

/** A fetch that reads at most `MAX_JWKS_BYTES` of the key set. */
const boundedFetch: FetchImplementation = async (url, options) => {
  const response = await fetch(url, { ...options, redirect: 'error' });
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_JWKS_BYTES) throw new Error(`the key set is ${declared} bytes, more than ${MAX_JWKS_BYTES}`);
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await reader?.read();
    if (next === undefined || next.done) break;
    size += next.value.byteLength;
    if (size > MAX_JWKS_BYTES) {
      await reader?.cancel();
      throw new Error(`the key set is more than ${MAX_JWKS_BYTES} bytes`);
    }
    chunks.push(next.value);
  }
  return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers });
};

/** A token's scopes: `scope` (space-separated, RFC 9068) or `scp` (a list or a string, as some issuers write it). */
export function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter((s) => s !== '');
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/**
 * Checks bearer JWTs with jose: the signature against the issuer's key set
 * (fetched on first use, kept `jwksCacheMs`, fetched again on an unknown
 * `kid` at most once per `jwksCooldownMs`, and read up to 256 KiB), the
 * algorithm (asymmetric only, so `alg: none` and HMAC-with-the-public-key
 * tricks fail), issuer, audience, `exp` and `nbf` with `clockToleranceSec`
 * of skew, and a `sub`.
 */
export class JwtVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;
  /** Tokens that verified, by digest: the principal and until when it may be reused (ms). */
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly options: JwtOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), {
      cacheMaxAge: options.jwksCacheMs,
      cooldownDuration: options.jwksCooldownMs,
      timeoutDuration: options.jwksTimeoutMs,
      [customFetch]: boundedFetch,
    });
  }

  /** A token verified before (and not yet due again) is judged at once; any other, once jose has checked it. */
  verify(token: string): TokenResult | Promise<TokenResult> {
    const digest = createHash('sha256').update(token).digest('base64');
    const known = this.verified.get(digest);
    if (known !== undefined) {
      if (known.until > this.now()) return { ok: true, principal: known.principal };
      this.verified.delete(digest);
    }
    return this.verifyAnew(token, digest);
  }

  private async verifyAnew(token: string, digest: string): Promise<TokenResult> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.options.algorithms ?? ASYMMETRIC,
        clockTolerance: this.options.clockToleranceSec,
        requiredClaims: ['exp', 'sub'],
      });
      const claims: Record<string, unknown> = {};
      for (const name of KEPT_CLAIMS) if (payload[name] !== undefined) claims[name] = payload[name];
      const principal: Principal = Object.freeze({
        id: String(payload.sub),
        kind: 'jwt' as const,
        scopes: Object.freeze(scopesOf(payload)),
        claims: Object.freeze(claims),
      });
      this.remember(digest, principal, payload.exp);
      return { ok: true, principal };
    } catch (err) {
      return { ok: false, ...failureOf(err) };
    }
  }

  /**
   * Keeps a verified token for `verifiedCacheMs`, never past its `exp`
   * (skew included), so a busy client does not pay a signature check per
   * request. The oldest entry goes when the table is full.
   */
  private remember(digest: string, principal: Principal, exp: number | undefined): void {
    const ttl = this.options.verifiedCacheMs;
    if (ttl === 0 || exp === undefined) return;
    const until = Math.min(this.now() + ttl, (exp + this.options.clockToleranceSec) * 1000);
    if (until <= this.now()) return;
    this.verified.set(digest, { principal, until });
    if (this.verified.size > MAX_VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value as string);
  }
}

/** What went wrong, in words safe to log and to send (never the token). */
function failureOf(err: unknown): { failure: TokenFailure; detail: string } {
  if (err instanceof errors.JWTExpired) return { failure: 'expired', detail: 'the token has expired' };
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return { failure: 'wrong-issuer', detail: 'the token was issued by another issuer' };
    if (err.claim === 'aud') return { failure: 'wrong-audience', detail: 'the token is not meant for this resource' };
    if (err.claim === 'nbf') return { failure: 'invalid', detail: 'the token is not valid yet' };
    return { failure: 'invalid', detail: `the token's "${err.claim}" claim is missing or wrong` };
  }
  if (err instanceof errors.JWKSNoMatchingKey) return { failure: 'unknown-key', detail: 'no key of the issuer matches the token' };
  if (err instanceof errors.JWSSignatureVerificationFailed) return { failure: 'bad-signature', detail: 'the token signature does not verify' };
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError)) {
    return { failure: 'unavailable', detail: "the issuer's key set could not be fetched" };
  }
  return { failure: 'invalid', detail: 'the token is malformed or uses an algorithm that is not accepted' };
}
