// A transparent relay in front of a stdio MCP server, for tests that must see
// what reached the server: `node stdio-tap.mjs <command> [args...]` runs the
// command, hands it our stdin line by line and lets it write to our stdout and
// stderr directly. For each `tools/call` and `notifications/cancelled` that
// passes, and once for the server's pid, it writes one JSON line to stderr
// (`{"tap": ...}`); mcproxy logs every stderr line of its child, so a test
// reads them from mcproxy's log. Stdin ending and SIGTERM/SIGINT are passed on.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  process.stderr.write('usage: stdio-tap <command> [args...]\n');
  process.exit(2);
}
const child = spawn(command, args, { stdio: ['pipe', 'inherit', 'inherit'] });
const tap = (kind, fields) => process.stderr.write(`${JSON.stringify({ tap: kind, ...fields })}\n`);
tap('spawned', { pid: child.pid });

createInterface({ input: process.stdin })
  .on('line', (line) => {
    try {
      const message = JSON.parse(line);
      if (message.method === 'tools/call') tap('call', { id: message.id, name: message.params?.name, arguments: message.params?.arguments });
      if (message.method === 'notifications/cancelled') tap('cancelled', { requestId: message.params?.requestId });
    } catch {
      // not ours to judge: the server answers what it cannot parse
    }
    child.stdin.write(`${line}\n`);
  })
  .on('close', () => child.stdin.end());
child.stdin.on('error', () => {});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
