import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Teardown } from './teardown.js';

/**
 * A real SDK client on `transport` that declares sampling and answers each
 * sampling request with `answer(prompt)`, the prompt being the text of its
 * first message. Closed in teardown.
 */
export async function connectSdkClient(t: Teardown, transport: Transport, answer: (prompt: string) => string): Promise<Client> {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    const first = request.params.messages[0]?.content;
    const prompt = first !== undefined && 'text' in first ? String(first.text) : '';
    return { role: 'assistant', model: 'test', content: { type: 'text', text: answer(prompt) } };
  });
  await client.connect(transport);
  t.add(() => client.close());
  return client;
}

/** The text of the first content block of a tool result. */
export function textOf(result: unknown): string | undefined {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  return content?.[0]?.text;
}
