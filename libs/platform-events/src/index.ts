export * from './platform-events.module.js';
export * from './platform-event.types.js';
export * from './platform-event.sql.js';
export * from './platform-event-writer.service.js';
export * from './platform-event-admin.service.js';
export * from './delivery/platform-event-delivery.service.js';
export * from './delivery/platform-event-signature.js';
export * from './delivery/retry-schedule.js';
