/**
 * Where the pool sends a 2026-07-28 request for a 2025-era upstream: a retry
 * resumes its parked call wherever that call runs; anything else leases a
 * link of the request's principal and capabilities (`BridgeLinks`), a call
 * one of its own where the wire cannot attribute pushes.
 */
import type { LegacyUpstreamBridge } from './bridge-legacy-upstream.js';
import { resumeCall } from './resume.js';
import { BridgeLinks } from './bridge-links.js';
import type { ParkedCalls } from './bridge-parked.js';
import type { ClientContext } from '../../chain/client-context.js';
import { ProxyError } from '../../wire/errors.js';
import { errorReply, type Params, type Reply } from '../../wire/jsonrpc.js';
import type { LimitReporter, Limits } from '../../wire/limits.js';
import type { Link } from '../../links/link.js';
import type { Origin } from '../../links/upstream-side.js';
import { MRTR_METHODS } from '../modern/modern.js';
import type { RequestOptions } from '../../wire/outgoing.js';
import { principalKey, type Principal } from '../../chain/principal.js';

/** What the bridge's routes need from the pool. */
export interface BridgeRouteHost {
  readonly parked: ParkedCalls;
  readonly limits: Limits;
  readonly limitReporter: LimitReporter;
  /** Opens a bridge link to upstream `name` for `principal` through its supervisor, not yet initialized; throws when there is no such upstream or it backs off. */
  open(name: string, principal?: Principal): Promise<Link>;
  /** Does upstream `name` want links per principal (a transport sending each principal's own credentials)? Then a spare serves only its principal. */
  perPrincipal(name: string): boolean;
}

/** The bridge's links of every upstream, by name. */
export class BridgeRoutes {
  private readonly byUpstream = new Map<string, BridgeLinks>();

  constructor(private readonly host: BridgeRouteHost) {}

  /** Serves one modern request of upstream `name` through the bridge; refusals (no link to be had) are error replies. */
  async serve(name: string, method: string, params: Params | undefined, options: RequestOptions<Origin>, client: ClientContext | undefined): Promise<Reply> {
    if (MRTR_METHODS.has(method) && params?.requestState !== undefined) return resumeCall(this.host.parked, name, method, params, options, client);
    const session = options.tag!.session;
    try {
      const wait = options.timeouts?.requestMs ?? 60_000;
      const lease = await this.linksOf(name, options).lease(
        principalKey(session.principal),
        client?.capabilities,
        MRTR_METHODS.has(method),
        options.signal,
        wait,
        this.host.perPrincipal(name) ? session.principal : undefined,
      );
      lease.link.sessions.add(session);
      return await bridgeOf(lease.link).serve(method, params, options, client, lease.release);
    } catch (err) {
      if (err instanceof ProxyError) return errorReply(err.code, err.message, err.data as Record<string, unknown> | undefined);
      throw err;
    }
  }

  /** Every bridge link open or opening. */
  all(): Array<Promise<Link>> {
    return [...this.byUpstream.values()].flatMap((links) => links.all());
  }

  /** Takes the links of `name` out (retired), or of every upstream; waiting requests are refused. */
  takeAll(name?: string): Array<Promise<Link>> {
    const names = name === undefined ? [...this.byUpstream.keys()] : [name];
    const out = names.flatMap((n) => this.byUpstream.get(n)?.takeAll() ?? []);
    for (const n of names) this.byUpstream.delete(n);
    return out;
  }

  private linksOf(name: string, first: RequestOptions<Origin>): BridgeLinks {
    let links = this.byUpstream.get(name);
    if (links === undefined) {
      links = new BridgeLinks(name, {
        limits: this.host.limits,
        limitReporter: this.host.limitReporter,
        open: (principal) => this.host.open(name, principal),
        // The deadlines of the request that needed the upstream first.
        initialize: (link, capabilities) => initialize(link, capabilities, first),
      });
      this.byUpstream.set(name, links);
    }
    return links;
  }
}

/** The proxy's `initialize` on a bridge link, declaring `capabilities`; a refusal closes the link and throws. */
async function initialize(link: Link, capabilities: Params, options: RequestOptions<Origin>): Promise<Link> {
  const hello = await bridgeOf(link).ready(options.timeouts, capabilities);
  if (hello.error === undefined) return link;
  void link.peer.close();
  throw new ProxyError(hello.error.code, hello.error.message, (hello.error.data as Record<string, unknown> | undefined) ?? { upstream: link.name });
}

/** A bridge link's upstream side (every link `BridgeRouteHost.open` opens has one). */
const bridgeOf = (link: Link): LegacyUpstreamBridge => link.protocol as LegacyUpstreamBridge;
