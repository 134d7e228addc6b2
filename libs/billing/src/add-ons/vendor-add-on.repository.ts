import { Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { queryRows, type AddParam } from '@app/database';
import type { Stripe } from '@app/stripe';
import type { EntityManager } from 'typeorm';
import { fromUnix, mapSubscriptionStatus, subscriptionPeriod } from '../webhooks/stripe-mapping.js';
import type { VendorAddOnStatus } from './vendor-add-on.entity.js';

/** The rows that hold a domain (the partial unique index `uq_vendor_add_ons_held_domain`). */
const HOLDING = `status IN ('pending', 'active')`;

/** Stripe wants a Checkout to stay open 30 minutes at least; a hold reused with less left than this gets a new expiry. */
const REUSE_MARGIN_MS = 35 * 60_000;

/** An add-on as the vendor sees it; one whose code named no product shows that code. */
const VENDOR_ADD_ON_SELECT = `SELECT va.id, COALESCE(p.code, va.addon_code) AS code, COALESCE(p.name, va.addon_code) AS name, va.status, va.domain_name,
       va.quantity, va.stripe_subscription_id, va.period_start, va.period_end, va.cancelled_at
  FROM vendor_add_ons va LEFT JOIN add_on_products p ON p.id = va.add_on_product_id`;

export interface DomainHoldRequest {
  vendorId: number;
  addOnProductId: number;
  domainName: string;
  quantity: number;
  /** When the Checkout session will expire; the hold ends then. */
  expiresAt: Date;
}

/**
 * `held`: the domain is this vendor's until `expiresAt` (`created` false when the vendor's own open hold was reused);
 * `taken`: another vendor holds it, or this vendor already has it live; `stale`: held by a Checkout whose time is
 * up, which Stripe must confirm expired (it may have been paid just in time) before `releaseExpiredCheckoutHold`;
 * `retry`: the holder went away between the insert and the read.
 */
export type DomainHoldResult =
  | { outcome: 'held'; holdId: number; created: boolean; expiresAt: Date }
  | { outcome: 'taken'; by: 'live' | 'checkout' }
  | { outcome: 'stale'; holdId: number; sessionId: string }
  | { outcome: 'retry' };

export interface VendorAddOnRow {
  id: number;
  code: string;
  name: string;
  status: VendorAddOnStatus;
  domain_name: string | null;
  quantity: number;
  stripe_subscription_id: string | null;
  period_start: Date | null;
  period_end: Date | null;
  cancelled_at: Date | null;
}

/**
 * A paid Checkout's purchase as landSql writes it: values, and SQL expressions where the statement decides them.
 * A grant is `active` with no `addonCode` (the row keeps any it had) and a null `reason`.
 */
export interface CheckoutLanding {
  status: 'active' | 'needs_attention';
  vendorId: number;
  /** SQL: the add-on product's id (null when the code names none). */
  productId: string;
  addonCode: string | null;
  domainName: string | null;
  quantity: number;
  sessionId: string;
  subscriptionId: string | null;
  periodStart: Date;
  /** SQL: the period's end. */
  periodEnd: string;
  /** SQL: why it needs attention, or NULL. */
  reason: string;
}

/**
 * The one writer of `vendor_add_ons` (and its reads): domain holds for open Checkouts, the grant of a paid add-on,
 * the record of one that could not be granted, Stripe's later word on its subscription, and cancellation. Every
 * method runs on the caller's EntityManager, so it joins the caller's transaction, or (the `…Sql` builders: the
 * grant) answers CTEs for the caller's one statement; none calls Stripe.
 */
@Injectable()
export class VendorAddOnRepository {
  constructor(private readonly clock: Clock) {}

  /**
   * Holds `domainName` for the vendor: one conditional insert decides between concurrent buyers (the unique index,
   * not a read first). A hold left by a purchase that never reached Stripe (no session) is dropped once its time is up.
   */
  async holdDomain(manager: EntityManager, req: DomainHoldRequest): Promise<DomainHoldResult> {
    const now = this.clock.now();
    await manager.query(
      `DELETE FROM vendor_add_ons WHERE domain_name = $1 AND status = 'pending' AND hold_expires_at <= $2 AND stripe_checkout_session_id IS NULL`,
      [req.domainName, now],
    );
    const [inserted] = await queryRows<{ id: number }>(
      manager,
      `INSERT INTO vendor_add_ons (vendor_id, add_on_product_id, status, domain_name, quantity, hold_expires_at, created_at, updated_at)
       VALUES ($1, $2, 'pending', $3, $4, $5, $6, $6)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [req.vendorId, req.addOnProductId, req.domainName, req.quantity, req.expiresAt, now],
    );
    if (inserted) return { outcome: 'held', holdId: inserted.id, created: true, expiresAt: req.expiresAt };

    const [holder] = await queryRows<{ id: number; vendor_id: number; add_on_product_id: number; status: string; hold_expires_at: Date | null; stripe_checkout_session_id: string | null }>(
      manager,
      `SELECT id, vendor_id, add_on_product_id, status, hold_expires_at, stripe_checkout_session_id FROM vendor_add_ons
        WHERE domain_name = $1 AND ${HOLDING} FOR UPDATE`,
      [req.domainName],
    );
    // Released between the insert and this read: the caller may simply try again.
    if (!holder) return { outcome: 'retry' };
    if (holder.status === 'active') return { outcome: 'taken', by: 'live' };
    const open = holder.hold_expires_at !== null && holder.hold_expires_at.getTime() > now.getTime();
    if (!open && holder.stripe_checkout_session_id) return { outcome: 'stale', holdId: holder.id, sessionId: holder.stripe_checkout_session_id };
    if (holder.vendor_id !== req.vendorId || holder.add_on_product_id !== req.addOnProductId) return { outcome: 'taken', by: 'checkout' };
    // The vendor opens Checkout again for its own held domain (a second tab, a return, a retried request): the hold
    // carries over, and so does its expiry while it leaves Checkout more than REUSE_MARGIN_MS, so a retry with the
    // same Idempotency-Key sends Stripe the same parameters and gets the same session back.
    const expiresAt = holder.hold_expires_at!.getTime() - now.getTime() >= REUSE_MARGIN_MS ? holder.hold_expires_at! : req.expiresAt;
    await manager.query(`UPDATE vendor_add_ons SET hold_expires_at = $2, quantity = $3, updated_at = $4 WHERE id = $1`, [holder.id, expiresAt, req.quantity, now]);
    return { outcome: 'held', holdId: holder.id, created: false, expiresAt };
  }

  /** The Checkout session now behind the hold (a newer session of the same vendor replaces an older one). */
  async attachCheckoutSession(manager: EntityManager, holdId: number, sessionId: string, expiresAt: Date): Promise<boolean> {
    const rows = await queryRows<{ id: number }>(
      manager,
      `UPDATE vendor_add_ons SET stripe_checkout_session_id = $2, hold_expires_at = GREATEST(hold_expires_at, $3), updated_at = $4
        WHERE id = $1 AND status = 'pending' RETURNING id`,
      [holdId, sessionId, expiresAt, this.clock.now()],
    );
    return rows.length > 0;
  }

  /** Drops a hold no Checkout was opened for (Stripe refused, or the purchase failed before reaching it). */
  async releaseUnusedHold(manager: EntityManager, holdId: number): Promise<void> {
    await manager.query(`DELETE FROM vendor_add_ons WHERE id = $1 AND status = 'pending' AND stripe_checkout_session_id IS NULL`, [holdId]);
  }

  /**
   * Drops the holds whose time was up by `before` and that never reached Stripe (no Checkout session: the purchase
   * failed before it); answers how many.
   */
  async dropUnsentHolds(manager: EntityManager, before: Date): Promise<number> {
    const rows = await queryRows<{ id: number }>(
      manager,
      `DELETE FROM vendor_add_ons WHERE status = 'pending' AND stripe_checkout_session_id IS NULL AND hold_expires_at <= $1 RETURNING id`,
      [before],
    );
    return rows.length;
  }

  /**
   * Holds of a Checkout whose time was up by `before`, oldest first, at most `limit`: Stripe must say whether each
   * expired (then releaseExpiredCheckoutHold) or was paid, its webhook late.
   */
  lapsedCheckoutHolds(manager: EntityManager, before: Date, limit: number): Promise<{ id: number; session_id: string }[]> {
    return queryRows(
      manager,
      `SELECT id, stripe_checkout_session_id AS session_id FROM vendor_add_ons
        WHERE status = 'pending' AND stripe_checkout_session_id IS NOT NULL AND hold_expires_at <= $1
        ORDER BY hold_expires_at, id LIMIT $2`,
      [before, limit],
    );
  }

  /** Drops the hold of a Checkout that Stripe says expired (its `checkout.session.expired`, or a read). */
  async releaseExpiredCheckoutHold(manager: EntityManager, sessionId: string, holdId?: number): Promise<boolean> {
    const rows = await queryRows<{ id: number }>(
      manager,
      `DELETE FROM vendor_add_ons WHERE stripe_checkout_session_id = $1 AND status = 'pending' AND ($2::int IS NULL OR id = $2) RETURNING id`,
      [sessionId, holdId ?? null],
    );
    return rows.length > 0;
  }

  /**
   * The rows a paid Checkout may land on, as CTEs of the grant's one statement (each locked for it):
   * `addon_mine` (`id`, `status`: the row that already names the session — its hold, or an earlier grant or
   * record), `addon_target` (`id`: that row, else the vendor's own open hold of the domain for this add-on under
   * another of its sessions — two tabs — else null) and `addon_domain_held` (`held`: another row holds the domain).
   * `product` is a query with the add-on's `id`. Read at the statement's start: a holder that commits after it makes
   * the grant's write fail on the unique index, and the statement is run again (see AddOnGrantService).
   */
  checkoutRowsSql(add: AddParam, sessionId: string, vendorId: number, domainName: string | null, product: string): string[] {
    const domain = add(domainName, 'varchar', 'domain_name');
    const ownHold = domainName
      ? `SELECT id FROM vendor_add_ons WHERE vendor_id = ${add(vendorId, 'int', 'vendor_id')} AND add_on_product_id = (${product}) AND domain_name = ${domain} AND status = 'pending' FOR UPDATE`
      : `SELECT NULL::int AS id WHERE false`;
    return [
      `addon_mine AS (SELECT id, status FROM vendor_add_ons WHERE stripe_checkout_session_id = ${add(sessionId, 'varchar', 'session.id')} FOR UPDATE)`,
      `addon_own_hold AS (${ownHold})`,
      `addon_target AS (SELECT COALESCE((SELECT id FROM addon_mine), (SELECT id FROM addon_own_hold LIMIT 1)) AS id)`,
      `addon_domain_held AS (SELECT ${domain} IS NOT NULL AND EXISTS (SELECT 1 FROM vendor_add_ons WHERE domain_name = ${domain} AND ${HOLDING}
         AND id IS DISTINCT FROM (SELECT id FROM addon_target)) AS held)`,
    ];
  }

  /**
   * Where a paid Checkout lands, as two CTEs after checkoutRowsSql's, named `<name>_set` and `<name>_new`: the row
   * `onto` (`addon_target` for a grant: the session's or the vendor's own hold; `addon_mine` for a record that
   * needs attention) takes the purchase, or without one a new row does; only when `when` holds. A grant can meet
   * the unique indexes (a domain or session another row took meanwhile fails the statement); `needs_attention`
   * holds no domain, so its record never does. `productId`, `periodEnd` and `reason` are SQL expressions; the
   * answer's `id` is an expression for the row written.
   */
  landSql(add: AddParam, name: string, a: CheckoutLanding, onto: 'addon_target' | 'addon_mine', when: string): { ctes: string[]; id: string } {
    const now = add(this.clock.now(), 'timestamptz');
    const v = {
      status: add(a.status, 'varchar'), code: add(a.addonCode, 'varchar'), domain: add(a.domainName, 'varchar'), quantity: add(a.quantity, 'int'),
      subscription: add(a.subscriptionId, 'varchar'), session: add(a.sessionId, 'varchar'), start: add(a.periodStart, 'timestamptz'),
    };
    return {
      ctes: [
        `${name}_set AS (
          UPDATE vendor_add_ons SET status = ${v.status}, add_on_product_id = (${a.productId}), addon_code = COALESCE(${v.code}, addon_code), domain_name = ${v.domain},
                 quantity = ${v.quantity}, stripe_subscription_id = ${v.subscription}, stripe_checkout_session_id = ${v.session}, period_start = ${v.start},
                 period_end = (${a.periodEnd}), attention_reason = (${a.reason}), hold_expires_at = NULL, updated_at = ${now}
           WHERE id = (SELECT id FROM ${onto}) AND ${when}
          RETURNING id)`,
        `${name}_new AS (
          INSERT INTO vendor_add_ons (vendor_id, add_on_product_id, addon_code, status, domain_name, quantity, stripe_subscription_id,
                                      stripe_checkout_session_id, period_start, period_end, attention_reason, created_at, updated_at)
          SELECT ${add(a.vendorId, 'int')}, (${a.productId}), ${v.code}, ${v.status}, ${v.domain}, ${v.quantity}, ${v.subscription}, ${v.session},
                 ${v.start}, (${a.periodEnd}), (${a.reason}), ${now}, ${now}
           WHERE (SELECT id FROM ${onto}) IS NULL AND ${when}
          RETURNING id)`,
      ],
      id: `(SELECT id FROM ${name}_set UNION ALL SELECT id FROM ${name}_new LIMIT 1)`,
    };
  }

  /**
   * Stripe's word on the subscription an add-on pays for: its period and quantity follow Stripe; a cancelled or
   * expired add-on is never revived (those Stripe states are final), so an out-of-order update cannot undo a
   * cancellation. One that needed attention ends when its subscription does (an admin refunded and cancelled it).
   */
  async applyStripeSubscription(manager: EntityManager, subscription: Stripe.Subscription, opts: { deleted?: boolean } = {}): Promise<{ addOnId: number; vendorId: number } | null> {
    const [addOn] = await queryRows<{ id: number; vendor_id: number; status: VendorAddOnStatus }>(
      manager,
      `SELECT id, vendor_id, status FROM vendor_add_ons WHERE stripe_subscription_id = $1 FOR UPDATE`,
      [subscription.id],
    );
    if (!addOn) return null;
    const now = this.clock.now();
    const period = subscriptionPeriod(subscription);
    // A deletion is final whatever the payload's status says.
    const mapped = mapSubscriptionStatus(opts.deleted ? 'canceled' : subscription.status);
    const ended = mapped === 'cancelled' || mapped === 'expired' ? mapped : null;
    const status = addOn.status === 'active' || addOn.status === 'needs_attention' ? (ended ?? addOn.status) : addOn.status;
    const cancelledAt = status === 'cancelled' ? (fromUnix(subscription.canceled_at) ?? fromUnix(subscription.ended_at) ?? now) : null;
    await manager.query(
      `UPDATE vendor_add_ons SET status = $2, cancelled_at = COALESCE(cancelled_at, $3),
              period_start = CASE WHEN period_start IS NULL OR $4::timestamptz > period_start THEN $4::timestamptz ELSE period_start END,
              period_end = CASE WHEN period_end IS NULL OR $5::timestamptz > period_end THEN $5::timestamptz ELSE period_end END,
              quantity = COALESCE($6, quantity), updated_at = $7
        WHERE id = $1`,
      [addOn.id, status, cancelledAt, period?.start ?? null, period?.end ?? null, subscription.items?.data?.[0]?.quantity ?? null, now],
    );
    return { addOnId: addOn.id, vendorId: addOn.vendor_id };
  }

  /** Which of these Stripe subscriptions pay for an add-on (one read for a page of them). */
  async linkedSubscriptionIds(manager: EntityManager, subscriptionIds: string[]): Promise<Set<string>> {
    const rows = await queryRows<{ stripe_subscription_id: string }>(manager, `SELECT stripe_subscription_id FROM vendor_add_ons WHERE stripe_subscription_id = ANY($1::varchar[])`, [subscriptionIds]);
    return new Set(rows.map((r) => r.stripe_subscription_id));
  }

  /** The vendor's add-ons, live first; open Checkouts (`pending`) are not add-ons yet and are left out. */
  async listForVendor(manager: EntityManager, vendorId: number): Promise<VendorAddOnRow[]> {
    return queryRows<VendorAddOnRow>(
      manager,
      `${VENDOR_ADD_ON_SELECT} WHERE va.vendor_id = $1 AND va.status <> 'pending'
        ORDER BY (va.status = 'active') DESC, va.created_at DESC, va.id DESC`,
      [vendorId],
    );
  }

  /** One of the vendor's add-ons (never another vendor's; never an open Checkout). */
  async findForVendor(manager: EntityManager, vendorId: number, id: number): Promise<VendorAddOnRow | undefined> {
    const [row] = await queryRows<VendorAddOnRow>(manager, `${VENDOR_ADD_ON_SELECT} WHERE va.id = $1 AND va.vendor_id = $2 AND va.status <> 'pending'`, [id, vendorId]);
    return row;
  }

  async markCancelled(manager: EntityManager, id: number): Promise<void> {
    const now = this.clock.now();
    await manager.query(
      `UPDATE vendor_add_ons SET status = 'cancelled', cancelled_at = COALESCE(cancelled_at, $2), updated_at = $2 WHERE id = $1 AND status = 'active'`,
      [id, now],
    );
  }
}
