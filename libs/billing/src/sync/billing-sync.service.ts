import { Injectable } from '@nestjs/common';
import { StripeService } from '@app/stripe';
import { SubscriptionService, type SubscriptionView } from '@app/subscription';
import { SubscriptionSyncService } from '../webhooks/subscription-sync.service.js';

/**
 * POST /billing/sync: the billing page calls it on return from Checkout, so a vendor who has paid sees the new plan
 * without waiting for the webhook. The subscription is re-read from Stripe and applied by the webhooks' own code.
 */
@Injectable()
export class BillingSyncService {
  constructor(
    private readonly stripe: StripeService,
    private readonly sync: SubscriptionSyncService,
    private readonly subscriptions: SubscriptionService,
  ) {}

  async syncFromStripe(vendorId: number): Promise<SubscriptionView> {
    this.stripe.assertConfigured();
    await this.sync.syncVendorFromStripe(vendorId);
    return this.subscriptions.getSubscriptionView(vendorId);
  }
}
