import type { CacheHint, RequestStateCodec } from '@modelcontextprotocol/server';
import { createRequestStateCodec, McpServer } from '@modelcontextprotocol/server';
import { registerPrompts, registerResources } from './catalog.js';
import { registerContentTools } from './content-tools.js';
import { registerInputRequiredTools, type FixtureRequestState } from './input-required-tools.js';
import { registerLegacySuiteTools } from './legacy-suite-tools.js';
import { registerStatelessTools, type ListChangeAnnouncer } from './stateless-tools.js';

export const MODERN_FIXTURE_SERVER_INFO = { name: 'mcproxy-modern-fixture', version: '0.0.0' } as const;

// Distinct, non-default hints per list, so a proxy that drops, merges or
// rewrites them shows up in a test instead of hiding behind the SDK defaults.
const LIST_HINT: CacheHint = { ttlMs: 30_000, cacheScope: 'public' };
const CACHE_HINTS = {
  'tools/list': LIST_HINT,
  'prompts/list': LIST_HINT,
  'resources/list': { ttlMs: 20_000, cacheScope: 'public' },
  'resources/templates/list': { ttlMs: 10_000, cacheScope: 'private' },
  'resources/read': { ttlMs: 5_000, cacheScope: 'private' },
} as const;

export interface ModernFixtureOptions {
  /**
   * Seals and verifies requestState. Share one codec between every instance of
   * a process: on HTTP each request gets a fresh instance, and a retry must
   * verify under the key its first round was sealed with.
   */
  codec: RequestStateCodec<FixtureRequestState>;
  /** Where the trigger tools announce list changes; defaults to this instance's own notifications (stdio). */
  announce?: ListChangeAnnouncer;
}

/** A process-wide requestState codec with a random key: sealed state dies with the process, as it should. */
export function createFixtureStateCodec(): RequestStateCodec<FixtureRequestState> {
  return createRequestStateCodec<FixtureRequestState>({ key: crypto.getRandomValues(new Uint8Array(32)) });
}

/**
 * One instance of the fixture for the 2026-07-28 conformance scenarios (and,
 * through the SDK's legacy path, 2025-11-25 clients): every tool, prompt and
 * resource the server scenarios name, caching hints, sealed requestState, and
 * the diagnostic tools of server-stateless.
 *
 * @example
 * const codec = createFixtureStateCodec();
 * const handler = createMcpHandler(() => createModernFixtureServer({ codec, announce: handler.notify }));
 */
export function createModernFixtureServer(options: ModernFixtureOptions): McpServer {
  const server = new McpServer(MODERN_FIXTURE_SERVER_INFO, {
    capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true }, logging: {} },
    instructions: 'Conformance fixture for mcproxy tests (2026-07-28). Tools and resources are synthetic.',
    cacheHints: CACHE_HINTS,
    // Verified before any handler runs; a failure is answered -32602.
    requestState: { verify: options.codec.verify },
  });
  const announce = options.announce ?? {
    toolsChanged: () => server.sendToolListChanged(),
    promptsChanged: () => server.sendPromptListChanged(),
  };
  registerContentTools(server);
  registerStatelessTools(server, announce);
  registerInputRequiredTools(server, options.codec);
  registerLegacySuiteTools(server);
  registerResources(server);
  registerPrompts(server);
  return server;
}
