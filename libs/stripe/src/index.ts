export * from './stripe.module.js';
