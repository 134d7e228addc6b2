export * from './stripe.module.js';
export * from './stripe.service.js';
export * from './stripe.errors.js';
export { default as Stripe } from 'stripe';
export * from './stripe-request-limiter.js';
