-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- LimitService.claimTeamSeat
-- parameters:
--   $1 = vendor_id
--   $2 = now
--   $3 = PAST_DUE_GRACE_DAYS
--   $4 = DEFAULT_LIMITS_JSON
WITH
  tier_row AS (
    SELECT
      subscription.tier_code,
      subscription.pending_tier_code,
      subscription.pending_tier_expires_at,
      LEAST(
        CASE
          WHEN tier.id IS NOT NULL THEN tier.team_members
          WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'team_members')::int
          ELSE 0
        END,
        CASE
          WHEN (
            subscription.pending_tier_code IS NOT NULL
            AND subscription.pending_tier_expires_at > $2::timestamptz
          ) THEN CASE
            WHEN pending_tier.id IS NOT NULL THEN pending_tier.team_members
            WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'team_members')::int
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
      team_members_count = subscription.team_members_count + 1
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
      AND COALESCE(subscription.team_members_count + 1 <= tier_row."limit", true)
    RETURNING
      subscription.vendor_id,
      subscription.team_members_count AS current,
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
        'team_members',
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
        'usage:' || (crossed.vendor_id) || ':' || ('team_members') || ':' || (crossed.threshold) || ':' || floor(
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
  )
SELECT
  current
FROM
  claimed;

-- LimitService.claimTeamSeat (variant: refused: why)
-- parameters:
--   $1 = vendor_id
--   $2 = now
--   $3 = PAST_DUE_GRACE_DAYS
--   $4 = DEFAULT_LIMITS_JSON
WITH
  tier_row AS (
    SELECT
      subscription.tier_code,
      subscription.pending_tier_code,
      subscription.pending_tier_expires_at,
      LEAST(
        CASE
          WHEN tier.id IS NOT NULL THEN tier.team_members
          WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'team_members')::int
          ELSE 0
        END,
        CASE
          WHEN (
            subscription.pending_tier_code IS NOT NULL
            AND subscription.pending_tier_expires_at > $2::timestamptz
          ) THEN CASE
            WHEN pending_tier.id IS NOT NULL THEN pending_tier.team_members
            WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'team_members')::int
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
  )
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
  subscription.team_members_count AS current,
  tier_row."limit",
  COALESCE(subscription.team_members_count + 1 <= tier_row."limit", true) AS has_room
FROM
  vendor_subscriptions AS subscription
  JOIN tier_row ON true
WHERE
  subscription.vendor_id = $1;

-- LimitService.releaseProductSlot
-- parameters:
--   $1 = vendor_id
UPDATE vendor_subscriptions
SET
  products_count = products_count - 1
WHERE
  vendor_id = $1
  AND products_count > 0;

-- LimitService.releaseTeamSeat
-- parameters:
--   $1 = vendor_id
UPDATE vendor_subscriptions
SET
  team_members_count = team_members_count - 1
WHERE
  vendor_id = $1
  AND team_members_count > 0;

-- LimitService.reservePendingTier
-- parameters:
--   $1 = vendor_id
--   $2 = tier_code
--   $3 = DEFAULT_LIMITS_JSON
--   $4 = until
UPDATE vendor_subscriptions AS subscription
SET
  pending_tier_code = $2,
  pending_tier_expires_at = $4
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
                  WHEN ($3::jsonb -> $2::varchar) IS NOT NULL THEN ($3::jsonb -> $2::varchar ->> 'products')::int
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
                      WHEN ($3::jsonb -> $2::varchar) IS NOT NULL THEN ($3::jsonb -> $2::varchar ->> 'orders')::int
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
                  WHEN ($3::jsonb -> $2::varchar) IS NOT NULL THEN ($3::jsonb -> $2::varchar ->> 'team_members')::int
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

-- tierViolations (usage-fits-tier.ts: a refused downgrade, an admin's tier assignment)
-- parameters:
--   $1 = vendor_id
--   $2 = tier_code
--   $3 = DEFAULT_LIMITS_JSON
SELECT
  usage.limit_type,
  usage.current,
  usage."limit"
FROM
  vendor_subscriptions AS subscription
  CROSS JOIN LATERAL (
    VALUES
      (
        1,
        'products',
        subscription.products_count,
        (
          SELECT
            CASE
              WHEN tier_row.id IS NOT NULL THEN tier_row.products_limit
              WHEN ($3::jsonb -> $2::varchar) IS NOT NULL THEN ($3::jsonb -> $2::varchar ->> 'products')::int
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
                  WHEN ($3::jsonb -> $2::varchar) IS NOT NULL THEN ($3::jsonb -> $2::varchar ->> 'orders')::int
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
              WHEN ($3::jsonb -> $2::varchar) IS NOT NULL THEN ($3::jsonb -> $2::varchar ->> 'team_members')::int
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
  subscription.vendor_id = $1
  AND NOT COALESCE(usage.current <= usage."limit", true)
ORDER BY
  usage.ord;
