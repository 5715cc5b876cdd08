#!/usr/bin/env node
// Serves the 2025-11-25 conformance fixture over stdio or Streamable HTTP:
//   fixture-server --stdio
//   fixture-server --http [--port N] [--host 127.0.0.1] [--path /mcp]
// (the command line is fixture-cli.ts's).
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { runFixtureCli } from './fixture-cli.js';
import { startFixtureHttpServer } from './fixture/http-server.js';
import { createFixtureServer } from './fixture/server.js';

runFixtureCli({
  name: 'fixture',
  async stdio(_log, extras) {
    const server = createFixtureServer(extras);
    await server.connect(new StdioServerTransport());
    return () => server.close();
  },
  http: ({ era: _era, ...options }) => startFixtureHttpServer({ ...options, createServer: () => createFixtureServer(options) }),
});
