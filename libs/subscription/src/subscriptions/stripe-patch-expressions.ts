import { DEFAULT_TIERS, type AddParam } from '@app/database';
import { vendorLookupSql } from './vendor-lookup.js';
import type { PlanState, StripeStamp, StripeSubscriptionPatch } from './stripe-plan-patch.js';

interface StampedPatch {
  patch: StripeSubscriptionPatch;
  stamp: StripeStamp;
}

/** Each value of a stamped patch that the SQL reads, with its type: one list for the single and the batched form. */
const PATCH_FIELDS = {
  sub_id: ['varchar', ({ patch }) => patch.subscriptionId],
  at: ['timestamptz', ({ stamp }) => stamp.at],
  is_event: ['boolean', ({ stamp }) => stamp.kind === 'event'],
  read_started_at: ['timestamptz', ({ stamp }) => (stamp.kind === 'read' ? (stamp.startedAt ?? null) : null)],
  customer_id: ['varchar', ({ patch }) => patch.customerId],
  vendor_id: ['int', ({ patch }) => patch.vendorId],
  price_id: ['varchar', ({ patch }) => patch.priceId],
  price_amount: ['int', ({ patch }) => patch.priceAmountCents],
  // Stripe ids hold no spaces; one text per patch keeps the batched form's unnest() one-dimensional.
  price_ids: ['text', ({ patch }) => patch.priceIds.join(' ')],
  tier_code: ['varchar', ({ patch }) => patch.tierCode],
  tier_code_is_default: ['boolean', ({ patch }) => DEFAULT_TIERS.some((t) => t.code === patch.tierCode)],
  is_annual: ['boolean', ({ patch }) => patch.isAnnual],
  status: ['varchar', ({ patch }) => patch.status],
  ended: ['boolean', ({ patch }) => patch.ended],
  trial_ends_at: ['timestamptz', ({ patch }) => patch.trialEndsAt],
  period_start: ['timestamptz', ({ patch }) => patch.period?.start ?? null],
  period_end: ['timestamptz', ({ patch }) => patch.period?.end ?? null],
  cancel_at_period_end: ['boolean', ({ patch }) => patch.cancelAtPeriodEnd],
  cancel_at: ['timestamptz', ({ patch }) => patch.cancelAt],
  cancelled_at: ['timestamptz', ({ patch }) => patch.cancelledAt],
  ended_at: ['timestamptz', ({ patch }) => patch.endedAt],
  has_payment_method: ['boolean', ({ patch }) => patch.hasPaymentMethod],
} satisfies Record<string, [string, (x: StampedPatch) => unknown]>;

/** A stamped patch's values as SQL expressions, plus the statement's `now`. */
export type PatchSql = Record<keyof typeof PATCH_FIELDS, string> & { now: string };

const FIELD_NAMES = Object.keys(PATCH_FIELDS) as (keyof typeof PATCH_FIELDS)[];

/** One patch: each value a bound parameter. */
export function patchParams(add: AddParam, item: StampedPatch, now: Date): PatchSql {
  const out = Object.fromEntries(FIELD_NAMES.map((f) => [f, add(PATCH_FIELDS[f][1](item), PATCH_FIELDS[f][0], `patch.${f}`)]));
  return { ...out, now: add(now, 'timestamptz', 'now') } as PatchSql;
}

/**
 * Many patches: one array parameter per value, unnested into rows `alias(…, i)` (i: 1-based position). Answers the
 * FROM item and the values as that row's columns.
 */
export function patchRows(add: AddParam, items: StampedPatch[], now: Date, alias: string): { from: string; sql: PatchSql } {
  const arrays = FIELD_NAMES.map((f) => add(items.map((item) => PATCH_FIELDS[f][1](item) ?? null), `${PATCH_FIELDS[f][0]}[]`, `each patch's ${f}`));
  const sql = Object.fromEntries(FIELD_NAMES.map((f) => [f, `${alias}.${f}`]));
  return {
    from: `unnest(${arrays.join(', ')}) WITH ORDINALITY AS ${alias}(${FIELD_NAMES.join(', ')}, i)`,
    sql: { ...sql, now: add(now, 'timestamptz', 'now') } as PatchSql,
  };
}

/**
 * How the vendor row a patch is for is found, after `FROM vendor_subscriptions`: the one vendor lookup
 * (vendorLookupSql) — never for a subscription that pays for an add-on.
 */
export function patchLookup(x: PatchSql): string {
  return vendorLookupSql(
    { vendorId: x.vendor_id, subscriptionId: x.sub_id, customerId: x.customer_id },
    `NOT EXISTS (SELECT 1 FROM vendor_add_ons WHERE stripe_subscription_id = ${x.sub_id})`,
  );
}

/**
 * The patch's tier (`code`, `annual`, the plan's `price_id`), zero or one row: the tier row of the first item price
 * one knows (the plan may be on any item), else a known `metadata.tier_code` (a tier row's, or a built-in one's)
 * with the plan item's price and interval. First of a UNION ALL: one query, whatever decides.
 */
export function patchTier(x: PatchSql): string {
  return `(SELECT tier_row.code, tier_row.stripe_price_annual_id IS NOT DISTINCT FROM item.price_id AS annual, item.price_id
           FROM unnest(string_to_array(${x.price_ids}, ' ')) WITH ORDINALITY AS item(price_id, n)
           JOIN subscription_tiers tier_row ON tier_row.stripe_price_monthly_id = item.price_id OR tier_row.stripe_price_annual_id = item.price_id
          ORDER BY item.n, tier_row.is_active DESC, tier_row.id LIMIT 1)
        UNION ALL (SELECT tier_row.code, ${x.is_annual}, ${x.price_id} FROM subscription_tiers tier_row WHERE tier_row.code = ${x.tier_code})
        UNION ALL (SELECT ${x.tier_code}, ${x.is_annual}, ${x.price_id} WHERE ${x.tier_code_is_default})
        LIMIT 1`;
}

/**
 * Whether the patch applies to the vendor's row `row`: 'apply', or why not ('not_current', 'second_live', 'stale', 'tie',
 * 'behind'); `tier` is the patch's tier (see patchTier).
 * An event older than the watermark is 'stale' — unless it carries a plan the row does not have (another tier or
 * interval, another cancellation): an invoice that changed the status moved the watermark to its own time while it
 * knew nothing of the plan, so a plan change made at Stripe before it and delivered after it would be lost for good.
 * Such an event is 'behind': settled as a tie is, by the subscription as Stripe holds it now (a re-read), never by
 * its own older state.
 * One live plan per vendor: a subscription other than the row's, while the row's is live (not cancelled or
 * expired), is a second live plan — never applied over the first (the caller records it for admins); once the
 * row's has ended, another one becomes the plan.
 * A read that began (on the database's clock) no later than the row's `observed_watermark` — an event applied after
 * the read began, or a newer read — is stale too: a tie on that clock is skipped, never written.
 */
export function patchVerdict(x: PatchSql, row: string, tier: string): string {
  const carriesAnotherPlan = `(${tier}.code IS NOT NULL AND (${tier}.code, ${tier}.annual) IS DISTINCT FROM (${row}.tier_code, ${row}.is_annual))
          OR (${x.cancel_at_period_end}, ${x.cancel_at}) IS DISTINCT FROM (${row}.cancel_at_period_end, ${row}.cancel_at)`;
  return `CASE
        WHEN ${row}.stripe_subscription_id IS NOT NULL AND ${row}.stripe_subscription_id <> ${x.sub_id} AND ${x.ended} THEN 'not_current'
        WHEN ${row}.stripe_subscription_id IS NOT NULL AND ${row}.stripe_subscription_id <> ${x.sub_id} AND ${row}.status NOT IN ('cancelled', 'expired') THEN 'second_live'
        WHEN ${row}.stripe_watermark > ${x.at} THEN CASE WHEN ${x.is_event} AND (${carriesAnotherPlan}) THEN 'behind' ELSE 'stale' END
        WHEN ${x.read_started_at} IS NOT NULL AND ${row}.observed_watermark >= ${x.read_started_at} THEN 'stale'
        WHEN ${x.is_event} AND ${row}.stripe_watermark = ${x.at} THEN 'tie'
        ELSE 'apply' END`;
}

/**
 * The new value of each column the patch sets on the vendor's row `row`, with `tier` the patch's tier (see patchTier; `target`: the
 * row being updated, for the counters others write meanwhile; the same as `row` when nothing is updated). The rules
 * that depend on the row live here, once: the tier comes from the price, else a known `metadata.tier_code`; the
 * period of one subscription only moves forward and a forward move resets the period's order count;
 * `past_due_since` runs from entering past_due.
 */
export function patchAssignments(x: PatchSql, row: string, tier: string, target: string = row): Record<keyof PlanState | 'stripe_price_amount_cents' | 'stripe_item_price_ids' | 'stripe_watermark' | 'observed_watermark' | 'updated_at', string> {
  const price = x.price_id;
  const status = `COALESCE(${x.status}, ${row}.status)`;
  const start = x.period_start;
  const end = x.period_end;
  const movesPeriod = `(${start} IS NOT NULL AND (${row}.stripe_subscription_id IS DISTINCT FROM ${x.sub_id} OR ${start} >= ${row}.period_start))`;
  return {
    tier_code: `COALESCE(${tier}.code, ${row}.tier_code)`,
    is_annual: `COALESCE(${tier}.annual, ${row}.is_annual)`,
    status,
    trial_ends_at: `COALESCE(${x.trial_ends_at}, CASE WHEN ${status} = 'trial' THEN ${row}.trial_ends_at END)`,
    period_start: `CASE WHEN ${movesPeriod} THEN ${start} ELSE ${row}.period_start END`,
    period_end: `CASE WHEN ${status} = 'cancelled' AND ${x.ended_at} IS NOT NULL
                      THEN GREATEST(CASE WHEN ${movesPeriod} THEN ${start} ELSE ${row}.period_start END + interval '1 millisecond', LEAST(CASE WHEN ${movesPeriod} THEN ${end} ELSE ${row}.period_end END, ${x.ended_at}))
                    WHEN ${movesPeriod} THEN ${end} ELSE ${row}.period_end END`,
    orders_this_period: `CASE WHEN ${movesPeriod} AND ${start} > ${row}.period_start THEN 0 ELSE ${target}.orders_this_period END`,
    cancel_at_period_end: x.cancel_at_period_end,
    cancel_at: x.cancel_at,
    cancelled_at: x.cancelled_at,
    stripe_customer_id: `COALESCE(${x.customer_id}, ${row}.stripe_customer_id)`,
    stripe_subscription_id: x.sub_id,
    stripe_price_id: `COALESCE(${tier}.price_id, ${price}, ${row}.stripe_price_id)`,
    // The amount of the price the row ends up with: the plan item's when that is it, the row's when it stays; else
    // unknown (a plan price found on another item than the plan item's). Not a plan column: a price's amount never
    // changes, so it says nothing new about the plan, and a read that differs only by it (a row from before the
    // column) is no drift for reconciliation; the next patch applied writes it.
    stripe_price_amount_cents: `CASE COALESCE(${tier}.price_id, ${price}, ${row}.stripe_price_id) WHEN ${price} THEN ${x.price_amount}
                                     WHEN ${row}.stripe_price_id THEN ${row}.stripe_price_amount_cents END`,
    // Every item's price as Stripe holds them (the order claim's overage needs the tier's metered price among them).
    // Not a plan column either: it decides no plan value, and a read differing only by it is no drift.
    stripe_item_price_ids: `CASE WHEN ${x.price_ids} <> '' THEN string_to_array(${x.price_ids}, ' ') ELSE ${row}.stripe_item_price_ids END`,
    has_payment_method: `${row}.has_payment_method OR ${x.has_payment_method}`,
    past_due_since: `CASE WHEN ${status} = 'past_due' THEN COALESCE(${row}.past_due_since, ${x.now}) END`,
    payment_retry_count: `CASE WHEN ${row}.status = 'past_due' AND ${status} <> 'past_due' THEN 0 ELSE ${row}.payment_retry_count END`,
    stripe_watermark: `GREATEST(${row}.stripe_watermark, ${x.at})`,
    // An event: the moment it is applied; a read: the moment it began (an operation's answer, without one: unchanged).
    observed_watermark: `GREATEST(${row}.observed_watermark, CASE WHEN ${x.is_event} THEN clock_timestamp() ELSE ${x.read_started_at} END)`,
    updated_at: x.now,
  };
}
