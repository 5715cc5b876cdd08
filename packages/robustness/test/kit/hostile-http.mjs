// A streamable HTTP MCP server for robustness tests, on node:http at
// 127.0.0.1, that does exactly what a test asks, including the wrong things.
// Imported, `startHostileHttp()` serves in this process; run as a script
// (`node hostile-http.mjs [port]`) it prints {"url": ...} on stdout, so a test
// can kill -9 it and start it again on the same port.
// Tools: echo, slow {ms}, hang, endless_sse, huge_json {bytes},
// flood_sse {count, bytes}, wrong_id, garbage {kind}.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const TOOLS = ['echo', 'slow', 'hang', 'endless_sse', 'huge_json', 'flood_sse', 'wrong_id', 'garbage'].map((name) => ({
  name,
  description: `hostile tool ${name}`,
  inputSchema: { type: 'object' },
}));

export const GARBAGE_KINDS = ['html-500', 'bad-json', 'sse-junk', 'array', 'no-type', 'empty-200', 'reset', 'wrong-type-json', 'sse-no-end'];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `res` drains or closes, without piling listeners on it. */
function drained(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes `chunk` until the peer goes away, waiting for drain: a body that never ends. */
async function writeForever(res, chunk, limitBytes = Infinity) {
  let sent = 0;
  while (!res.destroyed && sent < limitBytes) {
    sent += chunk.length;
    if (!res.write(chunk)) await drained(res);
  }
  return sent;
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const text = (id, value) => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: value }] } });

async function garbage(res, id, kind) {
  switch (kind) {
    case 'html-500':
      res.writeHead(500, { 'content-type': 'text/html' });
      return res.end('<html>oops</html>');
    case 'bad-json':
      return json(res, 200, '{"jsonrpc":"2.0","id":');
    case 'sse-junk':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: not json\n\n:comment\n\nevent: message\ndata: {"jsonrpc":"2.0","id":424242,"result":{}}\n\nretry: x\n\n');
      return res.end();
    case 'array':
      return json(res, 200, [1, 'two', { three: 3 }]);
    case 'no-type':
      res.writeHead(200);
      return res.end(JSON.stringify(text(id, 'no content type')));
    case 'empty-200':
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end();
    case 'reset':
      return res.socket?.destroy();
    case 'wrong-type-json':
      return json(res, 200, { jsonrpc: '2.0', id, result: 'not an object' });
    case 'sse-no-end':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}\n\n');
      return res.end();
    default:
      return json(res, 200, text(id, `unknown garbage ${kind}`));
  }
}

async function call(_req, res, id, name, a) {
  switch (name) {
    case 'echo':
      return json(res, 200, text(id, String(a.text ?? '')));
    case 'slow':
      await sleep(Number(a.ms ?? 1000));
      return json(res, 200, text(id, 'slow done'));
    case 'hang':
      return undefined;
    case 'endless_sse':
      // One SSE data line that never ends.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: {"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"x":"`);
      return writeForever(res, Buffer.alloc(64 * 1024, 'x'));
    case 'huge_json': {
      const bytes = Number(a.bytes ?? 600 * 1024 * 1024);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`);
      await writeForever(res, Buffer.alloc(64 * 1024, 'h'), bytes);
      return res.end('"}]}}');
    }
    case 'flood_sse': {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const data = 'f'.repeat(Number(a.bytes ?? 100));
      for (let i = 0; i < Number(a.count ?? 1000) && !res.destroyed; i++) {
        const note = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `${i}:${data}` } };
        if (!res.write(`event: message\ndata: ${JSON.stringify(note)}\n\n`)) await drained(res);
      }
      return res.end(`event: message\ndata: ${JSON.stringify(text(id, 'flood done'))}\n\n`);
    }
    case 'wrong_id':
      return json(res, 200, text(typeof id === 'number' ? id + 1000 : `${id}-wrong`, 'wrong id'));
    case 'garbage':
      return garbage(res, id, String(a.kind ?? 'html-500'));
    default:
      return json(res, 200, { jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool: ${name}` } });
  }
}

/**
 * Starts the hostile upstream on 127.0.0.1 (`port` 0 picks one). It knows
 * only the sessions it created, so after a restart an old session id gets 404.
 */
export async function startHostileHttp(port = 0) {
  const sessions = new Set();
  const stats = { posts: 0, initializes: 0 };
  const server = createServer(async (req, res) => {
    res.on('error', () => {});
    if (req.method === 'DELETE') {
      sessions.delete(req.headers['mcp-session-id']);
      res.writeHead(200);
      return res.end();
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST, DELETE' });
      return res.end();
    }
    stats.posts += 1;
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > 1024 * 1024) {
        res.writeHead(413);
        return res.end();
      }
      chunks.push(chunk);
    }
    let message;
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    }
    const { id, method, params } = message;
    if (method === 'initialize') {
      stats.initializes += 1;
      const sid = randomUUID();
      sessions.add(sid);
      return json(
        res,
        200,
        {
          jsonrpc: '2.0',
          id,
          result: {
            protocolVersion: params?.protocolVersion ?? '2025-06-18',
            capabilities: { tools: {} },
            serverInfo: { name: 'hostile-http', version: '1.0.0' },
          },
        },
        { 'mcp-session-id': sid },
      );
    }
    if (!sessions.has(req.headers['mcp-session-id']))
      return json(res, 404, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
    if (id === undefined || method === undefined) {
      res.writeHead(202);
      return res.end();
    }
    if (method === 'ping') return json(res, 200, { jsonrpc: '2.0', id, result: {} });
    if (method === 'tools/list') return json(res, 200, { jsonrpc: '2.0', id, result: { tools: TOOLS } });
    if (method === 'tools/call') return call(req, res, id, params?.name, params?.arguments ?? {});
    return json(res, 200, { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${address.port}/mcp`,
    port: address.port,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startHostileHttp(Number(process.argv[2] ?? '0'));
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
}
