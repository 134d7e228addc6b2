/**
 * `npm run bench:revenue`: GET /api/v1/admin/revenue?months=60 over BENCH_VENDORS (100,000) vendors with five years
 * of plan changes (CONTRACT §10: under a second).
 *
 * Seeds vendors whose signups spread over the five years before NOW (the history's trigger writes each one's trial
 * row), 0–11 plan changes each (paying monthly or annually on three tiers, past_due, cancelled now or counting until
 * its end), and an add-on for one in five (half of them cancelled later). Then the real API (createApiApp on
 * 127.0.0.1, signed in as an admin) and, as the ceiling, the same two statements in two `psql` processes at once, as
 * the API runs them (the API's SQL text with NOW as a literal, `\timing`; the slower one counts) take turns (API, psql, psql, API, …; BENCH_ROUNDS rounds). Checked: both answer the same
 * MRR, and every month's movements add up to the change of MRR. Embedded PostgreSQL in a temp dir unless
 * BENCH_DATABASE_URL is set.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';

const VENDORS = Number(process.env.BENCH_VENDORS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const MONTHS = 60;
const NOW = new Date('2026-12-01T12:00:00Z');
const AIM_MS = 1000;
const ADMIN = { email: 'bench-admin@platform.test', password: 'bench-admin-password-1' };

const run = promisify(execFile);

async function seed(db: pg.Client): Promise<void> {
  await db.query(`INSERT INTO vendors (code, name, created_at, updated_at) SELECT 'rev-' || g, 'Revenue vendor ' || g, $1, $1 FROM generate_series(1, $2) g`, [NOW, VENDORS]);
  // Signups over five years; the history's trigger records each trial as it is inserted (at its updated_at).
  await db.query(
    `INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, trial_ends_at, period_start, period_end, created_at, updated_at)
     SELECT id, 'essential', CASE WHEN s > $1::timestamptz - interval '30 days' THEN 'trial' ELSE 'expired' END, s + interval '30 days', s, s + interval '30 days', s, s
       FROM (SELECT id, $1::timestamptz - make_interval(secs => (abs(hashint4(id)) % 157766400)) AS s FROM vendors) v`,
    [NOW],
  );
  // Plan changes after the trial, spread to NOW. r (0–999) picks the state: churn, cancelled counting until its end
  // (15 days on), past_due, or paying on one of three tiers, monthly or (one vendor in seven) annually.
  await db.query(
    `CREATE TEMP TABLE generated AS
     SELECT vendor_id, NULL::int AS add_on_id, at, (ARRAY['essential', 'professional', 'business'])[1 + r % 3] AS item_code,
            CASE WHEN r < 170 THEN 'cancelled' WHEN r < 220 THEN 'past_due' ELSE 'active' END AS status, annual,
            CASE WHEN r < 120 THEN 0 WHEN annual THEN (ARRAY[4083, 8250, 16583])[1 + r % 3] ELSE (ARRAY[4900, 9900, 19900])[1 + r % 3] END AS value,
            CASE WHEN r >= 120 AND r < 170 THEN at + interval '15 days' END AS until, 'stripe' AS cause
       FROM (SELECT s.vendor_id, s.period_start + interval '30 days' + ($1::timestamptz - s.period_start - interval '30 days') * n / (k + 1) AS at,
                    abs(hashint8(s.vendor_id::bigint * 100 + n)) % 1000 AS r, abs(hashint4(s.vendor_id * 3)) % 7 = 0 AS annual
               FROM (SELECT vendor_id, period_start, abs(hashint4(vendor_id)) % 12 AS k FROM vendor_subscriptions) s, generate_series(1, s.k) n) c`,
    [NOW],
  );
  // One vendor in five buys an add-on 45 days in (500 a month, or 125: a yearly one's twelfth); half cancel it later.
  await db.query(
    `WITH bought AS (SELECT vendor_id, period_start + interval '45 days' AS at, CASE WHEN vendor_id % 3 = 0 THEN 125 ELSE 500 END AS value
                       FROM vendor_subscriptions WHERE abs(hashint4(vendor_id * 7)) % 5 = 0 AND period_start + interval '45 days' < $1)
     INSERT INTO generated
     SELECT vendor_id, vendor_id, at, 'email_5', 'active', false, value, NULL, 'webhook' FROM bought
     UNION ALL
     SELECT vendor_id, vendor_id, at + ($1::timestamptz - at) / 2, 'email_5', 'cancelled', false, 0, at + ($1::timestamptz - at) / 2, 'operation'
       FROM bought WHERE vendor_id % 2 = 0`,
    [NOW],
  );
  // As the trigger writes them: each item's value before is its last row's value after, and a value that stops by
  // itself has a scheduled row at its end unless the item's next row comes first.
  await db.query(
    `INSERT INTO subscription_changes (vendor_id, vendor_add_on_id, changed_at, changed, item_code, status_before, status_after, is_annual,
                                       value_before_cents, value_after_cents, value_until, cause, scheduled)
     SELECT vendor_id, add_on_id, at, changed, item_code, NULL, status, annual, COALESCE(lag(value) OVER item, 0), value, until, cause, scheduled
       FROM (SELECT vendor_id, add_on_id, at, ARRAY['status'] AS changed, item_code, status, annual, value, until, cause, false AS scheduled FROM generated
             UNION ALL
             SELECT vendor_id, add_on_id, until, ARRAY['ended'], item_code, status, annual, 0, until, cause, true
               FROM (SELECT g.*, lead(at) OVER (PARTITION BY vendor_id, add_on_id ORDER BY at) AS next_at FROM generated g) n
              WHERE value > 0 AND until IS NOT NULL AND (next_at IS NULL OR until <= next_at)) all_rows
     WINDOW item AS (PARTITION BY vendor_id, add_on_id ORDER BY at, scheduled)`,
  );
  await db.query(`VACUUM ANALYZE subscription_changes`);
  await db.query(`VACUUM ANALYZE revenue_vendor_months`);
  await db.query(`VACUUM ANALYZE vendor_subscriptions`);
}

/** The statement in psql, timed there (`\timing`): the ceiling, with no Node, no Nest, no HTTP. */
async function viaPsql(url: string, sql: string): Promise<number> {
  const { stdout } = await run('psql', ['-X', '-q', '-d', url, '-c', '\\timing on', '-c', `\\o /dev/null`, '-c', sql], { maxBuffer: 64 * 1024 * 1024 });
  const match = /Time: ([\d.]+) ms/.exec(stdout);
  if (!match) throw new Error(`psql printed no timing: ${stdout.slice(0, 200)}`);
  return Number(match[1]);
}

async function main(): Promise<void> {
  const pgDir = mkdtempSync(join(tmpdir(), 'vb-bench-revenue-pg-'));
  let embedded: EmbeddedDatabase | undefined;
  const started = performance.now();
  try {
    let url = process.env.BENCH_DATABASE_URL;
    if (!url) {
      embedded = await startEmbeddedPostgres({ dataDir: pgDir, persistent: false });
      url = embedded.url;
    }
    await migrateDatabase(url);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const seedStart = performance.now();
    // A BENCH_DATABASE_URL seeded by an earlier run is used as it is.
    const seeded = (await db.query(`SELECT 1 FROM vendors WHERE code = 'rev-1'`)).rowCount === 1;
    if (!seeded) await seed(db);
    else console.log('BENCH_DATABASE_URL holds an earlier run\'s data: used as it is');
    const [size] = (await db.query(`SELECT (SELECT count(*) FROM subscription_changes)::int AS rows, pg_size_pretty(pg_total_relation_size('subscription_changes')) AS size`)).rows;
    console.log(`seeded ${VENDORS.toLocaleString('en')} vendors and ${size.rows.toLocaleString('en')} history rows (${size.size}) over five years in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    Object.assign(process.env, {
      DATABASE_URL: url, LOG_LEVEL: 'silent', NODE_ENV: 'test', DATA_DIR: mkdtempSync(join(tmpdir(), 'vb-bench-data-')),
      ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123', STRIPE_SECRET_KEY: '',
    });
    const { createApiApp } = await import('../apps/api/src/app.factory.js');
    const { Clock } = await import('@app/common');
    const { REVENUE_MONTHS_SQL, REVENUE_NOW_SQL } = await import('../libs/subscription/src/revenue/revenue-figures.sql.js');
    const { REVENUE_MONTHS_FROM_HISTORY_SQL, REVENUE_NOW_FROM_HISTORY_SQL, revenueReportFromHistory } = await import('../libs/subscription/src/revenue/revenue-from-history.js');
    const app = await createApiApp();
    await app.listen(0, '127.0.0.1');
    try {
      app.get(Clock).set(NOW);
      const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
      const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
      const token = ((await login.json()) as { access_token: string }).access_token;
      const literal = (sql: string) => sql.replaceAll('$1::timestamptz', `'${NOW.toISOString()}'::timestamptz`);
      // The API runs its two statements at once on two connections; so does the ceiling, in two psql processes.
      const viaPsqlBoth = async () => Math.max(...(await Promise.all([viaPsql(url, literal(REVENUE_MONTHS_SQL)), viaPsql(url, literal(REVENUE_NOW_SQL))])));
      // Before the rollup: the same figures straight from the history (two statements at once, as the API ran them).
      const viaPsqlHistory = async () => Math.max(...(await Promise.all([viaPsql(url, literal(REVENUE_MONTHS_FROM_HISTORY_SQL)), viaPsql(url, literal(REVENUE_NOW_FROM_HISTORY_SQL))])));

      type Report = { months: Array<Record<string, number>>; current: Record<string, number | null> };
      let report: Report | undefined;
      const api: number[] = [];
      const ceiling: number[] = [];
      // The host's speed at the moment: one plain SUM over the history in psql, in the same turns (this VM's speed
      // drifts, and other work shares its two cores).
      const reference: number[] = [];
      const history: number[] = [];
      const referenceSql = 'SELECT sum(value_after_cents - value_before_cents) FROM subscription_changes';
      const viaApi = async () => {
        const t0 = performance.now();
        const res = await fetch(`${base}/api/v1/admin/revenue?months=${MONTHS}`, { headers: { authorization: `Bearer ${token}` } });
        report = (await res.json()) as Report;
        if (res.status !== 200) throw new Error(`revenue answered ${res.status}: ${JSON.stringify(report)}`);
        api.push(performance.now() - t0);
      };
      await viaApi(); // warm-up: the first plan and the tables in cache, for both
      await viaPsqlBoth();
      api.length = 0;
      for (let round = 0; round < ROUNDS; round++) {
        for (const target of round % 2 === 0 ? ['api', 'psql'] : ['psql', 'api']) {
          if (target === 'api') await viaApi();
          else {
            ceiling.push(await viaPsqlBoth());
            reference.push(await viaPsql(url, referenceSql));
            history.push(await viaPsqlHistory());
          }
        }
      }

      // Correctness: the API's report is, figure for figure, the one computed from the history alone (the statements
      // before the rollup), and each month's movements add up.
      const fromHistory = await revenueReportFromHistory(async (sql, params) => (await db.query(sql, params)).rows, NOW, MONTHS);
      const sameReport = JSON.stringify(fromHistory) === JSON.stringify(report);
      const months = report!.months;
      let addsUp = true;
      for (let i = 1; i < months.length; i++) {
        const m = months[i];
        if (m.mrr_cents !== months[i - 1].mrr_cents + m.new_mrr_cents + m.expansion_mrr_cents + m.reactivation_mrr_cents - m.contraction_mrr_cents - m.churned_mrr_cents) addsUp = false;
      }
      const sameMrr = months.at(-1)!.mrr_cents === report!.current.mrr_cents;
      const stats = (xs: number[]) => {
        const sorted = [...xs].sort((a, b) => a - b);
        return { median_ms: Math.round(sorted[Math.floor(sorted.length / 2)]), min_ms: Math.round(sorted[0]), max_ms: Math.round(sorted.at(-1)!) };
      };
      const a = stats(api);
      const c = stats(ceiling);
      console.table([
        { target: `API: GET /admin/revenue?months=${MONTHS}`, runs: api.length, ...a, aim_ms: AIM_MS, within_aim: a.max_ms < AIM_MS },
        { target: 'ceiling: the same 2 statements in psql', runs: ceiling.length, ...c, aim_ms: AIM_MS, within_aim: c.max_ms < AIM_MS },
        { target: 'before: the 2 statements over the history alone in psql', runs: history.length, ...stats(history), aim_ms: AIM_MS, within_aim: stats(history).max_ms < AIM_MS },
        { target: 'reference: one plain SUM over the history in psql', runs: reference.length, ...stats(reference), aim_ms: '', within_aim: '' },
      ]);
      console.log(`API / psql (median): ${(a.median_ms / c.median_ms).toFixed(2)}x; API / plain SUM: ${(a.median_ms / stats(reference).median_ms).toFixed(1)}x; MRR ${report!.current.mrr_cents} cents, ${months.at(-1)!.paying_vendors} paying vendors; ` +
        `the API's report equals the one from the history alone: ${sameReport}; MRR now is the last month's: ${sameMrr}; movements add up in every month: ${addsUp}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      if (!sameReport || !sameMrr || !addsUp) process.exitCode = 1;
    } finally {
      await app.close();
      await db.end();
    }
  } finally {
    await embedded?.stop();
    rmSync(pgDir, { recursive: true, force: true });
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
process.exit(process.exitCode ?? 0);
