export * from './errors.js';
export * from './config/environment.js';
export * from './config/standard-webhook-secret.js';
export * from './clock.js';
export * from './common.module.js';
export * from './logging/logger.js';
export * from './logging/url-secrets.js';
