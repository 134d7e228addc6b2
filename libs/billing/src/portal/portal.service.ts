import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { StripeService } from '@app/stripe';
import { NoActiveSubscriptionError } from '../billing.errors.js';
import { BillingContext } from '../shared/billing-context.service.js';
import { BillingUrls } from '../shared/billing-urls.js';

/** The Stripe Customer Portal: payment methods, invoices, plan changes and cancellation, configured in Stripe. */
@Injectable()
export class PortalService {
  constructor(
    private readonly context: BillingContext,
    private readonly stripe: StripeService,
    private readonly urls: BillingUrls,
  ) {}

  async createPortalSession(vendorId: number): Promise<{ portal_url: string }> {
    this.stripe.assertConfigured();
    const sub = await this.context.subscription(vendorId);
    if (!sub.stripeCustomerId) throw new NoActiveSubscriptionError('This vendor has no Stripe customer yet; subscribe through Checkout first.');
    const vendor = await this.context.vendor(vendorId);
    const customer = sub.stripeCustomerId;
    // A portal session changes nothing by itself; a fresh key per request only makes the SDK's own retries safe.
    const session = await this.stripe.call('open the customer portal', (stripe) =>
      stripe.billingPortal.sessions.create({ customer, return_url: this.urls.billingPage(vendor.code) }, { idempotencyKey: `portal:vendor:${vendorId}:${randomUUID()}` }),
    );
    return { portal_url: session.url };
  }
}
