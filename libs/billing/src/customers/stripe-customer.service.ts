import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { NotFoundError } from '@app/common';
import { AdvisoryLock } from '@app/database';
import { StripeService } from '@app/stripe';
import { VendorSubscription } from '@app/subscription';
import { User, Vendor } from '@app/platform';
import { DataSource } from 'typeorm';

/** The idempotency key of a vendor's customer: one customer per vendor, whoever asks and however often. */
export const customerIdempotencyKey = (vendorId: number): string => `customer-create:vendor:${vendorId}`;

/**
 * One Stripe customer per vendor, created on first need and stored on `vendor_subscriptions.stripe_customer_id`.
 * Concurrent first requests queue on a per-vendor advisory lock, so only the first one calls Stripe and the others
 * find its customer; the lock is not the subscription row's, so limit claims and webhooks of that vendor are not held
 * up while Stripe answers. The idempotency key makes even a retry after a lost answer return the same customer. A
 * failed Stripe call rolls the transaction back, and a failed commit leaves a customer that the next attempt gets back
 * under the same key.
 */
@Injectable()
export class StripeCustomerService {
  private readonly logger = new Logger(StripeCustomerService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly stripe: StripeService,
  ) {}

  /** The vendor's Stripe customer id, or null when it has none yet (no Stripe call). */
  async findCustomerId(vendorId: number): Promise<string | null> {
    const row = await this.dataSource.getRepository(VendorSubscription).findOne({ where: { vendorId }, select: { id: true, stripeCustomerId: true } });
    if (!row) throw new NotFoundError('Subscription');
    return row.stripeCustomerId;
  }

  async ensureCustomer(vendorId: number): Promise<string> {
    const existing = await this.findCustomerId(vendorId);
    if (existing) return existing;
    this.stripe.assertConfigured();

    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1, $2)`, [AdvisoryLock.StripeCustomerCreation, vendorId]);
      const [locked] = await manager.query(`SELECT stripe_customer_id FROM vendor_subscriptions WHERE vendor_id = $1`, [vendorId]);
      if (!locked) throw new NotFoundError('Subscription');
      if (locked.stripe_customer_id) return locked.stripe_customer_id as string;

      const vendor = await manager.getRepository(Vendor).findOneByOrFail({ id: vendorId });
      const owner = await manager.getRepository(User).findOne({ where: { vendorId, isOwner: true }, select: { id: true, email: true } });
      const customer = await this.stripe.call('create the customer', (stripe) =>
        stripe.customers.create(
          {
            name: vendor.name,
            ...(owner && { email: owner.email }),
            metadata: { vendor_id: String(vendorId), vendor_code: vendor.code },
          },
          { idempotencyKey: customerIdempotencyKey(vendorId) },
        ),
      );
      // Only where no customer is stored: a webhook may have linked one meanwhile, and that one stands.
      const [rows] = await manager.query(
        `UPDATE vendor_subscriptions SET stripe_customer_id = $2, updated_at = now() WHERE vendor_id = $1 AND stripe_customer_id IS NULL RETURNING stripe_customer_id`,
        [vendorId, customer.id],
      );
      if (rows.length === 0) {
        const [stored] = await manager.query(`SELECT stripe_customer_id FROM vendor_subscriptions WHERE vendor_id = $1`, [vendorId]);
        return stored.stripe_customer_id as string;
      }
      this.logger.log({ vendor_id: vendorId, customer_id: customer.id, msg: 'Stripe customer created' });
      return customer.id;
    });
  }
}
