/** Whose token it is: core's `principalKey()` ('' for the upstream's own), which authorization server issued it, for which resource. */
export interface TokenKey {
  principal: string;
  issuer: string;
  resource: string;
}

/** Tokens as kept: never logged, never shown. */
export interface StoredTokens {
  accessToken: string;
  tokenType: string;
  /** ms since the epoch. */
  expiresAt?: number;
  refreshToken?: string;
  scope?: string;
  issuer: string;
}

/** Where per-user and exchanged tokens live (memory by default, an encrypted file when asked). */
export interface TokenStore {
  get(key: TokenKey): Promise<StoredTokens | undefined>;
  set(key: TokenKey, tokens: StoredTokens): Promise<void>;
  delete(key: TokenKey): Promise<void>;
}

/** A key as one string (JSON of the three parts, so no separator can make two keys collide). */
export const tokenKeyString = (key: TokenKey): string => JSON.stringify([key.principal, key.issuer, key.resource]);
