import { z } from 'zod';
import { httpUpstreamSchema, pipelineFileSchema, stdioUpstreamSchema } from './schema.js';

type Json = Record<string, unknown>;

/** The schema's name (a URN: editors find the file by path, through `$schema` or a yaml-language-server comment). */
export const pipelineSchemaId = 'urn:mcproxy:cli:pipeline-schema';

// The loader checks upstream entries one by one after the file (to say which
// kind it expected); for an editor, each entry is one of the two kinds.
const upstream = z.union([stdioUpstreamSchema.meta({ id: 'stdioUpstream' }), httpUpstreamSchema.meta({ id: 'httpUpstream' })]);
const { upstreams, mcpServers } = pipelineFileSchema.shape;
const editorView = pipelineFileSchema.extend({
  upstreams: z
    .record(upstreams.unwrap().keyType, upstream)
    .optional()
    .describe(upstreams.description ?? ''),
  mcpServers: z
    .record(mcpServers.unwrap().keyType, upstream)
    .optional()
    .describe(mcpServers.description ?? ''),
});

// `${VAR}` is replaced after the file is read and before it is checked, so a
// string that holds one need not look like the value it will become. Numbers
// and booleans get no such leave: a substituted value stays a string, which
// the loader refuses where it wants a number.
const envRef = { type: 'string', pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}' };

function allowEnvRefs(node: unknown, key = ''): unknown {
  // Keys are never substituted, and values of `enum`, `default` and `const` are data.
  if (key === 'propertyNames' || key === 'default' || key === 'enum' || key === 'const') return node;
  if (Array.isArray(node)) return node.map((n) => allowEnvRefs(n));
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, allowEnvRefs(v, k)]));
  // zod says `startsWith` twice: a pattern, and a format no validator knows.
  if (out.format === 'starts_with') delete out.format;
  if (out.format === 'uri') out.pattern = '^https?://';
  const constrained = ['enum', 'const', 'pattern', 'format'].some((k) => k in out);
  if (out.type !== 'string' || !constrained) return out;
  const { description, default: dflt, ...literal } = out;
  return { ...(description === undefined ? {} : { description }), ...(dflt === undefined ? {} : { default: dflt }), anyOf: [literal, envRef] };
}

/**
 * The JSON Schema of a pipeline file, for editors: generated from the zod
 * schema the loader uses, on its input side (defaults are optional), with
 * the checks zod does in code that JSON Schema can say too (at least one
 * upstream; something to serve). The loader stays the authority: middleware
 * options are not described here.
 */
export function pipelineJsonSchema(): Json {
  const generated = allowEnvRefs(z.toJSONSchema(editorView, { io: 'input', target: 'draft-2020-12' })) as Json;
  const { $schema, properties, ...rest } = generated as Json & { properties: Record<string, Json> };
  properties.serve = {
    ...properties.serve,
    anyOf: [{ required: ['http'] }, { required: ['sse'] }, { required: ['stdio'], properties: { stdio: { not: { const: false } } } }],
  };
  return {
    $schema,
    $id: pipelineSchemaId,
    title: 'mcproxy pipeline file',
    ...rest,
    properties,
    anyOf: [
      { required: ['upstreams'], properties: { upstreams: { type: 'object', minProperties: 1 } } },
      { required: ['mcpServers'], properties: { mcpServers: { type: 'object', minProperties: 1 } } },
    ],
  };
}

/** The schema as the file `schema/pipeline.schema.json` holds it. */
export function renderPipelineJsonSchema(): string {
  return `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`;
}
