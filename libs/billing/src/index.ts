export * from './billing.module.js';
export * from './add-ons/add-on-product.entity.js';
export * from './add-ons/vendor-add-on.entity.js';
export * from './invoices/billing-history.entity.js';
export * from './webhooks/stripe-webhook-event.entity.js';
export * from './webhooks/webhooks.module.js';
export * from './webhooks/subscription-sync.service.js';
