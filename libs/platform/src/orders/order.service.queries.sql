-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- OrderService.create (variant: LimitService.claimAndInsert)
-- parameters:
--   $1 = vendor_id
--   $2 = now
--   $3 = PAST_DUE_GRACE_DAYS
--   $4 = DEFAULT_LIMITS_JSON
--   $5::int = total_cents
--   $6::varchar = customer_email
--   $7::timestamptz = now
WITH
  tier_row AS (
    SELECT
      subscription.tier_code,
      subscription.pending_tier_code,
      subscription.pending_tier_expires_at,
      LEAST(
        CASE
          WHEN tier.id IS NOT NULL THEN tier.orders_per_month
          WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'orders')::int
          ELSE 0
        END,
        CASE
          WHEN (
            subscription.pending_tier_code IS NOT NULL
            AND subscription.pending_tier_expires_at > $2::timestamptz
          ) THEN CASE
            WHEN pending_tier.id IS NOT NULL THEN pending_tier.orders_per_month
            WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'orders')::int
            ELSE 0
          END
        END
      ) AS "limit",
      CASE
        WHEN (
          subscription.pending_tier_code IS NOT NULL
          AND subscription.pending_tier_expires_at > $2::timestamptz
        ) THEN NULL
        ELSE tier.orders_overage_price_cents
      END AS overage_price_cents,
      COALESCE(tier.price_monthly_cents, 0)::bigint AS default_cap_cents,
      tier.stripe_overage_price_id AS metered_price_id
    FROM
      vendor_subscriptions AS subscription
      LEFT JOIN subscription_tiers AS tier ON tier.code = subscription.tier_code
      LEFT JOIN subscription_tiers AS pending_tier ON pending_tier.code = subscription.pending_tier_code
    WHERE
      subscription.vendor_id = $1
  ),
  claimed AS (
    UPDATE vendor_subscriptions AS subscription
    SET
      orders_this_period = subscription.orders_this_period + 1,
      overage_orders = CASE
        WHEN COALESCE(subscription.orders_this_period + 1 <= tier_row."limit", true) THEN subscription.overage_orders
        ELSE (
          CASE
            WHEN subscription.overage_period_start >= subscription.period_start THEN subscription.overage_orders
            ELSE 0
          END
        ) + 1
      END,
      overage_amount_cents = CASE
        WHEN COALESCE(subscription.orders_this_period + 1 <= tier_row."limit", true) THEN subscription.overage_amount_cents
        ELSE (
          CASE
            WHEN subscription.overage_period_start >= subscription.period_start THEN subscription.overage_amount_cents
            ELSE 0
          END
        ) + (
          CASE
            WHEN subscription.stripe_subscription_id IS NULL
            OR subscription.is_annual
            OR (tier_row.metered_price_id = ANY (subscription.stripe_item_price_ids)) IS NOT TRUE THEN NULL
            ELSE tier_row.overage_price_cents
          END
        )
      END,
      overage_period_start = CASE
        WHEN COALESCE(subscription.orders_this_period + 1 <= tier_row."limit", true) THEN subscription.overage_period_start
        ELSE subscription.period_start
      END
    FROM
      tier_row
    WHERE
      subscription.vendor_id = $1
      AND subscription.tier_code = tier_row.tier_code
      AND subscription.pending_tier_code IS NOT DISTINCT FROM tier_row.pending_tier_code
      AND subscription.pending_tier_expires_at IS NOT DISTINCT FROM tier_row.pending_tier_expires_at
      AND (
        subscription.status IN ('trial', 'active')
        OR (
          subscription.status = 'past_due'
          AND (
            subscription.past_due_since IS NULL
            OR subscription.past_due_since > $2::timestamptz - make_interval(days => $3::int)
          )
        )
        OR (
          subscription.status = 'cancelled'
          AND subscription.period_end > $2::timestamptz
        )
      )
      AND (
        COALESCE(subscription.orders_this_period + 1 <= tier_row."limit", true)
        OR (
          (
            CASE
              WHEN subscription.stripe_subscription_id IS NULL
              OR subscription.is_annual
              OR (tier_row.metered_price_id = ANY (subscription.stripe_item_price_ids)) IS NOT TRUE THEN NULL
              ELSE tier_row.overage_price_cents
            END
          ) IS NOT NULL
          AND (
            (
              CASE subscription.overage_cap_mode
                WHEN 'none' THEN NULL
                WHEN 'custom' THEN subscription.overage_cap_cents
                ELSE tier_row.default_cap_cents
              END
            ) IS NULL
            OR (
              CASE
                WHEN subscription.overage_period_start >= subscription.period_start THEN subscription.overage_amount_cents
                ELSE 0
              END
            ) + (
              CASE
                WHEN subscription.stripe_subscription_id IS NULL
                OR subscription.is_annual
                OR (tier_row.metered_price_id = ANY (subscription.stripe_item_price_ids)) IS NOT TRUE THEN NULL
                ELSE tier_row.overage_price_cents
              END
            ) <= (
              CASE subscription.overage_cap_mode
                WHEN 'none' THEN NULL
                WHEN 'custom' THEN subscription.overage_cap_cents
                ELSE tier_row.default_cap_cents
              END
            )
          )
        )
      )
    RETURNING
      subscription.vendor_id,
      subscription.orders_this_period AS current,
      tier_row."limit",
      subscription.period_start,
      NOT COALESCE(subscription.orders_this_period <= tier_row."limit", true) AS overage,
      CASE
        WHEN NOT COALESCE(subscription.orders_this_period <= tier_row."limit", true) THEN (
          CASE
            WHEN subscription.stripe_subscription_id IS NULL
            OR subscription.is_annual
            OR (tier_row.metered_price_id = ANY (subscription.stripe_item_price_ids)) IS NOT TRUE THEN NULL
            ELSE tier_row.overage_price_cents
          END
        )
      END AS overage_price_cents,
      subscription.overage_orders,
      subscription.overage_cap_mode,
      subscription.overage_cap_cents,
      tier_row.default_cap_cents
  ),
  usage_events AS (
    INSERT INTO
      platform_events (type, vendor_id, data, dedupe_key)
    SELECT
      'usage.threshold_reached',
      crossed.vendor_id,
      jsonb_build_object(
        'meter',
        'orders',
        'threshold',
        crossed.threshold,
        'current',
        crossed.current,
        'limit',
        crossed."limit",
        'period_start',
        to_char((crossed.period_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      ),
      (
        'usage:' || (crossed.vendor_id) || ':' || ('orders') || ':' || (crossed.threshold) || ':' || floor(
          extract(
            epoch
            FROM
              (crossed.period_start)
          ) * 1000000
        )::bigint
      )
    FROM
      (
        SELECT
          claim.vendor_id,
          claim.current,
          claim."limit",
          claim.period_start,
          threshold_level.threshold
        FROM
          claimed AS claim
          CROSS JOIN (
            VALUES
              (80),
              (100)
          ) AS threshold_level (threshold)
        WHERE
          claim."limit" > 0
          AND claim.current = CASE threshold_level.threshold
            WHEN 100 THEN claim."limit"
            ELSE ceil(claim."limit" * 0.8)::int
          END
      ) AS crossed
    UNION ALL
    SELECT
      'usage.overage_started',
      claimed.vendor_id,
      jsonb_build_object(
        'meter',
        'orders',
        'limit',
        claimed."limit",
        'price_per_unit_cents',
        claimed.overage_price_cents,
        'cap_cents',
        (
          CASE claimed.overage_cap_mode
            WHEN 'none' THEN NULL
            WHEN 'custom' THEN claimed.overage_cap_cents
            ELSE claimed.default_cap_cents
          END
        ),
        'period_start',
        to_char((claimed.period_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      ),
      (
        'overage:' || (claimed.vendor_id) || ':orders:' || floor(
          extract(
            epoch
            FROM
              (claimed.period_start)
          ) * 1000000
        )::bigint
      )
    FROM
      claimed
    WHERE
      claimed.overage
      AND claimed.overage_orders = 1
    ON CONFLICT (dedupe_key)
    WHERE
      dedupe_key IS NOT NULL DO NOTHING
    RETURNING
      id
  ),
  inserted AS (
    INSERT INTO
      orders (vendor_id, total_cents, customer_email, created_at, overage)
    SELECT
      vendor_id,
      $5::int,
      $6::varchar,
      $7::timestamptz,
      overage
    FROM
      claimed
    RETURNING
      id,
      total_cents,
      currency,
      customer_email,
      created_at,
      overage
  ),
  meter_events AS (
    INSERT INTO
      stripe_meter_events (order_id, vendor_id, identifier, value, amount_cents, occurred_at)
    SELECT
      i.id,
      c.vendor_id,
      ('order-overage-' || (i.id)),
      1,
      c.overage_price_cents,
      i.created_at
    FROM
      inserted i
      CROSS JOIN claimed c
    WHERE
      c.overage
    RETURNING
      id
  ),
  refusal AS (
    SELECT
      subscription.tier_code,
      subscription.status,
      (
        subscription.status IN ('trial', 'active')
        OR (
          subscription.status = 'past_due'
          AND (
            subscription.past_due_since IS NULL
            OR subscription.past_due_since > $2::timestamptz - make_interval(days => $3::int)
          )
        )
        OR (
          subscription.status = 'cancelled'
          AND subscription.period_end > $2::timestamptz
        )
      ) AS may_create,
      subscription.orders_this_period AS current,
      tier_row."limit",
      (
        COALESCE(subscription.orders_this_period + 1 <= tier_row."limit", true)
        OR (
          (
            CASE
              WHEN subscription.stripe_subscription_id IS NULL
              OR subscription.is_annual
              OR (tier_row.metered_price_id = ANY (subscription.stripe_item_price_ids)) IS NOT TRUE THEN NULL
              ELSE tier_row.overage_price_cents
            END
          ) IS NOT NULL
          AND (
            (
              CASE subscription.overage_cap_mode
                WHEN 'none' THEN NULL
                WHEN 'custom' THEN subscription.overage_cap_cents
                ELSE tier_row.default_cap_cents
              END
            ) IS NULL
            OR (
              CASE
                WHEN subscription.overage_period_start >= subscription.period_start THEN subscription.overage_amount_cents
                ELSE 0
              END
            ) + (
              CASE
                WHEN subscription.stripe_subscription_id IS NULL
                OR subscription.is_annual
                OR (tier_row.metered_price_id = ANY (subscription.stripe_item_price_ids)) IS NOT TRUE THEN NULL
                ELSE tier_row.overage_price_cents
              END
            ) <= (
              CASE subscription.overage_cap_mode
                WHEN 'none' THEN NULL
                WHEN 'custom' THEN subscription.overage_cap_cents
                ELSE tier_row.default_cap_cents
              END
            )
          )
        )
      ) AS has_room,
      (
        NOT COALESCE(subscription.orders_this_period + 1 <= tier_row."limit", true)
        AND (
          CASE
            WHEN subscription.stripe_subscription_id IS NULL
            OR subscription.is_annual
            OR (tier_row.metered_price_id = ANY (subscription.stripe_item_price_ids)) IS NOT TRUE THEN NULL
            ELSE tier_row.overage_price_cents
          END
        ) IS NOT NULL
      ) AS overage_cap_reached
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor_subscriptions AS subscription ON subscription.vendor_id = $1
      LEFT JOIN tier_row ON true
    WHERE
      NOT EXISTS (
        SELECT
          1
        FROM
          claimed
      )
  )
SELECT
  (
    SELECT
      row_to_json(refusal)
    FROM
      refusal
  ) AS refusal,
  inserted.*
FROM
  (
    SELECT
      1
  ) AS one
  LEFT JOIN inserted ON true;
