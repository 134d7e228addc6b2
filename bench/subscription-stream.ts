// bench:webhooks' second stream (issue 25): only `customer.subscription.updated` of the linked vendors, each vendor's
// status flipping on every 7th of its events (active ⇄ past_due), one price. It is what the bare one-statement
// server (bench/bare-servers.ts) can do as well as the API, so the three servers — the API, the same-work ceiling
// and the bare server — take turns on it. This file plans the stream and checks every server's database after it.
import type pg from 'pg';
import type Stripe from 'stripe';
import { eventObject, subscriptionObject } from '../test/stripe-double/objects.js';

export interface SubscriptionSend {
  id: string;
  body: string;
  vendor: number;
  /** Stripe's status (active or past_due). */
  status: 'active' | 'past_due';
  created: number;
}

/** Every 7th event of a vendor flips its status. */
export const FLIP_EVERY = 7;
export const STREAM_PREFIX = 'evt_bsub_';

/**
 * `count` events over vendors 1…`vendors` in turn (so a vendor's next event comes `vendors` sends later), each a
 * second after the one before from `startAt` on, 10% of the sends a redelivery of an event sent a little earlier.
 */
export function planSubscriptionStream(price: Stripe.Price, vendors: number, count: number, startAt: number, period: { start: number; end: number }): { distinct: SubscriptionSend[]; sends: SubscriptionSend[] } {
  const distinct: SubscriptionSend[] = [];
  for (let i = 0; i < count; i++) {
    const vendor = 1 + (i % vendors);
    const nth = Math.floor(i / vendors);
    const status = Math.floor(nth / FLIP_EVERY) % 2 === 0 ? 'active' : 'past_due';
    const created = startAt + i;
    const s = subscriptionObject({
      customer: `cus_bench_${vendor}`, prices: [{ price, quantity: 1 }], status, created: period.start - 86_400,
      periodStart: period.start, periodEnd: period.end, metadata: { vendor_id: String(vendor) },
    });
    s.id = `sub_bench_${vendor}`;
    for (const item of s.items.data) item.subscription = s.id;
    const event = eventObject('customer.subscription.updated', s, created, { id: `${STREAM_PREFIX}${i.toString().padStart(6, '0')}` });
    distinct.push({ id: event.id, body: JSON.stringify(event), vendor, status, created });
  }
  let seed = 7;
  const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const sends: SubscriptionSend[] = [];
  for (const e of distinct) {
    sends.push(e);
    if (sends.length > 50 && rnd() < 1 / 9) sends.push(sends[sends.length - 1 - Math.floor(rnd() * 50)]);
  }
  return { distinct, sends };
}

/** What a server's database holds per vendor before the stream, for the outbox rows the stream should add. */
export type Before = Map<number, string>;

/** Our status of Stripe's. */
const OURS: Record<string, string> = { active: 'active', past_due: 'past_due' };

/**
 * The state the outbox follows, per vendor, before the stream: the API's (and the same-work ceiling's) platform
 * event follows the tier, status and cancellation together; the bare server's outbox the status only.
 */
export async function stateBefore(db: pg.Client, kind: 'api' | 'bare'): Promise<{ before: Before; outboxMark: number }> {
  if (kind === 'bare') {
    const rows = (await db.query(`SELECT substr(stripe_subscription_id, 11)::int AS vendor, status FROM bare_subscriptions WHERE stripe_subscription_id LIKE 'sub_bench_%'`)).rows;
    const mark = Number((await db.query(`SELECT COALESCE(max(id), 0) AS m FROM bare_outbox`)).rows[0].m);
    return { before: new Map(rows.map((r) => [r.vendor, r.status])), outboxMark: mark };
  }
  const rows = (await db.query(`SELECT vendor_id, tier_code || '/' || status || '/' || cancel_at_period_end || '/' || (cancel_at IS NULL) AS state FROM vendor_subscriptions`)).rows;
  const mark = Number((await db.query(`SELECT COALESCE(max(id), 0) AS m FROM platform_events`)).rows[0].m);
  return { before: new Map(rows.map((r) => [r.vendor_id, r.state])), outboxMark: mark };
}

/**
 * Against what was sent: every event claimed once, each vendor at its newest event's status, and one outbox row per
 * change of the followed state (`tier` the stream's tier code, for the API's state).
 */
export async function verifySubscriptionStream(db: pg.Client, kind: 'api' | 'bare', distinct: SubscriptionSend[], sent: Set<string>, before: { before: Before; outboxMark: number }, tier: string) {
  const delivered = distinct.filter((e) => sent.has(e.id)).sort((a, b) => a.created - b.created);
  const rows: Array<{ check: string; expected: number; actual: number; ok: boolean }> = [];
  const add = (check: string, expected: number, actual: number) => rows.push({ check, expected, actual, ok: expected === actual });
  const one = async (sql: string, params: unknown[] = []) => Number(Object.values((await db.query(sql, params)).rows[0])[0]);
  const newest = new Map<number, string>();
  const state = new Map(before.before);
  let changes = 0;
  for (const e of delivered) {
    newest.set(e.vendor, e.status);
    const next = kind === 'bare' ? e.status : `${tier}/${OURS[e.status]}/false/true`;
    if (state.get(e.vendor) !== next) changes++;
    state.set(e.vendor, next);
  }
  if (kind === 'bare') {
    add('ledger rows = distinct events sent', delivered.length, await one(`SELECT count(*) FROM bare_webhook_events WHERE event_id LIKE $1`, [`${STREAM_PREFIX}%`]));
    const actual = (await db.query(`SELECT substr(stripe_subscription_id, 11)::int AS vendor, status FROM bare_subscriptions WHERE stripe_subscription_id LIKE 'sub_bench_%'`)).rows;
    add('vendors not at their newest event\'s status', 0, actual.filter((r) => newest.has(r.vendor) && newest.get(r.vendor) !== r.status).length);
    add('outbox rows = status changes', changes, await one(`SELECT count(*) FROM bare_outbox WHERE id > $1`, [before.outboxMark]));
    return rows;
  }
  add('ledger rows = distinct events sent', delivered.length, await one(`SELECT count(*) FROM stripe_webhook_events WHERE event_id LIKE $1`, [`${STREAM_PREFIX}%`]));
  add('events failed or stuck', 0, await one(`SELECT count(*) FROM stripe_webhook_events WHERE event_id LIKE $1 AND status <> 'processed'`, [`${STREAM_PREFIX}%`]));
  const actual = (await db.query(`SELECT vendor_id, status FROM vendor_subscriptions`)).rows;
  add('vendors not at their newest event\'s status', 0, actual.filter((r) => newest.has(r.vendor_id) && OURS[newest.get(r.vendor_id)!] !== r.status).length);
  add('subscription.updated outbox rows = changes', changes, await one(`SELECT count(*) FROM platform_events WHERE id > $1 AND type = 'subscription.updated'`, [before.outboxMark]));
  return rows;
}
