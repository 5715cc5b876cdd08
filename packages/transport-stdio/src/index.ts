export { reapChildren, liveChildren } from './child-registry.js';
export { MINIMAL_ENV_NAMES, type InheritEnv } from './child-env.js';
export { serveStdio, type StdioServer, type StdioServerOptions } from './serve-stdio.js';
export { stdioUpstream, type StdioUpstreamOptions } from './stdio-upstream.js';
