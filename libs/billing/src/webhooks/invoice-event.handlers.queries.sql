-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- InvoiceEventHandlers.handle (variant: invoice.paid of a subscription)
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
--   $4::varchar = e.g. 'in_1'
--   $5::boolean = e.g. false
--   $6::text = e.g. 'unknown customer cus_1 for invoice in_1'
--   $7::text = e.g. null
--   $8::boolean = e.g. false
--   $9::text = e.g. 'invoice in_1 is already paid; the failure changes nothing'
--   $10::timestamptz = now
--   $11::varchar = event.id
--   $12::varchar = event.type
--   $13::jsonb = payload
--   $14::timestamptz = event.created
--   $15::boolean = replay
--   $16::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $17::varchar = e.g. 'in_1'
--   $18::varchar = e.g. 'sub_1'
--   $19::varchar = e.g. 'INV-1'
--   $20::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $21::timestamptz = e.g. null
--   $22::int = e.g. 4900
--   $23::int = e.g. 4900
--   $24::varchar = e.g. 'eur'
--   $25::varchar = e.g. 'paid'
--   $26::text = e.g. null
--   $27::text = e.g. null
--   $28::text = e.g. 'Business'
--   $29::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $30::timestamptz = e.g. 2026-04-01T00:00:00.000Z
--   $31::int = e.g. 4900
--   $32::timestamptz = e.g. 2026-03-01T00:05:00.000Z
--   $33::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $34::varchar = e.g. 'sub_1'
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
        WHEN vendor.vendor_id IS NULL THEN 'ignored'
        WHEN $5::boolean THEN 'needs_attention'
        ELSE 'processed'
      END AS status,
      CASE
        WHEN vendor.vendor_id IS NULL THEN $6::text
        WHEN $5::boolean THEN $7::text
        WHEN $8::boolean
        AND EXISTS (
          SELECT
            1
          FROM
            billing_history
          WHERE
            stripe_invoice_id = $4::varchar
            AND status = 'paid'
        ) THEN $9::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor ON true
  ),
  claimed AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $11::varchar,
      $12::varchar,
      o.status,
      1,
      left(o.note, 2000),
      $13::jsonb,
      $14::timestamptz,
      $10::timestamptz,
      CASE
        WHEN o.status = 'failed' THEN NULL
        ELSE $10::timestamptz
      END
    FROM
      claim_outcome AS o
    WHERE
      o.status IS NOT NULL
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
        $15::boolean
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
      $17::varchar,
      $18::varchar,
      $19::varchar,
      COALESCE($20::timestamptz, $16::timestamptz),
      $21::timestamptz,
      $22::int,
      $23::int,
      $24::varchar,
      $25::varchar,
      $26::text,
      $27::text,
      $28::text,
      $16::timestamptz,
      $16::timestamptz
    FROM
      vendor
    WHERE
      EXISTS (
        SELECT
          1
        FROM
          claimed
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
    UPDATE vendor_subscriptions s
    SET
      status = CASE
        WHEN (
          s.status IN ('past_due', 'active')
          OR (
            s.status = 'trial'
            AND $31::int > 0
          )
        ) THEN 'active'
        ELSE s.status
      END,
      past_due_since = CASE
        WHEN (
          s.status IN ('past_due', 'active')
          OR (
            s.status = 'trial'
            AND $31::int > 0
          )
        ) THEN NULL
        ELSE s.past_due_since
      END,
      payment_retry_count = 0,
      has_payment_method = s.has_payment_method
      OR $31::int > 0,
      last_payment_at = GREATEST(s.last_payment_at, $32::timestamptz),
      orders_this_period = CASE
        WHEN $29::timestamptz > s.period_start THEN 0
        ELSE s.orders_this_period
      END,
      period_end = CASE
        WHEN $29::timestamptz > s.period_start THEN COALESCE(
          $30::timestamptz,
          CASE
            WHEN s.is_annual THEN $29::timestamptz + interval '1 year'
            ELSE $29::timestamptz + interval '1 month'
          END
        )
        ELSE s.period_end
      END,
      period_start = CASE
        WHEN $29::timestamptz > s.period_start THEN $29::timestamptz
        ELSE s.period_start
      END,
      updated_at = $33::timestamptz
    FROM
      vendor AS v
    WHERE
      s.vendor_id = v.vendor_id
      AND s.stripe_subscription_id = $34::varchar
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
      json_build_object('wanted', o.status, 'status', c.status, 'note', c.error)
    FROM
      claim_outcome AS o
      LEFT JOIN claimed AS c ON true
  ) AS report;

-- InvoiceEventHandlers.handle (variant: invoice.paid without a subscription)
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
--   $4::varchar = e.g. 'in_1'
--   $5::boolean = e.g. false
--   $6::text = e.g. 'unknown customer cus_1 for invoice in_1'
--   $7::text = e.g. null
--   $8::boolean = e.g. false
--   $9::text = e.g. 'invoice in_1 is already paid; the failure changes nothing'
--   $10::timestamptz = now
--   $11::varchar = event.id
--   $12::varchar = event.type
--   $13::jsonb = payload
--   $14::timestamptz = event.created
--   $15::boolean = replay
--   $16::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $17::varchar = e.g. 'in_1'
--   $18::varchar = e.g. null
--   $19::varchar = e.g. 'INV-1'
--   $20::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $21::timestamptz = e.g. null
--   $22::int = e.g. 4900
--   $23::int = e.g. 4900
--   $24::varchar = e.g. 'eur'
--   $25::varchar = e.g. 'paid'
--   $26::text = e.g. null
--   $27::text = e.g. null
--   $28::text = e.g. 'Business'
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
        WHEN vendor.vendor_id IS NULL THEN 'ignored'
        WHEN $5::boolean THEN 'needs_attention'
        ELSE 'processed'
      END AS status,
      CASE
        WHEN vendor.vendor_id IS NULL THEN $6::text
        WHEN $5::boolean THEN $7::text
        WHEN $8::boolean
        AND EXISTS (
          SELECT
            1
          FROM
            billing_history
          WHERE
            stripe_invoice_id = $4::varchar
            AND status = 'paid'
        ) THEN $9::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor ON true
  ),
  claimed AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $11::varchar,
      $12::varchar,
      o.status,
      1,
      left(o.note, 2000),
      $13::jsonb,
      $14::timestamptz,
      $10::timestamptz,
      CASE
        WHEN o.status = 'failed' THEN NULL
        ELSE $10::timestamptz
      END
    FROM
      claim_outcome AS o
    WHERE
      o.status IS NOT NULL
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
        $15::boolean
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
      $17::varchar,
      $18::varchar,
      $19::varchar,
      COALESCE($20::timestamptz, $16::timestamptz),
      $21::timestamptz,
      $22::int,
      $23::int,
      $24::varchar,
      $25::varchar,
      $26::text,
      $27::text,
      $28::text,
      $16::timestamptz,
      $16::timestamptz
    FROM
      vendor
    WHERE
      EXISTS (
        SELECT
          1
        FROM
          claimed
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
      json_build_object('wanted', o.status, 'status', c.status, 'note', c.error)
    FROM
      claim_outcome AS o
      LEFT JOIN claimed AS c ON true
  ) AS report;

-- InvoiceEventHandlers.handle (variant: invoice.payment_failed of a subscription)
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
--   $4::varchar = e.g. 'in_1'
--   $5::boolean = e.g. false
--   $6::text = e.g. 'unknown customer cus_1 for invoice in_1'
--   $7::text = e.g. null
--   $8::boolean = e.g. true
--   $9::text = e.g. 'invoice in_1 is already paid; the failure changes nothing'
--   $10::timestamptz = now
--   $11::varchar = event.id
--   $12::varchar = event.type
--   $13::jsonb = payload
--   $14::timestamptz = event.created
--   $15::boolean = replay
--   $16::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $17::varchar = e.g. 'in_1'
--   $18::varchar = e.g. 'sub_1'
--   $19::varchar = e.g. 'INV-1'
--   $20::timestamptz = e.g. 2026-03-01T00:00:00.000Z
--   $21::timestamptz = e.g. null
--   $22::int = e.g. 4900
--   $23::int = e.g. 0
--   $24::varchar = e.g. 'eur'
--   $25::varchar = e.g. 'open'
--   $26::text = e.g. null
--   $27::text = e.g. null
--   $28::text = e.g. 'Business'
--   $29::varchar = type
--   $30::jsonb = data
--   $31::text = dedupe_key
--   $32::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $33::int = e.g. 1
--   $34::varchar = e.g. 'sub_1'
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
        WHEN vendor.vendor_id IS NULL THEN 'ignored'
        WHEN $5::boolean THEN 'needs_attention'
        ELSE 'processed'
      END AS status,
      CASE
        WHEN vendor.vendor_id IS NULL THEN $6::text
        WHEN $5::boolean THEN $7::text
        WHEN $8::boolean
        AND EXISTS (
          SELECT
            1
          FROM
            billing_history
          WHERE
            stripe_invoice_id = $4::varchar
            AND status = 'paid'
        ) THEN $9::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor ON true
  ),
  claimed AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $11::varchar,
      $12::varchar,
      o.status,
      1,
      left(o.note, 2000),
      $13::jsonb,
      $14::timestamptz,
      $10::timestamptz,
      CASE
        WHEN o.status = 'failed' THEN NULL
        ELSE $10::timestamptz
      END
    FROM
      claim_outcome AS o
    WHERE
      o.status IS NOT NULL
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
        $15::boolean
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
      $17::varchar,
      $18::varchar,
      $19::varchar,
      COALESCE($20::timestamptz, $16::timestamptz),
      $21::timestamptz,
      $22::int,
      $23::int,
      $24::varchar,
      $25::varchar,
      $26::text,
      $27::text,
      $28::text,
      $16::timestamptz,
      $16::timestamptz
    FROM
      vendor
    WHERE
      EXISTS (
        SELECT
          1
        FROM
          claimed
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
      $29::varchar,
      v.vendor_id,
      $30::jsonb,
      $31::text
    FROM
      vendor AS v
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
    UPDATE vendor_subscriptions s
    SET
      past_due_since = CASE
        WHEN s.status IN ('trial', 'active', 'past_due') THEN COALESCE(s.past_due_since, $32::timestamptz)
        ELSE s.past_due_since
      END,
      status = CASE
        WHEN s.status IN ('trial', 'active', 'past_due') THEN 'past_due'
        ELSE s.status
      END,
      payment_retry_count = $33::int,
      updated_at = $32::timestamptz
    FROM
      vendor AS v
    WHERE
      s.vendor_id = v.vendor_id
      AND s.stripe_subscription_id = $34::varchar
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
      json_build_object('wanted', o.status, 'status', c.status, 'note', c.error)
    FROM
      claim_outcome AS o
      LEFT JOIN claimed AS c ON true
  ) AS report;

-- InvoiceEventHandlers.handle (variant: an amount out of range: only the claim, needs_attention)
-- parameters:
--   $1::int = metadata.vendor_id
--   $2::varchar = stripe_subscription_id
--   $3::varchar = stripe_customer_id
--   $4::varchar = e.g. 'in_1'
--   $5::boolean = e.g. true
--   $6::text = e.g. 'unknown customer cus_1 for invoice in_1'
--   $7::text = e.g. 'invoice in_1: total 1099511627776 is out of range'
--   $8::boolean = e.g. false
--   $9::text = e.g. 'invoice in_1 is already paid; the failure changes nothing'
--   $10::timestamptz = now
--   $11::varchar = event.id
--   $12::varchar = event.type
--   $13::jsonb = payload
--   $14::timestamptz = event.created
--   $15::boolean = replay
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
        WHEN vendor.vendor_id IS NULL THEN 'ignored'
        WHEN $5::boolean THEN 'needs_attention'
        ELSE 'processed'
      END AS status,
      CASE
        WHEN vendor.vendor_id IS NULL THEN $6::text
        WHEN $5::boolean THEN $7::text
        WHEN $8::boolean
        AND EXISTS (
          SELECT
            1
          FROM
            billing_history
          WHERE
            stripe_invoice_id = $4::varchar
            AND status = 'paid'
        ) THEN $9::text
      END AS note
    FROM
      (
        SELECT
          1
      ) AS one
      LEFT JOIN vendor ON true
  ),
  claimed AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $11::varchar,
      $12::varchar,
      o.status,
      1,
      left(o.note, 2000),
      $13::jsonb,
      $14::timestamptz,
      $10::timestamptz,
      CASE
        WHEN o.status = 'failed' THEN NULL
        ELSE $10::timestamptz
      END
    FROM
      claim_outcome AS o
    WHERE
      o.status IS NOT NULL
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
        $15::boolean
        OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
      )
    RETURNING
      status,
      error
  )
SELECT
  (
    SELECT
      json_build_object('wanted', o.status, 'status', c.status, 'note', c.error)
    FROM
      claim_outcome AS o
      LEFT JOIN claimed AS c ON true
  ) AS report;
