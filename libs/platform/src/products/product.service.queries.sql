-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- ProductService.create (variant: LimitService.claimAndInsert)
-- parameters:
--   $1 = vendor_id
--   $2 = now
--   $3 = PAST_DUE_GRACE_DAYS
--   $4 = DEFAULT_LIMITS_JSON
--   $5::varchar = name
--   $6::varchar = sku
--   $7::int = price_cents
--   $8::timestamptz = now
WITH
  tier_row AS (
    SELECT
      subscription.tier_code,
      subscription.pending_tier_code,
      subscription.pending_tier_expires_at,
      LEAST(
        CASE
          WHEN tier.id IS NOT NULL THEN tier.products_limit
          WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'products')::int
          ELSE 0
        END,
        CASE
          WHEN (
            subscription.pending_tier_code IS NOT NULL
            AND subscription.pending_tier_expires_at > $2::timestamptz
          ) THEN CASE
            WHEN pending_tier.id IS NOT NULL THEN pending_tier.products_limit
            WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'products')::int
            ELSE 0
          END
        END
      ) AS "limit"
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
      products_count = subscription.products_count + 1
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
      AND COALESCE(subscription.products_count + 1 <= tier_row."limit", true)
    RETURNING
      subscription.vendor_id,
      subscription.products_count AS current,
      tier_row."limit",
      subscription.period_start
  ),
  usage_events AS (
    INSERT INTO
      platform_events (type, vendor_id, data, dedupe_key)
    SELECT
      'usage.threshold_reached',
      crossed.vendor_id,
      jsonb_build_object(
        'meter',
        'products',
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
        'usage:' || (crossed.vendor_id) || ':' || ('products') || ':' || (crossed.threshold) || ':' || floor(
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
    ON CONFLICT (dedupe_key)
    WHERE
      dedupe_key IS NOT NULL DO NOTHING
    RETURNING
      id
  ),
  inserted AS (
    INSERT INTO
      products (vendor_id, name, sku, price_cents, created_at)
    SELECT
      vendor_id,
      $5::varchar,
      $6::varchar,
      $7::int,
      $8::timestamptz
    FROM
      claimed
    RETURNING
      id,
      name,
      sku,
      price_cents,
      created_at
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
      subscription.products_count AS current,
      tier_row."limit",
      COALESCE(subscription.products_count + 1 <= tier_row."limit", true) AS has_room
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
