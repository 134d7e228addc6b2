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
--   $8::int = patch.price_amount
--   $9::text = patch.price_ids
--   $10::varchar = patch.tier_code
--   $11::boolean = patch.tier_code_is_default
--   $12::boolean = patch.is_annual
--   $13::varchar = patch.status
--   $14::boolean = patch.ended
--   $15::timestamptz = patch.trial_ends_at
--   $16::timestamptz = patch.period_start
--   $17::timestamptz = patch.period_end
--   $18::boolean = patch.cancel_at_period_end
--   $19::timestamptz = patch.cancel_at
--   $20::timestamptz = patch.cancelled_at
--   $21::timestamptz = patch.ended_at
--   $22::boolean = patch.has_payment_method
--   $23::timestamptz = now
WITH
  locked_row AS (
    SELECT
      id,
      vendor_id,
      stripe_watermark,
      observed_watermark,
      stripe_price_amount_cents,
      stripe_item_price_ids,
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
  patch_tier AS (
    (
      SELECT
        tier_row.code,
        tier_row.stripe_price_annual_id IS NOT DISTINCT FROM item.price_id AS annual,
        item.price_id
      FROM
        unnest(string_to_array($9::text, ' ')) WITH ORDINALITY AS item (price_id, n)
        JOIN subscription_tiers tier_row ON tier_row.stripe_price_monthly_id = item.price_id
        OR tier_row.stripe_price_annual_id = item.price_id
      ORDER BY
        item.n,
        tier_row.is_active DESC,
        tier_row.id
      LIMIT
        1
    )
    UNION ALL
    (
      SELECT
        tier_row.code,
        $12::boolean,
        $7::varchar
      FROM
        subscription_tiers tier_row
      WHERE
        tier_row.code = $10::varchar
    )
    UNION ALL
    (
      SELECT
        $10::varchar,
        $12::boolean,
        $7::varchar
      WHERE
        $11::boolean
    )
    LIMIT
      1
  ),
  verdict AS (
    SELECT
      locked_row.*,
      CASE
        WHEN locked_row.stripe_subscription_id IS NOT NULL
        AND locked_row.stripe_subscription_id <> $1::varchar
        AND $14::boolean THEN 'not_current'
        WHEN locked_row.stripe_subscription_id IS NOT NULL
        AND locked_row.stripe_subscription_id <> $1::varchar
        AND locked_row.status NOT IN ('cancelled', 'expired') THEN 'second_live'
        WHEN locked_row.stripe_watermark > $2::timestamptz THEN CASE
          WHEN $3::boolean
          AND (
            (
              patch_tier.code IS NOT NULL
              AND (patch_tier.code, patch_tier.annual) IS DISTINCT FROM (locked_row.tier_code, locked_row.is_annual)
            )
            OR ($18::boolean, $19::timestamptz) IS DISTINCT FROM (locked_row.cancel_at_period_end, locked_row.cancel_at)
          ) THEN 'behind'
          ELSE 'stale'
        END
        WHEN $4::timestamptz IS NOT NULL
        AND locked_row.observed_watermark >= $4::timestamptz THEN 'stale'
        WHEN $3::boolean
        AND locked_row.stripe_watermark = $2::timestamptz THEN 'tie'
        ELSE 'apply'
      END AS verdict
    FROM
      locked_row
      LEFT JOIN patch_tier ON true
  ),
  applied AS (
    UPDATE vendor_subscriptions AS target_row
    SET
      tier_code = COALESCE(patch_tier.code, locked_row.tier_code),
      is_annual = COALESCE(patch_tier.annual, locked_row.is_annual),
      status = COALESCE($13::varchar, locked_row.status),
      trial_ends_at = COALESCE(
        $15::timestamptz,
        CASE
          WHEN COALESCE($13::varchar, locked_row.status) = 'trial' THEN locked_row.trial_ends_at
        END
      ),
      period_start = CASE
        WHEN (
          $16::timestamptz IS NOT NULL
          AND (
            locked_row.stripe_subscription_id IS DISTINCT FROM $1::varchar
            OR $16::timestamptz >= locked_row.period_start
          )
        ) THEN $16::timestamptz
        ELSE locked_row.period_start
      END,
      period_end = CASE
        WHEN COALESCE($13::varchar, locked_row.status) = 'cancelled'
        AND $21::timestamptz IS NOT NULL THEN GREATEST(
          CASE
            WHEN (
              $16::timestamptz IS NOT NULL
              AND (
                locked_row.stripe_subscription_id IS DISTINCT FROM $1::varchar
                OR $16::timestamptz >= locked_row.period_start
              )
            ) THEN $16::timestamptz
            ELSE locked_row.period_start
          END + interval '1 millisecond',
          LEAST(
            CASE
              WHEN (
                $16::timestamptz IS NOT NULL
                AND (
                  locked_row.stripe_subscription_id IS DISTINCT FROM $1::varchar
                  OR $16::timestamptz >= locked_row.period_start
                )
              ) THEN $17::timestamptz
              ELSE locked_row.period_end
            END,
            $21::timestamptz
          )
        )
        WHEN (
          $16::timestamptz IS NOT NULL
          AND (
            locked_row.stripe_subscription_id IS DISTINCT FROM $1::varchar
            OR $16::timestamptz >= locked_row.period_start
          )
        ) THEN $17::timestamptz
        ELSE locked_row.period_end
      END,
      orders_this_period = CASE
        WHEN (
          $16::timestamptz IS NOT NULL
          AND (
            locked_row.stripe_subscription_id IS DISTINCT FROM $1::varchar
            OR $16::timestamptz >= locked_row.period_start
          )
        )
        AND $16::timestamptz > locked_row.period_start THEN 0
        ELSE target_row.orders_this_period
      END,
      cancel_at_period_end = $18::boolean,
      cancel_at = $19::timestamptz,
      cancelled_at = $20::timestamptz,
      stripe_customer_id = COALESCE($5::varchar, locked_row.stripe_customer_id),
      stripe_subscription_id = $1::varchar,
      stripe_price_id = COALESCE(patch_tier.price_id, $7::varchar, locked_row.stripe_price_id),
      stripe_price_amount_cents = CASE COALESCE(patch_tier.price_id, $7::varchar, locked_row.stripe_price_id)
        WHEN $7::varchar THEN $8::int
        WHEN locked_row.stripe_price_id THEN locked_row.stripe_price_amount_cents
      END,
      stripe_item_price_ids = CASE
        WHEN $9::text <> '' THEN string_to_array($9::text, ' ')
        ELSE locked_row.stripe_item_price_ids
      END,
      has_payment_method = locked_row.has_payment_method
      OR $22::boolean,
      past_due_since = CASE
        WHEN COALESCE($13::varchar, locked_row.status) = 'past_due' THEN COALESCE(locked_row.past_due_since, $23::timestamptz)
      END,
      payment_retry_count = CASE
        WHEN locked_row.status = 'past_due'
        AND COALESCE($13::varchar, locked_row.status) <> 'past_due' THEN 0
        ELSE locked_row.payment_retry_count
      END,
      stripe_watermark = GREATEST(locked_row.stripe_watermark, $2::timestamptz),
      observed_watermark = GREATEST(
        locked_row.observed_watermark,
        CASE
          WHEN $3::boolean THEN clock_timestamp()
          ELSE $4::timestamptz
        END
      ),
      updated_at = $23::timestamptz
    FROM
      locked_row
      JOIN verdict ON true
      LEFT JOIN patch_tier ON true
    WHERE
      target_row.id = locked_row.id
      AND verdict.verdict = 'apply'
    RETURNING
      target_row.tier_code,
      target_row.is_annual,
      target_row.status,
      target_row.trial_ends_at,
      target_row.period_start,
      target_row.period_end,
      target_row.cancel_at_period_end,
      target_row.cancel_at,
      target_row.cancelled_at,
      target_row.stripe_subscription_id,
      target_row.stripe_customer_id,
      target_row.stripe_price_id,
      target_row.has_payment_method,
      target_row.past_due_since,
      target_row.payment_retry_count,
      target_row.orders_this_period
  )
SELECT
  locked_row.vendor_id,
  verdict.verdict,
  locked_row.stripe_watermark,
  json_build_object(
    'tier_code',
    locked_row.tier_code,
    'is_annual',
    locked_row.is_annual,
    'status',
    locked_row.status,
    'trial_ends_at',
    locked_row.trial_ends_at,
    'period_start',
    locked_row.period_start,
    'period_end',
    locked_row.period_end,
    'cancel_at_period_end',
    locked_row.cancel_at_period_end,
    'cancel_at',
    locked_row.cancel_at,
    'cancelled_at',
    locked_row.cancelled_at,
    'stripe_subscription_id',
    locked_row.stripe_subscription_id,
    'stripe_customer_id',
    locked_row.stripe_customer_id,
    'stripe_price_id',
    locked_row.stripe_price_id,
    'has_payment_method',
    locked_row.has_payment_method,
    'past_due_since',
    locked_row.past_due_since,
    'payment_retry_count',
    locked_row.payment_retry_count,
    'orders_this_period',
    locked_row.orders_this_period
  ) AS before,
  (
    SELECT
      row_to_json(applied)
    FROM
      applied
  ) AS after
FROM
  (
    SELECT
      1
  ) AS one
  LEFT JOIN locked_row ON true
  LEFT JOIN verdict ON true;

-- SubscriptionWriter.diffStripeSubscriptions (variant: any page of patches: one array parameter per value)
-- parameters:
--   $1::varchar[] = each patch's sub_id
--   $2::timestamptz[] = each patch's at
--   $3::boolean[] = each patch's is_event
--   $4::timestamptz[] = each patch's read_started_at
--   $5::varchar[] = each patch's customer_id
--   $6::int[] = each patch's vendor_id
--   $7::varchar[] = each patch's price_id
--   $8::int[] = each patch's price_amount
--   $9::text[] = each patch's price_ids
--   $10::varchar[] = each patch's tier_code
--   $11::boolean[] = each patch's tier_code_is_default
--   $12::boolean[] = each patch's is_annual
--   $13::varchar[] = each patch's status
--   $14::boolean[] = each patch's ended
--   $15::timestamptz[] = each patch's trial_ends_at
--   $16::timestamptz[] = each patch's period_start
--   $17::timestamptz[] = each patch's period_end
--   $18::boolean[] = each patch's cancel_at_period_end
--   $19::timestamptz[] = each patch's cancel_at
--   $20::timestamptz[] = each patch's cancelled_at
--   $21::timestamptz[] = each patch's ended_at
--   $22::boolean[] = each patch's has_payment_method
--   $23::timestamptz = now
SELECT
  current_row.vendor_id,
  CASE
    WHEN current_row.stripe_subscription_id IS NOT NULL
    AND current_row.stripe_subscription_id <> patch.sub_id
    AND patch.ended THEN 'not_current'
    WHEN current_row.stripe_subscription_id IS NOT NULL
    AND current_row.stripe_subscription_id <> patch.sub_id
    AND current_row.status NOT IN ('cancelled', 'expired') THEN 'second_live'
    WHEN current_row.stripe_watermark > patch.at THEN CASE
      WHEN patch.is_event
      AND (
        (
          patch_tier.code IS NOT NULL
          AND (patch_tier.code, patch_tier.annual) IS DISTINCT FROM (current_row.tier_code, current_row.is_annual)
        )
        OR (patch.cancel_at_period_end, patch.cancel_at) IS DISTINCT FROM (current_row.cancel_at_period_end, current_row.cancel_at)
      ) THEN 'behind'
      ELSE 'stale'
    END
    WHEN patch.read_started_at IS NOT NULL
    AND current_row.observed_watermark >= patch.read_started_at THEN 'stale'
    WHEN patch.is_event
    AND current_row.stripe_watermark = patch.at THEN 'tie'
    ELSE 'apply'
  END AS verdict,
  (
    (COALESCE(patch_tier.code, current_row.tier_code)) IS DISTINCT FROM current_row.tier_code
    OR (COALESCE(patch_tier.annual, current_row.is_annual)) IS DISTINCT FROM current_row.is_annual
    OR (COALESCE(patch.status, current_row.status)) IS DISTINCT FROM current_row.status
    OR (
      COALESCE(
        patch.trial_ends_at,
        CASE
          WHEN COALESCE(patch.status, current_row.status) = 'trial' THEN current_row.trial_ends_at
        END
      )
    ) IS DISTINCT FROM current_row.trial_ends_at
    OR (
      CASE
        WHEN (
          patch.period_start IS NOT NULL
          AND (
            current_row.stripe_subscription_id IS DISTINCT FROM patch.sub_id
            OR patch.period_start >= current_row.period_start
          )
        ) THEN patch.period_start
        ELSE current_row.period_start
      END
    ) IS DISTINCT FROM current_row.period_start
    OR (
      CASE
        WHEN COALESCE(patch.status, current_row.status) = 'cancelled'
        AND patch.ended_at IS NOT NULL THEN GREATEST(
          CASE
            WHEN (
              patch.period_start IS NOT NULL
              AND (
                current_row.stripe_subscription_id IS DISTINCT FROM patch.sub_id
                OR patch.period_start >= current_row.period_start
              )
            ) THEN patch.period_start
            ELSE current_row.period_start
          END + interval '1 millisecond',
          LEAST(
            CASE
              WHEN (
                patch.period_start IS NOT NULL
                AND (
                  current_row.stripe_subscription_id IS DISTINCT FROM patch.sub_id
                  OR patch.period_start >= current_row.period_start
                )
              ) THEN patch.period_end
              ELSE current_row.period_end
            END,
            patch.ended_at
          )
        )
        WHEN (
          patch.period_start IS NOT NULL
          AND (
            current_row.stripe_subscription_id IS DISTINCT FROM patch.sub_id
            OR patch.period_start >= current_row.period_start
          )
        ) THEN patch.period_end
        ELSE current_row.period_end
      END
    ) IS DISTINCT FROM current_row.period_end
    OR (patch.cancel_at_period_end) IS DISTINCT FROM current_row.cancel_at_period_end
    OR (patch.cancel_at) IS DISTINCT FROM current_row.cancel_at
    OR (patch.cancelled_at) IS DISTINCT FROM current_row.cancelled_at
    OR (patch.sub_id) IS DISTINCT FROM current_row.stripe_subscription_id
    OR (COALESCE(patch.customer_id, current_row.stripe_customer_id)) IS DISTINCT FROM current_row.stripe_customer_id
    OR (COALESCE(patch_tier.price_id, patch.price_id, current_row.stripe_price_id)) IS DISTINCT FROM current_row.stripe_price_id
    OR (
      current_row.has_payment_method
      OR patch.has_payment_method
    ) IS DISTINCT FROM current_row.has_payment_method
    OR (
      CASE
        WHEN COALESCE(patch.status, current_row.status) = 'past_due' THEN COALESCE(current_row.past_due_since, $23::timestamptz)
      END
    ) IS DISTINCT FROM current_row.past_due_since
    OR (
      CASE
        WHEN current_row.status = 'past_due'
        AND COALESCE(patch.status, current_row.status) <> 'past_due' THEN 0
        ELSE current_row.payment_retry_count
      END
    ) IS DISTINCT FROM current_row.payment_retry_count
    OR (
      CASE
        WHEN (
          patch.period_start IS NOT NULL
          AND (
            current_row.stripe_subscription_id IS DISTINCT FROM patch.sub_id
            OR patch.period_start >= current_row.period_start
          )
        )
        AND patch.period_start > current_row.period_start THEN 0
        ELSE current_row.orders_this_period
      END
    ) IS DISTINCT FROM current_row.orders_this_period
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
    $8::int[],
    $9::text[],
    $10::varchar[],
    $11::boolean[],
    $12::boolean[],
    $13::varchar[],
    $14::boolean[],
    $15::timestamptz[],
    $16::timestamptz[],
    $17::timestamptz[],
    $18::boolean[],
    $19::timestamptz[],
    $20::timestamptz[],
    $21::timestamptz[],
    $22::boolean[]
  ) WITH ORDINALITY AS patch (
    sub_id,
    at,
    is_event,
    read_started_at,
    customer_id,
    vendor_id,
    price_id,
    price_amount,
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
      stripe_watermark,
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
        vendor_id = patch.vendor_id
        OR stripe_subscription_id = patch.sub_id
        OR stripe_customer_id = patch.customer_id
      )
      AND NOT EXISTS (
        SELECT
          1
        FROM
          vendor_add_ons
        WHERE
          stripe_subscription_id = patch.sub_id
      )
    ORDER BY
      (vendor_id = patch.vendor_id) IS TRUE DESC,
      (stripe_subscription_id = patch.sub_id) IS TRUE DESC
    LIMIT
      1
  ) current_row ON true
  LEFT JOIN LATERAL (
    (
      SELECT
        tier_row.code,
        tier_row.stripe_price_annual_id IS NOT DISTINCT FROM item.price_id AS annual,
        item.price_id
      FROM
        unnest(string_to_array(patch.price_ids, ' ')) WITH ORDINALITY AS item (price_id, n)
        JOIN subscription_tiers tier_row ON tier_row.stripe_price_monthly_id = item.price_id
        OR tier_row.stripe_price_annual_id = item.price_id
      ORDER BY
        item.n,
        tier_row.is_active DESC,
        tier_row.id
      LIMIT
        1
    )
    UNION ALL
    (
      SELECT
        tier_row.code,
        patch.is_annual,
        patch.price_id
      FROM
        subscription_tiers tier_row
      WHERE
        tier_row.code = patch.tier_code
    )
    UNION ALL
    (
      SELECT
        patch.tier_code,
        patch.is_annual,
        patch.price_id
      WHERE
        patch.tier_code_is_default
    )
    LIMIT
      1
  ) patch_tier ON true
ORDER BY
  patch.i;

-- SubscriptionWriter.changeLocalTier
-- parameters:
--   $1 = vendor_id
--   $2 = tier_code
--   $3 = is_annual
--   $4 = DEFAULT_LIMITS_JSON
UPDATE vendor_subscriptions AS subscription
SET
  tier_code = $2,
  is_annual = $3,
  updated_at = now()
WHERE
  subscription.vendor_id = $1
  AND NOT EXISTS (
    SELECT
      1
    FROM
      (
        VALUES
          (
            1,
            'products',
            subscription.products_count,
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
            subscription.orders_this_period,
            (
              CASE
                WHEN subscription.stripe_subscription_id IS NOT NULL
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
            subscription.team_members_count,
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
  subscription.id;

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
