export { createFixtureServer, FIXTURE_SERVER_INFO } from './fixture/server.js';
export { JSON_SCHEMA_2020_12_INPUT } from './fixture/tools.js';
export { createInMemoryEventStore } from './fixture/event-store.js';
export { startFixtureHttpServer } from './fixture/http-server.js';
export type { FixtureHttpServer, FixtureHttpOptions } from './fixture/http-server.js';
export { eventually, isAlive } from './processes.js';
export { asTransport, memoryClient, memoryUpstream, type MemoryUpstream } from './memory.js';
export { heldMemory } from './memory-held.js';
export { rawSocket, type Closes } from './raw-socket.js';
export { Teardown, deferred, until, settle, type Deferred } from './teardown.js';
export { recordingLogger, logText, type LogLine } from './recording-logger.js';
export {
  raw,
  post,
  initialize,
  openSse,
  MCP_ACCEPT,
  type RawRequest,
  type RawResponse,
  type SseEvent,
  type SseStream,
} from './raw-http.js';
export { connectSdkClient, textOf } from './sdk-client.js';
export { createModernFixtureServer, createFixtureStateCodec, MODERN_FIXTURE_SERVER_INFO } from './modern-fixture/server.js';
export { startModernFixtureHttpServer } from './modern-fixture/http-server.js';
export type { ModernFixtureHttpServer, ModernFixtureHttpOptions } from './modern-fixture/http-server.js';
export { MODERN_REVISION, modernMessage, modernHeaders, postModern, type ModernReply, type ModernRequestOptions } from './modern-fixture/wire.js';
export { modernClient, modernUpstream, toolList, whenTrue, type Handler, type ModernClient, type ScriptedUpstream } from './modern-memory.js';
export { createLegacyPushServer, type PushRecord } from './bridge/legacy-push-server.js';
export { selfSignedCertificate, startIssuer, unsignedToken, type IssuerKey, type TestIssuer } from './issuer.js';
export { createRootsCacheServer } from './bridge/roots-cache-server.js';
export { startAuthServer, type AuthServerOptions, type Grant, type Misbehaviour, type TestAuthServer, type TestClient } from './oauth/auth-server.js';
export { startProtectedUpstream, type ProtectedUpstream, type ProtectedUpstreamOptions } from './oauth/protected-upstream.js';
export { startRedis, type TestRedis } from './redis.js';
export { startHaproxy, type HaproxyBackend, type TestHaproxy } from './haproxy.js';
export { freePort } from './ports.js';
export { answeringChannel, initializedChannel } from './raw-channel.js';
export { COUNTING_CLI, createCountingServer, readCounts, startCountingHttpServer, type CountLine } from './replicas/index.js';
