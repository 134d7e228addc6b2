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
      orders_this_period = s.orders_this_period + 1,
      (overage_orders, overage_amount_cents, overage_period_start) = (
        SELECT
          CASE
            WHEN w.within THEN s.overage_orders
            ELSE (
              CASE
                WHEN s.overage_period_start >= s.period_start THEN s.overage_orders
                ELSE 0
              END
            ) + 1
          END,
          CASE
            WHEN w.within THEN s.overage_amount_cents
            ELSE (
              CASE
                WHEN s.overage_period_start >= s.period_start THEN s.overage_amount_cents
                ELSE 0
              END
            ) + (
              CASE
                WHEN s.stripe_subscription_id IS NULL THEN NULL
                WHEN s.pending_tier_code IS NOT NULL
                AND s.pending_tier_expires_at > $2::timestamptz
                AND (
                  SELECT
                    t.orders_overage_price_cents
                  FROM
                    subscription_tiers t
                  WHERE
                    t.code = s.pending_tier_code
                ) IS NULL THEN NULL
                ELSE (
                  SELECT
                    t.orders_overage_price_cents
                  FROM
                    subscription_tiers t
                  WHERE
                    t.code = s.tier_code
                )
              END
            )
          END,
          CASE
            WHEN w.within THEN s.overage_period_start
            ELSE s.period_start
          END
        FROM
          (
            SELECT
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
              ) AS within
          ) AS w
      )
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
      AND (
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
        )
        OR (
          SELECT
            o.price IS NOT NULL
            AND (
              o.cap IS NULL
              OR (
                CASE
                  WHEN s.overage_period_start >= s.period_start THEN s.overage_amount_cents
                  ELSE 0
                END
              ) + o.price <= o.cap
            )
          FROM
            (
              SELECT
                (
                  CASE
                    WHEN s.stripe_subscription_id IS NULL THEN NULL
                    WHEN s.pending_tier_code IS NOT NULL
                    AND s.pending_tier_expires_at > $2::timestamptz
                    AND (
                      SELECT
                        t.orders_overage_price_cents
                      FROM
                        subscription_tiers t
                      WHERE
                        t.code = s.pending_tier_code
                    ) IS NULL THEN NULL
                    ELSE (
                      SELECT
                        t.orders_overage_price_cents
                      FROM
                        subscription_tiers t
                      WHERE
                        t.code = s.tier_code
                    )
                  END
                ) AS price,
                (
                  CASE s.overage_cap_mode
                    WHEN 'none' THEN NULL
                    WHEN 'custom' THEN s.overage_cap_cents
                    ELSE COALESCE(
                      (
                        SELECT
                          t.price_monthly_cents
                        FROM
                          subscription_tiers t
                        WHERE
                          t.code = s.tier_code
                      ),
                      0
                    )::bigint
                  END
                ) AS cap
            ) AS o
        )
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
      s.period_start,
      s.tier_code,
      s.pending_tier_code,
      s.pending_tier_expires_at,
      s.stripe_subscription_id,
      s.overage_cap_mode,
      s.overage_cap_cents,
      s.overage_orders,
      s.overage_amount_cents,
      s.overage_period_start
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
  overage_started AS (
    INSERT INTO
      platform_events (type, vendor_id, data, dedupe_key)
    SELECT
      'usage.overage_started',
      claimed.vendor_id,
      jsonb_build_object(
        'meter',
        'orders',
        'limit',
        claimed."limit",
        'price_per_unit_cents',
        (
          CASE
            WHEN claimed.stripe_subscription_id IS NULL THEN NULL
            WHEN claimed.pending_tier_code IS NOT NULL
            AND claimed.pending_tier_expires_at > $2::timestamptz
            AND (
              SELECT
                t.orders_overage_price_cents
              FROM
                subscription_tiers t
              WHERE
                t.code = claimed.pending_tier_code
            ) IS NULL THEN NULL
            ELSE (
              SELECT
                t.orders_overage_price_cents
              FROM
                subscription_tiers t
              WHERE
                t.code = claimed.tier_code
            )
          END
        ),
        'cap_cents',
        (
          CASE claimed.overage_cap_mode
            WHEN 'none' THEN NULL
            WHEN 'custom' THEN claimed.overage_cap_cents
            ELSE COALESCE(
              (
                SELECT
                  t.price_monthly_cents
                FROM
                  subscription_tiers t
                WHERE
                  t.code = claimed.tier_code
              ),
              0
            )::bigint
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
      NOT COALESCE(claimed.current <= claimed."limit", true)
      AND claimed.overage_orders = 1
    ON CONFLICT (dedupe_key)
    WHERE
      dedupe_key IS NOT NULL DO NOTHING
    RETURNING
      id
  ),
  order_claim AS (
    SELECT
      c.vendor_id,
      NOT COALESCE(c.current <= c."limit", true) AS overage,
      CASE
        WHEN NOT COALESCE(c.current <= c."limit", true) THEN (
          CASE
            WHEN c.stripe_subscription_id IS NULL THEN NULL
            WHEN c.pending_tier_code IS NOT NULL
            AND c.pending_tier_expires_at > $2::timestamptz
            AND (
              SELECT
                t.orders_overage_price_cents
              FROM
                subscription_tiers t
              WHERE
                t.code = c.pending_tier_code
            ) IS NULL THEN NULL
            ELSE (
              SELECT
                t.orders_overage_price_cents
              FROM
                subscription_tiers t
              WHERE
                t.code = c.tier_code
            )
          END
        )
      END AS overage_price_cents
    FROM
      claimed c
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
      order_claim
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
      CROSS JOIN order_claim c
    WHERE
      c.overage
    RETURNING
      id
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
      (
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
        )
        OR (
          SELECT
            o.price IS NOT NULL
            AND (
              o.cap IS NULL
              OR (
                CASE
                  WHEN s.overage_period_start >= s.period_start THEN s.overage_amount_cents
                  ELSE 0
                END
              ) + o.price <= o.cap
            )
          FROM
            (
              SELECT
                (
                  CASE
                    WHEN s.stripe_subscription_id IS NULL THEN NULL
                    WHEN s.pending_tier_code IS NOT NULL
                    AND s.pending_tier_expires_at > $2::timestamptz
                    AND (
                      SELECT
                        t.orders_overage_price_cents
                      FROM
                        subscription_tiers t
                      WHERE
                        t.code = s.pending_tier_code
                    ) IS NULL THEN NULL
                    ELSE (
                      SELECT
                        t.orders_overage_price_cents
                      FROM
                        subscription_tiers t
                      WHERE
                        t.code = s.tier_code
                    )
                  END
                ) AS price,
                (
                  CASE s.overage_cap_mode
                    WHEN 'none' THEN NULL
                    WHEN 'custom' THEN s.overage_cap_cents
                    ELSE COALESCE(
                      (
                        SELECT
                          t.price_monthly_cents
                        FROM
                          subscription_tiers t
                        WHERE
                          t.code = s.tier_code
                      ),
                      0
                    )::bigint
                  END
                ) AS cap
            ) AS o
        )
      ) AS has_room,
      (
        NOT COALESCE(
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
        AND (
          CASE
            WHEN s.stripe_subscription_id IS NULL THEN NULL
            WHEN s.pending_tier_code IS NOT NULL
            AND s.pending_tier_expires_at > $2::timestamptz
            AND (
              SELECT
                t.orders_overage_price_cents
              FROM
                subscription_tiers t
              WHERE
                t.code = s.pending_tier_code
            ) IS NULL THEN NULL
            ELSE (
              SELECT
                t.orders_overage_price_cents
              FROM
                subscription_tiers t
              WHERE
                t.code = s.tier_code
            )
          END
        ) IS NOT NULL
      ) AS overage_cap_reached
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
