export * from './platform-health.module.js';
