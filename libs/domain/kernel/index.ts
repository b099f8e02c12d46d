export * from './decider.js';
export * from './domain-error.js';
export * from './error-codes.js';
export * from './values.js';
export * from './persistent.js';
