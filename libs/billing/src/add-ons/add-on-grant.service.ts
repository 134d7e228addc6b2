import { Injectable, Logger } from '@nestjs/common';
import { Clock, isUniqueViolation } from '@app/common';
import { queryRows, SqlParams, type ComposedStatement } from '@app/database';
import { PlatformEventWriter } from '@app/platform-events';
import type { Stripe } from '@app/stripe';
import { addMonths, SubscriptionWriter } from '@app/subscription';
import type { EntityManager } from 'typeorm';
import { idOf, subscriptionPeriod } from '../webhooks/stripe-mapping.js';
import type { ClaimReport, HandlerOutcome, LedgerClaim } from '../webhooks/webhook-handler.types.js';
import { ignored, processed } from '../webhooks/webhook-handler.types.js';
import { normalizeDomainName } from './domain-name.js';
import { VendorAddOnRepository } from './vendor-add-on.repository.js';

export interface CheckoutPurchase {
  /** From the session's metadata; null when it names none. */
  vendorId: number | null;
  session: Stripe.Checkout.Session;
  /** The add-on's subscription as Stripe holds it (read before the statement), or null for a one-off payment. */
  subscription: Stripe.Subscription | null;
}

/** A Checkout metadata value as text PostgreSQL can store and an admin can read. */
const clean = (value: string, max: number) => value.replace(/\p{Cc}/gu, '').slice(0, max);

/** How often the grant runs again when a holder of its domain or session committed while it ran. */
const ATTEMPTS = 3;

/**
 * What a paid add-on Checkout comes to, decided in its statement in this order: `no_vendor` (ignored), `done` (the
 * session's add-on exists already), four reasons it cannot be granted (`needs_attention`), else `grant`.
 */
type Verdict = 'no_vendor' | 'done' | 'unknown_add_on' | 'invalid_domain' | 'no_domain' | 'domain_held' | 'grant';

/**
 * Grants what a paid add-on Checkout bought, or, when it cannot (its domain is held by another vendor, its code
 * names no add-on, its domain is not one), records the add-on as `needs_attention` with the reason, tells the
 * platform (`addon.needs_attention`) and answers so, for the ledger and the admins: a paid purchase is never lost
 * to an error that every retry would meet again.
 *
 * One statement, outside any transaction, like a plan's subscription events and the invoices: the vendor's row
 * locked, the rows the purchase may land on read and locked (the repository's), the verdict, the ledger's claim
 * of the event with the verdict's outcome, and the writes, which wait on the claim (a duplicate changes nothing).
 * Each table's owner writes its part. A holder of the domain (or another event of the same session) that commits
 * while the statement runs makes its write fail on the unique index; nothing was written, and the statement runs
 * again, now seeing the holder.
 */
@Injectable()
export class AddOnGrantService {
  private readonly logger = new Logger(AddOnGrantService.name);

  constructor(
    private readonly addOns: VendorAddOnRepository,
    private readonly clock: Clock,
    private readonly platformEvents: PlatformEventWriter,
    private readonly writer: SubscriptionWriter,
  ) {}

  async recordCheckoutPurchase(manager: EntityManager, purchase: CheckoutPurchase, claim: LedgerClaim): Promise<ClaimReport> {
    const { vendorId, session } = purchase;
    if (!vendorId) return this.ignore(manager, claim, `checkout session ${session.id} carries no metadata.vendor_id`);
    if (session.mode === 'payment' && session.payment_status === 'unpaid') {
      // A delayed payment method (a bank debit): the add-on starts when Stripe reports the payment, not before.
      return this.ignore(manager, claim, `checkout session ${session.id}: the payment is still pending`);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.grant(manager, { ...purchase, vendorId }, claim);
      } catch (error) {
        if (!isUniqueViolation(error) || attempt === ATTEMPTS) throw error;
      }
    }
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

  private async grant(manager: EntityManager, purchase: CheckoutPurchase & { vendorId: number }, claim: LedgerClaim): Promise<ClaimReport> {
    const { vendorId, session } = purchase;
    const { text, params } = this.grantStatement(purchase, claim);
    const [result] = await queryRows<{ report: ClaimReport; attention_id: number | null }>(manager, text, params.values, { reusePlan: true });
    if (result.attention_id !== null) {
      this.logger.warn({ vendor_id: vendorId, add_on_id: result.attention_id, session_id: session.id, msg: `Paid add-on needs attention: ${result.report.note}` });
    }
    return result.report;
  }

  /** The grant's one statement (pure: rendered into add-on-grant.service.queries.sql). */
  grantStatement(purchase: CheckoutPurchase & { vendorId: number }, claim: LedgerClaim): ComposedStatement {
    const { vendorId, session, subscription } = purchase;
    const params = new SqlParams();
    const add = params.add;
    const code = clean(session.metadata?.addon_code ?? '', 64);
    const rawDomain = session.metadata?.domain_name ?? session.metadata?.domain ?? '';
    const domainName = rawDomain.trim() ? normalizeDomainName(rawDomain) : null;
    const now = this.clock.now();
    const period = subscription && subscriptionPeriod(subscription);
    const row = {
      vendorId,
      productId: '(SELECT id FROM product)',
      domainName,
      quantity: subscription?.items?.data?.[0]?.quantity ?? Math.max(1, Number.parseInt(session.metadata?.quantity ?? '1', 10) || 1),
      sessionId: session.id,
      subscriptionId: subscription?.id ?? (session.mode === 'subscription' ? idOf(session.subscription) : null),
      periodStart: period?.start ?? now,
      // Without a subscription, the period of a one-off purchase is the product's billing period from now.
      periodEnd: period
        ? add(period.end, 'timestamptz')
        : `CASE WHEN (SELECT billing_period FROM product) = 'year' THEN ${add(addMonths(now, 12), 'timestamptz')} ELSE ${add(addMonths(now, 1), 'timestamptz')} END`,
    };
    const reasons: Record<Exclude<Verdict, 'no_vendor' | 'done' | 'grant'>, string> = {
      unknown_add_on: `checkout session ${session.id}: unknown add-on "${code}"`,
      invalid_domain: `checkout session ${session.id}: "${clean(rawDomain, 260)}" is not a valid domain`,
      no_domain: `checkout session ${session.id}: the add-on "${code}" needs a domain and the session names none`,
      domain_held: `checkout session ${session.id}: the domain ${domainName} is held by another vendor's add-on or open Checkout`,
    };
    const verdict = `(SELECT verdict FROM addon_verdict)`;
    const reason = `CASE ${verdict} ${Object.entries(reasons).map(([k, text]) => `WHEN '${k}' THEN ${add(text, 'text')}`).join(' ')} END`;
    const outcome = `SELECT CASE verdict WHEN 'no_vendor' THEN 'ignored' WHEN 'done' THEN 'processed' WHEN 'grant' THEN 'processed' ELSE 'needs_attention' END AS status,
        CASE verdict WHEN 'no_vendor' THEN ${add(`checkout session ${session.id}: unknown vendor ${vendorId}`, 'text')}
                     WHEN 'done' THEN ${add(`add-on of checkout session ${session.id} already exists`, 'text')}
                     WHEN 'grant' THEN NULL ELSE ${reason} END AS note
      FROM addon_verdict`;
    const attention = `${claim.recorded} AND ${verdict} NOT IN ('no_vendor', 'done', 'grant')`;
    const granted = this.addOns.landSql(add, 'addon_granted', { ...row, status: 'active', addonCode: null, reason: 'NULL' }, 'addon_target', `${claim.taken} AND ${verdict} = 'grant'`);
    const recorded = this.addOns.landSql(add, 'addon_attention', { ...row, status: 'needs_attention', addonCode: code, reason }, 'addon_mine', attention);
    const ctes = [
      `vendor AS (${this.writer.vendorOfSql(add, { subscriptionId: null, customerId: null, vendorId }, { lock: true })})`,
      `product AS (SELECT id, billing_period, requires_domain FROM add_on_products WHERE code = ${add(code, 'varchar', 'metadata.addon_code')})`,
      ...this.addOns.checkoutRowsSql(add, session.id, vendorId, domainName, 'SELECT id FROM product'),
      `addon_verdict AS (
        SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM vendor) THEN 'no_vendor'
                    WHEN addon_mine.status NOT IN ('pending', 'needs_attention') THEN 'done'
                    WHEN product.id IS NULL THEN 'unknown_add_on'
                    WHEN ${add(Boolean(rawDomain.trim()) && !domainName, 'boolean')} THEN 'invalid_domain'
                    WHEN product.requires_domain AND ${add(domainName, 'varchar')} IS NULL THEN 'no_domain'
                    WHEN addon_domain_held.held THEN 'domain_held'
                    ELSE 'grant' END AS verdict
          FROM addon_domain_held LEFT JOIN addon_mine ON true LEFT JOIN product ON true)`,
      claim.ctes(add, outcome),
      ...granted.ctes,
      ...recorded.ctes,
      `addon_reported AS (${this.platformEvents.addonNeedsAttentionSql(add, 'vendor', { addon_code: code, domain_name: domainName, checkout_session_id: session.id }, reason, attention)})`,
    ];
    return {
      text: `WITH ${ctes.join(',\n')}
       SELECT ${claim.report} AS report, ${recorded.id} AS attention_id`,
      params,
    };
  }

  /** A purchase ignored before anything is read: only the claim, as `ignored`. */
  private async ignore(manager: EntityManager, claim: LedgerClaim, note: string): Promise<ClaimReport> {
    const { text, params } = this.ignoreStatement(claim, note);
    const [result] = await queryRows<{ report: ClaimReport }>(manager, text, params.values, { reusePlan: true });
    return result.report;
  }

  /** ignore's statement (pure: rendered into add-on-grant.service.queries.sql). */
  ignoreStatement(claim: LedgerClaim, note: string): ComposedStatement {
    const params = new SqlParams();
    const fixed = `SELECT 'ignored'::varchar AS status, ${params.add(note, 'text', 'note')} AS note`;
    return { text: `WITH ${claim.ctes(params.add, fixed)} SELECT ${claim.report} AS report`, params };
  }
}
