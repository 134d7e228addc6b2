// npm run bench:jobs — the worker's set-based jobs on 1,000,000 vendor subscriptions (BENCH_VENDORS sets the size).
//
// Seeds vendors and subscriptions with generate_series (about a third of all rows due for each job: a third
// ended trials, a third non-Stripe subscriptions whose period ended one to three periods ago, a third
// subscriptions cancelled more than 30 days ago; one history row per plan) plus 300,000 webhook events (a third
// older than 90 days), then runs each job once through the real job runner and services, as `npm run job` does,
// while BENCH_ORDER_CLIENTS clients (4) create orders through OrderService.create (the API's claim statement) for
// vendors whose rows the jobs change: beside each job, the p99 of those orders, and a ceiling measured in the same
// run — one plain UPDATE of the same rows, the triggers skipped, nothing else written, rolled back. Then the
// admin's forecast and recommendations over 365 daily snapshots and those subscriptions (each aimed under 1 s).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigService } from '@nestjs/config';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { INestApplicationContext } from '@nestjs/common';
import { CapacityForecastService } from '@app/capacity-forecast';
import { Clock } from '@app/common';
import { allowPlanReuse, migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';
import { OrderService } from '@app/platform';
import { LimitService } from '@app/subscription';

const VENDORS = Number(process.env.BENCH_VENDORS ?? 1_000_000);
const EVENTS = Math.round(VENDORS * 0.3);
const NOW = new Date('2026-03-15T12:00:00Z');
const JOBS = ['reset-period-counters', 'check-trial-expirations', 'cleanup-stale-subscriptions', 'capture-capacity-snapshot'];
const AIM_SECONDS: Record<string, number> = { 'reset-period-counters': 3, 'check-trial-expirations': 3, 'cleanup-stale-subscriptions': 3, 'capture-capacity-snapshot': 3 };
const ORDER_CLIENTS = Number(process.env.BENCH_ORDER_CLIENTS ?? 4);

/**
 * The ceiling of each plan-changing job: the same rows changed by one plain UPDATE (all at once, no batches, no
 * history, no events: the triggers skip it), in a transaction that is rolled back. `$1` is now.
 */
const CEILINGS: Record<string, string> = {
  'reset-period-counters': `UPDATE vendor_subscriptions SET period_start = period_end, period_end = period_end + interval '1 month', orders_this_period = 0, updated_at = $1
                             WHERE period_end <= $1 AND stripe_subscription_id IS NULL AND status IN ('trial', 'active', 'past_due')`,
  'check-trial-expirations': `UPDATE vendor_subscriptions SET status = CASE WHEN has_payment_method THEN 'active' ELSE 'expired' END, updated_at = $1
                               WHERE status = 'trial' AND trial_ends_at <= $1`,
  'cleanup-stale-subscriptions': `UPDATE vendor_subscriptions SET status = 'expired', updated_at = $1 WHERE status = 'cancelled' AND period_end < $1::timestamptz - interval '30 days'`,
};

async function seed(db: DataSource): Promise<void> {
  await db.query(`INSERT INTO vendors (code, name, created_at, updated_at)
                  SELECT 'bench-' || g, 'Bench vendor ' || g, $1, $1 FROM generate_series(1, $2) g`, [NOW, VENDORS]);
  // The history's insert trigger would write one row per plan, one call each (minutes at a million): the seed writes
  // the same rows in one statement instead, with the trigger disabled meanwhile.
  await db.query(`ALTER TABLE vendor_subscriptions DISABLE TRIGGER trg_vendor_subscriptions_changes_insert`);
  // id % 3 = 0: trial, ended 0–9 days ago, half with a card; period running.
  // id % 3 = 1: active without Stripe, period ended 1–3 months ago (every 7th annual, ended a year ago).
  // id % 3 = 2: cancelled, period ended 31–90 days ago.
  await db.query(
    `INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, is_annual, trial_ends_at, period_start, period_end,
            has_payment_method, orders_this_period, products_count, team_members_count, created_at, updated_at)
     SELECT id,
            (ARRAY['essential', 'essential', 'professional', 'business', 'enterprise'])[1 + id % 5],
            CASE id % 3 WHEN 0 THEN 'trial' WHEN 1 THEN 'active' ELSE 'cancelled' END,
            id % 3 = 1 AND id % 7 = 0,
            CASE WHEN id % 3 = 0 THEN $1::timestamptz - make_interval(days => id % 10) END,
            ps, pe, id % 2 = 0, id % 100, id % 200, 1 + id % 3, $1, $1
       FROM (SELECT id,
                    CASE id % 3
                      WHEN 0 THEN $1::timestamptz - interval '20 days'
                      WHEN 1 THEN CASE WHEN id % 7 = 0 THEN $1::timestamptz - interval '13 months'
                                       ELSE $1::timestamptz - make_interval(months => 2 + id % 3) END
                      ELSE $1::timestamptz - make_interval(days => 61 + id % 60) END AS ps,
                    CASE id % 3
                      WHEN 0 THEN $1::timestamptz + interval '10 days'
                      WHEN 1 THEN CASE WHEN id % 7 = 0 THEN $1::timestamptz - interval '1 month'
                                       ELSE $1::timestamptz - make_interval(months => 1 + id % 3) END
                      ELSE $1::timestamptz - make_interval(days => 31 + id % 60) END AS pe
               FROM vendors) v`,
    [NOW],
  );
  await db.query(`ALTER TABLE vendor_subscriptions ENABLE TRIGGER trg_vendor_subscriptions_changes_insert`);
  await db.query(
    `INSERT INTO subscription_changes (vendor_id, changed_at, changed, item_code, status_after, is_annual, value_before_cents, value_after_cents, value_until, cause)
     SELECT vendor_id, $1, ARRAY['created'], tier_code, status, is_annual, 0, plan_monthly_value_cents(tier_code, status, is_annual, period_end, $1),
            CASE WHEN status = 'cancelled' THEN period_end END, 'signup'
       FROM vendor_subscriptions ORDER BY vendor_id`,
    [NOW],
  );
  await db.query(
    `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, payload, event_created_at, received_at, processed_at)
     SELECT 'evt_bench_' || g, 'invoice.paid', 'processed', 1, '{}'::jsonb, r, r, r
       FROM (SELECT g, $1::timestamptz - make_interval(days => g % 135) AS r FROM generate_series(1, $2) g) e`,
    [NOW, EVENTS],
  );
  await db.query(`VACUUM ANALYZE vendors`);
  await db.query(`VACUUM ANALYZE vendor_subscriptions`);
  await db.query(`VACUUM ANALYZE stripe_webhook_events`);
  await db.query(`VACUUM ANALYZE subscription_changes`);
  // No autovacuum while the jobs are timed: a worker started by the ceiling's rolled-back UPDATE would run during
  // the job and count in its CPU; the bench vacuums untimed instead (after each ceiling).
  for (const table of ['vendor_subscriptions', 'subscription_changes', 'platform_events', 'stripe_webhook_events']) {
    await db.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
  }
}

/** Order latencies (ms) of the claims that started inside a window, and how many created an order. */
interface OrderLoad {
  stop(): Promise<void>;
  /** The CPU seconds so far of the orders' own database connections (to take off the server's figures). */
  cpuSeconds(): Promise<number>;
  during(from: number, to: number): { orders: number; refused: number; p50: number; p99: number; max: number };
}

/**
 * ORDER_CLIENTS clients creating orders one after another through OrderService.create — the API's one claim
 * statement on the vendor's plan row — for random vendors among those the jobs change (trials with a card, which
 * the trial job activates, and the non-Stripe plans the reset renews): an order for a row a batch holds waits for
 * that batch's commit. On a data source of their own (application_name `bench-orders`), so their CPU can be told
 * apart from the job's.
 */
async function startOrders(app: INestApplicationContext, db: DataSource): Promise<OrderLoad> {
  const options = db.options as DataSourceOptions & { extra?: Record<string, unknown> };
  const ordersDb = await new DataSource({ ...options, extra: { ...options.extra, max: ORDER_CLIENTS, application_name: 'bench-orders' } } as DataSourceOptions).initialize();
  allowPlanReuse(ordersDb);
  const orders = new OrderService(ordersDb, new LimitService(app.get(ConfigService), app.get(Clock), ordersDb), app.get(Clock));
  const samples: { at: number; ms: number; ok: boolean }[] = [];
  let running = true;
  const client = async () => {
    while (running) {
      const n = 1 + Math.floor(Math.random() * (VENDORS / 6 - 1));
      const vendorId = Math.random() < 0.5 ? 6 * n : 6 * n + 1; // id % 6 = 0: a trial with a card; id % 3 = 1: a non-Stripe plan
      const at = performance.now();
      const ok = await orders.create(vendorId, { totalCents: 1000 }).then(() => true, () => false);
      samples.push({ at, ms: performance.now() - at, ok });
    }
  };
  const clients = Array.from({ length: ORDER_CLIENTS }, client);
  return {
    async stop() {
      running = false;
      await Promise.all(clients);
      await ordersDb.destroy();
    },
    async cpuSeconds() {
      const pids: { pid: number }[] = await db.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-orders'`);
      return pids.reduce((sum, { pid }) => sum + processCpuTicks(pid), 0) / 100;
    },
    during(from, to) {
      const inside = samples.filter((s) => s.at >= from && s.at < to);
      const ms = inside.map((s) => s.ms).sort((a, b) => a - b);
      const pick = (q: number) => Number((ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0).toFixed(1));
      return { orders: inside.filter((s) => s.ok).length, refused: inside.filter((s) => !s.ok).length, p50: pick(0.5), p99: pick(0.99), max: Number((ms.at(-1) ?? 0).toFixed(1)) };
    },
  };
}

/** The ceiling's seconds: the plain UPDATE of the job's rows, rolled back (the triggers skip it, as they skip the job's). */
async function ceiling(db: DataSource, name: string): Promise<number | null> {
  const sql = CEILINGS[name];
  if (!sql) return null;
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    await runner.query(`SELECT set_config('vb.changes_recorded', 'statement', true)`);
    const t0 = performance.now();
    await runner.query(sql, [NOW]);
    const seconds = (performance.now() - t0) / 1000;
    await runner.rollbackTransaction();
    return seconds;
  } finally {
    await runner.release();
  }
}

/**
 * The admin's forecast and recommendations over a year of daily snapshots and the million subscriptions: the
 * trends fit every one of the 365 days (least squares with the Theil–Sen trimming step, eight metrics), and the
 * recommendations measure the live capacity (one grouped pass over the subscriptions) and fit the last 90 days.
 */
async function benchForecast(app: INestApplicationContext, db: DataSource) {
  await db.query(
    `INSERT INTO capacity_snapshots (snapshot_date, total_vendors, active_vendors, trial_vendors, paying_subscriptions, total_subscriptions,
            total_products, total_orders_month, total_team_members, db_size_mb, storage_used_gb)
     SELECT ($1::date - 364) + d, 600000 + d * 1000, 500000 + d * 900 + (d % 7) * 50, 100000, 400000 + d * 800, 600000 + d * 1000,
            50000000 + d * 90000, 20000000 + d * 30000, 1500000 + d * 2000, 2000 + d * 10, (2000 + d * 10) / 1024.0
       FROM generate_series(0, 364) d
     ON CONFLICT (snapshot_date) DO NOTHING`,
    [NOW.toISOString().slice(0, 10)],
  );
  const forecast = app.get(CapacityForecastService);
  const rows: Array<Record<string, unknown>> = [];
  const time = async (what: string, call: () => Promise<unknown>, describe: (r: never) => string) => {
    const t0 = performance.now();
    const result = await call();
    const seconds = (performance.now() - t0) / 1000;
    rows.push({ case: what, seconds: Number(seconds.toFixed(3)), aim_seconds: 1, within_aim: seconds < 1, result: describe(result as never) });
  };
  await time('forecast: trends over 365 daily snapshots', () => forecast.getGrowthTrends(365), (r: { snapshots_available: number; trends: Record<string, { slope_per_day: number }> }) =>
    `${r.snapshots_available} snapshots, ${Object.keys(r.trends).length} metrics, active_vendors ${r.trends.active_vendors?.slope_per_day}/day`);
  await time('recommendations: 1,000,000 subscriptions + 90 days', () => forecast.getScalingRecommendations(), (r: Array<{ severity: string; title: string }>) =>
    r.map((x) => `${x.severity}: ${x.title}`).join(' | ').slice(0, 160));
  return rows;
}

/**
 * CPU seconds used so far by the PostgreSQL server (the postmaster's processes: backends, WAL writer,
 * checkpointer…), from /proc: what a job costs the database whatever else the shared host runs (null off Linux or
 * for a server elsewhere). On a quiet host of N cores a job takes at least its CPU seconds over min(N, its batches
 * in flight).
 */
function fields(pid: number | string): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
}

/** One process's utime + stime, in clock ticks (0 when it is gone). */
function processCpuTicks(pid: number): number {
  try {
    const f = fields(pid);
    return f[11] + f[12];
  } catch {
    return 0;
  }
}

function serverCpuSeconds(postmaster: number | undefined): number | null {
  if (!postmaster) return null;
  try {
    // The postmaster's own time and its reaped children's (cutime, cstime: a backend that ended, its pool
    // connection closed, still counts), plus each live child's.
    const own = fields(postmaster);
    let total = own[11] + own[12] + own[13] + own[14];
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const f = fields(pid);
        if (f[1] === postmaster) total += f[11] + f[12];
      } catch {
        // gone meanwhile (and counted in cutime once reaped)
      }
    }
    return total / 100; // USER_HZ
  } catch {
    return null;
  }
}

const loadAverageLine = () => `${loadavg().map((l) => l.toFixed(1)).join(' ')} (${cpus().length} cores)`;
const orderColumns = (o: ReturnType<OrderLoad['during']>) => ({ orders: o.orders, refused: o.refused, order_p50_ms: o.p50, order_p99_ms: o.p99, order_max_ms: o.max });

async function main(): Promise<void> {
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    dataDir = mkdtempSync(join(tmpdir(), 'vb-bench-jobs-'));
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false });
    url = embedded.url;
  }
  const postmaster = embedded?.pid;
  const started = performance.now();
  try {
    await migrateDatabase(url);
    Object.assign(process.env, { DATABASE_URL: url, LOG_LEVEL: 'silent', NODE_ENV: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'vb-bench-data-')) });
    const { WorkerJobsModule } = await import('../apps/worker/src/worker-jobs.module.js');
    const { WorkerJobs } = await import('../apps/worker/src/jobs/worker-jobs.service.js');
    const app = await NestFactory.createApplicationContext(WorkerJobsModule, { logger: false });
    try {
      const db = app.get<DataSource>(getDataSourceToken());
      app.get(Clock).set(NOW);
      const seedStart = performance.now();
      await seed(db);
      const seedSeconds = (performance.now() - seedStart) / 1000;
      const [sizes] = await db.query(`SELECT (SELECT count(*) FROM vendor_subscriptions)::int AS subscriptions, pg_size_pretty(pg_database_size(current_database())) AS db_size`);
      console.log(`seeded ${sizes.subscriptions.toLocaleString('en')} vendors with subscriptions and ${EVENTS.toLocaleString('en')} webhook events in ${seedSeconds.toFixed(1)} s (database ${sizes.db_size})`);

      console.log(`load average before the jobs: ${loadAverageLine()}`);
      const jobs = app.get(WorkerJobs);
      const table = [];
      const load = await startOrders(app, db);
      // The database's CPU seconds of a step: the server's, less what the orders' own connections used meanwhile.
      const dbCpu = async () => (postmaster ? serverCpuSeconds(postmaster)! - (await load.cpuSeconds()) : 0);
      const idleFrom = performance.now();
      const ordersCpu0 = await load.cpuSeconds();
      await new Promise((ok) => setTimeout(ok, 3000));
      const idle = load.during(idleFrom, performance.now());
      table.push({ job: '(no job: orders alone, 3 s)', status: '', rows_affected: 0, seconds: 3, db_cpu_seconds: Number(((await load.cpuSeconds()) - ordersCpu0).toFixed(2)), ceiling_seconds: null, ceiling_db_cpu_seconds: null, aim_seconds: null, within_aim: null, ...orderColumns(idle), details: '' });
      for (const name of JOBS) {
        const ceilingCpu0 = await dbCpu();
        const ceilingSeconds = await ceiling(db, name);
        const ceilingCpu = !postmaster || ceilingSeconds === null ? null : Number(((await dbCpu()) - ceilingCpu0).toFixed(2));
        if (ceilingSeconds !== null) await db.query(`VACUUM vendor_subscriptions`); // the ceiling's dead rows, untimed
        const cpu0 = await dbCpu();
        const t0 = performance.now();
        const run = await jobs.run(jobs.find(name)!);
        const t1 = performance.now();
        const seconds = (t1 - t0) / 1000;
        const jobCpu = postmaster ? Number(((await dbCpu()) - cpu0).toFixed(2)) : null;
        const { duration_ms: _ignored, ...details } = run.details ?? {};
        table.push({
          job: name, status: run.status, rows_affected: run.rowsAffected, seconds: Number(seconds.toFixed(2)), db_cpu_seconds: jobCpu,
          ceiling_seconds: ceilingSeconds === null ? null : Number(ceilingSeconds.toFixed(2)), ceiling_db_cpu_seconds: ceilingCpu, aim_seconds: AIM_SECONDS[name], within_aim: seconds <= AIM_SECONDS[name],
          ...orderColumns(load.during(t0, t1)), details: JSON.stringify(details),
        });
        if (run.status !== 'succeeded') console.error(`${name} ${run.status}: ${run.error}`);
      }
      await load.stop();
      console.log(`load average after the jobs: ${loadAverageLine()}`);
      console.table(table);
      console.table(await benchForecast(app, db));
    } finally {
      await app.close();
    }
  } finally {
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
process.exit(0);
