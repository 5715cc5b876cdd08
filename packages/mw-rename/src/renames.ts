import type { Params } from '@mcproxy/core';
import { newNameOf, type RenameTable } from './options.js';

/** What an old name becomes in a list. */
interface Change {
  name: string;
  title: string | undefined;
  description: string | undefined;
}

/** What to do with a name a client sent: send this old name instead, refuse it, or let it through. */
export type Inbound = { to: string } | { refuse: true } | { pass: true };

/** A list item named like one of the new names but not renamed itself: hidden, so one name means one thing. */
export type OnShadow = (name: string, renamedFrom: string) => void;

/**
 * One kind's renames (tools or prompts), both ways: old → new for lists,
 * new → old for requests. Built once per middleware from its options.
 */
export class Renames {
  private readonly changes = new Map<string, Change>();
  private readonly toOld = new Map<string, string>();

  constructor(table: RenameTable | undefined) {
    for (const [old, e] of Object.entries(table ?? {})) {
      const name = newNameOf(old, e);
      const title = typeof e === 'string' ? undefined : e.title;
      const description = typeof e === 'string' ? undefined : e.description;
      this.changes.set(old, { name, title, description });
      this.toOld.set(name, old);
    }
  }

  /** Does this table give `old` another name? */
  renames(old: string): boolean {
    const change = this.changes.get(old);
    return change !== undefined && change.name !== old;
  }

  get empty(): boolean {
    return this.changes.size === 0;
  }

  /**
   * Maps a name from a client back to the upstream's. A renamed item answers
   * only to its new name: its old one is refused, as if it did not exist.
   */
  inbound(name: string): Inbound {
    const old = this.toOld.get(name);
    if (old !== undefined) return { to: old };
    if (this.changes.has(name)) return { refuse: true };
    return { pass: true };
  }

  /** Renames and rewrites the items of a list; hides an unrenamed item that a new name shadows. */
  outbound(items: unknown[], onShadow: OnShadow): unknown[] {
    return items.flatMap((item) => {
      if (typeof item !== 'object' || item === null) return [item];
      const it = item as Params;
      if (typeof it.name !== 'string') return [item];
      const change = this.changes.get(it.name);
      if (change !== undefined) {
        const out: Params = { ...it, name: change.name };
        if (change.title !== undefined) out.title = change.title;
        if (change.description !== undefined) out.description = change.description;
        return [out];
      }
      const renamedFrom = this.toOld.get(it.name);
      if (renamedFrom === undefined) return [item];
      onShadow(it.name, renamedFrom);
      return [];
    });
  }
}
