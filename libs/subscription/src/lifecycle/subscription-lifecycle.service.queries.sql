-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- SubscriptionLifecycleService.resetPeriodCounters
-- parameters:
--   $1 = now
--   $2 = from_page
--   $3 = to_page
WITH
  updated AS (
    UPDATE vendor_subscriptions
    SET
      period_start = (
        (period_start AT TIME ZONE 'UTC') + make_interval(
          months => subscription_periods_elapsed (
            (period_start AT TIME ZONE 'UTC'),
            $1::timestamptz AT TIME ZONE 'UTC',
            (
              CASE
                WHEN is_annual THEN 12
                ELSE 1
              END
            )
          ) * (
            CASE
              WHEN is_annual THEN 12
              ELSE 1
            END
          )
        )
      ) AT TIME ZONE 'UTC',
      period_end = (
        (period_start AT TIME ZONE 'UTC') + make_interval(
          months => (
            subscription_periods_elapsed (
              (period_start AT TIME ZONE 'UTC'),
              $1::timestamptz AT TIME ZONE 'UTC',
              (
                CASE
                  WHEN is_annual THEN 12
                  ELSE 1
                END
              )
            ) + 1
          ) * (
            CASE
              WHEN is_annual THEN 12
              ELSE 1
            END
          )
        )
      ) AT TIME ZONE 'UTC',
      orders_this_period = 0,
      updated_at = $1
    WHERE
      ctid >= $2::tid
      AND ctid < $3::tid
      AND period_end <= $1
      AND stripe_subscription_id IS NULL
      AND status IN ('trial', 'active', 'past_due')
      AND (
        SELECT
          set_config('vb.change_cause', 'job', true) || set_config('synchronous_commit', 'off', true)
      ) IS NOT NULL
    RETURNING
      1
  )
SELECT
  count(*)::int AS rows
FROM
  updated;

-- SubscriptionLifecycleService.checkTrialExpirations
-- parameters:
--   $1 = now
--   $2 = from_page
--   $3 = to_page
WITH
  changed AS (
    UPDATE vendor_subscriptions
    SET
      status = CASE
        WHEN has_payment_method THEN 'active'
        ELSE 'expired'
      END,
      updated_at = $1
    WHERE
      ctid >= $2::tid
      AND ctid < $3::tid
      AND status = 'trial'
      AND trial_ends_at <= $1
      AND (
        SELECT
          set_config('vb.change_cause', 'job', true) || set_config('synchronous_commit', 'off', true) || set_config('vb.changes_recorded', 'statement', true)
      ) IS NOT NULL
    RETURNING
      new.vendor_id,
      old.tier_code AS old_tier_code,
      new.tier_code AS new_tier_code,
      old.status AS old_status,
      new.status AS new_status,
      old.is_annual AS old_is_annual,
      new.is_annual AS new_is_annual,
      old.cancel_at_period_end AS old_cancel_at_period_end,
      new.cancel_at_period_end AS new_cancel_at_period_end,
      old.cancel_at AS old_cancel_at,
      new.cancel_at AS new_cancel_at,
      old.period_end AS old_period_end,
      new.period_end AS new_period_end,
      old.stripe_price_amount_cents AS old_stripe_price_amount_cents,
      new.stripe_price_amount_cents AS new_stripe_price_amount_cents,
      old.stripe_watermark AS old_stripe_watermark,
      new.stripe_watermark AS new_stripe_watermark,
      old.observed_watermark AS old_observed_watermark,
      new.observed_watermark AS new_observed_watermark,
      CASE
        WHEN new.updated_at IS NOT DISTINCT FROM old.updated_at THEN now()
        ELSE COALESCE(new.updated_at, now())
      END AS at
  ),
  plan_change AS (
    SELECT
      c.vendor_id,
      c.at,
      c.old_status,
      c.new_status,
      c.new_tier_code,
      c.new_is_annual,
      c.new_period_end,
      array_remove(
        ARRAY[
          CASE
            WHEN c.old_tier_code IS DISTINCT FROM c.new_tier_code THEN 'tier_code'
          END,
          CASE
            WHEN c.old_status IS DISTINCT FROM c.new_status THEN 'status'
          END,
          CASE
            WHEN c.old_is_annual IS DISTINCT FROM c.new_is_annual THEN 'is_annual'
          END,
          CASE
            WHEN c.old_cancel_at_period_end IS DISTINCT FROM c.new_cancel_at_period_end THEN 'cancel_at_period_end'
          END,
          CASE
            WHEN c.old_cancel_at IS DISTINCT FROM c.new_cancel_at THEN 'cancel_at'
          END,
          CASE
            WHEN c.old_period_end IS DISTINCT FROM c.new_period_end THEN 'period_end'
          END,
          CASE
            WHEN c.old_stripe_price_amount_cents IS DISTINCT FROM c.new_stripe_price_amount_cents
            AND NOT c.old_tier_code IS DISTINCT FROM c.new_tier_code
            AND NOT c.old_is_annual IS DISTINCT FROM c.new_is_annual THEN 'stripe_price_amount_cents'
          END
        ],
        NULL
      ) AS what,
      monthly_value_cents (
        c.old_status,
        COALESCE(
          c.old_stripe_price_amount_cents,
          CASE
            WHEN c.old_is_annual THEN o.price_annual_cents
            ELSE o.price_monthly_cents
          END
        ),
        c.old_is_annual,
        1,
        c.old_period_end,
        c.at
      ) AS value_before,
      monthly_value_cents (
        c.new_status,
        COALESCE(
          c.new_stripe_price_amount_cents,
          CASE
            WHEN c.new_is_annual THEN n.price_annual_cents
            ELSE n.price_monthly_cents
          END
        ),
        c.new_is_annual,
        1,
        c.new_period_end,
        c.at
      ) AS value_after,
      COALESCE(
        NULLIF(current_setting('vb.change_cause', true), ''),
        CASE
          WHEN c.old_stripe_watermark IS DISTINCT FROM c.new_stripe_watermark
          OR c.old_observed_watermark IS DISTINCT FROM c.new_observed_watermark THEN 'stripe'
          ELSE 'system'
        END
      ) AS cause
    FROM
      changed c
      LEFT JOIN subscription_tiers n ON n.code = c.new_tier_code
      LEFT JOIN subscription_tiers o ON o.code = c.old_tier_code
    WHERE
      NOT (
        c.new_status <> 'cancelled'
        AND c.old_status <> 'cancelled'
        AND c.old_tier_code = c.new_tier_code
        AND c.old_status = c.new_status
        AND c.old_is_annual = c.new_is_annual
        AND c.old_cancel_at_period_end = c.new_cancel_at_period_end
        AND c.old_cancel_at IS NOT DISTINCT FROM c.new_cancel_at
        AND c.old_stripe_price_amount_cents IS NOT DISTINCT FROM c.new_stripe_price_amount_cents
      )
  ),
  plan_history AS (
    INSERT INTO
      subscription_changes (
        vendor_id,
        vendor_add_on_id,
        changed_at,
        changed,
        item_code,
        status_before,
        status_after,
        is_annual,
        value_before_cents,
        value_after_cents,
        value_until,
        cause,
        scheduled
      )
    SELECT
      p.vendor_id,
      NULL,
      r.changed_at,
      r.changed,
      p.new_tier_code,
      r.status_before,
      p.new_status,
      p.new_is_annual,
      r.value_before,
      r.value_after,
      CASE
        WHEN p.new_status = 'cancelled' THEN p.new_period_end
      END,
      p.cause,
      r.scheduled
    FROM
      plan_change p
      CROSS JOIN LATERAL (
        VALUES
          (p.at, p.what, p.old_status, 0, p.value_after, false),
          (p.new_period_end, ARRAY['ended'], p.new_status, p.value_after, 0, true)
      ) AS r (changed_at, changed, status_before, value_before, value_after, scheduled)
    WHERE
      p.value_before = 0
      AND p.what <> '{}'
      AND NOT (
        p.value_after = 0
        AND p.what <@ ARRAY['period_end', 'stripe_price_amount_cents']
        AND p.new_status <> 'cancelled'
      )
      AND (
        NOT r.scheduled
        OR (
          p.value_after > 0
          AND p.new_status = 'cancelled'
          AND p.new_period_end > p.at
        )
      )
    RETURNING
      1
  ),
  plan_history_read AS (
    SELECT
      count(
        subscription_changes_record (
          p.vendor_id,
          NULL,
          p.at,
          p.what,
          p.new_tier_code,
          p.old_status,
          p.new_status,
          p.new_is_annual,
          p.value_after,
          CASE
            WHEN p.new_status = 'cancelled' THEN p.new_period_end
          END,
          p.cause
        )::text
      ) AS rows
    FROM
      plan_change p
    WHERE
      p.value_before <> 0
      AND p.what <> '{}'
      AND NOT (
        p.value_before = p.value_after
        AND p.what <@ ARRAY['period_end', 'stripe_price_amount_cents']
        AND p.new_status <> 'cancelled'
      )
  ),
  plan_events AS (
    INSERT INTO
      platform_events (type, vendor_id, data)
    SELECT
      'subscription.updated',
      c.vendor_id,
      jsonb_build_object(
        'tier_code',
        c.new_tier_code,
        'status',
        c.new_status,
        'cancel_at_period_end',
        c.new_cancel_at_period_end,
        'previous',
        (
          CASE
            WHEN c.old_tier_code IS DISTINCT FROM c.new_tier_code THEN jsonb_build_object('tier_code', c.old_tier_code)
            ELSE '{}'::jsonb
          END
        ) || (
          CASE
            WHEN c.old_status IS DISTINCT FROM c.new_status THEN jsonb_build_object('status', c.old_status)
            ELSE '{}'::jsonb
          END
        ) || (
          CASE
            WHEN c.old_cancel_at_period_end IS DISTINCT FROM c.new_cancel_at_period_end THEN jsonb_build_object('cancel_at_period_end', c.old_cancel_at_period_end)
            ELSE '{}'::jsonb
          END
        ) || (
          CASE
            WHEN c.old_cancel_at IS DISTINCT FROM c.new_cancel_at THEN jsonb_build_object('cancel_at', to_char((c.old_cancel_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
            ELSE '{}'::jsonb
          END
        )
      ) || (
        CASE
          WHEN c.new_cancel_at IS NOT NULL
          OR c.old_cancel_at IS DISTINCT FROM c.new_cancel_at THEN jsonb_build_object('cancel_at', to_char((c.new_cancel_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
          ELSE '{}'::jsonb
        END
      )
    FROM
      changed c
    WHERE
      c.old_tier_code IS DISTINCT FROM c.new_tier_code
      OR c.old_status IS DISTINCT FROM c.new_status
      OR c.old_cancel_at_period_end IS DISTINCT FROM c.new_cancel_at_period_end
      OR c.old_cancel_at IS DISTINCT FROM c.new_cancel_at
    RETURNING
      id
  )
SELECT
  count(*)::int AS rows,
  count(*) FILTER (
    WHERE
      new_status = 'active'
  )::int AS activated,
  count(*) FILTER (
    WHERE
      new_status = 'expired'
  )::int AS expired,
  (
    SELECT
      count(*)
    FROM
      plan_history
  )::int + (
    SELECT
      rows
    FROM
      plan_history_read
  )::int AS history_rows,
  (
    SELECT
      count(*)
    FROM
      plan_events
  )::int AS events
FROM
  changed;

-- SubscriptionLifecycleService.cleanupStaleSubscriptions (variant: plans)
-- parameters:
--   $1 = now
--   $2 = from_page
--   $3 = to_page
--   $4 = CANCELLED_RETENTION_DAYS
WITH
  changed AS (
    UPDATE vendor_subscriptions
    SET
      status = 'expired',
      updated_at = $1
    WHERE
      ctid >= $2::tid
      AND ctid < $3::tid
      AND status = 'cancelled'
      AND period_end < $1::timestamptz - make_interval(days => $4)
      AND (
        SELECT
          set_config('vb.change_cause', 'job', true) || set_config('synchronous_commit', 'off', true) || set_config('vb.changes_recorded', 'statement', true)
      ) IS NOT NULL
    RETURNING
      new.vendor_id,
      old.tier_code AS old_tier_code,
      new.tier_code AS new_tier_code,
      old.status AS old_status,
      new.status AS new_status,
      old.is_annual AS old_is_annual,
      new.is_annual AS new_is_annual,
      old.cancel_at_period_end AS old_cancel_at_period_end,
      new.cancel_at_period_end AS new_cancel_at_period_end,
      old.cancel_at AS old_cancel_at,
      new.cancel_at AS new_cancel_at,
      old.period_end AS old_period_end,
      new.period_end AS new_period_end,
      old.stripe_price_amount_cents AS old_stripe_price_amount_cents,
      new.stripe_price_amount_cents AS new_stripe_price_amount_cents,
      old.stripe_watermark AS old_stripe_watermark,
      new.stripe_watermark AS new_stripe_watermark,
      old.observed_watermark AS old_observed_watermark,
      new.observed_watermark AS new_observed_watermark,
      CASE
        WHEN new.updated_at IS NOT DISTINCT FROM old.updated_at THEN now()
        ELSE COALESCE(new.updated_at, now())
      END AS at
  ),
  plan_change AS (
    SELECT
      c.vendor_id,
      c.at,
      c.old_status,
      c.new_status,
      c.new_tier_code,
      c.new_is_annual,
      c.new_period_end,
      array_remove(
        ARRAY[
          CASE
            WHEN c.old_tier_code IS DISTINCT FROM c.new_tier_code THEN 'tier_code'
          END,
          CASE
            WHEN c.old_status IS DISTINCT FROM c.new_status THEN 'status'
          END,
          CASE
            WHEN c.old_is_annual IS DISTINCT FROM c.new_is_annual THEN 'is_annual'
          END,
          CASE
            WHEN c.old_cancel_at_period_end IS DISTINCT FROM c.new_cancel_at_period_end THEN 'cancel_at_period_end'
          END,
          CASE
            WHEN c.old_cancel_at IS DISTINCT FROM c.new_cancel_at THEN 'cancel_at'
          END,
          CASE
            WHEN c.old_period_end IS DISTINCT FROM c.new_period_end THEN 'period_end'
          END,
          CASE
            WHEN c.old_stripe_price_amount_cents IS DISTINCT FROM c.new_stripe_price_amount_cents
            AND NOT c.old_tier_code IS DISTINCT FROM c.new_tier_code
            AND NOT c.old_is_annual IS DISTINCT FROM c.new_is_annual THEN 'stripe_price_amount_cents'
          END
        ],
        NULL
      ) AS what,
      monthly_value_cents (
        c.old_status,
        COALESCE(
          c.old_stripe_price_amount_cents,
          CASE
            WHEN c.old_is_annual THEN o.price_annual_cents
            ELSE o.price_monthly_cents
          END
        ),
        c.old_is_annual,
        1,
        c.old_period_end,
        c.at
      ) AS value_before,
      monthly_value_cents (
        c.new_status,
        COALESCE(
          c.new_stripe_price_amount_cents,
          CASE
            WHEN c.new_is_annual THEN n.price_annual_cents
            ELSE n.price_monthly_cents
          END
        ),
        c.new_is_annual,
        1,
        c.new_period_end,
        c.at
      ) AS value_after,
      COALESCE(
        NULLIF(current_setting('vb.change_cause', true), ''),
        CASE
          WHEN c.old_stripe_watermark IS DISTINCT FROM c.new_stripe_watermark
          OR c.old_observed_watermark IS DISTINCT FROM c.new_observed_watermark THEN 'stripe'
          ELSE 'system'
        END
      ) AS cause
    FROM
      changed c
      LEFT JOIN subscription_tiers n ON n.code = c.new_tier_code
      LEFT JOIN subscription_tiers o ON o.code = c.old_tier_code
    WHERE
      NOT (
        c.new_status <> 'cancelled'
        AND c.old_status <> 'cancelled'
        AND c.old_tier_code = c.new_tier_code
        AND c.old_status = c.new_status
        AND c.old_is_annual = c.new_is_annual
        AND c.old_cancel_at_period_end = c.new_cancel_at_period_end
        AND c.old_cancel_at IS NOT DISTINCT FROM c.new_cancel_at
        AND c.old_stripe_price_amount_cents IS NOT DISTINCT FROM c.new_stripe_price_amount_cents
      )
  ),
  plan_history AS (
    INSERT INTO
      subscription_changes (
        vendor_id,
        vendor_add_on_id,
        changed_at,
        changed,
        item_code,
        status_before,
        status_after,
        is_annual,
        value_before_cents,
        value_after_cents,
        value_until,
        cause,
        scheduled
      )
    SELECT
      p.vendor_id,
      NULL,
      r.changed_at,
      r.changed,
      p.new_tier_code,
      r.status_before,
      p.new_status,
      p.new_is_annual,
      r.value_before,
      r.value_after,
      CASE
        WHEN p.new_status = 'cancelled' THEN p.new_period_end
      END,
      p.cause,
      r.scheduled
    FROM
      plan_change p
      CROSS JOIN LATERAL (
        VALUES
          (p.at, p.what, p.old_status, 0, p.value_after, false),
          (p.new_period_end, ARRAY['ended'], p.new_status, p.value_after, 0, true)
      ) AS r (changed_at, changed, status_before, value_before, value_after, scheduled)
    WHERE
      p.value_before = 0
      AND p.what <> '{}'
      AND NOT (
        p.value_after = 0
        AND p.what <@ ARRAY['period_end', 'stripe_price_amount_cents']
        AND p.new_status <> 'cancelled'
      )
      AND (
        NOT r.scheduled
        OR (
          p.value_after > 0
          AND p.new_status = 'cancelled'
          AND p.new_period_end > p.at
        )
      )
    RETURNING
      1
  ),
  plan_history_read AS (
    SELECT
      count(
        subscription_changes_record (
          p.vendor_id,
          NULL,
          p.at,
          p.what,
          p.new_tier_code,
          p.old_status,
          p.new_status,
          p.new_is_annual,
          p.value_after,
          CASE
            WHEN p.new_status = 'cancelled' THEN p.new_period_end
          END,
          p.cause
        )::text
      ) AS rows
    FROM
      plan_change p
    WHERE
      p.value_before <> 0
      AND p.what <> '{}'
      AND NOT (
        p.value_before = p.value_after
        AND p.what <@ ARRAY['period_end', 'stripe_price_amount_cents']
        AND p.new_status <> 'cancelled'
      )
  ),
  plan_events AS (
    INSERT INTO
      platform_events (type, vendor_id, data)
    SELECT
      'subscription.updated',
      c.vendor_id,
      jsonb_build_object(
        'tier_code',
        c.new_tier_code,
        'status',
        c.new_status,
        'cancel_at_period_end',
        c.new_cancel_at_period_end,
        'previous',
        (
          CASE
            WHEN c.old_tier_code IS DISTINCT FROM c.new_tier_code THEN jsonb_build_object('tier_code', c.old_tier_code)
            ELSE '{}'::jsonb
          END
        ) || (
          CASE
            WHEN c.old_status IS DISTINCT FROM c.new_status THEN jsonb_build_object('status', c.old_status)
            ELSE '{}'::jsonb
          END
        ) || (
          CASE
            WHEN c.old_cancel_at_period_end IS DISTINCT FROM c.new_cancel_at_period_end THEN jsonb_build_object('cancel_at_period_end', c.old_cancel_at_period_end)
            ELSE '{}'::jsonb
          END
        ) || (
          CASE
            WHEN c.old_cancel_at IS DISTINCT FROM c.new_cancel_at THEN jsonb_build_object('cancel_at', to_char((c.old_cancel_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
            ELSE '{}'::jsonb
          END
        )
      ) || (
        CASE
          WHEN c.new_cancel_at IS NOT NULL
          OR c.old_cancel_at IS DISTINCT FROM c.new_cancel_at THEN jsonb_build_object('cancel_at', to_char((c.new_cancel_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
          ELSE '{}'::jsonb
        END
      )
    FROM
      changed c
    WHERE
      c.old_tier_code IS DISTINCT FROM c.new_tier_code
      OR c.old_status IS DISTINCT FROM c.new_status
      OR c.old_cancel_at_period_end IS DISTINCT FROM c.new_cancel_at_period_end
      OR c.old_cancel_at IS DISTINCT FROM c.new_cancel_at
    RETURNING
      id
  )
SELECT
  count(*)::int AS rows,
  count(*) FILTER (
    WHERE
      new_status = 'active'
  )::int AS activated,
  count(*) FILTER (
    WHERE
      new_status = 'expired'
  )::int AS expired,
  (
    SELECT
      count(*)
    FROM
      plan_history
  )::int + (
    SELECT
      rows
    FROM
      plan_history_read
  )::int AS history_rows,
  (
    SELECT
      count(*)
    FROM
      plan_events
  )::int AS events
FROM
  changed;

-- SubscriptionLifecycleService.cleanupStaleSubscriptions (variant: webhook events)
-- parameters:
--   $1 = now
--   $2 = from_page
--   $3 = to_page
--   $4 = WEBHOOK_EVENT_RETENTION_DAYS
WITH
  deleted AS (
    DELETE FROM stripe_webhook_events
    WHERE
      ctid >= $2::tid
      AND ctid < $3::tid
      AND status IN ('processed', 'ignored')
      AND received_at < $1::timestamptz - make_interval(days => $4)
      AND (
        SELECT
          set_config('vb.change_cause', 'job', true) || set_config('synchronous_commit', 'off', true)
      ) IS NOT NULL
    RETURNING
      1
  )
SELECT
  count(*)::int AS rows
FROM
  deleted;
