import type { GetPromptResult, InputRequiredResult, McpServer, ServerContext } from '@modelcontextprotocol/server';
import { acceptedContent, completable, inputRequired, ResourceTemplate } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { RED_PIXEL_PNG_BASE64 } from '../fixture/media.js';

const CITY_WORDS = ['paris', 'park', 'party', 'pasta', 'test', 'testing'];

/**
 * The resources of the resources-* and caching scenarios. A URI that matches
 * nothing is answered by the SDK with -32602 (SEP-2164), never with an empty
 * `contents`. `resources/read` of the static text carries its own cache hint so
 * a proxy that drops or rewrites hints is visible.
 */
export function registerResources(server: McpServer): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A static text resource', mimeType: 'text/plain', cacheHint: { ttlMs: 60_000, cacheScope: 'public' } },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }),
  );
  server.registerResource('static-binary', 'test://static-binary', { description: 'A 1x1 PNG', mimeType: 'image/png' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'image/png', blob: RED_PIXEL_PNG_BASE64 }],
  }));
  server.registerResource('watched-resource', 'test://watched-resource', { description: 'A resource that never changes', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content.' }],
  }));
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'Data for an id', mimeType: 'application/json' },
    (uri, { id }) => ({
      contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }) }],
    }),
  );
}

/** The prompts of the prompts-* scenarios, the completion target, and the MRTR prompt. */
export function registerPrompts(server: McpServer): void {
  server.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));

  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two required arguments; arg1 completes',
      argsSchema: z.object({
        arg1: completable(z.string().describe('First test argument'), (value) => CITY_WORDS.filter((word) => word.startsWith(value))),
        arg2: z.string().describe('Second test argument'),
      }),
    },
    ({ arg1, arg2 }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }],
    }),
  );

  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt embedding the resource it is given', argsSchema: z.object({ resourceUri: z.string().describe('URI to embed') }) },
    ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );

  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));

  // prompts/get may answer input_required too (input-required-result-non-tool-request).
  server.registerPrompt(
    'test_input_required_result_prompt',
    { description: 'Asks for context before rendering' },
    (ctx: ServerContext): GetPromptResult | InputRequiredResult => {
      const context = acceptedContent<{ context: string }>(ctx.mcpReq.inputResponses, 'user_context')?.context;
      if (typeof context !== 'string') {
        return inputRequired({
          inputRequests: {
            user_context: inputRequired.elicit({
              message: 'What context should the prompt use?',
              requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
            }),
          },
        });
      }
      return { messages: [{ role: 'user', content: { type: 'text', text: `Use the following context: ${context}` } }] };
    },
  );
}
