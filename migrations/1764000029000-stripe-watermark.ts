import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `vendor_subscriptions.last_stripe_event_at` is renamed `stripe_watermark`: it is not when an event last came but
 * the watermark on Stripe's clock that every path writing Stripe's state moves forward (events, operation answers,
 * `/sync`, reconciliation: GREATEST of it and the stamp applied), and a state stamped before it is stale; beside it
 * `observed_watermark` is the same on our clock. A rename is
 * metadata only (no rewrite, a brief ACCESS EXCLUSIVE lock), but API processes of the previous release name the old
 * column: stop them before this runs (the deploy's migrate step), as for any rename.
 */
export class StripeWatermark1764000029000 implements MigrationInterface {
  name = 'StripeWatermark1764000029000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions RENAME COLUMN last_stripe_event_at TO stripe_watermark`);
    await renameInFunctions(q, 'last_stripe_event_at', 'stripe_watermark');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE vendor_subscriptions RENAME COLUMN stripe_watermark TO last_stripe_event_at`);
    await renameInFunctions(q, 'stripe_watermark', 'last_stripe_event_at');
  }
}

/**
 * A rename reaches views and constraints but not PL/pgSQL bodies, which name columns as text (the plan history's
 * trigger reads `OLD.last_stripe_event_at`): each function of this schema that names the old column is defined
 * again with the new name.
 */
async function renameInFunctions(q: QueryRunner, from: string, to: string): Promise<void> {
  await q.query(`
    DO $$
    DECLARE f oid;
    BEGIN
      FOR f IN SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema() AND p.prosrc LIKE '%${from}%' LOOP
        EXECUTE replace(pg_get_functiondef(f), '${from}', '${to}');
      END LOOP;
    END $$`);
}
