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
import { BillingUrls, isoOrNull, toUnixSeconds } from '../shared/billing-urls.js';
import { AddOnProduct } from './add-on-product.entity.js';
import { normalizeDomainName } from './domain-name.js';
import { VendorAddOnRepository, type DomainHoldResult } from './vendor-add-on.repository.js';

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
 * How long an add-on Checkout stays open, and so how long it holds its domain. Stripe takes 30 minutes to 24 hours;
 * an hour is time enough to pay without keeping a domain from others for long.
 */
export const ADD_ON_CHECKOUT_MINUTES = 60;

/**
 * Add-ons: the catalog, the vendor's own, purchase through Checkout, and cancellation. A domain add-on holds its
 * domain from the moment its Checkout is opened (a `pending` row) until the session expires or is paid; the webhook
 * then grants the add-on through AddOnGrantService.
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
    private readonly addOns: VendorAddOnRepository,
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
    const rows = await this.addOns.listForVendor(this.dataSource.manager, vendorId);
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

  /**
   * Opens Checkout for an add-on. A domain is held first, in a short transaction of its own (409 when another vendor
   * holds it); then Stripe is called with no transaction open; then the session is attached to the hold. If the
   * Checkout cannot be opened, the hold is released.
   */
  async purchase(vendorId: number, input: AddOnPurchaseInput, clientKey?: string): Promise<CheckoutSessionView> {
    this.stripe.assertConfigured();
    const addOn = await this.dataSource.getRepository(AddOnProduct).findOneBy({ code: input.addonCode, isActive: true });
    if (!addOn) throw new NotFoundError(`Add-on "${input.addonCode}"`);
    const quantity = input.quantity ?? 1;
    const domainName = this.domainFor(addOn, input.domainName);
    if (!addOn.stripePriceId) throw new StripePriceNotConfiguredError(`The add-on "${addOn.code}"`, addOn.billingPeriod);
    const price = addOn.stripePriceId;
    const params = { addon_code: addOn.code, quantity, domain_name: domainName };
    return this.operations.run({ vendorId, kind: 'addon_purchase', params, clientKey }, (op) => this.holdAndOpenCheckout(vendorId, addOn, price, quantity, domainName, op.idempotencyKey));
  }

  /** The domain held (if any), then the Checkout, then the session attached to the hold; a failed Checkout releases it. */
  private async holdAndOpenCheckout(vendorId: number, addOn: AddOnProduct, price: string, quantity: number, domainName: string | null, idempotencyKey: string): Promise<CheckoutSessionView> {
    // Whole seconds, as Stripe keeps it; the hold and the session end at the same instant.
    const expiresAt = new Date(Math.floor(this.clock.now().getTime() / 1000) * 1000 + ADD_ON_CHECKOUT_MINUTES * 60_000);
    const hold = domainName ? await this.holdDomain({ vendorId, addOnProductId: addOn.id, domainName, quantity, expiresAt }) : null;

    let view: CheckoutSessionView;
    try {
      view = await this.openCheckout(vendorId, addOn, price, quantity, domainName, hold?.expiresAt ?? null, idempotencyKey);
    } catch (error) {
      if (hold?.created) await this.addOns.releaseUnusedHold(this.dataSource.manager, hold.holdId);
      throw error;
    }
    if (hold) await this.addOns.attachCheckoutSession(this.dataSource.manager, hold.holdId, view.session_id, hold.expiresAt);
    return view;
  }

  /** The Checkout itself; with `expiresAt` (a held domain) it ends when the hold does. */
  private async openCheckout(
    vendorId: number, addOn: AddOnProduct, price: string, quantity: number, domainName: string | null, expiresAt: Date | null, idempotencyKey: string,
  ): Promise<CheckoutSessionView> {
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
          ...(expiresAt && { expires_at: toUnixSeconds(expiresAt) }),
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
    const row = await this.addOns.findForVendor(this.dataSource.manager, vendorId, addOnId);
    if (!row) throw new NotFoundError('Add-on');
    if (row.status !== 'active') return { message: `${row.name} is already ${row.status}.`, status: row.status };
    if (row.stripe_subscription_id) {
      const id = row.stripe_subscription_id;
      await this.stripe.call('cancel the add-on', (stripe) => stripe.subscriptions.cancel(id, {}, { idempotencyKey }));
    }
    await this.addOns.markCancelled(this.dataSource.manager, row.id);
    this.logger.log({ vendor_id: vendorId, add_on_id: row.id, msg: 'Add-on cancelled' });
    return { message: `${row.name} is cancelled.`, status: 'cancelled' };
  }

  /** The domain an add-on is bought for: required for a domain add-on, and a valid hostname. */
  private domainFor(addOn: AddOnProduct, raw: string | undefined): string | null {
    if (!addOn.requiresDomain) {
      if (raw !== undefined) throw ValidationFailedError.forField('domain_name', `The add-on "${addOn.code}" does not take a domain_name.`);
      return null;
    }
    if (raw === undefined || raw.trim() === '') throw ValidationFailedError.forField('domain_name', `The add-on "${addOn.code}" needs a domain_name.`);
    const domain = normalizeDomainName(raw);
    if (!domain) throw ValidationFailedError.forField('domain_name', 'domain_name must be a valid hostname such as shop.example.com.');
    return domain;
  }

  /**
   * Holds the domain for the vendor, or CONFLICT. A hold whose time is up but which names a Checkout session is
   * released only once Stripe confirms that session expired (it may have been paid at the last minute, and its
   * webhook not arrived yet); that read happens between two short transactions, never inside one.
   */
  private async holdDomain(req: Parameters<VendorAddOnRepository['holdDomain']>[1]): Promise<{ holdId: number; created: boolean; expiresAt: Date }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const result: DomainHoldResult = await this.dataSource.transaction((manager) => this.addOns.holdDomain(manager, req));
      if (result.outcome === 'held') return result;
      if (result.outcome === 'retry') continue;
      if (result.outcome === 'taken') {
        if (result.by === 'live') throw new ConflictError(`The domain ${req.domainName} is already in use.`, { field: 'domain_name' });
        break;
      }
      const { sessionId, holdId } = result;
      const stale = await this.stripe.call('read the Checkout holding the domain', (stripe) => stripe.checkout.sessions.retrieve(sessionId));
      if (stale.status !== 'expired') break;
      await this.addOns.releaseExpiredCheckoutHold(this.dataSource.manager, sessionId, holdId);
    }
    throw new ConflictError(`The domain ${req.domainName} is held by an open Checkout; try again later.`, { field: 'domain_name' });
  }
}
