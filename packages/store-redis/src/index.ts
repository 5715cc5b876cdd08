// mcproxy's shared store on Redis (or Valkey): what several replicas of one deployment share.
export { connectRedisStore, type RedisStore, type RedisStoreOptions } from './store.js';
export type { RedisRateBuckets } from './rate-buckets.js';
export type { SharedEventsOptions } from './events.js';
export { redactedUrl } from './url.js';
export type { StoreNews } from './news.js';
export type { KeyRingOptions, SharedKeyRing } from './key-ring.js';
