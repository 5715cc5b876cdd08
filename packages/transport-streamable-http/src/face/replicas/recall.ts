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
  private readonly entries = new Map<string, Known<SessionEntry>>();
  private readonly replicas = new Map<string, Known<Replica>>();

  constructor(private readonly directory: SessionDirectory) {}

  lookup(sessionId: string, cached = false): Promise<SessionEntry | undefined> {
    return recalled(this.entries, sessionId, cached, () => this.directory.lookup(sessionId));
  }

  replica(replicaId: string, cached = false): Promise<Replica | undefined> {
    return recalled(this.replicas, replicaId, cached, () => this.directory.replica(replicaId));
  }
}

interface Known<T> {
  value: T;
  at: number;
}

/** `ask`'s answer, remembered; or what was remembered, when fresh enough and allowed, or when the store cannot be reached. */
async function recalled<T>(map: Map<string, Known<T>>, key: string, cached: boolean, ask: () => Promise<T | undefined>): Promise<T | undefined> {
  const known = map.get(key);
  if (cached && known !== undefined && Date.now() - known.at < FRESH_MS) return known.value;
  try {
    const value = await ask();
    map.delete(key);
    if (value !== undefined) {
      map.set(key, { value, at: Date.now() });
      if (map.size > MAX_REMEMBERED) map.delete(map.keys().next().value as string);
    }
    return value;
  } catch (err) {
    if (err instanceof StoreUnavailable && known !== undefined && Date.now() - known.at < STANDS_FOR_MS) return known.value;
    throw err;
  }
}
