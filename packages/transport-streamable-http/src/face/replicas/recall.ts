import { StoreUnavailable, type Replica, type SessionDirectory, type SessionEntry } from './directory.js';

/** How long an answer of the store stands in for it while it cannot be reached. */
const STANDS_FOR_MS = 60_000;
/** How long an answer is taken as it is, without asking again: a busy session's calls cost the store nothing in between. */
const FRESH_MS = 1000;
/** Sessions and replicas remembered; the least recently asked go first. */
const MAX_REMEMBERED = 10_000;

/**
 * The store's last answers about sessions and replicas: taken as they are
 * for `FRESH_MS` when the caller allows (the first look of a request), and
 * while the store cannot be reached for up to a minute, so a session whose
 * owner is known goes on being forwarded to it through a short outage. A
 * wrong recollection costs one forward: the owner answers "not here" or
 * cannot be reached, and the request is looked up again, asking the store.
 */
export class Recall {
  private readonly entries = new Map<string, { entry: SessionEntry; at: number }>();
  private readonly replicas = new Map<string, { replica: Replica; at: number }>();

  constructor(private readonly directory: SessionDirectory) {}

  async lookup(sessionId: string, cached = false): Promise<SessionEntry | undefined> {
    const known = this.entries.get(sessionId);
    if (cached && known !== undefined && Date.now() - known.at < FRESH_MS) return known.entry;
    try {
      const entry = await this.directory.lookup(sessionId);
      if (entry === undefined) this.entries.delete(sessionId);
      else remember(this.entries, sessionId, { entry, at: Date.now() });
      return entry;
    } catch (err) {
      if (err instanceof StoreUnavailable && known !== undefined && Date.now() - known.at < STANDS_FOR_MS) return known.entry;
      throw err;
    }
  }

  async replica(replicaId: string, cached = false): Promise<Replica | undefined> {
    const known = this.replicas.get(replicaId);
    if (cached && known !== undefined && Date.now() - known.at < FRESH_MS) return known.replica;
    try {
      const replica = await this.directory.replica(replicaId);
      if (replica === undefined) this.replicas.delete(replicaId);
      else remember(this.replicas, replicaId, { replica, at: Date.now() });
      return replica;
    } catch (err) {
      if (err instanceof StoreUnavailable && known !== undefined && Date.now() - known.at < STANDS_FOR_MS) return known.replica;
      throw err;
    }
  }
}

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
}
