import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '@app/common';
import { queryRows } from '@app/database';
import type { Stripe } from '@app/stripe';
import { addMonths } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import { idOf, subscriptionPeriod } from '../webhooks/stripe-mapping.js';
import { ignored, needsAttention, processed, type HandlerOutcome } from '../webhooks/webhook-handler.types.js';
import { normalizeDomainName } from './domain-name.js';
import { VendorAddOnRepository, type AddOnGrant } from './vendor-add-on.repository.js';

export interface CheckoutPurchase {
  vendorId: number;
  session: Stripe.Checkout.Session;
  /** The add-on's subscription as Stripe holds it (read before the transaction), or null for a one-off payment. */
  subscription: Stripe.Subscription | null;
}

/** A Checkout metadata value as text PostgreSQL can store and an admin can read. */
const clean = (value: string, max: number) => value.replace(/\p{Cc}/gu, '').slice(0, max);

/**
 * Grants what a paid add-on Checkout bought, or, when it cannot (its domain is held by another vendor, its code
 * names no add-on, its domain is not one), records the add-on as `needs_attention` with the reason and answers
 * so, for the ledger and the admins. Either way the caller's transaction commits: a paid purchase is never lost to
 * an error that every retry would meet again.
 */
@Injectable()
export class AddOnGrantService {
  private readonly logger = new Logger(AddOnGrantService.name);

  constructor(
    private readonly addOns: VendorAddOnRepository,
    private readonly clock: Clock,
  ) {}

  async recordCheckoutPurchase(manager: EntityManager, purchase: CheckoutPurchase): Promise<HandlerOutcome> {
    const { vendorId, session, subscription } = purchase;
    const code = clean(session.metadata?.addon_code ?? '', 64);
    const [product] = await queryRows<{ id: number; billing_period: 'month' | 'year'; requires_domain: boolean }>(
      manager,
      `SELECT id, billing_period, requires_domain FROM add_on_products WHERE code = $1`,
      [code],
    );
    const now = this.clock.now();
    const rawDomain = session.metadata?.domain_name ?? session.metadata?.domain ?? '';
    const domainName = rawDomain.trim() ? normalizeDomainName(rawDomain) : null;
    const subscriptionId = subscription?.id ?? (session.mode === 'subscription' ? idOf(session.subscription) : null);
    const grant: AddOnGrant = {
      vendorId,
      addOnProductId: product?.id ?? 0,
      domainName,
      quantity: subscription?.items?.data?.[0]?.quantity ?? Math.max(1, Number.parseInt(session.metadata?.quantity ?? '1', 10) || 1),
      sessionId: session.id,
      subscriptionId,
      period: (subscription && subscriptionPeriod(subscription)) ?? { start: now, end: addMonths(now, product?.billing_period === 'year' ? 12 : 1) },
    };

    const mine = await this.addOns.lockByCheckoutSession(manager, session.id);
    if (mine && mine.status !== 'pending' && mine.status !== 'needs_attention') return processed(`add-on of checkout session ${session.id} already exists`);

    const attention = (reason: string) => this.needsAttention(manager, mine?.id, { ...grant, addOnProductId: product?.id ?? null, addonCode: code, reason });
    if (!product) return attention(`checkout session ${session.id}: unknown add-on "${code}"`);
    if (rawDomain.trim() && !domainName) return attention(`checkout session ${session.id}: "${clean(rawDomain, 260)}" is not a valid domain`);
    if (product.requires_domain && !domainName) return attention(`checkout session ${session.id}: the add-on "${code}" needs a domain and the session names none`);

    // The session's own hold, else the vendor's open hold of this domain under another of its sessions (two tabs).
    const target = mine?.id ?? (domainName ? await this.addOns.lockOwnHold(manager, vendorId, product.id, domainName) : undefined);
    if (target !== undefined) {
      if ((await this.addOns.activate(manager, target, grant)) === 'granted') return processed();
    } else {
      const inserted = await this.addOns.insertActive(manager, grant);
      if (inserted.outcome === 'granted') return processed();
      // A concurrent delivery for the same session (another event type) got there first.
      if (await this.addOns.lockByCheckoutSession(manager, session.id)) return processed(`add-on of checkout session ${session.id} already exists`);
    }
    return attention(`checkout session ${session.id}: the domain ${domainName} is held by another vendor's add-on or open Checkout`);
  }

  /**
   * `checkout.session.expired`: the domain held by that Checkout is free now. (Without this event the hold still
   * ends: a later buyer finds it past its time and Stripe confirms the expiry.)
   */
  async checkoutExpired(manager: EntityManager, session: Stripe.Checkout.Session): Promise<HandlerOutcome> {
    if (!session.metadata?.addon_code) return ignored(`checkout session ${session.id} is not an add-on's`);
    const released = await this.addOns.releaseExpiredCheckoutHold(manager, session.id);
    return processed(released ? `released the domain held by checkout session ${session.id}` : `checkout session ${session.id} held no domain`);
  }

  private async needsAttention(manager: EntityManager, id: number | undefined, record: Parameters<VendorAddOnRepository['recordNeedsAttention']>[2]): Promise<HandlerOutcome> {
    const addOnId = await this.addOns.recordNeedsAttention(manager, id, record);
    // Where the platform event `addon.needs_attention` is recorded, in this transaction, once libs/platform-events has it.
    this.logger.warn({ vendor_id: record.vendorId, add_on_id: addOnId, session_id: record.sessionId, msg: `Paid add-on needs attention: ${record.reason}` });
    return needsAttention(`vendor_add_ons #${addOnId} needs attention: ${record.reason}`);
  }
}
