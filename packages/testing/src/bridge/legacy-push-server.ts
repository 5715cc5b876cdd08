import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

/** What the push tools of `createLegacyPushServer` saw, for tests to check. */
export interface PushRecord {
  /** Calls whose signal aborted (the proxy cancelled them). */
  cancelled: string[];
  /** Push requests that failed, with the error message the tool saw. */
  refused: string[];
  /** `subscribe <uri>` and `unsubscribe <uri>`, in the order the server heard them. */
  subscriptions?: string[];
}

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

/**
 * A 2025-era server (SDK 1.x) that asks its client for input the old way,
 * with requests sent during a call: one elicitation, two in sequence, three
 * kinds at once, and one that tolerates a refusal. It logs at every level
 * during `noisy` and supports resource subscriptions, for bridge tests.
 */
export function createLegacyPushServer(record: PushRecord = { cancelled: [], refused: [] }): McpServer {
  const server = new McpServer(
    { name: 'legacy-push', version: '1.0.0' },
    { capabilities: { logging: {}, resources: { subscribe: true } }, instructions: 'a 2025-era server that pushes requests' },
  );
  const watch = (name: string, signal: AbortSignal) => signal.addEventListener('abort', () => record.cancelled.push(name), { once: true });
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's handler extra, whose generic type is long to spell
  const elicit = (extra: any, message: string, field: string) =>
    extra.sendRequest(
      {
        method: 'elicitation/create',
        params: { message, requestedSchema: { type: 'object', properties: { [field]: { type: 'string' } }, required: [field] } },
      },
      ElicitResultSchema,
    );

  server.registerTool('ask_name', { description: 'one elicitation' }, async (extra) => {
    watch('ask_name', extra.signal);
    const answer = await elicit(extra, 'What is your name?', 'name');
    return text(answer.action === 'accept' ? `Hello, ${String(answer.content?.name)}!` : `no name (${answer.action})`);
  });
  server.registerTool('two_rounds', { description: 'two elicitations in sequence' }, async (extra) => {
    watch('two_rounds', extra.signal);
    const name = await elicit(extra, 'Name?', 'name');
    const color = await elicit(extra, 'Colour?', 'color');
    return text(`${String(name.content?.name)} likes ${String(color.content?.color)}`);
  });
  server.registerTool('all_at_once', { description: 'elicitation, sampling and roots at once' }, async (extra) => {
    watch('all_at_once', extra.signal);
    const [name, sample, roots] = await Promise.all([
      elicit(extra, 'Name?', 'name'),
      extra.sendRequest(
        { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 } },
        CreateMessageResultSchema,
      ),
      extra.sendRequest({ method: 'roots/list' }, ListRootsResultSchema),
    ]);
    const said = sample.content.type === 'text' ? sample.content.text : '?';
    return text(`${said} ${String(name.content?.name)} (${roots.roots.length} root(s))`);
  });
  server.registerTool('tolerant', { description: 'asks for sampling, goes on without it' }, async (extra) => {
    try {
      const sample = await extra.sendRequest(
        { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 } },
        CreateMessageResultSchema,
      );
      return text(`sampled ${sample.content.type}`);
    } catch (err) {
      record.refused.push(err instanceof Error ? err.message : String(err));
      return text('went on without sampling');
    }
  });
  server.registerTool('insists', { description: 'fails without sampling' }, async (extra) => {
    await extra.sendRequest(
      { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 } },
      CreateMessageResultSchema,
    );
    return text('sampled');
  });
  server.registerTool('noisy', { description: 'logs at debug, info and error' }, async (extra) => {
    for (const level of ['debug', 'info', 'error'] as const) {
      await extra.sendNotification({ method: 'notifications/message', params: { level, data: `at ${level}` } });
    }
    return text('done');
  });
  server.registerPrompt('needs_sampling', { description: 'fails without sampling' }, async (extra) => {
    const sample = await extra.sendRequest(
      { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 10 } },
      CreateMessageResultSchema,
    );
    return { messages: [{ role: 'user', content: { type: 'text', text: sample.model } }] };
  });
  server.registerResource('watched', 'test://watched', { mimeType: 'text/plain' }, (uri) => ({ contents: [{ uri: uri.href, text: 'w' }] }));
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    record.subscriptions?.push(`subscribe ${request.params.uri}`);
    // Tells the subscriber at once, so a test sees an update reach it.
    setImmediate(() => void server.server.sendResourceUpdated({ uri: request.params.uri }));
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    record.subscriptions?.push(`unsubscribe ${request.params.uri}`);
    return {};
  });
  return server;
}
