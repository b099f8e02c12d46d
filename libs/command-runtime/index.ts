export * from './aggregate-store.js';
export * from './command-context.js';
export * from './execute-command.js';
export * from './slug-claims.js';
export * from './stream-locks.js';
