import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultTimeouts, silentLogger } from '@mcproxy/core';
import { Feed, type Metrics, serveAdmin, type UpstreamBoard } from '@mcproxy/observability';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { checkPipeline } from '../../src/config/load.js';
import { adminSchema } from '../../src/config/observability-schema.js';
import { httpServeSchema } from '../../src/config/schema.js';
import { storeSchema } from '../../src/config/store-schema.js';

// The deployment artefacts of "Running several replicas" (docs/operations.md) read as
// data and held against the code: the pipeline they mount passes the CLI's own loader,
// and every port, probe path and mount they name is the one mcproxy uses.

const root = (path: string): string => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
const text = (path: string): string => readFileSync(root(path), 'utf8');

/** The probe paths the artefacts must use; the last test shows the admin listener answers them so. */
const PROBES = { readiness: '/readyz', liveness: '/healthz' };
const REDIS_PORT = 6379;
/** A value for secrets the artefacts take from outside (an API key needs 16 characters or more). */
const SECRET = 'k'.repeat(64);

interface RawPipeline {
  serve?: { http?: Record<string, unknown> };
  admin?: Record<string, unknown>;
  store?: { redis?: { url?: string }; advertise?: string; drainDelayMs?: number };
  timeouts?: { requestMs?: number };
  upstreams?: Record<string, { command?: string; args?: string[] }>;
}
interface ComposeService {
  build?: { context: string; dockerfile?: string };
  image?: string;
  hostname?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}
interface ComposeArtefacts {
  compose: { services: Record<string, ComposeService> };
  pipeline: RawPipeline;
  haproxy: string;
}
type PortRef = number | string;
interface Container {
  image: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
  readinessProbe?: { httpGet?: { path: string; port: PortRef } };
  livenessProbe?: { httpGet?: { path: string; port: PortRef } };
}
interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    sessionAffinity?: string;
    selector?: Record<string, string>;
    ports?: Array<{ port: number; targetPort?: PortRef }>;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Container[]; terminationGracePeriodSeconds?: number; volumes?: Array<{ name: string; configMap?: { name: string } }> };
    };
  };
}

const composeArtefacts = (): ComposeArtefacts => ({
  // Compose merges `<<: *anchor` as YAML 1.1 did.
  compose: parse(text('deploy/compose/compose.yaml'), { merge: true }),
  pipeline: parse(text('deploy/compose/pipeline.yaml')),
  haproxy: text('deploy/compose/haproxy.cfg'),
});
const kubernetesObjects = (): K8sObject[] =>
  ['redis.yaml', 'mcproxy.yaml'].flatMap((f) => parseAllDocuments(text(`deploy/kubernetes/${f}`)).map((d) => d.toJS() as K8sObject));
const configMapPipeline = (objects: K8sObject[]): RawPipeline => parse(objects.find((o) => o.kind === 'ConfigMap')?.data?.['pipeline.yaml'] ?? '{}');

/** The final stage of the Dockerfile: its WORKDIR and the pipeline file its CMD reads. */
function image(): { workdir: string; config: string } {
  const lines = text('Dockerfile').split('\n');
  const workdir =
    lines
      .filter((l) => l.startsWith('WORKDIR '))
      .at(-1)
      ?.slice(8)
      .trim() ?? '';
  const cmd: string[] = JSON.parse(lines.find((l) => l.startsWith('CMD '))?.slice(4) ?? '[]');
  return { workdir, config: cmd[cmd.indexOf('--config') + 1] ?? '' };
}

/**
 * The ports mcproxy serves for this pipeline, with the CLI's own defaults, and how
 * long a SIGTERM takes at most: the drain delay, then the calls in flight (each
 * bounded by timeouts.requestMs, at least 2 s; apps/cli/src/serve/replicas.ts).
 */
function facesOf(pipeline: RawPipeline) {
  const http = httpServeSchema.parse(pipeline.serve?.http ?? {});
  const admin = adminSchema.parse(pipeline.admin ?? {});
  const drainDelayMs = storeSchema.shape.drainDelayMs.parse(pipeline.store?.drainDelayMs);
  return { mcp: http.port, admin: admin.port, drainMs: drainDelayMs + Math.max(2000, pipeline.timeouts?.requestMs ?? defaultTimeouts.requestMs) };
}

/** Every `${NAME}` the pipeline file reads from the environment. */
const envRefs = (value: unknown): string[] =>
  typeof value === 'string'
    ? [...value.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? '')
    : typeof value === 'object' && value !== null
      ? Object.values(value).flatMap(envRefs)
      : [];

/** A compose duration (`30s`, `1m30s`, `500ms`) in milliseconds. */
const durationMs = (d: string): number =>
  [...d.matchAll(/(\d+)(ms|s|m|h)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms'], 0);

/** A stdio upstream must be a program the image has: node running a file of the installed CLI. */
function upstreamProblems(where: string, pipeline: RawPipeline): string[] {
  const prefix = `${image().workdir}/node_modules/@mcproxy/cli/dist/`;
  return Object.entries(pipeline.upstreams ?? {}).flatMap(([name, u]) => {
    const file = u.args?.[0] ?? '';
    const source = `apps/cli/src/${file.slice(prefix.length).replace(/\.js$/, '.ts')}`;
    return u.command === 'node' && file.startsWith(prefix) && existsSync(root(source))
      ? []
      : [`${where}: upstream ${name} runs ${u.command} ${file}, not a file the image installs (${prefix}…, built from apps/cli/src)`];
  });
}

/** HAProxy's sections, each with its lines split into words (comments dropped). */
function haproxySections(cfg: string): Array<{ kind: string; name: string; lines: string[][] }> {
  const sections: Array<{ kind: string; name: string; lines: string[][] }> = [];
  for (const raw of cfg.split('\n')) {
    const line = raw.replace(/#.*/, '').trimEnd();
    const words = line.trim().split(/\s+/);
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) sections.push({ kind: words[0] ?? '', name: words[1] ?? '', lines: [] });
    else sections.at(-1)?.lines.push(words);
  }
  return sections;
}

const after = (words: string[], word: string): string | undefined => (words.includes(word) ? words[words.indexOf(word) + 1] : undefined);

/** Where compose.yaml, its pipeline and haproxy.cfg disagree with each other or with the code. */
function composeProblems({ compose, pipeline, haproxy }: ComposeArtefacts): string[] {
  const problems: string[] = [];
  const face = facesOf(pipeline);
  const { config } = image();
  const services = Object.entries(compose.services);
  const replicas = services.filter(
    ([, s]) => s.build !== undefined && posix.join('deploy/compose', s.build.context) === '.' && (s.build.dockerfile ?? 'Dockerfile') === 'Dockerfile',
  );
  if (replicas.length !== 3) problems.push(`compose: ${replicas.length} services built from the repository's Dockerfile, not 3`);
  const redis = services.find(([, s]) => s.image?.startsWith('redis:7'));
  const store = new URL(pipeline.store?.redis?.url ?? 'redis://missing');
  if (redis === undefined || store.hostname !== redis[0] || Number(store.port || REDIS_PORT) !== REDIS_PORT)
    problems.push(`compose: store.redis.url ${store} names no redis:7 service on port ${REDIS_PORT}`);
  if (pipeline.store?.advertise !== `http://\${HOSTNAME}:${face.mcp}`) problems.push(`compose: store.advertise is not http://\${HOSTNAME}:${face.mcp}`);
  problems.push(...upstreamProblems('compose', pipeline));
  for (const [name, s] of replicas) {
    if (s.hostname !== name) problems.push(`compose: ${name} has hostname ${s.hostname}, not its name: other replicas reach it as \${HOSTNAME}`);
    if (!s.volumes?.includes(`./pipeline.yaml:${config}:ro`))
      problems.push(`compose: ${name} does not mount ./pipeline.yaml at ${config}, where the image's CMD reads it`);
    const check = new URL(s.healthcheck?.test.find((w) => w.startsWith('http://')) ?? 'http://missing');
    if (Number(check.port) !== face.admin || check.pathname !== PROBES.readiness)
      problems.push(`compose: ${name}'s healthcheck asks ${check}, not port ${face.admin} ${PROBES.readiness}`);
    if (durationMs(s.stop_grace_period ?? '10s') <= face.drainMs)
      problems.push(`compose: ${name}'s stop_grace_period is shorter than a drain (${face.drainMs} ms)`);
    for (const v of envRefs(pipeline)) if (v !== 'HOSTNAME' && s.environment?.[v] === undefined) problems.push(`compose: ${name} does not set ${v}`);
  }
  const lb = services.find(([, s]) => s.image?.startsWith('haproxy:'));
  if (!lb?.[1].volumes?.includes('./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro')) problems.push('compose: no haproxy service mounting ./haproxy.cfg');
  const sections = haproxySections(haproxy);
  const binds = sections.filter((s) => s.kind === 'frontend').flatMap((s) => s.lines.filter((w) => w[0] === 'bind').map((w) => w[1]?.split(':').at(-1)));
  const published = lb?.[1].ports?.map((p) => p.split(':').at(-1)) ?? [];
  if (binds.length === 0 || !binds.every((b) => published.includes(b)))
    problems.push(`haproxy.cfg: binds ${binds.join(', ')}; compose publishes ${published.join(', ')}`);
  for (const words of sections.flatMap((s) => s.lines)) {
    if (['cookie', 'stick', 'stick-table', 'appsession', 'hash-type'].includes(words[0] ?? '') || (words[0] === 'server' && words.includes('cookie')))
      problems.push(`haproxy.cfg: "${words.join(' ')}" makes sessions sticky`);
    if (words[0] === 'balance' && words[1] !== 'roundrobin') problems.push(`haproxy.cfg: "${words.join(' ')}", not balance roundrobin`);
  }
  const backends = sections.filter((s) => s.kind === 'backend');
  for (const backend of backends) {
    const line = (first: string) => backend.lines.filter((w) => w[0] === first);
    if (!line('balance').some((w) => w[1] === 'roundrobin')) problems.push(`haproxy.cfg: backend ${backend.name} has no balance roundrobin`);
    const uri =
      after(line('http-check').find((w) => w[1] === 'send') ?? [], 'uri') ??
      line('option')
        .find((w) => w[1] === 'httpchk')
        ?.at(-1);
    if (uri !== PROBES.readiness) problems.push(`haproxy.cfg: backend ${backend.name} checks ${uri}, not ${PROBES.readiness}`);
    const defaults = line('default-server')[0] ?? [];
    const servers = line('server');
    if (servers.map((w) => w[1]).join() !== replicas.map(([n]) => n).join())
      problems.push(`haproxy.cfg: servers ${servers.map((w) => w[1])} are not the compose replicas`);
    for (const words of servers) {
      const [host, port] = (words[2] ?? '').split(':');
      if (!replicas.some(([n]) => n === host) || Number(port) !== face.mcp)
        problems.push(`haproxy.cfg: server ${words[1]} at ${words[2]}, not <replica>:${face.mcp}`);
      if (!words.includes('check') && !defaults.includes('check')) problems.push(`haproxy.cfg: server ${words[1]} is not health-checked`);
      if (Number(after(words, 'port') ?? after(defaults, 'port')) !== face.admin)
        problems.push(`haproxy.cfg: server ${words[1]} is checked on another port than ${face.admin}`);
    }
  }
  if (backends.length === 0) problems.push('haproxy.cfg: no backend');
  return problems;
}

/** The environment a container of the Deployment gets: downward-API and secret values made up. */
function podEnv(container: Container): Record<string, string> {
  const made: Record<string, string> = { 'status.podIP': '10.0.0.5', 'metadata.namespace': 'default' };
  return Object.fromEntries(
    (container.env ?? []).map((e) => [e.name, e.value ?? (e.valueFrom?.fieldRef ? made[e.valueFrom.fieldRef.fieldPath] : undefined) ?? SECRET]),
  );
}

/** Where the manifests disagree with each other or with the code. */
function kubernetesProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const configMap = objects.find((o) => o.kind === 'ConfigMap');
  const deployment = find('Deployment', 'mcproxy');
  const pod = deployment?.spec?.template;
  const container = pod?.spec.containers[0];
  if (configMap === undefined || pod === undefined || container === undefined) return ['kubernetes: no ConfigMap, or no mcproxy Deployment with a container'];
  const pipeline = configMapPipeline(objects);
  const face = facesOf(pipeline);
  const { config } = image();
  const portOf = (p: PortRef | undefined): number | undefined => (typeof p === 'number' ? p : container.ports?.find((c) => c.name === p)?.containerPort);
  if (deployment?.spec?.replicas !== 3) problems.push(`kubernetes: the Deployment runs ${deployment?.spec?.replicas} replicas, not 3`);
  for (const port of [face.mcp, face.admin]) if (!container.ports?.some((c) => c.containerPort === port)) problems.push(`kubernetes: no containerPort ${port}`);
  for (const [probe, path] of [
    ['readinessProbe', PROBES.readiness],
    ['livenessProbe', PROBES.liveness],
  ] as const) {
    const get = container[probe]?.httpGet;
    if (get?.path !== path || portOf(get.port) !== face.admin)
      problems.push(`kubernetes: the ${probe} is ${get?.path} on ${get?.port}, not ${path} on the admin port ${face.admin}`);
  }
  const env = podEnv(container);
  for (const v of envRefs(pipeline)) if (env[v] === undefined) problems.push(`kubernetes: the pipeline reads \${${v}}, which the container does not set`);
  if (container.env?.find((e) => e.name === 'POD_IP')?.valueFrom?.fieldRef?.fieldPath !== 'status.podIP')
    problems.push('kubernetes: POD_IP is not status.podIP');
  if (pipeline.store?.advertise !== `http://\${POD_IP}:${face.mcp}`) problems.push(`kubernetes: store.advertise is not http://\${POD_IP}:${face.mcp}`);
  problems.push(...upstreamProblems('kubernetes', pipeline));
  const volume = pod.spec.volumes?.find((v) => v.configMap?.name === configMap.metadata.name);
  const mount = container.volumeMounts?.find((m) => m.name === volume?.name);
  if (mount === undefined || posix.join(mount.mountPath, 'pipeline.yaml') !== config)
    problems.push(`kubernetes: the ConfigMap is not mounted so that ${config} is its pipeline.yaml`);
  if ((pod.spec.terminationGracePeriodSeconds ?? 30) * 1000 <= face.drainMs)
    problems.push(`kubernetes: terminationGracePeriodSeconds is shorter than a drain (${face.drainMs} ms)`);
  const service = find('Service', 'mcproxy');
  if (service?.spec?.sessionAffinity !== undefined && service.spec.sessionAffinity !== 'None') problems.push('kubernetes: the Service has session affinity');
  if (!Object.entries(service?.spec?.selector ?? { none: '' }).every(([k, v]) => pod.metadata.labels[k] === v))
    problems.push("kubernetes: the Service's selector misses the pods");
  if (!service?.spec?.ports?.some((p) => p.port === face.mcp && portOf(p.targetPort ?? p.port) === face.mcp))
    problems.push(`kubernetes: the Service does not serve port ${face.mcp} from the MCP face`);
  const store = new URL(pipeline.store?.redis?.url ?? 'redis://missing');
  const redis = find('Service', store.hostname);
  const redisPod = find('Deployment', store.hostname)?.spec?.template?.spec.containers[0];
  if (!redis?.spec?.ports?.some((p) => p.port === Number(store.port || REDIS_PORT)) || !redisPod?.image.startsWith('redis:7'))
    problems.push(`kubernetes: store.redis.url ${store} names no Service in front of a redis:7 Deployment`);
  return problems;
}

describe('deploy/compose', () => {
  it("mounts a pipeline the CLI's loader accepts, with each replica's environment", () => {
    const { compose, pipeline } = composeArtefacts();
    const env = { HOSTNAME: 'mcproxy-1', ...Object.fromEntries(Object.keys(compose.services['mcproxy-1']?.environment ?? {}).map((k) => [k, SECRET])) };
    const checked = checkPipeline(pipeline, 'deploy/compose/pipeline.yaml', env);
    expect(checked.serve.http?.host).toBe('0.0.0.0');
    expect(checked.auth?.apiKeys?.length).toBe(1);
  });

  it('has 3 replicas and Redis behind HAProxy, round robin without stickiness, on the ports and probe the pipeline says', () => {
    expect(composeProblems(composeArtefacts())).toEqual([]);
  });
});

describe('deploy/kubernetes', () => {
  it("has a ConfigMap whose pipeline the CLI's loader accepts, with the Deployment's environment", () => {
    const objects = kubernetesObjects();
    const container = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcproxy')?.spec?.template?.spec.containers[0];
    expect(container).toBeDefined();
    const checked = checkPipeline(configMapPipeline(objects), 'deploy/kubernetes/mcproxy.yaml', podEnv(container!));
    expect(checked.serve.http?.host).toBe('0.0.0.0');
  });

  it('has 3 replicas probed on the admin listener, a Service on the MCP face without affinity, and Redis', () => {
    expect(kubernetesProblems(kubernetesObjects())).toEqual([]);
  });

  it('lists both manifests in its kustomization, with the image the Deployment names', () => {
    const kustomization = parse(text('deploy/kubernetes/kustomization.yaml'));
    expect([...kustomization.resources].sort()).toEqual(['mcproxy.yaml', 'redis.yaml']);
    const container = kubernetesObjects().find((o) => o.metadata.name === 'mcproxy' && o.kind === 'Deployment')?.spec?.template?.spec.containers[0];
    expect(kustomization.images.map((i: { name: string }) => i.name)).toContain(container?.image.split(':')[0]);
  });
});

describe('the checks above', () => {
  const withMcpPort = (p: RawPipeline, port: number) => ({ ...p, serve: { ...p.serve, http: { ...p.serve?.http, port } } });
  it.each<[string, () => string[], RegExp]>([
    [
      'the MCP port in the pipeline',
      () => composeProblems({ ...composeArtefacts(), pipeline: withMcpPort(composeArtefacts().pipeline, 8081) }),
      /not <replica>:8081/,
    ],
    [
      'the admin port in the pipeline',
      () => composeProblems({ ...composeArtefacts(), pipeline: { ...composeArtefacts().pipeline, admin: { host: '0.0.0.0', port: 9465 } } }),
      /healthcheck asks .*9464/,
    ],
    [
      'a sticky cookie',
      () => composeProblems({ ...composeArtefacts(), haproxy: `${composeArtefacts().haproxy}    cookie SRV insert indirect nocache\n` }),
      /sticky/,
    ],
    [
      'balance source',
      () => composeProblems({ ...composeArtefacts(), haproxy: composeArtefacts().haproxy.replace('balance roundrobin', 'balance source') }),
      /balance source/,
    ],
    ['a replica fewer', () => composeProblems(withoutService(composeArtefacts(), 'mcproxy-3')), /2 services/],
    [
      'the port in the ConfigMap',
      () => kubernetesProblems(withConfigMap(kubernetesObjects(), (t) => t.replace('port: 8080', 'port: 8081'))),
      /containerPort 8081/,
    ],
    ['liveness as readiness', () => kubernetesProblems(withProbe(kubernetesObjects(), PROBES.liveness)), /readinessProbe is \/healthz/],
    ['session affinity', () => kubernetesProblems(withAffinity(kubernetesObjects())), /session affinity/],
    [
      'a grace period shorter than a drain',
      () => kubernetesProblems(withConfigMap(kubernetesObjects(), (t) => t.replace('drainDelayMs: 5000', 'drainDelayMs: 20000'))),
      /shorter than a drain \(80000 ms\)/,
    ],
  ])('notice a change of %s', (_, problems, expected) => {
    expect(problems().join('\n')).toMatch(expected);
  });
});

function withoutService(a: ComposeArtefacts, name: string): ComposeArtefacts {
  const { [name]: _, ...services } = a.compose.services;
  return { ...a, compose: { services } };
}
function withConfigMap(objects: K8sObject[], edit: (pipeline: string) => string): K8sObject[] {
  return objects.map((o) => (o.kind === 'ConfigMap' ? { ...o, data: { 'pipeline.yaml': edit(o.data?.['pipeline.yaml'] ?? '') } } : o));
}
function withProbe(objects: K8sObject[], path: string): K8sObject[] {
  const container = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcproxy')?.spec?.template?.spec.containers[0];
  if (container?.readinessProbe?.httpGet) container.readinessProbe.httpGet.path = path;
  return objects;
}
function withAffinity(objects: K8sObject[]): K8sObject[] {
  const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'mcproxy');
  if (service?.spec) service.spec.sessionAffinity = 'ClientIP';
  return objects;
}

describe('the probes the artefacts use', () => {
  it('are the admin listener’s: readiness turns 503 while a replica drains, liveness stays 200', async () => {
    let notReady: string | undefined;
    const admin = await serveAdmin({
      host: '127.0.0.1',
      port: 0,
      metrics: {} as Metrics,
      board: { list: async () => [], notReady: () => undefined } as unknown as UpstreamBoard,
      feed: new Feed(),
      serving: () => notReady,
      about: {},
      log: silentLogger,
    });
    try {
      const status = async (path: string) => (await fetch(`${admin.url}${path}`)).status;
      expect([await status(PROBES.readiness), await status(PROBES.liveness)]).toEqual([200, 200]);
      notReady = 'draining';
      expect([await status(PROBES.readiness), await status(PROBES.liveness)]).toEqual([503, 200]);
    } finally {
      await admin.close();
    }
  });
});
