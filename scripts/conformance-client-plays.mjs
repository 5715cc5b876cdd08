// What the downstream client does, through mcproxy, for each client scenario
// of the conformance suite: the steps the scenario's own description asks of
// a client, so that whatever reaches the scenario's server is what mcproxy's
// upstream side made of them. Each play throws when the proxy answers
// something a client could not go on with, and returns notes for the report.
import { MODERN, paramHeaders, RpcError } from './conformance-client-wire.mjs';

const MAX_ROUNDS = 5;

/** Every page of a list, by cursor. */
async function listAll(client, method, key) {
  const items = [];
  let cursor;
  do {
    const result = await client.request(method, cursor === undefined ? {} : { cursor });
    items.push(...(result[key] ?? []));
    cursor = result.nextCursor;
  } while (cursor !== undefined && items.length < 10_000);
  return items;
}

async function toolsByName(client) {
  return new Map((await listAll(client, 'tools/list', 'tools')).map((tool) => [tool.name, tool]));
}

/** A value of a JSON Schema type, for arguments and elicitation answers nobody specified. */
function sampleOf(schema) {
  if (Array.isArray(schema?.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema?.type) ? schema.type.find((t) => t !== 'null') : schema?.type;
  return { string: 'sample', integer: 1, number: 1.5, boolean: true, object: {}, array: [], null: null }[type] ?? 'sample';
}

/** Arguments for every required property of a tool's input schema. */
function sampleArguments(tool) {
  const properties = tool.inputSchema?.properties ?? {};
  return Object.fromEntries((tool.inputSchema?.required ?? []).map((name) => [name, sampleOf(properties[name])]));
}

/** The answer a cooperative user gives to one input request of an `input_required` result. */
function answer(inputRequest) {
  switch (inputRequest?.method) {
    case 'elicitation/create': {
      const properties = inputRequest.params?.requestedSchema?.properties ?? {};
      const content = Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, schema?.type === 'boolean' ? true : sampleOf(schema)]));
      return { action: 'accept', content };
    }
    case 'sampling/createMessage':
      return { role: 'assistant', content: { type: 'text', text: 'sampled' }, model: 'conformance-driver', stopReason: 'endTurn' };
    case 'roots/list':
      return { roots: [] };
    default:
      throw new Error(`an input request for ${inputRequest?.method}, which this client does not serve`);
  }
}

/**
 * Calls a listed tool and answers `input_required` rounds as the revision
 * says: the same call again with `inputResponses` for every request, and
 * `requestState` exactly as it came, only when it came. `beforeRetry` runs
 * between a round's answer and its retry.
 */
async function callTool(client, tools, name, args, { beforeRetry } = {}) {
  const tool = tools.get(name);
  if (tool === undefined) throw new Error(`the proxy did not list the tool ${name}`);
  const headers = paramHeaders(tool, args);
  let params = { name, arguments: args };
  for (let round = 0; round <= MAX_ROUNDS; round++) {
    const result = await client.request('tools/call', params, { headers });
    if (result.resultType !== 'input_required') return { result, rounds: round };
    if (beforeRetry) await beforeRetry(round);
    const inputResponses = Object.fromEntries(Object.entries(result.inputRequests ?? {}).map(([key, request]) => [key, answer(request)]));
    params = { name, arguments: args, inputResponses, ...(result.requestState === undefined ? {} : { requestState: result.requestState }) };
  }
  throw new Error(`${name} still wanted input after ${MAX_ROUNDS} rounds`);
}

const textOf = (result) =>
  (result.content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join(' ');

/** A request, retried once with our revision when the answer is -32022 listing it (what SEP-2575 asks of a client). */
async function withVersionRetry(client, method, notes) {
  try {
    return await client.request(method);
  } catch (error) {
    if (!(error instanceof RpcError) || error.code !== -32022) throw error;
    const supported = error.data?.supported ?? [];
    notes.push(`${method}: -32022 (HTTP ${error.status}) with supported ${JSON.stringify(supported)}`);
    if (!supported.includes(MODERN)) throw error;
    return client.request(method);
  }
}

export const PLAYS = {
  async tools_call(client) {
    const tools = await toolsByName(client);
    const { result } = await callTool(client, tools, 'add_numbers', { a: 2, b: 3 });
    if (!textOf(result).includes('5')) throw new Error(`add_numbers answered ${JSON.stringify(result)}`);
    return [`add_numbers(2, 3): ${textOf(result)}`];
  },

  async 'request-metadata'(client) {
    const notes = [];
    const discovered = await withVersionRetry(client, 'server/discover', notes);
    notes.push(`server/discover: supportedVersions ${JSON.stringify(discovered.supportedVersions)}`);
    const listed = await withVersionRetry(client, 'tools/list', notes);
    notes.push(`tools/list: ${listed.tools?.length ?? 0} tools`);
    return notes;
  },

  async 'http-standard-headers'(client) {
    const tools = await toolsByName(client);
    for (const tool of tools.values()) await callTool(client, tools, tool.name, sampleArguments(tool));
    const resources = await listAll(client, 'resources/list', 'resources');
    for (const { uri } of resources) await client.request('resources/read', { uri });
    const prompts = await listAll(client, 'prompts/list', 'prompts');
    for (const { name } of prompts) await client.request('prompts/get', { name });
    return [`called ${[...tools.keys()].join(', ')}; read ${resources.length} resources; got ${prompts.length} prompts`];
  },

  async 'http-custom-headers'(client, context) {
    const calls = context.toolCalls ?? [];
    if (calls.length === 0) throw new Error('the scenario passed no toolCalls in MCP_CONFORMANCE_CONTEXT');
    const tools = await toolsByName(client);
    for (const { name, arguments: args } of calls) await callTool(client, tools, name, args);
    return calls.map(({ name, arguments: args }) => `${name}: sent ${Object.keys(paramHeaders(tools.get(name), args)).join(', ')}`);
  },

  // The proxy's upstream side is the client here: a tool it must exclude has to
  // be missing from what it lists, so the driver calls every tool it is offered.
  async 'http-invalid-tool-headers'(client) {
    const tools = await toolsByName(client);
    for (const tool of tools.values()) await callTool(client, tools, tool.name, sampleArguments(tool));
    return [`the proxy listed (and the driver called) ${[...tools.keys()].join(', ') || 'nothing'}`];
  },

  async 'sep-2322-client-request-state'(client) {
    const tools = await toolsByName(client);
    const notes = [];
    const unrelated = async () => {
      const { result } = await callTool(client, tools, 'test_mrtr_unrelated', {});
      notes.push(`between rounds, test_mrtr_unrelated: ${textOf(result)}`);
    };
    for (const [name, options] of [
      ['test_mrtr_echo_state', { beforeRetry: unrelated }],
      ['test_mrtr_no_state', {}],
      ['test_mrtr_no_result_type', {}],
    ]) {
      const { result, rounds } = await callTool(client, tools, name, {}, options);
      notes.push(`${name}: ${rounds} round(s) of input, then resultType ${result.resultType ?? '(none)'}: ${textOf(result)}`);
    }
    return notes;
  },

  async 'json-schema-ref-no-deref'(client) {
    const tools = await toolsByName(client);
    const ref = tools.get('lookup_user')?.inputSchema?.properties?.profile?.$ref;
    if (typeof ref !== 'string') throw new Error(`lookup_user lost its network $ref on the way: ${JSON.stringify(tools.get('lookup_user'))}`);
    return [`lookup_user listed with profile.$ref ${ref} left as it was`];
  },

  async 'json-schema-2020-12-preservation'(client) {
    const tools = await toolsByName(client);
    const focal = tools.get('json_schema_2020_12_tool');
    if (focal === undefined) throw new Error('the proxy did not list json_schema_2020_12_tool');
    await callTool(client, tools, 'json_schema_echo', { schema: focal.inputSchema });
    return ['echoed the inputSchema of json_schema_2020_12_tool as the proxy listed it'];
  },
};
