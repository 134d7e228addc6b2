/**
 * Overage of orders (CONTRACT §12), as SQL over a subscription row `s` (an alias of vendor_subscriptions, or a CTE
 * with its columns) inside a claim whose $2 is "now". Only the order claim uses these; products and team seats stay
 * hard-limited. The claim evaluates them only when the plain limit has no room (an OR's second arm, a CASE's ELSE),
 * so an order within the limit costs what it cost before.
 */

/** The subscription columns these expressions read (a CTE standing for `s` must carry them). */
export const OVERAGE_ROW_COLUMNS = ['tier_code', 'pending_tier_code', 'pending_tier_expires_at', 'stripe_subscription_id', 'is_annual', 'period_start',
  'overage_cap_mode', 'overage_cap_cents', 'overage_orders', 'overage_amount_cents', 'overage_period_start'] as const;

const tierPrice = (code: string) => `(SELECT t.orders_overage_price_cents FROM subscription_tiers t WHERE t.code = ${code})`;

/**
 * The price of one order past the limit on `s`, or NULL: a hard limit. NULL when the tier has no overage price,
 * when nothing bills it (no Stripe subscription: a trial before Checkout, a tier assigned by hand; an annual plan,
 * which carries no metered item: Stripe keeps a subscription's items on one interval), and while a tier change is
 * in flight (its Stripe call: the lower limit of the two holds then, as for every meter, and the change bills the
 * overage its removed metered item counted — an order taken meanwhile would be counted by neither item).
 */
export const overagePriceSql = (s: string) => `(CASE WHEN ${s}.stripe_subscription_id IS NULL OR ${s}.is_annual THEN NULL
      WHEN ${s}.pending_tier_code IS NOT NULL AND ${s}.pending_tier_expires_at > $2::timestamptz THEN NULL
      ELSE ${tierPrice(`${s}.tier_code`)} END)`;

/** The vendor's cap on a period's overage amount, NULL: no cap (`none`). Default: the tier's monthly price (none: 0). */
export const overageCapSql = (s: string) => `(CASE ${s}.overage_cap_mode WHEN 'none' THEN NULL WHEN 'custom' THEN ${s}.overage_cap_cents
      ELSE COALESCE((SELECT t.price_monthly_cents FROM subscription_tiers t WHERE t.code = ${s}.tier_code), 0)::bigint END)`;

/** Whether `s`'s overage counters belong to its current period (else they read as zero). */
const inPeriod = (s: string) => `${s}.overage_period_start >= ${s}.period_start`;
/** This period's overage orders and amount of `s`. */
export const overageOrdersSql = (s: string) => `(CASE WHEN ${inPeriod(s)} THEN ${s}.overage_orders ELSE 0 END)`;
export const overageAmountSql = (s: string) => `(CASE WHEN ${inPeriod(s)} THEN ${s}.overage_amount_cents ELSE 0 END)`;

/** One more overage order fits `s`: a price, and the amount with it within the cap. */
export const overageFitsSql = (s: string) => `(SELECT o.price IS NOT NULL AND (o.cap IS NULL OR ${overageAmountSql(s)} + o.price <= o.cap)
      FROM (SELECT ${overagePriceSql(s)} AS price, ${overageCapSql(s)} AS cap) AS o)`;

/**
 * The order claim's SET of the overage counters: unchanged when the order is within the limit (`withinLimit`, a
 * boolean expression), else one more order at the price, in the current period. One sub-SELECT, so the limit is
 * evaluated once for the three columns.
 */
export const overageCountersSetSql = (s: string, withinLimit: string) => `(overage_orders, overage_amount_cents, overage_period_start) =
    (SELECT CASE WHEN w.within THEN ${s}.overage_orders ELSE ${overageOrdersSql(s)} + 1 END,
            CASE WHEN w.within THEN ${s}.overage_amount_cents ELSE ${overageAmountSql(s)} + ${overagePriceSql(s)} END,
            CASE WHEN w.within THEN ${s}.overage_period_start ELSE ${s}.period_start END
       FROM (SELECT ${withinLimit} AS within) AS w)`;
