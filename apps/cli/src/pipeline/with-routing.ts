import type { Logger } from '@mcproxy/core';
import type { Pipeline } from '../config/schema.js';
import { BUILTIN_MIDDLEWARE } from './middleware.js';

/** An entry that loads the built-in aggregate, by its short name or its package. */
export const isAggregate = (entry: Pipeline['pipeline'][number]): boolean => (BUILTIN_MIDDLEWARE[entry.use] ?? entry.use) === BUILTIN_MIDDLEWARE.aggregate;

/**
 * With several upstreams something must choose one for each request: when
 * the pipeline has no aggregate, one with its defaults goes last.
 */
export function withRouting(pipeline: Pipeline, log: Logger): Pipeline['pipeline'] {
  const count = Object.keys(pipeline.upstreams).length;
  if (count < 2 || pipeline.pipeline.some(isAggregate)) return pipeline.pipeline;
  log.info({ upstreams: count }, 'several upstreams and no aggregate in the pipeline: aggregating them with its defaults');
  return [...pipeline.pipeline, { use: 'aggregate', with: {} }];
}
