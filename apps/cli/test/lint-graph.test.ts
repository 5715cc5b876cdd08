import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findCycles, importGraph, seamBreaches } from '../../../scripts/lint-graph.mjs';

// The lint of scripts/lint.mjs, fed small packages written to a temp folder.
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function pkg(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lint-graph-'));
  made.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('import cycles', () => {
  it('finds one through a type-only import, a re-export and a folder index', () => {
    const dir = pkg({
      'src/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'src/b.ts': "export { c as b } from './parts';\nexport type B = string;\n",
      'src/parts/index.ts': "export const c = async () => import('../a.js');\n",
      'src/lone.ts': "// import { a } from './a.js' is a comment, not an import\nexport const lone = 1;\n",
    });
    expect(findCycles(importGraph(dir))).toEqual([['src/a.ts', 'src/b.ts', 'src/parts/index.ts', 'src/a.ts']]);
  });

  it('finds a cycle between a test folder and src, and a file importing itself', () => {
    const dir = pkg({
      'src/x.ts': "import '../test/helper.js';\n",
      'test/helper.ts': "import { x } from '../src/x.js';\n",
      'src/self.mts': "export * from './self.mjs';\n",
    });
    expect(findCycles(importGraph(dir))).toEqual([
      ['src/self.mts', 'src/self.mts'],
      ['src/x.ts', 'test/helper.ts', 'src/x.ts'],
    ]);
  });

  it('passes a package whose arrows all point down', () => {
    const dir = pkg({
      'src/index.ts': "export * from './a.js';\nexport * from './b.js';\n",
      'src/a.ts': "import { b } from './b.js';\nimport { z } from 'zod';\nexport const a = b;\n",
      'src/b.ts': 'export const b = 1;\n',
      'src/a.test.ts': "import { a } from './a.js';\n",
    });
    expect(findCycles(importGraph(dir))).toEqual([]);
  });
});

describe("core's eras seam", () => {
  const eras = {
    'src/eras/index.ts': "export * from './legacy/serve.js';\n",
    'src/eras/legacy/serve.ts': "import { peer } from '../../peer.js';\nexport const serve = peer;\n",
    'src/peer.ts': 'export const peer = 1;\n',
    'src/index.ts': "export { serve } from './eras/legacy/serve.js';\n",
    'src/proxy.test.ts': "import { serve } from './eras/legacy/serve.js';\n",
  };

  it('lets files through the seam only', () => {
    const dir = pkg({ ...eras, 'src/proxy.ts': "import { serve } from './eras/index.js';\nimport { other } from './eras';\n" });
    expect(seamBreaches(importGraph(dir))).toEqual([]);
  });

  it('names a file that reaches past it', () => {
    const dir = pkg({ ...eras, 'src/proxy.ts': "import type { serve } from './eras/legacy/serve.js';\n" });
    expect(seamBreaches(importGraph(dir))).toEqual(['src/proxy.ts: imports src/eras/legacy/serve.ts; go through the seam src/eras/index.ts']);
  });

  it('has nothing to say when there is no eras folder', () => {
    expect(seamBreaches(importGraph(pkg({ 'src/proxy.ts': "import { peer } from './peer.js';\n", 'src/peer.ts': '' })))).toEqual([]);
  });
});
