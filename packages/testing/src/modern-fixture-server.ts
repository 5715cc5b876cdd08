#!/usr/bin/env node
// Serves the 2026-07-28 conformance fixture (built on the v2 MCP SDK) over
// stdio or Streamable HTTP; 2025-11-25 clients are served too:
//   modern-fixture-server --stdio
//   modern-fixture-server --http [--port N] [--host 127.0.0.1] [--path /mcp]
// (the command line is fixture-cli.ts's).
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { runFixtureCli } from './fixture-cli.js';
import { startModernFixtureHttpServer } from './modern-fixture/http-server.js';
import { createFixtureStateCodec, createModernFixtureServer } from './modern-fixture/server.js';

runFixtureCli({
  name: 'modern-fixture',
  async stdio(log, extras) {
    if (extras.aggregation === true) throw new Error('--aggregation: the modern fixture has no extras; tasks are modern-task-server.js');
    const codec = createFixtureStateCodec();
    // serveStdio picks the era from the opening message and pins one instance.
    const handle = serveStdio(() => createModernFixtureServer({ codec }), { onerror: (error) => log(`stdio: ${error.message}`) });
    return () => handle.close();
  },
  http: (options) => startModernFixtureHttpServer(options),
});
