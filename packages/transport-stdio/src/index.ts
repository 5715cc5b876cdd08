export { reapChildren, liveChildren } from './child-registry.js';
export { serveStdio, type StdioServer, type StdioServerOptions } from './serve-stdio.js';
export { stdioUpstream, type StdioUpstreamOptions } from './stdio-upstream.js';
