import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Clock, ConflictError, NotFoundError, ValidationFailedError } from '@app/common';
import { StripeService } from '@app/stripe';
import { DataSource } from 'typeorm';
import { StripePriceNotConfiguredError } from '../billing.errors.js';
import { CheckoutService, type CheckoutSessionView } from '../checkout/checkout.service.js';
import { StripeCustomerService } from '../customers/stripe-customer.service.js';
import { BillingOperationsService } from '../operations/billing-operations.service.js';
import { BillingContext } from '../shared/billing-context.service.js';
import { BillingUrls, isoOrNull } from '../shared/billing-urls.js';
import { AddOnProduct } from './add-on-product.entity.js';
import { normalizeDomainName } from './domain-name.js';

export interface AddOnView {
  id: number;
  code: string;
  name: string;
  description: string;
  category: string;
  price_cents: number;
  currency: string;
  billing_period: string;
  requires_domain: boolean;
}

export interface VendorAddOnView {
  id: number;
  addon_code: string;
  addon_name: string;
  status: string;
  domain_name: string | null;
  quantity: number;
  period_start: string | null;
  period_end: string | null;
  cancelled_at: string | null;
}

export interface AddOnPurchaseInput {
  addonCode: string;
  domainName?: string;
  quantity?: number;
}

/**
 * Add-ons: the catalog, the vendor's own, purchase through Checkout (the webhook records the vendor_add_ons row
 * on `checkout.session.completed`, from the session's metadata), and cancellation.
 */
@Injectable()
export class AddOnService {
  private readonly logger = new Logger(AddOnService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly context: BillingContext,
    private readonly customers: StripeCustomerService,
    private readonly checkout: CheckoutService,
    private readonly operations: BillingOperationsService,
    private readonly stripe: StripeService,
    private readonly urls: BillingUrls,
    private readonly clock: Clock,
  ) {}

  async listCatalog(): Promise<AddOnView[]> {
    const rows = await this.dataSource.getRepository(AddOnProduct).find({ where: { isActive: true }, order: { displayOrder: 'ASC', id: 'ASC' } });
    return rows.map((a) => ({
      id: a.id,
      code: a.code,
      name: a.name,
      description: a.description,
      category: a.category,
      price_cents: a.priceCents,
      currency: a.currency,
      billing_period: a.billingPeriod,
      requires_domain: a.requiresDomain,
    }));
  }

  async listVendorAddOns(vendorId: number): Promise<VendorAddOnView[]> {
    const rows: Array<{
      id: number; code: string; name: string; status: string; domain_name: string | null; quantity: number;
      period_start: Date | null; period_end: Date | null; cancelled_at: Date | null;
    }> = await this.dataSource.query(
      `SELECT va.id, p.code, p.name, va.status, va.domain_name, va.quantity, va.period_start, va.period_end, va.cancelled_at
         FROM vendor_add_ons va JOIN add_on_products p ON p.id = va.add_on_product_id
        WHERE va.vendor_id = $1
        ORDER BY (va.status = 'active') DESC, va.created_at DESC, va.id DESC`,
      [vendorId],
    );
    return rows.map((r) => ({
      id: r.id,
      addon_code: r.code,
      addon_name: r.name,
      status: r.status,
      domain_name: r.domain_name,
      quantity: r.quantity,
      period_start: isoOrNull(r.period_start),
      period_end: isoOrNull(r.period_end),
      cancelled_at: isoOrNull(r.cancelled_at),
    }));
  }

  async purchase(vendorId: number, input: AddOnPurchaseInput, clientKey?: string): Promise<CheckoutSessionView> {
    this.stripe.assertConfigured();
    const addOn = await this.dataSource.getRepository(AddOnProduct).findOneBy({ code: input.addonCode, isActive: true });
    if (!addOn) throw new NotFoundError(`Add-on "${input.addonCode}"`);
    const quantity = input.quantity ?? 1;
    const domainName = await this.domainFor(addOn, input.domainName);
    if (!addOn.stripePriceId) throw new StripePriceNotConfiguredError(`The add-on "${addOn.code}"`, addOn.billingPeriod);
    const price = addOn.stripePriceId;
    const params = { addon_code: addOn.code, quantity, domain_name: domainName };
    return this.operations.run({ vendorId, kind: 'addon_purchase', params, clientKey }, (op) => this.openCheckout(vendorId, addOn, price, quantity, domainName, op.idempotencyKey));
  }

  private async openCheckout(vendorId: number, addOn: AddOnProduct, price: string, quantity: number, domainName: string | null, idempotencyKey: string): Promise<CheckoutSessionView> {
    const vendor = await this.context.vendor(vendorId);
    const customer = await this.customers.ensureCustomer(vendorId);
    const metadata = { vendor_id: String(vendorId), addon_code: addOn.code, quantity: String(quantity), ...(domainName && { domain_name: domainName }) };
    const session = await this.stripe.call('open Checkout', (stripe) =>
      stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          customer,
          client_reference_id: String(vendorId),
          line_items: [{ price, quantity }],
          ...this.urls.checkoutReturn(vendor.code, { addon: addOn.code }),
          metadata,
          subscription_data: { metadata },
          ...this.checkout.taxParams(),
        },
        { idempotencyKey },
      ),
    );
    this.logger.log({ vendor_id: vendorId, addon_code: addOn.code, session_id: session.id, msg: 'Add-on Checkout opened' });
    return { checkout_url: session.url ?? '', session_id: session.id };
  }

  /** Cancels the add-on now (its Stripe subscription too); another vendor's add-on is NOT_FOUND. */
  cancel(vendorId: number, addOnId: number): Promise<{ message: string; status: string }> {
    return this.operations.run({ vendorId, kind: 'addon_cancel', params: { add_on_id: addOnId } }, (op) => this.cancelAddOn(vendorId, addOnId, op.idempotencyKey));
  }

  private async cancelAddOn(vendorId: number, addOnId: number, idempotencyKey: string): Promise<{ message: string; status: string }> {
    const [row]: Array<{ id: number; status: string; stripe_subscription_id: string | null; name: string }> = await this.dataSource.query(
      `SELECT va.id, va.status, va.stripe_subscription_id, p.name
         FROM vendor_add_ons va JOIN add_on_products p ON p.id = va.add_on_product_id
        WHERE va.id = $1 AND va.vendor_id = $2`,
      [addOnId, vendorId],
    );
    if (!row) throw new NotFoundError('Add-on');
    if (row.status !== 'active') return { message: `${row.name} is already ${row.status}.`, status: row.status };
    if (row.stripe_subscription_id) {
      const id = row.stripe_subscription_id;
      await this.stripe.call('cancel the add-on', (stripe) => stripe.subscriptions.cancel(id, {}, { idempotencyKey }));
    }
    const now = this.clock.now();
    await this.dataSource.query(
      `UPDATE vendor_add_ons SET status = 'cancelled', cancelled_at = COALESCE(cancelled_at, $2), updated_at = $2 WHERE id = $1 AND status = 'active'`,
      [row.id, now],
    );
    this.logger.log({ vendor_id: vendorId, add_on_id: row.id, msg: 'Add-on cancelled' });
    return { message: `${row.name} is cancelled.`, status: 'cancelled' };
  }

  /** The domain an add-on is bought for: required, a valid hostname, and not held by any vendor's active add-on. */
  private async domainFor(addOn: AddOnProduct, raw: string | undefined): Promise<string | null> {
    if (!addOn.requiresDomain) {
      if (raw !== undefined) throw ValidationFailedError.forField('domain_name', `The add-on "${addOn.code}" does not take a domain_name.`);
      return null;
    }
    if (raw === undefined || raw.trim() === '') throw ValidationFailedError.forField('domain_name', `The add-on "${addOn.code}" needs a domain_name.`);
    const domain = normalizeDomainName(raw);
    if (!domain) throw ValidationFailedError.forField('domain_name', 'domain_name must be a valid hostname such as shop.example.com.');
    const [held] = await this.dataSource.query(`SELECT vendor_id FROM vendor_add_ons WHERE domain_name = $1 AND status = 'active' LIMIT 1`, [domain]);
    if (held) throw new ConflictError(`The domain ${domain} is already in use.`, { field: 'domain_name' });
    return domain;
  }
}
