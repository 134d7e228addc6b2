/**
 * `npm run bench:limits`: order creation with limit enforcement under load.
 *
 * The real API (createApiApp on 127.0.0.1, LOG_LEVEL=silent) and, as the ceiling, plain node:http + a pg Pool
 * doing the API's work without the framework: the token's signature, the API's user check and its statement (the
 * claim's conditional UPDATE … RETURNING and the INSERT in one statement), named as the API's are on a direct
 * connection; and, as the second ceiling, the bare server of bench/bare-servers.ts (the token checked in Node, then
 * one prepared statement: the user's active vendor, the conditional UPDATE and the INSERT). Each server
 * runs in its own child process and gets its own vendors: many on a tier with a large but finite orders limit,
 * one near its limit. autocannon (this process) drives each with 32 connections for 10 s, in turns: both servers
 * run at once, and the load alternates between them (API, ceiling, bare, then bare, ceiling, API: 2.5 s each), so that the
 * machine's slow and fast stretches fall on both. Afterwards every vendor's order rows are checked against its
 * counter and its limit. Then the overage path (overagePath): vendors on a tier that prices overage, all past their
 * limit, one near its cap, in turns with the hard-limit vendors on the same API; checked for exact overage counts,
 * one meter-event row per overage order and none past the cap. Embedded PostgreSQL in a temp dir unless
 * BENCH_DATABASE_URL is set. Knobs:
 * BENCH_DURATION_S, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_VENDORS, DATABASE_POOL_SIZE.
 */
import 'reflect-metadata';
import { JwtService } from '@nestjs/jwt';
import { DEFAULT_LIMITS_JSON, claimAndInsertText } from '@app/subscription';
import { TOKEN_USER_SQL } from '@app/platform';
import { migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stopChild, summarizeTurns, turnOrder } from './bench-support.js';
import { ceilingReport } from './ceiling-report.js';
import { cpuSecondsBetween, postgresCpu, postmasterOf } from './process-cpu.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const VENDORS = Number(process.env.BENCH_VENDORS ?? 16);
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? 20);
/** The measured seconds of each server are split into this many turns, alternating between the two. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const LARGE_LIMIT = 10_000_000;
const NEAR_LIMIT = 250;
const NEAR_HEADROOM = 5;
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const ORDERS_PATH = '/api/v1/vendor/orders';
const TARGET_NAMES = {
  api: 'NestJS API (auth, validation, enforcement)',
  ceiling: 'same-work ceiling: node:http + the API\'s statements',
  bare: 'bare ceiling: node:http + one statement',
};

interface AutocannonResult {
  requests: { average: number; total: number };
  /** Seconds the run took. */
  duration: number;
  latency: { p50: number; p99: number; average: number; max: number };
  statusCodeStats: Record<string, { count: number }>;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---------------------------------------------------------------------------------------------- child processes

/** The parent asks for the child's CPU time around the measured run: CPU per request is steadier than req/s on a shared machine. */
function answerCpuQueries(): void {
  process.on('message', (m: unknown) => {
    if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
  });
}

function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((ok) => {
    const onMessage = (m: { cpu?: NodeJS.CpuUsage }) => {
      if (!m.cpu) return;
      child.off('message', onMessage);
      ok((m.cpu.user + m.cpu.system) / 1000);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

async function serveApi(): Promise<void> {
  const { createApiApp } = await import('../apps/api/src/app.factory.js');
  const app = await createApiApp();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
  answerCpuQueries();
  process.send!({ port });
}

/**
 * The ceiling: the API's work without the framework — the token's HS256 signature checked with node:crypto, the
 * API's own user check (TOKEN_USER_SQL) and its one claim-and-insert statement (with the refusal's explanation),
 * both named as the API's are on a direct connection.
 */
async function serveCeiling(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POOL_SIZE });
  // The API's own statement shape (LimitService.claimAndInsert): the claim's CTEs and the INSERT in one statement,
  // named, so PostgreSQL keeps its plan per connection as the API's direct connection does.
  // (claimAndInsertText: with the order's overage CTEs, as the API's statement has them.)
  const claimAndInsert = claimAndInsertText('orders', (claimed) => `INSERT INTO orders (vendor_id, total_cents, customer_email, created_at, overage)
               SELECT vendor_id, $5::int, $6::varchar, $7::timestamptz, overage FROM ${claimed} RETURNING id, total_cents, currency, customer_email, created_at, overage`);
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string) => {
    if (req.method !== 'POST' || req.url !== ORDERS_PATH) return send(res, 404, { error_code: 'NOT_FOUND' });
    const token = (req.headers.authorization ?? '').split(' ')[1] ?? '';
    const [head, payload, signature] = token.split('.');
    const expected = createHmac('sha256', JWT_SECRET).update(`${head}.${payload}`).digest();
    const given = Buffer.from(signature ?? '', 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return send(res, 401, { error_code: 'UNAUTHORIZED' });
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; role: string; vid: number; exp: number };
    if (claims.exp * 1000 < Date.now()) return send(res, 401, { error_code: 'UNAUTHORIZED' });
    const { rows: [user] } = await pool.query({ name: 'token-user', text: TOKEN_USER_SQL, values: [Number(claims.sub)] });
    if (!user || user.role !== claims.role || (user.vendor_id !== null && user.vendor_active !== true)) return send(res, 401, { error_code: 'UNAUTHORIZED' });
    const vendorId = Number(user.vendor_id);
    const body = JSON.parse(raw) as { total_cents?: unknown; customer_email?: string };
    if (!Number.isInteger(vendorId) || !Number.isInteger(body.total_cents)) return send(res, 400, { error_code: 'VALIDATION_FAILED' });
    try {
      const now = new Date();
      const { rows } = await pool.query({ name: 'claim-and-insert', text: claimAndInsert, values: [vendorId, now, 14, DEFAULT_LIMITS_JSON, body.total_cents, body.customer_email ?? null, now] });
      const [{ refusal, ...order }] = rows;
      if (refusal) return send(res, 403, { error_code: 'TIER_LIMIT_EXCEEDED', details: refusal });
      send(res, 201, order);
    } catch (error) {
      send(res, 500, { error_code: 'INTERNAL_ERROR', message: String(error) });
    }
  };
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => void handle(req, res, raw).catch((error) => send(res, 500, { message: String(error) })));
  });
  answerCpuQueries();
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
  process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
}

// ---------------------------------------------------------------------------------------------- the run

interface Target {
  name: string;
  mode: 'api' | 'ceiling' | 'bare';
  vendors: Array<{ id: number; token: string }>;
}

/** Vendors with an owner and an active subscription, straight into the tables; tokens signed like the API's. */
async function createVendors(db: pg.Pool, prefix: string, count: number, tierCode: string): Promise<Target['vendors']> {
  const jwt = new JwtService({ secret: JWT_SECRET });
  const out: Target['vendors'] = [];
  for (let i = 0; i < count; i++) {
    const code = `${prefix}-${i}`;
    const [{ id }] = (await db.query(`INSERT INTO vendors (code, name) VALUES ($1, $1) RETURNING id`, [code])).rows;
    const [{ id: userId }] = (await db.query(`INSERT INTO users (vendor_id, email, password_hash, role, is_owner) VALUES ($1, $2, 'x', 'vendor', true) RETURNING id`, [id, `${code}@bench.test`])).rows;
    await db.query(
      `INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, period_start, period_end, team_members_count)
       VALUES ($1, $2, 'active', now() - interval '1 day', now() + interval '29 days', 1)`,
      [id, tierCode],
    );
    out.push({ id, token: jwt.sign({ sub: String(userId), role: 'vendor', vid: id }, { expiresIn: 3600, algorithm: 'HS256' }) });
  }
  return out;
}

function startChild(mode: Target['mode'], databaseUrl: string, dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  // The bare server (the second ceiling) is its own file: bench/bare-servers.ts.
  const [file, args] = mode === 'bare' ? [join(dirname(fileURLToPath(import.meta.url)), 'bare-servers.js'), ['--orders']] : [fileURLToPath(import.meta.url), [`--serve=${mode}`]];
  const child = fork(file, args, {
    env: {
      ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, JWT_SECRET, LOG_LEVEL: 'silent', DATA_DIR: dataDir,
      DATABASE_POOL_SIZE: String(POOL_SIZE), STRIPE_SECRET_KEY: '', ADMIN_EMAIL: '', ADMIN_PASSWORD: '',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: process.env.BENCH_CHILD_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CHILD_PROFILE] : [],
  });
  return new Promise((ok, fail) => {
    child.once('message', (m: { port: number }) => ok({ child, port: m.port }));
    child.once('exit', (code) => fail(new Error(`${mode} server exited with ${code}`)));
  });
}


function load(port: number, target: Target, durationS: number, connections: number): Promise<AutocannonResult> {
  // One request template; each request takes the next vendor in turn, so every vendor (the near one too) is hit evenly.
  let next = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        path: ORDERS_PATH,
        setupRequest: (request: Record<string, unknown>) => {
          const vendor = target.vendors[next++ % target.vendors.length];
          return { ...request, headers: { authorization: `Bearer ${vendor.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ total_cents: 1000 + (next % 100) }) };
        },
      },
    ],
  });
}

/** BENCH_DEBUG: what the server's connections are doing during the load (state and wait event), by count. */
function sampleActivity(db: pg.Pool) {
  const counts: Record<string, number> = {};
  const timer = setInterval(() => {
    void db.query(`SELECT state, wait_event_type, wait_event FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND datname = current_database()`).then(({ rows }) => {
      for (const r of rows) counts[`${r.state}/${r.wait_event_type ?? '-'}:${r.wait_event ?? '-'}`] = (counts[`${r.state}/${r.wait_event_type ?? '-'}:${r.wait_event ?? '-'}`] ?? 0) + 1;
    });
  }, 250);
  return { stop: async () => (clearInterval(timer), counts) };
}


/** Rows vs counter vs limit for every vendor of the target. */
async function verify(db: pg.Pool, target: Target) {
  const { rows } = await db.query(
    `SELECT s.vendor_id, s.orders_this_period AS counter, t.orders_per_month AS lim,
            (SELECT count(*)::int FROM orders o WHERE o.vendor_id = s.vendor_id) AS orders
       FROM vendor_subscriptions s JOIN subscription_tiers t ON t.code = s.tier_code
      WHERE s.vendor_id = ANY($1)`,
    [target.vendors.map((v) => v.id)],
  );
  return {
    orders: rows.reduce((n, r) => n + r.orders, 0),
    overLimit: rows.reduce((n, r) => n + Math.max(0, r.orders - (r.lim ?? Infinity)), 0),
    counterMismatches: rows.filter((r) => r.orders !== r.counter).length,
    nearVendorAtLimit: rows.some((r) => r.lim === NEAR_LIMIT && r.orders === NEAR_LIMIT),
  };
}

// ---------------------------------------------------------------------------------------------- the overage path

/** Overage vendors: past their limit from the start, billed by Stripe (a subscription carrying the tier's metered price), 1 cent an order. */
const OVERAGE_LIMIT = 10;
const OVERAGE_PRICE_CENTS = 1;
/** The one vendor near its cap: this many overage orders fit, so the run crosses the cap. */
const NEAR_CAP_ORDERS = 50;
const LARGE_CAP_CENTS = 1_000_000_000_000;

interface OverageRun {
  hard: AutocannonResult[];
  overage: AutocannonResult[];
  check: Awaited<ReturnType<typeof verifyOverage>>;
}

/**
 * The overage path beside the hard limit (CONTRACT §12), through the same API process: vendors on a tier that prices
 * overage, every one already past its limit (real order rows, counter to match), so each accepted order takes the
 * claim's overage arm, counts into the period's overage, and writes its meter-event row in the same statement. One
 * of them is near its cap, so the run crosses it. Turns alternate with the hard-limit target's vendors (the same
 * API, the same sitting), so the two paths are compared on the same machine state.
 */
async function overagePath(db: pg.Pool, port: number, hardTarget: Target, run: string): Promise<OverageRun> {
  const tier = `bench-ovg-${run}`;
  await db.query(
    `INSERT INTO subscription_tiers (code, name, products_limit, orders_per_month, team_members, display_order, price_monthly_cents, orders_overage_price_cents, stripe_overage_price_id)
     VALUES ($1, 'Bench overage', NULL, $2, 10, 92, 100000, $3, $4)`,
    [tier, OVERAGE_LIMIT, OVERAGE_PRICE_CENTS, `${tier}-metered`],
  );
  const vendors = await createVendors(db, `b-${run}-ovg`, VENDORS + 1, tier);
  const ids = vendors.map((v) => v.id);
  await db.query(`INSERT INTO orders (vendor_id, total_cents) SELECT v, 100 FROM unnest($1::int[]) AS v, generate_series(1, $2)`, [ids, OVERAGE_LIMIT]);
  await db.query(
    `UPDATE vendor_subscriptions SET orders_this_period = $2, stripe_customer_id = 'cus_bench_' || vendor_id, stripe_subscription_id = 'sub_bench_' || vendor_id,
            stripe_item_price_ids = ARRAY['price_bench_plan', tier_code || '-metered'],
            overage_cap_mode = 'custom', overage_cap_cents = CASE WHEN vendor_id = $3 THEN $4::bigint ELSE $5::bigint END
      WHERE vendor_id = ANY($1)`,
    [ids, OVERAGE_LIMIT, ids[ids.length - 1], NEAR_CAP_ORDERS * OVERAGE_PRICE_CENTS, LARGE_CAP_CENTS],
  );
  const target: Target = { name: 'overage', mode: 'api', vendors };
  await load(port, target, 2, 8); // warm-up of this path; its orders are verified with the rest
  const out: OverageRun = { hard: [], overage: [], check: undefined as never };
  for (let round = 0; round < ROUNDS; round++) {
    for (const which of round % 2 === 0 ? ['hard', 'overage'] as const : ['overage', 'hard'] as const) {
      out[which].push(await load(port, which === 'hard' ? hardTarget : target, DURATION_S / ROUNDS, CONNECTIONS));
    }
  }
  out.check = await verifyOverage(db, ids, ids[ids.length - 1]);
  return out;
}

/**
 * Per overage vendor: the counter equals the order rows, every order past the limit is an overage order and counted
 * so (exact overage counts and amount), one meter-event row per overage order (its own order, none twice), and the
 * period's overage within the cap; the near vendor's cap full.
 */
async function verifyOverage(db: pg.Pool, ids: number[], nearCapVendor: number) {
  const { rows } = await db.query(
    `SELECT s.vendor_id, s.orders_this_period AS counter, s.overage_orders, s.overage_amount_cents::bigint AS amount, s.overage_cap_cents::bigint AS cap,
            (SELECT count(*)::int FROM orders o WHERE o.vendor_id = s.vendor_id) AS orders,
            (SELECT count(*)::int FROM orders o WHERE o.vendor_id = s.vendor_id AND o.overage) AS overage_rows,
            (SELECT count(*)::int FROM stripe_meter_events m WHERE m.vendor_id = s.vendor_id) AS meter_rows,
            (SELECT count(DISTINCT m.order_id)::int FROM stripe_meter_events m JOIN orders o ON o.id = m.order_id AND o.overage WHERE m.vendor_id = s.vendor_id) AS meter_orders
       FROM vendor_subscriptions s WHERE s.vendor_id = ANY($1)`,
    [ids],
  );
  const n = (v: unknown) => Number(v);
  return {
    overageOrders: rows.reduce((sum, r) => sum + r.overage_rows, 0),
    counterMismatches: rows.filter((r) => r.orders !== r.counter).length,
    overageMismatches: rows.filter((r) => r.overage_orders !== r.overage_rows || r.orders - OVERAGE_LIMIT !== r.overage_rows || n(r.amount) !== r.overage_rows * OVERAGE_PRICE_CENTS).length,
    meterMismatches: rows.filter((r) => r.meter_rows !== r.overage_rows || r.meter_orders !== r.overage_rows).length,
    pastCap: rows.reduce((sum, r) => sum + Math.max(0, r.overage_rows - Math.floor(n(r.cap) / OVERAGE_PRICE_CENTS)), 0),
    nearCapFull: rows.some((r) => r.vendor_id === nearCapVendor && r.overage_rows === NEAR_CAP_ORDERS),
  };
}

function printOverage(result: OverageRun): void {
  const row = (runs: AutocannonResult[]) => {
    const turns = summarizeTurns(runs);
    const count = (code: string) => runs.reduce((n, r) => n + (r.statusCodeStats[code]?.count ?? 0), 0);
    return { columns: { 'req/s': Math.round(turns.rate), 'p50 ms': turns.p50, 'p99 ms': turns.p99, '201': count('201'), '403': count('403') }, rate: turns.rate };
  };
  const hard = row(result.hard);
  const overage = row(result.overage);
  const c = result.check;
  console.log(`overage path: ${VENDORS} vendors past their limit of ${OVERAGE_LIMIT} on a tier at ${OVERAGE_PRICE_CENTS} cent an order + 1 whose cap takes ${NEAR_CAP_ORDERS}, turns alternating with the hard-limit vendors on the same API\n`);
  console.table({
    'API, hard-limit path': hard.columns,
    'API, overage path': {
      ...overage.columns, 'overage orders': c.overageOrders, 'overage ≠ counted': c.overageMismatches, 'meter rows ≠ overage orders': c.meterMismatches,
      'past the cap': c.pastCap, 'counter ≠ rows': c.counterMismatches, 'near cap full': c.nearCapFull ? 'yes' : 'no',
    },
  });
  console.log(`overage / hard limit: ${((100 * overage.rate) / hard.rate).toFixed(1)}% of the hard-limit path's requests/s (0 mismatches, 0 past the cap)\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vb-bench-limits-'));
  const pgDir = mkdtempSync(join(tmpdir(), 'vb-bench-limits-pg-'));
  let embedded: EmbeddedDatabase | undefined;
  const children: ChildProcess[] = [];
  try {
    let url = process.env.BENCH_DATABASE_URL;
    if (!url) {
      embedded = await startEmbeddedPostgres({ dataDir: pgDir, persistent: false });
      url = embedded.url;
    }
    await migrateDatabase(url);
    const db = new pg.Pool({ connectionString: url, max: 4 });
    const run = Date.now().toString(36);
    await db.query(
      `INSERT INTO subscription_tiers (code, name, products_limit, orders_per_month, team_members, display_order)
       VALUES ($1, 'Bench large', NULL, $3, 10, 90), ($2, 'Bench near', NULL, $4, 10, 91)`,
      [`bench-large-${run}`, `bench-near-${run}`, LARGE_LIMIT, NEAR_LIMIT],
    );
    const targets: Target[] = [];
    for (const mode of ['api', 'ceiling', 'bare'] as const) {
      const vendors = [
        ...(await createVendors(db, `b-${run}-${mode}`, VENDORS, `bench-large-${run}`)),
        ...(await createVendors(db, `b-${run}-${mode}-near`, 1, `bench-near-${run}`)),
      ];
      // The near vendor starts a few orders short of its limit (real rows, counter to match), so the run crosses it.
      const near = vendors[vendors.length - 1].id;
      await db.query(`INSERT INTO orders (vendor_id, total_cents) SELECT $1, 100 FROM generate_series(1, $2)`, [near, NEAR_LIMIT - NEAR_HEADROOM]);
      await db.query(`UPDATE vendor_subscriptions SET orders_this_period = $2 WHERE vendor_id = $1`, [near, NEAR_LIMIT - NEAR_HEADROOM]);
      targets.push({ name: TARGET_NAMES[mode], mode, vendors });
    }

    // Both servers run at once and take turns under load (ABBA…: API, ceiling, ceiling, API), so a slower or faster
    // stretch of this shared machine falls on both alike instead of on whichever happened to run then.
    const servers = new Map<Target['mode'], ChildProcess>();
    const ports = new Map<Target['mode'], number>();
    for (const target of targets) {
      const { child, port } = await startChild(target.mode, url, join(dir, `data-${target.mode}`));
      children.push(child);
      servers.set(target.mode, child);
      ports.set(target.mode, port);
      await load(port, target, 2, 8); // warm-up (JIT, pools); its orders are verified with the rest
    }
    const rounds = new Map<Target['mode'], { result: AutocannonResult; cpuMs: number; pgCpuMs?: number }[]>(targets.map((t) => [t.mode, []]));
    // PostgreSQL's CPU per request too: each turn has the database to itself (but for the idle servers' pools).
    const postmaster = postmasterOf(Number((await db.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid));
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of turnOrder(round, targets)) {
        const child = servers.get(target.mode)!;
        const sampling = process.env.BENCH_DEBUG ? sampleActivity(db) : undefined;
        const cpuBefore = await cpuOf(child);
        const pgBefore = postgresCpu(postmaster);
        const result = await load(ports.get(target.mode)!, target, DURATION_S / ROUNDS, CONNECTIONS);
        rounds.get(target.mode)!.push({ result, cpuMs: (await cpuOf(child)) - cpuBefore, pgCpuMs: cpuSecondsBetween(pgBefore, postgresCpu(postmaster)) * 1000 });
        if (sampling) console.log(target.mode, 'pg_stat_activity (state/wait, samples):', await sampling.stop());
      }
    }
    const overage = await overagePath(db, ports.get('api')!, targets.find((t) => t.mode === 'api')!, run);
    for (const child of servers.values()) await stopChild(child);

    const table: Record<string, Record<string, number | string>> = {};
    const rps: Record<string, number> = {};
    const perRound: Record<string, number[]> = {};
    for (const target of targets) {
      const runs = rounds.get(target.mode)!;
      const check = await verify(db, target);
      const turns = summarizeTurns(runs.map((r) => r.result));
      const count = (code: string) => runs.reduce((n, r) => n + (r.result.statusCodeStats[code]?.count ?? 0), 0);
      const all = runs.reduce((n, r) => n + Object.values(r.result.statusCodeStats).reduce((m, c) => m + c.count, 0) + r.result.errors, 0);
      perRound[target.mode] = turns.perTurn;
      rps[target.mode] = turns.rate;
      table[target.name] = {
        'req/s': Math.round(turns.rate),
        'p50 ms': turns.p50,
        'p99 ms': turns.p99,
        'server CPU ms/req': Number((runs.reduce((n, r) => n + r.cpuMs, 0) / Math.max(1, turns.total)).toFixed(2)),
        'PostgreSQL CPU ms/req': Number((runs.reduce((n, r) => n + (r.pgCpuMs ?? 0), 0) / Math.max(1, turns.total)).toFixed(2)),
        '201': count('201'),
        '403': count('403'),
        other: all - count('201') - count('403'),
        'orders over a limit': check.overLimit,
        'counter ≠ rows': check.counterMismatches,
        'near vendor full': check.nearVendorAtLimit ? 'yes' : 'no',
      };
    }
    await db.end();
    console.log(`\nlimits benchmark: POST ${ORDERS_PATH}, ${CONNECTIONS} connections, ${DURATION_S} s, ${VENDORS} vendors at ${LARGE_LIMIT} orders + 1 at ${NEAR_LIMIT - NEAR_HEADROOM}/${NEAR_LIMIT}, pool ${POOL_SIZE}\n`);
    console.table(table);
    const figure = (mode: Target['mode']) => ({ rate: rps[mode], p99: Number(table[TARGET_NAMES[mode]]['p99 ms']), perTurn: perRound[mode] });
    console.log(ceilingReport(`req/s, ${DURATION_S / ROUNDS} s each`, figure('api'), [{ name: 'same-work ceiling', figure: figure('ceiling') }, { name: 'bare ceiling', figure: figure('bare') }]));
    console.log('(aim: 0 orders over a limit, counters equal to rows)\n');
    printOverage(overage);
  } finally {
    for (const child of children) await stopChild(child);
    if (embedded) await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(pgDir, { recursive: true, force: true });
  }
}

const serve = process.argv.find((a) => a.startsWith('--serve='))?.slice('--serve='.length);
if (serve === 'api') await serveApi();
else if (serve === 'ceiling') await serveCeiling();
else {
  await main();
  process.exit(0);
}
