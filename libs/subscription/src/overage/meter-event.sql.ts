/**
 * The meter-event outbox (`stripe_meter_events`, owned here): one row per overage order, written by the statement
 * that accepts the order (LimitService.claimAndInsert), sent to Stripe by MeterEventSenderService. The columns are
 * named here and in the sender only.
 */

/**
 * Stripe's `identifier` of an order's meter event: derived from the order alone, so every re-send of it (a retry, a
 * crash between Stripe's answer and ours, a second worker) carries the same one and Stripe counts it once.
 */
export const meterEventIdentifierSql = (orderId: string) => `('order-overage-' || (${orderId}))`;

/**
 * `INSERT INTO stripe_meter_events … ` as a data-modifying CTE after an order's INSERT: one row for the inserted
 * order (`inserted`: id, created_at) when its claim (`claim`: vendor_id, overage, overage_price_cents) was overage.
 */
export const meterEventInsertSql = (inserted: string, claim: string) => `INSERT INTO stripe_meter_events (order_id, vendor_id, identifier, value, amount_cents, occurred_at)
    SELECT i.id, c.vendor_id, ${meterEventIdentifierSql('i.id')}, 1, c.overage_price_cents, i.created_at
      FROM ${inserted} i CROSS JOIN ${claim} c WHERE c.overage
    RETURNING id`;

/**
 * The vendor's overage orders from `since` on (any status: sent or still in the outbox), by the order's time, which
 * is the meter event's timestamp. A tier change that takes a metered item off a subscription bills these itself:
 * Stripe (classic billing mode) drops the usage of a removed item.
 */
export async function overageOrdersSince(db: { query(sql: string, params: unknown[]): Promise<unknown> }, vendorId: number, since: Date): Promise<number> {
  const rows = (await db.query(`SELECT COALESCE(sum(value), 0)::int AS orders FROM stripe_meter_events WHERE vendor_id = $1 AND occurred_at >= $2`, [vendorId, since])) as Array<{ orders: number }>;
  return rows[0]?.orders ?? 0;
}
