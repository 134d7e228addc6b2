// `npm run platform:secret`: prints a new PLATFORM_WEBHOOK_SECRET in the Standard Webhooks form, `whsec_` + the
// base64 of 32 random bytes (start-up refuses any secret not of this form, or under 24 bytes). Give the same value
// to the platform's receiver, which verifies with it.
import { randomBytes } from 'node:crypto';

console.log(`whsec_${randomBytes(32).toString('base64')}`);
