export { serveStreamableHttp, type HttpServer, type MountedHandler, type ServeStreamableHttpOptions } from './serve.js';
export { fetchWithHops, hopsFromHeader } from './hops.js';
export { streamableHttpUpstream, type StreamableHttpUpstreamOptions } from './upstream.js';
export type { UpstreamChannel } from './upstream-channel.js';
export { createEventStore, defaultEventStoreLimits, type EventStoreLimits } from './event-store.js';
export { createHostGuard, type HostGuard, type HostGuardOptions } from './host-guard.js';
