export { createSseHandler, type SseHandler, type SseHandlerOptions } from './handler.js';
export { serveSse, type ServeSseOptions, type SseServer } from './serve.js';
export { sseUpstream, type SseUpstreamChannel, type SseUpstreamOptions } from './sse-upstream.js';
export { urlUpstream, type UrlUpstreamOptions } from './url-upstream.js';
export type { UrlTransport } from './auto-channel.js';
