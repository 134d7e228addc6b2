-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- StripeWebhookService.applyOnce (variant: a plan's customer.subscription.*: SubscriptionWriter.applyStripeSubscriptionWith + the ledger's claim)
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
--   $24::varchar = subscription.id
--   $25::varchar = platform event type
--   $26::text = data.stripe_subscription_id
--   $27::text = subscription.needs_attention dedupe key
--   $28::varchar = subscription.id
--   $29::text = note when applied (a re-read: REREAD_NOTE)
--   $30::timestamptz = now
--   $31::varchar = event.id
--   $32::varchar = event.type
--   $33::jsonb = payload
--   $34::timestamptz = event.created
--   $35::boolean = replay
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
  second_live_report AS (
    INSERT INTO
      platform_events (type, vendor_id, data, dedupe_key)
    SELECT
      $25::varchar,
      vendor_row.vendor_id,
      jsonb_build_object(
        'stripe_subscription_id',
        $26::text,
        'reason',
        (
          (
            'subscription ' || $24::varchar || ' is a second live plan subscription of the vendor, whose plan follows ' || vendor_row.stripe_subscription_id || '; not applied'
          )
        )
      ),
      $27::text
    FROM
      (
        SELECT
          *
        FROM
          verdict
        WHERE
          verdict.verdict = 'second_live'
      ) AS vendor_row
    ON CONFLICT (dedupe_key)
    WHERE
      dedupe_key IS NOT NULL DO NOTHING
    RETURNING
      id
  ),
  claim_outcome AS (
    SELECT
      CASE
        WHEN verdict.vendor_id IS NOT NULL THEN CASE
          WHEN verdict.verdict IN ('tie', 'behind') THEN 'processing'
          WHEN verdict.verdict = 'second_live'
          AND EXISTS (
            SELECT
              1
            FROM
              second_live_report
          ) THEN 'needs_attention'
          ELSE 'processed'
        END
        WHEN EXISTS (
          SELECT
            1
          FROM
            vendor_add_ons
          WHERE
            stripe_subscription_id = $28::varchar
        ) THEN NULL
        ELSE 'ignored'
      END AS status,
      CASE
        WHEN verdict.vendor_id IS NULL THEN 'no vendor for subscription ' || $28::varchar
        WHEN verdict.verdict = 'tie' THEN 'same-second tie: re-reading the subscription from Stripe'
        WHEN verdict.verdict = 'behind' THEN 'older than the last applied event, with a plan the row does not have: re-reading the subscription from Stripe'
        WHEN verdict.verdict = 'stale' THEN 'skipped: older than the last applied event (' || verdict.stripe_watermark || ')'
        WHEN verdict.verdict = 'second_live' THEN CASE
          WHEN EXISTS (
            SELECT
              1
            FROM
              second_live_report
          ) THEN ''
          ELSE 'skipped (reported before): '
        END || (
          'subscription ' || $28::varchar || ' is a second live plan subscription of the vendor, whose plan follows ' || verdict.stripe_subscription_id || '; not applied'
        )
        WHEN verdict.verdict = 'not_current' THEN 'skipped: subscription ' || $28::varchar || ' has ended and is not the vendor''s current subscription ' || verdict.stripe_subscription_id
        ELSE $29::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN verdict ON true
  ),
  ledger_claim AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $31::varchar,
      $32::varchar,
      claim_outcome.status,
      1,
      left(claim_outcome.note, 2000),
      $33::jsonb,
      $34::timestamptz,
      $30::timestamptz,
      CASE
        WHEN claim_outcome.status = 'failed' THEN NULL
        ELSE $30::timestamptz
      END
    FROM
      claim_outcome AS claim_outcome
    WHERE
      claim_outcome.status IS NOT NULL
    ON CONFLICT (event_id) DO UPDATE
    SET
      status = EXCLUDED.status,
      error = EXCLUDED.error,
      attempts = stripe_webhook_events.attempts + CASE
        WHEN stripe_webhook_events.status = 'processing' THEN 0
        ELSE 1
      END,
      processed_at = EXCLUDED.processed_at,
      payload = COALESCE(stripe_webhook_events.payload, EXCLUDED.payload)
    WHERE
      stripe_webhook_events.status <> 'processed'
      AND (
        $35::boolean
        OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
      )
    RETURNING
      status,
      error
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
      AND EXISTS (
        SELECT
          1
        FROM
          ledger_claim
        WHERE
          status = 'processed'
      )
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
  (
    SELECT
      json_build_object('wanted', claim_outcome.status, 'status', ledger_claim.status, 'note', ledger_claim.error)
    FROM
      claim_outcome
      LEFT JOIN ledger_claim ON true
  ) AS report;

-- StripeWebhookService.record (variant: also the claim of inTransaction, with status processed)
-- parameters:
--   $1::varchar = status
--   $2::text = note
--   $3::timestamptz = now
--   $4::varchar = event.id
--   $5::varchar = event.type
--   $6::jsonb = payload
--   $7::timestamptz = event.created
--   $8::boolean = replay
INSERT INTO
  stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
SELECT
  $4::varchar,
  $5::varchar,
  claim_outcome.status,
  1,
  left(claim_outcome.note, 2000),
  $6::jsonb,
  $7::timestamptz,
  $3::timestamptz,
  CASE
    WHEN claim_outcome.status = 'failed' THEN NULL
    ELSE $3::timestamptz
  END
FROM
  (
    SELECT
      $1::varchar AS status,
      $2::text AS note
  ) AS claim_outcome
WHERE
  claim_outcome.status IS NOT NULL
ON CONFLICT (event_id) DO UPDATE
SET
  status = EXCLUDED.status,
  error = EXCLUDED.error,
  attempts = stripe_webhook_events.attempts + CASE
    WHEN stripe_webhook_events.status = 'processing' THEN 0
    ELSE 1
  END,
  processed_at = EXCLUDED.processed_at,
  payload = COALESCE(stripe_webhook_events.payload, EXCLUDED.payload)
WHERE
  stripe_webhook_events.status <> 'processed'
  AND (
    $8::boolean
    OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
  )
RETURNING
  status,
  error;
