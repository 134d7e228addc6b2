import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';

/** A Standard Webhooks secret (`whsec_` + base64 of 32 bytes), as `npm run platform:secret` prints. */
export const RECEIVER_SECRET = `whsec_${Buffer.from('platform-receiver-secret-0123456').toString('base64')}`;

/** What came with one request, beside the body: to verify again (tampered, later) or to inspect. */
export interface Delivery {
  raw: string;
  /** webhook-id, webhook-timestamp, webhook-signature as sent. */
  headers: Record<string, string>;
  timestamp: number;
  authorization: string | undefined;
  /** The request's path and query. */
  path: string;
  /** Why the standardwebhooks verifier refused it (null: it verified, and webhook-id was the body's id). */
  refusal: string | null;
}

export interface Received {
  id: string;
  type: string;
  vendor_id: number;
  created_at: string;
  data: Record<string, unknown>;
  /**
   * Verified with the `standardwebhooks` package's own verifier on the raw body (signature, and a timestamp
   * within its 5 minutes of now), and webhook-id equal to the body's id: what a receiver checks.
   */
  verified: boolean;
  answered: number | 'hang' | 'drop';
  webhook: Delivery;
}

/**
 * How the receiver answers the next request: a status, never (the sender's timeout must end it), or by closing
 * the connection without an answer (the sender sees a network error).
 */
export type Behaviour = number | 'hang' | 'drop';

/**
 * The platform's receiver, a real HTTP server on loopback: it verifies each request with the `standardwebhooks`
 * package (not the product's code), answers 400 to one that fails, and keeps every request it got (duplicates
 * included), in arrival order.
 */
export class TestReceiver {
  readonly received: Received[] = [];
  behaviour: Behaviour | ((event: Received) => Behaviour) = 200;
  /** When set, a request without exactly this Authorization header is answered 401 (a protected receiver). */
  requiredAuthorization?: string;
  private server?: Server;
  private hung: ServerResponse[] = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}/platform-events`;
  }

  /** The events answered 2xx, in order (what the platform acted on). */
  get accepted(): Received[] {
    return this.received.filter((r) => typeof r.answered === 'number' && r.answered < 300);
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Waits (polling) until `check` holds; the delivery loop runs in the background. */
  async waitFor(check: (r: TestReceiver) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this)) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms; got ${JSON.stringify(this.received.map((r) => [r.type, r.answered]))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = JSON.parse(raw);
    const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(req.headers[h] ?? '')]));
    const refusal = verifyDelivery(raw, headers);
    const webhook: Delivery = { raw, headers, timestamp: Number(headers['webhook-timestamp']), authorization: req.headers.authorization, path: req.url ?? '', refusal };
    const entry: Received = { ...body, verified: refusal === null, answered: 200, webhook };
    if (this.requiredAuthorization !== undefined && req.headers.authorization !== this.requiredAuthorization) {
      entry.answered = 401;
      this.received.push(entry);
      res.writeHead(401, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    // A receiver acts on nothing it could not verify.
    const behaviour = refusal !== null ? 400 : typeof this.behaviour === 'function' ? this.behaviour(entry) : this.behaviour;
    entry.answered = behaviour;
    this.received.push(entry);
    if (behaviour === 'hang') {
      this.hung.push(res);
      return;
    }
    if (behaviour === 'drop') {
      req.socket.destroy();
      return;
    }
    res.writeHead(behaviour, { 'content-type': 'application/json' }).end('{}');
  }
}

/**
 * What a receiver does with the `standardwebhooks` package (the README's snippet): verify() checks the
 * signature over "<id>.<timestamp>.<raw body>" and that the timestamp is within 5 minutes; the id in the header
 * must be the body's (a receiver deduplicates on it). Answers why it refused, or null.
 */
export function verifyDelivery(raw: string, headers: Record<string, string>, secret = RECEIVER_SECRET): string | null {
  try {
    const payload = new Webhook(secret).verify(raw, headers) as { id?: string };
    return payload.id === headers['webhook-id'] ? null : `webhook-id ${headers['webhook-id']} is not the body's id ${payload.id}`;
  } catch (error) {
    return (error as Error).message;
  }
}
