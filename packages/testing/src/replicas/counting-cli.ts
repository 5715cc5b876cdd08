#!/usr/bin/env node
// The counting fixture as a stdio child, one per client session of a replica:
//   counting-cli --file <count file> [--upstream <name>]
// Writes a `start` line with its pid first, so a test counts children; stdout
// is the MCP channel, diagnostics go to stderr. Exits when stdin ends (its
// replica is gone) or on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createCountingServer, writeCount } from './counting-server.js';

const { values } = parseArgs({ options: { file: { type: 'string' }, upstream: { type: 'string' } }, strict: true });
if (values.file === undefined) {
  process.stderr.write('usage: counting-cli --file <count file> [--upstream <name>]\n');
  process.exit(2);
}
const file = values.file;
const upstream = values.upstream ?? 'local';
writeCount(file, { kind: 'start', upstream, pid: process.pid });
const server = createCountingServer({ file, upstream, via: () => `pid:${process.pid}` });
const stop = (): void => {
  void server.close().finally(() => process.exit(0));
};
process.stdin.once('end', stop);
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
await server.connect(new StdioServerTransport());
