export * from './apply-batch.js';
export * from './checkpoint.js';
export * from './install.js';
export * from './projection.js';
export * from './projection-runner.js';
export * from './skip.js';
export * from './status.js';
export * from './subscription-batches.js';
