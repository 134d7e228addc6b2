export * from './advisory-lock.js';
export * from './data-source-options.js';
export * from './database.module.js';
export * from './embedded-postgres.js';
export * from './snake-naming.strategy.js';
export * from './jobs/job-run.entity.js';
export * from '../../../migrations/seed-data.js';
export * from './migrate.js';
