// @mcproxy/upstream-auth: credentials toward upstreams (issue 26). Filled in
// by the engine (client credentials, token exchange, per-user OAuth), the
// token store and the consent rounds; see README.md.
export { AUTHORIZATION_REQUIRED, consentRounds, type ConsentFlows, type ConsentRoundsOptions } from './consent/index.js';
