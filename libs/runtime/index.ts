export * from './heap.js';
export * from './event-store.js';
export * from './logging.js';
export * from './process.js';
export * from './projector.js';
export * from './runtime.js';
export * from './shutdown.js';
