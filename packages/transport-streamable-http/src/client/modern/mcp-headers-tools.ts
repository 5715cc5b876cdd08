import { isObject, type Logger, type Params } from '@mcproxy/core';
import { headerAnnotationsOf, mirroredHeaders, type HeaderParam } from '../../http/mcp-headers.js';

/** Annotated tools one link remembers: a list longer than this is a server we do not mirror for beyond it. */
export const MAX_ANNOTATED_TOOLS = 10_000;

/**
 * What one link has learned from its upstream's `tools/list` results about
 * `x-mcp-header`: which tools want which arguments mirrored as
 * `Mcp-Param-*` headers. Only annotated tools are kept, at most `max`; the
 * book starts afresh when the first page of a new full list comes back, so
 * a tool that lost its annotations (or left) is forgotten. A tool whose
 * annotations break the rules is taken out of the list passed on (the spec
 * says a client must not offer it) and warned about once.
 */
export class ToolHeaders {
  private readonly tools = new Map<string, readonly HeaderParam[]>();
  /** Tools taken out of the last list for invalid annotations, with why: a call to one is refused, never sent bare. */
  private readonly dropped = new Map<string, string>();
  private readonly warned = new Set<string>();
  private full = false;

  constructor(
    private readonly log: Logger,
    private readonly max = MAX_ANNOTATED_TOOLS,
  ) {}

  /**
   * Reads one page of a `tools/list` result (`first`: the request had no
   * cursor, so a new full list starts) and returns the result to pass on:
   * the same object when every tool is valid, else a copy without the
   * invalid ones.
   */
  learn(result: unknown, first: boolean): unknown {
    if (!isObject(result) || !Array.isArray(result.tools)) return result;
    if (first) {
      this.tools.clear();
      this.dropped.clear();
      this.full = false;
    }
    let kept: unknown[] | undefined;
    result.tools.forEach((tool: unknown, i: number) => {
      const verdict = this.read(tool);
      if (verdict && kept !== undefined) kept.push(tool);
      else if (!verdict && kept === undefined) kept = (result.tools as unknown[]).slice(0, i);
    });
    return kept === undefined ? result : { ...result, tools: kept };
  }

  /** The `mcp-param-*` headers for a `tools/call` with these params (none for a tool not annotated, or not known). */
  headersFor(params: Params | undefined): Record<string, string> {
    const name = params?.name;
    const annotated = typeof name === 'string' ? this.tools.get(name) : undefined;
    return annotated === undefined ? {} : mirroredHeaders(annotated, params?.arguments);
  }

  /** Why a `tools/call` must not go out: its tool was dropped from the list for invalid annotations. */
  refusal(params: Params | undefined): string | undefined {
    const name = params?.name;
    return typeof name === 'string' ? this.dropped.get(name) : undefined;
  }

  get size(): number {
    return this.tools.size;
  }

  /** Remembers one tool's annotations; false when they make it invalid. */
  private read(tool: unknown): boolean {
    if (!isObject(tool) || typeof tool.name !== 'string') return true;
    const found = headerAnnotationsOf(tool.inputSchema);
    if ('invalid' in found) {
      this.tools.delete(tool.name);
      if (this.dropped.size < this.max || this.dropped.has(tool.name)) this.dropped.set(tool.name, found.invalid);
      this.warn(tool.name, found.invalid);
      return false;
    }
    this.dropped.delete(tool.name);
    if (found.params.length === 0) this.tools.delete(tool.name);
    else if (this.tools.size < this.max || this.tools.has(tool.name)) this.tools.set(tool.name, found.params);
    else if (!this.full) {
      this.full = true;
      this.log.warn({ max: this.max }, `more than ${this.max} tools with x-mcp-header annotations: the rest are called without their Mcp-Param headers`);
    }
    return true;
  }

  private warn(tool: string, reason: string): void {
    const key = `${tool}\n${reason}`;
    if (this.warned.has(key)) return;
    // Bounded like the book: a server that renames its broken tools forever costs a warning each, not memory.
    if (this.warned.size >= this.max) this.warned.clear();
    this.warned.add(key);
    this.log.warn({ tool: tool.slice(0, 128), reason }, 'dropped a tool from tools/list: its x-mcp-header annotations are invalid');
  }
}
