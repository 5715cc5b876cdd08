// The face: a proxy served on stdin/stdout.
export { serveStdio, type StdioServer, type StdioServerOptions } from './face/serve-stdio.js';
// Upstreams as child processes: one spawned per link, each tracked until it exits.
export { stdioUpstream, type StdioUpstreamOptions } from './upstream/stdio-upstream.js';
export { reapChildren, liveChildren } from './upstream/child-registry.js';
export { MINIMAL_ENV_NAMES, type InheritEnv } from './upstream/child-env.js';
