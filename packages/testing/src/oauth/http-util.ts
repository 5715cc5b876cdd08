import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY = 256 * 1024;

/** The request body as text, refused past 256 KiB (the test servers take hostile input too). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }).end(JSON.stringify(body));
}

/** An OAuth error answer (RFC 6749 §5.2). */
export function oauthError(res: ServerResponse, status: number, error: string, description?: string): void {
  sendJson(res, status, { error, ...(description === undefined ? {} : { error_description: description }) });
}

/** `http://127.0.0.1:<port>` of a listening server. */
export function originOf(address: unknown): string {
  return `http://127.0.0.1:${(address as { port: number }).port}`;
}
