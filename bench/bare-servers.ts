// The benches' second ceiling (issue 25): what the work itself needs, in one prepared statement per request, behind a
// bare node:http server — no Nest, no Fastify, no TypeORM, no logging or metrics. `bench:webhooks` and
// `bench:limits` start these beside the API and the same-work ceiling (which runs the API's own statements), so the
// API is measured against both: the framework's cost, and the statements' cost over the minimum.
//
//   node dist/bench/bare-servers.js --webhooks   (PORT, DATABASE_URL, WEBHOOK_SECRET): Stripe's deliveries
//   node dist/bench/bare-servers.js --orders     (PORT, DATABASE_URL, JWT_SECRET): POST /api/v1/vendor/orders
//
// Each prints `listening <port>` on stdout when ready (PORT=0: a free one) and answers `cpu` on its IPC channel
// (when forked) with process.cpuUsage().
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? 20);
const TOLERANCE_S = 300;

/**
 * The bare webhook server's own tables, in its own database: the ledger of event ids, each subscription's Stripe
 * status and price under an event-time watermark, and the outbox. Seeded from `vendor_subscriptions`, so its
 * first event of a subscription is an update, as the API's is.
 */
export const BARE_WEBHOOK_SCHEMA = `
  CREATE TABLE IF NOT EXISTS bare_webhook_events (event_id text PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS bare_subscriptions (stripe_subscription_id text PRIMARY KEY, status text NOT NULL, price_id text, watermark timestamptz NOT NULL);
  CREATE TABLE IF NOT EXISTS bare_outbox (id bigserial PRIMARY KEY, stripe_subscription_id text NOT NULL, data jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO bare_subscriptions (stripe_subscription_id, status, price_id, watermark)
  SELECT stripe_subscription_id, CASE status WHEN 'cancelled' THEN 'canceled' WHEN 'trial' THEN 'trialing' ELSE status END, stripe_price_id,
         COALESCE(stripe_watermark, '-infinity') FROM vendor_subscriptions WHERE stripe_subscription_id IS NOT NULL
  ON CONFLICT DO NOTHING;`;

/**
 * One statement, autocommit: the event id claimed (a redelivery claims nothing and changes nothing), the
 * subscription's status and price upserted unless a newer event was applied (the watermark), and an outbox row
 * when the status changed (PostgreSQL 18's RETURNING old/new). $1 event id, $2 subscription id, $3 status,
 * $4 price id, $5 the event's time.
 */
export const BARE_WEBHOOK_SQL = `WITH claim AS (
    INSERT INTO bare_webhook_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING event_id),
  upsert AS (
    INSERT INTO bare_subscriptions AS sub (stripe_subscription_id, status, price_id, watermark) SELECT $2, $3, $4, $5 FROM claim
    ON CONFLICT (stripe_subscription_id) DO UPDATE SET status = EXCLUDED.status, price_id = EXCLUDED.price_id, watermark = EXCLUDED.watermark
     WHERE sub.watermark < EXCLUDED.watermark
    RETURNING old.status AS before, new.status AS after),
  outbox AS (
    INSERT INTO bare_outbox (stripe_subscription_id, data)
    SELECT $2, jsonb_build_object('status', upsert.after, 'previous_status', upsert.before) FROM upsert WHERE upsert.before IS DISTINCT FROM upsert.after
    RETURNING id)
  SELECT EXISTS (SELECT 1 FROM claim) AS claimed`;

/**
 * One statement, autocommit: the token's user and its active vendor, the slot claimed by the conditional UPDATE
 * (trial or active, under the tier's orders limit; NULL: unlimited) and the order inserted. $1 user id, $2 role,
 * $3 total, $4 customer email, $5 now. No row back: refused (no vendor, inactive, or at the limit).
 */
export const BARE_ORDER_SQL = `WITH account AS (
    SELECT u.vendor_id FROM users u JOIN vendors v ON v.id = u.vendor_id AND v.is_active WHERE u.id = $1 AND u.role = $2),
  claimed AS (
    UPDATE vendor_subscriptions AS s SET orders_this_period = s.orders_this_period + 1
      FROM account WHERE s.vendor_id = account.vendor_id AND s.status IN ('trial', 'active')
       AND s.orders_this_period < COALESCE((SELECT t.orders_per_month FROM subscription_tiers t WHERE t.code = s.tier_code), 2147483647)
    RETURNING s.vendor_id)
  INSERT INTO orders (vendor_id, total_cents, customer_email, created_at) SELECT vendor_id, $3, $4, $5 FROM claimed
  RETURNING id, total_cents, currency, customer_email, created_at`;

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Reads the whole body, then hands it on; a failure answers 500. */
function serve(handle: (req: IncomingMessage, body: Buffer) => Promise<[number, string]>): ReturnType<typeof createServer> {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).then(
        ([status, text]) => send(res, status, text),
        (error: unknown) => send(res, 500, JSON.stringify({ error: String(error) })),
      );
    });
  });
}

/** Stripe's scheme: `t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`, compared in constant time, 300 s tolerance. */
function stripeSignatureValid(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  let t = NaN;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq);
    if (key === 't') t = Number(part.slice(eq + 1));
    else if (key === 'v1') signatures.push(Buffer.from(part.slice(eq + 1), 'hex'));
  }
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > TOLERANCE_S) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected));
}

interface SubscriptionEvent {
  id: string;
  type: string;
  created: number;
  data: { object: { id: string; status: string; items?: { data: { price: { id: string } }[] } } };
}

async function serveWebhooks(): Promise<void> {
  const secret = process.env.WEBHOOK_SECRET!;
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POOL_SIZE });
  await pool.query(BARE_WEBHOOK_SCHEMA);
  const server = serve(async (req, body) => {
    if (req.method !== 'POST') return [200, 'ok'];
    if (!stripeSignatureValid(secret, body, req.headers['stripe-signature'] as string | undefined)) return [400, '{"error":"signature"}'];
    const event = JSON.parse(body.toString('utf8')) as SubscriptionEvent;
    if (!event.type.startsWith('customer.subscription.')) return [200, '{"received":true,"ignored":true}'];
    const sub = event.data.object;
    await pool.query({ name: 'bare-webhook', text: BARE_WEBHOOK_SQL, values: [event.id, sub.id, sub.status, sub.items?.data[0]?.price.id ?? null, new Date(event.created * 1000)] });
    return [200, '{"received":true}'];
  });
  await listen(server, () => pool.end());
}

/** HS256 only: the header and payload signed with the secret, compared in constant time; answers the claims or null. */
function verifyJwt(secret: string, token: string): { sub: string; role: string; exp?: number } | null {
  const [head, payload, signature] = token.split('.');
  if (!head || !payload || signature === undefined) return null;
  const expected = createHmac('sha256', secret).update(`${head}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string };
  if (header.alg !== 'HS256') return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; role: string; exp?: number };
  return claims.exp !== undefined && claims.exp * 1000 < Date.now() ? null : claims;
}

async function serveOrders(): Promise<void> {
  const secret = process.env.JWT_SECRET!;
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POOL_SIZE });
  const server = serve(async (req, body) => {
    if (req.method !== 'POST' || req.url !== '/api/v1/vendor/orders') return [404, '{"error_code":"NOT_FOUND"}'];
    const auth = req.headers.authorization ?? '';
    const claims = auth.startsWith('Bearer ') ? verifyJwt(secret, auth.slice(7)) : null;
    if (!claims) return [401, '{"error_code":"UNAUTHORIZED"}'];
    const input = JSON.parse(body.toString('utf8')) as { total_cents?: unknown; customer_email?: unknown };
    if (!Number.isInteger(input.total_cents) || (input.customer_email !== undefined && typeof input.customer_email !== 'string')) return [400, '{"error_code":"VALIDATION_FAILED"}'];
    const { rows } = await pool.query({ name: 'bare-order', text: BARE_ORDER_SQL, values: [Number(claims.sub), claims.role, input.total_cents, input.customer_email ?? null, new Date()] });
    if (!rows.length) return [403, '{"error_code":"TIER_LIMIT_EXCEEDED"}'];
    return [201, JSON.stringify(rows[0])];
  });
  await listen(server, () => pool.end());
}

async function listen(server: ReturnType<typeof createServer>, close: () => Promise<void>): Promise<void> {
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((ok) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  process.on('SIGTERM', () => server.close(() => void close().then(() => process.exit(0))));
  if (process.send) {
    process.on('message', (m: unknown) => {
      if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
    });
    process.send({ port });
  }
  console.log(`listening ${port}`);
}

if (process.argv.includes('--webhooks')) await serveWebhooks();
else if (process.argv.includes('--orders')) await serveOrders();
