/** What the eras offer middleware and transports: the 2026-07-28 wire's names and helpers, the seal, listen acknowledgements, probes (re-exported by core's index). */
export {
  acknowledgement,
  CACHEABLE_METHODS,
  discoveryOf,
  envelopeVersion,
  hasEnvelope,
  LEGACY_RESOURCE_NOT_FOUND,
  LEGACY_VERSIONS,
  listenerWants,
  listenFilterOf,
  LOG_LEVELS,
  logLevelAllows,
  McpErrorCode,
  META,
  MODERN_VERSION,
  MODERN_VERSIONS,
  modernReply,
  MRTR_METHODS,
  readEnvelope,
  REMOVED_METHODS,
  subscriptionIdOf,
  tagged,
  TASKS_EXTENSION,
  unsupportedVersion,
  withEnvelope,
  withoutEnvelope,
  type Discovery,
  type ListenFilter,
} from './modern/modern.js';
export { acknowledgeListen, type ListenAck } from './modern/listen-ack.js';
export { mac, Seal, signedByAny, type SealFailure } from './modern/seal.js';
export { PROBE_SESSION_ID, type ProbeResult } from './probe.js';
