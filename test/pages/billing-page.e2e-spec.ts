import request from 'supertest';
import { signUpVendor } from '../factories/vendor.factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// CONTRACT §8: the vendor billing page and its files, served by the API, with nothing from elsewhere.
describe('vendor billing page', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers HTML with every section, without a token', async () => {
    const v = await signUpVendor(t);
    const res = await request(t.http).get(`/vendor/${v.code}/billing`);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const [id, heading] of [
      ['current-plan', 'Current plan'],
      ['usage-meters', 'Usage meters'],
      ['change-plan', 'Change plan'],
      ['payment-method', 'Payment method'],
      ['invoice-history', 'Invoice history'],
      ['add-ons', 'Add-ons'],
    ]) {
      expect(res.text).toMatch(new RegExp(`<section id="${id}"[^>]*>\\s*(<div[^>]*>\\s*)?<h2[^>]*>${heading}</h2>`));
    }
    expect(res.text).toMatch(/<form id="login-form"/);
  });

  it('loads only its own script and style sheet, and forbids everything else by CSP', async () => {
    const res = await request(t.http).get('/vendor/acme-shop/billing');
    const scripts = [...res.text.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toEqual(['<script type="module" src="/assets/billing.js">']);
    expect(res.text).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/); // no inline code
    const styles = [...res.text.matchAll(/<link rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
    expect(styles).toEqual(['/assets/billing.css']);
    const links = [...res.text.matchAll(/<link\b[^>]*href="([^"]+)"/g)].map((m) => m[1]);
    for (const href of links) expect(href).toMatch(/^(\/assets\/|data:)/);
    expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//);

    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('serves the page for any well-formed vendor code without looking it up, and 404s a malformed one', async () => {
    expect((await request(t.http).get('/vendor/no-such-shop/billing')).status).toBe(200);

    const bad = await request(t.http).get('/vendor/Not_A_Code!/billing');
    expect(bad.status).toBe(404);
    expect(bad.body).toMatchObject({ status_code: 404, error_code: 'NOT_FOUND' });
  });

  it('serves the script and the style sheet with their content types', async () => {
    const js = await request(t.http).get('/assets/billing.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    // Its one import is the shared fetch wrapper, from /assets/ like itself (script-src 'self').
    expect([...js.text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1])).toEqual(['./api-client.js']);
    for (const path of ['/subscription', '/tiers', '/invoices', '/addons', '/my-addons', '/checkout', '/change-tier', '/upcoming-invoice', '/portal', '/sync', '/cancel', '/reactivate', '/addons/purchase']) {
      expect(js.text).toContain(`\${BILLING}${path}`);
    }

    // A module script must come as JavaScript (the browser refuses any other type); revalidated like the rest.
    const client = await request(t.http).get('/assets/api-client.js');
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(client.headers['x-content-type-options']).toBe('nosniff');
    expect(client.headers['cache-control']).toBe('no-cache');
    expect(client.headers.etag).toBeTruthy();
    expect(client.text).toContain("'/api/v1'");
    expect(client.text).toMatch(/export class ApiError\b/);

    const css = await request(t.http).get('/assets/billing.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.text).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//);
  });

  it('answers 304 to a revalidation of an unchanged asset', async () => {
    const first = await request(t.http).get('/assets/billing.css');
    const again = await request(t.http).get('/assets/billing.css').set('If-None-Match', first.headers.etag);
    expect(again.status).toBe(304);
  });

  it('never puts an API string into the page as HTML', async () => {
    for (const file of ['billing.js', 'api-client.js']) {
      const js = (await request(t.http).get(`/assets/${file}`)).text;
      expect(js).not.toMatch(/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
    }
  });

  it('serves nothing but its own files under /assets', async () => {
    for (const path of ['/assets/billing.html', '/assets/..%2Fsrc%2Fmain.ts', '/assets/..%2F..%2F..%2Fpackage.json', '/assets/other.js']) {
      const res = await request(t.http).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });

  it('keeps the page out of the OpenAPI document', async () => {
    const doc = await request(t.http).get('/api/docs-json');
    expect(Object.keys(doc.body.paths).filter((p) => p.startsWith('/vendor/') || p.startsWith('/assets/'))).toEqual([]);
  });
});
