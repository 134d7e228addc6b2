import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `subscription.updated` (CONTRACT §9) follows every change of the cancellation, and a `cancel_at` set, moved or
 * cleared is one: the platform events' trigger (1764000011000) also fires on `cancel_at`, and the event's data
 * carries `cancel_at` (ISO, UTC; `previous.cancel_at` when it changed) whenever one is or was set. Without a
 * `cancel_at` before or after, the data is exactly as before (`{ tier_code, status, cancel_at_period_end, previous }`).
 * The function is replaced whole, with the same body plus the `cancel_at` part; `down` puts the original back.
 */
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

function functionSql(withCancelAt: boolean): string {
  const cancelAt = withCancelAt
    ? `
          || (CASE WHEN NEW.cancel_at IS NOT NULL OR OLD.cancel_at IS DISTINCT FROM NEW.cancel_at
                   THEN jsonb_build_object('cancel_at', to_char(NEW.cancel_at AT TIME ZONE 'UTC', ${ISO})) ELSE '{}'::jsonb END)`
    : '';
  const previousCancelAt = withCancelAt
    ? `
            || (CASE WHEN OLD.cancel_at IS DISTINCT FROM NEW.cancel_at
                     THEN jsonb_build_object('cancel_at', to_char(OLD.cancel_at AT TIME ZONE 'UTC', ${ISO})) ELSE '{}'::jsonb END)`
    : '';
  return `
      CREATE OR REPLACE FUNCTION platform_events_subscription_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO platform_events (type, vendor_id, data)
        VALUES ('subscription.updated', NEW.vendor_id, jsonb_build_object(
          'tier_code', NEW.tier_code, 'status', NEW.status, 'cancel_at_period_end', NEW.cancel_at_period_end,
          'previous',
            (CASE WHEN OLD.tier_code IS DISTINCT FROM NEW.tier_code THEN jsonb_build_object('tier_code', OLD.tier_code) ELSE '{}'::jsonb END)
            || (CASE WHEN OLD.status IS DISTINCT FROM NEW.status THEN jsonb_build_object('status', OLD.status) ELSE '{}'::jsonb END)
            || (CASE WHEN OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end
                     THEN jsonb_build_object('cancel_at_period_end', OLD.cancel_at_period_end) ELSE '{}'::jsonb END)${previousCancelAt})${cancelAt});
        RETURN NULL;
      END $$`;
}

function triggerSql(withCancelAt: boolean): string {
  return `
      CREATE TRIGGER trg_vendor_subscriptions_platform_event
      AFTER UPDATE OF tier_code, status, cancel_at_period_end${withCancelAt ? ', cancel_at' : ''} ON vendor_subscriptions
      FOR EACH ROW
      WHEN (OLD.tier_code IS DISTINCT FROM NEW.tier_code OR OLD.status IS DISTINCT FROM NEW.status
            OR OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end${withCancelAt ? ' OR OLD.cancel_at IS DISTINCT FROM NEW.cancel_at' : ''})
      EXECUTE FUNCTION platform_events_subscription_updated()`;
}

export class SubscriptionCancelAtEvent1764000025000 implements MigrationInterface {
  name = 'SubscriptionCancelAtEvent1764000025000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(functionSql(true));
    await q.query(`DROP TRIGGER trg_vendor_subscriptions_platform_event ON vendor_subscriptions`);
    await q.query(triggerSql(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_vendor_subscriptions_platform_event ON vendor_subscriptions`);
    await q.query(triggerSql(false));
    await q.query(functionSql(false));
  }
}
