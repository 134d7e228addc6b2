// npm run bench:sync — the worker's `sync-stripe-status` over many Stripe subscriptions, paced like Stripe.
//
// The Stripe double (in this process, request recording off) holds N subscriptions (BENCH_SYNC_SIZES, a comma list;
// default 10,000 and 100,000, under a minute in all) seeded straight into its store; PostgreSQL holds the same
// vendors, seeded with generate_series, every BENCH_SYNC_DRIFT_EVERY-th one drifted (default 100: 1%; our row says
// past_due on another tier where Stripe says active). The job runs as operators run it
// (`node dist/apps/worker/src/run-job.js sync-stripe-status`, its own process; BENCH_SYNC_NODE_ARGS adds node flags,
// e.g. `--cpu-prof`) at STRIPE_MAX_REQUESTS_PER_SECOND (BENCH_SYNC_RPS, default 100, Stripe's live limit). It reads
// the list a page of 100 at a time, compares each page with our rows in one statement, and corrects only what
// differs, each in its own transaction, while the next page is read and compared. Reported: the job's own duration
// against the pacing's lower bound (N / 100 list pages, plus one events page, at that rate; aim, at the largest N:
// within 20%), its peak RSS (VmHWM; aim: flat in N — the largest N under 1.5× the smallest), what it counted, and
// the drift left afterwards, checked by SQL against what the double holds (aim 0; a miss here fails the run).
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';
import { subscriptionObject } from '../test/stripe-double/objects.js';
import { startStripeDouble, type StripeDouble } from '../test/stripe-double/stripe-double.js';

const SIZES = (process.env.BENCH_SYNC_SIZES ?? '10000,100000').split(',').map(Number);
const RPS = Number(process.env.BENCH_SYNC_RPS ?? 100);
const PAGE = 100;
const AIM_RATIO = 1.2;
const FLAT_RSS = 1.5;
const DRIFT_EVERY = Number(process.env.BENCH_SYNC_DRIFT_EVERY ?? 100); // 1%
const DAY = 86_400;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIERS = [['essential', 4900], ['professional', 9900], ['business', 19900]] as const;

interface Seeded {
  periodStart: number;
  periodEnd: number;
  tierOf: (i: number) => string;
}

/** Stripe's side: N active subscriptions, oldest first (the double lists newest first), each carrying its vendor id. */
function seedStripe(double: StripeDouble, n: number, prices: Record<string, ReturnType<StripeDouble['createPrice']>>): Seeded {
  const now = Math.floor(Date.now() / 1000);
  const periodStart = now - 5 * DAY;
  const periodEnd = periodStart + 30 * DAY;
  const tierOf = (i: number) => TIERS[i % TIERS.length][0];
  double.state.subscriptions.clear();
  for (let i = 1; i <= n; i++) {
    const s = subscriptionObject({
      customer: `cus_sync_${i}`, prices: [{ price: prices[tierOf(i)], quantity: 1 }], status: 'active', created: now - 60 * DAY + Math.floor(i / 10),
      periodStart, periodEnd, metadata: { vendor_id: String(i) },
    });
    s.id = `sub_sync_${i}`;
    for (const item of s.items.data) item.subscription = s.id;
    double.state.subscriptions.set(s.id, s);
  }
  return { periodStart, periodEnd, tierOf };
}

/** Our side: the same vendors, matching Stripe, except every DRIFT_EVERY-th one (past_due on another tier). */
async function seedDatabase(db: pg.Client, n: number, seeded: Seeded, prices: Record<string, { id: string }>): Promise<number> {
  await db.query(`TRUNCATE vendors, vendor_subscriptions, job_runs RESTART IDENTITY CASCADE`);
  await db.query(`INSERT INTO vendors (code, name) SELECT 'sync-' || g, 'Sync vendor ' || g FROM generate_series(1, $1) g`, [n]);
  await db.query(
    `INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, period_start, period_end, stripe_customer_id, stripe_subscription_id,
                                       stripe_price_id, has_payment_method, team_members_count, past_due_since, stripe_watermark)
     SELECT id, CASE WHEN id % $5 = 0 THEN 'enterprise' ELSE ($4::text[])[1 + id % 3] END,
            CASE WHEN id % $5 = 0 THEN 'past_due' ELSE 'active' END,
            to_timestamp($2), to_timestamp($3), 'cus_sync_' || id, 'sub_sync_' || id, ($6::text[])[1 + id % 3], true, 1,
            CASE WHEN id % $5 = 0 THEN now() - interval '2 days' END, NULL
       FROM vendors WHERE id <= $1::int`,
    [n, seeded.periodStart, seeded.periodEnd, TIERS.map(([t]) => t), DRIFT_EVERY, TIERS.map(([t]) => prices[t].id)],
  );
  await db.query(`VACUUM ANALYZE vendor_subscriptions`);
  return Math.floor(n / DRIFT_EVERY);
}

/** Rows that still differ from Stripe on what the sync owns: status, tier, period, the Stripe ids. */
async function driftAfter(db: pg.Client, n: number, seeded: Seeded): Promise<number> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM vendor_subscriptions
      WHERE vendor_id <= $1 AND (status <> 'active' OR tier_code <> ($4::text[])[1 + vendor_id % 3]
         OR period_start <> to_timestamp($2) OR period_end <> to_timestamp($3) OR stripe_subscription_id <> 'sub_sync_' || vendor_id)`,
    [n, seeded.periodStart, seeded.periodEnd, TIERS.map(([t]) => t)],
  );
  return rows[0].n;
}

/** Runs the job in its own process; answers its result line and peak RSS (VmHWM, polled until it exits). */
function runJob(env: Record<string, string>): Promise<{ code: number | null; line: string; peakRssMb: number; wallS: number }> {
  const started = performance.now();
  const nodeArgs = process.env.BENCH_SYNC_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/apps/worker/src/run-job.js'), 'sync-stripe-status'], { env: { ...process.env, ...env }, stdio: ['ignore', process.env.BENCH_DEBUG ? 'inherit' : 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // exited meanwhile
    }
  }, 100);
  return new Promise((ok) => {
    child.once('exit', (code) => {
      clearInterval(poll);
      const line = stderr.split('\n').find((l) => l.startsWith('sync-stripe-status:')) ?? stderr.trim().split('\n').slice(-3).join(' | ');
      if (process.env.BENCH_DEBUG) console.log(stderr.split('\n').slice(0, 3).join('\n'));
      ok({ code, line, peakRssMb: Math.round(peakKb / 1024), wallS: (performance.now() - started) / 1000 });
    });
  });
}

async function main(): Promise<void> {
  let embedded: EmbeddedDatabase | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'vb-bench-sync-'));
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg'), persistent: false });
    url = embedded.url;
  }
  const double = await startStripeDouble({ autoEvents: false, recordRequests: false });
  const db = new pg.Client({ connectionString: url });
  const table: Record<string, unknown>[] = [];
  try {
    await migrateDatabase(url);
    await db.connect();
    const prices: Record<string, ReturnType<StripeDouble['createPrice']>> = {};
    for (const [tier, amount] of TIERS) {
      prices[tier] = double.createPrice({ unit_amount: amount, currency: 'eur', interval: 'month', product_name: tier });
      await db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = $2 WHERE code = $1`, [tier, prices[tier].id]);
    }
    for (const n of SIZES) {
      const seeded = seedStripe(double, n, prices);
      const planted = await seedDatabase(db, n, seeded, prices);
      const run = await runJob({
        NODE_ENV: 'production', DATABASE_URL: url, DATA_DIR: join(dataDir, 'data'), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
        JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123', STRIPE_SECRET_KEY: 'sk_test_bench_sync', STRIPE_API_HOST: '127.0.0.1',
        STRIPE_API_PORT: String(double.port), STRIPE_API_PROTOCOL: 'http', STRIPE_MAX_REQUESTS_PER_SECOND: String(RPS),
      });
      const details = (() => {
        try {
          return JSON.parse(run.line.slice(run.line.indexOf('{'))) as Record<string, number>;
        } catch {
          return {} as Record<string, number>;
        }
      })();
      const jobS = (details.duration_ms ?? Number.NaN) / 1000;
      // Subscription pages, plus the events list (one page: the double holds no events here).
      const requests = Math.ceil(n / PAGE) + 1;
      const bound = requests / RPS;
      table.push({
        subscriptions: n, 'Stripe requests': requests, 'pacing bound s': Number(bound.toFixed(1)), 'job s': Number(jobS.toFixed(1)),
        'job / bound': Number((jobS / bound).toFixed(2)), 'process wall s': Number(run.wallS.toFixed(1)), 'peak RSS MB': run.peakRssMb,
        seen: details.subscriptions_seen, 'drift planted': planted, 'drift corrected': details.subscriptions_drifted, 'drift after': await driftAfter(db, n, seeded),
        exit: run.code,
      });
      if (run.code !== 0) console.error(run.line);
    }
    console.log(`\nsync-stripe-status at ${RPS} Stripe requests/s (pages of ${PAGE}); aim: job within 20% of the pacing bound, RSS flat in N, 0 drift after`);
    console.table(table);
    const byN = [...table].sort((x, y) => Number(x.subscriptions) - Number(y.subscriptions));
    if (byN.length > 1) {
      const [small, large] = [byN[0], byN[byN.length - 1]];
      const growth = Number(large['peak RSS MB']) / Number(small['peak RSS MB']);
      const perThousand = (Number(large['peak RSS MB']) - Number(small['peak RSS MB'])) / ((Number(large.subscriptions) - Number(small.subscriptions)) / 1000);
      console.log(`peak RSS ${small['peak RSS MB']} MB at ${small.subscriptions} → ${large['peak RSS MB']} MB at ${large.subscriptions}: ×${growth.toFixed(2)}, ${perThousand.toFixed(2)} MB per 1,000 more (aim: flat, under ×${FLAT_RSS}: ${growth < FLAT_RSS ? 'met' : 'missed'})`);
    }
    // Judged at the largest size: at a small one the job's fixed start (lock, job row, the events page) dominates.
    const largest = byN[byN.length - 1];
    const ratio = Number(largest['job / bound']);
    console.log(`pacing aim at ${largest.subscriptions} (job within ${Math.round((AIM_RATIO - 1) * 100)}% of the ${largest['pacing bound s']} s bound): ${ratio <= AIM_RATIO ? 'met' : 'missed'} (×${ratio}); drift after: ${table.every((r) => r['drift after'] === 0) ? '0 at every size' : 'NOT 0'}`);
    if (table.some((r) => r['drift after'] !== 0 || r.exit !== 0)) process.exitCode = 1;
  } finally {
    await db.end().catch(() => undefined);
    await double.close();
    if (embedded) await embedded.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
