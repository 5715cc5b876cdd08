import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modernMessage, postModern } from './wire.js';

// The built entry, as the conformance script and mcproxy run it (turbo builds
// before it tests).
const ENTRY = fileURLToPath(new URL('../../dist/modern-fixture-server.js', import.meta.url));

const children: ChildProcessWithoutNullStreams[] = [];

function launch(...args: string[]): { child: ChildProcessWithoutNullStreams; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, [ENTRY, ...args], { stdio: 'pipe' });
  children.push(child);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, lines };
}

async function nextLine(lines: AsyncIterator<string>): Promise<Record<string, unknown>> {
  const { value, done } = await lines.next();
  if (done) throw new Error('stdout closed');
  return JSON.parse(value) as Record<string, unknown>;
}

beforeAll(() => {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build @mcproxy/testing first`);
});

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
});

describe('modern-fixture-server CLI', () => {
  it('prints exactly its URL in HTTP mode and serves modern requests there', async () => {
    const { lines } = launch('--http', '--port', '0');
    const first = await nextLine(lines);
    expect(Object.keys(first)).toEqual(['url']);
    const url = String(first.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const { message } = await postModern(url, 'tools/call', { name: 'test_simple_text', arguments: {} });
    expect(message?.result).toMatchObject({ content: [{ type: 'text', text: 'This is a simple text response for testing.' }] });
  });

  it('serves modern requests over stdio, input_required round trip included', async () => {
    const { child, lines } = launch('--stdio');
    const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);

    send(modernMessage('server/discover', {}, { id: 1 }));
    expect(await nextLine(lines)).toMatchObject({ id: 1, result: { supportedVersions: expect.arrayContaining(['2026-07-28']) } });

    const call = { name: 'test_input_required_result_elicitation', arguments: {} };
    send(modernMessage('tools/call', call, { id: 2, capabilities: { elicitation: {} } }));
    expect(await nextLine(lines)).toMatchObject({
      id: 2,
      result: { resultType: 'input_required', inputRequests: { user_name: { method: 'elicitation/create' } } },
    });

    const inputResponses = { user_name: { action: 'accept', content: { name: 'Ada' } } };
    send(modernMessage('tools/call', { ...call, inputResponses }, { id: 3, capabilities: { elicitation: {} } }));
    expect(await nextLine(lines)).toMatchObject({ id: 3, result: { content: [{ type: 'text', text: 'Hello, Ada!' }] } });

    // Closing stdin is how a stdio client says goodbye; the server must exit.
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.end();
    expect(await exited).toBe(0);
  });
});
