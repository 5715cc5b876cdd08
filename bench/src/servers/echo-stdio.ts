// The echo server on stdin/stdout: the upstream of every proxied target.
// Usage: node dist/servers/echo-stdio.js [--tools N]
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createEchoServer, extraToolsFromArgv } from './echo-server.js';

const server = createEchoServer(extraToolsFromArgv(process.argv.slice(2)));
await server.connect(new StdioServerTransport());
process.stdin.once('end', () => process.exit(0));
