import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { NotFoundError } from '@app/common';
import { StripeService } from '@app/stripe';
import { SubscriptionWriter, VendorSubscription } from '@app/subscription';
import { User, Vendor } from '@app/platform';
import { DataSource } from 'typeorm';

export const customerIdempotencyKey = (vendor: Pick<Vendor, 'id' | 'createdAt'>): string => `customer:vendor:${vendor.id}:${vendor.createdAt.getTime()}`;

/**
 * One Stripe customer per vendor, created on first need and stored on `vendor_subscriptions.stripe_customer_id`.
 * Called from inside one of the vendor's billing operations, which run one at a time: no transaction or lock is
 * held while Stripe creates the customer. Where a webhook linked a customer meanwhile, that one stands.
 */
@Injectable()
export class StripeCustomerService {
  private readonly logger = new Logger(StripeCustomerService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly stripe: StripeService,
    private readonly writer: SubscriptionWriter,
  ) {}

  /** The vendor's Stripe customer id, or null when it has none yet (no Stripe call). */
  async findCustomerId(vendorId: number): Promise<string | null> {
    const row = await this.dataSource.getRepository(VendorSubscription).findOne({ where: { vendorId }, select: { id: true, stripeCustomerId: true } });
    if (!row) throw new NotFoundError('Subscription');
    return row.stripeCustomerId;
  }

  /**
   * The vendor's customer, created when it has none. Its idempotency key names the vendor (its id and when it was
   * created, so two databases sharing a Stripe account never meet): a create whose answer was lost is answered by
   * the next one with the same customer.
   */
  async ensureCustomer(vendorId: number): Promise<string> {
    const existing = await this.findCustomerId(vendorId);
    if (existing) return existing;
    this.stripe.assertConfigured();
    const vendor = await this.dataSource.getRepository(Vendor).findOneByOrFail({ id: vendorId });
    const owner = await this.dataSource.getRepository(User).findOne({ where: { vendorId, isOwner: true }, select: { id: true, email: true } });
    const customer = await this.stripe.call('create the customer', (stripe) =>
      stripe.customers.create(
        { name: vendor.name, ...(owner && { email: owner.email }), metadata: { vendor_id: String(vendorId), vendor_code: vendor.code } },
        { idempotencyKey: customerIdempotencyKey(vendor) },
      ),
    );
    const stored = await this.writer.linkStripeCustomer(this.dataSource.manager, vendorId, customer.id);
    if (stored === customer.id) this.logger.log({ vendor_id: vendorId, customer_id: customer.id, msg: 'Stripe customer created' });
    return stored ?? customer.id;
  }
}
