-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- AddOnGrantService.recordCheckoutPurchase (variant: a domain add-on with its subscription)
-- parameters:
--   $1::timestamptz = e.g. 2027-03-15T11:00:00.000Z
--   $2::text = e.g. 'checkout session cs_1: unknown add-on "custom_domain"'
--   $3::text = e.g. 'checkout session cs_1: "shop.example.com" is not a valid domain'
--   $4::text = e.g. 'checkout session cs_1: the add-on "custom_domain" needs a domain a...
--   $5::text = e.g. 'checkout session cs_1: the domain shop.example.com is held by anot...
--   $6::text = e.g. 'checkout session cs_1: unknown vendor 7'
--   $7::text = e.g. 'add-on of checkout session cs_1 already exists'
--   $8::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $9::varchar = e.g. 'active'
--   $10::varchar = e.g. null
--   $11::varchar = e.g. 'shop.example.com'
--   $12::int = e.g. 1
--   $13::varchar = e.g. 'sub_addon_1'
--   $14::varchar = e.g. 'cs_1'
--   $15::timestamptz = e.g. 2026-03-15T11:00:00.000Z
--   $16::int = e.g. 7
--   $17::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $18::varchar = e.g. 'needs_attention'
--   $19::varchar = e.g. 'custom_domain'
--   $20::varchar = e.g. 'shop.example.com'
--   $21::int = e.g. 1
--   $22::varchar = e.g. 'sub_addon_1'
--   $23::varchar = e.g. 'cs_1'
--   $24::timestamptz = e.g. 2026-03-15T11:00:00.000Z
--   $25::int = e.g. 7
--   $26::int = metadata.vendor_id
--   $27::varchar = stripe_subscription_id
--   $28::varchar = stripe_customer_id
--   $29::varchar = metadata.addon_code
--   $30::varchar = domain_name
--   $31::int = vendor_id
--   $32::varchar = session.id
--   $33::boolean = e.g. false
--   $34::varchar = e.g. 'shop.example.com'
--   $35::timestamptz = now
--   $36::varchar = event.id
--   $37::varchar = event.type
--   $38::jsonb = payload
--   $39::timestamptz = event.created
--   $40::boolean = replay
--   $41::varchar = e.g. 'addon.needs_attention'
--   $42::text = e.g. 'custom_domain'
--   $43::text = e.g. 'shop.example.com'
--   $44::text = e.g. 'cs_1'
--   $45::text = e.g. 'addon.needs_attention:cs_1'
WITH
  vendor AS (
    SELECT
      vendor_id,
      stripe_subscription_id
    FROM
      vendor_subscriptions
    WHERE
      (
        vendor_id = $26::int
        OR stripe_subscription_id = $27::varchar
        OR stripe_customer_id = $28::varchar
      )
    ORDER BY
      (vendor_id = $26::int) IS TRUE DESC,
      (stripe_subscription_id = $27::varchar) IS TRUE DESC
    LIMIT
      1
    FOR NO KEY UPDATE
  ),
  product AS (
    SELECT
      id,
      billing_period,
      requires_domain
    FROM
      add_on_products
    WHERE
      code = $29::varchar
  ),
  addon_mine AS (
    SELECT
      id,
      status
    FROM
      vendor_add_ons
    WHERE
      stripe_checkout_session_id = $32::varchar
    FOR UPDATE
  ),
  addon_own_hold AS (
    SELECT
      id
    FROM
      vendor_add_ons
    WHERE
      vendor_id = $31::int
      AND add_on_product_id = (
        SELECT
          id
        FROM
          product
      )
      AND domain_name = $30::varchar
      AND status = 'pending'
    FOR UPDATE
  ),
  addon_target AS (
    SELECT
      COALESCE(
        (
          SELECT
            id
          FROM
            addon_mine
        ),
        (
          SELECT
            id
          FROM
            addon_own_hold
          LIMIT
            1
        )
      ) AS id
  ),
  addon_domain_held AS (
    SELECT
      $30::varchar IS NOT NULL
      AND EXISTS (
        SELECT
          1
        FROM
          vendor_add_ons
        WHERE
          domain_name = $30::varchar
          AND status IN ('pending', 'active')
          AND id IS DISTINCT FROM (
            SELECT
              id
            FROM
              addon_target
          )
      ) AS held
  ),
  addon_verdict AS (
    SELECT
      CASE
        WHEN NOT EXISTS (
          SELECT
            1
          FROM
            vendor
        ) THEN 'no_vendor'
        WHEN addon_mine.status NOT IN ('pending', 'needs_attention') THEN 'done'
        WHEN product.id IS NULL THEN 'unknown_add_on'
        WHEN $33::boolean THEN 'invalid_domain'
        WHEN product.requires_domain
        AND $34::varchar IS NULL THEN 'no_domain'
        WHEN addon_domain_held.held THEN 'domain_held'
        ELSE 'grant'
      END AS verdict
    FROM
      addon_domain_held
      LEFT JOIN addon_mine ON true
      LEFT JOIN product ON true
  ),
  claim_outcome AS (
    SELECT
      CASE verdict
        WHEN 'no_vendor' THEN 'ignored'
        WHEN 'done' THEN 'processed'
        WHEN 'grant' THEN 'processed'
        ELSE 'needs_attention'
      END AS status,
      CASE verdict
        WHEN 'no_vendor' THEN $6::text
        WHEN 'done' THEN $7::text
        WHEN 'grant' THEN NULL
        ELSE CASE (
            SELECT
              verdict
            FROM
              addon_verdict
          )
          WHEN 'unknown_add_on' THEN $2::text
          WHEN 'invalid_domain' THEN $3::text
          WHEN 'no_domain' THEN $4::text
          WHEN 'domain_held' THEN $5::text
        END
      END AS note
    FROM
      addon_verdict
  ),
  ledger_claim AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $36::varchar,
      $37::varchar,
      claim_outcome.status,
      1,
      left(claim_outcome.note, 2000),
      $38::jsonb,
      $39::timestamptz,
      $35::timestamptz,
      CASE
        WHEN claim_outcome.status = 'failed' THEN NULL
        ELSE $35::timestamptz
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
        $40::boolean
        OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
      )
    RETURNING
      status,
      error
  ),
  addon_granted_set AS (
    UPDATE vendor_add_ons
    SET
      status = $9::varchar,
      add_on_product_id = (
        (
          SELECT
            id
          FROM
            product
        )
      ),
      addon_code = COALESCE($10::varchar, addon_code),
      domain_name = $11::varchar,
      quantity = $12::int,
      stripe_subscription_id = $13::varchar,
      stripe_checkout_session_id = $14::varchar,
      period_start = $15::timestamptz,
      period_end = ($1::timestamptz),
      attention_reason = (NULL),
      hold_expires_at = NULL,
      updated_at = $8::timestamptz
    WHERE
      id = (
        SELECT
          id
        FROM
          addon_target
      )
      AND EXISTS (
        SELECT
          1
        FROM
          ledger_claim
        WHERE
          status = 'processed'
      )
      AND (
        SELECT
          verdict
        FROM
          addon_verdict
      ) = 'grant'
    RETURNING
      id
  ),
  addon_granted_new AS (
    INSERT INTO
      vendor_add_ons (
        vendor_id,
        add_on_product_id,
        addon_code,
        status,
        domain_name,
        quantity,
        stripe_subscription_id,
        stripe_checkout_session_id,
        period_start,
        period_end,
        attention_reason,
        created_at,
        updated_at
      )
    SELECT
      $16::int,
      (
        (
          SELECT
            id
          FROM
            product
        )
      ),
      $10::varchar,
      $9::varchar,
      $11::varchar,
      $12::int,
      $13::varchar,
      $14::varchar,
      $15::timestamptz,
      ($1::timestamptz),
      (NULL),
      $8::timestamptz,
      $8::timestamptz
    WHERE
      (
        SELECT
          id
        FROM
          addon_target
      ) IS NULL
      AND EXISTS (
        SELECT
          1
        FROM
          ledger_claim
        WHERE
          status = 'processed'
      )
      AND (
        SELECT
          verdict
        FROM
          addon_verdict
      ) = 'grant'
    RETURNING
      id
  ),
  addon_attention_set AS (
    UPDATE vendor_add_ons
    SET
      status = $18::varchar,
      add_on_product_id = (
        (
          SELECT
            id
          FROM
            product
        )
      ),
      addon_code = COALESCE($19::varchar, addon_code),
      domain_name = $20::varchar,
      quantity = $21::int,
      stripe_subscription_id = $22::varchar,
      stripe_checkout_session_id = $23::varchar,
      period_start = $24::timestamptz,
      period_end = ($1::timestamptz),
      attention_reason = (
        CASE (
            SELECT
              verdict
            FROM
              addon_verdict
          )
          WHEN 'unknown_add_on' THEN $2::text
          WHEN 'invalid_domain' THEN $3::text
          WHEN 'no_domain' THEN $4::text
          WHEN 'domain_held' THEN $5::text
        END
      ),
      hold_expires_at = NULL,
      updated_at = $17::timestamptz
    WHERE
      id = (
        SELECT
          id
        FROM
          addon_mine
      )
      AND EXISTS (
        SELECT
          1
        FROM
          ledger_claim
      )
      AND (
        SELECT
          verdict
        FROM
          addon_verdict
      ) NOT IN ('no_vendor', 'done', 'grant')
    RETURNING
      id
  ),
  addon_attention_new AS (
    INSERT INTO
      vendor_add_ons (
        vendor_id,
        add_on_product_id,
        addon_code,
        status,
        domain_name,
        quantity,
        stripe_subscription_id,
        stripe_checkout_session_id,
        period_start,
        period_end,
        attention_reason,
        created_at,
        updated_at
      )
    SELECT
      $25::int,
      (
        (
          SELECT
            id
          FROM
            product
        )
      ),
      $19::varchar,
      $18::varchar,
      $20::varchar,
      $21::int,
      $22::varchar,
      $23::varchar,
      $24::timestamptz,
      ($1::timestamptz),
      (
        CASE (
            SELECT
              verdict
            FROM
              addon_verdict
          )
          WHEN 'unknown_add_on' THEN $2::text
          WHEN 'invalid_domain' THEN $3::text
          WHEN 'no_domain' THEN $4::text
          WHEN 'domain_held' THEN $5::text
        END
      ),
      $17::timestamptz,
      $17::timestamptz
    WHERE
      (
        SELECT
          id
        FROM
          addon_mine
      ) IS NULL
      AND EXISTS (
        SELECT
          1
        FROM
          ledger_claim
      )
      AND (
        SELECT
          verdict
        FROM
          addon_verdict
      ) NOT IN ('no_vendor', 'done', 'grant')
    RETURNING
      id
  ),
  addon_reported AS (
    INSERT INTO
      platform_events (type, vendor_id, data, dedupe_key)
    SELECT
      $41::varchar,
      vendor_row.vendor_id,
      jsonb_build_object(
        'addon_code',
        $42::text,
        'domain_name',
        $43::text,
        'checkout_session_id',
        $44::text,
        'reason',
        (
          CASE (
              SELECT
                verdict
              FROM
                addon_verdict
            )
            WHEN 'unknown_add_on' THEN $2::text
            WHEN 'invalid_domain' THEN $3::text
            WHEN 'no_domain' THEN $4::text
            WHEN 'domain_held' THEN $5::text
          END
        )
      ),
      $45::text
    FROM
      (
        SELECT
          vendor_id
        FROM
          vendor
        WHERE
          EXISTS (
            SELECT
              1
            FROM
              ledger_claim
          )
          AND (
            SELECT
              verdict
            FROM
              addon_verdict
          ) NOT IN ('no_vendor', 'done', 'grant')
      ) AS vendor_row
    ON CONFLICT (dedupe_key)
    WHERE
      dedupe_key IS NOT NULL DO NOTHING
    RETURNING
      id
  )
SELECT
  (
    SELECT
      json_build_object('wanted', claim_outcome.status, 'status', ledger_claim.status, 'note', ledger_claim.error)
    FROM
      claim_outcome
      LEFT JOIN ledger_claim ON true
  ) AS report,
  (
    SELECT
      id
    FROM
      addon_attention_set
    UNION ALL
    SELECT
      id
    FROM
      addon_attention_new
    LIMIT
      1
  ) AS attention_id;

-- AddOnGrantService.recordCheckoutPurchase (variant: a one-off payment without a domain)
-- parameters:
--   $1::timestamptz = e.g. 2027-03-15T12:00:00.000Z
--   $2::timestamptz = e.g. 2026-04-15T12:00:00.000Z
--   $3::text = e.g. 'checkout session cs_1: unknown add-on "priority_support"'
--   $4::text = e.g. 'checkout session cs_1: "" is not a valid domain'
--   $5::text = e.g. 'checkout session cs_1: the add-on "priority_support" needs a domai...
--   $6::text = e.g. 'checkout session cs_1: the domain null is held by another vendor's...
--   $7::text = e.g. 'checkout session cs_1: unknown vendor 7'
--   $8::text = e.g. 'add-on of checkout session cs_1 already exists'
--   $9::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $10::varchar = e.g. 'active'
--   $11::varchar = e.g. null
--   $12::varchar = e.g. null
--   $13::int = e.g. 1
--   $14::varchar = e.g. null
--   $15::varchar = e.g. 'cs_1'
--   $16::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $17::int = e.g. 7
--   $18::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $19::varchar = e.g. 'needs_attention'
--   $20::varchar = e.g. 'priority_support'
--   $21::varchar = e.g. null
--   $22::int = e.g. 1
--   $23::varchar = e.g. null
--   $24::varchar = e.g. 'cs_1'
--   $25::timestamptz = e.g. 2026-03-15T12:00:00.000Z
--   $26::int = e.g. 7
--   $27::int = metadata.vendor_id
--   $28::varchar = stripe_subscription_id
--   $29::varchar = stripe_customer_id
--   $30::varchar = metadata.addon_code
--   $31::varchar = domain_name
--   $32::varchar = session.id
--   $33::boolean = e.g. false
--   $34::varchar = e.g. null
--   $35::timestamptz = now
--   $36::varchar = event.id
--   $37::varchar = event.type
--   $38::jsonb = payload
--   $39::timestamptz = event.created
--   $40::boolean = replay
--   $41::varchar = e.g. 'addon.needs_attention'
--   $42::text = e.g. 'priority_support'
--   $43::text = e.g. null
--   $44::text = e.g. 'cs_1'
--   $45::text = e.g. 'addon.needs_attention:cs_1'
WITH
  vendor AS (
    SELECT
      vendor_id,
      stripe_subscription_id
    FROM
      vendor_subscriptions
    WHERE
      (
        vendor_id = $27::int
        OR stripe_subscription_id = $28::varchar
        OR stripe_customer_id = $29::varchar
      )
    ORDER BY
      (vendor_id = $27::int) IS TRUE DESC,
      (stripe_subscription_id = $28::varchar) IS TRUE DESC
    LIMIT
      1
    FOR NO KEY UPDATE
  ),
  product AS (
    SELECT
      id,
      billing_period,
      requires_domain
    FROM
      add_on_products
    WHERE
      code = $30::varchar
  ),
  addon_mine AS (
    SELECT
      id,
      status
    FROM
      vendor_add_ons
    WHERE
      stripe_checkout_session_id = $32::varchar
    FOR UPDATE
  ),
  addon_own_hold AS (
    SELECT
      NULL::int AS id
    WHERE
      false
  ),
  addon_target AS (
    SELECT
      COALESCE(
        (
          SELECT
            id
          FROM
            addon_mine
        ),
        (
          SELECT
            id
          FROM
            addon_own_hold
          LIMIT
            1
        )
      ) AS id
  ),
  addon_domain_held AS (
    SELECT
      $31::varchar IS NOT NULL
      AND EXISTS (
        SELECT
          1
        FROM
          vendor_add_ons
        WHERE
          domain_name = $31::varchar
          AND status IN ('pending', 'active')
          AND id IS DISTINCT FROM (
            SELECT
              id
            FROM
              addon_target
          )
      ) AS held
  ),
  addon_verdict AS (
    SELECT
      CASE
        WHEN NOT EXISTS (
          SELECT
            1
          FROM
            vendor
        ) THEN 'no_vendor'
        WHEN addon_mine.status NOT IN ('pending', 'needs_attention') THEN 'done'
        WHEN product.id IS NULL THEN 'unknown_add_on'
        WHEN $33::boolean THEN 'invalid_domain'
        WHEN product.requires_domain
        AND $34::varchar IS NULL THEN 'no_domain'
        WHEN addon_domain_held.held THEN 'domain_held'
        ELSE 'grant'
      END AS verdict
    FROM
      addon_domain_held
      LEFT JOIN addon_mine ON true
      LEFT JOIN product ON true
  ),
  claim_outcome AS (
    SELECT
      CASE verdict
        WHEN 'no_vendor' THEN 'ignored'
        WHEN 'done' THEN 'processed'
        WHEN 'grant' THEN 'processed'
        ELSE 'needs_attention'
      END AS status,
      CASE verdict
        WHEN 'no_vendor' THEN $7::text
        WHEN 'done' THEN $8::text
        WHEN 'grant' THEN NULL
        ELSE CASE (
            SELECT
              verdict
            FROM
              addon_verdict
          )
          WHEN 'unknown_add_on' THEN $3::text
          WHEN 'invalid_domain' THEN $4::text
          WHEN 'no_domain' THEN $5::text
          WHEN 'domain_held' THEN $6::text
        END
      END AS note
    FROM
      addon_verdict
  ),
  ledger_claim AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $36::varchar,
      $37::varchar,
      claim_outcome.status,
      1,
      left(claim_outcome.note, 2000),
      $38::jsonb,
      $39::timestamptz,
      $35::timestamptz,
      CASE
        WHEN claim_outcome.status = 'failed' THEN NULL
        ELSE $35::timestamptz
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
        $40::boolean
        OR stripe_webhook_events.status NOT IN ('ignored', 'needs_attention')
      )
    RETURNING
      status,
      error
  ),
  addon_granted_set AS (
    UPDATE vendor_add_ons
    SET
      status = $10::varchar,
      add_on_product_id = (
        (
          SELECT
            id
          FROM
            product
        )
      ),
      addon_code = COALESCE($11::varchar, addon_code),
      domain_name = $12::varchar,
      quantity = $13::int,
      stripe_subscription_id = $14::varchar,
      stripe_checkout_session_id = $15::varchar,
      period_start = $16::timestamptz,
      period_end = (
        CASE
          WHEN (
            SELECT
              billing_period
            FROM
              product
          ) = 'year' THEN $1::timestamptz
          ELSE $2::timestamptz
        END
      ),
      attention_reason = (NULL),
      hold_expires_at = NULL,
      updated_at = $9::timestamptz
    WHERE
      id = (
        SELECT
          id
        FROM
          addon_target
      )
      AND EXISTS (
        SELECT
          1
        FROM
          ledger_claim
        WHERE
          status = 'processed'
      )
      AND (
        SELECT
          verdict
        FROM
          addon_verdict
      ) = 'grant'
    RETURNING
      id
  ),
  addon_granted_new AS (
    INSERT INTO
      vendor_add_ons (
        vendor_id,
        add_on_product_id,
        addon_code,
        status,
        domain_name,
        quantity,
        stripe_subscription_id,
        stripe_checkout_session_id,
        period_start,
        period_end,
        attention_reason,
        created_at,
        updated_at
      )
    SELECT
      $17::int,
      (
        (
          SELECT
            id
          FROM
            product
        )
      ),
      $11::varchar,
      $10::varchar,
      $12::varchar,
      $13::int,
      $14::varchar,
      $15::varchar,
      $16::timestamptz,
      (
        CASE
          WHEN (
            SELECT
              billing_period
            FROM
              product
          ) = 'year' THEN $1::timestamptz
          ELSE $2::timestamptz
        END
      ),
      (NULL),
      $9::timestamptz,
      $9::timestamptz
    WHERE
      (
        SELECT
          id
        FROM
          addon_target
      ) IS NULL
      AND EXISTS (
        SELECT
          1
        FROM
          ledger_claim
        WHERE
          status = 'processed'
      )
      AND (
        SELECT
          verdict
        FROM
          addon_verdict
      ) = 'grant'
    RETURNING
      id
  ),
  addon_attention_set AS (
    UPDATE vendor_add_ons
    SET
      status = $19::varchar,
      add_on_product_id = (
        (
          SELECT
            id
          FROM
            product
        )
      ),
      addon_code = COALESCE($20::varchar, addon_code),
      domain_name = $21::varchar,
      quantity = $22::int,
      stripe_subscription_id = $23::varchar,
      stripe_checkout_session_id = $24::varchar,
      period_start = $25::timestamptz,
      period_end = (
        CASE
          WHEN (
            SELECT
              billing_period
            FROM
              product
          ) = 'year' THEN $1::timestamptz
          ELSE $2::timestamptz
        END
      ),
      attention_reason = (
        CASE (
            SELECT
              verdict
            FROM
              addon_verdict
          )
          WHEN 'unknown_add_on' THEN $3::text
          WHEN 'invalid_domain' THEN $4::text
          WHEN 'no_domain' THEN $5::text
          WHEN 'domain_held' THEN $6::text
        END
      ),
      hold_expires_at = NULL,
      updated_at = $18::timestamptz
    WHERE
      id = (
        SELECT
          id
        FROM
          addon_mine
      )
      AND EXISTS (
        SELECT
          1
        FROM
          ledger_claim
      )
      AND (
        SELECT
          verdict
        FROM
          addon_verdict
      ) NOT IN ('no_vendor', 'done', 'grant')
    RETURNING
      id
  ),
  addon_attention_new AS (
    INSERT INTO
      vendor_add_ons (
        vendor_id,
        add_on_product_id,
        addon_code,
        status,
        domain_name,
        quantity,
        stripe_subscription_id,
        stripe_checkout_session_id,
        period_start,
        period_end,
        attention_reason,
        created_at,
        updated_at
      )
    SELECT
      $26::int,
      (
        (
          SELECT
            id
          FROM
            product
        )
      ),
      $20::varchar,
      $19::varchar,
      $21::varchar,
      $22::int,
      $23::varchar,
      $24::varchar,
      $25::timestamptz,
      (
        CASE
          WHEN (
            SELECT
              billing_period
            FROM
              product
          ) = 'year' THEN $1::timestamptz
          ELSE $2::timestamptz
        END
      ),
      (
        CASE (
            SELECT
              verdict
            FROM
              addon_verdict
          )
          WHEN 'unknown_add_on' THEN $3::text
          WHEN 'invalid_domain' THEN $4::text
          WHEN 'no_domain' THEN $5::text
          WHEN 'domain_held' THEN $6::text
        END
      ),
      $18::timestamptz,
      $18::timestamptz
    WHERE
      (
        SELECT
          id
        FROM
          addon_mine
      ) IS NULL
      AND EXISTS (
        SELECT
          1
        FROM
          ledger_claim
      )
      AND (
        SELECT
          verdict
        FROM
          addon_verdict
      ) NOT IN ('no_vendor', 'done', 'grant')
    RETURNING
      id
  ),
  addon_reported AS (
    INSERT INTO
      platform_events (type, vendor_id, data, dedupe_key)
    SELECT
      $41::varchar,
      vendor_row.vendor_id,
      jsonb_build_object(
        'addon_code',
        $42::text,
        'domain_name',
        $43::text,
        'checkout_session_id',
        $44::text,
        'reason',
        (
          CASE (
              SELECT
                verdict
              FROM
                addon_verdict
            )
            WHEN 'unknown_add_on' THEN $3::text
            WHEN 'invalid_domain' THEN $4::text
            WHEN 'no_domain' THEN $5::text
            WHEN 'domain_held' THEN $6::text
          END
        )
      ),
      $45::text
    FROM
      (
        SELECT
          vendor_id
        FROM
          vendor
        WHERE
          EXISTS (
            SELECT
              1
            FROM
              ledger_claim
          )
          AND (
            SELECT
              verdict
            FROM
              addon_verdict
          ) NOT IN ('no_vendor', 'done', 'grant')
      ) AS vendor_row
    ON CONFLICT (dedupe_key)
    WHERE
      dedupe_key IS NOT NULL DO NOTHING
    RETURNING
      id
  )
SELECT
  (
    SELECT
      json_build_object('wanted', claim_outcome.status, 'status', ledger_claim.status, 'note', ledger_claim.error)
    FROM
      claim_outcome
      LEFT JOIN ledger_claim ON true
  ) AS report,
  (
    SELECT
      id
    FROM
      addon_attention_set
    UNION ALL
    SELECT
      id
    FROM
      addon_attention_new
    LIMIT
      1
  ) AS attention_id;

-- AddOnGrantService.recordCheckoutPurchase (variant: ignored before anything is read: only the claim)
-- parameters:
--   $1::text = note
--   $2::timestamptz = now
--   $3::varchar = event.id
--   $4::varchar = event.type
--   $5::jsonb = payload
--   $6::timestamptz = event.created
--   $7::boolean = replay
WITH
  claim_outcome AS (
    SELECT
      'ignored'::varchar AS status,
      $1::text AS note
  ),
  ledger_claim AS (
    INSERT INTO
      stripe_webhook_events (event_id, type, status, attempts, error, payload, event_created_at, received_at, processed_at)
    SELECT
      $3::varchar,
      $4::varchar,
      claim_outcome.status,
      1,
      left(claim_outcome.note, 2000),
      $5::jsonb,
      $6::timestamptz,
      $2::timestamptz,
      CASE
        WHEN claim_outcome.status = 'failed' THEN NULL
        ELSE $2::timestamptz
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
        $7::boolean
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
