export * from './capacity-forecast.module.js';
export * from './capacity-snapshot.entity.js';
