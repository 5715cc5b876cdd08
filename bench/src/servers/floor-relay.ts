// The floor of a proxy hop in Node: a bare node:http server that relays each
// request, as one JSON line, to a bare child over stdio (`--stdio`) or, with
// keep-alive, to an HTTP server (`--upstream URL`: the floor server, or a
// 2026-07-28 server, for which the request's MCP headers go along and an
// answer in an event stream is read from its data line), maps the id back
// and answers. Nothing of MCP beyond what the bench's client needs,
// no limits, no isolation, no deadlines: the least any HTTP → stdio or
// HTTP → HTTP proxy can do per request, to measure mcproxy against (issue 24).
// Usage: node dist/servers/floor-relay.js --port N (--stdio | --upstream URL)
//        node dist/servers/floor-relay.js --child   (the bare stdio server)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const argv = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => {
  const at = argv.indexOf(flag);
  return at >= 0 ? argv[at + 1] : undefined;
};

/** What a 2026-07-28 server reads from the headers (and refuses a request without). */
const MCP_HEADERS = ['mcp-protocol-version', 'mcp-method', 'mcp-name'] as const;

interface Incoming {
  id?: number | string;
  method?: string;
  params?: { arguments?: { text?: unknown } };
}

if (argv.includes('--child')) {
  // The bare stdio server: one JSON line in, one JSON line out.
  let rest = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    let out = '';
    for (const line of lines) {
      if (line === '') continue;
      const m = JSON.parse(line) as Incoming;
      const text = m.params?.arguments?.text;
      out += `${JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: typeof text === 'string' ? text : '' }] } })}\n`;
    }
    if (out !== '') process.stdout.write(out); // lint-allow: this child is its own stdio transport
  });
  process.stdin.once('end', () => process.exit(0));
} else {
  const upstream = valueOf('--upstream');
  const pending = new Map<number, { id: number | string | undefined; res: ServerResponse }>();
  let next = 0;
  const answer = (res: ServerResponse, body: string): void => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  // One answer line (or body) from upstream: its id back to the client's.
  const back = (text: string): void => {
    const m = JSON.parse(text) as { id: number; result?: unknown };
    const waiting = pending.get(m.id);
    if (waiting === undefined) return;
    pending.delete(m.id);
    answer(waiting.res, JSON.stringify({ jsonrpc: '2.0', id: waiting.id, result: m.result }));
  };
  let send: (line: string, from: IncomingHttpHeaders) => void;
  if (upstream === undefined) {
    const child = spawn(process.execPath, [process.argv[1] as string, '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line !== '') back(line);
    });
    send = (line) => void child.stdin.write(`${line}\n`);
    process.once('exit', () => child.kill());
  } else {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const target = new URL(upstream);
    send = (line, from) => {
      const headers: OutgoingHttpHeaders = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
      for (const name of MCP_HEADERS) if (from[name] !== undefined) headers[name] = from[name];
      const req = request(target, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          // An event stream's answer is its last data line (the bench's answers are one line of JSON).
          back(res.headers['content-type']?.startsWith('text/event-stream') === true ? (/^data: ?(.*)$/m.exec(text)?.[1] ?? '') : text);
        });
      });
      req.end(line);
    };
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Incoming;
      if (message.id === undefined) return void res.writeHead(202).end();
      if (message.method === 'initialize') {
        res.setHeader('Mcp-Session-Id', randomUUID());
        return answer(
          res,
          JSON.stringify({
            jsonrpc: '2.0',
            id: message.id,
            result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'bench-floor-relay', version: '1.0.0' } },
          }),
        );
      }
      const ours = next++;
      pending.set(ours, { id: message.id, res });
      send(JSON.stringify({ ...message, id: ours }), req.headers);
    });
  });
  server.listen(Number(valueOf('--port') ?? 0), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stderr.write(`${JSON.stringify({ msg: 'ready', url: `http://127.0.0.1:${port}/mcp` })}\n`);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => server.close(() => process.exit(0)));
}
