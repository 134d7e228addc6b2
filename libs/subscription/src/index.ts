export * from './subscription.module.js';
export * from './subscriptions/subscription.service.js';
export * from './subscriptions/subscription-period.js';
export * from './subscriptions/vendor-subscription.entity.js';
export * from './tiers/subscription-tier.entity.js';
