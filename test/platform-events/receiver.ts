import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { verifyPlatformSignature } from '@app/platform-events';

export const RECEIVER_SECRET = 'platform-receiver-secret-0123456789';

export interface Received {
  id: string;
  type: string;
  vendor_id: number;
  created_at: string;
  data: Record<string, unknown>;
  /** The Platform-Signature header checked against the raw body, as a receiver would. */
  verified: boolean;
  answered: number | 'hang';
}

/** How the receiver answers the next request: a status, or never (the sender's timeout must end it). */
export type Behaviour = number | 'hang';

/**
 * The platform's receiver, a real HTTP server on loopback: it verifies each signature on the raw body and
 * keeps every request it got (duplicates included), in arrival order.
 */
export class TestReceiver {
  readonly received: Received[] = [];
  behaviour: Behaviour | ((event: Received) => Behaviour) = 200;
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
    const verified = verifyPlatformSignature(raw, req.headers['platform-signature'] as string | undefined, RECEIVER_SECRET, Math.floor(Date.now() / 1000));
    const entry: Received = { ...body, verified, answered: 200 };
    const behaviour = typeof this.behaviour === 'function' ? this.behaviour(entry) : this.behaviour;
    entry.answered = behaviour;
    this.received.push(entry);
    if (behaviour === 'hang') {
      this.hung.push(res);
      return;
    }
    res.writeHead(behaviour, { 'content-type': 'application/json' }).end('{}');
  }
}
