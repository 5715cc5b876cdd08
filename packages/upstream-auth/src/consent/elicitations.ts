import { errorReply, isObject, URL_ELICITATION_REQUIRED, type Params, type Reply } from '@mcproxy/core';

/**
 * What a client without URL elicitation is answered instead of -32042 (a
 * code it would not understand): ours, in the proxy's range, with the URL in
 * the message so a person reading the error can follow it.
 */
export const AUTHORIZATION_REQUIRED = -32019;

/** One URL a user must open, as a -32042 error's `data.elicitations` lists it. */
export interface UrlElicitation {
  elicitationId: string;
  url: string;
  message: string;
}

/** At most this many elicitations are taken from one error; more are a hostile or broken upstream. */
const MAX_ELICITATIONS = 8;
const MAX_URL = 4096;
const MAX_MESSAGE = 1000;

/**
 * The URL elicitations a -32042 error asks for, or undefined when the reply
 * is not one (or is malformed: then it is passed on as it is). Only http(s)
 * URLs count; texts are cut to bounded lengths.
 */
export function urlElicitationsOf(reply: Reply | undefined): UrlElicitation[] | undefined {
  const error = reply?.error;
  if (error === undefined || error.code !== URL_ELICITATION_REQUIRED) return undefined;
  const listed = isObject(error.data) ? error.data.elicitations : undefined;
  if (!Array.isArray(listed) || listed.length === 0 || listed.length > MAX_ELICITATIONS) return undefined;
  const out: UrlElicitation[] = [];
  for (const item of listed) {
    if (!isObject(item) || (item.mode !== undefined && item.mode !== 'url')) return undefined;
    const { elicitationId, url, message } = item;
    if (typeof elicitationId !== 'string' || typeof url !== 'string' || url.length > MAX_URL || !isHttpUrl(url)) return undefined;
    out.push({ elicitationId: elicitationId.slice(0, 200), url, message: typeof message === 'string' ? message.slice(0, MAX_MESSAGE) : `Open ${url}` });
  }
  return out;
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/** Did the client declare URL-mode elicitation (`capabilities.elicitation.url`)? A bare `elicitation: {}` means form only. */
export function takesUrlElicitation(capabilities: Params): boolean {
  const elicitation = capabilities.elicitation;
  return isObject(elicitation) && elicitation.url !== undefined;
}

/**
 * The 2026-07-28 `input_required` result: one URL-mode `elicitation/create`
 * per elicitation (that revision's URL mode has no `elicitationId`: the
 * retry is what tells the server the user is back), and our `requestState`.
 */
export function inputRequiredOf(elicitations: readonly UrlElicitation[], requestState: string): Reply {
  const inputRequests: Params = {};
  elicitations.forEach((e, i) => {
    inputRequests[`authorize-${i + 1}`] = { method: 'elicitation/create', params: { mode: 'url', message: e.message, url: e.url } };
  });
  return { result: { resultType: 'input_required', inputRequests, requestState } };
}

/** For a client that cannot open a URL itself: our error, its message carrying every URL. */
export function authorizationRequired(original: Reply, elicitations: readonly UrlElicitation[], upstream: string | undefined): Reply {
  const said = original.error?.message ?? 'Authorization required';
  const missing = elicitations.filter((e) => !said.includes(e.url)).map((e) => e.url);
  const message = missing.length === 0 ? said : `${said}: open ${missing.join(' and ')} to sign in, then retry`;
  return errorReply(AUTHORIZATION_REQUIRED, message, {
    reason: 'authorization_required',
    urls: elicitations.map((e) => e.url),
    ...(upstream === undefined ? {} : { upstream }),
  });
}

/**
 * What a retry's `inputResponses` say about the round: `declined` when the
 * user declined or cancelled every elicitation of it (nothing to wait for),
 * else `go` (accepted, or not answered: the retry itself is the signal).
 */
export function verdictOf(responses: unknown): 'go' | 'declined' {
  if (!isObject(responses)) return 'go';
  const actions = Object.values(responses).map((r) => (isObject(r) ? r.action : undefined));
  return actions.length > 0 && actions.every((a) => a === 'decline' || a === 'cancel') ? 'declined' : 'go';
}
