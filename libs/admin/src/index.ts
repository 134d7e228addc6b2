export * from './admin.module.js';
export * from './audit/admin-audit-entry.entity.js';
export * from './audit/admin-audit.service.js';
export * from './vendors/vendor-directory.service.js';
export * from './vendors/vendor-admin.service.js';
