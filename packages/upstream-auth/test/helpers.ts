import type { Principal } from '@mcproxy/core';
import type { AuthorizationFlows } from '../src/flows/authorization-flows.js';
import type { UpstreamCredentials } from '../src/types.js';

export const principal = (id: string): Principal => ({ id, kind: 'jwt', scopes: [], claims: {} });

/** Short limits so the hostile-server tests end quickly. */
export const QUICK = { timeoutMs: 400, maxBytes: 1024 * 1024, attempts: 3, backoffMs: [20, 40] };

/** One `whoami` call on the protected upstream, as a transport would send it. */
export async function whoami(
  url: string,
  authorization: string | undefined,
): Promise<{ status: number; challenge: string | undefined; sub?: string; scope?: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(authorization === undefined ? {} : { Authorization: authorization }),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
  });
  const challenge = res.headers.get('www-authenticate') ?? undefined;
  if (!res.ok) {
    await res.body?.cancel();
    return { status: res.status, challenge };
  }
  const body = (await res.json()) as { result: { content: Array<{ text: string }> } };
  return { status: res.status, challenge, ...(JSON.parse(body.result.content[0]?.text ?? '{}') as { sub: string; scope?: string }) };
}

/**
 * What the transport does for one request: authorization(), send, and on a
 * 401/403 refused() then at most one retry.
 */
export async function call(credentials: UpstreamCredentials, url: string, who: Principal | undefined): Promise<Awaited<ReturnType<typeof whoami>>> {
  const sent = await credentials.authorization(who);
  const first = await whoami(url, sent);
  if (first.status !== 401 && first.status !== 403) return first;
  const again = await credentials.refused(who, { status: first.status as 401 | 403, challenge: first.challenge, sent });
  if (!again) return first;
  return whoami(url, await credentials.authorization(who));
}

/** A scripted user: opens the start URL, lets the test AS consent, brings the code back to the callback with the cookie. */
export async function consentInBrowser(
  flows: AuthorizationFlows,
  startUrl: string,
  tamper: (callback: URLSearchParams, cookie: string) => { query: URLSearchParams; cookie: string | undefined } = (query, cookie) => ({ query, cookie }),
): Promise<{ status: number; body: string; callback: URLSearchParams; cookie: string }> {
  const started = await flows.start(new URL(startUrl).searchParams, undefined);
  if (started.status !== 302) throw new Error(`start answered ${started.status}: ${started.body}`);
  const cookie = (started.headers['Set-Cookie'] ?? '').split(';')[0] ?? '';
  const atAs = await fetch(started.headers.Location ?? '', { redirect: 'manual' });
  const back = atAs.headers.get('location');
  if (atAs.status !== 302 || back === null) throw new Error(`the AS answered ${atAs.status}: ${await atAs.text()}`);
  const callback = new URL(back).searchParams;
  const { query, cookie: sentCookie } = tamper(new URLSearchParams(callback), cookie);
  const answer = await flows.callback(query, sentCookie);
  return { status: answer.status, body: answer.body, callback, cookie };
}
