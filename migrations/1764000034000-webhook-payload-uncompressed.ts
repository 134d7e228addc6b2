import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The webhook ledger's `payload` (Stripe's event as received, about 2–3 kB of jsonb) is stored uncompressed
 * (STORAGE EXTERNAL: out of line in the TOAST table, as before, but not pglz-compressed first). Compressing it
 * was the most expensive part of recording an event: measured 2026-12-08 on 5,000 subscription events, the jsonb
 * input alone took 0.18 ms a row, the insert with pglz 0.58 ms, without it 0.25 ms (it compressed 2.6 kB to
 * 1.9 kB). Metadata only: rows written before stay as they are, no rewrite, no long lock.
 */
export class WebhookPayloadUncompressed1764000034000 implements MigrationInterface {
  name = 'WebhookPayloadUncompressed1764000034000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stripe_webhook_events ALTER COLUMN payload SET STORAGE EXTERNAL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stripe_webhook_events ALTER COLUMN payload SET STORAGE EXTENDED`);
  }
}
