export * from './platform.module.js';
export * from './auth/auth.service.js';
export * from './auth/auth.types.js';
export * from './auth/password-hasher.js';
export * from './orders/order.entity.js';
export * from './products/product.entity.js';
export * from './users/user.entity.js';
export * from './vendors/vendor.entity.js';
