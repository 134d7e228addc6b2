import { Injectable } from '@nestjs/common';
import { StripeService } from '@app/stripe';
import { SubscriptionService, type SubscriptionView } from '@app/subscription';
import { BillingOperationsService } from '../operations/billing-operations.service.js';
import { SubscriptionSyncService } from '../webhooks/subscription-sync.service.js';

/**
 * POST /billing/sync: the billing page calls it on return from Checkout, so a vendor who has paid sees the new plan
 * without waiting for the webhook. The subscription is re-read from Stripe and applied by the webhooks' own code,
 * and an operation whose local write had failed after Stripe agreed is completed in the same transaction.
 */
@Injectable()
export class BillingSyncService {
  constructor(
    private readonly stripe: StripeService,
    private readonly sync: SubscriptionSyncService,
    private readonly operations: BillingOperationsService,
    private readonly subscriptions: SubscriptionService,
  ) {}

  async syncFromStripe(vendorId: number): Promise<SubscriptionView> {
    this.stripe.assertConfigured();
    await this.sync.syncVendorFromStripe(vendorId, (manager) => this.operations.settleOpenOperations(manager, vendorId).then(() => undefined));
    return this.subscriptions.getSubscriptionView(vendorId);
  }
}
