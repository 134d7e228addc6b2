/// <reference lib="dom" /> // page.evaluate callbacks run in the browser
/// <reference lib="dom.iterable" />
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import request from 'supertest';
import { collectPageErrors, describeWithBrowser, launchBrowser, withScreenshotOnFailure } from '../support/browser.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const ADMIN = { email: 'ops@platform.test', password: 'admin-password-1' };
const SHOTS = process.env.ADMIN_CONSOLE_SCREENSHOTS;

// CONTRACT §10: the console's Revenue view in Debian's Chromium — the charts draw, the figures are the API's.
describeWithBrowser('admin console: revenue view', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let token: string;

  beforeAll(async () => {
    t = await createTestApp({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
    await seed();
    token = (await request(t.http).post('/api/v1/auth/login').send(ADMIN)).body.access_token;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage();
    errors = collectPageErrors(page);
  });
  afterEach(() => page?.close());

  /**
   * Twelve vendors whose plans changed over the last six months, as the history records them (each item's value
   * before is its last value after): new, upgrades, a downgrade, churn and a return.
   */
  async function seed() {
    const now = new Date();
    const monthsAgo = (n: number, day: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, day, 12));
    const plans: Array<Array<[number, number]>> = [];
    for (let v = 0; v < 12; v++) {
      const steps: Array<[number, number]> = [[5 - (v % 5), [4900, 9900, 19900][v % 3]]];
      if (v % 4 === 0) steps.push([2, 19900]);
      if (v % 5 === 1) steps.push([1, 0]);
      if (v % 10 === 1) steps.push([0, 4900]);
      plans.push(steps);
    }
    for (const [i, steps] of plans.entries()) {
      const [vendor] = await t.db.query(`INSERT INTO vendors (code, name) VALUES ($1, $2) RETURNING id`, [`revenue-${i}`, `Revenue ${i}`]);
      let before = 0;
      for (const [ago, value] of steps) {
        await t.db.query(
          `INSERT INTO subscription_changes (vendor_id, changed_at, changed, item_code, status_after, is_annual, value_before_cents, value_after_cents, cause)
           VALUES ($1, $2, ARRAY['status'], 'essential', $3, false, $4, $5, 'webhook')`,
          [vendor.id, monthsAgo(ago, 1 + (i % 9)), value > 0 ? 'active' : 'cancelled', before, value],
        );
        before = value;
      }
    }
  }

  async function signIn() {
    await page.goto(`${base}/admin`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#login-form', { visible: true });
    await page.type('#login-form input[name="email"]', ADMIN.email);
    await page.type('#login-form input[name="password"]', ADMIN.password);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#glance', { visible: true });
  }

  async function openRevenue(months = 12) {
    await page.evaluate((m) => { location.hash = `#/revenue?months=${m}`; }, months);
    await page.waitForSelector('#revenue-movements-chart canvas', { visible: true });
    await page.waitForFunction(() => !document.querySelector('#view[aria-busy]'));
  }

  /** Painted pixels of a chart's canvas (uPlot draws into one canvas per chart). */
  const painted = (selector: string) =>
    page.$eval(selector, (el) => {
      const canvas = el.querySelector('canvas')!;
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) count++;
      return { count, width: canvas.width, points: el.getAttribute('data-points') };
    });

  it('draws MRR and the movements, and shows the API’s figures and months', async () => {
    await withScreenshotOnFailure(page, 'admin-revenue', async () => {
      await signIn();
      await openRevenue(12);
      const api = (await request(t.http).get('/api/v1/admin/revenue?months=12').set('Authorization', `Bearer ${token}`)).body;
      expect(api.current.mrr_cents).toBeGreaterThan(0);

      const mrr = await painted('#revenue-mrr-chart');
      expect(mrr.points).toBe('12');
      expect(mrr.width).toBeGreaterThan(200);
      expect(mrr.count).toBeGreaterThan(300);
      expect((await painted('#revenue-movements-chart')).count).toBeGreaterThan(300);

      const shown = await page.$$eval('[data-figure]', (els) => Object.fromEntries(els.map((el) => [el.getAttribute('data-figure'), el.getAttribute('data-value')])));
      expect(shown).toEqual(Object.fromEntries(Object.entries(api.current).map(([k, v]) => [k, v === null ? 'null' : String(v)])));
      expect(await page.$eval('[data-figure="mrr_cents"] .tile-value', (el) => el.textContent)).toBe(
        new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' }).format(api.current.mrr_cents / 100),
      );
      const firstRow = await page.$$eval('#revenue-table tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
      const latest = api.months.at(-1);
      expect(firstRow[0]).toBe(latest.month);
      expect(firstRow[1]).toBe(new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' }).format(latest.mrr_cents / 100));
      expect(await page.$$eval('#revenue-table tbody tr', (rows) => rows.length)).toBe(12);

      // The CSV link fetches the same months with the admin's token.
      const href = await page.$eval('#revenue-csv', (a) => a.getAttribute('href'));
      expect(href).toBe('/api/v1/admin/revenue.csv?months=12');
      const csv = await page.evaluate(async (h, tk) => (await fetch(h!, { headers: { Authorization: `Bearer ${tk}` } })).text(), href, token);
      expect(csv.split('\r\n')[0]).toBe('month,mrr_cents,new_mrr_cents,expansion_mrr_cents,contraction_mrr_cents,churned_mrr_cents,reactivation_mrr_cents,paying_vendors,new_paying_vendors,churned_vendors,arpu_cents');
      expect(csv.trimEnd().split('\r\n')).toHaveLength(13);
      if (SHOTS) {
        mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: join(SHOTS, 'revenue-desktop.png') as `${string}.png`, fullPage: true });
      }
      expect(errors).toEqual([]);
    });
  });

  it('fits a phone (390 px) with both charts drawn, and switches to 6 months', async () => {
    await withScreenshotOnFailure(page, 'admin-revenue-390', async () => {
      await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
      await signIn();
      await openRevenue(12);
      await page.click('.revenue-range a[href="#/revenue?months=6"]');
      await page.waitForFunction(() => document.querySelector('#revenue-mrr-chart')?.getAttribute('data-points') === '6');
      expect((await painted('#revenue-movements-chart')).count).toBeGreaterThan(100);
      const width = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
      expect(width).toBe(390);
      if (SHOTS) await page.screenshot({ path: join(SHOTS, 'revenue-390.png') as `${string}.png`, fullPage: true });
      expect(errors).toEqual([]);
    });
  });
});
