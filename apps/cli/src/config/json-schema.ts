import { z } from 'zod';
import { BUILTIN_OPTIONS } from './middleware-options.js';
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
  // A length bound too: `key: "${CI_KEY}"` is shorter than the key it stands for.
  const constrained = ['enum', 'const', 'pattern', 'format', 'minLength', 'maxLength'].some((k) => k in out);
  if (out.type !== 'string' || !constrained) return out;
  const { description, default: dflt, ...literal } = out;
  return { ...(description === undefined ? {} : { description }), ...(dflt === undefined ? {} : { default: dflt }), anyOf: [literal, envRef] };
}

/** JSON Schema's if/then, built so that no object literal of ours has a `then` (a thenable to `await`). */
const ifThen = (condition: Json, consequence: Json): Json =>
  Object.fromEntries([
    ['if', condition],
    ['then', consequence],
  ]);

/** The `$defs` name of a built-in middleware's options. */
const optionsDef = (short: string): string => `${short}Options`;

/** Each built-in's options, from the zod schema its factory checks with, as `$defs`. */
function builtinDefs(): Json {
  const defs: Json = {};
  for (const [short, { schema }] of Object.entries(BUILTIN_OPTIONS)) {
    const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Json;
    defs[optionsDef(short)] = allowEnvRefs(json);
  }
  return defs;
}

/** A pipeline entry's `with:` checked against its built-in's options, chosen by `use` (short or package name). */
function withChecked(item: Json): Json {
  const branches = Object.entries(BUILTIN_OPTIONS).map(([short, b]) =>
    ifThen(
      { type: 'object', properties: { use: { enum: [short, b.package] } }, required: ['use'] },
      { type: 'object', properties: { with: { $ref: `#/$defs/${optionsDef(short)}` } } },
    ),
  );
  return { ...item, allOf: branches };
}

/** At least one entry, and not every one `disabled: true` (the loader leaves those out). */
const someServer = {
  type: 'object',
  minProperties: 1,
  not: { additionalProperties: { type: 'object', required: ['disabled'], properties: { disabled: { const: true } } } },
};

/**
 * The JSON Schema of a pipeline file, for editors: generated from the zod
 * schema the loader uses, on its input side (defaults are optional), with
 * the checks zod does in code that JSON Schema can say too (something to
 * proxy: upstreams, routes or a discovery folder; something to serve; the
 * HTTP face that routes need) and each built-in middleware's options, from
 * the schemas its factory checks with. What it cannot say is a check that
 * compares one option with another (two tools renamed to one name, a rate
 * limit that limits nothing): the loader refuses those, and the test lists them.
 */
export function pipelineJsonSchema(): Json {
  const generated = allowEnvRefs(z.toJSONSchema(editorView, { io: 'input', target: 'draft-2020-12' })) as Json;
  const { $schema, properties, $defs, ...rest } = generated as Json & { properties: Record<string, Json>; $defs: Json };
  properties.serve = {
    ...properties.serve,
    anyOf: [{ required: ['http'] }, { required: ['sse'] }, { required: ['stdio'], properties: { stdio: { not: { const: false } } } }],
  };
  const pipeline = properties.pipeline as Json & { items: Json };
  properties.pipeline = { ...pipeline, items: withChecked(pipeline.items) };
  const route = (properties.routes as { additionalProperties: Json & { properties: Record<string, Json & { items: Json }> } }).additionalProperties;
  route.properties.pipeline = { ...route.properties.pipeline!, items: withChecked(route.properties.pipeline!.items) };
  // Routes, and discovered servers served as routes, live on the HTTP port: a `serve:` without http cannot carry them.
  const needsHttp = { type: 'object', properties: { serve: { type: 'object', required: ['http'] } } };
  // Without servers of its own the top-level endpoint is not served, and stdio and sse serve nothing else.
  const topLevel = {
    anyOf: [
      { required: ['upstreams'], properties: { upstreams: someServer } },
      { required: ['mcpServers'], properties: { mcpServers: someServer } },
      { required: ['discover'], properties: { discover: { not: { type: 'object', required: ['as'], properties: { as: { const: 'routes' } } } } } },
    ],
  };
  return {
    $schema,
    $id: pipelineSchemaId,
    title: 'mcproxy pipeline file',
    ...rest,
    $defs: { ...$defs, ...builtinDefs() },
    properties,
    anyOf: [{ required: ['discover'] }, ...topLevel.anyOf, { required: ['routes'], properties: { routes: { type: 'object', minProperties: 1 } } }],
    allOf: [
      ifThen({ type: 'object', required: ['routes'], properties: { routes: { type: 'object', minProperties: 1 } } }, needsHttp),
      ifThen(
        { type: 'object', required: ['discover'], properties: { discover: { type: 'object', required: ['as'], properties: { as: { const: 'routes' } } } } },
        needsHttp,
      ),
      ifThen(
        { type: 'object', required: ['routes'], properties: { routes: { type: 'object', minProperties: 1 } }, not: topLevel },
        { type: 'object', properties: { serve: { type: 'object', properties: { stdio: { enum: [false] }, sse: false } } } },
      ),
    ],
  };
}

/** The schema as the file `schema/pipeline.schema.json` holds it. */
export function renderPipelineJsonSchema(): string {
  return `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`;
}
