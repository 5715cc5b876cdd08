import { randomBytes } from 'node:crypto';
import type { UrlElicitation } from './elicitations.js';

/** Every requestState of ours starts with this, so a state of the bridge's or an upstream's is passed on untouched. */
export const STATE_PREFIX = 'mcproxy-consent.';

/** What a consent round remembers until its retry. */
export interface ConsentRound {
  /** `principalKey()` of who was asked, or undefined where nothing authenticates. */
  principal: string | undefined;
  /** The request it answered: only a retry of the same method and name may use it. */
  method: string;
  name: string;
  elicitations: UrlElicitation[];
  expires: number;
}

/** What a requestState of ours turned out to be. */
export type Lookup = { round: ConsentRound } | { refused: string } | { unknown: true };

/**
 * The consent rounds waiting for their retries, by requestState: random
 * (nothing in it to forge), one use, bound to the principal and request,
 * bounded in number (oldest dropped first) and in time.
 */
export class ConsentStates {
  private readonly rounds = new Map<string, ConsentRound>();

  constructor(
    private readonly maxRounds: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.rounds.size;
  }

  /** Keeps a round; the requestState that names it. */
  open(round: Omit<ConsentRound, 'expires'>, now = Date.now()): string {
    this.sweep(now);
    while (this.rounds.size >= this.maxRounds) this.rounds.delete(this.rounds.keys().next().value as string);
    const state = `${STATE_PREFIX}${randomBytes(24).toString('base64url')}`;
    this.rounds.set(state, { ...round, expires: now + this.ttlMs });
    return state;
  }

  /**
   * Takes the round `state` names (once). A round of another principal or
   * request is refused and stays for its owner; one we no longer hold
   * (expired, dropped, never ours) is `unknown`.
   */
  take(state: string, who: Omit<ConsentRound, 'expires' | 'elicitations'>, now = Date.now()): Lookup {
    const round = this.rounds.get(state);
    if (round === undefined || round.expires <= now) {
      this.rounds.delete(state);
      return { unknown: true };
    }
    if (round.principal !== who.principal) return { refused: 'it was given to another principal' };
    if (round.method !== who.method || round.name !== who.name) return { refused: `it was given for another request (${round.method} ${round.name})` };
    this.rounds.delete(state);
    return { round };
  }

  /** Drops expired rounds; Map order is insertion order, and every round lives as long, so the oldest come first. */
  private sweep(now: number): void {
    for (const [state, round] of this.rounds) {
      if (round.expires > now) break;
      this.rounds.delete(state);
    }
  }
}
