import { connect, type Socket } from 'node:net';
import { rawHttp } from './clients.js';

const sockets: Socket[] = [];

/** Closes every stream `openSseStream` opened. */
export function closeSseStreams(): void {
  for (const s of sockets.splice(0)) s.destroy();
}

/** Opens a streamable HTTP session with raw requests and returns its id (for fuzz cases that use a live one). */
export async function rawSession(url: string): Promise<string> {
  const { port, pathname, host } = new URL(url);
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  const answer = await rawHttp(
    Number(port),
    [
      `POST ${pathname} HTTP/1.1`,
      `Host: ${host}`,
      'Content-Type: application/json',
      'Accept: application/json, text/event-stream',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
  const id = /^mcp-session-id: *(.+)$/im.exec(answer.head)?.[1]?.trim();
  if (answer.status !== 200 || id === undefined) throw new Error(`initialize failed: ${answer.status} ${answer.head}`);
  await postOnSession(url, id, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return id;
}

/** A POST of one JSON-RPC message on a live session, as raw bytes. */
export function rawPost(url: string, sessionId: string, message: unknown): string {
  const { pathname, host } = new URL(url);
  const body = JSON.stringify(message);
  return [
    `POST ${pathname} HTTP/1.1`,
    `Host: ${host}`,
    'Content-Type: application/json',
    'Accept: application/json, text/event-stream',
    `Mcp-Session-Id: ${sessionId}`,
    'MCP-Protocol-Version: 2025-06-18',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** Opens a legacy SSE stream with a raw socket (read and discarded) and resolves with its messages path. */
export function openSseStream(port: number, host: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no endpoint event within 15 s: ${text.slice(0, 300)}`)), 15_000);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (text.length > 10_000) return;
      text += chunk.toString('latin1');
      const endpoint = /event: endpoint\r?\ndata: ([^\r\n]+)/.exec(text)?.[1];
      if (endpoint !== undefined) {
        clearTimeout(timer);
        resolve(endpoint);
      }
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`);
  });
}

/** POSTs `body` as is on the 2025-era session `sessionId` with raw HTTP, with the headers a client sends. */
export function postOnSession(url: string, sessionId: string, body: string): ReturnType<typeof rawHttp> {
  const { port, pathname, host } = new URL(url);
  return rawHttp(
    Number(port),
    [
      `POST ${pathname} HTTP/1.1`,
      `Host: ${host}`,
      'Content-Type: application/json',
      'Accept: application/json, text/event-stream',
      `Mcp-Session-Id: ${sessionId}`,
      'MCP-Protocol-Version: 2025-06-18',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}
