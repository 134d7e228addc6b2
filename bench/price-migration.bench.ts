// npm run bench:price-migration — a price migration of many vendors against the Stripe double, at Stripe's pace.
//
// The double (in this process, request recording off) holds N active monthly subscriptions on professional's old
// price (BENCH_PRICE_MIGRATION_SIZES, a comma list; default 1,000 and 10,000), PostgreSQL the same vendors, plus a
// tenth as many on essential (not migrated). A migration row is written as the API writes it (notice 30 days), and
// the worker's runner (bench/price-migration-worker.ts, its own process) carries it out: the listing statements
// (each vendor's item and subscription.price_changing event), then two Stripe requests per vendor (the schedule from
// the subscription, its two phases), every one through the request limiter at PRICE_MIGRATION_REQUESTS_PER_SECOND
// (BENCH_PRICE_MIGRATION_RPS, default 100: Stripe's live limit; about 4 minutes in all). Reported:
// the run against the pacing's ceiling (2 × N requests at that rate; aim: within 10%), the worker's RSS and heap
// sampled through the run (aim: flat — the largest N's peak under 1.3× the smallest's, and the last quarter's peak
// heap under 1.3× the second quarter's), and the result checked against what the double holds: one schedule per
// vendor with the new price from its effective date, one event per vendor, essential untouched (a miss fails the run).
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';
import { subscriptionObject } from '../test/stripe-double/objects.js';
import { startStripeDouble, type StripeDouble } from '../test/stripe-double/stripe-double.js';

const SIZES = (process.env.BENCH_PRICE_MIGRATION_SIZES ?? '1000,10000').split(',').map(Number);
const RPS = Number(process.env.BENCH_PRICE_MIGRATION_RPS ?? 100);
const PACE_AIM = 1.1;
const FLAT = 1.3;
const DAY = 86_400;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MB = 1024 * 1024;

type Price = ReturnType<StripeDouble['createPrice']>;

/** Stripe's side: N subscriptions on the old professional price, N/10 on essential, each carrying its vendor id. */
function seedStripe(double: StripeDouble, n: number, prices: { old: Price; essential: Price }): { periodStart: number; periodEnd: number } {
  const now = Math.floor(Date.now() / 1000);
  const periodStart = now - 5 * DAY;
  const periodEnd = periodStart + 30 * DAY;
  double.state.subscriptions.clear();
  double.state.schedules.clear();
  for (let i = 1; i <= n + Math.floor(n / 10); i++) {
    const s = subscriptionObject({
      customer: `cus_pm_${i}`, prices: [{ price: i <= n ? prices.old : prices.essential, quantity: 1 }], status: 'active', created: now - 60 * DAY,
      periodStart, periodEnd, metadata: { vendor_id: String(i) },
    });
    s.id = `sub_pm_${i}`;
    for (const item of s.items.data) item.subscription = s.id;
    double.state.subscriptions.set(s.id, s);
  }
  return { periodStart, periodEnd };
}

async function seedDatabase(db: pg.Client, n: number, period: { periodStart: number; periodEnd: number }, prices: { old: Price; essential: Price }): Promise<void> {
  await db.query(`TRUNCATE vendors, vendor_subscriptions, price_migration_items, platform_events RESTART IDENTITY CASCADE`);
  // Migration ids go on: the double keeps the idempotency keys derived from them (as Stripe does for 24 hours).
  await db.query(`DELETE FROM price_migrations`);
  await db.query(`INSERT INTO vendors (code, name) SELECT 'pm-' || g, 'Price vendor ' || g FROM generate_series(1, $1) g`, [n + Math.floor(n / 10)]);
  await db.query(
    `INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, period_start, period_end, stripe_customer_id, stripe_subscription_id,
                                       stripe_price_id, stripe_price_amount_cents, has_payment_method, team_members_count)
     SELECT id, CASE WHEN id <= $1 THEN 'professional' ELSE 'essential' END, 'active', to_timestamp($2), to_timestamp($3), 'cus_pm_' || id, 'sub_pm_' || id,
            CASE WHEN id <= $1 THEN $4 ELSE $5 END, CASE WHEN id <= $1 THEN 9900 ELSE 4900 END, true, 1
       FROM vendors`,
    [n, period.periodStart, period.periodEnd, prices.old.id, prices.essential.id],
  );
  await db.query(`VACUUM ANALYZE vendor_subscriptions`);
}

function runWorker(env: Record<string, string>): Promise<{ code: number | null; durationMs: number; samples: Array<{ t: number; rss: number; heap: number }>; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/bench/price-migration-worker.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((ok) => {
    child.once('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      const parsed = line ? (JSON.parse(line) as { durationMs: number; samples: Array<{ t: number; rss: number; heap: number }> }) : { durationMs: Number.NaN, samples: [] };
      ok({ code, ...parsed, stderr });
    });
  });
}

/** The peak of `key` over the samples whose time falls in [from, to) of the run (fractions). */
function peak(samples: Array<{ t: number; rss: number; heap: number }>, key: 'rss' | 'heap', from = 0, to = 1.01): number {
  const end = samples.at(-1)?.t ?? 0;
  const inRange = samples.filter((s) => s.t >= from * end && s.t < to * end);
  return Math.max(0, ...inRange.map((s) => s[key]));
}

/** What the run left, against what it should have: one schedule per vendor with the new price, one event, essential untouched. */
async function check(db: pg.Client, double: StripeDouble, n: number, newPrice: string): Promise<{ scheduled: number; events: number; schedules: number; wrong: number; untouched: boolean }> {
  const { rows: [items] } = await db.query(`SELECT (count(*) FILTER (WHERE status = 'scheduled'))::int AS scheduled FROM price_migration_items`);
  const { rows: [events] } = await db.query(`SELECT count(*)::int AS n, count(DISTINCT vendor_id)::int AS vendors FROM platform_events WHERE type = 'subscription.price_changing'`);
  const { rows: effective } = await db.query(`SELECT stripe_subscription_id, extract(epoch FROM effective_at)::bigint AS at FROM price_migration_items`);
  const effectiveOf = new Map(effective.map((r: { stripe_subscription_id: string; at: string }) => [r.stripe_subscription_id, Number(r.at)]));
  const bySubscription = new Map<string, number>();
  let wrong = 0;
  for (const schedule of double.state.schedules.values()) {
    const sub = String(schedule.subscription);
    bySubscription.set(sub, (bySubscription.get(sub) ?? 0) + 1);
    const [first, second] = schedule.phases;
    if (schedule.phases.length !== 2 || String(second.items[0].price) !== newPrice || first.end_date !== effectiveOf.get(sub) || second.proration_behavior !== 'none') wrong++;
  }
  const untouched = [...bySubscription.keys()].every((sub) => Number(sub.slice('sub_pm_'.length)) <= n);
  if ([...bySubscription.values()].some((count) => count !== 1)) wrong++;
  return { scheduled: items.scheduled, events: events.n === events.vendors ? events.n : -events.n, schedules: bySubscription.size, wrong, untouched };
}

async function main(): Promise<void> {
  let embedded: EmbeddedDatabase | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'vb-bench-price-'));
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg'), persistent: false });
    url = embedded.url;
  }
  const double = await startStripeDouble({ autoEvents: false, recordRequests: false });
  const db = new pg.Client({ connectionString: url });
  const table: Record<string, unknown>[] = [];
  let failed = false;
  try {
    await migrateDatabase(url);
    await db.connect();
    const prices = {
      old: double.createPrice({ unit_amount: 9900, currency: 'eur', interval: 'month', product_name: 'Professional' }),
      essential: double.createPrice({ unit_amount: 4900, currency: 'eur', interval: 'month', product_name: 'Essential' }),
    };
    const fresh = double.createPrice({ unit_amount: 10900, currency: 'eur', interval: 'month', product: String(prices.old.product) });
    await db.query(`UPDATE subscription_tiers SET price_monthly_cents = 10900, stripe_price_monthly_id = $1 WHERE code = 'professional'`, [fresh.id]);
    await db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = $1 WHERE code = 'essential'`, [prices.essential.id]);
    for (const n of SIZES) {
      const period = seedStripe(double, n, prices);
      await seedDatabase(db, n, period, prices);
      // As POST /api/v1/admin/price-migrations writes it.
      await db.query(`INSERT INTO price_migrations (tier_code, is_annual, new_price_id, new_amount_cents, currency, notice_days) VALUES ('professional', false, $1, 10900, 'eur', 30)`, [fresh.id]);
      const run = await runWorker({
        NODE_ENV: 'production', DATABASE_URL: url, DATA_DIR: join(dataDir, 'data'), LOG_LEVEL: 'error', JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
        STRIPE_SECRET_KEY: 'sk_test_bench_price', STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(double.port), STRIPE_API_PROTOCOL: 'http',
        PRICE_MIGRATION_REQUESTS_PER_SECOND: String(RPS),
      });
      if (run.code !== 0) console.error(run.stderr.split('\n').slice(-5).join('\n'));
      const result = await check(db, double, n, fresh.id);
      const bound = (2 * n) / RPS;
      const seconds = run.durationMs / 1000;
      table.push({
        vendors: n, 'Stripe requests': 2 * n, 'pace ceiling s': Number(bound.toFixed(1)), 'run s': Number(seconds.toFixed(1)), 'run / ceiling': Number((seconds / bound).toFixed(3)),
        'vendors/s': Math.round(n / seconds), 'peak RSS MB': Math.round(peak(run.samples, 'rss') / MB), 'peak heap MB': Math.round(peak(run.samples, 'heap') / MB),
        'heap Q2 → Q4 MB': `${Math.round(peak(run.samples, 'heap', 0.25, 0.5) / MB)} → ${Math.round(peak(run.samples, 'heap', 0.75) / MB)}`,
        samples: run.samples.length, scheduled: result.scheduled, events: result.events, schedules: result.schedules, wrong: result.wrong, 'others untouched': result.untouched, exit: run.code,
        _heapQ2: peak(run.samples, 'heap', 0.25, 0.5), _heapQ4: peak(run.samples, 'heap', 0.75),
      });
      if (run.code !== 0 || result.scheduled !== n || result.events !== n || result.schedules !== n || result.wrong !== 0 || !result.untouched) failed = true;
    }
    console.log(`\nprice migration at ${RPS} Stripe requests/s (2 per vendor: schedule from the subscription, its phases); aim: within ${Math.round((PACE_AIM - 1) * 100)}% of the pace ceiling, memory flat, each vendor once`);
    console.table(table.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('_')))));
    const byN = [...table].sort((x, y) => Number(x.vendors) - Number(y.vendors));
    const [small, large] = [byN[0], byN[byN.length - 1]];
    const rssGrowth = Number(large['peak RSS MB']) / Number(small['peak RSS MB']);
    const heapTrend = Number(large._heapQ4) / Number(large._heapQ2);
    const ratio = Number(large['run / ceiling']);
    console.log(`pace at ${large.vendors}: ×${ratio} of the ${large['pace ceiling s']} s ceiling (${ratio <= PACE_AIM ? 'met' : 'missed'})`);
    console.log(`memory: peak RSS ${small['peak RSS MB']} MB at ${small.vendors} → ${large['peak RSS MB']} MB at ${large.vendors} (×${rssGrowth.toFixed(2)}); heap in the run at ${large.vendors}: last quarter's peak ×${heapTrend.toFixed(2)} the second's (aim under ×${FLAT}: ${rssGrowth < FLAT && heapTrend < FLAT ? 'met' : 'missed'})`);
    console.log(`each vendor once: ${failed ? 'NOT MET (see the table)' : 'one item, one event and one two-phase schedule per vendor, essential untouched'}`);
    if (failed) process.exitCode = 1;
  } finally {
    await db.end().catch(() => undefined);
    await double.close();
    if (embedded) await embedded.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
