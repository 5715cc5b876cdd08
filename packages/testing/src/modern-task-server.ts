#!/usr/bin/env node
// A 2026-07-28 server of the tasks extension (io.modelcontextprotocol/tasks),
// over stdio, for tests of what crosses aggregation. Written by hand: the v2
// SDK the modern fixture is built on does not implement the extension.
//   node modern-task-server.js [--name N]
// Tools: `task_sum` {a, b, delayMs} answers a task that completes with the sum;
// `task_greet` answers a task that asks for a name (input_required, an
// elicitation in inputRequests) and completes once tasks/update gives it.
// Each task's result carries a resource_link to `test://task/<id>`, which
// resources/read serves. `subscriptions/listen` with `taskIds` hears
// `notifications/tasks` (the whole task) each time one of those tasks changes
// status, tagged with the listen's id. Diagnostics go to stderr only.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

type Params = Record<string, unknown>;
type Status = 'working' | 'input_required' | 'completed' | 'cancelled' | 'failed';
interface Task {
  taskId: string;
  status: Status;
  createdAt: string;
  lastUpdatedAt: string;
  result?: Params;
  inputRequests?: Params;
}

const TASKS = 'io.modelcontextprotocol/tasks';
const { values } = parseArgs({ options: { name: { type: 'string', default: 'modern-tasks' } }, strict: true });
const serverName = values.name as string;
const tasks = new Map<string, Task>();
let next = 0;
/** Open listens: the task ids each asked about, by the listen request's id. */
const listens = new Map<string | number, Set<string>>();

const send = (message: Params): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};
const now = (): string => new Date().toISOString();
const text = (t: string): Params => ({ type: 'text', text: t });

/** Tells every listen that asked about `task` its new state. */
function changed(task: Task): void {
  for (const [id, asked] of listens) {
    if (asked.has(task.taskId))
      send({ jsonrpc: '2.0', method: 'notifications/tasks', params: { ...task, ttlMs: 60_000, _meta: { 'io.modelcontextprotocol/subscriptionId': id } } });
  }
}

function finish(task: Task, said: string): void {
  if (task.status !== 'working' && task.status !== 'input_required') return;
  task.status = 'completed';
  task.lastUpdatedAt = now();
  delete task.inputRequests;
  task.result = { content: [text(said), { type: 'resource_link', uri: `test://task/${task.taskId}`, name: 'report' }] };
  changed(task);
}

/** The task as tasks/get answers it: its status, and its result or open requests. */
const detailed = (task: Task): Params => ({ resultType: 'complete', ...task, ttlMs: 60_000, pollIntervalMs: 50 });

function create(): Task {
  // Every server names its tasks the same way, so two of them behind one proxy collide.
  const task: Task = { taskId: `task-${++next}`, status: 'working', createdAt: now(), lastUpdatedAt: now() };
  tasks.set(task.taskId, task);
  return task;
}

function call(params: Params, caps: Params): Params {
  const args = (params.arguments ?? {}) as Params;
  const extensions = (caps.extensions ?? {}) as Params;
  if (extensions[TASKS] === undefined) return { resultType: 'complete', isError: true, content: [text('this tool runs only as a task')] };
  const task = create();
  if (params.name === 'task_sum') {
    const sum = Number(args.a) + Number(args.b);
    setTimeout(() => finish(task, `${serverName} sum: ${sum}`), Number(args.delayMs ?? 50)).unref();
  } else {
    task.status = 'input_required';
    task.inputRequests = {
      name: { method: 'elicitation/create', params: { message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } } },
    };
  }
  return { resultType: 'task', ...task, ttlMs: 60_000, pollIntervalMs: 50 };
}

function answer(method: string, params: Params): Params | { error: { code: number; message: string } } {
  const meta = (params._meta ?? {}) as Params;
  const caps = (meta['io.modelcontextprotocol/clientCapabilities'] ?? {}) as Params;
  const task = typeof params.taskId === 'string' ? tasks.get(params.taskId) : undefined;
  switch (method) {
    case 'server/discover':
      return {
        resultType: 'complete',
        supportedVersions: ['2026-07-28'],
        capabilities: { tools: {}, resources: {}, extensions: { [TASKS]: {} } },
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: serverName, version: '0.0.0' } },
      };
    case 'tools/list':
      return {
        resultType: 'complete',
        tools: [
          { name: 'task_sum', description: 'Adds a and b, as a task.', inputSchema: { type: 'object' } },
          { name: 'task_greet', description: 'Asks for a name, as a task.', inputSchema: { type: 'object' } },
        ],
      };
    case 'resources/list':
      return { resultType: 'complete', resources: [] };
    case 'resources/read': {
      const uri = String(params.uri);
      const id = uri.startsWith('test://task/') ? uri.slice('test://task/'.length) : undefined;
      if (id === undefined || !tasks.has(id)) return { error: { code: -32602, message: `Resource ${uri} not found` } };
      return { resultType: 'complete', contents: [{ uri, mimeType: 'text/plain', text: `${serverName} report of ${id}` }] };
    }
    case 'tools/call':
      return call(params, caps);
    case 'tasks/get':
      return task === undefined ? { error: { code: -32602, message: 'unknown task' } } : detailed(task);
    case 'tasks/update': {
      if (task === undefined) return { error: { code: -32602, message: 'unknown task' } };
      const response = ((params.inputResponses ?? {}) as Params).name as Params | undefined;
      const name = (response?.content as Params | undefined)?.name;
      if (typeof name === 'string') finish(task, `${serverName} greets ${name}`);
      return { resultType: 'complete' };
    }
    case 'tasks/cancel':
      if (task === undefined) return { error: { code: -32602, message: 'unknown task' } };
      if (task.status === 'working' || task.status === 'input_required') {
        task.status = 'cancelled';
        task.lastUpdatedAt = now();
        delete task.inputRequests;
        changed(task);
      }
      return { resultType: 'complete' };
    default:
      return { error: { code: -32601, message: `Method not found: ${method}` } };
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  let message: Params;
  try {
    message = JSON.parse(line) as Params;
  } catch {
    process.stderr.write(`[${serverName}] not JSON: ${line.slice(0, 80)}\n`);
    return;
  }
  if (message.method === 'notifications/cancelled') listens.delete((message.params as Params | undefined)?.requestId as string | number);
  if (message.id === undefined || typeof message.method !== 'string') return;
  if (message.method === 'subscriptions/listen') {
    // Open until the client cancels it; acknowledged with the tasks this server knows.
    const asked = (((message.params as Params | undefined)?.notifications ?? {}) as Params).taskIds;
    const known = (Array.isArray(asked) ? asked : []).filter((id): id is string => typeof id === 'string' && tasks.has(id));
    listens.set(message.id as string | number, new Set(known));
    const _meta = { 'io.modelcontextprotocol/subscriptionId': message.id };
    send({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: { taskIds: known }, _meta } });
    return;
  }
  const reply = answer(message.method, (message.params ?? {}) as Params);
  send('error' in reply ? { jsonrpc: '2.0', id: message.id, error: reply.error } : { jsonrpc: '2.0', id: message.id, result: reply });
});
process.stdin.once('end', () => process.exit(0));
