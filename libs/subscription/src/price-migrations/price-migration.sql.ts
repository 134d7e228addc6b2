import { insertPlatformEventsSql, isoSql, type PlatformEventType } from '@app/platform-events';

/*
 * The statements of price migrations (CONTRACT §11). `price_migrations` and `price_migration_items` are owned here
 * (libs/subscription/src/price-migrations); their columns are named in this file and the services beside it only.
 */

/**
 * Whether the vendor row `s` moves in a migration of `tierCode`/`isAnnual` to `newPriceId`: it pays that tier and
 * interval through a live Stripe subscription, on another price than the new one, and is not leaving (a scheduled
 * cancellation ends the subscription before or at the renewal anyway, and Stripe refuses schedules on it).
 */
export const migratableSql = (s: string, tierCode: string, isAnnual: string, newPriceId: string): string =>
  `${s}.tier_code = ${tierCode} AND ${s}.is_annual = ${isAnnual} AND ${s}.stripe_subscription_id IS NOT NULL
     AND ${s}.status IN ('trial', 'active', 'past_due') AND NOT ${s}.cancel_at_period_end AND ${s}.cancel_at IS NULL
     AND ${s}.stripe_price_id IS DISTINCT FROM ${newPriceId}`;

/**
 * The vendor's first renewal at or after `notBefore`: its period end plus whole months (years), in UTC as Stripe
 * counts them (a period ending on the 31st renews on the last day of shorter months). The number of steps is
 * estimated from the calendar difference (never too many) and the first of three candidates that is late enough
 * wins: three evaluations per vendor, whatever the notice.
 */
export function firstRenewalSql(periodEnd: string, isAnnual: string, notBefore: string): string {
  const end = `((${periodEnd}) AT TIME ZONE 'UTC')`;
  const at = `((${notBefore}) AT TIME ZONE 'UTC')`;
  const estimate = `GREATEST(0, CASE WHEN ${isAnnual} THEN extract(year FROM ${at}) - extract(year FROM ${end}) - 1
                      ELSE (extract(year FROM ${at}) - extract(year FROM ${end})) * 12 + extract(month FROM ${at}) - extract(month FROM ${end}) - 1 END)::int`;
  return `(SELECT renewal.at FROM generate_series(0, 2) AS step(i)
            CROSS JOIN LATERAL (SELECT (${end} + (${estimate} + step.i) * CASE WHEN ${isAnnual} THEN interval '1 year' ELSE interval '1 month' END) AT TIME ZONE 'UTC' AS at) AS renewal
           WHERE renewal.at >= ${notBefore} ORDER BY step.i LIMIT 1)`;
}

/**
 * The preview: $1 tier, $2 annual, $3 new price id, $4 new amount, $5 the notice's end, $6 now, $7 sample size.
 * The MRR change is revenue's monthly value (`monthly_value_cents`, CONTRACT §10) at the new amount minus at the
 * amount each vendor pays now; a vendor whose amount is not known yet (not seen from Stripe since the column came)
 * is counted but left out of the sum (`unknown_amount_vendors`).
 */
export const PREVIEW_SQL = `WITH moving AS (
    SELECT s.vendor_id, s.status, s.period_end, s.stripe_price_id AS old_price_id, s.stripe_price_amount_cents AS old_amount_cents,
           ${firstRenewalSql('s.period_end', 's.is_annual', '$5::timestamptz')} AS effective_at
      FROM vendor_subscriptions s
     WHERE ${migratableSql('s', '$1::varchar', '$2::boolean', '$3::varchar')})
  SELECT (SELECT count(*)::int FROM moving) AS vendors,
         (SELECT count(*)::int FROM moving WHERE old_amount_cents IS NULL) AS unknown_amount_vendors,
         (SELECT COALESCE(sum(monthly_value_cents(status, $4::int, $2::boolean, 1, period_end, $6::timestamptz)
                            - monthly_value_cents(status, old_amount_cents, $2::boolean, 1, period_end, $6::timestamptz)), 0)::bigint
            FROM moving WHERE old_amount_cents IS NOT NULL) AS mrr_change_cents,
         (SELECT min(effective_at) FROM moving) AS first_effective_at,
         (SELECT max(effective_at) FROM moving) AS last_effective_at,
         (SELECT COALESCE(json_agg(json_build_object('old_price_id', old_price_id, 'old_amount_cents', old_amount_cents, 'vendors', vendors) ORDER BY vendors DESC), '[]')
            FROM (SELECT old_price_id, old_amount_cents, count(*)::int AS vendors FROM moving GROUP BY old_price_id, old_amount_cents) AS by_price) AS from_prices,
         (SELECT COALESCE(json_agg(json_build_object('vendor_id', vendor_id, 'old_amount_cents', old_amount_cents, 'effective_at', ${isoSql('effective_at')}) ORDER BY vendor_id), '[]')
            FROM (SELECT vendor_id, old_amount_cents, effective_at FROM moving ORDER BY vendor_id LIMIT $7) AS first_ones) AS sample`;

/**
 * One batch of a migration's vendors, in one statement (one transaction): the migration row taken (SKIP LOCKED: one
 * expander at a time), the next `$2` vendors after the cursor locked as any writer of their events locks them, one
 * item each (unique per migration and vendor: each vendor once, however often a batch is retried), its
 * `subscription.price_changing` event (dedupe key per migration and vendor), and the cursor moved on. A crash
 * leaves the whole batch undone or done. $1 migration, $2 batch size, $3 now.
 */
export const EXPAND_SQL = `WITH migration AS (
    SELECT id, tier_code, is_annual, new_price_id, new_amount_cents, currency, expanded_through,
           created_at + notice_days * interval '1 day' AS not_before
      FROM price_migrations WHERE id = $1 AND NOT expanded FOR UPDATE SKIP LOCKED),
  moving AS (
    SELECT s.vendor_id, s.stripe_subscription_id, s.stripe_price_id, s.stripe_price_amount_cents,
           ${firstRenewalSql('s.period_end', 's.is_annual', 'migration.not_before')} AS effective_at
      FROM migration JOIN vendor_subscriptions s ON s.vendor_id > migration.expanded_through
       AND ${migratableSql('s', 'migration.tier_code', 'migration.is_annual', 'migration.new_price_id')}
     ORDER BY s.vendor_id LIMIT $2
       FOR NO KEY UPDATE OF s),
  item AS (
    INSERT INTO price_migration_items (migration_id, vendor_id, stripe_subscription_id, old_price_id, old_amount_cents, effective_at)
    SELECT migration.id, moving.vendor_id, moving.stripe_subscription_id, moving.stripe_price_id, moving.stripe_price_amount_cents, moving.effective_at
      FROM moving CROSS JOIN migration
    ON CONFLICT (migration_id, vendor_id) DO NOTHING
    RETURNING migration_id, vendor_id, old_amount_cents, effective_at),
  event AS (${insertPlatformEventsSql('item JOIN migration ON migration.id = item.migration_id', {
    type: `'${'subscription.price_changing' satisfies PlatformEventType}'`,
    vendorId: 'item.vendor_id',
    data: `jsonb_build_object('tier_code', migration.tier_code, 'is_annual', migration.is_annual, 'old_amount_cents', item.old_amount_cents,
             'new_amount_cents', migration.new_amount_cents, 'currency', migration.currency, 'effective_at', ${isoSql('item.effective_at')}, 'migration_id', migration.id)`,
    dedupeKey: `('subscription.price_changing:' || migration.id || ':' || item.vendor_id)`,
  })}),
  progress AS (
    UPDATE price_migrations AS m SET expanded_through = COALESCE((SELECT max(vendor_id) FROM moving), m.expanded_through),
           expanded = (SELECT count(*) FROM moving) < $2, status = 'running', started_at = COALESCE(m.started_at, $3::timestamptz)
      FROM migration WHERE m.id = migration.id
    RETURNING m.expanded)
  SELECT (SELECT count(*)::int FROM moving) AS vendors, (SELECT count(*)::int FROM event) AS events, (SELECT expanded FROM progress) AS expanded`;

/** Migrations still listing their vendors, oldest first. */
export const UNEXPANDED_SQL = `SELECT id FROM price_migrations WHERE status <> 'completed' AND NOT expanded ORDER BY id LIMIT 10`;

/**
 * Due items, oldest first, with SKIP LOCKED so replicas share them, leased in one short statement (its row locks end
 * with it): no lock or connection is held while Stripe is called. $1 now, $2 lease end, $3 how many.
 */
export const CLAIM_SQL = `WITH due AS (
    SELECT i.id FROM price_migration_items i
     WHERE i.status = 'pending' AND i.next_attempt_at <= $1 AND (i.leased_until IS NULL OR i.leased_until <= $1)
     ORDER BY i.id LIMIT $3
     FOR UPDATE SKIP LOCKED)
  UPDATE price_migration_items i SET leased_until = $2, attempts = i.attempts + 1
    FROM due, price_migrations m WHERE i.id = due.id AND m.id = i.migration_id
  RETURNING i.id::text AS id, i.migration_id, i.vendor_id, i.stripe_subscription_id, i.old_price_id, i.effective_at, i.attempts, m.new_price_id`;

/**
 * Records one item's outcome, only while the lease is this attempt's (same attempt number, still pending): a worker
 * that outlived its lease cannot overwrite what another recorded.
 */
export const RECORD_SQL = `UPDATE price_migration_items SET status = $3::varchar, leased_until = NULL, last_error = $4::text,
    stripe_schedule_id = COALESCE($5::varchar, stripe_schedule_id), scheduled_at = CASE WHEN $3::varchar = 'scheduled' THEN $6::timestamptz END,
    next_attempt_at = COALESCE($7::timestamptz, next_attempt_at)
  WHERE id = $1::bigint AND attempts = $2::int AND status = 'pending'`;

/** A migration whose vendors are all listed and none pending is completed. */
export const COMPLETE_SQL = `UPDATE price_migrations m SET status = 'completed', finished_at = $1
  WHERE m.status = 'running' AND m.expanded
    AND NOT EXISTS (SELECT 1 FROM price_migration_items i WHERE i.migration_id = m.id AND i.status = 'pending')
  RETURNING m.id`;

/** One migration with its progress: counts by status and the first errors. $1 id, $2 how many errors. */
export const PROGRESS_SQL = `SELECT m.id, m.tier_code, m.is_annual, m.new_price_id, m.new_amount_cents, m.currency, m.notice_days, m.status, m.expanded,
         m.created_at, m.started_at, m.finished_at, counts.total, counts.scheduled, counts.failed, counts.pending,
         (SELECT COALESCE(json_agg(json_build_object('vendor_id', e.vendor_id, 'status', e.status, 'attempts', e.attempts, 'error', e.last_error) ORDER BY e.id), '[]')
            FROM (SELECT id, vendor_id, status, attempts, last_error FROM price_migration_items
                   WHERE migration_id = m.id AND last_error IS NOT NULL ORDER BY status = 'failed' DESC, id LIMIT $2) AS e) AS errors
    FROM price_migrations m
   CROSS JOIN LATERAL (SELECT count(*)::int AS total, (count(*) FILTER (WHERE status = 'scheduled'))::int AS scheduled,
                              (count(*) FILTER (WHERE status = 'failed'))::int AS failed, (count(*) FILTER (WHERE status = 'pending'))::int AS pending
                         FROM price_migration_items WHERE migration_id = m.id) AS counts
   WHERE m.id = $1`;

/**
 * The vendor's coming price change: its latest migration item not given up, still ahead, while its subscription
 * is the one migrated and does not pay the new price yet. $1 vendor, $2 now.
 */
export const PRICE_CHANGE_SQL = `SELECT m.new_amount_cents, m.currency, i.effective_at, i.status
    FROM price_migration_items i
    JOIN price_migrations m ON m.id = i.migration_id
    JOIN vendor_subscriptions s ON s.vendor_id = i.vendor_id
   WHERE i.vendor_id = $1 AND i.status IN ('pending', 'scheduled') AND i.effective_at > $2
     AND s.stripe_subscription_id = i.stripe_subscription_id AND s.stripe_price_id IS DISTINCT FROM m.new_price_id
   ORDER BY i.migration_id DESC LIMIT 1`;

/**
 * The schedule a migration put on the vendor's subscription that has not taken effect yet (a cancellation or tier
 * change must release it first). $1 vendor, $2 Stripe subscription, $3 now.
 */
export const PENDING_SCHEDULE_SQL = `SELECT i.id::text AS id, i.stripe_schedule_id FROM price_migration_items i
   WHERE i.vendor_id = $1 AND i.stripe_subscription_id = $2 AND i.status = 'scheduled' AND i.stripe_schedule_id IS NOT NULL AND i.effective_at > $3
   ORDER BY i.migration_id DESC`;

/** A released schedule's items: given up (`failed`) with the reason, so neither the vendor nor a retry expects it. */
export const RELEASED_SQL = `UPDATE price_migration_items SET status = 'failed', last_error = $3, leased_until = NULL
   WHERE vendor_id = $1 AND stripe_schedule_id = $2 AND status IN ('pending', 'scheduled')`;
