// The server face: serve a proxy over Streamable HTTP (2025-era sessions and 2026-07-28 requests on one endpoint).
export {
  createStreamableHttpHandler,
  serveStreamableHttp,
  type HttpServer,
  type MountedHandler,
  type ReplicaFace,
  type ServeStreamableHttpOptions,
  type StreamableHttpEndpoint,
} from './face/serve.js';
export { sessionRefusal, type SessionRefusal } from './face/principal-share.js';
// Several replicas behind one load balancer: the store's interfaces and what the face does with them.
export { FORWARDED_HEADER, NOT_HERE_HEADER, type ForwardOutcome } from './face/replicas/forward.js';
export type { ReplicaOptions } from './face/replicas/router.js';
export { defaultEventStoreLimits, EventBudget, type EventStoreLimits } from './face/sessions/event-store.js';
export { createEventStore, type SessionEventStore } from './face/sessions/sdk-event-store.js';
// The HTTP plumbing every HTTP transport of the proxy shares (the legacy SSE one builds on it).
export { HOPS_HEADER, hopsFromHeader, hopsHeader, parseHopsHeader } from './http/hops.js';
export { TRACE_KEYS, traceFromHeaders, traceHeaders, traceValue } from './http/trace-context.js';
export { createHostGuard, type HostGuard, type HostGuardOptions } from './http/host-guard.js';
export { HttpErrorCode, sendJsonRpcError, sendLimitReply, targetOf, type Target } from './http/replies.js';
export { discardBody, readJsonBody, type BodyRefusal, type BodyResult } from './http/body.js';
export { answerFailure, listenHttp, type HttpListener, type ListenHttpOptions, type TlsMaterial } from './http/listen.js';
export { createFront, principalOf, type FrontOptions, type HttpAuthenticator, type HttpAuthOutcome } from './http/front.js';
export { createCors, type Cors, type CorsOptions } from './http/cors.js';
export { writeOrCut } from './http/sse-writes.js';
// The 2026-07-28 request metadata headers (value encoding, x-mcp-header annotations), which both sides speak.
export { encodeHeaderValue, headerAnnotationsOf, mirroredHeaders, standardHeaders, type HeaderAnnotations, type HeaderParam } from './http/mcp-headers.js';
// The client toward HTTP upstreams (the legacy SSE client builds on it).
export { streamableHttpUpstream, type StreamableHttpUpstreamOptions } from './client/upstream.js';
export type { UpstreamChannel } from './client/upstream-channel.js';
export {
  checkHeadersFor,
  credentialsAnswer,
  CredentialsFailure,
  LinkCredentials,
  type CredentialsRpcError,
  type UpstreamCredentials,
} from './client/credentials.js';
export { parseUpstreamUrl, type UpstreamUrl } from './client/upstream-url.js';
export { HttpClient, rpcErrorIn, UnreachableError, UpstreamHttpError, type HttpClientOptions, type RpcError } from './client/http-client.js';
export type { Http2Mode } from './client/http2/h2-link.js';
export type { Http2Option } from './http/h2-face.js';
export { mediaType, readEvents, readText } from './client/read-body.js';
export { eventJson, SseParser, UpstreamTooLargeError, type SseEvent } from './client/sse-parser.js';
export { UpstreamHeaders } from './client/upstream-headers.js';
// The 2026-07-28 side of the upstream client: one POST per request, tools' header annotations.
export { MAX_ANNOTATED_TOOLS, ToolHeaders } from './client/modern/mcp-headers-tools.js';
export { isModernRefusal, ModernRequests, modernVersionOf, type ModernHost } from './client/modern/modern-upstream.js';
export { refusedAtTheDoor } from './http/door.js';
export { StoreUnavailable, type Replica, type SessionDirectory, type SessionEntry, type SharedEvent, type SharedEvents } from './face/replicas/directory.js';
