-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- SubscriptionWriter.applyStripeSubscription (variant: any stamp: an event's or a read's)
-- parameters:
--   $1::varchar = patch.sub_id
--   $2::timestamptz = patch.at
--   $3::boolean = patch.is_event
--   $4::varchar = patch.customer_id
--   $5::int = patch.vendor_id
--   $6::varchar = patch.price_id
--   $7::varchar = patch.tier_code
--   $8::boolean = patch.tier_code_is_default
--   $9::boolean = patch.is_annual
--   $10::varchar = patch.status
--   $11::boolean = patch.ended
--   $12::timestamptz = patch.trial_ends_at
--   $13::timestamptz = patch.period_start
--   $14::timestamptz = patch.period_end
--   $15::boolean = patch.cancel_at_period_end
--   $16::timestamptz = patch.cancelled_at
--   $17::timestamptz = patch.ended_at
--   $18::boolean = patch.has_payment_method
--   $19::timestamptz = now
WITH
  b AS (
    SELECT
      id,
      vendor_id,
      last_stripe_event_at,
      tier_code,
      is_annual,
      status,
      trial_ends_at,
      period_start,
      period_end,
      cancel_at_period_end,
      cancelled_at,
      stripe_subscription_id,
      stripe_customer_id,
      stripe_price_id,
      has_payment_method,
      past_due_since,
      payment_retry_count,
      orders_this_period
    FROM
      vendor_subscriptions
    WHERE
      (
        stripe_subscription_id = $1::varchar
        OR vendor_id = $5::int
        OR stripe_customer_id = $4::varchar
      )
      AND NOT EXISTS (
        SELECT
          1
        FROM
          vendor_add_ons
        WHERE
          stripe_subscription_id = $1::varchar
      )
    ORDER BY
      stripe_subscription_id IS NOT DISTINCT FROM $1::varchar DESC,
      vendor_id IS NOT DISTINCT FROM $5::int DESC
    LIMIT
      1
    FOR UPDATE
  ),
  v AS (
    SELECT
      b.*,
      CASE
        WHEN b.stripe_subscription_id IS NOT NULL
        AND b.stripe_subscription_id <> $1::varchar
        AND $11::boolean THEN 'not_current'
        WHEN b.last_stripe_event_at > $2::timestamptz THEN 'stale'
        WHEN $3::boolean
        AND b.last_stripe_event_at = $2::timestamptz THEN 'tie'
        ELSE 'apply'
      END AS verdict
    FROM
      b
  ),
  tier AS (
    (
      SELECT
        t.code,
        t.stripe_price_annual_id IS NOT DISTINCT FROM $6::varchar AS annual
      FROM
        subscription_tiers t
      WHERE
        t.stripe_price_monthly_id = $6::varchar
        OR t.stripe_price_annual_id = $6::varchar
      ORDER BY
        t.is_active DESC,
        t.id
      LIMIT
        1
    )
    UNION ALL
    (
      SELECT
        t.code,
        $9::boolean
      FROM
        subscription_tiers t
      WHERE
        t.code = $7::varchar
    )
    UNION ALL
    (
      SELECT
        $7::varchar,
        $9::boolean
      WHERE
        $8::boolean
    )
    LIMIT
      1
  ),
  a AS (
    UPDATE vendor_subscriptions s
    SET
      tier_code = COALESCE(tier.code, b.tier_code),
      is_annual = COALESCE(tier.annual, b.is_annual),
      status = COALESCE($10::varchar, b.status),
      trial_ends_at = COALESCE(
        $12::timestamptz,
        CASE
          WHEN COALESCE($10::varchar, b.status) = 'trial' THEN b.trial_ends_at
        END
      ),
      period_start = CASE
        WHEN (
          $13::timestamptz IS NOT NULL
          AND (
            b.stripe_subscription_id IS DISTINCT FROM $1::varchar
            OR $13::timestamptz >= b.period_start
          )
        ) THEN $13::timestamptz
        ELSE b.period_start
      END,
      period_end = CASE
        WHEN COALESCE($10::varchar, b.status) = 'cancelled'
        AND $17::timestamptz IS NOT NULL THEN GREATEST(
          CASE
            WHEN (
              $13::timestamptz IS NOT NULL
              AND (
                b.stripe_subscription_id IS DISTINCT FROM $1::varchar
                OR $13::timestamptz >= b.period_start
              )
            ) THEN $13::timestamptz
            ELSE b.period_start
          END + interval '1 millisecond',
          LEAST(
            CASE
              WHEN (
                $13::timestamptz IS NOT NULL
                AND (
                  b.stripe_subscription_id IS DISTINCT FROM $1::varchar
                  OR $13::timestamptz >= b.period_start
                )
              ) THEN $14::timestamptz
              ELSE b.period_end
            END,
            $17::timestamptz
          )
        )
        WHEN (
          $13::timestamptz IS NOT NULL
          AND (
            b.stripe_subscription_id IS DISTINCT FROM $1::varchar
            OR $13::timestamptz >= b.period_start
          )
        ) THEN $14::timestamptz
        ELSE b.period_end
      END,
      orders_this_period = CASE
        WHEN (
          $13::timestamptz IS NOT NULL
          AND (
            b.stripe_subscription_id IS DISTINCT FROM $1::varchar
            OR $13::timestamptz >= b.period_start
          )
        )
        AND $13::timestamptz > b.period_start THEN 0
        ELSE s.orders_this_period
      END,
      cancel_at_period_end = $15::boolean,
      cancelled_at = $16::timestamptz,
      stripe_customer_id = COALESCE($4::varchar, b.stripe_customer_id),
      stripe_subscription_id = $1::varchar,
      stripe_price_id = COALESCE($6::varchar, b.stripe_price_id),
      has_payment_method = b.has_payment_method
      OR $18::boolean,
      past_due_since = CASE
        WHEN COALESCE($10::varchar, b.status) = 'past_due' THEN COALESCE(b.past_due_since, $19::timestamptz)
      END,
      payment_retry_count = CASE
        WHEN b.status = 'past_due'
        AND COALESCE($10::varchar, b.status) <> 'past_due' THEN 0
        ELSE b.payment_retry_count
      END,
      last_stripe_event_at = GREATEST(b.last_stripe_event_at, $2::timestamptz),
      updated_at = $19::timestamptz
    FROM
      v AS b
      LEFT JOIN tier ON true
    WHERE
      s.id = b.id
      AND b.verdict = 'apply'
    RETURNING
      s.tier_code,
      s.is_annual,
      s.status,
      s.trial_ends_at,
      s.period_start,
      s.period_end,
      s.cancel_at_period_end,
      s.cancelled_at,
      s.stripe_subscription_id,
      s.stripe_customer_id,
      s.stripe_price_id,
      s.has_payment_method,
      s.past_due_since,
      s.payment_retry_count,
      s.orders_this_period
  )
SELECT
  b.vendor_id,
  b.verdict,
  b.last_stripe_event_at,
  json_build_object(
    'tier_code',
    b.tier_code,
    'is_annual',
    b.is_annual,
    'status',
    b.status,
    'trial_ends_at',
    b.trial_ends_at,
    'period_start',
    b.period_start,
    'period_end',
    b.period_end,
    'cancel_at_period_end',
    b.cancel_at_period_end,
    'cancelled_at',
    b.cancelled_at,
    'stripe_subscription_id',
    b.stripe_subscription_id,
    'stripe_customer_id',
    b.stripe_customer_id,
    'stripe_price_id',
    b.stripe_price_id,
    'has_payment_method',
    b.has_payment_method,
    'past_due_since',
    b.past_due_since,
    'payment_retry_count',
    b.payment_retry_count,
    'orders_this_period',
    b.orders_this_period
  ) AS before,
  (
    SELECT
      row_to_json(a)
    FROM
      a
  ) AS after
FROM
  (
    SELECT
      1
  ) AS one
  LEFT JOIN v AS b ON true;

-- SubscriptionWriter.diffStripeSubscriptions (variant: any page of patches: one array parameter per value)
-- parameters:
--   $1::varchar[] = each patch's sub_id
--   $2::timestamptz[] = each patch's at
--   $3::boolean[] = each patch's is_event
--   $4::varchar[] = each patch's customer_id
--   $5::int[] = each patch's vendor_id
--   $6::varchar[] = each patch's price_id
--   $7::varchar[] = each patch's tier_code
--   $8::boolean[] = each patch's tier_code_is_default
--   $9::boolean[] = each patch's is_annual
--   $10::varchar[] = each patch's status
--   $11::boolean[] = each patch's ended
--   $12::timestamptz[] = each patch's trial_ends_at
--   $13::timestamptz[] = each patch's period_start
--   $14::timestamptz[] = each patch's period_end
--   $15::boolean[] = each patch's cancel_at_period_end
--   $16::timestamptz[] = each patch's cancelled_at
--   $17::timestamptz[] = each patch's ended_at
--   $18::boolean[] = each patch's has_payment_method
--   $19::timestamptz = now
SELECT
  b.vendor_id,
  CASE
    WHEN b.stripe_subscription_id IS NOT NULL
    AND b.stripe_subscription_id <> x.sub_id
    AND x.ended THEN 'not_current'
    WHEN b.last_stripe_event_at > x.at THEN 'stale'
    WHEN x.is_event
    AND b.last_stripe_event_at = x.at THEN 'tie'
    ELSE 'apply'
  END AS verdict,
  (
    (COALESCE(tier.code, b.tier_code)) IS DISTINCT FROM b.tier_code
    OR (COALESCE(tier.annual, b.is_annual)) IS DISTINCT FROM b.is_annual
    OR (COALESCE(x.status, b.status)) IS DISTINCT FROM b.status
    OR (
      COALESCE(
        x.trial_ends_at,
        CASE
          WHEN COALESCE(x.status, b.status) = 'trial' THEN b.trial_ends_at
        END
      )
    ) IS DISTINCT FROM b.trial_ends_at
    OR (
      CASE
        WHEN (
          x.period_start IS NOT NULL
          AND (
            b.stripe_subscription_id IS DISTINCT FROM x.sub_id
            OR x.period_start >= b.period_start
          )
        ) THEN x.period_start
        ELSE b.period_start
      END
    ) IS DISTINCT FROM b.period_start
    OR (
      CASE
        WHEN COALESCE(x.status, b.status) = 'cancelled'
        AND x.ended_at IS NOT NULL THEN GREATEST(
          CASE
            WHEN (
              x.period_start IS NOT NULL
              AND (
                b.stripe_subscription_id IS DISTINCT FROM x.sub_id
                OR x.period_start >= b.period_start
              )
            ) THEN x.period_start
            ELSE b.period_start
          END + interval '1 millisecond',
          LEAST(
            CASE
              WHEN (
                x.period_start IS NOT NULL
                AND (
                  b.stripe_subscription_id IS DISTINCT FROM x.sub_id
                  OR x.period_start >= b.period_start
                )
              ) THEN x.period_end
              ELSE b.period_end
            END,
            x.ended_at
          )
        )
        WHEN (
          x.period_start IS NOT NULL
          AND (
            b.stripe_subscription_id IS DISTINCT FROM x.sub_id
            OR x.period_start >= b.period_start
          )
        ) THEN x.period_end
        ELSE b.period_end
      END
    ) IS DISTINCT FROM b.period_end
    OR (x.cancel_at_period_end) IS DISTINCT FROM b.cancel_at_period_end
    OR (x.cancelled_at) IS DISTINCT FROM b.cancelled_at
    OR (x.sub_id) IS DISTINCT FROM b.stripe_subscription_id
    OR (COALESCE(x.customer_id, b.stripe_customer_id)) IS DISTINCT FROM b.stripe_customer_id
    OR (COALESCE(x.price_id, b.stripe_price_id)) IS DISTINCT FROM b.stripe_price_id
    OR (
      b.has_payment_method
      OR x.has_payment_method
    ) IS DISTINCT FROM b.has_payment_method
    OR (
      CASE
        WHEN COALESCE(x.status, b.status) = 'past_due' THEN COALESCE(b.past_due_since, $19::timestamptz)
      END
    ) IS DISTINCT FROM b.past_due_since
    OR (
      CASE
        WHEN b.status = 'past_due'
        AND COALESCE(x.status, b.status) <> 'past_due' THEN 0
        ELSE b.payment_retry_count
      END
    ) IS DISTINCT FROM b.payment_retry_count
    OR (
      CASE
        WHEN (
          x.period_start IS NOT NULL
          AND (
            b.stripe_subscription_id IS DISTINCT FROM x.sub_id
            OR x.period_start >= b.period_start
          )
        )
        AND x.period_start > b.period_start THEN 0
        ELSE b.orders_this_period
      END
    ) IS DISTINCT FROM b.orders_this_period
  ) AS differs
FROM
  unnest(
    $1::varchar[],
    $2::timestamptz[],
    $3::boolean[],
    $4::varchar[],
    $5::int[],
    $6::varchar[],
    $7::varchar[],
    $8::boolean[],
    $9::boolean[],
    $10::varchar[],
    $11::boolean[],
    $12::timestamptz[],
    $13::timestamptz[],
    $14::timestamptz[],
    $15::boolean[],
    $16::timestamptz[],
    $17::timestamptz[],
    $18::boolean[]
  ) WITH ORDINALITY AS x (
    sub_id,
    at,
    is_event,
    customer_id,
    vendor_id,
    price_id,
    tier_code,
    tier_code_is_default,
    is_annual,
    status,
    ended,
    trial_ends_at,
    period_start,
    period_end,
    cancel_at_period_end,
    cancelled_at,
    ended_at,
    has_payment_method,
    i
  )
  LEFT JOIN LATERAL (
    SELECT
      vendor_id,
      last_stripe_event_at,
      tier_code,
      is_annual,
      status,
      trial_ends_at,
      period_start,
      period_end,
      cancel_at_period_end,
      cancelled_at,
      stripe_subscription_id,
      stripe_customer_id,
      stripe_price_id,
      has_payment_method,
      past_due_since,
      payment_retry_count,
      orders_this_period
    FROM
      vendor_subscriptions
    WHERE
      (
        stripe_subscription_id = x.sub_id
        OR vendor_id = x.vendor_id
        OR stripe_customer_id = x.customer_id
      )
      AND NOT EXISTS (
        SELECT
          1
        FROM
          vendor_add_ons
        WHERE
          stripe_subscription_id = x.sub_id
      )
    ORDER BY
      stripe_subscription_id IS NOT DISTINCT FROM x.sub_id DESC,
      vendor_id IS NOT DISTINCT FROM x.vendor_id DESC
    LIMIT
      1
  ) b ON true
  LEFT JOIN LATERAL (
    (
      SELECT
        t.code,
        t.stripe_price_annual_id IS NOT DISTINCT FROM x.price_id AS annual
      FROM
        subscription_tiers t
      WHERE
        t.stripe_price_monthly_id = x.price_id
        OR t.stripe_price_annual_id = x.price_id
      ORDER BY
        t.is_active DESC,
        t.id
      LIMIT
        1
    )
    UNION ALL
    (
      SELECT
        t.code,
        x.is_annual
      FROM
        subscription_tiers t
      WHERE
        t.code = x.tier_code
    )
    UNION ALL
    (
      SELECT
        x.tier_code,
        x.is_annual
      WHERE
        x.tier_code_is_default
    )
    LIMIT
      1
  ) tier ON true
ORDER BY
  x.i;

-- SubscriptionWriter.findVendorOf
-- parameters:
--   $1::varchar = stripe_subscription_id
--   $2::varchar = stripe_customer_id
--   $3::int = metadata.vendor_id
SELECT
  vendor_id,
  stripe_subscription_id
FROM
  vendor_subscriptions
WHERE
  id = COALESCE(
    (
      SELECT
        id
      FROM
        vendor_subscriptions
      WHERE
        stripe_subscription_id = $1::varchar
    ),
    (
      SELECT
        id
      FROM
        vendor_subscriptions
      WHERE
        stripe_customer_id = $2::varchar
    ),
    (
      SELECT
        id
      FROM
        vendor_subscriptions
      WHERE
        vendor_id = $3::int
    )
  );
