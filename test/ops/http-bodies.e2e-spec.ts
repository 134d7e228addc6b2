import { connect } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { signUpVendor, type SignedUpVendor } from '../factories/vendor.factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const TEN_MB = 10 * 1024 * 1024;

/**
 * Issue 21: bodies answered as HTTP says, with Node's own fetch over a real socket (no supertest, no
 * `Expect: 100-continue`): a content coding the API does not decode and a charset other than UTF-8 are 415
 * UNSUPPORTED_MEDIA_TYPE; a body over 1 MB is 413 PAYLOAD_TOO_LARGE that the client receives (not a reset
 * connection), on a vendor route, Stripe's webhook (raw body) and signup alike. Each changes nothing.
 */
describe('request bodies: encodings, charsets and oversized bodies', () => {
  let t: TestApp;
  let base: string;
  let vendor: SignedUpVendor;

  beforeAll(async () => {
    t = await createTestApp({ STRIPE_WEBHOOK_SECRET: 'whsec_bodies_test_secret_0123456789' });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${port}`;
    vendor = await signUpVendor(t);
  });
  afterAll(() => t.close());

  const counts = async () => {
    const [row] = await t.db.query(
      `SELECT (SELECT count(*)::int FROM products) AS products, (SELECT count(*)::int FROM vendors) AS vendors,
              (SELECT count(*)::int FROM stripe_webhook_events) AS events`,
    );
    return row as { products: number; vendors: number; events: number };
  };

  const product = JSON.stringify({ name: 'Encoded', price_cents: 100 });
  const signup = () => JSON.stringify({ vendor_name: 'Body Shop', vendor_code: `body-${Math.random().toString(36).slice(2, 10)}`, email: `b${Math.random().toString(36).slice(2, 10)}@shop.test`, password: 'correct-horse-battery' });
  const routes: { name: string; path: string; auth: boolean; body: () => string }[] = [
    { name: 'a vendor route', path: '/api/v1/vendor/products', auth: true, body: () => product },
    { name: 'the Stripe webhook', path: '/api/v1/webhooks/stripe', auth: false, body: () => JSON.stringify({ id: 'evt_body', object: 'event', type: 'customer.created' }) },
    { name: 'signup', path: '/api/v1/auth/signup', auth: false, body: signup },
  ];

  function post(path: string, auth: boolean, body: BodyInit, headers: Record<string, string> = {}) {
    return fetch(`${base}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...(auth && { authorization: `Bearer ${vendor.token}` }), ...headers },
      ...(body instanceof ReadableStream && { duplex: 'half' }),
    } as RequestInit);
  }

  async function expectEnvelope(res: Response, status: number, code: string): Promise<void> {
    const body = await res.json();
    expect({ status: res.status, body }).toMatchObject({ status, body: { status_code: status, error_code: code, message: expect.any(String) } });
  }

  it.each(routes)('answers a content coding it does not decode with 415 on $name, changing nothing', async ({ path, auth, body }) => {
    const before = await counts();
    const plain = body();
    for (const [coding, bytes] of [
      ['br', Buffer.from(plain)],
      ['br', brotliCompressSync(plain)],
      ['gzip', gzipSync(plain)],
      ['deflate, gzip', gzipSync(plain)],
      ['x-unknown', Buffer.from(plain)],
    ] as const) {
      const res = await post(path, auth, bytes, { 'content-encoding': coding });
      await expectEnvelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await counts()).toEqual(before);
  });

  it.each(routes)('answers a charset other than UTF-8 with 415 on $name, changing nothing', async ({ path, auth, body }) => {
    const before = await counts();
    const plain = body();
    for (const [charset, bytes] of [
      ['utf-16', Buffer.from(`\ufeff${plain}`, 'utf16le')],
      ['utf-16le', Buffer.from(plain, 'utf16le')],
      ['iso-8859-1', Buffer.from(plain, 'latin1')],
      ['"utf-32"', Buffer.from(plain)],
    ] as const) {
      const res = await post(path, auth, bytes, { 'content-type': `application/json; charset=${charset}` });
      await expectEnvelope(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await counts()).toEqual(before);
  });

  it('reads identity coding and a UTF-8 charset in any spelling', async () => {
    const variants: Record<string, string>[] = [{ 'content-encoding': 'identity' }, { 'content-type': 'application/json; charset=UTF-8' }, { 'content-type': 'application/json;charset="utf-8"' }];
    for (const headers of variants) {
      const res = await post('/api/v1/vendor/products', true, product, headers);
      expect({ headers, status: res.status }).toEqual({ headers, status: 201 });
    }
  });

  /**
   * What most clients do (Python's requests, curl without 100-continue): send the whole body, then read the answer.
   * A server that closes the connection once it answered while the body still arrives resets it: the client's
   * write fails (EPIPE/ECONNRESET) and it never reads the 413.
   */
  function sendWholeThenRead(path: string, auth: boolean, size: number): Promise<{ status: number; body: unknown }> {
    const { hostname, port } = new URL(base);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      const received: Buffer[] = [];
      socket.on('data', (chunk) => received.push(chunk));
      socket.on('error', reject);
      let written = false;
      let ended = false;
      const finish = () => {
        if (!written || !ended) return;
        const text = Buffer.concat(received).toString('utf8');
        const [head, ...rest] = text.split('\r\n\r\n');
        const payload = rest.join('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(payload.slice(payload.indexOf('{'), payload.lastIndexOf('}') + 1)) });
        socket.destroy();
      };
      socket.on('end', () => {
        ended = true;
        finish();
      });
      socket.on('connect', async () => {
        const head = [`POST ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Content-Type: application/json', `Content-Length: ${size}`, 'Connection: close', ...(auth ? [`Authorization: Bearer ${vendor.token}`] : []), '', ''].join('\r\n');
        socket.write(head);
        const chunk = Buffer.alloc(256 * 1024, 'a');
        for (let sent = 0; sent < size; sent += chunk.length) {
          if (socket.destroyed) return;
          if (!socket.write(chunk.subarray(0, Math.min(chunk.length, size - sent)))) await new Promise((r) => socket.once('drain', r));
        }
        // Every byte handed to the kernel and acknowledged as written: now read the answer.
        socket.end(() => {
          written = true;
          finish();
        });
      });
    });
  }

  it.each(routes)('answers a 10 MB body sent whole before reading with 413 in the envelope on $name', async ({ path, auth }) => {
    const before = await counts();
    const { status, body } = await sendWholeThenRead(path, auth, TEN_MB);
    expect({ status, body }).toMatchObject({ status: 413, body: { status_code: 413, error_code: 'PAYLOAD_TOO_LARGE' } });
    expect(await counts()).toEqual(before);
  });

  it.each(routes)('answers a 10 MB body sent by fetch with 413 in the envelope on $name, changing nothing', async ({ path, auth }) => {
    const before = await counts();
    const huge = Buffer.alloc(TEN_MB, 'a');
    huge.write('{"name":"');
    await expectEnvelope(await post(path, auth, huge), 413, 'PAYLOAD_TOO_LARGE');
    // Without a length up front (chunked), the limit is found while reading.
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= TEN_MB) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    await expectEnvelope(await post(path, auth, stream), 413, 'PAYLOAD_TOO_LARGE');
    expect(await counts()).toEqual(before);
    // The server is fine after: the next request on a new connection is answered.
    const next = await fetch(`${base}/health/live`);
    expect(next.status).toBe(200);
  });
});
