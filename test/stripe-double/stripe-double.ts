import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import { parseForm, type Params } from './form-parser.js';
import { Faults, matchesRequest, type DelaySpec, type FailureSpec, type RequestMatcher } from './faults.js';
import * as helpers from './helpers.js';
import { eventObject } from './objects.js';
import { StripeApiError, strings } from './params.js';
import { catalogRoutes } from './resources/catalog.js';
import { meterRoutes } from './resources/meters.js';
import { checkoutRoutes } from './resources/checkout.js';
import type { Route, RouteContext } from './resources/common.js';
import { customerRoutes } from './resources/customers.js';
import { eventRoutes } from './resources/events.js';
import { invoiceRoutes } from './resources/invoices.js';
import { subscriptionRoutes } from './resources/subscriptions.js';
import { scheduleRoutes } from './resources/schedules.js';
import { API_VERSION, newId, type ProrationRecord, StripeState } from './store.js';
import { expandObject, previousAttributes } from './expand.js';
import { IdempotencyStore } from './idempotency.js';

export type { FailureSpec, DelaySpec, RequestMatcher, ProrationRecord };
export { StripeState };

export const DOUBLE_WEBHOOK_SECRET = 'whsec_test_double';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/subscriptions/sub_123`. */
  path: string;
  /** Decoded form body (POST) or query string (GET/DELETE), with bracket notation nested. */
  params: Params;
  idempotencyKey: string | null;
  headers: Record<string, string>;
  /** The status answered (undefined while in flight). */
  status?: number;
  /** True when the answer was an idempotent replay. */
  replayed?: boolean;
}


const ROUTES: Route[] = [...customerRoutes, ...catalogRoutes, ...checkoutRoutes, ...subscriptionRoutes, ...invoiceRoutes, ...eventRoutes, ...meterRoutes, ...scheduleRoutes];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function errorBody(error: StripeApiError): object {
  return { error: { type: error.type, ...(error.code && { code: error.code }), message: error.message, ...(error.param && { param: error.param }) } };
}

/** A Stripe-compatible HTTP server for the real `stripe` SDK, with Stripe-side state, fault injection and request recording. */
export interface StripeDoubleOptions {
  /** Record API calls' events for `events.list` (default true; `state.autoEvents` changes it for a while). */
  autoEvents?: boolean;
  /** Keep `double.requests` (default true; a long benchmark may turn it off to save memory). */
  recordRequests?: boolean;
}

export class StripeDouble {
  readonly state: StripeState;
  readonly requests: RecordedRequest[] = [];
  /** Called with every answer the double sends (its JSON text), replays included: the types spec validates them. */
  onAnswer?: (answer: { method: string; path: string; status: number; body: string }) => void;
  private readonly recordRequests: boolean;
  private readonly faults = new Faults();
  private readonly idempotent = new IdempotencyStore();
  /** Requests and answers held back by `delayNext` right now; `releaseHeld()` lets them all go at once. */
  private readonly held = new Set<() => void>();
  private server!: Server;
  port = 0;

  constructor(options: StripeDoubleOptions = {}) {
    this.state = new StripeState(options.autoEvents ?? true);
    this.recordRequests = options.recordRequests ?? true;
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // Never an unhandled rejection inside a test run: answer 500 like an API hiccup.
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ error: { type: 'api_error', message: `stripe double failed: ${String(error)}` } }));
        }
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests whose method matches and whose path starts with `pathPrefix` (or matches the RegExp). */
  requestsTo(method: string, pathPrefix: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => matchesRequest({ method, path: pathPrefix }, r.method, r.path));
  }

  failNext(spec: FailureSpec): void {
    this.faults.failNext(spec);
  }

  delayNext(spec: DelaySpec): void {
    this.faults.delayNext(spec);
  }

  /** Ends every `delayNext` wait now (the held request runs, or its answer is sent, as if the time had passed). */
  releaseHeld(): void {
    for (const release of [...this.held]) release();
  }

  private hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.held.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.held.add(release);
    });
  }

  /** Answers 429 `rate_limit` to requests above `perSecond` in any 1 s window; `null` lifts the limit. */
  rateLimit(spec: { perSecond: number; shouldRetry?: boolean } | null): void {
    this.faults.rateLimit(spec);
  }

  get pendingFailures(): number {
    return this.faults.pendingFailures;
  }

  /** Fixes Stripe's "now" (Date or Unix seconds); `null` returns to the wall clock. */
  setTime(time: Date | number | null): void {
    this.state.fixedNow = time === null ? null : typeof time === 'number' ? time : Math.floor(time.getTime() / 1000);
  }

  /** Every proration computed for a subscription, previews and changes alike (oldest first). */
  prorationsFor(subscriptionId: string): ProrationRecord[] {
    return this.state.prorations.filter((p) => p.subscription === subscriptionId);
  }

  reset(): void {
    this.state.clear();
    this.requests.length = 0;
    this.faults.clear();
    this.idempotent.clear();
  }

  async close(): Promise<void> {
    this.releaseHeld();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  // ---- Stripe-side truth for tests -------------------------------------------------------------------------------

  createCustomer(input?: Parameters<typeof helpers.createCustomer>[1]): Stripe.Customer {
    return helpers.createCustomer(this.state, input);
  }

  createPrice(input: helpers.CreatePriceInput): Stripe.Price {
    return helpers.createPrice(this.state, input);
  }

  createSubscription(input: helpers.CreateSubscriptionInput): Stripe.Subscription {
    return helpers.createSubscription(this.state, input);
  }

  updateSubscriptionState(id: string, patch: helpers.SubscriptionPatch): Stripe.Subscription {
    return helpers.updateSubscriptionState(this.state, id, patch);
  }

  /** Returns `event` (checkout.session.completed) and `events` (everything Stripe would send, in order). */
  completeCheckout(sessionId: string): { session: Stripe.Checkout.Session; subscription: Stripe.Subscription | null; invoice: Stripe.Invoice | null; event: Stripe.Event; events: Stripe.Event[] } {
    return helpers.completeCheckout(this.state, (type, object, before) => this.emit(type, object, before, null), sessionId);
  }

  renewSubscription(id: string, options: { paid?: boolean } = {}): { subscription: Stripe.Subscription; invoice: Stripe.Invoice; events: Stripe.Event[] } {
    return helpers.renewSubscription(this.state, (type, object, before) => this.emit(type, object, before, null), id, options);
  }

  createInvoice(input: helpers.CreateInvoiceInput): Stripe.Invoice {
    return helpers.createInvoice(this.state, input);
  }

  /** A full `Stripe.Event` around a copy of `object`, stored for `events.list`/`retrieve`. */
  makeEvent(type: string, object: object, options: { created?: number; id?: string; previous_attributes?: object } = {}): Stripe.Event {
    const event = eventObject(type, object, options.created ?? this.state.now(), options);
    this.state.events.set(event.id, event);
    return event;
  }

  /** The body and `Stripe-Signature` header Stripe would send for `event`. */
  signedPayload(event: object, secret = DOUBLE_WEBHOOK_SECRET, options: { timestamp?: number } = {}): { body: string; signature: string } {
    return helpers.signedPayload(event, secret, options.timestamp);
  }

  private emit(type: string, object: object, before: object | undefined, request: { id: string; idempotency_key: string | null } | null): Stripe.Event {
    const previous = before && previousAttributes(before, object);
    const event = eventObject(type, object, this.state.now(), { ...(previous && { previous_attributes: previous }), ...(request && { request }) });
    // Stripe sends no `*.updated` event for an update that changed nothing.
    const changed = !previous || Object.keys(previous).length > 0;
    if (this.state.autoEvents && changed) this.state.events.set(event.id, event);
    return event;
  }

  // ---- HTTP ------------------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const [path, query = ''] = (req.url ?? '/').split('?');
    const body = await readBody(req);
    const params = method === 'POST' ? parseForm(body) : parseForm(query);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']));
    const idempotencyKey = headers['idempotency-key'] || null;
    const record: RecordedRequest = { method, path, params, idempotencyKey, headers };
    if (this.recordRequests) this.requests.push(record);
    const requestId = newId('req');
    const send = (status: number, payload: string, extra: Record<string, string> = {}) => {
      record.status = status;
      this.onAnswer?.({ method, path, status, body: payload });
      if (res.destroyed) return;
      res.writeHead(status, {
        'Content-Type': 'application/json', 'Request-Id': requestId, 'Stripe-Version': API_VERSION,
        ...(idempotencyKey && { 'Idempotency-Key': idempotencyKey }), ...extra,
      });
      res.end(payload);
    };
    const sendError = (error: StripeApiError, extra: Record<string, string> = {}) => send(error.status, JSON.stringify(errorBody(error), null, 2), extra);

    if (!/^Bearer (sk|rk)_/.test(headers.authorization ?? '')) {
      return sendError(new StripeApiError(401, 'invalid_request_error', 'You did not provide an API key.'));
    }
    const limited = this.faults.overRateLimit();
    if (limited) {
      const retry: Record<string, string> = limited.shouldRetry === undefined ? {} : { 'Stripe-Should-Retry': String(limited.shouldRetry) };
      return sendError(new StripeApiError(429, 'invalid_request_error', 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.', 'rate_limit'), retry);
    }
    const key = method === 'POST' ? idempotencyKey : null;
    try {
      if (key) {
        const outcome = this.idempotent.begin(key, method, path, JSON.stringify(params));
        if (outcome.kind === 'replay') {
          record.replayed = true;
          record.status = outcome.response.status;
          this.onAnswer?.({ method, path, status: outcome.response.status, body: outcome.response.body });
          res.writeHead(outcome.response.status, { 'Content-Type': 'application/json', 'Request-Id': outcome.response.requestId, 'Stripe-Version': API_VERSION, 'Idempotency-Key': key, 'Idempotent-Replayed': 'true' });
          res.end(outcome.response.body);
          return;
        }
      }
    } catch (error) {
      return sendError(error as StripeApiError);
    }
    try {
      const delay = this.faults.takeDelay(method, path);
      if (delay?.hold === 'before') await this.hold(delay.ms);
      const failure = this.faults.takeFailure(method, path);
      if (failure) {
        const retry: Record<string, string> = failure.shouldRetry === undefined ? {} : { 'Stripe-Should-Retry': String(failure.shouldRetry) };
        return send(failure.status, JSON.stringify(failure.body, null, 2), retry);
      }
      const payload = this.execute(method, path, params, requestId, idempotencyKey);
      if (key) this.idempotent.complete(key, { status: 200, body: payload, requestId });
      if (delay?.hold === 'answer') await this.hold(delay.ms);
      send(200, payload);
    } catch (error) {
      if (error instanceof StripeApiError) return sendError(error);
      sendError(new StripeApiError(500, 'api_error', `stripe double crashed: ${(error as Error).stack ?? error}`));
    } finally {
      if (key) this.idempotent.release(key);
    }
  }

  /** Routes one request and answers its JSON; throws StripeApiError for Stripe-shaped failures. */
  private execute(method: string, path: string, params: Params, requestId: string, idempotencyKey: string | null): string {
    const found = ROUTES.map((r) => ({ r, m: r.method === method ? r.pattern.exec(path) : null })).find((x) => x.m);
    if (!found?.m) {
      throw new StripeApiError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);
    }
    const ctx: RouteContext = {
      params, path, captures: found.m.slice(1).map(decodeURIComponent), state: this.state, requestId, idempotencyKey,
      emit: (type, object, before) => this.emit(type, object, before, { id: requestId, idempotency_key: idempotencyKey }),
    };
    const result = found.r.handler(ctx);
    return JSON.stringify(expandObject(result, strings(params, 'expand'), this.state), null, 2);
  }
}

export async function startStripeDouble(options: StripeDoubleOptions = {}): Promise<StripeDouble> {
  const double = new StripeDouble(options);
  await double.listen();
  return double;
}

/** The app environment that points the real SDK at `double` (for `createTestApp(stripeEnv(double))`). */
export function stripeEnv(double: StripeDouble): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: 'sk_test_double', STRIPE_PUBLISHABLE_KEY: 'pk_test_double', STRIPE_WEBHOOK_SECRET: DOUBLE_WEBHOOK_SECRET,
    STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(double.port), STRIPE_API_PROTOCOL: 'http',
  };
}
