-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- SubscriptionWriter.applyStripeSubscription (variant: any stamp: an event's or a read's)
-- parameters:
--   $1::varchar = patch.sub_id
--   $2::timestamptz = patch.at
--   $3::boolean = patch.is_event
--   $4::timestamptz = patch.read_started_at
--   $5::varchar = patch.customer_id
--   $6::int = patch.vendor_id
--   $7::varchar = patch.price_id
--   $8::text = patch.price_ids
--   $9::varchar = patch.tier_code
--   $10::boolean = patch.tier_code_is_default
--   $11::boolean = patch.is_annual
--   $12::varchar = patch.status
--   $13::boolean = patch.ended
--   $14::timestamptz = patch.trial_ends_at
--   $15::timestamptz = patch.period_start
--   $16::timestamptz = patch.period_end
--   $17::boolean = patch.cancel_at_period_end
--   $18::timestamptz = patch.cancel_at
--   $19::timestamptz = patch.cancelled_at
--   $20::timestamptz = patch.ended_at
--   $21::boolean = patch.has_payment_method
--   $22::timestamptz = now
WITH
  b AS (
    SELECT
      id,
      vendor_id,
      last_stripe_event_at,
      observed_watermark,
      tier_code,
      is_annual,
      status,
      trial_ends_at,
      period_start,
      period_end,
      cancel_at_period_end,
      cancel_at,
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
        vendor_id = $6::int
        OR stripe_subscription_id = $1::varchar
        OR stripe_customer_id = $5::varchar
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
      (vendor_id = $6::int) IS TRUE DESC,
      (stripe_subscription_id = $1::varchar) IS TRUE DESC
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
        AND $13::boolean THEN 'not_current'
        WHEN b.stripe_subscription_id IS NOT NULL
        AND b.stripe_subscription_id <> $1::varchar
        AND b.status NOT IN ('cancelled', 'expired') THEN 'second_live'
        WHEN b.last_stripe_event_at > $2::timestamptz THEN 'stale'
        WHEN $4::timestamptz IS NOT NULL
        AND b.observed_watermark >= $4::timestamptz THEN 'stale'
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
        t.stripe_price_annual_id IS NOT DISTINCT FROM item.price_id AS annual,
        item.price_id
      FROM
        unnest(string_to_array($8::text, ' ')) WITH ORDINALITY AS item (price_id, n)
        JOIN subscription_tiers t ON t.stripe_price_monthly_id = item.price_id
        OR t.stripe_price_annual_id = item.price_id
      ORDER BY
        item.n,
        t.is_active DESC,
        t.id
      LIMIT
        1
    )
    UNION ALL
    (
      SELECT
        t.code,
        $11::boolean,
        $7::varchar
      FROM
        subscription_tiers t
      WHERE
        t.code = $9::varchar
    )
    UNION ALL
    (
      SELECT
        $9::varchar,
        $11::boolean,
        $7::varchar
      WHERE
        $10::boolean
    )
    LIMIT
      1
  ),
  a AS (
    UPDATE vendor_subscriptions s
    SET
      tier_code = COALESCE(tier.code, b.tier_code),
      is_annual = COALESCE(tier.annual, b.is_annual),
      status = COALESCE($12::varchar, b.status),
      trial_ends_at = COALESCE(
        $14::timestamptz,
        CASE
          WHEN COALESCE($12::varchar, b.status) = 'trial' THEN b.trial_ends_at
        END
      ),
      period_start = CASE
        WHEN (
          $15::timestamptz IS NOT NULL
          AND (
            b.stripe_subscription_id IS DISTINCT FROM $1::varchar
            OR $15::timestamptz >= b.period_start
          )
        ) THEN $15::timestamptz
        ELSE b.period_start
      END,
      period_end = CASE
        WHEN COALESCE($12::varchar, b.status) = 'cancelled'
        AND $20::timestamptz IS NOT NULL THEN GREATEST(
          CASE
            WHEN (
              $15::timestamptz IS NOT NULL
              AND (
                b.stripe_subscription_id IS DISTINCT FROM $1::varchar
                OR $15::timestamptz >= b.period_start
              )
            ) THEN $15::timestamptz
            ELSE b.period_start
          END + interval '1 millisecond',
          LEAST(
            CASE
              WHEN (
                $15::timestamptz IS NOT NULL
                AND (
                  b.stripe_subscription_id IS DISTINCT FROM $1::varchar
                  OR $15::timestamptz >= b.period_start
                )
              ) THEN $16::timestamptz
              ELSE b.period_end
            END,
            $20::timestamptz
          )
        )
        WHEN (
          $15::timestamptz IS NOT NULL
          AND (
            b.stripe_subscription_id IS DISTINCT FROM $1::varchar
            OR $15::timestamptz >= b.period_start
          )
        ) THEN $16::timestamptz
        ELSE b.period_end
      END,
      orders_this_period = CASE
        WHEN (
          $15::timestamptz IS NOT NULL
          AND (
            b.stripe_subscription_id IS DISTINCT FROM $1::varchar
            OR $15::timestamptz >= b.period_start
          )
        )
        AND $15::timestamptz > b.period_start THEN 0
        ELSE s.orders_this_period
      END,
      cancel_at_period_end = $17::boolean,
      cancel_at = $18::timestamptz,
      cancelled_at = $19::timestamptz,
      stripe_customer_id = COALESCE($5::varchar, b.stripe_customer_id),
      stripe_subscription_id = $1::varchar,
      stripe_price_id = COALESCE(tier.price_id, $7::varchar, b.stripe_price_id),
      has_payment_method = b.has_payment_method
      OR $21::boolean,
      past_due_since = CASE
        WHEN COALESCE($12::varchar, b.status) = 'past_due' THEN COALESCE(b.past_due_since, $22::timestamptz)
      END,
      payment_retry_count = CASE
        WHEN b.status = 'past_due'
        AND COALESCE($12::varchar, b.status) <> 'past_due' THEN 0
        ELSE b.payment_retry_count
      END,
      last_stripe_event_at = GREATEST(b.last_stripe_event_at, $2::timestamptz),
      observed_watermark = GREATEST(
        b.observed_watermark,
        CASE
          WHEN $3::boolean THEN clock_timestamp()
          ELSE $4::timestamptz
        END
      ),
      updated_at = $22::timestamptz
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
      s.cancel_at,
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
    'cancel_at',
    b.cancel_at,
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
--   $4::timestamptz[] = each patch's read_started_at
--   $5::varchar[] = each patch's customer_id
--   $6::int[] = each patch's vendor_id
--   $7::varchar[] = each patch's price_id
--   $8::text[] = each patch's price_ids
--   $9::varchar[] = each patch's tier_code
--   $10::boolean[] = each patch's tier_code_is_default
--   $11::boolean[] = each patch's is_annual
--   $12::varchar[] = each patch's status
--   $13::boolean[] = each patch's ended
--   $14::timestamptz[] = each patch's trial_ends_at
--   $15::timestamptz[] = each patch's period_start
--   $16::timestamptz[] = each patch's period_end
--   $17::boolean[] = each patch's cancel_at_period_end
--   $18::timestamptz[] = each patch's cancel_at
--   $19::timestamptz[] = each patch's cancelled_at
--   $20::timestamptz[] = each patch's ended_at
--   $21::boolean[] = each patch's has_payment_method
--   $22::timestamptz = now
SELECT
  b.vendor_id,
  CASE
    WHEN b.stripe_subscription_id IS NOT NULL
    AND b.stripe_subscription_id <> x.sub_id
    AND x.ended THEN 'not_current'
    WHEN b.stripe_subscription_id IS NOT NULL
    AND b.stripe_subscription_id <> x.sub_id
    AND b.status NOT IN ('cancelled', 'expired') THEN 'second_live'
    WHEN b.last_stripe_event_at > x.at THEN 'stale'
    WHEN x.read_started_at IS NOT NULL
    AND b.observed_watermark >= x.read_started_at THEN 'stale'
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
    OR (x.cancel_at) IS DISTINCT FROM b.cancel_at
    OR (x.cancelled_at) IS DISTINCT FROM b.cancelled_at
    OR (x.sub_id) IS DISTINCT FROM b.stripe_subscription_id
    OR (COALESCE(x.customer_id, b.stripe_customer_id)) IS DISTINCT FROM b.stripe_customer_id
    OR (COALESCE(tier.price_id, x.price_id, b.stripe_price_id)) IS DISTINCT FROM b.stripe_price_id
    OR (
      b.has_payment_method
      OR x.has_payment_method
    ) IS DISTINCT FROM b.has_payment_method
    OR (
      CASE
        WHEN COALESCE(x.status, b.status) = 'past_due' THEN COALESCE(b.past_due_since, $22::timestamptz)
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
    $4::timestamptz[],
    $5::varchar[],
    $6::int[],
    $7::varchar[],
    $8::text[],
    $9::varchar[],
    $10::boolean[],
    $11::boolean[],
    $12::varchar[],
    $13::boolean[],
    $14::timestamptz[],
    $15::timestamptz[],
    $16::timestamptz[],
    $17::boolean[],
    $18::timestamptz[],
    $19::timestamptz[],
    $20::timestamptz[],
    $21::boolean[]
  ) WITH ORDINALITY AS x (
    sub_id,
    at,
    is_event,
    read_started_at,
    customer_id,
    vendor_id,
    price_id,
    price_ids,
    tier_code,
    tier_code_is_default,
    is_annual,
    status,
    ended,
    trial_ends_at,
    period_start,
    period_end,
    cancel_at_period_end,
    cancel_at,
    cancelled_at,
    ended_at,
    has_payment_method,
    i
  )
  LEFT JOIN LATERAL (
    SELECT
      vendor_id,
      last_stripe_event_at,
      observed_watermark,
      tier_code,
      is_annual,
      status,
      trial_ends_at,
      period_start,
      period_end,
      cancel_at_period_end,
      cancel_at,
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
        vendor_id = x.vendor_id
        OR stripe_subscription_id = x.sub_id
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
      (vendor_id = x.vendor_id) IS TRUE DESC,
      (stripe_subscription_id = x.sub_id) IS TRUE DESC
    LIMIT
      1
  ) b ON true
  LEFT JOIN LATERAL (
    (
      SELECT
        t.code,
        t.stripe_price_annual_id IS NOT DISTINCT FROM item.price_id AS annual,
        item.price_id
      FROM
        unnest(string_to_array(x.price_ids, ' ')) WITH ORDINALITY AS item (price_id, n)
        JOIN subscription_tiers t ON t.stripe_price_monthly_id = item.price_id
        OR t.stripe_price_annual_id = item.price_id
      ORDER BY
        item.n,
        t.is_active DESC,
        t.id
      LIMIT
        1
    )
    UNION ALL
    (
      SELECT
        t.code,
        x.is_annual,
        x.price_id
      FROM
        subscription_tiers t
      WHERE
        t.code = x.tier_code
    )
    UNION ALL
    (
      SELECT
        x.tier_code,
        x.is_annual,
        x.price_id
      WHERE
        x.tier_code_is_default
    )
    LIMIT
      1
  ) tier ON true
ORDER BY
  x.i;

-- SubscriptionWriter.changeLocalTier
-- parameters:
--   $1 = vendor_id
--   $2 = tier_code
--   $3 = is_annual
--   $4 = DEFAULT_LIMITS_JSON
UPDATE vendor_subscriptions s
SET
  tier_code = $2,
  is_annual = $3,
  updated_at = now()
WHERE
  s.vendor_id = $1
  AND NOT EXISTS (
    SELECT
      1
    FROM
      (
        VALUES
          (
            1,
            'products',
            s.products_count,
            (
              SELECT
                CASE
                  WHEN tier_row.id IS NOT NULL THEN tier_row.products_limit
                  WHEN ($4::jsonb -> $2::varchar) IS NOT NULL THEN ($4::jsonb -> $2::varchar ->> 'products')::int
                  ELSE 0
                END
              FROM
                (
                  SELECT
                    1
                ) AS one
                LEFT JOIN subscription_tiers tier_row ON tier_row.code = $2::varchar
            )
          ),
          (
            2,
            'orders',
            s.orders_this_period,
            (
              CASE
                WHEN s.stripe_subscription_id IS NOT NULL
                AND (
                  SELECT
                    t.orders_overage_price_cents
                  FROM
                    subscription_tiers t
                  WHERE
                    t.code = $2::varchar
                ) IS NOT NULL THEN NULL
                ELSE (
                  SELECT
                    CASE
                      WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                      WHEN ($4::jsonb -> $2::varchar) IS NOT NULL THEN ($4::jsonb -> $2::varchar ->> 'orders')::int
                      ELSE 0
                    END
                  FROM
                    (
                      SELECT
                        1
                    ) AS one
                    LEFT JOIN subscription_tiers tier_row ON tier_row.code = $2::varchar
                )
              END
            )
          ),
          (
            3,
            'team_members',
            s.team_members_count,
            (
              SELECT
                CASE
                  WHEN tier_row.id IS NOT NULL THEN tier_row.team_members
                  WHEN ($4::jsonb -> $2::varchar) IS NOT NULL THEN ($4::jsonb -> $2::varchar ->> 'team_members')::int
                  ELSE 0
                END
              FROM
                (
                  SELECT
                    1
                ) AS one
                LEFT JOIN subscription_tiers tier_row ON tier_row.code = $2::varchar
            )
          )
      ) AS usage (ord, limit_type, current, "limit")
    WHERE
      NOT COALESCE(usage.current <= usage."limit", true)
  )
RETURNING
  s.id;

-- SubscriptionWriter.findVendorOf
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
SELECT
  vendor_id,
  stripe_subscription_id
FROM
  vendor_subscriptions
WHERE
  (
    vendor_id = $1::int
    OR stripe_subscription_id = $2::varchar
    OR stripe_customer_id = $3::varchar
  )
ORDER BY
  (vendor_id = $1::int) IS TRUE DESC,
  (stripe_subscription_id = $2::varchar) IS TRUE DESC
LIMIT
  1;
