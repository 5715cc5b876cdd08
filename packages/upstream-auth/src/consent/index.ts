export { consentRounds, type ConsentFlows, type ConsentRoundsOptions } from './consent-rounds.js';
export { AUTHORIZATION_REQUIRED } from './elicitations.js';
