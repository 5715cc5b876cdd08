import { randomUUID } from 'node:crypto';
import type {
  CallToolResult,
  ClientCapabilities,
  ElicitInputParams,
  InputRequests,
  InputRequiredResult,
  McpServer,
  RequestStateCodec,
} from '@modelcontextprotocol/server';
import { acceptedContent, CLIENT_CAPABILITIES_META_KEY, inputRequired } from '@modelcontextprotocol/server';
import * as z from 'zod';

const NO_ARGUMENTS = z.object({});

/** What the MRTR tools seal into requestState; `tool` stops one tool's state being replayed into another. */
export interface FixtureRequestState {
  tool: string;
  round?: number;
  name?: string;
  nonce: string;
}

type Answer = CallToolResult | InputRequiredResult;

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/** A one-field form elicitation; the field is required and typed. */
function ask(message: string, field: string, type: 'string' | 'boolean'): ReturnType<typeof inputRequired.elicit> {
  const requestedSchema: ElicitInputParams['requestedSchema'] = {
    type: 'object',
    properties: { [field]: type === 'string' ? { type: 'string' } : { type: 'boolean' } },
    required: [field],
  };
  return inputRequired.elicit({ message, requestedSchema });
}

const askName = () => ask('What is your name?', 'name', 'string');
const sample = (prompt: string, maxTokens: number) =>
  inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens });

/** The sampled text of a CreateMessageResult-shaped answer, if it has one. */
function sampledText(answer: unknown): string | undefined {
  const content = (answer as { content?: { text?: unknown } } | undefined)?.content;
  return typeof content?.text === 'string' ? content.text : undefined;
}

function rootsOf(answer: unknown): Array<{ uri?: string }> | undefined {
  const roots = (answer as { roots?: unknown } | undefined)?.roots;
  return Array.isArray(roots) ? (roots as Array<{ uri?: string }>) : undefined;
}

/**
 * The multi-round-trip (SEP-2322) tools of the input-required-result-*
 * scenarios. Each is written once: it answers `input_required` until the
 * retried request carries what it asked for. Anything malformed or missing
 * (a number instead of an elicitation answer, a wrong key) is asked for again,
 * never accepted. requestState is sealed by `codec`; the server's seam verifies
 * it before a handler runs, so a tampered state never reaches these handlers.
 */
export function registerInputRequiredTools(server: McpServer, codec: RequestStateCodec<FixtureRequestState>): void {
  const seal = (state: Omit<FixtureRequestState, 'nonce'>) => codec.mint({ ...state, nonce: randomUUID() });

  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks for your name by elicitation', inputSchema: NO_ARGUMENTS },
    (_args, ctx): Answer => {
      const name = acceptedContent<{ name: string }>(ctx.mcpReq.inputResponses, 'user_name')?.name;
      if (typeof name !== 'string') return inputRequired({ inputRequests: { user_name: askName() } });
      return text(`Hello, ${name}!`);
    },
  );

  server.registerTool(
    'test_input_required_result_sampling',
    { description: 'Asks the client model a question', inputSchema: NO_ARGUMENTS },
    (_args, ctx): Answer => {
      const answer = sampledText(ctx.mcpReq.inputResponses?.capital_question);
      if (answer === undefined) return inputRequired({ inputRequests: { capital_question: sample('What is the capital of France?', 100) } });
      return text(`Sampling response: ${answer}`);
    },
  );

  server.registerTool(
    'test_input_required_result_list_roots',
    { description: 'Asks for the client roots', inputSchema: NO_ARGUMENTS },
    (_args, ctx): Answer => {
      const roots = rootsOf(ctx.mcpReq.inputResponses?.client_roots);
      if (roots === undefined) return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      return text(`Client roots: ${roots.map((root) => root.uri).join(', ')}`);
    },
  );

  server.registerTool(
    'test_input_required_result_request_state',
    { description: 'Round-trips sealed requestState with a confirmation', inputSchema: NO_ARGUMENTS },
    async (_args, ctx): Promise<Answer> => {
      const state = ctx.mcpReq.requestState<FixtureRequestState>();
      if (state?.tool !== 'request_state' || acceptedContent(ctx.mcpReq.inputResponses, 'confirm') === undefined) {
        return inputRequired({ inputRequests: { confirm: ask('Please confirm', 'ok', 'boolean') }, requestState: await seal({ tool: 'request_state' }) });
      }
      return text('state-ok: requestState verified and confirmation received');
    },
  );

  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks for elicitation, sampling and roots at once', inputSchema: NO_ARGUMENTS },
    async (_args, ctx): Promise<Answer> => {
      const responses = ctx.mcpReq.inputResponses;
      const name = acceptedContent<{ name: string }>(responses, 'user_name')?.name;
      const greeting = sampledText(responses?.greeting);
      const roots = rootsOf(responses?.client_roots);
      if (typeof name !== 'string' || greeting === undefined || roots === undefined) {
        return inputRequired({
          inputRequests: { user_name: askName(), greeting: sample('Write a one-line greeting', 50), client_roots: inputRequired.listRoots() },
          requestState: await seal({ tool: 'multiple_inputs' }),
        });
      }
      return text(`${greeting} ${name} (${roots.length} root(s))`);
    },
  );

  // The round lives in the sealed state: nothing survives between requests on
  // a stateless server except what the client echoes.
  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Two elicitation rounds, then a result', inputSchema: NO_ARGUMENTS },
    async (_args, ctx): Promise<Answer> => {
      const state = ctx.mcpReq.requestState<FixtureRequestState>();
      const round = state?.tool === 'multi_round' ? (state.round ?? 0) : 0;
      if (round === 0) {
        return inputRequired({ inputRequests: { step1: askName() }, requestState: await seal({ tool: 'multi_round', round: 1 }) });
      }
      if (round === 1) {
        const name = acceptedContent<{ name: string }>(ctx.mcpReq.inputResponses, 'step1')?.name ?? 'someone';
        return inputRequired({
          inputRequests: { step2: ask('What is your favourite colour?', 'color', 'string') },
          requestState: await seal({ tool: 'multi_round', round: 2, name }),
        });
      }
      const color = acceptedContent<{ color: string }>(ctx.mcpReq.inputResponses, 'step2')?.color ?? 'no colour';
      return text(`Multi-round complete: ${state?.name ?? 'someone'} likes ${color}`);
    },
  );

  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Rejects a retry whose requestState was altered', inputSchema: NO_ARGUMENTS },
    async (_args, ctx): Promise<Answer> => {
      const state = ctx.mcpReq.requestState<FixtureRequestState>();
      if (state?.tool === 'tampered_state' && acceptedContent(ctx.mcpReq.inputResponses, 'confirm') !== undefined) {
        return text('integrity-ok: requestState verified');
      }
      return inputRequired({ inputRequests: { confirm: ask('Please confirm', 'ok', 'boolean') }, requestState: await seal({ tool: 'tampered_state' }) });
    },
  );

  // Asks only for what the request's declared client capabilities cover.
  server.registerTool(
    'test_input_required_result_capabilities',
    { description: 'Asks only for input kinds the client declared', inputSchema: NO_ARGUMENTS },
    (_args, ctx): Answer => {
      if (ctx.mcpReq.inputResponses !== undefined) return text('capability-aware input received');
      // The SDK's published types erase the envelope's keys; on a 2025 session
      // there is no envelope and the handshake's capabilities apply.
      const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
      const declared = (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? server.server.getClientCapabilities();
      const inputRequests: InputRequests = {};
      if (declared?.elicitation !== undefined) inputRequests.user_name = askName();
      if (declared?.sampling !== undefined) inputRequests.greeting = sample('Write a short greeting', 50);
      if (declared?.roots !== undefined) inputRequests.client_roots = inputRequired.listRoots();
      if (Object.keys(inputRequests).length === 0) return text('the client declared no capability that can answer an input request');
      return inputRequired({ inputRequests });
    },
  );
}
