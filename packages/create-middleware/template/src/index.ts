import { defineMiddleware } from '@mcproxy/core';
import { z } from 'zod';

interface Content {
  type: string;
  text?: string;
}

/**
 * __NAME__: an mcproxy middleware. The example hides the tools named in
 * `hide` (from `tools/list`, and a call to one is answered as for a tool
 * that does not exist) and puts `prefix` in front of the text every other
 * tool returns. Replace it with your own.
 *
 * @example
 * pipeline:
 *   - use: __NAME__
 *     with: { prefix: "[checked] ", hide: [delete_file] }
 */
export default defineMiddleware(
  '__NAME__',
  z.strictObject({
    prefix: z.string().default('[__NAME__] '),
    hide: z.array(z.string()).default([]),
  }),
  ({ prefix, hide }) =>
    async function __FUNCTION__(ctx, next) {
      // Requests from the client only; notifications and what upstreams start pass untouched.
      if (ctx.kind !== 'request' || ctx.direction !== 'upstream') return next();
      const { method, params } = ctx.message;
      const tool = String(params?.name);
      if (method === 'tools/call' && hide.includes(tool)) {
        return { error: { code: -32602, message: `Unknown tool: ${tool}` } };
      }
      const reply = await next();
      if (reply?.result === undefined) return reply;
      if (method === 'tools/list') {
        const tools = (reply.result.tools ?? []) as Array<{ name: string }>;
        return { result: { ...reply.result, tools: tools.filter((t) => !hide.includes(t.name)) } };
      }
      if (method === 'tools/call' && Array.isArray(reply.result.content)) {
        const content = (reply.result.content as Content[]).map((c) => (c.type === 'text' ? { ...c, text: prefix + (c.text ?? '') } : c));
        return { result: { ...reply.result, content } };
      }
      return reply;
    },
);
