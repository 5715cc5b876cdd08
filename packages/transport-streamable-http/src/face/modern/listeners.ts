import type { Listeners } from '@mcproxy/core';

/**
 * The open `subscriptions/listen` streams of one face, counted per principal
 * in this process's memory: a principal's entry lasts while it holds a
 * stream. What the face uses unless it is given other `Listeners`.
 */
export class MemoryListeners implements Listeners {
  private readonly held = new Map<string, number>();

  open(key: string, max: number): boolean {
    const held = this.held.get(key) ?? 0;
    if (held >= max) return false;
    this.held.set(key, held + 1);
    return true;
  }

  close(key: string): void {
    const left = (this.held.get(key) ?? 1) - 1;
    if (left > 0) this.held.set(key, left);
    else this.held.delete(key);
  }
}
