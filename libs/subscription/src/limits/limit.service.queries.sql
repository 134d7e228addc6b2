-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- LimitService.claimTeamSeat
-- parameters:
--   $1 = vendor_id
--   $2 = now
--   $3 = PAST_DUE_GRACE_DAYS
--   $4 = DEFAULT_LIMITS_JSON
WITH
  claimed AS (
    UPDATE vendor_subscriptions s
    SET
      team_members_count = s.team_members_count + 1
    WHERE
      s.vendor_id = $1
      AND (
        s.status IN ('trial', 'active')
        OR (
          s.status = 'past_due'
          AND (
            s.past_due_since IS NULL
            OR s.past_due_since > $2::timestamptz - make_interval(days => $3::int)
          )
        )
        OR (
          s.status = 'cancelled'
          AND s.period_end > $2::timestamptz
        )
      )
      AND COALESCE(
        s.team_members_count + 1 <= LEAST(
          (
            SELECT
              CASE
                WHEN tier_row.id IS NOT NULL THEN tier_row.team_members
                WHEN ($4::jsonb -> s.tier_code) IS NOT NULL THEN ($4::jsonb -> s.tier_code ->> 'team_members')::int
                ELSE 0
              END
            FROM
              (
                SELECT
                  1
              ) AS one
              LEFT JOIN subscription_tiers tier_row ON tier_row.code = s.tier_code
          ),
          CASE
            WHEN s.pending_tier_code IS NOT NULL
            AND s.pending_tier_expires_at > $2::timestamptz THEN (
              SELECT
                CASE
                  WHEN tier_row.id IS NOT NULL THEN tier_row.team_members
                  WHEN ($4::jsonb -> s.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> s.pending_tier_code ->> 'team_members')::int
                  ELSE 0
                END
              FROM
                (
                  SELECT
                    1
                ) AS one
                LEFT JOIN subscription_tiers tier_row ON tier_row.code = s.pending_tier_code
            )
          END
        ),
        true
      )
    RETURNING
      s.vendor_id,
      s.team_members_count AS current,
      LEAST(
        (
          SELECT
            CASE
              WHEN tier_row.id IS NOT NULL THEN tier_row.team_members
              WHEN ($4::jsonb -> s.tier_code) IS NOT NULL THEN ($4::jsonb -> s.tier_code ->> 'team_members')::int
              ELSE 0
            END
          FROM
            (
              SELECT
                1
            ) AS one
            LEFT JOIN subscription_tiers tier_row ON tier_row.code = s.tier_code
        ),
        CASE
          WHEN s.pending_tier_code IS NOT NULL
          AND s.pending_tier_expires_at > $2::timestamptz THEN (
            SELECT
              CASE
                WHEN tier_row.id IS NOT NULL THEN tier_row.team_members
                WHEN ($4::jsonb -> s.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> s.pending_tier_code ->> 'team_members')::int
                ELSE 0
              END
            FROM
              (
                SELECT
                  1
              ) AS one
              LEFT JOIN subscription_tiers tier_row ON tier_row.code = s.pending_tier_code
          )
        END
      ) AS "limit",
      s.period_start
  ),
  threshold_events AS (
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
SELECT
  s.tier_code,
  s.status,
  (
    s.status IN ('trial', 'active')
    OR (
      s.status = 'past_due'
      AND (
        s.past_due_since IS NULL
        OR s.past_due_since > $2::timestamptz - make_interval(days => $3::int)
      )
    )
    OR (
      s.status = 'cancelled'
      AND s.period_end > $2::timestamptz
    )
  ) AS may_create,
  s.team_members_count AS current,
  LEAST(
    (
      SELECT
        CASE
          WHEN tier_row.id IS NOT NULL THEN tier_row.team_members
          WHEN ($4::jsonb -> s.tier_code) IS NOT NULL THEN ($4::jsonb -> s.tier_code ->> 'team_members')::int
          ELSE 0
        END
      FROM
        (
          SELECT
            1
        ) AS one
        LEFT JOIN subscription_tiers tier_row ON tier_row.code = s.tier_code
    ),
    CASE
      WHEN s.pending_tier_code IS NOT NULL
      AND s.pending_tier_expires_at > $2::timestamptz THEN (
        SELECT
          CASE
            WHEN tier_row.id IS NOT NULL THEN tier_row.team_members
            WHEN ($4::jsonb -> s.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> s.pending_tier_code ->> 'team_members')::int
            ELSE 0
          END
        FROM
          (
            SELECT
              1
          ) AS one
          LEFT JOIN subscription_tiers tier_row ON tier_row.code = s.pending_tier_code
      )
    END
  ) AS "limit",
  COALESCE(
    s.team_members_count + 1 <= LEAST(
      (
        SELECT
          CASE
            WHEN tier_row.id IS NOT NULL THEN tier_row.team_members
            WHEN ($4::jsonb -> s.tier_code) IS NOT NULL THEN ($4::jsonb -> s.tier_code ->> 'team_members')::int
            ELSE 0
          END
        FROM
          (
            SELECT
              1
          ) AS one
          LEFT JOIN subscription_tiers tier_row ON tier_row.code = s.tier_code
      ),
      CASE
        WHEN s.pending_tier_code IS NOT NULL
        AND s.pending_tier_expires_at > $2::timestamptz THEN (
          SELECT
            CASE
              WHEN tier_row.id IS NOT NULL THEN tier_row.team_members
              WHEN ($4::jsonb -> s.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> s.pending_tier_code ->> 'team_members')::int
              ELSE 0
            END
          FROM
            (
              SELECT
                1
            ) AS one
            LEFT JOIN subscription_tiers tier_row ON tier_row.code = s.pending_tier_code
        )
      END
    ),
    true
  ) AS has_room
FROM
  vendor_subscriptions s
WHERE
  s.vendor_id = $1;

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
UPDATE vendor_subscriptions s
SET
  pending_tier_code = $2,
  pending_tier_expires_at = $4
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
            s.team_members_count,
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
  s.id;

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
  vendor_subscriptions s
  CROSS JOIN LATERAL (
    VALUES
      (
        1,
        'products',
        s.products_count,
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
        s.team_members_count,
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
  s.vendor_id = $1
  AND NOT COALESCE(usage.current <= usage."limit", true)
ORDER BY
  usage.ord;
