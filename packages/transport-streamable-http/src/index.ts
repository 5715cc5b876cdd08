export {
  createStreamableHttpHandler,
  serveStreamableHttp,
  type HttpServer,
  type MountedHandler,
  type ServeStreamableHttpOptions,
  type StreamableHttpEndpoint,
} from './serve.js';
export { hopsFromHeader } from './hops.js';
export { TRACE_KEYS, traceFromHeaders, traceHeaders, traceValue } from './trace-context.js';
export { streamableHttpUpstream, type StreamableHttpUpstreamOptions } from './upstream.js';
export type { UpstreamChannel } from './upstream-channel.js';
export { createEventStore, defaultEventStoreLimits, EventBudget, type EventStoreLimits, type SessionEventStore } from './event-store.js';
export { createHostGuard, type HostGuard, type HostGuardOptions } from './host-guard.js';
// The HTTP plumbing every HTTP transport of the proxy shares (the legacy SSE one builds on it).
export { HttpErrorCode, sendJsonRpcError, sendLimitReply, targetOf, type Target } from './replies.js';
export { discardBody, readJsonBody, type BodyRefusal, type BodyResult } from './body.js';
export { parseUpstreamUrl, type UpstreamUrl } from './upstream-url.js';
export { answerFailure, listenHttp, type HttpListener, type ListenHttpOptions, type TlsMaterial } from './listen.js';
export { createFront, principalOf, type FrontOptions, type HttpAuthenticator, type HttpAuthOutcome } from './front.js';
export { sessionRefusal, type SessionRefusal } from './principal-share.js';
export { createCors, type Cors, type CorsOptions } from './cors.js';
export { writeOrCut } from './sse-writes.js';
// The client plumbing of the proxy's HTTP upstreams (the legacy SSE client builds on it).
export { HttpClient, rpcErrorIn, UnreachableError, UpstreamHttpError, type RpcError } from './http-client.js';
export { mediaType, readEvents, readText } from './read-body.js';
export { SseParser, UpstreamTooLargeError, type SseEvent } from './sse-parser.js';
export { UpstreamHeaders } from './upstream-headers.js';
// The 2026-07-28 side of the upstream client: request metadata headers and x-mcp-header annotations.
export { encodeHeaderValue, headerAnnotationsOf, mirroredHeaders, standardHeaders, type HeaderAnnotations, type HeaderParam } from './mcp-headers.js';
export { MAX_ANNOTATED_TOOLS, ToolHeaders } from './mcp-headers-tools.js';
export { isModernRefusal, ModernRequests, modernVersionOf, type ModernHost } from './modern-upstream.js';
