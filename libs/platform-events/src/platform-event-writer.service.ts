import { Injectable } from '@nestjs/common';
import { queryRows, SqlParams, type AddParam, type ComposedStatement } from '@app/database';
import type { EntityManager } from 'typeorm';
import { insertPlatformEventsSql } from './platform-event.sql.js';
import type { AddonNeedsAttentionData, PaymentFailedData, PlatformEventType, SubscriptionNeedsAttentionData } from './platform-event.types.js';

export interface NewPlatformEvent {
  type: PlatformEventType;
  vendorId: number;
  data: object;
  /** Written at most once per key (a retried handler, a replayed webhook). */
  dedupeKey?: string;
}

/**
 * Writes platform events into the outbox with the caller's EntityManager, so an event commits or rolls back with
 * the change it reports. `subscription.updated` needs no call (a trigger writes it); usage thresholds are written
 * by the limit claim's own statement (usageThresholdEventsSql); the rest come through here.
 *
 * Order per vendor: delivery follows `id` order, and ids must follow commit order within a vendor. Every writer
 * of a vendor's events holds that vendor's vendor_subscriptions row lock (the claims and the trigger update the
 * row; the set-based job locks it), so this one takes the same lock (FOR NO KEY UPDATE, which conflicts with
 * those updates) before taking an id.
 */
@Injectable()
export class PlatformEventWriter {
  /** Answers the event's public id, or null when its dedupe key was written before. */
  async record(manager: EntityManager, event: NewPlatformEvent): Promise<string | null> {
    const { text, params } = this.recordStatement(event);
    const rows = await queryRows<{ public_id: string }>(manager, text, params.values);
    return rows[0]?.public_id ?? null;
  }

  /** record's statement (pure: rendered into platform-event-writer.service.queries.sql). */
  recordStatement(event: NewPlatformEvent): ComposedStatement {
    const params = new SqlParams();
    const vendor = params.add(event.vendorId, 'int', 'vendor_id');
    const text = `WITH vendor_lock AS (SELECT vendor_id FROM vendor_subscriptions WHERE vendor_id = ${vendor} FOR NO KEY UPDATE)
       ${this.recordSql(params.add, { type: event.type, data: event.data, dedupeKey: event.dedupeKey }, `(SELECT ${vendor} AS vendor_id FROM (SELECT count(*) FROM vendor_lock) AS locked)`, 'true')}
       RETURNING public_id`;
    return { text, params };
  }

  /**
   * The outbox insert for a caller's statement: one event for the vendor of `vendor` (a subquery or CTE with
   * `vendor_id`, whose row the statement has locked before this runs) when `when` holds.
   */
  recordSql(add: AddParam, event: Omit<NewPlatformEvent, 'vendorId'>, vendor: string, when: string): string {
    return `INSERT INTO platform_events (type, vendor_id, data, dedupe_key)
       SELECT ${add(event.type, 'varchar', 'type')}, vendor_row.vendor_id, ${add(JSON.stringify(event.data), 'jsonb', 'data')}, ${add(event.dedupeKey ?? null, 'text', 'dedupe_key')} FROM ${vendor} AS vendor_row WHERE ${when}
       ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`;
  }

  /** `payment.failed`: once per invoice and attempt, as recordSql. */
  paymentFailedSql(add: AddParam, vendor: string, data: PaymentFailedData, when: string): string {
    return this.recordSql(add, { type: 'payment.failed', data, dedupeKey: `payment.failed:${data.invoice_id}:${data.attempt_count}` }, vendor, when);
  }

  /** See subscriptionNeedsAttentionSql (a function, for statements composed outside any injected writer). */
  subscriptionNeedsAttentionSql(add: AddParam, vendor: string, data: Pick<SubscriptionNeedsAttentionData, 'stripe_subscription_id'>, reason: string, when: string): string {
    return subscriptionNeedsAttentionSql(add, vendor, data, reason, when);
  }

  /** The same event from a transaction that holds the vendor's row; answers null when it was recorded before. */
  recordSubscriptionNeedsAttention(manager: EntityManager, vendorId: number, data: SubscriptionNeedsAttentionData): Promise<string | null> {
    return this.record(manager, { type: 'subscription.needs_attention', vendorId, data, dedupeKey: subscriptionNeedsAttentionKey(data.stripe_subscription_id) });
  }

  /**
   * `addon.needs_attention` (a paid add-on that could not be granted), once per Checkout session, as recordSql;
   * `reason` is an SQL text expression (the statement decides why).
   */
  addonNeedsAttentionSql(add: AddParam, vendor: string, data: Omit<AddonNeedsAttentionData, 'reason'> & { checkout_session_id: string }, reason: string, when: string): string {
    return insertPlatformEventsSql(`(SELECT vendor_id FROM ${vendor} WHERE ${when}) AS vendor_row`, {
      type: add('addon.needs_attention' satisfies PlatformEventType, 'varchar'),
      vendorId: 'vendor_row.vendor_id',
      data: `jsonb_build_object('addon_code', ${add(data.addon_code, 'text')}, 'domain_name', ${add(data.domain_name, 'text')}, 'checkout_session_id', ${add(data.checkout_session_id, 'text')}, 'reason', (${reason}))`,
      dedupeKey: add(`addon.needs_attention:${data.checkout_session_id}`, 'text'),
    });
  }
}

/** One `subscription.needs_attention` per second subscription, however many of its events arrive. */
export function subscriptionNeedsAttentionKey(stripeSubscriptionId: string): string {
  return `subscription.needs_attention:${stripeSubscriptionId}`;
}

/**
 * `subscription.needs_attention` for a second live plan subscription, once per subscription, for a caller's
 * statement that holds the vendor's row (see recordSql); `reason` is an SQL text expression over `vendor_row`, the
 * row of `vendor` (the statement knows which subscription the plan follows).
 */
export function subscriptionNeedsAttentionSql(add: AddParam, vendor: string, data: Pick<SubscriptionNeedsAttentionData, 'stripe_subscription_id'>, reason: string, when: string): string {
  return insertPlatformEventsSql(`(SELECT * FROM ${vendor} WHERE ${when}) AS vendor_row`, {
    type: add('subscription.needs_attention' satisfies PlatformEventType, 'varchar', 'platform event type'),
    vendorId: 'vendor_row.vendor_id',
    data: `jsonb_build_object('stripe_subscription_id', ${add(data.stripe_subscription_id, 'text', 'data.stripe_subscription_id')}, 'reason', (${reason}))`,
    dedupeKey: add(subscriptionNeedsAttentionKey(data.stripe_subscription_id), 'text', 'subscription.needs_attention dedupe key'),
  });
}
