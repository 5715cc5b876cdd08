// The counting fixture the replica tests run behind several mcproxy processes.
import { fileURLToPath } from 'node:url';

export { createCountingServer, readCounts, writeCount, COUNTING_SERVER_INFO, type CountLine, type CountingServerOptions } from './counting-server.js';
export { startCountingHttpServer } from './counting-http.js';

/** The built stdio entry of the counting fixture (`node <it> --file <count file>`); run `pnpm build` in packages/testing first. */
export const COUNTING_CLI = fileURLToPath(new URL('../../dist/replicas/counting-cli.js', import.meta.url));
