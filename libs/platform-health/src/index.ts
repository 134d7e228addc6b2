export * from './platform-health.module.js';
export * from './platform-health.service.js';
