-- Rendered by the spec beside this file from the code that composes these statements; do not edit.
-- Regenerate: npm run sql:render

-- PlatformEventWriter.record
-- parameters:
--   $1::int = vendor_id
--   $2::varchar = type
--   $3::jsonb = data
--   $4::text = dedupe_key
WITH
  vendor_lock AS (
    SELECT
      vendor_id
    FROM
      vendor_subscriptions
    WHERE
      vendor_id = $1::int
    FOR NO KEY UPDATE
  )
INSERT INTO
  platform_events (type, vendor_id, data, dedupe_key)
SELECT
  $2::varchar,
  vendor_row.vendor_id,
  $3::jsonb,
  $4::text
FROM
  (
    SELECT
      $1::int AS vendor_id
    FROM
      (
        SELECT
          count(*)
        FROM
          vendor_lock
      ) AS locked
  ) AS vendor_row
WHERE
  true
ON CONFLICT (dedupe_key)
WHERE
  dedupe_key IS NOT NULL DO NOTHING
RETURNING
  public_id;
