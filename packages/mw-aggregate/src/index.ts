export { aggregate, aggregate as default } from './aggregate.js';
export { optionsSchema as aggregateOptionsSchema, type AggregateOptions } from './options.js';
