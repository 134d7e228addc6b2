import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The history of plan changes that revenue figures come from (CONTRACT §10), owned by libs/subscription.
 *
 * `subscription_changes`: one row per change of a vendor's plan (`vendor_add_on_id` null) or of one of its add-ons:
 * when (`changed_at`, the writer's clock: the row's new `updated_at`), what changed (`changed`: the columns, or
 * `created` / `backfill` / `ended`), the state after (`item_code`, `status_*`, `is_annual`), the monthly value before and
 * after in cents, until when the value after counts (`value_until`: a cancelled plan counts until its period's
 * end, with no further write; a cancelled add-on until its period's end or its cancellation, whichever is first —
 * an add-on's Stripe subscription is cancelled at once), and the cause. Such an end is written with the change as a
 * `scheduled` row at that time (value after 0), so the figures are sums of each row's delta and nothing else; a
 * change of the item before that time deletes it (it never happened).
 *
 * `monthly_value_cents` is the one copy of the rule "what is this worth a month" (a spec checks that
 * libs/subscription's `monthlyValueCents`, which documents it for readers, agrees with it on every case).
 *
 * Written by row-level triggers, not by each writer. Why: a change must be recorded whatever made it — an
 * operation's answer, a webhook's one statement, /sync, reconciliation, an admin action, a set-based job — in the
 * same transaction, and vanish with it if it rolls back; a trigger cannot be forgotten by the next writer. They are
 * row-level with `UPDATE OF <plan columns>` and a WHEN clause because a statement-level trigger with transition
 * tables may not name columns: it would run (and capture both tables) on every limit claim, the hottest statement
 * there is, whereas PostgreSQL never calls these for the counter updates. A job that changes thousands of plans
 * pays one small INSERT per changed row, as the `subscription.updated` trigger beside it already does.
 *
 * The cause is `vb.change_cause` when the transaction set it (`set_config('vb.change_cause', 'admin', true)`:
 * transaction-local, nothing left on a pooled session); otherwise what the row itself shows: `stripe` when a
 * Stripe watermark moved (`last_stripe_event_at`, `observed_watermark`: the state is Stripe's, brought by a webhook,
 * an operation's answer or a sync), `signup` for a new plan, else `system`.
 */
export class SubscriptionChanges1764000022000 implements MigrationInterface {
  name = 'SubscriptionChanges1764000022000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE subscription_changes (
        id                 bigserial    PRIMARY KEY,
        vendor_id          integer      NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
        vendor_add_on_id   integer,
        changed_at         timestamptz  NOT NULL,
        changed            text[]       NOT NULL,
        item_code          varchar(64)  NOT NULL,
        status_before      varchar(16),
        status_after       varchar(16)  NOT NULL,
        is_annual          boolean      NOT NULL,
        value_before_cents integer      NOT NULL CHECK (value_before_cents >= 0),
        value_after_cents  integer      NOT NULL CHECK (value_after_cents >= 0),
        value_until        timestamptz,
        cause              varchar(16)  NOT NULL,
        scheduled          boolean      NOT NULL DEFAULT false,
        -- The UTC month of changed_at as one number (year × 12 + month − 1): the figures compare months of every row.
        changed_month      integer      NOT NULL GENERATED ALWAYS AS
                             ((extract(year FROM changed_at AT TIME ZONE 'UTC') * 12 + extract(month FROM changed_at AT TIME ZONE 'UTC') - 1)::integer) STORED
      )`);
    // The figures read each vendor's rows month by month with their values, from the index alone (no sort, no heap
    // once vacuumed: the table only grows, so autovacuum's insert threshold keeps it visible); the trigger finds an
    // item's last row through it too.
    await q.query(`
      CREATE INDEX ix_subscription_changes_vendor ON subscription_changes (vendor_id, changed_month, changed_at, id)
      INCLUDE (vendor_add_on_id, value_before_cents, value_after_cents)`);
    await q.query(`CREATE INDEX ix_subscription_changes_changed_at ON subscription_changes (changed_at)`);
    // How many (vendor, month) pairs there are: without it the planner guesses a tenth of the rows, hashes them and
    // sorts the result, where reading the index in order and grouping as it goes is twice as fast.
    await q.query(`CREATE STATISTICS st_subscription_changes_vendor_month (ndistinct) ON vendor_id, changed_month FROM subscription_changes`);

    // What a plan or add-on is worth a month at `at`: billed (active, past_due) or cancelled before its end counts;
    // a yearly price counts a twelfth (rounded to the cent); a trial, an expired plan, a hold count nothing.
    await q.query(`
      CREATE FUNCTION monthly_value_cents(status text, price_cents integer, billed_yearly boolean, quantity integer, ends_at timestamptz, at timestamptz)
      RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN status IN ('active', 'past_due') OR (status = 'cancelled' AND ends_at > at)
                    THEN CASE WHEN billed_yearly THEN round(COALESCE(price_cents, 0) * quantity / 12.0)::integer
                              ELSE COALESCE(price_cents, 0) * quantity END
                    ELSE 0 END
      $$`);
    // A plan's monthly value: its tier's price for its interval.
    await q.query(`
      CREATE FUNCTION plan_monthly_value_cents(tier_code text, status text, is_annual boolean, period_end timestamptz, at timestamptz)
      RETURNS integer LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT monthly_value_cents(status,
                 (SELECT CASE WHEN is_annual THEN t.price_annual_cents ELSE t.price_monthly_cents END FROM subscription_tiers t WHERE t.code = tier_code),
                 is_annual, 1, period_end, at)
      $$`);
    await q.query(`
      CREATE FUNCTION add_on_monthly_value_cents(add_on_product_id integer, status text, quantity integer, ends_at timestamptz, at timestamptz)
      RETURNS integer LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT COALESCE((SELECT monthly_value_cents(status, p.price_cents, p.billing_period = 'year', quantity, ends_at, at)
                           FROM add_on_products p WHERE p.id = add_on_product_id), 0)
      $$`);

    // One change of one item: its value before is what the history says it was worth just before (its last row's
    // value after), so each item's rows chain exactly and the figures only add up deltas. A value that stops by
    // itself later (a cancelled plan counting until its end) gets its end written now as a scheduled row at that
    // time; a change of the item before then replaces it (deleted: it had not happened).
    await q.query(`
      CREATE FUNCTION subscription_changes_record(p_vendor_id integer, p_add_on_id integer, p_at timestamptz, p_changed text[], p_item_code text,
                                                  p_status_before text, p_status_after text, p_is_annual boolean, p_value_after integer,
                                                  p_value_until timestamptz, p_cause text) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        value_before integer := 0;
        prev record;
      BEGIN
        -- The item's last two rows, newest first, from the index backwards: a scheduled end still ahead is dropped
        -- (this change comes first), and the row before it is the one this change follows.
        FOR prev IN SELECT c.id, c.value_after_cents, c.scheduled, c.changed_at FROM subscription_changes c
                     WHERE c.vendor_id = p_vendor_id AND c.vendor_add_on_id IS NOT DISTINCT FROM p_add_on_id
                     ORDER BY c.changed_month DESC, c.changed_at DESC, c.id DESC LIMIT 2 LOOP
          IF prev.scheduled AND prev.changed_at > p_at THEN
            DELETE FROM subscription_changes WHERE id = prev.id;
          ELSE
            value_before := prev.value_after_cents;
            EXIT;
          END IF;
        END LOOP;
        INSERT INTO subscription_changes (vendor_id, vendor_add_on_id, changed_at, changed, item_code, status_before, status_after,
                                          is_annual, value_before_cents, value_after_cents, value_until, cause)
        VALUES (p_vendor_id, p_add_on_id, p_at, p_changed, p_item_code, p_status_before, p_status_after, p_is_annual,
                value_before, p_value_after, p_value_until, p_cause);
        IF p_value_after > 0 AND p_value_until > p_at THEN
          INSERT INTO subscription_changes (vendor_id, vendor_add_on_id, changed_at, changed, item_code, status_before, status_after,
                                            is_annual, value_before_cents, value_after_cents, value_until, cause, scheduled)
          VALUES (p_vendor_id, p_add_on_id, p_value_until, ARRAY['ended'], p_item_code, p_status_after, p_status_after, p_is_annual,
                  p_value_after, 0, p_value_until, p_cause, true);
        END IF;
      END $$`);

    await q.query(`
      CREATE FUNCTION subscription_changes_record_plan() RETURNS trigger LANGUAGE plpgsql AS $$
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
           AND OLD.cancel_at IS NOT DISTINCT FROM NEW.cancel_at THEN
          RETURN NULL;
        END IF;
        -- Both values in one query (a job changes thousands of rows: each query per row counts).
        SELECT monthly_value_cents(NEW.status, CASE WHEN NEW.is_annual THEN n.price_annual_cents ELSE n.price_monthly_cents END, NEW.is_annual, 1, NEW.period_end, at),
               CASE WHEN TG_OP = 'UPDATE'
                    THEN monthly_value_cents(OLD.status, CASE WHEN OLD.is_annual THEN o.price_annual_cents ELSE o.price_monthly_cents END, OLD.is_annual, 1, OLD.period_end, at)
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
            CASE WHEN OLD.period_end IS DISTINCT FROM NEW.period_end THEN 'period_end' END], NULL);
          -- A renewal (only the period moved) of a plan that is not ending is not a change of plan.
          IF old_value = value_after AND what <@ ARRAY['period_end'] AND NEW.status <> 'cancelled' THEN
            RETURN NULL;
          END IF;
          cause := COALESCE(cause, CASE WHEN OLD.last_stripe_event_at IS DISTINCT FROM NEW.last_stripe_event_at
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
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_vendor_subscriptions_changes_insert AFTER INSERT ON vendor_subscriptions
      FOR EACH ROW EXECUTE FUNCTION subscription_changes_record_plan()`);
    await q.query(`
      CREATE TRIGGER trg_vendor_subscriptions_changes_update
      AFTER UPDATE OF tier_code, status, is_annual, cancel_at_period_end, cancel_at, period_end ON vendor_subscriptions
      FOR EACH ROW
      WHEN (OLD.tier_code IS DISTINCT FROM NEW.tier_code OR OLD.status IS DISTINCT FROM NEW.status OR OLD.is_annual IS DISTINCT FROM NEW.is_annual
            OR OLD.cancel_at_period_end IS DISTINCT FROM NEW.cancel_at_period_end OR OLD.cancel_at IS DISTINCT FROM NEW.cancel_at
            OR OLD.period_end IS DISTINCT FROM NEW.period_end)
      EXECUTE FUNCTION subscription_changes_record_plan()`);

    // Add-ons: a grant, a cancellation, an end (status), or a change of what it is worth. Holds (pending), their
    // release and purchases that need attention are worth nothing before and after: no row.
    await q.query(`
      CREATE FUNCTION subscription_changes_record_add_on() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        at timestamptz := CASE WHEN TG_OP = 'UPDATE' AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN now() ELSE COALESCE(NEW.updated_at, now()) END;
        old_value integer := 0;
        value_after integer := add_on_monthly_value_cents(NEW.add_on_product_id, NEW.status, NEW.quantity, LEAST(NEW.period_end, NEW.cancelled_at), at);
        what text[] := ARRAY['created'];
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          old_value := add_on_monthly_value_cents(OLD.add_on_product_id, OLD.status, OLD.quantity, LEAST(OLD.period_end, OLD.cancelled_at), at);
          what := array_remove(ARRAY[
            CASE WHEN OLD.status IS DISTINCT FROM NEW.status THEN 'status' END,
            CASE WHEN OLD.quantity IS DISTINCT FROM NEW.quantity THEN 'quantity' END,
            CASE WHEN OLD.period_end IS DISTINCT FROM NEW.period_end THEN 'period_end' END,
            CASE WHEN OLD.cancelled_at IS DISTINCT FROM NEW.cancelled_at THEN 'cancelled_at' END], NULL);
        END IF;
        IF NOT (old_value <> value_after OR NEW.status IN ('active', 'cancelled') AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status)
                OR NEW.status = 'cancelled' AND LEAST(OLD.period_end, OLD.cancelled_at) IS DISTINCT FROM LEAST(NEW.period_end, NEW.cancelled_at)) THEN
          RETURN NULL;
        END IF;
        PERFORM subscription_changes_record(NEW.vendor_id, NEW.id, at, what, COALESCE(p.code, NEW.addon_code, 'unknown'),
                  CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, COALESCE(p.billing_period = 'year', false), value_after,
                  CASE WHEN NEW.status = 'cancelled' THEN LEAST(NEW.period_end, NEW.cancelled_at) END,
                  COALESCE(NULLIF(current_setting('vb.change_cause', true), ''), 'system'))
          FROM (SELECT 1) AS one LEFT JOIN add_on_products p ON p.id = NEW.add_on_product_id;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER trg_vendor_add_ons_changes_insert AFTER INSERT ON vendor_add_ons
      FOR EACH ROW EXECUTE FUNCTION subscription_changes_record_add_on()`);
    await q.query(`
      CREATE TRIGGER trg_vendor_add_ons_changes_update
      AFTER UPDATE OF status, quantity, period_end, cancelled_at, add_on_product_id ON vendor_add_ons
      FOR EACH ROW
      WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.quantity IS DISTINCT FROM NEW.quantity OR OLD.period_end IS DISTINCT FROM NEW.period_end
            OR OLD.cancelled_at IS DISTINCT FROM NEW.cancelled_at OR OLD.add_on_product_id IS DISTINCT FROM NEW.add_on_product_id)
      EXECUTE FUNCTION subscription_changes_record_add_on()`);

    // Today's state, one row per vendor (and per live add-on): the history starts here.
    await q.query(`
      SELECT subscription_changes_record(s.vendor_id, NULL, now(), ARRAY['backfill'], s.tier_code, NULL, s.status, s.is_annual,
               plan_monthly_value_cents(s.tier_code, s.status, s.is_annual, s.period_end, now()),
               CASE WHEN s.status = 'cancelled' THEN s.period_end END, 'backfill')
        FROM vendor_subscriptions s`);
    await q.query(`
      SELECT subscription_changes_record(a.vendor_id, a.id, now(), ARRAY['backfill'], p.code, NULL, a.status, p.billing_period = 'year',
               add_on_monthly_value_cents(a.add_on_product_id, a.status, a.quantity, LEAST(a.period_end, a.cancelled_at), now()),
               CASE WHEN a.status = 'cancelled' THEN LEAST(a.period_end, a.cancelled_at) END, 'backfill')
        FROM vendor_add_ons a JOIN add_on_products p ON p.id = a.add_on_product_id
       WHERE a.status IN ('active', 'cancelled')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER trg_vendor_add_ons_changes_update ON vendor_add_ons`);
    await q.query(`DROP TRIGGER trg_vendor_add_ons_changes_insert ON vendor_add_ons`);
    await q.query(`DROP TRIGGER trg_vendor_subscriptions_changes_update ON vendor_subscriptions`);
    await q.query(`DROP TRIGGER trg_vendor_subscriptions_changes_insert ON vendor_subscriptions`);
    await q.query(`DROP FUNCTION subscription_changes_record_add_on()`);
    await q.query(`DROP FUNCTION subscription_changes_record_plan()`);
    await q.query(`DROP FUNCTION subscription_changes_record(integer, integer, timestamptz, text[], text, text, text, boolean, integer, timestamptz, text)`);
    await q.query(`DROP FUNCTION add_on_monthly_value_cents(integer, text, integer, timestamptz, timestamptz)`);
    await q.query(`DROP FUNCTION plan_monthly_value_cents(text, text, boolean, timestamptz, timestamptz)`);
    await q.query(`DROP FUNCTION monthly_value_cents(text, integer, boolean, integer, timestamptz, timestamptz)`);
    await q.query(`DROP STATISTICS st_subscription_changes_vendor_month`);
    await q.query(`DROP TABLE subscription_changes`);
  }
}
