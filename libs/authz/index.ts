export * from './access-facts.js';
export * from './evaluate.js';
export * from './policy.js';
