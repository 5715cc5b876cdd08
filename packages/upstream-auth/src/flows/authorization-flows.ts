import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@mcproxy/core';
import { type HttpAnswer, page } from './pages.js';

export type { HttpAnswer } from './pages.js';
export const OAUTH_START_PATH = '/oauth/start';
export const OAUTH_CALLBACK_PATH = '/oauth/callback';

/** What one upstream's OAuth client does for a flow: build the authorization URL, later redeem the code. */
export interface FlowDriver {
  authorize(state: string): Promise<{ url: string; issuer: string; issRequired: boolean; complete(code: string): Promise<void> }>;
}

interface Flow {
  id: string;
  owner: string;
  scope: string | undefined;
  driver: FlowDriver;
  createdAt: number;
  done: boolean;
  waiters: Array<(ok: boolean) => void>;
  /** Set by start(): the browser's binding and what the callback must check. */
  started?: { state: string; browser: string; issuer: string; issRequired: boolean; complete(code: string): Promise<void> };
}

const random = (): string => randomBytes(32).toString('base64url');
const cookieName = (flowId: string): string => `mcproxy_oauth_${flowId.slice(0, 16)}`;

function sameSecret(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * The per-user authorization flows of the process, shared by every `oauth`
 * upstream. A flow is opened when a principal needs consent, started when
 * their browser opens the start URL (a fresh one-time `state`, a cookie
 * binding that browser), and finished by the callback, which checks state,
 * cookie and `iss` before the code is redeemed. Pending flows are bounded in
 * number (`maxPending`, 1,000; the oldest dropped) and age (`ttlMs`, 10 min).
 */
export class AuthorizationFlows {
  readonly redirectUri: string;
  private readonly flows = new Map<string, Flow>();
  private readonly byState = new Map<string, Flow>();
  private readonly maxPending: number;
  private readonly ttlMs: number;
  private readonly secure: boolean;
  private readonly cookiePath: string;

  constructor(private readonly options: { publicUrl: string; log?: Logger; maxPending?: number; ttlMs?: number }) {
    const base = options.publicUrl.replace(/\/+$/, '');
    this.options = { ...options, publicUrl: base };
    this.redirectUri = `${base}${OAUTH_CALLBACK_PATH}`;
    this.maxPending = options.maxPending ?? 1000;
    this.ttlMs = options.ttlMs ?? 10 * 60 * 1000;
    this.secure = base.startsWith('https:');
    this.cookiePath = `${new URL(base).pathname.replace(/\/$/, '')}/oauth`;
  }

  /** `${publicUrl}/oauth/start?flow=<id>`: the URL a user opens to sign in. */
  startUrl(flowId: string): string {
    return `${this.options.publicUrl}${OAUTH_START_PATH}?flow=${encodeURIComponent(flowId)}`;
  }

  /**
   * A pending flow for `owner` (principal and upstream) asking `scope`: the
   * one already pending for the same owner and scope when there is one, so
   * a user retrying gets the same URL instead of a pile of flows.
   */
  open(owner: { principal: string; upstream: string }, scope: string | undefined, driver: FlowDriver): string {
    this.sweep();
    const ownerKey = JSON.stringify([owner.principal, owner.upstream]);
    for (const flow of this.flows.values()) {
      if (flow.owner === ownerKey && !flow.done && flow.scope === scope) {
        flow.driver = driver;
        return flow.id;
      }
    }
    const flow: Flow = { id: random(), owner: ownerKey, scope, driver, createdAt: Date.now(), done: false, waiters: [] };
    this.flows.set(flow.id, flow);
    while (this.flows.size > this.maxPending) this.end(this.flows.values().next().value as Flow, false);
    return flow.id;
  }

  /** GET /oauth/start?flow=…: 302 to the authorization server, with a cookie binding this browser to the flow. */
  async start(query: URLSearchParams, _cookieHeader: string | undefined): Promise<HttpAnswer> {
    this.sweep();
    const flow = this.flows.get(query.get('flow') ?? '');
    if (flow === undefined || flow.done)
      return page(400, 'Sign-in link expired', 'This sign-in link is unknown, used or expired. Retry the call that asked you to sign in to get a new one.');
    let authorized: Awaited<ReturnType<FlowDriver['authorize']>>;
    const state = random();
    try {
      authorized = await flow.driver.authorize(state);
    } catch (err) {
      this.options.log?.warn({ err: (err as Error).message }, 'oauth: could not start an authorization');
      return page(502, 'Sign-in unavailable', `The authorization server could not be reached or refused: ${(err as Error).message}`);
    }
    if (flow.started) this.byState.delete(flow.started.state);
    const browser = random();
    flow.started = { state, browser, issuer: authorized.issuer, issRequired: authorized.issRequired, complete: authorized.complete };
    this.byState.set(state, flow);
    const cookie = `${cookieName(flow.id)}=${browser}; HttpOnly; SameSite=Lax; Path=${this.cookiePath}; Max-Age=${Math.ceil(this.ttlMs / 1000)}${this.secure ? '; Secure' : ''}`;
    return {
      status: 302,
      headers: { Location: authorized.url, 'Set-Cookie': cookie, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
      body: '',
    };
  }

  /** GET /oauth/callback: checks state (one-time), cookie and iss, redeems the code, stores the tokens; 400 and nothing stored on any bad input. */
  async callback(query: URLSearchParams, cookieHeader: string | undefined): Promise<HttpAnswer> {
    this.sweep();
    const state = query.get('state') ?? '';
    const flow = this.byState.get(state);
    // One-time: whatever happens next, this state is spent.
    this.byState.delete(state);
    const started = flow?.started;
    if (flow === undefined || started === undefined || flow.done) {
      return page(400, 'Sign-in not recognized', 'This sign-in answer is unknown, was already used, or expired. Nothing was stored.');
    }
    const seen = cookieValue(cookieHeader, cookieName(flow.id));
    if (seen === undefined || !sameSecret(seen, started.browser)) {
      return page(
        400,
        'Sign-in not recognized',
        'This browser did not start this sign-in. Open the sign-in link again in the same browser. Nothing was stored.',
      );
    }
    const error = query.get('error');
    if (error !== null) return page(400, 'Sign-in refused', `The authorization server answered: ${error.slice(0, 200)}. Nothing was stored.`);
    const iss = query.get('iss');
    if (iss !== null ? iss !== started.issuer : started.issRequired) {
      return page(400, 'Sign-in not recognized', 'The answer does not come from the authorization server this sign-in was sent to (iss). Nothing was stored.');
    }
    const code = query.get('code');
    if (code === null || code === '') return page(400, 'Sign-in incomplete', 'The answer carries no authorization code. Nothing was stored.');
    try {
      await started.complete(code);
    } catch (err) {
      this.options.log?.warn({ err: (err as Error).message }, 'oauth: an authorization code was not redeemed');
      return page(400, 'Sign-in failed', `The code could not be redeemed: ${(err as Error).message}. Nothing was stored.`);
    }
    this.end(flow, true);
    return page(200, 'Signed in', 'You can close this window and retry your request.', {
      'Set-Cookie': `${cookieName(flow.id)}=; HttpOnly; SameSite=Lax; Path=${this.cookiePath}; Max-Age=0${this.secure ? '; Secure' : ''}`,
    });
  }

  /** Resolves true once flow `elicitationId` stored its tokens, false on timeout, expiry or an unknown id. */
  waitFor(elicitationId: string, timeoutMs: number): Promise<boolean> {
    const flow = this.flows.get(elicitationId);
    if (flow === undefined) return Promise.resolve(this.finished.has(elicitationId));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        flow.waiters = flow.waiters.filter((w) => w !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = (ok: boolean): void => {
        clearTimeout(timer);
        resolve(ok);
      };
      flow.waiters.push(wake);
    });
  }

  /** Flows finished lately (bounded), so a waiter that comes after the callback still hears "done". */
  private readonly finished = new Set<string>();

  private end(flow: Flow, ok: boolean): void {
    flow.done = true;
    this.flows.delete(flow.id);
    if (flow.started) this.byState.delete(flow.started.state);
    if (ok) {
      this.finished.add(flow.id);
      if (this.finished.size > this.maxPending) this.finished.delete(this.finished.values().next().value as string);
    }
    for (const wake of flow.waiters.splice(0)) wake(ok);
  }

  private sweep(): void {
    const oldest = Date.now() - this.ttlMs;
    for (const flow of this.flows.values()) {
      if (flow.createdAt >= oldest) break;
      this.end(flow, false);
    }
  }
}
