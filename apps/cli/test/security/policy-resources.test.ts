// Issue 23, finding 1: a resource deny rule must hold whatever dot segments
// or encodings a URI carries, in every form the proxy accepts, against a
// file server that resolves `.` and `..` (test/file-server.mjs).
import { afterEach, describe, expect, it } from 'vitest';
import { BOB_KEY, files, Kit, readText } from '../kit/policy-kit.js';

const SLOW = { timeout: 60_000 };
const kit = new Kit();
afterEach(() => kit.stop());

const alias = (upstream: string, uri: string): string => `mcproxy://${upstream}/${encodeURIComponent(uri)}`;

/** Ways to reach file:///alice/secret that a plain glob on the URI as written does not see. */
const SNEAKY = [
  'file:///alice/./secret',
  'file:///shared/../alice/secret',
  'file:///shared/%2E%2E/alice/secret',
  'file:///shared/%252E%252E/alice/secret',
  'file:///alice%2Fsecret',
  'file:///./alice/secret',
  'file:///../alice/secret',
  'file:///alice/secret/.',
  'file:///alice/x/../secret',
];

const auth = `auth:\n  apiKeys:\n    - { id: alice, key: "\${ALICE_KEY}" }\n    - { id: bob, key: "\${BOB_KEY}" }\n`;

describe('resource deny rules and dot segments (issue 23, finding 1)', () => {
  for (const when of ['', '    when: { principals: [bob] }\n']) {
    it(`refuses every spelling of a denied file through aliases, with filter before aggregate${when ? ' and when:' : ''}`, SLOW, async () => {
      const url = await kit.serve(
        `serve: { http: { port: 0 } }\nupstreams: { a: ${files}, b: ${files} }\n${auth}pipeline:\n  - use: filter\n${when}    with: { resources: { deny: ["file:///alice/**"] } }\n  - use: aggregate\n`,
      );
      const bob = await kit.client(url, { 'x-api-key': BOB_KEY });
      expect(await readText(bob, alias('a', 'file:///shared/readme'))).toBe('shared readme');
      const tries = [
        ...SNEAKY.map((u) => alias('a', u)),
        ...SNEAKY.map((u) => alias('b', u)),
        // Nested aliases and the aliased template's verbatim form.
        ...SNEAKY.map((u) => alias('a', alias('a', u))),
        ...SNEAKY.map((u) => `mcproxy://a/=${u}`),
      ];
      const answers = await Promise.all(tries.map((u) => readText(bob, u)));
      const leaked = tries.filter((_, i) => answers[i]!.includes('ALICE-SECRET'));
      expect(leaked).toEqual([]);
    });
  }

  it('refuses them with one upstream (plain URIs) and with filter after aggregate', SLOW, async () => {
    const one = await kit.serve(
      `serve: { http: { port: 0 } }\nupstreams: { a: ${files} }\n${auth}pipeline:\n  - use: filter\n    with: { resources: { deny: ["file:///alice/**"] } }\n`,
    );
    const two = await kit.serve(
      `serve: { http: { port: 0 } }\nupstreams: { a: ${files}, b: ${files} }\n${auth}pipeline:\n  - use: aggregate\n  - use: filter\n    with: { resources: { deny: ["file:///alice/**"] } }\n`,
    );
    const [bobOne, bobTwo] = await Promise.all([kit.client(one, { 'x-api-key': BOB_KEY }), kit.client(two, { 'x-api-key': BOB_KEY })]);
    expect(await readText(bobOne, 'file:///shared/readme')).toBe('shared readme');
    expect(await readText(bobTwo, alias('a', 'file:///shared/readme'))).toBe('shared readme');
    const tries: Array<[typeof bobOne, string]> = [
      ...SNEAKY.map((u) => [bobOne, u] as [typeof bobOne, string]),
      ...SNEAKY.map((u) => [bobTwo, alias('a', u)] as [typeof bobOne, string]),
    ];
    const answers = await Promise.all(tries.map(([c, u]) => readText(c, u)));
    const leaked = tries.filter((_, i) => answers[i]!.includes('ALICE-SECRET')).map(([, u]) => u);
    expect(leaked).toEqual([]);
    // Refused as if it did not exist, not passed on for the server to refuse.
    expect(answers[0]).toMatch(/not found|-32002/i);
  });
});
