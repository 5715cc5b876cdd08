// The generic test helpers are transport-streamable-http's, which this
// package builds on; one copy, so the two packages' tests cannot drift apart.
export {
  deferred, logText, recordingLogger, settle, Teardown, until, type Deferred, type LogLine,
} from '../../transport-streamable-http/test/util.js';
