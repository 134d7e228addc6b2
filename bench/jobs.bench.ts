// npm run bench:jobs — the worker's set-based jobs on 1,000,000 vendor subscriptions.
//
// Seeds vendors and subscriptions with generate_series (about a third of all rows due for each job: a third
// ended trials, a third non-Stripe subscriptions whose period ended one to three periods ago, a third
// subscriptions cancelled more than 30 days ago) plus 300,000 webhook events (a third older than 90 days),
// then runs each job once through the real job runner and services, as `npm run job` does; then the admin's
// forecast and recommendations over 365 daily snapshots and those subscriptions (each aimed under 1 s).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { INestApplicationContext } from '@nestjs/common';
import { CapacityForecastService } from '@app/capacity-forecast';
import { Clock } from '@app/common';
import { migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';

const VENDORS = Number(process.env.BENCH_VENDORS ?? 1_000_000);
const EVENTS = Math.round(VENDORS * 0.3);
const NOW = new Date('2026-03-15T12:00:00Z');
const JOBS = ['reset-period-counters', 'check-trial-expirations', 'cleanup-stale-subscriptions', 'capture-capacity-snapshot'];
const AIM_SECONDS: Record<string, number> = { 'reset-period-counters': 15, 'check-trial-expirations': 15, 'cleanup-stale-subscriptions': 15, 'capture-capacity-snapshot': 5 };

async function seed(db: DataSource): Promise<void> {
  await db.query(`INSERT INTO vendors (code, name, created_at, updated_at)
                  SELECT 'bench-' || g, 'Bench vendor ' || g, $1, $1 FROM generate_series(1, $2) g`, [NOW, VENDORS]);
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
  await db.query(
    `INSERT INTO stripe_webhook_events (event_id, type, status, attempts, payload, event_created_at, received_at, processed_at)
     SELECT 'evt_bench_' || g, 'invoice.paid', 'processed', 1, '{}'::jsonb, r, r, r
       FROM (SELECT g, $1::timestamptz - make_interval(days => g % 135) AS r FROM generate_series(1, $2) g) e`,
    [NOW, EVENTS],
  );
  await db.query(`VACUUM ANALYZE vendors`);
  await db.query(`VACUUM ANALYZE vendor_subscriptions`);
  await db.query(`VACUUM ANALYZE stripe_webhook_events`);
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

async function main(): Promise<void> {
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    dataDir = mkdtempSync(join(tmpdir(), 'vb-bench-jobs-'));
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false });
    url = embedded.url;
  }
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

      const jobs = app.get(WorkerJobs);
      const table = [];
      for (const name of JOBS) {
        const t0 = performance.now();
        const run = await jobs.run(jobs.find(name)!);
        const seconds = (performance.now() - t0) / 1000;
        const { duration_ms: _ignored, ...details } = run.details ?? {};
        table.push({ job: name, status: run.status, rows_affected: run.rowsAffected, seconds: Number(seconds.toFixed(2)), aim_seconds: AIM_SECONDS[name], within_aim: seconds < AIM_SECONDS[name], details: JSON.stringify(details) });
        if (run.status !== 'succeeded') console.error(`${name} ${run.status}: ${run.error}`);
      }
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
