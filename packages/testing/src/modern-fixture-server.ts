#!/usr/bin/env node
// Serves the 2026-07-28 conformance fixture (built on the v2 MCP SDK) over
// stdio or Streamable HTTP; 2025-11-25 clients are served too:
//   modern-fixture-server --stdio [--era both|modern|legacy]
//   modern-fixture-server --http [--port N] [--host 127.0.0.1] [--path /mcp] [--era both|modern|legacy]
// (the command line is fixture-cli.ts's). --era modern refuses 2025-era
// clients (a modern-only server); --era legacy refuses 2026-07-28 requests
// and server/discover (over HTTP: one stateful session per initialize), so
// the same tools are served the 2025 way: the SDK turns each input_required round into requests pushed to
// the client during the call, one round after another.
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { legacyOnly } from './modern-fixture/legacy-only.js';
import { runFixtureCli } from './fixture-cli.js';
import { startModernFixtureHttpServer } from './modern-fixture/http-server.js';
import { createFixtureStateCodec, createModernFixtureServer } from './modern-fixture/server.js';

runFixtureCli({
  name: 'modern-fixture',
  eras: ['both', 'modern', 'legacy'],
  async stdio(log, extras) {
    if (extras.aggregation === true) throw new Error('--aggregation: the modern fixture has no extras; tasks are modern-task-server.js');
    const era = extras.era;
    const codec = createFixtureStateCodec();
    // serveStdio picks the era from the opening message and pins one instance.
    const handle = serveStdio(() => createModernFixtureServer({ codec }), {
      onerror: (error) => log(`stdio: ${error.message}`),
      legacy: era === 'modern' ? 'reject' : 'serve',
      ...(era === 'legacy' ? { transport: legacyOnly(new StdioServerTransport()) } : {}),
    });
    return () => handle.close();
  },
  http: (options) => startModernFixtureHttpServer(options),
});
