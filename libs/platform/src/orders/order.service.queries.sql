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
  claimed AS (
    UPDATE vendor_subscriptions s
    SET
      orders_this_period = s.orders_this_period + 1
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
        s.orders_this_period + 1 <= LEAST(
          (
            SELECT
              CASE
                WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                WHEN ($4::jsonb -> s.tier_code) IS NOT NULL THEN ($4::jsonb -> s.tier_code ->> 'orders')::int
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
                  WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                  WHEN ($4::jsonb -> s.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> s.pending_tier_code ->> 'orders')::int
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
      s.orders_this_period AS current,
      LEAST(
        (
          SELECT
            CASE
              WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
              WHEN ($4::jsonb -> s.tier_code) IS NOT NULL THEN ($4::jsonb -> s.tier_code ->> 'orders')::int
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
                WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                WHEN ($4::jsonb -> s.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> s.pending_tier_code ->> 'orders')::int
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
          c.vendor_id,
          c.current,
          c."limit",
          c.period_start,
          x.threshold
        FROM
          claimed c
          CROSS JOIN (
            VALUES
              (80),
              (100)
          ) AS x (threshold)
        WHERE
          c."limit" > 0
          AND c.current = CASE x.threshold
            WHEN 100 THEN c."limit"
            ELSE ceil(c."limit" * 0.8)::int
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
      orders (vendor_id, total_cents, customer_email, created_at)
    SELECT
      vendor_id,
      $5::int,
      $6::varchar,
      $7::timestamptz
    FROM
      claimed
    RETURNING
      id,
      total_cents,
      currency,
      customer_email,
      created_at
  ),
  refusal AS (
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
      s.orders_this_period AS current,
      LEAST(
        (
          SELECT
            CASE
              WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
              WHEN ($4::jsonb -> s.tier_code) IS NOT NULL THEN ($4::jsonb -> s.tier_code ->> 'orders')::int
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
                WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                WHEN ($4::jsonb -> s.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> s.pending_tier_code ->> 'orders')::int
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
        s.orders_this_period + 1 <= LEAST(
          (
            SELECT
              CASE
                WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                WHEN ($4::jsonb -> s.tier_code) IS NOT NULL THEN ($4::jsonb -> s.tier_code ->> 'orders')::int
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
                  WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                  WHEN ($4::jsonb -> s.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> s.pending_tier_code ->> 'orders')::int
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
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor_subscriptions s ON s.vendor_id = $1
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
