export * from './errors.js';
export * from './config/environment.js';
export * from './clock.js';
export * from './common.module.js';
export * from './logging/logger.js';
