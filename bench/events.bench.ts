/**
 * `npm run bench:events`: delivery of platform events (CONTRACT §9) by the real worker to a loopback receiver.
 *
 * 1. Throughput: BENCH_EVENTS (100,000) pending events over BENCH_EVENT_VENDORS (1,000) vendors are seeded, then
 *    the real worker (WorkerModule, its delivery loop) runs in a child process and delivers them to a receiver in
 *    this process that verifies every delivery with the `standardwebhooks` package. The ceiling is the same POSTs (pre-signed bodies, the same
 *    concurrency as a delivery round) from a child process with no database. Checked afterwards: every event
 *    received, once, in order per vendor, and recorded delivered.
 * 2. Commit-to-delivery delay under load: the limits benchmark's load (the real API, 32 connections of
 *    POST /orders over 16 vendors) while events are committed at a steady rate (status changes, ~50/s, written by
 *    the trigger): delay = arrival at the receiver − the event's commit time (created_at), p50/p99.
 * Embedded PostgreSQL in a temp dir unless BENCH_DATABASE_URL is set.
 */
import 'reflect-metadata';
import { JwtService } from '@nestjs/jwt';
import { migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';
import { standardWebhookHeaders } from '@app/platform-events';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { stopChild } from './bench-support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const VENDORS = Number(process.env.BENCH_EVENT_VENDORS ?? 1_000);
const BATCH = Number(process.env.PLATFORM_EVENTS_BATCH_SIZE ?? 100);
const LOAD_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const EVENTS_PER_S = 50;
const SECRET = `whsec_${Buffer.from('bench-platform-secret-0123456789').toString('base64')}`;
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const AIM_EVENTS_PER_S = 1_000;
const AIM_P99_MS = 1_000;

type Autocannon = (options: Record<string, unknown>) => Promise<{ requests: { average: number }; latency: { p99: number } }>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ------------------------------------------------------------------------------------------- child processes

async function serveWorker(): Promise<void> {
  const { NestFactory } = await import('@nestjs/core');
  const { WorkerModule } = await import('../apps/worker/src/worker.module.js');
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
  process.send!({ ready: true });
}

async function serveApi(): Promise<void> {
  const { createApiApp } = await import('../apps/api/src/app.factory.js');
  const app = await createApiApp();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
  process.send!({ port });
}

/** The ceiling sender: the same signed POSTs, BATCH at a time, without a database. */
async function serveCeilingSender(): Promise<void> {
  const url = process.env.PLATFORM_WEBHOOK_URL!;
  const webhook = new Webhook(SECRET);
  const started = performance.now();
  for (let sent = 0; sent < EVENTS; sent += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, EVENTS - sent) }, async (_, k) => {
      const id = `ceiling-${sent + k}`;
      const body = JSON.stringify({ id, type: 'subscription.updated', created_at: new Date().toISOString(), vendor_id: (sent + k) % VENDORS, data: { seq: sent + k } });
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(webhook, id, body, new Date()) } });
      await res.arrayBuffer();
    }));
  }
  process.send!({ seconds: (performance.now() - started) / 1000 });
}

function start(mode: string, env: Record<string, string>): Promise<{ child: ChildProcess; message: Record<string, number | boolean> }> {
  const child = fork(fileURLToPath(import.meta.url), [`--serve=${mode}`], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((ok, fail) => {
    child.once('message', (message: Record<string, number | boolean>) => ok({ child, message }));
    child.once('exit', (code) => fail(new Error(`${mode} exited with ${code}`)));
  });
}


// ------------------------------------------------------------------------------------------- the receiver

class Receiver {
  count = 0;
  bad = 0;
  duplicates = 0;
  outOfOrder = 0;
  firstAt = 0;
  lastAt = 0;
  delays: number[] = [];
  measureDelays = false;
  private seen = new Set<string>();
  private lastSeq = new Map<number, number>();
  private waiters: Array<() => void> = [];
  private readonly webhook = new Webhook(SECRET);
  server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const now = Date.now();
        const body = JSON.parse(raw) as { id: string; vendor_id: number; created_at: string; data: { seq?: number } };
        try {
          this.webhook.verify(raw, req.headers as Record<string, string>, { jsonParse: false });
          if (req.headers['webhook-id'] !== body.id) this.bad++;
        } catch {
          this.bad++;
        }
        if (this.seen.has(body.id)) this.duplicates++;
        this.seen.add(body.id);
        if (typeof body.data.seq === 'number') {
          if ((this.lastSeq.get(body.vendor_id) ?? -1) > body.data.seq) this.outOfOrder++;
          this.lastSeq.set(body.vendor_id, body.data.seq);
        }
        if (this.measureDelays) this.delays.push(now - Date.parse(body.created_at));
        if (this.count++ === 0) this.firstAt = performance.now();
        this.lastAt = performance.now();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        for (const w of this.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/events`;
  }

  reset(): void {
    Object.assign(this, { count: 0, bad: 0, duplicates: 0, outOfOrder: 0, firstAt: 0, lastAt: 0, delays: [] });
    this.seen.clear();
    this.lastSeq.clear();
  }

  async until(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count < n && Date.now() < deadline) await new Promise<void>((ok) => { this.waiters.push(ok); setTimeout(ok, 200); });
  }
}

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN);

// ------------------------------------------------------------------------------------------- the run

async function main(): Promise<void> {
  const pgDir = mkdtempSync(join(tmpdir(), 'vb-bench-events-pg-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'vb-bench-events-'));
  let embedded: EmbeddedDatabase | undefined;
  const children: ChildProcess[] = [];
  const receiver = new Receiver();
  try {
    let url = process.env.BENCH_DATABASE_URL;
    if (!url) {
      embedded = await startEmbeddedPostgres({ dataDir: pgDir, persistent: false });
      url = embedded.url;
    }
    await migrateDatabase(url);
    const db = new pg.Pool({ connectionString: url, max: 4 });
    const receiverUrl = await receiver.start();
    const env = {
      NODE_ENV: 'production', DATABASE_URL: url, JWT_SECRET, LOG_LEVEL: 'silent', DATA_DIR: dataDir, DATABASE_POOL_SIZE: '20',
      STRIPE_SECRET_KEY: '', ADMIN_EMAIL: '', ADMIN_PASSWORD: '', PLATFORM_WEBHOOK_URL: receiverUrl, PLATFORM_WEBHOOK_SECRET: SECRET,
      PLATFORM_EVENTS_BATCH_SIZE: String(BATCH),
    };
    const table: Record<string, Record<string, string | number>> = {};

    // 1a. the ceiling: the same POSTs with no database
    const ceiling = await start('ceiling', env);
    children.push(ceiling.child);
    const ceilingRate = EVENTS / (ceiling.message.seconds as number);
    table['ceiling: signed POSTs, no database'] = { 'events/s': Math.round(ceilingRate), received: receiver.count, duplicates: receiver.duplicates, 'bad signatures': receiver.bad };
    await stopChild(ceiling.child, 10_000);
    receiver.reset();

    // 1b. the worker on a seeded outbox
    await db.query(
      `INSERT INTO platform_events (type, vendor_id, data)
       SELECT 'subscription.updated', 1 + (g % $2), jsonb_build_object('seq', g, 'tier_code', 'professional', 'status', 'active', 'cancel_at_period_end', false, 'previous', jsonb_build_object('status', 'trial'))
         FROM generate_series(0, $1 - 1) AS g ORDER BY g`,
      [EVENTS, VENDORS],
    );
    await db.query('ANALYZE platform_events');
    const started = performance.now();
    const worker = await start('worker', env);
    children.push(worker.child);
    await receiver.until(EVENTS, 600_000);
    const seconds = (receiver.lastAt - started) / 1000;
    let recorded = 0;
    for (let i = 0; i < 100; i++) {
      recorded = (await db.query(`SELECT count(*)::int AS n FROM platform_events WHERE status = 'delivered'`)).rows[0].n;
      if (recorded >= EVENTS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rate = receiver.count / seconds;
    table['worker: outbox → receiver'] = {
      'events/s': Math.round(rate), received: receiver.count, duplicates: receiver.duplicates, 'bad signatures': receiver.bad,
      'out of order': receiver.outOfOrder, 'recorded delivered': recorded,
    };
    await db.query(`DELETE FROM platform_events`);
    receiver.reset();

    // 2. commit-to-delivery delay under the limits benchmark's load
    const run = Date.now().toString(36);
    await db.query(`INSERT INTO subscription_tiers (code, name, products_limit, orders_per_month, team_members, display_order) VALUES ($1, 'Bench', NULL, 10000000, 10, 90)`, [`bench-${run}`]);
    const jwt = new JwtService({ secret: JWT_SECRET });
    const loadVendors: Array<{ id: number; token: string }> = [];
    const flipVendors: number[] = [];
    for (let i = 0; i < 16 + 50; i++) {
      const code = `ev-${run}-${i}`;
      const { rows: [{ id }] } = await db.query(`INSERT INTO vendors (code, name) VALUES ($1, $1) RETURNING id`, [code]);
      const { rows: [{ id: userId }] } = await db.query(`INSERT INTO users (vendor_id, email, password_hash, role, is_owner) VALUES ($1, $2, 'x', 'vendor', true) RETURNING id`, [id, `${code}@bench.test`]);
      await db.query(`INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, period_start, period_end, team_members_count) VALUES ($1, $2, 'active', now() - interval '1 day', now() + interval '29 days', 1)`, [id, `bench-${run}`]);
      if (i < 16) loadVendors.push({ id, token: jwt.sign({ sub: String(userId), role: 'vendor', vid: id }, { expiresIn: 3600, algorithm: 'HS256' }) });
      else flipVendors.push(id);
    }
    const api = await start('api', env);
    children.push(api.child);
    receiver.measureDelays = true;
    let next = 0;
    let committed = 0;
    const flipping = setInterval(() => {
      const vendor = flipVendors[committed % flipVendors.length];
      committed++;
      void db.query(`UPDATE vendor_subscriptions SET status = CASE status WHEN 'active' THEN 'past_due' ELSE 'active' END WHERE vendor_id = $1`, [vendor]);
    }, 1000 / EVENTS_PER_S);
    const load = await autocannon({
      url: `http://127.0.0.1:${api.message.port}`, connections: CONNECTIONS, duration: LOAD_S,
      requests: [{ method: 'POST', path: '/api/v1/vendor/orders', setupRequest: (r: Record<string, unknown>) => {
        const v = loadVendors[next++ % loadVendors.length];
        return { ...r, headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ total_cents: 1000 }) };
      } }],
    });
    clearInterval(flipping);
    await receiver.until(committed, 30_000);
    table['delay under load: commit → receiver'] = {
      'events/s': EVENTS_PER_S, received: receiver.delays.length, 'p50 ms': pct(receiver.delays, 50), 'p99 ms': pct(receiver.delays, 99), 'max ms': Math.max(...receiver.delays),
      'orders req/s meanwhile': Math.round(load.requests.average), 'orders p99 ms': load.latency.p99,
    };
    await db.end();

    console.log(`\nplatform events benchmark: ${EVENTS.toLocaleString('en')} events over ${VENDORS} vendors, rounds of ${BATCH}; then ${LOAD_S} s of POST /orders (${CONNECTIONS} connections) with ${EVENTS_PER_S} events/s committed\n`);
    console.table(table);
    console.log(`worker / ceiling: ${((rate / ceilingRate) * 100).toFixed(1)}% of the ceiling's events/s (aim: ≥ ${AIM_EVENTS_PER_S} events/s, none lost, no duplicate, none out of order)`);
    console.log(`commit → delivery under load: p50 ${pct(receiver.delays, 50)} ms, p99 ${pct(receiver.delays, 99)} ms (aim: p99 < ${AIM_P99_MS} ms with the default 500 ms idle poll)\n`);
  } finally {
    for (const child of children) await stopChild(child, 10_000);
    receiver.server?.closeAllConnections();
    receiver.server?.close();
    if (embedded) await embedded.stop();
    rmSync(pgDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const serve = process.argv.find((a) => a.startsWith('--serve='))?.slice('--serve='.length);
if (serve === 'worker') await serveWorker();
else if (serve === 'api') await serveApi();
else if (serve === 'ceiling') await serveCeilingSender();
else {
  await main();
  process.exit(0);
}
