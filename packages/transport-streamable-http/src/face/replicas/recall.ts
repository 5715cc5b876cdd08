import { StoreUnavailable, type Replica, type SessionDirectory, type SessionEntry } from './directory.js';

/** How long an answer of the store stands in for it while it cannot be reached. */
const STANDS_FOR_MS = 60_000;
/** Sessions and replicas remembered; the least recently asked go first. */
const MAX_REMEMBERED = 10_000;

/**
 * The store's last answers about sessions and replicas, used only while it
 * cannot be reached (and for at most a minute): a session whose owner is
 * known goes on being forwarded to it through a short outage. Every answer
 * is asked of the store first, so nothing here is ever fresher than it.
 * A wrong recollection costs one forward: the owner answers "not here" or
 * cannot be reached, and the request is looked up again.
 */
export class Recall {
  private readonly entries = new Map<string, { entry: SessionEntry; at: number }>();
  private readonly replicas = new Map<string, { replica: Replica; at: number }>();

  constructor(private readonly directory: SessionDirectory) {}

  async lookup(sessionId: string): Promise<SessionEntry | undefined> {
    try {
      const entry = await this.directory.lookup(sessionId);
      if (entry === undefined) this.entries.delete(sessionId);
      else remember(this.entries, sessionId, { entry, at: Date.now() });
      return entry;
    } catch (err) {
      const known = this.entries.get(sessionId);
      if (err instanceof StoreUnavailable && known !== undefined && Date.now() - known.at < STANDS_FOR_MS) return known.entry;
      throw err;
    }
  }

  async replica(replicaId: string): Promise<Replica | undefined> {
    try {
      const replica = await this.directory.replica(replicaId);
      if (replica === undefined) this.replicas.delete(replicaId);
      else remember(this.replicas, replicaId, { replica, at: Date.now() });
      return replica;
    } catch (err) {
      const known = this.replicas.get(replicaId);
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
