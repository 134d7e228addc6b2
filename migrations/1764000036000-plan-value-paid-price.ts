import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The plan history values a plan at the price its vendor pays (CONTRACT §10's monthly value, §11's grandfathered
 * prices): `vendor_subscriptions.stripe_price_amount_cents` (the plan item's amount at Stripe, 1764000031000), the
 * tier's list price only where the row has none (a plan Stripe never billed: a trial before Checkout, a tier set by
 * hand). Before, a grandfathered vendor's next change (a cancellation, a failed payment) was valued at the tier's
 * new list price — an expansion nobody paid — and the migration's new price taking effect at Stripe (only the amount
 * moves) wrote no row at all, so MRR never rose with it.
 *
 * - `subscription_changes_record_plan()` reads the amount (a change of it alone is a change of plan, listed as
 *   `stripe_price_amount_cents` in `changed` when the tier and interval stay: another tier's price is the tier
 *   change's); the jobs' set-based statements compute the same (plan-changes.sql.ts).
 * - The history trigger also fires on `stripe_price_amount_cents`; its WHEN keeps 1764000032500's rules (renewals of
 *   plans that are not ending queue nothing; a job's statement that records its own rows is skipped).
 * `down` restores both as 1764000022000 and 1764000032500 left them.
 */
const listPrice = (row: string, tier: string) => `CASE WHEN ${row}.is_annual THEN ${tier}.price_annual_cents ELSE ${tier}.price_monthly_cents END`;

function recordPlanFunction(paid: boolean): string {
  const price = (row: string, tier: string) => (paid ? `COALESCE(${row}.stripe_price_amount_cents, ${listPrice(row, tier)})` : listPrice(row, tier));
  return `
      CREATE OR REPLACE FUNCTION subscription_changes_record_plan() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        at timestamptz := CASE WHEN TG_OP = 'UPDATE' AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN now() ELSE COALESCE(NEW.updated_at, now()) END;
        old_value integer := 0;
        value_after integer;
        what text[] := ARRAY['created'];
        cause text := NULLIF(current_setting('vb.change_cause', true), '');
      BEGIN
        -- A renewal (only the period moved) of a plan that is not ending is not a change of plan: its value does not
        -- depend on the period. Decided before any query (a job renews thousands of plans).
        IF TG_OP = 'UPDATE' AND NEW.status <> 'cancelled' AND OLD.status <> 'cancelled' AND OLD.tier_code = NEW.tier_code
           AND OLD.status = NEW.status AND OLD.is_annual = NEW.is_annual AND OLD.cancel_at_period_end = NEW.cancel_at_period_end
           AND OLD.cancel_at IS NOT DISTINCT FROM NEW.cancel_at${paid ? ' AND OLD.stripe_price_amount_cents IS NOT DISTINCT FROM NEW.stripe_price_amount_cents' : ''} THEN
          RETURN NULL;
        END IF;
        -- Both values in one query (a job changes thousands of rows: each query per row counts).
        SELECT monthly_value_cents(NEW.status, ${price('NEW', 'n')}, NEW.is_annual, 1, NEW.period_end, at),
               CASE WHEN TG_OP = 'UPDATE'
                    THEN monthly_value_cents(OLD.status, ${price('OLD', 'o')}, OLD.is_annual, 1, OLD.period_end, at)
                    ELSE 0 END
          INTO value_after, old_value
          FROM (SELECT 1) AS one LEFT JOIN subscription_tiers n ON n.code = NEW.tier_code
               LEFT JOIN subscription_tiers o ON TG_OP = 'UPDATE' AND o.code = OLD.tier_code;
        IF TG_OP = 'UPDATE' THEN
          what := array_remove(ARRAY[
            CASE WHEN OLD.tier_code IS DISTINCT FROM NEW.tier_code THEN 'tier_code' END,
            CASE WHEN OLD.status IS DISTINCT FROM NEW.status THEN 'status' END,
            CASE WHEN OLD.is_annual IS DISTINCT FROM NEW.is_annual THEN 'is_annual' END,
            CASE WHEN OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end THEN 'cancel_at_period_end' END,
            CASE WHEN OLD.cancel_at IS DISTINCT FROM NEW.cancel_at THEN 'cancel_at' END,
            CASE WHEN OLD.period_end IS DISTINCT FROM NEW.period_end THEN 'period_end' END${paid ? `,
            CASE WHEN OLD.stripe_price_amount_cents IS DISTINCT FROM NEW.stripe_price_amount_cents AND OLD.tier_code = NEW.tier_code
                      AND OLD.is_annual = NEW.is_annual THEN 'stripe_price_amount_cents' END` : ''}], NULL);
          -- A renewal (only the period moved) of a plan that is not ending is not a change of plan, nor is an amount
          -- first written that the plan was already valued at.
          IF old_value = value_after AND what <@ ARRAY['period_end'${paid ? ", 'stripe_price_amount_cents'" : ''}] AND NEW.status <> 'cancelled' THEN
            RETURN NULL;
          END IF;
          cause := COALESCE(cause, CASE WHEN OLD.stripe_watermark IS DISTINCT FROM NEW.stripe_watermark
                                             OR OLD.observed_watermark IS DISTINCT FROM NEW.observed_watermark THEN 'stripe' ELSE 'system' END);
        END IF;
        -- Worth nothing before (a trial, an expired plan, a cancelled one past its end: what the jobs change), the plan
        -- was worth nothing in the history too and has no scheduled end ahead (one exists only while a cancelled plan
        -- still counts): its row is written at once, without reading the history.
        IF old_value = 0 THEN
          INSERT INTO subscription_changes (vendor_id, vendor_add_on_id, changed_at, changed, item_code, status_before, status_after,
                                            is_annual, value_before_cents, value_after_cents, value_until, cause)
          VALUES (NEW.vendor_id, NULL, at, what, NEW.tier_code, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, NEW.is_annual,
                  0, value_after, CASE WHEN NEW.status = 'cancelled' THEN NEW.period_end END, COALESCE(cause, 'signup'));
          IF value_after > 0 AND NEW.status = 'cancelled' AND NEW.period_end > at THEN
            INSERT INTO subscription_changes (vendor_id, vendor_add_on_id, changed_at, changed, item_code, status_before, status_after,
                                              is_annual, value_before_cents, value_after_cents, value_until, cause, scheduled)
            VALUES (NEW.vendor_id, NULL, NEW.period_end, ARRAY['ended'], NEW.tier_code, NEW.status, NEW.status, NEW.is_annual,
                    value_after, 0, NEW.period_end, COALESCE(cause, 'signup'), true);
          END IF;
          RETURN NULL;
        END IF;
        PERFORM subscription_changes_record(NEW.vendor_id, NULL, at, what, NEW.tier_code, CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
                  NEW.status, NEW.is_annual, value_after, CASE WHEN NEW.status = 'cancelled' THEN NEW.period_end END, COALESCE(cause, 'signup'));
        RETURN NULL;
      END $$`;
}

const HISTORY_COLUMNS = `OLD.tier_code IS DISTINCT FROM NEW.tier_code OR OLD.status IS DISTINCT FROM NEW.status OR OLD.is_annual IS DISTINCT FROM NEW.is_annual
            OR OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end OR OLD.cancel_at IS DISTINCT FROM NEW.cancel_at`;

function historyTrigger(paid: boolean): string {
  return `
      CREATE TRIGGER trg_vendor_subscriptions_changes_update
      AFTER UPDATE OF tier_code, status, is_annual, cancel_at_period_end, cancel_at, period_end${paid ? ', stripe_price_amount_cents' : ''} ON vendor_subscriptions
      FOR EACH ROW
      WHEN ((${HISTORY_COLUMNS}${paid ? `
            OR OLD.stripe_price_amount_cents IS DISTINCT FROM NEW.stripe_price_amount_cents` : ''}
            OR (OLD.period_end IS DISTINCT FROM NEW.period_end AND (OLD.status = 'cancelled' OR NEW.status = 'cancelled')))
           AND current_setting('vb.changes_recorded', true) IS DISTINCT FROM 'statement')
      EXECUTE FUNCTION subscription_changes_record_plan()`;
}

export class PlanValuePaidPrice1764000036000 implements MigrationInterface {
  name = 'PlanValuePaidPrice1764000036000';

  async up(q: QueryRunner): Promise<void> {
    await this.replace(q, true);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.replace(q, false);
  }

  private async replace(q: QueryRunner, paid: boolean): Promise<void> {
    await q.query(recordPlanFunction(paid));
    await q.query(`DROP TRIGGER trg_vendor_subscriptions_changes_update ON vendor_subscriptions`);
    await q.query(historyTrigger(paid));
  }
}
