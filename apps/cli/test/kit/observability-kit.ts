import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@mcproxy/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { checkPipeline } from '../../src/config/load.js';
import { startPipeline, type Running } from '../../src/serve/start.js';

/** A proxy started in this process from a pipeline written as an object; closed by the caller. */
export async function startProxy(raw: Record<string, unknown>): Promise<Running & { adminUrl: string }> {
  const running = await startPipeline(checkPipeline({ serve: { http: { port: 0 } }, ...raw }, 'test pipeline', false), silentLogger);
  if (running.adminUrl === undefined) throw new Error('the test pipeline has no admin listener');
  return running as Running & { adminUrl: string };
}

/** An SDK client over streamable HTTP, with extra headers on every request (e.g. traceparent). */
export async function httpClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'observability-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** A Prometheus text exposition as a map from `name{labels}` (labels as written) to value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string } }>;
  service: string;
}

/** A local OTLP/HTTP receiver (JSON encoding) that keeps every span it is sent. */
export async function otlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; server: Server; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const read = async (req: IncomingMessage): Promise<string> => {
    let body = '';
    for await (const chunk of req) body += chunk;
    return body;
  };
  const server = createServer((req, res) => {
    void read(req).then((body) => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
        const data = JSON.parse(body) as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ spans: Array<Omit<OtlpSpan, 'service'>> }>;
          }>;
        };
        for (const rs of data.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const attr = (span: OtlpSpan, key: string): string | undefined => span.attributes.find((a) => a.key === key)?.value.stringValue;
