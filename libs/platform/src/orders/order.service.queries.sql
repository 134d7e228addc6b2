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
    UPDATE vendor_subscriptions AS subscription
    SET
      orders_this_period = subscription.orders_this_period + 1,
      (overage_orders, overage_amount_cents, overage_period_start) = (
        SELECT
          CASE
            WHEN w.within THEN subscription.overage_orders
            ELSE (
              CASE
                WHEN subscription.overage_period_start >= subscription.period_start THEN subscription.overage_orders
                ELSE 0
              END
            ) + 1
          END,
          CASE
            WHEN w.within THEN subscription.overage_amount_cents
            ELSE (
              CASE
                WHEN subscription.overage_period_start >= subscription.period_start THEN subscription.overage_amount_cents
                ELSE 0
              END
            ) + (
              CASE
                WHEN subscription.stripe_subscription_id IS NULL
                OR subscription.is_annual THEN NULL
                WHEN subscription.pending_tier_code IS NOT NULL
                AND subscription.pending_tier_expires_at > $2::timestamptz THEN NULL
                ELSE (
                  SELECT
                    t.orders_overage_price_cents
                  FROM
                    subscription_tiers t
                  WHERE
                    t.code = subscription.tier_code
                )
              END
            )
          END,
          CASE
            WHEN w.within THEN subscription.overage_period_start
            ELSE subscription.period_start
          END
        FROM
          (
            SELECT
              COALESCE(
                subscription.orders_this_period + 1 <= LEAST(
                  (
                    SELECT
                      CASE
                        WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                        WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'orders')::int
                        ELSE 0
                      END
                    FROM
                      (
                        SELECT
                          1
                      ) AS one
                      LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.tier_code
                  ),
                  CASE
                    WHEN subscription.pending_tier_code IS NOT NULL
                    AND subscription.pending_tier_expires_at > $2::timestamptz THEN (
                      SELECT
                        CASE
                          WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                          WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'orders')::int
                          ELSE 0
                        END
                      FROM
                        (
                          SELECT
                            1
                        ) AS one
                        LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.pending_tier_code
                    )
                  END
                ),
                true
              ) AS within
          ) AS w
      )
    WHERE
      subscription.vendor_id = $1
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
        COALESCE(
          subscription.orders_this_period + 1 <= LEAST(
            (
              SELECT
                CASE
                  WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                  WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'orders')::int
                  ELSE 0
                END
              FROM
                (
                  SELECT
                    1
                ) AS one
                LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.tier_code
            ),
            CASE
              WHEN subscription.pending_tier_code IS NOT NULL
              AND subscription.pending_tier_expires_at > $2::timestamptz THEN (
                SELECT
                  CASE
                    WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                    WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'orders')::int
                    ELSE 0
                  END
                FROM
                  (
                    SELECT
                      1
                  ) AS one
                  LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.pending_tier_code
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
                  WHEN subscription.overage_period_start >= subscription.period_start THEN subscription.overage_amount_cents
                  ELSE 0
                END
              ) + o.price <= o.cap
            )
          FROM
            (
              SELECT
                (
                  CASE
                    WHEN subscription.stripe_subscription_id IS NULL
                    OR subscription.is_annual THEN NULL
                    WHEN subscription.pending_tier_code IS NOT NULL
                    AND subscription.pending_tier_expires_at > $2::timestamptz THEN NULL
                    ELSE (
                      SELECT
                        t.orders_overage_price_cents
                      FROM
                        subscription_tiers t
                      WHERE
                        t.code = subscription.tier_code
                    )
                  END
                ) AS price,
                (
                  CASE subscription.overage_cap_mode
                    WHEN 'none' THEN NULL
                    WHEN 'custom' THEN subscription.overage_cap_cents
                    ELSE COALESCE(
                      (
                        SELECT
                          t.price_monthly_cents
                        FROM
                          subscription_tiers t
                        WHERE
                          t.code = subscription.tier_code
                      ),
                      0
                    )::bigint
                  END
                ) AS cap
            ) AS o
        )
      )
    RETURNING
      subscription.vendor_id,
      subscription.orders_this_period AS current,
      LEAST(
        (
          SELECT
            CASE
              WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
              WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'orders')::int
              ELSE 0
            END
          FROM
            (
              SELECT
                1
            ) AS one
            LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.tier_code
        ),
        CASE
          WHEN subscription.pending_tier_code IS NOT NULL
          AND subscription.pending_tier_expires_at > $2::timestamptz THEN (
            SELECT
              CASE
                WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'orders')::int
                ELSE 0
              END
            FROM
              (
                SELECT
                  1
              ) AS one
              LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.pending_tier_code
          )
        END
      ) AS "limit",
      subscription.period_start,
      subscription.tier_code,
      subscription.pending_tier_code,
      subscription.pending_tier_expires_at,
      subscription.stripe_subscription_id,
      subscription.is_annual,
      subscription.overage_cap_mode,
      subscription.overage_cap_cents,
      subscription.overage_orders,
      subscription.overage_amount_cents,
      subscription.overage_period_start
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
            WHEN claimed.stripe_subscription_id IS NULL
            OR claimed.is_annual THEN NULL
            WHEN claimed.pending_tier_code IS NOT NULL
            AND claimed.pending_tier_expires_at > $2::timestamptz THEN NULL
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
      claimed.vendor_id,
      NOT COALESCE(claimed.current <= claimed."limit", true) AS overage,
      CASE
        WHEN NOT COALESCE(claimed.current <= claimed."limit", true) THEN (
          CASE
            WHEN claimed.stripe_subscription_id IS NULL
            OR claimed.is_annual THEN NULL
            WHEN claimed.pending_tier_code IS NOT NULL
            AND claimed.pending_tier_expires_at > $2::timestamptz THEN NULL
            ELSE (
              SELECT
                t.orders_overage_price_cents
              FROM
                subscription_tiers t
              WHERE
                t.code = claimed.tier_code
            )
          END
        )
      END AS overage_price_cents
    FROM
      claimed
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
      LEAST(
        (
          SELECT
            CASE
              WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
              WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'orders')::int
              ELSE 0
            END
          FROM
            (
              SELECT
                1
            ) AS one
            LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.tier_code
        ),
        CASE
          WHEN subscription.pending_tier_code IS NOT NULL
          AND subscription.pending_tier_expires_at > $2::timestamptz THEN (
            SELECT
              CASE
                WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'orders')::int
                ELSE 0
              END
            FROM
              (
                SELECT
                  1
              ) AS one
              LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.pending_tier_code
          )
        END
      ) AS "limit",
      (
        COALESCE(
          subscription.orders_this_period + 1 <= LEAST(
            (
              SELECT
                CASE
                  WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                  WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'orders')::int
                  ELSE 0
                END
              FROM
                (
                  SELECT
                    1
                ) AS one
                LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.tier_code
            ),
            CASE
              WHEN subscription.pending_tier_code IS NOT NULL
              AND subscription.pending_tier_expires_at > $2::timestamptz THEN (
                SELECT
                  CASE
                    WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                    WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'orders')::int
                    ELSE 0
                  END
                FROM
                  (
                    SELECT
                      1
                  ) AS one
                  LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.pending_tier_code
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
                  WHEN subscription.overage_period_start >= subscription.period_start THEN subscription.overage_amount_cents
                  ELSE 0
                END
              ) + o.price <= o.cap
            )
          FROM
            (
              SELECT
                (
                  CASE
                    WHEN subscription.stripe_subscription_id IS NULL
                    OR subscription.is_annual THEN NULL
                    WHEN subscription.pending_tier_code IS NOT NULL
                    AND subscription.pending_tier_expires_at > $2::timestamptz THEN NULL
                    ELSE (
                      SELECT
                        t.orders_overage_price_cents
                      FROM
                        subscription_tiers t
                      WHERE
                        t.code = subscription.tier_code
                    )
                  END
                ) AS price,
                (
                  CASE subscription.overage_cap_mode
                    WHEN 'none' THEN NULL
                    WHEN 'custom' THEN subscription.overage_cap_cents
                    ELSE COALESCE(
                      (
                        SELECT
                          t.price_monthly_cents
                        FROM
                          subscription_tiers t
                        WHERE
                          t.code = subscription.tier_code
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
          subscription.orders_this_period + 1 <= LEAST(
            (
              SELECT
                CASE
                  WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                  WHEN ($4::jsonb -> subscription.tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.tier_code ->> 'orders')::int
                  ELSE 0
                END
              FROM
                (
                  SELECT
                    1
                ) AS one
                LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.tier_code
            ),
            CASE
              WHEN subscription.pending_tier_code IS NOT NULL
              AND subscription.pending_tier_expires_at > $2::timestamptz THEN (
                SELECT
                  CASE
                    WHEN tier_row.id IS NOT NULL THEN tier_row.orders_per_month
                    WHEN ($4::jsonb -> subscription.pending_tier_code) IS NOT NULL THEN ($4::jsonb -> subscription.pending_tier_code ->> 'orders')::int
                    ELSE 0
                  END
                FROM
                  (
                    SELECT
                      1
                  ) AS one
                  LEFT JOIN subscription_tiers tier_row ON tier_row.code = subscription.pending_tier_code
              )
            END
          ),
          true
        )
        AND (
          CASE
            WHEN subscription.stripe_subscription_id IS NULL
            OR subscription.is_annual THEN NULL
            WHEN subscription.pending_tier_code IS NOT NULL
            AND subscription.pending_tier_expires_at > $2::timestamptz THEN NULL
            ELSE (
              SELECT
                t.orders_overage_price_cents
              FROM
                subscription_tiers t
              WHERE
                t.code = subscription.tier_code
            )
          END
        ) IS NOT NULL
      ) AS overage_cap_reached
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor_subscriptions AS subscription ON subscription.vendor_id = $1
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
