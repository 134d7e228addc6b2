export * from './capacity-forecast.module.js';
export * from './snapshots/capacity-snapshot.entity.js';
export * from './snapshots/capacity-snapshot.service.js';
export * from './metrics/capacity-metrics.service.js';
export * from './forecast/capacity-forecast.service.js';
export * from './forecast/growth-trend.js';
export * from './forecast/infrastructure-tiers.js';
