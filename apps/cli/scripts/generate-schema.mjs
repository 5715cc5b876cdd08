#!/usr/bin/env node
// Run by `build` after tsc: writes schema/pipeline.schema.json from the zod
// schema the loader uses, so editors check what mcproxy will accept. The file
// is committed too; test/config/pipeline-schema.test.ts fails when it falls behind.
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderPipelineJsonSchema } from '../dist/config/json-schema.js';

const out = new URL('../schema/pipeline.schema.json', import.meta.url);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, renderPipelineJsonSchema());
