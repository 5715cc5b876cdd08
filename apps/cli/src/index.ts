export { readArgs, USAGE, type CliArgs } from './args/args.js';
export { substituteEnv } from './config/env.js';
export { checkPipeline, loadPipeline } from './config/load.js';
export { httpUpstreamSchema, pipelineFileSchema, stdioUpstreamSchema, type Pipeline, type Upstream } from './config/schema.js';
export { createLog } from './log.js';
export { main } from './main.js';
export { BUILTIN_MIDDLEWARE, loadMiddleware } from './pipeline/middleware.js';
export { startPipeline, type Running } from './serve/start.js';
