export * from './config.js';
export * from './operator-token.js';
export * from './secret-file.js';
