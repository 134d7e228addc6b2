// npm run bench:webhooks — Stripe webhooks through the real API against a node:http ceiling doing the same work.
//
// 1,000 vendors (set-based seed, 950 with a Stripe customer and subscription, 50 that arrive through a plan
// Checkout) and pre-generated events: a mix of the handled types, unknown customers and unhandled types, with 10%
// duplicates interleaved as Stripe's retries would be. Every event has its own `created` second (no ties: a tie
// re-reads from Stripe, and the bench is about our path). Both servers run as child processes on one embedded
// PostgreSQL, each on its own copy of the seeded database; the ceiling (serveCeiling) runs the API's own statement
// for each subscription, invoice and add-on Checkout event without the framework. autocannon drives each (32
// connections, a 2 s warm-up, then 10 s measured in alternating turns of 2.5 s: API, ceiling, ceiling, API), signing
// each body as it is sent. Afterwards the ledger, billing history, add-ons
// and every vendor's row are checked against what was sent: every effect exactly once.
// Then a second stream, `customer.subscription.updated` only (bench/subscription-stream.ts), on three servers in
// turns: the API, the same-work ceiling and the bare one-statement server (bench/bare-servers.ts, on a third copy),
// each checked afterwards (ledger, status, outbox rows).
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stopChild, summarizeTurns, turnOrder } from './bench-support.js';
import { ceilingReport } from './ceiling-report.js';
import { cpuSecondsBetween, postgresCpu } from './process-cpu.js';
import { FLIP_EVERY, planSubscriptionStream, stateBefore, verifySubscriptionStream } from './subscription-stream.js';
import type Stripe from 'stripe';
import { freePort, migrateDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from '@app/database';
import { eventObject, invoiceObject, subscriptionObject } from '../test/stripe-double/objects.js';
import { startStripeDouble, type StripeDouble } from '../test/stripe-double/stripe-double.js';

const SECRET = 'whsec_bench_webhooks';
const VENDORS = 1000;
const CHECKOUT_VENDORS = 50;
const LINKED = VENDORS - CHECKOUT_VENDORS;
const DISTINCT_EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 40_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP_S = 2;
/** The measured seconds of each server are split into this many turns, alternating between the two. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const POOL_SIZE = 20;
const DAY = 86_400;
const P0 = Math.floor(Date.UTC(2026, 9, 1) / 1000);
const CYCLE = 30 * DAY;
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

// ---- the event stream --------------------------------------------------------------------------------------------

interface Planned {
  id: string;
  type: string;
  body: string;
  vendor?: number;
  /** customer.subscription.* of a known vendor: the tier its price means. */
  tier?: string;
  created: number;
  /** Cycle the event's period says (subscription events and cycle invoices). */
  cycle?: number;
  invoice?: string;
  addOnSession?: string;
  ignored?: boolean;
}

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Prices = Record<string, { price: Stripe.Price; tier: string }>;

function plan(prices: Prices, checkoutSubs: Map<number, Stripe.Subscription>): { distinct: Planned[]; sends: Planned[] } {
  const rnd = prng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const priceIds = Object.keys(prices);
  const cycleOf = new Map<number, number>();
  const openInvoices: Stripe.Invoice[] = [];
  const base = Math.floor(Date.now() / 1000) - 10 * DAY;
  const distinct: Planned[] = [];
  const pendingCheckouts = [...checkoutSubs.entries()];
  const sub = (vendor: number, priceId: string, status: Stripe.Subscription.Status, created: number, cancelAtPeriodEnd = false) => {
    const cycle = cycleOf.get(vendor) ?? 0;
    const s = subscriptionObject({
      customer: `cus_bench_${vendor}`, prices: [{ price: prices[priceId].price, quantity: 1 }], status, created: P0 - DAY,
      periodStart: P0 + cycle * CYCLE, periodEnd: P0 + (cycle + 1) * CYCLE, metadata: { vendor_id: String(vendor) }, cancelAtPeriodEnd,
    });
    s.id = `sub_bench_${vendor}`;
    for (const item of s.items.data) item.subscription = s.id;
    if (status === 'canceled') Object.assign(s, { canceled_at: created, ended_at: created });
    return { s, cycle };
  };
  const invoice = (vendor: number, cycle: number, status: 'paid' | 'open', created: number) => {
    const price = prices[priceIds[0]].price;
    const line = { amount: 4900, description: 'Essential', price, quantity: 1, periodStart: P0 + cycle * CYCLE, periodEnd: P0 + (cycle + 1) * CYCLE, subscription: `sub_bench_${vendor}`, subscriptionItem: null, proration: false };
    return invoiceObject({
      customer: `cus_bench_${vendor}`, subscription: `sub_bench_${vendor}`, subscriptionMetadata: { vendor_id: String(vendor) }, lines: [line], status,
      billingReason: 'subscription_cycle', created, periodStart: P0 + (cycle - 1) * CYCLE, periodEnd: P0 + cycle * CYCLE, currency: 'eur',
    });
  };
  for (let i = 0; i < DISTINCT_EVENTS; i++) {
    const created = base + i;
    const vendor = 1 + Math.floor(rnd() * LINKED);
    const r = rnd() * 100;
    let p: Omit<Planned, 'id' | 'body'> & { object: object };
    if (pendingCheckouts.length && i % Math.floor(DISTINCT_EVENTS / (CHECKOUT_VENDORS * 2)) === 7) {
      const [v, s] = pendingCheckouts.shift()!;
      const session = checkoutSession(`cs_bench_plan_${v}`, 'subscription', s.customer as string, s.id, { vendor_id: String(v), tier_code: prices[s.items.data[0].price.id].tier });
      p = { type: 'checkout.session.completed', object: session, vendor: v, created };
    } else if (r < 50) {
      const roll = rnd();
      const status: Stripe.Subscription.Status = roll < 0.8 ? 'active' : roll < 0.9 ? 'past_due' : 'trialing';
      const priceId = pick(priceIds);
      const { s, cycle } = sub(vendor, priceId, status, created, roll > 0.95);
      p = { type: 'customer.subscription.updated', object: s, vendor, tier: prices[priceId].tier, created, cycle };
    } else if (r < 70) {
      const retry = openInvoices.length > 0 && rnd() < 0.15 ? openInvoices.splice(Math.floor(rnd() * openInvoices.length), 1)[0] : null;
      const v = retry ? Number((retry.customer as string).split('_')[2]) : vendor;
      const cycle = retry ? (retry.lines.data[0].period.start - P0) / CYCLE : (cycleOf.get(v) ?? 0) + 1;
      if (!retry) cycleOf.set(v, cycle);
      const inv = retry ? Object.assign(structuredClone(retry), { status: 'paid', amount_paid: retry.amount_due, attempt_count: retry.attempt_count + 1 }) : invoice(v, cycle, 'paid', created);
      p = { type: 'invoice.paid', object: inv, vendor: v, created, cycle, invoice: inv.id };
    } else if (r < 78) {
      const cycle = (cycleOf.get(vendor) ?? 0) + 1;
      cycleOf.set(vendor, cycle);
      const inv = Object.assign(invoice(vendor, cycle, 'open', created), { amount_paid: 0, attempt_count: 1 + Math.floor(rnd() * 3) });
      openInvoices.push(inv);
      p = { type: 'invoice.payment_failed', object: inv, vendor, created, invoice: inv.id };
    } else if (r < 82) {
      const priceId = pick(priceIds);
      const { s, cycle } = sub(vendor, priceId, 'active', created);
      p = { type: 'customer.subscription.created', object: s, vendor, tier: prices[priceId].tier, created, cycle };
    } else if (r < 84) {
      const priceId = pick(priceIds);
      const { s, cycle } = sub(vendor, priceId, 'canceled', created);
      p = { type: 'customer.subscription.deleted', object: s, vendor, tier: prices[priceId].tier, created, cycle };
    } else if (r < 88) {
      const id = `cs_bench_addon_${i}`;
      p = { type: 'checkout.session.completed', object: checkoutSession(id, 'payment', `cus_bench_${vendor}`, null, { vendor_id: String(vendor), addon_code: 'ssl_premium' }), vendor, created, addOnSession: id };
    } else if (r < 90) {
      const { s } = sub(vendor, pick(priceIds), 'active', created);
      Object.assign(s, { id: `sub_stranger_${i}`, customer: `cus_stranger_${i}`, metadata: {} });
      p = { type: 'customer.subscription.updated', object: s, created, ignored: true };
    } else {
      const type = pick(['invoice.finalized', 'customer.updated', 'payment_intent.succeeded', 'invoice.created']);
      p = { type, object: { id: `obj_bench_${i}`, object: type.split('.')[0], customer: `cus_bench_${vendor}` }, created, ignored: true };
    }
    const event = eventObject(p.type, p.object, created, { id: `evt_bench_${i.toString().padStart(6, '0')}` });
    const { object: _object, ...rest } = p;
    distinct.push({ ...rest, id: event.id, body: JSON.stringify(event) });
  }
  // 10% of the sends are redeliveries of an event sent a little earlier.
  const sends: Planned[] = [];
  for (const e of distinct) {
    sends.push(e);
    if (sends.length > 50 && rnd() < 1 / 9) sends.push(sends[sends.length - 1 - Math.floor(rnd() * 50)]);
  }
  return { distinct, sends };
}

function checkoutSession(id: string, mode: 'subscription' | 'payment', customer: string, subscription: string | null, metadata: Record<string, string>) {
  return {
    id, object: 'checkout.session', mode, status: 'complete', payment_status: 'paid', customer, subscription, metadata, amount_total: 4900,
    currency: 'eur', created: Math.floor(Date.now() / 1000) - 60, expires_at: Math.floor(Date.now() / 1000) + DAY, livemode: false,
    invoice: null, payment_intent: mode === 'payment' ? `pi_${id}` : null, success_url: 'http://billing.test/ok', url: null, customer_details: null,
  };
}

function sign(body: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
}

// ---- the ceiling: node:http, the HMAC check and the API's own statements ---------------------------------------

/**
 * The same work without the framework: the signature checked with node:crypto, the body parsed once, and the
 * API's own statement for the event (its text composed by the same builders: the subscription writer with the
 * ledger's claim, the invoice handler with it, the add-on grant with it), named as the API's are on a direct
 * connection. Other events (a plan's Checkout, which reads Stripe first; unhandled types) are only recorded in the
 * ledger. It runs on its own copy of the seeded database.
 */
async function serveCeiling(): Promise<void> {
  const [{ DataSource }, db, subscription, platformEvents, ledger, invoices, patch, grants, addOns] = await Promise.all([
    import('typeorm'), import('@app/database'), import('@app/subscription'), import('@app/platform-events'),
    import('../libs/billing/src/webhooks/webhook-ledger.js'), import('../libs/billing/src/webhooks/invoice-event.handlers.js'),
    import('../libs/billing/src/webhooks/subscription-patch.js'), import('../libs/billing/src/add-ons/add-on-grant.service.js'),
    import('../libs/billing/src/add-ons/vendor-add-on.repository.js'),
  ]);
  const dataSource = await new DataSource(db.dataSourceOptions(process.env.DATABASE_URL!, { extra: { max: POOL_SIZE } })).initialize();
  db.allowPlanReuse(dataSource);
  const clock = { now: () => new Date() } as ConstructorParameters<typeof subscription.SubscriptionWriter>[0];
  const writer = new subscription.SubscriptionWriter(clock);
  const invoiceHandlers = new invoices.InvoiceEventHandlers(writer, clock, new platformEvents.PlatformEventWriter());
  const addOnGrants = new grants.AddOnGrantService(new addOns.VendorAddOnRepository(clock), clock, new platformEvents.PlatformEventWriter(), writer);
  const verify = (body: Buffer, header: string | undefined): boolean => {
    const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
    const t = Number(parts.t);
    if (!parts.v1 || !Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
    const expected = createHmac('sha256', SECRET).update(`${t}.`).update(body).digest();
    const given = Buffer.from(parts.v1, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const apply = async (event: Stripe.Event, payload: string): Promise<void> => {
    const now = new Date();
    const claim = { event, payload, createdAt: new Date(event.created * 1000), replay: false, now };
    if (event.type === 'invoice.paid' || event.type === 'invoice.payment_failed') {
      await invoiceHandlers.handle(dataSource.manager, event.type, event.data.object, ledger.ledgerClaim(claim), claim.createdAt);
      return;
    }
    if (event.type.startsWith('customer.subscription.')) {
      const sub = event.data.object as Stripe.Subscription;
      const claimed = ledger.ledgerClaim(claim);
      await writer.applyStripeSubscriptionWith(dataSource.manager, patch.toSubscriptionPatch(sub, { deleted: event.type === 'customer.subscription.deleted', now }),
        { kind: 'event', at: claim.createdAt }, ledger.planEventStep(claimed, sub.id, {}));
      return;
    }
    if (event.type === 'checkout.session.completed' && event.data.object.metadata?.addon_code) {
      const session = event.data.object;
      await addOnGrants.recordCheckoutPurchase(dataSource.manager, { vendorId: Number(session.metadata!.vendor_id), session, subscription: null }, ledger.ledgerClaim(claim));
      return;
    }
    const p = new db.SqlParams();
    const add = (value: unknown, cast: string) => p.add(value, cast);
    await db.queryRows(dataSource.manager, ledger.claimSql(add, claim, ledger.fixedOutcome(add, 'ignored', 'recorded by the ceiling')), p.values, { reusePlan: true });
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method !== 'POST') return void res.writeHead(200).end('ok');
      if (!verify(body, req.headers['stripe-signature'] as string | undefined)) return void res.writeHead(400).end('{"error":"signature"}');
      const text = body.toString('utf8');
      apply(JSON.parse(text) as Stripe.Event, text)
        .then(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"received":true}'))
        .catch(() => res.writeHead(500).end('{"error":"db"}'));
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(Number(process.env.PORT), '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => void dataSource.destroy().then(() => process.exit(0))));
}

// ---- driving ----------------------------------------------------------------------------------------------------

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  '2xx': number;
}
type Cannon = (opts: Record<string, unknown>) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;

async function waitForHttp(port: number, path: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered on port ${port}`);
}

function startChild(args: string[], env: Record<string, string>): ChildProcess {
  const out = process.env.BENCH_CHILD_STDOUT ? openSync(process.env.BENCH_CHILD_STDOUT, 'a') : 'ignore';
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', out, 'inherit'] });
  child.on('exit', (code, signal) => {
    if (code && code !== 0) console.error(`child ${args.join(' ')} exited with ${code ?? signal}`);
  });
  return child;
}


/** CPU seconds (user + system) a child has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Sends the planned stream in order (a shared cursor over all connections): warm-up, then the measured run. */
interface Measured extends CannonResult {
  cpuMsPerEvent: number;
  pgCpuMsPerEvent: number;
}

/**
 * Keeps the double's subscriptions where Stripe's would be: each as the newest `customer.subscription.*` event sent
 * for it shows it. An older event with another plan than the row's, delivered after a newer one, is settled by
 * re-reading the subscription (CONTRACT §6), and the double answers the read as Stripe would.
 */
function stripeFollowsSends(double: StripeDouble): (e: Planned) => void {
  const newest = new Map<string, number>();
  return (e) => {
    if (!e.type.startsWith('customer.subscription.')) return;
    const event = JSON.parse(e.body) as Stripe.Event;
    const subscription = event.data.object as Stripe.Subscription;
    if (!subscription.id.startsWith('sub_bench_') || (newest.get(subscription.id) ?? -Infinity) > event.created) return;
    newest.set(subscription.id, event.created);
    double.state.subscriptions.set(subscription.id, subscription);
  };
}

/** Sends the planned stream to one server, in turns: each call goes on where the last one stopped. */
function driver(port: number, path: string, sends: Planned[], sent: Set<string>, pid: number | undefined, postmaster: number, onSend?: (e: Planned) => void) {
  let cursor = 0;
  const run = (duration: number) =>
    autocannon({
      url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration, pipelining: 1, timeout: 30,
      requests: [{
        method: 'POST', path,
        setupRequest: (req: Record<string, unknown>) => {
          const e = sends[cursor++ % sends.length];
          sent.add(e.id);
          onSend?.(e);
          return { ...req, body: e.body, headers: { 'content-type': 'application/json', 'stripe-signature': sign(e.body) } };
        },
      }],
    });
  return {
    warmUp: () => run(WARMUP_S),
    async measure(duration: number): Promise<Measured> {
      const cpuBefore = cpuSeconds(pid);
      const pgBefore = postgresCpu(postmaster);
      const measured = await run(duration);
      const per = (seconds: number) => (seconds * 1000) / Math.max(1, measured.requests.total);
      if (cursor >= sends.length) console.warn(`the stream wrapped around (${cursor} sends > ${sends.length} planned): raise BENCH_WEBHOOK_EVENTS`);
      return { ...measured, cpuMsPerEvent: per(cpuSeconds(pid) - cpuBefore), pgCpuMsPerEvent: per(cpuSecondsBetween(pgBefore, postgresCpu(postmaster))) };
    },
  };
}

/** The turns of one server as one result (summarizeTurns), with its CPU per event weighted by each turn's events. */
function combine(rounds: Measured[]): Measured & { perRound: number[] } {
  const sum = (f: (r: Measured) => number) => rounds.reduce((n, r) => n + f(r), 0);
  const turns = summarizeTurns(rounds);
  return {
    requests: { total: turns.total, average: turns.rate },
    latency: { p50: turns.p50, p99: turns.p99, max: turns.max, average: sum((r) => r.latency.average * r.requests.total) / turns.total },
    non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors), timeouts: sum((r) => r.timeouts), duration: turns.seconds, '2xx': sum((r) => r['2xx']),
    cpuMsPerEvent: sum((r) => r.cpuMsPerEvent * r.requests.total) / turns.total, pgCpuMsPerEvent: sum((r) => r.pgCpuMsPerEvent * r.requests.total) / turns.total,
    perRound: turns.perTurn,
  };
}

async function measureFloor(port: number, pid: number | undefined, postmaster: number): Promise<Measured> {
  const cpuBefore = cpuSeconds(pid);
  const pgBefore = postgresCpu(postmaster);
  const r = await autocannon({ url: `http://127.0.0.1:${port}/health/live`, connections: CONNECTIONS, duration: 5, pipelining: 1 });
  const per = (seconds: number) => (seconds * 1000) / Math.max(1, r.requests.total);
  return { ...r, cpuMsPerEvent: per(cpuSeconds(pid) - cpuBefore), pgCpuMsPerEvent: per(cpuSecondsBetween(pgBefore, postgresCpu(postmaster))) };
}

// ---- verification -----------------------------------------------------------------------------------------------

async function verify(db: pg.Client, distinct: Planned[], sent: Set<string>): Promise<Array<{ check: string; expected: number | string; actual: number | string; ok: boolean }>> {
  const delivered = distinct.filter((e) => sent.has(e.id));
  const rows: Array<{ check: string; expected: number | string; actual: number | string; ok: boolean }> = [];
  const add = (check: string, expected: number | string, actual: number | string) => rows.push({ check, expected, actual, ok: expected === actual });
  const one = async (sql: string, params: unknown[] = []) => Object.values((await db.query(sql, params)).rows[0])[0] as number | string;

  add('ledger rows = distinct events sent', delivered.length, Number(await one(`SELECT count(*) FROM stripe_webhook_events`)));
  add('events failed or stuck', 0, Number(await one(`SELECT count(*) FROM stripe_webhook_events WHERE status NOT IN ('processed', 'ignored')`)));
  add('events ignored (unhandled type, unknown customer)', delivered.filter((e) => e.ignored).length, Number(await one(`SELECT count(*) FROM stripe_webhook_events WHERE status = 'ignored'`)));
  add('events with attempts > 1', 0, Number(await one(`SELECT count(*) FROM stripe_webhook_events WHERE attempts > 1`)));

  const invoices = new Map<string, boolean>();
  for (const e of delivered) if (e.invoice) invoices.set(e.invoice, invoices.get(e.invoice) === true || e.type === 'invoice.paid');
  add('billing_history rows = distinct invoices', invoices.size, Number(await one(`SELECT count(*) FROM billing_history`)));
  add('billing_history paid = invoices with invoice.paid', [...invoices.values()].filter(Boolean).length, Number(await one(`SELECT count(*) FROM billing_history WHERE status = 'paid'`)));
  const sessions = delivered.filter((e) => e.addOnSession).length;
  add('vendor_add_ons rows = distinct add-on checkouts', sessions, Number(await one(`SELECT count(*) FROM vendor_add_ons`)));
  const plans = delivered.filter((e) => e.type === 'checkout.session.completed' && !e.addOnSession).map((e) => e.vendor!);
  add('plan checkouts linked', plans.length, Number(await one(`SELECT count(*) FROM vendor_subscriptions WHERE vendor_id = ANY($1) AND stripe_subscription_id IS NOT NULL`, [plans])));

  // Per vendor: the newest subscription event wins the tier, and the watermark is at least its time — at most the
  // newest invoice's, as an invoice that changes the status moves the watermark to its event too; the period is
  // the furthest cycle any applied event opened, and the order counter was reset if (and only if) a new cycle was opened.
  const expected = new Map<number, { tier?: string; last?: number; lastInvoice?: number; cycle: number }>();
  for (const e of delivered) {
    if (!e.vendor || e.vendor > LINKED) continue;
    const x = expected.get(e.vendor) ?? { cycle: 0 };
    if (e.tier && (x.last === undefined || e.created > x.last)) Object.assign(x, { tier: e.tier, last: e.created });
    if (e.invoice) x.lastInvoice = Math.max(x.lastInvoice ?? e.created, e.created);
    if (e.cycle !== undefined && (e.type !== 'invoice.payment_failed')) x.cycle = Math.max(x.cycle, e.cycle);
    expected.set(e.vendor, x);
  }
  const actual = (await db.query(`SELECT vendor_id, tier_code, extract(epoch FROM stripe_watermark)::bigint AS last, extract(epoch FROM period_start)::bigint AS start, orders_this_period FROM vendor_subscriptions`)).rows;
  // A vendor one of whose events was settled by a re-read of Stripe carries the read's time as its watermark.
  const reread = new Set((await db.query(`SELECT DISTINCT (payload #>> '{data,object,metadata,vendor_id}')::int AS vendor FROM stripe_webhook_events WHERE error LIKE 'settled by a re-read%'`)).rows.map((r) => r.vendor as number));
  let tierWrong = 0, lastWrong = 0, periodWrong = 0, counterWrong = 0;
  for (const row of actual) {
    const x = expected.get(row.vendor_id);
    if (!x || row.vendor_id > LINKED) continue;
    if (x.tier !== undefined && row.tier_code !== x.tier) tierWrong++;
    const last = row.last === null ? null : Number(row.last);
    const newest = Math.max(x.last ?? -Infinity, x.lastInvoice ?? -Infinity);
    if (x.last === undefined ? last !== null && last > newest && !reread.has(row.vendor_id) : last === null || last < x.last || (last > newest && !reread.has(row.vendor_id))) lastWrong++;
    if (x.cycle > 0 && Number(row.start) !== P0 + x.cycle * CYCLE) periodWrong++;
    if ((x.cycle > 0 ? 0 : 10) !== row.orders_this_period) counterWrong++;
  }
  add('vendors whose tier is not the newest event\'s', 0, tierWrong);
  add('vendors whose stripe_watermark is not the newest subscription event\'s (or a later invoice\'s)', 0, lastWrong);
  add('vendors whose period is not the furthest cycle', 0, periodWrong);
  add('vendors whose order counter was not reset exactly when a cycle opened', 0, counterWrong);
  return rows;
}

/** Diagnostics (BENCH_DEBUG=1): what the API's PostgreSQL sessions wait on, sampled every 50 ms. */
function sampleWaits(url: string): { stop(): Promise<Record<string, number>> } {
  const client = new pg.Client({ connectionString: url });
  const counts: Record<string, number> = {};
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query(`SELECT coalesce(wait_event_type || ':' || wait_event, state) AS w, count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'vendor-billing' AND pid <> pg_backend_pid() GROUP BY 1`);
      for (const r of rows) counts[r.w] = (counts[r.w] ?? 0) + r.n;
      await new Promise((r) => setTimeout(r, 50));
    }
    await client.end();
  })();
  return { stop: async () => { running = false; await loop; return counts; } };
}

// ---- the subscription stream: API, same-work ceiling and bare ceiling in turns -------------------------------------

/** How many distinct events the subscription stream plans (BENCH_SUBSCRIPTION_EVENTS). */
const SUBSCRIPTION_EVENTS = Number(process.env.BENCH_SUBSCRIPTION_EVENTS ?? 60_000);

interface StreamServer {
  name: string;
  /** What its outbox follows and where its ledger is (the API's tables, or the bare server's). */
  kind: 'api' | 'bare';
  port: number;
  path: string;
  pid: number | undefined;
  db: pg.Client;
}

/**
 * `customer.subscription.updated` only (bench/subscription-stream.ts), the three servers in alternating turns after
 * a warm-up of each; then each server's database is checked against what it was sent. Answers the printout.
 */
async function subscriptionTurns(prices: Prices, servers: StreamServer[], postmaster: number): Promise<{ ok: boolean; print(): void }> {
  const [priceId] = Object.keys(prices);
  // After everything the mixed stream applied, re-reads included (they stamp the time they were made).
  const startAt = Math.floor(Date.now() / 1000) + 60;
  const { distinct, sends } = planSubscriptionStream(prices[priceId].price, LINKED, SUBSCRIPTION_EVENTS, startAt, { start: P0, end: P0 + CYCLE });
  const runs = [];
  for (const server of servers) {
    const sent = new Set<string>();
    const drive = driver(server.port, server.path, sends as unknown as Planned[], sent, server.pid, postmaster);
    runs.push({ server, sent, drive, before: await stateBefore(server.db, server.kind), rounds: [] as Measured[] });
  }
  for (const run of runs) await run.drive.warmUp();
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of turnOrder(round, runs)) run.rounds.push(await run.drive.measure(DURATION_S / ROUNDS));
  }
  await new Promise((r) => setTimeout(r, 1500));
  const results = runs.map((run) => ({ run, result: combine(run.rounds) }));
  const checks: Array<{ server: string; check: string; expected: number; actual: number; ok: boolean }> = [];
  for (const { run } of results) {
    for (const c of await verifySubscriptionStream(run.server.db, run.server.kind, distinct, run.sent, run.before, prices[priceId].tier)) checks.push({ server: run.server.name, ...c });
  }
  const ok = checks.every((c) => c.ok);
  return {
    ok,
    print() {
      console.log(`\nSubscription stream: customer.subscription.updated only, ${LINKED} vendors, status flipping every ${FLIP_EVERY}th event of a vendor, ~10% redeliveries; ${ROUNDS} alternating turns of ${DURATION_S / ROUNDS} s each`);
      console.table(results.map(({ run, result: r }) => ({
        server: run.server.name, 'events/s': Math.round(r.requests.average), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, 'max ms': r.latency.max,
        '2xx': r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts, 'server CPU ms/event': Number(r.cpuMsPerEvent.toFixed(2)), 'PostgreSQL CPU ms/event': Number(r.pgCpuMsPerEvent.toFixed(2)),
      })));
      const figure = (r: Measured & { perRound: number[] }) => ({ rate: r.requests.average, p99: r.latency.p99, perTurn: r.perRound });
      const [api, ...ceilings] = results;
      console.log(ceilingReport('events/s', figure(api.result), ceilings.map(({ run, result }) => ({ name: run.server.name, figure: figure(result) }))));
      console.table(checks);
      console.log(ok ? 'subscription stream: every effect exactly once on every server' : 'FAILED: the subscription stream\'s checks differ');
    },
  };
}

// ---- main -------------------------------------------------------------------------------------------------------

async function seed(db: pg.Client, double: StripeDouble): Promise<{ prices: Prices; checkoutSubs: Map<number, Stripe.Subscription> }> {
  await db.query(`INSERT INTO vendors (code, name) SELECT 'bench-' || g, 'Bench vendor ' || g FROM generate_series(1, $1) g`, [VENDORS]);
  await db.query(
    `INSERT INTO vendor_subscriptions (vendor_id, tier_code, status, period_start, period_end, stripe_customer_id, stripe_subscription_id,
                                       has_payment_method, orders_this_period, team_members_count)
     SELECT id, 'essential', 'active', to_timestamp($2), to_timestamp($3),
            CASE WHEN id <= $1 THEN 'cus_bench_' || id END, CASE WHEN id <= $1 THEN 'sub_bench_' || id END, id <= $1, 10, 1
       FROM vendors`,
    [LINKED, P0, P0 + CYCLE],
  );
  const prices: Prices = {};
  for (const [tier, monthly, annual] of [['essential', 4900, 49000], ['professional', 9900, 99000], ['business', 19900, 199000]] as const) {
    const m = double.createPrice({ unit_amount: monthly, currency: 'eur', interval: 'month', product_name: tier });
    const y = double.createPrice({ unit_amount: annual, currency: 'eur', interval: 'year', product_name: tier });
    prices[m.id] = { price: m, tier };
    prices[y.id] = { price: y, tier };
    await db.query(`UPDATE subscription_tiers SET stripe_price_monthly_id = $2, stripe_price_annual_id = $3 WHERE code = $1`, [tier, m.id, y.id]);
  }
  const checkoutSubs = new Map<number, Stripe.Subscription>();
  const priceList = Object.values(prices);
  for (let v = LINKED + 1; v <= VENDORS; v++) {
    const customer = double.createCustomer({ metadata: { vendor_id: String(v) } });
    checkoutSubs.set(v, double.createSubscription({ customer: customer.id, price: priceList[v % priceList.length].price.id, metadata: { vendor_id: String(v) } }));
  }
  await db.query(`VACUUM ANALYZE`);
  return { prices, checkoutSubs };
}

/** A copy of `url`'s database (CREATE DATABASE … TEMPLATE, retried while an autovacuum worker is still on it). */
async function cloneDatabase(url: string, name: string): Promise<string> {
  const at = (database: string) => Object.assign(new URL(url), { pathname: `/${database}` }).toString();
  const admin = new pg.Client({ connectionString: at('postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE "${new URL(url).pathname.slice(1)}"`);
        return at(name);
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await admin.end();
  }
}

async function main(): Promise<void> {
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    dataDir = mkdtempSync(join(tmpdir(), 'vb-bench-webhooks-'));
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false });
    url = embedded.url;
  }
  const double = await startStripeDouble();
  let db = new pg.Client({ connectionString: url });
  const children: ChildProcess[] = [];
  try {
    await migrateDatabase(url);
    await db.connect();
    const { prices, checkoutSubs } = await seed(db, double);
    // The ceiling gets its own copy of the seeded database: the same rows, so the same work.
    await db.end();
    const ceilingUrl = await cloneDatabase(url, 'vb_bench_webhooks_ceiling');
    const bareUrl = await cloneDatabase(url, 'vb_bench_webhooks_bare');
    db = new pg.Client({ connectionString: url });
    await db.connect();
    const backend = Number((await db.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid);
    const postmaster = Number(readFileSync(`/proc/${backend}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    const planned = performance.now();
    const { distinct, sends } = plan(prices, checkoutSubs);
    console.log(`planned ${distinct.length} events (${sends.length} sends with redeliveries) in ${Math.round(performance.now() - planned)} ms`);

    const apiPort = await freePort();
    const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const api = startChild([...nodeArgs, join(ROOT, 'dist/apps/api/src/main.js')], {
      NODE_ENV: 'production', PORT: String(apiPort), DATABASE_URL: url, DATABASE_POOL_SIZE: String(POOL_SIZE), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123', DATA_DIR: mkdtempSync(join(tmpdir(), 'vb-bench-data-')),
      STRIPE_SECRET_KEY: 'sk_test_bench', STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(double.port), STRIPE_API_PROTOCOL: 'http',
      APP_BASE_URL: 'http://billing.test', AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    });
    children.push(api);
    await waitForHttp(apiPort, '/health/live');
    const ceilingPort = await freePort();
    const ceiling = startChild([fileURLToPath(import.meta.url), '--ceiling'], { PORT: String(ceilingPort), DATABASE_URL: ceilingUrl });
    children.push(ceiling);
    await waitForHttp(ceilingPort, '/');
    // The second ceiling: a bare node:http server doing the essential work in one statement (bench/bare-servers.ts).
    const barePort = await freePort();
    const bare = startChild([join(HERE, 'bare-servers.js'), '--webhooks'], { PORT: String(barePort), DATABASE_URL: bareUrl, WEBHOOK_SECRET: SECRET, DATABASE_POOL_SIZE: String(POOL_SIZE) });
    children.push(bare);
    await waitForHttp(barePort, '/');

    // Both servers run at once and take turns under load (API, ceiling, ceiling, API, …), so a slower or faster
    // stretch of this shared machine falls on both alike; each turn goes on with the stream where its last stopped.
    const apiSent = new Set<string>();
    const ceilingSent = new Set<string>();
    const targets = [
      { name: 'api', drive: driver(apiPort, '/api/v1/webhooks/stripe', sends, apiSent, api.pid, postmaster, stripeFollowsSends(double)), rounds: [] as Measured[] },
      { name: 'ceiling', drive: driver(ceilingPort, '/', sends, ceilingSent, ceiling.pid, postmaster), rounds: [] as Measured[] },
    ];
    for (const t of targets) await t.drive.warmUp();
    const dbStats = async () => (await db.query(`SELECT xact_commit + xact_rollback AS xacts, tup_inserted, tup_updated, tup_fetched FROM pg_stat_database WHERE datname = current_database()`)).rows[0];
    const waits: Record<string, number> = {};
    const apiStats: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of turnOrder(round, targets)) {
        const debug = process.env.BENCH_DEBUG && t.name === 'api';
        const sampler = debug ? sampleWaits(url) : null;
        const statsBefore = debug ? await dbStats() : null;
        t.rounds.push(await t.drive.measure(DURATION_S / ROUNDS));
        if (sampler) for (const [k, n] of Object.entries(await sampler.stop())) waits[k] = (waits[k] ?? 0) + n;
        if (statsBefore) {
          await new Promise((r) => setTimeout(r, 800));
          const after = await dbStats();
          for (const k of Object.keys(after)) apiStats[k] = (apiStats[k] ?? 0) + Number(after[k]) - Number(statsBefore[k]);
        }
      }
    }
    if (process.env.BENCH_DEBUG) {
      console.log('PostgreSQL wait events during the API turns (samples):', waits);
      console.log('per distinct event:', Object.fromEntries(Object.entries(apiStats).map(([k, v]) => [k, (v / apiSent.size).toFixed(2)])));
    }
    const apiResult = combine(targets[0].rounds);
    const ceilingResult = combine(targets[1].rounds);
    await new Promise((r) => setTimeout(r, 1500));
    // The mixed stream is checked before the subscription stream changes the same rows.
    const checks = await verify(db, distinct, apiSent);
    const ceilingDb = new pg.Client({ connectionString: ceilingUrl });
    await ceilingDb.connect();
    const ceilingRows = Number((await ceilingDb.query(`SELECT count(*) FROM stripe_webhook_events`)).rows[0].count);
    const ceilingStuck = Number((await ceilingDb.query(`SELECT count(*) FROM stripe_webhook_events WHERE status NOT IN ('processed', 'ignored')`)).rows[0].count);

    // The subscription stream: the API, the same-work ceiling and the bare server in turns (subscriptionTurns).
    const bareDb = new pg.Client({ connectionString: bareUrl });
    await bareDb.connect();
    const second = await subscriptionTurns(prices, [
      { name: 'API (Nest)', kind: 'api', port: apiPort, path: '/api/v1/webhooks/stripe', pid: api.pid, db },
      { name: 'same-work ceiling', kind: 'api', port: ceilingPort, path: '/', pid: ceiling.pid, db: ceilingDb },
      { name: 'bare ceiling (one statement)', kind: 'bare', port: barePort, path: '/', pid: bare.pid, db: bareDb },
    ], postmaster);
    await bareDb.end();
    await ceilingDb.end();
    // For scale: the same process answering its cheapest route, i.e. what the framework costs per request.
    const floor = await measureFloor(apiPort, api.pid, postmaster);
    const metrics = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
    await stopChild(api);
    await stopChild(ceiling);
    await stopChild(bare);

    const outcome = (o: string) => [...metrics.matchAll(new RegExp(`^stripe_webhook_events_total\\{[^}]*outcome="${o}"[^}]*\\} (\\d+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
    const row = (name: string, r: Measured) => ({
      server: name, 'events/s': Math.round(r.requests.average), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, 'max ms': r.latency.max,
      requests: r.requests.total, '2xx': r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts, 'server CPU ms/event': Number(r.cpuMsPerEvent.toFixed(2)), 'PostgreSQL CPU ms/event': Number(r.pgCpuMsPerEvent.toFixed(2)),
    });
    console.log(`\nStripe webhooks: ${VENDORS} vendors, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s measured in ${ROUNDS} alternating turns each, ~10% redeliveries`);
    console.table([row('API (Nest, claim/apply/mark)', apiResult), row('ceiling (node:http + pg)', ceilingResult), row('for scale: API GET /health/live', floor)]);
    const ratio = apiResult.requests.average / ceilingResult.requests.average;
    console.log(`ratio API / ceiling: ${(ratio * 100).toFixed(1)}% (aim >= 70%); API p99 ${apiResult.latency.p99} ms (aim <= 2x the ceiling's ${ceilingResult.latency.p99} ms)`);
    const perRound = (r: { perRound: number[] }) => r.perRound.map(Math.round).join(', ');
    console.log(`rounds of ${DURATION_S / ROUNDS} s (API ${perRound(apiResult)} events/s; ceiling ${perRound(ceilingResult)}): ${apiResult.perRound.map((a, i) => `${Math.round((100 * a) / ceilingResult.perRound[i])}%`).join(', ')} round by round`);
    console.log(`API outcomes (metrics, incl. warm-up): processed ${outcome('processed')}, duplicate ${outcome('duplicate')}, ignored ${outcome('ignored')}, failed ${outcome('failed')}, invalid ${outcome('invalid_signature')}`);
    console.log(`ceiling ledger rows ${ceilingRows} of ${ceilingSent.size} distinct events sent, ${ceilingStuck} failed or stuck`);
    console.log('\nExactly once, checked against what was sent:');
    console.table(checks);
    const lost = checks.filter((c) => !c.ok);
    console.log(lost.length ? `FAILED: ${lost.length} check(s) differ` : 'every effect happened exactly once');
    if (lost.length) process.exitCode = 1;
    second.print();
    if (!second.ok) process.exitCode = 1;
  } finally {
    for (const child of children) await stopChild(child);
    await db.end().catch(() => undefined);
    await double.close();
    if (embedded) await embedded.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--ceiling')) await serveCeiling();
else await main();
