-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- InvoiceEventHandlers.handle (variant: invoice.paid of a subscription)
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
--   $4::varchar = e.g. 'in_1'
--   $5::boolean = e.g. false
--   $6::varchar = invoice subscription
--   $7::text = e.g. 'invoice in_1: subscription sub_1 is not linked yet; reading it fro...
--   $8::text = e.g. 'unknown customer cus_1 for invoice in_1'
--   $9::text = e.g. null
--   $10::boolean = e.g. false
--   $11::text = e.g. 'invoice in_1 is already paid; the failure changes nothing'
--   $12::timestamptz = now
--   $13::varchar = event.id
--   $14::varchar = event.type
--   $15::jsonb = payload
--   $16::timestamptz = event.created
--   $17::boolean = replay
--   $18::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $19::varchar = e.g. 'in_1'
--   $20::varchar = e.g. 'sub_1'
--   $21::varchar = e.g. 'INV-1'
--   $22::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $23::timestamptz = e.g. null
--   $24::int = e.g. 4900
--   $25::int = e.g. 4900
--   $26::varchar = e.g. 'eur'
--   $27::varchar = e.g. 'paid'
--   $28::text = e.g. null
--   $29::text = e.g. null
--   $30::text = e.g. 'Business'
--   $31::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $32::timestamptz = e.g. 2026-04-01T00:00:00.000Z
--   $33::int = e.g. 4900
--   $34::timestamptz = event.created
--   $35::timestamptz = e.g. 2026-03-01T00:05:00.000Z
--   $36::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $37::varchar = e.g. 'sub_1'
WITH
  vendor AS (
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
      1
    FOR NO KEY UPDATE
  ),
  claim_outcome AS (
    SELECT
      CASE
        WHEN (
          (
            vendor.vendor_id IS NULL
            OR vendor.stripe_subscription_id IS NULL
          )
          AND NOT EXISTS (
            SELECT
              1
            FROM
              vendor_add_ons
            WHERE
              stripe_subscription_id = $6::varchar
          )
        ) THEN 'processing'
        WHEN vendor.vendor_id IS NULL THEN 'ignored'
        WHEN $5::boolean THEN 'needs_attention'
        ELSE 'processed'
      END AS status,
      CASE
        WHEN (
          (
            vendor.vendor_id IS NULL
            OR vendor.stripe_subscription_id IS NULL
          )
          AND NOT EXISTS (
            SELECT
              1
            FROM
              vendor_add_ons
            WHERE
              stripe_subscription_id = $6::varchar
          )
        ) THEN $7::text
        WHEN vendor.vendor_id IS NULL THEN $8::text
        WHEN $5::boolean THEN $9::text
        WHEN $10::boolean
        AND EXISTS (
          SELECT
            1
          FROM
            billing_history
          WHERE
            stripe_invoice_id = $4::varchar
            AND status = 'paid'
        ) THEN $11::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor ON true
  ),
  ledger_claim AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $13::varchar,
      $14::varchar,
      claim_outcome.status,
      1,
      left(claim_outcome.note, 2000),
      $15::jsonb,
      $16::timestamptz,
      $12::timestamptz,
      CASE
        WHEN claim_outcome.status = 'failed' THEN NULL
        ELSE $12::timestamptz
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
        $17::boolean
        OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
      )
    RETURNING
      status,
      error
  ),
  bill AS (
    INSERT INTO
      billing_history (
        vendor_id,
        stripe_invoice_id,
        stripe_subscription_id,
        invoice_number,
        invoice_date,
        due_date,
        total_cents,
        amount_paid_cents,
        currency,
        status,
        pdf_url,
        hosted_url,
        description,
        created_at,
        updated_at
      )
    SELECT
      vendor.vendor_id,
      $19::varchar,
      $20::varchar,
      $21::varchar,
      COALESCE($22::timestamptz, $18::timestamptz),
      $23::timestamptz,
      $24::int,
      $25::int,
      $26::varchar,
      $27::varchar,
      $28::text,
      $29::text,
      $30::text,
      $18::timestamptz,
      $18::timestamptz
    FROM
      vendor
    WHERE
      EXISTS (
        SELECT
          1
        FROM
          ledger_claim
        WHERE
          status = 'processed'
      )
    ON CONFLICT (stripe_invoice_id) DO UPDATE
    SET
      invoice_number = COALESCE(EXCLUDED.invoice_number, billing_history.invoice_number),
      due_date = EXCLUDED.due_date,
      total_cents = EXCLUDED.total_cents,
      amount_paid_cents = GREATEST(EXCLUDED.amount_paid_cents, billing_history.amount_paid_cents),
      status = CASE
        WHEN billing_history.status = 'paid' THEN 'paid'
        ELSE EXCLUDED.status
      END,
      pdf_url = COALESCE(EXCLUDED.pdf_url, billing_history.pdf_url),
      hosted_url = COALESCE(EXCLUDED.hosted_url, billing_history.hosted_url),
      updated_at = EXCLUDED.updated_at
    RETURNING
      status
  ),
  plan AS (
    UPDATE vendor_subscriptions AS plan_row
    SET
      status = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $34::timestamptz
          )
          AND (
            plan_row.status IN ('past_due', 'active')
            OR (
              plan_row.status = 'trial'
              AND $33::int > 0
            )
          )
        ) THEN 'active'
        ELSE plan_row.status
      END,
      past_due_since = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $34::timestamptz
          )
          AND (
            plan_row.status IN ('past_due', 'active')
            OR (
              plan_row.status = 'trial'
              AND $33::int > 0
            )
          )
        ) THEN NULL
        ELSE plan_row.past_due_since
      END,
      payment_retry_count = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $34::timestamptz
          )
          AND (
            plan_row.status IN ('past_due', 'active')
            OR (
              plan_row.status = 'trial'
              AND $33::int > 0
            )
          )
        ) THEN 0
        ELSE plan_row.payment_retry_count
      END,
      has_payment_method = plan_row.has_payment_method
      OR $33::int > 0,
      last_payment_at = GREATEST(plan_row.last_payment_at, $35::timestamptz),
      orders_this_period = CASE
        WHEN $31::timestamptz > plan_row.period_start THEN 0
        ELSE plan_row.orders_this_period
      END,
      period_end = CASE
        WHEN $31::timestamptz > plan_row.period_start THEN COALESCE(
          $32::timestamptz,
          CASE
            WHEN plan_row.is_annual THEN $31::timestamptz + interval '1 year'
            ELSE $31::timestamptz + interval '1 month'
          END
        )
        ELSE plan_row.period_end
      END,
      period_start = CASE
        WHEN $31::timestamptz > plan_row.period_start THEN $31::timestamptz
        ELSE plan_row.period_start
      END,
      stripe_watermark = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $34::timestamptz
          )
          AND (
            plan_row.status IN ('past_due', 'active')
            OR (
              plan_row.status = 'trial'
              AND $33::int > 0
            )
          )
        )
        AND plan_row.status <> 'active' THEN GREATEST(plan_row.stripe_watermark, $34::timestamptz)
        ELSE plan_row.stripe_watermark
      END,
      observed_watermark = GREATEST(plan_row.observed_watermark, clock_timestamp()),
      updated_at = $36::timestamptz
    FROM
      vendor AS vendor_row
    WHERE
      plan_row.vendor_id = vendor_row.vendor_id
      AND vendor_row.stripe_subscription_id = $37::varchar
      AND EXISTS (
        SELECT
          1
        FROM
          bill
      )
  )
SELECT
  (
    SELECT
      json_build_object('wanted', claim_outcome.status, 'status', ledger_claim.status, 'note', ledger_claim.error)
    FROM
      claim_outcome
      LEFT JOIN ledger_claim ON true
  ) AS report;

-- InvoiceEventHandlers.handle (variant: invoice.paid after its subscription was read and linked (afterRead: no second read))
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
--   $4::varchar = e.g. 'in_1'
--   $5::boolean = e.g. false
--   $6::text = e.g. 'invoice in_1: subscription sub_1 is not linked yet; reading it fro...
--   $7::text = e.g. 'unknown customer cus_1 for invoice in_1'
--   $8::text = e.g. null
--   $9::boolean = e.g. false
--   $10::text = e.g. 'invoice in_1 is already paid; the failure changes nothing'
--   $11::timestamptz = now
--   $12::varchar = event.id
--   $13::varchar = event.type
--   $14::jsonb = payload
--   $15::timestamptz = event.created
--   $16::boolean = replay
--   $17::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $18::varchar = e.g. 'in_1'
--   $19::varchar = e.g. 'sub_1'
--   $20::varchar = e.g. 'INV-1'
--   $21::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $22::timestamptz = e.g. null
--   $23::int = e.g. 4900
--   $24::int = e.g. 4900
--   $25::varchar = e.g. 'eur'
--   $26::varchar = e.g. 'paid'
--   $27::text = e.g. null
--   $28::text = e.g. null
--   $29::text = e.g. 'Business'
--   $30::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $31::timestamptz = e.g. 2026-04-01T00:00:00.000Z
--   $32::int = e.g. 4900
--   $33::timestamptz = event.created
--   $34::timestamptz = e.g. 2026-03-01T00:05:00.000Z
--   $35::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $36::varchar = e.g. 'sub_1'
WITH
  vendor AS (
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
      1
    FOR NO KEY UPDATE
  ),
  claim_outcome AS (
    SELECT
      CASE
        WHEN false THEN 'processing'
        WHEN vendor.vendor_id IS NULL THEN 'ignored'
        WHEN $5::boolean THEN 'needs_attention'
        ELSE 'processed'
      END AS status,
      CASE
        WHEN false THEN $6::text
        WHEN vendor.vendor_id IS NULL THEN $7::text
        WHEN $5::boolean THEN $8::text
        WHEN $9::boolean
        AND EXISTS (
          SELECT
            1
          FROM
            billing_history
          WHERE
            stripe_invoice_id = $4::varchar
            AND status = 'paid'
        ) THEN $10::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor ON true
  ),
  ledger_claim AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $12::varchar,
      $13::varchar,
      claim_outcome.status,
      1,
      left(claim_outcome.note, 2000),
      $14::jsonb,
      $15::timestamptz,
      $11::timestamptz,
      CASE
        WHEN claim_outcome.status = 'failed' THEN NULL
        ELSE $11::timestamptz
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
        $16::boolean
        OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
      )
    RETURNING
      status,
      error
  ),
  bill AS (
    INSERT INTO
      billing_history (
        vendor_id,
        stripe_invoice_id,
        stripe_subscription_id,
        invoice_number,
        invoice_date,
        due_date,
        total_cents,
        amount_paid_cents,
        currency,
        status,
        pdf_url,
        hosted_url,
        description,
        created_at,
        updated_at
      )
    SELECT
      vendor.vendor_id,
      $18::varchar,
      $19::varchar,
      $20::varchar,
      COALESCE($21::timestamptz, $17::timestamptz),
      $22::timestamptz,
      $23::int,
      $24::int,
      $25::varchar,
      $26::varchar,
      $27::text,
      $28::text,
      $29::text,
      $17::timestamptz,
      $17::timestamptz
    FROM
      vendor
    WHERE
      EXISTS (
        SELECT
          1
        FROM
          ledger_claim
        WHERE
          status = 'processed'
      )
    ON CONFLICT (stripe_invoice_id) DO UPDATE
    SET
      invoice_number = COALESCE(EXCLUDED.invoice_number, billing_history.invoice_number),
      due_date = EXCLUDED.due_date,
      total_cents = EXCLUDED.total_cents,
      amount_paid_cents = GREATEST(EXCLUDED.amount_paid_cents, billing_history.amount_paid_cents),
      status = CASE
        WHEN billing_history.status = 'paid' THEN 'paid'
        ELSE EXCLUDED.status
      END,
      pdf_url = COALESCE(EXCLUDED.pdf_url, billing_history.pdf_url),
      hosted_url = COALESCE(EXCLUDED.hosted_url, billing_history.hosted_url),
      updated_at = EXCLUDED.updated_at
    RETURNING
      status
  ),
  plan AS (
    UPDATE vendor_subscriptions AS plan_row
    SET
      status = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $33::timestamptz
          )
          AND (
            plan_row.status IN ('past_due', 'active')
            OR (
              plan_row.status = 'trial'
              AND $32::int > 0
            )
          )
        ) THEN 'active'
        ELSE plan_row.status
      END,
      past_due_since = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $33::timestamptz
          )
          AND (
            plan_row.status IN ('past_due', 'active')
            OR (
              plan_row.status = 'trial'
              AND $32::int > 0
            )
          )
        ) THEN NULL
        ELSE plan_row.past_due_since
      END,
      payment_retry_count = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $33::timestamptz
          )
          AND (
            plan_row.status IN ('past_due', 'active')
            OR (
              plan_row.status = 'trial'
              AND $32::int > 0
            )
          )
        ) THEN 0
        ELSE plan_row.payment_retry_count
      END,
      has_payment_method = plan_row.has_payment_method
      OR $32::int > 0,
      last_payment_at = GREATEST(plan_row.last_payment_at, $34::timestamptz),
      orders_this_period = CASE
        WHEN $30::timestamptz > plan_row.period_start THEN 0
        ELSE plan_row.orders_this_period
      END,
      period_end = CASE
        WHEN $30::timestamptz > plan_row.period_start THEN COALESCE(
          $31::timestamptz,
          CASE
            WHEN plan_row.is_annual THEN $30::timestamptz + interval '1 year'
            ELSE $30::timestamptz + interval '1 month'
          END
        )
        ELSE plan_row.period_end
      END,
      period_start = CASE
        WHEN $30::timestamptz > plan_row.period_start THEN $30::timestamptz
        ELSE plan_row.period_start
      END,
      stripe_watermark = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $33::timestamptz
          )
          AND (
            plan_row.status IN ('past_due', 'active')
            OR (
              plan_row.status = 'trial'
              AND $32::int > 0
            )
          )
        )
        AND plan_row.status <> 'active' THEN GREATEST(plan_row.stripe_watermark, $33::timestamptz)
        ELSE plan_row.stripe_watermark
      END,
      observed_watermark = GREATEST(plan_row.observed_watermark, clock_timestamp()),
      updated_at = $35::timestamptz
    FROM
      vendor AS vendor_row
    WHERE
      plan_row.vendor_id = vendor_row.vendor_id
      AND vendor_row.stripe_subscription_id = $36::varchar
      AND EXISTS (
        SELECT
          1
        FROM
          bill
      )
  )
SELECT
  (
    SELECT
      json_build_object('wanted', claim_outcome.status, 'status', ledger_claim.status, 'note', ledger_claim.error)
    FROM
      claim_outcome
      LEFT JOIN ledger_claim ON true
  ) AS report;

-- InvoiceEventHandlers.handle (variant: invoice.paid without a subscription)
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
--   $4::varchar = e.g. 'in_1'
--   $5::boolean = e.g. false
--   $6::text = e.g. 'invoice in_1: subscription none is not linked yet; reading it from...
--   $7::text = e.g. 'unknown customer cus_1 for invoice in_1'
--   $8::text = e.g. null
--   $9::boolean = e.g. false
--   $10::text = e.g. 'invoice in_1 is already paid; the failure changes nothing'
--   $11::timestamptz = now
--   $12::varchar = event.id
--   $13::varchar = event.type
--   $14::jsonb = payload
--   $15::timestamptz = event.created
--   $16::boolean = replay
--   $17::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $18::varchar = e.g. 'in_1'
--   $19::varchar = e.g. null
--   $20::varchar = e.g. 'INV-1'
--   $21::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $22::timestamptz = e.g. null
--   $23::int = e.g. 4900
--   $24::int = e.g. 4900
--   $25::varchar = e.g. 'eur'
--   $26::varchar = e.g. 'paid'
--   $27::text = e.g. null
--   $28::text = e.g. null
--   $29::text = e.g. 'Business'
WITH
  vendor AS (
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
      1
    FOR NO KEY UPDATE
  ),
  claim_outcome AS (
    SELECT
      CASE
        WHEN false THEN 'processing'
        WHEN vendor.vendor_id IS NULL THEN 'ignored'
        WHEN $5::boolean THEN 'needs_attention'
        ELSE 'processed'
      END AS status,
      CASE
        WHEN false THEN $6::text
        WHEN vendor.vendor_id IS NULL THEN $7::text
        WHEN $5::boolean THEN $8::text
        WHEN $9::boolean
        AND EXISTS (
          SELECT
            1
          FROM
            billing_history
          WHERE
            stripe_invoice_id = $4::varchar
            AND status = 'paid'
        ) THEN $10::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor ON true
  ),
  ledger_claim AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $12::varchar,
      $13::varchar,
      claim_outcome.status,
      1,
      left(claim_outcome.note, 2000),
      $14::jsonb,
      $15::timestamptz,
      $11::timestamptz,
      CASE
        WHEN claim_outcome.status = 'failed' THEN NULL
        ELSE $11::timestamptz
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
        $16::boolean
        OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
      )
    RETURNING
      status,
      error
  ),
  bill AS (
    INSERT INTO
      billing_history (
        vendor_id,
        stripe_invoice_id,
        stripe_subscription_id,
        invoice_number,
        invoice_date,
        due_date,
        total_cents,
        amount_paid_cents,
        currency,
        status,
        pdf_url,
        hosted_url,
        description,
        created_at,
        updated_at
      )
    SELECT
      vendor.vendor_id,
      $18::varchar,
      $19::varchar,
      $20::varchar,
      COALESCE($21::timestamptz, $17::timestamptz),
      $22::timestamptz,
      $23::int,
      $24::int,
      $25::varchar,
      $26::varchar,
      $27::text,
      $28::text,
      $29::text,
      $17::timestamptz,
      $17::timestamptz
    FROM
      vendor
    WHERE
      EXISTS (
        SELECT
          1
        FROM
          ledger_claim
        WHERE
          status = 'processed'
      )
    ON CONFLICT (stripe_invoice_id) DO UPDATE
    SET
      invoice_number = COALESCE(EXCLUDED.invoice_number, billing_history.invoice_number),
      due_date = EXCLUDED.due_date,
      total_cents = EXCLUDED.total_cents,
      amount_paid_cents = GREATEST(EXCLUDED.amount_paid_cents, billing_history.amount_paid_cents),
      status = CASE
        WHEN billing_history.status = 'paid' THEN 'paid'
        ELSE EXCLUDED.status
      END,
      pdf_url = COALESCE(EXCLUDED.pdf_url, billing_history.pdf_url),
      hosted_url = COALESCE(EXCLUDED.hosted_url, billing_history.hosted_url),
      updated_at = EXCLUDED.updated_at
    RETURNING
      status
  )
SELECT
  (
    SELECT
      json_build_object('wanted', claim_outcome.status, 'status', ledger_claim.status, 'note', ledger_claim.error)
    FROM
      claim_outcome
      LEFT JOIN ledger_claim ON true
  ) AS report;

-- InvoiceEventHandlers.handle (variant: invoice.payment_failed of a subscription)
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
--   $4::varchar = e.g. 'in_1'
--   $5::boolean = e.g. false
--   $6::varchar = invoice subscription
--   $7::text = e.g. 'invoice in_1: subscription sub_1 is not linked yet; reading it fro...
--   $8::text = e.g. 'unknown customer cus_1 for invoice in_1'
--   $9::text = e.g. null
--   $10::boolean = e.g. true
--   $11::text = e.g. 'invoice in_1 is already paid; the failure changes nothing'
--   $12::timestamptz = now
--   $13::varchar = event.id
--   $14::varchar = event.type
--   $15::jsonb = payload
--   $16::timestamptz = event.created
--   $17::boolean = replay
--   $18::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $19::varchar = e.g. 'in_1'
--   $20::varchar = e.g. 'sub_1'
--   $21::varchar = e.g. 'INV-1'
--   $22::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $23::timestamptz = e.g. null
--   $24::int = e.g. 4900
--   $25::int = e.g. 0
--   $26::varchar = e.g. 'eur'
--   $27::varchar = e.g. 'open'
--   $28::text = e.g. null
--   $29::text = e.g. null
--   $30::text = e.g. 'Business'
--   $31::varchar = type
--   $32::jsonb = data
--   $33::text = dedupe_key
--   $34::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $35::timestamptz = event.created
--   $36::int = e.g. 1
--   $37::varchar = e.g. 'sub_1'
WITH
  vendor AS (
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
      1
    FOR NO KEY UPDATE
  ),
  claim_outcome AS (
    SELECT
      CASE
        WHEN (
          (
            vendor.vendor_id IS NULL
            OR vendor.stripe_subscription_id IS NULL
          )
          AND NOT EXISTS (
            SELECT
              1
            FROM
              vendor_add_ons
            WHERE
              stripe_subscription_id = $6::varchar
          )
        ) THEN 'processing'
        WHEN vendor.vendor_id IS NULL THEN 'ignored'
        WHEN $5::boolean THEN 'needs_attention'
        ELSE 'processed'
      END AS status,
      CASE
        WHEN (
          (
            vendor.vendor_id IS NULL
            OR vendor.stripe_subscription_id IS NULL
          )
          AND NOT EXISTS (
            SELECT
              1
            FROM
              vendor_add_ons
            WHERE
              stripe_subscription_id = $6::varchar
          )
        ) THEN $7::text
        WHEN vendor.vendor_id IS NULL THEN $8::text
        WHEN $5::boolean THEN $9::text
        WHEN $10::boolean
        AND EXISTS (
          SELECT
            1
          FROM
            billing_history
          WHERE
            stripe_invoice_id = $4::varchar
            AND status = 'paid'
        ) THEN $11::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor ON true
  ),
  ledger_claim AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $13::varchar,
      $14::varchar,
      claim_outcome.status,
      1,
      left(claim_outcome.note, 2000),
      $15::jsonb,
      $16::timestamptz,
      $12::timestamptz,
      CASE
        WHEN claim_outcome.status = 'failed' THEN NULL
        ELSE $12::timestamptz
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
        $17::boolean
        OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
      )
    RETURNING
      status,
      error
  ),
  bill AS (
    INSERT INTO
      billing_history (
        vendor_id,
        stripe_invoice_id,
        stripe_subscription_id,
        invoice_number,
        invoice_date,
        due_date,
        total_cents,
        amount_paid_cents,
        currency,
        status,
        pdf_url,
        hosted_url,
        description,
        created_at,
        updated_at
      )
    SELECT
      vendor.vendor_id,
      $19::varchar,
      $20::varchar,
      $21::varchar,
      COALESCE($22::timestamptz, $18::timestamptz),
      $23::timestamptz,
      $24::int,
      $25::int,
      $26::varchar,
      $27::varchar,
      $28::text,
      $29::text,
      $30::text,
      $18::timestamptz,
      $18::timestamptz
    FROM
      vendor
    WHERE
      EXISTS (
        SELECT
          1
        FROM
          ledger_claim
        WHERE
          status = 'processed'
      )
    ON CONFLICT (stripe_invoice_id) DO UPDATE
    SET
      invoice_number = COALESCE(EXCLUDED.invoice_number, billing_history.invoice_number),
      due_date = EXCLUDED.due_date,
      total_cents = EXCLUDED.total_cents,
      amount_paid_cents = GREATEST(EXCLUDED.amount_paid_cents, billing_history.amount_paid_cents),
      status = CASE
        WHEN billing_history.status = 'paid' THEN 'paid'
        ELSE EXCLUDED.status
      END,
      pdf_url = COALESCE(EXCLUDED.pdf_url, billing_history.pdf_url),
      hosted_url = COALESCE(EXCLUDED.hosted_url, billing_history.hosted_url),
      updated_at = EXCLUDED.updated_at
    RETURNING
      status
  ),
  reported AS (
    INSERT INTO
      platform_events (type, vendor_id, data, dedupe_key)
    SELECT
      $31::varchar,
      vendor_row.vendor_id,
      $32::jsonb,
      $33::text
    FROM
      vendor AS vendor_row
    WHERE
      EXISTS (
        SELECT
          1
        FROM
          bill
        WHERE
          status <> 'paid'
      )
    ON CONFLICT (dedupe_key)
    WHERE
      dedupe_key IS NOT NULL DO NOTHING
  ),
  plan AS (
    UPDATE vendor_subscriptions AS plan_row
    SET
      past_due_since = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $35::timestamptz
          )
          AND plan_row.status IN ('trial', 'active', 'past_due')
        ) THEN COALESCE(plan_row.past_due_since, $34::timestamptz)
        ELSE plan_row.past_due_since
      END,
      status = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $35::timestamptz
          )
          AND plan_row.status IN ('trial', 'active', 'past_due')
        ) THEN 'past_due'
        ELSE plan_row.status
      END,
      payment_retry_count = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $35::timestamptz
          )
          AND plan_row.status IN ('trial', 'active', 'past_due')
        ) THEN $36::int
        ELSE plan_row.payment_retry_count
      END,
      stripe_watermark = CASE
        WHEN (
          (
            plan_row.stripe_watermark IS NULL
            OR plan_row.stripe_watermark <= $35::timestamptz
          )
          AND plan_row.status IN ('trial', 'active', 'past_due')
        )
        AND plan_row.status <> 'past_due' THEN GREATEST(plan_row.stripe_watermark, $35::timestamptz)
        ELSE plan_row.stripe_watermark
      END,
      observed_watermark = GREATEST(plan_row.observed_watermark, clock_timestamp()),
      updated_at = $34::timestamptz
    FROM
      vendor AS vendor_row
    WHERE
      plan_row.vendor_id = vendor_row.vendor_id
      AND vendor_row.stripe_subscription_id = $37::varchar
      AND EXISTS (
        SELECT
          1
        FROM
          bill
        WHERE
          status <> 'paid'
      )
  )
SELECT
  (
    SELECT
      json_build_object('wanted', claim_outcome.status, 'status', ledger_claim.status, 'note', ledger_claim.error)
    FROM
      claim_outcome
      LEFT JOIN ledger_claim ON true
  ) AS report;

-- InvoiceEventHandlers.handle (variant: an amount out of range: only the claim, needs_attention)
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
--   $4::varchar = e.g. 'in_1'
--   $5::boolean = e.g. true
--   $6::varchar = invoice subscription
--   $7::text = e.g. 'invoice in_1: subscription sub_1 is not linked yet; reading it fro...
--   $8::text = e.g. 'unknown customer cus_1 for invoice in_1'
--   $9::text = e.g. 'invoice in_1: total 1099511627776 is out of range'
--   $10::boolean = e.g. false
--   $11::text = e.g. 'invoice in_1 is already paid; the failure changes nothing'
--   $12::timestamptz = now
--   $13::varchar = event.id
--   $14::varchar = event.type
--   $15::jsonb = payload
--   $16::timestamptz = event.created
--   $17::boolean = replay
WITH
  vendor AS (
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
      1
    FOR NO KEY UPDATE
  ),
  claim_outcome AS (
    SELECT
      CASE
        WHEN (
          (
            vendor.vendor_id IS NULL
            OR vendor.stripe_subscription_id IS NULL
          )
          AND NOT EXISTS (
            SELECT
              1
            FROM
              vendor_add_ons
            WHERE
              stripe_subscription_id = $6::varchar
          )
        ) THEN 'processing'
        WHEN vendor.vendor_id IS NULL THEN 'ignored'
        WHEN $5::boolean THEN 'needs_attention'
        ELSE 'processed'
      END AS status,
      CASE
        WHEN (
          (
            vendor.vendor_id IS NULL
            OR vendor.stripe_subscription_id IS NULL
          )
          AND NOT EXISTS (
            SELECT
              1
            FROM
              vendor_add_ons
            WHERE
              stripe_subscription_id = $6::varchar
          )
        ) THEN $7::text
        WHEN vendor.vendor_id IS NULL THEN $8::text
        WHEN $5::boolean THEN $9::text
        WHEN $10::boolean
        AND EXISTS (
          SELECT
            1
          FROM
            billing_history
          WHERE
            stripe_invoice_id = $4::varchar
            AND status = 'paid'
        ) THEN $11::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor ON true
  ),
  ledger_claim AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $13::varchar,
      $14::varchar,
      claim_outcome.status,
      1,
      left(claim_outcome.note, 2000),
      $15::jsonb,
      $16::timestamptz,
      $12::timestamptz,
      CASE
        WHEN claim_outcome.status = 'failed' THEN NULL
        ELSE $12::timestamptz
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
        $17::boolean
        OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
      )
    RETURNING
      status,
      error
  )
SELECT
  (
    SELECT
      json_build_object('wanted', claim_outcome.status, 'status', ledger_claim.status, 'note', ledger_claim.error)
    FROM
      claim_outcome
      LEFT JOIN ledger_claim ON true
  ) AS report;
