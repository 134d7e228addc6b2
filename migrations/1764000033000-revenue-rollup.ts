import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The revenue figures' rollup of the history of plan changes (CONTRACT §10: under a second at 100,000 vendors with
 * five years of changes), owned by libs/subscription beside `subscription_changes`.
 *
 * `revenue_vendor_months`: one row per vendor and UTC month in which the history has a row that moves a value —
 * the month's sum of those rows' deltas (`delta_cents`), the vendor's value at the month's end (`value_cents`: all
 * its deltas up to then) and whether it was paying at the end of some earlier month (`paid_before`). A row alone
 * therefore says how the vendor's value moved that month (from value − delta to value) and whether a move up from
 * zero is new or a reactivation: the figures' months are one grouped read of these rows (no running sums over every
 * vendor's history at read time), and the current month, which is still being written, is read from the history up
 * to now with its vendors' rows here for where they started the month.
 *
 * Kept by statement-level triggers on `subscription_changes` itself (AFTER INSERT / DELETE / UPDATE with
 * transition tables), not by its writers: whoever inserts history rows — the row-level triggers on a plan or an
 * add-on, a set-based job writing its own rows, the migration backfill — updates the rollup in the same statement
 * and transaction, and a rolled-back change leaves no trace. A statement's rows are applied as one set (a job's
 * thousands of rows cost one pass); rows that move no value (a trial starting or expiring) are skipped before any
 * query. Deletes matter: a scheduled end that a later change replaces is deleted from the history.
 *
 * A change at month m moves the vendor's month-end values from m on, so the apply recomputes that vendor's rows
 * from m (usually the current month's row alone, plus a scheduled end's row ahead). Two transactions changing one
 * vendor at once (its plan and an add-on) would each recompute from a stale read, so an apply first locks the
 * vendor's row in `revenue_vendors` (a row lock, not an advisory lock: a job's statement may change thousands of
 * vendors, more than the shared lock table holds), in vendor order, and reads after it. That row is taken after the
 * plan or add-on row its change already locked, like the rollup's own rows would be.
 *
 * A change that is the only one of its statement and has nothing after its month in the rollup (a plan change
 * now, each of a job's plan changes) moves one row or starts one from the row before: a few key reads.
 *
 * No foreign keys to `vendors`: a deleted vendor's history goes with it (its own cascade), and the delete trigger
 * takes the vendor's rollup rows to nothing with it (a TRUNCATE … CASCADE empties both tables through the history's
 * TRUNCATE trigger), so the check would only cost each new row a lookup (a job's thousands of rows each).
 *
 * `revenue_vendor_months_from_history()` is the rollup computed straight from the history: the backfill here, and
 * what the tests compare the kept rollup with.
 */
export class RevenueRollup1764000033000 implements MigrationInterface {
  name = 'RevenueRollup1764000033000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE revenue_vendors (
        vendor_id integer PRIMARY KEY
      )`);
    await q.query(`
      CREATE TABLE revenue_vendor_months (
        vendor_id   integer NOT NULL,
        -- The UTC month as subscription_changes.changed_month counts it (year × 12 + month − 1).
        month       integer NOT NULL,
        delta_cents integer NOT NULL,
        value_cents integer NOT NULL,
        paid_before boolean NOT NULL,
        PRIMARY KEY (vendor_id, month)
      )`);
    // Both reads take rows by month (the months: every row before the current one; now: the last thirteen months'
    // rows by vendor) with what they need, from this index alone.
    await q.query(`CREATE INDEX ix_revenue_vendor_months_month ON revenue_vendor_months (month) INCLUDE (vendor_id, delta_cents, value_cents, paid_before)`);
    // The figures read the history's rows of the current month (and of the months of 12 months and 30 days ago, up
    // to those times) by time with their vendor and values: from this index alone (it replaces the plain index on
    // changed_at).
    await q.query(`DROP INDEX ix_subscription_changes_changed_at`);
    await q.query(`
      CREATE INDEX ix_subscription_changes_changed_at ON subscription_changes (changed_at)
      INCLUDE (vendor_id, changed_month, value_before_cents, value_after_cents)`);
    // Trial conversion reads the plans' trial ends of the last 90 days: a few rows among all of that time's.
    await q.query(`
      CREATE INDEX ix_subscription_changes_trial_ends ON subscription_changes (changed_at) INCLUDE (vendor_id, status_after)
      WHERE vendor_add_on_id IS NULL AND status_before = 'trial'`);

    await q.query(`
      CREATE FUNCTION revenue_vendor_months_from_history()
      RETURNS TABLE (vendor_id integer, month integer, delta_cents integer, value_cents integer, paid_before boolean)
      LANGUAGE sql STABLE AS $$
        WITH vendor_month AS (
          SELECT c.vendor_id, c.changed_month AS month, sum(c.value_after_cents - c.value_before_cents)::int AS delta
            FROM subscription_changes c
           WHERE c.value_after_cents <> c.value_before_cents
           GROUP BY c.vendor_id, c.changed_month
        ),
        valued AS (
          SELECT v.vendor_id, v.month, v.delta, (sum(v.delta) OVER (PARTITION BY v.vendor_id ORDER BY v.month))::int AS value
            FROM vendor_month v
        )
        SELECT v.vendor_id, v.month, v.delta, v.value,
               COALESCE(bool_or(v.value > 0) OVER (PARTITION BY v.vendor_id ORDER BY v.month ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false)
          FROM valued v
      $$`);

    // Applies a set of history deltas (per vendor and month; p_may_insert false for deletes: a vendor's rollup rows
    // may already be gone with the vendor, and a removed row never needs a new month).
    await q.query(`
      CREATE FUNCTION revenue_vendor_months_apply(p_vendor_ids integer[], p_months integer[], p_deltas integer[], p_may_insert boolean)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        -- One writer per vendor at a time, in vendor order; the statements below read after it (READ COMMITTED).
        IF p_may_insert THEN
          INSERT INTO revenue_vendors (vendor_id) SELECT DISTINCT u.v FROM unnest(p_vendor_ids) AS u(v) ORDER BY u.v
          ON CONFLICT (vendor_id) DO UPDATE SET vendor_id = EXCLUDED.vendor_id WHERE false; -- locks, writes nothing
        ELSE
          PERFORM 1 FROM revenue_vendors WHERE vendor_id = ANY (p_vendor_ids) ORDER BY vendor_id FOR UPDATE;
        END IF;
        -- One statement (its parts touch different vendors). The changes per vendor and month; a vendor changed in one
        -- month with nothing after it in the rollup (a job's plan changes now, like a single change: \`simple\`) only
        -- moves that month's row, or starts it from the row before. The other vendors' rows from their earliest
        -- changed month on, with the changes added, are recomputed from the row before that month (the value then,
        -- and whether it or an earlier one was paid); only rows that differ are written.
        WITH vendor_change AS (
          SELECT c.vendor_id, c.month, c.delta,
                 count(*) OVER (PARTITION BY c.vendor_id) = 1
                 AND NOT EXISTS (SELECT 1 FROM revenue_vendor_months r WHERE r.vendor_id = c.vendor_id AND r.month > c.month) AS simple,
                 EXISTS (SELECT 1 FROM revenue_vendor_months r WHERE r.vendor_id = c.vendor_id AND r.month = c.month) AS present
            FROM (SELECT u.v AS vendor_id, u.m AS month, sum(u.d)::int AS delta FROM unnest(p_vendor_ids, p_months, p_deltas) AS u(v, m, d) GROUP BY u.v, u.m) c
        ),
        moved AS (
          UPDATE revenue_vendor_months r SET delta_cents = r.delta_cents + c.delta, value_cents = r.value_cents + c.delta
            FROM vendor_change c WHERE c.simple AND c.present AND r.vendor_id = c.vendor_id AND r.month = c.month
        ),
        started AS (
          INSERT INTO revenue_vendor_months (vendor_id, month, delta_cents, value_cents, paid_before)
          SELECT c.vendor_id, c.month, c.delta, COALESCE(b.value_cents, 0) + c.delta, COALESCE(b.paid_before OR b.value_cents > 0, false)
            FROM vendor_change c
            LEFT JOIN LATERAL (SELECT p.value_cents, p.paid_before FROM revenue_vendor_months p
                                WHERE p.vendor_id = c.vendor_id AND p.month < c.month ORDER BY p.month DESC LIMIT 1) b ON true
           WHERE c.simple AND NOT c.present AND p_may_insert
        ),
        change AS (SELECT c.vendor_id, c.month, c.delta FROM vendor_change c WHERE NOT c.simple),
        affected AS (SELECT c.vendor_id, min(c.month) AS from_month FROM change c GROUP BY c.vendor_id),
        existing AS (
          SELECT r.vendor_id, r.month, r.delta_cents, r.value_cents, r.paid_before
            FROM affected a JOIN revenue_vendor_months r ON r.vendor_id = a.vendor_id AND r.month >= a.from_month
        ),
        merged AS (
          SELECT COALESCE(e.vendor_id, c.vendor_id) AS vendor_id, COALESCE(e.month, c.month) AS month,
                 COALESCE(e.delta_cents, 0) + COALESCE(c.delta, 0) AS delta, e.month IS NOT NULL AS existed,
                 e.delta_cents AS old_delta, e.value_cents AS old_value, e.paid_before AS old_paid
            FROM existing e FULL JOIN change c ON c.vendor_id = e.vendor_id AND c.month = e.month
        ),
        start AS (
          SELECT a.vendor_id, COALESCE(b.value_cents, 0) AS value, COALESCE(b.paid, false) AS paid
            FROM affected a
            LEFT JOIN LATERAL (SELECT p.value_cents, p.paid_before OR p.value_cents > 0 AS paid FROM revenue_vendor_months p
                                WHERE p.vendor_id = a.vendor_id AND p.month < a.from_month ORDER BY p.month DESC LIMIT 1) b ON true
        ),
        valued AS (
          SELECT m.*, (s.value + sum(m.delta) OVER (PARTITION BY m.vendor_id ORDER BY m.month))::int AS value, s.paid AS start_paid
            FROM merged m JOIN start s ON s.vendor_id = m.vendor_id
           WHERE m.existed OR p_may_insert
        ),
        computed AS (
          SELECT v.*, v.start_paid OR COALESCE(bool_or(v.value > 0) OVER (PARTITION BY v.vendor_id ORDER BY v.month ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS paid_before
            FROM valued v
        )
        INSERT INTO revenue_vendor_months AS r (vendor_id, month, delta_cents, value_cents, paid_before)
        SELECT c.vendor_id, c.month, c.delta, c.value, c.paid_before FROM computed c
         WHERE NOT c.existed OR (c.old_delta, c.old_value, c.old_paid) IS DISTINCT FROM (c.delta, c.value, c.paid_before)
         ORDER BY c.vendor_id, c.month
        ON CONFLICT (vendor_id, month) DO UPDATE SET delta_cents = EXCLUDED.delta_cents, value_cents = EXCLUDED.value_cents, paid_before = EXCLUDED.paid_before;
        -- A month whose last moving history row was deleted (a scheduled end replaced) has no row, as if rebuilt.
        IF NOT p_may_insert THEN
          DELETE FROM revenue_vendor_months r
           USING (SELECT DISTINCT u.v, u.m FROM unnest(p_vendor_ids, p_months) AS u(v, m)) d
           WHERE r.vendor_id = d.v AND r.month = d.m AND r.delta_cents = 0
             AND NOT EXISTS (SELECT 1 FROM subscription_changes c WHERE c.vendor_id = d.v AND c.changed_month = d.m AND c.value_after_cents <> c.value_before_cents);
        END IF;
      END $$`);

    // The common case, a plan or add-on change now (one history row that moves a value, nothing after its month in
    // the rollup): that month's row moves by the delta, or starts from the row before it. A few key reads.
    await q.query(`
      CREATE FUNCTION revenue_vendor_months_add(p_vendor_id integer, p_month integer, p_delta integer) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO revenue_vendors (vendor_id) VALUES (p_vendor_id)
        ON CONFLICT (vendor_id) DO UPDATE SET vendor_id = EXCLUDED.vendor_id WHERE false; -- locks, writes nothing
        IF EXISTS (SELECT 1 FROM revenue_vendor_months WHERE vendor_id = p_vendor_id AND month > p_month) THEN
          PERFORM revenue_vendor_months_apply(ARRAY[p_vendor_id], ARRAY[p_month], ARRAY[p_delta], true);
          RETURN;
        END IF;
        UPDATE revenue_vendor_months SET delta_cents = delta_cents + p_delta, value_cents = value_cents + p_delta
         WHERE vendor_id = p_vendor_id AND month = p_month;
        IF NOT FOUND THEN
          INSERT INTO revenue_vendor_months (vendor_id, month, delta_cents, value_cents, paid_before)
          SELECT p_vendor_id, p_month, p_delta, COALESCE(b.value_cents, 0) + p_delta, COALESCE(b.paid_before OR b.value_cents > 0, false)
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (SELECT value_cents, paid_before FROM revenue_vendor_months
                                WHERE vendor_id = p_vendor_id AND month < p_month ORDER BY month DESC LIMIT 1) b ON true;
        END IF;
      END $$`);

    // The statement-level triggers: each statement's moving rows as one set. Three functions, one per transition
    // table shape (a function sees only its trigger's transition tables).
    await q.query(`
      CREATE FUNCTION revenue_vendor_months_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE n integer; v integer[]; m integer[]; d integer[];
      BEGIN
        SELECT count(*), array_agg(vendor_id), array_agg(changed_month), array_agg(value_after_cents - value_before_cents) INTO n, v, m, d
          FROM added WHERE value_after_cents <> value_before_cents;
        IF n = 1 THEN
          PERFORM revenue_vendor_months_add(v[1], m[1], d[1]);
        ELSIF n > 1 THEN
          PERFORM revenue_vendor_months_apply(v, m, d, true);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION revenue_vendor_months_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v integer[]; m integer[]; d integer[];
      BEGIN
        SELECT array_agg(vendor_id), array_agg(changed_month), array_agg(value_before_cents - value_after_cents) INTO v, m, d
          FROM removed WHERE value_after_cents <> value_before_cents;
        IF v IS NOT NULL THEN PERFORM revenue_vendor_months_apply(v, m, d, false); END IF;
        RETURN NULL;
      END $$`);
    // Nothing updates history rows today; if something does, its old rows count out and its new rows in.
    await q.query(`
      CREATE FUNCTION revenue_vendor_months_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE v integer[]; m integer[]; d integer[];
      BEGIN
        SELECT array_agg(x.vendor_id), array_agg(x.month), array_agg(x.delta) INTO v, m, d
          FROM (SELECT vendor_id, changed_month AS month, value_before_cents - value_after_cents AS delta FROM removed WHERE value_after_cents <> value_before_cents
                UNION ALL
                SELECT vendor_id, changed_month, value_after_cents - value_before_cents FROM added WHERE value_after_cents <> value_before_cents) x;
        IF v IS NOT NULL THEN PERFORM revenue_vendor_months_apply(v, m, d, true); END IF;
        IF EXISTS (SELECT 1 FROM removed) THEN
          DELETE FROM revenue_vendor_months r USING (SELECT DISTINCT vendor_id, changed_month FROM removed) o
           WHERE r.vendor_id = o.vendor_id AND r.month = o.changed_month AND r.delta_cents = 0
             AND NOT EXISTS (SELECT 1 FROM subscription_changes c WHERE c.vendor_id = o.vendor_id AND c.changed_month = o.changed_month AND c.value_after_cents <> c.value_before_cents);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION revenue_vendor_months_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- DELETE, not TRUNCATE: a TRUNCATE vendors … CASCADE is emptying these in the same statement, and a nested
        -- TRUNCATE of a table that statement holds is refused.
        DELETE FROM revenue_vendor_months;
        DELETE FROM revenue_vendors;
        RETURN NULL;
      END $$`);

    // Today's history, then the triggers (the migration runs in its own transaction).
    await q.query(`INSERT INTO revenue_vendors (vendor_id) SELECT DISTINCT vendor_id FROM subscription_changes WHERE value_after_cents <> value_before_cents`);
    await q.query(`INSERT INTO revenue_vendor_months SELECT * FROM revenue_vendor_months_from_history()`);
    await q.query(`
      CREATE TRIGGER trg_subscription_changes_revenue_insert AFTER INSERT ON subscription_changes
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION revenue_vendor_months_inserted()`);
    await q.query(`
      CREATE TRIGGER trg_subscription_changes_revenue_delete AFTER DELETE ON subscription_changes
      REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION revenue_vendor_months_deleted()`);
    await q.query(`
      CREATE TRIGGER trg_subscription_changes_revenue_update AFTER UPDATE ON subscription_changes
      REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION revenue_vendor_months_updated()`);
    await q.query(`
      CREATE TRIGGER trg_subscription_changes_revenue_truncate AFTER TRUNCATE ON subscription_changes
      FOR EACH STATEMENT EXECUTE FUNCTION revenue_vendor_months_truncated()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_subscription_changes_revenue_truncate ON subscription_changes`);
    await q.query(`DROP TRIGGER trg_subscription_changes_revenue_update ON subscription_changes`);
    await q.query(`DROP TRIGGER trg_subscription_changes_revenue_delete ON subscription_changes`);
    await q.query(`DROP TRIGGER trg_subscription_changes_revenue_insert ON subscription_changes`);
    await q.query(`DROP FUNCTION revenue_vendor_months_truncated()`);
    await q.query(`DROP FUNCTION revenue_vendor_months_updated()`);
    await q.query(`DROP FUNCTION revenue_vendor_months_deleted()`);
    await q.query(`DROP FUNCTION revenue_vendor_months_inserted()`);
    await q.query(`DROP FUNCTION revenue_vendor_months_add(integer, integer, integer)`);
    await q.query(`DROP FUNCTION revenue_vendor_months_apply(integer[], integer[], integer[], boolean)`);
    await q.query(`DROP FUNCTION revenue_vendor_months_from_history()`);
    await q.query(`DROP INDEX ix_subscription_changes_trial_ends`);
    await q.query(`DROP INDEX ix_subscription_changes_changed_at`);
    await q.query(`CREATE INDEX ix_subscription_changes_changed_at ON subscription_changes (changed_at)`);
    await q.query(`DROP TABLE revenue_vendor_months`);
    await q.query(`DROP TABLE revenue_vendors`);
  }
}
