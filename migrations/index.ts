import { InitialSchema1764000000000 } from './1764000000000-initial-schema.js';
import { SeedTiersAndAddOns1764000000001 } from './1764000000001-seed-tiers-and-add-ons.js';
import { WorkerJobsAtScale1764000004000 } from './1764000004000-worker-jobs-at-scale.js';
import { BillingOperations1764000005000 } from './1764000005000-billing-operations.js';
import { AddOnDomainHolds1764000006000 } from './1764000006000-add-on-domain-holds.js';
import { AuthRateLimits1764000009000 } from './1764000009000-auth-rate-limits.js';
import { AdminConsole1764000010000 } from './1764000010000-admin-console.js';
import { PlatformEvents1764000011000 } from './1764000011000-platform-events.js';
import { SubscriptionCancelAt1764000020000 } from './1764000020000-subscription-cancel-at.js';
import { ObservedWatermark1764000021300 } from './1764000021300-observed-watermark.js';
import { SubscriptionChanges1764000022000 } from './1764000022000-subscription-changes.js';
import { SubscriptionCancelAtEvent1764000025000 } from './1764000025000-subscription-cancel-at-event.js';
import { OrderOverage1764000028000 } from './1764000028000-order-overage.js';
import { StripeWatermark1764000029000 } from './1764000029000-stripe-watermark.js';
import { PriceMigrations1764000031000 } from './1764000031000-price-migrations.js';
import { JobStatementsRecordChanges1764000032500 } from './1764000032500-job-statements-record-changes.js';
import { RevenueRollup1764000033000 } from './1764000033000-revenue-rollup.js';
import { WebhookPayloadUncompressed1764000034000 } from './1764000034000-webhook-payload-uncompressed.js';
import { SubscriptionItemPrices1764000035000 } from './1764000035000-subscription-item-prices.js';
import { PlanValuePaidPrice1764000036000 } from './1764000036000-plan-value-paid-price.js';

export { DEFAULT_ADD_ONS, DEFAULT_TIERS, TIER_FEATURES, type DefaultAddOn, type DefaultTier, type TierFeature } from './seed-data.js';

/** Every migration, oldest first. Add a new one at the end. */
export const migrations = [InitialSchema1764000000000, SeedTiersAndAddOns1764000000001, WorkerJobsAtScale1764000004000, BillingOperations1764000005000, AddOnDomainHolds1764000006000, AuthRateLimits1764000009000, AdminConsole1764000010000, PlatformEvents1764000011000, SubscriptionCancelAt1764000020000, ObservedWatermark1764000021300, SubscriptionChanges1764000022000, SubscriptionCancelAtEvent1764000025000, OrderOverage1764000028000, StripeWatermark1764000029000, PriceMigrations1764000031000, JobStatementsRecordChanges1764000032500, RevenueRollup1764000033000, WebhookPayloadUncompressed1764000034000, SubscriptionItemPrices1764000035000, PlanValuePaidPrice1764000036000];
