export * from './instant.js';
export * from './stream-fold.js';
export * from './chat-world.js';
export * from './access-at.js';
export * from './explain.js';
export * from './access-changes.js';
export * from './org-replay.js';
export * from './verify.js';
