import type { CallToolResult, ElicitInputParams, InputRequiredResult, McpServer } from '@modelcontextprotocol/server';
import { inputRequired } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { DEFAULTS_SCHEMA, ENUMS_SCHEMA } from '../fixture/interactive-tools.js';
import { jsonSchema2020Input } from '../fixture/tools.js';

type Answer = CallToolResult | InputRequiredResult;
type RequestedSchema = ElicitInputParams['requestedSchema'];

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/** A form elicitation answered on the retry, reported as the 2025 fixture reports it. */
function elicitTool(key: string, label: string, message: string, requestedSchema: RequestedSchema) {
  return (responses: Record<string, unknown> | undefined): Answer => {
    const answer = responses?.[key] as { action?: string; content?: unknown } | undefined;
    if (answer?.action === undefined) return inputRequired({ inputRequests: { [key]: inputRequired.elicit({ message, requestedSchema }) } });
    return text(`${label}: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`);
  };
}

/**
 * The tools of the 2025-11-25 suite that the 2026-07-28 scenarios do not
 * name, written the 2026-07-28 way: sampling and elicitation are
 * input_required rounds. With them the modern fixture limited to 2026-07-28
 * (`--era modern`) serves every tool the 2025 fixture does, so the 2025
 * suite through the era bridge is scored against the same tools.
 */
export function registerLegacySuiteTools(server: McpServer): void {
  server.registerTool(
    'test_sampling',
    { description: 'Asks the client to sample an LLM completion for the prompt.', inputSchema: z.object({ prompt: z.string() }) },
    ({ prompt }, ctx): Answer => {
      const answer = ctx.mcpReq.inputResponses?.completion as { content?: { type?: string; text?: string } } | undefined;
      if (answer?.content === undefined) {
        return inputRequired({
          inputRequests: { completion: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 }) },
        });
      }
      return text(`LLM response: ${answer.content.type === 'text' ? String(answer.content.text) : JSON.stringify(answer.content)}`);
    },
  );
  const contact: RequestedSchema = {
    type: 'object',
    properties: { username: { type: 'string', description: "User's response" }, email: { type: 'string', description: "User's email address" } },
    required: ['username', 'email'],
  };
  server.registerTool(
    'test_elicitation',
    { description: 'Asks the client for a username and email via elicitation.', inputSchema: z.object({ message: z.string() }) },
    ({ message }, ctx) => elicitTool('contact', 'User response', message, contact)(ctx.mcpReq.inputResponses),
  );
  const defaults = elicitTool('defaults', 'Elicitation completed', 'Please review the prefilled values', DEFAULTS_SCHEMA as RequestedSchema);
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicits one field of every primitive type, each with a default (SEP-1034).' },
    (ctx) => defaults(ctx.mcpReq.inputResponses),
  );
  const enums = elicitTool('enums', 'Elicitation completed', 'Please choose from the options', ENUMS_SCHEMA as RequestedSchema);
  server.registerTool('test_elicitation_sep1330_enums', { description: 'Elicits all five enum schema variants (SEP-1330).' }, (ctx) =>
    enums(ctx.mcpReq.inputResponses),
  );
  server.registerTool('json_schema_2020_12_tool', { description: 'Tool with JSON Schema 2020-12 features', inputSchema: jsonSchema2020Input() }, (args) =>
    text(`Received: ${JSON.stringify(args)}`),
  );
}
