export { aggregate, aggregate as default } from './aggregate.js';
export type { AggregateOptions } from './options.js';
