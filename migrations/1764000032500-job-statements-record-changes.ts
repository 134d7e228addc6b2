import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The set-based jobs write their own history and `subscription.updated` rows (issue 25), so the row-level triggers
 * that write them for every other writer (1764000011000, 1764000022000, 1764000025000) step aside for them.
 *
 * - `vb.changes_recorded = 'statement'` (transaction-local, `batchSettingsSql` in libs/database): the
 *   statements of this transaction write the history and the platform events of the plan changes they make
 *   themselves, in the same statement. Both triggers' WHEN clauses skip every row then, so PostgreSQL does not even
 *   queue a trigger event for them (a trigger call per row is what made a million-row job take 8–9 s, or a
 *   minute on a busy host). Only a job's batch sets it, for its one statement; unset, everything is as before.
 * - The history trigger's WHEN also leaves out renewals of plans that are not ending (only `period_end` moved,
 *   neither side `cancelled`): its function returned at its first line for exactly those rows, so nothing written
 *   changes, but `reset-period-counters` no longer pays a function call per renewed plan.
 */
const HISTORY_COLUMNS = `OLD.tier_code IS DISTINCT FROM NEW.tier_code OR OLD.status IS DISTINCT FROM NEW.status OR OLD.is_annual IS DISTINCT FROM NEW.is_annual
            OR OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end OR OLD.cancel_at IS DISTINCT FROM NEW.cancel_at`;
const EVENT_COLUMNS = `OLD.tier_code IS DISTINCT FROM NEW.tier_code OR OLD.status IS DISTINCT FROM NEW.status
            OR OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end OR OLD.cancel_at IS DISTINCT FROM NEW.cancel_at`;
const NOT_RECORDED = `current_setting('vb.changes_recorded', true) IS DISTINCT FROM 'statement'`;

function historyTrigger(skipRecorded: boolean): string {
  const when = skipRecorded
    ? `(${HISTORY_COLUMNS}
            OR (OLD.period_end IS DISTINCT FROM NEW.period_end AND (OLD.status = 'cancelled' OR NEW.status = 'cancelled')))
           AND ${NOT_RECORDED}`
    : `${HISTORY_COLUMNS}
            OR OLD.period_end IS DISTINCT FROM NEW.period_end`;
  return `
      CREATE TRIGGER trg_vendor_subscriptions_changes_update
      AFTER UPDATE OF tier_code, status, is_annual, cancel_at_period_end, cancel_at, period_end ON vendor_subscriptions
      FOR EACH ROW
      WHEN (${when})
      EXECUTE FUNCTION subscription_changes_record_plan()`;
}

function eventTrigger(skipRecorded: boolean): string {
  return `
      CREATE TRIGGER trg_vendor_subscriptions_platform_event
      AFTER UPDATE OF tier_code, status, cancel_at_period_end, cancel_at ON vendor_subscriptions
      FOR EACH ROW
      WHEN (${skipRecorded ? `(${EVENT_COLUMNS}) AND ${NOT_RECORDED}` : EVENT_COLUMNS})
      EXECUTE FUNCTION platform_events_subscription_updated()`;
}

export class JobStatementsRecordChanges1764000032500 implements MigrationInterface {
  name = 'JobStatementsRecordChanges1764000032500';

  async up(q: QueryRunner): Promise<void> {
    await this.replace(q, true);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.replace(q, false);
  }

  private async replace(q: QueryRunner, skipRecorded: boolean): Promise<void> {
    await q.query(`DROP TRIGGER trg_vendor_subscriptions_changes_update ON vendor_subscriptions`);
    await q.query(historyTrigger(skipRecorded));
    await q.query(`DROP TRIGGER trg_vendor_subscriptions_platform_event ON vendor_subscriptions`);
    await q.query(eventTrigger(skipRecorded));
  }
}
